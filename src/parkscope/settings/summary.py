"""The declared shape of ``summary.json``: the park-level figures of one assessment.

:class:`Summary` (pydantic v2, docs/decisions.md) is what the pipeline builds
(:func:`parkscope.pipeline.build_summary`), what ``Assessment.write`` writes, and what the CLI, the
report, ``parkscope compare`` and the notebook read: typed fields (``s.integration.class_.zh``), not
string paths into nested dicts. :func:`read_summary` (``Summary.load``) validates an OUTDIR's
summary.json and names the file and the bad key; outputs of older versions, which lack the keys
added since, still load (those keys are optional). The JSON Schema in docs/summary.schema.json is
generated from this module (:func:`schema_text`; ``python scripts/write_summary_schema.py``) and a
test fails when the two differ.

Dynamic keys: ``categories`` is keyed by the taxonomy's category keys, and each category holds its
share of nodes within the coverage walk under ``share_within_<M>min`` (M = the coverage minutes,
15 by default; :func:`parkscope.settings.vocabulary.share_within_key`). ``data_quality`` is keyed by the
input layers (:data:`parkscope.settings.vocabulary.LAYERS`), ``integration.indicators`` by indicator keys and
``five_park.<dimension>.indicators`` by scorecard keys.

Writing keeps exactly the keys given, in the declared order, so the same inputs give the same bytes.
This module sits in the vocabulary layer: it imports nothing of parkscope above it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from parkscope.errors import InputError
from parkscope.settings.vocabulary import LAYERS

__all__ = [
    "Summary",
    "json_safe",
    "read_summary",
    "schema",
    "schema_text",
]

#: A category's share-within-the-walk key, whatever the minutes: ``share_within_15min``.
SHARE_KEY = re.compile(r"^share_within_\d+(?:\.\d+)?min$")
#: Keys older versions wrote that now live elsewhere (run.json): dropped when an old summary is read.
LEGACY_KEYS: tuple[str, ...] = ("timings_s",)
LEGACY_PROVENANCE_KEYS: tuple[str, ...] = ("created_utc",)


def _number(value: Any) -> int | float:
    """A JSON number as given (an int stays an int, so that writing it back gives the same bytes)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number (NaN is written as null)")
    return value


#: A number, kept as the int or float it was given as.
Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]


def json_safe(value: Any) -> Any:
    """JSON-ready copy: NaN/inf → None, NumPy scalars and arrays → Python, tuples → lists."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class _Block(BaseModel):
    """A block of summary.json: declared keys only; written with exactly the keys it was given."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_assignment=True)


# --- categories -------------------------------------------------------------------------------


class CategorySummary(_Block):
    """One amenity category: how near it is from the park (categories.<key>).

    Besides the fields below it holds one share_within_<M>min key (M = coverage_minutes): the share
    (0–1) of the park's walk nodes with the category within M minutes; read it as share_within.
    """

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "patternProperties": {
                SHARE_KEY.pattern: {"type": ["number", "null"], "minimum": 0, "maximum": 1},
            },
            "additionalProperties": False,
            "minProperties": 1,
        },
    )

    median_nearest_m: Number | None = Field(description="Median metres from the park's nodes to the nearest.")
    amenities_in_area: int | None = None
    amenities_in_park: int | None = None
    en: str | None = None
    zh: str | None = None
    weight: Number | None = None

    @model_validator(mode="after")
    def _one_share(self) -> CategorySummary:
        extra = self.model_extra or {}
        unknown = [k for k in extra if not SHARE_KEY.match(k)]
        if unknown:
            raise ValueError(f"unknown key {unknown[0]!r} (a category holds share_within_<M>min and "
                             f"{', '.join(type(self).model_fields)})")
        if len(extra) != 1:
            raise ValueError(f"needs one share_within_<M>min key (got {sorted(extra) or 'none'})")
        share = next(iter(extra.values()))
        if share is not None and (_number(share) < 0 or share > 1):
            raise ValueError(f"share_within_<M>min must be between 0 and 1 (got {share!r})")
        return self

    @model_serializer(mode="wrap")
    def _share_first(self, handler: Any) -> dict[str, Any]:
        out = handler(self)
        share = {k: v for k, v in out.items() if SHARE_KEY.match(k)}
        return {**share, **{k: v for k, v in out.items() if k not in share}}

    @property
    def share_within(self) -> float | None:
        """Share (0–1) of the park's nodes with the category within the coverage walk."""
        return next(iter((self.model_extra or {}).values()), None)

    @property
    def share_key(self) -> str:
        """The ``share_within_<M>min`` key this category was written with."""
        return next(iter(self.model_extra or {}), "")


