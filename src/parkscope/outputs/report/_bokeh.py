"""The report's interactive map and charts, as Bokeh models (BokehJS is inlined from the Python package).

Every text a reader sees in a Bokeh model (axis labels, tick labels, hover tooltips, chart labels)
is registered in an i18n list: entries of model name, property, English and Chinese value, which
the page's language switch applies. The map has no Bokeh legends: the HTML panel beside it is both
the legend and the layer switch, and refers to the renderers by name.

Coordinates are metres in the study area's local CRS, relative to the park's centre, as float32
(Bokeh ships NumPy arrays as binary: 4 bytes a number, whatever the digits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parkscope.outputs.report._text import LAG, UI, Tr, fmt_num, fmt_pct, ui
from parkscope.settings.vocabulary import COORDINATION_COLOURS
from parkscope.settings.vocabulary import LAG_COLOURS as VOCABULARY_LAG_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from parkscope.assessment import Assessment

#: Colours shared by the map, its HTML legend and the charts.
SCORE_PALETTE = "Viridis256"
D_PALETTE = COORDINATION_COLOURS  # ten coordination levels, 极度失调 (red) … 优质协调 (green), as in QGIS
LAG_COLOURS = {k: c for k, c in VOCABULARY_LAG_COLOURS.items() if k}
AMENITY_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#ad494a", "#637939", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
)
BASE_STYLE = {
    "green": {"fill": "#cde6c0", "line": None},
    "water": {"fill": "#aad3df", "line": "#7fb6c9"},
    "buildings": {"fill": "#d9d0c9", "line": "#c4b6ab"},
    "path": {"line": "#e9806e", "width": 1.0, "dash": "dashed"},
    "minor": {"line": "#ffffff", "width": 2.0},
    "secondary": {"line": "#fbf3c0", "width": 3.0},
    "major": {"line": "#f4b860", "width": 4.0},
    "rail": {"line": "#707070", "width": 1.5, "dash": "dotdash"},
}
SUBSYSTEM_COLOURS = {"industry": "#d95f02", "city": "#1b9e77", "people": "#7570b3",
                     "coupling_C": "#8c8c8c", "development_T": "#6b6b6b", "coordination_D": "#2a4f7f"}
#: Simplification (metres) of each base layer, before any thinning for size.
_TOLERANCE_M = {"buildings": 0.5, "streets": 1.0, "rail": 1.0, "water": 2.0, "green": 2.0}
#: Vertices of the base map above which it is simplified harder (keeps a big city's report small).
MAX_BASE_VERTICES = 400_000
#: Place labels drawn at most (the largest places first).
MAX_PLACE_LABELS = 150


@dataclass
class Parts:
    """What :func:`build` returns: the roots to embed and what the page's script needs."""

    roots: dict[str, Any]
    i18n: list[dict[str, Any]] = field(default_factory=list)
    legend: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)


def _plain(text: str) -> str:
    """Keep BokehJS from reading a label as TeX (``$$…$$``, ``\\[…\\]``, ``\\(…\\)``)."""
    return text.replace("$$", "$\u200b$").replace("\\[", "\\\u200b[").replace("\\(", "\\\u200b(")


class _I18n:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, model: Any, prop: str, en: Any, zh: Any) -> Any:
        """Register a text property of a model and set it to the English value."""
        if not model.name:
            model.name = f"ps-i18n-{len(self.entries)}"
        self.entries.append({"name": model.name, "prop": prop, "en": en, "zh": zh})
        setattr(model, prop, en)
        return model

    def tooltips(self, hover: Any, rows: list[tuple[Tr, str, str]]) -> None:
        """Tooltips in both languages: rows of (label, English template, Chinese template)."""
        self.add(hover, "tooltips", [[_plain(t.en), en] for t, en, _ in rows],
                 [[_plain(t.zh), zh] for t, _, zh in rows])

    def field(self, glyph: Any, prop: str, en_field: str, zh_field: str) -> None:
        self.entries.append({"name": glyph.name, "prop": prop, "en": {"field": en_field}, "zh": {"field": zh_field}})

    def factors(self, rng: Any, sources: list[Any], column: str, labels: list[Tr], reverse: bool) -> None:
        """Categorical labels in both languages: the switch renames the factors of a range and of the
        column of its sources together (a categorical axis draws the factors themselves)."""
        self.entries.append({"kind": "factors", "range": rng.name, "sources": [s.name for s in sources],
                             "column": column, "en": [t.en for t in labels], "zh": [t.zh for t in labels],
                             "reverse": reverse})

    def label(self, model: Any, prop: str, t: Tr) -> None:
        self.add(model, prop, _plain(t.en), _plain(t.zh))


