"""``run_study``: compute everything a study asks for, without touching the file system."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass

from imresearch.aggregate.terms import resolve_terms
from imresearch.models import HSModel, MCModel
from imresearch.portfolio import Portfolio, load_portfolio
from imresearch.portfolio.netting import netting_structure
from imresearch.study.aggregate_margin import AggregateResults, aggregate_analysis
from imresearch.study.backtests import BacktestResults, run_backtests
from imresearch.study.findings import Findings, study_findings
from imresearch.study.margin import MarginResults, book_date, margin_analysis
from imresearch.study.market import MarketAnalysis, analyse_market, study_market
from imresearch.study.settings import Study
from imresearch.study.simm_lag import SimmLagResults, simm_lag_analysis, wants_simm_lag

__all__ = ["StudyResults", "progress_steps", "run_study"]


def progress_steps(study: Study) -> dict[str, int | None]:
    """The steps :func:`run_study` reports through ``progress`` (messages ``"step"`` or
    ``"step: detail"``), in order, each with its number of units (models) or None; the
    writer's step ``"write"`` last."""
    steps: dict[str, int | None] = {"load market": None, "market analysis": None}
    if study.portfolio is not None:
        models = study.models.values()
        n_mc = sum(isinstance(m, MCModel) for m in models) if study.rolling.mc_paths else 0
        n_other = sum(not isinstance(m, (HSModel, MCModel)) for m in models)
        steps["rolling IM"] = sum(isinstance(m, HSModel) for m in models)
        if n_mc:
            steps["Monte Carlo through time"] = n_mc
        if n_other:
            steps["IM through time"] = n_other
        steps.update(dict.fromkeys(["IM on the valuation date", "realised P&L and backtests"]))
        if study.apc is not None:
            steps["APC tools"] = None
        if wants_simm_lag(study.models) is not None:
            steps["SIMM calibration lag"] = None
        if study.aggregate is not None:
            steps["aggregate IM on the valuation date"] = len(study.models)
            steps["aggregate IM through time"] = None
        if study.backtest is not None:
            steps["backtests"] = None
    steps["write"] = None
    return steps


@dataclass(frozen=True)
class StudyResults:
    """What a study computed; :func:`imresearch.report.study_report.write_study` writes it.

    Attributes
    ----------
    study : Study
    market : MarketAnalysis
    portfolio : Portfolio or None
    margin : MarginResults or None
        None for a market-only study.
    aggregate : AggregateResults or None
        The book margined per counterparty; None without ``[aggregate]``, for a market-only
        study, or a book whose trades have no netting set.
    started : datetime.datetime
        When the run started (UTC), for the manifest.
    findings : Findings or None
        The summary tables of the margin results (None for a market-only study).
    simm_lag : SimmLagResults or None
        SIMM's calibration lag on the book over the episodes since 2016 inside the market; None
        without a SIMM model in force or such an episode.
    backtests : BacktestResults or None
        The ``[backtest]`` backtests of the models by group (None without ``[backtest]``).
    """

    study: Study
    market: MarketAnalysis
    portfolio: Portfolio | None
    margin: MarginResults | None
    started: _dt.datetime
    aggregate: AggregateResults | None = None
    findings: Findings | None = None
    simm_lag: SimmLagResults | None = None
    backtests: BacktestResults | None = None


def run_study(study: Study, *, data_dir: str | None = None,
              progress: Callable[[str], None] | None = None) -> StudyResults:
    """Run a study: the market analysis, then (with a portfolio) every margin model.

    Parameters
    ----------
    study : Study
        From :func:`~imresearch.study.settings.load_study`.
    data_dir : str, optional
        Data directory of catalogue data sets (default ``$IMRESEARCH_DATA``).
    progress : callable, optional
        Called with a short label at each step (see :func:`progress_steps`).

    Raises
    ------
    InputError
        Data that cannot serve the study (too short for the stress window, the recent years or
        a model's lookback), a portfolio that cannot be bound to the market.
    """
    say = progress or (lambda label: None)
    started = _dt.datetime.now(_dt.timezone.utc)
    cfg = study.market
    # the portfolio file first: a bad one fails before any computation
    portfolio = None if study.portfolio is None else load_portfolio(study.portfolio.source)
    per_netting_set = (study.aggregate is not None and portfolio is not None
                       and any(t.netting_set for t in portfolio))
    if per_netting_set:  # a bad netting structure or terms fail before computing too
        resolve_terms(netting_structure(portfolio), study.aggregate.terms,
                      threshold=study.aggregate.threshold, mta=study.aggregate.mta)
    say("load market")
    market = study_market(cfg, data_dir=data_dir)
    say("market analysis")
    analysis = analyse_market(market, cfg)
    margin = findings = simm_lag = None
    if portfolio is not None:
        margin = margin_analysis(market, portfolio, study.models, rolling=study.rolling,
                                 apc=study.apc, progress=say)
        findings = study_findings(margin, portfolio, market, analysis.tails,
                                  step=study.rolling.step, apc=study.apc)
        if wants_simm_lag(study.models) is not None:
            say("SIMM calibration lag")
            simm_lag = simm_lag_analysis(market, portfolio, study.models,
                                         bind_date=book_date(portfolio, market))
    aggregate = None
    if per_netting_set:
        aggregate = aggregate_analysis(market, portfolio, study.models, study.aggregate,
                                       rolling=study.rolling, progress=say)
    backtests = None
    if portfolio is not None and study.backtest is not None:
        backtests = run_backtests(market, portfolio, study.models, study.backtest,
                                  apc=study.apc, progress=say)
    return StudyResults(study=study, market=analysis, portfolio=portfolio, margin=margin,
                        started=started, aggregate=aggregate, findings=findings,
                        simm_lag=simm_lag, backtests=backtests)
