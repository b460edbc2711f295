"""``parkscope plan``: the fewest additions (or the best within a budget) that lift the park's score.

Works from an assess OUTDIR alone: nodes.parquet (``dist_<category>_<i>``), network.parquet,
amenities.parquet, cells.parquet (jobs and residents per cell), buildings.parquet and summary.json
(the parameters). The baseline it recomputes equals summary.json's score key (checked); candidate sites
are walk nodes (the building's, the grid cell's or the user's point joins the nearest one, and the
addition is placed there, so that a re-assessment with it measures the same distances);
:mod:`parkscope.planning.solver` chooses. docs/planning.md.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from parkscope.errors import InputError
from parkscope.files.io import atomic_output_dir, write_json
from parkscope.measures.score import category_scores, life_convenience
from parkscope.planning.solver import PlanProblem, ScoreModel, Solution, exact, greedy
from parkscope.settings.config import Category, Settings
from parkscope.settings.summary import Summary, read_summary
from parkscope.settings.vocabulary import SCORE_KEYS
from parkscope.walk.grid import node_cells, park_cell_weights, weighted_park_score

log = logging.getLogger(__name__)

#: A candidate farther than this from every walk node is outside the network (left out).
SNAP_M = 250.0
#: Candidates with ``[categories.*] merge_within_m`` keep this much more than that radius from an
#: amenity of the category (or another candidate), so that a re-assessment does not merge them.
MERGE_MARGIN_M = 1.0
#: Sources Dijkstra runs at once (each holds a row over every node).
DIJKSTRA_CHUNK = 64
WEIGHTINGS = tuple(SCORE_KEYS)
CANDIDATE_KINDS = ("buildings", "grid")


@dataclass(frozen=True)
class Outputs:
    """What ``plan`` reads of an assess OUTDIR."""

    path: Path
    summary: Summary
    settings: Settings
    nodes: pd.DataFrame
    network: pd.DataFrame
    amenities: pd.DataFrame
    cells: pd.DataFrame
    buildings: pd.DataFrame | None


@dataclass(frozen=True)
class Demand:
    """The park's walk nodes and their weights in its score."""

    nodes: np.ndarray  # index into nodes.parquet
    weight: np.ndarray  # a_i, summing to 1
    node_cell: np.ndarray  # h3 of every node
    cell_weight: np.ndarray  # per row of cells.parquet
    baseline: float


@dataclass(frozen=True)
class Sites:
    """Candidate sites, each at a walk node."""

    node: np.ndarray  # index into nodes.parquet
    lon: np.ndarray
    lat: np.ndarray
    cost: np.ndarray
    capacity: np.ndarray
    category: np.ndarray  # allowed category per site ("" = any)
    label: np.ndarray  # building ids, cell ids or the file's ids


@dataclass
class PlanResult:
    """A plan and how it was made.

    ``cells``: the park's cells that count in its score (``h3``, ``weight`` in the score,
    ``score_before``, ``score_after``: the mean node score of the cell without and with the additions);
    ``outputs``: the assessment it was made from (for the report).
    """

    summary: dict[str, Any]
    additions: gpd.GeoDataFrame
    solution: Solution
    timings: dict[str, float] = field(default_factory=dict)
    cells: pd.DataFrame | None = None
    outputs: Outputs | None = None


#: Renders PLANDIR/report.html from a plan
#: (:func:`parkscope.outputs.report.plan.render_plan_report`; passed in
#: by the caller because the report sits above planning).
PlanRenderer = Callable[[PlanResult], str]


def read_outputs(outdir: str | Path) -> Outputs:
    """Read the files ``plan`` needs from an assess OUTDIR (an InputError naming what is missing)."""
    path = Path(outdir)
    need = ["summary.json", "nodes.parquet", "network.parquet", "amenities.parquet", "cells.parquet"]
    missing = [n for n in need if not (path / n).is_file()]
    if missing:
        raise InputError(
            f"{path} is not an assess OUTDIR: {', '.join(missing)} missing. Run `parkscope assess … -o "
            f"{path}` first."
        )
    summary = read_summary(path)
    buildings = path / "buildings.parquet"
    return Outputs(
        path, summary, settings_from_summary(summary), pd.read_parquet(path / "nodes.parquet"),
        pd.read_parquet(path / "network.parquet"), pd.read_parquet(path / "amenities.parquet"),
        pd.read_parquet(path / "cells.parquet"),
        pd.read_parquet(buildings) if buildings.is_file() else None,
    )


