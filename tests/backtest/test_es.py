"""Expected-shortfall backtests against their definitions, scipy and the published critical
values of Acerbi and Szekely (2014)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from imresearch import backtest as bt
from imresearch.backtest import es as E
from imresearch.errors import InputError


@given(st.integers(1, 60), st.integers(0, 2**31), st.sampled_from([0.01, 0.025, 0.1]))
def test_z2_is_its_formula(n: int, seed: int, alpha: float) -> None:
    rng = np.random.default_rng(seed)
    pnl = rng.standard_t(4, n)
    var = rng.uniform(0.5, 3.0, n)
    es = var * rng.uniform(1.0, 1.5, n)
    total = 0.0
    for x, v, e in zip(pnl, var, es):
        if x < -v:
            total += x / (n * alpha * e)
    assert bt.acerbi_szekely_z2(pnl, var, es, alpha) == pytest.approx(1.0 + total, abs=1e-12)


@pytest.mark.parametrize("df", [3.0, 5.0, 30.0])
def test_student_t_es_against_integration(df: float) -> None:
    alpha = 0.025
    var, es = E.student_t_var_es(alpha, df)
    assert stats.t.cdf(-var, df) == pytest.approx(alpha)
    tail, _ = integrate.quad(lambda x: x * stats.t.pdf(x, df), -np.inf, -var)
    assert es == pytest.approx(-tail / alpha, rel=1e-7)


def test_tail_sampler_has_the_brute_force_distribution() -> None:
    n, alpha, df, sims = 100, 0.05, 5.0, 20_000
    fast = E._z2_null(n, alpha, df, sims, 11)
    var, es = E.student_t_var_es(alpha, df)
    x = np.random.default_rng(12).standard_t(df, (sims, n))
    brute = 1.0 + np.where(x < -var, x, 0.0).sum(axis=1) / (n * alpha * es)
    assert stats.ks_2samp(fast, brute).pvalue > 0.001
    assert np.quantile(fast, 0.05) == pytest.approx(np.quantile(brute, 0.05), abs=0.03)


def test_published_critical_values() -> None:
    # Acerbi and Szekely (2014), alpha = 2.5%, T = 250: -0.70 at 5%, -1.8 at 0.01%
    z = E._z2_null(250, 0.025, 100.0, 200_000, 0)
    assert np.quantile(z, 0.05) == pytest.approx(-0.70, abs=0.02)
    assert np.quantile(z, 0.0001) == pytest.approx(-1.8, abs=0.15)
    crit = bt.z2_critical_values(250, 0.025)
    assert -0.80 < crit[0.05] <= np.quantile(z, 0.05)  # lowest over the degrees of freedom


def test_z2_test_accepts_a_right_model_and_rejects_an_underestimated_es() -> None:
    rng = np.random.default_rng(3)
    var, es = E.student_t_var_es(0.025, 5.0)
    pnl = rng.standard_t(5.0, 500)
    ok = bt.z2_test(pnl, np.full(500, var), np.full(500, es), 0.025, n_sims=20_000)
    assert ok.zone == "green" and ok.p_value > 0.05
    bad = bt.z2_test(1.6 * pnl, np.full(500, var), np.full(500, es), 0.025, n_sims=20_000)
    assert bad.z2 < bad.critical_5pct and bad.p_value < 0.01 and bad.zone != "green"


def test_multinomial_against_scipy() -> None:
    u = np.random.default_rng(5).uniform(size=800) ** 1.3  # heavier lower tail than uniform
    res = bt.multinomial_test(u, 0.025, 4)
    np.testing.assert_allclose(res.levels, [0.975, 0.98125, 0.9875, 0.99375])
    # cells by hand: number of levels whose loss quantile is exceeded
    cells = np.array([sum(x < 1 - a for a in res.levels) for x in u])
    np.testing.assert_array_equal(res.observed, np.bincount(cells, minlength=5))
    chi = stats.chisquare(res.observed, res.expected)
    assert res.pearson == pytest.approx(chi.statistic)
    assert res.p_pearson == pytest.approx(chi.pvalue)
    g = stats.power_divergence(res.observed, res.expected, lambda_="log-likelihood")
    assert res.lr == pytest.approx(g.statistic) and res.p_lr == pytest.approx(g.pvalue)
    n, theta = len(u), res.expected / len(u)
    var_s = 8 - (16 + 16 + 1) / n + np.sum(1 / theta) / n
    assert res.nass == pytest.approx(2 * 4 / var_s * res.pearson)
    assert res.p_nass == pytest.approx(stats.chi2.sf(res.nass, 2 * 16 / var_s))


def test_multinomial_size_and_power() -> None:
    rng = np.random.default_rng(9)
    rejections = sum(bt.multinomial_test(rng.uniform(size=1000), 0.025).p_nass < 0.05
                     for _ in range(300))
    assert rejections / 300 < 0.09
    fat = rng.uniform(size=1000) ** 1.6
    assert bt.multinomial_test(fat, 0.025).p_nass < 0.01


def test_du_escanciano_against_its_formulas() -> None:
    alpha, m = 0.025, 3
    u = np.random.default_rng(4).uniform(size=600)
    res = bt.du_escanciano(u, alpha, m)
    h = [(alpha - x) / alpha if x <= alpha else 0.0 for x in u]
    d = np.array(h) - alpha / 2
    n = len(u)
    u_es = np.sqrt(n) * d.mean() / np.sqrt(alpha * (1 / 3 - alpha / 4))
    assert res.unconditional == pytest.approx(u_es)
    assert res.p_unconditional == pytest.approx(2 * stats.norm.sf(abs(u_es)))
    g0 = sum(x * x for x in d) / n
    rho = [sum(d[t] * d[t - j] for t in range(j, n)) / (n - j) / g0 for j in range(1, m + 1)]
    assert res.conditional == pytest.approx(n * sum(r * r for r in rho))
    assert res.p_conditional == pytest.approx(stats.chi2.sf(res.conditional, m))
    # moments of H under the null, by integration
    mean, _ = integrate.quad(lambda x: (alpha - x) / alpha, 0, alpha)
    second, _ = integrate.quad(lambda x: ((alpha - x) / alpha) ** 2, 0, alpha)
    assert second - mean**2 == pytest.approx(alpha * (1 / 3 - alpha / 4))


def test_du_escanciano_detects_an_underestimated_tail() -> None:
    u = np.random.default_rng(8).uniform(size=2000) ** 1.5
    assert bt.du_escanciano(u, 0.025).p_unconditional < 0.01


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: bt.acerbi_szekely_z2([1.0, 2.0], [1.0], [1.0, 1.0]), "var has 1 values"),
        (lambda: bt.acerbi_szekely_z2([1.0], [1.0], [0.0]), "es must be positive"),
        (lambda: bt.acerbi_szekely_z2([np.nan], [1.0], [1.0]), "pnl has a non-finite value"),
        (lambda: bt.multinomial_test([0.5, 1.2]), r"u must be probabilities in \[0, 1\]"),
        (lambda: bt.du_escanciano([0.1, 0.2], lags=5), "needs more than lags=5"),
    ],
)
def test_bad_input(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()
