"""Read an OpenStreetMap extract: highway ways (the network) and features (amenities, buildings, land use).

Reads ``.osm.pbf`` and OSM XML (``.osm``, ``.osm.gz``, ``.osm.bz2``) with pyosmium, streaming, in five
passes whose memory grows with the study area, not with the file:

1. **relations** — the ids of the member ways of feature multipolygons (16 bytes per member);
2. **nodes** — libosmium writes every node location to a temporary on-disk index (C++ only; no node
   reaches Python except the tagged ones, picked by a C++ ``KeyFilter``);
3. **ways** — a C++ ``KeyFilter`` passes the highway and feature ways, which get their node locations
   from the disk index (so ways are whole, also outside the bbox); Python keeps those with a node in
   the bbox (one C++ call per way gives all its coordinates) and notes the multipolygon members that
   touch it;
4. **relations** — the feature multipolygons with such a member;
5. **areas** — libosmium's area assembler builds those multipolygons from their member ways only.

Why not ``osmium.IdTracker`` for the bbox nodes: its id sets (libosmium ``IdSetDense``) allocate
4 MiB per 32 million ids touched, and a city's node ids are spread over the whole id range (up to
13 billion): 8,000 random node ids took 960 MB. See docs/decisions.md ("Ingest engine").
"""

from __future__ import annotations

import bz2
import gzip
import logging
import math
import os
import re
import tempfile
import time
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import osmium.area
import osmium.filter
import osmium.geom
import osmium.index
import osmium.io
import pandas as pd
import shapely
from shapely.geometry import LineString, Point, Polygon

from parkscope.errors import AreaError, ExtractError

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]  # (west, south, east, north), WGS84 degrees

#: Keys that make a node, closed way or multipolygon relation a "feature" (kept with all its tags).
FEATURE_KEYS: tuple[str, ...] = (
    "amenity", "shop", "leisure", "office", "tourism", "public_transport", "railway", "building",
    "landuse", "natural", "healthcare", "craft", "sport", "historic", "man_made", "emergency",
    "waterway",
)
_FEATURE_SET = frozenset(FEATURE_KEYS)
#: Object timestamps before this are placeholders (OSM data starts in 2005; osmconvert writes 1970).
_MIN_TIMESTAMP = datetime(2005, 1, 1, tzinfo=UTC).timestamp()
#: Exact name keys searched by :func:`list_named_areas` (besides every ``name:*`` key).
NAME_KEYS: tuple[str, ...] = ("name", "alt_name", "official_name", "old_name", "short_name", "loc_name")

#: File name endings read, and the libosmium format string for each.
_SUFFIX_FORMATS: tuple[tuple[str, str], ...] = (
    (".osm.pbf", "pbf"), (".pbf", "pbf"),
    (".osm.gz", "osm.gz"), (".xml.gz", "osm.gz"),
    (".osm.bz2", "osm.bz2"), (".xml.bz2", "osm.bz2"),
    (".osm", "osm"), (".xml", "osm"),
)
_SUPPORTED = ".osm.pbf, .osm, .osm.gz or .osm.bz2"
_CONVERT_HINT = "convert it with osmium-tool (`osmium cat INPUT -o extract.osm.pbf`)"

#: Layout of one entry of libosmium's ``sparse_file_array`` index: node id, then x and y (1e-7 degrees).
_INDEX_DTYPE = np.dtype([("id", "=u8"), ("x", "=i4"), ("y", "=i4")])
_INVALID_COORD = 2147483647  # libosmium's "undefined" coordinate
_COORD_PRECISION = 10_000_000.0
_INDEX_CHUNK = 1 << 18  # index entries per numpy read (4 MiB)

_WKB = osmium.geom.WKBFactory()


@dataclass(frozen=True)
class OsmExtract:
    """What :func:`read_extract` returns.

    Attributes
    ----------
    path : Path
        The extract read.
    highways : DataFrame
        One row per OSM way with a ``highway`` tag that has at least one node inside the bbox:
        ``way_id`` (int64), ``highway`` (str), ``tags`` (dict of all tags), ``node_ids`` (int64 array,
        in way order, the whole way including nodes outside the bbox).
    node_lonlat : DataFrame
        Index ``node_id`` (int64); columns ``lon``, ``lat`` (float64): every node referenced by
        ``highways`` whose location is in the file (nodes missing from a cut extract are absent).
    features : GeoDataFrame
        EPSG:4326; ``osm_type`` ('node' | 'way' | 'relation'), ``osm_id`` (int64), ``tags`` (dict),
        ``geometry`` (Point for nodes, Polygon/MultiPolygon for closed ways and multipolygon relations,
        LineString for open ways; a way whose other nodes are cut off by the extract's edge is a
        LineString of its known nodes, or a Point if only one is known). Only objects with at least
        one node inside the bbox; multipolygons that cannot be closed (members missing) are left out.
    bounds : tuple or None
        Extent of the data declared by the file (PBF header bbox, XML ``<bounds>``), else None.
    osm_timestamp : str or None
        ISO 8601 date of the data (header, Overpass ``osm_base``, else the newest object timestamp seen).
    """

    path: Path
    highways: pd.DataFrame
    node_lonlat: pd.DataFrame
    features: gpd.GeoDataFrame
    bounds: BBox | None
    osm_timestamp: str | None


# --------------------------------------------------------------------------------------------------
# Opening the file: existence, format, clear errors
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Source:
    path: Path
    fmt: str  # libosmium format string: pbf | osm | osm.gz | osm.bz2
    head: bytes  # the first bytes of the (decompressed) content

    def file(self) -> osmium.io.File:
        return osmium.io.File(str(self.path), self.fmt)


