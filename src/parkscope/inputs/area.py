"""Study area: the park from a bbox, a boundary file or a name in the extract; its buffer; a local CRS."""

from __future__ import annotations

import difflib
import logging
import math
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from parkscope.errors import AreaError
from parkscope.inputs.osm import list_named_areas, read_area_geometry

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]
WGS84 = CRS.from_epsg(4326)

#: Name tags searched by ``--park``, in order of preference when several match.
NAME_TAGS_FIRST = ("name",)
NAME_TAGS_LAST = ("official_name", "alt_name", "old_name", "short_name", "loc_name")


@dataclass(frozen=True)
class StudyArea:
    """The park and the area analysed around it.

    Attributes
    ----------
    park : shapely geometry
        The park (or bbox, or boundary) polygon, WGS84.
    analysis : shapely geometry
        ``park`` buffered by ``buffer_m`` (WGS84): streets and amenities inside it count.
    crs : pyproj.CRS
        Local metric CRS (UTM zone of the park's centre) used for every length and area.
    buffer_m : float
        Buffer width in metres.
    source : str
        ``"bbox"``, ``"boundary"`` or ``"park"``.
    name : str
        A human-readable name of the area.
    match : dict
        For ``source == "park"``: which OSM object and which tag matched.
    """
    park: BaseGeometry
    analysis: BaseGeometry
    crs: CRS
    buffer_m: float
    source: str
    name: str
    match: dict[str, Any] = field(default_factory=dict)

    @property
    def read_bbox(self) -> BBox:
        """Bounding box (W, S, E, N) of the analysis area: what to read from the extract."""
        w, s, e, n = self.analysis.bounds
        return (float(w), float(s), float(e), float(n))

    def park_area_m2(self) -> float:
        """Area of the park polygon in square metres."""
        return float(to_crs(self.park, WGS84, self.crs).area)


def local_crs(lon: float, lat: float) -> CRS:
    """UTM zone (WGS84 datum) containing a point: the local metric CRS.

    Parameters
    ----------
    lon, lat : float
        Degrees, WGS84.

    Returns
    -------
    pyproj.CRS
        EPSG:326xx north of the equator, EPSG:327xx south of it; a Lambert azimuthal equal-area
        projection centred on the point near the poles (|lat| > 84), where UTM is undefined.
    """
    if abs(lat) > 84:
        return CRS.from_proj4(f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m")
    zone = int(math.floor((lon + 180.0) / 6.0)) % 60 + 1
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


@lru_cache(maxsize=16)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_crs(geom: BaseGeometry, src: CRS, dst: CRS) -> BaseGeometry:
    """Reproject one shapely geometry."""
    tf = _transformer(src, dst)
    return shapely.transform(geom, lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))


def _finish(
    park: BaseGeometry, buffer_m: float, source: str, name: str, match: dict[str, Any] | None = None
) -> StudyArea:
    if buffer_m < 0:
        raise AreaError(
            f"The buffer must be 0 m or more (got {buffer_m}); use --buffer 2000 for the default."
        )
    centre = park.centroid
    crs = local_crs(centre.x, centre.y)
    park_m = to_crs(park, WGS84, crs)
    analysis = to_crs(park_m.buffer(buffer_m, quad_segs=16), crs, WGS84) if buffer_m > 0 else park
    return StudyArea(
        park=park,
        analysis=analysis,
        crs=crs,
        buffer_m=float(buffer_m),
        source=source,
        name=name,
        match=match or {},
    )


def parse_bbox(text: str | BBox) -> BBox:
    """Parse and check ``"W,S,E,N"`` (WGS84 degrees).

    Raises
    ------
    AreaError
        When the text is not four numbers, or the box is empty or out of range.
    """
    if isinstance(text, str):
        parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4:
            raise AreaError(
                f"--bbox '{text}' is not four numbers. Give west,south,east,north in WGS84 degrees, "
                "e.g. --bbox -8.62,41.14,-8.60,41.16."
            )
    else:
        values = [float(v) for v in text]
    w, s, e, n = values
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise AreaError(
            f"--bbox {w},{s},{e},{n} is out of range: longitudes must lie in [-180, 180] and latitudes in "
            "[-90, 90]. Check the order: west,south,east,north (longitude first)."
        )
    if w >= e or s >= n:
        raise AreaError(
            f"--bbox {w},{s},{e},{n} is empty: west must be less than east and south less than north. "
            "Give west,south,east,north."
        )
    return (w, s, e, n)


