"""Numba kernels of the risk measures: weighted tail statistics on loss vectors."""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit


@jit
def weighted_tail_kernel(losses: np.ndarray, weights: np.ndarray, alpha: float) -> tuple:
    """Weighted VaR and ES of ``losses`` at tail probability ``alpha`` = 1 - confidence.

    ``weights`` are non-negative and sum to 1. VaR is the largest loss ``l`` whose upper tail
    weight (weight of losses >= l) reaches ``alpha``; ES is the weighted mean of the worst
    ``alpha`` of the distribution, the boundary loss taking the fractional remainder
    (Acerbi-Tasche). Returns ``(var, es)``.
    """
    order = np.argsort(-losses, kind="mergesort")
    cum = 0.0
    acc = 0.0
    var = losses[order[-1]]
    tol = 1e-12
    for i in range(order.shape[0]):
        j = order[i]
        w = weights[j]
        if cum + w >= alpha - tol:
            var = losses[j]
            acc += (alpha - cum) * losses[j]
            return var, acc / alpha
        cum += w
        acc += w * losses[j]
    return var, acc / max(cum, tol)
