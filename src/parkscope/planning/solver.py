"""The planning solver: which amenities to add, and where, to raise a demand-weighted park score.

The problem (docs/planning.md): demand points ``i`` with weights ``a_i`` (the park's walk nodes,
weighted by the workers or residents of their cell), candidate sites ``s`` at network distance
``d_is``, categories ``c``. An item is one addition ``(s, c)``. Each demand point's score is
parkscope's life-convenience score (:mod:`parkscope.measures.score`)::

    score_i = 10 * sum_c W_c / sum W * sum_r r_cr * f(d_(r), ic)

with ``d_(r),ic`` the r-th nearest amenity of category ``c`` among the existing ones and the added ones,
``f`` the distance decay and ``r_cr`` the rank (depth-of-choice) weights. The objective is
``F(X) = sum_i a_i score_i(X)``.

When every category's rank weights do not increase with rank, ``F`` is monotone and submodular: a
category's term is ``sum_r r_r c_(r) = sum_r (r_r - r_{r+1}) * (sum of the r largest credits)`` and the
sum of the r largest of a set of credits is monotone submodular (the rank function of a weighted
uniform matroid); a non-negative sum of such terms is too. Then lazy greedy carries the 1 - 1/e
guarantee for a number of additions (Nemhauser, Wolsey & Fisher 1978) and the logarithmic one for the
fewest additions to a target (Wolsey 1982), and prints the bound each run proves
(:mod:`parkscope.planning.greedy`). :func:`exact` solves the same problem as a MILP with HiGHS for
instances that fit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from parkscope.errors import InputError
from parkscope.measures.score import decay, rank_weights
from parkscope.planning.greedy import GAIN_EPS, lazy_greedy
from parkscope.settings.config import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoreModel:
    """The score's parameters, as :mod:`parkscope.measures.score` applies them.

    Attributes
    ----------
    categories : tuple of str
        Every category of the score (also those no addition may be of).
    category_weight : ndarray (n_categories,)
        ``10 * W_c / sum W``.
    rank_weight : ndarray (n_categories, k)
        Each category's rank weights, cut or padded to ``k`` and normalised (:func:`rank_weights`).
    full_credit_m, max_distance_m : float
    shape : str
        Decay shape.
    """

    categories: tuple[str, ...]
    category_weight: np.ndarray
    rank_weight: np.ndarray
    full_credit_m: float
    max_distance_m: float
    shape: str = "cosine"

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoreModel:
        total = sum(c.weight for c in settings.categories)
        if total <= 0:
            raise InputError("the category weights sum to 0: give at least one category a positive weight")
        return cls(
            categories=tuple(settings.category_keys),
            category_weight=np.array([10.0 * c.weight / total for c in settings.categories]),
            rank_weight=np.array([rank_weights(c.rank_weights, settings.k) for c in settings.categories]),
            full_credit_m=settings.full_credit_m,
            max_distance_m=settings.max_distance_m,
            shape=settings.decay,
        )

    @property
    def k(self) -> int:
        return int(self.rank_weight.shape[1])

    def credit(self, distance_m: np.ndarray) -> np.ndarray:
        """Credit (0–1) of an amenity at these distances (:func:`parkscope.measures.score.decay`)."""
        return decay(distance_m, self.full_credit_m, self.max_distance_m, self.shape)

    def increasing_ranks(self) -> list[str]:
        """Categories whose rank weights increase somewhere: there the objective is not submodular."""
        return [c for c, r in zip(self.categories, self.rank_weight, strict=True)
                if (np.diff(r) > 1e-15).any()]

    def node_scores(self, credits: Mapping[str, np.ndarray]) -> np.ndarray:
        """The 0–10 score of each node from its top-k credits per category (descending)."""
        out = 0.0
        for ci, cat in enumerate(self.categories):
            out = out + self.category_weight[ci] * (credits[cat] @ self.rank_weight[ci])
        return np.asarray(out, dtype=np.float64)


@dataclass
class PlanProblem:
    """Demand x candidate sites with the existing amenities already in place.

    Attributes
    ----------
    model : ScoreModel
    demand_weight : ndarray (n_demand,)
        ``a_i``; the objective is ``sum_i a_i score_i``.
    existing : dict of category -> ndarray (n_demand, k)
        Credits of the k nearest existing amenities, descending.
    credit : csc sparse (n_demand, n_sites)
        Credit of an amenity at each site for each demand point (entries only where it is > 0).
    item_site, item_category : ndarray (n_items,)
        The additions that may be made: site index and category index.
    item_cost : ndarray (n_items,)
        Cost of each addition (1 by default).
    site_capacity : ndarray (n_sites,)
        The most additions a site may take.
    """

    model: ScoreModel
    demand_weight: np.ndarray
    existing: dict[str, np.ndarray]
    credit: sp.csc_array
    item_site: np.ndarray
    item_category: np.ndarray
    item_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    site_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n_items, n_sites = len(self.item_site), self.credit.shape[1]
        if self.item_cost.size == 0:
            self.item_cost = np.ones(n_items)
        if self.site_capacity.size == 0:
            self.site_capacity = np.full(n_sites, len(self.model.categories), dtype=np.int64)
        if self.credit.shape[0] != len(self.demand_weight):
            raise InputError("the credit matrix needs one row per demand point")
        if n_items == 0:
            raise InputError("No candidate additions: give candidate sites and at least one category.")

    @classmethod
    def from_cost_matrix(
        cls,
        cost: np.ndarray,
        weights: np.ndarray,
        model: ScoreModel,
        existing_m: Mapping[str, np.ndarray] | None = None,
        categories: Sequence[str] | None = None,
        item_cost: np.ndarray | None = None,
        site_capacity: np.ndarray | None = None,
    ) -> PlanProblem:
        """A problem from a dense (n_demand, n_sites) matrix of network metres (NaN/inf unreachable),
        the way spopt's ``from_cost_matrix`` takes one; ``existing_m``: metres to the k nearest existing
        amenities per category (NaN none), none by default; ``categories``: those that may be added."""
        c = np.asarray(cost, dtype=np.float64)
        credit = np.where(np.isfinite(c), model.credit(np.where(np.isfinite(c), c, np.nan)), 0.0)
        n_d, n_s = c.shape
        existing = {
            cat: model.credit((existing_m or {}).get(cat, np.full((n_d, model.k), np.nan)))
            for cat in model.categories
        }
        cats = [model.categories.index(x) for x in (categories or model.categories)]
        sites = np.repeat(np.arange(n_s), len(cats))
        return cls(
            model, np.asarray(weights, dtype=np.float64), existing, sp.csc_array(credit), sites,
            np.tile(np.array(cats, dtype=np.int64), n_s),
            np.ones(len(sites)) if item_cost is None else np.asarray(item_cost, dtype=np.float64),
            np.zeros(0) if site_capacity is None else np.asarray(site_capacity, dtype=np.int64),
        )

    def value(self, credits: Mapping[str, np.ndarray] | None = None) -> float:
        """``F``: the demand-weighted score, of the existing amenities or of given credits."""
        return float(self.demand_weight @ self.model.node_scores(credits or self.existing))

    def apply(self, items: Sequence[int]) -> dict[str, np.ndarray]:
        """Top-k credits per category of every demand point with ``items`` added."""
        credits = {c: v.copy() for c, v in self.existing.items()}
        for j in items:
            rows, x = self._column(int(self.item_site[j]))
            cat = self.model.categories[int(self.item_category[j])]
            credits[cat][rows] = _insert(credits[cat][rows], x)
        return credits

    def _column(self, site: int) -> tuple[np.ndarray, np.ndarray]:
        a = self.credit
        lo, hi = a.indptr[site], a.indptr[site + 1]
        return a.indices[lo:hi], a.data[lo:hi]


def _insert(top: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each row's k largest of its (descending) ``top`` and the new credit ``x``."""
    k = top.shape[1]
    pos = (top >= x[:, None]).sum(axis=1)[:, None]
    r = np.arange(k)[None, :]
    shifted = np.concatenate([x[:, None], top[:, :-1]], axis=1)
    return np.where(r < pos, top, np.where(r == pos, x[:, None], shifted))


