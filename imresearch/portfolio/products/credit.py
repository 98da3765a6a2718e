"""Credit products: single-name and index credit default swaps on a flat hazard rate.

SIMM: product class ``Credit``, delta ``Risk_CreditQ`` per bp of the reference's spread,
qualified by ``reference``, on the SIMM credit tenors (the maturity split between the two
nearest), bucket from the trade or the portfolio file's ``[buckets.credit]`` table.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from imresearch.portfolio.binding import schedule, year_fraction
from imresearch.portfolio.trades import Trade, fail

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["CREDIT_BUCKETS", "CreditDefaultSwap", "cds_periods"]

CREDIT_BUCKETS: tuple[str, ...] = (*(str(i) for i in range(1, 13)), "Residual")
"""ISDA SIMM credit-qualifying buckets (1-12 by rating and sector; Residual)."""
CDS_PERIOD_MONTHS = 3
"""Premium period of a CDS (quarterly)."""


@dataclass(frozen=True, kw_only=True)
class CreditDefaultSwap(Trade):
    """Single-name or index credit default swap, flat hazard rate from the market spread.

    The reference entity's par spread is ``spread_scale`` times the level of the market factor
    ``CR_<reference>`` (or ``spread_factor``); the hazard rate is ``spread / (1 - recovery)``
    (the credit triangle), flat to maturity. The premium leg pays ``coupon_bp`` quarterly
    (periods backwards from ``maturity``, ACT/365F, the first from the valuation date) with
    accrual on default (half a period); the protection leg pays ``1 - recovery`` on default,
    discretised on the same quarterly grid. ``buy`` = protection buyer::

        PV = sign N [(1 - R) sum DF(t_i)(Q_{i-1} - Q_i)
                     - c sum tau_i DF(t_i) (Q_i + (Q_{i-1} - Q_i) / 2)]

    Parameters
    ----------
    reference : str
        Issuer or index name (CRIF ``Qualifier``).
    notional, coupon_bp : float
        Notional (> 0) and running coupon in bp (>= 0).
    maturity : date
    direction : {"buy", "sell"}
    recovery : float
        Recovery rate in [0, 1). Default 0.4.
    bucket : str, optional
        SIMM credit-qualifying bucket ("1".."12" or "Residual"); required for CRIF output.
    index : bool
        Whether the reference is an index (informational; SIMM bucket as given). Default False.
    spread_factor : str, optional
        Explicit market factor of the spread.
    spread_scale : float
        Multiplier of the factor level (a single name proxied by an index), > 0. Default 1.
    currency : str, optional
        Premium currency; default the spread factor's currency.
    curve : str, optional
        Discount-curve currency; default ``currency``.
    """

    TYPE: ClassVar[str] = "cds"
    RISK_CLASS: ClassVar[str] = "credit"
    DIRECTIONS: ClassVar[tuple[str, str]] = ("buy", "sell")
    SYNONYMS: ClassVar[dict[str, str]] = {"long": "buy", "short": "sell"}
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "spread_scale")
    END_FIELD: ClassVar[str | None] = "maturity"
    BUCKETS: ClassVar[tuple[str, ...]] = CREDIT_BUCKETS
    BUCKET_TABLE: ClassVar[str | None] = "credit"
    SPOT_RISK: ClassVar[str | None] = "Risk_CreditQ"
    reference: str
    notional: float
    coupon_bp: float
    maturity: pd.Timestamp
    direction: str = "buy"
    recovery: float = 0.4
    bucket: str | None = None
    index: bool = False
    spread_factor: str | None = None
    spread_scale: float = 1.0
    currency: str | None = None
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.recovery < 1.0:
            raise fail(self.trade_id, "recovery", f"must be in [0, 1); got {self.recovery!r}")
        if self.coupon_bp < 0:
            raise fail(self.trade_id, "coupon_bp", f"must be >= 0; got {self.coupon_bp!r}")

    @property
    def qualifier(self) -> str:
        return self.reference

    def spot_per_factor(self) -> float:
        """The spread per unit of the spread factor: ``spread_scale``."""
        return self.spread_scale

    def bind(self, b: Binder) -> None:
        spread = b.spot("spread_factor" if self.spread_factor else "reference",
                        self.spread_factor or f"CR_{self.reference}", rate=True)
        b.pv_currency = b.currency_of(spread)
        curve = b.curve("curve" if self.curve else "currency", self.curve or b.pv_currency)
        b.time("maturity")
        b.cds(self.notional, recovery=self.recovery, coupon=self.coupon_bp * 1e-4,
              scale=self.spread_scale, curve=curve, periods=cds_periods(self, b.date))


def cds_periods(trade: CreditDefaultSwap, date: pd.Timestamp) -> list[tuple[float, float]]:
    """Quarterly premium periods ``(t_end, accrual)`` from the valuation date to maturity."""
    dates = schedule(date, trade.maturity, CDS_PERIOD_MONTHS)
    return [(year_fraction(date, e), year_fraction(a, e)) for a, e in itertools.pairwise(dates)
            if e > a]
