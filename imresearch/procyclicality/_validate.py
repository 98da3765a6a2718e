"""Validation of IM time series for the procyclicality functions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.errors import InputError


def im_series(im: object, name: str = "im", *, positive: bool = True) -> pd.Series:
    """Return ``im`` as a float Series on a strictly increasing DatetimeIndex, or raise.

    Gaps (NaN) and, when ``positive``, non-positive values are rejected naming the date.
    """
    if not isinstance(im, pd.Series):
        raise InputError(f"{name} must be a pandas Series indexed by date; got {type(im).__name__}")
    if not isinstance(im.index, pd.DatetimeIndex):
        raise InputError(f"{name} must be indexed by dates (a DatetimeIndex)")
    if len(im) == 0:
        raise InputError(f"{name} is empty")
    if not im.index.is_monotonic_increasing or im.index.has_duplicates:
        raise InputError(f"{name}: dates must be strictly increasing")
    values = pd.to_numeric(im, errors="coerce").astype("float64")
    bad = values[~np.isfinite(values.to_numpy())]
    if len(bad):
        raise InputError(f"{name} has a gap or non-numeric value on {bad.index[0]:%Y-%m-%d}: "
                         f"{im.loc[bad.index[0]]!r}")
    if positive:
        nonpos = values[values <= 0]
        if len(nonpos):
            raise InputError(f"{name} must be > 0; got {float(nonpos.iloc[0])!r} on "
                             f"{nonpos.index[0]:%Y-%m-%d}")
    return values


def aligned(im: pd.Series, other: object, name: str, *, positive: bool = True) -> pd.Series:
    """A scalar or Series ``other`` aligned on ``im``'s dates (every date must be present)."""
    if np.isscalar(other):
        value = float(other)  # type: ignore[arg-type]
        if not np.isfinite(value) or (positive and value <= 0):
            raise InputError(f"{name} must be a finite number{' > 0' if positive else ''}; "
                             f"got {other!r}")
        return pd.Series(value, index=im.index)
    series = im_series(other, name, positive=positive)
    missing = im.index.difference(series.index)
    if len(missing):
        raise InputError(f"{name} has no value on {missing[0]:%Y-%m-%d} "
                         f"({len(missing)} dates of the IM series missing)")
    return series.reindex(im.index)
