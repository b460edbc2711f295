"""Typed settings: shipped defaults (``data/defaults.toml``, ``data/taxonomy.toml``) plus user overrides."""

from __future__ import annotations

import copy
import difflib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

from parkscope.errors import ConfigError, InputError
from parkscope.settings.ahp import ahp_weights
from parkscope.settings.parkstats import PARK_STAT_KEYS, SCORED_DERIVED, ParkStatistics, read_statistics
from parkscope.settings.vocabulary import (
    INDICATOR_BY_KEY,
    PARK_DATA_FILE_KEYS,
    PARK_DATA_USER_KEYS,
    SUBSYSTEMS,
    default_key,
)

DECAYS = ("cosine", "linear")
POLYGON_ACCESS = ("point", "edge")


@dataclass(frozen=True)
class Category:
    """One amenity category of the taxonomy.

    Attributes
    ----------
    key : str
        Identifier used in column names (``dist_<key>_<i>``).
    en, zh : str
        Labels for reports.
    weight : float
        Relative weight of the category in the life-convenience score.
    rank_weights : tuple of float
        Credit for the 1st, 2nd, ... nearest amenity (not yet normalised).
    tags : tuple of str
        ``key=value`` / ``key=*`` selectors (``a=b;c=d`` means both).
    exclude : tuple of str
        Selectors that remove an object matched by ``tags``.
    polygon_access : str
        ``"point"`` or ``"edge"`` (see ``taxonomy.toml``).
    merge_within_m : float
        Amenities of this category closer than this are one place (0 = never merge).
    """

    key: str
    en: str
    zh: str
    weight: float
    rank_weights: tuple[float, ...]
    tags: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    polygon_access: str = "point"
    merge_within_m: float = 0.0


WEIGHTINGS = ("entropy", "equal", "given", "ahp")
COUPLINGS = ("classic", "wang2021")
SCALES = ("reference", "study_area")


