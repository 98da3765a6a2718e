"""Write ``imresearch/portfolio/data/dealer_book_public.toml``: the dealer book on real factors.

The built-in dealer book (``dealer_book.toml``) was struck on the synthetic market on
2025-12-31. This script keeps its trades whose factors the built-in real market
(``load_builtin("public_markets")``) has, with their trade IDs, counterparties and netting sets,
and re-strikes them on the real market's last common date ``V`` so that the book's shape is
unchanged:

- **kept**: USD and EUR swaps, EURUSD / GBPUSD / USDJPY forwards and options, S&P 500
  positions, TRS, forwards and options, WTI forwards and options (117 of 205 trades);
- **left out**: trades on synthetic names (``SN_*``), on indices without a public history here
  (Euro Stoxx 50, Nikkei, FTSE), AUDUSD trades (the public AUD series, H.10, ends 2017-12-01 and
  would cut the window by a year) and CDS (no public credit-spread history);
- **dates** move back by ``2025-12-31 - V`` days, so every time to maturity is the dealer book's;
- **moneyness and size**: each price-like field (strike, TRS initial price) is multiplied by
  ``r = real spot on V / synthetic spot on 2025-12-31`` and each quantity (and the base
  notional of XXXUSD pairs) divided by ``r``: same moneyness, same USD exposure; swap fixed
  rates (and the last floating fixing of seasoned swaps, and TRS financing rates) move by the
  difference between the real and the synthetic zero rate at their maturity (fixing period),
  so each swap is as far from the money as before;
- **curves**: GBP legs use the real Bank of England curve (the synthetic market had none, so the
  dealer book named the USD curve); JPY legs keep the USD curve (no public JPY curve);
- **volatility**: options whose implied volatility was the synthetic VIX (``vol_factor``) get a
  fixed volatility, ``vol_scale`` times the VIX close on ``V`` from ``arch.data.vix`` (no public
  VIX history covers 2006-2018); fixed volatilities are kept.

Usage (from the repository root)::

    python market_data/build_dealer_book_public.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from imresearch.marketdata import load_builtin, synthetic_market
from imresearch.marketdata.factors import tenor_to_years

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "imresearch" / "portfolio" / "data" / "dealer_book.toml"
TARGET = REPO / "imresearch" / "portfolio" / "data" / "dealer_book_public.toml"
STRUCK = pd.Timestamp("2025-12-31")  # EXAMPLE_DATE of imresearch.portfolio.examples
FACTORS = ["IR_USD_1m", "IR_USD_3m", "IR_USD_6m", "IR_USD_1y", "IR_USD_2y", "IR_USD_3y",
           "IR_USD_5y", "IR_USD_7y", "IR_USD_10y", "IR_USD_20y", "IR_USD_30y",
           *[f"IR_EUR_{t}" for t in ("3m", "6m", "1y", "2y", "3y", "5y", "7y", "10y", "15y",
                                     "20y", "30y")],
           *[f"IR_GBP_{t}" for t in ("1y", "2y", "3y", "5y", "7y", "10y", "15y", "20y", "25y")],
           "FX_EURUSD", "FX_GBPUSD", "FX_USDJPY", "CMD_WTI", "EQ_SPX"]
PAIRS = ("EURUSD", "GBPUSD", "USDJPY")
DATES = ("start_date", "maturity", "expiry")


def _zero(levels: pd.Series, ccy: str, years: float) -> float:
    """Zero rate (percent) of ``ccy`` at ``years``: linear in tenor, flat outside."""
    pillars = sorted((tenor_to_years(k.rsplit("_", 1)[1]), v) for k, v in levels.items()
                     if k.startswith(f"IR_{ccy}_"))
    t, z = zip(*pillars)
    return float(np.interp(years, t, z))


def _keep(trade: dict[str, Any]) -> bool:
    kind = trade["type"]
    if kind in ("irs",):
        return trade["currency"] in ("USD", "EUR")
    if kind.startswith("fx_"):
        return trade["pair"] in PAIRS
    if kind.startswith("equity_"):
        return trade["underlying"] == "SPX"
    return kind.startswith("commodity_") and trade["underlying"] == "WTI"


def _round(x: float, digits: int = 6) -> float:
    return float(f"{x:.{digits}g}")


def restrike(trade: dict[str, Any], real: pd.Series, synth: pd.Series, vix: float,
             shift: pd.Timedelta, when: pd.Timestamp) -> dict[str, Any]:
    """The trade re-struck on the real market (see the module docstring)."""
    out = dict(trade)
    for key in DATES:
        if key in out:
            out[key] = (pd.Timestamp(out[key]) - shift).strftime("%Y-%m-%d")
    kind = out["type"]
    if kind == "irs":
        years = (pd.Timestamp(out["maturity"]) - when).days / 365.0
        ccy = out["currency"]
        out["fixed_rate"] = round(out["fixed_rate"] + (_zero(real, ccy, years)
                                                        - _zero(synth, ccy, years)) / 100, 6)
        if out.get("last_fixing") is not None:  # seasoned swap: the current floating fixing
            period = tenor_to_years(out.get("float_period", "3m"))
            out["last_fixing"] = round(out["last_fixing"] + (
                _zero(real, ccy, period) - _zero(synth, ccy, period)) / 100, 6)
        return out
    if kind.startswith("fx_"):
        pair = out["pair"]
        r = real[f"FX_{pair}"] / synth[f"FX_{pair}"]
        out["strike"] = _round(out["strike"] * r)
        if pair.endswith("USD"):  # base notional worth the same in USD
            out["notional"] = float(round(out["notional"] / r, -3))
        if out.get("base_curve") == "USD" and pair.startswith("GBP"):
            del out["base_curve"]  # the real market has the GBP curve
        return out
    factor = "EQ_SPX" if kind.startswith("equity_") else "CMD_WTI"
    r = real[factor] / synth[factor]
    for key in ("strike", "initial_price"):
        if key in out:
            out[key] = _round(out[key] * r)
    if "quantity" in out:
        out["quantity"] = float(max(1, round(out["quantity"] / r)))
    if kind == "equity_trs":
        months = (pd.Timestamp(out["maturity"]) - pd.Timestamp(out["start_date"])).days / 365
        out["financing_rate"] = round(out["financing_rate"] + (
            _zero(real, "USD", months) - _zero(synth, "USD", months)) / 100, 6)
    if "vol_factor" in out:
        out["volatility"] = round(out.pop("vol_scale", 1.0) * vix / 100, 4)
        del out["vol_factor"]
    return out


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"non-finite value {value!r}")
        return repr(value)
    return str(value)


def main() -> None:
    with open(SOURCE, "rb") as handle:
        book = tomllib.load(handle)
    market = load_builtin("public_markets", factors=FACTORS)
    when = market.end
    real = market.levels.loc[when]
    synth = synthetic_market(0).levels.loc[STRUCK]
    from arch.data import vix as arch_vix

    vix = float(arch_vix.load()["vix"].loc[when])
    shift = STRUCK - when
    trades = [restrike(t, real, synth, vix, shift, when) for t in book["trades"] if _keep(t)]
    lines = [
        "# Written by market_data/build_dealer_book_public.py from dealer_book.toml: do not edit.",
        "[portfolio]",
        'name = "dealer_book_public"',
        f'description = "The dealer book\'s rates, FX, S&P 500 and WTI trades on the built-in '
        f'real market (public_markets), re-struck on {when:%Y-%m-%d} (moneyness, USD exposure '
        f'and times to maturity of the dealer book; {len(trades)} of {len(book["trades"])} '
        f'trades)"',
        f'valuation_date = "{when:%Y-%m-%d}"',
    ]
    for trade in trades:
        lines += ["", "[[trades]]", *(f"{k} = {_toml_value(v)}" for k, v in trade.items())]
    TARGET.write_text("\n".join(lines) + "\n")
    print(f"{TARGET.relative_to(REPO)}: {len(trades)} trades struck on {when:%Y-%m-%d} "
          f"(VIX {vix}, dates moved back {shift.days} days)")


if __name__ == "__main__":
    main()
