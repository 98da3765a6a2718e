"""Find the stress window: the period of a given length that maximises a stress statistic.

Used for "recent + stress" calibration (SIMM, UMR internal models, EU RTS 2016/2251 art. 3(c))
and for the stressed-observation weight of anti-procyclicality tools. Statistics:

``volatility``
    average over factors of the standard deviation of daily shocks in the window, each factor
    divided by its standard deviation over the whole history (so factors of different units
    count alike);
``var`` / ``es``
    the ``confidence`` VaR / ES of the portfolio P&L of the overlapping ``horizon``-day shocks
    that lie wholly inside the window (``length - horizon`` shocks). The P&L comes from
    ``pnl``: a Series of linear sensitivities (P&L per unit shock of each factor) or a function
    of the (n_shocks, n_factors) shock array returning (n_shocks,) P&L. VaR is the k-th largest
    loss and ES the mean of the k largest losses, with k = ceil(n (1 - confidence)).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from imresearch._rolling import rolling_mean_kernel, rolling_tail_kernel
from imresearch.errors import (
    InputError,
    check_choice,
    check_in_open_interval,
    check_positive_int,
)
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.measures import tail_count

__all__ = ["StressWindow", "find_stress_window"]

StressStatistic = Literal["volatility", "var", "es"]
PnLFunction = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class StressWindow:
    """The most stressed window of a history.

    Attributes
    ----------
    start, end : pandas.Timestamp
        First and last date of the window (inclusive).
    value : float
        The statistic on that window.
    statistic : str
        ``volatility``, ``var`` or ``es``.
    length : int
        Window length in business days (rows).
    profile : pandas.Series
        The statistic of every candidate window, indexed by the window's end date.
    """

    start: pd.Timestamp
    end: pd.Timestamp
    value: float
    statistic: str
    length: int
    profile: pd.Series


def find_stress_window(
    history: RiskFactorHistory,
    length: int = 250,
    *,
    statistic: StressStatistic = "volatility",
    pnl: pd.Series | PnLFunction | None = None,
    horizon: int = 10,
    confidence: float = 0.99,
    start: object = None,
    end: object = None,
) -> StressWindow:
    """Return the window of ``length`` business days that maximises ``statistic``.

    Parameters
    ----------
    history : RiskFactorHistory
        Levels to search.
    length : int
        Window length in business days (rows). Default 250 (one year, as SIMM and UMR use).
    statistic : {"volatility", "var", "es"}
        Stress statistic (see the module docstring). Default ``"volatility"``.
    pnl : pandas.Series or callable, optional
        Needed for ``var`` and ``es``: linear sensitivities indexed by factor name, or a
        function mapping a (n_shocks, n_factors) shock array to a (n_shocks,) P&L array.
    horizon : int
        Shock horizon in business days for ``var``/``es``. Default 10.
    confidence : float
        Confidence level for ``var``/``es``, in (0, 1). Default 0.99.
    start, end : date-like, optional
        Restrict the search to windows inside ``[start, end]``.

    Returns
    -------
    StressWindow
        The window, its statistic, and the profile of every candidate window. Ties go to the
        most recent window.

    Raises
    ------
    InputError
        Bad arguments, a history shorter than ``length``, ``pnl`` missing or not matching the
        factors, or a P&L function returning the wrong shape or NaN.
    """
    check_choice("statistic", statistic, ("volatility", "var", "es"))
    length = check_positive_int("length", length, minimum=2)
    hist = history.window(start, end) if (start is not None or end is not None) else history
    if hist.n_dates < length:
        raise InputError(
            f"{history.name}: {hist.n_dates} dates in the search range, fewer than "
            f"length={length}"
        )
    ends = hist.dates[length - 1 :]
    if statistic == "volatility":
        daily = horizon_shocks(hist, 1).values
        scale = daily.std(axis=0, ddof=1)
        scale[scale == 0] = 1.0
        z = daily / scale
        mean = rolling_mean_kernel(np.ascontiguousarray(z), length - 1)
        mean_sq = rolling_mean_kernel(np.ascontiguousarray(z * z), length - 1)
        w = length - 1
        var = np.maximum(mean_sq - mean * mean, 0.0) * (w / max(w - 1, 1))
        values = np.sqrt(var).mean(axis=1)
    else:
        horizon = check_positive_int("horizon", horizon)
        confidence = check_in_open_interval("confidence", confidence)
        if length <= horizon:
            raise InputError(f"length={length} must exceed horizon={horizon}")
        shocks = horizon_shocks(hist, horizon)
        losses = -_portfolio_pnl(shocks.values, pnl, hist)
        window = length - horizon
        k = tail_count(window, confidence)
        kth, tail = rolling_tail_kernel(np.ascontiguousarray(losses), window, k)
        values = kth if statistic == "var" else tail
    profile = pd.Series(values, index=pd.DatetimeIndex(ends, name="end"), name=statistic)
    best = int(len(values) - 1 - np.argmax(values[::-1]))
    return StressWindow(
        start=hist.dates[best],
        end=hist.dates[best + length - 1],
        value=float(values[best]),
        statistic=statistic,
        length=length,
        profile=profile,
    )


def _portfolio_pnl(
    shocks: np.ndarray, pnl: pd.Series | PnLFunction | None, hist: RiskFactorHistory
) -> np.ndarray:
    if pnl is None:
        raise InputError("statistic 'var'/'es' needs pnl= (sensitivities or a P&L function)")
    if isinstance(pnl, pd.Series):
        unknown = [f for f in pnl.index if f not in hist.factors]
        if unknown:
            raise InputError(f"pnl: sensitivities to unknown factor(s) {unknown}")
        sens = pnl.reindex(hist.factor_names).fillna(0.0).to_numpy(dtype=np.float64)
        if not np.isfinite(sens).all():
            raise InputError("pnl: sensitivities must be finite numbers")
        return shocks @ sens
    if not callable(pnl):
        raise InputError(f"pnl must be a Series or a callable; got {type(pnl).__name__}")
    out = np.asarray(pnl(shocks), dtype=np.float64)
    if out.shape != (shocks.shape[0],):
        raise InputError(f"pnl function returned shape {out.shape}; expected ({shocks.shape[0]},)")
    if not np.isfinite(out).all():
        bad = int(np.flatnonzero(~np.isfinite(out))[0])
        raise InputError(f"pnl function returned a non-finite P&L at shock {bad}: {out[bad]}")
    return out
