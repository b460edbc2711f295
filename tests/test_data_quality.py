"""Data sufficiency on the real shared extracts: each layer measured, ok / thin / missing, and no verdict
from a missing layer (unknown, never 0); the summary's readings never contradict each other."""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from parkscope import assess
from parkscope.cli import cli
from parkscope.diagnoses.integration import (
    INDICATORS,
    KEY_LAYER,
    diagnose_cells,
    mask_unmeasurable,
    weakest_subsystem,
)
from parkscope.inputs.osm import extract_bounds
from parkscope.measures.quality import LayerQuality, cell_statuses, counts_quality
from parkscope.outputs.report._text import summary_sentences
from parkscope.settings.config import load_settings

#: Study areas: the box each file declares, or a town box (whole-country extracts, files with none).
TOWNS = {
    "andorra.osm.pbf": "1.515,42.500,1.545,42.515",
    "liechtenstein.osm.pbf": "9.515,47.130,9.535,47.145",
    "porto-alegre.osm.pbf": "-51.235,-30.040,-51.215,-30.025",
    "berlin-adlershof.osm.gz": "13.520,52.425,13.540,52.438",
}
EXTRACTS = (
    "berlin-adlershof.osm.gz", "porto.osm.pbf", "munich.osm.pbf", "london.osm.pbf", "monaco.osm.pbf",
    "moscow.osm.pbf", "helsinki.osm.pbf", "beijing-xueyuan-road.osm", "andorra.osm.pbf",
    "liechtenstein.osm.pbf", "harrisburg.osm.pbf", "paris-centre.osm.pbf", "singapore-bayfront.osm.pbf",
    "porto-alegre.osm.pbf",
)
NULL_WHEN_INSUFFICIENT = ("coupling_C", "development_T", "coordination_D", "class", "lag_type", "lagging")


@pytest.fixture(scope="module")
def every_extract(osm_dir):
    logging.disable(logging.WARNING)
    try:
        out = {}
        for name in EXTRACTS:
            path = osm_dir / name
            bbox = TOWNS.get(name) or ",".join(map(str, extract_bounds(path)))
            out[name] = assess(path, bbox=bbox, buffer_m=0)
        return out
    finally:
        logging.disable(logging.NOTSET)


@pytest.mark.parametrize(
    ("name", "layer", "status"),
    [
        ("berlin-adlershof.osm.gz", "buildings", "ok"),
        ("london.osm.pbf", "amenities", "ok"),
        ("munich.osm.pbf", "buildings", "ok"),
        ("liechtenstein.osm.pbf", "buildings", "thin"),  # Vaduz: no storeys mapped, small footprints
        ("liechtenstein.osm.pbf", "amenities", "thin"),
        ("paris-centre.osm.pbf", "buildings", "missing"),  # roads, few POIs, no buildings
        ("porto-alegre.osm.pbf", "buildings", "missing"),
        ("harrisburg.osm.pbf", "amenities", "missing"),
        ("harrisburg.osm.pbf", "buildings", "missing"),
    ],
)
def test_layer_status_on_real_extracts(every_extract, name, layer, status):
    q = every_extract[name].summary.to_dict()["data_quality"][layer]
    assert q["status"] == status, q
    assert q["measures"] and q["expected"]
    assert bool(q["reasons"]) == (status != "ok")
    assert ("fix" in q) == (status != "ok")


def test_every_summary_keeps_the_no_verdict_contract(every_extract):
    for name, a in every_extract.items():
        s = a.summary.to_dict()
        ig = s["integration"]
        assert set(s["data_quality"]) >= {"network", "amenities", "buildings", "jobs", "residents"}, name
        if ig["status"] == "insufficient_data":
            assert ig["missing"], name
            for key in NULL_WHEN_INSUFFICIENT:
                assert ig[key] is None, (name, key)
            assert any(ig[k] is None for k in ("industry", "city", "people")), name
        else:
            assert ig["status"] == "ok" and ig["missing"] == [], name
            for key in ("industry", "city", "people"):
                assert ig[key] is not None and ig[key] >= 0, (name, key)
            # a sub-index never rests on a missing layer
            for sub, layer in KEY_LAYER.items():
                assert s["data_quality"][layer]["status"] != "missing", (name, sub)
        # cells: no D where a key layer is missing there
        cells = a.cells
        judged = cells["data_status"] != "insufficient_data"
        assert cells.loc[judged, ["industry", "city", "people", "coordination_D"]].notna().all().all(), name
        assert cells.loc[~judged, "coordination_D"].isna().all(), name


