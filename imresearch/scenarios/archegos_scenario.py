"""Archegos scenario files: the family office's book, its prime brokers and their margin
models, the names, the documented price path and the liquidation settings.

A scenario file is TOML with ``kind = "archegos"`` (the shipped one is
``scenarios/archegos_2021.toml``); :func:`load_archegos_scenario` validates it completely
(every message names the file, the dotted key and the value) into an
:class:`ArchegosScenario`. The brokers' models are model tables of :mod:`imresearch.models`
(``kind = "static"``, ``"hs"`` or ``"simm"``). The replay is :mod:`imresearch.scenarios.archegos`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.errors import InputError
from imresearch.models import HSModel, MarginModel, SimmModel, StaticModel, model_from_table
from imresearch.schema import Document, read_toml

__all__ = [
    "EXITS",
    "KIND",
    "ArchegosScenario",
    "BrokerSpec",
    "NameSpec",
    "is_archegos_file",
    "load_archegos_scenario",
    "parse_archegos_scenario",
]

KIND = "archegos"
"""Value of the top-level ``kind`` key that marks an Archegos scenario file."""

_TOP = {"kind", "name", "title", "description", "start", "end", "position_date", "default_date",
        "seed", "market", "builtin_history", "liquidation", "aggregate", "models", "brokers",
        "names", "path", "events", "sources"}
_REQUIRED = ("kind", "name", "start", "end", "default_date", "models", "brokers", "names",
             "path")
_MARKET = {"history", "dataset", "data_dir"}
_BUILTIN = {"days", "df", "within_group", "across_groups"}
_LIQ = {"participation", "mpor_days", "lag_days"}
_AGG = {"model", "liquidity_addon"}
_BROKER = {"model", "notional_usd_m", "liquidity_addon", "liquidation_lag_days", "participation",
           "exit", "block_discount", "reported_loss_usd_m", "reported_loss_source"}
EXITS = ("tranches", "block")
"""How a broker sells: daily tranches at a participation rate of the volume, or one block."""
_NAME = {"title", "simm_bucket", "adv_shares", "annual_vol", "group", "data_factor", "source"}
_PATH = {"dates", "closes"}
_EVENT = {"date", "what"}
_SOURCE = {"title", "publisher", "date", "url"}
COUNTERPARTY = "FAMILY_OFFICE"
"""Counterparty name of the family office's trades."""


# ====================================================================== scenario
@dataclass(frozen=True)
class NameSpec:
    """One reference name of the book.

    Attributes
    ----------
    ticker : str
        Name used in the scenario (market factor ``EQ_<ticker>``).
    title : str
        Company and listing.
    simm_bucket : str
        ISDA SIMM equity bucket.
    adv_shares : float
        Average daily volume, shares.
    annual_vol : float
        Annual volatility of the built-in history.
    group : str
        Correlation group of the built-in history.
    data_factor : str
        Column of the catalogue data set holding this name.
    source : str
        Source of the documented closes.
    """

    ticker: str
    title: str
    simm_bucket: str
    adv_shares: float
    annual_vol: float
    group: str
    data_factor: str
    source: str


@dataclass(frozen=True)
class BrokerSpec:
    """A prime broker: its model, its slice and how it liquidates.

    Attributes
    ----------
    name : str
    model : str
        Label of a model of the scenario's ``[models]``.
    notional : dict of str to float
        Long TRS notional per name, USD, at the position date.
    liquidity_addon : bool
        Whether the broker charges the liquidity add-on on its slice.
    liquidation_lag_days : int
        Business days from the default date to the first sale.
    participation : float
        Share of the average daily volume it sells per day (``exit = "tranches"``).
    exit : {"tranches", "block"}
        Sell in daily tranches at ``participation`` of the volume, or the whole slice in one
        block trade on the first liquidation day, priced ``block_discount`` below the previous
        close. Default ``"tranches"``.
    block_discount : float
        Discount of a block sale to the previous close (0.05 is 5%).
    reported_loss : float or None
        Loss the broker reported, USD (None if the file gives none).
    reported_loss_source : str
        Where the reported loss comes from.
    """

    name: str
    model: str
    notional: dict[str, float]
    liquidity_addon: bool
    liquidation_lag_days: int
    participation: float
    exit: str = "tranches"
    block_discount: float = 0.0
    reported_loss: float | None = None
    reported_loss_source: str = ""


