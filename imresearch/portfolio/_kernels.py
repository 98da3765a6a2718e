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


@jit(inline="always")
def _hart_ratio(a: float) -> tuple[float, float]:
    """Numerator and denominator of Hart's rational approximation of the near tail."""
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
    return num, den


@jit
def _upper_tail(a: float, e: float) -> float:
    """``N(-a)`` for ``a >= 0`` given ``e = exp(-a^2 / 2)`` (Hart 1968, after West 2005)."""
    if a > 37.0:
        return 0.0
    if a < 7.07106781186547:
        num, den = _hart_ratio(a)
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


# ---------------------------------------------------------------------------- block pricer
# The same pricers, SIMD over a block of market states. The state block ``E`` has one row per
# factor and one column per state; rows ``n_f + f`` hold ``1 / x[f]`` and row ``2 n_f`` ones,
# so an inverted quote, an FX conversion or "no factor" is just a row index. ``LS`` holds the
# logs of the option spot rows (options are sorted by spot row: one log per underlying),
# ``LZ`` the grid exponents ``-z t`` and ``DF`` their exponentials; row ``n_grid`` of both is
# "no discount" (0 and 1). Every inner loop runs over
# the states of the block, contiguous and without calls, so LLVM vectorises it (``vexp`` is a
# polynomial exponential written for that purpose: Numba has no vector math library here;
# the kernels use ``error_model='numpy'``: a division check would stop vectorisation).
# Each state is priced with the same operations whatever its position in the block, so
# results do not depend on blocking or on the number of threads.
#
# Bound arrays (``BoundPortfolio.block_args``):
#   oi (n_opt, 7) int64   : spot row, vol row, forward-DF grid row, divisor-DF grid row,
#                           payment-DF grid row, FX row, accumulator row
#   of (n_opt, 7) float64 : forward factor, log(forward factor / strike), strike, call (+-1),
#                           vol multiplier, sqrt(T), signed amount
#   ti (n_terms, 4) int64 : accumulator row, spot row, grid row, FX row
#   tc (n_terms,) float64 : coefficient of the term ``c S DF FX`` (linear trades, swap flows)
#   ci (n_cds, 5) int64   : spread row, FX row, first dated row, end row, accumulator row
#   cf (n_cds, 4) float64 : scale / (1 - R) / 365, 1 - R, coupon, signed amount
#   rc (n_rows, 2) float64: (1 - R) -+ coupon x accrual / 2 of each CDS row
#   rd (n_rows,) float64, rg, ru (n_rows,) int64: days since the previous row, grid row, and
#                           the first row of that CDS with the same gap
BLOCK = 64  # states per block of this module's kernels (the engines' kernels have their own)

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_SHIFT_BITS = 4843621399236968448  # its bit pattern
#: the only fast-math flag of the block pricer: fused multiply-adds (no NaN / inf / ordering
#: assumptions, so results stay deterministic and independent of blocking)
_CONTRACT = {"contract"}


@jit(inline="always")
def vexp(x: float) -> float:
    """``exp(x)`` in straight-line arithmetic LLVM can vectorise (no call, no branch).

    Cody-Waite reduction ``x = k ln2 + r``, |r| <= ln2 / 2, degree-13 Taylor polynomial
    (truncation < 1e-17) and ``2**k`` written into the exponent bits. Relative error ~1 ulp
    (tested); results below ``exp(-708)`` flush to 0, above ``exp(709)`` are ``inf``; NaN
    propagates.
    """
    y = -708.0 if x < -708.0 else x
    y = 709.0 if y > 709.0 else y
    t = y * _LOG2E + _SHIFT
    k = t - _SHIFT
    r = (y - k * _LN2_HI) - k * _LN2_LO
    # Estrin's scheme: short dependency chains (the loop is latency-bound otherwise)
    r2 = r * r
    r4 = r2 * r2
    q0 = (1.0 + r) + (0.5 + r * (1.0 / 6.0)) * r2
    q1 = (1.0 / 24.0 + r * (1.0 / 120.0)) + (1.0 / 720.0 + r * (1.0 / 5040.0)) * r2
    q2 = ((1.0 / 40320.0 + r * (1.0 / 362880.0))
          + (1.0 / 3628800.0 + r * (1.0 / 39916800.0)) * r2)
    q3 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
    p = (q0 + q1 * r4) + (q2 + q3 * r4) * (r4 * r4)
    bits = (np.float64(t).view(np.int64) - _SHIFT_BITS + 1023) << 52
    v = p * np.int64(bits).view(np.float64)
    v = 0.0 if x < -708.0 else v
    return np.inf if x > 709.0 else v  # NaN passes the clamps and stays NaN


