"""The built-in real market: public-domain and attribution-only histories shipped with the package.

``imresearch/marketdata/data/`` holds compact Parquet files rebuilt by
``market_data/build_public_markets.py`` (values as published; source, terms and attribution in
``data/sources.toml``, :func:`sources`, and ``market_data/README.md``). This module turns them
into factors with the synthetic market's names and units:

==================  ==========================================================================
factors             from
==================  ==========================================================================
``IR_USD_<tenor>``  U.S. Treasury par yields 1m..30y, bootstrapped to continuously compounded
                    zero rates (:func:`~imresearch.marketdata.bootstrap.par_to_zero`), percent
``IR_EUR_<tenor>``  ECB euro-area spot curve 3m..30y (continuous compounding), percent
``IR_GBP_<tenor>``  Bank of England nominal spot curve 1y..25y (continuous), percent
``FX_EURUSD``       ECB euro reference rates: USD per EUR; ``FX_GBPUSD`` (USD per GBP),
``FX_USDJPY``,      ``FX_USDJPY`` (JPY per USD), ``FX_USDCHF`` (CHF per USD) are crosses of the
``FX_USDCHF``       same fixing
``CMD_WTI``,        EIA spot prices, USD/bbl, **absolute** shocks (see below)
``CMD_BRENT``
``EQ_SPX``,         S&P 500 and NASDAQ Composite adjusted close from ``arch.data`` (read from the
``EQ_CCMP``         installed arch package at run time, never copied), log shocks
==================  ==========================================================================

Rates take ``absolute_bp`` shocks, FX and equities ``log`` shocks. The Fed H.10 noon rates form
a second, independent FX history (:func:`h10_market`: ``FX_EURUSD``, ``FX_GBPUSD``,
``FX_AUDUSD``, ``FX_USDJPY``, ``FX_USDCHF``, ``FX_USDCAD``, 1971 .. 2017-12-01; every column of
the stored file is currency per USD, so the pairs quoted USD per unit are ``1 / value``).

Commodity shock convention
--------------------------
WTI Cushing settled at **-36.98 USD/bbl on 2020-04-20** (18.31 the day before, 8.91 the day
after). Log and relative shocks are undefined there; displaced relative shocks explode near the
displacement (with a displacement of 40, the rebound of 21 April is a +1,520% shock, which
would put oil above USD 1,000 in a scenario). Both oil factors therefore take **absolute
shocks in USD/bbl**: the event stays in the history as a -55.29 one-day move and a +45.89
rebound, every scenario is finite, and WTI and Brent shocks stay comparable. The cost: moves
from high-price regimes (2008, USD 140) are applied at today's level unscaled; filtered HS
rescales them by volatility.

Calendar and gaps
-----------------
Each source keeps its own holidays. :func:`public_market` joins the chosen factors on every
date any of them has, keeps the span on which all of them are quoted (each factor from the end
of its last hole longer than :data:`~imresearch.marketdata.history.DEFAULT_MAX_GAP` business
days, e.g. the Treasury's 30-year, not issued 2002-02-19 .. 2006-02-08), and drops the dates on
which one of them is missing (a holiday of one market); ``history.gap_report.dropped_dates``
lists them. With every factor the span is 2006-02-09 .. 2018-12-31; without the arch equities it
runs to 2024-04-30.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch._typing import GapPolicy
from imresearch.errors import InputError
from imresearch.marketdata.bootstrap import par_to_zero
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import DEFAULT_MAX_GAP, RiskFactorHistory

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["DATA_DIR", "extended_public_market", "h10_market", "public_factors", "public_market",
           "raw_series", "sources"]

#: Folder of the shipped files.
DATA_DIR = Path(__file__).resolve().parent / "data"
_FILES = ("ust_par_yields", "ecb_eur_zero", "boe_gbp_zero", "ecb_fx", "fed_h10_fx",
          "eia_oil_spot")


@functools.cache
def _read(name: str) -> pd.DataFrame:
    frame = pd.read_parquet(DATA_DIR / f"{name}.parquet").set_index("date")
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("ns")
    return frame


def raw_series(name: str) -> pd.DataFrame:
    """One shipped file as published (dates x series, NaN where no value), a copy.

    Parameters
    ----------
    name : str
        ``"ust_par_yields"``, ``"ecb_eur_zero"``, ``"boe_gbp_zero"``, ``"ecb_fx"``,
        ``"fed_h10_fx"`` or ``"eia_oil_spot"`` (see :func:`sources`).
    """
    if name not in _FILES:
        raise InputError(f"unknown public data file {name!r}; files: {', '.join(_FILES)}")
    return _read(name).copy()


def sources() -> pd.DataFrame:
    """Provider, series, units, terms, attribution and provenance of every shipped file.

    Returns
    -------
    pandas.DataFrame
        One row per file (index ``file``; ``arch`` is the run-time arch data, not shipped).
    """
    with open(DATA_DIR / "sources.toml", "rb") as handle:
        table = tomllib.load(handle)
    return pd.DataFrame.from_dict(table, orient="index").rename_axis("file")


# ---------------------------------------------------------------------- factor definitions
def _rate(ccy: str, tenor: str, what: str) -> FactorSpec:
    return FactorSpec("IR", "absolute_bp", "percent", ccy, tenor,
                      description=f"{ccy} zero rate {tenor}, continuous compounding ({what})")


def _fx(pair: str, what: str) -> FactorSpec:
    return FactorSpec("FX", "log", f"{pair[3:]} per {pair[:3]}", pair[3:],
                      description=f"{pair[:3]}/{pair[3:]} spot ({what})")


def _ust() -> pd.DataFrame:
    zero = par_to_zero(_read("ust_par_yields"))
    return zero.rename(columns=lambda t: f"IR_USD_{t}")


def _eur() -> pd.DataFrame:
    return (_read("ecb_eur_zero") * 100.0).rename(columns=lambda t: f"IR_EUR_{t}")


def _gbp() -> pd.DataFrame:
    return (_read("boe_gbp_zero") * 100.0).rename(columns=lambda t: f"IR_GBP_{t}")


def _ecb_fx() -> pd.DataFrame:
    raw = _read("ecb_fx")
    usd = raw["USD per EUR"]
    return pd.DataFrame({
        "FX_EURUSD": usd,
        "FX_GBPUSD": usd / raw["GBP per EUR"],
        "FX_USDJPY": raw["JPY per EUR"] / usd,
        "FX_USDCHF": raw["CHF per EUR"] / usd,
    })


def _oil() -> pd.DataFrame:
    raw = _read("eia_oil_spot")
    return pd.DataFrame({"CMD_WTI": raw["WTI"], "CMD_BRENT": raw["Brent"]})


def _arch() -> pd.DataFrame:
    from arch.data import nasdaq, sp500

    out = {}
    for factor, module in (("EQ_SPX", sp500), ("EQ_CCMP", nasdaq)):
        series = module.load()["Adj Close"]
        series.index = pd.DatetimeIndex(series.index).as_unit("ns")
        out[factor] = series
    return pd.DataFrame(out)


_UST = "U.S. Treasury par yields, bootstrapped"
_SPECS: dict[str, FactorSpec] = {
    **{f"IR_USD_{t}": _rate("USD", t, _UST) for t in
       ("1m", "3m", "6m", "1y", "2y", "3y", "5y", "7y", "10y", "20y", "30y")},
    **{f"IR_EUR_{t}": _rate("EUR", t, "ECB euro-area yield curve") for t in
       ("3m", "6m", "1y", "2y", "3y", "5y", "7y", "10y", "15y", "20y", "30y")},
    **{f"IR_GBP_{t}": _rate("GBP", t, "Bank of England nominal spot curve") for t in
       ("1y", "2y", "3y", "5y", "7y", "10y", "15y", "20y", "25y")},
    "FX_EURUSD": _fx("EURUSD", "ECB euro reference rate"),
    "FX_GBPUSD": _fx("GBPUSD", "cross of ECB euro reference rates"),
    "FX_USDJPY": _fx("USDJPY", "cross of ECB euro reference rates"),
    "FX_USDCHF": _fx("USDCHF", "cross of ECB euro reference rates"),
    "CMD_WTI": FactorSpec("commodity", "absolute", "USD/bbl", "USD",
                          description="WTI Cushing crude oil spot (EIA RWTC); absolute shocks: "
                                      "settled at -36.98 on 2020-04-20"),
    "CMD_BRENT": FactorSpec("commodity", "absolute", "USD/bbl", "USD",
                            description="Brent crude oil spot (EIA RBRTE); absolute shocks "
                                        "like WTI"),
    "EQ_SPX": FactorSpec("equity", "log", "index points", "USD",
                         description="S&P 500 adjusted close (arch.data.sp500, Yahoo Finance)"),
    "EQ_CCMP": FactorSpec("equity", "log", "index points", "USD",
                          description="NASDAQ Composite adjusted close (arch.data.nasdaq, "
                                      "Yahoo Finance)"),
}
#: Which loader makes each factor.
_LOADERS: dict[str, Callable[[], pd.DataFrame]] = {
    **{f: _ust for f in _SPECS if f.startswith("IR_USD_")},
    **{f: _eur for f in _SPECS if f.startswith("IR_EUR_")},
    **{f: _gbp for f in _SPECS if f.startswith("IR_GBP_")},
    **{f: _ecb_fx for f in ("FX_EURUSD", "FX_GBPUSD", "FX_USDJPY", "FX_USDCHF")},
    "CMD_WTI": _oil,
    "CMD_BRENT": _oil,
    "EQ_SPX": _arch,
    "EQ_CCMP": _arch,
}

_H10_PAIRS = {  # factor -> (file column, inverted)
    "FX_EURUSD": ("EUR per USD", True),
    "FX_GBPUSD": ("GBP per USD", True),
    "FX_AUDUSD": ("AUD per USD", True),
    "FX_USDJPY": ("JPY per USD", False),
    "FX_USDCHF": ("CHF per USD", False),
    "FX_USDCAD": ("CAD per USD", False),
}


def _valid_span(series: pd.Series, max_gap: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date of a series after its last hole longer than ``max_gap`` bdays."""
    dates = series.dropna().index
    if len(dates) < 2:
        raise InputError(f"{series.name}: fewer than two values")  # pragma: no cover
    days = dates.values.astype("datetime64[D]")
    gaps = np.busday_count(days[:-1], days[1:])
    holes = np.flatnonzero(gaps > max_gap)
    first = dates[holes[-1] + 1] if len(holes) else dates[0]
    return first, dates[-1]


