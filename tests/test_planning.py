"""parkscope plan and its solver, on a real assessment (Andorra la Vella, OSM extract in ../shared)."""

from __future__ import annotations

import html as html_mod
import importlib.util
import json
import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.cli import main
from parkscope.errors import InputError
from parkscope.pipeline import (
    accessibility,
    data_quality,
    diagnosis,
    ingest,
    people_scores,
    population,
    prepare,
    scores,
    walk_network,
)
from parkscope.planning import cover
from parkscope.planning import plan as plan_mod
from parkscope.planning.plan import PLAN_LAYERS, make_plan, park_demand, read_outputs
from parkscope.planning.solver import PlanProblem, ScoreModel, exact, greedy
from parkscope.settings.config import Category, Settings, _parse_selector
from parkscope.settings.vocabulary import SCORE_KEYS
from parkscope.walk.amenities import classify
from parkscope.walk.grid import park_cell_weights, weighted_park_score

ROOT = Path(__file__).resolve().parents[1]
BBOX = "1.515,42.500,1.545,42.515"  # Andorra la Vella
BUFFER_M = 600.0


@pytest.fixture(scope="module")
def andorra(osm_dir):
    return osm_dir / "andorra.osm.pbf"


@pytest.fixture(scope="module")
def outdir(andorra, tmp_path_factory):
    out = tmp_path_factory.mktemp("plan") / "assess"
    assess(andorra, bbox=BBOX, buffer_m=BUFFER_M).write(out, report=False)
    return out


def test_outdir_has_buildings_and_the_people_weighted_scores(outdir):
    b = pd.read_parquet(outdir / "buildings.parquet")
    assert list(b.columns) == ["building_id", "lon", "lat", "use", "floor_area_m2"]
    assert len(b) > 100 and b["building_id"].str.match(r"^[wr]\d+$").all()
    assert b["building_id"].is_unique and (b["floor_area_m2"] > 0).all()
    s = json.loads((outdir / "summary.json").read_text())
    for key in SCORE_KEYS.values():
        assert 0 < s[key] <= 10


@pytest.mark.parametrize("weights", ["workers", "residents", "both", "area"])
def test_baseline_equals_the_summary(outdir, weights):
    out = read_outputs(outdir)
    demand = park_demand(out, weights)
    written = getattr(out.summary, SCORE_KEYS[weights])
    assert demand.baseline == pytest.approx(written, abs=1e-9 if weights != "area" else 0.005)
    assert demand.weight.sum() == pytest.approx(1.0)


def _tags_for(settings, key):
    """OSM tags that put a feature in exactly one category (``key``)."""
    cat = next(c for c in settings.categories if c.key == key)
    for sel in cat.tags:
        tags = {k: (v if v != "*" else "yes") for k, v in _parse_selector(sel, "t", "t")}
        hits = classify(pd.DataFrame({"tags": [tags]}), settings.categories)
        if hits["category"].tolist() == [key]:
            return tags
    raise AssertionError(f"no selector of {key} matches only it")


def _reassess(andorra, plan: gpd.GeoDataFrame, weights: str) -> tuple[float, np.ndarray]:
    """A full re-run of the stages from the walk network on, with the plan's amenities in the extract."""
    req = prepare(andorra, bbox=BBOX, buffer_m=BUFFER_M)
    ext = ingest(req)
    added = gpd.GeoDataFrame(
        {
            "osm_type": "node",
            "osm_id": -(np.arange(len(plan), dtype=np.int64) + 1),
            "tags": [_tags_for(req.settings, c) for c in plan["category"]],
        },
        geometry=plan.geometry.values,
        crs=4326,
    )
    features = pd.concat([ext.osm.features, added.to_crs(ext.osm.features.crs)], ignore_index=True)
    ext = replace(ext, osm=replace(ext.osm, features=gpd.GeoDataFrame(features, crs=ext.osm.features.crs)))
    walk = walk_network(req, ext)
    acc = accessibility(req, walk)
    sc = scores(req, walk, acc)
    pop = population(req, ext, sc)
    quality = data_quality(req, ext, walk, sc, pop)
    dg = diagnosis(req, walk, acc, sc, pop, quality)
    return people_scores(dg.cells)[SCORE_KEYS[weights]], pop.counts["jobs"]


