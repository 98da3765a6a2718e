"""ISDA SIMM versions: names, effective dates, calibration windows, the version in force.

Every public SIMM version since 1 September 2016 has a parameter file
``imresearch/simm/params/<version>.toml`` whose ``[meta]`` table records ISDA's name for it, the
effective date, the calibration data (the recent window and the additional stress period) and the
sources of each date. :func:`version_in_force` answers which version applied on a date: the
version with the latest effective date on or before it, the effective date being the first day
of use as ISDA words it (ISDA's announcements add that firms compute the close of business of the
preceding business day with the new version, when the effective date is a Saturday).

Before 2016-09-01 no SIMM was in force: :func:`version_in_force` says so (a
:class:`NoSimmInForceError`) unless the caller chooses the first version (``before="first"``), or
uses the recalibrated mode of :mod:`imresearch.procyclicality.simm_history`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, NamedTuple

import pandas as pd

from imresearch.errors import InputError, check_choice

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = [
    "DEFAULT_VERSION",
    "FIRST_SIMM_DATE",
    "VERSIONS",
    "InForce",
    "NoSimmInForceError",
    "VersionInfo",
    "canonical_version",
    "version_in_force",
    "version_info",
    "version_schedule",
]

VERSIONS: tuple[str, ...] = (
    "1.0", "1.3", "1.3.38", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.5A", "2.6", "2.7",
    "2.7+2412", "2.8+2506", "2.8+2512",
)
"""SIMM versions with a parameter file, oldest first (ISDA's names; ORE's aliases accepted)."""
DEFAULT_VERSION: str = VERSIONS[-1]
"""The newest version, used when none is given."""
FIRST_SIMM_DATE = pd.Timestamp("2016-09-01")
"""First day any SIMM was in force (version 1.0, the first phase of the margin rules)."""


@functools.cache
def read_version_file(version: str) -> dict[str, Any]:
    """The raw contents of ``params/<version>.toml`` (a canonical version name)."""
    text = resources.files("imresearch.simm").joinpath("params", f"{version}.toml").read_bytes()
    return tomllib.loads(text.decode("utf-8"))


@functools.cache
def _aliases() -> dict[str, str]:
    table: dict[str, str] = {}
    for v in VERSIONS:
        table[v.lower()] = v
        for alias in read_version_file(v)["meta"].get("aliases", []):
            table[str(alias).lower()] = v
    return table


def canonical_version(version: object) -> str:
    """ISDA's name of a SIMM version given by any accepted name.

    Accepts the names of :data:`VERSIONS` and their aliases (ORE's ``"2.3.8"`` for 2.4,
    ``"2.5.6"`` for 2.6, ``"2.6.5"`` for 2.7; ``"R1.0"``, ``"R1.3"``; case-insensitive).

    Raises
    ------
    InputError
        For an unknown version; the message lists the known ones.
    """
    key = str(version).strip().lower()
    found = _aliases().get(key)
    if found is None:
        raise InputError(f"unknown SIMM version {version!r}; known versions: "
                         f"{', '.join(VERSIONS)}")
    return found


_ALL_CLASSES = ("InterestRate", "CreditQualifying", "CreditNonQualifying", "Equity",
                "Commodity", "FX")


@dataclass(frozen=True)
class VersionInfo:
    """Dates, calibration windows and sources of one SIMM version.

    Attributes
    ----------
    version, isda_name : str
        The project's (ISDA's short) name, e.g. ``"2.7+2412"``, and ISDA's document name.
    aliases : tuple of str
        Other names accepted (ORE's).
    effective_date : Timestamp
        First day of use.
    in_force : bool
        False for a published draft that never took effect (1.3.38).
    calibration_recent, stress_period : tuple of Timestamp
        The recent window (3 years) and the additional stress period (1 year) of the data the
        version's weights were estimated on.
    calibration_recent_source, stress_period_source : str
        Where each window comes from ("inferred" marks a date no source states).
    mpor_days : tuple of int
        Margin periods of risk with published figures (1-day SIMM from 2.2).
    sources : tuple of str
        Sources of the figures and dates.
    recalibrated_risk_classes : tuple of str
        Risk classes whose weights this version re-estimated (all six, except for an
        off-cycle version such as 2.5A: interest rates only); the others keep the calibration
        of the version before (:meth:`calibration_window`).
    """

    version: str
    isda_name: str
    aliases: tuple[str, ...]
    effective_date: pd.Timestamp
    in_force: bool
    calibration_recent: tuple[pd.Timestamp, pd.Timestamp]
    calibration_recent_source: str
    stress_period: tuple[pd.Timestamp, pd.Timestamp]
    stress_period_source: str
    mpor_days: tuple[int, ...]
    sources: tuple[str, ...]
    recalibrated_risk_classes: tuple[str, ...] = _ALL_CLASSES

    @property
    def calibration_end(self) -> pd.Timestamp:
        """Last date of the calibration data (end of the recent window)."""
        return self.calibration_recent[1]

    def calibration_window(self, risk_class: str
                           ) -> tuple[tuple[pd.Timestamp, pd.Timestamp],
                                      tuple[pd.Timestamp, pd.Timestamp]]:
        """(recent window, stress period) of the data behind one risk class's weights.

        The version's own windows, or those of the latest earlier version that re-estimated the
        class (2.5A re-estimated only interest rates: its equity weights are 2.5's).
        """
        if risk_class not in _ALL_CLASSES:
            raise InputError(f"unknown SIMM risk class {risk_class!r}; known: "
                             f"{', '.join(_ALL_CLASSES)}")
        if risk_class in self.recalibrated_risk_classes:
            return self.calibration_recent, self.stress_period
        earlier = [v for v in VERSIONS[:VERSIONS.index(self.version)]
                   if version_info(v).in_force]
        return version_info(earlier[-1]).calibration_window(risk_class)


@functools.cache
def version_info(version: str) -> VersionInfo:
    """:class:`VersionInfo` of a version (any accepted name)."""
    v = canonical_version(version)
    meta = read_version_file(v)["meta"]
    recent = meta["calibration_recent"]
    stress = meta["stress_period"]
    return VersionInfo(
        version=v, isda_name=str(meta["isda_name"]), aliases=tuple(meta.get("aliases", ())),
        effective_date=pd.Timestamp(meta["effective_date"]), in_force=bool(meta["in_force"]),
        calibration_recent=(pd.Timestamp(recent[0]), pd.Timestamp(recent[1])),
        calibration_recent_source=str(meta["calibration_recent_source"]),
        stress_period=(pd.Timestamp(stress[0]), pd.Timestamp(stress[1])),
        stress_period_source=str(meta["stress_period_source"]),
        mpor_days=tuple(int(m) for m in meta["mpor_days"]),
        sources=tuple(str(s) for s in meta["sources"]),
        recalibrated_risk_classes=tuple(meta.get("recalibrated_risk_classes", _ALL_CLASSES)),
    )


def version_schedule(*, in_force_only: bool = True) -> pd.DataFrame:
    """Every SIMM version with its dates and calibration windows, in effective-date order.

    Parameters
    ----------
    in_force_only : bool, default True
        Leave out drafts that never took effect (1.3.38).

    Returns
    -------
    DataFrame
        Indexed by ``version``: ``isda_name``, ``effective_date``, ``until`` (the next version's
        effective date, NaT for the newest), ``recent_start``, ``recent_end``, ``stress_start``,
        ``stress_end`` (Timestamps), ``mpor_days``, ``in_force``.
    """
    infos = [version_info(v) for v in VERSIONS]
    if in_force_only:
        infos = [i for i in infos if i.in_force]
    infos.sort(key=lambda i: i.effective_date)
    frame = pd.DataFrame({
        "isda_name": [i.isda_name for i in infos],
        "effective_date": [i.effective_date for i in infos],
        "recent_start": [i.calibration_recent[0] for i in infos],
        "recent_end": [i.calibration_recent[1] for i in infos],
        "stress_start": [i.stress_period[0] for i in infos],
        "stress_end": [i.stress_period[1] for i in infos],
        "mpor_days": [i.mpor_days for i in infos],
        "in_force": [i.in_force for i in infos],
    }, index=pd.Index([i.version for i in infos], name="version"))
    frame.insert(2, "until", frame["effective_date"].shift(-1))
    return frame


class NoSimmInForceError(InputError):
    """A date before 1 September 2016, when no SIMM version was in force."""


class InForce(NamedTuple):
    """Result of :func:`version_in_force`: the version, and whether the date precedes SIMM.

    ``version`` is the first element, so ``version_in_force(d)[0]`` is the version string.
    """

    version: str
    before_first: bool = False

    @property
    def effective_date(self) -> pd.Timestamp:
        """Effective date of ``version``."""
        return version_info(self.version).effective_date


def version_in_force(date: object, *, before: Literal["error", "first"] = "error") -> InForce:
    """The SIMM version in force on ``date``.

    Parameters
    ----------
    date : date-like
        Calendar date (time of day ignored).
    before : {"error", "first"}, default "error"
        What a date before 2016-09-01 (no SIMM in force) gives: a
        :class:`NoSimmInForceError` saying so, or the first version ``"1.0"`` with
        ``before_first=True``.

    Returns
    -------
    InForce
        ``(version, before_first)``; the version with the latest effective date on or before
        ``date`` among the versions that took effect.

    Raises
    ------
    NoSimmInForceError
        For a date before 2016-09-01 with ``before="error"``.
    InputError
        For a date that cannot be read.

    Examples
    --------
    >>> version_in_force("2020-03-16").version
    '2.2'
    >>> version_in_force("2024-12-07").version
    '2.7'
    """
    check_choice("before", before, ("error", "first"))
    try:
        ts = pd.Timestamp(date).normalize()
    except (TypeError, ValueError) as exc:
        raise InputError(f"date {date!r} is not a date ({exc})") from None
    if pd.isna(ts):
        raise InputError(f"date {date!r} is not a date")
    sched = _effective_dates()
    live = sched.index[sched.to_numpy() <= ts]
    if len(live) == 0:
        if before == "first":
            return InForce(str(sched.index[0]), True)
        raise NoSimmInForceError(
            f"no ISDA SIMM version was in force on {ts:%Y-%m-%d}: SIMM began on "
            f"{FIRST_SIMM_DATE:%Y-%m-%d} (version {sched.index[0]}); choose the first version "
            f"(before='first', or a fixed version) or the recalibrated mode")
    return InForce(str(live[-1]), False)


@functools.cache
def _effective_dates() -> pd.Series:
    sched = version_schedule()
    return sched["effective_date"]
