"""PNG figures beside the report: the map, the five-park radar and the coverage bars (matplotlib).

Chinese labels need a CJK font; :func:`find_cjk_font` looks for one (Noto Sans CJK from Debian's
``fonts-noto-cjk`` first). Without one the figures fall back to English-only labels, with a warning
that names the package: a figure never shows tofu boxes.
"""

from __future__ import annotations

import glob
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely

from parkscope.files.io import atomic_output
from parkscope.settings.vocabulary import LAG_COLOURS

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from parkscope.assessment import Assessment

log = logging.getLogger(__name__)

#: CJK font families, preferred first (simplified Chinese forms before the others).
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Noto Sans CJK TC", "Noto Sans CJK JP",
    "Noto Sans CJK HK", "Noto Sans CJK KR", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei",
    "PingFang SC", "Hiragino Sans GB", "SimHei", "Droid Sans Fallback", "Noto Serif CJK SC", "AR PL UMing CN",
)
#: Where font files are looked for when matplotlib's font cache predates the font's installation.
_FONT_GLOBS: tuple[str, ...] = (
    "/usr/share/fonts/**/*CJK*", "/usr/share/fonts/**/wqy*", "/usr/share/fonts/**/DroidSansFallback*",
    "/usr/share/fonts/**/SourceHan*", "/usr/local/share/fonts/**/*CJK*", "~/.fonts/**/*CJK*",
    "~/.local/share/fonts/**/*CJK*", "/Library/Fonts/*", "/System/Library/Fonts/PingFang*",
    "C:/Windows/Fonts/msyh*", "C:/Windows/Fonts/simhei*",
)
FIGURES: tuple[str, ...] = ("map.png", "radar.png", "coverage.png")
_LAG_COLOURS = {k: c for k, c in LAG_COLOURS.items() if k}


