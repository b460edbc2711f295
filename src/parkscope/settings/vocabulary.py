"""Shared vocabulary of the diagnosis: the subsystems, the indicators and the input layers they
rest on, the lag types and their labels.

The bottom layer of the package: it imports nothing of parkscope, so that the settings can check
names against it and every layer above can use the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SUBSYSTEMS: tuple[str, ...] = ("industry", "city", "people")


#: The input layers whose completeness parkscope measures (:mod:`parkscope.measures.quality`), and
#: their statuses.
LAYERS: tuple[str, ...] = ("network", "amenities", "buildings", "jobs", "residents")
STATUSES: tuple[str, ...] = ("ok", "thin", "missing")


@dataclass(frozen=True)
class Indicator:
    """One indicator of the diagnosis.

    Attributes
    ----------
    key : str
        Column name in cells.gpkg.
    subsystem : str
        ``industry``, ``city`` or ``people``.
    direction : str
        ``positive`` (more is better) or ``negative``.
    log : bool
        Counts and densities are skewed: ``log1p`` before normalisation when
        ``diagnosis.log_transform`` is on.
    en, zh, unit : str
        Labels for reports.
    layers : tuple of str
        The input layers (:data:`LAYERS`) the indicator rests on: where one of
        them is missing, the indicator is unknown (NaN), never 0. Empty for the user's own tables.
    """

    key: str
    subsystem: str
    direction: str
    log: bool
    en: str
    zh: str
    unit: str
    layers: tuple[str, ...] = ()


INDICATORS: tuple[Indicator, ...] = (
    Indicator("job_density", "industry", "positive", True, "Job density", "就业岗位密度", "jobs/km²",
              layers=("jobs",)),
    Indicator("workplace_floor_ratio", "industry", "positive", True,
              "Workplace floor area per land area", "产业建筑面积/用地面积", "m²/m²", layers=("buildings",)),
    Indicator("firms_15min", "industry", "positive", True,
              "Firms and workplaces mapped within 15 min", "15分钟步行范围内企业与机构数", "count",
              layers=("amenities",)),
    Indicator("innovation_sites_15min", "industry", "positive", True,
              "Research, university and incubator sites within 15 min",
              "15分钟步行范围内科研、高校与孵化机构数", "count", layers=("amenities",)),
    Indicator("life_convenience", "city", "positive", False, "Life-convenience score", "生活便利度", "0–10",
              layers=("amenities",)),
    Indicator("amenity_diversity", "city", "positive", False,
              "Amenity mix within 15 min (Shannon evenness)", "15分钟步行范围内设施多样性", "0–1",
              layers=("amenities",)),
    Indicator("transit_access", "city", "positive", False,
              "Public transport access", "公共交通可达性", "0–1", layers=("amenities",)),
    Indicator("green_share", "city", "positive", False, "Green space share", "绿地占比", "0–1",
              layers=("amenities",)),
    Indicator("park_access", "city", "positive", False, "Park access", "公园可达性", "0–1",
              layers=("amenities",)),
    Indicator("intersection_density", "city", "positive", True,
              "Street intersection density", "路网交叉口密度", "per km²", layers=("network",)),
    Indicator("resident_density", "people", "positive", True,
              "Resident density", "居住人口密度", "residents/km²", layers=("residents",)),
    Indicator("jobs_housing_balance", "people", "positive", False,
              "Jobs–housing balance within 15 min", "15分钟步行范围内职住平衡度", "0–1",
              layers=("jobs", "residents")),
    Indicator("housing_floor_share", "people", "positive", False,
              "Housing share of floor area", "居住建筑面积占比", "0–1", layers=("buildings",)),
)
INDICATOR_BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}
#: The layer that carries most of each subsystem's weight: where it is missing, the sub-index is unknown.
KEY_LAYER: dict[str, str] = {"industry": "jobs", "city": "amenities", "people": "residents"}

LAG_LABELS: dict[str, tuple[str, str]] = {
    "industry_without_city": ("有产无城", "industry without city (the city lags)"),
    "city_without_industry": ("有城无产", "city without industry (industry lags)"),
    "balanced": ("产城协调", "balanced"),
}

#: ``[park_data]`` keys that are five-park indicators given by the user
#: (parkscope.diagnoses.fivepark.SCORECARD).
PARK_DATA_USER_KEYS: tuple[str, ...] = (
    "rd_intensity_pct", "patents_per_1000_jobs", "innovation_chain_completeness",
    "energy_use_kwh_per_m2", "space_utilisation", "cooperation_agreements",
)
#: ``[park_data]`` keys that name a list or a file from which an indicator is computed.
PARK_DATA_FILE_KEYS: tuple[str, ...] = ("innovation_chain", "firms_csv", "space_csv")

#: One palette for the ten coordination classes in every output (QGIS styles, report map, legend):
#: ColorBrewer RdYlGn at the middle of each tenth, 极度失调 (red) … 优质协调 (green).
COORDINATION_COLOURS: tuple[str, ...] = (
    "#bd1726", "#e54e35", "#f98e52", "#fdc776", "#fff0a6",
    "#ecf7a6", "#bfe47a", "#84ca66", "#3faa59", "#0c7f43",
)
#: Colours of the lag types (ColorBrewer Dark2) in every output; "" = no verdict.
LAG_COLOURS: dict[str, str] = {
    "industry_without_city": "#d95f02",
    "city_without_industry": "#7570b3",
    "balanced": "#1b9e77",
    "": "#d9d9d9",
}


#: A cell column ``share<M>_<category>``: the share of the cell's nodes with the category within M minutes.
SHARE_COLUMN = re.compile(r"^share(\d+(?:\.\d+)?)_(.+)$")

#: The default coverage walk (``[score] coverage_minutes``): names built with it are today's
#: (``firms_15min``), and every earlier output's.
DEFAULT_MINUTES: float = 15.0
#: What is counted within the coverage walk, by stem; the name carries the minutes: ``firms_15min``.
WITHIN_STEMS: tuple[str, ...] = (
    "jobs", "residents", "firms", "innovation_sites", "jobs_housing_ratio", "bike_share", "ev_charging",
)
_WITHIN_NAME = re.compile(r"^(?P<stem>.+)_(?P<minutes>\d+(?:\.\d+)?)min$")


def minutes_text(minutes: float) -> str:
    """The coverage minutes as they appear in names: ``15``, ``12.5``."""
    return f"{float(minutes):g}"


def within_name(stem: str, minutes: float = DEFAULT_MINUTES) -> str:
    """Name of what is counted within a walk of ``minutes``: ``within_name("firms", 10)`` is
    ``firms_10min``. The one builder of such names (cell columns, indicator keys, scorecard keys,
    summary keys)."""
    return f"{stem}_{minutes_text(minutes)}min"


def within_stem(name: str) -> str | None:
    """The stem of a name built by :func:`within_name` from :data:`WITHIN_STEMS` (``firms_10min`` ->
    ``firms``); None for any other name."""
    match = _WITHIN_NAME.match(name)
    return match["stem"] if match and match["stem"] in WITHIN_STEMS else None


def within_minutes(name: str) -> float | None:
    """The minutes in a name built by :func:`within_name` from :data:`WITHIN_STEMS`
    (``firms_10min`` -> 10.0); None for any other name."""
    match = _WITHIN_NAME.match(name)
    return float(match["minutes"]) if match and match["stem"] in WITHIN_STEMS else None


def named(key: str, minutes: float) -> str:
    """``key`` as named under a coverage walk of ``minutes``: ``named("firms_15min", 10)`` is
    ``firms_10min``; a key that carries no minutes (``job_density``) is returned as it is."""
    stem = within_stem(key)
    return key if stem is None else within_name(stem, minutes)


def default_key(name: str) -> str:
    """The key of ``name`` at the default minutes (``firms_10min`` -> ``firms_15min``): the key under
    which :data:`INDICATORS`, the scorecard, ``data/reference.toml`` and the settings know it."""
    return named(name, DEFAULT_MINUTES)


def minutes_label(text: str, minutes: float) -> str:
    """A label written for the default 15 minutes, for a walk of ``minutes`` ("within 15 min",
    "15-minute walk", "15分钟")."""
    if float(minutes) == DEFAULT_MINUTES:
        return text
    m = minutes_text(minutes)
    for default, given in (("15 min", f"{m} min"), ("15-minute", f"{m}-minute"), ("15分钟", f"{m}分钟")):
        text = text.replace(default, given)
    return text



def share_column(category: str, minutes: float) -> str:
    """Cell column of the share of nodes with ``category`` within ``minutes``: ``share15_dining``."""
    return f"share{minutes_text(minutes)}_{category}"


def share_within_key(minutes: float) -> str:
    """summary.json key of a category's share within the coverage walk: ``share_within_15min``."""
    return within_name("share_within", minutes)


def within_share(category: Mapping[str, Any]) -> Any:
    """The ``share_within_<M>min`` value of a summary category entry, whatever M (None if absent)."""
    return next((v for k, v in category.items() if k.startswith("share_within_")), None)


#: The park's life-convenience score by whom it is weighted (``plan --weights``) -> its summary.json key.
#: ``area`` weights the cells by their overlap with the park; ``workers`` / ``residents`` by the jobs /
#: residents in that overlap; ``both`` by the two together.
SCORE_KEYS: dict[str, str] = {
    "area": "life_convenience_score",
    "workers": "life_convenience_score_workers",
    "residents": "life_convenience_score_residents",
    "both": "life_convenience_score_both",
}
