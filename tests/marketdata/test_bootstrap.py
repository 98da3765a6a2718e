"""The Treasury par-curve bootstrap, against closed forms and QuantLib."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.marketdata.bootstrap import par_to_zero
from imresearch.marketdata.public import raw_series

TENORS = ["1m", "3m", "6m", "1y", "2y", "3y", "5y", "7y", "10y", "20y", "30y"]


@given(st.floats(0.0, 0.15))
def test_flat_par_curve_has_the_semiannual_zero_rate(y: float) -> None:
    # with every quote from 1 year on equal to y, DF(t) = (1 + y/2)^(-2t) prices each par bond
    par = pd.DataFrame([[100 * y] * 5], columns=["1y", "2y", "5y", "10y", "30y"])
    zero = par_to_zero(par).iloc[0]
    np.testing.assert_allclose(zero, 200 * math.log1p(y / 2), rtol=0, atol=1e-11)


def test_bills_are_bond_equivalent_simple_yields() -> None:
    par = pd.DataFrame([[5.0, 5.2]], columns=["3m", "6m"])
    zero = par_to_zero(par).iloc[0]
    assert zero["3m"] == pytest.approx(100 * math.log1p(0.05 * 0.25) / 0.25, abs=1e-13)
    assert zero["6m"] == pytest.approx(100 * math.log1p(0.052 * 0.5) / 0.5, abs=1e-13)


def test_missing_tenors_stay_missing_and_others_are_bootstrapped_without_them() -> None:
    par = pd.DataFrame([[1.0, 2.0, 3.0], [1.0, np.nan, 3.0]], columns=["1y", "5y", "10y"])
    zero = par_to_zero(par)
    assert np.isnan(zero.loc[1, "5y"]) and zero.loc[0, "1y"] == zero.loc[1, "1y"]
    assert zero.loc[1, "10y"] != zero.loc[0, "10y"]  # a different curve between 1y and 10y


def test_bad_input() -> None:
    with pytest.raises(InputError, match="tenors must increase"):
        par_to_zero(pd.DataFrame([[1.0, 2.0]], columns=["2y", "1y"]))
    with pytest.raises(InputError, match="not a whole number of months"):
        par_to_zero(pd.DataFrame([[1.0]], columns=["10d"]))
    with pytest.raises(InputError, match="units must be"):
        par_to_zero(pd.DataFrame([[1.0]], columns=["1y"]), units="bp")


def _quantlib_zeros(quotes: pd.Series) -> pd.Series:
    """The same bootstrap in QuantLib: bills as deposits / zero-coupon bonds, par bonds."""
    import QuantLib as ql

    day = ql.Thirty360(ql.Thirty360.BondBasis)  # nominal times: m months = m / 12 years
    today = ql.Date(15, 1, 2010)
    ql.Settings.instance().evaluationDate = today
    cal = ql.NullCalendar()
    helpers = []
    for tenor, rate in quotes.dropna().items():
        y = rate / 100.0
        months = int(tenor[:-1]) * (12 if tenor.endswith("y") else 1)
        maturity = cal.advance(today, ql.Period(months, ql.Months))
        if months <= 6:
            helpers.append(ql.DepositRateHelper(
                ql.QuoteHandle(ql.SimpleQuote(y)), ql.Period(months, ql.Months), 0, cal,
                ql.Unadjusted, False, day))
        elif months <= 12:  # bond-equivalent yield of a bill beyond a half year
            t = months / 12.0
            price = 100.0 / ((1 + y / 2) * (1 + y * (t - 0.5)))
            bond = ql.ZeroCouponBond(0, cal, 100.0, maturity, ql.Unadjusted, 100.0, today)
            helpers.append(ql.BondHelper(ql.QuoteHandle(ql.SimpleQuote(price)), bond))
        else:
            schedule = ql.Schedule(today, maturity, ql.Period(6, ql.Months), cal, ql.Unadjusted,
                                   ql.Unadjusted, ql.DateGeneration.Backward, False)
            helpers.append(ql.FixedRateBondHelper(
                ql.QuoteHandle(ql.SimpleQuote(100.0)), 0, 100.0, schedule, [y], day))
    curve = ql.PiecewiseLogLinearDiscount(today, helpers, day)
    out = {}
    for tenor in quotes.dropna().index:
        months = int(tenor[:-1]) * (12 if tenor.endswith("y") else 1)
        date = cal.advance(today, ql.Period(months, ql.Months))
        out[tenor] = 100 * curve.zeroRate(date, day, ql.Continuous).rate()
    return pd.Series(out).reindex(quotes.index)


@pytest.mark.parametrize("date", [
    "1990-01-02",  # no 1M, no 20Y
    "2004-06-01",  # no 30Y (issuance gap 2002-2006)
    "2008-12-18",  # near-zero bills, inverted 20Y/30Y
    "2020-04-20",
    "2024-12-31",
])
def test_quantlib_agrees_on_treasury_curves(date: str) -> None:
    pytest.importorskip("QuantLib")
    par = raw_series("ust_par_yields")[TENORS]
    quotes = par.loc[date]
    ours = par_to_zero(par.loc[[date]]).iloc[0]
    theirs = _quantlib_zeros(quotes)
    pd.testing.assert_series_equal(ours, theirs, check_names=False, rtol=0, atol=1e-9)
    assert ours.isna().equals(quotes.isna())
