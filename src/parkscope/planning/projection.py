"""The feedback loop over years: industry → jobs → people → spending → amenities → talent → industry.

A stock–flow model in XMILE (``data/projection.xmile``: open it in Stella, Simlin or PySD and edit
it) run with PySD (docs/decisions.md). Stocks: jobs, residents, spending-sustained amenities,
workplace and housing floor space. The reference state is the assessed park (an ``assess``
OUTDIR); every flow is zero there, so the park stays as it is unless a scenario (``--scenario
OUTDIR2``) changes the stocks it starts from or a trend growth rate (given or calibrated to a yearly
panel) moves it. Monte-Carlo runs over the uncertain parameters (``data/projection.toml``) give
seeded bands; the yearly industry / city / people sub-indices follow the stocks and go through the
diagnosis' coupling coordination formulas (:mod:`parkscope.measures.indices`). Equations, defaults and
sources: docs/projection.md. A what-if tool, not a forecast.
"""

from __future__ import annotations

import base64
import html
import io
import math
import tempfile
import tomllib
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from parkscope._version import __version__
from parkscope.diagnoses.integration import jobs_housing_balance, weakest_subsystem
from parkscope.errors import InputError
from parkscope.files.io import atomic_output_dir, write_json
from parkscope.measures.indices import (
    coordination,
    coordination_class,
    coupling_classic,
    coupling_wang2021,
    development_index,
    lag_type,
)
from parkscope.measures.reference import ScaledIndicator, load_reference, scale_to_reference
from parkscope.settings.summary import DiagnosisModel, Integration, Summary, read_summary
from parkscope.settings.vocabulary import SUBSYSTEMS

__all__ = [
    "STOCKS",
    "Calibration",
    "Model",
    "Projection",
    "StockState",
    "calibrate",
    "calibration_bounds",
    "load_model",
    "monte_carlo",
    "project",
    "read_panel",
    "simulate",
    "state_from_outdir",
    "uncertain_ranges",
    "yearly_integration",
]

#: The stocks of the model, in the order of projection.csv.
STOCKS: tuple[str, ...] = ("jobs", "residents", "amenities", "workplace_floor", "housing_floor")
#: The net flow of each stock (the model file's only inflow of it).
FLOWS: dict[str, str] = {
    "jobs": "job_change",
    "residents": "resident_change",
    "amenities": "amenity_change",
    "workplace_floor": "workplace_construction",
    "housing_floor": "housing_construction",
}
#: Amenity categories that live on local spending; the others (parks, transit, education, health
#: care, childcare, culture) are held fixed as ``public_amenities`` (docs/projection.md).
SPENDING_CATEGORIES: frozenset[str] = frozenset(
    {"dining", "groceries", "shopping", "pharmacy", "services", "sports", "lodging"}
)
#: Values the model derives from the reference state (reported in summary.json).
DERIVED: tuple[str, ...] = (
    "sales_per_amenity", "amenity_job_share", "job_linked_share", "reference_spending",
)
MODEL_FILE = "projection.xmile"
_SETTINGS_FILE = "projection.toml"
_XMILE_NS = "http://docs.oasis-open.org/xmile/ns/XMILE/v1.0"
_NS = {"x": _XMILE_NS}
_BANDS = (5, 50, 95)
WHAT_IF = (
    "A what-if tool, not a forecast: it shows how the industry–jobs–people–spending–amenities loop "
    "would answer a change, under the assumptions listed, starting from the assessed park."
)


# ------------------------------------------------------------------------------------------ the state
@dataclass(frozen=True)
class StockState:
    """The stocks of one assessed park (or scenario) and where each value came from."""

    jobs: float
    residents: float
    amenities: float
    workplace_floor: float
    housing_floor: float
    public_amenities: float
    notes: tuple[str, ...] = ()

    def values(self) -> dict[str, float]:
        """Stock name -> value."""
        return {name: float(getattr(self, name)) for name in STOCKS}


def integration_of(summary: Summary, source: str | Path = "summary.json") -> Integration:
    """The summary's ``integration`` block (an InputError when the assessment has none)."""
    if summary.integration is None:
        raise InputError(
            f"{source} has no `integration` block, so it is not an assessment parkscope can project "
            "(or it comes from an older parkscope); re-run `parkscope assess` for it."
        )
    return summary.integration


def _read_summary(outdir: Path, what: str) -> Summary:
    path = Path(outdir) / "summary.json"
    if not Path(outdir).is_dir() or not path.is_file():
        raise InputError(
            f"{what} {outdir} is not a `parkscope assess` result (no summary.json in it); give the -o "
            f"folder of an assessment, e.g. `parkscope assess EXTRACT --park NAME -o {outdir}`."
        )
    summary = read_summary(path)  # an InputError naming the file and the key when it is not a summary
    integration_of(summary, path)
    for name in ("amenities.parquet", "cells.parquet"):
        if not (Path(outdir) / name).is_file():
            raise InputError(
                f"{what} {outdir} lacks {name}, so it is not a whole `parkscope assess` result; "
                "re-run the assessment into an empty folder."
            )
    return summary


