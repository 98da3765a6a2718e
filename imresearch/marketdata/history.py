"""The risk-factor history: a date x factor table of levels with per-factor metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import GapPolicy
from imresearch.errors import InputError, check_choice, check_positive_int, where
from imresearch.marketdata._history_checks import (
    BRIDGED_GAP,
    DEFAULT_MAX_GAP,
    GAP_POLICIES,
    GapReport,
    _apply_gap_policy,
    _check_domain,
    _check_gaps,
    _check_order,
    _check_shocks,
    _resolve_specs,
    _to_dates,
    _to_float,
)
from imresearch.marketdata.factors import FactorSpec

__all__ = ["BRIDGED_GAP", "DEFAULT_MAX_GAP", "GAP_POLICIES", "GapReport", "RiskFactorHistory"]


class RiskFactorHistory:
    """Daily levels of market risk factors with their metadata.

    Parameters
    ----------
    levels : pandas.DataFrame
        Levels, one row per date (a DatetimeIndex, or anything convertible to one) and one
        column per factor. Values must be numeric.
    factors : FactorSpec or mapping of str to FactorSpec, optional
        Metadata per column, or one spec used for every column. Columns without a spec get
        ``FactorSpec()`` (risk class ``other``, log shocks).
    gap_policy : {"error", "drop", "ffill"}
        Missing values (NaN): ``error`` rejects them naming the first; ``drop`` removes every
        date on which a factor is missing; ``ffill`` carries the last level forward for at most
        ``max_ffill`` consecutive dates and rejects longer gaps. Infinite values are always
        rejected. Default ``"error"``.
    max_ffill : int
        Longest run of consecutive missing values ``ffill`` may fill. Default 5.
    max_gap : int or None
        Longest span between consecutive dates (after the gap policy), in business days.
        Default :data:`DEFAULT_MAX_GAP` (10): a longer hole is an error naming it. ``None``
        accepts any span; spans over :data:`BRIDGED_GAP` business days are listed in
        ``gap_report.bridged`` either way.
    name : str, optional
        Name of the history (data set or file name), used in messages and reports.
    source : str, optional
        File the levels come from, named in error messages.
    lines : sequence of int, optional
        File line number of each row of ``levels``, so errors name the line.

    Raises
    ------
    InputError
        Dates not strictly increasing or duplicated, non-numeric or infinite values, missing
        values the gap policy does not handle, a span between dates longer than ``max_gap``,
        non-positive levels of log/relative factors, levels at or below ``-displacement`` for
        displaced factors, or levels whose one-day shock is not a finite number (e.g. a level
        of 1e-320 under log shocks). The message names the source, line, date, column and
        value.

    Notes
    -----
    Levels are stored as a C-contiguous float64 array; :attr:`levels` is a read-only DataFrame
    view indexed by date (index name ``"date"``).
    """

    def __init__(
        self,
        levels: pd.DataFrame,
        factors: FactorSpec | Mapping[str, FactorSpec] | None = None,
        *,
        gap_policy: GapPolicy = "error",
        max_ffill: int = 5,
        max_gap: int | None = DEFAULT_MAX_GAP,
        name: str | None = None,
        source: str | None = None,
        lines: Sequence[int] | np.ndarray | None = None,
    ) -> None:
        check_choice("gap_policy", gap_policy, GAP_POLICIES)
        if max_gap is not None:
            check_positive_int("max_gap", max_gap)
        if not isinstance(levels, pd.DataFrame):
            raise InputError(f"levels must be a pandas DataFrame; got {type(levels).__name__}")
        self.name = name or source or "history"
        self.source = source
        label = source or name
        if levels.shape[1] == 0:
            raise InputError(f"{label or 'levels'}: no factor columns")
        if levels.shape[0] == 0:
            raise InputError(f"{label or 'levels'}: no dates (empty table)")
        columns = [str(c) for c in levels.columns]
        if len(set(columns)) != len(columns):
            dup = pd.Index(columns)[pd.Index(columns).duplicated()][0]
            raise InputError(f"{where(label, column=dup)}: duplicate factor name")
        line_of = np.asarray(lines, dtype=np.int64) if lines is not None else None

        index = _to_dates(levels.index, label, line_of)
        _check_order(index, label, line_of)
        values = _to_float(levels, columns, index, label, line_of)

        specs = _resolve_specs(columns, factors, label)
        values, index, report = _apply_gap_policy(
            values, index, columns, gap_policy, max_ffill, label, line_of
        )
        _check_domain(values, index, columns, specs, label, line_of)
        _check_shocks(values, index, columns, specs, label, line_of)
        report = _check_gaps(index, report, max_gap, label, line_of, len(values))
        values.setflags(write=False)
        self._values = values
        self._index = index
        self._columns = pd.Index(columns, name="factor")
        self._specs: dict[str, FactorSpec] = specs
        self.gap_report = report

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def _trusted(
        cls,
        values: np.ndarray,
        index: pd.DatetimeIndex,
        specs: Mapping[str, FactorSpec],
        *,
        name: str,
        source: str | None = None,
        gap_report: GapReport | None = None,
    ) -> RiskFactorHistory:
        """Build from already validated parts (slicing, selection) without re-validating."""
        obj = cls.__new__(cls)
        arr = np.ascontiguousarray(values, dtype=np.float64)
        arr.setflags(write=False)
        obj._values = arr
        obj._index = index
        obj._columns = pd.Index(list(specs), name="factor")
        obj._specs = dict(specs)
        obj.name = name
        obj.source = source
        obj.gap_report = gap_report or GapReport("error")
        return obj

    # ------------------------------------------------------------------ accessors
    @property
    def levels(self) -> pd.DataFrame:
        """Levels as a DataFrame indexed by date (index ``date``, columns ``factor``)."""
        return pd.DataFrame(self._values, index=self._index, columns=self._columns, copy=False)

    @property
    def values(self) -> np.ndarray:
        """Levels as a read-only C-contiguous float64 array of shape (n_dates, n_factors)."""
        return self._values

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The dates (strictly increasing)."""
        return self._index

    @property
    def factor_names(self) -> list[str]:
        """Factor names in column order."""
        return list(self._columns)

    @property
    def factors(self) -> dict[str, FactorSpec]:
        """Metadata per factor (a copy)."""
        return dict(self._specs)

    @property
    def metadata(self) -> pd.DataFrame:
        """Metadata as a DataFrame indexed by factor name."""
        rows = [spec.to_dict() for spec in self._specs.values()]
        return pd.DataFrame(rows, index=self._columns)

    @property
    def n_dates(self) -> int:
        """Number of dates."""
        return self._values.shape[0]

    @property
    def n_factors(self) -> int:
        """Number of factors."""
        return self._values.shape[1]

    @property
    def start(self) -> pd.Timestamp:
        """First date."""
        return self._index[0]

    @property
    def end(self) -> pd.Timestamp:
        """Last date."""
        return self._index[-1]

    def __len__(self) -> int:
        return self.n_dates

    def __repr__(self) -> str:
        return (
            f"RiskFactorHistory({self.name!r}: {self.n_factors} factors, {self.n_dates} dates, "
            f"{self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RiskFactorHistory):
            return NotImplemented
        return (
            self._index.equals(other._index)
            and list(self._columns) == list(other._columns)
            and self._specs == other._specs
            and np.array_equal(self._values, other._values)
        )

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ transformations
    def select(self, factors: str | Iterable[str]) -> RiskFactorHistory:
        """Return the history of some factors only, in the order given."""
        names = [factors] if isinstance(factors, str) else list(factors)
        missing = [f for f in names if f not in self._specs]
        if missing:
            raise InputError(
                f"{self.name}: unknown factor(s) {missing}; available: {self.factor_names}"
            )
        cols = [self._columns.get_loc(f) for f in names]
        return RiskFactorHistory._trusted(
            self._values[:, cols],
            self._index,
            {f: self._specs[f] for f in names},
            name=self.name,
            source=self.source,
            gap_report=self.gap_report,
        )

    def window(self, start: Any = None, end: Any = None) -> RiskFactorHistory:
        """Return the dates in ``[start, end]`` (both inclusive; None means open)."""
        lo = 0 if start is None else int(self._index.searchsorted(pd.Timestamp(start), "left"))
        hi = self.n_dates if end is None else int(
            self._index.searchsorted(pd.Timestamp(end), "right")
        )
        if hi <= lo:
            raise InputError(
                f"{self.name}: no dates between {start} and {end} "
                f"(history covers {self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d})"
            )
        return RiskFactorHistory._trusted(
            self._values[lo:hi],
            self._index[lo:hi],
            self._specs,
            name=self.name,
            source=self.source,
            gap_report=self.gap_report,
        )

    def summary(self) -> pd.DataFrame:
        """One row per factor: metadata, first/last date and level, and daily-shock volatility."""
        from imresearch.marketdata.shocks import horizon_shocks

        meta = self.metadata[["risk_class", "convention", "units", "currency", "tenor"]]
        levels = self.levels
        out = meta.copy()
        out["first_date"] = self.start.date()
        out["last_date"] = self.end.date()
        out["first_level"] = levels.iloc[0]
        out["last_level"] = levels.iloc[-1]
        out["min_level"] = levels.min()
        out["max_level"] = levels.max()
        if self.n_dates > 1:
            daily = horizon_shocks(self, horizon=1).frame
            out["daily_shock_std"] = daily.std(ddof=1)
        out["filled_values"] = (
            self.gap_report.filled.reindex(out.index).fillna(0).astype("int64")
            if len(self.gap_report.filled)
            else 0
        )
        return out

    def calendar_gaps(self, max_business_days: int = 3) -> pd.DataFrame:
        """Spans between consecutive dates longer than ``max_business_days`` business days."""
        idx = self._index
        if len(idx) < 2:
            return pd.DataFrame(columns=["from", "to", "business_days"])
        bdays = np.busday_count(
            idx[:-1].values.astype("datetime64[D]"), idx[1:].values.astype("datetime64[D]")
        )
        mask = bdays > max_business_days
        return pd.DataFrame(
            {"from": idx[:-1][mask], "to": idx[1:][mask], "business_days": bdays[mask]}
        ).reset_index(drop=True)

    @staticmethod
    def combine(
        histories: Sequence[RiskFactorHistory],
        *,
        how: str = "inner",
        gap_policy: GapPolicy = "error",
        max_ffill: int = 5,
        max_gap: int | None = DEFAULT_MAX_GAP,
        name: str | None = None,
    ) -> RiskFactorHistory:
        """Join several histories on their dates.

        Parameters
        ----------
        histories : sequence of RiskFactorHistory
            Histories with distinct factor names.
        how : {"inner", "outer"}
            Keep the common dates, or every date (then the gap policy handles what is missing).
        gap_policy, max_ffill, max_gap
            As in :class:`RiskFactorHistory`.
        name : str, optional
            Name of the combined history.
        """
        check_choice("how", how, ("inner", "outer"))
        if not histories:
            raise InputError("combine needs at least one history")
        specs: dict[str, FactorSpec] = {}
        for h in histories:
            for key, spec in h._specs.items():
                if key in specs:
                    raise InputError(f"factor {key!r} appears in more than one history ({h.name})")
                specs[key] = spec
        frame = pd.concat([h.levels for h in histories], axis=1, join=how)
        return RiskFactorHistory(
            frame,
            specs,
            gap_policy=gap_policy,
            max_ffill=max_ffill,
            max_gap=max_gap,
            name=name or "+".join(h.name for h in histories),
        )

    def to_long(self) -> pd.DataFrame:
        """Levels in long layout: columns ``date``, ``factor``, ``value``."""
        return self.levels.stack().rename("value").reset_index()