def area_from_bbox(bbox: str | BBox, buffer_m: float) -> StudyArea:
    """Study area from a WGS84 bounding box."""
    w, s, e, n = parse_bbox(bbox)
    return _finish(box(w, s, e, n), buffer_m, "bbox", f"bbox {w:.5f},{s:.5f},{e:.5f},{n:.5f}")


def _polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep the polygonal part of a geometry (after make_valid a polygon may carry lines)."""
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(polys) if polys else shapely.Polygon()


def area_from_boundary(path: str | Path, buffer_m: float) -> StudyArea:
    """Study area from polygon(s) in a GeoJSON, GeoPackage or Shapefile.

    All polygons are unioned; invalid ones are repaired (``make_valid``) with a warning.
    The file's CRS is used (GeoJSON is WGS84 by definition); a file without one is refused.
    """
    path = Path(path)
    if not path.exists():
        raise AreaError(f"Boundary file {path} does not exist: check the path given to --boundary.")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise AreaError(
            f"Boundary file {path} could not be read as GeoJSON, GeoPackage or Shapefile ({exc}). "
            "Give a polygon file QGIS can open."
        ) from exc
    if gdf.empty or gdf.geometry.isna().all():
        raise AreaError(f"Boundary file {path} holds no geometry: give a file with at least one polygon.")
    if gdf.crs is None:
        raise AreaError(
            f"Boundary file {path} has no coordinate reference system. Save it with a CRS "
            "(e.g. EPSG:4326) so parkscope knows where it is."
        )
    gdf = gdf[gdf.geometry.notna()].to_crs(WGS84)
    geoms = gdf.geometry.values
    polygonal = shapely.get_type_id(geoms) >= 3
    polygonal &= shapely.get_type_id(geoms) != 4  # drop lines/points; keep Polygon, MultiPolygon, collections
    if not polygonal.any():
        raise AreaError(
            f"Boundary file {path} holds no polygon (found {', '.join(sorted(set(gdf.geom_type)))}). "
            "Give the park outline as a polygon."
        )
    geoms = geoms[polygonal]
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = "; ".join(sorted({shapely.is_valid_reason(g) for g in geoms[invalid]})[:3])
        log.warning("Repaired %d invalid polygon(s) in %s (%s)", int(invalid.sum()), path, reasons)
        geoms = shapely.make_valid(geoms)
    park = _polygonal(shapely.union_all(geoms))
    if park.is_empty or park.area == 0:
        raise AreaError(
            f"The polygons in {path} have no area once repaired. Check the outline in QGIS "
            "(self-intersections, collapsed rings)."
        )
    return _finish(park, buffer_m, "boundary", path.stem)


# --- park by name ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def normalise_name(text: str) -> str:
    """Fold a name for loose matching: NFKC (full-/half-width), case, traditional → simplified, spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = _t2s().convert(folded)
    return " ".join(folded.split())


def _name_tags(tags: dict[str, str]) -> list[tuple[str, str]]:
    """The (tag, value) pairs that can name a park, in preference order."""
    out = [(k, tags[k]) for k in NAME_TAGS_FIRST if k in tags]
    out += sorted((k, v) for k, v in tags.items() if k.startswith("name:"))
    out += [(k, tags[k]) for k in NAME_TAGS_LAST if k in tags]
    # alt_name etc. may hold several names separated by ';'
    expanded = []
    for k, v in out:
        expanded += [(k, part.strip()) for part in str(v).split(";") if part.strip()]
    return expanded


