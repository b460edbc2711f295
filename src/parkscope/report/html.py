"""A first self-contained HTML report: figures as embedded PNG, tables, provenance, attribution.

No network is needed to open it: every image is inlined as a data URI and there is no script.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from ..assessment import Assessment

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>parkscope — {{ name }}</title>
<style>
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{margin-bottom:.2rem} .sub{color:#666;margin-top:0}
.kpi{display:flex;gap:1.5rem;flex-wrap:wrap;margin:1rem 0}
.kpi div{background:#f4f6f8;border-radius:8px;padding:.8rem 1.2rem}
.kpi b{display:block;font-size:1.8rem}
table{border-collapse:collapse;width:100%;margin:1rem 0} th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:right}
th:first-child,td:first-child{text-align:left}
img{max-width:100%;height:auto;border:1px solid #eee}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1rem} @media(max-width:800px){.grid{grid-template-columns:1fr}}
footer{color:#666;font-size:.85rem;margin-top:2rem;border-top:1px solid #ddd;padding-top:.5rem}
code{background:#f4f6f8;padding:0 .2rem}
</style></head><body>
<h1>{{ name }}</h1>
<p class="sub">生活便利度评估 · Life-convenience assessment — parkscope {{ version }}</p>
<div class="kpi">
 <div>生活便利度评分 Life-convenience score<b>{{ score }} / 10</b></div>
 <div>步行网络节点 Walk nodes<b>{{ nodes }}</b></div>
 <div>设施点 Amenity points<b>{{ n_amenities }}</b></div>
 <div>园区面积 Park area<b>{{ park_ha }} ha</b></div>
</div>
<p>{{ sentence_zh }}<br>{{ sentence_en }}</p>
<div class="grid">
 <figure><img alt="life-convenience score of walk-network nodes" src="data:image/png;base64,{{ fig_nodes }}">
 <figcaption>各步行节点的生活便利度评分 · Score of every walk-network node (0–10); park outline in black.</figcaption></figure>
 <figure><img alt="life-convenience score per H3 cell" src="data:image/png;base64,{{ fig_cells }}">
 <figcaption>H3 网格（分辨率 {{ h3_res }}）平均评分 · Mean score per H3 cell (resolution {{ h3_res }}).</figcaption></figure>
</div>
<figure><img alt="share of the park within a walk of each category" src="data:image/png;base64,{{ fig_cover }}">
<figcaption>{{ minutes }} 分钟步行可达比例 · Share of the park within a {{ minutes }}-minute walk ({{ cover_m }} m) of each category.</figcaption></figure>
<h2>分类指标 · By category</h2>
<table><tr><th>类别 Category</th><th>权重 Weight</th><th>{{ minutes }} 分钟可达 Within {{ minutes }} min</th>
<th>最近距离中位数 Median nearest (m)</th><th>研究区内 In area</th><th>园区内 In park</th></tr>
{% for key, c in categories %}<tr><td>{{ c.zh }} · {{ c.en }}</td><td>{{ c.weight }}</td>
<td>{{ pct(c.share_within_15min) }}</td><td>{{ num(c.median_nearest_m) }}</td>
<td>{{ c.amenities_in_area }}</td><td>{{ c.amenities_in_park }}</td></tr>
{% endfor %}</table>
<h2>方法与参数 · Method and parameters</h2>
<p>Network distances on the OpenStreetMap pedestrian network to the {{ k }} nearest amenities of each category
within {{ max_m }} m; full credit up to {{ full_m }} m, {{ decay }} decay to zero at {{ max_m }} m; diminishing
credit for the 2nd…{{ k }}th amenity; category weights as in the table. Area: {{ source }} {{ match }},
buffer {{ buffer_m }} m, CRS {{ crs }}. Full method: <code>docs/methods.md</code>.</p>
<table>
<tr><td>Extract</td><td>{{ extract }}</td></tr>
<tr><td>SHA-256</td><td><code>{{ sha }}</code></td></tr>
<tr><td>OSM data date</td><td>{{ osm_ts }}</td></tr>
<tr><td>Created (UTC)</td><td>{{ created }}</td></tr>
</table>
<footer>{{ attribution }}. 地图数据 © OpenStreetMap 贡献者，ODbL 1.0 许可。</footer>
</body></html>
"""


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _outline(ax, geom) -> None:
    import shapely

    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            x, y = ring.xy
            ax.plot(x, y, color="black", lw=1.2)