def settings_from_summary(summary: Summary) -> Settings:
    """The score's settings as the assessment used them (``provenance.parameters``)."""
    p = summary.provenance.parameters
    try:
        cats = tuple(
            Category(key=k, en=c["en"], zh=c["zh"], weight=float(c["weight"]),
                     rank_weights=tuple(float(x) for x in c["rank_weights"]), tags=tuple(c["tags"]),
                     exclude=tuple(c.get("exclude", ())), polygon_access=c.get("polygon_access", "point"),
                     merge_within_m=float(c.get("merge_within_m", 0.0)))
            for k, c in p["categories"].items()
        )
        return Settings(
            buffer_m=float(p["buffer_m"]), k=int(p["k"]), max_distance_m=float(p["max_distance_m"]),
            walk_speed_m_s=float(p["walk_speed_m_s"]), full_credit_m=float(p["full_credit_m"]),
            decay=str(p["decay"]), coverage_minutes=float(p["coverage_minutes"]),
            h3_resolution=int(p["h3_resolution"]), categories=cats,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(
            f"summary.json lacks the assessment's parameters ({exc}): re-run `parkscope assess` with this "
            "version."
        ) from exc


def distances(nodes: pd.DataFrame, settings: Settings) -> dict[str, np.ndarray]:
    """``dist_<category>_<i>`` of nodes.parquet as (n_nodes, k) arrays per category."""
    return {
        c: nodes[[f"dist_{c}_{i + 1}" for i in range(settings.k)]].to_numpy(np.float64, copy=True)
        for c in settings.category_keys
    }


def node_scores(dist: dict[str, np.ndarray], settings: Settings) -> np.ndarray:
    """The nodes' 0–10 scores, exactly as the assessment computes them."""
    return life_convenience(category_scores(dist, settings), settings)


def cell_means(scores: np.ndarray, node_cell: np.ndarray, cells: pd.DataFrame) -> np.ndarray:
    """The mean node score of every row of cells.parquet (NaN where a cell has no node)."""
    means = pd.DataFrame({"h3": node_cell, "score": scores}).groupby("h3")["score"].mean()
    return means.reindex(cells["h3"].to_numpy()).to_numpy(np.float64)


def park_score(
    scores: np.ndarray, node_cell: np.ndarray, cells: pd.DataFrame, weighting: str
) -> float:
    """The park's score from node scores: mean per cell, weighted over the park's cells (as assess)."""
    return weighted_park_score(cell_means(scores, node_cell, cells), park_cell_weights(cells, weighting))


#: Decimals summary.json keeps a weighting's score to (``life_convenience_score``: 2; the people-weighted
#: keys: 12): a scenario of the plan gives ``round(achieved_score, SCORE_DECIMALS[weights])``.
SCORE_DECIMALS: dict[str, int] = {"area": 2, "workers": 12, "residents": 12, "both": 12}


def park_demand(out: Outputs, weighting: str) -> Demand:
    """The nodes whose score counts in the park's score, their weights, and the baseline."""
    if weighting not in WEIGHTINGS:
        raise InputError(f"--weights must be one of {', '.join(WEIGHTINGS)}, got {weighting!r}.")
    s, nodes, cells = out.settings, out.nodes, out.cells
    if weighting != "area" and not {"jobs", "residents"} <= set(cells.columns):
        raise InputError(f"cells.parquet of {out.path} has no jobs/residents: re-run `parkscope assess`.")
    cell = node_cells(nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), s.h3_resolution)
    scores = node_scores(distances(nodes, s), s)
    baseline = park_score(scores, cell, cells, weighting)
    w_cell = park_cell_weights(cells, weighting)
    counts = pd.Series(cell).value_counts()
    n_in = counts.reindex(cells["h3"].to_numpy()).fillna(0).to_numpy()
    w_cell = np.where(n_in > 0, w_cell, 0.0)  # a cell without nodes has no score
    if not np.isfinite(baseline) or w_cell.sum() <= 0:
        who = {"workers": "jobs", "residents": "residents", "both": "jobs or residents"}[weighting]
        raise InputError(
            f"The park has no {who} in cells with walk nodes, so its {weighting}-weighted score is "
            "undefined: use --weights area, or give --jobs / --residents to assess."
        )
    per_node = pd.Series(w_cell / np.maximum(n_in, 1), index=cells["h3"].to_numpy())
    a = per_node.reindex(cell).fillna(0.0).to_numpy()
    idx = np.nonzero(a > 0)[0]
    return Demand(idx, a[idx] / w_cell.sum(), cell, w_cell, baseline)


