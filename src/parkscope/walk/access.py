"""Accessibility: network distance from every node to the k nearest amenities of each category.

A thin, validating layer over the compiled engine in :mod:`parkscope.walk._kernels` (a bounded
multi-source Dijkstra with k labels per node, exact for the k nearest distinct amenities; the
proof is in that module's docstring). Inputs are checked here, once; the kernels trust them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from parkscope.errors import InputError, NetworkError
from parkscope.walk._kernels import k_nearest_sources_grouped

__all__ = ["k_nearest_by_category"]


def k_nearest_by_category(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    source_node: np.ndarray,
    source_category: np.ndarray,
    source_offset: np.ndarray,
    categories: Sequence[str],
    k: int = 5,
    max_distance_m: float = 1600.0,
    source_id: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Network distance to the k nearest amenities of each category, for every node.

    Each amenity (a "source") starts at a network node with a start cost ``source_offset`` (the
    metres from the amenity to that node), which counts in every distance. Several amenities may
    share a node; each counts separately. Categories are computed in parallel.

    Parameters
    ----------
    indptr, indices, weights : numpy.ndarray
        Symmetric CSR walking network: int64[n + 1], int64[m], float64[m] edge lengths in metres
        (both directions of every edge, as :meth:`parkscope.walk.network.WalkNetwork.csr` returns).
    source_node : numpy.ndarray
        int[s], index of the node each amenity joins.
    source_category : numpy.ndarray
        [s] category of each amenity: strings (amenities of a category not in ``categories``
        are ignored) or integer codes into ``categories`` (``-1`` = no category, ignored).
    source_offset : numpy.ndarray
        float[s] >= 0, metres from each amenity to its node.
    categories : sequence of str
        Categories to compute, in output order.
    k : int, default 5
        Number of nearest amenities per node and category, >= 1.
    max_distance_m : float, default 1600.0
        Search radius in metres; a distance ``<= max_distance_m`` counts.
    source_id : numpy.ndarray, optional
        [s] amenity identity (any hashable values, e.g. ``"w123"``). Points of one category
        sharing an id are access points of one amenity (a park's gates): it counts once, at
        its nearest point. By default every row is its own amenity.

    Returns
    -------
    dict of str to numpy.ndarray
        ``category -> float64[n, k]``: row ``i`` holds the distances in metres from node ``i``
        to its nearest amenities of the category, ascending, NaN where fewer than ``k`` lie
        within ``max_distance_m``. A category without amenities is all NaN.

    Raises
    ------
    NetworkError
        The CSR arrays are malformed or hold a negative, NaN or infinite weight.
    InputError
        The amenity arrays disagree in length, name a node outside the network, hold a negative
        or non-finite offset or an unknown category code; ``k < 1``; ``max_distance_m`` is
        negative or NaN; ``categories`` has duplicates.

    Examples
    --------
    >>> import numpy as np
    >>> from parkscope.walk._kernels import csr_from_edges
    >>> indptr, indices, weights = csr_from_edges(
    ...     3, np.array([0, 1]), np.array([1, 2]), np.array([100.0, 50.0]))
    >>> out = k_nearest_by_category(
    ...     indptr, indices, weights, np.array([0, 2]), np.array(["cafe", "cafe"]),
    ...     np.array([10.0, 0.0]), ["cafe", "school"], k=2, max_distance_m=200.0)
    >>> out["cafe"]
    array([[ 10., 150.],
           [ 50., 110.],
           [  0., 160.]])
    >>> bool(np.isnan(out["school"]).all())
    True
    """
    indptr, indices, weights = _check_csr(indptr, indices, weights)
    n = indptr.size - 1
    categories = [str(c) for c in categories]
    if len(set(categories)) != len(categories):
        raise InputError(f"categories must be unique, got {categories}.")
    k = _check_k(k)
    max_distance_m = _check_radius(max_distance_m)

    node = np.asarray(source_node)
    offset = np.asarray(source_offset)
    cat = np.asarray(source_category)
    arrays = {"source_node": node, "source_category": cat, "source_offset": offset}
    if source_id is not None:
        arrays["source_id"] = np.asarray(source_id)
    shapes = {name: a.shape for name, a in arrays.items()}
    if any(len(s) != 1 for s in shapes.values()) or len({s[0] for s in shapes.values()}) != 1:
        raise InputError(
            f"The amenity arrays must be 1-D and of one length, got shapes {shapes}."
        )
    if node.size and not np.issubdtype(node.dtype, np.integer):
        raise InputError(f"source_node must hold integer node indices, got dtype {node.dtype}.")
    node = node.astype(np.int64, copy=False)
    if node.size and (node.min() < 0 or node.max() >= n):
        raise InputError(
            f"source_node must index the network's {n} nodes (0 .. {n - 1}), got values "
            f"{node.min()} .. {node.max()}: join the amenities to this network first."
        )
    offset = offset.astype(np.float64, copy=False)
    if offset.size and not (np.isfinite(offset).all() and offset.min() >= 0.0):
        raise InputError(
            "source_offset must be finite metres >= 0 (the distance from each amenity to its "
            f"node); found {int((~(offset >= 0.0) | ~np.isfinite(offset)).sum())} bad values."
        )

    group = _category_codes(cat, categories)
    keep = group >= 0
    ids = None
    if source_id is not None:
        ids = pd.factorize(arrays["source_id"][keep])[0].astype(np.int64)
    out = k_nearest_sources_grouped(
        indptr, indices, weights, node[keep], offset[keep], group[keep], len(categories),
        k, max_distance_m, source_id=ids,
    )
    return {c: out[g] for g, c in enumerate(categories)}


