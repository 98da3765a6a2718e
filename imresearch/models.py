"""Margin models: one spec per kind of initial margin, and one way to compute any of them.

Kinds (each a frozen, validated spec with a ``label`` and a study-file table form):

=================  =========================================================================
``HSModel``        historical simulation, plain, filtered (EWMA/GARCH) or stress-weighted
``MCModel``        Monte Carlo: calibration settings and the size of a run (paths, seed)
``SimmModel``      ISDA SIMM of the book's CRIF: a version, or ``"in_force"`` on each date
``ScheduleModel``  the BCBS-IOSCO standardised schedule, with the net-to-gross ratio
``StaticModel``    a percentage of notional or market value, per risk class or per name
=================  =========================================================================

>>> from imresearch.models import HSModel, SimmModel, im_series, im_on_date
>>> im = im_series(HSModel(lookback_days=250), book, market, dates)  # doctest: +SKIP
>>> im_on_date(SimmModel(version="2.6"), book, market).breakdown    # doctest: +SKIP

:func:`im_series` holds the book at constant maturity: its terms are fixed once on
``bind_date`` (default the market's last date: today's book replayed through history) and each
date's IM uses that date's market and only the data known then. :func:`im_on_date` values the
book as it stands on the date (bound on the date unless ``bind_date`` says otherwise) and
returns the model's full result. Adding a kind: a frozen dataclass with ``KIND``, ``label``
and ``to_table``, an entry in :data:`MODEL_KINDS`, and one ``register`` of each function.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from imresearch.engines.hs import IMResult, historical_im, rolling_im
from imresearch.engines.mc import MCResult, monte_carlo_im
from imresearch.engines.settings import HSModel, MCModel
from imresearch.errors import InputError, check_choice
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.schedule import ScheduleResult, schedule_im
from imresearch.schema import from_mapping, to_mapping
from imresearch.simm import VERSIONS, SimmResult, simm, version_in_force

__all__ = [
    "MODEL_KINDS",
    "HSModel",
    "MCModel",
    "MarginModel",
    "ScheduleModel",
    "SimmModel",
    "StaticModel",
    "StaticResult",
    "book_on_date",
    "check_dates",
    "date_seed",
    "im_on_date",
    "im_series",
    "model_from_table",
]

IN_FORCE = "in_force"


@dataclass(frozen=True)
class SimmModel:
    """ISDA SIMM of the book's CRIF (sensitivities by bump and revaluation).

    Parameters
    ----------
    version : str
        A SIMM version (``imresearch.simm.VERSIONS``), or ``"in_force"`` for the version in
        force on each date. Default ``"in_force"``.
    mpor_days : {10, 1}
        Margin period of risk of the calibration. Default 10.
    side : {"call", "post"}
        Margin collected (the book's sensitivities) or posted (negated). Default ``"call"``.
    before_first : {"first", "error"}
        With ``"in_force"``, what a date before 2016-09-01 (no SIMM in force yet) uses: the
        first version (1.0; results say so) or an error. Default ``"first"``.
    """

    version: str = IN_FORCE
    mpor_days: int = 10
    side: Literal["call", "post"] = "call"
    before_first: Literal["first", "error"] = "first"

    KIND: ClassVar[str] = "simm"

    def __post_init__(self) -> None:
        if self.version != IN_FORCE and self.version not in VERSIONS:
            raise InputError(f"version must be {IN_FORCE!r} or one of {', '.join(VERSIONS)}; "
                             f"got {self.version!r}")
        check_choice("mpor_days", self.mpor_days, (10, 1))
        check_choice("side", self.side, ("call", "post"))
        check_choice("before_first", self.before_first, ("first", "error"))

    @property
    def label(self) -> str:
        """``SIMM`` (version in force), ``SIMM 2.6``, ``SIMM 2.6 1d post``..."""
        text = "SIMM" if self.version == IN_FORCE else f"SIMM {self.version}"
        text += " 1d" if self.mpor_days == 1 else ""
        return text + (" post" if self.side == "post" else "")

    def version_on(self, date: object) -> str:
        """The version used on ``date``."""
        if self.version != IN_FORCE:
            return self.version
        return version_in_force(date, before=self.before_first).version

    def to_table(self) -> dict[str, Any]:
        """The model as a study-file table."""
        return {"kind": self.KIND, **to_mapping(self)}


@dataclass(frozen=True)
class ScheduleModel:
    """The BCBS-IOSCO standardised schedule (notional x rate by asset class and maturity,
    with the net-to-gross ratio over the netting set)."""

    KIND: ClassVar[str] = "schedule"

    @property
    def label(self) -> str:
        """``Schedule``."""
        return "Schedule"

    def to_table(self) -> dict[str, Any]:
        """The model as a study-file table."""
        return {"kind": self.KIND}


@dataclass(frozen=True)
class StaticModel:
    """A fixed percentage of each trade's notional or market value (a broker's house margin).

    Parameters
    ----------
    rate : float
        The percentage (as a decimal: 0.05 is 5%) of trades that ``rates`` does not name.
    rates : mapping of str to float
        Rates by underlying name (e.g. ``{"VIAC": 0.2}``) or by risk class (``"equity"``,
        ``"IR"``, ``"FX"``, ``"credit"``, ``"commodity"``); a name wins over its class.
    basis : {"notional", "market_value"}
        What the rate applies to: the notional in USD (spot x quantity for equity and
        commodity trades, as the schedule counts it) or the absolute market value.
        Default ``"notional"``.
    """

    rate: float = 0.0
    rates: Mapping[str, float] = field(default_factory=dict)
    basis: Literal["notional", "market_value"] = "notional"

    KIND: ClassVar[str] = "static"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rates", dict(self.rates))
        for name, value in {"rate": self.rate, **{f"rates.{k}": v for k, v in
                                                  self.rates.items()}}.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
                    0.0 <= value <= 10.0):
                raise InputError(f"{name} must be a number in [0, 10] (0.05 is 5%); got "
                                 f"{value!r}")
        if self.rate == 0 and not self.rates:
            raise InputError("a static model needs rate > 0 or a table of rates")
        check_choice("basis", self.basis, ("notional", "market_value"))

    def __hash__(self) -> int:
        return hash((self.rate, tuple(sorted(self.rates.items())), self.basis))

    @property
    def label(self) -> str:
        """``static 5%``, ``static 5% + 3 rates``."""
        text = f"static {100 * self.rate:g}%"
        return text + (f" + {len(self.rates)} rates" if self.rates else "")

    def rate_of(self, name: str, risk_class: str) -> float:
        """The rate of a trade on underlying ``name`` in ``risk_class``."""
        return float(self.rates.get(name, self.rates.get(risk_class, self.rate)))

    def to_table(self) -> dict[str, Any]:
        """The model as a study-file table."""
        return {"kind": self.KIND, **to_mapping(self)}


MarginModel = HSModel | MCModel | SimmModel | ScheduleModel | StaticModel
"""Any margin model spec."""

MODEL_KINDS: dict[str, type] = {
    "hs": HSModel, "mc": MCModel, "simm": SimmModel, "schedule": ScheduleModel,
    "static": StaticModel,
}
"""Spec class of each ``kind`` of a study-file model table."""

#: Keys of earlier study and scenario files, and how to update them.
_RENAMED = {
    "engine": "rename 'engine' to 'kind'",
    "type": "rename 'type' to 'kind'",
    "paths": "rename 'paths' to 'n_paths'",
    "monthly_paths": "Monte Carlo paths on the dates through time are set by "
                     "[rolling] mc_paths",
}


def model_from_table(table: Mapping[str, Any], *, source: str = "model") -> MarginModel:
    """Build a model spec from a study- or scenario-file table.

    ``kind`` (default ``"hs"``) selects the spec; every other key is one of its settings.
    Keys of earlier file formats fail with a one-line hint saying how to update the file.
    """
    if not isinstance(table, Mapping):
        raise InputError(f"{source}: must be a table of settings; got {table!r}")
    values = dict(table)
    for old, hint in _RENAMED.items():
        if old in values:
            raise InputError(f"{source}: key {old!r} is from an earlier file format: {hint} "
                             f"(kinds: {', '.join(MODEL_KINDS)})")
    kind = values.pop("kind", "hs")
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise InputError(f"{source}: kind must be one of {', '.join(map(repr, MODEL_KINDS))}; "
                         f"got {kind!r}")
    return from_mapping(MODEL_KINDS[kind], values, source=source)


# ---------------------------------------------------------------------------- computation
def _bound(portfolio: Any, market: RiskFactorHistory, bind_date: object) -> BoundPortfolio:
    if isinstance(portfolio, BoundPortfolio):
        return portfolio
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    return bind(portfolio, market, bind_date)


def check_dates(market: RiskFactorHistory, dates: Sequence[object]) -> pd.DatetimeIndex:
    """``dates`` as an increasing DatetimeIndex named ``date`` of dates of ``market``.

    Raises
    ------
    InputError
        Not dates, empty, a date the market does not have, not increasing or repeated.
    """
    try:
        index = pd.DatetimeIndex(dates if not isinstance(dates, (str, pd.Timestamp)) else
                                 [dates], name="date")
    except (TypeError, ValueError):
        raise InputError(f"dates must be dates; got {dates!r}") from None
    if index.empty:
        raise InputError("dates is empty")
    missing = index[~index.isin(market.dates)]
    if len(missing):
        raise InputError(f"date {missing[0]:%Y-%m-%d} is not a date of market {market.name} "
                         f"({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d})")
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise InputError("dates must be increasing, without repeats")
    return index


def _at(bound: BoundPortfolio, market: RiskFactorHistory, date: pd.Timestamp
        ) -> BoundPortfolio:
    """The bound book (terms unchanged) at the market levels of ``date``."""
    return _at_levels(bound, market.levels.loc[date, bound.factor_names], date)


def _at_levels(bound: BoundPortfolio, levels: pd.Series, date: pd.Timestamp
               ) -> BoundPortfolio:
    return dataclasses.replace(bound, base_levels=levels.to_numpy(dtype=float), date=date)


def date_seed(seed: int, date: pd.Timestamp) -> np.random.SeedSequence:
    """Seed of one date of a Monte Carlo series: spawned from ``seed``, keyed by the date."""
    return np.random.SeedSequence(int(seed), spawn_key=(int(date.value // 86_400_000_000_000),))


@functools.singledispatch
def im_series(model: Any, portfolio: Any, market: RiskFactorHistory,
              dates: Sequence[object], *, bind_date: object = None) -> pd.Series:
    """IM of a portfolio under ``model`` on each of ``dates`` (USD).

    Parameters
    ----------
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The book, held at constant maturity: bound once on ``bind_date``.
    market : RiskFactorHistory
    dates : sequence of date-like
        Dates of ``market``, increasing.
    bind_date : date-like, optional
        Date on which the trades' terms are fixed. Default the market's last date.

    Returns
    -------
    pandas.Series
        Indexed by ``dates`` (name ``date``), named by the model's label.

    Notes
    -----
    HS/FHS run the rolling full-revaluation kernel over the dates at once
    (:func:`~imresearch.engines.hs.rolling_im`). Monte Carlo on one date uses the model's seed
    (identical to :func:`~imresearch.engines.mc.monte_carlo_im`); on several dates each date's
    seed is spawned from it, keyed by the date, so a date's IM does not depend on the other
    dates requested. SIMM, schedule and static models recompute the book's CRIF or notionals
    at each date's levels.
    """
    raise InputError(f"model must be one of {', '.join(c.__name__ for c in MODEL_KINDS.values())}"
                     f"; got {type(model).__name__}")


@im_series.register
def _(model: HSModel, portfolio: Any, market: RiskFactorHistory, dates: Sequence[object], *,
      bind_date: object = None) -> pd.Series:
    index = check_dates(market, dates)
    frame = rolling_im(_bound(portfolio, market, bind_date), market, model=model, dates=index)
    return pd.Series(frame["im"].to_numpy(), index=index, name=model.label)


def _per_date(model: Any, portfolio: Any, market: RiskFactorHistory, dates: Sequence[object],
              bind_date: object, value: Any) -> pd.Series:
    """``value(book at date t's levels)`` on each date, the book bound once."""
    index = check_dates(market, dates)
    bound = _bound(portfolio, market, bind_date)
    levels = market.levels.loc[index, bound.factor_names]
    out = [float(value(_at_levels(bound, levels.loc[t], t))) for t in index]
    return pd.Series(out, index=index, name=model.label, dtype=float)


@im_series.register
def _(model: MCModel, portfolio: Any, market: RiskFactorHistory, dates: Sequence[object], *,
      bind_date: object = None) -> pd.Series:
    index = check_dates(market, dates)
    bound = _bound(portfolio, market, bind_date)  # MC takes each date's levels itself
    out = [monte_carlo_im(bound, market, t, model, seed=model.seed if len(index) == 1
                          else date_seed(model.seed, t)).im for t in index]
    return pd.Series(out, index=index, name=model.label, dtype=float)


@im_series.register
def _(model: SimmModel, portfolio: Any, market: RiskFactorHistory, dates: Sequence[object], *,
      bind_date: object = None) -> pd.Series:
    return _per_date(model, portfolio, market, dates, bind_date, lambda b: _simm(model, b).im)


@im_series.register
def _(model: ScheduleModel, portfolio: Any, market: RiskFactorHistory,
      dates: Sequence[object], *, bind_date: object = None) -> pd.Series:
    return _per_date(model, portfolio, market, dates, bind_date,
                     lambda b: schedule_im(schedule_inputs(b)).im)


@im_series.register
def _(model: StaticModel, portfolio: Any, market: RiskFactorHistory, dates: Sequence[object],
      *, bind_date: object = None) -> pd.Series:
    return _per_date(model, portfolio, market, dates, bind_date,
                     lambda b: _static(model, b).im)


def _simm(model: SimmModel, bound: BoundPortfolio) -> SimmResult:
    return simm(to_crif(bound), version=model.version_on(bound.date),
                mpor_days=model.mpor_days, side=model.side)


@dataclass(frozen=True)
class StaticResult:
    """Static margin of a book on one date.

    Attributes
    ----------
    im : float
        Sum over trades of rate x basis (USD).
    by_trade : pandas.DataFrame
        Per trade (index ``trade_id``): ``name``, ``risk_class``, ``basis`` (USD), ``rate``,
        ``im``.
    """

    im: float
    by_trade: pd.DataFrame


def _static(model: StaticModel, bound: BoundPortfolio) -> StaticResult:
    info = schedule_inputs(bound)
    basis = (info["notional_usd"] if model.basis == "notional" else info["pv_usd"]).abs()
    names = [t.qualifier for t in bound.trades]
    classes = [t.RISK_CLASS for t in bound.trades]
    rates = np.array([model.rate_of(n, c) for n, c in zip(names, classes)])
    by_trade = pd.DataFrame({"name": names, "risk_class": classes,
                             "basis": basis.to_numpy(dtype=float), "rate": rates},
                            index=pd.Index(bound.trade_ids, name="trade_id"))
    by_trade["im"] = by_trade["basis"] * by_trade["rate"]
    return StaticResult(im=float(by_trade["im"].sum()), by_trade=by_trade)


@functools.singledispatch
def im_on_date(model: Any, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
               bind_date: object = None) -> Any:
    """The full result of ``model`` on one date (the book as it stands on that date).

    Parameters
    ----------
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
    market : RiskFactorHistory
    date : date-like, optional
        A date of ``market``. Default its last date.
    bind_date : date-like, optional
        Date on which the trades' terms are fixed. Default ``date``.

    Returns
    -------
    IMResult, MCResult, SimmResult, ScheduleResult or StaticResult
        Each has the IM as ``.im``; the rest is the model's own detail (scenario P&L and
        attribution, simulated P&L and intervals, the SIMM breakdown...).
    """
    raise InputError(f"model must be one of {', '.join(c.__name__ for c in MODEL_KINDS.values())}"
                     f"; got {type(model).__name__}")


def _one_date(market: RiskFactorHistory, date: object) -> pd.Timestamp:
    return check_dates(market, [market.end if date is None else date])[0]


def book_on_date(portfolio: Any, market: RiskFactorHistory, date: object = None, *,
                 bind_date: object = None) -> BoundPortfolio:
    """The book as :func:`im_on_date` values it: terms fixed on ``bind_date`` (default
    ``date``), at the market levels of ``date`` (default the market's last date)."""
    t = _one_date(market, date)
    return _at(_bound(portfolio, market, t if bind_date is None else bind_date), market, t)


@im_on_date.register
def _(model: HSModel, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
      bind_date: object = None) -> IMResult:
    return historical_im(portfolio, market, _one_date(market, date), model, bind_date=bind_date)


@im_on_date.register
def _(model: MCModel, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
      bind_date: object = None) -> MCResult:
    t = _one_date(market, date)
    return monte_carlo_im(_bound(portfolio, market, t if bind_date is None else bind_date),
                          market, t, model)


@im_on_date.register
def _(model: SimmModel, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
      bind_date: object = None) -> SimmResult:
    return _simm(model, book_on_date(portfolio, market, date, bind_date=bind_date))


@im_on_date.register
def _(model: ScheduleModel, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
      bind_date: object = None) -> ScheduleResult:
    return schedule_im(schedule_inputs(book_on_date(portfolio, market, date,
                                                    bind_date=bind_date)))


@im_on_date.register
def _(model: StaticModel, portfolio: Any, market: RiskFactorHistory, date: object = None, *,
      bind_date: object = None) -> StaticResult:
    return _static(model, book_on_date(portfolio, market, date, bind_date=bind_date))
