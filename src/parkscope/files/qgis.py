"""QGIS styles for the cells layer: QML documents and a GeoPackage's ``layer_styles`` table.

QGIS reads the styles of a GeoPackage layer from a table named ``layer_styles`` (the layout its OGR
provider creates through GDAL when you use *Save Style → In Database*); the row with
``useAsDefault = 1`` is applied when the layer is opened, the others are listed in
*Layer Properties → Style*. This module writes that table with :mod:`sqlite3`, registers it as an
``attributes`` table in ``gpkg_contents`` as GDAL would (so ``pyogrio.list_layers`` and QGIS's browser
list it), and writes readable field names twice: as ``<aliases>`` in every QML document, and in the
GeoPackage schema extension (``gpkg_data_columns``), from which GDAL ≥ 3.7 reads field alternative
names and QGIS shows them as aliases.

Styles of the cells layer
-------------------------
* ``life-convenience score`` (default): graduated on ``score``, ten classes of 1 point on 0–10, viridis
  (the report's colours).
* ``coordination D 耦合协调度``: graduated on ``coordination_D``, the ten classes of 0.1 with their
  Chinese and English names (:data:`parkscope.measures.indices.COORDINATION_CLASSES`).
* ``lag type 产城关系``: categorized on ``lag_type``: 有产无城 / 有城无产 / 产城协调, and the cells
  with no verdict (NULL: no walk node, or data missing).

QGIS gives a value to the first range that holds it, both ends included, so the ranges are listed from
the top class down: ``D = 0.7`` then falls in ``[0.7, 0.8]`` (level 8), as
:func:`parkscope.measures.indices.coordination_class` counts it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parkscope.errors import InputError
from parkscope.measures.indices import COORDINATION_CLASSES
from parkscope.settings.config import load_settings
from parkscope.settings.vocabulary import (
    COORDINATION_COLOURS,
    INDICATOR_BY_KEY,
    LAG_COLOURS,
    SHARE_COLUMN,
    default_key,
    minutes_label,
    within_minutes,
)

__all__ = [
    "LAG_TYPE_LABELS",
    "LayerStyle",
    "add_field_titles",
    "add_layer_styles",
    "coordination_style",
    "field_aliases",
    "field_descriptions",
    "lag_type_style",
    "layer_styles_for",
    "score_style",
    "style_gpkg_layer",
]

#: QGIS version written in the QML header: 3.28 LTR, the oldest release still common, reads it; newer
#: releases read it too (QGIS upgrades older documents on load).
QGIS_VERSION = "3.28.0-Firenze"
_DOCTYPE = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
#: ``styleName`` is declared TEXT(30) in QGIS's table.
MAX_STYLE_NAME = 30

# viridis at the middle of each tenth (matplotlib), the report's map colours for the 0–10 score
_VIRIDIS_10 = (
    "#471365", "#463480", "#3b528b", "#2f6c8e", "#25848e",
    "#1e9c89", "#2fb47c", "#5ec962", "#9bd93c", "#dfe318",
)
_VIRIDIS_STOPS = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")
_RDYLGN_10 = COORDINATION_COLOURS  # one palette with the report (parkscope.settings.vocabulary)
_RDYLGN_STOPS = ("#a50026", "#f98e52", "#feffbe", "#84ca66", "#006837")

#: Labels of the ``lag_type`` values, Chinese then English; ``""`` is QGIS's catch-all category: the
#: cells with no verdict (NULL: no walk node, or the data cannot carry one — ``data_status``).
LAG_TYPE_LABELS: dict[str, str] = {
    "industry_without_city": "有产无城 industry without city",
    "city_without_industry": "有城无产 city without industry",
    "balanced": "产城协调 balanced",
    "": "无判断 no verdict (no walk node or data missing)",
}
_LAG_COLOURS = LAG_COLOURS

# OGR geometry type names → QGIS symbol type and Qgis::GeometryType (0 point, 1 line, 2 polygon)
_GEOMETRY_KINDS = {"point": ("marker", 0), "line": ("line", 1), "polygon": ("fill", 2)}

_FIXED_ALIASES: dict[str, str] = {
    "h3": "H3 cell 六边形网格编号",
    "n_nodes": "Walk nodes 步行网络节点数",
    "area_m2": "Cell area (m²) 网格面积",
    "park_overlap_m2": "Area inside the park (m²) 园区内面积",
    "in_park": "In the park 位于园区内",
    "score": "Life-convenience score (0–10) 生活便利度评分",
    "jobs": "Jobs 就业岗位",
    "residents": "Residents 居住人口",
    "jobs_15min": "Jobs within 15 min 15分钟步行范围内就业岗位",
    "residents_15min": "Residents within 15 min 15分钟步行范围内居住人口",
    "jobs_housing_ratio_15min": "Jobs/residents within 15 min 15分钟步行范围职住比",
    "housing_floor_m2": "Housing floor area (m²) 居住建筑面积",
    "workplace_floor_m2": "Workplace floor area (m²) 产业建筑面积",
    "industry": "Industry index (0–1) 产业子系统指数",
    "city": "City index (0–1) 城市子系统指数",
    "people": "People index (0–1) 人口子系统指数",
    "coupling_C": "Coupling C (0–1) 耦合度",
    "development_T": "Development T (0–1) 综合发展指数",
    "coordination_D": "Coupling coordination D (0–1) 耦合协调度",
    "coordination_level": "Coordination level (1–10) 协调等级",
    "coordination_class_zh": "Coordination class (Chinese) 协调类型",
    "coordination_class_en": "Coordination class (English) 协调类型（英文）",
    "lag_type": "Lag type 产城关系类型",
}

_DESCRIPTIONS: dict[str, str] = {
    "h3": "H3 cell id (resolution from [grid] h3_resolution, default 9).",
    "score": "Mean life-convenience score of the walk nodes in the cell, 0-10 (docs/methods.md).",
    "industry": "Industry subsystem index U1 in [0, 1]: weighted normalised industry indicators.",
    "city": "City subsystem index U2 in [0, 1]: weighted normalised city indicators.",
    "people": "People subsystem index U3 in [0, 1]: weighted normalised people indicators.",
    "coupling_C": "Coupling degree C of the three subsystem indices, in [0, 1].",
    "development_T": "Comprehensive development index T = sum of alpha_i * U_i, in [0, 1].",
    "coordination_D": "Coupling coordination degree D = sqrt(C * T), in [0, 1]; ten classes of 0.1.",
    "coordination_level": "Class of D: 1 (extreme imbalance, D < 0.1) to 10 (high-quality, D >= 0.9).",
    "lag_type": "industry_without_city (the city lags), city_without_industry (industry lags), "
    "balanced, or empty for cells without walk nodes.",
    "jobs": "Jobs allocated to the cell (user table, or estimated from OSM building floor area).",
    "residents": "Residents allocated to the cell (user table, or estimated from OSM building floor area).",
}


@dataclass(frozen=True)
class LayerStyle:
    """One row of ``layer_styles``: a named QML document.

    Attributes
    ----------
    name : str
        ``styleName``, shown in QGIS's style combo box (at most 30 characters).
    qml : str
        The QML document (``styleQML``).
    description : str
        Shown as the style's tooltip in QGIS.
    default : bool
        ``useAsDefault``: applied when the layer is opened. At most one per layer.
    """

    name: str
    qml: str
    description: str = ""
    default: bool = False


# --------------------------------------------------------------------------------------------- QML
def _rgba(colour: str, alpha: int = 255) -> str:
    c = colour.lstrip("#")
    return f"{int(c[0:2], 16)},{int(c[2:4], 16)},{int(c[4:6], 16)},{alpha}"


def _options(parent: ET.Element, props: Mapping[str, str]) -> None:
    """Symbol-layer and ramp properties in both encodings QGIS reads.

    ``<Option type="Map">`` is what QGIS ≥ 3.26 writes and reads first; ``<prop k v>`` is what older
    3.x releases read.
    """
    opt = ET.SubElement(parent, "Option", type="Map")
    for k, v in props.items():
        ET.SubElement(opt, "Option", type="QString", name=k, value=v)
    for k, v in props.items():
        ET.SubElement(parent, "prop", k=k, v=v)


def _empty_data_defined(parent: ET.Element) -> None:
    dd = ET.SubElement(parent, "data_defined_properties")
    opt = ET.SubElement(dd, "Option", type="Map")
    ET.SubElement(opt, "Option", type="QString", name="name", value="")
    ET.SubElement(opt, "Option", name="properties")
    ET.SubElement(opt, "Option", type="QString", name="type", value="collection")


def _symbol(parent: ET.Element, name: str, colour: str, kind: str) -> None:
    """A one-layer symbol of ``kind`` (fill, line or marker) in ``colour``."""
    sym = ET.SubElement(
        parent, "symbol", type=kind, name=name, alpha="0.85" if kind == "fill" else "1",
        clip_to_extent="1", force_rhr="0", is_animated="0", frame_rate="10",
    )
    _empty_data_defined(sym)
    if kind == "fill":
        cls = "SimpleFill"
        props = {
            "border_width_map_unit_scale": "3x:0,0,0,0,0,0",
            "color": _rgba(colour),
            "joinstyle": "bevel",
            "offset": "0,0",
            "offset_map_unit_scale": "3x:0,0,0,0,0,0",
            "offset_unit": "MM",
            "outline_color": "255,255,255,160",
            "outline_style": "solid",
            "outline_width": "0.1",
            "outline_width_unit": "MM",
            "style": "solid",
        }
    elif kind == "line":
        cls = "SimpleLine"
        props = {
            "capstyle": "round",
            "joinstyle": "round",
            "line_color": _rgba(colour),
            "line_style": "solid",
            "line_width": "0.6",
            "line_width_unit": "MM",
            "offset": "0",
            "offset_unit": "MM",
        }
    else:
        cls = "SimpleMarker"
        props = {
            "angle": "0",
            "color": _rgba(colour),
            "joinstyle": "bevel",
            "name": "circle",
            "outline_color": "255,255,255,160",
            "outline_style": "solid",
            "outline_width": "0.1",
            "outline_width_unit": "MM",
            "scale_method": "diameter",
            "size": "2",
            "size_unit": "MM",
        }
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0", "pass": "0"})
    _options(layer, props)
    _empty_data_defined(layer)


def _gradient_ramp(parent: ET.Element, stops: Sequence[str]) -> None:
    """The renderer's source ramp: end colours, inner stops as ``offset;r,g,b,a`` joined by ``:``."""
    ramp = ET.SubElement(parent, "colorramp", type="gradient", name="[source]")
    last = len(stops) - 1
    inner = ":".join(f"{i / last:g};{_rgba(c)}" for i, c in enumerate(stops) if 0 < i < last)
    _options(
        ramp,
        {
            "color1": _rgba(stops[0]),
            "color2": _rgba(stops[-1]),
            "discrete": "0",
            "rampType": "gradient",
            "stops": inner,
        },
    )


