"""The changes of a scenario (CHANGES.geojson), read and checked at the boundary.

Forms (docs/scenario.md, INTERFACES.md "Planning and batch"):

- point, ``action = "add"`` with ``category`` (a taxonomy key): a new amenity;
- point, ``action = "add"`` with ``use`` and ``floor_area_m2``: new floor space of a use;
- point, ``action = "remove"`` with ``amenity_id`` (from amenities.parquet), or with ``category``:
  the nearest amenity of that category within :data:`SNAP_M` metres;
- point (inside a building) or ``building_id``, ``action = "change_use"`` with ``use`` and
  ``occupancy`` (0–1, the used share of the building's floor area);
- line, ``action = "add_link"``: a new footpath, its ends joined to the nearest walk nodes within
  :data:`SNAP_M` metres.

Every problem is an :class:`parkscope.errors.InputError` naming the feature and the fix (exit 2);
nothing is computed or written before all features pass.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from parkscope.errors import InputError
from parkscope.measures.population import USES

__all__ = ["ACTIONS", "SNAP_M", "USE_WORDS", "Change", "parse_changes", "read_changes", "use_of"]

#: Metres within which a removal finds its amenity and a new link's end its walk node.
SNAP_M = 50.0
ACTIONS = ("add", "remove", "change_use", "add_link")
#: Words a planner writes for a building use, mapped to parkscope's uses (population.USES).
USE_WORDS: dict[str, str] = {
    "home": "residential", "homes": "residential", "housing": "residential", "dwelling": "residential",
    "dwellings": "residential", "apartments": "residential", "flats": "residential",
    "offices": "office", "lab": "research", "labs": "research", "laboratory": "research",
    "laboratories": "research", "r&d": "research", "shop": "retail", "shops": "retail",
    "retail": "retail", "factory": "industrial", "factories": "industrial", "workshop": "industrial",
    "hotels": "hotel", "school": "education", "schools": "education", "university": "education",
}


@dataclass(frozen=True)
class Change:
    """One checked change.

    Attributes
    ----------
    index : int
        Position of the feature in the file (0-based), for messages.
    action : str
        One of :data:`ACTIONS`.
    kind : str
        ``amenity`` (add or remove an amenity), ``floor`` (add floor space), ``use`` (change use),
        ``link`` (add a footpath).
    geometry : shapely geometry or None
        WGS84 point or line.
    category : str or None
    amenity_id : str or None
    use : str or None
        A parkscope building use (:data:`parkscope.measures.population.USES`).
    floor_area_m2 : float or None
    occupancy : float or None
    building_id : str or None
    name : str
    """

    index: int
    action: str
    kind: str
    geometry: BaseGeometry | None
    category: str | None = None
    amenity_id: str | None = None
    use: str | None = None
    floor_area_m2: float | None = None
    occupancy: float | None = None
    building_id: str | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """How messages name the feature: ``feature 3 ("New café")``."""
        return f"feature {self.index}" + (f" ({self.name!r})" if self.name else "")


def use_of(word: Any, where: str) -> str:
    """The parkscope use a planner's word names (``homes`` → ``residential``, ``labs`` → ``research``)."""
    key = str(word).strip().lower()
    if key in USES:
        return key
    if key in USE_WORDS:
        return USE_WORDS[key]
    raise InputError(
        f"CHANGES {where}: unknown use {word!r}. Give one of {', '.join(USES)} "
        f"(or homes, offices, labs, shops, factory, school…)."
    )


