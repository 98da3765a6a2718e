"""Procyclicality metrics of an IM time series.

Definitions follow Murphy, Vasios and Vause (2014), "An investigation into the procyclicality
of risk-based initial margin models", Bank of England Financial Stability Paper 29 (peak-to-trough
ratio, largest n-day increases, average margin as cost); Murphy, Vasios and Vause (2016), "A
comparative analysis of tools to limit the procyclicality of initial margin requirements", BoE
Staff Working Paper 597; Glasserman and Wu (2018), "Persistence and procyclicality in margin
requirements" (impulse response); and ESMA (2018), Guidelines on EMIR anti-procyclicality
margin measures for CCPs (ESMA70-151-1496). Every function takes a date-indexed pandas Series of
IM (a positive amount) and rejects gaps and non-positive values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_positive_int
from imresearch.procyclicality._validate import aligned, im_series

__all__ = [
    "average_im",
    "coverage",
    "increases",
    "margin_calls",
    "max_increase",
    "peak_to_trough",
    "stressed_to_calm",
    "summary",
]


def _window(im: pd.Series, start: object, end: object) -> pd.Series:
    out = im.loc[start:end] if (start is not None or end is not None) else im
    if len(out) == 0:
        raise InputError(f"no IM dates between {start} and {end} (series covers "
                         f"{im.index[0]:%Y-%m-%d} .. {im.index[-1]:%Y-%m-%d})")
    return out


def peak_to_trough(
    im: pd.Series, *, start: object = None, end: object = None, trough_first: bool = False
) -> float:
    """Peak-to-trough ratio (PTR) of IM over a window.

    ``max(IM) / min(IM)`` over ``[start, end]`` (MVV 2014). With ``trough_first=True`` the
    trough must precede the peak: ``max_t IM_t / min_{s <= t} IM_s``, the rise a member
    actually experiences.

    Parameters
    ----------
    im : pandas.Series
        IM indexed by date, > 0, no gaps.
    start, end : date-like, optional
        Window (inclusive). Default: the whole series.
    trough_first : bool
        Require the trough to come before the peak. Default False.
    """
    x = _window(im_series(im), start, end).to_numpy()
    if trough_first:
        return float(np.max(x / np.minimum.accumulate(x)))
    return float(x.max() / x.min())


def increases(im: pd.Series, days: int = 20, *, relative: bool = True) -> pd.Series:
    """IM change over every ``days``-business-day span: ``IM_t / IM_{t-days} - 1`` or the
    difference (``relative=False``), indexed by the end date ``t``."""
    days = check_positive_int("days", days)
    x = im_series(im)
    if len(x) <= days:
        raise InputError(f"im has {len(x)} dates, too few for a {days}-day increase")
    prev = x.shift(days)
    out = (x / prev - 1.0) if relative else (x - prev)
    return out.iloc[days:].rename(f"{days}d_increase")


def max_increase(im: pd.Series, days: int = 20, relative: bool = True) -> float:
    """Largest ``days``-day increase of IM (relative, e.g. 0.5 = +50%, or in currency).

    Parameters
    ----------
    im : pandas.Series
        IM indexed by date, > 0, no gaps.
    days : int
        Span in business days (rows). Default 20; MVV use 1, 5 and 30.
    relative : bool
        Relative (default) or absolute increase.
    """
    return float(increases(im, days, relative=relative).max())


def average_im(im: pd.Series, *, start: object = None, end: object = None) -> float:
    """Average IM over a window: the funding cost of the model (MVV 2016)."""
    return float(_window(im_series(im), start, end).mean())


def stressed_to_calm(im: pd.Series, stress: pd.Series) -> float:
    """Average IM on stress dates over average IM on calm dates.

    Parameters
    ----------
    im : pandas.Series
        IM indexed by date.
    stress : pandas.Series of bool
        True on stress dates (e.g. a regime path or episode calendar), on every IM date.
    """
    x = im_series(im)
    if not isinstance(stress, pd.Series):
        raise InputError("stress must be a boolean pandas Series indexed by date")
    flags = stress.reindex(x.index)
    if flags.isna().any():
        raise InputError(f"stress has no flag on {flags.index[flags.isna()][0]:%Y-%m-%d}")
    flags = flags.astype(bool)
    if flags.all() or not flags.any():
        raise InputError("stress must flag some dates and leave some calm")
    return float(x[flags].mean() / x[~flags].mean())


def margin_calls(
    im: pd.Series, *, start: object = None, end: object = None, days: int = 1
) -> pd.Series:
    """Margin calls as liquidity demand over a window, in the currency of IM.

    Returns a Series: ``total_calls`` (sum of positive daily IM changes), ``total_returns``
    (sum of negative changes, as a positive amount), ``largest_call`` (largest ``days``-day
    increase) and its end date ``largest_call_date``.
    """
    x = _window(im_series(im), start, end)
    if len(x) < days + 1:
        raise InputError(f"window has {len(x)} dates, too few for {days}-day calls")
    diff = x.diff().iloc[1:]
    span = (x - x.shift(days)).iloc[days:]
    return pd.Series({
        "total_calls": float(diff.clip(lower=0).sum()),
        "total_returns": float(-diff.clip(upper=0).sum()),
        "largest_call": float(max(span.max(), 0.0)),
        "largest_call_date": span.idxmax() if span.max() > 0 else pd.NaT,
    }, dtype=object)


def coverage(im: pd.Series, pnl: pd.Series) -> pd.Series:
    """Coverage of realised losses by IM set at the start of each horizon.

    Parameters
    ----------
    im : pandas.Series
        IM indexed by date.
    pnl : pandas.Series
        Realised horizon P&L (gains positive) starting on each IM date.

    Returns
    -------
    pandas.Series
        ``observations``, ``breaches`` (loss > IM), ``breach_rate``, ``average_shortfall`` and
        ``worst_shortfall`` (loss - IM over breaches, 0 if none), ``max_loss_to_margin``
        (largest loss / IM).
    """
    x = im_series(im)
    p = aligned(x, pnl, "pnl", positive=False)
    loss = -p
    short = (loss - x)[loss > x]
    return pd.Series({
        "observations": len(x),
        "breaches": len(short),
        "breach_rate": len(short) / len(x),
        "average_shortfall": float(short.mean()) if len(short) else 0.0,
        "worst_shortfall": float(short.max()) if len(short) else 0.0,
        "max_loss_to_margin": float((loss / x).max()),
    }, dtype=object)


def summary(im: pd.Series, *, days: tuple[int, ...] = (1, 5, 20)) -> pd.Series:
    """The standard row of a procyclicality table: average IM, PTR (both variants) and the
    largest relative increases over ``days``."""
    out = {
        "average_im": average_im(im),
        "peak_to_trough": peak_to_trough(im),
        "peak_to_trough_trough_first": peak_to_trough(im, trough_first=True),
    }
    for d in days:
        out[f"max_{d}d_increase"] = max_increase(im, d)
    return pd.Series(out)
