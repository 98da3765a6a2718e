"""Numba kernels of the SIMM calculator (plain Python when ``IMRESEARCH_DISABLE_NUMBA=1``).

Kernels take contiguous float64 / int64 arrays, never raise, and reproduce bit for bit the
pandas / numpy expressions they replace (a pandas group-wise ``cumsum`` is Kahan-compensated, so
the running sums here are too).
"""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit
from imresearch._typing import Float64Array1D, Float64Array2D, Int64Array

__all__ = ["pair_sum_sorted", "pair_sum_sorted_classes"]


@jit
def pair_sum_sorted(
    groups: Int64Array, a: Float64Array1D, b: Float64Array1D, n_groups: int
) -> Float64Array1D:
    """Per group, ``sum_l b_l * sum_{k before l} a_k`` over elements sorted by group.

    Parameters
    ----------
    groups : ndarray of int64, shape (n,)
        Group of each element, non-decreasing, each in ``0 .. n_groups - 1``.
    a, b : ndarray of float64, shape (n,)
        Left and right factors (e.g. ``x CR`` and ``x / CR`` for elements sorted by ``CR``).
    n_groups : int
        Number of groups.

    Returns
    -------
    ndarray of shape (n_groups,)
        The running (Kahan-compensated) sum of ``a`` before each element, times its ``b``,
        summed per group in element order.
    """
    out = np.zeros(n_groups)
    run = 0.0
    comp = 0.0
    prev = -1
    for i in range(groups.shape[0]):
        g = groups[i]
        if g != prev:
            run = 0.0
            comp = 0.0
            prev = g
        y = a[i] - comp
        t = run + y
        comp = t - run - y
        if comp != comp:  # an infinite value: no compensation (as pandas)
            comp = 0.0
        run = t
        out[g] += b[i] * (run - a[i])
    return out


@jit
def pair_sum_sorted_classes(
    groups: Int64Array,
    a: Float64Array1D,
    b: Float64Array1D,
    cls: Int64Array,
    corr: Float64Array2D,
    n_groups: int,
) -> Float64Array1D:
    """As :func:`pair_sum_sorted`, each pair weighted by ``corr[cls_k, cls_l]``.

    Parameters
    ----------
    groups, a, b, n_groups
        As in :func:`pair_sum_sorted`.
    cls : ndarray of int64, shape (n,)
        Class of each element, in ``0 .. n_classes - 1``.
    corr : ndarray of float64, shape (n_classes, n_classes)
        Class-by-class correlation.

    Returns
    -------
    ndarray of shape (n_groups,)
    """
    n_cls = corr.shape[0]
    out = np.zeros(n_groups)
    run = np.zeros(n_cls)
    comp = np.zeros(n_cls)
    prev = -1
    for i in range(groups.shape[0]):
        g = groups[i]
        if g != prev:
            run[:] = 0.0
            comp[:] = 0.0
            prev = g
        k = cls[i]
        acc = 0.0
        for c in range(n_cls):
            v = a[i] if k == c else 0.0
            y = v - comp[c]
            t = run[c] + y
            comp[c] = t - run[c] - y
            if comp[c] != comp[c]:
                comp[c] = 0.0
            run[c] = t
            acc += b[i] * corr[c, k] * (t - v)
        out[g] += acc
    return out
