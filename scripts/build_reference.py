"""Build src/parkscope/data/reference.toml: the fixed scale of the diagnosis indicators.

1. Measure the mapping completeness of each candidate extract inside its data box (the extract's
   declared bounds, or the 1st–99th percentile box of its street nodes when it declares none):
   buildings and amenity/shop points per km of street, share of buildings with levels or height.
2. Keep the well-mapped ones (:data:`MIN_BUILDINGS_PER_KM`, :data:`MIN_POIS_PER_KM`).
3. Assess each kept data box with ``parkscope.assess`` (``[diagnosis] scale = "study_area"``, so
   the run does not need the file it builds) and read the raw indicator columns of its cells
   (those at least half inside the box and with walk nodes): the reference cells.
4. Bounds per indicator: a planning standard or natural bound where there is one
   (:data:`STANDARD_BOUNDS`), else the 5th and 95th percentiles over the reference cells.
5. Entropy weights of the indicators within each subsystem over the reference cells scaled with
   those bounds (with and without ``log1p``).

Usage::

    python scripts/build_reference.py [--data-dir ../shared/data/osm] [--out FILE] [--cells-csv FILE]
"""

from __future__ import annotations

import argparse
import math
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import osmium
import pandas as pd

import parkscope
from parkscope.diagnoses.integration import INDICATORS, SUBSYSTEMS
from parkscope.measures.indices import entropy_weights
from parkscope.measures.reference import ScaledIndicator, scale_to_reference

#: Version of the reference scale: bump when the areas, the rules or the indicators change.
VERSION = "2026.12.1"
CANDIDATES = (
    "berlin-adlershof.osm.gz", "porto.osm.pbf", "london.osm.pbf", "munich.osm.pbf", "monaco.osm.pbf",
    "moscow.osm.pbf", "helsinki.osm.pbf", "beijing-xueyuan-road.osm", "paris-centre.osm.pbf",
    "singapore-bayfront.osm.pbf",
)
#: An extract is well mapped when its data box holds at least this many buildings and amenity or
#: shop points per km of street (Berlin-Adlershof, Porto, London and Munich hold 18–31 and 10–26;
#: extracts whose buildings are known to be incomplete hold under 10 buildings per km).
MIN_BUILDINGS_PER_KM = 15.0
MIN_POIS_PER_KM = 8.0
#: Smallest data box assessed (km²): the 15-minute reach of a smaller one is mostly outside it.
MIN_AREA_KM2 = 1.0
#: Ring around the data box (the search radius): what lies just outside it (complete ways, sites) counts.
BUFFER_M = 1600.0
PERCENTILES = (5.0, 95.0)
#: Jobs–housing balance B at the edges of Cervero's balanced band (0.8 and 1.25 jobs per employed
#: resident): B = 1 − |r − 1| / (r + 1) = 8/9 at both.
_B_BALANCED = 1.0 - 0.2 / 1.8
#: Indicators with a planning standard or a natural bound: (lo, hi, basis, source).
STANDARD_BOUNDS: dict[str, tuple[float, float, str, str]] = {
    "life_convenience": (0.0, 10.0, "natural", "the score's own range, 0–10 (docs/methods.md §5)"),
    "amenity_diversity": (0.0, 1.0, "natural", "Pielou's evenness, 0 (one category) to 1 (all equal)"),
    "transit_access": (0.0, 1.0, "standard",
                       "walking-distance standard of the category score: 1 within 400 m (5 min, Walk "
                       "Score's quarter mile), 0 beyond 1600 m (20 min)"),
    "park_access": (0.0, 1.0, "standard",
                    "walking-distance standard of the category score: 1 within 400 m (5 min), 0 beyond "
                    "1600 m (20 min)"),
    "green_share": (0.0, 0.3, "standard",
                    "30 % green: GB 50180-2018 (城市居住区规划设计标准) green ratio of new residential "
                    "districts >= 30 %; the '30' of the 3-30-300 rule (Konijnendijk 2021)"),
    "jobs_housing_balance": (0.0, round(_B_BALANCED, 6), "standard",
                             "Cervero (1996) balanced band 0.8–1.25 jobs per employed resident: "
                             "B = 8/9 at both edges, so a balanced catchment scales to 1; 0 = only "
                             "jobs or only homes"),
    "housing_floor_share": (0.0, 1.0, "natural", "a share, 0 (no housing) to 1 (only housing)"),
}


@dataclass(frozen=True)
class Completeness:
    """Mapping completeness of an extract inside its data box."""

    extract: str
    box: tuple[float, float, float, float]
    area_km2: float
    street_km: float
    buildings: int
    buildings_per_km: float
    pois_per_km: float
    levels_share: float