def _check_csr(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated contiguous int64/int64/float64 CSR arrays."""
    indptr, indices, weights = np.asarray(indptr), np.asarray(indices), np.asarray(weights)
    if indptr.ndim != 1 or indices.ndim != 1 or weights.ndim != 1 or indptr.size < 1:
        raise NetworkError(
            "The CSR network arrays must be 1-D with len(indptr) = nodes + 1, got shapes "
            f"{indptr.shape}, {indices.shape}, {weights.shape}."
        )
    for name, a in (("indptr", indptr), ("indices", indices)):
        if a.size and not np.issubdtype(a.dtype, np.integer):
            raise NetworkError(f"CSR {name} must be integers, got dtype {a.dtype}.")
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    n = indptr.size - 1
    if (
        indptr[0] != 0
        or indptr[-1] != indices.size
        or indices.size != weights.size
        or np.any(np.diff(indptr) < 0)
    ):
        raise NetworkError(
            "Malformed CSR network: indptr must start at 0, never decrease and end at "
            f"len(indices) = len(weights); got indptr[0]={indptr[0]}, indptr[-1]={indptr[-1]}, "
            f"{indices.size} indices, {weights.size} weights."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= n):
        raise NetworkError(f"CSR indices must lie in 0 .. {n - 1}.")
    if weights.size and not (np.isfinite(weights).all() and weights.min() >= 0.0):
        raise NetworkError(
            "Edge lengths must be finite metres >= 0; the network holds "
            f"{int((~(weights >= 0.0) | ~np.isfinite(weights)).sum())} negative, NaN or "
            "infinite lengths."
        )
    return indptr, indices, weights


def _check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise InputError(f"k (nearest amenities per category) must be an integer >= 1, got {k!r}.")
    return int(k)


def _check_radius(max_distance_m: float) -> float:
    try:
        radius = float(max_distance_m)
    except (TypeError, ValueError):
        radius = float("nan")
    if not radius >= 0.0:
        raise InputError(
            f"max_distance_m (search radius) must be a number of metres >= 0, got "
            f"{max_distance_m!r}."
        )
    return radius


def _category_codes(cat: np.ndarray, categories: list[str]) -> np.ndarray:
    """Position of each amenity's category in ``categories``; -1 for ignored amenities."""
    if cat.size and np.issubdtype(cat.dtype, np.integer):
        codes = cat.astype(np.int64)
        bad = (codes < -1) | (codes >= len(categories))
        if bad.any():
            raise InputError(
                f"Integer source_category codes must index the {len(categories)} categories "
                f"(or be -1 for none), got {np.unique(codes[bad])[:5].tolist()}."
            )
        return codes
    if cat.size and cat.dtype.kind not in "OUS":
        raise InputError(
            f"source_category must hold category names or integer codes, got dtype {cat.dtype}."
        )
    lookup = pd.Index(categories)
    return lookup.get_indexer(pd.Index(cat.astype(object))).astype(np.int64)
