"""Figure plumbing shared by every report figure: pyplot-free figures, stress-episode shading
with labels that never overlap, legends outside the data, and saving.

Labels placed in an axes (episode names, SIMM version changes) are measured with the
renderer once the layout is final: each goes into the first row at the top of the axes where
it overlaps no other label, stays inside the axes, and the y range grows so the data stay
below the rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from imresearch.report.palette import EPISODE_LABEL, EPISODE_SHADE

__all__ = ["date_axis", "episode_name", "label_rows", "save", "shade_episodes",
           "subplots"]

DPI = 110
_PAD_PX = 4.0


def subplots(*args: Any, figsize: tuple[float, float], **kwargs: Any) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a Figure (with an Agg canvas, so text can be
    measured) that no backend or notebook keeps open."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*args, **kwargs)


def date_axis(ax: Axes, ticks: int = 3) -> None:
    """Concise date labels on the x axis of ``ax``: matplotlib's ``AutoDateLocator`` with
    ``minticks=ticks`` and ``maxticks=2 * ticks + 1``, a pair for which it finds an interval on
    every date range, so it never warns that it could not (and falls back to too many ticks).
    """
    locator = mdates.AutoDateLocator(minticks=ticks, maxticks=2 * ticks + 1)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def episode_name(name: str, *, synthetic: bool = False) -> str:
    """How an episode is labelled: ``covid 2020``; on a synthetic market ``like covid 2020``
    (the synthetic market's episodes are modelled on the real ones, they are not them)."""
    text = name.replace("_", " ")
    return f"like {text}" if synthetic else text


@dataclass
class _Rows:
    """Labels waiting for the final layout of their axes."""

    ax: Axes
    items: list[tuple[float, str, dict[str, Any]]]
    texts: list[Any] = field(default_factory=list)
    ylim: tuple[float, float] | None = None


def _pending(fig: Figure) -> list[_Rows]:
    if not hasattr(fig, "_imresearch_rows"):
        fig._imresearch_rows = []  # type: ignore[attr-defined]
    return fig._imresearch_rows  # type: ignore[attr-defined]


def label_rows(ax: Axes, items: Iterable[tuple[Any, str]], **text_kw: Any) -> None:
    """Queue labels at x positions (dates or numbers) for the top of ``ax``; :func:`save`
    places them in rows where none overlaps another."""
    conv = [(float(mdates.date2num(x)) if isinstance(x, (pd.Timestamp, np.datetime64))
             else float(x), str(t), {"fontsize": 7.5, "color": EPISODE_LABEL, **text_kw})
            for x, t in items]
    if conv:
        _pending(ax.figure).append(_Rows(ax, sorted(conv, key=lambda c: c[0])))


def shade_episodes(axes: Sequence[Axes] | Axes,
                   episodes: Iterable[tuple[str, pd.Timestamp, pd.Timestamp]],
                   lo: pd.Timestamp, hi: pd.Timestamp, *, label_on: Axes | None = None,
                   synthetic: bool = False) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Shade the episodes that fall in ``[lo, hi]`` on each axes; label them on ``label_on``.

    Returns the episodes drawn (clipped to the range).
    """
    axes = [axes] if isinstance(axes, Axes) else list(axes)
    shown = [(n, max(s, lo), min(e, hi)) for n, s, e in episodes if not (e < lo or s > hi)]
    for ax in axes:
        for _, s, e in shown:
            ax.axvspan(s, e, color=EPISODE_SHADE, lw=0, zorder=0)
    if label_on is not None:
        label_rows(label_on, [(s, episode_name(n, synthetic=synthetic)) for n, s, _ in shown])
    return shown


def episode_patch(synthetic: bool = False) -> Patch:
    """The legend entry of the episode shading."""
    what = "synthetic stress episode (modelled on a real one)" if synthetic else (
        "stress episode")
    return Patch(color=EPISODE_SHADE, label=what)


def _place(rows: _Rows, renderer: Any) -> None:
    ax = rows.ax
    for t in rows.texts:
        t.remove()
    rows.texts.clear()
    if rows.ylim is None:
        rows.ylim = ax.get_ylim()
    else:
        ax.set_ylim(*rows.ylim)
    box = ax.get_window_extent(renderer)
    right_edges: list[float] = []
    row_height = 0.0
    for x, text, kw in rows.items:
        t = ax.text(0, 1, text, transform=ax.transAxes, ha="left", va="top", **kw)
        ext = t.get_window_extent(renderer)
        width, row_height = ext.width, max(row_height, ext.height)
        left = ax.transData.transform((x, 0))[0]
        left = min(max(left + 2, box.x0 + _PAD_PX), box.x1 - _PAD_PX - width)
        row = next((r for r, edge in enumerate(right_edges) if left > edge + _PAD_PX),
                   len(right_edges))
        if row == len(right_edges):
            right_edges.append(left + width)
        else:
            right_edges[row] = left + width
        t.set_position(((left - box.x0) / box.width, row))
        rows.texts.append(t)
    step = (row_height + 2) / box.height
    for t in rows.texts:
        x_frac, row = t.get_position()
        t.set_position((x_frac, 1 - _PAD_PX / box.height - row * step))
    reserve = _PAD_PX / box.height + len(right_edges) * step + 0.02
    bottom, top = rows.ylim
    if ax.get_yscale() == "log":
        lb, lt = np.log10(bottom), np.log10(top)
        ax.set_ylim(bottom, 10 ** (lb + (lt - lb) / (1 - reserve)))
    else:
        ax.set_ylim(bottom, bottom + (top - bottom) / (1 - reserve))


def save(fig: Figure, path: str | os.PathLike[str], *, dpi: int = DPI) -> Path:
    """Lay ``fig`` out, place its queued labels (twice: the second time on the final layout)
    and write it as PNG."""
    fig.tight_layout()
    pending = _pending(fig)
    if pending:
        renderer = fig.canvas.get_renderer()
        for rows in pending:
            _place(rows, renderer)
        fig.tight_layout()
        renderer = fig.canvas.get_renderer()
        for rows in pending:
            _place(rows, renderer)
    out = Path(path)
    fig.savefig(out, dpi=dpi)
    return out
