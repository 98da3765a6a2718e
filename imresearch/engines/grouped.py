"""IM of every group of a book's trades (its netting sets) from one revaluation, both sides.

The engines of :mod:`imresearch.engines.hs` and :mod:`imresearch.engines.mc` margin a
portfolio as one netting set. Here each trade carries the code of its group: it is priced once
per scenario or path and accumulated into its group's row inside the kernel (the block
pricer's accumulator rows, :meth:`~imresearch.portfolio.bound.BoundPortfolio.block` with
``groups``; an option or discounted flow held in many netting sets is valued once for all of
them), and each group gets the model's measure of its losses (``call``: the margin
called from the counterparty) and of its gains (``post``: the same model on the negated group,
the margin the counterparty calls from us). Nothing is netted across groups.

A group's numbers are exactly those of the engine run on that group alone in the book's factor
space (:meth:`~imresearch.portfolio.bound.BoundPortfolio.take`): the same scenarios, filter,
stress window and simulated paths, the same order of operations. Bound alone, a group could
differ through what depends on the set of factors: the stress window (found on the book's
factors here) and the Monte Carlo calibration and paths (of the book's factors here: one
simulation of the firm's market for every netting set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch._numba import n_threads
from imresearch.engines import _kernels as HK
from imresearch.engines import _mc_kernels as MK
from imresearch.engines.hs import _Setup, check_rolling, im_rows
from imresearch.engines.mc import _Simulation
from imresearch.engines.settings import HSModel, MCModel
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.measures import tail
from imresearch.portfolio._kernels import pv_block_states

__all__ = ["GroupedIM", "group_codes", "grouped_monte_carlo_im", "grouped_rolling_im"]

SIDES = ("call", "post")


@dataclass(frozen=True)
class GroupedIM:
    """IM of each group of trades on each date, both sides.

    Attributes
    ----------
    call, post : pandas.DataFrame
        Index ``date``, one column per group (``groups`` order): the model's measure (VaR or
        ES) of the group's losses (``call``) and of its gains (``post``), floored at 0.
    var, es : pandas.DataFrame
        Both measures, columns ``(side, group)``.
    """

    call: pd.DataFrame
    post: pd.DataFrame
    var: pd.DataFrame
    es: pd.DataFrame


def group_codes(groups: Sequence[Any], n_trades: int) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of the trades' groups (order of first appearance) and the group labels."""
    labels = pd.Index(list(groups))
    if len(labels) != n_trades:
        raise InputError(f"groups must give one group per trade ({n_trades}); got {len(labels)}")
    if labels.hasnans:
        raise InputError("groups must not contain missing values")
    codes, uniques = pd.factorize(labels, sort=False)
    return codes.astype(np.int64), pd.Index(uniques, name="group")


def _result(var: np.ndarray, es: np.ndarray, measure: str, index: pd.DatetimeIndex,
            labels: pd.Index) -> GroupedIM:
    """``var``, ``es`` of shape (n_dates, 2, n_groups) as a :class:`GroupedIM`."""
    cols = pd.MultiIndex.from_product([SIDES, labels], names=["side", "group"])
    frames = {k: pd.DataFrame(v.reshape(len(index), -1), index=index, columns=cols)
              for k, v in (("var", var), ("es", es))}
    im = (frames["var"] if measure == "var" else frames["es"]).clip(lower=0.0)
    return GroupedIM(call=im["call"], post=im["post"], var=frames["var"], es=frames["es"])


def grouped_rolling_im(
    portfolio: Any,
    market: RiskFactorHistory,
    groups: Sequence[Any],
    model: HSModel | None = None,
    *,
    dates: Sequence[object] | None = None,
    start: object = None,
    end: object = None,
    step: int = 1,
    bind_date: object = None,
) -> GroupedIM:
    """Rolling HS / filtered-HS IM of every group of trades, both sides, in one pass.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The book, held at constant maturity (bound once on ``bind_date``).
    market : RiskFactorHistory
    groups : sequence of shape (n_trades,)
        Each trade's group (e.g. its netting set), in the portfolio's trade order.
    model : HSModel, optional
        Default ``HSModel()``.
    dates, start, end, step, bind_date
        As in :func:`~imresearch.engines.hs.rolling_im`.

    Returns
    -------
    GroupedIM
        Each group's IM equals ``rolling_im`` of the group alone in the book's factor space
        (and of the group negated, for ``post``).
    """
    model = check_rolling(model or HSModel())
    setup = _Setup(portfolio, market, model, bind_date)
    codes, labels = group_codes(groups, setup.bound.n_trades)
    rows = im_rows(setup, dates, start, end, step)
    sw = -1.0 if model.stress_weight is None else float(model.stress_weight)
    var, es, _ = HK.rolling_tail_group_kernel(
        setup.levels, rows, setup.shocks, setup.vols(rows), setup.mult, setup.disp, setup.unit,
        *setup.ranges(rows), sw, 1.0 - model.confidence, model.quantile_method == "exact",
        len(labels), 4 * n_threads(), setup.bound.block(groups=codes))
    index = pd.DatetimeIndex(setup.dates[rows], name="date")
    return _result(var, es, model.measure, index, labels)


def grouped_monte_carlo_im(
    portfolio: Any,
    market: RiskFactorHistory,
    groups: Sequence[Any],
    date: object = None,
    model: MCModel | None = None,
    *,
    seed: Any = None,
    block_size: int = 4096,
) -> GroupedIM:
    """Monte Carlo IM of every group of trades on one date, both sides, from one simulation.

    The paths of the book's factors are simulated once (seed: ``seed``, default the model's)
    and priced once; each path's P&L is accumulated per group. A group's IM equals
    :func:`~imresearch.engines.mc.monte_carlo_im` of the group alone in the book's factor space
    with the same seed (``post``: of the group negated).

    Returns
    -------
    GroupedIM
        One row, the valuation date.
    """
    model = model or MCModel()
    if not isinstance(model, MCModel):
        raise InputError(f"model must be an MCModel; got {type(model).__name__}")
    block_size = check_positive_int("block_size", block_size)
    run = _Simulation(portfolio, market, date, model, model.seed if seed is None else seed,
                      model.horizon, None)
    codes, labels = group_codes(groups, run.bound.n_trades)
    n_g = len(labels)
    bk = run.bound.block(groups=codes)
    pv0 = pv_block_states((run.base * run.unit)[None, :], n_g, bk)[0]
    hsteps = np.array([model.horizon], dtype=np.int64)
    pnl = np.empty((model.n_paths, 1, n_g))
    for lo in range(0, model.n_paths, block_size):
        hi = min(lo + block_size, model.n_paths)
        MK.mc_group_pnl_kernel(*run.inputs(lo, hi), hsteps, pv0, pnl[lo:hi],
                               4 * n_threads(), bk)
    var = np.empty((1, 2, n_g))
    es = np.empty((1, 2, n_g))
    for g in range(n_g):
        col = np.ascontiguousarray(pnl[:, 0, g])
        for side, x in enumerate((col, -col)):
            t = tail(x, model.confidence)
            var[0, side, g], es[0, side, g] = t.var, t.es
    index = pd.DatetimeIndex([run.cal.date], name="date")
    return _result(var, es, model.measure, index, labels)