def check_baseline(out: Outputs, demand: Demand, weighting: str, tol: float = 1e-9) -> str:
    """The summary.json key of the weighting; the recomputed baseline must equal it (to its precision)."""
    key = SCORE_KEYS[weighting]
    written = getattr(out.summary, key)
    if written is None:
        raise InputError(f"summary.json of {out.path} has no {key}: re-run `parkscope assess`.")
    precision = 0.5 * 10.0 ** -SCORE_DECIMALS.get(weighting, 12) + tol  # area: kept to 2 decimals
    if abs(float(written) - demand.baseline) > precision:
        raise InputError(
            f"The score recomputed from {out.path} ({demand.baseline:.12f}) differs from its summary.json "
            f"{key} ({written}): the outputs were changed or written by another version; re-run assess."
        )
    return key


# --------------------------------------------------------------------------------------------------
# Candidate sites
# --------------------------------------------------------------------------------------------------


def candidate_points(out: Outputs, candidates: str | Path) -> pd.DataFrame:
    """Candidate points: ``lon``, ``lat``, ``cost``, ``max_additions``, ``category``, ``label``."""
    kind = str(candidates)
    if kind == "buildings":
        b = out.buildings
        if b is None:
            raise InputError(
                f"{out.path} has no buildings.parquet: re-run `parkscope assess` with this version, or use "
                "--candidates grid or FILE."
            )
        frame = pd.DataFrame({"lon": b["lon"], "lat": b["lat"], "label": b["building_id"].astype(str)})
    elif kind == "grid":
        cells = out.cells
        has = cells["n_nodes"].to_numpy() > 0
        ids = cells.loc[has, "h3"].astype(str).to_numpy()
        lat, lon = (np.array(v) for v in zip(*[h3.cell_to_latlng(c) for c in ids], strict=True)) if len(ids) \
            else (np.zeros(0), np.zeros(0))
        frame = pd.DataFrame({"lon": lon, "lat": lat, "label": ids})
    else:
        frame = read_candidate_file(Path(kind))
    for col, default in (("cost", 1.0), ("max_additions", np.nan), ("category", "")):
        if col not in frame.columns:
            frame[col] = default
    return frame.reset_index(drop=True)


def read_candidate_file(path: Path) -> pd.DataFrame:
    """A user's candidate sites: CSV with ``lon``, ``lat``, or GeoJSON / GeoPackage points (WGS84 or with
    a CRS); optional ``cost``, ``max_additions``, ``category``, ``id``."""
    if not path.is_file():
        raise InputError(
            f"--candidates {path}: no such file. Give buildings, grid, or a CSV (lon, lat) / GeoJSON / "
            "GeoPackage of points."
        )
    if path.suffix.lower() == ".csv":
        frame = pd.read_csv(path)
        if not {"lon", "lat"} <= set(frame.columns):
            raise InputError(f"--candidates {path}: a CSV needs lon and lat columns (WGS84).")
    else:
        try:
            g = gpd.read_file(path)
        except Exception as exc:  # pyogrio raises its own types
            raise InputError(f"--candidates {path} cannot be read ({exc}).") from exc
        if g.crs is not None and not g.crs.equals(4326):
            g = g.to_crs(4326)
        if len(g) and not (g.geom_type == "Point").all():
            raise InputError(f"--candidates {path}: candidate sites must be points.")
        frame = pd.DataFrame(g.drop(columns="geometry"))
        frame["lon"], frame["lat"] = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
    frame["label"] = frame["id"].astype(str) if "id" in frame.columns else [str(i) for i in range(len(frame))]
    if "cost" in frame.columns and (pd.to_numeric(frame["cost"], errors="coerce").fillna(-1) < 0).any():
        raise InputError(f"--candidates {path}: cost must be a number >= 0 on every row.")
    if "max_additions" in frame.columns:
        cap = pd.to_numeric(frame["max_additions"], errors="coerce")
        if cap.isna().any() or (cap < 1).any():
            raise InputError(f"--candidates {path}: max_additions must be a whole number >= 1 on every row.")
    if "category" in frame.columns:
        frame["category"] = frame["category"].fillna("").astype(str)
    return frame


