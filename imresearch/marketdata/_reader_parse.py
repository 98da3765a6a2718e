"""From the cells of a file (Arrow columns) to levels: dates, numbers, order, wide and long layouts.

Text columns are parsed in Arrow (trimmed, missing-value markers, decimal marks, thousands
separators) block by block, and dates once per distinct text, so memory stays close to the
size of the columns read. Every bad cell is an :class:`~imresearch.errors.InputError` naming
the file, line, date, column and value.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from imresearch.errors import InputError
from imresearch.marketdata._reader_files import _Table, numbers_of_text
from imresearch.marketdata._reader_options import (
    _FACTOR_COLUMN_NAMES,
    _VALUE_COLUMN_NAMES,
    DATE_COLUMN_NAMES,
    Columns,
    _Options,
)

_ISO_WITH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]")


@dataclass
class _Levels:
    """Parsed levels in ascending date order, before the gap policy (internal)."""

    frame: pd.DataFrame  # float64, DatetimeIndex ascending, one column per factor
    lines: np.ndarray | None  # 1-based line/row number of each row, or None
    source: str
    unit: str = "line"
    cell_lines: np.ndarray | None = None  # long layout: line of each (date, factor) value

    def line_of(self, pos: int, column: Any = None) -> int | None:
        if self.cell_lines is not None:
            if column is None:
                return None
            line = int(self.cell_lines[pos, self.frame.columns.get_loc(column)])
            return line or None
        return None if self.lines is None else int(self.lines[pos])

    def loc(self, pos: int | None, *, date: Any = None, column: Any = None) -> str:
        parts = [self.source]
        line = None if pos is None else self.line_of(pos, column)
        if line is not None:
            parts.append(f"{self.unit} {line}")
        if date is not None:
            parts.append(f"date {pd.Timestamp(date):%Y-%m-%d}")
        if column is not None:
            parts.append(f"column {column!r}")
        return ", ".join(parts)


# ---------------------------------------------------------------------- columns
def find_column(table: _Table, wanted: str, what: str) -> str:
    columns = table.columns
    if wanted in columns:
        return wanted
    folded = {str(c).strip().lower(): c for c in columns}
    if str(wanted).strip().lower() in folded:
        return folded[str(wanted).strip().lower()]
    raise InputError(f"{table.source}: no {what} {wanted!r}; columns found: {columns}")


def _auto_column(table: _Table, names: Sequence[str]) -> str | None:
    folded = {str(c).strip().lower(): c for c in table.columns}
    for name in names:
        if name in folded:
            return folded[name]
    return None


def date_column(table: _Table, opts: _Options) -> tuple[str, bool]:
    """The date column and whether it was guessed as the first column."""
    if opts.date_column is not None:
        return find_column(table, opts.date_column, "date column"), False
    found = _auto_column(table, DATE_COLUMN_NAMES)
    if found is not None:
        return found, False
    return table.columns[0], True


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed text of a column ('' where null)."""
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        column = pc.cast(column, pa.string())
    return pc.fill_null(pc.utf8_trim_whitespace(column), "")


