"""Compare assessed parks: read several ``assess`` output folders, one ranked row per park.

Pure functions over the ``summary.json`` files that ``parkscope assess`` writes:
:func:`load_summaries` reads and checks them, :func:`compare_table` turns them into a ranked
DataFrame, :func:`table_records` makes that JSON-safe, :func:`display_table` narrows it for a
terminal and :func:`write_csv` writes it whole or not at all. The CLI (``parkscope compare``) only
prints what these return.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkscope.diagnoses.integration import IndexModel, Indicator, coupled_indices
from parkscope.errors import InputError
from parkscope.files.io import atomic_output
from parkscope.settings.config import DiagnosisSettings
from parkscope.settings.parkstats import FLAT_COLUMNS, benchmark_indicators, flat_values
from parkscope.settings.summary import DiagnosisModel, Summary, read_summary

__all__ = [
    "COLUMNS",
    "Assessed",
    "FIVE_PARK_DIMENSIONS",
    "INTEGRATION_FIELDS",
    "PARK_STAT_FIELDS",
    "compare_table",
    "default_by",
    "display_table",
    "load_summaries",
    "rankable_columns",
    "table_records",
    "write_csv",
]

#: The five-park dimensions of summary.json's ``five_park`` (创新 / 绿色 / 智慧 / 人文 / 开放).
FIVE_PARK_DIMENSIONS: tuple[str, ...] = ("innovative", "green", "smart", "humane", "open")

#: Numeric fields copied from summary.json's ``integration``.
INTEGRATION_FIELDS: tuple[str, ...] = (
    "industry",
    "city",
    "people",
    "coupling_C",
    "development_T",
    "coordination_D",
)

#: Numeric fields from summary.json's ``park_statistics`` (the park's reported statistics).
PARK_STAT_FIELDS: tuple[str, ...] = tuple(FLAT_COLUMNS)



@dataclass(frozen=True)
class Assessed:
    """One assessed park as :func:`load_summaries` reads it: the folder (as given) and its summary."""

    outdir: str
    summary: Summary

_TEXT_COLUMNS = frozenset({"park", "outdir", "class_en", "class_zh", "lag_type", "data_status", "lagging",
                           "extract", "osm_timestamp"})


def _columns() -> list[str]:
    five = [c for d in FIVE_PARK_DIMENSIONS for c in (f"five_{d}", f"five_{d}_coverage")]
    return [
        "rank",
        "park",
        "outdir",
        "life_convenience_score",
        *INTEGRATION_FIELDS,
        "level",
        "class_en",
        "class_zh",
        "lag_type",
        "data_status",
        "lagging",
        "jobs",
        "residents",
        "jobs_housing_ratio",
        *five,
        *PARK_STAT_FIELDS,
        "extract",
        "osm_timestamp",
    ]


#: Every column of :func:`compare_table`, in order.
COLUMNS: tuple[str, ...] = tuple(_columns())


def rankable_columns() -> list[str]:
    """The columns ``by`` may name: the numeric ones (higher is ranked first)."""
    return [c for c in COLUMNS if c not in _TEXT_COLUMNS and c != "rank"]


# --- reading ----------------------------------------------------------------------------------


def load_summaries(dirs: Iterable[str | Path]) -> list[Assessed]:
    """Read ``summary.json`` from each ``parkscope assess`` output folder.

    Parameters
    ----------
    dirs : iterable of str or Path
        Output folders of ``parkscope assess … -o DIR`` (a path to a ``summary.json`` itself is
        accepted too).

    Returns
    -------
    list of Assessed
        One per folder, in the order given: the folder as given and its
        :class:`~parkscope.settings.summary.Summary` (:func:`parkscope.settings.summary.read_summary`).

    Raises
    ------
    InputError
        No folder given; a folder that does not exist, holds no summary.json or is given twice;
        a summary.json that is unreadable, not JSON, not a summary, or does not match the declared
        :class:`~parkscope.settings.summary.Summary` (the message names the file and the key).
    """
    dirs = [Path(d) for d in dirs]
    if not dirs:
        raise InputError(
            "Give at least one output folder of `parkscope assess`, e.g. "
            "`parkscope compare out/park-a out/park-b`."
        )
    seen: dict[Path, Path] = {}
    out: list[Assessed] = []
    for given in dirs:
        folder, path = (given.parent, given) if given.is_file() and given.suffix == ".json" else (given, None)
        if not folder.exists():
            raise InputError(
                f"Folder {given} does not exist: give the output folder of `parkscope assess … -o DIR`."
            )
        if not folder.is_dir():
            raise InputError(
                f"{given} is a file, not an output folder: give the folder that "
                "`parkscope assess … -o DIR` wrote (it holds summary.json)."
            )
        path = path or folder / "summary.json"
        if not path.is_file():
            raise InputError(
                f"Folder {given} holds no summary.json: it is not a parkscope output folder. Run "
                f"`parkscope assess EXTRACT --bbox W,S,E,N -o {given}` (or --park / --boundary) first."
            )
        key = path.resolve()
        if key in seen:
            also = "" if str(seen[key]) == str(given) else f" (also as {seen[key]})"
            raise InputError(f"Folder {given} is given twice{also}: give each output folder once.")
        seen[key] = given
        out.append(Assessed(str(given), read_summary(path)))
    return out


# --- the table --------------------------------------------------------------------------------


def _num(value: float | None) -> float:
    """A summary number as float; null → NaN (the Summary has checked that it is a number)."""
    return float("nan") if value is None else float(value)


def _row(park: Assessed) -> dict[str, Any]:
    s = park.summary
    integ, five = s.integration, s.five_park
    cls = integ.class_ if integ is not None else None
    row: dict[str, Any] = {
        "park": (s.area.name if s.area is not None else None) or Path(park.outdir).name,
        "outdir": park.outdir,
        "life_convenience_score": _num(s.life_convenience_score),
    }
    for key in INTEGRATION_FIELDS:
        row[key] = _num(getattr(integ, key) if integ is not None else None)
    row["level"] = _num(cls.level if cls is not None else None)
    row["class_en"] = cls.en if cls is not None else None
    row["class_zh"] = cls.zh if cls is not None else None
    row["lag_type"] = integ.lag_type if integ is not None else None
    row["data_status"] = integ.status if integ is not None else None
    row["lagging"] = integ.lagging if integ is not None else None
    for key in ("jobs", "residents", "jobs_housing_ratio"):
        row[key] = _num(getattr(integ, key) if integ is not None else None)
    for dim, d in (five.dimensions() if five is not None else dict.fromkeys(FIVE_PARK_DIMENSIONS)).items():
        row[f"five_{dim}"] = _num(d.score if d is not None else None)
        row[f"five_{dim}_coverage"] = _num(d.coverage if d is not None else None)
    for key, value in flat_values(_statistics(s)).items():
        row[key] = _num(value)
    row["extract"] = s.provenance.extract
    row["osm_timestamp"] = s.provenance.osm_timestamp
    return row


def _statistics(s: Summary) -> dict[str, Any]:
    """The ``park_statistics`` block as parkstats reads it (empty when the summary has none)."""
    return s.park_statistics.model_dump() if s.park_statistics is not None else {}


def _has_d(park: Assessed) -> bool:
    integ = park.summary.integration
    return integ is not None and integ.coordination_D is not None


def default_by(summaries: Sequence[Assessed]) -> str:
    """``coordination_D`` when every summary has it, else ``life_convenience_score``."""
    return "coordination_D" if summaries and all(_has_d(s) for s in summaries) else "life_convenience_score"


def _check_by(by: str) -> None:
    valid = rankable_columns()
    if by in valid:
        return
    lowered = {c.lower(): c for c in valid}
    close = difflib.get_close_matches(by.lower(), list(lowered), n=1, cutoff=0.5)
    hint = f" Did you mean --by {lowered[close[0]]}?" if close else ""
    what = "is a text column and cannot rank parks" if by in COLUMNS else "is not a column"
    raise InputError(f"--by {by} {what}.{hint} Rank by one of: {', '.join(valid)}.")


def _label(name: str, outdir: str | None) -> str:
    return f"{name} [{outdir}]"


REFERENCES = ("own", "parks")


def benchmark_indices(summaries: Sequence[Assessed]) -> tuple[pd.DataFrame, IndexModel]:
    """Industry, city and people indices of each park relative to the set of parks compared.

    Each park's raw indicator values (``integration.indicators`` of its summary: the park's
    overlap-weighted mean over its cells) form one row of a panel; the indicators every park has
    are normalised across the parks, weighted by entropy within their subsystem and coupled with
    the model of the first summary (coupling, exponent, lag threshold, log transform), exactly as
    ``parkscope ccd`` does for a statistics table (docs/methods.md §7–8).

    Returns
    -------
    (DataFrame, IndexModel)
        One row per summary, in input order: ``industry``, ``city``, ``people``, ``coupling_C``,
        ``development_T``, ``coordination_D``, ``level``, ``class_en``, ``class_zh``, ``lag_type``;
        and the scale and weights used (the keys of ``weights`` are the indicators used).
    """

    if len(summaries) < 2:
        raise InputError("--reference parks needs at least two assessed parks to compare.")
    tables = [
        {k: v.model_dump() for k, v in s.summary.integration.indicators.items()}
        if s.summary.integration is not None else {}
        for s in summaries
    ]
    missing = [s.outdir for s, t in zip(summaries, tables, strict=True) if not t]
    if missing:
        raise InputError(
            f"{', '.join(missing)}: summary.json has no integration.indicators (made by an older "
            "parkscope). Assess the park again to benchmark it against others."
        )
    # the park's reported statistics join the industry side where every park has them
    tables = [{**t, **benchmark_indicators(_statistics(s.summary))}
              for s, t in zip(summaries, tables, strict=True)]
    common = [k for k in tables[0] if all(k in t and t[k].get("value") is not None for t in tables)]
    values = pd.DataFrame({k: [float(t[k]["value"]) for t in tables] for k in common})
    indicators = [
        Indicator(k, tables[0][k]["subsystem"], tables[0][k]["direction"], bool(tables[0][k].get("log")),
                  k, k, "")
        for k in common
    ]
    first = summaries[0].summary.integration
    model = first.model if first is not None and first.model is not None else DiagnosisModel()
    exponent = model.coupling_exponent
    settings = DiagnosisSettings(
        scale="study_area",  # relative to the parks compared: min–max across them
        weights="entropy",
        coupling=model.coupling if model.coupling in ("classic", "wang2021") else "classic",
        coupling_exponent=None if exponent is None else float(exponent),
        lag_threshold=float(model.lag_threshold if model.lag_threshold is not None else 0.1),
        log_transform=bool(model.log_transform if model.log_transform is not None else True),
        min_presence=0.0,  # a handful of parks: every indicator that differs counts
    )
    result, index_model = coupled_indices(values, indicators, settings)
    out = pd.DataFrame(
        {
            "industry": result["U_industry"], "city": result["U_city"], "people": result["U_people"],
            "coupling_C": result["C"], "development_T": result["T"], "coordination_D": result["D"],
            "level": result["level"], "class_en": result["class_en"], "class_zh": result["class_zh"],
            "lag_type": result["lag_type"],
        }
    )
    return out, index_model


def compare_table(
    summaries: Sequence[Assessed], by: str | None = None, reference: str = "own"
) -> pd.DataFrame:
    """One ranked row per assessed park.

    Parameters
    ----------
    summaries : sequence of Assessed
        From :func:`load_summaries` (each a folder and its :class:`~parkscope.settings.summary.Summary`).
    by : str, optional
        The numeric column to rank by, highest first (see :func:`rankable_columns`). Default
        ``coordination_D`` when every summary has an ``integration``, else
        ``life_convenience_score``.
    reference : str
        ``own`` (default): each park's indices as assessed, relative to its own surroundings;
        ``parks``: recomputed relative to the set of parks compared (:func:`benchmark_indices`).

    Returns
    -------
    DataFrame
        The columns of :data:`COLUMNS`, sorted by ``by`` descending (ties keep the input order,
        parks without a value come last). ``rank`` is 1 for the highest; equal values share a rank;
        parks without a value have no rank (``<NA>``). Figures a summary lacks (``integration`` and
        ``five_park`` from older assessments) are NaN / None. ``attrs`` holds ``"by"`` and
        ``"notes"`` (a list of sentences about missing or incomparable figures).

    Raises
    ------
    InputError
        ``by`` is not a numeric column (the message suggests the closest).

    Examples
    --------
    >>> table = compare_table(load_summaries(["out/a", "out/b"]))  # doctest: +SKIP
    >>> table[["rank", "park", "coordination_D"]]  # doctest: +SKIP
    """
    if by is not None:
        _check_by(by)
    by = by or default_by(summaries)
    if reference not in REFERENCES:
        raise InputError(f"--reference {reference!r}: use one of {', '.join(REFERENCES)}.")
    rows = [_row(s) for s in summaries]
    frame = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "rank"])
    bench_note = None
    if reference == "parks":
        bench, bench_model = benchmark_indices(summaries)
        for col in bench.columns:
            frame[col] = bench[col].to_numpy()
        bench_note = (
            "industry, city, people, C, T, D, class and lag type are relative to the parks compared "
            f"(indicators: {', '.join(bench_model.weights)})."
        )
    if len(frame):
        # the same park name twice (two runs, two bboxes): name each by its folder as well
        dup = frame["park"].duplicated(keep=False)
        pairs = zip(frame.loc[dup, "park"], frame.loc[dup, "outdir"], strict=True)
        frame.loc[dup, "park"] = [_label(name, outdir) for name, outdir in pairs]
    for col in rankable_columns():
        frame[col] = frame[col].astype("Int64" if col == "level" else np.float64)
    frame = frame.sort_values(by, ascending=False, kind="stable", na_position="last").reset_index(drop=True)
    frame.insert(0, "rank", frame[by].rank(method="min", ascending=False).astype("Int64"))
    frame.attrs["by"] = by
    frame.attrs["notes"] = _notes(summaries, frame, by) + ([bench_note] if bench_note else [])
    frame.attrs["reference"] = reference
    return frame


def _folders(summaries: Sequence[Assessed], picked: Iterable[int]) -> str:
    names = [summaries[i].outdir for i in picked]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _notes(summaries: Sequence[Assessed], frame: pd.DataFrame, by: str) -> list[str]:
    notes: list[str] = []
    n = len(summaries)
    no_integ = [i for i, s in enumerate(summaries) if s.summary.integration is None]
    if no_integ:
        who = "any of the folders" if len(no_integ) == n else _folders(summaries, no_integ)
        notes.append(
            f"No industry–city–people integration (coordination_D and related) in {who}: those "
            "columns are empty. Re-run `parkscope assess` with a parkscope version that writes "
            "`integration` to fill them."
        )
    no_five = [i for i, s in enumerate(summaries) if s.summary.five_park is None]
    if no_five:
        who = "any of the folders" if len(no_five) == n else _folders(summaries, no_five)
        notes.append(f"No five-park scores (five_*) in {who}: those columns are empty.")
    foreign = [i for i, s in enumerate(summaries)
               if s.summary.park_statistics is not None
               and "land_productivity_foreign" in s.summary.park_statistics.derived]
    if foreign:
        notes.append(
            f"Output of {_folders(summaries, foreign)} is in another currency than CNY: its land "
            "productivity is in summary.json (park_statistics), not in the land_productivity column "
            "(亿元/km²); no exchange rate is assumed."
        )
    if by == "life_convenience_score" and 0 < len(no_integ) < n:
        notes.append("Ranked by life_convenience_score because not every park has coordination_D.")
    missing = int(frame[by].isna().sum())
    if missing:
        notes.append(f"{missing} park(s) have no {by}: listed last, without a rank.")
    params = [s.summary.provenance.parameters for s in summaries]
    differ = sorted({k for p in params for k in p if any(q.get(k) != p.get(k) for q in params)})
    if differ:
        notes.append(
            f"The assessments used different settings ({', '.join(differ)}): their figures are not "
            "strictly comparable."
        )
    return notes


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table as JSON-safe records: NaN / <NA> → None, NumPy scalars → Python."""
    out = []
    for rec in frame.to_dict(orient="records"):
        clean = {}
        for key, value in rec.items():
            if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
                clean[key] = None
            elif isinstance(value, np.generic):
                clean[key] = value.item()
            else:
                clean[key] = value
        out.append(clean)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, overwrite: bool = False) -> Path:
    """Write the table as UTF-8 CSV, whole or not at all (:func:`parkscope.files.io.atomic_output`).

    Raises
    ------
    InputError
        ``path`` is a folder, exists and ``overwrite`` is False, or its folder cannot be written.
    """
    path = Path(path)
    try:
        with atomic_output(path, overwrite=overwrite) as tmp:
            frame.to_csv(tmp, index=False, encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"Cannot write {path} ({exc.strerror or exc}): choose another -o file or folder."
        ) from exc
    return path


