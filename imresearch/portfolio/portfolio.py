"""Portfolios of trades, and portfolio files (CSV and TOML).

CSV
    One row per trade; the header names trade fields (``type`` and ``trade_id`` are required,
    see :mod:`imresearch.portfolio.trades`); a blank cell means "not given". The portfolio is
    named after the file.

TOML
    ::

        [portfolio]
        name = "dealer_book"            # optional, default the file name
        description = "..."             # optional

        [defaults]                      # optional: fields given to every trade that lacks them
        counterparty = "CP1"

        [buckets.equity]                # optional SIMM buckets by name, used when a trade has
        SPX = "11"                      # no bucket of its own
        [buckets.credit]
        CDX_IG = "2"
        [buckets.commodity]
        WTI = "2"

        [[trades]]
        trade_id = "T1"
        type = "equity_option"
        ...
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.errors import InputError
from imresearch.portfolio.trades import (
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
    Trade,
    trade_field_names,
    trade_from_record,
)

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["Portfolio", "load_portfolio", "save_portfolio"]

_BUCKET_KINDS = {
    "equity": (EquityPosition, EquityTRS, EquityForward, EquityOption),
    "credit": (CreditDefaultSwap,),
    "commodity": (CommodityForward, CommodityOption),
}


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

    Raises
    ------
    InputError
        Duplicate trade IDs, or an element that is not a :class:`Trade`.
    """

    trades: tuple[Trade, ...]
    name: str = "portfolio"
    description: str = ""
    source: str | None = field(default=None, compare=False)

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
        return Portfolio(tuple(out), self.name, self.description, self.source)

    def split(self, by: str) -> dict[str, Portfolio]:
        """Sub-portfolios by the value of a trade field (e.g. ``"prime_broker"``)."""
        groups: dict[str, list[Trade]] = {}
        for t in self.trades:
            groups.setdefault(str(getattr(t, by, "")), []).append(t)
        return {k: Portfolio(tuple(v), f"{self.name}:{k}", self.description, self.source)
                for k, v in groups.items()}

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


# ---------------------------------------------------------------------- files
def _apply_buckets(trades: list[Trade], buckets: Mapping[str, Any], label: str) -> list[Trade]:
    unknown = [k for k in buckets if k not in _BUCKET_KINDS]
    if unknown:
        raise InputError(f"{label}: [buckets] table {unknown[0]!r} is not one of "
                         f"{', '.join(_BUCKET_KINDS)}")
    out = []
    for t in trades:
        for kind, classes in _BUCKET_KINDS.items():
            if isinstance(t, classes) and getattr(t, "bucket", None) is None:
                name = t.reference if isinstance(t, CreditDefaultSwap) else t.underlying
                table = buckets.get(kind, {})
                if name in table:
                    t = replace(t, bucket=str(table[name]))
        out.append(t)
    return out


def _read_csv(path: Path) -> Portfolio:
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True,
                            comment="#")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for required in ("trade_id", "type"):
        if required not in frame.columns:
            raise InputError(f"{path}: no {required!r} column; columns are {list(frame.columns)}")
    trades = []
    for pos, row in enumerate(frame.to_dict("records")):
        record = {k: v for k, v in row.items() if str(v).strip() != ""}
        record.setdefault("trade_id", row.get("trade_id", ""))
        trades.append(trade_from_record(record, where=f"{path}, line {pos + 2}"))
    return Portfolio(tuple(trades), path.stem, source=str(path))


def _read_toml(path: Path) -> Portfolio:
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    unknown = [k for k in doc if k not in ("portfolio", "defaults", "buckets", "trades")]
    if unknown:
        raise InputError(f"{path}: unknown table {unknown[0]!r} (expected portfolio, defaults, "
                         "buckets, trades)")
    meta = doc.get("portfolio", {})
    defaults = doc.get("defaults", {})
    items = doc.get("trades")
    if not isinstance(items, list) or not items:
        raise InputError(f"{path}: no [[trades]] entries")
    trades = []
    for k, item in enumerate(items):
        record = {**defaults, **item}
        trades.append(trade_from_record(record, where=f"{path}, trades[{k}]"))
    trades = _apply_buckets(trades, doc.get("buckets", {}), str(path))
    return Portfolio(tuple(trades), str(meta.get("name", path.stem)),
                     str(meta.get("description", "")), source=str(path))


def load_portfolio(path: str | os.PathLike[str]) -> Portfolio:
    """Read a portfolio file (``.csv`` or ``.toml``).

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
        A missing file, an unreadable file, or a bad trade (naming the file, line / entry,
        trade ID and field).
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


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(float(value)) if isinstance(value, float) else str(value)
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


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
    p.write_text("\n".join(lines) + "\n")
    return p


def _non_default(trade: Trade) -> dict[str, Any]:
    import dataclasses

    rec: dict[str, Any] = {"type": trade.TYPE}
    full = trade.to_record()
    for f in dataclasses.fields(trade):
        value = full[f.name]
        if f.name != "trade_id" and f.default is not dataclasses.MISSING and (
            getattr(trade, f.name) == f.default
        ):
            continue
        if value is None:
            continue
        rec[f.name] = value
    return rec
