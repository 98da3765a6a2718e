"""Historical-simulation (HS) and filtered-HS IM: on one date, and rolling through time.

The portfolio is bound once to the market (``bind_date``, default the last date of the window)
and revalued in full under every scenario on every date, with its terms held at constant
maturity (the standard set-up of procyclicality studies: the same risk profile each day).
Scenario sets, quantile definitions and filtering follow :class:`imresearch.config.HSModel`;
see :mod:`imresearch.engines.scenarios` for the shock space and the volatility filters.

Windows: on a date at row ``T`` with lookback ``L`` business days, the scenarios are the shocks
lying wholly in rows ``T - L .. T`` (``L - h + 1`` overlapping ``h``-day shocks, or ``L`` daily
shocks scaled by sqrt(h)). The stress window on that date is the most volatile window of
``stress_length`` days among those ending on or before ``T`` (only data known that day); its
shocks are added when they are not already in the recent lookback.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines import _kernels as K
from imresearch.engines.scenarios import (
    additive_daily,
    ewma_volatility,
    garch_volatility,
    horizon_sums,
    multiplicative_flags,
)
from imresearch.engines.settings import HSModel
from imresearch.errors import InputError, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import find_stress_window
from imresearch.measures import es as es_measure
from imresearch.measures import tail
from imresearch.measures import var as var_measure
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio

__all__ = ["IMResult", "historical_im", "realised_pnl", "rolling_im"]


@dataclass(frozen=True)
class IMResult:
    """IM of a portfolio on one date.

    Attributes
    ----------
    im : float
        Initial margin: the model's measure (VaR or ES) of the scenario P&L, floored at 0.
    var, es : float
        Both measures (ES at the same confidence as VaR).
    date : pandas.Timestamp
        Valuation date.
    model : HSModel
        Settings used.
    pnl : pandas.Series
        Portfolio P&L per scenario, indexed by the scenario's (start, end) dates.
    pnl_by_trade : pandas.DataFrame
        P&L per scenario and trade.
    attribution : pandas.DataFrame
        Per trade: risk class and contribution to VaR (loss in the VaR scenario) and to ES
        (average loss over the tail scenarios); contributions sum to VaR and ES.
    by_risk_class : pandas.DataFrame
        Contributions summed by risk class.
    stress_window : tuple of Timestamp or None
        First and last date spanned by the stress scenarios added (the part of the stress
        window not already in the recent lookback), if any.
    """

    im: float
    var: float
    es: float
    date: pd.Timestamp
    model: HSModel
    pnl: pd.Series
    pnl_by_trade: pd.DataFrame
    attribution: pd.DataFrame
    by_risk_class: pd.DataFrame
    stress_window: tuple[pd.Timestamp, pd.Timestamp] | None

    @property
    def n_scenarios(self) -> int:
        """Number of scenarios."""
        return len(self.pnl)


def first_full_row(model: HSModel) -> int:
    """Row of a history's first date with a full lookback (and at least one scenario)."""
    span = 1 if model.scaling == "sqrt_time" else model.horizon  # rows covered by one shock
    return max(model.lookback_days or 0, span + 1)


