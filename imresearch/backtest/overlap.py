"""Coverage tests for overlapping horizon windows, with the overlap in their null distribution.

An IM set each day against the P&L of the next ``h`` days gives windows that share ``h - 1``
days: under a correct model each window still breaches with probability ``p = 1 - c``, but
breaches cluster, the exception count is over-dispersed and the binomial tests (Kupiec,
Christoffersen, the traffic light) reject a correct model far too often. Two remedies here:

* **Exact variance z-test.** Under the null of i.i.d. Gaussian daily P&L with the model's
  quantile right, windows ``k`` observations apart have correlation ``(h - k s) / h`` (``s`` the
  step between IM dates), so the joint breach probability of two windows is a bivariate
  normal orthant probability and the variance of the count is exact:
  ``Var X = n p (1 - p) + 2 sum_k (n - k) (p_k - p^2)``. The z statistic
  ``(x - n p) / sqrt(Var X)`` is referred to the standard normal (a HAC-type correction with
  the autocovariances known under the null instead of estimated).
* **Monte Carlo tests** (Dufour 2006, "Monte Carlo tests with nuisance parameters", Journal of
  Econometrics 133(2); used for VaR backtests by Christoffersen and Pelletier 2004,
  "Backtesting Value-at-Risk: a duration-based approach", Journal of Financial Econometrics
  2(1)): the overlap structure is simulated (``n_sims`` paths of i.i.d. Gaussian daily P&L,
  windows of ``h`` days every ``s`` days, breach when the window sum exceeds its
  ``c``-quantile; the daily draws in single precision, summed in double), and Kupiec's LR,
  Christoffersen's LR_ind and the exception count are compared with their simulated null
  distributions: ``p = (1 + #{sim >= observed}) / (1 + n_sims)``. The traffic-light zones of
  overlapping windows use the 95% and 99.99% quantiles of the simulated count, as the Basel
  table uses the binomial's.

The Gaussian i.i.d. null is the standard approximation: fat tails and volatility clustering of
the daily P&L change the dependence of tail events somewhat (see ``docs/backtesting.md``).
"""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from imresearch.backtest._kernels import overlap_sequences
from imresearch.backtest.coverage import Zone, _check_counts
from imresearch.errors import InputError, check_in_open_interval, check_positive_int

__all__ = [
    "OverlapNull",
    "OverlapTest",
    "overlap_count_variance",
    "overlap_null",
    "overlap_test",
    "overlap_traffic_light_bounds",
]


def lr_pof(x: np.ndarray | int, n: int, p: float) -> np.ndarray:
    """Kupiec's LR_POF of counts ``x`` out of ``n`` at breach probability ``p`` (vectorised)."""
    x = np.asarray(x, dtype=np.float64)
    phat = x / n
    ll0 = special.xlogy(n - x, 1.0 - p) + special.xlogy(x, p)
    ll1 = special.xlogy(n - x, 1.0 - phat) + special.xlogy(x, phat)
    return np.maximum(0.0, -2.0 * (ll0 - ll1))


def lr_ind(n00: np.ndarray, n01: np.ndarray, n10: np.ndarray, n11: np.ndarray) -> np.ndarray:
    """Christoffersen's LR_ind from transition counts (vectorised; 0 log 0 = 0)."""
    n00, n01, n10, n11 = (np.asarray(v, dtype=np.float64) for v in (n00, n01, n10, n11))
    with np.errstate(invalid="ignore", divide="ignore"):
        pi0 = np.where(n00 + n01 > 0, n01 / (n00 + n01), 0.0)
        pi1 = np.where(n10 + n11 > 0, n11 / (n10 + n11), 0.0)
        pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    ll_null = special.xlogy(n00 + n10, 1.0 - pi) + special.xlogy(n01 + n11, pi)
    ll_alt = (special.xlogy(n00, 1.0 - pi0) + special.xlogy(n01, pi0)
              + special.xlogy(n10, 1.0 - pi1) + special.xlogy(n11, pi1))
    return np.maximum(0.0, -2.0 * (ll_null - ll_alt))


