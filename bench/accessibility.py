"""Benchmark: parkscope's accessibility engine against pandana 0.8 (and cityseer) on real extracts.

For every extract: build the walking network and the amenities once with parkscope's own modules
(``read_extract``, ``build_walk_network``, ``locate_amenities``), then, side by side,

* ours: nearest-node join (``join_to_network(mode="node")``), CSR build and
  ``k_nearest_by_category`` for all taxonomy categories (k nearest, radius ``--max-distance``),
  offsets 0 — pandana's convention;
* pandana, timed two ways:

  - ``pandana_nearest_pois_s``: ``Network`` (contraction hierarchies) + ``set_pois`` (pandana
    snaps the amenity points to their nearest node itself) + ``nearest_pois`` per category — how
    pandana's users run a nearest-POI query, and its documented fast path (the headline ratio);
  - ``pandana_with_precompute_s``: the same with ``precompute(max_distance)`` after ``Network``.
    ``precompute`` caches every node's range query, which only ``aggregate`` reads: pandana's
    tutorial calls it "a good idea (though not strictly required) ... so that aggregations don't
    perform the network queries unnecessarily", and in its C++ (``src/accessibility.cpp``) the
    cache ``dms`` is read by ``aggregateAccessibilityVariable`` only, while ``findNearestPOIs``
    asks the contraction hierarchy's POI index (``ga->NearestPOI``). Earlier versions of this
    bench timed this way only, which overstated our lead;

* cityseer (optional, slow): nearest distance only (cityseer has no k-th nearest), with the data
  points placed on their join nodes so that it measures the same thing.

pandana and cityseer are optional (``pip install -e ".[bench]"``): a peer that is not installed is
skipped with a printed note, and its columns show "—".

Each extract runs in its own Python process, so that memory peaks and allocator state of one do
not leak into the next. Numba compile (or cache load) is done first on a tiny graph and reported
separately. Prints a Markdown table and ends with one ``RESULT`` line.

Usage::

    python bench/accessibility.py [--extracts andorra,helsinki] [--data-dir ../shared/data/osm]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "osm"
SUFFIXES = (".osm.pbf", ".osm.gz", ".osm")
TAG = "BENCHJSON "
#: pandana returns float32 metres: half an ulp at 2048 m is 6.1e-5 m; allow one full ulp and a bit.
MM_TOL_M = 2e-4
SCALING_SIZES = (5_000, 10_000, 25_000, 50_000)
#: optional peers (the ``bench`` extras), in the order they run
PEERS = ("pandana", "cityseer")


def extract_files(data_dir: Path) -> dict[str, Path]:
    """Map extract name (file name without its OSM suffix) to path, for every OSM file."""
    out = {}
    for path in sorted(data_dir.iterdir()):
        for suffix in SUFFIXES:
            if path.name.endswith(suffix):
                out[path.name[: -len(suffix)]] = path
                break
    return out


# ---------------------------------------------------------------------------------------------
# memory: the kernel's high-water mark of resident memory, reset with /proc/self/clear_refs


def _status_mib(field: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ---------------------------------------------------------------------------------------------
# one extract (runs in a worker process)


def _warm_up() -> float:
    """Compile (or load from cache) every kernel on a tiny graph; return the seconds taken."""
    from parkscope.walk._kernels import csr_from_edges, k_nearest_sources
    from parkscope.walk.access import k_nearest_by_category

    t = time.perf_counter()
    indptr, indices, weights = csr_from_edges(
        3, np.array([0, 1]), np.array([1, 2]), np.array([1.0, 1.0])
    )
    k_nearest_by_category(
        indptr, indices, weights, np.array([0]), np.array(["a"]), np.array([0.0]), ["a"], k=2
    )
    k_nearest_sources(indptr, indices, weights, np.array([0]), np.array([0.0]), 2, 5.0)
    return time.perf_counter() - t


def _ours(network, amenities, categories, k, max_distance):
    from parkscope.walk.access import k_nearest_by_category
    from parkscope.walk.amenities import join_to_network

    # a fresh copy of the network: its CSR arrays and KD-tree are built in every timed run, as in
    # an assessment (a network keeps them once built)
    net, joined = join_to_network(network.with_arrays(), amenities, mode="node")
    indptr, indices, weights = net.csr()
    node = joined["node_index"].to_numpy(np.int64)
    result = k_nearest_by_category(
        indptr, indices, weights, node, joined["category"].astype(str).to_numpy(),
        np.zeros(node.size), categories, k=k, max_distance_m=max_distance,
    )
    return result, node


def _pandana(network, amenities, categories, k, max_distance, precompute: bool):
    """pandana's nearest-POI query for every category; with ``precompute`` as well if asked.

    ``precompute`` fills pandana's per-node range-query cache, which only ``aggregate`` reads
    (see the module docstring): it is timed as a second way, not as the way to run this query.
    """
    import pandana

    n = network.n_nodes
    index = pd.RangeIndex(n)
    net = pandana.Network(
        pd.Series(network.x, index=index), pd.Series(network.y, index=index),
        pd.Series(network.edge_u), pd.Series(network.edge_v),
        pd.DataFrame({"length_m": network.length_m}), twoway=True,
    )
    if precompute:
        net.precompute(max_distance)
    cat = amenities["category"].astype(str).to_numpy()
    ax = amenities.geometry.x.to_numpy()
    ay = amenities.geometry.y.to_numpy()
    out = {}
    for c in categories:
        sel = cat == c
        if not sel.any():
            continue  # pandana cannot take an empty category; "none" everywhere
        net.set_pois(c, max_distance, k, pd.Series(ax[sel]), pd.Series(ay[sel]))
        out[c] = net.nearest_pois(max_distance, c, num_pois=k).reindex(index).to_numpy()
    return out, net


def _pandana_warm_up() -> float:
    """Import pandana (about 2 s: it loads scikit-learn) and run it once on a tiny graph.

    Untimed in the comparison, like the Numba warm-up of ours; returns the seconds taken.
    """
    t = time.perf_counter()
    import pandana

    index = pd.RangeIndex(3)
    net = pandana.Network(
        pd.Series([0.0, 1.0, 2.0], index=index), pd.Series([0.0, 0.0, 0.0], index=index),
        pd.Series([0, 1]), pd.Series([1, 2]), pd.DataFrame({"length_m": [1.0, 1.0]}),
        twoway=True,
    )
    net.set_pois("a", 5.0, 2, pd.Series([0.0]), pd.Series([0.0]))
    net.nearest_pois(5.0, "a", num_pois=2)
    return time.perf_counter() - t


def _max_gap(a: dict, b: dict) -> float:
    """Largest |a - b| over every category and cell; inf if their shapes or NaN cells differ."""
    gap = 0.0
    for c in a.keys() | b.keys():
        if c not in a or c not in b:
            return float("inf")
        x, y = np.asarray(a[c], dtype=np.float64), np.asarray(b[c], dtype=np.float64)
        if x.shape != y.shape or (np.isnan(x) != np.isnan(y)).any():
            return float("inf")
        both = ~np.isnan(x)
        if both.any():
            gap = max(gap, float(np.abs(x[both] - y[both]).max()))
    return gap


def _cityseer(network, node, cat, categories, max_distance):
    """cityseer 4+/5 (Rust core): nearest distance per category, data points on their nodes."""
    from cityseer import rustalgos

    xs, ys = network.x.tolist(), network.y.tolist()
    ns = rustalgos.graph.NetworkStructure()
    for i in range(network.n_nodes):
        ns.add_street_node(i, xs[i], ys[i], True, 1.0)
    for e, (a, b) in enumerate(zip(network.edge_u.tolist(), network.edge_v.tolist(), strict=True)):
        ns.add_street_edge(a, b, e, a, b, f"LINESTRING ({xs[a]!r} {ys[a]!r}, {xs[b]!r} {ys[b]!r})")
        ns.add_street_edge(b, a, e, b, a, f"LINESTRING ({xs[b]!r} {ys[b]!r}, {xs[a]!r} {ys[a]!r})")
    ns.validate()
    ns.build_edge_rtree()
    dm = rustalgos.data.DataMap()
    landuses = {}
    for j, (v, c) in enumerate(zip(node.tolist(), cat.tolist(), strict=True)):
        dm.insert(j, f"POINT ({xs[v]!r} {ys[v]!r})")
        landuses[j] = c
    dm.assign_data_to_network(ns, 100.0, 50)
    keys = [c for c in categories if c in set(cat.tolist())]
    res = dm.accessibility(ns, landuses, keys, distances=[int(max_distance)], pbar_disabled=True)
    return {c: np.asarray(res.result[c].distance[int(max_distance)], dtype=np.float64) for c in keys}


def _compare(ours: dict, other: dict, n: int, cols: int, none_value: float | None,
             boundary_m: float = 0.0) -> tuple[float, int]:
    """Max |diff| over cells finite in both, and the number of cells finite in one only.

    pandana encodes "none within the radius" as the radius itself, so a distance at the radius
    is ambiguous: a cell finite on one side only whose value is within ``boundary_m`` of
    ``none_value`` is not counted as a mismatch.
    """
    max_diff, mismatch = 0.0, 0
    for c, mine in ours.items():
        mine = mine[:, :cols]
        if c in other:
            theirs = np.asarray(other[c], dtype=np.float64).reshape(n, -1)[:, :cols].copy()
            theirs[~np.isfinite(theirs)] = np.nan
            if none_value is not None:
                theirs[theirs >= none_value] = np.nan
        else:
            theirs = np.full_like(mine, np.nan)
        differ = np.isnan(mine) != np.isnan(theirs)
        if none_value is not None and boundary_m > 0:
            value = np.where(np.isnan(mine), theirs, mine)
            differ &= ~(np.abs(value - none_value) <= boundary_m)
        mismatch += int(differ.sum())
        both = ~np.isnan(mine) & ~np.isnan(theirs)
        if both.any():
            max_diff = max(max_diff, float(np.abs(mine[both] - theirs[both]).max()))
    return max_diff, mismatch


def _best_of(repeat: int, fn):
    """(result of the first call, the least wall time over ``repeat`` calls)."""
    best, first = float("inf"), None
    for i in range(max(repeat, 1)):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
        if i == 0:
            first = out
    return first, best


def _scaling(network, node, cat, categories, k, max_distance, repeat):
    """Engine cost on discs of the network around its centre: CSR build + all categories."""
    from parkscope.walk._kernels import csr_from_edges
    from parkscope.walk.access import k_nearest_by_category

    n = network.n_nodes
    cx, cy = np.median(network.x), np.median(network.y)
    order = np.argsort(np.hypot(network.x - cx, network.y - cy), kind="stable")
    rows = []
    for size in [s for s in SCALING_SIZES if s < n] + [n]:
        keep = np.zeros(n, dtype=bool)
        keep[order[:size]] = True
        new_index = np.cumsum(keep) - 1
        e = keep[network.edge_u] & keep[network.edge_v]
        u, v = new_index[network.edge_u[e]], new_index[network.edge_v[e]]
        w = network.length_m[e]
        src = keep[node]
        s_node, s_cat = new_index[node[src]], cat[src]

        def run(size=size, u=u, v=v, w=w, s_node=s_node, s_cat=s_cat):
            indptr, indices, weights = csr_from_edges(size, u, v, w)
            return k_nearest_by_category(
                indptr, indices, weights, s_node, s_cat, np.zeros(s_node.size), categories,
                k=k, max_distance_m=max_distance,
            )

        _, secs = _best_of(repeat, run)
        rows.append({"nodes": int(size), "edges": int(e.sum()), "amenities": int(src.sum()),
                     "s": secs, "us_per_node": 1e6 * secs / size})
    return rows


def _pandana_rows(row: dict, network, amenities, categories, k, max_distance, repeat, node,
                  cat, csr) -> None:
    """Time pandana both ways and compare its distances with ours; fills ``row``."""
    from parkscope.walk.access import k_nearest_by_category

    n = network.n_nodes
    indptr, indices, weights = csr
    row["pandana_warm_up_s"] = _pandana_warm_up()
    (theirs, pnet), row["pandana_nearest_pois_s"] = _best_of(
        repeat, lambda: _pandana(network, amenities, categories, k, max_distance, False)
    )
    (theirs_pre, _), row["pandana_with_precompute_s"] = _best_of(
        repeat, lambda: _pandana(network, amenities, categories, k, max_distance, True)
    )
    # precompute must not change what nearest_pois returns (it is a cache for aggregate only)
    row["precompute_changes_m"] = _max_gap(theirs, theirs_pre)
    # Snapping: where two nodes lie at exactly the same spot (a node on a bridge above one on
    # the street, indoor levels) pandana's KD-tree and ours may break the tie differently. Check
    # that every difference is such a tie, then compare the engines on pandana's nodes.
    ax, ay = amenities.geometry.x.to_numpy(), amenities.geometry.y.to_numpy()
    pnode = pnet.get_node_ids(pd.Series(ax), pd.Series(ay)).to_numpy(np.int64)
    gap = np.abs(np.hypot(ax - network.x[node], ay - network.y[node])
                 - np.hypot(ax - network.x[pnode], ay - network.y[pnode]))
    row["snap_differs"] = int((pnode != node).sum())
    row["snap_max_gap_m"] = float(gap.max()) if gap.size else 0.0
    ours_p = k_nearest_by_category(indptr, indices, weights, pnode, cat, np.zeros(node.size),
                                   categories, k=k, max_distance_m=max_distance)
    row["max_abs_diff_m"], row["nan_mismatch"] = _compare(ours_p, theirs, n, k, max_distance)
    # pandana's contraction hierarchies hold integer millimetres: each edge weight is truncated
    # (C++ double -> unsigned) to whole mm, so its paths are short by up to 1 mm per edge. Run
    # our engine on the same truncated weights: what remains is pandana's float32 output.
    mm_weights = np.floor(weights * 1000.0) / 1000.0
    ours_mm = k_nearest_by_category(indptr, indices, mm_weights, pnode, cat, np.zeros(node.size),
                                    categories, k=k, max_distance_m=max_distance)
    row["diff_mm_weights_m"], row["nan_mismatch_mm_weights"] = _compare(
        ours_mm, theirs, n, k, max_distance, boundary_m=MM_TOL_M
    )


def run_one(path: Path, k: int, max_distance: float, cityseer_max_nodes: int, repeat: int,
            scaling: bool, peers: tuple[str, ...] = PEERS) -> dict:
    """Benchmark one extract against the installed ``peers``; returns the row as a dict."""
    from parkscope.inputs.osm import read_extract
    from parkscope.settings.config import load_settings
    from parkscope.walk.access import k_nearest_by_category
    from parkscope.walk.amenities import join_to_network, locate_amenities
    from parkscope.walk.network import build_walk_network

    row: dict = {"extract": path.name.split(".")[0]}
    row["compile_s"] = _warm_up()
    settings = load_settings()
    categories = settings.category_keys

    t = time.perf_counter()
    osm = read_extract(path)
    network = build_walk_network(osm)
    amenities = locate_amenities(osm.features, settings, network.crs)
    row["prep_s"] = time.perf_counter() - t
    n = network.n_nodes
    row.update(nodes=n, edges=network.n_edges, amenities=len(amenities),
               categories=len(categories))
    join_to_network(network, amenities.iloc[:1], mode="node")  # first-use imports, untimed

    # ours; the first run inside the peak-RSS high-water mark
    peak_before = _status_mib("VmHWM")
    can_reset = _reset_peak()
    rss_before = _status_mib("VmRSS")
    t = time.perf_counter()
    ours, node = _ours(network, amenities, categories, k, max_distance)
    first_s = time.perf_counter() - t
    peak_after = _status_mib("VmHWM")
    row["ours_delta_mib"] = peak_after - rss_before if can_reset else float("nan")
    row["process_peak_mib"] = max(peak_before, peak_after)
    row["ours_s"] = first_s
    if repeat > 1:
        _, again_s = _best_of(repeat - 1, lambda: _ours(network, amenities, categories, k,
                                                        max_distance))
        row["ours_s"] = min(first_s, again_s)

    # the engine alone (CSR ready)
    indptr, indices, weights = network.csr()
    cat = amenities["category"].astype(str).to_numpy()
    _, row["engine_s"] = _best_of(repeat, lambda: k_nearest_by_category(
        indptr, indices, weights, node, cat, np.zeros(node.size), categories, k=k,
        max_distance_m=max_distance))

    if "pandana" in peers:
        _pandana_rows(row, network, amenities, categories, k, max_distance, repeat, node, cat,
                      (indptr, indices, weights))
    if "cityseer" in peers and n <= cityseer_max_nodes:
        t = time.perf_counter()
        cs = _cityseer(network, node, cat, categories, max_distance)
        row["cityseer_s"] = time.perf_counter() - t
        row["cityseer_diff_m"], row["cityseer_mismatch"] = _compare(ours, cs, n, 1, None)
    if scaling:
        row["scaling"] = _scaling(network, node, cat, categories, k, max_distance, repeat)
    return row


# ---------------------------------------------------------------------------------------------
# driver


def _fmt(x, nd=3) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return "—"
    return f"{x:.{nd}f}" if isinstance(x, float) else str(x)


def installed_peers(wanted: tuple[str, ...] = PEERS) -> tuple[tuple[str, ...], list[str]]:
    """The optional peers that can be imported, and a note for each one that cannot.

    ``importlib.util.find_spec`` answers without importing the peer (cityseer's import is slow),
    and says None for a module hidden with ``sys.modules[name] = None``.
    """
    have, notes = [], []
    for name in wanted:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if found:
            have.append(name)
        else:
            notes.append(f"note: {name} is not installed; its columns are skipped (—). Install "
                         f'the bench extras to time it: pip install -e ".[bench]"')
    return tuple(have), notes


def _ratio(num: float | None, den: float) -> float:
    return num / den if num is not None and den > 0 else float("nan")


def _with_ratios(row: dict) -> dict:
    """Add the speed ratios and the cost per node to a worker's row."""
    row["speedup_nearest_pois"] = _ratio(row.get("pandana_nearest_pois_s"), row["ours_s"])
    row["speedup_with_precompute"] = _ratio(row.get("pandana_with_precompute_s"), row["ours_s"])
    row["ours_us_per_node"] = 1e6 * row["ours_s"] / row["nodes"]
    return row


def _print_tables(rows: list[dict], args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    print(f"k={args.k}, max_distance={args.max_distance:g} m, all {rows[0]['categories']} taxonomy "
          f"categories, nearest-node sources with offset 0 (pandana's convention), "
          f"best of {args.repeat} runs, {os.cpu_count()} cores, load average {load:.2f} at the "
          "end\n")
    print("pandana_nearest_pois_s: Network + set_pois + nearest_pois (how pandana runs this "
          "query); pandana_with_precompute_s: the same plus precompute(max_distance), a cache "
          "that only pandana's aggregate queries read. x_nearest_pois and x_with_precompute: "
          "pandana's time over ours.\n")
    print("| extract | nodes | edges | amenities | ours_s | pandana_nearest_pois_s | "
          "pandana_with_precompute_s | x_nearest_pois | x_with_precompute | ours_us_per_node | "
          "max_abs_diff_m |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['extract']} | {r['nodes']} | {r['edges']} | {r['amenities']} | "
              f"{r['ours_s']:.3f} | {_fmt(r.get('pandana_nearest_pois_s'))} | "
              f"{_fmt(r.get('pandana_with_precompute_s'))} | "
              f"{_fmt(r['speedup_nearest_pois'], 1)} | {_fmt(r['speedup_with_precompute'], 1)} | "
              f"{r['ours_us_per_node']:.2f} | {_fmt(r.get('max_abs_diff_m'), 4)} |")
    print("\nmax_abs_diff_m and nan_mismatch: ours vs pandana (nearest_pois way) on the nodes "
          "pandana snapped to (snap_differs amenities were snapped differently by the two "
          "KD-trees, all at equal distance up to snap_gap_m). precompute_changes_m: largest "
          "difference between pandana's two ways (0: precompute does not change nearest_pois). "
          f"mm_*: ours on millimetre-truncated weights as pandana uses them internally (identical "
          f"= within {MM_TOL_M:g} m, float32 at 2 km, and no NaN mismatch other than at the "
          f"radius itself ±{MM_TOL_M:g} m, which pandana's 'none' = radius makes ambiguous). "
          "engine_*: k_nearest_by_category alone. ours_delta_MiB: peak RSS growth during ours; "
          "process_peak_MiB: peak RSS of the whole process (reading, network, ours) before "
          "pandana runs. cityseer: nearest only.\n")
    print("| extract | nan_mismatch | snap_differs | snap_gap_m | precompute_changes_m | "
          "mm_diff_m | mm_nan_mismatch | identical | engine_s | engine_us_per_node | compile_s | "
          "prep_s | ours_delta_MiB | process_peak_MiB | cityseer_s | cityseer_diff_m | "
          "cityseer_mismatch |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        if "diff_mm_weights_m" in r:
            same = r["diff_mm_weights_m"] <= MM_TOL_M and r["nan_mismatch_mm_weights"] == 0
            identical = "yes" if same else "NO"
        else:
            identical = "—"
        print(f"| {r['extract']} | {_fmt(r.get('nan_mismatch'))} | "
              f"{_fmt(r.get('snap_differs'))} | {_fmt(r.get('snap_max_gap_m'), 1)} | "
              f"{_fmt(r.get('precompute_changes_m'), 1)} | "
              f"{_fmt(r.get('diff_mm_weights_m'), 6)} | "
              f"{_fmt(r.get('nan_mismatch_mm_weights'))} | {identical} | "
              f"{r['engine_s']:.3f} | {1e6 * r['engine_s'] / r['nodes']:.2f} | "
              f"{r['compile_s']:.2f} | {r['prep_s']:.1f} | {_fmt(r['ours_delta_mib'], 1)} | "
              f"{_fmt(r['process_peak_mib'], 0)} | {_fmt(r.get('cityseer_s'), 2)} | "
              f"{_fmt(r.get('cityseer_diff_m'), 5)} | {_fmt(r.get('cityseer_mismatch'))} |")
    for r in rows:
        if r.get("scaling"):
            print(f"\nScaling on discs of {r['extract']} around its centre (CSR build + engine, "
                  "all categories):\n")
            print("| nodes | edges | amenities | s | us_per_node |")
            print("|---:|---:|---:|---:|---:|")
            for s in r["scaling"]:
                print(f"| {s['nodes']} | {s['edges']} | {s['amenities']} | {s['s']:.3f} | "
                      f"{s['us_per_node']:.2f} |")


def result_line(rows: list[dict]) -> str:
    """The closing ``RESULT`` line: Andorra (else the largest extract), ratio on nearest_pois.

    ``pandana_s`` and ``speedup`` keep their names and now mean the nearest_pois way;
    ``*_with_precompute`` are the old way. A peer that was not run shows ``nan``.
    """
    pick = next((r for r in rows if r["extract"] == "andorra"), None)
    if pick is None:
        pick = max(rows, key=lambda r: r["nodes"])

    def num(key: str, nd: int) -> str:
        value = pick.get(key)
        return "nan" if value is None else f"{value:.{nd}f}"

    return (f"RESULT extract={pick['extract']} nodes={pick['nodes']} ours_s={pick['ours_s']:.3f} "
            f"pandana_s={num('pandana_nearest_pois_s', 3)} speedup={num('speedup_nearest_pois', 2)} "
            f"pandana_with_precompute_s={num('pandana_with_precompute_s', 3)} "
            f"speedup_with_precompute={num('speedup_with_precompute', 2)} "
            f"max_abs_diff_m={num('max_abs_diff_m', 4)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--extracts", help="comma-separated names (default: all in --data-dir)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--max-distance", type=float, default=1600.0)
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (ours, pandana)")
    parser.add_argument("--cityseer-max-nodes", type=int, default=10**9,
                        help="run cityseer on extracts up to this many nodes (0: never)")
    parser.add_argument("--scaling", default="andorra",
                        help="comma-separated extracts to time on growing discs ('' for none)")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--peers", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker is not None:
        peers = tuple(p for p in (args.peers or "").split(",") if p)
        row = run_one(args.worker, args.k, args.max_distance, args.cityseer_max_nodes,
                      args.repeat, args.scaling == "yes", peers)
        sys.stdout.flush()
        print("\n" + TAG + json.dumps(row), flush=True)
        return 0

    if not args.data_dir.is_dir():
        print(f"data folder {args.data_dir} is missing", file=sys.stderr)
        return 2
    files = extract_files(args.data_dir)
    names = args.extracts.split(",") if args.extracts else list(files)
    unknown = [x for x in names if x not in files]
    if unknown:
        print(f"unknown extracts {unknown}; have {sorted(files)}", file=sys.stderr)
        return 2
    scaling = set(args.scaling.split(",")) if args.scaling else set()
    peers, notes = installed_peers()
    for note in notes:
        print(note, flush=True)

    rows = []
    for name in names:
        cmd = [sys.executable, __file__, "--worker", str(files[name]), "--k", str(args.k),
               "--max-distance", str(args.max_distance), "--repeat", str(args.repeat),
               "--cityseer-max-nodes", str(args.cityseer_max_nodes),
               "--scaling", "yes" if name in scaling else "no", "--peers", ",".join(peers)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        lines = [x.split(TAG, 1)[1] for x in proc.stdout.splitlines() if TAG in x]
        if proc.returncode != 0 or not lines:
            print(f"{name}: worker failed\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        rows.append(_with_ratios(json.loads(lines[-1])))
        print(f"# {name}: done ({rows[-1]['nodes']} nodes)", file=sys.stderr, flush=True)

    _print_tables(rows, args)
    print(result_line(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
