"""Jobs and residents: estimates from OSM buildings, user tables, and their reallocation to H3 cells.

Two sources, one output (counts per H3 cell):

1. **Estimates from buildings** — :func:`building_floorspace` gives each OSM building a footprint,
   a number of storeys and a use (inferred: most buildings are only ``building=yes``), hence a gross
   floor area; :func:`estimate_jobs_residents` divides it by floor area per job (by use) and per
   resident. Parameters: :class:`PopulationParams`, shipped in ``data/buildings.toml``.
2. **User tables** — :func:`read_counts_table` reads ``FILE[:COLUMN]`` (CSV with lon/lat or H3 ids,
   GeoPackage / GeoJSON / Shapefile of points or polygons; WGS84, GCJ-02, BD-09 or any EPSG CRS).

:func:`allocate_to_cells` and :func:`building_counts_to_cells` put both on the cells of the study
area, conserving totals: what lies inside the cells is reallocated, never invented. The methods and
their sources are in docs/population.md.
"""

from __future__ import annotations

import copy
import difflib
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import reverse_geocode
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from parkscope.errors import ConfigError, InputError
from parkscope.inputs import coords
from parkscope.inputs.rasters import is_raster, read_raster
from parkscope.settings.config import split_spec as _split_spec
from parkscope.settings.config import unknown_key_error
from parkscope.walk.grid import cell_polygons

log = logging.getLogger(__name__)

__all__ = [
    "USES",
    "PopulationParams",
    "allocate_to_cells",
    "building_counts_to_cells",
    "building_floorspace",
    "country_of",
    "defaults_for",
    "defaults_record",
    "estimate_error",
    "estimate_jobs_residents",
    "load_population_params",
    "read_counts_table",
]

WGS84 = CRS.from_epsg(4326)

#: Building uses, in the order used to break ties between POI classes (most specific first).
USES: tuple[str, ...] = (
    "research",
    "education",
    "hotel",
    "office",
    "industrial",
    "retail",
    "mixed",
    "residential",
    "other",
)
#: Uses whose floor area holds jobs (``mixed``: its non-residential storeys).
JOB_USES: tuple[str, ...] = ("research", "education", "hotel", "office", "industrial", "retail", "mixed")
#: POI classes, in the order tried for a POI with several keys and used to break count ties.
_POI_ORDER: tuple[str, ...] = ("research", "education", "hotel", "office", "industrial", "retail")
USE_SOURCES: tuple[str, ...] = ("building_tag", "poi", "landuse", "default")
LEVELS_SOURCES: tuple[str, ...] = ("building:levels", "height", "default")

Kind = Literal["jobs", "residents"]
KINDS: tuple[str, ...] = ("jobs", "residents")
#: Where jobs and residents come from (``integration.jobs_source`` / ``residents_source``).
SOURCES: tuple[str, ...] = ("table", "raster", "head_count", "osm_buildings")
_DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {"jobs": ("jobs",), "residents": ("residents", "population")}

