"""How complete each input layer is, in the study area and per cell: data sufficiency.

OpenStreetMap is uneven: some extracts map no buildings, some few shops. Before any verdict,
parkscope measures each input layer — the walk network, the amenities, the buildings, the jobs and
the residents — from what the data itself shows, compares it with the range measured on
well-mapped extracts (``data/quality.toml``), and gives it a status:

``ok``
    within the range of well-mapped extracts: figures resting on it are given as they are;
``thin``
    below that range: figures are given with a visible caution;
``missing``
    far below it (or absent): figures resting on it are unknown (null), never 0.

The diagnosis reads which layer each indicator rests on (:data:`parkscope.diagnoses.integration.INDICATORS`)
and leaves out what rests on a missing layer; a sub-index is null when the layer carrying most of
its weight (jobs for industry, amenities for city, residents for people) is missing.
docs/methods.md §10 gives every measure, bound and its source.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from parkscope.measures.indicators import sum_in_cells
from parkscope.settings.vocabulary import LAYERS as LAYERS  # re-exported: the input layers judged here
from parkscope.settings.vocabulary import STATUSES
from parkscope.walk.network import WalkNetwork

_RANK = {s: i for i, s in enumerate(STATUSES)}

#: What to add when a layer is missing or thin (shown in the CLI and the report).
FIXES: dict[str, str] = {
    "network": "use an extract that covers the whole study area (or a smaller --buffer)",
    "amenities": "use a fuller OpenStreetMap extract of the area, or map the amenities in OpenStreetMap",
    "buildings": "use an extract with the buildings mapped, or give jobs and residents tables or rasters",
    "jobs": "give a jobs table or raster (--jobs FILE) or the park's head-count (--jobs-total N), "
    "or use an extract with the buildings mapped",
    "residents": "give a residents table or raster (--residents FILE, e.g. WorldPop or GHS-POP) or a "
    "head-count (--residents-total N), or use an extract with the buildings mapped",
}


@cache
def bounds() -> dict[str, Any]:
    """The shipped expected ranges and thresholds (``data/quality.toml``)."""
    text = resources.files("parkscope").joinpath("data", "quality.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def worst(*statuses: str) -> str:
    """The worst of some statuses (``missing`` > ``thin`` > ``ok``)."""
    return max(statuses, key=lambda s: _RANK[s]) if statuses else "ok"


@dataclass(frozen=True)
class LayerQuality:
    """The completeness of one input layer in the study area.

    Attributes
    ----------
    layer : str
        ``network``, ``amenities``, ``buildings``, ``jobs`` or ``residents``.
    status : str
        ``ok``, ``thin`` or ``missing``.
    measures : dict
        What was measured (counts, densities, shares).
    expected : dict
        The range of well-mapped extracts each measure is compared with.
    source : str
        Where the layer comes from (``osm``, ``table``, ``raster``, ``head_count``, ``osm_buildings``).
    reasons : list of str
        Why the status is not ``ok`` (empty when it is).
    """

    layer: str
    status: str
    measures: dict[str, Any]
    expected: dict[str, Any]
    source: str
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The ``data_quality.<layer>`` block of summary.json."""
        out: dict[str, Any] = {
            "status": self.status,
            "measures": self.measures,
            "expected": self.expected,
            "source": self.source,
            "reasons": self.reasons,
        }
        if self.status != "ok":
            out["fix"] = FIXES[self.layer]
        return out


@dataclass(frozen=True)
class DataQuality:
    """Layer statuses for the study area and per cell.

    Attributes
    ----------
    layers : dict
        Layer name -> :class:`LayerQuality` for the whole study area.
    cell_status : DataFrame
        One row per cell (same order as the cells), one column per layer: ``ok``, ``thin`` or
        ``missing`` in that cell (the area's status, made worse where the cell itself lacks data).
    cell_measures : DataFrame
        The per-cell measures (street length, buildings, amenities) behind ``cell_status``.
    """

    layers: dict[str, LayerQuality]
    cell_status: pd.DataFrame
    cell_measures: pd.DataFrame

    def status(self, layer: str) -> str:
        """Status of a layer in the study area."""
        return self.layers[layer].status

    def summary(self) -> dict[str, Any]:
        """The ``data_quality`` block of summary.json."""
        return {name: q.as_dict() for name, q in self.layers.items()}


