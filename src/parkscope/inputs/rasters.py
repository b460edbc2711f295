"""GeoTIFF rasters of counts (WorldPop, GHSL GHS-POP, a user's own jobs grid) or weights (GHS-BUILT-V).

Only the window over the study area is read (any CRS; the band's nodata and mask respected). Each
pixel with a value becomes its polygon, built in the raster's CRS from its affine transform;
:func:`raster_to_cells` carries the H3 cells into that CRS vertex by vertex (they still tile it)
and splits every pixel among them by exact polygon overlap: what lies inside the cells is
conserved, never invented (docs/population.md §8, docs/decisions.md).

Nodata, NaN and negative pixels count as 0. A raster that misses the study area is an
:class:`~parkscope.errors.InputError` naming both extents; one that covers only part of it is read
with a warning, and the share covered is in ``attrs["raster"]["coverage_share"]``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.errors
import shapely
from pyproj import CRS, Transformer
from rasterio.transform import Affine
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from parkscope.errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "GHS_BUILT_V_ATTRIBUTION",
    "GHS_POP_ATTRIBUTION",
    "RASTER_SUFFIXES",
    "WORLDPOP_ATTRIBUTION",
    "check_raster",
    "is_raster",
    "raster_to_cells",
    "read_raster",
    "split_raster_spec",
]

WGS84 = CRS.from_epsg(4326)
RASTER_SUFFIXES: tuple[str, ...] = (".tif", ".tiff")
#: Above this share of nodata pixels in the study area the reader warns (coasts, lakes, gaps).
NODATA_WARN_SHARE = 0.25
#: A raster read whole (no study area given) may have at most this many pixels.
MAX_WHOLE_PIXELS = 5_000_000

WORLDPOP_ATTRIBUTION = (
    "Population: WorldPop (www.worldpop.org — School of Geography and Environmental Science, University "
    "of Southampton), CC BY 4.0"
)
GHS_POP_ATTRIBUTION = (
    "Population: GHS-POP R2023A, Schiavina M., Freire S., Carioli A., MacManus K. (2023), European "
    "Commission, Joint Research Centre, doi:10.2905/2FF68A52-5B5B-4A22-8F40-C41DA8332CFE, CC BY 4.0"
)
GHS_BUILT_V_ATTRIBUTION = (
    "Built-up volume: GHS-BUILT-V R2023A, Pesaresi M., Politis P. (2023), European Commission, Joint "
    "Research Centre, doi:10.2905/AB2F107A-03CD-47A3-85E5-139D8EC63283, CC BY 4.0"
)
# (pattern in the file name or metadata, attribution); the first that matches wins
_KNOWN_SOURCES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ghs[_-]built[_-]v", re.I), GHS_BUILT_V_ATTRIBUTION),
    (re.compile(r"ghs[_-]pop", re.I), GHS_POP_ATTRIBUTION),
    (re.compile(r"worldpop|(^|[_-])ppp_\d{4}", re.I), WORLDPOP_ATTRIBUTION),
)


# --------------------------------------------------------------------------------------------------
# FILE.tif[:BAND]
# --------------------------------------------------------------------------------------------------


def split_raster_spec(spec: str | Path) -> tuple[Path, int]:
    """``FILE.tif`` or ``FILE.tif:BAND`` → (path, band); band 1 by default.

    A spec that exists as a file, or that ends in a raster suffix, is never split.

    Raises
    ------
    InputError
        When the part after the colon is not a band number (1, 2, ...).
    """
    if isinstance(spec, Path):
        return spec.expanduser(), 1
    text = str(spec).strip()
    whole = Path(text).expanduser()
    if whole.exists() or whole.suffix.lower() in RASTER_SUFFIXES:
        return whole, 1
    head, sep, tail = text.rpartition(":")
    if sep and Path(head).suffix.lower() in RASTER_SUFFIXES:
        band = tail.strip()
        if not band.isdigit() or int(band) < 1:
            raise InputError(
                f"'{tail}' after the raster {Path(head).name} is not a band number: give FILE.tif or "
                "FILE.tif:BAND with BAND = 1, 2, ... (GeoTIFF rasters have bands, not columns)."
            )
        return Path(head).expanduser(), int(band)
    return whole, 1


def is_raster(spec: str | Path | None) -> bool:
    """Whether ``spec`` names a GeoTIFF (``.tif`` / ``.tiff``, optionally ``:BAND``)."""
    if spec is None:
        return False
    text = str(spec).strip()
    if Path(text).suffix.lower() in RASTER_SUFFIXES:
        return True
    head, sep, _ = text.rpartition(":")
    return bool(sep) and Path(head).suffix.lower() in RASTER_SUFFIXES


# --------------------------------------------------------------------------------------------------
# Opening, extents, windows
# --------------------------------------------------------------------------------------------------


@contextmanager
def _open(path: Path, band: int, what: str) -> Iterator[Any]:
    if not path.exists():
        raise InputError(
            f"The {what} raster {path} does not exist. Check the path (FILE.tif or FILE.tif:BAND)."
        )
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(
            f"{path} cannot be read as a raster ({exc}). Give a GeoTIFF (.tif) of counts, e.g. WorldPop "
            "or GHSL GHS-POP."
        ) from exc
    with ds:
        if band > ds.count:
            raise InputError(
                f"{path.name} has {ds.count} band(s); band {band} was asked for. Give FILE.tif:1 to "
                f"FILE.tif:{ds.count}."
            )
        if ds.crs is None:
            raise InputError(
                f"{path} has no coordinate system, so parkscope cannot tell where its pixels are. Set it "
                "(for example `gdal_edit.py -a_srs EPSG:4326 FILE.tif`) and run again."
            )
        yield ds


def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _reproject(geom: BaseGeometry | np.ndarray, src: CRS, dst: CRS) -> Any:
    """Geometries carried vertex by vertex from ``src`` to ``dst`` (shared vertices stay shared)."""
    if src.equals(dst):
        return geom
    tf = _transformer(src, dst)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = tf.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, move)


def _apply(t: Affine, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The affine map ``t`` applied to arrays of (column, row) or (x, y)."""
    return t.a * u + t.b * v + t.c, t.d * u + t.e * v + t.f


