"""Study files: what ``imresearch run`` computes, as frozen settings parsed from TOML.

A study file (every section and key optional; the defaults give the built-in study; every key,
its type, units and allowed values in ``docs/formats.md``)::

    name = "my study"

    [market]
    data = "public_markets"       # built-in name, catalogue name, or CSV/Parquet path; the
                                  # built-in real market runs to 2024 with a data directory
    seed = 0                      # seed of the synthetic markets
    horizon = 10                  # of the tail-shock table
    confidence = 0.99
    stress_window_days = 250
    recent_years = 3
    # gap_policy = "drop"         # missing values: "error", "drop" or "ffill" (default: data's)
    # max_gap = 10                # longest hole a shock may span, business days
    [market.factors."IR_USD_*"]   # metadata of the factors of a CSV/Parquet file, by name or
    risk_class = "IR"             # pattern (imresearch.marketdata.FactorSpec); default:
    convention = "absolute_bp"    # risk class "other", log shocks
    units = "percent"
    currency = "USD"

    [portfolio]
    source = "dealer_book_public" # shipped example, a CSV/TOML portfolio file, or "none"
                                  # (default: the shipped book made for the market)

    [rolling]
    years = 10                    # years of IM dates, ending on the last market date
    step = 5                      # business days between IM dates of the HS models
    mc_paths = 2000               # Monte Carlo paths on each month end (0: valuation date only)

    [models."HS 5y"]              # one table per model; kind = "hs" (default), "mc",
    lookback_days = 1260          # "simm", "schedule" or "static" (imresearch.models)

    [models."MC 3y+stress"]
    kind = "mc"
    n_paths = 20000
    window = "recent+stress"

    [models.SIMM]
    kind = "simm"
    version = "in_force"          # or "2.6", "2.8+2512"...

    [models.Schedule]
    kind = "schedule"

    [apc]
    target = "HS 1y"              # labels of HS models above
    floor_model = "HS 5y"
    ptr_target = 4.0              # PTR the summary's cheapest tool must reach (optional)

    [aggregate]                   # the book margined per counterparty (imresearch.aggregate)
    model = "FHS-EWMA 3y"         # the model through time (default: the first FHS model)
    threshold = 5e6               # every counterparty group's IM threshold, USD
    mta = 5e5                     # minimum transfer amount of each netting set, USD
    [aggregate.terms.CP_ALPHA]    # terms of one group (or counterparty): threshold, mta,
    threshold = 0                 # rounding, regulations, threshold_split, mta_scope

    [backtest]                    # imresearch backtest: backtest_im of the models above
    models = ["HS 1y", "SIMM"]    # default: every HS model and SIMM
    horizons = [1, 10]            # business days
    by = ["portfolio", "netting_set", "risk_class"]   # or "product_class"
    pnl = "hypothetical"          # or "actual" (the ageing book)
    years = 5                     # IM dates: the last years with a full window
    step = 5                      # business days between IM dates
    window = 250                  # business days of the rolling traffic light

Relative paths (market data, portfolio file) are read from the study file's folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from imresearch.aggregate.terms import DEFAULT_MTA, Terms
from imresearch.errors import InputError, check_in_open_interval, check_positive_int
from imresearch.marketdata.factors import FactorSpec
from imresearch.models import (
    HSModel,
    MarginModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    model_from_table,
)
from imresearch.schema import from_mapping, read_toml, to_mapping

__all__ = [
    "DEFAULT_MODELS",
    "APCConfig",
    "AggregateConfig",
    "BacktestConfig",
    "MarketStudyConfig",
    "PortfolioStudyConfig",
    "RollingConfig",
    "Study",
    "load_study",
]

#: The models of the built-in study, by label: five HS models through time (weekly; lookbacks
#: of at most 5 years, so that the 13 years of the built-in real market give most of a decade
#: of IM), one Monte Carlo model (Gaussian copula, normal marginals, 3 years + the stress year:
#: the fused, fastest kernel path; 20,000 paths on the valuation date), SIMM in force and the
#: schedule.
DEFAULT_MODELS: dict[str, MarginModel] = {
    "HS 5y": HSModel(lookback_days=1260),
    "HS 3y+stress": HSModel(lookback_days=756, stress=True),
    "FHS-EWMA 3y": HSModel(lookback_days=756, filtering="ewma"),
    "HS 1y": HSModel(lookback_days=252),
    "HS 1y+stress 25%": HSModel(lookback_days=252, stress=True, stress_weight=0.25),
    "MC 3y+stress": MCModel(n_paths=20_000, window="recent+stress", lookback_days=750),
    "SIMM": SimmModel(),
    "Schedule": ScheduleModel(),
}


@dataclass(frozen=True)
class MarketStudyConfig:
    """Settings of the market part of a study (data, tail shocks, stress window).

    Parameters
    ----------
    data : str
        A built-in name (``imresearch data list``), a catalogue name, or a CSV/Parquet file.
        Default ``"public_markets"`` (the built-in real market of public sources).
    seed : int
        Seed of the synthetic markets. Default 0.
    horizon : int
        Horizon of the tail-shock table, business days. Default 10.
    confidence : float
        Confidence level of the tail-shock table. Default 0.99.
    stress_window_days : int
        Length of the stress window, business days. Default 250.
    recent_years : int
        Years of the "recent" columns of the tail-shock table. Default 3.
    gap_policy : {"error", "drop", "ffill"} or None
        Dates on which a factor has no value: an error, dropped, or filled forward (a few days
        at most). None keeps the data set's own policy (the built-in real market drops the
        holidays of one market). Default None.
    max_gap : int or None
        Longest hole between two dates, in business days, that a shock may span (a longer one
        is an error naming it). None keeps the reader's limit (10). Holes of a week or more
        that a shock spans are listed in the report and the manifest either way.
    factors : mapping of str to table
        Metadata of the factors of a CSV or Parquet file (``data``), by factor name or
        shell-style pattern (``"IR_USD_*"``): the settings of
        :class:`~imresearch.marketdata.factors.FactorSpec` (``risk_class``, ``convention``,
        ``units``, ``currency``, ``tenor``, ``displacement``, ``description``). Factors no key
        matches are risk class ``other`` with log shocks. Built-in and catalogue data sets
        carry their own metadata. Default: none.
    """

    data: str = "public_markets"
    seed: int = 0
    horizon: int = 10
    confidence: float = 0.99
    stress_window_days: int = 250
    recent_years: int = 3
    gap_policy: Literal["error", "drop", "ffill"] | None = None
    max_gap: int | None = None
    factors: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.data, str) or not self.data.strip():
            raise InputError(f"data must be a non-empty string; got {self.data!r}")
        for key, table in self.factors.items():
            from_mapping(FactorSpec, table, source=f"factors.{key}")
        object.__setattr__(self, "factors", {k: dict(v) for k, v in self.factors.items()})
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_positive_int("stress_window_days", self.stress_window_days, minimum=20)
        check_positive_int("recent_years", self.recent_years)
        if self.max_gap is not None:
            check_positive_int("max_gap", self.max_gap)

    def __hash__(self) -> int:
        return hash((self.data, self.seed, self.horizon, self.confidence,
                     self.stress_window_days, self.recent_years, self.gap_policy, self.max_gap,
                     repr(sorted(self.factors.items()))))

    def factor_specs(self) -> dict[str, FactorSpec]:
        """``factors`` as :class:`~imresearch.marketdata.factors.FactorSpec` by name or
        pattern."""
        return {k: from_mapping(FactorSpec, v, source=f"factors.{k}")
                for k, v in self.factors.items()}


@dataclass(frozen=True)
class PortfolioStudyConfig:
    """The portfolio of a study.

    Parameters
    ----------
    source : str
        A shipped example (``dealer_book_public``, ``dealer_book``, ``archegos_trs``) or a
        CSV/TOML portfolio file. Default ``"dealer_book_public"`` (the dealer book's trades on
        the factors of the built-in real market); a study file on a synthetic market without
        a source gets ``"dealer_book"``, the book made for it.
    """

    source: str = "dealer_book_public"

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source.strip():
            raise InputError(f"source must be a non-empty string; got {self.source!r}")


@dataclass(frozen=True)
class RollingConfig:
    """The dates of the IM series.

    Parameters
    ----------
    years : float
        Years of IM dates, ending on the last market date. Default 10.
    step : int
        Business days between the IM dates of the HS models (1 daily, 5 weekly). Default 5.
        The other models (Monte Carlo, SIMM, schedule, static) are computed on the last IM
        date of each month.
    mc_paths : int
        Paths of each Monte Carlo model on each month end; 0 computes Monte Carlo models on
        the valuation date only (with their own ``n_paths``). Default 2,000.
    """

    years: float = 10.0
    step: int = 5
    mc_paths: int = 2_000

    def __post_init__(self) -> None:
        check_in_open_interval("years", self.years, 0.0, 200.0)
        check_positive_int("step", self.step)
        check_positive_int("mc_paths", self.mc_paths, minimum=0)
        if 0 < self.mc_paths < 10:
            raise InputError(f"mc_paths must be 0 (off) or >= 10; got {self.mc_paths!r}")


@dataclass(frozen=True)
class APCConfig:
    """Anti-procyclicality tools applied to one HS model's IM series.

    Parameters
    ----------
    target : str
        Label of the model whose IM the tools mitigate. Default ``"HS 1y"``.
    buffer : float
        Buffer rate released in stress. Default 0.25.
    speed_limit : float
        Largest rise of the charged IM from one IM date to the next. Default 0.10.
    blend_weight : float
        Weight of the model IM in the blend with the stressed IM. Default 0.75.
    floor_model, stressed_model : str
        Labels of the models giving the floor and the stressed IM (cap and blend).
    calibration_models : tuple of str
        Labels of models that are APC calibrations of the target (e.g. with a 25% stress
        weight); they enter the frontier as tools.
    frontier_days : int
        Business days of the largest-increase metric of the frontier. Default 20.
    ptr_target : float or None
        Peak-to-trough ratio the report's summary asks the cheapest tool to reach; None
        asks for a quarter off the target model's own PTR. Default None.
    """

    target: str = "HS 1y"
    buffer: float = 0.25
    speed_limit: float = 0.10
    blend_weight: float = 0.75
    floor_model: str = "HS 5y"
    stressed_model: str = "HS 3y+stress"
    calibration_models: tuple[str, ...] = ("HS 1y+stress 25%",)
    frontier_days: int = 20
    ptr_target: float | None = None

    def __post_init__(self) -> None:
        check_in_open_interval("buffer", self.buffer, 0.0, 10.0)
        check_in_open_interval("speed_limit", self.speed_limit, 0.0, 100.0)
        check_in_open_interval("blend_weight", self.blend_weight)
        check_positive_int("frontier_days", self.frontier_days)
        if self.ptr_target is not None:
            check_in_open_interval("ptr_target", self.ptr_target, 1.0, 1e6)
        object.__setattr__(self, "calibration_models", tuple(self.calibration_models))

    @property
    def labels(self) -> tuple[str, ...]:
        """Every model label the tools refer to."""
        return (self.target, self.floor_model, self.stressed_model, *self.calibration_models)


@dataclass(frozen=True)
class AggregateConfig:
    """The book margined per counterparty (:mod:`imresearch.aggregate`).

    Parameters
    ----------
    model : str, optional
        Label of the study's model that margins each netting set through time (on the HS
        models' IM dates for an HS model, else on month ends). Default: the first filtered
        HS model, else the first HS model.
    threshold : float
        IM threshold of every counterparty group that ``terms`` does not name, USD. Default
        5e6 in a study: the built-in book's counterparties have IM of USD 3-30m, below the
        regulatory maximum of USD 50m (the library's default), where nothing would be
        exchanged.
    mta : float
        Minimum transfer amount of each netting set, USD. Default 5e5.
    terms : mapping of str to table
        Terms of single groups or counterparties (settings of
        :class:`~imresearch.aggregate.terms.Terms`; ``threshold`` and ``mta`` default to
        the values above).
    """

    model: str | None = None
    threshold: float = 5e6
    mta: float = DEFAULT_MTA
    terms: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        Terms(threshold=self.threshold, mta=self.mta)  # checks the numbers
        for key, table in self.terms.items():  # a table's missing amounts are the above
            from_mapping(Terms, {"threshold": self.threshold, "mta": self.mta, **table},
                         source=f"terms.{key}")
        object.__setattr__(self, "terms", {k: dict(v) for k, v in self.terms.items()})

    def __hash__(self) -> int:
        return hash((self.model, self.threshold, self.mta, repr(sorted(self.terms.items()))))


@dataclass(frozen=True)
class BacktestConfig:
    """Backtests of the study's models (:func:`imresearch.backtest.backtest_im`; the
    ``[backtest]`` table, run by ``imresearch backtest``).

    Parameters
    ----------
    models : tuple of str
        Labels of the study's models to backtest. Default: every HS model and SIMM.
    horizons : tuple of int
        Horizons in business days, each 1 or 10. Default (1, 10).
    by : tuple of str
        Groups: ``portfolio``, ``netting_set``, ``risk_class``, ``product_class``. Default
        portfolio, netting set and risk class.
    pnl : {"hypothetical", "actual"}
        Frozen or ageing book. Default ``"hypothetical"``.
    years : float
        Years of IM dates, ending with the last full window of the market. Default 5.
    step : int
        Business days between IM dates. Default 5.
    window : int
        Business days of the rolling traffic light's windows. Default 250.
    """

    models: tuple[str, ...] = ()
    horizons: tuple[int, ...] = (1, 10)
    by: tuple[str, ...] = ("portfolio", "netting_set", "risk_class")
    pnl: Literal["hypothetical", "actual"] = "hypothetical"
    years: float = 5.0
    step: int = 5
    window: int = 250

    def __post_init__(self) -> None:
        for name in ("models", "horizons", "by"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        for h in self.horizons:
            if h not in (1, 10):
                raise InputError(f"horizons must hold 1 or 10; got {h!r}")
        known = ("portfolio", "netting_set", "risk_class", "product_class")
        for b in self.by:
            if b not in known:
                raise InputError(f"by must hold one of {', '.join(known)}; got {b!r}")
        if not self.horizons or not self.by:
            raise InputError("horizons and by must not be empty")
        if self.pnl not in ("hypothetical", "actual"):
            raise InputError(f"pnl must be 'hypothetical' or 'actual'; got {self.pnl!r}")
        check_in_open_interval("years", self.years, 0.0, 200.0)
        check_positive_int("step", self.step)
        check_positive_int("window", self.window)

    def labels(self, models: dict[str, MarginModel]) -> list[str]:
        """The labels backtested among ``models``."""
        if self.models:
            return list(self.models)
        return [k for k, m in models.items() if isinstance(m, (HSModel, SimmModel))]


@dataclass(frozen=True)
class Study:
    """A study: its name, settings and the file it came from (None for the built-in one).

    ``portfolio`` None is a market-only study; ``apc`` None applies no APC tools;
    ``aggregate`` None margins the book as one netting set only; ``backtest`` None runs no
    ``backtest_im`` backtests (``imresearch backtest`` then uses the defaults).
    """

    name: str = "default"
    market: MarketStudyConfig = field(default_factory=MarketStudyConfig)
    portfolio: PortfolioStudyConfig | None = field(default_factory=PortfolioStudyConfig)
    rolling: RollingConfig = field(default_factory=RollingConfig)
    models: dict[str, MarginModel] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    apc: APCConfig | None = field(default_factory=APCConfig)
    aggregate: AggregateConfig | None = field(default_factory=AggregateConfig)
    path: Path | None = None
    backtest: BacktestConfig | None = None

    def settings(self) -> dict[str, Any]:
        """All settings as plain data (for the manifest), models as their file tables."""
        return {
            "study": self.name,
            "market": to_mapping(self.market),
            "portfolio": None if self.portfolio is None else to_mapping(self.portfolio),
            "rolling": to_mapping(self.rolling),
            "models": {k: m.to_table() for k, m in self.models.items()},
            "apc": None if self.apc is None else to_mapping(self.apc),
            "aggregate": None if self.aggregate is None else to_mapping(self.aggregate),
            "backtest": None if self.backtest is None else to_mapping(self.backtest),
        }


_SECTIONS = ("name", "market", "portfolio", "rolling", "models", "apc", "aggregate",
             "backtest")
_FILE_SUFFIXES = (".csv", ".csv.gz", ".csv.xz", ".txt", ".parquet", ".toml")


def _relative_to(value: str, folder: Path) -> str:
    """A relative file path read from ``folder`` (names of built-ins are left alone)."""
    path = Path(value)
    if path.is_absolute() or not value.lower().endswith(_FILE_SUFFIXES):
        return value
    return str(folder / path)


def load_study(path: str | os.PathLike[str] | None) -> Study:
    """Read a study TOML file; ``None`` gives the built-in default study.

    Raises
    ------
    InputError
        Missing or unreadable file, invalid TOML (with the line), unknown section or setting,
        a value of the wrong type or out of range, an APC tool naming no HS model of the study
        (each message names file, section, key and value).
    """
    if path is None:
        return Study()
    path = Path(path)
    doc = read_toml(path, what="study file")
    unknown = sorted(set(doc) - set(_SECTIONS))
    if unknown:
        raise InputError(f"{path}: unknown section(s) {unknown}; known: {list(_SECTIONS)}")
    for section in _SECTIONS[1:]:
        if section in doc and not isinstance(doc[section], dict):
            raise InputError(f"{path}: [{section}] must be a table; got {doc[section]!r}")
    folder = path.resolve().parent
    market_doc = dict(doc.get("market", {}))
    if isinstance(market_doc.get("data"), str):
        market_doc["data"] = _relative_to(market_doc["data"], folder)
    market = from_mapping(MarketStudyConfig, market_doc, source=f"{path} [market]")
    port_doc = dict(doc.get("portfolio", {}))
    if "simm_version" in port_doc:
        raise InputError(f"{path} [portfolio]: simm_version is from an earlier file format: "
                         "add a model table [models.SIMM] with kind = \"simm\" and version = "
                         f"{port_doc['simm_version']!r}")
    if "source" not in port_doc:  # the shipped book made for the market
        port_doc["source"] = ("dealer_book" if market.data.startswith("synthetic")
                              else "dealer_book_public")
    portfolio = None
    if str(port_doc.get("source", "")).lower() != "none":
        if isinstance(port_doc.get("source"), str):
            port_doc["source"] = _relative_to(port_doc["source"], folder)
        portfolio = from_mapping(PortfolioStudyConfig, port_doc, source=f"{path} [portfolio]")
    rolling = from_mapping(RollingConfig, dict(doc.get("rolling", {})),
                           source=f"{path} [rolling]")
    models = dict(DEFAULT_MODELS)
    if "models" in doc:
        if not doc["models"]:
            raise InputError(f"{path}: [models] needs one table per model, e.g. "
                             '[models."HS 10y"]')
        models = {str(label): model_from_table(table, source=f'{path} [models."{label}"]')
                  for label, table in doc["models"].items()}
    apc = APCConfig() if "apc" not in doc else from_mapping(APCConfig, dict(doc["apc"]),
                                                           source=f"{path} [apc]")
    if "apc" in doc:
        _check_apc(apc, models, f"{path} [apc]")
    elif any(label not in models for label in (apc.target,)):
        apc = None  # the default tools need the default target
    aggregate = from_mapping(AggregateConfig, dict(doc.get("aggregate", {})),
                             source=f"{path} [aggregate]")
    if aggregate.model is not None and aggregate.model not in models:
        raise InputError(f"{path} [aggregate]: model {aggregate.model!r} is not a model of the "
                         f"study; models: {list(models)}")
    backtest = None
    if "backtest" in doc:
        backtest = from_mapping(BacktestConfig, dict(doc["backtest"]),
                                source=f"{path} [backtest]")
    unknown_models = [m for m in (backtest.models if backtest else ()) if m not in models]
    if unknown_models:
        raise InputError(f"{path} [backtest]: model {unknown_models[0]!r} is not a model of the "
                         f"study; models: {list(models)}")
    return Study(name=str(doc.get("name", path.stem)), market=market, portfolio=portfolio,
                 rolling=rolling, models=models, apc=apc, aggregate=aggregate, path=path,
                 backtest=backtest)


def _check_apc(apc: APCConfig, models: dict[str, MarginModel], source: str) -> None:
    hs = sorted(k for k, m in models.items() if isinstance(m, HSModel))
    keys = {"target": apc.target, "floor_model": apc.floor_model,
            "stressed_model": apc.stressed_model,
            **{f"calibration_models[{i}]": v for i, v in enumerate(apc.calibration_models)}}
    for key, label in keys.items():
        if label not in hs:
            raise InputError(f"{source}: {key} {label!r} is not an HS model of the study; "
                             f"HS models: {hs}")
