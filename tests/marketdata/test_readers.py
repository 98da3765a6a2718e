"""load_csv / load_parquet on small files written to tmp_path: options, presets, bad input."""

from __future__ import annotations

import bz2
import gzip
import lzma
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata import FactorSpec, RiskFactorHistory
from imresearch.marketdata.readers import DEFAULT_NA_VALUES, load_csv, load_parquet

EQ = FactorSpec("equity", "log", "index points", "USD")


def write(tmp_path: Path, text: str, name: str = "prices.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def msg(*parts: str) -> str:
    """Regex matching a message that contains every part, in order."""
    return ".*".join(re.escape(p) for p in parts)


# ---------------------------------------------------------------------- basics
def test_wide_file_reads_dates_values_source_and_name(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A,B\n2020-01-02,1.5,10\n2020-01-03,1.6,11\n2020-01-06,1.7,12\n")
    h = load_csv(path, factors={"A": EQ})
    assert isinstance(h, RiskFactorHistory)
    assert h.factor_names == ["A", "B"]
    assert list(h.dates) == list(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]))
    np.testing.assert_array_equal(h.values, [[1.5, 10], [1.6, 11], [1.7, 12]])
    assert h.source == str(path) and h.name == "prices.csv"
    assert h.factors["A"] == EQ and h.factors["B"] == FactorSpec()


def test_name_option(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-02,1\n")
    assert load_csv(path, name="my data").name == "my data"


@pytest.mark.parametrize("header", ["date", "Date", "DATE", "Data", "timestamp", "TimeStamp"])
def test_date_column_is_detected_by_name(tmp_path: Path, header: str) -> None:
    path = write(tmp_path, f"x,{header}\n1.0,2020-01-02\n2.0,2020-01-03\n")
    h = load_csv(path)
    assert h.factor_names == ["x"] and h.n_dates == 2


def test_date_column_defaults_to_first_column(tmp_path: Path) -> None:
    path = write(tmp_path, "when,x\n2020-01-02,1\n2020-01-03,2\n")
    assert load_csv(path).factor_names == ["x"]


def test_first_column_that_is_not_a_date_names_the_columns_found(tmp_path: Path) -> None:
    path = write(tmp_path, "price,x\n1.0,2\n")
    with pytest.raises(InputError, match=msg(str(path), "line 2", "'price'", "'1.0'",
                                             "columns found", "price", "x")):
        load_csv(path)


def test_missing_named_date_column_names_file_and_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "day,x\n2020-01-02,1\n")
    with pytest.raises(InputError, match=msg(str(path), "no date column 'Date'", "columns found",
                                             "day", "x")):
        load_csv(path, date_column="Date")


def test_columns_list_selects_and_dict_renames(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A,B,C\n2020-01-02,1,2,3\n2020-01-03,4,5,6\n")
    assert load_csv(path, columns=["C", "A"]).factor_names == ["C", "A"]
    h = load_csv(path, columns={"B": "bee"}, factors={"bee": EQ})
    assert h.factor_names == ["bee"] and h.levels["bee"].tolist() == [2.0, 5.0]
    with pytest.raises(InputError, match=msg(str(path), "no column 'D'", "A", "B", "C")):
        load_csv(path, columns=["D"])


def test_factor_metadata_by_pattern(tmp_path: Path) -> None:
    """Metadata keys may be shell-style patterns: a factor's own name wins, then the first
    matching pattern; a pattern matching no column is an error naming it."""
    path = write(tmp_path, "date,IR_USD_1y,IR_USD_5y,IR_EUR_5y,EQ_SPX\n"
                 "2020-01-02,1.5,-0.1,0.2,3000\n2020-01-03,1.6,-0.2,0.1,3010\n")
    rate = FactorSpec("IR", "absolute_bp", "percent", "USD")
    eur = FactorSpec("IR", "absolute_bp", "percent", "EUR")
    h = load_csv(path, factors={"IR_USD_*": rate, "IR_*": eur, "IR_USD_1y": EQ})
    assert h.factors["IR_USD_1y"] == EQ and h.factors["IR_USD_5y"] == rate
    assert h.factors["IR_EUR_5y"] == eur and h.factors["EQ_SPX"] == FactorSpec()
    with pytest.raises(InputError, match=msg("metadata given for factor(s) ['IR_JPY_*']")):
        load_csv(path, factors={"IR_*": rate, "IR_JPY_*": rate})


def test_unnamed_index_column_is_not_a_factor(tmp_path: Path) -> None:
    path = write(tmp_path, ",date,x\n0,2020-01-02,1\n1,2020-01-03,2\n")
    assert load_csv(path).factor_names == ["x"]


def test_duplicate_header_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "date,x,x\n2020-01-02,1,2\n")
    with pytest.raises(InputError, match=msg(str(path), "line 1", "'x'", "duplicate column")):
        load_csv(path)