def state_from_outdir(outdir: str | Path, *, what: str = "OUTDIR") -> tuple[StockState, Summary]:
    """Read the stocks of an ``assess`` OUTDIR.

    Jobs and residents are ``integration.jobs`` / ``residents`` (the catchment of the park);
    amenities are counted in ``amenities.parquet`` (spending-sustained categories apart from the
    public ones); floor space is the sum of ``workplace_floor_m2`` / ``housing_floor_m2`` over
    ``cells.parquet`` where the assessment has them.

    Parameters
    ----------
    outdir : str or Path
        The folder ``parkscope assess`` wrote.
    what : str
        How error messages name the folder.

    Returns
    -------
    StockState, Summary
        The stocks and the summary.json of the assessment (:func:`parkscope.settings.summary.read_summary`).

    Raises
    ------
    InputError
        The folder is not an assessment result, or it has neither jobs nor residents.
    """
    outdir = Path(outdir)
    summary = _read_summary(outdir, what)
    integ = integration_of(summary)
    notes: list[str] = []
    jobs, residents = integ.jobs, integ.residents
    if not jobs and not residents:
        raise InputError(
            f"{what} {outdir} has neither jobs nor residents in summary.json (integration.jobs / "
            "residents), so the loop has nothing to start from; assess with --jobs / --residents tables "
            "or in an extract with mapped buildings."
        )
    amen = pd.read_parquet(outdir / "amenities.parquet", columns=["category"])
    spending = int(amen["category"].isin(SPENDING_CATEGORIES).sum())
    public = int(len(amen) - spending)
    cells = pd.read_parquet(outdir / "cells.parquet")
    floors = {}
    for stock, col, count in (("workplace_floor", "workplace_floor_m2", jobs),
                              ("housing_floor", "housing_floor_m2", residents)):
        total = float(cells[col].fillna(0).sum()) if col in cells.columns else 0.0
        if total <= 0:
            # no floor space measured: the stock in units of the head-count it houses (relative model)
            total = float(max(count or 0, 1))
            notes.append(f"{col} not measured in {outdir}: {stock} is counted in {stock.split('_')[0]} "
                         "equivalents (the model uses it only relative to its reference).")
        floors[stock] = total
    state = StockState(
        jobs=float(jobs or 0.0), residents=float(residents or 0.0), amenities=float(spending),
        workplace_floor=floors["workplace_floor"], housing_floor=floors["housing_floor"],
        public_amenities=float(public), notes=tuple(notes),
    )
    return state, summary


def _reference_constants(ref: StockState) -> dict[str, float]:
    """The model's ``reference_*`` constants; zero stocks become 1 so that ratios stay defined."""
    out = {f"reference_{s}": max(v, 1.0) for s, v in ref.values().items()}
    out["reference_public_amenities"] = out["public_amenities"] = ref.public_amenities
    return out


def _initial_constants(start: StockState) -> dict[str, float]:
    return {f"initial_{s}": v for s, v in start.values().items()}


# ------------------------------------------------------------------------------------------ the model
@dataclass
class Model:
    """A loaded XMILE model: its text, its constants (name -> default) and the PySD model."""

    text: str
    constants: dict[str, float]
    docs: dict[str, str]
    start: float
    dt: float
    sd: Any = field(repr=False)
    source: str = MODEL_FILE


def _constants(root: ET.Element) -> tuple[dict[str, float], dict[str, str]]:
    consts: dict[str, float] = {}
    docs: dict[str, str] = {}
    for aux in root.iterfind(".//x:variables/x:aux", _NS):
        eqn = (aux.findtext("x:eqn", default="", namespaces=_NS) or "").strip()
        try:
            value = float(eqn)
        except ValueError:
            continue
        name = aux.get("name", "").strip().lower().replace(" ", "_")
        consts[name] = value
        docs[name] = (aux.findtext("x:doc", default="", namespaces=_NS) or "").strip()
    return consts, docs


