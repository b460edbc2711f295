"""What ``parkscope scenario`` needs of an assessment, kept in its OUTDIR with a schema version.

``assess`` writes ``state.json`` (the manifest: schema name and version, the parkscope version,
the stages kept) and ``state.pickle`` (the stage results of :mod:`parkscope.pipeline`: the request
with the user's tables read, the extract's data of the study area, the walk network, the k-nearest
distances, scores, population, data quality and diagnosis). A scenario reads them back and needs
neither the extract nor the tables. docs/decisions.md says why a pickle (and what an open format
would cost); the manifest makes a mismatch a clear error, never a crash inside unpickling.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import geopandas as gpd

from parkscope._version import __version__
from parkscope.errors import InputError
from parkscope.pipeline import (
    Access,
    DataQuality,
    Diagnosis,
    Extract,
    Population,
    Request,
    Scores,
    Walk,
)
from parkscope.settings.summary import Summary

__all__ = ["MANIFEST", "SCHEMA", "SCHEMA_VERSION", "STATE_FILE", "Stages", "load_stages",
           "save_stages"]

SCHEMA = "parkscope.stages"
#: Bump when a stage result's fields change: older OUTDIRs are then refused with "re-run assess".
SCHEMA_VERSION = 1
MANIFEST = "state.json"
STATE_FILE = "state.pickle"


@dataclass(frozen=True)
class Stages:
    """The stage results of one assessment (what :func:`parkscope.assessment.assess` computed)."""

    req: Request
    ext: Extract
    walk: Walk
    acc: Access
    sc: Scores
    pop: Population
    quality: DataQuality
    dg: Diagnosis
    summary: Summary
    collab: dict[str, Any] | None = None


def manifest() -> dict[str, Any]:
    """The manifest written next to the stages (no clock, no hash: the same run writes the same bytes)."""
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "parkscope_version": __version__,
        "format": "pickle",
        "file": STATE_FILE,
        "stages": [f.name for f in fields(Stages)],
    }


def save_stages(stages: Stages, folder: Path) -> None:
    """Write ``state.json`` and ``state.pickle`` into ``folder`` (an atomic output folder).

    The node frame's ``dist_<category>_<i>`` columns are left out: they are the access stage's
    distances again (a third of the file); :func:`load_stages` puts them back."""
    (folder / MANIFEST).write_text(json.dumps(manifest(), indent=2), encoding="utf-8")
    nodes = stages.sc.nodes
    lean = replace(stages, sc=replace(stages.sc, nodes=nodes.drop(columns=_dist_columns(stages))))
    with (folder / STATE_FILE).open("wb") as fh:
        pickle.dump(lean, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _dist_columns(stages: Stages) -> list[str]:
    settings = stages.req.settings
    return [f"dist_{key}_{i + 1}" for key in settings.category_keys for i in range(settings.k)]


def _with_distances(stages: Stages) -> Stages:
    """The node frame with its ``dist_<category>_<i>`` columns from the access stage, in place
    after ``in_park`` as :func:`parkscope.pipeline.scores` writes them."""
    nodes, settings = stages.sc.nodes, stages.req.settings
    columns = {c: nodes[c].to_numpy() for c in nodes.columns if c != "geometry"}
    for key in settings.category_keys:
        for i in range(settings.k):
            columns[f"dist_{key}_{i + 1}"] = stages.acc.distances[key][:, i]
    full = gpd.GeoDataFrame(columns, geometry=nodes.geometry.values, crs=nodes.crs)
    return replace(stages, sc=replace(stages.sc, nodes=full))


def load_stages(outdir: str | Path) -> Stages:
    """Read the stages an ``assess`` OUTDIR keeps.

    Raises
    ------
    InputError
        OUTDIR is not an assessment, was written before scenarios existed, or by another schema
        version or parkscope version: the message says to run ``assess`` again.
    """
    outdir = Path(outdir)
    rerun = f"run `parkscope assess … -o {outdir}` again with this parkscope ({__version__})"
    if not (outdir / "summary.json").is_file():
        raise InputError(
            f"{outdir} is not an assessment (no summary.json): give the OUTDIR of `parkscope assess`."
        )
    path = outdir / MANIFEST
    if not path.is_file():
        raise InputError(
            f"{outdir} holds no {MANIFEST}: it was written by a parkscope without scenarios; {rerun}."
        )
    try:
        man = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not valid JSON ({exc}); {rerun}.") from exc
    if man.get("schema") != SCHEMA or man.get("schema_version") != SCHEMA_VERSION:
        raise InputError(
            f"{outdir} keeps its stages in schema {man.get('schema')!r} version "
            f"{man.get('schema_version')!r}; "
            f"this parkscope reads {SCHEMA!r} version {SCHEMA_VERSION}: {rerun}."
        )
    if man.get("parkscope_version") != __version__:
        # a pickle holds classes by name: another release may have moved or changed them
        raise InputError(
            f"{outdir} was assessed by parkscope {man.get('parkscope_version')}, this is {__version__}: "
            f"{rerun}."
        )
    try:
        with (outdir / str(man.get("file", STATE_FILE))).open("rb") as fh:
            stages = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, AttributeError, ModuleNotFoundError, EOFError) as exc:
        raise InputError(f"The stages kept in {outdir} cannot be read ({exc}); {rerun}.") from exc
    if not isinstance(stages, Stages):
        raise InputError(f"{outdir / STATE_FILE} does not hold parkscope stages; {rerun}.")
    return _with_distances(stages)
