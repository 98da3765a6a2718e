"""One schema layer for every file a user writes (study, grid, portfolio, episode, scenario).

Settings are frozen dataclasses; :func:`from_mapping` builds one from a parsed TOML table and
checks what the dataclass's type hints say (unknown keys, booleans, integers, numbers, text,
lists, choices of a ``Literal``, tables of numbers) before the dataclass checks its ranges.
Every message starts with the source (``"study.toml [models.'HS 1y']"``), names the key and
shows the value, so a user can fix the file without reading a traceback. :func:`read_toml`
reads a file with the same promise (missing file, non-UTF-8 text, invalid TOML with its line),
and :class:`Document` checks hand-parsed documents key by key.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import os
import sys
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import pandas as pd

from imresearch.errors import DataNotFoundError, InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["Document", "from_mapping", "read_toml", "to_mapping"]


def read_toml(path: str | os.PathLike[str], *, what: str = "file") -> dict[str, Any]:
    """Parse a TOML file; every failure is one :class:`InputError` naming the file.

    Parameters
    ----------
    path : path-like
        The file.
    what : str
        What the file is, for messages (``"study file"``, ``"grid file"``...).
    """
    path = Path(path)
    if not path.is_file():
        kind = "a folder, not a file" if path.is_dir() else "not found"
        raise DataNotFoundError(f"{path}: {what} {kind}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not UTF-8 text (byte {raw[exc.start]:#04x}); "
                         f"save the {what} as UTF-8") from None
    try:
        return tomllib.loads(text.replace("\r\n", "\n"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None


def _name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (tuple, list):
        return f"a list of {_name(get_args(tp)[0])}s"
    if origin in (dict, Mapping) or tp is dict:
        return "a table"
    return {bool: "true or false", int: "an integer", float: "a number", str: "text"}.get(
        tp, getattr(tp, "__name__", str(tp)))


def _convert(value: Any, tp: Any, key: str) -> Any:
    """``value`` as type ``tp`` (type hints of settings), or an InputError naming ``key``."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in (o for o in options if o is not type(None)):
            try:
                return _convert(value, option, key)
            except InputError as exc:
                errors.append(exc)
        wanted = " or ".join(_name(o) for o in options if o is not type(None))
        raise InputError(f"{key} must be {wanted}; got {value!r}")
    if origin is Literal:
        if value not in get_args(tp):
            raise InputError(f"{key} must be {_name(tp)}; got {value!r}")
        return value
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{key} must be {_name(tp)}, e.g. [...]; got {value!r}")
        item = get_args(tp)[0]
        return tuple(_convert(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (dict, Mapping) or origin is getattr(typing, "Mapping", None):
        if not isinstance(value, Mapping):
            raise InputError(f"{key} must be a table, e.g. {{ name = value }}; got {value!r}")
        ktp, vtp = get_args(tp) or (str, Any)
        return {_convert(k, ktp, f"{key} key"): _convert(v, vtp, f"{key}.{k}")
                for k, v in value.items()}
    if tp is Any:
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise InputError(f"{key} must be true or false; got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InputError(f"{key} must be an integer; got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{key} must be a number; got {value!r}")
        if not math.isfinite(value):
            raise InputError(f"{key} must be a finite number; got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise InputError(f"{key} must be text; got {value!r}")
        return value
    return value


def from_mapping(cls: type, values: Mapping[str, Any], *, source: str = "settings") -> Any:
    """Build the settings dataclass ``cls`` from a mapping (a parsed TOML table).

    Unknown keys, values of the wrong type (per the dataclass's type hints) and every check of
    ``cls`` itself raise one :class:`InputError` that starts with ``source``.
    """
    if not isinstance(values, Mapping):
        raise InputError(f"{source}: must be a table of settings; got {values!r}")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise InputError(f"{source}: unknown setting(s) {unknown}; known: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    try:
        converted = {k: _convert(v, hints.get(k, Any), k) for k, v in values.items()}
        return cls(**converted)
    except InputError as exc:
        if str(exc).startswith(source):
            raise
        raise InputError(f"{source}: {exc}") from None


def to_mapping(settings: Any) -> dict[str, Any]:
    """The fields of a settings dataclass as plain data (tuples as lists), for TOML and JSON."""
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            value = to_mapping(value)
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out


class Document:
    """Key-by-key checks of one hand-parsed TOML document; every message names the file and
    the key (dotted: ``'brokers.X.notional_usd_m.A'``) and shows the value.

    Parameters
    ----------
    source : str
        The file, for messages.
    """

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> InputError:
        """An :class:`InputError` about ``key``."""
        return InputError(f"{self.source}: key {key!r}: {message}")

    def table(self, value: Any, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        """``value`` as a table whose keys are all in ``allowed`` (if given)."""
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table; got {value!r}")
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(f"{key}.{unknown[0]}" if key else unknown[0],
                                f"unknown key; allowed here: {sorted(allowed)}")
        return dict(value)

    def number(self, value: Any, key: str, *, low: float | None = None,
               high: float | None = None, low_open: bool = False) -> float:
        """A finite number in ``[low, high]`` (``(low, high]`` with ``low_open``)."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number; got {value!r}")
        x = float(value)
        if not math.isfinite(x):
            raise self.fail(key, f"must be a finite number; got {value!r}")
        if low is not None and (x < low or (low_open and x == low)):
            raise self.fail(key, f"must be {'>' if low_open else '>='} {low:g}; got {value!r}")
        if high is not None and x > high:
            raise self.fail(key, f"must be <= {high:g}; got {value!r}")
        return x

    def integer(self, value: Any, key: str, *, low: int = 0) -> int:
        """An integer >= ``low``."""
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"must be an integer >= {low}; got {value!r}")
        return int(value)

    def text(self, value: Any, key: str) -> str:
        """Non-empty text, stripped."""
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string; got {value!r}")
        return value.strip()

    def flag(self, value: Any, key: str) -> bool:
        """A boolean."""
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false; got {value!r}")
        return value

    def date(self, value: Any, key: str) -> pd.Timestamp:
        """A date: a TOML date or ``YYYY-MM-DD`` text."""
        if isinstance(value, _dt.datetime):
            return pd.Timestamp(value.date())
        if isinstance(value, _dt.date):
            return pd.Timestamp(value)
        if isinstance(value, str):
            try:
                return pd.Timestamp(_dt.date.fromisoformat(value.strip()))
            except ValueError:
                pass
        raise self.fail(key, f"malformed date {value!r}; expected YYYY-MM-DD")
