"""Portfolio files as a hostile user writes them: every bad input is a one-line InputError that
names the file, the line or entry, the field and the value; hypothesis fuzzing of both readers,
in which the only exception allowed is InputError."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.portfolio import Portfolio, bind, load_portfolio
from imresearch.portfolio.portfolio import _toml_value
from imresearch.portfolio.products import trade_field_names

OPTION = ("type,trade_id,underlying,quantity,strike,expiry,option_type,volatility,bucket\n"
          "equity_option,O1,SPX,10,5000,2026-12-18,call,0.2,11\n")


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def fails(path: Path, *parts: str) -> str:
    with pytest.raises(InputError) as info:
        load_portfolio(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    for part in parts:
        assert part in message, (part, message)
    return message


# ---------------------------------------------------------------------- CSV
@pytest.mark.parametrize(("content", "parts"), [
    ("", ["empty file"]),
    ("# only a comment\n\n", ["empty file"]),
    ("type,trade_id,underlying,quantity\n", ["no trades"]),
    (b"type,trade_id,underlying,quantity\nequity_position,A,Soci\xe9t\xe9,3\n",
     ["line 2", "not UTF-8", "0xe9"]),
    (b"\xff\xfe" + "type,trade_id\n".encode("utf-16-le"), ["line 1", "not UTF-8"]),
    ("type,trade_id,,quantity\nequity_position,A,SPX,3\n",
     ["line 2", "column 3", "'SPX'", "blank column name"]),
    ("type,trade_id,quantity,quantity\nequity_position,A,3,4\n",
     ["line 1", "column 'quantity'", "duplicate column"]),
    ("trade_id,underlying\nA,SPX\n", ["line 1", "no 'type' column"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,3,7\n",
     ["line 2", "5 values for 4 columns", "'7'"]),
    ("type,trade_id,underlying,quantity\nswaption,A,SPX,3\n",
     ["line 2", "trade 'A'", "field 'type'", "unknown trade type 'swaption'", "irs"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,three\n",
     ["line 2", "trade 'A'", "field 'quantity'", "not a number: 'three'"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,1e300\n",
     ["line 2", "field 'quantity'", "at most 1e+15", "1e+300"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,inf\n",
     ["line 2", "field 'quantity'", "finite", "inf"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,nan\n",
     ["line 2", "field 'quantity'", "finite", "nan"]),
    ("type,trade_id,underlying,quantity,bucket\nequity_position,A,SPX,3,13\n",
     ["line 2", "trade 'A'", "field 'bucket'", "not a SIMM equity bucket", "'13'"]),
    (OPTION.replace("2026-12-18", "2026-02-30"), ["line 2", "field 'expiry'", "2026-02-30"]),
    (OPTION.replace("2026-12-18", "2606-12-18"),
     ["line 2", "field 'expiry'", "2606-12-18", "between 1900 and 2200"]),
    (OPTION.replace("2026-12-18", "99999-12-18"), ["line 2", "field 'expiry'", "99999"]),
    ("type,trade_id,currency,notional,fixed_rate,start_date,maturity\n"
     "irs,S,USD,1e6,4.5,2026-01-05,2031-01-05\n",
     ["line 2", "field 'fixed_rate'", "0.045 for 4.5%", "4.5"]),
    (OPTION.replace(",0.2", ",7.5"),
     ["line 2", "field 'volatility'", "0.2 for 20%", "7.5"]),
    ("type,trade_id,currency,notional,fixed_rate,start_date,maturity\n"
     "irs,S,USD,1e6,0.04,2031-01-05,2026-01-05\n",
     ["line 2", "field 'maturity'", "not after start_date"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,SPX,3\n# note\n"
     "equity_position,A,SPX,4\n", ["line 4", "trade 'A'", "duplicate", "first at line 2"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,\"SP\x00X\",3\n",
     ["line 2", "field 'underlying'", "control character", "SP\\x00X"]),
    ("type,trade_id,underlying,quantity\nequity_position,A,\"SP\nX\",3\n",
     ["line 2", "field 'underlying'", "control character"]),
    ("type,trade_id,underlying,quantity\nequity_position,\"A\x07\",SPX,3\n",
     ["line 2", "trade_id", "printable", "A\\x07"]),
])
def test_bad_csv_files(tmp_path, content, parts):
    fails(write(tmp_path, "book.csv", content), *parts)


def test_csv_comments_quotes_bom_and_line_endings(tmp_path):
    text = ("\ufeff# dealer book\r\ntype,trade_id,underlying,quantity,counterparty\r\n\r\n"
            'equity_position,"A,1",SPX,3,"Big, Bank"\r\n'
            "equity_position,B#2,SPX,4,\r\n")
    pf = load_portfolio(write(tmp_path, "book.csv", text))
    assert pf.trade_ids == ["A,1", "B#2"]
    assert pf["A,1"].counterparty == "Big, Bank"


# ---------------------------------------------------------------------- TOML
TRADE = ('[[trades]]\ntrade_id = "A"\ntype = "equity_position"\nunderlying = "SPX"\n'
         'quantity = 3\n')


@pytest.mark.parametrize(("content", "parts"), [
    ("", ["no [[trades]] entries"]),
    (b'[[trades]]\ntrade_id = "\xe9"\n', ["line 2", "not UTF-8"]),
    ("[[trades]\n", ["not valid TOML", "line 1"]),
    ("portfolio = 3\n" + TRADE, ["[portfolio]", "must be a table", "3"]),
    ('[portfolio]\nnmae = "x"\n' + TRADE, ["[portfolio]", "key 'nmae'", "unknown"]),
    ("[portfolio]\nname = 3\n" + TRADE, ["[portfolio]", "key 'name'", "must be text"]),
    ('[portfolio]\nvaluation_date = "soon"\n' + TRADE,
     ["[portfolio]", "key 'valuation_date'", "not a date", "soon"]),
    ("trades = [1, 2]\n", ["[[trades]] entry 1", "must be a table", "1"]),
    ("[extra]\n" + TRADE, ["unknown table 'extra'"]),
    ("[defaults]\ncolour = \"red\"\n" + TRADE, ["[defaults]", "key 'colour'", "not a field"]),
    ("[defaults]\ncounterparty = [1]\n" + TRADE, ["[defaults]", "key 'counterparty'",
                                                  "single value"]),
    (TRADE.replace("quantity = 3", "quantity = true"),
     ["[[trades]] entry 1", "trade 'A'", "field 'quantity'", "not a number: True"]),
    (TRADE.replace("quantity = 3", "quantity = nan"),
     ["[[trades]] entry 1", "field 'quantity'", "finite", "nan"]),
    (TRADE.replace("quantity = 3", 'quantity = 3\nbucket = ["1"]'),
     ["[[trades]] entry 1", "field 'bucket'", "single value"]),
    (TRADE.replace('"equity_position"', "3"), ["entry 1", "field 'type'", "unknown trade type"]),
    (TRADE.replace('trade_id = "A"', "trade_id = 1.5"), ["entry 1", "'trade_id'", "text"]),
    ('[[trades]]\ntrade_id = "S"\ntype = "irs"\ncurrency = "USD"\nnotional = 1e6\n'
     "fixed_rate = 0.03\nstart_date = 20260105\nmaturity = 2031-01-05\n",
     ["entry 1", "trade 'S'", "field 'start_date'", "not a date", "20260105"]),
    ("[buckets.equity]\nSPX = \"13\"\n" + TRADE,
     ["[buckets.equity] key 'SPX'", "trade 'A'", "field 'bucket'", "'13'"]),
    ("[buckets.rates]\nUSD = \"1\"\n" + TRADE, ["[buckets.rates]", "not one of"]),
    ("[buckets]\nequity = 3\n" + TRADE, ["[buckets.equity]", "must be a table"]),
    (TRADE + TRADE, ["entry 2", "trade 'A'", "duplicate", "first at [[trades]] entry 1"]),
])
def test_bad_toml_files(tmp_path, content, parts):
    fails(write(tmp_path, "book.toml", content), *parts)


def test_toml_defaults_apply_only_where_the_type_has_the_field(tmp_path):
    text = ('[defaults]\nbucket = "11"\ncounterparty = "CP"\n' + TRADE
            + '[[trades]]\ntrade_id = "F"\ntype = "fx_forward"\npair = "EURUSD"\n'
              "notional = 1e6\nstrike = 1.1\nmaturity = 2026-06-30\n")
    pf = load_portfolio(write(tmp_path, "book.toml", text))
    assert pf["A"].bucket == "11" and pf["F"].counterparty == "CP"


def test_bad_bucket_of_a_trade_names_the_portfolio_file_not_a_crif(tmp_path):
    path = write(tmp_path, "book.csv", "type,trade_id,underlying,quantity,bucket\n"
                                       "equity_position,A,SPX,3,11\n"
                                       "equity_position,B,SPX,3,twelve\n")
    message = fails(path, "line 3", "trade 'B'", "field 'bucket'", "'twelve'")
    assert "CRIF" not in message and "Bucket'" not in message


def test_market_errors_of_a_file_trade_name_the_file_and_line(tmp_path, market, date):
    from imresearch.portfolio import to_crif

    path = write(tmp_path, "book.csv", OPTION + "equity_option,O2,SPX,10,5000,2025-06-20,call,"
                                                "0.2,11\n")
    with pytest.raises(InputError, match=r"book\.csv, line 3: trade 'O2', field 'expiry': "
                                         r"2025-06-20 is before the valuation date"):
        bind(load_portfolio(path), market, date)
    path = write(tmp_path, "nobucket.toml", TRADE)
    with pytest.raises(InputError, match=r"nobucket\.toml, \[\[trades\]\] entry 1: trade 'A', "
                                         r"field 'bucket': a SIMM bucket is needed"):
        to_crif(load_portfolio(path), market, date)
    sub = load_portfolio(path).select(counterparty="")
    assert sub.origins == {"A": f"{path}, [[trades]] entry 1"}


# ---------------------------------------------------------------------- fuzzing
FIELDS = [*trade_field_names(), "colour", "", "Type", "trade id"]
VALUES = st.one_of(
    st.sampled_from(["", "equity_position", "equity_option", "fx_forward", "fx_swap", "irs",
                     "cds", "commodity_option", "SPX", "EURUSD", "USDJPY", "WTI", "VOL_VIX",
                     "CDX_IG", "USD", "EUR", "call", "put", "long", "short", "payer", "buy",
                     "sell_buy", "3m", "1y", "0x", "11", "Residual", "true", "nan", "inf",
                     "-inf", "1e300", "-1", "0", "2026-06-30", "2025-12-31", "1899-01-01",
                     "2026-02-30", "9999-99-99", "20260630", "1.1", "0.03", "100", "A", "B",
                     "\"", ",", "#", "\x00", "é", "\u2028", " ", "\r", "\n"]),
    st.text(max_size=8),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def _cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def _valid_file(suffix: str) -> str:
    """A valid file of every product (the fuzzers damage copies of it)."""
    import tempfile

    from imresearch.portfolio import save_portfolio

    from .conftest import every_product

    with tempfile.TemporaryDirectory() as tmp:
        path = save_portfolio(every_product(), Path(tmp) / f"valid{suffix}")
        return path.read_text(encoding="utf-8")


VALID_CSV = _valid_file(".csv")
VALID_TOML = _valid_file(".toml")


@st.composite
def damaged(draw, text: str, sep: str) -> bytes:
    """``text`` with up to three of its cells (CSV) or values (TOML) replaced."""
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        if sep == "," or " = " in lines[i]:
            head, _, tail = lines[i].partition(" = ") if sep == " = " else ("", "", lines[i])
            cells = tail.split(",") if sep == "," else [tail]
            j = draw(st.integers(0, len(cells) - 1))
            value = draw(VALUES)
            cells[j] = _cell(value) if sep == "," else _toml(draw(TOML_SCALARS))
            lines[i] = (head + " = " if sep == " = " else "") + ",".join(cells)
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def csv_files(draw) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice < 5:
        return draw(damaged(VALID_CSV, ","))
    header = ["type", "trade_id", *draw(st.lists(st.sampled_from(FIELDS), max_size=8))]
    header = draw(st.permutations(header)) if draw(st.booleans()) else header
    rows = draw(st.lists(st.lists(VALUES, min_size=len(header), max_size=len(header) + 1),
                         max_size=4))
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = sep.join(",".join(_cell(v) for v in row) for row in [header, *rows])
    return text.encode("utf-8", "surrogatepass")


TOML_SCALARS = st.one_of(
    VALUES, st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(),
    st.dates(min_value=dt.date(1, 1, 1)),
)


def _toml(value: object) -> str:
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return _toml_value(value)


@st.composite
def toml_files(draw) -> bytes:
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return draw(st.binary(max_size=200))
    if choice < 5:
        return draw(damaged(VALID_TOML, " = "))
    lines = []
    for table in draw(st.lists(st.sampled_from(["portfolio", "defaults", "buckets.equity",
                                                "buckets.credit", "buckets.fx", "other"]),
                               max_size=3, unique=True)):
        lines.append(f"[{table}]")
        for key in draw(st.lists(st.sampled_from(["name", "description", *FIELDS[:12], "SPX"]),
                                 max_size=3, unique=True)):
            lines.append(f'"{key}" = {_toml(draw(TOML_SCALARS))}')
    for _ in range(draw(st.integers(0, 3))):
        lines.append("[[trades]]")
        keys = ["type", "trade_id", *draw(st.lists(st.sampled_from(FIELDS), max_size=8))]
        for key in dict.fromkeys(keys):
            value = draw(st.one_of(TOML_SCALARS, st.lists(TOML_SCALARS, max_size=2)))
            lines.append(f'"{key}" = {_toml(value)}')
    text = "\n".join(lines)
    if draw(st.booleans()):  # a few bytes of damage
        data = bytearray(text.encode("utf-8"))
        for _ in range(draw(st.integers(1, 3))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    return text.encode("utf-8")


def _only_input_errors(path: Path, market, date) -> None:
    try:
        pf = load_portfolio(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert isinstance(pf, Portfolio) and len(pf) > 0
    try:  # what loads also binds, or fails on the market with an InputError
        bind(pf, market, date)
    except InputError:
        pass


FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@FUZZ
@given(data=csv_files())
def test_fuzz_csv_reader_raises_only_input_errors(tmp_path, market, date, data):
    _only_input_errors(write(tmp_path, "fuzz.csv", data), market, date)


@FUZZ
@given(data=toml_files())
def test_fuzz_toml_reader_raises_only_input_errors(tmp_path, market, date, data):
    _only_input_errors(write(tmp_path, "fuzz.toml", data), market, date)


@pytest.mark.parametrize(("files", "suffix"), [(csv_files(), ".csv"), (toml_files(), ".toml")])
def test_fuzzers_reach_valid_portfolios(tmp_path, files, suffix):
    """The fuzzers are not vacuous: they also write files that load."""
    def loads(data: bytes) -> bool:
        try:
            return len(load_portfolio(write(tmp_path, f"f{suffix}", data))) > 0
        except InputError:
            return False

    find(files, loads, settings=settings(max_examples=500, database=None))