# ---------------------------------------------------------------------- bad input
def test_text_in_numeric_column_names_file_line_column_value(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A,B\n2020-01-02,1,2\n2020-01-03,1.1,oops\n")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2020-01-03", "'B'",
                                             "not a number", "'oops'")):
        load_csv(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(InputError, match=msg(str(path), "empty file")):
        load_csv(path)


def test_header_only_file_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n")
    with pytest.raises(InputError, match=msg(str(path), "no data rows")):
        load_csv(path)
    path = write(tmp_path, "date,A\n\n\n", "blank.csv")
    with pytest.raises(InputError, match=msg(str(path), "no data rows")):
        load_csv(path)


def test_missing_value_without_gap_policy_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A,B\n2020-01-02,1,2\n2020-01-03,1.1,\n2020-01-06,1.2,2.2\n")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2020-01-03", "'B'",
                                             "missing value", "gap_policy")):
        load_csv(path)
    dropped = load_csv(path, gap_policy="drop")
    assert dropped.n_dates == 2 and dropped.gap_report.n_dropped == 1
    filled = load_csv(path, gap_policy="ffill")
    assert filled.levels["B"].tolist() == [2.0, 2.0, 2.2] and filled.gap_report.n_filled == 1


@pytest.mark.parametrize("marker", ["", ".", "ND", "NA", "N/A", "#N/A", "null", "nan", "NaN"])
def test_default_missing_value_markers(tmp_path: Path, marker: str) -> None:
    path = write(tmp_path, f"date,A\n2020-01-02,1\n2020-01-03,{marker}\n2020-01-06,3\n")
    assert load_csv(path, gap_policy="drop").levels["A"].tolist() == [1.0, 3.0]


def test_na_values_option_replaces_the_markers(tmp_path: Path) -> None:
    assert {"", ".", "ND", "NA", "N/A", "#N/A", "null", "nan"} <= set(DEFAULT_NA_VALUES)
    path = write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,-999\n2020-01-06,NA\n")
    with pytest.raises(InputError, match=msg("line 4", "not a number", "'NA'")):
        load_csv(path, na_values=["-999"], gap_policy="drop")
    path = write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,-999\n", "b.csv")
    assert load_csv(path, na_values=["-999"], gap_policy="drop").n_dates == 1


def test_one_row_out_of_order_names_line_and_date(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,A\n2020-01-02,1\n2020-01-03,2\n2020-01-08,3\n2020-01-06,4\n2020-01-09,5\n",
    )
    with pytest.raises(InputError, match=msg(str(path), "line 5", "date 2020-01-06",
                                             "out of order", "line 4", "2020-01-08")):
        load_csv(path)