def _footprint(transform: Affine, width: int, height: int) -> shapely.Polygon:
    """The raster's extent as a polygon in its own CRS (a parallelogram for rotated rasters)."""
    cols = np.array([0, width, width, 0, 0], dtype=np.float64)
    rows = np.array([0, 0, height, height, 0], dtype=np.float64)
    x, y = _apply(transform, cols, rows)
    return shapely.Polygon(np.column_stack([x, y]))


def _crs_label(crs: Any) -> str:
    """``EPSG:…`` where the raster's CRS has an authority code, else its name."""
    text = crs.to_string()
    return text if len(text) <= 40 else CRS(crs).name


def _fmt_box(b: tuple[float, float, float, float] | np.ndarray) -> str:
    return ",".join(f"{v:.4f}" for v in b)


def _extent_wgs84(ds: Any) -> tuple[float, float, float, float]:
    fp = _footprint(ds.transform, ds.width, ds.height).segmentize(max(ds.res) * max(ds.width, ds.height) / 64)
    return tuple(shapely.bounds(_reproject(fp, CRS(ds.crs), WGS84)).tolist())  # type: ignore[return-value]


def _window(transform: Affine, width: int, height: int, area_r: BaseGeometry) -> Window | None:
    """The pixels (rows, columns) whose extent meets the bounding box of ``area_r``; None if none."""
    x0, y0, x1, y1 = area_r.bounds
    cols, rows = _apply(~transform, np.array([x0, x1, x1, x0]), np.array([y0, y0, y1, y1]))
    c0, c1 = max(0, int(np.floor(cols.min()))), min(width, int(np.ceil(cols.max())))
    r0, r1 = max(0, int(np.floor(rows.min()))), min(height, int(np.ceil(rows.max())))
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def _miss_error(path: Path, what: str, ds: Any, area: BaseGeometry) -> InputError:
    return InputError(
        f"The {what} raster {path.name} does not cover the study area: the raster spans "
        f"{_fmt_box(_extent_wgs84(ds))} (W,S,E,N, WGS84; {_fmt_box(ds.bounds)} in "
        f"{_crs_label(ds.crs)}), "
        f"the study area {_fmt_box(shapely.bounds(area))}. Give a raster of this place (a WorldPop country "
        "file or the GHSL tile that holds it)."
    )


def _coverage(ds: Any, area_r: BaseGeometry) -> float:
    """Share of the study area (measured in the raster's CRS) inside the raster's extent."""
    total = area_r.area
    if total <= 0:
        return 1.0 if shapely.intersects(area_r, _footprint(ds.transform, ds.width, ds.height)) else 0.0
    inside = shapely.intersection(area_r, _footprint(ds.transform, ds.width, ds.height)).area
    return float(min(1.0, inside / total))


def check_raster(spec: str | Path, what: str, area: BaseGeometry) -> dict[str, Any]:
    """Open a raster and check that it covers ``area`` (WGS84), without reading its pixels.

    Called before the long stages of :func:`parkscope.assess` so that a wrong raster fails at once.

    Returns
    -------
    dict
        ``file``, ``band``, ``crs`` and ``coverage_share`` (0–1].

    Raises
    ------
    InputError
        Missing or unreadable file, no such band, no CRS, or a raster that misses ``area``.
    """
    path, band = split_raster_spec(spec)
    with _open(path, band, what) as ds:
        crs = CRS(ds.crs)
        share = _coverage(ds, _reproject(area, WGS84, crs))
        if share <= 0:
            raise _miss_error(path, what, ds, area)
        return {"file": path.name, "band": band, "crs": _crs_label(ds.crs), "coverage_share": share}