def _document(renderer: ET.Element, aliases: Mapping[str, str], columns: Sequence[str] | None,
              geometry_type: int) -> str:
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology|Fields|Legend")
    root.append(renderer)
    if aliases:
        al = ET.SubElement(root, "aliases")
        # QGIS matches aliases by field name; the index (QGIS lists the GeoPackage fid first) is
        # only a fallback for documents without names
        position = {c: i + 1 for i, c in enumerate(columns or ())}
        for field, alias in aliases.items():
            ET.SubElement(al, "alias", field=field, index=str(position.get(field, -1)), name=alias)
    ET.SubElement(root, "previewExpression").text = '"h3"' if "h3" in (columns or ("h3",)) else ""
    ET.SubElement(root, "layerGeometryType").text = str(geometry_type)
    ET.indent(root, space=" ")
    return _DOCTYPE + "\n" + ET.tostring(root, encoding="unicode") + "\n"


def _graduated(attr: str, ranges: Sequence[tuple[float, float, str, str]], stops: Sequence[str],
               kind: str, precision: int) -> ET.Element:
    r = ET.Element(
        "renderer-v2", type="graduatedSymbol", attr=attr, graduatedMethod="GraduatedColor",
        symbollevels="0", forceraster="0", enableorderby="0", referencescale="-1",
    )
    rng = ET.SubElement(r, "ranges")
    syms = ET.SubElement(r, "symbols")
    for i, (lower, upper, label, colour) in enumerate(ranges):
        ET.SubElement(
            rng, "range", lower=f"{lower:.15f}", upper=f"{upper:.15f}", symbol=str(i), label=label,
            render="true", uuid=f"{attr}-{i}",
        )
        _symbol(syms, str(i), colour, kind)
    src = ET.SubElement(r, "source-symbol")
    _symbol(src, "0", stops[len(stops) // 2], kind)
    _gradient_ramp(r, stops)
    method = ET.SubElement(r, "classificationMethod", id="Custom")
    ET.SubElement(method, "symmetricMode", enabled="0", symmetrypoint="0", astride="0")
    ET.SubElement(method, "labelFormat", format="%1 - %2", labelprecision=str(precision),
                  trimtrailingzeroes="1")
    params = ET.SubElement(method, "parameters")
    ET.SubElement(params, "Option")
    ET.SubElement(method, "extraInformation")
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return r


def score_style(
    aliases: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    geometry: str = "polygon",
    attr: str = "score",
) -> str:
    """QML of a graduated renderer on the 0–10 life-convenience score.

    Ten classes of one point, viridis (dark: low, yellow: high), listed from 9–10 down so that a
    score of exactly 7 falls in 7–8. Cells without a score (no walk nodes) are not drawn.

    Parameters
    ----------
    aliases : mapping, optional
        Field name → readable name, written as ``<aliases>``.
    columns : sequence of str, optional
        The layer's attribute columns in order (for the alias indexes).
    geometry : {"polygon", "line", "point"}
        Geometry of the layer: picks fill, line or marker symbols.
    attr : str
        Field (or QGIS expression) to classify.

    Returns
    -------
    str
        A QML document.
    """
    kind, gtype = _geometry_kind(geometry)
    ranges = [
        (float(i), float(i + 1), f"{i} – {i + 1}", _VIRIDIS_10[i]) for i in reversed(range(10))
    ]
    renderer = _graduated(attr, ranges, _VIRIDIS_STOPS, kind, precision=0)
    return _document(renderer, aliases or {}, columns, gtype)


def coordination_style(
    aliases: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    geometry: str = "polygon",
    attr: str = "coordination_D",
) -> str:
    """QML of a graduated renderer on the coupling coordination degree D in its ten classes of 0.1.

    Labels are ``"<level> <中文> <English> (lower–upper)"``, e.g. ``"8 中级协调 intermediate
    coordination (0.7–0.8)"``; red (失调) to green (协调). Listed from level 10 down, so each class
    is ``[lower, upper)`` as in :func:`parkscope.measures.indices.coordination_class`.

    Parameters
    ----------
    aliases, columns, geometry, attr
        As in :func:`score_style`.

    Returns
    -------
    str
        A QML document.
    """
    kind, gtype = _geometry_kind(geometry)
    ranges = [
        ((level - 1) / 10, level / 10, f"{level} {zh} {en} ({(level - 1) / 10:.1f}–{level / 10:.1f})",
         _RDYLGN_10[level - 1])
        for level, zh, en in reversed(COORDINATION_CLASSES)
    ]
    renderer = _graduated(attr, ranges, _RDYLGN_STOPS, kind, precision=1)
    return _document(renderer, aliases or {}, columns, gtype)


def lag_type_style(
    aliases: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
    geometry: str = "polygon",
    attr: str = "lag_type",
) -> str:
    """QML of a categorized renderer on ``lag_type``: 有产无城 / 有城无产 / 产城协调 / not diagnosed.

    Parameters
    ----------
    aliases, columns, geometry, attr
        As in :func:`score_style`.

    Returns
    -------
    str
        A QML document.
    """
    kind, gtype = _geometry_kind(geometry)
    r = ET.Element(
        "renderer-v2", type="categorizedSymbol", attr=attr, symbollevels="0", forceraster="0",
        enableorderby="0", referencescale="-1",
    )
    cats = ET.SubElement(r, "categories")
    syms = ET.SubElement(r, "symbols")
    for i, (value, label) in enumerate(LAG_TYPE_LABELS.items()):
        ET.SubElement(cats, "category", value=value, symbol=str(i), label=label, render="true",
                      type="string", uuid=f"{attr}-{value or 'none'}")
        _symbol(syms, str(i), _LAG_COLOURS[value], kind)
    src = ET.SubElement(r, "source-symbol")
    _symbol(src, "0", _LAG_COLOURS["balanced"], kind)
    ET.SubElement(r, "rotation")
    ET.SubElement(r, "sizescale")
    return _document(r, aliases or {}, columns, gtype)


def _geometry_kind(geometry: str) -> tuple[str, int]:
    key = geometry.lower().replace("multi", "").replace("string", "")
    if key not in _GEOMETRY_KINDS:
        raise InputError(f"No QGIS symbol for geometry {geometry!r}: give 'polygon', 'line' or 'point'.")
    return _GEOMETRY_KINDS[key]


# ------------------------------------------------------------------------------------- field names
def _category_labels(categories: Iterable[Any] | None) -> dict[str, tuple[str, str]]:
    """``key → (en, zh)`` from objects with ``key``, ``en``, ``zh`` (the taxonomy's categories)."""
    if categories is None:
        categories = load_settings().categories
    return {c.key: (c.en, c.zh) for c in categories}


def field_aliases(columns: Iterable[str], categories: Iterable[Any] | None = None) -> dict[str, str]:
    """Readable bilingual names for the parkscope columns among ``columns``.

    Parameters
    ----------
    columns : iterable of str
        Column names (others than parkscope's are left out).
    categories : iterable, optional
        Amenity categories with ``key``, ``en``, ``zh`` (``Settings.categories``); default: the
        shipped taxonomy. Keys it lacks get English-only names.

    Returns
    -------
    dict
        Column → alias, aliases unique.
    """
    labels = _category_labels(categories)
    out: dict[str, str] = {}
    for col in columns:
        key = default_key(col)  # firms_10min -> firms_15min: the labels are written for 15 minutes
        alias = _FIXED_ALIASES.get(key)
        if alias is None and key in INDICATOR_BY_KEY:
            ind = INDICATOR_BY_KEY[key]
            alias = f"{ind.en} ({ind.unit}) {ind.zh}"
        minutes = within_minutes(col)
        if alias is not None and minutes is not None:
            alias = minutes_label(alias, minutes)
        elif alias is None and (SHARE_COLUMN.match(col) or col.startswith("score_")):
            share = SHARE_COLUMN.match(col)
            key = share.group(2) if share else col.split("_", 1)[1]
            en, zh = labels.get(key, (key.replace("_", " ").capitalize(), ""))
            if share:
                m = share.group(1)
                alias = f"{en}: share within {m} min" + (f" {zh}{m}分钟可达比例" if zh else "")
            else:
                alias = f"{en} score (0–1)" + (f" {zh}便利度得分" if zh else "")
        if alias is not None:
            out[col] = alias
    # the schema extension wants one name per column of a table
    seen: set[str] = set()
    for col, alias in out.items():
        if alias in seen:
            out[col] = f"{alias} [{col}]"
        seen.add(out[col])
    return out


def field_descriptions(columns: Iterable[str]) -> dict[str, str]:
    """One-sentence descriptions of the main parkscope columns among ``columns``."""
    return {c: _DESCRIPTIONS[c] for c in columns if c in _DESCRIPTIONS}


def layer_styles_for(
    columns: Sequence[str],
    geometry: str = "polygon",
    categories: Iterable[Any] | None = None,
) -> list[LayerStyle]:
    """The styles parkscope has for a layer with these columns, the first one the default.

    Parameters
    ----------
    columns : sequence of str
        The layer's attribute columns, in order.
    geometry : str
        ``polygon`` (cells), ``line`` or ``point``.
    categories : iterable, optional
        For the aliases; see :func:`field_aliases`.

    Returns
    -------
    list of LayerStyle
        ``life-convenience score`` if there is a ``score`` column, ``coordination D 耦合协调度`` if
        ``coordination_D``, ``lag type 产城关系`` if ``lag_type``. Empty when none is there.
    """
    cols = [c for c in columns if c != "geometry"]
    aliases = field_aliases(cols, categories)
    styles = []
    if "score" in cols:
        styles.append(LayerStyle(
            "life-convenience score", score_style(aliases, cols, geometry),
            "生活便利度评分 Life-convenience score 0–10, ten classes of one point (parkscope)",
        ))
    if "coordination_D" in cols:
        styles.append(LayerStyle(
            "coordination D 耦合协调度", coordination_style(aliases, cols, geometry),
            "耦合协调度 D: the ten classes of 0.1, 极度失调 … 优质协调 (parkscope)",
        ))
    if "lag_type" in cols:
        styles.append(LayerStyle(
            "lag type 产城关系", lag_type_style(aliases, cols, geometry),
            "有产无城 industry without city / 有城无产 city without industry / 产城协调 balanced (parkscope)",
        ))
    if styles:
        styles[0] = LayerStyle(styles[0].name, styles[0].qml, styles[0].description, default=True)
    return styles


# ----------------------------------------------------------------------------------------- sqlite
@contextlib.contextmanager
def _transaction(path: Path) -> Iterator[sqlite3.Connection]:
    if not path.is_file():
        raise InputError(f"GeoPackage {path} does not exist: write the layer first.")
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone()
    return row is not None


def _geometry_column(conn: sqlite3.Connection, path: Path, layer: str) -> str:
    if not _has_table(conn, "gpkg_contents"):
        raise InputError(f"{path} is not a GeoPackage (it has no gpkg_contents table).")
    row = conn.execute(
        "SELECT column_name FROM gpkg_geometry_columns WHERE lower(table_name) = lower(?)", (layer,)
    ).fetchone() if _has_table(conn, "gpkg_geometry_columns") else None
    if row is None:
        query = "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'"
        layers = [r[0] for r in conn.execute(query)]
        raise InputError(
            f"{path} has no feature layer {layer!r} (it has: {', '.join(layers) or 'none'})."
        )
    return str(row[0])


# What GDAL writes for the table QGIS asks for (OGR fields: FID "id"; strings of width 256 and 30;
# useAsDefault an Integer(Boolean); update_time a DateTime defaulting to CURRENT_TIMESTAMP)
_CREATE_LAYER_STYLES = """
CREATE TABLE "layer_styles" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  "f_table_catalog" TEXT(256),
  "f_table_schema" TEXT(256),
  "f_table_name" TEXT(256),
  "f_geometry_column" TEXT(256),
  "styleName" TEXT(30),
  "styleQML" TEXT,
  "styleSLD" TEXT,
  "useAsDefault" BOOLEAN,
  "description" TEXT,
  "owner" TEXT(30),
  "ui" TEXT(30),
  "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)"""

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


def _ensure_layer_styles(conn: sqlite3.Connection) -> None:
    if _has_table(conn, "layer_styles"):
        return
    conn.execute(_CREATE_LAYER_STYLES)
    # registered as GDAL registers a non-spatial table (GeoPackage 1.2+ "attributes")
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id) "
        f"VALUES ('layer_styles', 'attributes', 'layer_styles', '', {_NOW}, 0)"
    )
    if _has_table(conn, "gpkg_ogr_contents"):
        # GDAL's feature-count cache and the triggers that keep it right
        conn.execute("INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES ('layer_styles', 0)")
        for name, event, sign in (("insert", "INSERT", "+"), ("delete", "DELETE", "-")):
            conn.execute(
                f'CREATE TRIGGER "trigger_{name}_feature_count_layer_styles" AFTER {event} ON "layer_styles" '
                f"BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count {sign} 1 "
                "WHERE lower(table_name) = lower('layer_styles'); END"
            )


