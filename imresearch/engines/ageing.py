"""Rolling IM of a static, ageing portfolio: the same trades held, their maturities running down.

:func:`~imresearch.engines.hs.rolling_im` replays a portfolio at *constant maturity* (terms
fixed once, as if the book were rolled every day). A static book ages instead: options come
closer to expiry, swaps lose cash flows, and trades that mature leave the book. On each IM date
:func:`ageing_rolling_im` uses the trades still alive, with their terms fixed on a recent
*rebinding date*. The live trades are bound again on the first IM date at least
``rebind_days`` business days after the previous rebinding, and on the first IM date after any
trade has matured (so a matured trade never counts); the rolling engine runs over the dates in
between. With ``rebind_days=1`` every IM date uses terms fixed that very day (exact, slower);
with ``rebind_days=21`` times to maturity are at most ``21 + step - 1`` business days stale.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines.hs import _day, first_full_row, rolling_im
from imresearch.engines.settings import HSModel
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.trades import Trade

__all__ = ["ageing_rolling_im", "live_trades"]


def live_trades(trades: Any, date: object) -> list[Trade]:
    """Trades still alive after ``date`` (end date strictly later, or none)."""
    ts = pd.Timestamp(date)
    return [t for t in getattr(trades, "trades", trades)
            if t.end_date is None or t.end_date > ts]


def ageing_rolling_im(
    portfolio: Any,
    market: RiskFactorHistory,
    start: object = None,
    end: object = None,
    model: HSModel | None = None,
    *,
    rebind_days: int = 21,
    step: int = 1,
) -> pd.DataFrame:
    """IM of a static portfolio through time, trades ageing and maturing (see the module notes).

    Parameters
    ----------
    portfolio : Portfolio or sequence of Trade
        The trades as booked (not a BoundPortfolio: terms are fixed here, date by date).
    market : RiskFactorHistory
    start, end : date-like, optional
        Range of IM dates, as in :func:`~imresearch.engines.hs.rolling_im`.
    model : HSModel, optional
    rebind_days : int
        Business days of the market between rebindings; a trade maturing also forces one.
        Default 21.
    step : int
        Compute every ``step``-th business day, ending on the last date of the range.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`rolling_im` (``im``, ``var``, ``es``, ...) plus ``bind_date``
        (the date the terms were fixed) and ``n_live_trades``. Dates after the last trade
        matured have IM 0 and no scenario.

    Raises
    ------
    InputError
        A bound portfolio; non-positive ``rebind_days`` or ``step``; no date in range with a
        full lookback (from the engine).
    """
    if isinstance(portfolio, BoundPortfolio):
        raise InputError("ageing_rolling_im needs the trades as booked (a Portfolio or a list of "
                         "trades), not a BoundPortfolio whose terms are already fixed")
    trades = list(getattr(portfolio, "trades", portfolio))
    if not trades:
        raise InputError("the portfolio has no trades")
    rebind_days = check_positive_int("rebind_days", rebind_days)
    step = check_positive_int("step", step)
    model = model or HSModel()
    dates = market.dates
    first_ok = min(first_full_row(model), market.n_dates - 1)
    lo = first_ok if start is None else max(first_ok, int(dates.searchsorted(pd.Timestamp(start))))
    hi = len(dates) - 1 if end is None else int(dates.searchsorted(pd.Timestamp(end), "right")) - 1
    if hi < lo:
        raise InputError(f"no date in {_day(start)}..{_day(end)} has a full lookback of "
                         f"{model.lookback_days} days")
    rows = np.arange(hi, lo - 1, -step)[::-1]
    grid = dates[rows]
    ends = [t.end_date for t in trades]
    dated = np.sort(np.array([e for e in ends if e is not None], dtype="datetime64[ns]"))
    # alive on d: no end date, or an end date after d
    n_live = len(ends) - np.searchsorted(dated, grid.to_numpy(dtype="datetime64[ns]"),
                                         side="right")
    starts = [0]
    for i in range(1, len(grid)):
        if rows[i] - rows[starts[-1]] >= rebind_days or n_live[i] != n_live[starts[-1]]:
            starts.append(i)
    parts = []
    for k, first in enumerate(starts):
        run = grid[first:starts[k + 1] if k + 1 < len(starts) else len(grid)]
        bind_date = run[0]
        live = live_trades(trades, bind_date)
        if live:
            part = rolling_im(live, market, run[0], run[-1], model, bind_date=bind_date,
                              step=step)
        else:
            part = pd.DataFrame({"im": 0.0, "var": 0.0, "es": 0.0, "n_scenarios": 0,
                                 "n_stress_scenarios": 0, "var_scenario_end": pd.NaT},
                                index=pd.DatetimeIndex(run, name="date"))
        part["bind_date"] = bind_date
        part["n_live_trades"] = len(live)
        parts.append(part)
    out = pd.concat(parts)
    return out

