"""Writers: Parquet, GeoPackage, JSON, into output folders that appear whole or not at all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import jinja2
import pandas as pd

from parkscope.errors import InputError
from parkscope.files.qgis import pin_timestamps, style_gpkg_layer
from parkscope.settings.summary import json_safe


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a dict as UTF-8 JSON (NaN written as null)."""
    path.write_text(json.dumps(json_safe(data), ensure_ascii=False, indent=2), encoding="utf-8")


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
    stamp: str | None = None,
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
        field names (QML aliases and ``gpkg_data_columns``); see :mod:`parkscope.files.qgis`. A layer
        with none of parkscope's columns is written as it is.
    categories : iterable, optional
        Amenity categories (``Settings.categories``) naming the ``share<M>_<key>`` and ``score_<key>``
        fields; default: the shipped taxonomy.
    stamp : str, optional
        The time written where GeoPackage wants one (``gpkg_contents.last_change``,
        ``layer_styles.update_time``), ISO 8601 UTC; default 1970-01-01T00:00:00Z. A fixed stamp
        instead of the wall clock makes the file byte-identical for the same layer
        (:meth:`Assessment.write` gives the OSM data timestamp of the extract).
    """
    frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    if style:
        kinds = {str(t).lower().replace("multi", "").replace("string", "") for t in frame.geom_type.dropna()}
        geometry = kinds.pop() if len(kinds) == 1 else "polygon"
        if geometry in ("polygon", "line", "point"):
            style_gpkg_layer(path, layer, [str(c) for c in frame.columns], geometry, categories)
    pin_timestamps(path, gpkg_timestamp(stamp))


def gpkg_timestamp(stamp: str | None = None) -> str:
    """A time as GeoPackage writes it (``2023-01-28T19:04:25.000Z``); None gives the Unix epoch.

    Raises
    ------
    InputError
        ``stamp`` is not an ISO 8601 time.
    """
    if stamp is None:
        return "1970-01-01T00:00:00.000Z"
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(
            f"GeoPackage stamp {stamp!r} is not an ISO 8601 time (e.g. 2023-01-28T19:04:25Z)."
        ) from exc
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def write_cells_gpkg(
    cells: gpd.GeoDataFrame, path: Path, categories: Iterable[Any] | None = None, stamp: str | None = None
) -> None:
    """Write ``cells.gpkg``: the ``cells`` layer with its QGIS styles and readable field names."""
    write_gpkg(cells, path, layer="cells", style=True, categories=categories, stamp=stamp)


#: The file whose presence marks a folder as a parkscope result (``--overwrite`` replaces only those).
RESULT_MARKER = "summary.json"


def _hidden_beside(path: Path, tag: str) -> Path:
    """A fresh hidden name in the same folder as ``path`` (same file system: renames are atomic)."""
    return path.with_name(f".{path.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def check_output(
    path: str | Path, *, overwrite: bool = False, folder: bool = True, marker: str = RESULT_MARKER
) -> None:
    """Refuse an output path that would replace something, unless ``overwrite`` allows it.

    Called before any work (so that a long run does not end in a refusal) and again by
    :func:`atomic_output` just before the swap.

    Parameters
    ----------
    path : str or Path
        The output folder (``folder=True``) or file.
    overwrite : bool, default False
        Allow replacing an existing output. A non-empty folder is accepted only if it holds
        ``marker`` (an earlier parkscope result), and even then only with ``overwrite``:
        replacing deletes everything in it.
    folder : bool, default True
        Whether the output is a folder or a single file.
    marker : str, default "summary.json"
        The file that marks a folder as a parkscope result.

    Raises
    ------
    InputError
        The path exists (a folder holding a result, or a file) and ``overwrite`` is False; it is
        of the wrong kind; or it is a non-empty folder that is not a parkscope result.
    """
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        return
    if not folder:
        if path.is_dir():
            raise InputError(f"-o {path} is a folder: give a file name, e.g. -o {path / 'out.csv'}.")
        if not overwrite:
            raise InputError(
                f"Output file {path} already exists. Give --overwrite (overwrite=True in Python) to "
                f"replace it, or choose another -o file."
            )
        return
    if not path.is_dir():
        raise InputError(f"Output path {path} exists and is a file: give a folder with -o.")
    if not any(path.iterdir()):
        return  # an empty folder holds nothing to lose
    if not (path / marker).exists():
        raise InputError(
            f"Output folder {path} holds files but no {marker}, so it is not an earlier parkscope "
            f"result, and parkscope neither mixes its outputs with other files nor deletes them "
            f"(not even with --overwrite). Choose another -o folder, or an empty or new one."
        )
    if not overwrite:
        raise InputError(
            f"Output folder {path} already holds a result ({marker}): parkscope does not mix new "
            f"outputs with old ones. Give --overwrite (overwrite=True in Python) to replace it whole "
            f"(everything in it is deleted), or choose another -o folder."
        )


def _swap_in(staging: Path, target: Path) -> None:
    """Put ``staging`` where ``target`` is: a rename; an existing folder is renamed aside first."""
    if target.is_dir() and not target.is_symlink():
        aside = _hidden_beside(target, "old")
        os.rename(target, aside)
        try:
            os.rename(staging, target)
        except BaseException:
            os.rename(aside, target)
            raise
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(staging, target)  # a file (or nothing) at target: one atomic rename


@contextlib.contextmanager
def atomic_output(
    target: str | Path, *, folder: bool = False, overwrite: bool = False, marker: str = RESULT_MARKER
) -> Iterator[Path]:
    """The one atomic writer: stage an output beside ``target`` and rename it into place on success.

    A folder is written into a hidden sibling folder; a file into a hidden sibling file. On success
    the staging path takes the place of ``target``: one rename for a file (``os.replace``); for an
    existing folder, the old one is renamed aside, the new one renamed in, then the old one removed,
    so that the folder is never a mix of old and new files (a crash between the two renames leaves
    the old folder whole under its hidden name). On an exception the staging path is removed and
    ``target`` is untouched.

    Parameters
    ----------
    target : str or Path
        The output file or folder.
    folder : bool, default False
        Stage a folder (created, with the usual permissions) rather than a file name (not created:
        the caller writes it).
    overwrite : bool, default False
        Replace an existing output; see :func:`check_output` for what is refused.
    marker : str, default "summary.json"
        The file that marks a folder as a parkscope result.

    Yields
    ------
    Path
        The staging folder or file to write.

    Raises
    ------
    InputError
        ``target`` may not be replaced (:func:`check_output`), or its folder cannot be written.
    """
    target = Path(target)
    check_output(target, overwrite=overwrite, folder=folder, marker=marker)
    parent = target.absolute().parent
    staging = _hidden_beside(target.absolute(), "tmp")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if folder:
            staging.mkdir()  # mode from the umask, like any folder the user makes
    except OSError as exc:
        raise InputError(f"Cannot write to {parent} ({exc.strerror}): choose another -o folder.") from exc
    try:
        yield staging
        check_output(target, overwrite=overwrite, folder=folder, marker=marker)  # appeared meanwhile?
        try:
            _swap_in(staging, target)
        except OSError as exc:
            raise InputError(
                f"Cannot put the new output in place of {target} ({exc.strerror or exc}). "
                f"Check that nothing holds it open and that its folder is writable, or choose another -o."
            ) from exc
    except BaseException:
        if staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.unlink(missing_ok=True)
        raise


def atomic_output_dir(
    outdir: str | Path, *, overwrite: bool = False
) -> contextlib.AbstractContextManager[Path]:
    """Stage outputs in a hidden sibling folder and swap it in for ``outdir`` only on success.

    :func:`atomic_output` for a folder: on an exception nothing new appears in ``outdir`` (a folder
    that did not exist is not created); an existing result is replaced whole, and only with
    ``overwrite``.
    """
    return atomic_output(outdir, folder=True, overwrite=overwrite)


def write_text(path: str | Path, text: str) -> Path:
    """Write a UTF-8 text file whole or not at all (replacing an existing one)."""
    path = Path(path)
    with atomic_output(path, overwrite=True) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def template_env(package: str) -> jinja2.Environment:
    """The HTML templates shipped in ``<package>/templates``: autoescaped, strict about missing
    names (one setting for the main report and the network report)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
