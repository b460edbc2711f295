"""Validation: parkscope's jobs and residents estimated from OSM buildings against every real truth we have.

Truths (../shared/data/tables; which calibrate and which check: docs/validation.md):

* ``official-totals.csv`` — Liechtenstein (whole country, liechtenstein.osm.pbf, residents and jobs,
  2022 = the calibration set; 2014 beside it, near the extract's 2015 data) and Monaco (the
  extract's box also holds French Beausoleil and part of Cap-d'Ail: residents of Monaco alone, so
  the box has more; jobs = private-sector employees of Monaco, a lower bound).
* ``helsinki-population-grid-2020.gpkg`` — HSY residents per 250 m square (92 squares).
* ``porto-alegre-hexgrid.csv`` — IPEA residents and formal jobs per H3 resolution-9 cell (1,227 cells).

For each: the building-based estimate (``building_floorspace`` + ``estimate_jobs_residents`` with the
country defaults of the truth's centre, exactly as ``assess`` computes it) summed per truth zone; the
rank correlation per zone (Spearman, scipy), the total ratio (estimate / truth), the median absolute
error per zone, and beside them the extract's building completeness in the truth's area (buildings
per km of street, per km² of built-up land, share with levels or height, share whose use a tag says).

Whole-country runs take every building of the extract: Liechtenstein's 33 buildings outside the
country (its bounding box in official-totals.csv also holds bits of Switzerland and Austria) are
counted, not clipped (0.4 % of its buildings).

Prints a Markdown table and ends with one ``RESULT`` line.

Usage::

    python bench/validation.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import h3
import numpy as np
import pandas as pd
import shapely
from scipy.stats import spearmanr

from parkscope import __version__
from parkscope.inputs.area import local_crs
from parkscope.inputs.osm import OsmExtract, read_extract
from parkscope.measures.population import (
    building_floorspace,
    defaults_for,
    estimate_jobs_residents,
    load_population_params,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
#: Highway classes that count as streets for the completeness measure (not paths or tracks).
STREETS = frozenset(
    "motorway trunk primary secondary tertiary unclassified residential living_street service "
    "motorway_link trunk_link primary_link secondary_link tertiary_link pedestrian".split()
)
BUILT_UP_RES = 9  # built-up land = the H3 res-9 cells (0.105 km²) that hold a street node


@dataclass
class Row:
    """One line of the table: a truth, its role, the estimate against it and the completeness."""

    truth: str
    role: str
    kind: str
    zones: int
    truth_total: float
    estimate_total: float
    rho: float
    median_abs_error: float
    completeness: dict[str, float]
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.estimate_total / self.truth_total if self.truth_total > 0 else float("nan")


def estimate(osm: OsmExtract, lon: float, lat: float) -> tuple[gpd.GeoDataFrame, dict]:
    """Buildings with jobs and residents, with the country defaults at (lon, lat), as assess does."""
    country = defaults_for(lon, lat)
    params = load_population_params(country=country)
    crs = local_crs(lon, lat)
    return estimate_jobs_residents(building_floorspace(osm.features, crs, params), params), country


def street_km(osm: OsmExtract, crs, clip: shapely.Geometry | None = None) -> tuple[float, np.ndarray]:
    """Length of the streets (km, metric CRS) and the lon/lat of their nodes (inside ``clip``)."""
    hw = osm.highways[osm.highways["highway"].isin(STREETS)]
    xy = osm.node_lonlat
    lines, pts = [], []
    for ids in hw["node_ids"]:
        known = xy.reindex(ids).dropna().to_numpy()
        if len(known) >= 2:
            lines.append(shapely.linestrings(known))
            pts.append(known)
    if not lines:
        return 0.0, np.zeros((0, 2))
    geo = np.array(lines, dtype=object)
    nodes = np.unique(np.concatenate(pts), axis=0)
    if clip is not None:
        geo = shapely.intersection(geo, clip)
        nodes = nodes[shapely.contains_xy(clip, nodes[:, 0], nodes[:, 1])]
    length = gpd.GeoSeries(geo, crs=4326).to_crs(crs).length.sum()
    return float(length) / 1000, nodes


def completeness(osm: OsmExtract, buildings: gpd.GeoDataFrame, lon: float, lat: float,
                 clip: shapely.Geometry | None = None) -> dict[str, float]:
    """How completely the extract maps buildings in the truth's area."""
    crs = local_crs(lon, lat)
    b = buildings
    if clip is not None and len(b):
        inner = shapely.point_on_surface(b.geometry.values)
        b = b[shapely.contains_xy(clip, shapely.get_x(inner), shapely.get_y(inner))]
    km, nodes = street_km(osm, crs, clip)
    cells = {h3.latlng_to_cell(float(y), float(x), BUILT_UP_RES) for x, y in nodes}
    built_km2 = len(cells) * h3.average_hexagon_area(BUILT_UP_RES, unit="km^2")
    n = len(b)
    return {
        "buildings": n,
        "street_km": km,
        "per_street_km": n / km if km else float("nan"),
        "built_up_km2": built_km2,
        "per_built_km2": n / built_km2 if built_km2 else float("nan"),
        "footprint_share_built": (
            float(b["footprint_m2"].sum()) / 1e6 / built_km2 if built_km2 else float("nan")
        ),
        "levels_share": float((b["levels_source"] != "default").mean()) if n else float("nan"),
        "tagged_use_share": float((b["use_source"] == "building_tag").mean()) if n else float("nan"),
    }


