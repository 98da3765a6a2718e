"""Numba pricing kernels. Arrays in, arrays out; they never raise.

The kernels know no products, only three *payoff families*; each product's binding
(:meth:`imresearch.portfolio.trades.Trade.bind`) writes its trade as one of them:

``LINEAR``
    ``PV = amount * sum_k c_k S^(e_k) DF(t_k)``: dated rows of coefficient ``c_k``, times the
    trade's spot ``S`` when ``e_k = 1``, discounted on a grid point or not at all (positions,
    TRS, forwards, swaps...).
``BLACK``
    A European option on the forward ``F = S f DF_n / DF_d`` (``f`` a fixed forward factor, two
    grid points or none), paid with ``DF_p``: ``PV = amount * Black(F, K, sigma sqrt(T), DF_p)``.
``CDS``
    Flat-hazard credit default swap on quarterly dated rows (accruals and days).

A bound portfolio (:mod:`imresearch.portfolio.bound`) hands the kernels one NamedTuple of arrays:

:class:`TradeArrays` (the scalar pricer, one trade at a time)
    ``ip`` int64 (n_trades, N_IP): family and indices (columns ``I_*``; -1 = no factor);
    ``fp`` float64 (n_trades, N_FP): signed amounts, strikes and other numbers (``F_*``);
    ``g_t, g_w`` float64, ``g_lo, g_hi`` int64 (n_grid,): the discount grid, the distinct
    (curve, date) pairs of the whole portfolio, each a time in years and the zero rate's
    linear interpolation ``z = (1 - w) x[lo] + w x[hi]`` between two curve-pillar factors
    (``DF = exp(-z t)``, computed once per grid point and market state; grid index ``n_grid``
    means "no discounting", DF = 1);
    ``cf_g, cf_s`` int64, ``cf_c`` float64, ``cf_d`` int64 (n_rows,): the dated rows of every
    trade, rows ``ip[j, I_CF0] .. ip[j, I_CF0] + ip[j, I_NCF] - 1``: grid point, spot flag,
    coefficient (or CDS accrual) and days from the valuation date.
:class:`BlockArrays` (the block pricer :func:`price_block`, many states at once)
    see the comment above :data:`BLOCK`.

``x`` : float64 (n_factors,) is a market state in model units (decimal rates and spreads,
decimal vols, prices). Prices are converted to USD with the FX factor ``ip[j, I_FX]``
(multiplied, or divided when ``ip[j, I_FX_INV]`` is 1).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from imresearch._numba import jit, prange

# payoff families
LINEAR, BLACK, CDS = 0, 1, 2

# integer columns; I_GN, I_GD, I_GP: grid points of a BLACK forward's numerator, denominator and
# payment discount factors
I_KIND, I_SPOT, I_SPOT_INV, I_VOL, I_FX, I_FX_INV, I_CF0, I_NCF, I_GN, I_GD, I_GP = range(11)
N_IP = 11
# float columns. F_FWD: the forward factor of BLACK (exp(-q T), exp(carry T), 1)
(F_SIGN, F_AMOUNT, F_STRIKE, F_FWD, F_VOL, F_CALL, F_REC, F_COUPON, F_SCALE,
 F_SQRT_T) = range(10)
N_FP = 10


class TradeArrays(NamedTuple):
    """A bound portfolio for the scalar pricer (see the module docstring)."""

    ip: np.ndarray
    fp: np.ndarray
    g_t: np.ndarray
    g_lo: np.ndarray
    g_hi: np.ndarray
    g_w: np.ndarray
    cf_g: np.ndarray
    cf_s: np.ndarray
    cf_c: np.ndarray
    cf_d: np.ndarray


class BlockArrays(NamedTuple):
    """A bound portfolio for the block pricer (see the comment above :data:`BLOCK`)."""

    oi: np.ndarray
    of: np.ndarray
    o0: np.ndarray
    orow: np.ndarray
    oamt: np.ndarray
    ti: np.ndarray
    tc: np.ndarray
    tk: np.ndarray
    ci: np.ndarray
    cf: np.ndarray
    rg: np.ndarray
    rc: np.ndarray
    rd: np.ndarray
    ru: np.ndarray
    g_t: np.ndarray
    g_lo: np.ndarray
    g_hi: np.ndarray
    g_w: np.ndarray


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
def upper_tail(a: float, e: float) -> float:
    """``N(-a)`` for ``a >= 0`` given ``e = exp(-a^2 / 2)`` (Hart 1968, after West 2005).

    One rational function; absolute error below 2e-15 (relative below 1e-7 in the far tail).
    """
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
    t1 = upper_tail(abs(d1), e1)
    t2 = upper_tail(abs(d2), e1 * ratio)
    n1 = 1.0 - t1 if call * d1 > 0.0 else t1
    n2 = 1.0 - t2 if call * d2 > 0.0 else t2
    return df * call * (fwd * n1 - strike * n2)


@jit(inline="always")
def grid_dfs(x: np.ndarray, book: TradeArrays, out: np.ndarray) -> None:
    """Discount factors of every grid point in state ``x`` into ``out`` (n_grid + 1,); the last
    entry is 1 (no discounting)."""
    g_t, g_lo, g_hi, g_w = book.g_t, book.g_lo, book.g_hi, book.g_w
    n_g = g_t.shape[0]
    for k in range(n_g):
        w = g_w[k]
        out[k] = math.exp(-((1.0 - w) * x[g_lo[k]] + w * x[g_hi[k]]) * g_t[k])
    out[n_g] = 1.0


@jit(inline="always")
def trade_pv(j: int, x: np.ndarray, dfs: np.ndarray, book: TradeArrays) -> float:
    """Present value in USD of trade ``j`` in state ``x`` with grid discount factors ``dfs``."""
    ip, fp, cf_g, cf_s, cf_c, cf_d = book.ip, book.fp, book.cf_g, book.cf_s, book.cf_c, book.cf_d
    kind = ip[j, I_KIND]
    k0 = ip[j, I_CF0]
    spot = 0.0
    if ip[j, I_SPOT] >= 0:
        spot = x[ip[j, I_SPOT]]
        if ip[j, I_SPOT_INV] == 1:
            spot = 1.0 / spot
    pv = 0.0
    if kind == LINEAR:
        acc = 0.0
        for k in range(k0, k0 + ip[j, I_NCF]):
            s = spot if cf_s[k] == 1 else 1.0
            acc += cf_c[k] * s * dfs[cf_g[k]]
        pv = fp[j, F_AMOUNT] * acc
    elif kind == BLACK:
        sigma = fp[j, F_VOL]
        if ip[j, I_VOL] >= 0:
            sigma = sigma * x[ip[j, I_VOL]]
        fwd = spot * fp[j, F_FWD] * dfs[ip[j, I_GN]] / dfs[ip[j, I_GD]]
        pv = fp[j, F_AMOUNT] * black(fwd, fp[j, F_STRIKE], sigma * fp[j, F_SQRT_T],
                                     dfs[ip[j, I_GP]], fp[j, F_CALL])
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
        pv = fp[j, F_AMOUNT] * ((1.0 - rec) * prot - coupon * prem)
    pv *= fp[j, F_SIGN]
    if ip[j, I_FX] >= 0:
        rate = x[ip[j, I_FX]]
        pv = pv / rate if ip[j, I_FX_INV] == 1 else pv * rate
    return pv


@jit(parallel=True)
def pv_states_kernel(states: np.ndarray, book: TradeArrays) -> np.ndarray:
    """PV in USD of every trade in each of several market states (model units).

    states : (n_states, n_factors). Returns (n_states, n_trades) float64.
    """
    n_s = states.shape[0]
    n = book.ip.shape[0]
    out = np.empty((n_s, n), dtype=np.float64)
    order = np.argsort(book.ip[:, I_KIND], kind="mergesort")  # grouped: dispatch predicts
    for s in prange(n_s):
        x = states[s]
        dfs = np.empty(book.g_t.shape[0] + 1, dtype=np.float64)
        grid_dfs(x, book, dfs)
        for jj in range(n):
            j = order[jj]
            out[s, j] = trade_pv(j, x, dfs, book)
    return out


@jit
def pv_kernel(x: np.ndarray, book: TradeArrays) -> np.ndarray:
    """PV in USD of every trade in one market state.

    x : (n_factors,) model units. Returns (n_trades,) float64.
    """
    n = book.ip.shape[0]
    out = np.empty(n, dtype=np.float64)
    dfs = np.empty(book.g_t.shape[0] + 1, dtype=np.float64)
    grid_dfs(x, book, dfs)
    for j in range(n):
        out[j] = trade_pv(j, x, dfs, book)
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
# Bound arrays (:class:`BlockArrays`, from ``BoundPortfolio.block``):
#   ti (n_terms, 2) int64 : accumulator row, row of ``tk`` (sorted by accumulator row)
#   tc (n_terms,) float64 : coefficient of the term ``c S DF FX`` (linear trades, swap flows)
#   tk (n_keys, 3) int64  : the distinct (spot row, grid row, FX row) of the terms: the
#                           product ``S DF FX`` is formed once per key and state, and each term
#                           adds ``c`` times it (terms of many accumulators share the keys)
#   oi (n_opt, 6) int64   : the distinct options (sorted by their inputs, spot row first):
#                           spot row, vol row, forward-DF grid row, divisor-DF grid row,
#                           payment-DF grid row, FX row
#   of (n_opt, 6) float64 : forward factor, log(forward factor / strike), strike, call (+-1),
#                           vol multiplier, sqrt(T)
#   o0 (n_opt + 1,) int64, orow, oamt (n_opt_terms,): option ``i`` is held by the accumulator
#                           rows ``orow[o0[i]:o0[i + 1]]`` in the signed amounts ``oamt``: it is
#                           priced once per state, whatever the number of trades or groups
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
    """:func:`upper_tail` without branches and with one division: the continued fraction of
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
def block_work(n_f: int, bk: BlockArrays, width: int) -> tuple:
    """Work arrays of one thread for blocks of ``width`` states: ``E, LS`` (2 n_f + 1, width),
    ``LZ, DF`` (n_grid + 1, width), ``W`` (the larger of 4 + twice the most dated rows of a
    CDS and the number of linear-term keys, width)."""
    ci = bk.ci
    n_g = bk.g_t.shape[0]
    E = np.empty((2 * n_f + 1, width))
    LS = np.empty((2 * n_f + 1, width))
    LZ = np.empty((n_g + 1, width))
    DF = np.empty((n_g + 1, width))
    n_w = 0
    for i in range(ci.shape[0]):
        n_w = max(n_w, ci[i, 3] - ci[i, 2])
    W = np.empty((max(4 + 2 * n_w, bk.tk.shape[0]), width))
    return E, LS, LZ, DF, W


