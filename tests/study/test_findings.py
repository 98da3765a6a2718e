"""The summary tables of a study, on inputs whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.simm import load_parameters
from imresearch.study.findings import _crif_weights, _move, apc_choice, risk_weights_vs_data


def _frontier() -> pd.DataFrame:
    return pd.DataFrame({
        "average_im": [10.0, 12.0, 11.0, 9.5, 15.0],
        "peak_to_trough": [4.0, 2.9, 3.0, 3.9, 1.5],
        "cost_vs_none": [1.0, 1.2, 1.1, 0.95, 1.5],
    }, index=["none", "floor", "cap", "speed limit", "stress weight"])


def test_apc_choice_is_the_cheapest_tool_within_the_target() -> None:
    f = _frontier()
    # default target: a quarter off the model's own PTR (3.0): cap (11) beats floor (12)
    assert apc_choice(f)["tool"] == "cap" and apc_choice(f)["ptr_target"] == pytest.approx(3.0)
    assert apc_choice(f, 2.95)["tool"] == "floor"
    assert apc_choice(f, 1.5)["tool"] == "stress weight"
    assert apc_choice(f, 3.95)["tool"] == "speed limit"  # cheaper than none and within
    assert apc_choice(f, 5.0)["tool"] == "speed limit"
    assert apc_choice(f, 1.2) is None  # no tool gets there
    assert apc_choice(pd.DataFrame()) is None


def _market() -> RiskFactorHistory:
    dates = pd.bdate_range("2020-01-01", periods=30)
    levels = pd.DataFrame({"EQ": np.linspace(100, 110, 30), "IR": np.full(30, 2.0),
                           "OIL": np.full(30, 50.0)}, index=dates)
    specs = {"EQ": FactorSpec("equity", "log"),
             "IR": FactorSpec("IR", "absolute_bp", units="percent", currency="USD",
                              tenor="10y"),
             "OIL": FactorSpec("commodity", "absolute", units="USD/bbl")}
    return RiskFactorHistory(levels, specs, name="tiny")


def test_moves_in_simm_units() -> None:
    market = _market()
    tails = pd.DataFrame({"full_down": [-0.1, -30.0, -2.0], "full_up": [0.05, 40.0, 5.0]},
                         index=["EQ", "IR", "OIL"])
    move = _move(tails, market.metadata, market.levels.iloc[-1], "full")
    assert move["EQ"] == pytest.approx(100 * (1 - np.exp(-0.1)))  # relative move, %
    assert move["IR"] == pytest.approx(40.0)                       # bp as they are
    assert move["OIL"] == pytest.approx(100 * 5.0 / 50.0)          # price move over the level


def test_simm_weights_of_the_books_sensitivities() -> None:
    crif = pd.DataFrame({
        "RiskType": ["Risk_IRCurve", "Risk_IRCurve", "Risk_FX", "Risk_Equity",
                     "Risk_Commodity", "Risk_CreditQ", "Risk_EquityVol"],
        "Qualifier": ["USD", "USD", "EUR", "SPX", "WTI", "CDX_IG", "SPX"],
        "Bucket": ["1", "1", "", "11", "2", "Residual", "11"],
        "Label1": ["10y", "2y", "", "", "", "5y", "1y"]})
    p = load_parameters("2.6", 10)
    w = _crif_weights(crif, "2.6")
    ir = p.interest_rate
    assert list(w["cls"]) == ["IR", "IR", "FX", "equity", "commodity", "credit"]  # no vega
    assert w["weight"].tolist() == pytest.approx([
        ir.delta_weight[ir.weight_group("USD")][ir.tenors.index("10y")],
        ir.delta_weight[ir.weight_group("USD")][ir.tenors.index("2y")],
        p.fx.delta_risk_weight("USD", "EUR"), p.equity.delta_weight["11"],
        p.commodity.delta_weight["2"], p.credit_qualifying.delta_weight["Residual"]])
    # against the data: the equity row's ratio is the weight over the factor's move
    market = _market()
    tails = pd.DataFrame({c: [-0.1, -30.0, -2.0] if c.endswith("down") else [0.05, 40.0, 5.0]
                          for c in ("full_down", "full_up", "recent_down", "recent_up",
                                    "stress_down", "stress_up")}, index=["EQ", "IR", "OIL"])
    table = risk_weights_vs_data(crif, "2.6", tails, market)
    assert list(table.index) == ["IR", "equity", "commodity"]  # classes with data and weights
    eq = table.loc["equity"]
    assert eq["unit"] == "%" and eq["simm_weight"] == pytest.approx(p.equity.delta_weight["11"])
    assert eq["weight_over_full"] == pytest.approx(eq["simm_weight"] / (100 * (1 - np.exp(-0.1))))
    assert table.loc["IR", "simm_min"] <= table.loc["IR", "simm_weight"] <= table.loc[
        "IR", "simm_max"] and table.loc["IR", "n_sensitivities"] == 2