@pytest.mark.parametrize(("weights", "candidates"), [("workers", "buildings"), ("residents", "grid")])
def test_claimed_score_equals_a_full_reassessment(andorra, outdir, tmp_path, weights, candidates):
    out = read_outputs(outdir)
    base = getattr(out.summary, SCORE_KEYS[weights])
    cats = ["dining", "groceries", "pharmacy", "transit"]
    five = make_plan(outdir, 10.0, categories=cats, candidates=candidates, weights=weights, budget=5,
                     outputs=out)
    assert five.summary["additions"] == 5 and not five.summary["reached"]
    target = base + 0.8 * (five.summary["achieved_score"] - base)  # within reach
    result = make_plan(outdir, target, categories=cats, candidates=candidates, weights=weights, outputs=out)
    s = result.summary
    assert s["additions"] == len(result.additions) > 0
    assert s["reached"] and s["achieved_score"] >= target - 1e-9
    assert s["achieved_score"] == pytest.approx(result.solution.value, abs=1e-9)  # solver's own sum
    assert sum(result.additions["gain"]) == pytest.approx(s["achieved_score"] - s["baseline_score"], abs=1e-6)
    assert 1 <= s["bound"] <= s["additions"]
    again, jobs = _reassess(andorra, result.additions, weights)
    assert again == pytest.approx(s["achieved_score"], abs=1e-9)
    cells = pd.read_parquet(outdir / "cells.parquet")
    np.testing.assert_allclose(jobs, cells["jobs"].to_numpy())  # the additions moved no job


def test_plan_cli_writes_a_changes_file(outdir, tmp_path):
    out = read_outputs(outdir)
    target = out.summary.life_convenience_score_workers + 0.3
    code = main(["plan", str(outdir), "--target", str(target), "--categories", "dining,sports",
                 "--candidates", "grid", "-o", str(tmp_path / "p")])
    assert code == 0
    s = json.loads((tmp_path / "p" / "summary.json").read_text())
    for key in ("target", "baseline_score", "achieved_score", "additions", "method", "bound", "score_key"):
        assert key in s
    assert s["score_key"] == "life_convenience_score_workers" and s["method"] == "greedy"
    plan = gpd.read_file(tmp_path / "p" / "plan.geojson")
    assert len(plan) == s["additions"]
    assert set(plan["action"]) == {"add"} and set(plan["category"]) <= {"dining", "sports"}
    assert plan["order"].tolist() == list(range(1, len(plan) + 1))
    assert (plan["gain"] > 0).all()
    assert pd.read_csv(tmp_path / "p" / "plan.csv").shape[0] == len(plan)


