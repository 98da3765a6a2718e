"""Reading market-data files into text cells with their physical line numbers.

CSV files are parsed by pyarrow's CSV reader into Arrow string columns (only the columns the
options select), so memory stays a small multiple of the file size; each record keeps the
physical line it starts on (header = line 1; blank lines skipped; CR, LF or CRLF line ends), and
every problem of the raw file (empty, NUL bytes, undecodable bytes, a wrong number of fields) is
an :class:`~imresearch.errors.InputError` naming the file, line, column and value.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from imresearch.errors import DataNotFoundError, InputError

_BOM = b"\xef\xbb\xbf"
_UTF8 = ("utf-8", "utf8", "utf-8-sig", "utf_8", "utf_8_sig")
_CHUNK = 1 << 20  # bytes scanned at a time
#: bytes per block of pyarrow's streaming CSV reader: its buffers grow with the block size
#: (about 8 MB at 64 KB, 20 MB at 256 KB, 60 MB at its default 1 MB)
_BLOCK = 1 << 16
_NON_BLANK = re.compile(rb"\S")
#: Arrow memory of the readers: the C allocator, which returns large freed blocks to the system
#: (Arrow's default pool keeps them, doubling the resident peak of a read).
POOL = pa.system_memory_pool()


@dataclass
class _Table:
    """Cells of a file (Arrow columns), with the physical line (or row) number of each record."""

    cells: pa.Table
    lines: np.ndarray  # int64, 1-based
    source: str
    unit: str = "line"  # "line" for text files, "row" for parquet
    unnamed: frozenset[str] = field(default_factory=frozenset)  # blank header names
    #: number columns read from text: the first cell that is not a finite number (pos, text)
    bad: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return list(self.cells.column_names)

    def loc(self, pos: int | None, *, date: object = None, column: object = None) -> str:
        import pandas as pd

        parts = [self.source]
        if pos is not None:
            parts.append(f"{self.unit} {int(self.lines[pos])}")
        if date is not None and not pd.isna(date):
            parts.append(f"date {pd.Timestamp(date):%Y-%m-%d}")
        if column is not None:
            parts.append(f"column {column!r}")
        return ", ".join(parts)


def check_exists(path: Path) -> None:
    if not path.exists():
        raise DataNotFoundError(f"file not found: {path}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a data file")


def read_bytes(path: Path) -> bytes:
    """The bytes of a (possibly ``.gz``/``.xz``/``.bz2`` compressed) file."""
    check_exists(path)
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(path.suffix.lower())
    try:
        if opener is None:
            return path.read_bytes()
        with opener(path, "rb") as handle:
            return handle.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None


# ---------------------------------------------------------------------- text and lines
def _line_of(raw: bytes, pos: int) -> int:
    """Physical line (1-based) of byte ``pos``: LF, CRLF and lone CR end a line."""
    return raw.count(b"\n", 0, pos) + raw.count(b"\r", 0, pos) - raw.count(b"\r\n", 0, pos) + 1


def _line_text(raw: bytes, pos: int) -> bytes:
    start = max(raw.rfind(b"\n", 0, pos), raw.rfind(b"\r", 0, pos)) + 1
    ends = [e for e in (raw.find(b"\n", pos), raw.find(b"\r", pos)) if e >= 0]
    return raw[start: min(ends) if ends else len(raw)]


def _field_at(line: bytes, offset: int, delimiter: str, header: Sequence[str]) -> tuple[str, str]:
    """(column name, field text) of the field holding byte ``offset`` of ``line``."""
    index = line[:offset].count(delimiter.encode())
    fields = line.split(delimiter.encode())
    text = fields[index].decode("utf-8", "replace") if index < len(fields) else ""
    name = header[index] if index < len(header) else f"field {index + 1}"
    return name, text


def to_utf8(raw: bytes, encoding: str, source: str, delimiter: str) -> tuple[bytes, int]:
    """UTF-8 bytes of the file and the offset of its text (after a BOM); checks NUL bytes."""
    if encoding.lower() not in _UTF8:
        try:
            raw = raw.decode(encoding).encode("utf-8")
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = _line_of(raw, exc.start)
            raise InputError(
                f"{source}, line {line}: cannot decode byte {raw[exc.start:exc.start + 1]!r} "
                f"as {encoding}; pass encoding= (e.g. 'latin-1')"
            ) from None
    offset = len(_BOM) if raw.startswith(_BOM) else 0
    nul = raw.find(b"\x00", offset)
    if nul >= 0:
        raise InputError(
            f"{source}, line {_line_of(raw, nul)}: NUL byte in the file (a binary file, or a "
            "text encoding such as UTF-16: pass encoding=)"
        )
    return raw, offset


def bad_utf8(raw: bytes, offset: int, source: str, delimiter: str, header: Sequence[str]) -> None:
    """Raise naming the first byte that is not UTF-8 (line, column, value), if any."""
    try:
        raw[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        pos = offset + exc.start
        line_start = max(raw.rfind(b"\n", 0, pos), raw.rfind(b"\r", 0, pos)) + 1
        name, text = _field_at(_line_text(raw, pos), pos - line_start, delimiter, header)
        raise InputError(
            f"{source}, line {_line_of(raw, pos)}, column {name!r}: cannot decode byte "
            f"{raw[pos:pos + 1]!r} as UTF-8 in {text!r}; pass encoding= (e.g. 'latin-1')"
        ) from None


def header_of(raw: bytes, offset: int, delimiter: str, source: str) -> list[str]:
    """Column names from the first line; empty file, blank or duplicate names are errors."""
    if _NON_BLANK.search(raw, offset) is None:
        raise InputError(f"{source}: empty file (no header, no data)")
    ends = [e for e in (raw.find(b"\n", offset), raw.find(b"\r", offset)) if e >= 0]
    first = raw[offset: min(ends) if ends else len(raw)]
    try:
        text = first.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}, line 1: cannot decode byte {first[exc.start:exc.start + 1]!r} as UTF-8 "
            "in the header; pass encoding= (e.g. 'latin-1')"
        ) from None
    header = [h.strip() for h in next(csv.reader([text], delimiter=delimiter), [])]
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


def column_names(header: Sequence[str]) -> tuple[list[str], frozenset[str]]:
    """Header names with blank ones replaced by ``column_<i>`` (and the set of those)."""
    names = [h or f"column_{i + 1}" for i, h in enumerate(header)]
    return names, frozenset(n for n, h in zip(names, header) if not h)


@dataclass
class _Text:
    """What one pass over a CSV file's bytes found (the file is then streamed, not held)."""

    open: Callable[[], BinaryIO]  # a fresh binary stream of the (decompressed) UTF-8 bytes
    header: list[str]
    nonblank: np.ndarray  # bool per physical line: has content (line 1 = header)