def _format_from_suffix(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, fmt in _SUFFIX_FORMATS:
        if name.endswith(suffix):
            return fmt
    return None


def _read_head(path: Path, compression: str, size: int = 8192) -> bytes:
    opener: Callable[..., Any] = {"gz": gzip.open, "bz2": bz2.open}.get(compression, open)
    with opener(path, "rb") as fh:
        return fh.read(size)


def _describe_content(head: bytes) -> str:
    """A short guess of what a non-OSM file is, for the error message."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    magics = {
        b"\x89png": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"gif8": "a GIF image",
        b"%pdf": "a PDF document", b"pk\x03\x04": "a ZIP archive", b"sqlite format 3": "an SQLite database",
        b"\x1f\x8b": "gzip-compressed data", b"bzh": "bzip2-compressed data",
    }
    for magic, what in magics.items():
        if text.startswith(magic):
            return what
    if text.startswith((b"<!doctype html", b"<html")) or b"<html" in text[:1024]:
        return ("an HTML web page (a download that returned an error or a login page, or a page saved "
                "from a browser)")
    if text.startswith((b"{", b"[")):
        return "JSON text (GeoJSON or an Overpass JSON answer, not OSM XML)"
    if text.startswith(b"<"):
        root = _xml_root(head)
        return f"XML whose root element is <{root}>, not <osm>" if root else "XML that is not OSM data"
    try:
        sample = head[:2048].decode("utf-8")
    except UnicodeDecodeError:
        return "binary data of an unknown kind"
    if sample and sum(ch.isprintable() or ch in "\r\n\t" for ch in sample) > 0.95 * len(sample):
        first = sample.splitlines()[0][:60] if sample.splitlines() else ""
        return f"plain text (it begins with {first!r})"
    return "binary data of an unknown kind"


def _xml_root(head: bytes) -> str | None:
    text = head.decode("utf-8", errors="replace")
    text = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.S)
    m = re.search(r"<\s*([A-Za-z_][\w:.-]*)", text)
    return m.group(1) if m else None


def _is_pbf(head: bytes) -> bool:
    if len(head) < 8:
        return False
    size = int.from_bytes(head[:4], "big")
    return 0 < size < 64 * 1024 and b"OSMHeader" in head[4:4 + size]


def _open(path: str | Path) -> _Source:
    """Check that ``path`` is a readable OSM extract and find its real format."""
    p = Path(path).expanduser()
    if not p.exists():
        parent = p.parent if str(p.parent) else Path(".")
        hint = "" if parent.is_dir() else f" (its folder {parent} does not exist either)"
        raise ExtractError(
            f"The OSM extract {p} does not exist{hint}; check the path, or download an extract of your "
            "city (for example from Geofabrik or the BBBike extract service) and give its path."
        )
    if p.is_dir():
        raise ExtractError(
            f"{p} is a folder, not an OSM extract; give the path of a {_SUPPORTED} file inside it."
        )
    fmt = _format_from_suffix(p)
    if fmt is None:
        raise ExtractError(
            f"{p.name} has an extension parkscope does not read ({''.join(p.suffixes) or 'none'}); it reads "
            f"OpenStreetMap extracts named {_SUPPORTED}. If the file is OSM data in another format "
            f"(.o5m, .opl, .osh), {_CONVERT_HINT}; GIS layers (.shp, .gpkg, .geojson) are not OSM extracts."
        )
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            raw = fh.read(8192)
    except OSError as exc:
        raise ExtractError(
            f"The OSM extract {p} cannot be read ({exc.strerror or exc}); check its permissions, or copy it "
            "to a folder you can read."
        ) from exc
    if size == 0:
        raise ExtractError(
            f"The OSM extract {p} is empty (0 bytes): the download or copy did not finish; download it again."
        )
    compression = "gz" if raw.startswith(b"\x1f\x8b") else "bz2" if raw.startswith(b"BZh") else ""
    try:
        head = _read_head(p, compression) if compression else raw
    except (OSError, EOFError) as exc:
        raise ExtractError(
            f"The OSM extract {p} looks {compression}-compressed but cannot be decompressed ({exc}): it is "
            "truncated or damaged; download it again."
        ) from exc
    if _is_pbf(head) and not compression:
        actual = "pbf"
    elif _xml_root(head) == "osm":
        actual = {"gz": "osm.gz", "bz2": "osm.bz2"}.get(compression, "osm")
    elif _xml_root(head) == "osmChange":
        raise ExtractError(
            f"{p.name} is an OSM change file (osmChange, .osc), not an extract; parkscope needs a full "
            f"extract of an area ({_SUPPORTED})."
        )
    else:
        raise ExtractError(
            f"{p} is not OpenStreetMap data: it holds {_describe_content(head)}. Give an OSM extract "
            f"({_SUPPORTED}), for example one downloaded from Geofabrik or exported from openstreetmap.org; "
            "if this file was downloaded, the download probably failed, so download it again."
        )
    if actual != fmt:
        log.warning("%s is named like %s data but holds %s data; reading it as %s",
                    p.name, fmt, actual, actual)
    return _Source(p, actual, head)


def _wrap_error(exc: BaseException, src: _Source) -> ExtractError:
    """Turn a libosmium error into a one-paragraph ExtractError that names the fix."""
    msg = str(exc)
    low = msg.lower()
    name = src.path.name
    if any(s in low for s in ("unexpected eof", "truncated", "read close failed", "unexpected end",
                              "unclosed token", "no element found", "bzip2 error", "gzip error")):
        return ExtractError(
            f"The OSM extract {src.path} ends too early or is damaged ({msg}): it is probably truncated "
            "by an unfinished download or copy. Download it again (check its size or checksum against "
            "the source)."
        )
    if "xml parsing error" in low or "unknown top-level element" in low:
        return ExtractError(
            f"{name} is not well-formed OSM XML ({msg}). If it was saved from a web page or an API call, "
            "save the raw response again; otherwise download the extract again."
        )
    if "pbf" in low or "blob" in low or "zlib" in low or "protobuf" in low:
        return ExtractError(
            f"{name} is not a readable OSM PBF file ({msg}): it is damaged or not PBF data. Download it "
            f"again, or if it is OSM XML name it .osm."
        )
    return ExtractError(
        f"Reading the OSM extract {src.path} failed ({msg}). Check that it is a complete {_SUPPORTED} "
        "file; download it again if in doubt."
    )


@contextmanager
def _osmium_errors(src: _Source) -> Iterator[None]:
    try:
        yield
    except (RuntimeError, OSError, ValueError) as exc:
        if isinstance(exc, ExtractError):
            raise
        raise _wrap_error(exc, src) from exc


def _iterate(src: _Source, entities: osmium.osm.osm_entity_bits, *handlers: Any,
             filtered: Any = None) -> Iterator[Any]:
    """Stream objects through a chain of C++ handlers/filters; libosmium errors become ExtractError.

    ``filtered`` (optional) receives the objects the chain's filters drop. ``handlers`` stay
    referenced here for the whole iteration: pyosmium's OsmFileIterator does not keep them alive
    itself (a temporary filter would be freed under it and crash).
    """
    with _osmium_errors(src), osmium.io.Reader(src.file(), entities) as reader:
        it = osmium.OsmFileIterator(reader, *handlers)
        if filtered is not None:
            it.set_filtered_handler(filtered)
        try:
            # an exception raised by the caller's loop body is not thrown in here: only libosmium's
            yield from it
        except (RuntimeError, OSError, ValueError) as exc:
            raise _wrap_error(exc, src) from exc
    del handlers, filtered


def _apply(src: _Source, entities: osmium.osm.osm_entity_bits, *handlers: Any) -> None:
    with _osmium_errors(src), osmium.io.Reader(src.file(), entities) as reader:
        osmium.apply(reader, *handlers)


# --------------------------------------------------------------------------------------------------
# Header information
# --------------------------------------------------------------------------------------------------

def _header(src: _Source) -> osmium.io.Header:
    with _osmium_errors(src), osmium.io.Reader(src.file(), osmium.osm.NOTHING) as reader:
        return reader.header()


def _header_bounds(header: osmium.io.Header) -> BBox | None:
    box = header.box()
    if not box.valid():
        return None
    bl, tr = box.bottom_left, box.top_right
    return (float(bl.lon), float(bl.lat), float(tr.lon), float(tr.lat))


def _iso(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _header_timestamp(src: _Source, header: osmium.io.Header) -> str | None:
    for key in ("osmosis_replication_timestamp", "timestamp"):
        stamp = _iso(header.get(key, ""))
        if stamp:
            return stamp
    if src.fmt != "pbf":  # Overpass API XML: <meta osm_base="2023-01-28T19:04:25Z"/>
        m = re.search(rb"<meta\b[^>]*\bosm_base=\"([^\"]+)\"", src.head)
        if m:
            return _iso(m.group(1).decode("ascii", errors="replace"))
    return None


class _Newest:
    """Newest object timestamp seen (seconds since the epoch; 0 = none)."""

    def __init__(self) -> None:
        self.value = 0.0

    def see(self, obj: Any) -> None:
        ts = obj.timestamp.timestamp()
        if ts > self.value:
            self.value = ts

    def iso(self) -> str | None:
        if self.value < _MIN_TIMESTAMP:
            return None
        return datetime.fromtimestamp(self.value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def extract_bounds(path: str | Path) -> BBox | None:
    """The extent the extract declares, read from its header (cheap, no scan).

    Parameters
    ----------
    path : str or Path
        An OSM extract (``.osm.pbf``, ``.osm``, ``.osm.gz``, ``.osm.bz2``).

    Returns
    -------
    tuple of float or None
        ``(west, south, east, north)`` from the PBF header bbox or the XML ``<bounds>`` element;
        None when the file declares none (use :func:`scan_data_bounds` then).

    Raises
    ------
    ExtractError
        The file is missing, not OSM data or unreadable.
    """
    src = _open(path)
    return _header_bounds(_header(src))


# --------------------------------------------------------------------------------------------------
# The on-disk node location index
# --------------------------------------------------------------------------------------------------

class _NodeIndex:
    """All node locations of a file in libosmium's ``sparse_file_array`` (a temporary file).

    Filled by the C++ ``NodeLocationsForWays`` handler; read back with numpy in chunks, so neither
    pass holds every location in Python memory.
    """

    def __init__(self, tmpdir: str) -> None:
        self.path = os.path.join(tmpdir, "node_locations.idx")
        self.table = osmium.index.create_map(f"sparse_file_array,{self.path}")

    def handler(self) -> osmium.NodeLocationsForWays:
        h = osmium.NodeLocationsForWays(self.table)
        h.ignore_errors()
        return h

    def count(self) -> int:
        return int(self.table.used_memory()) // _INDEX_DTYPE.itemsize

    def chunks(self) -> Iterator[np.ndarray]:
        n = self.count()
        with open(self.path, "rb") as fh:
            for start in range(0, n, _INDEX_CHUNK):
                k = min(_INDEX_CHUNK, n - start)
                yield np.fromfile(fh, dtype=_INDEX_DTYPE, count=k)

    def check(self, samples: list[tuple[int, float, float]]) -> bool:
        """Whether the index file has the layout read here.

        Checked against nodes seen in Python (``samples``), else against libosmium's own lookup.
        """
        n = self.count()
        if n == 0:
            return not samples
        if os.path.getsize(self.path) < n * _INDEX_DTYPE.itemsize:
            return False
        if samples:
            want = {nid: (lon, lat) for nid, lon, lat in samples}
            keys = np.fromiter(want, dtype=np.uint64, count=len(want))
            found = 0
            for chunk in self.chunks():
                for nid, x, y in chunk[np.isin(chunk["id"], keys)]:
                    lon, lat = want[int(nid)]
                    if abs(x / _COORD_PRECISION - lon) > 1e-7 or abs(y / _COORD_PRECISION - lat) > 1e-7:
                        return False
                    found += 1
            return found >= len(want)
        with open(self.path, "rb") as fh:
            for pos in range(0, n, max(1, n // 16)):
                fh.seek(pos * _INDEX_DTYPE.itemsize)
                rec = np.fromfile(fh, dtype=_INDEX_DTYPE, count=1)[0]
                try:
                    loc = self.table.get(int(rec["id"]))
                except (KeyError, ValueError, RuntimeError):
                    return False
                if loc.x != int(rec["x"]) or loc.y != int(rec["y"]):
                    return False
        return True

    def scan(self) -> tuple[BBox | None, bool]:
        """Extent of all node locations, and whether the entries are in node id order."""
        lo = [math.inf, math.inf]
        hi = [-math.inf, -math.inf]
        last = 0
        is_sorted = True
        for chunk in self.chunks():
            ids = chunk["id"]
            if ids.size:
                is_sorted = is_sorted and int(ids[0]) >= last and bool(np.all(ids[1:] >= ids[:-1]))
                last = int(ids[-1])
            ok = chunk["x"] != _INVALID_COORD
            if ok.any():
                x, y = chunk["x"][ok], chunk["y"][ok]
                lo = [min(lo[0], x.min() / _COORD_PRECISION), min(lo[1], y.min() / _COORD_PRECISION)]
                hi = [max(hi[0], x.max() / _COORD_PRECISION), max(hi[1], y.max() / _COORD_PRECISION)]
        extent = (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])) if math.isfinite(lo[0]) else None
        return extent, is_sorted

    def sort(self) -> None:
        """Sort the index by node id (only needed for files whose nodes are not in id order)."""
        n = self.count()
        if n:
            arr = np.memmap(self.path, dtype=_INDEX_DTYPE, mode="r+", shape=(n,))
            arr.sort(order="id", kind="stable")
            arr.flush()
            del arr


def _python_extent(src: _Source) -> BBox | None:
    """Fallback when the index file layout is not the expected one: the extent, scanned in Python."""
    lo_x = lo_y = math.inf
    hi_x = hi_y = -math.inf
    for node in _iterate(src, osmium.osm.NODE):
        loc = node.location
        if loc.valid():
            x, y = loc.lon, loc.lat
            lo_x, lo_y, hi_x, hi_y = min(lo_x, x), min(lo_y, y), max(hi_x, x), max(hi_y, y)
    return (lo_x, lo_y, hi_x, hi_y) if math.isfinite(lo_x) else None


def _build_index(src: _Source, index: _NodeIndex, samples: list[tuple[int, float, float]]) -> None:
    """After the node pass: sort the index if the file's nodes were not in id order, then check it."""
    _extent, is_sorted = index.scan()
    if not is_sorted:  # e.g. OSM XML saved by an editor; libosmium only sorts when ways follow nodes
        log.info("%s: nodes are not in id order; sorting the location index", src.path.name)
        index.sort()
    if not index.check(samples):  # pragma: no cover - only if libosmium changes its index file layout
        log.warning("%s: unexpected node location index layout; way locations may be missing",
                    src.path.name)


# --------------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------------

def _raw_coords(way: Any) -> bytes | None:
    """The way's node locations as packed little-endian doubles (lon, lat, lon, lat, ...).

    One C++ call (libosmium's WKB factory, every node kept, so the coordinates line up with the node
    ids); None when a location is missing or the way has fewer than two nodes.
    """
    count = len(way.nodes)
    if count < 2:
        return None
    try:
        wkb = bytes.fromhex(_WKB.create_linestring(way, osmium.geom.ALL))
    except (RuntimeError, ValueError, osmium.InvalidLocationError):
        return None
    # plain little-endian WKB LineString: byte order 1, type 2, point count, then the doubles
    if wkb[:5] != b"\x01\x02\x00\x00\x00" or int.from_bytes(wkb[5:9], "little") != count:
        return None
    return wkb[9:]


def _slow_lonlat(way: Any) -> np.ndarray:
    nodes = way.nodes
    xy = np.full((len(nodes), 2), np.nan)
    for i, n in enumerate(nodes):
        loc = n.location
        if loc.valid():
            xy[i, 0], xy[i, 1] = loc.lon, loc.lat
    return xy


def _touches(way: Any, raw: bytes | None, bbox: BBox) -> bool:
    """Whether at least one node of the way lies inside ``bbox`` (borders included)."""
    w, s, e, n = bbox
    if raw is None:
        xy = _slow_lonlat(way)
        x, y = xy[:, 0], xy[:, 1]
        return bool(np.any((x >= w) & (x <= e) & (y >= s) & (y <= n)))
    flat = array("d")
    flat.frombytes(raw)
    xs, ys = flat[0::2], flat[1::2]
    if min(xs) > e or max(xs) < w or min(ys) > n or max(ys) < s:
        return False
    return any(w <= x <= e and s <= y <= n for x, y in zip(xs, ys, strict=True))


def _way_lonlat(way: Any, raw: bytes | None) -> np.ndarray:
    """Lon/lat of a way's nodes (n x 2, NaN where the location is missing)."""
    if raw is not None:
        return np.frombuffer(raw, dtype="<f8").reshape(-1, 2)
    return _slow_lonlat(way)


def _way_node_ids(way: Any) -> np.ndarray:
    """Node ids of a way, int64, in way order (the slow part of reading a way: ~2 us a node)."""
    return np.array([n.ref for n in way.nodes], dtype=np.int64)


class _MemberWatch:
    """Gets the ways the key filter drops; notes the multipolygon members that touch the bbox.

    These ways have not been through the location handler (the key filter comes first, so that only
    the ways kept pay for the location lookups): their few member ways are looked up here.
    """

    def __init__(self, bbox: BBox, is_member: Callable[[int], bool], touching: set[int],
                 table: osmium.index.LocationTable) -> None:
        self.bbox = bbox
        self.is_member = is_member
        self.touching = touching
        self.table = table

    def way(self, way: Any) -> None:
        if not self.is_member(way.id):
            return
        w, s, e, n = self.bbox
        for ref in way.nodes:
            try:
                loc = self.table.get(ref.ref)
            except KeyError:
                continue
            if w <= loc.lon <= e and s <= loc.lat <= n:
                self.touching.add(way.id)
                return


class _KeepIds:
    """A filter for a handler chain: drops every way and relation whose id is not in ``ids``.

    A Python set, not ``osmium.filter.IdFilter``: libosmium's dense id sets take 4 MiB per 32 million
    ids touched, and the ids of a city's objects are spread over the whole id range.
    """

    def __init__(self, ids: set[int]) -> None:
        self.ids = ids

    def way(self, w: Any) -> bool:
        return w.id not in self.ids  # True = drop

    def relation(self, r: Any) -> bool:
        return r.id not in self.ids


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """The polygonal part of a geometry (Polygon or MultiPolygon), or None."""
    if geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if merged.geom_type in ("Polygon", "MultiPolygon") else None


def _valid_area(geom: shapely.Geometry) -> shapely.Geometry | None:
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    poly = _polygonal(geom)
    if poly is not None and poly.geom_type == "MultiPolygon" and len(poly.geoms) == 1:
        poly = poly.geoms[0]
    return poly


def _is_closed(way: Any) -> bool:
    """First node = last node and at least 4 nodes (a ring)."""
    return len(way.nodes) >= 4 and bool(way.is_closed())


_WayData = tuple[bool, np.ndarray, dict[str, str]]  # closed?, lon/lat (NaN = missing), tags


def _way_geometries(ways: list[_WayData]) -> list[shapely.Geometry | None]:
    """Geometries of feature ways, built with vectorised shapely calls.

    A closed way (first node = last node, at least 4 nodes, not ``area=no``) with all its node
    locations becomes a Polygon (repaired with ``make_valid`` when invalid, keeping the polygonal
    part); any other way becomes a LineString of its known locations (a Point if only one is known,
    None if none is).
    """
    out: list[shapely.Geometry | None] = [None] * len(ways)
    ring_rows: list[int] = []
    ring_xy: list[np.ndarray] = []
    line_rows: list[int] = []
    line_xy: list[np.ndarray] = []
    for row, (closed, xy, tags) in enumerate(ways):
        ok = ~np.isnan(xy[:, 0])
        if closed and tags.get("area") != "no" and ok.all():
            ring_rows.append(row)
            ring_xy.append(xy)
            continue
        pts = xy[ok]
        if len(pts) >= 2:
            line_rows.append(row)
            line_xy.append(pts)
        elif len(pts) == 1:
            out[row] = Point(pts[0])
    if ring_rows:
        sizes = np.fromiter((len(a) for a in ring_xy), dtype=np.int64, count=len(ring_xy))
        polys = shapely.polygons(shapely.linearrings(np.concatenate(ring_xy),
                                                     indices=np.repeat(np.arange(len(sizes)), sizes)))
        valid = shapely.is_valid(polys)
        for k, row in enumerate(ring_rows):
            poly = polys[k] if valid[k] else _valid_area(polys[k])
            if poly is None:  # a ring with no area (nodes on a line): keep its outline
                poly = LineString(ring_xy[k])
            out[row] = poly
    if line_rows:
        sizes = np.fromiter((len(a) for a in line_xy), dtype=np.int64, count=len(line_xy))
        lines = shapely.linestrings(np.concatenate(line_xy), indices=np.repeat(np.arange(len(sizes)), sizes))
        valid = shapely.is_valid(lines)
        for k, row in enumerate(line_rows):
            if valid[k]:
                out[row] = lines[k]
            else:  # all its nodes at one spot: a point
                out[row] = Point(line_xy[k][0])
    return out


def _area_geometry(area: Any) -> shapely.Geometry | None:
    try:
        geom = shapely.from_wkb(_WKB.create_multipolygon(area))
    except (RuntimeError, ValueError, shapely.errors.GEOSException):
        return None
    return _valid_area(geom)


class _AreaCollector:
    """Receives the areas libosmium assembles from multipolygon relations."""

    def __init__(self, wanted: set[int] | None) -> None:
        self.wanted = wanted
        self.geoms: dict[int, shapely.Geometry] = {}

    def area(self, a: Any) -> None:
        if a.from_way():
            return
        rid = a.orig_id()
        if self.wanted is not None and rid not in self.wanted:
            return
        geom = _area_geometry(a)
        if geom is not None:
            self.geoms[rid] = geom


# --------------------------------------------------------------------------------------------------
# Empty frames
# --------------------------------------------------------------------------------------------------

def _highways_frame(way_id: list[int], highway: list[str], tags: list[dict[str, str]],
                    node_ids: list[np.ndarray]) -> pd.DataFrame:
    return pd.DataFrame({
        "way_id": np.asarray(way_id, dtype=np.int64),
        "highway": pd.Series(highway, dtype="str"),
        "tags": pd.Series(tags, dtype=object),
        "node_ids": pd.Series(node_ids, dtype=object),
    })


def _lonlat_frame(ids: np.ndarray, xy: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"lon": xy[:, 0].astype(np.float64), "lat": xy[:, 1].astype(np.float64)},
                         index=pd.Index(ids.astype(np.int64), name="node_id"))
    return frame


