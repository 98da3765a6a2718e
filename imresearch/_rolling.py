"""Rolling order-statistic kernels shared by the stress-window finder and the engines.

Tail statistics keep a sorted cache of the window's upper tail (see
:func:`rolling_tail_kernel`); updates shift only the elements between two ranks and allocate
nothing, instead of re-sorting the window in O(w log w) per step.
"""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit


@jit
def _insert_sorted(buf: np.ndarray, size: int, value: float) -> None:
    """Insert ``value`` into the sorted ``buf[:size]`` (``buf`` has room for one more)."""
    j = size
    while j > 0 and buf[j - 1] > value:
        buf[j] = buf[j - 1]
        j -= 1
    buf[j] = value


@jit
def _replace_sorted(buf: np.ndarray, size: int, old: float, new: float) -> None:
    """Replace one occurrence of ``old`` by ``new`` in the sorted ``buf[:size]``.

    Only the elements between the two positions move, so the cost is the distance between
    the old and the new rank, not the window length.
    """
    j = np.searchsorted(buf[:size], old)
    if new >= old:
        while j + 1 < size and buf[j + 1] < new:
            buf[j] = buf[j + 1]
            j += 1
    else:
        while j > 0 and buf[j - 1] > new:
            buf[j] = buf[j - 1]
            j -= 1
    buf[j] = new


@jit
def _rebuild_cache(window_values: np.ndarray, cache: np.ndarray, m: int) -> tuple:
    """Fill ``cache`` with every value >= the m-th largest; return (threshold, size)."""
    ordered = np.sort(window_values)
    n = ordered.shape[0]
    tau = ordered[max(n - m, 0)]
    lo = np.searchsorted(ordered, tau)  # include every tie of the threshold
    size = n - lo
    cache[:size] = ordered[lo:]
    return tau, size


@jit
def rolling_tail_kernel(losses: np.ndarray, window: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-th largest loss and mean of the k largest losses over each full window.

    losses : (n,) float64 without NaN; window, k : 1 <= k <= window <= n.
    Returns two (n - window + 1,) arrays; element i covers ``losses[i : i + window]``.

    Only the upper tail matters, so a sorted cache holds exactly the window's values at or
    above a threshold (set to the ~4k-th largest when the cache is rebuilt). An update touches
    the cache only when the leaving or entering value is above the threshold; the cache is
    rebuilt from the window when fewer than ``k`` values remain in it.
    """
    n = losses.shape[0]
    n_out = n - window + 1
    kth = np.empty(n_out, dtype=np.float64)
    tail = np.empty(n_out, dtype=np.float64)
    m = min(window, max(4 * k, 64))
    cache = np.empty(window + 1, dtype=np.float64)
    tau, size = _rebuild_cache(losses[:window], cache, m)
    for i in range(n_out):
        if i > 0:
            old = losses[i - 1]
            new = losses[i + window - 1]
            if old >= tau and new >= tau:
                _replace_sorted(cache, size, old, new)
            elif old >= tau:
                j = np.searchsorted(cache[:size], old)
                cache[j : size - 1] = cache[j + 1 : size]
                size -= 1
            elif new >= tau:
                _insert_sorted(cache, size, new)
                size += 1
            if size < k:
                tau, size = _rebuild_cache(losses[i : i + window], cache, m)
        kth[i] = cache[size - k]
        acc = 0.0
        for j in range(size - k, size):
            acc += cache[j]
        tail[i] = acc / k
    return kth, tail


@jit
def rolling_mean_kernel(x: np.ndarray, window: int) -> np.ndarray:
    """Mean over each full window of the rows of ``x`` (n, m) -> (n - window + 1, m).

    Uses running sums restarted every ``window`` steps to bound rounding drift.
    """
    n, m = x.shape
    n_out = n - window + 1
    out = np.empty((n_out, m), dtype=np.float64)
    for j in range(m):
        acc = 0.0
        for i in range(window):
            acc += x[i, j]
        out[0, j] = acc / window
        for i in range(1, n_out):
            if i % window == 0:
                acc = 0.0
                for t in range(i, i + window):
                    acc += x[t, j]
            else:
                acc += x[i + window - 1, j] - x[i - 1, j]
            out[i, j] = acc / window
    return out