def _opener(path: Path, data: bytes | None) -> Callable[[], BinaryIO]:
    if data is not None:
        return lambda: io.BytesIO(data)
    opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(path.suffix.lower())
    return (lambda: opener(path, "rb")) if opener else (lambda: open(path, "rb"))


def _count_lines(chunks: Iterable[bytes]) -> tuple[int, bool, bytes, int, int]:
    """Lines, whether any is blank, the first line, the first NUL and the first byte that is
    not UTF-8 (-1 for none), in one pass without large copies."""
    lf = cr = crlf = blank = 0
    first = b""
    nul = bad = -1
    base = 0
    last = b""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in chunks:
        if nul < 0 and b"\x00" in chunk:
            nul = base + chunk.index(b"\x00")
        if bad < 0:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = max(base + exc.start - len(decoder.getstate()[0]), 0)
        lf += chunk.count(b"\n")
        n_cr = chunk.count(b"\r")
        edge = last + chunk[:1]
        blank += chunk.count(b"\n\n") + (edge == b"\n\n")
        if n_cr or last == b"\r":  # CR line ends (CRLF or old Mac)
            cr += n_cr
            crlf += chunk.count(b"\r\n") + (edge == b"\r\n")
            blank += sum(chunk.count(p) + (edge == p) for p in (b"\n\r", b"\r\r"))
        if base == 0:
            ends = [e for e in (chunk.find(b"\n"), chunk.find(b"\r")) if e >= 0]
            first = chunk[: min(ends)] if ends else chunk
        last = chunk[-1:]
        base += len(chunk)
    if bad < 0:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad = base - len(decoder.getstate()[0])
    n_lines = lf + cr - crlf + (0 if last in (b"\n", b"\r", b"") else 1)
    return n_lines, blank > 0 or first.strip() == b"", first, nul, bad


