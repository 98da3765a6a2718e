"""The catalogue's entries: which files make each real data set, how to read them, and metadata.

Each :class:`Dataset` names its file(s) under the market-data directory, the reader options that
cope with how the file really is (date column, missing-value markers, newest-first order, decimal
commas, holiday rows...), how several files combine, and the metadata of every factor (risk
class, shock convention, units, currency, tenor). :mod:`imresearch.marketdata.catalogue` finds
the directory and loads them; ``market_data/README.md`` lists every name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from imresearch.marketdata.factors import FactorSpec

__all__ = ["DATASETS", "H10_INVERTED", "H10_PAIRS", "Dataset", "DatasetPart"]

# ---------------------------------------------------------------------- entries
@dataclass(frozen=True)
class DatasetPart:
    """One file of a data set (or another catalogue data set used as a part).

    Parameters
    ----------
    file : str
        Path relative to the data directory, e.g. ``"sp500_index/GSPC.csv"``; empty when
        ``dataset`` is given.
    options : mapping
        Reader options of :func:`~imresearch.marketdata.readers.load_csv` (or
        :func:`~imresearch.marketdata.readers.load_parquet` for ``.parquet`` files).
    factor : str, optional
        For single-series files read through ``field`` (``yahoo``/``investing`` presets): the
        name of the factor.
    dataset : str, optional
        Name of another catalogue data set whose levels form this part.
    """

    file: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)
    factor: str | None = None
    dataset: str | None = None


@dataclass(frozen=True)
class Dataset:
    """A catalogue entry: files, how to read and combine them, and factor metadata.

    Parameters
    ----------
    name : str
        Catalogue name.
    description : str
        What the data are, and the gap policy chosen.
    parts : tuple of DatasetPart
        The file(s).
    factors : mapping of str to FactorSpec
        Metadata of every factor, in column order.
    combine : {"single", "join", "splice"}
        One file; several files joined on their dates (one or more factors each); or one
        factor whose history is spread over consecutive files (no overlapping dates allowed).
    options : mapping
        Options applied to the combined levels: ``gap_policy``, ``max_ffill``,
        ``drop_empty_rows``, ``min_values``, ``start``, ``end``, ``trim``.
    invert : tuple of str
        Factors whose file values are the reciprocal of the level (e.g. a file quoting GBP per
        USD for the factor ``GBPUSD``, in USD per GBP): the catalogue loads ``1 / value``.
    """

    name: str
    description: str
    parts: tuple[DatasetPart, ...]
    factors: Mapping[str, FactorSpec]
    combine: Literal["single", "join", "splice"] = "single"
    options: Mapping[str, Any] = field(default_factory=dict)
    invert: tuple[str, ...] = ()

    @property
    def files(self) -> list[str]:
        """Every file read (parts of nested data sets included), relative to the data dir."""
        out: list[str] = []
        for part in self.parts:
            if part.dataset is not None:
                out.extend(DATASETS[part.dataset].files)
            else:
                out.append(part.file)
        return list(dict.fromkeys(out))

    @property
    def risk_classes(self) -> list[str]:
        """Risk classes of the factors, in order of first appearance."""
        return list(dict.fromkeys(spec.risk_class for spec in self.factors.values()))


# ---------------------------------------------------------------------- metadata helpers
def _rate(ccy: str, tenor: str, desc: str, units: str = "percent") -> FactorSpec:
    return FactorSpec("IR", "absolute_bp", units, ccy, tenor.lower(), description=desc)


def _equity(ccy: str, desc: str, units: str = "index points") -> FactorSpec:
    return FactorSpec("equity", "log", units, ccy, description=desc)


def _fx(pair: str, desc: str) -> FactorSpec:
    base, quote = pair[:3], pair[3:]
    return FactorSpec("FX", "log", f"{quote} per {base}", quote, description=desc)


def _csv(file: str, factor: str | None = None, **options: Any) -> DatasetPart:
    return DatasetPart(file=file, options=options, factor=factor)


# ---------------------------------------------------------------------- the entries
_CMT_FILES = {  # FRED H.15 file -> (series, tenor)
    "1MONTH": ("DGS1MO", "1m"),
    "3MONTHS": ("DGS3MO", "3m"),
    "6MONTHS": ("DGS6MO", "6m"),
    "1YEAR": ("DGS1", "1y"),
    "2YEARS": ("DGS2", "2y"),
    "3YEARS": ("DGS3", "3y"),
    "5YEARS": ("DGS5", "5y"),
    "7YEARS": ("DGS7", "7y"),
    "10YEARS": ("DGS10", "10y"),
    "20YEARS": ("DGS20", "20y"),
    "30YEARS": ("DGS30", "30y"),
}
_PAR_COLUMNS = {  # Treasury par-yield column -> tenor
    "1 Mo": "1m", "2 Mo": "2m", "3 Mo": "3m", "4 Mo": "4m", "6 Mo": "6m", "1 Yr": "1y",
    "2 Yr": "2y", "3 Yr": "3y", "5 Yr": "5y", "7 Yr": "7y", "10 Yr": "10y", "20 Yr": "20y",
    "30 Yr": "30y",
}
#: Fed H.10 column -> market pair. Every column of the stored file is units of the currency per
#: USD (United Kingdom 0.4991 on 2008-07-15: GBP per USD, cable at 2.00), although the source
#: package's README says Australia, Euro, Ireland, New Zealand and the UK are USD per unit. The
#: pairs quoted the market way round (AUDUSD, EURUSD, IEPUSD, NZDUSD, GBPUSD: USD per unit) are
#: loaded as ``1 / value`` (:data:`H10_INVERTED`).
H10_PAIRS: dict[str, str] = {
    "Australia": "AUDUSD", "Austria": "USDATS", "Belgium": "USDBEF", "Brazil": "USDBRL",
    "Canada": "USDCAD", "China": "USDCNY", "Denmark": "USDDKK", "Euro": "EURUSD",
    "Finland": "USDFIM", "France": "USDFRF", "Germany": "USDDEM", "Greece": "USDGRD",
    "Hong Kong": "USDHKD", "India": "USDINR", "Ireland": "IEPUSD", "Italy": "USDITL",
    "Japan": "USDJPY", "Malaysia": "USDMYR", "Mexico": "USDMXN", "Netherlands": "USDNLG",
    "New Zealand": "NZDUSD", "Norway": "USDNOK", "Portugal": "USDPTE", "Singapore": "USDSGD",
    "South Africa": "USDZAR", "South Korea": "USDKRW", "Spain": "USDESP", "Sri Lanka": "USDLKR",
    "Sweden": "USDSEK", "Switzerland": "USDCHF", "Taiwan": "USDTWD", "Thailand": "USDTHB",
    "United Kingdom": "GBPUSD", "Venezuela": "USDVEF",
}
#: H.10 pairs whose level is the reciprocal of the file's value (the base currency is not USD).
H10_INVERTED: tuple[str, ...] = tuple(p for p in H10_PAIRS.values() if not p.startswith("USD"))
_H10_G10 = ("Australia", "Canada", "Denmark", "Japan", "New Zealand", "Norway", "Sweden",
            "Switzerland", "United Kingdom")
# columns that are empty in the stored H.10 file (legacy euro-area currencies, Sri Lanka)
_H10_EMPTY = ("Austria", "Belgium", "Finland", "France", "Germany", "Greece", "Ireland", "Italy",
              "Netherlands", "Portugal", "Spain", "Sri Lanka")
_H10_BROAD = tuple(c for c in H10_PAIRS if c not in _H10_EMPTY)

_GLOBAL_INDICES = {  # parquet column -> (factor, currency, name)
    "FTSEMIB.MI": ("FTSEMIB", "EUR", "FTSE MIB (Italy)"),
    "^AEX": ("AEX", "EUR", "AEX (Netherlands)"),
    "^AXJO": ("AXJO", "AUD", "S&P/ASX 200 (Australia)"),
    "^BFX": ("BFX", "EUR", "BEL 20 (Belgium)"),
    "^BSESN": ("BSESN", "INR", "BSE Sensex (India)"),
    "^BVSP": ("BVSP", "BRL", "Ibovespa (Brazil)"),
    "^FCHI": ("FCHI", "EUR", "CAC 40 (France)"),
    "^FTSE": ("FTSE", "GBP", "FTSE 100 (UK)"),
    "^GDAXI": ("GDAXI", "EUR", "DAX (Germany)"),
    "^GSPC": ("GSPC", "USD", "S&P 500 (US)"),
    "^GSPTSE": ("GSPTSE", "CAD", "S&P/TSX Composite (Canada)"),
    "^HSI": ("HSI", "HKD", "Hang Seng (Hong Kong)"),
    "^IBEX": ("IBEX", "EUR", "IBEX 35 (Spain)"),
    "^KS11": ("KS11", "KRW", "KOSPI (Korea)"),
    "^N225": ("N225", "JPY", "Nikkei 225 (Japan)"),
    "^NSEI": ("NSEI", "INR", "Nifty 50 (India)"),
    "^SSMI": ("SSMI", "CHF", "SMI (Switzerland)"),
    "^STI": ("STI", "SGD", "Straits Times (Singapore)"),
    "^STOXX50E": ("STOXX50E", "EUR", "Euro Stoxx 50"),
    "^TWII": ("TWII", "TWD", "TAIEX (Taiwan)"),
}
#: Parquet columns left out of ``global_indices``: short or empty histories.
GLOBAL_INDICES_EXCLUDED = {
    "000300.SS": "CSI 300, from 2021-03 only",
    "^JN0U.JO": "JSE index, from 2017-09 only",
    "^OMX": "OMX Stockholm 30, from 2008-11-20 (misses Sept-Oct 2008)",
    "^OMXC20": "OMX Copenhagen 20, three values in 2021",
    "^OMXH25": "OMX Helsinki 25, from 2013",
    "^OSEAX": "Oslo all-share, from 2013",
    "^SPTSX60": "S&P/TSX 60, empty",
    "^TASI": "Tadawul, empty",
    "^VNINDEX": "VN-Index, empty",
}

# Yahoo files of yahoo_multi_asset: stem -> (factor, spec)
_YAHOO: dict[str, tuple[str, FactorSpec]] = {
    "FTSE": ("FTSE", _equity("GBP", "FTSE 100 index")),
    "GDAXI": ("DAX", _equity("EUR", "DAX index")),
    "FCHI": ("CAC40", _equity("EUR", "CAC 40 index")),
    "DJI": ("DJI", _equity("USD", "Dow Jones Industrial Average")),
    "RUT": ("RUT", _equity("USD", "Russell 2000 index")),
    "STOXX50E": ("SX5E", _equity("EUR", "Euro Stoxx 50 index")),
    "TNX": ("TNX", _rate("USD", "10y", "CBOE 10-year Treasury yield index (^TNX), percent")),
    "FVX": ("FVX", _rate("USD", "5y", "CBOE 5-year Treasury yield index (^FVX), percent")),
    "CL_F": ("CL1", FactorSpec(
        "commodity", "absolute", "USD/bbl", "USD",
        description="WTI crude front-month future (CL=F); absolute shocks: settled at -37.63 "
        "on 2020-04-20",
    )),
    "GC_F": ("GC1", FactorSpec("commodity", "log", "USD/oz", "USD",
                               description="Gold front-month future (GC=F)")),
    "SI_F": ("SI1", FactorSpec("commodity", "log", "USD/oz", "USD",
                               description="Silver front-month future (SI=F)")),
    "HG_F": ("HG1", FactorSpec("commodity", "log", "USD/lb", "USD",
                               description="Copper front-month future (HG=F)")),
    "NG_F": ("NG1", FactorSpec("commodity", "log", "USD/MMBtu", "USD",
                               description="Natural gas front-month future (NG=F)")),
    "ES_F": ("ES1", _equity("USD", "E-mini S&P 500 front-month future (ES=F)")),
    "NQ_F": ("NQ1", _equity("USD", "E-mini Nasdaq-100 front-month future (NQ=F)")),
    "ZT_F": ("ZT1", FactorSpec("IR", "log", "percent of par", "USD",
                               description="2-year Treasury note future (ZT=F), price")),
    "ZF_F": ("ZF1", FactorSpec("IR", "log", "percent of par", "USD",
                               description="5-year Treasury note future (ZF=F), price")),
    "ZN_F": ("ZN1", FactorSpec("IR", "log", "percent of par", "USD",
                               description="10-year Treasury note future (ZN=F), price")),
    "ZB_F": ("ZB1", FactorSpec("IR", "log", "percent of par", "USD",
                               description="30-year Treasury bond future (ZB=F), price")),
    "EURUSD_X": ("EURUSD", _fx("EURUSD", "EUR/USD spot (Yahoo EURUSD=X)")),
    "GBPUSD_X": ("GBPUSD", _fx("GBPUSD", "GBP/USD spot (Yahoo GBPUSD=X)")),
    "JPY_X": ("USDJPY", _fx("USDJPY", "USD/JPY spot (Yahoo JPY=X)")),
    "EURGBP_X": ("EURGBP", _fx("EURGBP", "EUR/GBP spot (Yahoo EURGBP=X)")),
    "EURCHF_X": ("EURCHF", _fx("EURCHF", "EUR/CHF spot (Yahoo EURCHF=X)")),
    "EURJPY_X": ("EURJPY", _fx("EURJPY", "EUR/JPY spot (Yahoo EURJPY=X)")),
    "AUDUSD_X": ("AUDUSD", _fx("AUDUSD", "AUD/USD spot (Yahoo AUDUSD=X)")),
    "CNY_X": ("USDCNY", _fx("USDCNY", "USD/CNY spot (Yahoo CNY=X)")),
    "SPY": ("SPY", _equity("USD", "SPDR S&P 500 ETF (adjusted close)", "USD")),
    "QQQ": ("QQQ", _equity("USD", "Invesco QQQ (Nasdaq-100) ETF (adjusted close)", "USD")),
    "IWM": ("IWM", _equity("USD", "iShares Russell 2000 ETF (adjusted close)", "USD")),
    "TLT": ("TLT", FactorSpec("IR", "log", "USD", "USD",
                              description="iShares 20+ Year Treasury Bond ETF (adjusted close)")),
    "LQD": ("LQD", FactorSpec("credit", "log", "USD", "USD",
                              description="iShares iBoxx USD Investment Grade Corporate Bond ETF")),
    "HYG": ("HYG", FactorSpec("credit", "log", "USD", "USD",
                              description="iShares iBoxx USD High Yield Corporate Bond ETF")),
    "TIP": ("TIP", FactorSpec("inflation", "log", "USD", "USD",
                              description="iShares TIPS Bond ETF (adjusted close)")),
    "GLD": ("GLD", FactorSpec("commodity", "log", "USD", "USD",
                              description="SPDR Gold Shares ETF")),
}
# investing.com yield files of yahoo_multi_asset: stem -> (name, factor, spec)
_INVESTING: dict[str, tuple[str, str, FactorSpec]] = {
    "DE_10y": ("de_10y", "DE_10Y", _rate("EUR", "10y", "German Bund 10-year yield, percent")),
    "DE_3y": ("de_3y", "DE_3Y", _rate("EUR", "3y", "German Bund 3-year yield, percent")),
    "FR_10y": ("fr_10y", "FR_10Y", _rate("EUR", "10y", "French OAT 10-year yield, percent")),
    "FR_3y": ("fr_3y", "FR_3Y", _rate("EUR", "3y", "French OAT 3-year yield, percent")),
}
#: Holes in the Yahoo/investing files (no rows for weeks or years): the catalogue starts after
#: them (or offers the part before as ``*_1987``); ``start=None`` restores the whole file.
_HOLES = {
    "EURUSD_X": ("2008-08-26", "no quotes 2008-07-31 .. 2008-08-26"),
    "JPY_X": ("2008-08-26", "no quotes 2008-07-31 .. 2008-08-26"),
    "EURCHF_X": ("2008-08-26", "no quotes 2008-07-31 .. 2008-08-26"),
    "EURJPY_X": ("2008-08-26", "no quotes 2008-07-31 .. 2008-08-26"),
    "CNY_X": ("2003-12-01", "no quotes 2003-04-29 .. 2003-12-01"),
    "DE_10y": ("1990-09-05", "no quotes 1990-05-24 .. 1990-09-05 but one on 1990-08-02"),
    "FR_10y": ("1994-02-02", "no quotes 1990-06-07 .. 1994-02-02"),
    "FR_3y": ("1994-02-02", "no quotes 1991-10-11 .. 1994-02-02"),
}
#: The part of the investing.com yield files before their hole (covers October 1987).
_BEFORE_HOLE = {"DE_10y": "1990-05-24", "FR_10y": "1990-06-07", "FR_3y": "1991-10-11"}
_ECB_FILE = "eur_gbp_usd_curves_ecb_fx/data_set_full.csv.xz"
_ECB_READ = {"layout": "long", "date_column": "DATE", "factor_column": ["CURRENCY", "TERM"],
             "value_column": "VALUE"}
_EUR_TERMS = ("3M", "6M", "9M", "1Y", "2Y", "3Y", "4Y", "5Y", "6Y", "7Y", "8Y", "9Y", "10Y",
              "12Y", "15Y", "20Y", "25Y", "30Y")
_GBP_TERMS = _EUR_TERMS[3:-1]  # 1Y..25Y: 3M/6M/9M have long gaps, 30Y starts in 2016
_USD_TERMS = ("3M", "6M", "1Y", "2Y", "3Y", "5Y", "7Y", "10Y")  # 20Y from 1993, 30Y gap 2002-06
_ECB_FX = {"CHF-EUR": "EURCHF", "CNY-EUR": "EURCNY", "GBP-EUR": "EURGBP", "JPY-EUR": "EURJPY",
           "USD-EUR": "EURUSD"}
_ARCHEGOS = {  # name -> (files, factor, description)
    "VIAC": (("pqmsoft1_VIAC.csv",), "ViacomCBS, 2005-12 .. 2021-10 (pqmsoft1, unadjusted)"),
    "DISCA": (("pqmsoft1_DISCA.csv",), "Discovery class A, 2005-07 .. 2021-10 (pqmsoft1)"),
    "BIDU": (("viengkeo_BIDU.csv",), "Baidu ADR, 2005-08 .. 2023-03 (Yahoo via viengkeo)"),
    "TME": (("bluefin_TME.csv", "cjbd_TME_2020-12-14_2021-04-30.csv"),
            "Tencent Music ADR, 2018-12 .. 2021-04 (Bluefin to 2020-12-11, then cjbd)"),
    "VIPS": (("bluefin_VIPS.csv", "cjbd_VIPS_2020-12-14_2021-04-13.csv"),
             "Vipshop ADR, 2012-03 .. 2021-04 (Bluefin to 2020-12-11, then cjbd)"),
    "GOTU": (("viengkeo_GOTU.csv",), "GSX Techedu / Gaotu ADR, 2019-06 .. 2023-03 (viengkeo)"),
    "IQ": (("viengkeo_IQ.csv",), "iQIYI ADR, 2018-03 .. 2023-03 (viengkeo)"),
    "FTCH": (("viengkeo_FTCH.csv",), "Farfetch, 2018-09 .. 2023-03 (viengkeo)"),
}


def _entries() -> list[Dataset]:
    out: list[Dataset] = []
    add = out.append

    add(Dataset(
        "sp500", "S&P 500 price index (^GSPC) close, 1927-12-30 .. 2026-08 (Yahoo); no gaps",
        (_csv("sp500_index/GSPC.csv", "SPX", format="yahoo", field="Close"),),
        {"SPX": _equity("USD", "S&P 500 price index (no dividends)")},
    ))

    cmt = {f"UST_CMT_{tenor.upper()}": (f"fred_treasury_cmt/{stem}_DAILY.csv", series, tenor)
           for stem, (series, tenor) in _CMT_FILES.items()}
    cmt_specs = {
        name: _rate("USD", tenor, f"US Treasury constant-maturity yield (FRED {series}), percent")
        for name, (_, series, tenor) in cmt.items()
    }
    cmt_parts = {name: _csv(file, format="fred", columns={series: name})
                 for name, (file, series, _) in cmt.items()}
    add(Dataset(
        "ust_cmt",
        "US Treasury CMT curve 1M..30Y (FRED H.15, 11 files joined), 2001-07-31 .. 2021-02-23 "
        "(trimmed to the 1M start); dates with any tenor missing (holidays) dropped",
        tuple(cmt_parts.values()), cmt_specs, combine="join",
        options={"trim": True, "gap_policy": "drop"},
    ))
    long_names = [n for n in cmt if n != "UST_CMT_1M"]
    add(Dataset(
        "ust_cmt_long",
        "US Treasury CMT curve 3M..30Y (FRED H.15, no 1M), 1981-09-01 .. 2021-02-23: covers "
        "October 1987; dates with any tenor missing dropped",
        tuple(cmt_parts[n] for n in long_names), {n: cmt_specs[n] for n in long_names},
        combine="join", options={"trim": True, "gap_policy": "drop"},
    ))

    par_file = "us_treasury_par_yields/yield-curve-rates-1990-2024.csv"
    par = {c: f"UST_PAR_{t.upper()}" for c, t in _PAR_COLUMNS.items() if c not in ("2 Mo", "4 Mo")}
    par_specs = {
        name: _rate("USD", _PAR_COLUMNS[col], f"US Treasury par yield {col}, percent (bond-eq.)")
        for col, name in par.items()
    }
    add(Dataset(
        "ust_par",
        "US Treasury par curve 1M..30Y (no 2M/4M: from 2018/2022), 2006-02-09 .. 2024-12-31 "
        "(30Y reissued 2006-02-09); dates with any tenor missing dropped",
        (_csv(par_file, format="treasury", columns=par),), par_specs,
        options={"start": "2006-02-09", "gap_policy": "drop"},
    ))
    par_long = {c: n for c, n in par.items() if c not in ("1 Mo", "20 Yr", "30 Yr")}
    add(Dataset(
        "ust_par_long",
        "US Treasury par curve 3M..10Y, 1990-01-02 .. 2024-12-31; dates with any tenor missing "
        "dropped",
        (_csv(par_file, format="treasury", columns=par_long),),
        {n: par_specs[n] for n in par_long.values()},
        options={"gap_policy": "drop"},
    ))

    add(Dataset(
        "vix", "CBOE VIX index close, 1990-01-02 .. 2026-07 (O/H/L = close before 2004-06)",
        (_csv("cboe_vix/vix-daily.csv", columns={"CLOSE": "VIX"}),),
        {"VIX": FactorSpec("volatility", "log", "vol points", "USD",
                           description="CBOE VIX (30-day S&P 500 implied volatility)")},
    ))
    add(Dataset(
        "hy_oas",
        "ICE BofA US High Yield OAS (FRED BAMLH0A0HYM2), percent, 1996-12-31 .. 2026-03; "
        "empty holiday rows dropped",
        (_csv("global_indices_hy_oas_move/BAMLH0A0HYM2.csv",
              columns={"bamlh0a0hym2": "US_HY_OAS"}),),
        {"US_HY_OAS": FactorSpec(
            "credit", "absolute_bp", "percent", "USD",
            description="ICE BofA US High Yield Index option-adjusted spread",
        )},
        options={"gap_policy": "drop"},
    ))
    add(Dataset(
        "move", "ICE BofA MOVE index (Treasury implied volatility), 2002-11-13 .. 2026-03",
        (_csv("global_indices_hy_oas_move/move.csv", columns={"Value": "MOVE"}),),
        {"MOVE": FactorSpec("volatility", "log", "bp (normalized yield vol)", "USD",
                            description="ICE BofA MOVE index")},
    ))
    add(Dataset(
        "wti",
        "WTI Cushing spot (EIA RWTC), USD/bbl, 1986-01-02 .. 2026-08; absolute shocks because "
        "of the -36.98 print on 2020-04-20",
        (_csv("eia_oil_spot/wti-daily.csv", columns={"Price": "WTI"}),),
        {"WTI": FactorSpec("commodity", "absolute", "USD/bbl", "USD",
                           description="WTI crude oil spot, Cushing (EIA)")},
    ))
    add(Dataset(
        "brent", "Brent spot (EIA RBRTE), USD/bbl, 1987-05-20 .. 2026-08",
        (_csv("eia_oil_spot/brent-daily.csv", columns={"Price": "BRENT"}),),
        {"BRENT": FactorSpec("commodity", "log", "USD/bbl", "USD",
                             description="Brent crude oil spot (EIA)")},
    ))

    h10_specs = {
        pair: _fx(pair, f"Fed H.10 noon buying rate, {c}"
                  + (" (file: currency per USD, inverted)" if pair in H10_INVERTED else ""))
        for c, pair in H10_PAIRS.items()
    }
    add(Dataset(
        "fx_h10",
        "Fed H.10 FX, 9 currencies quoted since 1971 (AUD CAD DKK JPY NZD NOK SEK CHF GBP), "
        "1972-01-03 .. 2017-12-01 (after the 1971 closures); one source and calendar (New York "
        "noon rates): dates without every quote dropped",
        (_csv("fed_h10_fx/daily.csv", columns={c: H10_PAIRS[c] for c in _H10_G10}),),
        {H10_PAIRS[c]: h10_specs[H10_PAIRS[c]] for c in _H10_G10},
        options={"start": "1972-01-03", "gap_policy": "drop"},
        invert=H10_INVERTED,
    ))
    add(Dataset(
        "fx_h10_broad",
        "Fed H.10 FX, the 22 currencies with quotes (EUR, BRL, MXN, Asian...), 1999-01-04 .. "
        "2017-12-01 (trimmed to the euro); dates without every quote dropped (on US holidays "
        "the file has a ZAR quote only)",
        (_csv("fed_h10_fx/daily.csv", columns={c: H10_PAIRS[c] for c in _H10_BROAD}),),
        {H10_PAIRS[c]: h10_specs[H10_PAIRS[c]] for c in _H10_BROAD},
        options={"trim": True, "gap_policy": "drop"},
        invert=H10_INVERTED,
    ))

    add(Dataset(
        "nikkei225",
        "Nikkei 225 close, 1965-01-05 .. 2019-06-10 (Yahoo); the 629 all-null holiday rows "
        "dropped",
        (_csv("nikkei225/N225.csv", "N225", format="yahoo", field="Close"),),
        {"N225": _equity("JPY", "Nikkei 225 index")},
    ))

    eur = {f"EUR_{t}": f"EUR_ZERO_{t}" for t in _EUR_TERMS}
    add(Dataset(
        "ecb_curves",
        "ECB euro-area zero curve 3M..30Y (continuous, Act/365, decimals), 2004-09-06 .. "
        "2024-05-09, from the long ECB/BoE/UST file",
        (_csv(_ECB_FILE, **_ECB_READ, columns=eur),),
        {n: _rate("EUR", k[4:], "ECB euro-area zero rate, continuous comp., decimal", "decimal")
         for k, n in eur.items()},
        options={"gap_policy": "drop"},
    ))
    add(Dataset(
        "ecb_fx",
        "ECB euro reference rates (CHF, CNY, GBP, JPY, USD per EUR), 2000-01-13 .. 2024-05-10 "
        "(trimmed to the CNY start)",
        (_csv(_ECB_FILE, **_ECB_READ, columns=_ECB_FX),),
        {n: _fx(n, f"ECB euro reference rate, {k[:3]} per EUR") for k, n in _ECB_FX.items()},
        options={"trim": True, "gap_policy": "drop"},
    ))
    gbp = {f"GBP_{t}": f"GBP_ZERO_{t}" for t in _GBP_TERMS}
    add(Dataset(
        "boe_curve",
        "Bank of England GBP nominal spot curve 1Y..25Y (continuous, decimals), 2000-01-04 .. "
        "2024-04-30 (3M/6M/9M and 30Y left out: long gaps, 30Y from 2016)",
        (_csv(_ECB_FILE, **_ECB_READ, columns=gbp),),
        {n: _rate("GBP", k[4:], "BoE nominal spot rate, continuous comp., decimal", "decimal")
         for k, n in gbp.items()},
        options={"trim": True, "gap_policy": "drop"},
    ))
    usd = {f"USD_{t}": f"USD_PARCC_{t}" for t in _USD_TERMS}
    add(Dataset(
        "usd_par_cc",
        "US Treasury par yields 3M..10Y converted to continuous compounding (decimals) by the "
        "source repo, 1990-01-02 .. 2024-05-13; dates with any tenor missing dropped",
        (_csv(_ECB_FILE, **_ECB_READ, columns=usd),),
        {n: _rate("USD", k[4:], "UST par yield, continuous comp., decimal", "decimal")
         for k, n in usd.items()},
        options={"trim": True, "gap_policy": "drop"},
    ))

    gi = {col: f for col, (f, _, _) in _GLOBAL_INDICES.items()}
    add(Dataset(
        "global_indices",
        "20 world equity index closes (Yahoo panel), 2008-01-04 .. 2026-03-27; dates on which "
        "fewer than 10 of the 20 markets trade dropped (Christmas, Easter...), a closed market "
        "carried forward for at most 8 days (longest regular closure: Taiwan's Lunar New Year); "
        "short or empty columns left out",
        (DatasetPart("global_indices_hy_oas_move/global_indices_master.parquet",
                     {"columns": gi}),),
        {f: _equity(ccy, desc) for f, ccy, desc in _GLOBAL_INDICES.values()},
        options={"min_values": 10, "trim": True, "gap_policy": "ffill", "max_ffill": 8},
    ))

    for stem, (factor, spec) in _YAHOO.items():
        start, hole = _HOLES.get(stem, (None, ""))
        add(Dataset(
            f"yahoo_{stem.lower()}",
            f"{spec.description} (yahoo_multi_asset/{stem}.csv, Close)"
            + (f"; from {start}: {hole}" if start else ""),
            (_csv(f"yahoo_multi_asset/{stem}.csv", factor, format="yahoo", field="Close"),),
            {factor: spec},
            options={"start": start} if start else {},
        ))
    for stem, (name, factor, spec) in _INVESTING.items():
        start, hole = _HOLES.get(stem, (None, ""))
        part = _csv(f"yahoo_multi_asset/{stem}.csv", factor, format="investing", field="Close")
        add(Dataset(
            name,
            f"{spec.description} (investing.com decimal-comma export, newest first)"
            + (f"; from {start}: {hole} (see {name}_1987)" if start else ""),
            (part,), {factor: spec},
            options={"start": start} if start else {},
        ))
        if stem in _BEFORE_HOLE:
            add(Dataset(
                f"{name}_1987",
                f"{spec.description} (investing.com), first day .. {_BEFORE_HOLE[stem]}, the part "
                f"before the hole ({hole}): covers October 1987",
                (part,), {factor: spec},
                options={"end": _BEFORE_HOLE[stem]},
            ))

    archegos_specs: dict[str, FactorSpec] = {}
    for ticker, (files, desc) in _ARCHEGOS.items():
        spec = _equity("USD", desc, "USD")
        archegos_specs[ticker] = spec
        parts = tuple(
            _csv(f"archegos_equities/{f}", ticker, format="yahoo", field="Close") for f in files
        )
        add(Dataset(
            f"archegos_{ticker.lower()}", f"{desc}; close", parts, {ticker: spec},
            combine="splice" if len(parts) > 1 else "single",
        ))
    add(Dataset(
        "archegos",
        "The 8 Archegos names (VIAC DISCA BIDU TME VIPS GOTU IQ FTCH) on their common span, "
        "2019-06-06 .. 2021-04-13; closes",
        tuple(DatasetPart(dataset=f"archegos_{t.lower()}") for t in _ARCHEGOS),
        archegos_specs, combine="join", options={"trim": True},
    ))
    return out


#: The catalogue: name -> :class:`Dataset`.
DATASETS: dict[str, Dataset] = {d.name: d for d in _entries()}

