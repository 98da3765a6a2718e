"""Backtests against scipy likelihoods, the Basel table and hand-checked sequences."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from imresearch import backtest as bt
from imresearch.errors import InputError
from tests import naive


@given(st.integers(1, 2000), st.data(), st.sampled_from([0.95, 0.975, 0.99]))
def test_kupiec_matches_binomial_likelihood_ratio(n: int, data: st.DataObject, c: float) -> None:
    x = data.draw(st.integers(0, n))
    stat, p = bt.kupiec_pof(x, n, c)
    ref = 2 * (stats.binom.logpmf(x, n, x / n) - stats.binom.logpmf(x, n, 1 - c))
    assert stat == pytest.approx(max(ref, 0.0), rel=1e-9, abs=1e-9)
    assert p == pytest.approx(stats.chi2.sf(stat, 1))


def test_basel_traffic_light_table() -> None:
    # BCBS (1996), Table 2: 250 observations, 99% VaR
    zones = [bt.traffic_light(x, 250, 0.99) for x in range(12)]
    assert zones == ["green"] * 5 + ["yellow"] * 5 + ["red"] * 2
    assert bt.traffic_light_bounds(250, 0.99) == (5, 10)
    # generalisation: bounds follow the binomial CDF for any n
    y, r = bt.traffic_light_bounds(1000, 0.99)
    assert stats.binom.cdf(y - 1, 1000, 0.01) < 0.95 <= stats.binom.cdf(y, 1000, 0.01)
    assert stats.binom.cdf(r - 1, 1000, 0.01) < 0.9999 <= stats.binom.cdf(r, 1000, 0.01)


@given(st.lists(st.booleans(), min_size=2, max_size=300))
def test_christoffersen_matches_markov_likelihoods(flags: list[bool]) -> None:
    arr = np.array(flags)
    res = bt.christoffersen(arr, 0.99)
    assert res.lr_ind == pytest.approx(max(naive.christoffersen_lr_ind(arr.astype(int)), 0.0),
                                       abs=1e-8)
    assert res.lr_cc == pytest.approx(res.lr_pof + res.lr_ind)
    assert res.p_cc == pytest.approx(stats.chi2.sf(res.lr_cc, 2))
    assert sum(res.transitions.values()) == len(flags) - 1


def test_clustered_exceptions_fail_independence() -> None:
    flags = np.zeros(500, bool)
    flags[100:106] = True  # six exceptions in a row
    assert bt.christoffersen(flags).p_ind < 0.001
    spread = np.zeros(500, bool)
    spread[[50, 150, 250, 350, 450]] = True
    assert bt.christoffersen(spread).p_ind > 0.5


def test_backtest_table_and_non_overlapping_sampling() -> None:
    dates = pd.bdate_range("2020-01-01", periods=100)
    im = pd.Series(10.0, index=dates)
    pnl = pd.Series(-5.0, index=dates)
    pnl.iloc[[9, 19, 50]] = -20.0
    over = bt.backtest(im, pnl, sampling="overlapping")
    assert over.summary["exceptions"] == 3 and over.summary["observations"] == 100
    non = bt.backtest(im, pnl, horizon=10)
    assert non.summary["observations"] == 10
    assert non.table.index[-1] == dates[-1]
    assert non.summary["exceptions"] == 2  # dates 9 and 19 lie on the 10-day grid ending at 99
    assert non.summary["traffic_light"] in ("green", "yellow", "red")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bt.kupiec_pof(5, 3), r"exceptions \(5\) cannot exceed observations \(3\)"),
        (lambda: bt.kupiec_pof(-1, 3), "exceptions must be a non-negative integer; got -1"),
        (lambda: bt.kupiec_pof(1, 0), "observations must be >= 1"),
        (lambda: bt.kupiec_pof(1, 10, 1.2), "confidence must be in"),
        (lambda: bt.traffic_light(2.5), "exceptions must be a non-negative integer; got 2.5"),
        (lambda: bt.christoffersen([1]), "at least 2 trials"),
        (lambda: bt.christoffersen([0, 2, 1]), "booleans or 0/1"),
    ],
)
def test_bad_input(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


def test_backtest_rejects_nan_and_disjoint_dates() -> None:
    d = pd.bdate_range("2020-01-01", periods=5)
    im = pd.Series([1.0, np.nan, 1, 1, 1], index=d)
    with pytest.raises(InputError, match="NaN in im on 2020-01-02"):
        bt.backtest(im, pd.Series(0.0, index=d))
    with pytest.raises(InputError, match="no date in common"):
        bt.backtest(im, pd.Series(0.0, index=d + pd.Timedelta(days=400)))
