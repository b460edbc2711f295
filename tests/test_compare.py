"""`parkscope compare`: ranking real assessments side by side, its outputs and its errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.cli import main
from parkscope.outputs.compare import FIVE_PARK_DIMENSIONS, compare_table, display_table, load_summaries

INTEGRATION_COLUMNS = ["industry", "city", "people", "coupling_C", "development_T", "coordination_D"]


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def read_summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def outs(osm_dir, helsinki, tmp_path_factory) -> dict[str, Path]:
    """Three real assessments (no report): two Helsinki blocks and one in Monaco."""
    root = tmp_path_factory.mktemp("compare")
    areas = {
        "hel_centre": (helsinki, "24.940,60.166,24.948,60.172"),
        "hel_north": (helsinki, "24.936,60.175,24.942,60.178"),
        "monaco": (osm_dir / "monaco.osm.pbf", "7.415,43.728,7.423,43.734"),
    }
    out = {}
    for key, (extract, bbox) in areas.items():
        out[key] = assess(extract, bbox=bbox).write(root / key, report=False)
    return out


@pytest.fixture(scope="module")
def plain(outs, tmp_path_factory) -> dict[str, Path]:
    """The same assessments as an older parkscope wrote them: no `integration`, no `five_park`."""
    root = tmp_path_factory.mktemp("plain")
    return {key: with_extras(folder, root / key, d=None) for key, folder in outs.items()}


def with_extras(src: Path, dst: Path, *, d: float | None, level: int = 7, five: float = 50.0) -> Path:
    """Copy a real summary.json to ``dst`` with `integration` and `five_park` set to known values
    (``d`` given) or removed (``d=None``)."""
    s = read_summary(src)
    s.pop("integration", None)
    s.pop("five_park", None)
    if d is not None:
        s["integration"] = {
            "status": "ok",
            "lagging": "industry",
            "industry": 0.4,
            "city": 0.6,
            "people": 0.5,
            "coupling_C": 0.97,
            "development_T": 0.5,
            "coordination_D": d,
            "class": {"level": level, "zh": "初级协调", "en": "primary coordination"},
            "lag_type": "industry_without_city",
            "jobs": 12850,
            "residents": 9400,
            "jobs_housing_ratio": 1.37,
            "jobs_source": "table",
            "residents_source": "osm_buildings",
        }
        s["five_park"] = {
            dim: {"score": five + i, "coverage": 0.8, "indicators": {}}
            for i, dim in enumerate(FIVE_PARK_DIMENSIONS)
        }
    dst.mkdir(parents=True)
    (dst / "summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    return dst


def test_ranks_by_life_score_when_integration_is_absent(plain):
    folders = [plain["hel_north"], plain["hel_centre"], plain["monaco"]]
    table = compare_table(load_summaries(folders))
    scores = {str(f): read_summary(f)["life_convenience_score"] for f in folders}
    assert table.attrs["by"] == "life_convenience_score"
    assert list(table["outdir"]) == sorted(scores, key=scores.get, reverse=True)
    assert list(table["life_convenience_score"]) == sorted(scores.values(), reverse=True)
    assert len(set(scores.values())) == 3 and list(table["rank"]) == [1, 2, 3]
    assert set(table["park"]) == {read_summary(f)["area"]["name"] for f in folders}
    assert set(table["extract"]) == {"helsinki.osm.pbf", "monaco.osm.pbf"}
    assert table["osm_timestamp"].str.match(r"^\d{4}-\d\d-\d\dT").all()
    assert table[INTEGRATION_COLUMNS + ["five_green", "jobs"]].isna().all().all()
    assert any("integration" in note for note in table.attrs["notes"])


def test_integration_ranks_by_coordination_d(outs, tmp_path):
    # the lowest life score gets the highest D: the order must follow D, not the score
    life = {k: read_summary(v)["life_convenience_score"] for k, v in outs.items()}
    low, mid, high = sorted(life, key=life.get)
    a = with_extras(outs[low], tmp_path / "a", d=0.81, level=9, five=70.0)
    b = with_extras(outs[high], tmp_path / "b", d=0.42, level=5, five=20.0)
    c = with_extras(outs[mid], tmp_path / "c", d=0.63)
    table = compare_table(load_summaries([b, c, a]))
    assert table.attrs["by"] == "coordination_D"
    assert list(table["outdir"]) == [str(a), str(c), str(b)]
    assert list(table["coordination_D"]) == [0.81, 0.63, 0.42]
    top = table.iloc[0]
    assert top["life_convenience_score"] == life[low] and top["level"] == 9
    assert top["class_zh"] == "初级协调" and top["lag_type"] == "industry_without_city"
    assert top["jobs"] == 12850 and top["jobs_housing_ratio"] == 1.37
    assert [top[f"five_{dim}"] for dim in FIVE_PARK_DIMENSIONS] == [70.0, 71.0, 72.0, 73.0, 74.0]
    assert top["five_open_coverage"] == 0.8
    assert not any("integration" in note for note in table.attrs["notes"])
    # by the life score instead, on request: the order turns round
    assert list(compare_table(load_summaries([b, c, a]), by="life_convenience_score")["outdir"]) == [
        str(b),
        str(c),
        str(a),
    ]


def test_mixed_folders_fall_back_to_life_score_and_say_so(outs, plain, tmp_path):
    with_d = with_extras(outs["hel_centre"], tmp_path / "with_d", d=0.9)
    table = compare_table(load_summaries([with_d, plain["monaco"]]))
    assert table.attrs["by"] == "life_convenience_score"
    notes = " ".join(table.attrs["notes"])
    assert str(plain["monaco"]) in notes and str(with_d) not in notes
    assert "not every park has coordination_D" in notes
    # ranking by D explicitly: the park without it comes last, without a rank
    by_d = compare_table(load_summaries([plain["monaco"], with_d]), by="coordination_D")
    assert list(by_d["outdir"]) == [str(with_d), str(plain["monaco"])]
    assert by_d["rank"].iloc[0] == 1 and by_d["rank"].isna().iloc[1]


def test_ties_share_a_rank_and_keep_input_order(outs, tmp_path):
    x = with_extras(outs["hel_north"], tmp_path / "x", d=0.5)
    y = with_extras(outs["monaco"], tmp_path / "y", d=0.7)
    z = with_extras(outs["hel_centre"], tmp_path / "z", d=0.5)
    table = compare_table(load_summaries([x, y, z]))
    assert list(table["outdir"]) == [str(y), str(x), str(z)]
    assert list(table["rank"]) == [1, 2, 2]


def test_duplicate_park_names_are_named_by_folder(outs, tmp_path):
    one, two = tmp_path / "run1", tmp_path / "run2"
    for folder in (one, two):
        folder.mkdir()
        shutil.copy(outs["hel_centre"] / "summary.json", folder / "summary.json")
    table = compare_table(load_summaries([one, two]))
    name = read_summary(outs["hel_centre"])["area"]["name"]
    assert table["park"].is_unique
    assert sorted(table["park"]) == [f"{name} [{one}]", f"{name} [{two}]"]


def test_cli_prints_a_table_with_legend(outs, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "250")  # wide enough that no park name is folded
    for folder in ("dupA", "dupB"):  # relative names keep the table narrow; "[dupA]" must not be markup
        with_extras(outs["hel_centre"], Path(folder), d=0.6 if folder == "dupA" else 0.3)
    code, out, err = run(["compare", "dupB", "dupA"], capsys)
    assert code == 0, err
    name = read_summary(outs["hel_centre"])["area"]["name"]
    assert f"{name} [dupA]" in out and f"{name} [dupB]" in out
    assert out.index("[dupA]") < out.index("[dupB]")  # D 0.6 before 0.3
    assert "ranked by coordination_D" in out and "7 primary coordination" in out and "city lags" in out
    assert "12,850" not in out and "1.37" in out  # J/H shown, raw job counts only in --json / CSV
    assert "life-convenience score 0–10" in out and "coupling coordination" in out


def test_json_output_parses_and_matches_the_table(plain, capsys):
    folders = [plain["hel_north"], plain["monaco"], plain["hel_centre"]]
    code, out, err = run(["compare", *folders, "--json"], capsys)
    assert code == 0, err
    records = json.loads(out)
    table = compare_table(load_summaries(folders))
    assert [r["outdir"] for r in records] == list(table["outdir"])
    assert [r["rank"] for r in records] == [1, 2, 3]
    assert [r["life_convenience_score"] for r in records] == list(table["life_convenience_score"])
    assert all(r["coordination_D"] is None and r["class_en"] is None for r in records)
    assert "integration" in err  # the note goes to stderr, stdout stays pure JSON


def test_csv_is_written_and_equals_the_table(outs, plain, tmp_path, capsys):
    folders = [plain["hel_centre"], with_extras(outs["monaco"], tmp_path / "mc", d=0.55)]
    csv = tmp_path / "results" / "compare.csv"
    code, out, err = run(["compare", *folders, "-o", csv, "--by", "life_convenience_score"], capsys)
    assert code == 0, err
    assert f"Wrote {csv}" in err
    assert [p.name for p in csv.parent.iterdir()] == ["compare.csv"]  # no temp file left
    written = pd.read_csv(csv)
    table = compare_table(load_summaries(folders), by="life_convenience_score")
    assert list(written.columns) == list(table.columns)
    pd.testing.assert_frame_equal(written, table, check_dtype=False)
    assert written["coordination_D"].isna().sum() == 1 and written["class_zh"].notna().sum() == 1


def test_failed_compare_leaves_no_csv(outs, tmp_path, capsys):
    csv = tmp_path / "compare.csv"
    csv.write_text("old,contents\n", encoding="utf-8")
    code, _, err = run(["compare", outs["monaco"], tmp_path / "missing", "-o", csv, "--overwrite"], capsys)
    assert code != 0 and "missing" in err
    assert csv.read_text(encoding="utf-8") == "old,contents\n"
    # a write that fails (the "folder" is a file) leaves neither the CSV nor a temp file
    code, _, err = run(["compare", outs["monaco"], "-o", csv / "x.csv"], capsys)
    assert code == 2 and "Cannot write" in err
    assert csv.read_text(encoding="utf-8") == "old,contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["compare.csv"]


def test_errors_name_the_folder(outs, tmp_path, capsys):
    empty = tmp_path / "empty_out"
    empty.mkdir()
    broken = tmp_path / "broken_out"
    broken.mkdir()
    text = (outs["monaco"] / "summary.json").read_text(encoding="utf-8")
    (broken / "summary.json").write_text(text[: len(text) // 2], encoding="utf-8")  # truncated
    notjson = tmp_path / "list_out"
    notjson.mkdir()
    (notjson / "summary.json").write_text("[1, 2]", encoding="utf-8")
    cases = {
        tmp_path / "no_such_folder": "does not exist",
        empty: "parkscope assess",
        broken: "not valid JSON",
        notjson: "not a parkscope summary",
    }
    for folder, phrase in cases.items():
        code, out, err = run(["compare", outs["monaco"], folder], capsys)
        assert code == 2, (folder, err)
        assert folder.name in err and phrase in err and out == ""
        assert err.startswith("Error: ") and err.count("\n") == 1  # one paragraph
    code, _, err = run(["compare"], capsys)
    assert code == 2 and "at least one" in err


def test_a_summary_with_a_non_number_is_refused(outs, tmp_path, capsys):
    bad = with_extras(outs["monaco"], tmp_path / "bad", d=0.5)
    s = read_summary(bad)
    s["integration"]["coordination_D"] = "high"
    (bad / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    code, _, err = run(["compare", bad], capsys)
    assert code == 2 and "integration.coordination_D" in err and "bad" in err


@pytest.mark.parametrize(
    ("given", "suggested"),
    [
        ("coordinaton_d", "coordination_D"),
        ("life_score", "life_convenience_score"),
        ("five_gren", "five_green"),
    ],
)
def test_unknown_by_suggests_the_closest_column(outs, capsys, given, suggested):
    code, out, err = run(["compare", outs["monaco"], "--by", given], capsys)
    assert code == 2 and out == ""
    assert f"Did you mean --by {suggested}?" in err
    assert "jobs_housing_ratio" in err  # the valid columns are listed


def test_text_column_cannot_rank(outs, capsys):
    code, _, err = run(["compare", outs["monaco"], "--by", "class_en"], capsys)
    assert code == 2 and "text column" in err


def test_summary_file_path_is_accepted(outs):
    table = compare_table(load_summaries([outs["monaco"] / "summary.json"]))
    assert len(table) == 1
    assert np.isclose(
        table["life_convenience_score"].iloc[0], read_summary(outs["monaco"])["life_convenience_score"]
    )


def test_real_summaries_are_read_as_written(outs):
    """Whatever `assess` writes today (with or without `integration`), the table holds it unchanged."""
    table = compare_table(load_summaries(outs.values())).set_index("outdir")
    for folder in outs.values():
        s = read_summary(folder)
        row = table.loc[str(folder)]
        integ = s.get("integration") or {}
        assert row["life_convenience_score"] == s["life_convenience_score"]
        assert row["extract"] == s["provenance"]["extract"]
        for key in INTEGRATION_COLUMNS + ["jobs", "residents", "jobs_housing_ratio"]:
            expected = integ.get(key)
            assert (np.isnan(row[key]) and expected is None) or row[key] == pytest.approx(expected), key
        for dim in FIVE_PARK_DIMENSIONS:
            expected = ((s.get("five_park") or {}).get(dim) or {}).get("score")
            assert (np.isnan(row[f"five_{dim}"]) and expected is None) or row[f"five_{dim}"] == expected
    has_d = [
        (read_summary(f).get("integration") or {}).get("coordination_D") is not None for f in outs.values()
    ]
    assert table.attrs["by"] == ("coordination_D" if all(has_d) else "life_convenience_score")


def test_display_drops_detail_columns_to_fit_but_keeps_the_ranking_column(outs, tmp_path):
    folders = [with_extras(outs[k], tmp_path / k, d=0.3 + 0.1 * i) for i, k in enumerate(outs)]
    table = compare_table(load_summaries(folders), by="five_green_coverage")
    wide_cols, wide_rows, wide_legend = display_table(table)
    headers = [h for h, _ in wide_cols]
    assert {"ind", "city", "ppl", "green"} <= set(headers) and headers[-1] == "five_green_coverage ▼"
    assert not any("Left out" in line for line in wide_legend)
    cols, rows, legend = display_table(table, width=100)
    narrow = [h for h, _ in cols]
    assert not {"ind", "city", "ppl", "green"} & set(narrow)
    assert "five_green_coverage ▼" in narrow and "D" in narrow and "class" in narrow
    assert "Left out for width: ind, city, ppl and five-park scores" in legend[-1]
    assert len(rows) == 3 and all(len(r) == len(cols) for r in rows)
    assert [r[narrow.index("class")] for r in rows] == ["7 primary coordination"] * 3


def _with_indicators(src: Path, dst: Path, values: dict[str, float]) -> Path:
    """Copy a real summary with hand-set park indicator values (one per subsystem, no log)."""
    s = read_summary(src)
    subsystem = {"job_density": "industry", "life_convenience": "city", "resident_density": "people"}
    s["integration"]["indicators"] = {
        k: {"value": v, "subsystem": subsystem[k], "direction": "positive", "log": True, "used": True}
        for k, v in values.items()
    }
    s["integration"]["model"]["log_transform"] = False
    dst.mkdir(parents=True)
    (dst / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    return dst


def test_reference_parks_normalises_across_the_parks_compared(outs, tmp_path):
    a = _with_indicators(outs["hel_centre"], tmp_path / "a",
                         {"job_density": 0.0, "life_convenience": 8.0, "resident_density": 50.0})
    b = _with_indicators(outs["hel_north"], tmp_path / "b",
                         {"job_density": 10.0, "life_convenience": 4.0, "resident_density": 100.0})
    c = _with_indicators(outs["monaco"], tmp_path / "c",
                         {"job_density": 20.0, "life_convenience": 6.0, "resident_density": 0.0})
    table = compare_table(load_summaries([a, b, c]), reference="parks").set_index("outdir")
    # one indicator per subsystem: U is its min-max normalised value across the three parks
    assert table.loc[str(a), ["industry", "city", "people"]].tolist() == pytest.approx([0.0, 1.0, 0.5])
    assert table.loc[str(b), ["industry", "city", "people"]].tolist() == pytest.approx([0.5, 0.0, 1.0])
    assert table.loc[str(c), ["industry", "city", "people"]].tolist() == pytest.approx([1.0, 0.5, 0.0])
    assert table.loc[str(a), "lag_type"] == "city_without_industry"
    assert table.loc[str(c), "lag_type"] == "industry_without_city"
    assert (table["coordination_D"] == 0).all()  # a zero subsystem in every park: C = 0
    assert any("relative to the parks compared" in n for n in table.attrs["notes"])
    own = compare_table(load_summaries([a, b, c])).set_index("outdir")
    assert own.loc[str(a), "industry"] != table.loc[str(a), "industry"]


def test_reference_parks_needs_indicators_and_two_parks(outs, plain, capsys):
    code, _, err = run(["compare", plain["hel_centre"], plain["monaco"], "--reference", "parks"], capsys)
    assert code != 0 and "integration.indicators" in err and str(plain["hel_centre"]) in err
    code, _, err = run(["compare", outs["monaco"], "--reference", "parks"], capsys)
    assert code != 0 and "at least two" in err
    code, out, _ = run(["compare", outs["hel_centre"], outs["hel_north"], outs["monaco"],
                        "--reference", "parks", "--json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert all(0.0 <= r["coordination_D"] <= 1.0 for r in rows)
