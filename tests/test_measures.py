"""Risk measures against naive and independent references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch import measures
from imresearch.errors import InputError
from tests import naive

pnls = st.builds(
    lambda seed, n, digits: np.round(np.random.default_rng(seed).standard_t(4, n) * 1e3, digits),
    st.integers(0, 2**32 - 1), st.integers(1, 400), st.integers(-1, 3),
)
confidences = st.sampled_from([0.5, 0.9, 0.95, 0.975, 0.99, 0.995])


@given(pnls, confidences)
def test_var_is_kth_worst_loss(pnl: np.ndarray, c: float) -> None:
    k = measures.tail_count(len(pnl), c)
    assert measures.var(pnl, c) == naive.kth_worst(pnl, k)
    assert measures.es(pnl, c) == pytest.approx(np.mean(sorted(-pnl, reverse=True)[:k]))


@given(pnls, confidences)
def test_exact_es_is_the_tail_integral(pnl: np.ndarray, c: float) -> None:
    ref = naive.exact_es_by_integration(pnl, c)
    assert measures.es(pnl, c, method="exact") == pytest.approx(ref, rel=1e-3, abs=1e-2)


@given(pnls, confidences)
def test_interpolated_var_matches_pandas(pnl: np.ndarray, c: float) -> None:
    assert measures.var(pnl, c, method="linear") == pytest.approx(
        pd.Series(-pnl).quantile(c, interpolation="linear"), rel=1e-12, abs=1e-9
    )


@given(pnls, confidences)
def test_equal_weights_reduce_to_unweighted(pnl: np.ndarray, c: float) -> None:
    v, e = measures.weighted_var_es(pnl, np.ones(len(pnl)), c)
    assert v == measures.var(pnl, c)
    assert e == pytest.approx(measures.es(pnl, c, method="exact"), rel=1e-9, abs=1e-9)


@given(pnls, confidences, st.integers(0, 2**32 - 1))
def test_integer_weights_equal_replicated_scenarios(pnl: np.ndarray, c: float, seed: int) -> None:
    w = np.random.default_rng(seed).integers(1, 4, len(pnl))
    replicated = np.repeat(pnl, w)
    v, e = measures.weighted_var_es(pnl, w, c)
    assert v == measures.var(replicated, c)
    assert e == pytest.approx(measures.es(replicated, c, method="exact"), rel=1e-9, abs=1e-9)


def test_known_values_and_columns() -> None:
    pnl = -np.arange(1.0, 251.0)  # losses 1..250
    assert measures.var(pnl, 0.99) == 248.0  # 3rd worst of 250
    assert measures.es(pnl, 0.99) == pytest.approx((250 + 249 + 248) / 3)
    assert measures.es(pnl, 0.99, method="exact") == pytest.approx((250 + 249 + 0.5 * 248) / 2.5)
    two = np.column_stack([pnl, 2 * pnl])
    np.testing.assert_allclose(measures.var(two, 0.99), [248.0, 496.0])
    assert measures.var(pd.Series(pnl), 0.99) == 248.0


def test_age_weights() -> None:
    w = measures.age_weights(4, 0.5)
    np.testing.assert_allclose(w, np.array([1, 2, 4, 8]) / 15)
    with pytest.raises(InputError, match="n must be an integer >= 1"):
        measures.age_weights(0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: measures.var([1.0, 2.0], 1.0), r"confidence must be in \(0.0, 1.0\); got 1.0"),
        (lambda: measures.var([1.0, 2.0], 0.0), "confidence must be in"),
        (lambda: measures.var([1.0, np.nan], 0.99), "non-finite value nan at scenario 1"),
        (lambda: measures.es([], 0.99), "empty"),
        (lambda: measures.var([1.0], 0.99, method="magic"), "method must be one of"),
        (lambda: measures.weighted_var_es([1.0, 2.0], [1.0, -1.0]), "weights must be finite"),
        (lambda: measures.weighted_var_es([1.0, 2.0], [1.0]), "weights must have shape"),
        (lambda: measures.var("abc"), "pnl must be numeric"),
    ],
)
def test_bad_input(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()


@given(pnls, confidences, st.booleans(), st.booleans(), st.integers(0, 2**32 - 1))
def test_tail_kernel_matches_a_full_sort(pnl: np.ndarray, c: float, exact: bool,
                                         weighted: bool, seed: int) -> None:
    """The selection kernel (one implementation for measures, HS and MC) against the naive
    full stable sort: the same VaR, ES and VaR scenario, ties included (rounded P&L)."""
    from imresearch._measures_kernels import tail_stats

    losses = np.ascontiguousarray(-pnl)
    w = np.random.default_rng(seed).random(len(pnl)) if weighted else np.empty(0)
    if weighted:
        w /= w.sum()
    got = tail_stats(losses, w, 1.0 - c, exact)
    want = naive.tail_by_sorting(losses, w, 1.0 - c, exact)
    assert got[0] == want[0] and got[2] == want[2]
    assert got[1] == pytest.approx(want[1], rel=1e-12, abs=1e-9)
    t = measures.tail(pnl, c, weights=w if weighted else None, exact_es=exact)
    assert (t.var, t.scenario) == (got[0], got[2])
    if not weighted:
        k = measures.tail_count(len(pnl), c)
        np.testing.assert_array_equal(t.losses, np.sort(losses)[::-1][:k])


@given(pnls, confidences, st.booleans())
def test_two_tails_in_one_pass_equal_two_full_tails(pnl: np.ndarray, c: float,
                                                    exact: bool) -> None:
    """The grouped kernels' one-pass tails of losses and gains are those of the sorting twin,
    bit for bit, ties (rounded P&L) included."""
    from imresearch._measures_kernels import two_tails

    losses = np.ascontiguousarray(-pnl, dtype=float)
    n = len(losses)
    work = [np.empty(n), np.empty(n, dtype=np.int64), np.empty(n), np.empty(n, dtype=np.int64)]
    got = two_tails(losses, 1 - c, exact, *work)
    empty = np.empty(0)
    for side, sign in enumerate((1.0, -1.0)):
        want = naive.tail_by_sorting(sign * losses, empty, 1 - c, exact)
        assert got[3 * side:3 * side + 3] == tuple(want)