def test_readings_never_contradict_each_other(every_extract):
    """Item 5: lag type (industry vs city indices), the weakest of three, and the jobs–housing counts."""
    seen = set()
    for name, a in every_extract.items():
        s = a.summary
        ig = s.to_dict()["integration"]
        text = " ".join(t.en for t in summary_sentences(s, "15"))
        seen.add((ig["lag_type"], ig["jobs_housing_reading"]))
        if ig["lag_type"] == "city_without_industry":
            assert re.search(r"the industry index \([^)]*\) lags the city index", text), name
            assert "industry without city" not in text, name
        if ig["lag_type"] == "industry_without_city":
            assert re.search(r"the city index \([^)]*\) lags the industry index", text), name
            assert "city without industry" not in text, name
        if ig["jobs_housing_reading"] == "too_few_homes":
            assert "fewer jobs than" not in text, name
        if ig["jobs_housing_reading"] == "too_few_jobs":
            assert "more jobs than" not in text, name
        if ig["lagging"] in ("industry", "city", "people"):
            U = {k: ig[k] for k in ("industry", "city", "people")}
            assert ig["lagging"] == min(U, key=U.get), name
            assert f"{ig['lagging']} is the weakest" in text, name
            # the lag type's lagging side is never the stronger of industry and city
            if ig["lag_type"] == "city_without_industry":
                assert U["industry"] < U["city"], name
            if ig["lag_type"] == "industry_without_city":
                assert U["city"] < U["industry"], name
        if ig["status"] == "insufficient_data":
            assert "No industry–city verdict" in text and "To get one:" in text, name
            assert not re.search(r"reads as (有产无城|有城无产|balanced)", text), name
        # words match the reading: never "too few jobs" next to a jobs-heavy ratio
        if ig["jobs_housing_ratio"] is not None and ig["jobs_housing_reading"] == "too_few_homes":
            assert ig["jobs_housing_ratio"] > 0.5 * 1.25 - 1e-9, name
    assert len(seen) >= 3  # the check covers several combinations, not one


def test_porto_alegre_without_buildings_gives_no_verdict_and_no_zeros(osm_dir):
    a = assess(osm_dir / "porto-alegre.osm.pbf", bbox="-51.24,-30.07,-51.17,-30.02", buffer_m=0)
    s = a.summary.to_dict()
    ig = s["integration"]
    assert s["data_quality"]["buildings"]["status"] == "missing"
    assert s["data_quality"]["jobs"]["status"] == "missing"
    assert ig["status"] == "insufficient_data"
    assert ig["industry"] is None and ig["people"] is None and ig["city"] > 0
    assert ig["coordination_D"] is None and ig["lag_type"] is None  # was D = 0.00, 有城无产
    assert ig["jobs"] is None and ig["jobs_housing_reading"] == "unknown"
    assert any("--jobs" in f for f in ig["fix"]) and any("--residents" in f for f in ig["fix"])
    inno = s["five_park"]["innovative"]
    # what rests on the missing buildings is missing (lowers coverage), never scored 0
    assert {"job_density_park", "workplace_floor_share"} <= set(inno["missing"])
    assert inno["score"] != 0.0  # was 0.0: no research site mapped in a thinly mapped city is unknown
    assert s["five_park"]["humane"]["indicators"]["jobs_housing_balance"]["available"] is False
    assert (a.cells["data_status"] == "insufficient_data").all()


