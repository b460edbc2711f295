"""Benchmark of ``parkscope network``: (a) suggestion quality by a time split, (b) cost as the graph grows.

(a) For each CORDIS file: train on the projects that started before ``--split-year`` (the
semiconductor set: project start dates; the H2020 sample: the call year in the topic code, from
``cordis-h2020-topics.csv.gz``); the positives are the pairs of training actors not linked in
training that first share a project from that year on; every other unlinked pair of training actors
is a negative. Per method: AUC (positives against 200,000 sampled negatives, ties one half) and
precision@20 (the 20 highest-scored unlinked pairs over *all* candidate pairs, ties broken by a
seeded random order), against random (AUC 0.5; precision@20 = positives / candidates) and
against plain common neighbours.

(b) On the synthetic H2020-sized table of ``bench/network_synth.py`` at growing scales, each in a
fresh process: the whole ``parkscope network`` run (read the CSV, project, metrics, communities,
a partner suggestion for the most connected actor, write all outputs including network.html):
wall time per stage and peak RSS. At scale 0.1 also the sampled betweenness against the exact one.

Prints Markdown tables and ends with one ``RESULT`` line.

Usage::

    python bench/network.py [--scales 0.125,0.25,0.5,1] [--split-year 2017,2018]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from parkscope.cooperation.graph import incidence_matrix, project_adjacency  # noqa: E402
from parkscope.cooperation.predict import METHODS, auc, binary, katz_beta, pair_scores, scorer, seed_rows  # noqa: E402
from parkscope.cooperation.records import read_records  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "cooperation"
TAG = "BENCHJSON "
NEGATIVES = 200_000
K = 20


def _adjacency(parts: pd.DataFrame, actors: pd.Index) -> sp.csr_matrix:
    b, _ = incidence_matrix(parts.drop_duplicates(["project", "actor"]), actors)
    return binary(project_adjacency(b))


def time_split(path: Path, projects: list[Path], split_year: int, seed: int = 0) -> dict:
    """AUC and precision@20 of every method on one file split at ``split_year``."""
    rec = read_records(path, projects=projects)
    parts = rec.participations.dropna(subset=["date"])
    train = parts[parts["date"] < pd.Timestamp(f"{split_year}-01-01")]
    test = parts[parts["date"] >= pd.Timestamp(f"{split_year}-01-01")]
    actors = pd.Index(pd.unique(train["actor"]))
    a = _adjacency(train, actors)
    t = _adjacency(test[test["actor"].isin(actors)], actors)
    n = len(actors)
    new = sp.triu(t, k=1).tocsr() - sp.triu(t, k=1).multiply(a).tocsr()
    new.eliminate_zeros()
    pos = new.tocoo()
    pos_u, pos_v = pos.row.astype(np.int64), pos.col.astype(np.int64)
    rng = np.random.default_rng(seed)
    u = rng.integers(0, n, NEGATIVES * 2)
    v = rng.integers(0, n, NEGATIVES * 2)
    keep = (u < v) & (np.asarray(a[u, v]).ravel() == 0) & (np.asarray(t[u, v]).ravel() == 0)
    neg_u, neg_v = u[keep][:NEGATIVES], v[keep][:NEGATIVES]
    candidates = n * (n - 1) // 2 - sp.triu(a, k=1).nnz
    out = {
        "file": path.name,
        "split_year": split_year,
        "train_projects": int(train["project"].nunique()),
        "test_projects": int(test["project"].nunique()),
        "train_actors": n,
        "train_links": int(a.nnz // 2),
        "positives": int(len(pos_u)),
        "candidates": int(candidates),
        "methods": {},
    }
    beta = katz_beta(a, 0.5)
    for method in METHODS:
        t0 = time.perf_counter()
        sp_ = pair_scores(a, pos_u, pos_v, method, beta=beta)
        sn = pair_scores(a, neg_u, neg_v, method, beta=beta)
        prec = precision_at_k(a, new, method, beta, rng)
        out["methods"][method] = {
            "auc": auc(sp_, sn),
            "precision_at_20": prec,
            "seconds": round(time.perf_counter() - t0, 2),
        }
    out["methods"]["random"] = {
        "auc": 0.5,
        "precision_at_20": len(pos_u) / candidates if candidates else float("nan"),
    }
    return out


def precision_at_k(
    a: sp.csr_matrix, new: sp.csr_matrix, method: str, beta: float, rng: np.random.Generator
) -> float:
    """Share of the K highest-scored unlinked pairs that appear in the test period."""
    f = scorer(a, method, beta)
    n = a.shape[0]
    best_s, best_u, best_v = np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    for start in range(0, n, 512):
        rows = np.arange(start, min(n, start + 512))
        s = sp.triu(f(seed_rows(n, [np.array([r]) for r in rows])), k=0).tocoo()  # row r scores (r, ·)
        r, c, val = rows[s.row], s.col, s.data
        ok = (c > r) & (np.asarray(a[r, c]).ravel() == 0) & (val > 0)
        best_s = np.concatenate([best_s, val[ok]])
        best_u = np.concatenate([best_u, r[ok]])
        best_v = np.concatenate([best_v, c[ok]])
        if len(best_s) > 50 * K:
            cut = np.argsort(-best_s, kind="stable")[: 20 * K]
            best_s, best_u, best_v = best_s[cut], best_u[cut], best_v[cut]
    if len(best_s) == 0:
        return 0.0
    tie = rng.random(len(best_s))
    top = np.lexsort((tie, -best_s))[:K]
    hits = np.asarray(new[best_u[top], best_v[top]]).ravel() > 0
    return float(hits.sum() / K)


def _child(scale: float) -> None:
    """One scale in this process: generate, write CSV, run the whole analysis, report JSON."""
    from network_synth import synthetic_h2020

    from parkscope.cooperation import analyse_network

    table = synthetic_h2020(scale)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "h2020-synthetic.csv.gz"
        table.to_csv(path, index=False)
        top = table["actor"].value_counts().index[0]
        t0 = time.perf_counter()
        result = analyse_network(path, suggest_for=top, top=20)
        t1 = time.perf_counter()
        result.write(Path(tmp) / "out")
        t2 = time.perf_counter()
    s = result.summary
    rec = {
        "scale": scale,
        "participations": len(table),
        "actors": s["actors"],
        "links": s["links"],
        "max_partners": int(table.groupby("project").size().max()),
        "betweenness": s["betweenness"]["method"],
        "sources": s["betweenness"]["sources"],
        "rel_se_top10": s["betweenness"].get("median_relative_se_top10"),
        **s["timings"],
        "analyse_s": round(t1 - t0, 2),
        "write_s": round(t2 - t1, 2),
        "total_with_write_s": round(t2 - t0, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    print(TAG + json.dumps(rec))


def _sampled_vs_exact(scale: float, samples: tuple[int, ...] = (256, 512, 1024)) -> list[dict]:
    """Sampled betweenness against exact on a small synthetic graph, for several sample sizes."""
    from network_synth import synthetic_h2020

    from parkscope.cooperation.metrics import betweenness, to_igraph

    table = synthetic_h2020(scale)
    actors = pd.Index(pd.unique(table["actor"]))
    b, _ = incidence_matrix(table, actors)
    up = sp.triu(project_adjacency(b), k=1).tocoo()
    g = to_igraph(len(actors), up.row, up.col, up.data)
    t0 = time.perf_counter()
    exact = betweenness(g, float("inf"), 256, 0)
    exact_s = time.perf_counter() - t0
    top = np.argsort(-exact.values)[:50]
    rows = []
    for k in samples:
        t1 = time.perf_counter()
        est = betweenness(g, 0, k, 0)
        rel = np.abs(est.values[top] - exact.values[top]) / exact.values[top]
        z = np.abs(est.values[top] - exact.values[top]) / np.maximum(est.std_error[top], 1e-12)
        rows.append(
            {
                "scale": scale,
                "actors": len(actors),
                "links": len(up.data),
                "exact_s": round(exact_s, 2),
                "samples": k,
                "sampled_s": round(time.perf_counter() - t1, 2),
                "median_rel_err_top50": round(float(np.median(rel)), 4),
                "p90_rel_err_top50": round(float(np.quantile(rel, 0.9)), 4),
                "within_2se_top50": round(float((z <= 2).mean()), 3),
                "rank_overlap_top10": int(len(set(top[:10]) & set(np.argsort(-est.values)[:10]))),
            }
        )
    return rows


def full_sources(rows: list[dict]) -> int:
    """Sources the full-size run sampled."""
    return int(rows[-1]["sources"])


def main() -> None:
    """Run (a) and (b) and print the tables and the RESULT line."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scales", default="0.125,0.25,0.5,1")
    ap.add_argument(
        "--split-year", default="2017,2018", help="split years for the semiconductor and H2020 files"
    )
    ap.add_argument("--child", type=float, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        _child(args.child)
        return
    y_semi, y_h2020 = (int(x) for x in args.split_year.split(","))
    topics = DATA / "cordis-h2020-topics.csv.gz"
    splits = [
        time_split(
            DATA / "cordis-semiconductors-ev-organizations.json",
            [DATA / "cordis-semiconductors-ev-projects.json", topics],
            y_semi,
        ),
        time_split(DATA / "cordis-h2020-organizations-2023-sample.csv", [topics], y_h2020),
    ]
    print("## (a) Partner suggestions: time split\n")
    for s in splits:
        print(
            f"{s['file']}: train before {s['split_year']} ({s['train_projects']} projects, "
            f"{s['train_actors']} actors, {s['train_links']} links), test from {s['split_year']} "
            f"({s['test_projects']} projects): "
            f"{s['positives']} new pairs among {s['candidates']} candidate pairs\n"
        )
        cn = s["methods"]["common_neighbours"]
        print("| method | AUC | precision@20 | AUC − CN | seconds |\n| --- | ---: | ---: | ---: | ---: |")
        for m, r in s["methods"].items():
            print(
                f"| {m} | {r['auc']:.3f} | {r['precision_at_20']:.3f} | {r['auc'] - cn['auc']:+.3f} | "
                f"{r.get('seconds', '')} |"
            )
        print()
    print("## (b) Cost as the graph grows (synthetic H2020, bench/network_synth.py)\n")
    rows = []
    for scale in [float(x) for x in args.scales.split(",")]:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(scale)], capture_output=True, text=True, check=True
        )
        rows.append(
            json.loads(next(line for line in proc.stdout.splitlines() if line.startswith(TAG))[len(TAG) :])
        )
    print(
        "| scale | participations | actors | links | largest project | read+project s | metrics s | "
        "total s | write s | peak RSS MB | betweenness |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
        "---: | ---: | ---: | --- |"
    )
    for r in rows:
        bt = r["betweenness"] + (
            f" ({r['sources']} sources, median rel. SE top-10 {r['rel_se_top10']})"
            if r["betweenness"] == "sampled"
            else ""
        )
        print(
            f"| {r['scale']} | {r['participations']} | {r['actors']} | {r['links']} | {r['max_partners']} | "
            f"{r['read_and_project_s']} | {r['metrics_s']} | {r['total_s']} | {r['write_s']} | "
            f"{r['peak_rss_mb']} | {bt} |"
        )
    errs = _sampled_vs_exact(0.1)
    e0 = errs[0]
    print(
        f"\nSampled vs exact betweenness, synthetic scale 0.1 ({e0['actors']} actors, {e0['links']} links; "
        f"exact {e0['exact_s']} s), on the 50 actors of highest exact betweenness:\n"
    )
    print(
        "| sources | seconds | median rel. error | p90 rel. error | within 2 SE | top-10 overlap |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for e in errs:
        print(
            f"| {e['samples']} | {e['sampled_s']} | {e['median_rel_err_top50']} | {e['p90_rel_err_top50']} | "
            f"{e['within_2se_top50']} | {e['rank_overlap_top10']}/10 |"
        )
    print()
    se = next((e for e in errs if e["samples"] == full_sources(rows)), errs[0])
    full = rows[-1]
    best = {s["file"]: max(METHODS, key=lambda m: s["methods"][m]["auc"]) for s in splits}
    semi, h = splits
    print(
        f"RESULT scale={full['scale']} participations={full['participations']} actors={full['actors']} "
        f"links={full['links']} total_s={full['total_with_write_s']} peak_rss_mb={full['peak_rss_mb']} "
        f"betweenness={full['betweenness']} "
        f"auc_ra_semi={semi['methods']['resource_allocation']['auc']:.3f} "
        f"auc_cn_semi={semi['methods']['common_neighbours']['auc']:.3f} "
        f"auc_ra_h2020={h['methods']['resource_allocation']['auc']:.3f} "
        f"auc_cn_h2020={h['methods']['common_neighbours']['auc']:.3f} "
        f"best_semi={best[semi['file']]} best_h2020={best[h['file']]} "
        f"bt_rel_err_median={se['median_rel_err_top50']}"
    )


if __name__ == "__main__":
    main()
