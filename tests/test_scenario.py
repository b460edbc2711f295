"""Scenarios (issue 14): changes applied to a kept assessment; incremental == full re-run (1e-9)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.cli import main
from parkscope.errors import InputError
from parkscope.planning.apply import apply_changes, building_ids
from parkscope.planning.changes import parse_changes
from parkscope.planning.scenario import evaluate
from parkscope.planning.state import MANIFEST, load_stages

PORTO = "-8.615,41.142,-8.605,41.150"
ANDORRA_WHOLE = "1.40,42.42,1.79,42.66"


def _stages(extract, bbox, buffer_m):
    return assess(extract, bbox=bbox, buffer_m=buffer_m).stages  # what assess keeps in OUTDIR


def _point(lon, lat, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def _assert_same(full, inc):
    """Every number of nodes and cells to 1e-9, every text equal, summary.json equal."""
    for a, b in ((full.sc.nodes, inc.sc.nodes), (full.dg.cells, inc.dg.cells)):
        a, b = pd.DataFrame(a.drop(columns="geometry")), pd.DataFrame(b.drop(columns="geometry"))
        assert list(a.columns) == list(b.columns)
        num = a.select_dtypes(include=[np.number, bool]).columns
        np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0, atol=1e-9)
        other = [c for c in a.columns if c not in num]
        pd.testing.assert_frame_equal(a[other].astype(str), b[other].astype(str))
    assert full.summary == inc.summary


@pytest.fixture(scope="module")
def porto(osm_dir):
    return _stages(osm_dir / "porto.osm.pbf", PORTO, 800)


@pytest.fixture(scope="module")
def porto_changes(porto):
    b = porto.pop.buildings
    return [
        _point(-8.6102, 41.1461, action="add", category="groceries", name="New grocer"),
        _point(-8.6085, 41.1452, action="add", category="healthcare"),
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"action": "remove", "amenity_id": str(porto.walk.joined["amenity_id"].iloc[10])},
        },
        _point(-8.6095, 41.1455, action="add", use="offices", floor_area_m2=5000),
        {
            "type": "Feature",
            "geometry": None,
            "properties": {
                "action": "change_use",
                "building_id": str(building_ids(b.iloc[[5]])[0]),
                "use": "labs",
                "occupancy": 0.9,
            },
        },
        {
            "type": "Feature",
            "properties": {"action": "add_link"},
            "geometry": {"type": "LineString", "coordinates": [[-8.6110, 41.1440], [-8.6080, 41.1470]]},
        },
    ]


@pytest.mark.parametrize(
    "which",
    [[0], [2], [3], [4], [5], [0, 1, 2, 3, 4, 5]],
    ids=["add_amenity", "remove", "add_floor", "change_use", "add_link", "all"],
)
def test_porto_incremental_equals_full_rerun(porto, porto_changes, which):
    changes = parse_changes(
        {"features": [porto_changes[i] for i in which]},
        porto.req.settings.category_keys,
        porto.req.area.analysis,
    )
    applied = apply_changes(porto, changes)
    full = evaluate(porto, applied, incremental=False)
    inc = evaluate(porto, applied, incremental=True)
    _assert_same(full, inc)
    if which == [3]:  # new office floor: jobs go up by its estimate
        added = applied.records[0]["jobs"]
        assert added > 0
        assert full.summary.buildings.estimated_jobs == pytest.approx(
            porto.summary.buildings.estimated_jobs + added, abs=1
        )


def test_full_rerun_equals_the_assessment_when_nothing_changes(porto):
    """The reference itself: re-running every stage on unchanged inputs gives the assessment again."""
    applied = apply_changes(porto, [])
    again = evaluate(porto, applied, incremental=False)
    assert again.summary == porto.summary


@pytest.mark.parametrize(
    "props, geometry, match",
    [
        ({"action": "add", "category": "casino"}, [-8.61, 41.146], "unknown category 'casino'"),
        (
            {"action": "add", "use": "spaceport", "floor_area_m2": 10},
            [-8.61, 41.146],
            "unknown use 'spaceport'",
        ),
        ({"action": "add", "category": "dining"}, [-8.0, 41.0], "outside the study area"),
        ({"action": "change_use", "use": "offices", "occupancy": 1.4}, [-8.61, 41.146], "occupancy is 1.4"),
        ({"action": "add", "use": "homes"}, [-8.61, 41.146], "'floor_area_m2' is missing"),
        ({"action": "demolish"}, [-8.61, 41.146], "'action' is 'demolish'"),
    ],
)
def test_bad_changes_are_clear_errors(porto, props, geometry, match):
    data = {"features": [_point(*geometry, name="x", **props)]}
    with pytest.raises(InputError, match=match) as err:
        parse_changes(data, porto.req.settings.category_keys, porto.req.area.analysis)
    assert "feature 0 ('x')" in str(err.value)


def test_an_unknown_amenity_id_is_an_error(porto):
    keys, area = porto.req.settings.category_keys, porto.req.area.analysis
    bad = parse_changes(
        {
            "features": [
                {"type": "Feature", "properties": {"action": "remove", "amenity_id": "n1"}, "geometry": None}
            ]
        },
        keys,
        area,
    )
    with pytest.raises(InputError, match="amenity_id 'n1' is not among"):
        apply_changes(porto, bad)


@pytest.fixture(scope="module")
def porto_outdir(osm_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("scn") / "base"
    assert (
        main(
            [
                "assess",
                str(osm_dir / "porto.osm.pbf"),
                f"--bbox={PORTO}",
                "--buffer",
                "800",
                "--no-report",
                "-q",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    return out


def test_cli_scenario_writes_a_full_assessment_with_before_and_after(
    porto_outdir, porto_changes, tmp_path, osm_dir
):
    changes = tmp_path / "changes.geojson"
    changes.write_text(
        json.dumps({"type": "FeatureCollection", "features": porto_changes[:1] + porto_changes[3:4]})
    )
    out = tmp_path / "after"
    assert main(["scenario", str(porto_outdir), "--changes", str(changes), "-o", str(out), "-q"]) == 0
    base = sorted(p.name for p in porto_outdir.iterdir())
    assert set(base) <= {p.name for p in out.iterdir()}
    s = json.loads((out / "summary.json").read_text())
    fig = s["scenario"]["figures"]
    assert fig["buildings.estimated_jobs"]["delta"] > 0
    assert (
        fig["life_convenience_score"]["before"]
        == json.loads((porto_outdir / "summary.json").read_text())["life_convenience_score"]
    )
    cells = pd.read_parquet(out / "cells.parquet")
    for col in (
        "score_before",
        "score_delta",
        "coordination_D_before",
        "coordination_D_delta",
        "lag_type_before",
    ):
        assert col in cells.columns
    np.testing.assert_allclose(cells["score"] - cells["score_before"], cells["score_delta"], equal_nan=True)
    assert (cells["jobs_delta"].fillna(0) > 0).sum() >= 1
    # OUTDIR2 is itself a base for the next scenario, whose new amenity does not take the first one's id
    kept = load_stages(out)
    assert kept.summary.life_convenience_score == s["life_convenience_score"]
    nodes = pd.read_parquet(out / "nodes.parquet")  # the kept nodes, distances put back, are those written
    pd.testing.assert_frame_equal(pd.DataFrame(kept.sc.nodes.drop(columns="geometry")), nodes)
    again = tmp_path / "again.geojson"
    again.write_text(json.dumps({"type": "FeatureCollection", "features": porto_changes[1:2]}))
    assert main(["scenario", str(out), "--changes", str(again), "-o", str(tmp_path / "twice"), "-q",
                 "--no-report"]) == 0
    twice = json.loads((tmp_path / "twice" / "summary.json").read_text())
    assert twice["scenario"]["changes"][0]["amenity_id"] == "s1"
    ids = set(pd.read_parquet(tmp_path / "twice" / "amenities.parquet")["amenity_id"])
    assert {"s0", "s1"} <= ids
    assert "Difference maps" in (out / "report.html").read_text(encoding="utf-8")


def test_bad_changes_file_exits_2_and_writes_nothing(porto_outdir, tmp_path):
    changes = tmp_path / "bad.geojson"
    changes.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [_point(-8.61, 41.146, action="add", category="casino")],
            }
        )
    )
    out = tmp_path / "never"
    assert main(["scenario", str(porto_outdir), "--changes", str(changes), "-o", str(out), "-q"]) == 2
    assert not out.exists()


def test_an_outdir_of_another_schema_asks_to_rerun_assess(porto_outdir, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(porto_outdir, old)
    man = json.loads((old / MANIFEST).read_text())
    man["schema_version"] = 0
    (old / MANIFEST).write_text(json.dumps(man))
    with pytest.raises(InputError, match="re-run|run `parkscope assess"):
        load_stages(old)
    (old / MANIFEST).unlink()
    with pytest.raises(InputError, match="without scenarios"):
        load_stages(old)


def test_whole_andorra_add_amenity_incremental_equals_full(osm_dir):
    st = _stages(osm_dir / "andorra.osm.pbf", ANDORRA_WHOLE, 500)
    keys, area = st.req.settings.category_keys, st.req.area.analysis
    changes = parse_changes(
        {
            "features": [
                _point(1.5225, 42.5075, action="add", category="groceries"),
                _point(1.5340, 42.5100, action="add", use="homes", floor_area_m2=8000),
            ]
        },
        keys,
        area,
    )
    applied = apply_changes(st, changes)
    full = evaluate(st, applied, incremental=False)
    inc = evaluate(st, applied, incremental=True)
    _assert_same(full, inc)
    assert inc.affected_nodes < st.walk.network.n_nodes / 2  # only the nodes near the change


def test_bench_planning_prints_a_table_and_a_result_line(capsys):
    path = Path(__file__).resolve().parents[1] / "bench" / "planning.py"
    spec = importlib.util.spec_from_file_location("bench_planning", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.main(["--extract", str(bench.ROOT.parent / "shared" / "data" / "osm" / "porto.osm.pbf"),
                f"--bbox={PORTO}", "--buffer", "300", "--at=-8.6102,41.1461", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "| step | full_s | incremental_s |" in out
    result = dict(kv.split("=", 1) for kv in out.strip().splitlines()[-1].split()[1:])
    assert result["extract"] == "porto" and result["summary_equal"] == "True"
    assert float(result["max_abs_diff"]) <= 1e-9