def add_layer_styles(gpkg_path: str | Path, layer: str, styles: Sequence[LayerStyle]) -> None:
    """Store QML styles of a layer in the GeoPackage's ``layer_styles`` table, as QGIS does.

    Creates the table when missing (columns ``id``, ``f_table_catalog``, ``f_table_schema``,
    ``f_table_name``, ``f_geometry_column``, ``styleName``, ``styleQML``, ``styleSLD``,
    ``useAsDefault``, ``description``, ``owner``, ``ui``, ``update_time``) and registers it in
    ``gpkg_contents`` as an ``attributes`` table. A style whose name the layer already has is
    replaced; a new default clears the layer's previous one. All or nothing: one transaction.

    Parameters
    ----------
    gpkg_path : str or Path
        An existing GeoPackage holding ``layer``.
    layer : str
        The feature table the styles are for.
    styles : sequence of LayerStyle
        At most one with ``default=True``.

    Raises
    ------
    InputError
        The file is not a GeoPackage with that layer, two styles share a name, more than one is the
        default, or a name is empty or longer than 30 characters.
    """
    path = Path(gpkg_path)
    names = [s.name for s in styles]
    bad = [n for n in names if not n or len(n) > MAX_STYLE_NAME]
    if bad:
        raise InputError(f"Style names must have 1 to {MAX_STYLE_NAME} characters (got {bad!r}).")
    if len(set(names)) != len(names):
        raise InputError(f"Two styles share a name in {names!r}: QGIS lists styles by name.")
    if sum(s.default for s in styles) > 1:
        raise InputError("More than one style is marked default: QGIS applies one default per layer.")
    with _transaction(path) as conn:
        geom = _geometry_column(conn, path, layer)
        _ensure_layer_styles(conn)
        where = "f_table_schema = '' AND f_table_name = ? AND f_geometry_column = ?"
        for style in styles:
            if style.default:
                conn.execute(f"UPDATE layer_styles SET useAsDefault = 0 WHERE {where}", (layer, geom))
            row = conn.execute(
                f"SELECT id FROM layer_styles WHERE {where} AND styleName = ?", (layer, geom, style.name)
            ).fetchone()
            values = (style.qml, "", int(style.default), style.description)
            if row is None:
                conn.execute(
                    "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, owner, "
                    f"update_time) VALUES ('', '', ?, ?, ?, ?, ?, ?, ?, '', {_NOW})",
                    (layer, geom, style.name, *values),
                )
            else:
                conn.execute(
                    "UPDATE layer_styles SET styleQML = ?, styleSLD = ?, useAsDefault = ?, description = ?, "
                    f"update_time = {_NOW} WHERE id = ?",
                    (*values, row[0]),
                )
        conn.execute(f"UPDATE gpkg_contents SET last_change = {_NOW} WHERE table_name = 'layer_styles'")