def test_whole_andorra_gets_no_verdict_from_dropped_indicators(osm_dir):
    a = assess(osm_dir / "andorra.osm.pbf", bbox="1.40,42.42,1.79,42.66", buffer_m=500)
    ig = a.summary.to_dict()["integration"]
    if ig["status"] == "ok":
        assert min(ig["industry"], ig["city"], ig["people"]) > 0
    else:
        assert ig["coordination_D"] is None and ig["missing"]
    assert ig["coordination_D"] != 0.0


def test_helsinki_hsy_area_verdict_changes_with_the_data_rules(osm_dir, tables_dir):
    # before the data rules: 有产无城 from an extract that covers a fifth of the HSY grid's box
    grid = gpd.read_file(tables_dir / "helsinki-population-grid-2020.gpkg")
    a = assess(osm_dir / "helsinki.osm.pbf", bbox=",".join(map(str, grid.total_bounds)), buffer_m=0)
    s = a.summary.to_dict()
    assert s["data_quality"]["network"]["measures"]["park_outside_extract_share"] > 0.5
    assert s["integration"]["status"] == "insufficient_data"
    assert s["integration"]["lag_type"] is None


def test_cli_names_the_problem_and_the_fix(osm_dir, tmp_path):
    result = CliRunner().invoke(
        cli, ["assess", str(osm_dir / "porto-alegre.osm.pbf"), "--bbox=-51.235,-30.040,-51.215,-30.025",
              "--buffer", "0", "--no-report", "-o", str(tmp_path / "out")],
    )
    assert result.exit_code == 0, result.output
    assert "Data: walk network ok, amenities thin, buildings missing" in result.stderr
    assert "No industry–city verdict" in result.stderr and "--jobs FILE" in result.stderr
    assert " D = " not in result.stderr


# --- the rules on small hand-made inputs ---------------------------------------------------------


def _layer(name, status, source="osm"):
    return LayerQuality(name, status, {}, {}, source, [] if status == "ok" else ["x"])


def test_built_up_cells_without_buildings_are_missing_where_buildings_are_not_ok():
    measures = pd.DataFrame({"built_up": [True, True, False], "buildings": [3, 0, 0]})
    layers = {k: _layer(k, "ok") for k in ("network", "amenities", "jobs", "residents")}
    sources = {"jobs": "osm_buildings", "residents": "table"}
    ok = cell_statuses({**layers, "buildings": _layer("buildings", "ok")}, measures, sources,
                       np.array([True, True, False]))
    assert list(ok["buildings"]) == ["ok", "ok", "ok"] and list(ok["network"]) == ["ok", "ok", "missing"]
    thin = cell_statuses({**layers, "buildings": _layer("buildings", "thin")}, measures, sources,
                         np.ones(3, bool))
    assert list(thin["buildings"]) == ["thin", "missing", "thin"]
    assert list(thin["jobs"]) == ["ok", "missing", "ok"]  # estimated from the buildings there
    assert list(thin["residents"]) == ["ok", "ok", "ok"]  # from a table: the buildings do not matter


def test_counts_from_user_data_are_judged_by_coverage_and_estimates_by_buildings():
    b_missing = _layer("buildings", "missing")
    assert counts_quality("jobs", "table", 100.0, b_missing, coverage_share=0.95).status == "ok"
    assert counts_quality("jobs", "raster", 100.0, b_missing, coverage_share=0.7).status == "thin"
    assert counts_quality("jobs", "raster", 100.0, b_missing, coverage_share=0.2).status == "missing"
    assert counts_quality("residents", "osm_buildings", 100.0, b_missing).status == "missing"
    assert counts_quality("residents", "osm_buildings", 100.0, _layer("buildings", "ok")).status == "ok"
    assert counts_quality("residents", "table", 0.0, b_missing).status == "missing"


