"""The exception report: every exception listed, its episode, and the attribution of its loss
against direct revaluation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.backtest import backtest_im, exception_report
from imresearch.errors import InputError
from imresearch.marketdata import synthetic_market
from imresearch.models import HSModel
from imresearch.portfolio import bind
from imresearch.portfolio.products import EquityPosition, InterestRateSwap

HS = HSModel(lookback_days=250)


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=2, years=4)


@pytest.fixture(scope="module")
def book(market):
    d = market.dates[-1]
    swaps = [InterestRateSwap(trade_id=f"S{i}", notional=5e7, currency="USD", fixed_rate=0.02,
                              start_date=d, maturity=d + pd.DateOffset(years=2 + 5 * i),
                              direction="receiver", netting_set="NS_A") for i in range(2)]
    stocks = [EquityPosition(trade_id=f"E{i}", underlying=u, quantity=2e4, bucket="11",
                             netting_set="NS_B") for i, u in enumerate(("SPX", "SX5E"))]
    return bind(swaps + stocks, market)


def parse(text):
    return {k: float(v) for k, v in (item.split() for item in text.split("; ") if item)}


@pytest.mark.parametrize("by", ["portfolio", "netting_set", "risk_class"])
def test_every_exception_with_its_attribution(market, book, by):
    res = backtest_im(book, market, market.dates[260], None, HS, by=by, step=3)
    assert len(res.exceptions) > 0
    first = res.exceptions["date"].iloc[0]
    episodes = [("window", first, first)]
    rep = exception_report(res, market, episodes=episodes, top=10)
    pd.testing.assert_frame_equal(rep[["date", "group", "pnl", "im", "shortfall"]],
                                  res.exceptions[["date", "group", "pnl", "im", "shortfall"]])
    assert rep["episode"].iloc[0] == "window"
    np.testing.assert_allclose(rep["shortfall_pct"], 100 * rep["shortfall"] / rep["im"])
    dates = market.dates
    for r in rep.itertuples():
        end = dates[dates.get_loc(r.date) + 10]
        assert r.window_end == end
        lv = market.levels.loc[[r.date, end], book.factor_names].to_numpy()
        if by == "risk_class":
            assert r.risk_class == r.group and r.risk_class_pnl == pytest.approx(r.pnl)
            continue
        keep = [i for i, t in enumerate(book.trades)
                if by == "portfolio" or t.netting_set == r.group]
        pv = book.pv_states(lv * book.scale)[:, keep]
        losses = {book.trade_ids[i]: (pv[1, j] - pv[0, j]) / 1e6 for j, i in enumerate(keep)}
        for tid, v in parse(r.top_trades).items():
            assert v == pytest.approx(losses[tid], abs=0.006)
        # the top factor's own move: revalue with that factor alone moved
        name, v = next(iter(parse(r.top_factors).items()))
        one = lv[0].copy()
        f = book.factor_names.index(name)
        one[f] = lv[1, f]
        pv1 = book.pv_states(np.vstack([lv[0], one]) * book.scale)[:, keep].sum(axis=1)
        assert v == pytest.approx((pv1[1] - pv1[0]) / 1e6, abs=0.006)
        assert r.risk_class in ("InterestRate", "Equity", "FX")


def test_bad_arguments(market, book):
    res = backtest_im(book, market, market.dates[260], None, HS, step=20)
    with pytest.raises(InputError, match="result must be an IMBacktest"):
        exception_report("x", market)
    with pytest.raises(InputError, match="top must be"):
        exception_report(res, market, top=0)
    with pytest.raises(InputError, match="episodes must be \\(name, start, end\\) tuples"):
        exception_report(res, market, episodes=[1])
