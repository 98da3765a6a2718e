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
