"""network.html: the collaboration network as one offline, bilingual (中文/English) page.

BokehJS is inlined from the installed ``bokeh`` package as in the main report, so the page works
with no network. The map draws actors at their WGS84 positions (no base map: tiles would need the
network) and the strongest links; charts show the country-by-country link matrix, the kind mix and
the field mix. Page text switches language with a button; chart titles carry both languages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from parkscope.cooperation.kinds import KIND_ZH, KINDS
from parkscope.files.io import template_env

if TYPE_CHECKING:  # pragma: no cover
    from parkscope.cooperation.analysis import NetworkResult

#: Links drawn on the map at most (the heaviest); every link is in links.parquet.
MAX_DRAWN_LINKS = 4000
#: Countries in the country-by-country matrix at most (the most linked).
MAX_MATRIX_COUNTRIES = 25
KIND_COLOURS = {
    "park": "#d62728",
    "incubator": "#ff7f0e",
    "cluster": "#9467bd",
    "university": "#1f77b4",
    "research": "#17becf",
    "firm": "#2ca02c",
    "public": "#8c564b",
    "other": "#7f7f7f",
}


def _map(result: NetworkResult) -> Any:
    from bokeh.models import ColumnDataSource, HoverTool
    from bokeh.plotting import figure

    a = result.actors
    placed = a[a["placed"]].copy()
    fig = figure(
        height=520,
        sizing_mode="stretch_width",
        match_aspect=True,
        name="net-map",
        title="Actors and strongest links · 创新主体与主要合作联系 (lon/lat, WGS84)",
        tools="pan,wheel_zoom,box_zoom,reset,save",
        active_scroll="wheel_zoom",
    )
    pos = placed.set_index("actor_id")[["lon", "lat"]]
    links = result.links[result.links["a"].isin(pos.index) & result.links["b"].isin(pos.index)]
    links = links.nlargest(MAX_DRAWN_LINKS, "weight")
    if len(links):
        pa, pb = pos.loc[links["a"]].to_numpy(), pos.loc[links["b"]].to_numpy()
        xs = np.column_stack([pa[:, 0], pb[:, 0]]).tolist()
        ys = np.column_stack([pa[:, 1], pb[:, 1]]).tolist()
        fig.multi_line(xs, ys, line_color="#8899a6", line_alpha=0.25, line_width=0.7)
    size = 4 + 10 * np.sqrt(placed["degree"] / max(float(placed["degree"].max()), 1.0))
    src = ColumnDataSource(
        {
            "x": placed["lon"].to_numpy(),
            "y": placed["lat"].to_numpy(),
            "size": size.to_numpy(),
            "name": placed["name"].astype("string").fillna("").to_numpy(dtype=object),
            "kind": placed["kind"].to_numpy(dtype=object),
            "country": placed["country"].astype("string").fillna("").to_numpy(dtype=object),
            "degree": placed["degree"].to_numpy(),
            "colour": placed["kind"].map(KIND_COLOURS).to_numpy(dtype=object),
            "line": np.where(placed["in_park"], "#000000", "#ffffff"),
        }
    )
    r = fig.scatter("x", "y", size="size", fill_color="colour", line_color="line", fill_alpha=0.8, source=src)
    fig.add_tools(
        HoverTool(
            renderers=[r],
            tooltips=[("", "@name"), ("kind", "@kind"), ("country", "@country"), ("partners", "@degree")],
        )
    )
    fig.xaxis.axis_label, fig.yaxis.axis_label = "longitude 经度", "latitude 纬度"
    return fig


def _bars(
    name: str, title: str, labels: list[str], values: list[float], colours: list[str] | None = None
) -> Any:
    from bokeh.plotting import figure

    fig = figure(
        y_range=list(reversed(labels)),
        height=max(180, 24 * len(labels) + 60),
        name=name,
        sizing_mode="stretch_width",
        title=title,
        toolbar_location=None,
    )
    fig.hbar(y=labels, right=values, height=0.7, color=colours or "#2a7f62")
    fig.x_range.start = 0
    return fig


def _country_matrix(result: NetworkResult) -> Any:
    from bokeh.models import ColumnDataSource, HoverTool, LinearColorMapper
    from bokeh.plotting import figure

    country = result.actors.set_index("actor_id")["country"].astype("string")
    ca, cb = country.reindex(result.links["a"]).to_numpy(), country.reindex(result.links["b"]).to_numpy()
    frame = pd.DataFrame({"a": ca, "b": cb}).dropna()
    both = pd.concat([frame, frame.rename(columns={"a": "b", "b": "a"})[frame["a"] != frame["b"]]])
    counts = both.groupby(["a", "b"]).size().rename("links").reset_index()
    top = counts.groupby("a")["links"].sum().nlargest(MAX_MATRIX_COUNTRIES).index.tolist()
    counts = counts[counts["a"].isin(top) & counts["b"].isin(top)]
    fig = figure(
        x_range=top,
        y_range=list(reversed(top)),
        height=520,
        width=560,
        name="net-matrix",
        title="Links between countries · 国家间合作联系数",
        toolbar_location=None,
    )
    if len(counts):
        mapper = LinearColorMapper(palette="Viridis256", low=0, high=float(np.log1p(counts["links"]).max()))
        src = ColumnDataSource(
            {
                "a": counts["a"].to_numpy(dtype=object),
                "b": counts["b"].to_numpy(dtype=object),
                "links": counts["links"].to_numpy(),
                "v": np.log1p(counts["links"]).to_numpy(),
            }
        )
        r = fig.rect(
            "a", "b", 1, 1, source=src, fill_color={"field": "v", "transform": mapper}, line_color=None
        )
        fig.add_tools(HoverTool(renderers=[r], tooltips=[("", "@a – @b"), ("links", "@links")]))
    fig.xaxis.major_label_orientation = 1.0
    return fig


def _fields(result: NetworkResult) -> tuple[list[str], list[float]]:
    net = result.network
    if net is None or net.projects is None or net.projects["field"].isna().all():
        return [], []
    counts = net.projects["field"].value_counts().head(15)
    return [str(x) for x in counts.index], [float(v) for v in counts.to_numpy()]


def render_network_report(result: NetworkResult) -> str:
    """network.html of a :class:`~parkscope.cooperation.analysis.NetworkResult` as one HTML string."""
    from bokeh.embed import components
    from bokeh.embed.bundle import bundle_for_objs_and_resources
    from bokeh.resources import INLINE

    s = result.summary
    kind_counts = s["by_kind"]
    roots = {
        "map": _map(result),
        "matrix": _country_matrix(result),
        "kinds": _bars(
            "net-kinds",
            "Actors by kind · 各类主体数",
            [f"{k} {KIND_ZH[k]}" for k in KINDS],
            [float(kind_counts[k]) for k in KINDS],
            [KIND_COLOURS[k] for k in KINDS],
        ),
    }
    field_labels, field_values = _fields(result)
    if field_labels:
        roots["fields"] = _bars(
            "net-fields", "Projects by field (CORDIS topic) · 各领域项目数", field_labels, field_values
        )
    script, divs = components(roots)
    bokeh_js = bundle_for_objs_and_resources(list(roots.values()), INLINE).scripts()
    return (
        template_env("parkscope.cooperation")
        .get_template("network.html.j2")
        .render(
            s=s,
            divs=divs,
            bokeh_js=bokeh_js,
            bokeh_script=script,
            kinds=KINDS,
            kind_zh=KIND_ZH,
            kind_colours=KIND_COLOURS,
            suggestions=None if result.suggestions is None else result.suggestions.to_dict("records"),
            max_links=MAX_DRAWN_LINKS,
        )
    )
