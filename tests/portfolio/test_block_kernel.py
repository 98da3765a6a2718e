"""The block pricer (SIMD over market states) against its twins.

Twins: ``numpy.exp`` and ``scipy.special.ndtr`` for the vectorisable exponential and normal
tail; the scalar pricer :func:`imresearch.portfolio._kernels.pv_kernel` (itself checked against
the naive pricers in ``test_pricers.py``) for per-trade PVs and for weighted portfolio totals
with merged linear terms.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr

from imresearch._numba import jit
from imresearch.marketdata.synthetic import synthetic_market
from imresearch.portfolio import Portfolio, bind
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.examples import EXAMPLE_DATE, random_portfolio
from tests import naive

from .conftest import every_product


@jit(error_model="numpy")
def _vexp_array(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = K.vexp(x[i])
    return out


@jit(error_model="numpy")
def _cdf_array(v: np.ndarray) -> np.ndarray:
    out = np.empty_like(v)
    for i in range(v.shape[0]):
        a = abs(v[i])
        t = K._tail_v(a, K.vexp(-0.5 * a * a))
        out[i] = 1.0 - t if v[i] > 0.0 else t
    return out


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_vexp_is_within_two_ulps_over_its_range():
    x = np.concatenate([np.linspace(-708.0, 709.0, 400_001),
                        np.random.default_rng(0).uniform(-2.0, 2.0, 100_000),
                        [0.0, -0.0, 1e-300, -1e-300, 0.5 * np.log(2.0), -0.5 * np.log(2.0)]])
    assert _ulps(_vexp_array(x), np.exp(x)).max() <= 2.0


def test_vexp_special_values():
    got = _vexp_array(np.array([np.nan, -np.inf, -1000.0, np.inf, 1000.0, 0.0]))
    assert np.isnan(got[0])
    assert got[1] == 0.0 and got[2] == 0.0
    assert got[3] == np.inf and got[4] == np.inf
    assert got[5] == 1.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-708.0, 709.0), min_size=1, max_size=70))
def test_vexp_property(xs):
    x = np.array(xs)
    assert _ulps(_vexp_array(x), np.exp(x)).max() <= 2.0


def test_vectorised_normal_cdf_matches_scipy():
    v = np.concatenate([np.linspace(-40, 40, 80_001),
                        np.random.default_rng(1).normal(0, 3, 20_000)])
    got = _cdf_array(v)
    np.testing.assert_allclose(got, ndtr(v), rtol=0, atol=1e-15)
    tail = (v < -5) & (v > -37)
    np.testing.assert_allclose(got[tail], ndtr(v[tail]), rtol=1e-7)
    # the same numbers as the scalar pricer's normal tail, to rounding
    sub = v[::40]
    scalar = np.array([naive.norm_cdf(float(a)) for a in sub])
    np.testing.assert_allclose(got[::40], scalar, rtol=1e-12, atol=1e-16)


def _states(bp, n: int, seed: int, scale: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mult = np.exp(rng.standard_normal((n, bp.n_factors)) * 0.05 * scale)
    return np.ascontiguousarray(bp.base_state * mult)


@pytest.fixture(scope="module")
def book():
    market = synthetic_market(seed=0)
    return bind(random_portfolio(market, EXAMPLE_DATE, 300, option_share=0.5, seed=3), market,
                EXAMPLE_DATE)


def test_block_pvs_per_trade_match_the_scalar_pricer(book):
    x = _states(book, 150, 0)  # more than two blocks, the last one partial
    got = K.pv_block_states(x, book.n_trades, book.block())
    want = np.vstack([book.pv_state(row) for row in x])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-6)


def test_block_total_with_weights_matches_the_weighted_sum(book):
    w = np.random.default_rng(1).choice([0.0, 1.0, 0.5, -2.0], size=book.n_trades)
    x = _states(book, 70, 2)
    got = K.pv_block_states(x, 1, book.block(w))[:, 0]
    want = np.array([book.pv_state(row) @ w for row in x])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-6 * np.abs(want).max())
    # merged linear terms: at most one per (spot, grid point, FX) combination
    ti = book.block(w).ti
    assert len({tuple(r) for r in ti}) == len(ti)
    assert (ti[:, 0] == 0).all()


def test_an_option_held_many_times_is_priced_once(book):
    """Equal options of many trades and groups are one option of the pricer, each group adding
    its amount of it: the group PVs still equal the sums of the trades' scalar PVs."""
    copies = [dataclasses.replace(t if k != 1 else t.negated(), trade_id=f"{t.trade_id}-{k}")
              for k in range(3) for t in book.trades]
    thrice = bind(Portfolio(tuple(copies), "thrice"), synthetic_market(seed=0), EXAMPLE_DATE)
    groups = np.random.default_rng(5).integers(0, 7, size=thrice.n_trades)
    bk = thrice.block(groups=groups)
    assert bk.oi.shape[0] == book.block().oi.shape[0] > 0
    assert bk.oi.shape[0] == len({tuple(r) for r in np.column_stack([bk.oi, bk.of])})
    x = _states(thrice, 70, 6)
    got = K.pv_block_states(x, 7, bk)
    pv = np.vstack([thrice.pv_state(row) for row in x])
    want = np.column_stack([pv[:, groups == g].sum(axis=1) for g in range(7)])
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-6 * np.abs(want).max())


