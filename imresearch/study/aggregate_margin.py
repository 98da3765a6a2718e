"""The aggregate part of a study: the book margined per counterparty (no file output).

On the valuation date every model of the study margins each netting set both ways
(:func:`imresearch.aggregate.aggregate_im`: IM to collect and to post, the group threshold
allocated, the amounts exchanged); through time one model (``[aggregate] model``) carries the
collateral balances from IM date to IM date with variation margin
(:func:`imresearch.aggregate.aggregate_im_series`): exchanged IM per counterparty, calls, the
threshold cliff. The writer is :mod:`imresearch.report.study_report`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from imresearch.aggregate import AggregateIMSeries, aggregate_im, aggregate_im_series
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import HSModel, MarginModel, MCModel
from imresearch.portfolio import Portfolio
from imresearch.portfolio.binding import bind
from imresearch.study.margin import _rolling_dates, book_date, monthly_grid, required_rows
from imresearch.study.settings import AggregateConfig, RollingConfig

__all__ = ["AggregateResults", "aggregate_analysis"]

#: Columns of the per-netting-set table on the valuation date (``aggregate_im.csv``).
ON_DATE_COLUMNS = ("counterparty", "group", "im_call", "im_post", "threshold_call",
                   "threshold_post", "collect", "post")


@dataclass(frozen=True)
class AggregateResults:
    """What the aggregate part of a study computes.

    Attributes
    ----------
    on_date : pandas.DataFrame
        One row per netting set and model on the valuation date (columns ``netting_set``,
        ``model`` and :data:`ON_DATE_COLUMNS`).
    totals : pandas.DataFrame
        Per model: ``im_call``, ``im_post``, ``collect``, ``post`` summed over netting sets.
    model : str
        Label of the model of the series.
    series : AggregateIMSeries
        That model through time, balances carried.
    config : AggregateConfig
    """

    on_date: pd.DataFrame
    totals: pd.DataFrame
    model: str
    series: AggregateIMSeries
    config: AggregateConfig


def _series_model(models: Mapping[str, MarginModel], cfg: AggregateConfig) -> str:
    if cfg.model is not None:
        if cfg.model not in models:
            raise InputError(f"[aggregate] model {cfg.model!r} is not a model of the study; "
                             f"models: {list(models)}")
        return cfg.model
    hs = [k for k, m in models.items() if isinstance(m, HSModel)]
    filtered = [k for k in hs if models[k].filtering != "none"]
    return (filtered or hs or list(models))[0]


def aggregate_analysis(market: RiskFactorHistory, portfolio: Portfolio,
                       models: Mapping[str, MarginModel], cfg: AggregateConfig, *,
                       rolling: RollingConfig | None = None,
                       progress: Callable[[str], None] | None = None) -> AggregateResults:
    """Margin a study's book per netting set (see the module docstring).

    The book is bound on its own date (:func:`~imresearch.study.margin.book_date`, as in the
    margin part) and held at constant maturity through time. The series runs on the HS
    models' rolling grid for an HS model, else on its month ends (Monte Carlo with
    ``[rolling] mc_paths`` paths when set).

    Raises
    ------
    InputError
        A book without netting sets or counterparties, an ``[aggregate]`` model that is not a
        model of the study, terms naming no counterparty or group of the book.
    """
    rolling = rolling or RollingConfig()
    say = progress or (lambda label: None)
    bound = bind(portfolio, market, book_date(portfolio, market))
    terms = {k: dict(v) for k, v in cfg.terms.items()}
    rows, totals = [], {}
    for label, model in models.items():
        say(f"aggregate IM on the valuation date: {label}")
        res = aggregate_im(bound, market, market.end, model, threshold=cfg.threshold,
                           mta=cfg.mta, terms=terms)
        rows.append(res.by_netting_set[list(ON_DATE_COLUMNS)].assign(model=label))
        totals[label] = {"im_call": res.im_call, "im_post": res.im_post,
                         "collect": res.collect, "post": res.post}
    on_date = pd.concat(rows).rename_axis("netting_set").reset_index()
    on_date = on_date[["netting_set", "model", *ON_DATE_COLUMNS]]
    label = _series_model(models, cfg)
    model = models[label]
    grid = _rolling_dates(market, rolling)
    dates = grid if isinstance(model, HSModel) else monthly_grid(grid)
    dates = dates[dates >= market.dates[min(required_rows(model), market.n_dates - 1)]]
    if len(dates) < 2:
        raise InputError(f"[aggregate] model {label!r}: fewer than two IM dates with the "
                         f"history it needs in the last {rolling.years:g} years")
    if isinstance(model, MCModel) and rolling.mc_paths:
        model = dataclasses.replace(model, n_paths=rolling.mc_paths)
    say(f"aggregate IM through time: {label}")
    series = aggregate_im_series(bound, market, dates, model, threshold=cfg.threshold,
                                 mta=cfg.mta, terms=terms)
    frame = pd.DataFrame.from_dict(totals, orient="index")
    frame.index.name = "model"
    return AggregateResults(on_date=on_date, totals=frame, model=label, series=series,
                            config=cfg)