_BUILDING_COLUMNS = (
    "osm_type",
    "osm_id",
    "building",
    "name",
    "use",
    "use_source",
    "footprint_m2",
    "levels",
    "levels_source",
    "floor_area_m2",
)


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PopulationParams:
    """Parameters of the building-based estimate (defaults: ``data/buildings.toml``).

    Attributes
    ----------
    level_height_m : float
        Metres per storey, to turn a mapped ``height`` into storeys.
    roof_level_weight : float
        Weight of a ``roof:levels`` storey added to ``building:levels`` (0–1).
    min_footprint_m2 : float
        A building that nothing but its size tells about and that is smaller than this is ``other``.
    house_max_footprint_m2 : float
        A building of unknown storeys whose ``default_levels`` entry would be ``residential`` or
        ``mixed`` takes ``default_levels["house"]`` up to this footprint.
    default_use : str
        Use of a building that no tag, POI or area polygon tells about.
    mixed_nonresidential_levels : float
        Non-residential storeys of a ``mixed`` building (its residential share is
        ``max(0, 1 - mixed_nonresidential_levels / levels)``).
    m2_per_worker : Mapping[str, float]
        Gross floor area per job by use (keys: :data:`JOB_USES` and ``other``; 0 = no jobs).
    m2_per_resident : float
        Dwelling floor area per resident.
    residential_gross_to_net : float
        Dwelling floor area per m² of gross residential floor area (0–1].
    occupied_share : float
        Share of the dwelling floor in dwellings lived in permanently (0–1]: the rest is vacant or
        second homes. National figures in ``data/country_defaults.toml``.
    gross_to_net : float
        Share of non-residential gross floor area that ``m2_per_worker`` applies to (0–1].
    default_levels : Mapping[str, float]
        Storeys assumed by ``building=*`` value, then by use, then ``default``.
    building_use, poi_use, area_use : Mapping[str, str]
        Inference rules: ``building=*`` value → use; ``key=value`` / ``key=*`` of POIs → use; of the
        area polygons (land use, campuses) a building stands in → use.
    """

    level_height_m: float
    roof_level_weight: float
    min_footprint_m2: float
    house_max_footprint_m2: float
    default_use: str
    mixed_nonresidential_levels: float
    m2_per_worker: Mapping[str, float]
    m2_per_resident: float
    residential_gross_to_net: float
    occupied_share: float
    gross_to_net: float
    default_levels: Mapping[str, float]
    building_use: Mapping[str, str]
    poi_use: Mapping[str, str]
    area_use: Mapping[str, str]

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], source: str = "the population parameters") -> PopulationParams:
        """Build and check parameters from a complete mapping (the shape of ``[population]``).

        Raises
        ------
        ConfigError
            On a missing or unknown key, a value of the wrong type, or a value out of range.
        """
        known = [f.name for f in fields(cls)]
        for key in raw:
            if key not in known:
                raise unknown_key_error(key, known, "[population]", source)
        missing = [k for k in known if k not in raw]
        if missing:
            raise ConfigError(f"[population] in {source} lacks {', '.join(missing)}.")
        values: dict[str, Any] = {}
        for key in known:
            kind = _PARAM_KINDS[key]
            v = raw[key]
            if kind == "number":
                values[key] = _number(v, f"population.{key}", source)
            elif kind == "use":
                if v not in USES:
                    raise ConfigError(
                        f"population.{key} in {source} is {v!r}; it must be one of {', '.join(USES)}."
                    )
                values[key] = v
            else:
                if not isinstance(v, Mapping):
                    raise ConfigError(
                        f"population.{key} in {source} must be a table (e.g. {key} = {{ ... }})."
                    )
                values[key] = MappingProxyType(_check_table(key, v, source))
        params = cls(**values)
        params._validate(source)
        return params

    def _validate(self, source: str) -> None:
        problems = []
        if self.level_height_m <= 0:
            problems.append("level_height_m must be > 0")
        if not 0 <= self.roof_level_weight <= 1:
            problems.append("roof_level_weight must be between 0 and 1")
        if self.min_footprint_m2 < 0:
            problems.append("min_footprint_m2 must be >= 0")
        if self.house_max_footprint_m2 < 0:
            problems.append("house_max_footprint_m2 must be >= 0")
        if self.mixed_nonresidential_levels < 0:
            problems.append("mixed_nonresidential_levels must be >= 0")
        if self.m2_per_resident <= 0:
            problems.append("m2_per_resident must be > 0")
        if not 0 < self.residential_gross_to_net <= 1:
            problems.append("residential_gross_to_net must be in (0, 1]")
        if not 0 < self.occupied_share <= 1:
            problems.append("occupied_share must be in (0, 1]")
        if not 0 < self.gross_to_net <= 1:
            problems.append("gross_to_net must be in (0, 1]")
        lacking = [u for u in JOB_USES if u not in self.m2_per_worker]
        if lacking:
            problems.append(f"m2_per_worker lacks {', '.join(lacking)}")
        for key in ("default", "house"):
            if key not in self.default_levels:
                problems.append(f"default_levels needs a '{key}' entry")
        if problems:
            raise ConfigError(f"Invalid [population] values in {source}: " + "; ".join(problems) + ".")

    def __reduce__(self) -> tuple[Any, ...]:
        # the read-only tables (MappingProxyType) do not pickle: rebuild from the plain data
        return (type(self).from_dict, (self.as_dict(),))

    def as_dict(self) -> dict[str, Any]:
        """Plain-data view (TOML/JSON serialisable), the shape :meth:`from_dict` reads."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            out[f.name] = dict(v) if isinstance(v, Mapping) else v
        return out


_PARAM_KINDS: dict[str, str] = {
    "level_height_m": "number",
    "roof_level_weight": "number",
    "min_footprint_m2": "number",
    "house_max_footprint_m2": "number",
    "default_use": "use",
    "mixed_nonresidential_levels": "number",
    "m2_per_worker": "table",
    "m2_per_resident": "number",
    "residential_gross_to_net": "number",
    "occupied_share": "number",
    "gross_to_net": "number",
    "default_levels": "table",
    "building_use": "table",
    "poi_use": "table",
    "area_use": "table",
}


def _number(v: Any, where: str, source: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise ConfigError(f"{where} in {source} must be a number (got {type(v).__name__}: {v!r}).")
    return float(v)


def _check_table(key: str, table: Mapping[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        where = f"population.{key}.{k}"
        if key == "m2_per_worker":
            if k not in (*JOB_USES, "other"):
                raise unknown_key_error(k, [*JOB_USES, "other"], f"population.{key}", source)
            out[k] = _number(v, where, source)
            if out[k] < 0:
                raise ConfigError(f"{where} in {source} must be >= 0 (0 means no jobs).")
        elif key == "default_levels":
            out[k] = _number(v, where, source)
            if out[k] <= 0:
                raise ConfigError(f"{where} in {source} must be > 0 storeys.")
        else:
            if v not in USES:
                raise ConfigError(f"{where} in {source} is {v!r}; it must be one of {', '.join(USES)}.")
            if key in ("poi_use", "area_use"):
                tag_key, sep, tag_value = k.partition("=")
                if not sep or not tag_key.strip() or not tag_value.strip():
                    raise ConfigError(
                        f'Bad rule \'{k}\' in population.{key} of {source}: write "key=value" or "key=*".'
                    )
            out[k] = v
    return out


def _shipped_population() -> dict[str, Any]:
    text = resources.files("parkscope").joinpath("data", "buildings.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["population"]


def _merge_params(raw: dict[str, Any], overrides: Mapping[str, Any], source: str) -> None:
    """Apply ``[population]``-shaped overrides to ``raw`` in place (tables merged key by key)."""
    known = [f.name for f in fields(PopulationParams)]
    for key, value in overrides.items():
        if key not in known:
            raise unknown_key_error(key, known, "[population]", source)
        if isinstance(raw[key], dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"population.{key} in {source} must be a table (e.g. {key} = {{ ... }}).")
            raw[key] = {**raw[key], **dict(value)}
        else:
            raw[key] = value


def load_population_params(
    overrides: Mapping[str, Any] | None = None,
    source: str = "the [population] section of the config",
    *,
    country: Mapping[str, Any] | None = None,
) -> PopulationParams:
    """The shipped defaults, then the country's, then the user's overrides.

    Parameters
    ----------
    overrides : mapping, optional
        The ``[population]`` section of a user config. Scalars replace the default; tables
        (``m2_per_worker``, ``default_levels``, ``building_use``, ``poi_use``, ``area_use``) are merged
        key by key. They win over the country's defaults.
    source : str
        Where the overrides come from, for error messages.
    country : mapping, optional
        From :func:`defaults_for`: its ``params`` replace the shipped ``data/buildings.toml`` values
        (living area per resident, occupied share, storeys where the evidence allows).

    Returns
    -------
    PopulationParams

    Raises
    ------
    ConfigError
        On an unknown key (with the closest known one), a wrong type or a value out of range.

    Examples
    --------
    >>> p = load_population_params({"m2_per_worker": {"office": 15}})
    >>> p.m2_per_worker["office"], p.m2_per_worker["research"]
    (15.0, 15.0)
    """
    raw = _shipped_population()
    if country:
        _merge_params(raw, country.get("params", {}), "data/country_defaults.toml")
    if overrides:
        _merge_params(raw, overrides, source)
        return PopulationParams.from_dict(raw, source)
    return PopulationParams.from_dict(raw, "the shipped defaults (data/buildings.toml)")


# --------------------------------------------------------------------------------------------------
# Country defaults and the measured error of the estimate
# --------------------------------------------------------------------------------------------------


def _shipped_toml(name: str) -> dict[str, Any]:
    return tomllib.loads(resources.files("parkscope").joinpath("data", name).read_text(encoding="utf-8"))


def country_of(lon: float, lat: float) -> tuple[str, str]:
    """ISO 3166-1 alpha-2 code and name of the country at a point, looked up offline.

    The nearest populated place of the GeoNames gazetteer shipped with the ``reverse-geocode``
    package decides, so within a few kilometres of a border the neighbour may answer.

    Examples
    --------
    >>> country_of(9.52, 47.14)
    ('LI', 'Liechtenstein')
    """
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValueError(f"country_of needs WGS84 longitude/latitude, got ({lon}, {lat}).")
    place = reverse_geocode.get((float(lat), float(lon)))
    return str(place["country_code"]).upper(), str(place["country"])


def defaults_for(lon: float, lat: float) -> dict[str, Any]:
    """The country-keyed defaults of the building-based estimate at a point (``data/country_defaults.toml``).

    Parameters
    ----------
    lon, lat : float
        WGS84 degrees, e.g. the centre of the study area.

    Returns
    -------
    dict
        ``country`` (ISO code), ``name``, ``listed`` (False: the documented fallback was used),
        ``params`` (``[population]``-shaped values for :func:`load_population_params`) and
        ``sources`` (parameter → citation).

    Examples
    --------
    >>> d = defaults_for(116.355, 40.003)
    >>> d["country"], d["params"]["m2_per_resident"]
    ('CN', 36.52)
    """
    code, name = country_of(lon, lat)
    table = _shipped_toml("country_defaults.toml")
    entry = table["country"].get(code)
    listed = entry is not None
    entry = entry if listed else table["fallback"]
    return {
        "country": code,
        "name": name,
        "listed": listed,
        "params": copy.deepcopy(entry.get("params", {})),
        "sources": dict(entry.get("sources", {})),
    }


def defaults_record(country: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the summary says about the defaults used: country, living area per resident, sources.

    ``sources`` cites each value the country sets; a value the user's ``[population]`` section sets
    is reported as theirs; every other value is the shipped ``data/buildings.toml`` one (``others``).
    """
    params = load_population_params(overrides, country=country)
    user = set(overrides or {})
    sources = dict(country.get("sources", {}))
    for key in user:
        sources[key] = "the user's [population] section"
    sources["others"] = "data/buildings.toml (sources in docs/population.md)"
    return {
        "country": country["country"],
        "name": country["name"],
        "listed": bool(country["listed"]),
        "m2_per_resident": params.m2_per_resident,
        "occupied_share": params.occupied_share,
        "source": sources.get("m2_per_resident", ""),
        "sources": sources,
    }


