from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from parkscope.errors import NetworkError
from parkscope.walk.network import build_walk_network, walkable_mask


def _ways(rows):
    return pd.DataFrame(
        {
            "way_id": np.arange(len(rows), dtype=np.int64),
            "highway": [r[0] for r in rows],
            "tags": [{"highway": r[0], **r[1]} for r in rows],
            "node_ids": [np.array(r[2], dtype=np.int64) for r in rows],
        }
    )


def test_walkable_rules():
    ways = _ways(
        [
            ("footway", {}, [1, 2]),
            ("residential", {}, [1, 2]),
            ("motorway", {}, [1, 2]),
            ("primary", {"foot": "no"}, [1, 2]),
            ("service", {"access": "private"}, [1, 2]),
            ("service", {"access": "private", "foot": "yes"}, [1, 2]),
            ("cycleway", {}, [1, 2]),
            ("cycleway", {"foot": "designated"}, [1, 2]),
            ("trunk", {"motorroad": "yes"}, [1, 2]),
            ("steps", {}, [1, 2]),
            ("construction", {}, [1, 2]),
            ("path", {"foot": "use_sidepath"}, [1, 2]),
        ]
    )
    assert walkable_mask(ways).tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
        False,
        True,
        False,
        True,
        False,
        False,
    ]


def _extract(ways, coords):
    lonlat = pd.DataFrame(coords, columns=["node_id", "lon", "lat"]).set_index("node_id")
    return SimpleNamespace(highways=_ways(ways), node_lonlat=lonlat)


def test_split_lengths_components_and_clip():
    # a 3-node street, a footpath sharing node 2, a motorway, and a separate 2-node island
    coords = [
        (1, 13.50, 52.40),
        (2, 13.501, 52.40),
        (3, 13.502, 52.40),
        (4, 13.501, 52.401),
        (5, 13.60, 52.40),
        (6, 13.601, 52.40),
    ]
    ways = [
        ("residential", {}, [1, 2, 3]),
        ("footway", {}, [2, 4]),
        ("motorway", {}, [1, 4]),
        ("footway", {}, [5, 6]),
    ]
    net = build_walk_network(_extract(ways, coords))
    assert sorted(net.node_id.tolist()) == [1, 2, 3, 4]
    assert net.n_edges == 3
    assert net.dropped_node_share == pytest.approx(2 / 6)
    geod = Geod(ellps="WGS84")
    _, _, d12 = geod.inv(13.50, 52.40, 13.501, 52.40)
    edges = net.edges_frame()
    got = edges[(edges.u == 1) & (edges.v == 2)].length_m.iloc[0]
    assert got == pytest.approx(d12, rel=2e-3)  # UTM scale error < 0.1 % near the central meridian
    assert (net.edge_u < net.edge_v).all()
    # clip: only edges with both ends inside
    clipped = build_walk_network(_extract(ways, coords), area=shapely.box(13.4995, 52.3995, 13.5015, 52.4015))
    assert sorted(clipped.node_id.tolist()) == [1, 2, 4]


def test_empty_area_is_a_clear_error():
    coords = [(1, 13.50, 52.40), (2, 13.501, 52.40)]
    with pytest.raises(NetworkError, match="No walkable"):
        build_walk_network(_extract([("motorway", {}, [1, 2])], coords))


def test_real_network_helsinki(osm_dir):
    from parkscope.inputs.osm import read_extract

    ext = read_extract(osm_dir / "helsinki.osm.pbf")
    net = build_walk_network(ext)
    assert net.n_nodes > 4000
    assert net.dropped_node_share < 0.05
    assert net.crs.to_epsg() == 32635
    assert np.all(net.length_m > 0) and net.length_m.max() < 2000
    # lengths agree with geodesic lengths
    geod = Geod(ellps="WGS84")
    _, _, d = geod.inv(net.lon[net.edge_u], net.lat[net.edge_u], net.lon[net.edge_v], net.lat[net.edge_v])
    assert np.abs(net.length_m - d).max() < 0.01 * net.length_m.max() + 0.05