@jit(inline="always", error_model="numpy", fastmath=_CONTRACT)
def _add_terms(nb: int, acc: np.ndarray, W: np.ndarray, ti: np.ndarray, tc: np.ndarray
               ) -> None:
    """``acc[row, :nb] += sum of c W[key, :nb]`` over the terms (sorted by row): each run of
    terms of one row is summed in a row of its own (in L1), four terms at a time (one load
    and store of the sum for four terms), and added to ``acc`` once."""
    n_t = ti.shape[0]
    s = np.empty(nb)
    i = 0
    while i < n_t:
        row = ti[i, 0]
        s[:] = 0.0
        while i + 3 < n_t and ti[i + 3, 0] == row:
            c0, c1, c2, c3 = tc[i], tc[i + 1], tc[i + 2], tc[i + 3]
            w0, w1, w2, w3 = W[ti[i, 1]], W[ti[i + 1, 1]], W[ti[i + 2, 1]], W[ti[i + 3, 1]]
            for b in range(nb):
                s[b] += (c0 * w0[b] + c1 * w1[b]) + (c2 * w2[b] + c3 * w3[b])
            i += 4
        while i < n_t and ti[i, 0] == row:
            c = tc[i]
            w = W[ti[i, 1]]
            for b in range(nb):
                s[b] += c * w[b]
            i += 1
        a = acc[row]
        for b in range(nb):
            a[b] += s[b]


