"""Five-park scorecard (创新、绿色、智慧、人文、开放园区): innovative, green, smart, humane, open, 0–100.

Each dimension is the mean of the scores of its indicators that could be measured; an indicator
scores ``100 · (value − zero) / (full − zero)`` clipped to 0–100 (``zero`` above ``full`` for a cost).
Indicators come from OpenStreetMap where they can and from the user's ``[park_data]`` where they
cannot; a missing input lowers the dimension's ``coverage``, it never scores 0. Reference values
and their sources: docs/methods.md §9.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parkscope.errors import ConfigError, InputError
from parkscope.settings.config import check_park_data
from parkscope.settings.parkstats import PARK_STAT_KEYS, ParkStatistics, scorecard_values
from parkscope.settings.vocabulary import DEFAULT_MINUTES, minutes_label, named

DIMENSIONS: dict[str, tuple[str, str]] = {
    "innovative": ("创新园区", "innovative park"),
    "green": ("绿色园区", "green park"),
    "smart": ("智慧园区", "smart park"),
    "humane": ("人文园区", "humane (people-centred) park"),
    "open": ("开放园区", "open park"),
}
#: Stages of the innovation chain (研发—实验—中试—生产), in order.
CHAIN_STAGES: tuple[str, ...] = ("rd", "testing", "pilot", "production")


@dataclass(frozen=True)
class ScoreIndicator:
    """One indicator of the scorecard: its dimension, where it comes from and its scale."""

    key: str
    dimension: str
    source: str  # "osm" or "user"
    zero: float  # value scoring 0
    full: float  # value scoring 100
    unit: str
    en: str
    zh: str


#: Bounds marked "reference" are the 5th / 95th percentiles of the same indicator over the reference
#: cells of the diagnosis (data/reference.toml, version 2026.12.1: well-mapped Berlin-Adlershof,
#: Porto, London and Munich), so that 100 means "as high as the top 5 % of well-mapped city
#: districts" rather than a value every urban area reaches (docs/methods.md §9).
SCORECARD: tuple[ScoreIndicator, ...] = (
    # innovative
    ScoreIndicator("innovation_sites_15min", "innovative", "osm", 0, 17, "count",  # reference p5 / p95
                   "Research, university and incubator sites within a 15-minute walk",
                   "15分钟步行范围内科研、高校与孵化机构数"),
    ScoreIndicator("job_density_park", "innovative", "osm", 0, 835, "jobs/ha",  # reference p5 / p95
                   "Jobs per hectare of park", "园区地均就业岗位"),
    ScoreIndicator("workplace_floor_share", "innovative", "osm", 0, 0.8, "share",
                   "Workplace share of the park's floor area", "园区产业建筑面积占比"),
    ScoreIndicator("rd_intensity_pct", "innovative", "user", 0, 5, "% of revenue",
                   "R&D spending as a share of revenue", "研发投入强度"),
    ScoreIndicator("patents_per_1000_jobs", "innovative", "user", 0, 50, "per 1000 jobs",
                   "Patents granted per 1000 jobs", "每千名从业人员专利授权数"),
    ScoreIndicator("innovation_chain_completeness", "innovative", "user", 0, 1, "share",
                   "Innovation-chain completeness (R&D → testing → pilot → production)",
                   "创新链完整度（研发—实验—中试—生产）"),
    # from the park's reported statistics (settings/parkstats.py): output / land area, R&D staff / employees
    ScoreIndicator("land_productivity", "innovative", "user", 0, 500, "亿元/km²",
                   "Land productivity: output per km² of park land (CNY)", "地均产出"),
    ScoreIndicator("rd_staff_share", "innovative", "user", 0, 0.25, "share",
                   "R&D staff share of employees", "研发人员占比"),
    # green
    ScoreIndicator("green_share_park", "green", "osm", 0, 0.35, "share",
                   "Green space share of the park", "园区绿地率"),
    ScoreIndicator("park_access", "green", "osm", 0, 1, "0–1",
                   "Access to parks (category score)", "公园绿地可达性"),
    ScoreIndicator("tree_cover_share", "green", "osm", 0, 0.3, "share",
                   "Mapped tree cover of the park (woods, tree rows, single trees)", "园区树冠覆盖率"),
    ScoreIndicator("energy_use_kwh_per_m2", "green", "user", 300, 50, "kWh/m²·a",
                   "Energy use per m² of floor area and year", "单位建筑面积年能耗"),
    ScoreIndicator("space_utilisation", "green", "user", 0.5, 1.0, "share",
                   "Space utilisation (used / total floor area)", "空间利用率（已用/总建筑面积）"),
    # smart
    ScoreIndicator("transit_access", "smart", "osm", 0, 1, "0–1",
                   "Public transport access (category score)", "公共交通可达性"),
    ScoreIndicator("bike_share_15min", "smart", "osm", 0, 5, "count",
                   "Bike-share stations within a 15-minute walk", "15分钟步行范围内共享单车站点数"),
    ScoreIndicator("ev_charging_15min", "smart", "osm", 0, 5, "count",
                   "EV charging stations within a 15-minute walk", "15分钟步行范围内充电站数"),
    # humane
    ScoreIndicator("life_convenience", "humane", "osm", 0, 10, "0–10",
                   "Life-convenience score", "生活便利度"),
    ScoreIndicator("culture_sports_access", "humane", "osm", 0, 1, "0–1",
                   "Access to culture and sports (mean category score)", "文化体育设施可达性"),
    ScoreIndicator("amenity_diversity", "humane", "osm", 0.618, 1, "0–1",  # reference p5 / natural max
                   "Amenity mix within a 15-minute walk", "15分钟步行范围内设施多样性"),
    ScoreIndicator("jobs_housing_balance", "humane", "osm", 0, 1, "0–1",
                   "Homes within reach of jobs (jobs–housing balance within 15 min)", "职住平衡度"),
    # open
    ScoreIndicator("public_access_share", "open", "osm", 0.5, 1.0, "share",
                   "Publicly accessible share of the park area", "园区公共开放用地占比"),
    ScoreIndicator("intersection_density_park", "open", "osm", 21, 1274, "per km²",  # reference p5 / p95
                   "Street intersections per km² of park (permeability)", "园区路网交叉口密度"),
    ScoreIndicator("cooperation_agreements", "open", "user", 0, 20, "count",
                   "Cooperation agreements with other parks and institutions", "对外合作协议数"),
)
SCORECARD_BY_KEY: dict[str, ScoreIndicator] = {i.key: i for i in SCORECARD}


def indicator_score(value: float, ind: ScoreIndicator) -> float:
    """0–100 score of a value on the indicator's linear scale (clipped)."""
    t = (value - ind.zero) / (ind.full - ind.zero)
    return 100.0 * min(max(t, 0.0), 1.0)


