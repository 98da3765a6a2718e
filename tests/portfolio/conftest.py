"""Fixtures of the portfolio tests: the synthetic market and a small book of every product."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.marketdata import FactorSpec, RiskFactorHistory
from imresearch.marketdata.synthetic import synthetic_market
from imresearch.portfolio import (
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
    Portfolio,
)

DATE = pd.Timestamp("2025-12-31")
FLAT_DATE = pd.Timestamp("2025-01-02")


@pytest.fixture(scope="session")
def market():
    return synthetic_market(seed=0)


@pytest.fixture(scope="session")
def date():
    return DATE


def every_product() -> list:
    return [
        EquityPosition(trade_id="p1", underlying="SPX", quantity=100, bucket="11"),
        EquityPosition(trade_id="p2", underlying="SN_AUTO", quantity=1000, direction="short",
                       bucket="5"),
        EquityPosition(trade_id="p3", underlying="NKY", quantity=50, bucket="11"),
        EquityTRS(trade_id="trs1", underlying="SN_TECH", notional=1e6, initial_price=380,
                  start_date="2025-11-03", maturity="2026-02-03", financing_rate=0.04,
                  financing_spread_bp=50, bucket="8"),
        EquityTRS(trade_id="trs2", underlying="SN_AUTO", notional=2e6, initial_price=70,
                  start_date="2025-12-01", maturity="2026-03-01", direction="short",
                  bucket="5"),
        EquityForward(trade_id="f1", underlying="SX5E", quantity=10, strike=3000,
                      maturity="2027-01-04", dividend_yield=0.02, bucket="11"),
        EquityOption(trade_id="o1", underlying="SPX", quantity=10, strike=1500,
                     expiry="2026-12-31", option_type="call", vol_factor="VOL_VIX",
                     bucket="11"),
        EquityOption(trade_id="o2", underlying="SX5E", quantity=20, strike=3200,
                     expiry="2027-06-30", option_type="put", vol_factor="VOL_V2X",
                     vol_scale=1.1, dividend_yield=0.03, direction="short", bucket="11"),
        EquityOption(trade_id="o3", underlying="SN_BANK", quantity=2000, strike=100,
                     expiry="2026-03-20", option_type="call", volatility=0.35, bucket="8"),
        FXForward(trade_id="fx1", pair="EURUSD", notional=1e6, strike=1.1,
                  maturity="2027-01-04"),
        FXForward(trade_id="fx2", pair="USDJPY", notional=1e6, strike=140.0,
                  maturity="2026-07-01", quote_curve="USD", direction="short"),
        FXOption(trade_id="fxo1", pair="EURUSD", notional=1e6, strike=1.1,
                 expiry="2027-01-04", option_type="put", volatility=0.1),
        FXOption(trade_id="fxo2", pair="USDEUR", notional=2e6, strike=0.9,
                 expiry="2026-09-30", option_type="call", volatility=0.09, direction="short"),
        FXSwap(trade_id="fxs1", pair="EURUSD", notional=5e6, near_date="2026-01-05",
               near_rate=1.08, far_date="2026-07-06", far_rate=1.095),
        FXSwap(trade_id="fxs2", pair="USDJPY", notional=3e6, near_date="2025-10-01",
               near_rate=148.0, far_date="2026-04-01", far_rate=146.5, quote_curve="USD",
               direction="sell_buy"),
        InterestRateSwap(trade_id="irs1", currency="USD", notional=1e7, fixed_rate=0.04,
                         start_date="2024-03-15", maturity="2034-03-15", last_fixing=0.045),
        InterestRateSwap(trade_id="irs2", currency="EUR", notional=5e6, fixed_rate=0.03,
                         start_date="2026-01-02", maturity="2056-01-02", direction="receiver",
                         fixed_period="1y", float_period="6m", float_spread_bp=10),
        InterestRateSwap(trade_id="irs3", currency="USD", notional=2e7, fixed_rate=0.035,
                         start_date="2025-06-10", maturity="2027-06-10"),
        CreditDefaultSwap(trade_id="cds1", reference="CDX_IG", notional=1e7, coupon_bp=100,
                          maturity="2030-12-20", bucket="Residual", index=True),
        CreditDefaultSwap(trade_id="cds2", reference="ACME_BANK", notional=5e6, coupon_bp=100,
                          maturity="2028-06-20", bucket="2", spread_factor="CR_CDX_IG",
                          spread_scale=1.3, direction="sell"),
        CreditDefaultSwap(trade_id="cds3", reference="ITRAXX_MAIN", notional=8e6,
                          coupon_bp=100, maturity="2035-12-20", bucket="Residual",
                          index=True),
        CommodityForward(trade_id="c1", underlying="WTI", quantity=1000, strike=60,
                         maturity="2026-06-30", bucket="2", carry=0.01),
        CommodityOption(trade_id="c2", underlying="WTI", quantity=1000, strike=60,
                        expiry="2026-06-30", option_type="call", volatility=0.35, bucket="2",
                        carry=-0.02),
    ]


@pytest.fixture(scope="session")
def book() -> Portfolio:
    return Portfolio(tuple(every_product()), "book")


@pytest.fixture(scope="session")
def bound(book, market, date):
    return book.bind(market, date)


def flat_market(r_usd=0.03, r_eur=0.01, spot=100.0, vol=20.0, fx=1.1, spread=120.0,
                wti=70.0):
    """One-date market with flat curves, for closed-form checks."""
    tenors = ["1m", "3m", "6m", "1y", "2y", "5y", "10y", "30y"]
    cols, specs = {}, {}
    for ccy, r in (("USD", r_usd), ("EUR", r_eur)):
        for t in tenors:
            cols[f"IR_{ccy}_{t}"] = r * 100
            specs[f"IR_{ccy}_{t}"] = FactorSpec("IR", "absolute_bp", "percent", ccy, t)
    cols["EQ_X"], specs["EQ_X"] = spot, FactorSpec("equity", "log", "USD", "USD")
    cols["VOL_X"], specs["VOL_X"] = vol, FactorSpec("volatility", "log", "vol points", "USD")
    cols["FX_EURUSD"], specs["FX_EURUSD"] = fx, FactorSpec("FX", "log", "USD per EUR", "USD")
    cols["CR_X"], specs["CR_X"] = spread, FactorSpec("credit", "absolute_bp", "bp", "USD", "5y")
    cols["CMD_WTI"], specs["CMD_WTI"] = wti, FactorSpec("commodity", "log", "USD/bbl", "USD")
    frame = pd.DataFrame(cols, index=pd.DatetimeIndex([pd.Timestamp("2025-01-02")]))
    return RiskFactorHistory(frame, specs, name="flat")
