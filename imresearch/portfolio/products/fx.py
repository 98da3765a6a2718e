"""FX products: forwards and European options on a currency pair.

The spot is quote units per base unit, factor ``FX_<BASE><QUOTE>`` or the inverse of
``FX_<QUOTE><BASE>``; the PV is in the quote currency. Each leg is discounted on its
currency's zero curve (or on ``base_curve`` / ``quote_curve``, e.g. a USD proxy for a currency
without a curve in the market). SIMM: product class ``RatesFX``, delta ``Risk_FX`` by currency
and ``Risk_IRCurve`` on both curves, vega ``Risk_FXVol`` qualified by the pair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from imresearch.portfolio.trades import Trade, fail

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["FXForward", "FXOption", "FXTrade"]


@dataclass(frozen=True, kw_only=True)
class FXTrade(Trade):
    """Common fields of FX trades.

    Parameters
    ----------
    pair : str
        Six letters ``BASEQUOTE`` (e.g. ``EURUSD``); the spot is quote units per base unit,
        factor ``FX_<BASE><QUOTE>`` or the inverse of ``FX_<QUOTE><BASE>``.
    notional : float
        Amount of the base currency, > 0.
    base_curve, quote_curve : str, optional
        Currencies of the discount curves; default the base and the quote currency.
    """

    RISK_CLASS: ClassVar[str] = "FX"

    pair: str
    notional: float
    base_curve: str | None = None
    quote_curve: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pair", str(self.pair).strip().upper())
        if not re.fullmatch(r"[A-Z]{6}", self.pair) or self.pair[:3] == self.pair[3:]:
            raise fail(self.trade_id, "pair",
                       f"must be two different ISO currencies like 'EURUSD'; got {self.pair!r}")
        super().__post_init__()

    @property
    def base(self) -> str:
        """Base currency (the one bought by a long)."""
        return self.pair[:3]

    @property
    def quote(self) -> str:
        """Quote currency (the PV currency)."""
        return self.pair[3:]

    @property
    def qualifier(self) -> str:
        return self.pair

    def notional_currency(self, pv_currency: str) -> str:
        """The base currency."""
        return self.base

    def _bind_pair(self, b: Binder) -> tuple[str, str]:
        """Bind the spot and both curves; return the quote and base curve currencies."""
        b.fx_spot("pair", self.base, self.quote)
        b.pv_currency = self.quote
        q_curve = b.curve("quote_curve" if self.quote_curve else "pair",
                          self.quote_curve or self.quote)
        b_curve = b.curve("base_curve" if self.base_curve else "pair",
                          self.base_curve or self.base)
        return q_curve, b_curve


@dataclass(frozen=True, kw_only=True)
class FXForward(FXTrade):
    """Buy ``notional`` base currency for ``notional * strike`` quote currency at ``maturity``.

    PV (quote currency) = sign N (X DF_base(T) - K DF_quote(T)); ``strike`` is the contract
    rate (quote per base), > 0.
    """

    TYPE: ClassVar[str] = "fx_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "strike")
    END_FIELD: ClassVar[str | None] = "maturity"
    strike: float
    maturity: pd.Timestamp
    direction: str = "long"

    def bind(self, b: Binder) -> None:
        q_curve, b_curve = self._bind_pair(b)
        t = b.time("maturity")
        b.linear(self.notional, [(-self.strike, False, q_curve, t), (1.0, True, b_curve, t)])


@dataclass(frozen=True, kw_only=True)
class FXOption(FXTrade):
    """European option to buy (call) or sell (put) ``notional`` base currency at ``strike``
    (quote per base, > 0), Garman-Kohlhagen. Volatility as for an equity option: a fixed
    ``volatility`` or ``vol_scale`` times the market factor ``vol_factor``.
    """

    TYPE: ClassVar[str] = "fx_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "strike", "volatility", "vol_scale")
    END_FIELD: ClassVar[str | None] = "expiry"
    VEGA_RISK: ClassVar[str | None] = "Risk_FXVol"
    strike: float
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0

    def bind(self, b: Binder) -> None:
        q_curve, b_curve = self._bind_pair(b)
        t = b.time("expiry")
        b.black(self.notional, strike=self.strike, call=self.option_type == "call", t=t,
                forward=1.0, pay=q_curve, den=q_curve, num=b_curve,
                volatility=self.volatility, vol_factor=self.vol_factor,
                vol_scale=self.vol_scale)
