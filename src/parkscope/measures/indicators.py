"""Measures per H3 cell for the industry–city–people diagnosis: densities, shares, diversity, reach.

Every function is pure and works on plain arrays or (Geo)DataFrames in the study area's metric CRS.
:func:`parkscope.diagnoses.integration.cell_indicators` puts them together; docs/methods.md §8 gives
the formulas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse.csgraph import dijkstra

from parkscope.walk.amenities import features_matching
from parkscope.walk.network import WalkNetwork

#: OSM selectors of each feature set the indicators count (``key=value`` / ``key=*``).
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    # firms and other workplaces mapped as points or outlines
    "firms": ("office=*", "craft=*", "industrial=*", "man_made=works"),
    # research, higher education and incubation: the "innovation sites" of a park
    "innovation": (
        "amenity=research_institute", "office=research", "research=*", "amenity=university",
        "amenity=college", "amenity=coworking_space", "office=coworking", "office=incubator",
        "office=startup", "building=university", "building=college", "landuse=research",
    ),
    # green space: parks, gardens, grass, woods (a tree row or single tree is not an area)
    "green": (
        "leisure=park", "leisure=garden", "leisure=nature_reserve", "leisure=common",
        "landuse=grass", "landuse=forest", "landuse=meadow", "landuse=recreation_ground",
        "landuse=village_green", "landuse=allotments", "natural=wood", "natural=scrub",
        "natural=grassland", "natural=heath",
    ),
    "trees": ("natural=tree", "natural=tree_row", "natural=wood", "landuse=forest"),
    "bike_share": ("amenity=bicycle_rental",),
    "ev_charging": ("amenity=charging_station",),
    # areas the public may not enter
    "closed": (
        "access=private", "access=no", "access=customers", "access=permit", "landuse=military",
        "military=*",
    ),
}
#: Garden selectors count as green space only when public (a private garden is not green space).
_GREEN_EXCLUDE: tuple[str, ...] = ("access=private", "access=no", "leisure=garden;garden:type=residential")


def feature_set(features: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    """The features of one of :data:`FEATURE_SETS`."""
    exclude = _GREEN_EXCLUDE if name == "green" else ()
    return features[features_matching(features, FEATURE_SETS[name], exclude)]


def representative_xy(geoms: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """A point on or in each geometry (its own point, a point on a polygon's surface, a line's middle)."""
    values = geoms.values
    type_id = shapely.get_type_id(values)
    pts = np.array(values, dtype=object)
    poly = np.isin(type_id, (3, 6))
    line = np.isin(type_id, (1, 2, 5))
    pts[poly] = shapely.point_on_surface(values[poly])
    pts[line] = shapely.line_interpolate_point(values[line], 0.5, normalized=True)
    return shapely.get_x(pts), shapely.get_y(pts)


def sum_in_cells(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, cells_metric: gpd.GeoSeries
) -> np.ndarray:
    """Sum of ``weights`` (1 each if None) over the points ``(x, y)`` in each cell.

    Points outside every cell are not counted; a point on an edge shared by two cells counts once.
    """
    out = np.zeros(len(cells_metric), dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return out
    w = np.ones(x.size) if weights is None else np.asarray(weights, dtype=np.float64)
    tree = shapely.STRtree(cells_metric.values)
    pt_idx, cell_idx = tree.query(shapely.points(x, np.asarray(y, dtype=np.float64)), predicate="intersects")
    first = np.unique(pt_idx, return_index=True)[1]
    np.add.at(out, cell_idx[first], w[pt_idx[first]])
    return out


def count_in_cells(x: np.ndarray, y: np.ndarray, cells_metric: gpd.GeoSeries) -> np.ndarray:
    """How many of the points ``(x, y)`` fall in each cell (points outside every cell are not counted)."""
    return sum_in_cells(x, y, None, cells_metric)


def polygon_cover_share(polygons: gpd.GeoSeries, cells_metric: gpd.GeoSeries) -> np.ndarray:
    """Share (0–1) of each cell covered by the union of ``polygons`` (overlaps counted once).

    The union is split into its parts; each part is clipped to the bounding box of every cell it
    touches before the exact intersection, so a forest of 10⁵ vertices costs a linear clip per
    cell instead of a full overlay (Andorra, 3,000 cells: 9.4 s → well under a second).
    """
    values = polygons.values
    values = values[np.isin(shapely.get_type_id(values), (3, 6))]
    cells = cells_metric.values
    covered = np.zeros(len(cells))
    if len(values) == 0 or len(cells) == 0:
        return covered
    parts = shapely.get_parts(shapely.union_all(shapely.make_valid(values)))
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    if len(parts) == 0:
        return covered
    cell_idx, part_idx = shapely.STRtree(parts).query(cells, predicate="intersects")
    bounds = shapely.bounds(cells)
    for c, p in zip(cell_idx, part_idx, strict=True):
        piece = shapely.clip_by_rect(parts[p], *bounds[c])
        covered[c] += shapely.area(shapely.intersection(piece, cells[c]))
    return covered / shapely.area(cells)


def intersection_mask(network: WalkNetwork) -> np.ndarray:
    """Nodes where three or more walkable edges meet (street intersections)."""
    degree = np.bincount(network.edge_u, minlength=network.n_nodes) + np.bincount(
        network.edge_v, minlength=network.n_nodes
    )
    return degree >= 3


def amenity_diversity(distances: Mapping[str, np.ndarray], within_m: float) -> np.ndarray:
    r"""Evenness of the amenity categories within walking distance of each node (0–1).

    With :math:`n_c` the number of amenities of category :math:`c` among the ``k`` nearest that lie
    within ``within_m`` and :math:`p_c = n_c / \sum n_c`:

    .. math::

        J = -\frac{\sum_c p_c \ln p_c}{\ln |C|}

    the Shannon entropy of the local mix normalised by its maximum (Pielou's evenness over all
    :math:`|C|` categories): 1 when every category is equally present, 0 when one category or none is.

    Parameters
    ----------
    distances : mapping
        Category -> (n_nodes, k) network distances (NaN where none).
    within_m : float
        Walking distance counted (the 15-minute distance).
    """
    counts = np.column_stack(
        [np.sum(np.nan_to_num(d, nan=np.inf) <= within_m, axis=1) for d in distances.values()]
    ).astype(np.float64)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(total > 0, counts / np.where(total > 0, total, 1.0), 0.0)
        h = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=1)
    n = counts.shape[1]
    return h / np.log(n) if n > 1 else np.zeros(len(h))


def nearest_nodes(network: WalkNetwork, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Index of the network node nearest (straight line) to each point ``(x, y)`` in the metric CRS
    (the network's KD-tree, built once: :meth:`WalkNetwork.nearest_nodes`)."""
    return network.nearest_nodes(x, y)


