"""Industry–city–people diagnosis (产城人融合): indicators per cell → U, C, T, D, class, lag type.

The indicators of each subsystem (:data:`INDICATORS`) are measured per H3 cell of the study area
(:func:`cell_indicators`); they are scaled (with the fixed bounds of :mod:`parkscope.measures.reference` by
default, or min–max over the study area's cells), weighted (entropy by default) and combined into
the sub-indices industry, city and people (:func:`diagnose_cells`, :func:`coupled_indices`), whose
coupling coordination and lag type read the integration of each cell and of the park
(:func:`park_integration`). Formulas: docs/methods.md §8.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkscope.measures.indicators import (
    amenity_diversity,
    cell_representative_nodes,
    count_in_cells,
    feature_set,
    intersection_mask,
    nearest_nodes,
    polygon_cover_share,
    reach_sums,
    representative_xy,
    spread_cell_values,
    sum_in_cells,
)
from parkscope.measures.indices import (
    coordination,
    coordination_class,
    coupling_classic,
    coupling_wang2021,
    entropy_weights,
    lag_type,
)
from parkscope.measures.indices import development_index as development
from parkscope.measures.quality import FIXES, DataQuality
from parkscope.measures.reference import (
    Reference,
    ScaledIndicator,
    load_reference,
    nan_weighted_index,
    scale_to_reference,
)
from parkscope.settings.config import DiagnosisSettings
from parkscope.settings.vocabulary import (
    DEFAULT_MINUTES,
    INDICATORS,
    KEY_LAYER,
    LAG_LABELS,
    SUBSYSTEMS,
    Indicator,
    default_key,
    named,
    within_name,
)
from parkscope.settings.vocabulary import (
    INDICATOR_BY_KEY as INDICATOR_BY_KEY,  # re-exported: the diagnosis's words
)
from parkscope.walk.grid import park_weighted_mean
from parkscope.walk.network import WalkNetwork

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

log = logging.getLogger(__name__)

#: Indicators read from cell columns of the accessibility stage, and the taxonomy category they need.
_FROM_CATEGORY = {"transit_access": "transit", "park_access": "parks"}


def workplace_and_housing_floor(buildings: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Workplace and housing floor area (m²) of each building.

    Housing is ``residential_floor_m2`` when the population stage gives it (the housing part of a
    ``mixed`` building), else the whole floor of ``residential`` buildings and half of ``mixed``;
    workplace is the rest of the floor of every building whose use is not ``other``.
    """
    use = buildings["use"].astype(str).to_numpy()
    floor = buildings["floor_area_m2"].to_numpy(dtype=np.float64)
    if "residential_floor_m2" in buildings.columns:
        home = buildings["residential_floor_m2"].to_numpy(dtype=np.float64)
    else:
        home = floor * ((use == "residential") + 0.5 * (use == "mixed"))
    work = np.where(use == "other", 0.0, floor - home)
    return work, home


def floor_by_cell(buildings: gpd.GeoDataFrame | None, cells_metric: gpd.GeoSeries) -> pd.DataFrame:
    """Workplace and housing floor area (m²) per cell (a building counts in the cell of its surface point).

    See :func:`workplace_and_housing_floor`.
    """
    n = len(cells_metric)
    if buildings is None or buildings.empty:
        return pd.DataFrame({"workplace_floor_m2": np.zeros(n), "housing_floor_m2": np.zeros(n)})
    x, y = representative_xy(buildings.geometry.to_crs(cells_metric.crs))
    work, home = workplace_and_housing_floor(buildings)
    return pd.DataFrame(
        {
            "workplace_floor_m2": sum_in_cells(x, y, work, cells_metric),
            "housing_floor_m2": sum_in_cells(x, y, home, cells_metric),
        }
    )


@dataclass(frozen=True)
class Reach:
    """What :func:`cell_indicators` measured within the coverage walk, besides the indicators.

    ``node_values`` holds, per node, the quantities of :data:`REACH_COLUMNS` in that order; read
    them by name with :meth:`within`.
    """

    node_values: np.ndarray  # (n_nodes, len(REACH_COLUMNS))
    rep_nodes: np.ndarray  # representative node of each cell (−1: none)

    def within(self, name: str, nodes: np.ndarray) -> float:
        """Total of one of :data:`REACH_COLUMNS` over ``nodes`` (a mask or indices)."""
        return float(self.node_values[nodes, REACH_COLUMNS.index(name)].sum())


@dataclass(frozen=True)
class IndexModel:
    """How the indicators were scaled and weighted into the sub-indices: what
    :func:`coupled_indices` used, returned beside its frame and passed on explicitly (to
    :func:`park_integration`'s ``model`` block, to ``parkscope compare``).

    Attributes
    ----------
    scale : str
        ``reference`` or ``study_area``.
    reference_version : str or None
        Version of ``data/reference.toml`` under the reference scale.
    weights : mapping
        Key of every indicator used -> its weight (rounded to 6 places), summing to 1 within each
        subsystem.
    left_out_sparse, left_out_constant : tuple of str
        Indicators left out under ``study_area`` as present in too few rows, or equal in all.
    """

    scale: str
    reference_version: str | None = None
    weights: Mapping[str, float] = field(default_factory=dict)
    left_out_sparse: tuple[str, ...] = ()
    left_out_constant: tuple[str, ...] = ()

    @property
    def left_out(self) -> frozenset[str]:
        """The indicators measured but not used (sparse or constant)."""
        return frozenset(self.left_out_sparse) | frozenset(self.left_out_constant)


#: What a walk reaches, held at the nodes: the columns of :attr:`Reach.node_values`.
REACH_COLUMNS: tuple[str, ...] = ("jobs", "residents", "firms", "innovation_sites")


