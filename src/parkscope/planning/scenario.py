"""Scenarios re-evaluated: every stage after the changes (the reference) or only what they reach.

:func:`evaluate` takes the stage results of an assessment and the changes applied to them
(:func:`parkscope.planning.apply.apply_changes`). ``incremental=False`` runs every stage after the
change on every node; ``incremental=True`` recomputes only what a change reaches: the k nearest
amenities of the nodes within the search radius of a changed amenity or link end (on the sub-network
within twice the radius, which holds every path that matters to them), the scores of those nodes and
the means of their cells, the 15-minute reach of the cells whose walk meets a node whose jobs,
residents or sites changed, population only after a floor-space or use change, and the global steps
(data quality, the normalised sub-indices and the park's figures) on the patched inputs. Both give
the same figures (tests/test_scenario.py: to 1e-9; docs/scenario.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from parkscope.diagnoses.integration import (
    REACH_COLUMNS,
    PreviousDiagnosis,
    Reach,
    count_indicators,
    reach_indicators,
    spread_cell_values,
    workplace_and_housing_floor,
)
from parkscope.measures.indicators import (
    amenity_diversity,
    count_in_cells,
    feature_set,
    intersection_mask,
    reach_sums,
    representative_xy,
    sum_in_cells,
)
from parkscope.measures.population import KINDS
from parkscope.measures.quality import bounds
from parkscope.measures.score import category_scores, life_convenience
from parkscope.pipeline import (
    Access,
    Diagnosis,
    Population,
    Scores,
    Walk,
    accessibility,
    build_summary,
    data_quality,
    diagnosis,
    diagnosis_from_indicators,
    park_scores,
    population_from_buildings,
    scores,
)
from parkscope.planning.apply import Applied
from parkscope.planning.state import Stages
from parkscope.settings.summary import Summary
from parkscope.settings.vocabulary import share_column, within_name
from parkscope.walk._kernels import csr_from_edges
from parkscope.walk.access import k_nearest_by_category

__all__ = ["Base", "Evaluation", "evaluate", "prepare_base"]

#: Cell columns read from the category scores (as
#: :func:`parkscope.diagnoses.integration.cell_indicators` does).
_FROM_CATEGORY = {"transit_access": "transit", "park_access": "parks"}
_SLACK_M = 1e-6  # metres added to search limits so that rounding never leaves a node out


@dataclass(frozen=True)
class Evaluation:
    """The stage results after the changes, and the seconds each step took."""

    walk: Walk
    acc: Access
    sc: Scores
    pop: Population
    quality: Any
    dg: Diagnosis
    summary: Summary
    timings: dict[str, float] = field(default_factory=dict)
    affected_nodes: int = 0
    affected_cells: int = 0


# --------------------------------------------------------------------------------------------------
# Re-evaluation
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Base:
    """What every evaluation of one kept assessment needs and no change alters: derived once.

    Attributes
    ----------
    cells_metric : GeoSeries
        The cells in the study area's metric CRS.
    centre_x, centre_y : ndarray
        Their centroids there.
    sites : dict
        ``firms`` / ``innovation_sites`` -> (x, y) of the sites of the diagnosis (metric).
    node_cell : ndarray of int
        Position of each node's cell in the cells (-1: none), for the assessment's nodes.
    """

    cells_metric: gpd.GeoSeries
    centre_x: np.ndarray
    centre_y: np.ndarray
    sites: dict[str, tuple[np.ndarray, np.ndarray]]
    node_cell: np.ndarray


def prepare_base(st: Stages) -> Base:
    """Derive the :class:`Base` of a kept assessment (once per OUTDIR, before its scenarios)."""
    cells, crs = st.sc.cells, st.walk.network.crs
    metric = cells.geometry.to_crs(crs)
    centre = shapely.centroid(metric.values)
    sites = {}
    for column, feature in (("firms", "firms"), ("innovation_sites", "innovation")):
        found = feature_set(st.pop.features, feature)
        xy = representative_xy(found.geometry.to_crs(crs)) if len(found) else (np.zeros(0), np.zeros(0))
        sites[column] = (np.asarray(xy[0], np.float64), np.asarray(xy[1], np.float64))
    node_cell = pd.Index(cells["h3"].to_numpy()).get_indexer(st.walk.node_cells).astype(np.int64)
    return Base(metric, shapely.get_x(centre), shapely.get_y(centre), sites, node_cell)


def _node_cell(base: Base, st: Stages, walk: Walk) -> np.ndarray:
    """Cell position of every node of ``walk`` (the assessment's nodes, then the new ones)."""
    n_old = st.walk.network.n_nodes
    if walk.network.n_nodes == n_old:
        return base.node_cell
    new = pd.Index(st.sc.cells["h3"].to_numpy()).get_indexer(walk.node_cells[n_old:]).astype(np.int64)
    return np.concatenate([base.node_cell, new])


def evaluate(st: Stages, applied: Applied, *, incremental: bool = True, base: Base | None = None
             ) -> Evaluation:
    """The stage results after the changes.

    ``incremental=False`` re-runs every stage after the change on the whole network (the
    reference); ``incremental=True`` recomputes only what the changes reach (module docstring).
    Both end in the same figures. ``base`` (:func:`prepare_base`) is derived here when not given;
    a caller evaluating many scenarios of one assessment derives it once.
    """
    timings: dict[str, float] = {}
    clock = _clock(timings)
    req, walk = st.req, applied.walk
    if not incremental:
        acc = clock("access_s", accessibility, req, walk)
        sc = clock("score_s", scores, req, walk, acc)
        buildings = st.pop.buildings if applied.buildings is None else applied.buildings
        pop = clock("population_s", population_from_buildings, req, st.pop.features, buildings, sc)
        quality = clock("quality_s", data_quality, req, st.ext, walk, sc, pop)
        dg = clock("indices_s", diagnosis, req, walk, acc, sc, pop, quality, None, st.collab)
        summary = clock("summary_s", _summary, st, walk, sc, pop, quality, dg)
        return Evaluation(walk, acc, sc, pop, quality, dg, summary, timings, walk.network.n_nodes,
                          len(sc.cells))
    if not np.isin(walk.node_cells[st.walk.network.n_nodes:], st.sc.cells["h3"].to_numpy()).all():
        return evaluate(st, applied, incremental=False)  # a new node in a cell the grid lacks: all again
    if base is None:
        base = clock("base_s", prepare_base, st)
    node_cell = _node_cell(base, st, walk)
    acc, affected = clock("access_s", _local_access, st, applied)
    sc, cells_touched = clock("score_s", _local_scores, st, applied, acc, affected, node_cell)
    pop = st.pop
    same_walkable = np.array_equal(sc.cells["n_nodes"].to_numpy() > 0, st.sc.cells["n_nodes"].to_numpy() > 0)
    if applied.buildings is not None and same_walkable:
        pop = clock("population_s", _local_population, st, applied, base) or st.pop
    if pop is st.pop and (applied.buildings is not None or not same_walkable):
        buildings = st.pop.buildings if applied.buildings is None else applied.buildings
        pop = clock("population_s", population_from_buildings, req, st.pop.features, buildings, sc)
    measures = clock("quality_s", _local_measures, st, applied, pop, base)
    quality = clock("quality_s", data_quality, req, st.ext, walk, sc, pop, measures)
    values, reach = clock("indicators_s", _local_indicators, st, applied, acc, sc, pop, affected, base,
                          node_cell)
    previous = PreviousDiagnosis(st.dg.values, st.sc.cells["n_nodes"].to_numpy() > 0, st.quality.cell_status,
                                 st.dg.cell_diagnosis, st.dg.model)
    dg = clock("indices_s", diagnosis_from_indicators, req, walk, sc, pop, quality, values, reach, st.collab,
               st.dg.park_cover, previous)
    summary = clock("summary_s", _summary, st, walk, sc, pop, quality, dg)
    return Evaluation(walk, acc, sc, pop, quality, dg, summary, timings, int(affected.sum()), cells_touched)


def _summary(st: Stages, walk: Walk, sc: Scores, pop: Population, quality: Any, dg: Diagnosis) -> Summary:
    sha = st.summary.provenance.extract_sha256  # OUTDIR alone: no extract to read
    return build_summary(st.req, st.ext, walk, sc, pop, quality, dg, extract_sha256=sha)


def _clock(timings: dict[str, float]) -> Any:
    def run(key: str, stage: Any, *args: Any) -> Any:
        t = time.perf_counter()
        out = stage(*args)
        timings[key] = timings.get(key, 0.0) + time.perf_counter() - t
        return out
    return run


def _within(network: Any, sources: np.ndarray, limit_m: float) -> np.ndarray:
    """Network metres from the nearest of ``sources`` to every node (inf beyond ``limit_m``)."""
    if len(sources) == 0:
        return np.full(network.n_nodes, np.inf)
    return np.asarray(dijkstra(network.graph, directed=True, indices=np.asarray(sources), min_only=True,
                               limit=limit_m))


def _local_access(st: Stages, applied: Applied) -> tuple[Access, np.ndarray]:
    """k-nearest lists of the nodes within the search radius of a change, on the sub-network within
    twice the radius (every path of at most the radius from such a node stays inside it)."""
    walk, settings = applied.walk, st.req.settings
    net, n_old = walk.network, st.walk.network.n_nodes
    dists = {k: _pad(v, net.n_nodes) for k, v in st.acc.distances.items()}
    radius = settings.max_distance_m
    dist = _within(net, applied.seeds, 2 * radius + 2 * _SLACK_M)
    affected = dist <= radius + _SLACK_M
    affected[n_old:] = True
    if not affected.any() or not applied.categories:
        return Access(dists), affected
    ball = np.nonzero(np.isfinite(dist) | (np.arange(net.n_nodes) >= n_old))[0]
    pos = np.full(net.n_nodes, -1, np.int64)
    pos[ball] = np.arange(ball.size)
    inner = (pos[net.edge_u] >= 0) & (pos[net.edge_v] >= 0)
    indptr, indices, weights = csr_from_edges(ball.size, pos[net.edge_u[inner]], pos[net.edge_v[inner]],
                                              net.length_m[inner])
    joined = walk.joined
    src = pos[joined["node_index"].to_numpy(np.int64)]
    cat = joined["category"].astype(str).to_numpy()
    use = (src >= 0) & np.isin(cat, applied.categories)
    sub = k_nearest_by_category(
        indptr, indices, weights, src[use], cat[use], joined["offset_m"].to_numpy(np.float64)[use],
        applied.categories, k=settings.k, max_distance_m=radius,
        source_id=joined["amenity_id"].to_numpy()[use],
    )
    rows = pos[affected]
    for key in applied.categories:
        dists[key][affected] = sub[key][rows]
    return Access(dists), affected


def _pad(a: np.ndarray, n: int) -> np.ndarray:
    out = np.full((n, a.shape[1]), np.nan)
    out[: a.shape[0]] = a
    return out


def _node_measures(req: Any, dists: dict[str, np.ndarray], rows: np.ndarray) -> tuple[np.ndarray, dict]:
    """Score and the cell-averaged columns (shares within the coverage walk, category scores) of nodes."""
    settings = req.settings
    sub = {k: d[rows] for k, d in dists.items()}
    cat_scores = category_scores(sub, settings)
    score = life_convenience(cat_scores, settings)
    cols = {}
    for key in settings.category_keys:
        cols[share_column(key, settings.coverage_minutes)] = (
            sub[key][:, 0] <= settings.coverage_distance_m).astype(np.float64)
        cols[f"score_{key}"] = cat_scores[key]
    return score, cols


def _local_scores(st: Stages, applied: Applied, acc: Access, affected: np.ndarray, node_cell: np.ndarray
                  ) -> tuple[Scores, int]:
    """Scores of the affected nodes, means of their cells; the park's figures again."""
    req, walk, settings = st.req, applied.walk, st.req.settings
    net, n_old = walk.network, st.walk.network.n_nodes
    if not affected.any() and walk.joined is st.walk.joined:  # no amenity and no node changed
        return st.sc, 0
    old = st.sc.nodes
    rows = np.nonzero(affected)[0]
    score, _ = _node_measures(req, acc.distances, rows)
    updates = {"score": score}
    for key in settings.category_keys:
        for i in range(settings.k):
            updates[f"dist_{key}_{i + 1}"] = acc.distances[key][rows, i]
    new = slice(n_old, net.n_nodes)
    extra = {"node_id": net.node_id[new], "lon": net.lon[new], "lat": net.lat[new],
             "in_park": shapely.contains_xy(req.area.park, net.lon[new], net.lat[new])}
    if net.n_nodes == n_old:  # no node added: the old frame with the updated columns replaced
        nodes = old.copy(deep=False)
        for col, vals in updates.items():
            column = old[col].to_numpy().copy()
            column[rows] = vals
            nodes[col] = column
    else:
        nodes = _grown_nodes(old, net, n_old, rows, updates, extra)
    touched_cells = np.unique(node_cell[rows])
    touched_cells = touched_cells[touched_cells >= 0]
    mark = np.zeros(len(st.sc.cells), dtype=bool)
    mark[touched_cells] = True
    in_touched = np.nonzero((node_cell >= 0) & mark[np.maximum(node_cell, 0)])[0]
    t_score, t_cols = _node_measures(req, acc.distances, in_touched)
    frame = pd.DataFrame({"score": t_score, **t_cols})
    frame["cell"] = node_cell[in_touched]
    means = frame.groupby("cell")[[c for c in frame.columns if c != "cell"]].mean()
    counts = frame.groupby("cell").size()
    cells = st.sc.cells.copy()
    at = means.index.to_numpy()
    for col, vals in (("n_nodes", counts.reindex(means.index).to_numpy(np.int64)),
                      *((c, means[c].to_numpy(np.float64)) for c in means.columns)):
        column = cells[col].to_numpy().copy()
        column[at] = vals
        cells[col] = column
    return park_scores(req, walk, acc, nodes, cells), int(touched_cells.size)


def _grown_nodes(old: gpd.GeoDataFrame, net: Any, n_old: int, rows: np.ndarray, updates: dict,
                 extra: dict) -> gpd.GeoDataFrame:
    """The node frame with the nodes added after ``n_old`` appended (their ``extra`` columns, NaN
    elsewhere) and ``updates`` at ``rows``."""
    new = slice(n_old, net.n_nodes)
    columns = {}
    for col in old.columns:
        if col == "geometry":
            continue
        values = old[col].to_numpy()
        values = np.concatenate([values, extra[col] if col in extra else
                                 np.full(net.n_nodes - n_old, np.nan, dtype=values.dtype)])
        if col in updates:
            values[rows] = updates[col]
        columns[col] = values
    points = old.geometry.values
    geometry = type(points)._concat_same_type([points, gpd.points_from_xy(net.lon[new], net.lat[new],
                                                                          crs=points.crs)])
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=4326)