# --------------------------------------------------------------------------------------------------
# Reading
# --------------------------------------------------------------------------------------------------


def _attribution(ds: Any, path: Path, band: int) -> str | None:
    """Attribution of a known source named by the file or its metadata, else the file's copyright tag."""
    tags = {**ds.tags(), **ds.tags(band)}
    texts = [path.name, ds.descriptions[band - 1] or "", *map(str, tags.values())]
    for pattern, text in _KNOWN_SOURCES:
        if any(pattern.search(t) for t in texts):
            return text
    own = tags.get("TIFFTAG_COPYRIGHT") or tags.get("copyright") or tags.get("attribution")
    return (str(own).strip() or None) if own else None


def _pixel_polygons(transform: Affine, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Polygons of the pixels (row, col) of a grid with affine ``transform``, in its CRS."""
    dc = np.array([0, 1, 1, 0, 0], dtype=np.float64)
    dr = np.array([0, 0, 1, 1, 0], dtype=np.float64)
    c = cols[:, None].astype(np.float64) + dc
    r = rows[:, None].astype(np.float64) + dr
    x, y = _apply(transform, c, r)
    return shapely.polygons(np.stack([x, y], axis=-1))


def _clean(data: np.ma.MaskedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values as float64 with nodata, masked, NaN and negative pixels set to 0; and the two masks."""
    values = np.ma.getdata(data).astype(np.float64)
    missing = np.ma.getmaskarray(data) | ~np.isfinite(values)
    negative = ~missing & (values < 0)
    values[missing | negative] = 0.0
    return values, missing, negative


def read_raster(spec: str | Path, what: str, area: BaseGeometry | None = None) -> gpd.GeoDataFrame:
    """The pixels of a raster over ``area`` as polygons with their value, in the raster's CRS.

    Parameters
    ----------
    spec : str or Path
        ``FILE.tif`` or ``FILE.tif:BAND`` (band 1 by default).
    what : str
        What the raster holds, for messages (``"jobs"``, ``"residents"``, ``"jobs weight"``).
    area : shapely geometry, optional
        The study area (WGS84): only the window of pixels over its bounding box is read, and the
        coverage and nodata shares are measured over it. None reads the whole raster (at most
        :data:`MAX_WHOLE_PIXELS` pixels).

    Returns
    -------
    GeoDataFrame (the raster's CRS)
        ``count`` (the pixel value, > 0; pixels of value 0 are left out) and the pixel polygons.
        ``attrs``: ``source``, ``column`` (``"band N"``), ``kind`` (= ``what``) and ``raster``, a dict
        with ``file``, ``band``, ``crs``, ``pixel_size`` ([x, y] in ``pixel_unit``), ``pixel_unit``,
        ``window`` ([columns, rows] read), ``coverage_share`` (share of ``area`` inside the raster,
        0–1], ``nodata_share`` (share of the pixels centred in ``area`` that are nodata), ``negative_pixels``,
        ``total_window`` (sum of the window read) and ``attribution`` (or None).

    Raises
    ------
    InputError
        Missing or unreadable file, no such band, no CRS, a raster that misses ``area``, or a
        whole-raster read that is too large.
    """
    path, band = split_raster_spec(spec)
    with _open(path, band, what) as ds:
        crs = CRS(ds.crs)
        if area is None:
            if ds.width * ds.height > MAX_WHOLE_PIXELS:
                raise InputError(
                    f"{path.name} has {ds.width} × {ds.height} pixels; parkscope reads only the window "
                    "over a study area from so large a raster. Give the study area (assess does)."
                )
            window, area_r, share = Window(0, 0, ds.width, ds.height), None, 1.0
        else:
            area_r = _reproject(area, WGS84, crs)
            share = _coverage(ds, area_r)
            window = _window(ds.transform, ds.width, ds.height, area_r) if share > 0 else None
            if window is None:
                raise _miss_error(path, what, ds, area)
        values, missing, negative = _clean(ds.read(band, window=window, masked=True))
        transform = ds.window_transform(window)
        attribution = _attribution(ds, path, band)
        label = _crs_label(ds.crs)
        res = (abs(ds.transform.a) or abs(ds.transform.b), abs(ds.transform.e) or abs(ds.transform.d))
        unit = "degree" if crs.is_geographic else (crs.axis_info[0].unit_name if crs.axis_info else "unit")
    rows, cols = np.nonzero(values > 0)
    nodata_share = _nodata_share(transform, missing, area_r)
    record = {
        "file": path.name,
        "band": band,
        "crs": label,
        "pixel_size": [float(res[0]), float(res[1])],
        "pixel_unit": unit,
        "window": [int(window.width), int(window.height)],
        "coverage_share": round(float(share), 6),
        "nodata_share": round(nodata_share, 6),
        "negative_pixels": int(negative.sum()),
        "total_window": float(values.sum()),
        "attribution": attribution,
    }
    _warn(path, what, record)
    out = gpd.GeoDataFrame(
        {"count": values[rows, cols]}, geometry=_pixel_polygons(transform, rows, cols), crs=crs
    )
    out.attrs.update({"source": str(path), "column": f"band {band}", "kind": what, "raster": record})
    log.info(
        "%s raster %s: window %d × %d pixels of %g × %g %s, %d with a value, total %.1f",
        what, path.name, window.width, window.height, res[0], res[1], unit, rows.size, record["total_window"],
    )
    return out


def _nodata_share(transform: Affine, missing: np.ndarray, area_r: BaseGeometry | None) -> float:
    """Share of the pixels whose centre lies in ``area_r`` (all pixels if None) that are nodata."""
    if missing.size == 0:
        return 0.0
    if area_r is None:
        return float(missing.mean())
    shapely.prepare(area_r)
    rows, cols = np.indices(missing.shape)
    x, y = _apply(transform, cols.ravel() + 0.5, rows.ravel() + 0.5)
    inside = shapely.contains_xy(area_r, x, y)
    return float(missing.ravel()[inside].mean()) if inside.any() else float(missing.mean())


def _warn(path: Path, what: str, record: dict[str, Any]) -> None:
    share = record["coverage_share"]
    if share < 1.0 - 1e-9:
        log.warning(
            "The %s raster %s covers %.1f %% of the study area; the cells outside it get no %s from it, "
            "so the totals are too low there. Give a raster that covers the whole area.",
            what, path.name, 100 * share, what,
        )
    if record["nodata_share"] > NODATA_WARN_SHARE:
        log.warning(
            "%.0f %% of the pixels of %s in the study area are nodata; they count as 0 %s. That is right "
            "over water or empty land, wrong if the raster has gaps where people are.",
            100 * record["nodata_share"], path.name, what,
        )
    if record["negative_pixels"]:
        log.warning(
            "%s: %d pixels in the window read hold negative values; they count as 0 %s.",
            path.name, record["negative_pixels"], what,
        )


# --------------------------------------------------------------------------------------------------
# Pixels → H3 cells
# --------------------------------------------------------------------------------------------------


def raster_to_cells(pixels: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> pd.Series:
    """Split every pixel among the cells by the share of its area in each, in the raster's CRS.

    The cells (WGS84 polygons) are carried to the raster's CRS vertex by vertex, so they still tile
    it; a pixel inside one cell goes to it whole, a pixel on a cell edge or on the edge of the
    study area is cut exactly (``value × area(pixel ∩ cell) / area(pixel)``). The result sums to
    the value of the pixels inside the cells' union: conserved, never invented.

    Parameters
    ----------
    pixels : GeoDataFrame
        From :func:`read_raster` (``count``, pixel polygons in the raster's CRS).
    cells : GeoDataFrame
        ``h3`` and the cell polygons (EPSG:4326).

    Returns
    -------
    Series
        Float values indexed by ``h3`` in the order of ``cells`` (0 where no pixel falls); ``attrs``
        carries ``pixels.attrs`` with ``raster["total_in_cells"]`` added.
    """
    ids = cells["h3"].to_numpy(dtype=object)
    out = np.zeros(len(cells), dtype=np.float64)
    if len(pixels) and len(cells):
        cells_r = _reproject(cells.geometry.to_crs(WGS84).values, WGS84, CRS(pixels.crs))
        pix = pixels.geometry.values
        value = pixels["count"].to_numpy(dtype=np.float64)
        p_idx, c_idx = shapely.STRtree(cells_r).query(pix, predicate="intersects")
        shapely.prepare(cells_r)
        share = np.ones(p_idx.size)
        cut = ~shapely.contains_properly(cells_r[c_idx], pix[p_idx])
        share[cut] = shapely.area(shapely.intersection(pix[p_idx[cut]], cells_r[c_idx[cut]])) / shapely.area(
            pix[p_idx[cut]]
        )
        np.add.at(out, c_idx, value[p_idx] * share)
    series = pd.Series(out, index=pd.Index(ids, name="h3"), name="count")
    raster = {**pixels.attrs.get("raster", {}), "total_in_cells": float(out.sum())}
    series.attrs = {**pixels.attrs, "raster": raster}
    return series
