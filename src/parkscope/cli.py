"""Command line: ``parkscope assess``; errors become one-paragraph messages and exit codes."""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import click

from parkscope._version import __version__
from parkscope.assessment import assess as run
from parkscope.assessment import scenario as run_scenario
from parkscope.batch import ParkResult, run_batch
from parkscope.cooperation import analyse_network
from parkscope.cooperation.records import parse_columns
from parkscope.errors import ParkscopeError
from parkscope.files.io import check_output
from parkscope.outputs.ccd import run_ccd
from parkscope.outputs.compare import compare_table, display_table, load_summaries, table_records, write_csv
from parkscope.outputs.report._text import data_sentences, error_sentences
from parkscope.outputs.report.plan import render_plan_report
from parkscope.planning import project as run_projection
from parkscope.planning.plan import make_plan, write_plan
from parkscope.settings.summary import Summary

#: A config file in the working folder that ``assess`` reads when no --config is given.
LOCAL_CONFIG = "parkscope.toml"

EXAMPLES = """
\b
Examples:
  parkscope assess porto.osm.pbf --bbox -8.615,41.142,-8.605,41.150 -o out/porto
  parkscope assess beijing-xueyuan-road.osm --park 东畔科创中心 -o out/dongpark
  parkscope assess city.osm.pbf --boundary park.geojson --buffer 1500 -o out/park
  parkscope assess poa.osm.pbf --bbox -51.18,-30.065,-51.165,-30.05 \\
      --jobs hexgrid.csv:jobs --residents hexgrid.csv:population -o out/tecnopuc
  parkscope assess city.osm.pbf --park "Tech Park" --residents bra_ppp_2020.tif \\
      --jobs-total 12000 -o out/techpark
"""