def test_descending_file_with_one_row_out_of_order(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-09,1\n2020-01-08,2\n2020-01-10,3\n2020-01-06,4\n")
    with pytest.raises(InputError, match=msg("line 4", "date 2020-01-10", "out of order",
                                             "mostly descending")):
        load_csv(path)


def test_duplicate_dates_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,2\n2020-01-03,3\n")
    with pytest.raises(InputError, match=msg(str(path), "line 4", "date 2020-01-03",
                                             "duplicate date", "line 3")):
        load_csv(path)


def test_newest_first_file_is_sorted_and_lines_still_point_at_the_file(tmp_path: Path) -> None:
    text = "date,A\n2020-01-07,4\n2020-01-06,3\n2020-01-03,2\n2020-01-02,1\n"
    h = load_csv(write(tmp_path, text))
    assert h.levels["A"].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert h.dates.is_monotonic_increasing
    # a missing value on physical line 3 (2020-01-06) is reported there after the reordering
    path = write(tmp_path, "date,A\n2020-01-07,4\n2020-01-06,\n2020-01-03,2\n", "gap.csv")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2020-01-06", "'A'")):
        load_csv(path)
    path = write(tmp_path, "date,A\n2020-01-07,4\n2020-01-06,-3\n2020-01-03,2\n", "neg.csv")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2020-01-06", "'A'",
                                             "-3.0")):
        load_csv(path, factors=EQ)


def test_date_order_option(tmp_path: Path) -> None:
    desc = write(tmp_path, "date,A\n2020-01-03,2\n2020-01-02,1\n")
    asc = write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,2\n", "asc.csv")
    assert load_csv(desc, date_order="descending").levels["A"].tolist() == [1.0, 2.0]
    assert load_csv(asc, date_order="ascending").n_dates == 2
    with pytest.raises(InputError, match=msg("line 3", "strictly ascending")):
        load_csv(desc, date_order="ascending")
    with pytest.raises(InputError, match=msg("line 3", "strictly descending")):
        load_csv(asc, date_order="descending")
    with pytest.raises(InputError, match="date_order must be one of"):
        load_csv(asc, date_order="sideways")  # type: ignore[arg-type]


def test_negative_price_for_log_factor_names_file_line_column_value(tmp_path: Path) -> None:
    path = write(tmp_path, "date,WTI\n2020-04-17,18.27\n2020-04-20,-36.98\n2020-04-21,8.91\n")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2020-04-20", "'WTI'",
                                             "-36.98", "log factor")):
        load_csv(path, factors={"WTI": FactorSpec("commodity", "log")})
    # also when a gap policy later removes rows
    with pytest.raises(InputError, match=msg("line 3", "'WTI'", "-36.98")):
        load_csv(path, factors=FactorSpec("commodity", "log"), gap_policy="drop")
    h = load_csv(path, factors={"WTI": FactorSpec("commodity", "absolute")})
    assert h.levels["WTI"].min() == -36.98


def test_nonexistent_file_is_data_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "x.csv"
    with pytest.raises(DataNotFoundError, match=msg(str(path))):
        load_csv(path)
    with pytest.raises(DataNotFoundError, match=msg(str(path))):
        load_parquet(path)


def test_unreadable_date_names_line_and_hint(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-02,1\n2020-02-30,2\n")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "'date'", "2020-02-30")):
        load_csv(path)
    path = write(tmp_path, "date,A\n2020-01-02,1\n,2\n", "nodate.csv")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "missing date")):
        load_csv(path)


def test_too_many_fields_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-02,1\n2020-01-03,2,3\n")
    with pytest.raises(InputError, match=msg(str(path), "line 3", "3 fields", "header has 2")):
        load_csv(path)


