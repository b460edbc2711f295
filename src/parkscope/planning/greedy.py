"""Lazy greedy for monotone submodular gains, and the bounds a run proves (docs/planning.md).

The engine knows nothing of scores or coverage: it asks ``gain(item)`` for the marginal gain of an
item given what was chosen so far and tells ``commit(item)`` when it takes one. Lazy evaluation
(Minoux 1978; "CELF", Leskovec et al. 2007): a gain computed earlier is an upper bound on the gain now
(diminishing returns), so an item whose fresh gain still tops every stale one is the greedy choice
without re-evaluating the others.

Bounds: for any set ``S`` and the chosen ``A``, ``f(S) <= f(A) + sum_{s in S} gain(s | A)`` (monotone,
submodular), and every stale gain bounds the fresh one. So at each step

* a budget of ``p`` items: ``OPT <= f(A) + (sum of the p largest gain bounds)`` (Leskovec et al. 2007);
  with costs, the fractional knapsack of the gain bounds within the budget;
* a target ``T``: no set of ``m`` items reaches ``T`` while ``f(A) + (sum of the m largest gain bounds)
  < T``, which bounds from below the number of items any solution needs.

The run keeps the tightest of these over its steps; a budget run ends with one pass of fresh gains
given the final choice, which usually tightens the bound most.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

#: Gains below this count as nothing (rounding noise of sums of credits).
GAIN_EPS = 1e-12


@dataclass
class GreedyRun:
    """What a greedy run chose and proved.

    Attributes
    ----------
    order : list of int
        The items, in the order taken.
    gains : list of float
        The gain each brought when taken.
    value : float
        ``f`` of the chosen set (start value plus the gains).
    upper_bound : float
        Budget runs: an upper bound on ``f`` of any feasible set (``inf`` when not computed).
    count_bound : int
        Target runs: a lower bound on the number of items any set reaching the target needs (0 when
        not computed).
    evaluations : int
        Gains computed (lazy evaluation saves most of ``steps x items``).
    """

    order: list[int] = field(default_factory=list)
    gains: list[float] = field(default_factory=list)
    value: float = 0.0
    upper_bound: float = float("inf")
    count_bound: int = 0
    evaluations: int = 0


def lazy_greedy(
    gains0: np.ndarray,
    gain: Callable[[int], float],
    commit: Callable[[int], None],
    *,
    start_value: float = 0.0,
    max_items: int | None = None,
    cost: np.ndarray | None = None,
    budget: float | None = None,
    target: float | None = None,
    group: np.ndarray | None = None,
    capacity: np.ndarray | None = None,
    by_ratio: bool = False,
) -> GreedyRun:
    """Greedy with lazy evaluation until the budget is spent, the target is reached or nothing gains.

    Parameters
    ----------
    gains0 : ndarray (n_items,)
        Each item's gain on its own (before anything is chosen).
    gain : callable
        ``gain(item)``: the item's marginal gain given the items committed so far.
    commit : callable
        ``commit(item)``: take the item (update the state ``gain`` reads).
    start_value : float
        ``f`` of the empty choice.
    max_items : int, optional
        At most this many items.
    cost, budget : ndarray and float, optional
        Item costs and the total they may not exceed.
    target : float, optional
        Stop as soon as ``f >= target``.
    group, capacity : ndarray, optional
        Item -> site index, and the most items each site may take.
    by_ratio : bool
        Choose by gain per unit cost instead of gain (the cost-benefit greedy).

    Returns
    -------
    GreedyRun
    """
    n = len(gains0)
    cost = np.ones(n) if cost is None else np.asarray(cost, dtype=np.float64)
    ub = np.asarray(gains0, dtype=np.float64).copy()  # an upper bound on every item's current gain
    alive = ub > GAIN_EPS  # still a choice: not taken, gains something, fits its site
    chosen = np.zeros(n, dtype=bool)
    taken = np.zeros(len(capacity), dtype=np.int64) if capacity is not None else None
    run = GreedyRun(value=float(start_value), evaluations=n)
    spent = 0.0
    key = (lambda g, j: g / max(cost[j], 1e-12)) if by_ratio else (lambda g, j: g)  # free items first
    heap = [(-key(ub[j], j), j) for j in np.nonzero(alive)[0]]
    heapq.heapify(heap)
    fresh = np.zeros(n, dtype=np.int64)  # step at which ub[j] was computed
    step = 0
    _bound(run, np.where(chosen, 0.0, ub), cost, max_items, budget, target)
    while heap:
        if max_items is not None and len(run.order) >= max_items:
            break
        if target is not None and run.value >= target - GAIN_EPS:
            break
        _, j = heapq.heappop(heap)
        if not alive[j]:
            continue
        if budget is not None and spent + cost[j] > budget + GAIN_EPS:
            alive[j] = False  # never fits again: spending only grows
            continue
        if fresh[j] != step:
            g = gain(j)
            run.evaluations += 1
            ub[j], fresh[j] = g, step
            if g <= GAIN_EPS:
                alive[j] = False
                continue
            heapq.heappush(heap, (-key(g, j), j))
            continue
        commit(j)
        run.order.append(int(j))
        run.gains.append(float(ub[j]))
        run.value += float(ub[j])
        spent += cost[j]
        alive[j], chosen[j] = False, True
        if taken is not None and group is not None:
            taken[group[j]] += 1
            if taken[group[j]] >= capacity[group[j]]:
                alive[group == group[j]] = False
        step += 1
        # items out of reach of this run (full site, over budget) are not out of reach of every solution
        _bound(run, np.where(chosen, 0.0, ub), cost, max_items, budget, target)
    if max_items is not None or budget is not None:
        # one fresh pass over every item at the end: exact gains given the final choice tighten the bound
        for j in np.nonzero(~chosen)[0]:
            ub[j] = gain(int(j))
        run.evaluations += int((~chosen).sum())
        _bound(run, np.where(chosen, 0.0, ub), cost, max_items, budget, target)
    return run


def _bound(
    run: GreedyRun,
    g: np.ndarray,
    cost: np.ndarray,
    max_items: int | None,
    budget: float | None,
    target: float | None,
) -> None:
    """Tighten the run's bounds with the gain bounds ``g`` of the items not chosen (module docstring)."""
    if target is not None:
        order = np.sort(g[g > 0])[::-1]
        reach = run.value + np.concatenate([[0.0], np.cumsum(order)])
        ok = np.nonzero(reach >= target - GAIN_EPS)[0]
        # any m items S: f(S) <= f(A) + (top m gain bounds); so a set reaching T has at least the
        # first m for which that reaches T (more than all items when none does)
        run.count_bound = max(run.count_bound, int(ok[0]) if ok.size else len(order) + 1)
    if max_items is not None or budget is not None:
        if budget is not None:
            extra = _fractional_knapsack(g, cost, budget)
            if max_items is not None:
                extra = min(extra, float(np.sort(g)[::-1][:max_items].sum()))
        else:
            extra = float(np.sort(g)[::-1][: int(max_items or 0)].sum())
        run.upper_bound = min(run.upper_bound, run.value + extra)


def _fractional_knapsack(gain: np.ndarray, cost: np.ndarray, budget: float) -> float:
    """Largest total of ``gain`` with total ``cost`` within ``budget``, items taken fractionally."""
    ok = gain > 0
    if not ok.any():
        return 0.0
    g, c = gain[ok], cost[ok]
    free = c <= 0
    total = float(g[free].sum())
    g, c = g[~free], c[~free]
    order = np.argsort(-(g / c), kind="stable")
    g, c = g[order], c[order]
    cum = np.cumsum(c)
    full = cum <= budget
    total += float(g[full].sum())
    k = int(full.sum())
    if k < len(g):
        left = budget - (cum[k - 1] if k else 0.0)
        total += float(g[k] * left / c[k])
    return total
