"""Reader options of :func:`~imresearch.marketdata.readers.load_csv`: defaults and presets."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from imresearch.errors import InputError, check_choice, check_positive_int
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import DEFAULT_MAX_GAP

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

