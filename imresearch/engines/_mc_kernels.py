"""Numba kernels of the Monte Carlo engine. Arrays in, arrays out; they never raise.

Random numbers never come from here: the engine draws them from per-block numpy Generators
and passes them in. Every path is computed by one thread in a fixed order of operations, so a
path's P&L does not depend on the number of threads or on how paths are grouped into blocks.

The portfolio comes as one NamedTuple of arrays for the block pricer
(:class:`~imresearch.portfolio._kernels.BlockArrays`, ``BoundPortfolio.block(weights)``).
"""

from __future__ import annotations

import math

import numpy as np

from imresearch._numba import jit, prange
from imresearch.portfolio._kernels import BlockArrays, block_work, price_block


@jit(parallel=True)
def correlate_kernel(eps: np.ndarray, lt: np.ndarray, out: np.ndarray) -> None:
    """``out[p, t] = L @ eps[p, t]`` with ``lt = L.T`` (L lower triangular).

    eps, out : (n_paths, n_steps, n_factors); lt : (n_factors, n_factors). The sum runs over
    factors in increasing order for every element (deterministic, independent of blocking).
    """
    n_p, n_t, n_f = eps.shape
    for p in prange(n_p):
        for t in range(n_t):
            for g in range(n_f):
                out[p, t, g] = 0.0
            for f in range(n_f):
                e = eps[p, t, f]
                for g in range(f, n_f):
                    out[p, t, g] += lt[f, g] * e


@jit(inline="always")
def _path_step(innov: np.ndarray, p: int, t: int, lazy: bool, correlate: bool,
               use_garch: bool, lt: np.ndarray, garch: np.ndarray, sd: np.ndarray,
               var: np.ndarray, z: np.ndarray, a: np.ndarray) -> None:
    """One daily step of path ``p``: the (correlated) innovation into ``z`` (summed raw when
    ``lazy``), the shock added to the cumulative ``a``, the GARCH variance updated."""
    n_f = a.shape[0]
    if lazy:
        for f in range(n_f):
            z[f] += innov[p, t, f]
    elif correlate:
        for g in range(n_f):
            z[g] = 0.0
        for f in range(n_f):
            e = innov[p, t, f]
            for g in range(f, n_f):
                z[g] += lt[f, g] * e
    else:
        for f in range(n_f):
            z[f] = innov[p, t, f]
    if use_garch:
        for f in range(n_f):
            d = math.sqrt(var[f]) * z[f]
            a[f] += d
            var[f] = garch[f, 0] + garch[f, 1] * d * d + garch[f, 2] * var[f]
    elif not lazy:
        for f in range(n_f):
            a[f] += sd[f] * z[f]


@jit(inline="always")
def _horizon_levels(a: np.ndarray, z: np.ndarray, lazy: bool, lt: np.ndarray, sd: np.ndarray,
                    base: np.ndarray, mult: np.ndarray, disp: np.ndarray, unit: np.ndarray,
                    x: np.ndarray) -> None:
    """Levels (model units) after the steps so far into ``x``; when ``lazy`` the summed raw
    normals are correlated and scaled once here."""
    n_f = a.shape[0]
    if lazy:
        for g in range(n_f):
            a[g] = 0.0
        for f in range(n_f):
            e = z[f]
            for g in range(f, n_f):
                a[g] += lt[f, g] * e
        for g in range(n_f):
            a[g] *= sd[g]
    for f in range(n_f):
        if mult[f] == 1:
            lvl = (base[f] + disp[f]) * math.exp(a[f]) - disp[f]
        else:
            lvl = base[f] + a[f]
        x[f] = lvl * unit[f]


#: paths per block of the block kernel (a constant of this module, so Numba's cache of the
#: kernel never pairs with work arrays of another width)
WIDTH = 64


@jit(error_model="numpy")
def mc_pnl_block_kernel(innov: np.ndarray, lt: np.ndarray, correlate: bool, vol0: np.ndarray,
                        garch: np.ndarray, use_garch: bool, base: np.ndarray, mult: np.ndarray,
                        disp: np.ndarray, unit: np.ndarray, hsteps: np.ndarray, pv0: float,
                        out: np.ndarray, n_chunk: int, bk: BlockArrays) -> None:
    """Portfolio P&L of each path at each horizon, by full revaluation with the block pricer.

    Parameters
    ----------
    innov : (n_paths, n_steps, n_factors)
        Unit-variance innovations; independent standard normals when ``correlate`` (then
        multiplied by the lower Cholesky factor ``L``, given as ``lt = L.T``), else already
        dependent. With ``correlate`` and constant volatility the raw normals are summed over
        the steps and correlated once per horizon (the same numbers: L and sigma are linear
        and constant along the path).
    vol0 : (n_factors,)
        Daily volatility of the first step.
    garch : (n_factors, 3)
        ``omega, alpha, beta``; the variance follows GARCH(1,1) over the steps when
        ``use_garch``, else stays ``vol0 ** 2``.
    base, mult, disp, unit : (n_factors,)
        Raw base levels, multiplicative flags, displacements, raw -> model unit factors.
    hsteps : (n_h,) int64, increasing
        Steps (1-based) at which the portfolio is revalued; the last is ``n_steps``.
    pv0 : float
        Portfolio PV in the base state, by the same pricer.
    out : (n_paths, n_h)
        Receives ``PV(path state after hsteps[h] steps) - pv0``.
    n_chunk : int
        Runs of consecutive blocks of paths, in parallel.
    bk : BlockArrays
        The portfolio, ``BoundPortfolio.block(weights)`` (one accumulator).

    Paths run in blocks (the work arrays' width); each path's states at the horizons are built
    in a fixed order of operations, then each horizon's block of states is priced with
    vectorised inner loops.
    """
    n_p, n_h = out.shape
    mc_group_pnl_kernel(innov, lt, correlate, vol0, garch, use_garch, base, mult, disp, unit,
                        hsteps, np.full(1, pv0), out.reshape((n_p, n_h, 1)), n_chunk, bk)