def _transitions(flags: np.ndarray) -> tuple[np.ndarray, ...]:
    """Transition counts n00, n01, n10, n11 along the last axis of boolean ``flags``."""
    prev, curr = flags[..., :-1], flags[..., 1:]
    return ((~prev & ~curr).sum(-1), (~prev & curr).sum(-1), (prev & ~curr).sum(-1),
            (prev & curr).sum(-1))


def _check(observations: int, horizon: int, step: int, confidence: float
           ) -> tuple[int, int, int, float]:
    _, n = _check_counts(0, observations)
    return (n, check_positive_int("horizon", horizon), check_positive_int("step", step),
            check_in_open_interval("confidence", confidence))


def overlap_count_variance(observations: int, horizon: int = 10, confidence: float = 0.99,
                           *, step: int = 1) -> float:
    """Exact variance of the exception count of ``observations`` windows of ``horizon`` days
    starting every ``step`` days, under i.i.d. Gaussian daily P&L and a correct quantile."""
    n, h, s, c = _check(observations, horizon, step, confidence)
    p = 1.0 - c
    z = float(stats.norm.ppf(p))
    var = n * p * (1.0 - p)
    for k in range(1, n):
        rho = (h - k * s) / h
        if rho <= 0:
            break
        joint = float(stats.multivariate_normal([0.0, 0.0], [[1.0, rho], [rho, 1.0]]).cdf(
            [z, z]))
        var += 2.0 * (n - k) * (joint - p * p)
    return var


@dataclass(frozen=True)
class OverlapNull:
    """Simulated null distribution of overlapping-window backtest statistics.

    Attributes
    ----------
    observations, horizon, step : int
    confidence : float
    counts : ndarray of shape (n_sims,)
        Exception counts.
    lr_pof, lr_ind : ndarray of shape (n_sims,)
        Kupiec's and Christoffersen's (independence) statistics of each simulated sequence.
    """

    observations: int
    horizon: int
    step: int
    confidence: float
    counts: np.ndarray
    lr_pof: np.ndarray
    lr_ind: np.ndarray

    @property
    def n_sims(self) -> int:
        return len(self.counts)

    def p_value(self, name: str, value: float) -> float:
        """Monte Carlo p-value ``(1 + #{sim >= value}) / (1 + n_sims)`` of ``name`` in
        ``counts``, ``lr_pof``, ``lr_ind``."""
        sims = getattr(self, name)
        return float((1 + np.count_nonzero(sims >= value - 1e-9)) / (1 + len(sims)))

    def bounds(self) -> tuple[int, int]:
        """``(yellow_from, red_from)``: the smallest counts whose simulated CDF reaches 95% and
        99.99% (with fewer than 10,000 simulations the red bound is only a lower bound)."""
        cdf = np.cumsum(np.bincount(self.counts, minlength=self.observations + 1)) / self.n_sims
        return int(np.argmax(cdf >= 0.95)), int(np.argmax(cdf >= 0.9999))


@functools.lru_cache(maxsize=64)
def overlap_null(observations: int, horizon: int = 10, confidence: float = 0.99, *,
                 step: int = 1, n_sims: int = 20_000, seed: int = 0) -> OverlapNull:
    """Simulate the exception sequences of overlapping windows under the null (see the module
    notes). Cached: the same arguments give the same (shared, read-only) object."""
    n, h, s, c = _check(observations, horizon, step, confidence)
    n_sims = check_positive_int("n_sims", n_sims)
    threshold = float(stats.norm.ppf(c)) * np.sqrt(h)
    n_days = (n - 1) * s + h
    root = np.random.SeedSequence(seed, spawn_key=(n, h, s))
    chunk = max(1, 4_000_000 // n_days)
    stats_ = np.empty((n_sims, 5), dtype=np.int64)

    def run(lo: int) -> None:  # chunk k draws from its own stream: any thread count, same sims
        rng = np.random.default_rng(np.random.SeedSequence(root.entropy,
                                                           spawn_key=(*root.spawn_key, lo)))
        hi = min(n_sims, lo + chunk)
        z = rng.standard_normal((hi - lo, n_days), dtype=np.float32)
        overlap_sequences(z, n, h, s, threshold, stats_[lo:hi])

    with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(run, range(0, n_sims, chunk)))
    counts = np.ascontiguousarray(stats_[:, 0])
    pof = lr_pof(counts, n, 1.0 - c)
    ind = lr_ind(*stats_[:, 1:].T) if n >= 2 else np.zeros(n_sims)
    for a in (counts, pof, ind):
        a.setflags(write=False)
    return OverlapNull(n, h, s, c, counts, pof, ind)


