"""Readers of collaboration records: CORDIS exports, participation tables, agreements tables.

Reading only (no analysis): every reader returns plain DataFrames with the canonical columns below
and a :class:`Issues` record of what it found odd (duplicates, self-links, unknown kinds, missing
coordinates), so that nothing is dropped silently. A later refactor moves these readers to the
sources layer.

Canonical columns
-----------------
participations
    ``project``, ``actor``, ``name``, ``kind_raw``, ``country``, ``lon``, ``lat``, ``date``,
    ``scheme``, ``field`` (one row per actor per project).
agreements
    ``a``, ``b``, ``type``, ``date`` (one row per agreement between two actors).
actors
    ``actor``, ``name``, ``kind_raw``, ``country``, ``lon``, ``lat``.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkscope.errors import InputError

PARTICIPATION_KEYS = ("project", "actor", "name", "kind", "country", "lon", "lat", "date")
AGREEMENT_KEYS = ("a", "b", "type", "date")
ACTOR_KEYS = ("id", "name", "kind", "country", "lon", "lat")
#: CORDIS organisation export columns -> canonical keys.
CORDIS_COLUMNS = {
    "project": "projectID",
    "actor": "organisationID",
    "name": "name",
    "kind": "activityType",
    "country": "country",
}
_YEAR = re.compile(r"-(20\d\d|19\d\d)(?:\D|$)")


@dataclass
class Issues:
    """What a reader or the graph builder found and how it was handled (reported in summary.json)."""

    duplicate_participations: int = 0
    duplicate_agreements: int = 0
    self_links: list[str] = field(default_factory=list)
    unknown_kinds: dict[str, int] = field(default_factory=dict)
    unplaced_actors: int = 0
    actors_not_described: list[str] = field(default_factory=list)
    multi_valued_kinds: int = 0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the handling of each case."""
        return {
            "duplicate_participations": self.duplicate_participations,
            "duplicate_agreements": self.duplicate_agreements,
            "self_links": len(self.self_links),
            "self_link_actors": self.self_links[:50],
            "unknown_kinds": self.unknown_kinds,
            "unplaced_actors": self.unplaced_actors,
            "actors_not_described": len(self.actors_not_described),
            "multi_valued_kinds": self.multi_valued_kinds,
            "handling": {
                "duplicate_participations": "counted once (an actor takes part in a project once)",
                "duplicate_agreements": "identical rows (same pair, type and date) counted once",
                "self_links": "not links (an actor with itself); the actor is kept",
                "unknown_kinds": "kept as kind 'other'",
                "unplaced_actors": "kept in every count; not drawn on the map, no distance",
                "actors_not_described": "kept with unknown name, kind 'other', unplaced",
                "multi_valued_kinds": "first value used (CORDIS 'PRC;PRC')",
            },
            "notes": self.notes,
        }


def parse_columns(spec: str | None) -> dict[str, str]:
    """``project=P,actor=ORG`` → ``{"project": "P", "actor": "ORG"}``.

    Raises
    ------
    InputError
        On an unknown key or a malformed pair.
    """
    if not spec:
        return {}
    known = set(PARTICIPATION_KEYS) | set(AGREEMENT_KEYS)
    out: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not value:
            raise InputError(
                f"--columns: '{part}' is not KEY=COLUMN; write e.g. --columns project=grant,actor=org_id."
            )
        if key not in known:
            raise InputError(f"--columns: unknown key '{key}'; the keys are {', '.join(sorted(known))}.")
        out[key] = value
    return out