def _local_population(st: Stages, applied: Applied, base: Base) -> Population | None:
    """Jobs and residents per cell after floor-space or use changes, when both come from the OSM
    buildings: the old counts with the changed buildings' share taken out and put back (as
    :func:`parkscope.pipeline.population_from_buildings` sums them). None for any other source."""
    req, old = st.req, st.pop
    if any(req.counts[k].source != "osm_buildings" or req.counts[k].weight is not None for k in KINDS):
        return None
    buildings = applied.buildings.copy()
    buildings["workplace_floor_m2"] = workplace_and_housing_floor(buildings)[0]
    n_old, n_new = len(old.buildings), len(buildings)
    bx, by = old.building_xy
    if n_new > n_old:
        nx, ny = representative_xy(buildings.geometry.iloc[n_old:].to_crs(req.area.crs))
        bx, by = np.r_[bx, np.asarray(nx, np.float64)], np.r_[by, np.asarray(ny, np.float64)]
    differs = np.zeros(n_old, dtype=bool)
    for kind in KINDS:
        differs |= buildings[kind].to_numpy(np.float64)[:n_old] != old.buildings[kind].to_numpy(np.float64)
    was = np.nonzero(differs)[0]
    now = np.r_[was, np.arange(n_old, n_new)].astype(np.int64)
    park_m = gpd.GeoSeries([req.area.park], crs=4326).to_crs(req.area.crs).iloc[0]
    counts, park_counts = dict(old.counts), dict(old.park_counts)
    for kind in KINDS:
        before = old.buildings[kind].to_numpy(np.float64)[was]
        after = buildings[kind].to_numpy(np.float64)[now]
        counts[kind] = (np.asarray(old.counts[kind], np.float64)
                        - sum_in_cells(bx[was], by[was], before, base.cells_metric)
                        + sum_in_cells(bx[now], by[now], after, base.cells_metric))
        park_counts[kind] = (old.park_counts[kind]
                             - float(before[shapely.contains_xy(park_m, bx[was], by[was])].sum())
                             + float(after[shapely.contains_xy(park_m, bx[now], by[now])].sum()))
    return replace(old, buildings=buildings, building_xy=(bx, by), counts=counts, park_counts=park_counts)