class _Counter(osmium.SimpleHandler):
    """Streets, buildings (with levels or height) and amenity/shop points inside a box."""

    def __init__(self, box: tuple[float, float, float, float] | None) -> None:
        super().__init__()
        self.box = box
        self.street_nodes: list[tuple[float, float]] = []
        self.segments: list[tuple[float, float, float, float]] = []
        self.buildings: list[tuple[float, float, bool]] = []
        self.pois: list[tuple[float, float]] = []

    def node(self, n: osmium.osm.Node) -> None:
        if n.location.valid() and ("amenity" in n.tags or "shop" in n.tags):
            self.pois.append((n.location.lon, n.location.lat))

    def way(self, w: osmium.osm.Way) -> None:
        try:
            pts = [(n.lon, n.lat) for n in w.nodes]
        except osmium.InvalidLocationError:
            return
        if not pts:
            return
        tags = w.tags
        if "building" in tags:
            self.buildings.append((*pts[0], "building:levels" in tags or "height" in tags))
            if "amenity" in tags or "shop" in tags:
                self.pois.append(pts[0])
        elif "highway" in tags:
            self.street_nodes += pts
            self.segments += [(a, b, c, d) for (a, b), (c, d) in zip(pts, pts[1:], strict=False)]
        elif "amenity" in tags or "shop" in tags:
            self.pois.append(pts[0])


