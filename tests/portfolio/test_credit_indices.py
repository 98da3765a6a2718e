"""Credit index CDS looked through to their constituents in the CRIF, checked in closed form."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import load_builtin
from imresearch.portfolio import CreditDefaultSwap, Portfolio
from imresearch.portfolio.credit_indices import credit_index, credit_indices, look_through
from imresearch.portfolio.sensitivities import to_crif
from imresearch.simm import load_parameters, simm


def test_decompositions_add_up() -> None:
    for name, idx in credit_indices().items():
        assert idx.constituents == sum(idx.buckets.values()) > 0
        names = idx.names()
        assert len(names) == len(set(q for q, _ in names)) == idx.constituents
        assert credit_index(name.lower()) is idx
        for alias in idx.aliases:
            assert credit_index(alias) is idx
        # investment-grade indices sit in buckets 1-6, high yield in 7-12
        ig = name in ("CDX_IG", "ITRAXX_MAIN")
        assert all((int(b) <= 6) is ig for b in idx.buckets)
    assert credit_index("CDX.NA.IG").name == "CDX_IG" and credit_index("nope") is None


def test_look_through_keeps_the_sensitivity() -> None:
    rows = pd.DataFrame({"TradeID": ["T1", "T1", "T2"], "ProductClass": "Credit",
                         "RiskType": ["Risk_CreditQ", "Risk_CreditQ", "Risk_CreditQ"],
                         "Qualifier": ["CDX_IG", "CDX_IG", "ACME"],
                         "Bucket": ["Residual", "Residual", "3"], "Label1": ["3y", "5y", "5y"],
                         "Label2": "", "Amount": [-1000.0, -3000.0, 50.0],
                         "AmountCurrency": "USD"})
    out = look_through(rows, {"T1": "CDX_IG"})
    assert len(out) == 1 + 2 * 125
    t1 = out[out["TradeID"] == "T1"]
    assert t1.groupby("Label1")["Amount"].sum().to_dict() == pytest.approx(
        {"3y": -1000.0, "5y": -3000.0})
    assert t1.groupby("Bucket")["Qualifier"].nunique().to_dict() == {
        "2": 18, "3": 40, "4": 32, "5": 22, "6": 13}
    assert (t1["Qualifier"].str.startswith("CDX_IG#")).all()
    assert out[out["TradeID"] == "T2"].iloc[0]["Qualifier"] == "ACME"  # single name untouched
    with pytest.raises(InputError, match=r"trade 'T1': credit index 'XYZ' has no constituent"):
        look_through(rows, {"T1": "XYZ"})


def _closed_form(index: str, delta: float, version: str) -> float:
    """Credit delta margin of a looked-through index delta ``delta`` at one tenor."""
    c = load_parameters(version).credit_qualifying
    idx = credit_index(index)
    n = idx.constituents
    k = {}
    for b, m in idx.buckets.items():
        ws = c.delta_weight[b] * abs(delta) / n
        k[b] = ws * math.sqrt(m + c.different_issuer_correlation * m * (m - 1))
    total = sum(v * v for v in k.values())
    order = list(c.bucket_order)
    for b1 in k:
        for b2 in k:
            if b1 != b2:
                total += c.bucket_correlation[order.index(b1), order.index(b2)] * k[b1] * k[b2]
    return math.sqrt(total)


@pytest.mark.parametrize("version", ["1.0", "2.2", "2.8+2512"])
@pytest.mark.parametrize("index", ["CDX_IG", "CDX_HY", "ITRAXX_MAIN"])
def test_simm_of_a_looked_through_index_in_closed_form(index: str, version: str) -> None:
    rows = pd.DataFrame({"TradeID": ["T"], "ProductClass": ["Credit"],
                         "RiskType": ["Risk_CreditQ"], "Qualifier": [index],
                         "Bucket": ["Residual"], "Label1": ["5y"], "Label2": [""],
                         "Amount": [-2.0e4], "AmountCurrency": ["USD"], "AmountUSD": [-2.0e4]})
    looked = look_through(rows, {"T": index}).assign(AmountUSD=lambda f: f["Amount"])
    got = simm(looked, version=version).total
    assert got == pytest.approx(_closed_form(index, -2.0e4, version), rel=1e-12)
    residual = simm(rows, version=version).total  # the index-level alternative
    assert residual == pytest.approx(
        load_parameters(version).credit_qualifying.delta_weight["Residual"] * 2.0e4, rel=1e-12)
    assert got < residual


def test_to_crif_looks_through_index_trades_only() -> None:
    market = load_builtin("synthetic")
    book = Portfolio([
        CreditDefaultSwap(trade_id="IDX", reference="CDX_IG", notional=5.0e7, coupon_bp=100.0,
                          maturity=pd.Timestamp("2030-12-20"), bucket="Residual", index=True,
                          spread_factor="CR_CDX_IG"),
        CreditDefaultSwap(trade_id="SN", reference="ACME", notional=1.0e7, coupon_bp=100.0,
                          maturity=pd.Timestamp("2029-12-20"), bucket="3",
                          spread_factor="CR_CDX_IG", spread_scale=1.3),
    ], name="credit")
    looked = to_crif(book, market)
    index_level = to_crif(book, market, credit_indices="index")
    credit = looked["RiskType"] == "Risk_CreditQ"
    idx = looked[credit & (looked["TradeID"] == "IDX")]
    assert idx["Qualifier"].nunique() == 125 and set(idx["Bucket"]) == {"2", "3", "4", "5", "6"}
    flat = index_level[(index_level["RiskType"] == "Risk_CreditQ")
                       & (index_level["TradeID"] == "IDX")]
    assert idx["Amount"].sum() == pytest.approx(flat["Amount"].sum(), rel=1e-12)
    # the other rows of the index trade (interest rates) are as they were
    pd.testing.assert_frame_equal(
        looked[~credit & (looked["TradeID"] == "IDX")].reset_index(drop=True),
        index_level[(index_level["RiskType"] != "Risk_CreditQ")
                    & (index_level["TradeID"] == "IDX")].reset_index(drop=True))
    pd.testing.assert_frame_equal(looked[looked["TradeID"] == "SN"].reset_index(drop=True),
                                  index_level[index_level["TradeID"] == "SN"].reset_index(
                                      drop=True))
    assert set(flat["Bucket"]) == {"Residual"}
    assert simm(looked).total < simm(index_level).total
    with pytest.raises(InputError, match="credit_indices"):
        to_crif(book, market, credit_indices="basket")
    assert np.isfinite(simm(looked, version="1.0").total)