def _figures(a: Assessment) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    aspect = 1.0 / max(np.cos(np.radians(float(np.mean(a.nodes["lat"])))), 0.1)
    fig, ax = plt.subplots(figsize=(6, 6))
    e = a.network
    segs = np.stack(
        [
            np.column_stack([e.lon[e.edge_u], e.lat[e.edge_u]]),
            np.column_stack([e.lon[e.edge_v], e.lat[e.edge_v]]),
        ],
        axis=1,
    )
    from matplotlib.collections import LineCollection

    ax.add_collection(LineCollection(segs, colors="#cccccc", linewidths=0.4))
    sc = ax.scatter(a.nodes["lon"], a.nodes["lat"], c=a.nodes["score"], s=2, cmap="viridis", vmin=0, vmax=10)
    _outline(ax, a.area.park)
    ax.set_aspect(aspect)
    ax.set_xlabel("lon")
    ax.set_ylabel("lat")
    fig.colorbar(sc, ax=ax, shrink=0.7, label="score (0–10)")
    fig_nodes = _png(fig)

    fig, ax = plt.subplots(figsize=(6, 6))
    a.cells.plot(
        column="score",
        ax=ax,
        cmap="viridis",
        vmin=0,
        vmax=10,
        edgecolor="white",
        linewidth=0.3,
        legend=True,
        legend_kwds={"shrink": 0.7, "label": "score (0–10)"},
        missing_kwds={"color": "#eeeeee"},
    )
    _outline(ax, a.area.park)
    scored = a.cells[a.cells["n_nodes"] > 0]
    if len(scored):  # zoom to where the network is: the buffer may reach beyond the extract
        w, s_, e_, n_ = scored.total_bounds
        ax.set_xlim(w - 0.002, e_ + 0.002)
        ax.set_ylim(s_ - 0.002, n_ + 0.002)
    ax.set_aspect(aspect)
    fig_cells = _png(fig)

    cats = a.summary["categories"]
    keys = list(cats)
    shares = [cats[k]["share_within_15min"] or 0.0 for k in keys]
    fig, ax = plt.subplots(figsize=(9, 3.2))
    ax.bar([cats[k]["en"] for k in keys], shares, color="#2a7f62")
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of park")
    ax.tick_params(axis="x", rotation=40)
    for lbl in ax.get_xticklabels():
        lbl.set_ha("right")
    fig_cover = _png(fig)
    return {"fig_nodes": fig_nodes, "fig_cells": fig_cells, "fig_cover": fig_cover}


def write_report(a: Assessment, path: Path) -> Path:
    """Render the report of an assessment to ``path`` (one HTML file, no external resources)."""
    s = a.summary
    env = jinja2.Environment(autoescape=True)
    tmpl = env.from_string(_TEMPLATE)
    score = s["life_convenience_score"]
    cats = s["categories"]
    ranked = sorted(((v["share_within_15min"] or 0.0, v) for v in cats.values()), key=lambda p: p[0])
    weakest = ranked[0][1] if ranked else None
    minutes = f"{a.settings.coverage_minutes:g}"
    sentence_en = (
        f"The park scores {score} out of 10 for everyday life within walking distance; the weakest "
        f"category is {weakest['en'].lower()} ({(ranked[0][0] or 0) * 100:.0f}% of the park within "
        f"{minutes} minutes)."
        if weakest
        else ""
    )
    sentence_zh = (
        f"园区生活便利度评分为 {score}/10；最薄弱的类别是{weakest['zh']}"
        f"（{minutes} 分钟步行可达 {(ranked[0][0] or 0) * 100:.0f}%）。"
        if weakest
        else ""
    )
    match = s["area"].get("match") or {}
    html = tmpl.render(
        name=a.area.name,
        version=s["parkscope_version"],
        score=score,
        nodes=s["network"]["nodes"],
        n_amenities=len(a.amenities),
        park_ha=f"{s['area']['park_area_m2'] / 1e4:.1f}",
        sentence_en=sentence_en,
        sentence_zh=sentence_zh,
        h3_res=a.settings.h3_resolution,
        minutes=minutes,
        cover_m=f"{a.settings.coverage_distance_m:.0f}",
        categories=list(cats.items()),
        pct=lambda v: "–" if v is None else f"{100 * v:.0f}%",
        num=lambda v: "–" if v is None else f"{v:.0f}",
        k=a.settings.k,
        max_m=f"{a.settings.max_distance_m:g}",
        full_m=f"{a.settings.full_credit_m:g}",
        decay=a.settings.decay,
        source=a.area.source,
        match=(f"({match['osm_type']}/{match['osm_id']}, {match['tag']}={match['value']})" if match else ""),
        buffer_m=f"{a.area.buffer_m:g}",
        crs=s["area"]["crs"],
        extract=s["provenance"]["extract"],
        sha=s["provenance"]["extract_sha256"],
        osm_ts=s["provenance"]["osm_timestamp"] or "unknown",
        created=s["provenance"]["created_utc"],
        attribution=s["provenance"]["attribution"],
        **_figures(a),
    )
    path.write_text(html, encoding="utf-8")
    return path
