"""Numba kernels of the HS/FHS engines: scenario revaluation and tail statistics.

Arrays in, arrays out; they never raise. ``pargs`` is the tuple of a bound portfolio's kernel
arrays (``BoundPortfolio.kernel_args()``: ``ip, fp, g_t, g_lo, g_hi, g_w, cf_g, cf_c, cf_d``).
The hot rolling kernel takes them one by one so the pricer is inlined into its loops and the
discount grid is computed once per scenario.
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._numba import jit, prange
from imresearch.portfolio._kernels import (
    block_work,
    grid_dfs,
    price_block,
    pv_kernel,
    trade_pv,
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
def portfolio_pv(x: np.ndarray, weights: np.ndarray, pargs: tuple) -> float:
    """Weighted sum of trade PVs in state ``x`` (weights scale each trade, e.g. 1 or 0)."""
    pvs = pv_kernel(x, *pargs)
    total = 0.0
    for j in range(weights.shape[0]):
        total += weights[j] * pvs[j]
    return total


@jit
def trade_pvs(x: np.ndarray, pargs: tuple) -> np.ndarray:
    """PV of every trade in state ``x``: ``pv_kernel`` called outside ``prange`` bodies
    (Numba cannot inline a ``*args`` call there)."""
    return pv_kernel(x, *pargs)


@jit(parallel=True)
def scenario_pnl_by_trade(base: np.ndarray, shocks: np.ndarray, vol: np.ndarray,
                          mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                          n_trades: int, pargs: tuple) -> np.ndarray:
    """P&L (n_scenarios, n_trades) of each trade under each additive shock at one base."""
    n_s, n_f = shocks.shape
    x0 = np.empty(n_f)
    shocked_state(base, np.zeros(n_f), vol, mult, disp, unit, x0)
    pv0 = trade_pvs(x0, pargs)
    out = np.empty((n_s, n_trades))
    for s in prange(n_s):
        x = np.empty(n_f)
        shocked_state(base, shocks[s], vol, mult, disp, unit, x)
        row = trade_pvs(x, pargs)
        for j in range(n_trades):
            out[s, j] = row[j] - pv0[j]
    return out


@jit
def tail_stats(losses: np.ndarray, weights: np.ndarray, alpha: float,
               exact_es: bool) -> tuple:
    """(VaR, ES, index of the VaR scenario) of losses; equal weights when ``weights`` is empty.

    Equal weights: VaR is the k-th largest loss, k = ceil(n alpha); ES the mean of the k
    largest (or the exact tail mean when ``exact_es``). Weighted: see
    :func:`imresearch._measures_kernels.weighted_tail_kernel`.
    """
    n = losses.shape[0]
    order = np.argsort(-losses, kind="mergesort")
    if weights.shape[0] == 0:
        k = max(1, math.ceil(n * alpha - 1e-9))
        var = losses[order[k - 1]]
        if exact_es:
            tail = n * alpha
            m = min(math.floor(tail + 1e-9), n)
            acc = 0.0
            for i in range(m):
                acc += losses[order[i]]
            frac = tail - m
            if frac > 1e-12 and m < n:
                acc += frac * losses[order[m]]
            es = acc / tail
        else:
            acc = 0.0
            for i in range(k):
                acc += losses[order[i]]
            es = acc / k
        return var, es, order[k - 1]
    cum = 0.0
    acc = 0.0
    for i in range(n):
        j = order[i]
        w = weights[j]
        if cum + w >= alpha - 1e-12:
            acc += (alpha - cum) * losses[j]
            return losses[j], acc / alpha, j
        cum += w
        acc += w * losses[j]
    return losses[order[n - 1]], acc / max(cum, 1e-300), order[n - 1]


@jit
def stress_weights(n1: int, n2: int, stress_weight: float) -> np.ndarray:
    """Scenario weights of ``n1`` recent then ``n2`` stress scenarios: the stress ones carry
    ``stress_weight`` in total when it is in (0, 1) and above their share ("at least"), else
    equal weights (an empty array, as :func:`tail_stats` takes it)."""
    if n1 > 0 and n2 > 0 and 0.0 < stress_weight < 1.0 and n2 < stress_weight * (n1 + n2):
        w = np.empty(n1 + n2)
        w[:n1] = (1.0 - stress_weight) / n1
        w[n1:] = stress_weight / n2
        return w
    return np.empty(0)


@jit(parallel=True)
def rolling_tail_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                        vols: np.ndarray, mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                        lo1: np.ndarray, hi1: np.ndarray, lo1b: np.ndarray, hi1b: np.ndarray,
                        lo2: np.ndarray, hi2: np.ndarray,
                        stress_weight: float, alpha: float, exact_es: bool,
                        trade_weights: np.ndarray, ip: np.ndarray, fp: np.ndarray,
                        g_t: np.ndarray, g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray,
                        cf_g: np.ndarray, cf_c: np.ndarray, cf_d: np.ndarray) -> tuple:
    """Rolling full-revaluation VaR and ES of a portfolio.

    For output ``o`` (parallel): base levels ``levels[rows[o]]``; scenarios are the additive
    shocks ``shocks[lo1[o]:hi1[o]]`` and ``shocks[lo1b[o]:hi1b[o]]`` (recent, outside the
    stress window; the second range is empty unless the stress window lies inside the
    lookback) and ``shocks[lo2[o]:hi2[o]]`` (stress, may be empty), each scaled per factor by
    ``vols[o]``; stress scenarios carry total weight ``stress_weight`` when it is in (0, 1)
    and above their share of the scenarios ("at least" that weight), else every scenario
    weighs the same.
    Returns (var, es, scenario index of the VaR scenario) arrays of shape (n_out,).
    """
    n_out = rows.shape[0]
    n_f = levels.shape[1]
    n_tr = ip.shape[0]
    # visit trades grouped by product kind: the pricer's dispatch then predicts well
    order = np.argsort(ip[:, 0], kind="mergesort")
    var = np.empty(n_out)
    es = np.empty(n_out)
    arg = np.empty(n_out, dtype=np.int64)
    for o in prange(n_out):
        base = levels[rows[o]]
        vol = vols[o]
        x = np.empty(n_f)
        dfs = np.empty(g_t.shape[0])
        zero = np.zeros(n_f)
        shocked_state(base, zero, vol, mult, disp, unit, x)
        grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
        pv0 = 0.0
        for jj in range(n_tr):
            j = order[jj]
            if trade_weights[j] != 0.0:
                pv0 += trade_weights[j] * trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d)
        na = hi1[o] - lo1[o]
        n1 = na + hi1b[o] - lo1b[o]
        n2 = hi2[o] - lo2[o]
        losses = np.empty(n1 + n2)
        index = np.empty(n1 + n2, dtype=np.int64)
        for s in range(n1 + n2):
            if s < na:
                k = lo1[o] + s
            elif s < n1:
                k = lo1b[o] + s - na
            else:
                k = lo2[o] + s - n1
            index[s] = k
            shocked_state(base, shocks[k], vol, mult, disp, unit, x)
            grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
            pv = 0.0
            for jj in range(n_tr):
                j = order[jj]
                if trade_weights[j] != 0.0:
                    pv += trade_weights[j] * trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d)
            losses[s] = pv0 - pv
        w = stress_weights(n1, n2, stress_weight)
        v, e, j = tail_stats(losses, w, alpha, exact_es)
        var[o] = v
        es[o] = e
        arg[o] = index[j]
    return var, es, arg


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
                              alpha: float, exact_es: bool, oi: np.ndarray, of: np.ndarray,
                              ti: np.ndarray, tc: np.ndarray, ci: np.ndarray, cf: np.ndarray,
                              rg: np.ndarray, rc: np.ndarray, rd: np.ndarray, ru: np.ndarray,
                              g_t: np.ndarray, g_lo: np.ndarray, g_hi: np.ndarray,
                              g_w: np.ndarray) -> tuple:
    """:func:`rolling_tail_kernel` with the block pricer.

    The portfolio arrays are ``BoundPortfolio.block_args(trade_weights)`` (one accumulator:
    linear trades and swap flows merged into one term per (factor, grid point, FX)); the
    scenarios of each date are priced a block at a time with vectorised inner loops.
    Same inputs and outputs otherwise.
    """
    n_out = rows.shape[0]
    n_f = levels.shape[1]
    n_g = g_t.shape[0]
    var = np.empty(n_out)
    es = np.empty(n_out)
    arg = np.empty(n_out, dtype=np.int64)
    zero = np.zeros((1, n_f))
    for o in prange(n_out):
        base = levels[rows[o]]
        vol = vols[o]
        E, LS, LZ, DF, W = block_work(n_f, n_g, ci, WIDTH)
        blk = E.shape[1]  # states per block
        acc = np.zeros((1, blk))
        _shocked_block(base, zero, 0, 1, vol, mult, disp, unit, E)
        price_block(1, acc, E, LS, LZ, DF, W, oi, of, ti, tc, ci, cf, rg, rc, rd, ru, g_t,
                    g_lo, g_hi, g_w)
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
                price_block(nb, acc, E, LS, LZ, DF, W, oi, of, ti, tc, ci, cf, rg, rc, rd, ru,
                            g_t, g_lo, g_hi, g_w)
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
                      pargs: tuple) -> np.ndarray:
    """Portfolio PV on every row of ``levels`` (constant-maturity terms), shape (n_dates,)."""
    n, n_f = levels.shape
    out = np.empty(n)
    x = np.empty(n_f)
    for i in range(n):
        for f in range(n_f):
            x[f] = levels[i, f] * unit[f]
        out[i] = portfolio_pv(x, trade_weights, pargs)
    return out