# --- study area, network, cells ---------------------------------------------------------------


class ParkMatch(_Block):
    """Which OSM object --park NAME matched (empty for --bbox and --boundary)."""

    osm_type: str | None = None
    osm_id: int | None = None
    tag: str | None = None
    value: str | None = None
    how: str | None = None
    name: str | None = None
    other_matches: list[str] | None = None

    @property
    def found(self) -> bool:
        return self.osm_type is not None


class AreaSummary(_Block):
    source: str = Field(description="How the study area was given: park, boundary or bbox.")
    name: str
    match: ParkMatch = Field(default_factory=ParkMatch)
    park_area_m2: Number | None = None
    outside_extract_share: Number | None = None
    buffer_m: Number
    crs: str = Field(description="The metric CRS of the study area (a UTM zone).")
    park_wkt: str = Field(description="The park polygon, WGS84 WKT.")


class NetworkSummary(_Block):
    nodes: int
    edges: int
    nodes_in_park: int
    join_nodes_added: int | None = None
    dropped_node_share: Number | None = None
    length_km: Number | None = None


class CellsSummary(_Block):
    h3_resolution: int
    count: int
    in_park: int


# --- data quality -----------------------------------------------------------------------------


class LayerQuality(_Block):
    """How complete one input layer is (data_quality.<layer>)."""

    status: Literal["ok", "thin", "missing"]
    measures: dict[str, Any] = Field(default_factory=dict)
    expected: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    reasons: list[str] = Field(default_factory=list)
    fix: str | None = Field(None, description="What to do about it; only when status is not ok.")


# --- integration (产城融合) ---------------------------------------------------------------------


class CoordinationClass(_Block):
    level: int = Field(ge=1, le=10)
    zh: str
    en: str


class ParkIndicator(_Block):
    """The park's raw value of one indicator (integration.indicators.<key>)."""

    value: Number | None
    subsystem: str
    direction: str
    log: bool
    used: bool | None = None


class DiagnosisModel(_Block):
    """The model behind the verdict (integration.model)."""

    scale: str | None = None
    reference_version: str | None = None
    weights: str | None = None
    coupling: str | None = None
    coupling_exponent: Number | None = None
    lag_threshold: Number | None = None
    shift: Number | None = None
    log_transform: bool | None = None
    employment_rate: Number | None = None
    indicator_weights: dict[str, Number] = Field(default_factory=dict)
    left_out_sparse: list[str] = Field(default_factory=list)
    left_out_constant: list[str] = Field(default_factory=list)
    min_presence: Number | None = None


class WithinError(_Block):
    """Would the verdict change within the stated error of the jobs and residents estimates?"""

    checked: bool
    jobs_factor: Number | None = None
    residents_factor: Number | None = None
    lag_types: list[str] | None = None
    lag_type_stable: bool | None = None
    coordination_D_range: list[Number | None] | None = None


LagType = Literal["industry_without_city", "city_without_industry", "balanced"]
CountSource = Literal["table", "raster", "head_count", "osm_buildings"]


class Integration(_Block):
    """Industry–city–people integration of the park (integration; INTERFACES.md).

    With status insufficient_data, missing lists the reasons and the figures that cannot be measured
    are null (never 0): coupling_C, development_T, coordination_D, class and lag_type among them.
    """

    status: Literal["ok", "insufficient_data"] = "ok"
    missing: list[str] = Field(default_factory=list)
    fix: list[str] = Field(default_factory=list)
    cautions: list[str] = Field(default_factory=list)
    industry: Number | None
    city: Number | None
    people: Number | None
    coupling_C: Number | None
    development_T: Number | None
    coordination_D: Number | None
    class_: CoordinationClass | None = Field(alias="class")
    lag_type: LagType | None
    lag_type_zh: str | None = None
    lagging: Literal["industry", "city", "people", "balanced"] | None = None
    leading: str | None = None
    lagging_gap: Number | None = None
    lagging_ratio: Number | None = None
    jobs: Number | None
    residents: Number | None
    jobs_housing_ratio: Number | None
    jobs_housing_reading: str | None = None
    catchment: str | None = None
    jobs_in_park: Number | None = None
    residents_in_park: Number | None = None
    jobs_source: CountSource
    residents_source: CountSource
    cells_diagnosed: int | None = None
    indicators: dict[str, ParkIndicator] = Field(default_factory=dict)
    model: DiagnosisModel | None = None
    within_error: WithinError | None = None

    @property
    def diagnosed(self) -> bool:
        """Whether there is a verdict: a coordination degree D (and so a class and lag type)."""
        return self.coordination_D is not None and self.class_ is not None


