"""Rolling HS IM of a linear, fixed-exposure portfolio with sorted-window updates.

When the P&L of each scenario does not depend on the valuation date (fixed exposures, no
filtering), consecutive dates share all but one scenario: the window is kept sorted and updated
in O(window) per date (:mod:`imresearch._rolling`) instead of being re-sorted. Exposures are
P&L per unit of each factor's convention shock: a log or relative factor with exposure ``N``
(a notional) gives ``N (exp(s) - 1)`` or ``N s``; an ``absolute_bp`` factor gives ``N s`` with
``N`` the P&L per basis point; ``absolute`` factors ``N s`` per level unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch._rolling import rolling_tail_kernel
from imresearch.errors import InputError, check_choice, check_in_open_interval, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.measures import tail_count

__all__ = ["linear_pnl", "linear_rolling_im"]


def linear_pnl(exposures: pd.Series, market: RiskFactorHistory, horizon: int = 10) -> pd.Series:
    """Scenario P&L of fixed exposures under every overlapping ``horizon``-day shock.

    Indexed by the shock's end date.
    """
    if not isinstance(exposures, pd.Series) or exposures.empty:
        raise InputError("exposures must be a non-empty pandas Series indexed by factor name")
    unknown = [f for f in exposures.index if f not in market.factors]
    if unknown:
        raise InputError(f"exposures name factor(s) {unknown} absent from market {market.name}")
    values = exposures.to_numpy(dtype=np.float64)
    if not np.isfinite(values).all():
        raise InputError("exposures must be finite numbers")
    hist = market.select(list(exposures.index))
    shocks = horizon_shocks(hist, horizon)
    s = shocks.values
    log = np.array([spec.convention == "log" for spec in hist.factors.values()])
    moves = np.where(log, np.expm1(s), s)
    return pd.Series(moves @ values, index=shocks.end, name="pnl")


def linear_rolling_im(
    exposures: pd.Series,
    market: RiskFactorHistory,
    start: object = None,
    end: object = None,
    *,
    lookback_days: int = 2520,
    horizon: int = 10,
    confidence: float = 0.99,
    measure: str = "var",
) -> pd.DataFrame:
    """Rolling IM (VaR or ES, order-statistic definition) of fixed linear exposures.

    On the date at row ``T`` the scenarios are the ``lookback_days - horizon + 1`` overlapping
    shocks lying wholly in rows ``T - lookback_days .. T`` (as in :func:`rolling_im`).

    Returns
    -------
    pandas.DataFrame
        Indexed by date: ``im``, ``var``, ``es``.
    """
    lookback_days = check_positive_int("lookback_days", lookback_days, minimum=2)
    horizon = check_positive_int("horizon", horizon)
    confidence = check_in_open_interval("confidence", confidence)
    check_choice("measure", measure, ("var", "es"))
    if lookback_days <= horizon:
        raise InputError(f"lookback_days={lookback_days} must exceed horizon={horizon}")
    pnl = linear_pnl(exposures, market, horizon)
    window = lookback_days - horizon + 1
    if len(pnl) < window:
        raise InputError(f"lookback_days={lookback_days} is longer than the history of "
                         f"{market.name} ({market.n_dates} dates)")
    k = tail_count(window, confidence)
    var, es = rolling_tail_kernel(np.ascontiguousarray(-pnl.to_numpy()), window, k)
    dates = pd.DatetimeIndex(pnl.index[window - 1 :], name="date")
    out = pd.DataFrame({"var": var, "es": es}, index=dates)
    out.insert(0, "im", np.maximum(out[measure], 0.0))
    out = out.loc[start:end] if (start is not None or end is not None) else out
    if out.empty:
        raise InputError(f"no date in {start}..{end} has a full lookback")
    return out
