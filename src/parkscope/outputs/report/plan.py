"""PLANDIR/report.html: the map and table of a plan (``parkscope plan``), one self-contained page.

The page inlines BokehJS (no CDN) and draws its own base layer from what the assess OUTDIR holds —
the walk network's edges (network.parquet, nodes.parquet) and the building points
(buildings.parquet) — so it needs neither the extract nor map tiles. On it: the park's outline, its
cells coloured by the score change the plan brings (before / after in the tooltip), the existing
amenities of the planned categories, and the additions numbered by order and coloured by category
(the colours of the assessment report). Beside it: baseline → achieved score against the target,
the bound the run proves and what it means, and the table of additions with the cumulative score.
docs/planning.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

from parkscope.files.io import template_env
from parkscope.outputs.report._bokeh import AMENITY_COLOURS, BASE_STYLE, _Frame
from parkscope.outputs.report.html import json_for_script, stable_ids
from parkscope.planning.plan import Outputs, PlanResult, read_outputs

#: The score change of a cell that takes the darkest colour (smaller changes scale linearly).
MIN_CHANGE_SCALE = 0.05
#: Screen size of an addition's marker; additions at one site are drawn as rings this much larger.
ADDITION_SIZE = 22
RING_STEP = 8
#: Park cells listed in the before/after table (the most changed first).
MAX_LISTED_CELLS = 40


def category_colours(categories: list[str]) -> dict[str, str]:
    """Colour of each category, by its place among the assessment's categories (as the main report)."""
    return {key: AMENITY_COLOURS[i % len(AMENITY_COLOURS)] for i, key in enumerate(categories)}


def addition_rows(result: PlanResult, names: dict[str, str]) -> list[dict[str, Any]]:
    """The table: order, category, gain, the score after it (cumulative), site, cost, lon, lat."""
    add = result.additions
    base = float(result.summary["baseline_score"])
    cumulative = base + np.cumsum(add["gain"].to_numpy(np.float64)) if len(add) else np.zeros(0)
    return [
        {"order": int(r.order), "category": str(r.category), "name": names.get(str(r.category), str(r.category)),
         "gain": float(r.gain), "score": float(c), "site": str(r.site), "cost": float(r.cost),
         "lon": float(g.x), "lat": float(g.y)}
        for r, c, g in zip(add.itertuples(), cumulative, add.geometry, strict=True)
    ]


def cell_rows(cells: pd.DataFrame | None, limit: int = MAX_LISTED_CELLS) -> list[dict[str, Any]]:
    """The park's cells, most changed first: h3, weight, before, after, change."""
    if cells is None or cells.empty:
        return []
    change = (cells["score_after"] - cells["score_before"]).to_numpy()
    order = np.argsort(-np.nan_to_num(change, nan=-np.inf), kind="stable")[:limit]
    return [
        {"h3": str(cells["h3"].iloc[i]), "weight": float(cells["weight"].iloc[i]),
         "before": float(cells["score_before"].iloc[i]), "after": float(cells["score_after"].iloc[i]),
         "change": float(change[i])}
        for i in order
    ]


def stacking(additions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Additions at the same site (several categories at one place): each one's rank at its site (0 =
    the first chosen), the number there, and the site's label (``"4,9"``), for each addition."""
    key = pd.Series([f"{g.x:.9f},{g.y:.9f}" for g in additions.geometry])
    rank = key.groupby(key).cumcount().to_numpy()
    count = key.map(key.value_counts()).to_numpy()
    orders = pd.Series(additions["order"].astype(str).to_numpy())
    label = key.map(orders.groupby(key).agg(",".join)).to_numpy()
    return rank, count, label


def _street_xy(out: Outputs, frame: _Frame) -> tuple[np.ndarray, np.ndarray]:
    """The walk network's edges as straight segments, NaN-separated (one line glyph draws them all)."""
    nodes = out.nodes.set_index("node_id")
    u = nodes.reindex(out.network["u"].to_numpy())
    v = nodes.reindex(out.network["v"].to_numpy())
    ok = u["lon"].notna().to_numpy() & v["lon"].notna().to_numpy()
    xu, yu = frame.xy(u["lon"].to_numpy()[ok], u["lat"].to_numpy()[ok])
    xv, yv = frame.xy(v["lon"].to_numpy()[ok], v["lat"].to_numpy()[ok])
    gap = np.full(xu.size, np.nan, np.float32)
    return np.column_stack([xu, xv, gap]).ravel(), np.column_stack([yu, yv, gap]).ravel()


