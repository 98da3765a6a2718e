"""The margin-model interface: every kind through one function, equal to its engine, with the
study-file table round trip and one-line errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import imresearch.marketdata as md
from imresearch.engines.hs import rolling_im
from imresearch.engines.mc import monte_carlo_im
from imresearch.errors import InputError
from imresearch.models import (
    MODEL_KINDS,
    HSModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    StaticModel,
    im_on_date,
    im_series,
    model_from_table,
)
from imresearch.portfolio import EquityPosition, FXForward, InterestRateSwap, Portfolio
from imresearch.portfolio.binding import bind
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.schedule import schedule_im
from imresearch.simm import simm


@pytest.fixture(scope="module")
def market() -> md.RiskFactorHistory:
    return md.synthetic_market(seed=0)


@pytest.fixture(scope="module")
def book() -> Portfolio:
    trades = (
        EquityPosition(trade_id="eq", underlying="SPX", quantity=2000, bucket="11"),
        EquityPosition(trade_id="eq2", underlying="SN_AUTO", quantity=5000, direction="short",
                       bucket="5"),
        FXForward(trade_id="fx", pair="EURUSD", notional=20e6, strike=1.08,
                  maturity="2027-06-30"),
        InterestRateSwap(trade_id="irs", currency="USD", notional=50e6, fixed_rate=0.035,
                         start_date="2024-01-02", maturity="2032-12-31"),
    )
    return Portfolio(trades, "small", "four trades")


@pytest.fixture(scope="module")
def dates(market: md.RiskFactorHistory) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(market.dates[-60::20], name="date")


def test_hs_equals_rolling_im(book: Portfolio, market: md.RiskFactorHistory,
                              dates: pd.DatetimeIndex) -> None:
    for model in (HSModel(lookback_days=250), HSModel(lookback_days=500, filtering="ewma"),
                  HSModel(lookback_days=250, stress=True, stress_weight=0.25)):
        got = im_series(model, book, market, dates)
        want = rolling_im(book, market, dates[0], dates[-1], model, step=20)["im"]
        assert got.name == model.label and got.index.equals(dates)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_mc_one_date_equals_the_engine_bit_for_bit(book: Portfolio,
                                                   market: md.RiskFactorHistory) -> None:
    d = market.end
    got = im_series(MCModel(n_paths=3000, seed=11), book, market, pd.DatetimeIndex([d]))
    want = monte_carlo_im(book, market, d, n_paths=3000, seed=11).im
    assert got.iloc[0] == want
    full = im_on_date(MCModel(n_paths=3000, seed=11), book, market)
    assert full.im == want and full.n_paths == 3000


def test_mc_several_dates_seed_each_date_apart(book: Portfolio, market: md.RiskFactorHistory,
                                               dates: pd.DatetimeIndex) -> None:
    model = MCModel(n_paths=2000, seed=5, lookback_days=250)
    both = im_series(model, book, market, dates[-2:])
    last_three = im_series(model, book, market, dates[-3:])
    # a date's IM does not depend on which other dates were asked for
    np.testing.assert_array_equal(both.to_numpy(), last_three.iloc[1:].to_numpy())
    # the seed of a date is the model's seed spawned by the date, not the seed itself
    single = im_series(model, book, market, dates[-1:])
    assert single.iloc[0] != both.iloc[-1]
    assert im_series(dataclasses.replace(model, seed=6), book, market, dates[-2:]).iloc[0] != (
        both.iloc[0])


def test_simm_schedule_static_on_the_book_date(book: Portfolio,
                                               market: md.RiskFactorHistory) -> None:
    d = market.end
    idx = pd.DatetimeIndex([d])
    crif = book.to_crif(market, d)
    for version in ("2.5", "2.8+2512"):
        got = im_series(SimmModel(version=version), book, market, idx).iloc[0]
        assert got == simm(crif, version=version).total
    post = im_series(SimmModel(version="2.6", side="post"), book, market, idx).iloc[0]
    assert post == simm(crif, version="2.6", side="post").total
    one_day = im_on_date(SimmModel(version="2.6", mpor_days=1), book, market)
    assert one_day.im == simm(crif, version="2.6", mpor_days=1).total
    sched = im_series(ScheduleModel(), book, market, idx).iloc[0]
    assert sched == schedule_im(book.schedule_inputs(market, d)).total
    # static: rate x notional, by hand
    info = schedule_inputs(book, market, d).set_index("TradeID")
    static = StaticModel(rate=0.05, rates={"SPX": 0.2, "FX": 0.01})
    want = (0.2 * info.loc["eq", "notional_usd"] + 0.05 * info.loc["eq2", "notional_usd"]
            + 0.01 * info.loc["fx", "notional_usd"] + 0.05 * info.loc["irs", "notional_usd"])
    assert im_series(static, book, market, idx).iloc[0] == pytest.approx(want, rel=1e-14)
    detail = im_on_date(static, book, market)
    assert detail.by_trade.loc["eq", "rate"] == 0.2 and detail.im == pytest.approx(want)


def test_per_date_models_hold_the_book_at_constant_maturity(
        book: Portfolio, market: md.RiskFactorHistory, dates: pd.DatetimeIndex) -> None:
    # each date: the book bound on bind_date, revalued at that date's levels
    d = dates[0]
    got = im_series(SimmModel(version="2.6"), book, market, dates, bind_date=d)
    assert got.iloc[0] == simm(to_crif(bind(book, market, d)), version="2.6").total
    bound = bind(book, market, market.end)
    levels = market.levels.loc[d, bound.factor_names].to_numpy()
    at_d = dataclasses.replace(bound, base_levels=levels, date=d)
    default = im_series(SimmModel(version="2.6"), book, market, dates)
    assert default.iloc[0] == simm(to_crif(at_d), version="2.6").total


def test_in_force_version_on_each_date(book: Portfolio, market: md.RiskFactorHistory) -> None:
    from imresearch.simm import NoSimmInForceError, version_in_force

    d = market.end
    model = SimmModel()
    assert model.label == "SIMM" and model.version_on(d) == version_in_force(d).version
    res = im_on_date(model, book, market, d)
    assert res.version == version_in_force(d).version
    # the versions firms used: 2.2 in March 2020, 2.3 in March 2021, 1.0 before SIMM existed
    assert model.version_on("2020-03-16") == "2.2" and model.version_on("2021-03-19") == "2.3"
    assert model.version_on("2008-10-10") == "1.0"
    covid = pd.Timestamp("2020-03-16")
    assert im_series(model, book, market, [covid]).iloc[0] == im_series(
        SimmModel(version="2.2"), book, market, [covid]).iloc[0]
    with pytest.raises(NoSimmInForceError):
        im_series(SimmModel(before_first="error"), book, market, ["2008-10-10"])


def test_hs_one_date_result(book: Portfolio, market: md.RiskFactorHistory) -> None:
    model = HSModel(lookback_days=250)
    res = im_on_date(model, book, market)
    series = im_series(model, book, market, pd.DatetimeIndex([market.end]))
    assert res.im == pytest.approx(series.iloc[0], rel=1e-12)
    assert res.attribution["var_contribution"].sum() == pytest.approx(res.var, rel=1e-9)


@given(st.sampled_from([
    HSModel(lookback_days=500, stress=True, stress_weight=0.3, filtering="garch"),
    HSModel(lookback_days=None, measure="es", scaling="sqrt_time"),
    MCModel(n_paths=500, seed=3, copula="t", marginal="t", window="recent+stress"),
    SimmModel(version="2.6", mpor_days=1, side="post"),
    SimmModel(),
    ScheduleModel(),
    StaticModel(rate=0.1, rates={"equity": 0.2, "VIAC": 0.3}, basis="market_value"),
]))
def test_table_round_trip(model: object) -> None:
    table = model.to_table()
    assert table["kind"] in MODEL_KINDS
    assert model_from_table(table) == model
    assert model_from_table(table).label == model.label


@pytest.mark.parametrize(("table", "message"), [
    ({"kind": "garch"}, r"m: kind must be one of 'hs', 'mc', 'simm', 'schedule', 'static'; "
                        r"got 'garch'"),
    ({"engine": "mc"}, r"m: key 'engine' is from an earlier file format: rename 'engine' to "
                       r"'kind'"),
    ({"kind": "mc", "paths": 100}, r"rename 'paths' to 'n_paths'"),
    ({"kind": "mc", "monthly_paths": 100}, r"\[rolling\] mc_paths"),
    ({"kind": "simm", "version": "9.9"}, r"m: version must be 'in_force' or one of .*; got "
                                         r"'9.9'"),
    ({"kind": "simm", "mpor_days": 5}, r"mpor_days must be one of 10, 1; got 5"),
    ({"kind": "static"}, r"needs rate > 0 or a table of rates"),
    ({"kind": "static", "rate": "5%"}, r"rate must be a number; got '5%'"),
    ({"kind": "static", "rates": {"SPX": -1}}, r"rates.SPX must be a number in \[0, 10\]"),
    ({"kind": "hs", "lookback_days": "1y"}, r"lookback_days must be an integer; got '1y'"),
    ({"kind": "hs", "stress": 1}, r"stress must be true or false; got 1"),
    ({"kind": "mc", "copula": "clayton"}, r"copula must be one of"),
    ({"kind": "schedule", "rate": 1}, r"unknown setting\(s\) \['rate'\]"),
])
def test_bad_tables_are_one_line_errors(table: dict, message: str) -> None:
    with pytest.raises(InputError, match=message) as err:
        model_from_table(table, source="m")
    assert "\n" not in str(err.value)


def test_bad_arguments(book: Portfolio, market: md.RiskFactorHistory) -> None:
    with pytest.raises(InputError, match="model must be one of HSModel, MCModel"):
        im_series("simm", book, market, [market.end])
    with pytest.raises(InputError, match="date 2031-01-01 is not a date of market"):
        im_series(ScheduleModel(), book, market, ["2031-01-01"])
    with pytest.raises(InputError, match="increasing, without repeats"):
        im_series(ScheduleModel(), book, market, [market.end, market.dates[-5]])
    with pytest.raises(InputError, match="dates is empty"):
        im_series(HSModel(), book, market, [])
    with pytest.raises(InputError, match=r"date \S+ has no full lookback of 2520 days \(first "
                       r"possible date \S+ of market"):
        im_series(HSModel(lookback_days=2520), book, market, market.dates[100:101])
    first = market.dates[2520]  # rows 0..2520: 2,520 one-day moves
    with pytest.raises(InputError, match=f"first possible date {first:%Y-%m-%d} of market"):
        im_series(HSModel(lookback_days=2520), book, market, market.dates[2519:2520])
    # a lookback longer than the whole market: said so, not a first date beyond its end
    long = HSModel(lookback_days=market.n_dates + 10)
    with pytest.raises(InputError, match=rf"lookback_days={market.n_dates + 10} needs "
                       rf"{market.n_dates + 11} dates of history; market '.*' has "
                       rf"{market.n_dates}$"):
        im_series(long, book, market, market.dates[-1:])
