"""The margin part of a study: one portfolio, every model of :mod:`imresearch.models`, through
time and on the valuation date, with backtests, the comparison with SIMM and APC tools.

No file output (the writer is :mod:`imresearch.report.study_report`). Dates: the HS models run
on the rolling grid (every ``step`` business days, ending on the valuation date); the other
models (Monte Carlo with ``[rolling] mc_paths`` paths, SIMM, schedule, static) on the last
rolling date of each month. On the valuation date (the market's last date) every model gives
its full result. The book is bound once (on its own valuation date when the file gives one,
else on the market's last date: :func:`book_date`) and held at constant maturity.
Monte Carlo on month ends seeds each date from the model's seed and the date
(:func:`imresearch.models.date_seed`); on the valuation date it uses the model's seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from imresearch import procyclicality as pc
from imresearch.backtest import backtest
from imresearch.cache import cache_key, cached_frame
from imresearch.engines.hs import IMResult, first_full_row, realised_pnl
from imresearch.engines.mc import MCResult, monte_carlo_im
from imresearch.engines.settings import BUSINESS_DAYS_PER_YEAR
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import (
    HSModel,
    MarginModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    StaticModel,
    date_seed,
    im_on_date,
    im_series,
)
from imresearch.portfolio import Portfolio
from imresearch.portfolio.binding import bind
from imresearch.provenance import content_sha256
from imresearch.simm import version_in_force
from imresearch.study.settings import APCConfig, RollingConfig

__all__ = ["MarginResults", "book_date", "margin_analysis", "mc_series_with_interval",
           "monthly_grid",
           "required_rows"]

KIND_NAMES = {HSModel: "historical simulation", MCModel: "Monte Carlo", SimmModel: "ISDA SIMM",
              ScheduleModel: "BCBS-IOSCO schedule", StaticModel: "static"}
"""How each kind of model is named in tables."""


def monthly_grid(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The last of ``dates`` in each calendar month."""
    s = pd.Series(dates, index=dates)
    return pd.DatetimeIndex(s.groupby(dates.to_period("M")).max().to_numpy(), name="date")


