"""Day-by-day replay of a stress episode: IM paths per model, margin calls, losses against IM.

For a portfolio held at constant maturity (terms fixed once, by default on the market's last
date as in :func:`imresearch.engines.hs.rolling_im`: today's book replayed through history;
strikes and prices are not rescaled to the episode's levels) and an episode of the catalogue
(:mod:`imresearch.scenarios.episodes`), :func:`replay` computes on every business day of the
episode, preceded by ``lookback_days`` business days of calm (the "before" of the PTR):

* the IM of each model: HS and filtered HS (:class:`~imresearch.config.HSModel`, rolling
  full revaluation), Monte Carlo (:func:`imresearch.engines.mc.monte_carlo_im`, common random
  numbers: the same seed on every date, which reduces, but does not remove, simulation noise in
  day-to-day changes), ISDA SIMM (the version in force on each date,
  :mod:`imresearch.procyclicality.simm_history`) and the BCBS-IOSCO standardised schedule
  (:func:`imresearch.schedule.schedule_im`). The per-date models (MC, SIMM, schedule) can be
  recomputed every ``slow_step`` days from the first replay date and held in between (never
  filled backwards: a held value is always from the past); their 1-day metrics are then
  jumps over ``slow_step`` days;
* the same IM charged with each APC tool (any ``IM series -> IM series`` transform, e.g. from
  :mod:`imresearch.procyclicality.apc`);
* margin calls: the daily IM change (positive = a call the client pays, negative = IM returned);
* realised ``horizon``-day P&L of the portfolio from each date (the loss IM should cover) and
  the exceptions (loss above the IM set at the start of the horizon; NA where the horizon runs
  past the data). Windows overlap, so exceptions cluster: the table gives both the count and
  the number of clusters (runs of consecutive exception dates);
* the metrics of :mod:`imresearch.procyclicality.metrics` over the replay window, per model
  and tool: average IM, PTR (both variants), the largest 1/5/20-day increases, total calls and
  the largest 5-day call in currency, coverage (breaches, worst shortfall, loss-to-margin).

An episode that the market does not cover (or whose models' lookbacks reach before the data)
fails with :class:`EpisodeNotCovered`, an :class:`~imresearch.errors.InputError` naming the
episode, its dates and the data range; :func:`replay_episodes` turns it into a row.

SIMM caveat: the oldest shipped version (2.5) is used for dates before 2022-12-03; its
calibration includes the 2008-09 .. 2009-06 stress period, so SIMM in replays of the GFC and
earlier episodes knows the future.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from imresearch.config import HSModel
from imresearch.engines.hs import realised_pnl, rolling_im
from imresearch.engines.mc import MCModel, monte_carlo_im
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.procyclicality.metrics import (
    average_im,
    coverage,
    margin_calls,
    max_increase,
    peak_to_trough,
)
from imresearch.procyclicality.simm_history import version_in_force
from imresearch.scenarios.episodes import Episode, load_episode, load_episodes
from imresearch.schedule import schedule_im
from imresearch.simm import simm

__all__ = ["DEFAULT_MODELS", "EpisodeNotCovered", "ReplayResult", "replay", "replay_episodes",
           "replay_metrics"]

Transform = Callable[[pd.Series], pd.Series]


class EpisodeNotCovered(InputError):
    """The market (or a model's lookback) does not cover the episode."""

#: Models of a replay when none are given: HS 1y, HS 3y + stress, FHS-EWMA 1y, SIMM, schedule.
DEFAULT_MODELS: dict[str, Any] = {
    "HS 1y": HSModel(lookback_days=250),
    "HS 3y+stress": HSModel(lookback_days=750, stress=True),
    "FHS-EWMA 1y": HSModel(lookback_days=250, filtering="ewma"),
    "SIMM": "simm",
    "schedule": "schedule",
}


@dataclass(frozen=True)
class ReplayResult:
    """Result of :func:`replay`.

    Attributes
    ----------
    episode : Episode
    im : pandas.DataFrame
        Daily IM, dates x columns ``model`` (no tool) and ``model | tool``.
    calls : pandas.DataFrame
        Daily margin calls (IM change; positive = call), same columns as ``im``.
    pnl : pandas.Series
        Realised ``horizon``-day P&L from each date (NaN where the horizon runs past the data).
    exceptions : pandas.DataFrame of bool
        Loss over the next ``horizon`` days above the IM of that date, same columns as ``im``.
    table : pandas.DataFrame
        Metrics per ``(model, tool)`` over the replay window.
    notes : tuple of str
        What was approximated (slow models held between recomputations, SIMM version, MC
        settings).
    """

    episode: Episode
    im: pd.DataFrame
    calls: pd.DataFrame
    pnl: pd.Series
    exceptions: pd.DataFrame
    table: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)
    lookback_start: pd.Timestamp | None = None

    @property
    def models(self) -> list[str]:
        """Model columns (without tools)."""
        return [c for c in self.im.columns if " | " not in c]


