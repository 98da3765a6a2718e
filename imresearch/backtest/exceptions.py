"""The exception report of a backtest: for every exception, what drove the loss.

For each exception of an :class:`~imresearch.backtest.im_backtest.IMBacktest` (a window whose
realised loss exceeded the IM set at its start) the report gives the date and the window's
last date, the group, P&L, IM, the shortfall (in USD and as a share of the IM), the stress
episode the window falls in (from a catalogue the caller passes), and the attribution of the
realised loss, computed on the book as it stood on the IM date (the frozen book, or with
``pnl="actual"`` the trades alive that day):

* ``risk_class``: the SIMM risk class whose factors, moved alone over the window, lose the
  most (for a backtest by risk class, the group itself), with that loss;
* ``top_trades``: the trades of the group with the largest realised losses;
* ``top_factors``: the factors whose move alone over the window loses the most (one at a
  time, the others held at their levels on the IM date; for a risk class, its own factors).

Amounts in the text columns are in USD millions (``"IRS0001 -3.2"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from imresearch.backtest.groups import factor_risk_classes, trade_labels
from imresearch.backtest.im_backtest import IMBacktest
from imresearch.engines.ageing import live_trades
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio

__all__ = ["REPORT_COLUMNS", "exception_report"]

REPORT_COLUMNS = ["date", "window_end", "group", "pnl", "im", "shortfall", "shortfall_pct",
                  "non_overlapping", "episode", "risk_class", "risk_class_pnl", "top_trades",
                  "top_factors"]


def _episode(start: pd.Timestamp, end: pd.Timestamp,
             episodes: list[tuple[str, pd.Timestamp, pd.Timestamp]]) -> str:
    """Names of the episodes whose dates overlap ``[start, end]``."""
    return ", ".join(name for name, lo, hi in episodes if lo <= end and hi >= start)


def _top(names: list[str], pnl: np.ndarray, top: int) -> str:
    order = np.argsort(pnl, kind="mergesort")[:top]
    return "; ".join(f"{names[i]} {pnl[i] / 1e6:+.2f}" for i in order if pnl[i] < 0)


def _book_on(result: IMBacktest, market: RiskFactorHistory, date: pd.Timestamp
             ) -> BoundPortfolio:
    if result.book is not None:
        return result.book
    if result.trades is None:
        raise InputError("the backtest result carries no book")
    return bind(live_trades(result.trades, date), market, date)


def _attribution(book: BoundPortfolio, group: Any, by: str, l0: np.ndarray, l1: np.ndarray,
                 top: int) -> dict[str, Any]:
    """Risk class, top trades and top factors of the loss of ``group`` from levels ``l0``
    to ``l1`` (the book's factors)."""
    classes = factor_risk_classes(book)
    moving = np.ones(book.n_factors, dtype=bool)
    if by == "risk_class":
        moving = np.isin(book.factor_names, classes.get(group, []))
    else:
        rows = np.flatnonzero(np.array(trade_labels(book, by), dtype=object) == group)
        book = book.take(rows)
    names = list(book.factor_names)
    scale = book.scale
    moved = np.where(moving, l1, l0)
    base = book.pv_states((l0 * scale)[None, :])[0]
    by_trade = book.pv_states((moved * scale)[None, :])[0] - base
    singles = np.repeat(l0[None, :], len(names), axis=0)
    diag = np.arange(len(names))
    singles[diag, diag] = l1
    by_factor = book.pv_states(singles * scale).sum(axis=1) - base.sum()
    by_factor = np.where(moving, by_factor, 0.0)
    if by == "risk_class":
        rc, rc_pnl = group, float(by_trade.sum())
    else:
        per = {c: float((book.pv_states((np.where(np.isin(names, fs), l1, l0) * scale)[None, :])
                         [0] - base).sum()) for c, fs in classes.items()}
        rc = min(per, key=per.__getitem__)
        rc_pnl = per[rc]
    return {"risk_class": rc, "risk_class_pnl": rc_pnl,
            "top_trades": _top(list(book.trade_ids), by_trade, top),
            "top_factors": _top(names, by_factor, top)}


def exception_report(result: IMBacktest, market: RiskFactorHistory, *,
                     episodes: Iterable[Any] | None = None, top: int = 3) -> pd.DataFrame:
    """Every exception of a backtest with its episode and the attribution of its loss.

    Parameters
    ----------
    result : IMBacktest
        From :func:`~imresearch.backtest.im_backtest.backtest_im`.
    market : RiskFactorHistory
        The market of the backtest.
    episodes : iterable of (name, start, end), optional
        Stress episodes (e.g. :func:`imresearch.study.market.episodes_for`); none: the
        column is empty.
    top : int
        Trades and factors listed per exception. Default 3.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`REPORT_COLUMNS` (see the module notes), one row per exception, in
        date order.
    """
    if not isinstance(result, IMBacktest):
        raise InputError(f"result must be an IMBacktest; got {type(result).__name__}")
    top = check_positive_int("top", top)
    listed = []
    for e in episodes or []:
        try:
            name, lo, hi = e
            listed.append((str(name), pd.Timestamp(lo), pd.Timestamp(hi)))
        except (TypeError, ValueError):
            raise InputError(f"episodes must be (name, start, end) tuples; got {e!r}") from None
    ex = result.exceptions
    rows = []
    dates = market.dates
    for r in ex.itertuples(index=False):
        pos = int(dates.get_loc(r.date))
        end = dates[pos + result.horizon]
        book = _book_on(result, market, r.date)
        lv = market.levels.loc[[r.date, end], book.factor_names].to_numpy(float)
        row = {"date": r.date, "window_end": end, "group": r.group, "pnl": r.pnl, "im": r.im,
               "shortfall": r.shortfall,
               "shortfall_pct": 100.0 * r.shortfall / r.im if r.im > 0 else np.inf,
               "non_overlapping": r.non_overlapping, "episode": _episode(r.date, end, listed)}
        row.update(_attribution(book, r.group, result.by, lv[0], lv[1], top))
        rows.append(row)
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)
