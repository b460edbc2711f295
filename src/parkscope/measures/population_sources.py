"""Where the jobs and residents of the diagnosis come from, and a park's own head-count.

Each of jobs and residents has one source (``summary.integration.jobs_source`` / ``residents_source``):

- ``table`` — a user table (``--jobs FILE[:COLUMN]``), reallocated to the cells;
- ``raster`` — a GeoTIFF of counts (``--jobs FILE.tif``), or for jobs a raster of weights such as
  GHSL non-residential built volume (``--jobs-weight FILE.tif``) turned into jobs at
  :data:`M3_PER_JOB` cubic metres per job;
- ``head_count`` — the park's known total (``--jobs-total N``): spread over the park's buildings by
  the floor area of the matching use (by the weight raster when one is given), by area where the
  park has none; outside the park the estimate stands;
- ``osm_buildings`` — the estimate from the floor area of the OpenStreetMap buildings.

The checks of the user's choices (:func:`count_requests`) run before any work; the spreading
functions are pure and conserve the total exactly (docs/population.md §8–9).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from parkscope.errors import InputError
from parkscope.inputs.rasters import is_raster, raster_to_cells
from parkscope.measures.indicators import sum_in_cells

log = logging.getLogger(__name__)

__all__ = [
    "M3_PER_JOB",
    "SOURCES",
    "CountRequest",
    "count_requests",
    "head_count_to_cells",
    "spread_by_park_area",
    "weight_raster_to_cells",
]

SOURCES: tuple[str, ...] = ("table", "raster", "head_count", "osm_buildings")
#: Cubic metres of non-residential built volume per job, when a weight raster gives no total: 20 m²
#: of gross floor per job (the office figure of data/buildings.toml, Hong Kong Planning Standards
#: and Guidelines ch. 5) × 3.5 m floor to floor (an assumption; offices are built 3.5–4 m).
M3_PER_JOB = 70.0
#: The floor-area column of the buildings frame that carries each kind.
FLOOR_COLUMN = {"jobs": "workplace_floor_m2", "residents": "residential_floor_m2"}


@dataclass(frozen=True)
class CountRequest:
    """What the user gave for one of jobs / residents.

    Attributes
    ----------
    kind : {"jobs", "residents"}
    spec : str or Path or None
        A table ``FILE[:COLUMN]`` or a raster of counts ``FILE.tif[:BAND]``.
    total : float or None
        The park's head-count.
    weight : str or Path or None
        A raster of weights (jobs only: non-residential built volume, m³).
    """

    kind: str
    spec: str | Path | None = None
    total: float | None = None
    weight: str | Path | None = None

    @property
    def source(self) -> str:
        """``summary.integration.<kind>_source`` for this request."""
        if self.total is not None:
            return "head_count"
        if self.weight is not None or is_raster(self.spec):
            return "raster"
        return "table" if self.spec is not None else "osm_buildings"


def _total(value: Any, option: str) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number) or number < 0:
        raise InputError(
            f"{option} must be a number of people, 0 or more (got {value!r}): the park's known head-count, "
            f"e.g. {option} 12000."
        )
    return number


def count_requests(
    *,
    jobs: str | Path | None = None,
    residents: str | Path | None = None,
    jobs_total: Any = None,
    residents_total: Any = None,
    jobs_weight: str | Path | None = None,
) -> dict[str, CountRequest]:
    """Check the user's jobs and residents options and return one request per kind.

    Raises
    ------
    InputError
        A total that is negative, not finite or not a number; a total and a FILE for the same
        quantity; ``jobs_weight`` together with ``jobs``, or a ``jobs_weight`` that is not a GeoTIFF.
    """
    totals = {
        "jobs": _total(jobs_total, "--jobs-total"),
        "residents": _total(residents_total, "--residents-total"),
    }
    for kind, spec in (("jobs", jobs), ("residents", residents)):
        if spec is not None and totals[kind] is not None:
            raise InputError(
                f"--{kind} {spec} and --{kind}-total {totals[kind]:g} both give the park's {kind}: give one. "
                f"A FILE gives the {kind} of every place; --{kind}-total gives the park's head-count, spread "
                "over its buildings."
            )
    if jobs_weight is not None:
        if jobs is not None:
            raise InputError(
                f"--jobs {jobs} and --jobs-weight {jobs_weight} both give the jobs: give one (--jobs for a "
                "table or raster of job counts, --jobs-weight for a raster of built volume)."
            )
        if not is_raster(jobs_weight):
            raise InputError(
                f"--jobs-weight takes a GeoTIFF raster (.tif) of non-residential built volume, such as GHSL "
                f"GHS-BUILT-V NRES; {jobs_weight} is not one."
            )
    return {
        "jobs": CountRequest("jobs", jobs, totals["jobs"], jobs_weight),
        "residents": CountRequest("residents", residents, totals["residents"]),
    }


def spread_by_park_area(total: float, park_overlap_m2: np.ndarray) -> np.ndarray:
    """``total`` shared among the cells by the area of the park in each (equal shares if none)."""
    w = np.asarray(park_overlap_m2, dtype=np.float64)
    if not (w > 0).any():
        raise InputError("The park overlaps no cell of the study area, so its head-count has nowhere to go.")
    return total * w / w.sum()


def _by_weight_or_area(
    total: float, weight: np.ndarray, park_overlap_m2: np.ndarray, kind: str, what: str
) -> tuple[np.ndarray, str]:
    if weight.sum() > 0:
        return total * weight / weight.sum(), what
    log.warning(
        "The park has no %s, so its %s head-count (%g) is spread over its cells by area: the placement "
        "within the park is a guess.",
        what, kind, total,
    )
    return spread_by_park_area(total, park_overlap_m2), "park_area"


def head_count_to_cells(
    total: float,
    kind: str,
    buildings: gpd.GeoDataFrame,
    in_park: np.ndarray,
    xy: tuple[np.ndarray, np.ndarray],
    cells_metric: gpd.GeoSeries,
    park_overlap_m2: np.ndarray,
) -> tuple[np.ndarray, dict[str, Any]]:
    """A park's head-count on the cells; outside the park, the buildings' own estimate.

    The park's ``total`` is shared among its buildings by floor area of the matching use
    (``workplace_floor_m2`` for jobs, ``residential_floor_m2`` for residents); where the park has no
    such floor, among its cells by area (:func:`spread_by_park_area`), with a logged caution.
    Buildings outside the park keep their estimate (``buildings[kind]``). The park's part sums to
    ``total`` exactly: it is shared among the buildings that stand in a cell.

    Parameters
    ----------
    total : float
        The park's head-count.
    kind : {"jobs", "residents"}
    buildings : GeoDataFrame
        The buildings of the study area with ``kind`` and its floor column.
    in_park : ndarray of bool
        Which buildings stand in the park.
    xy : (ndarray, ndarray)
        A point inside each building, in the metric CRS of ``cells_metric``.
    cells_metric : GeoSeries
        The cell polygons in the metric CRS.
    park_overlap_m2 : ndarray
        Each cell's overlap with the park (m²).

    Returns
    -------
    (ndarray, dict)
        Counts per cell, and a record for summary.json (``total``, ``spread_over``:
        ``"buildings"`` | ``"park_area"``, ``park_buildings``, ``park_floor_m2``, ``outside_park``).
    """
    n = len(buildings)
    x, y = (np.asarray(v, dtype=np.float64) for v in xy)
    floor = buildings[FLOOR_COLUMN[kind]].to_numpy(dtype=np.float64) if n else np.zeros(0)
    park_floor = np.where(in_park, np.nan_to_num(floor), 0.0)
    estimate = buildings[kind].to_numpy(dtype=np.float64) if n else np.zeros(0)
    outside = sum_in_cells(x, y, np.where(in_park, 0.0, estimate), cells_metric)
    use = "workplace floor" if kind == "jobs" else "residential floor"
    weight = sum_in_cells(x, y, park_floor, cells_metric)
    park, how = _by_weight_or_area(total, weight, park_overlap_m2, kind, use)
    record = {
        "total": total,
        "spread_over": "buildings" if how != "park_area" else how,
        "park_buildings": int((park_floor > 0).sum()),
        "park_floor_m2": round(float(park_floor.sum()), 1),
        "outside_park": "osm_buildings",
        "outside_park_total": float(outside.sum()),
    }
    return outside + park, record


def weight_raster_to_cells(
    pixels: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    park: shapely.Geometry,
    total: float | None,
    m3_per_job: float = M3_PER_JOB,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Jobs per cell from a raster of built volume (or any weight).

    Without ``total``: volume / ``m3_per_job`` everywhere. With it: the park's jobs are ``total``,
    shared among the park's parts of the cells by the volume in them (by area, with a caution, where
    the park holds no volume); outside the park, volume / ``m3_per_job``.

    Parameters
    ----------
    pixels : GeoDataFrame
        From :func:`parkscope.inputs.rasters.read_raster` (the weight, e.g. m³ per pixel).
    cells : GeoDataFrame
        ``h3``, the cell polygons (EPSG:4326) and ``park_overlap_m2``.
    park : shapely geometry
        The park (WGS84).
    total : float or None
        The park's head-count.
    m3_per_job : float
        Volume per job where no total applies.

    Returns
    -------
    (ndarray, dict)
        Jobs per cell and a record for summary.json (the raster's, plus ``m3_per_job``,
        ``weight_in_cells``, and with a total ``total``, ``spread_over``, ``weight_in_park``).
    """
    volume = raster_to_cells(pixels, cells).to_numpy()
    record = {**pixels.attrs["raster"], "weight_in_cells": float(volume.sum()), "m3_per_job": m3_per_job}
    if total is None:
        return volume / m3_per_job, record
    parts = shapely.intersection(cells.geometry.values, park)
    in_park = gpd.GeoDataFrame({"h3": cells["h3"].to_numpy()}, geometry=parts, crs=cells.crs)
    park_volume = raster_to_cells(pixels, in_park).to_numpy()
    outside = np.clip(volume - park_volume, 0.0, None) / m3_per_job
    spread, how = _by_weight_or_area(
        total, park_volume, cells["park_overlap_m2"].to_numpy(), "jobs", "built volume in the raster"
    )
    record.update(
        {
            "total": total,
            "spread_over": "raster" if how != "park_area" else how,
            "weight_in_park": float(park_volume.sum()),
            "outside_park": "raster",
            "outside_park_total": float(outside.sum()),
        }
    )
    return outside + spread, record
