"""The backtests of a study (``[backtest]``; ``imresearch backtest``), without touching the file
system: every model x horizon x grouping through :func:`imresearch.backtest.backtest_im`, the
exception report, the rolling traffic light with remediation and the margin responsiveness
table. :func:`imresearch.report.backtest_report.write_backtests` writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from imresearch.backtest import backtest_im, exception_report
from imresearch.backtest.im_backtest import check_one_day, first_im_row, model_at_horizon
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import MarginModel, ScheduleModel, SimmModel, StaticModel
from imresearch.procyclicality import apc as pc
from imresearch.procyclicality.responsiveness import responsiveness
from imresearch.study.margin import book_date
from imresearch.study.market import episodes_for
from imresearch.study.settings import APCConfig, BacktestConfig

__all__ = ["BacktestResults", "run_backtests"]

KEYS = ["model", "horizon", "by"]


@dataclass(frozen=True)
class BacktestResults:
    """What :func:`run_backtests` computed.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per (model, horizon, by, group): the columns of
        :attr:`imresearch.backtest.IMBacktest.summary` (``model`` is the study's label,
        ``model_run`` the model as run at the horizon).
    exceptions : pandas.DataFrame
        The exception report of every backtest (columns of
        :func:`imresearch.backtest.exception_report` plus ``model``, ``horizon``, ``by``).
    rolling : pandas.DataFrame
        The rolling traffic light with remediation of every backtest (columns of
        :meth:`imresearch.backtest.IMBacktest.rolling` plus ``model``, ``horizon``, ``by``).
    responsiveness : pandas.DataFrame
        Peak-to-trough and largest 1/5/30-day increases of each model's 10-day IM (or its
        1-day IM when only that was run) per group and in aggregate, with and without APC
        tools.
    skipped : list of str
        Backtests not run and why (e.g. the schedule at 1 day).
    config : BacktestConfig
    episodes : list of (name, start, end)
    market_name : str
    """

    summary: pd.DataFrame
    exceptions: pd.DataFrame
    rolling: pd.DataFrame
    responsiveness: pd.DataFrame
    config: BacktestConfig
    episodes: list[tuple[str, pd.Timestamp, pd.Timestamp]]
    market_name: str
    skipped: list[str] = field(default_factory=list)


def _tools(apc: APCConfig | None) -> dict[str, Callable[[pd.Series], pd.Series]]:
    cfg = apc or APCConfig()
    return {f"buffer {cfg.buffer:.0%}": lambda s: pc.buffer(s, cfg.buffer),
            f"speed limit {cfg.speed_limit:.0%}": lambda s: pc.speed_limit(s, cfg.speed_limit)}


def _skip(model: MarginModel, horizon: int, by: str, portfolio: Any) -> str | None:
    if isinstance(model, (ScheduleModel, StaticModel)):
        if horizon != 10:
            return "a 10-day margin only"
        if by == "risk_class":
            return "set per trade, no risk-class margin"
    if by == "netting_set" and not any(t.netting_set for t in portfolio):
        return "the book has no netting sets"
    return None


def run_backtests(market: RiskFactorHistory, portfolio: Any, models: dict[str, MarginModel],
                  config: BacktestConfig, *, apc: APCConfig | None = None,
                  progress: Callable[[str], None] | None = None) -> BacktestResults:
    """Backtest the study's models on its book (see the module notes).

    Parameters
    ----------
    market : RiskFactorHistory
    portfolio : Portfolio
        With ``pnl="hypothetical"`` its terms are fixed on the study's book date
        (:func:`imresearch.study.margin.book_date`).
    models : mapping of label to model
        The study's models; ``config.labels(models)`` are backtested.
    config : BacktestConfig
    apc : APCConfig, optional
        Rates of the APC tools of the responsiveness table (buffer, speed limit).
    progress : callable, optional
        Called with ``"backtests: <model> <horizon>d by <by>"`` before each backtest.
    """
    say = progress or (lambda label: None)
    labels = config.labels(models)
    if not labels:
        raise InputError("[backtest]: no model to backtest (the study has no HS or SIMM model; "
                         "name models in [backtest] models)")
    episodes = episodes_for(market)
    frozen = {} if config.pnl == "actual" else {"bind_date": book_date(portfolio, market)}
    end_row = market.n_dates - 1 - max(config.horizons)
    first_row = max(0, end_row - round(config.years * 252))
    summaries, reports, rollings, ims, skipped = [], [], [], {}, []
    window_rows = max(2, round(config.window / config.step))
    for label in labels:
        model = models[label]
        for horizon in config.horizons:
            for by in config.by:
                reason = _skip(model, horizon, by, portfolio)
                if reason:
                    skipped.append(f"{label} {horizon}d by {by}: {reason}")
                    continue
                start = market.dates[max(first_row, first_im_row(model, horizon))]
                if isinstance(model, SimmModel) and horizon == 1:
                    try:
                        check_one_day(model_at_horizon(model, 1), start)
                    except InputError:
                        skipped.append(f"{label} {horizon}d by {by}: no 1-day SIMM in force "
                                       f"on {start:%Y-%m-%d} (first published with 2.2)")
                        continue
                say(f"backtests: {label} {horizon}d by {by}")
                res = backtest_im(portfolio, market, start, market.dates[end_row], model,
                                  horizon=horizon, by=by, pnl=config.pnl, step=config.step,
                                  **frozen)
                keys = {"model": label, "horizon": horizon, "by": by}
                summaries.append(res.summary.rename(columns={"model": "model_run"})
                                 .drop(columns="horizon").reset_index().assign(**keys))
                reports.append(exception_report(res, market, episodes=episodes).assign(**keys))
                if len(res.im) >= window_rows:
                    rollings.append(res.rolling(window_rows).assign(**keys))
                if horizon == max(config.horizons) and (
                        by == "netting_set" or (by == "portfolio" and label not in ims)):
                    ims[label] = res.im  # netting sets when run, else the portfolio
    summary = pd.concat(summaries, ignore_index=True) if summaries else pd.DataFrame()
    if not summary.empty:
        lead = [*KEYS, "group"]
        summary = summary[lead + [c for c in summary.columns if c not in lead]]

    def stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not parts:
            return pd.DataFrame(columns=KEYS)
        out = pd.concat(parts, ignore_index=True)
        return out[KEYS + [c for c in out.columns if c not in KEYS]]

    table = (responsiveness(ims, _tools(apc), step=config.step) if ims
             else pd.DataFrame())
    return BacktestResults(summary=summary, exceptions=stacked(reports),
                           rolling=stacked(rollings), responsiveness=table, config=config,
                           episodes=episodes, market_name=market.name, skipped=skipped)
