"""The assessment as a chain of stages, each a pure function of the results before it.

request → extract → walk network → access → scores → population → data quality → diagnosis →
summary. Every stage returns a frozen dataclass (picklable), so a caller can run the stages one by
one, keep their results and re-run from any stage — a new jobs table re-runs :func:`population` and
what follows, nothing before it. :func:`parkscope.assessment.assess` is their composition.
docs/architecture.md draws the chain.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from parkscope._version import __version__
from parkscope.cooperation import analyse_network
from parkscope.diagnoses.fivepark import read_park_data, scorecard
from parkscope.diagnoses.integration import (
    IndexModel,
    PreviousDiagnosis,
    Reach,
    cell_indicators,
    diagnose_cells,
    park_cover_measures,
    park_integration,
    park_measures,
    rediagnose_cells,
    verdict_within_error,
    workplace_and_housing_floor,
)
from parkscope.errors import AreaError, InputError
from parkscope.inputs.area import (
    StudyArea,
    area_from_bbox,
    area_from_boundary,
    area_from_park,
    check_overlap,
    share_outside,
)
from parkscope.inputs.osm import OsmExtract, extract_bounds, read_extract, scan_data_bounds
from parkscope.inputs.rasters import check_raster, is_raster, raster_to_cells, read_raster
from parkscope.measures.indicators import catchment, representative_xy, sum_in_cells
from parkscope.measures.population import (
    PopulationParams,
    allocate_to_cells,
    building_floorspace,
    defaults_for,
    defaults_record,
    estimate_error,
    estimate_jobs_residents,
    load_population_params,
    read_counts_table,
)
from parkscope.measures.population_sources import (
    CountRequest,
    count_requests,
    head_count_to_cells,
    weight_raster_to_cells,
)
from parkscope.measures.quality import (
    DataQuality,
    amenities_quality,
    buildings_quality,
    cell_measures,
    cell_statuses,
    counts_quality,
    network_quality,
)
from parkscope.measures.score import category_scores, life_convenience
from parkscope.settings.config import Settings, load_settings
from parkscope.settings.parkstats import park_statistics
from parkscope.settings.summary import Summary
from parkscope.settings.vocabulary import SCORE_KEYS, share_column, share_within_key
from parkscope.walk.access import k_nearest_by_category
from parkscope.walk.amenities import join_to_network, locate_amenities
from parkscope.walk.grid import (
    aggregate_to_cells,
    node_cells,
    park_cell_weights,
    park_weighted_mean,
    weighted_park_score,
)
from parkscope.walk.network import WalkNetwork, build_walk_network

log = logging.getLogger(__name__)

OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors, ODbL 1.0 (openstreetmap.org/copyright)"
KINDS = ("jobs", "residents")
BBox = tuple[float, float, float, float]


# --------------------------------------------------------------------------------------------------
# Stage results
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What the user asked for, read and checked before any heavy work.

    Attributes
    ----------
    extract : Path
    settings : Settings
    area : StudyArea
    population_params : PopulationParams
        Building-estimate parameters with the country's defaults
        (:func:`parkscope.measures.population.defaults_for`).
    country : Any
        The country record the defaults came from.
    counts : dict
        ``jobs`` / ``residents`` -> :class:`parkscope.measures.population_sources.CountRequest`.
    tables : dict
        The user's jobs / residents tables, read (``kind`` -> GeoDataFrame).
    user_tables : dict
        The tables of ``[diagnosis.user_indicators]``, read.
    park_data : dict
        ``[park_data]`` turned into scorecard values (files read once, here).
    declared_bounds : tuple or None
        The box the extract declares.
    attribution : tuple of str
        The user's attribution texts.
    cooperation : Path or None
        Collaboration records (CORDIS export, participation or agreements table) whose figures for
        the park feed the five-park "open" dimension.
    """

    extract: Path
    settings: Settings
    area: StudyArea
    population_params: PopulationParams
    country: Any
    counts: Mapping[str, CountRequest]
    tables: Mapping[str, gpd.GeoDataFrame]
    user_tables: Mapping[str, gpd.GeoDataFrame]
    park_data: Mapping[str, float]
    declared_bounds: BBox | None
    attribution: tuple[str, ...]
    cooperation: Path | None = None


