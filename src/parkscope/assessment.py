"""The whole assessment: :func:`assess` composes the stages of :mod:`parkscope.pipeline`
(request → extract → walk network → access → scores → population → data quality → diagnosis →
summary) and returns an :class:`Assessment`, which writes the outputs."""

from __future__ import annotations

import inspect
import logging
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from parkscope._version import __version__
from parkscope.files.io import atomic_output_dir, write_gpkg, write_json, write_parquet
from parkscope.inputs.area import StudyArea
from parkscope.outputs.report.html import write_report
from parkscope.pipeline import (
    OSM_ATTRIBUTION,
    accessibility,
    build_summary,
    building_points,
    collaboration,
    data_quality,
    diagnosis,
    ingest,
    population,
    prepare,
    scores,
    walk_network,
)
from parkscope.planning.apply import apply_changes
from parkscope.planning.changes import read_changes
from parkscope.planning.difference import cell_comparison, park_comparison
from parkscope.planning.scenario import evaluate
from parkscope.planning.state import Stages, load_stages, save_stages
from parkscope.settings.config import Settings
from parkscope.settings.summary import Summary
from parkscope.walk.network import WalkNetwork

log = logging.getLogger(__name__)

Progress = Callable[[str], None]
__all__ = ["OSM_ATTRIBUTION", "Assessment", "assess", "scenario"]


@dataclass
class Assessment:
    """Result of :func:`assess`: the frames, the summary, and how to write them.

    Attributes
    ----------
    area : StudyArea
    settings : Settings
    network : WalkNetwork
        The walking network, with edges split where amenities join.
    nodes : GeoDataFrame
        One row per network node: ``node_id``, ``lon``, ``lat``, ``score``, ``in_park``,
        ``dist_<category>_<i>``.
    amenities : GeoDataFrame
        One row per amenity access point: ``category``, ``lon``, ``lat``, ``node_id``, ``offset_m``, ...
    cells : GeoDataFrame
        One row per H3 cell: ``h3``, ``score``, ``n_nodes``, ``in_park``,
        ``share<M>_<category>`` (M = coverage minutes), ...
    summary : Summary
        The park-level figures written to summary.json (:class:`parkscope.settings.summary.Summary`): the
        same inputs and parameters give the same bytes.
    extract_path : Path or None
        The extract assessed (the report draws its base map from it).
    run_info : dict
        What changes from run to run, written to run.json: ``timings_s`` (seconds per stage),
        ``created_utc``, ``parkscope_version``, ``python``, ``platform`` and, from the CLI,
        ``command``.
    buildings : DataFrame or None
        One row per building: ``building_id``, ``lon``, ``lat``, ``use``, ``floor_area_m2``
        (buildings.parquet; :func:`parkscope.pipeline.building_points`).
    """

    area: StudyArea
    settings: Settings
    network: WalkNetwork
    nodes: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    summary: Summary
    extract_path: Path | None = None
    run_info: dict[str, Any] = field(default_factory=dict)
    buildings: pd.DataFrame | None = None
    stages: Stages | None = field(default=None, repr=False)  # kept in OUTDIR for `parkscope scenario`

    @property
    def score(self) -> float:
        """The park's life-convenience score (0–10); NaN when no walk node is in or next to the park."""
        value = self.summary.life_convenience_score
        return float("nan") if value is None else float(value)

    def write(self, outdir: str | Path, report: bool = True, overwrite: bool = False) -> Path:
        """Write every output into ``outdir`` (whole or not at all); see docs/outputs in the README.

        An ``outdir`` that holds an earlier result is refused unless ``overwrite`` (then it is
        replaced whole); one that holds other files, always (:func:`parkscope.files.io.check_output`).
        The same assessment writes byte-identical summary.json, Parquet files and cells.gpkg;
        run.json holds the timings and the wall-clock time.
        """
        stamp = self.summary.provenance.osm_timestamp
        with atomic_output_dir(outdir, overwrite=overwrite) as tmp:
            write_json(self.summary.to_dict(), tmp / "summary.json")
            write_json(self.run_info, tmp / "run.json")
            write_parquet(pd.DataFrame(self.nodes.drop(columns="geometry")), tmp / "nodes.parquet")
            write_parquet(self.network.edges_frame(), tmp / "network.parquet")
            write_parquet(pd.DataFrame(self.amenities.drop(columns="geometry")), tmp / "amenities.parquet")
            write_parquet(self.cells, tmp / "cells.parquet")
            if self.buildings is not None:
                write_parquet(self.buildings, tmp / "buildings.parquet")
            write_gpkg(self.cells, tmp / "cells.gpkg", layer="cells", categories=self.settings.categories,
                       stamp=stamp)
            if self.stages is not None:
                save_stages(self.stages, tmp)  # state.json + state.pickle: what a scenario needs
            if report:
                self.to_report(tmp / "report.html")
        return Path(outdir)

    def to_report(self, path: str | Path) -> Path:
        """Write the self-contained HTML report."""
        return write_report(self, Path(path))

    def _repr_html_(self) -> str:
        from html import escape

        s = self.summary
        rows = "".join(
            f"<tr><td>{escape(k)}</td><td>"
            f"{v.share_within if v.share_within is not None else '–'}"
            f"</td><td>{v.median_nearest_m if v.median_nearest_m is not None else '–'}</td></tr>"
            for k, v in s.categories.items()
        )
        ig = s.integration
        diagnosis = ""
        if ig is not None and ig.status == "insufficient_data":
            diagnosis = "<br>no industry–city verdict: " + escape("; ".join(ig.missing))
        elif ig is not None and ig.diagnosed:
            diagnosis = (
                f"<br>industry {ig.industry:.2f} · city {ig.city:.2f} · people {ig.people:.2f}; "
                f"coupling coordination D = {ig.coordination_D:.2f} ({escape(ig.class_.zh)}, "
                f"{escape(ig.class_.en)}); {escape(str(ig.lag_type))} "
                f"({escape(str(ig.lag_type_zh or ''))}); jobs / residents within "
                f"{self.settings.coverage_minutes:g} min: {ig.jobs} / {ig.residents}"
            )
        return (
            f"<b>parkscope assessment of {escape(self.area.name)}</b>: life-convenience score "
            f"{self.score:.2f} / 10, {self.network.n_nodes} walk nodes, "
            f"{len(self.amenities)} amenity points{diagnosis}<table><tr><th>category</th><th>share within "
            f"{self.settings.coverage_minutes:g} min</th><th>median nearest (m)</th></tr>{rows}</table>"
        )


