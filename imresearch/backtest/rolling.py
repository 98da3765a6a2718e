"""The traffic light through time, and the remediation add-on that brings a group back to green.

ISDA's SIMM governance framework asks each firm to backtest SIMM on its own portfolios and to
remediate underperformance bilaterally with add-ons carried in the CRIF: a multiplier of the
product-class margin (``Param_ProductClassMultiplier``) or a fixed additional amount
(``Param_AddOnFixedAmount``), kept while the portfolio stays outside the green zone. Here, over
each window of ``window`` observations, the add-on is the smallest one with which the window
would have been green: with ``g`` the largest green count (``yellow_from - 1``),

* the **multiplier** ``m*`` is the ``(g + 1)``-th largest ratio ``loss / IM`` (at least 1):
  with ``m * IM`` no more than ``g`` losses exceed the margin, with any smaller ``m`` at least
  ``g + 1`` do;
* the **additive amount** ``A*`` is the ``(g + 1)``-th largest shortfall ``loss - IM`` (at
  least 0)

(both raised by a few units of floating-point rounding, so that the margin computed with them
does clear the loss that sets them).

Zones of overlapping windows (``horizon > step``) use the simulated bounds of
:func:`imresearch.backtest.overlap.overlap_traffic_light_bounds`; otherwise the binomial ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch._rolling import rolling_tail_kernel
from imresearch.backtest.overlap import overlap_traffic_light_bounds
from imresearch.errors import InputError, check_in_open_interval, check_positive_int

__all__ = ["Remediation", "remediation", "rolling_traffic_light"]


def _aligned(im: pd.Series, pnl: pd.Series) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    for name, s in (("im", im), ("pnl", pnl)):
        if not isinstance(s, pd.Series):
            raise InputError(f"{name} must be a pandas Series indexed by date")
    joined = pd.concat({"im": im, "pnl": pnl}, axis=1, join="inner").sort_index()
    if joined.isna().any().any():
        bad = joined[joined.isna().any(axis=1)].index[0]
        raise InputError(f"im and pnl must have no NaN; got one on {bad:%Y-%m-%d}")
    if (joined["im"] < 0).any():
        raise InputError(f"im must be >= 0; got {joined['im'].min()}")
    return (pd.DatetimeIndex(joined.index), joined["im"].to_numpy(float),
            joined["pnl"].to_numpy(float))


def _ratios(im: np.ndarray, pnl: np.ndarray) -> np.ndarray:
    """loss / IM, +inf for a loss on a zero IM, 0 where there is no loss."""
    loss = -pnl
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(im > 0, loss / im, np.where(loss > 0, np.inf, 0.0))
    return np.maximum(r, 0.0)


@dataclass(frozen=True)
class Remediation:
    """The smallest add-ons that make a window green.

    Attributes
    ----------
    observations, exceptions : int
    zone : {"green", "yellow", "red"}
    yellow_from, red_from : int
        The zone bounds used.
    multiplier : float
        Smallest multiplier (>= 1) of the IM that leaves at most ``yellow_from - 1``
        exceptions.
    add_on : float
        Smallest additive amount (>= 0) that does the same.
    """

    observations: int
    exceptions: int
    zone: str
    yellow_from: int
    red_from: int
    multiplier: float
    add_on: float


def _bounds(n: int, confidence: float, horizon: int, step: int) -> tuple[int, int]:
    return overlap_traffic_light_bounds(n, horizon, confidence, step=step)


def remediation(im: pd.Series, pnl: pd.Series, confidence: float = 0.99, *, horizon: int = 1,
                step: int = 1) -> Remediation:
    """Zone of a backtest sample and the smallest multiplier / add-on making it green.

    Parameters
    ----------
    im : pandas.Series
        IM (>= 0) on each date.
    pnl : pandas.Series
        Realised P&L of the window starting on each date (gains positive).
    confidence : float
        Confidence of the IM. Default 0.99.
    horizon, step : int
        Days per P&L window and between IM dates (windows overlap when ``horizon > step``).
    """
    confidence = check_in_open_interval("confidence", confidence)
    _, x_im, x_pnl = _aligned(im, pnl)
    n = len(x_im)
    if n == 0:
        raise InputError("im and pnl have no date in common")
    yellow, red = _bounds(n, confidence, check_positive_int("horizon", horizon),
                          check_positive_int("step", step))
    loss = -x_pnl
    x = int(np.count_nonzero(loss > x_im))
    zone = "green" if x < yellow else ("yellow" if x < red else "red")
    if yellow > n:  # green whatever happens
        return Remediation(n, x, zone, yellow, red, 1.0, 0.0)
    k = yellow  # the (g + 1)-th largest, g = yellow - 1
    ratio = np.sort(_ratios(x_im, x_pnl))[::-1][k - 1]
    short = np.sort(loss - x_im)[::-1][k - 1]
    mult, add = _clear(np.array([ratio]), np.array([short]), np.abs(loss).max())
    return Remediation(n, x, zone, yellow, red, float(mult[0]), float(add[0]))


def _clear(ratio: np.ndarray, short: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The add-ons, floored at 1 and 0 and raised by a few units of rounding, so that
    ``m * IM`` and ``IM + A`` computed in floating point do clear the loss they are set by."""
    eps = 4.0 * np.finfo(float).eps
    return (np.maximum(ratio * (1.0 + eps), 1.0),
            np.maximum(short * (1.0 + eps) + eps * scale, 0.0))


def rolling_traffic_light(im: pd.Series, pnl: pd.Series, window: int = 250,
                          confidence: float = 0.99, *, horizon: int = 1, step: int = 1
                          ) -> pd.DataFrame:
    """Traffic light over each trailing window of ``window`` observations, with remediation.

    Parameters
    ----------
    im, pnl : pandas.Series
        As in :func:`remediation`.
    window : int
        Observations per window. Default 250 (a year of daily IM dates).
    confidence, horizon, step
        As in :func:`remediation`.

    Returns
    -------
    pandas.DataFrame
        Indexed by the last IM date of each full window: ``exceptions``, ``zone``,
        ``multiplier`` and ``add_on`` (the smallest that make the window green).
    """
    confidence = check_in_open_interval("confidence", confidence)
    window = check_positive_int("window", window)
    dates, x_im, x_pnl = _aligned(im, pnl)
    n = len(x_im)
    if n < window:
        raise InputError(f"window={window} is longer than the {n} observations")
    yellow, red = _bounds(window, confidence, check_positive_int("horizon", horizon),
                          check_positive_int("step", step))
    loss = -x_pnl
    hits = np.concatenate([[0], np.cumsum(loss > x_im)])
    counts = hits[window:] - hits[:-window]
    zone = np.where(counts < yellow, "green", np.where(counts < red, "yellow", "red"))
    if yellow <= window:
        mult, _ = rolling_tail_kernel(np.ascontiguousarray(_ratios(x_im, x_pnl)), window,
                                      yellow)
        add, _ = rolling_tail_kernel(np.ascontiguousarray(loss - x_im), window, yellow)
    else:
        mult = add = np.zeros(n - window + 1)
    mult, add = _clear(mult, add, float(np.abs(loss).max()))
    return pd.DataFrame({"exceptions": counts, "zone": zone, "multiplier": mult, "add_on": add},
                        index=pd.DatetimeIndex(dates[window - 1:], name="date"))