@jit(error_model="numpy", fastmath=_CONTRACT)
def price_block(nb: int, acc: np.ndarray, E: np.ndarray, LS: np.ndarray, LZ: np.ndarray,
                DF: np.ndarray, W: np.ndarray, bk: BlockArrays) -> None:
    """Add the PVs in USD of states ``E[:n_f, :nb]`` (model units) to ``acc[row, :nb]``.

    ``row`` is each term's / option's / CDS's accumulator row (its trade, or 0 for a
    portfolio total with weights folded into the amounts). Fills the rest of ``E`` and
    ``LS, LZ, DF``; ``W`` is scratch.
    """
    oi, of, ti, tc, ci, cf = bk.oi, bk.of, bk.ti, bk.tc, bk.ci, bk.cf
    rg, rc, rd, ru = bk.rg, bk.rc, bk.rd, bk.ru
    g_t, g_lo, g_hi, g_w = bk.g_t, bk.g_lo, bk.g_hi, bk.g_w
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
    # linear trades and swap flows: c S DF FX, the product S DF FX once per distinct key (in
    # the scratch rows W, free afterwards)
    tk = bk.tk
    for k in range(tk.shape[0]):
        sp, g, fx = tk[k, 0], tk[k, 1], tk[k, 2]
        for b in range(nb):
            W[k, b] = E[sp, b] * DF[g, b] * E[fx, b]
    _add_terms(nb, acc, W, ti, tc)
    # options (sorted by spot row): Black on the forward, one exp per state; the price in USD
    # of one unit (in W[0]) is added to every row holding the option
    o0, orow, oamt = bk.o0, bk.orow, bk.oamt
    out = W[0]
    last = -1
    for i in range(oi.shape[0]):
        sp, vr, gn, gd, gp, fx = oi[i, 0], oi[i, 1], oi[i, 2], oi[i, 3], oi[i, 4], oi[i, 5]
        if sp != last:  # log of the spot row, once per underlying
            last = sp
            for b in range(nb):
                v = E[sp, b]
                LS[sp, b] = math.log(v) if v > 0.0 else math.nan
        fc, lc, strike, call, fvol, sqt = (of[i, 0], of[i, 1], of[i, 2], of[i, 3], of[i, 4],
                                           of[i, 5])
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
            out[b] = p * E[fx, b]
        for t in range(o0[i], o0[i + 1]):
            a = acc[orow[t]]
            c = oamt[t]
            for b in range(nb):
                a[b] += c * out[b]
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
def pv_block_states(states: np.ndarray, n_acc: int, bk: BlockArrays) -> np.ndarray:
    """Accumulated PVs (n_states, n_acc) of states (n_states, n_factors), serially."""
    n_s, n_f = states.shape
    out = np.empty((n_s, n_acc))
    E, LS, LZ, DF, W = block_work(n_f, bk, BLOCK)
    blk = E.shape[1]
    acc = np.empty((n_acc, blk))
    for s0 in range(0, n_s, blk):
        nb = min(blk, n_s - s0)
        for b in range(nb):
            for f in range(n_f):
                E[f, b] = states[s0 + b, f]
        acc[:, :] = 0.0
        price_block(nb, acc, E, LS, LZ, DF, W, bk)
        for b in range(nb):
            for j in range(n_acc):
                out[s0 + b, j] = acc[j, b]
    return out