def find_cjk_font() -> str | None:
    """Name of an installed CJK font family matplotlib can use, or None.

    Looks in matplotlib's font list first, then in the usual font folders (a font installed after
    matplotlib built its cache is not in the list yet) and registers what it finds.
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        return next((fam for fam in CJK_FAMILIES if fam in names), None)

    found = known()
    if found:
        return found
    for pattern in _FONT_GLOBS:
        for path in sorted(glob.glob(os.path.expanduser(pattern), recursive=True)):
            if path.lower().endswith((".ttc", ".ttf", ".otf")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError) as exc:  # a broken font file is skipped
                    log.debug("font %s not usable: %s", path, exc)
    return known()


@contextmanager
def _style(font: str | None) -> Iterator[None]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rc: dict[str, Any] = {"axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100}
    if font:
        # the CJK face renders Latin too; DejaVu Sans backs up symbols it lacks
        rc.update({"font.family": "sans-serif", "font.sans-serif": [font, "DejaVu Sans"]})
    with plt.rc_context(rc):
        yield


def _save(fig: Any, path: Path) -> None:
    """Write a figure whole or not at all (a hidden temporary file, then renamed)."""
    import matplotlib.pyplot as plt

    try:
        with atomic_output(path, overwrite=True) as tmp:
            fig.savefig(tmp, format="png", dpi=130, bbox_inches="tight")
    finally:
        plt.close(fig)


def _label(en: str, zh: str, cjk: bool, sep: str = " · ") -> str:
    return f"{zh}{sep}{en}" if cjk else en


def _project(geoms: Any, crs: Any) -> np.ndarray:
    from pyproj import Transformer

    tf = Transformer.from_crs(4326, crs, always_xy=True)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))


def _draw_polys(ax: Any, geoms: np.ndarray, **kw: Any) -> None:
    from matplotlib.collections import PolyCollection

    rings = [np.asarray(p.exterior.coords) for g in geoms for p in shapely.get_parts(g) if p.geom_type == "Polygon"]
    if rings:
        ax.add_collection(PolyCollection(rings, **kw))


def _draw_lines(ax: Any, geoms: np.ndarray, **kw: Any) -> None:
    from matplotlib.collections import LineCollection

    lines = [np.asarray(p.coords) for g in geoms for p in shapely.get_parts(g) if p.geom_type == "LineString"]
    if lines:
        ax.add_collection(LineCollection(lines, **kw))


def _map_figure(a: Assessment, basemap: dict[str, gpd.GeoDataFrame] | None, cjk: bool) -> Any:
    import matplotlib.pyplot as plt
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    crs = a.area.crs
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.set_facecolor("#f2efe9")
    if basemap:
        _draw_polys(ax, _project(basemap["green"].geometry, crs), facecolors="#cde6c0", edgecolors="none")
        water = _project(basemap["water"].geometry, crs)
        _draw_polys(ax, water, facecolors="#aad3df", edgecolors="none")
        _draw_lines(ax, water, colors="#7fb6c9", linewidths=0.8)
        _draw_polys(ax, _project(basemap["buildings"].geometry, crs), facecolors="#d9d0c9", edgecolors="#c4b6ab",
                    linewidths=0.2)
        streets = basemap["streets"]
        for cls, colour, width in (("path", "#fa8072", 0.3), ("minor", "#ffffff", 0.8),
                                   ("secondary", "#fefcd6", 1.3), ("major", "#f7c873", 1.8)):
            _draw_lines(ax, _project(streets.geometry[streets["class"] == cls], crs), colors=colour, linewidths=width)
    else:  # no extract at hand: the walk network stands in for the streets
        e = a.network
        from matplotlib.collections import LineCollection

        xy = shapely.get_coordinates(_project(shapely.points(e.lon, e.lat), crs))
        segs = np.stack([xy[e.edge_u], xy[e.edge_v]], axis=1)
        ax.add_collection(LineCollection(segs, colors="#bbbbbb", linewidths=0.4))
    cells = a.cells
    scored = cells[np.isfinite(cells["score"].to_numpy(dtype=float))]
    norm = Normalize(0, 10)
    cmap = plt.get_cmap("viridis")
    geoms = _project(scored.geometry, crs)
    from matplotlib.collections import PolyCollection

    rings = [np.asarray(g.exterior.coords) for g in geoms]
    ax.add_collection(PolyCollection(rings, facecolors=cmap(norm(scored["score"].to_numpy(dtype=float))),
                                     edgecolors="white", linewidths=0.3, alpha=0.6))
    park = _project([a.area.park], crs)
    _draw_lines(ax, [shapely.boundary(park[0])], colors="black", linewidths=2.0)
    if len(geoms):
        x0, y0, x1, y1 = shapely.total_bounds(geoms)
    else:
        x0, y0, x1, y1 = shapely.total_bounds(park)
    pad = 0.02 * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - pad, x1 + pad)
    ax.set_ylim(y0 - pad, y1 + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, shrink=0.6, label=_label("score (0–10)", "评分", cjk))
    score = a.summary.life_convenience_score
    ax.set_title(
        _label(f"Life-convenience score of the walk network: {score if score is not None else '–'} / 10",
               "步行网络生活便利度评分", cjk, "\n"),
        fontsize=11,
    )
    ax.text(0.99, 0.01, "© OpenStreetMap contributors, ODbL 1.0", transform=ax.transAxes, ha="right",
            va="bottom", fontsize=7, color="#333333", bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    return fig


def _radar_figure(a: Assessment, cjk: bool) -> Any:
    import matplotlib.pyplot as plt

    five = a.summary.five_park.dimensions() if a.summary.five_park is not None else {}
    keys = list(five)
    fig = plt.figure(figsize=(6.4, 6.4))
    ax = fig.add_subplot(projection="polar")
    n = max(len(keys), 1)
    ax.set_theta_offset(np.pi / 2)  # first dimension at the top, then clockwise
    ax.set_theta_direction(-1)
    angles = 2 * np.pi * np.arange(n) / n
    labels = []
    for k in keys:
        d = five[k]
        score, cov = d.score, d.coverage
        cov_pct = f"{100 * (cov or 0):.0f}%"
        if cjk:
            value = "无数据 no data" if score is None else f"{score:.0f}"
            labels.append(f"{(d.zh or k)} · {(d.en or k)}\n{value} (数据 data {cov_pct})")
        else:
            value = "no data" if score is None else f"{score:.0f}"
            labels.append(f"{(d.en or k)}\n{value} (data {cov_pct})")
    ax.set_xticks(angles[: len(keys)])
    ax.set_xticklabels(labels, fontsize=8.5)
    ax.tick_params(axis="x", pad=14)
    ax.set_xlim(0, 2 * np.pi)
    ax.set_ylim(0, 100)
    ax.set_yticks([20, 40, 60, 80, 100])
    ax.tick_params(axis="y", labelsize=7, colors="#777777")
    have = [i for i, k in enumerate(keys) if five[k].score is not None]
    if have:
        th = np.append(angles[have], angles[have[0]])
        r = np.append([five[keys[i]].score for i in have], five[keys[have[0]]].score)
        ax.plot(th, r, color="#2a7f62", lw=2)
        ax.fill(th, r, color="#2a7f62", alpha=0.25)
        ax.scatter(angles[have], r[:-1], color="#2a7f62", zorder=3)
    missing = [i for i, k in enumerate(keys) if five[k].score is None]
    if missing:
        ax.scatter(angles[missing], [50] * len(missing), marker="x", color="#999999", zorder=3)
    ax.set_title(_label("Five-park scorecard (0–100)", "五型园区评分", cjk, "\n"), fontsize=11, pad=24)
    return fig


def _coverage_figure(a: Assessment, cjk: bool) -> Any:
    import matplotlib.pyplot as plt

    cats = a.summary.categories
    keys = list(cats)[::-1]
    shares = np.array([(cats[k].share_within or 0.0) * 100 for k in keys])
    fig, ax = plt.subplots(figsize=(8, 0.38 * len(keys) + 1.4))
    ax.barh([_label(cats[k].en, cats[k].zh, cjk) for k in keys], shares, color="#2a7f62")
    for i, v in enumerate(shares):
        ax.text(v + 1, i, f"{v:.0f}%", va="center", fontsize=8)
    ax.set_xlim(0, 110)
    minutes = f"{a.settings.coverage_minutes:g}"
    ax.set_xlabel(_label(f"% of the park within a {minutes}-minute walk", f"{minutes} 分钟步行可达的园区比例", cjk, " / "))
    ax.set_title(_label("Coverage by category", "各类设施覆盖率", cjk, " · "), fontsize=11)
    return fig


def write_figures(
    assessment: Assessment, folder: str | Path, *, basemap: dict[str, gpd.GeoDataFrame] | None = None
) -> dict[str, Any]:
    """Write ``map.png``, ``radar.png`` and ``coverage.png`` into ``folder``.

    Parameters
    ----------
    assessment : Assessment
    folder : str or Path
        Where to write (usually the folder of report.html).
    basemap : dict of GeoDataFrame, optional
        :func:`parkscope.outputs.report.basemap.basemap_layers` of the area; without it the map shows the
        walk network instead of the base map.

    Returns
    -------
    dict
        ``paths`` (name → Path) and ``font``: the CJK font family used, or None when none was found
        (the labels are then English only).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    font = find_cjk_font()
    if font is None:
        log.warning(
            "No CJK font found (e.g. Noto Sans CJK: Debian/Ubuntu package fonts-noto-cjk, or run "
            "scripts/install-browser.sh): the PNG figures get English-only labels"
        )
    cjk = font is not None
    paths = {}
    with _style(font):
        for name, make in (
            ("map.png", lambda: _map_figure(assessment, basemap, cjk)),
            ("radar.png", lambda: _radar_figure(assessment, cjk)),
            ("coverage.png", lambda: _coverage_figure(assessment, cjk)),
        ):
            path = folder / name
            _save(make(), path)
            paths[name] = path
    return {"paths": paths, "font": font}
