"""Benchmark the OSM ingest engines on every extract in ../shared/data/osm; prints Markdown tables.

What is timed, per file (each run in a fresh subprocess, so peak memory is that run's own):

- **pyosmium** — ``parkscope.inputs.osm.read_extract(path)``: every highway way with its tags, node ids and
  node locations, plus the features (nodes, ways and multipolygons with amenity/shop/leisure/... keys,
  bus stops) with geometries. Reads PBF and OSM XML (.osm, .osm.gz).
- **pyrosm** — ``OSM(path).get_network("walking")`` + ``get_data_by_custom_criteria`` with the same
  feature keys (nodes, ways, relations). PBF only. Its result cache is cleared before each run.
- **quackosm** — ``convert_pbf_to_geodataframe`` with ``highway`` and the feature keys. PBF only. It
  needs DuckDB's ``spatial`` extension, which it downloads at run time; offline, install
  ``duckdb==1.4.4 duckdb-ext-spatial`` and this script installs the extension from that wheel.

Then the memory of ``read_extract`` with a small bbox against the whole file (andorra.osm.pbf, and with
``--synthetic N,M`` extracts made of N (M) shifted copies of Andorra, to see how memory grows with the
file; they are written once to the temp folder).

Usage::

    pip install pyrosm psutil quackosm "duckdb==1.4.4" duckdb-ext-spatial   # measurement only
    python bench/ingest_engines.py [--data DIR] [--engines pyosmium,pyrosm,quackosm] [--repeat 3]
                                   [--synthetic 8,24,48]

Seconds are wall-clock for the read alone (imports excluded); "peak" is the process's peak resident
set size (``ru_maxrss``, children included for quackosm's worker processes); "anon" is the peak of
anonymous memory (heap; sampled every 2 ms from /proc/self/status), which leaves out file pages such
as the memory-mapped node location index that the kernel may drop at will.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "osm"
ANDORRA_BBOX = (1.52, 42.50, 1.54, 42.52)  # Andorra la Vella, about 1.6 x 2.2 km
FEATURE_KEYS = ("amenity", "shop", "leisure", "office", "tourism", "public_transport", "railway",
                "building", "landuse", "natural", "healthcare", "craft", "sport", "historic",
                "man_made", "emergency")


# ------------------------------------------------------------------------------------------------
# Worker: one measurement in this process, printed as one JSON line
# ------------------------------------------------------------------------------------------------

class _AnonSampler:
    """Peak RssAnon of this process, sampled in a thread."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _anon_kb() -> int:
        try:
            with open("/proc/self/status") as fh:
                for line in fh:
                    if line.startswith("RssAnon:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kb = max(self.peak_kb, self._anon_kb())
            time.sleep(0.002)

    def __enter__(self) -> _AnonSampler:
        self.base_kb = self._anon_kb()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_kb = max(self.peak_kb, self._anon_kb())


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _ensure_duckdb_spatial() -> None:
    """Install DuckDB's spatial extension from the duckdb-ext-spatial wheel when it is there (offline)."""
    import importlib.util

    import duckdb

    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        return
    for root in spec.submodule_search_locations:
        for ext in Path(root).glob(f"extensions/v{duckdb.__version__}/*/spatial.duckdb_extension"):
            duckdb.sql(f"INSTALL '{ext}'")
            return


def worker(engine: str, path: str, bbox: tuple[float, float, float, float] | None, sample: bool) -> dict:
    if engine == "pyosmium":
        from parkscope.inputs.osm import read_extract

        def run() -> str:
            x = read_extract(path, bbox)
            return f"{len(x.highways)} highways, {len(x.features)} features"
    elif engine == "pyrosm":
        import warnings

        import pyrosm
        warnings.filterwarnings("ignore")

        # pyrosm's default out-of-core engine caches results on disk (<tempdir>/pyrosm/cache):
        # clear it, or every run after the first would time a cache hit
        pyrosm.OSM.clear_cache(path)

        def run() -> str:
            osm = pyrosm.OSM(path, bounding_box=list(bbox) if bbox else None)
            net = osm.get_network("walking")
            feats = osm.get_data_by_custom_criteria(
                custom_filter={k: True for k in FEATURE_KEYS}, filter_type="keep",
                keep_nodes=True, keep_ways=True, keep_relations=True)
            n_net = 0 if net is None else len(net)
            return f"{n_net} walk ways, {0 if feats is None else len(feats)} features"
    elif engine == "quackosm":
        import quackosm
        _ensure_duckdb_spatial()
        tmp = tempfile.mkdtemp(prefix="quackosm-")

        def run() -> str:
            gdf = quackosm.convert_pbf_to_geodataframe(
                path, tags_filter={"highway": True, **{k: True for k in FEATURE_KEYS}},
                working_directory=tmp, verbosity_mode="silent", ignore_cache=True)
            return f"{len(gdf)} objects"
    else:
        raise SystemExit(f"unknown engine {engine}")
    base = _rss_mb()
    anon = _AnonSampler()
    if sample:  # the sampling thread costs a little time: only for the memory table
        with anon:
            t0 = time.perf_counter()
            what = run()
            seconds = time.perf_counter() - t0
    else:
        anon.base_kb = 0
        t0 = time.perf_counter()
        what = run()
        seconds = time.perf_counter() - t0
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"seconds": seconds, "peak_mb": peak_kb / 1024, "base_mb": base,
            "anon_peak_mb": anon.peak_kb / 1024, "anon_base_mb": anon.base_kb / 1024, "what": what}