def _distinct(column: pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """Distinct trimmed texts of a column and the index of each record's text in them."""
    if pa.types.is_dictionary(column.type):  # unified dictionary: one for every chunk
        words = column.chunk(0).dictionary if column.num_chunks else pa.array([], pa.string())
        index = np.concatenate([c.indices.to_numpy(zero_copy_only=False)
                                for c in column.chunks]) if column.num_chunks else np.empty(
            0, np.int64)
        texts = [("" if w is None else w.strip()) for w in words.to_pylist()]
        unique = list(dict.fromkeys(texts))
        if len(unique) < len(texts):  # texts equal once trimmed
            where = {t: i for i, t in enumerate(unique)}
            remap = np.array([where[t] for t in texts], dtype=np.int32)
            index = remap[index]
        return unique, index
    text = _text(column)
    distinct = pc.unique(text)
    index = pc.index_in(text, value_set=distinct).to_numpy(zero_copy_only=False)
    return distinct.to_pylist(), index


def _cell(table: _Table, column: str, pos: int) -> Any:
    return table.cells.column(column)[pos].as_py()


# ---------------------------------------------------------------------- dates
def _dates_of_texts(texts: pd.Series, opts: _Options) -> pd.DatetimeIndex:
    """Parse distinct date texts (NaT where unreadable); time of day and zone dropped."""
    if opts.date_format is None:
        with_time = texts.str.match(_ISO_WITH_TIME.pattern)
        texts = texts.where(~with_time, texts.str.slice(0, 10))  # daily data: drop time, zone

    def parse(**kwargs: Any) -> pd.DatetimeIndex:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                return pd.DatetimeIndex(pd.to_datetime(texts, errors="coerce", **kwargs))
        except (ValueError, TypeError, OverflowError):  # mixed zones, out of range...
            out = []
            for text in texts:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", UserWarning)
                        stamp = pd.Timestamp(pd.to_datetime(text, **kwargs))
                    out.append(stamp.tz_localize(None) if stamp.tzinfo else stamp)
                except (ValueError, TypeError, OverflowError):
                    out.append(pd.NaT)
            return pd.DatetimeIndex(out)

    if opts.date_format is not None:
        return parse(format=opts.date_format)
    parsed = parse(format="ISO8601")
    if parsed.isna().any():
        other = parse(dayfirst=opts.dayfirst)
        if other.isna().sum() < parsed.isna().sum():
            parsed = other
    return parsed


def _bad_date(table: _Table, column: str, opts: _Options, guessed: bool, pos: int) -> InputError:
    hint = (
        f"expected format {opts.date_format!r}"
        if opts.date_format
        else "pass date_format= (e.g. '%d/%m/%Y') or dayfirst=True"
    )
    if guessed:
        hint = (
            f"no date column found (looked for {', '.join(DATE_COLUMN_NAMES)}), so the "
            f"first column was used; columns found: {table.columns}; pass date_column="
        )
    return InputError(
        f"{table.loc(pos, column=column)}: cannot read date {_cell(table, column, pos)!r} "
        f"({hint})"
    )


def _text_dates(table: _Table, column: str, opts: _Options,
                guessed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Dates of a text column, parsed once per distinct text: the distinct dates
    (datetime64[ns]) and each record's index into them; raises naming the first bad record."""
    distinct, index = _distinct(table.cells.column(column))
    texts = pd.Series(distinct, dtype=object)
    parsed = _dates_of_texts(texts.astype(str), opts)
    if parsed.tz is not None:
        parsed = parsed.tz_localize(None)
    empty = (texts == "").to_numpy()
    missing = np.flatnonzero(empty[index]) if empty.any() else []
    if len(missing):
        raise InputError(f"{table.loc(int(missing[0]), column=column)}: missing date")
    bad = np.asarray(pd.isna(parsed))
    wrong = np.flatnonzero(bad[index]) if bad.any() else []
    if len(wrong):
        raise _bad_date(table, column, opts, guessed, int(wrong[0]))
    parsed = parsed.where(~bad, pd.Timestamp("2000-01-01"))  # texts no record uses any more
    try:
        return parsed.normalize().as_unit("ns").to_numpy(), index
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InputError(
            f"{table.loc(None, column=column)}: dates outside 1678..2261 "
            f"(first {parsed.min()}, last {parsed.max()})"
        ) from None


class _DateOf:
    """The date of record ``pos`` from sorted distinct days and each record's day rank."""

    def __init__(self, days: np.ndarray, rank: np.ndarray) -> None:
        self.days, self.rank = days, rank

    def __getitem__(self, pos: int) -> np.datetime64:
        return self.days[self.rank[pos]]


def date_ranks(table: _Table, column: str, opts: _Options,
               guessed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct dates of ``column`` and the rank of each record's date among them.

    Equivalent to ``numpy.unique(parse_dates(...), return_inverse=True)`` without a
    full-size array of dates (long files repeat each date once per factor).
    """
    raw = table.cells.column(column)
    if pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type):
        days, rank = np.unique(parse_dates(table, column, opts, guessed), return_inverse=True)
        return days, rank.astype(np.int32)
    stamps, index = _text_dates(table, column, opts, guessed)
    used = np.unique(index)  # texts of records dropped as blank stay in the dictionary
    days, rank_of = np.unique(stamps[used], return_inverse=True)
    rank = np.zeros(len(stamps), dtype=np.int32)
    rank[used] = rank_of
    return days, rank[index]


def parse_dates(table: _Table, column: str, opts: _Options, guessed: bool) -> np.ndarray:
    """Dates of ``column`` as datetime64[ns]; raise naming the line of the first bad one."""
    raw = table.cells.column(column)
    if pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type):
        dates = pd.DatetimeIndex(raw.to_pandas())
        if dates.tz is not None:
            dates = dates.tz_localize(None)
        empty = np.asarray(pd.isna(dates))
        parsed = dates
    else:
        stamps, index = _text_dates(table, column, opts, guessed)
        return stamps[index]
    missing = np.flatnonzero(empty)
    if len(missing):
        raise InputError(f"{table.loc(int(missing[0]), column=column)}: missing date")
    bad = np.flatnonzero(np.asarray(pd.isna(parsed)))
    if len(bad):
        raise _bad_date(table, column, opts, guessed, int(bad[0]))
    try:
        return parsed.normalize().as_unit("ns").to_numpy()
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InputError(
            f"{table.loc(None, column=column)}: dates outside 1678..2261 "
            f"(first {parsed.min()}, last {parsed.max()})"
        ) from None


# ---------------------------------------------------------------------- numbers
def _numbers_of_chunk(chunk: pa.Array, opts: _Options, na_set: pa.Array) -> np.ndarray:
    return numbers_of_text(chunk, na_set, opts.thousands, opts.decimal)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_numbers(table: _Table, column: str, opts: _Options, dates: np.ndarray) -> np.ndarray:
    """Values of ``column`` as float64 (NaN where missing); raise naming the first bad cell."""
    raw = table.cells.column(column)
    if column in table.bad:  # found while streaming the file
        pos, text = table.bad[column]
        problem = (f"value {text!r} is not a finite number" if _is_number(text)
                   else f"not a number: {text!r}")
        raise InputError(f"{table.loc(pos, date=dates[pos], column=column)}: {problem}")
    if pa.types.is_boolean(raw.type):
        raise InputError(f"{table.loc(None, column=column)}: boolean values are not levels")
    if pa.types.is_integer(raw.type) or pa.types.is_floating(raw.type):
        values = raw.to_numpy().astype(np.float64)
    else:
        if not (pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type)):
            raw = pc.cast(raw, pa.string())
        na_set = pa.array(sorted({v.strip().lower() for v in opts.na_values}), pa.string())
        parts = []
        start = 0
        for chunk in raw.chunks:
            try:
                parts.append(_numbers_of_chunk(chunk, opts, na_set))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                good = _numbers_of_chunk_slowly(chunk, opts, na_set)
                pos = start + int(np.flatnonzero(np.isnan(good[0]) & ~good[1])[0])
                raise InputError(
                    f"{table.loc(pos, date=dates[pos], column=column)}: not a number: "
                    f"{_cell(table, column, pos)!r}"
                ) from None
            start += len(chunk)
        values = np.concatenate(parts) if parts else np.empty(0)
    infinite = np.flatnonzero(np.isinf(values))
    if len(infinite):
        pos = int(infinite[0])
        raise InputError(
            f"{table.loc(pos, date=dates[pos], column=column)}: value "
            f"{_cell(table, column, pos)!r} is not a finite number"
        )
    return values


def _numbers_of_chunk_slowly(chunk: pa.Array, opts: _Options,
                             na_set: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Cell by cell (error path): values and the missing-value mask."""
    texts = [("" if t is None else t.strip()) for t in chunk.to_pylist()]
    na_values = set(na_set.to_pylist())
    values = np.full(len(texts), np.nan)
    na = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        if text.lower() in na_values:
            na[i] = True
            continue
        if opts.thousands:
            text = text.replace(opts.thousands, "")
        if opts.decimal != ".":
            text = text.replace(opts.decimal, ".")
        try:
            values[i] = float(pc.cast(pa.array([text]), pa.float64())[0].as_py())
        except (pa.ArrowInvalid, TypeError):
            pass
    return values, na


# ---------------------------------------------------------------------- order
def check_order(
    table: _Table,
    dates: Any,
    order: str,
    codes: np.ndarray | None = None,
    names: Sequence[str] | None = None,
    stamps: np.ndarray | None = None,
) -> bool:
    """Check strict monotonicity (per factor key in long files); return True if descending.

    ``dates[pos]`` is the date of record ``pos``; ``stamps`` (default: the dates as integers)
    are numbers in the same order as the dates, e.g. their ranks.
    """
    if stamps is None:
        stamps = np.asarray(dates).astype("datetime64[ns]").astype(np.int64)
    n = len(stamps)
    if n < 2:
        return order == "descending"
    keys = np.zeros(n, np.int32) if codes is None else codes
    pair = np.lexsort((np.arange(n), stamps, keys))
    same = (keys[pair][1:] == keys[pair][:-1]) & (stamps[pair][1:] == stamps[pair][:-1])
    if same.any():
        dups = pair[1:][same]
        firsts = pair[:-1][same]
        k = int(np.argmin(dups))
        pos, first = int(dups[k]), int(firsts[k])
        what = "" if codes is None else f" for factor {names[codes[pos]]!r}"
        raise InputError(
            f"{table.loc(pos, date=dates[pos])}: duplicate date{what} (also on "
            f"{table.unit} {int(table.lines[first])})"
        )
    if codes is None:
        prev = np.arange(-1, n - 1)
        step = np.diff(stamps, prepend=stamps[0])
        valid = np.arange(n) > 0
    else:
        order_idx = np.argsort(keys, kind="stable")
        k_sorted = keys[order_idx]
        prev = np.full(n, -1)
        same_key = np.r_[False, k_sorted[1:] == k_sorted[:-1]]
        prev[order_idx[1:][same_key[1:]]] = order_idx[:-1][same_key[1:]]
        valid = prev >= 0
        step = np.where(valid, stamps - stamps[np.maximum(prev, 0)], 0)
    ups = int((step[valid] > 0).sum())
    downs = int((step[valid] < 0).sum())
    if order == "ascending" or (order == "auto" and ups >= downs):
        descending, wrong = False, valid & (step < 0)
    else:
        descending, wrong = True, valid & (step > 0)
    if wrong.any():
        pos = int(np.flatnonzero(wrong)[0])
        before = int(prev[pos])
        direction = "descending" if descending else "ascending"
        if order == "auto":
            rule = (
                "dates must be strictly ascending or strictly descending (date_order='auto'); "
                f"the file is mostly {direction}"
            )
        else:
            rule = f"dates must be strictly {direction} (date_order={order!r})"
        what = "" if codes is None else f" of factor {names[codes[pos]]!r}"
        raise InputError(
            f"{table.loc(pos, date=dates[pos])}: date out of order{what} (previous "
            f"{table.unit} {int(table.lines[before])} has {pd.Timestamp(dates[before]):%Y-%m-%d});"
            f" {rule}"
        )
    return descending


# ---------------------------------------------------------------------- layouts
def selection(columns: Columns | None, available: list[str], source: str, what: str) -> dict:
    """Map of source column/key -> factor name, in the requested order."""
    if columns is None:
        return {c: c for c in available}
    mapping = (
        {str(k): str(v) for k, v in columns.items()}
        if isinstance(columns, Mapping)
        else {str(c): str(c) for c in columns}
    )
    if not mapping:
        raise InputError(f"{source}: columns= selects no {what}")
    missing = [c for c in mapping if c not in available]
    if missing:
        shown = available if len(available) <= 40 else [*available[:40], "..."]
        raise InputError(f"{source}: no {what} {missing[0]!r}; {what}s found: {shown}")
    names = list(mapping.values())
    dup = next((v for v in names if names.count(v) > 1), None)
    if dup is not None:
        raise InputError(f"{source}: columns= gives the factor name {dup!r} twice")
    return mapping


def needed_columns(table: _Table, opts: _Options) -> tuple[list[str], list[str]]:
    """The columns a read with these options uses, and which of them hold numbers.

    Resolved on a header-only table, so a file is read for these columns only.
    """
    date, _ = date_column(table, opts)
    if opts.layout == "long":
        keys, value = _long_columns(table, opts, date)
        numbers = [] if value in (date, *keys) else [value]
        return list(dict.fromkeys([date, *keys, value])), numbers
    mapping = selection(opts.columns, _wide_available(table, opts, date), table.source, "column")
    if not mapping:
        raise InputError(
            f"{table.source}: no factor columns (only the date column {date!r}; columns found: "
            f"{table.columns})"
        )
    return [date, *mapping], list(mapping)


def _drop_blank_records(table: _Table) -> _Table:
    if table.cells.num_rows == 0:
        return table
    blank = np.ones(table.cells.num_rows, dtype=bool)
    for name in table.columns:
        col = table.cells.column(name)
        if pa.types.is_dictionary(col.type):
            words, index = _distinct(col)
            blank &= (np.asarray(words, dtype=object) == "")[index] if words else blank
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            blank &= pc.equal(_text(col), "").to_numpy(zero_copy_only=False)
        else:
            blank &= col.is_null(nan_is_null=True).to_numpy(zero_copy_only=False)
    if not blank.any():
        return table
    keep = np.flatnonzero(~blank)
    bad = {c: (int(np.searchsorted(keep, p)), t) for c, (p, t) in table.bad.items()
           if not blank[p]}
    return _Table(table.cells.take(keep), table.lines[keep], table.source, table.unit,
                  table.unnamed, bad)


def _wide_available(table: _Table, opts: _Options, date: str) -> list[str]:
    # unnamed columns (row numbers written by R or pandas) are not factors unless selected
    if opts.columns is None:
        return [c for c in table.columns if c != date and c not in table.unnamed]
    return [c for c in table.columns if c != date]


def _wide_levels(table: _Table, opts: _Options) -> _Levels:
    date, guessed = date_column(table, opts)
    mapping = selection(opts.columns, _wide_available(table, opts, date), table.source,
                        "column")
    if not mapping:
        raise InputError(
            f"{table.source}: no factor columns (only the date column {date!r}; columns found: "
            f"{table.columns})"
        )
    dates = parse_dates(table, date, opts, guessed)
    check_order(table, dates, opts.date_order)
    order = np.argsort(dates, kind="stable")
    ascending = bool((np.diff(order) > 0).all())
    out = np.empty((len(dates), len(mapping)), dtype=np.float64, order="F")
    for j, old in enumerate(mapping):
        values = parse_numbers(table, old, opts, dates)
        out[:, j] = values if ascending else values[order]
    lines = table.lines if ascending else table.lines[order]
    table.cells = table.cells.select([])  # free the columns read
    frame = pd.DataFrame(out, index=pd.DatetimeIndex(dates[order], name="date"),
                         columns=list(mapping.values()), copy=False)
    return _Levels(frame, lines, table.source, table.unit)


def _long_columns(table: _Table, opts: _Options, date: str) -> tuple[list[str], str]:
    if opts.factor_column is None:
        found = _auto_column(table, _FACTOR_COLUMN_NAMES)
        if found is None:
            raise InputError(
                f"{table.source}: long layout needs factor_column= (no column named "
                f"{'/'.join(_FACTOR_COLUMN_NAMES)}); columns found: {table.columns}"
            )
        keys = [found]
    elif isinstance(opts.factor_column, str):
        keys = [find_column(table, opts.factor_column, "factor column")]
    else:
        keys = [find_column(table, c, "factor column") for c in opts.factor_column]
    if opts.value_column is not None:
        return keys, find_column(table, opts.value_column, "value column")
    found = _auto_column(table, _VALUE_COLUMN_NAMES)
    rest = [c for c in table.columns if c != date and c not in keys]
    if found is None and len(rest) == 1:
        found = rest[0]
    if found is None:
        raise InputError(
            f"{table.source}: long layout needs value_column= (no column named "
            f"{'/'.join(_VALUE_COLUMN_NAMES)}); columns found: {table.columns}"
        )
    return keys, found


def _factor_keys(table: _Table, keys: list[str], separator: str) -> tuple[np.ndarray, list[str]]:
    """Code of each record's factor key and the key texts (composite keys joined)."""
    codes = np.zeros(table.cells.num_rows, dtype=np.int64)
    uniques: list[list[str]] = []
    for name in keys:
        distinct, index = _distinct(table.cells.column(name))
        uniques.append(distinct)
        if len(keys) == 1:
            return index, distinct
        codes = codes * len(distinct) + index
    combos, codes = np.unique(codes, return_inverse=True)
    names = []
    for combo in combos:
        parts = []
        for values in reversed(uniques):
            parts.append(values[combo % len(values)])
            combo //= len(values)
        parts.reverse()
        names.append(separator.join(p for p in parts if p) if len(parts) > 1 else parts[0])
    return codes.astype(np.int64), names


def _long_levels(table: _Table, opts: _Options) -> _Levels:
    date, guessed = date_column(table, opts)
    key_cols, value_col = _long_columns(table, opts, date)
    codes, names = _factor_keys(table, key_cols, opts.factor_separator)
    table.cells = table.cells.drop_columns([c for c in key_cols if c not in (date, value_col)])
    first_seen = np.unique(codes, return_index=True)[1]
    available = [names[int(codes[i])] for i in np.sort(first_seen)]  # in order of appearance
    mapping = selection(opts.columns, [k for k in available if k != ""], table.source, "factor")
    blank_key = np.flatnonzero(codes == names.index("")) if "" in names else []
    if opts.columns is None and len(blank_key):
        raise InputError(f"{table.loc(int(blank_key[0]), column=key_cols[0])}: empty factor name")
    targets = list(dict.fromkeys(mapping.values()))
    target_of = np.array([targets.index(mapping[n]) if n in mapping else -1 for n in names],
                         dtype=np.int32)
    kept = target_of[codes] >= 0
    if kept.all():
        sub, sub_codes = table, target_of[codes]
    else:
        keep = np.flatnonzero(kept)
        bad = {c: (int(np.searchsorted(keep, p)), t) for c, (p, t) in table.bad.items()
               if kept[p]}
        sub = _Table(table.cells.take(keep), table.lines[keep], table.source, table.unit,
                     bad=bad)
        sub_codes = target_of[codes[keep]]
    del codes, kept
    days, row = date_ranks(sub, date, opts, guessed)
    dates = _DateOf(days, row)
    values = parse_numbers(sub, value_col, opts, dates)
    sub.cells = table.cells = sub.cells.drop_columns([date, value_col])  # free the text
    check_order(sub, dates, opts.date_order, sub_codes, targets, stamps=row)
    grid = np.full((len(days), len(targets)), np.nan)
    grid[row, sub_codes] = values
    cell_lines = np.zeros((len(days), len(targets)), dtype=np.int64)
    cell_lines[row, sub_codes] = sub.lines
    frame = pd.DataFrame(grid, index=pd.DatetimeIndex(days, name="date"),
                         columns=pd.Index(targets))
    return _Levels(frame, cell_lines.max(axis=1), table.source, table.unit, cell_lines)


def levels_from_table(table: _Table, opts: _Options) -> _Levels:
    table = _drop_blank_records(table)
    if table.cells.num_rows == 0:
        raise InputError(f"{table.source}: no data rows (header only)")
    if opts.layout == "long":
        return _long_levels(table, opts)
    return _wide_levels(table, opts)