@dataclass(frozen=True)
class DiagnosisSettings:
    """Parameters of the industry–city–people diagnosis (``[diagnosis]`` in the TOML).

    Attributes
    ----------
    scale : str
        ``reference`` (default): each indicator scaled with the fixed bounds of
        ``data/reference.toml``, so that an index means the same in every study area;
        ``study_area``: min–max over the study area's cells (relative to the surroundings).
    weights : str
        Indicator weights within each subsystem: ``entropy`` (default; under ``scale =
        "reference"`` computed once over the reference cells and shipped), ``equal``, ``given``
        (``indicator_weights``) or ``ahp``.
    coupling : str
        ``classic`` (normative model, default) or ``wang2021`` (the revised model).
    coupling_exponent : float or None
        ``k`` of the classic model; None = 1/n.
    subsystem_weights : dict or None
        ``alpha`` of T per subsystem (industry, city, people); None = equal.
    lag_threshold : float
        Relative gap between the industry and city indices under which a cell is balanced.
    shift : float
        Added after min–max normalisation.
    log_transform : bool
        ``log1p`` of counts and densities before normalisation.
    employment_rate : float
        Employed residents per resident (jobs–housing balance).
    balanced_ratio_min, balanced_ratio_max : float
        Jobs per employed resident read as balanced.
    indicator_weights : dict
        Weights used when ``weights = "given"``; with ``weights = "ahp"``, the weights derived from
        the ``[diagnosis.ahp]`` pairwise matrices.
    disabled_indicators : tuple of str
        Indicators left out.
    min_presence : float
        With ``scale = "study_area"``: an indicator above its minimum in fewer than this share of
        the cells is left out (entropy weighting would otherwise give such a rare indicator most
        of its subsystem's weight).
    user_indicators : dict
        ``[diagnosis.user_indicators.<name>]``: ``table`` (``FILE[:COLUMN]``, read like ``--jobs``),
        ``subsystem``, ``direction``, ``per_km2`` (density, default true, or cell total) and,
        for ``scale = "reference"``, ``lo`` and ``hi`` (the values that scale to 0 and 1).
    """

    scale: str = "reference"
    weights: str = "entropy"
    coupling: str = "classic"
    coupling_exponent: float | None = None
    subsystem_weights: dict[str, float] | None = None
    lag_threshold: float = 0.1
    shift: float = 0.0
    log_transform: bool = True
    employment_rate: float = 0.5
    balanced_ratio_min: float = 0.8
    balanced_ratio_max: float = 1.25
    indicator_weights: dict[str, float] = field(default_factory=dict)
    disabled_indicators: tuple[str, ...] = ()
    min_presence: float = 0.25
    user_indicators: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """All parameters of an assessment.

    Attributes
    ----------
    buffer_m : float
        Ring around the park in which streets and amenities count.
    k : int
        Nearest amenities per category.
    max_distance_m : float
        Search radius of the accessibility engine.
    walk_speed_m_s : float
        Walking speed used to turn minutes into metres.
    full_credit_m : float
        Distance up to which an amenity earns full credit.
    decay : str
        Decay shape between ``full_credit_m`` and ``max_distance_m``.
    coverage_minutes : float
        Walking time of the coverage figures ("share within 15 minutes").
    h3_resolution : int
        H3 resolution of the output cells.
    edge_min_area_m2, edge_spacing_m : float
        Polygons of ``polygon_access = "edge"`` categories above this area join the network at
        points this far apart along their outline.
    categories : tuple of Category
        The taxonomy, in report order.
    diagnosis : DiagnosisSettings
        The industry–city–people diagnosis.
    population : dict
        ``[population]`` overrides of the building-based jobs and residents estimate
        (checked by :func:`parkscope.measures.population.load_population_params`).
    park_data : dict
        ``[park_data]``: the park's own figures for the five-park scorecard (R&D intensity, patents,
        energy use, space utilisation, innovation chain, cooperation agreements) and its reported
        statistics with units (output, land area, firms, employees, R&D staff…; settings/parkstats.py).
    """

    buffer_m: float = 2000.0
    k: int = 5
    max_distance_m: float = 1600.0
    walk_speed_m_s: float = 1.333
    full_credit_m: float = 400.0
    decay: str = "cosine"
    coverage_minutes: float = 15.0
    h3_resolution: int = 9
    edge_min_area_m2: float = 10000.0
    edge_spacing_m: float = 100.0
    categories: tuple[Category, ...] = field(default_factory=tuple)
    diagnosis: DiagnosisSettings = field(default_factory=DiagnosisSettings)
    population: dict[str, Any] = field(default_factory=dict)
    park_data: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage_distance_m(self) -> float:
        """Metres walked in ``coverage_minutes`` at ``walk_speed_m_s``."""
        return self.coverage_minutes * 60.0 * self.walk_speed_m_s

    @property
    def category_keys(self) -> list[str]:
        """Category keys in taxonomy order."""
        return [c.key for c in self.categories]

    @cached_property
    def park_statistics(self) -> ParkStatistics:
        """The statistics of ``park_data`` (output, land area, employees…), parsed once.

        :func:`load_settings` parses them while checking the file (so that errors name it) and keeps
        the result here; settings built otherwise parse them on first use. The scorecard
        (:func:`parkscope.diagnoses.fivepark.read_park_data`) and the ``park_statistics`` block of
        summary.json read this one parse.
        """
        return read_statistics(self.park_data)

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view for provenance (JSON serialisable)."""
        out: dict[str, Any] = {
            k: getattr(self, k)
            for k in (
                "buffer_m",
                "k",
                "max_distance_m",
                "walk_speed_m_s",
                "full_credit_m",
                "decay",
                "coverage_minutes",
                "h3_resolution",
                "edge_min_area_m2",
                "edge_spacing_m",
            )
        }
        out["diagnosis"] = {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in self.diagnosis.__dict__.items()
        }
        out["population"] = copy.deepcopy(self.population)
        out["park_data"] = copy.deepcopy(self.park_data)
        out["categories"] = {
            c.key: {
                "en": c.en,
                "zh": c.zh,
                "weight": c.weight,
                "rank_weights": list(c.rank_weights),
                "tags": list(c.tags),
                "exclude": list(c.exclude),
                "polygon_access": c.polygon_access,
                "merge_within_m": c.merge_within_m,
            }
            for c in self.categories
        }
        return out


_SECTION_KEYS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "area": {"buffer_m": (int, float)},
    "access": {"k": int, "max_distance_m": (int, float), "walk_speed_m_s": (int, float)},
    "score": {"full_credit_m": (int, float), "decay": str, "coverage_minutes": (int, float)},
    "grid": {"h3_resolution": int},
    "defaults": {"edge_min_area_m2": (int, float), "edge_spacing_m": (int, float)},
    "diagnosis": {
        "scale": str,
        "weights": str,
        "coupling": str,
        "coupling_exponent": (int, float),
        "subsystem_weights": dict,
        "lag_threshold": (int, float),
        "shift": (int, float),
        "log_transform": bool,
        "employment_rate": (int, float),
        "balanced_ratio_min": (int, float),
        "balanced_ratio_max": (int, float),
        "indicator_weights": dict,
        "disabled_indicators": list,
        "min_presence": (int, float),
        "ahp": dict,
        "user_indicators": dict,
    },
}
#: Sections passed through whole and checked by the stage that reads them.
_FREE_SECTIONS = ("population", "park_data")
_CATEGORY_KEYS: dict[str, type | tuple[type, ...]] = {
    "en": str,
    "zh": str,
    "weight": (int, float),
    "rank_weights": list,
    "tags": list,
    "exclude": list,
    "polygon_access": str,
    "merge_within_m": (int, float),
}


def read_toml_file(path: str | Path, what: str, option: str) -> dict[str, Any]:
    """Read a user's TOML file; a missing file or bad syntax is a ConfigError naming ``option``."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{what} {path} does not exist: check the path given to {option}.")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{what} {path} is not valid TOML ({exc}). Fix its syntax.") from exc


