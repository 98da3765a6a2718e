"""Rebuild the built-in public market data shipped in ``imresearch/marketdata/data/``.

Reads the public-domain and attribution-only sources of a data directory laid out like
``shared/market_data`` and writes one compact Parquet file per source (dates and values exactly
as published, no transformation but a column selection and, for the H.10 file, the unit label):

=========================  ===================================================================
file                       content (source folder)
=========================  ===================================================================
ust_par_yields.parquet     U.S. Treasury daily par yield curve 1M..30Y, percent
                           (``us_treasury_par_yields/``)
ecb_eur_zero.parquet       ECB euro-area yield curve, spot rates, continuous compounding,
                           decimals (``eur_gbp_usd_curves_ecb_fx/``)
boe_gbp_zero.parquet       Bank of England nominal spot curve, continuous compounding, decimals
                           (``eur_gbp_usd_curves_ecb_fx/``)
ecb_fx.parquet             ECB euro foreign exchange reference rates, currency per EUR
                           (``eur_gbp_usd_curves_ecb_fx/``)
fed_h10_fx.parquet         Federal Reserve H.10 noon buying rates, currency per USD as in the
                           stored file (``fed_h10_fx/``)
eia_oil_spot.parquet       EIA WTI Cushing and Brent spot prices, USD per barrel
                           (``eia_oil_spot/``)
=========================  ===================================================================

Vendor data (Yahoo Finance, investing.com, ICE, CBOE) is never read. Source, terms and
attribution of every file: ``market_data/README.md`` and
``imresearch/marketdata/data/sources.toml``.

Usage (from the repository root)::

    python market_data/build_public_markets.py [DATA_DIR]

``DATA_DIR`` defaults to ``$IMRESEARCH_DATA``, else ``shared/market_data`` beside the
repository (or one level up, as for a git worktree).

The output is deterministic: the same input files give byte-identical Parquet files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "imresearch" / "marketdata" / "data"

PAR_COLUMNS = {"1 Mo": "1m", "3 Mo": "3m", "6 Mo": "6m", "1 Yr": "1y", "2 Yr": "2y",
               "3 Yr": "3y", "5 Yr": "5y", "7 Yr": "7y", "10 Yr": "10y", "20 Yr": "20y",
               "30 Yr": "30y"}
EUR_TERMS = ("3M", "6M", "1Y", "2Y", "3Y", "5Y", "7Y", "10Y", "15Y", "20Y", "30Y")
GBP_TERMS = ("1Y", "2Y", "3Y", "5Y", "7Y", "10Y", "15Y", "20Y", "25Y")
ECB_FX = ("USD", "GBP", "JPY", "CHF")
H10_COLUMNS = {"Euro": "EUR", "United Kingdom": "GBP", "Japan": "JPY", "Switzerland": "CHF",
               "Australia": "AUD", "Canada": "CAD"}


def _check(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.sort_index()
    if frame.index.has_duplicates:
        raise SystemExit(f"{name}: duplicate dates {frame.index[frame.index.duplicated()][:3]}")
    frame = frame.dropna(how="all")
    if not np.isfinite(frame.to_numpy(dtype=float)[~frame.isna().to_numpy()]).all():
        raise SystemExit(f"{name}: non-finite values")
    frame.index = pd.DatetimeIndex(frame.index, name="date").as_unit("s")
    return frame.astype("float64")


def _write(frame: pd.DataFrame, name: str) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=True)
    table = table.replace_schema_metadata(None)  # no pandas metadata: smaller, stable bytes
    path = OUT / name
    pq.write_table(table, path, compression="zstd", compression_level=19,
                   use_dictionary=False, write_statistics=False)
    print(f"{path.relative_to(REPO)}: {frame.shape[0]} dates x {frame.shape[1]} series, "
          f"{frame.index[0]:%Y-%m-%d} .. {frame.index[-1]:%Y-%m-%d}, {path.stat().st_size:,} bytes")


def ust_par(root: Path) -> pd.DataFrame:
    raw = pd.read_csv(root / "us_treasury_par_yields" / "yield-curve-rates-1990-2024.csv")
    dates = pd.to_datetime(raw["Date"], format="%m/%d/%y")
    frame = raw[list(PAR_COLUMNS)].rename(columns=PAR_COLUMNS).set_axis(dates)
    return _check(frame, "ust_par_yields")


def ecb_long(root: Path) -> pd.DataFrame:
    raw = pd.read_csv(root / "eur_gbp_usd_curves_ecb_fx" / "data_set_full.csv.xz",
                      usecols=["DATE", "CURRENCY", "TERM", "VALUE"], keep_default_na=False,
                      dtype={"CURRENCY": str, "TERM": str, "VALUE": str})
    raw["VALUE"] = pd.to_numeric(raw["VALUE"].replace("", np.nan))
    raw["KEY"] = raw["CURRENCY"] + "_" + raw["TERM"]
    raw["DATE"] = pd.to_datetime(raw["DATE"], format="%Y-%m-%d")
    return raw.pivot(index="DATE", columns="KEY", values="VALUE")


def curve(wide: pd.DataFrame, ccy: str, terms: tuple[str, ...], name: str) -> pd.DataFrame:
    frame = wide[[f"{ccy}_{t}" for t in terms]]
    frame.columns = [t.lower() for t in terms]
    return _check(frame, name)


def ecb_fx(wide: pd.DataFrame) -> pd.DataFrame:
    frame = wide[[f"{c}-EUR_" for c in ECB_FX]]
    frame.columns = [f"{c} per EUR" for c in ECB_FX]
    return _check(frame, "ecb_fx")


def h10(root: Path) -> pd.DataFrame:
    raw = pd.read_csv(root / "fed_h10_fx" / "daily.csv")
    frame = raw[list(H10_COLUMNS)].set_axis(pd.to_datetime(raw["Data"], format="%Y-%m-%d"))
    frame.columns = [f"{c} per USD" for c in H10_COLUMNS.values()]
    return _check(frame, "fed_h10_fx")


def eia(root: Path) -> pd.DataFrame:
    parts = {}
    for name, file in (("WTI", "wti-daily.csv"), ("Brent", "brent-daily.csv")):
        raw = pd.read_csv(root / "eia_oil_spot" / file)
        parts[name] = raw.set_index(pd.to_datetime(raw["Date"], format="%Y-%m-%d"))["Price"]
    return _check(pd.DataFrame(parts), "eia_oil_spot")


def main(argv: list[str]) -> None:
    env = os.environ.get("IMRESEARCH_DATA")
    candidates = [Path(argv[0])] if argv else [Path(env)] if env else [
        REPO.parent / "shared" / "market_data", REPO.parent.parent / "shared" / "market_data"]
    root = next((c for c in candidates if c.is_dir()), candidates[0])
    if not root.is_dir():
        raise SystemExit(f"no data directory {root}; pass the folder laid out like "
                         "shared/market_data")
    OUT.mkdir(parents=True, exist_ok=True)
    _write(ust_par(root), "ust_par_yields.parquet")
    wide = ecb_long(root)
    _write(curve(wide, "EUR", EUR_TERMS, "ecb_eur_zero"), "ecb_eur_zero.parquet")
    _write(curve(wide, "GBP", GBP_TERMS, "boe_gbp_zero"), "boe_gbp_zero.parquet")
    _write(ecb_fx(wide), "ecb_fx.parquet")
    _write(h10(root), "fed_h10_fx.parquet")
    _write(eia(root), "eia_oil_spot.parquet")


if __name__ == "__main__":
    main(sys.argv[1:])
