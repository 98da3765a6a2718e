"""Monte Carlo IM engine: analytic limits, reproducibility, naive twins, streaming, bad input."""

from __future__ import annotations

import tracemalloc

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from imresearch.engines.calibration import calibrate
from imresearch.engines.mc import (
    STREAM_BLOCK,
    MCModel,
    PathSimulator,
    monte_carlo_im,
    var_confidence_interval,
)
from imresearch.errors import CalibrationError, InputError
from imresearch.marketdata import synthetic_market
from imresearch.portfolio import EquityPosition, bind, load_portfolio
from tests.engines.conftest import levels_market

COV = np.array([[4.0, 1.0, -0.6], [1.0, 1.0, 0.3], [-0.6, 0.3, 2.25]])
QTY = np.array([3.0, -5.0, 2.0])


@pytest.fixture(scope="module")
def linear() -> tuple:
    """Three absolute-convention factors and positions in them: P&L linear in the shocks."""
    x = np.random.default_rng(42).multivariate_normal(np.zeros(3), COV, 800)
    market = levels_market(x)
    trades = [EquityPosition(trade_id=f"P{j}", underlying=f"F{j}", quantity=abs(q),
                             direction="long" if q > 0 else "short")
              for j, q in enumerate(QTY)]
    return market, trades


@pytest.fixture(scope="module")
def dealer() -> tuple:
    market = synthetic_market(seed=1, years=4)
    book = load_portfolio("dealer_book").trades
    kinds: dict[str, int] = {}
    picked = []
    for t in book:  # two trades of every type
        if kinds.get(t.TYPE, 0) < 2:
            kinds[t.TYPE] = kinds.get(t.TYPE, 0) + 1
            picked.append(t)
    return market, bind(picked, market)


def analytic_sigma(cal, qty: np.ndarray) -> float:
    return float(np.sqrt(qty @ cal.covariance.to_numpy() @ qty))


# --------------------------------------------------------------------------- analytic limits
def test_linear_normal_var_converges_to_the_analytic_value(linear) -> None:
    market, trades = linear
    res = monte_carlo_im(trades, market, n_paths=200_000, seed=7,
                         model=MCModel(lookback_days=500))
    sigma = analytic_sigma(res.calibration, QTY) * np.sqrt(10)
    z = stats.norm.ppf(0.99)
    analytic_var = z * sigma
    analytic_es = sigma * stats.norm.pdf(z) / 0.01
    lo, hi = res.ci
    assert lo <= analytic_var <= hi
    assert res.im == pytest.approx(analytic_var, rel=0.015)
    assert res.es_ci[0] <= analytic_es <= res.es_ci[1]
    # the interval shrinks like 1 / sqrt(n) and keeps covering the analytic value
    conv = res.convergence
    assert list(conv.index) == sorted(conv.index) and conv.index[-1] == 200_000
    width = conv["ci_upper"] - conv["ci_lower"]
    assert width.iloc[-1] < 0.4 * width.iloc[-5]  # 16x the paths: about 1/4 the width
    big = conv[conv.index >= 10_000]
    assert ((big["ci_lower"] <= analytic_var) & (analytic_var <= big["ci_upper"])).all()


def test_pfe_profile_scales_with_the_square_root_of_time(linear) -> None:
    market, trades = linear
    res = monte_carlo_im(trades, market, n_paths=100_000, seed=3, pfe_horizons=(1, 5, 20),
                         model=MCModel(lookback_days=500))
    assert list(res.pfe.index) == [1, 5, 10, 20]
    sigma = analytic_sigma(res.calibration, QTY) * stats.norm.ppf(0.99)
    for h, row in res.pfe.iterrows():
        assert row["var"] == pytest.approx(sigma * np.sqrt(h), rel=0.03)
    assert res.pfe.loc[10, "var"] == res.var
    np.testing.assert_array_equal(res.pnl_horizons[10].to_numpy(), res.pnl.to_numpy())