def _read_shipped(name: str) -> dict[str, Any]:
    text = resources.files("parkscope").joinpath("data", name).read_text(encoding="utf-8")
    return tomllib.loads(text)


def unknown_key_error(key: str, known: list[str], where: str, source: str) -> ConfigError:
    """The error for a key not in ``known``, suggesting the closest one (or listing them all)."""
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else f" Known keys: {', '.join(sorted(known))}."
    return ConfigError(f"Unknown key '{key}' in {where} of {source}.{hint} Fix the key or remove it.")


def _merge(base: dict[str, Any], override: dict[str, Any], source: str) -> dict[str, Any]:
    """Merge a user config into the shipped defaults, refusing unknown keys."""
    merged = copy.deepcopy(base)
    known_top = [*list(_SECTION_KEYS), *_FREE_SECTIONS, "categories"]
    for section, values in override.items():
        if section not in known_top:
            raise unknown_key_error(section, known_top, "the top level", source)
        if not isinstance(values, dict):
            raise ConfigError(f"'{section}' in {source} must be a table ([{section}]).")
        if section == "categories":
            cats = merged.setdefault("categories", {})
            for cat_key, cat_values in values.items():
                if not isinstance(cat_values, dict):
                    raise ConfigError(
                        f"'categories.{cat_key}' in {source} must be a table ([categories.{cat_key}])."
                    )
                for k in cat_values:
                    if k not in _CATEGORY_KEYS:
                        raise unknown_key_error(k, list(_CATEGORY_KEYS), f"[categories.{cat_key}]", source)
                if cat_key in cats:
                    cats[cat_key].update(cat_values)
                else:
                    cats[cat_key] = dict(cat_values)
            continue
        if section in _FREE_SECTIONS:
            merged.setdefault(section, {}).update(copy.deepcopy(values))
            continue
        allowed = _SECTION_KEYS[section]
        for k, v in values.items():
            if k not in allowed:
                raise unknown_key_error(k, list(allowed), f"[{section}]", source)
            if (isinstance(v, bool) and allowed[k] is not bool) or not isinstance(v, allowed[k]):
                raise ConfigError(
                    f"'{section}.{k}' in {source} has the wrong type ({type(v).__name__}: {v!r})."
                )
        merged.setdefault(section, {}).update(values)
    return merged


