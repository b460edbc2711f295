"""The assessment as stages: run one by one, kept (picklable), re-run from any stage = a full run."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pyogrio
import pytest

from parkscope import assess
from parkscope.files.qgis import field_aliases
from parkscope.measures.reference import load_reference
from parkscope.pipeline import (
    Access,
    Extract,
    Population,
    Request,
    Scores,
    Walk,
    accessibility,
    build_summary,
    data_quality,
    diagnosis,
    ingest,
    population,
    prepare,
    scores,
    walk_network,
)

CENTRE = "-51.232,-30.034,-51.220,-30.026"  # Porto Alegre, Centro Histórico


@pytest.fixture(scope="module")
def stages(osm_dir):
    req = prepare(osm_dir / "porto-alegre.osm.pbf", bbox=CENTRE, buffer_m=1000)
    ext = ingest(req)
    walk = walk_network(req, ext)
    acc = accessibility(req, walk)
    sc = scores(req, walk, acc)
    return req, ext, walk, acc, sc


def test_each_stage_returns_its_typed_result(stages):
    for result, kind in zip(stages, (Request, Extract, Walk, Access, Scores), strict=True):
        assert isinstance(result, kind)
    req, ext, walk, acc, sc = stages
    assert walk.network.n_nodes == len(sc.nodes) == len(walk.node_cells)
    assert set(acc.distances) == set(req.settings.category_keys)


def test_stage_results_survive_pickling(stages):
    req, ext, walk, acc, sc = stages
    for result in (req, walk, acc, sc):
        again = pickle.loads(pickle.dumps(result))
        assert type(again) is type(result)
    again = pickle.loads(pickle.dumps(sc))
    pd.testing.assert_frame_equal(pd.DataFrame(again.cells.drop(columns="geometry")),
                                  pd.DataFrame(sc.cells.drop(columns="geometry")))


def test_rerun_from_the_population_stage_with_a_new_table_equals_a_full_run(stages, osm_dir, tables_dir):
    """A jobs and residents table arrives: only population and what follows run again."""
    req, ext, walk, acc, sc = stages
    table = tables_dir / "porto-alegre-hexgrid.csv"
    req2 = prepare(osm_dir / "porto-alegre.osm.pbf", bbox=CENTRE, buffer_m=1000,
                   jobs=f"{table}:jobs", residents=f"{table}:population")
    pop = population(req2, ext, sc)
    assert isinstance(pop, Population) and pop.sources == {"jobs": "table", "residents": "table"}
    quality = data_quality(req2, ext, walk, sc, pop)
    dg = diagnosis(req2, walk, acc, sc, pop, quality)
    summary = build_summary(req2, ext, walk, sc, pop, quality, dg)
    full = assess(osm_dir / "porto-alegre.osm.pbf", bbox=CENTRE, buffer_m=1000,
                  jobs=f"{table}:jobs", residents=f"{table}:population")
    assert summary == full.summary  # summary.json holds no timings or clock (run.json does)
    cols = [c for c in full.cells.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(dg.cells[cols]), pd.DataFrame(full.cells[cols]))
    # and the table changed the answer: the check is not vacuous
    before = population(req, ext, sc)
    assert before.sources["jobs"] == "osm_buildings"
    assert not np.allclose(before.counts["residents"], pop.counts["residents"])


def test_names_follow_the_coverage_minutes(osm_dir, tmp_path):
    """`share<M>_*` columns and `share_within_<M>min` keys carry the minutes set, not a fixed 15."""
    cfg = tmp_path / "ten.toml"
    cfg.write_text("[score]\ncoverage_minutes = 10.0\n")
    a = assess(osm_dir / "berlin-adlershof.osm.gz", park="Humboldt-Universität Campus Adlershof",
               buffer_m=350, config=cfg)
    assert a.summary.coverage_minutes == 10.0
    dining = a.summary.to_dict()["categories"]["dining"]
    assert "share_within_10min" in dining and "share_within_15min" not in dining
    assert a.summary.categories["dining"].share_key == "share_within_10min"
    assert "share10_dining" in a.cells.columns and not any(c.startswith("share15_") for c in a.cells)
    out = a.write(tmp_path / "out")
    fields = pyogrio.read_info(out / "cells.gpkg", layer="cells")["fields"]
    assert "share10_dining" in list(fields)
    assert "within a 10-minute walk" in (out / "report.html").read_text(encoding="utf-8")
    # what is counted within the walk says 10 as well: cell columns, indicators, scorecard, QGIS names
    within = {"jobs_10min", "residents_10min", "firms_10min", "innovation_sites_10min",
              "jobs_housing_ratio_10min"}
    assert within <= set(a.cells.columns) and not any(c.endswith("_15min") for c in a.cells.columns)
    assert within <= set(fields)
    written = a.summary.to_dict()  # summary.json as written
    indicators = written["integration"]["indicators"]
    assert "firms_10min" in indicators and not any(k.endswith("_15min") for k in indicators)
    five = written["five_park"]
    assert {"bike_share_10min", "ev_charging_10min"} <= set(five["smart"]["indicators"])
    sites = five["innovative"]["indicators"]["innovation_sites_10min"]
    assert "10-minute" in sites["en"] and "10分钟" in sites["zh"]
    assert "Firms and workplaces mapped within 10 min" in field_aliases(["firms_10min"], [])["firms_10min"]
    # the reference scale finds them under their 15-minute keys (data/reference.toml)
    weights = written["integration"]["model"]["indicator_weights"]
    shipped = load_reference().entropy_weights(True)
    assert weights["firms_10min"] / weights["job_density"] == pytest.approx(
        shipped["firms_15min"] / shipped["job_density"], rel=1e-4)