def _features_frame(osm_type: list[str], osm_id: list[int], tags: list[dict[str, str]],
                    geoms: list[shapely.Geometry]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "osm_type": pd.Series(osm_type, dtype="str"),
        "osm_id": np.asarray(osm_id, dtype=np.int64),
        "tags": pd.Series(tags, dtype=object),
    }, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _check_bbox(bbox: BBox | None) -> BBox | None:
    if bbox is None:
        return None
    try:
        w, s, e, n = (float(v) for v in bbox)
    except (TypeError, ValueError) as exc:
        raise AreaError(
            f"The bbox {bbox!r} is not four numbers; give it as west,south,east,north in WGS84 degrees, "
            "for example 24.93,60.16,24.96,60.18."
        ) from exc
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise AreaError(
            f"The bbox {bbox!r} holds a value that is not a finite number; give four degrees W,S,E,N."
        )
    if not (-180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= 90 and -90 <= n <= 90):
        raise AreaError(
            f"The bbox {w},{s},{e},{n} lies outside longitude -180..180 / latitude -90..90; give it as "
            "west,south,east,north in WGS84 degrees (longitude first)."
        )
    if s > n:
        raise AreaError(f"The bbox has south ({s}) north of north ({n}); give it as west,south,east,north.")
    if w > e:
        raise AreaError(
            f"The bbox has west ({w}) east of east ({e}); give it as west,south,east,north. A bbox that "
            "crosses the 180th meridian is not supported: split the study area in two."
        )
    return (w, s, e, n)


