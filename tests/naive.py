"""Slow, obviously-correct reference versions of the kernels (test oracles).

The scalar twins of the engines' block kernels (:func:`rolling_tail_kernel`,
:func:`mc_pnl_kernel`) price trade by trade with the scalar pricer and sort every scenario set
in full; they are jitted only to keep the tests quick.
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._numba import jit
from imresearch.engines._kernels import shocked_state, stress_weights
from imresearch.engines._mc_kernels import _horizon_levels, _path_step
from imresearch.portfolio._kernels import TradeArrays, grid_dfs, trade_pv, upper_tail


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


def norm_cdf(v: float) -> float:
    """Standard normal distribution function from the pricers' normal tail
    (:func:`imresearch.portfolio._kernels.upper_tail`), one value at a time."""
    a = abs(v)
    c = upper_tail(a, math.exp(-0.5 * a * a))
    return 1.0 - c if v > 0.0 else c


@jit
def tail_by_sorting(losses: np.ndarray, weights: np.ndarray, alpha: float,
                    exact_es: bool) -> tuple:
    """(VaR, ES, VaR scenario) by a full stable sort; equal weights when ``weights`` is empty
    (the twin of :func:`imresearch._measures_kernels.tail_stats`)."""
    n = losses.shape[0]
    order = np.argsort(-losses, kind="mergesort")
    if weights.shape[0] == 0:
        k = max(1, math.ceil(n * alpha - 1e-9))
        var = losses[order[k - 1]]
        acc = 0.0
        if exact_es:
            tail = n * alpha
            m = min(math.floor(tail + 1e-9), n)
            for i in range(m):
                acc += losses[order[i]]
            frac = tail - m
            if frac > 1e-12 and m < n:
                acc += frac * losses[order[m]]
            return var, acc / tail, order[k - 1]
        for i in range(k):
            acc += losses[order[i]]
        return var, acc / k, order[k - 1]
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
def rolling_tail_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                        vols: np.ndarray, mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                        lo1: np.ndarray, hi1: np.ndarray, lo1b: np.ndarray, hi1b: np.ndarray,
                        lo2: np.ndarray, hi2: np.ndarray, stress_weight: float, alpha: float,
                        exact_es: bool, trade_weights: np.ndarray, book: TradeArrays) -> tuple:
    """Twin of :func:`imresearch.engines._kernels.rolling_tail_block_kernel`: the same inputs
    with the trade weights and the scalar pricer's arrays instead of the block arrays."""
    n_out = rows.shape[0]
    n_f = levels.shape[1]
    n_tr = book.ip.shape[0]
    var = np.empty(n_out)
    es = np.empty(n_out)
    arg = np.empty(n_out, dtype=np.int64)
    x = np.empty(n_f)
    dfs = np.empty(book.g_t.shape[0] + 1)
    for o in range(n_out):
        base = levels[rows[o]]
        vol = vols[o]
        shocked_state(base, np.zeros(n_f), vol, mult, disp, unit, x)
        grid_dfs(x, book, dfs)
        pv0 = 0.0
        for j in range(n_tr):
            pv0 += trade_weights[j] * trade_pv(j, x, dfs, book)
        index = np.concatenate((np.arange(lo1[o], hi1[o]), np.arange(lo1b[o], hi1b[o]),
                                np.arange(lo2[o], hi2[o])))
        losses = np.empty(index.shape[0])
        for s in range(index.shape[0]):
            shocked_state(base, shocks[index[s]], vol, mult, disp, unit, x)
            grid_dfs(x, book, dfs)
            pv = 0.0
            for j in range(n_tr):
                pv += trade_weights[j] * trade_pv(j, x, dfs, book)
            losses[s] = pv0 - pv
        n2 = hi2[o] - lo2[o]
        w = stress_weights(index.shape[0] - n2, n2, stress_weight)
        v, e, j = tail_by_sorting(losses, w, alpha, exact_es)
        var[o] = v
        es[o] = e
        arg[o] = index[j]
    return var, es, arg


@jit
def rolling_tail_group_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                              vols: np.ndarray, mult: np.ndarray, disp: np.ndarray,
                              unit: np.ndarray, lo1: np.ndarray, hi1: np.ndarray,
                              lo1b: np.ndarray, hi1b: np.ndarray, lo2: np.ndarray,
                              hi2: np.ndarray, stress_weight: float, alpha: float,
                              exact_es: bool, codes: np.ndarray, n_groups: int,
                              book: TradeArrays) -> tuple:
    """Twin of :func:`imresearch.engines._kernels.rolling_tail_group_kernel`: every trade
    priced by the scalar pricer, its P&L added to its group's, and each group's losses and
    gains sorted in full."""
    n_out = rows.shape[0]
    n_f = levels.shape[1]
    n_tr = book.ip.shape[0]
    var = np.empty((n_out, 2, n_groups))
    es = np.empty((n_out, 2, n_groups))
    arg = np.empty((n_out, 2, n_groups), dtype=np.int64)
    x = np.empty(n_f)
    dfs = np.empty(book.g_t.shape[0] + 1)
    for o in range(n_out):
        base = levels[rows[o]]
        shocked_state(base, np.zeros(n_f), vols[o], mult, disp, unit, x)
        grid_dfs(x, book, dfs)
        pv0 = np.zeros(n_groups)
        for j in range(n_tr):
            pv0[codes[j]] += trade_pv(j, x, dfs, book)
        index = np.concatenate((np.arange(lo1[o], hi1[o]), np.arange(lo1b[o], hi1b[o]),
                                np.arange(lo2[o], hi2[o])))
        losses = np.empty((n_groups, index.shape[0]))
        for s in range(index.shape[0]):
            shocked_state(base, shocks[index[s]], vols[o], mult, disp, unit, x)
            grid_dfs(x, book, dfs)
            pv = np.zeros(n_groups)
            for j in range(n_tr):
                pv[codes[j]] += trade_pv(j, x, dfs, book)
            for g in range(n_groups):
                losses[g, s] = pv0[g] - pv[g]
        n2 = hi2[o] - lo2[o]
        w = stress_weights(index.shape[0] - n2, n2, stress_weight)
        for g in range(n_groups):
            for side in range(2):
                sign = 1.0 if side == 0 else -1.0
                v, e, j = tail_by_sorting(sign * losses[g], w, alpha, exact_es)
                var[o, side, g] = v
                es[o, side, g] = e
                arg[o, side, g] = index[j]
    return var, es, arg


