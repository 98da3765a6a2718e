"""Numba pricing kernels. Arrays in, arrays out; they never raise.

A bound portfolio (:mod:`imresearch.portfolio.binding`) is a set of plain arrays:

``ip`` : int64 (n_trades, N_IP)
    Product code and factor indices (columns ``I_*``; -1 = none).
``fp`` : float64 (n_trades, N_FP)
    Signed amounts, strikes, times in years and other numbers (columns ``F_*``).
``cf_t, cf_c, cf_w`` : float64 (n_cf,); ``cf_lo, cf_hi`` : int64 (n_cf,)
    Dated amounts of every trade, rows ``ip[j, I_CF0] .. ip[j, I_CF0] + ip[j, I_NCF] - 1``:
    time in years, coefficient, and the zero rate's linear interpolation
    ``z = (1 - w) x[lo] + w x[hi]`` between two curve-pillar factors (``DF = exp(-z t)``).

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
# float columns
F_SIGN, F_AMOUNT, F_STRIKE, F_T, F_YIELD, F_VOL, F_CALL, F_REC, F_COUPON, F_SCALE = range(10)
N_FP = 10

_SQRT2 = math.sqrt(2.0)


@jit
def norm_cdf(v: float) -> float:
    """Standard normal distribution function."""
    return 0.5 * math.erfc(-v / _SQRT2)


@jit
def black(fwd: float, strike: float, stdev: float, df: float, call: float) -> float:
    """Black price ``df * E[(call (F - K))^+]`` for a lognormal forward with total stdev.

    ``call`` is +1 for a call and -1 for a put; intrinsic value when ``stdev <= 0``.
    """
    if stdev <= 0.0 or fwd <= 0.0:
        return df * max(call * (fwd - strike), 0.0)
    d1 = (math.log(fwd / strike) + 0.5 * stdev * stdev) / stdev
    d2 = d1 - stdev
    return df * call * (fwd * norm_cdf(call * d1) - strike * norm_cdf(call * d2))


@jit
def discount(k: int, x: np.ndarray, cf_t: np.ndarray, cf_lo: np.ndarray, cf_hi: np.ndarray,
             cf_w: np.ndarray) -> float:
    """Discount factor of dated row ``k``: ``exp(-z t)``, ``z`` interpolated from ``x``."""
    w = cf_w[k]
    z = (1.0 - w) * x[cf_lo[k]] + w * x[cf_hi[k]]
    return math.exp(-z * cf_t[k])


@jit
def trade_pv(j: int, x: np.ndarray, ip: np.ndarray, fp: np.ndarray, cf_t: np.ndarray,
             cf_c: np.ndarray, cf_lo: np.ndarray, cf_hi: np.ndarray,
             cf_w: np.ndarray) -> float:
    """Present value in USD of trade ``j`` in market state ``x`` (model units)."""
    kind = ip[j, I_KIND]
    sign = fp[j, F_SIGN]
    amount = fp[j, F_AMOUNT]
    strike = fp[j, F_STRIKE]
    t = fp[j, F_T]
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
        df = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        pv = amount * spot - strike * df  # strike: notional (1 + (f + s) tau)
    elif kind == EQ_FORWARD:
        df = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        pv = amount * (spot * math.exp(-fp[j, F_YIELD] * t) - strike * df)
    elif kind == EQ_OPTION:
        df = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        fwd = spot * math.exp(-fp[j, F_YIELD] * t) / df
        pv = amount * black(fwd, strike, sigma * math.sqrt(t), df, fp[j, F_CALL])
    elif kind == FX_FORWARD:
        df_q = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        df_b = discount(k0 + 1, x, cf_t, cf_lo, cf_hi, cf_w)
        pv = amount * (spot * df_b - strike * df_q)
    elif kind == FX_OPTION:
        df_q = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        df_b = discount(k0 + 1, x, cf_t, cf_lo, cf_hi, cf_w)
        pv = amount * black(spot * df_b / df_q, strike, sigma * math.sqrt(t), df_q,
                            fp[j, F_CALL])
    elif kind == IRS:
        for k in range(k0, k0 + ip[j, I_NCF]):
            pv += cf_c[k] * discount(k, x, cf_t, cf_lo, cf_hi, cf_w)
    elif kind == CDS:
        spread = fp[j, F_SCALE] * spot
        rec = fp[j, F_REC]
        lam = spread / (1.0 - rec)
        coupon = fp[j, F_COUPON]
        q_prev = 1.0
        prot = 0.0
        prem = 0.0
        for k in range(k0, k0 + ip[j, I_NCF]):
            df = discount(k, x, cf_t, cf_lo, cf_hi, cf_w)
            q = math.exp(-lam * cf_t[k])
            dq = q_prev - q
            prot += df * dq
            prem += cf_c[k] * df * (q + 0.5 * dq)
            q_prev = q
        pv = amount * ((1.0 - rec) * prot - coupon * prem)
    elif kind == CMD_FORWARD:
        df = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        pv = amount * (spot * math.exp(fp[j, F_YIELD] * t) - strike) * df
    elif kind == CMD_OPTION:
        df = discount(k0, x, cf_t, cf_lo, cf_hi, cf_w)
        fwd = spot * math.exp(fp[j, F_YIELD] * t)
        pv = amount * black(fwd, strike, sigma * math.sqrt(t), df, fp[j, F_CALL])
    pv *= sign
    if ip[j, I_FX] >= 0:
        rate = x[ip[j, I_FX]]
        pv = pv / rate if ip[j, I_FX_INV] == 1 else pv * rate
    return pv


@jit(parallel=True)
def pv_kernel(x: np.ndarray, ip: np.ndarray, fp: np.ndarray, cf_t: np.ndarray,
              cf_c: np.ndarray, cf_lo: np.ndarray, cf_hi: np.ndarray,
              cf_w: np.ndarray) -> np.ndarray:
    """PV in USD of every trade in one market state.

    x : (n_factors,) model units. Returns (n_trades,) float64.
    """
    n = ip.shape[0]
    out = np.empty(n, dtype=np.float64)
    for j in prange(n):
        out[j] = trade_pv(j, x, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w)
    return out


@jit(parallel=True)
def pv_states_kernel(states: np.ndarray, ip: np.ndarray, fp: np.ndarray, cf_t: np.ndarray,
                     cf_c: np.ndarray, cf_lo: np.ndarray, cf_hi: np.ndarray,
                     cf_w: np.ndarray) -> np.ndarray:
    """PV in USD of every trade in each of several market states (model units).

    states : (n_states, n_factors). Returns (n_states, n_trades) float64.
    """
    n_s = states.shape[0]
    n = ip.shape[0]
    out = np.empty((n_s, n), dtype=np.float64)
    for s in prange(n_s):
        x = states[s]
        for j in range(n):
            out[s, j] = trade_pv(j, x, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w)
    return out


@jit(parallel=True)
def reval_kernel(base: np.ndarray, shocks: np.ndarray, codes: np.ndarray, params: np.ndarray,
                 scale: np.ndarray, ip: np.ndarray, fp: np.ndarray, cf_t: np.ndarray,
                 cf_c: np.ndarray, cf_lo: np.ndarray, cf_hi: np.ndarray,
                 cf_w: np.ndarray) -> np.ndarray:
    """P&L in USD of every trade under each shock scenario (full revaluation).

    base : (n_factors,) raw levels; shocks : (n_scenarios, n_factors) under each factor's
    convention (``codes``, ``params`` as in :mod:`imresearch.marketdata.conventions`);
    scale : (n_factors,) raw level -> model unit multiplier.
    Returns (n_scenarios, n_trades) float64: PV(shocked) - PV(base).
    """
    n_s, n_f = shocks.shape
    n = ip.shape[0]
    x0 = base * scale
    pv0 = np.empty(n, dtype=np.float64)
    for j in range(n):
        pv0[j] = trade_pv(j, x0, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w)
    out = np.empty((n_s, n), dtype=np.float64)
    for s in prange(n_s):
        x = np.empty(n_f, dtype=np.float64)
        for f in range(n_f):
            x[f] = level_from_shock(base[f], shocks[s, f], codes[f], params[f]) * scale[f]
        for j in range(n):
            out[s, j] = trade_pv(j, x, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w) - pv0[j]
    return out


@jit(parallel=True)
def reval_levels_kernel(base: np.ndarray, levels: np.ndarray, scale: np.ndarray,
                        ip: np.ndarray, fp: np.ndarray, cf_t: np.ndarray, cf_c: np.ndarray,
                        cf_lo: np.ndarray, cf_hi: np.ndarray, cf_w: np.ndarray) -> np.ndarray:
    """P&L in USD of every trade when the market moves from ``base`` to each row of ``levels``.

    base : (n_factors,) raw levels; levels : (n_scenarios, n_factors) raw shocked levels.
    Returns (n_scenarios, n_trades) float64.
    """
    n_s, n_f = levels.shape
    n = ip.shape[0]
    x0 = base * scale
    pv0 = np.empty(n, dtype=np.float64)
    for j in range(n):
        pv0[j] = trade_pv(j, x0, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w)
    out = np.empty((n_s, n), dtype=np.float64)
    for s in prange(n_s):
        x = np.empty(n_f, dtype=np.float64)
        for f in range(n_f):
            x[f] = levels[s, f] * scale[f]
        for j in range(n):
            out[s, j] = trade_pv(j, x, ip, fp, cf_t, cf_c, cf_lo, cf_hi, cf_w) - pv0[j]
    return out