def load_model(path: str | Path | None = None) -> Model:
    """Read an XMILE model (default: the shipped ``data/projection.xmile``) and load it with PySD.

    Parameters
    ----------
    path : str or Path, optional
        An edited copy of the model (for example PROJDIR/projection.xmile). It must keep the five
        stocks, their net flows and the ``reference_*`` / ``initial_*`` constants.

    Raises
    ------
    InputError
        The file is missing, not XMILE, or lacks a stock, flow or constant parkscope sets.
    """
    if path is None:
        text = resources.files("parkscope").joinpath("data", MODEL_FILE).read_text(encoding="utf-8")
        source = MODEL_FILE
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"Model file {p} does not exist; give an XMILE file, e.g. PROJDIR/{MODEL_FILE}.")
        text, source = p.read_text(encoding="utf-8"), str(p)
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise InputError(
            f"Model file {source} is not XMILE ({exc}); start from PROJDIR/{MODEL_FILE}."
        ) from exc
    consts, docs = _constants(root)
    names = {v.get("name", "").lower() for v in root.iterfind(".//x:variables/*", _NS)}
    needed = [*STOCKS, *FLOWS.values(), *(f"reference_{s}" for s in STOCKS),
              *(f"initial_{s}" for s in STOCKS), "public_amenities", "reference_public_amenities"]
    missing = [n for n in needed if n not in names]
    if missing:
        raise InputError(
            f"Model file {source} lacks {', '.join(missing)}: parkscope sets and reads these; keep them "
            f"when editing (compare with the shipped {MODEL_FILE})."
        )
    specs = root.find("x:sim_specs", _NS)
    start = float(specs.findtext("x:start", default="0", namespaces=_NS)) if specs is not None else 0.0
    dt = float(specs.findtext("x:dt", default="1", namespaces=_NS)) if specs is not None else 1.0
    # PySD (with xarray) takes seconds to import: loaded here, not at the top, so that every other
    # parkscope command starts without it.
    import pysd

    with tempfile.TemporaryDirectory(prefix="parkscope-xmile-") as tmp:
        copy = Path(tmp) / MODEL_FILE
        copy.write_text(text, encoding="utf-8")
        try:
            sd = pysd.read_xmile(str(copy))
        except Exception as exc:  # PySD raises many kinds on a model it cannot translate
            raise InputError(f"PySD cannot translate the model {source}: {exc}") from exc
    return Model(text=text, constants=consts, docs=docs, start=start, dt=dt, sd=sd, source=source)


def simulate(
    model: Model, params: Mapping[str, float], years: int, *, every_step: bool = False,
    columns: Sequence[str] = STOCKS,
) -> pd.DataFrame:
    """One run of the model for ``years`` years.

    Parameters
    ----------
    model : Model
    params : mapping
        Values of the model's constants; those not given keep the file's values.
    years : int
    every_step : bool
        Return every time step (``dt``) instead of whole years.
    columns : sequence of str
        Model variables to return.

    Returns
    -------
    DataFrame
        Index ``t`` (years since the start), one column per variable.
    """
    values = {**model.constants, **{k: float(v) for k, v in params.items()}}
    unknown = sorted(set(params) - set(model.constants))
    if unknown:
        raise InputError(f"Unknown model parameter(s) {', '.join(unknown)}; the model's constants are "
                         f"{', '.join(sorted(model.constants))}.")
    n = round(years / model.dt) if every_step else years
    step = model.dt if every_step else 1.0
    stamps = [model.start + i * step for i in range(n + 1)]
    with warnings.catch_warnings():  # PySD's own pandas deprecations, once per run: not the user's concern
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pysd\b")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pysd\b")
        out = model.sd.run(
            params=values, initial_condition="original", return_columns=list(columns),
            return_timestamps=stamps, final_time=model.start + years, progress=False,
        )
    out.index = np.round(out.index.to_numpy(dtype=np.float64) - model.start, 9)
    out.index.name = "t"
    return out[list(columns)].astype(np.float64)


# --------------------------------------------------------------------------------- settings (ranges)
def _settings() -> dict[str, Any]:
    raw = resources.files("parkscope").joinpath("data", _SETTINGS_FILE).read_text(encoding="utf-8")
    return tomllib.loads(raw)


def uncertain_ranges() -> dict[str, tuple[float, float]]:
    """Parameter -> (low, high) of the uniform Monte-Carlo ranges in ``data/projection.toml``."""
    return {k: (float(v["low"]), float(v["high"])) for k, v in _settings()["uncertain"].items()}


def calibration_bounds() -> dict[str, tuple[float, float]]:
    """Parameter -> (low, high) fitted by :func:`calibrate` by default."""
    return {k: (float(v["low"]), float(v["high"])) for k, v in _settings()["calibrate"].items()}


# -------------------------------------------------------------------------------------- calibration
@dataclass(frozen=True)
class Calibration:
    """Fitted parameters and the fit per series (RMSE in the series' units, R²)."""

    params: dict[str, float]
    fit: dict[str, dict[str, float]]
    years: tuple[int, ...]
    cost: float
    nfev: int


