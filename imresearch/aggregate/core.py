"""Aggregate initial margin: per netting set, both directions, thresholds, MTA, calls.

:func:`aggregate_im` margins a book on one date; :func:`aggregate_im_series` carries the
balances through time with variation margin, and reports calls, their peaks, the threshold
cliff and procyclicality. Netting sets are never netted against each other: the aggregate is
the sum of what is exchanged on each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from imresearch.aggregate.netting_im import mtm_by_netting_set, netting_set_im
from imresearch.aggregate.settlement import (
    FLOW_COLUMNS,
    PEAK_DAYS,
    Balances,
    collateral_flows,
    rolling_peaks,
    settle,
)
from imresearch.aggregate.terms import (
    DEFAULT_MTA,
    DEFAULT_THRESHOLD,
    Terms,
    exchanged,
    resolve_terms,
    threshold_shares,
)
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import MarginModel, check_dates
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.netting import NettingStructure, netting_structure

__all__ = ["AggregateIM", "AggregateIMSeries", "aggregate_im", "aggregate_im_series"]


@dataclass(frozen=True)
class _Book:
    """A book sorted by netting set and bound once, with its structure and terms."""

    bound: BoundPortfolio
    structure: NettingStructure
    codes: np.ndarray
    names: pd.Index
    terms: dict[str, Terms]
    group_codes: np.ndarray  # group of each netting set (position in ``groups``)
    groups: pd.Index

    def per_netting_set(self, attribute: str) -> np.ndarray:
        """A terms attribute of each netting set's group."""
        return np.array([getattr(self.terms[g], attribute) for g in self.groups[
            self.group_codes]])


def _prepare(portfolio: Any, market: RiskFactorHistory, bind_date: object,
             terms: Mapping[str, Any] | None, threshold: float, mta: float) -> _Book:
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    trades = portfolio.trades if hasattr(portfolio, "trades") else tuple(portfolio)
    structure = netting_structure(trades)
    resolved = resolve_terms(structure, terms, threshold=threshold, mta=mta)
    if not isinstance(portfolio, BoundPortfolio):  # bound as given: the book's factor order
        portfolio = bind(portfolio, market, bind_date)
    order = structure.order
    bound = portfolio.take(order)  # each netting set a run of rows (views)
    groups = structure.groups()
    return _Book(bound=bound, structure=structure, codes=structure.codes[order],
                 names=structure.netting_sets, terms=resolved,
                 group_codes=groups.get_indexer(structure.table["group"]), groups=groups)


def _thresholds(book: _Book, im: np.ndarray) -> np.ndarray:
    """Allocated threshold of each netting set on each date, for one side's IM."""
    splits = [book.terms[g].threshold_split for g in book.groups]
    shares = threshold_shares(im, book.group_codes, len(book.groups), splits, list(book.names))
    return shares * book.per_netting_set("threshold")[None, :]


@dataclass(frozen=True)
class AggregateIM:
    """Aggregate IM of a book on one date.

    Attributes
    ----------
    by_netting_set : pandas.DataFrame
        One row per netting set (index ``netting_set``): ``counterparty``, ``group``,
        ``im_call`` (IM to collect: the model on the netting set), ``im_post`` (IM to post:
        the model on the netting set negated), ``threshold_call`` and ``threshold_post``
        (the group threshold allocated to the netting set on each side), ``collect`` and
        ``post`` (the amounts exchanged), USD.
    by_group : pandas.DataFrame
        Per counterparty group: ``threshold``, ``mta``, ``netting_sets``, ``im_call``,
        ``im_post``, ``collect``, ``post``.
    collect, post : float
        Sums over netting sets of the amounts exchanged.
    im_call, im_post : float
        Sums over netting sets of the model IM (before thresholds).
    date : pandas.Timestamp
    model : margin model spec
    terms : dict of str to Terms
        The terms of each group.
    """

    by_netting_set: pd.DataFrame
    by_group: pd.DataFrame
    collect: float
    post: float
    im_call: float
    im_post: float
    date: pd.Timestamp
    model: Any
    terms: dict[str, Terms] = field(repr=False)