def test_blank_lines_keep_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "date,A\n2020-01-02,1\n\n2020-01-03,x\n\n")
    with pytest.raises(InputError, match=msg("line 4", "'x'")):
        load_csv(path)
    path = write(tmp_path, "date,A\n2020-01-02,1\n\n2020-01-03,2\n", "ok.csv")
    assert load_csv(path).n_dates == 2


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("date,A\n2020-01-02,1\n2020-01-03,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError, match=msg(str(path), "line 3", "decode")):
        load_csv(path)
    with pytest.raises(InputError, match=msg("line 3", "not a number", "'café'")):
        load_csv(path, encoding="latin-1")


# ---------------------------------------------------------------------- formats and options
@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.xz", ".csv.bz2"])
def test_compressed_files_are_read_transparently(tmp_path: Path, suffix: str) -> None:
    data = b"date,A\n2020-01-02,1\n2020-01-03,x\n"
    opener = {".csv.gz": gzip.open, ".csv.xz": lzma.open, ".csv.bz2": bz2.open}[suffix]
    path = tmp_path / f"p{suffix}"
    with opener(path, "wb") as handle:
        handle.write(data.replace(b",x", b",2"))
    h = load_csv(path)
    assert h.levels["A"].tolist() == [1.0, 2.0] and h.name == f"p{suffix}"
    bad = tmp_path / f"bad{suffix}"
    with opener(bad, "wb") as handle:
        handle.write(data)
    with pytest.raises(InputError, match=msg(str(bad), "line 3", "'x'")):
        load_csv(bad)


def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfDate,Value\r\n2020-01-02,1\r\n2020-01-03,2\r\n")
    h = load_csv(path)
    assert h.factor_names == ["Value"] and h.n_dates == 2


def test_decimal_comma_delimiter_and_thousands(tmp_path: Path) -> None:
    path = write(tmp_path, "Datum;DAX\n02.01.2020;13.385,93\n03.01.2020;13.219,14\n")
    h = load_csv(path, delimiter=";", decimal=",", thousands=".", date_format="%d.%m.%Y")
    assert h.levels["DAX"].tolist() == [13385.93, 13219.14]
    quoted = write(tmp_path, 'date,x\n2020-01-02,"1,5"\n2020-01-03,"2,25"\n', "q.csv")
    assert load_csv(quoted, decimal=",").levels["x"].tolist() == [1.5, 2.25]
    with pytest.raises(InputError, match=msg("line 2", "not a number", "13.385,93")):
        load_csv(path, delimiter=";", decimal=",", date_format="%d.%m.%Y")


def test_date_format_and_dayfirst(tmp_path: Path) -> None:
    path = write(tmp_path, "date,x\n02/01/2020,1\n03/01/2020,2\n13/01/2020,3\n")
    h = load_csv(path, dayfirst=True)
    assert list(h.dates.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03", "2020-01-13"]
    assert load_csv(path, date_format="%d/%m/%Y").dates.equals(h.dates)
    with pytest.raises(InputError, match=msg("line 4", "13/01/2020", "%m/%d/%Y")):
        load_csv(path, date_format="%m/%d/%Y")


def test_timestamps_with_time_and_zone_become_dates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Date,Close\n2021-03-12 00:00:00-05:00,1\n2021-03-15 00:00:00-04:00,2\n",
    )
    assert list(load_csv(path).dates.strftime("%Y-%m-%d")) == ["2021-03-12", "2021-03-15"]


def test_long_layout_with_composite_factor_key(tmp_path: Path) -> None:
    text = (
        "DATE,CURRENCY,TERM,VALUE\n"
        "2020-01-02,EUR,1Y,0.005\n2020-01-03,EUR,1Y,-0.006\n"
        "2020-01-02,USD-EUR,,1.12\n2020-01-03,USD-EUR,,1.11\n"
    )
    path = write(tmp_path, text)
    rate = FactorSpec("IR", "absolute_bp", "decimal", "EUR", "1y")
    h = load_csv(path, layout="long", factor_column=["CURRENCY", "TERM"], value_column="VALUE",
                 factors={"EUR_1Y": rate})
    assert h.factor_names == ["EUR_1Y", "USD-EUR"]
    assert h.levels.loc["2020-01-03", "USD-EUR"] == 1.11
    h = load_csv(path, layout="long", factor_column=["CURRENCY", "TERM"],
                 columns={"USD-EUR": "EURUSD"})
    assert h.factor_names == ["EURUSD"] and h.n_dates == 2
    with pytest.raises(InputError, match=msg(str(path), "line 3", "'EUR_1Y'", "-0.006",
                                             "log factor")):
        load_csv(path, layout="long", factor_column=["CURRENCY", "TERM"])


def test_long_layout_errors_name_lines(tmp_path: Path) -> None:
    dup = write(tmp_path, "date,factor,value\n2020-01-02,a,1\n2020-01-02,b,2\n2020-01-02,a,3\n")
    with pytest.raises(InputError, match=msg("line 4", "duplicate date for factor 'a'",
                                             "line 2")):
        load_csv(dup, layout="long")
    order = write(tmp_path, "date,factor,value\n2020-01-03,a,1\n2020-01-02,a,2\n"
                  "2020-01-02,b,1\n2020-01-03,b,2\n", "o.csv")
    with pytest.raises(InputError, match=msg("out of order of factor")):
        load_csv(order, layout="long")
    text = write(tmp_path, "date,factor,value\n2020-01-02,a,1\n2020-01-03,a,one\n", "t.csv")
    with pytest.raises(InputError, match=msg("line 3", "'value'", "'one'")):
        load_csv(text, layout="long")
    gap = write(tmp_path, "date,factor,value\n2020-01-02,a,1\n2020-01-03,a,2\n2020-01-02,b,1\n",
                "gap.csv")
    with pytest.raises(InputError, match=msg("date 2020-01-03", "'b'", "missing value")):
        load_csv(gap, layout="long")
    nofactor = write(tmp_path, "date,x,y\n2020-01-02,a,1\n", "nf.csv")
    with pytest.raises(InputError, match=msg("factor_column", "columns found")):
        load_csv(nofactor, layout="long")


def test_window_trim_and_row_filters(tmp_path: Path) -> None:
    text = (
        "date,a,b\n2020-01-01,,\n2020-01-02,1,\n2020-01-03,2,5\n2020-01-06,,\n"
        "2020-01-07,3,6\n2020-01-08,4,\n"
    )
    path = write(tmp_path, text)
    h = load_csv(path, trim=True, drop_empty_rows=True)
    assert list(h.dates.strftime("%d")) == ["03", "07"]
    assert load_csv(path, start="2020-01-07", end="2020-01-07").n_dates == 1
    assert load_csv(path, min_values=2).n_dates == 2
    with pytest.raises(InputError, match=msg(str(path), "no dates left")):
        load_csv(path, start="2021-01-01")


def test_bad_option_values(tmp_path: Path) -> None:
    path = write(tmp_path, "date,a\n2020-01-02,1\n")
    with pytest.raises(InputError, match="layout must be one of"):
        load_csv(path, layout="tall")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="decimal must be one of"):
        load_csv(path, decimal=";")
    with pytest.raises(InputError, match="format must be one of"):
        load_csv(path, format="bloomberg")
    with pytest.raises(InputError, match="delimiter must be a single character"):
        load_csv(path, delimiter=";;")
    with pytest.raises(InputError, match="max_ffill must be an integer"):
        load_csv(path, max_ffill=-1)


