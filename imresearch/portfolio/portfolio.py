"""Portfolios of trades, and portfolio files (CSV and TOML).

Both formats hold the same trades: a ``type`` (one of the registered trade types, e.g.
``equity_option``, ``fx_forward``, ``irs``, ``cds``; the list, and every field of each type, is
in :mod:`imresearch.portfolio.products`), a unique ``trade_id``, and the fields of that type.
Values follow the units of :mod:`imresearch.portfolio.trades` (decimal rates, spreads in bp,
ISO dates and currencies). Files are UTF-8 text (a byte-order mark is allowed).

CSV (``.csv``)
    One row per trade; the header (the first line that is not blank or a comment) names trade
    fields and must include ``type`` and ``trade_id``. A blank cell means "not given" (the
    field's default), so one file mixes types freely; a column that no trade of the row's type
    has must be blank on that row. Lines starting with ``#`` are comments. Fields may be quoted
    (``"a, b"``). The portfolio is named after the file::

        type,trade_id,underlying,quantity,strike,expiry,option_type,vol_factor,bucket
        equity_position,P1,SPX,100,,,,,11
        equity_option,O1,SPX,10,5000,2026-12-18,call,VOL_VIX,11

TOML (``.toml``)
    ::

        [portfolio]                     # optional
        name = "dealer_book"            # default the file name
        description = "..."
        valuation_date = 2025-12-31     # informational: the date the trades were struck on

        [defaults]                      # optional: fields given to every trade whose type has
        counterparty = "CP1"            # the field and that lacks it

        [buckets.equity]                # optional SIMM buckets by name, used when a trade has
        SPX = "11"                      # no bucket of its own
        [buckets.credit]                # (tables: equity, credit, commodity)
        CDX_IG = "2"
        [buckets.commodity]
        WTI = "2"

        [[trades]]                      # one table per trade
        trade_id = "T1"
        type = "equity_option"
        expiry = 2026-06-30             # a TOML date, or the text "2026-06-30"
        ...

Netting structure
    Every trade type takes the columns / keys ``counterparty``, ``netting_set`` and
    ``counterparty_group`` (and ``prime_broker``), all optional text; ``[defaults]`` can set
    them for every trade of a TOML file. A netting set is one margin agreement with one
    counterparty: IM and VM are computed per netting set and never netted across netting sets
    (it is the CRIF ``PortfolioID``; blank means the portfolio's name). ``counterparty_group``
    is the counterparty's consolidated group, across whose netting sets the IM threshold is
    shared; blank means the counterparty itself (and is not written back). Aggregate IM
    (:mod:`imresearch.aggregate`) needs a netting set and a counterparty on every trade, one
    counterparty per netting set and one group per counterparty::

        type,trade_id,counterparty,counterparty_group,netting_set,pair,notional,strike,maturity
        fx_forward,F1,BANK_A_LDN,BANK_A,BANK_A_LDN-ISDA,EURUSD,1e7,1.1,2027-06-30
        fx_forward,F2,BANK_A_NY,BANK_A,BANK_A_NY-ISDA,EURUSD,1e7,1.1,2027-06-30

Every problem with a file is an :class:`~imresearch.errors.InputError` naming the file, the line
(CSV) or ``[[trades]]`` entry (TOML), the trade, the field and the value.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.errors import InputError
from imresearch.portfolio.products import PRODUCTS, trade_field_names, trade_from_record
from imresearch.portfolio.trades import Trade

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["Portfolio", "load_portfolio", "save_portfolio"]

_BUCKET_TABLES = {cls.BUCKET_TABLE for cls in PRODUCTS if cls.BUCKET_TABLE}
_FIELDS = set(trade_field_names())


@dataclass(frozen=True)
class Portfolio:
    """An immutable collection of trades with unique IDs.

    Parameters
    ----------
    trades : sequence of Trade
    name : str
        Portfolio name (default CRIF ``PortfolioID`` of trades without a netting set).
    description : str
        Free text.
    source : str, optional
        File the portfolio was read from.
    origins : mapping of str to str, optional
        Where each trade was read, by trade ID (``"book.csv, line 3"``): binding errors name
        it.
    valuation_date : pandas.Timestamp, optional
        The date the trades were struck on (``[portfolio] valuation_date`` of a TOML file); a
        study binds the book's terms on it.

    Raises
    ------
    InputError
        Duplicate trade IDs, or an element that is not a :class:`Trade`.
    """

    trades: tuple[Trade, ...]
    name: str = "portfolio"
    description: str = ""
    source: str | None = field(default=None, compare=False)
    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    valuation_date: pd.Timestamp | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        trades = tuple(self.trades)
        seen: set[str] = set()
        for t in trades:
            if not isinstance(t, Trade):
                raise InputError(f"portfolio {self.name!r}: not a trade: {t!r}")
            if t.trade_id in seen:
                raise InputError(
                    f"portfolio {self.name!r}: trade {t.trade_id!r}, field 'trade_id': "
                    "duplicate trade ID"
                )
            seen.add(t.trade_id)
        object.__setattr__(self, "trades", trades)

    def __len__(self) -> int:
        return len(self.trades)

    def __iter__(self) -> Iterator[Trade]:
        return iter(self.trades)

    def __getitem__(self, trade_id: str) -> Trade:
        for t in self.trades:
            if t.trade_id == trade_id:
                return t
        raise KeyError(trade_id)

    @property
    def trade_ids(self) -> list[str]:
        """Trade IDs in order."""
        return [t.trade_id for t in self.trades]

    def netting_set(self, trade: Trade) -> str:
        """Netting set of a trade (the portfolio name if the trade has none)."""
        return trade.netting_set or self.name

    def select(self, predicate: Any = None, **fields: Any) -> Portfolio:
        """Trades matching ``predicate(trade)`` and every ``field=value`` (e.g. prime_broker=).

        Returns
        -------
        Portfolio
            Same name, the matching trades (may be empty only if nothing matches: raises).
        """
        out = [
            t for t in self.trades
            if (predicate is None or predicate(t))
            and all(getattr(t, k, None) == v for k, v in fields.items())
        ]
        if not out:
            raise InputError(f"portfolio {self.name!r}: no trade matches {fields or predicate}")
        return Portfolio(tuple(out), self.name, self.description, self.source, self.origins,
                         self.valuation_date)

    def split(self, by: str) -> dict[str, Portfolio]:
        """Sub-portfolios by the value of a trade field (``"netting_set"``, ``"counterparty"``,
        ``"counterparty_group"``, ``"prime_broker"``...), in order of first appearance.

        The sub-portfolios share the (immutable) trade objects; a blank netting set is the
        portfolio's name. Bound portfolios split into views of their arrays
        (:meth:`imresearch.portfolio.bound.BoundPortfolio.split`).
        """
        groups: dict[str, list[Trade]] = {}
        for t in self.trades:
            key = self.netting_set(t) if by == "netting_set" else str(getattr(t, by, ""))
            groups.setdefault(key, []).append(t)
        return {k: Portfolio(tuple(v), f"{self.name}:{k}", self.description, self.source,
                             self.origins) for k, v in groups.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per trade, one column per field used by any trade (blank = not given)."""
        rows = [t.to_record() for t in self.trades]
        cols = [c for c in trade_field_names() if any(c in r for r in rows)]
        return pd.DataFrame(rows, columns=cols)

    # -- market-dependent views (imported lazily to keep the module light)
    def bind(self, market: Any, date: object = None) -> Any:
        """Resolve the trades against a market (:func:`imresearch.portfolio.binding.bind`)."""
        from imresearch.portfolio.binding import bind

        return bind(self, market, date)

    def pv(self, market: Any, date: object = None) -> pd.Series:
        """PV in USD of each trade on ``date`` (indexed by trade ID)."""
        return self.bind(market, date).pv()

    def revalue(self, market: Any, shocks: Any, date: object = None) -> Any:
        """Full-revaluation P&L (n_scenarios x n_trades) under shocks; see BoundPortfolio."""
        return self.bind(market, date).revalue(shocks)

    def to_crif(self, market: Any, date: object = None, **options: Any) -> pd.DataFrame:
        """ISDA CRIF sensitivities (:func:`imresearch.portfolio.sensitivities.to_crif`)."""
        from imresearch.portfolio.sensitivities import to_crif

        return to_crif(self, market, date, **options)

    def schedule_inputs(self, market: Any, date: object = None) -> pd.DataFrame:
        """Standardised-schedule inputs per trade (:func:`...sensitivities.schedule_inputs`)."""
        from imresearch.portfolio.sensitivities import schedule_inputs

        return schedule_inputs(self, market, date)