def _group_table(book: _Book, frame: pd.DataFrame) -> pd.DataFrame:
    sums = frame.groupby("group", sort=False)[["im_call", "im_post", "collect", "post"]].sum()
    sums.insert(0, "netting_sets", frame.groupby("group", sort=False).size())
    sums.insert(0, "mta", [book.terms[g].mta for g in sums.index])
    sums.insert(0, "threshold", [book.terms[g].threshold for g in sums.index])
    return sums


def aggregate_im(portfolio: Any, market: RiskFactorHistory, date: object = None,
                 model: MarginModel | None = None, *, threshold: float = DEFAULT_THRESHOLD,
                 mta: float = DEFAULT_MTA, terms: Mapping[str, Any] | None = None,
                 bind_date: object = None) -> AggregateIM:
    """Aggregate IM of a book on one date: per netting set, collected and posted.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        Every trade with a ``netting_set`` and a ``counterparty`` (and optionally a
        ``counterparty_group``).
    market : RiskFactorHistory
    date : date-like, optional
        A date of ``market``; default its last date.
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
        Default ``SimmModel()``. A SIMM model's ``side`` is ignored: both sides are computed.
    threshold, mta : float
        Threshold and minimum transfer amount (USD) of every group ``terms`` does not name.
    terms : mapping, optional
        :class:`~imresearch.aggregate.terms.Terms` (or tables of them) by counterparty group or
        counterparty.
    bind_date : date-like, optional
        Date the trades' terms are fixed on. Default ``date`` (the book as it stands).

    Returns
    -------
    AggregateIM

    Raises
    ------
    InputError
        A trade without a netting set or counterparty, a netting set of two counterparties,
        a negative threshold or MTA, contradictory terms for a group (one line each).
    """
    from imresearch.models import SimmModel

    model = SimmModel() if model is None else model
    t = check_dates(market, [market.end if date is None else date])[0]
    book = _prepare(portfolio, market, t if bind_date is None else bind_date, terms,
                    threshold, mta)
    call, post = netting_set_im(model, book.bound, market, pd.DatetimeIndex([t], name="date"),
                                book.codes, book.names)
    _check_amounts(call, "the model's IM to collect", floor=0.0)
    _check_amounts(post, "the model's IM to post", floor=0.0)
    im_c, im_p = call.to_numpy(), post.to_numpy()
    thr_c, thr_p = _thresholds(book, im_c), _thresholds(book, im_p)
    mta_ns, rounding = book.per_netting_set("mta"), book.per_netting_set("rounding")
    frame = book.structure.table[["counterparty", "group"]].copy()
    frame["im_call"], frame["im_post"] = im_c[0], im_p[0]
    frame["threshold_call"], frame["threshold_post"] = thr_c[0], thr_p[0]
    frame["collect"] = exchanged(im_c[0], thr_c[0], mta_ns, rounding)
    frame["post"] = exchanged(im_p[0], thr_p[0], mta_ns, rounding)
    return AggregateIM(by_netting_set=frame, by_group=_group_table(book, frame),
                       collect=float(frame["collect"].sum()), post=float(frame["post"].sum()),
                       im_call=float(frame["im_call"].sum()),
                       im_post=float(frame["im_post"].sum()), date=t, model=model,
                       terms=book.terms)