def snap_sites(out: Outputs, points: pd.DataFrame, crs: Any) -> Sites:
    """Each candidate point joins the nearest original walk node within :data:`SNAP_M`; points that
    join the same node are one site (the first point's cost, capacity and label, the labels joined)."""
    nodes = out.nodes
    original = np.nonzero(nodes["node_id"].to_numpy() >= 0)[0]  # edge splits come and go with amenities
    tf = Transformer.from_crs(4326, crs, always_xy=True)
    nx, ny = tf.transform(nodes["lon"].to_numpy()[original], nodes["lat"].to_numpy()[original])
    px, py = tf.transform(points["lon"].to_numpy(np.float64), points["lat"].to_numpy(np.float64))
    if len(points) == 0:
        raise InputError("The candidate set is empty: give candidate sites (buildings, grid or a FILE).")
    dist, nearest = cKDTree(np.column_stack([nx, ny])).query(np.column_stack([px, py]))
    ok = dist <= SNAP_M
    if not ok.any():
        raise InputError(
            f"The candidate set is empty: none of the {len(points)} candidate sites lies within {SNAP_M:g} m "
            "of the study area's walk network. Give sites inside the study area."
        )
    if (~ok).any():
        log.warning("%d candidate sites lie more than %g m from the walk network: left out", int((~ok).sum()),
                    SNAP_M)
    frame = points[ok].assign(node=original[nearest[ok]])
    first = frame.groupby("node", sort=True).agg(
        cost=("cost", "first"), capacity=("max_additions", "first"), category=("category", "first"),
        label=("label", lambda s: ";".join(s.astype(str)[:5])),
    )
    node = first.index.to_numpy(np.int64)
    cap = first["capacity"].to_numpy(np.float64)
    return Sites(
        node=node, lon=nodes["lon"].to_numpy()[node], lat=nodes["lat"].to_numpy()[node],
        cost=first["cost"].to_numpy(np.float64),
        capacity=np.where(np.isnan(cap), len(out.settings.categories), cap).astype(np.int64),
        category=first["category"].astype(str).to_numpy(), label=first["label"].astype(str).to_numpy(),
    )