def read_panel(path: str | Path) -> pd.DataFrame:
    """Read a yearly panel CSV: ``year`` and one or more stock columns (``jobs``, ``residents``,
    ``amenities``, ``workplace_floor``, ``housing_floor``), at least three years.

    Raises
    ------
    InputError
        Missing file or ``year`` column, unknown columns, fewer than three rows, repeated or
        non-integer years, or values that are not positive numbers.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"Panel {p} does not exist; give a CSV with a `year` column and stock columns.")
    try:
        panel = pd.read_csv(p)
    except (OSError, ValueError) as exc:
        raise InputError(f"Cannot read the panel {p} as CSV ({exc}).") from exc
    if "year" not in panel.columns:
        raise InputError(f"Panel {p} has no `year` column; name the column of years `year`.")
    unknown = [c for c in panel.columns if c != "year" and c not in STOCKS]
    if unknown:
        raise InputError(
            f"Panel {p} has unknown column(s) {', '.join(map(str, unknown))}; allowed are year and "
            f"{', '.join(STOCKS)} (rename or drop the others)."
        )
    if len(panel.columns) < 2:
        raise InputError(f"Panel {p} has only `year`; add at least one of {', '.join(STOCKS)}.")
    if len(panel) < 3:
        raise InputError(f"Panel {p} has {len(panel)} row(s); calibration needs at least three years.")
    years = pd.to_numeric(panel["year"], errors="coerce")
    if years.isna().any() or (years % 1 != 0).any() or years.duplicated().any():
        raise InputError(f"Panel {p}: `year` must hold distinct whole years; fix the rows that do not.")
    values = panel.drop(columns="year").apply(pd.to_numeric, errors="coerce")
    if not np.isfinite(values.to_numpy(dtype=np.float64)).all() or (values <= 0).to_numpy().any():
        raise InputError(
            f"Panel {p}: every stock value must be a positive number (no blanks); fix those cells."
        )
    out = values.astype(np.float64)
    out.insert(0, "year", years.astype(int))
    return out.sort_values("year").reset_index(drop=True)


def _fit_stats(obs: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    resid = obs - pred
    ss_tot = float(((obs - obs.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    return {"rmse": float(np.sqrt((resid**2).mean())), "r2": r2}


def calibrate(
    model: Model, panel: pd.DataFrame, base: Mapping[str, float], reference: StockState,
    *, bounds: Mapping[str, tuple[float, float]] | None = None,
) -> Calibration:
    r"""Fit parameters to a yearly panel by least squares (``scipy.optimize.least_squares``).

    The run starts at the panel's first year from its first row (stocks the panel lacks start at
    the reference) and minimises :math:`\sum (\hat y_{s,t} / y_{s,t} - 1)^2` over the series and
    years, so that series of different units weigh alike.

    Parameters
    ----------
    model : Model
    panel : DataFrame
        From :func:`read_panel`.
    base : mapping
        The other parameters (reference and defaults).
    reference : StockState
        The reference state of the model.
    bounds : mapping, optional
        Parameter -> (low, high); default :func:`calibration_bounds`.

    Returns
    -------
    Calibration
    """
    bounds = dict(bounds or calibration_bounds())
    names = list(bounds)
    years = panel["year"].to_numpy()
    span = int(years[-1] - years[0])
    offsets = (years - years[0]).astype(np.float64)
    series = [c for c in panel.columns if c != "year"]
    first = panel.iloc[0]
    start = {f"initial_{s}": float(first[s]) if s in series else reference.values()[s] for s in STOCKS}
    obs = panel[series].to_numpy(dtype=np.float64)

    def run(x: np.ndarray) -> np.ndarray:
        params = {**base, **start, **dict(zip(names, map(float, x), strict=True))}
        out = simulate(model, params, span, columns=series)
        return out.loc[offsets, series].to_numpy(dtype=np.float64)

    def residuals(x: np.ndarray) -> np.ndarray:
        return (run(x) / obs - 1.0).ravel()

    lo = np.array([bounds[n][0] for n in names])
    hi = np.array([bounds[n][1] for n in names])
    x0 = np.clip([float(base.get(n, model.constants.get(n, 0.0))) for n in names], lo, hi)
    res = least_squares(residuals, x0, bounds=(lo, hi), x_scale="jac", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    pred = run(res.x)
    fit = {s: _fit_stats(obs[:, k], pred[:, k]) for k, s in enumerate(series)}
    return Calibration(
        params={n: float(v) for n, v in zip(names, res.x, strict=True)}, fit=fit,
        years=tuple(int(y) for y in years), cost=float(res.cost), nfev=int(res.nfev),
    )


# ------------------------------------------------------------------------------------- Monte Carlo
def monte_carlo(
    model: Model, params: Mapping[str, float], years: int, *, runs: int, seed: int,
    ranges: Mapping[str, tuple[float, float]] | None = None, fixed: Sequence[str] = (),
    derived: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs over uniformly drawn uncertain parameters; percentiles of every stock per year.

    Parameters
    ----------
    model, params, years
        As :func:`simulate`.
    runs : int
        Number of runs (>= 1).
    seed : int
        Seed of ``numpy.random.default_rng``: the same seed gives the same draws and bands.
    ranges : mapping, optional
        Parameter -> (low, high); default :func:`uncertain_ranges`.
    fixed : sequence of str
        Parameters not drawn (e.g. those calibrated).
    derived : callable, optional
        A yearly series computed from each run's stocks (e.g. the coordination degree D): gets the
        same bands, named after the series.

    Returns
    -------
    bands : DataFrame
        Index ``t``; columns ``<stock>_p5``, ``<stock>_p50``, ``<stock>_p95`` (and the derived series').
    draws : DataFrame
        One row per run: the parameter values drawn.
    """
    ranges = {k: v for k, v in (ranges or uncertain_ranges()).items() if k not in set(fixed)}
    rng = np.random.default_rng(seed)
    names = sorted(ranges)
    draws = pd.DataFrame(
        {n: rng.uniform(ranges[n][0], ranges[n][1], size=runs) for n in names}, index=pd.RangeIndex(runs)
    )
    columns = [*STOCKS]
    cube = np.empty((runs, years + 1, len(STOCKS) + (derived is not None)))
    for i in range(runs):
        run = simulate(model, {**params, **draws.iloc[i].to_dict()}, years)
        cube[i, :, : len(STOCKS)] = run.to_numpy()
        if derived is not None:
            series = derived(run)
            cube[i, :, -1] = series.to_numpy(dtype=np.float64)
            columns = [*STOCKS, str(series.name)]
    bands = pd.DataFrame(index=pd.Index(np.arange(years + 1, dtype=np.float64), name="t"))
    if runs == 0:
        return bands, draws
    q = np.percentile(cube, _BANDS, axis=0)  # (bands, years + 1, series); NaN stays NaN
    for k, s in enumerate(columns):
        for b, p in enumerate(_BANDS):
            bands[f"{s}_p{p}"] = q[b, :, k]
    return bands, draws