def test_plan_report_is_self_contained_and_names_every_addition(outdir, tmp_path):
    out = read_outputs(outdir)
    target = out.summary.life_convenience_score_workers + 0.04
    code = main(["plan", str(outdir), "--target", str(target), "--categories", "dining,sports,groceries",
                 "-o", str(tmp_path / "p")])
    assert code == 0
    html = (tmp_path / "p" / "report.html").read_text(encoding="utf-8")
    assert len(html) > 500_000  # BokehJS inlined
    tags = re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", html, flags=re.I)
    assert tags and not [t for t in tags if re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", t, re.I)]
    plan = gpd.read_file(tmp_path / "p" / "plan.geojson")
    assert len(plan) >= 2
    names = {c.key: c.en for c in out.settings.categories}
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td><span class="dot"[^>]*></span>([^<]+) <span', html)
    assert [(int(o), html_mod.unescape(n.strip())) for o, n in rows] == [(int(o), names[c]) for o, c in
                                                      zip(plan["order"], plan["category"], strict=True)]
    for site in plan["site"]:
        assert f"<td>{site}</td>" in html
    s = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert f"{s['baseline_score']:.3f}" in html and f"{s['achieved_score']:.3f}" in html
    assert s["bound_means"] in html


def test_cells_before_and_after_give_the_park_scores(outdir):
    out = read_outputs(outdir)
    target = out.summary.life_convenience_score_workers + 0.04
    r = make_plan(outdir, target, categories=["dining", "groceries"], outputs=out)
    c = r.cells
    assert c["weight"].sum() == pytest.approx(1.0)
    assert (c["weight"] * c["score_before"]).sum() == pytest.approx(r.summary["baseline_score"], abs=1e-9)
    assert (c["weight"] * c["score_after"]).sum() == pytest.approx(r.summary["achieved_score"], abs=1e-9)
    assert (c["score_after"] >= c["score_before"] - 1e-12).all()
    assert (c["score_after"] > c["score_before"]).any()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "10.5"], "above 10"),
        (["--target", "0.1"], "not above"),
        (["--target", "9.9", "--categories", "dining,dinner"], "Unknown category dinner"),
        (["--target", "9.9", "--candidates", "FAR"], "candidate set is empty"),
        (["--target", "9.9", "--candidates", "BADCAT"], "unknown category cinema"),
    ],
)
def test_bad_input_is_exit_2_and_writes_nothing(outdir, tmp_path, capsys, args, message):
    far = tmp_path / "far.csv"
    pd.DataFrame({"lon": [2.35, 2.36], "lat": [48.85, 48.86]}).to_csv(far, index=False)  # Paris
    badcat = tmp_path / "badcat.csv"
    pd.DataFrame({"lon": [1.53], "lat": [42.507], "category": ["cinema"]}).to_csv(badcat, index=False)
    args = [{"FAR": str(far), "BADCAT": str(badcat)}.get(a, a) for a in args]
    code = main(["plan", str(outdir), *args, "-o", str(tmp_path / "p")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_unreachable_target_says_so_with_the_best_reachable_score(outdir, tmp_path, capsys):
    sites = tmp_path / "two.csv"
    nodes = pd.read_parquet(outdir / "nodes.parquet")
    pd.DataFrame({"lon": nodes["lon"].iloc[[10, 500]], "lat": nodes["lat"].iloc[[10, 500]]}).to_csv(
        sites, index=False)
    code = main(["plan", str(outdir), "--target", "9.9", "--categories", "pharmacy", "--candidates",
                 str(sites), "-o", str(tmp_path / "p")])
    assert code == 0
    s = json.loads((tmp_path / "p" / "summary.json").read_text())
    assert s["reached"] is False and s["best_reachable_score"] == s["achieved_score"] < 9.9
    assert s["bound"] is None and "no choice" in s["bound_means"]
    assert s["additions"] <= 2
    assert "cannot be reached" in capsys.readouterr().err


def test_budget_with_costs_and_capacity(outdir, tmp_path):
    nodes = pd.read_parquet(outdir / "nodes.parquet")
    rng = np.random.default_rng(3)
    pick = rng.choice(np.nonzero(nodes["node_id"].to_numpy() >= 0)[0], 30, replace=False)
    sites = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"id": [f"s{i}" for i in range(30)], "cost": rng.integers(1, 5, 30).astype(float),
                      "max_additions": 1},
                     geometry=gpd.points_from_xy(nodes["lon"].iloc[pick], nodes["lat"].iloc[pick]),
                     crs=4326).to_file(sites)
    r = make_plan(outdir, 9.9, categories=["dining", "groceries"], candidates=sites, budget=6)
    s = r.summary
    assert s["mode"] == "budget" and s["budget_counts"] == "cost" and s["total_cost"] <= 6
    assert len(set(r.additions["site"])) == len(r.additions)  # one addition per site
    assert s["achieved_score"] <= s["bound"] + 1e-9


def test_exact_and_greedy_agree_within_the_stated_bound(outdir):
    out = read_outputs(outdir)
    demand = park_demand(out, "workers")
    model = ScoreModel.from_settings(out.settings)
    points = plan_mod.candidate_points(out, "grid")
    sites = plan_mod.snap_sites(out, points, out.summary.area.crs)
    keep = np.random.default_rng(0).choice(sites.node.size, 12, replace=False)
    graph = plan_mod.network_matrix(out.network, out.nodes["node_id"].to_numpy())
    credit, _ = plan_mod.site_credits(graph, sites.node[keep], demand.nodes, model)
    dist = plan_mod.distances(out.nodes, out.settings)
    existing = {c: model.credit(v[demand.nodes]) for c, v in dist.items()}
    cats = [model.categories.index(c) for c in ("dining", "groceries", "healthcare")]
    problem = PlanProblem(model, demand.weight, existing, credit, np.repeat(np.arange(12), 3),
                          np.tile(cats, 12))
    for n in (1, 3):
        g, e = greedy(problem, max_items=n), exact(problem, max_items=n)
        assert g.value <= e.value + 1e-9
        assert e.value <= g.bound + 1e-9
        assert e.bound == pytest.approx(e.value)
        assert g.value - g.baseline >= (1 - 1 / np.e) * (e.value - e.baseline) - 1e-9
    target = problem.value() + 0.8 * (e.value - problem.value())
    g, e = greedy(problem, target=target), exact(problem, target=target)
    assert g.reached and e.reached
    assert g.bound <= len(e.items) <= len(g.items)