def read_table(path: str | Path) -> pd.DataFrame:
    """Read CSV, gzip'd CSV, TSV, JSON (records) or Parquet into a DataFrame of strings where textual.

    Raises
    ------
    InputError
        When the file is missing, empty or not one of those formats.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Records file {path} does not exist: give a CSV, JSON or Parquet table.")
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            frame = pd.read_parquet(path)
        elif name.endswith((".json", ".json.gz")):
            frame = pd.DataFrame(json.loads(_read_text(path)))
        elif name.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt")):
            sep = "\t" if ".tsv" in name else ","
            frame = pd.read_csv(path, dtype=str, sep=sep, keep_default_na=False, na_values=[""])
        else:
            raise InputError(f"{path}: unknown format; give .csv, .csv.gz, .tsv, .json or .parquet.")
    except (ValueError, json.JSONDecodeError, OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path} cannot be read as a table ({exc}); give a CSV, JSON (list of records) or Parquet file."
        ) from exc
    if frame.empty:
        raise InputError(f"{path} holds no rows: give a table with one row per participation or agreement.")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _read_text(path: Path) -> str:
    if path.name.lower().endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return fh.read()
    return path.read_text(encoding="utf-8")


def _text(series: pd.Series) -> pd.Series:
    """Strings with surrounding space removed; empty and missing as <NA>."""
    s = series.astype("string").str.strip()
    return s.mask(s == "")


def _number(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series, errors="coerce").astype("float64")


def _geolocation(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """CORDIS ``geolocation`` "lat,lon" → (lon, lat), NaN where missing or malformed."""
    parts = _text(series).str.split(",", n=1, expand=True).reindex(columns=[0, 1])
    lat, lon = _number(parts[0]), _number(parts[1])
    bad = ~(lat.between(-90, 90) & lon.between(-180, 180))
    return lon.mask(bad), lat.mask(bad)


def is_cordis(frame: pd.DataFrame) -> bool:
    """A CORDIS organisation export (projectID, organisationID, activityType)."""
    return {"projectID", "organisationID", "activityType"} <= set(frame.columns)


def is_agreements(frame: pd.DataFrame, columns: dict[str, str]) -> bool:
    """An agreements table: columns ``a`` and ``b`` (or mapped to them)."""
    return {columns.get("a", "a"), columns.get("b", "b")} <= set(frame.columns)


def _pick(
    frame: pd.DataFrame, columns: dict[str, str], key: str, required: bool, path: Path
) -> pd.Series | None:
    col = columns.get(key, key)
    if col in frame.columns:
        return frame[col]
    if required:
        raise InputError(
            f"{path}: no column '{col}' for {key} (columns: {', '.join(list(frame.columns)[:20])}). "
            f"Name it with --columns {key}=YOURCOLUMN."
        )
    if key in columns:
        raise InputError(f"{path}: --columns {key}={col} names a column the table does not have.")
    return None


def participations_from(frame: pd.DataFrame, columns: dict[str, str], path: Path) -> pd.DataFrame:
    """Canonical participations from a CORDIS export or a mapped participation table."""
    cols = {**CORDIS_COLUMNS, **columns} if is_cordis(frame) else dict(columns)
    out = pd.DataFrame(index=frame.index)
    for key in ("project", "actor"):
        out[key] = _text(_pick(frame, cols, key, True, path))  # type: ignore[arg-type]
    missing = out["project"].isna() | out["actor"].isna()
    if missing.any():
        raise InputError(
            f"{path}: {int(missing.sum())} rows have no project or no actor id; fill or remove them."
        )
    for key in ("name", "kind", "country"):
        s = _pick(frame, cols, key, False, path)
        out["kind_raw" if key == "kind" else key] = (
            _text(s) if s is not None else pd.Series(pd.NA, index=frame.index, dtype="string")
        )
    lon_s, lat_s = _pick(frame, cols, "lon", False, path), _pick(frame, cols, "lat", False, path)
    if lon_s is not None and lat_s is not None:
        out["lon"], out["lat"] = _number(lon_s), _number(lat_s)
    elif "geolocation" in frame.columns:
        out["lon"], out["lat"] = _geolocation(frame["geolocation"])
    else:
        out["lon"], out["lat"] = np.nan, np.nan
    date = _pick(frame, cols, "date", False, path)
    if date is None and "startDate" in frame.columns:
        date = frame["startDate"]
    out["date"] = pd.to_datetime(_text(date), errors="coerce") if date is not None else pd.NaT
    out["scheme"] = _text(frame["fundingScheme"]) if "fundingScheme" in frame.columns else pd.NA
    out["field"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return out.reset_index(drop=True)


def field_of_topic(topic: pd.Series) -> pd.Series:
    """Field of a CORDIS topic code: its leading parts before the first numeric one.

    ``ICT-37-2015-1`` → ``ICT``; ``MSCA-RISE-2015`` → ``MSCA-RISE``; ``SP1-JTI-ENIAC-2012-3`` →
    ``SP1-JTI-ENIAC``; of several topics (``a;b``) the first.
    """
    first = _text(topic).str.split(";", n=1).str[0].str.upper()
    return first.str.extract(r"^([A-Z][A-Z0-9.]*(?:-[A-Z][A-Z0-9.]*)*)", expand=False).astype("string")


def year_of_topic(topic: pd.Series) -> pd.Series:
    """Call year in a CORDIS topic code (``ICT-37-2015-1`` → 2015) as 1 January of it; NaT if none."""
    year = _text(topic).str.extract(_YEAR, expand=False)
    return pd.to_datetime(year + "-01-01", errors="coerce")


def read_projects(paths: list[str | Path]) -> pd.DataFrame:
    """Project attributes from CORDIS project files.

    Columns ``project``, ``date``, ``date_source``, ``scheme``, ``field``.

    Accepts the CORDIS projects export (``id``, ``startDate``, ``fundingScheme``, ``topics``) and
    the topics table (``projectID``, ``topic``): a start date wins over a topic's call year.
    """
    frames = []
    for path in paths:
        t = read_table(path)
        pid = next((c for c in ("id", "projectID", "project") if c in t.columns), None)
        if pid is None:
            raise InputError(f"--projects {path}: no project id column (id or projectID).")
        topic = next((c for c in ("topics", "topic") if c in t.columns), None)
        f = pd.DataFrame({"project": _text(t[pid])})
        nat = pd.Series(pd.NaT, index=t.index, dtype="datetime64[ns]")
        start = pd.to_datetime(_text(t["startDate"]), errors="coerce") if "startDate" in t.columns else nat
        call = year_of_topic(t[topic]) if topic else nat
        f["date"] = start.fillna(call)
        f["date_source"] = np.where(start.notna(), "start_date", np.where(call.notna(), "call_year", None))
        f["scheme"] = _text(t["fundingScheme"]) if "fundingScheme" in t.columns else pd.NA
        f["field"] = field_of_topic(t[topic]) if topic else pd.NA
        frames.append(f)
    projects = pd.concat(frames, ignore_index=True)
    # several files: the first non-missing value of each attribute per project
    return projects.groupby("project", sort=False).first().reset_index()


def attach_projects(parts: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """Fill the participations' date, scheme and field from project files (values given in RECORDS win)."""
    p = projects.set_index("project")
    out = parts.copy()
    for col in ("date", "scheme", "field"):
        mapped = out["project"].map(p[col]) if col in p.columns else None
        if mapped is not None:
            out[col] = out[col].where(out[col].notna(), mapped)
    out["date"] = pd.to_datetime(out["date"])
    return out


