"""Archegos-style replay: prime-broker slices of one concentrated book vs the aggregate view.

A family office holds long equity total-return swaps (TRS) on a few names, spread over several
prime brokers. Each broker sees and margins only its own slice, with its own model; nobody
margins the aggregate position. A scenario file (TOML, ``kind = "archegos"``; the shipped one is
``scenarios/archegos_2021.toml``) gives the positions, the brokers' models, the names (SIMM
bucket, average daily volume), the documented price path with its sources, the default date and
the liquidation settings. :func:`run_archegos` replays it day by day:

exposure and variation margin
    ``E_bt = sum_i q_bi S_it`` (shares ``q_bi = notional_bi / S_i,position_date``, held through
    the replay); the VM call of day ``t`` is ``-(E_bt - E_b,t-1)`` (positive: the client pays).
    A TRS is represented by its total-return leg (delta one); its financing leg's rate risk over
    a few days is immaterial and left out.
initial margin by the broker's model, on data known that day
    ``static``: ``rate x E_bt`` (a percentage of the current notional); ``hs``: historical
    simulation (:func:`imresearch.engines.hs.rolling_im`, full revaluation of the slice,
    99% 10-day VaR by default, any :class:`~imresearch.config.HSModel` setting); ``simm``: ISDA
    SIMM of the slice's CRIF (:func:`imresearch.portfolio.to_crif`,
    :func:`imresearch.simm.simm`), with its concentration factor seeing only the slice.
concentration / liquidity add-on
    The days needed to sell a position at a participation rate ``p`` of the average daily
    volume are ``H_bi = q_bi / (p ADV_i)``; a margin model calibrated to a margin period of risk
    of ``h`` days (10) is scaled by ``sqrt(max(H, h) / h)`` (square-root-of-time), averaged over
    the names with exposure weights: ``addon_bt = IM_bt (sum_i w_bit sqrt(max(H_bi, h) / h) -
    1)``. A broker charges it only if its ``liquidity_addon = true``; the aggregate view uses
    the aggregate positions ``H_i = sum_b q_bi / (p ADV_i)``, which are longer.
IM calls
    ``IM_bt - IM_b,t-1`` of the IM the broker charges (positive: the client posts more).
loss after IM at default
    If the client fails to pay the calls of day ``d``, the broker keeps the IM it held after the
    calls of ``d - 1`` and sells each position in ``ceil(H_bi)`` equal daily tranches from
    ``liquidation_lag_days`` business days after ``d`` at the closes of the path (after the last
    date of the path at the last close, counted in ``days_priced_flat``). The close-out loss is
    ``sum_i q_bi S_i,d-1 - proceeds``; the loss after IM is ``max(loss - IM_b,d-1, 0)``. The
    same is computed for every possible default day of the episode.
aggregate view
    Each model on the whole book against the sum of the slices under the same model, and the
    reference model of ``[aggregate]`` plus the aggregate liquidity add-on against what the
    brokers together collect.

The pre-episode history comes from the catalogue data set (``[market] dataset``, the real closes
of ``../shared/market_data/archegos_equities``) when its files are found (argument
``data_dir``, else ``$IMRESEARCH_DATA``, else ``[market] data_dir`` relative to the scenario
file), else from the built-in generator (``[builtin_history]``, reproducible from ``seed``); the
result's ``history_source`` says which. With real data the replay runs on the data's closes and
the documented closes are checked against them (``path_check``).

The numerics (:func:`liquidity_horizons`, :func:`liquidity_factor`, :func:`liquidation_loss`,
:func:`vm_calls`) are pure NumPy functions of arrays; reading the file and writing the results
are separate (:func:`load_archegos_scenario`, :func:`write_archegos`).
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.config import HSModel
from imresearch.errors import DataNotFoundError, InputError, option
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "KIND",
    "ArchegosResult",
    "ArchegosScenario",
    "BrokerSpec",
    "MarginModelSpec",
    "NameSpec",
    "is_archegos_file",
    "liquidation_loss",
    "liquidity_factor",
    "liquidity_horizons",
    "load_archegos_scenario",
    "parse_archegos_scenario",
    "run_archegos",
    "vm_calls",
    "write_archegos",
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
_MODEL_TYPES = ("static", "hs", "simm")
_BROKER = {"model", "notional_usd_m", "liquidity_addon", "liquidation_lag_days", "participation"}
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
class MarginModelSpec:
    """A broker margin model.

    Attributes
    ----------
    label : str
        Name of the model in the scenario file (``[models."<label>"]``).
    type : {"static", "hs", "simm"}
        Static percentage of the current notional, historical simulation, or ISDA SIMM.
    rate : float or None
        The percentage (decimal) of a static model.
    hs : HSModel or None
        Settings of an HS model.
    simm_version : str or None
        SIMM version of a SIMM model.
    """

    label: str
    type: str
    rate: float | None = None
    hs: HSModel | None = None
    simm_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Settings as a plain dict."""
        out: dict[str, Any] = {"type": self.type}
        if self.rate is not None:
            out["rate"] = self.rate
        if self.hs is not None:
            out["hs"] = self.hs.to_dict()
        if self.simm_version is not None:
            out["version"] = self.simm_version
        return out


@dataclass(frozen=True)
class BrokerSpec:
    """A prime broker: its model, its slice and how it liquidates.

    Attributes
    ----------
    name : str
    model : str
        Label of a :class:`MarginModelSpec`.
    notional : dict of str to float
        Long TRS notional per name, USD, at the position date.
    liquidity_addon : bool
        Whether the broker charges the liquidity add-on on its slice.
    liquidation_lag_days : int
        Business days from the default date to the first sale.
    participation : float
        Share of the average daily volume it sells per day.
    """

    name: str
    model: str
    notional: dict[str, float]
    liquidity_addon: bool
    liquidation_lag_days: int
    participation: float


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
    models : dict of str to MarginModelSpec
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
    models: dict[str, MarginModelSpec]
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
            "models": {k: m.to_dict() for k, m in self.models.items()},
            "brokers": {k: {"model": b.model, "notional_usd": b.notional,
                            "liquidity_addon": b.liquidity_addon,
                            "liquidation_lag_days": b.liquidation_lag_days,
                            "participation": b.participation} for k, b in self.brokers.items()},
            "names": {k: {"simm_bucket": n.simm_bucket, "adv_shares": n.adv_shares,
                          "annual_vol": n.annual_vol, "group": n.group,
                          "data_factor": n.data_factor} for k, n in self.names.items()},
        }


