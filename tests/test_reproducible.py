"""Reproducible outputs and whole-folder replacement (issue 13).

The same assessment, run twice in one process and once in another, writes byte-identical
summary.json, Parquet files and cells.gpkg; what differs from run to run is in run.json. An OUTDIR
holding a result is refused unless --overwrite, which replaces it whole; a failure leaves it as it was.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import parkscope.assessment
import parkscope.files.io
from parkscope.cli import cli, main

ROOT = Path(__file__).resolve().parents[1]
EXTRACT = ROOT.parent / "shared" / "data" / "osm" / "berlin-adlershof.osm.gz"
ARGS = ["assess", str(EXTRACT), "--park", "Humboldt-Universität Campus Adlershof", "--buffer", "350",
        "--no-report", "-q"]
PINNED = ["summary.json", "nodes.parquet", "network.parquet", "amenities.parquet", "cells.parquet",
          "buildings.parquet", "cells.gpkg", "state.json"]
KEPT = ["state.pickle"]  # the stages a scenario starts from (docs/scenario.md): not pinned byte for byte


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir())


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[Path]:
    """Three runs: two in this process, one in a fresh Python process (its own hash seed)."""
    root = tmp_path_factory.mktemp("repro")
    outs = [root / "a", root / "b", root / "c"]
    for out in outs[:2]:
        assert main([*ARGS, "-o", str(out)]) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "PYTHONHASHSEED": "12345"}
    proc = subprocess.run([sys.executable, "-m", "parkscope.cli", *ARGS, "-o", str(outs[2])],
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return outs


def test_same_inputs_give_byte_identical_outputs(runs):
    first = _files(runs[0])
    assert sorted(first) == sorted([*PINNED, *KEPT, "run.json"])
    for other in runs[1:]:
        again = _files(other)
        for name in PINNED:
            assert first[name] == again[name], f"{name} differs between {runs[0]} and {other}"


def test_what_changes_between_runs_is_in_run_json(runs):
    summary = json.loads((runs[0] / "summary.json").read_text(encoding="utf-8"))
    assert "timings_s" not in summary and "created_utc" not in summary["provenance"]
    run = json.loads((runs[0] / "run.json").read_text(encoding="utf-8"))
    assert set(run["timings_s"]) >= {"ingest_s", "access_s", "total_s"} and run["timings_s"]["total_s"] > 0
    assert run["created_utc"].endswith("Z") and run["parkscope_version"] == summary["parkscope_version"]
    assert run["command"].startswith("parkscope assess ") and "--park" in run["command"]
    assert run["python"] and run["platform"]


def test_geopackage_stamps_are_the_osm_data_date(runs):
    osm = json.loads((runs[0] / "summary.json").read_text(encoding="utf-8"))["provenance"]["osm_timestamp"]
    assert osm  # the extract has one
    with sqlite3.connect(runs[0] / "cells.gpkg") as conn:
        stamps = {r[0] for r in conn.execute("SELECT last_change FROM gpkg_contents")}
        stamps |= {r[0] for r in conn.execute("SELECT update_time FROM layer_styles")}
    assert stamps == {osm.replace("Z", ".000Z")}


def test_parquet_metadata_holds_no_time(runs):
    for name in ("nodes.parquet", "cells.parquet"):
        meta = pq.read_metadata(runs[0] / name).metadata
        text = b" ".join(meta.values()).decode()
        assert "created_utc" not in text and "timings" not in text, name


def test_existing_outdir_is_refused_and_left_as_it_was(runs, capsys):
    before = _files(runs[0])
    assert main([*ARGS, "-o", str(runs[0])]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and str(runs[0]) in err and err.count("\n") == 1  # one paragraph
    assert _files(runs[0]) == before


def test_overwrite_replaces_the_folder_whole(runs, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in _files(runs[0]).items():
        (out / name).write_bytes(data)
    (out / "stale.txt").write_text("from an older version")
    (out / "summary.json").write_text("{}")
    assert main([*ARGS, "--overwrite", "-o", str(out)]) == 0
    assert "stale.txt" not in _files(out)
    assert {k: v for k, v in _files(out).items() if k in PINNED} == {
        k: v for k, v in _files(runs[0]).items() if k in PINNED}
    assert sorted(_files(out)) == sorted(_files(runs[0]))
    assert _siblings(out) == ["out"]  # neither the new folder's staging name nor the old one is left


def test_a_failure_midway_leaves_the_old_folder_intact(runs, tmp_path, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in _files(runs[0]).items():
        (out / name).write_bytes(data)
    before = _files(out)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full while writing cells.gpkg")

    monkeypatch.setattr(parkscope.assessment, "write_gpkg", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        main([*ARGS, "--overwrite", "-o", str(out)])
    assert _files(out) == before
    assert _siblings(out) == ["out"]


def test_a_folder_that_is_not_a_result_is_never_replaced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main([*ARGS, "--overwrite", "-o", str(tmp_path)]) == 2
    assert "not an earlier parkscope result" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_demo_replaces_its_own_folder(tmp_path):
    out = tmp_path / "demo"
    for _ in range(2):
        result = CliRunner().invoke(cli, ["demo", "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
    assert (out / "summary.json").is_file() and (out / "report.html").is_file()
    assert _siblings(out) == ["demo"]


def test_file_outputs_need_overwrite_too(tmp_path, capsys):
    data = ROOT / "tests" / "data"
    panel, spec = data / "ccd_hobq_panel.csv", data / "ccd_hobq_spec.toml"
    out = tmp_path / "ccd.csv"
    assert main(["ccd", str(panel), "--spec", str(spec), "-o", str(out)]) == 0
    first = out.read_bytes()
    out.write_text("mine")
    assert main(["ccd", str(panel), "--spec", str(spec), "-o", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["ccd", str(panel), "--spec", str(spec), "-o", str(out), "--overwrite"]) == 0
    assert out.read_bytes() == first


def test_bokeh_ids_are_renumbered_so_the_same_figures_give_the_same_page():
    from bokeh.embed import components
    from bokeh.plotting import figure

    from parkscope.outputs.report.html import stable_ids

    def page() -> tuple[str, dict[str, str]]:
        fig = figure(title="p1234 stays")  # a data string that looks like an id is left alone
        fig.scatter([1, 2], [3, 4])
        return components({"map": fig})

    raw = [page(), page()]
    assert raw[0] != raw[1]  # Bokeh alone: new UUIDs and model ids each time
    stable = [stable_ids(*r) for r in raw]
    assert stable[0] == stable[1]
    script, divs = stable[0]
    assert '"docid":"ps-' in script and divs["map"].startswith('<div id="ps-0001" data-root-id="p1002"')
    assert "p1234 stays" in script
