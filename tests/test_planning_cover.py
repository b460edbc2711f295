"""parkscope.planning.cover: the covering problems, exact and greedy, against spopt and brute force."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pulp
import pytest
import spopt
from spopt.locate import LSCP, MCLP

from parkscope.errors import InputError
from parkscope.planning import cover

# spopt's published San Francisco instance (its docs and tests): 205 census tracts (POP2000) x 16 store
# sites, network metres
SF = Path(spopt.__file__).parent / "tests" / "test_locate" / "data"


@pytest.fixture(scope="module")
def sf() -> tuple[np.ndarray, np.ndarray]:
    dist = pd.read_csv(SF / "SF_network_distance_candidateStore_16_censusTract_205_new.csv",
                       dtype={"DestinationName": str})
    cost = dist.pivot_table(values="distance", index="DestinationName", columns="name")
    demand = pd.read_csv(SF / "SF_demand_205_centroid_uniform_weight.csv", dtype={"NAME": str})
    weights = demand.set_index("NAME").loc[cost.index, "POP2000"].to_numpy(np.float64)
    assert cost.shape == (205, 16)
    return cost.to_numpy(), weights


@pytest.mark.parametrize(("radius", "p"), [(5000.0, 4), (2000.0, 4), (1000.0, 3), (3000.0, 2)])
def test_maximal_covering_equals_spopt_mclp(sf, radius, p):
    cost, w = sf
    ref = MCLP.from_cost_matrix(cost, w, radius, p).solve(pulp.PULP_CBC_CMD(msg=False))
    ours = cover(cost, w, radius, sites=p)
    assert ours.covered == pytest.approx(pulp.value(ref.problem.objective), rel=1e-12)
    assert ours.bound == ours.covered and len(ours.sites) == p
    assert np.all(np.diff(ours.sites) > 0)
    greedy = cover(cost, w, radius, sites=p, method="greedy")
    assert greedy.covered <= ours.covered + 1e-9 <= greedy.bound + 2e-9  # the bound the run proves holds


def test_set_covering_equals_spopt_lscp(sf):
    cost, w = sf
    ref = LSCP.from_cost_matrix(cost, 5000.0).solve(pulp.PULP_CBC_CMD(msg=False))
    ours = cover(cost, w, 5000.0)
    assert len(ours.sites) == pulp.value(ref.problem.objective) == ours.bound == 8
    assert ours.covered == pytest.approx(w.sum())
    greedy = cover(cost, w, 5000.0, method="greedy")
    assert greedy.bound <= len(ours.sites) <= len(greedy.sites)


def test_set_covering_covers_what_can_be_reached(sf):
    """spopt's LSCP is infeasible when some demand is out of every candidate's reach; cover() covers the
    demand that can be reached."""
    cost, w = sf
    ours = cover(cost, w, 2000.0)
    reach = (cost <= 2000.0).any(axis=1)
    assert ours.covered == pytest.approx(w[reach].sum())
    assert (cost[:, ours.sites] <= 2000.0).any(axis=1)[reach].all()


def _brute(cost, w, radius, p=None, share=None):
    reach = cost <= radius
    n = cost.shape[1]
    if p is not None:
        return max(w[reach[:, list(s)].any(axis=1)].sum() for s in itertools.combinations(range(n), p))
    need = share * w.sum() if share is not None else None
    coverable = reach.any(axis=1)
    for m in range(1, n + 1):
        for s in itertools.combinations(range(n), m):
            hit = reach[:, list(s)].any(axis=1)
            if (need is not None and w[hit].sum() >= need - 1e-9) or (need is None and hit[coverable].all()):
                return m
    return None


@pytest.mark.parametrize("seed", range(8))
def test_exact_is_the_optimum_and_greedy_within_its_bound(seed):
    rng = np.random.default_rng(seed)
    cost = rng.uniform(0, 1000, size=(40, 9))
    cost[rng.random(cost.shape) < 0.1] = np.nan
    w = rng.integers(1, 50, size=40).astype(np.float64)
    for p in (1, 2, 3):
        ex, gr = cover(cost, w, 300.0, sites=p), cover(cost, w, 300.0, sites=p, method="greedy")
        assert ex.covered == pytest.approx(_brute(np.nan_to_num(cost, nan=np.inf), w, 300.0, p=p))
        assert gr.covered <= ex.covered + 1e-9 <= gr.bound + 2e-9
        assert gr.covered >= (1 - 1 / np.e) * ex.covered - 1e-9
    for share in (0.3, 0.6):
        ex, gr = cover(cost, w, 300.0, target_share=share), cover(cost, w, 300.0, target_share=share,
                                                                  method="greedy")
        assert len(ex.sites) == ex.bound == _brute(np.nan_to_num(cost, nan=np.inf), w, 300.0, share=share)
        assert ex.covered >= share * w.sum() - 1e-9 and gr.covered >= share * w.sum() - 1e-9
        assert gr.bound <= len(ex.sites) <= len(gr.sites)
    ex, gr = cover(cost, w, 300.0), cover(cost, w, 300.0, method="greedy")
    assert len(ex.sites) == _brute(np.nan_to_num(cost, nan=np.inf), w, 300.0)
    assert gr.bound <= len(ex.sites) <= len(gr.sites)


def test_bad_input_is_a_clear_error():
    cost = np.array([[100.0, 900.0], [800.0, 150.0]])
    with pytest.raises(InputError, match="not both"):
        cover(cost, np.ones(2), 500.0, sites=1, target_share=0.5)
    with pytest.raises(InputError, match="one value per demand row"):
        cover(cost, np.ones(3), 500.0)
    with pytest.raises(InputError, match="sites must be"):
        cover(cost, np.ones(2), 500.0, sites=3)
    with pytest.raises(InputError, match="covers 50.0% of the demand"):
        cover(cost, np.ones(2), 50.0, target_share=0.5)
    with pytest.raises(InputError, match="method"):
        cover(cost, np.ones(2), 500.0, method="lp")