def assess(
    extract: str | Path,
    *,
    bbox: Any = None,
    boundary: str | Path | None = None,
    park: str | None = None,
    buffer_m: float | None = None,
    config: str | Path | None = None,
    settings: Settings | None = None,
    jobs: str | Path | None = None,
    residents: str | Path | None = None,
    table_crs: str | None = None,
    progress: Progress | None = None,
    jobs_total: float | None = None,
    residents_total: float | None = None,
    jobs_weight: str | Path | None = None,
    attribution: str | Sequence[str] | None = None,
    cooperation: str | Path | None = None,
) -> Assessment:
    """Assess the life convenience of a park from an OpenStreetMap extract.

    Parameters
    ----------
    extract : str or Path
        ``.osm.pbf`` or OSM XML (``.osm``, ``.osm.gz``, ``.osm.bz2``).
    bbox : str or tuple, optional
        ``"W,S,E,N"`` in WGS84 degrees.
    boundary : str or Path, optional
        Polygon file (GeoJSON, GeoPackage, Shapefile).
    park : str, optional
        Name of a polygon in the extract (``name``, ``name:*``, ``old_name``...).
    buffer_m : float, optional
        Ring around the park where streets and amenities count (default from settings: 2000 m).
    config : str or Path, optional
        User TOML overriding defaults and taxonomy.
    settings : Settings, optional
        Ready settings (instead of ``config``).
    jobs, residents : str or Path, optional
        ``FILE[:COLUMN]`` tables of jobs / residents (CSV with ``lon``,``lat`` or ``h3``; GeoPackage,
        GeoJSON or Shapefile of points or polygons), or GeoTIFF rasters of counts
        ``FILE.tif[:BAND]`` (WorldPop, GHSL GHS-POP). Without them both are estimated from the
        floor area of the OSM buildings.
    table_crs : str, optional
        CRS of CSV tables: ``gcj02``, ``bd09`` or ``EPSG:…`` (default WGS84).
    progress : callable, optional
        Called with a short message at the start of each stage; if it also takes two more
        arguments, ``progress(message, done, total)`` reports counted work within a stage.
    jobs_total, residents_total : float, optional
        The park's known head-count, spread over the park's buildings by floor area of the
        matching use (by area where it has none); not together with ``jobs`` / ``residents``.
    jobs_weight : str or Path, optional
        A GeoTIFF of non-residential built volume (GHSL GHS-BUILT-V NRES): jobs = volume /
        :data:`parkscope.measures.population_sources.M3_PER_JOB`, or with ``jobs_total`` the park's
        total spread by volume.
    attribution : str or list of str, optional
        Attribution text of the user's data, carried to ``provenance.attribution_sources``.
    cooperation : str or Path, optional
        Collaboration records (CORDIS export, participation or agreements table): the park's
        partners in them feed the five-park "open" dimension (``summary.cooperation``).

    Returns
    -------
    Assessment

    Examples
    --------
    >>> a = assess("porto.osm.pbf", bbox="-8.615,41.142,-8.605,41.150")  # doctest: +SKIP
    >>> a.score  # doctest: +SKIP
    """
    say = progress or (lambda msg: log.info(msg))
    step = _counting(progress)
    timings: dict[str, float] = {}
    clock = _Clock(timings)
    say("ingest: finding the study area")
    req = prepare(
        extract, bbox=bbox, boundary=boundary, park=park, buffer_m=buffer_m, config=config,
        settings=settings, jobs=jobs, residents=residents, table_crs=table_crs, jobs_total=jobs_total,
        residents_total=residents_total, jobs_weight=jobs_weight, attribution=attribution,
        cooperation=cooperation,
    )
    say("ingest: reading the extract")
    ext = clock("ingest_s", ingest, req)
    say("network: building the walking network")
    walk = clock("network_s", walk_network, req, ext)
    say(f"accessibility: {walk.network.n_nodes} nodes, {len(walk.joined)} amenity points, "
        f"{len(req.settings.categories)} categories")
    acc = clock("access_s", accessibility, req, walk)
    say("score: life-convenience score and cells")
    sc = clock("score_s", scores, req, walk, acc)
    say("population: jobs and residents")
    pop = clock("population_s", population, req, ext, sc)
    say("quality: how complete each input layer is")
    quality = clock("quality_s", data_quality, req, ext, walk, sc, pop)
    if req.cooperation is not None:
        say("cooperation: the park in its collaboration network")
    collab = clock("cooperation_s", collaboration, req)
    say("indices: industry–city–people diagnosis and five-park scorecard")
    dg = clock("indices_s", diagnosis, req, walk, acc, sc, pop, quality,
               lambda done, total: step("indices: 15-minute reach of each cell", done, total), collab)
    timings["total_s"] = clock.total()
    summary = build_summary(req, ext, walk, sc, pop, quality, dg)
    return Assessment(
        area=req.area,
        settings=req.settings,
        network=walk.network,
        nodes=sc.nodes,
        amenities=sc.amenities,
        cells=dg.cells,
        summary=summary,
        extract_path=req.extract,
        run_info=_run_info(timings),
        buildings=building_points(req, pop),
        stages=Stages(req, ext, walk, acc, sc, pop, quality, dg, summary, collab),
    )