# ---------------------------------------------------------------------- presets
def test_fred_preset_plain_and_r_export(tmp_path: Path) -> None:
    plain = write(tmp_path, "DATE,DGS10\n1987-10-16,10.23\n1987-10-19,.\n1987-10-20,9.40\n",
                  "DGS10.csv")
    h = load_csv(plain, format="fred", gap_policy="drop")
    assert h.factor_names == ["DGS10"] and h.levels["DGS10"].tolist() == [10.23, 9.40]
    r_export = write(
        tmp_path,
        '"","date","series_id","value","realtime_start","realtime_end"\n'
        '"1",1987-10-16,"DGS10",10.23,2021-02-24,2021-02-24\n'
        '"2",1987-10-19,"DGS10",NA,2021-02-24,2021-02-24\n'
        '"3",1987-10-20,"DGS10",9.4,2021-02-24,2021-02-24\n',
        "10YEARS_DAILY.csv",
    )
    h = load_csv(r_export, format="fred", gap_policy="drop", columns={"DGS10": "UST10"})
    assert h.factor_names == ["UST10"] and h.levels["UST10"].tolist() == [10.23, 9.4]
    with pytest.raises(InputError, match=msg(str(r_export), "date 1987-10-19", "missing value")):
        load_csv(r_export, format="fred")


