"""SIMM kernels against their plain-Python twins and slow references from the definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.simm import _kernels
from imresearch.simm._groups import group as _group
from imresearch.simm._groups import pair_sum as _pair_sum


def _py(kernel):  # the plain-Python function a Numba dispatcher was compiled from
    return getattr(kernel, "py_func", kernel)


def naive_pair_sum(groups, x, n_groups, cr=None, cls=None, corr=None) -> np.ndarray:
    """``sum_{k != l} corr[cls_k, cls_l] min(cr)/max(cr) x_k x_l`` per group, pair by pair."""
    out = np.zeros(n_groups)
    n = len(x)
    for k in range(n):
        for m in range(n):
            if k == m or groups[k] != groups[m]:
                continue
            f = 1.0 if cr is None else min(cr[k], cr[m]) / max(cr[k], cr[m])
            rho = 1.0 if cls is None else corr[cls[k], cls[m]]
            out[groups[k]] += rho * f * x[k] * x[m]
    return out


def pandas_pair_sum(groups, x, n_groups, cr=None, cls=None, corr=None) -> np.ndarray:
    """The pandas group-wise cumulative-sum formulation the kernels replace."""
    cr = np.ones_like(x) if cr is None else cr
    order = np.lexsort((cr, groups))
    g, w, c = groups[order], x[order], cr[order]
    a, b = w * c, w / c
    gs = pd.Series(g)

    def excl_cumsum(v):
        return pd.Series(v).groupby(gs).cumsum().to_numpy() - v

    if cls is None:
        acc = b * excl_cumsum(a)
    else:
        k = cls[order]
        acc = np.zeros_like(w)
        for ci in range(corr.shape[0]):
            acc += b * corr[ci, k] * excl_cumsum(np.where(k == ci, a, 0.0))
    return 2.0 * np.bincount(g, weights=acc, minlength=n_groups)


elements = st.lists(
    st.tuples(st.integers(0, 4), st.floats(-1e6, 1e6, allow_nan=False),
              st.floats(1.0, 50.0), st.integers(0, 1)),
    min_size=1, max_size=40,
)
CORR = np.array([[1.0, 0.6], [0.6, 0.5]])


def _arrays(elems):
    g = np.array([e[0] for e in elems], dtype=np.int64)
    x = np.array([e[1] for e in elems])
    cr = np.array([e[2] for e in elems])
    cls = np.array([e[3] for e in elems], dtype=np.int64)
    return g, x, cr, cls


@given(elements, st.booleans(), st.booleans())
def test_pair_sum_matches_definition(elems, use_cr: bool, use_cls: bool) -> None:
    g, x, cr, cls = _arrays(elems)
    kw = {"cr": cr if use_cr else None}
    if use_cls:
        kw.update(cls=cls, corr=CORR)
    got = _pair_sum(g, x, 5, **kw)
    ref = naive_pair_sum(g, x, 5, **kw)
    scale = np.bincount(g, weights=np.abs(x), minlength=5) ** 2 + 1.0
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * scale.max())


@given(elements, st.booleans(), st.booleans())
def test_pair_sum_is_bit_identical_to_pandas_formulation(elems, use_cr, use_cls) -> None:
    g, x, cr, cls = _arrays(elems)
    kw = {"cr": cr if use_cr else None}
    if use_cls:
        kw.update(cls=cls, corr=CORR)
    np.testing.assert_array_equal(_pair_sum(g, x, 5, **kw), pandas_pair_sum(g, x, 5, **kw))


@pytest.mark.parametrize("seed", range(5))
def test_jitted_kernels_equal_plain_python_twins(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 500
    g = np.sort(rng.integers(0, 37, n)).astype(np.int64)
    a = rng.standard_normal(n) * 10.0 ** rng.integers(-3, 9, n)
    b = rng.standard_normal(n)
    cls = rng.integers(0, 2, n).astype(np.int64)
    for kernel, args in (
        (_kernels.pair_sum_sorted, (g, a, b, 37)),
        (_kernels.pair_sum_sorted_classes, (g, a, b, cls, CORR, 37)),
    ):
        np.testing.assert_array_equal(kernel(*args), _py(kernel)(*args))


def test_kernels_handle_empty_and_infinite_input() -> None:
    empty = np.zeros(0)
    assert _kernels.pair_sum_sorted(np.zeros(0, np.int64), empty, empty, 3).tolist() == [0.0] * 3
    g = np.zeros(3, dtype=np.int64)
    a = np.array([np.inf, 1.0, 2.0])
    with np.errstate(invalid="ignore"):
        out = _kernels.pair_sum_sorted(g, a, np.ones(3), 1)
    assert np.isinf(out[0]) or np.isnan(out[0])  # never raises


def test_group_numbers_combinations_in_order_of_first_appearance() -> None:
    a = np.array([3, 1, 3, 1, 0], dtype=np.int64)
    b = np.array([0, 2, 0, 1, 2], dtype=np.int64)
    codes, first = _group(a, b)
    assert codes.tolist() == [0, 1, 0, 2, 3]
    assert first.tolist() == [0, 1, 3, 4]
    big = np.array([2**40, 5, 2**40], dtype=np.int64)  # wide keys are re-coded, never overflow
    codes, first = _group(big, big, big)
    assert codes.tolist() == [0, 1, 0] and first.tolist() == [0, 1]