# --------------------------------------------------------------------------------------------------
# read_extract
# --------------------------------------------------------------------------------------------------

def read_extract(path: str | Path, bbox: BBox | None = None, *,
                 progress: Callable[[str], None] | None = None) -> OsmExtract:
    """Read the highway ways and the features of an OSM extract inside a bbox.

    Parameters
    ----------
    path : str or Path
        An OSM extract: ``.osm.pbf``, ``.osm``, ``.osm.gz`` or ``.osm.bz2`` (the content decides the
        format when the name is wrong).
    bbox : tuple of float, optional
        ``(west, south, east, north)`` in WGS84 degrees; None reads the whole file. Ways and
        multipolygons are kept when at least one of their nodes lies inside (borders included).
    progress : callable, optional
        Called with a short message at each pass.

    Returns
    -------
    OsmExtract
        Empty frames (with the documented columns and dtypes) when nothing lies in the bbox.

    Raises
    ------
    ExtractError
        The file is missing, not OSM data, truncated or damaged.
    AreaError
        The bbox is malformed.
    """
    t0 = time.perf_counter()
    bbox = _check_bbox(bbox)
    src = _open(path)
    say = progress or (lambda _msg: None)
    header = _header(src)
    bounds = _header_bounds(header)
    newest = _Newest()
    name = src.path.name
    if bbox is not None and bounds is not None:
        w, s, e, n = bbox
        if e < bounds[0] or w > bounds[2] or n < bounds[1] or s > bounds[3]:
            log.info("bbox %s lies outside the declared bounds %s of %s", bbox, bounds, name)

    f_type: list[str] = []
    f_id: list[int] = []
    f_tags: list[dict[str, str]] = []
    f_geom: list[shapely.Geometry] = []

    # -- pass 1: which ways belong to feature multipolygons (ids only: 16 bytes per member) ----------
    say(f"ingest: {name}: pass 1/5, multipolygon relations")
    rel_col, way_col = array("q"), array("q")
    rel_filters = (osmium.filter.KeyFilter(*FEATURE_KEYS), osmium.filter.TagFilter(("type", "multipolygon")))
    for rel in _iterate(src, osmium.osm.RELATION, *rel_filters):
        for m in rel.members:
            if m.type == "w":
                rel_col.append(rel.id)
                way_col.append(m.ref)
    members = array("q", np.unique(np.frombuffer(way_col, dtype=np.int64)).tobytes() if way_col else b"")

    def is_member(way_id: int) -> bool:
        i = bisect_left(members, way_id)
        return i < len(members) and members[i] == way_id

    with tempfile.TemporaryDirectory(prefix="parkscope-nodes-") as tmp:
        index = _NodeIndex(tmp)

        # -- pass 2: every node location to the disk index (C++); point features to Python --------
        say(f"ingest: {name}: pass 2/5, node locations and point features")
        samples: list[tuple[int, float, float]] = []
        point_xy: list[tuple[float, float]] = []
        w, s, e, n = bbox if bbox is not None else (-math.inf, -math.inf, math.inf, math.inf)
        node_chain = (index.handler(), osmium.filter.KeyFilter(*FEATURE_KEYS, "highway"))
        for node in _iterate(src, osmium.osm.NODE, *node_chain):
            tags = dict(node.tags)
            if _FEATURE_SET.isdisjoint(tags) and tags.get("highway") != "bus_stop":
                continue
            loc = node.location
            if not loc.valid():
                continue
            lon, lat = loc.lon, loc.lat
            if len(samples) < 64:
                samples.append((node.id, lon, lat))
            if w <= lon <= e and s <= lat <= n:
                newest.see(node)
                f_type.append("node")
                f_id.append(node.id)
                f_tags.append(tags)
                point_xy.append((lon, lat))
        f_geom.extend(shapely.points(np.asarray(point_xy, dtype=np.float64).reshape(-1, 2)).tolist())
        _build_index(src, index, samples)

        # -- pass 3: highway and feature ways with a node in the bbox, located from the index -----
        say(f"ingest: {name}: pass 3/5, highway and feature ways")
        h_id: list[int] = []
        h_hw: list[str] = []
        h_tags: list[dict[str, str]] = []
        h_nodes: list[np.ndarray] = []
        ll_ids: list[np.ndarray] = []
        ll_xy: list[np.ndarray] = []
        feat_ways: list[_WayData] = []
        feat_way_ids: list[int] = []
        touching_members: set[int] = set()

        fallback: _MemberWatch | None = None
        if bbox is not None and members:
            fallback = _MemberWatch(bbox, is_member, touching_members, index.table)
        way_chain = (osmium.filter.KeyFilter("highway", *FEATURE_KEYS), index.handler())
        for way in _iterate(src, osmium.osm.WAY, *way_chain, filtered=fallback):
            raw = _raw_coords(way)
            if bbox is not None:
                if not _touches(way, raw, bbox):
                    continue
                if is_member(way.id):
                    touching_members.add(way.id)
            tags = dict(way.tags)
            newest.see(way)
            xy = _way_lonlat(way, raw)
            if "highway" in tags:
                ids = _way_node_ids(way)  # only the network needs node ids
                h_id.append(way.id)
                h_hw.append(tags["highway"])
                h_tags.append(tags)
                h_nodes.append(ids)
                ok = ~np.isnan(xy[:, 0])
                ll_ids.append(ids[ok])
                ll_xy.append(xy[ok])
            if not _FEATURE_SET.isdisjoint(tags):
                feat_ways.append((_is_closed(way), xy, tags))
                feat_way_ids.append(way.id)
        geoms = _way_geometries(feat_ways)
        for wid, (_closed, _xy, tags), geom in zip(feat_way_ids, feat_ways, geoms, strict=True):
            if geom is None:
                log.debug("way %d has no node locations in %s; skipped", wid, name)
                continue
            f_type.append("way")
            f_id.append(wid)
            f_tags.append(tags)
            f_geom.append(geom)
        del feat_ways, geoms

        # -- pass 4: the feature multipolygons with a member way touching the bbox -----------------
        rel_arr = np.frombuffer(rel_col, dtype=np.int64) if rel_col else np.zeros(0, np.int64)
        way_arr = np.frombuffer(way_col, dtype=np.int64) if way_col else np.zeros(0, np.int64)
        if bbox is not None:
            hit = np.isin(way_arr, np.fromiter(touching_members, np.int64, len(touching_members)))
            wanted = np.unique(rel_arr[hit])
        else:
            wanted = np.unique(rel_arr)
        need_ways = set(way_arr[np.isin(rel_arr, wanted)].tolist())
        del rel_col, way_col, rel_arr, way_arr
        say(f"ingest: {name}: pass 4/5, {wanted.size} multipolygon relations")
        manager = osmium.area.AreaManager()
        rel_tags: dict[int, dict[str, str]] = {}
        if wanted.size:
            rel_chain = (*rel_filters, _KeepIds(set(wanted.tolist())), manager.first_pass_handler())
            for rel in _iterate(src, osmium.osm.RELATION, *rel_chain):
                newest.see(rel)
                rel_tags[rel.id] = dict(rel.tags)

        # -- pass 5: assemble them (libosmium's area assembler) from their member ways only -------
        say(f"ingest: {name}: pass 5/5, assembling {len(rel_tags)} multipolygons")
        collector = _AreaCollector(set(rel_tags))
        if rel_tags:
            _apply(src, osmium.osm.WAY, _KeepIds(need_ways), index.handler(),
                   manager.second_pass_handler(collector))
        missing = [rid for rid in rel_tags if rid not in collector.geoms]
        if missing:
            log.info("%s: %d multipolygon relation(s) could not be assembled (members missing from the "
                     "extract or broken rings), e.g. relation %d; they are left out",
                     name, len(missing), missing[0])
        for rid in sorted(collector.geoms):
            f_type.append("relation")
            f_id.append(rid)
            f_tags.append(rel_tags[rid])
            f_geom.append(collector.geoms[rid])
        del index

    highways = _highways_frame(h_id, h_hw, h_tags, h_nodes)
    if ll_ids:
        all_ids = np.concatenate(ll_ids)
        all_xy = np.concatenate(ll_xy)
        uniq, first = np.unique(all_ids, return_index=True)
        node_lonlat = _lonlat_frame(uniq, all_xy[first])
    else:
        node_lonlat = _lonlat_frame(np.zeros(0, np.int64), np.zeros((0, 2)))
    features = _features_frame(f_type, f_id, f_tags, f_geom)
    stamp = _header_timestamp(src, header) or newest.iso()
    log.info("read %s%s: %d highway ways, %d nodes, %d features (%d nodes, %d ways, %d relations) in %.2f s",
             name, f" bbox {bbox}" if bbox else "", len(highways), len(node_lonlat), len(features),
             f_type.count("node"), f_type.count("way"), f_type.count("relation"), time.perf_counter() - t0)
    return OsmExtract(path=src.path, highways=highways, node_lonlat=node_lonlat, features=features,
                      bounds=bounds, osm_timestamp=stamp)


