"""The data-set catalogue, on a small fake data directory written to tmp_path."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata import FactorSpec, RiskFactorHistory
from imresearch.marketdata.catalogue import (
    DATA_DIR_ENV,
    DATASETS,
    data_dir,
    list_datasets,
    load_dataset,
)

REPO = Path(__file__).resolve().parents[2]
REQUIRED = [
    "sp500", "ust_cmt", "ust_par", "vix", "hy_oas", "move", "wti", "brent", "fx_h10",
    "nikkei225", "ecb_curves", "global_indices", "de_10y", "de_3y", "fr_10y", "fr_3y",
    "archegos_viac", "archegos_disca", "archegos_bidu", "archegos_tme", "archegos_vips",
    "archegos_gotu", "archegos_iq", "archegos_ftch", "archegos",
]
DATES = pd.bdate_range("2021-03-01", periods=12)


def msg(*parts: str) -> str:
    return ".*".join(re.escape(p) for p in parts)


def _yahoo(path: Path, dates: pd.DatetimeIndex, closes: np.ndarray, adj: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = ["Open", "High", "Low", "Close"] + (["Adj Close"] if adj else []) + ["Volume"]
    frame = pd.DataFrame({c: closes for c in cols[:-1]}, index=dates.rename("Date"))
    frame["Volume"] = 100
    frame.to_csv(path, date_format="%Y-%m-%d")


def _fred(path: Path, series: str, dates: pd.DatetimeIndex, values: list[float | None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['"","date","series_id","value","realtime_start","realtime_end"']
    for i, (d, v) in enumerate(zip(dates, values), start=1):
        cell = "NA" if v is None else repr(v)
        lines.append(f'"{i}",{d:%Y-%m-%d},"{series}",{cell},2021-02-24,2021-02-24')
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture()
def fake_dir(tmp_path: Path) -> Path:
    """A data directory with a few files laid out like shared/market_data (synthetic values)."""
    root = tmp_path / "market_data"
    _yahoo(root / "sp500_index" / "GSPC.csv", DATES, np.linspace(3800, 3900, len(DATES)),
           adj=False)
    # GSPC.csv really has Date,Close,Volume only
    gspc = pd.read_csv(root / "sp500_index" / "GSPC.csv")[["Date", "Close", "Volume"]]
    gspc.to_csv(root / "sp500_index" / "GSPC.csv", index=False)
    # FRED CMT: every tenor, the 1M starting later; a holiday (NA everywhere) on day 5
    from imresearch.marketdata.datasets import _CMT_FILES

    for k, (stem, (series, _tenor)) in enumerate(_CMT_FILES.items()):
        values: list[float | None] = [round(0.1 + 0.1 * k + 0.01 * i, 4) for i in range(12)]
        values[5] = None
        dates = DATES
        if stem == "1MONTH":
            dates, values = DATES[2:], values[2:]
        _fred(root / "fred_treasury_cmt" / f"{stem}_DAILY.csv", series, dates, values)
    arch = root / "archegos_equities"
    _yahoo(arch / "bluefin_TME.csv", DATES[:6], np.linspace(30, 31, 6))
    _yahoo(arch / "cjbd_TME_2020-12-14_2021-04-30.csv", DATES[6:], np.linspace(31, 20, 6),
           adj=False)
    return root


# ---------------------------------------------------------------------- data directory
def test_data_dir_from_argument_and_environment(
    fake_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert data_dir(fake_dir) == fake_dir.resolve()
    monkeypatch.setenv(DATA_DIR_ENV, str(fake_dir))
    assert data_dir() == fake_dir.resolve()
    assert load_dataset("sp500").n_dates == len(DATES)


def test_no_data_dir_configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    with pytest.raises(DataNotFoundError, match=msg("no market-data directory", DATA_DIR_ENV)):
        data_dir()
    with pytest.raises(DataNotFoundError, match=DATA_DIR_ENV):
        load_dataset("sp500")
    with pytest.raises(DataNotFoundError, match=msg(str(tmp_path / "absent"), DATA_DIR_ENV)):
        data_dir(tmp_path / "absent")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "absent"))
    with pytest.raises(DataNotFoundError, match=msg("$IMRESEARCH_DATA", "does not exist")):
        data_dir()


def test_absent_file_says_to_set_the_data_dir(fake_dir: Path) -> None:
    with pytest.raises(DataNotFoundError, match=msg("'vix'", "cboe_vix/vix-daily.csv",
                                                    str(fake_dir.resolve()), DATA_DIR_ENV)):
        load_dataset("vix", data_dir=fake_dir)


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(InputError, match=msg("unknown data set 'sp50'", "'sp500'")):
        load_dataset("sp50")
    with pytest.raises(InputError, match=msg("'ust_cm'", "'ust_cmt'")):
        load_dataset("ust_cm")


def test_list_datasets_table(fake_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(DATA_DIR_ENV, raising=False)
    table = list_datasets()
    assert list(table.columns) == [
        "name", "description", "files", "risk_classes", "n_factors", "available",
    ]
    assert set(REQUIRED) <= set(table["name"])
    assert not table["available"].any()
    table = list_datasets(data_dir=fake_dir).set_index("name")
    assert table.loc["sp500", "available"] and table.loc["ust_cmt", "available"]
    assert table.loc["archegos_tme", "available"]
    assert not table.loc["vix", "available"] and not table.loc["archegos", "available"]
    assert table.loc["ust_cmt", "n_factors"] == 11 and table.loc["ust_cmt", "risk_classes"] == "IR"
    assert "fred_treasury_cmt/10YEARS_DAILY.csv" in table.loc["ust_cmt", "files"]


# ---------------------------------------------------------------------- loading
def test_single_file_data_set_with_metadata_and_overrides(fake_dir: Path) -> None:
    h = load_dataset("sp500", data_dir=fake_dir)
    assert isinstance(h, RiskFactorHistory) and h.name == "sp500"
    assert h.factor_names == ["SPX"]
    assert h.factors["SPX"] == FactorSpec(
        "equity", "log", "index points", "USD", description="S&P 500 price index (no dividends)"
    )
    assert h.source == str(fake_dir.resolve() / "sp500_index" / "GSPC.csv")
    assert load_dataset("sp500", data_dir=fake_dir, start=DATES[3]).start == DATES[3]
    with pytest.raises(InputError, match=msg("GSPC.csv", "no column 'Adj Close'")):
        load_dataset("sp500", data_dir=fake_dir, field="Adj Close")
    with pytest.raises(InputError, match=msg("select", "'SPY'", "SPX")):
        load_dataset("sp500", data_dir=fake_dir, select=["SPY"])
    with pytest.raises(InputError, match=msg("unknown reader option", "'colums'")):
        load_dataset("sp500", data_dir=fake_dir, colums=["Close"])


def test_bad_value_in_a_catalogue_file_names_file_and_line(fake_dir: Path) -> None:
    path = fake_dir / "sp500_index" / "GSPC.csv"
    lines = path.read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",n/a?,0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=msg(str(path.resolve()), "line 5", "'Close'", "n/a?")):
        load_dataset("sp500", data_dir=fake_dir)


def test_joined_curve_is_trimmed_and_holidays_dropped(fake_dir: Path) -> None:
    h = load_dataset("ust_cmt", data_dir=fake_dir)
    assert h.n_factors == 11 and h.factor_names[0] == "UST_CMT_1M"
    assert h.start == DATES[2]  # trimmed to the 1M start
    assert DATES[5] not in h.dates and h.gap_report.n_dropped == 1
    spec = h.factors["UST_CMT_10Y"]
    assert (spec.risk_class, spec.convention, spec.units, spec.currency, spec.tenor) == (
        "IR", "absolute_bp", "percent", "USD", "10y",
    )
    part = load_dataset("ust_cmt", data_dir=fake_dir, select=["UST_CMT_2Y", "UST_CMT_10Y"])
    assert part.factor_names == ["UST_CMT_2Y", "UST_CMT_10Y"] and part.start == DATES[0]
    long = load_dataset("ust_cmt_long", data_dir=fake_dir)
    assert "UST_CMT_1M" not in long.factor_names and long.start == DATES[0]
    with pytest.raises(InputError, match=msg("missing value")):
        load_dataset("ust_cmt", data_dir=fake_dir, gap_policy="error")


def test_splice_of_consecutive_files(fake_dir: Path) -> None:
    h = load_dataset("archegos_tme", data_dir=fake_dir)
    assert h.factor_names == ["TME"] and h.dates.equals(pd.DatetimeIndex(DATES, name="date"))
    assert h.levels["TME"].iloc[-1] == pytest.approx(20.0)
    later = fake_dir / "archegos_equities" / "cjbd_TME_2020-12-14_2021-04-30.csv"
    _yahoo(later, DATES[4:], np.linspace(31, 20, 8), adj=False)
    with pytest.raises(InputError, match=msg("cjbd_TME", DATES[4].strftime("%Y-%m-%d"),
                                             "bluefin_TME", "overlap")):
        load_dataset("archegos_tme", data_dir=fake_dir)


def test_factor_metadata_override(fake_dir: Path) -> None:
    spec = FactorSpec("equity", "relative", "USD", "USD")
    assert load_dataset("sp500", data_dir=fake_dir, factors={"SPX": spec}).factors["SPX"] == spec
    with pytest.raises(InputError, match=msg("factors=", "'XYZ'")):
        load_dataset("sp500", data_dir=fake_dir, factors={"XYZ": spec})


# ---------------------------------------------------------------------- catalogue content
def test_every_data_set_has_full_metadata() -> None:
    for ds in DATASETS.values():
        assert ds.description and ds.files, ds.name
        for name, spec in ds.factors.items():
            assert isinstance(spec, FactorSpec), (ds.name, name)
            assert spec.risk_class != "other" and spec.units and spec.currency, (ds.name, name)
            if spec.convention == "absolute_bp":
                assert spec.units in ("percent", "decimal"), (ds.name, name)
            if spec.risk_class in ("IR", "credit") and spec.convention == "absolute_bp":
                assert ds.name == "hy_oas" or spec.tenor is not None, (ds.name, name)


def test_conventions_of_known_factors() -> None:
    assert DATASETS["vix"].factors["VIX"].risk_class == "volatility"
    assert DATASETS["hy_oas"].factors["US_HY_OAS"].convention == "absolute_bp"
    assert DATASETS["ecb_curves"].factors["EUR_ZERO_10Y"].units == "decimal"
    assert DATASETS["ust_par"].factors["UST_PAR_30Y"].tenor == "30y"
    assert DATASETS["wti"].factors["WTI"].convention == "absolute"  # -36.98 on 2020-04-20
    assert DATASETS["de_10y"].factors["DE_10Y"].convention == "absolute_bp"
    assert DATASETS["fx_h10"].factors["USDJPY"].currency == "JPY"
    assert DATASETS["fx_h10"].factors["GBPUSD"].currency == "USD"
    for name, ds in DATASETS.items():
        if name.startswith(("sp500", "nikkei", "global", "archegos")):
            assert set(ds.risk_classes) == {"equity"}, name


def test_every_yahoo_multi_asset_file_has_a_name() -> None:
    files = {f for ds in DATASETS.values() for f in ds.files}
    stems = [Path(f).stem for f in files if f.startswith("yahoo_multi_asset/")]
    assert len(stems) == 39
    for stem in stems:
        name = stem.lower() if stem.startswith(("DE_", "FR_")) else f"yahoo_{stem.lower()}"
        assert name in DATASETS, stem


def test_readme_documents_every_name_and_the_setting() -> None:
    readme = (REPO / "market_data" / "README.md").read_text(encoding="utf-8")
    assert DATA_DIR_ENV in readme
    for name in DATASETS:
        assert f"`{name}`" in readme, name
    for option in ("layout", "date_column", "date_order", "na_values", "decimal", "format",
                   "gap_policy", "trim", "min_values", "drop_empty_rows"):
        assert f"`{option}" in readme, option
