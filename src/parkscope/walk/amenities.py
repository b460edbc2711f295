"""Amenities: OSM features → taxonomy categories → points → where they join the walking network."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

from parkscope.settings.config import Category, Settings, _parse_selector
from parkscope.walk.network import WalkNetwork

log = logging.getLogger(__name__)

AMENITY_COLUMNS = ["category", "amenity_id", "osm_type", "osm_id", "name", "geometry"]
_JOIN_EPS_M = 1e-6


def _tag_values(tags: pd.Series, key: str, cache: dict[str, np.ndarray]) -> np.ndarray:
    if key not in cache:
        cache[key] = tags.map(lambda t: t.get(key)).to_numpy(dtype=object)
    return cache[key]


def _selector_mask(tags: pd.Series, selector: str, cache: dict[str, np.ndarray]) -> np.ndarray:
    mask = np.ones(len(tags), dtype=bool)
    for key, value in _parse_selector(selector, "taxonomy", "taxonomy"):
        values = _tag_values(tags, key, cache)
        mask &= pd.notna(values) if value == "*" else (values == value)
    return mask


def features_matching(
    features: pd.DataFrame, selectors: Sequence[str], exclude: Sequence[str] = ()
) -> np.ndarray:
    """Boolean mask of the features whose tags match any selector and no ``exclude`` selector.

    Parameters
    ----------
    features : DataFrame
        With a ``tags`` column of dicts.
    selectors, exclude : sequence of str
        ``key=value`` / ``key=*`` selectors (``a=b;c=d`` means both), as in ``taxonomy.toml``.
    """
    cache: dict[str, np.ndarray] = {}
    hit = np.zeros(len(features), dtype=bool)
    if not len(features):
        return hit
    for sel in selectors:
        hit |= _selector_mask(features["tags"], sel, cache)
    for sel in exclude:
        hit &= ~_selector_mask(features["tags"], sel, cache)
    return hit


def classify(features: pd.DataFrame, categories: Sequence[Category]) -> pd.DataFrame:
    """Which taxonomy categories each feature belongs to.

    An object may belong to several categories (a kindergarten is education and childcare)
    but to each at most once.

    Parameters
    ----------
    features : DataFrame
        With a ``tags`` column of dicts.
    categories : sequence of Category

    Returns
    -------
    DataFrame
        ``feature`` (positional index into ``features``) and ``category`` (key).
    """
    cache: dict[str, np.ndarray] = {}
    tags = features["tags"]
    parts = []
    for cat in categories:
        hit = np.zeros(len(tags), dtype=bool)
        for sel in cat.tags:
            hit |= _selector_mask(tags, sel, cache)
        for sel in cat.exclude:
            hit &= ~_selector_mask(tags, sel, cache)
        idx = np.nonzero(hit)[0]
        parts.append(pd.DataFrame({"feature": idx, "category": cat.key}))
    if not parts:
        return pd.DataFrame({"feature": np.zeros(0, np.int64), "category": []})
    return pd.concat(parts, ignore_index=True)


def _edge_points(poly: BaseGeometry, spacing_m: float) -> list[BaseGeometry]:
    """Points every ``spacing_m`` along the outline(s) of a polygon (its access points)."""
    points = []
    for ring in shapely.get_parts(shapely.boundary(poly)):
        n = max(int(np.ceil(ring.length / spacing_m)), 1)
        points += list(shapely.line_interpolate_point(ring, np.arange(n) * (ring.length / n)))
    return points


def locate_amenities(
    features: gpd.GeoDataFrame, settings: Settings, crs: CRS, area: BaseGeometry | None = None
) -> gpd.GeoDataFrame:
    """Amenity points, one row per amenity access point, in a metric CRS.

    Nodes are their own point. A polygon (a supermarket mapped as a building, a park) is placed at
    its representative point (``point_on_surface``), except in categories with
    ``polygon_access = "edge"``: polygons larger than ``edge_min_area_m2`` there get one access point
    every ``edge_spacing_m`` along their outline (a park is entered at its edge), all sharing the
    polygon's ``amenity_id``. Open ways are placed at their midpoint.

    Parameters
    ----------
    features : GeoDataFrame
        WGS84 OSM features with ``osm_type``, ``osm_id``, ``tags`` (from ``read_extract``).
    settings : Settings
        Taxonomy and polygon-access parameters.
    crs : pyproj.CRS
        Metric CRS of the output.
    area : shapely geometry, optional
        WGS84 area; only points inside it are kept.

    Returns
    -------
    GeoDataFrame
        ``category``, ``amenity_id`` (e.g. ``"n123"``, ``"w45"``), ``osm_type``, ``osm_id``,
        ``name``, point ``geometry`` in ``crs``.
    """
    if features.empty:
        return gpd.GeoDataFrame(
            {c: pd.Series(dtype=object) for c in AMENITY_COLUMNS[:-1]}, geometry=[], crs=crs
        )
    hits = classify(features, settings.categories)
    by_key = {c.key: c for c in settings.categories}
    projected = features.geometry.to_crs(crs).values
    geoms = projected[hits["feature"].to_numpy()]
    type_id = shapely.get_type_id(geoms)
    is_poly = np.isin(type_id, (3, 6))
    is_line = np.isin(type_id, (1, 2, 5))
    points = np.array(geoms, dtype=object)
    points[is_poly] = shapely.point_on_surface(geoms[is_poly])
    points[is_line] = shapely.line_interpolate_point(geoms[is_line], 0.5, normalized=True)
    rows_feature, rows_category, rows_point = [], [], []
    edge_cats = {k for k, c in by_key.items() if c.polygon_access == "edge"}
    areas = np.where(is_poly, shapely.area(geoms), 0.0)
    for i, (feat, cat) in enumerate(hits[["feature", "category"]].itertuples(index=False)):
        if cat in edge_cats and is_poly[i] and areas[i] > settings.edge_min_area_m2:
            pts = _edge_points(geoms[i], settings.edge_spacing_m)
        else:
            pts = [points[i]]
        rows_feature += [feat] * len(pts)
        rows_category += [cat] * len(pts)
        rows_point += pts
    src = features.iloc[np.asarray(rows_feature, dtype=np.int64)]
    osm_type = src["osm_type"].astype(str).to_numpy()
    osm_id = src["osm_id"].to_numpy(dtype=np.int64)
    out = gpd.GeoDataFrame(
        {
            "category": pd.Categorical(rows_category, categories=settings.category_keys),
            "amenity_id": [f"{t[0]}{i}" for t, i in zip(osm_type, osm_id, strict=True)],
            "osm_type": osm_type,
            "osm_id": osm_id,
            "name": src["tags"].map(lambda t: t.get("name", "")).to_numpy(dtype=object),
        },
        geometry=gpd.GeoSeries(rows_point, crs=crs).values,
        crs=crs,
    )
    out = _merge_close(out, {c.key: c.merge_within_m for c in settings.categories if c.merge_within_m > 0})
    if area is not None and len(out):
        tf = Transformer.from_crs(crs, 4326, always_xy=True)
        lon, lat = tf.transform(shapely.get_x(out.geometry.values), shapely.get_y(out.geometry.values))
        out = out[shapely.contains_xy(area, lon, lat)]
    return out.reset_index(drop=True)


def _merge_close(points: gpd.GeoDataFrame, radii: dict[str, float]) -> gpd.GeoDataFrame:
    """Keep one point per cluster of same-category points linked by gaps under the category's radius."""
    if not radii or points.empty:
        return points
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    keep = np.ones(len(points), dtype=bool)
    cats = points["category"].astype(str).to_numpy()
    xy = np.column_stack([shapely.get_x(points.geometry.values), shapely.get_y(points.geometry.values)])
    for cat, radius in radii.items():
        idx = np.nonzero(cats == cat)[0]
        if idx.size < 2:
            continue
        pairs = cKDTree(xy[idx]).query_pairs(radius, output_type="ndarray")
        if pairs.size == 0:
            continue
        graph = coo_array((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(idx.size, idx.size))
        _, label = connected_components(graph, directed=False)
        _, first = np.unique(label, return_index=True)
        drop = np.ones(idx.size, dtype=bool)
        drop[first] = False
        keep[idx[drop]] = False
    if not keep.all():
        log.info("Merged %d amenity points into nearby ones of the same category", int((~keep).sum()))
    return points[keep]


def join_to_network(
    network: WalkNetwork, amenities: gpd.GeoDataFrame, mode: str = "edge"
) -> tuple[WalkNetwork, pd.DataFrame]:
    """Join amenity points to the walking network.

    ``mode="edge"`` (parkscope's convention): each amenity joins the nearest point of the nearest
    edge; where that point lies between the edge's ends, the edge is split there and the point becomes
    a new node (negative ``node_id``), so that the network alone reproduces every distance.
    ``mode="node"``: each amenity joins the nearest node (pandana's convention).
    In both modes ``offset_m`` is the straight-line distance from the amenity to its join node.

    Parameters
    ----------
    network : WalkNetwork
    amenities : GeoDataFrame
        Points in ``network.crs`` with a ``category`` column.
    mode : {"edge", "node"}

    Returns
    -------
    network : WalkNetwork
        The network, with split edges when ``mode="edge"``.
    joined : DataFrame
        ``amenities``' columns (geometry dropped) plus ``node_index`` (into the returned network's
        arrays), ``node_id`` and ``offset_m``.
    """
    if mode not in ("edge", "node"):
        raise ValueError(f"mode must be 'edge' or 'node', not {mode!r}")
    if amenities.crs is not None and not CRS(amenities.crs).equals(network.crs):
        raise ValueError(f"amenities are in {amenities.crs}, the network in {network.crs}: reproject first")
    px = shapely.get_x(amenities.geometry.values).astype(np.float64)
    py = shapely.get_y(amenities.geometry.values).astype(np.float64)
    joined = pd.DataFrame(amenities.drop(columns="geometry"))
    if len(amenities) == 0:
        joined["node_index"] = np.zeros(0, np.int64)
        joined["node_id"] = np.zeros(0, np.int64)
        joined["offset_m"] = np.zeros(0)
        return network, joined
    if mode == "node":
        dist, idx = network.node_tree.query(np.column_stack([px, py]))
        joined["node_index"] = idx.astype(np.int64)
        joined["node_id"] = network.node_id[idx]
        joined["offset_m"] = dist
        return network, joined
    return _join_edges(network, joined, px, py)


def _join_edges(
    network: WalkNetwork, joined: pd.DataFrame, px: np.ndarray, py: np.ndarray
) -> tuple[WalkNetwork, pd.DataFrame]:
    ax, ay = network.x[network.edge_u], network.y[network.edge_u]
    bx, by = network.x[network.edge_v], network.y[network.edge_v]
    lines = shapely.linestrings(np.stack([np.column_stack([ax, ay]), np.column_stack([bx, by])], axis=1))
    tree = shapely.STRtree(lines)
    (inp, edge), _ = tree.query_nearest(shapely.points(px, py), return_distance=True, all_matches=False)
    order = np.argsort(inp, kind="stable")
    edge = edge[order]
    dx, dy = bx[edge] - ax[edge], by[edge] - ay[edge]
    seg2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(seg2 > 0, ((px - ax[edge]) * dx + (py - ay[edge]) * dy) / seg2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    length = network.length_m[edge]
    at_a = t * length <= _JOIN_EPS_M
    at_b = (1.0 - t) * length <= _JOIN_EPS_M
    t[at_a] = 0.0
    t[at_b & ~at_a] = 1.0
    qx, qy = ax[edge] + t * dx, ay[edge] + t * dy
    node_index = np.where(at_a, network.edge_u[edge], network.edge_v[edge]).astype(np.int64)
    interior = ~(at_a | at_b)
    n = network.n_nodes
    new_net = network
    if interior.any():
        # one new node per distinct (edge, t); several amenities on one point share it
        split = pd.DataFrame(
            {"edge": edge[interior], "t": t[interior], "qx": qx[interior], "qy": qy[interior]}
        )
        uniq = split.drop_duplicates(["edge", "t"]).sort_values(["edge", "t"]).reset_index(drop=True)
        uniq["new"] = n + np.arange(len(uniq))
        node_index[interior] = split.merge(uniq[["edge", "t", "new"]], on=["edge", "t"], how="left")[
            "new"
        ].to_numpy()
        # chain a - p1 - ... - pj - b along each split edge
        e = uniq["edge"].to_numpy()
        tv = uniq["t"].to_numpy()
        new = uniq["new"].to_numpy()
        first = np.r_[True, e[1:] != e[:-1]]
        last = np.r_[e[1:] != e[:-1], True]
        prev_node = np.where(first, network.edge_u[e], np.r_[-1, new[:-1]])
        prev_t = np.where(first, 0.0, np.r_[0.0, tv[:-1]])
        seg_u = np.r_[prev_node, new[last]]
        seg_v = np.r_[new, network.edge_v[e[last]]]
        seg_len = np.r_[(tv - prev_t) * network.length_m[e], (1.0 - tv[last]) * network.length_m[e[last]]]
        keep = np.ones(network.n_edges, dtype=bool)
        keep[np.unique(e)] = False
        eu = np.r_[network.edge_u[keep], np.minimum(seg_u, seg_v)]
        ev = np.r_[network.edge_v[keep], np.maximum(seg_u, seg_v)]
        el = np.r_[network.length_m[keep], seg_len]
        nx, ny = uniq["qx"].to_numpy(), uniq["qy"].to_numpy()
        lon, lat = Transformer.from_crs(network.crs, 4326, always_xy=True).transform(nx, ny)
        next_id = min(int(network.node_id.min()), 0) - 1
        new_ids = next_id - np.arange(len(uniq), dtype=np.int64)
        new_net = network.with_arrays(
            node_id=np.r_[network.node_id, new_ids],
            lon=np.r_[network.lon, lon],
            lat=np.r_[network.lat, lat],
            x=np.r_[network.x, nx],
            y=np.r_[network.y, ny],
            edge_u=eu.astype(np.int64),
            edge_v=ev.astype(np.int64),
            length_m=el,
        )
    jx, jy = new_net.x[node_index], new_net.y[node_index]
    joined["node_index"] = node_index
    joined["node_id"] = new_net.node_id[node_index]
    joined["offset_m"] = np.hypot(px - jx, py - jy)
    log.info(
        "Joined %d amenities: %d on edge interiors (%d new nodes)",
        len(joined),
        int(interior.sum()),
        new_net.n_nodes - n,
    )
    return new_net, joined