@dataclass(frozen=True)
class ArchegosScenario:
    """A validated Archegos scenario (see :func:`load_archegos_scenario`).

    Attributes
    ----------
    name, title, description : str
    start, end : pandas.Timestamp
        First and last day of the episode (inclusive; dates of ``path``).
    position_date : pandas.Timestamp
        Day whose closes turn the notionals into shares.
    default_date : pandas.Timestamp
        Day whose calls the client fails to pay.
    seed : int
        Seed of the built-in pre-episode history.
    names : dict of str to NameSpec
    models : dict of str to model spec
        The brokers' margin models (:mod:`imresearch.models`), by label.
    brokers : dict of str to BrokerSpec
    path : pandas.DataFrame
        Documented closes, dates x names (may run past ``end``: used to price liquidations).
    history : {"auto", "builtin", "data"}
        Which pre-episode history to use.
    dataset : str
        Catalogue data set of the real history.
    data_dir : Path or None
        Data directory named in the file (resolved against the file's folder).
    builtin_days, builtin_df, within_group, across_groups
        Settings of the built-in history.
    participation : float
        Default share of the average daily volume sold per day.
    mpor_days : int
        Margin period of risk the add-on scales from.
    lag_days : int
        Default business days from the default to the first sale.
    aggregate_model : str
        Model of the aggregate view.
    aggregate_liquidity_addon : bool
        Whether the aggregate view adds the aggregate liquidity add-on.
    events, sources : tuple
        Dated events and references.
    source : str
        Name used in messages (the file path).
    file : Path or None
        The scenario file.
    """

    name: str
    title: str
    description: str
    start: pd.Timestamp
    end: pd.Timestamp
    position_date: pd.Timestamp
    default_date: pd.Timestamp
    seed: int
    names: dict[str, NameSpec]
    models: dict[str, MarginModel]
    brokers: dict[str, BrokerSpec]
    path: pd.DataFrame
    history: str = "auto"
    dataset: str = "archegos"
    data_dir: Path | None = None
    builtin_days: int = 500
    builtin_df: float = 4.0
    within_group: dict[str, float] = field(default_factory=dict)
    across_groups: float = 0.0
    participation: float = 0.2
    mpor_days: int = 10
    lag_days: int = 1
    aggregate_model: str = ""
    aggregate_liquidity_addon: bool = True
    events: tuple[tuple[pd.Timestamp, str], ...] = ()
    sources: tuple[dict[str, Any], ...] = ()
    source: str = "<scenario>"
    file: Path | None = None

    @property
    def tickers(self) -> list[str]:
        """Names in file order."""
        return list(self.names)

    def settings(self) -> dict[str, Any]:
        """Every setting as plain data (for the manifest)."""
        return {
            "name": self.name, "start": self.start, "end": self.end,
            "position_date": self.position_date, "default_date": self.default_date,
            "seed": self.seed, "history": self.history, "dataset": self.dataset,
            "builtin_history": {"days": self.builtin_days, "df": self.builtin_df,
                                "within_group": self.within_group,
                                "across_groups": self.across_groups},
            "liquidation": {"participation": self.participation, "mpor_days": self.mpor_days,
                            "lag_days": self.lag_days},
            "aggregate": {"model": self.aggregate_model,
                          "liquidity_addon": self.aggregate_liquidity_addon},
            "models": {k: m.to_table() for k, m in self.models.items()},
            "brokers": {k: {"model": b.model, "notional_usd": b.notional,
                            "liquidity_addon": b.liquidity_addon,
                            "liquidation_lag_days": b.liquidation_lag_days,
                            "participation": b.participation, "exit": b.exit,
                            "block_discount": b.block_discount,
                            "reported_loss_usd": b.reported_loss}
                        for k, b in self.brokers.items()},
            "names": {k: {"simm_bucket": n.simm_bucket, "adv_shares": n.adv_shares,
                          "annual_vol": n.annual_vol, "group": n.group,
                          "data_factor": n.data_factor} for k, n in self.names.items()},
        }


