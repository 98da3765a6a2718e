"""Zero curves from par yields: the bootstrap of the U.S. Treasury par curve.

The Treasury's daily par yield curve quotes, per tenor, the coupon of a hypothetical security
priced at par, on a bond-equivalent (semi-annual) basis. Pricing kernels read zero rates, so
:func:`par_to_zero` bootstraps them, date by date (vectorised over dates):

- tenors up to 6 months are bills: ``DF(T) = 1 / (1 + y T)`` (bond-equivalent simple yield);
- tenors over 6 months and up to 1 year are bills too, with the bond-equivalent yield of a
  bill beyond a half year: ``DF(T) = 1 / ((1 + y/2) (1 + y (T - 1/2)))`` (``(1 + y/2)^-2`` at
  1 year);
- longer tenors are par bonds paying ``y/2`` every 6 months back from maturity:
  ``sum_k y/2 DF(T - k/2) + DF(T) = 1``, solved for ``DF(T)`` by Newton's method;
- between pillars ``ln DF`` is linear in time (flat forward rates; log-linear discount
  interpolation), from ``DF(0) = 1`` before the first pillar.

Times are nominal year fractions (a tenor of ``m`` months is ``m / 12`` years; a coupon every
half year), the tenor labels the pricing code reads. Zero rates are continuously compounded,
``z(T) = -ln DF(T) / T``. A tenor missing on a date is left out of that date's bootstrap and its
zero rate is NaN. ``tests/marketdata/test_bootstrap.py`` checks the result against QuantLib's
``PiecewiseLogLinearDiscount`` built from the same quotes.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.marketdata.factors import tenor_to_years

__all__ = ["par_to_zero"]

_NEWTON_STEPS = 50
_NEWTON_TOL = 1e-15
_BILL_LIMIT = 1.0  # years: tenors up to here are zero-coupon bills
_HALF = 0.5


def _months(tenor: str) -> int:
    years = tenor_to_years(tenor)
    months = round(years * 12.0)
    if abs(months - years * 12.0) > 1e-9 or not str(tenor).lower().endswith(("m", "y")):
        raise InputError(f"par_to_zero: tenor {tenor!r} is not a whole number of months")
    return months


def _interp_log_df(t: np.ndarray, nodes_t: list[float], nodes_x: list[np.ndarray]) -> np.ndarray:
    """``ln DF`` at times ``t`` (all <= last node) for every date: linear between nodes."""
    times = np.asarray(nodes_t)
    values = np.stack(nodes_x, axis=1)  # (n_dates, n_nodes)
    hi = np.clip(np.searchsorted(times, t, side="left"), 1, len(times) - 1)
    lo = hi - 1
    w = (t - times[lo]) / (times[hi] - times[lo])
    return values[:, lo] * (1.0 - w) + values[:, hi] * w


def _bootstrap(years: list[float], rates: np.ndarray) -> np.ndarray:
    """``ln DF`` at each pillar, shape (n_dates, n_pillars); rates in decimals, no NaN."""
    nodes_t: list[float] = [0.0]
    nodes_x: list[np.ndarray] = [np.zeros(rates.shape[0])]
    out = np.empty_like(rates)
    for j, T in enumerate(years):
        y = rates[:, j]
        if T <= _HALF + 1e-12:
            x = -np.log1p(y * T)
        elif T <= _BILL_LIMIT + 1e-12:
            x = -np.log1p(y / 2.0) - np.log1p(y * (T - _HALF))
        else:
            n_coupons = round(T / _HALF)
            times = T - _HALF * np.arange(1, n_coupons)  # coupon dates before maturity
            before = times[times <= nodes_t[-1]]
            after = times[times > nodes_t[-1]]
            known = np.exp(_interp_log_df(before, nodes_t, nodes_x)).sum(axis=1) if len(
                before) else 0.0
            t0, x0 = nodes_t[-1], nodes_x[-1]
            w = (after - t0) / (T - t0)  # weights of the unknown ln DF(T) at later coupons
            x = x0 - (np.log1p(y / 2.0) + y / 2.0) * (T - t0) / T  # start: near the answer
            for _ in range(_NEWTON_STEPS):
                inner = np.exp(x0[:, None] * (1.0 - w) + x[:, None] * w)  # (n_dates, n_after)
                f = y / 2.0 * (known + inner.sum(axis=1)) + (1.0 + y / 2.0) * np.exp(x) - 1.0
                df = y / 2.0 * (inner * w).sum(axis=1) + (1.0 + y / 2.0) * np.exp(x)
                step = f / df
                x = x - step
                if np.all(np.abs(step) < _NEWTON_TOL):
                    break
        out[:, j] = x
        nodes_t.append(T)
        nodes_x.append(x)
    return out


def par_to_zero(par: pd.DataFrame, *, units: str = "percent") -> pd.DataFrame:
    """Bootstrap continuously compounded zero rates from Treasury par yields.

    Parameters
    ----------
    par : pandas.DataFrame
        Par yields, one row per date and one column per tenor label (``"1m"``, ``"6m"``,
        ``"2y"``, ``"30y"``...), in increasing tenor order. NaN marks a tenor not quoted on a
        date (left out of that date's curve).
    units : {"percent", "decimal"}
        Units of ``par``; the zero rates are returned in the same units. Default percent.

    Returns
    -------
    pandas.DataFrame
        Zero rates (continuous compounding, nominal year fractions) with the index and columns
        of ``par``; NaN where the par yield is NaN.

    Raises
    ------
    InputError
        Tenors not increasing or not whole months, unknown units, or non-finite yields.
    """
    scale = {"percent": 100.0, "decimal": 1.0}.get(units)
    if scale is None:
        raise InputError(f"par_to_zero: units must be 'percent' or 'decimal'; got {units!r}")
    months = [_months(str(c)) for c in par.columns]
    if any(b <= a for a, b in itertools.pairwise(months)):
        raise InputError(f"par_to_zero: tenors must increase; got {list(par.columns)}")
    values = par.to_numpy(dtype=np.float64) / scale
    if np.isinf(values).any():
        raise InputError("par_to_zero: infinite par yield")
    zero = np.full_like(values, np.nan)
    present = ~np.isnan(values)
    patterns, inverse = np.unique(present, axis=0, return_inverse=True)
    for k, pattern in enumerate(patterns):
        if not pattern.any():
            continue
        rows = np.flatnonzero(inverse.ravel() == k)
        cols = np.flatnonzero(pattern)
        years = [months[c] / 12.0 for c in cols]
        log_df = _bootstrap(years, values[np.ix_(rows, cols)])
        zero[np.ix_(rows, cols)] = -log_df / np.asarray(years)
    return pd.DataFrame(zero * scale, index=par.index, columns=par.columns)
