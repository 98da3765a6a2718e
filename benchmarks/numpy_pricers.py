"""The pricers of :mod:`imresearch.portfolio._kernels`, vectorised with NumPy: the baseline of
the ``reval``, ``rolling_fhs`` and ``mc`` benchmarks.

Each payoff family is priced for a block of scenarios x all trades of that family at once, with
the discount grid as one (n_block, n_grid + 1) matrix and segment sums (``numpy.add.reduceat``)
for linear trades and CDS. Scenarios are processed in blocks of ``block`` rows to bound memory.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from imresearch._typing import Float64Array
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.bound import BoundPortfolio

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
    a = bp.arrays
    ip, fp = a.ip, a.fp
    n_s, n_t = x.shape[0], ip.shape[0]
    out = np.zeros((n_s, n_t))
    kind = ip[:, K.I_KIND]
    z = (1.0 - a.g_w) * x[:, a.g_lo] + a.g_w * x[:, a.g_hi]
    dfs = np.hstack([np.exp(-z * a.g_t), np.ones((n_s, 1))])  # (n_s, n_grid + 1)
    spot = np.ones((n_s, n_t))
    has = ip[:, K.I_SPOT] >= 0
    spot[:, has] = x[:, ip[has, K.I_SPOT]]
    inv = ip[:, K.I_SPOT_INV] == 1
    spot[:, inv] = 1.0 / spot[:, inv]
    amount = fp[:, K.F_AMOUNT]
    k0, n_cf = ip[:, K.I_CF0], ip[:, K.I_NCF]

    def segments(j: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the trades ``j`` (with rows), each row's owner, and each trade's first."""
        rows = np.concatenate([np.arange(k0[i], k0[i] + n_cf[i]) for i in j])
        owner = np.repeat(np.arange(j.size), n_cf[j])
        return rows, owner, np.concatenate([[0], np.cumsum(n_cf[j])[:-1]])

    j = np.flatnonzero((kind == K.LINEAR) & (n_cf > 0))
    if j.size:
        rows, owner, starts = segments(j)
        s = np.where(a.cf_s[rows] == 1, spot[:, j[owner]], 1.0)
        terms = a.cf_c[rows] * s * dfs[:, a.cf_g[rows]]
        out[:, j] = amount[j] * np.add.reduceat(terms, starts, axis=1)
    j = np.flatnonzero(kind == K.BLACK)
    if j.size:
        sigma = np.broadcast_to(fp[j, K.F_VOL], (n_s, j.size)).copy()
        hv = ip[j, K.I_VOL] >= 0
        sigma[:, hv] *= x[:, ip[j[hv], K.I_VOL]]
        fwd = spot[:, j] * fp[j, K.F_FWD] * dfs[:, ip[j, K.I_GN]] / dfs[:, ip[j, K.I_GD]]
        out[:, j] = amount[j] * _black(fwd, fp[j, K.F_STRIKE], sigma * fp[j, K.F_SQRT_T],
                                       dfs[:, ip[j, K.I_GP]], fp[j, K.F_CALL])
    j = np.flatnonzero((kind == K.CDS) & (n_cf > 0))
    if j.size:
        rows, owner, starts = segments(j)
        rec = fp[j, K.F_REC]
        lam = fp[j, K.F_SCALE] * spot[:, j] / (1.0 - rec)
        q = np.exp(-lam[:, owner] * (a.cf_d[rows] / 365.0))
        q_prev = np.empty_like(q)
        q_prev[:, 1:] = q[:, :-1]
        q_prev[:, starts] = 1.0
        dq = q_prev - q
        dfr = dfs[:, a.cf_g[rows]]
        prot = np.add.reduceat(dfr * dq, starts, axis=1)
        prem = np.add.reduceat(a.cf_c[rows] * dfr * (q + 0.5 * dq), starts, axis=1)
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
