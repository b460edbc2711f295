"""The statistics park operators report (产值/营业收入, 占地面积, 企业数, 载体面积, 从业人员, 研发人员).

Each figure is a ``[park_data]`` key given as a number with a unit — ``output = "2000 亿元"``,
``output = { value = 2000, unit = "亿元" }``, ``land_area = "1.2 km²"`` — checked and converted to a
canonical unit: money in 元 (shown in 亿元), other currencies kept in their own ISO 4217 unit and
never converted, areas in m², counts as plain numbers. From them come the park's land productivity
(地均产出 in 亿元/km², 亩均 in 万元/亩), jobs per hectare, R&D staff share, floor area per employee,
floor area ratio and output per employee. docs/methods.md §9 lists the keys, units and the reference
values the scorecard uses.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from parkscope.errors import ConfigError

#: 1 亩 (市亩) = 60 平方丈 with 1 丈 = 10/3 m (市制, 1 市尺 = 1/3 m) = 1/15 ha ≈ 666.67 m².
MU_M2 = 10_000.0 / 15.0
#: 1 亿元 = 10⁸ 元; 1 万元 = 10⁴ 元.
YI = 1e8
WAN = 1e4

#: Area units accepted (spaces and case ignored), in m².
AREA_UNITS: dict[str, float] = {
    "m²": 1.0, "m2": 1.0, "㎡": 1.0, "平方米": 1.0,
    "万m²": 1e4, "万m2": 1e4, "万㎡": 1e4, "万平方米": 1e4,
    "亩": MU_M2, "mu": MU_M2,
    "ha": 1e4, "hm²": 1e4, "hm2": 1e4, "公顷": 1e4,
    "km²": 1e6, "km2": 1e6, "平方公里": 1e6, "平方千米": 1e6,
}
#: Chinese yuan, in 元.
CNY_UNITS: dict[str, float] = {
    "元": 1.0, "万元": WAN, "亿元": YI, "万亿元": 1e12,
    "cny": 1.0, "rmb": 1.0, "万cny": WAN, "亿cny": YI, "万rmb": WAN, "亿rmb": YI,
}
#: Scale words before another currency's code or name.
MONEY_SCALES: dict[str, float] = {
    "": 1.0, "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9,
    "万": WAN, "亿": YI,
}
#: Chinese names of common currencies → ISO 4217 code.
CURRENCY_NAMES: dict[str, str] = {
    "美元": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "港元": "HKD", "港币": "HKD",
    "澳门元": "MOP", "新台币": "TWD", "韩元": "KRW", "新加坡元": "SGD", "瑞士法郎": "CHF",
}
#: Active ISO 4217 alphabetic currency codes (ISO 4217 list one, 2024), CNY handled above.
ISO_4217: frozenset[str] = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN
BZD CAD CDF CHE CHF CHW CLF CLP COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW
UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())
#: Units a count may carry (persons, firms); 万人 etc. are 10⁴.
COUNT_UNITS: dict[str, float] = {
    "": 1.0, "人": 1.0, "家": 1.0, "个": 1.0, "户": 1.0, "persons": 1.0, "people": 1.0, "firms": 1.0,
    "万人": WAN, "万家": WAN, "万个": WAN,
}

#: The statistics keys of ``[park_data]``: key -> (kind, English, Chinese).
STAT_KEYS: dict[str, tuple[str, str, str]] = {
    "output": ("money", "Annual output or revenue", "年产值/营业收入"),
    "land_area": ("area", "Land area of the park", "园区占地面积"),
    "firms": ("count", "Firms", "企业数"),
    "high_tech_firms": ("count", "High-tech firms (国家高新技术企业)", "高新技术企业数"),
    "carrier_floor_area": ("area", "Carrier floor area (buildings for firms)", "产业载体面积"),
    "employees": ("count", "Employees", "从业人员"),
    "rd_staff": ("count", "R&D staff", "研发人员"),
}
#: Plain settings of the statistics: the year they describe and what ``output`` measures.
OUTPUT_BASES = ("revenue", "gross_output", "value_added")
_SETTING_KEYS = ("year", "output_basis")
#: Every ``[park_data]`` key this module reads.
PARK_STAT_KEYS: tuple[str, ...] = (*STAT_KEYS, *_SETTING_KEYS)
#: Derived figures that the five-park scorecard scores; they cannot be given directly.
SCORED_DERIVED = ("land_productivity", "rd_staff_share")
#: Flat numeric columns (``parkscope compare``, panels): name -> (English, unit).
FLAT_COLUMNS: dict[str, tuple[str, str]] = {
    "land_productivity": ("Land productivity (CNY only)", "亿元/km²"),
    "firms": ("Firms", "count"),
    "employees": ("Employees", "persons"),
    "rd_staff_share": ("R&D staff share", "share"),
    "jobs_per_ha": ("Employees per hectare of land", "jobs/ha"),
    "floor_area_per_employee": ("Carrier floor area per employee", "m²/person"),
}
#: A land area differing from the mapped park polygon by more than this factor gets a note.
AREA_MISMATCH_FACTOR = 2.0

_NUMBER = re.compile(r"^\s*([+-]?(?:\d[\d,_]*)?\.?\d+(?:[eE][+-]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Quantity:
    """A figure in its canonical unit.

    Attributes
    ----------
    value : float
        In 元 (``unit == "CNY"``), in the currency (``unit`` an ISO 4217 code), in m² (``"m²"``)
        or a count (``"count"``).
    unit : str
    given : str
        The figure as written in the config.
    """

    value: float
    unit: str
    given: str


def _accepted(kind: str) -> str:
    if kind == "money":
        return ("元, 万元, 亿元 (or CNY/RMB), or another currency's ISO 4217 code such as USD or EUR, "
                "optionally after thousand/million/billion/万/亿 (e.g. \"120 million EUR\", \"3 亿美元\")")
    if kind == "area":
        return "m², 万m², 亩, ha (公顷), km² (平方公里)"
    return "a plain number, or 人 / 家 / 个 (万人, 万家 for 10⁴)"


def _split(key: str, raw: Any, source: str) -> tuple[float, str, str]:
    """(number, unit text, as given) of a ``[park_data]`` figure; a ConfigError when malformed."""
    where = f"park_data.{key} in {source}"
    if isinstance(raw, Mapping):
        extra = [k for k in raw if k not in ("value", "unit")]
        if extra or "value" not in raw:
            raise ConfigError(
                f"{where} must be {{ value = <number>, unit = \"<unit>\" }} "
                f"(got keys {', '.join(map(str, raw))})."
            )
        number, unit = raw["value"], raw.get("unit", "")
        if not isinstance(unit, str):
            raise ConfigError(f"{where}: unit must be text, e.g. unit = \"亿元\" (got {unit!r}).")
        given = f"{number} {unit}".strip()
    elif isinstance(raw, str):
        match = _NUMBER.match(raw)
        if not match:
            raise ConfigError(
                f"{where} is {raw!r}: write a number then its unit, e.g. \"2000 亿元\" or \"1.2 km²\"."
            )
        number, unit, given = float(match.group(1).replace(",", "").replace("_", "")), match.group(2), raw
    else:
        number, unit, given = raw, "", str(raw)
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        raise ConfigError(f"{where} must be a finite number with a unit (got {raw!r}).")
    if number < 0:
        raise ConfigError(f"{where} must be >= 0 (got {raw!r}).")
    return float(number), unit, given


def _unit_key(unit: str) -> str:
    return re.sub(r"\s+", "", unit).lower()


def parse_money(key: str, raw: Any, source: str = "the config") -> Quantity:
    """A sum of money: CNY in 元; any other ISO 4217 currency kept in its own unit (no exchange rate)."""
    number, unit, given = _split(key, raw, source)
    u = _unit_key(unit)
    if u in CNY_UNITS:
        return Quantity(number * CNY_UNITS[u], "CNY", given)
    words = unit.split()
    if len(words) == 2 and words[0].lower() in MONEY_SCALES:
        scale, code = MONEY_SCALES[words[0].lower()], words[1]
    else:
        prefix = next((p for p in ("万", "亿") if unit.strip().startswith(p)), "")
        scale, code = MONEY_SCALES[prefix], unit.strip()[len(prefix):]
    code = CURRENCY_NAMES.get(code, code.upper())
    if code in ("CNY", "RMB"):
        return Quantity(number * scale, "CNY", given)
    if code in ISO_4217:
        return Quantity(number * scale, code, given)
    raise _unit_error(key, unit, "money", source)


def _scaled(key: str, raw: Any, source: str, kind: str) -> Quantity:
    """A figure whose unit is a fixed factor of the canonical one (areas, counts)."""
    table, canonical = (AREA_UNITS, "m²") if kind == "area" else (COUNT_UNITS, "count")
    number, unit, given = _split(key, raw, source)
    factor = table.get(_unit_key(unit))
    if factor is None:
        raise _unit_error(key, unit, kind, source)
    return Quantity(number * factor, canonical, given)


def parse_area(key: str, raw: Any, source: str = "the config") -> Quantity:
    """An area in m² (m², 万m², 亩, ha, km² and their Chinese names)."""
    return _scaled(key, raw, source, "area")


def parse_count(key: str, raw: Any, source: str = "the config") -> Quantity:
    """A count of persons or firms (a plain number, or 人/家/个, 万人 …)."""
    return _scaled(key, raw, source, "count")


def _unit_error(key: str, unit: str, kind: str, source: str) -> ConfigError:
    what = {"money": "a sum of money", "area": "an area", "count": "a count"}[kind]
    given = f"unit {unit!r}" if unit else "no unit"
    return ConfigError(
        f"park_data.{key} in {source} has {given}; {key} is {what}: use {_accepted(kind)}."
    )


_PARSERS = {"money": parse_money, "area": parse_area, "count": parse_count}


@dataclass(frozen=True)
class ParkStatistics:
    """The checked statistics of ``[park_data]`` (every figure optional)."""

    figures: dict[str, Quantity]
    year: int | None = None
    output_basis: str = "revenue"

    def get(self, key: str) -> float | None:
        """The canonical value of a figure, or None when not given."""
        q = self.figures.get(key)
        return None if q is None else q.value


def read_statistics(park_data: Mapping[str, Any], source: str = "the config") -> ParkStatistics:
    """Check the statistics keys of ``[park_data]`` (others are left to :func:`fivepark.read_park_data`).

    Raises
    ------
    ConfigError
        A figure without a unit where one is needed, a unit of the wrong kind, a negative value,
        a land area of 0, R&D staff above employees or high-tech firms above firms, a bad year or
        output basis.
    """
    figures: dict[str, Quantity] = {}
    for key, (kind, _, _) in STAT_KEYS.items():
        if key in park_data:
            figures[key] = _PARSERS[kind](key, park_data[key], source)
    year = park_data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100):
        raise ConfigError(
            f"park_data.year in {source} must be the year the figures describe, e.g. 2023 (got {year!r})."
        )
    basis = park_data.get("output_basis", "revenue")
    if basis not in OUTPUT_BASES:
        raise ConfigError(
            f"park_data.output_basis in {source} is {basis!r}: use one of {', '.join(OUTPUT_BASES)} "
            "(营业收入 revenue, 总产值 gross output, 增加值 value added)."
        )
    if "land_area" in figures and figures["land_area"].value <= 0:
        given = figures["land_area"].given
        raise ConfigError(f"park_data.land_area in {source} must be > 0 (got {given!r}).")
    for part, whole in (("rd_staff", "employees"), ("high_tech_firms", "firms")):
        if part in figures and whole in figures and figures[part].value > figures[whole].value:
            raise ConfigError(
                f"park_data.{part} ({figures[part].given}) in {source} exceeds park_data.{whole} "
                f"({figures[whole].given}): {part} are counted among the {whole}."
            )
    return ParkStatistics(figures, year, basis)


def _ratio(a: float | None, b: float | None, scale: float = 1.0) -> float | None:
    return None if a is None or b is None or b <= 0 else a / b * scale


def derived_figures(stats: ParkStatistics) -> dict[str, dict[str, Any]]:
    """The figures derived from the statistics: key -> {"value", "unit", "en", "zh"}.

    Land productivity is in 亿元/km² (and 万元/亩) for CNY; in million <code>/km² for another
    currency (``land_productivity_foreign``: not scored against CNY bounds).
    """
    out: dict[str, dict[str, Any]] = {}

    def put(key: str, value: float | None, unit: str, en: str, zh: str) -> None:
        if value is not None:
            out[key] = {"value": value, "unit": unit, "en": en, "zh": zh}

    output = stats.figures.get("output")
    land_m2, employees = stats.get("land_area"), stats.get("employees")
    if output is not None and output.unit == "CNY":
        put("land_productivity", _ratio(output.value / YI, land_m2, 1e6), "亿元/km²",
            "Land productivity (output per km² of land)", "地均产出")
        put("land_productivity_per_mu", _ratio(output.value / WAN, land_m2, MU_M2), "万元/亩",
            "Output per mu of land", "亩均产出")
        put("output_per_employee", _ratio(output.value / WAN, employees), "万元/人",
            "Output per employee", "人均产出")
    elif output is not None:
        code = output.unit
        put("land_productivity_foreign", _ratio(output.value / 1e6, land_m2, 1e6), f"million {code}/km²",
            "Land productivity (output per km² of land)", "地均产出")
        put("output_per_employee_foreign", _ratio(output.value / 1e3, employees), f"thousand {code}/person",
            "Output per employee", "人均产出")
    put("jobs_per_ha", _ratio(employees, land_m2, 1e4), "jobs/ha", "Employees per hectare of land",
        "地均从业人员")
    put("rd_staff_share", _ratio(stats.get("rd_staff"), employees), "share", "R&D staff share of employees",
        "研发人员占比")
    put("high_tech_firm_share", _ratio(stats.get("high_tech_firms"), stats.get("firms")), "share",
        "High-tech share of firms", "高新技术企业占比")
    put("floor_area_per_employee", _ratio(stats.get("carrier_floor_area"), employees), "m²/person",
        "Carrier floor area per employee", "人均载体面积")
    put("floor_area_ratio", _ratio(stats.get("carrier_floor_area"), land_m2), "m²/m²",
        "Carrier floor area per m² of land", "载体面积与用地面积之比")
    return out


def scorecard_values(stats: ParkStatistics) -> dict[str, float]:
    """The derived figures the five-park scorecard scores.

    Land productivity only for CNY revenue or gross output: the bounds are CNY figures of revenue
    (docs/methods.md §9); a value added or another currency is reported, not scored.
    """
    derived = derived_figures(stats)
    out = {}
    if "land_productivity" in derived and stats.output_basis != "value_added":
        out["land_productivity"] = float(derived["land_productivity"]["value"])
    if "rd_staff_share" in derived:
        out["rd_staff_share"] = float(derived["rd_staff_share"]["value"])
    return out


def _display(key: str, q: Quantity) -> tuple[float, str]:
    """A figure in the unit operators quote: 亿元, km², 万m² (floor area), persons/firms."""
    if q.unit == "CNY":
        return q.value / YI, "亿元"
    if q.unit == "m²":
        return (q.value / 1e4, "万m²") if key == "carrier_floor_area" else (q.value / 1e6, "km²")
    if q.unit == "count":
        return q.value, "firms" if "firms" in key else "persons"
    return q.value / 1e6, f"million {q.unit}"


def _notes(stats: ParkStatistics, derived: Mapping[str, Any], mapped_km2: float | None) -> list[str]:
    notes = []
    output = stats.figures.get("output")
    if output is not None and output.unit != "CNY":
        notes.append(
            f"output is in {output.unit}: land productivity is given in {output.unit} and not scored "
            "against the CNY reference values (no exchange rate is assumed)."
        )
    if stats.output_basis == "value_added" and "land_productivity" in derived:
        notes.append("output is value added (增加值): land productivity is reported but not scored, since "
                     "the reference values are revenue (营业收入/总收入).")
    if output is not None and "land_area" not in stats.figures:
        extra = f" (the mapped park polygon is {mapped_km2:.3g} km²)" if mapped_km2 else ""
        notes.append(f"Give land_area, the park's reported land area, to get land productivity{extra}.")
    land = stats.get("land_area")
    if land is not None and mapped_km2:
        ratio = land / 1e6 / mapped_km2
        if not 1 / AREA_MISMATCH_FACTOR <= ratio <= AREA_MISMATCH_FACTOR:
            notes.append(
                f"The land area given ({land / 1e6:.3g} km²) is {ratio:.3g}× the mapped park polygon "
                f"({mapped_km2:.3g} km²): the statistics describe a different area than the map; "
                "compare them with care."
            )
    return notes


def park_statistics(
    park_data: Mapping[str, Any] | ParkStatistics, park_area_m2: float | None = None
) -> dict[str, Any]:
    """The ``park_statistics`` block of summary.json.

    Parameters
    ----------
    park_data : mapping or ParkStatistics
        ``[park_data]`` of the settings (keys other than the statistics are ignored here), or its
        statistics already parsed (:attr:`parkscope.settings.config.Settings.park_statistics`).
    park_area_m2 : float, optional
        Area of the mapped park polygon, to check the land area given against it.

    Returns
    -------
    dict
        ``year``, ``output_basis``, ``currency`` (of ``output``, or None), ``reported`` {key:
        {value, unit, display, display_unit, given, en, zh}} with value in 元 / the currency / m² /
        count, ``derived`` {key: {value, unit, en, zh}}, ``scored`` (keys the scorecard uses),
        ``mapped_park_area_km2`` and ``notes``. Empty ``reported`` when no statistic is given.
    """
    stats = park_data if isinstance(park_data, ParkStatistics) else read_statistics(park_data)
    reported = {}
    for key, q in stats.figures.items():
        value, unit = _display(key, q)
        _, en, zh = STAT_KEYS[key]
        reported[key] = {"value": q.value, "unit": q.unit, "display": round(value, 6), "display_unit": unit,
                         "given": q.given, "en": en, "zh": zh}
    derived = {k: {**v, "value": round(float(v["value"]), 6)} for k, v in derived_figures(stats).items()}
    mapped_km2 = park_area_m2 / 1e6 if park_area_m2 and park_area_m2 > 0 else None
    output = stats.figures.get("output")
    return {
        "year": stats.year,
        "output_basis": stats.output_basis,
        "currency": None if output is None else output.unit,
        "reported": reported,
        "derived": derived,
        "scored": sorted(scorecard_values(stats)),
        "mapped_park_area_km2": None if mapped_km2 is None else round(mapped_km2, 6),
        "notes": _notes(stats, derived, mapped_km2) if reported else [],
    }


def flat_values(block: Mapping[str, Any] | None) -> dict[str, float | None]:
    """The :data:`FLAT_COLUMNS` of a ``park_statistics`` block (None where absent): compare and panels."""
    block = block if isinstance(block, Mapping) else {}
    reported = block.get("reported") if isinstance(block.get("reported"), Mapping) else {}
    derived = block.get("derived") if isinstance(block.get("derived"), Mapping) else {}
    out: dict[str, float | None] = {}
    for key in FLAT_COLUMNS:
        entry = derived.get(key) or reported.get(key)
        out[key] = entry.get("value") if isinstance(entry, Mapping) else None
    return out


def benchmark_indicators(block: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Park-level industry indicators from the statistics, in the form of ``integration.indicators``.

    Land productivity (CNY), employees per hectare and the R&D staff share, each benefit-direction
    and in the industry subsystem; ``compare --reference parks`` uses those every park has.
    """
    values = flat_values(block)
    logs = {"land_productivity": True, "jobs_per_ha": True, "rd_staff_share": False}
    return {
        f"stat_{key}": {"value": values[key], "subsystem": "industry", "direction": "positive", "log": log}
        for key, log in logs.items()
        if values[key] is not None
    }


