"""The declared summary.json (parkscope.settings.summary.Summary) and its published JSON Schema (issue 13).

Real outputs — the bundled demo extract, a town box of Andorra, and a park on the Douro in Porto with
no walk node (no verdict, null score) — validate against docs/summary.schema.json and read back into
the model unchanged; the committed schema is the model's; a bad key is named with its file; older
outputs without the keys added since still load.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from parkscope.cli import main
from parkscope.errors import InputError
from parkscope.outputs.compare import load_summaries
from parkscope.settings.summary import Summary, read_summary, schema_text

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "docs" / "summary.schema.json"
DEMO = resources.files("parkscope") / "data" / "berlin-adlershof.osm.pbf"
#: Keys written since the first summary.json (parkscope 0.1.0's first assess); an older output lacks them.
NEWER_KEYS = ("coverage_minutes", "data_quality", "integration", "five_park", "park_statistics",
              "cooperation", "buildings", "population")


@pytest.fixture(scope="module")
def outputs(osm_dir, tmp_path_factory) -> dict[str, Path]:
    """Three real OUTDIRs written by `parkscope assess` (no report)."""
    root = tmp_path_factory.mktemp("summaries")
    runs = {
        "demo": [str(DEMO), "--park", "Humboldt-Universität Campus Adlershof", "--buffer", "350"],
        "andorra": [str(osm_dir / "andorra.osm.pbf"), "--bbox", "1.515,42.500,1.545,42.515",
                    "--buffer", "500"],
        "douro": [str(osm_dir / "porto.osm.pbf"), "--bbox=-8.6305,41.1395,-8.6295,41.1400",
                  "--buffer", "800"],
    }
    out = {}
    for name, args in runs.items():
        out[name] = root / name
        assert main(["assess", *args, "--no-report", "-q", "-o", str(out[name])]) == 0
    return out


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _json(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _write(folder: Path, data: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return folder


def test_published_schema_is_the_models():
    assert SCHEMA.read_text(encoding="utf-8") == schema_text(), (
        "docs/summary.schema.json differs from parkscope.settings.summary.Summary: run "
        "python scripts/write_summary_schema.py")


def test_schema_script_checks_the_committed_file(tmp_path):
    script = ROOT / "scripts" / "write_summary_schema.py"
    env_path = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    ok = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True,
                        env=env_path, timeout=120)
    assert ok.returncode == 0, ok.stderr
    stale = tmp_path / "schema.json"
    stale.write_text("{}\n")
    bad = subprocess.run([sys.executable, str(script), "--check", "--out", str(stale)], capture_output=True,
                         text=True, env=env_path, timeout=120)
    assert bad.returncode == 1 and "differs from the Summary model" in bad.stderr


def test_real_outputs_validate_against_the_published_schema(outputs, validator):
    for name, folder in outputs.items():
        data = _json(folder)
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]
        assert errors == [], (name, errors[:3])
        # every key INTERFACES.md names is there
        assert {"parkscope_version", "life_convenience_score", "categories", "max_distance_m", "provenance",
                "integration", "five_park", "data_quality"} <= set(data), name
        assert {"extract", "extract_sha256", "osm_timestamp", "parameters"} <= set(data["provenance"]), name
        assert set(data["five_park"]) == {"innovative", "green", "smart", "humane", "open"}, name
        assert set(data["data_quality"]) == {"network", "amenities", "buildings", "jobs", "residents"}, name
        for category in data["categories"].values():
            assert "share_within_15min" in category and "median_nearest_m" in category, name


def test_real_outputs_read_back_unchanged(outputs):
    for name, folder in outputs.items():
        text = (folder / "summary.json").read_text(encoding="utf-8")
        s = read_summary(folder)
        assert s.to_json() == text, name  # the same keys, order and bytes
        assert Summary.load(folder / "summary.json") == s
        assert s.to_dict() == json.loads(text)


def test_typed_fields_read_what_the_file_says(outputs):
    demo, douro = read_summary(outputs["demo"]), read_summary(outputs["douro"])
    raw = _json(outputs["demo"])
    ig = demo.integration
    assert ig.class_.zh == raw["integration"]["class"]["zh"]
    assert ig.class_.level == raw["integration"]["class"]["level"]
    assert ig.coordination_D == raw["integration"]["coordination_D"] and ig.diagnosed
    assert demo.categories["dining"].share_within == raw["categories"]["dining"]["share_within_15min"]
    assert demo.categories["dining"].share_key == "share_within_15min"
    assert demo.five_park.green.score == raw["five_park"]["green"]["score"]
    assert list(demo.five_park.dimensions()) == ["innovative", "green", "smart", "humane", "open"]
    assert demo.area.match.found and demo.area.match.osm_type == raw["area"]["match"]["osm_type"]
    assert demo.data_quality["network"].status == raw["data_quality"]["network"]["status"]
    # the Douro: no walk node, so no score and no verdict (nulls, never 0)
    assert douro.life_convenience_score is None and not douro.integration.diagnosed
    assert douro.integration.jobs_housing_ratio is None
    assert not douro.area.match.found and _json(outputs["douro"])["area"]["match"] == {}


def test_a_summary_pickles_and_copies(outputs):
    """Stages hand results between processes (batch, scenario): the summary survives pickling."""
    s = read_summary(outputs["andorra"])
    again = pickle.loads(pickle.dumps(s))
    assert again == s and again.to_json() == s.to_json()
    copy = s.model_copy(deep=True)
    copy.integration.coordination_D = None
    assert s.integration.coordination_D is not None  # a deep copy, not a view


def test_a_bad_key_is_named_with_its_file(outputs, tmp_path, validator):
    data = _json(outputs["demo"])
    data["integration"]["class"]["zh"] = 5
    bad = _write(tmp_path / "bad_class", data)
    with pytest.raises(InputError) as err:
        read_summary(bad)
    text = str(err.value)
    assert str(bad / "summary.json") in text and "integration.class.zh" in text and "Re-run" in text
    assert list(validator.iter_errors(data))  # the published schema refuses it too

    data = _json(outputs["demo"])
    data["integration"]["coordination_D"] = "high"
    data["life_convenience_scor"] = 8.0  # a typo: not a declared key
    text = str(pytest.raises(InputError, read_summary, _write(tmp_path / "typo", data)).value)
    assert "integration.coordination_D" in text and "life_convenience_scor: unknown key" in text
    assert list(validator.iter_errors(data))


def test_share_keys_follow_the_minutes_and_nothing_else(outputs, tmp_path, validator):
    data = _json(outputs["andorra"])
    data["coverage_minutes"] = 10.0
    for category in data["categories"].values():
        category["share_within_10min"] = category.pop("share_within_15min")
    ten = read_summary(_write(tmp_path / "ten", data))
    assert ten.categories["dining"].share_key == "share_within_10min"
    assert not list(validator.iter_errors(data))
    assert next(iter(ten.to_dict()["categories"]["dining"])) == "share_within_10min"  # still written first
    data["categories"]["dining"]["share_10min"] = 0.5
    text = str(pytest.raises(InputError, read_summary, _write(tmp_path / "odd", data)).value)
    assert "categories.dining" in text and "'share_10min'" in text
    assert list(validator.iter_errors(data))


def test_older_outputs_without_the_newer_keys_still_load(outputs, tmp_path, validator):
    data = _json(outputs["demo"])
    for key in NEWER_KEYS:
        data.pop(key)
    for key in ("park_area_m2", "outside_extract_share"):
        data["area"].pop(key)
    data["provenance"].pop("attribution_sources")
    validator.validate(data)  # the schema accepts them as they are
    data["timings_s"] = {"total_s": 12.3}  # written to summary.json before run.json existed
    data["provenance"]["created_utc"] = "2026-11-20T10:00:00Z"
    old = read_summary(_write(tmp_path / "old", data))
    assert old.integration is None and old.five_park is None and old.data_quality is None
    assert old.coverage_minutes == 15.0  # the minutes before they were a setting
    assert "timings_s" not in old.to_dict() and "created_utc" not in old.to_dict()["provenance"]
    # compare reads it beside a current one
    parks = load_summaries([tmp_path / "old", outputs["andorra"]])
    assert [p.summary.integration is None for p in parks] == [True, False]


def test_what_is_not_a_summary_is_refused(outputs, tmp_path):
    cases = {
        "missing": (tmp_path / "nothing", "does not exist"),
        "truncated": (tmp_path / "truncated", "not valid JSON"),
        "list": (tmp_path / "list", "not a parkscope summary"),
    }
    text = (outputs["demo"] / "summary.json").read_text(encoding="utf-8")
    cases["truncated"][0].mkdir()
    (cases["truncated"][0] / "summary.json").write_text(text[: len(text) // 2], encoding="utf-8")
    _write(tmp_path / "list", {})
    (tmp_path / "list" / "summary.json").write_text("[1, 2]", encoding="utf-8")
    for folder, phrase in cases.values():
        with pytest.raises(InputError, match=phrase):
            read_summary(folder)


def test_the_cli_prints_the_summary_as_written(outputs, tmp_path, capsys, osm_dir):
    out = tmp_path / "again"
    shutil.rmtree(out, ignore_errors=True)
    args = ["assess", str(osm_dir / "porto.osm.pbf"), "--bbox=-8.6305,41.1395,-8.6295,41.1400", "--buffer",
            "800", "--no-report", "-q", "--json", "-o", str(out)]
    assert main(args) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == _json(out) == _json(outputs["douro"])