def _at(bp: BoundPortfolio, levels: np.ndarray, date: pd.Timestamp) -> BoundPortfolio:
    return dataclasses.replace(bp, base_levels=np.array(levels), date=date)


def _per_date(kind: str, bp: BoundPortfolio, hist: RiskFactorHistory, market: RiskFactorHistory,
              dates: pd.DatetimeIndex, step: int, options: Mapping[str, Any],
              notes: list[str]) -> pd.Series:
    rows = hist.dates.get_indexer(dates)
    pick = np.arange(0, len(dates), step)
    values = np.full(len(dates), np.nan)
    versions = set()
    for i in pick:
        t, r = dates[i], rows[i]
        b_t = _at(bp, hist.values[r], t)
        if kind == "simm":
            version = options.get("simm_version") or version_in_force(t)[0]
            versions.add(version)
            values[i] = simm(to_crif(b_t), version=version).total
        elif kind == "schedule":
            values[i] = schedule_im(schedule_inputs(b_t)).total
        else:  # "mc"
            model = options.get("mc_model") or MCModel(lookback_days=250)
            res = monte_carlo_im(b_t, market, t, n_paths=int(options.get("mc_paths", 5000)),
                                 horizon=int(options["horizon"]), seed=options.get("seed", 0),
                                 model=model)
            values[i] = res.im
    if kind == "simm":
        early = version_in_force(dates[0])[1]
        notes.append(f"SIMM version(s) {sorted(versions)}"
                     + (" (dates before 2022-12-03 use 2.5, the first shipped version)"
                        if early and not options.get("simm_version") else ""))
    if kind == "mc":
        model = options.get("mc_model")
        described = repr(model) if model is not None else "MCModel(lookback_days=250)"
        notes.append(f"mc: {int(options.get('mc_paths', 5000))} paths, seed "
                     f"{options.get('seed', 0)} on every date, {described}")
    if step > 1:
        notes.append(f"{kind}: recomputed every {step} business days from the first date and "
                     f"held in between (its 1-day metrics are {step}-day jumps)")
    return pd.Series(values, index=dates).ffill()