def test_t_copula_with_large_dof_matches_the_gaussian_copula(dealer) -> None:
    market, bound = dealer
    common = {"n_paths": 20_000, "seed": 11}
    gauss = monte_carlo_im(bound, market, model=MCModel(copula="gaussian"), **common)
    t_big = monte_carlo_im(bound, market, model=MCModel(copula="t", copula_dof=1e7),
                           **common)
    assert t_big.im == pytest.approx(gauss.im, rel=1e-3)
    np.testing.assert_allclose(t_big.pnl, gauss.pnl, rtol=1e-3, atol=1e-3 * gauss.im)
    t_low = monte_carlo_im(bound, market, model=MCModel(copula="t", copula_dof=3.0), **common)
    assert not np.allclose(t_low.pnl, gauss.pnl, rtol=1e-2)


def test_t_marginals_fatten_the_tail_of_a_linear_book(linear) -> None:
    market, trades = linear
    common = {"n_paths": 100_000, "seed": 2, "confidence": 0.999}
    normal = monte_carlo_im(trades, market, model=MCModel(lookback_days=500), **common)
    fat = monte_carlo_im(trades, market, model=MCModel(lookback_days=500, marginal="t",
                                                       marginal_dof=8.0), **common)
    assert fat.var > normal.var  # same variance, heavier tails: larger 99.9% quantile
    assert np.std(fat.pnl) == pytest.approx(np.std(normal.pnl), rel=0.05)


# --------------------------------------------------------------------------- reproducibility
@pytest.mark.parametrize("model", [
    MCModel(),
    MCModel(copula="t", copula_dof=4.0, marginal="t", marginal_dof=5.0, antithetic=True),
    MCModel(method="bootstrap", volatility="garch", garch_dynamics=True),
], ids=["gaussian", "t-t-antithetic", "filtered-bootstrap"])
def test_same_seed_same_im_for_any_threads_and_block_size(dealer, model: MCModel) -> None:
    market, bound = dealer
    n = 2 * STREAM_BLOCK + 300
    runs = {}
    old = numba.get_num_threads()
    try:
        for threads in (1, 2):
            numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
            for block in (4096, 1000, 333):
                runs[threads, block] = monte_carlo_im(bound, market, n_paths=n, seed=99,
                                                      model=model, block_size=block)
    finally:
        numba.set_num_threads(old)
    ref = runs[1, 4096]
    for key, res in runs.items():
        np.testing.assert_array_equal(res.pnl.to_numpy(), ref.pnl.to_numpy(), err_msg=str(key))
        assert res.im == ref.im and res.ci == ref.ci
    # a run on fewer paths is the prefix of a longer one
    short = monte_carlo_im(bound, market, n_paths=1500, seed=99, model=model, block_size=700)
    np.testing.assert_array_equal(short.pnl.to_numpy(), ref.pnl.to_numpy()[:1500])
    other = monte_carlo_im(bound, market, n_paths=n, seed=100, model=model)
    assert other.im != ref.im


def test_seed_types(linear) -> None:
    market, trades = linear
    kw = {"n_paths": 500, "model": MCModel(lookback_days=500)}
    a = monte_carlo_im(trades, market, seed=5, **kw)
    b = monte_carlo_im(trades, market, seed=np.random.SeedSequence(5), **kw)
    assert a.im == b.im
    c = monte_carlo_im(trades, market, seed=None, **kw)
    d = monte_carlo_im(trades, market, seed=np.random.SeedSequence(c.seed_entropy), **kw)
    assert c.im == d.im
    with pytest.raises(InputError, match="seed must be"):
        monte_carlo_im(trades, market, seed=-1, **kw)