def _local_measures(st: Stages, applied: Applied, pop: Population, base: Base) -> pd.DataFrame:
    """The cells' data measures (:func:`parkscope.measures.quality.cell_measures`) after the change: street
    length moved with the edges that changed, buildings added, amenity points counted again."""
    old, net, old_net = st.quality.cell_measures, applied.walk.network, st.walk.network
    out = old.copy()
    metric = base.cells_metric
    area_km2 = out["area_km2"].to_numpy()
    if net is not old_net and (net.n_edges != old_net.n_edges or net.n_nodes != old_net.n_nodes
                               or not np.array_equal(net.length_m, old_net.length_m)):
        # nodes are only appended, so an edge is the same edge in both when its ends and length are
        n = net.n_nodes
        key_old, key_new = old_net.edge_u * n + old_net.edge_v, net.edge_u * n + net.edge_v
        same_old = pd.Index(key_new).get_indexer(key_old)
        kept = same_old >= 0
        kept[kept] = net.length_m[same_old[kept]] == old_net.length_m[kept]
        came = np.ones(net.n_edges, dtype=bool)
        came[same_old[kept]] = False

        def km(nw: Any, mask: np.ndarray) -> np.ndarray:
            u, v = nw.edge_u[mask], nw.edge_v[mask]
            return sum_in_cells(0.5 * (nw.x[u] + nw.x[v]), 0.5 * (nw.y[u] + nw.y[v]), nw.length_m[mask] / 1e3,
                                metric)

        street = out["street_km"].to_numpy() - km(old_net, ~kept) + km(net, came)
        street = np.maximum(street, 0.0)
        out["street_km"] = street
        with np.errstate(invalid="ignore", divide="ignore"):
            out["street_km_per_km2"] = np.where(area_km2 > 0, street / area_km2, 0.0)
        built_up = bounds()["cells"]["built_up_street_km_per_km2"]
        out["built_up"] = out["street_km_per_km2"].to_numpy() >= built_up
    n_old = len(st.pop.buildings)
    if pop is not st.pop and len(pop.buildings) > n_old:
        bx, by = pop.building_xy
        fp = pop.buildings["footprint_m2"].to_numpy(np.float64)[n_old:]
        bx, by = bx[n_old:], by[n_old:]
        out["buildings"] = out["buildings"].to_numpy() + sum_in_cells(bx, by, None, metric)
        footprint = out["footprint_m2"].to_numpy() + sum_in_cells(bx, by, fp, metric)
        out["footprint_m2"] = footprint
        with np.errstate(invalid="ignore", divide="ignore"):
            out["footprint_share"] = np.where(area_km2 > 0, footprint / (area_km2 * 1e6), 0.0)
    joined, located = applied.walk.joined, applied.walk.located
    first = ~joined["amenity_id"].duplicated().to_numpy()
    out["amenities"] = sum_in_cells(shapely.get_x(located.geometry.values)[first],
                                    shapely.get_y(located.geometry.values)[first], None, metric)
    return out


