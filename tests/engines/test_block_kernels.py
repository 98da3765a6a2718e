"""Block-pricer engine kernels against their scalar twins in ``tests/naive.py``.

``rolling_tail_block_kernel`` (used by ``rolling_im``) against ``naive.rolling_tail_kernel``
(scalar pricer, trade by trade, full sort of the scenarios), and ``mc_pnl_block_kernel`` (used
by ``monte_carlo_im``) against ``naive.mc_pnl_kernel``, on the same inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.engines import _kernels as HK
from imresearch.engines import _mc_kernels as MK
from imresearch.engines.calibration import calibrate
from imresearch.engines.hs import _Setup
from imresearch.engines.mc import MCModel, PathSimulator
from imresearch.marketdata import synthetic_market
from imresearch.models import HSModel
from imresearch.portfolio import bind, load_portfolio
from imresearch.portfolio._kernels import pv_block_states
from tests import naive


@pytest.fixture(scope="module")
def market():
    return synthetic_market(seed=1, years=4)


@pytest.fixture(scope="module")
def bound(market):
    book = load_portfolio("dealer_book").trades
    kinds: dict[str, int] = {}
    picked = []
    for t in book:  # three trades of every type
        if kinds.get(t.TYPE, 0) < 3:
            kinds[t.TYPE] = kinds.get(t.TYPE, 0) + 1
            picked.append(t)
    return bind(picked, market)


@settings(max_examples=6, deadline=None)
@given(st.sampled_from([
    HSModel(lookback_days=300, filtering="ewma"),
    HSModel(lookback_days=250, stress=True, stress_length=100, stress_weight=0.3),
    HSModel(lookback_days=200, measure="es", quantile_method="exact"),
]), st.lists(st.sampled_from([0.0, 1.0, -0.5, 2.0]), min_size=1, max_size=1),
    st.integers(0, 2**31 - 1))
def test_rolling_block_kernel_matches_scalar_twin(market, bound, model, wsample, seed):
    s = _Setup(bound, market, model, None)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(np.arange(s.first_row(), s.n), 5, replace=False)).astype(np.int64)
    ranges = s.ranges(rows)
    w = rng.choice([0.0, 1.0, wsample[0]], size=bound.n_trades)
    w[0] = 1.0
    sw = -1.0 if model.stress_weight is None else model.stress_weight
    args = (s.levels, rows, s.shocks, s.vols(rows), s.mult, s.disp, s.unit, *ranges, sw,
            1.0 - model.confidence, model.quantile_method == "exact")
    var0, es0, arg0 = naive.rolling_tail_kernel(*args, w, bound.arrays)
    var1, es1, arg1 = HK.rolling_tail_block_kernel(*args, bound.block(w))
    scale = np.abs(var0).max() + 1.0
    np.testing.assert_allclose(var1, var0, rtol=1e-9, atol=1e-9 * scale)
    np.testing.assert_allclose(es1, es0, rtol=1e-9, atol=1e-9 * scale)
    same = np.isclose(var1, var0, rtol=1e-12, atol=0)  # no near-tie: the same VaR scenario
    np.testing.assert_array_equal(arg1[same], arg0[same])


@pytest.mark.parametrize("kind", ["gaussian", "garch", "t"])
def test_mc_block_kernel_matches_scalar_twin(market, bound, kind):
    model = {"gaussian": MCModel(), "t": MCModel(copula="t", copula_dof=5.0),
             "garch": MCModel(volatility="garch", garch_dynamics=True)}[kind]
    cal = calibrate(market, factors=bound.factor_names, **model.calibration_kwargs())
    sim = PathSimulator(cal, model, 7, 11)
    innov = sim.innovations(0, 150)  # two blocks and a partial one
    hsteps = np.array([1, 3, 7], dtype=np.int64)
    garch = cal.garch if cal.garch is not None else np.zeros((cal.n_factors, 3))
    unit = np.ascontiguousarray(bound.scale)
    base = np.ascontiguousarray(cal.base_levels)
    pv0 = float(bound.pv_state(base * unit).sum())
    common = (innov, sim.lt, sim.fused, np.ascontiguousarray(cal.vol), garch,
              bool(model.garch_dynamics), base, cal.mult, cal.disp, unit, hsteps)
    want = np.empty((150, 3))
    naive.mc_pnl_kernel(*common, pv0, want, bound.arrays)
    bk = bound.block(np.ones(bound.n_trades))
    pv0b = float(pv_block_states((base * unit)[None, :], 1, bk)[0, 0])
    assert pv0b == pytest.approx(pv0, rel=1e-12)
    got = np.empty((150, 3))
    MK.mc_pnl_block_kernel(*common, pv0b, got, 3, bk)
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-8 * np.abs(want).max())
    # chunking does not change a path's number
    again = np.empty((150, 3))
    MK.mc_pnl_block_kernel(*common, pv0b, again, 1, bk)
    np.testing.assert_array_equal(again, got)
