"""Many parks from one extract: ``parkscope batch EXTRACT PARKS.(csv|gpkg) -o BATCHDIR``.

:func:`read_parks` reads and checks the parks table (all of it, before any work);
:func:`assess_park` assesses one park with :func:`parkscope.assessment.assess` — the same stages
and arguments as ``parkscope assess`` — and writes its folder whole or not at all;
:func:`run_batch` runs the parks on Dask workers (a ``LocalCluster`` of worker processes, or the
scheduler of a running cluster), skips parks whose folder already holds their result (resume),
and writes ``ranking.csv``. docs/batch.md describes the files and the rules.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import logging
import math
import os
import re
import shlex
import shutil
import tempfile
import threading
import time
import traceback
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from anyascii import anyascii

from parkscope.assessment import assess
from parkscope.errors import InputError, ParkscopeError
from parkscope.files.io import atomic_output, atomic_output_dir, check_output, write_json
from parkscope.inputs.area import parse_bbox
from parkscope.outputs.compare import Assessed, compare_table
from parkscope.settings.summary import parse_summary

log = logging.getLogger(__name__)

__all__ = [
    "BATCH_MARKER",
    "PARK_RECORD",
    "RANKING_COLUMNS",
    "BatchResult",
    "ParkResult",
    "ParkSpec",
    "assess_park",
    "local_client",
    "ranking_table",
    "read_parks",
    "run_batch",
    "slugify",
]

#: The file that marks a folder as a parkscope batch (written first: a batch stopped halfway resumes).
BATCH_MARKER = "batch.json"
#: The park's row as it was assessed, kept in its folder (a changed row is assessed again).
PARK_RECORD = "park.json"
#: Longest slug before the hash that keeps it unique.
SLUG_MAX = 48
#: Status of a park in ranking.csv: assessed now, found assessed (resume), or not assessed.
STATUSES = ("ok", "skipped", "failed", "error")

Progress = Callable[["ParkResult", int, int], None]
_EXTRA = "\0extra"  # csv.DictReader's key for fields beyond the header


# --------------------------------------------------------------------------------------------------
# The parks table
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParkSpec:
    """One park of the parks table, checked; paths made absolute (relative to the table's folder).

    Attributes
    ----------
    name : str
    slug : str
        Its folder in BATCHDIR (:func:`slugify`, unique in the table).
    row : str
        Where it is in the table (``row 4`` of a CSV counts the header as row 1; ``feature 3`` of
        a GeoPackage), for messages.
    bbox : str or None
        ``"W,S,E,N"``.
    wkt : str or None
        The WGS84 polygon (a GeoPackage geometry in WGS84 as WKT).
    buffer_m, jobs_total, residents_total : float or None
    jobs, residents, config : str or None
        ``FILE[:COLUMN]`` tables (or rasters) and a settings TOML, as for ``parkscope assess``.
    """

    name: str
    slug: str
    row: str
    bbox: str | None = None
    wkt: str | None = None
    buffer_m: float | None = None
    jobs: str | None = None
    residents: str | None = None
    jobs_total: float | None = None
    residents_total: float | None = None
    config: str | None = None

    def record(self, default_config: str | Path | None = None) -> dict[str, Any]:
        """What decides the park's result (park.json): everything but where it sits in the table,
        with the settings file it is assessed with."""
        record = {k: v for k, v in asdict(self).items() if k != "row"}
        if record["config"] is None and default_config is not None:
            record["config"] = str(Path(default_config).absolute())
        return record


def slugify(name: str) -> str:
    """A folder name for a park: lower-case ASCII words joined by ``-``.

    Latin letters lose their accents, other scripts are transliterated (``anyascii``; Chinese to
    toneless pinyin, one word per character). A name that was not ASCII gets the first 8 hex
    digits of the SHA-256 of the name appended, since transliteration drops the tones and
    characters (``东畔科创中心`` → ``dong-pan-ke-chuang-zhong-xin-<hash>``); a name with no
    letters or digits left becomes ``park-<hash>``.
    """
    words = []
    for char in unicodedata.normalize("NFKC", name):
        text = anyascii(char)
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        words.append(f" {text} " if wide and len(text) > 1 else text)
    base = re.sub(r"[^a-z0-9]+", "-", "".join(words).lower()).strip("-")[:SLUG_MAX].strip("-")
    if base and name.isascii():
        return base
    return f"{base or 'park'}-{_name_hash(name)}"


def _name_hash(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]


def unique_slugs(names: Sequence[str]) -> list[str]:
    """:func:`slugify` each name; names whose slugs collide get the hash of the name appended."""
    slugs = [slugify(n) for n in names]
    seen: dict[str, int] = {}
    for s in slugs:
        seen[s] = seen.get(s, 0) + 1
    return [f"{s}-{_name_hash(n)}" if seen[s] > 1 else s for s, n in zip(slugs, names, strict=True)]


def read_parks(path: str | Path) -> list[ParkSpec]:
    """Read and check a parks table: CSV (``name`` and ``bbox`` or ``wkt``) or GeoPackage.

    Parameters
    ----------
    path : str or Path
        ``PARKS.csv``: columns ``name`` and ``bbox`` (``"W,S,E,N"``) or ``wkt`` (a WGS84 polygon),
        one of the two per row; ``PARKS.gpkg``: ``name`` and polygon geometry (any CRS the file
        declares). Optional columns: ``buffer_m``; ``jobs``, ``residents`` (``FILE[:COLUMN]`` as for
        ``--jobs``, or a number: the park's known head-count, as ``--jobs-total``); ``config`` (a
        settings TOML). Relative paths are read from the table's folder.

    Returns
    -------
    list of ParkSpec
        In the table's order.

    Raises
    ------
    InputError
        The file is missing or unreadable; ``name`` is missing or empty; a row has neither or both
        of ``bbox`` and ``wkt``; a bbox or WKT is malformed or not a polygon in WGS84 degrees; a
        name is given twice; a ``buffer_m`` is not a number of 0 or more. The message names the
        row and the fix; nothing is assessed.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"Parks table {path} does not exist: give a PARKS.csv or PARKS.gpkg (docs/batch.md)."
        )
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows, where = _csv_rows(path)
    elif suffix == ".gpkg":
        rows, where = _gpkg_rows(path)
    else:
        raise InputError(
            f"Parks table {path.name}: give a .csv (columns name and bbox or wkt) or a .gpkg (name and "
            "polygon geometry); see docs/batch.md."
        )
    if not rows:
        raise InputError(f"Parks table {path} holds no park: add one row per park (docs/batch.md).")
    names = [_name(r, w, path) for r, w in zip(rows, where, strict=True)]
    first: dict[str, str] = {}
    for name, w in zip(names, where, strict=True):
        if name in first:
            raise InputError(
                f"{path.name} {w}: the name {name!r} is also in {first[name]}. Each park needs its own "
                "name (it names the park's folder and its row in ranking.csv): rename one of them."
            )
        first[name] = w
    slugs = unique_slugs(names)
    return [
        _spec(r, w, n, s, path) for r, w, n, s in zip(rows, where, names, slugs, strict=True)
    ]


