"""Rasters of counts and weights, park head-counts: on rasters made here from the real shared tables.

The Porto Alegre hexgrid (IPEA; H3 res 9) is rasterised by exact area weighting, so each raster
holds the table's totals; the Helsinki HSY 250 m grid is rasterised in its own CRS (EPSG:3067)
with nodata where the grid has no square. Head-counts are placed on the real buildings of the
Beijing extract's science park 东畔科创中心.
"""

from __future__ import annotations

import json
import logging

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from parkscope import assess
from parkscope.cli import main
from parkscope.diagnoses.integration import workplace_and_housing_floor
from parkscope.errors import InputError
from parkscope.inputs.area import area_from_park, local_crs
from parkscope.inputs.osm import read_extract
from parkscope.inputs.rasters import (
    GHS_BUILT_V_ATTRIBUTION,
    WORLDPOP_ATTRIBUTION,
    check_raster,
    raster_to_cells,
    read_raster,
)
from parkscope.measures.indicators import representative_xy
from parkscope.measures.population import (
    allocate_to_cells,
    building_floorspace,
    estimate_jobs_residents,
    read_counts_table,
)
from parkscope.measures.population_sources import (
    M3_PER_JOB,
    count_requests,
    head_count_to_cells,
    weight_raster_to_cells,
)
from parkscope.walk.grid import cell_polygons, grid_cells

POA_BOX = (-51.19, -30.075, -51.15, -30.04)  # part of the hexgrid's extent, part outside it


# --------------------------------------------------------------------------------------------------
# Rasters made from the real tables
# --------------------------------------------------------------------------------------------------


def rasterise(zones_wgs84: np.ndarray, counts: np.ndarray, crs: str, px: float) -> tuple[np.ndarray, object]:
    """Counts of zone polygons on a north-up grid of ``px`` in ``crs``, by exact area weighting."""
    zones = gpd.GeoSeries(zones_wgs84, crs=4326).to_crs(crs).values
    x0, y0, x1, y1 = shapely.total_bounds(zones)
    x0, y1 = np.floor(x0 / px) * px, np.ceil(y1 / px) * px
    w, h = int(np.ceil((x1 - x0) / px)), int(np.ceil((y1 - y0) / px))
    r, c = (a.ravel() for a in np.indices((h, w)))
    xs, ys = x0 + c * px, y1 - r * px
    pixels = shapely.box(xs, ys - px, xs + px, ys)
    p_idx, z_idx = shapely.STRtree(zones).query(pixels, predicate="intersects")
    share = shapely.area(shapely.intersection(pixels[p_idx], zones[z_idx])) / shapely.area(zones[z_idx])
    values = np.zeros(h * w)
    np.add.at(values, p_idx, counts[z_idx] * share)
    return values.reshape(h, w), from_origin(x0, y1, px, px)


def write_tif(path, values, transform, crs, nodata=None, dtype="float64", tags=None) -> str:
    with rasterio.open(
        path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1, dtype=dtype,
        crs=crs, transform=transform, nodata=nodata,
    ) as ds:
        ds.write(values.astype(dtype), 1)
        if tags:
            ds.update_tags(**tags)
    return str(path)


@pytest.fixture(scope="module")
def hexgrid(tables_dir) -> pd.DataFrame:
    t = pd.read_csv(tables_dir / "porto-alegre-hexgrid.csv")
    t["jobs"] = t["jobs"].fillna(0.0)
    return t