def scenario(outdir: str | Path, changes: str | Path, *, incremental: bool = True) -> Assessment:
    """The assessment of OUTDIR with the changes of a CHANGES.geojson applied (docs/scenario.md).

    Works from OUTDIR alone (the stages ``assess`` keeps there). The result is a full assessment
    whose ``summary.scenario`` holds the changes and the park's figures before, after and their
    delta, and whose cells carry ``<x>_before`` and ``<x>_delta`` columns
    (:data:`parkscope.planning.difference.CELL_FIGURES`).

    Parameters
    ----------
    outdir : str or Path
        An OUTDIR of ``parkscope assess``.
    changes : str or Path
        The CHANGES GeoJSON (forms: :mod:`parkscope.planning.changes`).
    incremental : bool, default True
        Recompute only what the changes reach; False re-runs every stage after them (same figures).
    """
    t0 = time.perf_counter()
    st = load_stages(outdir)
    checked = read_changes(changes, st.req.settings.category_keys, st.req.area.analysis)
    applied = apply_changes(st, checked)
    ev = evaluate(st, applied, incremental=incremental)
    summary = Summary.build({**ev.summary.to_dict(), "scenario": {
        "base": Path(outdir).name,
        "changes_file": Path(changes).name,
        "changes": applied.records,
        "recomputed": {"nodes": ev.affected_nodes, "cells": ev.affected_cells,
                       "method": "incremental" if incremental else "full"},
        "figures": park_comparison(st.summary.to_dict(), ev.summary.to_dict()),
        "cell_columns": "<x>_before, <x>_delta (after - before) for x in CELL_FIGURES; lag_type_before",
    }})
    timings = dict(ev.timings)
    timings["total_s"] = time.perf_counter() - t0
    extract = st.req.extract if st.req.extract.is_file() else None
    return Assessment(
        area=st.req.area, settings=st.req.settings, network=ev.walk.network, nodes=ev.sc.nodes,
        amenities=ev.sc.amenities, cells=cell_comparison(pd.DataFrame(st.dg.cells), ev.dg.cells),
        summary=summary, extract_path=extract, run_info=_run_info(timings),
        buildings=building_points(st.req, ev.pop),
        stages=Stages(st.req, st.ext, ev.walk, ev.acc, ev.sc, ev.pop, ev.quality, ev.dg, ev.summary,
                      st.collab),
    )


def _run_info(timings: dict[str, float]) -> dict[str, Any]:
    """What differs between two runs of the same assessment (run.json): timings, clock, machine."""
    return {
        "parkscope_version": __version__,
        "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


class _Clock:
    """Runs a stage and keeps its wall time under a key of ``timings``."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.start = time.perf_counter()

    def __call__(self, key: str, stage: Callable[..., Any], *args: Any) -> Any:
        t = time.perf_counter()
        result = stage(*args)
        self.timings[key] = time.perf_counter() - t
        return result

    def total(self) -> float:
        return time.perf_counter() - self.start


def _counting(progress: Progress | None) -> Callable[[str, int, int], None]:
    """A ``step(message, done, total)`` that reaches ``progress`` only if it takes counts.

    A progress callback may be ``f(message)`` (stage starts only) or ``f(message, done, total)``.
    """
    if progress is None:
        return lambda message, done, total: None
    try:
        inspect.signature(progress).bind("message", 0, 1)
    except (TypeError, ValueError):
        return lambda message, done, total: None
    return lambda message, done, total: progress(message, done, total)  # type: ignore[call-arg]