def _csv_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh, restkey=_EXTRA)
            rows = list(reader)
            columns = [str(c).strip() for c in reader.fieldnames or []]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(
            f"Parks table {path} could not be read as a UTF-8 CSV ({exc}). Save it as CSV (UTF-8) "
            "with a header row: name,bbox or name,wkt."
        ) from exc
    _need_columns(path, columns, geometry=False)
    where = [f"row {i + 2}" for i in range(len(rows))]
    for row, w in zip(rows, where, strict=True):
        if row.get(_EXTRA):
            raise InputError(
                f"{path.name} {w} has more fields than the header ({', '.join(columns)}): a bbox or wkt "
                'holds commas, so put it in double quotes, e.g. "13.52,52.43,13.53,52.44".'
            )
    return [{str(k).strip(): v for k, v in r.items()} for r in rows], where


def _gpkg_rows(path: Path) -> tuple[list[dict[str, Any]], list[str]]:
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises several types for unreadable files
        raise InputError(f"Parks table {path} could not be read as a GeoPackage ({exc}).") from exc
    _need_columns(path, list(frame.columns), geometry=True)
    if frame.crs is None:
        raise InputError(
            f"Parks table {path} has no coordinate reference system: save it with one (e.g. EPSG:4326)."
        )
    where = [f"feature {i + 1}" for i in range(len(frame))]
    missing = [w for w, g in zip(where, frame.geometry.values, strict=True) if g is None or g.is_empty]
    if missing:
        raise InputError(
            f"{path.name} {missing[0]}: no geometry. Draw the park's outline (a polygon) or remove the "
            "feature."
        )
    frame = frame.to_crs(4326)
    rows = pd.DataFrame(frame.drop(columns="geometry")).astype(object).where(frame.notna(), "")
    records = rows.to_dict("records")
    for rec, geom in zip(records, frame.geometry.values, strict=True):
        rec["wkt"], rec["bbox"] = geom.wkt, ""
    return records, where