def estimate_error(kind: str, source: str) -> dict[str, Any] | None:
    """The measured error of an estimate of jobs or residents (``data/estimate_error.toml``).

    Parameters
    ----------
    kind : {"jobs", "residents"}
    source : {"osm_buildings", "table", "raster", "head_count"}
        ``integration.jobs_source`` / ``residents_source``. Only ``osm_buildings`` is parkscope's own
        estimate; the error of a table, raster or head-count is the user's, so those give None.

    Returns
    -------
    dict or None
        ``factor`` (the estimate was within ×factor of the census figure on the held-out truths),
        ``rank_correlation`` (Spearman, per zone; None where no well-mapped extract with a per-zone
        truth was measured), ``basis`` (the data,
        the statistic, the date and the parkscope version) — or None.

    Examples
    --------
    >>> estimate_error("jobs", "table") is None
    True
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'jobs' or 'residents', not {kind!r}")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    entry = _shipped_toml("estimate_error.toml").get(source, {}).get(kind)
    if entry is None:
        return None
    rho = float(entry["rank_correlation"])
    return {
        "factor": float(entry["factor"]),
        "rank_correlation": rho if math.isfinite(rho) else None,
        "basis": str(entry["basis"]),
    }


# --------------------------------------------------------------------------------------------------
# Buildings: footprint, storeys, use, floor area
# --------------------------------------------------------------------------------------------------


def _rules(table: Mapping[str, str]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    exact: dict[tuple[str, str], str] = {}
    wildcard: dict[str, str] = {}
    for rule, use in table.items():
        k, _, v = rule.partition("=")
        k, v = k.strip(), v.strip()
        if v == "*":
            wildcard[k] = use
        else:
            exact[(k, v)] = use
    return exact, wildcard


def _classify_tags(tags: list[dict[str, str]], table: Mapping[str, str]) -> np.ndarray:
    """The use each tag dict implies under ``key=value`` / ``key=*`` rules (None when none applies).

    A dict matching several rules takes the most specific use (order of :data:`_POI_ORDER`, then
    :data:`USES`); ``key=value`` rules win over ``key=*`` for the same key.
    """
    exact, wildcard = _rules(table)
    keys = {k for k, _ in exact} | set(wildcard)
    rank = {u: i for i, u in enumerate(USES)}
    out = np.full(len(tags), None, dtype=object)
    for i, t in enumerate(tags):
        best = None
        for k in keys & t.keys():
            use = exact.get((k, t[k]), wildcard.get(k))
            if use is not None and (best is None or rank[use] < rank[best]):
                best = use
        out[i] = best
    return out


def _number_tag(values: list[Any], lo: float, hi: float) -> np.ndarray:
    """Leading number of each tag value ("4", "3.5", "12 m", "2;3" → 2); NaN when absent or out of range."""
    num = pd.Series(values, dtype=object).astype("string").str.extract(r"^\s*(\d+(?:[.,]\d+)?)", expand=False)
    x = pd.to_numeric(num.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=np.float64)
    x[(x <= lo) | (x > hi)] = np.nan
    return x


def _empty_buildings() -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in _BUILDING_COLUMNS})
    for c in ("footprint_m2", "levels", "floor_area_m2"):
        frame[c] = frame[c].astype(np.float64)
    frame["osm_id"] = frame["osm_id"].astype(np.int64)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=WGS84), crs=WGS84)


def building_floorspace(
    features: gpd.GeoDataFrame, crs: Any, params: PopulationParams | None = None
) -> gpd.GeoDataFrame:
    """One row per OSM building polygon: footprint, storeys, inferred use and gross floor area.

    Buildings are the polygons with a ``building`` tag other than ``no``; ``building:part`` polygons
    are left out (they lie inside a building outline and would count its floor twice), and so are
    buildings mapped as single points (no footprint).

    Storeys: ``building:levels`` (+ ``roof_level_weight`` × ``roof:levels``), else ``height`` /
    ``level_height_m`` (rounded, at least 1), else ``default_levels`` by building value, by use, or
    ``default`` (``house`` instead of ``residential`` / ``mixed`` up to ``house_max_footprint_m2``).

    Use, first rule that applies:

    1. ``building_tag`` — the ``building=*`` value (``building_use``), or POI tags on the building
       polygon itself (``amenity=school`` ...);
    2. ``poi`` — the POIs mapped inside it (``poi_use``; the most frequent class, ties to the most
       specific); shops or offices in a residential building make it ``mixed``, research POIs in an
       office building make it ``research``;
    3. ``default`` — a building of unknown use below ``min_footprint_m2`` is ``other``;
    4. ``landuse`` — the smallest area polygon it stands in (``area_use``: land use, campuses);
    5. ``default`` — ``default_use``.

    Parameters
    ----------
    features : GeoDataFrame
        ``OsmExtract.features``: ``osm_type``, ``osm_id``, ``tags`` (dict), geometry (EPSG:4326).
    crs : pyproj.CRS or str
        Metric CRS in which footprints are measured (the study area's).
    params : PopulationParams, optional
        Defaults from :func:`load_population_params`.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``osm_type``, ``osm_id``, ``building`` (the tag value), ``name``, ``use``, ``use_source``,
        ``footprint_m2``, ``levels``, ``levels_source``, ``floor_area_m2`` and the polygon.
    """
    params = params or load_population_params()
    metric = CRS.from_user_input(crs)
    if metric.is_geographic:
        raise ValueError(f"building_floorspace needs a metric CRS to measure footprints, got {metric.name}.")
    if features is None or len(features) == 0:
        return _empty_buildings()
    if features.crs is None:
        raise ValueError("features have no CRS; OsmExtract.features are EPSG:4326.")
    feats = features if features.crs.equals(WGS84) else features.to_crs(WGS84)
    geoms = feats.geometry.values
    type_id = shapely.get_type_id(geoms)
    tags: list[dict[str, str]] = [t if isinstance(t, dict) else {} for t in feats["tags"].tolist()]
    bval = np.array(
        [str(t["building"]).strip().lower() if "building" in t else None for t in tags], dtype=object
    )
    polygonal = np.isin(type_id, (3, 6))
    is_b = polygonal & pd.notna(bval) & (bval != "no")
    bi = np.nonzero(is_b)[0]
    if bi.size == 0:
        return _empty_buildings()
    bgeom = geoms[bi]
    btags = [tags[i] for i in bi]
    bv = bval[bi]
    nb = bi.size
    footprint = shapely.area(gpd.GeoSeries(bgeom, crs=WGS84).to_crs(metric).values)

    # 1. the building's own tags
    tag_use = np.array([params.building_use.get(v) for v in bv], dtype=object)
    own_poi = _classify_tags(btags, params.poi_use)

    # 2. POIs inside: a vectorised point-in-polygon join (STRtree, as geopandas.sjoin does)
    poi_use = np.full(nb, None, dtype=object)
    is_point = type_id == 0
    pi = np.nonzero(is_point)[0]
    if pi.size:
        pclass = _classify_tags([tags[i] for i in pi], params.poi_use)
        keep = pd.notna(pclass)
        pi, pclass = pi[keep], pclass[keep]
    if pi.size:
        tree = shapely.STRtree(bgeom)
        p_idx, b_idx = tree.query(geoms[pi], predicate="within")
        if p_idx.size:
            col = {u: j for j, u in enumerate(_POI_ORDER)}
            counts = np.zeros((nb, len(_POI_ORDER)))
            np.add.at(counts, (b_idx, np.array([col[c] for c in pclass[p_idx]])), 1.0)
            # the most frequent class; ties go to the most specific (earlier in _POI_ORDER)
            score = counts - np.arange(len(_POI_ORDER)) * 1e-3
            has = counts.sum(axis=1) > 0
            best = np.argmax(score, axis=1)
            poi_use[has] = np.array(_POI_ORDER, dtype=object)[best[has]]

    # 4. area polygons the building stands in (the smallest wins)
    area_use = np.full(nb, None, dtype=object)
    ai = np.nonzero(polygonal & ~is_b)[0]
    if ai.size:
        aclass = _classify_tags([tags[i] for i in ai], params.area_use)
        keep = pd.notna(aclass)
        ai, aclass = ai[keep], aclass[keep]
    if ai.size:
        apoly = geoms[ai]
        aarea = shapely.area(gpd.GeoSeries(apoly, crs=WGS84).to_crs(metric).values)
        inner = shapely.point_on_surface(bgeom)
        b_idx, a_idx = shapely.STRtree(apoly).query(inner, predicate="within")
        if b_idx.size:
            order = np.lexsort((aarea[a_idx], b_idx))
            b_sorted, a_sorted = b_idx[order], a_idx[order]
            first = np.unique(b_sorted, return_index=True)[1]
            area_use[b_sorted[first]] = aclass[a_sorted[first]]

    use = np.full(nb, None, dtype=object)
    source = np.full(nb, None, dtype=object)
    base = np.where(pd.notna(tag_use), tag_use, own_poi)
    has_base = pd.notna(base)
    has_poi = pd.notna(poi_use)
    # rule 1 (and 2's refinements of it); every POI class is a job use
    residential_base = has_base & (base == "residential")
    poi_jobs = has_poi | (pd.notna(tag_use) & pd.notna(own_poi))
    m = residential_base & poi_jobs
    use[m] = "mixed"
    source[m] = np.where(has_poi[m], "poi", "building_tag")  # shops inside, or a shop tag on it
    m = residential_base & ~poi_jobs
    use[m], source[m] = "residential", "building_tag"
    m = has_base & ~residential_base & (base == "office") & (poi_use == "research")
    use[m], source[m] = "research", "poi"
    m = has_base & ~residential_base & pd.isna(use)
    use[m], source[m] = base[m], "building_tag"
    # rule 2: POIs inside a building of unknown use (shops in a residential area: mixed)
    m = ~has_base & has_poi
    use[m] = np.where(area_use[m] == "residential", "mixed", poi_use[m])
    source[m] = "poi"
    # rule 3: small and unknown
    unknown = pd.isna(use)
    m = unknown & (footprint < params.min_footprint_m2)
    use[m], source[m] = "other", "default"
    # rule 4: land use
    m = pd.isna(use) & pd.notna(area_use)
    use[m], source[m] = area_use[m], "landuse"
    # rule 5: default
    m = pd.isna(use)
    use[m], source[m] = params.default_use, "default"

    # storeys
    levels_tag = _number_tag([t.get("building:levels") for t in btags], 0.0, 300.0)
    roof = _number_tag([t.get("roof:levels") for t in btags], -1.0, 20.0)
    height = _number_tag([t.get("height") for t in btags], 0.0, 1000.0)
    dl = params.default_levels
    # a use known only from the POIs inside says what the ground floor holds, not how tall the
    # building is: such a building takes the "default" storeys (docs/validation.md, Monaco)
    key = np.array(
        [
            v if v in dl else u if u in dl and s != "poi" else "default"
            for v, u, s in zip(bv, use, source, strict=True)
        ],
        dtype=object,
    )
    # small residential buildings are houses, not blocks (measured on Berlin: docs/population.md)
    small_home = np.isin(key, ("residential", "mixed")) & (footprint <= params.house_max_footprint_m2)
    key[small_home] = "house"
    default_lv = np.array([dl[k] for k in key], dtype=np.float64)
    from_height = np.maximum(1.0, np.round(height / params.level_height_m))
    has_levels = ~np.isnan(levels_tag)
    has_height = ~has_levels & ~np.isnan(height)
    levels = np.where(
        has_levels,
        levels_tag + params.roof_level_weight * np.nan_to_num(roof),
        np.where(has_height, from_height, default_lv),
    )
    levels_source = np.where(has_levels, "building:levels", np.where(has_height, "height", "default"))

    out = gpd.GeoDataFrame(
        {
            "osm_type": feats["osm_type"].to_numpy()[bi],
            "osm_id": feats["osm_id"].to_numpy(dtype=np.int64)[bi],
            "building": bv,
            "name": np.array([t.get("name") for t in btags], dtype=object),
            "use": use,
            "use_source": source,
            "footprint_m2": footprint,
            "levels": levels,
            "levels_source": levels_source.astype(object),
            "floor_area_m2": footprint * levels,
        },
        geometry=gpd.GeoSeries(bgeom, crs=WGS84).values,
        crs=WGS84,
    )
    log.info(
        "buildings: %d, use from %s; levels from %s",
        nb,
        out["use_source"].value_counts().to_dict(),
        out["levels_source"].value_counts().to_dict(),
    )
    return out


def estimate_jobs_residents(
    buildings: gpd.GeoDataFrame, params: PopulationParams | None = None
) -> gpd.GeoDataFrame:
    """Jobs and residents of each building from its floor area and use.

    ``residential_floor_m2`` = floor area × residential share (1 for ``residential``;
    ``max(0, 1 - mixed_nonresidential_levels / levels)`` for ``mixed``; 0 otherwise);
    ``residents`` = residential floor × ``residential_gross_to_net`` × ``occupied_share`` /
    ``m2_per_resident``;
    ``jobs`` = (floor − residential floor) × ``gross_to_net`` / ``m2_per_worker[use]`` (0 where that
    figure is 0, as for ``other``).

    Parameters
    ----------
    buildings : GeoDataFrame
        From :func:`building_floorspace` (needs ``use``, ``levels``, ``floor_area_m2``).
    params : PopulationParams, optional
        Defaults from :func:`load_population_params`.

    Returns
    -------
    GeoDataFrame
        A copy with ``residential_floor_m2``, ``jobs`` and ``residents`` (float) added.
    """
    params = params or load_population_params()
    lacking = [c for c in ("use", "levels", "floor_area_m2") if c not in buildings.columns]
    if lacking:
        raise ValueError(f"buildings lack {', '.join(lacking)}: pass the output of building_floorspace.")
    out = buildings.copy()
    use = out["use"].astype(object).to_numpy()
    floor = out["floor_area_m2"].to_numpy(dtype=np.float64)
    levels = out["levels"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        mixed_share = np.clip(1.0 - params.mixed_nonresidential_levels / levels, 0.0, 1.0)
    res_share = np.where(use == "residential", 1.0, np.where(use == "mixed", mixed_share, 0.0))
    res_floor = floor * res_share
    density = np.array([params.m2_per_worker.get(u, 0.0) for u in use], dtype=np.float64)
    job_floor = np.where(use == "residential", 0.0, floor - res_floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        jobs = np.where(density > 0, job_floor * params.gross_to_net / density, 0.0)
    out["residential_floor_m2"] = res_floor
    out["jobs"] = jobs
    out["residents"] = (
        res_floor * params.residential_gross_to_net * params.occupied_share / params.m2_per_resident
    )
    return out


# --------------------------------------------------------------------------------------------------
# User tables
# --------------------------------------------------------------------------------------------------

_CSV_SUFFIXES = (".csv", ".tsv", ".txt")
_VECTOR_SUFFIXES = (".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".kml", ".zip")
_H3_NAMES = ("h3", "h3_id", "h3_index", "hex_id")
_LON_NAMES = ("lon", "lng", "longitude", "long", "x")
_LAT_NAMES = ("lat", "latitude", "y")
_WKT_NAMES = ("wkt", "geometry", "geom")
_CRS_HELP = (
    "give --table-crs as gcj02 (Amap, Tencent), bd09 (Baidu), wgs84, or an EPSG code such as EPSG:32650"
)


def _parse_table_crs(text: str | None) -> str | CRS | None:
    if text is None:
        return None
    if isinstance(text, CRS):
        return text
    key = str(text).strip().lower().replace("-", "").replace("_", "")
    if key in ("gcj02", "gcj", "amap", "mars"):
        return "gcj02"
    if key in ("bd09", "bd09ll", "baidu"):
        return "bd09"
    if key in ("wgs84", "wgs", "epsg:4326", "4326"):
        return WGS84
    try:
        crs = CRS.from_user_input(str(text).strip())
    except CRSError as exc:
        raise InputError(f"Unknown coordinate system '{text}' for the table: {_CRS_HELP}.") from exc
    try:
        Transformer.from_crs(crs, WGS84, always_xy=True)
    except ProjError as exc:
        raise InputError(
            f"The coordinate system '{text}' ({crs.name}) cannot be converted to WGS84 ({exc}); {_CRS_HELP}."
        ) from exc
    return crs


def _find_column(columns: list[str], wanted: tuple[str, ...]) -> str | None:
    for name in wanted:
        if name in columns:
            return name
    lower = {c.lower(): c for c in columns}
    for name in wanted:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def _rows(idx: np.ndarray, offset: int, what: str, limit: int = 5) -> str:
    shown = ", ".join(str(int(i) + offset) for i in idx[:limit])
    more = f" and {idx.size - limit} more" if idx.size > limit else ""
    return f"{what if idx.size > 1 else what.rstrip('s')} {shown}{more}"


def _counts(frame: pd.DataFrame, col: str, path: Path, offset: int, unit: str) -> np.ndarray:
    """The counts as float64: empty cells are 0 (logged); text, infinities and negatives are errors."""
    raw = frame[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    empty = pd.isna(raw).to_numpy(copy=True)
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype):
        empty |= raw.astype("string").str.strip().fillna("").eq("").to_numpy()
    bad = np.nonzero(~np.isfinite(values) & ~empty)[0]
    if bad.size:
        sample = raw.iloc[int(bad[0])]
        raise InputError(
            f"Column '{col}' of {path} must hold numbers, but {_rows(bad, offset, unit)} "
            f"{'does' if bad.size == 1 else 'do'} not hold one (e.g. {str(sample)!r}). Fix those rows, "
            "or name another column (FILE:COLUMN)."
        )
    if empty.any():
        log.warning(
            "%s: %s have no value in column '%s'; counted as 0",
            path.name,
            _rows(np.nonzero(empty)[0], offset, unit),
            col,
        )
        values[empty] = 0.0
    neg = np.nonzero(values < 0)[0]
    if neg.size:
        raise InputError(
            f"Column '{col}' of {path} holds negative counts ({_rows(neg, offset, unit)}, e.g. "
            f"{values[neg[0]]:g}); counts of jobs or residents must be 0 or more. Fix those rows."
        )
    return values


def _count_column(columns: list[str], column: str | None, kind: str, path: Path) -> str:
    wanted = (column,) if column else _DEFAULT_COLUMNS[kind]
    found = _find_column(columns, wanted)
    if found is None:
        what = f"column '{column}'" if column else f"column {' or '.join(repr(w) for w in wanted)}"
        shown = ", ".join(repr(c) for c in columns if c != "geometry") or "none"
        close = difflib.get_close_matches(column or wanted[0], columns, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InputError(
            f"The {kind} table {path} has no {what}; its columns are {shown}.{hint} Name the column "
            f"after the file: --{kind} {path.name}:COLUMN."
        )
    return found


def _convert_lonlat(x: np.ndarray, y: np.ndarray, crs: str | CRS | None) -> tuple[np.ndarray, np.ndarray]:
    if crs is None or (isinstance(crs, CRS) and crs.equals(WGS84)):
        return x, y
    if crs == "gcj02":
        return coords.gcj02_to_wgs84(x, y)
    if crs == "bd09":
        return coords.bd09_to_wgs84(x, y)
    tf = Transformer.from_crs(crs, WGS84, always_xy=True)
    return tf.transform(x, y)


def _check_lonlat(x: np.ndarray, y: np.ndarray, path: Path, offset: int, unit: str, what: str) -> None:
    bad = ~np.isfinite(x) | ~np.isfinite(y) | (np.abs(x) > 180) | (np.abs(y) > 90)
    if bad.any():
        idx = np.nonzero(bad)[0]
        swapped = (np.abs(y[bad]) > 90) & (np.abs(x[bad]) <= 90)
        hint = " (are lon and lat swapped?)" if np.all(swapped) else ""
        raise InputError(
            f"{path} has invalid coordinates in {_rows(idx, offset, unit)}{hint}: {what} must be "
            "finite, with longitude in [-180, 180] and latitude in [-90, 90]. If the table is in a "
            f"projected system, {_CRS_HELP}; otherwise fix or remove those rows."
        )


def _read_csv(path: Path) -> pd.DataFrame:
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    last: Exception | None = None
    for encoding in ("utf-8-sig", "gb18030"):  # Excel exports from Chinese systems are often GBK
        try:
            frame = pd.read_csv(path, sep=sep, encoding=encoding)
            if frame.shape[1] == 1 and sep == ",":
                frame = pd.read_csv(path, sep=None, engine="python", encoding=encoding)
            return frame
        except UnicodeDecodeError as exc:
            last = exc
        except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            raise InputError(
                f"{path} is not a readable CSV table ({exc}). Save it as CSV (UTF-8) again."
            ) from exc
    raise InputError(f"{path} is neither UTF-8 nor GB18030 text ({last}). Save it as CSV (UTF-8).")


def _h3_ids(values: pd.Series) -> np.ndarray:
    out = []
    for v in values.tolist():
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            try:
                v = h3.int_to_str(int(v))
            except (ValueError, TypeError, OverflowError):
                v = ""
        out.append(
            str(v).strip().lower() if v is not None and not (isinstance(v, float) and math.isnan(v)) else ""
        )
    return np.array(out, dtype=object)


def _valid_h3(ids: np.ndarray) -> np.ndarray:
    return np.array([bool(i) and h3.is_valid_cell(i) for i in ids], dtype=bool)


def _from_csv(path: Path, column: str | None, kind: str, crs: str | CRS | None) -> gpd.GeoDataFrame:
    frame = _read_csv(path)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    col = _count_column(columns, column, kind, path)
    offset, unit = 2, "lines"  # data row i is line i + 2 (after the header)
    counts = _counts(frame, col, path, offset, unit)
    wgs = crs is None or (isinstance(crs, CRS) and crs.equals(WGS84))
    lon_c, lat_c = _find_column(columns, _LON_NAMES), _find_column(columns, _LAT_NAMES)
    h3_c = _find_column(columns, _H3_NAMES)
    ids = None
    if h3_c is not None:
        ids = _h3_ids(frame[h3_c])
        ok = _valid_h3(ids)
        if not ok.all():
            example = frame[h3_c].iloc[int(np.argmin(ok))]
            raise InputError(
                f"Column '{h3_c}' of {path} must hold H3 cell ids, but "
                f"{_rows(np.nonzero(~ok)[0], offset, unit)} do not (e.g. {example!r}). "
                "Fix those ids, or give lon/lat columns instead."
            )
    else:
        id_c = _find_column(columns, ("id",))
        if id_c is not None:
            cand = _h3_ids(frame[id_c])
            if len(cand) and _valid_h3(cand).all():
                h3_c, ids = id_c, cand
    if ids is not None and (wgs or lon_c is None or lat_c is None):
        if not wgs:
            raise InputError(
                f"{path} locates its rows by H3 ids ('{h3_c}'), which are defined on WGS84, but the "
                f"table's coordinate system was given as {crs if isinstance(crs, str) else crs.to_string()}. "
                "Drop --table-crs, or give lon/lat columns in that system instead of H3 ids."
            )

        out = gpd.GeoDataFrame({"count": counts, "h3": ids}, geometry=list(cell_polygons(ids)), crs=WGS84)
        return out
    if lon_c is not None and lat_c is not None:
        x = pd.to_numeric(frame[lon_c], errors="coerce").to_numpy(dtype=np.float64)
        y = pd.to_numeric(frame[lat_c], errors="coerce").to_numpy(dtype=np.float64)
        if isinstance(crs, CRS) and not crs.is_geographic:
            bad = ~np.isfinite(x) | ~np.isfinite(y)
            if bad.any():
                _check_lonlat(x, y, path, offset, unit, f"'{lon_c}' and '{lat_c}'")
        else:
            _check_lonlat(x, y, path, offset, unit, f"'{lon_c}' and '{lat_c}'")
        x, y = _convert_lonlat(x, y, crs)
        _check_lonlat(
            np.asarray(x), np.asarray(y), path, offset, unit, f"'{lon_c}' and '{lat_c}' (converted to WGS84)"
        )
        return gpd.GeoDataFrame({"count": counts}, geometry=shapely.points(x, y), crs=WGS84)
    wkt_c = _find_column(columns, _WKT_NAMES)
    if wkt_c is not None:
        try:
            geoms = shapely.from_wkt(frame[wkt_c].astype(str).to_numpy(), on_invalid="ignore")
        except shapely.errors.GEOSException as exc:  # pragma: no cover - on_invalid="ignore" catches most
            raise InputError(f"Column '{wkt_c}' of {path} holds invalid WKT ({exc}).") from exc
        gdf = gpd.GeoDataFrame({"count": counts}, geometry=geoms, crs=crs if isinstance(crs, CRS) else WGS84)
        return _finish_vector(gdf, path, crs if isinstance(crs, str) else None, offset, unit)
    shown = ", ".join(repr(c) for c in columns)
    raise InputError(
        f"{path} has no geometry columns: give 'lon' and 'lat' columns (points), an 'h3' column of H3 "
        f"cell ids, or a 'wkt' column; its columns are {shown}."
    )


def _finish_vector(
    gdf: gpd.GeoDataFrame, path: Path, chinese: str | None, offset: int, unit: str
) -> gpd.GeoDataFrame:
    """Check geometries, convert GCJ-02 / BD-09 or reproject to WGS84."""
    geoms = gdf.geometry.values
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise InputError(
            f"{path} has rows without a geometry ({_rows(np.nonzero(missing)[0], offset, unit)}); "
            "give every row a point or polygon, or remove those rows."
        )
    type_id = shapely.get_type_id(geoms)
    wrong = ~np.isin(type_id, (0, 3, 6))
    if wrong.any():
        kinds = sorted(set(shapely.get_type_id(geoms[wrong]).tolist()))
        names = {
            1: "LineString",
            2: "LinearRing",
            4: "MultiPoint",
            5: "MultiLineString",
            7: "GeometryCollection",
        }
        raise InputError(
            f"{path} has {', '.join(names.get(k, str(k)) for k in kinds)} geometries "
            f"({_rows(np.nonzero(wrong)[0], offset, unit)}); counts of jobs or residents need points or "
            "polygons (split multipoints into one row per point)."
        )
    if chinese is not None:
        if gdf.crs is not None and not gdf.crs.is_geographic:
            raise InputError(
                f"{path} is in {gdf.crs.name}, a projected system, but --table-crs says {chinese}, "
                "which is longitude/latitude. Drop --table-crs, or give the file in lon/lat."
            )
        fn = coords.gcj02_to_wgs84 if chinese == "gcj02" else coords.bd09_to_wgs84

        def convert(xy: np.ndarray) -> np.ndarray:
            return np.column_stack(fn(xy[:, 0], xy[:, 1]))

        gdf = gpd.GeoDataFrame(
            gdf.drop(columns="geometry"), geometry=shapely.transform(geoms, convert), crs=WGS84
        )
    elif gdf.crs is None:
        raise InputError(f"{path} has no coordinate system; {_CRS_HELP}.")
    else:
        gdf = gdf.to_crs(WGS84)
    b = gdf.geometry.bounds.to_numpy()
    bad = (
        ~np.isfinite(b).all(axis=1)
        | (np.abs(b[:, [0, 2]]) > 180).any(axis=1)
        | (np.abs(b[:, [1, 3]]) > 90).any(axis=1)
    )
    if bad.any():
        raise InputError(
            f"{path} has invalid coordinates in {_rows(np.nonzero(bad)[0], offset, unit)} (outside "
            f"longitude [-180, 180] / latitude [-90, 90] once in WGS84). If the file's coordinate system "
            f"is wrong, {_CRS_HELP}; otherwise fix those rows."
        )
    return gdf


def _from_vector(path: Path, column: str | None, kind: str, crs: str | CRS | None) -> gpd.GeoDataFrame:
    try:
        data = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types (DataSourceError, DataLayerError...)
        raise InputError(
            f"{path} cannot be read as a GIS layer ({exc}). Give a GeoPackage, GeoJSON or Shapefile "
            "(with its .shx/.dbf/.prj beside it)."
        ) from exc
    columns = [str(c) for c in data.columns]
    if not isinstance(data, gpd.GeoDataFrame) or data.geometry.name not in data.columns:
        raise InputError(
            f"{path} has no geometry column (a table without points or polygons); its columns are "
            f"{', '.join(repr(c) for c in columns)}. Give a layer of points or polygons, or a CSV "
            "with lon/lat or h3 columns."
        )
    col = _count_column([c for c in columns if c != data.geometry.name], column, kind, path)
    offset, unit = 1, "features"
    counts = _counts(pd.DataFrame(data.drop(columns=data.geometry.name)), col, path, offset, unit)
    gdf = gpd.GeoDataFrame({"count": counts}, geometry=data.geometry.values, crs=data.crs)
    chinese = crs if isinstance(crs, str) else None
    if isinstance(crs, CRS):
        if gdf.crs is None:
            gdf = gdf.set_crs(crs)
        elif not gdf.crs.equals(crs):
            raise InputError(
                f"{path} says its coordinates are in {gdf.crs.to_string()} ({gdf.crs.name}), but "
                f"--table-crs says {crs.to_string()} ({crs.name}). Drop --table-crs to use the file's own "
                "system, or fix the file's."
            )
    return _finish_vector(gdf, path, chinese, offset, unit)


def read_counts_table(
    spec: str | Path, kind: Kind, table_crs: str | None = None, *, area: Any = None
) -> gpd.GeoDataFrame:
    """Read a user table of jobs or residents: ``FILE[:COLUMN]``, or a raster ``FILE.tif[:BAND]``.

    Parameters
    ----------
    spec : str or Path
        ``FILE`` or ``FILE:COLUMN``. A spec that exists as a file is never split (so Windows drive
        letters and colons in file names are safe); otherwise it is split at its last colon.
        COLUMN defaults to ``jobs`` (``kind="jobs"``) or ``residents``, then ``population``.
        Forms: CSV (also TSV) with ``lon``/``lat`` columns (points; ``lng``, ``longitude``, ``x`` and
        ``latitude``, ``y`` also accepted), or an ``h3`` column of H3 cell ids (or an ``id`` column
        whose values are all H3 ids), or a ``wkt`` column; GeoPackage / GeoJSON / Shapefile of points
        or polygons.
    kind : {"jobs", "residents"}
        What the table counts.
    table_crs : str, optional
        The table's coordinate system: None (WGS84 for CSV, the file's own for GIS layers),
        ``"gcj02"``, ``"bd09"``, ``"wgs84"`` or anything pyproj reads (``"EPSG:32650"``).
        Rasters always use their own.
    area : shapely geometry, optional
        For rasters: the study area (WGS84); only the pixels over it are read
        (:func:`parkscope.inputs.rasters.read_raster`, which see), as polygons with their value.

    Returns
    -------
    GeoDataFrame (EPSG:4326)
        ``count`` (float), geometry (points or polygons; H3 cell polygons for H3 tables) and, for H3
        tables, ``h3``. ``attrs`` holds ``source``, ``column``, ``kind``.

    Raises
    ------
    InputError
        Missing file, unknown format, no such column (the message lists the columns), non-numeric
        or negative counts, no geometry columns, invalid coordinates, unknown coordinate system.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be 'jobs' or 'residents', not {kind!r}")
    if is_raster(spec):
        pixels = read_raster(spec, kind, area)
        out = pixels.to_crs(WGS84)
        out.attrs = dict(pixels.attrs)
        return out
    crs = _parse_table_crs(table_crs)
    path, column = _split_spec(spec)
    if not path.exists():
        split = f" (the text after the last ':' was read as the column '{column}')" if column else ""
        raise InputError(
            f"The {kind} table {path} does not exist{split}. Check the path given to --{kind}: "
            "FILE or FILE:COLUMN."
        )
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise InputError(f"--{kind} {path} is a folder; give a CSV, GeoPackage, GeoJSON or Shapefile in it.")
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        out = _from_csv(path, column, kind, crs)
    elif suffix in _VECTOR_SUFFIXES or path.is_dir():
        out = _from_vector(path, column, kind, crs)
    else:
        raise InputError(
            f"The {kind} table {path.name} has an extension parkscope does not read ({suffix or 'none'}); "
            "give a CSV (lon/lat or h3 columns), GeoPackage, GeoJSON, Shapefile or a GeoTIFF raster (.tif)."
        )
    out.attrs.update({"source": str(path), "column": column or _DEFAULT_COLUMNS[kind][0], "kind": kind})
    log.info("%s table %s: %d rows, total %.1f", kind, path.name, len(out), float(out["count"].sum()))
    return out


