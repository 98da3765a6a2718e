"""Fuzzing the CRIF reader: whatever a user feeds it, the only exception is a one-line InputError.

Files of random bytes and random CSV text, and tables of random values (numbers of every size,
NaN and infinities, text, blanks, other types) in CRIF-shaped columns go through ``read_crif``
and ``simm``; when they are accepted, SIMM is finite.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.simm import read_crif, simm, synthetic_crif
from imresearch.simm.crif import CRIF_COLUMNS, MAX_AMOUNT, PRODUCT_CLASSES, RISK_TYPES

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

_TEXT = st.one_of(
    st.sampled_from(["", " ", "USD", "EUR", "ZZZZ", "5y", "2w", "1", "12", "Residual", "OIS",
                     "Libor3m", "SIMM", "Schedule", "RatesFX", "Credit", "Equity", "EURUSD",
                     "ISIN:XS1", "nan", "inf", "-1e400", "1e160", "NaN", "None", ",", '"',
                     "\u00e9", "\x00"]),
    st.sampled_from(list(RISK_TYPES) + list(PRODUCT_CLASSES)),
    st.text(max_size=12),
)
_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e7, max_value=1e7),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0.0, 1e160, -1e160, 1e20, 1e21, float("nan")]),
)
_CELL = st.one_of(_TEXT, _NUMBER, st.none(), st.booleans())
_GOOD = st.one_of(st.floats(min_value=-1e20, max_value=1e20, allow_nan=False),
                  st.sampled_from([1.0, -2.5e6, 1e20, -1e20, 3e15]))
_AMOUNT = st.one_of(_GOOD, _GOOD, _GOOD, _GOOD, _GOOD, _CELL)  # mostly valid, so that SIMM runs too
_SAME = object()  # AmountUSD equal to Amount


def _check(source: object, tmp: Path | None = None) -> None:
    try:
        table = read_crif(source)  # type: ignore[arg-type]
        result = simm(source)  # type: ignore[arg-type]
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message, message
        return
    assert table["Amount"].notna().all() and table["AmountUSD"].notna().all()
    assert math.isfinite(result.total)
    assert np.isfinite(result.breakdown["InitialMargin"].to_numpy()).all()


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "crif.csv"
    path.write_bytes(data)
    _check(path)


@FUZZ
@given(columns=st.lists(st.sampled_from([*CRIF_COLUMNS, "RiskType", "amount_usd", "risk type",
                                         "X", ""]), min_size=1, max_size=8),
       rows=st.lists(st.lists(_TEXT, min_size=0, max_size=9), max_size=6))
def test_random_csv_text(tmp_path: Path, columns: list[str], rows: list[list[str]]) -> None:
    def quote(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v

    text = "\n".join([",".join(quote(c) for c in columns)]
                     + [",".join(quote(v) for v in row) for row in rows])
    path = tmp_path / "crif.csv"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    _check(path)


_VALID = [
    {"ProductClass": "RatesFX", "RiskType": "Risk_IRCurve", "Qualifier": "USD", "Bucket": "1",
     "Label1": "5y", "Label2": "OIS"},
    {"ProductClass": "Equity", "RiskType": "Risk_Equity", "Qualifier": "X", "Bucket": "5",
     "Label1": "", "Label2": ""},
    {"ProductClass": "RatesFX", "RiskType": "Risk_FX", "Qualifier": "EUR", "Bucket": "",
     "Label1": "", "Label2": ""},
    {"ProductClass": "Credit", "RiskType": "Risk_CreditQ", "Qualifier": "I", "Bucket": "2",
     "Label1": "5y", "Label2": ""},
]


@FUZZ
@given(base=st.lists(st.sampled_from(_VALID), min_size=1, max_size=5),
       amounts=st.lists(_AMOUNT, min_size=5, max_size=5),
       usd=st.lists(st.one_of(st.just(_SAME), st.just(_SAME), _AMOUNT), min_size=5,
                    max_size=5),
       ccy=st.lists(st.one_of(st.sampled_from(["USD", "USD", "", "EUR"]), _CELL), min_size=5,
                    max_size=5),
       poke=st.one_of(st.just({}), st.just({}), st.dictionaries(
           st.sampled_from(["ProductClass", "RiskType", "Qualifier", "Bucket", "Label1",
                            "Label2", "IMModel"]), _CELL, max_size=2)),
       drop=st.one_of(st.just(set()), st.just(set()),
                      st.sets(st.sampled_from(list(CRIF_COLUMNS)), max_size=2)))
def test_random_tables(base: list[dict], amounts: list, usd: list, ccy: list, poke: dict,
                       drop: set) -> None:
    rows = []
    for i, row in enumerate(base):
        r = dict(row)
        r.update(Amount=amounts[i], AmountUSD=amounts[i] if usd[i] is _SAME else usd[i],
                 AmountCurrency=ccy[i])
        if i == 0:
            r.update(poke)
        rows.append(r)
    frame = pd.DataFrame(rows)
    frame = frame.drop(columns=[c for c in drop if c in frame.columns])
    _check(frame)


def test_named_inputs_are_one_line_errors(tmp_path: Path) -> None:
    """The cases of issues #17 and #18, each named by file, row, column and value."""
    good = pd.DataFrame([{**_VALID[0], "Amount": 1000.0, "AmountCurrency": "USD",
                          "AmountUSD": 1000.0}])

    def written(frame: pd.DataFrame, name: str = "crif.csv") -> Path:
        path = tmp_path / name
        frame.to_csv(path, index=False)
        return path

    cases = {
        "amount 1e160": (good.assign(Amount=1e160, AmountUSD=1e160),
                         r"crif\.csv, line 2, column 'Amount': amount '1e\+160' is beyond"),
        "infinite": (good.assign(AmountUSD="inf"),
                     r"line 2, column 'AmountUSD': amount 'inf' is not a number"),
        "AmountUSD contradicts": (good.assign(AmountUSD=1200.0),
                                  r"line 2, column 'AmountUSD': AmountUSD 1200\.0 contradicts "
                                  r"Amount 1000\.0 in USD"),
        "currency ZZZZ": (good.assign(AmountCurrency="ZZZZ"),
                          r"line 2, column 'AmountCurrency': AmountCurrency 'ZZZZ' is not an "
                          r"ISO currency code"),
        "missing column": (good.drop(columns=["ProductClass"]),
                           r"crif\.csv, line 2: column ProductClass is missing \(Risk_IRCurve "
                           r"rows need it\)"),
    }
    for label, (frame, pattern) in cases.items():
        path = written(frame)
        try:
            simm(path)
        except InputError as exc:
            assert "\n" not in str(exc)
            assert re.search(pattern, str(exc)), (label, str(exc))
        else:
            raise AssertionError(f"{label}: accepted")
    path = written(good)
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0] + ",RiskType", text[1] + ",Risk_FX"]))
    _raises(path, r"crif\.csv, line 1: column 'RiskType' appears twice \(columns 2 and 10\)")
    path.write_bytes(text[0].encode() + b"\n" + text[1].replace("USD", "US\xe9").encode(
        "latin-1"))
    _raises(path, r"crif\.csv, line 2, field \d+: byte 0xe9 is not UTF-8 text")
    path.write_bytes(b"")
    _raises(path, r"crif\.csv: the file is empty")
    path.write_text(text[0] + "\n")
    _raises(path, r"crif\.csv: the file has a header row but no rows")
    with pytest.raises(InputError, match=r"fx_rates\['EUR'\] must be a positive"):
        read_crif(good.assign(AmountUSD=None, AmountCurrency="EUR"), fx_rates={"EUR": "x"})


def _raises(path: Path, pattern: str) -> None:
    try:
        simm(path)
    except InputError as exc:
        assert "\n" not in str(exc) and re.search(pattern, str(exc)), str(exc)
    else:
        raise AssertionError(f"{pattern}: accepted")


@FUZZ
@given(seed=st.integers(0, 2**32 - 1), log_scale=st.floats(-6.0, 25.0))
def test_valid_crifs_of_any_size_give_finite_simm(seed: int, log_scale: float) -> None:
    crif = synthetic_crif(3, 60, seed=seed)
    sens = crif["RiskType"].str.startswith("Risk_").to_numpy()
    scale = 10.0**log_scale / np.abs(crif.loc[sens, "AmountUSD"]).max()
    largest = np.abs(crif.loc[sens, ["Amount", "AmountUSD"]]).max().max()
    scale = min(scale, 0.999 * MAX_AMOUNT / largest)  # up to just below the bound
    crif.loc[sens, ["Amount", "AmountUSD"]] *= scale
    for side in ("call", "post"):
        result = simm(crif, side=side, group_by="PortfolioID")
        assert np.isfinite(result.totals.to_numpy()).all() and result.total >= 0
