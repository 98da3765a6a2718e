"""Calibration of the Monte Carlo model: estimators against hand computations and naive twins."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.engines.calibration import calibrate, fit_t_copula_dof, fit_t_dof
from imresearch.engines.covariance import (
    CorrelationRepairWarning,
    ewma_covariance,
    ledoit_wolf,
    nearest_correlation,
    repair_correlation,
    sample_covariance,
)
from imresearch.errors import CalibrationError, InputError
from imresearch.marketdata import synthetic_market
from tests.engines.conftest import levels_market


# --------------------------------------------------------------------------- Ledoit-Wolf
def naive_ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit and Wolf (2004), Lemmas 3.2-3.4, with explicit loops over observations."""
    n, p = x.shape
    xc = x - x.mean(axis=0)
    s = sum(np.outer(xc[k], xc[k]) for k in range(n)) / n

    def norm2(a: np.ndarray) -> float:  # their normalised Frobenius norm ||A||^2 = tr(AA^T)/p
        return float(np.trace(a @ a.T)) / p

    m = np.trace(s) / p
    d2 = norm2(s - m * np.eye(p))
    b2_bar = sum(norm2(np.outer(xc[k], xc[k]) - s) for k in range(n)) / n**2
    b2 = min(b2_bar, d2)
    a2 = d2 - b2
    return b2 / d2 * m * np.eye(p) + a2 / d2 * s, b2 / d2


def test_ledoit_wolf_hand_computed_example() -> None:
    # S = diag(0.5, 2), mu = 1.25, d2 = 0.5625, b2 = 17/32: shrinkage 17/18.
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 2.0], [0.0, -2.0]])
    cov, shrink = ledoit_wolf(x)
    assert shrink == pytest.approx(17 / 18, rel=1e-12)
    np.testing.assert_allclose(cov, np.diag([29 / 24, 31 / 24]), rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 40), p=st.integers(2, 8), seed=st.integers(0, 10_000))
