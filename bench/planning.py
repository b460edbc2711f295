"""Benchmark of planning: incremental vs full re-evaluation of a one-change scenario.

On the whole-Andorra assessment (``--bbox 1.40,42.42,1.79,42.66 --buffer 500``, the extent
tests/test_data_quality.py uses), one change (default: a new grocery in Andorra la Vella) is
applied to the kept stages and re-evaluated twice, without writing files: every stage after the
change on every node (``evaluate(..., incremental=False)``, the reference) and only what the change
reaches (``incremental=True``). Each is run ``--repeat`` times; the table gives the median seconds
per step, the speed-up and the largest difference between the two (nodes, cells: must be <= 1e-9;
summary.json: must be equal).

With ``--plan`` it also prints the plan part (``bench/planning_solver.py``: plan time for 100 and
1,000 candidate sites x 4 categories on whole Andorra, and the greedy's gap to the exact optimum)
with its own ``RESULT`` line, before the scenario's.

Prints a Markdown table and ends with one ``RESULT`` line (the scenario's).

Usage::

    python bench/planning.py [--change add|remove|floor|link] [--repeat 3]
                             [--extract FILE --bbox W,S,E,N --buffer M --at LON,LAT] [--plan]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from parkscope import assess  # noqa: E402
from parkscope.planning.apply import apply_changes  # noqa: E402
from parkscope.planning.changes import parse_changes  # noqa: E402
from parkscope.planning.scenario import evaluate, prepare_base  # noqa: E402
from parkscope.planning.state import Stages  # noqa: E402

EXTRACT = ROOT.parent / "shared" / "data" / "osm" / "andorra.osm.pbf"
BBOX = "1.40,42.42,1.79,42.66"
CHANGES = {
    "add": {"geometry": {"type": "Point", "coordinates": [1.5225, 42.5075]},
            "properties": {"action": "add", "category": "groceries"}},
    "remove": {"geometry": {"type": "Point", "coordinates": [1.5225, 42.5075]},
               "properties": {"action": "remove", "category": "dining"}},
    "floor": {"geometry": {"type": "Point", "coordinates": [1.5340, 42.5100]},
              "properties": {"action": "add", "use": "homes", "floor_area_m2": 8000}},
    "link": {"geometry": {"type": "LineString", "coordinates": [[1.5215, 42.5065], [1.5240, 42.5085]]},
             "properties": {"action": "add_link"}},
}


def stages(extract: Path = EXTRACT, bbox: str = BBOX, buffer_m: float = 500) -> Stages:
    """The assessment's stages (what `assess` keeps in OUTDIR); by default whole Andorra."""
    return assess(extract, bbox=bbox, buffer_m=buffer_m).stages


def moved(feature: dict, lon: float, lat: float) -> dict:
    """A change of :data:`CHANGES` moved to (lon, lat) (a line keeps its shape)."""
    geom = feature["geometry"]
    coords = geom["coordinates"]
    if geom["type"] == "Point":
        new = [lon, lat]
    else:
        dx, dy = lon - coords[0][0], lat - coords[0][1]
        new = [[x + dx, y + dy] for x, y in coords]
    return {**feature, "geometry": {"type": geom["type"], "coordinates": new}}


def max_difference(a, b) -> float:
    """Largest absolute difference of the numbers of nodes and cells (inf if NaNs disagree)."""
    worst = 0.0
    for x, y in ((a.sc.nodes, b.sc.nodes), (a.dg.cells, b.dg.cells)):
        x = pd.DataFrame(x.drop(columns="geometry")).select_dtypes(include=[np.number, bool]).to_numpy(float)
        y = pd.DataFrame(y.drop(columns="geometry")).select_dtypes(include=[np.number, bool]).to_numpy(float)
        if x.shape != y.shape or not np.array_equal(np.isnan(x), np.isnan(y)):
            return float("inf")
        d = np.abs(np.nan_to_num(x) - np.nan_to_num(y))
        worst = max(worst, float(d.max()) if d.size else 0.0)
    return worst


def solver_part(work: Path | None = None) -> tuple[str, str]:
    """The plan part (bench/planning_solver.py): its tables (plan time and greedy gap against the
    number of candidates) and its RESULT line."""
    spec = importlib.util.spec_from_file_location("bench_planning_solver",
                                                  Path(__file__).with_name("planning_solver.py"))
    solver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(solver)
    rows = solver.solver_rows(work)
    return solver.markdown(rows), solver.result_line(rows)