def _need_columns(path: Path, columns: list[str], geometry: bool) -> None:
    if "name" not in columns:
        raise InputError(
            f"Parks table {path.name} has no column 'name' (columns: {', '.join(columns) or 'none'}). "
            "Add a column 'name' with each park's name."
        )
    if not geometry and "bbox" not in columns and "wkt" not in columns:
        raise InputError(
            f"Parks table {path.name} has neither a 'bbox' nor a 'wkt' column (columns: "
            f"{', '.join(columns)}). Add 'bbox' (\"W,S,E,N\" in WGS84 degrees) or 'wkt' (a WGS84 polygon)."
        )


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key, "")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _name(row: dict[str, Any], where: str, path: Path) -> str:
    name = _cell(row, "name")
    if not name:
        raise InputError(f"{path.name} {where}: the name is empty. Give every park a name.")
    return name


def _spec(row: dict[str, Any], where: str, name: str, slug: str, path: Path) -> ParkSpec:
    here = f"{path.name} {where} ({name})"
    bbox, wkt = _cell(row, "bbox"), _cell(row, "wkt")
    if bool(bbox) == bool(wkt):
        raise InputError(
            f"{here}: give {'either' if bbox else 'one of'} bbox (\"W,S,E,N\") or wkt (a WGS84 polygon)"
            + (", not both." if bbox else "; the row has neither.")
        )
    if bbox:
        try:
            w, s, e, n = parse_bbox(bbox)
        except InputError as exc:
            raise InputError(f"{here}: {exc}") from exc
        bbox = f"{w!r},{s!r},{e!r},{n!r}"
    else:
        wkt = _check_wkt(wkt, here)
    buffer_m = _number(row, "buffer_m", here, "the ring around the park in metres, e.g. 2000")
    counts: dict[str, Any] = {}
    for kind in ("jobs", "residents"):  # a number is the park's head-count, else a FILE[:COLUMN] table
        text = _cell(row, kind)
        try:
            float(text)
        except ValueError:
            counts[kind] = _resolve(text, path)
        else:
            counts[f"{kind}_total"] = _number(row, kind, here, f"the park's {kind} or a FILE[:COLUMN] table")
    config = _cell(row, "config")
    return ParkSpec(
        name=name, slug=slug, row=where, bbox=bbox or None, wkt=wkt or None, buffer_m=buffer_m,
        config=str(_resolve(config, path)) if config else None, **counts,
    )


def _number(row: dict[str, Any], key: str, here: str, hint: str) -> float | None:
    text = _cell(row, key)
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{here}: {key} {text!r} is not a number of 0 or more; give {hint or 'a count'}.")
    return value


def _resolve(spec: str, table: Path) -> str | None:
    """A ``FILE[:COLUMN]`` spec with a relative FILE made relative to the parks table's folder."""
    if not spec:
        return None
    file, sep, column = spec.partition(":") if not re.match(r"^[A-Za-z]:[\\/]", spec) else (spec, "", "")
    resolved = Path(file) if Path(file).is_absolute() else (table.parent / file).resolve()
    return f"{resolved}{sep}{column}"