@dataclass(frozen=True)
class Extract:
    """The OpenStreetMap data of the study area and how much of the area they cover."""

    osm: OsmExtract
    data_box: BBox | None
    outside_share: float  # share of the study area outside the extract's data
    park_outside_share: float  # share of the park outside it


@dataclass(frozen=True)
class Walk:
    """The walking network with the amenities joined to it."""

    network: WalkNetwork
    located: gpd.GeoDataFrame  # amenity access points, metric CRS
    joined: pd.DataFrame  # their join to the network (``node_index``, ``offset_m``, …)
    nodes_before_join: int
    node_cells: np.ndarray  # H3 cell of every node (computed once)


@dataclass(frozen=True)
class Access:
    """Network metres from every node to the k nearest amenities of each category."""

    distances: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Scores:
    """Life-convenience scores per node, per cell and for the park."""

    nodes: gpd.GeoDataFrame
    cells: gpd.GeoDataFrame
    amenities: gpd.GeoDataFrame
    in_park: np.ndarray
    park_nodes: np.ndarray
    park_score: float
    categories: Mapping[str, Any]


@dataclass(frozen=True)
class Population:
    """Buildings, and jobs and residents per cell with where they came from."""

    features: gpd.GeoDataFrame  # OSM features in the study area
    buildings: gpd.GeoDataFrame
    building_xy: tuple[np.ndarray, np.ndarray]  # a point of each building, metric CRS
    counts: Mapping[str, np.ndarray]  # kind -> per cell
    sources: Mapping[str, str]
    park_counts: Mapping[str, float]
    records: Mapping[str, Mapping[str, Any]]
    uncovered: Mapping[str, np.ndarray]  # kind -> cells beyond the user's table


@dataclass(frozen=True)
class Diagnosis:
    """The industry–city–people diagnosis and the five-park scorecard."""

    values: pd.DataFrame
    reach: Reach
    cell_diagnosis: pd.DataFrame
    integration: Mapping[str, Any]
    five_park: Mapping[str, Any]
    cells: gpd.GeoDataFrame  # the score cells with the indicators, diagnosis and data measures
    collaboration: Mapping[str, Any] | None = None  # the park in its collaboration network
    model: IndexModel | None = None  # the scale and weights of the sub-indices
    park_cover: Mapping[str, float | None] | None = None  # diagnosis.park_cover_measures (features only)


# --------------------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------------------


def prepare(
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
    jobs_total: float | None = None,
    residents_total: float | None = None,
    jobs_weight: str | Path | None = None,
    attribution: str | Sequence[str] | None = None,
    cooperation: str | Path | None = None,
) -> Request:
    """Settings, study area and the user's files, read and checked: bad input fails here, fast.

    Parameters are those of :func:`parkscope.assessment.assess`.
    """
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
    given = (attribution,) if isinstance(attribution, str) else tuple(attribution or ())
    if cooperation is not None and not Path(cooperation).is_file():
        raise InputError(
            f"--cooperation {cooperation} does not exist: give a CORDIS export, a participation table "
            "or an agreements table (docs/network.md)."
        )
    return Request(
        extract=extract, settings=settings, area=area, population_params=pop_params, country=country,
        counts=requests, tables=tables, user_tables=user_tables,
        park_data=read_park_data(settings.park_data, statistics=settings.park_statistics),
        declared_bounds=declared, attribution=given,
        cooperation=None if cooperation is None else Path(cooperation),
    )


def ingest(req: Request) -> Extract:
    """Read the extract's data in the study area; measure how much of the area they cover."""
    area = req.area
    osm = read_extract(req.extract, area.read_bbox)
    # the box the file declares (an OSM API export is complete inside it), else the data read
    data_box = req.declared_bounds or _data_extent(osm)
    outside = share_outside(area.analysis, data_box, area.crs)
    if outside > 0.05:
        log.warning(
            "%.0f %% of the study area (park + %g m buffer) lies outside the data of %s: streets and "
            "amenities there are missing, so scores near that edge come out too low. Use an extract "
            "that covers the whole area, or a smaller --buffer.",
            100 * outside, area.buffer_m, req.extract.name,
        )
    if osm.highways.empty and osm.features.empty:
        w, s, e, n = scan_data_bounds(req.extract)
        raise AreaError(
            f"The study area ({area.name}) holds no OpenStreetMap data: {req.extract.name} covers "
            f"{w:.4f},{s:.4f},{e:.4f},{n:.4f} (W,S,E,N). Give an area inside it, or an extract "
            "that covers the park."
        )
    return Extract(osm, data_box, outside, share_outside(area.park, data_box, area.crs))


