"""Rolling order-statistic kernels shared by the stress-window finder and the engines.

The window is kept sorted: each step removes the observation that leaves (binary search) and
inserts the one that enters, so a window of ``w`` costs O(w) per step instead of O(w log w).
"""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit


@jit
def _insert_sorted(buf: np.ndarray, size: int, value: float) -> None:
    pos = np.searchsorted(buf[:size], value)
    buf[pos + 1 : size + 1] = buf[pos:size].copy()
    buf[pos] = value


@jit
def _remove_sorted(buf: np.ndarray, size: int, value: float) -> None:
    pos = np.searchsorted(buf[:size], value)
    buf[pos : size - 1] = buf[pos + 1 : size].copy()


@jit
def rolling_tail_kernel(losses: np.ndarray, window: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """k-th largest loss and mean of the k largest losses over each full window.

    losses : (n,) float64 without NaN; window, k : 1 <= k <= window <= n.
    Returns two (n - window + 1,) arrays; element i covers ``losses[i : i + window]``.
    """
    n = losses.shape[0]
    n_out = n - window + 1
    kth = np.empty(n_out, dtype=np.float64)
    tail = np.empty(n_out, dtype=np.float64)
    buf = np.empty(window + 1, dtype=np.float64)
    for i in range(window):
        _insert_sorted(buf, i, losses[i])
    for i in range(n_out):
        if i > 0:
            _remove_sorted(buf, window, losses[i - 1])
            _insert_sorted(buf, window - 1, losses[i + window - 1])
        kth[i] = buf[window - k]
        acc = 0.0
        for j in range(window - k, window):
            acc += buf[j]
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