def test_a_missing_key_layer_makes_the_sub_index_unknown_not_zero():
    rng = np.random.default_rng(3)
    n = 40
    values = pd.DataFrame({
        "job_density": rng.uniform(0, 5000, n), "workplace_floor_ratio": rng.uniform(0, 2, n),
        "life_convenience": rng.uniform(0, 10, n), "amenity_diversity": rng.uniform(0, 1, n),
        "resident_density": rng.uniform(0, 9000, n), "housing_floor_share": rng.uniform(0, 1, n),
        "jobs_housing_balance": rng.uniform(0, 1, n),
    })
    status = pd.DataFrame({k: ["ok"] * n for k in ("network", "amenities", "buildings", "jobs", "residents")})
    status.loc[:9, "jobs"] = "missing"
    status.loc[10:14, "buildings"] = "missing"
    settings = load_settings().diagnosis
    diag, _ = diagnose_cells(values, np.ones(n, bool), settings, status)
    assert diag.loc[:9, "industry"].isna().all() and diag.loc[:9, "coordination_D"].isna().all()
    assert diag.loc[:9, "lag_type"].isna().all() and diag.loc[:9, "coordination_class_en"].isna().all()
    assert (diag.loc[:9, "data_status"] == "insufficient_data").all()
    assert diag.loc[10:, ["industry", "city", "people", "coordination_D"]].notna().all().all()
    assert (diag.loc[10:14, "data_missing"] == "buildings").all()
    masked = mask_unmeasurable(values, [i for i in INDICATORS if i.key in values], status)
    assert masked.loc[10:14, ["workplace_floor_ratio", "housing_floor_share"]].isna().all().all()
    assert masked.loc[:9, "jobs_housing_balance"].isna().all()  # rests on jobs and residents


def test_weakest_subsystem_reads_like_ccd():
    assert weakest_subsystem(np.array([0.6, 0.5, 0.3]), 0.1) == {
        "lagging": "people", "leading": "industry", "lagging_gap": 0.3, "lagging_ratio": 0.5}
    assert weakest_subsystem(np.array([0.6, 0.58, 0.57]), 0.1)["lagging"] == "balanced"
    assert weakest_subsystem(np.array([0.6, np.nan, 0.5]), 0.1)["lagging"] is None


def test_a_proxy_from_a_thin_layer_gives_way_to_a_measured_count():
    values = pd.DataFrame({"job_density": [100.0, 200.0], "firms_15min": [3.0, 4.0],
                           "life_convenience": [5.0, 6.0]})
    status = pd.DataFrame({"network": ["ok"] * 2, "amenities": ["thin"] * 2, "buildings": ["ok"] * 2,
                           "jobs": ["ok", "thin"], "residents": ["ok"] * 2})
    masked = mask_unmeasurable(values, [i for i in INDICATORS if i.key in values], status)
    # jobs measured (ok): firms counted from thin POIs are left out; jobs thin too: both stay
    assert np.isnan(masked.loc[0, "firms_15min"]) and masked.loc[1, "firms_15min"] == 4.0
    # the city's own key layer is the thin one: its indicators stay, with a caution
    assert masked["life_convenience"].tolist() == [5.0, 6.0]


def test_a_table_that_covers_part_of_the_study_area_is_thin_and_unknown_beyond(osm_dir, tables_dir):
    # HSY's grid covers central Helsinki; 1 km around the extract's box reaches beyond it
    grid = tables_dir / "helsinki-population-grid-2020.gpkg"
    bbox = ",".join(map(str, extract_bounds(osm_dir / "helsinki.osm.pbf")))
    a = assess(osm_dir / "helsinki.osm.pbf", bbox=bbox, buffer_m=1000, residents=str(grid))
    q = a.summary.to_dict()["data_quality"]["residents"]
    assert q["source"] == "table" and q["status"] == "thin"
    assert 0.3 < q["measures"]["coverage_share"] < 0.9
    beyond = a.cells["data_missing"].str.contains("residents")
    assert beyond.any() and a.cells.loc[beyond, "people"].isna().all()
    covered = gpd.read_file(grid).to_crs(3067).union_all()
    centres = a.cells.loc[beyond].to_crs(3067).centroid
    assert not centres.intersects(covered).any()  # only cells the grid does not reach