def _build(raw: dict[str, Any], source: str) -> Settings:
    area, access = raw.get("area", {}), raw.get("access", {})
    score, grid, dflt = raw.get("score", {}), raw.get("grid", {}), raw.get("defaults", {})
    categories = []
    for key, c in raw.get("categories", {}).items():
        missing = [k for k in ("en", "zh", "weight", "rank_weights", "tags") if k not in c]
        if missing:
            raise ConfigError(
                f"Category '{key}' in {source} lacks {', '.join(missing)}: a new category needs "
                "en, zh, weight, rank_weights and tags."
            )
        if c.get("polygon_access", "point") not in POLYGON_ACCESS:
            raise ConfigError(f"categories.{key}.polygon_access must be one of {POLYGON_ACCESS}.")
        if float(c.get("merge_within_m", 0.0)) < 0:
            raise ConfigError(f"categories.{key}.merge_within_m must be >= 0.")
        if float(c["weight"]) < 0 or any(float(w) < 0 for w in c["rank_weights"]):
            raise ConfigError(f"categories.{key}: weights must be >= 0.")
        if not c["rank_weights"] or sum(float(w) for w in c["rank_weights"]) <= 0:
            raise ConfigError(f"categories.{key}.rank_weights needs at least one positive value.")
        for sel in [*c["tags"], *c.get("exclude", [])]:
            _parse_selector(sel, f"categories.{key}", source)
        categories.append(
            Category(
                key=key,
                en=str(c["en"]),
                zh=str(c["zh"]),
                weight=float(c["weight"]),
                rank_weights=tuple(float(w) for w in c["rank_weights"]),
                tags=tuple(c["tags"]),
                exclude=tuple(c.get("exclude", ())),
                polygon_access=c.get("polygon_access", "point"),
                merge_within_m=float(c.get("merge_within_m", 0.0)),
            )
        )
    if not categories:
        raise ConfigError(f"No amenity categories in {source}.")
    settings = Settings(
        buffer_m=float(area.get("buffer_m", 2000.0)),
        k=int(access.get("k", 5)),
        max_distance_m=float(access.get("max_distance_m", 1600.0)),
        walk_speed_m_s=float(access.get("walk_speed_m_s", 1.333)),
        full_credit_m=float(score.get("full_credit_m", 400.0)),
        decay=str(score.get("decay", "cosine")),
        coverage_minutes=float(score.get("coverage_minutes", 15.0)),
        h3_resolution=int(grid.get("h3_resolution", 9)),
        edge_min_area_m2=float(dflt.get("edge_min_area_m2", 10000.0)),
        edge_spacing_m=float(dflt.get("edge_spacing_m", 100.0)),
        categories=tuple(categories),
        diagnosis=_diagnosis(raw.get("diagnosis", {}), source),
        population=copy.deepcopy(raw.get("population", {})),
        park_data=copy.deepcopy(raw.get("park_data", {})),
    )
    statistics = check_park_data(settings.park_data, source)
    _validate(settings, source)
    settings.__dict__["park_statistics"] = statistics  # the cached property's value: parsed once, here
    return settings


def _indicator_keys(d: dict[str, Any]) -> dict[str, Any]:
    """``[diagnosis]`` with indicators named for any coverage minutes (``firms_10min``) under their
    keys (``firms_15min``: :func:`parkscope.settings.vocabulary.default_key`)."""
    out = dict(d)
    if isinstance(d.get("indicator_weights"), dict):
        out["indicator_weights"] = {default_key(str(k)): v for k, v in d["indicator_weights"].items()}
    if isinstance(d.get("disabled_indicators"), list):
        out["disabled_indicators"] = [default_key(str(k)) for k in d["disabled_indicators"]]
    if isinstance(d.get("ahp"), dict):
        out["ahp"] = {
            sub: {**t, "indicators": [default_key(str(k)) for k in t["indicators"]]}
            if isinstance(t, dict) and isinstance(t.get("indicators"), list) else t
            for sub, t in d["ahp"].items()
        }
    return out


