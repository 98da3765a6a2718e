"""Slow, obviously-correct reference versions of the kernels (test oracles)."""

from __future__ import annotations

import math

import numpy as np


def shock(a: float, b: float, convention: str, units: str = "", displacement: float = 0.0) -> float:
    """Shock from level a to level b, straight from the definitions."""
    if convention == "log":
        return math.log(b / a)
    if convention == "relative":
        return b / a - 1.0
    if convention == "absolute":
        return b - a
    if convention == "absolute_bp":
        return (b - a) * {"decimal": 10000.0, "percent": 100.0, "bp": 1.0}[units]
    if convention == "displaced_relative":
        return (b + displacement) / (a + displacement) - 1.0
    raise ValueError(convention)


def horizon_shocks(levels: np.ndarray, specs: list, starts: list[int], step: int,
                   scale: float = 1.0) -> np.ndarray:
    """Shocks row by row, factor by factor."""
    out = np.empty((len(starts), levels.shape[1]))
    for k, i in enumerate(starts):
        for j, spec in enumerate(specs):
            out[k, j] = scale * shock(levels[i, j], levels[i + step, j], spec.convention,
                                      spec.units, spec.displacement)
    return out


def rolling_tail(losses: np.ndarray, window: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-th largest loss and mean of the k largest, by sorting every window."""
    kth, tail = [], []
    for i in range(len(losses) - window + 1):
        w = sorted(losses[i : i + window], reverse=True)
        kth.append(w[k - 1])
        tail.append(sum(w[:k]) / k)
    return np.array(kth), np.array(tail)


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Window means by slicing."""
    return np.array([x[i : i + window].mean(axis=0) for i in range(len(x) - window + 1)])


def kth_worst(pnl: np.ndarray, k: int) -> float:
    """k-th largest loss by full sort."""
    return sorted((-p for p in pnl), reverse=True)[k - 1]


def exact_es_by_integration(pnl: np.ndarray, confidence: float, grid: int = 200_001) -> float:
    """ES as (1/alpha) * integral of the empirical loss quantile over (confidence, 1)."""
    losses = np.sort(-np.asarray(pnl))
    n = len(losses)
    u = np.linspace(confidence, 1.0, grid)[1:-1]
    q = losses[np.minimum(np.ceil(u * n - 1e-12).astype(int) - 1, n - 1)]  # inverted cdf
    return float(q.mean())


def christoffersen_lr_ind(flags: np.ndarray) -> float:
    """Independence LR from the likelihoods of a 2-state Markov chain vs a Bernoulli."""
    import itertools
    import math

    pairs = list(itertools.pairwise(flags))
    n = {(a, b): sum(1 for p in pairs if p == (a, b)) for a in (0, 1) for b in (0, 1)}

    def ll(count_fail: int, count_ok: int, p: float) -> float:
        out = 0.0
        if count_fail:
            out += count_fail * math.log(p)
        if count_ok:
            out += count_ok * math.log(1 - p)
        return out

    p01 = n[0, 1] / max(n[0, 0] + n[0, 1], 1)
    p11 = n[1, 1] / max(n[1, 0] + n[1, 1], 1)
    p = (n[0, 1] + n[1, 1]) / len(pairs)
    alt = ll(n[0, 1], n[0, 0], p01) + ll(n[1, 1], n[1, 0], p11)
    null = ll(n[0, 1] + n[1, 1], n[0, 0] + n[1, 0], p)
    return 2 * (alt - null)
