"""Anti-procyclicality (APC) tools as transforms of a model's IM series.

EMIR RTS 153/2013 Article 28(1) lists three options for CCPs: (a) a buffer of at least 25% of
margin that can be temporarily exhausted when margin requirements rise significantly; (b) at
least 25% weight on stressed observations in the lookback; (c) margin no lower than that from a
10-year lookback. ESMA's 2018 guidelines, SPAN 2 and the literature add caps, floors from a
stress period, speed limits on increases, and blends with a stressed IM. Here each tool is a
function ``IM series -> charged IM series`` (tools needing a second series, e.g. the 10-year
IM for the floor, take it as an argument), so tools compose with :func:`compose`. The
stressed-observation weight (b) acts on the calibration, not on the output series: it lives with
the engines (weighted scenarios, :func:`imresearch.measures.weighted_var_es`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch._numba import jit
from imresearch.errors import InputError, check_in_open_interval, check_positive_int
from imresearch.procyclicality._validate import aligned, im_series
from imresearch.procyclicality.metrics import summary

__all__ = [
    "Tool",
    "blend",
    "buffer",
    "buffer_released",
    "cap",
    "compose",
    "floor",
    "frontier",
    "speed_limit",
]

Transform = Callable[[pd.Series], pd.Series]


@dataclass(frozen=True)
class Tool:
    """A named APC transform: ``tool(im)`` returns the charged IM series."""

    name: str
    transform: Transform

    def __call__(self, im: pd.Series) -> pd.Series:
        return self.transform(im)


@jit
def _buffer_kernel(im: np.ndarray, rate: float, trigger: float, window: int,
                   rebuild_days: int) -> tuple[np.ndarray, np.ndarray]:
    n = im.shape[0]
    out = np.empty(n)
    released = np.zeros(n, dtype=np.bool_)
    out[0] = (1.0 + rate) * im[0]
    for t in range(1, n):
        target = (1.0 + rate) * im[t]
        j = t - window if t >= window else 0
        rising = im[t] / im[j] - 1.0 >= trigger
        if rising:
            # buffer released: charged margin absorbs the rise until the model IM exceeds it
            released[t] = True
            out[t] = min(max(out[t - 1], im[t]), target)
        else:
            step = rate * im[t] / rebuild_days
            out[t] = min(target, max(out[t - 1] + step, im[t]))
    return out, released


def buffer(
    im: pd.Series,
    rate: float = 0.25,
    *,
    trigger: float = 0.10,
    window: int = 5,
    rebuild_days: int = 20,
) -> pd.Series:
    """Margin buffer released in stress (EMIR RTS 153/2013 art. 28(1)(a)).

    In normal times the charged IM is ``(1 + rate) * IM``. When the model IM has risen by at
    least ``trigger`` (relative) over the last ``window`` business days, the buffer is released:
    the charged IM stays where it was (never below the model IM) and so absorbs the rise. Once
    the rise stops, the buffer is rebuilt linearly over ``rebuild_days``.

    Parameters
    ----------
    im : pandas.Series
        Model IM indexed by date, > 0.
    rate : float
        Buffer as a fraction of IM. Default 0.25 (the EMIR minimum).
    trigger : float
        Relative rise over ``window`` days that releases the buffer. Default 0.10.
    window : int
        Business days of the rise test. Default 5.
    rebuild_days : int
        Business days to rebuild the full buffer. Default 20.

    Returns
    -------
    pandas.Series
        Charged IM (:func:`buffer_released` gives the days the buffer was released).
    """
    x, out, _ = _buffer(im, rate, trigger, window, rebuild_days)
    return pd.Series(out, index=x.index, name="im_buffer")


def buffer_released(im: pd.Series, rate: float = 0.25, *, trigger: float = 0.10,
                    window: int = 5, rebuild_days: int = 20) -> pd.Series:
    """The days on which the buffer of :func:`buffer` (same arguments) is released (bool)."""
    x, _, released = _buffer(im, rate, trigger, window, rebuild_days)
    return pd.Series(released, index=x.index, name="released")


def _buffer(im: pd.Series, rate: float, trigger: float, window: int, rebuild_days: int
            ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    x = im_series(im)
    rate = check_in_open_interval("rate", rate, 0.0, 10.0)
    trigger = check_in_open_interval("trigger", trigger, 0.0, 100.0)
    window = check_positive_int("window", window)
    rebuild_days = check_positive_int("rebuild_days", rebuild_days)
    out, released = _buffer_kernel(x.to_numpy(), rate, trigger, window, rebuild_days)
    return x, out, released


def floor(im: pd.Series, floor_im: pd.Series | float) -> pd.Series:
    """IM no lower than a floor: ``max(IM, floor)``.

    With the IM of a 10-year lookback this is EMIR art. 28(1)(c); with the IM calibrated on a
    stress period it is the stress-period floor.
    """
    x = im_series(im)
    return np.maximum(x, aligned(x, floor_im, "floor_im")).rename("im_floor")


def cap(im: pd.Series, cap_im: pd.Series | float) -> pd.Series:
    """IM no higher than a cap: ``min(IM, cap)`` (a scalar or a series, e.g. a multiple of the
    stressed IM)."""
    x = im_series(im)
    return np.minimum(x, aligned(x, cap_im, "cap_im")).rename("im_cap")


@jit
def _speed_limit_kernel(im: np.ndarray, max_rise: float, days: int) -> np.ndarray:
    n = im.shape[0]
    out = np.empty(n)
    for t in range(n):
        if t < days:
            out[t] = im[t]
        else:
            out[t] = min(im[t], (1.0 + max_rise) * out[t - days])
    return out


def speed_limit(im: pd.Series, max_rise: float = 0.10, days: int = 1) -> pd.Series:
    """Limit the speed of IM increases: charged ``C_t = min(IM_t, (1 + max_rise) C_{t-days})``.

    Decreases pass through at once. The limit trades procyclicality for under-coverage while
    the charged IM catches up.
    """
    x = im_series(im)
    max_rise = check_in_open_interval("max_rise", max_rise, 0.0, 100.0)
    days = check_positive_int("days", days)
    return pd.Series(_speed_limit_kernel(x.to_numpy(), max_rise, days), index=x.index,
                     name="im_speed_limit")


def blend(im: pd.Series, stressed_im: pd.Series | float, weight: float = 0.75) -> pd.Series:
    """SPAN-2-style blend ``weight * IM + (1 - weight) * stressed IM``."""
    x = im_series(im)
    weight = check_in_open_interval("weight", weight, 0.0, 1.0 + 1e-12)
    return (weight * x + (1.0 - weight) * aligned(x, stressed_im, "stressed_im")).rename(
        "im_blend"
    )


def compose(*tools: Transform) -> Transform:
    """Apply tools left to right: ``compose(f, g)(im) == g(f(im))``."""
    if not tools:
        raise InputError("compose needs at least one tool")

    def run(im: pd.Series) -> pd.Series:
        for tool in tools:
            im = tool(im)
        return im

    return run


def frontier(
    im: pd.Series,
    tools: Mapping[str, Transform] | Sequence[Tool],
    *,
    days: int = 20,
) -> pd.DataFrame:
    """Cost against procyclicality for the model IM and each tool.

    Returns one row per variant (``none`` first): average IM (cost), PTR, trough-first PTR and
    the largest ``days``-day relative increase, plus each relative to the unmitigated model.
    """
    items = tools.items() if isinstance(tools, Mapping) else [(t.name, t) for t in tools]
    rows = {"none": summary(im, days=(days,))}
    for name, tool in items:
        rows[name] = summary(tool(im), days=(days,))
    table = pd.DataFrame(rows).T
    table["cost_vs_none"] = table["average_im"] / table.loc["none", "average_im"]
    table["ptr_vs_none"] = table["peak_to_trough"] / table.loc["none", "peak_to_trough"]
    return table
