"""Groups of a book for backtests, and the realised P&L of each group.

A backtest ``by`` the whole portfolio, each netting set or each SIMM product class groups the
book's *trades*: a group's P&L is the P&L of its trades. ``by="risk_class"`` groups the
market's *factors* into SIMM risk classes (interest rates with inflation, credit qualifying,
equity, commodity, FX; a volatility factor goes to the risk class of the trades that use it):
a group's P&L is the book's P&L when only that class's factors move, the others held at their
levels on the IM date (the P&L the class's IM covers; :mod:`imresearch.engines.masked`). For
a book whose P&L is additive across classes (each trade on the factors of one class, or a P&L
linear in the factors) the classes' P&Ls sum to the portfolio's.

Realised P&L over ``horizon`` business days after an IM date ``t``:

* **hypothetical**: the book on ``t`` frozen (no trade, its terms fixed) revalued at the
  market of ``t + horizon``: ``PV(levels[t + h]) - PV(levels[t])``;
* **actual**: the book as it ages: each day's P&L of the trades alive that day, with their
  terms of that day, summed over the window; trades that mature leave the book on their end
  date. Time effects (carry, coupons paid) are not market moves and are left out, as the IM
  covers market risk only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from imresearch.engines.grouped import group_codes
from imresearch.engines.masked import MaskedBook, mask_factors
from imresearch.errors import InputError, check_choice
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio._kernels import pv_block_states
from imresearch.portfolio.bound import BoundPortfolio

__all__ = [
    "BY",
    "RISK_CLASSES",
    "GroupBook",
    "factor_risk_classes",
    "group_book",
    "trade_labels",
]

By = Literal["portfolio", "netting_set", "risk_class", "product_class"]
BY: tuple[str, ...] = ("portfolio", "netting_set", "risk_class", "product_class")

#: SIMM risk classes, in the calculator's order.
RISK_CLASSES: tuple[str, ...] = ("InterestRate", "CreditQualifying", "CreditNonQualifying",
                                 "Equity", "Commodity", "FX")
#: SIMM risk class of a factor's (and a trade's) risk class.
_SIMM_CLASS = {"IR": "InterestRate", "inflation": "InterestRate", "credit": "CreditQualifying",
               "equity": "Equity", "commodity": "Commodity", "FX": "FX"}


def check_by(by: object) -> str:
    """``by`` if it is one of :data:`BY`."""
    return check_choice("by", by, BY)


def trade_labels(bound: BoundPortfolio, by: str) -> list[str]:
    """Each trade's group when ``by`` groups trades (portfolio, netting set, product class)."""
    if by == "portfolio":
        return ["portfolio"] * bound.n_trades
    if by == "netting_set":
        return [t.netting_set or "(no netting set)" for t in bound.trades]
    return [t.product_class for t in bound.trades]


def factor_risk_classes(bound: BoundPortfolio) -> dict[str, list[str]]:
    """The book's factors by SIMM risk class (order of :data:`RISK_CLASSES`; ``Other`` last).

    A volatility factor belongs to the risk class of the (first) trade using it as its
    volatility; a factor of another class than those SIMM knows goes to ``Other``.
    """
    vol_class = {}
    for trade, b in zip(bound.trades, bound.bindings):
        if b.vol_factor is not None:
            vol_class.setdefault(b.vol_factor, _SIMM_CLASS.get(trade.RISK_CLASS, "Other"))
    groups: dict[str, list[str]] = {}
    for f in bound.factor_names:
        rc = bound.factor_specs[f].risk_class
        label = vol_class.get(f, "Other") if rc == "volatility" else _SIMM_CLASS.get(rc, "Other")
        groups.setdefault(label, []).append(f)
    order = {c: i for i, c in enumerate((*RISK_CLASSES, "Other"))}
    return {k: groups[k] for k in sorted(groups, key=order.__getitem__)}


@dataclass(frozen=True)
class GroupBook:
    """A bound book with its groups: trade groups (accumulator rows of the block pricer) or
    factor groups (a :class:`~imresearch.engines.masked.MaskedBook`).

    Attributes
    ----------
    bound : BoundPortfolio
        The book as given.
    by : str
    labels : pandas.Index
        The groups.
    codes : ndarray of int64
        Group of each trade (trade groups) or of each replicated trade row (factor groups).
    trade_groups : list or None
        Each trade's label (trade groups).
    factor_groups : dict or None
        Factors of each risk class (factor groups).
    masked : MaskedBook or None
    """

    bound: BoundPortfolio
    by: str
    labels: pd.Index
    codes: np.ndarray
    trade_groups: list[Any] | None
    factor_groups: dict[str, list[str]] | None
    masked: MaskedBook | None

    @property
    def priced(self) -> BoundPortfolio:
        """The book the block pricer runs on (the replicated one for factor groups)."""
        return self.bound if self.masked is None else self.masked.bound

    def pv(self, levels: np.ndarray, moved: np.ndarray | None = None) -> np.ndarray:
        """PV in USD of each group (columns) at each row of ``levels`` (market levels of the
        book's factors, shape (n, n_factors)); with ``moved``, a factor group's PV with its own
        factors at ``moved`` and the others at ``levels``."""
        levels = np.atleast_2d(levels)
        if self.masked is None:
            states = levels if moved is None else moved
        else:
            states = (self.masked.tile(levels) if moved is None
                      else self.masked.mixed(levels, np.atleast_2d(moved)))
        scaled = np.ascontiguousarray(states * self.priced.scale)
        return pv_block_states(scaled, len(self.labels),
                               self.priced.block(groups=self.codes))


def group_book(bound: BoundPortfolio, by: str) -> GroupBook:
    """The groups of ``bound`` for a backtest ``by`` (see the module notes)."""
    by = check_by(by)
    if by == "risk_class":
        groups = factor_risk_classes(bound)
        mb = mask_factors(bound, groups)
        return GroupBook(bound, by, mb.labels, mb.codes, None, groups, mb)
    labels_per_trade = trade_labels(bound, by)
    codes, labels = group_codes(labels_per_trade, bound.n_trades)
    return GroupBook(bound, by, labels, codes, labels_per_trade, None, None)


def _levels(bound: BoundPortfolio, market: RiskFactorHistory, rows: np.ndarray) -> np.ndarray:
    cols = pd.Index(market.factor_names).get_indexer(bound.factor_names)
    return np.ascontiguousarray(market.values[np.ix_(rows, cols)], dtype=np.float64)


def window_pnl(book: GroupBook, market: RiskFactorHistory, rows: np.ndarray, horizon: int
               ) -> np.ndarray:
    """Hypothetical P&L of each group (columns) over ``horizon`` days from each row of
    ``market`` in ``rows``: the book frozen, revalued at the later levels."""
    start = _levels(book.bound, market, rows)
    later = _levels(book.bound, market, rows + horizon)
    return book.pv(start, later) - book.pv(start)


def daily_pnl(book: GroupBook, market: RiskFactorHistory, rows: np.ndarray) -> np.ndarray:
    """One-day P&L of each group from each row of ``rows`` to the next."""
    return window_pnl(book, market, rows, 1)


def realised_frame(values: np.ndarray, dates: Sequence[object], labels: pd.Index
                   ) -> pd.DataFrame:
    """A frame of per-group P&L indexed by IM date."""
    return pd.DataFrame(values, index=pd.DatetimeIndex(dates, name="date"), columns=labels)


def check_market(market: object) -> RiskFactorHistory:
    """``market`` if it is a :class:`RiskFactorHistory`."""
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    return market
