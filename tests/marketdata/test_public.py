"""The built-in real market: contract, spans, metadata, sources and the real-data dealer book."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import horizon_shocks, load_builtin
from imresearch.marketdata.public import DATA_DIR, public_factors, raw_series, sources
from imresearch.marketdata.synthetic import synthetic_factors
from imresearch.portfolio import load_portfolio
from imresearch.portfolio.binding import bind

CONTRACT = ["IR_USD_10y", "FX_EURUSD", "FX_GBPUSD", "FX_USDJPY", "CMD_WTI", "EQ_SPX"]


@pytest.fixture(scope="module")
def market():
    return load_builtin("public_markets")


def test_contract_factors_and_units(market) -> None:
    assert set(CONTRACT) <= set(market.factor_names)
    synthetic = synthetic_factors()
    for name, spec in market.factors.items():
        if name in synthetic and spec.risk_class != "commodity":
            same = synthetic[name]
            assert (spec.risk_class, spec.convention, spec.units, spec.currency, spec.tenor) == (
                same.risk_class, same.convention, same.units, same.currency, same.tenor), name
    assert market.factors["IR_EUR_10y"].units == "percent"
    assert market.factors["FX_USDCHF"].units == "CHF per USD"
    assert market.name == "public_markets" and "Treasury" in market.source


def test_span_and_calendar(market) -> None:
    # every factor from the Treasury 30-year's reissue to the end of arch's equities
    assert market.start == pd.Timestamp("2006-02-09")
    assert market.end == pd.Timestamp("2018-12-28")
    assert np.isfinite(market.values).all()
    report = market.gap_report
    assert report.policy == "drop" and report.n_bridged == 0
    assert pd.Timestamp("2008-12-25") not in market.dates  # nobody quotes Christmas
    assert pd.Timestamp("2018-07-04") in report.dropped_dates  # ECB and BoE quote, US closed
    assert market.calendar_gaps(5).empty


def test_factors_choose_the_longest_common_span() -> None:
    rates = load_builtin("public_markets", factors=["IR_USD_10y", "IR_USD_2y"])
    assert rates.start == pd.Timestamp("1990-01-02") and rates.end == pd.Timestamp("2024-12-31")
    no_equity = [f for f in public_factors() if not f.startswith("EQ_")]
    assert load_builtin("public_markets", factors=no_equity).end == pd.Timestamp("2024-04-30")
    thirty = load_builtin("public_markets", factors=["IR_USD_30y"])
    assert thirty.start == pd.Timestamp("2006-02-09")  # after the 2002-2006 issuance gap
    with pytest.raises(InputError, match=r"public_markets: unknown factor\(s\) \['IR_JPY_10y'\]"):
        load_builtin("public_markets", factors=["IR_JPY_10y"])
    with pytest.raises(InputError, match="factors applies only to public_markets, fed_h10_fx"):
        load_builtin("arch_sp500", factors=["SPX"])
    with pytest.raises(InputError, match="seed applies only to the synthetic data sets"):
        load_builtin("public_markets", seed=3)


def test_wti_negative_print_is_kept_with_absolute_shocks() -> None:
    oil = load_builtin("public_markets", factors=["CMD_WTI", "CMD_BRENT"])
    spec = oil.factors["CMD_WTI"]
    assert (spec.convention, spec.units) == ("absolute", "USD/bbl")
    assert oil.levels.loc["2020-04-20", "CMD_WTI"] == -36.98
    daily = horizon_shocks(oil, horizon=1).frame["CMD_WTI"]
    assert daily.loc["2020-04-20"] == pytest.approx(-36.98 - 18.31)  # EIA: 18.31 on 17 April
    assert daily.loc["2020-04-21"] == pytest.approx(8.91 + 36.98)
    assert np.isfinite(horizon_shocks(oil, horizon=10).frame.to_numpy()).all()


def test_fed_h10_builtin() -> None:
    h10 = load_builtin("fed_h10_fx")
    assert h10.start == pd.Timestamp("1999-01-04") and h10.end == pd.Timestamp("2017-12-01")
    assert h10.factors["FX_GBPUSD"].units == "USD per GBP"
    file_value = raw_series("fed_h10_fx").loc["2008-07-15", "GBP per USD"]
    assert file_value == 0.4991 and h10.levels.loc["2008-07-15", "FX_GBPUSD"] == 1 / 0.4991
    yen = load_builtin("fed_h10_fx", factors=["FX_USDJPY"])
    assert yen.start < pd.Timestamp("1972-01-01")


def test_every_shipped_file_has_source_terms_and_attribution() -> None:
    table = sources()
    shipped = {p.stem for p in DATA_DIR.glob("*.parquet")}
    assert shipped <= set(table.index) and "arch" in table.index
    for column in ("provider", "series", "units", "terms", "attribution", "via", "used_as"):
        assert table[column].str.len().gt(10).all(), column
    for name in shipped:
        frame = raw_series(name)
        assert frame.index.is_monotonic_increasing and not frame.index.has_duplicates
    assert sum(p.stat().st_size for p in DATA_DIR.iterdir()) < 3_000_000
    with pytest.raises(InputError, match="unknown public data file"):
        raw_series("yahoo")


def test_real_dealer_book_binds_against_the_public_market(market) -> None:
    book = load_portfolio("imresearch/portfolio/data/dealer_book_public.toml")
    dealer = load_portfolio("dealer_book")
    assert 100 < len(book.trades) < len(dealer.trades)
    by_id = {t.trade_id: t for t in dealer.trades}
    for trade in book.trades:
        original = by_id[trade.trade_id]
        assert (trade.counterparty, trade.netting_set) == (original.counterparty,
                                                           original.netting_set)
    bound = bind(book, market)
    assert set(bound.factor_names) <= set(market.factor_names)
    assert {"EQ_SPX", "FX_GBPUSD", "IR_GBP_10y", "CMD_WTI"} <= set(bound.factor_names)
    pv = bound.revalue(np.zeros((1, bound.n_factors)))
    assert np.isfinite(pv).all()