def _nonblank_lines(chunks: Iterable[bytes]) -> np.ndarray:
    """Per physical line, whether it has content (for files with blank lines)."""
    flags: list[np.ndarray] = []
    pending = 0  # length of the unfinished line carried from the previous chunk
    for chunk in chunks:
        view = np.frombuffer(chunk, dtype=np.uint8)
        lf = np.flatnonzero(view == 10)
        cr = np.flatnonzero(view == 13)
        if len(cr):  # a CR ends a line unless a LF follows (chunks never split CR LF)
            nxt = np.minimum(cr + 1, len(view) - 1)
            cr = cr[(cr + 1 >= len(view)) | (view[nxt] != 10)]
        term = np.union1d(lf, cr)
        if len(term):
            starts = np.r_[0, term[:-1] + 1]
            crlf = (view[term] == 10) & (term > 0) & (view[np.maximum(term - 1, 0)] == 13)
            length = term - starts - crlf
            length[0] += pending
            flags.append(length > 0)
            pending = len(view) - (term[-1] + 1)
        else:
            pending += len(view)
    if pending > 0:
        flags.append(np.ones(1, dtype=bool))
    return np.concatenate(flags) if flags else np.zeros(0, dtype=bool)


def _chunks(stream: BinaryIO) -> Iterable[bytes]:
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return
        if chunk.endswith(b"\r"):  # keep CR LF in one chunk
            chunk += stream.read(1)
        yield chunk


def scan_csv(path: Path, encoding: str, delimiter: str, source: str) -> _Text:
    """One streaming pass: NUL bytes, line ends, blank lines and the header of a CSV file."""
    check_exists(path)
    data = None
    if encoding.lower() not in _UTF8:  # re-encoded in memory (rare)
        data, _ = to_utf8(read_bytes(path), encoding, source, delimiter)
    open_ = _opener(path, data)
    try:
        with open_() as stream:
            n_lines, blank, first, nul, bad = _count_lines(_chunks(stream))
        if blank:
            with open_() as stream:
                nonblank = _nonblank_lines(_chunks(stream))
        else:
            nonblank = np.ones(n_lines, dtype=bool)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise InputError(f"{path}: cannot read the file ({exc})") from None
    if nul >= 0:
        with open_() as stream:
            raw = stream.read()
        raise InputError(
            f"{source}, line {_line_of(raw, nul)}: NUL byte in the file (a binary file, or a "
            "text encoding such as UTF-16: pass encoding=)"
        )
    if bad >= 0:  # name the line, column and value of the first byte that is not UTF-8
        with open_() as stream:
            raw = stream.read()
        header = next(csv.reader([first.decode("utf-8", "replace").lstrip("\ufeff")],
                                 delimiter=delimiter), [])
        bad_utf8(raw, 0, source, delimiter, [h.strip() for h in header])
    first = first[len(_BOM):] if first.startswith(_BOM) else first
    if not nonblank.any() or (nonblank.sum() == 1 and not first.strip()):
        raise InputError(f"{source}: empty file (no header, no data)")
    if not first.strip():
        raise InputError(f"{source}, line 1: empty header line (expected column names)")
    header = header_of(first, 0, delimiter, source)
    if nonblank.sum() < 2:
        raise InputError(f"{source}: no data rows (header only)")
    return _Text(open_, header, nonblank)


def _text_lines(text: _Text, n_records: int, delimiter: str) -> np.ndarray:
    """Physical line of each data record (blank lines skipped; quoted line breaks)."""
    data = np.flatnonzero(text.nonblank[1:]) + 2
    if len(data) == n_records:  # one line per record
        return data.astype(np.int64)
    with text.open() as stream:  # quoted line breaks: the csv module finds each record's line
        raw = stream.read().decode("utf-8", "replace").lstrip("\ufeff")
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=delimiter)
    starts: list[int] = []
    previous_end = 0
    for row in reader:
        if row:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return np.asarray(starts[1: n_records + 1], dtype=np.int64)


def numbers_of_text(chunk: pa.Array, na_set: pa.Array, thousands: str | None,
                    decimal: str) -> np.ndarray:
    """float64 of a block of text (NaN where missing); ArrowInvalid if a cell is no number."""
    pool = {"memory_pool": POOL}
    text = pc.coalesce(pc.utf8_trim_whitespace(chunk, **pool), "", **pool)
    na = pc.is_in(pc.utf8_lower(text, **pool), value_set=na_set, **pool)
    if thousands:
        text = pc.replace_substring(text, thousands, "", **pool)
    if decimal != ".":
        text = pc.replace_substring(text, decimal, ".", **pool)
    values = pc.cast(pc.if_else(na, pa.scalar(None, pa.string()), text, **pool), pa.float64(),
                     memory_pool=POOL)
    return values.to_numpy(zero_copy_only=False)