def panel_row(park_data: Mapping[str, Any], source: str = "the config") -> dict[str, Any]:
    """One row of a yearly panel for ``parkscope ccd``: the statistics in fixed, unit-suffixed columns.

    Whatever unit each year's figures were given in (万元 one year, 亿元 the next; 亩 or km²), the
    columns hold one unit each: ``output_yi_yuan`` (or ``output_million_<CODE>`` for another
    currency), ``land_area_km2``, ``carrier_floor_area_m2``, counts, and the derived
    ``land_productivity_yi_yuan_per_km2``, ``jobs_per_ha``, ``rd_staff_share``,
    ``floor_area_per_employee_m2``, ``high_tech_firm_share``. Figures not given are None.
    """
    stats = read_statistics(park_data, source)
    derived = {k: v["value"] for k, v in derived_figures(stats).items()}
    output = stats.figures.get("output")
    row: dict[str, Any] = {"year": stats.year}
    if output is None or output.unit == "CNY":
        row["output_yi_yuan"] = None if output is None else output.value / YI
    else:
        row[f"output_million_{output.unit}"] = output.value / 1e6
    land = stats.get("land_area")
    floor = stats.get("carrier_floor_area")
    row |= {
        "land_area_km2": None if land is None else land / 1e6,
        "carrier_floor_area_m2": floor,
        "firms": stats.get("firms"),
        "high_tech_firms": stats.get("high_tech_firms"),
        "employees": stats.get("employees"),
        "rd_staff": stats.get("rd_staff"),
        "land_productivity_yi_yuan_per_km2": derived.get("land_productivity"),
        "jobs_per_ha": derived.get("jobs_per_ha"),
        "rd_staff_share": derived.get("rd_staff_share"),
        "floor_area_per_employee_m2": derived.get("floor_area_per_employee"),
        "high_tech_firm_share": derived.get("high_tech_firm_share"),
    }
    return row
