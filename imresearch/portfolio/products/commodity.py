"""Commodity products: forwards and European options on a commodity forward.

The forward price to ``T`` is ``S exp(carry T)``, ``S`` the level of ``CMD_<underlying>``
(or ``factor``) and ``carry`` the continuous cost of carry net of convenience yield. SIMM:
product class ``Commodity``, delta ``Risk_Commodity`` and vega ``Risk_CommodityVol``
qualified by ``underlying``, bucket from the trade or the portfolio file's
``[buckets.commodity]`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from imresearch.portfolio.trades import Trade

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = ["COMMODITY_BUCKETS", "CommodityForward", "CommodityOption"]

COMMODITY_BUCKETS: tuple[str, ...] = tuple(str(i) for i in range(1, 18))
"""ISDA SIMM commodity buckets (1-17: coal, crude, refined products... other)."""


@dataclass(frozen=True, kw_only=True)
class _CommodityBase(Trade):
    """Common fields of commodity trades.

    Parameters
    ----------
    underlying : str
        Commodity name; spot factor ``CMD_<underlying>`` unless ``factor`` is given. Also the
        CRIF ``Qualifier``.
    quantity, strike : float
        Units of the commodity and the contract price (> 0).
    bucket : str, optional
        SIMM commodity bucket ("1".."17"); required for CRIF output.
    carry : float
        Continuous cost of carry net of convenience yield, decimal. Default 0.
    factor : str, optional
        Explicit market factor of the spot price.
    currency, curve : str, optional
        Price currency (default the factor's) and discount-curve currency (default the price
        currency).
    """

    RISK_CLASS: ClassVar[str] = "commodity"
    BUCKETS: ClassVar[tuple[str, ...]] = COMMODITY_BUCKETS
    BUCKET_TABLE: ClassVar[str | None] = "commodity"
    SPOT_RISK: ClassVar[str | None] = "Risk_Commodity"

    underlying: str
    quantity: float
    strike: float
    bucket: str | None = None
    carry: float = 0.0
    factor: str | None = None
    currency: str | None = None
    curve: str | None = None

    @property
    def qualifier(self) -> str:
        return self.underlying

    def schedule_notional(self, spot: float) -> float:
        """Quantity times spot."""
        return self.quantity * spot

    def _bind_spot(self, b: Binder) -> str:
        """Bind the spot and the curve; return the curve currency."""
        spot = b.spot("factor" if self.factor else "underlying",
                      self.factor or f"CMD_{self.underlying}")
        b.pv_currency = b.currency_of(spot)
        return b.curve("curve" if self.curve else "currency", self.curve or b.pv_currency)


@dataclass(frozen=True, kw_only=True)
class CommodityForward(_CommodityBase):
    """PV = sign q (F(T) - K) DF(T)."""

    TYPE: ClassVar[str] = "commodity_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike")
    END_FIELD: ClassVar[str | None] = "maturity"
    maturity: pd.Timestamp
    direction: str = "long"

    def bind(self, b: Binder) -> None:
        curve = self._bind_spot(b)
        t = b.time("maturity")
        b.linear(self.quantity, [(float(np.exp(self.carry * t)), True, curve, t),
                                 (-self.strike, False, curve, t)])


@dataclass(frozen=True, kw_only=True)
class CommodityOption(_CommodityBase):
    """European option on the forward to ``expiry`` (Black-76); volatility as for an equity
    option (fixed ``volatility`` or ``vol_scale`` times ``vol_factor``)."""

    TYPE: ClassVar[str] = "commodity_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike", "volatility", "vol_scale")
    END_FIELD: ClassVar[str | None] = "expiry"
    VEGA_RISK: ClassVar[str | None] = "Risk_CommodityVol"
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0

    def bind(self, b: Binder) -> None:
        curve = self._bind_spot(b)
        t = b.time("expiry")
        b.black(self.quantity, strike=self.strike, call=self.option_type == "call", t=t,
                forward=float(np.exp(self.carry * t)), pay=curve, volatility=self.volatility,
                vol_factor=self.vol_factor, vol_scale=self.vol_scale)
