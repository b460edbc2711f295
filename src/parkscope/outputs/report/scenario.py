"""The report's "Difference maps" section for a scenario (``summary.scenario``, cells ``<x>_delta``)."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
import shapely

from parkscope.planning.difference import within_column

#: Cell differences drawn, with their titles.
DIFFERENCE_MAPS: tuple[tuple[str, str], ...] = (
    ("score_delta", "Life-convenience score, after − before"),
    ("coordination_D_delta", "Coupling coordination D, after − before"),
    ("jobs_housing_ratio_15min_delta", "Jobs / residents within the coverage walk, after − before"),
)


def within_delta(column: str, columns: Any) -> str:
    """``jobs_housing_ratio_15min_delta`` as the cells spell it for the run's coverage minutes."""
    if not column.endswith("_delta"):
        return column
    return within_column(column.removesuffix("_delta"), columns) + "_delta"


def _png(cells: Any, column: str, title: str, park: Any) -> str:
    """A diverging map of one difference column as a base64 PNG (blue: better, red: worse)."""
    import matplotlib  # noqa: PLC0415  (optional heavy dependency, as in report.figures)

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    values = cells[column].to_numpy(dtype=np.float64)
    bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
    fig, ax = plt.subplots(figsize=(6, 6))
    cells.plot(ax=ax, column=column, cmap="RdBu", vmin=-(bound or 1.0), vmax=bound or 1.0, legend=True,
               missing_kwds={"color": "#eeeeee"}, linewidth=0)
    for part in shapely.get_parts(park) if park is not None else ():
        if part.geom_type == "Polygon":
            ax.plot(*part.exterior.xy, color="black", linewidth=1.0)  # the park's outline
    ax.set_title(title, fontsize=10)
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def difference_section(a: Any) -> dict[str, Any] | None:
    """Rows (park figures before, after, delta) and maps of a scenario; None for a plain assessment."""
    block = a.summary.scenario if a.summary is not None else None
    if block is None:
        return None
    rows = [
        {"figure": key, "before": f["before"], "after": f["after"], "delta": f["delta"]}
        for key, f in block.figures.items()
        if f["before"] != f["after"]
    ]
    maps = [
        {"title": title, "png": _png(a.cells, col, title, getattr(a.area, "park", None))}
        for col, title in ((within_delta(c, a.cells.columns), t) for c, t in DIFFERENCE_MAPS)
        if col in a.cells.columns
    ]
    return {"changes": block.changes, "rows": rows, "maps": maps}
