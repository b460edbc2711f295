"""Coupling coordination of a statistics panel (`parkscope ccd`): rows = years or parks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkscope.errors import ConfigError, InputError
from parkscope.files.io import atomic_output, check_output
from parkscope.measures.indices import (
    coordination,
    coordination_class,
    coupling_classic,
    coupling_wang2021,
    development_index,
    entropy_weights,
    normalise,
    subsystem_index,
)
from parkscope.settings.config import read_toml_file, unknown_key_error

_MODEL_KEYS = {
    "weights": ("entropy", "equal", "given"),
    "entropy_scope": ("subsystem", "all"),
    "shift": None,
    "coupling": ("classic", "wang2021"),
    "coupling_exponent": None,
    "subsystem_weights": None,
    "lag_threshold": None,
}
_INDICATOR_KEYS = ("subsystem", "direction", "weight")


@dataclass(frozen=True)
class PanelSpec:
    """What ``SPEC.toml`` says: the id column, the model, and each indicator's subsystem and direction.

    Attributes
    ----------
    id_column : str
    indicators : dict
        column -> {"subsystem": str, "direction": "positive"|"negative", "weight": float | None}
    weights, entropy_scope, coupling : str
    shift : float
    coupling_exponent : float or None
        ``k`` of the classic model; None = 1/n.
    subsystem_weights : dict or None
        ``alpha_i`` of T; None = equal.
    lag_threshold : float
        Relative gap under which subsystems count as balanced (default 0.1).
    """

    id_column: str
    indicators: dict[str, dict[str, Any]]
    weights: str = "entropy"
    entropy_scope: str = "subsystem"
    shift: float = 0.0
    coupling: str = "classic"
    coupling_exponent: float | None = None
    subsystem_weights: dict[str, float] | None = None
    lag_threshold: float = 0.1
    subsystems: tuple[str, ...] = field(default=())


def load_spec(path: str | Path) -> PanelSpec:
    """Read and check a panel spec TOML (see docs/methods.md, "Coupling coordination of a panel")."""
    path = Path(path)
    raw = read_toml_file(path, "Spec file", "--spec")
    src = str(path)
    for key in raw:
        if key not in ("id_column", "model", "indicators"):
            raise unknown_key_error(key, ["id_column", "model", "indicators"], "the top level", src)
    if "id_column" not in raw or not isinstance(raw["id_column"], str):
        raise ConfigError(f'{src} needs id_column = "<column naming the rows>" (e.g. "year").')
    model = raw.get("model", {})
    for key, value in model.items():
        if key not in _MODEL_KEYS:
            raise unknown_key_error(key, list(_MODEL_KEYS), "[model]", src)
        allowed = _MODEL_KEYS[key]
        if allowed and value not in allowed:
            raise ConfigError(f"[model] {key} = {value!r} in {src}: use one of {', '.join(allowed)}.")
    indicators = raw.get("indicators", {})
    if not indicators:
        raise ConfigError(f"{src} lists no [indicators.<column>] tables: add one per indicator column.")
    for name, ind in indicators.items():
        for key in ind:
            if key not in _INDICATOR_KEYS:
                raise unknown_key_error(key, list(_INDICATOR_KEYS), f"[indicators.{name}]", src)
        if "subsystem" not in ind or "direction" not in ind:
            raise ConfigError(f"[indicators.{name}] in {src} needs subsystem and direction.")
        if ind["direction"] not in ("positive", "negative"):
            raise ConfigError(f"[indicators.{name}] direction must be 'positive' or 'negative' in {src}.")
        if model.get("weights") == "given" and not isinstance(ind.get("weight"), int | float):
            raise ConfigError(f"[indicators.{name}] needs a numeric weight when [model] weights = 'given'.")
    subsystems = tuple(dict.fromkeys(ind["subsystem"] for ind in indicators.values()))
    if not 2 <= len(subsystems) <= 5:
        raise ConfigError(
            f"{src} names {len(subsystems)} subsystem(s) ({', '.join(subsystems)}): use two to five."
        )
    alpha = model.get("subsystem_weights")
    if alpha is not None:
        if set(alpha) != set(subsystems):
            raise ConfigError(
                f"[model] subsystem_weights in {src} must name exactly the subsystems "
                f"{', '.join(subsystems)}."
            )
    shift = float(model.get("shift", 0.0))
    exponent = model.get("coupling_exponent")
    return PanelSpec(
        id_column=raw["id_column"],
        indicators={k: dict(v) for k, v in indicators.items()},
        weights=model.get("weights", "entropy"),
        entropy_scope=model.get("entropy_scope", "subsystem"),
        shift=shift,
        coupling=model.get("coupling", "classic"),
        coupling_exponent=None if exponent is None else float(exponent),
        subsystem_weights=None if alpha is None else {k: float(v) for k, v in alpha.items()},
        lag_threshold=float(model.get("lag_threshold", 0.1)),
        subsystems=subsystems,
    )


def _indicator_weights(norm: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    """Weights of the indicators, summing to 1 within each subsystem."""
    cols = list(spec.indicators)
    sub = pd.Series({c: spec.indicators[c]["subsystem"] for c in cols})
    if spec.weights == "equal":
        w = pd.Series(1.0, index=cols)
    elif spec.weights == "given":
        w = pd.Series({c: float(spec.indicators[c]["weight"]) for c in cols})
    elif spec.entropy_scope == "all":
        w = entropy_weights(norm[cols])
    else:
        w = pd.concat([entropy_weights(norm[sub.index[sub == s]]) for s in spec.subsystems])
    # U_i must stay in [0, 1]: weights are renormalised within each subsystem (a misuse Wang et al.
    # 2021 point out is to use weights computed over all indicators without doing so)
    totals = w.groupby(sub).transform("sum")
    if (totals <= 0).any():
        raise InputError("Every indicator of a subsystem has weight 0 (constant columns?): check the panel.")
    return (w / totals)[cols]


def coupling_panel(panel: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
    """Coupling coordination of every row of a panel.

    Returns
    -------
    DataFrame
        The id column, ``U_<subsystem>``, ``C``, ``T``, ``D``, ``level``, ``class_zh``, ``class_en``,
        ``lagging`` (the subsystem that lags the leading one by more than ``lag_threshold``, or
        ``balanced``).
    """
    missing = [c for c in [spec.id_column, *spec.indicators] if c not in panel.columns]
    if missing:
        raise InputError(
            f"The panel lacks column(s) {', '.join(missing)} named in the spec; it has "
            f"{', '.join(map(str, panel.columns))}. Fix the names in the spec or the CSV header."
        )
    if len(panel) < 2:
        raise InputError("The panel needs at least two rows (years or parks) to normalise indicators.")
    cols = list(spec.indicators)
    norm = normalise(panel[cols], {c: spec.indicators[c]["direction"] for c in cols}, shift=spec.shift)
    weights = _indicator_weights(norm, spec)
    out = pd.DataFrame({spec.id_column: panel[spec.id_column].to_numpy()})
    U = np.column_stack(
        [
            subsystem_index(
                norm[[c for c in cols if spec.indicators[c]["subsystem"] == s]],
                weights[[c for c in cols if spec.indicators[c]["subsystem"] == s]],
            ).to_numpy()
            for s in spec.subsystems
        ]
    )
    for i, s in enumerate(spec.subsystems):
        out[f"U_{s}"] = U[:, i]
    C = coupling_wang2021(U) if spec.coupling == "wang2021" else coupling_classic(U, spec.coupling_exponent)
    alpha = None if spec.subsystem_weights is None else [spec.subsystem_weights[s] for s in spec.subsystems]
    T = development_index(U, alpha)
    D = coordination(C, T)
    level, zh, en = coordination_class(D)
    out["C"], out["T"], out["D"] = C, T, D
    out["level"], out["class_zh"], out["class_en"] = level, zh, en
    top = U.max(axis=1)
    low = U.argmin(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lags = (top > 0) & (U.min(axis=1) / np.where(top > 0, top, 1) < 1 - spec.lag_threshold)
    out["lagging"] = np.where(lags, np.array(spec.subsystems, dtype=object)[low], "balanced")
    out.attrs["weights"] = {k: round(float(v), 6) for k, v in weights.items()}
    return out


def run_ccd(
    panel_csv: str | Path, spec_path: str | Path, out_csv: str | Path, overwrite: bool = False
) -> pd.DataFrame:
    """Read a panel CSV and a spec, write OUT.csv atomically, return the result.

    An existing OUT.csv is refused (:class:`InputError`) unless ``overwrite``.
    """
    check_output(out_csv, overwrite=overwrite, folder=False)
    spec = load_spec(spec_path)
    panel_csv = Path(panel_csv)
    if not panel_csv.is_file():
        raise InputError(f"Panel file {panel_csv} does not exist: check the path.")
    try:
        panel = pd.read_csv(panel_csv)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(
            f"Panel file {panel_csv} is not a readable CSV ({exc}). Save it as UTF-8 CSV."
        ) from exc
    result = coupling_panel(panel, spec)
    with atomic_output(out_csv, overwrite=overwrite) as tmp:
        result.to_csv(tmp, index=False, encoding="utf-8")
    return result
