"""Reading a CRIF file into a DataFrame of text, refusing what is not a CRIF table.

Every problem is a one-line :class:`~imresearch.errors.InputError` naming the file, the line and
(where there is one) the column and the value: an empty file, text that is not UTF-8, a line
the CSV parser cannot split, a column that appears twice.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from imresearch.errors import InputError

__all__ = ["duplicate_columns", "read_crif_file"]


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """(line, field) numbers, from 1, of a byte offset in CSV data."""
    before = data[:offset]
    line = before.count(b"\n") + 1
    start = before.rfind(b"\n") + 1
    field = before[start:].count(b",") + 1
    return line, field


def _header(text: str) -> list[str]:
    # newline="" lets the csv module see every line ending (a lone \r included)
    for row in csv.reader(io.StringIO(text, newline="")):
        return [c.strip() for c in row]
    return []


def duplicate_columns(names: list[object]) -> tuple[str, int, int] | None:
    """The first column name given twice (ignoring case, spaces and underscores), if any.

    Returns ``(name, first position, second position)``, positions from 1.
    """
    seen: dict[str, int] = {}
    for i, name in enumerate(names, start=1):
        key = re.sub(r"[^a-z0-9]", "", str(name).lower())
        if not key:
            continue
        if key in seen:
            return str(name), seen[key], i
        seen[key] = i
    return None


def read_crif_file(path: Path) -> pd.DataFrame:
    """A CRIF CSV file as a DataFrame of stripped text (no value converted, none missing).

    Raises
    ------
    InputError
        The file does not exist or cannot be read; it is empty or has a header and no rows;
        it is not UTF-8 text (the line, field and byte are named); the CSV parser cannot split
        it (its message names the line); a column name appears twice.
    """
    file = str(path)
    if not path.is_file():
        raise InputError(f"CRIF file {file!r} does not exist")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        line, field = _position(data, exc.start + bom)
        raise InputError(f"{file}, line {line}, field {field}: byte 0x{data[exc.start + bom]:02x}"
                         f" is not UTF-8 text; save the CRIF as UTF-8") from None
    if not text.strip():
        raise InputError(f"{file}: the file is empty (a CRIF needs a header row and at least "
                         f"one row)")
    try:
        header = _header(text)
    except csv.Error as exc:
        raise InputError(f"{file}, line 1: cannot be read as CSV ({exc})") from None
    dup = duplicate_columns(header)
    if dup is not None:
        raise InputError(f"{file}, line 1: column {dup[0]!r} appears twice (columns {dup[1]} "
                         f"and {dup[2]})")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        message = " ".join(str(exc).split())
        raise InputError(f"{file}: cannot be read as CSV ({message})") from None
    if frame.empty:
        raise InputError(f"{file}: the file has a header row but no rows")
    return _without_blank_columns(frame, header, file)


def _without_blank_columns(frame: pd.DataFrame, header: list[str], file: str) -> pd.DataFrame:
    """Drop columns with neither a name nor a value (trailing commas); refuse a nameless
    column that holds values (its meaning would be lost)."""
    keep = []
    for i, name in enumerate(header[:frame.shape[1]]):
        if name:
            keep.append(i)
            continue
        values = frame.iloc[:, i].str.strip()
        filled = values.to_numpy() != ""
        if filled.any():
            row = int(filled.argmax())
            raise InputError(f"{file}, line 1, column {i + 1}: the column has no name but holds "
                             f"values (e.g. {values.iloc[row]!r} on line {row + 2}); name it "
                             "or remove it")
    keep += range(len(header), frame.shape[1])
    return frame.iloc[:, keep] if len(keep) < frame.shape[1] else frame