def _local_indicators(
    st: Stages, applied: Applied, acc: Access, sc: Scores, pop: Population, affected: np.ndarray,
    base: Base, node_cell: np.ndarray,
) -> tuple[pd.DataFrame, Reach]:
    """The raw indicators per cell after the change: the old ones, with the columns the change
    reaches computed again (as :func:`parkscope.diagnoses.integration.cell_indicators` computes them)."""
    walk, settings = applied.walk, st.req.settings
    net, n_old, cells = walk.network, st.walk.network.n_nodes, sc.cells
    cover = settings.coverage_distance_m
    out = st.dg.values.copy()
    out = out[[c for c in out.columns if not c.startswith("user_")]]
    area_km2 = cells["area_m2"].to_numpy(dtype=np.float64) / 1e6
    cells_metric = base.cells_metric
    pop_changed = pop is not st.pop
    if pop_changed:
        counts = count_indicators(cells, cells_metric, pop.counts["jobs"], pop.counts["residents"],
                                  pop.buildings)
        for column, value in counts.items():
            out[column] = value
        out["resident_density"] = out["residents"] / area_km2
    reach = st.dg.reach
    if pop_changed or net.n_nodes > n_old or applied.link_ends.size:
        reach, sums = _local_reach(st, applied, out, base, node_cell)
        reached = dict(zip(REACH_COLUMNS, sums.T, strict=True))
        for column, value in reach_indicators(reached, settings.coverage_minutes,
                                              settings.diagnosis.employment_rate).items():
            out[column] = value
    out["life_convenience"] = cells["score"].to_numpy(dtype=np.float64)
    for key, category in _FROM_CATEGORY.items():
        column = f"score_{category}"
        if column in cells.columns and key in out.columns:
            out[key] = cells[column].to_numpy(dtype=np.float64)
    # amenity diversity: mean over a cell's nodes, again for the cells of the affected nodes
    touched = np.unique(node_cell[affected])
    mark = np.zeros(len(cells), dtype=bool)
    mark[touched[touched >= 0]] = True
    in_touched = np.nonzero((node_cell >= 0) & mark[np.maximum(node_cell, 0)])[0]
    if in_touched.size:
        div = amenity_diversity({k: d[in_touched] for k, d in acc.distances.items()}, cover)
        means = pd.Series(div).groupby(node_cell[in_touched]).mean()
        out.iloc[means.index.to_numpy(), out.columns.get_loc("amenity_diversity")] = means.to_numpy()
    if applied.link_ends.size:
        inter = intersection_mask(net)
        out["intersection_density"] = count_in_cells(net.x[inter], net.y[inter], cells_metric) / area_km2
    return out, reach


