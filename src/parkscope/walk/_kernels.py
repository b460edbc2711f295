"""Compiled hot loops on plain arrays (CSR graph arrays, float64 distances).

Everything here is Numba ``@njit(cache=True)`` code that takes and returns NumPy arrays only;
validation happens once in the thin Python layer (:mod:`parkscope.walk.access`). Every kernel is
tested against a slow, obviously-correct reference in ``tests/test_kernels.py``.

Graph convention
----------------
An undirected walking network with ``n`` nodes is held as CSR arrays ``indptr`` (int64[n + 1]),
``indices`` (int64[m]) and ``weights`` (float64[m], metres, >= 0) where every undirected edge
appears once in each direction (see :func:`csr_from_edges`).

The k-nearest-sources algorithm
-------------------------------
:func:`k_nearest_sources` runs one bounded multi-source Dijkstra search in which a node may be
settled up to ``k`` times, once per distinct source (a "k-label" Dijkstra). The heap holds
labels ``(dist, node, source)``. Popping ``(d, v, s)``:

* is refused if ``v`` already holds ``k`` labels or already holds a label of ``s``;
* otherwise is accepted as the next entry of ``v``'s row, and relaxes every edge ``(v, w, c)``
  with ``d + c <= max_distance`` by pushing ``(d + c, w, s)`` (pushes to a node that is already
  full or already holds ``s`` are skipped: they would be refused anyway).

Each source starts at its node with its start cost ``offset``; sources whose offset exceeds
``max_distance`` are never pushed. The cost is ``O(k m log(k m))`` for all nodes together,
independent of the number of sources, instead of one search per node or per source.

"Distinct" is decided by a source *id*. By default every start point is its own source (several
sources at one node count separately). Start points that share an id form one source with several
start labels — an amenity with several access points (a park's gates) — whose distance is the
minimum over its points; the proof below holds unchanged for such multi-point sources.

Proof of exactness (the distances, not the identity of sources under ties). Write ``d_s(u)`` for
the true network distance from source ``s`` (start cost included) to node ``u`` and ``N_u(x)``
for the number of labels accepted at ``u`` with value ``<= x``.

(1) Labels are popped in non-decreasing order of ``d`` (weights are non-negative).
(2) Lower bound: each accepted label is the length of a real walk from its source, so its value
    is ``>= d_s(u)``; the labels of a node come from distinct sources. Hence the i-th accepted
    value at ``u`` is ``>=`` the i-th smallest of ``{d_s(u)}`` over all sources.
(3) Fullness propagates: if ``N_w(x) = k`` and ``(w, y, c)`` is an edge with ``x + c <=
    max_distance``, then ``N_y(x + c) = k``. Each of the ``k`` labels at ``w`` pushed (or would
    have pushed) its source to ``y`` with value ``<= x + c``; by (1) that label, when popped, is
    either accepted, or refused because ``y`` already held its source or ``k`` labels, all with
    values ``<= x + c``. Either way ``y`` ends up with ``k`` distinct sources ``<= x + c``.
(4) Upper bound: let ``x <= max_distance`` and ``S = {s : d_s(u) <= x}``. Suppose
    ``N_u(x) < min(k, |S|)``. By (2) every label counted in ``N_u(x)`` belongs to ``S``, so some
    ``s`` in ``S`` has no accepted label ``<= x`` at ``u``. Follow a shortest path of ``s``
    ``w_0, ..., w_r = u``. At ``w_0`` the label ``(offset_s, w_0, s)`` is pushed. Let ``w_j`` be
    the first node at which ``s`` is not accepted with value ``d_s(w_j)``; its label
    ``d_s(w_j)`` was pushed (from ``w_{j-1}``, or initially), so by (1) and (2) it was refused
    because ``w_j`` was full: ``N_{w_j}(d_s(w_j)) = k``. Applying (3) along the rest of the
    path gives ``N_u(d_s(u)) = k``, hence ``N_u(x) = k``, a contradiction.

By (2) and (4) the i-th accepted value at every node equals the i-th smallest source distance
for ``i <= min(k, |S|)``, and no further labels ``<= max_distance`` exist: the row is exact.
Ties only change *which* of several equidistant sources is listed, never the distances.
"""

