"""CRIF sensitivities: layout, SIMM reader, finite differences of the pricers, Taylor check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.portfolio import Portfolio, to_crif
from imresearch.portfolio.sensitivities import CRIF_COLUMNS, allocate_tenor
from imresearch.simm import simm
from imresearch.simm.crif import read_crif

from . import naive_pricers as naive
from .conftest import every_product


@pytest.fixture(scope="module")
def crif(book, market, date):
    return to_crif(book, market, date)


def levels_on(market, date):
    row = market.levels.loc[date]
    return {f: float(row[f]) for f in market.factor_names}


def naive_pv(trade, levels, market, date):
    return naive.pv_usd(trade, levels, market.factors, date)


def test_columns_and_simm_reader_accepts_it(crif, book):
    assert list(crif.columns) == list(CRIF_COLUMNS)
    assert set(crif["TradeID"]) == set(book.trade_ids)
    back = read_crif(crif)
    assert len(back) == len(crif)
    np.testing.assert_allclose(back["AmountUSD"], crif["AmountUSD"])
    assert set(crif["RiskType"]) >= {"Risk_IRCurve", "Risk_CreditQ", "Risk_Equity", "Risk_FX",
                                     "Risk_Commodity", "Risk_EquityVol", "Risk_FXVol",
                                     "Risk_CommodityVol"}
    assert (crif["PortfolioID"] == "book").all()
    ir = crif[crif.RiskType == "Risk_IRCurve"]
    assert set(ir["Label1"]) <= {"2w", "1m", "3m", "6m", "1y", "2y", "3y", "5y", "10y", "15y",
                                 "20y", "30y"}
    # the currency's weight group depends on the SIMM version: left blank, looked up by SIMM
    assert set(ir["Bucket"]) == {""}
    filled = crif.assign(Bucket=crif["Bucket"].where(crif.RiskType != "Risk_IRCurve", "1"))
    for version in ("1.0", "2.8+2512"):  # USD and EUR: regular-volatility currencies
        assert simm(filled, version=version).total == simm(crif, version=version).total


def test_amount_usd_uses_base_date_fx(crif, market, date):
    eur = crif[crif.AmountCurrency == "EUR"]
    assert len(eur)
    rate = market.levels.loc[date, "FX_EURUSD"]
    np.testing.assert_allclose(eur["AmountUSD"], eur["Amount"] * rate, rtol=1e-12)


def test_ir_delta_is_central_difference_of_naive_pricer(crif, book, market, date):
    lv = levels_on(market, date)
    for trade_id in ("irs1", "irs2", "f1", "fx1", "cds1"):
        trade = book[trade_id]
        rows = crif[(crif.TradeID == trade_id) & (crif.RiskType == "Risk_IRCurve")]
        for ccy, group in rows.groupby("Qualifier"):
            pillars = [f for f in market.factor_names if f.startswith(f"IR_{ccy}_")]
            total = 0.0
            for f in pillars:
                up, dn = dict(lv), dict(lv)
                up[f] += 0.01  # percent units: 1bp
                dn[f] -= 0.01
                total += 0.5 * (naive_pv(trade, up, market, date)
                                - naive_pv(trade, dn, market, date))
            assert group["AmountUSD"].sum() == pytest.approx(total, rel=1e-7, abs=1e-6)


def test_ir_delta_per_pillar(crif, book, market, date):
    lv = levels_on(market, date)
    trade = book["irs1"]
    rows = crif[(crif.TradeID == "irs1") & (crif.RiskType == "Risk_IRCurve")]
    for tenor in ("1y", "5y", "10y"):
        up, dn = dict(lv), dict(lv)
        up[f"IR_USD_{tenor}"] += 0.01
        dn[f"IR_USD_{tenor}"] -= 0.01
        fd = 0.5 * (naive_pv(trade, up, market, date) - naive_pv(trade, dn, market, date))
        got = rows.loc[rows.Label1 == tenor, "Amount"].sum()
        assert got == pytest.approx(fd, rel=1e-7, abs=1e-6)


def test_equity_commodity_credit_and_vega_against_naive(crif, book, market, date):
    lv = levels_on(market, date)

    def fd(trade, factor, up_value, dn_value):
        up, dn = dict(lv), dict(lv)
        up[factor], dn[factor] = up_value, dn_value
        return 0.5 * (naive_pv(trade, up, market, date) - naive_pv(trade, dn, market, date))

    o1 = book["o1"]
    s = lv["EQ_SPX"]
    row = crif[(crif.TradeID == "o1") & (crif.RiskType == "Risk_Equity")]
    assert row["AmountUSD"].sum() == pytest.approx(fd(o1, "EQ_SPX", 1.01 * s, 0.99 * s), rel=1e-9)
    c2 = book["c2"]
    w = lv["CMD_WTI"]
    row = crif[(crif.TradeID == "c2") & (crif.RiskType == "Risk_Commodity")]
    assert row["AmountUSD"].sum() == pytest.approx(fd(c2, "CMD_WTI", 1.01 * w, 0.99 * w),
                                                   rel=1e-9)
    # credit: 1bp of the issuer spread = 1bp / spread_scale of the index factor
    cds2 = book["cds2"]
    ig = lv["CR_CDX_IG"]
    row = crif[(crif.TradeID == "cds2") & (crif.RiskType == "Risk_CreditQ")]
    assert row["Qualifier"].unique().tolist() == ["ACME_BANK"]
    want = fd(cds2, "CR_CDX_IG", ig + 1 / 1.3, ig - 1 / 1.3)
    assert row["AmountUSD"].sum() == pytest.approx(want, rel=1e-7)
    # vega: per vol point of the option's own volatility
    vix = lv["VOL_VIX"]
    sigma = vix / 100.0
    h = 1e-4
    row = crif[(crif.TradeID == "o1") & (crif.RiskType == "Risk_EquityVol")]
    fd_vega = fd(o1, "VOL_VIX", (sigma + h) * 100, (sigma - h) * 100) / h * 0.01
    assert row["AmountUSD"].sum() == pytest.approx(fd_vega, rel=1e-4)
    assert set(row["Label1"]) <= {"6m", "1y"}


def test_fx_delta_moves_every_pair_of_the_currency(crif, book, market, date):
    lv = levels_on(market, date)
    for tid in ("p2", "fx1", "fxo2", "fx2"):
        trade = book[tid]
        rows = crif[(crif.TradeID == tid) & (crif.RiskType == "Risk_FX")]
        for ccy, group in rows.groupby("Qualifier"):
            up, dn = dict(lv), dict(lv)
            for f in lv:
                if f.startswith("FX_") and f[3:6] == ccy:
                    up[f], dn[f] = lv[f] * 1.01, lv[f] * 0.99
                elif f.startswith("FX_") and f[6:9] == ccy:
                    up[f], dn[f] = lv[f] / 1.01, lv[f] / 0.99
            want = 0.5 * (naive_pv(trade, up, market, date) - naive_pv(trade, dn, market, date))
            assert group["AmountUSD"].sum() == pytest.approx(want, rel=1e-9), (tid, ccy)
    # a EUR stock: FX delta is 1% of its USD value
    p2 = crif[(crif.TradeID == "p2") & (crif.RiskType == "Risk_FX")]
    pv = naive_pv(book["p2"], lv, market, date)
    assert p2["AmountUSD"].iloc[0] == pytest.approx(0.01 * pv, rel=1e-9)


def test_taylor_error_is_second_order(bound, crif, market, date):
    """P&L of a small parallel rate / relative spot move ~ sum of deltas x move: O(h^2) error."""
    linear = ["irs1", "irs3", "f1", "fx1", "trs1", "c1"]
    names = bound.factor_names
    errs = []
    for h in (0.5, 0.25, 0.125):
        shocks = np.zeros((1, len(names)))
        for i, f in enumerate(names):
            if f.startswith("IR_"):
                shocks[0, i] = 10.0 * h  # bp (absolute_bp)
            elif f.startswith(("EQ_", "CMD_")):
                shocks[0, i] = np.log(1 + 0.02 * h)
        pnl = bound.revalue(pd.DataFrame(shocks, columns=names))
        err = 0.0
        for tid in linear:
            rows = crif[(crif.TradeID == tid)]
            pred = (rows.loc[rows.RiskType == "Risk_IRCurve", "AmountUSD"].sum() * 10 * h
                    + rows.loc[rows.RiskType.isin(["Risk_Equity", "Risk_Commodity"]),
                               "AmountUSD"].sum() * 2 * h)
            err += abs(pnl[tid].iloc[0] - pred)
            assert abs(pnl[tid].iloc[0] - pred) <= 0.05 * abs(pnl[tid].iloc[0]) + 1e-6
        errs.append(err)
    # halving the move divides the error by about four
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.25)
    assert errs[1] / errs[2] == pytest.approx(4.0, rel=0.25)


def test_bucket_is_required(market, date):
    from imresearch.portfolio import EquityPosition

    pf = Portfolio((EquityPosition(trade_id="nb", underlying="SPX", quantity=1),))
    with pytest.raises(InputError, match=r"trade 'nb', field 'bucket'"):
        to_crif(pf, market, date)


def test_schedule_inputs_and_rows(book, market, date):
    sched = book.schedule_inputs(market, date)
    assert len(sched) == len(book)
    assert set(sched["asset_class"]) == {"Equity", "FX", "Rates", "Credit", "Commodity"}
    irs = sched.set_index("TradeID").loc["irs1"]
    assert irs["notional_usd"] == 1e7
    assert irs["maturity_years"] == pytest.approx((pd.Timestamp("2034-03-15") - date).days / 365)
    np.testing.assert_allclose(sched["pv_usd"], book.pv(market, date).to_numpy())
    crif = to_crif(book, market, date, schedule=True)
    rows = crif[crif.IMModel == "Schedule"]
    assert len(rows) == 2 * len(book)
    read_crif(crif)


@pytest.mark.parametrize(("years", "expected"), [
    (0.01, [("2w", 1.0)]), (1.0, [("1y", 1.0)]), (40.0, [("30y", 1.0)]),
    (4.0, [("3y", 0.5), ("5y", 0.5)]),
])
def test_allocate_tenor(years, expected):
    got = allocate_tenor(years)
    assert [g[0] for g in got] == [e[0] for e in expected]
    np.testing.assert_allclose([g[1] for g in got], [e[1] for e in expected])


def test_examples_produce_a_valid_crif(market, date):
    from imresearch.portfolio import load_portfolio

    for name in ("dealer_book", "archegos_trs"):
        book = load_portfolio(name)
        crif = book.to_crif(market, date)
        read_crif(crif)
        assert set(crif["TradeID"]) <= set(book.trade_ids)


def test_every_product_has_a_delta(crif):
    counts = crif.groupby("TradeID").size()
    assert set(counts.index) == {t.trade_id for t in every_product()}
