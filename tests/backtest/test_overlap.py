"""Overlapping-window tests: the kernel against its twin, the exact variance against
simulation, the size of the tests under the null, and the naive tests' over-rejection."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from imresearch import backtest as bt
from imresearch.backtest import overlap as ov
from imresearch.backtest._kernels import overlap_sequences
from imresearch.errors import InputError
from tests import naive


@given(st.integers(2, 40), st.integers(1, 12), st.integers(1, 4), st.integers(0, 2**31))
def test_kernel_matches_naive(n: int, h: int, s: int, seed: int) -> None:
    z = np.random.default_rng(seed).standard_normal((7, (n - 1) * s + h)).astype(np.float32)
    thr = 0.5 * np.sqrt(h)
    out = np.empty((7, 5), dtype=np.int64)
    overlap_sequences(z, n, h, s, thr, out)
    np.testing.assert_array_equal(out, naive.overlap_sequences(z, n, h, s, thr))


@given(st.lists(st.booleans(), min_size=2, max_size=200))
def test_vectorised_statistics_match_the_scalar_tests(flags: list[bool]) -> None:
    arr = np.array(flags)
    ch = bt.christoffersen(arr, 0.99)
    assert float(ov.lr_ind(*ov._transitions(arr))) == pytest.approx(ch.lr_ind, abs=1e-9)
    assert float(ov.lr_pof(arr.sum(), len(arr), 0.01)) == pytest.approx(ch.lr_pof, abs=1e-9)


@pytest.mark.parametrize(("n", "h", "s"), [(250, 10, 1), (120, 10, 3), (200, 1, 1)])
def test_exact_variance_matches_simulation(n: int, h: int, s: int) -> None:
    null = bt.overlap_null(n, h, 0.99, step=s, n_sims=40_000, seed=1)
    var = bt.overlap_count_variance(n, h, 0.99, step=s)
    # the simulated variance has a relative standard error of about sqrt(2 / n_sims) x kurtosis
    assert null.counts.var() == pytest.approx(var, rel=0.06)
    assert null.counts.mean() == pytest.approx(n * 0.01, rel=0.03)
    if h <= s:
        assert var == pytest.approx(n * 0.01 * 0.99)
    else:
        assert var > 1.5 * n * 0.01 * 0.99  # clustered: over-dispersed against the binomial


def test_bounds_without_overlap_are_basel() -> None:
    assert bt.overlap_traffic_light_bounds(250, 1, 0.99) == (5, 10)
    assert bt.overlap_traffic_light_bounds(250, 10, 0.99, step=10) == (5, 10)
    yellow, red = bt.overlap_traffic_light_bounds(250, 10, 0.99, n_sims=50_000)
    assert yellow > 5 and red > 10  # overlap: far more exceptions are still green


def _simulated_flags(rng: np.random.Generator, n: int, h: int) -> np.ndarray:
    """Exception flags of a correct 99% model on i.i.d. Gaussian daily P&L."""
    daily = rng.standard_normal(n + h - 1)
    sums = np.convolve(daily, np.ones(h), "valid")
    return sums < -stats.norm.ppf(0.99) * np.sqrt(h)


def test_size_under_the_null_and_naive_over_rejection() -> None:
    rng = np.random.default_rng(7)
    n, h, trials = 500, 10, 200
    naive_rej = adjusted_rej = z_rej = 0
    for _ in range(trials):
        flags = _simulated_flags(rng, n, h)
        res = bt.overlap_test(flags, h, 0.99, n_sims=4_000, seed=3)
        naive_rej += bt.christoffersen(flags, 0.99).p_cc < 0.05
        adjusted_rej += res.p_pof < 0.05
        z_rej += res.p_z < 0.05
    # the binomial tests reject a correct model much more often than 5%; the adjusted ones do not
    assert naive_rej / trials > 0.2
    assert adjusted_rej / trials < 0.1
    assert z_rej / trials < 0.12


def test_overlap_test_fields_and_power() -> None:
    flags = np.zeros(500, bool)
    flags[[40, 41, 42, 300, 301]] = True  # 5 exceptions in 500: expected 5, clustered as overlap
    res = bt.overlap_test(flags, 10, 0.99, n_sims=5_000)
    assert res.exceptions == 5 and res.expected == pytest.approx(5.0)
    assert res.p_pof > 0.5 and res.zone == "green"
    many = np.zeros(500, bool)
    many[::10] = True  # 50 isolated exceptions: coverage fails, and not clustered as overlap is
    bad = bt.overlap_test(many, 10, 0.99, n_sims=5_000)
    assert bad.p_pof < 0.01 and bad.p_z < 0.01 and bad.zone == "red"


def test_bad_input() -> None:
    with pytest.raises(InputError, match="at least 2 windows"):
        bt.overlap_test([True], 10)
    with pytest.raises(InputError, match="horizon must be"):
        bt.overlap_count_variance(100, 0)
