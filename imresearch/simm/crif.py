"""Reading, validating and netting ISDA CRIF (Common Risk Interchange Format) records.

A CRIF is a table of sensitivities, one row per trade x risk factor, with the columns of the ISDA
Risk Data Standards (``TradeID, PortfolioID, ProductClass, RiskType, Qualifier, Bucket, Label1,
Label2, Amount, AmountCurrency, AmountUSD, IMModel, collect_regulations, post_regulations``).
:func:`read_crif` accepts a CSV path or a DataFrame, recognises the column aliases ORE accepts
(``trade_id``, ``risk_type``, ``amount_usd``...; matching ignores case, spaces and underscores),
validates every row and returns a normalised DataFrame. Every problem raises
:class:`~imresearch.errors.InputError` naming the file, line (or DataFrame row), column and value.
:func:`net_crif` sums duplicate rows (same portfolio and risk factor) across trades.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch.errors import InputError, where
from imresearch.simm.parameters import load_parameters

__all__ = [
    "ADDON_RISK_TYPES",
    "CRIF_COLUMNS",
    "PRODUCT_CLASSES",
    "SENSITIVITY_RISK_TYPES",
    "net_crif",
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


def _valid_values() -> dict[str, dict[str, tuple[str, ...] | None]]:
    """Valid Bucket and Label1 values per risk type (``None``: any value, ``""``: blank)."""
    p = load_parameters()
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


def _fail(locate: _Locator, mask: np.ndarray, column: str, message: str) -> None:
    """Raise for the first row of ``mask`` (if any), saying how many rows share the problem."""
    bad = np.flatnonzero(mask)
    if bad.size:
        more = f" ({bad.size} rows affected)" if bad.size > 1 else ""
        raise InputError(f"{locate(int(bad[0]), column)}: {message(int(bad[0]))}{more}")


def _as_text(series: pd.Series) -> pd.Series:
    """A column as stripped text, with missing values as "" and 1.0 written as "1"."""
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy()
        out = [
            "" if np.isnan(v) else (str(int(v)) if float(v).is_integer() else repr(float(v)))
            for v in values
        ]
        return pd.Series(out, index=series.index, dtype=str)
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    if series.dtype == object:  # mixed columns: a float 3.0 among strings means "3"
        text = text.str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    return text


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


def _parse_amount(
    text: pd.Series, column: str, locate: _Locator
) -> tuple[np.ndarray, np.ndarray]:
    """Numeric values and a 'blank' mask of an amount column given as text."""
    blank = (text == "").to_numpy()
    numeric = text.str.fullmatch(_NUMERIC_TEXT).fillna(False).to_numpy(dtype=bool)
    bad = ~blank & ~numeric
    vals = text.to_numpy()
    _fail(locate, bad, column, lambda i: f"amount {vals[i]!r} is not a number")
    values = np.where(blank, np.nan, pd.to_numeric(text.where(~blank, "nan"), errors="coerce"))
    return values.astype(np.float64), blank


def read_crif(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    fx_rates: Mapping[str, float] | None = None,
    net: bool = False,
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
        ProductClass or IMModel; a Bucket, Label1 or Qualifier not valid for its RiskType; a
        non-numeric or non-finite amount; a missing AmountUSD with no FX rate for its currency.
    """
    if isinstance(source, pd.DataFrame):
        file = None
        raw = source
    else:
        path = Path(source)
        file = str(path)
        if not path.is_file():
            raise InputError(f"CRIF file {file!r} does not exist")
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise InputError(f"{file}: cannot be read as CSV ({exc})") from None
    frame = _canonical_columns(raw, file)
    n = len(frame)
    locate = _Locator(file, frame.index)
    text = {c: _as_text(frame[c]) if c in frame.columns else pd.Series([""] * n, dtype=str,
            index=frame.index) for c in CRIF_COLUMNS if c not in ("Amount", "AmountUSD")}

    # RiskType (case-insensitive, ISDA spelling)
    known = {k.lower(): k for k in (*SENSITIVITY_RISK_TYPES, *ADDON_RISK_TYPES, "PV")}
    rt_in = text["RiskType"]
    rt = rt_in.str.lower().map(known)
    vals = rt_in.to_numpy()
    _fail(locate, rt.isna().to_numpy(), "RiskType",
          lambda i: f"unknown RiskType {vals[i]!r}; known: {', '.join(known.values())}")
    rt = rt.astype(str)
    text["RiskType"] = rt

    # IMModel
    models = {m.lower(): m for m in IM_MODELS}
    model_in = text["IMModel"]
    model = model_in.str.lower().map(models)
    model = model.where(model_in != "", "SIMM")
    vals = model_in.to_numpy()
    _fail(locate, model.isna().to_numpy(), "IMModel",
          lambda i: f"unknown IMModel {vals[i]!r}; known: {', '.join(IM_MODELS)}")
    text["IMModel"] = model.astype(str)
    schedule = (text["IMModel"] == "Schedule").to_numpy()
    is_sens = rt.isin(list(SENSITIVITY_RISK_TYPES)).to_numpy() & ~schedule
    _fail(locate, schedule & ~rt.isin(list(SCHEDULE_RISK_TYPES)).to_numpy(), "RiskType",
          lambda i: f"RiskType {rt.iloc[i]!r} is not valid for IMModel 'Schedule' (PV, Notional)")
    _fail(locate, ~schedule & (rt == "PV").to_numpy(), "RiskType",
          lambda i: "RiskType 'PV' is only valid with IMModel 'Schedule'")

    # ProductClass
    pc_in = text["ProductClass"]
    pcs = {p.lower(): p for p in PRODUCT_CLASSES}
    spcs = {p.lower(): p for p in SCHEDULE_PRODUCT_CLASSES}
    pc = pc_in.str.lower().map(pcs)
    pc_sched = pc_in.str.lower().map(spcs)
    pc = pc.where(~pd.Series(schedule, index=pc.index), pc_sched)
    vals = pc_in.to_numpy()
    _fail(locate, (is_sens | schedule) & pc.isna().to_numpy(), "ProductClass",
          lambda i: f"ProductClass {vals[i]!r} is not valid; expected one of "
          f"{', '.join(SCHEDULE_PRODUCT_CLASSES if schedule[i] else PRODUCT_CLASSES)}")
    text["ProductClass"] = pc.where(pc.notna(), pc_in).astype(str)

    # Qualifier
    qual = text["Qualifier"]
    need_q = is_sens | np.isin(rt.to_numpy(), ["Param_ProductClassMultiplier",
                                                 "Param_AddOnNotionalFactor", "Notional"])
    _fail(locate, need_q & ~schedule & (qual == "").to_numpy(), "Qualifier",
          lambda i: f"Qualifier is blank; {rt.iloc[i]} needs one")
    ccy_types = ["Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis", "Risk_IRVol",
                 "Risk_InflationVol", "Risk_FX"]
    ccy_rows = rt.isin(ccy_types).to_numpy() & is_sens
    qual = qual.where(~pd.Series(ccy_rows | (rt == "Risk_FXVol").to_numpy(),
                                 index=qual.index), qual.str.upper())
    text["Qualifier"] = qual
    qvals = qual.to_numpy()
    _fail(locate, ccy_rows & ~qual.str.fullmatch(r"[A-Z]{3}").to_numpy(dtype=bool), "Qualifier",
          lambda i: f"Qualifier {qvals[i]!r} of {rt.iloc[i]} must be an ISO currency code")
    fxv = (rt == "Risk_FXVol").to_numpy() & is_sens
    _fail(locate, fxv & ~qual.str.fullmatch(r"[A-Z]{6}").to_numpy(dtype=bool), "Qualifier",
          lambda i: f"Qualifier {qvals[i]!r} of Risk_FXVol must be a currency pair like 'EURUSD'")
    mult = (rt == "Param_ProductClassMultiplier").to_numpy()
    qpc = qual.str.lower().map(pcs)
    _fail(locate, mult & qpc.isna().to_numpy(), "Qualifier",
          lambda i: f"Qualifier {qvals[i]!r} of Param_ProductClassMultiplier must be a product "
          f"class ({', '.join(PRODUCT_CLASSES)})")
    text["Qualifier"] = qual.where(~pd.Series(mult, index=qual.index), qpc).astype(str)

    # Bucket and Label1 by risk type
    bucket = text["Bucket"]
    bucket = bucket.where(bucket.str.lower() != "residual", "Residual")
    text["Bucket"] = bucket
    text["Label1"] = text["Label1"].str.lower()
    valid = _valid_values()
    for column in ("Bucket", "Label1"):
        col = text[column]
        cvals = col.to_numpy()
        for risk_type, allowed in valid[column].items():
            if allowed is None:
                continue
            rows = is_sens & (rt == risk_type).to_numpy()
            if not rows.any():
                continue
            bad = rows & ~col.isin(list(allowed)).to_numpy()
            shown = ", ".join(repr(a) if a else "blank" for a in allowed)
            _fail(locate, bad, column,
                  lambda i, rt_=risk_type, shown_=shown, c=column, v=cvals:
                  f"{c} {v[i]!r} is not valid for {rt_} (valid: {shown_})")

    # Amounts
    if "Amount" in frame.columns:
        amount, amount_blank = _parse_amount(_as_text(frame["Amount"]), "Amount", locate)
    else:
        amount, amount_blank = np.full(n, np.nan), np.ones(n, dtype=bool)
    if "AmountUSD" in frame.columns:
        usd, usd_blank = _parse_amount(_as_text(frame["AmountUSD"]), "AmountUSD", locate)
    else:
        usd, usd_blank = np.full(n, np.nan), np.ones(n, dtype=bool)
    _fail(locate, amount_blank & usd_blank, "Amount",
          lambda i: "both Amount and AmountUSD are blank")
    ccy = text["AmountCurrency"].str.upper()
    text["AmountCurrency"] = ccy
    unitless = np.isin(rt.to_numpy(), ["Param_ProductClassMultiplier",
                                       "Param_AddOnNotionalFactor"])
    fill = usd_blank & ~amount_blank
    in_usd = (ccy == "USD").to_numpy() | unitless
    usd = np.where(fill & in_usd, amount, usd)
    need_fx = fill & ~in_usd
    if need_fx.any():
        rates = {str(k).upper(): float(v) for k, v in (fx_rates or {}).items()}
        rate = ccy.map(rates).to_numpy(dtype=np.float64, na_value=np.nan)
        cvals = ccy.to_numpy()
        _fail(locate, need_fx & (ccy == "").to_numpy(), "AmountCurrency",
              lambda i: "AmountUSD is blank and AmountCurrency is blank")
        _fail(locate, need_fx & ~(np.isfinite(rate) & (rate > 0)), "AmountUSD",
              lambda i: f"AmountUSD is blank and there is no FX rate for {cvals[i]!r}"
              + ("" if fx_rates else " (pass fx_rates={currency: USD per unit})"))
        usd = np.where(need_fx, amount * rate, usd)
    amount = np.where(amount_blank, usd, amount)
    _fail(locate, unitless & ~(usd > 0), "Amount",
          lambda i: f"{rt.iloc[i]} must be positive; got {usd[i]!r}")

    out = pd.DataFrame({c: text[c] for c in CRIF_COLUMNS if c in text}, index=frame.index)
    out["Amount"] = amount
    out["AmountUSD"] = usd
    out = out[list(CRIF_COLUMNS)].reset_index(drop=True)
    return net_crif(out) if net else out