# ------------------------------------------------------------------------------------------------
# Driver
# ------------------------------------------------------------------------------------------------

def measure(engine: str, path: Path, bbox: tuple[float, float, float, float] | None = None,
            sample: bool = False, timeout: float = 900) -> dict:
    cmd = [sys.executable, __file__, "--worker", engine, str(path)] + (["--sample"] if sample else [])
    if bbox:
        cmd += ["--bbox", ",".join(map(str, bbox))]
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": tail[:160]}


def make_synthetic(n: int, out: Path) -> Path:
    """An extract of ``n`` copies of Andorra, each shifted 0.5 degrees east, ids offset by 1e10 each."""
    import osmium

    if out.exists():
        return out
    src = str(DATA / "andorra.osm.pbf")
    off, dx = 10**10, 0.5
    writer = osmium.SimpleWriter(str(out), overwrite=True)
    try:
        for kind in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            for k in range(n):
                o_off = k * off
                for o in osmium.FileProcessor(src, kind):
                    if o.is_node():
                        loc = o.location
                        xy = (loc.lon + k * dx, loc.lat) if loc.valid() else None
                        writer.add_node(o.replace(id=o.id + o_off, location=xy))
                    elif o.is_way():
                        writer.add_way(o.replace(id=o.id + o_off, nodes=[r.ref + o_off for r in o.nodes]))
                    else:
                        writer.add_relation(o.replace(id=o.id + o_off, members=[
                            (m.type, m.ref + o_off, m.role) for m in o.members]))
    finally:
        writer.close()
    return out


def _cell(r: dict) -> str:
    if "error" in r:
        return f"fails: {r['error']}"
    return f"{r['seconds']:.2f} s / {r['peak_mb']:.0f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--engines", default="pyosmium,pyrosm,quackosm")
    ap.add_argument("--synthetic", default="", help="also measure N tiled copies of Andorra (e.g. 8,24,48)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per engine and file; the fastest is shown")
    ap.add_argument("--worker", nargs=2, metavar=("ENGINE", "FILE"), help=argparse.SUPPRESS)
    ap.add_argument("--bbox", help=argparse.SUPPRESS)
    ap.add_argument("--sample", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        bbox = tuple(float(v) for v in args.bbox.split(",")) if args.bbox else None
        print(json.dumps(worker(args.worker[0], args.worker[1], bbox, args.sample)))  # noqa: T201
        return
    if not args.data.is_dir():
        raise SystemExit(f"{args.data} is missing: the benchmark reads the real extracts in shared/data/osm")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    files = sorted(p for p in args.data.iterdir() if p.name.endswith((".pbf", ".osm", ".osm.gz", ".osm.bz2")))
    print(f"Ingest engines: seconds (fastest of {args.repeat}) / peak RSS, whole file, "
          f"{os.cpu_count()} cores\n")  # noqa: T201
    print("| file | size MB | " + " | ".join(engines) + " |")  # noqa: T201
    print("| --- | ---: | " + " | ".join("---:" for _ in engines) + " |", flush=True)  # noqa: T201
    for path in files:
        cells = []
        for engine in engines:
            if engine != "pyosmium" and not path.name.endswith(".pbf"):
                cells.append("n/a (PBF only)")
                continue
            runs = [measure(engine, path) for _ in range(max(1, args.repeat))]
            ok = [r for r in runs if "error" not in r]
            cells.append(_cell(min(ok, key=lambda r: r["seconds"]) if ok else runs[0]))
        size = path.stat().st_size / 1e6
        print(f"| {path.name} | {size:.1f} | " + " | ".join(cells) + " |", flush=True)  # noqa: T201

    print("\nMemory of read_extract: whole file vs a small bbox "  # noqa: T201
          f"({','.join(map(str, ANDORRA_BBOX))}, Andorra la Vella)\n")
    print("| file | read | seconds | peak RSS MB | RSS before MB | peak anon MB | anon before MB | result |")  # noqa: T201
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |", flush=True)  # noqa: T201
    targets = [args.data / "andorra.osm.pbf"]
    for n in (int(v) for v in args.synthetic.split(",") if v.strip()):
        targets.append(make_synthetic(n, Path(tempfile.gettempdir()) / f"parkscope-andorra-x{n}.osm.pbf"))
    mem_engines = [e for e in ("pyosmium", "pyrosm") if e in engines]
    for path in targets:
        for engine in mem_engines:
            for label, bbox in (("whole file", None), ("bbox", ANDORRA_BBOX)):
                r = measure(engine, path, bbox, sample=True)
                if "error" in r:
                    print(f"| {path.name} | {engine} {label} | fails: {r['error']} | | | | | |")  # noqa: T201
                    continue
                print(f"| {path.name} ({path.stat().st_size / 1e6:.0f} MB) | {engine} {label} | "  # noqa: T201
                      f"{r['seconds']:.2f} | {r['peak_mb']:.0f} | {r['base_mb']:.0f} | "
                      f"{r['anon_peak_mb']:.0f} | {r['anon_base_mb']:.0f} | {r['what']} |", flush=True)


if __name__ == "__main__":
    main()