from __future__ import annotations

import threading

import numba
import numpy as np
from numba import njit, prange

__all__ = [
    "csr_from_edges",
    "k_nearest_sources",
    "k_nearest_sources_by_id",
    "k_nearest_sources_grouped",
    "k_nearest_sources_with_ids",
]

_MIN_HEAP_CAPACITY = 1024
#: Numba's fallback "workqueue" threading layer aborts when two threads launch parallel kernels
#: at once (a Dask thread pool would); every launch uses all cores anyway, so serialise them.
_LAUNCH_LOCK = threading.Lock()


def csr_from_edges(
    n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Symmetric CSR arrays of an undirected graph given as an edge list.

    Every edge ``(u[i], v[i], w[i])`` is stored in both directions; parallel edges and self-loops
    are kept as given (they never shorten a path incorrectly). Vectorised NumPy, no Python loop.

    Parameters
    ----------
    n : int
        Number of nodes; node ids are ``0 .. n - 1``.
    u, v : numpy.ndarray
        Integer end nodes of each edge, shape ``(m,)``.
    w : numpy.ndarray
        Edge weights (metres), shape ``(m,)``.

    Returns
    -------
    indptr : numpy.ndarray
        int64[n + 1]; the neighbours of node ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    indices : numpy.ndarray
        int64[2 m], neighbour node of each directed arc, sorted by tail node (stable).
    weights : numpy.ndarray
        float64[2 m], weight of each directed arc.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    tails = np.concatenate((u, v))
    heads = np.concatenate((v, u))
    weights = np.concatenate((w, w))
    order = np.argsort(tails, kind="stable")
    counts = np.bincount(tails, minlength=n) if tails.size else np.zeros(n, dtype=np.int64)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, heads[order], weights[order]


@njit(cache=True, nogil=True)
def _heap_push(
    hd: np.ndarray, hn: np.ndarray, hs: np.ndarray, size: int, d: float, v: int, s: int
) -> None:
    """Insert ``(d, v, s)`` at position ``size`` and sift it up (caller ensures capacity)."""
    i = size
    while i > 0:
        p = (i - 1) >> 1
        pd = hd[p]
        if pd <= d:
            break
        hd[i] = pd
        hn[i] = hn[p]
        hs[i] = hs[p]
        i = p
    hd[i] = d
    hn[i] = v
    hs[i] = s


@njit(cache=True, nogil=True)
def _heap_pop_last_down(hd: np.ndarray, hn: np.ndarray, hs: np.ndarray, size: int) -> None:
    """Remove the root of a heap of ``size + 1`` items by sifting item ``size`` down from 0."""
    d = hd[size]
    v = hn[size]
    s = hs[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        r = c + 1
        if r < size and hd[r] < hd[c]:
            c = r
        cd = hd[c]
        if cd >= d:
            break
        hd[i] = cd
        hn[i] = hn[c]
        hs[i] = hs[c]
        i = c
    hd[i] = d
    hn[i] = v
    hs[i] = s


@njit(cache=True, nogil=True)
def _k_nearest_into(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    source_id: np.ndarray,
    k: int,
    max_distance: float,
    out_dist: np.ndarray,
    out_src: np.ndarray,
    count: np.ndarray,
) -> None:
    """k-label bounded multi-source Dijkstra writing into preallocated arrays.

    ``out_dist`` (float64[n, k]) must be NaN-filled, ``out_src`` (int64[n, k]) and ``count``
    (int64[n], zero-filled) are workspaces; ``source_id`` names each source in ``out_src``.
    See the module docstring for the algorithm and its proof.
    """
    n_src = source_node.shape[0]
    cap = max(_MIN_HEAP_CAPACITY, 2 * n_src)
    hd = np.empty(cap, dtype=np.float64)
    hn = np.empty(cap, dtype=np.int64)
    hs = np.empty(cap, dtype=np.int64)
    size = 0
    for j in range(n_src):
        off = source_offset[j]
        if off <= max_distance:
            _heap_push(hd, hn, hs, size, off, source_node[j], source_id[j])
            size += 1
    while size > 0:
        d = hd[0]
        v = hn[0]
        s = hs[0]
        size -= 1
        if size > 0:
            _heap_pop_last_down(hd, hn, hs, size)
        c = count[v]
        if c >= k:
            continue
        dup = False
        for q in range(c):
            if out_src[v, q] == s:
                dup = True
                break
        if dup:
            continue
        out_dist[v, c] = d
        out_src[v, c] = s
        count[v] = c + 1
        for e in range(indptr[v], indptr[v + 1]):
            nd = d + weights[e]
            if nd > max_distance:
                continue
            w = indices[e]
            cw = count[w]
            if cw >= k:
                continue
            dup = False
            for q in range(cw):
                if out_src[w, q] == s:
                    dup = True
                    break
            if dup:
                continue
            if size == cap:
                cap *= 2
                nhd = np.empty(cap, dtype=np.float64)
                nhn = np.empty(cap, dtype=np.int64)
                nhs = np.empty(cap, dtype=np.int64)
                nhd[:size] = hd[:size]
                nhn[:size] = hn[:size]
                nhs[:size] = hs[:size]
                hd = nhd
                hn = nhn
                hs = nhs
            _heap_push(hd, hn, hs, size, nd, w, s)
            size += 1


@njit(cache=True, nogil=True)
def k_nearest_sources_by_id(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    source_id: np.ndarray,
    k: int,
    max_distance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Distances to, and ids of, the k nearest distinct sources of every node.

    Start points sharing an id count as one source (its nearest point), see the module
    docstring.

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric CSR graph (int64[n + 1], int64[m], float64[m] >= 0).
    source_node : numpy.ndarray
        int64[s], the node each start point lies at (several may share a node).
    source_offset : numpy.ndarray
        float64[s] >= 0, start cost of each point (counts in every distance).
    source_id : numpy.ndarray
        int64[s] >= 0, the source each point belongs to.
    k : int
        Number of nearest sources per node, >= 1.
    max_distance : float
        Search radius; a distance ``<= max_distance`` counts.

    Returns
    -------
    dist : numpy.ndarray
        float64[n, k]; row ``i`` ascending, NaN where fewer than ``k`` sources are in range.
    ids : numpy.ndarray
        int64[n, k]; the source id of each distance, -1 where ``dist`` is NaN. Among sources at
        equal distance the choice is arbitrary.
    """
    n = indptr.shape[0] - 1
    out_dist = np.full((n, k), np.nan)
    out_src = np.full((n, k), -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    _k_nearest_into(
        indptr, indices, weights, source_node, source_offset, source_id, k, max_distance,
        out_dist, out_src, count,
    )
    return out_dist, out_src


@njit(cache=True, nogil=True)
def k_nearest_sources_with_ids(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    k: int,
    max_distance: float,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`k_nearest_sources` that also returns which source each distance belongs to.

    Returns
    -------
    dist : numpy.ndarray
        float64[n, k], as :func:`k_nearest_sources`.
    src : numpy.ndarray
        int64[n, k]; index into the source arrays of each distance, -1 where ``dist`` is NaN.
        Among sources at equal distance the choice is arbitrary.
    """
    ids = np.arange(source_node.shape[0], dtype=np.int64)
    return k_nearest_sources_by_id(
        indptr, indices, weights, source_node, source_offset, ids, k, max_distance
    )


@njit(cache=True, nogil=True)
def k_nearest_sources(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    k: int,
    max_distance: float,
) -> np.ndarray:
    """Network distance from every node to its k nearest distinct sources.

    Bounded multi-source k-label Dijkstra (module docstring: algorithm and proof).

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric CSR graph (int64[n + 1], int64[m], float64[m] >= 0).
    source_node : numpy.ndarray
        int64[s], the node each source starts at (several sources may share a node; each
        counts separately).
    source_offset : numpy.ndarray
        float64[s] >= 0, start cost of each source in metres (counts in every distance).
    k : int
        Number of nearest sources per node, >= 1.
    max_distance : float
        Search radius in metres; a distance ``<= max_distance`` counts.

    Returns
    -------
    numpy.ndarray
        float64[n, k]; row ``i`` sorted ascending, NaN where fewer than ``k`` sources lie
        within ``max_distance``.
    """
    dist, _ = k_nearest_sources_with_ids(
        indptr, indices, weights, source_node, source_offset, k, max_distance
    )
    return dist


@njit(cache=True, parallel=True)
def _grouped_parallel(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    node_sorted: np.ndarray,
    offset_sorted: np.ndarray,
    id_sorted: np.ndarray,
    group_ptr: np.ndarray,
    schedule: np.ndarray,
    k: int,
    max_distance: float,
    out: np.ndarray,
) -> None:
    """Run :func:`_k_nearest_into` for every group, groups spread over threads by prange."""
    n = indptr.shape[0] - 1
    for t in prange(schedule.shape[0]):
        g = schedule[t]
        a = group_ptr[g]
        b = group_ptr[g + 1]
        out_src = np.empty((n, k), dtype=np.int64)
        count = np.zeros(n, dtype=np.int64)
        _k_nearest_into(
            indptr, indices, weights, node_sorted[a:b], offset_sorted[a:b], id_sorted[a:b], k,
            max_distance, out[g], out_src, count,
        )


def k_nearest_sources_grouped(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    source_group: np.ndarray,
    n_groups: int,
    k: int,
    max_distance: float,
    source_id: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`k_nearest_sources` for many groups (categories) at once, in parallel.

    Groups run concurrently on Numba's thread pool (``prange`` with chunks of one group, largest
    group first, so that a thread that finishes early takes the next group). Each running group
    needs ``O(n k)`` workspace besides its share of the output.

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric CSR graph (int64[n + 1], int64[m], float64[m] >= 0).
    source_node : numpy.ndarray
        int64[s], start node of each source.
    source_offset : numpy.ndarray
        float64[s] >= 0, start cost of each source.
    source_group : numpy.ndarray
        int64[s] in ``0 .. n_groups - 1``, the group (category code) of each source.
    n_groups : int
        Number of groups; groups without sources come back all NaN.
    k : int
        Number of nearest sources per node, >= 1.
    max_distance : float
        Search radius; a distance ``<= max_distance`` counts.
    source_id : numpy.ndarray, optional
        int64[s] >= 0; start points of one group sharing an id count as one source (see
        :func:`k_nearest_sources_by_id`). By default every start point is its own source.

    Returns
    -------
    numpy.ndarray
        float64[n_groups, n, k]; ``out[g]`` equals :func:`k_nearest_sources` (or
        :func:`k_nearest_sources_by_id`) on group ``g``'s sources alone.
    """

    n = indptr.shape[0] - 1
    source_group = np.asarray(source_group, dtype=np.int64)
    if source_id is None:
        source_id = np.arange(source_group.size, dtype=np.int64)
    order = np.argsort(source_group, kind="stable")
    node_sorted = np.ascontiguousarray(np.asarray(source_node, dtype=np.int64)[order])
    offset_sorted = np.ascontiguousarray(np.asarray(source_offset, dtype=np.float64)[order])
    id_sorted = np.ascontiguousarray(np.asarray(source_id, dtype=np.int64)[order])
    sizes = np.bincount(source_group, minlength=n_groups).astype(np.int64)
    group_ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(sizes, out=group_ptr[1:])
    # Largest groups first, one group per chunk: a thread that finishes early takes the next.
    schedule = np.argsort(-sizes, kind="stable").astype(np.int64)
    schedule = schedule[sizes[schedule] > 0]
    out = np.full((n_groups, n, k), np.nan)
    if schedule.size:
        with _LAUNCH_LOCK, numba.parallel_chunksize(1):
            _grouped_parallel(
                indptr, indices, weights, node_sorted, offset_sorted, id_sorted, group_ptr,
                schedule, int(k), float(max_distance), out,
            )
    return out
