"""cells.gpkg carries QGIS styles (``layer_styles``) and readable field names, readable by GDAL and QGIS."""

from __future__ import annotations

import ctypes
import ctypes.util
import shutil
import sqlite3
import xml.etree.ElementTree as ET
from contextlib import closing
from pathlib import Path

import numpy as np
import pyogrio
import pytest

import parkscope
from parkscope.errors import InputError
from parkscope.files.io import write_gpkg
from parkscope.files.qgis import LAG_TYPE_LABELS, LayerStyle, add_layer_styles, coordination_style
from parkscope.measures.indices import coordination_class

# the columns, in order, of the table QGIS's OGR provider creates (QgsOgrProviderMetadata::saveStyle)
QGIS_COLUMNS = [
    "id", "f_table_catalog", "f_table_schema", "f_table_name", "f_geometry_column", "styleName",
    "styleQML", "styleSLD", "useAsDefault", "description", "owner", "ui", "update_time",
]
# GDAL's cached feature count of the style table
COUNT = "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"


@pytest.fixture(scope="module")
def assessed(helsinki, tmp_path_factory):
    a = parkscope.assess(str(helsinki), bbox="24.940,60.166,24.948,60.172")
    out = a.write(tmp_path_factory.mktemp("qgis") / "out", report=False)
    return a, out / "cells.gpkg"


@pytest.fixture()
def gpkg_copy(assessed, tmp_path):
    path = tmp_path / "cells.gpkg"
    shutil.copy(assessed[1], path)
    return path


def _rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


def _styles(path: Path) -> dict[str, ET.Element]:
    df = pyogrio.read_dataframe(path, layer="layer_styles")
    return {name: ET.fromstring(qml) for name, qml in zip(df["styleName"], df["styleQML"], strict=True)}


# ------------------------------------------------------------------- a QGIS-like reader of the QML
def _renderer(root: ET.Element) -> ET.Element:
    r = root.find("renderer-v2")
    assert r is not None
    symbols = {s.get("name") for s in r.find("symbols")}
    for item in list(r.find("ranges") or []) + list(r.find("categories") or []):
        assert item.get("symbol") in symbols, "every class needs its symbol"
    return r


def _qgis_range(renderer: ET.Element, value: float) -> str | None:
    """QgsGraduatedSymbolRenderer::rangeForValue: the first range holding the value, both ends in."""
    for rng in renderer.find("ranges"):
        if float(rng.get("lower")) <= value <= float(rng.get("upper")):
            return rng.get("label")
    return None


# ------------------------------------------------------------------------------------------- tests
def test_gdal_lists_the_style_table(assessed):
    _, path = assessed
    layers = dict(map(tuple, pyogrio.list_layers(path)))
    assert layers == {"cells": "Polygon", "layer_styles": None}
    df = pyogrio.read_dataframe(path, layer="layer_styles")
    assert list(df.columns) == QGIS_COLUMNS[1:]  # GDAL reports the FID column apart
    assert list(df["styleName"]) == [
        "life-convenience score", "coordination D 耦合协调度", "lag type 产城关系"
    ]
    assert set(df["f_table_name"]) == {"cells"} and set(df["f_geometry_column"]) == {"geom"}
    assert list(df["useAsDefault"]) == [True, False, False]
    assert df["update_time"].notna().all()
    # the cells themselves read as before
    cells = pyogrio.read_dataframe(path, layer="cells")
    assert len(cells) == len(assessed[0].cells)


def test_default_style_row_as_qgis_looks_it_up(assessed):
    a, path = assessed
    names = [r[1] for r in _rows(path, 'PRAGMA table_info("layer_styles")')]
    assert names == QGIS_COLUMNS
    geom = _rows(path, "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'cells'")[0][0]
    # QgsOgrProviderMetadata::loadStyle's filter
    rows = _rows(
        path,
        "SELECT styleName, styleQML FROM layer_styles WHERE f_table_schema = '' AND f_table_name = ? "
        "AND f_geometry_column = ? AND useAsDefault = 1",
        ("cells", geom),
    )
    assert len(rows) == 1 and rows[0][0] == "life-convenience score"
    assert _renderer(ET.fromstring(rows[0][1])).get("attr") == "score"
    registered = "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
    assert _rows(path, registered) == [("attributes", "layer_styles")]
    assert _rows(path, COUNT) == [(3,)]
    assert _rows(path, "PRAGMA integrity_check") == [("ok",)]
    assert _rows(path, "PRAGMA application_id") == [(0x47504B47,)]  # still a GeoPackage ("GPKG")


