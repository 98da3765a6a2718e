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

from imresearch._measures_kernels import tail_stats, two_tails
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
    var = np.empty(n_out)
    es = np.empty(n_out)
    arg = np.empty(n_out, dtype=np.int64)
    n_max = most_scenarios(lo1, hi1, lo1b, hi1b, lo2, hi2)
    for o in prange(n_out):
        work = group_work(levels.shape[1], 1, n_max, bk)
        losses, index = work[-2:]
        n, w = date_group_losses(o, levels, rows, shocks, vols, mult, disp, unit, lo1, hi1,
                                 lo1b, hi1b, lo2, hi2, stress_weight, work, bk)
        v, e, j = tail_stats(losses[0, :n], w, alpha, exact_es)
        var[o] = v
        es[o] = e
        arg[o] = index[j]
    return var, es, arg


@jit(error_model="numpy")
def _scenario_losses(base: np.ndarray, vol: np.ndarray, shocks: np.ndarray,
                     starts: np.ndarray, counts: np.ndarray, mult: np.ndarray,
                     disp: np.ndarray, unit: np.ndarray, E: np.ndarray, LS: np.ndarray,
                     LZ: np.ndarray, DF: np.ndarray, W: np.ndarray, acc: np.ndarray,
                     pv0: np.ndarray, losses: np.ndarray, index: np.ndarray,
                     bk: BlockArrays) -> int:
    """Losses ``pv0[g] - PV_g`` of every accumulator row ``g`` under the scenarios of the
    ranges ``shocks[starts[i] : starts[i] + counts[i]]`` at base ``base`` (scale ``vol``),
    into ``losses[g, :n]``, and their shock rows into ``index[:n]``; fills ``pv0``.
    Returns ``n``."""
    n_f = base.shape[0]
    n_acc = acc.shape[0]
    blk = acc.shape[1]
    _shocked_block(base, np.zeros((1, n_f)), 0, 1, vol, mult, disp, unit, E)
    acc[:, :] = 0.0
    price_block(1, acc, E, LS, LZ, DF, W, bk)
    for g in range(n_acc):
        pv0[g] = acc[g, 0]
    off = 0
    for seg in range(starts.shape[0]):
        lo = starts[seg]
        n = counts[seg]
        for s0 in range(0, n, blk):
            nb = min(blk, n - s0)
            _shocked_block(base, shocks, lo + s0, nb, vol, mult, disp, unit, E)
            acc[:, :] = 0.0
            price_block(nb, acc, E, LS, LZ, DF, W, bk)
            for g in range(n_acc):
                p = pv0[g]
                for b in range(nb):
                    losses[g, off + s0 + b] = p - acc[g, b]
            for b in range(nb):
                index[off + s0 + b] = lo + s0 + b
        off += n
    return off


@jit
def most_scenarios(lo1: np.ndarray, hi1: np.ndarray, lo1b: np.ndarray, hi1b: np.ndarray,
                   lo2: np.ndarray, hi2: np.ndarray) -> int:
    """The largest number of scenarios of an output date (at least 1)."""
    n_max = 1
    for o in range(lo1.shape[0]):
        n_max = max(n_max, hi1[o] - lo1[o] + hi1b[o] - lo1b[o] + hi2[o] - lo2[o])
    return n_max


@jit
def group_work(n_f: int, n_groups: int, n_max: int, bk: BlockArrays) -> tuple:
    """Work arrays of one run of dates of the group kernels: the block pricer's
    (:func:`~imresearch.portfolio._kernels.block_work`), then ``acc`` (n_groups, WIDTH),
    ``pv0`` (n_groups,), ``losses`` (n_groups, n_max) and ``index`` (n_max,) int64 (the last
    two are where :func:`date_group_losses` leaves a date's losses)."""
    E, LS, LZ, DF, W = block_work(n_f, bk, WIDTH)
    return (E, LS, LZ, DF, W, np.empty((n_groups, E.shape[1])), np.empty(n_groups),
            np.empty((n_groups, n_max)), np.empty(n_max, dtype=np.int64))