def _declared_box(path: Path) -> tuple[float, float, float, float] | None:
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    box = reader.header().box()
    reader.close()
    if not box.valid():
        return None
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _inside(x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def completeness(path: Path) -> Completeness:
    """Measure an extract's mapping completeness inside its data box."""
    counter = _Counter(None)
    counter.apply_file(str(path), locations=True)
    box = _declared_box(path)
    if box is None:
        nodes = np.array(counter.street_nodes)
        lo, hi = np.percentile(nodes, 1, axis=0), np.percentile(nodes, 99, axis=0)
        box = (round(float(lo[0]), 4), round(float(lo[1]), 4), round(float(hi[0]), 4), round(float(hi[1]), 4))
    seg = np.array(counter.segments)
    keep = _inside(seg[:, 0], seg[:, 1], box) & _inside(seg[:, 2], seg[:, 3], box)
    seg = seg[keep]
    kx = 111.32 * np.cos(np.radians(seg[:, 1]))
    street_km = float(np.hypot((seg[:, 2] - seg[:, 0]) * kx, (seg[:, 3] - seg[:, 1]) * 110.54).sum())
    b = np.array(counter.buildings) if counter.buildings else np.zeros((0, 3))
    b = b[_inside(b[:, 0], b[:, 1], box)]
    p = np.array(counter.pois) if counter.pois else np.zeros((0, 2))
    n_pois = int(_inside(p[:, 0], p[:, 1], box).sum())
    kx_mid = 111.32 * math.cos(math.radians((box[1] + box[3]) / 2))
    area = (box[2] - box[0]) * kx_mid * (box[3] - box[1]) * 110.54
    km = max(street_km, 1e-9)
    return Completeness(
        extract=path.name, box=box, area_km2=area, street_km=street_km, buildings=len(b),
        buildings_per_km=len(b) / km, pois_per_km=n_pois / km,
        levels_share=float(b[:, 2].mean()) if len(b) else 0.0,
    )


def reference_cells(path: Path, box: tuple[float, float, float, float]) -> pd.DataFrame:
    """Raw indicator values of the cells at least half inside ``box`` (with walk nodes)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "study_area.toml"
        cfg.write_text('[diagnosis]\nscale = "study_area"\n', encoding="utf-8")
        a = parkscope.assess(path, bbox=",".join(map(str, box)), buffer_m=BUFFER_M, config=cfg)
    cells = a.cells
    inside = (cells["park_overlap_m2"] / cells["area_m2"] >= 0.5) & (cells["n_nodes"] > 0)
    out = pd.DataFrame(cells.loc[inside, [i.key for i in INDICATORS]]).reset_index(drop=True)
    out.insert(0, "extract", path.name)
    return out


def bounds_of(cells: pd.DataFrame) -> dict[str, tuple[float, float, str, str]]:
    """(lo, hi, basis, source) of every indicator."""
    out = {}
    n, extracts = len(cells), ", ".join(sorted(cells["extract"].unique()))
    for ind in INDICATORS:
        if ind.key in STANDARD_BOUNDS:
            out[ind.key] = STANDARD_BOUNDS[ind.key]
            continue
        v = cells[ind.key].dropna().to_numpy(dtype=np.float64)
        lo, hi = (float(q) for q in np.percentile(v, PERCENTILES))
        if not hi > lo:
            raise SystemExit(f"{ind.key}: the {PERCENTILES} percentiles are equal ({lo}); add cells.")
        out[ind.key] = (
            round(lo, 6), round(hi, 6), "quantile",
            f"{PERCENTILES[0]:g}th / {PERCENTILES[1]:g}th percentile over {n} reference cells ({extracts})",
        )
    return out


def reference_weights(cells: pd.DataFrame, bounds: dict[str, tuple[float, float, str, str]],
                      log_transform: bool) -> dict[str, float]:
    """Entropy weights within each subsystem over the reference cells scaled with ``bounds``."""
    norm = scale_to_reference(
        cells, [ScaledIndicator(i.key, i.direction, i.log) for i in INDICATORS],
        {k: (b[0], b[1]) for k, b in bounds.items()}, log_transform=log_transform,
    )
    weights: dict[str, float] = {}
    for sub in SUBSYSTEMS:
        keys = [i.key for i in INDICATORS if i.subsystem == sub]
        w = entropy_weights(norm[keys].dropna())
        weights.update({k: round(float(w[k]), 6) for k in keys})
    return weights


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(kept: list[Completeness], counts: dict[str, int], bounds: dict[str, tuple[float, float, str, str]],
           w_log: dict[str, float], w_lin: dict[str, float]) -> str:
    """The TOML text of the reference file."""
    lines = [
        "# parkscope reference scale of the diagnosis indicators ([diagnosis] scale = \"reference\").",
        "# Built by scripts/build_reference.py; do not edit by hand. docs/methods.md §8 explains it.",
        "# lo / hi: raw values scaled to 0 / 1 (log1p applied to x, lo and hi of log indicators when",
        "# log_transform is on); entropy_weight(_linear): weight within the subsystem over the reference",
        "# cells with (without) log1p.",
        f"version = {_toml_str(VERSION)}",
        f"date = {_toml_str(datetime.now(UTC).strftime('%Y-%m-%d'))}",
        f"parkscope_version = {_toml_str(parkscope.__version__)}",
        f"percentiles = [{PERCENTILES[0]:g}, {PERCENTILES[1]:g}]",
        f"buffer_m = {BUFFER_M:g}",
        f"selection = {_toml_str(f'buildings per street km >= {MIN_BUILDINGS_PER_KM:g} and amenity/shop points per street km >= {MIN_POIS_PER_KM:g} inside the data box')}",  # noqa: E501
        "",
    ]
    for c in kept:
        lines += [
            "[[areas]]",
            f"extract = {_toml_str(c.extract)}",
            f"bbox = [{', '.join(f'{v:.7g}' for v in c.box)}]",
            f"cells = {counts[c.extract]}",
            f"street_km = {c.street_km:.1f}",
            f"buildings_per_street_km = {c.buildings_per_km:.1f}",
            f"pois_per_street_km = {c.pois_per_km:.1f}",
            f"buildings_with_levels_share = {c.levels_share:.2f}",
            "",
        ]
    for ind in INDICATORS:
        lo, hi, basis, source = bounds[ind.key]
        lines += [
            f"[indicators.{ind.key}]",
            f"subsystem = {_toml_str(ind.subsystem)}",
            f"lo = {lo:.6g}",
            f"hi = {hi:.6g}",
            f"basis = {_toml_str(basis)}",
            f"source = {_toml_str(source)}",
            f"entropy_weight = {w_log[ind.key]:.6f}",
            f"entropy_weight_linear = {w_lin[ind.key]:.6f}",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(root.parent.parent / "shared" / "data" / "osm"))
    parser.add_argument("--out", default=str(root / "src" / "parkscope" / "data" / "reference.toml"))
    parser.add_argument("--cells-csv", help="also write the reference cells' raw values here")
    args = parser.parse_args()
    data = Path(args.data_dir)
    if not data.is_dir():
        data = Path("/work/shared/data/osm")
    print("| extract | box km² | street km | buildings/km | POIs/km | with levels | kept |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    kept = []
    for name in CANDIDATES:
        c = completeness(data / name)
        ok = (c.buildings_per_km >= MIN_BUILDINGS_PER_KM and c.pois_per_km >= MIN_POIS_PER_KM
              and c.area_km2 >= MIN_AREA_KM2)
        print(f"| {name} | {c.area_km2:.1f} | {c.street_km:.0f} | {c.buildings_per_km:.1f} | "
              f"{c.pois_per_km:.1f} | {c.levels_share:.2f} | {'yes' if ok else 'no'} |")
        if ok:
            kept.append(c)
    cells = pd.concat([reference_cells(data / c.extract, c.box) for c in kept], ignore_index=True)
    counts = cells["extract"].value_counts().to_dict()
    if args.cells_csv:
        cells.to_csv(args.cells_csv, index=False)
    bounds = bounds_of(cells)
    w_log, w_lin = reference_weights(cells, bounds, True), reference_weights(cells, bounds, False)
    Path(args.out).write_text(render(kept, counts, bounds, w_log, w_lin), encoding="utf-8")
    print(f"\n{len(cells)} reference cells ({counts}); wrote {args.out}")
    for ind in INDICATORS:
        lo, hi, basis, _ = bounds[ind.key]
        print(f"  {ind.key:24s} lo {lo:<10.4g} hi {hi:<10.4g} {basis:9s} w {w_log[ind.key]:.3f}")


if __name__ == "__main__":
    main()
