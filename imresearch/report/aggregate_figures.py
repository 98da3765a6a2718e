"""Figures of aggregate IM: exchanged IM per counterparty, calls, the system view.

Drawn like every report figure (:mod:`imresearch.report.layout`): pyplot-free, episodes shaded
and labelled in rows that overlap nothing, legends outside the data; IM collected / posted and
VM received / paid keep the colours of :data:`imresearch.report.palette.ROLES`, and models
their palette style.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from imresearch.report import layout
from imresearch.report.palette import ROLES, Palette

__all__ = ["plot_aggregate_calls", "plot_exchanged_im", "plot_system_view"]

Episodes = Iterable[tuple[str, pd.Timestamp, pd.Timestamp]]
_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False,
            "fontsize": 8, "borderaxespad": 0.0}
_SIDE = {"collected": "im collected", "posted": "im posted"}


def _money(ax: Axes) -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _: f"{v / 1e6:,.2f}".rstrip("0").rstrip(".")))
    ax.set_ylabel("USD mn")
    ax.grid(alpha=0.3)


def _by_counterparty(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    return frame[column].groupby([frame.index.get_level_values("date"),
                                  frame["counterparty"]]).sum().unstack("counterparty")


def plot_exchanged_im(series: Any, path: str | os.PathLike[str], *, model: str = "",
                      episodes: Episodes = (), max_panels: int = 8) -> Path:
    """Exchanged IM through time: a panel of the aggregate over every netting set, then one
    per counterparty (the ``max_panels`` largest) with the IM collected and posted (solid),
    the model IM of each side (dotted) and the threshold allocated to the counterparty
    (dashed, when it is not zero); the legend in a panel of its own."""
    frame = series.by_netting_set
    held = {side: _by_counterparty(frame, side) for side in _SIDE}
    model_im = {"collected": _by_counterparty(frame, "im_call"),
                "posted": _by_counterparty(frame, "im_post")}
    limit = _by_counterparty(frame, "threshold_call")
    first = frame.index.get_level_values("date")[0]
    n_sets = frame.xs(first, level="date")["counterparty"].value_counts()
    size = (held["collected"] + held["posted"]).mean().sort_values(ascending=False)
    shown = list(size.index[:max_panels])
    panels = [None, *shown]
    cols = 2 if len(panels) <= 3 else 3
    full = -(-len(panels) // cols)  # rows of panels
    spare = len(panels) % cols != 0  # the legend goes in the last row's free slot
    rows = full if spare else full + 1  # else in a short row of its own
    ratios = [1.0] * full + ([] if spare else [0.35])
    fig, grid = layout.subplots(rows, cols, figsize=(4.6 * cols, 2.7 * sum(ratios) + 0.5),
                                squeeze=False, gridspec_kw={"height_ratios": ratios})
    axes = grid.ravel()
    index = held["collected"].index
    for k, (ax, cp) in enumerate(zip(axes, panels, strict=False)):
        layout.shade_episodes(ax, episodes, index[0], index[-1],
                              label_on=ax if k == 0 else None)
        for side, role in _SIDE.items():
            got = held[side].sum(axis=1) if cp is None else held[side][cp]
            im = model_im[side].sum(axis=1) if cp is None else model_im[side][cp]
            ax.plot(index, got, color=ROLES[role], lw=1.4)
            ax.plot(index, im, color=ROLES[role], lw=0.9, ls=":")
        sets = int(n_sets.sum()) if cp is None else int(n_sets.get(cp, 0))
        title = f"{'all counterparties' if cp is None else cp}: {sets} netting set" + (
            "s" if sets > 1 else "")
        if cp is not None:
            if (limit[cp] > 0).any():
                ax.plot(index, limit[cp], color=ROLES["threshold"], lw=0.9, ls="--")
            else:
                title += ", threshold 0"
        ax.set_title(title, loc="left", fontsize=9)
        _money(ax)
        layout.date_axis(ax)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
    legend_ax = axes[len(panels)]
    legend_ax.set_axis_off()
    handles = [Line2D([], [], color=ROLES["im collected"], lw=1.4, label="IM collected"),
               Line2D([], [], color=ROLES["im collected"], lw=0.9, ls=":",
                      label="model IM, call side"),
               Line2D([], [], color=ROLES["im posted"], lw=1.4, label="IM posted"),
               Line2D([], [], color=ROLES["im posted"], lw=0.9, ls=":",
                      label="model IM, post side"),
               Line2D([], [], color=ROLES["threshold"], lw=0.9, ls="--",
                      label="threshold allocated to the counterparty"),
               layout.episode_patch()]
    legend = legend_ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8,
                              ncol=1 if spare else 3)
    legend.set_in_layout(False)  # it may reach into the hidden slots beside it
    for ax in axes[len(panels) + 1:]:
        ax.set_visible(False)
    others = len(size) - len(shown)
    fig.suptitle("Exchanged initial margin per counterparty" + (f", {model}" if model else "")
                 + (f" ({others} smaller counterparties in the aggregate only)"
                    if others > 0 else ""), x=0.01, ha="left", fontsize=11)
    return layout.save(fig, path)


def plot_aggregate_calls(series: Any, path: str | os.PathLike[str], *, model: str = "",
                         episodes: Episodes = ()) -> Path:
    """Collateral calls per IM date: what we deliver (IM posted, VM paid; up) and what we
    receive (IM collected, VM received; down); the title gives the largest 1-, 5- and
    20-date sums of the calls we pay."""
    agg = series.aggregate.iloc[1:]
    fig, ax = layout.subplots(figsize=(12, 4.6))
    if len(agg):
        layout.shade_episodes(ax, episodes, agg.index[0], agg.index[-1], label_on=ax)
    width = max(1.0, 0.8 * float(np.median(np.diff(agg.index.values).astype(
        "timedelta64[D]").astype(float)))) if len(agg) > 1 else 1.0
    ax.bar(agg.index, agg["im_calls_out"], width=width, color=ROLES["im posted"],
           label="IM we post")
    ax.bar(agg.index, agg["vm_calls_out"], width=width, bottom=agg["im_calls_out"],
           color=ROLES["vm paid"], label="VM we pay")
    ax.bar(agg.index, -agg["im_calls_in"], width=width, color=ROLES["im collected"],
           label="IM we collect")
    ax.bar(agg.index, -agg["vm_calls_in"], width=width, bottom=-agg["im_calls_in"],
           color=ROLES["vm received"], label="VM we receive")
    ax.axhline(0, color=ROLES["threshold"], lw=0.6)
    peaks = series.peaks
    text = " / ".join(f"{peaks.loc[d, 'calls_out'] / 1e6:,.1f}" for d in peaks.index)
    days = " / ".join(str(d) for d in peaks.index)
    ax.set_title(f"Collateral calls per IM date{', ' + model if model else ''}: paid (up), "
                 f"received (down); largest sums paid over {days} IM dates: {text} USD mn",
                 loc="left", fontsize=9)
    _money(ax)
    layout.date_axis(ax)
    handles, _ = ax.get_legend_handles_labels()
    ax.legend(handles=[*handles, layout.episode_patch()], **_OUTSIDE)
    return layout.save(fig, path)


def plot_system_view(view: Any, path: str | os.PathLike[str]) -> Path:
    """System view per model: IM dealers collect before and after thresholds (top) and the
    collateral the dealers pay per date (bottom), the episode shaded; each model in its
    palette colour."""
    fig, (top, bottom) = layout.subplots(2, 1, figsize=(12, 7), sharex=True)
    name, start, end = view.episode
    layout.shade_episodes([top, bottom], [view.episode], start, end, label_on=top)
    palette = Palette(view.summary.index)
    for label in view.summary.index:
        s = view.system.xs(label, level="model")
        color = palette.color(label)
        top.plot(s.index, s["im_call"], color=color, lw=1.6, label=f"{label}: model IM")
        top.plot(s.index, s["collected"], color=color, lw=1.0, ls="--",
                 label=f"{label}: collected")
        bottom.plot(s.index[1:], s["calls_out"].iloc[1:], color=color, lw=1.2, label=label)
    _money(top)
    _money(bottom)
    layout.date_axis(bottom)
    top.set_title(f"System view through {name.replace('_', ' ')}: IM to collect (solid) and "
                  f"collected after thresholds (dashed), {view.network.n_netting_sets} "
                  "netting sets", loc="left", fontsize=10)
    bottom.set_title("Collateral the dealers pay per date (IM posted and VM)", loc="left",
                     fontsize=10)
    top.legend(**_OUTSIDE)
    bottom.legend(**_OUTSIDE)
    return layout.save(fig, path)
