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

from parkscope.cooperation.records import Issues


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


def _joined_labels(codes: np.ndarray, labels: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """';'-joined sorted distinct labels of each run of ``codes`` (runs begin at ``starts``)."""
    if len(labels) <= 62:  # one bit per label: OR-reduce each run, then name the few distinct masks
        masks = np.bitwise_or.reduceat(np.left_shift(np.int64(1), codes.astype(np.int64)), starts)
        uniq, inverse = np.unique(masks, return_inverse=True)
        order = np.argsort(labels)
        names = [";".join(str(labels[k]) for k in order if (m >> k) & 1) for m in uniq]
        return np.asarray(names, dtype=object)[inverse]
    run = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(codes))))
    frame = pd.DataFrame({"run": run, "t": labels[codes]}).drop_duplicates().sort_values(["run", "t"])
    return frame.groupby("run", sort=True)["t"].agg(";".join).to_numpy(dtype=object)


def _link_dates_types(b: sp.csr_matrix, projects: pd.DataFrame, n: int) -> pd.DataFrame:
    """First and last project date and the joined project schemes of each linked pair.

    Every (pair, shared project) row is made once, sorted by pair, and reduced run by run
    (``reduceat``): no Python loop over pairs.
    """
    csc = b.tocsc()
    csc.sort_indices()
    i, j, p = _pair_rows(csc)
    key = i.astype(np.int64) * n + j
    order = np.argsort(key, kind="stable")
    key, p = key[order], p[order]
    if len(key) == 0:
        return pd.DataFrame(
            {
                "min": pd.Series(dtype="datetime64[ns]"),
                "max": pd.Series(dtype="datetime64[ns]"),
                "types": pd.Series(dtype=object),
            },
            index=pd.Index(key, name="key"),
        )
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    dates = projects["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)[p]
    nat, never = np.iinfo(np.int64).min, np.iinfo(np.int64).max  # NaT; larger than any date
    lo = np.minimum.reduceat(np.where(dates == nat, never, dates), starts)
    hi = np.maximum.reduceat(dates, starts)
    lo = np.where(lo == never, nat, lo)
    codes, labels = pd.factorize(projects["scheme"].astype("string").fillna("project"))
    types = _joined_labels(codes[p], np.asarray(labels, dtype=object), starts)
    return pd.DataFrame(
        {"min": lo.view("datetime64[ns]"), "max": hi.view("datetime64[ns]"), "types": types},
        index=pd.Index(key[starts], name="key"),
    )


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