def _assemble(
    frame: pd.DataFrame,
    specs: dict[str, FactorSpec],
    *,
    name: str,
    source: str,
    gap_policy: GapPolicy,
) -> RiskFactorHistory:
    spans = [_valid_span(frame[c], DEFAULT_MAX_GAP) for c in frame.columns]
    start = max(s for s, _ in spans)
    end = min(e for _, e in spans)
    if end <= start:
        raise InputError(f"{name}: the factors {list(frame.columns)} have no common span")
    frame = frame.loc[start:end]
    frame = frame.loc[frame.notna().any(axis=1)]
    return RiskFactorHistory(frame, specs, gap_policy=gap_policy, name=name, source=source)


def _chosen(factors: Iterable[str] | None, known: Iterable[str], name: str) -> list[str]:
    known = list(known)
    if factors is None:
        return known
    chosen = [factors] if isinstance(factors, str) else list(factors)
    unknown = [f for f in chosen if f not in known]
    if unknown or not chosen:
        raise InputError(
            f"{name}: unknown factor(s) {unknown or chosen}; factors: {', '.join(known)}"
        )
    return list(dict.fromkeys(chosen))


def public_factors() -> dict[str, FactorSpec]:
    """Metadata of every factor :func:`public_market` can load, in its column order."""
    return dict(_SPECS)