def cell_measures(
    cells_metric: gpd.GeoSeries,
    network: WalkNetwork,
    building_xy: tuple[np.ndarray, np.ndarray],
    building_footprint_m2: np.ndarray,
    amenity_xy: tuple[np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """Street length, buildings and amenity points in each cell.

    Parameters
    ----------
    cells_metric : GeoSeries
        The cells in the study area's metric CRS.
    network : WalkNetwork
        Edge lengths count in the cell of the edge's midpoint.
    building_xy, amenity_xy : (ndarray, ndarray)
        A point of each building and of each amenity (one per amenity, not per access point), in
        the same CRS.
    building_footprint_m2 : ndarray
        Footprint of each building.

    Returns
    -------
    DataFrame
        ``area_km2``, ``street_km``, ``street_km_per_km2``, ``buildings``, ``footprint_m2``,
        ``footprint_share``, ``amenities``, ``built_up`` (street density at or above the
        ``built_up_street_km_per_km2`` bound: a place where people could live or work).
    """
    area_km2 = np.asarray(cells_metric.area, dtype=np.float64) / 1e6
    mx = 0.5 * (network.x[network.edge_u] + network.x[network.edge_v])
    my = 0.5 * (network.y[network.edge_u] + network.y[network.edge_v])
    street_km = sum_in_cells(mx, my, network.length_m / 1000.0, cells_metric)
    bx, by = building_xy
    n_build = sum_in_cells(bx, by, None, cells_metric)
    footprint = sum_in_cells(bx, by, np.asarray(building_footprint_m2, dtype=np.float64), cells_metric)
    ax, ay = amenity_xy
    n_amen = sum_in_cells(ax, ay, None, cells_metric)
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(area_km2 > 0, street_km / area_km2, 0.0)
        share = np.where(area_km2 > 0, footprint / (area_km2 * 1e6), 0.0)
    return pd.DataFrame(
        {
            "area_km2": area_km2,
            "street_km": street_km,
            "street_km_per_km2": density,
            "buildings": n_build,
            "footprint_m2": footprint,
            "footprint_share": share,
            "amenities": n_amen,
            "built_up": density >= bounds()["cells"]["built_up_street_km_per_km2"],
        },
        index=cells_metric.index,
    )


def _status_from(value: float | None, low: float, missing_below: float) -> str:
    """``ok`` at or above ``low``, ``missing`` below ``missing_below``, ``thin`` between."""
    if value is None or not np.isfinite(value) or value < missing_below:
        return "missing"
    return "ok" if value >= low else "thin"


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


def network_quality(
    network: WalkNetwork, measures: pd.DataFrame, outside_extract_share: float, park_nodes: int,
    park_outside_extract_share: float = 0.0,
) -> LayerQuality:
    """The walk network: present around the park, inside the extract, mostly connected."""
    b = bounds()["network"]
    m = {
        "nodes": int(network.n_nodes),
        "length_km": _r(float(network.length_m.sum()) / 1000, 3),
        "nodes_in_or_next_to_park": int(park_nodes),
        "outside_extract_share": _r(outside_extract_share),
        "park_outside_extract_share": _r(park_outside_extract_share),
        "dropped_node_share": _r(network.dropped_node_share),
        "built_up_cells": int(measures["built_up"].sum()),
    }
    reasons = []
    status = "ok"
    if network.n_nodes == 0 or park_nodes == 0:
        status = "missing"
        reasons.append("no walk-network node in or next to the park")
    elif park_outside_extract_share > b["park_outside_extract_missing"]:
        status = "missing"
        reasons.append(f"{100 * park_outside_extract_share:.0f} % of the park lies outside the extract")
    else:
        if outside_extract_share > b["outside_extract_share_thin"]:
            status = "thin"
            reasons.append(
                f"{100 * outside_extract_share:.0f} % of the study area lies outside the extract"
            )
        if network.dropped_node_share > b["dropped_node_share_thin"]:
            status = "thin"
            reasons.append(
                f"{100 * network.dropped_node_share:.0f} % of the walk nodes lie outside the largest "
                "connected network"
            )
    expected = {
        "outside_extract_share": f"<= {b['outside_extract_share_thin']}",
        "park_outside_extract_share": f"<= {b['park_outside_extract_missing']}",
        "dropped_node_share": f"<= {b['dropped_node_share_thin']}",
    }
    return LayerQuality("network", status, m, expected, "osm", reasons)


def buildings_quality(measures: pd.DataFrame, levels_share: float, n_buildings: int) -> LayerQuality:
    """The buildings: do the built-up cells (streets) hold buildings, and how many have storeys."""
    b = bounds()["buildings"]
    built = measures["built_up"].to_numpy()
    n_built = int(built.sum())
    with_b = measures["buildings"].to_numpy()[built] > 0
    coverage = float(with_b.mean()) if n_built else float("nan")
    street = float(measures["street_km"].to_numpy()[built].sum())
    footprint = float(measures["footprint_m2"].to_numpy()[built].sum())
    per_km = footprint / street if street > 0 else float("nan")
    m = {
        "buildings": int(n_buildings),
        "built_up_cells": n_built,
        "built_up_cells_with_buildings_share": _r(coverage),
        "footprint_m2_per_street_km": _r(per_km, 1),
        "share_with_levels_or_height": _r(levels_share),
    }
    reasons = []
    if n_buildings == 0:
        status = "missing"
        reasons.append("no building is mapped in the study area")
    elif n_built == 0:
        status = "thin"
        reasons.append("no built-up cell (street density) to judge the buildings by")
    else:
        s_cov = _status_from(coverage, b["built_up_coverage_ok"], b["built_up_coverage_missing"])
        s_fp = _status_from(per_km, b["footprint_m2_per_street_km_ok"],
                            b["footprint_m2_per_street_km_missing"])
        status = worst(s_cov, s_fp)
        if s_cov != "ok":
            reasons.append(
                f"only {100 * coverage:.0f} % of the built-up cells hold a mapped building "
                f"(well-mapped extracts: {100 * b['built_up_coverage_ok']:.0f} % or more)"
            )
        if s_fp != "ok":
            reasons.append(
                f"{per_km:,.0f} m² of building footprint per km of street in built-up cells "
                f"(well-mapped extracts: {b['footprint_m2_per_street_km_ok']:,.0f} or more)"
            )
        if status == "ok" and levels_share < b["levels_share_thin"]:
            status = "thin"
            reasons.append(
                f"only {100 * levels_share:.0f} % of the buildings have storeys or height mapped: "
                "floor areas rest on default storeys"
            )
    expected = {
        "built_up_cells_with_buildings_share": f">= {b['built_up_coverage_ok']} "
        f"(missing below {b['built_up_coverage_missing']})",
        "footprint_m2_per_street_km": f">= {b['footprint_m2_per_street_km_ok']} "
        f"(missing below {b['footprint_m2_per_street_km_missing']})",
        "share_with_levels_or_height": f">= {b['levels_share_thin']}",
        "measured_on": b["measured_on"],
    }
    return LayerQuality("buildings", status, m, expected, "osm", reasons)


def amenities_quality(
    measures: pd.DataFrame, n_amenities: int, categories_present: int, n_categories: int,
    residents: float | None,
) -> LayerQuality:
    """The amenities: points per km of street in built-up cells, and per 1,000 known residents."""
    b = bounds()["amenities"]
    built = measures["built_up"].to_numpy()
    street = float(measures["street_km"].to_numpy()[built].sum())
    in_built = float(measures["amenities"].to_numpy()[built].sum())
    per_km = in_built / street if street > 0 else float("nan")
    per_1000 = 1000 * n_amenities / residents if residents and residents > 0 else None
    m = {
        "amenities": int(n_amenities),
        "categories_present": int(categories_present),
        "categories": int(n_categories),
        "per_street_km": _r(per_km, 3),
        "per_1000_residents": _r(per_1000, 2),
    }
    reasons = []
    if n_amenities == 0:
        status = "missing"
        reasons.append("no amenity of any category is mapped in the study area")
    else:
        status = _status_from(per_km, b["per_street_km_ok"], b["per_street_km_missing"])
        if status != "ok":
            reasons.append(
                f"{per_km:.2f} amenity points per km of street in built-up cells "
                f"(well-mapped extracts: {b['per_street_km_ok']} or more)"
            )
        if per_1000 is not None:
            s_res = _status_from(per_1000, b["per_1000_residents_ok"], b["per_1000_residents_missing"])
            if s_res != "ok":
                reasons.append(
                    f"{per_1000:.1f} amenity points per 1,000 residents of the given table "
                    f"(well-mapped extracts: {b['per_1000_residents_ok']} or more)"
                )
            status = worst(status, s_res)
    expected = {
        "per_street_km": f">= {b['per_street_km_ok']} (missing below {b['per_street_km_missing']})",
        "per_1000_residents": f">= {b['per_1000_residents_ok']} "
        f"(missing below {b['per_1000_residents_missing']})",
        "measured_on": b["measured_on"],
    }
    return LayerQuality("amenities", status, m, expected, "osm", reasons)


def counts_quality(
    kind: str, source: str, total: float, buildings: LayerQuality, coverage_share: float | None = None,
    error: Mapping[str, Any] | None = None,
) -> LayerQuality:
    """Jobs or residents: from the user's data (its coverage), or estimated from the buildings.

    Parameters
    ----------
    kind : {"jobs", "residents"}
    source : str
        ``table``, ``raster``, ``head_count`` or ``osm_buildings``.
    total : float
        The count in the study area.
    buildings : LayerQuality
        The buildings' status (an estimate from buildings is no better than they are).
    coverage_share : float, optional
        Share of the study area the user's table or raster covers.
    error : mapping, optional
        The measured error of the estimate (``factor``, ``basis``), for ``osm_buildings``.
    """
    b = bounds()["counts"]
    m: dict[str, Any] = {"total": _r(total, 1), "coverage_share": _r(coverage_share)}
    reasons = []
    if source == "osm_buildings":
        status = buildings.status
        if status != "ok":
            reasons.append(f"estimated from the buildings, which are {status} here")
        if error:
            m["error_factor"] = error.get("factor")
            m["error_basis"] = error.get("basis")
    elif source == "head_count":
        # the park's own count; around the park the buildings estimate stays
        status = "ok" if buildings.status == "ok" else "thin"
        if status != "ok":
            reasons.append(
                f"around the park, estimated from the buildings, which are {buildings.status} here"
            )
    else:
        status = "ok"
        if coverage_share is not None and coverage_share < b["coverage_ok"]:
            status = "missing" if coverage_share < b["coverage_missing"] else "thin"
            reasons.append(f"the given {kind} data cover {100 * coverage_share:.0f} % of the study area")
    if total <= 0 and status != "missing":
        status = "missing"
        reasons.append(f"no {kind} in the study area")
    expected = {"coverage_share": f">= {b['coverage_ok']}"} if source != "osm_buildings" else {
        "buildings": "ok"}
    return LayerQuality(kind, status, m, expected, source, reasons)


def cell_statuses(layers: Mapping[str, LayerQuality], measures: pd.DataFrame, sources: Mapping[str, str],
                  has_nodes: np.ndarray, in_park: np.ndarray | None = None) -> pd.DataFrame:
    """Per-cell status of each layer: the area's status, worse where the cell itself lacks data.

    A cell without walk nodes has its network ``missing``. Where the area's buildings are not
    ``ok``, a built-up cell holding no building has its buildings ``missing`` (and so have its
    jobs and residents when they are estimated from buildings — for a park head-count, outside the
    park): streets but no buildings there means unmapped, not empty.
    """
    outside = np.ones(len(measures), bool) if in_park is None else ~np.asarray(in_park, dtype=bool)
    n = len(measures)
    out = pd.DataFrame({name: np.full(n, q.status, dtype=object) for name, q in layers.items()},
                       index=measures.index)
    out.loc[~np.asarray(has_nodes, dtype=bool), "network"] = "missing"
    if layers["buildings"].status != "ok":
        empty = measures["built_up"].to_numpy() & (measures["buildings"].to_numpy() == 0)
        out.loc[empty, "buildings"] = "missing"
        for kind in ("jobs", "residents"):
            if sources.get(kind) == "osm_buildings":
                out.loc[empty, kind] = "missing"
            elif sources.get(kind) == "head_count":
                out.loc[empty & outside, kind] = "missing"
    return out