def test_yahoo_preset(tmp_path: Path) -> None:
    text = (
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-12-31,10,11,9,10.5,10.4,100\n"
        "2021-01-01,null,null,null,null,null,null\n"
        "2021-01-04,10.5,12,10,11.5,11.4,200\n"
    )
    path = write(tmp_path, text, "VIAC.csv")
    h = load_csv(path, format="yahoo")
    assert h.factor_names == ["VIAC"] and h.levels["VIAC"].tolist() == [10.5, 11.5]
    adj = load_csv(path, format="yahoo", field="Adj Close", columns=None)
    assert adj.levels["VIAC"].tolist() == [10.4, 11.4]
    assert load_csv(path, format="yahoo", columns={"Close": "X"}).factor_names == ["X"]
    gspc = write(tmp_path, "Date,Close,Volume\n2020-01-02,3257.85,0\n", "GSPC.csv")
    assert load_csv(gspc, format="yahoo").levels["GSPC"].tolist() == [3257.85]
    with pytest.raises(InputError, match=msg(str(gspc), "no column 'Adj Close'", "Close",
                                             "Volume")):
        load_csv(gspc, format="yahoo", field="Adj Close")


def test_investing_preset_rebuilds_decimal_comma_numbers(tmp_path: Path) -> None:
    text = (
        "\ufeffDate,Close,Open,High,Low,Change_pct\n"
        "01/09/2025,2,7464,2,7244,2,7584,2,7242,0,89%\n"
        "29/08/2025,2,7222,2,7010,2,7240,2,6930,-0,91%\n"
        "02/01/1986,1.006,2870,6,2870,6,2870,6,2870,0,00%\n"
    )
    path = write(tmp_path, text, "DE_10y.csv")
    h = load_csv(path, format="investing", max_gap="none")  # a 40-year hole, on purpose
    assert h.factor_names == ["DE_10y"] and h.gap_report.n_bridged == 1
    assert h.levels["DE_10y"].tolist() == [1006.287, 2.7222, 2.7464]
    assert list(h.dates.strftime("%Y-%m-%d")) == ["1986-01-02", "2025-08-29", "2025-09-01"]
    pct = load_csv(path, format="investing", field="Change_pct", max_gap="none",
                   factors=FactorSpec("other", "absolute"))
    assert pct.levels["DE_10y"].tolist() == [0.0, -0.91, 0.89]
    bad = write(tmp_path, "Date,Close,Open\n01/09/2025,2,7464,2\n", "bad.csv")
    with pytest.raises(InputError, match=msg(str(bad), "line 2", "4 fields", "5")):
        load_csv(bad, format="investing")


def test_treasury_preset_newest_first_two_digit_years(tmp_path: Path) -> None:
    text = (
        "Date,1 Mo,3 Mo,10 Yr\n12/31/24,4.4,4.37,4.58\n12/30/24,4.43,4.37,4.55\n"
        "1/3/90,,7.89,7.99\n1/2/90,,7.83,7.94\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError, match=msg(str(path), "line 3", "date 2024-12-30",
                                             "no data for 9128 business days")):
        load_csv(path, format="treasury", columns=["3 Mo", "10 Yr"])
    h = load_csv(path, format="treasury", columns=["3 Mo", "10 Yr"], max_gap="none")
    assert h.start == pd.Timestamp("1990-01-02") and h.end == pd.Timestamp("2024-12-31")
    assert h.levels["10 Yr"].tolist() == [7.94, 7.99, 4.55, 4.58]
    with pytest.raises(InputError, match=msg(str(path), "line 5", "date 1990-01-02", "'1 Mo'",
                                             "missing value")):
        load_csv(path, format="treasury")


# ---------------------------------------------------------------------- parquet
def test_parquet_wide_with_datetime_index(tmp_path: Path) -> None:
    idx = pd.DatetimeIndex(pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-06"]),
                           name="Date")
    frame = pd.DataFrame({"^GSPC": [1.0, np.nan, 3.0], "^N225": [4.0, 5.0, 6.0]}, index=idx)
    path = tmp_path / "panel.parquet"
    frame.to_parquet(path)
    h = load_parquet(path, gap_policy="ffill", columns={"^GSPC": "SPX"})
    assert h.factor_names == ["SPX"] and h.levels["SPX"].tolist() == [1.0, 1.0, 3.0]
    with pytest.raises(InputError, match=msg(str(path), "date 2020-01-03", "'^GSPC'",
                                             "missing value")):
        load_parquet(path)
    frame.iloc[2, 1] = -1.0
    frame.to_parquet(path)
    with pytest.raises(InputError, match=msg(str(path), "row 3", "'^N225'", "-1.0")):
        load_parquet(path, factors=EQ, columns=["^N225"])


