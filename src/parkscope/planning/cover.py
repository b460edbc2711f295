"""Covering location problems on a demand x candidate cost matrix (INTERFACES.md "The solver core").

The special case of the planning solver with one category, the nearest amenity only (k = 1) and full
credit within a radius: maximal covering (MCLP, Church & ReVelle 1974), the fewest sites to cover a
share of the demand, and set covering (LSCP, Toregas et al. 1971), each solved exactly (a MILP with
HiGHS through :func:`scipy.optimize.milp`) or by lazy greedy with the bound the run proves. It takes the
same input as PySAL spopt's ``MCLP.from_cost_matrix`` / ``LSCP.from_cost_matrix`` and gives the same
optima (tests/test_planning_cover.py; docs/planning.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from parkscope.errors import InputError
from parkscope.planning.greedy import lazy_greedy

METHODS = ("exact", "greedy")


@dataclass(frozen=True)
class CoverResult:
    """The sites chosen and what they cover.

    Attributes
    ----------
    sites : ndarray of int
        Column indices of the chosen candidates, sorted.
    covered : float
        Demand weight within ``radius_m`` of a chosen site.
    method : str
        ``"exact"`` or ``"greedy"``.
    bound : float
        Maximal covering: an upper bound on the weight any ``p`` sites cover. Target share and set
        covering: a lower bound on the number of sites any solution needs. Both equal the optimum for
        ``"exact"``.
    problem : str
        ``"maximal_covering"``, ``"target_share"`` or ``"set_covering"``.
    """

    sites: np.ndarray
    covered: float
    method: str
    bound: float
    problem: str

    @property
    def gap(self) -> float:
        """How far the result may be from the optimum, as a share of the bound (0 when proven optimal)."""
        if self.problem == "maximal_covering":
            return 0.0 if self.bound <= 0 else max(0.0, 1.0 - self.covered / self.bound)
        return max(0.0, 1.0 - self.bound / max(len(self.sites), 1))


def coverage_matrix(cost: np.ndarray, radius_m: float) -> sp.csc_array:
    """Boolean (n_demand, n_candidates) sparse matrix: candidate j reaches demand i within the radius.

    NaN and inf mean unreachable.
    """
    c = np.asarray(cost, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        reach = np.isfinite(c) & (c <= radius_m)
    return sp.csc_array(reach.astype(np.float64))


def cover(
    cost: np.ndarray,
    weights: np.ndarray,
    radius_m: float,
    *,
    sites: int | None = None,
    target_share: float | None = None,
    method: str = "exact",
) -> CoverResult:
    """Maximal covering, the fewest sites to a target share, or set covering.

    Parameters
    ----------
    cost : array_like (n_demand, n_candidates)
        Network metres (NaN or inf = unreachable).
    weights : array_like (n_demand,)
        Demand weights (>= 0).
    radius_m : float
        A candidate covers the demand points within this cost.
    sites : int, optional
        ``p``: the ``p`` candidates that cover the most weight (maximal covering).
    target_share : float, optional
        ``s`` in (0, 1]: the fewest candidates that cover at least ``s`` of the total weight.
    method : {"exact", "greedy"}
        A MILP solved by HiGHS, or lazy greedy.

    Neither ``sites`` nor ``target_share``: the fewest candidates that cover every demand point some
    candidate can reach (set covering).

    Returns
    -------
    CoverResult

    Raises
    ------
    InputError
        Bad shapes or values, both ``sites`` and ``target_share``, or a target share the candidates
        cannot reach.

    Examples
    --------
    >>> cost = np.array([[100.0, 900.0], [800.0, 150.0], [300.0, np.nan]])
    >>> r = cover(cost, np.array([1.0, 2.0, 1.0]), 500.0, sites=1)
    >>> r.sites.tolist(), r.covered, r.bound
    ([1], 2.0, 2.0)
    >>> cover(cost, np.ones(3), 500.0).sites.tolist()
    [0, 1]
    """
    a, w = _check(cost, weights, radius_m, sites, target_share, method)
    if sites is not None:
        problem = "maximal_covering"
    elif target_share is not None:
        problem = "target_share"
    else:
        problem = "set_covering"
    reachable = np.asarray(a.sum(axis=1)).ravel() > 0
    if problem == "target_share":
        need = target_share * float(w.sum())
        if float(w[reachable].sum()) < need * (1 - 1e-12):
            raise InputError(
                f"No choice of candidates covers {target_share:.1%} of the demand within {radius_m:g} m: "
                f"all of them together cover {float(w[reachable].sum()) / float(w.sum()):.1%}. Lower "
                "target_share, raise radius_m or add candidates."
            )
    solve = _exact if method == "exact" else _greedy
    chosen, bound = solve(a, w, reachable, problem, sites, target_share)
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    return CoverResult(chosen, covered_weight(a, w, chosen), method, bound, problem)


def covered_weight(a: sp.csc_array, w: np.ndarray, chosen: np.ndarray) -> float:
    """Weight of the demand points within reach of at least one chosen candidate."""
    if len(chosen) == 0:
        return 0.0
    hit = np.asarray(a[:, np.asarray(chosen)].sum(axis=1)).ravel() > 0
    return float(w[hit].sum())


def _check(
    cost: np.ndarray, weights: np.ndarray, radius_m: float, sites: int | None, target_share: float | None,
    method: str,
) -> tuple[sp.csc_array, np.ndarray]:
    c = np.asarray(cost, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if c.ndim != 2 or c.shape[1] == 0:
        raise InputError(f"cost must be a 2-D (demand x candidates) matrix, got shape {c.shape}.")
    if w.shape != (c.shape[0],):
        raise InputError(f"weights must have one value per demand row ({c.shape[0]}), got {w.shape}.")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError("weights must be finite and >= 0.")
    if not (np.isfinite(radius_m) and radius_m >= 0):
        raise InputError(f"radius_m must be a finite distance >= 0, got {radius_m}.")
    if method not in METHODS:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    if sites is not None and target_share is not None:
        raise InputError("Give sites (maximal covering) or target_share, not both.")
    if sites is not None and not (int(sites) == sites and 1 <= sites <= c.shape[1]):
        raise InputError(f"sites must be a whole number from 1 to the {c.shape[1]} candidates, got {sites}.")
    if target_share is not None and not 0 < target_share <= 1:
        raise InputError(f"target_share must be in (0, 1], got {target_share}.")
    return coverage_matrix(c, radius_m), w


def _exact(
    a: sp.csc_array, w: np.ndarray, reachable: np.ndarray, problem: str, p: int | None, share: float | None
) -> tuple[np.ndarray, float]:
    """The MILP: binary x (candidates), continuous z in [0, 1] (demand covered), z_i <= sum_{j near i} x_j."""
    n_d, n_c = a.shape
    if problem == "set_covering":
        rows = a[reachable]
        res = milp(
            np.ones(n_c), integrality=np.ones(n_c), bounds=Bounds(0, 1),
            constraints=LinearConstraint(rows, lb=1, ub=np.inf),
        )
        x = _solution(res)
        return np.nonzero(x > 0.5)[0], float(round(res.fun))
    # variables [x (n_c), z (n_d)]; z of unreachable demand fixed at 0
    link = sp.hstack([-a, sp.eye_array(n_d)], format="csr")  # z_i - sum_j a_ij x_j <= 0
    ub = np.r_[np.ones(n_c), reachable.astype(np.float64)]
    integrality = np.r_[np.ones(n_c), np.zeros(n_d)]
    if problem == "maximal_covering":
        count = sp.csr_array(np.r_[np.ones(n_c), np.zeros(n_d)][None, :])
        res = milp(
            np.r_[np.zeros(n_c), -w], integrality=integrality, bounds=Bounds(0, ub),
            constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(count, p, p)],
        )
        x = _solution(res)
        chosen = np.nonzero(x[:n_c] > 0.5)[0]
        return chosen, covered_weight(a, w, chosen)
    reach = sp.csr_array(np.r_[np.zeros(n_c), w][None, :])
    need = share * float(w.sum()) * (1 - 1e-12)
    res = milp(
        np.r_[np.ones(n_c), np.zeros(n_d)], integrality=integrality, bounds=Bounds(0, ub),
        constraints=[LinearConstraint(link, -np.inf, 0), LinearConstraint(reach, need, np.inf)],
    )
    x = _solution(res)
    return np.nonzero(x[:n_c] > 0.5)[0], float(round(res.fun))


def _solution(res: object) -> np.ndarray:
    if getattr(res, "x", None) is None or not res.success:  # type: ignore[attr-defined]
        raise RuntimeError(f"HiGHS found no optimum: {res.message}")  # type: ignore[attr-defined]
    return np.asarray(res.x)  # type: ignore[attr-defined]


def _greedy(
    a: sp.csc_array, w: np.ndarray, reachable: np.ndarray, problem: str, p: int | None, share: float | None
) -> tuple[np.ndarray, float]:
    """Lazy greedy on the weight (set covering: the number of points) newly covered."""
    value = w if problem != "set_covering" else reachable.astype(np.float64)
    open_ = value.copy()  # value still uncovered
    indptr, indices = a.indptr, a.indices

    def gain(j: int) -> float:
        return float(open_[indices[indptr[j]:indptr[j + 1]]].sum())

    def commit(j: int) -> None:
        open_[indices[indptr[j]:indptr[j + 1]]] = 0.0

    gains0 = np.asarray(a.T @ value).ravel()
    if problem == "maximal_covering":
        run = lazy_greedy(gains0, gain, commit, max_items=p)
        rest = np.setdiff1d(np.arange(a.shape[1]), run.order)[: p - len(run.order)]  # gain nothing
        return np.r_[np.array(run.order, dtype=np.int64), rest], float(run.upper_bound)
    target = float(value.sum()) if problem == "set_covering" else share * float(w.sum())
    run = lazy_greedy(gains0, gain, commit, target=target * (1 - 1e-12))
    bound = float(run.count_bound)
    if problem == "set_covering" and len(run.order):
        # greedy set cover takes at most H(d) times the optimum (d: most points one candidate covers)
        d = int(np.asarray(a[reachable].sum(axis=0)).max())
        bound = max(bound, float(math.ceil(len(run.order) / sum(1.0 / i for i in range(1, d + 1)) - 1e-9)))
    return np.array(run.order), bound
