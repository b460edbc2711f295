"""The self-contained bilingual HTML report: interactive map and charts, summary, tables, provenance.

One file that works with no network: BokehJS is inlined from the installed ``bokeh`` Python package
(``bokeh.resources.INLINE``), the data travels inside the page, and nothing is fetched. Every text
exists in English and Chinese; a button switches between them (English first).

OSM text (names, tags) is written by anyone: the template escapes it (Jinja autoescape), the page's
own JSON is escaped for ``<script>`` (:func:`json_for_script`), Bokeh escapes its document JSON, and
hover tooltips show field values as text (no ``{safe}``).
"""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parkscope.files.io import template_env, write_text
from parkscope.measures.indices import COORDINATION_CLASSES
from parkscope.outputs.report._bokeh import D_PALETTE, build
from parkscope.outputs.report._text import (
    LAG,
    LAG_LONG,
    LAYER_NAMES,
    SOURCE_NAMES,
    STATUS_NAMES,
    UI,
    Tr,
    fmt_num,
    fmt_pct,
    methods_paragraphs,
    summary_sentences,
    ui,
)
from parkscope.outputs.report.basemap import basemap_layers
from parkscope.outputs.report.figures import write_figures
from parkscope.outputs.report.scenario import difference_section
from parkscope.settings.summary import Integration, ReportedFigure, Summary

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from parkscope.assessment import Assessment

log = logging.getLogger(__name__)

#: Named amenities of the park listed in the report (the map shows them all).
MAX_LISTED_AMENITIES = 300