def test_increasing_rank_weights_are_flagged(outdir):
    out = read_outputs(outdir)
    cats = tuple(replace(c, rank_weights=(0.2, 1.0)) if c.key == "dining" else c
                 for c in out.settings.categories)
    model = ScoreModel.from_settings(replace(out.settings, categories=cats))
    assert model.increasing_ranks() == ["dining"]
    cost = np.array([[100.0, 300.0], [900.0, 50.0]])
    problem = PlanProblem.from_cost_matrix(cost, np.array([0.5, 0.5]), model, categories=["dining"])
    assert greedy(problem, max_items=1).bound is None  # no guarantee, no bound
    with pytest.raises(InputError, match="do not increase"):
        exact(problem, max_items=1)


def test_solver_matches_cover_in_the_covering_case():
    """One category, k = 1, full credit within the radius (decay starts just below it): the score is the
    covered share, and the best p additions cover what cover() covers."""
    rng = np.random.default_rng(5)
    cost = rng.uniform(0, 2000, (50, 8))
    w = rng.uniform(0, 1, 50)
    w /= w.sum()
    cat = Category("x", "x", "x", 1.0, (1.0,), ("a=b",))
    model = ScoreModel.from_settings(Settings(k=1, full_credit_m=800.0, max_distance_m=800.0 + 1e-9,
                                              categories=(cat,), decay="linear"))
    problem = PlanProblem.from_cost_matrix(cost, w, model)
    for p in (1, 2, 3):
        e = exact(problem, max_items=p)
        assert e.value / 10 == pytest.approx(cover(cost, w, 800.0, sites=p).covered, abs=1e-9)


