"""Trades, portfolio files and binding: round trips and bad input naming trade and field."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.portfolio import (
    EquityOption,
    EquityPosition,
    InterestRateSwap,
    Portfolio,
    bind,
    load_portfolio,
    save_portfolio,
    trade_from_record,
)

from .conftest import every_product


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_round_trip(tmp_path, book, suffix):
    path = save_portfolio(book, tmp_path / f"b{suffix}")
    back = load_portfolio(path)
    assert back.trades == book.trades


def test_toml_defaults_and_buckets(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        '[portfolio]\nname = "pb"\n[defaults]\ncounterparty = "FUND"\n'
        '[buckets.equity]\nSPX = "11"\n'
        '[[trades]]\ntrade_id = "a"\ntype = "equity_position"\nunderlying = "SPX"\n'
        'quantity = 5\nprime_broker = "PB1"\n'
        '[[trades]]\ntrade_id = "b"\ntype = "equity_position"\nunderlying = "SPX"\n'
        'quantity = 5\nbucket = "10"\ncounterparty = "OTHER"\n'
    )
    pf = load_portfolio(path)
    assert pf.name == "pb"
    assert pf["a"].counterparty == "FUND" and pf["a"].bucket == "11"
    assert pf["b"].counterparty == "OTHER" and pf["b"].bucket == "10"
    assert list(pf.split("prime_broker")) == ["PB1", ""]


def test_examples_ship_and_bind(market, date):
    dealer = load_portfolio("dealer_book")
    assert 180 <= len(dealer) <= 220
    assert {t.TYPE for t in dealer} == {
        "equity_position", "equity_trs", "equity_forward", "equity_option", "fx_forward",
        "fx_option", "irs", "cds", "commodity_forward", "commodity_option"}
    trs = load_portfolio("archegos_trs")
    assert {t.TYPE for t in trs} == {"equity_trs"}
    brokers = trs.split("prime_broker")
    assert len(brokers) == 4
    assert len({t.netting_set for t in trs}) == 4
    for pf in (dealer, trs):
        pv = pf.pv(market, date)
        assert pv.notna().all() and len(pv) == len(pf)


def rec(**kw):
    base = {"trade_id": "T1", "type": "equity_option", "underlying": "SPX", "quantity": "10",
            "strike": "100", "expiry": "2026-06-30", "option_type": "call", "volatility": "0.2"}
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(("record", "field", "text"), [
    (rec(type="swaption"), "type", "unknown trade type"),
    (rec(strike=None), "strike", "missing"),
    (rec(quantity="-3"), "quantity", "must be > 0"),
    (rec(quantity="0"), "quantity", "must be > 0"),
    (rec(strike="abc"), "strike", "not a number"),
    (rec(expiry="30/30/2026"), "expiry", "not a date"),
    (rec(option_type="straddle"), "option_type", "call"),
    (rec(direction="sideways"), "direction", "long, short"),
    (rec(volatility=None), "volatility", "vol_factor"),
    (rec(vol_factor="VOL_VIX"), "vol_factor", "not both"),
    (rec(colour="red"), "colour", "not a field"),
])
def test_bad_records_name_trade_and_field(record, field, text):
    with pytest.raises(InputError, match=rf"trade 'T1', field '{field}'.*{text}"):
        trade_from_record(record)


def test_bad_swap_and_cds_fields():
    kw = dict(trade_id="S", currency="USD", notional=1e6, fixed_rate=0.03,
              start_date="2026-01-01", maturity="2031-01-01")
    with pytest.raises(InputError, match="trade 'S', field 'maturity'"):
        InterestRateSwap(**{**kw, "maturity": "2025-01-01"})
    with pytest.raises(InputError, match="trade 'S', field 'fixed_period'"):
        InterestRateSwap(**kw, fixed_period="6x")
    with pytest.raises(InputError, match="trade 'S', field 'currency'"):
        InterestRateSwap(**{**kw, "currency": "US"})
    with pytest.raises(InputError, match="trade 'S', field 'notional'"):
        InterestRateSwap(**{**kw, "notional": -1.0})
    with pytest.raises(InputError, match="trade 'C', field 'recovery'"):
        trade_from_record({"trade_id": "C", "type": "cds", "reference": "X", "notional": 1,
                           "coupon_bp": 100, "maturity": "2030-12-20", "recovery": 1.2})


def test_csv_errors_name_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("trade_id,type,underlying,quantity\nA,equity_position,SPX,3\n"
                    "B,equity_position,SPX,-2\n")
    with pytest.raises(InputError, match=r"bad.csv, line 3: trade 'B', field 'quantity'"):
        load_portfolio(path)
    with pytest.raises(InputError, match="does not exist"):
        load_portfolio(tmp_path / "missing.csv")
    dup = tmp_path / "dup.csv"
    dup.write_text("trade_id,type,underlying,quantity\nA,equity_position,SPX,3\n"
                   "A,equity_position,SPX,2\n")
    with pytest.raises(InputError, match="trade 'A', field 'trade_id': duplicate"):
        load_portfolio(dup)


def test_binding_errors_name_trade_and_field(market, date):
    def fails(trade, field):
        with pytest.raises(InputError, match=rf"trade '{trade.trade_id}', field '{field}'"):
            bind([trade], market, date)

    fails(EquityPosition(trade_id="x", underlying="NOPE", quantity=1), "underlying")
    fails(EquityOption(trade_id="x", underlying="SPX", quantity=1, strike=1,
                       expiry="2025-06-30", option_type="call", volatility=0.2), "expiry")
    fails(EquityOption(trade_id="x", underlying="SPX", quantity=1, strike=1,
                       expiry="2026-06-30", option_type="call", vol_factor="VOL_NONE"),
          "vol_factor")
    fails(EquityOption(trade_id="x", underlying="UKX", quantity=1, strike=1,
                       expiry="2026-06-30", option_type="call", volatility=0.2), "currency")
    fails(InterestRateSwap(trade_id="x", currency="CHF", notional=1, fixed_rate=0.01,
                           start_date="2026-01-05", maturity="2030-01-05"), "currency")
    fails(EquityPosition(trade_id="x", underlying="SPX", quantity=1, currency="EUR"), "currency")
    from imresearch.portfolio import FXForward

    fails(FXForward(trade_id="x", pair="EURCHF", notional=1, strike=1, maturity="2026-06-30"),
          "pair")
    with pytest.raises(InputError, match="not a date of market"):
        bind(every_product(), market, "2025-12-27")


def test_portfolio_select_and_frame(book):
    sub = book.select(lambda t: t.TYPE == "irs")
    assert len(sub) == 3
    frame = book.to_frame()
    assert list(frame["trade_id"]) == book.trade_ids
    with pytest.raises(InputError):
        book.select(prime_broker="nobody")
    with pytest.raises(InputError, match="not a trade"):
        Portfolio(("x",))  # type: ignore[arg-type]
    assert isinstance(book.trades[0].to_record()["type"], str)
    assert pd.Timestamp(book["irs1"].to_record()["maturity"]) == book["irs1"].maturity
