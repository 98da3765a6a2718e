"""CRIF reading, validation and netting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import CRIF_COLUMNS, net_crif, read_crif


def _row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "TradeID": "T1", "PortfolioID": "P1", "ProductClass": "RatesFX",
        "RiskType": "Risk_IRCurve", "Qualifier": "USD", "Bucket": "1", "Label1": "2y",
        "Label2": "OIS", "Amount": 1000.0, "AmountCurrency": "USD", "AmountUSD": 1000.0,
    }
    base.update(kw)
    return base


def _write(tmp_path: Path, rows: list[dict[str, object]]) -> Path:
    path = tmp_path / "crif.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_reads_dataframe_and_normalises() -> None:
    df = pd.DataFrame([
        _row(),
        _row(RiskType="risk_equity", ProductClass="equity", Qualifier="ISIN:X", Bucket=3.0,
             Label1="", Label2=""),
        _row(RiskType="Risk_CreditQ", ProductClass="Credit", Qualifier="ISIN:Y",
             Bucket="residual", Label1="5Y", Label2=""),
    ])
    out = read_crif(df)
    assert list(out.columns) == list(CRIF_COLUMNS)
    assert out["RiskType"].tolist() == ["Risk_IRCurve", "Risk_Equity", "Risk_CreditQ"]
    assert out["ProductClass"].tolist() == ["RatesFX", "Equity", "Credit"]
    assert out["Bucket"].tolist() == ["1", "3", "Residual"]
    assert out["Label1"].tolist() == ["2y", "", "5y"]
    assert out["IMModel"].tolist() == ["SIMM"] * 3
    assert out["AmountUSD"].dtype == np.float64


def test_aliases_accepted(tmp_path: Path) -> None:
    df = pd.DataFrame([_row()]).rename(columns={
        "TradeID": "trade_id", "RiskType": "risk_type", "AmountUSD": "amount_usd",
        "AmountCurrency": "currency", "ProductClass": "product_class",
    })
    df["collect_regulations"] = "ESA,USPR"
    out = read_crif(_write(tmp_path, df.to_dict("records")))
    assert out.loc[0, "TradeID"] == "T1"
    assert out.loc[0, "CollectRegulations"] == "ESA,USPR"
    assert out.loc[0, "AmountUSD"] == 1000.0


def test_unknown_risk_type_names_file_line_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, [_row(), _row(RiskType="Risk_Foo")])
    with pytest.raises(InputError, match=r"crif\.csv, line 3, column 'RiskType'.*'Risk_Foo'"):
        read_crif(path)


def test_error_names_dataframe_row_label() -> None:
    df = pd.DataFrame([_row(), _row(Bucket="13", RiskType="Risk_CreditQ", Label1="5y",
                                    ProductClass="Credit")], index=["a", "b"])
    with pytest.raises(InputError, match=r"row 'b', column 'Bucket'.*'13'.*Risk_CreditQ"):
        read_crif(df)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"Label1": "7y"}, r"Label1 '7y' is not valid for Risk_IRCurve"),
        ({"Bucket": "4"}, r"Bucket '4' is not valid for Risk_IRCurve"),
        ({"RiskType": "Risk_CreditQ", "ProductClass": "Credit", "Label1": "30y"},
         r"Label1 '30y' is not valid for Risk_CreditQ"),
        ({"RiskType": "Risk_Commodity", "ProductClass": "Commodity", "Bucket": "Residual"},
         r"Bucket 'Residual' is not valid for Risk_Commodity"),
        ({"RiskType": "Risk_FX", "Qualifier": "EURO", "Bucket": ""},
         r"Qualifier 'EURO' of Risk_FX must be an ISO currency code"),
        ({"RiskType": "Risk_FXVol", "Qualifier": "EUR", "Bucket": ""},
         r"currency pair"),
        ({"Qualifier": ""}, r"Qualifier is blank"),
        ({"ProductClass": "Rates"}, r"ProductClass 'Rates' is not valid"),
        ({"Amount": "12x", "AmountUSD": ""}, r"column 'Amount'.*'12x' is not a number"),
        ({"AmountUSD": "n/a"}, r"column 'AmountUSD'.*'n/a' is not a number"),
        ({"Amount": "", "AmountUSD": ""}, r"both Amount and AmountUSD are blank"),
        ({"AmountUSD": "inf"}, r"'inf' is not a number"),
        ({"IMModel": "Grid"}, r"unknown IMModel 'Grid'"),
    ],
)
def test_invalid_rows(tmp_path: Path, change: dict[str, object], pattern: str) -> None:
    path = _write(tmp_path, [_row(), _row(**change)])
    with pytest.raises(InputError, match=r"line 3.*" + pattern):
        read_crif(path)


def test_missing_amount_usd_needs_fx_rate() -> None:
    df = pd.DataFrame([_row(Amount=100.0, AmountCurrency="EUR", AmountUSD=np.nan)])
    with pytest.raises(InputError, match=r"AmountUSD is blank and there is no FX rate for 'EUR'"):
        read_crif(df)
    out = read_crif(df, fx_rates={"EUR": 1.25})
    assert out.loc[0, "AmountUSD"] == pytest.approx(125.0)
    no_col = df.drop(columns="AmountUSD")
    assert read_crif(no_col, fx_rates={"eur": 1.25}).loc[0, "AmountUSD"] == pytest.approx(125.0)


def test_amount_usd_filled_from_usd_amount() -> None:
    df = pd.DataFrame([_row(Amount=7.0, AmountUSD="")])
    assert read_crif(df).loc[0, "AmountUSD"] == 7.0


def test_missing_required_columns() -> None:
    with pytest.raises(InputError, match="no RiskType column"):
        read_crif(pd.DataFrame({"Qualifier": ["USD"], "Amount": [1.0]}))
    with pytest.raises(InputError, match="Amount or AmountUSD"):
        read_crif(pd.DataFrame({"RiskType": ["Risk_FX"], "Qualifier": ["EUR"]}))
    with pytest.raises(InputError, match="does not exist"):
        read_crif("/nonexistent/crif.csv")


def test_addon_rows_validated() -> None:
    df = pd.DataFrame([
        {"RiskType": "Param_ProductClassMultiplier", "Qualifier": "Rates", "Amount": 1.5},
    ])
    with pytest.raises(InputError, match="must be a product class"):
        read_crif(df)
    df = pd.DataFrame([
        {"RiskType": "Param_ProductClassMultiplier", "Qualifier": "ratesfx", "Amount": -1.0},
    ])
    with pytest.raises(InputError, match="must be positive"):
        read_crif(df)


def test_netting_sums_duplicates_and_keeps_largest_parameter() -> None:
    df = pd.DataFrame([
        _row(TradeID="T1", AmountUSD=100.0, Amount=100.0),
        _row(TradeID="T2", AmountUSD=-30.0, Amount=-30.0),
        _row(TradeID="T3", Label1="5y", AmountUSD=5.0, Amount=5.0),
        {"RiskType": "Param_ProductClassMultiplier", "Qualifier": "Credit", "Amount": 1.2},
        {"RiskType": "Param_ProductClassMultiplier", "Qualifier": "Credit", "Amount": 1.5},
        {"RiskType": "Param_AddOnFixedAmount", "Amount": 10.0, "AmountCurrency": "USD"},
        {"RiskType": "Param_AddOnFixedAmount", "Amount": 20.0, "AmountCurrency": "USD"},
    ])
    netted = net_crif(read_crif(df))
    assert len(netted) == 4
    two_y = netted[netted["Label1"] == "2y"].iloc[0]
    assert two_y["AmountUSD"] == 70.0 and two_y["TradeID"] == ""
    assert netted[netted["Label1"] == "5y"].iloc[0]["TradeID"] == "T3"
    mult = netted[netted["RiskType"] == "Param_ProductClassMultiplier"]
    assert mult["AmountUSD"].tolist() == [1.5]
    fixed = netted[netted["RiskType"] == "Param_AddOnFixedAmount"]
    assert fixed["AmountUSD"].tolist() == [30.0]
    assert read_crif(df, net=True).equals(netted)


def test_netting_keeps_portfolios_apart() -> None:
    df = pd.DataFrame([_row(PortfolioID="A"), _row(PortfolioID="B")])
    assert len(net_crif(read_crif(df))) == 2


def test_schedule_rows_accepted() -> None:
    df = pd.DataFrame([
        {"RiskType": "Notional", "IMModel": "Schedule", "ProductClass": "Rates",
         "Qualifier": "", "Amount": 1e6, "AmountCurrency": "USD"},
        {"RiskType": "PV", "IMModel": "schedule", "ProductClass": "fx", "Amount": -5.0,
         "AmountCurrency": "USD"},
    ])
    out = read_crif(df)
    assert out["IMModel"].tolist() == ["Schedule", "Schedule"]
    assert out["ProductClass"].tolist() == ["Rates", "FX"]
    with pytest.raises(InputError, match="'PV' is only valid with IMModel 'Schedule'"):
        read_crif(pd.DataFrame([{"RiskType": "PV", "Amount": 1.0, "AmountCurrency": "USD"}]))


@pytest.mark.shared_data
def test_reference_crifs_read(shared_simm: Path) -> None:
    unit = shared_simm / "tests" / "isda_simm_2.5_unit_tests" / "simm_2.5_isda_unit_test_crif.csv"
    out = read_crif(unit)
    assert len(out) == 287
    assert np.isfinite(out["AmountUSD"]).all()
    ore = read_crif(shared_simm / "tests" / "ore_example_initial_margin" / "crif.csv")
    assert len(ore) == 27 and set(ore["CollectRegulations"]) == {"ESA,USPR"}