@pytest.fixture(scope="module")
def rasters(hexgrid, tables_dir, tmp_path_factory) -> dict[str, str]:
    """Rasters of the real tables in four CRSs, one with nodata, negatives and NaN."""
    d = tmp_path_factory.mktemp("rasters")
    zones = cell_polygons(hexgrid["id"].to_numpy())
    pop = hexgrid["population"].to_numpy(dtype=float)
    out = {}
    v, t = rasterise(zones, pop, "EPSG:32722", 100.0)
    out["utm"] = write_tif(d / "poa_pop_utm.tif", v, t, "EPSG:32722")
    v, t = rasterise(zones, pop, "EPSG:4326", 0.001)
    out["wgs84"] = write_tif(d / "bra_ppp_2020.tif", v, t, "EPSG:4326")  # a WorldPop-style name
    v, t = rasterise(zones, pop, "EPSG:3857", 150.0)
    v[v == 0] = -9999.0  # nodata where nobody lives (as over water in WorldPop)
    v[0, 0], v[1, 1] = -5.0, np.nan  # a negative and a NaN pixel: 0 people
    out["web_nodata"] = write_tif(d / "poa_pop_3857.tif", v, t, "EPSG:3857", nodata=-9999.0)
    v, t = rasterise(zones, hexgrid["jobs"].to_numpy(dtype=float) * M3_PER_JOB, "EPSG:32722", 100.0)
    out["volume"] = write_tif(
        d / "nres.tif", v, t, "EPSG:32722", tags={"DESCRIPTION": "GHS_BUILT_V_NRES_E2020_GLOBE_R2023A"}
    )
    v, t = rasterise(zones, hexgrid["jobs"].to_numpy(dtype=float), "EPSG:32722", 100.0)
    out["jobs"] = write_tif(d / "poa_jobs.tif", v, t, "EPSG:32722", tags={"TIFFTAG_COPYRIGHT": "Jobs: RAIS"})
    hsy = gpd.read_file(tables_dir / "helsinki-population-grid-2020.gpkg")
    v, t = rasterise(hsy.geometry.values, hsy["population"].to_numpy(dtype=float), "EPSG:3067", 250.0)
    covered = np.zeros(v.shape, dtype=bool)  # pixels no HSY square touches are nodata
    vc, _ = rasterise(hsy.geometry.values, np.ones(len(hsy)), "EPSG:3067", 250.0)
    covered = vc > 1e-6
    out["helsinki"] = write_tif(
        d / "hsy.tif", np.where(covered, np.round(v), -1), t, "EPSG:3067", nodata=-1, dtype="int32"
    )
    return out


def cells_over(box: tuple[float, float, float, float], ring: int = 0, ids=None) -> gpd.GeoDataFrame:
    if ids is None:
        ids = h3.geo_to_cells(shapely.box(*box).__geo_interface__, 9)
    ids = set(ids)
    for c in list(ids):
        ids |= set(h3.grid_disk(c, ring))
    ids = np.array(sorted(ids), dtype=object)
    return gpd.GeoDataFrame({"h3": ids}, geometry=list(cell_polygons(ids)), crs=4326)


def inside_total(path: str, cells: gpd.GeoDataFrame) -> float:
    """Reference: every pixel (read whole, independently) × the share of it inside the cells' union."""
    with rasterio.open(path) as ds:
        data = ds.read(1, masked=True).astype(float)
        t, crs = ds.transform, ds.crs
    v = np.where(np.ma.getmaskarray(data), 0.0, np.ma.getdata(data))
    v = np.where(np.isfinite(v) & (v > 0), v, 0.0)
    r, c = np.nonzero(v)
    x0, y0 = t.a * c + t.b * r + t.c, t.d * c + t.e * r + t.f
    x1, y1 = x0 + t.a + t.b, y0 + t.d + t.e
    px = shapely.box(np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1))
    union = shapely.union_all(cells.to_crs(crs).geometry.values)
    return float((v[r, c] * shapely.area(shapely.intersection(px, union)) / shapely.area(px)).sum())


# --------------------------------------------------------------------------------------------------
# Reading and reallocation
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["utm", "wgs84", "web_nodata"])
def test_conserved_to_1e6_in_any_crs(rasters, which):
    cells = cells_over(POA_BOX)
    pixels = read_raster(rasters[which], "residents", shapely.union_all(cells.geometry.values))
    per_cell = raster_to_cells(pixels, cells)
    ref = inside_total(rasters[which], cells)
    assert ref > 1e5  # a real share of Porto Alegre's 812,935 residents
    assert abs(per_cell.sum() - ref) / ref < 1e-6
    assert per_cell.attrs["raster"]["total_in_cells"] == pytest.approx(per_cell.sum(), rel=1e-12)
    # per cell, against an independent overlay (geopandas) in the raster's CRS
    pix = pixels.assign(pid=np.arange(len(pixels)), pixel_area=shapely.area(pixels.geometry.values))
    inter = gpd.overlay(pix, cells.to_crs(pixels.crs), how="intersection", keep_geom_type=True)
    share = shapely.area(inter.geometry.values) / inter["pixel_area"]
    expected = (inter["count"] * share).groupby(inter["h3"]).sum()
    got = per_cell.reindex(expected.index)
    assert np.abs(got - expected).max() < 1e-6 * max(1.0, expected.max())


