"""HS / FHS engines against a naive twin built from independent pieces.

The twin uses the market layer's convention shocks (``horizon_shocks`` + ``apply_shocks``),
the portfolio's own ``pv_states``, a plain-Python EWMA loop and ``imresearch.measures``; the
engine uses its additive shock space, its own kernels and rolling windows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.engines import historical_im, realised_pnl, rolling_im
from imresearch.errors import InputError
from imresearch.marketdata import apply_shocks, horizon_shocks, synthetic_market
from imresearch.measures import es, var
from imresearch.models import HSModel
from imresearch.portfolio import bind, load_portfolio


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=1, years=4)


@pytest.fixture(scope="module")
def trades():
    book = load_portfolio("dealer_book").trades
    kinds: dict[str, int] = {}
    picked = []
    for t in book:  # three trades of every type
        if kinds.get(t.TYPE, 0) < 3:
            kinds[t.TYPE] = kinds.get(t.TYPE, 0) + 1
            picked.append(t)
    return picked


def naive_pnl(bound, market, row: int, lookback: int, horizon: int,
              sigma_scale: np.ndarray | None = None) -> np.ndarray:
    """Portfolio P&L of the HS scenarios at ``row`` from convention shocks and pv_states."""
    hist = market.select(bound.factor_names)
    base = hist.values[row]
    shocks = horizon_shocks(hist, horizon)
    starts = np.asarray(hist.dates.get_indexer(shocks.start))
    keep = (starts >= row - lookback) & (starts + horizon <= row)
    levels = apply_shocks(base, shocks.values[keep], list(hist.factors.values()))
    pv0 = bound.pv_states((base * bound.scale)[None, :]).sum()
    pv = bound.pv_states(levels * bound.scale).sum(axis=1)
    return pv - pv0


@pytest.mark.parametrize("row_offset", [0, 37, 250])
def test_hs_im_matches_naive_twin(market, trades, row_offset: int) -> None:
    row = market.n_dates - 1 - row_offset
    date = market.dates[row]
    model = HSModel(lookback_days=500)
    res = historical_im(trades, market, date, model)
    bound = bind(trades, market, date)
    pnl = naive_pnl(bound, market, row, 500, 10)
    assert res.n_scenarios == len(pnl) == 491
    np.testing.assert_allclose(np.sort(res.pnl.to_numpy()), np.sort(pnl), rtol=1e-9, atol=1e-6)
    assert res.var == pytest.approx(var(pnl, 0.99), rel=1e-10)
    assert res.es == pytest.approx(es(pnl, 0.99), rel=1e-10)
    assert res.attribution["var_contribution"].sum() == pytest.approx(res.var, rel=1e-9)
    assert res.attribution["es_contribution"].sum() == pytest.approx(res.es, rel=1e-9)
    assert res.by_risk_class["var_contribution"].sum() == pytest.approx(res.var, rel=1e-9)


def test_rolling_equals_single_date_runs(market, trades) -> None:
    bind_date = market.dates[-1]
    for model in (HSModel(lookback_days=500),
                  HSModel(lookback_days=300, stress=True, stress_length=120),
                  HSModel(lookback_days=300, stress=True, stress_length=120, stress_weight=0.25),
                  HSModel(lookback_days=500, filtering="ewma", vol_floor=0.5),
                  HSModel(lookback_days=500, scaling="sqrt_time", measure="es")):
        roll = rolling_im(trades, market, market.dates[-60], None, model)
        assert len(roll) == 60
        for date in (roll.index[0], roll.index[23], roll.index[-1]):
            one = historical_im(trades, market, date, model, bind_date=bind_date)
            assert roll.loc[date, "im"] == pytest.approx(one.im, rel=1e-9), model.label
            assert roll.loc[date, "n_scenarios"] == one.n_scenarios


def test_fhs_matches_naive_ewma_twin(market, trades) -> None:
    model = HSModel(lookback_days=400, filtering="ewma", ewma_lambda=0.97)
    row = market.n_dates - 1
    res = historical_im(trades, market, None, model)
    bound = bind(trades, market)
    hist = market.select(bound.factor_names)
    x = hist.values
    mult = np.array([s.convention in ("log", "relative", "displaced_relative")
                     for s in hist.factors.values()])
    daily = np.where(mult, np.log(x[1:] / x[:-1]), x[1:] - x[:-1])
    var0 = (daily[:250] ** 2).mean(axis=0)
    sig = [np.sqrt(var0)]
    for d in daily:  # plain loop EWMA
        sig.append(np.sqrt(0.97 * sig[-1] ** 2 + 0.03 * d**2))
    sig = np.array(sig)
    u = daily / sig[:-1]
    scen = []
    for k in range(row - 400, row - 10 + 1):
        a = sig[row] * u[k : k + 10].sum(axis=0)
        scen.append(np.where(mult, x[row] * np.exp(a), x[row] + a))
    pv0 = bound.pv_states((x[row] * bound.scale)[None, :]).sum()
    pnl = bound.pv_states(np.array(scen) * bound.scale).sum(axis=1) - pv0
    assert res.var == pytest.approx(var(pnl, 0.99), rel=1e-8)


def test_stress_scenarios_extend_the_recent_set(market, trades) -> None:
    calm = HSModel(lookback_days=250)
    stressed = HSModel(lookback_days=250, stress=True, stress_length=250)
    a = historical_im(trades, market, None, calm)
    b = historical_im(trades, market, None, stressed)
    assert b.stress_window is not None
    start, end = b.stress_window
    recent_start = a.pnl.index.get_level_values("start").min()
    added = set(b.pnl.index) - set(a.pnl.index)
    assert max(s for s, _ in added) < recent_start  # only shocks not already in the lookback
    assert max(e for _, e in added) == end and min(s for s, _ in added) == start
    n_stress = b.n_scenarios - a.n_scenarios
    assert 0 < n_stress <= 250 - 10 + 1
    assert set(a.pnl.index) <= set(b.pnl.index)
    assert -b.pnl.min() >= -a.pnl.min()  # worst loss of a superset


@settings(max_examples=10, deadline=None)
@given(st.sampled_from([0.95, 0.975, 0.99]), st.integers(100, 600))
def test_weighted_stress_is_between_recent_and_stress_only(confidence: float,
                                                           lookback: int) -> None:
    """A 25% stress weight mixes two scenario sets: the weighted VaR is the weighted quantile
    (computed here by hand), between the VaR of the recent set alone and of the stress set
    alone."""
    from imresearch.engines.hs import _Setup

    m = synthetic_market(seed=1, years=4)
    book = load_portfolio("dealer_book").trades[:20]
    model = HSModel(lookback_days=lookback, confidence=confidence, stress=True,
                    stress_weight=0.25)
    w = historical_im(book, m, None, model)
    setup = _Setup(book, m, model, m.end)
    lo1, hi1, lo1b, hi1b, lo2, hi2 = (int(x[0]) for x in setup.ranges(np.array([m.n_dates - 1])))
    n_recent, n_stress = (hi1 - lo1) + (hi1b - lo1b), hi2 - lo2
    losses = -w.pnl.to_numpy()
    recent, stress = losses[:n_recent], losses[n_recent:]
    assert len(stress) == n_stress > 0
    share = n_stress / (n_recent + n_stress)
    weights = (np.full(len(losses), 1 / len(losses)) if share >= 0.25 else
               np.r_[np.full(n_recent, 0.75 / n_recent), np.full(n_stress, 0.25 / n_stress)])
    order = np.argsort(-losses, kind="stable")
    tail = np.cumsum(weights[order])
    want = losses[order][np.searchsorted(tail, 1 - confidence - 1e-12)]  # weight >= 1 - c
    assert w.var == pytest.approx(want, rel=1e-12)
    lo, hi = sorted((var(-recent, confidence), var(-stress, confidence)))
    assert lo - 1e-9 <= w.var <= hi + 1e-9


def test_realised_pnl(market, trades) -> None:
    pnl = realised_pnl(trades, market, 10)
    bound = bind(trades, market)
    x = market.select(bound.factor_names).values * bound.scale
    pv = bound.pv_states(x).sum(axis=1)
    np.testing.assert_allclose(pnl.to_numpy(), pv[10:] - pv[:-10], rtol=1e-9, atol=1e-6)
    assert pnl.index[0] == market.dates[0] and len(pnl) == market.n_dates - 10


def test_bad_input(market, trades) -> None:
    with pytest.raises(InputError, match="lookback_days=2520 is longer than the"):
        historical_im(trades, market, None, HSModel())
    with pytest.raises(InputError, match="confidence must be in"):
        HSModel(confidence=1.0)
    with pytest.raises(InputError, match="stress_weight needs stress=True"):
        HSModel(stress_weight=0.25)
    with pytest.raises(InputError, match="is not a date of market"):
        historical_im(trades, market, "2002-12-28", HSModel(lookback_days=250))
    with pytest.raises(InputError, match="no date in"):
        rolling_im(trades, market, None, market.dates[100], HSModel(lookback_days=500))
    with pytest.raises(InputError, match="rolling IM supports quantile_method"):
        rolling_im(trades, market, model=HSModel(lookback_days=250, quantile_method="linear"))
    with pytest.raises(InputError, match="trade_weights must have shape"):
        rolling_im(trades, market, model=HSModel(lookback_days=250), trade_weights=np.ones(2))
    assert isinstance(market.dates, pd.DatetimeIndex)


def test_linear_rolling_matches_pandas_and_brute_force(market) -> None:
    from imresearch.engines import linear_pnl, linear_rolling_im

    expo = pd.Series({"EQ_SPX": 1e6, "IR_USD_10y": -2500.0})
    im = linear_rolling_im(expo, market, lookback_days=300, horizon=10)
    pnl = linear_pnl(expo, market, 10)
    window = 291
    k = int(np.ceil(window * 0.01))
    q = (window - k) / (window - 1)
    ref = (-pnl).rolling(window).quantile(q, interpolation="lower").dropna()
    np.testing.assert_allclose(im["var"].to_numpy(), ref.to_numpy(), rtol=1e-12)
    last = np.sort(-pnl.to_numpy()[-window:])[::-1]
    assert im["es"].iloc[-1] == pytest.approx(last[:k].mean())
    s = horizon_shocks(market.select(list(expo.index)), 10).frame
    brute = 1e6 * np.expm1(s["EQ_SPX"]) - 2500.0 * s["IR_USD_10y"]
    np.testing.assert_allclose(pnl.to_numpy(), brute.to_numpy())
    with pytest.raises(InputError, match=r"absent from market"):
        linear_rolling_im(pd.Series({"EQ_NOPE": 1.0}), market)
    with pytest.raises(InputError, match="is longer than the history"):
        linear_rolling_im(expo, market, lookback_days=5000)


def test_same_numbers_with_one_or_two_threads(market, trades) -> None:
    numba = pytest.importorskip("numba")
    from imresearch._numba import DISABLE_NUMBA

    if DISABLE_NUMBA or numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs Numba with at least 2 threads")
    model = HSModel(lookback_days=300, filtering="ewma", stress=True, stress_length=120,
                    stress_weight=0.25)
    results = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            results.append(rolling_im(trades, market, market.dates[-30], None, model))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    pd.testing.assert_frame_equal(results[0], results[1], check_exact=True)


def test_stress_weight_applies_to_stressed_observations_inside_the_lookback() -> None:
    from imresearch.measures import weighted_var_es

    m = synthetic_market(seed=1, years=6)
    book = load_portfolio("dealer_book").trades[:20]
    plain = HSModel(lookback_days=1000)
    weighted = HSModel(lookback_days=1000, stress=True, stress_length=250, stress_weight=0.25)
    for date in m.dates[1100::50]:  # a date whose most stressed year is inside the lookback
        a = historical_im(book, m, date, plain)
        w = historical_im(book, m, date, weighted)
        start, end = w.stress_window
        if start >= a.pnl.index.get_level_values("start").min():
            break
    else:
        pytest.fail("no date with the stress window inside the lookback")
    # the same scenarios (no duplicates) ...
    assert sorted(w.pnl.index) == sorted(a.pnl.index)
    # ... with the stressed ones (wholly inside the stress window) carrying 25% of the weight
    starts = a.pnl.index.get_level_values("start")
    ends = a.pnl.index.get_level_values("end")
    stressed = (starts >= start) & (ends <= end)
    assert 0 < stressed.sum() < len(stressed)
    weights = np.where(stressed, 0.25 / stressed.sum(), 0.75 / (~stressed).sum())
    want_var, want_es = weighted_var_es(a.pnl.to_numpy(), weights, 0.99)
    assert w.var == pytest.approx(want_var, rel=1e-12)
    assert w.es == pytest.approx(want_es, rel=1e-12)
    share = stressed.sum() / len(stressed)
    assert share < 0.25 and w.im != pytest.approx(a.im, rel=1e-6)
    # the rolling kernel agrees on the same date
    r = rolling_im(book, m, date, date, weighted, bind_date=date)
    assert r["im"].iloc[0] == pytest.approx(w.im, rel=1e-9)
    assert r["n_scenarios"].iloc[0] == len(a.pnl) and r["n_stress_scenarios"].iloc[0] == (
        stressed.sum())


def test_stress_weight_is_a_floor_on_the_stressed_share(market, trades) -> None:
    # a 1-year lookback plus a 1-year stress window before it: about half the scenarios are
    # stressed, more than 25%, so "at least 25%" leaves every scenario with the same weight
    date = market.dates[-1]
    equal = historical_im(trades, market, date, HSModel(lookback_days=250, stress=True))
    floor = historical_im(trades, market, date, HSModel(lookback_days=250, stress=True,
                                                        stress_weight=0.25))
    assert floor.im == equal.im and floor.es == equal.es
    high = historical_im(trades, market, date, HSModel(lookback_days=250, stress=True,
                                                       stress_weight=0.9))
    assert high.im != equal.im
