"""Per-cell measures: hand-checked small cases and a brute-force check of the reach sums on real streets."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS
from scipy.sparse.csgraph import dijkstra

from parkscope.inputs.osm import read_extract
from parkscope.measures.indicators import (
    amenity_diversity,
    catchment,
    cell_representative_nodes,
    count_in_cells,
    feature_set,
    intersection_mask,
    polygon_cover_share,
    reach_sums,
    spread_cell_values,
    sum_in_cells,
)
from parkscope.walk.network import WalkNetwork, build_walk_network

UTM = CRS.from_epsg(32633)


def _squares() -> gpd.GeoSeries:
    """Two 100 m × 100 m cells side by side: [0,100]×[0,100] and [100,200]×[0,100]."""
    return gpd.GeoSeries([shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)], crs=UTM)


def _tiny_network() -> WalkNetwork:
    """A plus sign: centre node 0 joined to 1, 2, 3 (10 m, 20 m, 30 m); node 3 on to node 4 (5 m)."""
    x = np.array([0.0, 10.0, 0.0, -30.0, -35.0])
    y = np.array([0.0, 0.0, 20.0, 0.0, 0.0])
    return WalkNetwork(
        node_id=np.arange(1, 6), lon=x, lat=y, x=x, y=y, crs=UTM,
        edge_u=np.array([0, 0, 0, 3]), edge_v=np.array([1, 2, 3, 4]),
        length_m=np.array([10.0, 20.0, 30.0, 5.0]),
    )


def test_sum_in_cells_counts_a_shared_edge_point_once_and_drops_outside_points():
    cells = _squares()
    x = np.array([50.0, 150.0, 100.0, 500.0])  # the third point is on the shared edge, the last outside
    y = np.array([50.0, 50.0, 50.0, 50.0])
    counts = count_in_cells(x, y, cells)
    assert counts.sum() == 3
    assert sorted(counts) == [1.0, 2.0]
    sums = sum_in_cells(x, y, np.array([1.0, 10.0, 100.0, 1000.0]), cells)
    assert sums.sum() == 111.0


def test_polygon_cover_share_counts_overlaps_once():
    cells = _squares()
    green = gpd.GeoSeries([shapely.box(0, 0, 50, 100), shapely.box(25, 0, 75, 100)], crs=UTM)
    share = polygon_cover_share(green, cells)
    assert share == pytest.approx([0.75, 0.0])


def test_amenity_diversity_is_shannon_evenness_over_all_categories():
    d = {
        "a": np.array([[100.0, np.nan], [100.0, 200.0], [np.nan, np.nan]]),
        "b": np.array([[300.0, np.nan], [np.nan, np.nan], [np.nan, np.nan]]),
        "c": np.array([[np.nan, np.nan], [np.nan, np.nan], [np.nan, np.nan]]),
    }
    j = amenity_diversity(d, within_m=1200.0)
    # node 0: one a and one b of three categories: ln 2 / ln 3; node 1: two a only: 0; node 2: nothing
    assert j == pytest.approx([math.log(2) / math.log(3), 0.0, 0.0])
    assert amenity_diversity(d, within_m=200.0)[0] == 0.0  # b at 300 m is out of reach


def test_intersection_mask_is_degree_three_or_more():
    assert intersection_mask(_tiny_network()).tolist() == [True, False, False, False, False]


def test_reach_sums_and_catchment_on_a_hand_drawn_network():
    net = _tiny_network()
    values = np.array([[1.0], [10.0], [100.0], [1000.0], [10000.0]])
    got = reach_sums(net, np.array([0, 4, -1]), values, within_m=30.0)
    # from 0: nodes 0, 1, 2, 3 (30 m counts); from 4: 4, 3 (5 m) and 0 (35 m) is out
    assert got[0, 0] == 1111.0
    assert got[1, 0] == 11000.0
    assert np.isnan(got[2, 0])
    assert catchment(net, np.array([1]), 20.0).tolist() == [True, True, False, False, False]


def test_spread_cell_values_conserves_totals():
    node_cell_index = np.array([0, 0, 1, -1])
    values = np.array([[10.0, 4.0], [6.0, 0.0], [3.0, 3.0]])  # the third cell has no node
    spread = spread_cell_values(values, node_cell_index, fallback_nodes=np.array([0, 2, 3]))
    assert spread.sum(axis=0) == pytest.approx(values.sum(axis=0))
    assert spread[:, 0].tolist() == [5.0, 5.0, 6.0, 3.0]


def test_cell_representative_node_is_the_one_nearest_the_centre():
    net = _tiny_network()
    cells = gpd.GeoSeries([shapely.box(-40, -10, 0.5, 30), shapely.box(0.5, -10, 40, 30)], crs=UTM)
    node_cell = np.array(["w", "e", "w", "w", "w"], dtype=object)
    rep = cell_representative_nodes(net, node_cell, ["w", "e", "x"], gpd.GeoSeries(
        [*cells.values, shapely.box(100, 100, 110, 110)], crs=UTM))
    # west cell centre (-19.75, 10): node 3 (-30, 0) is nearest; east: node 1; empty cell: -1
    assert rep.tolist() == [3, 1, -1]


@pytest.fixture(scope="module")
def helsinki_net(osm_dir):
    extract = read_extract(osm_dir / "helsinki.osm.pbf", (24.935, 60.163, 24.952, 60.172))
    crs = CRS.from_epsg(32635)
    return build_walk_network(extract, None, crs), extract


def test_reach_sums_match_a_full_dijkstra_on_real_streets(helsinki_net):
    net, _ = helsinki_net
    rng = np.random.default_rng(7)
    values = rng.integers(0, 5, size=(net.n_nodes, 2)).astype(float)
    sources = rng.choice(net.n_nodes, 20, replace=False)
    got = reach_sums(net, sources, values, within_m=600.0, batch=7)
    full = dijkstra(net.graph, indices=sources)
    want = (full <= 600.0).astype(float) @ values
    assert np.array_equal(got, want)
    assert (got > 0).any()


def test_feature_sets_find_real_green_space_and_firms(helsinki_net):
    _, extract = helsinki_net
    green = feature_set(extract.features, "green")
    firms = feature_set(extract.features, "firms")
    assert len(green) > 0 and len(firms) > 0
    assert all(
        any(k in t for k in ("leisure", "landuse", "natural")) for t in green["tags"]
    )
    assert all(("office" in t) or ("craft" in t) or ("industrial" in t) or t.get("man_made") == "works"
               for t in firms["tags"])


def test_polygon_cover_share_equals_a_plain_overlay_on_real_green_space(osm_dir):
    from parkscope.walk.grid import cell_polygons

    extract = read_extract(osm_dir / "andorra.osm.pbf", (1.50, 42.49, 1.56, 42.53))
    crs = CRS.from_epsg(32631)
    import h3

    ids = sorted(h3.geo_to_cells(shapely.box(1.50, 42.49, 1.56, 42.53).__geo_interface__, 9))
    cells = gpd.GeoSeries(cell_polygons(ids), crs=4326).to_crs(crs)
    green = feature_set(extract.features, "green").geometry.to_crs(crs)
    polys = green[green.geom_type.isin(["Polygon", "MultiPolygon"])]
    union = shapely.union_all(shapely.make_valid(polys.values))
    plain = shapely.area(shapely.intersection(cells.values, union)) / shapely.area(cells.values)
    fast = polygon_cover_share(green, cells)
    assert fast == pytest.approx(plain, abs=1e-9)
    assert (fast > 0.5).sum() > 10  # Andorra la Vella's slopes are green: the check is not vacuous
