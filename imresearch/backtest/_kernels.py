"""Numba kernels of the backtests. Arrays in, arrays out; they never raise."""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit, prange


@jit(parallel=True)
def overlap_sequences(z: np.ndarray, n: int, horizon: int, step: int, threshold: float,
                      out: np.ndarray) -> None:
    """Exception count and transitions of simulated overlapping windows.

    z : (n_sims, (n - 1) * step + horizon) daily P&L draws; window ``i`` of simulation ``s``
    sums ``z[s, i * step : i * step + horizon]`` and breaches when the sum exceeds
    ``threshold``. out : (n_sims, 5) int64 receives the count and the transition counts
    n00, n01, n10, n11 of the ``n`` windows.
    """
    for s in prange(z.shape[0]):
        first = 0.0
        for d in range(horizon):
            first += z[s, d]
        total = first
        prev = False
        count = 0
        n00 = n01 = n10 = n11 = 0
        for i in range(n):
            if i > 0:  # slide the window by `step` days
                for d in range(step):
                    total += z[s, (i - 1) * step + horizon + d] - z[s, (i - 1) * step + d]
            flag = total > threshold
            if flag:
                count += 1
            if i > 0:
                if prev:
                    if flag:
                        n11 += 1
                    else:
                        n10 += 1
                elif flag:
                    n01 += 1
                else:
                    n00 += 1
            prev = flag
        out[s, 0] = count
        out[s, 1] = n00
        out[s, 2] = n01
        out[s, 3] = n10
        out[s, 4] = n11