def test_score_style_is_graduated_0_to_10(assessed):
    a, path = assessed
    r = _renderer(_styles(path)["life-convenience score"])
    assert (r.get("type"), r.get("attr")) == ("graduatedSymbol", "score")
    bounds = sorted((float(x.get("lower")), float(x.get("upper"))) for x in r.find("ranges"))
    assert bounds == [(float(i), float(i + 1)) for i in range(10)]
    assert {s.get("type") for s in r.find("symbols")} == {"fill"}
    assert r.find("colorramp").get("name") == "[source]"
    for score in a.cells["score"].dropna():
        label = _qgis_range(r, score)
        assert label == f"{min(int(score), 9)} – {min(int(score), 9) + 1}"


def test_coordination_style_matches_the_cells_classes(assessed):
    a, path = assessed
    r = _renderer(_styles(path)["coordination D 耦合协调度"])
    assert (r.get("type"), r.get("attr")) == ("graduatedSymbol", "coordination_D")
    assert len(r.find("ranges")) == 10
    cells = pyogrio.read_dataframe(path, layer="cells")
    diagnosed = cells[cells["coordination_D"].notna()]
    assert len(diagnosed) > 10
    for _, c in diagnosed.iterrows():
        label = _qgis_range(r, c["coordination_D"])
        assert label.startswith(
            f"{c['coordination_level']} {c['coordination_class_zh']} {c['coordination_class_en']} ("
        )
    # the class boundaries themselves fall as parkscope counts them: [k/10, (k+1)/10)
    d = np.concatenate([np.arange(11) / 10, np.linspace(0, 1, 1001)])
    level = coordination_class(d)[0]
    got = [int(_qgis_range(r, x).split()[0]) for x in d]
    assert got == level.tolist()


def test_lag_type_style_is_categorized_with_bilingual_labels(assessed):
    a, path = assessed
    r = _renderer(_styles(path)["lag type 产城关系"])
    assert (r.get("type"), r.get("attr")) == ("categorizedSymbol", "lag_type")
    cats = {c.get("value"): c.get("label") for c in r.find("categories")}
    assert cats["industry_without_city"] == "有产无城 industry without city"
    assert cats["city_without_industry"] == "有城无产 city without industry"
    assert cats["balanced"] == "产城协调 balanced"
    # cells with no verdict hold NULL, which QGIS draws with the catch-all "" category
    assert set(a.cells["lag_type"].fillna("")) <= set(cats)
    assert a.cells["lag_type"].isna().any() and "" in cats
    assert cats == LAG_TYPE_LABELS


def test_field_names_are_readable(assessed):
    a, path = assessed
    fields = list(pyogrio.read_info(path, layer="cells")["fields"])
    for name, root in _styles(path).items():
        aliases = {x.get("field"): x.get("name") for x in root.find("aliases")}
        assert aliases["coordination_D"] == "Coupling coordination D (0–1) 耦合协调度", name
        assert aliases["score"].startswith("Life-convenience score")
        assert set(aliases) <= set(fields)
        # QGIS lists the GeoPackage fid first, so field i of the frame is index i + 1
        idx = {x.get("field"): int(x.get("index")) for x in root.find("aliases")}
        assert idx["h3"] == fields.index("h3") + 1
        assert root.findtext("layerGeometryType") == "2"
    titles = dict(_rows(path, "SELECT column_name, name FROM gpkg_data_columns WHERE table_name = 'cells'"))
    assert titles["lag_type"] == "Lag type 产城关系类型"
    assert titles["share15_dining"].startswith("Dining: share within 15 min")
    assert len(set(titles.values())) == len(titles)
    assert ("gpkg_data_columns", "gpkg_schema") in {
        (t, e) for t, e in _rows(path, "SELECT table_name, extension_name FROM gpkg_extensions")
    }


def _libgdal() -> ctypes.CDLL | None:
    here = Path(pyogrio.__file__).resolve().parent.parent / "pyogrio.libs"
    found = sorted(here.glob("libgdal*")) if here.is_dir() else []
    name = str(found[0]) if found else ctypes.util.find_library("gdal")
    return ctypes.CDLL(name) if name else None