def _check_wkt(text: str, here: str) -> str:
    try:
        geom = shapely.from_wkt(text)
    except shapely.errors.GEOSException as exc:
        raise InputError(
            f"{here}: the wkt is not valid WKT ({exc}). Give a polygon such as "
            "POLYGON((13.52 52.43, 13.53 52.43, 13.53 52.44, 13.52 52.43))."
        ) from exc
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "empty" if geom is None or geom.is_empty else f"a {geom.geom_type}"
        raise InputError(f"{here}: the wkt is {kind}; give the park's outline as a POLYGON or MULTIPOLYGON.")
    w, s, e, n = geom.bounds
    if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
        raise InputError(
            f"{here}: the wkt's coordinates ({w:.6g}, {s:.6g} … {e:.6g}, {n:.6g}) are not WGS84 degrees: "
            "give longitude latitude pairs (reproject a projected outline to EPSG:4326 first)."
        )
    return str(geom.wkt)


# --------------------------------------------------------------------------------------------------
# One park
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParkResult:
    """What became of one park: ``status`` is one of :data:`STATUSES`; ``summary`` its summary.json."""

    name: str
    slug: str
    status: str
    message: str = ""
    seconds: float = 0.0
    summary: dict[str, Any] | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()  # what parkscope warned of while assessing it


def assess_park(
    extract: str | Path, spec: ParkSpec, batchdir: str | Path, default_config: str | Path | None = None,
    report: bool = True,
) -> ParkResult:
    """Assess one park and write ``batchdir/<slug>`` whole or not at all; never raises.

    The assessment is :func:`parkscope.assessment.assess` with the arguments ``parkscope assess``
    would get (:func:`assess_command` prints them; run.json keeps them): a bbox park as ``--bbox``,
    a polygon park as ``--boundary <slug>.geojson`` (written into the folder, so that its
    ``area.name`` is the slug). The folder also holds park.json, the park's row. An error of the
    park (outside the extract, a polygon with no area, no walkable network, a bad table) becomes a
    ``failed`` result with the message; any other exception an ``error`` result with its type.
    """
    t0 = time.perf_counter()
    batchdir = Path(batchdir)
    config = spec.config or (None if default_config is None else str(default_config))
    warned: list[str] = []
    try:
        with _warnings_into(warned), tempfile.TemporaryDirectory(prefix="parkscope-batch-") as tmp:
            boundary = _write_boundary(spec, Path(tmp)) if spec.wkt else None
            result = assess(
                extract, bbox=spec.bbox, boundary=boundary, buffer_m=spec.buffer_m, config=config,
                jobs=spec.jobs, residents=spec.residents, jobs_total=spec.jobs_total,
                residents_total=spec.residents_total, attribution=[],
            )
            result.run_info["command"] = assess_command(extract, spec, batchdir, config)
            with atomic_output_dir(batchdir / spec.slug, overwrite=True) as staging:
                result.write(staging, report=report, overwrite=True)
                summary = json.loads((staging / "summary.json").read_text(encoding="utf-8"))  # as written
                write_json({**spec.record(default_config), "warnings": warned}, staging / PARK_RECORD)
                if boundary is not None:
                    shutil.copyfile(boundary, staging / boundary.name)
    except ParkscopeError as exc:
        return ParkResult(spec.name, spec.slug, "failed", str(exc), time.perf_counter() - t0,
                          warnings=tuple(warned))
    except Exception as exc:  # one park's bug must not stop the others: record it with its trace
        log.debug("park %s: %s", spec.name, traceback.format_exc())
        return ParkResult(spec.name, spec.slug, "error", f"{type(exc).__name__}: {exc}",
                          time.perf_counter() - t0, warnings=tuple(warned))
    return ParkResult(spec.name, spec.slug, "ok", "", time.perf_counter() - t0, summary, tuple(warned))


