"""Validation of a risk-factor history: dates, numbers, gap policy, holes, domain and shocks.

The helpers :class:`~imresearch.marketdata.history.RiskFactorHistory` runs on construction; each
raises an :class:`~imresearch.errors.InputError` naming the source, line, date, column and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError, where
from imresearch.marketdata.conventions import encode, level_from_shock, shock_from_levels
from imresearch.marketdata.factors import FactorSpec

__all__ = ["BRIDGED_GAP", "DEFAULT_MAX_GAP", "GAP_POLICIES", "GapReport"]

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



def _line(line_of: np.ndarray | None, pos: int) -> int | None:
    return None if line_of is None else int(line_of[pos])


def _aligned_line(line_of: np.ndarray | None, pos: int, n_rows: int) -> int | None:
    """File line of row ``pos``, unless rows were dropped (then errors name the date only)."""
    return _line(line_of, pos) if line_of is not None and len(line_of) == n_rows else None


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
            line = _aligned_line(line_of, pos, len(values))
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
        lows = where(label, line=_aligned_line(line_of, int(lo[j]), len(values)),
                     date=index[lo[j]], column=col)
        high_at = where(None, line=_aligned_line(line_of, int(hi[j]), len(values)),
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
        line = _aligned_line(line_of, pos, n_rows)
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

