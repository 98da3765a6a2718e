"""Numba kernels of the market-data layer. Arrays in, arrays out; they never raise."""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit, prange
from imresearch.marketdata.conventions import level_from_shock, shock_from_levels


@jit(parallel=True)
def horizon_shocks_kernel(
    levels: np.ndarray,
    codes: np.ndarray,
    params: np.ndarray,
    starts: np.ndarray,
    horizon: int,
    scale: float,
) -> np.ndarray:
    """Shocks from row ``starts[k]`` to row ``starts[k] + horizon`` of ``levels``, times ``scale``.

    levels : (n_dates, n_factors) float64; codes, params : (n_factors,);
    starts : (n_shocks,) int64. Returns (n_shocks, n_factors) float64.
    """
    n_shocks = starts.shape[0]
    n_factors = levels.shape[1]
    out = np.empty((n_shocks, n_factors), dtype=np.float64)
    for k in prange(n_shocks):
        i0 = starts[k]
        i1 = i0 + horizon
        for j in range(n_factors):
            out[k, j] = scale * shock_from_levels(levels[i0, j], levels[i1, j], codes[j], params[j])
    return out


@jit(parallel=True)
def apply_shocks_kernel(
    base: np.ndarray, shocks: np.ndarray, codes: np.ndarray, params: np.ndarray
) -> np.ndarray:
    """Levels reached from ``base`` by each row of ``shocks``.

    base : (n_factors,) or (n_shocks, n_factors) float64 broadcast by row;
    shocks : (n_shocks, n_factors). Returns (n_shocks, n_factors) float64.
    """
    n_shocks, n_factors = shocks.shape
    out = np.empty((n_shocks, n_factors), dtype=np.float64)
    per_row = base.ndim == 2
    for k in prange(n_shocks):
        for j in range(n_factors):
            a = base.reshape(-1)[k * n_factors + j] if per_row else base.reshape(-1)[j]
            out[k, j] = level_from_shock(a, shocks[k, j], codes[j], params[j])
    return out