# --------------------------------------------------------------------------------------------------
# Extent, named areas, one area's geometry
# --------------------------------------------------------------------------------------------------

def scan_data_bounds(path: str | Path) -> BBox:
    """The extent of all node locations in the file (a full scan of the nodes).

    Parameters
    ----------
    path : str or Path
        An OSM extract.

    Returns
    -------
    tuple of float
        ``(west, south, east, north)`` in WGS84 degrees.

    Raises
    ------
    ExtractError
        The file is missing, unreadable, or holds no node with a location.
    """
    src = _open(path)
    with tempfile.TemporaryDirectory(prefix="parkscope-nodes-") as tmp:
        index = _NodeIndex(tmp)
        samples: list[tuple[int, float, float]] = []
        for node in _iterate(src, osmium.osm.NODE, index.handler(), osmium.filter.EmptyTagFilter()):
            if len(samples) < 64 and node.location.valid():
                samples.append((node.id, node.location.lon, node.location.lat))
        if index.check(samples):
            extent = index.scan()[0]
        else:  # pragma: no cover - only if libosmium changes its index file layout
            extent = _python_extent(src)
        del index
    if extent is None:
        raise ExtractError(
            f"{src.path.name} holds no node with a location, so it covers no area; check that it is a "
            "complete extract (not a changes-only or ways-only file) and download it again if in doubt."
        )
    return extent


