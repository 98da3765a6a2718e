"""Numba pricing kernels. Arrays in, arrays out; they never raise.

A bound portfolio (:mod:`imresearch.portfolio.binding`) is a set of plain arrays:

``ip`` : int64 (n_trades, N_IP)
    Product code and factor indices (columns ``I_*``; -1 = none).
``fp`` : float64 (n_trades, N_FP)
    Signed amounts, strikes, times in years and other numbers (columns ``F_*``).
``g_t, g_w`` : float64 (n_grid,); ``g_lo, g_hi`` : int64 (n_grid,)
    The discount grid: the distinct (curve, date) pairs of the whole portfolio, each a time in
    years and the zero rate's linear interpolation ``z = (1 - w) x[lo] + w x[hi]`` between two
    curve-pillar factors; ``DF = exp(-z t)`` is computed once per grid point and market state.
``cf_g`` : int64 (n_cf,); ``cf_c`` : float64 (n_cf,); ``cf_d`` : int64 (n_cf,)
    Dated rows of every trade, rows ``ip[j, I_CF0] .. ip[j, I_CF0] + ip[j, I_NCF] - 1``: grid
    point, coefficient (swap cash-flow factor, CDS accrual) and days from the valuation date.

``x`` : float64 (n_factors,)
    A market state in model units (decimal rates and spreads, decimal vols, prices).

Prices are converted to USD with the FX factor ``ip[j, I_FX]`` (multiplied, or divided when
``ip[j, I_FX_INV]`` is 1).
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._numba import jit, prange
from imresearch.marketdata.conventions import level_from_shock

# product codes
EQ_POSITION, EQ_TRS, EQ_FORWARD, EQ_OPTION = 0, 1, 2, 3
FX_FORWARD, FX_OPTION, IRS, CDS, CMD_FORWARD, CMD_OPTION = 4, 5, 6, 7, 8, 9

# integer columns
I_KIND, I_SPOT, I_SPOT_INV, I_VOL, I_FX, I_FX_INV, I_CF0, I_NCF = range(8)
N_IP = 8
# float columns. F_FWD: exp(-q T) (equity), exp(carry T) (commodity); F_SQRT_T: sqrt(T).
(F_SIGN, F_AMOUNT, F_STRIKE, F_T, F_FWD, F_VOL, F_CALL, F_REC, F_COUPON, F_SCALE,
 F_SQRT_T) = range(11)
N_FP = 11

_INV_SQRT_2PI = 0.3989422804014327


@jit
def _upper_tail(a: float, e: float) -> float:
    """``N(-a)`` for ``a >= 0`` given ``e = exp(-a^2 / 2)`` (Hart 1968, after West 2005)."""
    if a > 37.0:
        return 0.0
    if a < 7.07106781186547:
        num = 3.52624965998911e-02 * a + 0.700383064443688
        num = num * a + 6.37396220353165
        num = num * a + 33.912866078383
        num = num * a + 112.079291497871
        num = num * a + 221.213596169931
        num = num * a + 220.206867912376
        den = 8.83883476483184e-02 * a + 1.75566716318264
        den = den * a + 16.064177579207
        den = den * a + 86.7807322029461
        den = den * a + 296.564248779674
        den = den * a + 637.333633378831
        den = den * a + 793.826512519948
        den = den * a + 440.413735824752
        return e * num / den
    b = a + 0.65
    b = a + 4.0 / b
    b = a + 3.0 / b
    b = a + 2.0 / b
    b = a + 1.0 / b
    return e * _INV_SQRT_2PI / b


@jit
def norm_cdf(v: float) -> float:
    """Standard normal distribution function, double precision (Hart 1968, after West 2005).

    One ``exp`` and a rational function; absolute error below 2e-15 (relative below 1e-7
    in the far tail).
    """
    a = abs(v)
    c = _upper_tail(a, math.exp(-0.5 * a * a))
    return 1.0 - c if v > 0.0 else c


@jit
def black(fwd: float, strike: float, stdev: float, df: float, call: float) -> float:
    """Black price ``df * E[(call (F - K))^+]`` for a lognormal forward with total stdev.

    ``call`` is +1 for a call and -1 for a put; intrinsic value when ``stdev <= 0``. One
    ``exp`` serves both normal probabilities: ``exp(-d2^2 / 2) = exp(-d1^2 / 2) F / K``.
    """
    if stdev <= 0.0 or fwd <= 0.0:
        return df * max(call * (fwd - strike), 0.0)
    ratio = fwd / strike
    d1 = (math.log(ratio) + 0.5 * stdev * stdev) / stdev
    d2 = d1 - stdev
    e1 = math.exp(-0.5 * d1 * d1)
    t1 = _upper_tail(abs(d1), e1)
    t2 = _upper_tail(abs(d2), e1 * ratio)
    n1 = 1.0 - t1 if call * d1 > 0.0 else t1
    n2 = 1.0 - t2 if call * d2 > 0.0 else t2
    return df * call * (fwd * n1 - strike * n2)


@jit(inline="always")
def grid_dfs(x: np.ndarray, g_t: np.ndarray, g_lo: np.ndarray, g_hi: np.ndarray,
             g_w: np.ndarray, out: np.ndarray) -> None:
    """Discount factors of every grid point in state ``x`` into ``out`` (n_grid,)."""
    for k in range(g_t.shape[0]):
        w = g_w[k]
        out[k] = math.exp(-((1.0 - w) * x[g_lo[k]] + w * x[g_hi[k]]) * g_t[k])


@jit(inline="always")
def trade_pv(j: int, x: np.ndarray, dfs: np.ndarray, ip: np.ndarray, fp: np.ndarray,
             cf_g: np.ndarray, cf_c: np.ndarray, cf_d: np.ndarray) -> float:
    """Present value in USD of trade ``j`` in state ``x`` with grid discount factors ``dfs``."""
    kind = ip[j, I_KIND]
    amount = fp[j, F_AMOUNT]
    strike = fp[j, F_STRIKE]
    k0 = ip[j, I_CF0]
    spot = 0.0
    if ip[j, I_SPOT] >= 0:
        spot = x[ip[j, I_SPOT]]
        if ip[j, I_SPOT_INV] == 1:
            spot = 1.0 / spot
    sigma = fp[j, F_VOL]
    if ip[j, I_VOL] >= 0:
        sigma = sigma * x[ip[j, I_VOL]]
    pv = 0.0
    if kind == EQ_POSITION:
        pv = amount * spot
    elif kind == EQ_TRS:
        pv = amount * spot - strike * dfs[cf_g[k0]]  # strike: notional (1 + (f + s) tau)
    elif kind == EQ_FORWARD:
        pv = amount * (spot * fp[j, F_FWD] - strike * dfs[cf_g[k0]])
    elif kind == EQ_OPTION:
        df = dfs[cf_g[k0]]
        pv = amount * black(spot * fp[j, F_FWD] / df, strike, sigma * fp[j, F_SQRT_T], df,
                            fp[j, F_CALL])
    elif kind == FX_FORWARD:
        pv = amount * (spot * dfs[cf_g[k0 + 1]] - strike * dfs[cf_g[k0]])
    elif kind == FX_OPTION:
        df_q = dfs[cf_g[k0]]
        pv = amount * black(spot * dfs[cf_g[k0 + 1]] / df_q, strike, sigma * fp[j, F_SQRT_T],
                            df_q, fp[j, F_CALL])
    elif kind == IRS:
        for k in range(k0, k0 + ip[j, I_NCF]):
            pv += cf_c[k] * dfs[cf_g[k]]
    elif kind == CDS:
        rec = fp[j, F_REC]
        lam = fp[j, F_SCALE] * spot / (1.0 - rec)
        rate = lam / 365.0  # survival Q(d) = exp(-lam d / 365), d days (ACT/365F)
        coupon = fp[j, F_COUPON]
        q_prev = 1.0
        prot = 0.0
        prem = 0.0
        for k in range(k0, k0 + ip[j, I_NCF]):
            df = dfs[cf_g[k]]
            q = math.exp(-rate * cf_d[k])
            dq = q_prev - q
            prot += df * dq
            prem += cf_c[k] * df * (q + 0.5 * dq)
            q_prev = q
        pv = amount * ((1.0 - rec) * prot - coupon * prem)
    elif kind == CMD_FORWARD:
        pv = amount * (spot * fp[j, F_FWD] - strike) * dfs[cf_g[k0]]
    elif kind == CMD_OPTION:
        pv = amount * black(spot * fp[j, F_FWD], strike, sigma * fp[j, F_SQRT_T],
                            dfs[cf_g[k0]], fp[j, F_CALL])
    pv *= fp[j, F_SIGN]
    if ip[j, I_FX] >= 0:
        rate = x[ip[j, I_FX]]
        pv = pv / rate if ip[j, I_FX_INV] == 1 else pv * rate
    return pv


@jit(parallel=True)
def pv_states_kernel(states: np.ndarray, ip: np.ndarray, fp: np.ndarray, g_t: np.ndarray,
                     g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray, cf_g: np.ndarray,
                     cf_c: np.ndarray, cf_d: np.ndarray) -> np.ndarray:
    """PV in USD of every trade in each of several market states (model units).

    states : (n_states, n_factors). Returns (n_states, n_trades) float64.
    """
    n_s = states.shape[0]
    n = ip.shape[0]
    out = np.empty((n_s, n), dtype=np.float64)
    order = np.argsort(ip[:, I_KIND], kind="mergesort")  # grouped by kind: dispatch predicts
    for s in prange(n_s):
        x = states[s]
        dfs = np.empty(g_t.shape[0], dtype=np.float64)
        grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
        for jj in range(n):
            j = order[jj]
            out[s, j] = trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d)
    return out


@jit
def pv_kernel(x: np.ndarray, ip: np.ndarray, fp: np.ndarray, g_t: np.ndarray,
              g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray, cf_g: np.ndarray,
              cf_c: np.ndarray, cf_d: np.ndarray) -> np.ndarray:
    """PV in USD of every trade in one market state.

    x : (n_factors,) model units. Returns (n_trades,) float64.
    """
    n = ip.shape[0]
    out = np.empty(n, dtype=np.float64)
    dfs = np.empty(g_t.shape[0], dtype=np.float64)
    grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
    for j in range(n):
        out[j] = trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d)
    return out


@jit(parallel=True)
def reval_kernel(base: np.ndarray, shocks: np.ndarray, codes: np.ndarray, params: np.ndarray,
                 scale: np.ndarray, ip: np.ndarray, fp: np.ndarray, g_t: np.ndarray,
                 g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray, cf_g: np.ndarray,
                 cf_c: np.ndarray, cf_d: np.ndarray) -> np.ndarray:
    """P&L in USD of every trade under each shock scenario (full revaluation).

    base : (n_factors,) raw levels; shocks : (n_scenarios, n_factors) under each factor's
    convention (``codes``, ``params`` as in :mod:`imresearch.marketdata.conventions`);
    scale : (n_factors,) raw level -> model unit multiplier.
    Returns (n_scenarios, n_trades) float64: PV(shocked) - PV(base).
    """
    n_s, n_f = shocks.shape
    n = ip.shape[0]
    pv0 = pv_kernel(base * scale, ip, fp, g_t, g_lo, g_hi, g_w, cf_g, cf_c, cf_d)
    out = np.empty((n_s, n), dtype=np.float64)
    order = np.argsort(ip[:, I_KIND], kind="mergesort")  # grouped by kind: dispatch predicts
    for s in prange(n_s):
        x = np.empty(n_f, dtype=np.float64)
        for f in range(n_f):
            x[f] = level_from_shock(base[f], shocks[s, f], codes[f], params[f]) * scale[f]
        dfs = np.empty(g_t.shape[0], dtype=np.float64)
        grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
        for jj in range(n):
            j = order[jj]
            out[s, j] = trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d) - pv0[j]
    return out


@jit(parallel=True)
def reval_levels_kernel(base: np.ndarray, levels: np.ndarray, scale: np.ndarray,
                        ip: np.ndarray, fp: np.ndarray, g_t: np.ndarray, g_lo: np.ndarray,
                        g_hi: np.ndarray, g_w: np.ndarray, cf_g: np.ndarray, cf_c: np.ndarray,
                        cf_d: np.ndarray) -> np.ndarray:
    """P&L in USD of every trade when the market moves from ``base`` to each row of ``levels``.

    base : (n_factors,) raw levels; levels : (n_scenarios, n_factors) raw shocked levels.
    Returns (n_scenarios, n_trades) float64.
    """
    n_s, n_f = levels.shape
    n = ip.shape[0]
    pv0 = pv_kernel(base * scale, ip, fp, g_t, g_lo, g_hi, g_w, cf_g, cf_c, cf_d)
    out = np.empty((n_s, n), dtype=np.float64)
    order = np.argsort(ip[:, I_KIND], kind="mergesort")  # grouped by kind: dispatch predicts
    for s in prange(n_s):
        x = np.empty(n_f, dtype=np.float64)
        for f in range(n_f):
            x[f] = levels[s, f] * scale[f]
        dfs = np.empty(g_t.shape[0], dtype=np.float64)
        grid_dfs(x, g_t, g_lo, g_hi, g_w, dfs)
        for jj in range(n):
            j = order[jj]
            out[s, j] = trade_pv(j, x, dfs, ip, fp, cf_g, cf_c, cf_d) - pv0[j]
    return out
