"""Figures of aggregate IM: exchanged IM per counterparty, calls, the system view."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

__all__ = ["plot_aggregate_calls", "plot_exchanged_im", "plot_system_view"]

Episodes = Iterable[tuple[str, pd.Timestamp, pd.Timestamp]]


def _money(ax: Axes, unit: str = "USD mn") -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1e6:,.2f}".rstrip("0").rstrip(".")))
    ax.set_ylabel(unit)
    ax.grid(alpha=0.3)


def _dates(ax: Axes) -> None:
    locator = AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _shade(ax: Axes, episodes: Episodes, index: pd.DatetimeIndex, names: bool = True) -> None:
    lo, hi = index[0], index[-1]
    for name, start, end in episodes:
        if end < lo or start > hi:
            continue
        ax.axvspan(max(start, lo), min(end, hi), color="0.88", lw=0, zorder=0)
        if names:
            ax.text(max(start, lo), 0.98, name, transform=ax.get_xaxis_transform(), fontsize=7,
                    va="top", ha="left", color="0.35", rotation=90)


def _by_counterparty(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[column].groupby([frame.index.get_level_values("date"),
                                  frame["counterparty"]]).sum().unstack("counterparty")


def plot_exchanged_im(series: Any, path: str | os.PathLike[str], *, model: str = "",
                      episodes: Episodes = (), max_panels: int = 8) -> Path:
    """Exchanged IM through time: one panel per counterparty (the ``max_panels`` largest)
    with the IM collected and posted (solid), the model IM of each side (dotted) and the
    threshold allocated to the counterparty (dashed), and a panel of the aggregate over every
    netting set."""
    frame = series.by_netting_set
    held = {side: _by_counterparty(frame, col) for side, col in (("collected", "collected"),
                                                                 ("posted", "posted"))}
    model_im = {"collected": _by_counterparty(frame, "im_call"),
                "posted": _by_counterparty(frame, "im_post")}
    limit = _by_counterparty(frame, "threshold_call")
    first = frame.index.get_level_values("date")[0]
    n_sets = frame.xs(first, level="date")["counterparty"].value_counts()
    size = (held["collected"] + held["posted"]).mean().sort_values(ascending=False)
    shown = list(size.index[:max_panels])
    n = len(shown) + 1
    cols = 3 if n > 4 else 2
    rows = -(-n // cols)
    fig = Figure(figsize=(4.2 * cols, 2.6 * rows + 0.6))
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
    colors = {"collected": "tab:blue", "posted": "tab:red"}
    panels = [("aggregate", None)] + [(cp, cp) for cp in shown]
    for ax, (title, cp) in zip(axes, panels, strict=False):
        index = held["collected"].index
        _shade(ax, episodes, index, names=cp is None)
        for side in ("collected", "posted"):
            got = held[side].sum(axis=1) if cp is None else held[side][cp]
            im = model_im[side].sum(axis=1) if cp is None else model_im[side][cp]
            ax.plot(index, got, color=colors[side], lw=1.3, label=f"IM {side}")
            ax.plot(index, im, color=colors[side], lw=0.8, ls=":",
                    label=f"model IM ({'call' if side == 'collected' else 'post'})")
        if cp is not None:
            ax.plot(index, limit[cp], color="0.4", lw=0.9, ls="--", label="threshold")
        sets = n_sets.get(cp, 0) if cp is not None else int(n_sets.sum())
        ax.set_title(f"{title} ({sets} netting set{'s' if sets > 1 else ''})", loc="left",
                     fontsize=9)
        _money(ax)
        _dates(ax)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7, loc="upper left", framealpha=0.9)
    others = len(size) - len(shown)
    fig.suptitle("Exchanged initial margin per counterparty" + (f": {model}" if model else "")
                 + (f" ({others} smaller counterparties in the aggregate only)"
                    if others > 0 else ""), x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_aggregate_calls(series: Any, path: str | os.PathLike[str], *, model: str = "",
                         episodes: Episodes = ()) -> Path:
    """Collateral calls per IM date: what we deliver (IM posted, VM paid; up) and what we
    receive (IM collected, VM received; down), with the largest 1-, 5- and 20-date sums of
    the calls we pay."""
    agg = series.aggregate.iloc[1:]
    fig = Figure(figsize=(12, 5))
    ax = fig.subplots()
    _shade(ax, episodes, agg.index)
    width = max(1.0, 0.8 * float(np.median(np.diff(agg.index.values).astype(
        "timedelta64[D]").astype(float)))) if len(agg) > 1 else 1.0
    ax.bar(agg.index, agg["im_calls_out"], width=width, color="tab:red", label="IM we post")
    ax.bar(agg.index, agg["vm_calls_out"], width=width, bottom=agg["im_calls_out"],
           color="tab:orange", label="VM we pay")
    ax.bar(agg.index, -agg["im_calls_in"], width=width, color="tab:blue",
           label="IM we collect")
    ax.bar(agg.index, -agg["vm_calls_in"], width=width, bottom=-agg["im_calls_in"],
           color="tab:cyan", label="VM we receive")
    ax.axhline(0, color="black", lw=0.6)
    peaks = series.peaks
    text = "; ".join(f"{d}-date peak paid {peaks.loc[d, 'calls_out'] / 1e6:,.1f}m"
                     for d in peaks.index)
    ax.set_title(f"Collateral calls per IM date{' (' + model + ')' if model else ''}: paid "
                 f"(up), received (down). {text}", loc="left", fontsize=9)
    _money(ax)
    _dates(ax)
    ax.legend(fontsize=8, ncol=4, loc="lower left", framealpha=0.9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_system_view(view: Any, path: str | os.PathLike[str]) -> Path:
    """System view per model: IM dealers collect (top), collateral paid by dealers per date
    (bottom), the episode shaded."""
    fig = Figure(figsize=(12, 7))
    top, bottom = fig.subplots(2, 1, sharex=True)
    name, start, end = view.episode
    for ax in (top, bottom):
        ax.axvspan(start, end, color="0.88", lw=0, zorder=0)
    for label in view.summary.index:
        s = view.system.xs(label, level="model")
        top.plot(s.index, s["im_call"], lw=1.3, label=f"{label}: model IM")
        top.plot(s.index, s["collected"], lw=0.9, ls="--", color=top.lines[-1].get_color(),
                 label=f"{label}: collected")
        bottom.plot(s.index[1:], s["calls_out"].iloc[1:], lw=1.1, label=label)
    _money(top)
    _money(bottom)
    _dates(bottom)
    top.set_title(f"System view through {name}: IM to collect (solid) and collected after "
                  f"thresholds (dashed), {view.network.n_netting_sets} netting sets",
                  loc="left", fontsize=10)
    bottom.set_title("Collateral the dealers pay per date (IM posted and VM)", loc="left",
                     fontsize=10)
    top.legend(fontsize=7, ncol=3, framealpha=0.9)
    bottom.legend(fontsize=8, ncol=5, framealpha=0.9)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
