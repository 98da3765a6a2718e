"""The risk-factor history: a date x factor table of levels with per-factor metadata."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import GapPolicy
from imresearch.errors import InputError, check_choice, check_positive_int, where
from imresearch.marketdata.conventions import encode, level_from_shock, shock_from_levels
from imresearch.marketdata.factors import FactorSpec

__all__ = ["BRIDGED_GAP", "DEFAULT_MAX_GAP", "GapReport", "RiskFactorHistory"]

GAP_POLICIES: tuple[str, ...] = ("error", "drop", "ffill")
#: Longest span between consecutive dates, in business days (``numpy.busday_count``: 1 between
#: consecutive weekdays), that a history accepts by default. Longer than any regular market
#: closure (Lunar New Year, 11 September 2001); a longer hole would turn weeks of moves into one
#: "one-day" shock, so it is an error unless ``max_gap`` allows it.
DEFAULT_MAX_GAP: int = 10
#: Spans longer than this many business days are listed in ``GapReport.bridged``.
BRIDGED_GAP: int = 5


@dataclass(frozen=True)
class GapReport:
    """What the gap policy did to a history.

    Attributes
    ----------
    policy : str
        The gap policy applied.
    dropped_dates : pandas.DatetimeIndex
        Dates removed because a factor was missing (policy ``drop``).
    filled : pandas.Series
        Number of forward-filled values per factor (policy ``ffill``).
    bridged : pandas.DataFrame
        Every span between consecutive dates longer than :data:`BRIDGED_GAP` business days
        (a week or more without data), columns ``from``, ``to``, ``business_days``: the next
        shock spans the hole, which workflows report. Spans longer than the history's
        ``max_gap`` are errors instead, unless ``max_gap`` allows them.
    """

    policy: str
    dropped_dates: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))
    filled: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    bridged: pd.DataFrame = field(default_factory=lambda: _gap_frame([], [], []))

    @property
    def n_dropped(self) -> int:
        """Number of dropped dates."""
        return len(self.dropped_dates)

    @property
    def n_filled(self) -> int:
        """Total number of forward-filled values."""
        return int(self.filled.sum()) if len(self.filled) else 0

    @property
    def n_bridged(self) -> int:
        """Number of spans longer than :data:`BRIDGED_GAP` business days."""
        return len(self.bridged)


def _gap_frame(starts: Any, ends: Any, bdays: Any) -> pd.DataFrame:
    return pd.DataFrame({
        "from": pd.DatetimeIndex(starts, dtype="datetime64[ns]"),
        "to": pd.DatetimeIndex(ends, dtype="datetime64[ns]"),
        "business_days": np.asarray(bdays, dtype=np.int64),
    })


def _business_days(index: pd.DatetimeIndex) -> np.ndarray:
    """``numpy.busday_count`` between consecutive dates (1 between consecutive weekdays)."""
    days = index.values.astype("datetime64[D]")
    return np.busday_count(days[:-1], days[1:])


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

    def with_factors(self, factors: Mapping[str, FactorSpec]) -> RiskFactorHistory:
        """Return a copy with the metadata of some factors replaced (levels re-checked)."""
        specs = dict(self._specs)
        for key, spec in factors.items():
            if key not in specs:
                raise InputError(f"{self.name}: unknown factor {key!r}")
            specs[key] = spec
        return RiskFactorHistory(self.levels, specs, name=self.name, source=self.source)

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


# ---------------------------------------------------------------------- validation helpers
def _line(line_of: np.ndarray | None, pos: int) -> int | None:
    return None if line_of is None else int(line_of[pos])


def _to_dates(index: pd.Index, label: str | None, line_of: np.ndarray | None) -> pd.DatetimeIndex:
    if isinstance(index, pd.DatetimeIndex):
        dates = index
    else:
        dates = pd.to_datetime(pd.Index(index), errors="coerce")
        bad = np.flatnonzero(pd.isna(dates) & ~pd.isna(pd.Index(index)))
        if len(bad):
            pos = int(bad[0])
            raise InputError(
                f"{where(label, line=_line(line_of, pos))}: cannot read date {index[pos]!r}"
            )
    if dates.tz is not None:
        dates = dates.tz_localize(None)
    nat = np.flatnonzero(pd.isna(dates))
    if len(nat):
        pos = int(nat[0])
        raise InputError(f"{where(label, line=_line(line_of, pos))}: missing date")
    return pd.DatetimeIndex(dates.normalize().astype("datetime64[ns]"), name="date")


def _check_order(index: pd.DatetimeIndex, label: str | None, line_of: np.ndarray | None) -> None:
    if len(index) < 2:
        return
    steps = np.diff(index.asi8)
    dup = np.flatnonzero(steps == 0)
    back = np.flatnonzero(steps < 0)
    if len(dup) and (not len(back) or dup[0] < back[0]):
        pos = int(dup[0]) + 1
        raise InputError(
            f"{where(label, line=_line(line_of, pos), date=index[pos])}: duplicate date "
            f"(also at {where(None, line=_line(line_of, pos - 1)) or f'row {pos}'})"
        )
    if len(back):
        pos = int(back[0]) + 1
        raise InputError(
            f"{where(label, line=_line(line_of, pos), date=index[pos])}: dates are not in "
            f"increasing order (previous date {index[pos - 1]:%Y-%m-%d})"
        )


def _to_float(
    levels: pd.DataFrame,
    columns: list[str],
    index: pd.DatetimeIndex,
    label: str | None,
    line_of: np.ndarray | None,
) -> np.ndarray:
    out = np.empty(levels.shape, dtype=np.float64)
    for j, col in enumerate(levels.columns):
        series = levels.iloc[:, j]
        if pd.api.types.is_bool_dtype(series.dtype):
            raise InputError(f"{where(label, column=columns[j])}: boolean values are not levels")
        if pd.api.types.is_numeric_dtype(series.dtype):
            out[:, j] = series.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        numeric = pd.to_numeric(series, errors="coerce")
        bad = np.flatnonzero(numeric.isna().to_numpy() & series.notna().to_numpy())
        if len(bad):
            pos = int(bad[0])
            raise InputError(
                f"{where(label, line=_line(line_of, pos), date=index[pos], column=col)}: "
                f"not a number: {series.iloc[pos]!r}"
            )
        out[:, j] = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    inf = np.argwhere(np.isinf(out))
    if len(inf):
        pos, j = (int(v) for v in inf[0])
        raise InputError(
            f"{where(label, line=_line(line_of, pos), date=index[pos], column=columns[j])}: "
            f"infinite value {out[pos, j]}"
        )
    return out


def _resolve_specs(
    columns: list[str],
    factors: FactorSpec | Mapping[str, FactorSpec] | None,
    label: str | None,
) -> dict[str, FactorSpec]:
    if factors is None:
        return {c: FactorSpec() for c in columns}
    if isinstance(factors, FactorSpec):
        return {c: factors for c in columns}
    unknown = [k for k in factors if str(k) not in columns]
    if unknown:
        raise InputError(
            f"{label or 'levels'}: metadata given for factor(s) {unknown} that are not columns "
            f"({columns})"
        )
    specs = {}
    for c in columns:
        spec = factors.get(c, FactorSpec())
        if not isinstance(spec, FactorSpec):
            raise InputError(
                f"{where(label, column=c)}: metadata must be a FactorSpec; got {spec!r}"
            )
        specs[c] = spec
    return specs


def _apply_gap_policy(
    values: np.ndarray,
    index: pd.DatetimeIndex,
    columns: list[str],
    policy: str,
    max_ffill: int,
    label: str | None,
    line_of: np.ndarray | None,
) -> tuple[np.ndarray, pd.DatetimeIndex, GapReport]:
    missing = np.isnan(values)
    if not missing.any():
        return np.ascontiguousarray(values), index, GapReport(policy)
    if policy == "error":
        pos, j = (int(v) for v in np.argwhere(missing)[0])
        raise InputError(
            f"{where(label, line=_line(line_of, pos), date=index[pos], column=columns[j])}: "
            f"missing value ({missing.sum()} missing in all); choose gap_policy='drop' or 'ffill'"
        )
    if policy == "drop":
        keep = ~missing.any(axis=1)
        if not keep.any():
            raise InputError(
                f"{label or 'levels'}: every date has a missing factor; nothing left after "
                "gap_policy='drop' (factors may not overlap in time)"
            )
        report = GapReport(policy, dropped_dates=index[~keep])
        return np.ascontiguousarray(values[keep]), index[keep], report
    # ffill, bounded
    filled = pd.DataFrame(values).ffill(limit=max_ffill).to_numpy()
    still = np.isnan(filled)
    if still.any():
        pos, j = (int(v) for v in np.argwhere(still)[0])
        leading = not (~missing[:pos, j]).any()
        why = (
            "no earlier value to carry forward"
            if leading
            else f"gap longer than max_ffill={max_ffill} dates"
        )
        raise InputError(
            f"{where(label, line=_line(line_of, pos), date=index[pos], column=columns[j])}: "
            f"missing value not filled ({why})"
        )
    counts = pd.Series(missing.sum(axis=0), index=pd.Index(columns, name="factor"), dtype="int64")
    return np.ascontiguousarray(filled), index, GapReport(policy, filled=counts)


def _check_domain(
    values: np.ndarray,
    index: pd.DatetimeIndex,
    columns: list[str],
    specs: Mapping[str, FactorSpec],
    label: str | None,
    line_of: np.ndarray | None,
) -> None:
    for j, col in enumerate(columns):
        spec = specs[col]
        floor = None
        if spec.requires_positive:
            floor = 0.0
        elif spec.convention == "displaced_relative":
            floor = -spec.displacement
        if floor is None:
            continue
        bad = np.flatnonzero(values[:, j] <= floor)
        if len(bad):
            pos = int(bad[0])
            # after 'drop' the positions no longer match file lines: locate by date instead
            line = (
                _line(line_of, pos)
                if line_of is not None and len(values) == len(line_of)
                else None
            )
            need = "> 0" if floor == 0.0 else f"> -displacement ({floor})"
            raise InputError(
                f"{where(label, line=line, date=index[pos], column=col)}: level "
                f"{float(values[pos, j])!r} not allowed for a {spec.convention} factor "
                f"(levels must be {need}); use convention 'absolute' or 'displaced_relative'"
            )


def _check_shocks(
    values: np.ndarray,
    index: pd.DatetimeIndex,
    columns: list[str],
    specs: Mapping[str, FactorSpec],
    label: str | None,
    line_of: np.ndarray | None,
) -> None:
    """Every shock between two levels of a factor, and the level it leads to, is finite.

    The largest shocks of a factor are those between its lowest and highest levels; if they
    and the levels they reach from the extremes are finite, every horizon shock and scenario
    level is. A level such as 1e-320 (log shocks: ratios of 1e320) fails here.
    """
    if len(values) < 2:
        return
    codes, params = encode([specs[c] for c in columns])
    lo = np.argmin(values, axis=0)
    hi = np.argmax(values, axis=0)
    for j, col in enumerate(columns):
        a, b = float(values[lo[j], j]), float(values[hi[j], j])
        up = shock_from_levels(a, b, codes[j], params[j])
        down = shock_from_levels(b, a, codes[j], params[j])
        reached = (level_from_shock(b, up, codes[j], params[j]),
                   level_from_shock(a, down, codes[j], params[j]))
        if np.isfinite([up, down, *reached]).all():
            continue
        same_rows = line_of is not None and len(values) == len(line_of)
        lows = where(label, line=_line(line_of, int(lo[j])) if same_rows else None,
                     date=index[lo[j]], column=col)
        high_at = where(None, line=_line(line_of, int(hi[j])) if same_rows else None,
                        date=index[hi[j]])
        raise InputError(
            f"{lows}: level {a!r} and level {b!r} ({high_at}) are too far apart for "
            f"{specs[col].convention} shocks: the shock between them, or the level it leads "
            "to, overflows"
        )


def _check_gaps(
    index: pd.DatetimeIndex,
    report: GapReport,
    max_gap: int | None,
    label: str | None,
    line_of: np.ndarray | None,
    n_rows: int,
) -> GapReport:
    """Reject spans longer than ``max_gap`` business days; list those over BRIDGED_GAP."""
    if len(index) < 2:
        return report
    bdays = _business_days(index)
    if max_gap is not None and (bdays > max_gap).any():
        pos = int(np.flatnonzero(bdays > max_gap)[0]) + 1
        line = _line(line_of, pos) if line_of is not None and len(line_of) == n_rows else None
        raise InputError(
            f"{where(label, line=line, date=index[pos])}: no data for {int(bdays[pos - 1])} "
            f"business days since {index[pos - 1]:%Y-%m-%d} (longer than max_gap={max_gap}): "
            "the next shock would span the hole; start after it, or pass max_gap=None (or a "
            "larger number) to bridge it"
        )
    long = np.flatnonzero(bdays > BRIDGED_GAP)
    if not len(long):
        return report
    bridged = _gap_frame(index[long], index[long + 1], bdays[long])
    return replace(report, bridged=bridged)