def _has_name(tags: Any) -> bool:
    for key in NAME_KEYS:
        if key in tags:
            return True
    return any(t.k.startswith("name:") for t in tags)


def list_named_areas(path: str | Path) -> pd.DataFrame:
    """Every named closed way and multipolygon/boundary relation of the extract (no geometry).

    Parameters
    ----------
    path : str or Path
        An OSM extract.

    Returns
    -------
    DataFrame
        Columns ``osm_type`` ('way' | 'relation'), ``osm_id`` (int64), ``tags`` (dict, all tags);
        one row per object with any of ``name``, ``name:*``, ``alt_name``, ``official_name``,
        ``old_name``, ``short_name``, ``loc_name``. Closed ways tagged ``area=no``, and closed
        ``highway`` ways without ``area=yes`` (street loops), are left out: they are lines.

    Raises
    ------
    ExtractError
        The file is missing, not OSM data or unreadable.
    """
    src = _open(path)
    types: list[str] = []
    ids: list[int] = []
    tags_out: list[dict[str, str]] = []
    empty = osmium.filter.EmptyTagFilter()
    for obj in _iterate(src, osmium.osm.WAY | osmium.osm.RELATION, empty):
        tags = obj.tags
        if not _has_name(tags):
            continue
        if obj.is_way():
            if len(obj.nodes) < 4 or not obj.is_closed() or tags.get("area") == "no":
                continue
            if "highway" in tags and tags.get("area") != "yes":
                continue
            types.append("way")
        else:
            if tags.get("type") not in ("multipolygon", "boundary"):
                continue
            types.append("relation")
        ids.append(obj.id)
        tags_out.append(dict(tags))
    return pd.DataFrame({
        "osm_type": pd.Series(types, dtype="str"),
        "osm_id": np.asarray(ids, dtype=np.int64),
        "tags": pd.Series(tags_out, dtype=object),
    })