def cell_indicators(
    cells: gpd.GeoDataFrame,
    network: WalkNetwork,
    node_cell: np.ndarray,
    distances: Mapping[str, np.ndarray],
    features: gpd.GeoDataFrame,
    jobs: np.ndarray,
    residents: np.ndarray,
    buildings: gpd.GeoDataFrame | None,
    within_m: float,
    settings: DiagnosisSettings,
    on_batch: Callable[[int, int], None] | None = None,
    minutes: float = DEFAULT_MINUTES,
) -> tuple[pd.DataFrame, Reach]:
    """Raw indicator values per cell (no normalisation yet).

    Parameters
    ----------
    cells : GeoDataFrame
        WGS84 H3 cells with ``h3``, ``area_m2``, ``score`` and ``score_<category>`` columns.
    network : WalkNetwork
    node_cell : ndarray of str
        H3 cell of every network node.
    distances : mapping
        Category -> (n_nodes, k) network distances from the accessibility engine.
    features : GeoDataFrame
        WGS84 OSM features of the study area (``tags``).
    jobs, residents : ndarray, shape (n_cells,)
        Jobs and residents per cell (from a table or from buildings).
    buildings : GeoDataFrame or None
        Buildings with ``use`` and ``floor_area_m2`` (see :mod:`parkscope.measures.population`).
    within_m : float
        The coverage walk (15 minutes) in metres.
    settings : DiagnosisSettings
    on_batch : callable, optional
        Progress of the 15-minute reach computation: (cells done, cells in all).
    minutes : float
        The coverage walk in minutes (``within_m`` walked): it names what is counted within it.

    Returns
    -------
    (DataFrame, Reach)
        One row per cell, same order as ``cells``: the columns of :data:`INDICATORS` that can be
        measured, plus ``jobs``, ``residents``, ``jobs_15min``, ``residents_15min``,
        ``jobs_housing_ratio_15min`` and the floor areas. Names of what is counted within the walk
        carry ``minutes`` (:func:`parkscope.settings.vocabulary.within_name`: ``firms_10min`` for 10).
    """
    crs = network.crs
    cells_metric = cells.geometry.to_crs(crs)
    area_km2 = cells["area_m2"].to_numpy(dtype=np.float64) / 1e6
    out = pd.DataFrame(count_indicators(cells, cells_metric, jobs, residents, buildings), index=cells.index)

    # what a walk reaches: jobs and residents spread over each cell's nodes, sites snapped to nodes
    h3_ids = cells["h3"].to_numpy()
    pos = pd.Series(np.arange(len(cells)), index=pd.Index(h3_ids))
    node_cell_index = pos.reindex(node_cell).fillna(-1).to_numpy(np.int64)
    rep = cell_representative_nodes(network, node_cell, h3_ids, cells_metric)
    centre = cells_metric.centroid
    fallback = nearest_nodes(network, centre.x.to_numpy(), centre.y.to_numpy())
    node_values = np.zeros((network.n_nodes, len(REACH_COLUMNS)))
    node_values[:, :2] = spread_cell_values(  # jobs and residents, the first two REACH_COLUMNS
        np.column_stack([out["jobs"], out["residents"]]), node_cell_index, fallback
    )
    for column, feature in (("firms", "firms"), ("innovation_sites", "innovation")):
        sites = feature_set(features, feature)
        if len(sites):
            x, y = representative_xy(sites.geometry.to_crs(crs))
            np.add.at(node_values[:, REACH_COLUMNS.index(column)], nearest_nodes(network, x, y), 1.0)
    reached = dict(zip(REACH_COLUMNS, reach_sums(network, rep, node_values, within_m, on_batch=on_batch).T,
                       strict=True))
    for column, value in reach_indicators(reached, minutes, settings.employment_rate).items():
        out[column] = value

    out["life_convenience"] = cells["score"].to_numpy(dtype=np.float64)
    diversity = amenity_diversity(distances, within_m)
    out["amenity_diversity"] = (
        pd.Series(diversity).groupby(node_cell).mean().reindex(h3_ids).to_numpy()
    )
    for key, category in _FROM_CATEGORY.items():
        column = f"score_{category}"
        if column in cells.columns:
            out[key] = cells[column].to_numpy(dtype=np.float64)
    green = feature_set(features, "green")
    out["green_share"] = polygon_cover_share(green.geometry.to_crs(crs), cells_metric)
    inter = intersection_mask(network)
    out["intersection_density"] = (
        count_in_cells(network.x[inter], network.y[inter], cells_metric) / area_km2
    )
    out["resident_density"] = out["residents"] / area_km2
    return out, Reach(node_values=node_values, rep_nodes=rep)


def count_indicators(
    cells: pd.DataFrame, cells_metric: gpd.GeoSeries, jobs: np.ndarray, residents: np.ndarray,
    buildings: gpd.GeoDataFrame | None,
) -> dict[str, np.ndarray]:
    """The indicators of a cell's own counts and floor space: ``jobs``, ``residents``,
    ``job_density`` (per km²), ``workplace_floor_m2``, ``housing_floor_m2``,
    ``workplace_floor_ratio`` (floor per m² of cell) and ``housing_floor_share`` (0 without floor
    space). ``resident_density`` is left to the caller, which places it last."""
    area_m2 = cells["area_m2"].to_numpy(dtype=np.float64)
    jobs, residents = np.asarray(jobs, float), np.asarray(residents, float)
    floors = floor_by_cell(buildings, cells_metric)
    work = floors["workplace_floor_m2"].to_numpy(dtype=np.float64)
    home = floors["housing_floor_m2"].to_numpy(dtype=np.float64)
    total = work + home
    return {
        "jobs": jobs, "residents": residents, "job_density": jobs / (area_m2 / 1e6),
        "workplace_floor_m2": work, "housing_floor_m2": home, "workplace_floor_ratio": work / area_m2,
        "housing_floor_share": np.where(total > 0, home / np.where(total > 0, total, 1.0), 0.0),
    }


def reach_indicators(
    reached: Mapping[str, np.ndarray], minutes: float, employment_rate: float
) -> dict[str, np.ndarray]:
    """The columns of what a walk of ``minutes`` reaches from each cell (``reached``: the sums of
    :data:`REACH_COLUMNS`): those sums under their :func:`within_name`, the jobs–housing ratio
    (NaN without residents) and the jobs–housing balance."""
    out = {within_name(column, minutes): np.asarray(reached[column]) for column in REACH_COLUMNS}
    jobs, residents = out[within_name("jobs", minutes)], out[within_name("residents", minutes)]
    out[within_name("jobs_housing_ratio", minutes)] = np.where(
        residents > 0, jobs / np.where(residents > 0, residents, 1.0), np.nan
    )
    out["jobs_housing_balance"] = jobs_housing_balance(jobs, residents, employment_rate)
    return out


def jobs_housing_balance(jobs: np.ndarray, residents: np.ndarray, employment_rate: float) -> np.ndarray:
    r"""Balance of jobs and employed residents, 0–1.

    .. math::

        B = 1 - \frac{|J - eR|}{J + eR}

    with :math:`e` the employment rate (employed residents per resident): 1 when there is one job
    per employed resident, 0 when there are only jobs or only homes (or neither).
    """
    j = np.asarray(jobs, dtype=np.float64)
    w = employment_rate * np.asarray(residents, dtype=np.float64)
    total = j + w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 1.0 - np.abs(j - w) / np.where(total > 0, total, 1.0), 0.0)


def jobs_housing_reading(ratio: float, settings: DiagnosisSettings) -> str:
    """``too_few_jobs`` / ``balanced`` / ``too_few_homes`` from jobs per resident.

    The bounds are ``balanced_ratio_min`` and ``balanced_ratio_max`` jobs per *employed* resident,
    i.e. ``employment_rate`` times those in jobs per resident.
    """
    if ratio is None or not np.isfinite(ratio):
        return "no_residents"
    per_worker = ratio / settings.employment_rate
    if per_worker < settings.balanced_ratio_min:
        return "too_few_jobs"
    if per_worker > settings.balanced_ratio_max:
        return "too_few_homes"
    return "balanced"


def user_indicator_list(settings: DiagnosisSettings) -> list[Indicator]:
    """The user's own indicators (``[diagnosis.user_indicators.<name>]``), as ``user_<name>`` columns."""
    return [
        Indicator(f"user_{name}", u["subsystem"], u["direction"], u["per_km2"], name, name,
                  "per km²" if u["per_km2"] else "count")
        for name, u in settings.user_indicators.items()
    ]