def walk_network(req: Request, ext: Extract) -> Walk:
    """The walking network of the study area, with the amenities joined to its edges."""
    area, settings = req.area, req.settings
    network = build_walk_network(ext.osm, area.analysis, area.crs)
    located = locate_amenities(ext.osm.features, settings, area.crs, area.analysis)
    n_before = network.n_nodes
    network, joined = join_to_network(network, located, mode="edge")
    cells = node_cells(network.lon, network.lat, settings.h3_resolution)
    return Walk(network, located, joined, n_before, cells)


def accessibility(req: Request, walk: Walk) -> Access:
    """Network metres from every node to the k nearest amenities of each category."""
    settings, joined = req.settings, walk.joined
    indptr, indices, weights = walk.network.csr()
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
    return Access(dists)


def scores(req: Request, walk: Walk, acc: Access) -> Scores:
    """Life-convenience score per node, its mean per H3 cell, and the park's figures per category."""
    area, settings, network, dists = req.area, req.settings, walk.network, acc.distances
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
        within = (dists[key][:, 0] <= cover).astype(np.float64)
        share_cols[share_column(key, settings.coverage_minutes)] = within
        share_cols[f"score_{key}"] = cat_scores[key]
    nodes = gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(network.lon, network.lat), crs=4326)
    cell_values = pd.DataFrame({"lon": network.lon, "lat": network.lat, "score": score, **share_cols})
    cells = aggregate_to_cells(
        cell_values, ["score", *share_cols], area.analysis, area.park, settings.h3_resolution, area.crs,
        cell_of_node=walk.node_cells,  # computed once, in walk_network
    )
    return park_scores(req, walk, acc, nodes, cells)


def park_scores(req: Request, walk: Walk, acc: Access, nodes: gpd.GeoDataFrame,
                cells: gpd.GeoDataFrame) -> Scores:
    """The park's score and per-category figures from the node and cell scores (the end of
    :func:`scores`; a scenario that patched the nodes and cells calls it directly)."""
    area, settings, dists = req.area, req.settings, acc.distances
    in_park = nodes["in_park"].to_numpy(dtype=bool)
    score = nodes["score"].to_numpy(dtype=np.float64)
    amenities = _amenity_frame(walk)
    park_nodes = (
        in_park
        if in_park.any()
        else np.isin(walk.node_cells, cells.loc[cells["in_park"], "h3"].to_numpy())
    )
    park_score = park_weighted_mean(cells, "score")
    if not np.isfinite(park_score) and park_nodes.any():
        park_score = float(score[park_nodes].mean())
    categories = {}
    amen_in_park = shapely.contains_xy(area.park, amenities["lon"].to_numpy(), amenities["lat"].to_numpy())
    for cat in settings.categories:
        nearest = dists[cat.key][park_nodes, 0]
        median = float(np.median(np.where(np.isnan(nearest), np.inf, nearest))) if nearest.size else np.nan
        ids = amenities["category"].to_numpy() == cat.key
        categories[cat.key] = {
            share_within_key(settings.coverage_minutes): _round(
                park_weighted_mean(cells, share_column(cat.key, settings.coverage_minutes))
            ),
            "median_nearest_m": _round(median, 1),
            "amenities_in_area": int(amenities.loc[ids, "amenity_id"].nunique()),
            "amenities_in_park": int(amenities.loc[ids & amen_in_park, "amenity_id"].nunique()),
            "en": cat.en,
            "zh": cat.zh,
            "weight": cat.weight,
        }
    return Scores(nodes, cells, amenities, in_park, park_nodes, park_score, categories)


