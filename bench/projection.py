"""Engine of `parkscope project`: PySD running the XMILE file vs the same equations in plain NumPy.

Monte-Carlo runs of data/projection.xmile (uniform draws of the uncertain parameters, seeded) from a
perturbed start (amenities +50 %, jobs -10 %), once through PySD (what parkscope runs) and once
through a hand-written NumPy Euler integration of the same equations vectorised over the runs.
Prints the times, the largest relative difference of any stock in any year (the two must agree:
this is also a check of PySD's translation of the file), the time of one calibration, and a RESULT
line. The reference state is the model file's own defaults unless --outdir gives an assessment.

    python bench/projection.py [--runs 200] [--years 10] [--seed 0] [--outdir OUTDIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from parkscope.planning.projection import (
    STOCKS,
    StockState,
    _reference_constants,
    calibrate,
    load_model,
    read_panel,
    simulate,
    state_from_outdir,
    uncertain_ranges,
)


def numpy_loop(p: Mapping[str, np.ndarray | float], years: int, dt: float) -> np.ndarray:
    """The equations of data/projection.xmile, Euler, vectorised over runs: (runs, years + 1, stocks)."""
    runs = max(np.size(v) for v in p.values())
    s = {k: np.full(runs, float(0)) + p[f"initial_{k}"] for k in STOCKS}
    out = np.empty((runs, years + 1, len(STOCKS)))
    steps_per_year = round(1 / dt)
    amenity_job_share = np.minimum(1, p["jobs_per_amenity"] * p["reference_amenities"] / p["reference_jobs"])
    job_linked_share = np.minimum(
        1, p["local_worker_share"] * p["persons_per_worker"] * p["reference_jobs"] / p["reference_residents"]
    )
    ref_spending = (p["reference_residents"] * p["resident_local_spending"]
                    + p["reference_jobs"] * p["worker_local_spending"])
    sales_per_amenity = ref_spending / p["reference_amenities"]
    ref_level = ((p["reference_amenities"] + p["reference_public_amenities"])
                 / (p["reference_residents"] + p["reference_jobs"]))
    for step in range(years * steps_per_year + 1):
        if step % steps_per_year == 0:
            out[:, step // steps_per_year] = np.stack([s[k] for k in STOCKS], axis=1)
        level = (s["amenities"] + p["public_amenities"]) / (s["residents"] + s["jobs"])
        talent = (level / ref_level) ** p["amenity_elasticity"]
        job_capacity = p["reference_jobs"] * ((1 - amenity_job_share) * s["workplace_floor"]
                                              / p["reference_workplace_floor"]
                                              + amenity_job_share * s["amenities"] / p["reference_amenities"])
        demand = p["reference_residents"] * ((1 - job_linked_share) + job_linked_share * s["jobs"]
                                             / p["reference_jobs"]) * talent
        capacity = p["reference_residents"] * s["housing_floor"] / p["reference_housing_floor"]
        spending = s["residents"] * p["resident_local_spending"] + s["jobs"] * p["worker_local_spending"]
        flows = {
            "workplace_floor": s["workplace_floor"] * (p["industry_growth_rate"]
                                                       + p["industry_response_rate"] * (talent - 1)),
            "jobs": (job_capacity - s["jobs"]) / p["job_adjustment_time"],
            "housing_floor": s["housing_floor"] * p["housing_response_rate"] * (demand / capacity - 1),
            "residents": (np.minimum(demand, capacity) - s["residents"]) / p["resident_adjustment_time"],
            "amenities": (spending / sales_per_amenity - s["amenities"]) / p["amenity_adjustment_time"],
        }
        s = {k: s[k] + dt * flows[k] for k in STOCKS}
    return out


def markdown_table(frame: pd.DataFrame) -> str:
    """A Markdown table of ``frame`` (pandas' own needs the optional ``tabulate``)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + " --- |" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--outdir", help="an assess OUTDIR for the reference state (default: the file's)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    model = load_model()
    load_s = time.perf_counter() - t0
    base = dict(model.constants)
    if args.outdir:
        ref, _ = state_from_outdir(args.outdir)
        base.update(_reference_constants(ref))
        base.update({f"initial_{k}": v for k, v in ref.values().items()})
    base["initial_amenities"] = base["reference_amenities"] * 1.5
    base["initial_jobs"] = base["reference_jobs"] * 0.9
    rng = np.random.default_rng(args.seed)
    ranges = uncertain_ranges()
    draws = {k: rng.uniform(lo, hi, size=args.runs) for k, (lo, hi) in sorted(ranges.items())}

    t0 = time.perf_counter()
    pysd_cube = np.stack([
        simulate(model, {**base, **{k: float(v[i]) for k, v in draws.items()}}, args.years).to_numpy()
        for i in range(args.runs)
    ])
    pysd_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    np_cube = numpy_loop({**base, **draws}, args.years, model.dt)
    numpy_s = time.perf_counter() - t0
    max_rel = float(np.max(np.abs(np_cube - pysd_cube) / np.abs(pysd_cube)))

    true = {"industry_growth_rate": 0.03, "amenity_elasticity": 0.6, "amenity_adjustment_time": 3.0}
    panel = simulate(model, {**base, **true}, 12, columns=["jobs", "residents", "amenities"])
    panel = panel.reset_index(drop=True)
    panel.insert(0, "year", 2011 + np.arange(len(panel)))
    ref_state = StockState(*(base[f"reference_{k}"] for k in STOCKS), base["reference_public_amenities"])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "panel.csv"
        panel.to_csv(path, index=False)
        t0 = time.perf_counter()
        cal = calibrate(model, read_panel(path), {k: v for k, v in base.items() if k not in true}, ref_state)
    cal_s = time.perf_counter() - t0
    cal_err = max(abs(cal.params[k] / v - 1) for k, v in true.items())

    rows = pd.DataFrame([
        {"engine": "PySD (XMILE file)", "load_s": round(load_s, 3), "mc_s": round(pysd_s, 3),
         "per_run_ms": round(1000 * pysd_s / args.runs, 2)},
        {"engine": "NumPy (same equations, vectorised)", "load_s": 0.0, "mc_s": round(numpy_s, 4),
         "per_run_ms": round(1000 * numpy_s / args.runs, 4)},
    ])
    print(f"Monte-Carlo: {args.runs} runs x {args.years} years, dt = {model.dt}\n")
    print(markdown_table(rows))
    print(f"\nmax relative difference PySD vs NumPy, any stock, any year: {max_rel:.2e}")
    print(f"calibration (3 parameters, 13-year panel of 3 series): {cal_s:.2f} s, {cal.nfev} evaluations, "
          f"largest relative parameter error {cal_err:.1e}")
    print(f"RESULT runs={args.runs} years={args.years} pysd_load_s={load_s:.3f} pysd_mc_s={pysd_s:.3f} "
          f"numpy_mc_s={numpy_s:.4f} speedup={pysd_s / numpy_s:.0f} max_rel_diff={max_rel:.1e} "
          f"calibration_s={cal_s:.2f} calibration_rel_err={cal_err:.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
