"""Stress episodes of the synthetic market: dated regime shifts with a move and a severity."""

from __future__ import annotations

import math
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from imresearch.errors import InputError

__all__ = ["DEFAULT_EPISODES", "STRESS_EPISODES", "StressEpisode"]


# ---------------------------------------------------------------------- stress episodes
def _to_timestamp(name: str, value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a date such as '2008-09-15'; got {value!r}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise InputError(f"{name} must be a date such as '2008-09-15'; got {value!r}")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _finite(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a finite number; got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(out):
        raise InputError(f"{name} must be a finite number; got {value!r}")
    return out


@dataclass(frozen=True)
class StressEpisode:
    """A scheduled stress episode of the synthetic market.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"gfc"``.
    start, end : str or pandas.Timestamp
        First and last day of the episode (inclusive). Days outside the simulated range are
        skipped; an episode wholly outside it has no effect.
    market_move : float
        Log move of the S&P-like index ``EQ_SPX`` over the whole episode (e.g. -0.45 for a
        36% fall), spread evenly over its business days; the calm drifts are suspended during
        episodes, and the other factors move in proportion to their global loading times their
        calm volatility. With ``bridge_episodes`` the realised move matches it up to one day's
        noise (less if the episode is clipped by the simulated range). Default 0.
    severity : float
        Stress intensity: class volatilities are pulled towards ``1 + severity (M - 1)`` times
        calm, ``M`` the class's stress multiplier. Default 1 (a typical stress), >= 0.
    rates_move_bp : float
        Additional parallel move of both yield curves (their level factors) over the
        episode, bp. Default 0.
    rates_severity : float, optional
        Severity used for interest-rate volatility (e.g. high in a rates shock). Default: the
        same as ``severity``.
    description : str
        Free text.

    Raises
    ------
    InputError
        Unreadable dates, ``end`` before ``start``, a negative severity or a non-finite move.
    """

    name: str
    start: pd.Timestamp | str
    end: pd.Timestamp | str
    market_move: float = 0.0
    severity: float = 1.0
    rates_move_bp: float = 0.0
    rates_severity: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"StressEpisode name must be a non-empty string; got {self.name!r}")
        label = f"StressEpisode {self.name!r}"
        start = _to_timestamp(f"{label} start", self.start)
        end = _to_timestamp(f"{label} end", self.end)
        if end < start:
            raise InputError(
                f"{label}: end {end:%Y-%m-%d} is before start {start:%Y-%m-%d}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "market_move", _finite(f"{label} market_move", self.market_move))
        object.__setattr__(
            self, "rates_move_bp", _finite(f"{label} rates_move_bp", self.rates_move_bp)
        )
        for attr in ("severity", "rates_severity"):
            value = getattr(self, attr)
            if value is None:
                continue
            fvalue = _finite(f"{label} {attr}", value)
            if fvalue < 0:
                raise InputError(f"{label} {attr} must be >= 0; got {value!r}")
            object.__setattr__(self, attr, fvalue)

    @property
    def ir_severity(self) -> float:
        """Severity applied to interest-rate volatility."""
        return float(self.severity if self.rates_severity is None else self.rates_severity)


def _episode(name: str, start: str, end: str, move: float, severity: float, description: str,
             rates_move_bp: float = 0.0, rates_severity: float | None = None) -> StressEpisode:
    return StressEpisode(name, start, end, move, severity, rates_move_bp, rates_severity,
                         description)


#: Catalogue of the scheduled stress episodes, by name (read-only).
STRESS_EPISODES: Mapping[str, StressEpisode] = types.MappingProxyType(
    {
        e.name: e
        for e in (
            _episode("dotcom_2000", "2000-03-13", "2000-05-26", -0.12, 0.8,
                     "dot-com bubble bursts: Nasdaq peak and April 2000 sell-off"),
            _episode("sept11_2001", "2001-09-11", "2001-10-05", -0.12, 1.2,
                     "9/11 attacks and the market re-opening"),
            _episode("bear_2002", "2002-07-01", "2002-10-09", -0.22, 1.0,
                     "post-Enron/WorldCom bear market bottom"),
            _episode("gfc", "2008-09-01", "2008-11-28", -0.36, 2.0,
                     "global financial crisis: Lehman, AIG and the autumn 2008 crash"),
            _episode("gfc_2009", "2008-12-01", "2009-03-31", -0.12, 1.2,
                     "global financial crisis: the slide to the March 2009 low"),
            _episode("euro_crisis_2010", "2010-05-03", "2010-06-30", -0.13, 0.9,
                     "flash crash and first Greek bail-out"),
            _episode("euro_crisis_2011", "2011-08-01", "2011-10-04", -0.18, 1.1,
                     "US downgrade and euro sovereign crisis"),
            _episode("china_2015", "2015-08-17", "2015-09-30", -0.10, 0.8,
                     "yuan devaluation and the August 2015 sell-off"),
            _episode("volmageddon_2018", "2018-01-29", "2018-02-28", -0.09, 0.9,
                     "short-volatility unwind of February 2018"),
            _episode("covid_2020", "2020-02-20", "2020-03-23", -0.38, 2.0,
                     "COVID-19 crash"),
            _episode("covid_rebound_2020", "2020-03-24", "2020-04-30", 0.22, 1.1,
                     "COVID-19 stressed rebound after central-bank action"),
            _episode("rates_2022", "2022-01-03", "2022-10-31", -0.22, 0.5,
                     "2022 inflation and rates shock", rates_move_bp=300.0,
                     rates_severity=2.0),
        )
    }
)

#: Names of the episodes scheduled by default (all of :data:`STRESS_EPISODES`).
DEFAULT_EPISODES: tuple[str, ...] = tuple(STRESS_EPISODES)


