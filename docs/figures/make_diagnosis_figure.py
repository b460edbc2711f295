"""README figure: Porto Alegre's centre and a residential quarter, diagnosed with the real IPEA tables.

Run from the project root (about 15 s):

    .venv/bin/python docs/figures/make_diagnosis_figure.py

Writes docs/figures/porto-alegre-diagnosis.png and prints the figures quoted in the README.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import shapely  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from parkscope import assess  # noqa: E402
from parkscope.inputs.area import parse_bbox  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
OSM = ROOT.parent / "shared" / "data" / "osm" / "porto-alegre.osm.pbf"
TABLE = ROOT.parent / "shared" / "data" / "tables" / "porto-alegre-hexgrid.csv"
PLACES = {
    "Centro Histórico (CBD)": "-51.232,-30.034,-51.220,-30.026",
    "Cristal / Camaquã (residential)": "-51.230,-30.090,-51.215,-30.078",
}
LAG_COLOURS = {
    "industry_without_city": ("#d7301f", "industry without city (you chan wu cheng)"),
    "city_without_industry": ("#2b8cbe", "city without industry (you cheng wu chan)"),
    "balanced": ("#74c476", "balanced"),
}
NO_VERDICT = ("#d9d9d9", "no verdict: data missing")


def main() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 10))
    for row, (label, bbox) in enumerate(PLACES.items()):
        # each place assessed as a park of its own: the park plus its 2 km ring is the reference set
        a = assess(OSM, bbox=bbox, jobs=f"{TABLE}:jobs", residents=f"{TABLE}:population")
        cells = a.cells[a.cells["n_nodes"] > 0]
        ig = a.summary["integration"]
        ratio = cells["jobs_housing_ratio_15min"].clip(0.02, 20)
        cells.assign(ratio=ratio).plot(
            column="ratio", ax=axes[row, 0], cmap="RdBu_r", norm=LogNorm(0.05, 20), legend=True,
            legend_kwds={"label": "jobs per resident within a 15-min walk (log)", "shrink": 0.7},
        )
        colours = cells["lag_type"].map(lambda t: LAG_COLOURS.get(t, NO_VERDICT)[0])
        cells.plot(color=colours, ax=axes[row, 1], edgecolor="white", linewidth=0.2)
        axes[row, 0].set_title(
            f"{label}\njobs/resident within 15 min of the park: {ig['jobs_housing_ratio']:.2f} "
            f"({ig['jobs_housing_reading']})", fontsize=9)
        verdict = (
            f"lag type; park: U_ind {ig['industry']:.2f}, U_city {ig['city']:.2f}, "
            f"U_people {ig['people']:.2f}\nD = {ig['coordination_D']:.2f}, {ig['lag_type']}"
            + (f"\ncaution: {', '.join(c.split(' thin')[0] for c in ig['cautions'])} thin"
               if ig["cautions"] else "")
            if ig["status"] == "ok" else
            "no verdict: " + "; ".join(m.split(" (")[0] for m in ig["missing"])
            + "\n(grey: cells where the data cannot carry one)"
        )
        axes[row, 1].set_title(verdict, fontsize=9)
        box = shapely.box(*parse_bbox(bbox))
        for ax in axes[row]:
            ax.plot(*box.exterior.xy, color="black", linewidth=1.5)
            ax.tick_params(labelsize=7)
        print(f"{label}: park U = {ig['industry']}, {ig['city']}, {ig['people']}; D {ig['coordination_D']} "
              f"{(ig['class'] or {}).get('en')}; {ig['lag_type']}; {ig['status']} {ig['missing']}; "
              f"jobs {ig['jobs']} residents {ig['residents']} "
              f"ratio {ig['jobs_housing_ratio']} {ig['jobs_housing_reading']}; cells "
              f"{cells['lag_type'].value_counts().to_dict()}")
    legend = (*LAG_COLOURS.values(), NO_VERDICT)
    axes[0, 1].legend(handles=[Patch(color=c, label=lab) for c, lab in legend],
                      loc="lower left", fontsize=7)
    fig.suptitle("Porto Alegre with IPEA's jobs and census: the centre is jobs-heavy, the south "
                 "homes-heavy (too few amenities mapped there for a lag type)", fontsize=10)
    fig.text(0.01, 0.005, "Map data © OpenStreetMap contributors, ODbL 1.0. Jobs and population: IPEA "
             "Access to Opportunities (r5r sample data, MIT). parkscope diagnosis, H3 resolution 9; "
             "black frame = the park.", fontsize=7)
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    out = ROOT / "docs" / "figures" / "porto-alegre-diagnosis.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
