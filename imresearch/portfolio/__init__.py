"""Portfolios: trades, portfolio files, market binding, Numba pricers and CRIF sensitivities.

>>> from imresearch.portfolio import load_portfolio
>>> from imresearch.marketdata.synthetic import synthetic_market
>>> book = load_portfolio("dealer_book")            # a shipped example
>>> market = synthetic_market(seed=0)
>>> pnl = book.revalue(market, shocks)               # doctest: +SKIP
>>> crif = book.to_crif(market, "2025-12-31")        # doctest: +SKIP
"""

from imresearch.portfolio.binding import BoundPortfolio, TradeBinding, bind
from imresearch.portfolio.portfolio import Portfolio, load_portfolio, save_portfolio
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.portfolio.trades import (
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
    InterestRateSwap,
    Trade,
    trade_from_record,
)

__all__ = [
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