def loss_pit(losses: np.ndarray, weights: np.ndarray, realised_loss: float) -> float:
    """Twin of :func:`imresearch.engines._group_kernels.loss_pit`: the weighted share of
    scenario losses above the realised loss, ties counted half, by boolean masks."""
    w = np.ones(len(losses)) if len(weights) == 0 else weights
    return float((w[losses > realised_loss].sum() + 0.5 * w[losses == realised_loss].sum())
                 / w.sum())


def rolling_group_pit_kernel(levels: np.ndarray, rows: np.ndarray, shocks: np.ndarray,
                             vols: np.ndarray, mult: np.ndarray, disp: np.ndarray,
                             unit: np.ndarray, lo1: np.ndarray, hi1: np.ndarray,
                             lo1b: np.ndarray, hi1b: np.ndarray, lo2: np.ndarray,
                             hi2: np.ndarray, stress_weight: float, alpha: float,
                             exact_es: bool, codes: np.ndarray, n_groups: int,
                             book: TradeArrays, realised_loss: np.ndarray) -> tuple:
    """Twin of :func:`imresearch.engines._group_kernels.rolling_group_tail_kernel`: each
    trade row priced by the scalar pricer into its group, tails by a full sort, PIT by
    counting. Returns (var, es, pit) of shape (n_out, n_groups)."""
    n_out, n_f, n_tr = rows.shape[0], levels.shape[1], book.ip.shape[0]
    var, es, pit = (np.empty((n_out, n_groups)) for _ in range(3))
    x = np.empty(n_f)
    dfs = np.empty(book.g_t.shape[0] + 1)

    def group_pv(shock: np.ndarray, o: int) -> np.ndarray:
        shocked_state(levels[rows[o]], shock, vols[o], mult, disp, unit, x)
        grid_dfs(x, book, dfs)
        pv = np.zeros(n_groups)
        for j in range(n_tr):
            pv[codes[j]] += trade_pv(j, x, dfs, book)
        return pv

    for o in range(n_out):
        pv0 = group_pv(np.zeros(n_f), o)
        index = np.concatenate((np.arange(lo1[o], hi1[o]), np.arange(lo1b[o], hi1b[o]),
                                np.arange(lo2[o], hi2[o])))
        losses = np.array([pv0 - group_pv(shocks[s], o) for s in index]).T
        n2 = hi2[o] - lo2[o]
        w = stress_weights(index.shape[0] - n2, n2, stress_weight)
        for g in range(n_groups):
            var[o, g], es[o, g], _ = tail_by_sorting(losses[g], w, alpha, exact_es)
            r = realised_loss[o, g]
            pit[o, g] = np.nan if np.isnan(r) else loss_pit(losses[g], w, r)
    return var, es, pit


@jit
def mc_pnl_kernel(innov: np.ndarray, lt: np.ndarray, correlate: bool, vol0: np.ndarray,
                  garch: np.ndarray, use_garch: bool, base: np.ndarray, mult: np.ndarray,
                  disp: np.ndarray, unit: np.ndarray, hsteps: np.ndarray, pv0: float,
                  out: np.ndarray, book: TradeArrays) -> None:
    """Twin of :func:`imresearch.engines._mc_kernels.mc_pnl_block_kernel`: path by path, the
    portfolio priced trade by trade with the scalar pricer."""
    n_p, n_t, n_f = innov.shape
    n_h = hsteps.shape[0]
    lazy = correlate and not use_garch
    x = np.empty(n_f)
    dfs = np.empty(book.g_t.shape[0] + 1)
    for p in range(n_p):
        a = np.zeros(n_f)
        z = np.zeros(n_f)
        sd = vol0.copy()
        var = vol0 * vol0
        h = 0
        for t in range(n_t):
            _path_step(innov, p, t, lazy, correlate, use_garch, lt, garch, sd, var, z, a)
            if h < n_h and t + 1 == hsteps[h]:
                _horizon_levels(a, z, lazy, lt, sd, base, mult, disp, unit, x)
                grid_dfs(x, book, dfs)
                pv = 0.0
                for j in range(book.ip.shape[0]):
                    pv += trade_pv(j, x, dfs, book)
                out[p, h] = pv - pv0
                h += 1


def overlap_sequences(z: np.ndarray, n: int, horizon: int, step: int,
                      threshold: float) -> np.ndarray:
    """Twin of :func:`imresearch.backtest._kernels.overlap_sequences`: each window summed
    afresh, flags listed, transitions counted pair by pair."""
    import itertools

    out = np.zeros((z.shape[0], 5), dtype=np.int64)
    for s in range(z.shape[0]):
        flags = [float(np.sum(z[s, i * step:i * step + horizon], dtype=np.float64)) > threshold
                 for i in range(n)]
        out[s, 0] = sum(flags)
        for a, b in itertools.pairwise(flags):
            out[s, 1 + 2 * int(a) + int(b)] += 1
    return out
