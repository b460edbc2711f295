import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from parkscope.errors import AreaError
from parkscope.inputs.area import (
    area_from_bbox,
    area_from_boundary,
    local_crs,
    match_park_name,
    normalise_name,
    parse_bbox,
)


def test_parse_bbox_accepts_and_refuses():
    assert parse_bbox("-8.62, 41.14, -8.60, 41.16") == (-8.62, 41.14, -8.60, 41.16)
    for bad, msg in [
        ("1,2,3", "not four numbers"),
        ("a,b,c,d", "not four numbers"),
        ("10,50,9,51", "empty"),
        ("200,0,201,1", "out of range"),
    ]:
        with pytest.raises(AreaError, match=msg):
            parse_bbox(bad)


def test_local_crs_is_the_utm_zone():
    assert local_crs(116.35, 40.0).to_epsg() == 32650  # Beijing
    assert local_crs(-51.17, -30.06).to_epsg() == 32722  # Porto Alegre
    assert local_crs(13.5, 52.4).to_epsg() == 32633  # Berlin


def test_bbox_area_buffer_in_metres():
    a = area_from_bbox("13.52,52.42,13.54,52.44", buffer_m=500)
    park = a.park_area_m2()
    assert 2.9e6 < park < 3.1e6  # ~1.36 km x 2.22 km
    grown = gpd.GeoSeries([a.analysis], crs=4326).to_crs(a.crs).area.iloc[0]
    # buffer adds perimeter*500 + pi*500^2 (rounded corners)
    perimeter = gpd.GeoSeries([a.park], crs=4326).to_crs(a.crs).length.iloc[0]
    assert grown == pytest.approx(park + perimeter * 500 + 3.14159 * 500**2, rel=0.01)


def _geojson(tmp_path: Path, coords, name="b.geojson") -> Path:
    p = tmp_path / name
    p.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Polygon", "coordinates": [coords]},
                    }
                ],
            }
        )
    )
    return p


def test_boundary_geojson_and_repair(tmp_path: Path):
    ok = _geojson(tmp_path, [[13.52, 52.42], [13.54, 52.42], [13.54, 52.44], [13.52, 52.44], [13.52, 52.42]])
    a = area_from_boundary(ok, 100)
    assert a.source == "boundary" and a.park.is_valid
    bowtie = _geojson(
        tmp_path,
        [[13.52, 52.42], [13.54, 52.44], [13.54, 52.42], [13.52, 52.44], [13.52, 52.42]],
        "bow.geojson",
    )
    b = area_from_boundary(bowtie, 0)
    assert b.park.is_valid and b.park.area > 0


def test_boundary_reprojected_from_its_crs(tmp_path: Path):
    poly = shapely.box(390000, 5808000, 391000, 5809000)  # UTM 33N, Adlershof
    p = tmp_path / "utm.gpkg"
    gpd.GeoDataFrame(geometry=[poly], crs=32633).to_file(p)
    a = area_from_boundary(p, 0)
    assert 13.3 < a.park.centroid.x < 13.6 and 52.3 < a.park.centroid.y < 52.5
    assert a.park_area_m2() == pytest.approx(1e6, rel=1e-3)


def test_boundary_refusals(tmp_path: Path):
    with pytest.raises(AreaError, match="does not exist"):
        area_from_boundary(tmp_path / "nope.geojson", 0)
    pts = tmp_path / "pts.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Point(13.5, 52.4)], crs=4326).to_file(pts)
    with pytest.raises(AreaError, match="no polygon"):
        area_from_boundary(pts, 0)
    shp = tmp_path / "nocrs.shp"
    gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]).to_file(shp)
    with pytest.raises(AreaError, match="no coordinate reference system"):
        area_from_boundary(shp, 0)
    junk = tmp_path / "junk.geojson"
    junk.write_text("this is not json")
    with pytest.raises(AreaError, match="could not be read"):
        area_from_boundary(junk, 0)


def test_name_matching_exact_then_normalised():
    named = pd.DataFrame(
        {
            "osm_type": ["way", "way", "relation"],
            "osm_id": [1, 2, 3],
            "tags": [
                {"name": "东畔科创中心", "name:en": "Dong-Park", "old_name": "中关村东升科技园三期"},
                {"name": "中关村768创意产业园", "name:zh-Hant": "中關村768創意產業園"},
                {"name": "Ｔｅｃｎｏｐｕｃ"},
            ],
        }
    )
    for query, osm_id, tag in [
        ("东畔科创中心", 1, "name"),
        ("Dong-Park", 1, "name:en"),
        ("dong-park", 1, "name:en"),
        ("中关村东升科技园三期", 1, "old_name"),
        ("中關村768創意產業園", 2, "name:zh-Hant"),
        ("東畔科創中心", 1, "name"),
        ("Tecnopuc", 3, "name"),
    ]:
        m, _ = match_park_name(named, query)
        assert m.iloc[0]["osm_id"] == osm_id and m.iloc[0]["tag"] == tag, query
    m, closest = match_park_name(named, "Dong Park Science")
    assert m.empty and "Dong-Park" in closest
    assert normalise_name("ＡＢＣ  科技園") == "abc 科技园"


def test_share_outside_the_extract_by_hand_and_on_a_cut_export(osm_dir, caplog):
    import shapely
    from pyproj import CRS

    from parkscope import assess
    from parkscope.inputs.area import share_outside

    square = shapely.box(10.0, 0.0, 10.02, 0.02)  # at the equator: degrees are near-squares
    crs = CRS.from_epsg(32632)
    assert share_outside(square, (10.0, 0.0, 10.01, 0.02), crs) == pytest.approx(0.5, abs=1e-3)
    assert share_outside(square, (9.0, -1.0, 11.0, 1.0), crs) == 0.0
    assert share_outside(square, None, crs) == 0.0
    with caplog.at_level("WARNING"):
        a = assess(osm_dir / "beijing-xueyuan-road.osm", park="Dong-Park")
    assert a.summary.area.outside_extract_share > 0.5  # a 2 km ring around a small API export
    assert any("outside the data" in r.message for r in caplog.records)
