"""H3 cells: aggregate node measures to a hexagonal grid and to the park."""

from __future__ import annotations

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

WGS84 = CRS.from_epsg(4326)


def cell_polygons(cells: list[str] | np.ndarray) -> np.ndarray:
    """Shapely polygons (lon, lat) of H3 cells."""
    return np.array(
        [shapely.Polygon([(lng, lat) for lat, lng in h3.cell_to_boundary(c)]) for c in cells], dtype=object
    )


def node_cells(lon: np.ndarray, lat: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell id of every node."""
    return np.array(
        [h3.latlng_to_cell(y, x, resolution) for x, y in zip(lon, lat, strict=True)], dtype=object
    )


def grid_cells(area: BaseGeometry, node_cell: np.ndarray, resolution: int) -> np.ndarray:
    """Cells of the study area: those whose centre lies in ``area`` plus those holding a node."""
    inside = set()
    for part in shapely.get_parts(area):
        inside |= set(h3.geo_to_cells(part.__geo_interface__, resolution))
    return np.array(sorted(inside | set(node_cell.tolist())), dtype=object)


def aggregate_to_cells(
    nodes: pd.DataFrame,
    value_columns: list[str],
    area: BaseGeometry,
    park: BaseGeometry,
    resolution: int,
    crs: CRS,
    cell_of_node: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """Mean of node values per H3 cell, with each cell's overlap with the park.

    Parameters
    ----------
    nodes : DataFrame
        ``lon``, ``lat`` and the ``value_columns``.
    value_columns : list of str
        Columns averaged over the nodes of a cell (NaN where a cell has no node).
    area, park : shapely geometry
        WGS84 study area and park.
    resolution : int
        H3 resolution.
    crs : pyproj.CRS
        Metric CRS in which areas are measured.
    cell_of_node : ndarray of str, optional
        The H3 cell of each node at ``resolution`` when already known (:func:`node_cells`);
        computed from ``lon`` / ``lat`` when None.

    Returns
    -------
    GeoDataFrame (WGS84)
        ``h3``, ``n_nodes``, ``area_m2``, ``park_overlap_m2``, ``in_park`` and the value columns.
    """
    if cell_of_node is None:
        cell_of_node = node_cells(nodes["lon"].to_numpy(), nodes["lat"].to_numpy(), resolution)
    elif len(cell_of_node) != len(nodes):
        raise ValueError(f"cell_of_node has {len(cell_of_node)} cells for {len(nodes)} nodes")
    cells = grid_cells(area, cell_of_node, resolution)
    frame = pd.DataFrame(nodes[value_columns].to_numpy(), columns=value_columns)
    frame["h3"] = cell_of_node
    means = frame.groupby("h3")[value_columns].mean()
    counts = frame.groupby("h3").size()
    polys = cell_polygons(cells)
    out = gpd.GeoDataFrame({"h3": cells}, geometry=polys, crs=WGS84)
    out["n_nodes"] = counts.reindex(cells).fillna(0).astype(np.int64).to_numpy()
    metric = out.geometry.to_crs(crs)
    park_m = gpd.GeoSeries([park], crs=WGS84).to_crs(crs).iloc[0]
    out["area_m2"] = metric.area.to_numpy()
    out["park_overlap_m2"] = shapely.area(shapely.intersection(metric.values, park_m))
    out["in_park"] = out["park_overlap_m2"].to_numpy() > 0
    values = means.reindex(cells)
    for col in value_columns:
        out[col] = values[col].to_numpy(dtype=np.float64)
    return out


def park_weighted_mean(cells: pd.DataFrame, column: str) -> float:
    """Mean of a cell column over the park, weighted by each cell's overlap with the park.

    Cells with no value (no walkable node) are left out. NaN when no cell with a value touches the park.
    """
    w = cells["park_overlap_m2"].to_numpy()
    v = cells[column].to_numpy(dtype=np.float64)
    ok = (w > 0) & ~np.isnan(v)
    if not ok.any():
        return float("nan")
    return float(np.average(v[ok], weights=w[ok]))


#: Cell columns whose sum weights the park's score for each weighting (``area`` uses the overlap alone).
PEOPLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "area": (),
    "workers": ("jobs",),
    "residents": ("residents",),
    "both": ("jobs", "residents"),
}


def park_cell_weights(cells: pd.DataFrame, weighting: str) -> np.ndarray:
    """Weight of each cell in the park's score.

    ``area``: the cell's overlap with the park (m²). ``workers`` / ``residents`` / ``both``: the jobs /
    residents / both of the cell times the share of the cell inside the park (people spread evenly over
    a cell), so that the park's score is the mean score of the people who work (live) in the park.

    Parameters
    ----------
    cells : DataFrame
        ``park_overlap_m2``, ``area_m2`` and, for people weights, ``jobs`` / ``residents``.
    weighting : {"area", "workers", "residents", "both"}

    Returns
    -------
    ndarray of float64 (one per cell, 0 outside the park)
    """
    if weighting not in PEOPLE_COLUMNS:
        raise ValueError(f"unknown weighting {weighting!r}: use one of {', '.join(PEOPLE_COLUMNS)}")
    overlap = cells["park_overlap_m2"].to_numpy(np.float64)
    if weighting == "area":
        return overlap
    people = sum(np.nan_to_num(cells[c].to_numpy(np.float64)) for c in PEOPLE_COLUMNS[weighting])
    area = cells["area_m2"].to_numpy(np.float64)
    share = np.divide(overlap, area, out=np.zeros_like(overlap), where=area > 0)
    return np.asarray(people, dtype=np.float64) * np.clip(share, 0.0, 1.0)


def weighted_park_score(scores: np.ndarray, weights: np.ndarray) -> float:
    """Mean of cell scores weighted by :func:`park_cell_weights` (cells without a score left out).

    NaN when no cell with a score has a positive weight (no jobs in the park, say).
    """
    v = np.asarray(scores, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    ok = (w > 0) & ~np.isnan(v)
    if not ok.any():
        return float("nan")
    return float(np.average(v[ok], weights=w[ok]))