def json_for_script(data: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">``: ``<``, ``>``, ``&`` escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=_jsonable)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Tr):
        return {"en": value.en, "zh": value.zh}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def _category_rows(s: Summary) -> list[dict[str, Any]]:
    return [
        {"name": Tr(str(c.en), str(c.zh)), "weight": f"{c.weight or 0:g}", "within": fmt_pct(c.share_within),
         "median": fmt_num(c.median_nearest_m),
         "in_area": "–" if c.amenities_in_area is None else c.amenities_in_area,
         "in_park": "–" if c.amenities_in_park is None else c.amenities_in_park}
        for c in s.categories.values()
    ]


def _source(kind: str | None) -> Tr:
    return SOURCE_NAMES.get(str(kind), Tr(str(kind), str(kind)))


def _with_error(i: Integration, kind: str, value: Any) -> Any:
    """A count, with the measured error of the estimate beside it when parkscope estimated it."""
    err = i.within_error
    factor = None if err is None else err.jobs_factor if kind == "jobs" else err.residents_factor
    source = i.jobs_source if kind == "jobs" else i.residents_source
    if value is None or source != "osm_buildings" or not factor or factor <= 1:
        return fmt_num(value)
    return Tr(f"{fmt_num(value)} (estimated; within ×{factor:g} on well-mapped extracts)",
              f"{fmt_num(value)}（估算值；在数据完善地区误差在 {factor:g} 倍以内）")


def _quality_rows(s: Summary) -> list[dict[str, Any]]:
    """One row per input layer: its status, what was measured and why it is not ok."""
    rows = []
    for layer, q in (s.data_quality or {}).items():
        measures = ", ".join(f"{k} {v}" for k, v in q.measures.items()
                             if v is not None and not isinstance(v, dict | list))
        rows.append({
            "layer": LAYER_NAMES.get(layer, Tr(layer, layer)),
            "status": STATUS_NAMES.get(q.status, Tr(q.status, q.status)),
            "css": q.status,
            "source": str(q.source or ""),
            "measures": measures,
            "reasons": "; ".join(q.reasons) + (f" — {q.fix}" if q.fix else ""),
        })
    return rows


def _integration_rows(s: Summary, minutes: str) -> list[tuple[Tr, Any]]:
    i = s.integration
    if i is None:
        return []
    cls = i.class_
    rows: list[tuple[Tr, Any]] = [
        (UI["industry"], fmt_num(i.industry, 3)),
        (UI["city"], fmt_num(i.city, 3)),
        (UI["people"], fmt_num(i.people, 3)),
        (UI["coupling_C"], fmt_num(i.coupling_C, 3)),
        (UI["development_T"], fmt_num(i.development_T, 3)),
        (UI["coordination_D"], fmt_num(i.coordination_D, 3)),
        (UI["row_class"], Tr(f"{cls.en} (level {cls.level})", f"{cls.zh}（第 {cls.level} 级）")
         if cls is not None else "–"),
        (UI["row_lag"], LAG_LONG.get(str(i.lag_type), Tr("–", "–"))),
        (ui("row_jobs", minutes=minutes), _with_error(i, "jobs", i.jobs)),
        (ui("row_residents", minutes=minutes), _with_error(i, "residents", i.residents)),
        (UI["row_ratio"], fmt_num(i.jobs_housing_ratio, 2)),
        (UI["row_jobs_park"], _with_error(i, "jobs", i.jobs_in_park)),
        (UI["row_residents_park"], _with_error(i, "residents", i.residents_in_park)),
        (UI["row_cells"], fmt_num(i.cells_diagnosed)),
        (UI["row_jobs_source"], _source(i.jobs_source)),
        (UI["row_residents_source"], _source(i.residents_source)),
    ]
    return rows


def _five_park_rows(s: Summary) -> list[dict[str, Any]]:
    rows = []
    for key, d in (s.five_park.dimensions() if s.five_park is not None else {}).items():
        indicators = []
        for ind in d.indicators.values():
            value = ind.value
            nd = 0 if isinstance(value, (int, float)) and abs(value) >= 100 else 2
            indicators.append({
                "name": Tr(str(ind.en or ""), str(ind.zh or "")),
                "value": fmt_num(value, nd) if value is not None else "–",
                "unit": str(ind.unit or ""),
                "score": fmt_num(ind.score),
                "source": (UI["src_missing"] if not ind.available
                           else UI["src_user"] if ind.source == "user" else UI["src_osm"]),
            })
        rows.append({"key": key, "name": Tr(str(d.en or key), str(d.zh or key)),
                     "score": fmt_num(d.score), "coverage": fmt_pct(d.coverage),
                     "indicators": indicators})
    return rows


#: Heading and notes of the park statistics table (the park's own reported figures, settings/parkstats.py).
PARK_STATS_TITLE = Tr("Park statistics (reported by the park)", "园区统计数据（园区填报）")
PARK_STATS_NOTE = Tr(
    "Figures from [park_data] in the config, converted to the units shown; derived figures follow "
    "from them. Land productivity and the R&D staff share are scored in the five-park scorecard.",
    "来自配置文件 [park_data] 的园区统计数据，已换算为表中单位；派生指标由其计算。"
    "地均产出与研发人员占比计入五型园区评分。",
)


def _park_statistics_rows(s: Summary) -> list[dict[str, Any]]:
    """Rows of the park statistics table: reported figures as given and converted, then derived ones."""
    block = s.park_statistics
    if block is None:
        return []
    rows = []
    figures = [*block.reported.values(), *block.derived.values()]
    for entry in figures:
        reported = isinstance(entry, ReportedFigure)
        value = entry.display if reported and entry.display is not None else entry.value
        unit = entry.display_unit if reported and entry.display_unit is not None else entry.unit
        size = abs(float(value))
        nd = 0 if unit in ("persons", "firms") or size >= 100 else 1 if size >= 10 else 2
        rows.append({
            "name": Tr(str(entry.en or ""), str(entry.zh or "")),
            "value": fmt_pct(value) if unit == "share" else fmt_num(value, nd),
            "unit": "" if unit == "share" else str(unit),
            "given": str(entry.given or "") if reported else "",
        })
    return rows


def _named_in_park(a: Assessment) -> tuple[list[dict[str, Any]], int]:
    am = a.amenities
    if not len(am) or "name" not in am.columns:
        return [], 0
    if "amenity_id" in am.columns:
        am = am.drop_duplicates("amenity_id")
    names = am["name"].fillna("").astype(str).to_numpy()
    inside = shapely.contains_xy(a.area.park, am["lon"].to_numpy(), am["lat"].to_numpy()) & (names != "")
    sub = am[inside]
    cats = a.summary.categories
    order = {k: i for i, k in enumerate(cats)}
    sub = sub.assign(_o=sub["category"].map(order).fillna(len(order))).sort_values(["_o", "name"], kind="stable")
    rows = []
    for rec in sub.head(MAX_LISTED_AMENITIES).itertuples(index=False):
        c = cats.get(str(rec.category))
        name = Tr(str(c.en), str(c.zh)) if c is not None else Tr(str(rec.category), str(rec.category))
        osm = f"{rec.osm_type}/{rec.osm_id}" if hasattr(rec, "osm_id") else ""
        rows.append({"category": name, "name": str(rec.name), "osm": osm})
    return rows, int(len(sub))


def _provenance_rows(a: Assessment, figures: list[str]) -> list[tuple[Tr, Any]]:
    s = a.summary
    p = s.provenance
    area = s.area
    match = area.match if area is not None else None
    area_text = str(area.name if area is not None else a.area.name)
    source = str(area.source if area is not None else "")
    if match is not None and match.found:
        area_text += f" — {match.osm_type}/{match.osm_id}, {match.tag}={match.value}"
    net = s.network
    nodes, edges, km = (None, None, None) if net is None else (net.nodes, net.edges, net.length_km)
    return [
        (UI["prov_extract"], str(p.extract)),
        (UI["prov_sha"], str(p.extract_sha256)),
        (UI["prov_date"], str(p.osm_timestamp) if p.osm_timestamp else UI["unknown"]),
        (UI["prov_created"], str(a.run_info.get("created_utc", "–"))),
        (UI["prov_version"], str(s.parkscope_version)),
        (UI["prov_area"], area_text if area_text.startswith(source) else f"{source}: {area_text}"),
        (UI["prov_crs"], str(area.crs if area is not None else a.area.crs)),
        (UI["prov_buffer"], f"{a.area.buffer_m:g} m"),
        (UI["prov_network"], Tr(
            f"{fmt_num(nodes)} nodes, {fmt_num(edges)} edges, {fmt_num(km, 1)} km",
            f"{fmt_num(nodes)} 个节点，{fmt_num(edges)} 条边，{fmt_num(km, 1)} 公里")),
        (UI["prov_figures"], ", ".join(figures) if figures else "–"),
    ]


def _kpis(a: Assessment) -> list[tuple[Tr, Any]]:
    s = a.summary
    i = s.integration
    score = s.life_convenience_score
    out: list[tuple[Tr, Any]] = [(UI["kpi_score"], f"{score:.1f} / 10" if score is not None else "–")]
    if i is not None:
        D, cls = i.coordination_D, i.class_
        out.append((UI["kpi_D"], Tr(f"{D:.2f} · {cls.en if cls else None}", f"{D:.2f} · {cls.zh if cls else None}")
                    if D is not None else Tr("insufficient data", "数据不足")))
        out.append((UI["kpi_lag"], LAG.get(str(i.lag_type), Tr("no verdict", "无判断")
                                           if i.status == "insufficient_data" else Tr("–", "–"))))
    park_m2 = (s.area.park_area_m2 if s.area is not None else None) or 0
    out += [
        (UI["kpi_park"], f"{park_m2 / 1e4:,.1f} ha"),
        (UI["kpi_nodes"], fmt_num(s.network.nodes if s.network is not None else None)),
        (UI["kpi_amen"], fmt_num(len(a.amenities))),
    ]
    return out


def _d_legend() -> list[dict[str, Any]]:

    return [{"colour": D_PALETTE[level - 1], "range": f"{(level - 1) / 10:.1f}–{level / 10:.1f}", "name": Tr(en, zh)}
            for level, zh, en in COORDINATION_CLASSES]


def _viridis_css() -> str:
    from bokeh.palettes import Viridis256

    stops = [Viridis256[i] for i in np.linspace(0, 255, 11).astype(int)]
    return "linear-gradient(to right, " + ", ".join(stops) + ")"


def _load_basemap(a: Assessment) -> tuple[dict[str, gpd.GeoDataFrame] | None, Tr | None]:

    path = getattr(a, "extract_path", None)
    if path is None or not Path(path).exists():
        log.warning("report: no extract path on the assessment; the map has no base layer")
        return None, UI["no_basemap"]
    try:
        return basemap_layers(path, a.area.read_bbox), None
    except Exception as exc:  # noqa: BLE001 - the base map is context: the report is still worth having
        log.warning("report: base map could not be read from %s (%s)", path, exc)
        return None, UI["no_basemap"]


_QUOTED_ID = re.compile(r"(?<=[\"'])(p\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=[\"'])")


def stable_ids(script: str, divs: dict[str, str]) -> tuple[str, dict[str, str]]:
    """Bokeh's ids renumbered in order of first appearance, so that the same figures give the same page.

    Bokeh names the page's elements and document with random UUIDs and its models from a counter
    that runs on through the process (``p1001``, ``p1002``…): the same report made twice differs in
    every id. Only those ids are renamed (the models' ids, as ``"id":"p…"`` in the document, and the
    UUIDs of the ``docid`` and the root elements); data strings that look like them are left alone.

    Parameters
    ----------
    script : str
        The ``<script>`` of :func:`bokeh.embed.components`.
    divs : dict
        Its ``<div>`` elements by name.

    Returns
    -------
    (str, dict)
        The script and the divs with the ids renamed (``p1001``… for models, ``ps-0001``… for the rest).
    """
    model_ids = set(re.findall(r'"id":"(p\d+)"', script))
    known = model_ids | set(re.findall(r'"docid":"([^"]+)"', script))
    known |= {m for d in divs.values() for m in re.findall(r'<div id="([^"]+)" data-root-id', d)}
    names: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        old = match.group(0)
        if old not in known:
            return old
        if old not in names:
            n = len(names) + 1
            names[old] = f"p{1000 + n}" if old in model_ids else f"ps-{n:04d}"
        return names[old]

    new_divs = {k: _QUOTED_ID.sub(rename, d) for k, d in divs.items()}
    return _QUOTED_ID.sub(rename, script), new_divs


def render_report(a: Assessment, *, basemap: dict[str, gpd.GeoDataFrame] | None = None,
                  basemap_note: Tr | None = None, figures: list[str] | None = None) -> str:
    """The report of an assessment as one HTML string (see :func:`write_report`)."""
    from bokeh.embed import components
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.resources import INLINE


    s = a.summary
    minutes = f"{a.settings.coverage_minutes:g}"
    parts = build(a, basemap)
    roots = list(parts.roots.values())
    script, divs = components(parts.roots)
    script, divs = stable_ids(script, divs)
    bokeh_js = bundle_for_objs_and_resources(roots, INLINE).scripts()
    inpark, n_inpark = _named_in_park(a)
    title = {"en": f"parkscope — {a.area.name}", "zh": f"parkscope — {a.area.name}"}
    page_data = {"i18n": parts.i18n, "title": title, "stats": parts.stats}
    ctx = {
        "name": a.area.name,
        "title": title,
        "version": s.parkscope_version,
        "ui": UI,
        "ui_f": ui,
        "minutes": minutes,
        "kpis": _kpis(a),
        "sentences": summary_sentences(s, minutes),
        "divs": divs,
        "legend": parts.legend,
        "d_legend": _d_legend(),
        "lag_long": LAG_LONG,
        "viridis_css": _viridis_css(),
        "basemap_note": basemap_note,
        "categories": _category_rows(s),
        "integration": _integration_rows(s, minutes),
        "quality": _quality_rows(s),
        "other_attributions": [
            t for t in (s.provenance.attribution_sources or []) if "OpenStreetMap" not in t
        ],
        "five_park": _five_park_rows(s),
        "park_stats": _park_statistics_rows(s),
        "park_stats_notes": list(s.park_statistics.notes if s.park_statistics else []),  # English only
        "park_stats_title": PARK_STATS_TITLE,
        "park_stats_note": PARK_STATS_NOTE,
        "inpark": inpark,
        "n_inpark": n_inpark,
        "max_listed": MAX_LISTED_AMENITIES,
        "methods": methods_paragraphs(s, a.settings),
        "parameters": json.dumps(s.provenance.parameters, ensure_ascii=False, indent=2,
                                 default=_jsonable),
        "provenance": _provenance_rows(a, figures or []),
        "osm_date": str(s.provenance.osm_timestamp or "–")[:10],
        "cover_m": f"{a.settings.coverage_distance_m:.0f}",
        "max_m": f"{a.settings.max_distance_m:g}",
        "page_json": json_for_script(page_data),
        "bokeh_js": bokeh_js,
        "bokeh_script": script,
        "scenario": difference_section(a),
    }
    return template_env("parkscope.outputs.report").get_template("report.html.j2").render(**ctx)


def write_report(a: Assessment, path: Path) -> Path:
    """Write the report of an assessment to ``path``, and its PNG figures beside it.

    Parameters
    ----------
    a : Assessment
        With ``extract_path`` set, the map gets its base layer (streets, water, green space,
        buildings, place names) from that extract; without it the report says the base map is missing.
    path : Path
        The HTML file to write (whole or not at all: a temporary file renamed into place).

    Returns
    -------
    Path
        ``path``. ``map.png``, ``radar.png`` and ``coverage.png`` are written to its folder.
    """
    t0 = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    basemap, note = _load_basemap(a)
    figs = write_figures(a, path.parent, basemap=basemap)
    html = render_report(a, basemap=basemap, basemap_note=note, figures=list(figs["paths"]))
    write_text(path, html)
    log.info("report: %s (%.1f MB) in %.1f s", path.name, path.stat().st_size / 1e6, time.perf_counter() - t0)
    return path