@jit(inline="always")
def _tail_v(a: float, e: float) -> float:
    """:func:`_upper_tail` without branches and with one division: the continued fraction of
    the far tail is evaluated as a ratio of polynomials, then both ratios are selected."""
    num, den = _hart_ratio(a)
    # b = a + 1/(a + 2/(a + 3/(a + 4/(a + 0.65)))) = n4 / n3, convergents from the inside
    n0 = a + 0.65
    n1 = a * n0 + 4.0
    n2 = a * n1 + 3.0 * n0
    n3 = a * n2 + 2.0 * n1
    n4 = a * n3 + n2
    near = a < 7.07106781186547
    r = e * (num if near else _INV_SQRT_2PI * n3) / (den if near else n4)
    return 0.0 if a > 37.0 else r


@jit
def block_work(n_f: int, n_g: int, ci: np.ndarray, width: int) -> tuple:
    """Work arrays of one thread for blocks of ``width`` states: ``E, LS`` (2 n_f + 1, width),
    ``LZ, DF`` (n_g + 1, width), ``W`` (4 + twice the most dated rows of a CDS ``ci``,
    width)."""
    E = np.empty((2 * n_f + 1, width))
    LS = np.empty((2 * n_f + 1, width))
    LZ = np.empty((n_g + 1, width))
    DF = np.empty((n_g + 1, width))
    n_w = 0
    for i in range(ci.shape[0]):
        n_w = max(n_w, ci[i, 3] - ci[i, 2])
    W = np.empty((4 + 2 * n_w, width))
    return E, LS, LZ, DF, W


