"""Before and after: the park's figures and the cells' columns of a scenario against its base."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from parkscope.settings.vocabulary import within_stem

__all__ = ["CELL_FIGURES", "PARK_FIGURES", "cell_comparison", "park_comparison"]

#: Cell figures compared: ``<x>_before`` and ``<x>_delta`` (after − before) beside ``<x>`` (after).
CELL_FIGURES: tuple[str, ...] = (
    "score", "industry", "city", "people", "coupling_C", "development_T", "coordination_D", "jobs",
    "residents", "jobs_15min", "residents_15min", "jobs_housing_ratio_15min", "jobs_housing_balance",
    "amenity_diversity", "workplace_floor_m2", "housing_floor_m2",
)
#: Park figures compared (dotted paths into summary.json); five-park dimension scores are added.
PARK_FIGURES: tuple[str, ...] = (
    "life_convenience_score", "life_convenience_score_workers", "life_convenience_score_residents",
    "integration.industry", "integration.city", "integration.people", "integration.coupling_C",
    "integration.development_T", "integration.coordination_D", "integration.lag_type",
    "integration.jobs", "integration.residents", "integration.jobs_housing_ratio",
    "integration.jobs_housing_reading", "buildings.floor_area_m2", "buildings.estimated_jobs",
    "buildings.estimated_residents",
)


def _get(d: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


def _delta(before: Any, after: Any) -> Any:
    numeric = (int, float)
    if isinstance(before, numeric) and isinstance(after, numeric) and not isinstance(before, bool):
        return round(float(after) - float(before), 6)
    return None


def park_comparison(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Before, after and delta (after − before; null for text) of the park's figures."""
    paths = [p for p in PARK_FIGURES if _get(before, p) is not None or _get(after, p) is not None]
    five = (after.get("five_park") or before.get("five_park") or {})
    paths += [f"five_park.{k}.score" for k, v in five.items() if isinstance(v, dict) and "score" in v]
    cats = after.get("categories") or {}
    for key, entry in cats.items():
        paths += [f"categories.{key}.{f}" for f in entry
                  if f.startswith("share_within") or f == "median_nearest_m"]
    out = {}
    for p in paths:
        b, a = _get(before, p), _get(after, p)
        out[p] = {"before": b, "after": a, "delta": _delta(b, a)}
    return out


def within_column(name: str, columns: pd.Index) -> str:
    """``name`` as the cells spell it: a ``<stem>_15min`` figure takes the minutes of the run
    (``jobs_10min`` with ``coverage_minutes = 10``); other names are returned as they are."""
    stem = within_stem(name)
    if stem is None or name in columns:
        return name
    return next((c for c in columns if within_stem(str(c)) == stem), name)


def cell_comparison(before: pd.DataFrame, after: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``after`` with ``<x>_before`` and ``<x>_delta`` for each of :data:`CELL_FIGURES` (matched by
    ``h3``; a cell new in the scenario has no before) and ``lag_type_before``."""
    prior = before.set_index("h3").reindex(after["h3"].to_numpy())
    out = after.copy()
    for col in (within_column(c, after.columns) for c in CELL_FIGURES):
        if col in after.columns and col in prior.columns:
            b = prior[col].to_numpy(dtype=np.float64)
            out[f"{col}_before"] = b
            out[f"{col}_delta"] = after[col].to_numpy(dtype=np.float64) - b
    if "lag_type" in prior.columns:
        out["lag_type_before"] = prior["lag_type"].to_numpy(dtype=object)
    return out
