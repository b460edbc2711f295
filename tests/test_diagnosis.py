"""Industry–city–people diagnosis: hand-checked cases of the cell and park formulas."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.diagnoses import integration
from parkscope.diagnoses.integration import (
    INDICATORS,
    PreviousDiagnosis,
    couple,
    diagnose_cells,
    jobs_housing_balance,
    jobs_housing_reading,
    rediagnose_cells,
    verdict_within_error,
)
from parkscope.errors import ConfigError
from parkscope.settings.config import DiagnosisSettings, load_settings

SETTINGS = DiagnosisSettings(scale="study_area")  # hand-checked min–max cases; reference: test_reference.py


def test_jobs_housing_balance_by_hand():
    # e = 0.5: 200 residents are 100 workers
    b = jobs_housing_balance(np.array([100.0, 300.0, 0.0, 50.0]), np.array([200.0, 200.0, 0.0, 0.0]), 0.5)
    assert b == pytest.approx([1.0, 1 - 200 / 400, 0.0, 0.0])


@pytest.mark.parametrize(
    ("ratio", "reading"),
    [(0.3, "too_few_jobs"), (0.4, "balanced"), (0.62, "balanced"), (0.63, "too_few_homes"),
     (float("nan"), "no_residents")],
)
def test_jobs_housing_reading_uses_jobs_per_employed_resident(ratio, reading):
    # jobs per resident 0.4–0.625 = 0.8–1.25 jobs per employed resident at e = 0.5
    assert jobs_housing_reading(ratio, SETTINGS) == reading


def _values(industry: list[float], city: list[float], people: list[float]) -> pd.DataFrame:
    """One indicator per subsystem (the others left out), three or more cells."""
    return pd.DataFrame({"job_density": industry, "life_convenience": city, "resident_density": people})


def test_diagnose_cells_reads_lag_types_and_matches_the_formulas():
    values = _values([0.0, 10.0, 5.0, 10.0], [10.0, 0.0, 5.0, 10.0], [5.0, 5.0, 5.0, 10.0])
    settings = replace(SETTINGS, log_transform=False)
    diag, _ = diagnose_cells(values, np.array([True, True, True, True]), settings)
    # one indicator per subsystem: U is the min-max normalised indicator
    assert diag["industry"].tolist() == pytest.approx([0.0, 1.0, 0.5, 1.0])
    assert diag["city"].tolist() == pytest.approx([1.0, 0.0, 0.5, 1.0])
    assert diag["people"].tolist() == pytest.approx([0.0, 0.0, 0.0, 1.0])
    assert diag["lag_type"].tolist() == [
        "city_without_industry", "industry_without_city", "balanced", "balanced"
    ]
    # cell 3: all U = 1 -> C = 1, T = 1, D = 1, top class
    assert diag.loc[3, ["coupling_C", "development_T", "coordination_D"]].tolist() == pytest.approx([1, 1, 1])
    assert diag.loc[3, "coordination_class_zh"] == "优质协调"
    # cell 2: U = (0.5, 0.5, 0): C = 0 (a zero subsystem), T = 1/3, D = 0
    assert diag.loc[2, "development_T"] == pytest.approx(1 / 3)
    assert diag.loc[2, "coordination_D"] == pytest.approx(0.0)


def test_cells_without_walk_nodes_are_not_diagnosed():
    values = _values([0.0, 10.0, 5.0], [10.0, 0.0, 5.0], [1.0, 2.0, 3.0])
    diag, _ = diagnose_cells(values, np.array([True, False, True]), replace(SETTINGS, log_transform=False))
    assert np.isnan(diag.loc[1, "coordination_D"]) and diag.loc[1, "lag_type"] is None
    # the reference set is the diagnosed cells only: cell 2 is now the max of industry
    assert diag.loc[2, "industry"] == pytest.approx(1.0)


def test_log_transform_changes_the_normalised_index_of_skewed_counts():
    values = _values([0.0, 9.0, 99.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    plain, _ = diagnose_cells(values, np.ones(3, bool), replace(SETTINGS, log_transform=False))
    logged, _ = diagnose_cells(values, np.ones(3, bool), SETTINGS)
    assert plain.loc[1, "industry"] == pytest.approx(9 / 99)
    assert logged.loc[1, "industry"] == pytest.approx(np.log(10) / np.log(100))


def test_couple_matches_the_classic_formula_by_hand():
    U = np.array([0.2, 0.4, 0.6])
    C, T, D = couple(U, SETTINGS)
    want_c = (0.2 * 0.4 * 0.6 / (0.4**3)) ** (1 / 3)
    assert C == pytest.approx(want_c)
    assert T == pytest.approx(0.4)
    assert D == pytest.approx(np.sqrt(want_c * 0.4))
    C2, _, _ = couple(U, replace(SETTINGS, coupling="wang2021"))
    assert 0 <= C2 <= 1 and C2 != pytest.approx(C)


def test_diagnosis_settings_are_checked(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[diagnosis]\ndisabled_indicators = ["green_shares"]\n')
    with pytest.raises(ConfigError, match="did you mean 'green_share'"):
        load_settings(cfg)
    cfg.write_text('[diagnosis]\nweight = "equal"\n')
    with pytest.raises(ConfigError, match="Did you mean 'weights'"):
        load_settings(cfg)
    cfg.write_text('[diagnosis]\nweights = "given"\nindicator_weights = { job_density = 1.0 }\n')
    with pytest.raises(ConfigError, match="needs indicator_weights"):
        load_settings(cfg)
    cfg.write_text('[diagnosis]\ncoupling = "wang2021"\nlog_transform = false\nlag_threshold = 0.2\n')
    s = load_settings(cfg).diagnosis
    assert (s.coupling, s.log_transform, s.lag_threshold) == ("wang2021", False, 0.2)


def test_every_subsystem_has_indicators_with_bilingual_labels():
    for sub in ("industry", "city", "people"):
        assert [i for i in INDICATORS if i.subsystem == sub]
    assert all(i.en and i.zh and i.direction in ("positive", "negative") for i in INDICATORS)


def test_ahp_weights_from_the_config_reach_the_diagnosis(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[diagnosis]\nweights = "ahp"\n'
        '[diagnosis.ahp.industry]\nindicators = ["job_density", "firms_15min"]\n'
        'matrix = [[1, 3], [0.3333, 1]]\n'
    )
    s = load_settings(cfg).diagnosis
    assert s.indicator_weights["job_density"] == pytest.approx(0.75, abs=1e-3)
    assert s.indicator_weights["workplace_floor_ratio"] == 0.0  # industry covered, not named
    assert s.indicator_weights["life_convenience"] == 1.0  # city not covered: equal
    values = pd.DataFrame({"job_density": [0.0, 10.0, 5.0], "firms_15min": [10.0, 0.0, 5.0],
                           "life_convenience": [1.0, 2.0, 3.0], "resident_density": [1.0, 2.0, 3.0]})
    diag, _ = diagnose_cells(values, np.ones(3, bool), replace(s, log_transform=False, scale="study_area"))
    assert diag["industry"].tolist() == pytest.approx([0.25, 0.75, 0.5], abs=1e-3)
    cfg.write_text(
        '[diagnosis]\nweights = "ahp"\n[diagnosis.ahp.city]\n'
        'indicators = ["life_convenience", "green_share", "park_access"]\n'
        'matrix = [[1, 9, 0.1111], [0.1111, 1, 9], [9, 0.1111, 1]]\n'
    )
    with pytest.raises(ConfigError, match="inconsistent"):
        load_settings(cfg)


def test_the_verdict_within_error_from_the_park_cells_equals_the_one_from_every_cell(osm_dir):
    """Under the reference scale the four error corners are diagnosed on the park's cells only; the
    verdict (lag types met, D range) is the one every cell gives, and it brackets the park's D."""

    a = assess(osm_dir / "berlin-adlershof.osm.gz", park="Humboldt-Universität Campus Adlershof",
               buffer_m=350)
    st = a.stages
    cells, values = st.sc.cells, st.dg.values
    has_nodes = cells["n_nodes"].to_numpy() > 0
    factors = {kind: st.quality.layers[kind].measures.get("error_factor") or 1.0
               for kind in ("jobs", "residents")}
    assert max(factors.values()) > 1  # estimated from buildings: the corners are checked
    settings = st.req.settings.diagnosis
    assert settings.scale == "reference"
    park_only = verdict_within_error(cells, values, has_nodes, settings, st.quality, factors)
    every = verdict_within_error(cells, values, has_nodes, settings, st.quality, factors,
                                 park_cells_only=False)
    assert park_only == every
    assert park_only["checked"] and park_only["lag_types"]
    low, high = park_only["coordination_D_range"]
    assert low <= a.summary.integration.coordination_D <= high
    assert park_only == a.summary.to_dict()["integration"]["within_error"]