@jit(error_model="numpy", fastmath=_CONTRACT)
def price_block(nb: int, acc: np.ndarray, E: np.ndarray, LS: np.ndarray, LZ: np.ndarray,
                DF: np.ndarray, W: np.ndarray, oi: np.ndarray, of: np.ndarray, ti: np.ndarray,
                tc: np.ndarray, ci: np.ndarray, cf: np.ndarray, rg: np.ndarray, rc: np.ndarray,
                rd: np.ndarray, ru: np.ndarray, g_t: np.ndarray, g_lo: np.ndarray, g_hi: np.ndarray,
                g_w: np.ndarray) -> None:
    """Add the PVs in USD of states ``E[:n_f, :nb]`` (model units) to ``acc[row, :nb]``.

    ``row`` is each term's / option's / CDS's accumulator row (its trade, or 0 for a
    portfolio total with weights folded into the amounts). Fills the rest of ``E`` and
    ``LS, LZ, DF``; ``W`` is scratch.
    """
    n_f = (E.shape[0] - 1) // 2
    n_g = g_t.shape[0]
    for f in range(n_f):
        for b in range(nb):
            E[n_f + f, b] = 1.0 / E[f, b]
    for b in range(nb):
        E[2 * n_f, b] = 1.0
        LZ[n_g, b] = 0.0
        DF[n_g, b] = 1.0
    for k in range(n_g):
        w = g_w[k]
        t = g_t[k]
        lo = g_lo[k]
        hi = g_hi[k]
        for b in range(nb):
            z = -((1.0 - w) * E[lo, b] + w * E[hi, b]) * t
            LZ[k, b] = z
            DF[k, b] = vexp(z)
    # linear trades and swap flows: c S DF FX
    for i in range(ti.shape[0]):
        row, sp, g, fx = ti[i, 0], ti[i, 1], ti[i, 2], ti[i, 3]
        c = tc[i]
        for b in range(nb):
            acc[row, b] += c * E[sp, b] * DF[g, b] * E[fx, b]
    # options (sorted by spot row): Black on the forward, one exp per state
    last = -1
    for i in range(oi.shape[0]):
        sp, vr, gn, gd, gp, fx, row = (oi[i, 0], oi[i, 1], oi[i, 2], oi[i, 3], oi[i, 4],
                                       oi[i, 5], oi[i, 6])
        if sp != last:  # log of the spot row, once per underlying
            last = sp
            for b in range(nb):
                v = E[sp, b]
                LS[sp, b] = math.log(v) if v > 0.0 else math.nan
        fc, lc, strike, call, fvol, sqt, amt = (of[i, 0], of[i, 1], of[i, 2], of[i, 3],
                                                of[i, 4], of[i, 5], of[i, 6])
        # 1 / stdev from the inverse vol row (ones for a fixed vol): no division per state
        vri = vr if vr == 2 * n_f else vr + n_f
        inv_vs = 1.0 / (fvol * sqt)
        inv_k = 1.0 / strike
        for b in range(nb):
            fwd = E[sp, b] * fc * DF[gn, b] / DF[gd, b]
            sd = fvol * E[vr, b] * sqt
            d1 = (LS[sp, b] + lc + LZ[gn, b] - LZ[gd, b]) * (inv_vs * E[vri, b]) + 0.5 * sd
            d2 = d1 - sd
            e1 = vexp(-0.5 * d1 * d1)
            t1 = _tail_v(abs(d1), e1)
            t2 = _tail_v(abs(d2), e1 * (fwd * inv_k))
            n1 = 1.0 - t1 if call * d1 > 0.0 else t1
            n2 = 1.0 - t2 if call * d2 > 0.0 else t2
            df = DF[gp, b]
            p = df * call * (fwd * n1 - strike * n2)
            intr = call * (fwd - strike)
            intr = df * (intr if intr > 0.0 else 0.0)
            p = p if (sd > 0.0 and fwd > 0.0) else intr
            acc[row, b] += amt * p * E[fx, b]
    # CDS: flat hazard, one exp per dated row and state
    for i in range(ci.shape[0]):
        sp, fx, k0, k1, row = ci[i, 0], ci[i, 1], ci[i, 2], ci[i, 3], ci[i, 4]
        rs, amt = cf[i, 0], cf[i, 3]
        for b in range(nb):
            W[0, b] = rs * E[sp, b]  # hazard / 365
            W[3, b] = 1.0  # survival at t = 0; then rows 4.. at each date
        # survival q_k = q_(k-1) exp(-hazard (d_k - d_(k-1))): one exp per distinct gap
        # (quarters of 89..92 days), computed at the gap's first row ru[k] == k
        n_k = k1 - k0
        for k in range(k0, k1):
            if ru[k] == k:
                d = rd[k]
                x = W[4 + n_k + k - k0]
                for b in range(nb):
                    x[b] = vexp(-W[0, b] * d)
        for k in range(k0, k1):
            q0 = W[3 + k - k0]
            q = W[4 + k - k0]
            x = W[4 + n_k + ru[k] - k0]
            for b in range(nb):
                q[b] = q0[b] * x[b]
        # PV / amount = sum_k DF_k (lgd (q_(k-1) - q_k) - coupon tau_k (q_(k-1) + q_k) / 2)
        #             = sum_k DF_k (a_k q_(k-1) - b_k q_k), a_k, b_k = lgd -+ coupon tau_k / 2
        pv = W[1]
        for b in range(nb):
            pv[b] = 0.0
        for k in range(k0, k1):
            g = rg[k]
            ak = rc[k, 0]
            bk = rc[k, 1]
            q0 = W[3 + k - k0]
            q = W[4 + k - k0]
            for b in range(nb):
                pv[b] += DF[g, b] * (ak * q0[b] - bk * q[b])
        for b in range(nb):
            acc[row, b] += amt * pv[b] * E[fx, b]