# ---------------------------------------------------------------------- parsing helpers
class _Doc:
    """Checks on one parsed TOML document; every message names the file and the key."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> InputError:
        return InputError(f"{self.source}: key {key!r}: {message}")

    def table(self, value: Any, key: str, allowed: set[str] | None = None) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table; got {value!r}")
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise self.fail(f"{key}.{unknown[0]}" if key else unknown[0],
                                f"unknown key; allowed here: {sorted(allowed)}")
        return dict(value)

    def number(self, value: Any, key: str, *, low: float | None = None,
               high: float | None = None, low_open: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(key, f"must be a number; got {value!r}")
        x = float(value)
        if not math.isfinite(x):
            raise self.fail(key, f"must be a finite number; got {value!r}")
        if low is not None and (x < low or (low_open and x == low)):
            raise self.fail(key, f"must be {'>' if low_open else '>='} {low:g}; got {value!r}")
        if high is not None and x > high:
            raise self.fail(key, f"must be <= {high:g}; got {value!r}")
        return x

    def integer(self, value: Any, key: str, *, low: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(key, f"must be an integer >= {low}; got {value!r}")
        return int(value)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"must be a non-empty string; got {value!r}")
        return value.strip()

    def flag(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false; got {value!r}")
        return value

    def date(self, value: Any, key: str) -> pd.Timestamp:
        if isinstance(value, _dt.datetime):
            return pd.Timestamp(value.date())
        if isinstance(value, _dt.date):
            return pd.Timestamp(value)
        if isinstance(value, str):
            try:
                return pd.Timestamp(_dt.date.fromisoformat(value.strip()))
            except ValueError:
                pass
        raise self.fail(key, f"malformed date {value!r}; expected YYYY-MM-DD")


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
    if not file.is_file():
        raise DataNotFoundError(f"{file}: scenario file not found")
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{file}: invalid TOML: {exc}") from None
    return parse_archegos_scenario(doc, source=str(file), base_dir=file.parent, file=file)


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
    d = _Doc(source)
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
    models: dict[str, MarginModelSpec] = {}
    for label, raw in models_doc.items():
        k = f"models.{label}"
        t = d.table(raw, k)
        kind = t.pop("type", None)
        if kind not in _MODEL_TYPES:
            raise d.fail(f"{k}.type", f"must be one of {list(_MODEL_TYPES)}; got {kind!r}")
        if kind == "static":
            d.table(t, k, {"rate"})
            if "rate" not in t:
                raise d.fail(f"{k}.rate", "missing")
            models[label] = MarginModelSpec(label, "static", rate=d.number(
                t["rate"], f"{k}.rate", low=0, low_open=True, high=1.0))
        elif kind == "simm":
            d.table(t, k, {"version"})
            from imresearch.simm.parameters import VERSIONS

            version = str(t.get("version", "2.5"))
            if version not in VERSIONS:
                raise d.fail(f"{k}.version", f"unknown SIMM version {version!r}; known: "
                             f"{list(VERSIONS)}")
            models[label] = MarginModelSpec(label, "simm", simm_version=version)
        else:
            import dataclasses

            d.table(t, k, {f.name for f in dataclasses.fields(HSModel)})
            try:
                hs = HSModel(**t)
            except (InputError, TypeError) as exc:
                raise d.fail(k, str(exc)) from None
            models[label] = MarginModelSpec(label, "hs", hs=hs)
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
        )
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
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return doc.get("kind") == KIND


# ====================================================================== numerics (no I/O)
def vm_calls(exposure: np.ndarray) -> np.ndarray:
    """Variation-margin calls from exposures.

    Parameters
    ----------
    exposure : ndarray of shape (n_days, ...)
        Mark-to-market value of the long positions per day.

    Returns
    -------
    ndarray of shape (n_days - 1, ...)
        ``-(E_t - E_{t-1})``: positive when prices fell and the client pays.
    """
    e = np.asarray(exposure, dtype=np.float64)
    return -(e[1:] - e[:-1])


def liquidity_horizons(shares: np.ndarray, adv: np.ndarray, participation: float | np.ndarray
                       ) -> np.ndarray:
    """Business days to sell each position at ``participation`` of the average daily volume.

    Parameters
    ----------
    shares : ndarray of shape (..., n_names)
    adv : ndarray of shape (n_names,)
        Average daily volume in shares.
    participation : float or ndarray broadcastable to ``shares``

    Returns
    -------
    ndarray
        ``shares / (participation * adv)`` (not rounded).
    """
    return np.asarray(shares, dtype=np.float64) / (np.asarray(participation) * np.asarray(adv))


def liquidity_factor(horizons: np.ndarray, weights: np.ndarray, mpor_days: int) -> np.ndarray:
    """Square-root-of-time scale of an IM for liquidation horizons longer than the MPOR.

    Parameters
    ----------
    horizons : ndarray of shape (..., n_names)
        Liquidation horizons in days.
    weights : ndarray of the same shape
        Exposures (any scale; normalised along the last axis).
    mpor_days : int
        Margin period of risk the IM is calibrated to.

    Returns
    -------
    ndarray of shape (...)
        ``sum_i w_i sqrt(max(H_i, h) / h) / sum_i w_i`` (>= 1); 1 where every weight is 0.
    """
    h = float(mpor_days)
    scale = np.sqrt(np.maximum(np.asarray(horizons, dtype=np.float64), h) / h)
    w = np.asarray(weights, dtype=np.float64)
    tot = w.sum(axis=-1)
    num = (w * scale).sum(axis=-1)
    return np.where(tot > 0, num / np.where(tot > 0, tot, 1.0), 1.0)


def liquidation_loss(prices: np.ndarray, shares: np.ndarray, ref_row: int, first_row: int,
                     n_tranches: np.ndarray) -> tuple[float, float, int]:
    """Close-out loss of long positions sold in equal daily tranches.

    Parameters
    ----------
    prices : ndarray of shape (n_days, n_names)
        Closes, one row per business day.
    shares : ndarray of shape (n_names,)
        Shares held (>= 0).
    ref_row : int
        Row of the last settled mark (the day before the default).
    first_row : int
        Row of the first sale.
    n_tranches : ndarray of int of shape (n_names,)
        Days over which each name is sold (>= 1); sale ``k`` at row ``first_row + k``. Rows past
        the last are priced at the last close.

    Returns
    -------
    loss : float
        ``sum_i q_i S_i,ref - proceeds`` (positive: a loss).
    proceeds : float
    days_flat : int
        Largest number of sales of one name priced past the last row.
    """
    p = np.asarray(prices, dtype=np.float64)
    q = np.asarray(shares, dtype=np.float64)
    n_rows = p.shape[0]
    proceeds = 0.0
    flat = 0
    for i in range(p.shape[1]):
        if q[i] == 0.0:
            continue
        n = max(int(n_tranches[i]), 1)
        rows = first_row + np.arange(n)
        flat = max(flat, int((rows >= n_rows).sum()))
        proceeds += q[i] / n * p[np.minimum(rows, n_rows - 1), i].sum()
    value = float(q @ p[ref_row])
    return value - proceeds, proceeds, flat


# ====================================================================== market
def _builtin_history(sc: ArchegosScenario) -> pd.DataFrame:
    """Closes: synthetic pre-episode history ending at the first path close, then the path."""
    tickers = sc.tickers
    n = sc.builtin_days
    first = sc.path.iloc[0]
    before = pd.bdate_range(end=sc.path.index[0] - pd.offsets.BDay(1), periods=n)
    groups = [sc.names[t].group for t in tickers]
    corr = np.full((len(tickers), len(tickers)), sc.across_groups)
    for a, ga in enumerate(groups):
        for b, gb in enumerate(groups):
            if ga == gb:
                corr[a, b] = sc.within_group.get(ga, sc.across_groups)
    np.fill_diagonal(corr, 1.0)
    try:
        chol = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise InputError(f"{sc.source}: key 'builtin_history': the correlations of "
                         "within_group / across_groups do not form a valid correlation matrix"
                         ) from None
    rng = np.random.default_rng(sc.seed)
    nu = sc.builtin_df
    z = rng.standard_t(nu, size=(n, len(tickers))) / np.sqrt(nu / (nu - 2.0))
    vol = np.array([sc.names[t].annual_vol for t in tickers]) / np.sqrt(252.0)
    r = (z @ chol.T) * vol  # daily log returns; row k is the move into date k+1
    # levels before the path: log S_{k} = log S_first - sum of later returns
    back = np.cumsum(r[::-1], axis=0)[::-1]
    levels = np.log(first.to_numpy())[None, :] - back
    hist = pd.DataFrame(np.exp(levels), index=before, columns=tickers)
    return pd.concat([hist, sc.path[tickers]])


def _find_data_dir(sc: ArchegosScenario, data_dir: str | os.PathLike[str] | None
                   ) -> Path | None:
    from imresearch.marketdata.catalogue import DATA_DIR_ENV, DATASETS

    if sc.dataset not in DATASETS:
        raise InputError(f"{sc.source}: key 'market.dataset': unknown catalogue data set "
                         f"{sc.dataset!r}")
    files = DATASETS[sc.dataset].files
    candidates = [data_dir, os.environ.get(DATA_DIR_ENV) or None, sc.data_dir]
    for c in candidates:
        if c is None:
            continue
        root = Path(c).expanduser()
        if root.is_dir() and all((root / f).is_file() for f in files):
            return root.resolve()
    return None


def _market(sc: ArchegosScenario, data_dir: str | os.PathLike[str] | None
            ) -> tuple[RiskFactorHistory, str, pd.DataFrame | None]:
    tickers = sc.tickers
    root = None if sc.history == "builtin" else _find_data_dir(sc, data_dir)
    check = None
    if root is None:
        if sc.history == "data":
            raise DataNotFoundError(
                f"{sc.source}: key 'market.history' is 'data' but the files of data set "
                f"{sc.dataset!r} were not found (pass {option('data_dir')}, set "
                "IMRESEARCH_DATA or [market] data_dir)")
        closes = _builtin_history(sc)
        label = (f"built-in: {sc.builtin_days} business days of synthetic pre-episode history "
                 f"(seed {sc.seed}) + the documented closes of the scenario file")
        if sc.history == "auto":
            from imresearch.marketdata.catalogue import DATA_DIR_ENV

            looked = [str(c) for c in (data_dir, os.environ.get(DATA_DIR_ENV) or None,
                                       sc.data_dir) if c is not None]
            label += (f" (data set {sc.dataset!r} not found in "
                      f"{', '.join(looked) if looked else 'any data directory'})")
        else:
            label += " (history = 'builtin')"
    else:
        from imresearch.marketdata.catalogue import load_dataset

        factors = {t: sc.names[t].data_factor for t in tickers}
        known = load_dataset(sc.dataset, data_dir=root)
        absent = [f for f in factors.values() if f not in known.factor_names]
        if absent:
            raise InputError(f"{sc.source}: key 'names.*.data_factor': {absent} not in data "
                             f"set {sc.dataset!r} ({known.factor_names})")
        lv = known.levels[[factors[t] for t in tickers]]
        lv.columns = tickers
        missing = [x for x in sc.path.index[sc.path.index <= sc.end] if x not in lv.index]
        if missing:
            raise InputError(f"data set {sc.dataset!r} ({root}) lacks path date "
                             f"{missing[0]:%Y-%m-%d}")
        closes = lv
        both = sc.path.index.intersection(lv.index)
        check = (lv.loc[both] / sc.path.loc[both] - 1.0)
        label = (f"data: catalogue data set {sc.dataset!r} from {root} "
                 f"({lv.index[0]:%Y-%m-%d} .. {lv.index[-1]:%Y-%m-%d}); real closes, "
                 "documented closes checked against them")
    specs = {f"EQ_{t}": FactorSpec("equity", "log", "USD", "USD", description=sc.names[t].title)
             for t in tickers}
    frame = closes.rename(columns=lambda t: f"EQ_{t}")
    frame.index.name = "date"
    market = RiskFactorHistory(frame, specs, name=f"{sc.name} closes")
    return market, label, check


# ====================================================================== result
@dataclass(frozen=True)
class ArchegosResult:
    """Result of :func:`run_archegos` (all amounts USD).

    Attributes
    ----------
    scenario : ArchegosScenario
    market : RiskFactorHistory
        Closes used (factors ``EQ_<ticker>``): pre-episode history, episode, and what follows.
    history_source : str
        Which history was used: ``"built-in: ..."`` or ``"data: ..."``.
    prices : pandas.DataFrame
        Closes over the episode (and the day before), dates x tickers.
    positions : pandas.DataFrame
        Shares per broker (rows) and name (columns).
    horizons : pandas.DataFrame
        Liquidation days per broker and name, with an ``aggregate`` row.
    daily : pandas.DataFrame
        One row per (date, broker): ``exposure``, ``vm_call``, ``model``, ``im_model`` (IM of
        the broker's model), ``liquidity_factor``, ``liquidity_addon``, ``addon_charged``,
        ``im_charged``, ``im_call``, ``total_call``.
    aggregate : pandas.DataFrame
        Per date: ``exposure``, ``vm_call``, ``sum_of_slices_im`` (what the brokers together
        charge), ``aggregate_model_im`` (the ``[aggregate]`` model on the whole book),
        ``aggregate_liquidity_factor``, ``aggregate_view_im`` (with the aggregate add-on),
        ``shortfall`` (aggregate view minus the sum of slices).
    by_model : pandas.DataFrame
        Per (date, model): ``sum_of_slices`` (the model on each slice, summed) and
        ``whole_book``, and their ratio.
    default_loss : pandas.DataFrame
        Per broker, default on ``default_date``: exposure and IM held, liquidation dates and
        days, ``closeout_loss``, ``loss_after_im``, ``im_surplus`` and the loss after IM had the
        add-on been charged; rows ``all brokers`` and ``aggregate view``.
    loss_by_default_day : pandas.DataFrame
        Loss after IM per broker (columns) if the default were on each date (rows).
    summary : pandas.DataFrame
        Per broker: model, notional, peak IM, total VM and IM calls to the default date, loss.
    path_check : pandas.DataFrame or None
        With real data: relative difference of the data's closes from the documented closes.
    notes : tuple of str
    """

    scenario: ArchegosScenario
    market: RiskFactorHistory
    history_source: str
    prices: pd.DataFrame
    positions: pd.DataFrame
    horizons: pd.DataFrame
    daily: pd.DataFrame
    aggregate: pd.DataFrame
    by_model: pd.DataFrame
    default_loss: pd.DataFrame
    loss_by_default_day: pd.DataFrame
    summary: pd.DataFrame
    path_check: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()

    @property
    def uses_real_data(self) -> bool:
        """Whether the real history (not the built-in one) was used."""
        return self.history_source.startswith("data")

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result tables by file stem."""
        out = {
            "prices": self.prices, "positions": self.positions, "horizons": self.horizons,
            "daily_by_broker": self.daily, "aggregate": self.aggregate,
            "aggregate_by_model": self.by_model, "default_loss": self.default_loss,
            "loss_by_default_day": self.loss_by_default_day, "summary": self.summary,
        }
        if self.path_check is not None:
            out["path_check"] = self.path_check
        return out


def _model_im(spec: MarginModelSpec, bound: Any, market: RiskFactorHistory,
              masks: dict[str, np.ndarray], dates: pd.DatetimeIndex, exposure: pd.DataFrame,
              simm_cache: dict[tuple[str, pd.Timestamp], tuple[dict[str, float], float]]
              ) -> pd.DataFrame:
    """IM of the model on each slice (columns = brokers) and the whole book (``__book__``)."""
    out = pd.DataFrame(index=dates, dtype=float)
    if spec.type == "static":
        for b in masks:
            out[b] = spec.rate * exposure[b]
        out["__book__"] = spec.rate * exposure.sum(axis=1)
        return out
    if spec.type == "hs":
        from imresearch.engines.hs import rolling_im

        lo, hi = dates[0], dates[-1]
        for b, m in masks.items():
            out[b] = rolling_im(bound, market, lo, hi, spec.hs, trade_weights=m)["im"]
        out["__book__"] = rolling_im(bound, market, lo, hi, spec.hs)["im"]
        return out
    from imresearch.portfolio.binding import bind
    from imresearch.portfolio.sensitivities import to_crif
    from imresearch.simm import simm

    version = str(spec.simm_version)
    for t in dates:
        key = (version, t)
        if key not in simm_cache:
            crif = to_crif(bind(list(bound.trades), market, t))
            per = simm(crif, version=version, group_by="PortfolioID").totals
            simm_cache[key] = ({str(k): float(v) for k, v in per.items()},
                               float(simm(crif, version=version).total))
        per_b, whole = simm_cache[key]
        for b in masks:
            out.loc[t, b] = per_b.get(b, 0.0)
        out.loc[t, "__book__"] = whole
    return out


def run_archegos(
    scenario: ArchegosScenario | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ArchegosResult:
    """Replay an Archegos scenario day by day.

    Parameters
    ----------
    scenario : ArchegosScenario or path-like
        A scenario, or the path of a scenario file.
    out : path-like, optional
        If given, write tables, figures, ``report.html`` and ``manifest.json`` there
        atomically (:func:`write_archegos`).
    data_dir : path-like, optional
        Market-data directory holding the scenario's data set; default ``$IMRESEARCH_DATA``,
        then the scenario's ``[market] data_dir``. Ignored when ``history = "builtin"``.
    progress : callable, optional
        Called with a short text at each step.

    Returns
    -------
    ArchegosResult

    Raises
    ------
    InputError
        An invalid scenario; a model lookback longer than the history before the episode.
    DataNotFoundError
        ``history = "data"`` and the data set's files are not found.
    """
    from imresearch.portfolio.binding import bind
    from imresearch.portfolio.portfolio import Portfolio
    from imresearch.portfolio.trades import EquityPosition

    started = _dt.datetime.now(_dt.timezone.utc)
    say = progress or (lambda _text: None)
    sc = scenario if isinstance(scenario, ArchegosScenario) else load_archegos_scenario(scenario)
    say("market")
    market, history_source, check = _market(sc, data_dir)
    tickers = sc.tickers
    brokers = list(sc.brokers)
    closes = market.levels.set_axis(tickers, axis=1)
    all_dates = closes.index
    s0 = closes.index.get_loc(sc.start)
    if s0 < 1:
        raise InputError(f"{sc.source}: no history before start {sc.start:%Y-%m-%d}")
    dates = closes.index[s0 - 1: closes.index.get_loc(sc.end) + 1]  # the day before + episode
    ep = dates[1:]

    # positions
    pos_px = closes.loc[sc.position_date]
    shares = pd.DataFrame(0.0, index=pd.Index(brokers, name="broker"), columns=tickers)
    trades = []
    for b, spec in sc.brokers.items():
        for t in tickers:
            n = spec.notional.get(t, 0.0)
            if n <= 0:
                continue
            shares.loc[b, t] = n / float(pos_px[t])
            trades.append(EquityPosition(
                trade_id=f"{b}|{t}", underlying=t, quantity=shares.loc[b, t], direction="long",
                bucket=sc.names[t].simm_bucket, counterparty=COUNTERPARTY, netting_set=b,
                prime_broker=b))
    book = Portfolio(tuple(trades), sc.name, "family-office TRS book (total-return legs)")
    bound = bind(book, market, sc.start)
    masks = {b: np.array([1.0 if tr.prime_broker == b else 0.0 for tr in trades])
             for b in brokers}

    px = closes.loc[dates]
    exposure = pd.DataFrame({b: px.to_numpy() @ shares.loc[b].to_numpy() for b in brokers},
                            index=dates)
    expo_name = {b: px * shares.loc[b] for b in brokers}

    # liquidity
    adv = np.array([sc.names[t].adv_shares for t in tickers])
    part = np.array([sc.brokers[b].participation for b in brokers])[:, None]
    horizons = pd.DataFrame(liquidity_horizons(shares.to_numpy(), adv, part), index=shares.index,
                            columns=tickers)
    total_shares = shares.sum(axis=0).to_numpy()
    agg_h = liquidity_horizons(total_shares, adv, sc.participation)
    horizons.loc["aggregate"] = agg_h
    lfac = pd.DataFrame({b: liquidity_factor(
        np.broadcast_to(horizons.loc[b].to_numpy(), expo_name[b].shape),
        expo_name[b].to_numpy(), sc.mpor_days) for b in brokers}, index=dates)
    agg_fac = pd.Series(liquidity_factor(np.broadcast_to(agg_h, px.shape),
                                         px.to_numpy() * total_shares, sc.mpor_days),
                        index=dates)

    # IM per model (each model on every slice and on the book)
    needed = list(dict.fromkeys([sc.brokers[b].model for b in brokers] + [sc.aggregate_model]))
    simm_cache: dict[tuple[str, pd.Timestamp], tuple[dict[str, float], float]] = {}
    im: dict[str, pd.DataFrame] = {}
    for label in needed:
        say(f"IM {label}")
        spec = sc.models[label]
        if spec.type == "hs":
            first = market.dates.get_loc(dates[0])
            span = 1 if spec.hs.scaling == "sqrt_time" else spec.hs.horizon
            need = max(int(spec.hs.lookback_days or 0), span + 1)  # as rolling_im
            if first < need:
                raise InputError(
                    f"{sc.source}: key 'models.{label}.lookback_days': "
                    f"{spec.hs.lookback_days} needs {need} business days before "
                    f"{dates[0]:%Y-%m-%d}; the history ({history_source.split(':')[0]}) has "
                    f"{first}")
        im[label] = _model_im(spec, bound, market, masks, dates, exposure, simm_cache)

    # per broker per day
    say("calls")
    rows = []
    for b in brokers:
        spec = sc.brokers[b]
        base = im[spec.model][b]
        addon = base * (lfac[b] - 1.0)
        charged = base + (addon if spec.liquidity_addon else 0.0)
        vm = pd.Series(np.r_[np.nan, vm_calls(exposure[b].to_numpy())], index=dates)
        imc = charged.diff()
        frame = pd.DataFrame({
            "broker": b, "model": spec.model, "exposure": exposure[b], "vm_call": vm,
            "im_model": base, "liquidity_factor": lfac[b], "liquidity_addon": addon,
            "addon_charged": spec.liquidity_addon, "im_charged": charged, "im_call": imc,
        }, index=dates)
        frame["total_call"] = frame["vm_call"] + frame["im_call"]
        rows.append(frame)
    full = pd.concat(rows)
    full.index.name = "date"
    charged_wide = full.pivot_table(index="date", columns="broker", values="im_charged"
                                    )[brokers]
    daily = full.loc[ep].reset_index().set_index(["date", "broker"]).sort_index(
        level=0, sort_remaining=False)

    ref = im[sc.aggregate_model]["__book__"]
    book_expo = exposure.sum(axis=1)
    aggregate = pd.DataFrame({
        "exposure": book_expo,
        "vm_call": np.r_[np.nan, vm_calls(book_expo.to_numpy())],
        "sum_of_slices_im": charged_wide.sum(axis=1),
        "aggregate_model_im": ref,
        "aggregate_liquidity_factor": agg_fac,
        "aggregate_view_im": ref * (agg_fac if sc.aggregate_liquidity_addon else 1.0),
    }, index=dates)
    aggregate["shortfall"] = aggregate["aggregate_view_im"] - aggregate["sum_of_slices_im"]
    aggregate = aggregate.loc[ep]
    aggregate.index.name = "date"
    bm = []
    for label, frame in im.items():
        sub = pd.DataFrame({"model": label, "sum_of_slices": frame[brokers].sum(axis=1),
                            "whole_book": frame["__book__"]}, index=dates).loc[ep]
        bm.append(sub)
    by_model = pd.concat(bm)
    by_model.index.name = "date"
    by_model["whole_over_sum"] = by_model["whole_book"] / by_model["sum_of_slices"]
    by_model = by_model.reset_index().set_index(["date", "model"]).sort_index(
        level=0, sort_remaining=False)

    # default losses
    say("default losses")
    prices_all = closes.to_numpy()
    tranches = np.ceil(horizons.to_numpy() - 1e-9).astype(np.int64)
    tranches = np.maximum(tranches, 1)

    def loss_for(b_idx: int | None, d_row: int, lag: int, held: float) -> dict[str, Any]:
        q = total_shares if b_idx is None else shares.iloc[b_idx].to_numpy()
        n = tranches[-1] if b_idx is None else tranches[b_idx]
        first = d_row + lag
        loss, proceeds, flat = liquidation_loss(prices_all, q, d_row - 1, first, n)
        last = first + int(n[q > 0].max()) - 1
        last_date = (all_dates[last] if last < len(all_dates)
                     else all_dates[-1] + pd.offsets.BDay(last - len(all_dates) + 1))
        return {"exposure_at_last_mark": float(q @ prices_all[d_row - 1]), "im_held": held,
                "liquidation_start": all_dates[first] if first < len(all_dates) else pd.NaT,
                "liquidation_end": last_date, "liquidation_days": int(n[q > 0].max()),
                "days_priced_flat": flat, "closeout_loss": loss, "proceeds": proceeds,
                "loss_after_im": max(loss - held, 0.0), "im_surplus": max(held - loss, 0.0)}

    d_row = int(all_dates.get_loc(sc.default_date))
    prev = all_dates[d_row - 1]
    recs = []
    for k, b in enumerate(brokers):
        spec = sc.brokers[b]
        held = float(charged_wide.loc[prev, b])
        rec = {"broker": b, "model": spec.model,
               "liquidity_addon_charged": spec.liquidity_addon,
               **loss_for(k, d_row, spec.liquidation_lag_days, held)}
        with_addon = float(im[spec.model].loc[prev, b] * lfac.loc[prev, b])
        rec["im_with_addon"] = with_addon
        rec["loss_after_im_with_addon"] = max(rec["closeout_loss"] - with_addon, 0.0)
        recs.append(rec)
    money = ("exposure_at_last_mark", "im_held", "closeout_loss", "proceeds", "loss_after_im",
             "im_surplus", "im_with_addon", "loss_after_im_with_addon")
    tot: dict[str, Any] = {c: float(sum(r[c] for r in recs)) for c in money}
    tot.update(broker="all brokers", model="(each its own)",
               liquidity_addon_charged=any(r["liquidity_addon_charged"] for r in recs),
               liquidation_start=min(r["liquidation_start"] for r in recs),
               liquidation_end=max(r["liquidation_end"] for r in recs),
               liquidation_days=max(r["liquidation_days"] for r in recs),
               days_priced_flat=max(r["days_priced_flat"] for r in recs))
    held_agg = float(ref.loc[prev] * (agg_fac.loc[prev] if sc.aggregate_liquidity_addon
                                      else 1.0))
    agg_rec = loss_for(None, d_row, sc.lag_days, held_agg)
    agg_rec.update(broker="aggregate view",
                   model=sc.aggregate_model + (" + aggregate liquidity add-on"
                                               if sc.aggregate_liquidity_addon else ""),
                   liquidity_addon_charged=sc.aggregate_liquidity_addon,
                   im_with_addon=held_agg, loss_after_im_with_addon=agg_rec["loss_after_im"])
    dl = pd.DataFrame([*recs, tot, agg_rec]).set_index("broker")
    dl.index.name = "broker"

    lbd = pd.DataFrame(index=pd.DatetimeIndex(ep[ep > sc.start], name="default_date"),
                       columns=brokers, dtype=float)
    for x in lbd.index:
        r = int(all_dates.get_loc(x))
        for k, b in enumerate(brokers):
            held = float(charged_wide.loc[all_dates[r - 1], b])
            lbd.loc[x, b] = loss_for(k, r, sc.brokers[b].liquidation_lag_days,
                                     held)["loss_after_im"]
    lbd["all brokers"] = lbd[brokers].sum(axis=1)

    # summary per broker
    upto = daily.loc[pd.IndexSlice[:sc.default_date, :], :]
    summ = pd.DataFrame({
        "model": [sc.brokers[b].model for b in brokers],
        "notional_at_start": [float(exposure.loc[sc.position_date, b]) for b in brokers],
        "im_at_start": [float(charged_wide.loc[sc.start, b]) for b in brokers],
        "im_at_start_pct": [float(charged_wide.loc[sc.start, b] / exposure.loc[sc.start, b])
                            for b in brokers],
        "peak_im": [float(charged_wide.loc[ep, b].max()) for b in brokers],
        "vm_calls_to_default": [float(upto.xs(b, level="broker")["vm_call"].sum())
                                for b in brokers],
        "im_calls_to_default": [float(upto.xs(b, level="broker")["im_call"].sum())
                                for b in brokers],
        "max_liquidation_days": [float(horizons.loc[b].max()) for b in brokers],
        "closeout_loss": dl.loc[brokers, "closeout_loss"].to_numpy(dtype=float),
        "loss_after_im": dl.loc[brokers, "loss_after_im"].to_numpy(dtype=float),
    }, index=pd.Index(brokers, name="broker"))

    notes = [f"history: {history_source}"]
    if check is not None:
        worst = float(check.abs().max().max())
        notes.append(f"documented closes vs data: largest relative difference {worst:.3%}")
    for label in needed:
        spec = sc.models[label]
        if spec.type == "simm" and spec.simm_version is not None:
            notes.append(f"{label}: SIMM {spec.simm_version} parameters (version 2.3 was in "
                         "force in March 2021; the project ships 2.5 and later)")
    flat = int(dl["days_priced_flat"].max())
    if flat:
        notes.append(f"liquidations run up to {flat} business days past the last close of the "
                     f"data ({all_dates[-1]:%Y-%m-%d}); those sales are priced at that close")
    notes.append("TRS represented by their total-return legs (delta one); financing legs left "
                 "out")
    result = ArchegosResult(
        scenario=sc, market=market, history_source=history_source,
        prices=px.copy(), positions=shares, horizons=horizons, daily=daily,
        aggregate=aggregate, by_model=by_model, default_loss=dl,
        loss_by_default_day=lbd, summary=summ, path_check=check, notes=tuple(notes))
    if out is not None:
        say("write")
        write_archegos(result, out, started=started)
    return result


# ====================================================================== output (I/O)
def _fmt_bn(x: float) -> str:
    return f"USD {x / 1e9:,.2f}bn"


def _shown(frame: pd.DataFrame, spec: Mapping[str, str] | None = None,
           default: str = "{:,.1f}") -> pd.DataFrame:
    """Numbers as display strings (thousands separators, fixed decimals) for the report."""
    out = frame.copy().astype(object)
    spec = spec or {}
    for c in frame.columns:
        if pd.api.types.is_float_dtype(frame[c]) or pd.api.types.is_integer_dtype(frame[c]):
            fmt = spec.get(str(c), default)
            out[c] = [("" if pd.isna(v) else fmt.format(v)) for v in frame[c]]
    return out


def write_archegos(result: ArchegosResult, out: str | os.PathLike[str], *,
                   started: _dt.datetime | None = None) -> Path:
    """Write the result into ``out`` atomically.

    Writes every table of :meth:`ArchegosResult.tables` as CSV and Parquet, the figures
    (``figures/archegos_timeline.png``, ``figures/archegos_default_loss.png``), ``report.html``
    and ``manifest.json`` (inputs with hashes, which history was used, settings, seed, the key
    figures).

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    from imresearch.provenance import (
        atomic_output_dir,
        atomic_write_text,
        file_sha256,
        frame_sha256,
        write_manifest,
    )
    from imresearch.report import html_report
    from imresearch.report.archegos_figures import (
        plot_archegos_default_loss,
        plot_archegos_timeline,
    )

    started = started or _dt.datetime.now(_dt.timezone.utc)
    sc = result.scenario
    with atomic_output_dir(out) as tmp:
        for stem, frame in result.tables().items():
            frame.to_csv(tmp / f"{stem}.csv")
            flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
            flat.columns = [str(c) for c in flat.columns]
            flat.to_parquet(tmp / f"{stem}.parquet")
        figdir = tmp / "figures"
        figdir.mkdir()
        fig1 = plot_archegos_timeline(result, figdir / "archegos_timeline.png")
        fig2 = plot_archegos_default_loss(result, figdir / "archegos_default_loss.png")
        inputs: dict[str, Any] = {
            "history": result.history_source,
            "uses_real_data": result.uses_real_data,
            "market": {"name": result.market.name, "factors": result.market.n_factors,
                       "dates": result.market.n_dates,
                       "first_date": result.market.start.date().isoformat(),
                       "last_date": result.market.end.date().isoformat(),
                       "levels_sha256": frame_sha256(result.market.levels)},
        }
        if sc.file is not None:
            inputs["scenario_file"] = {"path": str(sc.file), "sha256": file_sha256(sc.file)}
        dl = result.default_loss
        key = {
            "default_date": sc.default_date.date().isoformat(),
            "loss_after_im": {str(k): float(v) for k, v in dl["loss_after_im"].items()},
            "closeout_loss": {str(k): float(v) for k, v in dl["closeout_loss"].items()},
            "im_held": {str(k): float(v) for k, v in dl["im_held"].items()},
        }
        extra = {"key_figures": key, "notes": list(result.notes)}
        kw = {"command": "imresearch run (archegos)", "inputs": inputs,
              "settings": sc.settings(), "seed": sc.seed, "started": started, "extra": extra}
        manifest = json.loads(write_manifest(tmp, **kw).read_text())
        page = html_report(sc.title, _sections(result, fig1, fig2), manifest=manifest)
        atomic_write_text(tmp / "report.html", page)
        write_manifest(tmp, **kw)
    return Path(out)


def _ratios(result: ArchegosResult, date: pd.Timestamp) -> dict[str, float]:
    """Whole book over sum of slices per non-static model on ``date``."""
    out = {}
    for label, spec in result.scenario.models.items():
        key = (date, label)
        if spec.type != "static" and key in result.by_model.index:
            out[label] = float(result.by_model.loc[key, "whole_over_sum"])
    return out


def _sections(result: ArchegosResult, fig1: Path, fig2: Path) -> list[dict[str, Any]]:
    sc = result.scenario
    dl = result.default_loss
    brokers = list(sc.brokers)
    agg = result.aggregate
    prev = result.prices.index[result.prices.index.get_loc(sc.default_date) - 1]
    gross = float(result.summary["notional_at_start"].sum())
    pos = (result.positions * result.prices.loc[sc.position_date]).assign(
        total=lambda f: f.sum(axis=1)) / 1e6
    pos.loc["total"] = pos.sum()
    summ = result.summary.copy()
    for c in summ.columns:
        if c not in ("model", "im_at_start_pct", "max_liquidation_days"):
            summ[c] = summ[c] / 1e6
    summ["im_at_start_pct"] = 100 * summ["im_at_start_pct"]
    summ = summ.rename(columns=lambda c: c if c in ("model", "max_liquidation_days") else (
        f"{c} (%)" if c.endswith("pct") else f"{c} (USD m)"))
    loss = dl[["model", "exposure_at_last_mark", "im_held", "liquidation_start",
               "liquidation_days", "days_priced_flat", "closeout_loss", "loss_after_im",
               "im_with_addon", "loss_after_im_with_addon"]].copy()
    for c in ("exposure_at_last_mark", "im_held", "closeout_loss", "loss_after_im",
              "im_with_addon", "loss_after_im_with_addon"):
        loss[c] = loss[c].astype(float) / 1e6
    loss["liquidation_start"] = pd.to_datetime(loss["liquidation_start"]).dt.strftime("%Y-%m-%d")
    loss = loss.rename(columns=lambda c: f"{c} (USD m)" if c in (
        "exposure_at_last_mark", "im_held", "closeout_loss", "loss_after_im", "im_with_addon",
        "loss_after_im_with_addon") else c)
    aggt = agg[["exposure", "vm_call", "sum_of_slices_im", "aggregate_model_im",
                "aggregate_view_im", "shortfall"]] / 1e6
    aggt["aggregate_liquidity_factor"] = agg["aggregate_liquidity_factor"]
    aggt.index = aggt.index.strftime("%Y-%m-%d")
    bm = result.by_model.reset_index()
    bm = bm[bm["date"] == prev].set_index("model")[["sum_of_slices", "whole_book",
                                                     "whole_over_sum"]]
    bm[["sum_of_slices", "whole_book"]] /= 1e6
    bm = bm.rename(columns={"sum_of_slices": "sum of slices (USD m)",
                            "whole_book": "whole book (USD m)"})
    calls = result.daily.reset_index().pivot_table(index="date", columns="broker",
                                                   values="total_call")[brokers] / 1e6
    calls.index = calls.index.strftime("%Y-%m-%d")
    hz = result.horizons
    all_b = dl.loc["all brokers"]
    aggv = dl.loc["aggregate view"]
    text = (
        f"{sc.description}\n\nA family office holds {_fmt_bn(gross)} of long equity TRS on "
        f"{len(sc.names)} names with {len(brokers)} prime brokers (illustrative sizes and "
        f"margin terms; documented prices). Each broker margins only its slice with its own "
        f"model. The client defaults on {sc.default_date:%d %B %Y}: the brokers hold "
        f"{_fmt_bn(all_b['im_held'])} of IM, lose {_fmt_bn(all_b['closeout_loss'])} closing "
        f"out, {_fmt_bn(all_b['loss_after_im'])} after IM. The aggregate view "
        f"({sc.aggregate_model} on the whole book plus the liquidity add-on of the aggregate "
        f"positions) would have asked {_fmt_bn(aggv['im_held'])} on {prev:%d %B} and "
        f"{_fmt_bn(agg['aggregate_view_im'].iloc[-1])} on {agg.index[-1]:%d %B}, against "
        f"{_fmt_bn(agg['sum_of_slices_im'].iloc[-1])} charged by the brokers together; "
        f"selling the whole book at the same participation rate takes up to "
        f"{result.horizons.loc['aggregate'].max():.0f} business days, against at most "
        f"{result.horizons.drop('aggregate').max().max():.0f} for any one slice."
        + "".join(f" {label} on the whole book / sum of the slices on {prev:%d %B}: "
                  f"{ratio:.2f}." for label, ratio in _ratios(result, prev).items())
        + f"\n\nHistory: {result.history_source}."
    )
    sources = pd.DataFrame([{**s} for s in sc.sources]) if sc.sources else None
    names = pd.DataFrame({
        "title": [n.title for n in sc.names.values()],
        "SIMM bucket": [n.simm_bucket for n in sc.names.values()],
        "ADV (m shares)": [n.adv_shares / 1e6 for n in sc.names.values()],
        "source of the closes": [n.source for n in sc.names.values()],
    }, index=pd.Index(sc.tickers, name="name"))
    return [
        {"heading": "Summary", "text": text},
        {"heading": "Timeline", "figure": fig1,
         "caption": "Prices (rebased), IM per broker, daily margin calls (VM + IM) per broker, "
                    "and the aggregate view against the sum of the slices."},
        {"heading": "Positions (USD m at the position date)",
         "table": _shown(pos, default="{:,.0f}")},
        {"heading": "Per broker", "table": _shown(summ, {"im_at_start_pct (%)": "{:.1f}",
                                                          "max_liquidation_days": "{:.1f}"}),
         "text": "IM at start and peak IM are what each broker charges (its model, plus the "
                 "liquidity add-on if it charges it); calls are summed up to the default date "
                 "(positive: the client pays)."},
        {"heading": f"Loss if the client defaults on {sc.default_date:%Y-%m-%d}",
         "table": _shown(loss, {"liquidation_days": "{:.0f}", "days_priced_flat": "{:.0f}"}),
         "figure": fig2,
         "caption": "Close-out loss against the IM held, per broker.",
         "text": "Each broker keeps the IM held after the previous day's calls and sells each "
                 "name in equal daily tranches over the days implied by its position against "
                 "the average daily volume, at the documented closes. 'with addon' columns: had "
                 "the broker charged the liquidity add-on on its slice."},
        {"heading": "Aggregate view vs sum of slices (USD m)",
         "table": _shown(aggt, {"aggregate_liquidity_factor": "{:.3f}"}),
         "text": "sum_of_slices_im: what the brokers charge together; aggregate_model_im: the "
                 "aggregate model on the whole book; aggregate_view_im: the same with the "
                 "liquidity add-on of the aggregate positions; shortfall: the difference."},
        {"heading": f"Each model on the whole book vs on the slices ({prev:%Y-%m-%d})",
         "table": _shown(bm, {"whole_over_sum": "{:.3f}"})},
        {"heading": "Daily margin calls per broker, VM + IM (USD m)", "table": _shown(calls)},
        {"heading": "Liquidation horizons (business days at the participation rate)",
         "table": _shown(hz)},
        {"heading": "Loss after IM by default day (USD m)",
         "table": _shown((result.loss_by_default_day / 1e6).set_axis(
             result.loss_by_default_day.index.strftime("%Y-%m-%d")))},
        {"heading": "Names and sources", "table": names},
        {"heading": "Episode sources", "table": sources,
         "text": "\n\n".join(result.notes)},
    ]
