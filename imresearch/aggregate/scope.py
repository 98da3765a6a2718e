"""Who must exchange initial margin: aggregate average notional amount (AANA) and the phase-in.

The rules live in ``data/margin_rules.toml`` (thresholds, dates, calculation periods, each with
its source): the BCBS-IOSCO framework (from each 1 September, March-May of that year), the
EU rule (the average of the gross notionals recorded on the last business day of March, April
and May; from 2023 those of the preceding year for the contracts of a calendar year) and the
US prudential rule (the average over every business day of June, July and August of the
previous calendar year, for the last phases). A pair of counterparties must exchange IM on a
date when a phase is in force and both groups' AANA over that phase's calculation period
exceed its threshold (reach it, under the EU's permanent rule).

>>> from imresearch.aggregate.scope import aana, in_scope
>>> aana(notional, 2022, rule="EU")                           # doctest: +SKIP
>>> in_scope(12e9, 9e9, "2022-09-01", regime="EU")            # doctest: +SKIP
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from imresearch.errors import InputError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["Phase", "Regime", "aana", "get_regime", "in_scope", "phase_on", "regimes", "scope"]

Observation = Literal["month_end", "daily"]

#: How far before a month's last weekday a series that stops in the month may end (holidays
#: such as Memorial Day or Good Friday at a month-end)
MONTH_END_SLACK = pd.offsets.BDay(2)

#: The calculation rule of each jurisdiction's AANA: observation and months (``aana``'s
#: ``rule``); the US months are those of its last phases.
RULES: dict[str, tuple[Observation, tuple[int, ...]]] = {
    "EU": ("month_end", (3, 4, 5)),
    "US": ("daily", (6, 7, 8)),
}


@dataclass(frozen=True)
class Phase:
    """One phase of a regime's phase-in.

    Attributes
    ----------
    phase : int
    start : pandas.Timestamp
        First date of the phase (it lasts until the next phase starts).
    aana_threshold : float
        Both groups' AANA must exceed it (regime currency), or reach it when ``inclusive``.
    months : tuple of int
        Calendar months of the calculation period.
    period_year : int or None
        Year of those months; None for the annual (permanent) phase.
    year_from : (int, int)
        Annual phase: (month, day) on which the calculation year changes.
    year_offset : int
        Annual phase: the months are of the year of the latest ``year_from`` plus this.
    inclusive : bool
        An AANA equal to the threshold is in scope.
    """

    phase: int
    start: pd.Timestamp
    aana_threshold: float
    months: tuple[int, ...]
    period_year: int | None = None
    year_from: tuple[int, int] = (9, 1)
    year_offset: int = 0
    inclusive: bool = False

    def period(self, date: pd.Timestamp) -> tuple[int, tuple[int, ...]]:
        """Year and months of the AANA calculation period that applies on ``date``."""
        if self.period_year is not None:
            return self.period_year, self.months
        year = date.year if (date.month, date.day) >= self.year_from else date.year - 1
        return year + self.year_offset, self.months

    def covers(self, aana_a: float, aana_b: float) -> bool:
        """Whether a pair with these AANAs is in scope of the phase (both at or above)."""
        low = min(float(aana_a), float(aana_b))
        return low >= self.aana_threshold if self.inclusive else low > self.aana_threshold


@dataclass(frozen=True)
class Regime:
    """A jurisdiction's uncleared-margin rules (see ``data/margin_rules.toml``)."""

    key: str
    name: str
    currency: str
    threshold_max: float
    mta_max: float
    observation: Observation
    phases: tuple[Phase, ...]


@functools.cache
def regimes() -> dict[str, Regime]:
    """The regimes of the rules file, by key (``BCBS-IOSCO``, ``EU``, ``US``)."""
    text = resources.files("imresearch.aggregate").joinpath("data", "margin_rules.toml")
    doc = tomllib.loads(text.read_text(encoding="utf-8"))
    out = {}
    for key, r in doc["regimes"].items():
        phases = tuple(Phase(
            phase=int(p["phase"]), start=pd.Timestamp(p["start"]),
            aana_threshold=float(p["aana_threshold"]),
            months=tuple(p.get("months", r["months"])),
            period_year=None if p.get("annual") else int(p["period_year"]),
            year_from=tuple(int(x) for x in p.get("year_from", "09-01").split("-")),
            year_offset=int(p.get("year_offset", 0)),
            inclusive=bool(p.get("inclusive", False))) for p in r["phases"])
        out[key] = Regime(key=key, name=r["name"], currency=r["currency"],
                          threshold_max=float(r["threshold_max"]), mta_max=float(r["mta_max"]),
                          observation=r["observation"], phases=phases)
    return out


def get_regime(key: str) -> Regime:
    """One regime by key, or an InputError naming the known ones."""
    known = regimes()
    if key not in known:
        raise InputError(f"regime must be one of {', '.join(map(repr, known))}; got {key!r}")
    return known[key]