# ------------------------------------------------------------------------------ the yearly diagnosis
def _stock_indicator_values(
    values0: Mapping[str, float], ratio: pd.DataFrame, jobs: np.ndarray, residents: np.ndarray,
    jobs0: float, residents0: float, employment_rate: float, score_elasticity: float,
    housing_share_ratio: np.ndarray,
) -> dict[str, Callable[[], np.ndarray]]:
    """How each diagnosis indicator follows the stocks (docs/projection.md, 'Yearly diagnosis')."""
    jhb0 = float(jobs_housing_balance(np.array([jobs0]), np.array([residents0]), employment_rate)[0])
    return {
        "job_density": lambda: values0["job_density"] * ratio["jobs"].to_numpy(),
        "workplace_floor_ratio": lambda: values0["workplace_floor_ratio"]
        * ratio["workplace_floor"].to_numpy(),
        "firms_15min": lambda: values0["firms_15min"] * ratio["workplace_floor"].to_numpy(),
        "innovation_sites_15min": lambda: values0["innovation_sites_15min"]
        * ratio["workplace_floor"].to_numpy(),
        "resident_density": lambda: values0["resident_density"] * ratio["residents"].to_numpy(),
        "housing_floor_share": lambda: np.minimum(values0["housing_floor_share"] * housing_share_ratio, 1.0),
        "jobs_housing_balance": lambda: np.clip(
            values0["jobs_housing_balance"] + jobs_housing_balance(jobs, residents, employment_rate) - jhb0,
            0.0, 1.0),
        "life_convenience": lambda: np.minimum(
            values0["life_convenience"] * ratio["all_amenities"].to_numpy() ** score_elasticity, 10.0),
    }


def yearly_integration(
    stocks: pd.DataFrame, reference: StockState, integration: Integration,
    *, public_amenities: float | None = None, score_elasticity: float = 0.5,
) -> pd.DataFrame:
    r"""Industry / city / people sub-indices, C, T, D, class, lag type and lagging per year.

    Each diagnosis indicator that a stock moves is moved in proportion (job density with jobs,
    workplace floor ratio, firms and innovation sites with workplace floor, resident density with
    residents, housing floor share with the housing share of floor space, jobs–housing balance
    recomputed, the life-convenience score with amenities\ :sup:`score_elasticity`); the others stay.
    The change of its scaled value (the reference scale of ``data/reference.toml``) times its weight
    in the assessment is added to the assessed sub-index:
    :math:`U_s(t) = \mathrm{clip}(U_s(0) + \sum_j w_j [x'_j(t) - x'_j(0)], 0, 1)`. C, T, D, the class
    and the lag type then come from :mod:`parkscope.measures.indices` with the assessment's model settings,
    ``lagging`` from the diagnosis. ``public_amenities``: those of the run (default: the reference's).

    Returns
    -------
    DataFrame
        Index as ``stocks``; columns ``industry``, ``city``, ``people``, ``coupling_C``,
        ``development_T``, ``coordination_D``, ``level``, ``class_zh``, ``class_en``, ``lag_type``,
        ``lagging``. All NaN / empty when the assessment gave no verdict.
    """
    n = len(stocks)
    out = pd.DataFrame(index=stocks.index)
    U0 = np.array([getattr(integration, s) for s in SUBSYSTEMS], dtype=object)
    if integration.status != "ok" or any(u is None for u in U0):
        for col in ("industry", "city", "people", "coupling_C", "development_T", "coordination_D"):
            out[col] = np.nan
        for col in ("level", "class_zh", "class_en", "lag_type", "lagging"):
            out[col] = None
        return out
    model = integration.model or DiagnosisModel()
    weights = model.indicator_weights
    indicators = integration.indicators
    log_transform = True if model.log_transform is None else bool(model.log_transform)
    ref = reference.values()
    if public_amenities is None:
        public_amenities = reference.public_amenities
    ratio = pd.DataFrame({s: stocks[s].to_numpy() / max(ref[s], 1.0) for s in STOCKS}, index=stocks.index)
    all0 = max(reference.amenities + reference.public_amenities, 1.0)
    ratio["all_amenities"] = (stocks["amenities"].to_numpy() + public_amenities) / all0
    share = stocks["housing_floor"] / (stocks["housing_floor"] + stocks["workplace_floor"])
    share0 = ref["housing_floor"] / max(ref["housing_floor"] + ref["workplace_floor"], 1.0)
    values0 = {k: float(v.value) for k, v in indicators.items() if v.value is not None}
    movers = _stock_indicator_values(
        values0, ratio, stocks["jobs"].to_numpy(), stocks["residents"].to_numpy(), ref["jobs"],
        ref["residents"], 0.5 if model.employment_rate is None else float(model.employment_rate),
        score_elasticity,
        share.to_numpy() / share0 if share0 > 0 else np.ones(n),
    )
    bounds = load_reference().bounds
    U = np.tile(np.array(U0, dtype=np.float64), (n, 1))
    for key, info in indicators.items():
        if not info.used or key not in movers or key not in values0 or key not in bounds:
            continue
        ind = ScaledIndicator(key, info.direction, bool(info.log))
        b = {key: (bounds[key].lo, bounds[key].hi)}
        now = scale_to_reference(pd.DataFrame({key: movers[key]()}), [ind], b,
                                 log_transform=log_transform)[key].to_numpy()
        then = scale_to_reference(pd.DataFrame({key: [values0[key]]}), [ind], b,
                                  log_transform=log_transform)[key].to_numpy()
        U[:, SUBSYSTEMS.index(info.subsystem)] += float(weights.get(key, 0.0)) * (now - then)
    U = np.clip(U, 0.0, 1.0)
    if model.coupling == "wang2021":
        C = coupling_wang2021(U)
    else:
        C = coupling_classic(U, model.coupling_exponent)
    T = development_index(U)
    D = coordination(C, T)
    level, zh, en = coordination_class(D)
    threshold = 0.1 if model.lag_threshold is None else float(model.lag_threshold)
    for k, s in enumerate(SUBSYSTEMS):
        out[s] = U[:, k]
    out["coupling_C"], out["development_T"], out["coordination_D"] = C, T, D
    out["level"], out["class_zh"], out["class_en"] = level, zh, en
    out["lag_type"] = lag_type(U[:, 0], U[:, 1], threshold)
    out["lagging"] = [weakest_subsystem(row, threshold)["lagging"] for row in U]
    return out


