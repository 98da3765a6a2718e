"""The margin part of a study: one portfolio, several IM models, SIMM and schedule, backtests and
APC tools, computed without any file output (the study writes the results).

Models are HS / filtered HS (:class:`~imresearch.config.HSModel`, run through time on the
rolling grid) and Monte Carlo (:class:`~imresearch.config.MCStudyModel`: on the valuation date
with its confidence interval and convergence table, and on a monthly grid for the comparison
with ISDA SIMM through time). The monthly grid is the last rolling IM date of each calendar
month; on it SIMM is computed with the version in force on each date
(:func:`imresearch.procyclicality.simm_history.simm_history`). Every model keeps the trades
bound once on the valuation date (constant maturity). Monte Carlo seeds: model ``label`` on
the ``i``-th monthly date uses ``SeedSequence(seed, spawn_key=(crc32(label), i))``, and on the
valuation date ``spawn_key=(crc32(label),)``, so results do not depend on the order or number
of models.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from imresearch import procyclicality as pc
from imresearch.backtest import backtest
from imresearch.cache import cache_key, cached_frame
from imresearch.config import APCConfig, HSModel, MCStudyModel, RollingConfig
from imresearch.engines.hs import IMResult, historical_im, realised_pnl, rolling_im
from imresearch.engines.mc import MCModel, MCResult, monte_carlo_im
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio import Portfolio
from imresearch.portfolio.binding import bind
from imresearch.provenance import frame_sha256
from imresearch.schedule import schedule_im
from imresearch.simm import DEFAULT_VERSION, simm

__all__ = ["DEFAULT_MODELS", "MarginResults", "margin_analysis", "mc_seed", "monthly_grid"]

ModelSpec = HSModel | MCStudyModel

#: The models of the built-in study, by label. The Monte Carlo model is kept cheap: Gaussian
#: copula with normal marginals on 3 years + the stress year (the fused, fastest kernel path),
#: 20,000 paths on the valuation date and 2,000 on each month end.
DEFAULT_MODELS: dict[str, ModelSpec] = {
    "HS 10y": HSModel(lookback_days=2520),
    "HS 3y+stress": HSModel(lookback_days=756, stress=True),
    "FHS-EWMA 10y": HSModel(lookback_days=2520, filtering="ewma"),
    "HS 1y": HSModel(lookback_days=252),
    "HS 1y+stress 25%": HSModel(lookback_days=252, stress=True, stress_weight=0.25),
    "MC 3y+stress": MCStudyModel(paths=20_000, monthly_paths=2_000,
                                 model=MCModel(window="recent+stress", lookback_days=750)),
}


def mc_seed(seed: int, label: str, index: int | None = None) -> np.random.SeedSequence:
    """Seed of Monte Carlo model ``label``: on the valuation date (``index=None``) or on the
    ``index``-th date of the monthly grid."""
    key = (zlib.crc32(label.encode()),) + (() if index is None else (int(index),))
    return np.random.SeedSequence(int(seed), spawn_key=key)


def monthly_grid(dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The last of ``dates`` in each calendar month."""
    s = pd.Series(dates, index=dates)
    return pd.DatetimeIndex(s.groupby(dates.to_period("M")).max().to_numpy(), name="date")


@dataclass(frozen=True)
class MarginResults:
    """Everything the margin part of a study computes.

    Attributes
    ----------
    im : pandas.DataFrame
        IM through time, one column per model label, indexed by date.
    realised : pandas.Series
        Realised ``horizon``-day P&L of the portfolio starting on each date.
    backtests : pandas.DataFrame
        One row per model: exceptions, Kupiec, Christoffersen, traffic light.
    on_date : pandas.DataFrame
        IM per model on the valuation date, with SIMM and schedule IM.
    first : IMResult
        Full result of the first model on the valuation date (P&L vector, attribution).
    simm_breakdown : pandas.DataFrame
        SIMM breakdown (product class > risk class > margin type > bucket).
    apc_series : pandas.DataFrame
        Charged IM of the APC target under each tool.
    frontier : pandas.DataFrame
        Cost against procyclicality per tool (see :func:`imresearch.procyclicality.frontier`).
    simm_version : str
    mc : dict of str to MCResult
        Monte Carlo results on the valuation date, by label (P&L per path, interval,
        convergence table).
    monthly : pandas.DataFrame
        On the monthly grid (index ``date``): ``simm`` (version in force), ``simm_version``,
        ``before_first_version``, the IM of every HS model and every Monte Carlo model with
        ``monthly_paths > 0`` (with ``<label> ci_lower`` / ``<label> ci_upper``). Empty when
        ``simm_through_time`` is off.
    vs_simm : pandas.DataFrame
        Model IM over SIMM on the monthly grid, one column per model.
    """

    im: pd.DataFrame
    realised: pd.Series
    backtests: pd.DataFrame
    on_date: pd.DataFrame
    first: IMResult
    simm_breakdown: pd.DataFrame
    apc_series: pd.DataFrame
    frontier: pd.DataFrame
    simm_version: str
    mc: dict[str, MCResult] = field(default_factory=dict)
    monthly: pd.DataFrame = field(default_factory=pd.DataFrame)
    vs_simm: pd.DataFrame = field(default_factory=pd.DataFrame)

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
                "paths": r.n_paths, "horizon": r.horizon, "confidence": r.confidence,
                "engine": r.model.label, "window": r.model.window,
                "observations": cal.n_observations, "factors": cal.n_factors,
                "seconds": r.elapsed_s,
            }
        out = pd.DataFrame.from_dict(rows, orient="index")
        out.index.name = "model"
        return out


