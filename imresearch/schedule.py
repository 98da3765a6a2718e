"""BCBS-IOSCO standardised initial-margin schedule with the net-to-gross ratio.

Gross IM is the notional times a rate that depends on the asset class and, for credit and
interest-rate products, the residual maturity (rates in ``imresearch/simm/params/schedule.toml``).
The net standardised IM of a netting set is ``(0.4 + 0.6 x NGR) x gross IM``, where the
net-to-gross ratio ``NGR = max(sum PV, 0) / sum max(PV, 0)`` compares the net and gross replacement
costs. When no trade has a positive value the ratio is 0 / 0; NGR = 1 is used then (the
conservative choice: no netting benefit).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["ScheduleResult", "schedule_im", "schedule_trades_from_crif"]

ASSET_CLASSES: tuple[str, ...] = ("Rates", "FX", "Credit", "Equity", "Commodity", "Other")
_ALIASES = {"ratesfx": "Rates", "interestrate": "Rates", "ir": "Rates", "rates": "Rates",
            "fx": "FX", "credit": "Credit", "equity": "Equity", "commodity": "Commodity",
            "other": "Other"}


@functools.cache
def _parameters() -> dict[str, Any]:
    text = resources.files("imresearch.simm").joinpath("params", "schedule.toml").read_bytes()
    return tomllib.loads(text.decode("utf-8"))


@dataclass(frozen=True)
class ScheduleResult:
    """Result of :func:`schedule_im`.

    Attributes
    ----------
    total : float
        Net standardised IM summed over netting sets.
    by_netting_set : DataFrame
        Per netting set: ``gross_im``, ``net_replacement_cost``, ``gross_replacement_cost``,
        ``ngr`` and ``im``.
    trades : DataFrame
        The input trades with their ``rate`` and ``gross_im``.
    """

    total: float
    by_netting_set: pd.DataFrame
    trades: pd.DataFrame

    @property
    def im(self) -> float:
        """The total, under the name every margin model's result uses."""
        return self.total