_LAG_SHORT = {
    "industry_without_city": "city lags",  # 有产无城
    "city_without_industry": "industry lags",  # 有城无产
    "balanced": "balanced",
}


def display_table(
    frame: pd.DataFrame, width: int | None = None
) -> tuple[list[tuple[str, bool]], list[list[str]], list[str]]:
    """A narrow, readable form of :func:`compare_table`'s result for a terminal.

    Columns every park lacks are left out; numbers are shortened, ``lag_type`` is put in words.

    Parameters
    ----------
    frame : DataFrame
        From :func:`compare_table`.
    width : int, optional
        Characters available. When the table would be wider, the subsystem columns (ind, city,
        ppl) and then the five-park columns are left out (the legend says so); the park names
        fold only after that.

    Returns
    -------
    columns : list of (header, numeric)
    rows : list of list of str
        One per park, in the table's order; ``–`` where a value is missing.
    legend : list of str
        One line per group of columns shown.
    """
    by = frame.attrs.get("by", "life_convenience_score")
    subsystems = {"industry": "ind", "city": "city", "people": "ppl"}
    five = {f"five_{d}": d[:5] for d in FIVE_PARK_DIMENSIONS}
    stats = {"land_productivity": "亿元/km²", "employees": "empl", "rd_staff_share": "R&D"}
    headers = {
        "rank": "#",
        "park": "park",
        "life_convenience_score": "life",
        "coordination_D": "D",
        "class_en": "class",
        "lag_type": "lag",
        **subsystems,
        "jobs_housing_ratio": "J/H",
        **five,
        **stats,
    }
    if frame["coordination_D"].isna().all():
        headers |= {"extract": "extract", "osm_timestamp": "OSM data of"}
    headers.setdefault(by, by)  # the ranking column is always shown
    numeric = set(rankable_columns()) | {"rank"}

    def cell(rec: dict[str, Any], col: str) -> str:
        value = rec[col]
        if value is None:
            return "–"
        if col == "class_en" and rec["level"] is not None:
            return f"{rec['level']:.0f} {value}"
        if col == "lag_type":
            return _LAG_SHORT.get(str(value), str(value))
        if col == "osm_timestamp":
            return str(value)[:10]
        if col == "rd_staff_share":
            return f"{100 * value:.0f}%"
        if isinstance(value, float):  # 3 significant digits; counts (jobs…) in full
            return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        return str(value)

    records = table_records(frame)
    cells = {c: [cell(rec, c) for rec in records] for c in headers}
    cols = [c for c in headers if c in ("rank", "park", by) or frame[c].notna().any()]
    hidden: list[str] = []

    def needed(columns: list[str]) -> int:  # each column: its widest text, 2 padding, 1 rule
        return sum(max(len(headers[c]) + 2, *(len(v) for v in cells[c])) + 3 for c in columns)

    groups = ((stats, "park statistics"), (subsystems, "ind, city, ppl"), (five, "five-park scores"))
    for group, label in groups:
        if width is not None and needed(cols) > width and any(c in group for c in cols):
            cols = [c for c in cols if c not in group or c == by]
            hidden.append(label)
    rows = [[cells[c][i] for c in cols] for i in range(len(records))]
    columns = [(headers[c] + (" ▼" if c == by else ""), c in numeric) for c in cols]
    legend = [
        f"#: rank by {by}, highest first; equal values share a rank, parks without one come last.",
        "life: life-convenience score 0–10 (walking access to daily amenities).",
    ]
    if "coordination_D" in cols:
        legend += [
            "D: coupling coordination 0–1 of industry, city and people"
            + (" (ind, city, ppl: 0–1 each);" if "industry" in cols else ";"),
            "   class: its level 1–10 (6 and up coordinated); lag: the side that lags;",
            "   J/H: jobs per resident.",
        ]
    if any(c in five for c in cols):
        legend.append("innov … open: five-park scores 0–100 (innovative, green, smart, humane, open).")
    if any(c in stats for c in cols):
        legend.append("亿元/km², empl, R&D: the park's reported land productivity, employees and R&D staff "
                      "share ([park_data]).")
    if hidden:
        legend.append(f"Left out for width: {' and '.join(hidden)}. All columns: --json or -o FILE.csv.")
    else:
        legend.append("All columns: --json or -o FILE.csv.")
    return columns, rows, legend