@dataclass(frozen=True)
class Solution:
    """Additions chosen and what they achieve.

    Attributes
    ----------
    items : list of int
        In the order chosen (greedy) or by gain (exact).
    gains : list of float
        Each addition's gain in ``F`` given those before it.
    baseline, value : float
        ``F`` before and after.
    method : str
        ``"greedy"`` or ``"exact"``.
    bound : float or None
        Budget: an upper bound on ``F`` of any feasible choice. Target: a lower bound on the number of
        additions any choice that reaches it needs. Exact: the optimum. None when the rank weights
        increase (no guarantee).
    reached : bool or None
        Target runs: whether ``value`` reaches the target.
    """

    items: list[int]
    gains: list[float]
    baseline: float
    value: float
    method: str
    bound: float | None
    reached: bool | None = None


def greedy(
    problem: PlanProblem,
    *,
    target: float | None = None,
    max_items: int | None = None,
    budget: float | None = None,
) -> Solution:
    """Lazy greedy: the fewest additions to ``target`` or the best within ``max_items`` / ``budget``.

    With ``budget`` (total ``item_cost``) and unequal costs, both the cost-benefit greedy and the plain
    greedy run and the better is kept (Leskovec et al. 2007: at least (1 - 1/e)/2 of the optimum).
    """
    if target is None and max_items is None and budget is None:
        raise InputError("Give a target score, a number of additions or a budget.")
    model = problem.model
    submodular = not model.increasing_ranks()
    base = problem.value()

    def run(by_ratio: bool) -> tuple[list[int], list[float], float, object]:
        state = {c: v.copy() for c, v in problem.existing.items()}
        gains0 = np.array([_gain(problem, state, j) for j in range(len(problem.item_site))])

        def gain(j: int) -> float:
            return _gain(problem, state, j)

        def commit(j: int) -> None:
            rows, x = problem._column(int(problem.item_site[j]))
            cat = model.categories[int(problem.item_category[j])]
            state[cat][rows] = _insert(state[cat][rows], x)

        r = lazy_greedy(
            gains0, gain, commit, start_value=base, max_items=max_items,
            cost=problem.item_cost if budget is not None else None, budget=budget,
            target=target if budget is None and max_items is None else None,
            group=problem.item_site, capacity=problem.site_capacity, by_ratio=by_ratio,
        )
        return r.order, r.gains, problem.value(state), r

    items, gains, value, r = run(False)
    if budget is not None and np.ptp(problem.item_cost) > 0:
        other = run(True)
        if other[2] > value:
            items, gains, value, r = other
    if budget is None and max_items is None:
        bound: float | None = float(r.count_bound)  # type: ignore[attr-defined]
    else:
        bound = float(r.upper_bound)  # type: ignore[attr-defined]
    if not submodular:
        log.warning("rank weights increase with rank in %s: the greedy carries no guarantee and proves "
                    "no bound", ", ".join(model.increasing_ranks()))
        bound = None
    reached = None if target is None else bool(value >= target - GAIN_EPS)
    return Solution(items, gains, base, value, "greedy", bound, reached)


