"""Numba kernel of the risk measures: VaR, ES and the VaR scenario of a loss vector.

The one implementation of the order-statistic tail used everywhere (:mod:`imresearch.measures`,
the HS engines' rolling kernels, the Monte Carlo engine). Arrays in, numbers out; it never
raises.
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._numba import jit

#: relative slack of ``k = ceil(n alpha)``: absorbs binary rounding of ``n (1 - confidence)``
COUNT_TOL = 1e-9
#: slack of the weighted tail: a cumulative weight within it of ``alpha`` reaches the tail
WEIGHT_TOL = 1e-12


@jit
def tail_count(n: int, alpha: float) -> int:
    """Number of tail scenarios ``k = ceil(n alpha)``, at least 1."""
    return max(1, math.ceil(n * alpha - COUNT_TOL))


@jit
def top_losses(losses: np.ndarray, m: int) -> np.ndarray:
    """The ``m`` largest losses, largest first (a selection, then a sort of ``m`` values)."""
    n = losses.shape[0]
    m = min(m, n)
    neg = -losses
    if m < n:
        neg = np.partition(neg, m - 1)[:m]
    return -np.sort(neg)


@jit
def equal_weight_tail(losses: np.ndarray, alpha: float, exact_es: bool) -> tuple:
    """:func:`tail_stats` with equal weights, and the k largest losses (largest first)."""
    n = losses.shape[0]
    k = tail_count(n, alpha)
    tail = n * alpha
    m = min(math.floor(tail + COUNT_TOL), n)
    top = top_losses(losses, max(k, m + 1) if exact_es else k)
    var = top[k - 1]
    acc = 0.0
    if exact_es:
        for i in range(m):
            acc += top[i]
        frac = tail - m
        if frac > 1e-12 and m < n:
            acc += frac * top[m]
        es = acc / tail
    else:
        for i in range(k):
            acc += top[i]
        es = acc / k
    above = 0  # losses above the VaR: the VaR scenario is the next tie in position order
    while above < k and top[above] > var:
        above += 1
    seen = 0
    idx = 0
    for j in range(n):
        if losses[j] == var:
            if seen == k - 1 - above:
                idx = j
                break
            seen += 1
    return var, es, idx, top[:k]


@jit(inline="always")
def _keep(values: np.ndarray, index: np.ndarray, count: int, x: float, j: int,
          sign: float) -> int:
    """Insert ``x`` (position ``j``) into the ``values.shape[0]`` largest of ``sign * x`` kept
    in stable descending order (ties by position); returns the new count."""
    size = values.shape[0]
    y = sign * x
    if count < size:
        pos = count
        count += 1
    elif y > sign * values[size - 1]:
        pos = size - 1
    else:
        return count
    while pos > 0 and y > sign * values[pos - 1]:  # equal values keep the earlier position first
        values[pos] = values[pos - 1]
        index[pos] = index[pos - 1]
        pos -= 1
    values[pos] = x
    index[pos] = j
    return count


@jit(inline="always")
def _from_top(top: np.ndarray, n: int, k: int, alpha: float, exact_es: bool,
              sign: float) -> tuple:
    """VaR and ES of :func:`equal_weight_tail` from the sorted largest values ``sign * top``."""
    var = sign * top[k - 1]
    acc = 0.0
    if exact_es:
        tail = n * alpha
        m = min(math.floor(tail + COUNT_TOL), n)
        for i in range(m):
            acc += sign * top[i]
        frac = tail - m
        if frac > 1e-12 and m < n:
            acc += frac * (sign * top[m])
        return var, acc / tail
    for i in range(k):
        acc += sign * top[i]
    return var, acc / k


@jit
def two_tails(losses: np.ndarray, alpha: float, exact_es: bool, top: np.ndarray,
              top_index: np.ndarray, bottom: np.ndarray, bottom_index: np.ndarray) -> tuple:
    """:func:`tail_stats` with equal weights of ``losses`` and of ``-losses``, in one pass.

    Keeps the ``top.shape[0]`` largest and smallest losses (work arrays of at least
    ``max(k, floor(n alpha) + 1)`` elements, ``k = ceil(n alpha)``) by insertion, which costs
    about one comparison per loss and side when ``k`` is small. Returns ``(var, es, index)`` of
    the losses, then of the gains: the same numbers, bit for bit, as two calls of
    :func:`tail_stats`.
    """
    n = losses.shape[0]
    k = tail_count(n, alpha)
    size = min(max(k, math.floor(n * alpha + COUNT_TOL) + 1) if exact_es else k, n)
    top = top[:size]
    bottom = bottom[:size]
    n_top = 0
    n_bottom = 0
    for j in range(n):
        x = losses[j]
        n_top = _keep(top, top_index, n_top, x, j, 1.0)
        n_bottom = _keep(bottom, bottom_index, n_bottom, x, j, -1.0)
    v1, e1 = _from_top(top, n, k, alpha, exact_es, 1.0)
    v2, e2 = _from_top(bottom, n, k, alpha, exact_es, -1.0)
    return v1, e1, top_index[k - 1], v2, e2, bottom_index[k - 1]


@jit
def tail_stats(losses: np.ndarray, weights: np.ndarray, alpha: float, exact_es: bool
               ) -> tuple:
    """(VaR, ES, index of the VaR scenario) of ``losses`` at tail probability ``alpha``.

    Equal weights (``weights`` empty): VaR is the k-th largest loss, ``k = ceil(n alpha)``;
    ES is the mean of the k largest, or the exact tail mean when ``exact_es`` (the
    ``floor(n alpha)`` largest plus the fractional remainder of the next, over ``n alpha``).
    The VaR scenario is the k-th in a stable descending order (ties by position).

    Weighted (``weights`` non-negative, summing to 1): VaR is the largest loss whose upper-tail
    weight (weight of the losses at or above it, in that order) reaches ``alpha``; ES is the
    weighted mean of the worst ``alpha`` of the distribution, the boundary loss taking the
    fractional remainder (Acerbi-Tasche).
    """
    n = losses.shape[0]
    if weights.shape[0] == 0:
        var, es, idx, _ = equal_weight_tail(losses, alpha, exact_es)
        return var, es, idx
    order = np.argsort(-losses, kind="mergesort")
    cum = 0.0
    acc = 0.0
    for i in range(n):
        j = order[i]
        w = weights[j]
        if cum + w >= alpha - WEIGHT_TOL:
            acc += (alpha - cum) * losses[j]
            return losses[j], acc / alpha, j
        cum += w
        acc += w * losses[j]
    return losses[order[n - 1]], acc / max(cum, WEIGHT_TOL), order[n - 1]