def _date(value: object, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if pd.isna(ts) or isinstance(value, (bool, int, float)):
        raise InputError(f"{name} must be a date; got {value!r}")
    return ts.normalize()


def phase_on(date: object, regime: str = "BCBS-IOSCO") -> Phase | None:
    """The phase of ``regime`` in force on ``date`` (None before the first)."""
    ts = _date(date, "date")
    started = [p for p in get_regime(regime).phases if p.start <= ts]
    return started[-1] if started else None


def aana(notional: pd.Series | pd.DataFrame, year: int, rule: str = "EU",
         months: tuple[int, ...] | None = None) -> float | pd.Series:
    """Aggregate average notional amount over a calculation period.

    Parameters
    ----------
    notional : pandas.Series or DataFrame
        Gross notional of non-centrally cleared derivatives indexed by business date (one
        column per counterparty group for a DataFrame).
    year : int
        Year of the calculation months.
    rule : {"EU", "US"} or a regime key
        ``"EU"``: the average of the notionals on the last business day (the last date of
        ``notional`` in the month; a series that stops in the month must reach its last three
        weekdays) of March, April and May; ``"US"``: the average over every date of
        June, July and August. A regime key uses that regime's observation and months.
    months : tuple of int, optional
        Other calculation months.

    Returns
    -------
    float or pandas.Series
        Per column for a DataFrame.

    Raises
    ------
    InputError
        A month of the period without an observation, a missing or negative notional.
    """
    if rule in RULES:
        observation, default = RULES[rule]
    else:
        r = get_regime(rule)
        observation, default = r.observation, r.phases[-1].months
    months = tuple(default if months is None else months)
    frame = notional.to_frame() if isinstance(notional, pd.Series) else notional
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise InputError("notional must be indexed by date")
    if not frame.index.is_monotonic_increasing or frame.index.has_duplicates:
        raise InputError("notional dates must be increasing, without repeats")
    parts = []
    for m in months:
        inside = frame[(frame.index.year == int(year)) & (frame.index.month == m)]
        if inside.empty:
            raise InputError(f"notional has no observation in {int(year)}-{m:02d} (the "
                             f"{rule} calculation period is months {list(months)} of {year})")
        if observation == "month_end":
            last = inside.index[-1]
            month_end = pd.offsets.BMonthEnd().rollforward(last)
            # a series that stops in the month must reach its last weekdays (holidays aside)
            if frame.index[-1] == last and last < month_end - MONTH_END_SLACK:
                raise InputError(
                    f"notional ends on {last:%Y-%m-%d}, before the last business day of "
                    f"{int(year)}-{m:02d} ({month_end:%Y-%m-%d}): its month-end notional is "
                    f"unknown")
            inside = inside.iloc[[-1]]
        parts.append(inside)
    values = pd.concat(parts)
    bad = values.isna() | (values < 0)
    if bad.to_numpy().any():
        row, col = np.argwhere(bad.to_numpy())[0]
        raise InputError(f"notional on {values.index[row]:%Y-%m-%d}, column "
                         f"{values.columns[col]!r}: must be a number >= 0; got "
                         f"{values.iat[row, col]!r}")
    out = values.mean()
    return float(out.iloc[0]) if isinstance(notional, pd.Series) else out


def in_scope(aana_a: float, aana_b: float, date: object, regime: str = "BCBS-IOSCO") -> bool:
    """Whether two groups with these AANAs (computed over the calculation period that applies
    on ``date``, see :func:`scope`) must exchange initial margin on ``date``."""
    phase = phase_on(date, regime)
    return phase is not None and phase.covers(aana_a, aana_b)


def scope(notional: pd.DataFrame, date: object, pairs: list[tuple[str, str]] | None = None,
          regime: str = "BCBS-IOSCO") -> pd.DataFrame:
    """The phase-in scope test on ``date`` for pairs of counterparty groups.

    Parameters
    ----------
    notional : pandas.DataFrame
        Gross notional per group (columns) by business date, covering the calculation period
        that applies on ``date``.
    date : date-like
    pairs : list of (str, str), optional
        Pairs of columns; default every pair.
    regime : str
        A regime of the rules file (``"BCBS-IOSCO"``, ``"EU"``, ``"US"``).

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``group_a``, ``group_b``, ``aana_a``, ``aana_b``, ``phase``,
        ``aana_threshold``, ``period`` (``YYYY-MM..MM``) and ``in_scope``.
    """
    ts = _date(date, "date")
    phase = phase_on(ts, regime)
    cols = list(notional.columns)
    if pairs is None:
        pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1:]]
    for a, b in pairs:
        for name in (a, b):
            if name not in notional.columns:
                raise InputError(f"pairs: {name!r} is not a column of notional ({cols})")
    if phase is None:
        first = get_regime(regime).phases[0].start
        values = pd.Series(np.nan, index=cols)
        period = f"before {first:%Y-%m-%d}"
        threshold = np.nan
    else:
        year, months = phase.period(ts)
        values = aana(notional, year, rule=regime, months=months)
        period = f"{year}-{months[0]:02d}..{months[-1]:02d}"
        threshold = phase.aana_threshold
    rows = [{"group_a": a, "group_b": b, "aana_a": values[a], "aana_b": values[b],
             "phase": None if phase is None else phase.phase, "aana_threshold": threshold,
             "period": period,
             "in_scope": bool(phase is not None and phase.covers(values[a], values[b]))}
            for a, b in pairs]
    return pd.DataFrame(rows)
