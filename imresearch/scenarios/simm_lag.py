"""The calibration lag of ISDA SIMM, measured on the stress episodes since 2016.

(It lives with the episode catalogue it reads; the SIMM-through-time machinery it uses is
:mod:`imresearch.procyclicality.simm_history`.)

A SIMM version's risk weights are estimated on a data window (three recent years plus a stress
year) that ends months before the version takes effect, and stay frozen until the next version.
A stress therefore enters SIMM's weights only with the first version whose calibration data
contain it, which takes effect a year or more later: the March 2020 volatility, for example, is
in the data of 2.4 (2018-2020), effective 4 December 2021, while 2.2 (data 2016-2018) was in force
during the stress.

:func:`episode_versions` gives, per episode of the catalogue (``scenarios/episodes``) that falls
in the SIMM era, the version in force at its peak, the first version whose calibration data
contain the peak ("saw" the stress), its effective date and the lag. :func:`calibration_lag`
recomputes a portfolio's SIMM on the episode's dates with the version in force and with each
later version (same CRIF, same date), so the effect of the newer calibrations on the same
exposures is visible, and optionally the point-in-time recalibrated SIMM of
:func:`~imresearch.procyclicality.simm_history.simm_history`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.portfolio.sensitivities import to_crif
from imresearch.procyclicality.simm_history import simm_history
from imresearch.scenarios.episodes import Episode, load_episode, load_episodes
from imresearch.simm import (
    FIRST_SIMM_DATE,
    simm,
    version_in_force,
    version_info,
    version_schedule,
)

__all__ = ["calibration_lag", "episode_versions", "simm_era_episodes"]


def simm_era_episodes() -> list[Episode]:
    """Catalogue episodes whose peak (or end) falls on or after 2016-09-01, in date order."""
    return sorted((e for e in load_episodes() if _peak(e) >= FIRST_SIMM_DATE),
                  key=lambda e: e.start)


def _peak(e: Episode) -> pd.Timestamp:
    return pd.Timestamp(e.peak if e.peak is not None else e.end)


def _episodes(episodes: Sequence[str | Episode] | None) -> list[Episode]:
    if episodes is None:
        return simm_era_episodes()
    out = [load_episode(e) if isinstance(e, str) else e for e in episodes]
    early = [e.name for e in out if _peak(e) < FIRST_SIMM_DATE]
    if early:
        raise InputError(f"episode(s) {early} peaked before {FIRST_SIMM_DATE:%Y-%m-%d}, when no "
                         f"SIMM was in force; the calibration lag is measured from SIMM 1.0 on")
    return out


#: Episode risk classes (market names) -> the SIMM risk classes whose weights would see them.
_SIMM_CLASSES = {
    "IR": ("InterestRate",), "inflation": ("InterestRate",),
    "credit": ("CreditQualifying", "CreditNonQualifying"), "equity": ("Equity",),
    "volatility": ("Equity",), "commodity": ("Commodity",), "FX": ("FX",),
}
_ALL = ("InterestRate", "CreditQualifying", "CreditNonQualifying", "Equity", "Commodity", "FX")


def _classes(e: Episode) -> tuple[str, ...]:
    found = [rc for m in e.risk_classes for rc in _SIMM_CLASSES.get(m, ())]
    return tuple(dict.fromkeys(found)) or _ALL


def _sees(version: str, date: pd.Timestamp, classes: tuple[str, ...] = _ALL) -> bool:
    """Whether the data behind the version's weights of one of ``classes`` contain ``date``.

    The data are the recent window or the stress year of the calibration that set each class's
    weights (an off-cycle version such as 2.5A re-estimated interest rates only).
    """
    info = version_info(version)
    for rc in classes:
        (r0, r1), (s0, s1) = info.calibration_window(rc)
        if r0 <= date <= r1 or s0 <= date <= s1:
            return True
    return False


def episode_versions(episodes: Sequence[str | Episode] | None = None) -> pd.DataFrame:
    """Which SIMM version first saw each stress episode, and how long after its peak.

    Parameters
    ----------
    episodes : sequence of str or Episode, optional
        Episode names of the catalogue (or loaded episodes). Default: every episode whose peak
        is on or after 2016-09-01.

    Returns
    -------
    DataFrame
        One row per episode (index ``episode``): ``title``, ``peak``, ``in_force`` (version in
        force at the peak) and its ``in_force_data_end``, ``first_to_see`` (first version, by
        effective date, whose recent window or stress year contains the peak), its
        ``data_end``, ``effective_date``, ``lag_days`` and ``lag_months`` (effective date minus
        peak); ``first_to_see`` is ``""`` (and the dates NaT) when no version published so far
        contains the peak.
    """
    sched = version_schedule()
    rows = []
    for e in _episodes(episodes):
        peak = _peak(e)
        in_force = version_in_force(peak).version
        later = sched.index[sched["effective_date"] > peak]
        classes = _classes(e)
        seeing = [v for v in later if _sees(v, peak, classes)]
        first = seeing[0] if seeing else ""
        eff = sched.loc[first, "effective_date"] if first else pd.NaT
        lag = (eff - peak).days if first else np.nan
        rows.append({
            "episode": e.name, "title": e.title, "peak": peak, "in_force": in_force,
            "in_force_data_end": version_info(in_force).calibration_end,
            "risk_classes": ", ".join(classes), "first_to_see": first,
            "data_end": version_info(first).calibration_end if first else pd.NaT,
            "effective_date": eff, "lag_days": lag,
            "lag_months": lag / (365.25 / 12) if first else np.nan,
        })
    return pd.DataFrame(rows).set_index("episode")


def calibration_lag(
    portfolio: Any,
    market: RiskFactorHistory,
    episodes: Sequence[str | Episode] | None = None,
    *,
    step: int = 5,
    mpor_days: int = 10,
    side: str = "call",
    bind_date: object = None,
    recalibrate: bool = False,
) -> pd.DataFrame:
    """SIMM through each stress episode with the version in force and every later version.

    On each date of an episode (every ``step``-th business day of the market from its start to
    its end), the portfolio's CRIF is computed once (bump-and-revalue at that date's levels, the
    trades bound once on ``bind_date``) and SIMM is taken with the version in force on the date
    and with each version that took effect later: the same exposures under the calibrations that
    came after the stress. A version "sees" the episode when its calibration data (recent window
    or stress year) for one of the risk classes the episode hit contain the episode's peak.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades.
    market : RiskFactorHistory
        Market history covering the episodes (and, with ``recalibrate``, the calibration windows
        of the versions in force).
    episodes : sequence of str or Episode, optional
        Default: every catalogue episode whose peak is on or after 2016-09-01.
    step : int, default 5
        Every ``step``-th business day of the episode window, the last day included.
    mpor_days : {10, 1}, default 10
        SIMM margin period of risk (1-day SIMM needs versions 2.2 or later).
    side : {"call", "post"}, default "call"
    bind_date : date-like, optional
        Date fixing the trades' terms. Default the last market date.
    recalibrate : bool, default False
        Add the point-in-time recalibrated SIMM (version in force, delta weights rescaled to the
        date's tail moves; see :func:`~imresearch.procyclicality.simm_history.simm_history`) as
        ``version == "recalibrated"``.

    Returns
    -------
    DataFrame
        Tidy, one row per episode, date and version: ``episode``, ``date``, ``version``,
        ``effective_date``, ``role`` (``"in force"``, ``"later"`` or ``"recalibrated"``),
        ``sees_episode``, ``simm`` and ``ratio_to_in_force`` (SIMM over the in-force SIMM on the
        same date).

    Raises
    ------
    InputError
        An episode before the SIMM era, an episode outside the market's dates, a bad ``step``.
    """
    step = check_positive_int("step", step)
    eps = _episodes(episodes)
    sched = version_schedule()
    if mpor_days == 1:
        sched = sched[[1 in m for m in sched["mpor_days"]]]
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                      bind_date)
    hist = market.select(bp.factor_names)
    records: list[dict[str, Any]] = []
    for e in eps:
        inside = hist.dates[(hist.dates >= e.start) & (hist.dates <= e.end)]
        if len(inside) == 0:
            raise InputError(f"episode {e.name} ({e.start:%Y-%m-%d} .. {e.end:%Y-%m-%d}) is "
                             f"outside market {market.name} ({market.start:%Y-%m-%d} .. "
                             f"{market.end:%Y-%m-%d})")
        dates = inside[::-1][::step][::-1]
        peak, classes = _peak(e), _classes(e)
        for t in dates:
            b_t = dataclasses.replace(bp, base_levels=np.array(hist.values[hist.dates.get_loc(t)]),
                                      date=t)
            crif = to_crif(b_t)
            current = version_in_force(t).version
            eff_now = sched.loc[current, "effective_date"]
            for v in sched.index[sched["effective_date"] >= eff_now]:
                records.append({
                    "episode": e.name, "date": t, "version": v,
                    "effective_date": sched.loc[v, "effective_date"],
                    "role": "in force" if v == current else "later",
                    "sees_episode": _sees(v, peak, classes),
                    "simm": simm(crif, version=v, mpor_days=mpor_days, side=side).total,
                })
        if recalibrate:
            hist_t = simm_history(bp, market, dates=dates, mpor_days=mpor_days, side=side,
                                  recalibrate=True)
            for t, row in hist_t.iterrows():
                records.append({
                    "episode": e.name, "date": t, "version": "recalibrated",
                    "effective_date": pd.NaT, "role": "recalibrated", "sees_episode": True,
                    "simm": float(row["simm_recalibrated"]),
                })
    out = pd.DataFrame.from_records(records)
    base = out[out["role"] == "in force"].set_index(["episode", "date"])["simm"]
    key = pd.MultiIndex.from_frame(out[["episode", "date"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["ratio_to_in_force"] = out["simm"].to_numpy() / base.reindex(key).to_numpy()
    return out
