"""Kinds of innovation actors and the network settings (shipped ``data/cooperation.toml`` + user TOML)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from parkscope.errors import ConfigError

KINDS = ("park", "incubator", "cluster", "university", "research", "firm", "public", "other")
NAME_KINDS = ("park", "incubator", "cluster")
#: Chinese names of the kinds (reports, suggestion reasons).
KIND_ZH = {
    "park": "园区",
    "incubator": "孵化器",
    "cluster": "产业集群",
    "university": "高校",
    "research": "科研院所",
    "firm": "企业",
    "public": "公共机构",
    "other": "其他",
}


@dataclass(frozen=True)
class NetworkSettings:
    """Kinds, name patterns and analysis defaults of ``parkscope network`` (docs/network.md)."""

    cordis_types: dict[str, str]
    name_patterns: dict[str, re.Pattern[str]]
    retag: frozenset[str]
    analysis: dict[str, Any]


def _merge(base: dict[str, Any], over: dict[str, Any], where: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if key not in base:
            raise ConfigError(f"{where}: unknown key '{key}'; the keys are {', '.join(sorted(base))}.")
        out[key] = (
            _merge(base[key], value, f"{where}.{key}")
            if isinstance(base[key], dict) and key != "cordis_types"
            else value
        )
    return out


def load_network_settings(config: str | Path | None = None) -> NetworkSettings:
    """The shipped settings, overridden by a user TOML with the same keys.

    Raises
    ------
    ConfigError
        On an unknown key, a kind not in :data:`KINDS` or a pattern that is not a regular expression.
    """
    raw = tomllib.loads(resources.files("parkscope").joinpath("data", "cooperation.toml").read_text("utf-8"))
    if config is not None:
        path = Path(config)
        try:
            user = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Config file {path} cannot be read as TOML ({exc}).") from exc
        raw = _merge(raw, user, str(path))
    for code, kind in raw["cordis_types"].items():
        if kind not in KINDS:
            raise ConfigError(
                f"cordis_types.{code} = '{kind}' is not a kind; the kinds are {', '.join(KINDS)}."
            )
    patterns = {}
    for kind in NAME_KINDS:
        try:
            patterns[kind] = re.compile("|".join(f"(?:{p})" for p in raw["names"][kind]), re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"names.{kind}: a pattern is not a regular expression ({exc}).") from exc
    return NetworkSettings(
        cordis_types={k.upper(): v for k, v in raw["cordis_types"].items()},
        name_patterns=patterns,
        retag=frozenset(str(x) for x in raw["names"]["retag"]),
        analysis=dict(raw["analysis"]),
    )


def kind_of_names(names: pd.Series, settings: NetworkSettings) -> pd.Series:
    """The kind a name reveals (park, incubator, cluster) or <NA>; the first kind that matches wins."""
    text = names.astype("string").fillna("")
    out = pd.Series(pd.NA, index=names.index, dtype="string")
    for kind in NAME_KINDS:
        hit = out.isna() & text.str.contains(settings.name_patterns[kind], regex=True)
        out = out.mask(hit, kind)
    return out


def assign_kinds(actors: pd.DataFrame, settings: NetworkSettings) -> tuple[pd.DataFrame, dict[str, int]]:
    """Add ``kind`` and ``kind_source`` (``type``, ``name``, ``given``, ``unknown``) to actors.

    A raw kind is a parkscope kind (``given``) or a CORDIS type (``type``); a name pattern re-tags an
    actor whose raw kind is in ``names.retag`` (``name``); anything else is ``other`` and counted in
    the returned unknown-kind tally (value → actors).
    """
    raw = actors["kind_raw"].astype("string").str.strip()
    lower = raw.str.lower()
    upper = raw.str.upper()
    given = lower.where(lower.isin(KINDS))
    typed = upper.map(settings.cordis_types).astype("string")
    kind = given.fillna(typed)
    source = pd.Series("given", index=actors.index, dtype="string").where(given.notna(), "type")
    unknown = kind.isna() & raw.notna()
    tally = raw[unknown].value_counts().to_dict()
    named = kind_of_names(actors["name"], settings)
    may_retag = raw.fillna("").isin(settings.retag) | upper.fillna("").isin(settings.retag) | unknown
    use_name = named.notna() & may_retag
    kind = kind.mask(use_name, named)
    source = source.mask(use_name, "name")
    source = source.mask(kind.isna(), "unknown")
    out = actors.copy()
    out["kind"] = kind.fillna("other")
    out["kind_source"] = source
    return out, {str(k): int(v) for k, v in tally.items()}