def _not_found(label: str, src: _Source) -> ExtractError:
    return ExtractError(
        f"{label} is not in {src.path.name}; check the id (list_named_areas shows the named areas), or "
        "use an extract that holds it."
    )


def read_area_geometry(path: str | Path, osm_type: str, osm_id: int) -> shapely.Geometry:
    """The polygon of one closed way or multipolygon/boundary relation.

    Parameters
    ----------
    path : str or Path
        An OSM extract.
    osm_type : {'way', 'relation'}
        Kind of object (``'w'``/``'r'`` are accepted too).
    osm_id : int
        Its OSM id.

    Returns
    -------
    shapely Polygon or MultiPolygon
        WGS84, valid (repaired with ``make_valid`` when needed).

    Raises
    ------
    ExtractError
        The object is not in the file, is not an area, or its members are missing from the extract.
    """
    src = _open(path)
    kind = {"w": "way", "r": "relation"}.get(str(osm_type), str(osm_type))
    oid = int(osm_id)
    if kind not in ("way", "relation"):
        raise ExtractError(
            f"{osm_type}/{osm_id} cannot be an area: only a closed way or a multipolygon relation has a "
            "polygon. Choose one of those (see list_named_areas), or give the outline with --boundary."
        )
    label = f"{kind}/{oid}"
    with tempfile.TemporaryDirectory(prefix="parkscope-nodes-") as tmp:
        index = _NodeIndex(tmp)
        if kind == "way":
            geom = _way_area(src, index, oid, label)
        else:
            geom = _relation_area(src, index, oid, label)
        del index
    return geom