class _Setup:
    """Everything the kernels need, computed once per (portfolio, market, model)."""

    def __init__(self, portfolio: Any, market: RiskFactorHistory, model: HSModel,
                 bind_date: object) -> None:
        if not isinstance(model, HSModel):
            raise InputError(f"model must be an HSModel; got {type(model).__name__}")
        if not isinstance(market, RiskFactorHistory):
            raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
        self.model = model
        self.bound: BoundPortfolio = (
            portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                         bind_date)
        )
        names = self.bound.factor_names
        self.history = market.select(names)
        self.dates = self.history.dates
        self.levels = np.ascontiguousarray(self.history.values)
        self.unit = np.ascontiguousarray(self.bound.scale, dtype=np.float64)
        self.mult, self.disp = multiplicative_flags([self.bound.factor_specs[f] for f in names])
        self.n = len(self.dates)
        h = model.horizon
        self.span = 1 if model.scaling == "sqrt_time" else h  # rows covered by one shock
        if self.n <= self.span + 1:
            raise InputError(f"{market.name}: {self.n} dates are too few for {h}-day shocks")
        daily = additive_daily(self.levels, self.mult, self.disp)
        if model.filtering == "none":
            self.sigma = None
            base = daily
        else:
            if model.filtering == "ewma":
                sigma = ewma_volatility(daily, model.ewma_lambda)
            else:
                sigma = garch_volatility(daily, model.garch_refit_days, lam=model.ewma_lambda)
            sigma = np.where(sigma > 0, sigma, np.nan)
            base = np.nan_to_num(daily / sigma[:-1], nan=0.0)
            self.sigma = np.nan_to_num(sigma, nan=0.0)
        if model.scaling == "sqrt_time":
            self.shocks = np.ascontiguousarray(base * np.sqrt(h))
        else:
            self.shocks = np.ascontiguousarray(horizon_sums(base, h))
        self._stress_best: np.ndarray | None = None

    # ---------------------------------------------------------------- per-date pieces
    def vols(self, rows: np.ndarray) -> np.ndarray:
        """Per-date factor scale of the shocks: 1 (HS) or the current volatility (FHS)."""
        if self.sigma is None:
            return np.ones((len(rows), self.levels.shape[1]))
        current = self.sigma[rows]
        if self.model.vol_floor is not None:
            running = np.cumsum(self.sigma, axis=0) / np.arange(1, self.n + 1)[:, None]
            current = np.maximum(current, self.model.vol_floor * running[rows])
        return np.ascontiguousarray(current)

    def first_row(self) -> int:
        """First row with a full lookback (and at least one scenario)."""
        return first_full_row(self.model)

    def recent(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        L = self.model.lookback_days
        lo = np.zeros_like(rows) if L is None else np.maximum(rows - L, 0)
        hi = rows - self.span + 1 if self.span > 1 else rows
        return lo.astype(np.int64), hi.astype(np.int64)

    def ranges(self, rows: np.ndarray) -> tuple[np.ndarray, ...]:
        """Scenario ranges per date: ``lo1, hi1, lo1b, hi1b`` (recent) and ``lo2, hi2`` (stress).

        Equal weights (``stress_weight`` None, the "recent + stress" calibration): the stress
        scenarios not already in the lookback are added; ``[lo1b, hi1b)`` is empty. With a
        ``stress_weight`` the whole stress window is the stressed set, wherever it lies, and
        the recent scenarios are the lookback without it (up to two ranges), so that stressed
        observations inside the lookback are weighted too.
        """
        lo1, hi1 = self.recent(rows)
        ls, hs = self.stress(rows, None)
        empty = np.zeros_like(lo1)
        if not self.model.stress or self.model.stress_weight is None:
            hs = np.minimum(hs, lo1)
            return lo1, hi1, empty, empty, np.minimum(ls, hs), hs
        return lo1, np.clip(ls, lo1, hi1), np.clip(hs, lo1, hi1), hi1, ls, hs

    def stress(self, rows: np.ndarray, lo1: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Scenario range of the stress window known on each date; clipped to end before
        ``lo1`` when given."""
        if not self.model.stress:
            z = np.zeros_like(rows, dtype=np.int64)
            return z, z
        length = self.model.stress_length
        if self._stress_best is None:
            if self.n < length:
                raise InputError(f"{self.history.name}: {self.n} dates, fewer than "
                                 f"stress_length={length}")
            prof = find_stress_window(self.history, length).profile.to_numpy()
            best_end = np.empty(len(prof), dtype=np.int64)  # running argmax, ties to latest
            best = 0
            for i in range(len(prof)):
                if prof[i] >= prof[best]:
                    best = i
                best_end[i] = best + length - 1
            self._stress_best = best_end
        idx = np.clip(rows - (length - 1), 0, None)
        ends = np.where(rows >= length - 1, self._stress_best[idx], -1)
        starts = ends - length + 1
        lo2 = np.where(ends >= 0, starts, 0)
        hi2 = np.where(ends >= 0, ends - self.span + 1 if self.span > 1 else ends, 0)
        if lo1 is not None:
            hi2 = np.minimum(hi2, lo1)
        lo2 = np.minimum(lo2, hi2)
        return lo2.astype(np.int64), hi2.astype(np.int64)

    def scenario_dates(self, idx: np.ndarray) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
        return self.dates[idx], self.dates[idx + self.span]


def _row(setup: _Setup, date: object) -> int:
    ts = setup.dates[-1] if date is None else pd.Timestamp(date)
    pos = setup.dates.get_indexer([ts])[0]
    if pos < 0:
        raise InputError(f"date {ts:%Y-%m-%d} is not a date of market {setup.history.name}")
    return int(pos)


def historical_im(
    portfolio: Any,
    market: RiskFactorHistory,
    date: object = None,
    model: HSModel | None = None,
    *,
    bind_date: object = None,
) -> IMResult:
    """HS or filtered-HS IM of a portfolio on one date, with its scenario P&L and attribution.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades (bound to ``market`` on ``date`` unless already bound).
    market : RiskFactorHistory
        Market history; only data up to ``date`` is used.
    date : date-like, optional
        Valuation date (a date of ``market``). Default: the last date.
    model : HSModel, optional
        Settings; default ``HSModel()`` (99% VaR, 10-day overlapping shocks, 10-year lookback).
    bind_date : date-like, optional
        Date on which trade terms are fixed. Default: ``date``.

    Returns
    -------
    IMResult

    Raises
    ------
    InputError
        A lookback longer than the history before ``date``, a date not in the market, a
        portfolio that cannot be bound.
    """
    model = model or HSModel()
    setup = _Setup(portfolio, market, model, date if bind_date is None else bind_date)
    T = _row(setup, date)
    if T < setup.first_row():
        raise InputError(
            f"lookback_days={model.lookback_days} is longer than the {T} business days of "
            f"{setup.history.name} before {setup.dates[T]:%Y-%m-%d}"
        )
    rows = np.array([T], dtype=np.int64)
    lo1, hi1, lo1b, hi1b, lo2, hi2 = setup.ranges(rows)
    idx = np.concatenate([np.arange(lo1[0], hi1[0]), np.arange(lo1b[0], hi1b[0]),
                          np.arange(lo2[0], hi2[0])])
    n_stress = int(hi2[0] - lo2[0])
    vol = setup.vols(rows)[0]
    by_trade = K.scenario_pnl_by_trade(setup.levels[T], setup.shocks[idx], vol, setup.mult,
                                       setup.disp, setup.unit, setup.bound.n_trades,
                                       setup.bound.arrays)
    pnl = by_trade.sum(axis=1)
    alpha = 1.0 - model.confidence
    weights = K.stress_weights(len(idx) - n_stress, n_stress,
                               -1.0 if model.stress_weight is None else model.stress_weight)
    if weights.size:
        t = tail(pnl, model.confidence, weights=weights)
        var, es, star = t.var, t.es, t.scenario
        tail_mask = -pnl >= var
    else:
        var = var_measure(pnl, model.confidence, method=model.quantile_method)
        es = es_measure(pnl, model.confidence, method=model.quantile_method)
        order = np.argsort(pnl, kind="mergesort")
        k = max(1, int(np.ceil(len(pnl) * alpha - 1e-9)))
        star = int(order[k - 1])
        tail_mask = np.zeros(len(pnl), bool)
        tail_mask[order[:k]] = True
    starts, ends = setup.scenario_dates(idx)
    scen_index = pd.MultiIndex.from_arrays([starts, ends], names=["start", "end"])
    trade_ids = pd.Index(setup.bound.trade_ids, name="trade_id")
    classes = [t.RISK_CLASS for t in setup.bound.trades]
    tail_loss = -by_trade[tail_mask].mean(axis=0)
    es_scale = es / tail_loss.sum() if tail_loss.sum() != 0 else 0.0
    attribution = pd.DataFrame({
        "risk_class": classes,
        "var_contribution": -by_trade[star],
        "es_contribution": tail_loss * es_scale,
        "standalone_pnl_worst": by_trade.min(axis=0),
    }, index=trade_ids)
    by_class = attribution.groupby("risk_class")[["var_contribution", "es_contribution"]].sum()
    im = var if model.measure == "var" else es
    stress_window = None
    if n_stress:
        stress_window = (setup.dates[lo2[0]], setup.dates[hi2[0] - 1 + setup.span])
    return IMResult(
        im=max(float(im), 0.0), var=float(var), es=float(es), date=setup.dates[T], model=model,
        pnl=pd.Series(pnl, index=scen_index, name="pnl"),
        pnl_by_trade=pd.DataFrame(by_trade, index=scen_index, columns=trade_ids),
        attribution=attribution, by_risk_class=by_class, stress_window=stress_window,
    )


def _day(value: object) -> str:
    """A date bound for messages: ``2008-06-09`` rather than ``2008-06-09 00:00:00``."""
    if value is None:
        return "(open)"
    try:
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    except (TypeError, ValueError):
        return repr(value)


def _range_rows(setup: _Setup, start: object, end: object, step: int) -> np.ndarray:
    """Rows of every ``step``-th date of ``[start, end]`` with a full lookback, ending on the
    last."""
    dates = setup.dates
    first = setup.first_row()
    lo_row = first if start is None else max(first, int(dates.searchsorted(pd.Timestamp(start))))
    hi_row = setup.n - 1 if end is None else int(dates.searchsorted(pd.Timestamp(end), "right")) - 1
    if hi_row < lo_row:
        raise _no_lookback(setup, f"no date in {_day(start)}..{_day(end)}")
    return np.arange(hi_row, lo_row - 1, -step, dtype=np.int64)[::-1].copy()


def _rows_of(setup: _Setup, dates: Sequence[object]) -> np.ndarray:
    """Rows of the given IM dates: market dates, increasing, each with a full lookback."""
    index = pd.DatetimeIndex(dates)
    if index.empty:
        raise InputError("dates is empty")
    rows = setup.dates.get_indexer(index)
    if (rows < 0).any():
        bad = index[rows < 0][0]
        raise InputError(f"date {bad:%Y-%m-%d} is not a date of market {setup.history.name}")
    if (np.diff(rows) <= 0).any():
        raise InputError("dates must be increasing, without repeats")
    if rows[0] < setup.first_row():
        raise _no_lookback(setup, f"date {index[0]:%Y-%m-%d}")
    return rows.astype(np.int64)


def _no_lookback(setup: _Setup, which: str) -> InputError:
    """The error of IM dates before the first with a full lookback: that date, or that the
    market is too short for the lookback at all."""
    first, lookback = setup.first_row(), setup.model.lookback_days
    if first >= setup.n:
        return InputError(f"lookback_days={lookback} needs {first + 1} dates of history; "
                          f"market {setup.history.name!r} has {setup.n}")
    return InputError(f"{which} has no full lookback of {lookback} days (first possible date "
                      f"{setup.dates[first]:%Y-%m-%d} of market {setup.history.name!r})")


def check_rolling(model: HSModel) -> HSModel:
    """The model, if the rolling kernels support its quantile method."""
    if model.quantile_method not in ("order_statistic", "exact"):
        raise InputError("rolling IM supports quantile_method 'order_statistic' or 'exact'; "
                         f"got {model.quantile_method!r}")
    return model


def im_rows(setup: _Setup, dates: Sequence[object] | None, start: object, end: object,
            step: int) -> np.ndarray:
    """Rows of the IM dates: ``dates`` themselves, or every ``step``-th date of
    ``[start, end]`` with a full lookback (see :func:`rolling_im`)."""
    if dates is not None:
        if start is not None or end is not None or step != 1:
            raise InputError("give either dates or start / end / step, not both")
        return _rows_of(setup, dates)
    return _range_rows(setup, start, end, check_positive_int("step", step))


def rolling_im(
    portfolio: Any,
    market: RiskFactorHistory,
    start: object = None,
    end: object = None,
    model: HSModel | None = None,
    *,
    bind_date: object = None,
    trade_weights: np.ndarray | None = None,
    step: int = 1,
    dates: Sequence[object] | None = None,
) -> pd.DataFrame:
    """IM on every business day of ``[start, end]`` using only data known that day.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades, held at constant maturity (bound once on ``bind_date``).
    market : RiskFactorHistory
        Market history.
    start, end : date-like, optional
        Range of IM dates. Default: from the first date with a full lookback to the last.
    model : HSModel, optional
        Settings. Default ``HSModel()``.
    bind_date : date-like, optional
        Date on which trade terms (times to expiry and cash flows) are fixed. Default: the
        last date of ``market``, i.e. today's portfolio replayed through history.
    trade_weights : ndarray of shape (n_trades,), optional
        Multipliers of the trades (e.g. 0/1 to take a sub-portfolio). Default all 1.
    step : int
        Compute every ``step``-th business day, ending on the last date of the range.
        Default 1 (daily).
    dates : sequence of date-like, optional
        The IM dates themselves (dates of ``market``, increasing), in place of ``start``,
        ``end`` and ``step``.

    Returns
    -------
    pandas.DataFrame
        Indexed by date: ``im``, ``var``, ``es``, ``n_scenarios``, ``n_stress_scenarios``,
        ``var_scenario_end`` (end date of the VaR scenario).

    Raises
    ------
    InputError
        No date in range has a full lookback; quantile methods other than
        ``order_statistic``/``exact`` (the rolling kernel supports those two).
    """
    model = check_rolling(model or HSModel())
    setup = _Setup(portfolio, market, model, bind_date)
    rows = im_rows(setup, dates, start, end, step)
    dates = setup.dates
    lo1, hi1, lo1b, hi1b, lo2, hi2 = setup.ranges(rows)
    weights = (np.ones(setup.bound.n_trades) if trade_weights is None
               else np.ascontiguousarray(trade_weights, dtype=np.float64))
    if weights.shape != (setup.bound.n_trades,):
        raise InputError(f"trade_weights must have shape ({setup.bound.n_trades},); "
                         f"got {weights.shape}")
    sw = -1.0 if model.stress_weight is None else float(model.stress_weight)
    var, es, arg = K.rolling_tail_block_kernel(
        setup.levels, rows, setup.shocks, setup.vols(rows), setup.mult, setup.disp, setup.unit,
        lo1, hi1, lo1b, hi1b, lo2, hi2, sw, 1.0 - model.confidence,
        model.quantile_method == "exact",
        setup.bound.block(weights),
    )
    out = pd.DataFrame({
        "im": np.maximum(var if model.measure == "var" else es, 0.0),
        "var": var,
        "es": es,
        "n_scenarios": (hi1 - lo1) + (hi1b - lo1b) + (hi2 - lo2),
        "n_stress_scenarios": hi2 - lo2,
        "var_scenario_end": dates[arg + setup.span],
    }, index=pd.DatetimeIndex(dates[rows], name="date"))
    return out


def realised_pnl(
    portfolio: Any,
    market: RiskFactorHistory,
    horizon: int = 10,
    *,
    bind_date: object = None,
) -> pd.Series:
    """Realised ``horizon``-day P&L of the constant-maturity portfolio starting on each date.

    ``PV(levels[t + horizon]) - PV(levels[t])`` with the terms fixed on ``bind_date``; indexed
    by the start date ``t`` (the last ``horizon`` dates have no value and are left out).
    """
    if isinstance(portfolio, BoundPortfolio):
        bound = portfolio
    else:
        bound = bind(portfolio, market, bind_date)
    hist = market.select(bound.factor_names)
    pv = K.portfolio_pv_path(np.ascontiguousarray(hist.values),
                             np.ascontiguousarray(bound.scale, dtype=np.float64),
                             np.ones(bound.n_trades), bound.arrays)
    if len(pv) <= horizon:
        raise InputError(f"{market.name}: too few dates for {horizon}-day P&L")
    return pd.Series(pv[horizon:] - pv[:-horizon], index=pd.DatetimeIndex(
        hist.dates[:-horizon], name="date"), name=f"pnl_{horizon}d")
