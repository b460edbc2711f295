"""A synthetic participation table with the size and shape of all of Horizon 2020.

How it is made (seeded; every number below is a parameter of :func:`synthetic_h2020`):

* **Projects**: 35,383, the number of H2020 projects in ``cordis-h2020-topics.csv.gz``. A share
  ``single_share`` (45 %) has one participant (MSCA fellowships, ERC grants, SME instrument phase 1);
  the others have ``2 + floor(LogNormal(mu, sigma))`` partners, capped at ``max_partners`` (190),
  and one project is forced to the cap (H2020's largest consortia have about 190 partners).
  ``mu``/``sigma`` are set so that the table has about 145,000 participations.
* **Organisations**: 36,000. Every organisation takes part at least once; the remaining
  participations go to organisations drawn with probability proportional to ``(rank + 20) ** -alpha``
  (a shifted Zipf law: a few organisations — the CNRS, Fraunhofer of the real data — take part
  in well over a thousand projects, most in one or two). The tokens are shuffled into the project
  slots; an organisation drawn twice for the same project keeps one participation.
* **Attributes**: CORDIS type (PRC 32 %, HES 30 %, REC 24 %, PUB 7 %, OTH 7 %), one of 60 countries
  (Zipf weights), a position near the country's invented centre (± 2°), and a project start date in
  2014–2021.

It reproduces the size (participations, organisations, projects, largest consortium) and the heavy
tails of both degree distributions; it does not reproduce real topical clustering, so
communities and link prediction are measured on the real CORDIS files, not on this table.

Usage::

    python bench/network_synth.py -o /tmp/h2020-synthetic.csv.gz [--scale 1.0] [--seed 7]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

H2020_PROJECTS = 35_383
H2020_ORGS = 36_000
KIND_SHARES = {"PRC": 0.32, "HES": 0.30, "REC": 0.24, "PUB": 0.07, "OTH": 0.07}


def synthetic_h2020(
    scale: float = 1.0,
    seed: int = 7,
    single_share: float = 0.45,
    mu: float = 1.2,
    sigma: float = 1.0,
    max_partners: int = 190,
    alpha: float = 1.0,
) -> pd.DataFrame:
    """Participations (one row per organisation per project) shaped like Horizon 2020.

    Parameters
    ----------
    scale : float, default 1.0
        Fraction of H2020's projects and organisations (1.0 = 35,383 projects, 36,000 organisations).
    seed : int, default 7
        Seed of every random draw.
    single_share, mu, sigma, max_partners, alpha : float
        Shape parameters (module docstring).

    Returns
    -------
    DataFrame
        Columns ``project``, ``actor``, ``name``, ``kind``, ``country``, ``lon``, ``lat``, ``date``
        (the canonical participation columns of :mod:`parkscope.cooperation.records`).
    """
    rng = np.random.default_rng(seed)
    n_proj = max(2, int(round(H2020_PROJECTS * scale)))
    n_org = max(10, int(round(H2020_ORGS * scale)))
    sizes = np.where(
        rng.random(n_proj) < single_share,
        1,
        np.minimum(2 + np.floor(rng.lognormal(mu, sigma, n_proj)).astype(np.int64), max_partners),
    )
    sizes[0] = min(max_partners, n_org)
    total = int(sizes.sum())
    weights = (np.arange(n_org) + 20.0) ** -alpha
    extra = rng.choice(n_org, size=max(0, total - n_org), p=weights / weights.sum())
    tokens = np.concatenate([np.arange(n_org), extra])[:total]
    rng.shuffle(tokens)
    project = np.repeat(np.arange(n_proj), sizes)
    frame = pd.DataFrame({"project": project, "actor": tokens}).drop_duplicates()
    countries = np.array([f"C{i:02d}" for i in range(60)])
    cw = (np.arange(60) + 3.0) ** -1.2
    org_country = rng.choice(60, size=n_org, p=cw / cw.sum())
    centre_lon = rng.uniform(-10, 30, 60)
    centre_lat = rng.uniform(36, 62, 60)
    kinds = np.array(list(KIND_SHARES))
    org_kind = rng.choice(len(kinds), size=n_org, p=np.array(list(KIND_SHARES.values())))
    lon = centre_lon[org_country] + rng.uniform(-2, 2, n_org)
    lat = centre_lat[org_country] + rng.uniform(-2, 2, n_org)
    start = pd.Timestamp("2014-01-01") + pd.to_timedelta(rng.integers(0, 8 * 365, n_proj), unit="D")
    a = frame["actor"].to_numpy()
    return pd.DataFrame(
        {
            "project": "P" + frame["project"].astype(str),
            "actor": "O" + frame["actor"].astype(str),
            "name": "Organisation " + frame["actor"].astype(str),
            "kind": kinds[org_kind[a]],
            "country": countries[org_country[a]],
            "lon": lon[a],
            "lat": lat[a],
            "date": start[frame["project"].to_numpy()],
        }
    )


def main() -> None:
    """Write the synthetic table (CSV, gzip'd when the name ends in .gz)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    table = synthetic_h2020(args.scale, args.seed)
    table.to_csv(args.out, index=False)
    print(
        f"{len(table)} participations, {table['actor'].nunique()} organisations, "
        f"{table['project'].nunique()} projects -> {args.out}"
    )


if __name__ == "__main__":
    main()
