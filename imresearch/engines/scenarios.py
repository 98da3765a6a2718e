"""Scenario construction for the HS and FHS engines: additive shocks and volatility filters.

The engines work in an *additive* shock space, where horizon shocks are sums of daily shocks and
filtering is a per-factor multiplication:

* multiplicative factors (conventions ``log``, ``relative``, ``displaced_relative``):
  ``a = ln((x1 + d) / (x0 + d))`` and ``x1 = (x0 + d) exp(a) - d``;
* additive factors (``absolute``, ``absolute_bp``): ``a = x1 - x0`` in level units.

Applied to the start level, an overlapping horizon shock in this space reproduces the end level
exactly, as the factor's own convention does; only the parametrisation differs.

Filtered HS (Barone-Adesi et al. 1999; Hull and White 1998): daily shocks are divided by the
conditional volatility ``sigma[i]`` known before day ``i`` and multiplied by the volatility known
on the valuation date, so a horizon scenario at date ``T`` is ``sigma[T] * sum(u[k:k+h])`` with
``u = d / sigma``. ``sigma`` comes from EWMA or from GARCH(1,1) re-fitted on the expanding window.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from imresearch._numba import jit
from imresearch.errors import InputError
from imresearch.marketdata.factors import FactorSpec

__all__ = [
    "additive_daily",
    "ewma_volatility",
    "garch_volatility",
    "horizon_sums",
    "multiplicative_flags",
]


def multiplicative_flags(specs: Mapping[str, FactorSpec] | list[FactorSpec]) -> tuple:
    """``(mult, disp)``: int64 flags (1 = multiplicative) and float64 displacements."""
    items = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    mult = np.array([s.convention in ("log", "relative", "displaced_relative") for s in items],
                    dtype=np.int64)
    disp = np.array([s.displacement if s.convention == "displaced_relative" else 0.0
                     for s in items], dtype=np.float64)
    return mult, disp


def additive_daily(levels: np.ndarray, mult: np.ndarray, disp: np.ndarray) -> np.ndarray:
    """Daily additive shocks, shape (n_dates - 1, n_factors): row ``i`` moves row i to i + 1."""
    x = np.asarray(levels, dtype=np.float64)
    out = np.empty((x.shape[0] - 1, x.shape[1]))
    m = mult.astype(bool)
    shifted = x[:, m] + disp[m]
    out[:, m] = np.log(shifted[1:] / shifted[:-1])
    out[:, ~m] = np.diff(x[:, ~m], axis=0)
    return out


def horizon_sums(daily: np.ndarray, horizon: int) -> np.ndarray:
    """Sums of ``horizon`` consecutive rows: row ``k`` is ``daily[k:k + horizon].sum(0)``.

    Shape (n_daily - horizon + 1, n_factors). A running sum restarted every 256 rows keeps
    rounding drift negligible.
    """
    return _horizon_sums_kernel(np.ascontiguousarray(daily, dtype=np.float64), int(horizon))


@jit
def _horizon_sums_kernel(daily: np.ndarray, horizon: int) -> np.ndarray:
    n, m = daily.shape
    n_out = n - horizon + 1
    out = np.empty((n_out, m))
    for j in range(m):
        acc = 0.0
        for i in range(horizon):
            acc += daily[i, j]
        out[0, j] = acc
        for k in range(1, n_out):
            if k % 256 == 0:
                acc = 0.0
                for i in range(k, k + horizon):
                    acc += daily[i, j]
            else:
                acc += daily[k + horizon - 1, j] - daily[k - 1, j]
            out[k, j] = acc
    return out


@jit
def _ewma_kernel(daily: np.ndarray, lam: float, init_var: np.ndarray) -> np.ndarray:
    n, m = daily.shape
    var = np.empty((n + 1, m))
    var[0] = init_var
    for i in range(n):
        for j in range(m):
            var[i + 1, j] = lam * var[i, j] + (1.0 - lam) * daily[i, j] * daily[i, j]
    return np.sqrt(var)


#: Daily shocks whose mean square starts the EWMA and GARCH recursions.
INIT_WINDOW = 250
#: Daily shocks before the first GARCH(1,1) fit (EWMA until then).
GARCH_MIN_OBSERVATIONS = 500
#: Scale of the shocks given to ``arch`` (shocks of order 0.01 fit badly unscaled).
_GARCH_FIT_SCALE = 10.0


def ewma_volatility(daily: np.ndarray, lam: float = 0.94,
                    init_window: int = INIT_WINDOW) -> np.ndarray:
    """EWMA conditional volatility, shape (n_daily + 1, n_factors).

    ``sigma[i]`` is the volatility of ``daily[i]`` forecast from ``daily[:i]``;
    ``sigma[n]`` is the forecast after the last shock. The recursion starts from the sample
    variance of the first ``init_window`` shocks (the one look-ahead, confined to the start).
    """
    if daily.shape[0] < 2:
        raise InputError("EWMA volatility needs at least 2 daily shocks")
    w = min(init_window, daily.shape[0])
    init = np.mean(daily[:w] ** 2, axis=0)
    return _ewma_kernel(np.ascontiguousarray(daily), float(lam), init)


@jit
def _garch_kernel(daily: np.ndarray, omega: np.ndarray, alpha: np.ndarray, beta: np.ndarray,
                  init_var: np.ndarray) -> np.ndarray:
    n, m = daily.shape
    var = np.empty((n + 1, m))
    var[0] = init_var
    for i in range(n):
        for j in range(m):
            var[i + 1, j] = omega[i, j] + alpha[i, j] * daily[i, j] ** 2 + beta[i, j] * var[i, j]
    return np.sqrt(var)


def garch_volatility(daily: np.ndarray, refit_days: int = 250,
                     min_obs: int = GARCH_MIN_OBSERVATIONS, lam: float = 0.94) -> np.ndarray:
    """GARCH(1,1) conditional volatility re-fitted on the expanding window (``arch``).

    Parameters are estimated (Gaussian quasi-likelihood, zero mean) on ``daily[:r]`` at rows
    ``r = min_obs, min_obs + refit_days, ...`` and used from row ``r`` on, so ``sigma[i]``
    only uses data before ``i``. Before the first fit the EWMA recursion (``lam``) is used.
    A fit that fails or is non-stationary keeps the previous parameters.
    Returns shape (n_daily + 1, n_factors) like :func:`ewma_volatility`.
    """
    from arch import arch_model

    n, m = daily.shape
    omega = np.zeros((n, m))
    alpha = np.full((n, m), 1.0 - lam)
    beta = np.full((n, m), lam)
    init = np.mean(daily[: min(INIT_WINDOW, n)] ** 2, axis=0)
    for j in range(m):
        y = daily[:, j]
        scale = np.std(y[: min(min_obs, n)]) or 1.0
        for r in range(min_obs, n, refit_days):
            z = y[:r] / scale
            if np.std(z) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    res = arch_model(z * _GARCH_FIT_SCALE, mean="Zero", vol="GARCH", p=1, q=1,
                                     rescale=False).fit(disp="off", show_warning=False)
                except Exception:  # keep the previous parameters when a fit fails
                    continue
            w, a, b = (float(res.params[k]) for k in ("omega", "alpha[1]", "beta[1]"))
            if not (np.isfinite([w, a, b]).all() and w > 0 and a >= 0 and b >= 0
                    and a + b < 1):
                continue
            omega[r:, j] = w * (scale / _GARCH_FIT_SCALE) ** 2
            alpha[r:, j] = a
            beta[r:, j] = b
    return _garch_kernel(np.ascontiguousarray(daily), omega, alpha, beta, init)
