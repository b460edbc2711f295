"""`parkscope demo`: the bundled Berlin-Adlershof extract, the park it finds, and how the extract is made."""

from __future__ import annotations

import hashlib
import json
import runpy
from importlib import resources
from pathlib import Path

import osmium
import pytest
from click.testing import CliRunner

from parkscope.cli import DEMO_BUFFER_M, DEMO_EXTRACT, DEMO_PARK, cli
from parkscope.inputs.osm import extract_bounds

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = Path(str(resources.files("parkscope").joinpath("data", DEMO_EXTRACT)))
OUTPUTS = ["summary.json", "nodes.parquet", "network.parquet", "amenities.parquet", "cells.gpkg",
           "cells.parquet", "report.html", "map.png", "radar.png", "coverage.png"]


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(cli, ["demo", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def summary(demo_out) -> dict:
    return json.loads((demo_out / "summary.json").read_text(encoding="utf-8"))


def test_demo_finds_the_campus_by_name(summary):
    area = summary["area"]
    assert area["source"] == "park" and area["name"] == DEMO_PARK
    assert area["match"]["osm_type"] == "way" and area["match"]["osm_id"] == 40106791
    assert area["match"]["how"] == "exact" and area["match"]["other_matches"] == []
    assert area["buffer_m"] == DEMO_BUFFER_M
    assert 100_000 < area["park_area_m2"] < 150_000  # the campus is about 12 ha


def test_demo_study_area_lies_inside_the_bundled_data(summary):
    assert summary["area"]["outside_extract_share"] == 0.0
    prov = summary["provenance"]
    assert prov["extract"] == DEMO_EXTRACT and prov["osm_timestamp"] == "2023-01-28T19:04:25Z"


def test_demo_writes_every_output_and_a_diagnosis(demo_out, summary):
    for name in OUTPUTS:
        assert (demo_out / name).stat().st_size > 1_000, name
    assert summary["life_convenience_score"] > 5
    assert summary["network"]["nodes"] > 500 and summary["buildings"]["count"] > 200
    ig = summary["integration"]
    assert ig["jobs_source"] == ig["residents_source"] == "osm_buildings"
    assert ig["jobs_in_park"] > 0 and ig["jobs"] > 0 and ig["residents"] > 0


def test_bundled_extract_is_small_and_declares_its_box():
    assert BUNDLED.stat().st_size < 1_500_000
    w, s, e, n = extract_bounds(BUNDLED)
    assert (w, s) == (13.5212, 52.4252) and 13.54 < e < 13.55 and 52.43 < n < 52.44


def _content(path: Path) -> tuple[str, tuple | None]:
    """A digest of every object (type, id, version, tags, locations or members) and the header box."""
    digest = hashlib.sha256()
    for obj in osmium.FileProcessor(str(path)):
        if obj.is_node():
            body = (obj.location.lon, obj.location.lat)
        elif obj.is_way():
            body = tuple(n.ref for n in obj.nodes)
        else:
            body = tuple((m.type, m.ref, m.role) for m in obj.members)
        tags = sorted((t.k, t.v) for t in obj.tags)
        digest.update(repr((obj.type_str(), obj.id, obj.version, tags, body)).encode())
    return digest.hexdigest(), extract_bounds(path)


def test_script_reproduces_the_bundled_extract(osm_dir, tmp_path):
    make = runpy.run_path(str(ROOT / "scripts" / "make_demo_extract.py"))["make_demo_extract"]
    out = tmp_path / DEMO_EXTRACT
    done = make(osm_dir / "berlin-adlershof.osm.gz", out)
    assert done["ways"] > 1000 and done["relations"] > 10
    assert _content(out) == _content(BUNDLED)