def test_ledoit_wolf_matches_paper_formula(n: int, p: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, p)) @ rng.standard_normal((p, p)) + rng.normal(size=p)
    cov, shrink = ledoit_wolf(x)
    ref, ref_shrink = naive_ledoit_wolf(x)
    assert 0.0 <= shrink <= 1.0
    assert shrink == pytest.approx(ref_shrink, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(cov, ref, rtol=1e-9, atol=1e-12)


def test_ledoit_wolf_is_well_conditioned_when_p_exceeds_n() -> None:
    x = np.random.default_rng(0).standard_normal((10, 30))
    cov, shrink = ledoit_wolf(x)
    assert 0 < shrink <= 1
    assert np.linalg.eigvalsh(cov)[0] > 0  # the sample covariance itself is singular here
    assert np.linalg.matrix_rank(sample_covariance(x)) < 30


def test_ewma_and_sample_covariance_against_loops() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((50, 3))
    lam = 0.9
    num = np.zeros((3, 3))
    den = 0.0
    for i in range(50):
        w = lam ** (49 - i)
        num += w * np.outer(x[i], x[i])
        den += w
    np.testing.assert_allclose(ewma_covariance(x, lam), num / den, rtol=1e-12)
    xc = x - x.mean(axis=0)
    np.testing.assert_allclose(sample_covariance(x), xc.T @ xc / 49, rtol=1e-12)
    with pytest.raises(InputError, match="ewma_lambda"):
        ewma_covariance(x, 1.0)


# --------------------------------------------------------------------------- repair
def test_nearest_correlation_higham_example() -> None:
    # Higham (2002), section 4: the nearest correlation matrix to this one.
    a = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    x = nearest_correlation(a)
    expected = np.array([[1.0, 0.7607, 0.1573], [0.7607, 1.0, 0.7607], [0.1573, 0.7607, 1.0]])
    np.testing.assert_allclose(x, expected, atol=1e-4)


@pytest.mark.parametrize("method", ["higham", "clip"])
def test_repair_warns_with_the_size_of_the_change(method: str) -> None:
    a = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.warns(CorrelationRepairWarning, match="Frobenius norm of the change") as rec:
        fixed, change = repair_correlation(a, method)
    assert np.linalg.eigvalsh(fixed)[0] > 0
    np.testing.assert_allclose(np.diag(fixed), 1.0)
    assert change == pytest.approx(np.linalg.norm(fixed - a, "fro"), rel=1e-12)
    assert f"{change:.3g}" in str(rec[0].message)
    with pytest.raises(CalibrationError, match="not positive definite"):
        repair_correlation(a, "none")


def test_repair_leaves_a_positive_definite_matrix_alone() -> None:
    a = np.array([[1.0, 0.3], [0.3, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fixed, change = repair_correlation(a)
    assert change == 0.0
    np.testing.assert_array_equal(fixed, a)


# --------------------------------------------------------------------------- marginals
def test_t_dof_fit_recovers_the_truth_and_rejects_infinite_variance() -> None:
    rng = np.random.default_rng(5)
    assert fit_t_dof(rng.standard_t(5.0, 5000)) == pytest.approx(5.0, rel=0.25)
    with pytest.raises(CalibrationError, match=r"factor 'EQ_X'.*<= 2"):
        fit_t_dof(rng.standard_cauchy(3000), "EQ_X")


def test_t_copula_dof_fit_recovers_the_truth() -> None:
    rng = np.random.default_rng(6)
    corr = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.4], [0.2, 0.4, 1.0]])
    n, nu = 3000, 4.0
    z = rng.standard_normal((n, 3)) @ np.linalg.cholesky(corr).T
    y = z / np.sqrt(rng.chisquare(nu, n) / nu)[:, None]
    u = (np.argsort(np.argsort(y, axis=0), axis=0) + 1.0) / (n + 1.0)
    assert fit_t_copula_dof(u, corr) == pytest.approx(nu, rel=0.35)
    z2 = rng.standard_normal((n, 3)) @ np.linalg.cholesky(corr).T
    u2 = (np.argsort(np.argsort(z2, axis=0), axis=0) + 1.0) / (n + 1.0)
    assert fit_t_copula_dof(u2, corr) > 20  # Gaussian data: large dof


# --------------------------------------------------------------------------- calibrate
def test_calibrate_constant_normal_matches_sample_statistics() -> None:
    rng = np.random.default_rng(1)
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    x = rng.multivariate_normal([0, 0], cov, 600)
    market = levels_market(x)
    cal = calibrate(market, lookback_days=400)
    window = x[-399:]
    np.testing.assert_allclose(cal.covariance.to_numpy(), np.cov(window.T), rtol=1e-10)
    np.testing.assert_allclose(cal.vol, window.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(cal.cholesky @ cal.cholesky.T, cal.correlation, atol=1e-14)
    assert cal.n_observations == 399
    assert cal.windows == ((market.dates[-400], market.dates[-1]),)
    assert np.isinf(cal.marginal_dof).all() and np.isinf(cal.copula_dof)


def test_calibrate_recent_plus_stress_pools_disjoint_windows() -> None:
    market = synthetic_market(seed=2, years=8, factors=("EQ_SPX", "FX_EURUSD", "IR_USD_5y"))
    cal = calibrate(market, window="recent+stress", lookback_days=250, stress_length=250,
                    covariance="ledoit_wolf")
    assert len(cal.windows) in (1, 2)
    (r0, r1) = cal.windows[0]
    assert r1 == market.dates[-1]
    if len(cal.windows) == 2:
        s0, s1 = cal.windows[1]
        assert s0 < s1
        assert s1 <= r0
    assert cal.n_observations >= 249
    assert cal.shrinkage is not None and 0 <= cal.shrinkage <= 1
    only_stress = calibrate(market, window="stress", stress_length=250)
    assert only_stress.n_observations == 249
    # the stress window is the most volatile: its vol is at least the recent one on average
    recent = calibrate(market, lookback_days=250)
    assert (only_stress.vol / recent.vol).mean() >= 1.0


def test_calibrate_garch_forecast_matches_a_naive_filter() -> None:
    rng = np.random.default_rng(11)
    n, (w, a, b) = 2000, (1e-6, 0.08, 0.9)
    v = w / (1 - a - b)
    d = np.empty(n)
    for i in range(n):
        d[i] = np.sqrt(v) * rng.standard_normal()
        v = w + a * d[i] ** 2 + b * v
    market = levels_market(d[:, None] * 100.0, ["EQ_G"])
    cal = calibrate(market, lookback_days=n + 1, volatility="garch")
    om, al, be = cal.garch[0]
    assert al + be == pytest.approx(a + b, abs=0.05)
    var = om / (1 - al - be)
    x = cal.shocks[:, 0]
    resid = np.empty(n)
    for i in range(n):
        resid[i] = x[i] / np.sqrt(var)
        var = om + al * x[i] ** 2 + be * var
    assert cal.vol[0] == pytest.approx(np.sqrt(var), rel=1e-10)
    np.testing.assert_allclose(cal.innovations[:, 0], resid, rtol=1e-10)


def test_calibrate_fits_t_marginals_and_copula() -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_t(4.0, (1500, 2)) * [1.0, 2.0]
    cal = calibrate(levels_market(x), lookback_days=1501, marginal="t", copula="t")
    assert cal.marginal_dof == pytest.approx([4.0, 4.0], rel=0.35)
    assert cal.copula_dof > 2
    fixed = calibrate(levels_market(x), lookback_days=1501, marginal="t", marginal_dof=7.5)
    np.testing.assert_array_equal(fixed.marginal_dof, [7.5, 7.5])


# --------------------------------------------------------------------------- bad input
def test_window_too_short_names_the_argument() -> None:
    market = levels_market(np.random.default_rng(0).standard_normal((300, 2)))
    with pytest.raises(InputError, match=r"lookback_days=30 gives 29 daily shocks.*too short"):
        calibrate(market, lookback_days=30)
    with pytest.raises(InputError, match="lookback_days=500 is longer"):
        calibrate(market, lookback_days=500)
    with pytest.raises(InputError, match="stress_length=50 gives 49"):
        calibrate(market, window="stress", stress_length=50)


def test_singular_covariance_cannot_be_repaired() -> None:
    x = np.random.default_rng(0).standard_normal((200, 3))
    x[:, 1] = 0.0  # a factor that never moves
    with pytest.raises(CalibrationError, match=r"factor 'EQ_F1' has zero variance.*singular"):
        calibrate(levels_market(x), lookback_days=150)


def test_collinear_factors_are_repaired_with_a_warning() -> None:
    x = np.random.default_rng(0).standard_normal((200, 3))
    x[:, 2] = x[:, 0] - x[:, 1]  # exactly collinear: correlation has a zero eigenvalue
    with pytest.warns(CorrelationRepairWarning, match="Frobenius norm of the change"):
        cal = calibrate(levels_market(x), lookback_days=150)
    assert cal.repair_change > 0
    assert np.linalg.eigvalsh(cal.correlation)[0] > 0
    with pytest.raises(CalibrationError, match="repair='none'"):
        calibrate(levels_market(x), lookback_days=150, repair="none")


@pytest.mark.parametrize("arg", ["marginal_dof", "copula_dof"])
@pytest.mark.parametrize("value", [2, 1.5, -3.0])
def test_degrees_of_freedom_at_most_two_are_rejected(arg: str, value: float) -> None:
    market = levels_market(np.random.default_rng(0).standard_normal((200, 2)))
    with pytest.raises(InputError, match=rf"{arg} must be a number > 2; got {value!r}"):
        calibrate(market, lookback_days=150, marginal="t", copula="t", **{arg: value})


def test_bad_options_name_the_argument() -> None:
    market = levels_market(np.random.default_rng(0).standard_normal((200, 2)))
    with pytest.raises(InputError, match="covariance must be one of"):
        calibrate(market, covariance="oas")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="volatility='garch' needs the recent window"):
        calibrate(market, window="stress", volatility="garch", stress_length=100)
    with pytest.raises(InputError, match="date 1999-01-01 is not a date"):
        calibrate(market, "1999-01-01")
