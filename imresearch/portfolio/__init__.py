"""Portfolios: trades, portfolio files, market binding, Numba pricers and CRIF sensitivities.

>>> from imresearch.portfolio import load_portfolio
>>> from imresearch.marketdata.synthetic import synthetic_market
>>> book = load_portfolio("dealer_book")            # a shipped example
>>> market = synthetic_market(seed=0)
>>> pnl = book.revalue(market, shocks)               # doctest: +SKIP
>>> crif = book.to_crif(market, "2025-12-31")        # doctest: +SKIP

Trade types and their fields: :mod:`imresearch.portfolio.products`; file formats:
:mod:`imresearch.portfolio.portfolio`.
"""

from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio, TradeBinding
from imresearch.portfolio.portfolio import Portfolio, load_portfolio, save_portfolio
from imresearch.portfolio.products import (
    PRODUCTS,
    TRADE_TYPES,
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
    FXForward,
    FXOption,
    FXSwap,
    InterestRateSwap,
    trade_from_record,
)
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.portfolio.trades import Trade

__all__ = [
    "PRODUCTS",
    "TRADE_TYPES",
    "BoundPortfolio",
    "CommodityForward",
    "CommodityOption",
    "CreditDefaultSwap",
    "EquityForward",
    "EquityOption",
    "EquityPosition",
    "EquityTRS",
    "FXForward",
    "FXOption",
    "FXSwap",
    "InterestRateSwap",
    "Portfolio",
    "Trade",
    "TradeBinding",
    "bind",
    "load_portfolio",
    "save_portfolio",
    "schedule_inputs",
    "to_crif",
    "trade_from_record",
]