class _StageLog:
    """Stage progress on stderr (the library only calls back).

    On a terminal: a rich progress bar per stage (ingest, network, accessibility, score,
    population, indices, report), with counts, elapsed time and ETA where the work is counted.
    Elsewhere (logs, CI, pipes): one line per stage with the elapsed time, and counted work at
    25 % steps.
    """
    def __init__(self, quiet: bool, live: bool | None = None) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.live = sys.stderr.isatty() if live is None else live
        self._bar: Any = None
        self._task: Any = None
        self._stage = ""
        self._last_quarter = -1

    def __enter__(self) -> _StageLog:
        if self.live and not self.quiet:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(bar_width=16),
                MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False,
            )
            self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._finish_task()
            self._bar.stop()
            self._bar = None

    def _finish_task(self) -> None:
        if self._bar is not None and self._task is not None:
            task = self._bar.tasks[self._task]
            total = task.total if task.total is not None else 1
            self._bar.update(self._task, total=total, completed=total)

    def __call__(self, message: str, done: int | None = None, total: int | None = None) -> None:
        if self.quiet:
            return
        stage = message.split(":", 1)[0]
        if self._bar is not None:
            message = message if len(message) <= 44 else message[:43] + "…"
            if stage != self._stage or self._task is None:
                self._finish_task()
                self._task = self._bar.add_task(message, total=None)
                self._stage = stage
            else:
                self._bar.update(self._task, description=message)
            if done is not None and total:
                self._bar.update(self._task, completed=done, total=total)
            return
        if done is None or not total:
            self._stage, self._last_quarter = stage, -1
            click.echo(f"[{time.perf_counter() - self.t0:6.1f} s] {message}", err=True)
            return
        quarter = int(4 * done / total)
        if quarter != self._last_quarter:
            self._last_quarter = quarter
            click.echo(f"[{time.perf_counter() - self.t0:6.1f} s] {message}: {done}/{total}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="parkscope")
def cli() -> None:
    """parkscope: does a science park integrate industry, city life and people (产城融合)?

    Measures walking access to daily amenities on the OpenStreetMap street network and scores it.
    """


@cli.command(epilog=EXAMPLES)
@click.argument("extract", type=click.Path(path_type=Path))
@click.option(
    "--park", "park", metavar="NAME", help="Name of a polygon in the extract (name, name:*, old_name…)."
)
@click.option(
    "--boundary",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="Park outline: GeoJSON, GeoPackage or Shapefile.",
)
@click.option("--bbox", metavar="W,S,E,N", help="Bounding box in WGS84 degrees.")
@click.option(
    "--buffer",
    "buffer_m",
    type=float,
    default=None,
    metavar="METRES",
    help="Ring around the park where streets and amenities count [default: 2000].",
)
@click.option(
    "--config",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="TOML overriding defaults and the amenity taxonomy [default: ./parkscope.toml if present].",
)
@click.option(
    "--jobs",
    "jobs",
    metavar="FILE[:COLUMN]",
    help="Jobs table (CSV lon/lat or h3; GeoPackage/GeoJSON/Shapefile points or polygons); "
    "column 'jobs' by default; or a GeoTIFF of job counts (FILE.tif[:BAND]). Without it, jobs are "
    "estimated from OSM building floor area.",
)
@click.option(
    "--residents",
    "residents",
    metavar="FILE[:COLUMN]",
    help="Residents table, same forms; column 'residents' or 'population' by default; or a GeoTIFF "
    "of people per pixel (WorldPop, GHSL GHS-POP).",
)
@click.option(
    "--jobs-total",
    "jobs_total",
    type=float,
    metavar="N",
    help="The park's known number of jobs, spread over its buildings by workplace floor area.",
)
@click.option(
    "--residents-total",
    "residents_total",
    type=float,
    metavar="N",
    help="The park's known number of residents, spread over its buildings by residential floor area.",
)
@click.option(
    "--jobs-weight",
    "jobs_weight",
    metavar="FILE.tif",
    help="Raster of non-residential built volume (GHSL GHS-BUILT-V NRES, m³): jobs = volume / 70 m³, "
    "or with --jobs-total the park's jobs spread by volume.",
)
@click.option(
    "--attribution",
    "attribution",
    multiple=True,
    metavar="TEXT",
    help="Attribution of your own data, recorded in summary.json (provenance.attribution_sources); "
    "repeatable.",
)
@click.option(
    "--cooperation",
    "cooperation",
    type=click.Path(path_type=Path),
    metavar="RECORDS",
    help="Collaboration records (CORDIS export, participation or agreements table, as for "
    "`parkscope network`): the park's partners in them feed the five-park 'open' dimension.",
)
@click.option(
    "--table-crs",
    "table_crs",
    metavar="CRS",
    help="CRS of CSV tables: gcj02 (Amap), bd09 (Baidu) or EPSG:… [default: WGS84].",
)
@click.option(
    "-o",
    "--out",
    "outdir",
    required=True,
    type=click.Path(path_type=Path),
    metavar="OUTDIR",
    help="Output folder (created; written whole when the run succeeds, else left as it was).",
)
@click.option(
    "--overwrite",
    is_flag=True,
    help="Replace an OUTDIR that holds an earlier result, whole (without it such an OUTDIR is refused).",
)
@click.option("--no-report", is_flag=True, help="Skip report.html.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@click.option("--json", "as_json", is_flag=True, help="Print summary.json to stdout when done.")
def assess(
    extract: Path,
    park: str | None,
    boundary: Path | None,
    bbox: str | None,
    buffer_m: float | None,
    config: Path | None,
    jobs: str | None,
    residents: str | None,
    jobs_total: float | None,
    residents_total: float | None,
    jobs_weight: str | None,
    attribution: tuple[str, ...],
    cooperation: Path | None,
    table_crs: str | None,
    outdir: Path,
    overwrite: bool,
    no_report: bool,
    quiet: bool,
    as_json: bool,
) -> None:
    """Assess a park: walking distances to daily amenities and the 0–10 life-convenience score.

    EXTRACT is an OpenStreetMap extract: .osm.pbf, .osm, .osm.gz or .osm.bz2. Give the park with
    exactly one of --park, --boundary or --bbox. Writes summary.json, nodes.parquet,
    network.parquet, amenities.parquet, cells.gpkg, cells.parquet, report.html and run.json to
    OUTDIR. An OUTDIR that holds an earlier result is refused unless --overwrite (exit 2).
    """
    check_output(outdir, overwrite=overwrite)  # before minutes of work, not after

    if config is None and Path(LOCAL_CONFIG).is_file():
        config = Path(LOCAL_CONFIG)  # a parkscope.toml in the working folder applies by default
        if not quiet:
            click.echo(f"Using settings from ./{LOCAL_CONFIG} (give --config to use another file).", err=True)
    with _StageLog(quiet) as stage:
        result = run(
            extract, bbox=bbox, boundary=boundary, park=park, buffer_m=buffer_m, config=config,
            jobs=jobs, residents=residents, table_crs=table_crs, progress=stage, jobs_total=jobs_total,
            residents_total=residents_total, jobs_weight=jobs_weight, attribution=list(attribution),
            cooperation=cooperation,
        )
        stage("report: writing outputs")
        result.run_info["command"] = _command_line()
        result.write(outdir, report=not no_report, overwrite=overwrite)
    s = result.summary
    if as_json:
        click.echo(json.dumps(s.to_dict(), ensure_ascii=False))
    elif not quiet:
        match = s.area.match if s.area is not None else None
        if match is not None and match.found:
            click.echo(
                f"Park: {match.name} ({match.osm_type}/{match.osm_id}, matched {match.tag}="
                f"{match.value!r}, {match.how})",
                err=True,
            )
        score = s.life_convenience_score
        click.echo(
            (f"Life-convenience score: {score} / 10" if score is not None else
             "Life-convenience score: none (no walk node in or next to the park: is it on water?)")
            + f"  ({result.network.n_nodes} walk nodes, {len(result.amenities)} amenity points)",
            err=True,
        )
        for line in diagnosis_lines(s, result.settings.coverage_minutes):
            click.echo(line, err=True)
        click.echo(f"Wrote {outdir}/", err=True)


@cli.command(
    epilog="\b\nExamples:\n  parkscope batch berlin.osm.pbf parks.csv -o out/parks\n"
    "  parkscope batch city.osm.pbf parks.gpkg --workers 4 -o out/parks\n"
    "  parkscope batch city.osm.pbf parks.csv --scheduler tcp://10.0.0.5:8786 -o /shared/out/parks\n"
    "PARKS.csv: name and bbox (\"W,S,E,N\") or wkt; optional buffer_m, jobs, residents, config. "
    "docs/batch.md.",
)
@click.argument("extract", type=click.Path(path_type=Path))
@click.argument("parks", type=click.Path(path_type=Path), metavar="PARKS.csv|PARKS.gpkg")
@click.option("--workers", type=int, metavar="N",
              help="Worker processes of a local Dask cluster [default: one per CPU]; 0: no Dask.")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="A running Dask scheduler; its workers must see EXTRACT, PARKS' files and BATCHDIR.")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), metavar="BATCHDIR",
              help="One folder per park, ranking.csv; an existing batch of the same extract is resumed.")