def _local_reach(st: Stages, applied: Applied, values: pd.DataFrame, base: Base, node_cell: np.ndarray
                 ) -> tuple[Reach, np.ndarray]:
    """The 15-minute reach sums again for the cells whose walk meets a node whose jobs, residents or
    sites changed, whose representative node changed, or whose walk a new link may shorten.

    Node values as :func:`parkscope.diagnoses.integration.cell_indicators` spreads them; only a new
    node can take a cell's representative node (when strictly nearer its centre) or a site (when
    nearest to it)."""
    walk, settings = applied.walk, st.req.settings
    net, n_old = walk.network, st.walk.network.n_nodes
    cover = settings.coverage_distance_m
    n_cells = len(base.centre_x)
    tree: list[cKDTree] = []

    def nearest(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if not tree:
            tree.append(cKDTree(np.column_stack([net.x, net.y])))
        return tree[0].query(np.column_stack([x, y]))[1].astype(np.int64)

    old_rep = st.dg.reach.rep_nodes
    rep = old_rep.copy()
    for p in range(n_old, net.n_nodes):  # as cell_representative_nodes: strictly nearer wins
        c = node_cell[p]
        if c < 0:
            continue
        x, y, r = base.centre_x[c], base.centre_y[c], rep[c]
        if r < 0 or (net.x[p] - x) ** 2 + (net.y[p] - y) ** 2 < (net.x[r] - x) ** 2 + (net.y[r] - y) ** 2:
            rep[c] = p
    counts = np.bincount(node_cell[node_cell >= 0], minlength=n_cells)
    cell_values = np.column_stack([values["jobs"], values["residents"]])
    fallback = np.zeros(n_cells, dtype=np.int64)
    empty = np.nonzero((counts == 0) & (cell_values.sum(axis=1) != 0))[0]
    if empty.size:
        fallback[empty] = nearest(base.centre_x[empty], base.centre_y[empty])
    node_values = np.zeros((net.n_nodes, len(REACH_COLUMNS)))
    node_values[:, :2] = spread_cell_values(cell_values, node_cell, fallback)
    if net.n_nodes > n_old:  # a new node may be the nearest to a firm or an innovation site
        for column, (x, y) in base.sites.items():
            if x.size:
                np.add.at(node_values[:, REACH_COLUMNS.index(column)], nearest(x, y), 1.0)
    else:
        node_values[:, 2:] = st.dg.reach.node_values[:, 2:]
    old = _pad(st.dg.reach.node_values, net.n_nodes)
    old[n_old:] = 0.0
    changed = np.nonzero((node_values != old).any(axis=1))[0]
    sources = np.union1d(changed, applied.link_ends)
    near = _within(net, sources, cover * (1 + 1e-12) + _SLACK_M) <= cover + _SLACK_M
    redo = ((rep >= 0) & near[np.maximum(rep, 0)]) | (rep != old_rep)
    minutes = st.req.settings.coverage_minutes
    sums = np.column_stack([values[within_name(c, minutes)].to_numpy(np.float64) for c in REACH_COLUMNS])
    rows = np.nonzero(redo)[0]
    if rows.size:
        sums[rows] = reach_sums(net, rep[rows], node_values, cover)
    return Reach(node_values=node_values, rep_nodes=rep), sums
