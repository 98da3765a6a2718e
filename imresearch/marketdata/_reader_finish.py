"""Finishing a read: windows, trimming, factor metadata, domain checks, the history."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.marketdata._reader_options import Factors, _Options
from imresearch.marketdata._reader_parse import _Levels
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory


def _specs_for(columns: Sequence[str], factors: Factors | None, source: str) -> dict:
    """Metadata of each column: ``factors`` keys are factor names or shell-style patterns
    (``IR_USD_*``); a name wins over a pattern, and the first matching pattern wins."""
    if factors is None:
        return {c: FactorSpec() for c in columns}
    if isinstance(factors, FactorSpec):
        return {c: factors for c in columns}
    patterns = [k for k in factors if k not in columns and any(ch in k for ch in "*?[")]
    unknown = [k for k in factors
               if k not in columns and (k not in patterns
                                      or not any(fnmatch.fnmatchcase(c, k) for c in columns))]
    if unknown:
        raise InputError(
            f"{source}: metadata given for factor(s) {unknown} that are not columns "
            f"({list(columns)})"
        )
    out = {}
    for c in columns:
        key = c if c in factors else next(
            (k for k in patterns if fnmatch.fnmatchcase(c, k)), None)
        out[c] = FactorSpec() if key is None else factors[key]
    return out


def _subset(levels: _Levels, keep: np.ndarray) -> _Levels:
    lines = None if levels.lines is None else levels.lines[keep]
    cells = None if levels.cell_lines is None else levels.cell_lines[keep]
    return _Levels(levels.frame.loc[keep], lines, levels.source, levels.unit, cells)


def _window(
    levels: _Levels,
    *,
    drop_empty_rows: bool,
    start: Any,
    end: Any,
    trim: bool,
    min_values: int | None = None,
) -> _Levels:
    """Drop (nearly) value-less rows, restrict to [start, end], trim to the common span."""
    needed = max(1 if drop_empty_rows else 0, min_values or 0)
    if needed:
        keep = (levels.frame.notna().sum(axis=1) >= needed).to_numpy()
        if not keep.all():
            levels = _subset(levels, keep)
    if start is not None or end is not None:
        index = levels.frame.index
        keep = np.ones(len(index), dtype=bool)
        try:
            if start is not None:
                keep &= np.asarray(index >= pd.Timestamp(start))
            if end is not None:
                keep &= np.asarray(index <= pd.Timestamp(end))
        except (TypeError, ValueError) as exc:
            raise InputError(f"start/end must be dates; got {start!r}, {end!r} ({exc})") from None
        levels = _subset(levels, keep)
    if trim and len(levels.frame):
        present = levels.frame.notna().to_numpy()
        empty_cols = [c for c, ok in zip(levels.frame.columns, present.any(axis=0)) if not ok]
        if empty_cols:
            raise InputError(
                f"{levels.source}: factor(s) {empty_cols} have no values"
                + (" between start and end" if start is not None or end is not None else "")
            )
        first = present.argmax(axis=0).max()
        last = len(present) - 1 - present[::-1].argmax(axis=0).max()
        if last < first:
            raise InputError(
                f"{levels.source}: the factors do not overlap in time (trim=True leaves no dates)"
            )
        keep = np.zeros(len(present), dtype=bool)
        keep[first : last + 1] = True
        levels = _subset(levels, keep)
    if levels.frame.empty or levels.frame.shape[0] == 0:
        raise InputError(
            f"{levels.source}: no dates left (start={start!r}, end={end!r}, "
            f"drop_empty_rows={drop_empty_rows}, min_values={min_values}, trim={trim})"
        )
    return levels


def _check_domain(levels: _Levels, specs: Mapping[str, FactorSpec]) -> None:
    """Positive levels for log/relative factors, above -displacement for displaced ones."""
    values = levels.frame.to_numpy(dtype=np.float64)
    for j, col in enumerate(levels.frame.columns):
        spec = specs[col]
        if spec.requires_positive:
            floor = 0.0
        elif spec.convention == "displaced_relative":
            floor = -spec.displacement
        else:
            continue
        bad = np.flatnonzero(values[:, j] <= floor)
        if len(bad):
            pos = int(bad[0])
            need = "> 0" if floor == 0.0 else f"> -displacement ({floor})"
            raise InputError(
                f"{levels.loc(pos, date=levels.frame.index[pos], column=col)}: level "
                f"{float(values[pos, j])!r} not allowed for a {spec.convention} factor (levels "
                f"must be {need}); give the factor the convention 'absolute' or "
                "'displaced_relative' (a study's [market.factors]), or data starting after this "
                "date"
            )


def _finish(levels: _Levels, opts: _Options, *, name: str | None) -> RiskFactorHistory:
    levels = _window(
        levels,
        drop_empty_rows=opts.drop_empty_rows,
        start=opts.start,
        end=opts.end,
        trim=opts.trim,
        min_values=opts.min_values,
    )
    specs = _specs_for(list(levels.frame.columns), opts.factors, levels.source)
    _check_domain(levels, specs)
    return RiskFactorHistory(
        levels.frame,
        specs,
        gap_policy=opts.gap_policy,  # type: ignore[arg-type]
        max_ffill=opts.max_ffill,
        max_gap=opts.max_gap,
        name=opts.name or name,
        source=levels.source,
        # a missing (date, factor) of a long file has no line of its own: name the date only
        lines=levels.lines if levels.unit == "line" and levels.cell_lines is None else None,
    )
