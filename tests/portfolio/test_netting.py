"""Netting structure: counterparty groups on trades, files, splits and the checked structure."""

from __future__ import annotations

import numpy as np
import pytest

from imresearch.errors import InputError
from imresearch.portfolio import FXForward, Portfolio, load_portfolio, save_portfolio
from imresearch.portfolio.netting import netting_structure


def _fx(tid: str, cp: str, ns: str, group: str = "") -> FXForward:
    return FXForward(trade_id=tid, pair="EURUSD", notional=1e7, strike=1.1,
                     maturity="2027-06-30", counterparty=cp, netting_set=ns,
                     counterparty_group=group)


BOOK = Portfolio((_fx("f1", "BANK_A_LDN", "A_LDN", "BANK_A"), _fx("f2", "FUND", "FUND_1"),
                  _fx("f3", "BANK_A_NY", "A_NY", "BANK_A"), _fx("f4", "FUND", "FUND_1")),
                 "book")


def test_group_defaults_to_the_counterparty():
    assert BOOK["f2"].counterparty_group == "FUND"
    assert BOOK["f1"].counterparty_group == "BANK_A"
    assert FXForward(trade_id="x", pair="EURUSD", notional=1, strike=1, maturity="2027-01-01"
                     ).counterparty_group == ""


@pytest.mark.parametrize("suffix", [".csv", ".toml"])
def test_file_round_trip_writes_a_group_only_when_it_differs(tmp_path, suffix):
    path = save_portfolio(BOOK, tmp_path / f"book{suffix}")
    text = path.read_text()
    assert text.count("BANK_A") == 4 and "FUND_1" in text  # 2 groups + 2 counterparties
    back = load_portfolio(path)
    assert [t.counterparty_group for t in back] == ["BANK_A", "FUND", "BANK_A", "FUND"]
    assert back.trades == BOOK.trades


def test_split_by_netting_set_counterparty_and_group():
    assert list(BOOK.split("counterparty_group")) == ["BANK_A", "FUND"]
    assert [len(p) for p in BOOK.split("netting_set").values()] == [1, 2, 1]
    parts = BOOK.split("counterparty")
    assert parts["FUND"].trades[0] is BOOK["f2"]  # the same trade objects, not copies


def test_structure_table_and_codes():
    s = netting_structure(BOOK)
    assert list(s.netting_sets) == ["A_LDN", "FUND_1", "A_NY"]
    assert list(s.table["group"]) == ["BANK_A", "FUND", "BANK_A"]
    assert list(s.table["n_trades"]) == [1, 2, 1]
    np.testing.assert_array_equal(s.codes, [0, 1, 2, 1])
    np.testing.assert_array_equal(s.order, [0, 1, 3, 2])
    assert list(s.members("BANK_A")) == ["A_LDN", "A_NY"]


def test_structure_errors_name_the_trades():
    with pytest.raises(InputError, match=r"trade 'x', field 'counterparty': missing"):
        netting_structure([_fx("x", "", "NS")])
    with pytest.raises(InputError, match=r"netting set 'NS': trades of two counterparties "
                                         r"\('A' in trade 'x', 'B' in trade 'y'\)"):
        netting_structure([_fx("x", "A", "NS"), _fx("y", "B", "NS")])
    with pytest.raises(InputError, match=r"no trades"):
        netting_structure([])