def cell_representative_nodes(
    network: WalkNetwork, node_cell: np.ndarray, cells: Sequence[str], cells_metric: gpd.GeoSeries
) -> np.ndarray:
    """For each cell, the node of that cell nearest its centre (-1 for a cell without nodes)."""
    centre = shapely.centroid(cells_metric.values)
    cx, cy = shapely.get_x(centre), shapely.get_y(centre)
    pos = pd.Series(np.arange(len(cells)), index=pd.Index(cells))
    cell_idx = pos.reindex(node_cell).to_numpy()
    ok = ~np.isnan(cell_idx)
    cell_idx = np.where(ok, cell_idx, -1).astype(np.int64)
    d2 = np.full(network.n_nodes, np.inf)
    d2[ok] = (network.x[ok] - cx[cell_idx[ok]]) ** 2 + (network.y[ok] - cy[cell_idx[ok]]) ** 2
    order = np.lexsort((d2, cell_idx))
    sorted_cells = cell_idx[order]
    first = np.unique(sorted_cells, return_index=True)
    rep = np.full(len(cells), -1, dtype=np.int64)
    for c, i in zip(*first, strict=True):
        if c >= 0:
            rep[c] = order[i]
    return rep


def reach_sums(
    network: WalkNetwork,
    sources: np.ndarray,
    node_values: np.ndarray,
    within_m: float,
    batch: int = 128,
    on_batch: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Sum of node values within ``within_m`` network metres of each source node.

    Parameters
    ----------
    network : WalkNetwork
    sources : ndarray of int, shape (s,)
        Node indices (−1 entries give NaN rows).
    node_values : ndarray, shape (n_nodes, m)
        Values held at nodes (jobs, residents, sites…).
    within_m : float
        Network distance limit (inclusive).
    batch : int
        Sources per Dijkstra call (bounds memory at ``batch × n_nodes`` floats).
    on_batch : callable, optional
        Called with (sources done, sources in all) after each batch (progress).

    Returns
    -------
    ndarray, shape (s, m)
    """
    values = np.asarray(node_values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    out = np.full((len(sources), values.shape[1]), np.nan)
    valid = np.nonzero(sources >= 0)[0]
    if valid.size == 0:
        return out
    graph = network.graph  # built once per network
    for start in range(0, valid.size, batch):
        rows = valid[start : start + batch]
        dist = dijkstra(graph, directed=True, indices=sources[rows], limit=within_m * (1 + 1e-12))
        out[rows] = (dist <= within_m).astype(np.float64) @ values
        if on_batch is not None:
            on_batch(min(start + batch, valid.size), int(valid.size))
    return out


def catchment(network: WalkNetwork, sources: np.ndarray, within_m: float) -> np.ndarray:
    """Boolean mask of the nodes within ``within_m`` network metres of any of ``sources``."""
    if len(sources) == 0:
        return np.zeros(network.n_nodes, dtype=bool)
    dist = dijkstra(network.graph, directed=True, indices=np.asarray(sources), min_only=True,
                    limit=within_m * (1 + 1e-12))
    return np.asarray(dist) <= within_m


def spread_cell_values(
    cell_values: np.ndarray, node_cell_index: np.ndarray, fallback_nodes: np.ndarray
) -> np.ndarray:
    """Spread per-cell totals equally over each cell's nodes (a cell without nodes gives its total
    to ``fallback_nodes[cell]``, its nearest node). Totals are conserved.

    Parameters
    ----------
    cell_values : ndarray, shape (n_cells, m)
    node_cell_index : ndarray of int, shape (n_nodes,)
        Position of each node's cell in the cell arrays (−1 if its cell is not one of them).
    fallback_nodes : ndarray of int, shape (n_cells,)
    """
    values = np.asarray(cell_values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    n_cells, n_nodes = values.shape[0], node_cell_index.size
    counts = np.bincount(node_cell_index[node_cell_index >= 0], minlength=n_cells).astype(np.float64)
    out = np.zeros((n_nodes, values.shape[1]))
    inside = node_cell_index >= 0
    share = values / np.where(counts > 0, counts, 1.0)[:, None]
    out[inside] = share[node_cell_index[inside]]
    empty = np.nonzero((counts == 0) & (values.sum(axis=1) != 0))[0]
    np.add.at(out, fallback_nodes[empty], values[empty])
    return out
