"""Engines on groups of a book: groups of trades (netting sets, product classes) or groups of
factors (risk classes: a group's P&L moves only its factors, the others frozen), in one pass.

A group of trades is an accumulator row of the block pricer
(:meth:`~imresearch.portfolio.bound.BoundPortfolio.block` with ``groups``). A group of factors
is a copy of the factor space: :func:`mask_factors` replicates the book's factors once per
group (copy ``k`` of factor ``f`` moves only when ``f`` belongs to group ``k``) and each trade
once per group whose factors it uses, the copy priced on that group's factors; the engines'
kernels then price every group's P&L from one revaluation, as they price netting sets. A
trade on the factors of one group only (a USD swap: rates) is priced once; a EUR swap valued
in USD twice (rates, FX). The stress window, the filter's volatilities and the Monte Carlo
paths are the whole book's: a group's scenarios are the book's scenarios with the other
factors' shocks set to zero.

:func:`rolling_group_im` gives each group's rolling HS / FHS VaR and ES (the margin called:
losses) and, with realised losses, the probability integral transform (PIT) of each realised
P&L in the group's scenario distribution, which expected-shortfall backtests need.
:func:`monte_carlo_group_im` does the same on one date from one simulation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch._numba import n_threads
from imresearch.engines import _mc_kernels as MK
from imresearch.engines._group_kernels import path_pit, rolling_group_tail_kernel
from imresearch.engines.grouped import group_codes
from imresearch.engines.hs import _Setup, check_rolling, im_rows
from imresearch.engines.mc import _Simulation
from imresearch.engines.settings import HSModel, MCModel
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.measures import tail
from imresearch.portfolio import _kernels as PK
from imresearch.portfolio.bound import BoundPortfolio

__all__ = ["GroupTails", "MaskedBook", "mask_factors", "monte_carlo_group_im",
           "rolling_group_im"]


@dataclass(frozen=True)
class MaskedBook:
    """A book with its factor space replicated once per group of factors.

    Attributes
    ----------
    bound : BoundPortfolio
        The replicated book: factors ``f#k`` (copy ``k`` of factor ``f``), one trade row per
        (trade, group) pair whose trade uses a factor of the group.
    codes : ndarray of int64, shape (n_rows,)
        Group of each trade row (its accumulator).
    trades : ndarray of int64, shape (n_rows,)
        Trade of the original book of each row.
    mask : ndarray of bool, shape (n_groups, n_factors)
        Factors of each group.
    labels : pandas.Index
        Group labels.
    """

    bound: BoundPortfolio
    codes: np.ndarray
    trades: np.ndarray
    mask: np.ndarray
    labels: pd.Index

    @property
    def n_groups(self) -> int:
        return len(self.labels)

    def tile(self, x: np.ndarray) -> np.ndarray:
        """Per-factor values (last axis n_factors) repeated for every copy."""
        return np.ascontiguousarray(np.concatenate([x] * self.n_groups, axis=-1))

    def masked(self, x: np.ndarray) -> np.ndarray:
        """Per-factor shocks (last axis n_factors): each copy keeps its group's, zero elsewhere."""
        return np.ascontiguousarray(np.concatenate([np.where(m, x, 0.0) for m in self.mask],
                                                   axis=-1))

    def mixed(self, base: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """States (last axis n_factors) of each copy: ``moved`` on its group's factors,
        ``base`` on the others."""
        return np.ascontiguousarray(np.concatenate([np.where(m, moved, base)
                                                    for m in self.mask], axis=-1))


def mask_factors(bound: BoundPortfolio, groups: Mapping[Any, Sequence[str]]) -> MaskedBook:
    """Replicate a bound book once per group of factors (see the module notes).

    Parameters
    ----------
    bound : BoundPortfolio
    groups : mapping of label to factor names
        Factors of each group (names of ``bound.factor_names``; a factor may sit in several
        groups or none: a factor in no group never moves).
    """
    names = list(bound.factor_names)
    index = {f: i for i, f in enumerate(names)}
    labels = pd.Index(list(groups), name="group")
    if labels.empty:
        raise InputError("groups is empty: give at least one group of factors")
    n_f, n_k = len(names), len(labels)
    mask = np.zeros((n_k, n_f), dtype=bool)
    for k, (label, factors) in enumerate(groups.items()):
        unknown = [f for f in factors if f not in index]
        if unknown:
            raise InputError(f"group {label!r}: factor {unknown[0]!r} is not a factor of the "
                             f"portfolio ({', '.join(names[:5])}...)")
        mask[k, [index[f] for f in factors]] = True
    a = bound.arrays
    n_grid = a.g_t.shape[0]
    used = [sorted({index[f] for f in b.factors}) for b in bound.bindings]
    rows: list[tuple[int, int]] = [(j, k) for k in range(n_k) for j in range(bound.n_trades)
                                   if mask[k, used[j]].any()]
    if not rows:
        raise InputError("no trade of the portfolio depends on a factor of the groups")
    grid: dict[tuple[int, int], int] = {}

    def g_new(k: int, g: int) -> int:
        return -1 if g >= n_grid else grid.setdefault((k, int(g)), len(grid))

    ip = np.empty((len(rows), a.ip.shape[1]), dtype=np.int64)
    fp = np.empty((len(rows), a.fp.shape[1]))
    cf_g: list[int] = []
    cf_src: list[int] = []
    for r, (j, k) in enumerate(rows):
        ip[r] = a.ip[j]
        fp[r] = a.fp[j]
        for col in (PK.I_SPOT, PK.I_VOL, PK.I_FX):
            if ip[r, col] >= 0:
                ip[r, col] += k * n_f
        for col in (PK.I_GN, PK.I_GD, PK.I_GP):
            ip[r, col] = g_new(k, ip[r, col])
        k0, n_cf = int(a.ip[j, PK.I_CF0]), int(a.ip[j, PK.I_NCF])
        ip[r, PK.I_CF0] = len(cf_src)
        for c in range(k0, k0 + n_cf):
            cf_src.append(c)
            cf_g.append(g_new(k, a.cf_g[c]))
    keys = list(grid)  # in order of first use
    src = np.array([g for _, g in keys], dtype=np.int64).reshape(-1)
    shift = np.array([k * n_f for k, _ in keys], dtype=np.int64).reshape(-1)
    n_new = len(keys)
    cf_g_arr = np.array(cf_g, dtype=np.int64)
    cf_g_arr[cf_g_arr < 0] = n_new  # "no discount factor" row
    for col in (PK.I_GN, PK.I_GD, PK.I_GP):
        ip[ip[:, col] < 0, col] = n_new
    cfs = np.array(cf_src, dtype=np.int64)
    arrays = a._replace(
        ip=ip, fp=fp, g_t=np.ascontiguousarray(a.g_t[src]),
        g_lo=np.ascontiguousarray(a.g_lo[src] + shift),
        g_hi=np.ascontiguousarray(a.g_hi[src] + shift), g_w=np.ascontiguousarray(a.g_w[src]),
        cf_g=cf_g_arr, cf_s=np.ascontiguousarray(a.cf_s[cfs]),
        cf_c=np.ascontiguousarray(a.cf_c[cfs]), cf_d=np.ascontiguousarray(a.cf_d[cfs]))
    rep_names = [f"{f}#{k}" for k in range(n_k) for f in names]
    trades = np.array([j for j, _ in rows], dtype=np.int64)
    replicated = dataclasses.replace(
        bound, trades=tuple(bound.trades[j] for j in trades), factor_names=rep_names,
        factor_specs={f"{f}#{k}": bound.factor_specs[f] for k in range(n_k) for f in names},
        base_levels=np.tile(bound.base_levels, n_k), scale=np.tile(bound.scale, n_k),
        arrays=arrays, bindings=tuple(bound.bindings[j] for j in trades), curves={},
        origins={})
    return MaskedBook(bound=replicated, codes=np.array([k for _, k in rows], dtype=np.int64),
                      trades=trades, mask=mask, labels=labels)


@dataclass(frozen=True)
class GroupTails:
    """Each group's IM (the margin called) on each date, with the PIT of realised P&L.

    Attributes
    ----------
    im, var, es : pandas.DataFrame
        Index ``date``, one column per group: the model's measure (floored at 0), VaR and ES
        of the group's losses.
    pit : pandas.DataFrame
        The PIT ``P(P&L <= realised P&L)`` of each group's realised P&L in its scenario (or
        path) distribution (ties counted half); NaN where no realised loss was given.
    """

    im: pd.DataFrame
    var: pd.DataFrame
    es: pd.DataFrame
    pit: pd.DataFrame


def _book(bound: BoundPortfolio, trade_groups: Sequence[Any] | None,
          factor_groups: Mapping[Any, Sequence[str]] | None
          ) -> tuple[BoundPortfolio, np.ndarray, pd.Index, MaskedBook | None]:
    if (trade_groups is None) == (factor_groups is None):
        raise InputError("give either trade_groups or factor_groups")
    if factor_groups is not None:
        mb = mask_factors(bound, factor_groups)
        return mb.bound, mb.codes, mb.labels, mb
    codes, labels = group_codes(trade_groups, bound.n_trades)
    return bound, codes, labels, None


def _realised(realised: pd.DataFrame | None, index: pd.DatetimeIndex, labels: pd.Index
              ) -> np.ndarray:
    if realised is None:
        return np.full((len(index), len(labels)), np.nan)
    missing = [g for g in labels if g not in realised.columns]
    if missing:
        raise InputError(f"realised losses lack group {missing[0]!r}")
    return np.ascontiguousarray(realised.reindex(index)[list(labels)].to_numpy(float))


def rolling_group_im(
    portfolio: Any,
    market: RiskFactorHistory,
    model: HSModel | None = None,
    *,
    trade_groups: Sequence[Any] | None = None,
    factor_groups: Mapping[Any, Sequence[str]] | None = None,
    dates: Sequence[object] | None = None,
    start: object = None,
    end: object = None,
    step: int = 1,
    bind_date: object = None,
    realised: pd.DataFrame | None = None,
) -> GroupTails:
    """Rolling HS / FHS IM of every group of a book, and the PIT of realised P&L, in one pass.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The book, held at constant maturity (bound once on ``bind_date``).
    market : RiskFactorHistory
    model : HSModel, optional
    trade_groups : sequence of shape (n_trades,), optional
        Each trade's group (netting set, product class...).
    factor_groups : mapping of label to factor names, optional
        Groups of factors (risk classes): each group's P&L moves only its factors. Give
        exactly one of ``trade_groups`` and ``factor_groups``.
    dates, start, end, step, bind_date
        As in :func:`~imresearch.engines.hs.rolling_im`.
    realised : pandas.DataFrame, optional
        Realised P&L (index date, one column per group) whose PIT is wanted.

    Returns
    -------
    GroupTails
        A group's numbers equal those of :func:`~imresearch.engines.hs.rolling_im` on the
        group alone (its trades, or the book with only its factors shocked).
    """
    model = check_rolling(model or HSModel())
    setup = _Setup(portfolio, market, model, bind_date)
    bound, codes, labels, mb = _book(setup.bound, trade_groups, factor_groups)
    rows = im_rows(setup, dates, start, end, step)
    index = pd.DatetimeIndex(setup.dates[rows], name="date")
    levels, shocks, vols = setup.levels, setup.shocks, setup.vols(rows)
    mult, disp, unit = setup.mult, setup.disp, setup.unit
    if mb is not None:
        levels, shocks, vols = mb.tile(levels), mb.masked(shocks), mb.tile(vols)
        mult, disp, unit = mb.tile(mult), mb.tile(disp), mb.tile(unit)
    sw = -1.0 if model.stress_weight is None else float(model.stress_weight)
    var, es, pit = rolling_group_tail_kernel(
        levels, rows, shocks, vols, mult, disp, unit, *setup.ranges(rows), sw,
        1.0 - model.confidence, model.quantile_method == "exact", len(labels),
        4 * n_threads(), -_realised(realised, index, labels), bound.block(groups=codes))

    def frame(x: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(x, index=index, columns=labels)

    im = np.maximum(var if model.measure == "var" else es, 0.0)
    return GroupTails(im=frame(im), var=frame(var), es=frame(es), pit=frame(pit))


def monte_carlo_group_im(
    portfolio: Any,
    market: RiskFactorHistory,
    date: object,
    model: MCModel | None = None,
    *,
    trade_groups: Sequence[Any] | None = None,
    factor_groups: Mapping[Any, Sequence[str]] | None = None,
    seed: Any = None,
    realised: Mapping[Any, float] | None = None,
    block_size: int = 4096,
) -> GroupTails:
    """Monte Carlo IM of every group of a book on one date from one simulation of the book's
    factors (a factor group's paths move only its factors), with the PIT of realised P&L.

    A group's IM equals :func:`~imresearch.engines.mc.monte_carlo_im` of the group alone with
    the same seed and the book's calibration (a factor group: the book with the other factors'
    volatilities set to zero, their paths frozen). Returns a one-row :class:`GroupTails`.
    """
    model = model or MCModel()
    if not isinstance(model, MCModel):
        raise InputError(f"model must be an MCModel; got {type(model).__name__}")
    block_size = check_positive_int("block_size", block_size)
    run = _Simulation(portfolio, market, date, model, model.seed if seed is None else seed,
                      model.horizon, None)
    bound, codes, labels, mb = _book(run.bound, trade_groups, factor_groups)
    n_g = len(labels)
    bk = bound.block(groups=codes)
    base, unit, mult, disp = run.base, run.unit, run.cal.mult, run.cal.disp
    if mb is not None:
        base, unit, mult, disp = (mb.tile(x) for x in (base, unit, mult, disp))
    pv0 = PK.pv_block_states((base * unit)[None, :], n_g, bk)[0]
    hsteps = np.array([model.horizon], dtype=np.int64)
    pnl = np.empty((model.n_paths, 1, n_g))
    for lo in range(0, model.n_paths, block_size):
        hi = min(lo + block_size, model.n_paths)
        innov, lt, correlate, vol0, garch, use_garch, *_ = run.inputs(lo, hi)
        if mb is not None:  # paths of the book's factors; each copy moves its group's only
            if correlate:
                z = np.empty_like(innov)
                MK.correlate_kernel(innov, lt, z)
                innov, correlate = z, False
            innov = mb.tile(innov)
            lt = np.zeros((1, 1))
            keep = mb.mask.reshape(-1)
            vol0 = np.where(keep, mb.tile(vol0), 0.0)
            garch = np.where(keep[:, None], np.concatenate([garch] * n_g), 0.0)
        MK.mc_group_pnl_kernel(innov, lt, correlate, vol0, np.ascontiguousarray(garch),
                               use_garch, base, mult, disp, unit, hsteps, pv0, pnl[lo:hi],
                               4 * n_threads(), bk)
    var, es, pit = (np.full((1, n_g), np.nan) for _ in range(3))
    for g, label in enumerate(labels):
        col = np.ascontiguousarray(pnl[:, 0, g])
        t = tail(col, model.confidence)
        var[0, g], es[0, g] = t.var, t.es
        if realised is not None and label in realised:
            pit[0, g] = path_pit(col, float(realised[label]))
    index = pd.DatetimeIndex([run.cal.date], name="date")

    def frame(x: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(x, index=index, columns=labels)

    im = np.maximum(var if model.measure == "var" else es, 0.0)
    return GroupTails(im=frame(im), var=frame(var), es=frame(es), pit=frame(pit))