def chain_completeness(stages: list[str]) -> float:
    """Share of the four innovation-chain stages present (``rd``, ``testing``, ``pilot``, ``production``)."""
    bad = [s for s in stages if s not in CHAIN_STAGES]
    if bad:
        raise ConfigError(
            f"Unknown innovation-chain stage(s) {', '.join(map(repr, bad))}: use {', '.join(CHAIN_STAGES)}."
        )
    return len(set(stages)) / len(CHAIN_STAGES)


def chain_from_firms(path: str | Path) -> tuple[float, dict[str, float]]:
    """Innovation-chain completeness from a firms CSV with columns ``sector`` and ``stage``.

    Each sector's completeness is the share of the four stages its firms cover; the park's is the
    mean over sectors. Returns (park value, per-sector values).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Firms table {path} does not exist: fix park_data.firms_csv in the config.")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"sector", "stage"} <= set(rows[0]):
        raise InputError(
            f"Firms table {path} needs columns 'sector' and 'stage' (one of {', '.join(CHAIN_STAGES)})."
        )
    by_sector: dict[str, set[str]] = {}
    for i, row in enumerate(rows, start=2):
        stage = row["stage"].strip().lower()
        if stage not in CHAIN_STAGES:
            raise InputError(
                f"Firms table {path}, line {i}: stage {row['stage']!r} is not one of "
                f"{', '.join(CHAIN_STAGES)}."
            )
        by_sector.setdefault(row["sector"].strip(), set()).add(stage)
    per_sector = {s: len(v) / len(CHAIN_STAGES) for s, v in by_sector.items()}
    return sum(per_sector.values()) / len(per_sector), per_sector


def space_utilisation_from_table(path: str | Path) -> float:
    """Space utilisation of the park from a per-building CSV: Σ ``used_floor_m2`` / Σ ``total_floor_m2``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Space table {path} does not exist: fix park_data.space_csv in the config.")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"used_floor_m2", "total_floor_m2"} <= set(rows[0]):
        raise InputError(
            f"Space table {path} needs columns 'used_floor_m2' and 'total_floor_m2' (one row per building)."
        )
    used = total = 0.0
    for i, row in enumerate(rows, start=2):
        try:
            u, t = float(row["used_floor_m2"]), float(row["total_floor_m2"])
        except ValueError as exc:
            raise InputError(f"Space table {path}, line {i}: floor areas must be numbers.") from exc
        if not (0 <= u <= t) or not math.isfinite(t):
            raise InputError(
                f"Space table {path}, line {i}: need 0 <= used_floor_m2 <= total_floor_m2 (got {u}, {t})."
            )
        used, total = used + u, total + t
    if total <= 0:
        raise InputError(f"Space table {path}: the total floor area is 0.")
    return used / total


