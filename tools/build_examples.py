"""Write ``examples/market.csv`` and ``examples/crif.csv`` (do not edit those files by hand).

``market.csv``: four years (2015-2018) of public-domain and attribution-only series taken from
the built-in real market (``imresearch.marketdata.load_builtin("public_markets")``; sources and
terms in ``imresearch/marketdata/data/sources.toml``): USD zero rates bootstrapped from U.S.
Treasury par yields, EUR zero rates of the ECB's euro-area curve, the ECB's EURUSD reference
rate and the EIA's WTI and Brent spot prices. Rates in percent (4 decimals), EURUSD to 5
decimals, oil prices to the cent.

``crif.csv``: the ISDA CRIF of ``examples/portfolio.csv`` on the last date of ``market.csv``
(``imresearch.portfolio.sensitivities.to_crif``), amounts to the cent.

Run from the repository root: ``python tools/build_examples.py``.
"""

from __future__ import annotations

from pathlib import Path

import imresearch.marketdata as md
from imresearch.portfolio import load_portfolio
from imresearch.study import load_study
from imresearch.study.market import load_market

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TENORS = ("3m", "1y", "2y", "5y", "10y", "30y")
COLUMNS = [*(f"IR_USD_{t}" for t in TENORS), *(f"IR_EUR_{t}" for t in TENORS), "FX_EURUSD",
           "CMD_WTI", "CMD_BRENT"]
DECIMALS = {"IR": 4, "FX": 5, "CMD": 2}


def build_market() -> Path:
    levels = md.load_builtin("public_markets").levels.loc["2015-01-01":"2018-12-31", COLUMNS]
    for col in COLUMNS:
        levels[col] = levels[col].round(DECIMALS[col.split("_")[0]])
    levels.index.name = "date"
    path = EXAMPLES / "market.csv"
    levels.to_csv(path, date_format="%Y-%m-%d")
    return path


def build_crif() -> Path:
    study = load_study(EXAMPLES / "study.toml")
    cfg = study.market
    market = load_market(cfg.data, gap_policy=cfg.gap_policy, factors=cfg.factor_specs())
    crif = load_portfolio(EXAMPLES / "portfolio.csv").to_crif(market)
    crif["Amount"] = crif["Amount"].round(2)
    crif["AmountUSD"] = crif["AmountUSD"].round(2)
    path = EXAMPLES / "crif.csv"
    crif.to_csv(path, index=False)
    return path


if __name__ == "__main__":
    print(build_market())
    print(build_crif())
