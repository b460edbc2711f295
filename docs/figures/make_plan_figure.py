"""README figure: the brief's story worked through on the demo park (Humboldt-Universität Campus Adlershof).

Reads the folders that the README's four commands write (run them first, from the project root):

    parkscope assess src/parkscope/data/berlin-adlershof.osm.pbf \\
      --park "Humboldt-Universität Campus Adlershof" --buffer 350 -o out/demo
    parkscope plan out/demo --target 8.35 --categories dining,lodging,sports,parks -o out/demo-plan
    parkscope scenario out/demo --changes out/demo-plan/plan.geojson -o out/demo-after
    parkscope project out/demo --years 10 --scenario out/demo-after -o out/demo-10y
    parkscope project out/demo --years 10 -o out/demo-10y-base
    .venv/bin/python docs/figures/make_plan_figure.py [OUT]    # OUT: the folder holding them (default out)

Writes docs/figures/plan-example.png: left, the park, its streets coloured by how much the plan
raises each node's score, the existing amenities of the planned categories and the additions
numbered in the plan's order; right, the 10-year projection of the amenity stock and of D with
and without the plan (median and 5-95 % band of the Monte-Carlo runs). Prints the figures the
README quotes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIGURE = ROOT / "docs" / "figures" / "plan-example.png"
COLOURS = {"dining": "#e6550d", "lodging": "#756bb1", "sports": "#3182bd", "parks": "#31a354"}
for _font in ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc"):  # Debian's fonts-noto-cjk
    if (Path("/usr/share/fonts/opentype/noto") / _font).exists():  # matplotlib does not list .ttc by itself
        font_manager.fontManager.addfont(f"/usr/share/fonts/opentype/noto/{_font}")
plt.rcParams["font.family"] = ["DejaVu Sans", "Noto Sans CJK SC"]


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def street_segments(outdir: Path, after: Path) -> tuple[np.ndarray, np.ndarray]:
    """Each edge of network.parquet as a lon/lat segment, with the mean score gain of its two ends."""
    nodes = pd.read_parquet(outdir / "nodes.parquet", columns=["node_id", "lon", "lat", "score"])
    gain = pd.read_parquet(after / "nodes.parquet", columns=["node_id", "score"])
    gain = gain.set_index("node_id")["score"]
    nodes = nodes.set_index("node_id")
    nodes["gain"] = gain.reindex(nodes.index) - nodes["score"]
    edges = pd.read_parquet(outdir / "network.parquet", columns=["u", "v"])
    u, v = nodes.loc[edges["u"]], nodes.loc[edges["v"]]
    segs = np.stack([u[["lon", "lat"]].to_numpy(), v[["lon", "lat"]].to_numpy()], axis=1)
    return segs, (u["gain"].to_numpy() + v["gain"].to_numpy()) / 2


def draw_map(ax: plt.Axes, outdir: Path, plandir: Path, after: Path) -> None:
    summary, plan_s = _json(outdir / "summary.json"), _json(plandir / "summary.json")
    segs, gain = street_segments(outdir, after)
    lines = LineCollection(segs, cmap="YlOrRd", linewidths=1.2, zorder=1)
    lines.set_array(np.clip(gain, 0, None))
    ax.add_collection(lines)
    plt.colorbar(lines, ax=ax, orientation="horizontal", shrink=0.7, pad=0.02, aspect=40,
                 label="score gain of each street (the mean of its two nodes, 0-10 scale)")
    park = shapely.from_wkt(summary["area"]["park_wkt"])
    gpd.GeoSeries([park], crs=4326).boundary.plot(ax=ax, color="black", linewidth=1.6, zorder=2)
    cats = plan_s["categories"]
    amen = pd.read_parquet(outdir / "amenities.parquet", columns=["category", "lon", "lat"])
    for cat in cats:
        a = amen[amen["category"] == cat]
        ax.scatter(a["lon"], a["lat"], s=14, marker="o", facecolor="white",
                   edgecolor=COLOURS.get(cat, "grey"), linewidth=1.2, zorder=3)
    plan = gpd.read_file(plandir / "plan.geojson")
    seen: dict[tuple[float, float], int] = {}
    for row in plan.itertuples():
        key = (round(row.geometry.x, 7), round(row.geometry.y, 7))
        shift = seen.get(key, 0)  # two additions at one building: side by side
        seen[key] = shift + 1
        x, y = row.geometry.x + shift * 0.00045, row.geometry.y
        ax.scatter([x], [y], s=230, color=COLOURS.get(row.category, "grey"), edgecolor="black", zorder=4)
        ax.annotate(str(row.order), (x, y), ha="center", va="center", color="white", fontsize=8,
                    fontweight="bold", zorder=5)
    handles = [Line2D([], [], marker="o", ls="", mfc="white", mec=COLOURS.get(c, "grey"),
                      label=f"{c}: existing") for c in cats]
    handles += [Line2D([], [], marker="o", ls="", ms=11, mfc=COLOURS.get(c, "grey"), mec="black",
                       label=f"{c}: added") for c in cats if c in set(plan["category"])]
    handles.append(Line2D([], [], color="black", lw=1.6, label="park (campus outline)"))
    ax.legend(handles=handles, loc="lower left", fontsize=7, framealpha=0.9)
    (minx, miny), (maxx, maxy) = segs.reshape(-1, 2).min(axis=0), segs.reshape(-1, 2).max(axis=0)
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect(1 / np.cos(np.radians((miny + maxy) / 2)))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_title(
        f"{summary['area']['name']}: employees' score {plan_s['baseline_score']:.2f} -> "
        f"{plan_s['achieved_score']:.2f}\n(target {plan_s['target']:g}) with {plan_s['additions']} "
        "additions, "
        f"numbered in the plan's order; at least {plan_s['bound']:g} needed", fontsize=9)


def band(ax: plt.Axes, proj: pd.DataFrame, col: str, colour: str, label: str) -> None:
    ax.fill_between(proj["year"], proj[f"{col}_p5"], proj[f"{col}_p95"], color=colour, alpha=0.25, lw=0)
    ax.plot(proj["year"], proj[f"{col}_p50"], color=colour, lw=1.8, label=label)


def draw_projection(ax_a: plt.Axes, ax_d: plt.Axes, with_plan: Path, without: Path) -> None:
    p1, p0 = pd.read_csv(with_plan / "projection.csv"), pd.read_csv(without / "projection.csv")
    band(ax_a, p1, "amenities", "#d95f02", "with the plan (median, 5-95 %)")
    band(ax_a, p0, "amenities", "#7570b3", "no change")
    ax_a.set_ylabel("commercial amenities (stock)")
    ax_a.set_title("10-year what-if (PySD stock-flow model, 200 seeded runs)", fontsize=9)
    ax_a.legend(fontsize=7)
    band(ax_d, p1, "coordination_D", "#d95f02", "with the plan")
    band(ax_d, p0, "coordination_D", "#7570b3", "no change")
    ax_d.set_ylabel("coupling coordination D (耦合协调度)")
    ax_d.set_xlabel("year")
    last = p1.iloc[-1]
    ax_d.set_title(f"{int(last['year'])}: D {last['coordination_D_p50']:.3f}, {last['class_zh']} "
                   f"({last['class_en']}), {last['lag_type']}", fontsize=9)
    ax_d.ticklabel_format(axis="y", useOffset=False)


def report(out: Path) -> None:
    """Print the figures the README quotes."""
    base, plan_s = _json(out / "demo" / "summary.json"), _json(out / "demo-plan" / "summary.json")
    after = _json(out / "demo-after" / "summary.json")
    plan = pd.read_csv(out / "demo-plan" / "plan.csv")
    keys = ("baseline_score", "target", "achieved_score", "additions", "bound")
    print("plan:", {k: plan_s[k] for k in keys})
    print("additions per category:", plan["category"].value_counts().to_dict())
    print("scenario", plan_s["score_key"], after[plan_s["score_key"]], "D",
          base["integration"]["coordination_D"], "->", after["integration"]["coordination_D"],
          base["integration"]["lag_type"], "->", after["integration"]["lag_type"])
    for name in ("demo-10y", "demo-10y-base"):
        p = pd.read_csv(out / name / "projection.csv")
        first, last = p.iloc[0], p.iloc[-1]
        print(name, int(first["year"]), "->", int(last["year"]), {
            c: tuple(round(float(v), 4) for v in (first[c], *last[[f"{c}_p50", f"{c}_p5", f"{c}_p95"]]))
            for c in ("jobs", "residents", "amenities", "coordination_D")})


def main(out: Path) -> None:
    fig = plt.figure(figsize=(13.5, 7.4))
    grid = fig.add_gridspec(2, 2, width_ratios=(1.45, 1), hspace=0.3, wspace=0.22)
    draw_map(fig.add_subplot(grid[:, 0]), out / "demo", out / "demo-plan", out / "demo-after")
    draw_projection(fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1]), out / "demo-10y",
                    out / "demo-10y-base")
    fig.text(0.01, 0.01, "OSM data © OpenStreetMap contributors (ODbL 1.0), bundled extract of 2023-01-28. "
             "The projection is a what-if under the assumptions in docs/projection.md, not a forecast.",
             fontsize=7, color="#555555")
    fig.savefig(FIGURE, dpi=110, bbox_inches="tight")
    print(f"wrote {FIGURE.relative_to(ROOT)}")
    report(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "out")