# --------------------------------------------------------------------------------------------------
# Reallocation to H3 cells
# --------------------------------------------------------------------------------------------------


def _cells_index(cells: pd.DataFrame) -> tuple[np.ndarray, int, dict[str, int]]:
    if "h3" not in cells.columns:
        raise ValueError("cells need an 'h3' column of H3 ids (from grid.grid_cells / aggregate_to_cells).")
    ids = np.array([str(c) for c in cells["h3"].tolist()], dtype=object)
    if ids.size == 0:
        return ids, -1, {}
    res = {h3.get_resolution(c) for c in ids}
    if len(res) != 1:
        raise ValueError(f"cells mix H3 resolutions {sorted(res)}; give cells of one resolution.")
    return ids, res.pop(), {c: i for i, c in enumerate(ids)}


def _point_cells(x: np.ndarray, y: np.ndarray, res: int, where: dict[str, int]) -> np.ndarray:
    """Index into the cells of each WGS84 point (-1 outside every cell)."""
    return np.array(
        [where.get(h3.latlng_to_cell(float(b), float(a), res), -1) for a, b in zip(x, y, strict=True)],
        dtype=np.int64,
    )


def _h3_to_cells(
    ids: np.ndarray, counts: np.ndarray, res: int, where: dict[str, int], out: np.ndarray
) -> None:
    for cell, count in zip(ids, counts, strict=True):
        r = h3.get_resolution(cell)
        if r == res:
            i = where.get(cell, -1)
            if i >= 0:
                out[i] += count
        elif r > res:
            i = where.get(h3.cell_to_parent(cell, res), -1)
            if i >= 0:
                out[i] += count
        else:
            children = h3.cell_to_children(cell, res)
            share = count / len(children)
            for child in children:
                i = where.get(child, -1)
                if i >= 0:
                    out[i] += share