class _Warnings(logging.Handler):
    """Collects the warnings parkscope logs in this thread (a worker may run parks in threads)."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.messages.append(record.getMessage())


@contextlib.contextmanager
def _warnings_into(messages: list[str]) -> Iterator[None]:
    """Append to ``messages`` what parkscope warns of while the block runs (still logged as usual)."""
    handler, logger = _Warnings(messages), logging.getLogger("parkscope")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _write_boundary(spec: ParkSpec, folder: Path) -> Path:
    """The park's polygon as ``<slug>.geojson`` (``--boundary`` takes the file's stem as the name)."""
    path = folder / f"{spec.slug}.geojson"
    feature = {"type": "Feature", "properties": {"name": spec.name},
               "geometry": shapely.geometry.mapping(shapely.from_wkt(spec.wkt))}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def assess_command(
    extract: str | Path, spec: ParkSpec, batchdir: str | Path, config: str | Path | None = None
) -> str:
    """The ``parkscope assess`` command that gives the park's summary.json byte for byte."""
    args = ["parkscope", "assess", str(extract)]
    if spec.bbox:
        args += ["--bbox", spec.bbox]
    else:
        args += ["--boundary", str(Path(batchdir) / spec.slug / f"{spec.slug}.geojson")]
    options = (("--buffer", spec.buffer_m), ("--config", config), ("--jobs", spec.jobs),
               ("--residents", spec.residents), ("--jobs-total", spec.jobs_total),
               ("--residents-total", spec.residents_total))
    for flag, value in options:
        if value is not None:
            args += [flag, _number_text(value) if isinstance(value, float) else str(value)]
    return shlex.join([*args, "-o", "OUTDIR"])


def _number_text(value: float) -> str:
    """A number as typed: ``350`` for 350.0, else every digit (``repr``)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _done_before(batchdir: Path, spec: ParkSpec, config: str | Path | None) -> ParkResult | None:
    """The park's result if its folder holds a whole result of the same row, else None."""
    folder = batchdir / spec.slug
    try:
        record = json.loads((folder / PARK_RECORD).read_text(encoding="utf-8"))
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    wanted = json.loads(json.dumps(spec.record(config)))
    if not isinstance(record, dict) or {k: record.get(k) for k in wanted} != wanted:
        return None
    return ParkResult(spec.name, spec.slug, "skipped", "assessed before", 0.0, summary,
                      tuple(record.get("warnings") or ()))


# --------------------------------------------------------------------------------------------------
# The batch
# --------------------------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """The parks in table order, the ranking written to ranking.csv, and the folder."""

    outdir: Path
    results: list[ParkResult]
    ranking: pd.DataFrame
    workers: int | str | None = None

    @property
    def failed(self) -> list[ParkResult]:
        return [r for r in self.results if r.status in ("failed", "error")]


