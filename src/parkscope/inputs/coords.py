"""Chinese map coordinates: GCJ-02 (Amap, Tencent, Google China) and BD-09 (Baidu) to and from WGS84.

Tables exported from Chinese map services carry GCJ-02 or BD-09 coordinates, offset from WGS84
(which OpenStreetMap uses) by a few hundred metres. These are the published algorithms, vectorised
over NumPy arrays of longitudes and latitudes (degrees):

- **WGS84 → GCJ-02**: the widely published offset function (as in ``eviltransform`` and ``prcoords``):
  a fixed polynomial-and-sine distortion in metres at (lon − 105, lat − 35), turned into degrees on the
  Krasovsky 1940 ellipsoid (a = 6378245 m, e² = 0.00669342162296594323).
- **GCJ-02 → WGS84**: no closed form exists; we invert the forward function by fixed-point iteration
  (``w ← w − (gcj(w) − g)``) until every point's residual is below 1e-10° (≈ 0.01 mm), at most 30
  rounds. The one-step approximation ``w = g − (gcj(g) − g)`` used by many libraries errs by up to
  a few metres; the iteration does not.
- **GCJ-02 → BD-09**: Baidu's widely published rotation-and-scaling with x_pi = π·3000/180 and the constant
  shift (0.0065°, 0.006°).
- **BD-09 → GCJ-02**: the usual closed-form reverse is itself approximate (≈ 1e-7°); we refine it by
  the same fixed-point iteration on the forward function, to below 1e-10°.

Points outside China are returned unchanged, as the services do: "outside" means outside the
rectangle 72.004–137.8347° E, 0.8293–55.8271° N used by the reference implementations. The rectangle
is rough: it also covers parts of neighbouring countries (where a real GCJ-02 service would not
offset) and the check is made on the input point (so a point within ~1 km of the rectangle's edge
can be treated differently going and coming back). All six functions leave points outside the
rectangle unchanged, BD-09 ones included (Baidu's own offset outside China is not documented).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Krasovsky 1940 ellipsoid, as used by GCJ-02.
KRASOVSKY_A = 6378245.0
KRASOVSKY_EE = 0.00669342162296594323
#: Baidu's constant: π · 3000 / 180.
X_PI = np.pi * 3000.0 / 180.0
#: Baidu's constant shift after the rotation (degrees).
BD_DLON = 0.0065
BD_DLAT = 0.006
#: The rectangle inside which GCJ-02 offsets apply (degrees).
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

_TOL_DEG = 1e-10
_MAX_ITER = 30

Pair = tuple[NDArray[np.float64], NDArray[np.float64]]


def _arrays(lon: ArrayLike, lat: ArrayLike) -> Pair:
    x = np.asarray(lon, dtype=np.float64)
    y = np.asarray(lat, dtype=np.float64)
    x, y = np.broadcast_arrays(x, y)
    return x.copy(), y.copy()


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Whether points lie in the rectangle where GCJ-02 offsets apply (see the module notes).

    Parameters
    ----------
    lon, lat : array_like
        Degrees.

    Returns
    -------
    ndarray of bool
    """
    x, y = _arrays(lon, lat)
    return (x >= CHINA_LON[0]) & (x <= CHINA_LON[1]) & (y >= CHINA_LAT[0]) & (y <= CHINA_LAT[1])


def _gcj_offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Pair:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS84 points (no China check)."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    pi = np.pi
    common = 20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)
    dlat_m = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    dlat_m += common * 2.0 / 3.0
    dlat_m += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat_m += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon_m = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    dlon_m += common * 2.0 / 3.0
    dlon_m += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon_m += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat_m * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * pi)
    dlon = (dlon_m * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(rad_lat) * pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS84 → GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees (scalars or arrays of one shape).

    Returns
    -------
    (ndarray, ndarray)
        GCJ-02 longitude and latitude; points outside China unchanged.
    """
    x, y = _arrays(lon, lat)
    ok = in_china(x, y)
    dlon, dlat = _gcj_offset(x[ok], y[ok])
    x[ok] += dlon
    y[ok] += dlat
    return x, y


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 → WGS84 by iterative inversion (residual below 1e-10°, about 0.01 mm).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    (ndarray, ndarray)
        WGS84 longitude and latitude; points outside China unchanged.
    """
    gx, gy = _arrays(lon, lat)
    ok = in_china(gx, gy)
    tx, ty = gx[ok], gy[ok]
    dlon, dlat = _gcj_offset(tx, ty)
    wx, wy = tx - dlon, ty - dlat  # the usual one-step estimate, then refine
    for _ in range(_MAX_ITER):
        dlon, dlat = _gcj_offset(wx, wy)
        rx, ry = wx + dlon - tx, wy + dlat - ty
        wx -= rx
        wy -= ry
        if rx.size == 0 or max(np.abs(rx).max(), np.abs(ry).max()) < _TOL_DEG:
            break
    gx[ok], gy[ok] = wx, wy
    return gx, gy


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """GCJ-02 → BD-09 (Baidu).

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    (ndarray, ndarray)
        BD-09 longitude and latitude; points outside China unchanged.
    """
    x, y = _arrays(lon, lat)
    ok = in_china(x, y)
    x[ok], y[ok] = _gcj_to_bd(x[ok], y[ok])
    return x, y


def _gcj_to_bd(x: NDArray[np.float64], y: NDArray[np.float64]) -> Pair:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta) + BD_DLON, z * np.sin(theta) + BD_DLAT


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 → GCJ-02: the published reverse, refined by iteration to below 1e-10°.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    (ndarray, ndarray)
        GCJ-02 longitude and latitude; points outside China unchanged.
    """
    ox, oy = _arrays(lon, lat)
    ok = in_china(ox, oy)
    bx, by = ox[ok], oy[ok]
    x, y = bx - BD_DLON, by - BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    for _ in range(_MAX_ITER):
        fx, fy = _gcj_to_bd(gx, gy)
        rx, ry = fx - bx, fy - by
        gx = gx - rx
        gy = gy - ry
        if rx.size == 0 or max(np.abs(rx).max(), np.abs(ry).max()) < _TOL_DEG:
            break
    ox[ok], oy[ok] = gx, gy
    return ox, oy


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """WGS84 → BD-09 (through GCJ-02); points outside China unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees.

    Returns
    -------
    (ndarray, ndarray)
        BD-09 longitude and latitude.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Pair:
    """BD-09 → WGS84 (through GCJ-02); points outside China unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    (ndarray, ndarray)
        WGS84 longitude and latitude.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