def schedule_im(
    trades: pd.DataFrame,
    *,
    netting_set: str | Sequence[str] | None = None,
) -> ScheduleResult:
    """Standardised-schedule initial margin of a list of trades.

    Parameters
    ----------
    trades : DataFrame
        One row per trade with columns ``asset_class`` (Rates, FX, Credit, Equity, Commodity,
        Other; case-insensitive, ``RatesFX`` / ``InterestRate`` mean Rates), ``notional``
        (absolute value is used), ``pv`` (mark-to-market from the calculating party's view) and
        ``maturity`` (residual maturity in years; needed for Credit and Rates). The columns of
        :meth:`Portfolio.schedule_inputs` (``notional_usd``, ``pv_usd``, ``maturity_years``)
        are accepted and used in place of these.
    netting_set : str or sequence of str, optional
        Column(s) identifying netting sets; all trades form one netting set if omitted.

    Returns
    -------
    ScheduleResult

    Raises
    ------
    InputError
        Naming the row and column, for a missing column, an unknown asset class, or a missing,
        non-numeric or negative maturity / non-numeric notional or PV.
    """
    params = _parameters()
    # the portfolio's schedule_inputs() frame: amounts in USD take precedence
    aliases = {"notional_usd": "notional", "pv_usd": "pv", "maturity_years": "maturity"}
    present = {a: c for a, c in aliases.items() if a in trades.columns}
    if present:
        trades = trades.drop(columns=[c for c in present.values() if c in trades.columns])
        trades = trades.rename(columns=present)
    required = ["asset_class", "notional", "pv"]
    missing = [c for c in required if c not in trades.columns]
    if missing:
        raise InputError(f"trades: missing column(s) {missing}; columns are {list(trades.columns)}")
    keys = [netting_set] if isinstance(netting_set, str) else list(netting_set or [])
    for col in keys:
        if col not in trades.columns:
            raise InputError(f"netting_set column {col!r} is not in trades")
    cls_in = trades["asset_class"].astype(str).str.strip()
    cls = cls_in.str.lower().str.replace(r"[^a-z]", "", regex=True).map(_ALIASES)
    bad = cls.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"trades row {trades.index[i]!r}, column 'asset_class': unknown asset "
                         f"class {cls_in.iloc[i]!r}; expected one of {', '.join(ASSET_CLASSES)}")
    values = {}
    for col in ("notional", "pv", "maturity"):
        if col not in trades.columns:
            values[col] = np.full(len(trades), np.nan)
            continue
        num = pd.to_numeric(trades[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(num) & trades[col].notna().to_numpy()
        if col != "maturity":
            bad |= ~np.isfinite(num)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"trades row {trades.index[i]!r}, column {col!r}: "
                             f"{trades[col].iloc[i]!r} is not a finite number")
        values[col] = num
    maturity = values["maturity"]
    tenor_based = cls.isin(["Credit", "Rates"]).to_numpy()
    bad = tenor_based & ~(np.isfinite(maturity) & (maturity >= 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"trades row {trades.index[i]!r}, column 'maturity': {cls.iloc[i]} "
                         f"trades need a residual maturity >= 0 in years; got {maturity[i]!r}")
    bucket = np.searchsorted(np.asarray(params["maturity_breaks"]),
                             np.nan_to_num(maturity, nan=0.0), side="right")
    table = np.array([params["rates"][c] for c in ASSET_CLASSES])
    rate = table[pd.Index(ASSET_CLASSES).get_indexer(cls), bucket]
    gross = np.abs(values["notional"]) * rate
    out = trades.assign(asset_class=cls.to_numpy(), rate=rate, gross_im=gross)
    group = out.assign(_pos=np.maximum(values["pv"], 0.0), _pv=values["pv"])
    grouped = group.groupby(keys, sort=False) if keys else group.groupby(np.zeros(len(out)))
    agg = grouped.agg(gross_im=("gross_im", "sum"), net_replacement_cost=("_pv", "sum"),
                      gross_replacement_cost=("_pos", "sum"))
    agg["net_replacement_cost"] = agg["net_replacement_cost"].clip(lower=0.0)
    grc = agg["gross_replacement_cost"].to_numpy()
    ngr = np.divide(agg["net_replacement_cost"].to_numpy(), grc, out=np.ones_like(grc),
                    where=grc > 0)
    agg["ngr"] = ngr
    agg["im"] = (params["gross_weight"] + params["ngr_weight"] * ngr) * agg["gross_im"]
    if not keys:
        agg.index = pd.Index([""], name="netting_set")
    return ScheduleResult(total=float(agg["im"].sum()), by_netting_set=agg, trades=out)


def schedule_trades_from_crif(
    crif: str | os.PathLike[str] | pd.DataFrame,
    valuation_date: str | pd.Timestamp,
) -> pd.DataFrame:
    """Trade list for :func:`schedule_im` from CRIF rows with ``IMModel == "Schedule"``.

    Parameters
    ----------
    crif : path-like or DataFrame
        CRIF with columns TradeID, ProductClass, RiskType (``Notional`` / ``PV``), AmountUSD (or
        Amount in USD), IMModel and EndDate (ISO date); PortfolioID if present.
    valuation_date : str or Timestamp
        Date from which residual maturities (EndDate - valuation date, in years of 365.25 days)
        are measured.

    Returns
    -------
    DataFrame
        Columns ``PortfolioID, TradeID, asset_class, notional, pv, maturity``.
    """
    from imresearch.simm.crif import read_crif

    raw = crif if isinstance(crif, pd.DataFrame) else pd.read_csv(crif, dtype=str,
                                                                   keep_default_na=False)
    end_col = next((c for c in raw.columns if str(c).lower().replace("_", "") == "enddate"), None)
    table = read_crif(raw)
    table["EndDate"] = raw[end_col].to_numpy() if end_col is not None else ""
    table = table[table["IMModel"] == "Schedule"]
    if table.empty:
        raise InputError("CRIF has no rows with IMModel 'Schedule'")
    keys = ["PortfolioID", "TradeID"]
    notional = table[table["RiskType"] == "Notional"].groupby(keys)["AmountUSD"].sum()
    pv = table[table["RiskType"] == "PV"].groupby(keys)["AmountUSD"].sum()
    first = table.groupby(keys).agg(asset_class=("ProductClass", "first"),
                                    end=("EndDate", "first"))
    out = first.join(notional.rename("notional")).join(pv.rename("pv")).fillna(
        {"notional": 0.0, "pv": 0.0})
    end = pd.to_datetime(out["end"].replace("", None), errors="coerce")
    days = (end - pd.Timestamp(valuation_date)).dt.days.to_numpy(dtype=np.float64)
    out["maturity"] = np.maximum(days, 0.0) / 365.25
    return out.drop(columns="end").reset_index()