def pin_timestamps(gpkg_path: str | Path, stamp: str) -> None:
    """Set every time stamp GDAL and :func:`add_layer_styles` wrote to ``stamp``.

    GDAL stamps ``gpkg_contents.last_change`` with the wall clock, and ``layer_styles.update_time``
    defaults to it; with one fixed stamp, the same layers make a byte-identical file (the rest of
    the SQLite file depends only on what was written, in which order).

    Parameters
    ----------
    gpkg_path : str or Path
        An existing GeoPackage.
    stamp : str
        The time, as GeoPackage writes it (``YYYY-MM-DDTHH:MM:SS.SSSZ``).
    """
    path = Path(gpkg_path)
    with _transaction(path) as conn:
        if not _has_table(conn, "gpkg_contents"):
            raise InputError(f"{path} is not a GeoPackage (it has no gpkg_contents table).")
        conn.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))
        if _has_table(conn, "layer_styles"):
            conn.execute("UPDATE layer_styles SET update_time = ?", (stamp,))
        if _has_table(conn, "gpkg_metadata_reference"):
            conn.execute("UPDATE gpkg_metadata_reference SET timestamp = ?", (stamp,))


_CREATE_DATA_COLUMNS = """
CREATE TABLE gpkg_data_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  name TEXT,
  title TEXT,
  description TEXT,
  mime_type TEXT,
  constraint_name TEXT,
  CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
  CONSTRAINT gdc_tn UNIQUE (table_name, name)
)"""