# ---------------------------------------------------------------------- reading
def _read_text(path: Path) -> str:
    """The file as text: UTF-8 (with or without a byte-order mark)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InputError(f"{path}, line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                         "save the file as UTF-8") from None


def _unique(trades: list[Trade], places: list[str]) -> None:
    first: dict[str, str] = {}
    for t, place in zip(trades, places, strict=True):
        if t.trade_id in first:
            raise InputError(f"{place}: trade {t.trade_id!r}, field 'trade_id': duplicate trade "
                             f"ID (first at {first[t.trade_id]})")
        first[t.trade_id] = place.rsplit(", ", 1)[-1]


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every record that is not blank or a comment."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
                continue
            yield start, [c.strip() for c in cells]
    except csv.Error as exc:
        raise InputError(f"{path}, line {reader.line_num}: not valid CSV ({exc})") from None


def _read_csv(path: Path) -> Portfolio:
    rows = _csv_rows(path, _read_text(path))
    header_line, header = next(rows, (0, []))
    if not header:
        raise InputError(f"{path}: empty file, no header line (columns such as type, trade_id, "
                         "underlying, notional...)")
    for i, name in enumerate(header):
        if name and name in header[:i]:
            raise InputError(f"{path}, line {header_line}, column {name!r}: duplicate column")
    for required in ("type", "trade_id"):
        if required not in header:
            raise InputError(f"{path}, line {header_line}: no {required!r} column; columns are "
                             f"{header}")
    trades: list[Trade] = []
    places: list[str] = []
    for line, cells in rows:
        place = f"{path}, line {line}"
        if len(cells) > len(header) and any(cells[len(header):]):
            raise InputError(f"{place}: {len(cells)} values for {len(header)} columns "
                             f"(extra value {next(c for c in cells[len(header):] if c)!r})")
        record: dict[str, str] = {}
        for i, (name, value) in enumerate(zip(header, cells)):
            if value and not name:
                raise InputError(f"{place}, column {i + 1}: value {value!r} under a blank "
                                 f"column name (line {header_line})")
            if value:
                record[name] = value
        trades.append(trade_from_record(record, where=place))
        places.append(place)
    if not trades:
        raise InputError(f"{path}: no trades (a header line and no rows)")
    _unique(trades, places)
    return Portfolio(tuple(trades), path.stem, source=str(path),
                     origins={t.trade_id: p for t, p in zip(trades, places, strict=True)})


def _table(path: Path, doc: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"{path}, [{key}]: must be a table; got {value!r}")
    return value


def _scalar(place: str, key: str, value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise InputError(f"{place}, key {key!r}: must be a single value; got {value!r}")
    return value


def _apply_buckets(path: Path, trades: list[Trade], buckets: Mapping[str, Any]) -> list[Trade]:
    for kind, table in buckets.items():
        if kind not in _BUCKET_TABLES:
            raise InputError(f"{path}, [buckets.{kind}]: not one of "
                             f"{', '.join(sorted(_BUCKET_TABLES))}")
        if not isinstance(table, dict):
            raise InputError(f"{path}, [buckets.{kind}]: must be a table of name = bucket; got "
                             f"{table!r}")
        for name, value in table.items():
            _scalar(f"{path}, [buckets.{kind}]", name, value)
    out = []
    for t in trades:
        table = buckets.get(t.BUCKET_TABLE or "", {})
        if t.BUCKET_TABLE and getattr(t, "bucket", None) is None and t.qualifier in table:
            value = table[t.qualifier]
            try:
                t = replace(t, bucket=str(value).strip())  # type: ignore[type-var]
            except InputError as exc:
                raise InputError(f"{path}, [buckets.{t.BUCKET_TABLE}] key {t.qualifier!r}: "
                                 f"{exc}") from None
        out.append(t)
    return out


def _read_toml(path: Path) -> Portfolio:
    try:
        doc = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    unknown = [k for k in doc if k not in ("portfolio", "defaults", "buckets", "trades")]
    if unknown:
        raise InputError(f"{path}: unknown table {unknown[0]!r} (expected portfolio, defaults, "
                         "buckets, trades)")
    meta = _table(path, doc, "portfolio")
    for key, value in meta.items():
        if key not in ("name", "description", "valuation_date"):
            raise InputError(f"{path}, [portfolio], key {key!r}: unknown (expected name, "
                             "description, valuation_date)")
        if not isinstance(value, str) and not (key == "valuation_date"
                                               and isinstance(value, dt.date)):
            raise InputError(f"{path}, [portfolio], key {key!r}: must be text; got {value!r}")
        if key == "valuation_date":
            try:
                pd.Timestamp(value)
            except (TypeError, ValueError):
                raise InputError(f"{path}, [portfolio], key 'valuation_date': not a date: "
                                 f"{value!r}") from None
    defaults = _table(path, doc, "defaults")
    for key, value in defaults.items():
        _scalar(f"{path}, [defaults]", key, value)
        if key not in _FIELDS or key in ("type", "trade_id"):
            raise InputError(f"{path}, [defaults], key {key!r}: not a field of any trade type")
    items = doc.get("trades")
    if not isinstance(items, list) or not items:
        raise InputError(f"{path}: no [[trades]] entries")
    trades: list[Trade] = []
    places: list[str] = []
    for k, item in enumerate(items):
        place = f"{path}, [[trades]] entry {k + 1}"
        if not isinstance(item, dict):
            raise InputError(f"{place}: must be a table of trade fields; got {item!r}")
        cls_fields = _fields_of(item.get("type"))
        record = {key: v for key, v in defaults.items() if key in cls_fields} | item
        trades.append(trade_from_record(record, where=place))
        places.append(place)
    _unique(trades, places)
    trades = _apply_buckets(path, trades, _table(path, doc, "buckets"))
    struck = meta.get("valuation_date")
    return Portfolio(tuple(trades), meta.get("name", path.stem), meta.get("description", ""),
                     source=str(path),
                     origins={t.trade_id: p for t, p in zip(trades, places, strict=True)},
                     valuation_date=None if struck is None else pd.Timestamp(struck))


def _fields_of(kind: Any) -> set[str]:
    for cls in PRODUCTS:
        if isinstance(kind, str) and cls.TYPE == kind.strip().lower():
            return {f.name for f in dataclasses.fields(cls)}
    return set()


def load_portfolio(path: str | os.PathLike[str]) -> Portfolio:
    """Read a portfolio file (``.csv`` or ``.toml``; formats in the module docstring).

    Parameters
    ----------
    path : path-like
        File name; the format follows the extension. A bare name of a shipped example
        (``"dealer_book"``, ``"archegos_trs"``) is also accepted.

    Returns
    -------
    Portfolio

    Raises
    ------
    InputError
        A missing, unreadable or empty file, text that is not UTF-8 or not valid CSV / TOML, a
        bad header, table or trade (naming the file, line / entry, trade ID, field and value).
    """
    p = Path(path)
    if not p.exists() and p.suffix == "" and p.parent == Path("."):
        from imresearch.portfolio.examples import example_path

        p = example_path(str(path))
    if not p.is_file():
        raise InputError(f"portfolio file {str(p)!r} does not exist")
    suffix = p.suffix.lower()
    if suffix == ".csv":
        return _read_csv(p)
    if suffix == ".toml":
        return _read_toml(p)
    raise InputError(f"{p}: unknown portfolio format {suffix!r}; use .csv or .toml")


# ---------------------------------------------------------------------- writing
def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    out = []
    for ch in str(value):
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def save_portfolio(portfolio: Portfolio | Iterable[Trade], path: str | os.PathLike[str],
                   *, name: str | None = None, description: str = "") -> Path:
    """Write a portfolio as CSV or TOML (by extension); :func:`load_portfolio` reads it back.

    Defaults of trade fields are not written. Returns the path written.
    """
    p = Path(path)
    pf = portfolio if isinstance(portfolio, Portfolio) else Portfolio(tuple(portfolio))
    records = [_non_default(t) for t in pf.trades]
    if p.suffix.lower() == ".csv":
        cols = [c for c in trade_field_names() if any(c in r for r in records)]
        pd.DataFrame(records, columns=cols).to_csv(p, index=False)
        return p
    if p.suffix.lower() != ".toml":
        raise InputError(f"{p}: unknown portfolio format {p.suffix!r}; use .csv or .toml")
    lines = ["[portfolio]", f"name = {_toml_value(name or pf.name)}"]
    if description or pf.description:
        lines.append(f"description = {_toml_value(description or pf.description)}")
    for rec in records:
        lines += ["", "[[trades]]"]
        lines += [f"{k} = {_toml_value(v)}" for k, v in rec.items()]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def _non_default(trade: Trade) -> dict[str, Any]:
    rec: dict[str, Any] = {"type": trade.TYPE}
    full = trade.to_record()
    for f in dataclasses.fields(trade):
        value = full[f.name]
        if f.name != "trade_id" and f.default is not dataclasses.MISSING and (
            getattr(trade, f.name) == f.default
        ):
            continue
        if f.name == "counterparty_group" and value == trade.counterparty:
            continue  # the default: the counterparty itself
        if value is None:
            continue
        rec[f.name] = value
    return rec
