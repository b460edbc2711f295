"""The report's own base map, drawn from the extract: no map tiles can be fetched offline.

:func:`basemap_layers` re-reads the extract for the study area's bbox and sorts what it finds into
the layers a reader needs to recognise the place: streets by class, railways, water, green space,
buildings and place names. Everything stays WGS84 here; the report projects and thins it.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkscope.inputs.osm import BBox, read_extract

log = logging.getLogger(__name__)

#: Street classes drawn, from the widest to the narrowest, and the ``highway`` values of each.
STREET_CLASSES: dict[str, tuple[str, ...]] = {
    "major": ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link"),
    "secondary": ("secondary", "secondary_link", "tertiary", "tertiary_link"),
    "minor": ("residential", "unclassified", "living_street", "road", "service", "busway"),
    "path": ("footway", "path", "pedestrian", "steps", "cycleway", "track", "bridleway", "corridor", "trail"),
}
_STREET_OF = {hw: cls for cls, values in STREET_CLASSES.items() for hw in values}

_WATER = {
    "natural": {"water", "bay", "strait", "wetland"},
    "landuse": {"reservoir", "basin", "salt_pond"},
    "leisure": {"swimming_area"},
}
_GREEN = {
    "leisure": {"park", "garden", "pitch", "playground", "dog_park", "nature_reserve", "common", "golf_course",
                "recreation_ground"},
    "landuse": {"grass", "forest", "meadow", "recreation_ground", "village_green", "cemetery", "allotments",
                "orchard", "vineyard", "flowerbed", "greenfield", "plant_nursery"},
    "natural": {"wood", "scrub", "grassland", "heath", "fell"},
}
#: Waterways drawn as lines (rivers and canals mapped only by their centre line).
_WATERWAYS = {"river", "stream", "canal", "drain", "ditch", "tidal_channel"}
_RAIL = {"rail", "light_rail", "tram", "subway", "narrow_gauge", "monorail", "funicular"}
#: ``place`` values whose names are shown, largest first (the order decides the label size).
PLACE_RANKS: tuple[str, ...] = (
    "city", "town", "suburb", "village", "quarter", "borough", "neighbourhood", "hamlet", "locality", "square",
)
LAYERS: tuple[str, ...] = ("streets", "rail", "water", "green", "buildings", "places")


def _matches(tags: dict[str, str], table: dict[str, set[str]]) -> bool:
    return any(tags.get(k) in values for k, values in table.items())


def _empty(columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns}, geometry=[], crs=4326)


def _street_lines(osm) -> gpd.GeoDataFrame:
    hw = osm.highways
    if hw.empty:
        return _empty(["class", "highway"])
    cls = hw["highway"].map(_STREET_OF)
    keep = cls.notna().to_numpy()
    hw, cls = hw[keep], cls[keep]
    if hw.empty:
        return _empty(["class", "highway"])
    node_ids = list(hw["node_ids"].to_numpy())
    way = np.repeat(np.arange(len(node_ids)), [len(ids) for ids in node_ids])
    xy = osm.node_lonlat.reindex(np.concatenate(node_ids))[["lon", "lat"]].to_numpy()
    known = ~np.isnan(xy[:, 0])  # nodes cut off by the extract's edge are skipped
    way, xy = way[known], xy[known]
    counts = np.bincount(way, minlength=len(node_ids))
    ok = counts >= 2
    keep_pt = ok[way]
    dense = np.cumsum(ok) - 1  # shapely wants contiguous indices
    lines = shapely.linestrings(xy[keep_pt], indices=dense[way[keep_pt]])
    return gpd.GeoDataFrame(
        {"class": cls.to_numpy()[ok], "highway": hw["highway"].to_numpy()[ok]},
        geometry=lines, crs=4326,
    )


def _read_places(path: Path, bbox: BBox) -> gpd.GeoDataFrame:
    """Named ``place=*`` nodes in the bbox (one quick pass over the nodes: ``place`` is no feature key)."""
    import osmium

    w, s, e, n = bbox
    rows: list[tuple[str, str, float, float]] = []
    try:
        proc = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(osmium.filter.KeyFilter("place"))
        for node in proc:
            place, name = node.tags.get("place"), node.tags.get("name")
            if place not in PLACE_RANKS or not name or not node.location.valid():
                continue
            lon, lat = node.location.lon, node.location.lat
            if w <= lon <= e and s <= lat <= n:
                rows.append((name, place, lon, lat))
    except Exception as exc:  # noqa: BLE001 - place names are decoration: never fail the report for them
        log.warning("base map: place names could not be read from %s (%s); the map shows none", path.name, exc)
        rows = []
    frame = pd.DataFrame(rows, columns=["name", "place", "lon", "lat"])
    frame["rank"] = frame["place"].map({p: i for i, p in enumerate(PLACE_RANKS)}).astype("int64")
    return gpd.GeoDataFrame(
        frame.drop(columns=["lon", "lat"]),
        geometry=gpd.points_from_xy(frame["lon"], frame["lat"]),
        crs=4326,
    ).sort_values("rank", kind="stable").reset_index(drop=True)


def basemap_layers(extract_path: str | Path, bbox: BBox) -> dict[str, gpd.GeoDataFrame]:
    """Read the base-map layers of an area from an OSM extract.

    Parameters
    ----------
    extract_path : str or Path
        The extract the assessment was made from (``.osm.pbf`` or OSM XML).
    bbox : tuple of float
        ``(west, south, east, north)`` WGS84 degrees, e.g. ``StudyArea.read_bbox``; geometries are
        clipped to it.

    Returns
    -------
    dict of str to GeoDataFrame
        EPSG:4326 frames keyed by layer:

        - ``streets``: lines with ``class`` (``major``, ``secondary``, ``minor``, ``path``; see
          :data:`STREET_CLASSES`) and ``highway``;
        - ``rail``: railway lines;
        - ``water``: polygons (``natural=water``, reservoirs, basins...) and coastlines as lines;
        - ``green``: polygons of parks, gardens, pitches, woods, grass...;
        - ``buildings``: polygons with a ``building`` tag;
        - ``places``: points of named ``place=*`` nodes with ``name``, ``place`` and ``rank``
          (0 = city, the largest).

    Examples
    --------
    >>> layers = basemap_layers("helsinki.osm.pbf", (24.93, 60.16, 24.95, 60.18))  # doctest: +SKIP
    >>> sorted(layers)  # doctest: +SKIP
    ['buildings', 'green', 'places', 'rail', 'streets', 'water']
    """
    t0 = time.perf_counter()
    path = Path(extract_path)
    osm = read_extract(path, bbox)
    clip = shapely.box(*bbox)
    feats = osm.features
    tags = feats["tags"].to_numpy() if len(feats) else np.array([], dtype=object)
    geom = feats.geometry.to_numpy() if len(feats) else np.array([], dtype=object)
    kind = shapely.get_type_id(geom) if len(geom) else np.array([], dtype=np.int64)
    polygonal = np.isin(kind, (3, 6))
    lineal = np.isin(kind, (1, 5))

    def pick(mask: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> gpd.GeoDataFrame:
        g = geom[mask]
        bad = ~shapely.is_valid(g) if len(g) else np.zeros(0, bool)
        if bad.any():  # a self-crossing building ring would stop the clip
            g = g.copy()
            g[bad] = shapely.make_valid(g[bad])
        g = shapely.intersection(g, clip) if len(g) else np.array([], dtype=object)
        frame = gpd.GeoDataFrame(extra or {}, geometry=list(g), crs=4326)
        return frame[~frame.geometry.is_empty].reset_index(drop=True)

    is_building = np.array(["building" in t and t.get("building") != "no" for t in tags], dtype=bool)
    is_water = np.array([_matches(t, _WATER) or "water" in t for t in tags], dtype=bool)
    is_coast = np.array([t.get("natural") == "coastline" for t in tags], dtype=bool)
    is_river = np.array([t.get("waterway") in _WATERWAYS for t in tags], dtype=bool)
    is_green = np.array([_matches(t, _GREEN) for t in tags], dtype=bool) & ~is_water
    is_rail = np.array([t.get("railway") in _RAIL for t in tags], dtype=bool)

    streets = _street_lines(osm)
    if len(streets):
        streets = streets.assign(geometry=shapely.intersection(streets.geometry.to_numpy(), clip))
        streets = streets[~streets.geometry.is_empty].reset_index(drop=True)
    layers = {
        "streets": streets,
        "rail": pick(is_rail & lineal),
        "water": pick((is_water & polygonal) | ((is_coast | is_river) & lineal)),
        "green": pick(is_green & polygonal),
        "buildings": pick(is_building & polygonal & ~is_water),
        "places": _read_places(path, bbox),
    }
    log.info(
        "base map from %s: %s in %.2f s",
        path.name,
        ", ".join(f"{len(v)} {k}" for k, v in layers.items()),
        time.perf_counter() - t0,
    )
    return layers
