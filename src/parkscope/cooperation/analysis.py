"""``parkscope network`` as a Python function: records → graph → metrics → park view → outputs."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from parkscope.cooperation.graph import Network, links_from_agreements, links_from_participations
from parkscope.cooperation.kinds import KINDS, NetworkSettings, assign_kinds, load_network_settings
from parkscope.cooperation.metrics import actor_metrics, to_igraph
from parkscope.cooperation.park import inside, park_view, profile, suggest
from parkscope.cooperation.predict import METHODS
from parkscope.cooperation.records import Records, read_records
from parkscope.cooperation.report import render_network_report
from parkscope.errors import InputError
from parkscope.files.io import atomic_output_dir, write_json, write_parquet
from parkscope.inputs.area import area_from_boundary, parse_bbox

log = logging.getLogger(__name__)

CORDIS_ATTRIBUTION = "Source: CORDIS, © European Union"
ACTOR_COLUMNS = [
    "actor_id",
    "name",
    "kind",
    "country",
    "lon",
    "lat",
    "degree",
    "strength",
    "betweenness",
    "community",
    "kind_source",
    "betweenness_se",
    "placed",
    "in_park",
]
LINK_COLUMNS = ["a", "b", "weight", "first_date", "last_date", "types"]


@dataclass
class NetworkResult:
    """Everything ``parkscope network`` writes: actors, links, summary, suggestions."""

    actors: pd.DataFrame
    links: pd.DataFrame
    summary: dict[str, Any]
    suggestions: pd.DataFrame | None = None
    network: Network | None = field(default=None, repr=False)

    def write(self, outdir: str | Path, report: bool = True, overwrite: bool = False) -> Path:
        """Write actors.parquet, links.parquet, summary.json, [suggestions.csv], network.html.

        The folder is written whole or not at all (:func:`parkscope.files.io.atomic_output_dir`); one that
        holds an earlier result is replaced only with ``overwrite``.
        """
        with atomic_output_dir(outdir, overwrite=overwrite) as tmp:
            write_parquet(self.actors, tmp / "actors.parquet")
            write_parquet(self.links, tmp / "links.parquet")
            write_json(self.summary, tmp / "summary.json")
            if self.suggestions is not None:
                self.suggestions.to_csv(tmp / "suggestions.csv", index=False)
            if report:
                (tmp / "network.html").write_text(render_network_report(self), encoding="utf-8")
        return Path(outdir)


def park_polygon(
    bbox: str | None = None, boundary: str | Path | None = None, park_of: str | Path | None = None
) -> tuple[shapely.Geometry | None, str | None]:
    """The park outline (WGS84) from at most one of --bbox, --boundary, --park-of; and how it was given."""
    given = [x for x in (bbox, boundary, park_of) if x is not None]
    if len(given) > 1:
        raise InputError("Give at most one of --bbox, --boundary and --park-of.")
    if bbox is not None:
        return shapely.box(*parse_bbox(bbox)), f"bbox {bbox}"
    if boundary is not None:
        return area_from_boundary(boundary, 0.0).park, f"boundary {Path(boundary).name}"
    if park_of is not None:
        path = Path(park_of) / "summary.json"
        if not path.is_file():
            raise InputError(
                f"--park-of {park_of}: no summary.json there; give the folder `parkscope assess -o` wrote."
            )
        try:
            wkt = json.loads(path.read_text(encoding="utf-8"))["area"]["park_wkt"]
            poly = shapely.from_wkt(wkt)
        except (KeyError, TypeError, ValueError, shapely.errors.GEOSException) as exc:
            raise InputError(
                f"--park-of {park_of}: summary.json has no readable area.park_wkt ({exc})."
            ) from exc
        w, s, e, n = poly.bounds
        if not (-180 <= w <= e <= 180 and -90 <= s <= n <= 90):
            raise InputError(f"--park-of {park_of}: area.park_wkt is not in WGS84 degrees.")
        return poly, f"park of {Path(park_of).name}"
    return None, None


def build_network(records: Records, settings: NetworkSettings) -> Network:
    """Actors with kinds and the link list and sparse adjacency of the records."""
    actors, unknown = assign_kinds(records.actors, settings)
    records.issues.unknown_kinds = unknown
    if records.mode == "participations":
        links, adj, inc, projects = links_from_participations(records.participations, actors)
    else:
        links, adj = links_from_agreements(records.agreements, actors, records.issues)
        inc, projects = None, None
    placed = actors["lon"].notna() & actors["lat"].notna()
    records.issues.unplaced_actors = int((~placed).sum())
    actors = actors.assign(placed=placed.to_numpy())
    return Network(actors.reset_index(drop=True), links, adj, inc, projects)


def _summary_counts(actors: pd.DataFrame, links: pd.DataFrame) -> dict[str, Any]:
    n, m = len(actors), len(links)
    country = actors["country"].astype(object)
    ca = country.where(country.notna(), None).to_numpy()
    a_c, b_c = ca[links["ia"].to_numpy()], ca[links["ib"].to_numpy()]
    known = pd.notna(a_c) & pd.notna(b_c)
    cross = known & (a_c != b_c)
    return {
        "actors": n,
        "links": m,
        "weight_total": int(links["weight"].sum()) if m else 0,
        "density": round(2 * m / (n * (n - 1)), 6) if n > 1 else None,
        "cross_border_share": round(float(cross.sum() / known.sum()), 4) if known.any() else None,
        "cross_border_note": "share of links between actors of two different countries, among links whose "
        "two actors have a known country",
        "by_kind": {k: int(v) for k, v in actors["kind"].value_counts().reindex(KINDS, fill_value=0).items()},
        "by_country": {str(k): int(v) for k, v in actors["country"].value_counts().items()},
    }


def analyse_network(
    records: str | Path,
    *,
    actors: str | Path | None = None,
    projects: list[str | Path] | None = None,
    columns: dict[str, str] | None = None,
    bbox: str | None = None,
    boundary: str | Path | None = None,
    park_of: str | Path | None = None,
    suggest_for: str | None = None,
    top: int = 10,
    config: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    park: shapely.Geometry | None = None,
) -> NetworkResult:
    """Read collaboration records and analyse their actor network (the Python side of ``parkscope network``).

    Parameters
    ----------
    records : path
        CORDIS export, participation table or agreements table (:func:`~.records.read_records`).
    actors, projects, columns
        As in :func:`~.records.read_records`.
    bbox, boundary, park_of
        At most one: the park whose view (reach, brokers, gaps) is added to the summary.
    suggest_for : str, optional
        An actor id, or ``"park"`` (needs a park): rank partner candidates.
    top : int
        Number of suggestions.
    config : path, optional
        TOML overriding ``data/cooperation.toml``.
    park : shapely geometry, optional
        The park's outline (WGS84) given directly, instead of ``bbox`` / ``boundary`` / ``park_of``
        (``parkscope assess --cooperation`` passes the assessed park).

    Returns
    -------
    NetworkResult
    """
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    settings = load_network_settings(config)
    polygon, park_source = park_polygon(bbox, boundary, park_of)
    if park is not None:
        if polygon is not None:
            raise InputError("Give the park once: park, or one of --bbox, --boundary and --park-of.")
        polygon, park_source = park, "the assessed park"
    if suggest_for == "park" and polygon is None:
        raise InputError("--suggest park needs the park: give --bbox, --boundary or --park-of.")
    if top < 1:
        raise InputError(f"--top {top}: give a positive number of suggestions.")
    method = str(settings.analysis["suggest_method"])
    if method not in METHODS:
        raise InputError(f"analysis.suggest_method '{method}' is not one of {', '.join(METHODS)}.")
    say("read: records")
    rec = read_records(records, actors=actors, projects=projects, columns=columns)
    say(f"graph: {len(rec.actors)} actors")
    net = build_network(rec, settings)
    timings = {"read_and_project_s": time.perf_counter() - t0}
    t1 = time.perf_counter()
    say(f"metrics: {len(net.links)} links")
    g = to_igraph(
        net.n, net.links["ia"].to_numpy(), net.links["ib"].to_numpy(), net.links["weight"].to_numpy()
    )
    metrics, info = actor_metrics(g, settings.analysis)
    timings["metrics_s"] = time.perf_counter() - t1
    table = net.actors.rename(columns={"actor": "actor_id"}).assign(
        **{c: metrics[c].to_numpy() for c in metrics}
    )
    net.actors = table
    in_park = inside(table, polygon) if polygon is not None else np.zeros(len(table), dtype=bool)
    table["in_park"] = in_park
    summary: dict[str, Any] = {
        "kind": "collaboration_network",
        "records": {
            "source": rec.source,
            "mode": rec.mode,
            "cordis": rec.cordis,
            "participations": int(len(rec.participations)) if rec.participations is not None else None,
            "agreements": int(len(rec.agreements)) if rec.agreements is not None else None,
            "projects": int(net.incidence.shape[1]) if net.incidence is not None else None,
            "dated_links": int(net.links["first_date"].notna().sum()),
        },
        **_summary_counts(table, net.links),
        **info,
        "top_brokers": _brokers(table, int(settings.analysis["top_brokers"])),
        "quality": rec.issues.as_dict(),
        "attribution": [CORDIS_ATTRIBUTION] if rec.cordis else [],
    }
    if info["betweenness"]["method"] == "sampled":
        top_b = table.nlargest(10, "betweenness")
        rel = (top_b["betweenness_se"] / top_b["betweenness"].where(top_b["betweenness"] > 0)).median()
        summary["betweenness"]["median_relative_se_top10"] = round(float(rel), 4)
    prof = profile(table, net.incidence, net.projects)
    seeds = np.flatnonzero(in_park)
    centre = None
    if polygon is not None:
        c = polygon.centroid
        centre = (c.x, c.y)
        if len(seeds) == 0:
            log.warning(
                "No actor of the records lies in the park (%s): the park view and --suggest park are "
                "empty. Check the outline, or give the park's own actors with coordinates.",
                park_source,
            )
        summary["park"] = {
            "source": park_source,
            **park_view(table, net.adjacency, prof, seeds, centre, settings.analysis),
        }
    suggestions = None
    if suggest_for is not None:
        if suggest_for == "park":
            sseeds = seeds
        else:
            hit = np.flatnonzero(table["actor_id"].astype(str).to_numpy() == str(suggest_for))
            if len(hit) == 0:
                raise InputError(
                    f"--suggest {suggest_for}: no actor with that id (ids are the records' actor ids, "
                    f"e.g. {table['actor_id'].iat[0]})."
                )
            sseeds = hit
            if centre is None and bool(table["placed"].iat[hit[0]]):
                centre = (float(table["lon"].iat[hit[0]]), float(table["lat"].iat[hit[0]]))
        suggestions = suggest(table, net.adjacency, prof, sseeds, centre, method, top, settings.analysis)
        summary["suggestions"] = {
            "for": suggest_for,
            "method": method,
            "count": len(suggestions),
            "seeds": int(len(sseeds)),
        }
    timings["total_s"] = time.perf_counter() - t0
    summary["timings"] = {k: round(v, 3) for k, v in timings.items()}
    links_out = net.links[LINK_COLUMNS].copy()
    return NetworkResult(table[ACTOR_COLUMNS].copy(), links_out, summary, suggestions, net)


def _brokers(actors: pd.DataFrame, n: int) -> list[dict[str, Any]]:
    top = actors.nlargest(n, "betweenness")
    return [
        {
            "actor_id": str(r.actor_id),
            "name": None if pd.isna(r.name) else str(r.name),
            "kind": r.kind,
            "country": None if pd.isna(r.country) else str(r.country),
            "betweenness": round(float(r.betweenness), 2),
            "betweenness_se": round(float(r.betweenness_se), 2),
            "degree": int(r.degree),
        }
        for r in top.itertuples()
    ]