def public_market(
    factors: Iterable[str] | None = None, *, gap_policy: GapPolicy = "drop"
) -> RiskFactorHistory:
    """The built-in real market (``load_builtin("public_markets")``).

    Parameters
    ----------
    factors : list of str, optional
        Factors to load (see :func:`public_factors`); default all. The history covers the
        longest span on which every chosen factor is quoted.
    gap_policy : {"drop", "ffill", "error"}
        Dates on which a chosen factor is missing (a holiday of its market). Default ``"drop"``.

    Returns
    -------
    RiskFactorHistory
        Named ``"public_markets"``; ``source`` names the providers.
    """
    chosen = _chosen(factors, _SPECS, "public_markets")
    loaders = list(dict.fromkeys(_LOADERS[f] for f in chosen))
    frame = pd.concat([load() for load in loaders], axis=1, join="outer", sort=True)[chosen]
    return _assemble(
        frame, {f: _SPECS[f] for f in chosen}, name="public_markets", gap_policy=gap_policy,
        source="imresearch built-in public_markets: U.S. Treasury, ECB, Bank of England, EIA, "
               "arch.data",
    )


def extended_public_market(data_dir: str | Path | None = None, *,
                           gap_policy: GapPolicy = "drop") -> RiskFactorHistory:
    """The built-in real market continued past 2018 with a data directory's S&P 500.

    arch's S&P 500 ends on 2018-12-31; the catalogue data set ``sp500`` (Yahoo's ^GSPC close,
    the same index level: arch's and Yahoo's closes agree to 1e-9 where both exist) continues
    it, so every factor but the NASDAQ (which no catalogue data set continues) runs to the end
    of the shipped rates, FX and oil (2024-04-30), COVID-2020 and 2022 included.

    Parameters
    ----------
    data_dir : path-like, optional
        The data directory (default ``$IMRESEARCH_DATA``).

    Raises
    ------
    DataNotFoundError
        No data directory, or it does not hold the ``sp500`` data set.
    """
    from imresearch.marketdata.catalogue import load_dataset

    spx = load_dataset("sp500", data_dir=data_dir).levels.iloc[:, 0]
    chosen = [f for f in _SPECS if f != "EQ_CCMP"]
    loaders = list(dict.fromkeys(_LOADERS[f] for f in chosen))
    frame = pd.concat([load() for load in loaders], axis=1, join="outer", sort=True)[chosen]
    arch_spx = frame["EQ_SPX"].dropna()
    later = spx[spx.index > arch_spx.index[-1]]
    frame = frame.reindex(frame.index.union(later.index))
    frame.loc[later.index, "EQ_SPX"] = later.to_numpy()
    specs = {f: _SPECS[f] for f in chosen}
    specs["EQ_SPX"] = FactorSpec("equity", "log", "index points", "USD",
                                 description="S&P 500 close: arch.data.sp500 to 2018-12-31, "
                                             "then the data directory's sp500 (Yahoo ^GSPC)")
    return _assemble(
        frame, specs, name="public_markets", gap_policy=gap_policy,
        source="imresearch built-in public_markets (U.S. Treasury, ECB, Bank of England, EIA, "
               f"arch.data) continued with the S&P 500 of the data directory after "
               f"{arch_spx.index[-1]:%Y-%m-%d}; without the NASDAQ",
    )