def run_batch(
    extract: str | Path,
    parks: str | Path | Sequence[ParkSpec],
    outdir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    overwrite: bool = False,
    default_config: str | Path | None = None,
    report: bool = True,
    progress: Progress | None = None,
) -> BatchResult:
    """Assess every park of a parks table on Dask workers; resume a batch stopped halfway.

    Parameters
    ----------
    extract : str or Path
        The OSM extract every park is read from.
    parks : str, Path or sequence of ParkSpec
        The parks table (:func:`read_parks`) or its parks.
    outdir : str or Path
        BATCHDIR: one folder per park (its slug) holding a ``parkscope assess`` OUTDIR and park.json,
        ``ranking.csv`` and ``batch.json``. On an existing BATCHDIR of the same extract, parks whose
        folder holds the result of the same row are skipped and the others assessed.
    workers : int, optional
        Worker processes of a ``dask.distributed.LocalCluster`` (one thread each); 0 runs the parks
        one after the other in this process, without Dask. Default: one per CPU, at most one per
        park to assess; a single park to assess runs in this process. Dask starts its workers
        with ``spawn``: a script that calls this needs ``if __name__ == "__main__":``.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); its workers must see the extract,
        the parks' files and BATCHDIR at the same paths.
    client : dask.distributed.Client, optional
        A client to use instead (Python only).
    overwrite : bool
        Delete an existing BATCHDIR first and assess every park again.
    default_config : str or Path, optional
        Settings for parks whose row gives no ``config``.
    report : bool
        Write each park's report.html.
    progress : callable, optional
        ``progress(result, done, total)`` after each park (skipped ones too).

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        A bad parks table (nothing written); an OUTDIR that is not a batch, or a batch of another
        extract (unless ``overwrite``); both ``workers`` and ``scheduler``.
    """
    extract, outdir = Path(extract), Path(outdir)
    if workers is not None and scheduler is not None:
        raise InputError("Give --workers N (a local cluster) or --scheduler ADDRESS (a running one), "
                         "not both.")
    if workers is not None and workers < 0:
        raise InputError(f"--workers {workers}: give 1 or more worker processes (0: no Dask, in this "
                         "process).")
    specs = read_parks(parks) if isinstance(parks, (str, Path)) else list(parks)
    if not extract.is_file():
        raise InputError(f"Extract {extract} does not exist: give the .osm.pbf (or .osm) the parks lie in.")
    extract = extract.absolute()  # workers may run in another folder
    default_config = None if default_config is None else Path(default_config).absolute()
    stamp = _batch_stamp(extract)
    _open_batchdir(outdir, stamp, overwrite)
    results: dict[str, ParkResult] = {}
    todo: list[ParkSpec] = []
    for spec in specs:
        before = _done_before(outdir, spec, default_config)
        if before is None:
            todo.append(spec)
        else:
            results[spec.slug] = before
    done = 0
    for result in results.values():
        done += 1
        if progress is not None:
            progress(result, done, len(specs))
    used: int | str | None = None
    if todo:
        with _executor(workers, scheduler, client, len(todo)) as (submit, used):
            for result in submit(extract, todo, outdir, default_config, report):
                results[result.slug] = result
                done += 1
                if progress is not None:
                    progress(result, done, len(specs))
    ordered = [results[s.slug] for s in specs]
    ranking = ranking_table(ordered)
    with atomic_output(outdir / "ranking.csv", overwrite=True) as tmp:
        ranking.to_csv(tmp, index=False, encoding="utf-8")
    return BatchResult(outdir, ordered, ranking, used)


def _batch_stamp(extract: Path) -> dict[str, Any]:
    with extract.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return {"extract": extract.name, "extract_sha256": digest}


def _open_batchdir(outdir: Path, stamp: dict[str, Any], overwrite: bool) -> None:
    """Check BATCHDIR (a new or empty folder, or a batch of the same extract) and mark it a batch."""
    check_output(outdir, overwrite=True, marker=BATCH_MARKER)  # refuses a folder that is not a batch
    marker = outdir / BATCH_MARKER
    if marker.is_file():
        try:
            before = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            before = {}
        if overwrite:
            _remove_whole(outdir)
        elif before.get("extract_sha256") != stamp["extract_sha256"]:
            raise InputError(
                f"{outdir} holds a batch of {before.get('extract', 'another extract')}, not of "
                f"{stamp['extract']} as it is now: resuming would mix results of two extracts. Give "
                "--overwrite to assess every park again, or choose another -o folder."
            )
    if not marker.is_file():
        with atomic_output(marker, overwrite=True) as tmp:
            write_json(stamp, tmp)