def test_antithetic_pairs_mirror_a_linear_book(linear) -> None:
    market, trades = linear
    res = monte_carlo_im(trades, market, n_paths=2000, seed=1,
                         model=MCModel(lookback_days=500, antithetic=True))
    p = res.pnl.to_numpy()
    np.testing.assert_allclose(p[0::2], -p[1::2], rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- naive twin
def naive_paths_pnl(bound, cal, innov: np.ndarray, vol0: np.ndarray, garch, hsteps,
                    correlated: bool) -> np.ndarray:
    """Path by path: correlate, scale (GARCH loop), sum, levels, revalue with revalue_levels."""
    n_p, n_t, n_f = innov.shape
    out = np.empty((n_p, len(hsteps)))
    for p in range(n_p):
        var = vol0**2
        acc = np.zeros(n_f)
        h = 0
        for t in range(n_t):
            z = innov[p, t] if correlated else cal.cholesky @ innov[p, t]
            d = np.sqrt(var) * z
            acc = acc + d
            if garch is not None:
                var = garch[:, 0] + garch[:, 1] * d * d + garch[:, 2] * var
            if h < len(hsteps) and t + 1 == hsteps[h]:
                lv = np.where(cal.mult == 1, (cal.base_levels + cal.disp) * np.exp(acc)
                              - cal.disp, cal.base_levels + acc)
                out[p, h] = bound.revalue_levels(lv[None, :]).sum()
                h += 1
    return out


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32), steps=st.integers(1, 6),
       kind=st.sampled_from(["gaussian", "t", "garch"]))
def test_kernel_matches_naive_twin(dealer, seed: int, steps: int, kind: str) -> None:
    market, bound = dealer
    model = {"gaussian": MCModel(), "t": MCModel(copula="t", copula_dof=5.0),
             "garch": MCModel(volatility="garch", garch_dynamics=True)}[kind]
    cal = calibrate(market, factors=bound.factor_names, **model.calibration_kwargs())
    n = 40
    res = monte_carlo_im(bound, market, n_paths=n, horizon=steps, seed=seed, model=model,
                         calibration=cal, pfe_horizons=(1,))
    sim = PathSimulator(cal, model, steps, seed)
    innov = sim.innovations(0, n)
    ref = naive_paths_pnl(bound, cal, innov, cal.vol, cal.garch if kind == "garch" else None,
                          sorted({1, steps}), correlated=not sim.fused)
    np.testing.assert_allclose(res.pnl_horizons.to_numpy(), ref, rtol=1e-8,
                               atol=1e-6 * np.abs(ref).max())


def test_bootstrap_resamples_historical_days(linear) -> None:
    market, trades = linear
    model = MCModel(method="bootstrap", lookback_days=500)
    res = monte_carlo_im(trades, market, n_paths=3000, horizon=1, seed=4, model=model)
    hist = res.calibration.shocks @ QTY  # one-day P&L of each historical day
    assert np.isin(np.round(res.pnl.to_numpy(), 6), np.round(hist, 6)).all()
    sim = PathSimulator(res.calibration, model, 10, 4)
    idx = sim.draws(0, 3000)["idx"]
    cont = (idx[:, 1:] == (idx[:, :-1] + 1) % res.calibration.n_observations).mean()
    assert cont == pytest.approx(1 - 1 / model.bootstrap_block, abs=0.02)


# --------------------------------------------------------------------------- intervals
def test_order_statistic_interval_has_its_coverage() -> None:
    rng = np.random.default_rng(0)
    q = stats.norm.ppf(0.99)
    hits = 0
    reps = 400
    for _ in range(reps):
        lo, hi = var_confidence_interval(rng.standard_normal(2000), 0.99, 0.9)
        hits += lo <= q <= hi
    # coverage >= 90% by construction; binomial noise of 400 trials: allow 3 sd below
    assert hits / reps >= 0.9 - 3 * np.sqrt(0.09 / reps)