def test_parquet_long_and_text_cells(tmp_path: Path) -> None:
    frame = pd.DataFrame({
        "date": ["2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"],
        "factor": ["a", "b", "a", "b"],
        "value": ["1.5", "2", "1.6", "two"],
    })
    path = tmp_path / "long.parquet"
    frame.to_parquet(path)
    with pytest.raises(InputError, match=msg(str(path), "row 4", "'value'", "'two'")):
        load_parquet(path, layout="long")
    frame.loc[3, "value"] = "2.5"
    frame.to_parquet(path)
    h = load_parquet(path, layout="long")
    np.testing.assert_array_equal(h.values, [[1.5, 2.0], [1.6, 2.5]])


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = write(tmp_path, "date,a\n", "x.parquet")
    with pytest.raises(InputError, match=msg(str(path), "cannot read as Parquet")):
        load_parquet(path)


# ---------------------------------------------------------------------- property
@st.composite
def wide_frames(draw: st.DrawFn) -> pd.DataFrame:
    n_dates = draw(st.integers(1, 25))
    n_factors = draw(st.integers(1, 4))
    offsets = draw(st.lists(st.integers(1, 5), min_size=n_dates, max_size=n_dates))
    dates = pd.Timestamp("1999-12-30") + pd.to_timedelta(np.cumsum(offsets), unit="D")
    values = draw(st.lists(
        st.floats(1e-6, 1e9, allow_nan=False, allow_infinity=False),
        min_size=n_dates * n_factors, max_size=n_dates * n_factors,
    ))
    names = [f"F{j}" for j in range(n_factors)]
    return pd.DataFrame(np.reshape(values, (n_dates, n_factors)), index=dates, columns=names)


@given(frame=wide_frames(), layout=st.sampled_from(["wide", "long"]), newest_first=st.booleans())
def test_written_csv_reads_back_equal(
    tmp_path_factory: pytest.TempPathFactory, frame: pd.DataFrame, layout: str,
    newest_first: bool,
) -> None:
    path = tmp_path_factory.mktemp("prop") / "levels.csv"
    table = frame.iloc[::-1] if newest_first else frame
    if layout == "wide":
        table.rename_axis("date").to_csv(path, date_format="%Y-%m-%d")
    else:
        long = table.rename_axis("date").reset_index().melt(
            id_vars="date", var_name="factor", value_name="value"
        )
        long.to_csv(path, index=False, date_format="%Y-%m-%d")
    h = load_csv(path, layout=layout, factors=EQ)  # type: ignore[arg-type]
    assert h.factor_names == list(frame.columns)
    assert h.dates.equals(pd.DatetimeIndex(frame.index, name="date").as_unit("ns"))
    np.testing.assert_array_equal(h.values, frame.to_numpy())


# ---------------------------------------------------------------------- hostile files (#17)
BAD_FILES = [
    (b"date,a\n2020-01-02,1,5\n2020-01-03,2\n", ("line 2: 3 fields where the header has 2",)),
    (b"date,a\n2020-01-02\n2020-01-03,2\n", ("line 2: 1 field where the header has 2",)),
    (b"date,a\n2020-01-02,1\n2020-01-03,caf\xe9\n",
     ("line 3, column 'a': cannot decode byte b'\\xe9' as UTF-8 in 'caf",)),
    (b"date,a\x00\n2020-01-02,1\n", ("line 1: NUL byte in the file",)),
    (b"", ("empty file (no header, no data)",)),
    (b"\xef\xbb\xbf", ("empty file (no header, no data)",)),
    (b"\n\n\n", ("empty file (no header, no data)",)),
    (b"\nxdate,a\n2020-01-02,1\n", ("line 1: empty header line",)),
    (b",,\n2020-01-02,1,2\n", ("line 1: empty header line",)),
    (b"date,a", ("no data rows (header only)",)),
    (b"date,a\n2020-01-02,1e400\n2020-01-03,2\n",
     ("line 2, date 2020-01-02, column 'a': value '1e400' is not a finite number",)),
    (b"date,a\n2020-01-02,1\n2020-01-03,-inf\n",
     ("line 3, date 2020-01-03, column 'a': value '-inf' is not a finite number",)),
    (b"date,a\n2020-01-02,1e-320\n2020-01-03,2\n",
     ("line 2, date 2020-01-02, column 'a': level 1e-320 and level 2.0 (line 3, date "
      "2020-01-03) are too far apart for log shocks",)),
    (b"date,a\n2020-01-02,1\n2020-07-01,2\n",
     ("line 3, date 2020-07-01: no data for 129 business days since 2020-01-02 (longer than "
      "max_gap=10)",)),
]


