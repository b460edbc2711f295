import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS

from parkscope.settings.config import load_settings
from parkscope.walk.amenities import classify, join_to_network, locate_amenities
from parkscope.walk.network import WalkNetwork

UTM = CRS.from_epsg(32633)


def _net(xy, edges):
    xy = np.asarray(xy, dtype=float)
    u = np.array([min(a, b) for a, b in edges])
    v = np.array([max(a, b) for a, b in edges])
    return WalkNetwork(
        node_id=np.arange(1, len(xy) + 1, dtype=np.int64),
        lon=xy[:, 0] / 1e5,
        lat=xy[:, 1] / 1e5,
        x=xy[:, 0],
        y=xy[:, 1],
        crs=UTM,
        edge_u=u,
        edge_v=v,
        length_m=np.hypot(*(xy[v] - xy[u]).T),
    )


def _points(xy, cats):
    return gpd.GeoDataFrame(
        {"category": cats, "amenity_id": [f"n{i}" for i in range(len(cats))]},
        geometry=shapely.points(np.asarray(xy, dtype=float)),
        crs=UTM,
    )


def test_classify_multi_category_and_exclude():
    s = load_settings()
    feats = pd.DataFrame(
        {
            "tags": [
                {"amenity": "kindergarten"},
                {"shop": "supermarket"},
                {"shop": "clothes"},
                {"leisure": "pitch", "access": "private"},
                {"amenity": "bench"},
                {"highway": "bus_stop"},
            ]
        }
    )
    got = classify(feats, s.categories).groupby("feature")["category"].apply(set).to_dict()
    assert got[0] == {"education", "childcare"}
    assert got[1] == {"groceries"}
    assert got[2] == {"shopping"}
    assert 3 not in got and 4 not in got
    assert got[5] == {"transit"}


def test_join_splits_edge_and_offsets():
    net = _net([(0, 0), (100, 0), (100, 100)], [(0, 1), (1, 2)])
    pts = _points(
        [(30, 10), (70, -5), (30, 10), (100, 130), (100, 0)],
        ["dining", "dining", "groceries", "dining", "dining"],
    )
    new, joined = join_to_network(net, pts, mode="edge")
    assert new.n_nodes == 5  # two split points on edge 0-1 (one shared by two amenities)
    assert joined["offset_m"].tolist() == pytest.approx([10, 5, 10, 30, 0])
    assert joined["node_index"].iloc[0] == joined["node_index"].iloc[2]
    assert joined["node_id"].iloc[0] < 0 and joined["node_id"].iloc[3] == 3 and joined["node_id"].iloc[4] == 2
    e = new.edges_frame().sort_values(["u", "v"])
    assert sorted(e.length_m.round(6).tolist()) == [30.0, 30.0, 40.0, 100.0]
    assert new.length_m.sum() == pytest.approx(net.length_m.sum())
    assert (new.edge_u < new.edge_v).all()
    node, jn = join_to_network(net, pts, mode="node")
    assert node.n_nodes == 3 and jn["node_id"].tolist() == [1, 2, 1, 3, 2]


def test_park_polygon_gets_edge_access_points():
    s = load_settings()
    park = shapely.box(13.50, 52.40, 13.51, 52.41)  # ~68 ha
    feats = gpd.GeoDataFrame(
        {
            "osm_type": ["way", "node"],
            "osm_id": [7, 8],
            "tags": [{"leisure": "park", "name": "P"}, {"amenity": "cafe"}],
        },
        geometry=[park, shapely.Point(13.505, 52.405)],
        crs=4326,
    )
    pts = locate_amenities(feats, s, UTM)
    parks = pts[pts.category == "parks"]
    assert len(parks) > 20 and set(parks.amenity_id) == {"w7"}
    outline = gpd.GeoSeries([park.boundary], crs=4326).to_crs(UTM).iloc[0]
    assert np.all(shapely.distance(parks.geometry.values, outline) < 1e-6)
    assert pts[pts.category == "dining"].amenity_id.tolist() == ["n8"]