def _diagnosis(d: dict[str, Any], source: str) -> DiagnosisSettings:
    d = _indicator_keys(d)
    problems = []
    if d.get("scale", "reference") not in SCALES:
        problems.append(f"diagnosis.scale must be one of {', '.join(SCALES)}")
    if d.get("weights", "entropy") not in WEIGHTINGS:
        problems.append(f"diagnosis.weights must be one of {', '.join(WEIGHTINGS)}")
    if d.get("coupling", "classic") not in COUPLINGS:
        problems.append(f"diagnosis.coupling must be one of {', '.join(COUPLINGS)}")
    alpha = d.get("subsystem_weights")
    if alpha is not None and (set(alpha) != set(SUBSYSTEMS) or any(float(v) < 0 for v in alpha.values())):
        problems.append("diagnosis.subsystem_weights must give industry, city and people a weight >= 0")
    for key in [*d.get("indicator_weights", {}), *d.get("disabled_indicators", [])]:
        if key not in INDICATOR_BY_KEY:
            close = difflib.get_close_matches(key, list(INDICATOR_BY_KEY), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            problems.append(f"unknown indicator '{key}' in [diagnosis]{hint}")
    if d.get("weights") == "ahp":
        ahp = _ahp_weights(d.get("ahp", {}), source)
        covered = set(d.get("ahp", {}))
        # a subsystem without an AHP table weighs its indicators equally; unnamed ones of a covered
        # subsystem weigh 0
        rest = {
            k: 0.0 if i.subsystem in covered else 1.0 for k, i in INDICATOR_BY_KEY.items() if k not in ahp
        }
        d = {**d, "indicator_weights": {**ahp, **rest}}
    if d.get("weights") == "given":
        missing = [k for k in INDICATOR_BY_KEY if k not in d.get("indicator_weights", {})
                   and k not in d.get("disabled_indicators", [])]
        if missing:
            problems.append(f"diagnosis.weights = 'given' needs indicator_weights for {', '.join(missing)}")
    if not 0 < float(d.get("employment_rate", 0.5)) <= 1:
        problems.append("diagnosis.employment_rate must be in (0, 1]")
    lo, hi = float(d.get("balanced_ratio_min", 0.8)), float(d.get("balanced_ratio_max", 1.25))
    if not 0 <= lo <= hi:
        problems.append("diagnosis.balanced_ratio_min must be >= 0 and <= balanced_ratio_max")
    if not 0 <= float(d.get("min_presence", 0.25)) < 1:
        problems.append("diagnosis.min_presence must be in [0, 1)")
    if not 0 <= float(d.get("lag_threshold", 0.1)) < 1:
        problems.append("diagnosis.lag_threshold must be in [0, 1)")
    user = _user_indicators(d.get("user_indicators", {}), source)
    if d.get("scale", "reference") == "reference":
        unbounded = [name for name, u in user.items() if u["lo"] is None or u["hi"] is None]
        if unbounded:
            problems.append(
                f"user indicator(s) {', '.join(unbounded)} need lo and hi (the values that scale to 0 "
                'and 1) under diagnosis.scale = "reference"; give them, or set scale = "study_area"'
            )
    if problems:
        raise ConfigError(f"Invalid settings in {source}: " + "; ".join(problems) + ".")
    exponent = d.get("coupling_exponent")
    return DiagnosisSettings(
        scale=d.get("scale", "reference"),
        weights=d.get("weights", "entropy"),
        coupling=d.get("coupling", "classic"),
        coupling_exponent=None if exponent is None else float(exponent),
        subsystem_weights=None if alpha is None else {k: float(v) for k, v in alpha.items()},
        lag_threshold=float(d.get("lag_threshold", 0.1)),
        shift=float(d.get("shift", 0.0)),
        log_transform=bool(d.get("log_transform", True)),
        employment_rate=float(d.get("employment_rate", 0.5)),
        balanced_ratio_min=lo,
        balanced_ratio_max=hi,
        indicator_weights={k: float(v) for k, v in d.get("indicator_weights", {}).items()},
        disabled_indicators=tuple(d.get("disabled_indicators", ())),
        min_presence=float(d.get("min_presence", 0.25)),
        user_indicators=user,
    )


def split_spec(spec: str | Path) -> tuple[Path, str | None]:
    """``FILE[:COLUMN]`` → (path, column). A path that exists as given is never split."""
    if isinstance(spec, Path):
        return spec.expanduser(), None
    text = str(spec).strip()
    whole = Path(text).expanduser()
    if whole.exists():
        return whole, None
    head, sep, tail = text.rpartition(":")
    # "C:\\data\\x.csv" or "C:x.csv": a drive letter, not a column; "a.csv:sub/dir" is a path
    if not sep or not head or (len(head) == 1 and head.isalpha()) or any(c in tail for c in "/\\"):
        return whole, None
    return Path(head).expanduser(), (tail.strip() or None)


def check_park_data(
    park_data: Mapping[str, Any], source: str, statistics: ParkStatistics | None = None
) -> ParkStatistics:
    """Check the names and units of ``[park_data]`` (its files are read later, once, by the pipeline);
    return its statistics, parsed (``statistics``, when given, are those parsed before: the names
    are checked, the figures not parsed again).

    Raises
    ------
    ConfigError
        An unknown key (with the closest known one), a derived figure given directly, or a
        statistic whose unit is not of its kind.
    """
    known = [*PARK_DATA_USER_KEYS, *PARK_DATA_FILE_KEYS, *PARK_STAT_KEYS]
    for key in park_data:
        if key in SCORED_DERIVED:
            raise ConfigError(
                f"park_data.{key} in {source} is derived, not given: give output and land_area "
                "(land_productivity) or rd_staff and employees (rd_staff_share), each with its unit."
            )
        if key not in known:
            raise unknown_key_error(key, known, "[park_data]", source)
    return statistics if statistics is not None else read_statistics(park_data, source)


def _user_indicators(raw: dict[str, Any], source: str) -> dict[str, dict[str, Any]]:
    out = {}
    for name, table in raw.items():
        where = f"[diagnosis.user_indicators.{name}] in {source}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table with table, subsystem and direction.")
        known = ["table", "subsystem", "direction", "per_km2", "lo", "hi"]
        for key in table:
            if key not in known:
                raise unknown_key_error(key, known, f"[diagnosis.user_indicators.{name}]", source)
        if not isinstance(table.get("table"), str):
            raise ConfigError(f'{where} needs table = "FILE[:COLUMN]" (CSV lon/lat or h3, or GeoPackage…).')
        if table.get("subsystem") not in SUBSYSTEMS:
            raise ConfigError(f"{where}: subsystem must be one of {', '.join(SUBSYSTEMS)}.")
        if table.get("direction", "positive") not in ("positive", "negative"):
            raise ConfigError(f"{where}: direction must be 'positive' or 'negative'.")
        lo, hi = table.get("lo"), table.get("hi")
        for key, value in (("lo", lo), ("hi", hi)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ConfigError(f"{where}: {key} must be a number.")
        if lo is not None and hi is not None and not 0 <= lo < hi:
            raise ConfigError(f"{where}: need 0 <= lo < hi, got lo = {lo}, hi = {hi}.")
        path, column = split_spec(table["table"])
        if source != "the shipped defaults" and not path.is_absolute():
            path = Path(source).parent / path  # relative to the config file
        out[name] = {
            "table": str(path) + (f":{column}" if column else ""),
            "subsystem": table["subsystem"],
            "direction": table.get("direction", "positive"),
            "per_km2": bool(table.get("per_km2", True)),
            "lo": None if lo is None else float(lo),
            "hi": None if hi is None else float(hi),
        }
    return out


def _ahp_weights(ahp: dict[str, Any], source: str) -> dict[str, float]:
    """Indicator weights from ``[diagnosis.ahp.<subsystem>]`` tables (``indicators``, ``matrix``)."""
    if not ahp:
        raise ConfigError(
            f"diagnosis.weights = 'ahp' in {source} needs [diagnosis.ahp.<subsystem>] tables with "
            "indicators = [...] and matrix = [[...], ...] (pairwise comparisons, Saaty's 1-9 scale)."
        )
    weights: dict[str, float] = {}
    for sub, table in ahp.items():
        if sub not in SUBSYSTEMS or not isinstance(table, dict):
            raise ConfigError(f"[diagnosis.ahp.{sub}] in {source}: use one of {', '.join(SUBSYSTEMS)}.")
        names, matrix = table.get("indicators", []), table.get("matrix", [])
        for name in names:
            if name not in INDICATOR_BY_KEY or INDICATOR_BY_KEY[name].subsystem != sub:
                raise ConfigError(f"[diagnosis.ahp.{sub}] in {source}: '{name}' is not a {sub} indicator.")
        try:
            w, cr = ahp_weights(matrix)
        except InputError as exc:
            raise ConfigError(f"[diagnosis.ahp.{sub}] in {source}: {exc}") from exc
        if len(w) != len(names):
            raise ConfigError(
                f"[diagnosis.ahp.{sub}] in {source}: the matrix is {len(w)} × {len(w)} but "
                f"{len(names)} indicators are named."
            )
        if cr > 0.1:
            raise ConfigError(
                f"[diagnosis.ahp.{sub}] in {source} is inconsistent (consistency ratio {cr:.3f} > 0.1): "
                "revise the pairwise judgements."
            )
        weights.update({n: float(x) for n, x in zip(names, w, strict=True)})
    return weights


def _validate(s: Settings, source: str) -> None:
    problems = []
    if s.buffer_m < 0:
        problems.append("area.buffer_m must be >= 0")
    if not 1 <= s.k <= 50:
        problems.append("access.k must be between 1 and 50")
    if s.max_distance_m <= 0:
        problems.append("access.max_distance_m must be > 0")
    if s.walk_speed_m_s <= 0:
        problems.append("access.walk_speed_m_s must be > 0")
    if not 0 <= s.full_credit_m < s.max_distance_m:
        problems.append("score.full_credit_m must be >= 0 and below access.max_distance_m")
    if s.decay not in DECAYS:
        problems.append(f"score.decay must be one of {', '.join(DECAYS)}")
    if s.coverage_minutes <= 0:
        problems.append("score.coverage_minutes must be > 0")
    if not 0 <= s.h3_resolution <= 15:
        problems.append("grid.h3_resolution must be between 0 and 15")
    if s.edge_spacing_m <= 0:
        problems.append("defaults.edge_spacing_m must be > 0")
    if problems:
        raise ConfigError(f"Invalid settings in {source}: " + "; ".join(problems) + ".")


def _parse_selector(selector: str, where: str, source: str) -> list[tuple[str, str]]:
    """Parse ``"k=v;k2=*"`` into ``[(k, v), (k2, "*")]``."""
    parts = []
    for term in selector.split(";"):
        key, sep, value = term.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(
                f"Bad tag selector '{selector}' in {where} of {source}: write 'key=value' or 'key=*'."
            )
        parts.append((key.strip(), value.strip()))
    return parts


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """Load the shipped defaults, apply a user TOML file, then keyword overrides.

    Parameters
    ----------
    config : str or Path, optional
        A TOML file with any of the sections ``[area]``, ``[access]``, ``[score]``, ``[grid]``,
        ``[defaults]`` and ``[categories.<key>]``. Unknown keys raise :class:`ConfigError`.
    **overrides
        Flat overrides by field name of :class:`Settings` (e.g. ``buffer_m=1000``).

    Returns
    -------
    Settings
    """
    raw = _read_shipped("defaults.toml")
    raw.update(_read_shipped("taxonomy.toml"))
    source = "the shipped defaults"
    if config is not None:
        path = Path(config)
        user = read_toml_file(path, "Config file", "--config")
        source = str(path)
        park_data = user.get("park_data")
        for key in ("firms_csv", "space_csv"):
            table = park_data.get(key) if isinstance(park_data, dict) else None
            if isinstance(table, str) and not Path(table).is_absolute():
                user["park_data"][key] = str(path.parent / table)  # relative to the config file
        raw = _merge(raw, user, source)
    settings = _build(raw, source)
    if overrides:
        fields = set(Settings.__dataclass_fields__)
        for k in overrides:
            if k not in fields:
                close = difflib.get_close_matches(k, sorted(fields), n=1)
                raise ConfigError(
                    f"Unknown setting '{k}'." + (f" Did you mean '{close[0]}'?" if close else "")
                )
        from dataclasses import replace

        settings = replace(settings, **overrides)
        _validate(settings, "the arguments")
    return settings