_NET_KEYS = (
    "PortfolioID",
    "IMModel",
    "ProductClass",
    "RiskType",
    "Qualifier",
    "Bucket",
    "Label1",
    "Label2",
    "CollectRegulations",
    "PostRegulations",
)


def net_crif(crif: pd.DataFrame) -> pd.DataFrame:
    """Net duplicate CRIF rows: one row per portfolio, IM model, regulations and risk factor.

    Sensitivities, notionals and fixed add-on amounts are summed across trades (``AmountUSD``;
    ``Amount`` is summed where all netted rows share one currency, else set to the USD sum with
    currency ``USD``). Product-class multipliers and notional factors are parameters, not
    amounts: duplicates keep the largest value.

    Parameters
    ----------
    crif : DataFrame
        Output of :func:`read_crif` (columns :data:`CRIF_COLUMNS`).

    Returns
    -------
    DataFrame
        Netted CRIF with the same columns; ``TradeID`` is blank where rows of several trades
        were netted.
    """
    keys = list(_NET_KEYS)
    is_param = crif["RiskType"].isin(["Param_ProductClassMultiplier", "Param_AddOnNotionalFactor"])
    frames = []
    for part, agg in ((crif[~is_param], "sum"), (crif[is_param], "max")):
        if part.empty:
            continue
        grouped = part.groupby(keys, sort=False, dropna=False)
        netted = grouped.agg(
            AmountUSD=("AmountUSD", agg),
            Amount=("Amount", agg),
            n_ccy=("AmountCurrency", "nunique"),
            AmountCurrency=("AmountCurrency", "first"),
            n_trade=("TradeID", "nunique"),
            TradeID=("TradeID", "first"),
        ).reset_index()
        mixed = netted["n_ccy"].to_numpy() > 1
        netted["Amount"] = np.where(mixed, netted["AmountUSD"], netted["Amount"])
        netted["AmountCurrency"] = netted["AmountCurrency"].where(~mixed, "USD")
        netted["TradeID"] = netted["TradeID"].where(netted["n_trade"].to_numpy() <= 1, "")
        frames.append(netted[list(CRIF_COLUMNS)])
    if not frames:
        return crif.iloc[0:0][list(CRIF_COLUMNS)].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)