def agreements_from(frame: pd.DataFrame, columns: dict[str, str], path: Path) -> pd.DataFrame:
    """Canonical agreements (``a``, ``b``, ``type``, ``date``)."""
    out = pd.DataFrame({"a": _text(frame[columns.get("a", "a")]), "b": _text(frame[columns.get("b", "b")])})
    if (out["a"].isna() | out["b"].isna()).any():
        n = int((out["a"].isna() | out["b"].isna()).sum())
        raise InputError(f"{path}: {n} agreements lack an actor in a or b; fill or remove them.")
    t = _pick(frame, columns, "type", False, path)
    out["type"] = _text(t) if t is not None else pd.Series(pd.NA, index=frame.index, dtype="string")
    d = _pick(frame, columns, "date", False, path)
    out["date"] = pd.to_datetime(_text(d), errors="coerce") if d is not None else pd.NaT
    return out


def read_actors(path: str | Path) -> pd.DataFrame:
    """Actors table (``id``, ``name``, ``kind``, ``country``, ``lon``, ``lat``) → canonical actors."""
    path = Path(path)
    t = read_table(path)
    if "id" not in t.columns:
        raise InputError(f"--actors {path}: no column 'id' (columns: {', '.join(t.columns)}).")
    out = pd.DataFrame({"actor": _text(t["id"])})
    for key, col in (("name", "name"), ("kind_raw", "kind"), ("country", "country")):
        out[key] = _text(t[col]) if col in t.columns else pd.Series(pd.NA, index=t.index, dtype="string")
    out["lon"] = _number(t["lon"]) if "lon" in t.columns else np.nan
    out["lat"] = _number(t["lat"]) if "lat" in t.columns else np.nan
    if out["actor"].duplicated().any():
        dup = out.loc[out["actor"].duplicated(), "actor"].iloc[0]
        raise InputError(f"--actors {path}: actor id '{dup}' appears twice; give each actor one row.")
    return out


