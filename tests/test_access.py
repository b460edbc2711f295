"""The accessibility layer: validation, category handling, and the oracle test on real extracts.

The oracle test builds the real walking network and amenities with parkscope's own modules and
compares every distance with an independent computation: scipy's Dijkstra from every amenity
node, the amenity's offset added, the k smallest per node.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from parkscope.errors import InputError, NetworkError, ParkscopeError
from parkscope.walk._kernels import csr_from_edges, k_nearest_sources, k_nearest_sources_by_id
from parkscope.walk.access import k_nearest_by_category

# ---------------------------------------------------------------------------------------------
# a small random network


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(11)
    n, m, s = 600, 1500, 120
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    w = rng.uniform(0, 120, m)
    csr = csr_from_edges(n, u, v, w)
    node = rng.integers(0, n, s)
    offset = rng.uniform(0, 60, s)
    cats = np.array(["dining", "groceries", "parks", "unknown"])[rng.integers(0, 4, s)]
    return csr, node, offset, cats


def test_matches_kernel_per_category(small) -> None:
    (indptr, indices, weights), node, offset, cats = small
    categories = ["groceries", "dining", "schools"]
    got = k_nearest_by_category(
        indptr, indices, weights, node, cats, offset, categories, k=4, max_distance_m=500.0
    )
    assert list(got) == categories
    for c in ("groceries", "dining"):
        sel = cats == c
        want = k_nearest_sources(indptr, indices, weights, node[sel], offset[sel], 4, 500.0)
        np.testing.assert_array_equal(got[c], want)
        assert got[c].shape == (600, 4) and got[c].dtype == np.float64
    assert np.isnan(got["schools"]).all()  # no amenity of that category
    # integer codes give the same answer; -1 is ignored
    codes = np.array([categories.index(c) if c in categories else -1 for c in cats])
    by_code = k_nearest_by_category(
        indptr, indices, weights, node, codes, offset, categories, k=4, max_distance_m=500.0
    )
    for c in categories:
        np.testing.assert_array_equal(by_code[c], got[c])


def test_defaults_are_k5_1600m(small) -> None:
    (indptr, indices, weights), node, offset, cats = small
    got = k_nearest_by_category(indptr, indices, weights, node, cats, offset, ["dining"])
    sel = cats == "dining"
    want = k_nearest_sources(indptr, indices, weights, node[sel], offset[sel], 5, 1600.0)
    np.testing.assert_array_equal(got["dining"], want)


def test_pandas_categorical_and_object_inputs(small) -> None:
    import pandas as pd

    (indptr, indices, weights), node, offset, cats = small
    cat_series = pd.Series(pd.Categorical(cats))
    got = k_nearest_by_category(
        indptr, indices, weights, pd.Series(node), cat_series, pd.Series(offset),
        ("parks",), k=2, max_distance_m=300.0,
    )
    sel = cats == "parks"
    want = k_nearest_sources(indptr, indices, weights, node[sel], offset[sel], 2, 300.0)
    np.testing.assert_array_equal(got["parks"], want)


def test_no_amenities_at_all() -> None:
    indptr, indices, weights = csr_from_edges(3, np.array([0]), np.array([1]), np.array([5.0]))
    got = k_nearest_by_category(
        indptr, indices, weights, np.array([], np.int64), np.array([], str), np.array([]),
        ["a", "b"], k=3,
    )
    assert set(got) == {"a", "b"}
    assert all(a.shape == (3, 3) and np.isnan(a).all() for a in got.values())


def test_source_id_counts_an_amenity_once() -> None:
    # a line of 10 m edges; a park with gates at both ends and a kiosk in the middle
    indptr, indices, weights = csr_from_edges(5, np.arange(4), np.arange(1, 5), np.full(4, 10.0))
    node, offset = np.array([0, 4, 2]), np.zeros(3)
    cats = np.array(["parks", "parks", "parks"])
    each = k_nearest_by_category(indptr, indices, weights, node, cats, offset, ["parks"], k=3)
    np.testing.assert_array_equal(each["parks"][1], [10.0, 10.0, 30.0])
    ids = np.array(["w7", "w7", "n3"], dtype=object)
    once = k_nearest_by_category(
        indptr, indices, weights, node, cats, offset, ["parks"], k=3, source_id=ids
    )
    np.testing.assert_array_equal(once["parks"][1], [10.0, 10.0, np.nan])
    np.testing.assert_array_equal(once["parks"][4], [0.0, 20.0, np.nan])


def test_same_id_in_two_categories_is_independent() -> None:
    indptr, indices, weights = csr_from_edges(3, np.array([0, 1]), np.array([1, 2]), np.ones(2))
    got = k_nearest_by_category(
        indptr, indices, weights, np.array([0, 2]), np.array(["a", "b"]), np.zeros(2),
        ["a", "b"], k=1, source_id=np.array([1, 1]),
    )
    np.testing.assert_array_equal(got["a"][:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(got["b"][:, 0], [2.0, 1.0, 0.0])


# ---------------------------------------------------------------------------------------------
# validation: once, at the boundary, with ParkscopeError subclasses


def _call(**overrides):
    indptr, indices, weights = csr_from_edges(
        4, np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 2.0, 3.0])
    )
    args = dict(
        indptr=indptr, indices=indices, weights=weights, source_node=np.array([0, 3]),
        source_category=np.array(["a", "b"]), source_offset=np.array([0.0, 1.0]),
        categories=["a", "b"], k=2, max_distance_m=10.0,
    )
    args.update(overrides)
    return k_nearest_by_category(**args)


def test_valid_call_runs() -> None:
    got = _call()
    np.testing.assert_array_equal(got["a"][:, 0], [0.0, 1.0, 3.0, 6.0])


@pytest.mark.parametrize(
    ("overrides", "error", "words"),
    [
        ({"weights": np.array([1.0, -1.0, 2.0, 2.0, 1.0, 3.0])}, NetworkError, "lengths"),
        ({"weights": np.array([1.0, np.nan, 2.0, 2.0, 1.0, 3.0])}, NetworkError, "lengths"),
        ({"weights": np.array([1.0, 2.0])}, NetworkError, "Malformed"),
        ({"indptr": np.array([0, 2, 1, 4, 6])}, NetworkError, "Malformed"),
        ({"indptr": np.array([[0, 1, 3, 5, 6]])}, NetworkError, "1-D"),
        ({"indices": np.array([1, 0, 2, 1, 3, 9])}, NetworkError, "indices"),
        ({"indices": np.array([1.0, 0, 2, 1, 3, 2])}, NetworkError, "integers"),
        ({"source_node": np.array([0, 4])}, InputError, "source_node"),
        ({"source_node": np.array([0, -1])}, InputError, "source_node"),
        ({"source_node": np.array([0.0, 1.0])}, InputError, "integer"),
        ({"source_node": np.array([0, 1, 2])}, InputError, "one length"),
        ({"source_offset": np.array([0.0, -0.5])}, InputError, "source_offset"),
        ({"source_offset": np.array([0.0, np.inf])}, InputError, "source_offset"),
        ({"source_category": np.array([0, 2])}, InputError, "codes"),
        ({"source_category": np.array([0.5, 1.0])}, InputError, "source_category"),
        ({"k": 0}, InputError, "k "),
        ({"k": 2.5}, InputError, "k "),
        ({"k": True}, InputError, "k "),
        ({"max_distance_m": -1.0}, InputError, "max_distance_m"),
        ({"max_distance_m": float("nan")}, InputError, "max_distance_m"),
        ({"max_distance_m": "far"}, InputError, "max_distance_m"),
        ({"categories": ["a", "a"]}, InputError, "unique"),
        ({"source_id": np.array([1, 2, 3])}, InputError, "one length"),
    ],
)
def test_invalid_inputs_raise_parkscope_errors(overrides, error, words) -> None:
    with pytest.raises(error, match=words) as info:
        _call(**overrides)
    assert isinstance(info.value, ParkscopeError)


def test_unbounded_radius_and_numpy_k() -> None:
    got = _call(max_distance_m=np.inf, k=np.int64(1))
    np.testing.assert_array_equal(got["b"][:, 0], [7.0, 6.0, 4.0, 1.0])


# ---------------------------------------------------------------------------------------------
# THE ORACLE TEST: real extracts, parkscope's own network and amenities, scipy as the oracle

ORACLE_EXTRACTS = ["helsinki.osm.pbf", "beijing-xueyuan-road.osm", "berlin-adlershof.osm.gz",
                   "monaco.osm.pbf"]
K, MAX_M = 5, 1600.0


def oracle_k_nearest(n, edge_u, edge_v, length_m, node, offset, k, max_distance, ids=None):
    """scipy Dijkstra from every amenity node, offsets added, k smallest per node (NaN-padded).

    Independent of the kernels: the graph is assembled here from the network's edge list
    (parallel edges reduced to the shortest), not with ``csr_from_edges``.
    """
    out = np.full((n, k), np.nan)
    if node.size == 0:
        return out
    tails = np.concatenate((edge_u, edge_v))
    heads = np.concatenate((edge_v, edge_u))
    wts = np.concatenate((length_m, length_m))
    order = np.lexsort((wts, heads, tails))
    tails, heads, wts = tails[order], heads[order], wts[order]
    first = np.ones(tails.size, dtype=bool)
    first[1:] = (tails[1:] != tails[:-1]) | (heads[1:] != heads[:-1])
    graph = csr_matrix((wts[first], (tails[first], heads[first])), shape=(n, n))
    assert graph.nnz == int(first.sum())
    uniq, inverse = np.unique(node, return_inverse=True)
    from_node = dijkstra(graph, directed=True, indices=uniq, limit=max_distance)
    dist = from_node[inverse] + offset[:, None]  # (s, n), offsets as start costs
    if ids is not None:  # points sharing an id are one amenity: its nearest point counts
        codes, first_of = np.unique(ids, return_inverse=True)
        per = np.full((codes.size, n), np.inf)
        np.minimum.at(per, first_of, dist)
        dist = per
    dist[dist > max_distance] = np.inf
    kk = min(k, dist.shape[0])
    best = np.sort(np.partition(dist, kk - 1, axis=0)[:kk], axis=0).T
    finite = np.isfinite(best)
    out[:, :kk][finite] = best[finite]
    return out


@pytest.fixture(scope="module")
def settings():
    from parkscope.settings.config import load_settings

    return load_settings()


def _real_case(path: Path, settings, mode: str):
    from parkscope.inputs.osm import read_extract
    from parkscope.walk.amenities import join_to_network, locate_amenities
    from parkscope.walk.network import build_walk_network

    osm = read_extract(path)
    network = build_walk_network(osm)
    amenities = locate_amenities(osm.features, settings, network.crs)
    network, joined = join_to_network(network, amenities, mode=mode)
    return network, joined


@pytest.mark.parametrize("name", ORACLE_EXTRACTS)
def test_oracle_real_extract(name: str, osm_dir: Path, settings) -> None:
    path = osm_dir / name
    assert path.exists(), f"real extract {path} is missing from {osm_dir}"
    network, joined = _real_case(path, settings, mode="edge")
    n = network.n_nodes
    assert n > 500 and len(joined) > 20, f"{name}: suspiciously small ({n} nodes, {len(joined)})"
    indptr, indices, weights = network.csr()
    node = joined["node_index"].to_numpy(np.int64)
    cat = joined["category"].astype(str).to_numpy()
    offset = joined["offset_m"].to_numpy(np.float64)
    got = k_nearest_by_category(
        indptr, indices, weights, node, cat, offset, settings.category_keys, k=K,
        max_distance_m=MAX_M,
    )
    checked = 0
    for c in settings.category_keys:
        sel = cat == c
        want = oracle_k_nearest(
            n, network.edge_u, network.edge_v, network.length_m, node[sel], offset[sel], K, MAX_M
        )
        nan_diff = np.isnan(got[c]) != np.isnan(want)
        assert not nan_diff.any(), (
            f"{name}/{c}: NaN pattern differs from the scipy oracle at {int(nan_diff.sum())} "
            f"cells, first at node {np.argwhere(nan_diff)[0].tolist()}"
        )
        finite = ~np.isnan(want)
        if finite.any():
            err = np.abs(got[c][finite] - want[finite]).max()
            assert err <= 1e-6, f"{name}/{c}: max abs difference {err} m from the scipy oracle"
        checked += int(finite.sum())
    assert checked > n, f"{name}: too few finite distances checked ({checked})"


def test_oracle_amenity_ids_and_node_mode(osm_dir: Path, settings) -> None:
    """Multi-point amenities (park outlines) counted once; nearest-node joins (pandana's way)."""
    path = osm_dir / "helsinki.osm.pbf"
    assert path.exists(), f"real extract {path} is missing from {osm_dir}"
    network, joined = _real_case(path, settings, mode="node")
    indptr, indices, weights = network.csr()
    node = joined["node_index"].to_numpy(np.int64)
    cat = joined["category"].astype(str).to_numpy()
    offset = joined["offset_m"].to_numpy(np.float64)
    amenity = joined["amenity_id"].astype(str).to_numpy()
    got = k_nearest_by_category(
        indptr, indices, weights, node, cat, offset, settings.category_keys, source_id=amenity
    )
    shared = 0
    for c in settings.category_keys:
        sel = cat == c
        shared += int(sel.sum() - np.unique(amenity[sel]).size)
        want = oracle_k_nearest(
            network.n_nodes, network.edge_u, network.edge_v, network.length_m, node[sel],
            offset[sel], K, MAX_M, ids=amenity[sel],
        )
        np.testing.assert_array_equal(np.isnan(got[c]), np.isnan(want), err_msg=c)
        finite = ~np.isnan(want)
        np.testing.assert_allclose(got[c][finite], want[finite], rtol=0, atol=1e-6, err_msg=c)
        # and the kernel agrees with the by-id kernel called directly
        codes = np.unique(amenity[sel], return_inverse=True)[1]
        direct, _ = k_nearest_sources_by_id(
            indptr, indices, weights, node[sel], offset[sel], codes, K, MAX_M
        )
        np.testing.assert_array_equal(direct, got[c])
    assert shared > 0, "expected some amenities with several access points (park outlines)"
