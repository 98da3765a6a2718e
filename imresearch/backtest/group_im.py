"""IM of each group of a book on each date, under any margin model, for backtests.

One computation serves every group: HS / FHS run the grouped rolling kernel of
:mod:`imresearch.engines.masked` (each trade priced once per scenario, accumulated into its
group; a risk class's P&L moves only its factors) and return each group's VaR, ES and the
probability integral transform (PIT) of its realised P&L; Monte Carlo simulates and prices the
book's paths once per date; SIMM computes the book's CRIF once per date and takes each group's
margin from one calculation (trade groups: the CRIF grouped by the trade's group; risk
classes: each class's margin in the calculator's breakdown, summed over product classes, i.e.
the SIMM of the class's sensitivities alone); the schedule groups its net-to-gross ratio by
the trade's group; static margins sum per trade. The schedule and static margins have no
risk-class form (they are set per trade, not per factor).
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.backtest.groups import GroupBook
from imresearch.engines.masked import monte_carlo_group_im, rolling_group_im
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import (
    HSModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    StaticModel,
    date_seed,
    im_on_date,
)
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.schedule import schedule_im
from imresearch.simm import simm

__all__ = ["GroupIM", "group_im", "simm_group_margins"]


@dataclass(frozen=True)
class GroupIM:
    """Each group's IM on each date (index ``date``, one column per group, USD).

    Attributes
    ----------
    im : pandas.DataFrame
        The margin (the model's measure, floored at 0).
    var, es, pit : pandas.DataFrame or None
        VaR and ES of the group's losses at the model's confidence and the PIT of its realised
        P&L, for models with a P&L distribution (HS, FHS, Monte Carlo); None otherwise.
    """

    im: pd.DataFrame
    var: pd.DataFrame | None = None
    es: pd.DataFrame | None = None
    pit: pd.DataFrame | None = None


def _at(bound: BoundPortfolio, market: RiskFactorHistory, date: pd.Timestamp
        ) -> BoundPortfolio:
    levels = market.levels.loc[date, bound.factor_names].to_numpy(dtype=float)
    return dataclasses.replace(bound, base_levels=levels, date=date)


def _frame(rows: list[np.ndarray], dates: pd.DatetimeIndex, labels: pd.Index) -> pd.DataFrame:
    return pd.DataFrame(np.array(rows, dtype=float).reshape(len(dates), len(labels)),
                        index=dates, columns=labels)


@functools.singledispatch
def group_im(model: Any, book: GroupBook, market: RiskFactorHistory, dates: pd.DatetimeIndex,
             realised: pd.DataFrame) -> GroupIM:
    """IM of each group of ``book`` on each of ``dates`` (see the module notes).

    Parameters
    ----------
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
        At the backtest's horizon.
    book : GroupBook
        The bound book (terms fixed) and its groups.
    market : RiskFactorHistory
    dates : pandas.DatetimeIndex
        IM dates (dates of ``market``, increasing).
    realised : pandas.DataFrame
        Realised P&L of each group after each date (for the PIT).
    """
    raise InputError(f"model must be one of HSModel, MCModel, SimmModel, ScheduleModel, "
                     f"StaticModel; got {type(model).__name__}")


@group_im.register
def _(model: HSModel, book: GroupBook, market: RiskFactorHistory, dates: pd.DatetimeIndex,
      realised: pd.DataFrame) -> GroupIM:
    res = rolling_group_im(book.bound, market, model, trade_groups=book.trade_groups,
                           factor_groups=book.factor_groups, dates=dates, realised=realised)
    cols = book.labels
    return GroupIM(im=res.im[cols], var=res.var[cols], es=res.es[cols], pit=res.pit[cols])


@group_im.register
def _(model: MCModel, book: GroupBook, market: RiskFactorHistory, dates: pd.DatetimeIndex,
      realised: pd.DataFrame) -> GroupIM:
    parts: dict[str, list[np.ndarray]] = {"im": [], "var": [], "es": [], "pit": []}
    for t in dates:  # the seeds of models.im_series: one date the model's, else spawned by date
        seed = model.seed if len(dates) == 1 else date_seed(model.seed, t)
        res = monte_carlo_group_im(book.bound, market, t, model,
                                   trade_groups=book.trade_groups,
                                   factor_groups=book.factor_groups, seed=seed,
                                   realised=realised.loc[t].to_dict())
        for k in parts:
            parts[k].append(getattr(res, k)[book.labels].iloc[0].to_numpy())
    frames = {k: _frame(v, dates, book.labels) for k, v in parts.items()}
    return GroupIM(**frames)


def simm_group_margins(model: SimmModel, book: GroupBook, crif: pd.DataFrame,
                       date: pd.Timestamp) -> np.ndarray:
    """SIMM of each group of ``book`` from the book's CRIF on ``date`` (version in force)."""
    version = model.version_on(date)
    if book.masked is None:
        label_of = dict(zip(book.bound.trade_ids, map(str, np.asarray(book.trade_groups))))
        grouped = crif.assign(PortfolioID=crif["TradeID"].map(label_of))
        res = simm(grouped, version=version, mpor_days=model.mpor_days, side=model.side,
                   group_by="PortfolioID")
        return res.totals.reindex(book.labels.astype(str), fill_value=0.0).to_numpy(float)
    res = simm(crif, version=version, mpor_days=model.mpor_days, side=model.side)
    tree = res.breakdown
    rc = tree[(tree["ProductClass"] != "All") & (tree["RiskClass"] != "All")
              & (tree["MarginType"] == "All") & (tree["Bucket"] == "All")]
    by_class = rc.groupby("RiskClass")["InitialMargin"].sum()
    return by_class.reindex(book.labels, fill_value=0.0).to_numpy(float)


@group_im.register
def _(model: SimmModel, book: GroupBook, market: RiskFactorHistory, dates: pd.DatetimeIndex,
      realised: pd.DataFrame) -> GroupIM:
    rows = [simm_group_margins(model, book, to_crif(_at(book.bound, market, t)), t)
            for t in dates]
    return GroupIM(im=_frame(rows, dates, book.labels))


def _no_risk_class(model: Any, book: GroupBook) -> None:
    if book.masked is not None:
        raise InputError(f"by='risk_class' needs a model with a margin per risk factor class "
                         f"(HS, MC, SIMM); {model.label} sets its margin per trade: use "
                         f"by='product_class'")


@group_im.register
def _(model: ScheduleModel, book: GroupBook, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, realised: pd.DataFrame) -> GroupIM:
    _no_risk_class(model, book)
    label_of = dict(zip(book.bound.trade_ids, map(str, np.asarray(book.trade_groups))))
    rows = []
    for t in dates:
        inputs = schedule_inputs(_at(book.bound, market, t))
        inputs = inputs.assign(PortfolioID=inputs["TradeID"].map(label_of))
        res = schedule_im(inputs, netting_set="PortfolioID")
        rows.append(res.by_netting_set["im"].reindex(book.labels.astype(str), fill_value=0.0)
                    .to_numpy(float))
    return GroupIM(im=_frame(rows, dates, book.labels))


@group_im.register
def _(model: StaticModel, book: GroupBook, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, realised: pd.DataFrame) -> GroupIM:
    _no_risk_class(model, book)
    rows = []
    for t in dates:
        by_trade = im_on_date(model, book.bound, market, t).by_trade["im"].to_numpy()
        rows.append(np.bincount(book.codes, weights=by_trade, minlength=len(book.labels)))
    return GroupIM(im=_frame(rows, dates, book.labels))
