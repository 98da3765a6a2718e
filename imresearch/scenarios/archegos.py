"""Archegos-style replay: prime-broker slices of one concentrated book vs the aggregate view.

A family office holds long equity total-return swaps (TRS) on a few names, spread over several
prime brokers. Each broker sees and margins only its own slice, with its own model; nobody
margins the aggregate position. A scenario file (TOML, ``kind = "archegos"``; the shipped one is
``scenarios/archegos_2021.toml``) gives the positions, the brokers' models, the names (SIMM
bucket, average daily volume), the documented price path with its sources, the default date and
the liquidation settings. :func:`run_archegos` replays it day by day:

exposure and variation margin
    ``E_bt = sum_i q_bi S_it`` (shares ``q_bi = notional_bi / S_i,position_date``, held through
    the replay); the VM call of day ``t`` is ``-(E_bt - E_b,t-1)`` (positive: the client pays).
    A TRS is represented by its total-return leg (delta one); its financing leg's rate risk over
    a few days is immaterial and left out.
initial margin by the broker's model, on data known that day
    any model of :mod:`imresearch.models` on the slice (:func:`imresearch.models.im_series`,
    terms fixed on the start date): ``static``, a percentage of the current notional
    ``rate x E_bt``; ``hs``, historical simulation with full revaluation of the slice (99%
    10-day VaR by default); ``simm``, ISDA SIMM of the slice's CRIF, its concentration
    factor seeing only the slice.
concentration / liquidity add-on
    The days needed to sell a position at a participation rate ``p`` of the average daily
    volume are ``H_bi = q_bi / (p ADV_i)``; a margin model calibrated to a margin period of risk
    of ``h`` days (10) is scaled by ``sqrt(max(H, h) / h)`` (square-root-of-time), averaged over
    the names with exposure weights: ``addon_bt = IM_bt (sum_i w_bit sqrt(max(H_bi, h) / h) -
    1)``. A broker charges it only if its ``liquidity_addon = true``; the aggregate view uses
    the aggregate positions ``H_i = sum_b q_bi / (p ADV_i)``, which are longer.
IM calls
    ``IM_bt - IM_b,t-1`` of the IM the broker charges (positive: the client posts more).
loss after IM at default
    If the client fails to pay the calls of day ``d``, the broker keeps the IM it held after the
    calls of ``d - 1`` and sells from ``liquidation_lag_days`` business days after ``d``: each
    position in ``ceil(H_bi)`` equal daily tranches at the closes of the path (after the last
    date of the path at the last close, counted in ``days_priced_flat``), or, with
    ``exit = "block"``, the whole slice in one block trade on the first liquidation day at
    ``block_discount`` below the previous close (:func:`block_sale`: the exits of Goldman Sachs,
    Morgan Stanley, Deutsche Bank and Wells Fargo on 26 March 2021 as reported). The close-out
    loss is ``sum_i q_bi S_i,d-1 - proceeds``; the loss after IM is ``max(loss - IM_b,d-1, 0)``,
    shown beside the loss the broker reported where the file gives it. The same is computed
    for every possible default day of the episode.
aggregate view
    Each model on the whole book against the sum of the slices under the same model, and the
    reference model of ``[aggregate]`` plus the aggregate liquidity add-on against what the
    brokers together collect.

The pre-episode history is real or built-in (:mod:`imresearch.scenarios.archegos_market`);
the result's ``history_source`` says which, and with real data the documented closes are
checked against the data's (``path_check``).

The numerics (:func:`liquidity_horizons`, :func:`liquidity_factor`, :func:`liquidation_loss`,
:func:`vm_calls`) are pure NumPy functions of arrays. Reading the scenario file is
:mod:`imresearch.scenarios.archegos_scenario`; writing the results is
:func:`imresearch.report.archegos_report.write_archegos`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.aggregate.netting_im import netting_set_im
from imresearch.engines.hs import first_full_row
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import HSModel, MarginModel, SimmModel, im_series
from imresearch.portfolio import EquityPosition
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.netting import netting_structure
from imresearch.portfolio.portfolio import Portfolio
from imresearch.scenarios.archegos_market import archegos_market
from imresearch.scenarios.archegos_scenario import (
    COUNTERPARTY,
    KIND,
    ArchegosScenario,
    BrokerSpec,
    NameSpec,
    is_archegos_file,
    load_archegos_scenario,
    parse_archegos_scenario,
)

__all__ = [
    "COUNTERPARTY",
    "KIND",
    "ArchegosResult",
    "ArchegosScenario",
    "BrokerSpec",
    "NameSpec",
    "archegos_progress_steps",
    "block_sale",
    "is_archegos_file",
    "liquidation_loss",
    "liquidity_factor",
    "liquidity_horizons",
    "load_archegos_scenario",
    "parse_archegos_scenario",
    "run_archegos",
    "vm_calls",
]


def vm_calls(exposure: np.ndarray) -> np.ndarray:
    """Variation-margin calls from exposures.

    Parameters
    ----------
    exposure : ndarray of shape (n_days, ...)
        Mark-to-market value of the long positions per day.

    Returns
    -------
    ndarray of shape (n_days - 1, ...)
        ``-(E_t - E_{t-1})``: positive when prices fell and the client pays.
    """
    e = np.asarray(exposure, dtype=np.float64)
    return -(e[1:] - e[:-1])


def liquidity_horizons(shares: np.ndarray, adv: np.ndarray, participation: float | np.ndarray
                       ) -> np.ndarray:
    """Business days to sell each position at ``participation`` of the average daily volume.

    Parameters
    ----------
    shares : ndarray of shape (..., n_names)
    adv : ndarray of shape (n_names,)
        Average daily volume in shares.
    participation : float or ndarray broadcastable to ``shares``

    Returns
    -------
    ndarray
        ``shares / (participation * adv)`` (not rounded).
    """
    return np.asarray(shares, dtype=np.float64) / (np.asarray(participation) * np.asarray(adv))


def liquidity_factor(horizons: np.ndarray, weights: np.ndarray, mpor_days: int) -> np.ndarray:
    """Square-root-of-time scale of an IM for liquidation horizons longer than the MPOR.

    Parameters
    ----------
    horizons : ndarray of shape (..., n_names)
        Liquidation horizons in days.
    weights : ndarray of the same shape
        Exposures (any scale; normalised along the last axis).
    mpor_days : int
        Margin period of risk the IM is calibrated to.

    Returns
    -------
    ndarray of shape (...)
        ``sum_i w_i sqrt(max(H_i, h) / h) / sum_i w_i`` (>= 1); 1 where every weight is 0.
    """
    h = float(mpor_days)
    scale = np.sqrt(np.maximum(np.asarray(horizons, dtype=np.float64), h) / h)
    w = np.asarray(weights, dtype=np.float64)
    tot = w.sum(axis=-1)
    num = (w * scale).sum(axis=-1)
    return np.where(tot > 0, num / np.where(tot > 0, tot, 1.0), 1.0)


def block_sale(prices: np.ndarray, shares: np.ndarray, ref_row: int, sale_row: int,
               discount: float) -> tuple[float, float]:
    """Close-out loss of long positions sold in one block, ``discount`` below the last close.

    Returns ``(loss, proceeds)``: ``proceeds = (1 - discount) sum_i q_i S_i,sale_row-1`` and
    ``loss = sum_i q_i S_i,ref_row - proceeds``. A sale row past the data is priced at the last
    close.
    """
    p = np.asarray(prices, dtype=np.float64)
    q = np.asarray(shares, dtype=np.float64)
    mark = min(sale_row, p.shape[0]) - 1
    proceeds = (1.0 - discount) * float(q @ p[mark])
    return float(q @ p[ref_row]) - proceeds, proceeds


def liquidation_loss(prices: np.ndarray, shares: np.ndarray, ref_row: int, first_row: int,
                     n_tranches: np.ndarray) -> tuple[float, float, int]:
    """Close-out loss of long positions sold in equal daily tranches.

    Parameters
    ----------
    prices : ndarray of shape (n_days, n_names)
        Closes, one row per business day.
    shares : ndarray of shape (n_names,)
        Shares held (>= 0).
    ref_row : int
        Row of the last settled mark (the day before the default).
    first_row : int
        Row of the first sale.
    n_tranches : ndarray of int of shape (n_names,)
        Days over which each name is sold (>= 1); sale ``k`` at row ``first_row + k``. Rows past
        the last are priced at the last close.

    Returns
    -------
    loss : float
        ``sum_i q_i S_i,ref - proceeds`` (positive: a loss).
    proceeds : float
    days_flat : int
        Largest number of sales of one name priced past the last row.
    """
    p = np.asarray(prices, dtype=np.float64)
    q = np.asarray(shares, dtype=np.float64)
    n_rows = p.shape[0]
    proceeds = 0.0
    flat = 0
    for i in range(p.shape[1]):
        if q[i] == 0.0:
            continue
        n = max(int(n_tranches[i]), 1)
        rows = first_row + np.arange(n)
        flat = max(flat, int((rows >= n_rows).sum()))
        proceeds += q[i] / n * p[np.minimum(rows, n_rows - 1), i].sum()
    value = float(q @ p[ref_row])
    return value - proceeds, proceeds, flat


@dataclass(frozen=True)
class ArchegosResult:
    """Result of :func:`run_archegos` (all amounts USD).

    Attributes
    ----------
    scenario : ArchegosScenario
    market : RiskFactorHistory
        Closes used (factors ``EQ_<ticker>``): pre-episode history, episode, and what follows.
    history_source : str
        Which history was used: ``"built-in: ..."`` or ``"data: ..."``.
    prices : pandas.DataFrame
        Closes over the episode (and the day before), dates x tickers.
    positions : pandas.DataFrame
        Shares per broker (rows) and name (columns).
    horizons : pandas.DataFrame
        Liquidation days per broker and name, with an ``aggregate`` row.
    daily : pandas.DataFrame
        One row per (date, broker): ``exposure``, ``vm_call``, ``model``, ``im_model`` (IM of
        the broker's model), ``liquidity_factor``, ``liquidity_addon``, ``addon_charged``,
        ``im_charged``, ``im_call``, ``total_call``.
    aggregate : pandas.DataFrame
        Per date: ``exposure``, ``vm_call``, ``sum_of_slices_im`` (what the brokers together
        charge), ``aggregate_model_im`` (the ``[aggregate]`` model on the whole book),
        ``aggregate_liquidity_factor``, ``aggregate_view_im`` (with the aggregate add-on),
        ``shortfall`` (aggregate view minus the sum of slices).
    by_model : pandas.DataFrame
        Per (date, model): ``sum_of_slices`` (the model on each slice, summed) and
        ``whole_book``, and their ratio.
    default_loss : pandas.DataFrame
        Per broker, default on ``default_date``: ``exit``, exposure and IM held, liquidation
        dates and days, ``closeout_loss``, ``loss_after_im``, ``im_surplus``, the loss after
        IM had the add-on been charged, and ``reported_loss`` (what the broker reported, NaN if
        not given); rows ``all brokers`` and ``aggregate view``.
    loss_by_default_day : pandas.DataFrame
        Loss after IM per broker (columns) if the default were on each date (rows).
    summary : pandas.DataFrame
        Per broker: model, notional, peak IM, total VM and IM calls to the default date, loss.
    path_check : pandas.DataFrame or None
        With real data: relative difference of the data's closes from the documented closes.
    notes : tuple of str
    """

    scenario: ArchegosScenario
    market: RiskFactorHistory
    history_source: str
    prices: pd.DataFrame
    positions: pd.DataFrame
    horizons: pd.DataFrame
    daily: pd.DataFrame
    aggregate: pd.DataFrame
    by_model: pd.DataFrame
    default_loss: pd.DataFrame
    loss_by_default_day: pd.DataFrame
    summary: pd.DataFrame
    path_check: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def uses_real_data(self) -> bool:
        """Whether the real history (not the built-in one) was used."""
        return self.history_source.startswith("data")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by file stem."""
        out = {
            "prices": self.prices, "positions": self.positions, "horizons": self.horizons,
            "daily_by_broker": self.daily, "aggregate": self.aggregate,
            "aggregate_by_model": self.by_model, "default_loss": self.default_loss,
            "loss_by_default_day": self.loss_by_default_day, "summary": self.summary,
        }
        if self.path_check is not None:
            out["path_check"] = self.path_check
        return out


def _model_im(model: MarginModel, slices: Mapping[str, Portfolio], book: Portfolio,
              market: RiskFactorHistory, dates: pd.DatetimeIndex, bind_date: pd.Timestamp
              ) -> pd.DataFrame:
    """IM of the model on each slice (columns = brokers) and the whole book (``__book__``).

    The brokers are netting sets of one counterparty: when every slice depends on the book's
    factors in the book's order (each broker holds every name), the slices are margined in
    one computation (:func:`imresearch.aggregate.netting_im.netting_set_im`), which gives
    each slice's numbers exactly; otherwise each slice is margined on its own factors (a
    broker knows only its names).
    """
    bound = bind(book, market, bind_date)
    out = {"__book__": im_series(model, bound, market, dates)}
    structure = netting_structure(bound.trades)
    views = bound.take(structure.order).split("netting_set")
    if set(views) == set(slices) and all(_factors(v) == bound.factor_names
                                         for v in views.values()):
        order = structure.order
        call, _ = netting_set_im(model, bound.take(order), market, dates,
                                 structure.codes[order], structure.netting_sets)
        out.update({b: call[b] for b in slices})
    else:
        out.update({b: im_series(model, trades, market, dates, bind_date=bind_date)
                    for b, trades in slices.items()})
    return pd.DataFrame(out, index=dates)[[*slices, "__book__"]]


def _factors(bound: BoundPortfolio) -> list[str]:
    """The factors the trades depend on, in order of first appearance (a bound slice's)."""
    return list(dict.fromkeys(f for b in bound.bindings for f in b.factors))


def _models_needed(sc: ArchegosScenario) -> list[str]:
    """The model labels a replay computes, in order: each broker's, then the aggregate's."""
    return list(dict.fromkeys([b.model for b in sc.brokers.values()] + [sc.aggregate_model]))


def archegos_progress_steps(sc: ArchegosScenario) -> dict[str, int | None]:
    """The steps :func:`run_archegos` reports through ``progress``, in order (for a progress
    bar), and the writer's ``"write"`` last."""
    return {"market": None, **{f"IM {label}": None for label in _models_needed(sc)},
            "calls": None, "default losses": None, "write": None}


def run_archegos(
    scenario: ArchegosScenario | str | os.PathLike[str],
    *,
    data_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ArchegosResult:
    """Replay an Archegos scenario day by day.

    Parameters
    ----------
    scenario : ArchegosScenario or path-like
        A scenario, or the path of a scenario file.
    data_dir : path-like, optional
        Market-data directory holding the scenario's data set; default ``$IMRESEARCH_DATA``,
        then the scenario's ``[market] data_dir``. Ignored when ``history = "builtin"``.
    progress : callable, optional
        Called with a short text at each step.

    Returns
    -------
    ArchegosResult

    Raises
    ------
    InputError
        An invalid scenario; a model lookback longer than the history before the episode.
    DataNotFoundError
        ``history = "data"`` and the data set's files are not found.
    """
    say = progress or (lambda _text: None)
    sc = scenario if isinstance(scenario, ArchegosScenario) else load_archegos_scenario(scenario)
    say("market")
    market, history_source, check = archegos_market(sc, data_dir)
    tickers = sc.tickers
    brokers = list(sc.brokers)
    closes = market.levels.set_axis(tickers, axis=1)
    all_dates = closes.index
    s0 = closes.index.get_loc(sc.start)
    if s0 < 1:
        raise InputError(f"{sc.source}: no history before start {sc.start:%Y-%m-%d}")
    dates = closes.index[s0 - 1: closes.index.get_loc(sc.end) + 1]  # the day before + episode
    ep = dates[1:]

    # positions
    pos_px = closes.loc[sc.position_date]
    shares = pd.DataFrame(0.0, index=pd.Index(brokers, name="broker"), columns=tickers)
    trades = []
    for b, spec in sc.brokers.items():
        for t in tickers:
            n = spec.notional.get(t, 0.0)
            if n <= 0:
                continue
            shares.loc[b, t] = n / float(pos_px[t])
            trades.append(EquityPosition(
                trade_id=f"{b}|{t}", underlying=t, quantity=shares.loc[b, t], direction="long",
                bucket=sc.names[t].simm_bucket, counterparty=COUNTERPARTY, netting_set=b,
                prime_broker=b))
    book = Portfolio(tuple(trades), sc.name, "family-office TRS book (total-return legs)")
    slices = {b: Portfolio(tuple(tr for tr in trades if tr.prime_broker == b), f"{sc.name} {b}",
                           f"the slice of prime broker {b}") for b in brokers}

    px = closes.loc[dates]
    exposure = pd.DataFrame({b: px.to_numpy() @ shares.loc[b].to_numpy() for b in brokers},
                            index=dates)
    expo_name = {b: px * shares.loc[b] for b in brokers}

    # liquidity
    adv = np.array([sc.names[t].adv_shares for t in tickers])
    part = np.array([sc.brokers[b].participation for b in brokers])[:, None]
    horizons = pd.DataFrame(liquidity_horizons(shares.to_numpy(), adv, part), index=shares.index,
                            columns=tickers)
    total_shares = shares.sum(axis=0).to_numpy()
    agg_h = liquidity_horizons(total_shares, adv, sc.participation)
    horizons.loc["aggregate"] = agg_h
    lfac = pd.DataFrame({b: liquidity_factor(
        np.broadcast_to(horizons.loc[b].to_numpy(), expo_name[b].shape),
        expo_name[b].to_numpy(), sc.mpor_days) for b in brokers}, index=dates)
    agg_fac = pd.Series(liquidity_factor(np.broadcast_to(agg_h, px.shape),
                                         px.to_numpy() * total_shares, sc.mpor_days),
                        index=dates)

    # IM per model (each model on every slice and on the book)
    im: dict[str, pd.DataFrame] = {}
    for label in _models_needed(sc):
        say(f"IM {label}")
        model = sc.models[label]
        if isinstance(model, HSModel):
            first = market.dates.get_loc(dates[0])
            need = first_full_row(model)
            if first < need:
                raise InputError(
                    f"{sc.source}: key 'models.{label}.lookback_days': "
                    f"{model.lookback_days} needs {need} business days before "
                    f"{dates[0]:%Y-%m-%d}; the history ({history_source.split(':')[0]}) has "
                    f"{first}")
        im[label] = _model_im(model, slices, book, market, dates, sc.start)

    # per broker per day
    say("calls")
    rows = []
    for b in brokers:
        spec = sc.brokers[b]
        base = im[spec.model][b]
        addon = base * (lfac[b] - 1.0)
        charged = base + (addon if spec.liquidity_addon else 0.0)
        vm = pd.Series(np.r_[np.nan, vm_calls(exposure[b].to_numpy())], index=dates)
        imc = charged.diff()
        frame = pd.DataFrame({
            "broker": b, "model": spec.model, "exposure": exposure[b], "vm_call": vm,
            "im_model": base, "liquidity_factor": lfac[b], "liquidity_addon": addon,
            "addon_charged": spec.liquidity_addon, "im_charged": charged, "im_call": imc,
        }, index=dates)
        frame["total_call"] = frame["vm_call"] + frame["im_call"]
        rows.append(frame)
    full = pd.concat(rows)
    full.index.name = "date"
    charged_wide = full.pivot_table(index="date", columns="broker", values="im_charged"
                                    )[brokers]
    daily = full.loc[ep].reset_index().set_index(["date", "broker"]).sort_index(
        level=0, sort_remaining=False)

    ref = im[sc.aggregate_model]["__book__"]
    book_expo = exposure.sum(axis=1)
    aggregate = pd.DataFrame({
        "exposure": book_expo,
        "vm_call": np.r_[np.nan, vm_calls(book_expo.to_numpy())],
        "sum_of_slices_im": charged_wide.sum(axis=1),
        "aggregate_model_im": ref,
        "aggregate_liquidity_factor": agg_fac,
        "aggregate_view_im": ref * (agg_fac if sc.aggregate_liquidity_addon else 1.0),
    }, index=dates)
    aggregate["shortfall"] = aggregate["aggregate_view_im"] - aggregate["sum_of_slices_im"]
    aggregate = aggregate.loc[ep]
    aggregate.index.name = "date"
    bm = []
    for label, frame in im.items():
        sub = pd.DataFrame({"model": label, "sum_of_slices": frame[brokers].sum(axis=1),
                            "whole_book": frame["__book__"]}, index=dates).loc[ep]
        bm.append(sub)
    by_model = pd.concat(bm)
    by_model.index.name = "date"
    by_model["whole_over_sum"] = by_model["whole_book"] / by_model["sum_of_slices"]
    by_model = by_model.reset_index().set_index(["date", "model"]).sort_index(
        level=0, sort_remaining=False)

    # default losses
    say("default losses")
    prices_all = closes.to_numpy()
    tranches = np.ceil(horizons.to_numpy() - 1e-9).astype(np.int64)
    tranches = np.maximum(tranches, 1)

    def loss_for(b_idx: int | None, d_row: int, lag: int, held: float) -> dict[str, Any]:
        q = total_shares if b_idx is None else shares.iloc[b_idx].to_numpy()
        n = tranches[-1] if b_idx is None else tranches[b_idx]
        first = d_row + lag
        spec = None if b_idx is None else sc.brokers[brokers[b_idx]]
        if spec is not None and spec.exit == "block":
            n = np.ones_like(n)
            loss, proceeds = block_sale(prices_all, q, d_row - 1, first, spec.block_discount)
            flat = int(first >= len(all_dates))
        else:
            loss, proceeds, flat = liquidation_loss(prices_all, q, d_row - 1, first, n)
        last = first + int(n[q > 0].max()) - 1
        last_date = (all_dates[last] if last < len(all_dates)
                     else all_dates[-1] + pd.offsets.BDay(last - len(all_dates) + 1))
        return {"exposure_at_last_mark": float(q @ prices_all[d_row - 1]), "im_held": held,
                "liquidation_start": all_dates[first] if first < len(all_dates) else pd.NaT,
                "liquidation_end": last_date, "liquidation_days": int(n[q > 0].max()),
                "days_priced_flat": flat, "closeout_loss": loss, "proceeds": proceeds,
                "loss_after_im": max(loss - held, 0.0), "im_surplus": max(held - loss, 0.0)}

    d_row = int(all_dates.get_loc(sc.default_date))
    prev = all_dates[d_row - 1]
    recs = []
    for k, b in enumerate(brokers):
        spec = sc.brokers[b]
        held = float(charged_wide.loc[prev, b])
        rec = {"broker": b, "model": spec.model,
               "liquidity_addon_charged": spec.liquidity_addon, "exit": spec.exit,
               **loss_for(k, d_row, spec.liquidation_lag_days, held),
               "reported_loss": np.nan if spec.reported_loss is None else spec.reported_loss}
        with_addon = float(im[spec.model].loc[prev, b] * lfac.loc[prev, b])
        rec["im_with_addon"] = with_addon
        rec["loss_after_im_with_addon"] = max(rec["closeout_loss"] - with_addon, 0.0)
        recs.append(rec)
    money = ("exposure_at_last_mark", "im_held", "closeout_loss", "proceeds", "loss_after_im",
             "im_surplus", "im_with_addon", "loss_after_im_with_addon")
    tot: dict[str, Any] = {c: float(sum(r[c] for r in recs)) for c in money}
    tot.update(broker="all brokers", model="(each its own)",
               liquidity_addon_charged=any(r["liquidity_addon_charged"] for r in recs),
               liquidation_start=min(r["liquidation_start"] for r in recs),
               liquidation_end=max(r["liquidation_end"] for r in recs),
               liquidation_days=max(r["liquidation_days"] for r in recs),
               days_priced_flat=max(r["days_priced_flat"] for r in recs), exit="",
               reported_loss=float(np.nansum([r["reported_loss"] for r in recs]))
               if any(np.isfinite(r["reported_loss"]) for r in recs) else np.nan)
    held_agg = float(ref.loc[prev] * (agg_fac.loc[prev] if sc.aggregate_liquidity_addon
                                      else 1.0))
    agg_rec = loss_for(None, d_row, sc.lag_days, held_agg)
    agg_rec.update(broker="aggregate view",
                   model=sc.aggregate_model + (" + aggregate liquidity add-on"
                                               if sc.aggregate_liquidity_addon else ""),
                   liquidity_addon_charged=sc.aggregate_liquidity_addon, exit="tranches",
                   reported_loss=np.nan, im_with_addon=held_agg,
                   loss_after_im_with_addon=agg_rec["loss_after_im"])
    dl = pd.DataFrame([*recs, tot, agg_rec]).set_index("broker")
    dl.index.name = "broker"

    lbd = pd.DataFrame(index=pd.DatetimeIndex(ep[ep > sc.start], name="default_date"),
                       columns=brokers, dtype=float)
    for x in lbd.index:
        r = int(all_dates.get_loc(x))
        for k, b in enumerate(brokers):
            held = float(charged_wide.loc[all_dates[r - 1], b])
            lbd.loc[x, b] = loss_for(k, r, sc.brokers[b].liquidation_lag_days,
                                     held)["loss_after_im"]
    lbd["all brokers"] = lbd[brokers].sum(axis=1)

    # summary per broker
    upto = daily.loc[pd.IndexSlice[:sc.default_date, :], :]
    summ = pd.DataFrame({
        "model": [sc.brokers[b].model for b in brokers],
        "notional_at_start": [float(exposure.loc[sc.position_date, b]) for b in brokers],
        "im_at_start": [float(charged_wide.loc[sc.start, b]) for b in brokers],
        "im_at_start_pct": [float(charged_wide.loc[sc.start, b] / exposure.loc[sc.start, b])
                            for b in brokers],
        "peak_im": [float(charged_wide.loc[ep, b].max()) for b in brokers],
        "vm_calls_to_default": [float(upto.xs(b, level="broker")["vm_call"].sum())
                                for b in brokers],
        "im_calls_to_default": [float(upto.xs(b, level="broker")["im_call"].sum())
                                for b in brokers],
        "max_liquidation_days": [float(horizons.loc[b].max()) for b in brokers],
        "closeout_loss": dl.loc[brokers, "closeout_loss"].to_numpy(dtype=float),
        "loss_after_im": dl.loc[brokers, "loss_after_im"].to_numpy(dtype=float),
    }, index=pd.Index(brokers, name="broker"))

    notes = [f"history: {history_source}"]
    if check is not None:
        worst = float(check.abs().max().max())
        notes.append(f"documented closes vs data: largest relative difference {worst:.3%}")
    for label in _models_needed(sc):
        model = sc.models[label]
        if isinstance(model, SimmModel):
            notes.append(f"{label}: SIMM {model.version_on(sc.start)} parameters")
    flat = int(dl["days_priced_flat"].max())
    if flat:
        notes.append(f"liquidations run up to {flat} business days past the last close of the "
                     f"data ({all_dates[-1]:%Y-%m-%d}); those sales are priced at that close")
    notes.append("TRS represented by their total-return legs (delta one); financing legs left "
                 "out")
    return ArchegosResult(
        scenario=sc, market=market, history_source=history_source,
        prices=px.copy(), positions=shares, horizons=horizons, daily=daily,
        aggregate=aggregate, by_model=by_model, default_loss=dl,
        loss_by_default_day=lbd, summary=summ, path_check=check, notes=tuple(notes))
