"""Seeded synthetic CRIFs with the mix of risk types of a dealer's netting sets.

:func:`synthetic_crif` draws many portfolios at once (vectorised; a million rows take well under
a second): interest-rate delta across currencies, tenors and sub-curves, inflation and
cross-currency basis, IR and inflation vega (hence IR curvature), credit qualifying and
non-qualifying delta and vega, base correlation, equity and commodity delta and vega, FX delta and
FX vega, and a few add-on rows (product-class multipliers, notional factors with their notionals,
fixed amounts). Sensitivities are netted across trades in the usual way: every portfolio has about
``rows_per_portfolio / 10`` trades, and several trades often hit the same risk factor. Magnitudes
are log-normal with heavy tails, so concentration thresholds are breached in some portfolios and
not in others. ``Amount`` is in the risk factor's currency and ``AmountUSD`` its USD value.

The data are for tests and benchmarks; they are not calibrated to any real book.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch._typing import SeedLike
from imresearch.errors import InputError

__all__ = ["synthetic_crif"]

# (risk type, product class, share of sensitivity rows, median |amount| in USD)
_MIX: tuple[tuple[str, str, float, float], ...] = (
    ("Risk_IRCurve", "RatesFX", 0.30, 2.0e4),
    ("Risk_Inflation", "RatesFX", 0.015, 1.5e4),
    ("Risk_XCcyBasis", "RatesFX", 0.015, 5.0e3),
    ("Risk_IRVol", "RatesFX", 0.08, 3.0e5),
    ("Risk_InflationVol", "RatesFX", 0.01, 1.0e5),
    ("Risk_CreditQ", "Credit", 0.12, 4.0e3),
    ("Risk_CreditVol", "Credit", 0.02, 5.0e4),
    ("Risk_BaseCorr", "Credit", 0.01, 2.0e4),
    ("Risk_CreditNonQ", "Credit", 0.04, 3.0e3),
    ("Risk_CreditVolNonQ", "Credit", 0.01, 3.0e4),
    ("Risk_Equity", "Equity", 0.10, 1.5e5),
    ("Risk_EquityVol", "Equity", 0.05, 4.0e4),
    ("Risk_Commodity", "Commodity", 0.05, 1.0e5),
    ("Risk_CommodityVol", "Commodity", 0.02, 3.0e4),
    ("Risk_FX", "RatesFX", 0.06, 8.0e5),
    ("Risk_FXVol", "RatesFX", 0.05, 5.0e4),
)
_TENORS = np.array(["2w", "1m", "3m", "6m", "1y", "2y", "3y", "5y", "10y", "15y", "20y", "30y"],
                   dtype=object)
_CREDIT_TENORS = np.array(["1y", "2y", "3y", "5y", "10y"], dtype=object)
# currency, USD per unit, weight in the book, IR risk-weight bucket ("1" regular, "2" low, "3" high)
_CURRENCIES: tuple[tuple[str, float, float, str], ...] = (
    ("USD", 1.0, 0.30, "1"), ("EUR", 1.08, 0.22, "1"), ("GBP", 1.27, 0.09, "1"),
    ("JPY", 0.0067, 0.08, "2"), ("CHF", 1.13, 0.03, "1"), ("AUD", 0.66, 0.03, "1"),
    ("CAD", 0.73, 0.03, "1"), ("SEK", 0.095, 0.02, "1"), ("NOK", 0.093, 0.015, "1"),
    ("HKD", 0.128, 0.015, "1"), ("SGD", 0.74, 0.01, "1"), ("KRW", 0.00075, 0.01, "1"),
    ("CNY", 0.14, 0.03, "3"), ("BRL", 0.20, 0.02, "3"), ("MXN", 0.058, 0.02, "3"),
    ("ZAR", 0.054, 0.015, "3"), ("INR", 0.012, 0.02, "3"), ("TRY", 0.031, 0.01, "3"),
    ("PLN", 0.25, 0.01, "3"), ("ARS", 0.0011, 0.005, "3"),
)
# rank of each currency (in _CURRENCIES order) as the base of a quoted pair
_PAIR_RANK = np.array([4, 0, 1, 8, 6, 2, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
_SUB_CURVES = np.array(["OIS", "Libor3m", "Libor6m", "Libor1m", "Libor12m", "Prime",
                        "Municipal"], dtype=object)
_SUB_CURVE_P = np.array([0.45, 0.25, 0.15, 0.05, 0.04, 0.03, 0.03])
_INDICES = np.array(["CDX.NA.IG", "CDX.NA.HY", "iTraxx Europe", "iTraxx Crossover",
                     "iTraxx Asia"], dtype=object)
_NONQ_LABEL2 = np.array(["CMBX", "ABX", "PrimeX", "IOS", "MBX"], dtype=object)
_PC_PRODUCTS = np.array(["RatesFX", "Credit", "Equity", "Commodity"], dtype=object)


@dataclass(frozen=True)
class _Scope:
    """What a SIMM version knows, as far as the generator is concerned."""

    risk_types: frozenset[str] | None
    sub_curves: tuple[str, ...]
    equity_buckets: int
    commodity_buckets: int

    @staticmethod
    def of(version: str | None) -> _Scope:
        if version is None:
            return _Scope(None, tuple(_SUB_CURVES), 12, 17)
        from imresearch.simm.parameters import load_parameters

        p = load_parameters(version)
        return _Scope(p.methodology.risk_types, p.methodology.ir_sub_curves,
                      len(p.equity.bucket_order), len(p.commodity.bucket_order))

    def known(self, risk_types: list[str]) -> np.ndarray:
        if self.risk_types is None:
            return np.ones(len(risk_types))
        return np.array([rt in self.risk_types for rt in risk_types], dtype=float)


def _names(prefix: str, n: int) -> np.ndarray:
    return np.array([f"{prefix}{i:06d}" for i in range(n)], dtype=object)


def synthetic_crif(
    n_portfolios: int = 1,
    rows_per_portfolio: int = 1_000,
    *,
    seed: SeedLike = None,
    addons: bool = True,
    universe: int = 2_000,
    version: str | None = None,
) -> pd.DataFrame:
    """A random CRIF of ``n_portfolios`` netting sets with ``rows_per_portfolio`` rows each.

    Parameters
    ----------
    n_portfolios : int, default 1
        Number of portfolios (``PortfolioID`` ``"P000000"``, ``"P000001"``, ...).
    rows_per_portfolio : int, default 1000
        CRIF rows per portfolio (before netting), at least 10.
    seed : int, SeedSequence, Generator or None
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same CRIF.
    addons : bool, default True
        Add product-class multiplier, notional-factor (with notionals) and fixed-amount rows to
        some portfolios (within the row budget).
    universe : int, default 2000
        Number of credit issuers, equity names and commodities to draw from; a smaller universe
        makes portfolios share (and concentrate in) more names.
    version : str, optional
        Draw only what this SIMM version knows: its risk types and add-ons, equity and
        commodity buckets and interest-rate sub-curves (e.g. ``"1.0"``: no cross-currency basis,
        inflation volatility, base correlation or add-ons, 11 equity and 16 commodity buckets).
        Default: everything the newest version knows.

    Returns
    -------
    DataFrame
        ``n_portfolios * rows_per_portfolio`` rows with the columns ``TradeID, PortfolioID,
        ProductClass, RiskType, Qualifier, Bucket, Label1, Label2, Amount, AmountCurrency,
        AmountUSD``, grouped by portfolio.

    Raises
    ------
    InputError
        If ``n_portfolios < 1`` or ``rows_per_portfolio < 10``.
    """
    if int(n_portfolios) < 1:
        raise InputError(f"n_portfolios must be at least 1; got {n_portfolios!r}")
    if int(rows_per_portfolio) < 10:
        raise InputError(f"rows_per_portfolio must be at least 10; got {rows_per_portfolio!r}")
    n_p, n_r = int(n_portfolios), int(rows_per_portfolio)
    scope = _Scope.of(version)
    rng = np.random.default_rng(seed)
    n = n_p * n_r
    port = np.repeat(np.arange(n_p), n_r)

    # risk type of each row
    shares = np.array([m[2] for m in _MIX]) * scope.known([m[0] for m in _MIX])
    kind = rng.choice(len(_MIX), size=n, p=shares / shares.sum())
    rt_names = np.array([m[0] for m in _MIX], dtype=object)
    pc_names = np.array([m[1] for m in _MIX], dtype=object)
    median = np.array([m[3] for m in _MIX])
    risk_type = rt_names[kind]
    product = pc_names[kind].copy()

    qualifier = np.full(n, "", dtype=object)
    bucket = np.full(n, "", dtype=object)
    label1 = np.full(n, "", dtype=object)
    label2 = np.full(n, "", dtype=object)
    ccy_names = np.array([c[0] for c in _CURRENCIES], dtype=object)
    ccy_rate = np.array([c[1] for c in _CURRENCIES])
    ccy_p = np.array([c[2] for c in _CURRENCIES])
    ccy_p = ccy_p / ccy_p.sum()
    ccy_bucket = np.array([c[3] for c in _CURRENCIES], dtype=object)
    row_ccy = rng.choice(len(_CURRENCIES), size=n, p=ccy_p)  # currency of the risk factor
    amount_ccy = np.zeros(n, dtype=np.int64)  # USD unless set below

    def rows_of(*names: str) -> np.ndarray:
        return np.flatnonzero(np.isin(risk_type, list(names)))

    # interest rates: currency qualifiers
    sel = rows_of("Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis", "Risk_IRVol",
                  "Risk_InflationVol")
    qualifier[sel] = ccy_names[row_ccy[sel]]
    amount_ccy[sel] = row_ccy[sel]
    sel = rows_of("Risk_IRCurve")
    bucket[sel] = ccy_bucket[row_ccy[sel]]
    label1[sel] = _TENORS[rng.integers(0, 12, sel.size)]
    curve_p = _SUB_CURVE_P * np.isin(_SUB_CURVES, scope.sub_curves)
    if not np.array_equal(curve_p, _SUB_CURVE_P):
        curve_p = curve_p / curve_p.sum()
    label2[sel] = _SUB_CURVES[rng.choice(_SUB_CURVES.size, size=sel.size, p=curve_p)]
    sel = rows_of("Risk_IRVol", "Risk_InflationVol", "Risk_EquityVol", "Risk_CommodityVol",
                  "Risk_FXVol")
    label1[sel] = _TENORS[rng.integers(0, 12, sel.size)]

    # credit
    issuers = _names("ISIN:XS", universe)
    issuer_bucket = np.array([*(str(b) for b in range(1, 13)), "Residual"], dtype=object)[
        rng.choice(13, size=universe, p=np.r_[np.full(12, 0.95 / 12), 0.05])]
    sel = rows_of("Risk_CreditQ", "Risk_CreditVol")
    who = rng.integers(0, universe, sel.size)
    qualifier[sel] = issuers[who]
    bucket[sel] = issuer_bucket[who]
    label1[sel] = _CREDIT_TENORS[rng.integers(0, 5, sel.size)]
    sec = rng.random(sel.size) < 0.03
    label2[sel[sec & (risk_type[sel] == "Risk_CreditQ")]] = "Sec"
    nonq = _names("ISIN:US", max(universe // 10, 5))
    nonq_bucket = np.array(["1", "2", "Residual"], dtype=object)[
        rng.choice(3, size=nonq.size, p=[0.6, 0.35, 0.05])]
    nonq_l2 = _NONQ_LABEL2[rng.integers(0, _NONQ_LABEL2.size, nonq.size)]
    sel = rows_of("Risk_CreditNonQ", "Risk_CreditVolNonQ")
    who = rng.integers(0, nonq.size, sel.size)
    qualifier[sel] = nonq[who]
    bucket[sel] = nonq_bucket[who]
    label1[sel] = _CREDIT_TENORS[rng.integers(0, 5, sel.size)]
    label2[sel] = nonq_l2[who]
    sel = rows_of("Risk_BaseCorr")
    qualifier[sel] = _INDICES[rng.integers(0, _INDICES.size, sel.size)]

    # equity and commodity
    names = _names("EQ", universe)
    n_eq = scope.equity_buckets  # numbered equity buckets (12: volatility indices, from 2.0)
    name_bucket = np.array([*(str(b) for b in range(1, n_eq + 1)), "Residual"], dtype=object)[
        rng.choice(n_eq + 1, size=universe,
                   p=np.r_[np.full(11, 0.9 / 11), np.full(n_eq - 11, 0.05), 0.05]
                   / (0.95 + 0.05 * (n_eq - 11)))]
    sel = rows_of("Risk_Equity", "Risk_EquityVol")
    who = rng.integers(0, universe, sel.size)
    qualifier[sel] = names[who]
    bucket[sel] = name_bucket[who]
    n_cm = scope.commodity_buckets
    comms = _names("CMDTY", max(universe // 20, n_cm))
    comm_bucket = np.array([str(b) for b in range(1, n_cm + 1)], dtype=object)[
        np.arange(comms.size) % n_cm]
    sel = rows_of("Risk_Commodity", "Risk_CommodityVol")
    who = rng.integers(0, comms.size, sel.size)
    qualifier[sel] = comms[who]
    bucket[sel] = comm_bucket[who]

    # FX: delta in a non-USD currency, vega on a pair; some FX risk sits in other products
    sel = rows_of("Risk_FX")
    non_usd = rng.choice(np.arange(1, len(_CURRENCIES)), size=sel.size,
                         p=ccy_p[1:] / ccy_p[1:].sum())
    qualifier[sel] = ccy_names[non_usd]
    other = rng.random(sel.size) < 0.1
    product[sel[other]] = _PC_PRODUCTS[rng.integers(1, 4, int(other.sum()))]
    sel = rows_of("Risk_FXVol")
    a = rng.choice(len(_CURRENCIES), size=sel.size, p=ccy_p)
    b = rng.choice(len(_CURRENCIES), size=sel.size, p=ccy_p)
    b = np.where(a == b, (b + 1) % len(_CURRENCIES), b)
    first = _PAIR_RANK[a] <= _PAIR_RANK[b]  # market convention: EURUSD, USDJPY...
    qualifier[sel] = np.where(first, ccy_names[a] + ccy_names[b], ccy_names[b] + ccy_names[a])

    # amounts: log-normal magnitude, random sign; Amount in the factor's currency
    usd = median[kind] * np.exp(1.3 * rng.standard_normal(n)) * rng.choice([-1.0, 1.0], n)
    amount = usd / ccy_rate[amount_ccy]
    amount_currency = ccy_names[amount_ccy]

    # trades: about one trade per ten rows, several rows per trade
    n_trades = max(n_r // 10, 1)
    trade = rng.integers(0, n_trades, n)
    trade_names = np.array([f"T{p:06d}_{t:05d}" for p in range(n_p) for t in range(n_trades)],
                           dtype=object)
    trade_id = trade_names[port * n_trades + trade]

    if addons:
        _add_addons(rng, n_p, n_r, risk_type, product, qualifier, bucket, label1, label2,
                    amount, usd, amount_currency, trade_id, scope)

    return pd.DataFrame({
        "TradeID": trade_id,
        "PortfolioID": np.array([f"P{p:06d}" for p in range(n_p)], dtype=object)[port],
        "ProductClass": product,
        "RiskType": risk_type,
        "Qualifier": qualifier,
        "Bucket": bucket,
        "Label1": label1,
        "Label2": label2,
        "Amount": amount,
        "AmountCurrency": amount_currency,
        "AmountUSD": usd,
    })


def _add_addons(
    rng: np.random.Generator,
    n_p: int,
    n_r: int,
    risk_type: np.ndarray,
    product: np.ndarray,
    qualifier: np.ndarray,
    bucket: np.ndarray,
    label1: np.ndarray,
    label2: np.ndarray,
    amount: np.ndarray,
    usd: np.ndarray,
    amount_currency: np.ndarray,
    trade_id: np.ndarray,
    scope: _Scope,
) -> None:
    """Overwrite the last rows of some portfolios with add-on rows (in place)."""
    start = np.arange(n_p) * n_r + n_r  # one past each portfolio's last row

    def put(rows: np.ndarray, rt: str, qual: np.ndarray, value: np.ndarray, ccy: str) -> None:
        if not scope.known([rt])[0]:
            return
        risk_type[rows] = rt
        product[rows] = ""
        qualifier[rows] = qual
        bucket[rows] = label1[rows] = label2[rows] = ""
        amount[rows] = usd[rows] = value
        amount_currency[rows] = ccy

    mult = np.flatnonzero(rng.random(n_p) < 0.2)
    rows = start[mult] - 1
    put(rows, "Param_ProductClassMultiplier", _PC_PRODUCTS[rng.integers(0, 4, mult.size)],
        np.round(1.0 + rng.random(mult.size), 2), "")
    fac = np.flatnonzero(rng.random(n_p) < 0.2)
    product_name = np.array(["ExoticA", "ExoticB", "Hybrid"], dtype=object)[
        rng.integers(0, 3, fac.size)]
    put(start[fac] - 2, "Param_AddOnNotionalFactor", product_name,
        np.round(0.5 + 4.5 * rng.random(fac.size), 2), "")
    for k in (3, 4):  # two trades' notionals of that product
        put(start[fac] - k, "Notional", product_name,
            np.round(1e6 * np.exp(2.0 * rng.standard_normal(fac.size) + 3.0), 0), "USD")
    fix = np.flatnonzero(rng.random(n_p) < 0.1)
    put(start[fix] - 5, "Param_AddOnFixedAmount", np.full(fix.size, "", dtype=object),
        np.round(1e5 * np.exp(rng.standard_normal(fix.size)), 0), "USD")
