"""Fuzzing the market-data readers: whatever the file, the only exception is InputError.

Random bytes, CSV-like text built from hostile pieces (line ends, byte-order marks, blank and
duplicate headers, time zones, non-UTF-8 bytes, quotes, NUL, fields too many or too few,
1e-320, 1e400, inf, text in numbers) and random Parquet tables go through ``load_csv`` /
``load_parquet`` with random options. A read either gives a valid history (finite levels,
strictly increasing dates) or raises a one-line :class:`~imresearch.errors.InputError`; no other
exception and no warning escapes. Runs in well under a minute.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.marketdata import FactorSpec, load_csv, load_parquet

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

DATES = st.sampled_from([
    "2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07", "2020-01-08", "03/01/2020",
    "2020-01-02T10:00:00+05:00", "2020-01-03 23:00-03:00", "2020-01-06Z", "1/7/20", "",
    "not a date", "2020-13-45", "99999-01-01", "1677-01-01", "2020-02-30", "  2020-01-09 ",
    "2021-06-01", "2020-01-02",
])
NUMBERS = st.sampled_from([
    "1", "2.5", "-3", "1.5", "2", "3.25", "4", "101.5", "99", "1e-320", "1e400", "-1e308",
    "1e308", "inf", "-inf", "nan", "NA", "", ".", "abc", "1,5", "1.000,5", " 7 ", "0", "-0",
    "1e-300", '"4"', "5%", "null", "\u00e9",
])
LINE_ENDS = st.sampled_from(["\n", "\r\n", "\r"])
NAMES = st.sampled_from(["date", "Date", "value", "factor", "a", "b", "", " ", "a", "x\u00e9",
                         "series_id", "Close"])


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    n_cols = draw(st.sampled_from([1, 2, 2, 3, 3, 4]))
    if draw(st.integers(0, 3)):  # mostly a plausible header
        header = ["date", *draw(st.lists(NAMES.filter(lambda n: n.strip().lower() != "date"),
                                          min_size=n_cols - 1, max_size=n_cols - 1,
                                          unique=True))]
    else:
        header = [draw(NAMES) for _ in range(n_cols)]
    end = draw(LINE_ENDS)
    lines = [",".join(header)]
    days = pd.bdate_range("2020-01-01", periods=12).strftime("%Y-%m-%d")
    for k in range(draw(st.integers(0, 8))):
        width = n_cols + draw(st.sampled_from([0, 0, 0, 0, 0, 0, 1, -1]))
        date = days[k] if draw(st.integers(0, 4)) else draw(DATES)
        cells = [date] + [draw(NUMBERS) for _ in range(max(width - 1, 0))]
        if draw(st.booleans()) and n_cols > 2:
            cells[1] = draw(st.sampled_from(["a", "b", ""]))  # a factor key for long files
        lines.append(",".join(cells[:max(width, 0)]))
        if draw(st.integers(0, 9)) == 0:
            lines.append("")
    text = end.join(lines) + draw(st.sampled_from(["", end, end + end]))
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1"])), "replace")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 19)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\x00", b"\xff", b'"', b"\xe9"])) + data[at:]
    return data


OPTIONS = st.fixed_dictionaries({}, optional={
    "layout": st.sampled_from(["wide", "long"]),
    "gap_policy": st.sampled_from(["error", "drop", "ffill"]),
    "date_order": st.sampled_from(["auto", "ascending", "descending"]),
    "max_gap": st.sampled_from([1, 10, "none"]),
    "drop_empty_rows": st.booleans(),
    "trim": st.booleans(),
    "decimal": st.sampled_from([".", ","]),
    "factors": st.sampled_from([FactorSpec("other", "absolute"), FactorSpec("equity", "log")]),
})


def _outcome(read, *args, **kwargs) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            history = read(*args, **kwargs)
        except InputError as exc:
            assert "\n" not in str(exc), str(exc)
            history = None
    assert not caught, [str(w.message) for w in caught]
    if history is not None:
        assert np.isfinite(history.values).all()
        assert history.dates.is_monotonic_increasing and history.dates.is_unique


@FAST
@given(data=st.binary(max_size=600), options=OPTIONS)
def test_random_bytes(tmp_path_factory, data: bytes, options: dict) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "file.csv"
    path.write_bytes(data)
    _outcome(load_csv, path, **options)


@FAST
@given(data=csv_bytes(), options=OPTIONS, compressed=st.booleans())
def test_hostile_csv(tmp_path_factory, data: bytes, options: dict, compressed: bool) -> None:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    path = folder / ("file.csv.gz" if compressed else "file.csv")
    path.write_bytes(gzip.compress(data) if compressed else data)
    _outcome(load_csv, path, **options)


COLUMN = st.sampled_from(["float", "inf", "tiny", "text", "bool", "int", "dates", "tzdates",
                          "nan"])


@st.composite
def parquet_frame(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(0, 6))
    dates = pd.bdate_range("2020-01-01", periods=n)
    columns = {}
    for i in range(draw(st.integers(1, 3))):
        kind = draw(COLUMN)
        columns[f"c{i}"] = {
            "float": np.linspace(1.0, 2.0, n),
            "inf": np.r_[np.inf, np.ones(max(n - 1, 0))][:n],
            "tiny": np.r_[1e-320, np.ones(max(n - 1, 0))][:n],
            "text": np.array(["1", "x", ""] * n, dtype=object)[:n],
            "bool": np.ones(n, dtype=bool),
            "int": np.arange(n),
            "dates": dates,
            "tzdates": dates.tz_localize("Europe/Paris"),
            "nan": np.full(n, np.nan),
        }[kind]
    frame = pd.DataFrame(columns)
    if draw(st.booleans()) and n:
        frame.index = pd.DatetimeIndex(draw(st.sampled_from([dates, dates[::-1]])), name="date")
    return frame


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(frame=parquet_frame(), options=OPTIONS)
def test_random_parquet(tmp_path_factory, frame: pd.DataFrame, options: dict) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "file.parquet"
    frame.to_parquet(path)
    options.pop("decimal", None)
    _outcome(load_parquet, path, **options)


@FAST
@given(data=st.binary(max_size=300))
def test_random_bytes_as_parquet(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "file.parquet"
    path.write_bytes(b"PAR1" + data + b"PAR1" if data[:1] == b"P" else data)
    _outcome(load_parquet, path)