def test_results_do_not_depend_on_blocking(book):
    x = _states(book, 140, 4)
    full = K.pv_block_states(x, book.n_trades, book.block())
    for off in (1, 37, 63, 64, 65):
        part = K.pv_block_states(np.ascontiguousarray(x[off:]), book.n_trades,
                                 book.block())
        np.testing.assert_array_equal(part, full[off:])
    one = np.vstack([K.pv_block_states(x[i:i + 1], book.n_trades, book.block())
                     for i in range(5)])
    np.testing.assert_array_equal(one, full[:5])


def test_revalue_is_thread_count_invariant(book):
    numba = pytest.importorskip("numba")
    from imresearch._numba import DISABLE_NUMBA

    if DISABLE_NUMBA or numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs Numba with at least 2 threads")
    shocks = np.random.default_rng(5).standard_normal((300, book.n_factors)) * 0.02
    runs = []
    for threads in (1, 2):
        numba.set_num_threads(threads)
        try:
            runs.append(book.revalue(shocks))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(runs[0], runs[1])


products = st.sampled_from(list(every_product()))


@settings(max_examples=25, deadline=None)
@given(st.lists(products, min_size=1, max_size=10, unique_by=lambda t: t.trade_id),
       st.integers(0, 2**31 - 1), st.floats(0.1, 4.0),
       st.lists(st.sampled_from([0.0, 1.0, -1.0, 0.3]), min_size=10, max_size=10))
def test_random_books_block_vs_scalar(market, date, trades, seed, scale, weights):
    bp = bind(Portfolio(tuple(trades)), market, date)
    x = _states(bp, 9, seed, scale)
    want = np.vstack([bp.pv_state(row) for row in x])
    got = K.pv_block_states(x, bp.n_trades, bp.block())
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-6)
    w = np.array(weights[:bp.n_trades])
    tot = K.pv_block_states(x, 1, bp.block(w))[:, 0]
    np.testing.assert_allclose(tot, want @ w, rtol=1e-10,
                               atol=1e-6 * max(1.0, np.abs(want).max()))


def test_zero_shock_gives_exactly_zero_pnl_and_revalue_levels(book):
    zero = np.zeros((3, book.n_factors))
    assert (book.revalue(zero) == 0.0).all()
    lv = np.tile(book.base_levels, (2, 1))
    assert (book.revalue_levels(pd.DataFrame(lv, columns=book.factor_names)).to_numpy()
            == 0.0).all()
