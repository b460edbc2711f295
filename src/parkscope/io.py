"""Writers: Parquet, GeoPackage, JSON, into output folders that appear whole or not at all."""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .errors import InputError


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf → None, NumPy scalars → Python."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a dict as UTF-8 JSON (NaN written as null)."""
    path.write_text(json.dumps(_clean(data), ensure_ascii=False, indent=2), encoding="utf-8")


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame (GeoParquet if it is a GeoDataFrame)."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_parquet(path, index=False)
    else:
        frame.to_parquet(path, index=False, engine="pyarrow")


def write_gpkg(
    frame: gpd.GeoDataFrame,
    path: Path,
    layer: str,
    *,
    style: bool = True,
    categories: Iterable[Any] | None = None,
) -> None:
    """Write one GeoPackage layer, with QGIS styles and readable field names where parkscope has them.

    Parameters
    ----------
    frame : GeoDataFrame
        The layer.
    path : Path
        The GeoPackage (created, or a layer added to it).
    layer : str
        Layer name.
    style : bool, default True
        Add the QGIS styles of the layer's parkscope columns to the GeoPackage's ``layer_styles``
        table (``score``: the default style; ``coordination_D``; ``lag_type``) and readable bilingual
        field names (QML aliases and ``gpkg_data_columns``); see :mod:`parkscope.qgis`. A layer
        with none of parkscope's columns is written as it is.
    categories : iterable, optional
        Amenity categories (``Settings.categories``) naming the ``share15_<key>`` and ``score_<key>``
        fields; default: the shipped taxonomy.
    """
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    if style:
        from .qgis import style_gpkg_layer

        kinds = {str(t).lower().replace("multi", "").replace("string", "") for t in frame.geom_type.dropna()}
        geometry = kinds.pop() if len(kinds) == 1 else "polygon"
        if geometry in ("polygon", "line", "point"):
            style_gpkg_layer(path, layer, [str(c) for c in frame.columns], geometry, categories)


def write_cells_gpkg(
    cells: gpd.GeoDataFrame, path: Path, categories: Iterable[Any] | None = None
) -> None:
    """Write ``cells.gpkg``: the ``cells`` layer with its QGIS styles and readable field names."""
    write_gpkg(cells, path, layer="cells", style=True, categories=categories)


@contextlib.contextmanager
def atomic_output_dir(outdir: str | Path) -> Iterator[Path]:
    """Stage outputs in a hidden sibling folder and move them into ``outdir`` only on success.

    On an exception nothing new appears in ``outdir`` (a folder that did not exist is not created).

    Yields
    ------
    Path
        The staging folder to write into.
    """
    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise InputError(f"Output path {outdir} exists and is a file: give a folder with -o.")
    parent = outdir.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=parent))
        # mkdtemp makes a private (0700) folder: give the output folder the usual permissions
        umask = os.umask(0)
        os.umask(umask)
        staging.chmod(0o777 & ~umask)
    except OSError as exc:
        raise InputError(f"Cannot write to {parent} ({exc.strerror}): choose another -o folder.") from exc
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not outdir.exists():
        os.replace(staging, outdir)
        return
    try:
        for item in staging.iterdir():
            target = outdir / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
