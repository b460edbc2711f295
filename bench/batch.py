"""Benchmark: ``parkscope batch`` with 0 (in this process), 1 and 2 Dask worker processes.

Assesses the same parks of one extract (default: eight town centres of Andorra, default buffer)
once per worker count, into a fresh BATCHDIR each time, and times separately

* ``startup_s``: starting the ``LocalCluster`` and importing parkscope in its workers (paid once
  per batch);
* ``parks_s``: ``run_batch`` itself, from the first park submitted to ranking.csv written.

``speedup`` is ``parks_s`` of 1 worker over that of 2. It also checks that every park's
summary.json is byte-identical across the worker counts. The machine's load average is printed
with the table: on a shared machine, other work takes cores from the workers.

Usage::

    python bench/batch.py [--extract ../shared/data/osm/andorra.osm.pbf] [--parks PARKS.csv]
                          [--workers 0,1,2]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_EXTRACT = ROOT.parent / "shared" / "data" / "osm" / "andorra.osm.pbf"
#: Eight town centres of Andorra (about 500 m x 300 m each; the default 2000 m buffer around them).
ANDORRA_PARKS = """name,bbox
Andorra la Vella,"1.5275,42.5065,1.5335,42.5095"
Escaldes-Engordany,"1.5355,42.5075,1.5415,42.5105"
Santa Coloma,"1.4955,42.4925,1.5015,42.4955"
Encamp,"1.5775,42.5325,1.5835,42.5355"
Sant Julià de Lòria,"1.4885,42.4615,1.4945,42.4645"
La Massana,"1.5115,42.5425,1.5175,42.5455"
Ordino,"1.5305,42.5545,1.5365,42.5575"
Canillo,"1.5955,42.5645,1.6015,42.5675"
"""


def _run(extract: Path, parks: Path, workers: int, out: Path) -> dict[str, float]:
    from parkscope.batch import local_client, run_batch

    if workers == 0:
        t0 = time.perf_counter()
        result = run_batch(extract, parks, out, workers=0, report=False)
        return {"startup_s": 0.0, "parks_s": time.perf_counter() - t0, "failed": len(result.failed)}
    t0 = time.perf_counter()
    with local_client(workers) as client:
        client.run(importlib.import_module, "parkscope.batch")  # what the first park would pay
        startup = time.perf_counter() - t0
        t1 = time.perf_counter()
        result = run_batch(extract, parks, out, client=client, report=False)
        return {"startup_s": startup, "parks_s": time.perf_counter() - t1, "failed": len(result.failed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract", type=Path, default=DEFAULT_EXTRACT)
    parser.add_argument("--parks", type=Path, help="PARKS.csv [default: eight town centres of Andorra]")
    parser.add_argument("--workers", default="0,1,2", help="comma-separated worker counts")
    args = parser.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="parkscope-bench-batch-") as tmp:
        parks = args.parks
        if parks is None:
            parks = Path(tmp) / "parks.csv"
            parks.write_text(ANDORRA_PARKS, encoding="utf-8")
        import parkscope.batch  # noqa: F401  (the in-process run pays no import)

        rows, summaries = {}, {}
        load = os.getloadavg()[0]
        for w in counts:
            out = Path(tmp) / f"w{w}"
            rows[w] = _run(args.extract, parks, w, out)
            summaries[w] = {p.name: (p / "summary.json").read_bytes() for p in out.iterdir() if p.is_dir()}
        n = len(next(iter(summaries.values())))
        identical = all(s == summaries[counts[0]] for s in summaries.values())
    print(f"parkscope batch: {n} parks of {args.extract.name}, load average {load:.1f} on {os.cpu_count()} "
          "CPUs at the start\n")
    print("| workers | startup_s | parks_s | s_per_park | failed |")
    print("| --- | --- | --- | --- | --- |")
    for w, r in rows.items():
        print(f"| {w} | {r['startup_s']:.1f} | {r['parks_s']:.1f} | {r['parks_s'] / n:.2f} | {r['failed']} |")
    speed = ""
    if 1 in rows and 2 in rows:
        speed = f" speedup_2_vs_1={rows[1]['parks_s'] / rows[2]['parks_s']:.2f}"
    times = " ".join(f"w{w}_parks_s={r['parks_s']:.1f} w{w}_startup_s={r['startup_s']:.1f}"
                     for w, r in rows.items())
    print(f"\nRESULT extract={args.extract.name.split('.')[0]} parks={n} {times}{speed} "
          f"identical_summaries={str(identical).lower()} load={load:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
