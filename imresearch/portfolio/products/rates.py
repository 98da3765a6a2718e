"""Interest-rate products: fixed-vs-float interest-rate swaps on one zero curve.

SIMM: product class ``RatesFX``, delta ``Risk_IRCurve`` on the swap's curve (``Label2`` the
trade's ``sub_curve``), ``Risk_FX`` when the currency is not USD.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from imresearch.portfolio.binding import schedule, year_fraction
from imresearch.portfolio.trades import Trade, check_after, fail, period_months

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["SUB_CURVES", "InterestRateSwap", "irs_cashflows"]

SUB_CURVES: tuple[str, ...] = (
    "OIS", "Libor1m", "Libor3m", "Libor6m", "Libor12m", "Prime", "Municipal",
)
"""SIMM sub-curve names (CRIF ``Label2`` of ``Risk_IRCurve``)."""


@dataclass(frozen=True, kw_only=True)
class InterestRateSwap(Trade):
    """Fixed-vs-float interest-rate swap, single curve, valued off the currency's zero curve.

    Periods run backwards from ``maturity`` every ``fixed_period`` / ``float_period`` to
    ``start_date`` (a short first period if needed); accruals are ACT/365F. The float leg is
    worth ``N (DF(s) - DF(T))`` plus the spread annuity; for a swap that has started, the
    period in progress pays the known ``last_fixing`` (if given; otherwise it is projected
    from the valuation date). ``payer`` pays the fixed rate.

    Parameters
    ----------
    currency : str
        Currency (and default curve).
    notional : float
        > 0.
    fixed_rate : float
        Decimal, any sign.
    start_date, maturity : date
        Effective date and end date.
    direction : {"payer", "receiver"}
        Side of the fixed leg.
    fixed_period, float_period : str
        Period labels, default ``"6m"`` and ``"3m"``.
    float_spread_bp : float
        Spread over the floating rate, bp. Default 0.
    last_fixing : float, optional
        Rate fixed for the floating period in progress, decimal.
    sub_curve : str
        CRIF ``Label2`` of the curve sensitivities (one of :data:`SUB_CURVES`). Default
        ``"OIS"``.
    curve : str, optional
        Currency of the curve, default ``currency``.
    """

    TYPE: ClassVar[str] = "irs"
    RISK_CLASS: ClassVar[str] = "IR"
    DIRECTIONS: ClassVar[tuple[str, str]] = ("payer", "receiver")
    SYNONYMS: ClassVar[dict[str, str]] = {"pay": "payer", "receive": "receiver"}
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional",)
    END_FIELD: ClassVar[str | None] = "maturity"
    currency: str
    notional: float
    fixed_rate: float
    start_date: pd.Timestamp
    maturity: pd.Timestamp
    direction: str = "payer"
    fixed_period: str = "6m"
    float_period: str = "3m"
    float_spread_bp: float = 0.0
    last_fixing: float | None = None
    sub_curve: str = "OIS"
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_after(self, "maturity", "start_date")
        period_months(self.trade_id, "fixed_period", self.fixed_period)
        period_months(self.trade_id, "float_period", self.float_period)
        if self.sub_curve not in SUB_CURVES:
            raise fail(self.trade_id, "sub_curve",
                       f"must be one of {', '.join(SUB_CURVES)}; got {self.sub_curve!r}")

    def bind(self, b: Binder) -> None:
        b.pv_currency = self.currency
        curve = b.curve("curve" if self.curve else "currency", self.curve or self.currency)
        b.time("maturity")
        b.linear(1.0, [(c, False, curve, t) for t, c in irs_cashflows(self, b.date)])


def irs_cashflows(trade: InterestRateSwap, date: pd.Timestamp) -> list[tuple[float, float]]:
    """Dated coefficients ``(t, c)`` of a payer swap: its PV is ``sign sum c DF(t)``.

    Single curve. Fixed coupons ``-N K tau`` at each future fixed payment date; the float leg
    ``+N`` at the start of the first future float period and ``-N`` at maturity, plus
    the spread ``N s tau`` at each future float payment date; the float period in progress
    pays ``N (last_fixing + s) tau`` if ``last_fixing`` is given (else it is projected from
    the valuation date: ``+N`` at t = 0). Payments on or before the valuation date are
    past. Coefficients on the same date are summed.
    """
    sign, n = 1.0, trade.notional
    spread = trade.float_spread_bp * 1e-4
    flows: dict[pd.Timestamp, float] = {}

    def add(d: pd.Timestamp, c: float) -> None:
        flows[d] = flows.get(d, 0.0) + c

    fixed = schedule(trade.start_date, trade.maturity,
                     period_months(trade.trade_id, "fixed_period", trade.fixed_period))
    for a, e in itertools.pairwise(fixed):
        if e > date:
            add(e, -sign * n * trade.fixed_rate * year_fraction(a, e))
    flt = schedule(trade.start_date, trade.maturity,
                   period_months(trade.trade_id, "float_period", trade.float_period))
    future = [(a, e) for a, e in itertools.pairwise(flt) if e > date]
    if future:
        a0, e0 = future[0]
        if a0 < date and trade.last_fixing is not None:  # known coupon in progress
            add(e0, sign * n * (trade.last_fixing + spread) * year_fraction(a0, e0))
            float_start = e0
            future = future[1:]
        else:
            float_start = max(a0, date)
        add(float_start, sign * n)
        add(trade.maturity, -sign * n)
        for a, e in future:
            add(e, sign * n * spread * year_fraction(a, e))
    # Flows with t >= 0 only; the t = 0 row is a DF of exactly 1.
    return [(year_fraction(date, d), c) for d, c in sorted(flows.items()) if c != 0.0]