@dataclass
class Records:
    """What :func:`read_records` returns: participations or agreements, the actors and the issues."""

    mode: str  # "participations" or "agreements"
    participations: pd.DataFrame | None
    agreements: pd.DataFrame | None
    actors: pd.DataFrame
    issues: Issues
    source: str
    cordis: bool


def _actors_of_participations(parts: pd.DataFrame) -> pd.DataFrame:
    """One row per actor: its first name, country and located position, and its most frequent raw kind."""
    first = (
        parts.groupby("actor", sort=True)
        .agg(name=("name", "first"), country=("country", "first"), lon=("lon", "first"), lat=("lat", "first"))
        .reset_index()
    )
    counts = parts.dropna(subset=["kind_raw"]).groupby(["actor", "kind_raw"], sort=True).size().rename("k")
    mode = counts.reset_index().sort_values(["actor", "k"], ascending=[True, False], kind="stable")
    mode = mode.drop_duplicates("actor").set_index("actor")["kind_raw"]
    first.insert(2, "kind_raw", first["actor"].map(mode).astype("string"))
    return first


def read_records(
    path: str | Path,
    *,
    actors: str | Path | None = None,
    projects: list[str | Path] | None = None,
    columns: dict[str, str] | None = None,
) -> Records:
    """Read RECORDS (and ACTORS, project files): participations or agreements, canonical columns.

    Parameters
    ----------
    path : path
        CORDIS organisations export (JSON or CSV), a participation table (one row per actor per
        project; columns mapped with ``columns``) or an agreements table (``a``, ``b``, optional
        ``type``, ``date``).
    actors : path, optional
        Actors of an agreements table (``id``, ``name``, ``kind``, ``country``, ``lon``, ``lat``).
    projects : list of path, optional
        CORDIS projects export and/or topics table: project dates, schemes and fields.
    columns : dict, optional
        Canonical key → column name of the table.

    Raises
    ------
    InputError
        On unreadable files, missing columns or ids.
    """
    path = Path(path)
    columns = columns or {}
    frame = read_table(path)
    issues = Issues()
    if is_agreements(frame, columns):
        agreements = agreements_from(frame, columns, path)
        described = (
            read_actors(actors)
            if actors
            else pd.DataFrame(columns=["actor", "name", "kind_raw", "country", "lon", "lat"])
        )
        ids = pd.unique(pd.concat([agreements["a"], agreements["b"]]).to_numpy())
        missing = sorted(set(ids) - set(described["actor"]))
        issues.actors_not_described = missing
        if missing and actors:
            issues.notes.append(f"{len(missing)} actors of the agreements are not in {Path(actors).name}.")
        extra = pd.DataFrame({"actor": pd.array(missing, dtype="string")})
        table = pd.concat([described, extra], ignore_index=True) if missing else described
        return Records("agreements", None, agreements, table.reset_index(drop=True), issues, str(path), False)
    cordis = is_cordis(frame)
    parts = participations_from(frame, columns, path)
    if projects:
        parts = attach_projects(parts, read_projects(projects))
    multi = parts["kind_raw"].str.contains(";", na=False)
    issues.multi_valued_kinds = int(multi.sum())
    parts["kind_raw"] = parts["kind_raw"].str.split(";").str[0].str.strip()
    dup = parts.duplicated(["project", "actor"])
    issues.duplicate_participations = int(dup.sum())
    parts = parts.loc[~dup].reset_index(drop=True)
    return Records("participations", parts, None, _actors_of_participations(parts), issues, str(path), cordis)
