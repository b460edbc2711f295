"""From records to the actor graph: sparse projection of participations, links of agreements.

Participations: the actor × project incidence matrix ``B`` (sparse, one 1 per participation) gives
the weighted adjacency ``A = B Bᵀ`` (``A[i, j]`` = projects actors ``i`` and ``j`` share), of which
the strict upper triangle is the link list. No dense actor × actor matrix is ever made.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .records import Issues


@dataclass
class Network:
    """Actors (index = row of the matrices) and links (``a`` < ``b`` by position)."""

    actors: pd.DataFrame
    links: pd.DataFrame
    adjacency: sp.csr_matrix  # symmetric, weights, zero diagonal
    incidence: sp.csr_matrix | None  # actor × project, participations only
    projects: pd.DataFrame | None  # project, date, scheme, field (row = column of incidence)

    @property
    def n(self) -> int:
        """Number of actors."""
        return len(self.actors)


def incidence_matrix(parts: pd.DataFrame, actor_ids: pd.Index) -> tuple[sp.csr_matrix, pd.Index]:
    """Sparse actor × project matrix of ones (participations must be unique pairs)."""
    rows = actor_ids.get_indexer(parts["actor"])
    cols, project_ids = pd.factorize(parts["project"])
    data = np.ones(len(parts), dtype=np.float64)
    b = sp.csr_matrix((data, (rows, cols)), shape=(len(actor_ids), len(project_ids)))
    return b, pd.Index(project_ids)


def project_adjacency(b: sp.csr_matrix) -> sp.csr_matrix:
    """``A = B Bᵀ`` without its diagonal: shared projects between every two actors (sparse)."""
    a = (b @ b.T).tocsr()
    a.setdiag(0)
    a.eliminate_zeros()
    return a


def _pair_rows(b_csc: sp.csc_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (i, j, project) with i < j taking part in the same project, by project size group."""
    sizes = np.diff(b_csc.indptr)
    ii, jj, pp = [], [], []
    for s in np.unique(sizes[sizes > 1]):
        projs = np.flatnonzero(sizes == s)
        members = b_csc.indices[b_csc.indptr[projs][:, None] + np.arange(s)]  # (k, s), sorted rows
        r, c = np.triu_indices(s, 1)
        ii.append(members[:, r].ravel())
        jj.append(members[:, c].ravel())
        pp.append(np.repeat(projs, len(r)))
    if not ii:
        e = np.empty(0, dtype=np.int64)
        return e, e, e
    return np.concatenate(ii), np.concatenate(jj), np.concatenate(pp)


def _link_dates_types(b: sp.csr_matrix, projects: pd.DataFrame, n: int) -> pd.DataFrame:
    """First and last project date and the joined project schemes of each linked pair."""
    csc = b.tocsc()
    csc.sort_indices()
    i, j, p = _pair_rows(csc)
    key = i.astype(np.int64) * n + j
    dates = projects["date"].to_numpy(dtype="datetime64[ns]")[p]
    frame = pd.DataFrame({"key": key, "date": dates})
    agg = frame.groupby("key", sort=True)["date"].agg(["min", "max"])
    scheme = projects["scheme"].astype("string").fillna("project").to_numpy()[p]
    types = (
        pd.DataFrame({"key": key, "t": scheme})
        .drop_duplicates()
        .sort_values(["key", "t"])
        .groupby("key", sort=True)["t"]
        .agg(";".join)
    )
    agg["types"] = types
    return agg


def links_from_participations(
    parts: pd.DataFrame, actors: pd.DataFrame
) -> tuple[pd.DataFrame, sp.csr_matrix, sp.csr_matrix, pd.DataFrame]:
    """Links (``a``, ``b``, ``weight``, ``first_date``, ``last_date``, ``types``) of a participation table.

    Returns
    -------
    links, adjacency, incidence, projects
    """
    ids = pd.Index(actors["actor"])
    b, project_ids = incidence_matrix(parts, ids)
    projects = (
        parts.drop_duplicates("project")
        .set_index("project")
        .reindex(project_ids)[["date", "scheme", "field"]]
        .reset_index()
    )
    adj = project_adjacency(b)
    upper = sp.triu(adj, k=1).tocoo()
    order = np.lexsort((upper.col, upper.row))
    ai, bi = upper.row[order].astype(np.int64), upper.col[order].astype(np.int64)
    extra = _link_dates_types(b, projects, len(ids))
    keyed = extra.reindex(ai * len(ids) + bi)
    links = pd.DataFrame(
        {
            "a": ids[ai].to_numpy(),
            "b": ids[bi].to_numpy(),
            "weight": upper.data[order].astype(np.int64),
            "first_date": keyed["min"].to_numpy(),
            "last_date": keyed["max"].to_numpy(),
            "types": keyed["types"].to_numpy(),
            "ia": ai,
            "ib": bi,
        }
    )
    return links, adj, b, projects


def links_from_agreements(
    agreements: pd.DataFrame, actors: pd.DataFrame, issues: Issues
) -> tuple[pd.DataFrame, sp.csr_matrix]:
    """Links of an agreements table: weight = number of distinct agreements between the two actors.

    Self-links are reported in ``issues.self_links`` and are not links; identical rows (same pair,
    type and date, either order) count once and are reported in ``issues.duplicate_agreements``.
    """
    ids = pd.Index(actors["actor"])
    a = ids.get_indexer(agreements["a"])
    b = ids.get_indexer(agreements["b"])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    frame = pd.DataFrame(
        {"ia": lo, "ib": hi, "type": agreements["type"].fillna("agreement"), "date": agreements["date"]}
    )
    self_link = frame["ia"] == frame["ib"]
    issues.self_links = [str(x) for x in ids[frame.loc[self_link, "ia"]]]
    frame = frame.loc[~self_link]
    dup = frame.duplicated(["ia", "ib", "type", "date"])
    issues.duplicate_agreements = int(dup.sum())
    frame = frame.loc[~dup]
    g = frame.groupby(["ia", "ib"], sort=True)
    links = g.agg(
        weight=("type", "size"), first_date=("date", "min"), last_date=("date", "max")
    ).reset_index()
    links["types"] = g["type"].agg(lambda s: ";".join(sorted(set(map(str, s))))).to_numpy()
    links.insert(0, "a", ids[links["ia"]].to_numpy())
    links.insert(1, "b", ids[links["ib"]].to_numpy())
    n = len(ids)
    w = links["weight"].to_numpy(dtype=np.float64)
    adj = sp.coo_matrix(
        (
            np.concatenate([w, w]),
            (np.concatenate([links["ia"], links["ib"]]), np.concatenate([links["ib"], links["ia"]])),
        ),
        shape=(n, n),
    ).tocsr()
    return links[["a", "b", "weight", "first_date", "last_date", "types", "ia", "ib"]], adj