def _amenity_frame(walk: Walk) -> gpd.GeoDataFrame:
    """The amenity access points in WGS84 with their join to the network (amenities.parquet)."""
    joined = walk.joined
    lon, lat = (
        gpd.GeoSeries(walk.located.geometry, crs=walk.network.crs)
        .to_crs(4326)
        .pipe(lambda g: (g.x.to_numpy(), g.y.to_numpy()))
    )
    return gpd.GeoDataFrame(
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


def population(req: Request, ext: Extract, sc: Scores) -> Population:
    """Buildings (floor area by use) and jobs and residents per cell, from the source the user gave."""
    area, pop_params = req.area, req.population_params
    osm = ext.osm
    in_area = osm.features[osm.features.intersects(area.analysis)] if len(osm.features) else osm.features
    buildings = estimate_jobs_residents(building_floorspace(in_area, area.crs, pop_params), pop_params)
    return population_from_buildings(req, in_area, buildings, sc)


def population_from_buildings(
    req: Request, in_area: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame, sc: Scores
) -> Population:
    """Jobs and residents per cell from buildings already estimated (the rest of :func:`population`;
    a scenario that added floor space or changed a building's use calls it directly)."""
    area, cells = req.area, sc.cells
    buildings = buildings.copy()
    buildings["workplace_floor_m2"] = workplace_and_housing_floor(buildings)[0]
    cells_metric = cells.geometry.to_crs(area.crs)
    bx, by = representative_xy(buildings.geometry.to_crs(area.crs)) if len(buildings) else ([], [])
    bx, by = np.asarray(bx, dtype=np.float64), np.asarray(by, dtype=np.float64)
    counts, sources, park_counts, records = {}, {}, {}, {}
    uncovered: dict[str, np.ndarray] = {}  # cells a user's table does not reach
    b_in_park = shapely.contains_xy(
        gpd.GeoSeries([area.park], crs=4326).to_crs(area.crs).iloc[0], bx, by
    ) if len(buildings) else np.zeros(0, dtype=bool)
    cells_union = shapely.union_all(cells.geometry.values)
    # where people can live or work: the cells with walk nodes (not the lake or the forest)
    walkable = shapely.union_all(cells.geometry.values[cells["n_nodes"].to_numpy() > 0])
    for kind in KINDS:
        req_kind = req.counts[kind]
        sources[kind] = req_kind.source
        if req_kind.weight is not None:  # built volume: a weight, not a count
            pixels = read_raster(req_kind.weight, f"{kind} weight", cells_union)
            counts[kind], records[kind] = weight_raster_to_cells(pixels, cells, area.park, req_kind.total)
            if req_kind.total is not None:
                park_counts[kind] = req_kind.total
        elif req_kind.source == "raster":
            per_cell = raster_to_cells(read_raster(req_kind.spec, kind, cells_union), cells)
            counts[kind], records[kind] = per_cell.to_numpy(), per_cell.attrs["raster"]
        elif req_kind.source == "head_count":
            counts[kind], records[kind] = head_count_to_cells(
                req_kind.total, kind, buildings, b_in_park, (bx, by), cells_metric,
                cells["park_overlap_m2"].to_numpy(),
            )
            park_counts[kind] = req_kind.total
        elif kind in req.tables:
            table = req.tables[kind]
            counts[kind] = (
                # zone polygons are shared out by the floor area of the matching use where they
                # hold buildings (dasymetric), else by area
                allocate_to_cells(
                    table, cells[["h3", "geometry"]], area.crs, weights=buildings,
                    weight_column="workplace_floor_m2" if kind == "jobs" else "residential_floor_m2",
                )
                .reindex(cells["h3"].to_numpy())
                .fillna(0.0)
                .to_numpy(dtype=np.float64)
            )
            records[kind] = {
                "file": Path(table.attrs["source"]).name, "column": table.attrs["column"],
                "total_in_cells": float(counts[kind].sum()),
            }
            records[kind]["coverage_share"], uncovered[kind] = table_coverage(
                table, walkable, cells, area.crs
            )
        else:
            counts[kind] = sum_in_cells(
                bx, by, buildings[kind].to_numpy(dtype=np.float64) if len(buildings) else np.zeros(0),
                cells_metric,
            )
            park_counts[kind] = float(buildings[kind].to_numpy()[b_in_park].sum()) if len(buildings) else 0.0
    return Population(in_area, buildings, (bx, by), counts, sources, park_counts, records, uncovered)


def data_quality(req: Request, ext: Extract, walk: Walk, sc: Scores, pop: Population,
                 measures: pd.DataFrame | None = None) -> DataQuality:
    """How complete each input layer is, in the study area and per cell (:mod:`parkscope.measures.quality`).

    ``measures``: the cells' measures (:func:`parkscope.measures.quality.cell_measures`) when the caller has
    them (a scenario patches the old ones); by default they are measured here."""
    return measure_quality(
        sc.cells, None if measures is not None else sc.cells.geometry.to_crs(req.area.crs), walk.network,
        pop.buildings, pop.building_xy,
        walk.located, walk.joined, pop.counts, pop.sources, (ext.outside_share, ext.park_outside_share),
        int(sc.park_nodes.sum()), len(req.settings.categories),
        coverage={kind: pop.records.get(kind, {}).get("coverage_share") for kind in KINDS},
        uncovered=pop.uncovered,
        errors={kind: estimate_error(kind, pop.sources[kind]) for kind in KINDS}, measures=measures,
    )


def collaboration(req: Request) -> dict[str, Any] | None:
    """The park in its collaboration network (``--cooperation RECORDS``): actors in the park, their
    partners and reach (:mod:`parkscope.cooperation`); None without records."""
    if req.cooperation is None:
        return None
    result = analyse_network(req.cooperation, park=req.area.park)
    park = result.summary.get("park") or {}
    reach = park.get("reach") or {}
    return {
        "records": req.cooperation.name,
        "actors_in_park": park.get("actors_in_park", 0),
        "partners": park.get("partners", 0),
        "links": park.get("links", 0),
        "countries_reached": len(reach.get("countries") or {}),
        "network_actors": result.summary.get("actors"),
        "network_links": result.summary.get("links"),
    }


def diagnosis(
    req: Request, walk: Walk, acc: Access, sc: Scores, pop: Population, quality: DataQuality,
    on_batch: Callable[[int, int], None] | None = None, collab: Mapping[str, Any] | None = None,
) -> Diagnosis:
    """Indicators per cell, sub-indices, coupling coordination, the park's integration and scorecard.

    ``on_batch(done, total)`` reports the 15-minute reach computation, the one long loop. With
    ``collab`` (:func:`collaboration`), the scorecard's ``cooperation_agreements`` ("open") is the
    number of partners of the park's actors in the records, unless ``[park_data]`` gives it.
    """
    settings, network, cells = req.settings, walk.network, sc.cells
    cover = settings.coverage_distance_m
    values, reach = cell_indicators(
        cells, network, walk.node_cells, acc.distances, pop.features, pop.counts["jobs"],
        pop.counts["residents"], pop.buildings, cover, settings.diagnosis, on_batch=on_batch,
        minutes=settings.coverage_minutes,
    )
    return diagnosis_from_indicators(req, walk, sc, pop, quality, values, reach, collab)


def diagnosis_from_indicators(
    req: Request, walk: Walk, sc: Scores, pop: Population, quality: DataQuality, values: pd.DataFrame,
    reach: Reach, collab: Mapping[str, Any] | None = None,
    park_cover: Mapping[str, float | None] | None = None,
    previous: PreviousDiagnosis | None = None,
) -> Diagnosis:
    """The diagnosis from the raw indicators per cell (the rest of :func:`diagnosis`; a scenario
    that updated the indicators of the cells a change reaches calls it directly, with the
    ``park_cover`` measures it kept: they rest on the features alone, and the ``previous``
    diagnosis: :func:`rediagnose_cells`)."""
    area, settings, network, cells = req.area, req.settings, walk.network, sc.cells
    cover = settings.coverage_distance_m
    values = values.copy()
    for name, table in req.user_tables.items():
        total = allocate_to_cells(table, cells[["h3", "geometry"]], area.crs).reindex(
            cells["h3"].to_numpy()).fillna(0.0).to_numpy(dtype=np.float64)
        per_km2 = settings.diagnosis.user_indicators[name]["per_km2"]
        values[f"user_{name}"] = total / (cells["area_m2"].to_numpy() / 1e6) if per_km2 else total
    has_nodes = cells["n_nodes"].to_numpy() > 0
    if previous is None:
        diag, model = diagnose_cells(values, has_nodes, settings.diagnosis, quality.cell_status)
    else:  # a scenario: only the cells whose indicators or statuses changed are diagnosed again
        diag, model = rediagnose_cells(values, has_nodes, settings.diagnosis, quality.cell_status, previous)
    in_catchment = catchment(network, np.nonzero(sc.park_nodes)[0], cover)
    with_counts = pd.concat([diag, values[["jobs", "residents"]]], axis=1)
    integration = park_integration(
        cells, with_counts, model, in_catchment, reach, cover, settings.diagnosis, pop.sources,
        pop.park_counts, values, quality=quality,
    )
    integration["within_error"] = verdict_within_error(
        cells, values, has_nodes, settings.diagnosis, quality,
        {kind: (quality.layers[kind].measures.get("error_factor") or 1.0) for kind in KINDS},
    )
    park_m = gpd.GeoSeries([area.park], crs=4326).to_crs(area.crs).iloc[0]
    if park_cover is None:
        park_cover = park_cover_measures(pop.features, park_m, network.crs)
    measures = park_measures(
        park_m, cells, values, network, in_catchment, reach, pop.features, pop.buildings, integration,
        sc.park_score, settings.diagnosis, quality=quality, minutes=settings.coverage_minutes,
        cover_measures=park_cover,
        building_xy=pop.building_xy if network.crs == area.crs else None,  # the population stage's points
    )
    user_values = dict(req.park_data)
    from_network = collab is not None and "cooperation_agreements" not in user_values
    if from_network:
        user_values["cooperation_agreements"] = float(collab["partners"])
    five_park = scorecard(measures, user_values, minutes=settings.coverage_minutes)
    if from_network:
        entry = five_park["open"]["indicators"]["cooperation_agreements"]
        entry["source"] = "network"
        entry["note"] = (f"partners of the park's {collab['actors_in_park']} actors in {collab['records']} "
                         "(parkscope.cooperation)")
    measured = quality.cell_measures[["street_km_per_km2", "buildings", "amenities", "built_up"]].rename(
        columns={"buildings": "buildings_mapped", "amenities": "amenity_points"}
    )
    full = gpd.GeoDataFrame(
        pd.concat([cells, values.drop(columns=[c for c in values.columns if c in cells.columns]), diag,
                   measured], axis=1),
        geometry="geometry",
        crs=cells.crs,
    )
    return Diagnosis(values, reach, diag, integration, five_park, full, collab, model, park_cover)


def build_summary(
    req: Request, ext: Extract, walk: Walk, sc: Scores, pop: Population, quality: DataQuality,
    dg: Diagnosis, extract_sha256: str | None = None,
) -> Summary:
    """The park-level figures written to summary.json (no timings or clock: those go to run.json),
    validated against the declared :class:`parkscope.settings.summary.Summary`.

    ``extract_sha256`` spares reading the extract again (a scenario works from OUTDIR alone)."""
    area, settings, network, buildings = req.area, req.settings, walk.network, pop.buildings
    return Summary.build({
        "parkscope_version": __version__,
        "life_convenience_score": _round(sc.park_score, 2),
        **people_scores(dg.cells),
        "categories": sc.categories,
        "max_distance_m": settings.max_distance_m,
        "k": settings.k,
        "coverage_distance_m": round(settings.coverage_distance_m, 1),
        "coverage_minutes": settings.coverage_minutes,
        "area": {
            "source": area.source,
            "name": area.name,
            "match": area.match,
            "park_area_m2": round(area.park_area_m2(), 1),
            "outside_extract_share": round(ext.outside_share, 4),
            "buffer_m": area.buffer_m,
            "crs": area.crs.to_string(),
            "park_wkt": area.park.wkt,
        },
        "network": {
            "nodes": network.n_nodes,
            "edges": network.n_edges,
            "nodes_in_park": int(sc.in_park.sum()),
            "join_nodes_added": network.n_nodes - walk.nodes_before_join,
            "dropped_node_share": round(network.dropped_node_share, 4),
            "length_km": round(float(network.length_m.sum()) / 1000, 3),
        },
        "cells": {
            "h3_resolution": settings.h3_resolution,
            "count": len(dg.cells),
            "in_park": int(dg.cells["in_park"].sum()),
        },
        "data_quality": quality.summary(),
        "integration": dg.integration,
        "five_park": dg.five_park,
        "park_statistics": park_statistics(settings.park_statistics, area.park_area_m2()),
        "cooperation": dg.collaboration,
        "buildings": {
            "count": int(len(buildings)),
            "floor_area_m2": round(float(buildings["floor_area_m2"].sum()), 1) if len(buildings) else 0.0,
            "estimated_jobs": round(float(buildings["jobs"].sum())) if len(buildings) else 0,
            "estimated_residents": round(float(buildings["residents"].sum())) if len(buildings) else 0,
            "defaults": defaults_record(req.country, settings.population),
        },
        "population": {
            kind: {"source": pop.sources[kind], **pop.records.get(kind, {})} for kind in pop.sources
        },
        "provenance": {
            "extract": req.extract.name,
            "extract_sha256": extract_sha256 or _sha256(req.extract),
            "osm_timestamp": ext.osm.osm_timestamp,
            "parameters": settings.as_dict(),
            "attribution": OSM_ATTRIBUTION,
            "attribution_sources": _attribution_sources(pop.records, req.attribution),
        },
    })


def building_points(req: Request, pop: Population) -> pd.DataFrame:
    """The buildings of the study area as points (buildings.parquet): ``building_id`` (``"w123"`` from
    the OSM way, ``"r45"`` from a relation), ``lon``, ``lat`` (the point the population stage places
    it at), ``use`` and ``floor_area_m2``. ``plan --candidates buildings`` and ``scenario``'s
    ``change_use`` find buildings here."""
    b = pop.buildings
    bx, by = pop.building_xy
    if len(b):
        lon, lat = (gpd.GeoSeries(gpd.points_from_xy(bx, by), crs=req.area.crs).to_crs(4326)
                    .pipe(lambda g: (g.x.to_numpy(), g.y.to_numpy())))
        osm_type, osm_id = b["osm_type"].astype(str), b["osm_id"].astype(np.int64)
        ids = [f"{t[0]}{i}" for t, i in zip(osm_type, osm_id, strict=True)]
    else:
        lon, lat, ids = np.zeros(0), np.zeros(0), []
    return pd.DataFrame({
        "building_id": pd.Series(ids, dtype=object),
        "lon": lon,
        "lat": lat,
        "use": b["use"].astype(str).to_numpy() if len(b) else np.zeros(0, dtype=object),
        "floor_area_m2": b["floor_area_m2"].to_numpy(np.float64) if len(b) else np.zeros(0),
    })


def people_scores(cells: pd.DataFrame) -> dict[str, float | None]:
    """The park's score weighted by its workers, residents and both (:data:`SCORE_KEYS`).

    Kept to 12 decimals (not 2 like ``life_convenience_score``), so that ``parkscope plan`` can check
    the baseline it recomputes from the outputs against them.
    """
    score = cells["score"].to_numpy(np.float64)
    return {
        SCORE_KEYS[w]: _round(weighted_park_score(score, park_cell_weights(cells, w)), 12)
        for w in ("workers", "residents", "both")
    }


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------


def _round(x: float, nd: int = 3) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


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
    cells_metric: gpd.GeoSeries | None,
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
    measures: pd.DataFrame | None = None,
) -> DataQuality:
    """How complete each input layer is, in the study area and per cell (:mod:`parkscope.measures.quality`).

    ``outside_extract`` is the share of the study area and of the park outside the extract's data;
    ``uncovered`` marks, per quantity, the cells beyond the reach of the user's table; ``measures``,
    when given, are the cells' measures already taken (``cells_metric`` is then not used).
    """
    first = ~joined["amenity_id"].duplicated().to_numpy()
    ax = shapely.get_x(amen.geometry.values)[first]
    ay = shapely.get_y(amen.geometry.values)[first]
    footprint = buildings["footprint_m2"].to_numpy(np.float64) if len(buildings) else np.zeros(0)
    if measures is None:
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