# --------------------------------------------------------------------------------------------------
# geometry → NaN-separated float32 coordinate arrays
# --------------------------------------------------------------------------------------------------

class _Frame:
    """WGS84 → local metres around an origin."""

    def __init__(self, crs: Any, origin_lonlat: tuple[float, float]) -> None:
        from pyproj import Transformer

        self.tf = Transformer.from_crs(4326, crs, always_xy=True)
        x0, y0 = self.tf.transform(*origin_lonlat)
        self.x0, self.y0 = round(x0), round(y0)

    def xy(self, lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
        x, y = self.tf.transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
        return (np.asarray(x) - self.x0).astype(np.float32), (np.asarray(y) - self.y0).astype(np.float32)

    def geoms(self, geoms: Any) -> np.ndarray:
        def move(coords: np.ndarray) -> np.ndarray:
            x, y = self.tf.transform(coords[:, 0], coords[:, 1])
            return np.column_stack([np.asarray(x) - self.x0, np.asarray(y) - self.y0])

        arr = np.asarray(list(geoms), dtype=object)
        return shapely.transform(arr, move) if len(arr) else arr


def _parts_of(geoms: np.ndarray, kind: str) -> list[Any]:
    """Rings (``kind="poly"``, exteriors only: the base map needs no holes) or lines of geometries."""
    out: list[Any] = []
    for g in shapely.get_parts(geoms) if len(geoms) else []:
        if kind == "poly" and g.geom_type == "Polygon":
            out.append(g.exterior)
        elif kind == "line" and g.geom_type in ("LineString", "LinearRing"):
            out.append(g)
        elif kind == "line" and g.geom_type == "Polygon":
            out.append(g.exterior)
    return out


def _nan_joined(parts: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """One coordinate array per axis, parts separated by NaN (one Bokeh line/patch draws them all)."""
    if not parts:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    coords = [np.asarray(p.coords)[:, :2] for p in parts]
    sep = np.full((1, 2), np.nan)
    stacked = np.concatenate([c for pair in zip(coords, [sep] * len(coords), strict=True) for c in pair][:-1])
    return stacked[:, 0].astype(np.float32), stacked[:, 1].astype(np.float32)


def _base_arrays(basemap: dict[str, gpd.GeoDataFrame], frame: _Frame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The base layers projected, simplified (harder while over :data:`MAX_BASE_VERTICES`) and joined."""
    projected = {k: frame.geoms(basemap[k].geometry) for k in ("green", "water", "buildings", "rail")}
    streets = basemap["streets"]
    for cls in ("path", "minor", "secondary", "major"):
        projected[cls] = frame.geoms(streets.geometry[streets["class"] == cls])
    kind = {"green": "poly", "water": "poly", "buildings": "poly"}
    water_lines = frame.geoms([g for g in basemap["water"].geometry if g.geom_type in ("LineString", "MultiLineString")])
    scale = 1.0
    for _ in range(6):
        out = {}
        for name, geoms in projected.items():
            tol = _TOLERANCE_M.get(name, _TOLERANCE_M["streets"]) * scale
            simple = shapely.simplify(geoms, tol) if len(geoms) else geoms
            if name == "buildings" and scale > 1 and len(simple):
                simple = simple[shapely.area(simple) >= 4.0 * scale * scale]  # tiny sheds go first
            out[name] = _nan_joined(_parts_of(simple, kind.get(name, "line")))
        simple_water = shapely.simplify(water_lines, 2.0 * scale) if len(water_lines) else water_lines
        out["water_lines"] = _nan_joined(_parts_of(simple_water, "line"))
        total = sum(len(x) for x, _ in out.values())
        if total <= MAX_BASE_VERTICES:
            break
        scale *= 2.0
    out["_scale"] = (np.array([scale]), np.array([total]))
    return out


# --------------------------------------------------------------------------------------------------
# the map
# --------------------------------------------------------------------------------------------------

def _cell_columns(a: Assessment, frame: _Frame) -> tuple[dict[str, Any], np.ndarray]:
    cells = a.cells
    geoms = frame.geoms(cells.geometry)
    xs, ys = [], []
    for g in geoms:
        ring = np.asarray(shapely.get_exterior_ring(shapely.get_parts(g)[0]).coords)
        # plain lists of decimetres: a NumPy array per cell would carry ~100 bytes of wrapping each
        xs.append(np.round(ring[:, 0], 1).tolist())
        ys.append(np.round(ring[:, 1], 1).tolist())

    def col(name: str, nd: int = 3) -> np.ndarray:
        if name not in cells.columns:
            return np.full(len(cells), np.nan)
        return np.round(cells[name].to_numpy(dtype=np.float64), nd)

    lag = cells["lag_type"].fillna("").astype(str).to_numpy() if "lag_type" in cells.columns else np.full(len(cells), "")
    nd = UI["not_diagnosed"]
    data = {
        "xs": xs, "ys": ys,
        "h3": cells["h3"].astype(str).to_numpy(),
        "score": col("score", 2), "D": col("coordination_D"),
        "industry": col("industry"), "city": col("city"), "people": col("people"),
        "jobs": np.round(col("jobs", 0)), "residents": np.round(col("residents", 0)),
        "n_nodes": cells["n_nodes"].to_numpy() if "n_nodes" in cells.columns else np.zeros(len(cells), int),
        "lag": lag,
        "lag_en": np.array([LAG[v].en if v in LAG else nd.en for v in lag], dtype=object),
        "lag_zh": np.array([LAG[v].zh if v in LAG else nd.zh for v in lag], dtype=object),
        "class_en": (cells["coordination_class_en"].fillna("").astype(str).replace("", nd.en).to_numpy()
                     if "coordination_class_en" in cells.columns else np.full(len(cells), nd.en)),
        "class_zh": (cells["coordination_class_zh"].fillna("").astype(str).replace("", nd.zh).to_numpy()
                     if "coordination_class_zh" in cells.columns else np.full(len(cells), nd.zh)),
    }
    return data, geoms


def _declutter(x: np.ndarray, y: np.ndarray, names: np.ndarray, rank: np.ndarray,
               extent: tuple[float, float, float, float], width_px: float = 900.0) -> np.ndarray:
    """Which place labels to draw: largest places first, none overlapping another at the first view."""
    x0, y0, x1, y1 = extent
    m_per_px = max(x1 - x0, y1 - y0, 1.0) / width_px
    keep = np.zeros(len(x), dtype=bool)
    boxes: list[tuple[float, float, float, float]] = []
    for i in np.argsort(rank, kind="stable"):
        if not (x0 - 200 <= x[i] <= x1 + 200 and y0 - 200 <= y[i] <= y1 + 200):
            continue
        half_w = (7.5 * len(names[i]) / 2 + 6) * m_per_px
        half_h = 11 * m_per_px
        box = (x[i] - half_w, y[i] - half_h, x[i] + half_w, y[i] + half_h)
        if any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes):
            continue
        boxes.append(box)
        keep[i] = True
        if len(boxes) >= MAX_PLACE_LABELS:
            break
    return keep


def _map(a: Assessment, basemap: dict[str, gpd.GeoDataFrame] | None, tr: _I18n, stats: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from bokeh.models import (
        BooleanFilter,
        CDSView,
        ColumnDataSource,
        DataRange1d,
        HoverTool,
        LinearColorMapper,
        ScaleBar,
    )
    from bokeh.plotting import figure
    from bokeh.transform import factor_cmap

    park = a.area.park
    c = park.centroid
    frame = _Frame(a.area.crs, (c.x, c.y))
    cell_data, cell_geoms = _cell_columns(a, frame)
    scored = np.isfinite(cell_data["score"])
    if scored.any():
        x0, y0, x1, y1 = shapely.total_bounds(cell_geoms[scored])
    else:
        x0, y0, x1, y1 = shapely.total_bounds(frame.geoms([park]))

    p = figure(
        name="ps-map", sizing_mode="stretch_width", height=660, match_aspect=True,
        x_range=DataRange1d(name="ps-map-x"), y_range=DataRange1d(name="ps-map-y"),
        tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom", active_drag="pan",
        background_fill_color="#f2efe9", border_fill_color="#ffffff", min_border=4, output_backend="canvas",
    )
    p.toolbar.logo = None
    p.axis.visible = False
    p.grid.visible = False
    # an invisible frame of the scored cells sets the first view
    extent = p.scatter([x0, x1, x0, x1], [y0, y0, y1, y1], alpha=0.0, size=1, name="ps-map-extent")
    p.x_range.renderers = [extent]
    p.y_range.renderers = [extent]

    legend: dict[str, Any] = {"base": [], "amenities": [], "cells": {}}
    base_names: list[str] = []
    if basemap is not None:
        arrays = _base_arrays(basemap, frame)
        scale, total = arrays.pop("_scale")
        stats["base_vertices"] = int(total[0])
        stats["base_simplify_scale"] = float(scale[0])
        for name in ("green", "water", "buildings"):
            x, y = arrays[name]
            st = BASE_STYLE[name]
            r = p.patch(x, y, fill_color=st["fill"], line_color=st["line"], line_width=0.5,
                        line_alpha=0.8 if st["line"] else 0.0, name=f"ps-base-{name}")
            names = [r.name]
            if name == "water":
                wx, wy = arrays["water_lines"]
                names.append(p.line(wx, wy, line_color=st["line"], line_width=1.5, name="ps-base-water-lines").name)
            base_names += names
            legend["base"].append({"key": name, "names": names, "label": UI[name], "fill": st["fill"],
                                   "line": st["line"] or st["fill"], "count": int(len(basemap[name]))})
        for name in ("path", "minor", "secondary", "major", "rail"):
            x, y = arrays[name]
            st = BASE_STYLE[name]
            r = p.line(x, y, line_color=st["line"], line_width=st["width"], line_dash=st.get("dash", "solid"),
                       name=f"ps-base-{name}")
            base_names.append(r.name)
            key = "rail" if name == "rail" else f"street_{name}"
            n = int(len(basemap["rail"])) if name == "rail" else int((basemap["streets"]["class"] == name).sum())
            legend["base"].append({"key": name, "names": [r.name], "label": UI[key], "fill": None,
                                   "line": st["line"] if name != "minor" else "#bbbbbb", "count": n})

    # cells: one source, three layers
    src = ColumnDataSource(cell_data, name="ps-cells-src")
    score_mapper = LinearColorMapper(palette=SCORE_PALETTE, low=0, high=10, nan_color="rgba(0,0,0,0)")
    d_mapper = LinearColorMapper(palette=list(D_PALETTE), low=0, high=1, nan_color="rgba(0,0,0,0)")
    common = {"source": src, "line_color": "white", "line_width": 0.4, "fill_alpha": 0.55,
              "hover_fill_alpha": 0.8, "hover_line_color": "black"}
    r_score = p.patches("xs", "ys", fill_color={"field": "score", "transform": score_mapper},
                        view=CDSView(filter=BooleanFilter(list(map(bool, scored)))), name="ps-cells-score", **common)
    with_d = np.isfinite(cell_data["D"])
    r_d = p.patches("xs", "ys", fill_color={"field": "D", "transform": d_mapper},
                    view=CDSView(filter=BooleanFilter(list(map(bool, with_d)))), name="ps-cells-D", visible=False,
                    **common)
    lag_keys = list(LAG_COLOURS)
    with_lag = np.isin(cell_data["lag"], lag_keys)
    r_lag = p.patches("xs", "ys", fill_color=factor_cmap("lag", list(LAG_COLOURS.values()), lag_keys),
                      view=CDSView(filter=BooleanFilter(list(map(bool, with_lag)))), name="ps-cells-lag",
                      visible=False, **common)
    hover_cells = HoverTool(renderers=[r_score, r_d, r_lag], name="ps-hover-cells", attachment="left")
    tr.tooltips(hover_cells, [
        (UI["h_cell"], "@h3", "@h3"),
        (UI["h_score"], "@score{0.0} / 10", "@score{0.0} / 10"),
        (UI["h_D"], "@D{0.00} (@class_en)", "@D{0.00}（@class_zh）"),
        (UI["h_lag"], "@lag_en", "@lag_zh"),
        (UI["h_icp"], "@industry{0.00} / @city{0.00} / @people{0.00}", "@industry{0.00} / @city{0.00} / @people{0.00}"),
        (UI["h_jobs"], "@jobs{0,0}", "@jobs{0,0}"),
        (UI["h_residents"], "@residents{0,0}", "@residents{0,0}"),
        (UI["h_nodes"], "@n_nodes", "@n_nodes"),
    ])
    p.add_tools(hover_cells)
    present = {k: int((cell_data["lag"] == k).sum()) for k in lag_keys}
    legend["cells"] = {
        "score": {"names": [r_score.name], "count": int(scored.sum())},
        "D": {"names": [r_d.name], "count": int(with_d.sum())},
        "lag": {"names": [r_lag.name], "count": int(with_lag.sum()), "present": present},
    }

    # park outline
    px, py = _nan_joined(_parts_of(frame.geoms([park]), "line"))
    r_park = p.line(px, py, line_color="#111111", line_width=2.5, name="ps-park")
    legend["park"] = [r_park.name]

    # amenities: one renderer per category (one point per amenity and category: its first access point)
    amen = a.amenities
    if "amenity_id" in amen.columns:  # an amenity may count in two categories (a kindergarten...)
        amen = amen.drop_duplicates(["amenity_id", "category"])
    cats = a.summary.categories
    amen_renderers = []
    for i, key in enumerate(cats):
        sub = amen[amen["category"].astype(str) == key]
        colour = AMENITY_COLOURS[i % len(AMENITY_COLOURS)]
        x, y = frame.xy(sub["lon"].to_numpy(), sub["lat"].to_numpy())
        names = sub["name"].fillna("").astype(str).to_numpy() if "name" in sub.columns else np.full(len(sub), "")
        osm = (sub["osm_type"].astype(str) + "/" + sub["osm_id"].astype(str)).to_numpy() if "osm_id" in sub.columns \
            else np.full(len(sub), "")
        csrc = ColumnDataSource({
            "x": x, "y": y, "name": np.where(names == "", "–", names), "osm": osm,
            "cat_en": np.full(len(sub), cats[key].en, dtype=object),
            "cat_zh": np.full(len(sub), cats[key].zh, dtype=object),
        })
        r = p.scatter("x", "y", source=csrc, size=7, fill_color=colour, line_color="white", line_width=0.8,
                      hover_fill_color=colour, hover_line_color="black", name=f"ps-amen-{i}")
        amen_renderers.append(r)
        legend["amenities"].append({"key": key, "names": [r.name], "label": Tr(cats[key].en, cats[key].zh),
                                    "colour": colour, "count": int(len(sub))})
    hover_amen = HoverTool(renderers=amen_renderers, name="ps-hover-amen", attachment="right")
    # no {safe}: Bokeh escapes field values, and OSM names are written by anyone
    tr.tooltips(hover_amen, [
        (UI["h_name"], "@name", "@name"),
        (UI["h_category"], "@cat_en", "@cat_zh"),
        (UI["h_osm"], "@osm", "@osm"),
    ])
    p.add_tools(hover_amen)

    # place names on top
    if basemap is not None and len(basemap["places"]):
        places = basemap["places"]
        x, y = frame.xy(places.geometry.x.to_numpy(), places.geometry.y.to_numpy())
        sizes = np.array(["15px", "14px", "13px", "12px", "12px", "12px", "11px", "11px", "10px", "10px"])
        rank = np.clip(places["rank"].to_numpy(dtype=int), 0, len(sizes) - 1)
        inside = _declutter(x, y, places["name"].astype(str).to_numpy(), rank, (x0, y0, x1, y1))
        psrc = ColumnDataSource({"x": x[inside], "y": y[inside],
                                 "name": places["name"].astype(str).to_numpy()[inside],
                                 "size": sizes[rank][inside]})
        r_places = p.text("x", "y", text="name", source=psrc, text_font_size={"field": "size"},
                          text_align="center", text_baseline="middle", text_color="#333333",
                          text_font_style="bold", background_fill_color="#ffffff", background_fill_alpha=0.75,
                          padding=2, border_radius=3, name="ps-places")
        legend["places"] = [r_places.name]
    else:
        legend["places"] = []
    legend["base_names"] = base_names
    p.add_layout(ScaleBar(range=p.x_range, unit="m", location="bottom_left", bar_length=0.2,
                          background_fill_alpha=0.7, name="ps-scalebar"))
    legend["d_palette"] = list(D_PALETTE)
    legend["lag_colours"] = LAG_COLOURS
    return p, legend


# --------------------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------------------

def _or_dash(value: Any) -> Any:
    """A count for a table cell, "–" when unknown."""
    return "–" if value is None else value


def _factor_labels(labels: list[Tr]) -> list[Tr]:
    """Factors must be unique: repeat names get invisible zero-width spaces."""
    seen: dict[str, int] = {}
    out = []
    for t in labels:
        en, zh = _plain(t.en) or "–", _plain(t.zh) or "–"
        n = seen.get(en + "\x00" + zh, 0)
        seen[en + "\x00" + zh] = n + 1
        out.append(Tr(en + "\u200b" * n, zh + "\u200b" * n))
    return out


def _chart(name: str, height: int, **kw: Any) -> Any:
    from bokeh.plotting import figure

    p = figure(name=name, sizing_mode="stretch_width", height=height, toolbar_location=None,
               tools="", min_border_left=10, **kw)
    p.outline_line_color = None
    return p


def _coverage(a: Assessment, tr: _I18n, minutes: str) -> Any:
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool

    cats = a.summary.categories
    keys = list(cats)
    share = np.array([np.nan if cats[k].share_within is None else 100 * cats[k].share_within for k in keys])
    labels = _factor_labels([Tr(cats[k].en, cats[k].zh) for k in keys])
    src = ColumnDataSource(name="ps-cov-src", data={
        "f": [t.en for t in labels], "pct": np.nan_to_num(share), "label": [fmt_pct(None if math.isnan(v) else v / 100) for v in share],
        "en": [cats[k].en for k in keys], "zh": [cats[k].zh for k in keys],
        "median": [fmt_num(cats[k].median_nearest_m) for k in keys],
        "in_area": [_or_dash(cats[k].amenities_in_area) for k in keys],
        "in_park": [_or_dash(cats[k].amenities_in_park) for k in keys],
    })
    p = _chart("ps-cov", 34 * len(keys) + 70, y_range=FactorRange(*[t.en for t in labels][::-1], name="ps-cov-y"),
               x_range=(0, 115))
    r = p.hbar(y="f", right="pct", height=0.7, source=src, color="#2a7f62", hover_color="#1b5e46")
    p.text(x="pct", y="f", text="label", source=src, x_offset=4, text_baseline="middle", text_font_size="11px")
    p.ygrid.visible = False
    tr.factors(p.y_range, [src], "f", labels, reverse=True)
    tr.label(p.xaxis[0], "axis_label", ui("chart_coverage_x"))
    hover = HoverTool(renderers=[r], name="ps-cov-hover")
    tr.tooltips(hover, [
        (UI["h_category"], "@en", "@zh"),
        (ui("th_within", minutes=minutes), "@label", "@label"),
        (UI["th_median"], "@median", "@median"),
        (UI["th_in_area"], "@in_area", "@in_area"),
        (UI["th_in_park"], "@in_park", "@in_park"),
    ])
    p.add_tools(hover)
    return p


def _distance_stats(a: Assessment, key: str, max_m: float) -> dict[str, float]:
    nodes = a.nodes
    mask = nodes["in_park"].to_numpy(dtype=bool) if "in_park" in nodes.columns else np.ones(len(nodes), bool)
    if not mask.any():
        mask = np.ones(len(nodes), bool)
    col = f"dist_{key}_1"
    d = nodes[col].to_numpy(dtype=np.float64)[mask] if col in nodes.columns else np.zeros(0)
    if d.size == 0:
        return {"q10": np.nan, "q25": np.nan, "q50": np.nan, "q75": np.nan, "q90": np.nan, "none": np.nan}
    none = np.isnan(d)
    filled = np.where(none, max_m, np.minimum(d, max_m))
    q = np.percentile(filled, [10, 25, 50, 75, 90])
    return {"q10": q[0], "q25": q[1], "q50": q[2], "q75": q[3], "q90": q[4], "none": float(none.mean())}


def _distance(a: Assessment, tr: _I18n) -> Any:
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool, Span

    cats = a.summary.categories
    keys = list(cats)
    max_m = float(a.settings.max_distance_m)
    st = [_distance_stats(a, k, max_m) for k in keys]
    col = {q: np.round([s[q] for s in st], 1) for q in ("q10", "q25", "q50", "q75", "q90")}
    none = [s["none"] for s in st]
    note_en = [ui("none_within", max_m=f"{max_m:g}", share=fmt_pct(v)).en if v and v > 0 else "" for v in none]
    note_zh = [ui("none_within", max_m=f"{max_m:g}", share=fmt_pct(v)).zh if v and v > 0 else "" for v in none]
    labels = _factor_labels([Tr(cats[k].en, cats[k].zh) for k in keys])
    src = ColumnDataSource(name="ps-dist-src", data={
        "f": [t.en for t in labels], **col, "none": [fmt_pct(v) for v in none], "note_en": note_en, "note_zh": note_zh,
        "note_x": np.full(len(keys), max_m * 1.03),
        "en": [cats[k].en for k in keys], "zh": [cats[k].zh for k in keys],
    })
    p = _chart("ps-dist", 34 * len(keys) + 70, y_range=FactorRange(*[t.en for t in labels][::-1], name="ps-dist-y"),
               x_range=(0, max_m * 1.5))
    p.segment(x0="q10", x1="q90", y0="f", y1="f", source=src, line_color="#555555", line_width=1.5)
    r = p.hbar(y="f", left="q25", right="q75", height=0.6, source=src, fill_color="#9ecae1",
               line_color="#3a6f96", hover_fill_color="#6baed6")
    p.scatter(x="q50", y="f", source=src, marker="dash", angle=math.pi / 2, size=20, line_color="#08306b",
              line_width=3)
    p.add_layout(Span(location=float(a.settings.coverage_distance_m), dimension="height", line_dash="dashed",
                      line_color="#d95f02", line_width=1.5))
    note = p.text(x="note_x", y="f", text="note_en", source=src, text_baseline="middle", text_font_size="10px",
                  text_color="#a50026", name="ps-dist-note")
    note.glyph.name = "ps-dist-note-glyph"
    tr.field(note.glyph, "text", "note_en", "note_zh")
    p.ygrid.visible = False
    tr.factors(p.y_range, [src], "f", labels, reverse=True)
    tr.label(p.xaxis[0], "axis_label", ui("chart_distance_x"))
    hover = HoverTool(renderers=[r], name="ps-dist-hover")
    tr.tooltips(hover, [
        (UI["h_category"], "@en", "@zh"),
        (Tr("Median", "中位数"), "@q50{0} m", "@q50{0} 米"),
        (Tr("25–75%", "25–75%"), "@q25{0}–@q75{0} m", "@q25{0}–@q75{0} 米"),
        (Tr("10–90%", "10–90%"), "@q10{0}–@q90{0} m", "@q10{0}–@q90{0} 米"),
        (Tr(f"None within {max_m:g} m", f"{max_m:g} 米内无"), "@none", "@none"),
    ])
    p.add_tools(hover)
    return p


def _radar(a: Assessment, tr: _I18n) -> Any:
    from bokeh.models import ColumnDataSource, HoverTool

    five = a.summary.five_park.dimensions() if a.summary.five_park is not None else {}
    keys = list(five)
    n = max(len(keys), 3)
    ang = np.pi / 2 - 2 * np.pi * np.arange(n) / n
    ux, uy = np.cos(ang), np.sin(ang)
    p = _chart("ps-radar", 420, x_range=(-1.75, 1.75), y_range=(-1.45, 1.45), match_aspect=True)
    p.axis.visible = False
    p.grid.visible = False
    rings = (0.2, 0.4, 0.6, 0.8, 1.0)
    p.multi_line([np.append(ux, ux[0]) * r for r in rings], [np.append(uy, uy[0]) * r for r in rings],
                 line_color="#cccccc")
    p.text([0.02] * len(rings), [r + 0.01 for r in rings], text=[f"{r * 100:.0f}" for r in rings],
           text_font_size="9px", text_color="#999999")
    scores = [five[k].score for k in keys]
    have = [i for i, s in enumerate(scores) if s is not None]
    solid = [i for i in range(len(keys)) if i in have]
    dashed = [i for i in range(len(keys)) if i not in have]
    p.segment(np.zeros(len(solid)), np.zeros(len(solid)), ux[solid], uy[solid], line_color="#bbbbbb")
    p.segment(np.zeros(len(dashed)), np.zeros(len(dashed)), ux[dashed], uy[dashed], line_color="#bbbbbb",
              line_dash="dashed")
    if have:
        r = np.array([scores[i] / 100 for i in have])
        hx, hy = ux[have] * r, uy[have] * r
        p.patch(np.append(hx, hx[0]), np.append(hy, hy[0]), fill_color="#2a7f62", fill_alpha=0.25,
                line_color="#2a7f62", line_width=2.5)
    cov = [five[k].coverage for k in keys]
    label_en, label_zh = [], []
    for k, s, c in zip(keys, scores, cov, strict=True):
        d = five[k]
        value = Tr(f"{s:.0f}", f"{s:.0f}") if s is not None else UI["no_data"]
        data = ui("data_share", share=fmt_pct(c))
        label_en.append(_plain(f"{(d.en or k)}\n{value.en} · {data.en}"))
        label_zh.append(_plain(f"{(d.zh or k)}\n{value.zh} · {data.zh}"))
    lx, ly = ux[: len(keys)] * 1.13, uy[: len(keys)] * 1.13
    align = np.where(np.abs(lx) < 0.2, "center", np.where(lx > 0, "left", "right"))
    base = np.where(ly > 0.3, "bottom", np.where(ly < -0.3, "top", "middle"))
    lsrc = ColumnDataSource({"x": lx, "y": ly, "label_en": label_en, "label_zh": label_zh,
                             "align": align, "base": base})
    lab = p.text("x", "y", text="label_en", source=lsrc, text_align={"field": "align"},
                 text_baseline={"field": "base"}, text_font_size="12px", text_line_height=1.3)
    lab.glyph.name = "ps-radar-label-glyph"
    tr.field(lab.glyph, "text", "label_en", "label_zh")
    psrc = ColumnDataSource({
        "x": [ux[i] * scores[i] / 100 if scores[i] is not None else 0.0 for i in range(len(keys))],
        "y": [uy[i] * scores[i] / 100 if scores[i] is not None else 0.0 for i in range(len(keys))],
        "en": [(five[k].en or k) for k in keys], "zh": [(five[k].zh or k) for k in keys],
        "score": [fmt_num(s) for s in scores], "coverage": [fmt_pct(c) for c in cov],
        "alpha": [1.0 if s is not None else 0.0 for s in scores],
    })
    pts = p.scatter("x", "y", source=psrc, size=9, fill_color="#2a7f62", line_color="white",
                    fill_alpha="alpha", line_alpha="alpha")
    hover = HoverTool(renderers=[pts], name="ps-radar-hover")
    tr.tooltips(hover, [
        (UI["th_dimension"], "@en", "@zh"),
        (UI["th_score"], "@score / 100", "@score / 100"),
        (UI["th_coverage"], "@coverage", "@coverage"),
    ])
    p.add_tools(hover)
    return p


def _subindices(a: Assessment, tr: _I18n) -> Any:
    from bokeh.models import ColumnDataSource, FactorRange, HoverTool

    integ = a.summary.integration
    keys = ["industry", "city", "people", "coupling_C", "development_T", "coordination_D"]
    vals = [None if integ is None else getattr(integ, k) for k in keys]
    labels = _factor_labels([UI[k] for k in keys])
    src = ColumnDataSource(name="ps-sub-src", data={
        "f": [t.en for t in labels], "value": [v if v is not None else 0.0 for v in vals],
        "label": [f"{v:.2f}" if v is not None else "–" for v in vals],
        "colour": [SUBSYSTEM_COLOURS[k] for k in keys],
        "en": [UI[k].en for k in keys], "zh": [UI[k].zh for k in keys],
    })
    p = _chart("ps-sub", 420, x_range=FactorRange(*[t.en for t in labels], name="ps-sub-x"), y_range=(0, 1.12))
    r = p.vbar(x="f", top="value", width=0.7, source=src, color="colour", hover_alpha=0.8)
    p.text(x="f", y="value", text="label", source=src, y_offset=-4, text_align="center",
           text_baseline="bottom", text_font_size="12px")
    p.xgrid.visible = False
    tr.factors(p.x_range, [src], "f", labels, reverse=False)
    tr.label(p.yaxis[0], "axis_label", Tr("index (0–1)", "指数（0–1）"))
    hover = HoverTool(renderers=[r], name="ps-sub-hover")
    tr.tooltips(hover, [(UI["th_item"], "@en", "@zh"), (UI["th_value"], "@label", "@label")])
    p.add_tools(hover)
    return p


def build(a: Assessment, basemap: dict[str, gpd.GeoDataFrame] | None) -> Parts:
    """The map and the four charts of an assessment, with their i18n entries and legend data."""
    tr = _I18n()
    stats: dict[str, Any] = {}
    minutes = f"{a.settings.coverage_minutes:g}"
    m, legend = _map(a, basemap, tr, stats)
    roots = {
        "map": m,
        "coverage": _coverage(a, tr, minutes),
        "distance": _distance(a, tr),
        "radar": _radar(a, tr),
        "subindices": _subindices(a, tr),
    }
    return Parts(roots=roots, i18n=tr.entries, legend=legend, stats=stats)