def _first_bad(chunk: pa.Array, na_set: pa.Array, thousands: str | None,
               decimal: str) -> int:
    """Position of the first cell of a block that is neither missing nor a number."""
    lo, hi = 0, len(chunk)
    while hi - lo > 1:  # bisect on the blocks that fail to convert
        mid = (lo + hi) // 2
        try:
            numbers_of_text(chunk.slice(lo, mid - lo), na_set, thousands, decimal)
            lo = mid
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            hi = mid
    return lo


class _Column:
    """One column of a streamed CSV: float64 values, or int32 codes of distinct texts.

    Arrays are allocated once at their final size (the number of data lines), so what a read
    keeps is a few large blocks and the per-block temporaries reuse the same memory.
    """

    def __init__(self, numeric: bool, capacity: int) -> None:
        self.numeric = numeric
        self.data = np.empty(capacity, np.float64 if numeric else np.int32)
        self.words: dict[str, int] = {}

    def _room(self, end: int) -> None:
        if end > len(self.data):  # quoted line breaks: fewer lines than records is impossible
            self.data = np.resize(self.data, max(end, 2 * len(self.data)))

    def add_numbers(self, values: np.ndarray, at: int) -> None:
        self._room(at + len(values))
        self.data[at: at + len(values)] = values

    def add_text(self, chunk: pa.Array, at: int) -> None:
        encoded = pc.dictionary_encode(chunk, memory_pool=POOL)
        ids = np.array([self.words.setdefault(w, len(self.words))
                        for w in encoded.dictionary.to_pylist()], dtype=np.int32)
        self._room(at + len(chunk))
        self.data[at: at + len(chunk)] = ids[encoded.indices.to_numpy(zero_copy_only=False)]

    def array(self, n: int) -> pa.Array:
        if self.numeric:
            return pa.array(self.data[:n], pa.float64())
        words = pa.array(list(self.words), pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(self.data[:n], pa.int32()), words)


def read_csv_table(
    text: _Text,
    delimiter: str,
    source: str,
    include: Sequence[str],
    numbers: Sequence[str],
    na_values: Sequence[str],
    thousands: str | None,
    decimal: str,
) -> _Table:
    """Stream a CSV file with pyarrow: ``numbers`` columns to float64, the others encoded.

    Text columns (dates, factor keys) are dictionary-encoded block by block; number columns
    are converted block by block, so no column of text is held in full. The first cell of a
    number column that is not a number (or not finite) is kept in ``_Table.bad``.
    """
    names, unnamed = column_names(text.header)
    internal = [f"c{i}" for i in range(len(names))]
    wanted = [internal[names.index(c)] for c in include]
    is_number = {internal[names.index(c)] for c in numbers}
    na_set = pa.array(sorted({v.strip().lower() for v in na_values}), pa.string())
    invalid: list[Any] = []

    def on_invalid(row: Any) -> str:
        invalid.append(row)
        return "skip"

    capacity = max(int(text.nonblank.sum()) - 1, 1)  # records, unless quoted line breaks
    columns = {c: _Column(c in is_number, capacity) for c in wanted}
    bad: dict[str, tuple[int, str]] = {}
    n = 0
    try:
        with text.open() as stream:
            reader = pacsv.open_csv(
                stream,
                read_options=pacsv.ReadOptions(column_names=internal, skip_rows=1,
                                               use_threads=False, block_size=_BLOCK),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=True,
                                                 invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(
                    column_types={c: pa.string() for c in internal}, include_columns=wanted,
                    strings_can_be_null=False, quoted_strings_can_be_null=False),
                memory_pool=POOL,
            )
            numeric = [c for c in wanted if c in is_number]
            for batch in reader:
                for name in wanted:
                    if name not in is_number:
                        columns[name].add_text(batch.column(name), n)
                if len(numeric) > 1 and not bad:  # every number column of the block at once
                    try:
                        block = numbers_of_text(pa.concat_arrays(
                            [batch.column(c) for c in numeric], memory_pool=POOL),
                            na_set, thousands, decimal).reshape(len(numeric), -1)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        block = None
                    if block is not None and np.isfinite(block[~np.isnan(block)]).all():
                        for name, values in zip(numeric, block):
                            columns[name].add_numbers(values, n)
                        n += batch.num_rows
                        continue
                for name in numeric:
                    chunk = batch.column(name)
                    column = columns[name]
                    try:
                        values = numbers_of_text(chunk, na_set, thousands, decimal)
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        pos = _first_bad(chunk, na_set, thousands, decimal)
                        bad.setdefault(name, (n + pos, chunk[pos].as_py()))
                        values = np.full(len(chunk), np.nan)
                    infinite = np.flatnonzero(np.isinf(values))
                    if len(infinite) and name not in bad:
                        bad[name] = (n + int(infinite[0]), chunk[int(infinite[0])].as_py())
                    column.add_numbers(values, n)
                n += batch.num_rows
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        if "utf8" in str(exc).lower():
            with text.open() as stream:
                bad_utf8(stream.read(), 0, source, delimiter, names)
        raise InputError(f"{source}: cannot parse the file as CSV ({exc})") from None
    if invalid:
        row = invalid[0]
        with text.open() as stream:
            raw = stream.read()
        pos = raw.find(row.text.encode("utf-8", "replace"))
        line = _line_of(raw, pos) if pos >= 0 else row.number
        fields = "field" if row.actual_columns == 1 else "fields"
        raise InputError(
            f"{source}, line {line}: {row.actual_columns} {fields} where the header has "
            f"{row.expected_columns} ({row.text[:80]!r})"
        )
    table = pa.table({names[internal.index(c)]: col.array(n) for c, col in columns.items()})
    lines = _text_lines(text, n, delimiter)
    renamed = {names[internal.index(c)]: v for c, v in bad.items()}
    return _Table(table, lines, source, "line", unnamed & set(table.column_names), renamed)