def load_archegos_scenario(path: str | os.PathLike[str]) -> ArchegosScenario:
    """Read and validate an Archegos scenario file.

    Parameters
    ----------
    path : path-like
        TOML file with ``kind = "archegos"`` (see ``scenarios/archegos_2021.toml``).

    Returns
    -------
    ArchegosScenario

    Raises
    ------
    InputError
        Invalid TOML, unknown or missing keys, malformed dates, bad numbers, references to
        unknown models or names, a path that does not cover the episode. The message names
        the file, the key and the value.
    DataNotFoundError
        The file does not exist.
    """
    file = Path(path)
    doc = read_toml(file, what="scenario file")
    return parse_archegos_scenario(doc, source=str(file), base_dir=file.resolve().parent,
                                   file=file)


def parse_archegos_scenario(doc: Mapping[str, Any], *, source: str = "<scenario>",
                            base_dir: str | os.PathLike[str] | None = None,
                            file: Path | None = None) -> ArchegosScenario:
    """Validate a parsed scenario document (the mapping a TOML file gives).

    Parameters
    ----------
    doc : mapping
        The document.
    source : str
        Name used in error messages (the file path).
    base_dir : path-like, optional
        Folder relative paths (``[market] data_dir``) are resolved against.
    file : Path, optional
        File the document came from.

    Returns
    -------
    ArchegosScenario

    Raises
    ------
    InputError
        As :func:`load_archegos_scenario`.
    """
    d = Document(source)
    top = d.table(doc, "", _TOP)
    missing = [k for k in _REQUIRED if k not in top]
    if missing:
        raise d.fail(missing[0], "missing (required keys: " + ", ".join(_REQUIRED) + ")")
    if top["kind"] != KIND:
        raise d.fail("kind", f"must be {KIND!r}; got {top['kind']!r}")
    name = d.text(top["name"], "name")
    start, end = d.date(top["start"], "start"), d.date(top["end"], "end")
    if end <= start:
        raise d.fail("end", f"{end:%Y-%m-%d} is not after start {start:%Y-%m-%d}")
    position_date = d.date(top.get("position_date", top["start"]), "position_date")
    default_date = d.date(top["default_date"], "default_date")
    seed = d.integer(top.get("seed", 0), "seed")

    # names
    names_doc = d.table(top["names"], "names")
    if not names_doc:
        raise d.fail("names", "no name given")
    names: dict[str, NameSpec] = {}
    for ticker, raw in names_doc.items():
        k = f"names.{ticker}"
        t = d.table(raw, k, _NAME)
        for req in ("simm_bucket", "adv_shares"):
            if req not in t:
                raise d.fail(f"{k}.{req}", "missing")
        names[ticker] = NameSpec(
            ticker=ticker, title=str(t.get("title", ticker)),
            simm_bucket=d.text(str(t["simm_bucket"]), f"{k}.simm_bucket"),
            adv_shares=d.number(t["adv_shares"], f"{k}.adv_shares", low=0, low_open=True),
            annual_vol=d.number(t.get("annual_vol", 0.4), f"{k}.annual_vol", low=0,
                                low_open=True, high=5.0),
            group=d.text(t.get("group", "all"), f"{k}.group"),
            data_factor=d.text(t.get("data_factor", ticker), f"{k}.data_factor"),
            source=d.text(t.get("source", "not stated"), f"{k}.source"),
        )

    # path
    p = d.table(top["path"], "path", _PATH)
    if "dates" not in p or "closes" not in p:
        raise d.fail("path", "needs 'dates' and 'closes'")
    if not isinstance(p["dates"], list) or not p["dates"]:
        raise d.fail("path.dates", f"must be a non-empty list of dates; got {p['dates']!r}")
    dates = pd.DatetimeIndex([d.date(v, f"path.dates[{i}]") for i, v in enumerate(p["dates"])])
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            raise d.fail(f"path.dates[{i}]", f"{dates[i]:%Y-%m-%d} is not after "
                         f"{dates[i - 1]:%Y-%m-%d} (dates must increase)")
    for i, x in enumerate(dates):
        if x.day_of_week >= 5:
            raise d.fail(f"path.dates[{i}]", f"{x:%Y-%m-%d} is a weekend day")
    closes = d.table(p["closes"], "path.closes", set(names))
    cols = {}
    for ticker in names:
        key = f"path.closes.{ticker}"
        if ticker not in closes:
            raise d.fail(key, "missing: every name needs its documented closes")
        vals = closes[ticker]
        if not isinstance(vals, list) or len(vals) != len(dates):
            raise d.fail(key, f"must be a list of {len(dates)} closes (one per path date); got "
                         f"{len(vals) if isinstance(vals, list) else vals!r}")
        cols[ticker] = [d.number(v, f"{key}[{i}]", low=0, low_open=True)
                        for i, v in enumerate(vals)]
    path = pd.DataFrame(cols, index=pd.DatetimeIndex(dates, name="date"))
    for key, x in (("start", start), ("end", end), ("position_date", position_date),
                   ("default_date", default_date)):
        if x not in path.index:
            raise d.fail(key, f"{x:%Y-%m-%d} is not a date of [path] dates")
    if not (start <= position_date <= end):
        raise d.fail("position_date", f"{position_date:%Y-%m-%d} is outside start..end")
    if not (start < default_date <= end):
        raise d.fail("default_date", f"{default_date:%Y-%m-%d} must be after start and on or "
                     "before end")

    # market / built-in history / liquidation / aggregate
    mk = d.table(top.get("market", {}), "market", _MARKET)
    history = mk.get("history", "auto")
    if history not in ("auto", "builtin", "data"):
        raise d.fail("market.history", f"must be 'auto', 'builtin' or 'data'; got {history!r}")
    data_dir = None
    if "data_dir" in mk:
        data_dir = Path(d.text(mk["data_dir"], "market.data_dir")).expanduser()
        if not data_dir.is_absolute() and base_dir is not None:
            data_dir = Path(base_dir) / data_dir
    bh = d.table(top.get("builtin_history", {}), "builtin_history", _BUILTIN)
    within = d.table(bh.get("within_group", {}), "builtin_history.within_group")
    within_f = {g: d.number(v, f"builtin_history.within_group.{g}", low=-0.99, high=1.0)
                for g, v in within.items()}
    across = d.number(bh.get("across_groups", 0.0), "builtin_history.across_groups", low=-0.99,
                      high=1.0)
    liq = d.table(top.get("liquidation", {}), "liquidation", _LIQ)
    participation = d.number(liq.get("participation", 0.2), "liquidation.participation", low=0,
                             low_open=True, high=1.0)
    mpor = d.integer(liq.get("mpor_days", 10), "liquidation.mpor_days", low=1)
    lag = d.integer(liq.get("lag_days", 1), "liquidation.lag_days", low=1)

    # models
    models_doc = d.table(top["models"], "models")
    if not models_doc:
        raise d.fail("models", "no model given")
    models = {label: model_from_table(d.table(raw, f"models.{label}"),
                                      source=f"{source}: key 'models.{label}'")
              for label, raw in models_doc.items()}
    bad = [k for k, m in models.items() if not isinstance(m, (StaticModel, HSModel, SimmModel))]
    if bad:
        raise d.fail(f"models.{bad[0]}", "a broker model must be of kind 'static', 'hs' or "
                     f"'simm'; got {models[bad[0]].KIND!r}")
    agg = d.table(top.get("aggregate", {}), "aggregate", _AGG)
    agg_model = str(agg.get("model", next(iter(models))))
    if agg_model not in models:
        raise d.fail("aggregate.model", f"unknown model {agg_model!r}; models: {list(models)}")
    agg_addon = d.flag(agg.get("liquidity_addon", True), "aggregate.liquidity_addon")

    # brokers
    brokers_doc = d.table(top["brokers"], "brokers")
    if not brokers_doc:
        raise d.fail("brokers", "no broker given")
    brokers: dict[str, BrokerSpec] = {}
    for bname, raw in brokers_doc.items():
        k = f"brokers.{bname}"
        t = d.table(raw, k, _BROKER)
        for req in ("model", "notional_usd_m"):
            if req not in t:
                raise d.fail(f"{k}.{req}", "missing")
        d.text(t["model"], f"{k}.model")
        if t["model"] not in models:
            raise d.fail(f"{k}.model", f"unknown model {t['model']!r}; models: {list(models)}")
        notional = d.table(t["notional_usd_m"], f"{k}.notional_usd_m", set(names))
        brokers[bname] = BrokerSpec(
            name=bname, model=t["model"],
            notional={tk: 1e6 * d.number(v, f"{k}.notional_usd_m.{tk}", low=0)
                      for tk, v in notional.items()},
            liquidity_addon=d.flag(t.get("liquidity_addon", False), f"{k}.liquidity_addon"),
            liquidation_lag_days=d.integer(t.get("liquidation_lag_days", lag),
                                           f"{k}.liquidation_lag_days", low=1),
            participation=d.number(t.get("participation", participation),
                                   f"{k}.participation", low=0, low_open=True, high=1.0),
            exit=_exit(d, t.get("exit", "tranches"), f"{k}.exit"),
            block_discount=d.number(t.get("block_discount", 0.0), f"{k}.block_discount", low=0,
                                    high=0.5),
            reported_loss=(None if "reported_loss_usd_m" not in t else 1e6 * d.number(
                t["reported_loss_usd_m"], f"{k}.reported_loss_usd_m", low=0)),
            reported_loss_source=str(t.get("reported_loss_source", "")),
        )
        if "block_discount" in t and brokers[bname].exit != "block":
            raise d.fail(f"{k}.block_discount", "applies to exit = 'block' only")
        if not any(v > 0 for v in brokers[bname].notional.values()):
            raise d.fail(f"{k}.notional_usd_m", "every notional is zero")

    events = []
    for i, ev in enumerate(top.get("events", [])):
        t = d.table(ev, f"events[{i}]", _EVENT)
        events.append((d.date(t.get("date"), f"events[{i}].date"),
                       d.text(t.get("what"), f"events[{i}].what")))
    sources = []
    for i, src in enumerate(top.get("sources", [])):
        t = d.table(src, f"sources[{i}]", _SOURCE)
        d.text(t.get("title"), f"sources[{i}].title")
        if "date" in t:
            t["date"] = d.date(t["date"], f"sources[{i}].date").date().isoformat()
        sources.append(t)
    return ArchegosScenario(
        name=name, title=str(top.get("title", name)),
        description=" ".join(str(top.get("description", "")).split()),
        start=start, end=end, position_date=position_date, default_date=default_date,
        seed=seed, names=names, models=models, brokers=brokers, path=path, history=history,
        dataset=d.text(mk.get("dataset", "archegos"), "market.dataset"), data_dir=data_dir,
        builtin_days=d.integer(bh.get("days", 500), "builtin_history.days", low=30),
        builtin_df=d.number(bh.get("df", 4.0), "builtin_history.df", low=2.0, low_open=True),
        within_group=within_f, across_groups=across, participation=participation,
        mpor_days=mpor, lag_days=lag, aggregate_model=agg_model,
        aggregate_liquidity_addon=agg_addon, events=tuple(sorted(events)),
        sources=tuple(sources), source=source, file=file,
    )


def _exit(d: Document, value: Any, key: str) -> str:
    if value not in EXITS:
        raise d.fail(key, f"must be one of {list(EXITS)}; got {value!r}")
    return str(value)


def is_archegos_file(path: str | os.PathLike[str] | None) -> bool:
    """Whether ``path`` is a TOML file whose top-level ``kind`` is ``"archegos"``.

    Unreadable or invalid files give False (their own loader reports the problem).
    """
    if path is None:
        return False
    file = Path(path)
    if file.suffix.lower() != ".toml" or not file.is_file():
        return False
    try:
        doc = read_toml(file)
    except (OSError, InputError):
        return False
    return doc.get("kind") == KIND
