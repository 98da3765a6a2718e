"""backtest_im: IM and P&L of every group against independent computations, exceptions
recounted, the tests against their own functions on the recounted sample, bad input."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from imresearch.backtest import acerbi_szekely_z2, backtest_im, kupiec_pof, traffic_light
from imresearch.engines.grouped import grouped_monte_carlo_im, grouped_rolling_im
from imresearch.engines.hs import realised_pnl
from imresearch.errors import InputError
from imresearch.marketdata import synthetic_market
from imresearch.models import (
    HSModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    date_seed,
    im_series,
)
from imresearch.portfolio import bind, to_crif
from imresearch.portfolio.examples import random_portfolio
from imresearch.portfolio.products import EquityPosition, InterestRateSwap
from imresearch.simm import simm
from tests.books import each_type

HS = HSModel(lookback_days=250)


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=1, years=4)


@pytest.fixture(scope="module")
def book(market):
    return bind(each_type(2), market)


@pytest.fixture(scope="module")
def hs_run(market, book):
    return backtest_im(book, market, market.dates[300], None, HS)


def test_portfolio_exceptions_recounted(market, book, hs_run):
    dates = hs_run.im.index
    assert dates[-1] == market.dates[-11]  # the last window ends on the market's last date
    im = im_series(HS, book, market, dates)
    pnl = realised_pnl(book, market, 10).reindex(dates)
    np.testing.assert_allclose(hs_run.im["portfolio"], im, rtol=1e-12)
    np.testing.assert_allclose(hs_run.pnl["portfolio"], pnl, rtol=1e-9, atol=1e-3)
    hit = -pnl > im
    row = hs_run.summary.loc["portfolio"]
    assert row["overlap_observations"] == len(dates)
    assert row["overlap_exceptions"] == hit.sum()
    sub = hit.iloc[::-1].iloc[::10].iloc[::-1]  # non-overlapping windows ending on the last
    assert (row["observations"], row["exceptions"]) == (len(sub), sub.sum())
    assert row["kupiec_p"] == pytest.approx(kupiec_pof(int(sub.sum()), len(sub))[1])
    assert row["zone"] == traffic_light(int(sub.sum()), len(sub))
    ex = hs_run.exceptions
    assert list(ex["date"]) == list(dates[hit.to_numpy()])
    assert (ex["shortfall"] > 0).all() and (-ex["pnl"] > ex["im"]).all()
    assert ex["non_overlapping"].sum() == row["exceptions"]


def test_es_tests_on_the_non_overlapping_sample(hs_run):
    g = "portfolio"
    pick = np.arange(len(hs_run.im))[::-1][::10][::-1]
    z2 = acerbi_szekely_z2(hs_run.pnl[g].to_numpy()[pick], hs_run.var[g].to_numpy()[pick],
                           hs_run.es[g].to_numpy()[pick], alpha=0.01)
    assert hs_run.summary.loc[g, "z2"] == pytest.approx(z2)
    pit = hs_run.pit[g]
    assert pit.between(0, 1).all()
    # the PIT is small exactly when the loss is beyond most scenarios
    big = -hs_run.pnl[g] > hs_run.var[g]
    assert (pit[big] <= 0.011).all()


def test_netting_sets_equal_the_grouped_engine(market, book):
    res = backtest_im(book, market, market.dates[300], None, HS, by="netting_set", step=20)
    ref = grouped_rolling_im(book, market, [t.netting_set for t in book.trades], HS,
                             dates=res.im.index)
    pd.testing.assert_frame_equal(res.im, ref.call[res.im.columns], rtol=1e-12,
                                  check_names=False)
    whole = realised_pnl(book, market, 10).reindex(res.im.index)
    np.testing.assert_allclose(res.pnl.sum(axis=1), whole, rtol=1e-9, atol=1e-3)


def test_product_classes_partition_the_book(market, book):
    res = backtest_im(book, market, market.dates[300], None, HS, by="product_class", step=20)
    assert set(res.summary.index) == {t.product_class for t in book.trades}
    whole = realised_pnl(book, market, 10).reindex(res.im.index)
    np.testing.assert_allclose(res.pnl.sum(axis=1), whole, rtol=1e-9, atol=1e-3)


def additive_book(market):
    d = market.dates[-1]
    swaps = [InterestRateSwap(trade_id=f"S{i}", notional=2e7, currency="USD", fixed_rate=0.02,
                              start_date=d, maturity=d + pd.DateOffset(years=3 + 4 * i),
                              direction="payer" if i else "receiver") for i in range(2)]
    return [*swaps, EquityPosition(trade_id="E0", underlying="SPX", quantity=4e3, bucket="11")]


def test_risk_class_pnl_sums_to_the_portfolio_for_an_additive_book(market):
    trades = additive_book(market)
    by_class = backtest_im(trades, market, market.dates[300], None, HS, by="risk_class",
                           step=5)
    whole = backtest_im(trades, market, market.dates[300], None, HS, step=5)
    assert list(by_class.summary.index) == ["InterestRate", "Equity"]
    np.testing.assert_allclose(by_class.pnl.sum(axis=1), whole.pnl["portfolio"], rtol=1e-10)
    # each class's IM is that part of the book margined alone
    swaps = backtest_im(trades[:2], market, market.dates[300], None, HS, step=5)
    np.testing.assert_allclose(by_class.im["InterestRate"], swaps.im["portfolio"], rtol=1e-10)


def test_risk_classes_of_a_mixed_book(market, book, hs_run):
    res = backtest_im(book, market, market.dates[300], None, HS, by="risk_class")
    assert set(res.summary.index) <= {"InterestRate", "CreditQualifying", "Equity",
                                      "Commodity", "FX"}
    # cross terms (a EUR swap valued in USD, options) make the sum differ a little
    gap = (res.pnl.sum(axis=1) - hs_run.pnl["portfolio"]).abs()
    assert gap.max() < 0.1 * hs_run.pnl["portfolio"].abs().max()
    # IM of the parts is no less than IM of the whole less the diversification
    assert (res.im.sum(axis=1) >= 0.5 * hs_run.im["portfolio"]).all()


RISK_TYPES = {"InterestRate": ("Risk_IRCurve", "Risk_IRVol", "Risk_Inflation",
                               "Risk_InflationVol", "Risk_XCcyBasis"),
              "CreditQualifying": ("Risk_CreditQ", "Risk_CreditVol", "Risk_BaseCorr"),
              "Equity": ("Risk_Equity", "Risk_EquityVol"),
              "Commodity": ("Risk_Commodity", "Risk_CommodityVol"),
              "FX": ("Risk_FX", "Risk_FXVol")}


def at(book, market, t):
    return dataclasses.replace(book, date=t, base_levels=market.levels.loc[
        t, book.factor_names].to_numpy(float))


def test_simm_by_risk_class_is_the_simm_of_each_class(market, book):
    model = SimmModel(version="2.6")
    start = market.dates[-200]
    res = backtest_im(book, market, start, None, model, by="risk_class", step=95)
    for t in res.im.index:
        crif = to_crif(at(book, market, t))
        for rc, types in RISK_TYPES.items():
            part = crif[crif["RiskType"].isin(types)]
            want = simm(part, version="2.6").total if len(part) else 0.0
            got = res.im.loc[t, rc] if rc in res.im.columns else 0.0
            assert got == pytest.approx(want, rel=1e-10), (t, rc)
    whole = backtest_im(book, market, start, None, model, step=95)
    np.testing.assert_allclose(whole.im["portfolio"],
                               im_series(model, book, market, whole.im.index), rtol=1e-12)
    ns = backtest_im(book, market, start, None, model, by="netting_set", step=95)
    t = ns.im.index[-1]
    for name, rows in to_crif(at(book, market, t)).groupby("PortfolioID"):
        assert ns.im.loc[t, name] == pytest.approx(simm(rows, version="2.6").total, rel=1e-10)


def test_one_day_horizon(market, book):
    res = backtest_im(book, market, market.dates[-60], None, SimmModel(version="2.6"),
                      horizon=1, step=10)
    assert res.model.mpor_days == 1 and res.summary["horizon"].iloc[0] == 1
    np.testing.assert_allclose(res.im["portfolio"], im_series(
        SimmModel(version="2.6", mpor_days=1), book, market, res.im.index), rtol=1e-12)
    np.testing.assert_allclose(res.pnl["portfolio"], realised_pnl(book, market, 1)
                               .reindex(res.im.index), rtol=1e-9, atol=1e-3)
    assert res.summary["overlap_observations"].isna().all()  # 1-day windows never overlap


def test_monte_carlo_by_netting_set(market, book):
    model = MCModel(n_paths=1000, lookback_days=250)
    res = backtest_im(book, market, market.dates[-400], None, model, by="netting_set",
                      step=150)
    groups = [t.netting_set for t in book.trades]
    for t in res.im.index:
        ref = grouped_monte_carlo_im(book, market, groups, t, model,
                                     seed=date_seed(model.seed, t))
        np.testing.assert_allclose(res.im.loc[t], ref.call.iloc[0][res.im.columns],
                                   rtol=1e-12)


def test_actual_pnl_is_the_ageing_book(market):
    date = market.dates[400]
    trades = random_portfolio(market, date, 30, seed=4).trades
    ends = sorted(t.end_date for t in trades if t.end_date is not None)
    start, end = market.dates[420], market.dates[700]
    assert any(start < e < end for e in ends)  # trades mature in the backtest
    res = backtest_im(trades, market, start, end, HS, pnl="actual", rebind_days=1, step=7)
    # independent: each day the trades alive bound that day, their one-day P&L
    days = market.dates[420:700 + 11]
    daily = {}
    for i, d in enumerate(days[:-1]):
        live = [t for t in trades if t.end_date is None or t.end_date > d]
        b = bind(live, market, d)
        lv = market.levels.loc[[d, days[i + 1]], b.factor_names].to_numpy()
        pv = b.pv_states(lv * b.scale)
        daily[d] = float((pv[1] - pv[0]).sum())
    daily = pd.Series(daily)
    for t in res.pnl.index:
        pos = daily.index.get_loc(t)
        assert res.pnl.loc[t, "portfolio"] == pytest.approx(daily.iloc[pos:pos + 10].sum(),
                                                           rel=1e-9, abs=1e-4)
    live_first = [t for t in trades if t.end_date is None or t.end_date > start]
    im0 = im_series(HS, bind(live_first, market, start), market, [start])
    assert res.im["portfolio"].iloc[0] == pytest.approx(im0.iloc[0], rel=1e-12)


def test_rolling_traffic_light(hs_run):
    roll = hs_run.rolling(250)
    assert list(roll.columns) == ["date", "group", "exceptions", "zone", "multiplier",
                                  "add_on"]
    last = roll.iloc[-1]
    im, pnl = hs_run.im["portfolio"].iloc[-250:], hs_run.pnl["portfolio"].iloc[-250:]
    assert last["exceptions"] == (-pnl > im).sum()
    assert (-pnl > last["multiplier"] * im).sum() < (-pnl > im).sum() or \
        last["multiplier"] == 1.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"by": "desk"}, "by must be one of .* got 'desk'"),
    ({"horizon": 5}, "horizon must be one of 1, 10; got 5"),
    ({"pnl": "clean"}, "pnl must be one of .* got 'clean'"),
    ({"start": "1990-01-01"}, "start='1990-01-01' is outside market"),
    ({"end": "2099-01-01"}, "end='2099-01-01' is outside market"),
    ({"start": "not a date"}, "start must be a date"),
    ({"model": HSModel(lookback_days=2520)}, "start=.*HS 10y needs 2520 business days"),
    ({"model": ScheduleModel(), "horizon": 1}, "horizon=1: Schedule is a 10-day margin"),
    ({"model": ScheduleModel(), "by": "risk_class"}, "by='risk_class' needs a model"),
    ({"model": SimmModel(), "horizon": 1}, "horizon=1: SIMM 1.0, in force on"),
    ({"model": "HS"}, "model must be one of"),
    ({"step": 0}, "step must be"),
])
def test_bad_input_is_one_line(market, book, kwargs, message):
    args = {"start": market.dates[300], "end": None, "model": HS, **kwargs}
    with pytest.raises(InputError, match=message) as err:
        backtest_im(book, market, args.pop("start"), args.pop("end"), args.pop("model"),
                    **args)
    assert "\n" not in str(err.value)


def test_actual_needs_booked_trades(market, book):
    with pytest.raises(InputError, match="pnl='actual' needs the trades as booked"):
        backtest_im(book, market, market.dates[300], None, HS, pnl="actual")


def test_stride_and_default_start(market, book, hs_run):
    assert hs_run.stride == math.ceil(10 / 1)
    res = backtest_im(book, market, None, None, HS, step=50)
    assert res.im.index[0] >= market.dates[250]  # the first date with a full lookback
