"""Day-by-day replay of a stress episode: IM paths per model, margin calls, losses against IM.

For a portfolio held at constant maturity (terms fixed once, by default on the market's last
date as in :func:`imresearch.engines.hs.rolling_im`: today's book replayed through history;
strikes and prices are not rescaled to the episode's levels) and an episode of the catalogue
(:mod:`imresearch.scenarios.episodes`), :func:`replay` computes on every business day of the
episode, preceded by ``lookback_days`` business days of calm (the "before" of the PTR):

* the IM of each model of :mod:`imresearch.models` (:func:`~imresearch.models.im_series`):
  HS and filtered HS (rolling full revaluation), Monte Carlo (each date seeded from the
  model's seed and the date), ISDA SIMM (by default the version in force on each date), the
  BCBS-IOSCO standardised schedule and static rates. The per-date models (all but HS) can be
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

SIMM caveat: dates before the first version the project ships use that version; its
calibration includes the 2008-09 .. 2009-06 stress period, so SIMM in replays of the GFC and
earlier episodes knows the future (the notes say which versions were used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines.hs import first_full_row, realised_pnl
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import (
    HSModel,
    MarginModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    im_series,
)
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.procyclicality.metrics import (
    average_im,
    coverage,
    margin_calls,
    max_increase,
    peak_to_trough,
)
from imresearch.scenarios.episodes import Episode, load_episode, load_episodes
from imresearch.simm import version_in_force

__all__ = ["DEFAULT_MODELS", "EpisodeNotCovered", "ReplayResult", "replay", "replay_episodes",
           "replay_metrics"]

Transform = Callable[[pd.Series], pd.Series]


class EpisodeNotCovered(InputError):
    """The market (or a model's lookback) does not cover the episode."""

#: Models of a replay when none are given: HS 1y, HS 3y + stress, FHS-EWMA 1y, SIMM (version
#: in force), schedule.
DEFAULT_MODELS: dict[str, MarginModel] = {
    "HS 1y": HSModel(lookback_days=250),
    "HS 3y+stress": HSModel(lookback_days=750, stress=True),
    "FHS-EWMA 1y": HSModel(lookback_days=250, filtering="ewma"),
    "SIMM": SimmModel(),
    "schedule": ScheduleModel(),
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


def _per_date(label: str, model: MarginModel, bp: BoundPortfolio, market: RiskFactorHistory,
              dates: pd.DatetimeIndex, step: int, notes: list[str]) -> pd.Series:
    """IM of a per-date model every ``step`` days from the first date, held in between."""
    picked = dates[::step]
    values = im_series(model, bp, market, picked).reindex(dates).ffill()
    if isinstance(model, SimmModel):
        used = sorted({model.version_on(t) for t in picked})
        early = (model.version == "in_force"
                 and any(version_in_force(t, before="first").before_first for t in picked))
        notes.append(f"{label}: SIMM version(s) {', '.join(used)}" + (
            " (no SIMM was in force before 2016-09-01: version 1.0's parameters used)"
            if early else ""))
    if isinstance(model, MCModel):
        notes.append(f"{label}: {model.n_paths} paths, each date seeded from seed {model.seed} "
                     f"and the date, {model.label}")
    if step > 1:
        notes.append(f"{label}: recomputed every {step} business days from the first date and "
                     f"held in between (its 1-day metrics are {step}-day jumps)")
    return values


def replay(
    portfolio: Any,
    market: RiskFactorHistory,
    episode: Episode | str,
    *,
    models: Mapping[str, MarginModel] | None = None,
    tools: Mapping[str, Transform] | None = None,
    lookback_days: int = 60,
    horizon: int = 10,
    slow_step: int = 1,
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
    models : mapping of label to model spec (:mod:`imresearch.models`), optional
        Default :data:`DEFAULT_MODELS`.
    tools : mapping of label to transform, optional
        APC tools applied to every model's IM (e.g. ``{"buffer": apc.buffer}``).
    lookback_days : int
        Business days replayed before the episode starts (the calm reference). Default 60.
    horizon : int
        Margin period of risk of the realised P&L, business days; every HS and Monte Carlo
        model must have this horizon, and every SIMM model this MPOR. Default 10.
    slow_step : int
        Recompute the per-date models (all but HS) every ``slow_step`` days (held in
        between). Default 1.
    bind_date : date-like, optional
        Date on which the trades' terms are fixed. Default the market's last date.

    Returns
    -------
    ReplayResult

    Raises
    ------
    EpisodeNotCovered
        The episode outside the market (naming both ranges), a model lookback longer than the
        history before the replay.
    InputError
        A model that is not a model spec, a model horizon other than ``horizon``, bad
        arguments.
    """
    ep = episode if isinstance(episode, Episode) else load_episode(episode)
    models = _check_arguments(models, lookback_days, horizon, slow_step)
    try:
        window = ep.window(market, lookback_days=lookback_days)
    except InputError as exc:
        raise EpisodeNotCovered(str(exc)) from None
    dates = pd.DatetimeIndex(window.dates, name="date")
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                      bind_date)
    notes: list[str] = []
    im = {}
    for label, model in models.items():
        if isinstance(model, HSModel):
            if int(market.dates.get_loc(dates[0])) < first_full_row(model):
                raise EpisodeNotCovered(
                    f"episode {ep.name}, model {label!r}: lookback of {model.lookback_days} days "
                    f"is longer than the data before {dates[0]:%Y-%m-%d} (data {market.name} "
                    f"from {market.start:%Y-%m-%d})")
            im[label] = im_series(model, bp, market, dates)
        else:
            im[label] = _per_date(label, model, bp, market, dates, slow_step, notes)
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
                     options.get("horizon", 10), options.get("slow_step", 1))
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
                     slow_step: int) -> dict[str, MarginModel]:
    check_positive_int("lookback_days", lookback_days, minimum=0)
    horizon = check_positive_int("horizon", horizon)
    check_positive_int("slow_step", slow_step)
    out = dict(DEFAULT_MODELS if models is None else models)
    if not out:
        raise InputError("models is empty")
    for label, model in out.items():
        if not isinstance(model, MarginModel):
            raise InputError(f"model {label!r}: expected a model spec of imresearch.models "
                             f"(HSModel, MCModel, SimmModel, ScheduleModel, StaticModel); got "
                             f"{model!r}")
        own = getattr(model, "horizon", getattr(model, "mpor_days", horizon))
        if own != horizon:
            raise InputError(f"model {label!r}: horizon {own} differs from the replay's "
                             f"horizon={horizon} (exceptions would compare {horizon}-day "
                             f"losses with {own}-day IM)")
    return out