def _rings(geoms: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Exterior rings of (multi)polygons already in the map's metres, as Bokeh patches lists."""
    xs, ys = [], []
    for g in shapely.get_parts(np.asarray(geoms, dtype=object)) if len(geoms) else []:
        ring = np.asarray(g.exterior.coords) if g.geom_type == "Polygon" else np.asarray(g.coords)
        xs.append(ring[:, 0])
        ys.append(ring[:, 1])
    return xs, ys


def plan_map(result: PlanResult, out: Outputs) -> Any:
    """The Bokeh figure of the plan (see the module docstring)."""
    from bokeh.models import ColorBar, ColumnDataSource, HoverTool, LinearColorMapper
    from bokeh.palettes import Greens256
    from bokeh.plotting import figure

    s = out.summary
    park = shapely.from_wkt(s.area.park_wkt) if s.area is not None else None
    centre = park.centroid if park is not None else shapely.Point(out.nodes["lon"].mean(), out.nodes["lat"].mean())
    crs = s.area.crs if s.area is not None else "EPSG:3857"
    frame = _Frame(crs, (centre.x, centre.y))
    colours = category_colours(list(out.settings.category_keys))
    names = {c.key: c.en for c in out.settings.categories}

    p = figure(name="ps-plan-map", sizing_mode="stretch_width", height=620, match_aspect=True,
               tools="pan,wheel_zoom,box_zoom,reset,save", active_scroll="wheel_zoom", active_drag="pan",
               background_fill_color="#f2efe9", min_border=4, output_backend="canvas")
    p.toolbar.logo = None
    p.axis.visible = False
    p.grid.visible = False

    sx, sy = _street_xy(out, frame)
    p.line(sx, sy, line_color=BASE_STYLE["minor"]["line"], line_width=1.5, name="ps-plan-streets")
    if out.buildings is not None and len(out.buildings):
        bx, by = frame.xy(out.buildings["lon"].to_numpy(), out.buildings["lat"].to_numpy())
        p.scatter(bx, by, marker="square", size=3, fill_color=BASE_STYLE["buildings"]["line"],
                  line_color=None, alpha=0.7, name="ps-plan-buildings")

    cells = result.cells
    if cells is not None and len(cells):
        geom = out.cells.set_index("h3")["geometry"].reindex(cells["h3"].to_numpy())
        polys = frame.geoms(shapely.from_wkb(geom.to_numpy()))
        xs, ys = _rings(polys)
        change = (cells["score_after"] - cells["score_before"]).to_numpy(np.float64)
        top = max(float(np.nanmax(change)) if np.isfinite(change).any() else 0.0, MIN_CHANGE_SCALE)
        mapper = LinearColorMapper(palette=Greens256[::-1], low=0.0, high=top)
        src = ColumnDataSource({"xs": xs, "ys": ys, "h3": cells["h3"].astype(str).to_list(),
                                "before": cells["score_before"].to_numpy(), "after": cells["score_after"].to_numpy(),
                                "change": change})
        r = p.patches("xs", "ys", source=src, fill_color={"field": "change", "transform": mapper}, fill_alpha=0.55,
                      line_color="#ffffff", line_width=0.5, name="ps-plan-cells")
        p.add_tools(HoverTool(renderers=[r], tooltips=[("cell", "@h3"), ("score before", "@before{0.00}"),
                                                       ("score after", "@after{0.00}"), ("change", "@change{+0.000}")]))
        p.add_layout(ColorBar(color_mapper=mapper, title="score change of the cell", width=10), "right")
    if park is not None:
        xs, ys = _rings(frame.geoms([park]))
        p.multi_line(xs, ys, line_color="#2a4f7f", line_width=2.5, name="ps-plan-park")

    planned = list(result.summary["categories"])
    amen = out.amenities[out.amenities["category"].astype(str).isin(planned)]
    for key in planned:
        sub = amen[amen["category"].astype(str) == key]
        if sub.empty:
            continue
        x, y = frame.xy(sub["lon"].to_numpy(), sub["lat"].to_numpy())
        label = sub["name"].fillna("").astype(str).to_list() if "name" in sub.columns else [""] * len(sub)
        r = p.scatter("x", "y", source=ColumnDataSource({"x": x, "y": y, "name": label,
                                                         "category": [names.get(key, key)] * len(sub)}),
                      size=6, fill_color=colours[key], line_color="#ffffff", line_width=0.5, alpha=0.75,
                      legend_label=f"{names.get(key, key)} (existing)", name=f"ps-plan-existing-{key}")
        p.add_tools(HoverTool(renderers=[r], tooltips=[("existing", "@category"), ("name", "@name")]))

    add = result.additions
    if len(add):
        x, y = frame.xy(add.geometry.x.to_numpy(), add.geometry.y.to_numpy())
        cats = add["category"].astype(str).to_list()
        rank, count, labels = stacking(add)
        draw = np.lexsort((rank, -(count - rank)))  # the larger rings first, the innermost on top
        src = ColumnDataSource({
            "x": x[draw], "y": y[draw], "order": [str(o) for o in add["order"].to_numpy()[draw]],
            "category": [names.get(cats[i], cats[i]) for i in draw], "gain": add["gain"].to_numpy(np.float64)[draw],
            "site": add["site"].astype(str).to_numpy()[draw], "colour": [colours[cats[i]] for i in draw],
            "size": (ADDITION_SIZE + RING_STEP * (count - 1 - rank))[draw],
        })
        r = p.scatter("x", "y", source=src, size="size", fill_color="colour", line_color="#1f2a30", line_width=1.5,
                      name="ps-plan-additions")
        first = rank == 0
        p.text(x[first], y[first], text=labels[first].tolist(), text_align="center", text_baseline="middle",
               text_color="#ffffff", text_font_style="bold", text_font_size="9pt", name="ps-plan-order")
        p.add_tools(HoverTool(renderers=[r], tooltips=[("addition", "#@order"), ("category", "@category"),
                                                       ("gain", "@gain{+0.0000}"), ("site", "@site")]))
    if p.legend:
        p.legend.location = "top_left"
        p.legend.click_policy = "hide"
        p.legend.label_text_font_size = "8pt"
        p.legend.background_fill_alpha = 0.8
    return p


def render_plan_report(result: PlanResult) -> str:
    """PLANDIR/report.html of a plan, one self-contained HTML string (BokehJS inlined, no tiles).

    Parameters
    ----------
    result : PlanResult
        From :func:`parkscope.planning.plan.make_plan`; its ``outputs`` (else the OUTDIR named in its
        summary) give the base layer, the park and the existing amenities.

    Returns
    -------
    str
        The page: pass this function as ``report`` to :func:`parkscope.planning.plan.write_plan`.
    """
    from bokeh.embed import components
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.resources import INLINE

    out = result.outputs if result.outputs is not None else read_outputs(result.summary["assessment"])
    s = result.summary
    fig = plan_map(result, out)
    script, divs = components({"map": fig})
    script, divs = stable_ids(script, divs)
    names = {c.key: c.en for c in out.settings.categories}
    colours = category_colours(list(out.settings.category_keys))
    area = out.summary.area
    ctx = {
        "name": area.name if area is not None else str(out.path),
        "version": out.summary.parkscope_version,
        "s": s,
        "rows": addition_rows(result, names),
        "cells": cell_rows(result.cells),
        "n_cells": 0 if result.cells is None else len(result.cells),
        "colours": colours,
        "names": names,
        "divs": divs,
        "page_json": json_for_script({"summary": s}),
        "bokeh_js": bundle_for_objs_and_resources([fig], INLINE).scripts(),
        "bokeh_script": script,
    }
    return template_env("parkscope.outputs.report").get_template("plan_report.html.j2").render(**ctx)
