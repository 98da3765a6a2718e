"""Checks that a reader would make of any report figure, on the figure objects themselves.

``figures`` (a fixture in ``tests/conftest.py``) keeps every figure the report modules make;
:func:`check_text` draws one and measures its text with the renderer.
"""

from __future__ import annotations

from itertools import combinations
from typing import Any

import matplotlib.colors as mcolors
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

TOLERANCE_PX = 1.0


def _boxes(fig: Figure) -> list[tuple[str, Bbox, Any]]:
    """(what, box, axes or None) of every text a reader reads inside the figure: labels placed
    in axes, legends (one box each), titles and the figure title."""
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                out.append((f"text {t.get_text()!r}", t.get_window_extent(renderer), ax))
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            out.append(("legend", legend.get_window_extent(renderer), None))
        for title in (ax.title, ax._left_title, ax._right_title):
            if title.get_text().strip():
                out.append((f"title {title.get_text()!r}", title.get_window_extent(renderer),
                            None))
    if fig._suptitle is not None and fig._suptitle.get_text().strip():
        out.append(("suptitle", fig._suptitle.get_window_extent(renderer), None))
    return out


def _overlap(a: Bbox, b: Bbox) -> bool:
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE_PX
            and min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE_PX)


def _inside(inner: Bbox, outer: Bbox) -> bool:
    t = TOLERANCE_PX
    return (inner.x0 >= outer.x0 - t and inner.x1 <= outer.x1 + t
            and inner.y0 >= outer.y0 - t and inner.y1 <= outer.y1 + t)


def check_text(fig: Figure) -> None:
    """Every text is inside the figure, every label placed in an axes inside that axes, and
    no two texts (labels, legends, titles) overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes = _boxes(fig)
    for what, box, ax in boxes:
        assert _inside(box, page), f"{what} is cut at the figure edge: {box} vs {page}"
        if ax is not None:
            frame = ax.get_window_extent(renderer)
            assert _inside(box, frame), f"{what} sticks out of its axes: {box} vs {frame}"
    for (w1, b1, _), (w2, b2, _) in combinations(boxes, 2):
        assert not _overlap(b1, b2), f"{w1} overlaps {w2}"


def check_legends_clear(fig: Figure) -> None:
    """No legend covers a line of its own axes (data or reference line)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        for line in ax.get_lines():
            path = line.get_transform().transform_path(line.get_path())
            assert not (line.get_visible() and path.intersects_bbox(box, filled=False)), (
                f"the legend covers the line {line.get_label()!r}")


def line_colors(fig: Figure) -> dict[str, str]:
    """Colour (hex) of each labelled line of ``fig``, by label (first occurrence)."""
    out: dict[str, str] = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            label = line.get_label()
            if not label.startswith("_"):
                out.setdefault(label, mcolors.to_hex(line.get_color()))
    return out
