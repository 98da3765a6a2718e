"""Netting CRIF rows: one row per portfolio, IM model, regulations and risk factor."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.simm.crif import CRIF_COLUMNS

__all__ = ["net_crif"]

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