def _fill_index(src: _Source, index: _NodeIndex) -> None:
    samples: list[tuple[int, float, float]] = []
    for node in _iterate(src, osmium.osm.NODE, index.handler(), osmium.filter.EmptyTagFilter()):
        if len(samples) < 64 and node.location.valid():
            samples.append((node.id, node.location.lon, node.location.lat))
    _build_index(src, index, samples)


def _way_area(src: _Source, index: _NodeIndex, oid: int, label: str) -> shapely.Geometry:
    id_filter = osmium.filter.IdFilter([oid])
    if not any(True for _ in _iterate(src, osmium.osm.WAY, id_filter)):  # cheap existence check first
        raise _not_found(label, src)
    _fill_index(src, index)
    found: list[tuple[np.ndarray, np.ndarray, bool, dict[str, str]]] = []
    for way in _iterate(src, osmium.osm.WAY, id_filter, index.handler()):
        xy = _way_lonlat(way, _raw_coords(way))
        found.append((_way_node_ids(way), xy, _is_closed(way), dict(way.tags)))
    ids, xy, closed, tags = found[0]
    if not closed or tags.get("area") == "no":
        raise ExtractError(
            f"{label} in {src.path.name} is not a closed way, so it has no area; choose a closed way or "
            "a multipolygon relation, or give the outline with --boundary."
        )
    miss = ids[np.isnan(xy[:, 0])]
    if miss.size:
        raise ExtractError(
            f"{label} cannot be built: {miss.size} of its nodes (e.g. node/{int(miss[0])}) are missing from "
            f"{src.path.name}, which probably cuts it at its edge. Use a larger extract, or give the "
            "outline with --boundary."
        )
    poly = _valid_area(Polygon(xy))
    if poly is None:
        raise ExtractError(
            f"{label} in {src.path.name} encloses no area (its nodes are in a line); choose another "
            "object or give the outline with --boundary."
        )
    return poly


def _relation_area(src: _Source, index: _NodeIndex, oid: int, label: str) -> shapely.Geometry:
    manager = osmium.area.AreaManager()
    rel_type: list[str] = []
    ways: set[int] = set()
    rel_chain = (osmium.filter.IdFilter([oid]), manager.first_pass_handler())
    for rel in _iterate(src, osmium.osm.RELATION, *rel_chain):
        rel_type.append(rel.tags.get("type", ""))
        ways.update(m.ref for m in rel.members if m.type == "w")
    if not rel_type:
        raise _not_found(label, src)
    if rel_type[0] not in ("multipolygon", "boundary"):
        raise ExtractError(
            f"{label} in {src.path.name} is a relation of type '{rel_type[0]}', not a multipolygon or "
            "boundary, so it has no area; choose another object or give the outline with --boundary."
        )
    _fill_index(src, index)
    collector = _AreaCollector({oid})
    _apply(src, osmium.osm.WAY, _KeepIds(ways), index.handler(), manager.second_pass_handler(collector))
    geom = collector.geoms.get(oid)
    if geom is None:
        raise ExtractError(
            f"{label} in {src.path.name} could not be assembled into a polygon: some of its member ways "
            "or nodes are missing from the extract (it is cut at the extract's edge) or its rings do not "
            "close. Use a larger extract, or give the outline with --boundary (or a --bbox)."
        )
    return geom
