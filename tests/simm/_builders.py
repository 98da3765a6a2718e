"""CRIF rows for hand-built SIMM test cases."""

from __future__ import annotations

import pandas as pd


def crif(*rows: dict[str, object]) -> pd.DataFrame:
    defaults = {"ProductClass": "RatesFX", "Bucket": "", "Label1": "", "Label2": "",
                "AmountCurrency": "USD"}
    return pd.DataFrame([{**defaults, **r} for r in rows])


def ir(ccy: str, tenor: str, amount: float, curve: str = "OIS", **kw: object) -> dict:
    return {"RiskType": "Risk_IRCurve", "Qualifier": ccy, "Bucket": "1", "Label1": tenor,
            "Label2": curve, "AmountUSD": amount, **kw}


def eq(name: str, bucket: str, amount: float, rt: str = "Risk_Equity", label1: str = "") -> dict:
    return {"RiskType": rt, "ProductClass": "Equity", "Qualifier": name, "Bucket": bucket,
            "Label1": label1, "AmountUSD": amount}