def test_bootstrap_interval_is_close_to_the_binomial_one(linear) -> None:
    market, trades = linear
    common = {"n_paths": 50_000, "seed": 8}
    a = monte_carlo_im(trades, market, model=MCModel(lookback_days=500), **common)
    b = monte_carlo_im(trades, market, model=MCModel(lookback_days=500, ci_method="bootstrap",
                                                     n_bootstrap=100), **common)
    assert a.im == b.im
    wa, wb = a.ci[1] - a.ci[0], b.ci[1] - b.ci[0]
    assert wb == pytest.approx(wa, rel=0.5)
    assert b.ci[0] <= b.im <= b.ci[1]


# --------------------------------------------------------------------------- streaming
def test_memory_is_bounded_by_the_block_not_the_paths(linear) -> None:
    market, trades = linear
    n = 1_000_000
    cal = calibrate(market, factors=[f"EQ_F{j}" for j in range(3)], lookback_days=500)
    monte_carlo_im(trades, market, n_paths=1000, seed=0, calibration=cal)  # compile, warm
    tracemalloc.start()
    res = monte_carlo_im(trades, market, n_paths=n, seed=0, calibration=cal, block_size=8192,
                         convergence_points=3)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    materialised = n * 10 * 3 * 8  # paths x steps x factors float64: 240 MB
    assert peak < 0.25 * materialised
    assert res.pnl.nbytes == 8 * n


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(("kwargs", "match"), [
    ({"n_paths": 0}, "n_paths must be an integer >= 1; got 0"),
    ({"n_paths": 100, "horizon": 0}, "horizon must be an integer >= 1; got 0"),
    ({"n_paths": 100, "confidence": 1.0}, r"confidence must be in \(0.0, 1.0\); got 1.0"),
    ({"n_paths": 100, "block_size": 0}, "block_size must be an integer >= 1; got 0"),
    ({"n_paths": 100, "pfe_horizons": (5, -1)}, "pfe_horizons must be an integer >= 1"),
    ({"n_paths": 100, "model": MCModel(lookback_days=40)},
     "lookback_days=40 gives 39 daily shocks, fewer than min_observations=60"),
])
def test_bad_run_arguments(linear, kwargs: dict, match: str) -> None:
    market, trades = linear
    with pytest.raises(InputError, match=match):
        monte_carlo_im(trades, market, **kwargs)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"marginal_dof": 2}, "marginal_dof must be a number > 2 .*; got 2"),
    ({"copula_dof": 1.0}, "copula_dof must be a number > 2 .*; got 1.0"),
    ({"garch_dynamics": True}, "garch_dynamics=True needs volatility='garch'"),
    ({"method": "bootstrap", "antithetic": True}, "antithetic=True needs method='parametric'"),
    ({"window": "stress", "volatility": "garch"}, "needs the recent window"),
    ({"covariance": "oas"}, "covariance must be one of"),
    ({"bootstrap_block": 0.5}, "bootstrap_block must be >= 1; got 0.5"),
])
def test_bad_model_settings(kwargs: dict, match: str) -> None:
    with pytest.raises(InputError, match=match):
        MCModel(**kwargs)


def test_singular_covariance_fails_naming_the_factor(linear) -> None:
    trades = linear[1]
    x = np.random.default_rng(1).standard_normal((300, 3))
    x[:, 2] = 0.0
    flat = levels_market(x)
    with pytest.raises(CalibrationError, match="factor 'EQ_F2' has zero variance"):
        monte_carlo_im(trades, flat, n_paths=100, model=MCModel(lookback_days=200))


def test_result_fields_and_label(dealer) -> None:
    market, bound = dealer
    model = MCModel(measure="es", window="recent+stress", covariance="ledoit_wolf")
    res = monte_carlo_im(bound, market, n_paths=5000, seed=1, model=model)
    assert res.im == res.es and res.ci == res.es_ci
    assert res.ci[0] < res.es < res.ci[1]
    assert res.var_ci[0] <= res.var <= res.var_ci[1]
    assert res.es >= res.var > 0
    assert res.paths_per_second > 0 and res.n_paths == 5000
    assert model.label == "MC gaussian-copula/normal 3y+stress ES"
    assert res.calibration.factor_names == tuple(bound.factor_names)