def test_the_three_crs_agree_with_the_table_per_cell(rasters, hexgrid):
    """Read back onto the hexgrid's own cells, every raster gives the table's figures nearly back."""
    cells = cells_over(None, ring=1, ids=hexgrid["id"].tolist())
    truth = hexgrid.set_index("id")["population"].reindex(cells["h3"]).fillna(0).to_numpy()
    for which in ("utm", "wgs84", "web_nodata"):
        got = raster_to_cells(read_raster(rasters[which], "residents", cells.union_all()), cells).to_numpy()
        # the whole raster lies inside these cells: its total comes back exactly
        assert got.sum() == pytest.approx(812935.0, rel=1e-9)
        assert np.corrcoef(got, truth)[0, 1] > 0.9  # 100–150 m pixels blur the 0.1 km² cells a little


def test_windowed_read_reads_only_the_study_area(rasters):
    cells = cells_over((-51.18, -30.06, -51.17, -30.05))
    with rasterio.open(rasters["utm"]) as ds:
        full = (ds.width, ds.height)
    pixels = read_raster(rasters["utm"], "residents", cells.union_all())
    w, h = pixels.attrs["raster"]["window"]
    assert w * h < full[0] * full[1] / 10
    assert pixels.attrs["raster"]["pixel_size"] == [100.0, 100.0]
    assert pixels.attrs["raster"]["pixel_unit"] == "metre"


def test_nodata_negative_and_nan_pixels_are_zero_and_said(rasters, caplog):
    with caplog.at_level(logging.WARNING, logger="parkscope.inputs.rasters"):
        whole = read_raster(rasters["web_nodata"], "residents")  # the whole raster
    rec = whole.attrs["raster"]
    with rasterio.open(rasters["web_nodata"]) as ds:
        raw = ds.read(1)
    assert rec["nodata_share"] == pytest.approx(np.mean((raw == -9999.0) | np.isnan(raw)), abs=1e-6)
    assert rec["nodata_share"] > 0.25  # the empty pixels around the city were written as nodata
    assert "are nodata" in caplog.text and "hold negative values" in caplog.text
    assert rec["negative_pixels"] == 1
    assert (whole["count"] > 0).all() and np.isfinite(whole["count"]).all()
    assert whole["count"].sum() == pytest.approx(812935.0, rel=1e-9)  # nodata, -5 and NaN added nothing
    cells = cells_over(POA_BOX)
    part = read_raster(rasters["web_nodata"], "residents", cells.union_all())
    assert 0 < part.attrs["raster"]["nodata_share"] < rec["nodata_share"]  # the city centre is fuller


def test_a_raster_smaller_than_the_study_area(rasters, tables_dir, caplog):
    hsy = gpd.read_file(tables_dir / "helsinki-population-grid-2020.gpkg")
    cells = cells_over((24.88, 60.14, 24.99, 60.19))  # larger than the HSY grid on every side
    with caplog.at_level(logging.WARNING, logger="parkscope.inputs.rasters"):
        pixels = read_raster(rasters["helsinki"], "residents", cells.union_all())
    share = pixels.attrs["raster"]["coverage_share"]
    with rasterio.open(rasters["helsinki"]) as ds:
        footprint = shapely.box(*ds.bounds)
        total = float(ds.read(1, masked=True).sum())
    union = cells.to_crs(3067).union_all()
    assert share == pytest.approx(shapely.intersection(union, footprint).area / union.area, abs=1e-6)
    assert 0.2 < share < 0.9
    assert f"covers {100 * share:.1f} %" in caplog.text
    per_cell = raster_to_cells(pixels, cells)
    assert per_cell.sum() == pytest.approx(total, rel=1e-9)  # all of it lies inside the cells
    assert total == pytest.approx(hsy["population"].sum(), abs=50)  # 71,724 people, rounded per pixel


def test_a_raster_that_misses_the_study_area(rasters):
    area = shapely.box(*POA_BOX)
    with pytest.raises(InputError) as err:
        check_raster(rasters["helsinki"], "residents", area)
    msg = str(err.value)
    assert "does not cover the study area" in msg and "EPSG:3067" in msg
    assert "-51.1900,-30.0750,-51.1500,-30.0400" in msg  # the area's box
    assert "24.8999,60.1525" in msg  # the raster's box in WGS84
    with pytest.raises(InputError, match="does not cover"):
        read_raster(rasters["helsinki"], "residents", area)