def read_changes(
    path: str | Path, categories: Sequence[str], study_area: BaseGeometry
) -> list[Change]:
    """Read and check a CHANGES GeoJSON file (see the module docstring).

    Parameters
    ----------
    path : str or Path
    categories : sequence of str
        The taxonomy keys of the assessment.
    study_area : shapely geometry
        WGS84 study area (park + buffer): every change lies in it.

    Raises
    ------
    InputError
        The file is missing or not GeoJSON, or a feature is malformed (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"--changes {path} does not exist: give a GeoJSON file of changes (docs/scenario.md)."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--changes {path} is not GeoJSON ({exc}): write a FeatureCollection.") from exc
    return parse_changes(data, categories, study_area, source=path.name)


def parse_changes(
    data: Mapping[str, Any], categories: Sequence[str], study_area: BaseGeometry, source: str = "CHANGES"
) -> list[Change]:
    """Check a GeoJSON FeatureCollection of changes (already parsed); see :func:`read_changes`."""
    features = data.get("features") if isinstance(data, Mapping) else None
    if not isinstance(features, list) or not features:
        raise InputError(
            f"{source} holds no features: give a GeoJSON FeatureCollection with at least one change "
            "(docs/scenario.md)."
        )
    return [_parse_feature(i, f, categories, study_area, source) for i, f in enumerate(features)]


def _parse_feature(
    i: int, feature: Any, categories: Sequence[str], area: BaseGeometry, source: str
) -> Change:
    props = (feature or {}).get("properties") or {} if isinstance(feature, Mapping) else {}
    name = str(props.get("name") or "")
    where = f"{source} feature {i}" + (f" ({name!r})" if name else "")
    action = props.get("action")
    if action not in ACTIONS:
        raise InputError(f"{where}: property 'action' is {action!r}; give one of {', '.join(ACTIONS)}.")
    geom = _geometry(feature, where)
    if geom is not None and not bool(shapely.covers(area, geom)):
        raise InputError(
            f"{where} lies outside the study area (park + buffer) of the assessment: move it inside, or "
            "assess a larger area (--buffer) first."
        )
    if action == "add_link":
        if geom is None or geom.geom_type != "LineString":
            raise InputError(f"{where}: action 'add_link' needs a LineString geometry (the new footpath).")
        return Change(i, action, "link", geom, name=name)
    if action == "change_use":
        building_id = props.get("building_id")
        if building_id is None and (geom is None or geom.geom_type != "Point"):
            raise InputError(f"{where}: 'change_use' needs a point inside the building or a 'building_id'.")
        use = use_of(_required(props, "use", where, "the new use"), where)
        occ = _number(_required(props, "occupancy", where, "the used share of the floor, 0–1"),
                      "occupancy", where)
        if not 0.0 <= occ <= 1.0:
            raise InputError(f"{where}: occupancy is {occ}; give the used share of the floor area, 0–1.")
        return Change(i, action, "use", geom, use=use, occupancy=occ,
                      building_id=None if building_id is None else str(building_id), name=name)
    if action == "remove":
        amenity_id = props.get("amenity_id")
        if amenity_id is None:
            if geom is None or geom.geom_type != "Point":
                raise InputError(f"{where}: 'remove' needs an 'amenity_id' or a point with a 'category'.")
            category = _category(_required(props, "category", where, "the category of the amenity to "
                                           "remove, or an 'amenity_id'"), categories, where)
            return Change(i, action, "amenity", geom, category=category, name=name)
        return Change(i, action, "amenity", geom, amenity_id=str(amenity_id), name=name)
    # add
    if geom is None or geom.geom_type != "Point":
        raise InputError(f"{where}: 'add' needs a Point geometry (where the amenity or floor space goes).")
    if props.get("category") is not None:
        category = _category(props["category"], categories, where)
        return Change(i, action, "amenity", geom, category=category, name=name)
    if props.get("use") is None:
        raise InputError(
            f"{where}: 'add' needs a 'category' (a new amenity) or a 'use' with 'floor_area_m2' (new "
            "floor space)."
        )
    use = use_of(props["use"], where)
    floor = _number(_required(props, "floor_area_m2", where, "the floor area added, m²"), "floor_area_m2",
                    where)
    if floor <= 0:
        raise InputError(f"{where}: floor_area_m2 is {floor}; give the floor area added, in m² (> 0).")
    return Change(i, action, "floor", geom, use=use, floor_area_m2=floor, name=name)


def _geometry(feature: Mapping[str, Any], where: str) -> BaseGeometry | None:
    raw = feature.get("geometry")
    if raw is None:
        return None
    try:
        geom = shape(raw)
    except (AttributeError, KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
        raise InputError(f"{where}: its geometry is not valid GeoJSON ({exc}).") from exc
    if geom.is_empty:
        return None
    return geom


def _required(props: Mapping[str, Any], key: str, where: str, what: str) -> Any:
    if props.get(key) is None:
        raise InputError(f"{where}: property {key!r} is missing; give {what}.")
    return props[key]


def _number(value: Any, key: str, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise InputError(f"{where}: {key} is {value!r}; give a number.")
    return x


def _category(value: Any, categories: Sequence[str], where: str) -> str:
    key = str(value).strip()
    if key not in categories:
        raise InputError(
            f"{where}: unknown category {value!r}; give one of the taxonomy's keys: {', '.join(categories)}."
        )
    return key
