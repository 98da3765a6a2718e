"""IM of every netting set of a book under any margin model, both sides, through time.

One computation serves every netting set: HS/FHS run the grouped rolling kernel (each trade
priced once per scenario, its P&L summed into its netting set's row inside the kernel), Monte
Carlo simulates and prices the book's paths once per date and sums the P&L per netting set,
SIMM computes the book's CRIF once per date and groups it by ``PortfolioID`` (the netting
set), the schedule groups its net-to-gross ratio by netting set, and static margins sum per
trade. ``call`` is the model on the netting set (our losses: IM we collect); ``post`` the model
on the netting set negated (its gains: IM we post): SIMM's post side, the schedule's
net-to-gross ratio of the negated values, the same static margin.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines.grouped import grouped_monte_carlo_im, grouped_rolling_im
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
from imresearch.portfolio._kernels import pv_block_states
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.schedule import schedule_im
from imresearch.simm import simm

__all__ = ["mtm_by_netting_set", "netting_set_im"]


def _at(bound: BoundPortfolio, market: RiskFactorHistory, date: pd.Timestamp
        ) -> BoundPortfolio:
    """The bound book (terms unchanged) at the market levels of ``date``."""
    levels = market.levels.loc[date, bound.factor_names].to_numpy(dtype=float)
    return dataclasses.replace(bound, base_levels=levels, date=date)


def _frames(call: np.ndarray, post: np.ndarray, dates: pd.DatetimeIndex, names: pd.Index
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (pd.DataFrame(call, index=dates, columns=names),
            pd.DataFrame(post, index=dates, columns=names))


@functools.singledispatch
def netting_set_im(model: Any, bound: BoundPortfolio, market: RiskFactorHistory,
                   dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """IM to collect (``call``) and to post (``post``) of each netting set on each date.

    Parameters
    ----------
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
    bound : BoundPortfolio
        The book, terms fixed (constant maturity); each trade's ``netting_set`` is set.
    market : RiskFactorHistory
    dates : pandas.DatetimeIndex
        Dates of ``market``, increasing.
    codes : ndarray of shape (n_trades,) int64
        Each trade's netting set: a position in ``names``, in the trades' order.
    names : pandas.Index
        The netting sets (the columns of the results).

    Returns
    -------
    (call, post) : pandas.DataFrame
        Index ``dates``, columns ``names``, USD.
    """
    raise InputError(f"model must be one of HSModel, MCModel, SimmModel, ScheduleModel, "
                     f"StaticModel; got {type(model).__name__}")


@netting_set_im.register
def _(model: HSModel, bound: BoundPortfolio, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    res = grouped_rolling_im(bound, market, names[codes], model, dates=dates)
    return res.call[names], res.post[names]


@netting_set_im.register
def _(model: MCModel, bound: BoundPortfolio, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    calls, posts = [], []
    for t in dates:  # the seeds of models.im_series: the model's on one date, spawned by date
        seed = model.seed if len(dates) == 1 else date_seed(model.seed, t)
        res = grouped_monte_carlo_im(bound, market, names[codes], t, model, seed=seed)
        calls.append(res.call[names].iloc[0].to_numpy())
        posts.append(res.post[names].iloc[0].to_numpy())
    return _frames(np.array(calls), np.array(posts), dates, names)


@netting_set_im.register
def _(model: SimmModel, bound: BoundPortfolio, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    calls, posts = [], []
    for t in dates:
        crif = to_crif(_at(bound, market, t))
        version = model.version_on(t)
        for side, out in (("call", calls), ("post", posts)):
            res = simm(crif, version=version, mpor_days=model.mpor_days, side=side,
                       group_by="PortfolioID")
            out.append(res.totals.reindex(names, fill_value=0.0).to_numpy(dtype=float))
    return _frames(np.array(calls), np.array(posts), dates, names)


@netting_set_im.register
def _(model: ScheduleModel, bound: BoundPortfolio, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    calls, posts = [], []
    for t in dates:
        inputs = schedule_inputs(_at(bound, market, t))
        for sign, out in ((1.0, calls), (-1.0, posts)):
            res = schedule_im(inputs.assign(pv_usd=sign * inputs["pv_usd"]),
                              netting_set="PortfolioID")
            out.append(res.by_netting_set["im"].reindex(names).to_numpy(dtype=float))
    return _frames(np.array(calls), np.array(posts), dates, names)


@netting_set_im.register
def _(model: StaticModel, bound: BoundPortfolio, market: RiskFactorHistory,
      dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for t in dates:  # a percentage of absolute amounts: the same for the negated book
        by_trade = im_on_date(model, bound, market, t).by_trade["im"].to_numpy()
        rows.append(np.bincount(codes, weights=by_trade, minlength=len(names)))
    call = np.array(rows)
    return _frames(call, call.copy(), dates, names)


def mtm_by_netting_set(bound: BoundPortfolio, market: RiskFactorHistory,
                       dates: pd.DatetimeIndex, codes: np.ndarray, names: pd.Index
                       ) -> pd.DataFrame:
    """Mark-to-market in USD of each netting set (columns) on each date, the terms fixed."""
    levels = market.levels.loc[dates, bound.factor_names].to_numpy(dtype=float)
    states = np.ascontiguousarray(levels * bound.scale)
    pv = pv_block_states(states, len(names), bound.block(groups=codes))
    return pd.DataFrame(pv, index=dates, columns=names)
