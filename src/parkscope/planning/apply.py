"""Changes applied to the stage results of an assessment, where the pipeline would take them in.

- a new amenity joins the walk network as ``walk_network`` joins every amenity (nearest point of the
  nearest edge, the edge split there); a removed one leaves the network and its join as they were;
- new floor space is a building point of that use (no footprint) whose jobs and residents
  :func:`parkscope.measures.population.estimate_jobs_residents` estimates; a change of use sets the use and
  keeps ``occupancy`` × the floor area in use;
- a new footpath is an edge between the walk nodes nearest its ends (length: the line plus the two
  joins).

docs/scenario.md describes the forms and what each does not model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from parkscope.errors import InputError
from parkscope.measures.indicators import nearest_nodes
from parkscope.measures.population import estimate_jobs_residents
from parkscope.pipeline import Walk
from parkscope.planning.changes import SNAP_M, Change
from parkscope.planning.state import Stages
from parkscope.walk.amenities import join_to_network
from parkscope.walk.grid import node_cells

__all__ = ["Applied", "apply_changes", "building_ids"]


@dataclass(frozen=True)
class Applied:
    """The stage inputs with the changes applied, and where they touch the network.

    Attributes
    ----------
    walk : Walk
        The network (new nodes appended at the end, new edges appended) and the amenities.
    buildings : GeoDataFrame or None
        The buildings after floor-space and use changes (None: unchanged).
    seeds : ndarray of int
        Nodes where a change touches the network (amenity joins, link ends).
    categories : list of str
        Categories whose k-nearest lists may change (all of them when the network changed).
    link_ends : ndarray of int
        Ends of new links (the network's distances changed around them).
    records : list of dict
        What each change did (written to ``summary.scenario.changes``).
    """

    walk: Walk
    buildings: gpd.GeoDataFrame | None
    seeds: np.ndarray
    categories: list[str]
    link_ends: np.ndarray
    records: list[dict[str, Any]]


# --------------------------------------------------------------------------------------------------
# Applying changes
# --------------------------------------------------------------------------------------------------


def building_ids(buildings: pd.DataFrame) -> np.ndarray:
    """``w123`` / ``r45`` ids of buildings (the OSM way or relation id; ``s<k>`` for scenario floor)."""
    types = buildings["osm_type"].astype(str).str[0].to_numpy(dtype=object)
    return np.array([f"{t}{i}" for t, i in zip(types, buildings["osm_id"].to_numpy(np.int64), strict=True)],
                    dtype=object)


def apply_changes(st: Stages, changes: Sequence[Change]) -> Applied:
    """Apply checked changes to the stage inputs (see the module docstring).

    Raises
    ------
    InputError
        An ``amenity_id`` or ``building_id`` not in the assessment, no amenity of the category
        within 50 m to remove, no building under a ``change_use`` point, a link end farther than
        50 m from the walk network.
    """
    settings, crs = st.req.settings, st.walk.network.crs
    to_metric = Transformer.from_crs(4326, crs, always_xy=True)
    walk, buildings = st.walk, None
    seeds: list[np.ndarray] = []
    cats: set[str] = set()
    ends: list[int] = []
    records: list[dict[str, Any]] = []
    for ch in changes:
        if ch.kind == "amenity" and ch.action == "add":
            number = _free_number(walk.joined["amenity_id"], ch.index)
            walk, node = _add_amenity(walk, ch, number, to_metric, settings.category_keys,
                                      settings.h3_resolution)
            seeds.append(np.array([node]))
            cats.add(str(ch.category))
            records.append({"feature": ch.index, "action": "add", "category": ch.category,
                            "amenity_id": f"s{number}", "name": ch.name})
        elif ch.kind == "amenity":
            walk, nodes, amenity_id, category = _remove_amenity(walk, ch, to_metric)
            seeds.append(nodes)
            cats.add(category)
            records.append({"feature": ch.index, "action": "remove", "category": category,
                            "amenity_id": amenity_id, "name": ch.name})
        elif ch.kind == "link":
            walk, link = _add_link(walk, ch, to_metric)
            seeds.append(np.array(link[:2]))
            ends += list(link[:2])
            cats.update(settings.category_keys)
            records.append({"feature": ch.index, "action": "add_link", "length_m": round(link[2], 2),
                            "from_node_id": int(walk.network.node_id[link[0]]),
                            "to_node_id": int(walk.network.node_id[link[1]]), "name": ch.name})
        else:
            base = st.pop.buildings if buildings is None else buildings
            buildings, record = (_add_floor if ch.kind == "floor" else _change_use)(
                base, ch, st.req.population_params)
            records.append(record)
    if walk.network.n_nodes > st.walk.network.n_nodes:  # a new (split) node needs every category
        cats.update(settings.category_keys)
    return Applied(
        walk, buildings, np.unique(np.concatenate(seeds)) if seeds else np.zeros(0, np.int64),
        [k for k in settings.category_keys if k in cats], np.asarray(ends, dtype=np.int64), records,
    )


def _free_number(ids: pd.Series, start: int) -> int:
    """The smallest k >= ``start`` whose id ``s<k>`` is not taken (a scenario of a scenario keeps the
    first one's ``s`` ids: a new one must not merge with them)."""
    taken = set(pd.Series(ids).astype(str))
    k = start
    while f"s{k}" in taken:
        k += 1
    return k


def _add_amenity(walk: Walk, ch: Change, number: int, to_metric: Transformer, keys: list[str],
                 resolution: int) -> tuple[Walk, int]:
    x, y = to_metric.transform(ch.geometry.x, ch.geometry.y)
    row = gpd.GeoDataFrame(
        {"category": pd.Categorical([ch.category], categories=keys), "amenity_id": [f"s{number}"],
         "osm_type": ["scenario"], "osm_id": np.array([-(number + 1)], np.int64), "name": [ch.name]},
        geometry=[shapely.Point(x, y)], crs=walk.network.crs,
    )
    network, joined = join_to_network(walk.network, row, mode="edge")
    added = network.n_nodes - walk.network.n_nodes
    cells = walk.node_cells
    if added:
        new = node_cells(network.lon[-added:], network.lat[-added:], resolution)
        cells = np.concatenate([cells, new])
    located = gpd.GeoDataFrame(pd.concat([walk.located, row], ignore_index=True), crs=walk.network.crs)
    return (
        replace(walk, network=network, located=located,
                joined=pd.concat([walk.joined, joined], ignore_index=True), node_cells=cells),
        int(joined["node_index"].iloc[0]),
    )


def _remove_amenity(walk: Walk, ch: Change, to_metric: Transformer) -> tuple[Walk, np.ndarray, str, str]:
    joined = walk.joined
    ids = joined["amenity_id"].astype(str).to_numpy()
    if ch.amenity_id is not None:
        if ch.amenity_id not in set(ids):
            raise InputError(
                f"CHANGES {ch.label}: amenity_id {ch.amenity_id!r} is not among the assessment's amenities; "
                "take an id from its amenities.parquet, or give a point and a 'category'."
            )
        amenity_id = ch.amenity_id
    else:
        x, y = to_metric.transform(ch.geometry.x, ch.geometry.y)
        cat = joined["category"].astype(str).to_numpy() == ch.category
        px, py = shapely.get_x(walk.located.geometry.values), shapely.get_y(walk.located.geometry.values)
        d = np.where(cat, np.hypot(px - x, py - y), np.inf)
        if not d.size or d.min() > SNAP_M:
            raise InputError(
                f"CHANGES {ch.label}: no {ch.category} amenity lies within {SNAP_M:g} m of the point; move "
                "the point onto it or give its 'amenity_id' (amenities.parquet)."
            )
        amenity_id = ids[int(np.argmin(d))]
    drop = ids == amenity_id
    category = str(joined["category"].astype(str).to_numpy()[drop][0])
    nodes = joined["node_index"].to_numpy(np.int64)[drop]
    keep = ~drop
    return (
        replace(walk, located=walk.located[keep].reset_index(drop=True),
                joined=joined[keep].reset_index(drop=True)),
        nodes, amenity_id, category,
    )


def _add_link(walk: Walk, ch: Change, to_metric: Transformer) -> tuple[Walk, tuple[int, int, float]]:
    net = walk.network
    xs, ys = to_metric.transform(*np.asarray(ch.geometry.coords)[:, :2].T)
    xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
    ends = nearest_nodes(net, xs[[0, -1]], ys[[0, -1]])
    snap = np.hypot(net.x[ends] - xs[[0, -1]], net.y[ends] - ys[[0, -1]])
    if (snap > SNAP_M).any():
        raise InputError(
            f"CHANGES {ch.label}: the footpath's {'start' if snap[0] > SNAP_M else 'end'} lies "
            f"{snap.max():.0f} m from the nearest walk node (at most {SNAP_M:g} m): draw it to a street "
            "or path of the network."
        )
    u, v = int(ends[0]), int(ends[1])
    if u == v:
        raise InputError(
            f"CHANGES {ch.label}: both ends of the footpath join the same walk node: draw it between two "
            "places the network does not already join."
        )
    length = float(np.hypot(np.diff(xs), np.diff(ys)).sum() + snap.sum())
    lo, hi = min(u, v), max(u, v)
    same = np.nonzero((net.edge_u == lo) & (net.edge_v == hi))[0]
    if same.size:  # the network already joins them: keep the shorter of the two
        lengths = net.length_m.copy()
        lengths[same] = np.minimum(lengths[same], length)
        network = net.with_arrays(length_m=lengths)
    else:
        network = net.with_arrays(edge_u=np.r_[net.edge_u, lo].astype(np.int64),
                                  edge_v=np.r_[net.edge_v, hi].astype(np.int64),
                                  length_m=np.r_[net.length_m, length])
    return replace(walk, network=network), (u, v, length)


def _find_building(buildings: gpd.GeoDataFrame, ch: Change) -> int:
    if ch.building_id is not None:
        hit = np.nonzero(building_ids(buildings) == ch.building_id)[0]
        if not hit.size:
            raise InputError(
                f"CHANGES {ch.label}: building_id {ch.building_id!r} is not among the assessment's "
                "buildings; take an id from buildings.parquet (w<way id> / r<relation id>) or give a point "
                "inside the building."
            )
        return int(hit[0])
    inside = np.nonzero(shapely.contains_xy(buildings.geometry.values, ch.geometry.x, ch.geometry.y))[0]
    if not inside.size:
        raise InputError(
            f"CHANGES {ch.label}: the point lies in no mapped building; move it inside the building or give "
            "its 'building_id'."
        )
    return int(inside[0])


def _add_floor(buildings: gpd.GeoDataFrame, ch: Change, params: Any) -> tuple[gpd.GeoDataFrame, dict]:
    number = _free_number(pd.Series(building_ids(buildings)), ch.index)
    row = gpd.GeoDataFrame(
        {"osm_type": ["scenario"], "osm_id": np.array([number], np.int64), "building": ["scenario"],
         "name": [ch.name], "use": [ch.use], "use_source": ["scenario"], "footprint_m2": [0.0],
         "levels": [1.0], "levels_source": ["scenario"], "floor_area_m2": [float(ch.floor_area_m2)]},
        geometry=[ch.geometry], crs=buildings.crs,
    )
    row = estimate_jobs_residents(row, params)
    if "occupancy" in buildings.columns:
        row["occupancy"] = 1.0
    out = gpd.GeoDataFrame(pd.concat([buildings, row[[c for c in row.columns if c in buildings.columns]]],
                                     ignore_index=True), crs=buildings.crs)
    return out, {"feature": ch.index, "action": "add", "use": ch.use, "floor_area_m2": ch.floor_area_m2,
                 "building_id": f"s{number}", "jobs": round(float(row["jobs"].iloc[0]), 1),
                 "residents": round(float(row["residents"].iloc[0]), 1), "name": ch.name}


def _change_use(buildings: gpd.GeoDataFrame, ch: Change, params: Any) -> tuple[gpd.GeoDataFrame, dict]:
    i = _find_building(buildings, ch)
    out = buildings.copy()
    if "occupancy" not in out.columns:
        out["occupancy"] = 1.0
        out["gross_floor_area_m2"] = out["floor_area_m2"].to_numpy(np.float64)
    before = out.iloc[i]
    gross = float(before["gross_floor_area_m2"])
    changed = out.iloc[[i]].copy()
    changed["use"], changed["use_source"] = ch.use, "scenario"
    changed["floor_area_m2"] = gross * float(ch.occupancy)
    changed["occupancy"] = float(ch.occupancy)
    changed = estimate_jobs_residents(changed, params)
    for col in ("use", "use_source", "floor_area_m2", "occupancy", "residential_floor_m2", "jobs",
                "residents"):
        out.iloc[i, out.columns.get_loc(col)] = changed[col].iloc[0]
    return out, {
        "feature": ch.index, "action": "change_use", "building_id": str(building_ids(out.iloc[[i]])[0]),
        "use_before": str(before["use"]), "use": ch.use, "occupancy_before": float(before["occupancy"]),
        "occupancy": ch.occupancy, "floor_area_m2": round(gross, 1),
        "jobs_before": round(float(before["jobs"]), 1), "jobs": round(float(changed["jobs"].iloc[0]), 1),
        "residents_before": round(float(before["residents"]), 1),
        "residents": round(float(changed["residents"].iloc[0]), 1), "name": ch.name,
    }


