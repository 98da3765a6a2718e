"""Group-wise array helpers of the SIMM calculator (sums per integer key, pair sums, forms).

Risk factors, buckets and netting sets are integer keys; every sum is a ``bincount`` over all
portfolios together. Sums of pairwise terms ``sum_{k != l} rho f_kl x_k x_l`` with the
concentration ratio ``f_kl = min(CR_k, CR_l) / max(CR_k, CR_l)`` are computed without forming
pairs: after sorting a group by ``CR``, ``f_kl x_k x_l = (x_k CR_k)(x_l / CR_l)`` for ``k`` before
``l``, so the sum is a running (cumulative) sum, O(n log n) instead of O(n^2) (Numba kernels in
:mod:`imresearch.simm._kernels`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D, Float64Array2D, Int64Array
from imresearch.simm._codes import Codes
from imresearch.simm._kernels import pair_sum_sorted, pair_sum_sorted_classes

_INT_LIMIT = 1 << 62



def bincount(codes: Int64Array, values: Float64Array1D, n: int) -> Float64Array1D:
    return np.bincount(codes, weights=values, minlength=n).astype(np.float64)


def group(*keys: Int64Array) -> tuple[Int64Array, Int64Array]:
    """Codes of the distinct combinations of integer keys, and the first element of each.

    Parameters
    ----------
    *keys : ndarray of int64, shape (n,)
        Non-negative integer keys (codes of columns), all of one length.

    Returns
    -------
    codes : ndarray of int64, shape (n,)
        Combination of each element, numbered in order of first appearance.
    first : ndarray of int64, shape (n_combinations,)
        Index of the first element of each combination.
    """
    combined = np.asarray(keys[0], dtype=np.int64)
    if combined.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    for key in keys[1:]:
        card = int(key.max()) + 1
        if (int(combined.max()) + 1) * card >= _INT_LIMIT:
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * card + key
    codes = pd.factorize(combined)[0].astype(np.int64)
    return codes, first(codes, int(codes.max()) + 1)


def first(codes: Int64Array, n: int) -> Int64Array:
    """Index of the first element of each code."""
    first = np.full(n, -1, dtype=np.int64)
    idx = np.arange(codes.size)[::-1]
    first[codes[::-1]] = idx
    return first


def first_of(outer: Int64Array, inner: Int64Array) -> Int64Array:
    """For nested codes, the outer code of each inner code."""
    result = np.zeros(int(inner.max()) + 1 if inner.size else 0, dtype=np.int64)
    result[inner] = outer
    return result


def pair_sum(
    groups: Int64Array,
    x: Float64Array1D,
    n_groups: int,
    cr: Float64Array1D | None = None,
    cls: Int64Array | None = None,
    corr: Float64Array2D | None = None,
) -> Float64Array1D:
    """Per group, ``sum_{k != l} corr[cls_k, cls_l] * f_kl * x_k * x_l``.

    Parameters
    ----------
    groups : ndarray of int64, shape (n,)
        Group of each element (0 .. n_groups - 1).
    x : ndarray of shape (n,)
        Values (weighted sensitivities).
    n_groups : int
        Number of groups.
    cr : ndarray of shape (n,), optional
        Concentration factors (>= 1); ``f_kl = min(cr_k, cr_l) / max(cr_k, cr_l)``. All ones if
        omitted (``f_kl = 1``).
    cls, corr : optional
        Class of each element and a symmetric class-by-class correlation matrix; correlation 1
        if omitted.

    Returns
    -------
    ndarray of shape (n_groups,)
    """
    if x.size == 0:
        return np.zeros(n_groups)
    if cr is None:
        order = np.argsort(groups, kind="stable")
        w = x[order]
        a, b = w * 1.0, w / 1.0
    else:
        order = np.lexsort((cr, groups))
        w, c = x[order], cr[order]
        a, b = w * c, w / c
    g = np.ascontiguousarray(groups[order], dtype=np.int64)
    if cls is None or corr is None:
        acc = pair_sum_sorted(g, a, b, n_groups)
    else:
        acc = pair_sum_sorted_classes(g, a, b, np.ascontiguousarray(cls[order], dtype=np.int64),
                                      np.ascontiguousarray(corr, dtype=np.float64), n_groups)
    return 2.0 * acc


def quad_rows(x: Float64Array2D, mat: Float64Array2D) -> Float64Array1D:
    """Row-wise quadratic forms ``x_i^T mat x_i``."""
    return np.einsum("ni,ij,nj->n", x, mat, x)


def dense(rows: Int64Array, cols: Int64Array, values: Float64Array1D, shape: tuple[int, int]
           ) -> Float64Array2D:
    """``out[rows_i, cols_i] += values_i`` on a zero matrix, in element order."""
    flat = np.bincount(rows * shape[1] + cols, weights=values, minlength=shape[0] * shape[1])
    return flat.astype(np.float64).reshape(shape)


def concentration(
    total: Float64Array1D, threshold: Float64Array1D, enabled: bool
) -> Float64Array1D:
    """``max(1, sqrt(|total| / threshold))`` (ones when concentration is switched off)."""
    if not enabled:
        return np.ones_like(total)
    return np.maximum(1.0, np.sqrt(np.abs(total) / threshold))


def clip(total: Float64Array1D, k: Float64Array1D) -> Float64Array1D:
    return np.maximum(np.minimum(total, k), -k)


def per_code(codes: Int64Array, values: np.ndarray, func: Callable[[Any], Any],
              dtype: Any = np.float64) -> np.ndarray:
    """``func`` of each element's value, evaluated once per distinct code."""
    return Codes(codes, values).lookup(func, dtype)

