"""Figures of the Archegos-style replay (Agg backend; each function writes one PNG)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd

from imresearch.report import layout
from imresearch.report.palette import ACCENT, ROLES, Palette, categorical

__all__ = ["plot_archegos_default_loss", "plot_archegos_timeline"]

_BN = 1e9


def _colors(n: int) -> list[Any]:
    """Colours of the brokers (and of the names): the same broker has the same colour in
    both figures."""
    return categorical(n)


def _pos(dates: pd.DatetimeIndex, date: pd.Timestamp) -> float:
    """Position of ``date`` on a business-day axis (between neighbours if absent)."""
    return float(np.interp(mdates.date2num(date), mdates.date2num(dates), np.arange(len(dates))))


def _mark_default(ax: Any, dates: pd.DatetimeIndex, date: pd.Timestamp, *,
                  label: bool = False, shade: bool = True) -> None:
    x = _pos(dates, date)
    ax.axvline(x, color=ACCENT, ls="--", lw=1.0, label="default date" if label else None)
    if shade:
        ax.axvspan(x, len(dates) - 0.5, color="grey", alpha=0.08, lw=0,
                   label="after default (calls not met)" if label else None)


def _day_axis(ax: Any, dates: pd.DatetimeIndex) -> None:
    """One tick per business day, labelled with the date (no weekend gaps)."""
    ax.set_xticks(np.arange(len(dates)), [f"{x:%a}\n{x:%d %b}" for x in dates], fontsize=8)
    ax.set_xlim(-0.6, len(dates) - 0.4)
    ax.grid(alpha=0.3)


def _history_label(result: Any) -> str:
    src = str(result.history_source)
    if src.startswith("data"):
        return f"history: real closes (catalogue data set '{result.scenario.dataset}')"
    return (f"history: built-in (synthetic pre-episode history, seed {result.scenario.seed}, "
            "+ documented closes)")


def plot_archegos_timeline(result: Any, path: str | os.PathLike[str]) -> Path:
    """Four panels over the episode days.

    Top left: closes of the names rebased to 100 on the first day. Top right: IM each broker
    charges. Bottom left: daily margin calls per broker (VM + IM, stacked; positive = the
    client pays). Bottom right: the aggregate view (reference model on the whole book, with
    and without the aggregate liquidity add-on) against the sum of what the brokers charge.

    Parameters
    ----------
    result : ArchegosResult
    path : path-like
        PNG file to write.

    Returns
    -------
    pathlib.Path
    """
    sc = result.scenario
    brokers = list(sc.brokers)
    prices = result.prices
    ep = prices.index[1:]
    daily = result.daily.reset_index()
    colors = _colors(len(brokers))
    fig, axes = layout.subplots(2, 2, figsize=(15, 9.5))
    (a, b), (c, d) = axes
    style = Palette(sc.models)[sc.aggregate_model]

    xe = np.arange(len(ep))
    rebased = 100 * prices.loc[ep] / prices.loc[ep[0]]
    pcol = _colors(len(rebased.columns))
    for k, t in enumerate(rebased.columns):
        a.plot(xe, rebased[t], marker="o", ms=3, lw=1.5, color=pcol[k], label=t)
    a.axhline(100, color="grey", lw=0.6)
    _mark_default(a, ep, sc.default_date, shade=False)
    a.set_title(f"Closes of the names (rebased: {ep[0]:%d %b %Y} = 100)")
    a.set_ylabel("close, rebased to 100")
    a.legend(ncol=3, fontsize=8, loc="lower left")
    _day_axis(a, ep)

    im = daily.pivot_table(index="date", columns="broker", values="im_charged")[brokers]
    for k, br in enumerate(brokers):
        model = sc.brokers[br].model + (" + liq. add-on" if sc.brokers[br].liquidity_addon
                                        else "")
        b.plot(xe, im[br].reindex(ep) / _BN, marker="o", ms=3, lw=1.5, color=colors[k],
               label=f"{br} ({model})")
    _mark_default(b, ep, sc.default_date, label=True)
    b.set_title("IM charged by each prime broker on its slice")
    b.set_ylabel("initial margin (USD bn)")
    b.set_ylim(bottom=0)
    b.legend(fontsize=7.5, loc="upper left")
    b.set_ylim(0, 1.75 * float(np.nanmax(im.reindex(ep).to_numpy())) / _BN)
    _day_axis(b, ep)

    calls = daily.pivot_table(index="date", columns="broker", values="total_call")[brokers]
    calls = calls.reindex(ep)
    width = 0.7
    pos_bottom = np.zeros(len(xe))
    neg_bottom = np.zeros(len(xe))
    for k, br in enumerate(brokers):
        v = np.nan_to_num(calls[br].to_numpy(dtype=float) / _BN)
        up = np.where(v > 0, v, 0.0)
        dn = np.where(v < 0, v, 0.0)
        c.bar(xe, up, width, bottom=pos_bottom, color=colors[k], label=br)
        c.bar(xe, dn, width, bottom=neg_bottom, color=colors[k])
        pos_bottom += up
        neg_bottom += dn
    c.axhline(0, color="black", lw=0.6)
    _mark_default(c, ep, sc.default_date)
    c.set_title("Daily margin calls per broker: VM + IM (positive: the client pays)")
    c.set_ylabel("margin call (USD bn)")
    c.legend(fontsize=7.5, ncol=2, loc="upper right")
    _day_axis(c, ep)

    agg = result.aggregate.reindex(ep)
    d.plot(xe, agg["sum_of_slices_im"] / _BN, marker="o", ms=3, lw=2,
           color=ROLES["sum of slices"], label="sum of the slices (what the brokers charge)")
    d.plot(xe, agg["aggregate_model_im"] / _BN, marker="s", ms=3, lw=1.5, color=style.color,
           ls="--", label=f"{sc.aggregate_model} on the whole book")
    d.plot(xe, agg["aggregate_view_im"] / _BN, marker="^", ms=4, lw=2.2, color=style.color,
           label=f"{sc.aggregate_model} on the whole book + aggregate liquidity add-on")
    d.fill_between(xe, agg["sum_of_slices_im"] / _BN, agg["aggregate_view_im"] / _BN,
                   where=(agg["aggregate_view_im"] > agg["sum_of_slices_im"]).to_numpy(),
                   color=ROLES["shortfall"], alpha=0.12, label="what the slices miss")
    _mark_default(d, ep, sc.default_date)
    d.set_title("Aggregate view vs sum of slices")
    d.set_ylabel("initial margin (USD bn)")
    d.legend(fontsize=8, loc="upper left")
    top = float(np.nanmax(agg[["sum_of_slices_im", "aggregate_model_im",
                               "aggregate_view_im"]].to_numpy()))
    d.set_ylim(0, 1.3 * top / _BN)
    _day_axis(d, ep)
    for ax in (c, d):
        ax.set_xlabel("business day")
    fig.suptitle(f"{sc.title}\n{_history_label(result)}; all amounts USD", fontsize=11)
    return layout.save(fig, path)


def plot_archegos_default_loss(result: Any, path: str | os.PathLike[str]) -> Path:
    """Loss at default: per broker, IM held vs close-out loss; and by default day.

    Left: for the scenario's default date, the IM each broker held, its close-out loss and the
    loss after IM (the uncovered part). Right: the loss after IM of all brokers together had the
    client defaulted on each day of the episode.

    Parameters
    ----------
    result : ArchegosResult
    path : path-like
        PNG file to write.

    Returns
    -------
    pathlib.Path
    """
    sc = result.scenario
    brokers = list(sc.brokers)
    dl = result.default_loss.loc[brokers]
    fig, (a, b) = layout.subplots(1, 2, figsize=(15, 5.2),
                                  gridspec_kw={"width_ratios": [1.6, 1]})
    x = np.arange(len(brokers))
    w = 0.28
    a.bar(x - w, dl["im_held"].astype(float) / _BN, w, color=ROLES["im held"], label="IM held")
    a.bar(x, dl["closeout_loss"].astype(float) / _BN, w, color=ROLES["close-out loss"],
          label="close-out loss")
    bars = a.bar(x + w, dl["loss_after_im"].astype(float) / _BN, w,
                 color=ROLES["loss after IM"], label="loss after IM")
    a.bar_label(bars, labels=[f"{v / _BN:.2f}" for v in dl["loss_after_im"].astype(float)],
                fontsize=7.5, padding=2)
    a.set_xticks(x, [f"{br}\n{sc.brokers[br].model}" for br in brokers], fontsize=8)
    a.axhline(0, color="black", lw=0.6)
    a.set_ylabel("USD bn")
    a.set_title(f"Default on {sc.default_date:%d %b %Y}: IM held vs close-out loss per broker")
    a.legend(fontsize=8)
    a.grid(axis="y", alpha=0.3)

    lbd = result.loss_by_default_day
    colors = _colors(len(brokers))
    bottom = np.zeros(len(lbd))
    xs = np.arange(len(lbd))
    for k, br in enumerate(brokers):
        v = lbd[br].to_numpy(dtype=float) / _BN
        b.bar(xs, v, 0.7, bottom=bottom, color=colors[k], label=br)
        bottom += v
    for xi, total in zip(xs, bottom, strict=True):  # a zero loss is a bar of height 0: say so
        b.annotate(f"{total:.2f}", (xi, total), xytext=(0, 2), textcoords="offset points",
                   ha="center", va="bottom", fontsize=7.5, zorder=5,
                   bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"})
    b.margins(y=0.12)
    b.axvline(_pos(lbd.index, sc.default_date), color=ACCENT, ls="--", lw=1.0,
              label="scenario default date")
    b.set_title("Loss after IM if the client defaulted on each day")
    b.set_ylabel("loss after IM, all brokers (USD bn)")
    b.set_xlabel("default date")
    _day_axis(b, lbd.index)
    b.legend(fontsize=7.5, ncol=1, loc="upper right")
    fig.suptitle(f"{sc.title}\n{_history_label(result)}; all amounts USD", fontsize=10)
    return layout.save(fig, path)
