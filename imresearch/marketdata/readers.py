"""Readers of market-data files: CSV (plain, gzip, xz, bz2) and Parquet into a history.

:func:`load_csv` and :func:`load_parquet` turn a file of daily levels into a validated
:class:`~imresearch.marketdata.history.RiskFactorHistory`. Both read a *wide* table (a date
column and one column per factor) or a *long* one (date, factor key, value), and name the file,
line, date, column and offending value in every error.

The pipeline is the same for every format:

1. read the bytes (``.gz``/``.xz``/``.bz2`` decompressed) and decode them (a UTF-8 byte-order
   mark is dropped);
2. split into cells, keeping the physical line number of each record (header = line 1);
3. find the date column, select/rename the factor columns (or factor keys of a long file);
4. parse dates and numbers, rejecting what does not parse;
5. check the date order (strictly ascending, strictly descending, or either with
   ``date_order="auto"``) and duplicates, and sort newest-first files ascending while keeping
   the line numbers with their rows;
6. optionally drop rows without any value, restrict to ``[start, end]``, trim to the common
   window of the factors, then check the domain (positive levels for log/relative factors);
7. build the history, whose gap policy handles the remaining missing values.

Presets (``format=``) fill in options for files from known sources: ``"fred"``, ``"yahoo"``,
``"investing"`` and ``"treasury"``; see :func:`load_csv`.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import os
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from imresearch._typing import DateOrder, GapPolicy
from imresearch.errors import DataNotFoundError, InputError, check_choice, check_positive_int
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import DEFAULT_MAX_GAP, RiskFactorHistory

__all__ = [
    "DATE_COLUMN_NAMES",
    "DEFAULT_NA_VALUES",
    "FORMATS",
    "load_csv",
    "load_parquet",
]

PathLike = str | os.PathLike[str]
Layout = Literal["wide", "long"]
Columns = Sequence[str] | Mapping[str, str]
Factors = FactorSpec | Mapping[str, FactorSpec]

#: Cell texts read as a missing value (compared case-insensitively, after stripping blanks).
DEFAULT_NA_VALUES: tuple[str, ...] = (
    "", ".", "ND", "NA", "N/A", "#N/A", "#N/A N/A", "null", "nan", "none", "-nan",
)
#: Column names recognised as the date column (case-insensitive), in order of preference.
DATE_COLUMN_NAMES: tuple[str, ...] = (
    "date", "data", "timestamp", "observation_date", "datetime", "time",
)
#: Named presets of :func:`load_csv` (``format=``).
FORMATS: tuple[str, ...] = ("fred", "yahoo", "investing", "treasury")

_LAYOUTS = ("wide", "long")
_DATE_ORDERS = ("ascending", "descending", "auto")
_FACTOR_COLUMN_NAMES = ("factor", "series_id", "series", "ticker", "symbol", "name", "key")
_VALUE_COLUMN_NAMES = ("value", "level", "price", "close")
_ISO_WITH_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]")
_PARSER_LINE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


# ---------------------------------------------------------------------- option handling
@dataclass(frozen=True)
class _Options:
    """Effective reader options after presets and defaults (internal)."""

    layout: str = "wide"
    date_column: str | None = None
    columns: Columns | None = None
    factor_column: str | Sequence[str] | None = None
    value_column: str | None = None
    factor_separator: str = "_"
    field: str | None = None
    date_format: str | None = None
    dayfirst: bool = False
    decimal: str = "."
    thousands: str | None = None
    delimiter: str = ","
    na_values: tuple[str, ...] = DEFAULT_NA_VALUES
    encoding: str = "utf-8-sig"
    date_order: str = "auto"
    drop_empty_rows: bool = False
    min_values: int | None = None
    start: Any = None
    end: Any = None
    trim: bool = False
    factors: Factors | None = None
    gap_policy: str = "error"
    max_ffill: int = 5
    max_gap: int | None = DEFAULT_MAX_GAP
    name: str | None = None

    def validate(self) -> _Options:
        check_choice("layout", self.layout, _LAYOUTS)
        check_choice("date_order", self.date_order, _DATE_ORDERS)
        check_choice("gap_policy", self.gap_policy, ("error", "drop", "ffill"))
        check_choice("decimal", self.decimal, (".", ","))
        check_positive_int("max_ffill", self.max_ffill, minimum=0)
        if self.max_gap is not None:
            check_positive_int("max_gap", self.max_gap)
        if self.min_values is not None:
            check_positive_int("min_values", self.min_values)
        if not isinstance(self.delimiter, str) or len(self.delimiter) != 1:
            raise InputError(f"delimiter must be a single character; got {self.delimiter!r}")
        if self.thousands is not None and self.thousands == self.decimal:
            raise InputError(
                f"thousands separator must differ from the decimal mark; got {self.thousands!r}"
            )
        if self.columns is not None and isinstance(self.columns, str):
            raise InputError(
                f"columns must be a list of names or a dict old -> new name; got {self.columns!r}"
            )
        if self.factors is not None and not isinstance(self.factors, (FactorSpec, Mapping)):
            raise InputError(
                "factors must be a FactorSpec or a dict of factor name -> FactorSpec; "
                f"got {type(self.factors).__name__}"
            )
        return self


def _merge_options(preset: Mapping[str, Any], given: Mapping[str, Any]) -> _Options:
    """Defaults < preset < options the caller gave (those that are not None)."""
    known = set(_Options.__dataclass_fields__)
    unknown = sorted(k for k in {*preset, *given} if k not in known)
    if unknown:
        raise InputError(f"unknown reader option(s) {unknown}; options: {sorted(known)}")
    values = dict(preset)
    values.update({k: v for k, v in given.items() if v is not None})
    if "na_values" in values and values["na_values"] is not None:
        na = values["na_values"]
        values["na_values"] = (na,) if isinstance(na, str) else tuple(str(v) for v in na)
    if values.get("max_gap") == "none":  # None means "not given" here
        values["max_gap"] = None
    return _Options(**values).validate()


def _preset(fmt: str | None, header: list[str], stem: str, given: Mapping[str, Any]) -> dict:
    """Option defaults of a named format, given the header of the file."""
    if fmt is None:
        return {}
    check_choice("format", fmt, FORMATS)
    lower = {h.strip().lower(): h for h in header}
    field = given.get("field")
    if fmt == "fred":
        if "series_id" in lower and "value" in lower:
            # FRED R-export ("",date,series_id,value,realtime_start,realtime_end): long layout
            return {
                "layout": "long",
                "date_column": lower.get("date", None),
                "factor_column": lower["series_id"],
                "value_column": lower["value"],
            }
        return {}
    if fmt == "yahoo":
        field = field or "Close"
        return {
            "date_column": lower.get("date", None),
            "field": field,
            "columns": {field: stem},
            "drop_empty_rows": True,
        }
    if fmt == "investing":
        field = field or "Close"
        return {
            "date_column": lower.get("date", None),
            "field": field,
            "columns": {field: stem},
            "date_format": "%d/%m/%Y",
        }
    # treasury
    return {"date_column": lower.get("date", None), "date_format": "%m/%d/%y"}


# ---------------------------------------------------------------------- raw table
@dataclass
class _Table:
    """Cells of a file as text, with the physical line (or row) number of each record."""

    cells: pd.DataFrame
    lines: np.ndarray  # int64, 1-based
    source: str
    unit: str = "line"  # "line" for text files, "row" for parquet

    def loc(self, pos: int | None, *, date: Any = None, column: Any = None) -> str:
        parts = [self.source]
        if pos is not None:
            parts.append(f"{self.unit} {int(self.lines[pos])}")
        if date is not None and not pd.isna(date):
            parts.append(f"date {pd.Timestamp(date):%Y-%m-%d}")
        if column is not None:
            parts.append(f"column {column!r}")
        return ", ".join(parts)


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


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise DataNotFoundError(f"file not found: {path}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a data file")


def _read_text(path: Path, encoding: str) -> str:
    """Bytes of a (possibly compressed) file decoded to text; a UTF-8 BOM is removed."""
    _check_exists(path)
    suffix = path.suffix.lower()
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(suffix)
    try:
        if opener is None:
            raw = path.read_bytes()
        else:
            with opener(path, "rb") as handle:
                raw = handle.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from exc
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}, line {line}: cannot decode byte {raw[exc.start:exc.start + 1]!r} as "
            f"{encoding}; pass encoding= (e.g. 'latin-1')"
        ) from None
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}") from None
    if text.startswith("\ufeff"):  # BOM left by encodings other than utf-8-sig
        text = text[1:]
    return text


def _physical_lines(text: str) -> int:
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


def _header(text: str, delimiter: str, source: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first], delimiter=delimiter), [])
    header = [h.strip() for h in header]
    if not header or all(h == "" for h in header):
        raise InputError(f"{source}, line 1: empty header line (expected column names)")
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in seen:
            raise InputError(
                f"{source}, line 1, column {name!r}: duplicate column name (columns "
                f"{seen[name] + 1} and {i + 1})"
            )
        seen[name] = i
    return header


def _tokenize_csv(text: str, delimiter: str, source: str) -> tuple[list[str], _Table]:
    """Split a CSV text into string cells, keeping the physical line of each record."""
    if not text.strip():
        raise InputError(f"{source}: empty file (no header, no data)")
    header = _header(text, delimiter, source)
    try:
        cells = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            index_col=False,
            skipinitialspace=True,
        )
    except pd.errors.EmptyDataError:
        raise InputError(f"{source}: empty file (no header, no data)") from None
    except pd.errors.ParserError as exc:
        match = _PARSER_LINE.search(str(exc))
        if match:
            expected, line, saw = match.groups()
            raise InputError(
                f"{source}, line {line}: {saw} fields where the header has {expected}"
            ) from None
        raise InputError(f"{source}: cannot parse the file as CSV ({exc})") from None
    cells.columns = header[: cells.shape[1]] + [
        f"column_{i + 1}" for i in range(len(header), cells.shape[1])
    ]
    cells = cells.fillna("")
    n = len(cells)
    if _physical_lines(text) == n + 1:
        lines = np.arange(2, n + 2, dtype=np.int64)
    else:
        # quoted line breaks (or lone CR): ask the csv module where each record starts
        lines = _record_lines(text, delimiter, n)
    return header, _Table(cells, lines, source)


def _record_lines(text: str, delimiter: str, n: int) -> np.ndarray:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    starts = starts[1 : n + 1]  # drop the header
    starts += list(range(previous_end + 1, previous_end + 1 + n - len(starts)))
    return np.asarray(starts, dtype=np.int64)


def _tokenize_investing(text: str, delimiter: str, source: str) -> tuple[list[str], _Table]:
    """investing.com exports with unquoted decimal commas: rebuild numbers from field pairs.

    Every data line has ``1 + 2 * (n_columns - 1)`` fields: the date, then the integer and
    decimal part of each number (``"2","7464"`` -> ``2.7464``); a trailing ``%`` is dropped.
    A ``.`` in the integer part is a thousands separator.
    """
    if not text.strip():
        raise InputError(f"{source}: empty file (no header, no data)")
    header = _header(text, delimiter, source)
    n_values = len(header) - 1
    expected = 1 + 2 * n_values
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, raw in enumerate(text.splitlines()[1:], start=2):
        if not raw.strip():
            continue
        fields = [f.strip() for f in raw.split(delimiter)]
        if len(fields) != expected:
            raise InputError(
                f"{source}, line {number}: {len(fields)} fields where an investing.com line "
                f"with {n_values} decimal-comma numbers has {expected} (line: {raw!r})"
            )
        row = [fields[0]]
        for k in range(n_values):
            whole, frac = fields[1 + 2 * k], fields[2 + 2 * k].rstrip("%")
            row.append("" if not whole and not frac else f"{whole.replace('.', '')}.{frac}")
        rows.append(row)
        lines.append(number)
    cells = pd.DataFrame(rows, columns=header, dtype=str) if rows else pd.DataFrame(
        columns=header, dtype=str
    )
    return header, _Table(cells, np.asarray(lines, dtype=np.int64), source)


# ---------------------------------------------------------------------- parsing
def _find_column(table: _Table, wanted: str, what: str) -> str:
    columns = list(table.cells.columns)
    if wanted in columns:
        return wanted
    folded = {str(c).strip().lower(): c for c in columns}
    if str(wanted).strip().lower() in folded:
        return folded[str(wanted).strip().lower()]
    raise InputError(f"{table.source}: no {what} {wanted!r}; columns found: {columns}")


def _auto_column(table: _Table, names: Sequence[str]) -> str | None:
    folded = {str(c).strip().lower(): c for c in table.cells.columns}
    for name in names:
        if name in folded:
            return folded[name]
    return None


def _date_column(table: _Table, opts: _Options) -> tuple[str, bool]:
    """The date column and whether it was guessed as the first column."""
    if opts.date_column is not None:
        return _find_column(table, opts.date_column, "date column"), False
    found = _auto_column(table, DATE_COLUMN_NAMES)
    if found is not None:
        return found, False
    return table.cells.columns[0], True


def _strip(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip()


def _parse_dates(
    table: _Table, column: str, opts: _Options, guessed: bool
) -> np.ndarray:
    """Dates of ``column`` as datetime64[ns]; raise naming the line of the first bad one."""
    raw = table.cells[column]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        dates = pd.DatetimeIndex(raw)
        if dates.tz is not None:
            dates = dates.tz_localize(None)
        empty = np.asarray(pd.isna(dates))
        parsed = dates
    else:
        text = _strip(raw)
        empty = text.eq("").to_numpy()
        if opts.date_format is None and text[~empty].str.match(_ISO_WITH_TIME.pattern).all():
            text = text.str.slice(0, 10)  # daily data: time of day and zone dropped
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            if opts.date_format is not None:
                parsed = pd.to_datetime(text, format=opts.date_format, errors="coerce")
            else:
                parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
                if (parsed.isna().to_numpy() & ~empty).any():
                    other = pd.to_datetime(text, dayfirst=opts.dayfirst, errors="coerce")
                    if other.isna().sum() < parsed.isna().sum():
                        parsed = other
        parsed = pd.DatetimeIndex(parsed)
    missing = np.flatnonzero(empty)
    if len(missing):
        pos = int(missing[0])
        raise InputError(f"{table.loc(pos, column=column)}: missing date")
    bad = np.flatnonzero(np.asarray(pd.isna(parsed)))
    if len(bad):
        pos = int(bad[0])
        hint = (
            f"expected format {opts.date_format!r}"
            if opts.date_format
            else "pass date_format= (e.g. '%d/%m/%Y') or dayfirst=True"
        )
        if guessed:
            hint = (
                f"no date column found (looked for {', '.join(DATE_COLUMN_NAMES)}), so the "
                f"first column was used; columns found: {list(table.cells.columns)}; pass "
                "date_column="
            )
        raise InputError(
            f"{table.loc(pos, column=column)}: cannot read date {raw.iloc[pos]!r} ({hint})"
        )
    try:
        return parsed.normalize().as_unit("ns").to_numpy()
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        raise InputError(
            f"{table.loc(None, column=column)}: dates outside 1678..2261 "
            f"(first {parsed.min()}, last {parsed.max()})"
        ) from None


def _parse_numbers(table: _Table, column: str, opts: _Options, dates: np.ndarray) -> np.ndarray:
    """Values of ``column`` as float64 (NaN where missing); raise naming the first bad cell."""
    raw = table.cells[column]
    if pd.api.types.is_bool_dtype(raw.dtype):
        raise InputError(f"{table.loc(None, column=column)}: boolean values are not levels")
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.to_numpy(dtype=np.float64, na_value=np.nan)
    text = _strip(raw.where(raw.notna(), ""))
    na = text.str.lower().isin({v.strip().lower() for v in opts.na_values}).to_numpy()
    cleaned = text
    if opts.thousands:
        cleaned = cleaned.str.replace(opts.thousands, "", regex=False)
    if opts.decimal != ".":
        cleaned = cleaned.str.replace(opts.decimal, ".", regex=False)
    cleaned = cleaned.where(~na, "nan")
    values = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(values) & ~na)
    if len(bad):
        pos = int(bad[0])
        raise InputError(
            f"{table.loc(pos, date=dates[pos], column=column)}: not a number: "
            f"{raw.iloc[pos]!r}"
        )
    return values


def _check_order(
    table: _Table,
    dates: np.ndarray,
    order: str,
    keys: np.ndarray | None = None,
) -> bool:
    """Check strict monotonicity (per factor key in long files); return True if descending."""
    n = len(dates)
    if n < 2:
        return order == "descending"
    stamps = dates.astype("datetime64[ns]").astype(np.int64)
    codes = np.zeros(n, np.int64) if keys is None else pd.factorize(keys)[0]
    frame = pd.DataFrame({"k": codes, "d": stamps})
    dup = frame.duplicated(keep="first").to_numpy()
    if dup.any():
        pos = int(np.flatnonzero(dup)[0])
        same = (codes == codes[pos]) & (stamps == stamps[pos])
        first = int(np.flatnonzero(same)[0])
        what = "" if keys is None else f" for factor {keys[pos]!r}"
        raise InputError(
            f"{table.loc(pos, date=dates[pos])}: duplicate date{what} (also on "
            f"{table.unit} {int(table.lines[first])})"
        )
    if keys is None:
        prev = np.arange(-1, n - 1)
        step = np.diff(stamps, prepend=stamps[0])
        valid = np.arange(n) > 0
    else:
        order_idx = np.argsort(codes, kind="stable")
        k_sorted = codes[order_idx]
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
        what = "" if keys is None else f" of factor {keys[pos]!r}"
        raise InputError(
            f"{table.loc(pos, date=dates[pos])}: date out of order{what} (previous "
            f"{table.unit} {int(table.lines[before])} has {pd.Timestamp(dates[before]):%Y-%m-%d});"
            f" {rule}"
        )
    return descending


def _selection(columns: Columns | None, available: list[str], source: str, what: str) -> dict:
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


def _drop_blank_records(table: _Table) -> _Table:
    cells = table.cells
    if cells.empty:
        return table
    blank = np.ones(len(cells), dtype=bool)
    for col in cells.columns:
        series = cells[col]
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_datetime64_any_dtype(
            series.dtype
        ):
            blank &= series.isna().to_numpy()
        else:
            blank &= _strip(series.where(series.notna(), "")).eq("").to_numpy()
    if not blank.any():
        return table
    keep = ~blank
    cells = cells.loc[keep].reset_index(drop=True)
    return _Table(cells, table.lines[keep], table.source, table.unit)


def _wide_levels(table: _Table, opts: _Options) -> _Levels:
    date_col, guessed = _date_column(table, opts)
    # unnamed columns (row numbers written by R or pandas) are not factors unless selected
    named = [c for c in table.cells.columns if c != date_col and str(c).strip()]
    available = (
        named if opts.columns is None else [c for c in table.cells.columns if c != date_col]
    )
    mapping = _selection(opts.columns, available, table.source, "column")
    dates = _parse_dates(table, date_col, opts, guessed)
    _check_order(table, dates, opts.date_order)
    data = {
        new: _parse_numbers(table, old, opts, dates) for old, new in mapping.items()
    }
    order = np.argsort(dates, kind="stable")
    frame = pd.DataFrame(
        {k: v[order] for k, v in data.items()},
        index=pd.DatetimeIndex(dates[order], name="date"),
        columns=list(data),
    )
    return _Levels(frame, table.lines[order], table.source, table.unit)


def _long_levels(table: _Table, opts: _Options) -> _Levels:
    date_col, guessed = _date_column(table, opts)
    if opts.factor_column is None:
        found = _auto_column(table, _FACTOR_COLUMN_NAMES)
        if found is None:
            raise InputError(
                f"{table.source}: long layout needs factor_column= (no column named "
                f"{'/'.join(_FACTOR_COLUMN_NAMES)}); columns found: {list(table.cells.columns)}"
            )
        key_cols = [found]
    elif isinstance(opts.factor_column, str):
        key_cols = [_find_column(table, opts.factor_column, "factor column")]
    else:
        key_cols = [_find_column(table, c, "factor column") for c in opts.factor_column]
    if opts.value_column is not None:
        value_col = _find_column(table, opts.value_column, "value column")
    else:
        found = _auto_column(table, _VALUE_COLUMN_NAMES)
        rest = [c for c in table.cells.columns if c != date_col and c not in key_cols]
        if found is None and len(rest) == 1:
            found = rest[0]
        if found is None:
            raise InputError(
                f"{table.source}: long layout needs value_column= (no column named "
                f"{'/'.join(_VALUE_COLUMN_NAMES)}); columns found: {list(table.cells.columns)}"
            )
        value_col = found
    parts = [_strip(table.cells[c].where(table.cells[c].notna(), "")) for c in key_cols]
    keys = parts[0]
    for part in parts[1:]:
        both = keys.ne("") & part.ne("")
        keys = keys.where(~both, keys + opts.factor_separator) + part
    keys_arr = keys.to_numpy(dtype=object)
    empty = np.flatnonzero(keys.eq("").to_numpy())
    available = list(dict.fromkeys(keys_arr.tolist()))
    mapping = _selection(opts.columns, [k for k in available if k != ""], table.source,
                         "factor")
    if opts.columns is None and len(empty):
        pos = int(empty[0])
        raise InputError(f"{table.loc(pos, column=key_cols[0])}: empty factor name")
    keep = np.flatnonzero(keys.isin(list(mapping)).to_numpy())
    sub = _Table(
        table.cells.iloc[keep].reset_index(drop=True), table.lines[keep], table.source,
        table.unit,
    )
    sub_keys = np.array([mapping[k] for k in keys_arr[keep]], dtype=object)
    dates = _parse_dates(sub, date_col, opts, guessed)
    values = _parse_numbers(sub, value_col, opts, dates)
    _check_order(sub, dates, opts.date_order, keys=sub_keys)
    records = pd.DataFrame({"date": dates, "factor": sub_keys, "value": values,
                            "line": sub.lines})
    frame = records.pivot(index="date", columns="factor", values="value")
    frame = frame.reindex(columns=list(dict.fromkeys(mapping.values())))
    frame.columns = pd.Index([str(c) for c in frame.columns])
    frame.index = pd.DatetimeIndex(frame.index, name="date")
    cell_lines = (
        records.pivot(index="date", columns="factor", values="line")
        .reindex(index=frame.index, columns=list(frame.columns))
        .fillna(0)
        .to_numpy(np.int64)
    )
    lines = cell_lines.max(axis=1)
    return _Levels(frame.astype(np.float64), lines, table.source, table.unit, cell_lines)


def _levels_from_table(table: _Table, opts: _Options) -> _Levels:
    table = _drop_blank_records(table)
    if table.cells.empty:
        raise InputError(f"{table.source}: no data rows (header only)")
    if opts.layout == "long":
        return _long_levels(table, opts)
    return _wide_levels(table, opts)


# ---------------------------------------------------------------------- finishing
def _specs_for(columns: Sequence[str], factors: Factors | None, source: str) -> dict:
    if factors is None:
        return {c: FactorSpec() for c in columns}
    if isinstance(factors, FactorSpec):
        return {c: factors for c in columns}
    unknown = [k for k in factors if k not in columns]
    if unknown:
        raise InputError(
            f"{source}: metadata given for factor(s) {unknown} that are not columns "
            f"({list(columns)})"
        )
    return {c: factors.get(c, FactorSpec()) for c in columns}


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
                f"must be {need}); use convention 'absolute' or 'displaced_relative', or start= "
                "after this date"
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


# ---------------------------------------------------------------------- readers (internal API)
def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".xz", ".bz2"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name.rsplit(".", 1)[0] if "." in name else name


def _read_csv_levels(path: PathLike, given: Mapping[str, Any]) -> tuple[_Levels, _Options]:
    """Parse a CSV file into levels (no gap policy yet) and the effective options."""
    path = Path(path)
    fmt = given.get("format")
    pre = _merge_options({}, {k: v for k, v in given.items() if k != "format"})
    text = _read_text(path, pre.encoding)
    source = str(path)
    if fmt == "investing":
        header, table = _tokenize_investing(text, pre.delimiter, source)
    else:
        header, table = _tokenize_csv(text, pre.delimiter, source)
    opts = _merge_options(
        _preset(fmt, header, _stem(path), given),
        {k: v for k, v in given.items() if k != "format"},
    )
    if opts.field is not None and opts.columns is None:
        opts = replace(opts, columns={opts.field: _stem(path)})
    return _levels_from_table(table, opts), opts


def _read_parquet_levels(path: PathLike, given: Mapping[str, Any]) -> tuple[_Levels, _Options]:
    """Parse a Parquet file into levels (no gap policy yet) and the effective options."""
    path = Path(path)
    _check_exists(path)
    opts = _merge_options({}, given)
    try:
        frame = pd.read_parquet(path)
    except ImportError as exc:  # pragma: no cover - pyarrow is a dependency
        raise InputError(f"{path}: reading Parquet needs pyarrow ({exc})") from exc
    except Exception as exc:  # pyarrow raises assorted ArrowInvalid/OSError subclasses
        raise InputError(f"{path}: cannot read as Parquet ({type(exc).__name__}: {exc})") from None
    if isinstance(frame.index, pd.DatetimeIndex) or (
        frame.index.name is not None and opts.date_column == frame.index.name
    ):
        label = frame.index.name or "date"
        if label in frame.columns:
            label = f"{label}_index"
        frame = frame.reset_index(names=label)
        if opts.date_column is None:
            opts = replace(opts, date_column=label)
    frame.columns = [str(c) for c in frame.columns]
    if frame.empty:
        raise InputError(f"{path}: no data rows")
    table = _Table(frame, np.arange(1, len(frame) + 1, dtype=np.int64), str(path), unit="row")
    return _levels_from_table(table, opts), opts


# ---------------------------------------------------------------------- public functions
def load_csv(
    path: PathLike,
    *,
    format: str | None = None,
    layout: Layout | None = None,
    date_column: str | None = None,
    columns: Columns | None = None,
    factor_column: str | Sequence[str] | None = None,
    value_column: str | None = None,
    factor_separator: str | None = None,
    field: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    delimiter: str | None = None,
    na_values: Iterable[str] | None = None,
    encoding: str | None = None,
    date_order: DateOrder | None = None,
    drop_empty_rows: bool | None = None,
    min_values: int | None = None,
    start: Any = None,
    end: Any = None,
    trim: bool | None = None,
    factors: Factors | None = None,
    gap_policy: GapPolicy | None = None,
    max_ffill: int | None = None,
    max_gap: int | Literal["none"] | None = None,
    name: str | None = None,
) -> RiskFactorHistory:
    """Read a CSV file of daily levels into a :class:`RiskFactorHistory`.

    ``.csv.gz``, ``.csv.xz`` and ``.csv.bz2`` files are decompressed transparently and a UTF-8
    byte-order mark is ignored. Options left at ``None`` take the value of the ``format``
    preset, else the default stated below.

    Parameters
    ----------
    path : str or path-like
        The file.
    format : {"fred", "yahoo", "investing", "treasury"}, optional
        Preset for files from a known source (explicit options still win):

        ``"fred"``
            FRED downloads: ``date,<SERIES>`` with ``.`` for missing values, or FRED R-export
            files (columns ``"",date,series_id,value,realtime_start,realtime_end``), read as
            a long file keyed by ``series_id`` (the factor is named after the series, e.g.
            ``DGS10``).
        ``"yahoo"``
            Yahoo Finance: ``Date`` + OHLC (+ ``Adj Close``, ``Volume``) in any column order;
            reads the column ``field`` (default ``"Close"``; ``"Adj Close"`` selectable) as
            one factor named after the file stem, and drops Yahoo's all-``null`` placeholder
            rows (``drop_empty_rows=True``).
        ``"investing"``
            investing.com exports with unquoted decimal commas: dates ``DD/MM/YYYY`` (newest
            first), every line ``1 + 2 * (n_columns - 1)`` comma fields, each number rebuilt
            from a pair of fields (``2,7464`` -> 2.7464; ``%`` on the last one dropped). Reads
            ``field`` (default ``"Close"``) as one factor named after the file stem.
        ``"treasury"``
            US Treasury par-yield CSV: ``Date`` as ``MM/DD/YY`` (newest first) and one column
            per tenor (``1 Mo`` ... ``30 Yr``).
    layout : {"wide", "long"}
        ``"wide"`` (default): a date column and one column per factor. ``"long"``: one value
        per line, with date, factor key and value columns.
    date_column : str, optional
        Name of the date column (matched case-insensitively). Default: the first column named
        date, data, timestamp, observation_date, datetime or time (any case), else the first
        column. A named column that is absent is an :class:`InputError` listing the columns.
    columns : list of str or dict of str to str, optional
        Wide layout: the factor columns to keep (list) or to keep and rename (dict old -> new).
        Long layout: the factor keys to keep or rename. Default: every column but the date
        (every key).
    factor_column : str or list of str, optional
        Long layout: column(s) holding the factor key; several columns are joined with
        ``factor_separator`` (empty parts skipped), e.g. ``["CURRENCY", "TERM"]`` gives
        ``"EUR_10Y"`` and ``"USD-EUR"``. Default: a column named factor, series_id, series,
        ticker, symbol, name or key.
    value_column : str, optional
        Long layout: column of the values. Default: a column named value, level, price or
        close, else the only column left.
    factor_separator : str
        Joins the parts of a composite factor key. Default ``"_"``.
    field : str, optional
        Column read by the single-series presets ``yahoo`` and ``investing`` (default
        ``"Close"``); with other formats, ``field="X"`` is short for ``columns={"X": stem}``.
    date_format : str, optional
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``. Default: ISO 8601, else
        inferred from the first date (see ``dayfirst``).
    dayfirst : bool
        When inferring the date format, read ``01/02/2020`` as 1 February. Default False.
    decimal : {".", ","}
        Decimal mark. Default ``"."``. Use ``delimiter=";"`` with ``decimal=","`` for
        European files (or quote the numbers).
    thousands : str, optional
        Thousands separator removed before parsing, e.g. ``","`` or ``"."``. Default none.
    delimiter : str
        Field separator (one character). Default ``","``.
    na_values : iterable of str
        Cell texts that mean "missing" (case-insensitive). Default :data:`DEFAULT_NA_VALUES`:
        ``''``, ``'.'``, ``'ND'``, ``'NA'``, ``'N/A'``, ``'#N/A'``, ``'#N/A N/A'``, ``'null'``,
        ``'nan'``, ``'none'``, ``'-nan'``. Any other text in a value column is an error.
    encoding : str
        Text encoding. Default ``"utf-8-sig"`` (UTF-8, BOM dropped).
    date_order : {"auto", "ascending", "descending"}
        Order of the dates in the file. ``"auto"`` (default) accepts a strictly ascending or a
        strictly descending file; anything else (e.g. one row out of order) is an error naming
        the line and date. Newest-first files are sorted ascending; line numbers in later
        errors still point at the physical lines. In long files the order is checked per
        factor key.
    drop_empty_rows : bool
        Drop dates on which no selected factor has a value (holiday rows). Default False
        (the gap policy sees them).
    min_values : int, optional
        Drop dates on which fewer than ``min_values`` selected factors have a value, e.g. the
        days when most markets of a multi-market panel are closed (``drop_empty_rows`` is
        ``min_values=1``). Default: keep every date.
    start, end : date-like, optional
        Keep only the dates in ``[start, end]``.
    trim : bool
        Keep only the dates between the latest first value and the earliest last value of the
        selected factors (their common span), so series starting at different dates can be
        combined. Default False.
    factors : FactorSpec or dict of str to FactorSpec, optional
        Metadata per factor (after renaming), or one spec for all. Default ``FactorSpec()``
        (risk class ``other``, log shocks).
    gap_policy : {"error", "drop", "ffill"}
        Missing values: ``"error"`` (default) rejects them, ``"drop"`` removes the dates,
        ``"ffill"`` carries the last level for at most ``max_ffill`` dates.
    max_ffill : int
        Longest run of missing values ``ffill`` may fill. Default 5.
    max_gap : int or "none"
        Longest span between consecutive dates, in business days (after ``gap_policy``).
        Default 10 (:data:`~imresearch.marketdata.history.DEFAULT_MAX_GAP`): a longer hole
        (weeks without data) is an error naming it, since the next shock would span it.
        ``"none"`` bridges any hole; holes over a week are listed in
        ``history.gap_report.bridged`` either way.
    name : str, optional
        Name of the history. Default: the file name.

    Returns
    -------
    RiskFactorHistory
        Levels in ascending date order with their metadata; ``source`` is ``str(path)``.

    Raises
    ------
    DataNotFoundError
        If ``path`` does not exist.
    InputError
        Empty file (0 bytes or header only), a missing date column, text in a numeric column,
        an unreadable or missing date, dates out of order, duplicate dates, missing values the
        gap policy does not handle, or a non-positive level of a log/relative factor. The
        message names the file, the line (header = line 1), the date, the column and the value.

    Examples
    --------
    >>> h = load_csv("GSPC.csv", format="yahoo", columns={"Close": "SPX"},
    ...              factors=FactorSpec("equity", "log", "index points", "USD"))  # doctest: +SKIP
    >>> curve = load_csv("yield-curve-rates-1990-2024.csv", format="treasury",
    ...                  columns=["3 Mo", "10 Yr"], gap_policy="drop")  # doctest: +SKIP
    """
    given = dict(
        format=format, layout=layout, date_column=date_column, columns=columns,
        factor_column=factor_column, value_column=value_column,
        factor_separator=factor_separator, field=field, date_format=date_format,
        dayfirst=dayfirst, decimal=decimal, thousands=thousands, delimiter=delimiter,
        na_values=na_values, encoding=encoding, date_order=date_order,
        drop_empty_rows=drop_empty_rows, min_values=min_values, start=start, end=end,
        trim=trim, factors=factors,
        gap_policy=gap_policy, max_ffill=max_ffill, max_gap=max_gap, name=name,
    )
    levels, opts = _read_csv_levels(path, given)
    return _finish(levels, opts, name=Path(path).name)


def load_parquet(
    path: PathLike,
    *,
    layout: Layout | None = None,
    date_column: str | None = None,
    columns: Columns | None = None,
    factor_column: str | Sequence[str] | None = None,
    value_column: str | None = None,
    factor_separator: str | None = None,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
    thousands: str | None = None,
    na_values: Iterable[str] | None = None,
    date_order: DateOrder | None = None,
    drop_empty_rows: bool | None = None,
    min_values: int | None = None,
    start: Any = None,
    end: Any = None,
    trim: bool | None = None,
    factors: Factors | None = None,
    gap_policy: GapPolicy | None = None,
    max_ffill: int | None = None,
    max_gap: int | Literal["none"] | None = None,
    name: str | None = None,
) -> RiskFactorHistory:
    """Read a Parquet table of daily levels into a :class:`RiskFactorHistory`.

    A DatetimeIndex (as written by ``DataFrame.to_parquet``) is used as the date column;
    otherwise the date column is found as in :func:`load_csv`. Numeric columns are read as
    they are; text columns are parsed like CSV cells. Errors name the file, the 1-based *row*
    of the table, the date, the column and the value.

    Parameters
    ----------
    path : str or path-like
        The ``.parquet`` file.
    layout, date_column, columns, factor_column, value_column, factor_separator
        As in :func:`load_csv` (wide or long table).
    date_format, dayfirst, decimal, thousands, na_values
        As in :func:`load_csv`, for dates and numbers stored as text.
    date_order : {"auto", "ascending", "descending"}
        As in :func:`load_csv`. Default ``"auto"``.
    drop_empty_rows, min_values, start, end, trim
        As in :func:`load_csv`.
    factors : FactorSpec or dict of str to FactorSpec, optional
        Metadata per factor, or one spec for all.
    gap_policy : {"error", "drop", "ffill"}
        As in :func:`load_csv`. Default ``"error"``.
    max_ffill, max_gap
        As in :func:`load_csv`.
    name : str, optional
        Name of the history. Default: the file name.

    Returns
    -------
    RiskFactorHistory

    Raises
    ------
    DataNotFoundError
        If ``path`` does not exist.
    InputError
        A file that is not Parquet, or any of the problems listed in :func:`load_csv`.
    """
    given = dict(
        layout=layout, date_column=date_column, columns=columns, factor_column=factor_column,
        value_column=value_column, factor_separator=factor_separator, date_format=date_format,
        dayfirst=dayfirst, decimal=decimal, thousands=thousands, na_values=na_values,
        date_order=date_order, drop_empty_rows=drop_empty_rows, min_values=min_values,
        start=start, end=end, trim=trim, factors=factors, gap_policy=gap_policy,
        max_ffill=max_ffill, max_gap=max_gap, name=name,
    )
    levels, opts = _read_parquet_levels(path, given)
    return _finish(levels, opts, name=Path(path).name)