# --- five-park scorecard ----------------------------------------------------------------------


class ScorecardIndicator(_Block):
    source: str
    unit: str | None = None
    en: str | None = None
    zh: str | None = None
    zero: Number | None = None
    full: Number | None = None
    available: bool
    value: Number | None
    score: Number | None
    note: str | None = None


class FiveParkDimension(_Block):
    score: Number | None = Field(description="0–100: the mean score of the available indicators.")
    coverage: Number = Field(description="Share of the dimension's indicators available.")
    available: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)
    zh: str | None = None
    en: str | None = None
    indicators: dict[str, ScorecardIndicator] = Field(default_factory=dict)


class FivePark(_Block):
    """The five-park scorecard (创新 / 绿色 / 智慧 / 人文 / 开放)."""

    innovative: FiveParkDimension
    green: FiveParkDimension
    smart: FiveParkDimension
    humane: FiveParkDimension
    open: FiveParkDimension

    def dimensions(self) -> dict[str, FiveParkDimension]:
        """The dimensions by key, in order."""
        return {key: getattr(self, key) for key in type(self).model_fields}


# --- the rest ---------------------------------------------------------------------------------


class DerivedFigure(_Block):
    """A figure derived from the reported ones (park_statistics.derived.<key>)."""

    value: Number
    unit: str
    en: str | None = None
    zh: str | None = None


class ReportedFigure(DerivedFigure):
    """A figure the park reported (park_statistics.reported.<key>): value in 元 / its currency / m² /
    count, and as operators quote it (display, display_unit), and as written (given)."""

    display: Number | None = None
    display_unit: str | None = None
    given: str | None = None


class ParkStatistics(_Block):
    """The park's reported statistics ([park_data] of the settings; docs/methods.md)."""

    year: int | None = None
    output_basis: str | None = None
    currency: str | None = None
    reported: dict[str, ReportedFigure] = Field(default_factory=dict)
    derived: dict[str, DerivedFigure] = Field(default_factory=dict)
    scored: list[str] = Field(default_factory=list)
    mapped_park_area_km2: Number | None = None
    notes: list[str] = Field(default_factory=list)


class Cooperation(_Block):
    """The park in its collaboration network (--cooperation RECORDS)."""

    records: str
    actors_in_park: int
    partners: int
    links: int
    countries_reached: int
    network_actors: int | None = None
    network_links: int | None = None


class BuildingsSummary(_Block):
    count: int
    floor_area_m2: Number
    estimated_jobs: Number
    estimated_residents: Number
    defaults: dict[str, Any] | None = Field(None, description="Country defaults used, with sources.")


class CountRecord(BaseModel):
    """Where the jobs or residents came from (population.<kind>): the source and what it records
    (file, column, total, attribution…; the keys depend on the source)."""

    model_config = ConfigDict(extra="allow")

    source: CountSource


class Provenance(_Block):
    extract: str
    extract_sha256: str
    osm_timestamp: str | None
    parameters: dict[str, Any] = Field(description="The settings of the run (Settings.as_dict()).")
    attribution: str | None = None
    attribution_sources: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_legacy(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if k not in LEGACY_PROVENANCE_KEYS}
        return data


class ScenarioSummary(_Block):
    """What a ``parkscope scenario`` changed (docs/scenario.md): only in a scenario's summary.json."""

    base: str = Field(description="The folder name of the assessment the changes were applied to.")
    changes_file: str
    changes: list[dict[str, Any]] = Field(description="What each change did (planning.apply).")
    recomputed: dict[str, Any] = Field(description="Nodes and cells recomputed, and the method.")
    figures: dict[str, Any] = Field(description="The park's figures: before, after and delta.")
    cell_columns: str


# --- the summary ------------------------------------------------------------------------------


