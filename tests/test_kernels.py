"""Kernels against slow, obviously-correct references (scipy Dijkstra from every source)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from parkscope.walk._kernels import (
    csr_from_edges,
    k_nearest_sources,
    k_nearest_sources_by_id,
    k_nearest_sources_grouped,
    k_nearest_sources_with_ids,
)

# ---------------------------------------------------------------------------------------------
# reference


def reference_matrix(n: int, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> csr_matrix:
    """Undirected graph as a scipy matrix; parallel edges reduced to their minimum weight.

    Built independently of :func:`csr_from_edges`. Explicit zero weights stay edges (scipy's
    csgraph treats stored zeros of a sparse matrix as edges).
    """
    tails = np.concatenate((u, v)).astype(np.int64)
    heads = np.concatenate((v, u)).astype(np.int64)
    wts = np.concatenate((w, w)).astype(np.float64)
    order = np.lexsort((wts, heads, tails))
    tails, heads, wts = tails[order], heads[order], wts[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    mat = csr_matrix((wts[first], (tails[first], heads[first])), shape=(n, n))
    assert mat.nnz == int(first.sum())  # no stored zero was dropped
    return mat


def reference_k_nearest(
    n: int,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    source_node: np.ndarray,
    source_offset: np.ndarray,
    k: int,
    max_distance: float,
) -> np.ndarray:
    """One Dijkstra per source, offsets added, the k smallest per node: (n, k) with NaN."""
    out = np.full((n, k), np.nan)
    if len(source_node) == 0:
        return out
    mat = reference_matrix(n, u, v, w)
    dist = dijkstra(mat, directed=True, indices=np.asarray(source_node, dtype=np.int64))
    dist = dist.reshape(len(source_node), n) + np.asarray(source_offset)[:, None]
    dist[dist > max_distance] = np.inf
    dist = np.sort(dist, axis=0)[:k].T  # (n, min(k, s))
    finite = np.isfinite(dist)
    out[:, : dist.shape[1]][finite] = dist[finite]
    return out


def assert_same(got: np.ndarray, want: np.ndarray, atol: float = 0.0) -> None:
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg="NaN patterns differ")
    finite = ~np.isnan(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=atol)


# ---------------------------------------------------------------------------------------------
# strategies

WEIGHTS = st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 3.0, 7.5])  # dyadic: sums are exact
OFFSETS = st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.5, 100.0])  # 100 > every max_distance


@st.composite
def graphs_with_sources(draw, integer_weights: bool = True):
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 3 * n))
    node = st.integers(0, n - 1)
    u = np.array(draw(st.lists(node, min_size=m, max_size=m)), dtype=np.int64)
    v = np.array(draw(st.lists(node, min_size=m, max_size=m)), dtype=np.int64)
    if integer_weights:
        w = np.array(draw(st.lists(WEIGHTS, min_size=m, max_size=m)), dtype=np.float64)
    else:
        w = np.array(
            draw(st.lists(st.floats(0.0, 50.0, allow_subnormal=False), min_size=m, max_size=m)),
            dtype=np.float64,
        )
    s = draw(st.integers(0, 12))
    # a few nodes only, so that duplicate sources at one node are common
    hot = draw(st.lists(node, min_size=1, max_size=4))
    source_node = np.array(draw(st.lists(st.sampled_from(hot), min_size=s, max_size=s)), np.int64)
    source_offset = np.array(draw(st.lists(OFFSETS, min_size=s, max_size=s)), dtype=np.float64)
    k = draw(st.integers(1, 6))
    max_distance = draw(st.sampled_from([0.0, 1.0, 2.5, 4.0, 6.0, 10.0, 30.0]))
    return n, u, v, w, source_node, source_offset, k, max_distance


# ---------------------------------------------------------------------------------------------
# csr_from_edges


@given(graphs_with_sources())
@settings(max_examples=200, deadline=None)
def test_csr_from_edges_is_symmetric_edge_list(case) -> None:
    n, u, v, w, *_ = case
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    assert indptr.dtype == np.int64 and indices.dtype == np.int64
    assert weights.dtype == np.float64
    assert indptr.shape == (n + 1,) and indptr[0] == 0 and indptr[-1] == 2 * len(u)
    assert np.all(np.diff(indptr) >= 0)
    tails = np.repeat(np.arange(n), np.diff(indptr))
    got = sorted(zip(tails.tolist(), indices.tolist(), weights.tolist(), strict=True))
    want = sorted(
        list(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
        + list(zip(v.tolist(), u.tolist(), w.tolist(), strict=True))
    )
    assert got == want


def test_csr_from_edges_empty_graph() -> None:
    indptr, indices, weights = csr_from_edges(4, np.array([]), np.array([]), np.array([]))
    assert indptr.tolist() == [0, 0, 0, 0, 0]
    assert indices.size == 0 and weights.size == 0


# ---------------------------------------------------------------------------------------------
# k_nearest_sources


@given(graphs_with_sources())
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_k_nearest_matches_reference_exactly(case) -> None:
    """Dyadic weights: every sum is exact, so ties and the <= max_distance edge are exact too."""
    n, u, v, w, source_node, source_offset, k, max_distance = case
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    got = k_nearest_sources(indptr, indices, weights, source_node, source_offset, k, max_distance)
    want = reference_k_nearest(n, u, v, w, source_node, source_offset, k, max_distance)
    assert_same(got, want)


@given(graphs_with_sources(integer_weights=False))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_k_nearest_matches_reference_real_weights(case) -> None:
    """Arbitrary float weights, unbounded radius (so no sum can fall either side of it)."""
    n, u, v, w, source_node, source_offset, k, _ = case
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    got = k_nearest_sources(indptr, indices, weights, source_node, source_offset, k, np.inf)
    want = reference_k_nearest(n, u, v, w, source_node, source_offset, k, np.inf)
    assert_same(got, want, atol=1e-9)


@given(graphs_with_sources())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_with_ids_names_distinct_sources_at_their_distance(case) -> None:
    n, u, v, w, source_node, source_offset, k, max_distance = case
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    dist, src = k_nearest_sources_with_ids(
        indptr, indices, weights, source_node, source_offset, k, max_distance
    )
    assert_same(dist, k_nearest_sources(
        indptr, indices, weights, source_node, source_offset, k, max_distance
    ))
    np.testing.assert_array_equal(src < 0, np.isnan(dist))
    if len(source_node) == 0:
        return
    mat = reference_matrix(n, u, v, w)
    per_source = dijkstra(mat, directed=True, indices=source_node).reshape(len(source_node), n)
    per_source += source_offset[:, None]
    for i in range(n):
        ids = src[i][src[i] >= 0]
        assert len(set(ids.tolist())) == len(ids), "a source listed twice at one node"
        np.testing.assert_array_equal(dist[i, : len(ids)], per_source[ids, i])


def test_rows_sorted_and_within_radius() -> None:
    rng = np.random.default_rng(7)
    n, m = 400, 900
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0, 100, m)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    sn = rng.integers(0, n, 60)
    so = rng.uniform(0, 50, 60)
    got = k_nearest_sources(indptr, indices, weights, sn, so, 5, 300.0)
    assert got.shape == (n, 5) and got.dtype == np.float64
    filled = np.where(np.isnan(got), np.inf, got)
    np.testing.assert_array_equal(filled, np.sort(filled, axis=1))
    assert np.nanmax(got) <= 300.0
    # NaNs only at the end of a row
    assert np.all(np.diff(np.isnan(got).astype(int), axis=1) >= 0)
    assert_same(got, reference_k_nearest(n, u, v, w, sn, so, 5, 300.0), atol=1e-9)


def test_hand_example() -> None:
    # path 0 -1- 1 -2- 2 -0- 3, and an isolated node 4
    indptr, indices, weights = csr_from_edges(
        5, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 2.0, 0.0])
    )
    # two sources at node 0 (offsets 0 and 1), one at node 3 (offset 0.5), one out of range
    sn = np.array([0, 0, 3, 2])
    so = np.array([0.0, 1.0, 0.5, 9.0])
    got = k_nearest_sources(indptr, indices, weights, sn, so, 3, 3.5)
    want = np.array(
        [
            [0.0, 1.0, 3.5],  # 3.5 == max_distance counts
            [1.0, 2.0, 2.5],
            [0.5, 3.0, np.nan],  # 4.0 from the second source at node 0 is out of range
            [0.5, 3.0, np.nan],
            [np.nan, np.nan, np.nan],
        ]
    )
    assert_same(got, want)


def test_no_sources_and_no_edges() -> None:
    indptr, indices, weights = csr_from_edges(3, np.array([]), np.array([]), np.array([]))
    empty_i, empty_f = np.array([], dtype=np.int64), np.array([], dtype=np.float64)
    assert np.isnan(k_nearest_sources(indptr, indices, weights, empty_i, empty_f, 2, 10.0)).all()
    got = k_nearest_sources(indptr, indices, weights, np.array([1]), np.array([0.0]), 2, 10.0)
    assert_same(got, np.array([[np.nan] * 2, [0.0, np.nan], [np.nan] * 2]))


def test_heap_growth_many_labels() -> None:
    """A dense graph with many sources pushes far more labels than the initial heap holds."""
    rng = np.random.default_rng(3)
    n = 300
    u, v = np.triu_indices(n, 1)
    keep = rng.random(u.size) < 0.2
    u, v = u[keep], v[keep]
    w = rng.integers(1, 20, u.size).astype(float)
    sn = rng.integers(0, n, 500)
    so = rng.integers(0, 5, 500).astype(float)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    got = k_nearest_sources(indptr, indices, weights, sn, so, 7, 25.0)
    assert_same(got, reference_k_nearest(n, u, v, w, sn, so, 7, 25.0))


# ---------------------------------------------------------------------------------------------
# grouped (parallel) variant


@given(graphs_with_sources(), st.integers(1, 4), st.randoms(use_true_random=False))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_grouped_equals_reference_per_group(case, n_groups, rnd) -> None:
    n, u, v, w, source_node, source_offset, k, max_distance = case
    group = np.array([rnd.randrange(n_groups) for _ in source_node], dtype=np.int64)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    got = k_nearest_sources_grouped(
        indptr, indices, weights, source_node, source_offset, group, n_groups, k, max_distance
    )
    assert got.shape == (n_groups, n, k)
    for g in range(n_groups):
        sel = group == g
        want = reference_k_nearest(
            n, u, v, w, source_node[sel], source_offset[sel], k, max_distance
        )
        assert_same(got[g], want)


@pytest.mark.parametrize("n_groups", [1, 2, 13])
def test_grouped_equals_serial_kernel(n_groups: int) -> None:
    rng = np.random.default_rng(n_groups)
    n, m = 2000, 5000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(1, 80, m)
    s = 300
    sn, so = rng.integers(0, n, s), rng.uniform(0, 30, s)
    group = rng.integers(0, n_groups, s)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    got = k_nearest_sources_grouped(indptr, indices, weights, sn, so, group, n_groups, 5, 400.0)
    for g in range(n_groups):
        sel = group == g
        want = k_nearest_sources(indptr, indices, weights, sn[sel], so[sel], 5, 400.0)
        np.testing.assert_array_equal(got[g], want)


def test_grouped_empty_group_is_all_nan() -> None:
    indptr, indices, weights = csr_from_edges(3, np.array([0, 1]), np.array([1, 2]), np.ones(2))
    got = k_nearest_sources_grouped(
        indptr, indices, weights, np.array([0]), np.array([0.0]), np.array([2]), 3, 2, 5.0
    )
    assert np.isnan(got[0]).all() and np.isnan(got[1]).all()
    assert_same(got[2], np.array([[0.0, np.nan], [1.0, np.nan], [2.0, np.nan]]))


# ---------------------------------------------------------------------------------------------
# multi-point sources (an amenity with several access points counts once)


def reference_k_nearest_by_id(n, u, v, w, source_node, source_offset, source_id, k, max_distance):
    """Per point Dijkstra + offset, minimum over the points of each id, k smallest per node."""
    out = np.full((n, k), np.nan)
    if len(source_node) == 0:
        return out
    mat = reference_matrix(n, u, v, w)
    per_point = dijkstra(mat, directed=True, indices=np.asarray(source_node, dtype=np.int64))
    per_point = per_point.reshape(len(source_node), n) + np.asarray(source_offset)[:, None]
    ids = np.unique(source_id)
    per_id = np.stack([per_point[source_id == i].min(axis=0) for i in ids])
    per_id[per_id > max_distance] = np.inf
    per_id = np.sort(per_id, axis=0)[:k].T
    finite = np.isfinite(per_id)
    out[:, : per_id.shape[1]][finite] = per_id[finite]
    return out


@given(graphs_with_sources(), st.integers(1, 5), st.randoms(use_true_random=False))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_by_id_matches_reference(case, n_ids, rnd) -> None:
    n, u, v, w, source_node, source_offset, k, max_distance = case
    source_id = np.array([rnd.randrange(n_ids) * 7 for _ in source_node], dtype=np.int64)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    dist, ids = k_nearest_sources_by_id(
        indptr, indices, weights, source_node, source_offset, source_id, k, max_distance
    )
    want = reference_k_nearest_by_id(
        n, u, v, w, source_node, source_offset, source_id, k, max_distance
    )
    assert_same(dist, want)
    np.testing.assert_array_equal(ids < 0, np.isnan(dist))
    for row in ids:
        listed = row[row >= 0].tolist()
        assert len(set(listed)) == len(listed)
        assert set(listed) <= set(source_id.tolist())
    grouped = k_nearest_sources_grouped(
        indptr, indices, weights, source_node, source_offset, np.zeros_like(source_id), 1, k,
        max_distance, source_id=source_id,
    )
    assert_same(grouped[0], want)


def test_park_gates_count_once() -> None:
    # a line 0-1-2-3-4 of 10 m edges; a park with gates at 0 and 4 and a kiosk at 2
    indptr, indices, weights = csr_from_edges(
        5, np.arange(4), np.arange(1, 5), np.full(4, 10.0)
    )
    node = np.array([0, 4, 2])
    offset = np.zeros(3)
    per_point = k_nearest_sources(indptr, indices, weights, node, offset, 3, 100.0)
    assert per_point[1].tolist() == [10.0, 10.0, 30.0]  # each gate counts separately
    dist, ids = k_nearest_sources_by_id(
        indptr, indices, weights, node, offset, np.array([5, 5, 9]), 3, 100.0
    )
    assert_same(dist[1], np.array([10.0, 10.0, np.nan]))  # the park once, at its nearest gate
    assert sorted(ids[1][:2].tolist()) == [5, 9]


def test_grouped_is_safe_from_many_threads() -> None:
    """Batch runs may call the engine from a thread pool; launches must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    n, m, s = 3000, 6000, 200
    u, v, w = rng.integers(0, n, m), rng.integers(0, n, m), rng.uniform(1, 50, m)
    indptr, indices, weights = csr_from_edges(n, u, v, w)
    sn, so, group = rng.integers(0, n, s), rng.uniform(0, 10, s), rng.integers(0, 6, s)

    def run(_):
        return k_nearest_sources_grouped(indptr, indices, weights, sn, so, group, 6, 4, 500.0)

    want = run(None)
    with ThreadPoolExecutor(4) as pool:
        for got in pool.map(run, range(8)):
            np.testing.assert_array_equal(got, want)
