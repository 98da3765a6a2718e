"""Example portfolios on the synthetic market's factors, and a random-portfolio generator.

Two books ship with the package (``imresearch/portfolio/data``), written by this module from
``synthetic_market(seed=0)`` on :data:`EXAMPLE_DATE` (``python -m imresearch.portfolio.examples``
rewrites them):

``dealer_book.toml``
    A multi-asset dealer book of about 200 trades: equity positions, TRS, forwards and options
    (Black-Scholes, vol from ``VOL_VIX`` / ``VOL_V2X`` or fixed), FX forwards and options,
    USD and EUR swaps (new and seasoned), index and single-name CDS, WTI forwards and options,
    over five counterparties / netting sets. The synthetic market has only USD and EUR zero
    curves, so GBP, AUD and JPY legs of FX trades name the USD curve explicitly
    (``base_curve`` / ``quote_curve``): a documented proxy.
``archegos_trs.csv``
    A concentrated long equity TRS book of one fund (``counterparty = FAMILY_OFFICE``) on
    three single names, split over four prime brokers (``prime_broker``), each its own netting
    set: the input of an Archegos-style replay (each broker margins its slice; the aggregate
    is what matters).

SIMM buckets (ISDA SIMM equity / credit-qualifying / commodity bucket tables) are attributes of
the trades: indices ``11``; the US bank and tech names ``8`` (developed large cap, financials /
technology); the European carmaker ``5`` (consumer goods); the UK energy stock ``7``;
diversified credit indices ``Residual``; single-name proxies by sector and rating; WTI ``2``
(crude oil).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch._typing import SeedLike
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.portfolio import Portfolio
from imresearch.portfolio.products import (
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
    FXForward,
    FXOption,
    InterestRateSwap,
)
from imresearch.portfolio.trades import Trade

__all__ = [
    "EXAMPLES",
    "EXAMPLE_DATE",
    "archegos_trs_book",
    "dealer_book",
    "example_path",
    "random_portfolio",
]

EXAMPLE_DATE = pd.Timestamp("2025-12-31")
"""Valuation date the example books were struck on (a date of ``synthetic_market(seed=0)``)."""
EXAMPLES: dict[str, str] = {"dealer_book": "dealer_book.toml",
                            "dealer_book_public": "dealer_book_public.toml",
                            "archegos_trs": "archegos_trs.csv"}
"""Shipped example portfolios: name -> file in ``imresearch/portfolio/data``. The dealer book
margins the synthetic market; ``dealer_book_public`` is its rates, FX, S&P 500 and WTI trades
on the built-in real market (``public_markets``, written by
``market_data/build_dealer_book_public.py``)."""

EQUITY_BUCKETS = {"SPX": "11", "SX5E": "11", "NKY": "11", "UKX": "11", "SN_TECH": "8",
                  "SN_BANK": "8", "SN_AUTO": "5", "SN_ENERGY": "7"}
#: Equity underlyings whose currency has a zero curve in the synthetic market.
CURVE_EQUITIES = ("SPX", "SX5E", "SN_TECH", "SN_BANK", "SN_AUTO")
VOL_OF = {"SPX": ("VOL_VIX", 1.0), "SX5E": ("VOL_V2X", 1.0), "SN_TECH": ("VOL_VIX", 1.6),
          "SN_BANK": ("VOL_VIX", 1.4), "SN_AUTO": ("VOL_V2X", 1.5)}
#: reference -> (spread factor, scale, SIMM bucket, is index)
CREDITS = {
    "CDX_IG": ("CR_CDX_IG", 1.0, "Residual", True),
    "ITRAXX_MAIN": ("CR_ITRAXX_MAIN", 1.0, "Residual", True),
    "CDX_HY": ("CR_CDX_HY", 1.0, "Residual", True),
    "ACME_BANK": ("CR_CDX_IG", 1.3, "2", False),
    "EURO_AUTO": ("CR_ITRAXX_MAIN", 1.6, "4", False),
    "SHALE_ENERGY": ("CR_CDX_HY", 1.2, "9", False),
}
FX_PAIRS = {"EURUSD": {}, "GBPUSD": {"base_curve": "USD"}, "AUDUSD": {"base_curve": "USD"},
            "USDJPY": {"quote_curve": "USD"}}
COUNTERPARTIES = ("CP_ALPHA", "CP_BRAVO", "CP_CHARLIE", "CP_DELTA", "CP_ECHO")
PRIME_BROKERS = ("PB_ONE", "PB_TWO", "PB_THREE", "PB_FOUR")


def example_path(name: str) -> Path:
    """Path of a shipped example portfolio (a name of :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise InputError(f"unknown example portfolio {name!r}; known: {', '.join(EXAMPLES)}")
    return Path(str(resources.files("imresearch.portfolio") / "data" / EXAMPLES[name]))


class _Gen:
    """Draws trades struck near the market on the valuation date."""

    def __init__(self, market: RiskFactorHistory, date: pd.Timestamp, rng: np.random.Generator
                 ) -> None:
        self.m = market
        self.date = date
        self.rng = rng
        self.row = market.levels.loc[date]
        self.count: dict[str, int] = {}

    def id(self, prefix: str) -> str:
        self.count[prefix] = self.count.get(prefix, 0) + 1
        return f"{prefix}{self.count[prefix]:04d}"

    def common(self) -> dict[str, Any]:
        cp = str(self.rng.choice(COUNTERPARTIES))
        return {"counterparty": cp, "netting_set": f"NS_{cp}"}

    def later(self, lo_days: int, hi_days: int) -> pd.Timestamp:
        return self.date + pd.Timedelta(days=int(self.rng.integers(lo_days, hi_days)))

    def side(self) -> str:
        return str(self.rng.choice(["long", "short"]))

    def zero(self, ccy: str, years: float) -> float:
        from imresearch.portfolio.binding import RATE_UNITS

        pts = sorted((self.m.factors[c].tenor_years, float(self.row[c]) * RATE_UNITS[
            self.m.factors[c].units]) for c in self.m.factor_names if c.startswith(f"IR_{ccy}_"))
        return float(np.interp(years, [p[0] for p in pts], [p[1] for p in pts]))

    # -- products
    def equity_position(self) -> Trade:
        u = str(self.rng.choice(list(EQUITY_BUCKETS)))
        spot = float(self.row[f"EQ_{u}"])
        qty = round(float(self.rng.uniform(2e5, 5e6)) / spot)
        return EquityPosition(trade_id=self.id("EQP"), underlying=u, quantity=max(qty, 1),
                              direction=self.side(), bucket=EQUITY_BUCKETS[u], **self.common())

    def equity_trs(self) -> Trade:
        u = str(self.rng.choice(CURVE_EQUITIES))
        start = self.date - pd.Timedelta(days=int(self.rng.integers(5, 80)))
        start = self.m.dates[self.m.dates.searchsorted(start)]
        price = float(self.m.levels.loc[start, f"EQ_{u}"])
        ccy = self.m.factors[f"EQ_{u}"].currency or "USD"
        return EquityTRS(
            trade_id=self.id("TRS"), underlying=u, notional=round(float(
                self.rng.uniform(1e6, 2e7)), -3), initial_price=round(price, 4),
            start_date=start, maturity=start + pd.DateOffset(months=3),
            financing_rate=round(self.zero(ccy, 0.25), 6),
            financing_spread_bp=float(self.rng.choice([35.0, 50.0, 75.0])),
            direction=self.side(), bucket=EQUITY_BUCKETS[u], **self.common())

    def equity_forward(self) -> Trade:
        u = str(self.rng.choice(CURVE_EQUITIES))
        spot = float(self.row[f"EQ_{u}"])
        return EquityForward(
            trade_id=self.id("EQF"), underlying=u, quantity=max(round(float(
                self.rng.uniform(1e5, 3e6)) / spot), 1),
            strike=round(spot * float(self.rng.uniform(0.95, 1.08)), 2),
            maturity=self.later(30, 730), dividend_yield=round(float(self.rng.uniform(0, 0.03)),
                                                               4),
            direction=self.side(), bucket=EQUITY_BUCKETS[u], **self.common())

    def equity_option(self) -> Trade:
        u = str(self.rng.choice(CURVE_EQUITIES))
        spot = float(self.row[f"EQ_{u}"])
        factor, scale = VOL_OF[u]
        vol: dict[str, Any] = ({"vol_factor": factor, "vol_scale": scale}
                               if self.rng.random() < 0.7 else
                               {"volatility": round(float(self.rng.uniform(0.15, 0.45)), 4)})
        return EquityOption(
            trade_id=self.id("EQO"), underlying=u, quantity=max(round(float(
                self.rng.uniform(5e4, 2e6)) / spot), 1),
            strike=round(spot * float(self.rng.uniform(0.75, 1.25)), 2),
            expiry=self.later(14, 1100), option_type=str(self.rng.choice(["call", "put"])),
            dividend_yield=round(float(self.rng.uniform(0, 0.03)), 4), direction=self.side(),
            bucket=EQUITY_BUCKETS[u], **vol, **self.common())

    def _fx(self) -> tuple[str, float, dict[str, str]]:
        pair = str(self.rng.choice(list(FX_PAIRS), p=[0.55, 0.15, 0.1, 0.2]))
        name = f"FX_{pair}"
        spot = float(self.row[name]) if name in self.row.index else 1.0 / float(
            self.row[f"FX_{pair[3:]}{pair[:3]}"])
        return pair, spot, FX_PAIRS[pair]

    def fx_forward(self) -> Trade:
        pair, spot, curves = self._fx()
        return FXForward(
            trade_id=self.id("FXF"), pair=pair, notional=round(float(self.rng.uniform(1e6, 5e7)),
                                                               -3),
            strike=round(spot * float(self.rng.uniform(0.97, 1.03)), 5),
            maturity=self.later(7, 730), direction=self.side(), **curves, **self.common())

    def fx_option(self) -> Trade:
        pair, spot, curves = self._fx()
        return FXOption(
            trade_id=self.id("FXO"), pair=pair, notional=round(float(self.rng.uniform(1e6, 3e7)),
                                                              -3),
            strike=round(spot * float(self.rng.uniform(0.9, 1.1)), 5),
            expiry=self.later(14, 730), option_type=str(self.rng.choice(["call", "put"])),
            volatility=round(float(self.rng.uniform(0.06, 0.14)), 4), direction=self.side(),
            **curves, **self.common())

    def irs(self) -> Trade:
        ccy = str(self.rng.choice(["USD", "EUR"]))
        tenor = int(self.rng.choice([1, 2, 3, 5, 7, 10, 15, 20, 30]))
        seasoned = self.rng.random() < 0.4
        start = (self.date - pd.Timedelta(days=int(self.rng.integers(30, 700)))
                 if seasoned else self.date + pd.Timedelta(days=2))
        maturity = start + pd.DateOffset(years=tenor)
        if maturity <= self.date + pd.Timedelta(days=30):
            maturity = start + pd.DateOffset(years=tenor + 2)
        extra: dict[str, Any] = {}
        if seasoned:
            extra["last_fixing"] = round(self.zero(ccy, 0.25), 6)
        return InterestRateSwap(
            trade_id=self.id("IRS"), currency=ccy, notional=round(float(
                self.rng.uniform(5e6, 1e8)), -5),
            fixed_rate=round(self.zero(ccy, tenor) + float(self.rng.normal(0, 0.003)), 5),
            start_date=start, maturity=maturity,
            direction=str(self.rng.choice(["payer", "receiver"])),
            fixed_period="1y" if ccy == "EUR" else "6m",
            float_period="6m" if ccy == "EUR" else "3m", **extra, **self.common())

    def cds(self) -> Trade:
        ref = str(self.rng.choice(list(CREDITS)))
        factor, scale, bucket, index = CREDITS[ref]
        return CreditDefaultSwap(
            trade_id=self.id("CDS"), reference=ref, notional=round(float(
                self.rng.uniform(5e6, 5e7)), -5),
            coupon_bp=500.0 if "HY" in factor else 100.0,
            maturity=pd.Timestamp(f"{self.date.year + int(self.rng.integers(1, 11))}-12-20"),
            direction=str(self.rng.choice(["buy", "sell"])), recovery=0.25 if "HY" in factor
            else 0.4, bucket=bucket, index=index, spread_factor=factor, spread_scale=scale,
            **self.common())

    def commodity_forward(self) -> Trade:
        spot = float(self.row["CMD_WTI"])
        return CommodityForward(
            trade_id=self.id("CMF"), underlying="WTI", quantity=float(self.rng.integers(10, 500))
            * 1000.0, strike=round(spot * float(self.rng.uniform(0.9, 1.1)), 2),
            maturity=self.later(30, 730), carry=round(float(self.rng.uniform(-0.03, 0.03)), 4),
            direction=self.side(), bucket="2", **self.common())

    def commodity_option(self) -> Trade:
        spot = float(self.row["CMD_WTI"])
        return CommodityOption(
            trade_id=self.id("CMO"), underlying="WTI", quantity=float(self.rng.integers(10, 300))
            * 1000.0, strike=round(spot * float(self.rng.uniform(0.8, 1.2)), 2),
            expiry=self.later(30, 730), option_type=str(self.rng.choice(["call", "put"])),
            volatility=round(float(self.rng.uniform(0.28, 0.45)), 4),
            carry=round(float(self.rng.uniform(-0.03, 0.03)), 4), direction=self.side(),
            bucket="2", **self.common())


DEALER_MIX: dict[str, int] = {
    "equity_position": 15, "equity_trs": 10, "equity_forward": 15, "equity_option": 40,
    "fx_forward": 20, "fx_option": 25, "irs": 40, "cds": 20, "commodity_forward": 10,
    "commodity_option": 10,
}
"""Trades per product in the dealer book (205 in all)."""


def _market_date(market: RiskFactorHistory | None, date: object) -> tuple[RiskFactorHistory,
                                                                          pd.Timestamp]:
    if market is None:
        from imresearch.marketdata.synthetic import synthetic_market

        market = synthetic_market(seed=0)
    ts = pd.Timestamp(date) if date is not None else EXAMPLE_DATE
    if ts not in market.dates:
        raise InputError(f"date {ts:%Y-%m-%d} is not a date of market {market.name!r}")
    return market, ts


def dealer_book(market: RiskFactorHistory | None = None, date: object = None,
                seed: SeedLike = 20251231) -> Portfolio:
    """Build the multi-asset dealer book (:data:`DEALER_MIX`) struck on ``date``.

    Parameters
    ----------
    market : RiskFactorHistory, optional
        Default ``synthetic_market(seed=0)``.
    date : date-like, optional
        Strike date; default :data:`EXAMPLE_DATE`.
    seed : int or Generator
        Randomness of the trade terms.
    """
    market, ts = _market_date(market, date)
    g = _Gen(market, ts, np.random.default_rng(seed))
    trades = [getattr(g, kind)() for kind, n in DEALER_MIX.items() for _ in range(n)]
    return Portfolio(tuple(trades), "dealer_book",
                     "Multi-asset dealer book on the synthetic market's factors")


def archegos_trs_book(market: RiskFactorHistory | None = None, date: object = None,
                      seed: SeedLike = 2021) -> Portfolio:
    """Build the concentrated equity TRS book split over four prime brokers.

    Three names (``SN_TECH``, ``SN_BANK``, ``SN_AUTO``), about USD 1.5bn of long exposure per
    name and broker, in tranches reset on different dates; each broker is its own netting set.
    """
    market, ts = _market_date(market, date)
    rng = np.random.default_rng(seed)
    g = _Gen(market, ts, rng)
    trades: list[Trade] = []
    for pb in PRIME_BROKERS:
        for u in ("SN_TECH", "SN_BANK", "SN_AUTO"):
            for _ in range(int(rng.integers(2, 4))):
                start = ts - pd.Timedelta(days=int(rng.integers(3, 85)))
                start = market.dates[market.dates.searchsorted(start)]
                price = float(market.levels.loc[start, f"EQ_{u}"])
                ccy = market.factors[f"EQ_{u}"].currency or "USD"
                trades.append(EquityTRS(
                    trade_id=g.id(f"{pb}_{u}_"), underlying=u,
                    notional=round(float(rng.uniform(3e8, 9e8)), -5),
                    initial_price=round(price, 4), start_date=start,
                    maturity=start + pd.DateOffset(months=3),
                    financing_rate=round(g.zero(ccy, 0.25), 6),
                    financing_spread_bp=float(rng.choice([40.0, 60.0, 85.0])), direction="long",
                    bucket=EQUITY_BUCKETS[u], counterparty="FAMILY_OFFICE",
                    netting_set=f"{pb}-FAMILY_OFFICE", prime_broker=pb))
    return Portfolio(tuple(trades), "archegos_trs",
                     "Concentrated long equity TRS of one fund over four prime brokers")


def random_portfolio(market: RiskFactorHistory, date: object, n_trades: int, *,
                     option_share: float = 0.5, seed: SeedLike = 0) -> Portfolio:
    """A random mixed portfolio: ``option_share`` options (equity, FX, commodity), the rest
    spread over positions, TRS, forwards, swaps and CDS.

    Parameters
    ----------
    market : RiskFactorHistory
        A market with the synthetic market's factor names.
    date : date-like
        Strike / valuation date (a market date).
    n_trades : int
    option_share : float in [0, 1]
    seed : int or Generator
    """
    market, ts = _market_date(market, date)
    rng = np.random.default_rng(seed)
    g = _Gen(market, ts, rng)
    options: list[Callable[[], Trade]] = [g.equity_option, g.fx_option, g.commodity_option]
    linear: list[Callable[[], Trade]] = [g.equity_position, g.equity_trs, g.equity_forward,
                                         g.fx_forward, g.irs, g.cds, g.commodity_forward]
    n_opt = round(option_share * n_trades)
    trades = [options[int(rng.integers(0, 3))]() if k < n_opt else
              linear[int(rng.integers(0, len(linear)))]() for k in range(n_trades)]
    return Portfolio(tuple(trades), "random")


def _write_examples(out_dir: Path | None = None) -> list[Path]:
    from imresearch.portfolio.portfolio import save_portfolio

    out = out_dir or Path(__file__).resolve().parent / "data"
    out.mkdir(parents=True, exist_ok=True)
    book = dealer_book()
    trs = archegos_trs_book()
    return [
        save_portfolio(book, out / EXAMPLES["dealer_book"], description=book.description),
        save_portfolio(trs, out / EXAMPLES["archegos_trs"]),
    ]


if __name__ == "__main__":  # pragma: no cover
    for p in _write_examples():
        print(p)
