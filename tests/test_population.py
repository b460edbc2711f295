"""Jobs and residents: building floor space and use, the estimate, user tables, reallocation to cells."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import CRS, Transformer
from shapely.geometry import box

from parkscope import assess
from parkscope.errors import ConfigError, InputError
from parkscope.inputs import coords
from parkscope.inputs.area import local_crs
from parkscope.inputs.osm import read_extract
from parkscope.measures.population import (
    PopulationParams,
    allocate_to_cells,
    building_counts_to_cells,
    building_floorspace,
    estimate_jobs_residents,
    load_population_params,
    read_counts_table,
)
from parkscope.walk.grid import cell_polygons

WGS84 = CRS.from_epsg(4326)
PARK_WAY = 930935497  # 东畔科创中心 (Dong-Park), landuse=commercial, in beijing-xueyuan-road.osm
TECNOPUC = (-51.174, -30.058)


def _cells(ids) -> gpd.GeoDataFrame:
    ids = sorted(ids)
    return gpd.GeoDataFrame({"h3": ids}, geometry=list(cell_polygons(ids)), crs=WGS84)


def _cells_over(geom, res: int = 9) -> gpd.GeoDataFrame:
    return _cells(h3.geo_to_cells(geom.__geo_interface__, res))


# --------------------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------------------


def test_shipped_defaults_and_round_trip():
    p = load_population_params()
    assert p.m2_per_worker["office"] == 20.0  # Hong Kong PSG ch. 5 table 2
    assert p.m2_per_worker["research"] == 15.0  # Hong Kong PSG: science park
    assert p.m2_per_resident == 40.3  # no location: the fallback of data/country_defaults.toml
    assert p.m2_per_worker["other"] == 0.0
    again = PopulationParams.from_dict(p.as_dict())
    assert again == p
    with pytest.raises(TypeError):
        p.m2_per_worker["office"] = 1.0  # type: ignore[index]


def test_overrides_merge_tables_key_by_key():
    p = load_population_params({"m2_per_worker": {"office": 15}, "m2_per_resident": 40})
    assert p.m2_per_worker["office"] == 15.0
    assert p.m2_per_worker["retail"] == 20.0  # untouched
    assert p.m2_per_resident == 40.0
    p = load_population_params({"building_use": {"yes": "office"}})
    assert p.building_use["yes"] == "office" and p.building_use["house"] == "residential"


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"m2_per_workers": {"office": 10}}, ["m2_per_workers", "Did you mean 'm2_per_worker'"]),
        ({"m2_per_worker": {"ofice": 10}}, ["ofice", "Did you mean 'office'"]),
        ({"m2_per_resident": 0}, ["m2_per_resident must be > 0"]),
        ({"m2_per_resident": True}, ["must be a number"]),
        ({"default_use": "house"}, ["default_use", "residential"]),
        ({"poi_use": {"shop": "retail"}}, ["key=value"]),
        ({"area_use": {"landuse=farmyard": "farm"}}, ["farm", "one of"]),
        ({"gross_to_net": 1.5}, ["gross_to_net must be in (0, 1]"]),
        ({"m2_per_worker": 20}, ["must be a table"]),
    ],
)
def test_bad_parameters_name_the_problem(overrides, words):
    with pytest.raises(ConfigError) as err:
        load_population_params(overrides)
    for w in words:
        assert w in str(err.value)


# --------------------------------------------------------------------------------------------------
# Buildings: a hand-made block (uses, storeys, footprints)
# --------------------------------------------------------------------------------------------------

UTM = CRS.from_epsg(32650)  # Beijing's zone
_TO_WGS = Transformer.from_crs(UTM, WGS84, always_xy=True)
X0, Y0 = 440000.0, 4428000.0  # about 116.30 E, 40.0 N


def _square(x: float, y: float, side: float) -> shapely.Polygon:
    """A side × side square in UTM 50N (lower-left corner at X0 + x, Y0 + y), in WGS84."""
    sq = box(X0 + x, Y0 + y, X0 + x + side, Y0 + y + side)
    return shapely.transform(sq, lambda xy: np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1])))


def _point(x: float, y: float) -> shapely.Point:
    return shapely.Point(*_TO_WGS.transform(X0 + x, Y0 + y))


@pytest.fixture(scope="module")
def block() -> gpd.GeoDataFrame:
    rows = [
        # (osm_type, osm_id, tags, geometry)
        ("way", 1, {"landuse": "residential"}, _square(0, 0, 500)),
        ("way", 2, {"amenity": "research_institute"}, _square(600, 0, 300)),
        ("way", 10, {"building": "yes", "building:levels": "3"}, _square(10, 10, 20)),  # + shop -> mixed
        ("node", 11, {"shop": "convenience"}, _point(15, 15)),
        ("way", 20, {"building": "house"}, _square(50, 10, 10)),  # residential by tag, 2 default storeys
        ("way", 30, {"building": "garage"}, _square(70, 10, 10)),  # other
        ("way", 40, {"building": "yes", "height": "12"}, _square(100, 10, 30)),  # landuse: residential
        ("way", 50, {"building": "yes"}, _square(150, 10, 3)),  # 9 m²: a shed, other
        (
            "way",
            60,
            {"building": "commercial", "building:levels": "2", "roof:levels": "1"},
            _square(200, 10, 20),
        ),
        ("node", 61, {"office": "research"}, _point(205, 15)),  # research office: research
        ("way", 70, {"building": "yes"}, _square(610, 10, 40)),  # in the institute: research (landuse)
        ("way", 80, {"building": "yes"}, _square(2000, 2000, 40)),  # nothing known: default_use
        ("way", 90, {"building": "yes", "amenity": "school"}, _square(1000, 0, 40)),  # own tag: education
        ("way", 91, {"building": "apartments", "shop": "bakery"}, _square(1100, 0, 20)),  # own shop: mixed
        ("way", 100, {"building": "no", "amenity": "parking"}, _square(300, 10, 20)),  # not a building
        ("way", 110, {"building:part": "yes", "building:levels": "9"}, _square(10, 10, 10)),  # a part
        ("node", 120, {"building": "yes"}, _point(400, 400)),  # a point building: no footprint
        ("node", 130, {"amenity": "bench"}, _point(16, 16)),  # not a POI that says anything
    ]
    return gpd.GeoDataFrame(
        {
            "osm_type": [r[0] for r in rows],
            "osm_id": np.array([r[1] for r in rows], dtype=np.int64),
            "tags": [r[2] for r in rows],
        },
        geometry=[r[3] for r in rows],
        crs=WGS84,
    )


def test_uses_storeys_and_footprints_of_a_block(block):
    b = building_floorspace(block, UTM).set_index("osm_id")
    assert sorted(b.index) == [10, 20, 30, 40, 50, 60, 70, 80, 90, 91]
    expect = {
        10: ("mixed", "poi", 3.0, "building:levels", 400.0),
        20: ("residential", "building_tag", 2.0, "default", 100.0),
        30: ("other", "building_tag", 1.0, "default", 100.0),
        40: ("residential", "landuse", 4.0, "height", 900.0),
        50: ("other", "default", 1.0, "default", 9.0),
        60: ("research", "poi", 2.5, "building:levels", 400.0),
        70: ("research", "landuse", 2.0, "default", 1600.0),
        80: ("residential", "default", 4.0, "default", 1600.0),
        90: ("education", "building_tag", 2.0, "default", 1600.0),
        91: ("mixed", "building_tag", 4.0, "default", 400.0),
    }
    for osm_id, (use, src, levels, lsrc, footprint) in expect.items():
        row = b.loc[osm_id]
        assert (row["use"], row["use_source"], row["levels_source"]) == (use, src, lsrc), osm_id
        assert row["levels"] == pytest.approx(levels), osm_id
        assert row["footprint_m2"] == pytest.approx(footprint, rel=1e-6), osm_id
        assert row["floor_area_m2"] == pytest.approx(footprint * levels, rel=1e-6), osm_id
    assert b.crs.equals(WGS84)


def test_house_rule_and_empty_input(block):
    """A small residential building of unknown storeys is a house (2), a big one a block (4)."""
    p = load_population_params()
    b = building_floorspace(block, UTM, p).set_index("osm_id")
    assert b.loc[80, "levels"] == p.default_levels["residential"]
    small = block.copy()
    small.loc[small.osm_id == 80, "geometry"] = _square(2000, 2000, 10)
    assert (
        building_floorspace(small, UTM, p).set_index("osm_id").loc[80, "levels"] == p.default_levels["house"]
    )
    empty = building_floorspace(block.iloc[:0], UTM, p)
    assert len(empty) == 0 and "floor_area_m2" in empty.columns and empty.crs.equals(WGS84)
    assert len(estimate_jobs_residents(empty, p)) == 0


def test_estimate_arithmetic_by_hand():
    p = load_population_params()
    frame = gpd.GeoDataFrame(
        {
            "use": ["office", "residential", "mixed", "research", "other", "mixed"],
            "levels": [5.0, 4.0, 4.0, 2.0, 1.0, 1.0],
            "floor_area_m2": [1000.0, 1000.0, 1600.0, 300.0, 500.0, 200.0],
        },
        geometry=[shapely.Point(0, 0)] * 6,
        crs=WGS84,
    )
    out = estimate_jobs_residents(frame, p)
    per_res = 0.85 * 1.0 / 40.3  # residential_gross_to_net * occupied_share / m2_per_resident
    assert out["jobs"].tolist() == pytest.approx([50.0, 0.0, 400 / 20, 300 / 15, 0.0, 200 / 20])
    assert out["residents"].tolist() == pytest.approx([0.0, 1000 * per_res, 1200 * per_res, 0.0, 0.0, 0.0])
    assert out["residential_floor_m2"].tolist() == pytest.approx([0, 1000, 1200, 0, 0, 0])
    net = dataclasses.replace(p, gross_to_net=0.8)
    assert estimate_jobs_residents(frame, net)["jobs"].iloc[0] == pytest.approx(40.0)
    lived_in = dataclasses.replace(p, occupied_share=0.8)
    assert estimate_jobs_residents(frame, lived_in)["residents"].iloc[1] == pytest.approx(800 * per_res)
    assert "jobs" not in frame.columns  # a copy, not the input


# --------------------------------------------------------------------------------------------------
# Buildings: the real extracts
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def beijing(osm_dir: Path):
    ex = read_extract(osm_dir / "beijing-xueyuan-road.osm")
    crs = local_crs(116.355, 40.003)
    return ex.features, crs, estimate_jobs_residents(building_floorspace(ex.features, crs))


@pytest.fixture(scope="module")
def berlin(osm_dir: Path):
    ex = read_extract(osm_dir / "berlin-adlershof.osm.gz")
    crs = local_crs(13.53, 52.43)
    return ex.features, crs, estimate_jobs_residents(building_floorspace(ex.features, crs))


def test_beijing_buildings_and_the_science_park(beijing):
    features, crs, b = beijing
    polygons = features.geom_type.isin(["Polygon", "MultiPolygon"])
    tagged = features["tags"].map(lambda t: t.get("building", "no") != "no")
    assert len(b) == int((polygons & tagged).sum()) == 257
    assert (b["footprint_m2"] > 0).all() and (b["floor_area_m2"] >= b["footprint_m2"]).all()
    assert set(b["use"]) <= {
        "office",
        "retail",
        "industrial",
        "research",
        "education",
        "hotel",
        "residential",
        "mixed",
        "other",
    }
    park = features[(features.osm_type == "way") & (features.osm_id == PARK_WAY)].geometry.iloc[0]
    inside = b[shapely.contains(park, shapely.point_on_surface(b.geometry.values))]
    assert len(inside) == 3 and set(inside["use"]) == {"office"}  # three building=commercial
    assert inside["jobs"].sum() > 1000
    assert inside["residents"].sum() == 0.0
    homes = b[(b.use_source == "landuse") & (b.use == "residential")]
    assert len(homes) >= 30 and (homes["residents"] > 0).all()
    assert b["residents"].sum() > 5000 and b["jobs"].sum() > 5000
    # research offices (office=research) make research buildings: this is a science-city corner
    assert (b["use"] == "research").sum() >= 10


def test_berlin_levels_and_campus_uses(berlin):
    features, crs, b = berlin
    with_levels = features["tags"].map(
        lambda t: (
            "building" in t
            and t.get("building") != "no"
            and str(t.get("building:levels", "")).strip()[:1].isdigit()
        )
    )
    n_levels = int((b["levels_source"] == "building:levels").sum())
    assert 1800 <= n_levels <= int(with_levels.sum())
    assert n_levels / len(b) > 0.4
    tagged = b[b.levels_source == "building:levels"]
    assert (tagged["levels"] >= 1).all()
    # the campus and the institutes: research and education buildings, from tags and from their grounds
    assert (b["use"] == "research").sum() >= 5
    assert (b["use"] == "education").sum() >= 20
    assert {"building_tag", "landuse"} <= set(b.loc[b.use == "research", "use_source"])
    # no building:part and no building=no
    part_ids = set(
        features.loc[features["tags"].map(lambda t: "building:part" in t and "building" not in t), "osm_id"]
    )
    assert part_ids and not part_ids & set(b["osm_id"])
    assert "no" not in set(b["building"])
    # garages and sheds hold no one
    assert b.loc[b.use == "other", ["jobs", "residents"]].to_numpy().sum() == 0.0


def test_building_counts_to_cells_conserves(beijing):
    features, crs, b = beijing
    w, s, e, n = b.total_bounds
    cells = _cells_over(box(w, s, e, n).buffer(0.003))
    per_cell = building_counts_to_cells(b, cells, crs)
    assert list(per_cell.index) == list(cells["h3"])
    assert per_cell["jobs"].sum() == pytest.approx(b["jobs"].sum(), rel=1e-12)
    assert per_cell["residents"].sum() == pytest.approx(b["residents"].sum(), rel=1e-12)
    half = cells.iloc[: len(cells) // 2]
    some = building_counts_to_cells(b, half, crs)
    assert 0 < some["jobs"].sum() < b["jobs"].sum()


# --------------------------------------------------------------------------------------------------
# User tables: Porto Alegre (H3 + lon/lat CSV), Helsinki (polygon GeoPackage)
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def porto(tables_dir: Path):
    path = tables_dir / "porto-alegre-hexgrid.csv"
    return (
        path,
        read_counts_table(f"{path}:jobs", "jobs"),
        read_counts_table(f"{path}:population", "residents"),
    )


def test_porto_alegre_totals(porto):
    path, jobs, pop = porto
    raw = pd.read_csv(path)
    assert jobs["count"].sum() == pytest.approx(raw["jobs"].sum()) == pytest.approx(337921)
    assert pop["count"].sum() == pytest.approx(812935)
    assert jobs.crs.equals(WGS84) and "h3" in jobs.columns and len(jobs) == 1227
    default = read_counts_table(path, "residents")  # no 'residents' column: 'population' is used
    assert default["count"].sum() == pytest.approx(812935)
    cells = _cells(jobs["h3"])
    crs = local_crs(*TECNOPUC)
    assert allocate_to_cells(jobs, cells, crs).sum() == pytest.approx(337921, rel=1e-12)
    assert allocate_to_cells(pop, cells, crs).sum() == pytest.approx(812935, rel=1e-12)


def test_porto_alegre_tecnopuc_h3_points_and_polygons_agree(porto, tmp_path):
    path, jobs, _ = porto
    cells = _cells_over(shapely.Point(TECNOPUC).buffer(0.015))
    crs = local_crs(*TECNOPUC)
    by_h3 = allocate_to_cells(jobs, cells, crs)
    inside = jobs.loc[jobs["h3"].isin(set(cells["h3"])), "count"].sum()
    assert by_h3.sum() == pytest.approx(inside, rel=1e-12)
    assert 0 < inside < jobs["count"].sum()
    raw = pd.read_csv(path)
    raw[["lon", "lat", "jobs"]].to_csv(tmp_path / "points.csv", index=False)
    points = read_counts_table(tmp_path / "points.csv", "jobs")
    assert "h3" not in points.columns and set(points.geom_type) == {"Point"}
    by_point = allocate_to_cells(points, cells, crs)
    assert np.abs(by_point.to_numpy() - by_h3.to_numpy()).max() < 1e-9
    by_polygon = allocate_to_cells(jobs.drop(columns="h3"), cells, crs)  # areal weighting of hexagons
    assert np.abs(by_polygon.to_numpy() - by_h3.to_numpy()).max() < 1e-6


def test_h3_tables_of_other_resolutions(porto):
    _, jobs, _ = porto
    cells = _cells_over(shapely.Point(TECNOPUC).buffer(0.015))
    crs = local_crs(*TECNOPUC)
    direct = allocate_to_cells(jobs, cells, crs)
    # finer: each res-9 count split over its 7 children at res 10, then back to the parents
    children = [
        (c, v / 7) for c, v in zip(jobs["h3"], jobs["count"], strict=True) for c in h3.cell_to_children(c, 10)
    ]
    finer = gpd.GeoDataFrame(
        {"h3": [c for c, _ in children], "count": [v for _, v in children]},
        geometry=[shapely.Point(0, 0)] * len(children),
        crs=WGS84,
    )
    assert np.abs(allocate_to_cells(finer, cells, crs).to_numpy() - direct.to_numpy()).max() < 1e-9
    # coarser: res-8 parents split equally among their 7 children
    parents = jobs.assign(h3=[h3.cell_to_parent(c, 8) for c in jobs["h3"]])
    coarse = allocate_to_cells(parents, cells, crs)
    wanted = set(cells["h3"])
    expect = sum(
        v * sum(ch in wanted for ch in h3.cell_to_children(p, 9)) / 7
        for p, v in zip(parents["h3"], parents["count"], strict=True)
    )
    assert coarse.sum() == pytest.approx(expect, rel=1e-12)
    one = parents["h3"].iloc[0]
    kids = h3.cell_to_children(one, 9)
    alone = allocate_to_cells(parents.iloc[[0]], _cells(kids), crs)
    assert np.allclose(alone.to_numpy(), parents["count"].iloc[0] / 7)


def test_helsinki_polygons_areal_weighting(tables_dir):
    grid = read_counts_table(tables_dir / "helsinki-population-grid-2020.gpkg", "residents")
    assert len(grid) == 92 and grid["count"].sum() == pytest.approx(71724)
    assert set(grid.geom_type) == {"Polygon"} and "h3" not in grid.columns
    area = box(24.92, 60.155, 24.95, 60.175)
    cells = _cells_over(area)
    crs = local_crs(24.935, 60.165)
    out = allocate_to_cells(grid, cells, crs)
    zones = grid.to_crs(crs)
    union = shapely.union_all(cells.to_crs(crs).geometry.values)
    share = shapely.area(shapely.intersection(zones.geometry.values, union)) / zones.area.to_numpy()
    expected = float((zones["count"].to_numpy() * share).sum())
    assert out.sum() == pytest.approx(expected, rel=1e-9)
    assert 0 < expected < 71724
    # an independent implementation: geopandas.overlay (what tobler's area_interpolate computes)
    ov = gpd.overlay(zones.assign(zone_area=zones.area), cells.to_crs(crs), how="intersection")
    ref = (ov["count"] * ov.area / ov["zone_area"]).groupby(ov["h3"]).sum().reindex(out.index).fillna(0.0)
    assert np.abs(ref.to_numpy() - out.to_numpy()).max() < 1e-6
    # by floor area instead of area: all of a zone's count goes where its weight is
    zone = grid.iloc[[int(np.argmax(grid["count"]))]]
    pts = zone.geometry.iloc[0].centroid
    weights = gpd.GeoDataFrame({"floor_area_m2": [500.0]}, geometry=[pts.buffer(1e-5)], crs=WGS84)
    cells_z = _cells_over(zone.geometry.iloc[0].buffer(0.01))
    w_out = allocate_to_cells(zone, cells_z, crs, weights=weights)
    home = h3.latlng_to_cell(pts.y, pts.x, 9)
    assert w_out[home] == pytest.approx(zone["count"].iloc[0]) and w_out.sum() == pytest.approx(w_out[home])


def test_two_squares_and_a_cell_by_hand():
    """Zone A lies inside the cell; zone B is half in it, half far outside every cell."""
    cell = h3.latlng_to_cell(40.0, 116.3, 9)
    lat, lon = h3.cell_to_latlng(cell)
    crs = local_crs(lon, lat)
    to_m = Transformer.from_crs(WGS84, crs, always_xy=True)
    to_w = Transformer.from_crs(crs, WGS84, always_xy=True)
    cx, cy = to_m.transform(lon, lat)

    def sq(dx: float, dy: float, side: float) -> shapely.Polygon:
        b = box(cx + dx, cy + dy, cx + dx + side, cy + dy + side)
        return shapely.transform(b, lambda xy: np.column_stack(to_w.transform(xy[:, 0], xy[:, 1])))

    a = sq(-50, -50, 100)  # inside (a res-9 hexagon's inner radius is ~150 m)
    b = shapely.MultiPolygon([sq(-60, 60, 40), sq(5000, 5000, 40)])  # half inside, half 7 km away
    table = gpd.GeoDataFrame(
        {"count": [100.0, 50.0, 7.0, 9.0]},
        geometry=[a, b, sq(10, 10, 0).centroid, sq(9000, 0, 0).centroid],
        crs=WGS84,
    )
    cells = _cells([cell])
    out = allocate_to_cells(table, cells, crs)
    assert out[cell] == pytest.approx(100 + 25 + 7, rel=1e-9)  # the far point is dropped
    # weights: 300 m² of floor in B's inside half, 100 m² in its far half -> 3/4 of B's 50
    bld = gpd.GeoDataFrame(
        {"floor_area_m2": [300.0, 100.0]}, geometry=[sq(-50, 70, 10), sq(5010, 5010, 10)], crs=WGS84
    )
    out_w = allocate_to_cells(table, cells, crs, weights=bld)
    assert out_w[cell] == pytest.approx(100 + 37.5 + 7, rel=1e-9)  # A holds no weight: by area


_RING = _cells(h3.grid_disk(h3.latlng_to_cell(40.0, 116.3, 9), 1))
_RING_CRS = local_crs(116.3, 40.0)
_RING_UNION = shapely.union_all(_RING.to_crs(_RING_CRS).geometry.values)
_RING_XY = Transformer.from_crs(WGS84, _RING_CRS, always_xy=True).transform(116.3, 40.0)
_RING_TO_WGS = Transformer.from_crs(_RING_CRS, WGS84, always_xy=True)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(-600, 600),
            st.floats(-600, 600),
            st.floats(5, 800),
            st.floats(5, 800),
            st.floats(0, 1e4),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_areal_weighting_conserves_the_inside_share(zones):
    """For any rectangles over seven cells: output = sum of count x area inside the cells / area."""
    cx, cy = _RING_XY
    rects = [box(cx + x, cy + y, cx + x + w, cy + y + h) for x, y, w, h, _ in zones]
    counts = np.array([z[4] for z in zones])
    wgs = [
        shapely.transform(r, lambda xy: np.column_stack(_RING_TO_WGS.transform(xy[:, 0], xy[:, 1])))
        for r in rects
    ]
    out = allocate_to_cells(gpd.GeoDataFrame({"count": counts}, geometry=wgs, crs=WGS84), _RING, _RING_CRS)
    metric = gpd.GeoSeries(wgs, crs=WGS84).to_crs(_RING_CRS).values  # the same polygons, as measured
    share = shapely.area(shapely.intersection(metric, _RING_UNION)) / shapely.area(metric)
    assert out.sum() == pytest.approx(float((counts * share).sum()), rel=1e-9, abs=1e-9)
    assert (out.to_numpy() >= 0).all()


# --------------------------------------------------------------------------------------------------
# User tables: coordinate systems and errors
# --------------------------------------------------------------------------------------------------


def test_gcj02_bd09_and_epsg_tables(tmp_path):
    lon = np.array([116.3574, 116.3600, 121.5])
    lat = np.array([40.0022, 40.0010, 31.2])
    gx, gy = coords.wgs84_to_gcj02(lon, lat)
    pd.DataFrame({"lng": gx, "lat": gy, "jobs": [1, 2, 3]}).to_csv(tmp_path / "amap.csv", index=False)
    t = read_counts_table(tmp_path / "amap.csv", "jobs", "gcj02")
    assert np.abs(t.geometry.x.to_numpy() - lon).max() < 1e-8
    assert np.abs(t.geometry.y.to_numpy() - lat).max() < 1e-8
    bx, by = coords.wgs84_to_bd09(lon, lat)
    pd.DataFrame({"lon": bx, "lat": by, "residents": [1, 2, 3]}).to_csv(tmp_path / "baidu.csv", index=False)
    t = read_counts_table(tmp_path / "baidu.csv", "residents", "bd09")
    assert np.abs(t.geometry.x.to_numpy() - lon).max() < 1e-8
    x, y = Transformer.from_crs(WGS84, "EPSG:32650", always_xy=True).transform(lon[:2], lat[:2])
    pd.DataFrame({"x": x, "y": y, "jobs": [4, 5]}).to_csv(tmp_path / "utm.csv", index=False)
    t = read_counts_table(tmp_path / "utm.csv", "jobs", "EPSG:32650")
    assert np.abs(t.geometry.x.to_numpy() - lon[:2]).max() < 1e-8
    # a GIS layer in GCJ-02 (labelled WGS84, as exports often are)
    pts = gpd.GeoDataFrame({"jobs": [1, 2, 3]}, geometry=gpd.points_from_xy(gx, gy), crs=WGS84)
    pts.to_file(tmp_path / "amap.gpkg")
    t = read_counts_table(tmp_path / "amap.gpkg", "jobs", "gcj02")
    assert np.abs(t.geometry.y.to_numpy() - lat).max() < 1e-8


def test_spec_with_colons(tmp_path):
    odd = tmp_path / "a:b.csv"  # a colon in the file name: never split when the file exists
    pd.DataFrame({"lon": [1.0], "lat": [2.0], "jobs": [3]}).to_csv(odd, index=False)
    assert read_counts_table(str(odd), "jobs")["count"].sum() == 3
    assert read_counts_table(f"{odd}:jobs", "jobs")["count"].sum() == 3
    with pytest.raises(InputError, match="does not exist"):
        read_counts_table(r"C:\data\jobs.csv", "jobs")  # a drive letter, not a column


def _error(tmp_path: Path, frame: pd.DataFrame, kind: str = "jobs", spec: str = "", crs=None) -> str:
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(InputError) as err:
        read_counts_table(f"{path}{spec}", kind, crs)
    return str(err.value)


def test_error_messages(tmp_path, tables_dir):
    msg = _error(tmp_path, pd.DataFrame({"lon": [1.0], "lat": [2.0], "staff": [3]}))
    assert "no column 'jobs'" in msg and "'staff'" in msg and "'lon'" in msg
    with pytest.raises(InputError) as err:
        read_counts_table(f"{tables_dir / 'porto-alegre-hexgrid.csv'}:employment", "jobs")
    assert "'population'" in str(err.value) and "'jobs'" in str(err.value)
    with pytest.raises(InputError) as err:
        read_counts_table(tables_dir / "helsinki-population-grid-2020.gpkg", "jobs")
    assert "'population'" in str(err.value)
    msg = _error(tmp_path, pd.DataFrame({"lon": [1.0], "lat": [2.0], "jobs": [3]}), crs="EPSG:999999")
    assert "Unknown coordinate system 'EPSG:999999'" in msg and "gcj02" in msg
    msg = _error(tmp_path, pd.DataFrame({"lon": [1.0], "lat": [2.0], "jobs": [3]}), crs="mars-2000")
    assert "cannot be converted to WGS84" in msg  # a real CRS, of Mars
    with pytest.raises(InputError, match=r"does not exist.*--residents"):
        read_counts_table(tmp_path / "nowhere.csv", "residents")
    msg = _error(tmp_path, pd.DataFrame({"lon": [1.0, 2.0], "lat": [2.0, 3.0], "jobs": ["3", "many"]}))
    assert "line 3" in msg and "'many'" in msg
    msg = _error(tmp_path, pd.DataFrame({"lon": [1.0, 2.0], "lat": [2.0, 3.0], "jobs": [3, -1]}))
    assert "negative" in msg and "line 3" in msg
    msg = _error(tmp_path, pd.DataFrame({"name": ["a"], "jobs": [3]}))
    assert "no geometry columns" in msg and "'name'" in msg
    msg = _error(tmp_path, pd.DataFrame({"lon": [116.3, 40.0], "lat": [40.0, 116.3], "jobs": [1, 2]}))
    assert "invalid coordinates in line 3" in msg and "swapped" in msg
    msg = _error(tmp_path, pd.DataFrame({"h3": ["89a901291abffff", "zzz"], "jobs": [1, 2]}))
    assert "H3" in msg and "line 3" in msg
    # empty values are 0 (the real Porto Alegre table has five), not an error
    pd.DataFrame({"lon": [1.0, 2.0], "lat": [2.0, 3.0], "jobs": [3.0, None]}).to_csv(
        tmp_path / "e.csv", index=False
    )
    assert read_counts_table(tmp_path / "e.csv", "jobs")["count"].tolist() == [3.0, 0.0]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_gis_layer_errors(tmp_path):
    pts = gpd.GeoDataFrame({"jobs": [1, 2]}, geometry=gpd.points_from_xy([116.3, 116.4], [40.0, 40.1]))
    pts.to_file(tmp_path / "nocrs.gpkg")
    with pytest.raises(InputError, match="no coordinate system"):
        read_counts_table(tmp_path / "nocrs.gpkg", "jobs")
    assert read_counts_table(tmp_path / "nocrs.gpkg", "jobs", "EPSG:4326")["count"].sum() == 3
    pts.set_crs(WGS84).to_file(tmp_path / "wgs.gpkg")
    with pytest.raises(InputError, match=r"EPSG:4326.*EPSG:32650"):
        read_counts_table(tmp_path / "wgs.gpkg", "jobs", "EPSG:32650")
    lines = gpd.GeoDataFrame({"jobs": [1]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=WGS84)
    lines.to_file(tmp_path / "lines.gpkg")
    with pytest.raises(InputError, match="LineString"):
        read_counts_table(tmp_path / "lines.gpkg", "jobs")
    (tmp_path / "x.xlsx").write_bytes(b"PK")
    with pytest.raises(InputError, match="extension"):
        read_counts_table(tmp_path / "x.xlsx", "jobs")


def test_kontur_style_h3_population_geopackage_goes_through_the_table_path(tmp_path, osm_dir, tables_dir):
    # Kontur's population data: H3 hexagons as polygons in a GeoPackage with `h3` and `population`
    # columns (EPSG:3857 in the real files); built here from IPEA's real Porto Alegre table
    table = pd.read_csv(tables_dir / "porto-alegre-hexgrid.csv")
    kontur = gpd.GeoDataFrame(
        {"h3": table["id"], "population": table["population"]},
        geometry=list(cell_polygons(table["id"].to_numpy())), crs=4326,
    ).to_crs(3857)
    path = tmp_path / "kontur_population_BR.gpkg"
    kontur.to_file(path, layer="population")
    bbox = "-51.232,-30.034,-51.220,-30.026"
    a = assess(osm_dir / "porto-alegre.osm.pbf", bbox=bbox, residents=str(path), buffer_m=1000)
    assert a.summary.integration.residents_source == "table"
    inside = table[table["id"].isin(set(a.cells["h3"]))]
    # the same hexagons as the study area's cells: each lands whole in its cell, totals conserved
    assert a.cells["residents"].sum() == pytest.approx(inside["population"].sum(), rel=1e-6)
    assert inside["population"].sum() > 20_000
