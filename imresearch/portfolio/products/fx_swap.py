"""FX swaps: an exchange of currencies on a near date, reversed on a far date.

A ``buy_sell`` swap buys ``notional`` of the base currency for ``notional * near_rate`` of the
quote currency on ``near_date`` and sells it back for ``notional * far_rate`` on ``far_date``
(``sell_buy`` the opposite). Its PV in the quote currency is that of two FX forwards::

    PV = sign N [(X DF_b(T1) - K1 DF_q(T1)) - (X DF_b(T2) - K2 DF_q(T2))]

with ``X`` the spot (quote per base), ``K1, K2`` the near and far rates, ``DF_b, DF_q`` the
discount factors of the base and quote curves. A near leg settled before the valuation date is
past (a seasoned swap is a forward); on the valuation date it still counts. SIMM: product class
``RatesFX``, delta ``Risk_FX`` by currency and ``Risk_IRCurve`` on both curves; schedule: FX on
the base notional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from imresearch.portfolio.binding import year_fraction
from imresearch.portfolio.products.fx import FXTrade
from imresearch.portfolio.trades import check_after

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["FXSwap"]


@dataclass(frozen=True, kw_only=True)
class FXSwap(FXTrade):
    """FX swap of ``notional`` base currency on ``pair`` (see the module docstring).

    Parameters
    ----------
    near_date, far_date : date
        Settlement dates of the two exchanges (``far_date`` after ``near_date``).
    near_rate, far_rate : float
        Exchange rates of the two legs, quote per base, > 0 (the far rate is the near rate
        plus the swap points).
    direction : {"buy_sell", "sell_buy"}
        Buys (``buy_sell``) or sells the base currency on the near date. Default
        ``buy_sell``.
    """

    TYPE: ClassVar[str] = "fx_swap"
    DIRECTIONS: ClassVar[tuple[str, str]] = ("buy_sell", "sell_buy")
    SYNONYMS: ClassVar[dict[str, str]] = {"buy/sell": "buy_sell", "sell/buy": "sell_buy"}
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "near_rate", "far_rate")
    END_FIELD: ClassVar[str | None] = "far_date"
    near_date: pd.Timestamp
    near_rate: float
    far_date: pd.Timestamp
    far_rate: float
    direction: str = "buy_sell"

    def __post_init__(self) -> None:
        super().__post_init__()
        check_after(self, "far_date", "near_date")

    def bind(self, b: Binder) -> None:
        q_curve, b_curve = self._bind_pair(b)
        t2 = b.time("far_date")
        near = []
        if self.near_date >= b.date:
            t1 = year_fraction(b.date, self.near_date)
            near = [(-self.near_rate, False, q_curve, t1), (1.0, True, b_curve, t1)]
        b.linear(self.notional, [*near, (self.far_rate, False, q_curve, t2),
                                 (-1.0, True, b_curve, t2)])