def _gain(problem: PlanProblem, state: Mapping[str, np.ndarray], j: int) -> float:
    rows, x = problem._column(int(problem.item_site[j]))
    if rows.size == 0:
        return 0.0
    ci = int(problem.item_category[j])
    top = state[problem.model.categories[ci]][rows]
    delta = (_insert(top, x) - top) @ problem.model.rank_weight[ci]
    return float(problem.model.category_weight[ci] * (problem.demand_weight[rows] @ delta))


def exact(
    problem: PlanProblem,
    *,
    target: float | None = None,
    max_items: int | None = None,
    budget: float | None = None,
    time_limit_s: float | None = None,
) -> Solution:
    """The same problem as a MILP solved by HiGHS (small instances: tests and the benchmark).

    Variables: ``x_j`` binary (item j added); for each demand point ``i`` and category ``c``,
    ``y_lr`` in [0, 1] assigns amenity ``l`` (existing, or an item of ``c`` within reach) to rank ``r``:
    ``sum_l y_lr <= 1``, ``sum_r y_lr <= 1`` (existing) or ``<= x_l`` (items). With rank weights that do
    not increase, the best assignment puts the largest credits at the first ranks, so
    ``max sum a_i W_c r_cr f_l y_lr`` is ``F``. Budget: ``max F`` with ``sum x <= max_items`` or
    ``sum cost x <= budget``; ``sum_{j at s} x_j <= capacity_s``. Target (the fewest additions): the
    best ``m`` additions for ``m`` from the greedy's proven lower bound up, until the optimum reaches
    the target (HiGHS finds ``max F`` for a count far faster than ``min count`` for an ``F``).
    """
    model = problem.model
    if model.increasing_ranks():
        raise InputError(
            "The exact model needs rank weights that do not increase with rank "
            f"({', '.join(model.increasing_ranks())} do): use the greedy."
        )
    if target is None and max_items is None and budget is None:
        raise InputError("Give a target score, a number of additions or a budget.")
    if max_items is not None or budget is not None:
        sol = _exact_best(problem, max_items=max_items, budget=budget, time_limit_s=time_limit_s)
        reached = None if target is None else bool(sol.value >= target - GAIN_EPS)
        return replace(sol, reached=reached)
    g = greedy(problem, target=target)
    if not g.reached and (problem.site_capacity >= len(model.categories)).all():
        # the greedy stops only when no item gains: it has F of every candidate, the most there is
        raise InputError(f"No choice of the candidates reaches {target}: at most {g.value:.6f}.")
    for m in range(max(int(g.bound or 1), 1), len(problem.item_site) + 1):
        sol = _exact_best(problem, max_items=m, time_limit_s=time_limit_s)
        if sol.value >= target - GAIN_EPS:
            return replace(sol, bound=float(m), reached=True)
    raise InputError(f"No choice of the candidates reaches {target}.")


