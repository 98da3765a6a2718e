"""Reading, validating and netting ISDA CRIF (Common Risk Interchange Format) records.

A CRIF is a table of sensitivities, one row per trade x risk factor, with the columns of the ISDA
Risk Data Standards (``TradeID, PortfolioID, ProductClass, RiskType, Qualifier, Bucket, Label1,
Label2, Amount, AmountCurrency, AmountUSD, IMModel, collect_regulations, post_regulations``).
:func:`read_crif` accepts a CSV path or a DataFrame, recognises the column aliases ORE accepts
(``trade_id``, ``risk_type``, ``amount_usd``...; matching ignores case, spaces and underscores),
validates every row and returns a normalised DataFrame. Every problem raises
:class:`~imresearch.errors.InputError` naming the file, line (or DataFrame row), column and value.
:func:`imresearch.simm.netting.net_crif` sums duplicate rows (same portfolio and risk factor)
across trades.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D
from imresearch.errors import InputError, where
from imresearch.simm._codes import Codes, as_text, constant, text_codes
from imresearch.simm._crif_io import duplicate_columns, read_crif_file
from imresearch.simm.parameters import load_parameters
from imresearch.simm.versions import DEFAULT_VERSION, VERSIONS, canonical_version

__all__ = [
    "ADDON_RISK_TYPES",
    "CRIF_COLUMNS",
    "MAX_AMOUNT",
    "PRODUCT_CLASSES",
    "RISK_TYPES",
    "SENSITIVITY_RISK_TYPES",
    "Codes",
    "ParsedCrif",
    "fx_rate_table",
    "parse_crif",
    "read_crif",
]

CRIF_COLUMNS: tuple[str, ...] = (
    "TradeID",
    "PortfolioID",
    "ProductClass",
    "RiskType",
    "Qualifier",
    "Bucket",
    "Label1",
    "Label2",
    "Amount",
    "AmountCurrency",
    "AmountUSD",
    "IMModel",
    "CollectRegulations",
    "PostRegulations",
)
"""Columns of the normalised CRIF returned by :func:`read_crif`, in this order."""

_ALIASES: dict[str, str] = {
    "tradeid": "TradeID",
    "portfolioid": "PortfolioID",
    "productclass": "ProductClass",
    "risktype": "RiskType",
    "qualifier": "Qualifier",
    "bucket": "Bucket",
    "label1": "Label1",
    "label2": "Label2",
    "amount": "Amount",
    "amountcurrency": "AmountCurrency",
    "currency": "AmountCurrency",
    "amountusd": "AmountUSD",
    "immodel": "IMModel",
    "collectregulations": "CollectRegulations",
    "postregulations": "PostRegulations",
}

SENSITIVITY_RISK_TYPES: Mapping[str, tuple[str, str]] = {
    "Risk_IRCurve": ("InterestRate", "Delta"),
    "Risk_Inflation": ("InterestRate", "Delta"),
    "Risk_XCcyBasis": ("InterestRate", "Delta"),
    "Risk_IRVol": ("InterestRate", "Vega"),
    "Risk_InflationVol": ("InterestRate", "Vega"),
    "Risk_CreditQ": ("CreditQualifying", "Delta"),
    "Risk_CreditVol": ("CreditQualifying", "Vega"),
    "Risk_BaseCorr": ("CreditQualifying", "BaseCorr"),
    "Risk_CreditNonQ": ("CreditNonQualifying", "Delta"),
    "Risk_CreditVolNonQ": ("CreditNonQualifying", "Vega"),
    "Risk_Equity": ("Equity", "Delta"),
    "Risk_EquityVol": ("Equity", "Vega"),
    "Risk_Commodity": ("Commodity", "Delta"),
    "Risk_CommodityVol": ("Commodity", "Vega"),
    "Risk_FX": ("FX", "Delta"),
    "Risk_FXVol": ("FX", "Vega"),
}
"""SIMM sensitivity risk types and their (risk class, measure)."""

ADDON_RISK_TYPES: tuple[str, ...] = (
    "Param_ProductClassMultiplier",
    "Param_AddOnNotionalFactor",
    "Notional",
    "Param_AddOnFixedAmount",
)
"""Add-on parameter rows (no product class)."""
SCHEDULE_RISK_TYPES: tuple[str, ...] = ("PV", "Notional")
PRODUCT_CLASSES: tuple[str, ...] = ("RatesFX", "Credit", "Equity", "Commodity")
"""SIMM product classes."""
SCHEDULE_PRODUCT_CLASSES: tuple[str, ...] = (
    "Rates", "FX", "Credit", "Equity", "Commodity", "Other"
)
IM_MODELS: tuple[str, ...] = ("SIMM", "SIMM-P", "SIMM-R", "Schedule")

_NUMERIC_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@functools.cache
def _valid_values(version: str) -> dict[str, dict[str, tuple[str, ...] | None]]:
    """Valid Bucket and Label1 values per risk type (``None``: any value, ``""``: blank)."""
    p = load_parameters(version)
    ir_tenors = p.interest_rate.tenors
    cq, cn = p.credit_qualifying, p.credit_non_qualifying
    ir_buckets = (*sorted(set(p.interest_rate.delta_weight)), "")
    any_ = None
    blank: tuple[str, ...] = ("",)
    return {
        "Bucket": {
            "Risk_IRCurve": ir_buckets,
            "Risk_Inflation": blank,
            "Risk_XCcyBasis": blank,
            "Risk_IRVol": blank,
            "Risk_InflationVol": blank,
            "Risk_CreditQ": cq.buckets,
            "Risk_CreditVol": cq.buckets,
            "Risk_BaseCorr": blank,
            "Risk_CreditNonQ": cn.buckets,
            "Risk_CreditVolNonQ": cn.buckets,
            "Risk_Equity": p.equity.buckets,
            "Risk_EquityVol": p.equity.buckets,
            "Risk_Commodity": p.commodity.buckets,
            "Risk_CommodityVol": p.commodity.buckets,
            "Risk_FX": blank,
            "Risk_FXVol": blank,
        },
        "Label1": {
            "Risk_IRCurve": ir_tenors,
            "Risk_Inflation": any_,
            "Risk_XCcyBasis": any_,
            "Risk_IRVol": ir_tenors,
            "Risk_InflationVol": ir_tenors,
            "Risk_CreditQ": cq.tenors,
            "Risk_CreditVol": cq.tenors,
            "Risk_BaseCorr": any_,
            "Risk_CreditNonQ": cn.tenors,
            "Risk_CreditVolNonQ": cn.tenors,
            "Risk_Equity": any_,
            "Risk_EquityVol": ir_tenors,
            "Risk_Commodity": any_,
            "Risk_CommodityVol": ir_tenors,
            "Risk_FX": any_,
            "Risk_FXVol": ir_tenors,
        },
    }


RISK_TYPES: tuple[str, ...] = (*SENSITIVITY_RISK_TYPES, *ADDON_RISK_TYPES, "PV")
"""Every RiskType :func:`read_crif` accepts, in the order of the parsed risk-type codes."""




class _Locator:
    """Names rows of the input: ``file, line N`` for a CSV, ``row <label>`` for a DataFrame."""

    def __init__(self, file: str | None, index: pd.Index) -> None:
        self.file = file
        self.index = index

    def __call__(self, pos: int, column: str | None = None) -> str:
        if self.file is not None:
            return where(self.file, line=pos + 2, column=column)
        text = f"row {self.index[pos]!r}"
        return f"{text}, column {column!r}" if column is not None else text


def _fail(locate: _Locator, mask: np.ndarray, column: str,
          message: Callable[[int], str]) -> None:
    """Raise for the first row of ``mask`` (if any), saying how many rows share the problem."""
    bad = np.flatnonzero(mask)
    if bad.size:
        more = f" ({bad.size} rows affected)" if bad.size > 1 else ""
        raise InputError(f"{locate(int(bad[0]), column)}: {message(int(bad[0]))}{more}")


def _canonical_columns(frame: pd.DataFrame, file: str | None) -> pd.DataFrame:
    mapping: dict[str, str] = {}
    for col in frame.columns:
        key = re.sub(r"[^a-z0-9]", "", str(col).lower())
        canon = _ALIASES.get(key)
        if canon is None:
            continue
        if canon in mapping.values():
            first = next(k for k, v in mapping.items() if v == canon)
            raise InputError(
                f"{file or 'CRIF'}: columns {first!r} and {col!r} both mean {canon!r}"
            )
        mapping[col] = canon
    out = frame[list(mapping)].rename(columns=mapping)
    if "RiskType" not in out.columns:
        raise InputError(f"{file or 'CRIF'}: no RiskType column; columns are {list(frame.columns)}")
    if "Amount" not in out.columns and "AmountUSD" not in out.columns:
        raise InputError(f"{file or 'CRIF'}: needs an Amount or AmountUSD column")
    return out


MAX_AMOUNT = 1e20
"""Largest absolute CRIF amount accepted (USD 1e20 is far beyond any book; SIMM squares its
weighted amounts, which overflow double precision from about 1e150)."""


def fx_rate_table(fx_rates: Mapping[str, float] | None) -> dict[str, float]:
    """``fx_rates`` as ``{ISO code: positive finite rate}``.

    Raises
    ------
    InputError
        A key that is not a currency code or a rate that is not a positive finite number.
    """
    out: dict[str, float] = {}
    for key, value in (fx_rates or {}).items():
        code = str(key).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise InputError(f"fx_rates: key {key!r} is not an ISO currency code")
        try:
            rate = float(value)
        except (TypeError, ValueError):
            rate = float("nan")
        if not (np.isfinite(rate) and rate > 0):
            raise InputError(f"fx_rates[{key!r}] must be a positive number (USD per unit); got "
                             f"{value!r}")
        out[code] = rate
    return out


def _parse_amount(
    series: pd.Series, column: str, locate: _Locator
) -> tuple[Float64Array1D, np.ndarray]:
    """Numeric values and a 'blank' mask of an amount column (finite, within MAX_AMOUNT)."""
    dtype = series.dtype
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):
            values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            values = series.to_numpy().astype(np.float64, copy=False)
        blank = np.isnan(values)
        _fail(locate, ~blank & ~np.isfinite(values), column,
              lambda i: f"amount {repr(float(values[i]))!r} is not a number")
        _fail(locate, ~blank & (np.abs(values) > MAX_AMOUNT), column,
              lambda i: f"amount {float(values[i])!r} is beyond +-{MAX_AMOUNT:g}, "
              "where SIMM is not a finite number")
        return values, blank
    text = as_text(series)
    blank = (text == "").to_numpy()
    parsed = pd.to_numeric(text.where(~blank, "nan"), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan)
    bad = ~blank & ~np.isfinite(parsed)
    if bad.any():  # the regular expression decides what counts as a number
        numeric = text.str.fullmatch(_NUMERIC_TEXT).fillna(False).to_numpy(dtype=bool)
        bad = ~blank & (~numeric | ~np.isfinite(parsed))
    vals = text.to_numpy()
    _fail(locate, bad, column, lambda i: f"amount {vals[i]!r} is not a number")
    _fail(locate, ~blank & (np.abs(parsed) > MAX_AMOUNT), column,
          lambda i: f"amount {vals[i]!r} is beyond +-{MAX_AMOUNT:g}, "
              "where SIMM is not a finite number")
    return np.where(blank, np.nan, parsed).astype(np.float64), blank


@dataclass(frozen=True)
class ParsedCrif:
    """A validated CRIF as columns of codes (what :func:`read_crif` returns, before pandas).

    Attributes
    ----------
    columns : Mapping[str, Codes]
        Every text column of :data:`CRIF_COLUMNS` (``RiskType`` codes index
        :data:`RISK_TYPES`).
    amount, amount_usd : ndarray of shape (n_rows,)
        ``Amount`` and ``AmountUSD`` (float64, never NaN).
    """

    columns: Mapping[str, Codes]
    amount: Float64Array1D
    amount_usd: Float64Array1D

    def __len__(self) -> int:
        return int(self.amount.size)

    def frame(self) -> pd.DataFrame:
        """The CRIF as a DataFrame with the columns :data:`CRIF_COLUMNS`."""
        data: dict[str, Any] = {}
        for c in CRIF_COLUMNS:
            if c == "Amount":
                data[c] = self.amount
            elif c == "AmountUSD":
                data[c] = self.amount_usd
            else:
                data[c] = pd.Series(self.columns[c].dense(), dtype=str)
        return pd.DataFrame(data)


_RT_INDEX = {rt: i for i, rt in enumerate(RISK_TYPES)}


def _first_with(risk_type: str) -> str:
    """`` (first in SIMM v)`` for the first version that knows a risk type."""
    for v in VERSIONS:
        if risk_type in load_parameters(v).methodology.risk_types:
            return f" (first in SIMM {v})"
    return ""


def risk_type_code(*names: str) -> list[int]:
    """Codes (positions in :data:`RISK_TYPES`) of RiskType names."""
    return [_RT_INDEX[name] for name in names]


def parse_crif(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    fx_rates: Mapping[str, float] | None = None,
    trade_ids: bool = True,
    version: str | None = None,
) -> ParsedCrif:
    """Read and validate a CRIF into integer-coded columns (the engine of :func:`read_crif`).

    Every text column is factorized once; normalisation and validation run on its distinct
    values and reach the rows through the codes, so the cost per row is a few array operations.

    Parameters
    ----------
    source, fx_rates, version
        As in :func:`read_crif`.
    trade_ids : bool, default True
        Read the ``TradeID`` column; when False it is left blank (the margin calculation does
        not need it, and trade identifiers are the column with the most distinct values).

    Returns
    -------
    ParsedCrif

    Raises
    ------
    InputError
        As :func:`read_crif`.
    """
    if isinstance(source, pd.DataFrame):
        file = None
        raw = source
        dup = duplicate_columns(list(raw.columns))
        if dup is not None:
            raise InputError(f"CRIF: column {dup[0]!r} appears twice (columns {dup[1]} and "
                             f"{dup[2]})")
    else:
        path = Path(source)
        file = str(path)
        raw = read_crif_file(path)
    frame = _canonical_columns(raw, file)
    n = len(frame)
    locate = _Locator(file, frame.index)
    present = set(frame.columns)
    rt_names = np.array(RISK_TYPES, dtype=object)
    rt_code = np.zeros(n, dtype=np.int64)

    def fail(mask: np.ndarray, column: str, message: Callable[[int], str]) -> None:
        """:func:`_fail`, or "column X is missing" when the rows needing X have no column."""
        if column not in present and mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise InputError(f"{locate(i)}: column {column} is missing ({rt_names[rt_code[i]]} "
                             f"rows need it)")
        _fail(locate, mask, column, message)
    cols: dict[str, Codes] = {
        c: text_codes(frame[c]) if c in frame.columns and (trade_ids or c != "TradeID")
        else constant(n, "")
        for c in CRIF_COLUMNS if c not in ("Amount", "AmountUSD")
    }

    # RiskType (case-insensitive, ISDA spelling): codes into RISK_TYPES
    known = {k.lower(): i for i, k in enumerate(RISK_TYPES)}
    rt_in = cols["RiskType"]
    rt_table = rt_in.table(lambda v: known.get(v.lower(), -1), np.int64)
    rt_code = rt_table[rt_in.codes]
    _fail(locate, rt_code < 0, "RiskType",
          lambda i: f"unknown RiskType {rt_in.dense()[i]!r}; known: {', '.join(RISK_TYPES)}")
    cols["RiskType"] = Codes(rt_code, rt_names)

    def rt_is(*names: str) -> np.ndarray:
        table = np.zeros(len(RISK_TYPES), dtype=bool)
        table[risk_type_code(*names)] = True
        return table[rt_code]

    def rt_of(i: int) -> str:
        return str(rt_names[rt_code[i]])

    # IMModel
    models = {m.lower(): m for m in IM_MODELS}
    model_in = cols["IMModel"]
    bad_model = model_in.table(lambda v: v != "" and v.lower() not in models, bool)
    fail(bad_model[model_in.codes], "IMModel",
          lambda i: f"unknown IMModel {model_in.dense()[i]!r}; known: {', '.join(IM_MODELS)}")
    model = model_in.mapped(lambda v: models.get(v.lower(), "SIMM") if v else "SIMM")
    cols["IMModel"] = model
    schedule = model.table(lambda v: v == "Schedule", bool)[model.codes]
    is_sens = rt_is(*SENSITIVITY_RISK_TYPES) & ~schedule
    fail(schedule & ~rt_is(*SCHEDULE_RISK_TYPES), "RiskType",
          lambda i: f"RiskType {rt_of(i)!r} is not valid for IMModel 'Schedule' (PV, Notional)")
    fail(~schedule & rt_is("PV"), "RiskType",
          lambda i: "RiskType 'PV' is only valid with IMModel 'Schedule'")
    # the SIMM version must know each risk type of its rows
    version = canonical_version(version) if version is not None else DEFAULT_VERSION
    known_types = load_parameters(version).methodology.risk_types
    fail(~schedule & ~rt_is("PV", *known_types), "RiskType",
          lambda i: f"RiskType {rt_of(i)!r} is not part of SIMM {version}"
          f"{_first_with(rt_of(i))}")

    # ProductClass: SIMM product classes, or the schedule's for IMModel=Schedule rows
    pc_in = cols["ProductClass"]
    pcs = {p.lower(): p for p in PRODUCT_CLASSES}
    spcs = {p.lower(): p for p in SCHEDULE_PRODUCT_CLASSES}
    pc_bad = pc_in.table(lambda v: v.lower() not in pcs, bool)[pc_in.codes]
    spc_bad = pc_in.table(lambda v: v.lower() not in spcs, bool)[pc_in.codes]
    fail((is_sens & pc_bad) | (schedule & spc_bad), "ProductClass",
          lambda i: f"ProductClass {pc_in.dense()[i]!r} is not valid; expected one of "
          f"{', '.join(SCHEDULE_PRODUCT_CLASSES if schedule[i] else PRODUCT_CLASSES)}")
    cols["ProductClass"] = pc_in.mapped(lambda v: pcs.get(v.lower(), v),
                                        lambda v: spcs.get(v.lower(), v),
                                        variant=schedule.astype(np.int64))

    # Qualifier
    qual = cols["Qualifier"]
    need_q = is_sens | rt_is("Param_ProductClassMultiplier", "Param_AddOnNotionalFactor",
                             "Notional")
    blank_q = qual.table(lambda v: v == "", bool)[qual.codes]
    fail(need_q & ~schedule & blank_q, "Qualifier",
          lambda i: f"Qualifier is blank; {rt_of(i)} needs one")
    ccy_rows = rt_is("Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis", "Risk_IRVol",
                     "Risk_InflationVol", "Risk_FX") & is_sens
    fx_vol = rt_is("Risk_FXVol")
    mult = rt_is("Param_ProductClassMultiplier")
    variant = np.where(ccy_rows | fx_vol, 1, np.where(mult, 2, 0)).astype(np.int64)
    qual = qual.mapped(lambda v: v, str.upper, lambda v: pcs.get(v.lower(), v), variant=variant)
    cols["Qualifier"] = qual
    ccy_ok = qual.table(lambda v: bool(re.fullmatch(r"[A-Z]{3}", v)), bool)[qual.codes]
    fail(ccy_rows & ~ccy_ok, "Qualifier",
          lambda i: f"Qualifier {qual.dense()[i]!r} of {rt_of(i)} must be an ISO currency code")
    pair_ok = qual.table(lambda v: bool(re.fullmatch(r"[A-Z]{6}", v)), bool)[qual.codes]
    fail(fx_vol & is_sens & ~pair_ok, "Qualifier",
          lambda i: f"Qualifier {qual.dense()[i]!r} of Risk_FXVol must be a currency pair like "
          f"'EURUSD'")
    pc_ok = qual.table(lambda v: v in PRODUCT_CLASSES, bool)[qual.codes]
    fail(mult & ~pc_ok, "Qualifier",
          lambda i: f"Qualifier {qual.dense()[i]!r} of Param_ProductClassMultiplier must be a "
          f"product class ({', '.join(PRODUCT_CLASSES)})")

    # Bucket and Label1 by risk type
    cols["Bucket"] = cols["Bucket"].mapped(
        lambda v: "Residual" if v.lower() == "residual" else v)
    cols["Label1"] = cols["Label1"].mapped(str.lower)
    for column, allowed_by_type in _valid_values(version).items():
        col = cols[column]
        ok = np.ones((len(RISK_TYPES), len(col.values)), dtype=bool)
        for risk_type, allowed in allowed_by_type.items():
            if allowed is not None:
                ok[_RT_INDEX[risk_type]] = np.isin(col.values, list(allowed))
        bad = is_sens & ~ok[rt_code, col.codes]
        if bad.any():
            first = rt_of(int(np.flatnonzero(bad)[0]))
            allowed = allowed_by_type[first] or ()
            shown = ", ".join(repr(a) if a else "blank" for a in allowed)
            fail(bad & (rt_code == _RT_INDEX[first]), column,
                  lambda i, c=column, col_=col, rt_=first, shown_=shown:
                  f"{c} {col_.dense()[i]!r} is not valid for {rt_} in SIMM {version} "
                  f"(valid: {shown_})")

    # Amounts
    if "Amount" in frame.columns:
        amount, amount_blank = _parse_amount(frame["Amount"], "Amount", locate)
    else:
        amount, amount_blank = np.full(n, np.nan), np.ones(n, dtype=bool)
    if "AmountUSD" in frame.columns:
        usd, usd_blank = _parse_amount(frame["AmountUSD"], "AmountUSD", locate)
    else:
        usd, usd_blank = np.full(n, np.nan), np.ones(n, dtype=bool)
    fail(amount_blank & usd_blank, "Amount",
          lambda i: "both Amount and AmountUSD are blank")
    ccy = cols["AmountCurrency"].mapped(str.upper)
    cols["AmountCurrency"] = ccy
    ccy_ok = ccy.table(lambda v: v == "" or bool(re.fullmatch(r"[A-Z]{3}", v)), bool)
    fail(~ccy_ok[ccy.codes], "AmountCurrency",
         lambda i: f"AmountCurrency {ccy.dense()[i]!r} is not an ISO currency code")
    unitless = rt_is("Param_ProductClassMultiplier", "Param_AddOnNotionalFactor")
    in_usd = ccy.table(lambda v: v == "USD", bool)[ccy.codes]
    both = ~amount_blank & ~usd_blank & in_usd
    off = both & (np.abs(amount - usd) > 1e-9 * np.maximum(np.abs(amount), np.abs(usd)) + 1e-9)
    fail(off, "AmountUSD",
         lambda i: f"AmountUSD {float(usd[i])!r} contradicts Amount {float(amount[i])!r} in "
         "USD")
    fill = usd_blank & ~amount_blank
    if fill.any():
        usd = np.where(fill & (in_usd | unitless), amount, usd)
        need_fx = fill & ~(in_usd | unitless)
        if need_fx.any():
            rates = fx_rate_table(fx_rates)
            rate = ccy.table(lambda v: rates.get(v, np.nan))[ccy.codes]
            blank_ccy = ccy.table(lambda v: v == "", bool)[ccy.codes]
            fail(need_fx & blank_ccy, "AmountCurrency",
                  lambda i: "AmountUSD is blank and AmountCurrency is blank")
            fail(need_fx & ~(np.isfinite(rate) & (rate > 0)), "AmountUSD",
                  lambda i: f"AmountUSD is blank and there is no FX rate for "
                  f"{ccy.dense()[i]!r}"
                  + ("" if fx_rates else " (pass fx_rates={currency: USD per unit})"))
            usd = np.where(need_fx, amount * rate, usd)
    amount = np.where(amount_blank, usd, amount)
    fail(unitless & ~(usd > 0), "Amount",
          lambda i: f"{rt_of(i)} must be positive; got {float(usd[i])!r}")
    return ParsedCrif(columns=cols, amount=np.ascontiguousarray(amount, dtype=np.float64),
                      amount_usd=np.ascontiguousarray(usd, dtype=np.float64))


def read_crif(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    fx_rates: Mapping[str, float] | None = None,
    net: bool = False,
    version: str | None = None,
) -> pd.DataFrame:
    """Read and validate a CRIF.

    Parameters
    ----------
    source : path-like or DataFrame
        A CSV file with a header row, or a DataFrame, with the ISDA CRIF columns (aliases
        accepted; unknown columns are ignored). ``RiskType`` and ``Amount`` or ``AmountUSD`` are
        required; ``PortfolioID`` defaults to ``""``, ``IMModel`` to ``"SIMM"``.
    fx_rates : Mapping[str, float], optional
        USD value of one unit of each currency (e.g. ``{"EUR": 1.08}``), used to fill a blank or
        missing ``AmountUSD`` from ``Amount`` and ``AmountCurrency``. Amounts in USD never need it.
    net : bool, default False
        Return :func:`net_crif` of the result (duplicate risk factors summed across trades).
    version : str, optional
        SIMM version whose risk types, buckets and tenors the rows must use (default the newest,
        :data:`~imresearch.simm.versions.DEFAULT_VERSION`).

    Returns
    -------
    DataFrame
        One row per input row (or per netted risk factor), columns :data:`CRIF_COLUMNS`; text
        columns normalised (ISDA spelling of RiskType and ProductClass, ``Residual``, lower-case
        tenors), ``Amount`` and ``AmountUSD`` float64 and never NaN.

    Raises
    ------
    InputError
        Naming file and line (or DataFrame row), column and value, for: an unknown RiskType,
        ProductClass or IMModel; a RiskType the version does not know (naming the version and
        the first version that has it); a Bucket, Label1 or Qualifier not valid for its RiskType
        in the version; a non-numeric or non-finite amount; a missing AmountUSD with no FX rate
        for its currency.
    """
    out = parse_crif(source, fx_rates=fx_rates, version=version).frame()
    if not net:
        return out
    from imresearch.simm.netting import net_crif

    return net_crif(out)
