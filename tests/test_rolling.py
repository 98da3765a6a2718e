"""Rolling order-statistic kernels against their naive twins."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from imresearch._rolling import rolling_mean_kernel, rolling_tail_kernel
from tests import naive


@given(
    st.integers(0, 2**32 - 1),
    st.integers(2, 80),
    st.data(),
)
def test_rolling_tail_matches_sorting(seed: int, n: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    # ties on purpose: rounded values
    losses = np.round(rng.standard_t(3, n), data.draw(st.integers(0, 3)))
    window = data.draw(st.integers(1, n))
    k = data.draw(st.integers(1, window))
    kth, tail = rolling_tail_kernel(losses, window, k)
    ref_kth, ref_tail = naive.rolling_tail(losses, window, k)
    np.testing.assert_array_equal(kth, ref_kth)
    np.testing.assert_allclose(tail, ref_tail, rtol=1e-12, atol=1e-12)


@given(st.integers(0, 2**32 - 1), st.integers(1, 120), st.data())
def test_rolling_mean_matches_slicing(seed: int, n: int, data: st.DataObject) -> None:
    x = np.random.default_rng(seed).normal(size=(n, 3)) * 1e3
    window = data.draw(st.integers(1, n))
    np.testing.assert_allclose(rolling_mean_kernel(x, window), naive.rolling_mean(x, window),
                               rtol=1e-9, atol=1e-9)
