"""The product registry: each product declares its behaviour, documented and consistent."""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest

import imresearch.portfolio.products as products_module
from imresearch.errors import InputError
from imresearch.portfolio import PRODUCTS, TRADE_TYPES, Trade
from imresearch.portfolio.trades import PRODUCT_CLASSES, SCHEDULE_CLASSES
from imresearch.simm.parameters import VERSIONS, load_parameters

from .conftest import every_product


def test_every_product_is_registered_once_and_in_the_test_book():
    assert len(TRADE_TYPES) == len(PRODUCTS)
    assert {type(t) for t in every_product()} == set(PRODUCTS)


@pytest.mark.parametrize("cls", PRODUCTS, ids=lambda c: c.TYPE)
def test_each_product_declares_its_behaviour(cls):
    assert re.fullmatch(r"[a-z_]+", cls.TYPE)
    assert cls.RISK_CLASS in PRODUCT_CLASSES and cls.RISK_CLASS in SCHEDULE_CLASSES
    assert cls.bind is not Trade.bind
    fields = {f.name: f for f in dataclasses.fields(cls)}
    if cls.END_FIELD is not None:
        assert "Timestamp" in str(fields[cls.END_FIELD].type)
    assert (cls.BUCKET_TABLE is None) == (not cls.BUCKETS) == ("bucket" not in fields)
    assert cls.DIRECTIONS[0] != cls.DIRECTIONS[1]
    if cls.VEGA_RISK is not None:
        assert {"volatility", "vol_factor", "vol_scale"} <= set(fields)


def test_bucket_lists_are_those_of_every_simm_version():
    # the newest version's buckets; older versions have no others (1.0 and 1.3: no equity
    # volatility-index bucket 12, no commodity-index bucket 17)
    tables = {"equity": "equity", "credit": "credit_qualifying", "commodity": "commodity"}
    for version in VERSIONS:
        params = load_parameters(version)
        for cls in PRODUCTS:
            if cls.BUCKET_TABLE:
                buckets = getattr(params, tables[cls.BUCKET_TABLE]).buckets
                assert set(buckets) <= set(cls.BUCKETS), version
                if version == VERSIONS[-1]:
                    assert cls.BUCKETS == tuple(buckets)


def test_registry_docstring_lists_every_type_and_field():
    doc = products_module.__doc__
    common = {"trade_id", "counterparty", "netting_set", "counterparty_group", "prime_broker"}
    for cls in PRODUCTS:
        assert re.search(rf"^{cls.TYPE}\s+:class:`{cls.__name__}`", doc, re.M), cls.TYPE
        block = doc.split(f"``{cls.TYPE}``\n", 1)[1].split("\n``", 1)[0]
        named = set(re.findall(r"[a-z_]+", block))
        required = {f.name for f in dataclasses.fields(cls)
                    if f.default is dataclasses.MISSING} - common
        for f in dataclasses.fields(cls):
            if f.name not in common:
                assert f.name in named, (cls.TYPE, f.name)
                assert (f"{f.name}*" in block) == (f.name in required), (cls.TYPE, f.name)


def test_bad_simm_bucket_is_a_trade_error_with_the_valid_values():
    from imresearch.portfolio import CommodityForward, EquityPosition

    with pytest.raises(InputError, match=r"trade 'e', field 'bucket': not a SIMM equity bucket "
                                         r"\(1\.\.12 or Residual\); got '13'"):
        EquityPosition(trade_id="e", underlying="X", quantity=1, bucket="13")
    with pytest.raises(InputError, match=r"commodity bucket \(1\.\.17\); got 'Residual'"):
        CommodityForward(trade_id="c", underlying="WTI", quantity=1, strike=1,
                         maturity="2030-01-01", bucket="Residual")
    assert EquityPosition(trade_id="e", underlying="X", quantity=1, bucket=" residual ").bucket \
        == "Residual"


def test_end_dates_risk_and_product_classes():
    book = {t.trade_id: t for t in every_product()}
    assert book["p1"].end_date is None
    assert book["o1"].end_date == pd.Timestamp("2026-12-31")
    assert book["irs1"].end_date == book["irs1"].maturity
    got = {tid: (t.RISK_CLASS, t.product_class, t.schedule_class) for tid, t in book.items()}
    assert got["trs1"] == ("equity", "Equity", "Equity")
    assert got["fx1"] == ("FX", "RatesFX", "FX")
    assert got["irs1"] == ("IR", "RatesFX", "Rates")
    assert got["cds1"] == ("credit", "Credit", "Credit")
    assert got["c2"] == ("commodity", "Commodity", "Commodity")
