"""Horizon shocks of a risk-factor history, and their application back to levels.

A shock is the move of each factor over ``horizon`` business days (rows of the history), measured
under the factor's convention (:mod:`imresearch.marketdata.conventions`). Three constructions:

``overlapping``
    one shock per day: rows (i, i + h) for every i (daily-stepped windows);
``non_overlapping``
    rows (i, i + h) stepped by h, anchored so that the last shock ends on the last date;
``sqrt_time``
    1-day shocks (i, i + 1) scaled by sqrt(h), the common shortcut for a 10-day horizon.

Every shock keeps the dates it starts and ends on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_choice, check_positive_int
from imresearch.marketdata._kernels import apply_shocks_kernel, horizon_shocks_kernel
from imresearch.marketdata.conventions import encode
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory

__all__ = ["SHOCK_METHODS", "Shocks", "apply_shocks", "horizon_shocks"]

ShockMethod = Literal["overlapping", "non_overlapping", "sqrt_time"]
SHOCK_METHODS: tuple[str, ...] = ("overlapping", "non_overlapping", "sqrt_time")


@dataclass(frozen=True)
class Shocks:
    """A set of horizon shocks.

    Attributes
    ----------
    frame : pandas.DataFrame
        Shocks of shape (n_shocks, n_factors), indexed by the end date (index name ``end``).
    start : pandas.DatetimeIndex
        Start date of each shock (aligned with ``frame``'s rows).
    horizon : int
        Horizon in business days (rows of the history).
    method : str
        ``overlapping``, ``non_overlapping`` or ``sqrt_time``.
    factors : dict of str to FactorSpec
        Metadata of the factors (shock conventions).
    """

    frame: pd.DataFrame
    start: pd.DatetimeIndex
    horizon: int
    method: str
    factors: Mapping[str, FactorSpec]

    @property
    def end(self) -> pd.DatetimeIndex:
        """End date of each shock."""
        return pd.DatetimeIndex(self.frame.index)

    @property
    def values(self) -> np.ndarray:
        """Shocks as a C-contiguous float64 array of shape (n_shocks, n_factors)."""
        return np.ascontiguousarray(self.frame.to_numpy(dtype=np.float64))

    @property
    def dates(self) -> pd.DataFrame:
        """Start and end date of each shock."""
        return pd.DataFrame({"start": self.start, "end": self.end})

    def __len__(self) -> int:
        return len(self.frame)

    def between(self, start: object = None, end: object = None) -> Shocks:
        """Shocks that start on or after ``start`` and end on or before ``end``."""
        mask = np.ones(len(self), dtype=bool)
        if start is not None:
            mask &= self.start >= pd.Timestamp(start)
        if end is not None:
            mask &= self.end <= pd.Timestamp(end)
        return Shocks(self.frame[mask], self.start[mask], self.horizon, self.method, self.factors)


def horizon_shocks(
    history: RiskFactorHistory,
    horizon: int = 10,
    *,
    method: ShockMethod = "overlapping",
) -> Shocks:
    """Compute ``horizon``-day shocks of every factor under its convention.

    Parameters
    ----------
    history : RiskFactorHistory
        Levels and metadata.
    horizon : int
        Horizon in business days (rows). Default 10 (the UMR margin period of risk).
    method : {"overlapping", "non_overlapping", "sqrt_time"}
        How shocks are built (see the module docstring). Default ``"overlapping"``.

    Returns
    -------
    Shocks
        Shocks indexed by end date, with their start dates.

    Raises
    ------
    InputError
        If ``horizon`` is not a positive integer or the history is too short for one shock.
    """
    if not isinstance(history, RiskFactorHistory):
        raise InputError(f"history must be a RiskFactorHistory; got {type(history).__name__}")
    horizon = check_positive_int("horizon", horizon)
    check_choice("method", method, SHOCK_METHODS)
    n = history.n_dates
    step = 1 if method == "sqrt_time" else horizon
    if n <= step:
        raise InputError(
            f"{history.name}: {n} dates are too few for a {step}-day shock "
            f"(need at least {step + 1})"
        )
    if method == "overlapping":
        starts = np.arange(0, n - horizon, dtype=np.int64)
    elif method == "non_overlapping":
        starts = np.arange((n - 1) % horizon, n - horizon, horizon, dtype=np.int64)
    else:
        starts = np.arange(0, n - 1, dtype=np.int64)
    scale = float(np.sqrt(horizon)) if method == "sqrt_time" else 1.0
    codes, params = encode(history.factors)
    values = horizon_shocks_kernel(history.values, codes, params, starts, step, scale)
    dates = history.dates
    frame = pd.DataFrame(
        values,
        index=pd.DatetimeIndex(dates[starts + step], name="end"),
        columns=pd.Index(history.factor_names, name="factor"),
        copy=False,
    )
    return Shocks(frame, pd.DatetimeIndex(dates[starts], name="start"), horizon, method,
                  history.factors)


def apply_shocks(
    base: pd.Series | np.ndarray | pd.DataFrame,
    shocks: Shocks | pd.DataFrame | np.ndarray,
    factors: Mapping[str, FactorSpec] | Sequence[FactorSpec] | None = None,
) -> pd.DataFrame | np.ndarray:
    """Apply shocks to base levels: the inverse of the shock convention.

    Parameters
    ----------
    base : pandas.Series of shape (n_factors,), DataFrame or ndarray
        Base levels, one per factor (the same for every shock), or one row per shock.
    shocks : Shocks, pandas.DataFrame or ndarray of shape (n_shocks, n_factors)
        Shocks to apply.
    factors : mapping or sequence of FactorSpec, optional
        Conventions per factor; taken from ``shocks`` when it is a :class:`Shocks`.

    Returns
    -------
    pandas.DataFrame or ndarray of shape (n_shocks, n_factors)
        Shocked levels; a DataFrame (index of the shocks) unless both inputs are arrays.
    """
    if isinstance(shocks, Shocks):
        specs = factors if factors is not None else shocks.factors
        frame: pd.DataFrame | None = shocks.frame
    elif isinstance(shocks, pd.DataFrame):
        frame = shocks
        specs = factors
    else:
        frame = None
        specs = factors
    if specs is None:
        raise InputError("apply_shocks needs the factor conventions (factors=...)")
    spec_list = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    if frame is not None and isinstance(specs, Mapping):
        missing = [c for c in frame.columns if c not in specs]
        if missing:
            raise InputError(f"apply_shocks: no convention for factor(s) {missing}")
        spec_list = [specs[c] for c in frame.columns]
    shock_arr = np.ascontiguousarray(
        frame.to_numpy(dtype=np.float64) if frame is not None else np.asarray(shocks, np.float64)
    )
    if shock_arr.ndim != 2 or shock_arr.shape[1] != len(spec_list):
        raise InputError(
            f"shocks must have shape (n_shocks, {len(spec_list)}); got {shock_arr.shape}"
        )
    if isinstance(base, pd.Series) and frame is not None:
        base = base.reindex(frame.columns)
    base_arr = np.ascontiguousarray(np.asarray(base, dtype=np.float64))
    expected = {(len(spec_list),), shock_arr.shape}
    if base_arr.shape not in expected:
        raise InputError(
            f"base must have shape ({len(spec_list)},) or {shock_arr.shape}; got {base_arr.shape}"
        )
    if np.isnan(base_arr).any():
        raise InputError("base levels contain NaN (a factor missing from base?)")
    codes, params = encode(spec_list)
    out = apply_shocks_kernel(base_arr, shock_arr, codes, params)
    if frame is None:
        return out
    return pd.DataFrame(out, index=frame.index, columns=frame.columns, copy=False)