def test_band_specs_and_bad_files(rasters, tmp_path):
    with pytest.raises(InputError, match="band 2"):
        read_raster(rasters["utm"] + ":2", "residents", shapely.box(*POA_BOX))
    with pytest.raises(InputError, match="not a band number"):
        read_raster(rasters["utm"] + ":pop", "residents", shapely.box(*POA_BOX))
    with pytest.raises(InputError, match="does not exist"):
        read_raster(tmp_path / "none.tif", "residents", shapely.box(*POA_BOX))
    bad = tmp_path / "bad.tif"
    bad.write_text("not a raster")
    with pytest.raises(InputError, match="cannot be read as a raster"):
        read_raster(bad, "residents", shapely.box(*POA_BOX))
    no_crs = tmp_path / "nocrs.tif"
    with rasterio.open(no_crs, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32") as ds:
        ds.write(np.ones((2, 2), dtype="float32"), 1)
    with pytest.raises(InputError, match="no coordinate system"):
        read_raster(no_crs, "residents", shapely.box(*POA_BOX))


def test_read_counts_table_dispatches_rasters(rasters):
    """The table path (WGS84 pixel polygons, areal weighting in UTM) agrees with the raster path."""
    cells = cells_over(POA_BOX)
    table = read_counts_table(rasters["wgs84"], "residents", area=cells.union_all())
    assert table.crs.to_epsg() == 4326 and table.attrs["raster"]["crs"] == "EPSG:4326"
    via_table = allocate_to_cells(table, cells, local_crs(-51.17, -30.06)).to_numpy()
    direct = raster_to_cells(read_raster(rasters["wgs84"], "residents", cells.union_all()), cells).to_numpy()
    assert via_table.sum() == pytest.approx(direct.sum(), rel=1e-6)
    assert np.abs(via_table - direct).max() < 0.05  # people: degree vs metre areas of a 100 m pixel


def test_attribution_from_name_and_metadata(rasters):
    area = shapely.box(*POA_BOX)
    def attribution(which: str) -> str | None:
        return read_raster(rasters[which], "residents", area).attrs["raster"]["attribution"]

    assert attribution("wgs84") == WORLDPOP_ATTRIBUTION  # from the WorldPop-style file name
    assert attribution("volume") == GHS_BUILT_V_ATTRIBUTION  # from the band description
    assert attribution("jobs") == "Jobs: RAIS"  # the file's own copyright tag
    assert attribution("utm") is None


# --------------------------------------------------------------------------------------------------
# Built volume as a weight; head-counts
# --------------------------------------------------------------------------------------------------


def _with_park(cells: gpd.GeoDataFrame, park: shapely.Geometry, crs) -> gpd.GeoDataFrame:
    m = cells.geometry.to_crs(crs)
    park_m = gpd.GeoSeries([park], crs=4326).to_crs(crs).iloc[0]
    return cells.assign(park_overlap_m2=shapely.area(shapely.intersection(m.values, park_m)))


def test_built_volume_spreads_jobs(rasters):
    cells = cells_over(POA_BOX)
    park = shapely.box(-51.175, -30.06, -51.165, -30.05)
    cells = _with_park(cells, park, local_crs(-51.17, -30.055))
    volume = read_raster(rasters["volume"], "jobs weight", cells.union_all())
    jobs = raster_to_cells(read_raster(rasters["jobs"], "jobs", cells.union_all()), cells).to_numpy()
    derived, rec = weight_raster_to_cells(volume, cells, park, None)
    assert np.allclose(derived, jobs, rtol=1e-9, atol=1e-9)  # volume / 70 m³ = the jobs raster
    assert rec["m3_per_job"] == M3_PER_JOB
    spread, rec = weight_raster_to_cells(volume, cells, park, 4321.0)
    assert rec["spread_over"] == "raster" and rec["total"] == 4321.0
    assert spread.sum() == pytest.approx(4321.0 + rec["outside_park_total"], rel=1e-9)
    far = cells["park_overlap_m2"].to_numpy() == 0
    assert np.allclose(spread[far], jobs[far], rtol=1e-9, atol=1e-9)  # outside the park: volume / 70
    # cells wholly in the park: the park's 4321 jobs in proportion to their volume
    whole = cells["park_overlap_m2"].to_numpy() >= 0.999999 * cells.to_crs(local_crs(-51.17, -30.055)).area
    assert whole.sum() >= 3
    share = jobs[whole] * M3_PER_JOB / rec["weight_in_park"]
    assert np.allclose(spread[whole], 4321.0 * share, rtol=1e-9)


@pytest.fixture(scope="module")
def dongpark(osm_dir):
    """The science park 东畔科创中心 with the real buildings of the Beijing extract."""
    extract = osm_dir / "beijing-xueyuan-road.osm"
    area = area_from_park(extract, "东畔科创中心", 500)
    osm = read_extract(extract, area.read_bbox)
    b = estimate_jobs_residents(building_floorspace(osm.features, area.crs))
    b["workplace_floor_m2"] = workplace_and_housing_floor(b)[0]
    ids = grid_cells(area.analysis, np.array([], dtype=object), 9)
    cells = gpd.GeoDataFrame({"h3": ids}, geometry=list(cell_polygons(ids)), crs=4326)
    cells = _with_park(cells, area.park, area.crs)
    x, y = representative_xy(b.geometry.to_crs(area.crs))
    park_m = gpd.GeoSeries([area.park], crs=4326).to_crs(area.crs).iloc[0]
    return area, b, cells, (x, y), shapely.contains_xy(park_m, x, y)


def _by_cell(values: np.ndarray, xy, crs, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Independent reference: each building's value in the H3 cell of its inner point."""
    pts = gpd.GeoSeries(shapely.points(*xy), crs=crs).to_crs(4326)
    cell_of = [h3.latlng_to_cell(la, lo, 9) for lo, la in zip(pts.x, pts.y, strict=True)]
    return pd.Series(values).groupby(cell_of).sum().reindex(cells["h3"]).fillna(0.0).to_numpy()


def test_head_count_on_the_park_buildings(dongpark):
    area, b, cells, xy, in_park = dongpark
    metric = cells.geometry.to_crs(area.crs)
    overlap = cells["park_overlap_m2"].to_numpy()
    counts, rec = head_count_to_cells(6000.0, "jobs", b, in_park, xy, metric, overlap)
    floor = b["workplace_floor_m2"].to_numpy()
    assert rec["spread_over"] == "buildings"
    assert rec["park_buildings"] == int((in_park & (floor > 0)).sum()) > 0
    outside = _by_cell(np.where(in_park, 0.0, b["jobs"].to_numpy()), xy, area.crs, cells)
    assert rec["outside_park_total"] == pytest.approx(outside.sum(), rel=1e-9)
    assert counts.sum() == pytest.approx(6000.0 + outside.sum(), rel=1e-9)  # the head-count is conserved
    # each park building holds 6000 × its share of the park's workplace floor, in its own cell
    park = _by_cell(np.where(in_park, 6000.0 * floor / floor[in_park].sum(), 0.0), xy, area.crs, cells)
    assert np.allclose(counts, park + outside, rtol=1e-9, atol=1e-6)
    assert (park > 0).sum() >= 1 and park.sum() == pytest.approx(6000.0, rel=1e-9)


def test_head_count_by_area_where_the_park_has_no_homes(dongpark, caplog):
    area, b, cells, xy, in_park = dongpark
    assert b["residential_floor_m2"].to_numpy()[in_park].sum() == 0  # an office park
    metric = cells.geometry.to_crs(area.crs)
    with caplog.at_level(logging.WARNING, logger="parkscope.measures.population_sources"):
        counts, rec = head_count_to_cells(
            800.0, "residents", b, in_park, xy, metric, cells["park_overlap_m2"].to_numpy()
        )
    assert rec["spread_over"] == "park_area" and "spread over its cells by area" in caplog.text
    w = cells["park_overlap_m2"].to_numpy()
    outside = _by_cell(np.where(in_park, 0.0, b["residents"].to_numpy()), xy, area.crs, cells)
    assert np.allclose(counts, outside + 800.0 * w / w.sum(), rtol=1e-9, atol=1e-9)
    assert counts.sum() == pytest.approx(800.0 + outside.sum(), rel=1e-9)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"jobs": "x.csv", "jobs_total": 10}, "both give the park's jobs"),
        ({"residents": "p.tif", "residents_total": 5}, "both give the park's residents"),
        ({"jobs_total": -1}, "0 or more"),
        ({"residents_total": float("nan")}, "0 or more"),
        ({"jobs_total": float("inf")}, "0 or more"),
        ({"jobs_total": "many"}, "0 or more"),
        ({"jobs": "j.csv", "jobs_weight": "v.tif"}, "both give the jobs"),
        ({"jobs_weight": "v.csv"}, "GeoTIFF"),
    ],
)
def test_conflicting_or_bad_options(kwargs, words):
    with pytest.raises(InputError, match=words):
        count_requests(**kwargs)