def allowed_items(
    out: Outputs, sites: Sites, categories: list[str], crs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The (site, category) additions allowed: the site's category if it names one; for categories that
    merge close amenities (``merge_within_m``), sites keep clear of the category's amenities and of each
    other, so that a re-assessment keeps every addition as its own amenity."""
    settings = out.settings
    by_key = {c.key: c for c in settings.categories}
    tf = Transformer.from_crs(4326, crs, always_xy=True)
    sx, sy = tf.transform(sites.lon, sites.lat)
    item_site, item_cat = [], []
    for cat in categories:
        ok = (sites.category == "") | (sites.category == cat)
        radius = by_key[cat].merge_within_m
        if radius > 0 and ok.any():
            am = out.amenities[out.amenities["category"].astype(str) == cat]
            ax, ay = tf.transform(am["lon"].to_numpy(np.float64), am["lat"].to_numpy(np.float64))
            clear = radius + MERGE_MARGIN_M
            if len(am):
                d, _ = cKDTree(np.column_stack([ax, ay])).query(np.column_stack([sx, sy]))
                ok &= d > clear
            kept: list[int] = []
            tree_pts = np.column_stack([sx, sy])
            for j in np.nonzero(ok)[0]:  # keep sites apart from each other (first come, first kept)
                if kept and np.min(np.hypot(*(tree_pts[kept] - tree_pts[j]).T)) <= clear:
                    ok[j] = False
                else:
                    kept.append(int(j))
        idx = np.nonzero(ok)[0]
        item_site.append(idx)
        item_cat.append(np.full(idx.size, settings.category_keys.index(cat), dtype=np.int64))
    return np.concatenate(item_site).astype(np.int64), np.concatenate(item_cat)


def network_matrix(network: pd.DataFrame, node_ids: np.ndarray) -> sp.csr_array:
    """The walk network as a symmetric sparse matrix of metres (parallel edges: the shortest)."""
    index = pd.Series(np.arange(len(node_ids)), index=node_ids)
    u = index.reindex(network["u"].to_numpy()).to_numpy()
    v = index.reindex(network["v"].to_numpy()).to_numpy()
    if np.isnan(u).any() or np.isnan(v).any():
        raise InputError("network.parquet names nodes that nodes.parquet lacks: the OUTDIR is inconsistent.")
    e = pd.DataFrame({"a": np.minimum(u, v).astype(np.int64), "b": np.maximum(u, v).astype(np.int64),
                      "w": network["length_m"].to_numpy(np.float64)})
    e = e[e["a"] != e["b"]].groupby(["a", "b"], as_index=False)["w"].min()
    n = len(node_ids)
    a, b, w = e["a"].to_numpy(), e["b"].to_numpy(), e["w"].to_numpy()
    # a zero-length edge would vanish from a sparse matrix: keep it as the smallest positive length
    w = np.where(w > 0, w, np.finfo(np.float64).tiny)
    return sp.csr_array((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))


def site_credits(
    graph: sp.csr_array, site_nodes: np.ndarray, demand_nodes: np.ndarray, model: ScoreModel
) -> tuple[sp.csc_array, sp.csc_array]:
    """Credit and network metres from each site to each demand node, by Dijkstra bounded at the search
    radius from the sites. Returns (credit, metres), both (n_demand, n_sites), entries where credit > 0."""
    col = np.full(graph.shape[0], -1, dtype=np.int64)
    col[demand_nodes] = np.arange(demand_nodes.size)
    rows, cols, vals = [], [], []
    for start in range(0, site_nodes.size, DIJKSTRA_CHUNK):
        chunk = site_nodes[start:start + DIJKSTRA_CHUNK]
        d = dijkstra(graph, directed=False, indices=chunk, limit=model.max_distance_m)
        d = d[:, demand_nodes]
        s_idx, d_idx = np.nonzero(np.isfinite(d) & (d < model.max_distance_m))
        rows.append(d_idx)
        cols.append(s_idx + start)
        vals.append(d[s_idx, d_idx])
    r, c, m = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    credit = model.credit(m)
    keep = credit > 0
    shape = (demand_nodes.size, site_nodes.size)
    return (sp.csc_array((credit[keep], (r[keep], c[keep])), shape=shape),
            sp.csc_array((np.maximum(m[keep], 1e-300), (r[keep], c[keep])), shape=shape))


# --------------------------------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------------------------------


def make_plan(
    outdir: str | Path,
    target: float,
    *,
    categories: list[str] | None = None,
    candidates: str | Path = "buildings",
    budget: float | None = None,
    weights: str = "workers",
    method: str = "greedy",
    outputs: Outputs | None = None,
    max_sites: int | None = None,
    seed: int = 0,
) -> PlanResult:
    """Choose additions that lift the park's score to ``target`` (module docstring).

    Parameters
    ----------
    outdir : path
        An assess OUTDIR.
    target : float
        The score to reach (above the baseline, at most 10).
    categories : list of str, optional
        Categories that may be added (default: every category of the assessment).
    candidates : "buildings", "grid" or a file
        Where additions may go.
    budget : float, optional
        At most this many additions, or this total ``cost`` when the candidate file has costs: the best
        within it, whether or not it reaches the target.
    weights : {"workers", "residents", "both", "area"}
        Whose score (summary.json key :data:`SCORE_KEYS`).
    method : {"greedy", "exact"}
    outputs : Outputs, optional
        Already read (benchmarks).
    max_sites : int, optional
        Keep a random sample of this many sites (benchmarks; ``seed``).

    Returns
    -------
    PlanResult
    """
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    out = outputs or read_outputs(outdir)
    s = out.settings
    if method not in ("greedy", "exact"):
        raise InputError(f"--method must be greedy or exact, got {method!r}.")
    if weights not in WEIGHTINGS:
        raise InputError(f"--weights must be one of {', '.join(WEIGHTINGS)}, got {weights!r}.")
    cats = list(categories) if categories else list(s.category_keys)
    unknown = [c for c in cats if c not in s.category_keys]
    if unknown:
        raise InputError(
            f"Unknown categor{'y' if len(unknown) == 1 else 'ies'} {', '.join(unknown)}: the assessment's "
            f"categories are {', '.join(s.category_keys)}."
        )
    if not np.isfinite(target) or target > 10:
        raise InputError(f"--target {target} is above 10, the top of the score: give a target up to 10.")
    if budget is not None and not budget > 0:
        raise InputError(f"--budget must be > 0, got {budget}.")
    demand = park_demand(out, weights)
    key = check_baseline(out, demand, weights)
    if target <= demand.baseline:
        raise InputError(
            f"--target {target} is not above the park's {key} ({demand.baseline:.2f}): give a higher target."
        )
    timings["read_s"] = time.perf_counter() - t0
    crs = out.summary.area.crs if out.summary.area is not None else "EPSG:3857"
    points = candidate_points(out, candidates)
    named = set(points["category"].astype(str)) - {""} - set(s.category_keys)
    if named:
        raise InputError(
            f"--candidates {candidates}: unknown categor{'y' if len(named) == 1 else 'ies'} "
            f"{', '.join(sorted(named))} in its category column; the assessment's categories are "
            f"{', '.join(s.category_keys)}."
        )
    sites = snap_sites(out, points, crs)
    if max_sites is not None and sites.node.size > max_sites:
        pick = np.sort(np.random.default_rng(seed).choice(sites.node.size, max_sites, replace=False))
        sites = Sites(*(getattr(sites, f)[pick] for f in Sites.__dataclass_fields__))
    item_site, item_cat = allowed_items(out, sites, cats, crs)
    if item_site.size == 0:
        raise InputError("The candidate set is empty: no site may take any of the categories asked for.")
    model = ScoreModel.from_settings(s)
    t = time.perf_counter()
    graph = network_matrix(out.network, out.nodes["node_id"].to_numpy())
    credit, _ = site_credits(graph, sites.node, demand.nodes, model)
    timings["distances_s"] = time.perf_counter() - t
    existing = {c: model.credit(v[demand.nodes]) for c, v in distances(out.nodes, s).items()}
    problem = PlanProblem(model, demand.weight, existing, credit, item_site, item_cat,
                          sites.cost[item_site], sites.capacity)
    costed = bool(np.ptp(sites.cost) > 0 or (sites.cost != 1).any())
    t = time.perf_counter()
    kwargs: dict[str, Any] = {"target": target}
    if budget is not None:
        kwargs["budget" if costed else "max_items"] = budget if costed else int(budget)
    solution = (greedy if method == "greedy" else exact)(problem, **kwargs)
    timings["solve_s"] = time.perf_counter() - t
    after = node_scores(planned_distances(out, demand, problem, solution.items, sites), s)
    achieved = park_score(after, demand.node_cell, out.cells, weights)
    timings["total_s"] = time.perf_counter() - t0
    additions = addition_frame(problem, solution, sites)
    summary = plan_summary(out, key, weights, target, demand.baseline, achieved, solution, budget, costed,
                           cats, candidates, sites, problem)
    before = node_scores(distances(out.nodes, s), s)
    cells = cells_before_after(out, demand, before, after)
    return PlanResult(summary, additions, solution, timings, cells=cells, outputs=out)


def achieved_score(
    out: Outputs, demand: Demand, weighting: str, problem: PlanProblem, items: list[int], sites: Sites
) -> float:
    """The park's score with the additions, recomputed the way assess computes it: new k nearest
    distances per node and category, node scores, cell means, the weighted park mean."""
    dist = planned_distances(out, demand, problem, items, sites)
    return park_score(node_scores(dist, out.settings), demand.node_cell, out.cells, weighting)


def cells_before_after(
    out: Outputs, demand: Demand, before: np.ndarray, after: np.ndarray
) -> pd.DataFrame:
    """The park's cells that count in its score: ``h3``, ``weight`` (share of the score), ``score_before``
    and ``score_after`` (mean node score of the cell, as assess computes it)."""
    keep = demand.cell_weight > 0
    return pd.DataFrame({
        "h3": out.cells["h3"].to_numpy()[keep],
        "weight": demand.cell_weight[keep] / demand.cell_weight.sum(),
        "score_before": cell_means(before, demand.node_cell, out.cells)[keep],
        "score_after": cell_means(after, demand.node_cell, out.cells)[keep],
    })


def planned_distances(
    out: Outputs, demand: Demand, problem: PlanProblem, items: list[int], sites: Sites
) -> dict[str, np.ndarray]:
    """``dist_<category>_<i>`` of every node (:func:`distances`) with the additions ``items`` placed:
    the park's nodes get the new k nearest network distances."""
    s = out.settings
    dist = distances(out.nodes, s)
    if items:
        used = np.unique(problem.item_site[items])
        graph = network_matrix(out.network, out.nodes["node_id"].to_numpy())
        _, metres = site_credits(graph, sites.node[used], demand.nodes, problem.model)
        col = {int(site): i for i, site in enumerate(used)}
        for j in items:
            cat = s.category_keys[int(problem.item_category[j])]
            c = col[int(problem.item_site[j])]
            lo, hi = metres.indptr[c], metres.indptr[c + 1]
            node = demand.nodes[metres.indices[lo:hi]]
            d = np.where(metres.data[lo:hi] <= 1e-300, 0.0, metres.data[lo:hi])
            dist[cat][node] = np.sort(np.column_stack([dist[cat][node], d]), axis=1)[:, : s.k]
    return dist


def addition_frame(problem: PlanProblem, solution: Solution, sites: Sites) -> gpd.GeoDataFrame:
    """The additions as points: a CHANGES file (``action = add``, ``category``), ``gain``, ``order``."""
    j = np.asarray(solution.items, dtype=np.int64)
    site = problem.item_site[j] if j.size else np.zeros(0, np.int64)
    return gpd.GeoDataFrame(
        {
            "action": ["add"] * j.size,
            "category": [problem.model.categories[int(c)] for c in problem.item_category[j]],
            "order": np.arange(1, j.size + 1),
            "gain": np.round(np.asarray(solution.gains, dtype=np.float64), 9),
            "site": sites.label[site] if j.size else [],
            "cost": problem.item_cost[j] if j.size else [],
        },
        geometry=gpd.points_from_xy(sites.lon[site], sites.lat[site]) if j.size else [],
        crs=4326,
    )


#: The input layers (summary.json ``data_quality``) a plan's score rests on, by ``--weights``.
PLAN_LAYERS: dict[str, tuple[str, ...]] = {
    "workers": ("network", "amenities", "jobs"),
    "residents": ("network", "amenities", "residents"),
    "both": ("network", "amenities", "jobs", "residents"),
    "area": ("network", "amenities"),
}


def plan_cautions(summary: Summary, weights: str) -> list[str]:
    """One sentence for each layer the plan rests on that the assessment found thin or missing: a
    plan on amenities that are not mapped proposes what may already be there, and the workers' or
    residents' weights are only as good as the jobs and residents under them."""
    quality = summary.data_quality or {}
    out = []
    for layer in PLAN_LAYERS[weights]:
        q = quality.get(layer)
        if q is not None and q.status != "ok":
            reasons = "; ".join(q.reasons) or "see the assessment's data_quality"
            out.append(f"{layer} {q.status} ({reasons})" + (f": {q.fix}" if q.fix else ""))
    return out


def plan_summary(
    out: Outputs, key: str, weights: str, target: float, baseline: float, achieved: float, sol: Solution,
    budget: float | None, costed: bool, cats: list[str], candidates: str | Path, sites: Sites,
    problem: PlanProblem,
) -> dict[str, Any]:
    """PLANDIR/summary.json."""
    model = problem.model
    mode = "budget" if budget is not None else "target"
    reached = achieved >= target - 1e-9
    increasing = model.increasing_ranks()
    bound = sol.bound
    if mode == "target" and not reached:
        bound = None
        bound_note = ("none: no choice of these candidates reaches the target (the greedy took every "
                      "addition that still gained)")
    elif sol.bound is None:
        bound_note = "none: rank weights increase with rank in " + ", ".join(increasing)
    elif mode == "target":
        bound_note = "a lower bound on the number of additions any plan that reaches the target needs"
    else:
        bound_note = f"an upper bound on the {key} any plan within the budget reaches"
    guarantee = (
        "none (rank weights increase with rank)" if increasing else
        ("exact optimum" if sol.method == "exact" else
         ("1 - 1/e of the best score gain within the budget (a number of additions); (1 - 1/e)/2 with costs"
          if mode == "budget" else "logarithmic (Wolsey 1982)"))
    )
    if sol.method == "greedy" and mode == "target" and reached and sol.gains and not increasing:
        before_last = sol.value - sol.gains[-1]
        ratio = (target - sol.baseline) / max(target - before_last, 1e-300)
        factor = 1.0 + float(np.log(max(ratio, 1.0)))
        guarantee = (f"at most {factor:.3f} x the fewest additions (Wolsey 1982: 1 + ln((target - "
                     "baseline) / (target - score before the last addition)))")
    return {
        "target": target,
        "baseline_score": round(baseline, 12),
        "achieved_score": round(achieved, 12),
        "additions": len(sol.items),
        "method": sol.method,
        "bound": None if bound is None else round(bound, 12),
        "bound_means": bound_note,
        "score_key": key,
        "score_decimals": SCORE_DECIMALS.get(weights, 12),
        "weights": weights,
        "reached": bool(reached),
        "best_reachable_score": None if reached else round(achieved, 12),
        "mode": mode,
        "budget": budget,
        "budget_counts": "cost" if (budget is not None and costed) else ("additions" if budget else None),
        "total_cost": round(float(problem.item_cost[np.asarray(sol.items, dtype=np.int64)].sum()), 6),
        "categories": cats,
        "candidates": str(candidates),
        "candidate_sites": int(sites.node.size),
        "candidate_additions": int(problem.item_site.size),
        "submodular": not increasing,
        "guarantee": guarantee,
        "assessment": str(out.path),
        "cautions": plan_cautions(out.summary, weights),
    }


def write_plan(
    result: PlanResult, plandir: str | Path, overwrite: bool = False, report: PlanRenderer | None = None
) -> Path:
    """PLANDIR: plan.geojson (a CHANGES file), plan.csv (the table), summary.json and, with ``report``
    (:func:`parkscope.outputs.report.plan.render_plan_report`), report.html; whole or nothing."""
    html = report(result) if report is not None else None  # before the folder: a failure writes nothing
    with atomic_output_dir(plandir, overwrite=overwrite) as tmp:
        frame = result.additions
        features = [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(g.x), float(g.y)]},
                "properties": {k: _plain(row[k]) for k in frame.columns if k != "geometry"},
            }
            for (_, row), g in zip(frame.iterrows(), frame.geometry, strict=True)
        ]
        (tmp / "plan.geojson").write_text(
            json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        table = pd.DataFrame(frame.drop(columns="geometry"))
        table["lon"], table["lat"] = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
        table.to_csv(tmp / "plan.csv", index=False)
        write_json(result.summary, tmp / "summary.json")
        if html is not None:
            (tmp / "report.html").write_text(html, encoding="utf-8")
    return Path(plandir)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v
