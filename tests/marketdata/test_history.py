"""RiskFactorHistory: construction, validation and gap policies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import FactorSpec, RiskFactorHistory, tenor_to_years

DATES = pd.bdate_range("2020-01-01", periods=8)


def frame(**cols: list[float]) -> pd.DataFrame:
    return pd.DataFrame(cols, index=DATES[: len(next(iter(cols.values())))])


def test_levels_are_float64_dataframe_indexed_by_date() -> None:
    h = RiskFactorHistory(frame(a=[1, 2, 3], b=[4, 5, 6]), FactorSpec("equity"), name="x")
    assert isinstance(h.levels, pd.DataFrame)
    assert isinstance(h.levels.index, pd.DatetimeIndex)
    assert h.levels.index.name == "date"
    assert h.values.dtype == np.float64 and h.values.flags.c_contiguous
    assert not h.values.flags.writeable
    assert h.factor_names == ["a", "b"]
    assert h.n_dates == 3 and h.n_factors == 2
    assert h.metadata.loc["a", "risk_class"] == "equity"


def test_string_dates_and_numeric_strings_are_converted() -> None:
    df = pd.DataFrame({"a": ["1.5", "2.5"]}, index=["2020-01-02", "2020-01-03"])
    h = RiskFactorHistory(df)
    assert h.levels["a"].tolist() == [1.5, 2.5]
    assert h.start == pd.Timestamp("2020-01-02")


@pytest.mark.parametrize(
    ("index", "message"),
    [
        (["2020-01-03", "2020-01-02", "2020-01-06"], r"line 3, date 2020-01-02.*not in increasing"),
        (["2020-01-02", "2020-01-02", "2020-01-03"], r"line 3, date 2020-01-02.*duplicate date"),
        (["2020-01-02", "not a date", "2020-01-03"], r"line 3.*cannot read date 'not a date'"),
    ],
)
def test_bad_dates_name_file_and_line(index: list[str], message: str) -> None:
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=index)
    with pytest.raises(InputError, match=rf"prices\.csv, {message}"):
        RiskFactorHistory(df, source="prices.csv", lines=[2, 3, 4])


def test_text_in_numeric_column_is_named() -> None:
    df = frame(a=[1.0, 2.0, 3.0], b=["1", "oops", "3"])
    with pytest.raises(InputError, match=r"date 2020-01-02, column 'b': not a number: 'oops'"):
        RiskFactorHistory(df)


def test_infinite_values_are_rejected_whatever_the_policy() -> None:
    df = frame(a=[1.0, np.inf, 3.0])
    for policy in ("error", "drop", "ffill"):
        with pytest.raises(InputError, match="infinite value"):
            RiskFactorHistory(df, gap_policy=policy)


def test_nan_rejected_by_default_with_location() -> None:
    df = frame(a=[1.0, 2.0, 3.0], b=[1.0, np.nan, 3.0])
    with pytest.raises(InputError, match=r"date 2020-01-02, column 'b': missing value"):
        RiskFactorHistory(df)


def test_gap_policy_drop_removes_dates_and_reports_them() -> None:
    df = frame(a=[1.0, 2.0, 3.0, 4.0], b=[1.0, np.nan, 3.0, 4.0])
    h = RiskFactorHistory(df, gap_policy="drop")
    assert h.n_dates == 3
    assert list(h.gap_report.dropped_dates) == [DATES[1]]


def test_gap_policy_ffill_is_bounded() -> None:
    df = frame(a=[1.0, np.nan, np.nan, 4.0, 5.0])
    h = RiskFactorHistory(df, gap_policy="ffill", max_ffill=2)
    assert h.levels["a"].tolist() == [1.0, 1.0, 1.0, 4.0, 5.0]
    assert h.gap_report.n_filled == 2
    with pytest.raises(InputError, match=r"gap longer than max_ffill=1"):
        RiskFactorHistory(df, gap_policy="ffill", max_ffill=1)
    lead = frame(a=[np.nan, 2.0, 3.0])
    with pytest.raises(InputError, match="no earlier value"):
        RiskFactorHistory(lead, gap_policy="ffill")


def test_non_positive_levels_rejected_for_log_and_relative() -> None:
    df = frame(a=[1.0, -2.0, 3.0])
    for conv in ("log", "relative"):
        with pytest.raises(InputError, match=r"column 'a': level -2.0 not allowed for a " + conv):
            RiskFactorHistory(df, FactorSpec("equity", conv), source="f.csv", lines=[2, 3, 4])
    RiskFactorHistory(df, FactorSpec("IR", "absolute"))  # fine for absolute shocks
    RiskFactorHistory(df, FactorSpec("IR", "displaced_relative", displacement=3.0))
    with pytest.raises(InputError, match="displacement"):
        RiskFactorHistory(df, FactorSpec("IR", "displaced_relative", displacement=2.0))


def test_empty_inputs_rejected() -> None:
    with pytest.raises(InputError, match="no dates"):
        RiskFactorHistory(pd.DataFrame({"a": []}))
    with pytest.raises(InputError, match="no factor columns"):
        RiskFactorHistory(pd.DataFrame(index=DATES[:2]))


def test_metadata_for_unknown_column_rejected() -> None:
    with pytest.raises(InputError, match=r"factor\(s\) \['zzz'\]"):
        RiskFactorHistory(frame(a=[1.0, 2.0]), {"zzz": FactorSpec()})


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"risk_class": "rates"}, "risk_class must be one of"),
        ({"convention": "sqrt"}, "convention must be one of"),
        ({"convention": "absolute_bp", "units": "USD"}, "needs units"),
        ({"displacement": -1.0}, "displacement"),
        ({"tenor": "ten years"}, "tenor must look like"),
    ],
)
def test_factor_spec_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        FactorSpec(**kwargs)


def test_tenor_to_years() -> None:
    assert tenor_to_years("2w") == pytest.approx(14 / 365)
    assert tenor_to_years("6m") == 0.5
    assert tenor_to_years("10Y") == 10.0


def test_select_window_combine_and_long_layout() -> None:
    h1 = RiskFactorHistory(frame(a=[1, 2, 3, 4.0], b=[5, 6, 7, 8.0]), name="one")
    h2 = RiskFactorHistory(
        pd.DataFrame({"c": [9.0, 10.0, 11.0]}, index=DATES[1:4]), FactorSpec("FX"), name="two"
    )
    assert h1.select(["b"]).factor_names == ["b"]
    with pytest.raises(InputError, match="unknown factor"):
        h1.select("zz")
    w = h1.window(DATES[1], DATES[2])
    assert list(w.dates) == list(DATES[1:3])
    with pytest.raises(InputError, match="no dates between"):
        h1.window("1990-01-01", "1990-02-01")
    both = RiskFactorHistory.combine([h1, h2])
    assert both.factor_names == ["a", "b", "c"] and both.n_dates == 3
    assert both.factors["c"].risk_class == "FX"
    with pytest.raises(InputError, match="missing value"):
        RiskFactorHistory.combine([h1, h2], how="outer")
    assert RiskFactorHistory.combine([h1, h2], how="outer", gap_policy="drop").n_dates == 3
    long = h1.to_long()
    assert list(long.columns) == ["date", "factor", "value"] and len(long) == 8
    assert h1 == RiskFactorHistory(h1.levels, name="again")


def test_summary_and_calendar_gaps() -> None:
    idx = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-20", "2020-01-21"])
    frame = pd.DataFrame({"a": [1.0, 1.1, 1.2, 1.3]}, index=idx)
    with pytest.raises(InputError, match=r"date 2020-01-20: no data for 12 business days since "
                                         r"2020-01-02 \(longer than max_gap=10\)"):
        RiskFactorHistory(frame)
    h = RiskFactorHistory(frame, max_gap=None)
    gaps = h.calendar_gaps()
    assert len(gaps) == 1 and gaps.loc[0, "from"] == idx[1]
    assert h.gap_report.bridged.to_dict("list") == {
        "from": [idx[1]], "to": [idx[2]], "business_days": [12]}
    assert RiskFactorHistory(frame, max_gap=12).gap_report.n_bridged == 1
    s = h.summary()
    assert s.loc["a", "last_level"] == 1.3
    assert s.loc["a", "daily_shock_std"] > 0