def match_park_name(named: pd.DataFrame, query: str) -> tuple[pd.DataFrame, list[str]]:
    """Find the named areas whose names match ``query``.

    Parameters
    ----------
    named : DataFrame
        ``osm_type``, ``osm_id``, ``tags`` (from :func:`parkscope.inputs.osm.list_named_areas`).
    query : str
        The name to find.

    Returns
    -------
    matches : DataFrame
        Matching rows with ``tag``, ``value`` and ``how`` (``"exact"`` or ``"normalised"``),
        best first: exact before normalised, ``name`` before ``name:*`` before other tags.
    closest : list of str
        When nothing matches: up to five close names, for the error message.
    """
    rows = []
    q_norm = normalise_name(query)
    all_names: dict[str, str] = {}
    for osm_type, osm_id, tags in named[["osm_type", "osm_id", "tags"]].itertuples(index=False):
        for rank, (tag, value) in enumerate(_name_tags(tags)):
            all_names.setdefault(normalise_name(value), value)
            if value == query.strip():
                rows.append((0, rank, osm_type, osm_id, tags, tag, value, "exact"))
            elif normalise_name(value) == q_norm:
                rows.append((1, rank, osm_type, osm_id, tags, tag, value, "normalised"))
    cols = ["level", "rank", "osm_type", "osm_id", "tags", "tag", "value", "how"]
    matches = pd.DataFrame(rows, columns=cols).sort_values(["level", "rank"], kind="stable")
    matches = matches.drop_duplicates(["osm_type", "osm_id"]).reset_index(drop=True)
    closest: list[str] = []
    if matches.empty and all_names:
        keys = list(all_names)
        near = difflib.get_close_matches(q_norm, keys, n=5, cutoff=0.3)
        near += [k for k in keys if q_norm and q_norm in k and k not in near]
        closest = [all_names[k] for k in near[:5]]
    return matches.drop(columns=["level", "rank"]), closest


def area_from_park(extract: str | Path, name: str, buffer_m: float) -> StudyArea:
    """Study area from a polygon of the extract found by name (``--park``)."""
    named = list_named_areas(extract)
    matches, closest = match_park_name(named, name)
    if matches.empty:
        hint = (
            "Closest names in the extract: " + ", ".join(f"'{c}'" for c in closest) + "."
            if closest
            else "The extract holds no named polygon close to it."
        )
        raise AreaError(
            f"No polygon named '{name}' in {Path(extract).name} (searched name, name:*, alt_name, "
            f"official_name, old_name of {len(named)} named areas). {hint} Give one of those names, "
            "or the outline with --boundary, or a --bbox."
        )
    best = matches.iloc[0]
    geom = read_area_geometry(extract, str(best.osm_type), int(best.osm_id))
    geom = _polygonal(shapely.make_valid(geom)) if not geom.is_valid else geom
    tags = best.tags
    display = tags.get("name") or best.value
    match = {
        "osm_type": str(best.osm_type),
        "osm_id": int(best.osm_id),
        "tag": str(best.tag),
        "value": str(best.value),
        "how": str(best.how),
        "name": str(display),
        "other_matches": [
            f"{t}/{i}" for t, i in matches[["osm_type", "osm_id"]].iloc[1:].itertuples(index=False)
        ],
    }
    log.info(
        "Park '%s' matched %s/%s by %s=%s (%s)",
        name,
        best.osm_type,
        best.osm_id,
        best.tag,
        best.value,
        best.how,
    )
    return _finish(geom, buffer_m, "park", str(display), match)


def check_overlap(area: StudyArea, bounds: BBox | None, extract: str | Path) -> None:
    """Refuse a study area that lies wholly outside the extract's extent.

    Parameters
    ----------
    bounds : tuple or None
        The extract's extent (W, S, E, N); None when unknown (no check).
    """
    if bounds is None:
        return
    if not area.park.intersects(box(*bounds)):
        w, s, e, n = bounds
        raise AreaError(
            f"The study area ({area.name}) lies outside the extract {Path(extract).name}, which covers "
            f"{w:.4f},{s:.4f},{e:.4f},{n:.4f} (W,S,E,N). Give a --bbox or --boundary inside it, or use "
            "an extract that covers your park."
        )


def share_outside(area: BaseGeometry, bounds: BBox | None, crs: CRS) -> float:
    """Share (0–1) of the WGS84 ``area`` outside the box ``bounds`` (W, S, E, N), by area in ``crs``.

    Used to warn when a study area reaches beyond the data of an extract: streets and amenities
    there are missing, so scores near that edge come out too low.
    """
    if bounds is None or area.is_empty:
        return 0.0
    metric = to_crs(area, WGS84, crs)
    inside = to_crs(shapely.intersection(area, shapely.box(*bounds)), WGS84, crs)
    total = metric.area
    return float(max(total - inside.area, 0.0) / total) if total > 0 else 0.0