def allocate_to_cells(
    table: gpd.GeoDataFrame,
    cells: gpd.GeoDataFrame,
    crs: Any,
    *,
    weights: gpd.GeoDataFrame | None = None,
    weight_column: str = "floor_area_m2",
) -> pd.Series:
    """Reallocate a table of counts to H3 cells, conserving what lies inside them.

    - **H3 rows** (an ``h3`` column): the same resolution as the cells goes to that cell; a finer
      cell to its parent; a coarser cell is split equally among its children at the cells'
      resolution.
    - **Points**: to the H3 cell that contains them (``h3.latlng_to_cell``: a point on a shared edge
      counts once).
    - **Polygons**: areal weighting, ``count × area(polygon ∩ cell) / area(polygon)`` in the metric
      ``crs``; or, with ``weights`` and where the polygon holds weight, ``count × (weight in polygon and
      cell) / (weight in polygon)``, each weight feature counting at a point on its surface.

    Rows (or parts of polygons, or weight) outside every cell are dropped: the output sums to the
    share of the table inside the cells' union.

    Parameters
    ----------
    table : GeoDataFrame
        From :func:`read_counts_table`: ``count``, geometry (EPSG:4326), optional ``h3``.
    cells : GeoDataFrame
        ``h3`` (one resolution) and the cell polygons (EPSG:4326).
    crs : pyproj.CRS or str
        Metric CRS for areas.
    weights : GeoDataFrame, optional
        Features (e.g. buildings of the relevant use) with ``weight_column``.
    weight_column : str
        Column of ``weights`` (default ``floor_area_m2``).

    Returns
    -------
    Series
        Float counts indexed by ``h3`` in the order of ``cells`` (0 where nothing falls).
    """
    ids, res, where = _cells_index(cells)
    out = np.zeros(ids.size, dtype=np.float64)
    if ids.size == 0 or len(table) == 0:
        return pd.Series(out, index=pd.Index(ids, name="h3"), name="count")
    counts = table["count"].to_numpy(dtype=np.float64)
    by_h3 = np.zeros(len(table), dtype=bool)
    if "h3" in table.columns:
        hv = table["h3"].to_numpy(dtype=object)
        by_h3 = pd.notna(hv) & (hv != "")
        if by_h3.any():
            _h3_to_cells(np.array([str(c) for c in hv[by_h3]], dtype=object), counts[by_h3], res, where, out)
    rest = ~by_h3
    if rest.any():
        if table.crs is None:
            raise ValueError("table has no CRS; read it with read_counts_table (EPSG:4326).")
        geo = table.geometry.values if table.crs.equals(WGS84) else table.geometry.to_crs(WGS84).values
        type_id = shapely.get_type_id(geo)
        pts = rest & (type_id == 0)
        polys = rest & np.isin(type_id, (3, 6))
        other = rest & ~pts & ~polys
        if other.any():
            raise ValueError("table geometries must be points or polygons.")
        if pts.any():
            idx = _point_cells(shapely.get_x(geo[pts]), shapely.get_y(geo[pts]), res, where)
            ok = idx >= 0
            np.add.at(out, idx[ok], counts[pts][ok])
        if polys.any():
            _polygons_to_cells(geo[polys], counts[polys], cells, crs, res, where, out, weights, weight_column)
    return pd.Series(out, index=pd.Index(ids, name="h3"), name="count")