@jit(parallel=True, error_model="numpy")
def mc_group_pnl_kernel(innov: np.ndarray, lt: np.ndarray, correlate: bool, vol0: np.ndarray,
                        garch: np.ndarray, use_garch: bool, base: np.ndarray, mult: np.ndarray,
                        disp: np.ndarray, unit: np.ndarray, hsteps: np.ndarray,
                        pv0: np.ndarray, out: np.ndarray, n_chunk: int, bk: BlockArrays) -> None:
    """:func:`mc_pnl_block_kernel` per group of trades: ``bk`` is
    ``BoundPortfolio.block(groups=codes)`` (each trade accumulated into its group's row),
    ``pv0`` (n_groups,) the groups' PVs in the base state and ``out`` (n_paths, n_h,
    n_groups) receives each group's P&L: the paths are simulated and priced once for all
    groups."""
    n_p, n_f = innov.shape[0], innov.shape[2]
    n_h = hsteps.shape[0]
    blk = WIDTH  # paths per block
    n_blk = (n_p + blk - 1) // blk
    n_chunk = max(1, min(n_chunk, n_blk))
    for c in prange(n_chunk):  # runs of consecutive blocks, work arrays allocated once
        E, LS, LZ, DF, W = block_work(n_f, bk, blk)
        acc = np.empty((pv0.shape[0], blk))
        X = np.empty((n_h, n_f, blk))
        a = np.empty(n_f)
        var = np.empty(n_f)
        sd = np.empty(n_f)
        z = np.empty(n_f)
        for i_blk in range(c * n_blk // n_chunk, (c + 1) * n_blk // n_chunk):
            p0 = i_blk * blk
            nb = min(blk, n_p - p0)
            _mc_block(p0, nb, innov, lt, correlate, vol0, garch, use_garch, base, mult, disp,
                      unit, hsteps, pv0, out, X, a, var, sd, z, E, LS, LZ, DF, W, acc, bk)


@jit(error_model="numpy")
def _mc_block(p0: int, nb: int, innov: np.ndarray, lt: np.ndarray, correlate: bool,
              vol0: np.ndarray, garch: np.ndarray, use_garch: bool, base: np.ndarray,
              mult: np.ndarray, disp: np.ndarray, unit: np.ndarray, hsteps: np.ndarray,
              pv0: np.ndarray, out: np.ndarray, X: np.ndarray, a: np.ndarray, var: np.ndarray,
              sd: np.ndarray, z: np.ndarray, E: np.ndarray, LS: np.ndarray, LZ: np.ndarray,
              DF: np.ndarray, W: np.ndarray, acc: np.ndarray, bk: BlockArrays) -> None:
    """Paths ``p0 .. p0 + nb - 1`` of :func:`mc_group_pnl_kernel` (one block)."""
    n_t, n_f = innov.shape[1], innov.shape[2]
    n_h = hsteps.shape[0]
    lazy = correlate and not use_garch
    for b in range(nb):
        p = p0 + b
        for f in range(n_f):
            a[f] = 0.0
            z[f] = 0.0
            sd[f] = vol0[f]
            var[f] = vol0[f] * vol0[f]
        h = 0
        for t in range(n_t):
            _path_step(innov, p, t, lazy, correlate, use_garch, lt, garch, sd, var, z, a)
            if h < n_h and t + 1 == hsteps[h]:
                _horizon_levels(a, z, lazy, lt, sd, base, mult, disp, unit, X[h, :, b])
                h += 1
    for h in range(n_h):
        for f in range(n_f):
            for b in range(nb):
                E[f, b] = X[h, f, b]
        acc[:, :] = 0.0
        price_block(nb, acc, E, LS, LZ, DF, W, bk)
        for g in range(acc.shape[0]):
            for b in range(nb):
                out[p0 + b, h, g] = acc[g, b] - pv0[g]


@jit
def stationary_indices(start: np.ndarray, restart: np.ndarray, jump: np.ndarray,
                       n_obs: int, out: np.ndarray) -> None:
    """Rows of a stationary bootstrap (Politis and Romano 1994), circular over ``n_obs`` rows.

    start : (n_paths,) int64 first rows; restart : (n_paths, n_steps) bool, a new block
    starts at that step; jump : (n_paths, n_steps) int64 its first row. out : (n_paths,
    n_steps) int64.
    """
    n_p, n_t = restart.shape
    for p in range(n_p):
        k = start[p]
        for t in range(n_t):
            if t > 0:
                k = jump[p, t] if restart[p, t] else (k + 1) % n_obs
            out[p, t] = k
