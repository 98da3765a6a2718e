"""BCBS-IOSCO standardised schedule IM."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.schedule import schedule_im, schedule_trades_from_crif


def _trades() -> pd.DataFrame:
    return pd.DataFrame({
        "asset_class": ["Rates", "Rates", "Rates", "FX", "credit", "Credit", "Equity",
                        "Commodity", "other"],
        "notional": [100e6, -50e6, 10e6, 10e6, 20e6, 1e6, 2e6, 3e6, 4e6],
        "pv": [1e6, -2e6, 0.0, 0.5e6, 0.1e6, 0.0, -0.3e6, 0.2e6, 0.0],
        "maturity": [1.0, 7.0, 2.0, 0.5, 3.0, 12.0, None, None, None],
    })


def test_rates_by_asset_class_and_maturity() -> None:
    r = schedule_im(_trades())
    assert r.trades["rate"].tolist() == [0.01, 0.04, 0.02, 0.06, 0.05, 0.10, 0.15, 0.15, 0.15]
    gross = 1e6 + 2e6 + 0.2e6 + 0.6e6 + 1e6 + 0.1e6 + 0.3e6 + 0.45e6 + 0.6e6
    assert r.by_netting_set["gross_im"].item() == pytest.approx(gross)
    grc = 1e6 + 0.5e6 + 0.1e6 + 0.2e6
    nrc = max(1e6 - 2e6 + 0.5e6 + 0.1e6 - 0.3e6 + 0.2e6, 0.0)
    ngr = nrc / grc
    assert r.by_netting_set["ngr"].item() == pytest.approx(ngr)
    assert r.total == pytest.approx((0.4 + 0.6 * ngr) * gross)


def test_netting_sets_and_ngr_bounds() -> None:
    t = pd.DataFrame({"asset_class": ["FX", "FX", "Equity"], "notional": [10.0, 10.0, 100.0],
                      "pv": [5.0, -5.0, 3.0], "maturity": [1, 1, 1], "ns": ["a", "a", "b"]})
    r = schedule_im(t, netting_set="ns")
    assert r.by_netting_set.loc["a", "ngr"] == 0.0
    assert r.by_netting_set.loc["a", "im"] == pytest.approx(0.4 * 1.2)
    assert r.by_netting_set.loc["b", "ngr"] == 1.0
    assert r.by_netting_set.loc["b", "im"] == pytest.approx(15.0)
    assert r.total == pytest.approx(0.48 + 15.0)
    all_negative = t.assign(pv=[-1.0, -2.0, -3.0])
    assert schedule_im(all_negative).by_netting_set["ngr"].item() == 1.0


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        ({"asset_class": ["Swaps"] * 9}, r"row 0, column 'asset_class'.*'Swaps'"),
        ({"notional": ["x"] + [1.0] * 8}, r"row 0, column 'notional'.*'x'"),
        ({"maturity": [None] * 9}, r"row 0, column 'maturity'.*need a residual maturity"),
        ({"maturity": [-1.0] * 9}, r"maturity"),
    ],
)
def test_invalid_trades(change: dict, pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        schedule_im(_trades().assign(**change))
    with pytest.raises(InputError, match="missing column"):
        schedule_im(_trades().drop(columns="pv"))


def test_from_crif_schedule_rows() -> None:
    crif = pd.DataFrame([
        {"TradeID": "T1", "PortfolioID": "P", "IMModel": "Schedule", "ProductClass": "Rates",
         "RiskType": "Notional", "Amount": 1e6, "AmountCurrency": "USD", "EndDate": "2031-07-01"},
        {"TradeID": "T1", "PortfolioID": "P", "IMModel": "Schedule", "ProductClass": "Rates",
         "RiskType": "PV", "Amount": 1e4, "AmountCurrency": "USD", "EndDate": "2031-07-01"},
        {"TradeID": "T2", "PortfolioID": "P", "IMModel": "Schedule", "ProductClass": "FX",
         "RiskType": "Notional", "Amount": 2e6, "AmountCurrency": "USD", "EndDate": "2026-06-01"},
        {"TradeID": "T3", "PortfolioID": "P", "IMModel": "SIMM", "ProductClass": "RatesFX",
         "RiskType": "Risk_FX", "Qualifier": "EUR", "Amount": 5.0, "AmountCurrency": "USD"},
    ])
    trades = schedule_trades_from_crif(crif, "2026-01-01")
    assert trades["TradeID"].tolist() == ["T1", "T2"]
    assert trades["maturity"].iloc[0] == pytest.approx(5.5, abs=0.01)
    r = schedule_im(trades, netting_set="PortfolioID")
    assert r.total == pytest.approx(1e6 * 0.04 + 2e6 * 0.06)  # NGR = 1 (one positive PV)


def test_dealer_book_against_the_framework_by_hand() -> None:
    """The dealer book's schedule IM from its schedule inputs, by the BCBS-IOSCO framework's
    Appendix A (rates transcribed here, not read from the package): gross = sum of notional x
    rate by asset class and residual maturity, net = (0.4 + 0.6 NGR) gross per netting set."""
    from imresearch.marketdata import synthetic_market
    from imresearch.portfolio import load_portfolio

    rates = {"Credit": (0.02, 0.05, 0.10), "Rates": (0.01, 0.02, 0.04), "FX": (0.06,) * 3,
             "Equity": (0.15,) * 3, "Commodity": (0.15,) * 3, "Other": (0.15,) * 3}
    market = synthetic_market(seed=0)
    inputs = load_portfolio("dealer_book").schedule_inputs(market, market.end)
    want = 0.0
    for _, trades in inputs.groupby("PortfolioID"):
        gross = 0.0
        for t in trades.itertuples():
            bucket = 0 if t.maturity_years < 2 else 1 if t.maturity_years < 5 else 2
            gross += abs(t.notional_usd) * rates[t.asset_class][bucket]
        pv = trades["pv_usd"]
        ngr = max(pv.sum(), 0.0) / pv.clip(lower=0).sum() if (pv > 0).any() else 0.0
        want += (0.4 + 0.6 * ngr) * gross
    got = schedule_im(inputs, netting_set="PortfolioID")
    assert got.total == pytest.approx(want, rel=1e-12)
    assert set(inputs["asset_class"]) >= {"Credit", "Rates", "FX", "Equity", "Commodity"}
    # without netting sets the whole book is one: a different NGR, the same gross
    whole = schedule_im(inputs)
    assert whole.by_netting_set["gross_im"].sum() == pytest.approx(
        got.by_netting_set["gross_im"].sum())