def _zone_stats(est: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    varies = len(est) > 2 and np.ptp(est) > 0 and np.ptp(truth) > 0
    rho = spearmanr(est, truth).statistic if varies else np.nan
    return float(rho), float(np.median(np.abs(est - truth)))


def official(data: Path) -> list[Row]:
    """Liechtenstein and Monaco against official-totals.csv (whole-extract totals)."""
    table = pd.read_csv(data / "tables" / "official-totals.csv")
    rows = []
    centres = {"Liechtenstein": (9.5537, 47.1595), "Monaco": (7.4289, 43.7375)}
    roles = {("Liechtenstein", 2022): "calibrates", ("Liechtenstein", 2014): "same extract, near its date",
             ("Monaco", 2023): "checks", ("Monaco", 2022): "checks"}
    for place, group in table.groupby("place", sort=False):
        extract = data / "osm" / group["extract"].iloc[0]
        lon, lat = centres[place]
        osm = read_extract(extract)
        b, _ = estimate(osm, lon, lat)
        comp = completeness(osm, b, lon, lat)
        for rec in group.itertuples():
            for kind in ("residents", "jobs"):
                value = getattr(rec, kind)
                if pd.isna(value):
                    continue
                est = float(b[kind].sum())
                note = ""
                if place == "Monaco":
                    note = ("lower bound (private sector, Monaco only)" if kind == "jobs"
                            else "Monaco only; the box also holds Beausoleil and part of Cap-d'Ail")
                rows.append(Row(f"{place} {rec.year}", roles[(place, int(rec.year))], kind, 1, float(value),
                                est, float("nan"), abs(est - float(value)), comp, note))
    return rows


def helsinki(data: Path) -> list[Row]:
    """Residents per HSY 250 m square."""
    grid = gpd.read_file(data / "tables" / "helsinki-population-grid-2020.gpkg").to_crs(4326)
    w, s, e, n = grid.total_bounds
    lon, lat = (w + e) / 2, (s + n) / 2
    osm = read_extract(data / "osm" / "helsinki.osm.pbf", (w, s, e, n))
    b, _ = estimate(osm, lon, lat)
    crs = local_crs(lon, lat)
    inner = gpd.GeoSeries(shapely.point_on_surface(b.geometry.to_crs(crs).values), crs=crs).to_crs(4326)
    zone_idx, b_idx = shapely.STRtree(grid.geometry.values).query(inner.values, predicate="within")[::-1]
    est = np.bincount(zone_idx, weights=b["residents"].to_numpy()[b_idx], minlength=len(grid))
    truth = grid["population"].to_numpy(dtype=float)
    rho, mae = _zone_stats(est, truth)
    comp = completeness(osm, b, lon, lat, shapely.union_all(grid.geometry.values))
    housed = est > 0  # the squares where the extract maps any housing
    rho_h, mae_h = _zone_stats(est[housed], truth[housed])
    return [
        Row("Helsinki 2020 (HSY 250 m grid)", "checks", "residents", len(grid), truth.sum(), est.sum(),
            rho, mae, comp),
        Row("Helsinki 2020, squares with mapped housing", "checks", "residents", int(housed.sum()),
            truth[housed].sum(), est[housed].sum(), rho_h, mae_h, comp,
            "the squares where the extract maps any residential floor"),
    ]


def porto_alegre(data: Path) -> list[Row]:
    """Residents and formal jobs per IPEA H3 res-9 cell."""
    table = pd.read_csv(data / "tables" / "porto-alegre-hexgrid.csv")
    ids = table["id"].astype(str).to_numpy()
    polys = [shapely.Polygon([(x, y) for y, x in h3.cell_to_boundary(c)]) for c in ids]
    area = shapely.union_all(polys)
    w, s, e, n = area.bounds
    lon, lat = float(table["lon"].mean()), float(table["lat"].mean())
    osm = read_extract(data / "osm" / "porto-alegre.osm.pbf", (w, s, e, n))
    b, _ = estimate(osm, lon, lat)
    where = {c: i for i, c in enumerate(ids)}
    if len(b):
        crs = local_crs(lon, lat)
        inner = gpd.GeoSeries(shapely.point_on_surface(b.geometry.to_crs(crs).values), crs=crs).to_crs(4326)
        cell = np.array([where.get(h3.latlng_to_cell(p.y, p.x, 9), -1) for p in inner], dtype=np.int64)
    else:
        cell = np.zeros(0, dtype=np.int64)
    ok = cell >= 0
    comp = completeness(osm, b, lon, lat, area)
    rows = []
    for kind, col in (("residents", "population"), ("jobs", "jobs")):
        est = np.zeros(len(ids))
        if len(b):
            est = np.bincount(cell[ok], weights=b[kind].to_numpy()[ok], minlength=len(ids))
        truth = table[col].fillna(0).to_numpy(dtype=float)
        rho, mae = _zone_stats(est, truth)
        rows.append(Row("Porto Alegre (IPEA H3 res 9)", "checks", kind, len(ids), truth.sum(), est.sum(),
                        rho, mae, comp, "the extract maps almost no buildings"))
    return rows


def _fmt(x: float, nd: int = 2) -> str:
    return "—" if x is None or not np.isfinite(x) else f"{x:,.{nd}f}"


def markdown(rows: list[Row]) -> str:
    head = ("| truth | role | quantity | zones | truth total | estimate | ratio | Spearman ρ | "
            "median abs err | "
            "buildings | street km | per street km | per built-up km² | footprint/built-up | with levels | "
            "use from tag | note |")
    lines = [head, "|" + "---|" * 17]
    for r in rows:
        c = r.completeness
        lines.append(
            f"| {r.truth} | {r.role} | {r.kind} | {r.zones} | {r.truth_total:,.0f} | "
            f"{r.estimate_total:,.0f} | "
            f"{_fmt(r.ratio)} | {_fmt(r.rho)} | {_fmt(r.median_abs_error, 0)} | {c['buildings']:,} | "
            f"{_fmt(c['street_km'], 0)} | {_fmt(c['per_street_km'], 2)} | {_fmt(c['per_built_km2'], 1)} | "
            f"{_fmt(c['footprint_share_built'], 3)} | "
            f"{_fmt(100 * c['levels_share'], 1)} % | {_fmt(100 * c['tagged_use_share'], 1)} % | {r.note} |"
        )
    return "\n".join(lines)


def result_line(rows: list[Row]) -> str:
    keys = {"Liechtenstein 2022": "li2022", "Liechtenstein 2014": "li2014", "Monaco 2023": "mc",
            "Monaco 2022": "mc", "Helsinki 2020 (HSY 250 m grid)": "hel",
            "Helsinki 2020, squares with mapped housing": "hel_housed",
            "Porto Alegre (IPEA H3 res 9)": "poa"}
    parts = []
    for r in rows:
        short = "res" if r.kind == "residents" else "jobs"
        key = f"{keys[r.truth]}_{short}"
        if r.zones > 1:
            parts.append(f"{key}_rho={r.rho:.3f}")  # nan where the estimate is 0 in every zone
        parts.append(f"{key}_ratio={r.ratio:.3f}")
    return "RESULT " + " ".join(parts) + f" parkscope={__version__}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help="the shared data folder (osm/, tables/)")
    args = parser.parse_args()
    t = time.perf_counter()
    rows = official(args.data) + helsinki(args.data) + porto_alegre(args.data)
    print(markdown(rows))
    print()
    print(f"parkscope {__version__}, {time.strftime('%Y-%m-%d')}, {time.perf_counter() - t:.1f} s")
    print(result_line(rows))


if __name__ == "__main__":
    main()