# ------------------------------------------------------------------------------------- the projection
@dataclass
class Projection:
    """The result of :func:`project`: the yearly table, the summary and the model to write."""

    table: pd.DataFrame
    summary: dict[str, Any]
    model_text: str
    parameters: pd.DataFrame

    def write(self, projdir: str | Path, *, overwrite: bool = False) -> Path:
        """Write projection.csv, summary.json, projection.xmile and report.html, whole or not at all."""
        projdir = Path(projdir)
        with atomic_output_dir(projdir, overwrite=overwrite) as tmp:
            self.table.to_csv(tmp / "projection.csv", index=False, float_format="%.6g")
            (tmp / MODEL_FILE).write_text(self.model_text, encoding="utf-8")
            (tmp / "report.html").write_text(report_html(self), encoding="utf-8")
            write_json(self.summary, tmp / "summary.json")
        return projdir


def _model_with_values(text: str, values: Mapping[str, float], stop_years: float | None = None) -> str:
    """The XMILE text with the given constants' equations replaced (comments and layout kept)."""
    ET.register_namespace("", _XMILE_NS)
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(text, parser=parser)
    for aux in root.iterfind(".//x:variables/x:aux", _NS):
        name = aux.get("name", "").lower()
        if name in values:
            eqn = aux.find("x:eqn", _NS)
            if eqn is not None:
                eqn.text = repr(float(values[name]))
    stop = root.find("x:sim_specs/x:stop", _NS)
    if stop is not None and stop_years is not None:
        start = float(root.findtext("x:sim_specs/x:start", default="0", namespaces=_NS))
        stop.text = repr(start + stop_years)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _parameter_table(
    model: Model, params: Mapping[str, float], calibrated: Mapping[str, float]
) -> pd.DataFrame:
    settings = _settings()
    ranges = uncertain_ranges()
    rows = []
    for name, value in sorted(params.items()):
        if name.startswith(("reference_", "initial_", "public_")):
            continue
        src = settings.get("sources", {}).get(name, {})
        rows.append({
            "parameter": name, "value": value,
            "low": ranges.get(name, (math.nan, math.nan))[0],
            "high": ranges.get(name, (math.nan, math.nan))[1],
            "basis": "calibrated" if name in calibrated else src.get("basis", "assumption"),
            "source": src.get("source", model.docs.get(name, "")),
        })
    return pd.DataFrame(rows)


