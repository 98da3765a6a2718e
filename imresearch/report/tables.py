"""Tables as a reader sees them: human column names with units, fixed decimals, thousands
separators, the index as an ordinary first column (no stray header row of its name).

>>> show(frame, {"im": mn("IM"), "traffic_light": text("zone")}, index="model")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

__all__ = ["Col", "count", "date", "mn", "number", "pct", "show", "text"]


@dataclass(frozen=True)
class Col:
    """How one column is shown: its ``name`` (with units), a ``fmt`` for numbers and a
    ``scale`` applied first (1e-6 for USD mn)."""

    name: str
    fmt: str = "{:,.2f}"
    scale: float = 1.0

    def cell(self, value: Any) -> str:
        """One value as text: blank for missing values, numbers scaled and formatted."""
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ""
        if isinstance(value, (bool, str)):
            return str(value)
        if isinstance(value, pd.Timestamp):
            return f"{value:%Y-%m-%d}"
        try:
            return self.fmt.format(float(value) * self.scale)
        except (TypeError, ValueError):
            return str(value)


def mn(name: str, decimals: int = 1) -> Col:
    """An amount in USD shown in USD mn: ``name, USD mn``."""
    return Col(f"{name}, USD mn", f"{{:,.{decimals}f}}", 1e-6)


def pct(name: str, decimals: int = 1) -> Col:
    """A fraction shown in percent: ``name, %``."""
    return Col(f"{name}, %", f"{{:,.{decimals}f}}", 100.0)


def number(name: str, decimals: int = 2) -> Col:
    """A plain number with ``decimals`` decimals and thousands separators."""
    return Col(name, f"{{:,.{decimals}f}}")


def count(name: str) -> Col:
    """A whole number with thousands separators."""
    return Col(name, "{:,.0f}")


def text(name: str) -> Col:
    """Text as it is."""
    return Col(name, "{}")


def date(name: str) -> Col:
    """A date as YYYY-MM-DD."""
    return Col(name, "{}")


def show(frame: pd.DataFrame, columns: Mapping[str, Col] | None = None, *,
         index: str | None = None) -> pd.DataFrame:
    """``frame`` as text for a report: the index (if ``index`` names it) as the first column,
    then ``columns`` in their order (all columns, numbers with 4 significant digits, if
    None); returns a DataFrame of strings on a plain RangeIndex."""
    if columns is None:
        columns = {str(c): Col(str(c), "{:,.4g}") for c in frame.columns}
    names = [index, *(c.name for k, c in columns.items() if k in frame.columns)]
    twice = sorted({n for n in names if n is not None and names.count(n) > 1})
    if twice:
        raise ValueError(f"show: column name(s) {twice} given twice")
    out = {}
    if index is not None:
        out[index] = [Col(index, "{}").cell(v) for v in frame.index]
    for key, col in columns.items():
        if key in frame.columns:
            out[col.name] = [col.cell(v) for v in frame[key]]
    return pd.DataFrame(out)