def test_bench_rows_on_the_small_assessment(outdir):
    """bench/planning_solver.py's parts run and report what they measured (tiny sizes here)."""
    spec = importlib.util.spec_from_file_location("bench_planning_solver",
                                                  ROOT / "bench" / "planning_solver.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.scaling_rows(outdir, sizes=(20,)) + bench.gap_rows(outdir, sizes=(6,), budgets=(2,))
    a, b = rows
    assert a["sites"] == 20 and a["reached"] in (True, False) and 0 <= a["proven_gap"] <= 1
    assert b["greedy"] <= b["exact"] + 1e-9 <= b["greedy_bound"] + 2e-9 and b["gap_vs_exact"] >= 0
    line = bench.result_line(rows)
    assert line.startswith("RESULT extract=andorra sites=20 categories=4 ")
    assert "| sites |" in bench.markdown(rows)


def _plan_then_scenario(outdir: Path, tmp_path: Path, target: float, categories: str, candidates: str,
                        weights: str = "workers") -> tuple[dict, dict, pd.DataFrame]:
    """``parkscope plan`` to ``target``, then ``parkscope scenario`` with its plan.geojson: both summaries
    and the scenario's cells."""
    plandir, out2 = tmp_path / "plan", tmp_path / "after"
    assert main(["plan", str(outdir), "--target", f"{target:.12f}", "--categories", categories,
                 "--candidates", candidates, "--weights", weights, "-q", "-o", str(plandir)]) == 0
    assert main(["scenario", str(outdir), "--changes", str(plandir / "plan.geojson"), "--no-report", "-q",
                 "-o", str(out2)]) == 0
    return (json.loads((plandir / "summary.json").read_text()),
            json.loads((out2 / "summary.json").read_text()), pd.read_parquet(out2 / "cells.parquet"))


def _assert_the_scenario_gives_the_plans_score(plan: dict, after: dict, cells: pd.DataFrame) -> None:
    key, decimals = plan["score_key"], plan["score_decimals"]
    assert after[key] == pytest.approx(round(plan["achieved_score"], decimals), abs=1e-9)
    unrounded = weighted_park_score(cells["score"].to_numpy(), park_cell_weights(cells, plan["weights"]))
    assert unrounded == pytest.approx(plan["achieved_score"], abs=1e-9)
    applied = after["scenario"]["changes"]
    assert len(applied) == plan["additions"] and {c["action"] for c in applied} == {"add"}


@pytest.mark.parametrize(("categories", "candidates", "weights", "lift"),
                         [("dining,sports", "grid", "workers", 0.02),
                          ("dining,groceries,pharmacy,transit", "buildings", "workers", 0.05),
                          ("groceries,culture", "grid", "area", 0.25)])
def test_scenario_of_the_plan_gives_its_achieved_score(outdir, tmp_path, categories, candidates, weights,
                                                       lift):
    """INTERFACES.md: applying plan.geojson with `scenario` gives `achieved_score` (Andorra la Vella) — to the
    decimals summary.json keeps the key to (`score_decimals`: 2 for the area-weighted score)."""
    base = read_outputs(outdir).summary
    base = base.life_convenience_score_workers if weights == "workers" else base.life_convenience_score
    plan, after, cells = _plan_then_scenario(outdir, tmp_path, base + lift, categories, candidates, weights)
    assert plan["reached"] and plan["additions"] > 1
    assert plan["score_decimals"] == (2 if weights == "area" else 12)
    _assert_the_scenario_gives_the_plans_score(plan, after, cells)


def test_the_readme_story_on_the_demo_park(tmp_path):
    """README's worked example: the bundled Adlershof campus, its workers' score lifted by the story's
    categories (restaurants, a hotel, a sports hall, mini parks); the scenario reaches the plan's score."""
    outdir = tmp_path / "demo"
    assert main(["assess", str(ROOT / "src" / "parkscope" / "data" / "berlin-adlershof.osm.pbf"), "--park",
                 "Humboldt-Universität Campus Adlershof", "--buffer", "350", "--no-report", "-q",
                 "-o", str(outdir)]) == 0
    plan, after, cells = _plan_then_scenario(outdir, tmp_path, 8.35, "dining,lodging,sports,parks",
                                             "buildings")
    assert plan["baseline_score"] == pytest.approx(8.227755343916, abs=1e-9)
    assert plan["reached"] and plan["additions"] == 5 and plan["bound"] == 2
    assert plan["achieved_score"] == pytest.approx(8.356053094356, abs=1e-9)
    assert plan["cautions"] == []  # every layer of the demo is ok
    _assert_the_scenario_gives_the_plans_score(plan, after, cells)


@pytest.fixture(scope="module")
def porto_outdir(osm_dir, tmp_path_factory):
    """A Porto park whose walk network and jobs the assessment finds thin (its buffer reaches past
    the extract's data)."""
    out = tmp_path_factory.mktemp("porto") / "out"
    assert main(["assess", str(osm_dir / "porto.osm.pbf"), "--park", "Real Companhia Velha",
                 "--buffer", "1000", "--no-report", "-q", "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize("weights", ["workers", "area"])
def test_a_plan_on_thin_or_missing_layers_says_so(porto_outdir, weights):
    """The layers the plan rests on (network, amenities, and jobs / residents for their weights) that
    the assessment found thin or missing are named in the plan's cautions, with their reasons."""
    out = read_outputs(porto_outdir)
    quality = out.summary.data_quality
    not_ok = {layer for layer in PLAN_LAYERS[weights] if quality[layer].status != "ok"}
    assert "network" in not_ok
    target = getattr(out.summary, SCORE_KEYS[weights]) + 0.05
    plan = make_plan(porto_outdir, target, categories=["dining"], candidates="grid", weights=weights,
                     outputs=out)
    s = plan.summary
    named = {c.split(" ", 1)[0] for c in s["cautions"]}
    assert named == not_ok
    for caution in s["cautions"]:
        layer, status = caution.split(" ", 2)[:2]
        assert status == quality[layer].status and quality[layer].reasons[0] in caution
