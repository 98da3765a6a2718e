"""Coverage tests of an IM series against realised P&L: exceptions, Kupiec, Christoffersen,
the traffic light.

An exception is a window whose realised loss exceeds the IM set at its start. Tests:

* **Kupiec proportion of failures** (1995): LR_POF = -2 ln[(1-p)^(n-x) p^x] + 2 ln[(1-x/n)^(n-x)
  (x/n)^x], asymptotically chi-squared(1), with p = 1 - confidence.
* **Christoffersen** (1998) independence: a first-order Markov test of the exception sequence,
  LR_ind ~ chi-squared(1); conditional coverage LR_cc = LR_POF + LR_ind ~ chi-squared(2).
* **Basel traffic light** (BCBS 1996, generalised to any sample size and confidence): with
  P(x) = binomial CDF of x exceptions in n trials at p, green if P(x) < 0.95, yellow if
  P(x) < 0.9999, red otherwise.

Overlapping horizon windows (a 10-day loss each day) make consecutive outcomes dependent: the
tests assume independent trials, so with overlapping windows their p-values are too small and
exceptions cluster by construction. :func:`backtest` therefore offers non-overlapping
sub-sampling and states which was used; :mod:`imresearch.backtest.overlap` gives tests whose
null distribution has the overlap built in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from imresearch.errors import InputError, check_in_open_interval

__all__ = [
    "BacktestResult",
    "ChristoffersenResult",
    "backtest",
    "christoffersen",
    "kupiec_pof",
    "traffic_light",
    "traffic_light_bounds",
]

Zone = Literal["green", "yellow", "red"]


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0 else x * np.log(y)


def _check_counts(exceptions: int, observations: int) -> tuple[int, int]:
    for name, v in (("exceptions", exceptions), ("observations", observations)):
        if isinstance(v, bool) or not float(v).is_integer() or v < 0:
            raise InputError(f"{name} must be a non-negative integer; got {v!r}")
    x, n = int(exceptions), int(observations)
    if n == 0:
        raise InputError("observations must be >= 1; got 0")
    if x > n:
        raise InputError(f"exceptions ({x}) cannot exceed observations ({n})")
    return x, n


def kupiec_pof(
    exceptions: int, observations: int, confidence: float = 0.99
) -> tuple[float, float]:
    """Kupiec's proportion-of-failures likelihood-ratio test.

    Parameters
    ----------
    exceptions : int
        Number of exceptions x.
    observations : int
        Number of trials n.
    confidence : float
        Confidence level of the IM, in (0, 1). Default 0.99.

    Returns
    -------
    (statistic, pvalue) : tuple of float
        LR_POF and its chi-squared(1) p-value.
    """
    confidence = check_in_open_interval("confidence", confidence)
    x, n = _check_counts(exceptions, observations)
    p = 1.0 - confidence
    phat = x / n
    ll0 = _xlogy(n - x, 1.0 - p) + _xlogy(x, p)
    ll1 = _xlogy(n - x, 1.0 - phat) + _xlogy(x, phat)
    stat = max(0.0, -2.0 * (ll0 - ll1))
    return float(stat), float(stats.chi2.sf(stat, 1))


@dataclass(frozen=True)
class ChristoffersenResult:
    """Christoffersen's independence and conditional-coverage tests.

    Attributes
    ----------
    lr_ind, p_ind : float
        Independence statistic and chi-squared(1) p-value.
    lr_cc, p_cc : float
        Conditional-coverage statistic (= LR_POF + LR_ind) and chi-squared(2) p-value.
    lr_pof, p_pof : float
        Kupiec's statistic and p-value on the same sequence.
    transitions : dict
        Counts n00, n01, n10, n11 (from state i to state j).
    """

    lr_ind: float
    p_ind: float
    lr_cc: float
    p_cc: float
    lr_pof: float
    p_pof: float
    transitions: dict[str, int]


def christoffersen(
    exception_flags: np.ndarray | pd.Series | list[bool], confidence: float = 0.99
) -> ChristoffersenResult:
    """Christoffersen's Markov independence and conditional-coverage tests.

    Parameters
    ----------
    exception_flags : array-like of bool, shape (n_observations,)
        Exception indicator per trial, in time order.
    confidence : float
        Confidence level of the IM. Default 0.99.
    """
    confidence = check_in_open_interval("confidence", confidence)
    flags = np.asarray(exception_flags)
    if flags.ndim != 1 or len(flags) < 2:
        raise InputError(f"exception_flags must be 1-d with at least 2 trials; got shape "
                         f"{flags.shape}")
    if flags.dtype != bool:
        uniq = set(np.unique(flags).tolist())
        if not uniq <= {0, 1}:
            raise InputError(f"exception_flags must be booleans or 0/1; got values {sorted(uniq)}")
        flags = flags.astype(bool)
    prev, curr = flags[:-1], flags[1:]
    n00 = int((~prev & ~curr).sum())
    n01 = int((~prev & curr).sum())
    n10 = int((prev & ~curr).sum())
    n11 = int((prev & curr).sum())
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    ll_null = _xlogy(n00 + n10, 1.0 - pi) + _xlogy(n01 + n11, pi)
    ll_alt = (_xlogy(n00, 1.0 - pi0) + _xlogy(n01, pi0) + _xlogy(n10, 1.0 - pi1)
              + _xlogy(n11, pi1))
    lr_ind = max(0.0, -2.0 * (ll_null - ll_alt))
    lr_pof, p_pof = kupiec_pof(int(flags.sum()), len(flags), confidence)
    lr_cc = lr_pof + lr_ind
    return ChristoffersenResult(
        lr_ind=float(lr_ind),
        p_ind=float(stats.chi2.sf(lr_ind, 1)),
        lr_cc=float(lr_cc),
        p_cc=float(stats.chi2.sf(lr_cc, 2)),
        lr_pof=lr_pof,
        p_pof=p_pof,
        transitions={"n00": n00, "n01": n01, "n10": n10, "n11": n11},
    )


def traffic_light_bounds(observations: int = 250, confidence: float = 0.99) -> tuple[int, int]:
    """Smallest exception counts of the yellow and red zones.

    Returns ``(yellow_from, red_from)``: green for x < yellow_from, red for x >= red_from. For
    250 observations at 99% this is (5, 10), the Basel table.
    """
    confidence = check_in_open_interval("confidence", confidence)
    _, n = _check_counts(0, observations)
    cdf = stats.binom.cdf(np.arange(n + 1), n, 1.0 - confidence)
    yellow = int(np.argmax(cdf >= 0.95)) if (cdf >= 0.95).any() else n + 1
    red = int(np.argmax(cdf >= 0.9999)) if (cdf >= 0.9999).any() else n + 1
    return yellow, red


def traffic_light(exceptions: int, observations: int = 250, confidence: float = 0.99) -> Zone:
    """Basel traffic-light zone: ``"green"``, ``"yellow"`` or ``"red"``.

    The zone of ``x`` exceptions is green if the binomial CDF P(X <= x) is below 95%, yellow if
    below 99.99%, red otherwise (BCBS 1996, for any sample size and confidence).
    """
    x, n = _check_counts(exceptions, observations)
    yellow, red = traffic_light_bounds(n, confidence)
    return "green" if x < yellow else ("yellow" if x < red else "red")


@dataclass(frozen=True)
class BacktestResult:
    """Outcome of :func:`backtest`.

    Attributes
    ----------
    table : pandas.DataFrame
        Per window: ``im``, ``pnl``, ``loss``, ``exception`` (loss > IM), indexed by start date.
    summary : pandas.Series
        Observations, exceptions, expected exceptions, exception rate, Kupiec and
        Christoffersen statistics and p-values, traffic-light zone, and the sampling used.
    """

    table: pd.DataFrame
    summary: pd.Series


def backtest(
    im: pd.Series,
    pnl: pd.Series,
    confidence: float = 0.99,
    *,
    sampling: Literal["overlapping", "non_overlapping"] = "non_overlapping",
    horizon: int = 10,
) -> BacktestResult:
    """Backtest an IM series against realised horizon P&L.

    Parameters
    ----------
    im : pandas.Series
        IM (a positive amount) set on each date, indexed by date.
    pnl : pandas.Series
        Realised P&L over the ``horizon`` days that start on each date (gains positive),
        indexed by the start date.
    confidence : float
        Confidence level of the IM. Default 0.99.
    sampling : {"overlapping", "non_overlapping"}
        Use every date (dependent trials: the tests' p-values are then too small), or every
        ``horizon``-th date ending on the last one (independent trials). Default
        ``"non_overlapping"``.
    horizon : int
        Horizon of the P&L in business days (the sub-sampling step). Default 10.
    """
    confidence = check_in_open_interval("confidence", confidence)
    if sampling not in ("overlapping", "non_overlapping"):
        raise InputError(f"sampling must be 'overlapping' or 'non_overlapping'; got {sampling!r}")
    for name, s in (("im", im), ("pnl", pnl)):
        if not isinstance(s, pd.Series):
            raise InputError(f"{name} must be a pandas Series indexed by date")
    joined = pd.concat({"im": im, "pnl": pnl}, axis=1, join="inner").sort_index()
    if joined.empty:
        raise InputError("im and pnl have no date in common")
    bad = joined[joined.isna().any(axis=1)]
    if len(bad):
        raise InputError(f"NaN in {'im' if pd.isna(bad['im'].iloc[0]) else 'pnl'} on "
                         f"{bad.index[0]:%Y-%m-%d}")
    if sampling == "non_overlapping":
        joined = joined.iloc[::-1].iloc[::horizon].iloc[::-1]
    joined["loss"] = -joined["pnl"]
    joined["exception"] = joined["loss"] > joined["im"]
    n = len(joined)
    x = int(joined["exception"].sum())
    lr_pof, p_pof = kupiec_pof(x, n, confidence)
    summary = {
        "observations": n,
        "exceptions": x,
        "expected_exceptions": n * (1.0 - confidence),
        "exception_rate": x / n,
        "kupiec_lr": lr_pof,
        "kupiec_p": p_pof,
        "traffic_light": traffic_light(x, n, confidence),
        "sampling": sampling,
    }
    if n >= 2:
        ch = christoffersen(joined["exception"].to_numpy(), confidence)
        summary.update({"christoffersen_lr_ind": ch.lr_ind, "christoffersen_p_ind": ch.p_ind,
                        "christoffersen_lr_cc": ch.lr_cc, "christoffersen_p_cc": ch.p_cc})
    return BacktestResult(table=joined, summary=pd.Series(summary, dtype=object))
