"""The whole assessment: extract + study area → network → amenities → access → score → cells → summary."""

from __future__ import annotations

import hashlib
import inspect
import logging
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from . import __version__
from .access import k_nearest_by_category
from .amenities import join_to_network, locate_amenities
from .area import (
    StudyArea,
    area_from_bbox,
    area_from_boundary,
    area_from_park,
    check_overlap,
    share_outside,
)
from .config import Settings, load_settings
from .diagnosis import (
    cell_indicators,
    diagnose_cells,
    park_integration,
    park_measures,
    verdict_within_error,
    workplace_and_housing_floor,
)
from .errors import AreaError, InputError
from .fivepark import read_park_data, scorecard
from .grid import aggregate_to_cells, park_weighted_mean
from .indicators import catchment, representative_xy, sum_in_cells
from .ingest import extract_bounds, read_extract, scan_data_bounds
from .network import WalkNetwork, build_walk_network
from .parkstats import park_statistics
from .population import (
    allocate_to_cells,
    building_floorspace,
    defaults_for,
    defaults_record,
    estimate_error,
    estimate_jobs_residents,
    load_population_params,
    read_counts_table,
)
from .quality import (
    DataQuality,
    amenities_quality,
    buildings_quality,
    cell_measures,
    cell_statuses,
    counts_quality,
    network_quality,
)
from .rasters import check_raster, is_raster, raster_to_cells, read_raster
from .score import category_scores, life_convenience
from .sources import count_requests, head_count_to_cells, weight_raster_to_cells

log = logging.getLogger(__name__)

OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
Progress = Callable[[str], None]


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
        One row per H3 cell: ``h3``, ``score``, ``n_nodes``, ``in_park``, ``share15_<category>``, ...
    summary : dict
        The park-level figures written to summary.json: the same inputs and parameters give the
        same bytes.
    extract_path : Path or None
        The extract assessed (the report draws its base map from it).
    run_info : dict
        What changes from run to run, written to run.json: ``timings_s`` (seconds per stage),
        ``created_utc``, ``parkscope_version``, ``python``, ``platform`` and, from the CLI,
        ``command``.
    """

    area: StudyArea
    settings: Settings
    network: WalkNetwork
    nodes: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    extract_path: Path | None = None
    run_info: dict[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """The park's life-convenience score (0–10); NaN when no walk node is in or next to the park."""
        value = self.summary["life_convenience_score"]
        return float("nan") if value is None else float(value)

    def write(self, outdir: str | Path, report: bool = True, overwrite: bool = False) -> Path:
        """Write every output into ``outdir`` (whole or not at all); see docs/outputs in the README.

        An ``outdir`` that holds an earlier result is refused unless ``overwrite`` (then it is
        replaced whole); one that holds other files, always (:func:`parkscope.io.check_output`).
        The same assessment writes byte-identical summary.json, Parquet files and cells.gpkg;
        run.json holds the timings and the wall-clock time.
        """
        from .io import atomic_output_dir, write_gpkg, write_json, write_parquet

        stamp = (self.summary.get("provenance") or {}).get("osm_timestamp")
        with atomic_output_dir(outdir, overwrite=overwrite) as tmp:
            write_json(self.summary, tmp / "summary.json")
            write_json(self.run_info, tmp / "run.json")
            write_parquet(pd.DataFrame(self.nodes.drop(columns="geometry")), tmp / "nodes.parquet")
            write_parquet(self.network.edges_frame(), tmp / "network.parquet")
            write_parquet(pd.DataFrame(self.amenities.drop(columns="geometry")), tmp / "amenities.parquet")
            write_parquet(self.cells, tmp / "cells.parquet")
            write_gpkg(self.cells, tmp / "cells.gpkg", layer="cells", categories=self.settings.categories,
                       stamp=stamp)
            if report:
                self.to_report(tmp / "report.html")
        return Path(outdir)

    def to_report(self, path: str | Path) -> Path:
        """Write the self-contained HTML report."""
        from .report.html import write_report

        return write_report(self, Path(path))

    def _repr_html_(self) -> str:
        from html import escape

        s = self.summary
        rows = "".join(
            f"<tr><td>{escape(k)}</td><td>"
            f"{v['share_within_15min'] if v['share_within_15min'] is not None else '–'}"
            f"</td><td>{v['median_nearest_m'] if v['median_nearest_m'] is not None else '–'}</td></tr>"
            for k, v in s["categories"].items()
        )
        ig = s.get("integration") or {}
        diagnosis = ""
        if ig.get("status") == "insufficient_data":
            diagnosis = "<br>no industry–city verdict: " + escape("; ".join(ig.get("missing") or []))
        elif ig.get("coordination_D") is not None:
            diagnosis = (
                f"<br>industry {ig['industry']:.2f} · city {ig['city']:.2f} · people {ig['people']:.2f}; "
                f"coupling coordination D = {ig['coordination_D']:.2f} ({escape(ig['class']['zh'])}, "
                f"{escape(ig['class']['en'])}); {escape(str(ig['lag_type']))} "
                f"({escape(str(ig.get('lag_type_zh') or ''))}); jobs / residents within "
                f"{self.settings.coverage_minutes:g} min: {ig['jobs']} / {ig['residents']}"
            )
        return (
            f"<b>parkscope assessment of {escape(self.area.name)}</b>: life-convenience score "
            f"{s['life_convenience_score']:.2f} / 10, {self.network.n_nodes} walk nodes, "
            f"{len(self.amenities)} amenity points{diagnosis}<table><tr><th>category</th><th>share within "
            f"{self.settings.coverage_minutes:g} min</th><th>median nearest (m)</th></tr>{rows}</table>"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_area(
    extract: Path, *, bbox: Any = None, boundary: Any = None, park: str | None = None, buffer_m: float
) -> StudyArea:
    """Build the study area from exactly one of ``bbox``, ``boundary`` and ``park``."""
    given = [name for name, v in (("bbox", bbox), ("boundary", boundary), ("park", park)) if v is not None]
    if len(given) != 1:
        raise InputError(
            "Give exactly one study area: --bbox W,S,E,N, --boundary FILE or --park NAME"
            + (f" (got {', '.join('--' + g for g in given)})." if given else ".")
        )
    if bbox is not None:
        return area_from_bbox(bbox, buffer_m)
    if boundary is not None:
        return area_from_boundary(boundary, buffer_m)
    return area_from_park(extract, str(park), buffer_m)


def _round(x: float, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


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
        :data:`parkscope.sources.M3_PER_JOB`, or with ``jobs_total`` the park's total spread by volume.
    attribution : str or list of str, optional
        Attribution text of the user's data, carried to ``provenance.attribution_sources``.

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
    t0 = time.perf_counter()
    extract = Path(extract)
    if settings is None:
        settings = load_settings(config)
    if buffer_m is not None:
        if buffer_m < 0:
            raise InputError(f"--buffer must be 0 or more metres (got {buffer_m}); the default is 2000.")
        settings = replace(settings, buffer_m=float(buffer_m))
    if settings.buffer_m < settings.max_distance_m:
        log.warning(
            "buffer (%g m) is smaller than the search radius (%g m): park nodes near the fence may "
            "miss amenities outside the buffer",
            settings.buffer_m,
            settings.max_distance_m,
        )

    say("ingest: finding the study area")
    area = resolve_area(extract, bbox=bbox, boundary=boundary, park=park, buffer_m=settings.buffer_m)
    # read the user's tables first: a bad table fails before minutes of work
    country = defaults_for(area.park.centroid.x, area.park.centroid.y)  # living area etc. by country
    pop_params = load_population_params(settings.population, country=country)
    requests = count_requests(
        jobs=jobs, residents=residents, jobs_total=jobs_total, residents_total=residents_total,
        jobs_weight=jobs_weight,
    )
    tables = {
        kind: read_counts_table(r.spec, kind, table_crs)
        for kind, r in requests.items()
        if r.source == "table"
    }
    for r in requests.values():  # a raster that misses the study area fails now, not at the population stage
        for spec, what in ((r.spec, r.kind), (r.weight, f"{r.kind} weight")):
            if is_raster(spec):
                check_raster(spec, what, area.analysis)
    user_tables = {
        name: read_counts_table(u["table"], "residents", table_crs)
        for name, u in settings.diagnosis.user_indicators.items()
    }
    declared = extract_bounds(extract)
    try:
        check_overlap(area, declared, extract)
    except AreaError:
        # a header box can be smaller than the data (OSM API exports): confirm with the real extent
        check_overlap(area, scan_data_bounds(extract), extract)
    say("ingest: reading the extract")
    osm = read_extract(extract, area.read_bbox)
    timings["ingest_s"] = time.perf_counter() - t0
    # the box the file declares (an OSM API export is complete inside it), else the data read
    data_box = declared or _data_extent(osm)
    outside = share_outside(area.analysis, data_box, area.crs)
    park_outside = share_outside(area.park, data_box, area.crs)
    if outside > 0.05:
        log.warning(
            "%.0f %% of the study area (park + %g m buffer) lies outside the data of %s: streets and "
            "amenities there are missing, so scores near that edge come out too low. Use an extract "
            "that covers the whole area, or a smaller --buffer.",
            100 * outside, area.buffer_m, extract.name,
        )

    say("network: building the walking network")
    t = time.perf_counter()
    if osm.highways.empty and osm.features.empty:
        w, s, e, n = scan_data_bounds(extract)
        raise AreaError(
            f"The study area ({area.name}) holds no OpenStreetMap data: {extract.name} covers "
            f"{w:.4f},{s:.4f},{e:.4f},{n:.4f} (W,S,E,N). Give an area inside it, or an extract "
            "that covers the park."
        )
    network = build_walk_network(osm, area.analysis, area.crs)
    amen = locate_amenities(osm.features, settings, area.crs, area.analysis)
    n_before = network.n_nodes
    network, joined = join_to_network(network, amen, mode="edge")
    timings["network_s"] = time.perf_counter() - t

    say(
        f"accessibility: {network.n_nodes} nodes, {len(joined)} amenity points, "
        f"{len(settings.categories)} categories"
    )
    t = time.perf_counter()
    indptr, indices, weights = network.csr()
    dists = k_nearest_by_category(
        indptr,
        indices,
        weights,
        joined["node_index"].to_numpy(np.int64),
        joined["category"].astype(str).to_numpy(),
        joined["offset_m"].to_numpy(np.float64),
        settings.category_keys,
        k=settings.k,
        max_distance_m=settings.max_distance_m,
        source_id=joined["amenity_id"].to_numpy(),  # a park's gates are one park
    )
    timings["access_s"] = time.perf_counter() - t

    say("score: life-convenience score and cells")
    t = time.perf_counter()
    cat_scores = category_scores(dists, settings)
    score = life_convenience(cat_scores, settings)
    in_park = shapely.contains_xy(area.park, network.lon, network.lat)
    cols: dict[str, Any] = {
        "node_id": network.node_id,
        "lon": network.lon,
        "lat": network.lat,
        "score": score,
        "in_park": in_park,
    }
    cover = settings.coverage_distance_m
    share_cols = {}
    for key in settings.category_keys:
        for i in range(settings.k):
            cols[f"dist_{key}_{i + 1}"] = dists[key][:, i]
        share_cols[f"share15_{key}"] = (dists[key][:, 0] <= cover).astype(np.float64)
        share_cols[f"score_{key}"] = cat_scores[key]
    nodes = gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(network.lon, network.lat), crs=4326)
    cell_values = pd.DataFrame({"lon": network.lon, "lat": network.lat, "score": score, **share_cols})
    cells = aggregate_to_cells(
        cell_values, ["score", *share_cols], area.analysis, area.park, settings.h3_resolution, area.crs
    )

    lon, lat = (
        gpd.GeoSeries(amen.geometry, crs=area.crs)
        .to_crs(4326)
        .pipe(lambda g: (g.x.to_numpy(), g.y.to_numpy()))
    )
    amenities = gpd.GeoDataFrame(
        {
            "category": joined["category"].astype(str).to_numpy(),
            "lon": lon,
            "lat": lat,
            "node_id": joined["node_id"].to_numpy(np.int64),
            "offset_m": joined["offset_m"].to_numpy(),
            "amenity_id": joined["amenity_id"].to_numpy(),
            "name": joined["name"].to_numpy(),
            "osm_type": joined["osm_type"].to_numpy(),
            "osm_id": joined["osm_id"].to_numpy(np.int64),
        },
        geometry=gpd.points_from_xy(lon, lat),
        crs=4326,
    )
    park_nodes = (
        in_park
        if in_park.any()
        else np.isin(cells_of(network, settings.h3_resolution), cells.loc[cells["in_park"], "h3"].to_numpy())
    )
    park_score = park_weighted_mean(cells, "score")
    if not np.isfinite(park_score) and park_nodes.any():
        park_score = float(score[park_nodes].mean())
    categories = {}
    amen_in_park = shapely.contains_xy(area.park, lon, lat)
    for cat in settings.categories:
        nearest = dists[cat.key][park_nodes, 0]
        median = float(np.median(np.where(np.isnan(nearest), np.inf, nearest))) if nearest.size else np.nan
        ids = amenities["category"].to_numpy() == cat.key
        categories[cat.key] = {
            "share_within_15min": _round(park_weighted_mean(cells, f"share15_{cat.key}")),
            "median_nearest_m": _round(median, 1),
            "amenities_in_area": int(amenities.loc[ids, "amenity_id"].nunique()),
            "amenities_in_park": int(amenities.loc[ids & amen_in_park, "amenity_id"].nunique()),
            "en": cat.en,
            "zh": cat.zh,
            "weight": cat.weight,
        }
    timings["score_s"] = time.perf_counter() - t

    say("population: jobs and residents")
    t = time.perf_counter()
    in_area = osm.features[osm.features.intersects(area.analysis)] if len(osm.features) else osm.features
    buildings = estimate_jobs_residents(building_floorspace(in_area, area.crs, pop_params), pop_params)
    buildings["workplace_floor_m2"] = workplace_and_housing_floor(buildings)[0]
    cells_metric = cells.geometry.to_crs(area.crs)
    bx, by = representative_xy(buildings.geometry.to_crs(area.crs)) if len(buildings) else ([], [])
    counts, sources, park_counts, records = {}, {}, {}, {}
    uncovered: dict[str, np.ndarray] = {}  # cells a user's table does not reach
    b_in_park = shapely.contains_xy(
        gpd.GeoSeries([area.park], crs=4326).to_crs(area.crs).iloc[0], np.asarray(bx), np.asarray(by)
    ) if len(buildings) else np.zeros(0, dtype=bool)
    cells_union = shapely.union_all(cells.geometry.values)
    # where people can live or work: the cells with walk nodes (not the lake or the forest)
    walkable = shapely.union_all(cells.geometry.values[cells["n_nodes"].to_numpy() > 0])
    for kind in ("jobs", "residents"):
        req = requests[kind]
        sources[kind] = req.source
        if req.weight is not None:  # built volume: a weight, not a count
            pixels = read_raster(req.weight, f"{kind} weight", cells_union)
            counts[kind], records[kind] = weight_raster_to_cells(pixels, cells, area.park, req.total)
            if req.total is not None:
                park_counts[kind] = req.total
        elif req.source == "raster":
            per_cell = raster_to_cells(read_raster(req.spec, kind, cells_union), cells)
            counts[kind], records[kind] = per_cell.to_numpy(), per_cell.attrs["raster"]
        elif req.source == "head_count":
            counts[kind], records[kind] = head_count_to_cells(
                req.total, kind, buildings, b_in_park, (np.asarray(bx), np.asarray(by)), cells_metric,
                cells["park_overlap_m2"].to_numpy(),
            )
            park_counts[kind] = req.total
        elif kind in tables:
            counts[kind] = (
                # zone polygons are shared out by the floor area of the matching use where they
                # hold buildings (dasymetric), else by area
                allocate_to_cells(
                    tables[kind], cells[["h3", "geometry"]], area.crs, weights=buildings,
                    weight_column="workplace_floor_m2" if kind == "jobs" else "residential_floor_m2",
                )
                .reindex(cells["h3"].to_numpy())
                .fillna(0.0)
                .to_numpy(dtype=np.float64)
            )
            records[kind] = {
                "file": Path(tables[kind].attrs["source"]).name, "column": tables[kind].attrs["column"],
                "total_in_cells": float(counts[kind].sum()),
            }
            records[kind]["coverage_share"], uncovered[kind] = table_coverage(
                tables[kind], walkable, cells, area.crs
            )
        else:
            counts[kind] = sum_in_cells(
                np.asarray(bx), np.asarray(by), buildings[kind].to_numpy(dtype=np.float64)
                if len(buildings) else np.zeros(0), cells_metric
            )
            park_counts[kind] = float(buildings[kind].to_numpy()[b_in_park].sum()) if len(buildings) else 0.0
    timings["population_s"] = time.perf_counter() - t

    say("quality: how complete each input layer is")
    t = time.perf_counter()
    quality = measure_quality(
        cells, cells_metric, network, buildings, (np.asarray(bx), np.asarray(by)), amen, joined,
        counts, sources, (outside, park_outside), int(park_nodes.sum()), len(settings.categories),
        coverage={kind: records.get(kind, {}).get("coverage_share") for kind in ("jobs", "residents")},
        uncovered=uncovered,
        errors={kind: estimate_error(kind, sources[kind]) for kind in ("jobs", "residents")},
    )
    timings["quality_s"] = time.perf_counter() - t

    say("indices: industry–city–people diagnosis and five-park scorecard")
    t = time.perf_counter()
    node_cell = cells_of(network, settings.h3_resolution)
    values, reach = cell_indicators(
        cells, network, node_cell, dists, in_area, counts["jobs"], counts["residents"], buildings,
        cover, settings.diagnosis,
        on_batch=lambda done, total: step("indices: 15-minute reach of each cell", done, total),
    )
    for name, table in user_tables.items():
        total = allocate_to_cells(table, cells[["h3", "geometry"]], area.crs).reindex(
            cells["h3"].to_numpy()).fillna(0.0).to_numpy(dtype=np.float64)
        per_km2 = settings.diagnosis.user_indicators[name]["per_km2"]
        values[f"user_{name}"] = total / (cells["area_m2"].to_numpy() / 1e6) if per_km2 else total
    diag = diagnose_cells(values, cells["n_nodes"].to_numpy() > 0, settings.diagnosis, quality.cell_status)
    park_node_idx = np.nonzero(park_nodes)[0]
    in_catchment = catchment(network, park_node_idx, cover)
    with_counts = pd.concat([diag, values[["jobs", "residents"]]], axis=1)
    with_counts.attrs = dict(diag.attrs)
    integration = park_integration(
        cells, with_counts, in_catchment, reach, cover, settings.diagnosis, sources, park_counts, values,
        quality=quality,
    )
    integration["within_error"] = verdict_within_error(
        cells, values, cells["n_nodes"].to_numpy() > 0, settings.diagnosis, quality,
        {kind: (quality.layers[kind].measures.get("error_factor") or 1.0) for kind in ("jobs", "residents")},
    )
    park_m = gpd.GeoSeries([area.park], crs=4326).to_crs(area.crs).iloc[0]
    measures = park_measures(
        park_m, cells, values, network, in_catchment, reach, in_area, buildings, integration,
        park_score, settings.diagnosis, quality=quality,
    )
    five_park = scorecard(measures, read_park_data(settings.park_data))
    measured = quality.cell_measures[["street_km_per_km2", "buildings", "amenities", "built_up"]].rename(
        columns={"buildings": "buildings_mapped", "amenities": "amenity_points"}
    )
    cells = gpd.GeoDataFrame(
        pd.concat([cells, values.drop(columns=[c for c in values.columns if c in cells.columns]), diag,
                   measured], axis=1),
        geometry="geometry",
        crs=cells.crs,
    )
    timings["indices_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t0
    summary = {
        "parkscope_version": __version__,
        "life_convenience_score": _round(park_score, 2),
        "categories": categories,
        "max_distance_m": settings.max_distance_m,
        "k": settings.k,
        "coverage_distance_m": round(cover, 1),
        "area": {
            "source": area.source,
            "name": area.name,
            "match": area.match,
            "park_area_m2": round(area.park_area_m2(), 1),
            "outside_extract_share": round(outside, 4),
            "buffer_m": area.buffer_m,
            "crs": area.crs.to_string(),
            "park_wkt": area.park.wkt,
        },
        "network": {
            "nodes": network.n_nodes,
            "edges": network.n_edges,
            "nodes_in_park": int(in_park.sum()),
            "join_nodes_added": network.n_nodes - n_before,
            "dropped_node_share": round(network.dropped_node_share, 4),
            "length_km": round(float(network.length_m.sum()) / 1000, 3),
        },
        "cells": {
            "h3_resolution": settings.h3_resolution,
            "count": len(cells),
            "in_park": int(cells["in_park"].sum()),
        },
        "data_quality": quality.summary(),
        "integration": integration,
        "five_park": five_park,
        "park_statistics": park_statistics(settings.park_data, area.park_area_m2()),
        "buildings": {
            "count": int(len(buildings)),
            "floor_area_m2": round(float(buildings["floor_area_m2"].sum()), 1) if len(buildings) else 0.0,
            "estimated_jobs": round(float(buildings["jobs"].sum())) if len(buildings) else 0,
            "estimated_residents": round(float(buildings["residents"].sum())) if len(buildings) else 0,
            "defaults": defaults_record(country, settings.population),
        },
        "population": {kind: {"source": sources[kind], **records.get(kind, {})} for kind in sources},
        "provenance": {
            "extract": extract.name,
            "extract_sha256": _sha256(extract),
            "osm_timestamp": osm.osm_timestamp,
            "parameters": settings.as_dict(),
            "attribution": OSM_ATTRIBUTION,
            "attribution_sources": _attribution_sources(records, attribution),
        },
    }
    return Assessment(
        area=area,
        settings=settings,
        network=network,
        nodes=nodes,
        amenities=amenities,
        cells=cells,
        summary=summary,
        extract_path=extract,
        run_info=_run_info(timings),
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


def _attribution_sources(records: dict[str, dict[str, Any]], given: str | Sequence[str] | None) -> list[str]:
    """Attribution of every source used: OpenStreetMap, the rasters read, the user's own texts."""
    texts = [OSM_ATTRIBUTION, *(r["attribution"] for r in records.values() if r.get("attribution"))]
    texts += [given] if isinstance(given, str) else list(given or [])
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def table_coverage(
    table: gpd.GeoDataFrame, study_area: Any, cells: gpd.GeoDataFrame, crs: Any
) -> tuple[float, np.ndarray]:
    """Where a table has data: its zones (polygons, H3 cells), or the convex hull of its points.

    A table of the whole city covers a park's study area whole; one of a district, part of it (the
    rest would read as zero jobs or residents).

    Returns
    -------
    (float, ndarray of bool)
        The share of ``study_area`` (WGS84; the cells with walk nodes) covered, and for each cell
        whether its centre is uncovered.
    """
    if table.empty:
        return 0.0, np.ones(len(cells), dtype=bool)
    metric_area = gpd.GeoSeries([study_area], crs=4326).to_crs(crs).iloc[0]
    geoms = table.geometry.to_crs(crs).values
    polygons = np.isin(shapely.get_type_id(geoms), (3, 6))
    parts = [shapely.union_all(shapely.make_valid(geoms[polygons]))] if polygons.any() else []
    if (~polygons).any():
        parts.append(shapely.convex_hull(shapely.union_all(geoms[~polygons])))
    extent = shapely.union_all(parts)
    total = shapely.area(metric_area)
    inside = float(shapely.area(shapely.intersection(extent, metric_area)))
    share = round(inside / total, 4) if total > 0 else 0.0
    centres = cells.geometry.to_crs(crs).centroid
    return share, ~shapely.intersects_xy(extent, centres.x.to_numpy(), centres.y.to_numpy())


def measure_quality(
    cells: gpd.GeoDataFrame,
    cells_metric: gpd.GeoSeries,
    network: WalkNetwork,
    buildings: gpd.GeoDataFrame,
    building_xy: tuple[np.ndarray, np.ndarray],
    amen: gpd.GeoDataFrame,
    joined: pd.DataFrame,
    counts: dict[str, np.ndarray],
    sources: dict[str, str],
    outside_extract: tuple[float, float],
    park_nodes: int,
    n_categories: int,
    coverage: dict[str, float | None] | None = None,
    errors: dict[str, Any] | None = None,
    uncovered: dict[str, np.ndarray] | None = None,
) -> DataQuality:
    """How complete each input layer is, in the study area and per cell (:mod:`parkscope.quality`).

    ``outside_extract`` is the share of the study area and of the park outside the extract's data;
    ``uncovered`` marks, per quantity, the cells beyond the reach of the user's table.
    """
    first = ~joined["amenity_id"].duplicated().to_numpy()
    ax = shapely.get_x(amen.geometry.values)[first]
    ay = shapely.get_y(amen.geometry.values)[first]
    footprint = buildings["footprint_m2"].to_numpy(np.float64) if len(buildings) else np.zeros(0)
    measures = cell_measures(cells_metric, network, building_xy, footprint, (ax, ay))
    levels_share = float((buildings["levels_source"] != "default").mean()) if len(buildings) else 0.0
    coverage, errors = coverage or {}, errors or {}
    build_q = buildings_quality(measures, levels_share, len(buildings))
    residents_known = (
        float(counts["residents"].sum()) if sources["residents"] != "osm_buildings" else None
    )
    layers = {
        "network": network_quality(network, measures, outside_extract[0], park_nodes, outside_extract[1]),
        "amenities": amenities_quality(
            measures, int(first.sum()), int(joined["category"].nunique()), n_categories, residents_known
        ),
        "buildings": build_q,
        **{
            kind: counts_quality(kind, sources[kind], float(counts[kind].sum()), build_q,
                                 coverage.get(kind), errors.get(kind))
            for kind in ("jobs", "residents")
        },
    }
    status = cell_statuses(layers, measures, sources, cells["n_nodes"].to_numpy() > 0,
                           cells["in_park"].to_numpy())
    for kind, mask in (uncovered or {}).items():
        status.loc[mask, kind] = "missing"  # beyond the user's table: unknown, not zero
    return DataQuality(layers, status, measures)


#: Share of the data's points left out on each side when the extent of a file without declared bounds
#: is measured: the far ends of roads that cross the edge of an Overpass export would stretch it.
DATA_EXTENT_TRIM = 0.005


def _data_extent(osm: Any) -> tuple[float, float, float, float] | None:
    """Box (W, S, E, N) where the data read lie: 0.5th to 99.5th percentiles of the street nodes and
    of the feature points (the whole range of each when there are few).

    An export without declared bounds (Overpass) holds every way that touches its box with all its
    nodes, so a few roads reach far beyond where the data are complete (Berlin-Adlershof: data in
    13.521–13.564 E, road ends out to 13.454–13.609 E); percentiles ignore those few.
    """
    lon_parts, lat_parts = [], []
    if len(osm.node_lonlat):
        lon_parts.append(osm.node_lonlat["lon"].to_numpy(np.float64))
        lat_parts.append(osm.node_lonlat["lat"].to_numpy(np.float64))
    if len(osm.features):
        points = osm.features.geometry.representative_point()
        lon_parts.append(points.x.to_numpy(np.float64))
        lat_parts.append(points.y.to_numpy(np.float64))
    if not lon_parts:
        return None
    lon, lat = np.concatenate(lon_parts), np.concatenate(lat_parts)
    q = (DATA_EXTENT_TRIM, 1 - DATA_EXTENT_TRIM) if lon.size >= 1000 else (0.0, 1.0)
    w, e = np.quantile(lon, q)
    s, n = np.quantile(lat, q)
    return (float(w), float(s), float(e), float(n))


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


def cells_of(network: WalkNetwork, resolution: int) -> np.ndarray:
    """H3 cell of every node of a network."""
    from .grid import node_cells

    return node_cells(network.lon, network.lat, resolution)