def overlap_traffic_light_bounds(observations: int, horizon: int = 10,
                                 confidence: float = 0.99, *, step: int = 1,
                                 n_sims: int = 100_000, seed: int = 0) -> tuple[int, int]:
    """Traffic-light bounds ``(yellow_from, red_from)`` of overlapping windows: the 95% and
    99.99% quantiles of the simulated exception count (the binomial bounds when the windows
    do not overlap, ``horizon <= step``)."""
    from imresearch.backtest.coverage import traffic_light_bounds

    if horizon <= step:
        return traffic_light_bounds(observations, confidence)
    return overlap_null(observations, horizon, confidence, step=step, n_sims=n_sims,
                        seed=seed).bounds()


@dataclass(frozen=True)
class OverlapTest:
    """Overlap-aware coverage tests of one exception sequence (see the module notes).

    Attributes
    ----------
    observations, exceptions, horizon, step : int
    expected, variance : float
        Mean and exact variance of the count under the null.
    z, p_z : float
        The exact-variance z statistic and its two-sided normal p-value.
    lr_pof, p_pof : float
        Kupiec's statistic and its Monte Carlo p-value under the overlap null.
    lr_ind, p_ind : float
        Christoffersen's independence statistic and its Monte Carlo p-value: clustering
        beyond what the overlap itself produces.
    zone : {"green", "yellow", "red"}
        From the simulated count distribution's 95% / 99.99% quantiles.
    n_sims : int
    """

    observations: int
    exceptions: int
    horizon: int
    step: int
    expected: float
    variance: float
    z: float
    p_z: float
    lr_pof: float
    p_pof: float
    lr_ind: float
    p_ind: float
    zone: Zone
    n_sims: int


def overlap_test(exception_flags: np.ndarray | list[bool], horizon: int = 10,
                 confidence: float = 0.99, *, step: int = 1, n_sims: int = 20_000,
                 seed: int = 0) -> OverlapTest:
    """Overlap-aware coverage tests of exception flags of ``horizon``-day windows starting
    every ``step`` days, in time order.

    Parameters
    ----------
    exception_flags : array-like of bool, shape (n_observations,)
    horizon : int
        Days per window. Default 10.
    confidence : float
        Confidence of the IM. Default 0.99.
    step : int
        Days between window starts. Default 1.
    n_sims : int
        Simulated sequences of the null. Default 20,000.
    seed : int
        Seed of the simulation (results are reproducible). Default 0.
    """
    flags = np.asarray(exception_flags)
    if flags.ndim != 1 or len(flags) < 2:
        raise InputError(f"exception_flags must be 1-d with at least 2 windows; got shape "
                         f"{flags.shape}")
    if flags.dtype != bool:
        if not set(np.unique(flags).tolist()) <= {0, 1}:
            raise InputError("exception_flags must be booleans or 0/1")
        flags = flags.astype(bool)
    n, x = len(flags), int(flags.sum())
    null = overlap_null(n, horizon, confidence, step=step, n_sims=n_sims, seed=seed)
    p = 1.0 - confidence
    var = overlap_count_variance(n, horizon, confidence, step=step)
    z = (x - n * p) / np.sqrt(var)
    pof = float(lr_pof(x, n, p))
    ind = float(lr_ind(*_transitions(flags)))
    yellow, red = null.bounds()
    zone: Zone = "green" if x < yellow else ("yellow" if x < red else "red")
    return OverlapTest(
        observations=n, exceptions=x, horizon=null.horizon, step=null.step, expected=n * p,
        variance=float(var), z=float(z), p_z=float(2 * stats.norm.sf(abs(z))), lr_pof=pof,
        p_pof=null.p_value("lr_pof", pof), lr_ind=ind, p_ind=null.p_value("lr_ind", ind),
        zone=zone, n_sims=null.n_sims)
