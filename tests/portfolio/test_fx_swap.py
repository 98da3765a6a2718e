"""FX swaps: the closed form on flat curves, seasoned swaps, CRIF sensitivities, schedule, files.

The product added by its own module only (``imresearch/portfolio/products/fx_swap.py``) and the
registry; these tests are its whole footprint.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.portfolio import (
    FXForward,
    FXSwap,
    Portfolio,
    bind,
    load_portfolio,
    save_portfolio,
    to_crif,
    trade_from_record,
)

from . import naive_pricers as naive
from .conftest import FLAT_DATE, flat_market


def swap(**kw) -> FXSwap:
    base = dict(trade_id="s", pair="EURUSD", notional=1e6, near_date="2025-03-03",
                near_rate=1.09, far_date="2026-03-03", far_rate=1.11)
    return FXSwap(**{**base, **kw})


@settings(max_examples=40, deadline=None)
@given(near=st.integers(0, 400), length=st.integers(1, 3000), k1=st.floats(0.8, 1.4),
       points=st.floats(-0.05, 0.05), r_usd=st.floats(-0.01, 0.08),
       r_eur=st.floats(-0.01, 0.08), buy_sell=st.booleans())
def test_pv_is_the_closed_form_on_flat_curves(near, length, k1, points, r_usd, r_eur,
                                              buy_sell):
    m = flat_market(r_usd=r_usd, r_eur=r_eur, fx=1.1)
    d1 = FLAT_DATE + pd.Timedelta(days=near)
    d2 = d1 + pd.Timedelta(days=length)
    k2 = k1 + points
    trade = swap(notional=2.5e6, near_date=d1, near_rate=k1, far_date=d2, far_rate=k2,
                 direction="buy_sell" if buy_sell else "sell_buy")
    t1, t2 = near / 365.0, (near + length) / 365.0
    x = 1.1
    leg1 = x * math.exp(-r_eur * t1) - k1 * math.exp(-r_usd * t1)
    leg2 = x * math.exp(-r_eur * t2) - k2 * math.exp(-r_usd * t2)
    want = (1.0 if buy_sell else -1.0) * 2.5e6 * (leg1 - leg2)
    got = bind([trade], m, FLAT_DATE).pv().iloc[0]
    assert got == pytest.approx(want, rel=1e-10, abs=1e-6)


def test_equals_two_opposite_forwards(market, date):
    trade = swap(near_date="2026-02-02", far_date="2027-02-01", near_rate=1.1, far_rate=1.12)
    legs = [FXForward(trade_id="near", pair="EURUSD", notional=1e6, strike=1.1,
                      maturity="2026-02-02"),
            FXForward(trade_id="far", pair="EURUSD", notional=1e6, strike=1.12,
                      maturity="2027-02-01", direction="short")]
    pv = bind([trade, *legs], market, date).pv()
    assert pv["s"] == pytest.approx(pv["near"] + pv["far"], rel=1e-12)


def test_seasoned_swap_keeps_only_the_far_leg(market, date):
    seasoned = swap(near_date="2025-06-02", far_date="2026-06-01", direction="sell_buy")
    far = FXForward(trade_id="far", pair="EURUSD", notional=1e6, strike=1.11,
                    maturity="2026-06-01")
    pv = bind([seasoned, far], market, date).pv()
    assert pv["s"] == pytest.approx(pv["far"], rel=1e-12)
    # on the valuation date the near exchange still counts: X - K1, undiscounted
    today = swap(near_date=date, far_date="2026-06-01")
    fwd = bind([today, far], market, date).pv()
    spot = float(market.levels.loc[date, "FX_EURUSD"])
    assert fwd["s"] == pytest.approx(1e6 * (spot - 1.09) - fwd["far"], rel=1e-12)


def test_behaviour_of_the_product():
    t = swap()
    assert (t.TYPE, t.RISK_CLASS, t.product_class, t.schedule_class) == (
        "fx_swap", "FX", "RatesFX", "FX")
    assert t.end_date == pd.Timestamp("2026-03-03")
    assert t.qualifier == "EURUSD" and t.notional_currency("USD") == "EUR"
    assert swap(direction="sell/buy").sign == -1.0


@pytest.mark.parametrize(("kw", "field", "text"), [
    ({"far_date": "2025-03-03"}, "far_date", "not after near_date"),
    ({"near_rate": 0}, "near_rate", "> 0"),
    ({"direction": "long"}, "direction", "buy_sell, sell_buy"),
    ({"pair": "EUREUR"}, "pair", "two different"),
    ({"notional": 1e300}, "notional", "at most"),
])
def test_bad_fields_name_the_field(kw, field, text):
    with pytest.raises(InputError, match=rf"trade 's', field '{field}'.*{text}"):
        swap(**kw)


def _fd(trade, market, date, bump):
    lv = {f: float(v) for f, v in market.levels.loc[date].items()}
    up, dn = bump(dict(lv), +1), bump(dict(lv), -1)
    return 0.5 * (naive.pv_usd(trade, up, market.factors, date)
                  - naive.pv_usd(trade, dn, market.factors, date))


def test_crif_deltas_are_central_differences_of_the_naive_pricer(market, date):
    trades = [swap(trade_id="a", near_date="2026-01-05", far_date="2026-07-06"),
              swap(trade_id="b", pair="USDJPY", notional=2e6, near_rate=150.0,
                   far_rate=148.0, near_date="2025-11-03", far_date="2026-11-02",
                   quote_curve="USD", direction="sell_buy")]
    crif = to_crif(Portfolio(tuple(trades), "swaps"), market, date)
    assert set(crif["ProductClass"]) == {"RatesFX"}
    assert set(crif["RiskType"]) == {"Risk_FX", "Risk_IRCurve"}
    for t in trades:
        rows = crif[crif.TradeID == t.trade_id]
        for ccy, group in rows[rows.RiskType == "Risk_FX"].groupby("Qualifier"):
            def fx(lv, sign, ccy=ccy):
                for f in list(lv):
                    if f.startswith("FX_") and f[3:6] == ccy:
                        lv[f] *= 1 + 0.01 * sign
                    elif f.startswith("FX_") and f[6:9] == ccy:
                        lv[f] /= 1 + 0.01 * sign
                return lv
            assert group["AmountUSD"].sum() == pytest.approx(_fd(t, market, date, fx), rel=1e-9)
        for ccy, group in rows[rows.RiskType == "Risk_IRCurve"].groupby("Qualifier"):
            def ir(lv, sign, ccy=ccy):
                for f in list(lv):
                    if f.startswith(f"IR_{ccy}_"):
                        lv[f] += 0.01 * sign  # percent units: 1bp
                return lv
            assert group["AmountUSD"].sum() == pytest.approx(_fd(t, market, date, ir),
                                                             rel=1e-7, abs=1e-6)
    assert (crif.loc[crif.TradeID == "a", "EndDate"] == "2026-07-06").all()


def test_schedule_notional_is_the_base_amount(market, date):
    t = swap(pair="GBPUSD", near_date="2026-01-05", far_date="2026-07-06", near_rate=1.3,
             far_rate=1.31, base_curve="USD")
    row = Portfolio((t,)).schedule_inputs(market, date).iloc[0]
    gbp = float(market.levels.loc[date, "FX_GBPUSD"])
    assert (row["asset_class"], row["notional"]) == ("FX", 1e6)
    assert row["notional_usd"] == pytest.approx(1e6 * gbp, rel=1e-12)


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_files_round_trip(tmp_path, suffix):
    book = Portfolio((swap(), swap(trade_id="t", direction="sell_buy", base_curve="USD")))
    assert load_portfolio(save_portfolio(book, tmp_path / f"s{suffix}")).trades == book.trades
    rec = trade_from_record({"type": "FX_SWAP", "trade_id": "r", "pair": "eurusd",
                             "notional": "1e6", "near_date": "2025-03-03", "near_rate": "1.09",
                             "far_date": "2026-03-03", "far_rate": "1.11"})
    assert rec == swap(trade_id="r")


def test_pnl_of_the_kernels_matches_the_naive_pricer(market, date):
    trade = swap(near_date="2026-01-05", far_date="2027-01-05")
    bp = bind([trade], market, date)
    shocks = np.random.default_rng(3).standard_normal((20, bp.n_factors)) * 0.01
    lv = {f: float(v) for f, v in market.levels.loc[date].items()}
    frame = pd.DataFrame(shocks, columns=bp.factor_names)
    want = naive.revalue([trade], lv, market.factors, date, frame)
    np.testing.assert_allclose(bp.revalue(frame).to_numpy(), want, rtol=1e-9, atol=1e-6)
