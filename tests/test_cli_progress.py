"""Progress reporting: the library's callback protocol and the command line's stage display."""

from __future__ import annotations

from parkscope import assess
from parkscope.cli import _StageLog

BBOX = "24.940,60.166,24.948,60.172"


def test_counting_callbacks_get_counts_and_plain_ones_only_messages(helsinki):
    counted, plain = [], []
    assess(helsinki, bbox=BBOX,
           progress=lambda msg, done=None, total=None: counted.append((msg, done, total)))
    assess(helsinki, bbox=BBOX, progress=plain.append)
    stages = [m.split(":")[0] for m in plain]
    assert stages[:3] == ["ingest", "ingest", "network"] and "indices" in stages
    steps = [(d, t) for _, d, t in counted if d is not None]
    assert steps and steps[-1][0] == steps[-1][1] > 0  # the reach of every cell, counted to the end
    assert all(0 < d <= t for d, t in steps)
    assert [m for m, d, _ in counted if d is None] == plain  # the same stages


def test_plain_display_prints_stages_and_quarter_steps(capsys):
    with _StageLog(quiet=False, live=False) as stage:
        stage("ingest: reading the extract")
        for done in range(1, 101):
            stage("indices: 15-minute reach of each cell", done, 100)
    err = capsys.readouterr().err.splitlines()
    assert err[0].endswith("ingest: reading the extract")
    counted = [line for line in err if "reach" in line]
    assert [line.rsplit(" ", 1)[1] for line in counted] == ["1/100", "25/100", "50/100", "75/100", "100/100"]


def test_quiet_display_prints_nothing(capsys):
    with _StageLog(quiet=True, live=True) as stage:
        stage("ingest: reading the extract")
        stage("indices: reach", 5, 10)
    assert capsys.readouterr().err == ""


def test_live_display_draws_a_bar_per_stage(capsys):
    with _StageLog(quiet=False, live=True) as stage:
        stage("ingest: reading the extract")
        stage("indices: 15-minute reach of each cell", 64, 128)
        stage("indices: 15-minute reach of each cell", 128, 128)
        stage("report: writing outputs")
        tasks = stage._bar.tasks
        assert [t.description.split(":")[0] for t in tasks] == ["ingest", "indices", "report"]
        assert tasks[1].completed == tasks[1].total == 128
        assert tasks[0].finished


def test_a_parkscope_toml_in_the_working_folder_applies(helsinki, tmp_path, monkeypatch, capsys):
    from parkscope.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "parkscope.toml").write_text("[area]\nbufer_m = 500\n")
    code = main(["assess", str(helsinki), "--bbox", BBOX, "-o", str(tmp_path / "out"), "--no-report"])
    err = capsys.readouterr().err
    assert code == 6 and "Did you mean 'buffer_m'" in err and "./parkscope.toml" in err
    assert not (tmp_path / "out").exists()
    (tmp_path / "parkscope.toml").write_text("[area]\nbuffer_m = 500\n")
    code = main(["assess", str(helsinki), "--bbox", BBOX, "-o", str(tmp_path / "out"), "--no-report", "-q"])
    assert code == 0
    import json

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["provenance"]["parameters"]["buffer_m"] == 500
