"""Exception classes and message helpers.

Every error caused by user input is an :class:`InputError`; its message names the argument, file,
row, column or date at fault and the offending value, so a user can fix the input without reading
a traceback (the CLI prints the message alone and exits with status 2).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

__all__ = [
    "CalibrationError",
    "DataNotFoundError",
    "ImResearchError",
    "InputError",
    "OutputError",
    "check_choice",
    "check_in_open_interval",
    "check_positive_int",
    "command_line",
    "option",
    "where",
]


class ImResearchError(Exception):
    """Base class of every error raised on purpose by imresearch."""


class InputError(ImResearchError, ValueError):
    """Bad user input: a file, an argument or a value that cannot be used as given."""


class DataNotFoundError(InputError, FileNotFoundError):
    """A named data set or file is not available (e.g. no data directory configured)."""


class OutputError(InputError):
    """An output folder that cannot be written safely: it holds other files, is a file or a
    symbolic link, cannot be created, or another process is writing to it."""


class CalibrationError(ImResearchError, RuntimeError):
    """A model could not be calibrated on otherwise valid input (e.g. a singular covariance)."""


_INTERFACE: ContextVar[str] = ContextVar("imresearch_interface", default="python")


@contextlib.contextmanager
def command_line() -> Iterator[None]:
    """Within the block, :func:`option` names command-line options (the CLI runs in it)."""
    token = _INTERFACE.set("cli")
    try:
        yield
    finally:
        _INTERFACE.reset(token)


def option(name: str) -> str:
    """How a user passes the setting ``name`` where the error is shown.

    ``option("data_dir")`` is ``"--data-dir"`` on the command line (inside
    :func:`command_line`) and ``"data_dir="`` in Python, so a hint names what the user types.
    """
    if _INTERFACE.get() == "cli":
        return "--" + name.replace("_", "-")
    return f"{name}="


def where(
    file: object | None = None,
    *,
    line: int | None = None,
    column: object | None = None,
    date: object | None = None,
) -> str:
    """Return a location prefix such as ``"prices.csv, line 12, column 'SPX'"``.

    Parameters
    ----------
    file : path-like or str, optional
        File (or data-set name) the problem is in.
    line : int, optional
        1-based line number in the file, header included.
    column : object, optional
        Column or factor name.
    date : object, optional
        Date of the offending observation; printed as ``YYYY-MM-DD`` where possible.
    """
    parts: list[str] = []
    if file is not None:
        parts.append(str(file))
    if line is not None:
        parts.append(f"line {line}")
    if date is not None:
        text = date.strftime("%Y-%m-%d") if hasattr(date, "strftime") else str(date)
        parts.append(f"date {text}")
    if column is not None:
        parts.append(f"column {column!r}")
    return ", ".join(parts)


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise :class:`InputError`."""
    options = tuple(choices)
    if value not in options:
        listed = ", ".join(repr(c) for c in options)
        raise InputError(f"{name} must be one of {listed}; got {value!r}")
    return value


def check_positive_int(name: str, value: Any, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``; else raise InputError."""
    if isinstance(value, bool) or (not isinstance(value, (int,)) and not (
        hasattr(value, "__index__")
    )):
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    ivalue = int(value)
    if ivalue < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return ivalue


def check_in_open_interval(name: str, value: Any, low: float = 0.0, high: float = 1.0) -> float:
    """Return ``value`` as float if ``low < value < high``, else raise :class:`InputError`."""
    try:
        fvalue = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number in ({low}, {high}); got {value!r}") from None
    if not (low < fvalue < high):
        raise InputError(f"{name} must be in ({low}, {high}); got {value!r}")
    return fvalue
