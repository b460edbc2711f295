"""The fixed reference scale of the diagnosis indicators (``[diagnosis] scale = "reference"``).

Each indicator is scaled with bounds that do not depend on the study area: planning standards
where they exist, natural bounds of shares and scores, otherwise robust quantiles over the cells of
well-mapped extracts. The bounds and the entropy weights computed over those reference cells ship
in ``data/reference.toml`` (built by ``scripts/build_reference.py``; docs/methods.md §8 lists them).

:func:`load_reference` reads the file, :func:`scale_to_reference` maps raw values to [0, 1] and
:func:`nan_weighted_index` combines the scaled indicators of a subsystem, renormalising the weights
over the indicators each row has. Missing values (NaN, "not measurable here") stay missing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkscope.errors import ConfigError

__all__ = [
    "Bound",
    "Reference",
    "ScaledIndicator",
    "load_reference",
    "nan_weighted_index",
    "scale_to_reference",
]

_SHIPPED = "reference.toml"
_BOUND_KEYS = ("lo", "hi", "source", "basis", "entropy_weight", "entropy_weight_linear", "subsystem")


@dataclass(frozen=True)
class Bound:
    """Reference bounds of one indicator.

    Attributes
    ----------
    lo, hi : float
        Raw values that scale to 0 and 1 (for a positive indicator); ``lo < hi``.
    source : str
        Where the bounds come from (a standard, a natural bound, or the quantiles used).
    basis : str
        ``standard``, ``natural`` or ``quantile``.
    entropy_weight, entropy_weight_linear : float
        Entropy weight of the indicator within its subsystem over the reference cells, with and
        without ``log1p`` of the indicators that take it.
    subsystem : str
    """

    lo: float
    hi: float
    source: str
    basis: str
    entropy_weight: float
    entropy_weight_linear: float
    subsystem: str


@dataclass(frozen=True)
class Reference:
    """The shipped reference scale: version, the reference cells used, and a bound per indicator."""

    version: str
    date: str
    areas: tuple[dict[str, Any], ...]
    bounds: dict[str, Bound] = field(default_factory=dict)
    path: str = ""

    def entropy_weights(self, log_transform: bool) -> dict[str, float]:
        """Indicator -> entropy weight over the reference cells (summing to 1 within a subsystem)."""
        return {
            k: b.entropy_weight if log_transform else b.entropy_weight_linear for k, b in self.bounds.items()
        }


@dataclass(frozen=True)
class ScaledIndicator:
    """What :func:`scale_to_reference` needs to know of an indicator."""

    key: str
    direction: str  # "positive" or "negative"
    log: bool


def _bound(key: str, raw: Any, src: str) -> Bound:
    where = f"[indicators.{key}] of {src}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table with lo, hi and source.")
    unknown = [k for k in raw if k not in _BOUND_KEYS]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(_BOUND_KEYS)}.")
    try:
        lo, hi = float(raw["lo"]), float(raw["hi"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where} needs numeric lo and hi.") from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi and lo >= 0):
        raise ConfigError(f"{where}: need 0 <= lo < hi, got lo = {lo}, hi = {hi}.")
    if not isinstance(raw.get("source"), str) or not raw["source"].strip():
        raise ConfigError(f"{where} needs a source (where the bounds come from).")
    return Bound(
        lo=lo,
        hi=hi,
        source=raw["source"],
        basis=str(raw.get("basis", "")),
        entropy_weight=float(raw.get("entropy_weight", 1.0)),
        entropy_weight_linear=float(raw.get("entropy_weight_linear", raw.get("entropy_weight", 1.0))),
        subsystem=str(raw.get("subsystem", "")),
    )


def parse_reference(raw: Mapping[str, Any], src: str) -> Reference:
    """Check the content of a reference TOML and return it as a :class:`Reference`."""
    for key in ("version", "date", "indicators"):
        if key not in raw:
            raise ConfigError(
                f"The reference scale {src} lacks '{key}'; rebuild it with scripts/build_reference.py."
            )
    indicators = raw["indicators"]
    if not isinstance(indicators, dict) or not indicators:
        raise ConfigError(f"The reference scale {src} has no [indicators.<key>] tables.")
    return Reference(
        version=str(raw["version"]),
        date=str(raw["date"]),
        areas=tuple(dict(a) for a in raw.get("areas", [])),
        bounds={k: _bound(k, v, src) for k, v in indicators.items()},
        path=src,
    )


@lru_cache(maxsize=4)
def _load_cached(path: str | None) -> Reference:
    if path is None:
        text = resources.files("parkscope").joinpath("data", _SHIPPED).read_text(encoding="utf-8")
        src = f"the shipped data/{_SHIPPED}"
    else:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"Reference scale {p} does not exist: check the path.")
        text, src = p.read_text(encoding="utf-8"), str(p)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"The reference scale {src} is not valid TOML ({exc}).") from exc
    return parse_reference(raw, src)


def load_reference(path: str | Path | None = None) -> Reference:
    """The reference scale: the shipped ``data/reference.toml`` by default (read once)."""
    return _load_cached(None if path is None else str(path))


def scale_to_reference(
    values: pd.DataFrame,
    indicators: Sequence[ScaledIndicator],
    bounds: Mapping[str, tuple[float, float]],
    *,
    log_transform: bool = True,
    shift: float = 0.0,
) -> pd.DataFrame:
    r"""Scale raw indicator values to [0, 1] with fixed bounds.

    .. math::

        x' = \mathrm{clip}\!\left(\frac{f(x) - f(lo)}{f(hi) - f(lo)}, 0, 1\right) + s,
        \qquad f = \log(1 + \cdot) \text{ for log indicators when ``log_transform``, else identity},

    and :math:`1 - x'` (before the shift) for a negative indicator. NaN stays NaN.

    Parameters
    ----------
    values : DataFrame
        Raw values, one column per indicator (NaN = not measurable in that row).
    indicators : sequence of ScaledIndicator
        The columns to scale, with their direction and whether they take ``log1p``.
    bounds : mapping
        Key -> (lo, hi) with ``lo < hi``.
    log_transform : bool
    shift : float
        Added after scaling (as in ``[diagnosis] shift``).

    Returns
    -------
    DataFrame
        One column per indicator, same index as ``values``.
    """
    out = pd.DataFrame(index=values.index)
    for ind in indicators:
        if ind.key not in bounds:
            raise ConfigError(
                f"Indicator '{ind.key}' has no reference bounds: give lo and hi for it, or set "
                '[diagnosis] scale = "study_area".'
            )
        lo, hi = (float(b) for b in bounds[ind.key])
        if not lo < hi:
            raise ConfigError(f"Reference bounds of '{ind.key}' need lo < hi, got {lo} and {hi}.")
        x = values[ind.key].to_numpy(dtype=np.float64)
        if ind.log and log_transform:
            x, lo, hi = np.log1p(np.maximum(x, 0.0)), float(np.log1p(max(lo, 0.0))), float(np.log1p(hi))
        scaled = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        if ind.direction == "negative":
            scaled = 1.0 - scaled
        out[ind.key] = scaled + shift
    return out


def nan_weighted_index(norm: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    r"""Weighted mean of each row's measured (non-NaN) scaled indicators.

    .. math::

        U = \frac{\sum_{j \in M} w_j x_j}{\sum_{j \in M} w_j}, \qquad M = \{j : x_j \text{ measured}\},

    NaN when no indicator of the row is measured (or those measured all weigh 0).

    Parameters
    ----------
    norm : DataFrame
        Scaled indicators of one subsystem.
    weights : mapping
        Column -> weight >= 0 (need not sum to 1).
    """
    if norm.shape[1] == 0:
        return np.full(len(norm), np.nan)
    x = norm.to_numpy(dtype=np.float64)
    w = np.array([float(weights[c]) for c in norm.columns])
    if not np.isfinite(w).all() or (w < 0).any():
        raise ConfigError("Indicator weights must be finite and >= 0.")
    measured = np.isfinite(x)
    total = (measured * w).sum(axis=1)
    weighted = (np.where(measured, x, 0.0) * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted / np.where(total > 0, total, 1.0), np.nan)