def h10_market(
    factors: Iterable[str] | None = None, *, gap_policy: GapPolicy = "drop"
) -> RiskFactorHistory:
    """Fed H.10 noon buying rates as FX factors (``load_builtin("fed_h10_fx")``).

    Parameters
    ----------
    factors : list of str, optional
        Some of ``FX_EURUSD``, ``FX_GBPUSD``, ``FX_AUDUSD``, ``FX_USDJPY``, ``FX_USDCHF``,
        ``FX_USDCAD``; default all (from 1999-01-04, the euro's start). Without ``FX_EURUSD``
        the history starts in 1971 (after the 1971 closures).
    gap_policy : {"drop", "ffill", "error"}
        Dates without every chosen quote. Default ``"drop"``.
    """
    chosen = _chosen(factors, _H10_PAIRS, "fed_h10_fx")
    raw = _read("fed_h10_fx")
    frame = pd.DataFrame({
        f: 1.0 / raw[col] if inverted else raw[col]
        for f, (col, inverted) in _H10_PAIRS.items() if f in chosen
    })[chosen]
    specs = {f: _fx(f[3:], "Fed H.10 noon buying rate") for f in chosen}
    return _assemble(frame, specs, name="fed_h10_fx", gap_policy=gap_policy,
                     source="imresearch built-in fed_h10_fx: Federal Reserve H.10")