@click.option("--overwrite", is_flag=True,
              help="Delete an existing BATCHDIR first and assess every park again.")
@click.option("--no-report", is_flag=True, help="Skip each park's report.html.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
def batch(extract: Path, parks: Path, workers: int | None, scheduler: str | None, outdir: Path,
          overwrite: bool, no_report: bool, quiet: bool) -> None:
    """Assess every park of a parks table from one extract, in parallel, and rank them.

    Each park gets a folder in BATCHDIR (a slug of its name) holding what `parkscope assess` writes,
    and ranking.csv holds one row per park. Run the same command again to resume: parks already
    assessed are kept, the others (and failed ones) assessed. A park that fails is reported in
    ranking.csv and the others go on (exit 1 at the end); a bad parks table stops before any work
    (exit 2).
    """
    config = Path(LOCAL_CONFIG) if Path(LOCAL_CONFIG).is_file() else None
    say = _BatchLog(quiet)
    result = run_batch(extract, parks, outdir, workers=workers, scheduler=scheduler, overwrite=overwrite,
                       default_config=config, report=not no_report, progress=say)
    counts = {s: sum(r.status == s for r in result.results) for s in ("ok", "skipped", "failed", "error")}
    if not quiet:
        click.echo(f"{len(result.results)} parks: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
                   + f" ({time.perf_counter() - say.t0:.1f} s). Wrote {outdir}/ranking.csv", err=True)
    if result.failed:
        names = ", ".join(r.name for r in result.failed[:5]) + (" …" if len(result.failed) > 5 else "")
        raise ParkscopeError(
            f"{len(result.failed)} of {len(result.results)} parks were not assessed ({names}); ranking.csv "
            "gives each one's message. Fix them and run the same command again: parks already assessed "
            "are kept."
        )


class _BatchLog:
    """One line per park on stderr: count, status, name and folder, score, elapsed time and ETA."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.t0 = time.perf_counter()
        self.ran = 0

    def __call__(self, result: ParkResult, done: int, total: int) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.t0
        self.ran += result.status != "skipped"
        s = result.summary or {}
        d = (s.get("integration") or {}).get("coordination_D")
        what = f"score {s.get('life_convenience_score')}, D {d}" if s else result.message.split(". ")[0]
        eta = f", ETA {elapsed / self.ran * (total - done):.0f} s" if self.ran and done < total else ""
        click.echo(f"[{elapsed:6.1f} s] {done}/{total} {result.status:7} {result.name} ({result.slug}/): "
                   f"{what}{eta}", err=True)


def _command_line() -> str | None:
    """The command as typed (``main`` keeps its arguments in the context), or None if unknown."""
    ctx = click.get_current_context(silent=True)
    argv = (ctx.find_root().obj or {}).get("argv") if ctx is not None else None
    return None if argv is None else shlex.join(["parkscope", *argv])


def diagnosis_lines(s: Summary, minutes: float = 15.0) -> list[str]:
    """What the CLI prints of the data sufficiency and the diagnosis (English)."""
    sentences = data_sentences(s)
    lines = [t.en for t in sentences]
    ig = s.integration
    if ig is not None and ig.diagnosed:
        cls = ig.class_
        known = ig.jobs is not None and ig.residents is not None
        jobs_res = f"{ig.jobs}/{ig.residents}" if known else "unknown"
        lines.append(
            f"Industry {ig.industry:.2f} · city {ig.city:.2f} · people {ig.people:.2f}  "
            f"D = {ig.coordination_D:.2f} ({cls.zh}, {cls.en}), {ig.lag_type} "
            f"({ig.lag_type_zh}); weakest: {ig.lagging}; jobs/residents within {minutes:g} min: "
            f"{jobs_res}"
        )
        lines += [t.en for t in error_sentences(ig)]
    return lines


@cli.command(
    epilog="\b\nExample:\n  parkscope ccd panel.csv --spec spec.toml -o ccd.csv\n"
    "SPEC.toml format: docs/methods.md, 'Coupling coordination of a panel'."
)
@click.argument("panel", type=click.Path(path_type=Path))
@click.option(
    "--spec",
    "spec",
    required=True,
    type=click.Path(path_type=Path),
    metavar="SPEC.toml",
    help="Indicators (subsystem, direction) and model options.",
)
@click.option("-o", "--out", "out", required=True, type=click.Path(path_type=Path), metavar="OUT.csv")
@click.option("--overwrite", is_flag=True, help="Replace OUT.csv if it exists (else refused).")
def ccd(panel: Path, spec: Path, out: Path, overwrite: bool) -> None:
    """Coupling coordination degree (耦合协调度) of a statistics table: rows = years or parks."""
    result = run_ccd(panel, spec, out, overwrite=overwrite)
    click.echo(result.to_string(index=False), err=True)


@cli.command(
    epilog="\b\nExamples:\n  parkscope compare out/park-a out/park-b out/park-c\n"
    "  parkscope compare out/* --by life_convenience_score -o compare.csv\n"
    "  parkscope compare out/park-a out/park-b --json > compare.json\n"
    "  parkscope compare out/* --reference parks   # indices relative to the parks compared"
)
@click.argument("outdirs", nargs=-1, type=click.Path(path_type=Path), metavar="OUTDIR...")
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(path_type=Path),
    metavar="FILE.csv",
    help="Also write the full table (every column) as CSV; written whole or not at all.",
)
@click.option("--overwrite", is_flag=True, help="Replace FILE.csv if it exists (else refused).")
@click.option(
    "--by",
    "by",
    metavar="COLUMN",
    help="Numeric column to rank by, highest first [default: coordination_D when every park has it, "
    "else life_convenience_score].",
)
@click.option(
    "--reference",
    "reference",
    type=click.Choice(["own", "parks"]),
    default="own",
    show_default=True,
    help="own: each park's indices relative to its own surroundings (as assessed); parks: "
    "industry/city/people and D recomputed relative to the parks compared (benchmarking).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records to stdout instead.")
def compare(
    outdirs: tuple[Path, ...], out: Path | None, overwrite: bool, by: str | None, reference: str,
    as_json: bool,
) -> None:
    """Rank assessed parks side by side from their `parkscope assess` output folders.

    Reads OUTDIR/summary.json of each folder and prints one row per park: the life-convenience
    score, the industry–city–people coupling coordination (D, its class and which side lags) and
    the five-park scores where the assessment has them.
    """
    import os

    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text


    if out is not None:
        check_output(out, overwrite=overwrite, folder=False)
    table = compare_table(load_summaries(outdirs), by=by, reference=reference)
    by = table.attrs["by"]
    if out is not None:
        write_csv(table, out, overwrite=overwrite)
    if as_json:
        click.echo(json.dumps(table_records(table), ensure_ascii=False, indent=2))
    else:
        # a terminal (or COLUMNS) sets the width; into a file or pipe, lines may be long
        sized = sys.stdout.isatty() or "COLUMNS" in os.environ
        console = Console(width=None if sized else 220)
        columns, rows, legend = display_table(table, width=console.width)
        grid = Table(title=f"parkscope compare — ranked by {by}", title_justify="left", box=box.SIMPLE_HEAD)
        for header, numeric in columns:
            grid.add_column(header, justify="right" if numeric else "left", overflow="fold")
        for row in rows:
            grid.add_row(*(Text(cell) for cell in row))  # Text: a "[folder]" in a name is not markup
        console.print(grid)
        console.print("\n".join(legend), highlight=False)
    for note in table.attrs["notes"]:
        click.echo(f"Note: {note}", err=True)
    if out is not None:
        click.echo(f"Wrote {out} ({len(table)} parks).", err=True)


@cli.command(
    "network",
    epilog="\b\nExamples:\n"
    "  parkscope network cordis-organizations.json --projects cordis-projects.json -o out/net\n"
    "  parkscope network orgs.csv --projects cordis-h2020-topics.csv.gz --bbox 13.50,52.42,13.56,52.44 \\\n"
    "      --suggest park --top 20 -o out/adlershof-net\n"
    "  parkscope network agreements.csv --actors actors.csv --park-of out/park -o out/park-net\n"
    "Method, kinds and outputs: docs/network.md.",
)
@click.argument("records", type=click.Path(path_type=Path))
@click.option("--actors", type=click.Path(path_type=Path), metavar="ACTORS",
              help="Actors of an agreements table: id, name, kind, country, lon, lat.")
@click.option("--projects", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
              help="CORDIS projects export or topics table: project dates, schemes, fields (repeatable).")
@click.option("--columns", metavar="KEY=COL,…",
              help="Column names of a participation table: project, actor, name, kind, country, lon, lat, "
              "date.")
@click.option("--bbox", metavar="W,S,E,N", help="The park as a WGS84 bounding box.")
@click.option("--boundary", type=click.Path(path_type=Path), metavar="FILE", help="The park's outline.")
@click.option("--park-of", "park_of", type=click.Path(path_type=Path), metavar="OUTDIR",
              help="The park of a `parkscope assess` output folder.")
@click.option("--suggest", "suggest_for", metavar="ID|park",
              help="Rank partner candidates for an actor or the park.")
@click.option("--top", type=int, default=10, show_default=True, metavar="N", help="Number of suggestions.")
@click.option("--config", type=click.Path(path_type=Path), metavar="FILE",
              help="TOML overriding data/cooperation.toml (kinds, name patterns, analysis).")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), metavar="OUTDIR",
              help="Output folder (written whole or not at all).")
@click.option("--no-report", is_flag=True, help="Skip network.html.")
@click.option("--overwrite", is_flag=True, help="Replace OUTDIR if it holds an earlier result.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
def network(records: Path, actors: Path | None, projects: tuple[Path, ...], columns: str | None,
            bbox: str | None, boundary: Path | None, park_of: Path | None, suggest_for: str | None, top: int,
            config: Path | None, outdir: Path, no_report: bool, overwrite: bool, quiet: bool) -> None:
    """The collaborative innovation network (协同创新网络) of the actors in RECORDS.

    RECORDS: a CORDIS organisations export (JSON/CSV), a participation table (one row per actor per
    project) or an agreements table (a, b, type, date). Writes actors.parquet, links.parquet,
    summary.json and network.html (and suggestions.csv with --suggest) to OUTDIR.
    """
    check_output(outdir, folder=True, overwrite=overwrite)  # before any work
    with _StageLog(quiet) as stage:
        result = analyse_network(
            records, actors=actors, projects=list(projects), columns=parse_columns(columns), bbox=bbox,
            boundary=boundary, park_of=park_of, suggest_for=suggest_for, top=top, config=config,
            progress=stage,
        )
        stage("report: writing outputs")
        result.write(outdir, report=not no_report, overwrite=overwrite)
    if not quiet:
        for line in network_lines(result.summary):
            click.echo(line, err=True)
        click.echo(f"Wrote {outdir}/", err=True)


def network_lines(s: dict[str, Any]) -> list[str]:
    """What ``parkscope network`` prints when done."""
    lines = [f"{s['actors']} actors, {s['links']} links, density {s['density']}, cross-border share "
             f"{s['cross_border_share']}; betweenness {s['betweenness']['method']}"]
    q = s["quality"]
    dups = q["duplicate_participations"] + q["duplicate_agreements"]
    lines.append(f"Found and reported: {dups} duplicates, "
                 f"{q['self_links']} self-links, {sum(q['unknown_kinds'].values())} unknown kinds, "
                 f"{q['unplaced_actors']} unplaced actors (summary.json -> quality).")
    park = s.get("park")
    if park:
        lines.append(f"Park ({park['source']}): {park['actors_in_park']} actors, {park['partners']} partners "
                     f"in "
                     f"{len(park['reach']['countries'])} countries")
    lines += [f"Attribution: {a}" for a in s.get("attribution", [])]
    return lines


@cli.command(
    "project",
    epilog="\b\nExamples:\n  parkscope project out/park --years 10 -o out/park-10y\n"
    "  parkscope project out/park --years 15 --scenario out/park-plan --seed 7 --runs 500 -o out/plan-15y\n"
    "  parkscope project out/park --years 10 --panel stats.csv -o out/park-fit\n"
    "Model, defaults and sources: docs/projection.md.",
)
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--years", type=int, required=True, metavar="N", help="Years to project (1-100).")
@click.option("--scenario", type=click.Path(path_type=Path), metavar="OUTDIR2",
              help="A scenario's output folder: its changed stocks start the run.")
@click.option("--panel", type=click.Path(path_type=Path), metavar="PANEL.csv",
              help="Yearly panel (year, jobs, residents, amenities, workplace_floor, housing_floor) to "
              "calibrate to.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte-Carlo draws.")
@click.option("--runs", type=int, default=200, show_default=True, help="Monte-Carlo runs (0: no bands).")
@click.option("--model", "model_path", type=click.Path(path_type=Path), metavar="FILE.xmile",
              help="An edited model (default: the shipped data/projection.xmile).")
@click.option("-o", "--out", "projdir", required=True, type=click.Path(path_type=Path), metavar="PROJDIR")
@click.option("--overwrite", is_flag=True, help="Replace PROJDIR if it holds an earlier result.")
def project(outdir: Path, years: int, scenario: Path | None, panel: Path | None, seed: int, runs: int,
            model_path: Path | None, projdir: Path, overwrite: bool) -> None:
    """Project the industry -> jobs -> people -> spending -> amenities loop of an assessed park.

    A what-if stock-flow model (XMILE, run with PySD): writes projection.csv, summary.json, the
    editable projection.xmile and report.html to PROJDIR.
    """
    check_output(projdir, folder=True, overwrite=overwrite)  # before any work
    result = run_projection(outdir, years, scenario=scenario, panel=panel, seed=seed, runs=runs,
                            model_path=model_path)
    result.write(projdir, overwrite=overwrite)
    end = result.summary["end"]
    d = "n/a" if end["coordination_D"] is None else f"{end['coordination_D']:.3f}"
    click.echo(f"Year {result.table['year'].iloc[-1]}: jobs {end['jobs']:,.0f}, "
               f"residents {end['residents']:,.0f}, amenities {end['amenities']:,.1f}, D {d}, "
               f"{end['lag_type']}. "
               f"Wrote {projdir}/ (a what-if, not a forecast).", err=True)


PLAN_EXAMPLE = "\b\nExample:\n  parkscope plan out/park --target 8.7 --categories dining,sports -o out/plan"


@cli.command(epilog=PLAN_EXAMPLE)
@click.argument("outdir", type=click.Path(path_type=Path))
@click.option("--target", type=float, required=True, metavar="SCORE",
              help="The score to reach (above the park's present score, at most 10).")
@click.option("--categories", metavar="a,b", help="Categories that may be added [default: all].")
@click.option("--candidates", default="buildings", show_default=True, metavar="buildings|grid|FILE",
              help="Where additions may go: at the buildings, one per H3 cell, or the points of a CSV "
              "(lon, lat) / GeoJSON / GeoPackage with optional cost, max_additions, category columns.")
@click.option("--budget", type=float, metavar="N",
              help="The best N additions (or total cost N when the candidates have a cost), whether or not "
              "they reach the target.")
@click.option("--weights", type=click.Choice(["workers", "residents", "both", "area"]), default="workers",
              show_default=True, help="Whose score: weighted by the park's workers, residents, both or area.")
@click.option("--method", type=click.Choice(["greedy", "exact"]), default="greedy", show_default=True,
              help="Lazy greedy (with the bound it proves) or the exact MILP (small instances).")
@click.option("-o", "--out", "plandir", required=True, type=click.Path(path_type=Path), metavar="PLANDIR",
              help="Output folder: plan.geojson (a CHANGES file), plan.csv, summary.json, report.html.")
@click.option("--overwrite", is_flag=True, help="Replace PLANDIR if it holds an earlier plan.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def plan(outdir: Path, target: float, categories: str | None, candidates: str, budget: float | None,
         weights: str, method: str, plandir: Path, overwrite: bool, quiet: bool) -> None:
    """The fewest amenities to add (or the best within --budget), and where, to lift the park's score of
    the assess OUTDIR to --target (docs/planning.md)."""
    check_output(plandir, folder=True, overwrite=overwrite)  # before any work
    cats = [c.strip() for c in categories.split(",") if c.strip()] if categories else None
    result = make_plan(outdir, target, categories=cats, candidates=candidates, budget=budget, weights=weights,
                       method=method)
    write_plan(result, plandir, overwrite=overwrite, report=render_plan_report)
    if not quiet:
        for line in plan_lines(result.summary):
            click.echo(line, err=True)
        click.echo(f"Wrote {plandir}/", err=True)


def plan_lines(s: dict[str, Any]) -> list[str]:
    """What ``parkscope plan`` prints when done."""
    lines = [f"{s['score_key']}: {s['baseline_score']:.2f} -> {s['achieved_score']:.2f} with "
             f"{s['additions']} additions ({s['method']}; target {s['target']:g})"]
    if not s["reached"]:
        lines.append(f"The target {s['target']:g} cannot be reached with these candidates"
                     + (" within the budget" if s["mode"] == "budget" else "")
                     + f": the best reachable score is {s['best_reachable_score']:.3f}.")
    for caution in s.get("cautions") or []:
        lines.append(f"Caution, the assessment's data: {caution}")
    if s["bound"] is not None:
        lines.append(f"Bound this run proves: {s['bound']:.4g} ({s['bound_means']}).")
    else:
        lines.append(f"No bound: {s['bound_means']}.")
    return lines


#: The demo: the Humboldt-Universität campus in the Adlershof science city (Berlin), from the extract
#: bundled in parkscope/data (Overpass export of 2023-01-28 cropped by scripts/make_demo_extract.py,
#: which reads these names; © OpenStreetMap contributors, ODbL 1.0). The buffer is small because the
#: export holds data only for about 400 m west and south of the campus: the whole study area lies
#: inside it (outside_extract_share 0).
DEMO_EXTRACT = "berlin-adlershof.osm.pbf"
DEMO_PARK = "Humboldt-Universität Campus Adlershof"
DEMO_BUFFER_M = 350.0


@cli.command(epilog="\b\nExample:\n  parkscope demo -o out/demo")
@click.option(
    "-o",
    "--out",
    "outdir",
    default=Path("out/demo"),
    show_default=True,
    type=click.Path(path_type=Path),
    metavar="OUTDIR",
    help="Output folder; an earlier demo result there is replaced whole.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@click.pass_context
def demo(ctx: click.Context, outdir: Path, quiet: bool) -> None:
    """Assess the Humboldt-Universität campus in Berlin-Adlershof from the extract bundled with parkscope.

    The same as ``parkscope assess <bundled berlin-adlershof.osm.pbf> --park "Humboldt-Universität
    Campus Adlershof" --buffer 350 --overwrite -o OUTDIR``, so that it can be run again (a
    non-empty OUTDIR without summary.json is still refused). Map data © OpenStreetMap
    contributors, ODbL 1.0.
    """
    extract = resources.files("parkscope").joinpath("data", DEMO_EXTRACT)
    with resources.as_file(extract) as path:
        ctx.invoke(assess, extract=path, park=DEMO_PARK, buffer_m=DEMO_BUFFER_M, outdir=outdir, quiet=quiet,
                   overwrite=True)
    if not quiet:
        click.echo(f"Next, what to build (README, \"The brief's story\"): parkscope plan {outdir} "
                   f"--target 8.35 --categories dining,lodging,sports,parks -o {outdir}-plan", err=True)


@cli.command(epilog="\b\nExample:\n  parkscope scenario out/park --changes changes.geojson -o out/park-plan\n"
             "CHANGES forms: docs/scenario.md.")
@click.argument("base", type=click.Path(path_type=Path), metavar="OUTDIR")
@click.option("--changes", "changes", required=True, type=click.Path(path_type=Path),
              metavar="CHANGES.geojson",
              help="Amenities to add or remove, floor space, use changes, footpaths.")
@click.option("-o", "--out", "outdir", required=True, type=click.Path(path_type=Path), metavar="OUTDIR2",
              help="Output folder: a full assessment plus before/after of every figure.")
@click.option("--full", is_flag=True,
              help="Re-run every stage after the changes (default: only what they reach).")
@click.option("--overwrite", is_flag=True, help="Replace an earlier result in OUTDIR2.")
@click.option("--no-report", is_flag=True, help="Skip report.html.")
@click.option("-q", "--quiet", is_flag=True, help="No messages.")
def scenario(base: Path, changes: Path, outdir: Path, full: bool, overwrite: bool, no_report: bool,
             quiet: bool) -> None:
    """Apply CHANGES to the assessment in OUTDIR and write the result, with before and after, to OUTDIR2."""
    check_output(outdir, overwrite=overwrite)
    result = run_scenario(base, changes, incremental=not full)
    result.run_info["command"] = _command_line()
    result.write(outdir, report=not no_report, overwrite=overwrite)
    if not quiet:
        for key, f in result.summary.scenario.figures.items():
            if f["delta"]:
                click.echo(f"{key}: {f['before']} -> {f['after']} ({f['delta']:+g})", err=True)
        click.echo(f"Wrote {outdir}/", err=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map parkscope errors to exit codes."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        args = [str(a) for a in (sys.argv[1:] if argv is None else argv)]
        cli.main(args=args, prog_name="parkscope", standalone_mode=False, obj={"argv": args})
    except ParkscopeError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except MemoryError:
        click.echo(
            "Error: out of memory. Use a smaller study area (--bbox, --buffer) or a machine with "
            "more memory.",
            err=True,
        )
        return 10
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
