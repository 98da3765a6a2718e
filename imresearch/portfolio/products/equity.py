"""Equity products: cash positions, total-return swaps, forwards and European options.

The spot is market factor ``EQ_<underlying>`` (or the trade's ``factor``), in the currency of
that factor (a ``currency`` given on the trade must agree); forwards, TRS and options discount
on the zero curve of that currency (or of ``curve``). SIMM: product class ``Equity``, delta
``Risk_Equity`` and vega ``Risk_EquityVol`` qualified by ``underlying``, bucket from the trade
or the portfolio file's ``[buckets.equity]`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from imresearch.portfolio.binding import year_fraction
from imresearch.portfolio.trades import Trade, check_after

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["EQUITY_BUCKETS", "EquityForward", "EquityOption", "EquityPosition", "EquityTRS"]

EQUITY_BUCKETS: tuple[str, ...] = (*(str(i) for i in range(1, 13)), "Residual")
"""ISDA SIMM equity buckets (1-12 by size, region and sector; Residual)."""


@dataclass(frozen=True, kw_only=True)
class _EquityBase(Trade):
    """Common fields of equity trades.

    Parameters
    ----------
    underlying : str
        Equity name; the spot is market factor ``EQ_<underlying>`` unless ``factor`` is given.
        Also the CRIF ``Qualifier``.
    bucket : str, optional
        SIMM equity bucket ("1".."12" or "Residual"); required for CRIF output.
    factor : str, optional
        Explicit market factor of the spot price.
    currency : str, optional
        Currency of the price; default the factor's currency in the market (must agree).
    """

    RISK_CLASS: ClassVar[str] = "equity"
    BUCKETS: ClassVar[tuple[str, ...]] = EQUITY_BUCKETS
    BUCKET_TABLE: ClassVar[str | None] = "equity"
    SPOT_RISK: ClassVar[str | None] = "Risk_Equity"

    underlying: str
    bucket: str | None = None
    factor: str | None = None
    currency: str | None = None

    @property
    def qualifier(self) -> str:
        return self.underlying

    def schedule_notional(self, spot: float) -> float:
        """Quantity times spot."""
        return self.quantity * spot  # type: ignore[attr-defined]

    def _spot(self, b: Binder) -> str:
        """Bind the spot; return the PV currency."""
        spot = b.spot("factor" if self.factor else "underlying",
                      self.factor or f"EQ_{self.underlying}")
        b.pv_currency = b.currency_of(spot)
        return b.pv_currency

    def _curve(self, b: Binder, ccy: str) -> str:
        curve = getattr(self, "curve", None)
        return b.curve("curve" if curve else "currency", curve or ccy)


@dataclass(frozen=True, kw_only=True)
class EquityPosition(_EquityBase):
    """A cash equity position: ``quantity`` shares, long or short. PV = sign q S."""

    TYPE: ClassVar[str] = "equity_position"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity",)
    quantity: float
    direction: str = "long"

    def bind(self, b: Binder) -> None:
        self._spot(b)
        b.linear(self.quantity, [(1.0, True, None, 0.0)])


@dataclass(frozen=True, kw_only=True)
class EquityTRS(_EquityBase):
    """An equity total-return swap in its current reset period.

    The receiver (``long``) gets the total return of ``notional / initial_price`` shares and pays
    financing at ``financing_rate + financing_spread_bp`` (simple, ACT/365F) on ``notional``
    from ``start_date`` (the last reset) to ``maturity`` (the next reset or the end), when the
    notional is also exchanged. Dividends are passed through, so the share leg is worth
    ``q S`` today::

        PV = sign * (q S - N (1 + (f + s) tau) DF(T))

    Parameters
    ----------
    notional : float
        Notional at the last reset, > 0.
    initial_price : float
        Share price at the last reset, > 0 (sets the number of shares).
    start_date, maturity : date
        Last reset and next reset (payment) dates.
    financing_rate : float
        Floating rate fixed at the last reset, decimal. Default 0.
    financing_spread_bp : float
        Financing spread in bp. Default 0.
    curve : str, optional
        Currency of the discount curve; default the equity's currency.
    """

    TYPE: ClassVar[str] = "equity_trs"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "initial_price")
    END_FIELD: ClassVar[str | None] = "maturity"
    notional: float
    initial_price: float
    start_date: pd.Timestamp
    maturity: pd.Timestamp
    direction: str = "long"
    financing_rate: float = 0.0
    financing_spread_bp: float = 0.0
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        check_after(self, "maturity", "start_date")

    @property
    def shares(self) -> float:
        """Number of shares of the total-return leg."""
        return self.notional / self.initial_price

    def schedule_notional(self, spot: float) -> float:
        """The notional."""
        return self.notional

    def bind(self, b: Binder) -> None:
        curve = self._curve(b, self._spot(b))
        t = b.time("maturity")
        rate = self.financing_rate + self.financing_spread_bp * 1e-4
        payment = self.notional * (1.0 + rate * year_fraction(self.start_date, self.maturity))
        b.linear(1.0, [(self.shares, True, None, 0.0), (-payment, False, curve, t)])


@dataclass(frozen=True, kw_only=True)
class EquityForward(_EquityBase):
    """Forward purchase of ``quantity`` shares at ``strike`` on ``maturity``.

    PV = sign q (S exp(-y T) - K DF(T)), ``y`` the continuous ``dividend_yield``.
    """

    TYPE: ClassVar[str] = "equity_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike")
    END_FIELD: ClassVar[str | None] = "maturity"
    quantity: float
    strike: float
    maturity: pd.Timestamp
    direction: str = "long"
    dividend_yield: float = 0.0
    curve: str | None = None

    def bind(self, b: Binder) -> None:
        curve = self._curve(b, self._spot(b))
        t = b.time("maturity")
        b.linear(self.quantity, [(float(np.exp(-self.dividend_yield * t)), True, None, 0.0),
                                 (-self.strike, False, curve, t)])


@dataclass(frozen=True, kw_only=True)
class EquityOption(_EquityBase):
    """European option on ``quantity`` shares (Black-Scholes with continuous dividend yield).

    The volatility is either fixed (``volatility``, decimal) or ``vol_scale`` times the level
    of the market factor ``vol_factor`` (converted from its units, e.g. vol points / 100).
    """

    TYPE: ClassVar[str] = "equity_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike", "volatility", "vol_scale")
    END_FIELD: ClassVar[str | None] = "expiry"
    VEGA_RISK: ClassVar[str | None] = "Risk_EquityVol"
    quantity: float
    strike: float
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    dividend_yield: float = 0.0
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0
    curve: str | None = None

    def bind(self, b: Binder) -> None:
        curve = self._curve(b, self._spot(b))
        t = b.time("expiry")
        b.black(self.quantity, strike=self.strike, call=self.option_type == "call", t=t,
                forward=float(np.exp(-self.dividend_yield * t)), pay=curve, den=curve,
                volatility=self.volatility, vol_factor=self.vol_factor,
                vol_scale=self.vol_scale)
