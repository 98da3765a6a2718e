"""Figure of an episode replay (Agg, PNG)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
from matplotlib.ticker import FuncFormatter

from imresearch.errors import InputError
from imresearch.report import layout
from imresearch.report.palette import ACCENT, EPISODE_SHADE, REALISED, Palette

__all__ = ["plot_replay"]


def _money(x: float, _pos: Any = None) -> str:
    a = abs(x)
    if a >= 1e9:
        return f"{x / 1e9:.1f}bn"
    if a >= 1e6:
        return f"{x / 1e6:.3g}m"
    if a >= 1e3:
        return f"{x / 1e3:.0f}k"
    return f"{x:.0f}"


def plot_replay(result: Any, path: str | os.PathLike[str], *,
                models: Sequence[str] | None = None, tool: str | None = None,
                log: bool | None = None, palette: Palette | None = None) -> Path:
    """IM paths per model through an episode, with realised losses and exceptions.

    Top panel: the daily IM of each model (or of each model charged with ``tool``), the episode
    shaded, the realised ``horizon``-day loss from each date (grey, losses only) and each
    model's exceptions (loss above its IM) marked with its colour. Bottom panel: daily margin
    calls of each model (IM increases, bars).

    Parameters
    ----------
    result : ReplayResult
    path : path-like
        PNG file to write.
    models : sequence of str, optional
        Model columns to draw. Default all models of the result.
    tool : str, optional
        Draw ``model | tool`` columns instead of the plain models.
    log : bool, optional
        Logarithmic IM axis; default when the models differ by more than 10x.
    palette : Palette, optional
        Styles of the models (default: from their labels, as in every other figure).
    """
    names = list(models) if models is not None else result.models
    cols = [n if tool is None else f"{n} | {tool}" for n in names]
    missing = [c for c in cols if c not in result.im.columns]
    if missing:
        raise InputError(f"plot_replay: no IM column {missing[0]!r}; the replay has "
                         f"{list(result.im.columns)}")
    im = result.im[cols]
    loss = (-result.pnl).clip(lower=0)
    palette = palette or Palette(names)
    colors = [palette.color(n) for n in names]
    # a pyplot-free Figure: no global backend switch, no figure left open in notebooks
    fig, (ax, axc) = layout.subplots(2, 1, figsize=(12, 7.5), sharex=True,
                                     gridspec_kw={"height_ratios": [3, 1]})
    ep = result.episode
    for a in (ax, axc):
        a.axvspan(ep.start, ep.end, color=EPISODE_SHADE, lw=0, zorder=0)
    horizon = str(result.pnl.name or "").rpartition("_")[2] or "horizon"
    ax.fill_between(loss.index, 0, loss.to_numpy(), color=REALISED, alpha=0.6, lw=0, zorder=1,
                    label=f"realised {horizon} loss from each date")
    if ep.peak is not None:
        for a in (ax, axc):
            a.axvline(ep.peak, color=ACCENT, lw=0.8, ls=":", zorder=2)
    for k, (name, col) in enumerate(zip(names, cols, strict=True)):
        c = colors[k]
        ax.plot(im.index, im[col].to_numpy(), label=name, zorder=3,
                **{**palette[name].line(), "lw": 1.8})
        exc = result.exceptions[col].fillna(False).astype(bool)
        if exc.any():
            ax.scatter(exc.index[exc], loss[exc], marker="x", s=36, color=c, zorder=4,
                       linewidths=1.5)
    positive = im.to_numpy()[im.to_numpy() > 0]
    if log is None:
        log = positive.size > 0 and positive.max() / positive.min() > 10
    if log:
        ax.set_yscale("log")
        # losses far below every IM are not the story: keep the axis on the IM range
        ax.set_ylim(bottom=0.25 * positive.min())
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.set_ylabel("IM and realised loss (USD)")
    title = f"{ep.title}: IM by model" + (f" with {tool}" if tool else "")
    ax.set_title(title + "\nshaded: the episode; dotted: its peak; x: a loss above that "
                 "model's IM", fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              borderaxespad=0.0)
    ax.grid(alpha=0.3)
    width = 0.8 / max(len(cols), 1)
    x = mdates.date2num(im.index.to_pydatetime())
    for k, col in enumerate(cols):
        calls = result.calls[col].clip(lower=0).fillna(0.0)
        axc.bar(x + (k - len(cols) / 2) * width, calls.to_numpy(), width=width,
                color=colors[k])
    axc.yaxis.set_major_formatter(FuncFormatter(_money))
    axc.set_ylabel("daily IM call")
    axc.grid(alpha=0.3)
    axc.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    for label in axc.get_xticklabels():
        label.set(rotation=30, ha="right")
    return layout.save(fig, path, dpi=120)