def project(
    outdir: str | Path, years: int, *, scenario: str | Path | None = None, panel: str | Path | None = None,
    seed: int = 0, runs: int = 200, model_path: str | Path | None = None,
) -> Projection:
    """Run the feedback loop of an assessed park for ``years`` years.

    Parameters
    ----------
    outdir : str or Path
        A ``parkscope assess`` OUTDIR: the reference state.
    years : int
        Years to project (1–100).
    scenario : str or Path, optional
        A ``parkscope scenario`` OUTDIR2: its stocks start the run (the reference stays OUTDIR's).
    panel : str or Path, optional
        A yearly panel CSV to calibrate to (:func:`read_panel`).
    seed : int
        Seed of the Monte-Carlo draws.
    runs : int
        Monte-Carlo runs (0: no bands).
    model_path : str or Path, optional
        An edited XMILE model (default: the shipped one).

    Returns
    -------
    Projection

    Raises
    ------
    InputError
        ``years`` or ``runs`` out of range, OUTDIR / OUTDIR2 not assessments, a bad panel or model.
    """
    if isinstance(years, bool) or not isinstance(years, int | np.integer) or not 1 <= years <= 100:
        raise InputError(f"--years must be a whole number from 1 to 100, got {years!r}.")
    if isinstance(runs, bool) or not isinstance(runs, int | np.integer) or not 0 <= runs <= 100_000:
        raise InputError(f"--runs must be a whole number from 0 to 100000, got {runs!r}.")
    reference, summary = state_from_outdir(outdir)
    integration = integration_of(summary)
    start, notes = reference, list(reference.notes)
    if scenario is not None:
        start, _ = state_from_outdir(scenario, what="The scenario")
        notes += list(start.notes)
        if start.public_amenities != reference.public_amenities:
            notes.append(f"public amenities {reference.public_amenities:g} → {start.public_amenities:g} "
                         "(scenario), then held at the scenario's count.")
    table_panel = read_panel(panel) if panel is not None else None
    model = load_model(model_path)
    params = {**model.constants, **_reference_constants(reference)}
    if scenario is not None:
        params["public_amenities"] = start.public_amenities
    calibration = None
    if table_panel is not None:
        calibration = calibrate(model, table_panel, params, reference)
        params.update(calibration.params)
    params.update(_initial_constants(start))
    central = simulate(model, params, years)
    derived = simulate(model, params, 0, columns=DERIVED).iloc[0].to_dict()
    bands = None
    draws_info: dict[str, Any] = {"runs": runs, "seed": seed}
    if runs > 0:
        fixed = tuple(calibration.params) if calibration else ()
        bands, draws = monte_carlo(model, params, years, runs=runs, seed=seed, fixed=fixed,
                                   derived=lambda run: yearly_integration(
                                       run, reference, integration,
                                       public_amenities=start.public_amenities)["coordination_D"])
        draws_info["parameters"] = {k: [float(v) for v in uncertain_ranges()[k]] for k in draws.columns}
    integ = yearly_integration(central, reference, integration,
                               public_amenities=start.public_amenities)
    base_year = _base_year(summary)
    table = pd.DataFrame({"year": (base_year + central.index.to_numpy()).astype(int)})
    for s in STOCKS:
        table[s] = central[s].to_numpy()
        if bands is not None:
            for p in _BANDS:
                table[f"{s}_p{p}"] = bands[f"{s}_p{p}"].to_numpy()
    for col in integ.columns:
        table[col] = integ[col].to_numpy()
        if col == "coordination_D" and bands is not None:
            for p in _BANDS:
                table[f"{col}_p{p}"] = bands[f"{col}_p{p}"].to_numpy()
    calibrated = calibration.params if calibration else {}
    ptable = _parameter_table(model, params, calibrated)
    out_summary = _summary(summary, reference, start, table, ptable, calibration, draws_info, years,
                           base_year, outdir, scenario, panel, model, notes, derived)
    text = _model_with_values(model.text, params, years)
    return Projection(table=table, summary=out_summary, model_text=text,
                      parameters=ptable)


def _base_year(summary: Summary) -> int:
    """The assessment's year: that of the extract's OSM timestamp (else 0: years count from the start)."""
    stamp = str(summary.provenance.osm_timestamp or "")
    return int(stamp[:4]) if stamp[:4].isdigit() else 0


def _summary(
    assessed: Summary, reference: StockState, start: StockState, table: pd.DataFrame,
    ptable: pd.DataFrame, calibration: Calibration | None, mc: Mapping[str, Any], years: int,
    base_year: int, outdir: str | Path, scenario: str | Path | None, panel: str | Path | None, model: Model,
    notes: list[str], derived: Mapping[str, float],
) -> dict[str, Any]:
    last = table.iloc[-1]
    first = table.iloc[0]

    def row(r: pd.Series) -> dict[str, Any]:
        return {
            **{s: float(r[s]) for s in STOCKS},
            "coordination_D": None if pd.isna(r["coordination_D"]) else float(r["coordination_D"]),
            "class_en": r["class_en"], "lag_type": r["lag_type"], "lagging": r["lagging"],
        }

    return {
        "parkscope_version": __version__,
        "what_if": WHAT_IF,
        "years": years,
        "start_year": base_year,
        "engine": {"name": "pysd", "version": metadata.version("pysd"), "method": "Euler",
                   "dt_years": model.dt},
        "model_file": MODEL_FILE,
        "outdir": str(outdir),
        "scenario": None if scenario is None else str(scenario),
        "panel": None if panel is None else str(panel),
        "reference_stocks": {**reference.values(), "public_amenities": reference.public_amenities},
        "initial_stocks": {**start.values(), "public_amenities": start.public_amenities},
        "start": row(first),
        "end": row(last),
        "change": {s: float(last[s] - first[s]) for s in STOCKS},
        "derived": {k: float(v) for k, v in derived.items()},
        "parameters": {r.parameter: {"value": float(r.value), "basis": r.basis, "source": r.source}
                       for r in ptable.itertuples()},
        "calibration": None if calibration is None else {
            "parameters": calibration.params, "fit": calibration.fit, "years": list(calibration.years),
            "method": "scipy.optimize.least_squares on relative residuals", "nfev": calibration.nfev,
        },
        "monte_carlo": {**mc, "bands": [f"p{p}" for p in _BANDS] if mc.get("runs") else []},
        "notes": notes,
    }