@dataclass(frozen=True)
class AggregateIMSeries:
    """Aggregate IM through time, with balances carried from date to date.

    Attributes
    ----------
    by_netting_set : pandas.DataFrame
        Index (``date``, ``netting_set``): ``counterparty``, ``group``, ``im_call``,
        ``im_post``, ``threshold_call``, ``threshold_post``, ``required_collect``,
        ``required_post`` (IM above the allocated threshold), ``collected``, ``posted``
        (balances after the date's transfers), ``mtm``, ``vm`` (VM balance, positive when
        held by us), ``im_collect_flow``, ``im_post_flow``, ``vm_flow`` (the date's transfers,
        our point of view: positive = collateral moving to us for the collected and VM
        balances, to the counterparty for ``im_post_flow``).
    aggregate : pandas.DataFrame
        Index ``date``: the sums over netting sets of ``im_call``, ``im_post``,
        ``required_collect``, ``required_post``, ``collected``, ``posted``, ``vm``; and the
        date's transfers by direction
        (:func:`~imresearch.aggregate.settlement.collateral_flows`): ``im_calls_out`` (IM we
        deliver on the counterparties' calls), ``vm_calls_out`` (VM we pay), ``calls_out``
        (their sum), ``im_calls_in``, ``vm_calls_in``, ``calls_in`` (what our calls bring
        in), ``im_returns_out``, ``im_returns_in`` (IM returned by us, to us) and
        ``net_outflow`` (IM we post net of returns plus VM paid net of VM received: the
        liquidity drained).
    peaks : pandas.DataFrame
        Largest sum of each of those transfer columns over 1, 5 and 20 consecutive IM dates
        (index ``days``), and its end date (``<column>_date``).
    cliff : pandas.DataFrame
        Each crossing of a group's threshold (one row per date, group and side): ``up`` on
        the first date some of the group's IM on that side exceeds the threshold allocated
        to it, ``down`` on the first date none does. Columns ``date``, ``group``,
        ``counterparties``, ``side`` (call / post), ``direction`` (up / down), ``im_before``,
        ``im_after`` (the group's IM), ``threshold`` (the group's), ``flow`` (the group's IM
        transfer on that side and date), ``first_flow_date`` and ``first_flow`` (the first
        non-zero transfer from the crossing on, after the MTA).
    procyclicality : pandas.DataFrame
        One row per series (``aggregate call``, ``aggregate post``, then each netting set's
        call and post): ``average_im``, ``peak_to_trough``, ``max_<n>d_increase`` (relative;
        blank where the IM is 0 on some date: ``ratios`` False) and
        ``max_<n>d_increase_usd``.
    terms : dict of str to Terms
    model : margin model spec
    """

    by_netting_set: pd.DataFrame
    aggregate: pd.DataFrame
    peaks: pd.DataFrame
    cliff: pd.DataFrame
    procyclicality: pd.DataFrame
    terms: dict[str, Terms] = field(repr=False)
    model: Any = None

    def exchanged(self) -> pd.DataFrame:
        """Collected plus posted IM per counterparty (columns) on each date."""
        frame = self.by_netting_set
        total = frame["collected"] + frame["posted"]
        return total.groupby([frame.index.get_level_values("date"), frame["counterparty"]]
                             ).sum().unstack("counterparty")


