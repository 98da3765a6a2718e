"""Numba kernels of the HS/FHS engines: scenario revaluation and rolling tail statistics.

Arrays in, arrays out; they never raise. The portfolio comes as one NamedTuple of arrays: its
trades for the scalar pricer (``book``, :class:`~imresearch.portfolio._kernels.TradeArrays`,
``BoundPortfolio.arrays``) or for the block pricer (``bk``,
:class:`~imresearch.portfolio._kernels.BlockArrays`, ``BoundPortfolio.block(weights)``). Tail
statistics come from :func:`imresearch._measures_kernels.tail_stats`.
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._measures_kernels import tail_stats
from imresearch._numba import jit, prange
from imresearch.portfolio._kernels import (
    BlockArrays,
    TradeArrays,
    block_work,
    price_block,
    pv_kernel,
    vexp,
)


@jit
def shocked_state(base: np.ndarray, shock: np.ndarray, vol: np.ndarray, mult: np.ndarray,
                  disp: np.ndarray, unit: np.ndarray, out: np.ndarray) -> None:
    """Model-unit state from raw ``base`` levels and an additive ``shock`` scaled by ``vol``."""
    for f in range(base.shape[0]):
        a = vol[f] * shock[f]
        if mult[f] == 1:
            lvl = (base[f] + disp[f]) * math.exp(a) - disp[f]
        else:
            lvl = base[f] + a
        out[f] = lvl * unit[f]


@jit
def portfolio_pv(x: np.ndarray, weights: np.ndarray, book: TradeArrays) -> float:
    """Weighted sum of trade PVs in state ``x`` (weights scale each trade, e.g. 1 or 0)."""
    pvs = pv_kernel(x, book)
    total = 0.0
    for j in range(weights.shape[0]):
        total += weights[j] * pvs[j]
    return total


@jit(parallel=True)
def scenario_pnl_by_trade(base: np.ndarray, shocks: np.ndarray, vol: np.ndarray,
                          mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                          n_trades: int, book: TradeArrays) -> np.ndarray:
    """P&L (n_scenarios, n_trades) of each trade under each additive shock at one base."""
    n_s, n_f = shocks.shape
    x0 = np.empty(n_f)
    shocked_state(base, np.zeros(n_f), vol, mult, disp, unit, x0)
    pv0 = pv_kernel(x0, book)
    out = np.empty((n_s, n_trades))
    for s in prange(n_s):
        x = np.empty(n_f)
        shocked_state(base, shocks[s], vol, mult, disp, unit, x)
        row = pv_kernel(x, book)
        for j in range(n_trades):
            out[s, j] = row[j] - pv0[j]
    return out


@jit
def stress_weights(n1: int, n2: int, stress_weight: float) -> np.ndarray:
    """Scenario weights of ``n1`` recent then ``n2`` stress scenarios: the stress ones carry
    ``stress_weight`` in total when it is in (0, 1) and above their share ("at least"), else
    equal weights (an empty array, as :func:`~imresearch._measures_kernels.tail_stats` takes
    it)."""
    if n1 > 0 and n2 > 0 and 0.0 < stress_weight < 1.0 and n2 < stress_weight * (n1 + n2):
        w = np.empty(n1 + n2)
        w[:n1] = (1.0 - stress_weight) / n1
        w[n1:] = stress_weight / n2
        return w
    return np.empty(0)


#: scenarios per block of the rolling block kernel (a constant of this module, so Numba's cache
#: of the kernel never pairs with work arrays of another width)
WIDTH = 64


@jit(error_model="numpy")
def _shocked_block(base: np.ndarray, shocks: np.ndarray, k0: int, nb: int, vol: np.ndarray,
                   mult: np.ndarray, disp: np.ndarray, unit: np.ndarray, E: np.ndarray) -> None:
    """:func:`shocked_state` of shocks ``k0 .. k0 + nb - 1`` into the columns of ``E``."""
    for f in range(base.shape[0]):
        v = vol[f]
        d = disp[f]
        u = unit[f]
        if mult[f] == 1:
            bd = base[f] + d
            for b in range(nb):
                E[f, b] = (bd * vexp(v * shocks[k0 + b, f]) - d) * u
        else:
            bf = base[f]
            for b in range(nb):
                E[f, b] = (bf + v * shocks[k0 + b, f]) * u


@jit(parallel=True, error_model="numpy")
def rolling_tail_block_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                              vols: np.ndarray, mult: np.ndarray, disp: np.ndarray,
                              unit: np.ndarray, lo1: np.ndarray, hi1: np.ndarray,
                              lo1b: np.ndarray, hi1b: np.ndarray,
                              lo2: np.ndarray, hi2: np.ndarray, stress_weight: float,
                              alpha: float, exact_es: bool, bk: BlockArrays) -> tuple:
    """Rolling full-revaluation VaR and ES of a portfolio, with the block pricer.

    For output ``o`` (parallel): base levels ``levels[rows[o]]``; scenarios are the additive
    shocks ``shocks[lo1[o]:hi1[o]]`` and ``shocks[lo1b[o]:hi1b[o]]`` (recent, outside the
    stress window; the second range is empty unless the stress window lies inside the
    lookback) and ``shocks[lo2[o]:hi2[o]]`` (stress, may be empty), each scaled per factor by
    ``vols[o]``; stress scenarios carry total weight ``stress_weight`` when it is in (0, 1)
    and above their share of the scenarios ("at least" that weight), else every scenario
    weighs the same. The portfolio ``bk`` is ``BoundPortfolio.block(trade_weights)`` (one
    accumulator: linear trades and swap flows merged into one term per (factor, grid point,
    FX)); the scenarios of each date are priced a block at a time with vectorised inner loops.
    Returns (var, es, scenario index of the VaR scenario) arrays of shape (n_out,).
    """
    n_out = rows.shape[0]
    n_f = levels.shape[1]
    var = np.empty(n_out)
    es = np.empty(n_out)
    arg = np.empty(n_out, dtype=np.int64)
    zero = np.zeros((1, n_f))
    for o in prange(n_out):
        base = levels[rows[o]]
        vol = vols[o]
        E, LS, LZ, DF, W = block_work(n_f, bk, WIDTH)
        blk = E.shape[1]  # states per block
        acc = np.zeros((1, blk))
        _shocked_block(base, zero, 0, 1, vol, mult, disp, unit, E)
        price_block(1, acc, E, LS, LZ, DF, W, bk)
        pv0 = acc[0, 0]
        na = hi1[o] - lo1[o]
        n1 = na + hi1b[o] - lo1b[o]
        n2 = hi2[o] - lo2[o]
        losses = np.empty(n1 + n2)
        index = np.empty(n1 + n2, dtype=np.int64)
        for seg in range(3):
            if seg == 0:
                lo, n, off = lo1[o], na, 0
            elif seg == 1:
                lo, n, off = lo1b[o], n1 - na, na
            else:
                lo, n, off = lo2[o], n2, n1
            for s0 in range(0, n, blk):
                nb = min(blk, n - s0)
                _shocked_block(base, shocks, lo + s0, nb, vol, mult, disp, unit, E)
                for b in range(blk):
                    acc[0, b] = 0.0
                price_block(nb, acc, E, LS, LZ, DF, W, bk)
                for b in range(nb):
                    losses[off + s0 + b] = pv0 - acc[0, b]
                    index[off + s0 + b] = lo + s0 + b
        w = stress_weights(n1, n2, stress_weight)
        v, e, j = tail_stats(losses, w, alpha, exact_es)
        var[o] = v
        es[o] = e
        arg[o] = index[j]
    return var, es, arg


@jit
def portfolio_pv_path(levels: np.ndarray, unit: np.ndarray, trade_weights: np.ndarray,
                      book: TradeArrays) -> np.ndarray:
    """Portfolio PV on every row of ``levels`` (constant-maturity terms), shape (n_dates,)."""
    n, n_f = levels.shape
    out = np.empty(n)
    x = np.empty(n_f)
    for i in range(n):
        for f in range(n_f):
            x[f] = levels[i, f] * unit[f]
        out[i] = portfolio_pv(x, trade_weights, book)
    return out