def active_indicators(values: pd.DataFrame, settings: DiagnosisSettings) -> list[Indicator]:
    """The indicators that were measured and are not disabled in the settings, named as the
    columns of ``values`` name them (``firms_10min`` for a 10-minute coverage walk)."""
    columns = {default_key(str(c)): str(c) for c in values.columns}
    return [
        i if columns[i.key] == i.key else replace(i, key=columns[i.key])
        for i in [*INDICATORS, *user_indicator_list(settings)]
        if i.key in columns and i.key not in settings.disabled_indicators
    ]


def mask_unmeasurable(
    values: pd.DataFrame, indicators: list[Indicator], cell_status: pd.DataFrame | None,
    masks: Mapping[str, LayerMask] | None = None,
) -> pd.DataFrame:
    """Indicator values with NaN (unknown) where a layer the indicator rests on is missing.

    Also left out: an indicator resting on a *thin* layer where its subsystem's key layer
    (:data:`KEY_LAYER`) is ``ok`` there — a proxy from thin data (firms counted from sparse POIs)
    must not dilute a measured count (jobs from the user's table) of the same subsystem.

    Parameters
    ----------
    values : DataFrame
        Raw indicator values per cell.
    indicators : list of Indicator
    cell_status : DataFrame or None
        Per-cell status of each layer (:attr:`parkscope.measures.quality.DataQuality.cell_status`); None
        leaves the values as they are.
    masks : mapping, optional
        :func:`layer_masks` of ``cell_status`` when the caller has them.
    """
    if cell_status is None:
        return values
    if masks is None:
        masks = layer_masks(cell_status)
    out = values.copy()
    n = len(values)
    for ind in indicators:
        missing = np.zeros(n, dtype=bool)
        thin = np.zeros(n, dtype=bool)
        for layer in ind.layers:
            if layer in masks:
                missing |= masks[layer].missing
                thin |= masks[layer].thin
        key = KEY_LAYER.get(ind.subsystem)
        if key is not None and key in masks and key not in ind.layers:
            missing |= thin & masks[key].ok
        if missing.any():
            if out[ind.key].dtype == np.float64:
                column = out[ind.key].to_numpy(dtype=np.float64, copy=True)
                column[missing] = np.nan
                out[ind.key] = column
            else:
                out.loc[missing, ind.key] = np.nan
    return out


@dataclass(frozen=True)
class LayerMask:
    """Where one layer is ``missing``, ``thin`` and ``ok`` in each cell (boolean arrays)."""

    missing: np.ndarray
    thin: np.ndarray
    ok: np.ndarray


def layer_masks(cell_status: pd.DataFrame) -> dict[str, LayerMask]:
    """Layer -> :class:`LayerMask` of each column of ``cell_status``, compared once as NumPy arrays."""
    out = {}
    for layer in cell_status.columns:
        status = cell_status[layer].to_numpy(dtype=object, na_value=None)
        out[str(layer)] = LayerMask(status == "missing", status == "thin", status == "ok")
    return out


def diagnose_cells(
    values: pd.DataFrame,
    valid: np.ndarray,
    settings: DiagnosisSettings,
    cell_status: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, IndexModel]:
    """Sub-indices, coupling coordination, class and lag type of each cell.

    Parameters
    ----------
    values : DataFrame
        From :func:`cell_indicators`.
    valid : ndarray of bool
        Cells that take part (those with walk nodes); the others get NaN / ``""``.
    settings : DiagnosisSettings
    cell_status : DataFrame, optional
        Per-cell status of each input layer (:mod:`parkscope.measures.quality`). An indicator resting on a
        layer missing in a cell is unknown there; a sub-index whose key layer (:data:`KEY_LAYER`)
        is missing is unknown (NaN, never 0), and so are C, T, D, class and lag type.

    Returns
    -------
    (DataFrame, IndexModel)
        ``industry``, ``city``, ``people`` (U, 0–1), ``coupling_C``, ``development_T``,
        ``coordination_D``, ``coordination_level``, ``coordination_class_zh``,
        ``coordination_class_en``, ``lag_type`` (null where unknown), ``data_status`` (``ok`` | ``thin`` |
        ``insufficient_data``) and ``data_missing`` (the missing layers, ``;``-separated); and the
        scale and weights used.
    """
    indicators = active_indicators(values, settings)
    masks = None if cell_status is None else layer_masks(cell_status)
    values = mask_unmeasurable(values, indicators, cell_status, masks)
    n = len(values)
    U = np.full((n, len(SUBSYSTEMS)), np.nan)
    C, T, D = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    level = np.zeros(n)
    level_has_na = False  # a level left unknown by the coupling makes the column float (as it was)
    zh, en, lag = (np.full(n, None, dtype=object) for _ in range(3))
    valid = np.asarray(valid, dtype=bool)
    rows = np.nonzero(valid)[0]
    if rows.size < 2:
        log.warning("fewer than two cells with walk nodes: no diagnosis")
        model = IndexModel(settings.scale)
    else:
        result, model = coupled_indices(values.iloc[rows], indicators, settings)
        for k, sub in enumerate(SUBSYSTEMS):
            U[rows, k] = result[f"U_{sub}"].to_numpy(dtype=np.float64)
        C[rows], T[rows], D[rows] = (result[c].to_numpy(dtype=np.float64) for c in ("C", "T", "D"))
        level_has_na = bool(result["level"].isna().any())
        level[rows] = result["level"].to_numpy(dtype=np.float64, na_value=np.nan)
        zh[rows], en[rows], lag[rows] = (result[c].to_numpy(dtype=object) for c in ("class_zh", "class_en",
                                                                                     "lag_type"))
    if masks is not None:
        for sub, layer in KEY_LAYER.items():
            U[masks[layer].missing, SUBSYSTEMS.index(sub)] = np.nan
    unknown = np.isnan(U).any(axis=1)
    C[unknown], T[unknown], D[unknown] = np.nan, np.nan, np.nan
    level[unknown] = 0
    zh[unknown], en[unknown], lag[unknown] = None, None, None
    data_status, data_missing = cell_data_status(cell_status, valid, unknown)
    return _diagnosis_frame(values.index, U, (C, T, D), level, level_has_na, (zh, en, lag),
                            (data_status, data_missing)), model


def _diagnosis_frame(index: pd.Index, U: np.ndarray, ctd: tuple[np.ndarray, ...], level: np.ndarray,
                     level_float: bool, classes: tuple[np.ndarray, ...], status: tuple[np.ndarray, ...]
                     ) -> pd.DataFrame:
    """The frame :func:`diagnose_cells` returns, from its columns as arrays (``classes``: zh, en and
    lag type, object arrays holding None where unknown; ``status``: data_status, data_missing)."""
    out = pd.DataFrame(
        {
            **{sub: U[:, k] for k, sub in enumerate(SUBSYSTEMS)},
            "coupling_C": ctd[0], "development_T": ctd[1], "coordination_D": ctd[2],
            "coordination_level": level if level_float else level.astype(np.int64),
            **{col: pd.Series(v, index=index, dtype=object) for col, v in
               zip(("coordination_class_zh", "coordination_class_en", "lag_type"), classes, strict=True)},
        },
        index=index,
    )
    out["data_status"], out["data_missing"] = status
    return out


