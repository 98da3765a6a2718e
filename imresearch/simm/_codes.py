"""Text columns of a CRIF as integer codes into their distinct values, and text normalisation.

A CRIF column has few distinct values (risk types, buckets, tenors, currencies), so it is
factorized once; validation and parameter look-ups then run once per distinct value and reach
the rows through the codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import Int64Array

__all__ = ["Codes", "as_text", "constant", "text_codes"]


@dataclass(frozen=True)
class Codes:
    """A text column as integer codes into a table of distinct values.

    Attributes
    ----------
    codes : ndarray of int64, shape (n_rows,)
        Index of each row's value in ``values``.
    values : ndarray of object, shape (n_values,)
        Distinct strings (two codes never name the same string; some may be unused).
    """

    codes: Int64Array
    values: np.ndarray

    def dense(self) -> np.ndarray:
        """The column as an object array of strings, shape (n_rows,)."""
        return self.values[self.codes]

    def take(self, rows: np.ndarray) -> Codes:
        """The column restricted to ``rows`` (indices or a boolean mask)."""
        return Codes(self.codes[rows], self.values)

    def table(self, func: Callable[[str], Any], dtype: Any = np.float64) -> np.ndarray:
        """``func`` applied to every value, as an array indexed by code (shape (n_values,))."""
        return np.array([func(v) for v in self.values], dtype=dtype)

    def lookup(self, func: Callable[[str], Any], dtype: Any = np.float64) -> np.ndarray:
        """``func`` of each row's value, computed once per distinct value used (shape (n_rows,)).
        """
        out = np.zeros(len(self.values), dtype=dtype)
        used = np.unique(self.codes)
        if used.size:
            out[used] = [func(self.values[i]) for i in used]
        return out[self.codes]

    def mapped(self, *funcs: Callable[[str], str], variant: np.ndarray | None = None) -> Codes:
        """The column with each value replaced by ``funcs[variant]`` of it (default: the first).

        Values that become equal share one code afterwards.
        """
        k = len(self.values)
        new = np.empty(k * len(funcs), dtype=object)
        for j, func in enumerate(funcs):
            new[j * k:(j + 1) * k] = [func(v) for v in self.values]
        codes, values = pd.factorize(new)
        table = codes.astype(np.int64).reshape(len(funcs), k)
        if variant is None:
            return Codes(table[0][self.codes], np.asarray(values, dtype=object))
        return Codes(table[variant, self.codes], np.asarray(values, dtype=object))


def constant(n: int, value: str) -> Codes:
    return Codes(np.zeros(n, dtype=np.int64), np.array([value], dtype=object))


_INT_TEXT = re.compile(r"^(-?\d+)\.0+$")


def _text_of(value: Any, float_column: bool, object_column: bool) -> str:
    """One cell as stripped text, as :func:`as_text` writes it."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if float_column:
        v = float(value)
        return str(int(v)) if v.is_integer() else repr(v)
    text = str(value).strip()
    if object_column:
        text = _INT_TEXT.sub(r"\1", text)
    return text


def text_codes(series: pd.Series) -> Codes:
    """Factorize a column once and normalise its distinct values (stripped text)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    float_column = pd.api.types.is_float_dtype(series.dtype)
    object_column = series.dtype == object
    text = np.array([_text_of(u, float_column, object_column) for u in np.asarray(uniques,
                                                                                 dtype=object)],
                    dtype=object)
    merged, values = pd.factorize(text) if text.size else (np.zeros(0, np.int64), text)
    return Codes(np.asarray(merged, dtype=np.int64)[codes],
                 np.asarray(values, dtype=object))


def as_text(series: pd.Series) -> pd.Series:
    """A column as stripped text, with missing values as "" and 1.0 written as "1".

    Vectorised over rows (for columns with mostly distinct values, such as amounts given as
    text); :func:`text_codes` gives the same text through the distinct values.
    """
    if pd.api.types.is_float_dtype(series.dtype):
        return pd.Series(text_codes(series).dense(), index=series.index, dtype=str)
    if isinstance(series.dtype, pd.StringDtype):
        return series.fillna("").str.strip()
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    if series.dtype == object:  # mixed columns: a float 3.0 among strings means "3"
        text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text