def test_gdal_reads_the_field_names_as_aliases(assessed):
    """GDAL ≥ 3.7 turns gpkg_data_columns into field alternative names (QGIS's aliases)."""
    lib = _libgdal()
    assert lib is not None, (
        "no libgdal shared library found beside pyogrio or on the system: install pyogrio's wheel "
        "(it ships libgdal in pyogrio.libs) to check the aliases GDAL and QGIS read"
    )
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for fn, res, args in (
        ("GDALOpenEx", vp, [cp, ctypes.c_uint, vp, vp, vp]),
        ("GDALDatasetGetLayerByName", vp, [vp, cp]),
        ("OGR_L_GetLayerDefn", vp, [vp]),
        ("OGR_FD_GetFieldIndex", ctypes.c_int, [vp, cp]),
        ("OGR_FD_GetFieldDefn", vp, [vp, ctypes.c_int]),
        ("OGR_Fld_GetAlternativeNameRef", cp, [vp]),
        ("GDALClose", None, [vp]),
        ("GDALVersionInfo", cp, [cp]),
    ):
        getattr(lib, fn).restype, getattr(lib, fn).argtypes = res, args
    version = int(lib.GDALVersionInfo(b"VERSION_NUM"))
    assert version >= 3070000, f"GDAL {version} < 3.7 does not read gpkg_data_columns names: upgrade pyogrio"
    lib.GDALAllRegister()
    ds = lib.GDALOpenEx(str(assessed[1]).encode(), 0x04, None, None, None)  # GDAL_OF_VECTOR
    assert ds
    try:
        defn = lib.OGR_L_GetLayerDefn(lib.GDALDatasetGetLayerByName(ds, b"cells"))
        fld = lib.OGR_FD_GetFieldDefn(defn, lib.OGR_FD_GetFieldIndex(defn, b"coordination_D"))
        assert lib.OGR_Fld_GetAlternativeNameRef(fld).decode() == "Coupling coordination D (0–1) 耦合协调度"
    finally:
        lib.GDALClose(ds)


def test_new_default_replaces_the_old_and_names_are_unique(gpkg_copy):
    qml = coordination_style()
    add_layer_styles(gpkg_copy, "cells", [LayerStyle("mine", qml, "test", default=True)])
    add_layer_styles(gpkg_copy, "cells", [LayerStyle("mine", qml, "again", default=True)])
    rows = _rows(gpkg_copy, "SELECT styleName, useAsDefault, description FROM layer_styles ORDER BY id")
    assert [r[0] for r in rows].count("mine") == 1
    assert [r[0] for r in rows if r[1] == 1] == ["mine"]
    assert ("mine", 1, "again") in rows
    assert _rows(gpkg_copy, COUNT) == [(len(rows),)]
    assert len(pyogrio.read_dataframe(gpkg_copy, layer="layer_styles")) == len(rows)


def test_bad_requests_fail_and_change_nothing(gpkg_copy, tmp_path):
    before = _rows(gpkg_copy, "SELECT * FROM layer_styles")
    s = LayerStyle("a", "<qgis/>", default=True)
    with pytest.raises(InputError, match="no feature layer 'roads'"):
        add_layer_styles(gpkg_copy, "roads", [s])
    with pytest.raises(InputError, match="more than one|More than one"):
        add_layer_styles(gpkg_copy, "cells", [s, LayerStyle("b", "<qgis/>", default=True)])
    with pytest.raises(InputError, match="1 to 30 characters"):
        add_layer_styles(gpkg_copy, "cells", [LayerStyle("x" * 31, "<qgis/>")])
    with pytest.raises(InputError, match="share a name"):
        add_layer_styles(gpkg_copy, "cells", [LayerStyle("a", "<qgis/>"), LayerStyle("a", "<qgis/>")])
    assert _rows(gpkg_copy, "SELECT * FROM layer_styles") == before
    not_gpkg = tmp_path / "plain.sqlite"
    with closing(sqlite3.connect(not_gpkg)) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(InputError, match="not a GeoPackage"):
        add_layer_styles(not_gpkg, "t", [s])


def test_write_gpkg_keeps_plain_layers_plain(assessed, tmp_path):
    a, _ = assessed
    write_gpkg(a.cells, tmp_path / "plain.gpkg", layer="cells", style=False)
    assert "layer_styles" not in pyogrio.list_layers(tmp_path / "plain.gpkg")[:, 0]
    # a layer without parkscope columns gets neither styles nor names
    a.amenities[["category", "geometry"]].pipe(write_gpkg, tmp_path / "am.gpkg", layer="amenities")
    assert list(pyogrio.list_layers(tmp_path / "am.gpkg")[:, 0]) == ["amenities"]
    # points with a score get marker symbols
    nodes = a.nodes[["node_id", "score", "geometry"]]
    write_gpkg(nodes, tmp_path / "nodes.gpkg", layer="nodes")
    root = ET.fromstring(_rows(tmp_path / "nodes.gpkg", "SELECT styleQML FROM layer_styles")[0][0])
    assert {s.get("type") for s in root.find("renderer-v2").find("symbols")} == {"marker"}
    assert root.findtext("layerGeometryType") == "0"
