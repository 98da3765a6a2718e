"""Euler, incremental and standalone SIMM allocation to trades."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import simm
from imresearch.simm.allocation import simm_allocation
from tests.simm._builders import crif, eq, ir


def _portfolio() -> pd.DataFrame:
    return crif(
        {**ir("USD", "5y", 1000.0), "TradeID": "A"},
        {**ir("USD", "10y", -600.0), "TradeID": "B"},
        {**eq("X", "3", 2000.0), "TradeID": "C"},
        {**eq("X", "3", 500.0, "Risk_EquityVol", "1y"), "TradeID": "C"},
        {**ir("EUR", "2y", 300.0), "TradeID": "D", "ProductClass": "Equity"},
    )


@pytest.mark.parametrize("mpor", [10, 1])
def test_euler_contributions_sum_to_total(mpor: int) -> None:
    rows = _portfolio()
    allocation = simm_allocation(rows, mpor_days=mpor)
    alloc = allocation.by_trade
    total = simm(rows, mpor_days=mpor).total
    assert allocation.total == pytest.approx(total)
    assert alloc["euler"].sum() == pytest.approx(total, rel=1e-7)
    assert allocation.unallocated == pytest.approx(total - alloc["euler"].sum())
    assert list(alloc.index) == ["A", "B", "C", "D"]


def test_incremental_and_standalone() -> None:
    rows = _portfolio()
    allocation = simm_allocation(rows, side="post")
    alloc = allocation.by_trade
    for trade in alloc.index:
        without = simm(rows[rows["TradeID"] != trade], side="post").total
        alone = simm(rows[rows["TradeID"] == trade], side="post").total
        assert alloc.loc[trade, "incremental"] == pytest.approx(allocation.total - without)
        assert alloc.loc[trade, "standalone"] == pytest.approx(alone)
    # a hedge lowers the margin: negative incremental and Euler contribution
    assert alloc.loc["B", "incremental"] < 0 and alloc.loc["B", "euler"] < 0


def test_euler_single_trade_is_its_margin() -> None:
    rows = _portfolio()
    one = rows[rows["TradeID"] == "C"]
    alloc = simm_allocation(one).by_trade
    assert alloc.loc["C", "euler"] == pytest.approx(simm(one).total, rel=1e-7)


def test_allocation_errors() -> None:
    with pytest.raises(InputError, match="by='Desk'"):
        simm_allocation(_portfolio(), by="Desk")
    with pytest.raises(InputError, match="relative_step"):
        simm_allocation(_portfolio(), relative_step=0.0)
    with pytest.raises(InputError, match="no CRIF row has a value"):
        simm_allocation(_portfolio().drop(columns="TradeID"))