@dataclass(frozen=True)
class PreviousDiagnosis:
    """What :func:`diagnose_cells` was given and returned for an earlier state of the same cells."""

    values: pd.DataFrame
    valid: np.ndarray
    cell_status: pd.DataFrame | None
    diagnosis: pd.DataFrame
    model: IndexModel | None


def rediagnose_cells(
    values: pd.DataFrame,
    valid: np.ndarray,
    settings: DiagnosisSettings,
    cell_status: pd.DataFrame | None,
    previous: PreviousDiagnosis,
) -> tuple[pd.DataFrame, IndexModel]:
    """:func:`diagnose_cells` of ``values``, re-diagnosing only the rows that differ from
    ``previous`` (their indicator values, layer statuses or walk nodes) and keeping the others.

    Under the reference scale each cell's indices rest on its own row alone, so the result equals
    :func:`diagnose_cells` of all rows (the scenario's incremental path; tested). Under any other
    scale, or when the rows, columns or model do not match, every row is diagnosed again.
    """
    valid = np.asarray(valid, dtype=bool)
    old_valid = np.asarray(previous.valid, dtype=bool)
    prev = previous.diagnosis
    if (
        settings.scale != "reference" or previous.model is None
        or list(values.columns) != list(previous.values.columns)
        or not values.index.equals(previous.values.index) or not prev.index.equals(values.index)
        or (cell_status is None) != (previous.cell_status is None)
        or (cell_status is not None and list(cell_status.columns) != list(previous.cell_status.columns))
        or valid.sum() < 2 or old_valid.sum() < 2
        or any(values[c].dtype.kind not in "fiub" or previous.values[c].dtype.kind not in "fiub"
               for c in values.columns)
    ):
        return diagnose_cells(values, valid, settings, cell_status)
    changed = valid != old_valid
    for col in values.columns:
        x = values[col].to_numpy(dtype=np.float64)
        y = previous.values[col].to_numpy(dtype=np.float64)
        changed |= ~((x == y) | (np.isnan(x) & np.isnan(y)))
    if cell_status is not None:
        for col in cell_status.columns:
            changed |= (cell_status[col].to_numpy(dtype=object, na_value=None)
                        != previous.cell_status[col].to_numpy(dtype=object, na_value=None))
    pad = np.nonzero(valid & ~changed)[0][:2]  # two unchanged cells keep the diagnosis from being empty
    if pad.size < 2:
        return diagnose_cells(values, valid, settings, cell_status)
    # the level column is float where a taking-part cell's sub-indices could not be coupled: such a
    # cell kept has an unknown U before, so those cells are diagnosed again with the changed ones
    uncoupled = valid & np.isnan(prev[list(SUBSYSTEMS)].to_numpy(dtype=np.float64)).any(axis=1)
    rows = np.union1d(np.nonzero(changed | uncoupled)[0], pad)
    part, model = diagnose_cells(values.iloc[rows], valid[rows], settings,
                                 None if cell_status is None else cell_status.iloc[rows])
    if model != previous.model:
        return diagnose_cells(values, valid, settings, cell_status)
    level_float = part["coordination_level"].dtype == np.float64

    def spliced(col: str, dtype: Any) -> np.ndarray:
        out = prev[col].to_numpy(dtype=dtype, copy=True)
        out[rows] = part[col].to_numpy(dtype=dtype)
        return out

    U = np.column_stack([spliced(sub, np.float64) for sub in SUBSYSTEMS])
    ctd = tuple(spliced(c, np.float64) for c in ("coupling_C", "development_T", "coordination_D"))
    return _diagnosis_frame(
        values.index, U, ctd,
        spliced("coordination_level", np.float64), level_float,
        tuple(spliced(c, object) for c in ("coordination_class_zh", "coordination_class_en", "lag_type")),
        tuple(spliced(c, object) for c in ("data_status", "data_missing")),
    ), model


