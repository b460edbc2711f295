"""The diagnosis end to end on real extracts: the summary contract, the cells columns, and readings
that must make sense (a business district reads jobs-heavy, a residential quarter homes-heavy)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from parkscope import assess
from parkscope.cli import cli
from parkscope.measures.indices import COORDINATION_CLASSES
from parkscope.measures.population import read_counts_table

LAGS = {"industry_without_city", "city_without_industry", "balanced"}
CELL_COLUMNS = ["industry", "city", "people", "coupling_C", "development_T", "coordination_D", "lag_type",
                "jobs", "residents"]
CBD = "-51.232,-30.034,-51.220,-30.026"  # Porto Alegre, Centro Histórico
RESIDENTIAL = "-51.230,-30.090,-51.215,-30.078"  # Porto Alegre, Cristal / Camaquã, south of the centre


@pytest.fixture(scope="module")
def campus(osm_dir):
    # a well-mapped science city: buildings with storeys, shops, transit (Berlin-Adlershof); the
    # export's data end about 400 m west and south of the campus, hence the short buffer
    return assess(osm_dir / "berlin-adlershof.osm.gz", park="Humboldt-Universität Campus Adlershof",
                  buffer_m=350)


@pytest.fixture(scope="module")
def dongpark(osm_dir):
    return assess(osm_dir / "beijing-xueyuan-road.osm", park="东畔科创中心")


@pytest.fixture(scope="module")
def porto_alegre(osm_dir, tables_dir):
    table = tables_dir / "porto-alegre-hexgrid.csv"
    return {
        name: assess(osm_dir / "porto-alegre.osm.pbf", bbox=bbox, jobs=f"{table}:jobs",
                     residents=f"{table}:population")
        for name, bbox in (("cbd", CBD), ("residential", RESIDENTIAL))
    }


def test_integration_block_keeps_the_contract(campus):
    ig = campus.summary.to_dict()["integration"]
    assert ig["status"] == "ok" and ig["missing"] == []
    for key in ("industry", "city", "people", "coupling_C", "development_T", "coordination_D"):
        assert 0.0 < ig[key] <= 1.0, key
    level = min(int(ig["coordination_D"] * 10) + 1, 10)
    assert ig["class"] == {"level": level, "zh": COORDINATION_CLASSES[level - 1][1],
                           "en": COORDINATION_CLASSES[level - 1][2]}
    assert ig["lag_type"] in LAGS
    U = {k: ig[k] for k in ("industry", "city", "people")}
    assert ig["lagging"] == min(U, key=U.get) and ig["leading"] == max(U, key=U.get)
    assert ig["lagging_gap"] == pytest.approx(max(U.values()) - min(U.values()), abs=2e-4)
    assert ig["jobs_source"] == ig["residents_source"] == "osm_buildings"
    assert ig["jobs_housing_ratio"] == pytest.approx(ig["jobs"] / ig["residents"], rel=1e-3)
    assert {q["status"] for q in campus.summary.to_dict()["data_quality"].values()} == {"ok"}


def test_park_half_outside_its_extract_gets_no_verdict(dongpark):
    # the OSM API export's box cuts 东畔科创中心 in half: what lies beyond is not in the data
    ig = dongpark.summary.to_dict()["integration"]
    assert dongpark.summary.to_dict()["data_quality"]["network"]["status"] == "missing"
    assert ig["status"] == "insufficient_data"
    assert any("outside the extract" in m for m in ig["missing"])
    for key in ("industry", "city", "people", "coupling_C", "development_T", "coordination_D", "class",
                "lag_type", "lagging"):
        assert ig[key] is None, key
    assert dongpark.summary.to_dict()["five_park"]["smart"]["coverage"] == 0.0


def test_park_indices_are_the_overlap_weighted_cell_indices(campus):
    cells, ig = campus.cells, campus.summary.to_dict()["integration"]
    ok = (cells["park_overlap_m2"] > 0) & cells["industry"].notna()
    for sub in ("industry", "city", "people"):
        want = np.average(cells.loc[ok, sub], weights=cells.loc[ok, "park_overlap_m2"])
        assert ig[sub] == pytest.approx(want, abs=1e-4)


def test_cells_carry_the_diagnosis_columns(campus, tmp_path):
    campus.write(tmp_path / "out", report=False)
    cells = gpd.read_file(tmp_path / "out" / "cells.gpkg", layer="cells")
    for col in [*CELL_COLUMNS, "data_status", "data_missing", "street_km_per_km2", "buildings_mapped"]:
        assert col in cells.columns, col
    walk = cells["n_nodes"] > 0
    judged = cells["data_status"] != "insufficient_data"
    assert judged.any() and (judged <= walk).all()
    assert cells.loc[judged, "coordination_D"].between(0, 1).all()
    assert set(cells.loc[judged, "lag_type"]) <= LAGS and len(set(cells.loc[judged, "lag_type"])) >= 2
    assert cells.loc[~judged, "coordination_D"].isna().all()
    assert (cells.loc[~walk, "data_missing"].str.contains("network")).all()
    # the cells' jobs and residents add up to what the buildings estimate gives inside the cells
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert cells["jobs"].sum() <= summary["buildings"]["estimated_jobs"] + 1
    assert cells["jobs"].sum() > 0.5 * summary["buildings"]["estimated_jobs"]


def test_five_park_scorecard_reports_coverage(campus):
    card = campus.summary.to_dict()["five_park"]
    assert list(card) == ["innovative", "green", "smart", "humane", "open"]
    for dim in card.values():
        assert 0.0 <= dim["coverage"] <= 1.0
        assert dim["score"] is None or 0.0 <= dim["score"] <= 100.0
        scored = [v["score"] for v in dim["indicators"].values() if v["available"]]
        assert dim["score"] == pytest.approx(np.mean(scored), abs=0.06)
    # the user-only figures are missing, never zero
    assert "rd_intensity_pct" in card["innovative"]["missing"]
    assert card["innovative"]["coverage"] < 1.0


def test_business_district_reads_jobs_heavy_and_residential_quarter_homes_heavy(porto_alegre):
    cbd = porto_alegre["cbd"].summary.to_dict()
    res = porto_alegre["residential"].summary.to_dict()
    ci, ri = cbd["integration"], res["integration"]
    assert ci["jobs_source"] == "table" and ri["residents_source"] == "table"
    assert ci["jobs_housing_ratio"] > 5 * ri["jobs_housing_ratio"]
    assert ci["jobs_in_park"] > ci["residents_in_park"]
    assert ri["residents_in_park"] > 10 * ri["jobs_in_park"]
    assert ri["jobs_housing_reading"] == "too_few_jobs"
    assert ci["jobs_housing_reading"] == "too_few_homes"
    # the centre: a verdict, with a caution (few amenities mapped for its residents); its industry
    # side is the jobs table, not firms counted from the thin POIs, nor the missing buildings
    assert ci["status"] == "ok" and ci["lag_type"] in LAGS
    assert cbd["data_quality"]["amenities"]["status"] == "thin" and ci["cautions"]
    used = ci["indicators"]
    assert used["job_density"]["value"] > 0
    for key in ("firms_15min", "innovation_sites_15min", "workplace_floor_ratio"):
        assert used[key]["value"] is None, key
    assert ci["industry"] > 0.5 and ci["lag_type"] != "city_without_industry"
    # the residential quarter: one amenity point per ~1,000 residents is what OSM lacks, not what the
    # city lacks: no city index, no lag type (it read "city lags" before the data rules)
    assert res["data_quality"]["amenities"]["status"] == "missing"
    assert ri["status"] == "insufficient_data" and ri["city"] is None and ri["lag_type"] is None
    assert ri["industry"] is not None and ri["people"] is not None


def test_table_totals_are_conserved_in_the_cells(porto_alegre, tables_dir):
    a = porto_alegre["cbd"]
    table = pd.read_csv(tables_dir / "porto-alegre-hexgrid.csv")
    inside = table[table["id"].isin(set(a.cells["h3"]))]
    assert a.cells["jobs"].sum() == pytest.approx(inside["jobs"].fillna(0).sum())
    assert a.cells["residents"].sum() == pytest.approx(inside["population"].sum())
    assert inside["population"].sum() > 50_000  # the check is not vacuous


def test_polygon_residents_table_is_conserved(helsinki, tables_dir):
    grid = tables_dir / "helsinki-population-grid-2020.gpkg"
    a = assess(helsinki, bbox="24.940,60.166,24.948,60.172", residents=str(grid))
    assert a.summary.integration.residents_source == "table"
    assert a.summary.integration.jobs_source == "osm_buildings"
    zones = read_counts_table(str(grid), "residents").to_crs(a.area.crs)
    zones["zone"] = np.arange(len(zones))
    cells = a.cells.to_crs(a.area.crs)
    # what lies inside the cells: each zone's count times the share of its area inside them
    pieces = gpd.overlay(zones, gpd.GeoDataFrame(geometry=[cells.union_all()], crs=a.area.crs))
    full_area = zones.set_index("zone").area.reindex(pieces["zone"]).to_numpy()
    expected = float((pieces.area.to_numpy() / full_area * pieces["count"].to_numpy()).sum())
    assert a.cells["residents"].sum() == pytest.approx(expected, rel=0.02)
    assert a.cells["residents"].sum() > 1000


def test_park_data_raises_coverage_and_cli_prints_the_diagnosis(osm_dir, tmp_path):
    cfg = tmp_path / "parkscope.toml"
    cfg.write_text('[park_data]\nrd_intensity_pct = 6.0\ninnovation_chain = ["rd", "testing"]\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["assess", str(osm_dir / "berlin-adlershof.osm.gz"), "--park",
              "Humboldt-Universität Campus Adlershof", "--config", str(cfg), "--no-report", "--json",
              "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    inno = summary["five_park"]["innovative"]
    assert inno["indicators"]["rd_intensity_pct"] == {**inno["indicators"]["rd_intensity_pct"],
                                                       "available": True, "value": 6.0, "score": 100.0}
    assert inno["indicators"]["innovation_chain_completeness"]["value"] == 0.5
    assert inno["coverage"] == pytest.approx(5 / 8, abs=1e-3)  # 3 OSM + 2 user of 8


def test_a_bad_jobs_table_fails_before_any_output(osm_dir, tmp_path):
    bad = tmp_path / "jobs.csv"
    bad.write_text("lon,lat,employees\n116.35,39.99,10\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["assess", str(osm_dir / "beijing-xueyuan-road.osm"), "--park", "Dong-Park",
              "--jobs", str(bad), "-o", str(out)],
    )
    assert result.exit_code != 0
    assert "employees" in str(result.exception)  # the message lists the columns there are
    assert not out.exists()


def test_user_indicator_columns_join_the_diagnosis(osm_dir, tables_dir, tmp_path):
    table = tables_dir / "porto-alegre-hexgrid.csv"
    cfg = tmp_path / "parkscope.toml"
    cfg.write_text(
        "[diagnosis]\nmin_presence = 0.0\n"
        f'[diagnosis.user_indicators.health_units]\ntable = "{table}:healthcare"\n'
        'subsystem = "city"\nper_km2 = false\nlo = 0\nhi = 10\n'  # bounds for scale = "reference"
    )
    a = assess(osm_dir / "porto-alegre.osm.pbf", bbox=CBD, config=cfg)
    raw = pd.read_csv(table)
    inside = raw[raw["id"].isin(set(a.cells["h3"]))]
    assert a.cells["user_health_units"].sum() == pytest.approx(inside["healthcare"].sum())
    assert inside["healthcare"].sum() > 0
    assert "user_health_units" in a.summary.integration.model.indicator_weights


def test_a_park_without_walk_nodes_reports_unknowns_not_zeros(osm_dir, tmp_path):
    # the middle of the Douro in Porto: water, no street
    a = assess(osm_dir / "porto.osm.pbf", bbox="-8.6305,41.1395,-8.6295,41.1400", buffer_m=800)
    assert a.summary.life_convenience_score is None and np.isnan(a.score)
    ig = a.summary.to_dict()["integration"]
    assert ig["jobs_housing_ratio"] is None
    smart = a.summary.to_dict()["five_park"]["smart"]["indicators"]
    assert smart["bike_share_15min"]["available"] is False
    out = a.write(tmp_path / "water")
    assert (out / "report.html").stat().st_size > 10_000