def replay(
    portfolio: Any,
    market: RiskFactorHistory,
    episode: Episode | str,
    *,
    models: Mapping[str, HSModel | str] | None = None,
    tools: Mapping[str, Transform] | None = None,
    lookback_days: int = 60,
    horizon: int = 10,
    slow_step: int = 1,
    mc_paths: int = 5000,
    mc_model: Any = None,
    simm_version: str | None = None,
    seed: int = 0,
    bind_date: object = None,
) -> ReplayResult:
    """Replay a stress episode day by day for a portfolio and a set of IM models.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades, bound once on ``bind_date`` (default the market's last date).
    market : RiskFactorHistory
        History covering the models' lookbacks, the ``lookback_days`` before the episode and
        the episode.
    episode : Episode or str
        An episode or its catalogue name (``"gfc_2008"``...).
    models : mapping of label to HSModel or {"simm", "schedule", "mc"}, optional
        Default :data:`DEFAULT_MODELS`.
    tools : mapping of label to transform, optional
        APC tools applied to every model's IM (e.g. ``{"buffer": apc.buffer}``).
    lookback_days : int
        Business days replayed before the episode starts (the calm reference). Default 60.
    horizon : int
        Margin period of risk of the realised P&L, business days; every HS model must have this
        horizon, and MC runs with it. Default 10.
    slow_step : int
        Recompute SIMM, schedule and MC every ``slow_step`` days (held in between). Default 1.
    mc_paths, mc_model, seed
        Monte Carlo paths, :class:`~imresearch.engines.mc.MCModel` (default 1-year window)
        and seed (the same on every date).
    simm_version : str, optional
        Hold one SIMM version; default the version in force on each date.

    Returns
    -------
    ReplayResult

    Raises
    ------
    EpisodeNotCovered
        The episode outside the market (naming both ranges), a model lookback longer than the
        history before the replay.
    InputError
        An unknown model kind, a model horizon other than ``horizon``, bad arguments.
    """
    ep = episode if isinstance(episode, Episode) else load_episode(episode)
    models = _check_arguments(models, lookback_days, horizon, slow_step, mc_paths)
    try:
        window = ep.window(market, lookback_days=lookback_days)
    except InputError as exc:
        raise EpisodeNotCovered(str(exc)) from None
    dates = pd.DatetimeIndex(window.dates, name="date")
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                      bind_date)
    hist = market.select(bp.factor_names)
    notes: list[str] = []
    options = {"simm_version": simm_version, "mc_paths": mc_paths, "mc_model": mc_model,
               "seed": seed, "horizon": horizon}
    im = {}
    for label, model in models.items():
        if isinstance(model, HSModel):
            try:
                im[label] = rolling_im(bp, market, dates[0], dates[-1], model=model)["im"]
            except InputError as exc:
                if "full lookback" in str(exc):
                    raise EpisodeNotCovered(f"episode {ep.name}, model {label!r}: {exc}"
                                            ) from None
                raise InputError(f"episode {ep.name}, model {label!r}: {exc}") from None
            if len(im[label]) != len(dates):
                raise EpisodeNotCovered(
                    f"episode {ep.name}, model {label!r}: lookback of {model.lookback_days} days "
                    f"is longer than the data before {dates[0]:%Y-%m-%d} (data {market.name} "
                    f"from {market.start:%Y-%m-%d})")
        else:
            im[label] = _per_date(str(model), bp, hist, market, dates, slow_step, options, notes)
        if not (im[label] > 0).all():
            bad = im[label][~(im[label] > 0)]
            raise InputError(f"episode {ep.name}, model {label!r}: IM is not positive on "
                             f"{bad.index[0]:%Y-%m-%d} ({bad.iloc[0]!r}); the portfolio may have "
                             f"no risk under this model")
    frame = pd.DataFrame(im, index=dates)
    for tname, tool in (tools or {}).items():
        for label in list(im):
            charged = tool(frame[label])
            if not isinstance(charged, pd.Series) or not charged.index.equals(dates):
                raise InputError(f"tool {tname!r} on model {label!r}: must return a Series on "
                                 f"the same dates as its input")
            frame[f"{label} | {tname}"] = charged
    pnl_all = realised_pnl(bp, market, horizon)
    pnl = pnl_all.reindex(dates).rename(f"pnl_{horizon}d")
    calls = frame.diff()
    exc = frame.lt(-pnl, axis=0).astype("boolean")
    exc[pnl.isna()] = pd.NA
    table = replay_metrics(frame, pnl, episode_start=ep.start)
    return ReplayResult(ep, frame, calls, pnl, exc, table, tuple(notes),
                        lookback_start=dates[0])