@dataclass(frozen=True)
class MarginResults:
    """Everything the margin part of a study computes.

    Attributes
    ----------
    models : dict of str to model spec
    im : pandas.DataFrame
        IM of the HS models on the rolling grid (index ``date``, one column per label).
    monthly : pandas.DataFrame
        On the month ends (index ``date``): every model's IM (one column per label; Monte
        Carlo with ``<label> ci_lower`` / ``<label> ci_upper``), and for the reference SIMM
        model ``simm``, ``simm_version`` and ``before_first_version``.
    results : dict of str to result
        Each model's full result on the valuation date (:func:`imresearch.models.im_on_date`).
    on_date : pandas.DataFrame
        Per model on the valuation date: ``kind``, ``im``, ``ci_lower``, ``ci_upper``.
    realised : pandas.Series
        Realised ``horizon``-day P&L of the book from each date.
    backtests : pandas.DataFrame
        One row per model (``(month ends)`` for models on the monthly grid).
    reference_simm : str or None
        Label of the SIMM model the others are compared with (the first SIMM model).
    vs_simm : pandas.DataFrame
        Each model's IM over the reference SIMM on the month ends.
    apc_series, frontier : pandas.DataFrame
        Charged IM of the APC target under each tool, and cost against procyclicality.
    """

    models: dict[str, MarginModel]
    im: pd.DataFrame
    monthly: pd.DataFrame
    results: dict[str, Any]
    on_date: pd.DataFrame
    realised: pd.Series
    backtests: pd.DataFrame
    reference_simm: str | None = None
    vs_simm: pd.DataFrame = field(default_factory=pd.DataFrame)
    apc_series: pd.DataFrame = field(default_factory=pd.DataFrame)
    frontier: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def first_hs(self) -> str:
        """Label of the first HS model (its scenario P&L and attribution are reported)."""
        return next(k for k, m in self.models.items() if isinstance(m, HSModel))

    @property
    def hs_result(self) -> IMResult:
        """Full result of the first HS model on the valuation date."""
        return self.results[self.first_hs]

    @property
    def mc(self) -> dict[str, MCResult]:
        """Monte Carlo results on the valuation date, by label."""
        return {k: r for k, r in self.results.items() if isinstance(r, MCResult)}

    def mc_table(self) -> pd.DataFrame:
        """One row per Monte Carlo model on the valuation date: IM, interval, VaR, ES..."""
        rows = {}
        for label, r in self.mc.items():
            cal = r.calibration
            rows[label] = {
                "im": r.im, "ci_lower": r.ci[0], "ci_upper": r.ci[1],
                "ci_level": r.model.ci_level,
                "rel_half_width": (r.ci[1] - r.ci[0]) / (2 * r.im) if r.im else np.nan,
                "var": r.var, "es": r.es, "es_ci_lower": r.es_ci[0], "es_ci_upper": r.es_ci[1],
                "n_paths": r.n_paths, "horizon": r.horizon, "confidence": r.confidence,
                "engine": r.model.label, "window": r.model.window,
                "observations": cal.n_observations, "factors": cal.n_factors,
                "seconds": r.elapsed_s,
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "model"
        return out


def required_rows(model: MarginModel) -> int:
    """Business days of history a model needs before an IM date (HS: its lookback and one
    horizon; Monte Carlo: its calibration window; the others: none)."""
    if isinstance(model, HSModel):
        return first_full_row(model)
    if isinstance(model, MCModel):
        return int(model.lookback_days) + 1
    return 0


def book_date(portfolio: Portfolio, market: RiskFactorHistory) -> pd.Timestamp:
    """The date a study fixes the book's terms on: the book's own valuation date (the date its
    trades were struck) when it has one inside the market, else the market's last date."""
    struck = portfolio.valuation_date
    if struck is not None and market.start <= struck <= market.end:
        return market.dates[market.dates.searchsorted(struck, "right") - 1]
    return market.end


def _portfolio_hash(portfolio: Portfolio) -> str:
    return cache_key(portfolio.to_frame().astype(str).to_dict("split"))


def _rolling_dates(market: RiskFactorHistory, rolling: RollingConfig) -> pd.DatetimeIndex:
    n_rows = round(rolling.years * BUSINESS_DAYS_PER_YEAR)
    if market.n_dates <= n_rows:
        raise InputError(f"[rolling] years={rolling.years:g} needs {n_rows} dates; market "
                         f"{market.name} has {market.n_dates}")
    return pd.DatetimeIndex(market.dates[-n_rows:][::-1][::rolling.step][::-1], name="date")


def mc_series_with_interval(label: str, model: MCModel, bound: Any, market: RiskFactorHistory,
                            dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Monte Carlo IM and its interval on each date (the seeds of a several-date
    :func:`~imresearch.models.im_series`): columns ``label``, ``label ci_lower``,
    ``label ci_upper``."""
    rows = []
    for t in dates:
        r = monte_carlo_im(bound, market, t, model, seed=date_seed(model.seed, t),
                           convergence_points=1)
        rows.append((r.im, r.ci[0], r.ci[1]))
    return pd.DataFrame(rows, index=dates, columns=[label, f"{label} ci_lower",
                                                    f"{label} ci_upper"])


def margin_analysis(
    market: RiskFactorHistory,
    portfolio: Portfolio,
    models: Mapping[str, MarginModel],
    *,
    rolling: RollingConfig | None = None,
    apc: APCConfig | None = None,
    progress: Callable[[str], None] | None = None,
) -> MarginResults:
    """Run every model on a portfolio through time and on the last market date.

    Parameters
    ----------
    market : RiskFactorHistory
        Market history; the valuation date is its last date.
    portfolio : Portfolio
        The book, held at constant maturity (terms fixed on the valuation date).
    models : mapping of label to model spec
        At least one HS model (the IM series, attribution and APC tools are built on HS).
    rolling : RollingConfig, optional
        Dates of the series. Default ``RollingConfig()``.
    apc : APCConfig, optional
        APC tools on an HS model's series; None applies none.
    progress : callable, optional
        Called with a short label before each step.
    """
    models = dict(models)
    hs = {k: m for k, m in models.items() if isinstance(m, HSModel)}
    if not hs:
        raise InputError("a study needs at least one HS/FHS model (the IM series, attribution "
                         f"and APC tools are built on it); got {list(models)}")
    rolling = rolling or RollingConfig()
    say = progress or (lambda label: None)
    date = market.end
    grid = _rolling_dates(market, rolling)
    months = monthly_grid(grid)
    bind_date = book_date(portfolio, market)
    keys = (content_sha256(market), _portfolio_hash(portfolio), str(date), str(bind_date))
    bound = bind(portfolio, market, bind_date)

    def cached(kind: str, label: str, model: Any, dates: pd.DatetimeIndex,
               compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        say(f"{kind}: {label}")
        key = cache_key(kind, *keys, model.to_table(), [str(d.date()) for d in dates])
        return cached_frame(key, compute, kind=kind)

    def dates_of(label: str, model: MarginModel, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """The dates with the history the model needs."""
        need = required_rows(model)
        if need >= market.n_dates:
            raise InputError(f"model {label!r} needs {need + 1} business days of history; "
                             f"market {market.name!r} has {market.n_dates}")
        dates = dates[dates >= market.dates[need]]
        if dates.empty:
            raise InputError(f"model {label!r} needs {need + 1} business days of "
                             f"history; none of the IM dates of the last {rolling.years:g} "
                             f"years has them (data from {market.start:%Y-%m-%d})")
        return dates

    series = {}
    for label, model in hs.items():
        dates = dates_of(label, model, grid)
        series[label] = cached("rolling IM", label, model, dates, lambda m=model, d=dates: (
            im_series(m, bound, market, d).to_frame("im")))["im"]
    im = pd.DataFrame(series).rename_axis("date")

    monthly = pd.DataFrame(index=months)
    for label in hs:
        monthly[label] = im[label].reindex(months)
    for label, model in models.items():
        if isinstance(model, HSModel) or (isinstance(model, MCModel) and not rolling.mc_paths):
            continue
        dates = dates_of(label, model, months)
        if isinstance(model, MCModel):
            run = dataclasses.replace(model, n_paths=rolling.mc_paths)
            frame = cached("Monte Carlo through time", label, run, dates,
                           lambda r=run, lb=label, d=dates: mc_series_with_interval(
                               lb, r, bound, market, d))
        else:
            frame = cached("IM through time", label, model, dates, lambda m=model, lb=label,
                           d=dates: im_series(m, bound, market, d).to_frame(lb))
        monthly = monthly.join(frame)
    reference = next((k for k, m in models.items() if isinstance(m, SimmModel)), None)
    vs_simm = pd.DataFrame()
    if reference is not None:
        spec = models[reference]
        monthly["simm"] = monthly[reference]
        monthly["simm_version"] = [spec.version_on(t) for t in months]
        monthly["before_first_version"] = [_before_first(spec, t) for t in months]
        cols = [k for k in models if k != reference and k in monthly]
        vs_simm = monthly[cols].div(monthly[reference].where(monthly[reference] > 0), axis=0)

    say("IM on the valuation date")
    results = {label: im_on_date(model, bound, market, date) for label, model in models.items()}
    on_date = pd.DataFrame({
        "kind": [KIND_NAMES[type(m)] for m in models.values()],
        "im": [float(r.im) for r in results.values()],
        "ci_lower": [r.ci[0] if isinstance(r, MCResult) else np.nan for r in results.values()],
        "ci_upper": [r.ci[1] if isinstance(r, MCResult) else np.nan for r in results.values()],
    }, index=pd.Index(list(models), name="model"))

    say("realised P&L and backtests")
    horizon = next(iter(hs.values())).horizon
    realised = realised_pnl(bound, market, horizon)
    backtests = _backtests(models, im, monthly, realised, horizon, rolling.step)

    apc_series, frontier = pd.DataFrame(index=im.index), pd.DataFrame()
    if apc is not None and apc.target in im:
        say("APC tools")
        apc_series, frontier = _apc(im, apc, rolling.step)
    return MarginResults(models=models, im=im, monthly=monthly, results=results,
                         on_date=on_date, realised=realised, backtests=backtests,
                         reference_simm=reference, vs_simm=vs_simm, apc_series=apc_series,
                         frontier=frontier)


def _before_first(model: SimmModel, date: pd.Timestamp) -> bool:
    """Whether ``date`` precedes every version the in-force rule knows (SIMM held at the first
    version there)."""
    if model.version != "in_force":
        return False
    return bool(version_in_force(date, before="first").before_first)


def _horizon(model: MarginModel, default: int) -> int:
    if isinstance(model, (HSModel, MCModel)):
        return model.horizon
    if isinstance(model, SimmModel):
        return model.mpor_days
    return default  # the schedule and static rates stand for the standard 10-day horizon


def _backtests(models: Mapping[str, MarginModel], im: pd.DataFrame, monthly: pd.DataFrame,
               realised: pd.Series, horizon: int, step: int) -> pd.DataFrame:
    """HS models on the rolling grid (non-overlapping windows), the others on month ends
    (more than ``horizon`` business days apart, so their windows do not overlap)."""
    rows = []
    for label, model in models.items():
        if _horizon(model, horizon) != horizon:
            continue
        confidence = getattr(model, "confidence", 0.99)
        if isinstance(model, HSModel):
            s, name, every = im[label].dropna(), label, max(1, -(-horizon // step))
        elif label in monthly:
            s, name, every = monthly[label].dropna(), f"{label} (month ends)", 1
        else:
            continue
        s = s[s.index.isin(realised.index)]
        if len(s) < 2:
            continue
        res = backtest(s, realised, confidence, sampling="non_overlapping", horizon=every)
        rows.append(pd.Series(res.summary, name=name))
    return pd.DataFrame(rows)


def _apc(im: pd.DataFrame, apc: APCConfig, step: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The tools on the dates where the target and every model the tools use have an IM (so
    that each tool is judged over the same window)."""
    used = [label for label in dict.fromkeys(apc.labels) if label in im]
    im = im[used].dropna()
    target = im[apc.target]
    tools: dict[str, Any] = {
        f"buffer {apc.buffer:.0%}": lambda s: pc.buffer(s, apc.buffer),
        f"speed limit {apc.speed_limit:.0%}": lambda s: pc.speed_limit(s, apc.speed_limit),
    }
    if apc.floor_model in im:
        tools[f"floor: {apc.floor_model}"] = lambda s: pc.floor(s, im[apc.floor_model])
    if apc.stressed_model in im:
        stressed = im[apc.stressed_model]
        tools[f"cap: {apc.stressed_model}"] = lambda s: pc.cap(s, stressed)
        tools[f"blend {apc.blend_weight:.0%} + stressed"] = (
            lambda s: pc.blend(s, stressed, apc.blend_weight))
    for label in apc.calibration_models:
        if label in im:
            tools[label] = lambda s, label=label: im[label]
    rows = max(1, round(apc.frontier_days / step))  # business days in IM-date rows
    frontier = pc.frontier(target, tools, days=rows).rename(
        columns={f"max_{rows}d_increase": f"max_{apc.frontier_days}bd_increase"})
    charged = {"none": target, **{name: tool(target) for name, tool in tools.items()}}
    return pd.DataFrame(charged), frontier