def main(argv: list[str] | None = None) -> None:
    """Time both re-evaluations and print the table and the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--change", choices=sorted(CHANGES), default="add")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--extract", type=Path, default=EXTRACT, help="default: andorra.osm.pbf (whole)")
    ap.add_argument("--bbox", default=BBOX)
    ap.add_argument("--buffer", type=float, default=500.0)
    ap.add_argument("--at", help="LON,LAT where the change goes (default: in Andorra la Vella)")
    ap.add_argument("--plan", action="store_true",
                    help="also time `plan` (1,000 candidate sites x 4 categories on whole Andorra) and its "
                    "greedy's gap to the exact optimum (bench/planning_solver.py): a second table and "
                    "RESULT line before the scenario's")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    st = stages(args.extract, args.bbox, args.buffer)
    setup = time.perf_counter() - t
    feature = {"type": "Feature", **CHANGES[args.change]}
    if args.at:
        feature = moved(feature, *(float(v) for v in args.at.split(",")))
    changes = parse_changes({"features": [feature]}, st.req.settings.category_keys, st.req.area.analysis)
    applied = apply_changes(st, changes)
    t = time.perf_counter()
    base = prepare_base(st)  # derived once per kept assessment, reused by every scenario of it
    base_s = time.perf_counter() - t
    runs: dict[str, list] = {"full": [], "incremental": []}
    for _ in range(args.repeat):
        for name in runs:
            t = time.perf_counter()
            ev = evaluate(st, applied, incremental=name == "incremental", base=base)
            runs[name].append((time.perf_counter() - t, ev))
    med = {k: statistics.median(r[0] for r in v) for k, v in runs.items()}
    steps = sorted({step for v in runs.values() for r in v for step in r[1].timings})
    step_med = {k: {step: statistics.median(r[1].timings.get(step, 0.0) for r in v) for step in steps}
                for k, v in runs.items()}
    full, inc = runs["full"][-1][1], runs["incremental"][-1][1]
    diff = max_difference(full, inc)
    same_summary = full.summary == inc.summary
    name, n_nodes = args.extract.name.split(".")[0], st.walk.network.n_nodes
    print(f"{args.extract.name} ({args.bbox}): {n_nodes} nodes, {len(st.sc.cells)} cells; assessment "
          f"{setup:.1f} s; change: {args.change} ({applied.records[0]}); median of {args.repeat} runs.\n")
    print("| step | full_s | incremental_s |")
    print("| --- | --- | --- |")
    for step in steps:
        print(f"| {step} | {step_med['full'][step]:.3f} | {step_med['incremental'][step]:.3f} |")
    print(f"| **total (wall)** | **{med['full']:.3f}** | **{med['incremental']:.3f}** |")
    print(f"\nnodes recomputed: {inc.affected_nodes} of {st.walk.network.n_nodes}; cells whose scores were "
          f"recomputed: {inc.affected_cells} of {len(st.sc.cells)}; max |full - incremental| = {diff:.3g}; "
          f"summary.json equal: {same_summary}")
    print(f"derived once per OUTDIR (prepare_base, not in the totals above): {base_s:.3f} s; speed-up "
          f"with it counted in every run: {med['full'] / (med['incremental'] + base_s):.1f}x")
    if args.plan:
        table, line = solver_part()
        print("\nPlan (bench/planning_solver.py):\n")
        print(table)
        print(line)
    print(f"re-running the whole assessment from the extract (what `assess` on changed inputs costs: "
          f"reading, walk network and every stage) took {setup:.3f} s: {setup / med['incremental']:.1f}x "
          f"the incremental re-evaluation")
    print(f"RESULT extract={name} change={args.change} nodes={n_nodes} "
          f"full_s={med['full']:.3f} incremental_s={med['incremental']:.3f} base_s={base_s:.3f} "
          f"speedup={med['full'] / med['incremental']:.1f} assess_s={setup:.3f} "
          f"speedup_vs_assess={setup / med['incremental']:.1f} max_abs_diff={diff:.3g} "
          f"summary_equal={same_summary} nodes_recomputed={inc.affected_nodes}")


if __name__ == "__main__":
    main()