def _exact_best(
    problem: PlanProblem,
    *,
    max_items: int | None = None,
    budget: float | None = None,
    time_limit_s: float | None = None,
) -> Solution:
    """The best additions within ``max_items`` and / or ``budget``: the MILP of :func:`exact`."""
    model = problem.model
    n_items = len(problem.item_site)
    rows: list[np.ndarray] = []  # constraint matrix, in pieces
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    obj = [np.zeros(n_items)]
    n_var = n_items
    n_row = 0
    cat_items = {ci: np.nonzero(problem.item_category == ci)[0] for ci in range(len(model.categories))}
    a = problem.credit.tocsr()
    fixed = 0.0  # the part of F no addition can change
    for ci, cat in enumerate(model.categories):
        ranks = np.nonzero(model.rank_weight[ci] > 0)[0]
        rw = model.rank_weight[ci][ranks]
        top = problem.existing[cat][:, ranks]  # only the ranks that count
        items = cat_items[ci]
        pair_value = problem.demand_weight * model.category_weight[ci] * (top @ rw)
        if items.size == 0:
            fixed += float(pair_value.sum())
            continue
        sub = a[:, problem.item_site[items]].tocsr()  # demand x items of this category
        for i in range(len(problem.demand_weight)):
            lo_i, hi_i = sub.indptr[i], sub.indptr[i + 1]
            it, it_credit = items[sub.indices[lo_i:hi_i]], sub.data[lo_i:hi_i]
            # an item no better than the last rank that counts never enters the top ranks
            useful = it_credit > top[i, -1] + 1e-15
            if problem.demand_weight[i] <= 0 or not useful.any():
                fixed += float(pair_value[i])
                continue
            it, it_credit = it[useful], it_credit[useful]
            ex = top[i][top[i] > 0]
            credit = np.r_[ex, it_credit]
            n_l, n_r = credit.size, ranks.size
            obj.append((problem.demand_weight[i] * model.category_weight[ci] * np.outer(credit, rw)).ravel())
            var = n_var + np.arange(n_l * n_r).reshape(n_l, n_r)
            n_var += n_l * n_r
            # one amenity per rank
            rows.append(np.repeat(n_row + np.arange(n_r), n_l))
            cols.append(var.T.ravel())
            vals.append(np.ones(n_l * n_r))
            lo.append(np.full(n_r, -np.inf))
            hi.append(np.ones(n_r))
            n_row += n_r
            # an amenity at one rank at most; an item only if it is added
            rows.append(np.repeat(n_row + np.arange(n_l), n_r))
            cols.append(var.ravel())
            vals.append(np.ones(n_l * n_r))
            n_it = it.size
            rows.append(n_row + ex.size + np.arange(n_it))
            cols.append(it.astype(np.int64))
            vals.append(-np.ones(n_it))
            lo.append(np.full(n_l, -np.inf))
            hi.append(np.r_[np.ones(ex.size), np.zeros(n_it)])
            n_row += n_l
    c = np.concatenate(obj)
    rows = [np.concatenate(rows) if rows else np.zeros(0, np.int64)]
    cols = [np.concatenate(cols) if cols else np.zeros(0, np.int64)]
    vals = [np.concatenate(vals) if vals else np.zeros(0)]
    lo = list(np.concatenate(lo)) if lo else []
    hi = list(np.concatenate(hi)) if hi else []
    rows_l, cols_l, vals_l = [rows[0]], [cols[0]], [vals[0]]
    extra_lo, extra_hi = [], []
    for s in np.unique(problem.item_site):  # site capacity
        idx = np.nonzero(problem.item_site == s)[0]
        if idx.size > problem.site_capacity[s]:
            rows_l.append([n_row + len(extra_lo)] * idx.size)
            cols_l.append(idx.tolist())
            vals_l.append([1.0] * idx.size)
            extra_lo.append(-np.inf)
            extra_hi.append(float(problem.site_capacity[s]))
    if max_items is not None:
        rows_l.append([n_row + len(extra_lo)] * n_items)
        cols_l.append(list(range(n_items)))
        vals_l.append([1.0] * n_items)
        extra_lo.append(-np.inf)
        extra_hi.append(float(max_items))
    if budget is not None:
        rows_l.append([n_row + len(extra_lo)] * n_items)
        cols_l.append(list(range(n_items)))
        vals_l.append(problem.item_cost.tolist())
        extra_lo.append(-np.inf)
        extra_hi.append(float(budget))
    objective = -c
    n_rows = n_row + len(extra_lo)
    matrix = sp.csr_array(
        (np.concatenate([np.asarray(v, dtype=np.float64) for v in vals_l]),
         (np.concatenate([np.asarray(r, dtype=np.int64) for r in rows_l]),
          np.concatenate([np.asarray(q, dtype=np.int64) for q in cols_l]))),
        shape=(n_rows, n_var),
    )
    res = milp(
        objective, integrality=np.r_[np.ones(n_items), np.zeros(n_var - n_items)],
        bounds=Bounds(0, 1), constraints=LinearConstraint(matrix, np.r_[lo, extra_lo], np.r_[hi, extra_hi]),
        options={} if time_limit_s is None else {"time_limit": time_limit_s},
    )
    if res.x is None:
        raise RuntimeError(f"HiGHS found no solution: {res.message}")
    chosen = np.nonzero(res.x[:n_items] > 0.5)[0]
    base = problem.value()
    # order the additions greedily among themselves, so that gains add up to the value
    order, gains = _order(problem, chosen)
    value = problem.value(problem.apply(order))
    bound = value if res.success else float(-res.mip_dual_bound) + fixed  # time limit: HiGHS' dual bound
    return Solution(order, gains, base, value, "exact", bound)


def _order(problem: PlanProblem, chosen: np.ndarray) -> tuple[list[int], list[float]]:
    """Chosen items ordered by greedy gain among themselves, with the gain of each in that order."""
    state = {c: v.copy() for c, v in problem.existing.items()}
    left, order, gains = list(int(j) for j in chosen), [], []
    while left:
        g = [_gain(problem, state, j) for j in left]
        best = int(np.argmax(g))
        j = left.pop(best)
        rows, x = problem._column(int(problem.item_site[j]))
        cat = problem.model.categories[int(problem.item_category[j])]
        state[cat][rows] = _insert(state[cat][rows], x)
        order.append(j)
        gains.append(float(g[best]))
    return order, gains