def _polygons_to_cells(
    zones: np.ndarray,
    counts: np.ndarray,
    cells: gpd.GeoDataFrame,
    crs: Any,
    res: int,
    where: dict[str, int],
    out: np.ndarray,
    weights: gpd.GeoDataFrame | None,
    weight_column: str,
) -> None:
    metric = CRS.from_user_input(crs)
    zones_m = gpd.GeoSeries(zones, crs=WGS84).to_crs(metric).values
    cells_m = cells.geometry.to_crs(metric).values
    zone_area = shapely.area(zones_m)
    weighted = np.zeros(zones.size, dtype=bool)
    if weights is not None and len(weights):
        if weight_column not in weights.columns:
            raise ValueError(f"weights lack the column '{weight_column}'.")
        w = weights[weight_column].to_numpy(dtype=np.float64)
        wgeo = weights.geometry.to_crs(WGS84).values
        keep = np.isfinite(w) & (w > 0) & ~shapely.is_empty(wgeo) & ~shapely.is_missing(wgeo)
        w, wgeo = w[keep], wgeo[keep]
        if w.size:
            wpts = shapely.point_on_surface(wgeo)
            p_idx, z_idx = shapely.STRtree(zones).query(wpts, predicate="within")
            first = np.unique(p_idx, return_index=True)[1]  # a point on a shared edge: one zone
            p_idx, z_idx = p_idx[first], z_idx[first]
            total = np.bincount(z_idx, weights=w[p_idx], minlength=zones.size)
            weighted = total > 0
            cell_of = _point_cells(shapely.get_x(wpts[p_idx]), shapely.get_y(wpts[p_idx]), res, where)
            ok = cell_of >= 0
            np.add.at(out, cell_of[ok], counts[z_idx[ok]] * w[p_idx[ok]] / total[z_idx[ok]])
    areal = ~weighted
    if not areal.any():
        return
    degenerate = areal & (zone_area <= 0)
    if degenerate.any():  # a polygon of no area counts at a point on it
        p = shapely.point_on_surface(zones[degenerate])
        idx = _point_cells(shapely.get_x(p), shapely.get_y(p), res, where)
        ok = idx >= 0
        np.add.at(out, idx[ok], counts[degenerate][ok])
        areal &= ~degenerate
    zi_all = np.nonzero(areal)[0]
    z_idx, c_idx = shapely.STRtree(cells_m).query(zones_m[zi_all], predicate="intersects")
    if z_idx.size == 0:
        return
    z = zi_all[z_idx]
    inter = shapely.area(shapely.intersection(zones_m[z], cells_m[c_idx]))
    np.add.at(out, c_idx, counts[z] * inter / zone_area[z])


