"""Walking network: the OSM ways a pedestrian may use, as node-to-node edges with lengths in metres."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from scipy.sparse import coo_array, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from shapely.geometry.base import BaseGeometry

from parkscope.errors import NetworkError
from parkscope.inputs.area import local_crs
from parkscope.walk._kernels import csr_from_edges

log = logging.getLogger(__name__)

#: highway values a pedestrian may use (unless the way's own tags say otherwise).
WALKABLE_HIGHWAYS = frozenset(
    {
        "footway",
        "path",
        "pedestrian",
        "steps",
        "living_street",
        "residential",
        "service",
        "unclassified",
        "road",
        "track",
        "tertiary",
        "tertiary_link",
        "secondary",
        "secondary_link",
        "primary",
        "primary_link",
        "trunk",
        "trunk_link",
        "corridor",
        "elevator",
        "bridleway",
    }
)
#: highway values walkable only with an explicit foot=yes|designated|permissive.
FOOT_ONLY_IF_ALLOWED = frozenset({"cycleway", "busway", "motorway", "motorway_link"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official"})
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath", "discouraged"})
ACCESS_FORBIDDEN = frozenset({"private", "no", "customers"})


@dataclass(frozen=True)
class WalkNetwork:
    """An undirected walking network on plain arrays.

    Attributes
    ----------
    node_id : ndarray of int64, shape (n,)
        OSM node id; negative ids are nodes parkscope added where an amenity joins an edge.
    lon, lat : ndarray of float64, shape (n,)
        WGS84 coordinates.
    x, y : ndarray of float64, shape (n,)
        Coordinates in ``crs`` (metres).
    crs : pyproj.CRS
        The local metric CRS.
    edge_u, edge_v : ndarray of int64, shape (m,)
        Edge ends as indices into the node arrays (``edge_u < edge_v``; no duplicates, no loops).
    length_m : ndarray of float64, shape (m,)
        Edge lengths in metres.
    dropped_node_share : float
        Share of the walkable nodes of the area outside the largest connected component (dropped).

    The structures searched by every stage (CSR arrays, the sparse graph, the KD-tree of the nodes)
    are built once per network on first use and kept with it (they pickle with it); a network
    changed by :meth:`with_arrays` is a new object with its own.
    """
    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    crs: CRS
    edge_u: np.ndarray
    edge_v: np.ndarray
    length_m: np.ndarray
    dropped_node_share: float = 0.0

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_id.size)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.edge_u.size)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Symmetric CSR arrays ``(indptr, indices, weights)`` of the network (both directions).

        Built once; every caller gets the same arrays (none writes to them).
        """
        return self._csr

    @cached_property
    def _csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return csr_from_edges(self.n_nodes, self.edge_u, self.edge_v, self.length_m)

    @cached_property
    def graph(self) -> csr_matrix:
        """The network as a sparse matrix of edge lengths (both directions) for scipy's Dijkstra.

        Zero-length edges would vanish from a sparse matrix: they get a negligible positive length.
        """
        indptr, indices, weights = self.csr()
        w = np.where(weights > 0, weights, 1e-9)
        return csr_matrix((w, indices, indptr), shape=(self.n_nodes, self.n_nodes))

    @cached_property
    def node_tree(self) -> cKDTree:
        """KD-tree of the node coordinates ``(x, y)`` in the metric CRS."""
        return cKDTree(np.column_stack([self.x, self.y]))

    def nearest_nodes(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index of the node nearest (straight line) to each point ``(x, y)`` in the metric CRS."""
        if len(x) == 0:
            return np.zeros(0, dtype=np.int64)
        return self.node_tree.query(np.column_stack([x, y]))[1].astype(np.int64)

    def edges_frame(self) -> pd.DataFrame:
        """Edges as ``u``, ``v`` (node ids) and ``length_m``: the layout of network.parquet."""
        return pd.DataFrame(
            {
                "u": self.node_id[self.edge_u],
                "v": self.node_id[self.edge_v],
                "length_m": self.length_m,
            }
        )

    def with_arrays(self, **arrays: np.ndarray) -> WalkNetwork:
        """A copy with some arrays replaced (used when edges are split)."""
        return replace(self, **arrays)


def walkable_mask(highways: pd.DataFrame) -> np.ndarray:
    """Which highway ways a pedestrian may use.

    Rules (documented in docs/methods.md): the ``highway`` value is in :data:`WALKABLE_HIGHWAYS`,
    or in :data:`FOOT_ONLY_IF_ALLOWED` with an explicit ``foot`` permission; ``foot`` does not
    forbid it; ``access=private|no|customers`` and ``motorroad=yes`` forbid it unless ``foot``
    allows it explicitly.

    Parameters
    ----------
    highways : DataFrame
        ``highway`` and ``tags`` columns, as :attr:`OsmExtract.highways`.

    Returns
    -------
    ndarray of bool
    """
    if highways.empty:
        return np.zeros(0, dtype=bool)
    tags = highways["tags"]
    highway = highways["highway"].astype(str).to_numpy()
    foot = tags.map(lambda t: t.get("foot", "")).to_numpy().astype(str)
    access = tags.map(lambda t: t.get("access", "")).to_numpy().astype(str)
    motorroad = tags.map(lambda t: t.get("motorroad", "")).to_numpy().astype(str)
    foot_allowed = np.isin(foot, list(FOOT_ALLOWED))
    ok = np.isin(highway, list(WALKABLE_HIGHWAYS)) | (
        np.isin(highway, list(FOOT_ONLY_IF_ALLOWED)) & foot_allowed
    )
    ok &= ~np.isin(foot, list(FOOT_FORBIDDEN))
    restricted = np.isin(access, list(ACCESS_FORBIDDEN)) | (motorroad == "yes")
    ok &= ~restricted | foot_allowed
    return ok


def _segments(node_lists: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive node pairs of every way, vectorised."""
    if node_lists.empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lengths = node_lists.map(len).to_numpy()
    flat = np.concatenate(node_lists.to_numpy()).astype(np.int64)
    # index of each way's last node: a pair may not start there
    ends = np.cumsum(lengths) - 1
    starts_ok = np.ones(flat.size, dtype=bool)
    starts_ok[ends[lengths > 0]] = False
    idx = np.nonzero(starts_ok[:-1])[0] if flat.size else np.zeros(0, np.int64)
    return flat[idx], flat[idx + 1]


def build_walk_network(extract, area: BaseGeometry | None = None, crs: CRS | None = None) -> WalkNetwork:
    """Build the walking network of an extract, clipped to an area.

    Parameters
    ----------
    extract : OsmExtract
        From :func:`parkscope.inputs.osm.read_extract`.
    area : shapely geometry, optional
        WGS84 polygon; only edges with both ends inside it are kept. None keeps everything.
    crs : pyproj.CRS, optional
        Metric CRS for lengths; by default the UTM zone of the area's (or data's) centre.

    Returns
    -------
    WalkNetwork
        The largest connected component; the share of nodes dropped is recorded.

    Raises
    ------
    NetworkError
        When no walkable way lies in the area.
    """
    highways = extract.highways
    walk = highways[walkable_mask(highways)] if len(highways) else highways
    u_osm, v_osm = _segments(walk["node_ids"]) if len(walk) else _segments(pd.Series([], dtype=object))
    coords = extract.node_lonlat
    known = np.isin(u_osm, coords.index.to_numpy()) & np.isin(v_osm, coords.index.to_numpy())
    u_osm, v_osm = u_osm[known], v_osm[known]
    keep = u_osm != v_osm
    u_osm, v_osm = u_osm[keep], v_osm[keep]
    ids = np.unique(np.concatenate([u_osm, v_osm]))
    if ids.size:
        lonlat = coords.loc[ids, ["lon", "lat"]].to_numpy(dtype=np.float64)
    else:
        lonlat = np.zeros((0, 2))
    if area is not None and ids.size:
        inside = shapely.contains_xy(area, lonlat[:, 0], lonlat[:, 1])
        inside_ids = ids[inside]
        both = np.isin(u_osm, inside_ids) & np.isin(v_osm, inside_ids)
        u_osm, v_osm = u_osm[both], v_osm[both]
        ids, lonlat = ids[inside], lonlat[inside]
        used = np.isin(ids, np.concatenate([u_osm, v_osm]))
        ids, lonlat = ids[used], lonlat[used]
    if u_osm.size == 0:
        raise NetworkError(
            "No walkable street or path lies in the study area: the extract has no highway way a "
            "pedestrian may use there. Check that the area is inside the extract and on land, or "
            "widen it (--buffer, a larger --bbox)."
        )
    if crs is None:
        ref = area.centroid if area is not None else shapely.Point(lonlat.mean(axis=0))
        crs = local_crs(ref.x, ref.y)
    tf = Transformer.from_crs(4326, crs, always_xy=True)
    x, y = tf.transform(lonlat[:, 0], lonlat[:, 1])
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    u = np.searchsorted(ids, u_osm)
    v = np.searchsorted(ids, v_osm)
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    pairs = np.unique(np.stack([lo, hi], axis=1), axis=0)
    lo, hi = pairs[:, 0], pairs[:, 1]
    length = np.hypot(x[hi] - x[lo], y[hi] - y[lo])
    # largest connected component
    n = ids.size
    adj = coo_array((np.ones(lo.size), (lo, hi)), shape=(n, n)).tocsr()
    n_comp, labels = connected_components(adj, directed=False)
    sizes = np.bincount(labels)
    main = int(np.argmax(sizes))
    keep_node = labels == main
    dropped = 1.0 - sizes[main] / n
    if n_comp > 1:
        log.info(
            "Walk network: kept the largest of %d components (%d of %d nodes, %.1f%% dropped)",
            n_comp,
            sizes[main],
            n,
            100 * dropped,
        )
    new_index = np.cumsum(keep_node) - 1
    keep_edge = keep_node[lo]
    return WalkNetwork(
        node_id=ids[keep_node],
        lon=lonlat[keep_node, 0].copy(),
        lat=lonlat[keep_node, 1].copy(),
        x=x[keep_node],
        y=y[keep_node],
        crs=crs,
        edge_u=new_index[lo[keep_edge]].astype(np.int64),
        edge_v=new_index[hi[keep_edge]].astype(np.int64),
        length_m=length[keep_edge],
        dropped_node_share=float(dropped),
    )
