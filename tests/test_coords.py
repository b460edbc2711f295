"""GCJ-02 / BD-09 ↔ WGS84: published vectors, an independent implementation, round trips in metres."""

from __future__ import annotations

import numpy as np
import prcoords
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod

from parkscope.inputs import coords

GEOD = Geod(ellps="WGS84")

# Reference vectors published with eviltransform (googollee/eviltransform, its tests in every port):
# (wgs lat, wgs lon) -> (gcj lat, gcj lon)
EVILTRANSFORM_VECTORS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.fixture(scope="module")
def china_grid() -> tuple[np.ndarray, np.ndarray]:
    """3,000 points across mainland China, Hainan to Heilongjiang, Xinjiang to the east coast."""
    lon, lat = np.meshgrid(np.linspace(73.6, 134.7, 60), np.linspace(18.2, 53.5, 50))
    return lon.ravel(), lat.ravel()


def _metres(lon1, lat1, lon2, lat2) -> np.ndarray:
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


@pytest.mark.parametrize(("wgs", "gcj"), EVILTRANSFORM_VECTORS)
def test_published_vectors(wgs, gcj):
    lon, lat = coords.wgs84_to_gcj02(wgs[1], wgs[0])
    assert abs(lon - gcj[1]) < 1e-9 and abs(lat - gcj[0]) < 1e-9
    back = coords.gcj02_to_wgs84(gcj[1], gcj[0])
    assert _metres(back[0], back[1], wgs[1], wgs[0]) < 0.01


def test_forward_matches_prcoords(china_grid):
    lon, lat = china_grid
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    ref = np.array([prcoords.wgs_gcj((b, a)) for a, b in zip(lon, lat, strict=True)])  # (lat, lon)
    assert np.abs(gx - ref[:, 1]).max() < 1e-6
    assert np.abs(gy - ref[:, 0]).max() < 1e-6
    bx, by = coords.gcj02_to_bd09(gx, gy)
    ref = np.array([prcoords.gcj_bd((b, a)) for a, b in zip(gx, gy, strict=True)])
    assert np.abs(bx - ref[:, 1]).max() < 1e-6
    assert np.abs(by - ref[:, 0]).max() < 1e-6
    # the offset really is there: a few hundred metres
    d = _metres(lon, lat, gx, gy)
    assert 10 < np.median(d) < 1000


def test_round_trips_under_a_millimetre(china_grid):
    lon, lat = china_grid
    wx, wy = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, wx, wy).max() < 1e-3
    wx, wy = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert _metres(lon, lat, wx, wy).max() < 1e-3
    gx, gy = coords.bd09_to_gcj02(*coords.gcj02_to_bd09(lon, lat))
    assert _metres(lon, lat, gx, gy).max() < 1e-3


@settings(max_examples=200, deadline=None)
@given(st.floats(72.1, 137.7), st.floats(0.9, 55.7))
def test_round_trip_anywhere_in_the_rectangle(lon, lat):
    wx, wy = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lon, lat))
    bx, by = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lon, lat))
    assert max(_metres(lon, lat, wx, wy), _metres(lon, lat, bx, by)) < 1e-3


def test_iteration_beats_the_one_step_inverse(china_grid):
    """The usual one-step inverse errs by metres; ours must not."""
    lon, lat = china_grid
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    fx, fy = coords.wgs84_to_gcj02(gx, gy)
    one_step = _metres(lon, lat, gx - (fx - gx), gy - (fy - gy))
    assert one_step.max() > 1.0
    ours = _metres(lon, lat, *coords.gcj02_to_wgs84(gx, gy))
    assert ours.max() < 1e-3


@pytest.mark.parametrize(
    "fn",
    [
        coords.wgs84_to_gcj02,
        coords.gcj02_to_wgs84,
        coords.gcj02_to_bd09,
        coords.bd09_to_gcj02,
        coords.wgs84_to_bd09,
        coords.bd09_to_wgs84,
    ],
)
def test_outside_china_unchanged(fn):
    lon = np.array([13.4050, -51.174, 2.1734, 116.39])  # Berlin, Porto Alegre, Barcelona, Beijing
    lat = np.array([52.5200, -30.058, 41.3851, 39.91])
    x, y = fn(lon, lat)
    assert np.array_equal(x[:3], lon[:3]) and np.array_equal(y[:3], lat[:3])
    assert abs(x[3] - lon[3]) > 1e-4  # Beijing moves
    assert coords.in_china(lon, lat).tolist() == [False, False, False, True]


def test_shapes_and_inputs_untouched():
    lon = np.array([[116.3, 116.4], [121.5, 121.6]])
    lat = np.full((2, 2), 31.2)
    keep = lon.copy()
    x, y = coords.wgs84_to_gcj02(lon, lat)
    assert x.shape == (2, 2) and y.shape == (2, 2)
    assert np.array_equal(lon, keep)
    x, y = coords.gcj02_to_wgs84([], [])
    assert x.size == 0 and y.size == 0
    x, y = coords.bd09_to_wgs84(116.404, 39.915)  # scalars work too
    assert np.ndim(x) == 0 and 116.38 < float(x) < 116.40