def replay_metrics(im: pd.DataFrame, pnl: pd.Series, *, episode_start: object = None
                   ) -> pd.DataFrame:
    """Metrics per IM column over the replay window (see the module notes).

    The IM before ``episode_start`` is the calm reference: ``ptr_vs_pre`` is the episode's peak
    IM over the average IM before it.
    """
    rows = {}
    for col in im.columns:
        x = im[col]
        model, _, tool = col.partition(" | ")
        calls = margin_calls(x, days=5)
        p = pnl.dropna()
        cov = coverage(x.loc[p.index], p)
        row = {
            "average_im": average_im(x),
            "peak_im": float(x.max()),
            "peak_date": x.idxmax(),
            "peak_to_trough": peak_to_trough(x),
            "peak_to_trough_trough_first": peak_to_trough(x, trough_first=True),
            "max_1d_increase": max_increase(x, 1),
            "max_5d_increase": max_increase(x, 5),
            "max_20d_increase": max_increase(x, 20) if len(x) > 20 else np.nan,
            "total_calls": float(calls["total_calls"]),
            "largest_5d_call": float(calls["largest_call"]),
            "breaches": int(cov["breaches"]),
            "breach_clusters": _clusters(x.loc[p.index] < -p),
            "worst_shortfall": float(cov["worst_shortfall"]),
            "max_loss_to_margin": float(cov["max_loss_to_margin"]),
        }
        if episode_start is not None and (x.index < pd.Timestamp(episode_start)).any():
            pre = x[x.index < pd.Timestamp(episode_start)].mean()
            row["ptr_vs_pre"] = float(x[x.index >= pd.Timestamp(episode_start)].max() / pre)
        rows[(model, tool or "none")] = row
    table = pd.DataFrame(rows).T
    table.index.names = ["model", "tool"]
    for c in table.columns:
        if c != "peak_date":
            table[c] = table[c].astype(float)
    return table


def replay_episodes(
    portfolio: Any,
    market: RiskFactorHistory,
    episodes: Sequence[Episode | str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Replay several episodes and stack their metric tables.

    Episodes the market does not cover (or whose models' lookbacks reach before the data) are
    kept as one row with ``status`` saying why, instead of failing the whole study.

    Parameters
    ----------
    portfolio, market
        As in :func:`replay` (the same terms in every episode).
    episodes : sequence of Episode or str, optional
        Default: the whole catalogue (:func:`~imresearch.scenarios.episodes.load_episodes`).
    **options
        Passed to :func:`replay` (``models``, ``tools``, ``lookback_days``, ``slow_step``...).

    Returns
    -------
    pandas.DataFrame
        Index ``(episode, model, tool)``; the columns of :func:`replay_metrics` plus ``status``
        (``"ok"`` or the reason the episode was skipped).
    """
    eps = load_episodes() if episodes is None else [
        e if isinstance(e, Episode) else load_episode(e) for e in episodes]
    _check_arguments(options.get("models"), options.get("lookback_days", 60),
                     options.get("horizon", 10), options.get("slow_step", 1),
                     options.get("mc_paths", 5000))
    parts = []
    for ep in eps:
        try:
            table = replay(portfolio, market, ep, **options).table
        except EpisodeNotCovered as exc:
            idx = pd.MultiIndex.from_tuples([(ep.name, "", "")],
                                            names=["episode", "model", "tool"])
            parts.append(pd.DataFrame({"status": [str(exc)]}, index=idx))
            continue
        table = table.copy()
        table["status"] = "ok"
        table.index = pd.MultiIndex.from_tuples(
            [(ep.name, m, t) for m, t in table.index], names=["episode", "model", "tool"])
        parts.append(table)
    if not parts:
        raise InputError("episodes is empty")
    return pd.concat(parts)


def _clusters(flags: pd.Series) -> int:
    """Number of runs of consecutive True values (overlapping-window exceptions cluster)."""
    f = flags.to_numpy(dtype=bool)
    return int(f[0]) + int((f[1:] & ~f[:-1]).sum()) if f.size else 0


def _check_arguments(models: Mapping[str, Any] | None, lookback_days: int, horizon: int,
                     slow_step: int, mc_paths: int) -> dict[str, Any]:
    check_positive_int("lookback_days", lookback_days, minimum=0)
    horizon = check_positive_int("horizon", horizon)
    check_positive_int("slow_step", slow_step)
    check_positive_int("mc_paths", mc_paths)
    out = dict(DEFAULT_MODELS if models is None else models)
    if not out:
        raise InputError("models is empty")
    for label, model in out.items():
        if isinstance(model, HSModel):
            if model.horizon != horizon:
                raise InputError(f"model {label!r}: horizon {model.horizon} differs from the "
                                 f"replay's horizon={horizon} (exceptions would compare "
                                 f"{horizon}-day losses with {model.horizon}-day IM)")
        elif model not in ("simm", "schedule", "mc"):
            raise InputError(f"model {label!r}: expected an HSModel or one of 'simm', "
                             f"'schedule', 'mc'; got {model!r}")
    return out
