"""End to end: `parkscope assess` on real extracts, its outputs, and its errors."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy.sparse import coo_array
from scipy.sparse.csgraph import dijkstra

from parkscope.cli import main

REQUIRED_FILES = {
    "summary.json",
    "nodes.parquet",
    "network.parquet",
    "amenities.parquet",
    "cells.gpkg",
    "cells.parquet",
    "report.html",
}


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def beijing_out(osm_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("bj") / "out"
    code = main(
        ["assess", str(osm_dir / "beijing-xueyuan-road.osm"), "--park", "东畔科创中心", "-o", str(out), "-q"]
    )
    assert code == 0
    return out


def test_outputs_follow_the_contract(beijing_out: Path):
    assert REQUIRED_FILES <= {p.name for p in beijing_out.iterdir()}
    s = json.loads((beijing_out / "summary.json").read_text(encoding="utf-8"))
    for key in ("parkscope_version", "life_convenience_score", "categories", "max_distance_m", "provenance"):
        assert key in s
    assert 0 <= s["life_convenience_score"] <= 10
    assert set(s["categories"]["dining"]) >= {"share_within_15min", "median_nearest_m"}
    prov = s["provenance"]
    assert len(prov["extract_sha256"]) == 64 and prov["parameters"]["k"] == 5
    assert s["area"]["match"]["osm_id"] > 0 and s["area"]["match"]["tag"] == "name"
    nodes = pd.read_parquet(beijing_out / "nodes.parquet")
    assert {"node_id", "lon", "lat", "score"} <= set(nodes.columns)
    assert {f"dist_dining_{i}" for i in range(1, 6)} <= set(nodes.columns)
    assert nodes["score"].between(0, 10).all()
    d = nodes[[f"dist_dining_{i}" for i in range(1, 6)]].to_numpy()
    assert np.all(np.diff(d, axis=1)[~np.isnan(np.diff(d, axis=1))] >= 0)
    assert np.nanmax(d) <= 1600
    net = pd.read_parquet(beijing_out / "network.parquet")
    assert list(net.columns) == ["u", "v", "length_m"] and (net.length_m > 0).all()
    am = pd.read_parquet(beijing_out / "amenities.parquet")
    assert {"category", "lon", "lat", "node_id", "offset_m"} <= set(am.columns)
    assert set(am.node_id) <= set(nodes.node_id)
    info = pyogrio.read_info(beijing_out / "cells.gpkg", layer="cells")
    assert info["features"] > 0 and "score" in list(info["fields"])
    html = (beijing_out / "report.html").read_text(encoding="utf-8")
    assert "OpenStreetMap" in html
    # nothing is fetched: no script, style, image or frame from the network (the bundled BokehJS
    # quotes URLs in its licence comments, which is fine)
    fetch = r"""<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
    assert not re.search(fetch, html)