def _portfolio_hash(portfolio: Portfolio) -> str:
    frame = portfolio.to_frame()
    return cache_key(frame.astype(str).to_dict("split"))


def margin_analysis(
    market: RiskFactorHistory,
    portfolio: Portfolio,
    models: Mapping[str, ModelSpec] | None = None,
    *,
    rolling: RollingConfig | None = None,
    apc: APCConfig | None = None,
    simm_version: str | None = None,
    simm_through_time: bool = True,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> MarginResults:
    """Run the margin models on a portfolio through time and on the last market date.

    Parameters
    ----------
    market : RiskFactorHistory
        Market history; the valuation date is its last date.
    portfolio : Portfolio
        Trades, held at constant maturity through history (terms fixed on the valuation date).
    models : mapping of str to HSModel or MCStudyModel, optional
        IM models by label (at least one HS model). Default :data:`DEFAULT_MODELS`.
    rolling : RollingConfig, optional
        Range and step of the IM series. Default ``RollingConfig()``.
    apc : APCConfig, optional
        APC tools; skipped when its target model is not among ``models``.
    simm_version : str, optional
        SIMM version on the valuation date. Default the newest.
    simm_through_time : bool
        Compute SIMM (version in force) and the models on the monthly grid. Default True.
    seed : int
        Root seed of the Monte Carlo models (see :func:`mc_seed`). Default 0.
    progress : callable, optional
        Called with a short label before each step.
    """
    models = dict(models or DEFAULT_MODELS)
    if not models:
        raise InputError("a study needs at least one model")
    bad = [k for k, m in models.items() if not isinstance(m, (HSModel, MCStudyModel))]
    if bad:
        raise InputError(f"model {bad[0]!r} must be an HSModel or an MCStudyModel; got "
                         f"{type(models[bad[0]]).__name__}")
    hs_models = {k: m for k, m in models.items() if isinstance(m, HSModel)}
    mc_models = {k: m for k, m in models.items() if isinstance(m, MCStudyModel)}
    if not hs_models:
        raise InputError("a study needs at least one HS/FHS model (the IM series, backtests "
                         f"and APC tools are built on it); got only Monte Carlo {list(models)}")
    rolling = rolling or RollingConfig()
    apc = apc or APCConfig()
    version = simm_version or DEFAULT_VERSION
    say = progress or (lambda label: None)
    date = market.end
    n_rows = round(rolling.years * 252)
    if market.n_dates <= n_rows:
        raise InputError(f"rolling.years={rolling.years} needs {n_rows} dates; market "
                         f"{market.name} has {market.n_dates}")
    start = market.dates[-n_rows]
    market_hash = frame_sha256(market.levels)
    book_hash = _portfolio_hash(portfolio)

    series = {}
    for label, model in hs_models.items():
        say(f"rolling IM: {label}")
        key = cache_key("rolling_im", market_hash, book_hash, model.to_dict(),
                        rolling.to_dict(), str(date))

        def compute(model: HSModel = model) -> pd.DataFrame:
            return rolling_im(portfolio, market, start, None, model, step=rolling.step)

        frame = cached_frame(key, compute, kind="rolling-im")
        series[label] = frame["im"]
    im = pd.DataFrame(series)
    im.index.name = "date"

    bound = bind(portfolio, market, date)
    mc_results: dict[str, MCResult] = {}
    for label, spec in mc_models.items():
        say(f"Monte Carlo: {label}")
        mc_results[label] = monte_carlo_im(
            bound, market, date, n_paths=spec.paths, horizon=spec.horizon,
            confidence=spec.confidence, seed=mc_seed(seed, label), model=spec.model,
            convergence_points=spec.convergence_points)

    monthly = pd.DataFrame()
    vs_simm = pd.DataFrame()
    if simm_through_time:
        monthly = _monthly(market, bound, im, mc_models, seed=seed, say=say,
                           keys=(market_hash, book_hash, str(date)))
        cols = [*hs_models, *[k for k in mc_models if k in monthly]]
        vs_simm = monthly[cols].div(monthly["simm"].where(monthly["simm"] > 0), axis=0)

    say("realised P&L and backtests")
    horizon = next(iter(hs_models.values())).horizon
    realised = realised_pnl(portfolio, market, horizon)
    rows = []
    for label, model in hs_models.items():
        s = im[label].dropna()
        s = s[s.index.isin(realised.index)]
        if len(s) < 2:
            continue
        res = backtest(s, realised, model.confidence, sampling="non_overlapping",
                       horizon=max(1, -(-model.horizon // rolling.step)))
        rows.append(pd.Series(res.summary, name=label))
    for label, spec in mc_models.items():
        if label not in monthly or spec.horizon != horizon:
            continue
        s = monthly[label].dropna()
        s = s[s.index.isin(realised.index)]
        if len(s) < 2:
            continue
        # month ends are more than `horizon` business days apart: the windows do not overlap
        res = backtest(s, realised, spec.confidence, sampling="non_overlapping", horizon=1)
        rows.append(pd.Series(res.summary, name=f"{label} (month ends)"))
    backtests = pd.DataFrame(rows)

    say("IM on the valuation date, SIMM and schedule")
    first_label = next(iter(hs_models))
    first = historical_im(portfolio, market, date, hs_models[first_label])
    crif = portfolio.to_crif(market, date)
    simm_res = simm(crif, version=version, mpor_days=horizon if horizon in (1, 10) else 10)
    sched = schedule_im(portfolio.schedule_inputs(market, date))
    labels = [*hs_models, *mc_models]
    nan = float("nan")
    on_date = pd.DataFrame({
        "im": [im[k].iloc[-1] for k in hs_models] + [r.im for r in mc_results.values()]
        + [simm_res.total, sched.total],
        "kind": ["internal model"] * len(hs_models) + ["Monte Carlo"] * len(mc_models)
        + ["ISDA SIMM", "BCBS-IOSCO schedule"],
        "ci_lower": [nan] * len(hs_models) + [r.ci[0] for r in mc_results.values()]
        + [nan, nan],
        "ci_upper": [nan] * len(hs_models) + [r.ci[1] for r in mc_results.values()]
        + [nan, nan],
    }, index=[*labels, f"SIMM {version}", "Schedule"])
    on_date.index.name = "model"

    say("APC tools")
    apc_series, frontier = _apc(im, apc, rolling.step)
    return MarginResults(im=im, realised=realised, backtests=backtests, on_date=on_date,
                         first=first, simm_breakdown=simm_res.breakdown, apc_series=apc_series,
                         frontier=frontier, simm_version=version, mc=mc_results,
                         monthly=monthly, vs_simm=vs_simm)


def _monthly(market: RiskFactorHistory, bound: Any, im: pd.DataFrame,
             mc_models: Mapping[str, MCStudyModel], *, seed: int,
             say: Callable[[str], None], keys: tuple[str, ...]) -> pd.DataFrame:
    """SIMM (version in force), HS IM and Monte Carlo IM on the monthly grid (cached)."""
    from imresearch.procyclicality.simm_history import simm_history

    grid = monthly_grid(im.index)
    say("SIMM through time (version in force)")
    mpor = 10
    hist = cached_frame(
        cache_key("simm_history", *keys, [str(d.date()) for d in grid], mpor),
        lambda: simm_history(bound, market, dates=grid, mpor_days=mpor),
        kind="simm-history")
    out = pd.DataFrame({"simm": hist["simm"], "simm_version": hist["version"],
                        "before_first_version": hist["before_first_version"].astype(bool)},
                       index=grid)
    for label in im:
        out[label] = im[label].reindex(grid)
    for label, spec in mc_models.items():
        if spec.monthly_paths <= 0:
            continue
        say(f"Monte Carlo through time: {label}")

        def compute(label: str = label, spec: MCStudyModel = spec) -> pd.DataFrame:
            rows = []
            for i, t in enumerate(grid):
                r = monte_carlo_im(bound, market, t, n_paths=spec.monthly_paths,
                                   horizon=spec.horizon, confidence=spec.confidence,
                                   seed=mc_seed(seed, label, i), model=spec.model,
                                   convergence_points=2)
                rows.append((r.im, r.ci[0], r.ci[1]))
            return pd.DataFrame(rows, index=grid, columns=["im", "ci_lower", "ci_upper"])

        frame = cached_frame(
            cache_key("mc_monthly", *keys, label, spec.to_dict(), seed,
                      [str(d.date()) for d in grid]), compute, kind="mc-monthly")
        out[label] = frame["im"].to_numpy()
        out[f"{label} ci_lower"] = frame["ci_lower"].to_numpy()
        out[f"{label} ci_upper"] = frame["ci_upper"].to_numpy()
    out.index.name = "date"
    return out


def _apc(im: pd.DataFrame, apc: APCConfig, step: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    if apc.target not in im:
        return pd.DataFrame(index=im.index), pd.DataFrame()
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
    rows = max(1, round(20 / step))  # 20 business days in IM-date rows
    frontier = pc.frontier(target, tools, days=rows).rename(
        columns={f"max_{rows}d_increase": "max_20bd_increase"})
    charged = {"none": target, **{name: tool(target) for name, tool in tools.items()}}
    return pd.DataFrame(charged), frontier

