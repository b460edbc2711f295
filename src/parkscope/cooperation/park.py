"""The park in the network: its actors, partners, reach, brokers, gaps, and whom to approach next.

A park is a set of seed actors (those located inside its outline, or one actor given by id). Its
partners are the actors linked to a seed and not seeds themselves. Reach, gaps and suggestions
are computed on sparse matrices: ``A`` (actor adjacency), ``K`` (actor × kind, one-hot),
``C`` (actor × country) and ``F`` (actor × field: projects of each field the actor takes part in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from parkscope.cooperation.kinds import KIND_ZH
from parkscope.cooperation.predict import binary, katz_beta, scorer, seed_rows

EARTH_RADIUS_KM = 6371.0088


@dataclass
class Profile:
    """Sparse one-hot attributes of the actors and their labels."""

    kinds: sp.csr_matrix
    kind_labels: np.ndarray
    countries: sp.csr_matrix
    country_labels: np.ndarray
    fields: sp.csr_matrix  # actor × field: number of projects
    field_labels: np.ndarray


def one_hot(values: pd.Series) -> tuple[sp.csr_matrix, np.ndarray]:
    """Actor × label 0/1 matrix of a categorical column (missing values have no 1)."""
    codes, labels = pd.factorize(values.astype("string"))
    ok = codes >= 0
    m = sp.csr_matrix((np.ones(ok.sum()), (np.flatnonzero(ok), codes[ok])), shape=(len(values), len(labels)))
    return m, np.asarray(labels, dtype=object)


def actor_fields(
    incidence: sp.csr_matrix | None, projects: pd.DataFrame | None, n: int
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Actor × field counts (``B P``, ``P`` = project × field one-hot); empty without fields."""
    if incidence is None or projects is None or projects["field"].isna().all():
        return sp.csr_matrix((n, 0)), np.array([], dtype=object)
    p, labels = one_hot(projects["field"])
    return (incidence @ p).tocsr(), labels


def profile(actors: pd.DataFrame, incidence: sp.csr_matrix | None, projects: pd.DataFrame | None) -> Profile:
    """Kinds, countries and fields of every actor as sparse matrices."""
    k, kl = one_hot(actors["kind"])
    c, cl = one_hot(actors["country"])
    f, fl = actor_fields(incidence, projects, len(actors))
    return Profile(k, kl, c, cl, f, fl)


def inside(actors: pd.DataFrame, polygon: shapely.Geometry) -> np.ndarray:
    """Actors located inside a WGS84 polygon (unplaced actors are not)."""
    lon, lat = actors["lon"].to_numpy(float), actors["lat"].to_numpy(float)
    ok = np.isfinite(lon) & np.isfinite(lat)
    out = np.zeros(len(actors), dtype=bool)
    out[ok] = shapely.contains_xy(polygon, lon[ok], lat[ok])
    return out


