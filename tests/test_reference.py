"""The fixed reference scale (``[diagnosis] scale = "reference"``): loader, normaliser, the coupling
core under both scales, and D that does not move with the buffer on real extracts."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from parkscope import assess
from parkscope.diagnoses.fivepark import SCORECARD_BY_KEY
from parkscope.diagnoses.integration import INDICATORS, SUBSYSTEMS, active_indicators, coupled_indices
from parkscope.errors import ConfigError
from parkscope.measures.reference import (
    ScaledIndicator,
    load_reference,
    nan_weighted_index,
    parse_reference,
    scale_to_reference,
)
from parkscope.outputs.ccd import PanelSpec, coupling_panel
from parkscope.settings.config import DiagnosisSettings, load_settings

DATA = Path(__file__).resolve().parents[1].parent.parent / "shared" / "data" / "osm"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/osm")
REFERENCE = DiagnosisSettings()
STUDY_AREA = DiagnosisSettings(scale="study_area")
#: Two real sites of well-mapped extracts, each a few km across: a university campus in the WISTA
#: science park and a winery's industrial site by the Douro in Vila Nova de Gaia (Porto).
SITES = {
    "berlin": (DATA / "berlin-adlershof.osm.gz", {"park": "Humboldt-Universität Campus Adlershof"}),
    "porto": (DATA / "porto.osm.pbf", {"park": "Real Companhia Velha"}),
}


# ----------------------------------------------------------------------------------- the normaliser
def test_bounds_clip_log_and_direction():
    values = pd.DataFrame({"a": [0.0, 5.0, 10.0, 20.0, -1.0], "b": [0.0, 9.0, 99.0, 999.0, np.nan]})
    inds = [ScaledIndicator("a", "positive", False), ScaledIndicator("b", "negative", True)]
    out = scale_to_reference(values, inds, {"a": (5.0, 15.0), "b": (0.0, 99.0)})
    assert out["a"].tolist() == pytest.approx([0.0, 0.0, 0.5, 1.0, 0.0])  # clipped at both ends
    # log1p of x, lo and hi: log(10)/log(100) = 0.5; reversed for a cost
    assert out["b"].iloc[:4].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.0])
    assert np.isnan(out["b"].iloc[4])  # not measurable stays not measurable
    linear = scale_to_reference(values, inds, {"a": (5.0, 15.0), "b": (0.0, 99.0)}, log_transform=False)
    assert linear["b"].iloc[1] == pytest.approx(1 - 9 / 99)
    shifted = scale_to_reference(values, inds[:1], {"a": (5.0, 15.0)}, shift=0.01)
    assert shifted["a"].iloc[2] == pytest.approx(0.51)


def test_missing_or_bad_bounds_are_clear_errors():
    values = pd.DataFrame({"a": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="no reference bounds"):
        scale_to_reference(values, [ScaledIndicator("a", "positive", False)], {})
    with pytest.raises(ConfigError, match="lo < hi"):
        scale_to_reference(values, [ScaledIndicator("a", "positive", False)], {"a": (2.0, 2.0)})
    raw = {"version": "x", "date": "2026-12-01", "indicators": {"a": {"lo": 3, "hi": 1, "source": "s"}}}
    with pytest.raises(ConfigError, match="lo < hi"):
        parse_reference(raw, "test.toml")
    raw["indicators"]["a"] = {"lo": 0, "hi": 1}
    with pytest.raises(ConfigError, match="source"):
        parse_reference(raw, "test.toml")


def test_weights_are_renormalised_over_the_measured_indicators():
    norm = pd.DataFrame({"x": [1.0, 1.0, np.nan, np.nan], "y": [0.0, np.nan, 0.5, np.nan]})
    u = nan_weighted_index(norm, {"x": 3.0, "y": 1.0})
    assert u[:3] == pytest.approx([0.75, 1.0, 0.5])  # row 2: y alone, its weight renormalised to 1
    assert np.isnan(u[3])  # nothing measured: no index, not 0


# ----------------------------------------------------------------------------------- the shipped file
def test_the_shipped_reference_covers_every_indicator_with_a_source():
    ref = load_reference()
    assert ref.version and ref.date
    assert {i.key for i in INDICATORS} <= set(ref.bounds)
    for ind in INDICATORS:
        b = ref.bounds[ind.key]
        assert b.lo < b.hi and b.source.strip() and b.basis in ("standard", "natural", "quantile")
        assert b.subsystem == ind.subsystem
    for log in (True, False):
        w = ref.entropy_weights(log)
        for sub in SUBSYSTEMS:
            assert sum(w[i.key] for i in INDICATORS if i.subsystem == sub) == pytest.approx(1, abs=1e-5)
    # planning standards where they exist
    assert ref.bounds["jobs_housing_balance"].hi == pytest.approx(8 / 9, abs=1e-5)  # Cervero 0.8–1.25
    assert (ref.bounds["life_convenience"].lo, ref.bounds["life_convenience"].hi) == (0, 10)
    # built from real extracts that exist, each named with its completeness
    assert len(ref.areas) >= 3
    for area in ref.areas:
        assert (DATA / area["extract"]).is_file()
        assert area["cells"] > 10 and area["buildings_per_street_km"] >= 15


# ----------------------------------------------------------------------------------- the coupling core
def _values() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ref = load_reference()
    cols = {}
    for ind in INDICATORS:
        b = ref.bounds[ind.key]
        cols[ind.key] = rng.uniform(b.lo, b.hi * 1.2, 40)
    return pd.DataFrame(cols)


def test_reference_indices_of_a_row_do_not_depend_on_the_other_rows():
    values = _values()
    inds = list(INDICATORS)
    whole, whole_model = coupled_indices(values, inds, REFERENCE)
    part, part_model = coupled_indices(values.iloc[:5], inds, REFERENCE)
    assert part["D"].to_numpy() == pytest.approx(whole["D"].to_numpy()[:5])
    assert part_model.weights == whole_model.weights
    assert whole_model.scale == "reference"
    assert whole_model.reference_version == load_reference().version
    # today's study-area scale does depend on them
    sa_whole = coupled_indices(values, inds, STUDY_AREA)[0]["D"].to_numpy()[:5]
    sa_part = coupled_indices(values.iloc[:5], inds, STUDY_AREA)[0]["D"].to_numpy()
    assert np.abs(sa_whole - sa_part).max() > 0.05


def test_reference_u_is_the_weighted_mean_with_the_shipped_bounds_and_weights():
    values = _values().iloc[:3].reset_index(drop=True)
    inds = list(INDICATORS)
    out, _ = coupled_indices(values, inds, REFERENCE)
    ref = load_reference()
    w = ref.entropy_weights(True)
    for sub in SUBSYSTEMS:
        keys = [i for i in inds if i.subsystem == sub]
        total = 0.0
        for ind in keys:
            b = ref.bounds[ind.key]
            x, lo, hi = values[ind.key].to_numpy(), b.lo, b.hi
            if ind.log:
                x, lo, hi = np.log1p(x), np.log1p(lo), np.log1p(hi)
            total = total + w[ind.key] * np.clip((x - lo) / (hi - lo), 0, 1)
        assert out[f"U_{sub}"].to_numpy() == pytest.approx(total)
    equal, _ = coupled_indices(values, inds, replace(REFERENCE, weights="equal"))
    people = [i for i in inds if i.subsystem == "people"]
    scaled = scale_to_reference(values, [ScaledIndicator(i.key, i.direction, i.log) for i in people],
                                {i.key: (ref.bounds[i.key].lo, ref.bounds[i.key].hi) for i in people})
    assert equal["U_people"].to_numpy() == pytest.approx(scaled.mean(axis=1).to_numpy())


def test_nan_means_not_measurable_never_zero():
    values = _values().iloc[:4].reset_index(drop=True)
    inds = list(INDICATORS)
    full, _ = coupled_indices(values, inds, REFERENCE)
    values.loc[0, "job_density"] = np.nan  # one industry indicator missing: U from the other three
    for ind in INDICATORS:
        if ind.subsystem == "people":
            values.loc[1, ind.key] = np.nan  # the whole people side missing
    out, _ = coupled_indices(values, inds, REFERENCE)
    ref, w = load_reference(), load_reference().entropy_weights(True)
    rest = [i for i in inds if i.subsystem == "industry" and i.key != "job_density"]
    scaled = scale_to_reference(values.iloc[:1], [ScaledIndicator(i.key, i.direction, i.log) for i in rest],
                                {i.key: (ref.bounds[i.key].lo, ref.bounds[i.key].hi) for i in rest})
    expected = sum(w[i.key] * scaled[i.key].iloc[0] for i in rest) / sum(w[i.key] for i in rest)
    assert out["U_industry"].iloc[0] == pytest.approx(expected)
    assert out["U_industry"].iloc[0] != pytest.approx(full["U_industry"].iloc[0])
    assert np.isfinite(out["D"].iloc[0]) and out["lag_type"].iloc[0] != ""
    row = out.iloc[1]
    assert np.isnan(row["U_people"]) and np.isnan(row["C"]) and np.isnan(row["T"]) and np.isnan(row["D"])
    assert pd.isna(row["level"]) and row["class_en"] == "" and row["class_zh"] == "" and row["lag_type"] == ""
    assert out["U_industry"].iloc[1] == pytest.approx(full["U_industry"].iloc[1])  # the rest stays
    assert out.iloc[[2, 3]]["D"].to_numpy() == pytest.approx(full.iloc[[2, 3]]["D"].to_numpy())
    # under the study-area scale as well
    sa, _ = coupled_indices(values, inds, STUDY_AREA)
    assert np.isnan(sa["D"].iloc[1]) and np.isfinite(sa["D"].iloc[0])


def _todays_coupled_indices(values: pd.DataFrame, indicators, settings: DiagnosisSettings) -> pd.DataFrame:
    """The study-area coupling as parkscope computed it before the reference scale (ccd core)."""
    panel = pd.DataFrame({"row": np.arange(len(values))})
    used = []
    for ind in indicators:
        v = values[ind.key].to_numpy(dtype=np.float64)
        presence = float(np.mean(v > v.min()))
        if presence == 0 or presence < settings.min_presence:
            continue
        panel[ind.key] = np.log1p(np.maximum(v, 0)) if (ind.log and settings.log_transform) else v
        used.append(ind)
    spec = PanelSpec(
        id_column="row",
        indicators={i.key: {"subsystem": i.subsystem, "direction": i.direction,
                            "weight": settings.indicator_weights.get(i.key, 1.0)} for i in used},
        weights=settings.weights, entropy_scope="subsystem", shift=settings.shift,
        coupling=settings.coupling, coupling_exponent=settings.coupling_exponent,
        lag_threshold=settings.lag_threshold, subsystems=SUBSYSTEMS,
    )
    return coupling_panel(panel, spec)


# ----------------------------------------------------------------------------------- real extracts
def _assess(site: str, buffer_m: float, config: Path | None = None):
    logging.disable(logging.WARNING)
    try:
        extract, where = SITES[site]
        return assess(extract, buffer_m=buffer_m, config=config, **where)
    finally:
        logging.disable(logging.NOTSET)


@pytest.fixture(scope="module")
def runs() -> dict[tuple[str, float], dict]:
    """The integration block of each site at 2, 3 and 4 km under the default scale, and the cells."""
    out = {}
    for site in SITES:
        for buffer_m in (2000.0, 3000.0, 4000.0):
            a = _assess(site, buffer_m)
            out[(site, buffer_m)] = {"integration": a.summary.to_dict()["integration"], "cells": a.cells,
                                     "five_park": a.summary.to_dict()["five_park"]}
    return out


def test_study_area_scale_gives_todays_results_on_real_cells(runs):
    cells = runs[("berlin", 4000.0)]["cells"]
    values = pd.DataFrame(cells[[i.key for i in INDICATORS]]).loc[cells["n_nodes"] > 0].reset_index(drop=True)
    assert values.notna().all().all()
    inds = active_indicators(values, STUDY_AREA)
    for settings in (STUDY_AREA, replace(STUDY_AREA, weights="equal", coupling="wang2021")):
        ours, ours_model = coupled_indices(values, inds, settings)
        today = _todays_coupled_indices(values, inds, settings)
        for col in ("U_industry", "U_city", "U_people", "C", "T", "D"):
            assert ours[col].to_numpy() == pytest.approx(today[col].to_numpy(), abs=1e-9)
        assert ours["level"].astype(int).tolist() == today["level"].tolist()
        assert ours_model.weights == today.attrs["weights"]


@pytest.mark.parametrize("site", list(SITES))
def test_d_and_lag_type_do_not_move_with_the_buffer(runs, site):
    got = {b: runs[(site, b)]["integration"] for b in (2000.0, 3000.0, 4000.0)}
    for b, ig in got.items():
        print(f"{site} {b:.0f} m: D = {ig['coordination_D']}, lag = {ig['lag_type']}, U = "
              f"{ig['industry']}/{ig['city']}/{ig['people']}, cells = {ig['cells_diagnosed']}")
        assert ig["model"]["indicator_weights"] == got[2000.0]["model"]["indicator_weights"]
    ds = [ig["coordination_D"] for ig in got.values()]
    assert all(d is not None and 0 < d < 1 for d in ds)
    assert max(ds) - min(ds) <= 0.05
    assert len({ig["lag_type"] for ig in got.values()}) == 1
    # the study areas differ: the larger buffers diagnose more cells
    assert got[2000.0]["cells_diagnosed"] < got[4000.0]["cells_diagnosed"]


def test_the_study_area_scale_moves_with_the_buffer_where_the_reference_does_not(runs, tmp_path):
    # what the default removes: at Porto's winery site today's scale flips the verdict between a
    # 1 km and a 4 km buffer
    cfg = tmp_path / "study_area.toml"
    cfg.write_text('[diagnosis]\nscale = "study_area"\n')
    near, far = _assess("porto", 1000.0, cfg), _assess("porto", 4000.0, cfg)
    d_near = near.summary.to_dict()["integration"]["coordination_D"]
    d_far = far.summary.to_dict()["integration"]["coordination_D"]
    assert abs(d_near - d_far) > 0.05
    ref_near = _assess("porto", 1000.0).summary.to_dict()["integration"]["coordination_D"]
    assert abs(ref_near - runs[("porto", 4000.0)]["integration"]["coordination_D"]) < 0.02


def test_five_park_bounds_from_the_reference_cells_tell_real_parks_apart(runs):
    ref = load_reference().bounds
    card = SCORECARD_BY_KEY
    # the scorecard's reference bounds are the diagnosis's (p5 / p95 of the reference cells)
    assert (card["intersection_density_park"].zero, card["intersection_density_park"].full) == (
        pytest.approx(ref["intersection_density"].lo, abs=0.5),
        pytest.approx(ref["intersection_density"].hi, abs=0.5),
    )
    assert card["job_density_park"].full == pytest.approx(ref["job_density"].hi / 100, abs=0.5)  # per ha
    assert card["innovation_sites_15min"].full == pytest.approx(ref["innovation_sites_15min"].hi, abs=0.5)
    # with 0–80 per km² every urban park read open 99–100; now a campus and a winery site differ
    # from each other and from a dense old town
    opens = {site: runs[(site, 2000.0)]["five_park"]["open"] for site in SITES}
    density = {site: o["indicators"]["intersection_density_park"]["value"] for site, o in opens.items()}
    assert all(o["score"] < 90 for o in opens.values())
    assert density["porto"] > density["berlin"]
    assert opens["porto"]["score"] > opens["berlin"]["score"]


# ----------------------------------------------------------------------------------- settings
_UNITS = '[diagnosis.user_indicators.units]\ntable = "u.csv"\nsubsystem = "city"\n'


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[diagnosis]\nscale = "study-area"\n', "diagnosis.scale must be one of reference, study_area"),
        (_UNITS, "need lo and hi"),  # a user indicator has no shipped bounds
        (_UNITS + "lo = 5\nhi = 1\n", "lo < hi"),
    ],
)
def test_scale_settings_are_checked(tmp_path, toml, message):
    cfg = tmp_path / "c.toml"
    cfg.write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings(cfg)


def test_user_indicators_take_bounds_or_the_study_area_scale(tmp_path):
    assert load_settings().diagnosis.scale == "reference"
    cfg = tmp_path / "c.toml"
    cfg.write_text('[diagnosis]\nscale = "study_area"\n' + _UNITS)
    assert load_settings(cfg).diagnosis.user_indicators["units"]["lo"] is None
    cfg.write_text(_UNITS + "lo = 0\nhi = 20\n")
    assert load_settings(cfg).diagnosis.user_indicators["units"]["hi"] == 20.0
