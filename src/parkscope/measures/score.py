"""Life-convenience score (0–10): distance decay, diminishing credit per rank, category weights."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from parkscope.settings.config import Settings


def decay(
    distance_m: np.ndarray, full_credit_m: float, max_distance_m: float, shape: str = "cosine"
) -> np.ndarray:
    """Credit (0–1) of an amenity at a walking distance.

    ``1`` up to ``full_credit_m``; ``0`` from ``max_distance_m`` on (and for NaN: none in reach);
    in between a cosine taper ``0.5 * (1 + cos(pi * s))`` or a straight line ``1 - s``, with
    ``s = (d - full_credit_m) / (max_distance_m - full_credit_m)``.

    Parameters
    ----------
    distance_m : ndarray
        Network distances in metres (NaN = none within reach).
    full_credit_m, max_distance_m : float
        The two break points (``0 <= full_credit_m < max_distance_m``).
    shape : {"cosine", "linear"}

    Returns
    -------
    ndarray of float64, same shape as ``distance_m``.

    Examples
    --------
    >>> decay(np.array([0.0, 400.0, 1000.0, 1600.0, np.nan]), 400.0, 1600.0).round(3).tolist()
    [1.0, 1.0, 0.5, 0.0, 0.0]
    """
    d = np.asarray(distance_m, dtype=np.float64)
    s = np.clip((d - full_credit_m) / (max_distance_m - full_credit_m), 0.0, 1.0)
    if shape == "cosine":
        credit = 0.5 * (1.0 + np.cos(np.pi * s))
    elif shape == "linear":
        credit = 1.0 - s
    else:
        raise ValueError(f"unknown decay shape {shape!r}: use 'cosine' or 'linear'")
    return np.where(np.isnan(d), 0.0, credit)


def rank_weights(weights: tuple[float, ...], k: int) -> np.ndarray:
    """A category's rank weights cut or zero-padded to ``k`` and normalised to sum to 1."""
    w = np.zeros(k)
    m = min(k, len(weights))
    w[:m] = weights[:m]
    return w / w.sum()


def category_scores(distances: Mapping[str, np.ndarray], settings: Settings) -> dict[str, np.ndarray]:
    """Per-category credit (0–1) of every node.

    ``S_c = sum_i r_ci * f(d_ci)``: the rank-weighted credit of the 1st..k-th nearest amenity.

    Parameters
    ----------
    distances : mapping of category -> ndarray (n, k)
        From :func:`parkscope.walk.access.k_nearest_by_category`.
    settings : Settings

    Returns
    -------
    dict of category -> ndarray (n,)
    """
    out = {}
    for cat in settings.categories:
        d = distances[cat.key]
        credit = decay(d, settings.full_credit_m, settings.max_distance_m, settings.decay)
        out[cat.key] = credit @ rank_weights(cat.rank_weights, d.shape[1])
    return out


def life_convenience(cat_scores: Mapping[str, np.ndarray], settings: Settings) -> np.ndarray:
    """The 0–10 life-convenience score: ``10 * sum_c W_c S_c / sum_c W_c``.

    Parameters
    ----------
    cat_scores : mapping of category -> ndarray (n,)
        From :func:`category_scores`.
    settings : Settings
        Category weights ``W_c``.

    Returns
    -------
    ndarray of float64 (n,)
    """
    total = sum(c.weight for c in settings.categories)
    if total <= 0:
        raise ValueError("the category weights sum to 0: give at least one category a positive weight")
    acc = sum(c.weight * cat_scores[c.key] for c in settings.categories)
    return 10.0 * np.asarray(acc, dtype=np.float64) / total
