"""Five-park scorecard: scales, user data, coverage (missing inputs never score 0)."""

from __future__ import annotations

import pytest

from parkscope.diagnoses.fivepark import (
    DIMENSIONS,
    SCORECARD,
    SCORECARD_BY_KEY,
    chain_completeness,
    chain_from_firms,
    indicator_score,
    read_park_data,
    scorecard,
)
from parkscope.errors import ConfigError, InputError
from parkscope.settings.config import load_settings
from parkscope.settings.parkstats import SCORED_DERIVED
from parkscope.settings.vocabulary import PARK_DATA_USER_KEYS


def test_indicator_score_is_linear_and_clipped_both_ways():
    green = SCORECARD_BY_KEY["green_share_park"]  # 0 -> 0, 0.35 -> 100
    assert indicator_score(0.175, green) == pytest.approx(50.0)
    assert indicator_score(0.9, green) == 100.0
    energy = SCORECARD_BY_KEY["energy_use_kwh_per_m2"]  # a cost: 300 -> 0, 50 -> 100
    assert indicator_score(175.0, energy) == pytest.approx(50.0)
    assert indicator_score(400.0, energy) == 0.0
    assert indicator_score(10.0, energy) == 100.0


def test_every_dimension_has_osm_and_scales_that_differ():
    for dim in DIMENSIONS:
        members = [i for i in SCORECARD if i.dimension == dim]
        assert any(i.source == "osm" for i in members), dim
        assert all(i.zero != i.full for i in members)


def test_innovation_chain_completeness():
    assert chain_completeness(["rd", "pilot"]) == 0.5
    assert chain_completeness(["rd", "rd", "testing", "pilot", "production"]) == 1.0
    with pytest.raises(ConfigError, match="trial"):
        chain_completeness(["rd", "trial"])


def test_chain_from_firms_averages_sectors(tmp_path):
    path = tmp_path / "firms.csv"
    path.write_text("name,sector,stage\nA,chips,rd\nB,chips,testing\nC,chips,production\nD,bio,rd\n")
    value, per_sector = chain_from_firms(path)
    assert per_sector == {"chips": 0.75, "bio": 0.25}
    assert value == pytest.approx(0.5)
    bad = tmp_path / "bad.csv"
    bad.write_text("sector,stage\nchips,design\n")
    with pytest.raises(InputError, match="line 2"):
        chain_from_firms(bad)


def test_park_data_unknown_key_suggests_the_right_one():
    with pytest.raises(ConfigError, match="Did you mean 'patents_per_1000_jobs'"):
        read_park_data({"patent_per_1000_jobs": 3})
    with pytest.raises(ConfigError, match="must be a number"):
        read_park_data({"rd_intensity_pct": "high"})


def test_missing_inputs_lower_coverage_never_score_zero():
    osm = {i.key: None for i in SCORECARD if i.source == "osm"}
    osm["green_share_park"] = 0.35  # full marks
    card = scorecard(osm, {"energy_use_kwh_per_m2": 300.0})  # zero marks
    green = card["green"]
    assert green["score"] == 50.0  # mean of the two available: 100 and 0
    assert green["coverage"] == pytest.approx(2 / 5)
    assert set(green["available"]) == {"green_share_park", "energy_use_kwh_per_m2"}
    assert card["smart"]["score"] is None and card["smart"]["coverage"] == 0.0
    assert card["smart"]["indicators"]["transit_access"]["available"] is False


def test_park_data_from_a_config_file_reaches_the_settings(tmp_path):
    (tmp_path / "firms.csv").write_text("sector,stage\nai,rd\nai,pilot\n")
    cfg = tmp_path / "parkscope.toml"
    cfg.write_text('[park_data]\nrd_intensity_pct = 4.2\nfirms_csv = "firms.csv"\n')
    s = load_settings(cfg)
    values = read_park_data(s.park_data)
    assert values == {"rd_intensity_pct": 4.2, "innovation_chain_completeness": 0.5}
    cfg.write_text("[park_data]\nrd_intensity = 4.2\n")
    with pytest.raises(ConfigError, match="rd_intensity_pct"):
        load_settings(cfg)


def test_space_utilisation_from_a_per_building_table(tmp_path):
    (tmp_path / "space.csv").write_text("building,used_floor_m2,total_floor_m2\nA,800,1000\nB,100,1000\n")
    cfg = tmp_path / "parkscope.toml"
    cfg.write_text('[park_data]\nspace_csv = "space.csv"\n')
    values = read_park_data(load_settings(cfg).park_data)
    assert values == {"space_utilisation": pytest.approx(0.45)}
    (tmp_path / "space.csv").write_text("building,used_floor_m2,total_floor_m2\nA,1200,1000\n")
    with pytest.raises(InputError, match="line 2"):
        read_park_data(load_settings(cfg).park_data)


def test_the_settings_know_every_user_indicator_of_the_scorecard():
    # config checks [park_data] names against the vocabulary, without importing the scorecard
    user = {i.key for i in SCORECARD if i.source == "user"} - set(SCORED_DERIVED)
    assert user == set(PARK_DATA_USER_KEYS)