def test_rediagnosing_the_changed_cells_equals_diagnosing_every_cell(osm_dir, monkeypatch):
    """Under the reference scale a scenario re-diagnoses only the cells whose indicators, layer
    statuses or walk nodes changed (and those left uncoupled): the same frame, values and dtypes,
    as diagnosing every cell; under the study-area scale every cell is diagnosed again."""
    a = assess(osm_dir / "berlin-adlershof.osm.gz", park="Humboldt-Universität Campus Adlershof",
               buffer_m=350)
    st = a.stages
    settings = st.req.settings.diagnosis
    valid = st.sc.cells["n_nodes"].to_numpy() > 0
    previous = PreviousDiagnosis(st.dg.values, valid, st.quality.cell_status, st.dg.cell_diagnosis,
                                 st.dg.model)
    values, status, new_valid = st.dg.values.copy(), st.quality.cell_status.copy(), valid.copy()
    rows = np.nonzero(valid)[0]
    values.loc[values.index[rows[:3]], "jobs_15min"] *= 2.0
    values.loc[values.index[rows[3]], "green_share"] = np.nan
    status.loc[status.index[rows[4]], "residents"] = "missing"
    new_valid[rows[5]] = False
    diagnosed: list[int] = []

    def counted(v: pd.DataFrame, *args: object) -> object:
        diagnosed.append(len(v))
        return diagnose_cells(v, *args)

    monkeypatch.setattr(integration, "diagnose_cells", counted)
    for scale in ("reference", "study_area"):
        s = replace(settings, scale=scale)
        prev = previous if scale == "reference" else replace(
            previous, diagnosis=diagnose_cells(st.dg.values, valid, s, st.quality.cell_status)[0])
        full, full_model = diagnose_cells(values, new_valid, s, status)
        diagnosed.clear()
        again, model = rediagnose_cells(values, new_valid, s, status, prev)
        assert (max(diagnosed) < len(values)) == (scale == "reference")  # only some cells, or all
        pd.testing.assert_frame_equal(again, full, check_exact=True)
        assert list(again.dtypes) == list(full.dtypes) and model == full_model
        assert not again.equals(prev.diagnosis)  # the change shows
