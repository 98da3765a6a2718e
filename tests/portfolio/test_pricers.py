"""Pricing kernels: against their plain-Python twins, closed forms, parity and QuantLib."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.marketdata import apply_shocks
from imresearch.portfolio import (
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    FXForward,
    FXOption,
    InterestRateSwap,
    Portfolio,
    bind,
)
from imresearch.portfolio import _kernels as K
from tests import naive as naive_kernels

from . import naive_pricers as naive
from .conftest import FLAT_DATE, every_product, flat_market


def base_levels(market, date):
    row = market.levels.loc[date]
    return {name: float(row[name]) for name in market.factor_names}


def random_shocks(bp, n, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    sd = []
    for f in bp.factor_names:
        spec = bp.factor_specs[f]
        sd.append({"log": 0.05, "absolute_bp": 30.0}.get(spec.convention, 0.05))
    arr = rng.standard_normal((n, bp.n_factors)) * np.array(sd) * scale
    return pd.DataFrame(arr, columns=bp.factor_names)


def test_pv_matches_naive_twin(book, bound, market, date):
    levels = base_levels(market, date)
    expected = [naive.pv_usd(t, levels, market.factors, date) for t in book]
    np.testing.assert_allclose(bound.pv().to_numpy(), expected, rtol=1e-10, atol=1e-8)
    assert np.isfinite(bound.pv()).all()


def test_revaluation_kernel_matches_naive_twin(book, bound, market, date):
    shocks = random_shocks(bound, 6, seed=1)
    got = bound.revalue(shocks)
    want = naive.revalue(list(book), base_levels(market, date), market.factors, date, shocks)
    assert list(got.columns) == book.trade_ids
    np.testing.assert_allclose(got.to_numpy(), want, rtol=1e-9, atol=1e-6)


def test_revalue_levels_equals_revalue_of_shocks(bound):
    shocks = random_shocks(bound, 50, seed=2)
    levels = apply_shocks(pd.Series(bound.base_levels, index=bound.factor_names), shocks,
                          bound.factor_specs)
    np.testing.assert_allclose(bound.revalue_levels(levels).to_numpy(),
                               bound.revalue(shocks).to_numpy(), rtol=1e-10, atol=1e-6)


def test_zero_shock_gives_zero_pnl(bound):
    pnl = bound.revalue(np.zeros((3, bound.n_factors)))
    assert pnl.shape == (3, bound.n_trades)
    assert np.all(pnl == 0.0)


def test_pv_states_match_the_naive_twin_in_moved_markets(book, bound, market, date):
    rng = np.random.default_rng(7)
    base = base_levels(market, date)
    moved = []
    for _ in range(3):  # every bound factor moved by up to a few percent
        levels = dict(base)
        for f in bound.factor_names:
            levels[f] = base[f] * float(np.exp(rng.normal(0.0, 0.03)))
        moved.append(levels)
    states = np.array([[lv[f] for f in bound.factor_names] for lv in moved]) * bound.scale
    got = bound.pv_states(states)
    want = [[naive.pv_usd(t, lv, market.factors, date) for t in book] for lv in moved]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-8)
    np.testing.assert_array_equal(got[1], bound.pv_state(states[1]))


def test_shocks_dataframe_selects_columns_by_name(bound, market):
    from imresearch.marketdata import horizon_shocks

    shocks = horizon_shocks(market.window("2024-01-01"), 10).frame
    pnl = bound.revalue(shocks)
    assert pnl.index.equals(shocks.index)
    manual = bound.revalue(shocks[bound.factor_names].to_numpy())
    np.testing.assert_array_equal(pnl.to_numpy(), manual)


# ---------------------------------------------------------------------- closed forms


def bs(s, k, t, r, q, v, call):
    d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / (v * math.sqrt(t))
    d2 = d1 - v * math.sqrt(t)
    n = naive.N
    if call:
        return s * math.exp(-q * t) * n(d1) - k * math.exp(-r * t) * n(d2)
    return k * math.exp(-r * t) * n(-d2) - s * math.exp(-q * t) * n(-d1)


@settings(max_examples=40, deadline=None)
@given(k=st.floats(50, 200), days=st.integers(1, 3000), q=st.floats(0, 0.06),
       vol=st.floats(5, 80), call=st.booleans(), r=st.floats(-0.01, 0.08))
def test_equity_option_is_black_scholes(k, days, q, vol, call, r):
    m = flat_market(r_usd=r, vol=vol)
    expiry = FLAT_DATE + pd.Timedelta(days=days)
    opt = EquityOption(trade_id="o", underlying="X", quantity=1, strike=k, expiry=expiry,
                       option_type="call" if call else "put", vol_factor="VOL_X",
                       dividend_yield=q)
    got = bind([opt], m, FLAT_DATE).pv().iloc[0]
    want = bs(100.0, k, days / 365.0, r, q, vol / 100.0, call)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(k=st.floats(0.8, 1.4), days=st.integers(1, 1500), vol=st.floats(0.02, 0.3),
       call=st.booleans(), r_usd=st.floats(-0.01, 0.07), r_eur=st.floats(-0.01, 0.07))
def test_fx_option_is_garman_kohlhagen(k, days, vol, call, r_usd, r_eur):
    m = flat_market(r_usd=r_usd, r_eur=r_eur)
    opt = FXOption(trade_id="o", pair="EURUSD", notional=1.0, strike=k,
                   expiry=FLAT_DATE + pd.Timedelta(days=days),
                   option_type="call" if call else "put", volatility=vol)
    got = bind([opt], m, FLAT_DATE).pv().iloc[0]
    want = bs(1.1, k, days / 365.0, r_usd, r_eur, vol, call)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(k=st.floats(40, 110), days=st.integers(1, 1500), vol=st.floats(0.1, 0.8),
       carry=st.floats(-0.05, 0.05), call=st.booleans())
def test_commodity_option_is_black76(k, days, vol, carry, call):
    m = flat_market(r_usd=0.03)
    t = days / 365.0
    opt = CommodityOption(trade_id="o", underlying="WTI", quantity=1.0, strike=k,
                          expiry=FLAT_DATE + pd.Timedelta(days=days), carry=carry,
                          option_type="call" if call else "put", volatility=vol)
    got = bind([opt], m, FLAT_DATE).pv().iloc[0]
    f = 70.0 * math.exp(carry * t)
    want = math.exp(-0.03 * t) * bs(f, k, t, 0.0, 0.0, vol, call)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_option_at_expiry_is_intrinsic():
    m = flat_market()
    trades = [
        EquityOption(trade_id="c", underlying="X", quantity=2, strike=90, expiry=FLAT_DATE,
                     option_type="call", volatility=0.2),
        EquityOption(trade_id="p", underlying="X", quantity=2, strike=90, expiry=FLAT_DATE,
                     option_type="put", volatility=0.2),
    ]
    pv = bind(trades, m, FLAT_DATE).pv()
    assert pv["c"] == pytest.approx(20.0)
    assert pv["p"] == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_put_call_parity(market, date, seed):
    rng = np.random.default_rng(seed)
    row = market.levels.loc[date]
    expiry = date + pd.Timedelta(days=int(rng.integers(10, 2000)))
    k_eq = float(row["EQ_SPX"]) * rng.uniform(0.7, 1.3)
    k_fx = float(row["FX_EURUSD"]) * rng.uniform(0.8, 1.2)
    k_c = float(row["CMD_WTI"]) * rng.uniform(0.8, 1.2)
    q, carry = rng.uniform(0, 0.04), rng.uniform(-0.04, 0.04)
    trades = []
    for cp in ("call", "put"):
        trades += [
            EquityOption(trade_id=f"eq_{cp}", underlying="SPX", quantity=3, strike=k_eq,
                         expiry=expiry, option_type=cp, vol_factor="VOL_VIX",
                         dividend_yield=q),
            FXOption(trade_id=f"fx_{cp}", pair="EURUSD", notional=1e6, strike=k_fx,
                     expiry=expiry, option_type=cp, volatility=0.11),
            CommodityOption(trade_id=f"c_{cp}", underlying="WTI", quantity=100, strike=k_c,
                            expiry=expiry, option_type=cp, volatility=0.4, carry=carry),
        ]
    trades += [
        EquityForward(trade_id="eq_fwd", underlying="SPX", quantity=3, strike=k_eq,
                      maturity=expiry, dividend_yield=q),
        FXForward(trade_id="fx_fwd", pair="EURUSD", notional=1e6, strike=k_fx, maturity=expiry),
        CommodityForward(trade_id="c_fwd", underlying="WTI", quantity=100, strike=k_c,
                         maturity=expiry, carry=carry),
    ]
    pv = bind(trades, market, date).pv()
    for p in ("eq", "fx", "c"):
        scale = abs(pv[f"{p}_call"]) + abs(pv[f"{p}_put"]) + 1.0
        assert pv[f"{p}_call"] - pv[f"{p}_put"] == pytest.approx(pv[f"{p}_fwd"], abs=1e-9 * scale)


def par_rate(trade, market, date):
    """Par fixed rate from the naive discount factors: (DF(s) - DF(T)) / annuity."""
    lv = base_levels(market, date)
    ccy = trade.currency

    def d(when):
        return naive.df(lv, market.factors, ccy, naive.yf(date, when))

    annuity = sum(naive.yf(a, e) * d(e) for a, e in naive.periods(
        trade.start_date, trade.maturity, naive.months(trade.fixed_period)))
    return (d(trade.start_date) - d(trade.maturity)) / annuity


@pytest.mark.parametrize("years", [1, 2, 3, 7, 10, 12, 25, 30, 40])
@pytest.mark.parametrize("ccy", ["USD", "EUR"])
def test_par_swap_has_zero_pv(market, date, years, ccy):
    start = date + pd.Timedelta(days=2)
    proto = InterestRateSwap(trade_id="s", currency=ccy, notional=1e8, fixed_rate=0.0,
                             start_date=start, maturity=start + pd.DateOffset(years=years))
    par = par_rate(proto, market, date)
    swap = InterestRateSwap(trade_id="s", currency=ccy, notional=1e8, fixed_rate=par,
                            start_date=start, maturity=proto.maturity)
    pv = bind([swap], market, date).pv().iloc[0]
    assert abs(pv) < 1e-6 * 1e8
    off = InterestRateSwap(trade_id="s", currency=ccy, notional=1e8, fixed_rate=par + 1e-4,
                           start_date=start, maturity=proto.maturity)
    assert bind([off], market, date).pv().iloc[0] < -1e8 * 1e-4 * 0.5 * min(years, 5)


def test_payer_and_receiver_offset(market, date):
    kw = dict(currency="USD", notional=1e7, fixed_rate=0.03, start_date="2024-05-01",
              maturity="2031-05-01", last_fixing=0.05)
    pv = bind([InterestRateSwap(trade_id="a", **kw),
               InterestRateSwap(trade_id="b", direction="receiver", **kw)], market, date).pv()
    assert pv["a"] == pytest.approx(-pv["b"], rel=1e-12)


def test_cds_at_par_spread_is_near_zero_and_sides_offset():
    m = flat_market(spread=150.0)
    trades = [CreditDefaultSwap(trade_id=s, reference="X", notional=1e7, coupon_bp=150.0,
                                maturity="2030-01-02", direction=s) for s in ("buy", "sell")]
    pv = bind(trades, m, FLAT_DATE).pv()
    assert pv["buy"] == pytest.approx(-pv["sell"], rel=1e-12)
    # credit triangle: coupon = spread means (almost) zero value; discretisation leaves a little
    assert abs(pv["buy"]) < 1e-4 * 1e7
    wider = bind([CreditDefaultSwap(trade_id="w", reference="X", notional=1e7, coupon_bp=100.0,
                                    maturity="2030-01-02")], m, FLAT_DATE).pv().iloc[0]
    # protection bought at 100bp when the market is at 150bp: worth about 50bp x risky duration
    assert wider == pytest.approx(0.005 * 1e7 * 4.3, rel=0.1)


def test_kernels_never_raise_on_degenerate_numbers():
    # an option on a zero spot, with zero volatility and zero time: a finite number
    x = np.array([0.0, 1.0])
    ip = np.array([[K.BLACK, 0, 0, -1, -1, 0, 0, 0, 0, 0, 0]], dtype=np.int64)
    fp = np.zeros((1, K.N_FP))
    fp[0, K.F_SIGN], fp[0, K.F_AMOUNT], fp[0, K.F_STRIKE], fp[0, K.F_CALL] = 1, 1, 10, 1
    fp[0, K.F_FWD] = 1.0
    empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
    book = K.TradeArrays(ip, fp, empty_f, empty_i, empty_i, empty_f, empty_i, empty_i, empty_f,
                         empty_i)
    out = K.pv_kernel(x, book)
    assert out.shape == (1,)
    assert out[0] == 0.0
    x[0] = 20.0
    assert K.pv_kernel(x, book)[0] == 10.0


def test_normal_tail_is_double_precision():
    from scipy.special import ndtr

    v = np.concatenate([np.linspace(-40, 40, 20001), np.random.default_rng(0).normal(0, 3, 5000)])
    got = np.array([naive_kernels.norm_cdf(float(a)) for a in v])
    np.testing.assert_allclose(got, ndtr(v), rtol=0, atol=2e-15)
    tail = (v < -5) & (v > -37)
    np.testing.assert_allclose(got[tail], ndtr(v[tail]), rtol=1e-7)


# ---------------------------------------------------------------------- hypothesis: random books
products = st.sampled_from([t for t in every_product()])


@settings(max_examples=25, deadline=None)
@given(st.lists(products, min_size=1, max_size=8, unique_by=lambda t: t.trade_id),
       st.integers(0, 2**31 - 1), st.floats(0.1, 3.0))
def test_random_books_kernel_vs_twin(market, date, trades, seed, scale):
    bp = bind(Portfolio(tuple(trades)), market, date)
    shocks = random_shocks(bp, 3, seed, scale)
    want = naive.revalue(trades, base_levels(market, date), market.factors, date, shocks)
    np.testing.assert_allclose(bp.revalue(shocks).to_numpy(), want, rtol=1e-9, atol=1e-6)
