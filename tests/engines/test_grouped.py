"""IM per group of trades from one revaluation: the grouped kernels against their slow twins,
and each group's numbers against the whole-book engine run on that group alone."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.engines import _kernels as HK
from imresearch.engines import _mc_kernels as MK
from imresearch.engines.grouped import group_codes, grouped_monte_carlo_im, grouped_rolling_im
from imresearch.engines.hs import _Setup, rolling_im
from imresearch.engines.mc import monte_carlo_im
from imresearch.errors import InputError
from imresearch.marketdata import synthetic_market
from imresearch.measures import tail
from imresearch.models import HSModel, MCModel
from imresearch.portfolio import bind
from imresearch.portfolio._kernels import pv_block_states
from tests import naive
from tests.books import each_type


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=1, years=4)


@pytest.fixture(scope="module")
def bound(market):
    return bind(each_type(3), market)


@settings(max_examples=6, deadline=None)
@given(st.sampled_from([
    HSModel(lookback_days=300, filtering="ewma"),
    HSModel(lookback_days=250, stress=True, stress_length=100, stress_weight=0.3),
    HSModel(lookback_days=200, measure="es", quantile_method="exact"),
]), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_group_kernel_matches_scalar_twin(market, bound, model, n_groups, seed):
    s = _Setup(bound, market, model, None)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(np.arange(s.first_row(), s.n), 4, replace=False)).astype(np.int64)
    codes = rng.integers(0, n_groups, bound.n_trades).astype(np.int64)
    codes[:n_groups] = np.arange(n_groups)  # every group has a trade
    sw = -1.0 if model.stress_weight is None else model.stress_weight
    args = (s.levels, rows, s.shocks, s.vols(rows), s.mult, s.disp, s.unit, *s.ranges(rows), sw,
            1.0 - model.confidence, model.quantile_method == "exact")
    var0, es0, arg0 = naive.rolling_tail_group_kernel(*args, codes, n_groups, bound.arrays)
    var1, es1, arg1 = HK.rolling_tail_group_kernel(*args, n_groups, 3,
                                                   bound.block(groups=codes))
    scale = np.abs(var0).max() + 1.0
    np.testing.assert_allclose(var1, var0, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(es1, es0, rtol=1e-9, atol=1e-9 * scale)
    same = np.isclose(var1, var0, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(arg1[same], arg0[same])
    # the number of parallel runs does not change a number
    again = HK.rolling_tail_group_kernel(*args, n_groups, 1, bound.block(groups=codes))
    np.testing.assert_array_equal(again[0], var1)


def _netting_sets(bound):
    return [t.netting_set for t in bound.trades]


@pytest.mark.parametrize("model", [
    HSModel(lookback_days=250),
    HSModel(lookback_days=500, filtering="ewma"),
    HSModel(lookback_days=250, stress=True, stress_length=120, stress_weight=0.25),
    HSModel(lookback_days=250, measure="es", filtering="garch", garch_refit_days=250),
], ids=["hs", "fhs", "stress", "es-garch"])
def test_each_group_is_the_engine_on_the_group_alone(market, bound, model):
    dates = market.dates[-40::13]
    got = grouped_rolling_im(bound, market, _netting_sets(bound), model, dates=dates)
    views = bound.split("netting_set")
    assert list(got.call.columns) == list(views)
    for ns, view in views.items():
        call = rolling_im(view, market, model=model, dates=dates)
        post = rolling_im(view, market, model=model, dates=dates,
                          trade_weights=-np.ones(view.n_trades))
        np.testing.assert_array_equal(got.call[ns].to_numpy(), call["im"].to_numpy())
        np.testing.assert_array_equal(got.post[ns].to_numpy(), post["im"].to_numpy())
        np.testing.assert_array_equal(got.var[("post", ns)].to_numpy(), post["var"].to_numpy())


def test_options_shared_by_netting_sets_keep_each_group_exact(market):
    """An option held in several netting sets is priced once for all of them; each netting
    set still gets exactly the numbers of the engine on it alone, whatever order its trades
    come in and whatever the other netting sets hold."""
    trades = each_type(3)
    options = [t for t in trades if "Option" in type(t).__name__]
    assert options
    def size(t, factor):  # the option scaled
        return {f: getattr(t, f) * factor for f in ("notional", "quantity") if hasattr(t, f)}

    copies = ([dataclasses.replace(t, trade_id=f"{t.trade_id}-x", netting_set="NS_X",
                                   counterparty="X", **size(t, 2.0)) for t in options]
              + [dataclasses.replace(t.negated(), trade_id=f"{t.trade_id}-y", netting_set="NS_Y",
                                     counterparty="Y") for t in options[::-1]])
    book = bind(trades + copies, market)
    model = HSModel(lookback_days=250, filtering="ewma")
    dates = market.dates[-30::10]
    got = grouped_rolling_im(book, market, _netting_sets(book), model, dates=dates)
    for ns, view in book.split("netting_set").items():
        alone = rolling_im(view, market, model=model, dates=dates)
        np.testing.assert_array_equal(got.call[ns].to_numpy(), alone["im"].to_numpy())


def test_groups_bound_alone_agree_without_stress(market, bound):
    """Without a stress window nothing depends on the factor set: a netting set bound on its
    own factors gives the same IM (to rounding: its P&L is summed in another order)."""
    model = HSModel(lookback_days=300, filtering="ewma")
    dates = market.dates[-30::10]
    got = grouped_rolling_im(bound, market, _netting_sets(bound), model, dates=dates)
    for ns in got.call.columns:
        trades = [t for t in bound.trades if t.netting_set == ns]
        alone = rolling_im(trades, market, model=model, dates=dates, bind_date=bound.date)
        np.testing.assert_allclose(got.call[ns].to_numpy(), alone["im"].to_numpy(), rtol=1e-10)


def test_views_share_the_bound_arrays(bound):
    order = np.argsort([t.netting_set for t in bound.trades], kind="stable")
    book = bound.take(order)
    views = book.split("netting_set")
    for view in views.values():
        assert np.shares_memory(view.arrays.ip, book.arrays.ip)
        assert view.arrays.cf_c is book.arrays.cf_c and view.factor_names is book.factor_names
    assert sum(v.n_trades for v in views.values()) == bound.n_trades
    with pytest.raises(InputError, match="no trades taken"):
        bound.take([])


def test_monte_carlo_groups_share_one_simulation(market, bound):
    model = MCModel(n_paths=3000, seed=7, lookback_days=500)
    d = market.dates[-1]
    got = grouped_monte_carlo_im(bound, market, _netting_sets(bound), d, model)
    for ns, view in bound.split("netting_set").items():
        alone = monte_carlo_im(view, market, d, model)
        assert got.call.loc[d, ns] == alone.im
        post = tail(-alone.pnl.to_numpy(), model.confidence)
        assert got.post.loc[d, ns] == max(post.var, 0.0)


def test_mc_group_kernel_sums_to_the_book(market, bound):
    """The groups' path P&L add up to the whole book's on the same paths."""
    from imresearch.engines.calibration import calibrate
    from imresearch.engines.mc import PathSimulator

    model = MCModel()
    cal = calibrate(market, factors=bound.factor_names, **model.calibration_kwargs())
    sim = PathSimulator(cal, model, 10, 3)
    unit, base = np.ascontiguousarray(bound.scale), np.ascontiguousarray(cal.base_levels)
    common = (sim.innovations(0, 130), sim.lt, sim.fused, np.ascontiguousarray(cal.vol),
              np.zeros((cal.n_factors, 3)), False, base, cal.mult, cal.disp, unit,
              np.array([5, 10], dtype=np.int64))
    codes, labels = group_codes(_netting_sets(bound), bound.n_trades)
    bk = bound.block(groups=codes)
    pv0 = pv_block_states((base * unit)[None, :], len(labels), bk)[0]
    by_group = np.empty((130, 2, len(labels)))
    MK.mc_group_pnl_kernel(*common, pv0, by_group, 2, bk)
    whole = np.empty((130, 2))
    one = bound.block(np.ones(bound.n_trades))
    MK.mc_pnl_block_kernel(*common, float(pv_block_states((base * unit)[None, :], 1, one)[0, 0]),
                           whole, 2, one)
    np.testing.assert_allclose(by_group.sum(axis=2), whole, rtol=1e-9,
                               atol=1e-9 * np.abs(whole).max())


def test_bad_groups(market, bound):
    with pytest.raises(InputError, match="one group per trade"):
        grouped_rolling_im(bound, market, ["a"], HSModel(lookback_days=250))
    with pytest.raises(InputError, match="missing values"):
        grouped_rolling_im(bound, market, [None] * bound.n_trades, HSModel(lookback_days=250))
    with pytest.raises(InputError, match="model must be an MCModel"):
        grouped_monte_carlo_im(bound, market, _netting_sets(bound), None, HSModel())
    assert isinstance(group_codes(["b", "a", "b"], 3)[1], pd.Index)