@jit(error_model="numpy")
def pv_block_states(states: np.ndarray, n_acc: int, oi: np.ndarray, of: np.ndarray,
                    ti: np.ndarray, tc: np.ndarray, ci: np.ndarray, cf: np.ndarray,
                    rg: np.ndarray, rc: np.ndarray, rd: np.ndarray, ru: np.ndarray,
                    g_t: np.ndarray,
                    g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray) -> np.ndarray:
    """Accumulated PVs (n_states, n_acc) of states (n_states, n_factors), serially."""
    n_s, n_f = states.shape
    out = np.empty((n_s, n_acc))
    E, LS, LZ, DF, W = block_work(n_f, g_t.shape[0], ci, BLOCK)
    blk = E.shape[1]
    acc = np.empty((n_acc, blk))
    for s0 in range(0, n_s, blk):
        nb = min(blk, n_s - s0)
        for b in range(nb):
            for f in range(n_f):
                E[f, b] = states[s0 + b, f]
        acc[:, :] = 0.0
        price_block(nb, acc, E, LS, LZ, DF, W, oi, of, ti, tc, ci, cf, rg, rc, rd, ru, g_t, g_lo,
                    g_hi, g_w)
        for b in range(nb):
            for j in range(n_acc):
                out[s0 + b, j] = acc[j, b]
    return out


@jit(parallel=True, error_model="numpy")
def reval_block_kernel(base: np.ndarray, shocks: np.ndarray, codes: np.ndarray,
                       params: np.ndarray, scale: np.ndarray, levels_given: bool, n_acc: int,
                       n_chunk: int, oi: np.ndarray, of: np.ndarray, ti: np.ndarray,
                       tc: np.ndarray, ci: np.ndarray, cf: np.ndarray, rg: np.ndarray,
                       rc: np.ndarray, rd: np.ndarray, ru: np.ndarray, g_t: np.ndarray,
                       g_lo: np.ndarray, g_hi: np.ndarray, g_w: np.ndarray) -> np.ndarray:
    """P&L (n_acc, n_scenarios) of every accumulator (trade) under each scenario: trade-major,
    so the block's results are copied out in contiguous runs (callers return ``out.T``).

    ``shocks`` are shocks under each factor's convention, or raw shocked levels when
    ``levels_given``. Blocks of :data:`BLOCK` scenarios run in parallel, in ``n_chunk`` runs
    of consecutive blocks (each allocates its work arrays once).
    """
    n_s, n_f = shocks.shape
    n_g = g_t.shape[0]
    x0 = np.empty((1, n_f))
    for f in range(n_f):
        x0[0, f] = base[f] * scale[f]
    pv0 = pv_block_states(x0, n_acc, oi, of, ti, tc, ci, cf, rg, rc, rd, ru, g_t, g_lo, g_hi,
                          g_w)[0]
    out = np.empty((n_acc, n_s))
    n_blk = (n_s + BLOCK - 1) // BLOCK
    n_chunk = max(1, min(n_chunk, n_blk))
    for c in prange(n_chunk):  # contiguous runs of blocks, work arrays allocated once
        E, LS, LZ, DF, W = block_work(n_f, n_g, ci, BLOCK)
        acc = np.empty((n_acc, BLOCK))
        for i_blk in range(c * n_blk // n_chunk, (c + 1) * n_blk // n_chunk):
            s0 = i_blk * BLOCK
            nb = min(BLOCK, n_s - s0)
            # levels: conventions.level_from_shock, one loop per factor over the block
            for f in range(n_f):
                a = base[f]
                u = scale[f]
                p = params[f]
                code = codes[f]
                if levels_given:
                    for b in range(nb):
                        E[f, b] = shocks[s0 + b, f] * u
                elif code == 0:
                    for b in range(nb):
                        E[f, b] = a * vexp(shocks[s0 + b, f]) * u
                elif code == 1:
                    for b in range(nb):
                        E[f, b] = a * (1.0 + shocks[s0 + b, f]) * u
                elif code == 2:
                    for b in range(nb):
                        E[f, b] = (a + shocks[s0 + b, f]) * u
                elif code == 3:
                    for b in range(nb):
                        E[f, b] = (a + shocks[s0 + b, f] / p) * u
                else:
                    for b in range(nb):
                        E[f, b] = ((a + p) * (1.0 + shocks[s0 + b, f]) - p) * u
            for j in range(n_acc):
                for b in range(nb):
                    acc[j, b] = 0.0
            price_block(nb, acc, E, LS, LZ, DF, W, oi, of, ti, tc, ci, cf, rg, rc, rd, ru, g_t,
                        g_lo, g_hi, g_w)
            for j in range(n_acc):
                p0 = pv0[j]
                for b in range(nb):
                    out[j, s0 + b] = acc[j, b] - p0
    return out