def test_sources_named():
    r = count_requests(jobs="a.csv", residents="p.tif:1", jobs_total=None)
    assert (r["jobs"].source, r["residents"].source) == ("table", "raster")
    r = count_requests(jobs_total=10, jobs_weight="v.tif")
    assert (r["jobs"].source, r["residents"].source) == ("head_count", "osm_buildings")
    assert count_requests(jobs_weight="v.tif")["jobs"].source == "raster"


# --------------------------------------------------------------------------------------------------
# End to end
# --------------------------------------------------------------------------------------------------


def test_assess_with_rasters_and_a_head_count(osm_dir, rasters):
    a = assess(
        osm_dir / "porto-alegre.osm.pbf", bbox="-51.180,-30.064,-51.168,-30.052", buffer_m=600,
        residents=rasters["wgs84"], jobs_total=5000, attribution="Jobs: the park's register",
    )
    s = a.summary.to_dict()
    ig, pop = s["integration"], s["population"]
    assert (ig["residents_source"], ig["jobs_source"]) == ("raster", "head_count")
    assert ig["jobs_in_park"] == 5000
    assert a.cells["residents"].sum() == pytest.approx(pop["residents"]["total_in_cells"], rel=1e-9)
    ref = inside_total(rasters["wgs84"], a.cells)
    assert abs(a.cells["residents"].sum() - ref) / ref < 1e-6
    assert pop["residents"]["crs"] == "EPSG:4326" and pop["residents"]["coverage_share"] == 1.0
    assert a.cells["jobs"].sum() == pytest.approx(5000 + pop["jobs"]["outside_park_total"], rel=1e-9)
    assert s["provenance"]["attribution_sources"][1:] == [WORLDPOP_ATTRIBUTION, "Jobs: the park's register"]


