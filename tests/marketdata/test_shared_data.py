"""Done-when check: every file of ../shared/market_data loads into a valid history.

Every CSV (and the .csv.xz and the Parquet file) of the shared data folder loads through the
catalogue, or through the documented reader option in ``READER_OPTIONS`` (duplicates of
catalogue data, see market_data/README.md). Skipped with a reason when the folder is absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import RiskFactorHistory
from imresearch.marketdata.catalogue import DATASETS, load_dataset
from imresearch.marketdata.readers import load_csv

pytestmark = pytest.mark.shared_data

#: Files read with a reader option rather than a catalogue name (see market_data/README.md).
READER_OPTIONS: dict[str, dict] = {
    "archegos_equities/bluefin_VIAC.csv": {"format": "yahoo"},
    "archegos_equities/bluefin_DISCA.csv": {"format": "yahoo"},
    "archegos_equities/bluefin_GSX.csv": {"format": "yahoo"},
}
#: Longest calendar gap (business days) allowed inside a catalogue history: market closures
#: such as March 1933 (8 days) and Golden Week 2019 pass, holes in a file do not.
MAX_GAP_BUSINESS_DAYS = 10


def data_files(root: Path) -> set[str]:
    patterns = ("*.csv", "*.csv.xz", "*.csv.gz", "*.parquet")
    return {p.relative_to(root).as_posix() for pat in patterns for p in root.rglob(pat)}


@pytest.fixture(scope="module")
def loaded(shared_market_data: Path) -> Callable[[str], RiskFactorHistory]:
    """Catalogue loader with a per-module cache (each data set is read once)."""
    return cache(lambda name: load_dataset(name, data_dir=shared_market_data))


def check_valid(h: RiskFactorHistory) -> None:
    assert isinstance(h, RiskFactorHistory)
    assert h.n_dates >= 80 and h.n_factors >= 1
    assert h.dates.is_monotonic_increasing and h.dates.is_unique
    assert np.isfinite(h.values).all()
    for name, spec in h.factors.items():
        if spec.requires_positive:
            assert (h.levels[name] > 0).all(), name


def test_every_file_is_covered(shared_market_data: Path) -> None:
    files = data_files(shared_market_data)
    catalogue = {f for ds in DATASETS.values() for f in ds.files}
    assert catalogue <= files, sorted(catalogue - files)
    assert not (files - catalogue - set(READER_OPTIONS)), sorted(
        files - catalogue - set(READER_OPTIONS)
    )
    assert any(f.endswith(".csv.xz") for f in catalogue)
    assert any(f.endswith(".parquet") for f in catalogue)


@pytest.mark.parametrize("name", list(DATASETS))
def test_catalogue_data_set_loads(name: str, loaded: Callable[[str], RiskFactorHistory]) -> None:
    h = loaded(name)
    check_valid(h)
    ds = DATASETS[name]
    assert h.name == name
    assert h.factor_names == list(ds.factors)
    assert h.factors == dict(ds.factors)
    gaps = h.calendar_gaps(MAX_GAP_BUSINESS_DAYS)
    assert gaps.empty, gaps.head()


@pytest.mark.parametrize("file", list(READER_OPTIONS))
def test_reader_option_files_load(file: str, shared_market_data: Path) -> None:
    h = load_csv(shared_market_data / file, **READER_OPTIONS[file])
    check_valid(h)
    assert h.factor_names == [Path(file).stem]


def test_known_values(loaded: Callable[[str], RiskFactorHistory]) -> None:
    spx = loaded("sp500").levels["SPX"]
    assert spx["1987-10-19"] / spx["1987-10-16"] - 1 == pytest.approx(-0.2047, abs=5e-4)
    assert spx.index[0] == pd.Timestamp("1927-12-30")
    cmt = loaded("ust_cmt_long").levels
    assert cmt.loc["1987-10-16", "UST_CMT_10Y"] == 10.23
    assert cmt.loc["1987-10-20", "UST_CMT_10Y"] == 9.40
    oas = loaded("hy_oas").levels["US_HY_OAS"]
    assert oas.max() == 21.82 and oas.idxmax() == pd.Timestamp("2008-12-15")
    assert oas["2020-03-23"] == 10.87
    assert loaded("wti").levels["WTI"].min() == -36.98
    par = loaded("ust_par").levels
    assert par.loc["2024-12-31", "UST_PAR_10Y"] == 4.58  # first data line of a newest-first file
    assert loaded("ust_par_long").levels.loc["1990-01-02", "UST_PAR_3M"] == 7.83
    de = loaded("de_10y").levels["DE_10Y"]
    assert de.index[-1] == pd.Timestamp("2025-09-01") and de.iloc[-1] == 2.7464
    assert loaded("de_10y_1987").levels["DE_10Y"].iloc[0] == 6.287
    archegos = loaded("archegos").levels
    for ticker, before, after in [("VIAC", 100.34, 45.01), ("DISCA", 74.65, 41.23),
                                  ("TME", 30.87, 20.34), ("VIPS", 45.25, 28.47),
                                  ("GOTU", 83.79, 31.78), ("IQ", 28.04, 16.55),
                                  ("BIDU", 266.13, 204.70), ("FTCH", 62.00, 47.72)]:
        assert archegos.loc["2021-03-22", ticker] == pytest.approx(before, abs=0.006), ticker
        assert archegos.loc["2021-03-29", ticker] == pytest.approx(after, abs=0.006), ticker
    fx = loaded("fx_h10").levels
    assert fx.loc["1987-10-19", "USDJPY"] > 100 and "GBPUSD" in fx
    ecb = loaded("ecb_curves").levels
    assert ecb["EUR_ZERO_10Y"].abs().max() < 0.06  # decimals, not percent
    assert loaded("global_indices").levels["N225"].index[0] == pd.Timestamp("2008-01-04")


def test_errors_on_real_files_name_the_physical_line(shared_market_data: Path) -> None:
    # the par-yield file is newest first: its earliest row (1990-01-02, no 1M quote) is the
    # last physical line, 8757
    folder = shared_market_data.resolve()
    path = folder / "us_treasury_par_yields" / "yield-curve-rates-1990-2024.csv"
    n_lines = len(path.read_text().splitlines())
    with pytest.raises(InputError, match=re.escape(
        f"{path}, line {n_lines}, date 1990-01-02, column 'UST_PAR_1M': missing value"
    )):
        load_dataset("ust_par", data_dir=shared_market_data, start=None, gap_policy="error")
    wti = folder / "eia_oil_spot" / "wti-daily.csv"
    line = 1 + next(i for i, row in enumerate(wti.read_text().splitlines()) if "-36.98" in row)
    with pytest.raises(InputError, match=re.escape(
        f"{wti}, line {line}, date 2020-04-20, column 'WTI': level -36.98"
    )):
        load_dataset("wti", data_dir=shared_market_data,
                     factors={"WTI": DATASETS["brent"].factors["BRENT"]})