# ----------------------------------------------------------------------------------------- report
def _figure_png(p: Projection) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = p.table
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5), constrained_layout=True)
    labels = {"jobs": "jobs", "residents": "residents", "amenities": "amenities (spending-sustained)",
              "workplace_floor": "workplace floor (m²)", "housing_floor": "housing floor (m²)"}
    for ax, s in zip(axes.ravel(), STOCKS, strict=False):
        if f"{s}_p5" in t:
            ax.fill_between(t["year"], t[f"{s}_p5"], t[f"{s}_p95"], alpha=0.25, label="p5–p95")
            ax.plot(t["year"], t[f"{s}_p50"], ls="--", lw=1, label="p50")
        ax.plot(t["year"], t[s], lw=2, label="central")
        ax.set_title(labels[s], fontsize=10)
    axes[0, 0].legend(fontsize=8)
    ax = axes[1, 2]
    if t["coordination_D"].notna().any():
        for s in (*SUBSYSTEMS, "coordination_D"):
            ax.plot(t["year"], t[s], label=s)
        if "coordination_D_p5" in t:
            ax.fill_between(t["year"], t["coordination_D_p5"], t["coordination_D_p95"], alpha=0.25,
                            color="C3", label="D p5–p95")
        ax.legend(fontsize=8, loc="center right")
    ax.set_title("sub-indices and coordination D", fontsize=10)
    fig.suptitle("parkscope project — what-if, not a forecast", fontsize=12)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def report_html(p: Projection) -> str:
    """A small self-contained report: the what-if caveat, the chart, the yearly table, the assumptions."""
    s = p.summary
    esc = html.escape
    png = base64.b64encode(_figure_png(p)).decode("ascii")
    params = "".join(
        f"<tr><td>{esc(r.parameter)}</td><td>{r.value:.4g}</td>"
        f"<td>{'' if math.isnan(r.low) else f'{r.low:g}–{r.high:g}'}</td>"
        f"<td>{esc(r.basis)}</td><td>{esc(r.source)}</td></tr>" for r in p.parameters.itertuples()
    )
    cols = ["year", *STOCKS, "coordination_D", "class_en", "lag_type"]
    table = p.table[cols].to_html(index=False,
                                  float_format=lambda x: f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}",
                                  na_rep="–", border=0)
    fit = ""
    if s["calibration"]:
        fit = "<h2>Calibration</h2><ul>" + "".join(
            f"<li>{esc(k)}: RMSE {v['rmse']:.4g}, R² {v['r2']:.4f}</li>"
            for k, v in s["calibration"]["fit"].items()
        ) + "</ul>"
    notes = "".join(f"<li>{esc(n)}</li>" for n in s["notes"])
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>parkscope project</title><style>body{{font-family:sans-serif;max-width:1100px;margin:1em auto}}
table{{border-collapse:collapse;font-size:13px}}td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
.whatif{{background:#fff3cd;padding:.6em;border:1px solid #e0c060}}</style></head><body>
<h1>Projection over {s['years']} years (产城融合 feedback loop)</h1>
<p class="whatif"><b>What-if tool.</b> {esc(WHAT_IF)} 仅为情景推演，不是预测。</p>
<p>Engine: PySD {esc(s['engine']['version'])} (Euler, dt = {s['engine']['dt_years']} year), model
{esc(s['model_file'])} (XMILE; open and edit it, then run it again with --model).
Monte-Carlo: {s['monte_carlo']['runs']} runs, seed {s['monte_carlo']['seed']}.
{'Scenario: ' + esc(s['scenario']) if s['scenario'] else 'No scenario: the park as assessed.'}</p>
<img alt="projection chart" src="data:image/png;base64,{png}" style="width:100%">
{fit}<h2>Assumptions (parameters)</h2><table><tr><th>parameter</th><th>value</th><th>MC range</th>
<th>basis</th><th>source</th></tr>{params}</table>
<p>Every flow is zero at the assessed state (equilibrium initialisation); the yearly sub-indices follow
the stocks as docs/projection.md describes.</p>
{'<h2>Notes</h2><ul>' + notes + '</ul>' if notes else ''}
<h2>Yearly values</h2>{table}</body></html>
"""

