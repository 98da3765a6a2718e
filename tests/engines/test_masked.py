"""Engines on groups of factors (risk classes) and of trades: the kernel against its slow twin,
each group against the whole-book engine on what it should equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.engines import _group_kernels as GK
from imresearch.engines.grouped import grouped_monte_carlo_im, grouped_rolling_im
from imresearch.engines.hs import _Setup, rolling_im
from imresearch.engines.masked import mask_factors, monte_carlo_group_im, rolling_group_im
from imresearch.engines.mc import monte_carlo_im
from imresearch.errors import InputError
from imresearch.marketdata import synthetic_market
from imresearch.models import HSModel, MCModel
from imresearch.portfolio import bind
from imresearch.portfolio.products import EquityPosition, InterestRateSwap
from tests import naive
from tests.books import each_type


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=1, years=4)


@pytest.fixture(scope="module")
def bound(market):
    return bind(each_type(2), market)


def by_class(bound):
    groups: dict[str, list[str]] = {}
    for f in bound.factor_names:
        groups.setdefault(bound.factor_specs[f].risk_class, []).append(f)
    return groups


@settings(max_examples=5, deadline=None)
@given(st.sampled_from([
    HSModel(lookback_days=300, filtering="ewma"),
    HSModel(lookback_days=250, stress=True, stress_length=100, stress_weight=0.3),
    HSModel(lookback_days=200, measure="es", quantile_method="exact"),
]), st.integers(0, 2**31 - 1))
def test_masked_kernel_matches_scalar_twin(market, bound, model, seed):
    mb = mask_factors(bound, by_class(bound))
    s = _Setup(bound, market, model, None)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(np.arange(s.first_row(), s.n), 3, replace=False)).astype(np.int64)
    n_g = mb.n_groups
    realised = rng.normal(0, 1e5, (len(rows), n_g))
    realised[0, 0] = np.nan
    sw = -1.0 if model.stress_weight is None else model.stress_weight
    args = (mb.tile(s.levels), rows, mb.masked(s.shocks), mb.tile(s.vols(rows)),
            mb.tile(s.mult), mb.tile(s.disp), mb.tile(s.unit), *s.ranges(rows), sw,
            1.0 - model.confidence, model.quantile_method == "exact")
    var0, es0, pit0 = naive.rolling_group_pit_kernel(*args, mb.codes, n_g, mb.bound.arrays,
                                                     realised)
    var1, es1, pit1 = GK.rolling_group_tail_kernel(*args, n_g, 2, realised,
                                                   mb.bound.block(groups=mb.codes))
    scale = np.abs(var0).max() + 1.0
    np.testing.assert_allclose(var1, var0, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(es1, es0, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(pit1, pit0, rtol=0, atol=1e-12)
    assert np.isnan(pit1[0, 0])


@given(st.lists(st.integers(-3, 3), min_size=1, max_size=30), st.integers(-3, 3),
       st.booleans())
def test_loss_pit_matches_counting(losses, realised, weighted):
    x = np.array(losses, dtype=float)
    w = np.linspace(1.0, 2.0, len(x)) if weighted else np.empty(0)
    assert GK.loss_pit(x, w, float(realised)) == pytest.approx(
        naive.loss_pit(x, w, float(realised)), abs=1e-12)


def test_one_group_of_every_factor_is_the_whole_book(market, bound):
    model = HSModel(lookback_days=250, filtering="ewma")
    whole = rolling_im(bound, market, model=model, step=40)
    res = rolling_group_im(bound, market, model, factor_groups={"all": bound.factor_names},
                           step=40)
    np.testing.assert_allclose(res.var["all"], whole["var"], rtol=1e-10)
    np.testing.assert_allclose(res.es["all"], whole["es"], rtol=1e-10)


def test_trade_groups_equal_the_grouped_engine(market, bound):
    model = HSModel(lookback_days=250)
    groups = [t.netting_set for t in bound.trades]
    ref = grouped_rolling_im(bound, market, groups, model, step=50)
    res = rolling_group_im(bound, market, model, trade_groups=groups, step=50)
    pd.testing.assert_frame_equal(res.im, ref.call[res.im.columns], rtol=1e-12,
                                  check_names=False)


def test_risk_classes_of_an_additive_book_are_its_parts(market):
    """USD swaps move only with rates, equity positions only with equity: each class's IM
    is that part of the book alone."""
    d = market.dates[-1]
    swaps = [InterestRateSwap(trade_id=f"S{i}", notional=1e7 * (i + 1), currency="USD",
                              fixed_rate=0.02, start_date=d,
                              maturity=d + pd.DateOffset(years=5 * i + 2),
                              direction="payer" if i % 2 else "receiver") for i in range(2)]
    stocks = [EquityPosition(trade_id="E0", underlying="SPX", quantity=5e3, bucket="11")]
    book = bind(swaps + stocks, market)
    groups = by_class(book)
    model = HSModel(lookback_days=250)
    res = rolling_group_im(book, market, model, factor_groups=groups, step=60)
    ir = rolling_im(bind(swaps, market), market, model=model, step=60)
    eq = rolling_im(bind(stocks, market), market, model=model, step=60)
    np.testing.assert_allclose(res.var["IR"], ir["var"], rtol=1e-10)
    np.testing.assert_allclose(res.var["equity"], eq["var"], rtol=1e-10)


def test_monte_carlo_groups(market, bound):
    model = MCModel(n_paths=2000, lookback_days=250)
    date = market.dates[-1]
    whole = monte_carlo_im(bound, market, date, model, seed=3)
    one = monte_carlo_group_im(bound, market, date, model, seed=3,
                               factor_groups={"all": bound.factor_names})
    assert one.var["all"].iloc[0] == pytest.approx(whole.var, rel=1e-10)
    groups = [t.netting_set for t in bound.trades]
    ref = grouped_monte_carlo_im(bound, market, groups, date, model, seed=3)
    res = monte_carlo_group_im(bound, market, date, model, seed=3, trade_groups=groups,
                               realised={groups[0]: -1e12})
    pd.testing.assert_frame_equal(res.im, ref.call[res.im.columns], rtol=1e-12,
                                  check_names=False)
    assert res.pit[groups[0]].iloc[0] == 0.0  # a loss beyond every path


def test_bad_groups(market, bound):
    with pytest.raises(InputError, match="factor 'NOPE' is not a factor"):
        mask_factors(bound, {"x": ["NOPE"]})
    with pytest.raises(InputError, match="either trade_groups or factor_groups"):
        rolling_group_im(bound, market, HSModel())
