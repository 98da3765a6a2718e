"""Numba kernels of :mod:`imresearch.engines.masked`: rolling tails of groups of a book with
the probability integral transform of realised P&L. Arrays in, arrays out; never raise."""

from __future__ import annotations

import numpy as np

from imresearch._measures_kernels import tail_stats
from imresearch._numba import jit, prange
from imresearch.engines._kernels import date_group_losses, group_work, most_scenarios
from imresearch.portfolio._kernels import BlockArrays


@jit
def loss_pit(losses: np.ndarray, weights: np.ndarray, realised_loss: float) -> float:
    """``P(L >= realised_loss)`` under scenario ``losses`` with ``weights`` (empty: equal),
    ties counted half: the PIT ``P(P&L <= realised P&L)`` of a realised P&L."""
    n = losses.shape[0]
    above = 0.0
    equal = 0.0
    total = 0.0
    for s in range(n):
        w = 1.0 if weights.shape[0] == 0 else weights[s]
        total += w
        if losses[s] > realised_loss:
            above += w
        elif losses[s] == realised_loss:
            equal += w
    return (above + 0.5 * equal) / total if total > 0 else np.nan


@jit
def path_pit(pnl: np.ndarray, realised: float) -> float:
    """``P(P&L <= realised)`` over equally likely simulated ``pnl``, ties counted half."""
    return loss_pit(-pnl, np.empty(0), -realised)


@jit(parallel=True, error_model="numpy")
def rolling_group_tail_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                              vols: np.ndarray, mult: np.ndarray, disp: np.ndarray,
                              unit: np.ndarray, lo1: np.ndarray, hi1: np.ndarray,
                              lo1b: np.ndarray, hi1b: np.ndarray, lo2: np.ndarray,
                              hi2: np.ndarray, stress_weight: float, alpha: float,
                              exact_es: bool, n_groups: int, n_chunk: int,
                              realised_loss: np.ndarray, bk: BlockArrays) -> tuple:
    """VaR, ES and PIT of each group's losses on each date, one revaluation for all groups.

    As :func:`~imresearch.engines._kernels.rolling_tail_group_kernel` (inputs, scenario
    ranges, weights, ``bk = BoundPortfolio.block(groups=codes)``), losses side only, plus
    ``realised_loss`` (n_out, n_groups): each group's realised loss after each date (NaN:
    none), whose PIT :func:`loss_pit` in the group's scenario distribution is returned.
    Returns (var, es, pit) of shape (n_out, n_groups).
    """
    n_out = rows.shape[0]
    n_g = n_groups
    var = np.empty((n_out, n_g))
    es = np.empty((n_out, n_g))
    pit = np.empty((n_out, n_g))
    n_max = most_scenarios(lo1, hi1, lo1b, hi1b, lo2, hi2)
    n_chunk = max(1, min(n_chunk, n_out))
    for c in prange(n_chunk):
        work = group_work(levels.shape[1], n_g, n_max, bk)
        losses = work[-2]
        for o in range(c * n_out // n_chunk, (c + 1) * n_out // n_chunk):
            n, w = date_group_losses(o, levels, rows, shocks, vols, mult, disp, unit, lo1, hi1,
                                     lo1b, hi1b, lo2, hi2, stress_weight, work, bk)
            for g in range(n_g):
                row = losses[g, :n]
                v, e, _ = tail_stats(row, w, alpha, exact_es)
                var[o, g] = v
                es[o, g] = e
                r = realised_loss[o, g]
                pit[o, g] = np.nan if np.isnan(r) else loss_pit(row, w, r)
    return var, es, pit
