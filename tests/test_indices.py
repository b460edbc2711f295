"""Coupling coordination degree formulas: hand-worked examples and property tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from parkscope.errors import InputError
from parkscope.measures.indices import (
    coordination,
    coordination_class,
    coupling_classic,
    coupling_wang2021,
    development_index,
    entropy_weights,
    lag_type,
    normalise,
    subsystem_index,
)

COUPLINGS = [coupling_classic, coupling_wang2021]

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def u_matrix(draw: st.DrawFn, elements: st.SearchStrategy[float] = unit) -> np.ndarray:
    n = draw(st.integers(min_value=2, max_value=5))
    rows = draw(st.integers(min_value=1, max_value=6))
    return draw(arrays(np.float64, (rows, n), elements=elements))


# ------------------------------------------------------------------------------------- worked examples
def test_two_subsystem_worked_example() -> None:
    u = np.array([[0.4, 0.6]])
    c_hand = 2 * math.sqrt(0.4 * 0.6) / (0.4 + 0.6)  # = 0.9798
    c = coupling_classic(u)
    assert c == pytest.approx([c_hand])
    assert c[0] == pytest.approx(0.9798, abs=1e-4)
    t = development_index(u)
    assert t == pytest.approx([0.5])
    d = coordination(c, t)
    assert d[0] == pytest.approx(math.sqrt(c_hand * 0.5))
    assert d[0] == pytest.approx(0.6999, abs=1e-4)
    level, zh, en = coordination_class(d)
    assert level.tolist() == [7]
    assert zh.tolist() == ["初级协调"]
    assert en.tolist() == ["primary coordination"]


def test_wang2021_worked_examples() -> None:
    # n = 2: sqrt((1 - |0.4 - 0.6| / 1) * (0.4 / 0.6) ** 1)
    assert coupling_wang2021(np.array([[0.4, 0.6]]))[0] == pytest.approx(math.sqrt(0.8 * (0.4 / 0.6)))
    # n = 3, U = (0.2, 0.4, 0.8): pair differences 0.2 + 0.6 + 0.4 = 1.2, sum_{m=1}^{2} m = 3,
    # ratio product (0.25 * 0.5 * 1) ** (1 / 2)
    hand = math.sqrt((1 - 1.2 / 3) * (0.25 * 0.5 * 1.0) ** 0.5)
    assert coupling_wang2021(np.array([0.2, 0.4, 0.8]))[0] == pytest.approx(hand)
    assert hand == pytest.approx(0.460578, abs=1e-6)


def test_classic_three_subsystems_and_exponent() -> None:
    u = np.array([[0.2, 0.4, 0.8]])
    ratio = (0.2 * 0.4 * 0.8) / ((1.4 / 3) ** 3)
    assert coupling_classic(u)[0] == pytest.approx(ratio ** (1 / 3))
    assert coupling_classic(u)[0] == pytest.approx(3 * (0.2 * 0.4 * 0.8) ** (1 / 3) / 1.4)
    assert coupling_classic(u, exponent=1.0)[0] == pytest.approx(ratio)


def test_zero_rows_give_zero_coupling() -> None:
    u = np.array([[0.0, 0.0], [0.0, 0.5], [0.3, 0.3]])
    assert coupling_classic(u).tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert coupling_wang2021(u).tolist() == pytest.approx([0.0, 0.0, 1.0])


def test_development_index_weights() -> None:
    u = np.array([[0.4, 0.6], [1.0, 0.0]])
    assert development_index(u, alpha=[0.3, 0.7]) == pytest.approx([0.4 * 0.3 + 0.6 * 0.7, 0.3])


def test_coordination_class_boundaries() -> None:
    d = np.array([0.0, 0.0999, 0.1, 0.45, 0.5, 0.6, 0.8999, 0.9, 1.0])
    level, zh, en = coordination_class(d)
    assert level.tolist() == [1, 1, 2, 5, 6, 7, 9, 10, 10]
    expected_zh = "极度失调 极度失调 严重失调 濒临失调 勉强协调 初级协调 良好协调 优质协调 优质协调".split()
    assert zh.tolist() == expected_zh
    assert en[0] == "extreme imbalance"
    assert en[-1] == "high-quality coordination"
    assert coordination_class(np.array([0.25]))[1].tolist() == ["中度失调"]
    assert coordination_class(np.array([0.35]))[1].tolist() == ["轻度失调"]
    assert coordination_class(np.array([0.75]))[1].tolist() == ["中级协调"]


def test_lag_type() -> None:
    industry = np.array([0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.5])
    city = np.array([0.4, 0.6, 0.5, 0.46, 0.0, 0.2, 0.0])
    assert lag_type(industry, city).tolist() == [
        "industry_without_city",  # E = 0.8 < 0.9
        "city_without_industry",  # E = 1.2 > 1.1
        "balanced",
        "balanced",  # E = 0.92
        "balanced",  # both zero
        "city_without_industry",  # no industry, some city
        "industry_without_city",  # E = 0
    ]
    assert lag_type(np.array([0.5]), np.array([0.46]), threshold=0.05).tolist() == ["industry_without_city"]
    # the bounds 1 ± threshold themselves count as balanced (exact in binary: 0.75, 1.25)
    bounds = lag_type(np.array([1.0, 1.0]), np.array([0.75, 1.25]), threshold=0.25)
    assert bounds.tolist() == ["balanced", "balanced"]


# ------------------------------------------------------------------------------ normalisation, weights
def test_normalise_directions_and_shift() -> None:
    df = pd.DataFrame({"gdp": [1.0, 2.0, 3.0], "commute": [10.0, 20.0, 40.0], "flat": [5.0, 5.0, 5.0]})
    dirs = {"gdp": "positive", "commute": "negative", "flat": "positive"}
    out = normalise(df, dirs)
    assert out["gdp"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert out["commute"].tolist() == pytest.approx([1.0, 2 / 3, 0.0])
    assert out["flat"].tolist() == [0.0, 0.0, 0.0]
    shifted = normalise(df, dirs, shift=0.01)
    assert shifted["gdp"].tolist() == pytest.approx([0.01, 0.51, 1.01])
    assert shifted["flat"].tolist() == pytest.approx([0.01, 0.01, 0.01])
    assert list(out.columns) == list(df.columns)


def test_entropy_weights_hand_example() -> None:
    norm = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [1.0, 1.0, 0.0]})
    # a: p = (0, 1/3, 2/3); b: p = (1/2, 1/2, 0); e_j = -sum p ln p / ln 3
    e_a = -(1 / 3 * math.log(1 / 3) + 2 / 3 * math.log(2 / 3)) / math.log(3)
    e_b = -(2 * 0.5 * math.log(0.5)) / math.log(3)
    d_a, d_b = 1 - e_a, 1 - e_b
    w = entropy_weights(norm)
    assert w["a"] == pytest.approx(d_a / (d_a + d_b))
    assert w["b"] == pytest.approx(d_b / (d_a + d_b))
    assert w.round(4).tolist() == [0.5326, 0.4674]


def test_entropy_weights_constant_columns() -> None:
    norm = pd.DataFrame({"a": [0.0, 0.5, 1.0], "zero": [0.0, 0.0, 0.0], "flat": [0.3, 0.3, 0.3]})
    w = entropy_weights(norm)
    assert w["zero"] == 0.0
    assert w["flat"] == 0.0
    assert w["a"] == pytest.approx(1.0)
    all_flat = entropy_weights(pd.DataFrame({"x": [1.0, 1.0], "y": [0.0, 0.0]}))
    assert all_flat.tolist() == [0.5, 0.5]


def test_subsystem_index() -> None:
    norm = pd.DataFrame({"a": [0.0, 0.5, 1.0], "b": [1.0, 1.0, 0.0]}, index=["p", "q", "r"])
    u = subsystem_index(norm, pd.Series({"b": 0.25, "a": 0.75}))
    assert u.tolist() == pytest.approx([0.25, 0.625, 0.75])
    assert list(u.index) == ["p", "q", "r"]
    assert subsystem_index(norm, {"a": 0.5, "b": 0.5}).tolist() == pytest.approx([0.5, 0.75, 0.5])


# ----------------------------------------------------------------------------------- property tests
@pytest.mark.parametrize("coupling", COUPLINGS)
@given(u=u_matrix())
@settings(max_examples=150, deadline=None)
def test_c_and_d_in_unit_interval(coupling, u: np.ndarray) -> None:
    c = coupling(u)
    assert c.shape == (u.shape[0],)
    assert np.all((c >= 0) & (c <= 1))
    d = coordination(c, development_index(u))
    assert np.all((d >= 0) & (d <= 1))
    level, _, _ = coordination_class(d)
    assert np.all((level >= 1) & (level <= 10))


@pytest.mark.parametrize("coupling", COUPLINGS)
@given(
    n=st.integers(min_value=2, max_value=5),
    value=st.floats(min_value=1e-6, max_value=1.0, allow_nan=False),
)
@settings(max_examples=100, deadline=None)
def test_equal_positive_indices_give_full_coupling(coupling, n: int, value: float) -> None:
    assert coupling(np.full((1, n), value))[0] == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("coupling", COUPLINGS)
@given(u=u_matrix(), data=st.data())
@settings(max_examples=150, deadline=None)
def test_symmetric_under_permuting_subsystems(coupling, u: np.ndarray, data: st.DataObject) -> None:
    perm = data.draw(st.permutations(range(u.shape[1])))
    np.testing.assert_allclose(coupling(u[:, perm]), coupling(u), rtol=1e-9, atol=1e-12)


@given(
    table=arrays(
        np.float64,
        st.tuples(st.integers(2, 8), st.integers(1, 5)),
        elements=st.floats(min_value=0.0, max_value=100.0, allow_nan=False),
    ),
    const=st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
@settings(max_examples=150, deadline=None)
def test_entropy_weights_sum_to_one_and_ignore_constant(table: np.ndarray, const: float) -> None:
    frame = pd.DataFrame(table, columns=[f"x{i}" for i in range(table.shape[1])])
    norm = normalise(frame, dict.fromkeys(frame.columns, "positive"), shift=0.001)
    norm["const"] = const
    w = entropy_weights(norm)
    assert w.sum() == pytest.approx(1.0)
    assert np.all((w >= 0) & (w <= 1))
    if any(frame[c].nunique() > 1 for c in frame.columns):
        assert w["const"] == 0.0


# --------------------------------------------------------------------------------------- invalid input
@pytest.mark.parametrize(
    "call",
    [
        lambda: normalise(pd.DataFrame({"a": [1.0, 2.0]}), {"a": "up"}),
        lambda: normalise(pd.DataFrame({"a": [1.0, 2.0]}), {}),
        lambda: normalise(pd.DataFrame({"a": [1.0, 2.0]}), {"a": "positive", "b": "negative"}),
        lambda: normalise(pd.DataFrame({"a": [1.0, np.nan]}), {"a": "positive"}),
        lambda: normalise(pd.DataFrame({"a": ["x", "y"]}), {"a": "positive"}),
        lambda: normalise(pd.DataFrame({"a": [1.0, 2.0]}), {"a": "positive"}, shift=-1.0),
        lambda: entropy_weights(pd.DataFrame({"a": [0.5]})),
        lambda: entropy_weights(pd.DataFrame({"a": [0.5, -0.1]})),
        lambda: subsystem_index(pd.DataFrame({"a": [0.5], "b": [0.1]}), {"a": 1.0}),
        lambda: subsystem_index(pd.DataFrame({"a": [0.5], "b": [0.1]}), {"a": 0.6, "b": 0.6}),
        lambda: coupling_classic(np.array([[0.5]])),
        lambda: coupling_classic(np.array([[0.5, -0.1]])),
        lambda: coupling_classic(np.array([[0.5, np.nan]])),
        lambda: coupling_classic(np.array([[0.5, 0.2]]), exponent=0.0),
        lambda: coupling_wang2021(np.array([[0.5, 1.5]])),
        lambda: coupling_wang2021(np.zeros((2, 2, 2))),
        lambda: development_index(np.array([[0.4, 0.6]]), alpha=[0.5, 0.6]),
        lambda: development_index(np.array([[0.4, 0.6]]), alpha=[1.0]),
        lambda: coordination(np.array([1.2]), np.array([0.5])),
        lambda: coordination(np.array([0.5, 0.5]), np.array([0.5, 0.5, 0.5])),
        lambda: coordination_class(np.array([1.1])),
        lambda: coordination_class(np.array([-0.1])),
        lambda: lag_type(np.array([0.5]), np.array([-0.5])),
        lambda: lag_type(np.array([0.5]), np.array([0.5]), threshold=1.0),
    ],
)
def test_invalid_inputs_raise_input_error(call) -> None:
    with pytest.raises(InputError):
        call()


def test_ahp_weights_match_the_classic_worked_example():
    from parkscope.measures.indices import ahp_weights

    # Saaty-style 3 x 3 example: eigenvector weights 0.637, 0.258, 0.105; lambda_max 3.0385, CR 0.033
    w, cr = ahp_weights([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert w == pytest.approx([0.6370, 0.2583, 0.1047], abs=5e-4)
    assert cr == pytest.approx((3.0385 - 3) / 2 / 0.58, abs=2e-3)
    # a perfectly consistent matrix: weights proportional to the ratios, CR 0
    w, cr = ahp_weights([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])
    assert w == pytest.approx([4 / 7, 2 / 7, 1 / 7]) and cr == pytest.approx(0, abs=1e-9)
    with pytest.raises(InputError, match="reciprocal"):
        ahp_weights([[1, 3], [3, 1]])