class Summary(_Block):
    """summary.json: the park-level figures of one assessment (timings and clock are in run.json).

    Built by the pipeline (Summary.build), written by Assessment.write (Summary.to_json), read back
    with parkscope.read_summary(OUTDIR). Keys added by later versions are optional, so older outputs
    still validate; docs/summary.md describes every block.
    """

    model_config = ConfigDict(
        title="parkscope summary.json",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    parkscope_version: str
    life_convenience_score: Number | None = Field(
        description="0–10, the park's score weighted by area; null when no walk node is in or next to it."
    )
    life_convenience_score_workers: Number | None = Field(
        None, description="0–10, weighted by the jobs of each cell of the park (INTERFACES.md: the "
        "employees' score); 12 decimals, so that `plan` can check its baseline; null without jobs.")
    life_convenience_score_residents: Number | None = Field(
        None, description="0–10, weighted by the residents of each cell of the park; 12 decimals; "
        "null without residents.")
    life_convenience_score_both: Number | None = Field(
        None, description="0–10, weighted by the jobs plus residents of each cell of the park; 12 decimals.")
    categories: dict[str, CategorySummary] = Field(description="Keyed by the taxonomy's category keys.")
    max_distance_m: Number
    k: int | None = None
    coverage_distance_m: Number | None = None
    coverage_minutes: Number = Field(
        15.0, description="M in share_within_<M>min (15 in outputs older than the setting).")
    area: AreaSummary | None = None
    network: NetworkSummary | None = None
    cells: CellsSummary | None = None
    data_quality: dict[Literal[LAYERS], LayerQuality] | None = None  # type: ignore[valid-type]
    integration: Integration | None = None
    five_park: FivePark | None = None
    park_statistics: ParkStatistics | None = None
    cooperation: Cooperation | None = None
    buildings: BuildingsSummary | None = None
    population: dict[Literal["jobs", "residents"], CountRecord] | None = None
    provenance: Provenance
    scenario: ScenarioSummary | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_legacy(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            return {k: v for k, v in data.items() if k not in LEGACY_KEYS}
        return data

    @classmethod
    def build(cls, data: Mapping[str, Any]) -> Summary:
        """The summary of plain values (NumPy scalars and NaN allowed: NaN becomes null).

        Raises
        ------
        pydantic.ValidationError
            A key that is not declared, or a value of the wrong type: a bug in the builder.
        """
        return cls.model_validate(json_safe(data))

    @classmethod
    def load(cls, path: str | Path) -> Summary:
        """Read and validate a summary.json (an OUTDIR or the file itself); see :func:`read_summary`."""
        return read_summary(path)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of summary.json: the keys given, in the declared order."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    def to_json(self) -> str:
        """The text of summary.json (UTF-8, indented; what ``Assessment.write`` writes)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def category_shares(self) -> dict[str, float | None]:
        """``share_within_<M>min`` of each category, by category key."""
        return {key: c.share_within for key, c in self.categories.items()}


# --- reading and the schema -------------------------------------------------------------------


def read_summary(path: str | Path) -> Summary:
    """Read an OUTDIR's summary.json (or the file itself) and validate it against :class:`Summary`.

    Raises
    ------
    InputError
        No such file; unreadable; not JSON; not a summary; or a key of the wrong type or unknown —
        the message names the file and the key (``integration.coordination_D``) and the fix.
    """
    given = Path(path)
    file = given / "summary.json" if given.is_dir() else given
    rerun = f"Re-run `parkscope assess … -o {file.parent}` to write it again."
    if not file.is_file():
        raise InputError(f"{file} does not exist: give an output folder of `parkscope assess`.")
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"Cannot read {file} ({reason}): check its permissions. {rerun}") from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{file} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); the file "
            f"may be truncated or edited by hand. {rerun}"
        ) from exc
    return parse_summary(data, file, rerun)


def parse_summary(data: Any, source: str | Path = "summary.json", fix: str = "") -> Summary:
    """Validate the parsed JSON of a summary; errors name ``source`` and the bad key."""
    if not isinstance(data, dict) or "life_convenience_score" not in data:
        raise InputError(
            f"{source} is not a parkscope summary (no life_convenience_score). Give the output folder "
            f"of `parkscope assess`. {fix}".strip()
        )
    try:
        return Summary.model_validate(data)
    except ValidationError as exc:
        text = f"{source} is not a valid summary.json: {describe_errors(exc)}. {fix}"
        raise InputError(text.strip()) from exc


def describe_errors(exc: ValidationError, limit: int = 3) -> str:
    """The first errors of a validation as ``key.path: what is wrong (got value)``."""
    parts = []
    for err in exc.errors()[:limit]:
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        got = "" if err["type"] == "missing" else f" (got {_short(err.get('input'))})"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not in the declared Summary; a newer parkscope's output?)"
            got = ""
        parts.append(f"{key}: {msg}{got}")
    more = exc.error_count() - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _short(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of summary.json, generated from :class:`Summary`."""
    return Summary.model_json_schema(by_alias=True, mode="validation")


def schema_text() -> str:
    """The text of docs/summary.schema.json (sorted keys, so that it diffs well)."""
    return json.dumps(schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
