"""Link prediction on the actor graph: common neighbours, Adamic–Adar, resource allocation, Katz.

All on the unweighted adjacency ``A`` (sparse, 0/1) and sparse products only:

* common neighbours ``CN(u, v) = Σ_z A_uz A_zv`` = ``(A A)_uv``;
* Adamic–Adar ``AA(u, v) = Σ_z A_uz A_zv / ln k_z`` = ``(A D_AA A)_uv``, ``D_AA = diag(1 / ln k)``;
* resource allocation ``RA(u, v) = Σ_z A_uz A_zv / k_z`` = ``(A D_RA A)_uv``, ``D_RA = diag(1 / k)``;
* Katz ``K(u, v) = Σ_{l=1..L} β^l (A^l)_uv``, truncated at ``L`` paths' length, with
  ``β = share / λ_max(A)`` so that the full series would converge.

A *set* of seed actors (a park) is scored as one merged actor: its neighbours are the union of
theirs, its Katz walks start from all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

METHODS = ("common_neighbours", "adamic_adar", "resource_allocation", "katz")


def binary(adj: sp.spmatrix) -> sp.csr_matrix:
    """0/1 symmetric adjacency without diagonal."""
    a = sp.csr_matrix(adj, copy=True)
    a.data[:] = 1.0
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def _degree_weights(a: sp.csr_matrix, method: str) -> np.ndarray:
    k = np.asarray(a.sum(axis=1)).ravel()
    if method == "common_neighbours":
        return np.ones_like(k)
    if method == "adamic_adar":
        with np.errstate(divide="ignore"):
            w = 1.0 / np.log(k)
        return np.where(k > 1, w, 0.0)  # a degree-1 actor is nobody's common neighbour
    if method == "resource_allocation":
        return np.where(k > 0, 1.0 / np.maximum(k, 1), 0.0)
    raise ValueError(f"unknown method {method}")


def katz_beta(a: sp.csr_matrix, share: float) -> float:
    """``share / λ_max(A)``: the Katz attenuation as a share of its convergence limit."""
    if a.nnz == 0:
        return share
    if a.shape[0] < 3:
        lam = float(np.abs(np.linalg.eigvalsh(a.toarray())).max())
    else:
        # a fixed start vector: ARPACK's default is random, which moved β and reordered near-ties
        v0 = np.ones(a.shape[0])
        lam = float(
            spla.eigsh(a.astype(float), k=1, which="LA", return_eigenvectors=False, tol=1e-6, v0=v0)[0]
        )
    return share / lam if lam > 0 else share


def scorer(
    a: sp.csr_matrix, method: str, beta: float = 0.0, max_length: int = 4
) -> Callable[[sp.csr_matrix], sp.csr_matrix]:
    """A function from sparse seed rows (k × n) to their score rows (k × n, sparse).

    For the neighbourhood scores a seed row is first turned into its neighbour indicator; for Katz
    the walks start from the seeds.
    """
    if method == "katz":

        def katz(x: sp.csr_matrix) -> sp.csr_matrix:
            total = sp.csr_matrix(x.shape)
            walk = x
            for _ in range(max_length):  # walks of length 1 … max_length
                walk = (walk @ a) * beta
                total = total + walk
            return total.tocsr()

        return katz
    d = sp.diags(_degree_weights(a, method))
    right = (d @ a).tocsr()

    def neighbourhood(x: sp.csr_matrix) -> sp.csr_matrix:
        nb = x @ a
        nb.data[:] = 1.0
        return (nb @ right).tocsr()

    return neighbourhood


def seed_rows(n: int, seeds: list[np.ndarray]) -> sp.csr_matrix:
    """One 0/1 row per seed set (a single actor or the actors of a park)."""
    rows = np.repeat(np.arange(len(seeds)), [len(s) for s in seeds])
    cols = np.concatenate(seeds) if seeds else np.empty(0, dtype=np.int64)
    return sp.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(seeds), n))


def pair_scores(
    a: sp.csr_matrix,
    u: np.ndarray,
    v: np.ndarray,
    method: str,
    beta: float = 0.0,
    max_length: int = 4,
    batch: int = 512,
) -> np.ndarray:
    """Score of each pair ``(u[i], v[i])`` (sparse rows for the distinct ``u``, in batches)."""
    f = scorer(a, method, beta, max_length)
    out = np.zeros(len(u))
    uniq, inverse = np.unique(u, return_inverse=True)
    for start in range(0, len(uniq), batch):
        chunk = uniq[start : start + batch]
        rows = f(seed_rows(a.shape[0], [np.array([x]) for x in chunk]))
        sel = (inverse >= start) & (inverse < start + len(chunk))
        out[sel] = np.asarray(rows[inverse[sel] - start, v[sel]]).ravel()
    return out


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability that a positive pair outscores a negative one (ties count one half)."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    ranks = _average_ranks(allv)
    r_pos = ranks[: len(pos)].sum()
    return float((r_pos - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    _, first, counts = np.unique(xs, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return ranks
