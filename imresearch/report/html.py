"""A self-contained HTML report: a title, a lead paragraph, a table of contents, sections with
text, tables and embedded PNG figures, and the manifest collapsed at the end.

Tables are shown as given (build them with :mod:`imresearch.report.tables` for human column
names, units and thousands separators); the index is shown as a first column only when it is
not a plain row number, so no stray header row appears. Wide tables scroll inside their box.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["html_report"]

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1.5em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #345; padding-bottom: .2em; font-size: 1.7em; }
h2 { color: #345; margin-top: 1.8em; border-bottom: 1px solid #dde3ea; }
h3 { color: #345; margin-top: 1.2em; }
p.lead { background: #f4f6f9; border-left: 4px solid #345; padding: .6em 1em; }
nav.toc { font-size: .9em; columns: 2; background: #fafbfc; border: 1px solid #e3e8ee;
          padding: .5em 1em; }
nav.toc ol { margin: 0; } nav.toc li { break-inside: avoid; }
section.summary { border: 1px solid #c9d3de; background: #fbfcfe; padding: 0 1em .5em 1em; }
.scroll { overflow-x: auto; max-width: 100%; margin: .6em 0 1.2em 0; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; white-space: nowrap; }
th { background: #eef2f6; white-space: normal; min-width: 4em; }
td.long { white-space: normal; text-align: left; min-width: 16em; max-width: 36em; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figcaption { font-size: .9em; color: #555; }
p.note { font-size: .92em; color: #333; border-left: 3px solid #f07f09; padding-left: .7em; }
img { max-width: 100%; border: 1px solid #ddd; }
details { margin-top: 2em; } summary { cursor: pointer; color: #345; font-weight: bold; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .8em; }
"""


def _number(v: float) -> str:
    """A float as text: thousands separators, never scientific notation for amounts."""
    if pd.isna(v):
        return ""
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:,.4g}"


_LONG_CELL = re.compile(r"<td>([^<]{48,})</td>")


def _table(frame: pd.DataFrame) -> str:
    """A table without the pandas index-name header row; numbers with separators."""
    if not isinstance(frame.index, pd.RangeIndex):
        frame = frame.reset_index()
    formatters = {c: _number for c in frame.columns if pd.api.types.is_float_dtype(frame[c])}
    body = frame.to_html(border=0, index=False, na_rep="", escape=True, formatters=formatters)
    body = _LONG_CELL.sub(r"<td class='long'>\1</td>", body)  # long text wraps
    return f"<div class='scroll'>{body}</div>"


def _anchor(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    name, k = base, 2
    while name in used:
        name, k = f"{base}-{k}", k + 1
    used.add(name)
    return name


def _section(section: Mapping[str, Any], anchor: str) -> list[str]:
    level = int(section.get("level", 2))
    parts = [f"<h{level} id='{anchor}'>{html.escape(section['heading'])}</h{level}>"]
    for para in str(section.get("text", "")).split("\n\n"):
        if para.strip():
            parts.append(f"<p>{html.escape(para.strip())}</p>")
    if section.get("bullets"):
        parts.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section["bullets"])
                     + "</ul>")
    if section.get("table") is not None:
        parts.append(_table(section["table"]))
    if section.get("figure") is not None:
        data = base64.b64encode(Path(section["figure"]).read_bytes()).decode("ascii")
        caption = html.escape(section.get("caption", ""))
        parts.append(f"<figure><img alt='{caption}' src='data:image/png;base64,{data}'>"
                     f"<figcaption>{caption}</figcaption></figure>")
    if section.get("note"):
        parts.append(f"<p class='note'>{html.escape(section['note'])}</p>")
    return parts


def html_report(
    title: str,
    sections: Sequence[Mapping[str, Any]],
    *,
    manifest: Mapping[str, Any] | None = None,
    lead: str | None = None,
    toc: bool = True,
) -> str:
    """Return a self-contained HTML page.

    Parameters
    ----------
    title : str
        Page title.
    sections : sequence of mapping
        Each with ``heading`` and any of ``text`` (str, paragraphs separated by blank lines),
        ``bullets`` (list of str), ``table`` (DataFrame, shown as given), ``figure`` (path of
        a PNG, embedded as base64), ``caption``, ``note`` (what to look for, after the
        figure), ``level`` (2, default, or 3) and ``id`` (the anchor). A section with
        ``id="summary"`` is boxed.
    manifest : mapping, optional
        Shown at the end as JSON, collapsed.
    lead : str, optional
        A paragraph under the title (what the report runs on).
    toc : bool
        A table of contents of the level-2 sections (when there are more than two).
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if lead:
        parts.append(f"<p class='lead'>{html.escape(lead)}</p>")
    used: set[str] = set()
    anchors = [_anchor(str(s.get("id") or s["heading"]), used) for s in sections]
    top = [(a, s) for a, s in zip(anchors, sections, strict=True) if int(s.get("level", 2)) == 2]
    if toc and len(top) > 2:
        items = "".join(f"<li><a href='#{a}'>{html.escape(s['heading'])}</a></li>"
                        for a, s in top)
        if manifest is not None:
            items += "<li><a href='#manifest'>Manifest</a></li>"
        parts.append(f"<nav class='toc'><b>Contents</b><ol>{items}</ol></nav>")
    for anchor, section in zip(anchors, sections, strict=True):
        body = _section(section, anchor)
        if section.get("id") == "summary":
            body = ["<section class='summary'>", *body, "</section>"]
        parts.extend(body)
    if manifest is not None:
        parts.append("<details id='manifest'><summary>Manifest: inputs with their hashes, "
                     "settings, seed, code and package versions, every file written"
                     "</summary><pre>")
        parts.append(html.escape(json.dumps(manifest, indent=2, default=str)))
        parts.append("</pre></details>")
    parts.append("</body></html>")
    return "\n".join(parts)
