"""Benchmark of the planning solver (``parkscope plan``): plan time and the greedy's gap vs candidates.

(a) Whole Andorra (``andorra.osm.pbf``, bbox 1.40,42.42,1.79,42.66, buffer 500 m; the employees'
score): for 100 … 1,000 candidate sites (a seeded sample of the buildings) x 4 categories (dining,
groceries, healthcare, pharmacy), the time of a whole ``make_plan`` (read the outputs, Dijkstra from
every site, lazy greedy, the score recomputed with the additions) for the fewest additions to
baseline + 0.3, and for the best 10 additions with the upper bound the run proves (proven gap =
(bound - greedy) / (bound - baseline), in gain).

(b) Andorra la Vella (bbox 1.515,42.500,1.545,42.515, buffer 600 m), where the exact MILP fits: the
greedy against the HiGHS optimum for 10 … 40 sites x 4 categories and 3 or 5 additions (gap in gain:
(exact - greedy) / (exact - baseline)).

The lead's bench/planning.py calls :func:`solver_rows`. Usage::

    python bench/planning_solver.py [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from parkscope import assess  # noqa: E402
from parkscope.planning.plan import make_plan, read_outputs  # noqa: E402

OSM = ROOT.parent / "shared" / "data" / "osm" / "andorra.osm.pbf"
WHOLE = ("1.40,42.42,1.79,42.66", 500.0)
SMALL = ("1.515,42.500,1.545,42.515", 600.0)
CATEGORIES = ["dining", "groceries", "healthcare", "pharmacy"]


def assessment(work: Path, name: str, bbox: str, buffer_m: float) -> Path:
    """An assess OUTDIR under ``work`` (made once, kept)."""
    out = work / name
    if not (out / "summary.json").is_file():
        assess(OSM, bbox=bbox, buffer_m=buffer_m).write(out, report=False, overwrite=True)
    return out


def scaling_rows(outdir: Path, sizes: tuple[int, ...] = (100, 250, 500, 1000)) -> list[dict]:
    """Part (a): plan time and proven gap vs the number of candidate sites."""
    out = read_outputs(outdir)
    base = out.summary.life_convenience_score_workers
    rows = []
    for n in sizes:
        t = time.perf_counter()
        r = make_plan(outdir, base + 0.3, categories=CATEGORIES, candidates="buildings", outputs=out,
                      max_sites=n)
        target_s = time.perf_counter() - t
        t = time.perf_counter()
        b = make_plan(outdir, 10.0, categories=CATEGORIES, candidates="buildings", outputs=out, max_sites=n,
                      budget=10)
        budget_s = time.perf_counter() - t
        s, sb = r.summary, b.summary
        rows.append({
            "part": "a", "extract": "andorra", "sites": s["candidate_sites"], "categories": len(CATEGORIES),
            "baseline": round(base, 4), "target": round(base + 0.3, 4),
            "additions": s["additions"], "reached": s["reached"], "count_bound": s["bound"],
            "target_plan_s": round(target_s, 2), "dijkstra_s": round(r.timings["distances_s"], 2),
            "greedy_s": round(r.timings["solve_s"], 2),
            "best10_score": round(sb["achieved_score"], 4), "best10_bound": round(sb["bound"], 4),
            "proven_gap": round((sb["bound"] - sb["achieved_score"]) / (sb["bound"] - base), 4),
            "budget_plan_s": round(budget_s, 2),
        })
    return rows


def gap_rows(
    outdir: Path, sizes: tuple[int, ...] = (10, 20, 40), budgets: tuple[int, ...] = (3, 5)
) -> list[dict]:
    """Part (b): greedy against the exact optimum where the MILP fits."""
    out = read_outputs(outdir)
    base = out.summary.life_convenience_score_workers
    rows = []
    for n in sizes:
        for k in budgets:
            same = {"categories": CATEGORIES, "candidates": "buildings", "outputs": out, "max_sites": n,
                    "budget": k, "seed": 1}
            g = make_plan(outdir, 10.0, **same)
            t = time.perf_counter()
            e = make_plan(outdir, 10.0, method="exact", **same)
            exact_s = time.perf_counter() - t
            gv, ev = g.summary["achieved_score"], e.summary["achieved_score"]
            rows.append({
                "part": "b", "extract": "andorra-la-vella", "sites": g.summary["candidate_sites"],
                "categories": len(CATEGORIES), "additions": k, "baseline": round(base, 4),
                "greedy": round(gv, 6), "exact": round(ev, 6), "greedy_bound": round(g.summary["bound"], 6),
                "gap_vs_exact": round((ev - gv) / (ev - base), 5) if ev > base else 0.0,
                "greedy_s": round(g.timings["total_s"], 2), "exact_s": round(exact_s, 2),
            })
    return rows


def solver_rows(work: Path | None = None) -> list[dict]:
    """Both parts' rows (the assessments are made under ``work``, a temporary folder by default)."""
    work = Path(work or tempfile.mkdtemp(prefix="parkscope-bench-plan-"))
    whole = assessment(work, "andorra", *WHOLE)
    small = assessment(work, "andorra-la-vella", *SMALL)
    return scaling_rows(whole) + gap_rows(small)


def markdown(rows: list[dict]) -> str:
    """One Markdown table per part."""
    out = []
    for part in ("a", "b"):
        sub = [r for r in rows if r["part"] == part]
        if not sub:
            continue
        cols = [c for c in sub[0] if c != "part"]
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "---|" * len(cols))
        out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in sub]
        out.append("")
    return "\n".join(out)


def result_line(rows: list[dict]) -> str:
    """RESULT: the 1,000-site plan time on whole Andorra and the largest gap against the exact optimum."""
    a = max((r for r in rows if r["part"] == "a"), key=lambda r: r["sites"])
    gaps = [r["gap_vs_exact"] for r in rows if r["part"] == "b"]
    return (f"RESULT extract=andorra sites={a['sites']} categories={a['categories']} "
            f"plan_s={a['target_plan_s']} additions={a['additions']} count_bound={a['count_bound']} "
            f"best10_proven_gap={a['proven_gap']} max_gap_vs_exact={max(gaps) if gaps else 'na'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--work", type=Path, default=None, help="Folder for the assessments (kept).")
    args = p.parse_args(argv)
    rows = solver_rows(args.work)
    print(markdown(rows))
    print(result_line(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
