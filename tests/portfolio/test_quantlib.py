"""Pricers against QuantLib (the ``validation`` extra); skipped when QuantLib is absent."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.portfolio import EquityOption, FXOption, InterestRateSwap, bind

from .test_pricers import FLAT_DATE, flat_market

ql = pytest.importorskip("QuantLib")


def qdate(ts: pd.Timestamp):
    return ql.Date(ts.day, ts.month, ts.year)


def setup_ql(ts):
    ql.Settings.instance().evaluationDate = qdate(ts)
    return ql.Actual365Fixed()


def flat(rate, dc, ts):
    return ql.YieldTermStructureHandle(ql.FlatForward(qdate(ts), rate, dc, ql.Continuous))


@pytest.mark.parametrize(("strike", "days", "q", "vol", "kind"), [
    (90.0, 30, 0.0, 15.0, "call"), (110.0, 400, 0.02, 30.0, "put"),
    (100.0, 1500, 0.035, 22.0, "call"), (70.0, 800, 0.01, 45.0, "put"),
])
def test_equity_option_vs_quantlib(strike, days, q, vol, kind):
    r = 0.027
    m = flat_market(r_usd=r, vol=vol, spot=100.0)
    expiry = FLAT_DATE + pd.Timedelta(days=days)
    ours = bind([EquityOption(trade_id="o", underlying="X", quantity=1, strike=strike,
                              expiry=expiry, option_type=kind, vol_factor="VOL_X",
                              dividend_yield=q)], m, FLAT_DATE).pv().iloc[0]
    dc = setup_ql(FLAT_DATE)
    process = ql.BlackScholesMertonProcess(
        ql.QuoteHandle(ql.SimpleQuote(100.0)), flat(q, dc, FLAT_DATE), flat(r, dc, FLAT_DATE),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(qdate(FLAT_DATE), ql.NullCalendar(),
                                                           vol / 100.0, dc)))
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(qdate(expiry)))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    assert ours == pytest.approx(option.NPV(), rel=1e-10, abs=1e-10)


@pytest.mark.parametrize(("strike", "days", "vol", "kind"), [
    (1.05, 90, 0.08, "call"), (1.2, 365, 0.11, "put"), (1.1, 700, 0.09, "call"),
])
def test_fx_option_vs_quantlib(strike, days, vol, kind):
    r_usd, r_eur = 0.035, 0.012
    m = flat_market(r_usd=r_usd, r_eur=r_eur, fx=1.1)
    expiry = FLAT_DATE + pd.Timedelta(days=days)
    ours = bind([FXOption(trade_id="o", pair="EURUSD", notional=1.0, strike=strike,
                          expiry=expiry, option_type=kind, volatility=vol)],
                m, FLAT_DATE).pv().iloc[0]
    dc = setup_ql(FLAT_DATE)
    process = ql.GarmanKohlagenProcess(
        ql.QuoteHandle(ql.SimpleQuote(1.1)), flat(r_eur, dc, FLAT_DATE),
        flat(r_usd, dc, FLAT_DATE),
        ql.BlackVolTermStructureHandle(ql.BlackConstantVol(qdate(FLAT_DATE), ql.NullCalendar(),
                                                           vol, dc)))
    payoff = ql.PlainVanillaPayoff(ql.Option.Call if kind == "call" else ql.Option.Put, strike)
    option = ql.VanillaOption(payoff, ql.EuropeanExercise(qdate(expiry)))
    option.setPricingEngine(ql.AnalyticEuropeanEngine(process))
    assert ours == pytest.approx(option.NPV(), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(("years", "fixed_rate", "direction"), [
    (2, 0.031, "payer"), (5, 0.04, "receiver"), (10, 0.045, "payer"), (30, 0.05, "receiver"),
])
def test_swap_vs_quantlib(market, date, years, fixed_rate, direction):
    start = date + pd.Timedelta(days=5)
    swap = InterestRateSwap(trade_id="s", currency="USD", notional=1e7, fixed_rate=fixed_rate,
                            start_date=start, maturity=start + pd.DateOffset(years=years),
                            direction=direction)
    ours = bind([swap], market, date).pv().iloc[0]

    dc = setup_ql(date)
    spec = market.factors
    pillars = sorted((spec[f].tenor_years, float(market.levels.loc[date, f]) / 100.0)
                     for f in market.factor_names if f.startswith("IR_USD_"))
    ref = qdate(date)
    dates = [ref] + [ref + round(t * 365) for t, _ in pillars]
    rates = [pillars[0][1]] + [r for _, r in pillars]
    # QuantLib places pillars on whole days, ours at exact tenor years (1m = 30.4 days): the
    # tolerance allows for that sub-day offset of the month pillars.
    curve = ql.ZeroCurve(dates, rates, dc, ql.NullCalendar(), ql.Linear(), ql.Continuous)
    curve.enableExtrapolation()
    handle = ql.YieldTermStructureHandle(curve)
    index = ql.IborIndex("IDX3M", ql.Period(3, ql.Months), 0, ql.USDCurrency(), ql.NullCalendar(),
                         ql.Unadjusted, False, dc, handle)
    sched = [ql.Schedule(qdate(start), qdate(swap.maturity), ql.Period(m, ql.Months),
                         ql.NullCalendar(), ql.Unadjusted, ql.Unadjusted,
                         ql.DateGeneration.Backward, False) for m in (6, 3)]
    kind = ql.VanillaSwap.Payer if direction == "payer" else ql.VanillaSwap.Receiver
    qswap = ql.VanillaSwap(kind, 1e7, sched[0], fixed_rate, dc, sched[1], index, 0.0, dc)
    ql.IborCoupon.createAtParCoupons()
    qswap.setPricingEngine(ql.DiscountingSwapEngine(handle))
    assert ours == pytest.approx(qswap.NPV(), abs=2e-6 * 1e7 * years)
