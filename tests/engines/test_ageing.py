"""Ageing (static) portfolios: each IM date against the one-date engine on the live trades."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.engines import historical_im, rolling_im
from imresearch.engines.ageing import ageing_rolling_im, live_trades
from imresearch.errors import InputError
from imresearch.marketdata import load_builtin
from imresearch.models import HSModel
from imresearch.portfolio import EquityOption, EquityPosition, Portfolio, bind

MODEL = HSModel(lookback_days=250)


@pytest.fixture(scope="module")
def market():  # type: ignore[no-untyped-def]
    return load_builtin("synthetic_small")


@pytest.fixture(scope="module")
def book() -> Portfolio:
    return Portfolio([
        EquityPosition(trade_id="EQ", underlying="SPX", bucket="11", quantity=1.0e3),
        EquityOption(trade_id="P1", underlying="SPX", bucket="11", quantity=4.0e3,
                     strike=1250.0, expiry="2009-03-20", option_type="put",
                     vol_factor="VOL_VIX"),
        EquityOption(trade_id="C1", underlying="SPX", bucket="11", quantity=2.0e3,
                     direction="short", strike=1400.0, expiry="2010-06-18",
                     option_type="call", vol_factor="VOL_VIX"),
    ], name="ageing")


def test_end_date_and_live_trades(book) -> None:  # type: ignore[no-untyped-def]
    assert book.trades[0].end_date is None
    assert book.trades[1].end_date == pd.Timestamp("2009-03-20")
    assert [t.trade_id for t in live_trades(book, "2009-03-19")] == ["EQ", "P1", "C1"]
    assert [t.trade_id for t in live_trades(book, "2009-03-20")] == ["EQ", "C1"]
    assert [t.trade_id for t in live_trades(book.trades, "2011-01-01")] == ["EQ"]


@pytest.mark.parametrize(("rebind_days", "step"), [(1, 10), (21, 5), (21, 10)])
def test_each_date_matches_the_one_date_engine(market, book, rebind_days: int, step: int
                                                ) -> None:
    out = ageing_rolling_im(book, market, "2008-09-01", "2009-06-30", MODEL,
                            rebind_days=rebind_days, step=step)
    rows = market.dates.get_indexer(out.index)
    assert out.index[-1] == market.dates[market.dates <= "2009-06-30"][-1]
    assert (np.diff(rows) == step).all()
    bind_rows = market.dates.get_indexer(pd.DatetimeIndex(out["bind_date"]))
    stale = rows - bind_rows
    assert (stale >= 0).all() and (stale < rebind_days).all()
    if rebind_days == 1:
        assert (out["bind_date"] == out.index).all()
    else:  # rebinds exactly when rebind_days have passed (or a trade matured)
        new = np.flatnonzero(np.diff(bind_rows) > 0) + 1
        gaps = np.diff(rows[np.r_[0, new]])
        assert (gaps >= rebind_days).sum() >= len(gaps) - 1
    for date, row in out.iterrows():
        live = live_trades(book, date)  # the trades alive on the IM date itself
        assert row["n_live_trades"] == len(live)
        if date.month % 2 == 0:  # a sample of dates, against the one-date engine
            want = historical_im(bind(live, market, row["bind_date"]), market, date, MODEL).im
            assert row["im"] == pytest.approx(want, rel=1e-10)
    # the put expired on 2009-03-20: the first IM date after it rebinds without it
    first_after = out.index[out.index > "2009-03-20"][0]
    assert out.loc[first_after, "bind_date"] == first_after
    assert out.loc[first_after, "n_live_trades"] == 2
    assert (out.loc[:"2009-03-19", "n_live_trades"] == 3).all()


def test_differs_from_constant_maturity(market, book) -> None:  # type: ignore[no-untyped-def]
    ageing = ageing_rolling_im(book, market, "2008-06-01", "2008-12-31", MODEL, step=10)
    constant = rolling_im(book, market, "2008-06-01", "2008-12-31", MODEL, step=10,
                          bind_date=ageing.index[0])
    assert ageing.index.equals(constant.index)
    # the first rebinding date is the constant-maturity bind date: identical there
    assert ageing["im"].iloc[0] == pytest.approx(constant["im"].iloc[0], rel=1e-12)
    assert not np.allclose(ageing["im"], constant["im"], rtol=1e-3)


def test_everything_matured_gives_zero(market) -> None:  # type: ignore[no-untyped-def]
    book = [EquityOption(trade_id="P", underlying="SPX", bucket="11", quantity=1.0e3,
                         strike=1200.0, expiry="2009-01-16", option_type="put",
                         vol_factor="VOL_VIX")]
    out = ageing_rolling_im(book, market, "2008-12-01", "2009-03-31", MODEL, rebind_days=5)
    gone = out[out["bind_date"] >= "2009-01-16"]
    assert len(gone) > 0 and (gone["im"] == 0).all() and (gone["n_live_trades"] == 0).all()
    assert (out.loc[out["bind_date"] < "2009-01-16", "im"] > 0).all()


def test_bad_input(market, book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="not a BoundPortfolio"):
        ageing_rolling_im(bind(book, market, "2008-01-02"), market)
    with pytest.raises(InputError, match="rebind_days"):
        ageing_rolling_im(book, market, rebind_days=0)
    with pytest.raises(InputError, match="no trades"):
        ageing_rolling_im([], market)
    with pytest.raises(InputError, match="full lookback of 250 days"):
        ageing_rolling_im(book, market, "2007-01-01", "2007-06-30", MODEL)