def haversine_km(lon1: float, lat1: float, lon2: np.ndarray, lat2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km from one point to many."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _reach_of(row: sp.csr_matrix, labels: np.ndarray) -> dict[str, float]:
    r = row.tocoo()
    order = np.argsort(-r.data, kind="stable")
    return {str(labels[r.col[i]]): float(r.data[i]) for i in order}


def partners_of(a_bin: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """Actors linked to a seed, seeds excluded."""
    x = seed_rows(a_bin.shape[0], [seeds]) @ a_bin
    nb = np.zeros(a_bin.shape[0], dtype=bool)
    nb[x.indices] = True
    nb[seeds] = False
    return nb


def comparable(actors: pd.DataFrame, degree: np.ndarray, seeds: np.ndarray, factor: float) -> np.ndarray:
    """Actors outside the park of the seeds' kinds with degree within ``factor`` of their median."""
    mask = np.zeros(len(actors), dtype=bool)
    if len(seeds) == 0:
        return mask
    kinds = set(actors["kind"].iloc[seeds])
    med = max(float(np.median(degree[seeds])), 1.0)
    mask = actors["kind"].isin(kinds).to_numpy() & (degree >= med / factor) & (degree <= med * factor)
    mask[seeds] = False
    return mask


def gaps(
    a_bin: sp.csr_matrix, prof: Profile, seeds: np.ndarray, peers: np.ndarray, share: float
) -> dict[str, list[dict[str, Any]]]:
    """Gaps: what ``share`` or more of the comparable actors link to (country, kind) or work in (field),
    and the park does not."""
    out: dict[str, list[dict[str, Any]]] = {}
    seed_row = seed_rows(a_bin.shape[0], [seeds])
    nb_park = seed_row @ a_bin
    nb_park.data[:] = 1.0
    peer_idx = np.flatnonzero(peers)
    peer_nb = a_bin[peer_idx]
    for name, m, labels, own in (
        ("countries", prof.countries, prof.country_labels, False),
        ("kinds", prof.kinds, prof.kind_labels, False),
        ("fields", prof.fields, prof.field_labels, True),
    ):
        if m.shape[1] == 0 or len(peer_idx) == 0:
            out[name] = []
            continue
        park_has = np.asarray(((seed_row if own else nb_park) @ m).todense()).ravel() > 0
        peer_has = (m[peer_idx] if own else peer_nb @ m).tocsr()
        peer_has.data[:] = 1.0
        shares = np.asarray(peer_has.sum(axis=0)).ravel() / len(peer_idx)
        idx = np.flatnonzero((shares >= share) & ~park_has)
        idx = idx[np.argsort(-shares[idx], kind="stable")]
        out[name] = [
            {"value": str(labels[i]), "share_of_comparable": round(float(shares[i]), 3)} for i in idx
        ]
    return out


def park_view(
    actors: pd.DataFrame,
    adj: sp.csr_matrix,
    prof: Profile,
    seeds: np.ndarray,
    centre: tuple[float, float] | None,
    analysis: dict[str, Any],
) -> dict[str, Any]:
    """Actors in the park, partners, reach (countries, kinds, fields, distance), brokers and gaps."""
    a_bin = binary(adj)
    nb = partners_of(a_bin, seeds)
    seed_row = seed_rows(adj.shape[0], [seeds])
    weights = np.asarray((seed_row @ adj).todense()).ravel()
    partners = np.flatnonzero(nb)
    pr = seed_rows(adj.shape[0], [partners])
    dist: dict[str, Any] = {"placed_partners": 0}
    if centre is not None and len(partners):
        lon, lat = actors["lon"].to_numpy(float)[partners], actors["lat"].to_numpy(float)[partners]
        ok = np.isfinite(lon) & np.isfinite(lat)
        if ok.any():
            d = haversine_km(centre[0], centre[1], lon[ok], lat[ok])
            dist = {
                "placed_partners": int(ok.sum()),
                "median_km": round(float(np.median(d)), 1),
                "p90_km": round(float(np.quantile(d, 0.9)), 1),
                "max_km": round(float(d.max()), 1),
            }
    bt = actors["betweenness"].to_numpy(float)
    broker_idx = partners[np.argsort(-bt[partners], kind="stable")][: int(analysis["top_brokers"])]
    comm = actors["community"].to_numpy()
    brokers = [
        {
            "actor_id": str(actors["actor_id"].iat[i]),
            "name": _s(actors["name"].iat[i]),
            "kind": actors["kind"].iat[i],
            "country": _s(actors["country"].iat[i]),
            "betweenness": round(float(bt[i]), 2),
            "links_to_park": int(weights[i]),
            "communities_reached": int(len(np.unique(comm[a_bin[i].indices]))),
        }
        for i in broker_idx
    ]
    peers = comparable(
        actors, actors["degree"].to_numpy(), seeds, float(analysis["comparable_degree_factor"])
    )
    return {
        "actors_in_park": int(len(seeds)),
        "park_actors": [
            {
                "actor_id": str(actors["actor_id"].iat[i]),
                "name": _s(actors["name"].iat[i]),
                "kind": actors["kind"].iat[i],
                "degree": int(actors["degree"].iat[i]),
            }
            for i in seeds
        ],
        "partners": int(len(partners)),
        "links": int((weights > 0).sum()),
        "reach": {
            "countries": _reach_of((pr @ prof.countries).tocsr(), prof.country_labels),
            "kinds": _reach_of((pr @ prof.kinds).tocsr(), prof.kind_labels),
            "fields": _reach_of((seed_row @ prof.fields).tocsr(), prof.field_labels)
            if prof.fields.shape[1]
            else {},
            "distance": dist,
        },
        "brokers": brokers,
        "comparable_actors": int(peers.sum()),
        "gaps": gaps(a_bin, prof, seeds, peers, float(analysis["gap_share"])),
    }


def _s(value: Any) -> str | None:
    return (
        None
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA
        else str(value)
    )


def suggest(
    actors: pd.DataFrame,
    adj: sp.csr_matrix,
    prof: Profile,
    seeds: np.ndarray,
    centre: tuple[float, float] | None,
    method: str,
    top: int,
    analysis: dict[str, Any],
) -> pd.DataFrame:
    """Ranked partner candidates of the seeds with their reasons.

    Columns: ``rank``, ``actor_id``, ``name``, ``kind``, ``country``, ``score``, ``method``,
    ``shared_partners``, ``shared_partner_names``, ``new_kind``, ``shared_fields``, ``distance_km``,
    ``reasons``, ``reasons_zh``. Only candidates with a positive score; ties broken by strength, then id.
    """
    a_bin = binary(adj)
    beta = katz_beta(a_bin, float(analysis["katz_beta_share"])) if method == "katz" else 0.0
    f = scorer(a_bin, method, beta, int(analysis["katz_max_length"]))
    x = seed_rows(adj.shape[0], [seeds])
    score = np.asarray(f(x).todense()).ravel()
    nb = partners_of(a_bin, seeds)
    score[seeds] = 0
    score[nb] = 0
    strength = actors["strength"].to_numpy(float)
    cand = np.flatnonzero(score > 0)
    order = np.lexsort((actors["actor_id"].to_numpy()[cand].astype(str), -strength[cand], -score[cand]))
    cand = cand[order][:top]
    partner_kinds = set(actors["kind"].to_numpy()[nb])
    seed_fields = (
        set(np.flatnonzero(np.asarray(prof.fields[seeds].sum(axis=0)).ravel() > 0))
        if prof.fields.shape[1]
        else set()
    )
    names = actors["name"].astype("string").fillna(actors["actor_id"].astype("string")).to_numpy()
    rows = []
    for rank, v in enumerate(cand, start=1):
        shared = np.flatnonzero(nb & (np.asarray(a_bin[v].todense()).ravel() > 0))
        shared = shared[np.argsort(-strength[shared], kind="stable")]
        fields_v = set(prof.fields[v].indices) if prof.fields.shape[1] else set()
        common_fields = sorted(str(prof.field_labels[i]) for i in fields_v & seed_fields)
        kind = str(actors["kind"].iat[v])
        d = None
        if centre is not None and np.isfinite(actors["lon"].iat[v]) and np.isfinite(actors["lat"].iat[v]):
            d = round(
                float(
                    haversine_km(
                        centre[0],
                        centre[1],
                        np.array([actors["lon"].iat[v]]),
                        np.array([actors["lat"].iat[v]]),
                    )[0]
                ),
                1,
            )
        top_names = ", ".join(map(str, names[shared[:3]]))
        reasons = [
            f"{len(shared)} shared partners ({top_names})" if len(shared) else "reached through longer paths"
        ]
        reasons_zh = [f"共同伙伴 {len(shared)} 个（{top_names}）" if len(shared) else "经更长路径相连"]
        if kind not in partner_kinds:
            reasons.append(f"a kind of partner you lack: {kind}")
            reasons_zh.append(f"补齐伙伴类型：{KIND_ZH.get(kind, kind)}")
        if common_fields:
            reasons.append(f"same fields: {', '.join(common_fields[:3])}")
            reasons_zh.append(f"相同领域：{'、'.join(common_fields[:3])}")
        if d is not None:
            reasons.append(f"{d:g} km away")
            reasons_zh.append(f"距离 {d:g} km")
        rows.append(
            {
                "rank": rank,
                "actor_id": str(actors["actor_id"].iat[v]),
                "name": _s(actors["name"].iat[v]),
                "kind": kind,
                "country": _s(actors["country"].iat[v]),
                "score": float(score[v]),
                "method": method,
                "shared_partners": int(len(shared)),
                "shared_partner_names": "; ".join(map(str, names[shared[:5]])),
                "new_kind": kind not in partner_kinds,
                "shared_fields": ";".join(common_fields),
                "distance_km": d,
                "reasons": "; ".join(reasons),
                "reasons_zh": "；".join(reasons_zh),
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "rank",
            "actor_id",
            "name",
            "kind",
            "country",
            "score",
            "method",
            "shared_partners",
            "shared_partner_names",
            "new_kind",
            "shared_fields",
            "distance_km",
            "reasons",
            "reasons_zh",
        ],
    )
