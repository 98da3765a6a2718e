"""SIMM against historical simulation by risk class: every column recomputed another way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.engines import historical_im
from imresearch.marketdata import RiskFactorHistory, load_builtin
from imresearch.models import HSModel
from imresearch.portfolio import (
    CommodityForward,
    CreditDefaultSwap,
    EquityPosition,
    Portfolio,
)
from imresearch.portfolio.binding import bind
from imresearch.portfolio.sensitivities import to_crif
from imresearch.simm import load_parameters, simm
from imresearch.simm_vs_hs import simm_vs_hs

HS = HSModel(lookback_days=750)


@pytest.fixture(scope="module")
def case():  # type: ignore[no-untyped-def]
    market = load_builtin("synthetic")
    date = pd.Timestamp("2021-06-30")
    book = Portfolio([
        EquityPosition(trade_id="EQ", underlying="SPX", bucket="11", quantity=2.0e4),
        CreditDefaultSwap(trade_id="IDX", reference="CDX_IG", notional=5.0e7, coupon_bp=100.0,
                          maturity=pd.Timestamp("2026-06-20"), bucket="Residual", index=True,
                          spread_factor="CR_CDX_IG"),
        CommodityForward(trade_id="OIL", underlying="WTI", bucket="2", quantity=2.0e5,
                         strike=60.0, maturity=pd.Timestamp("2022-06-30")),
    ], name="mixed")
    return market, date, book, simm_vs_hs(book, market, date, hs=HS)


def test_simm_columns(case) -> None:  # type: ignore[no-untyped-def]
    market, date, book, result = case
    out = result.by_risk_class
    crif = to_crif(bind(book, market, date))
    res = simm(crif, version="2.3")  # in force on 2021-06-30
    assert result.version == "2.3"
    assert out.loc["Total", "simm"] == pytest.approx(res.total, rel=1e-12)
    by_rc = res.by_risk_class()
    for rc in ("Equity", "CreditQualifying", "Commodity"):
        assert out.loc[rc, "simm"] == pytest.approx(by_rc[rc], rel=1e-12)
        parts = out.loc[rc, ["simm_delta", "simm_vega", "simm_curvature", "simm_basecorr"]]
        assert parts.sum() == pytest.approx(out.loc[rc, "simm"], rel=1e-12)
    one = simm(crif.assign(ProductClass=np.where(crif["ProductClass"] != "", "RatesFX", "")),
               version="2.3").total
    assert result.product_class_sum == pytest.approx(res.total - one, rel=1e-12)
    assert result.product_class_sum > 0  # the classes' margins are added, not combined


def test_hs_columns(case) -> None:  # type: ignore[no-untyped-def]
    market, date, book, result = case
    out = result.by_risk_class
    bp = bind(book, market, date)
    hist = market.select(bp.factor_names)
    assert out.loc["Total", "hs_im"] == pytest.approx(historical_im(bp, hist, date, HS).im,
                                                      rel=1e-12)
    # the oil forward alone moves with WTI: the class's IM is WTI's IM, with nothing to diversify
    levels = hist.levels.copy()
    for col in levels.columns:
        if col != "CMD_WTI":
            levels[col] = levels.loc[date, col]
    only_oil = RiskFactorHistory(levels, hist.factors, name="oil only")
    assert out.loc["Commodity", "hs_im"] == pytest.approx(
        historical_im(bp, only_oil, date, HS).im, rel=1e-12)
    assert out.loc["Commodity", "hs_diversification"] == pytest.approx(1.0)
    assert out.loc["Commodity", "simm_over_hs"] == pytest.approx(
        out.loc["Commodity", "simm"] / out.loc["Commodity", "hs_im"])


def test_risk_weight_against_the_data(case) -> None:  # type: ignore[no-untyped-def]
    market, date, _, result = case
    out = result.by_risk_class
    # the WTI weight of SIMM 2.3 (bucket 2) over WTI's 99% absolute 10-day move (percent) over
    # the three years to the date and the 2008-09 stress year, computed here from the levels
    w = market.levels["CMD_WTI"]
    rel = (w / w.shift(10) - 1.0).dropna() * 100.0
    ends = rel.index
    keep = ((ends > date - pd.DateOffset(years=3)) & (ends <= date)) | (
        (ends >= "2008-09-13") & (ends <= "2009-06-12"))
    q = np.quantile(np.abs(rel[keep]), 0.99)
    published = load_parameters("2.3").commodity.delta_weight["2"]
    assert out.loc["Commodity", "rw_over_data"] == pytest.approx(published / q, rel=1e-10)
