"""Weights from AHP pairwise comparison matrices (层次分析法) with Saaty's consistency ratio.

A formula of the settings layer: ``[diagnosis.ahp.<subsystem>]`` tables are turned into indicator
weights when the settings are read (:mod:`parkscope.settings.config`), so it imports nothing of parkscope
but the errors. :func:`parkscope.measures.indices.ahp_weights` is the same function.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from parkscope.errors import InputError

#: Saaty's random consistency index RI for matrices of order 1..10.
_RANDOM_INDEX = (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49)


def ahp_weights(matrix: Sequence[Sequence[float]] | np.ndarray) -> tuple[np.ndarray, float]:
    r"""Weights from an AHP pairwise comparison matrix (层次分析法), with its consistency ratio.

    The weights are the principal eigenvector of the reciprocal matrix :math:`A`
    (:math:`a_{ij}` = how much more important indicator :math:`i` is than :math:`j`, Saaty's 1–9
    scale, :math:`a_{ji} = 1/a_{ij}`), scaled to sum to 1;
    :math:`CI = (\lambda_{max} - n)/(n - 1)`, :math:`CR = CI / RI_n` (Saaty's random index).
    A CR above 0.1 is the usual sign of an inconsistent matrix.

    Parameters
    ----------
    matrix : (n, n) array_like
        Positive, reciprocal (checked to 1e-2 to allow two-decimal entries such as 0.33).

    Returns
    -------
    (ndarray, float)
        The weights and CR (0 for n <= 2).
    """
    a = np.asarray(matrix, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise InputError(f"An AHP matrix must be square (n × n); got shape {a.shape}.")
    n = a.shape[0]
    if not np.isfinite(a).all() or (a <= 0).any():
        raise InputError("An AHP matrix holds positive numbers only (Saaty's 1–9 scale and reciprocals).")
    if not np.allclose(a * a.T, 1.0, atol=1e-2):
        raise InputError(
            "The AHP matrix is not reciprocal: a[j][i] must be 1 / a[i][j] (and the diagonal 1)."
        )
    values, vectors = np.linalg.eig(a)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    if n <= 2:
        return w, 0.0
    ci = (float(values[k].real) - n) / (n - 1)
    ri = _RANDOM_INDEX[min(n, len(_RANDOM_INDEX)) - 1]
    return w, max(ci, 0.0) / ri
