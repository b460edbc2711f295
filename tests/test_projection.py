"""parkscope project: the stock–flow feedback loop (planning/projection.py) on a real assessment."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pysd
import pytest

from parkscope.assessment import assess
from parkscope.cli import main
from parkscope.errors import InputError
from parkscope.planning.projection import (
    FLOWS,
    STOCKS,
    _reference_constants,
    calibrate,
    load_model,
    project,
    read_panel,
    simulate,
    state_from_outdir,
    yearly_integration,
)

BENCH = Path(__file__).resolve().parents[1] / "bench" / "projection.py"


@pytest.fixture(scope="module")
def outdir(osm_dir, tmp_path_factory):
    """The Humboldt-Universität campus in Berlin-Adlershof, assessed (jobs, residents, floor space)."""
    out = tmp_path_factory.mktemp("assess") / "campus"
    a = assess(osm_dir / "berlin-adlershof.osm.gz", park="Humboldt-Universität Campus Adlershof",
               buffer_m=350)
    a.write(out, report=False)
    return out


def with_more_amenities(outdir, dest, n: int, category: str = "dining"):
    """A copy of OUTDIR with ``n`` more amenities of a category (the stocks a scenario would start from)."""
    shutil.copytree(outdir, dest)
    amen = pd.read_parquet(dest / "amenities.parquet")
    same = amen[amen["category"] == category]
    extra = same.iloc[np.arange(n) % len(same)]
    pd.concat([amen, extra], ignore_index=True).to_parquet(dest / "amenities.parquet")
    return dest


def test_initial_stocks_come_from_the_assessment(outdir):
    state, summary = state_from_outdir(outdir)
    amen = pd.read_parquet(outdir / "amenities.parquet")
    cells = pd.read_parquet(outdir / "cells.parquet")
    assert state.jobs == summary.integration.jobs > 0
    assert state.residents == summary.integration.residents > 0
    assert state.amenities + state.public_amenities == len(amen)
    sustained = ["dining", "groceries", "shopping", "pharmacy", "services", "sports", "lodging"]
    assert state.amenities == amen["category"].isin(sustained).sum()
    assert state.workplace_floor == pytest.approx(cells["workplace_floor_m2"].sum())
    assert state.housing_floor == pytest.approx(cells["housing_floor_m2"].sum())
    assert json.loads((outdir / "summary.json").read_text())["integration"]["status"] == "ok"


def test_steady_state_without_change(outdir):
    p = project(outdir, 10, runs=20, seed=1)
    t = p.table
    for s in STOCKS:
        assert np.allclose(t[s], t[s].iloc[0], rtol=1e-12, atol=0)
        assert np.allclose(t[f"{s}_p5"], t[s].iloc[0], rtol=1e-12)
        assert np.allclose(t[f"{s}_p95"], t[s].iloc[0], rtol=1e-12)
    assert t["coordination_D"].nunique() == 1
    integ = state_from_outdir(outdir)[1].integration
    # year 0 is the diagnosis of the assessment, through the same formulas
    assert t["coordination_D"].iloc[0] == pytest.approx(integ.coordination_D, abs=1e-4)
    assert t["lag_type"].iloc[0] == integ.lag_type and t["lagging"].iloc[0] == integ.lagging
    assert t["class_en"].iloc[0] == integ.class_.en
    assert list(t["year"]) == list(range(2023, 2034))  # the extract's OSM timestamp year, then on


def test_stocks_change_only_by_their_flows(outdir):
    model = load_model()
    ref, _ = state_from_outdir(outdir)
    params = {**_reference_constants(ref), **{f"initial_{s}": v for s, v in ref.values().items()},
              "initial_amenities": ref.amenities * 1.5, "initial_jobs": ref.jobs * 0.8,
              "industry_growth_rate": 0.02}
    run = simulate(model, params, 10, every_step=True, columns=[*STOCKS, *FLOWS.values()])
    assert len(run) == 10 / model.dt + 1
    for stock, flow in FLOWS.items():
        s, f = run[stock].to_numpy(), run[flow].to_numpy()
        assert np.abs(np.diff(s) - model.dt * f[:-1]).max() <= 1e-9 * np.abs(s).max()
        assert s[-1] - s[0] == pytest.approx(model.dt * f[:-1].sum(), rel=1e-12)
        assert np.abs(f).max() > 0  # every stock moved


def test_monotone_response_to_more_amenities(outdir, tmp_path):
    ends = []
    for n in (0, 5, 15, 40):
        scen = with_more_amenities(outdir, tmp_path / f"plus{n}", n)
        t = project(outdir, 10, scenario=scen, runs=0).table
        assert t["amenities"].iloc[0] == state_from_outdir(outdir)[0].amenities + n
        ends.append(t.iloc[-1])
    ends = pd.DataFrame(ends)
    for s in STOCKS:
        assert (np.diff(ends[s].to_numpy()) > 0).all(), s
    assert (np.diff(ends["city"].to_numpy()) > 0).all()
    # public amenities (a park) are not sustained by spending: they stay and keep drawing people
    parks = project(outdir, 10, scenario=with_more_amenities(outdir, tmp_path / "parks", 5, "parks"), runs=0)
    assert parks.table["jobs"].iloc[-1] > ends["jobs"].iloc[0]
    assert parks.table["residents"].iloc[-1] > ends["residents"].iloc[0]
    public0 = state_from_outdir(outdir)[0].public_amenities
    assert parks.summary["initial_stocks"]["public_amenities"] == public0 + 5


def test_calibration_recovers_known_parameters(outdir, tmp_path):
    model = load_model()
    ref, _ = state_from_outdir(outdir)
    base = {**model.constants, **_reference_constants(ref)}
    true = {"industry_growth_rate": 0.03, "amenity_elasticity": 0.6, "amenity_adjustment_time": 3.0}
    start = {f"initial_{s}": v for s, v in ref.values().items()}
    start.update(initial_jobs=ref.jobs * 0.9, initial_amenities=ref.amenities * 0.7)
    run = simulate(model, {**base, **true, **start}, 12, columns=["jobs", "residents", "amenities"])
    panel = run.reset_index(drop=True)
    panel.insert(0, "year", 2011 + np.arange(len(panel)))
    path = tmp_path / "panel.csv"
    panel.to_csv(path, index=False)
    fitted = calibrate(model, read_panel(path), base, ref)
    for k, v in true.items():
        assert fitted.params[k] == pytest.approx(v, rel=1e-6), k
    assert all(f["r2"] > 0.999999 for f in fitted.fit.values())
    # through project(): the fit is reported, the calibrated values run the projection
    p = project(outdir, 5, panel=path, runs=0)
    cal = p.summary["calibration"]
    assert cal["parameters"]["amenity_elasticity"] == pytest.approx(0.6, rel=1e-6)
    assert set(cal["fit"]) == {"jobs", "residents", "amenities"}
    assert p.summary["parameters"]["industry_growth_rate"]["basis"] == "calibrated"
    assert p.table["workplace_floor"].iloc[-1] > p.table["workplace_floor"].iloc[0]  # the fitted 3 % trend


def test_the_same_seed_gives_the_same_bands(outdir, tmp_path):
    scen = with_more_amenities(outdir, tmp_path / "plus20", 20)
    a = project(outdir, 8, scenario=scen, runs=30, seed=3).table
    b = project(outdir, 8, scenario=scen, runs=30, seed=3).table
    c = project(outdir, 8, scenario=scen, runs=30, seed=4).table
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["jobs_p95"], c["jobs_p95"])
    last = a.iloc[-1]
    assert last["coordination_D_p5"] <= last["coordination_D_p50"] <= last["coordination_D_p95"]
    for s in STOCKS:
        assert last[f"{s}_p5"] <= last[f"{s}_p50"] <= last[f"{s}_p95"]
    assert last["jobs_p95"] > last["jobs_p5"]


def test_cli_writes_an_editable_model_that_runs_again(outdir, tmp_path):
    scen = with_more_amenities(outdir, tmp_path / "plus10", 10)
    proj = tmp_path / "proj"
    assert main(["project", str(outdir), "--years", "6", "--scenario", str(scen), "--runs", "10",
                 "-o", str(proj)]) == 0
    assert sorted(p.name for p in proj.iterdir()) == ["projection.csv", "projection.xmile", "report.html",
                                                      "summary.json"]
    table = pd.read_csv(proj / "projection.csv")
    assert {"year", "jobs", "jobs_p5", "jobs_p50", "jobs_p95", "coordination_D", "class_en",
            "lag_type"} <= set(table.columns)
    report = (proj / "report.html").read_text(encoding="utf-8")
    assert "What-if tool" in report and "amenity_elasticity" in report and "data:image/png;base64," in report
    # the written model holds this park's state: PySD alone reproduces the central run
    sd = pysd.read_xmile(str(proj / "projection.xmile"))
    again = sd.run(return_columns=list(STOCKS), return_timestamps=list(range(7)), progress=False)
    for s in STOCKS:
        np.testing.assert_allclose(again[s].to_numpy(), table[s].to_numpy(), rtol=1e-5)
    # and parkscope runs an edited copy: a stronger pull of amenities gives more jobs
    edited = tmp_path / "edited.xmile"
    text = (proj / "projection.xmile").read_text(encoding="utf-8")
    edited.write_text(text.replace('<aux name="amenity_elasticity"><eqn>0.3</eqn>',
                                   '<aux name="amenity_elasticity"><eqn>0.9</eqn>'), encoding="utf-8")
    assert edited.read_text(encoding="utf-8") != text
    p = project(outdir, 6, scenario=scen, runs=0, model_path=edited)
    assert p.table["jobs"].iloc[-1] > table["jobs"].iloc[-1]


def test_bad_input_is_refused_before_any_output(outdir, tmp_path, capsys):
    bad_panel = tmp_path / "bad_panel.csv"
    bad_panel.write_text("year,jobs,gdp\n2020,1,2\n2021,1,2\n2022,1,2\n")
    not_assessed = tmp_path / "not_assessed"
    not_assessed.mkdir()
    (not_assessed / "notes.txt").write_text("x")
    not_xmile = tmp_path / "model.xmile"
    not_xmile.write_text("stock jobs = 1")
    no_stocks = tmp_path / "empty.xmile"
    no_stocks.write_text('<xmile xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"><model/></xmile>')
    cases = [
        (["--years", "0"], "--years"),
        (["--years", "5", "--model", str(not_xmile)], "not XMILE"),
        (["--years", "5", "--model", str(no_stocks)], "lacks jobs, residents"),
        (["--years", "-3"], "--years"),
        (["--years", "5", "--panel", str(bad_panel)], "gdp"),
        (["--years", "5", "--scenario", str(not_assessed)], "not a `parkscope assess` result"),
    ]
    for i, (args, words) in enumerate(cases):
        out = tmp_path / f"proj{i}"
        assert main(["project", str(outdir), *args, "-o", str(out)]) == 2
        assert words in capsys.readouterr().err
        assert not out.exists()
    out = tmp_path / "proj_na"
    assert main(["project", str(not_assessed), "--years", "5", "-o", str(out)]) == 2
    assert "not a `parkscope assess` result" in capsys.readouterr().err and not out.exists()
    with pytest.raises(InputError, match="at least three"):
        short = tmp_path / "short.csv"
        short.write_text("year,jobs\n2020,1\n2021,2\n")
        read_panel(short)


def test_pysd_runs_the_documented_equations(capsys):
    """bench/projection.py: PySD's run of the XMILE file equals the equations written out in NumPy."""
    spec = importlib.util.spec_from_file_location("bench_projection", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--runs", "4", "--years", "6", "--seed", "2"]) == 0
    result = dict(kv.split("=", 1) for kv in capsys.readouterr().out.splitlines()[-1].split()[1:])
    assert float(result["max_rel_diff"]) < 1e-12
    assert float(result["calibration_rel_err"]) < 1e-6


def test_no_yearly_verdict_where_the_assessment_gave_none(outdir):
    ref, summary = state_from_outdir(outdir)
    stocks = pd.DataFrame({s: [v, v * 1.1] for s, v in ref.values().items()})
    ok = yearly_integration(stocks, ref, summary.integration)
    assert ok["coordination_D"].notna().all() and ok["industry"].iloc[1] > ok["industry"].iloc[0]
    unknown = summary.integration.model_copy(update={"status": "insufficient_data", "industry": None})
    none = yearly_integration(stocks, ref, unknown)
    assert none["coordination_D"].isna().all() and none["lag_type"].isna().all()
