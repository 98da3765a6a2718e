"""SIMM calculator on small hand-checkable CRIFs, and properties on random CRIFs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.simm import load_parameters, simm
from tests.simm._builders import crif, eq, ir

V = "2.8+2512"
P10 = load_parameters(V, 10)
P1 = load_parameters(V, 1)


# --- hand-checkable cases ------------------------------------------------------------------


def test_single_ir_delta_is_risk_weight_times_sensitivity() -> None:
    ir_p = P10.interest_rate
    rw = ir_p.delta_weight[ir_p.weight_group("USD")][ir_p.tenors.index("2y")]
    r = simm(crif(ir("USD", "2y", 1000.0)), version=V)
    assert r.total == pytest.approx(rw * 1000.0, rel=1e-12)
    b = r.breakdown
    row = b[(b.RiskClass == "InterestRate") & (b.MarginType == "Delta") & (b.Bucket == "USD")]
    assert row["InitialMargin"].item() == pytest.approx(rw * 1000.0)


def test_two_tenors_and_sub_curves_aggregate_with_correlations() -> None:
    ir_p = P10.interest_rate
    w = ir_p.delta_weight[ir_p.weight_group("EUR")]
    i, j = ir_p.tenors.index("5y"), ir_p.tenors.index("10y")
    a, b = w[i] * 300.0, w[j] * -200.0
    rho, phi = ir_p.tenor_correlation[i, j], ir_p.sub_curve_correlation
    expected = math.sqrt(a * a + b * b + 2 * rho * phi * a * b)
    r = simm(crif(ir("EUR", "5y", 300.0, "OIS"), ir("EUR", "10y", -200.0, "Libor3m")), version=V)
    assert r.total == pytest.approx(expected, rel=1e-12)


def test_ir_concentration_factor() -> None:
    ir_p = P10.interest_rate
    threshold = ir_p.delta_threshold[ir_p.concentration_group("USD")] * 1e6
    s = 4.0 * threshold
    rw = ir_p.delta_weight[ir_p.weight_group("USD")][ir_p.tenors.index("1y")]
    r10 = simm(crif(ir("USD", "1y", s)), version=V, mpor_days=10)
    assert r10.total == pytest.approx(rw * s * 2.0, rel=1e-12)  # CR = sqrt(4)
    rw1 = P1.interest_rate.delta_weight[ir_p.weight_group("USD")][ir_p.tenors.index("1y")]
    r1 = simm(crif(ir("USD", "1y", s)), version=V, mpor_days=1)  # 1-day: no concentration
    assert r1.total == pytest.approx(rw1 * s, rel=1e-12)


def test_two_currencies_use_gamma() -> None:
    ir_p = P10.interest_rate
    a = ir_p.delta_weight[ir_p.weight_group("USD")][0] * 100.0
    b = ir_p.delta_weight[ir_p.weight_group("JPY")][0] * 100.0
    g = ir_p.currency_correlation
    r = simm(crif(ir("USD", "2w", 100.0), ir("JPY", "2w", 100.0)), version=V)
    assert r.total == pytest.approx(math.sqrt(a * a + b * b + 2 * g * a * b), rel=1e-12)


def test_equity_bucket_and_risk_class_aggregation() -> None:
    e = P10.equity
    w1, w2 = e.delta_weight["1"], e.delta_weight["5"]
    x, y, z = w1 * 100.0, w1 * -50.0, w2 * 80.0
    k1 = math.sqrt(x * x + y * y + 2 * e.intra_correlation["1"] * x * y)
    k5 = abs(z)
    s1 = max(min(x + y, k1), -k1)
    gamma = e.bucket_correlation[e.bucket_order.index("1"), e.bucket_order.index("5")]
    eq_margin = math.sqrt(k1**2 + k5**2 + 2 * gamma * s1 * z)
    rows = [eq("A", "1", 100.0), eq("B", "1", -50.0), eq("C", "5", 80.0)]
    r = simm(crif(*rows), version=V)
    assert r.total == pytest.approx(eq_margin, rel=1e-12)
    # an IR delta in the same product class aggregates with psi
    ir_rw = P10.interest_rate.delta_weight["1"][0] * 10.0
    rows.append({**ir("USD", "2w", 10.0), "ProductClass": "Equity"})
    psi = P10.psi("InterestRate", "Equity")
    expected = math.sqrt(eq_margin**2 + ir_rw**2 + 2 * psi * eq_margin * ir_rw)
    assert simm(crif(*rows), version=V).total == pytest.approx(expected, rel=1e-12)
    # ...and adds up across product classes
    rows[-1] = {**ir("USD", "2w", 10.0), "ProductClass": "RatesFX"}
    assert simm(crif(*rows), version=V).total == pytest.approx(eq_margin + ir_rw, rel=1e-12)


def test_equity_vega_and_curvature_call_and_post() -> None:
    e, m = P10.equity, P10.methodology
    vega = 1000.0
    sigma = e.delta_weight["2"] * m.sigma_multiplier
    vr = e.hvr * sigma * vega
    cvr = m.curvature_scaling("1y") * sigma * vega
    call = simm(crif(eq("A", "2", vega, "Risk_EquityVol", "1y")), version=V)
    mt = call.by_margin_type()
    assert mt["Vega"] == pytest.approx(e.vega_weight["2"] * vr, rel=1e-12)
    assert mt["Curvature"] == pytest.approx(cvr * (1.0 + m.curvature_lambda_base), rel=1e-12)
    post = simm(crif(eq("A", "2", vega, "Risk_EquityVol", "1y")), version=V, side="post")
    pm = post.by_margin_type()
    assert pm["Vega"] == pytest.approx(mt["Vega"])
    assert pm["Curvature"] == pytest.approx(0.0, abs=1e-9)  # theta = -1: lambda = 1


def test_fx_delta_in_calculation_currency_is_ignored() -> None:
    fx = {"RiskType": "Risk_FX", "AmountUSD": 1e6}
    assert simm(crif({**fx, "Qualifier": "USD"}), version=V).total == 0.0
    rates = {"EUR": 1.25}
    eur = simm(crif({**fx, "Qualifier": "EUR"}), version=V, calculation_currency="EUR",
               fx_rates=rates)
    assert eur.total == 0.0
    usd_in_eur = simm(crif({**fx, "Qualifier": "USD"}), version=V, calculation_currency="EUR",
                      fx_rates=rates)
    rw = P10.fx.delta_risk_weight("EUR", "USD")
    assert usd_in_eur.total == pytest.approx(rw * 1e6 / 1.25, rel=1e-12)


def test_calculation_currency_converts_amounts() -> None:
    rows = crif(ir("USD", "5y", 1000.0), eq("A", "3", 2000.0))
    usd = simm(rows, version=V).total
    eur = simm(rows, version=V, calculation_currency="EUR", fx_rates={"EUR": 1.1})
    assert eur.total == pytest.approx(usd / 1.1, rel=1e-12)
    assert eur.calculation_currency == "EUR"
    with pytest.raises(InputError, match=r"fx_rates\['GBP'\]"):
        simm(rows, version=V, calculation_currency="GBP")


def test_add_ons() -> None:
    base_rows = [ir("USD", "5y", 1000.0)]
    base = simm(crif(*base_rows), version=V).total
    rows = [
        *base_rows,
        {"RiskType": "Param_ProductClassMultiplier", "Qualifier": "RatesFX", "Amount": 1.5,
         "ProductClass": ""},
        {"RiskType": "Param_AddOnNotionalFactor", "Qualifier": "Prod", "Amount": 2.0,
         "ProductClass": ""},
        {"RiskType": "Notional", "Qualifier": "Prod", "AmountUSD": 3e6, "ProductClass": ""},
        {"RiskType": "Notional", "Qualifier": "Other", "AmountUSD": 9e6, "ProductClass": ""},
        {"RiskType": "Param_AddOnFixedAmount", "AmountUSD": 1234.0, "ProductClass": ""},
    ]
    r = simm(crif(*rows), version=V)
    expected_addon = 0.5 * base + 2.0 / 100 * 3e6 + 1234.0
    assert r.total == pytest.approx(base + expected_addon, rel=1e-12)
    assert r.by_margin_type()["AdditionalIM"] == pytest.approx(expected_addon, rel=1e-12)
    assert r.by_product_class()["RatesFX"] == pytest.approx(1.5 * base, rel=1e-12)
    assert simm(crif(*rows), version=V, side="post").total == pytest.approx(r.total)


def test_group_by_portfolio_equals_separate_runs() -> None:
    a = crif(ir("USD", "5y", 1000.0), eq("A", "3", 2000.0)).assign(PortfolioID="A")
    b = crif(ir("EUR", "1y", -500.0), eq("B", "7", 100.0, "Risk_EquityVol", "6m")).assign(
        PortfolioID="B")
    both = pd.concat([a, b], ignore_index=True)
    grouped = simm(both, version=V, group_by="PortfolioID")
    assert grouped.totals["A"] == pytest.approx(simm(a, version=V).total, rel=1e-12)
    assert grouped.totals["B"] == pytest.approx(simm(b, version=V).total, rel=1e-12)
    assert grouped.total == pytest.approx(grouped.totals.sum())
    pooled = simm(both, version=V)  # without group_by, all rows are one netting set
    assert pooled.totals.index.tolist() == [""]
    assert pooled.total <= grouped.total + 1e-6
    with pytest.raises(InputError, match="group_by column 'Desk'"):
        simm(both, version=V, group_by="Desk")


def test_breakdown_tree_is_consistent() -> None:
    rows = crif(ir("USD", "5y", 1000.0), ir("GBP", "2y", 700.0), eq("A", "3", 2000.0),
                {"RiskType": "Risk_FX", "Qualifier": "EUR", "AmountUSD": 5000.0})
    r = simm(rows, version=V)
    b = r.breakdown
    assert list(b.columns) == ["ProductClass", "RiskClass", "MarginType", "Bucket",
                               "InitialMargin"]
    total_row = b[(b.ProductClass == "All") & (b.MarginType == "All")]
    assert total_row["InitialMargin"].item() == pytest.approx(r.total)
    assert r.by_product_class().sum() == pytest.approx(r.total)
    ir_buckets = b[(b.RiskClass == "InterestRate") & (b.MarginType == "Delta")
                   & (b.Bucket != "All")]
    assert sorted(ir_buckets["Bucket"]) == ["GBP", "USD"]
    assert (b["InitialMargin"] >= 0).all()


def test_bad_arguments() -> None:
    rows = crif(ir("USD", "5y", 1.0))
    with pytest.raises(InputError, match="side"):
        simm(rows, side="both")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="unknown SIMM version"):
        simm(rows, version="0.9")
    with pytest.raises(InputError, match="mpor_days"):
        simm(rows, mpor_days=5)


def test_reads_csv_path(tmp_path) -> None:
    path = tmp_path / "c.csv"
    crif(ir("USD", "5y", 1000.0)).to_csv(path, index=False)
    assert simm(path, version=V).total == pytest.approx(simm(crif(ir("USD", "5y", 1000.0)),
                                                             version=V).total)


# --- properties on random CRIFs ------------------------------------------------------------

TEMPLATES = [
    ir("USD", "2y", 0), ir("USD", "10y", 0, "Libor3m"), ir("EUR", "5y", 0), ir("JPY", "1y", 0),
    ir("BRL", "30y", 0),
    {"RiskType": "Risk_Inflation", "Qualifier": "USD"},
    {"RiskType": "Risk_XCcyBasis", "Qualifier": "EUR"},
    {"RiskType": "Risk_IRVol", "Qualifier": "USD", "Label1": "1y"},
    {"RiskType": "Risk_InflationVol", "Qualifier": "EUR", "Label1": "5y"},
    {"RiskType": "Risk_FX", "Qualifier": "EUR"}, {"RiskType": "Risk_FX", "Qualifier": "ARS"},
    {"RiskType": "Risk_FXVol", "Qualifier": "EURUSD", "Label1": "3m"},
    {"RiskType": "Risk_FXVol", "Qualifier": "USDJPY", "Label1": "2y"},
    {"RiskType": "Risk_CreditQ", "ProductClass": "Credit", "Qualifier": "I1", "Bucket": "3",
     "Label1": "5y"},
    {"RiskType": "Risk_CreditQ", "ProductClass": "Credit", "Qualifier": "I2", "Bucket": "3",
     "Label1": "1y"},
    {"RiskType": "Risk_CreditQ", "ProductClass": "Credit", "Qualifier": "I3",
     "Bucket": "Residual", "Label1": "2y"},
    {"RiskType": "Risk_BaseCorr", "ProductClass": "Credit", "Qualifier": "CDX IG"},
    {"RiskType": "Risk_CreditVol", "ProductClass": "Credit", "Qualifier": "I1", "Bucket": "3",
     "Label1": "3y"},
    {"RiskType": "Risk_CreditNonQ", "ProductClass": "Credit", "Qualifier": "N1", "Bucket": "1",
     "Label1": "5y", "Label2": "CMBX"},
    {"RiskType": "Risk_CreditVolNonQ", "ProductClass": "Credit", "Qualifier": "N1",
     "Bucket": "2", "Label1": "5y"},
    eq("E1", "1", 0), eq("E2", "1", 0), eq("E3", "11", 0), eq("E4", "Residual", 0),
    eq("E1", "1", 0, "Risk_EquityVol", "6m"), eq("E5", "12", 0, "Risk_EquityVol", "1y"),
    {"RiskType": "Risk_Commodity", "ProductClass": "Commodity", "Qualifier": "C1",
     "Bucket": "2"},
    {"RiskType": "Risk_Commodity", "ProductClass": "Commodity", "Qualifier": "C2",
     "Bucket": "10"},
    {"RiskType": "Risk_CommodityVol", "ProductClass": "Commodity", "Qualifier": "C1",
     "Bucket": "2", "Label1": "1y"},
]

random_crifs = st.lists(
    st.tuples(st.integers(0, len(TEMPLATES) - 1),
              st.floats(-1e9, 1e9, allow_nan=False).filter(lambda x: abs(x) > 1e-3)),
    min_size=1, max_size=25,
).map(lambda picks: crif(*[{**TEMPLATES[i], "AmountUSD": a} for i, a in picks]))


@given(random_crifs, st.sampled_from(["call", "post"]), st.sampled_from([10, 1]))
def test_never_negative_and_finite(rows: pd.DataFrame, side: str, mpor: int) -> None:
    r = simm(rows, version=V, mpor_days=mpor, side=side)  # type: ignore[arg-type]
    assert np.isfinite(r.total) and r.total >= 0.0
    assert (r.breakdown["InitialMargin"] >= -1e-9).all()


def _totals(version: str, mpor: int, **variants: pd.DataFrame) -> pd.Series:
    """Totals of several CRIF variants in one grouped call (one netting set per variant)."""
    both = pd.concat([v.assign(PortfolioID=k) for k, v in variants.items()], ignore_index=True)
    return simm(both, version=version, mpor_days=mpor, group_by="PortfolioID").totals


@given(random_crifs, st.floats(0.01, 100.0), st.sampled_from(["2.5", "2.8+2512"]))
def test_positive_homogeneity_without_concentration(
    rows: pd.DataFrame, k: float, version: str
) -> None:
    # 1-day SIMM has no concentration: every margin (delta, vega, curvature) is 1-homogeneous
    t = _totals(version, 1, base=rows, scaled=rows.assign(AmountUSD=rows["AmountUSD"] * k))
    assert t["scaled"] == pytest.approx(k * t["base"], rel=1e-9, abs=1e-6)


@given(random_crifs, st.floats(0.01, 100.0))
def test_delta_scales_with_k_when_concentration_inactive(rows: pd.DataFrame, k: float) -> None:
    # keep |sum| of every concentration group well below its threshold at both scales
    rows = rows.assign(AmountUSD=rows["AmountUSD"] / 1e9 * 1e3)
    both = pd.concat([rows.assign(PortfolioID="base"),
                      rows.assign(PortfolioID="scaled", AmountUSD=rows["AmountUSD"] * k)])
    b = simm(both, version=V, group_by="PortfolioID").breakdown
    delta = b[(b.RiskClass == "All") & (b.MarginType == "Delta")].groupby("PortfolioID")[
        "InitialMargin"].sum().reindex(["base", "scaled"], fill_value=0.0)
    assert delta["scaled"] == pytest.approx(k * delta["base"], rel=1e-9, abs=1e-9)


@given(random_crifs, st.randoms(use_true_random=False), st.sampled_from([10, 1]))
def test_invariant_to_row_order(rows: pd.DataFrame, rnd, mpor: int) -> None:
    order = list(range(len(rows)))
    rnd.shuffle(order)
    t = _totals(V, mpor, a=rows, b=rows.iloc[order])
    assert t["b"] == pytest.approx(t["a"], rel=1e-10, abs=1e-6)


@given(random_crifs, st.floats(-3.0, 3.0), st.data())
def test_invariant_to_splitting_a_row(rows: pd.DataFrame, fraction: float, data) -> None:
    i = data.draw(st.integers(0, len(rows) - 1))
    row = rows.iloc[[i]]
    part = row.assign(AmountUSD=row["AmountUSD"] * fraction, TradeID="split-1")
    rest = row.assign(AmountUSD=row["AmountUSD"] * (1 - fraction), TradeID="split-2")
    split = pd.concat([rows.drop(rows.index[i]), part, rest], ignore_index=True)
    t = _totals(V, 10, a=rows, b=split)
    assert t["b"] == pytest.approx(t["a"], rel=1e-9, abs=1e-4)


def test_grouped_crif_without_simm_rows_has_no_groups() -> None:
    rows = pd.DataFrame([{"RiskType": "Notional", "IMModel": "Schedule", "ProductClass": "Rates",
                          "Amount": 1e6, "AmountCurrency": "USD", "PortfolioID": "A"}])
    r = simm(rows, version=V, group_by="PortfolioID")
    assert r.total == 0.0 and r.totals.empty and r.breakdown.empty
    assert list(r.breakdown.columns) == ["PortfolioID", "ProductClass", "RiskClass",
                                         "MarginType", "Bucket", "InitialMargin"]
    assert simm(rows, version=V).totals.tolist() == [0.0]  # ungrouped: one (empty) set