@jit(error_model="numpy")
def date_group_losses(o: int, levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                      vols: np.ndarray, mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                      lo1: np.ndarray, hi1: np.ndarray, lo1b: np.ndarray, hi1b: np.ndarray,
                      lo2: np.ndarray, hi2: np.ndarray, stress_weight: float, work: tuple,
                      bk: BlockArrays) -> tuple:
    """Every group's losses under the scenarios of output date ``o`` (see
    :func:`rolling_tail_block_kernel`) into ``work``'s ``losses[:, :n]`` (shock rows in
    ``index[:n]``). Returns ``n`` and the scenario weights (:func:`stress_weights`)."""
    E, LS, LZ, DF, W, acc, pv0, losses, index = work
    starts = np.array([lo1[o], lo1b[o], lo2[o]])
    counts = np.array([hi1[o] - lo1[o], hi1b[o] - lo1b[o], hi2[o] - lo2[o]])
    n = _scenario_losses(levels[rows[o]], vols[o], shocks, starts, counts, mult, disp, unit,
                         E, LS, LZ, DF, W, acc, pv0, losses, index, bk)
    return n, stress_weights(n - counts[2], counts[2], stress_weight)


@jit(parallel=True, error_model="numpy")
def rolling_tail_group_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                              vols: np.ndarray, mult: np.ndarray, disp: np.ndarray,
                              unit: np.ndarray, lo1: np.ndarray, hi1: np.ndarray,
                              lo1b: np.ndarray, hi1b: np.ndarray,
                              lo2: np.ndarray, hi2: np.ndarray, stress_weight: float,
                              alpha: float, exact_es: bool, n_groups: int, n_chunk: int,
                              bk: BlockArrays) -> tuple:
    """:func:`rolling_tail_block_kernel` per group of trades, both tails.

    ``bk`` is ``BoundPortfolio.block(groups=codes)``: each trade is priced once per scenario
    and accumulated into the row of its group (netting set), so one revaluation gives the
    P&L of every group. For each output date and group ``g``: the tail statistics of the
    group's losses (side 0: the margin the group calls for, its VaR/ES) and of its gains
    (side 1: the same model on the negated group, the margin posted). Dates run in
    ``n_chunk`` parallel runs (work arrays allocated once per run); the numbers do not depend
    on it. Returns (var, es, arg) of shape (n_out, 2, n_groups), ``arg`` the shock row of
    each VaR scenario.
    """
    n_out = rows.shape[0]
    n_g = n_groups
    var = np.empty((n_out, 2, n_g))
    es = np.empty((n_out, 2, n_g))
    arg = np.empty((n_out, 2, n_g), dtype=np.int64)
    n_max = most_scenarios(lo1, hi1, lo1b, hi1b, lo2, hi2)
    n_chunk = max(1, min(n_chunk, n_out))
    for c in prange(n_chunk):
        work = group_work(levels.shape[1], n_g, n_max, bk)
        losses, index = work[-2:]
        gains = np.empty(n_max)
        top, bottom = np.empty(n_max), np.empty(n_max)
        top_at = np.empty(n_max, dtype=np.int64)
        bottom_at = np.empty(n_max, dtype=np.int64)
        for o in range(c * n_out // n_chunk, (c + 1) * n_out // n_chunk):
            n, w = date_group_losses(o, levels, rows, shocks, vols, mult, disp, unit, lo1, hi1,
                                     lo1b, hi1b, lo2, hi2, stress_weight, work, bk)
            for g in range(n_g):
                row = losses[g, :n]
                if w.shape[0] == 0:  # equal weights: both tails in one pass
                    v, e, j, v2, e2, j2 = two_tails(row, alpha, exact_es, top, top_at, bottom,
                                                    bottom_at)
                    var[o, 0, g], es[o, 0, g], arg[o, 0, g] = v, e, index[j]
                    var[o, 1, g], es[o, 1, g], arg[o, 1, g] = v2, e2, index[j2]
                    continue
                v, e, j = tail_stats(row, w, alpha, exact_es)
                var[o, 0, g], es[o, 0, g], arg[o, 0, g] = v, e, index[j]
                for s in range(n):
                    gains[s] = -row[s]
                v, e, j = tail_stats(gains[:n], w, alpha, exact_es)
                var[o, 1, g], es[o, 1, g], arg[o, 1, g] = v, e, index[j]
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