@pytest.mark.parametrize(("data", "parts"), BAD_FILES)
def test_hostile_files_are_one_line_errors(tmp_path: Path, data: bytes,
                                           parts: tuple[str, ...]) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pandas' ParserWarning (or any other) must not leak
        with pytest.raises(InputError, match=msg(str(path), *parts)) as info:
            load_csv(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
def test_line_ends_and_blank_lines_keep_physical_lines(tmp_path: Path, end: bytes) -> None:
    lines = [b"date,a", b"2020-01-02,1", b"", b"2020-01-03,2", b"2020-01-06,x"]
    path = tmp_path / "ends.csv"
    path.write_bytes(end.join(lines) + end)
    with pytest.raises(InputError, match=msg("line 5, date 2020-01-06, column 'a'",
                                             "not a number: 'x'")):
        load_csv(path)
    path.write_bytes(end.join(lines[:4]) + end)
    assert load_csv(path).levels["a"].tolist() == [1.0, 2.0]


def test_time_zones_are_dropped_for_daily_data(tmp_path: Path) -> None:
    # a date with a time and an offset is that calendar date (mixed offsets included)
    path = write(tmp_path, "date,a\n2020-01-02T23:00:00+05:00,1\n2020-01-03 10:00-03:00,2\n"
                           "2020-01-06,3\n")
    assert list(load_csv(path).dates.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03",
                                                               "2020-01-06"]


def test_blank_header_columns_are_not_factors(tmp_path: Path) -> None:
    path = write(tmp_path, ",date,a\n1,2020-01-02,1\n2,2020-01-03,2\n")  # R / pandas row numbers
    assert load_csv(path).factor_names == ["a"]
    assert load_csv(path, columns={"column_1": "n"}).factor_names == ["n"]


def test_quoted_line_breaks_keep_physical_lines(tmp_path: Path) -> None:
    path = write(tmp_path, 'date,a,note\n2020-01-02,1,"two\nlines"\n2020-01-03,x,""\n')
    with pytest.raises(InputError, match=msg("line 4, date 2020-01-03, column 'a'",
                                             "not a number: 'x'")):
        load_csv(path, columns=["a"])


def test_a_bridged_hole_is_recorded(tmp_path: Path) -> None:
    path = write(tmp_path, "date,a\n2020-01-02,1\n2020-07-01,2\n2020-07-02,3\n")
    history = load_csv(path, max_gap="none")
    assert history.gap_report.bridged.to_dict("list") == {
        "from": [pd.Timestamp("2020-01-02")], "to": [pd.Timestamp("2020-07-01")],
        "business_days": [129]}


def test_compressed_and_reencoded_files(tmp_path: Path) -> None:
    text = "date,a\n2020-01-02,1\n2020-01-03,caf\u00e9\n"
    path = tmp_path / "latin.csv.gz"
    path.write_bytes(gzip.compress(text.encode("latin-1")))
    with pytest.raises(InputError, match=msg(str(path), "line 3", "not a number: 'café'")):
        load_csv(path, encoding="latin-1")


def test_long_file_with_a_blank_record_has_no_phantom_date(tmp_path: Path) -> None:
    path = write(tmp_path, "date,factor,value\n2020-01-02,a,1\n,,\n2020-01-03,a,2\n")
    history = load_csv(path, layout="long")
    assert list(history.dates.strftime("%Y-%m-%d")) == ["2020-01-02", "2020-01-03"]