def aggregate_im_series(portfolio: Any, market: RiskFactorHistory, dates: Sequence[object],
                        model: MarginModel, *, threshold: float = DEFAULT_THRESHOLD,
                        mta: float = DEFAULT_MTA, terms: Mapping[str, Any] | None = None,
                        bind_date: object = None,
                        im: tuple[pd.DataFrame, pd.DataFrame] | None = None
                        ) -> AggregateIMSeries:
    """Aggregate IM on each of ``dates``, the balances carried from date to date.

    The book is held at constant maturity (bound once on ``bind_date``, default the market's
    last date), as in :func:`imresearch.models.im_series`; per netting set the model gives the
    IM to collect and to post on each date, the group threshold is allocated, and the
    collateral balances move as :mod:`imresearch.aggregate.settlement` describes, with VM from
    each netting set's mark-to-market. The first date opens the balances (the amounts of
    :func:`aggregate_im` on that date); calls are counted from the second.

    Parameters
    ----------
    portfolio, market, model, threshold, mta, terms
        As in :func:`aggregate_im`.
    dates : sequence of date-like
        Dates of ``market``, increasing (daily for daily calls).
    bind_date : date-like, optional
    im : (call, post) DataFrames, optional
        Precomputed model IM per netting set (index ``dates``, columns the netting sets), e.g.
        from a sweep; the model is not run then.

    Returns
    -------
    AggregateIMSeries
    """
    index = check_dates(market, dates)
    book = _prepare(portfolio, market, bind_date, terms, threshold, mta)
    if im is None:
        call, post = netting_set_im(model, book.bound, market, index, book.codes, book.names)
        what = "the model's IM"
    else:
        for side, given in zip(("call", "post"), im, strict=True):
            lacking = [*map(str, index.difference(given.index).date),
                       *(repr(ns) for ns in book.names if ns not in given.columns)]
            if lacking:
                raise InputError(f"im: the precomputed {side} IM lacks {lacking[0]} (a date or "
                                 f"a netting set of the book)")
        call, post = (f.reindex(index=index, columns=book.names) for f in im)
        what = "im: the precomputed IM"
    _check_amounts(call, f"{what} to collect", floor=0.0)
    _check_amounts(post, f"{what} to post", floor=0.0)
    mtm = mtm_by_netting_set(book.bound, market, index, book.codes, book.names)
    _check_amounts(mtm, "the MtM (the VM target)")
    im_c, im_p = call.to_numpy(), post.to_numpy()
    thr_c, thr_p = _thresholds(book, im_c), _thresholds(book, im_p)
    req_c, req_p = np.maximum(im_c - thr_c, 0.0), np.maximum(im_p - thr_p, 0.0)
    combined = book.per_netting_set("mta_scope") == "combined"
    bal = settle(req_c, req_p, mtm.to_numpy(), book.per_netting_set("mta"),
                 book.per_netting_set("rounding"), combined)
    frame = _long(book, index, {
        "im_call": im_c, "im_post": im_p, "threshold_call": thr_c, "threshold_post": thr_p,
        "required_collect": req_c, "required_post": req_p, "collected": bal.collected,
        "posted": bal.posted, "mtm": mtm.to_numpy(), "vm": bal.vm,
        "im_collect_flow": bal.collect_flow, "im_post_flow": bal.post_flow,
        "vm_flow": bal.vm_flow})
    aggregate = _aggregate(index, im_c, im_p, req_c, req_p, bal)
    return AggregateIMSeries(
        by_netting_set=frame, aggregate=aggregate,
        peaks=rolling_peaks(aggregate[list(FLOW_COLUMNS)]),
        cliff=_cliff(book, index, im_c, im_p, req_c, req_p, bal),
        procyclicality=_procyclicality(call, post), terms=book.terms, model=model)


def _check_amounts(frame: pd.DataFrame, what: str, floor: float | None = None) -> None:
    """An InputError naming the first netting set and date whose amount is not finite (or
    below ``floor``): no NaN reaches the balances."""
    values = frame.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if floor is not None:
        bad |= values < floor
    if bad.any():
        i, j = np.argwhere(bad)[0]
        rule = "a finite number" + ("" if floor is None else f" >= {floor:g}")
        raise InputError(f"{what}, netting set {frame.columns[j]!r} on "
                         f"{pd.Timestamp(frame.index[i]):%Y-%m-%d}: must be {rule}; got "
                         f"{float(values[i, j])!r}")


def _long(book: _Book, index: pd.DatetimeIndex, columns: dict[str, np.ndarray]
          ) -> pd.DataFrame:
    n, m = len(index), len(book.names)
    mi = pd.MultiIndex.from_product([index, book.names], names=["date", "netting_set"])
    info = book.structure.table
    out = pd.DataFrame({"counterparty": np.tile(info["counterparty"].to_numpy(), n),
                        "group": np.tile(info["group"].to_numpy(), n)}, index=mi)
    for name, values in columns.items():
        out[name] = np.asarray(values).reshape(n * m)
    return out


