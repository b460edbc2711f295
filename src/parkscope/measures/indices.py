"""Coupling coordination degree (耦合协调度) of industry–city integration (产城融合): the formula core.

Plain functions on NumPy arrays and pandas DataFrames, in the order a study uses them:

1. :func:`normalise` — min–max standardisation of the raw indicators (benefit / cost);
2. :func:`entropy_weights` — objective indicator weights by the entropy weight method;
3. :func:`subsystem_index` — the comprehensive index ``U`` of one subsystem (industry, city, …);
4. :func:`coupling_classic` or :func:`coupling_wang2021` — the coupling degree ``C``;
5. :func:`development_index` — the comprehensive development index ``T``;
6. :func:`coordination` — the coupling coordination degree ``D = sqrt(C * T)``;
7. :func:`coordination_class` — the ten-level class of ``D``;
8. :func:`lag_type` — which subsystem lags (有产无城 / 有城无产).

Reference for both coupling models: 王淑佳, 孔伟, 任亮, 治丹丹, 戴彬婷 (2021). 国内耦合协调度模型的误区及修正.
自然资源学报 (Journal of Natural Resources) 36(3): 793–810.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from parkscope.errors import InputError
from parkscope.settings.ahp import (
    ahp_weights as ahp_weights,  # re-exported: one of the formula core's functions
)

__all__ = [
    "COORDINATION_CLASSES",
    "ahp_weights",
    "coordination",
    "coordination_class",
    "coupling_classic",
    "coupling_wang2021",
    "development_index",
    "entropy_weights",
    "lag_type",
    "normalise",
    "subsystem_index",
]

_POSITIVE = frozenset({"positive", "benefit"})
_NEGATIVE = frozenset({"negative", "cost"})

#: The ten classes of the coordination degree ``D`` in 0.1 steps: (level, Chinese name, English name).
COORDINATION_CLASSES: tuple[tuple[int, str, str], ...] = (
    (1, "极度失调", "extreme imbalance"),
    (2, "严重失调", "serious imbalance"),
    (3, "中度失调", "moderate imbalance"),
    (4, "轻度失调", "mild imbalance"),
    (5, "濒临失调", "on the verge of imbalance"),
    (6, "勉强协调", "barely coordinated"),
    (7, "初级协调", "primary coordination"),
    (8, "中级协调", "intermediate coordination"),
    (9, "良好协调", "good coordination"),
    (10, "优质协调", "high-quality coordination"),
)

_SUM_TOLERANCE = 1e-6


# --------------------------------------------------------------------------------------------- helpers
def _numeric_frame(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    """Check a DataFrame is non-empty, all numeric and finite; return it as float64."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"The {what} must be a pandas DataFrame; convert it with pandas.DataFrame(...).")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise InputError(f"The {what} is empty; give at least one row and one indicator column.")
    bad = [str(c) for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        raise InputError(
            f"The {what} has non-numeric column(s) {', '.join(bad)}; convert them to numbers or drop them."
        )
    values = frame.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise InputError(f"The {what} contains NaN or infinite values; fill or drop those rows first.")
    return frame.astype(np.float64)


def _subsystem_matrix(U: np.ndarray, *, unit: bool) -> np.ndarray:
    """Check ``U`` (rows, n) with n >= 2, finite, non-negative (and <= 1 if ``unit``); return float64 2-D."""
    u = np.asarray(U, dtype=np.float64)
    if u.ndim == 1:
        u = u[np.newaxis, :]
    if u.ndim != 2:
        raise InputError(
            f"The subsystem indices must be a 2-D array (rows, subsystems), got {u.ndim} dimensions; "
            "reshape it to one row per observation."
        )
    if u.shape[1] < 2:
        raise InputError(
            f"Coupling needs at least two subsystems, got {u.shape[1]} column(s); "
            "give one column per subsystem (e.g. industry and city)."
        )
    if not np.isfinite(u).all():
        raise InputError(
            "The subsystem indices contain NaN or infinite values; fill or drop those rows first."
        )
    if (u < 0).any():
        raise InputError(
            "The subsystem indices contain negative values; normalise the indicators to [0, 1] first."
        )
    if unit and (u > 1).any():
        raise InputError(
            "The subsystem indices exceed 1, but this model needs them in [0, 1]; "
            "build them from normalised indicators with weights summing to 1."
        )
    return u


def _non_negative_array(x: np.ndarray, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if not np.isfinite(a).all():
        raise InputError(f"The {what} contains NaN or infinite values; fill or drop those rows first.")
    if (a < 0).any():
        raise InputError(f"The {what} contains negative values; it must be >= 0, so check its inputs.")
    return a


# ------------------------------------------------------------------------------------------- indicators
def normalise(frame: pd.DataFrame, directions: Mapping[str, str], shift: float = 0.0) -> pd.DataFrame:
    r"""Min–max standardise every indicator column to [0, 1], then add ``shift``.

    For column :math:`j` with minimum :math:`m_j` and maximum :math:`M_j`:

    .. math::

        x'_{ij} = \frac{x_{ij} - m_j}{M_j - m_j} + s \quad \text{(positive / benefit indicator)}

        x'_{ij} = \frac{M_j - x_{ij}}{M_j - m_j} + s \quad \text{(negative / cost indicator)}

    A constant column (:math:`M_j = m_j`) carries no information: it becomes all ``0`` (plus ``shift``),
    and :func:`entropy_weights` then gives it weight 0.

    Parameters
    ----------
    frame : DataFrame
        One row per observation (park, year, …), one numeric column per indicator; finite values only.
    directions : Mapping[str, str]
        Direction of every column: ``"positive"`` (alias ``"benefit"``: larger is better) or
        ``"negative"`` (alias ``"cost"``: smaller is better). Case-insensitive. Must name exactly the
        columns of ``frame``.
    shift : float, default 0.0
        Non-negative translation added after scaling; a small value (e.g. 0.0001) keeps every value
        positive so that the logarithms of the entropy method are all defined.

    Returns
    -------
    DataFrame
        Same index and columns as ``frame``, float64, values in ``[shift, 1 + shift]``.

    Raises
    ------
    InputError
        Unknown direction, a column without a direction (or a direction without a column), non-numeric
        or non-finite values, an empty frame, or a negative / non-finite ``shift``.

    Examples
    --------
    >>> df = pd.DataFrame({"gdp": [1.0, 2.0, 3.0], "commute": [10.0, 20.0, 40.0]})
    >>> normalise(df, {"gdp": "positive", "commute": "negative"}).round(3).to_dict("list")
    {'gdp': [0.0, 0.5, 1.0], 'commute': [1.0, 0.667, 0.0]}
    """
    data = _numeric_frame(frame, "indicator table")
    if not math.isfinite(shift) or shift < 0:
        raise InputError(f"The shift must be a finite number >= 0, got {shift!r}; use e.g. 0.0001 or 0.")
    columns = [str(c) for c in data.columns]
    names = {str(k) for k in directions}
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputError(
            f"No direction given for column(s) {', '.join(missing)}; "
            "add each to `directions` as 'positive' or 'negative'."
        )
    extra = sorted(names - set(columns))
    if extra:
        raise InputError(
            f"Direction(s) given for unknown column(s) {', '.join(extra)}; "
            "fix the column names or remove them from `directions`."
        )
    lookup = {str(k): v for k, v in directions.items()}
    out = pd.DataFrame(index=data.index)
    for col, name in zip(data.columns, columns, strict=True):
        direction = str(lookup[name]).strip().lower()
        x = data[col].to_numpy()
        lo, hi = float(x.min()), float(x.max())
        span = hi - lo
        if direction in _POSITIVE:
            scaled = (x - lo) / span if span > 0 else np.zeros_like(x)
        elif direction in _NEGATIVE:
            scaled = (hi - x) / span if span > 0 else np.zeros_like(x)
        else:
            raise InputError(
                f"Unknown direction {lookup[name]!r} for column {name}; use 'positive' (benefit) "
                "or 'negative' (cost)."
            )
        out[col] = scaled + shift
    return out


def entropy_weights(norm: pd.DataFrame) -> pd.Series:
    r"""Objective indicator weights by the entropy weight method (熵权法).

    With :math:`m` rows and normalised values :math:`x_{ij} \ge 0`:

    .. math::

        p_{ij} = \frac{x_{ij}}{\sum_i x_{ij}}, \qquad
        e_j = -\frac{1}{\ln m} \sum_i p_{ij} \ln p_{ij} \quad (0 \ln 0 = 0), \qquad
        d_j = 1 - e_j, \qquad w_j = \frac{d_j}{\sum_j d_j}.

    A constant column (including an all-zero one) carries no information: it gets :math:`d_j = 0`,
    hence weight exactly 0. If every column is constant, all :math:`d_j` are 0 and the weights are equal
    (:math:`1/k` for :math:`k` columns), so they always sum to 1.

    Parameters
    ----------
    norm : DataFrame
        Normalised indicators (e.g. from :func:`normalise`): at least two rows, finite, non-negative.

    Returns
    -------
    Series
        One weight per column (index = ``norm.columns``), each in [0, 1], summing to 1.

    Raises
    ------
    InputError
        Fewer than two rows, negative, non-finite or non-numeric values.
    """
    data = _numeric_frame(norm, "normalised indicator table")
    x = data.to_numpy()
    m, k = x.shape
    if m < 2:
        raise InputError(
            f"The entropy weight method needs at least two rows (observations), got {m}; add observations "
            "or give the weights yourself."
        )
    if (x < 0).any():
        raise InputError(
            "The normalised indicator table has negative values; normalise it with `normalise` first."
        )
    totals = x.sum(axis=0)
    constant = (x.max(axis=0) - x.min(axis=0)) == 0
    safe_totals = np.where(totals > 0, totals, 1.0)
    p = x / safe_totals
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / math.log(m)
    d = np.clip(1.0 - e, 0.0, 1.0)
    d[constant | (totals <= 0)] = 0.0
    total_d = d.sum()
    w = d / total_d if total_d > 0 else np.full(k, 1.0 / k)
    return pd.Series(w, index=data.columns, name="weight")


def subsystem_index(norm: pd.DataFrame, weights: pd.Series | Mapping[str, float]) -> pd.Series:
    r"""Comprehensive index of one subsystem: the weighted sum of its normalised indicators.

    .. math::

        U_i = \sum_j w_j \, x_{ij}

    Parameters
    ----------
    norm : DataFrame
        Normalised indicators of the subsystem, one column per indicator; finite values.
    weights : Series or Mapping[str, float]
        One non-negative weight per column of ``norm`` (e.g. from :func:`entropy_weights`), summing to 1.

    Returns
    -------
    Series
        ``U`` per row (index = ``norm.index``); in [0, 1] when ``norm`` is in [0, 1].

    Raises
    ------
    InputError
        Weights missing for a column or given for an unknown one, negative or non-finite weights, or
        weights not summing to 1.
    """
    data = _numeric_frame(norm, "normalised indicator table")
    w = pd.Series(weights, dtype=np.float64) if not isinstance(weights, pd.Series) else weights
    missing = [str(c) for c in data.columns if c not in w.index]
    if missing:
        raise InputError(
            f"No weight given for column(s) {', '.join(missing)}; give one weight per indicator column."
        )
    extra = [str(c) for c in w.index if c not in data.columns]
    if extra:
        raise InputError(
            f"Weight(s) given for unknown column(s) {', '.join(extra)}; fix the names or drop those weights."
        )
    wv = w.reindex(data.columns).to_numpy(dtype=np.float64)
    if not np.isfinite(wv).all() or (wv < 0).any():
        raise InputError("The weights must be finite and >= 0; check the weights you passed.")
    if abs(wv.sum() - 1.0) > _SUM_TOLERANCE:
        raise InputError(f"The weights sum to {wv.sum():.6g}, not 1; divide them by their sum.")
    return pd.Series(data.to_numpy() @ wv, index=data.index, name="U")


# ---------------------------------------------------------------------------------------------- coupling
def coupling_classic(U: np.ndarray, exponent: float | None = None) -> np.ndarray:
    r"""Coupling degree ``C`` of ``n`` subsystems, classic (normative) model.

    .. math::

        C = \left[ \frac{\prod_{i=1}^{n} U_i}{\left( \frac{1}{n} \sum_{i=1}^{n} U_i \right)^{n}} \right]^{k},
        \qquad k = 1/n \text{ by default},

    the normative form given by 王淑佳 et al. (2021). With :math:`k = 1/n` this is
    :math:`C = n \, (\prod U_i)^{1/n} / \sum U_i`, the ratio of the geometric to the arithmetic mean;
    by the AM–GM inequality :math:`C \in [0, 1]`, and :math:`C = 1` exactly when all :math:`U_i` are equal.
    For two subsystems :math:`C = 2\sqrt{U_1 U_2}/(U_1 + U_2)`. A row of all zeros gets ``C = 0``.

    Parameters
    ----------
    U : ndarray, shape (rows, n)
        Non-negative subsystem indices, one column per subsystem, ``n >= 2``. A 1-D array is one row.
    exponent : float, optional
        The adjustment exponent :math:`k > 0`; default :math:`1/n`.

    Returns
    -------
    ndarray of float64, shape (rows,)
        ``C`` in [0, 1].

    Raises
    ------
    InputError
        Fewer than two subsystems, negative or non-finite values, or a non-positive exponent.

    Examples
    --------
    >>> round(float(coupling_classic(np.array([[0.4, 0.6]]))[0]), 4)
    0.9798
    """
    u = _subsystem_matrix(U, unit=False)
    n = u.shape[1]
    k = 1.0 / n if exponent is None else float(exponent)
    if not math.isfinite(k) or k <= 0:
        raise InputError(f"The coupling exponent must be a finite number > 0, got {exponent!r}; use 1/n.")
    mean = u.mean(axis=1)
    positive = mean > 0
    ratio = np.zeros(u.shape[0])
    # Product of U_i / mean, term by term: each factor is <= n, and the product stays well scaled.
    ratio[positive] = np.prod(u[positive] / mean[positive, np.newaxis], axis=1)
    return np.clip(ratio, 0.0, 1.0) ** k


def coupling_wang2021(U: np.ndarray) -> np.ndarray:
    r"""Coupling degree ``C`` of ``n`` subsystems, revised model of 王淑佳 et al. (2021).

    .. math::

        C = \sqrt{ \left[ 1 - \frac{\sum_{i > j} |U_i - U_j|}{\sum_{m=1}^{n-1} m} \right]
        \cdot \left[ \prod_{i=1}^{n} \frac{U_i}{\max_i U_i} \right]^{\frac{1}{n-1}} }

    The first factor penalises the dispersion of the indices (:math:`\sum_{m=1}^{n-1} m = n(n-1)/2` is
    the number of pairs), the second their imbalance relative to the leading subsystem. Unlike the
    classic model, ``C`` spreads over the whole [0, 1] range. For two subsystems
    :math:`C = \sqrt{(1 - |U_1 - U_2|) \cdot \min U / \max U}`. ``C = 1`` exactly when all :math:`U_i`
    are equal and positive; a row of all zeros (or with any zero) gets ``C = 0``.

    Parameters
    ----------
    U : ndarray, shape (rows, n)
        Subsystem indices in [0, 1], one column per subsystem, ``n >= 2``. A 1-D array is one row.

    Returns
    -------
    ndarray of float64, shape (rows,)
        ``C`` in [0, 1].

    Raises
    ------
    InputError
        Fewer than two subsystems, or values outside [0, 1] or non-finite.

    Examples
    --------
    >>> round(float(coupling_wang2021(np.array([[0.4, 0.6]]))[0]), 4)
    0.7303
    """
    u = _subsystem_matrix(U, unit=True)
    n = u.shape[1]
    i, j = np.triu_indices(n, k=1)
    dispersion = np.abs(u[:, i] - u[:, j]).sum(axis=1) / (n * (n - 1) / 2)
    top = u.max(axis=1)
    positive = top > 0
    balance = np.zeros(u.shape[0])
    balance[positive] = np.prod(u[positive] / top[positive, np.newaxis], axis=1) ** (1.0 / (n - 1))
    c = np.sqrt(np.clip((1.0 - dispersion) * balance, 0.0, 1.0))
    c[~positive] = 0.0
    return c


def development_index(U: np.ndarray, alpha: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    r"""Comprehensive development index ``T`` of ``n`` subsystems.

    .. math::

        T = \sum_{i=1}^{n} \alpha_i U_i, \qquad \sum_i \alpha_i = 1, \quad \alpha_i = 1/n \text{ by default}.

    Parameters
    ----------
    U : ndarray, shape (rows, n)
        Non-negative subsystem indices; a 1-D array is one row.
    alpha : sequence of float, optional
        Non-negative contribution of each subsystem, length ``n``, summing to 1; default equal.

    Returns
    -------
    ndarray of float64, shape (rows,)
        ``T``; in [0, 1] when ``U`` is in [0, 1].

    Raises
    ------
    InputError
        ``alpha`` of the wrong length, negative, or not summing to 1; invalid ``U``.
    """
    u = _subsystem_matrix(U, unit=False)
    n = u.shape[1]
    if alpha is None:
        return u.mean(axis=1)
    a = np.asarray(alpha, dtype=np.float64).ravel()
    if a.size != n:
        raise InputError(
            f"alpha has {a.size} value(s) but there are {n} subsystems; give one contribution per subsystem."
        )
    if not np.isfinite(a).all() or (a < 0).any():
        raise InputError("alpha must be finite and >= 0; check the subsystem contributions.")
    if abs(a.sum() - 1.0) > _SUM_TOLERANCE:
        raise InputError(f"alpha sums to {a.sum():.6g}, not 1; divide the contributions by their sum.")
    return u @ a


def coordination(C: np.ndarray, T: np.ndarray) -> np.ndarray:
    r"""Coupling coordination degree ``D``.

    .. math::

        D = \sqrt{C \cdot T}

    Parameters
    ----------
    C : ndarray
        Coupling degree in [0, 1] (from :func:`coupling_classic` or :func:`coupling_wang2021`).
    T : ndarray
        Comprehensive development index, >= 0 (from :func:`development_index`); broadcastable with ``C``.

    Returns
    -------
    ndarray of float64
        ``D``; in [0, 1] when ``T`` is in [0, 1].

    Raises
    ------
    InputError
        Negative or non-finite values, ``C > 1``, or shapes that do not broadcast.
    """
    c = _non_negative_array(C, "coupling degree C")
    t = _non_negative_array(T, "development index T")
    if (c > 1).any():
        raise InputError(
            "The coupling degree C exceeds 1; compute it with coupling_classic or coupling_wang2021."
        )
    try:
        return np.sqrt(c * t)
    except ValueError as exc:
        raise InputError(
            f"C has shape {c.shape} and T has shape {t.shape}, which do not match; give one value per row."
        ) from exc


def coordination_class(D: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Ten-level class of the coupling coordination degree, in steps of 0.1.

    .. math::

        \text{level} = \min(\lfloor 10 D \rfloor + 1, 10)

    so ``[0, 0.1)`` is level 1 (极度失调 extreme imbalance), …, ``[0.6, 0.7)`` level 7 (初级协调 primary
    coordination), …, ``[0.9, 1]`` level 10 (优质协调 high-quality coordination); see
    :data:`COORDINATION_CLASSES`.

    Parameters
    ----------
    D : ndarray or float
        Coordination degree in [0, 1].

    Returns
    -------
    level : ndarray of int64
        1..10, same shape as ``D``.
    zh : ndarray of str
        Chinese class names.
    en : ndarray of str
        English class names.

    Raises
    ------
    InputError
        Values outside [0, 1] or non-finite.
    """
    d = _non_negative_array(D, "coordination degree D")
    if (d > 1).any():
        raise InputError(
            "The coordination degree D exceeds 1; build it from indices in [0, 1] with `coordination`."
        )
    level = np.minimum(np.floor(d * 10).astype(np.int64) + 1, 10)
    zh_names = np.array([zh for _, zh, _ in COORDINATION_CLASSES])
    en_names = np.array([en for _, _, en in COORDINATION_CLASSES])
    return level, zh_names[level - 1], en_names[level - 1]


def lag_type(industry: np.ndarray, city: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    r"""Which subsystem lags, by the relative development degree :math:`E = U_c / U_i` (city / industry).

    * :math:`E < 1 - \theta`: ``"industry_without_city"`` (有产无城: the city lags the industry);
    * :math:`E > 1 + \theta`: ``"city_without_industry"`` (有城无产: the industry lags the city);
    * otherwise ``"balanced"`` (the bounds :math:`1 \pm \theta` themselves count as balanced).

    Special cases: both indices 0 → ``"balanced"``; industry 0 and city > 0 → ``"city_without_industry"``.

    Parameters
    ----------
    industry, city : ndarray
        Non-negative subsystem indices, broadcastable to one shape.
    threshold : float, default 0.1
        Tolerance :math:`\theta` in [0, 1).

    Returns
    -------
    ndarray of str
        One label per element.

    Raises
    ------
    InputError
        Negative or non-finite indices, shapes that do not broadcast, or a threshold outside [0, 1).
    """
    if not math.isfinite(threshold) or not 0 <= threshold < 1:
        raise InputError(f"The lag threshold must be in [0, 1), got {threshold!r}; use e.g. 0.1.")
    ind = _non_negative_array(industry, "industry index")
    cit = _non_negative_array(city, "city index")
    try:
        ind, cit = np.broadcast_arrays(ind, cit)
    except ValueError as exc:
        raise InputError(
            f"The industry index has shape {ind.shape} and the city index {cit.shape}, which do not match; "
            "give one value of each per row."
        ) from exc
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(ind > 0, cit / np.where(ind > 0, ind, 1.0), np.where(cit > 0, np.inf, 1.0))
    out = np.full(e.shape, "balanced", dtype="<U21")
    out[e < 1 - threshold] = "industry_without_city"
    out[e > 1 + threshold] = "city_without_industry"
    return out