def building_counts_to_cells(buildings: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, crs: Any) -> pd.DataFrame:
    """Estimated jobs and residents per cell: each building counts in the cell of a point inside it.

    Parameters
    ----------
    buildings : GeoDataFrame
        From :func:`estimate_jobs_residents` (``jobs``, ``residents``; EPSG:4326 polygons).
    cells : GeoDataFrame
        ``h3`` (one resolution) and the cell polygons.
    crs : pyproj.CRS or str
        Metric CRS in which the point inside each building is found.

    Returns
    -------
    DataFrame
        ``jobs``, ``residents`` (float) indexed by ``h3`` in the order of ``cells``; buildings whose
        point lies outside every cell are not counted.
    """
    ids, res, where = _cells_index(cells)
    jobs = np.zeros(ids.size)
    residents = np.zeros(ids.size)
    if ids.size and len(buildings):
        metric = CRS.from_user_input(crs)
        inner = shapely.point_on_surface(buildings.geometry.to_crs(metric).values)
        inner = gpd.GeoSeries(inner, crs=metric).to_crs(WGS84).values
        idx = _point_cells(shapely.get_x(inner), shapely.get_y(inner), res, where)
        ok = idx >= 0
        np.add.at(jobs, idx[ok], buildings["jobs"].to_numpy(dtype=np.float64)[ok])
        np.add.at(residents, idx[ok], buildings["residents"].to_numpy(dtype=np.float64)[ok])
    return pd.DataFrame({"jobs": jobs, "residents": residents}, index=pd.Index(ids, name="h3"))
