"""Readers of market-data files: CSV (plain, gzip, xz, bz2) and Parquet into a history.

:func:`load_csv` and :func:`load_parquet` turn a file of daily levels into a validated
:class:`~imresearch.marketdata.history.RiskFactorHistory`. Both read a *wide* table (a date
column and one column per factor) or a *long* one (date, factor key, value), and name the file,
line, date, column and offending value in every error.

The pipeline is the same for every format:

1. read the bytes (``.gz``/``.xz``/``.bz2`` decompressed), check them (no NUL byte, valid
   UTF-8 or the given encoding; a UTF-8 byte-order mark is dropped) and read the header
   (:mod:`~imresearch.marketdata._reader_files`);
2. resolve the options (presets, date column, selected columns: :mod:`._reader_options`) and
   split only the needed columns into Arrow text cells with pyarrow's CSV reader, keeping the
   physical line of each record (header = line 1; CR, LF or CRLF line ends; blank lines
   skipped; a line with another number of fields than the header is an error);
3. parse dates (once per distinct text) and numbers block by block, rejecting what does not
   parse and non-finite values (:mod:`._reader_parse`);
4. check the date order (strictly ascending, strictly descending, or either with
   ``date_order="auto"``) and duplicates, and sort newest-first files ascending while keeping
   the line numbers with their rows;
5. optionally drop rows without any value, restrict to ``[start, end]``, trim to the common
   window of the factors, then check the domain (:mod:`._reader_finish`);
6. build the history, whose gap policy handles the remaining missing values and whose
   ``max_gap`` refuses holes of weeks (a six-month hole would be one "one-day" shock).

Peak memory stays within about three times the file's size (``benchmarks/bench_readers.py``).
Presets (``format=``) fill in options for files from known sources: ``"fred"``, ``"yahoo"``,
``"investing"`` and ``"treasury"``; see :func:`load_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from imresearch._typing import DateOrder, GapPolicy
from imresearch.marketdata import _reader_files as files
from imresearch.marketdata._reader_finish import _finish
from imresearch.marketdata._reader_options import (
    DATE_COLUMN_NAMES,
    DEFAULT_NA_VALUES,
    FORMATS,
    Columns,
    Factors,
    Layout,
    PathLike,
    _merge_options,
    _Options,
    _preset,
)
from imresearch.marketdata._reader_parse import _Levels, levels_from_table, needed_columns
from imresearch.marketdata.history import RiskFactorHistory

__all__ = [
    "DATE_COLUMN_NAMES",
    "DEFAULT_NA_VALUES",
    "FORMATS",
    "load_csv",
    "load_parquet",
]


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
    options = {k: v for k, v in given.items() if k != "format"}
    pre = _merge_options({}, options)
    source = str(path)
    if fmt == "investing":
        raw, offset = files.to_utf8(files.read_bytes(path), pre.encoding, source, pre.delimiter)
        header, table = files.investing_table(raw, offset, pre.delimiter, source)
        del raw
    else:
        text = files.scan_csv(path, pre.encoding, pre.delimiter, source)
        header = text.header
    opts = _merge_options(_preset(fmt, header, _stem(path), given), options)
    if opts.field is not None and opts.columns is None:
        opts = replace(opts, columns={opts.field: _stem(path)})
    if fmt != "investing":
        names, unnamed = files.column_names(header)
        empty = files._Table(pa.table({n: pa.array([], pa.string()) for n in names}),
                             np.empty(0, np.int64), source, "line", unnamed)
        include, numbers = needed_columns(empty, opts)
        table = files.read_csv_table(text, pre.delimiter, source, include, numbers,
                                     opts.na_values, opts.thousands, opts.decimal)
    return levels_from_table(table, opts), opts


def _read_parquet_levels(path: PathLike, given: Mapping[str, Any]) -> tuple[_Levels, _Options]:
    """Parse a Parquet file into levels (no gap policy yet) and the effective options."""
    path = Path(path)
    opts = _merge_options({}, given)
    table, date_column = files.parquet_table(path, opts.date_column)
    if date_column != opts.date_column:
        opts = replace(opts, date_column=date_column)
    return levels_from_table(table, opts), opts


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
        Metadata per factor (after renaming), or one spec for all. Keys may be shell-style
        patterns (``"IR_USD_*"``; a factor's own name wins, then the first matching pattern).
        Default ``FactorSpec()`` (risk class ``other``, log shocks).
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
        Metadata per factor (names or patterns, as in :func:`load_csv`), or one spec for all.
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