def read_park_data(
    park_data: Mapping[str, Any], source: str = "the config", statistics: ParkStatistics | None = None
) -> dict[str, float]:
    """Check ``[park_data]`` and turn it into user indicator values.

    The park's statistics (``output``, ``land_area``, ``employees``, ``rd_staff``…; settings/parkstats.py)
    give the derived ``land_productivity`` and ``rd_staff_share``; these cannot be given directly.
    ``statistics`` are those already parsed with the settings
    (:attr:`parkscope.settings.config.Settings.park_statistics`): given, they are not parsed again.
    """
    statistics = check_park_data(park_data, source, statistics)  # names, derived figures and units
    values: dict[str, float] = {}
    for key, value in park_data.items():
        if key in PARK_STAT_KEYS:
            continue  # checked by read_statistics below
        if key == "innovation_chain":
            if not isinstance(value, list):
                raise ConfigError(f"park_data.innovation_chain in {source} must be a list of stages.")
            values["innovation_chain_completeness"] = chain_completeness([str(v) for v in value])
        elif key == "firms_csv":
            values["innovation_chain_completeness"] = chain_from_firms(value)[0]
        elif key == "space_csv":
            values["space_utilisation"] = space_utilisation_from_table(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ConfigError(f"park_data.{key} in {source} must be a number (got {value!r}).")
            if value < 0:
                raise ConfigError(f"park_data.{key} in {source} must be >= 0 (got {value}).")
            values[key] = float(value)
    values.update(scorecard_values(statistics))
    return values


def scorecard(
    osm_values: Mapping[str, float | None], user_values: Mapping[str, float],
    minutes: float = DEFAULT_MINUTES,
) -> dict[str, Any]:
    """The ``five_park`` block of summary.json.

    Parameters
    ----------
    osm_values : mapping
        Values of the ``osm`` indicators measured for the park; None or NaN when not measurable
        (e.g. no tree mapped anywhere in the study area).
    user_values : mapping
        Values of ``user`` indicators from ``[park_data]``.
    minutes : float
        The coverage walk: what is counted within it is named and labelled with these minutes
        (``bike_share_10min``, "within a 10-minute walk"), in ``osm_values`` and in the result.

    Returns
    -------
    dict
        ``{dimension: {"score", "coverage", "zh", "en", "indicators": {key: {...}}}}``; ``score`` is
        None when no indicator of the dimension is available.
    """
    out: dict[str, Any] = {}
    for dim, (zh, en) in DIMENSIONS.items():
        members = [i for i in SCORECARD if i.dimension == dim]
        indicators: dict[str, Any] = {}
        scores = []
        for ind in members:
            name = named(ind.key, minutes)
            value = osm_values.get(name) if ind.source == "osm" else user_values.get(ind.key)
            entry: dict[str, Any] = {
                "source": ind.source, "unit": ind.unit, "en": minutes_label(ind.en, minutes),
                "zh": minutes_label(ind.zh, minutes), "zero": ind.zero, "full": ind.full,
            }
            if value is None or not math.isfinite(value):
                entry.update(available=False, value=None, score=None)
            else:
                s = indicator_score(float(value), ind)
                scores.append(s)
                entry.update(available=True, value=round(float(value), 4), score=round(s, 1))
            indicators[name] = entry
        out[dim] = {
            "score": round(sum(scores) / len(scores), 1) if scores else None,
            "coverage": round(len(scores) / len(members), 3),
            "available": [k for k, v in indicators.items() if v["available"]],
            "missing": [k for k, v in indicators.items() if not v["available"]],
            "zh": zh,
            "en": en,
            "indicators": indicators,
        }
    return out