def test_assess_built_volume_matches_the_jobs_raster(osm_dir, rasters):
    """Jobs from volume / 70 m³ equal the jobs raster the volume was made from; with a total, the park's."""
    where = {"bbox": "-51.180,-30.064,-51.168,-30.052", "buffer_m": 400}
    extract = osm_dir / "porto-alegre.osm.pbf"
    counted = assess(extract, **where, jobs=rasters["jobs"])
    weighted = assess(extract, **where, jobs_weight=rasters["volume"])
    assert weighted.summary.integration.jobs_source == "raster"
    assert np.allclose(weighted.cells["jobs"], counted.cells["jobs"], rtol=1e-9, atol=1e-9)
    assert counted.summary.to_dict()["provenance"]["attribution_sources"][1] == "Jobs: RAIS"
    spread = assess(extract, **where, jobs_weight=rasters["volume"], jobs_total=3000)
    rec = spread.summary.to_dict()["population"]["jobs"]
    assert spread.summary.integration.jobs_source == "head_count" and rec["spread_over"] == "raster"
    assert spread.summary.integration.jobs_in_park == 3000
    assert spread.cells["jobs"].sum() == pytest.approx(3000 + rec["outside_park_total"], rel=1e-9)


def _cli(*args) -> int:
    return main(["assess", *map(str, args), "--no-report", "-q"])


def test_cli_head_counts_and_errors(osm_dir, rasters, tmp_path, capsys):
    beijing = osm_dir / "beijing-xueyuan-road.osm"
    out = tmp_path / "out"
    park = ("--park", "东畔科创中心")
    assert _cli(beijing, *park, "--jobs-total", 6000, "--residents-total", 800, "-o", out) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (s["integration"]["jobs_source"], s["integration"]["residents_source"]) == ("head_count",) * 2
    assert (s["integration"]["jobs_in_park"], s["integration"]["residents_in_park"]) == (6000, 800)
    assert s["population"]["jobs"]["spread_over"] == "buildings"
    cells = pd.read_parquet(out / "cells.parquet")
    outside = s["population"]["jobs"]["outside_park_total"]
    assert cells["jobs"].sum() == pytest.approx(6000 + outside, rel=1e-6)
    bad = tmp_path / "bad"
    capsys.readouterr()
    for args in (
        ("--jobs", rasters["jobs"], "--jobs-total", 10),
        ("--residents-total", -3),
        ("--jobs-total", "nan"),
        ("--residents", rasters["utm"]),  # Porto Alegre's raster for a Beijing park
        ("--jobs-weight", tmp_path / "missing.tif"),
    ):
        assert _cli(beijing, *park, *args, "-o", bad) == 2, args
        assert not bad.exists()
    err = capsys.readouterr().err
    assert "both give the park's jobs" in err and "does not cover the study area" in err
    assert _cli(beijing, *park, "--jobs-total", "many", "-o", bad) == 2