def _remove_whole(folder: Path) -> None:
    """Rename ``folder`` aside (one rename: it is never half deleted under its name), then delete it."""
    aside = folder.with_name(f".{folder.name}.old-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    os.rename(folder, aside)
    shutil.rmtree(aside, ignore_errors=True)


Submit = Callable[[Path, list[ParkSpec], Path, Any, bool], Iterator[ParkResult]]


@contextlib.contextmanager
def _executor(
    workers: int | None, scheduler: str | None, client: Any, n_parks: int
) -> Iterator[tuple[Submit, int | str | None]]:
    """A function that runs the parks and yields their results as they finish, and who runs them."""
    if client is None and (workers == 0 or (workers is None and scheduler is None and n_parks == 1)):
        yield _in_process, 0  # one park: starting a cluster would cost more than it saves
        return
    # Dask is heavy to import (about a second): only batch runs need it
    from dask.distributed import Client

    chatty = logging.getLogger("distributed")  # set to INFO when imported; the batch reports progress
    chatty.setLevel(max(chatty.getEffectiveLevel(), logging.WARNING))
    if client is not None:
        yield _on_dask(client), "client"
        return
    if scheduler is not None:
        try:
            remote = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(
                f"Cannot reach the Dask scheduler at {scheduler} ({exc}). Start one (`dask scheduler`, "
                "then `dask worker ADDRESS` on each machine) or use --workers N for a local cluster."
            ) from exc
        with remote:
            yield _on_dask(remote), scheduler
        return
    n = workers or max(1, min(os.cpu_count() or 1, n_parks))
    with local_client(n) as local:
        yield _on_dask(local), n


@contextlib.contextmanager
def local_client(workers: int) -> Iterator[Any]:
    """A ``dask.distributed.Client`` of a ``LocalCluster`` on this machine: ``workers`` processes of
    one thread each (a park's stages hold the GIL much of the time), no dashboard (no port to take)."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with cluster, Client(cluster) as client:
        yield client


def _in_process(
    extract: Path, todo: list[ParkSpec], outdir: Path, config: Any, report: bool
) -> Iterator[ParkResult]:
    for spec in todo:
        yield assess_park(extract, spec, outdir, config, report)


def _on_dask(client: Any) -> Submit:
    def submit(
        extract: Path, todo: list[ParkSpec], outdir: Path, config: Any, report: bool
    ) -> Iterator[ParkResult]:
        from dask.distributed import as_completed

        futures = {
            client.submit(assess_park, extract, spec, outdir, config, report, pure=False): spec
            for spec in todo
        }
        for future in as_completed(futures):
            spec = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # the worker died (memory, a crash): the park, not the batch
                yield ParkResult(spec.name, spec.slug, "error", f"{type(exc).__name__}: {exc}")
    return submit


# --------------------------------------------------------------------------------------------------
# ranking.csv
# --------------------------------------------------------------------------------------------------

#: The columns of ranking.csv before those of ``parkscope compare`` (docs/batch.md).
RANKING_COLUMNS = ("rank", "name", "slug", "status", "message", "warnings", "life_convenience_score",
                   "life_convenience_score_workers", "life_convenience_score_residents")


def ranking_table(results: Sequence[ParkResult]) -> pd.DataFrame:
    """One row per park: the assessed ones ranked by life-convenience score, then the failed ones.

    The figures are those of ``parkscope compare`` (:func:`parkscope.outputs.compare.compare_table`:
    industry, city, people, C, T, D, class, lag type, data status, jobs, residents, five-park…);
    ``rank`` 1 is the highest score, equal scores share a rank, parks without a score have none.
    """
    summaries = [Assessed(r.slug, parse_summary(r.summary, Path(r.slug) / "summary.json"))
                 for r in results if r.summary is not None]
    figures = compare_table(summaries, by="life_convenience_score").drop(columns=["park"])
    extra = ["life_convenience_score_workers", "life_convenience_score_residents"]
    parks = pd.DataFrame(
        [{"name": r.name, "slug": r.slug, "status": r.status, "message": r.message,
          "warnings": " | ".join(r.warnings),
          **{k: (r.summary or {}).get(k) for k in extra}} for r in results],
        columns=["name", "slug", "status", "message", "warnings", *extra],
    )
    ranked = {slug: i for i, slug in enumerate(figures["outdir"])}
    parks["_order"] = [ranked.get(slug, len(ranked) + i) for i, slug in enumerate(parks["slug"])]
    table = parks.merge(figures.rename(columns={"outdir": "slug"}), on="slug", how="left")
    table = table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return table[[*RANKING_COLUMNS, *(c for c in table.columns if c not in RANKING_COLUMNS)]]