def test_files_alone_reproduce_every_distance(beijing_out: Path):
    """The contract: network.parquet + amenities.parquet give the distances of nodes.parquet."""
    nodes = pd.read_parquet(beijing_out / "nodes.parquet")
    net = pd.read_parquet(beijing_out / "network.parquet")
    am = pd.read_parquet(beijing_out / "amenities.parquet")
    index = pd.Series(np.arange(len(nodes)), index=nodes.node_id)
    u, v = index[net.u].to_numpy(), index[net.v].to_numpy()
    n = len(nodes)
    graph = coo_array((np.r_[net.length_m, net.length_m], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    for cat in ("dining", "transit", "parks", "groceries"):
        rows = am[am.category == cat]
        if rows.empty:
            continue
        src = index[rows.node_id].to_numpy()
        dist = dijkstra(graph, indices=np.unique(src), limit=1600.0 + 1e-9)
        pos = {s: i for i, s in enumerate(np.unique(src))}
        per_point = np.stack([dist[pos[s]] + off for s, off in zip(src, rows.offset_m, strict=True)])
        # rows sharing an amenity_id (a park's gates) are one amenity, reached at its nearest point
        per_source = pd.DataFrame(per_point).groupby(rows.amenity_id.to_numpy()).min().to_numpy(copy=True)
        per_source[per_source > 1600.0] = np.inf
        expect = np.sort(per_source, axis=0)[:5].T
        expect[np.isinf(expect)] = np.nan
        got = nodes[[f"dist_{cat}_{i}" for i in range(1, 6)]].to_numpy()
        np.testing.assert_allclose(got, expect, atol=1e-6, rtol=0, err_msg=cat)


@pytest.mark.parametrize("name", ["Dong-Park", "中关村东升科技园三期", "dong-park"])
def test_park_names_find_the_same_polygon(osm_dir, tmp_path, capsys, beijing_out, name):
    out = tmp_path / "o"
    code, _, err = run(
        ["assess", osm_dir / "beijing-xueyuan-road.osm", "--park", name, "-o", out, "--no-report"], capsys
    )
    assert code == 0, err
    first = json.loads((beijing_out / "summary.json").read_text(encoding="utf-8"))["area"]["match"]
    got = json.loads((out / "summary.json").read_text(encoding="utf-8"))["area"]["match"]
    assert (got["osm_type"], got["osm_id"]) == (first["osm_type"], first["osm_id"])
    assert "matched" in err


def _assert_clean_failure(code, err, out: Path, *needles):
    assert code != 0
    assert "\nError: " in "\n" + err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert not out.exists()
    assert not any(p.name.startswith(f".{out.name}.tmp") for p in out.parent.iterdir())


def test_errors_are_clean_and_leave_nothing(osm_dir, tmp_path, capsys):
    out = tmp_path / "out"
    pbf = osm_dir / "monaco.osm.pbf"
    cases = [
        (["assess", tmp_path / "missing.osm.pbf", "--bbox", "7.42,43.73,7.43,43.74"], ["does not exist"]),
        (["assess", pbf, "--bbox", "2.30,48.85,2.31,48.86"], ["outside"]),
        (["assess", osm_dir / "beijing-xueyuan-road.osm", "--park", "Tecnopuc"], ["No polygon named"]),
        (["assess", pbf, "--bbox", "7.42,43.73"], ["four numbers"]),
        (["assess", pbf], ["exactly one study area"]),
        (["assess", pbf, "--bbox", "7.42,43.73,7.43,43.74", "--park", "x"], ["exactly one study area"]),
    ]
    not_osm = tmp_path / "table.osm.pbf"
    not_osm.write_text("id,lon,lat\n1,2,3\n")
    cases.append((["assess", not_osm, "--bbox", "7.42,43.73,7.43,43.74"], []))
    truncated = tmp_path / "cut.osm.pbf"
    data = pbf.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    cases.append((["assess", truncated, "--bbox", "7.42,43.73,7.43,43.74"], []))
    for args, needles in cases:
        code, _, err = run([*args, "-o", out], capsys)
        _assert_clean_failure(code, err, out, *needles)


def test_area_without_walkable_ways(osm_dir, tmp_path, capsys):
    # open sea off Monaco, inside the extract's extent
    out = tmp_path / "sea"
    code, _, err = run(
        [
            "assess",
            osm_dir / "monaco.osm.pbf",
            "--bbox",
            "7.4420,43.7280,7.4430,43.7290",
            "--buffer",
            "0",
            "-o",
            out,
        ],
        capsys,
    )
    _assert_clean_failure(code, err, out)
    assert "walkable" in err or "no OpenStreetMap data" in err


def test_config_typo_is_an_error(osm_dir, tmp_path, capsys):
    cfg = tmp_path / "p.toml"
    cfg.write_text("[acces]\nk = 3\n", encoding="utf-8")
    out = tmp_path / "o"
    code, _, err = run(
        ["assess", osm_dir / "monaco.osm.pbf", "--bbox", "7.42,43.73,7.43,43.74", "--config", cfg, "-o", out],
        capsys,
    )
    _assert_clean_failure(code, err, out, "Did you mean 'access'")


def test_xml_gz_and_boundary(osm_dir, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    boundary = tmp_path / "wista.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(13.52, 52.425, 13.535, 52.435)], crs=4326).to_file(boundary)
    out = tmp_path / "adlershof"
    code, _, err = run(
        [
            "assess",
            osm_dir / "berlin-adlershof.osm.gz",
            "--boundary",
            boundary,
            "--buffer",
            "1600",
            "-o",
            out,
            "--no-report",
        ],
        capsys,
    )
    assert code == 0, err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["network"]["nodes"] > 1000
    assert s["categories"]["transit"]["median_nearest_m"] is not None


def test_boundary_outside_the_extract_and_json_output(osm_dir, tmp_path, capsys):
    import geopandas as gpd
    import shapely

    far = tmp_path / "far.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(2.30, 48.85, 2.31, 48.86)], crs=4326).to_file(far)
    out = tmp_path / "o"
    code, _, err = run(["assess", osm_dir / "monaco.osm.pbf", "--boundary", far, "-o", out], capsys)
    _assert_clean_failure(code, err, out, "outside")
    code, stdout, err = run(
        [
            "assess",
            osm_dir / "monaco.osm.pbf",
            "--bbox",
            "7.420,43.735,7.425,43.740",
            "--buffer",
            "500",
            "--json",
            "--no-report",
            "-o",
            out,
        ],
        capsys,
    )
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["area"]["buffer_m"] == 500


def test_area_beyond_the_header_bounds_but_inside_the_data(osm_dir, tmp_path, capsys):
    # beijing-xueyuan-road.osm says <bounds maxlat="40.0089…"> but its nodes reach 40.038 N
    from parkscope.inputs.osm import extract_bounds

    header = extract_bounds(osm_dir / "beijing-xueyuan-road.osm")
    assert header is not None and header[3] < 40.02
    out = tmp_path / "north"
    code, _, err = run(
        [
            "assess",
            osm_dir / "beijing-xueyuan-road.osm",
            "--bbox",
            "116.3480,40.0100,116.3520,40.0130",
            "--buffer",
            "300",
            "--no-report",
            "-o",
            out,
        ],
        capsys,
    )
    assert code == 0, err