def _aggregate(index: pd.DatetimeIndex, im_c: np.ndarray, im_p: np.ndarray, req_c: np.ndarray,
               req_p: np.ndarray, bal: Balances) -> pd.DataFrame:
    return pd.DataFrame({
        "im_call": im_c.sum(axis=1), "im_post": im_p.sum(axis=1),
        "required_collect": req_c.sum(axis=1), "required_post": req_p.sum(axis=1),
        "collected": bal.collected.sum(axis=1), "posted": bal.posted.sum(axis=1),
        "vm": bal.vm.sum(axis=1), **collateral_flows(bal)}, index=index)


def _cliff(book: _Book, index: pd.DatetimeIndex, im_c: np.ndarray, im_p: np.ndarray,
           req_c: np.ndarray, req_p: np.ndarray, bal: Balances) -> pd.DataFrame:
    rows = []
    cps = book.structure.table["counterparty"].to_numpy()
    for k, group in enumerate(book.groups):
        members = book.group_codes == k
        limit = book.terms[group].threshold
        names = ", ".join(dict.fromkeys(cps[members]))
        for side, im, req, flow in (("call", im_c, req_c, bal.collect_flow),
                                    ("post", im_p, req_p, bal.post_flow)):
            total = im[:, members].sum(axis=1)
            flows = flow[:, members].sum(axis=1)
            # some netting set's IM above its share (under a proportional split: the group's
            # IM above the group's threshold)
            above = (req[:, members] > 0).any(axis=1)
            for t in np.flatnonzero(above[1:] != above[:-1]) + 1:
                later = np.flatnonzero(flows[t:] != 0)
                first = t + int(later[0]) if later.size else None
                rows.append({
                    "date": index[t], "group": group, "counterparties": names, "side": side,
                    "direction": "up" if above[t] else "down", "im_before": total[t - 1],
                    "im_after": total[t], "threshold": limit, "flow": flows[t],
                    "first_flow_date": index[first] if first is not None else pd.NaT,
                    "first_flow": flows[first] if first is not None else 0.0})
    columns = ["date", "group", "counterparties", "side", "direction", "im_before",
               "im_after", "threshold", "flow", "first_flow_date", "first_flow"]
    return pd.DataFrame(rows, columns=columns).sort_values(["date", "group", "side"],
                                                           ignore_index=True)


def _procyclicality(call: pd.DataFrame, post: pd.DataFrame) -> pd.DataFrame:
    """The metrics of :func:`imresearch.procyclicality.summary` (and increases in USD) of the
    aggregate and of every netting set's IM, vectorised over the series (the columns)."""
    c, p = call.to_numpy(dtype=np.float64), post.to_numpy(dtype=np.float64)
    n = len(c)
    x = np.column_stack([c.sum(axis=1), p.sum(axis=1),
                         np.stack([c, p], axis=2).reshape(n, 2 * c.shape[1])])
    names = ["aggregate call", "aggregate post",
             *(f"{ns} {side}" for ns in call.columns for side in ("call", "post"))]
    ratios = (x > 0).all(axis=0)
    out = pd.DataFrame({"average_im": x.mean(axis=0), "ratios": ratios},
                       index=pd.Index(names, name="series"))
    spans = [d for d in PEAK_DAYS if d < n]
    if n > 1:
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = {
                "peak_to_trough": x.max(axis=0) / x.min(axis=0),
                "peak_to_trough_trough_first": (x / np.minimum.accumulate(x, axis=0)).max(
                    axis=0),
                **{f"max_{d}d_increase": (x[d:] / x[:-d] - 1.0).max(axis=0) for d in spans}}
        for name, values in relative.items():
            out[name] = np.where(ratios, values, np.nan)
    for d in spans:
        out[f"max_{d}d_increase_usd"] = np.maximum((x[d:] - x[:-d]).max(axis=0), 0.0)
    return out