_CREATE_DATA_COLUMN_CONSTRAINTS = """
CREATE TABLE gpkg_data_column_constraints (
  constraint_name TEXT NOT NULL,
  constraint_type TEXT NOT NULL,
  value TEXT,
  min NUMERIC,
  min_is_inclusive BOOLEAN,
  max NUMERIC,
  max_is_inclusive BOOLEAN,
  description TEXT,
  CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value)
)"""

_CREATE_EXTENSIONS = """
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
)"""


def _ensure_schema_extension(conn: sqlite3.Connection) -> None:
    if not _has_table(conn, "gpkg_extensions"):
        conn.execute(_CREATE_EXTENSIONS)
    for table, ddl in (("gpkg_data_columns", _CREATE_DATA_COLUMNS),
                       ("gpkg_data_column_constraints", _CREATE_DATA_COLUMN_CONSTRAINTS)):
        if not _has_table(conn, table):
            conn.execute(ddl)
        conn.execute(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) "
            "SELECT ?, NULL, 'gpkg_schema', 'http://www.geopackage.org/spec/#extension_schema', 'read-write' "
            "WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ? AND column_name IS NULL "
            "AND extension_name = 'gpkg_schema')",
            (table, table),
        )


def add_field_titles(
    gpkg_path: str | Path,
    layer: str,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
) -> None:
    """Write readable field names into the GeoPackage schema extension (``gpkg_data_columns``).

    ``name`` and ``title`` get the readable name, ``description`` the description. GDAL ≥ 3.7 reads
    them as the fields' alternative names and comments, which QGIS shows as aliases and tooltips.
    Columns the layer lacks are skipped.

    Parameters
    ----------
    gpkg_path : str or Path
        An existing GeoPackage holding ``layer``.
    layer : str
        The table.
    titles : mapping
        Column → readable name (unique within the layer).
    descriptions : mapping, optional
        Column → description.

    Raises
    ------
    InputError
        Not a GeoPackage with that layer, or two columns given the same name.
    """
    path = Path(gpkg_path)
    descriptions = descriptions or {}
    if len(set(titles.values())) != len(titles):
        raise InputError("Two columns were given the same readable name; GeoPackage wants them unique.")
    with _transaction(path) as conn:
        _geometry_column(conn, path, layer)
        existing = {r[1] for r in conn.execute(f'PRAGMA table_info("{layer}")')}
        rows = [(layer, c, t, t, descriptions.get(c)) for c, t in titles.items() if c in existing]
        _ensure_schema_extension(conn)
        conn.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description) "
            "VALUES (?, ?, ?, ?, ?)",
            rows,
        )


def style_gpkg_layer(
    gpkg_path: str | Path,
    layer: str,
    columns: Sequence[str],
    geometry: str = "polygon",
    categories: Iterable[Any] | None = None,
) -> list[LayerStyle]:
    """Add parkscope's QGIS styles and readable field names to a GeoPackage layer.

    Parameters
    ----------
    gpkg_path : str or Path
        The GeoPackage, already holding ``layer``.
    layer : str
        The layer.
    columns : sequence of str
        Its attribute columns in order.
    geometry : str
        ``polygon``, ``line`` or ``point``.
    categories : iterable, optional
        Amenity categories for the aliases (default: the shipped taxonomy).

    Returns
    -------
    list of LayerStyle
        The styles written (none when the layer has none of ``score``, ``coordination_D`` and
        ``lag_type``; the field names are written all the same).
    """
    cols = [c for c in columns if c != "geometry"]
    styles = layer_styles_for(cols, geometry, categories)
    if styles:
        add_layer_styles(gpkg_path, layer, styles)
    aliases = field_aliases(cols, categories)
    if aliases:
        add_field_titles(gpkg_path, layer, aliases, field_descriptions(cols))
    return styles
