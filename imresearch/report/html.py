"""A self-contained HTML report: headings, tables and embedded PNG figures."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["html_report"]

_STYLE = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #345; padding-bottom: .2em; }
h2 { color: #345; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; margin: .6em 0 1.2em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th { background: #eef2f6; }
td:first-child, th:first-child { text-align: left; }
figure { margin: 1em 0; } figcaption { font-size: .9em; color: #555; }
img { max-width: 100%; border: 1px solid #ddd; }
pre { background: #f6f8fa; padding: .8em; overflow-x: auto; font-size: .8em; }
"""


def _table(frame: pd.DataFrame, float_format: str = "{:,.4g}") -> str:
    return frame.to_html(
        border=0, float_format=lambda v: float_format.format(v), na_rep="", escape=True
    )


def html_report(
    title: str,
    sections: Sequence[Mapping[str, Any]],
    *,
    manifest: Mapping[str, Any] | None = None,
) -> str:
    """Return a self-contained HTML page.

    Parameters
    ----------
    title : str
        Page title.
    sections : sequence of mapping
        Each with ``heading`` and any of ``text`` (str, paragraphs separated by blank lines),
        ``table`` (DataFrame), ``figure`` (path of a PNG, embedded as base64) and ``caption``.
    manifest : mapping, optional
        Shown at the end as JSON-like text.
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section['heading'])}</h2>")
        for para in str(section.get("text", "")).split("\n\n"):
            if para.strip():
                parts.append(f"<p>{html.escape(para.strip())}</p>")
        if section.get("table") is not None:
            parts.append(_table(section["table"]))
        if section.get("figure") is not None:
            data = base64.b64encode(Path(section["figure"]).read_bytes()).decode("ascii")
            caption = html.escape(section.get("caption", ""))
            parts.append(
                f"<figure><img alt='{caption}' src='data:image/png;base64,{data}'>"
                f"<figcaption>{caption}</figcaption></figure>"
            )
    if manifest is not None:
        import json

        parts.append("<h2>Manifest</h2><pre>")
        parts.append(html.escape(json.dumps(manifest, indent=2, default=str)))
        parts.append("</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)
