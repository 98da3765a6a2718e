"""The same pricers as :mod:`imresearch.portfolio._kernels`, vectorised with NumPy.

A reference for the Numba kernels (tests) and the baseline of the revaluation benchmark: each
product is priced for a block of scenarios x all trades of that product at once, with the
discount grid as one (n_block, n_grid) matrix and segment sums
(``numpy.add.reduceat``) for swaps and CDS. Scenarios are processed in blocks of ``block`` rows
to bound memory.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from imresearch._typing import Float64Array
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.binding import BoundPortfolio

__all__ = ["pv_states_numpy", "revalue_numpy"]


def levels_from_shocks(base: np.ndarray, shocks: np.ndarray, codes: np.ndarray,
                       params: np.ndarray) -> np.ndarray:
    """Shocked levels (n_scenarios, n_factors) from base levels and convention codes."""
    out = np.empty_like(shocks)
    for code in np.unique(codes):
        m = codes == code
        a, s, p = base[m], shocks[:, m], params[m]
        if code == 0:
            out[:, m] = a * np.exp(s)
        elif code == 1:
            out[:, m] = a * (1.0 + s)
        elif code == 2:
            out[:, m] = a + s
        elif code == 3:
            out[:, m] = a + s / p
        else:
            out[:, m] = (a + p) * (1.0 + s) - p
    return out


def _black(fwd: np.ndarray, strike: np.ndarray, stdev: np.ndarray, df: np.ndarray,
           call: np.ndarray) -> np.ndarray:
    pos = (stdev > 0) & (fwd > 0)
    safe = np.where(pos, stdev, 1.0)
    d1 = (np.log(np.where(fwd > 0, fwd, 1.0) / strike) + 0.5 * safe * safe) / safe
    d2 = d1 - safe
    price = df * call * (fwd * ndtr(call * d1) - strike * ndtr(call * d2))
    return np.where(pos, price, df * np.maximum(call * (fwd - strike), 0.0))


def pv_states_numpy(bp: BoundPortfolio, states: np.ndarray) -> Float64Array:
    """PV in USD of every trade in each market state (model units).

    Parameters
    ----------
    bp : BoundPortfolio
    states : ndarray of shape (n_states, n_factors)

    Returns
    -------
    ndarray of shape (n_states, n_trades)
    """
    x = np.asarray(states, dtype=np.float64)
    ip, fp = bp.ip, bp.fp
    n_s, n_t = x.shape[0], ip.shape[0]
    out = np.zeros((n_s, n_t))
    kind = ip[:, K.I_KIND]
    z = (1.0 - bp.g_w) * x[:, bp.g_lo] + bp.g_w * x[:, bp.g_hi]
    df_rows = np.exp(-z * bp.g_t)[:, bp.cf_g]  # (n_s, n_dated)
    spot = np.ones((n_s, n_t))
    has = ip[:, K.I_SPOT] >= 0
    spot[:, has] = x[:, ip[has, K.I_SPOT]]
    inv = ip[:, K.I_SPOT_INV] == 1
    spot[:, inv] = 1.0 / spot[:, inv]
    sigma = np.broadcast_to(fp[:, K.F_VOL], (n_s, n_t)).copy()
    hv = ip[:, K.I_VOL] >= 0
    sigma[:, hv] *= x[:, ip[hv, K.I_VOL]]
    amount, strike, fwd_f, sqrt_t, call = (
        fp[:, c] for c in (K.F_AMOUNT, K.F_STRIKE, K.F_FWD, K.F_SQRT_T, K.F_CALL))
    k0 = ip[:, K.I_CF0]

    def sel(code: int) -> np.ndarray:
        return np.flatnonzero(kind == code)

    j = sel(K.EQ_POSITION)
    out[:, j] = amount[j] * spot[:, j]
    j = sel(K.EQ_TRS)
    out[:, j] = amount[j] * spot[:, j] - strike[j] * df_rows[:, k0[j]]
    j = sel(K.EQ_FORWARD)
    out[:, j] = amount[j] * (spot[:, j] * fwd_f[j] - strike[j] * df_rows[:, k0[j]])
    j = sel(K.EQ_OPTION)
    if j.size:
        df = df_rows[:, k0[j]]
        fwd = spot[:, j] * fwd_f[j] / df
        out[:, j] = amount[j] * _black(fwd, strike[j], sigma[:, j] * sqrt_t[j], df, call[j])
    j = sel(K.FX_FORWARD)
    out[:, j] = amount[j] * (spot[:, j] * df_rows[:, k0[j] + 1] - strike[j] * df_rows[:, k0[j]])
    j = sel(K.FX_OPTION)
    if j.size:
        dq, db = df_rows[:, k0[j]], df_rows[:, k0[j] + 1]
        out[:, j] = amount[j] * _black(spot[:, j] * db / dq, strike[j],
                                       sigma[:, j] * sqrt_t[j], dq, call[j])
    j = sel(K.CMD_FORWARD)
    out[:, j] = amount[j] * (spot[:, j] * fwd_f[j] - strike[j]) * df_rows[:, k0[j]]
    j = sel(K.CMD_OPTION)
    if j.size:
        out[:, j] = amount[j] * _black(spot[:, j] * fwd_f[j], strike[j],
                                       sigma[:, j] * sqrt_t[j], df_rows[:, k0[j]], call[j])
    j = sel(K.IRS)
    j = j[ip[j, K.I_NCF] > 0]
    if j.size:
        rows = np.concatenate([np.arange(k0[i], k0[i] + ip[i, K.I_NCF]) for i in j])
        starts = np.concatenate([[0], np.cumsum(ip[j, K.I_NCF])[:-1]])
        out[:, j] = np.add.reduceat(bp.cf_c[rows] * df_rows[:, rows], starts, axis=1)
    j = sel(K.CDS)
    j = j[ip[j, K.I_NCF] > 0]
    if j.size:
        counts = ip[j, K.I_NCF]
        rows = np.concatenate([np.arange(k0[i], k0[i] + ip[i, K.I_NCF]) for i in j])
        owner = np.repeat(np.arange(j.size), counts)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rec = fp[j, K.F_REC]
        lam = fp[j, K.F_SCALE] * spot[:, j] / (1.0 - rec)
        q = np.exp(-lam[:, owner] * (bp.cf_d[rows] / 365.0))
        q_prev = np.empty_like(q)
        q_prev[:, 1:] = q[:, :-1]
        q_prev[:, starts] = 1.0
        dq = q_prev - q
        dfr = df_rows[:, rows]
        prot = np.add.reduceat(dfr * dq, starts, axis=1)
        prem = np.add.reduceat(bp.cf_c[rows] * dfr * (q + 0.5 * dq), starts, axis=1)
        out[:, j] = amount[j] * ((1.0 - rec) * prot - fp[j, K.F_COUPON] * prem)
    out *= fp[:, K.F_SIGN]
    hf = ip[:, K.I_FX] >= 0
    rate = x[:, ip[hf, K.I_FX]]
    out[:, hf] *= np.where(ip[hf, K.I_FX_INV] == 1, 1.0 / rate, rate)
    return out


def revalue_numpy(bp: BoundPortfolio, shocks: np.ndarray, *, block: int = 256) -> Float64Array:
    """Full-revaluation P&L in USD, the NumPy way.

    Parameters
    ----------
    bp : BoundPortfolio
    shocks : ndarray of shape (n_scenarios, n_factors)
        Shocks under each factor's convention, in ``bp.factor_names`` order.
    block : int
        Scenarios per block. Default 256.

    Returns
    -------
    ndarray of shape (n_scenarios, n_trades)
    """
    shocks = np.asarray(shocks, dtype=np.float64)
    codes, params = bp.conventions()
    pv0 = pv_states_numpy(bp, bp.base_state[None, :])[0]
    out = np.empty((shocks.shape[0], bp.n_trades))
    for lo in range(0, shocks.shape[0], block):
        levels = levels_from_shocks(bp.base_levels, shocks[lo:lo + block], codes, params)
        out[lo:lo + block] = pv_states_numpy(bp, levels * bp.scale) - pv0
    return out
