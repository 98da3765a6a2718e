"""The system view: a network of dealers and clients margined through a stress episode.

Each dealer margins its netting sets with its clients (:func:`imresearch.aggregate.
aggregate_im_series`: IM to collect and to post per netting set, thresholds per client group,
balances carried with VM) under each model, through the dates of a stress episode. The system
is the sum over dealers: the IM the dealers collect is what their clients post, and the calls
the dealers pay and receive are the collateral that moves. One task per (model, dealer) runs
on the executor layer of :mod:`imresearch.sweep`: serially for small networks, on Dask from
:data:`DASK_FROM` netting sets on (``scheduler="auto"``); every executor gives the same numbers
(Monte Carlo seeds come from the model's seed and the date, not from the task).

>>> from imresearch.aggregate.network import generate_network
>>> from imresearch.study.system import system_view
>>> net = generate_network(4, 30, seed=1)                            # doctest: +SKIP
>>> view = system_view(net, market, episode="covid_2020")            # doctest: +SKIP
>>> view.summary                                                     # doctest: +SKIP
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.aggregate import aggregate_im_series
from imresearch.aggregate.network import Network
from imresearch.aggregate.settlement import FLOW_COLUMNS, PEAK_DAYS, rolling_peaks
from imresearch.aggregate.terms import DEFAULT_MTA, DEFAULT_THRESHOLD
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import HSModel, MarginModel, MCModel, ScheduleModel, SimmModel
from imresearch.portfolio.binding import bind
from imresearch.study.grid import _episode_dates, required_rows
from imresearch.study.market import episodes_for

__all__ = ["DASK_FROM", "DEFAULT_SYSTEM_MODELS", "SystemView", "system_task", "system_view"]

DASK_FROM = 300
"""Netting sets from which ``scheduler="auto"`` runs the system view on Dask."""

#: The models of the system view by default: HS and filtered HS on one year, Monte Carlo on
#: one year (1,000 paths a date), SIMM in force and the schedule.
DEFAULT_SYSTEM_MODELS: dict[str, MarginModel] = {
    "HS 1y": HSModel(lookback_days=252),
    "FHS-EWMA 1y": HSModel(lookback_days=252, filtering="ewma"),
    "MC 1y": MCModel(n_paths=1000, lookback_days=252),
    "SIMM": SimmModel(),
    "Schedule": ScheduleModel(),
}

#: Columns of a dealer's aggregate carried into the system view.
SERIES = ("im_call", "im_post", "required_collect", "required_post", "collected", "posted",
          "vm", *FLOW_COLUMNS)

#: Relative cost of a task by model kind, to start the longest tasks first.
_COST = {MCModel: 0, SimmModel: 1, HSModel: 2, ScheduleModel: 3}


@dataclass(frozen=True)
class SystemView:
    """A network margined through an episode, per model.

    Attributes
    ----------
    network : Network
    episode : (str, Timestamp, Timestamp)
        Name, first and last date of the episode.
    dates : pandas.DatetimeIndex
        The IM dates (the episode with ``pad_days`` either side).
    by_dealer : pandas.DataFrame
        Index (``model``, ``dealer``, ``date``): each dealer's aggregate (:data:`SERIES`).
    system : pandas.DataFrame
        Index (``model``, ``date``): the sums over dealers.
    summary : pandas.DataFrame
        Per model: ``im_call_before`` (the system's IM to collect on the last date before the
        episode), ``im_call_peak`` and ``peak_over_before``, ``collected_before``,
        ``collected_peak``, ``calls_out_total`` (over the dates), ``peak_<n>d_calls_out``
        (largest system calls over n consecutive dates) and ``crossings_up`` (group
        thresholds crossed upwards, both sides, by all dealers).
    cliff : pandas.DataFrame
        Every threshold crossing: ``model``, ``dealer`` and the columns of
        :attr:`~imresearch.aggregate.AggregateIMSeries.cliff`.
    scheduler : str
        The executor that ran the tasks.
    """

    network: Network
    episode: tuple[str, pd.Timestamp, pd.Timestamp]
    dates: pd.DatetimeIndex
    by_dealer: pd.DataFrame
    system: pd.DataFrame
    summary: pd.DataFrame
    cliff: pd.DataFrame
    scheduler: str


def system_task(params: Mapping[str, Any], shared: Mapping[str, Any],
                rng: np.random.Generator) -> dict[str, Any]:
    """One (model, dealer) of the system view: the dealer's aggregate through the dates.

    Returns the label and dealer, each :data:`SERIES` column as an array over the dates, and
    the threshold crossings as JSON records (``cliff``).
    """
    model = shared["models"][params["model"]]
    res = aggregate_im_series(shared["books"][params["dealer"]], shared["market"],
                              shared["dates"], model, threshold=shared["threshold"],
                              mta=shared["mta"], terms=shared["terms"])
    out: dict[str, Any] = {"model": params["model"], "dealer": params["dealer"]}
    out.update({col: res.aggregate[col].to_numpy() for col in SERIES})
    out["cliff"] = res.cliff.to_json(orient="records", date_format="iso")
    return out


def _episode(market: RiskFactorHistory, episode: Any) -> tuple[str, pd.Timestamp, pd.Timestamp]:
    known = {name: (s, e) for name, s, e in episodes_for(market)
             if s >= market.start and e <= market.end}
    if isinstance(episode, str):
        if episode not in known:
            raise InputError(f"episode {episode!r} is not an episode of {market.name}; known: "
                             f"{sorted(known)}")
        return episode, *known[episode]
    if episode is None:
        for name in ("covid_2020", "gfc", "euro_crisis_2011"):
            if name in known:
                return name, *known[name]
        raise InputError(f"{market.name} has no default episode; give episode= as a name of "
                         f"{sorted(known)} or a (start, end) pair")
    try:
        start, end = (pd.Timestamp(x) for x in episode)
    except (TypeError, ValueError):
        raise InputError(f"episode must be a name or a (start, end) pair; got {episode!r}"
                         ) from None
    return f"{start:%Y-%m-%d}..{end:%Y-%m-%d}", start, end


def system_view(network: Network, market: RiskFactorHistory, *,
                models: Mapping[str, MarginModel] | None = None, episode: Any = None,
                pad_days: int = 20, step: int = 1, threshold: float = DEFAULT_THRESHOLD,
                mta: float = DEFAULT_MTA, terms: Mapping[str, Any] | None = None,
                scheduler: str = "auto", n_workers: int | None = None,
                task_threads: int | None = 1, progress: Any = False) -> SystemView:
    """Margin a network through a stress episode under each model (see the module docstring).

    Parameters
    ----------
    network : Network
        From :func:`~imresearch.aggregate.network.generate_network`.
    market : RiskFactorHistory
    models : mapping of label to model, optional
        Default :data:`DEFAULT_SYSTEM_MODELS`.
    episode : str or (date, date), optional
        An episode of the market (``covid_2020``...) or its first and last date. Default
        COVID-19 2020 (else the GFC, else the 2011 euro crisis).
    pad_days, step : int
        IM dates: every ``step``-th business day from ``pad_days`` before the episode to
        ``pad_days`` after it. Defaults 20 and 1 (daily).
    threshold, mta, terms
        The dealers' terms with their client groups (:func:`imresearch.aggregate.aggregate_im`).
    scheduler : str
        ``"auto"`` (serial below :data:`DASK_FROM` netting sets, Dask from there), or any
        scheduler of :func:`imresearch.sweep.run_sweep`.
    n_workers, task_threads, progress
        As in :func:`imresearch.sweep.run_sweep`.

    Returns
    -------
    SystemView
    """
    from imresearch.sweep import run_sweep

    models = dict(DEFAULT_SYSTEM_MODELS if models is None else models)
    if not models:
        raise InputError("models is empty")
    name, start, end = _episode(market, episode)
    dates = _episode_dates(market, start, end, pad_days, step)
    first = int(market.dates.searchsorted(dates[0]))
    for label, model in models.items():
        if first < required_rows(model):
            raise InputError(f"model {label!r} needs {required_rows(model)} business days of "
                             f"history before {dates[0]:%Y-%m-%d}; {market.name} has {first}")
    if scheduler == "auto":
        scheduler = "dask" if network.n_netting_sets >= DASK_FROM else "serial"
    books = {d: bind(book, market, market.end) for d, book in network.books.items()}
    points = [{"model": label, "dealer": d}
              for label in sorted(models, key=lambda k: _COST.get(type(models[k]), 9))
              for d in books]
    shared = {"market": market, "books": books, "models": models, "dates": dates,
              "threshold": threshold, "mta": mta, "terms": terms}
    table = run_sweep(system_task, points, shared=shared, scheduler=scheduler,
                      n_workers=n_workers, task_threads=task_threads, progress=progress)
    return _assemble(network, (name, start, end), dates, table, list(models),
                     list(books), scheduler)


def _assemble(network: Network, episode: tuple[str, pd.Timestamp, pd.Timestamp],
              dates: pd.DatetimeIndex, table: pd.DataFrame, labels: list[str],
              dealers: list[str], scheduler: str) -> SystemView:
    frames, cliffs = [], []
    rows = {(r["model"], r["dealer"]): r for _, r in table.iterrows()}
    for label in labels:
        for dealer in dealers:
            row = rows[(label, dealer)]
            frame = pd.DataFrame({col: row[col] for col in SERIES},
                                 index=pd.DatetimeIndex(dates, name="date"))
            frames.append(pd.concat({(label, dealer): frame}, names=["model", "dealer"]))
            cliff = pd.read_json(io.StringIO(row["cliff"]), orient="records", dtype=False)
            if len(cliff):
                for col in ("date", "first_flow_date"):
                    cliff[col] = pd.to_datetime(cliff[col])
                cliffs.append(cliff.assign(model=label, dealer=dealer))
    by_dealer = pd.concat(frames)
    system = by_dealer.groupby(level=["model", "date"], sort=False).sum()
    cliff = (pd.concat(cliffs, ignore_index=True) if cliffs else pd.DataFrame(
        columns=["model", "dealer", "date", "group", "side", "direction"]))
    front = ["model", "dealer"]
    cliff = cliff[front + [c for c in cliff.columns if c not in front]]
    return SystemView(network=network, episode=episode, dates=dates, by_dealer=by_dealer,
                      system=system, summary=_summary(system, cliff, episode, labels),
                      cliff=cliff, scheduler=scheduler)


def _summary(system: pd.DataFrame, cliff: pd.DataFrame,
             episode: tuple[str, pd.Timestamp, pd.Timestamp], labels: list[str]
             ) -> pd.DataFrame:
    rows = {}
    for label in labels:
        s = system.xs(label, level="model")
        before = s[s.index < episode[1]]
        ref = before.iloc[-1] if len(before) else s.iloc[0]
        during = s[s.index >= episode[1]]
        row = {"im_call_before": ref["im_call"], "im_call_peak": during["im_call"].max(),
               "collected_before": ref["collected"], "collected_peak": during["collected"].max(),
               "calls_out_total": s["calls_out"].iloc[1:].sum()}
        row["peak_over_before"] = (row["im_call_peak"] / row["im_call_before"]
                                   if row["im_call_before"] > 0 else np.nan)
        peaks = rolling_peaks(s[["calls_out"]])
        for d in PEAK_DAYS:
            row[f"peak_{d}d_calls_out"] = float(peaks.loc[d, "calls_out"])
        mine = cliff[cliff["model"] == label] if len(cliff) else cliff
        row["crossings_up"] = int((mine["direction"] == "up").sum()) if len(mine) else 0
        rows[label] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "model"
    return out