def cell_data_status(
    cell_status: pd.DataFrame | None, valid: np.ndarray, unknown: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``data_status`` and ``data_missing`` of each cell.

    ``insufficient_data`` where the cell has no walk node or a sub-index is unknown; ``thin`` where
    a layer it uses is thin; else ``ok``. ``data_missing`` names the missing layers (``;``).
    """
    n = len(valid)
    status = np.where(unknown | ~valid, "insufficient_data", "ok").astype(object)
    if cell_status is None:
        return status, np.full(n, "", dtype=object)
    layers = list(cell_status.columns)
    table = cell_status.to_numpy(dtype=object)
    thin = (table == "thin").any(axis=1)
    status[(status == "ok") & thin] = "thin"
    # each cell's set of missing layers as a bit code; the names joined once per code met
    code = (table == "missing").astype(np.int64) @ (1 << np.arange(len(layers), dtype=np.int64))
    codes, inverse = np.unique(code, return_inverse=True)
    names = np.array([";".join(str(layer) for j, layer in enumerate(layers) if c >> j & 1) for c in codes],
                     dtype=object)
    return status, names[inverse.reshape(-1)]


def coupled_indices(
    values: pd.DataFrame, indicators: list[Indicator], settings: DiagnosisSettings
) -> tuple[pd.DataFrame, IndexModel]:
    """U of each subsystem, C, T, D, class and lag type of every row of raw indicator values.

    The shared core of the cell diagnosis (rows = cells) and of benchmarking (rows = parks,
    :func:`parkscope.outputs.compare.benchmark_indices`). NaN in ``values`` means "not measurable in this
    row": the row's U of a subsystem is the weighted mean of its measured scaled indicators, with
    the weights renormalised over them, and NaN when none is measured; C, T, D, level, class and
    lag type are NaN / ``<NA>`` / ``""`` in a row where any U is NaN.

    ``settings.scale`` chooses the scale (docs/methods.md §8):

    * ``reference`` — fixed bounds from ``data/reference.toml`` (:mod:`parkscope.measures.reference`);
      ``entropy`` weights are those computed over the reference cells (shipped), so neither the
      scale nor the weights depend on the rows given;
    * ``study_area`` — min–max over the rows; indicators equal in every row are left out, so are
      those above their minimum in fewer than ``min_presence`` of the rows; entropy weights over
      the rows (those with every indicator of the subsystem measured).

    ``log1p`` applies where the indicator asks for it and ``log_transform`` is on.

    Returns
    -------
    (DataFrame, IndexModel)
        ``U_industry``, ``U_city``, ``U_people``, ``C``, ``T``, ``D``, ``level`` (nullable
        integer), ``class_zh``, ``class_en``, ``lag_type``; and the scale, reference version,
        weights and left-out indicators (:class:`IndexModel`).
    """
    if settings.scale == "reference":
        reference = load_reference()
        norm = scale_to_reference(
            values, [ScaledIndicator(i.key, i.direction, i.log) for i in indicators],
            _reference_bounds(indicators, reference, settings),
            log_transform=settings.log_transform, shift=settings.shift,
        )
        used, sparse, constant = list(indicators), [], []
        weights = _reference_weights(used, reference, settings)
        version: str | None = reference.version
    else:
        norm, used, sparse, constant = _scale_to_rows(values, indicators, settings)
        weights = _row_weights(norm, used, settings)
        version = None
    U = np.column_stack(
        [
            nan_weighted_index(
                norm[[i.key for i in used if i.subsystem == sub]],
                {i.key: weights[i.key] for i in used if i.subsystem == sub},
            )
            for sub in SUBSYSTEMS
        ]
    )
    result = _couple_rows(U, settings)
    result.index = values.index
    model = IndexModel(
        settings.scale, version, {k: round(float(v), 6) for k, v in weights.items()}, tuple(sparse),
        tuple(constant),
    )
    return result, model


def _reference_bounds(
    indicators: list[Indicator], reference: Reference, settings: DiagnosisSettings
) -> dict[str, tuple[float, float]]:
    """(lo, hi) of each indicator: the shipped bounds, or the user's for ``user_<name>``."""
    bounds = {k: (b.lo, b.hi) for k, b in reference.bounds.items()}
    for name, u in settings.user_indicators.items():
        if u.get("lo") is not None and u.get("hi") is not None:
            bounds[f"user_{name}"] = (float(u["lo"]), float(u["hi"]))
    return {i.key: bounds[default_key(i.key)] for i in indicators if default_key(i.key) in bounds}


def _per_subsystem(raw: Mapping[str, float], used: list[Indicator]) -> dict[str, float]:
    """Weights renormalised to sum to 1 within each subsystem (a subsystem of zeros stays 0)."""
    totals = {sub: sum(raw[i.key] for i in used if i.subsystem == sub) for sub in SUBSYSTEMS}
    return {i.key: raw[i.key] / totals[i.subsystem] if totals[i.subsystem] > 0 else 0.0 for i in used}


def _fixed_weights(used: list[Indicator], settings: DiagnosisSettings) -> dict[str, float] | None:
    """Equal, given or AHP weights (per subsystem); None for entropy."""
    if settings.weights == "equal":
        return _per_subsystem({i.key: 1.0 for i in used}, used)
    if settings.weights in ("given", "ahp"):
        return _per_subsystem(
            {i.key: settings.indicator_weights.get(default_key(i.key), 1.0) for i in used}, used
        )
    return None


def _reference_weights(
    used: list[Indicator], reference: Reference, settings: DiagnosisSettings
) -> dict[str, float]:
    """Weights under ``scale = "reference"``: shipped entropy weights, equal, given or AHP.

    A user indicator has no shipped entropy weight: it weighs as much as the mean shipped
    indicator of its subsystem.
    """
    fixed = _fixed_weights(used, settings)
    if fixed is not None:
        return fixed
    shipped = reference.entropy_weights(settings.log_transform)
    raw = {}
    for i in used:
        own = [shipped[j.key] for j in INDICATORS if j.subsystem == i.subsystem and j.key in shipped]
        raw[i.key] = shipped.get(default_key(i.key), float(np.mean(own)) if own else 1.0)
    return _per_subsystem(raw, used)


def _scale_to_rows(
    values: pd.DataFrame, indicators: list[Indicator], settings: DiagnosisSettings
) -> tuple[pd.DataFrame, list[Indicator], list[str], list[str]]:
    """Min–max scaling over the rows (``scale = "study_area"``), NaN kept.

    Returns the scaled frame, the indicators used, and those left out as sparse or constant.
    """
    norm = pd.DataFrame(index=values.index)
    used, sparse, constant = [], [], []
    for ind in indicators:
        v = values[ind.key].to_numpy(dtype=np.float64)
        measured = v[np.isfinite(v)]
        presence = float(np.mean(measured > measured.min())) if measured.size else 0.0
        if presence == 0:
            constant.append(ind.key)  # no information (e.g. no building mapped): would dilute U
            continue
        if presence < settings.min_presence:
            # entropy weighting would give this rarely-present indicator most of its subsystem's weight
            sparse.append(ind.key)
            continue
        x = np.log1p(np.maximum(v, 0)) if (ind.log and settings.log_transform) else v
        lo, hi = np.nanmin(x), np.nanmax(x)
        scaled = (x - lo) / (hi - lo)
        norm[ind.key] = (scaled if ind.direction == "positive" else 1.0 - scaled) + settings.shift
        used.append(ind)
    return norm, used, sparse, constant


def _row_weights(norm: pd.DataFrame, used: list[Indicator], settings: DiagnosisSettings) -> dict[str, float]:
    """Weights under ``scale = "study_area"``: entropy over the rows, equal, given or AHP.

    Entropy weights of a subsystem are computed over the rows where all its indicators are
    measured; with fewer than two such rows they are equal.
    """
    fixed = _fixed_weights(used, settings)
    if fixed is not None:
        return fixed
    raw: dict[str, float] = {}
    for sub in SUBSYSTEMS:
        keys = [i.key for i in used if i.subsystem == sub]
        complete = norm[keys].dropna()
        if keys:
            w = entropy_weights(complete) if len(complete) >= 2 else pd.Series(1.0, index=keys)
            raw.update({k: float(w[k]) for k in keys})
    return _per_subsystem(raw, used)


def _couple_rows(U: np.ndarray, settings: DiagnosisSettings) -> pd.DataFrame:
    """C, T, D, level, class and lag type of rows of (industry, city, people); NaN rows stay empty."""
    n = U.shape[0]
    ok = np.isfinite(U).all(axis=1)
    C, T, D = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    level = pd.array([pd.NA] * n, dtype="Int64")
    zh, en, lag = (np.full(n, "", dtype=object) for _ in range(3))
    if ok.any():
        u = U[ok]
        c, t, d = _ctd(u, settings)
        lv, z, e = coordination_class(d)
        C[ok], T[ok], D[ok] = c, t, d
        level[ok] = lv
        zh[ok], en[ok] = z, e
        lag[ok] = lag_type(u[:, 0], u[:, 1], settings.lag_threshold)
    out = pd.DataFrame({f"U_{sub}": U[:, k] for k, sub in enumerate(SUBSYSTEMS)})
    out["C"], out["T"], out["D"] = C, T, D
    out["level"], out["class_zh"], out["class_en"], out["lag_type"] = level, zh, en, lag
    return out


def couple(U: np.ndarray, settings: DiagnosisSettings) -> tuple[float, float, float]:
    """C, T and D of one row of sub-indices with the diagnosis settings."""
    u = np.asarray(U, dtype=np.float64)[None, :]
    if not np.isfinite(u).all():
        return float("nan"), float("nan"), float("nan")
    c, t, d = _ctd(u, settings)
    return float(c[0]), float(t[0]), float(d[0])


def _ctd(u: np.ndarray, settings: DiagnosisSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """C, T and D of rows of known (industry, city, people)."""
    c = coupling_wang2021(u) if settings.coupling == "wang2021" else coupling_classic(
        u, settings.coupling_exponent
    )
    given = settings.subsystem_weights
    t = development(u, None if given is None else [given[s] for s in SUBSYSTEMS])
    return c, t, coordination(c, t)


def park_integration(
    cells: pd.DataFrame,
    diag: pd.DataFrame,
    model: IndexModel,
    in_catchment: np.ndarray,
    reach: Reach,
    within_m: float,
    settings: DiagnosisSettings,
    sources: Mapping[str, str],
    park_counts: Mapping[str, float] | None = None,
    values: pd.DataFrame | None = None,
    quality: DataQuality | None = None,
) -> dict[str, Any]:
    """The ``integration`` block of summary.json.

    The park's sub-indices are the means of its cells' sub-indices weighted by each cell's overlap
    with the park; C, T, D and the lag type follow from them. Jobs and residents are counted within
    the coverage walk of the park (every node within ``within_m`` of a park node), and in the park
    (``park_counts`` when given — e.g. the buildings standing in the park — else cell totals
    weighted by the share of each cell inside the park). ``indicators`` holds the park's raw value
    of every indicator (the overlap-weighted mean over its cells), which ``parkscope compare
    --reference parks`` normalises across a set of parks. ``model`` is what :func:`diagnose_cells`
    returned beside ``diag`` (the scale and weights, recorded in the ``model`` block).
    """
    w, ok = park_cell_weights(cells)
    U, missing = park_subindices(diag, w, ok, settings, quality)
    if np.isfinite(U).all():
        C, T, D = couple(U, settings)
        level, zh, en = coordination_class(np.array([D]))
        lag = str(lag_type(U[0:1], U[1:2], settings.lag_threshold)[0])
        cls = {"level": int(level[0]), "zh": str(zh[0]), "en": str(en[0])}
    else:
        C = T = D = float("nan")
        cls, lag = None, None
    lagging = weakest_subsystem(U, settings.lag_threshold)
    # counts in the park rest on their own layer; counts within the walk also on the network
    network_ok = quality is None or quality.status("network") != "missing"
    in_park_known = {
        kind: quality is None or quality.status(kind) != "missing" for kind in ("jobs", "residents")
    }
    known = {kind: network_ok and in_park_known[kind] for kind in ("jobs", "residents")}
    jobs_15 = reach.within("jobs", in_catchment) if known["jobs"] else float("nan")
    res_15 = reach.within("residents", in_catchment) if known["residents"] else float("nan")
    ratio = jobs_15 / res_15 if res_15 > 0 else float("nan")
    reading = jobs_housing_reading(ratio, settings) if all(known.values()) else "unknown"
    share = cells["park_overlap_m2"].to_numpy() / cells["area_m2"].to_numpy()
    in_park = dict(park_counts or {})
    for kind in ("jobs", "residents"):
        in_park.setdefault(kind, float(np.nansum(diag[kind].to_numpy() * share)))
    return {
        "status": "ok" if not missing else "insufficient_data",
        "missing": missing,
        "fix": _fixes(missing),
        "cautions": _cautions(quality),
        "industry": _r(U[0]),
        "city": _r(U[1]),
        "people": _r(U[2]),
        "coupling_C": _r(C),
        "development_T": _r(T),
        "coordination_D": _r(D),
        "class": cls,
        "lag_type": lag,
        "lag_type_zh": LAG_LABELS[lag][0] if lag else None,
        **lagging,
        "jobs": _round_count(jobs_15),
        "residents": _round_count(res_15),
        "jobs_housing_ratio": _r(ratio),
        "jobs_housing_reading": reading,
        "catchment": f"nodes within {within_m:.0f} m walk of the park",
        "jobs_in_park": _round_count(in_park["jobs"]) if in_park_known["jobs"] else None,
        "residents_in_park": _round_count(in_park["residents"]) if in_park_known["residents"] else None,
        "jobs_source": sources["jobs"],
        "residents_source": sources["residents"],
        "cells_diagnosed": int(diag["industry"].notna().sum()),
        "indicators": _park_indicator_values(
            None if values is None else mask_unmeasurable(
                values, active_indicators(values, settings), quality.cell_status if quality else None
            ),
            w, ok, settings, model,
        ),
        "model": {
            "scale": settings.scale,
            "reference_version": model.reference_version,
            "weights": settings.weights,
            "coupling": settings.coupling,
            "coupling_exponent": settings.coupling_exponent,
            "lag_threshold": settings.lag_threshold,
            "shift": settings.shift,
            "log_transform": settings.log_transform,
            "employment_rate": settings.employment_rate,
            "indicator_weights": dict(model.weights),
            "left_out_sparse": list(model.left_out_sparse),
            "left_out_constant": list(model.left_out_constant),
            "min_presence": settings.min_presence,
        },
    }


def park_cell_weights(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Weight of each cell in the park's figures (its overlap with the park) and the cells that count.

    The cells that count are those overlapping the park that hold walk nodes (a diagnosed cell);
    a park smaller than any cell centre and with no walk node uses the cells it touches, equally.
    """
    w = cells["park_overlap_m2"].to_numpy(dtype=np.float64)
    has_nodes = cells["n_nodes"].to_numpy() > 0
    ok = (w > 0) & has_nodes
    if not ok.any():
        ok = has_nodes & cells["in_park"].to_numpy()
        w = np.ones(len(cells))
    return w, ok


#: Share of the park (by overlap) whose cells must have a sub-index for the park to have one.
MIN_PARK_SHARE = 0.5


def park_subindices(
    diag: pd.DataFrame, w: np.ndarray, ok: np.ndarray, settings: DiagnosisSettings,
    quality: DataQuality | None,
) -> tuple[np.ndarray, list[str]]:
    """The park's sub-indices (overlap-weighted means over its cells) and why any is unknown.

    A sub-index is unknown when its key layer (:data:`KEY_LAYER`) is missing in the study area, or
    when cells covering less than :data:`MIN_PARK_SHARE` of the park have it.
    """
    U = np.full(len(SUBSYSTEMS), np.nan)
    missing: list[str] = []
    total = float(w[ok].sum())
    if quality is not None and quality.status("network") == "missing":
        reasons = "; ".join(quality.layers["network"].reasons)
        return U, [f"network missing ({reasons})"]
    for i, sub in enumerate(SUBSYSTEMS):
        layer = KEY_LAYER[sub]
        if quality is not None and quality.status(layer) == "missing":
            q = quality.layers[layer]
            missing.append(f"{sub}: {layer} missing ({'; '.join(q.reasons)})")
            continue
        u = diag[sub].to_numpy(dtype=np.float64)
        has = ok & np.isfinite(u)
        share = float(w[has].sum()) / total if total > 0 else 0.0
        if not has.any() or share < MIN_PARK_SHARE:
            if total > 0:
                missing.append(
                    f"{sub}: only {100 * share:.0f} % of the park lies in cells where it can be measured "
                    f"({layer} missing there)"
                )
            continue
        U[i] = float(np.average(u[has], weights=w[has]))
    if total == 0 and not missing:
        missing.append("network: no cell of the park holds a walk-network node")
    return U, missing


def weakest_subsystem(U: np.ndarray, threshold: float) -> dict[str, Any]:
    """``lagging``: the weakest of industry, city and people, or ``balanced``, and by how much.

    As in ``parkscope ccd``: the lowest sub-index lags when it is below ``1 - threshold`` times the
    highest. ``lagging_gap`` is the highest minus the lowest, ``lagging_ratio`` the lowest over the
    highest. All None when a sub-index is unknown.
    """
    if not np.isfinite(U).all():
        return {"lagging": None, "leading": None, "lagging_gap": None, "lagging_ratio": None}
    top, low = int(np.argmax(U)), int(np.argmin(U))
    ratio = float(U[low] / U[top]) if U[top] > 0 else float("nan")
    lags = U[top] > 0 and ratio < 1 - threshold
    return {
        "lagging": SUBSYSTEMS[low] if lags else "balanced",
        "leading": SUBSYSTEMS[top] if lags else None,
        "lagging_gap": _r(float(U[top] - U[low])),
        "lagging_ratio": _r(ratio),
    }


def _fixes(missing: list[str]) -> list[str]:
    """What to add, once per layer named in ``missing``."""
    layers = [layer for layer in ("network", *KEY_LAYER.values()) if any(layer in m for m in missing)]
    return [FIXES[layer] for layer in dict.fromkeys(layers)]


def _cautions(quality: DataQuality | None) -> list[str]:
    """One line per thin layer: the verdict stands, with this caution."""
    if quality is None:
        return []
    return [
        f"{name} thin: {'; '.join(q.reasons)}" for name, q in quality.layers.items() if q.status == "thin"
    ]


def scale_counts(values: pd.DataFrame, jobs_by: float, residents_by: float, employment_rate: float
                 ) -> pd.DataFrame:
    """The cell values with every jobs figure times ``jobs_by`` and every residents figure times
    ``residents_by`` (densities and walk sums are proportional to them; the balance is recomputed)."""
    out = values.copy()
    by_key = {default_key(str(c)): c for c in out.columns}  # jobs_15min under any minutes
    for key in ("jobs", "job_density", "jobs_15min"):
        if key in by_key:
            out[by_key[key]] = out[by_key[key]] * jobs_by
    for key in ("residents", "resident_density", "residents_15min"):
        if key in by_key:
            out[by_key[key]] = out[by_key[key]] * residents_by
    if {"jobs_15min", "residents_15min"} <= set(by_key):
        out["jobs_housing_balance"] = jobs_housing_balance(
            out[by_key["jobs_15min"]].to_numpy(), out[by_key["residents_15min"]].to_numpy(), employment_rate
        )
    return out


def verdict_within_error(
    cells: pd.DataFrame,
    values: pd.DataFrame,
    valid: np.ndarray,
    settings: DiagnosisSettings,
    quality: DataQuality | None,
    factors: Mapping[str, float],
    park_cells_only: bool = True,
) -> dict[str, Any]:
    """Would the park's verdict change within the stated error of the jobs and residents estimates?

    The estimates are taken at the ends of their error (``factors``: jobs and residents each times
    ``1/f`` and ``f``, the four corners) and the park diagnosed again. Reports the lag types and
    the range of D met, and whether the lag type stays the same (``lag_type_stable``).
    ``checked`` is False when no estimate has a stated error (tables, rasters, head-counts: their
    error is the user's). ``park_cells_only`` (default) diagnoses only the park's cells, the four
    corners in one frame, when the scale is ``reference`` (the same result: each cell's indices
    rest on its own row); False diagnoses every cell at each corner.
    """
    fj, fr = float(factors.get("jobs") or 1.0), float(factors.get("residents") or 1.0)
    out: dict[str, Any] = {
        "checked": fj > 1 or fr > 1, "jobs_factor": _r(fj, 3), "residents_factor": _r(fr, 3),
    }
    if not out["checked"]:
        return out
    w, ok = park_cell_weights(cells)
    valid = np.asarray(valid, dtype=bool)
    status = quality.cell_status if quality else None
    corners = [(sj, sr) for sj in sorted({1 / fj, fj}) for sr in sorted({1 / fr, fr})]
    if park_cells_only and settings.scale == "reference" and np.count_nonzero(valid & ok) >= 2:
        # Under the fixed reference scale and weights a cell's indices rest on its own row alone,
        # and the park's figures on its cells alone: the park's cells at the four corners, stacked
        # in one frame and diagnosed at once, give the verdict every cell gives (a scenario re-runs
        # this on each change).
        rows = np.nonzero(ok)[0]
        n = rows.size
        part = values.iloc[rows].reset_index(drop=True)
        stacked = pd.concat([scale_counts(part, sj, sr, settings.employment_rate) for sj, sr in corners],
                            ignore_index=True)
        part_status = None if status is None else pd.concat([status.iloc[rows]] * len(corners),
                                                            ignore_index=True)
        diag_all, _ = diagnose_cells(stacked, np.tile(valid[rows], len(corners)), settings, part_status)
        diags = [diag_all.iloc[i * n:(i + 1) * n].reset_index(drop=True) for i in range(len(corners))]
        w, ok = w[rows], ok[rows]
    else:
        diags = [diagnose_cells(scale_counts(values, sj, sr, settings.employment_rate), valid, settings,
                                status)[0] for sj, sr in corners]
    lags, Ds = [], []
    for diag in diags:
        U, missing = park_subindices(diag, w, ok, settings, quality)
        if missing or not np.isfinite(U).all():
            continue
        Ds.append(couple(U, settings)[2])
        lags.append(str(lag_type(U[0:1], U[1:2], settings.lag_threshold)[0]))
    out["lag_types"] = sorted(set(lags))
    out["lag_type_stable"] = len(set(lags)) == 1 if lags else None
    out["coordination_D_range"] = [_r(min(Ds)), _r(max(Ds))] if Ds else None
    return out


def _park_indicator_values(
    values: pd.DataFrame | None, w: np.ndarray, ok: np.ndarray, settings: DiagnosisSettings,
    model: IndexModel,
) -> dict[str, dict[str, Any]]:
    """Raw park value of each measured indicator: the mean over the park's cells weighted by overlap."""
    if values is None or not ok.any():
        return {}
    left_out = model.left_out
    out = {}
    for ind in active_indicators(values, settings):
        v = values[ind.key].to_numpy(dtype=np.float64)
        has = ok & np.isfinite(v)
        out[ind.key] = {
            "value": _r(float(np.average(v[has], weights=w[has])), 6) if has.any() else None,
            "subsystem": ind.subsystem,
            "direction": ind.direction,
            "log": ind.log,
            "used": ind.key not in left_out,
        }
    return out


def _round_count(x: float) -> int | None:
    return None if x is None or not np.isfinite(x) else round(float(x))


def _r(x: float, nd: int = 4) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


#: Crown radius given to a mapped single tree, and half-width given to a tree row (metres).
TREE_CROWN_RADIUS_M = 4.0
TREE_ROW_HALF_WIDTH_M = 3.0


def tree_cover_share(trees: gpd.GeoDataFrame, park_m: BaseGeometry, crs: Any) -> float | None:
    """Share of the park under mapped tree cover: woods and forests, tree rows (6 m wide) and single
    trees (a crown of 4 m radius). None when no tree of any kind is mapped in the study area —
    unknown, not zero: many cities map no single trees."""
    if trees.empty or shapely.area(park_m) <= 0:
        return None
    geoms = trees.geometry.to_crs(crs).values
    kind = shapely.get_type_id(geoms)
    shapes = np.where(
        np.isin(kind, (3, 6)),
        geoms,
        shapely.buffer(geoms, np.where(kind == 0, TREE_CROWN_RADIUS_M, TREE_ROW_HALF_WIDTH_M)),
    )
    cover = shapely.union_all(shapely.make_valid(shapes))
    return float(shapely.area(shapely.intersection(cover, park_m)) / shapely.area(park_m))


def park_cover_measures(
    features: gpd.GeoDataFrame, park_m: BaseGeometry, crs: Any
) -> dict[str, float | None]:
    """The park measures that rest on the mapped features alone: the shares of the park under green,
    under trees and closed to the public (a scenario, which changes no feature, keeps them)."""
    park_area = float(shapely.area(park_m))

    def cover(name: str) -> float:
        polys = feature_set(features, name).geometry.to_crs(crs)
        polys = polys[polys.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polys.empty or park_area <= 0:
            return 0.0
        union = shapely.union_all(shapely.make_valid(polys.values))
        return float(shapely.area(shapely.intersection(union, park_m)) / park_area)

    return {
        "green_share_park": cover("green"),
        "tree_cover_share": tree_cover_share(feature_set(features, "trees"), park_m, crs),
        "closed_share_park": cover("closed"),
    }


def park_measures(
    park_m: BaseGeometry,
    cells: pd.DataFrame,
    values: pd.DataFrame,
    network: WalkNetwork,
    in_catchment: np.ndarray,
    reach: Reach,
    features: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame | None,
    integration: Mapping[str, Any],
    park_score: float,
    settings: DiagnosisSettings,
    quality: DataQuality | None = None,
    minutes: float = DEFAULT_MINUTES,
    cover_measures: Mapping[str, float | None] | None = None,
    building_xy: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, float | None]:
    """Park-level values of the OpenStreetMap indicators of the five-park scorecard.

    ``cover_measures``: :func:`park_cover_measures` when the caller has them (else measured here).
    ``building_xy``: a point of each building in the network's CRS when the caller has them (the
    population stage's :func:`representative_xy`; else computed here).

    Parameters
    ----------
    park_m : shapely geometry
        The park in the network's metric CRS.
    cells, values : DataFrame
        The cells (with ``park_overlap_m2`` and ``score_<category>``) and their indicators.
    in_catchment : ndarray of bool
        Nodes within the coverage walk of the park.
    integration : mapping
        The ``integration`` block (jobs in the park, jobs and residents within reach).
    park_score : float
        The park's life-convenience score.
    minutes : float
        The coverage walk in minutes: it names what is counted within it (``bike_share_10min``).

    Returns
    -------
    dict
        Indicator name -> value, None where it cannot be measured.
    """
    crs = network.crs
    park_area = float(shapely.area(park_m))
    park_ha, park_km2 = park_area / 1e4, park_area / 1e6
    frame = pd.concat([cells[["park_overlap_m2"]], values], axis=1)
    for col in ("score_parks", "score_transit", "score_culture", "score_sports"):
        if col in cells.columns:
            frame[col] = cells[col]

    def weighted(col: str) -> float | None:
        if col not in frame.columns:
            return None
        v = park_weighted_mean(frame, col)
        return None if not np.isfinite(v) else v

    def in_reach(name: str) -> float:
        sites = feature_set(features, name)
        if sites.empty:
            return 0.0
        x, y = representative_xy(sites.geometry.to_crs(crs))
        return float(in_catchment[nearest_nodes(network, x, y)].sum())

    covers = cover_measures if cover_measures is not None else park_cover_measures(features, park_m, crs)
    out: dict[str, float | None] = {}
    out["innovation_sites_15min"] = reach.within("innovation_sites", in_catchment)
    jobs_in_park = integration["jobs_in_park"]
    out["job_density_park"] = jobs_in_park / park_ha if park_ha > 0 and jobs_in_park is not None else None
    if buildings is not None and len(buildings):
        if building_xy is not None and len(building_xy[0]) == len(buildings):
            x, y = building_xy
        else:
            x, y = representative_xy(buildings.geometry.to_crs(crs))
        inside = shapely.contains_xy(park_m, x, y)
        work_m2, home_m2 = workplace_and_housing_floor(buildings)
        work, home = float(work_m2[inside].sum()), float(home_m2[inside].sum())
        out["workplace_floor_share"] = work / (work + home) if work + home > 0 else None
    else:
        out["workplace_floor_share"] = None
    out["green_share_park"] = covers["green_share_park"]
    out["park_access"] = weighted("score_parks")
    out["tree_cover_share"] = covers["tree_cover_share"]
    out["transit_access"] = weighted("score_transit")
    out["bike_share_15min"] = in_reach("bike_share")
    out["ev_charging_15min"] = in_reach("ev_charging")
    out["life_convenience"] = park_score if park_score is not None and np.isfinite(park_score) else None
    parts = [v for v in (weighted("score_culture"), weighted("score_sports")) if v is not None]
    out["culture_sports_access"] = float(np.mean(parts)) if parts else None
    out["amenity_diversity"] = weighted("amenity_diversity")
    jobs_15, residents_15 = integration["jobs"], integration["residents"]
    out["jobs_housing_balance"] = (
        float(jobs_housing_balance(np.array([jobs_15]), np.array([residents_15]),
                                   settings.employment_rate)[0])
        if jobs_15 is not None and residents_15 is not None else None
    )
    out["public_access_share"] = 1.0 - covers["closed_share_park"]
    inter = intersection_mask(network)
    n_inter = shapely.contains_xy(park_m, network.x[inter], network.y[inter]).sum()
    out["intersection_density_park"] = float(n_inter) / park_km2 if park_km2 > 0 else None
    if not in_catchment.any():
        # no walk node in or next to the park (on water, say): what a walk reaches is unknown, not 0
        for key in ("innovation_sites_15min", "bike_share_15min", "ev_charging_15min",
                    "jobs_housing_balance"):
            out[key] = None
    if quality is not None:
        # what rests on a missing layer is unknown, not 0: it lowers the scorecard's coverage; so is
        # a zero from a thin layer (no research site mapped in a sparsely mapped city is no evidence)
        for key, layers in MEASURE_LAYERS.items():
            status = [quality.status(layer) for layer in layers]
            if "missing" in status or ("thin" in status and out.get(key) == 0):
                out[key] = None
    return {named(key, minutes): value for key, value in out.items()}


#: The input layers each park measure of the five-park scorecard rests on.
MEASURE_LAYERS: dict[str, tuple[str, ...]] = {
    "innovation_sites_15min": ("amenities", "network"),
    "job_density_park": ("jobs",),
    "workplace_floor_share": ("buildings",),
    "green_share_park": ("amenities",),
    "park_access": ("amenities", "network"),
    "tree_cover_share": ("amenities",),
    "transit_access": ("amenities", "network"),
    "bike_share_15min": ("amenities", "network"),
    "ev_charging_15min": ("amenities", "network"),
    "life_convenience": ("amenities", "network"),
    "culture_sports_access": ("amenities", "network"),
    "amenity_diversity": ("amenities", "network"),
    "jobs_housing_balance": ("jobs", "residents"),
    "public_access_share": ("amenities",),
    "intersection_density_park": ("network",),
}