def investing_table(raw: bytes, offset: int, delimiter: str, source: str) -> tuple[list[str],
                                                                                    _Table]:
    """investing.com exports with unquoted decimal commas: rebuild numbers from field pairs.

    Every data line has ``1 + 2 * (n_columns - 1)`` fields: the date, then the integer and
    decimal part of each number (``"2","7464"`` -> ``2.7464``); a trailing ``%`` is dropped.
    A ``.`` in the integer part is a thousands separator.
    """
    header = header_of(raw, offset, delimiter, source)
    bad_utf8(raw, offset, source, delimiter, header)
    n_values = len(header) - 1
    expected = 1 + 2 * n_values
    rows: list[list[str]] = []
    lines: list[int] = []
    for number, text in enumerate(raw[offset:].decode("utf-8").splitlines()[1:], start=2):
        if not text.strip():
            continue
        fields = [f.strip() for f in text.split(delimiter)]
        if len(fields) != expected:
            raise InputError(
                f"{source}, line {number}: {len(fields)} fields where an investing.com line "
                f"with {n_values} decimal-comma numbers has {expected} (line: {text!r})"
            )
        row = [fields[0]]
        for k in range(n_values):
            whole, frac = fields[1 + 2 * k], fields[2 + 2 * k].rstrip("%")
            row.append("" if not whole and not frac else f"{whole.replace('.', '')}.{frac}")
        rows.append(row)
        lines.append(number)
    names, unnamed = column_names(header)
    columns = list(zip(*rows)) if rows else [[] for _ in names]
    table = pa.table({n: pa.array(list(c), pa.string()) for n, c in zip(names, columns)})
    return header, _Table(table, np.asarray(lines, dtype=np.int64), source, "line", unnamed)


def parquet_table(path: Path, date_column: str | None) -> tuple[_Table, str | None]:
    """A Parquet file's columns; a stored (date) index becomes a column named after it."""
    import pyarrow.parquet as pq

    check_exists(path)
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises assorted ArrowInvalid/OSError subclasses
        raise InputError(f"{path}: cannot read as Parquet ({type(exc).__name__}: {exc})") from None
    meta = table.schema.pandas_metadata or {}
    index_cols = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
    for col in index_cols:
        info = next((c for c in meta.get("columns", []) if c.get("field_name") == col), {})
        label = info.get("name") or "date"
        kind = table.schema.field(col).type
        is_date = pa.types.is_timestamp(kind) or pa.types.is_date(kind)
        if is_date or (date_column is not None and date_column == label):
            others = [c for c in table.column_names if c != col]
            if label in others:
                label = f"{label}_index"
            table = table.rename_columns([label if c == col else c for c in table.column_names])
            date_column = date_column or label
        else:
            table = table.drop_columns([col])
    table = table.rename_columns([str(c) for c in table.column_names])
    if table.num_rows == 0:
        raise InputError(f"{path}: no data rows")
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return _Table(table, lines, str(path), unit="row"), date_column
