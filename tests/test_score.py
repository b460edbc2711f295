import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from parkscope.measures.score import category_scores, decay, life_convenience, rank_weights
from parkscope.settings.config import load_settings


def test_decay_break_points():
    d = np.array([0.0, 399.9, 400.0, 1000.0, 1600.0, 2000.0, np.nan])
    f = decay(d, 400.0, 1600.0, "cosine")
    assert f.tolist()[:3] == [1.0, 1.0, 1.0]
    assert f[3] == pytest.approx(0.5)
    assert f[4] == pytest.approx(0.0) and f[5] == 0.0 and f[6] == 0.0
    lin = decay(np.array([700.0]), 400.0, 1600.0, "linear")
    assert lin[0] == pytest.approx(0.75)
    with pytest.raises(ValueError):
        decay(d, 400.0, 1600.0, "gauss")


@given(st.lists(st.floats(0, 5000), min_size=2, max_size=50))
def test_decay_is_monotone_and_bounded(values):
    d = np.sort(np.array(values))
    f = decay(d, 400.0, 1600.0)
    assert np.all((f >= 0) & (f <= 1))
    assert np.all(np.diff(f) <= 1e-12)


def test_rank_weights_cut_pad_normalise():
    assert rank_weights((1.0, 1.0), 4).tolist() == [0.5, 0.5, 0.0, 0.0]
    assert rank_weights((2.0, 1.0, 1.0), 2).tolist() == pytest.approx([2 / 3, 1 / 3])


def test_score_worked_example():
    s = load_settings()
    n, k = 3, s.k
    far = np.full((n, k), np.nan)
    dists = {key: far.copy() for key in s.category_keys}
    # node 0: everything at the door; node 1: nothing; node 2: only one grocery at 1000 m
    for key in s.category_keys:
        dists[key][0] = 0.0
    dists["groceries"][2, 0] = 1000.0
    cats = category_scores(dists, s)
    score = life_convenience(cats, s)
    assert score[0] == pytest.approx(10.0)
    assert score[1] == 0.0
    w = {c.key: c.weight for c in s.categories}
    r1 = rank_weights(next(c for c in s.categories if c.key == "groceries").rank_weights, k)[0]
    assert score[2] == pytest.approx(10 * w["groceries"] * r1 * 0.5 / sum(w.values()))