@jit(parallel=True, error_model="numpy")
def reval_block_kernel(base: np.ndarray, shocks: np.ndarray, codes: np.ndarray,
                       params: np.ndarray, scale: np.ndarray, levels_given: bool, n_acc: int,
                       n_chunk: int, bk: BlockArrays) -> np.ndarray:
    """P&L (n_acc, n_scenarios) of every accumulator (trade) under each scenario: trade-major,
    so the block's results are copied out in contiguous runs (callers return ``out.T``).

    ``shocks`` are shocks under each factor's convention, or raw shocked levels when
    ``levels_given``. Blocks of :data:`BLOCK` scenarios run in parallel, in ``n_chunk`` runs
    of consecutive blocks (each allocates its work arrays once).
    """
    n_s, n_f = shocks.shape
    x0 = np.empty((1, n_f))
    for f in range(n_f):
        x0[0, f] = base[f] * scale[f]
    pv0 = pv_block_states(x0, n_acc, bk)[0]
    out = np.empty((n_acc, n_s))
    n_blk = (n_s + BLOCK - 1) // BLOCK
    n_chunk = max(1, min(n_chunk, n_blk))
    for c in prange(n_chunk):  # contiguous runs of blocks, work arrays allocated once
        E, LS, LZ, DF, W = block_work(n_f, bk, BLOCK)
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
            price_block(nb, acc, E, LS, LZ, DF, W, bk)
            for j in range(n_acc):
                p0 = pv0[j]
                for b in range(nb):
                    out[j, s0 + b] = acc[j, b] - p0
    return out
