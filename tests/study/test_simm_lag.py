"""SIMM's calibration lag in a study: the episodes since 2016 inside the market, on the book."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.marketdata import load_builtin
from imresearch.models import HSModel, SimmModel, im_on_date
from imresearch.portfolio import load_portfolio
from imresearch.simm import version_in_force
from imresearch.study.margin import book_date
from imresearch.study.simm_lag import simm_lag_analysis, wants_simm_lag

IN_FORCE = {"HS 1y": HSModel(lookback_days=252), "SIMM": SimmModel(version="in_force")}


@pytest.fixture(scope="module")
def public() -> tuple:
    market = load_builtin("public_markets")
    book = load_portfolio("dealer_book_public")
    return market, book, simm_lag_analysis(market, book, IN_FORCE,
                                           bind_date=book_date(book, market))


def test_episodes_inside_the_market_only(public) -> None:  # type: ignore[no-untyped-def]
    market, _, result = public
    assert list(result.versions.index) == ["feb_2018"]  # the data end in December 2018
    assert set(result.lag["episode"]) == {"feb_2018"}
    assert result.lag["date"].between(market.start, market.end).all()


def test_summary_recomputes_simm_independently(public) -> None:  # type: ignore[no-untyped-def]
    market, book, result = public
    row = result.summary().loc["feb_2018"]
    date = pd.Timestamp(row["date"])
    assert row["in_force"] == version_in_force(date).version == "2.0"
    bind = book_date(book, market)
    in_force = im_on_date(SimmModel(version="in_force"), book, market, date, bind_date=bind)
    assert row["simm_in_force"] == pytest.approx(in_force.total, rel=1e-12)
    seen = im_on_date(SimmModel(version=row["first_to_see"]), book, market, date,
                      bind_date=bind)
    assert row["simm_first_to_see"] == pytest.approx(seen.total, rel=1e-12)
    assert row["ratio"] == pytest.approx(seen.total / in_force.total)
    assert row["lag_months"] > 0


def test_nothing_without_simm_in_force_or_an_episode(public) -> None:  # type: ignore[no-untyped-def]
    market, book, _ = public
    fixed = {"SIMM 2.6": SimmModel(version="2.6")}
    assert wants_simm_lag(fixed) is None
    assert simm_lag_analysis(market, book, fixed, bind_date=market.end) is None
    before = market.window(end="2015-12-31")
    assert simm_lag_analysis(before, book, IN_FORCE, bind_date=before.end) is None
