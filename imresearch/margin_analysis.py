"""The margin part of a study: one portfolio, several IM models, SIMM and schedule, backtests and
APC tools, computed without any file output (the study writes the results).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from imresearch import procyclicality as pc
from imresearch.backtest import backtest
from imresearch.cache import cache_key, cached_frame
from imresearch.config import APCConfig, HSModel, RollingConfig
from imresearch.engines.hs import IMResult, historical_im, realised_pnl, rolling_im
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio import Portfolio
from imresearch.provenance import frame_sha256
from imresearch.schedule import schedule_im
from imresearch.simm import DEFAULT_VERSION, simm

__all__ = ["DEFAULT_MODELS", "MarginResults", "margin_analysis"]

#: The models of the built-in study, by label.
DEFAULT_MODELS: dict[str, HSModel] = {
    "HS 10y": HSModel(lookback_days=2520),
    "HS 3y+stress": HSModel(lookback_days=756, stress=True),
    "FHS-EWMA 10y": HSModel(lookback_days=2520, filtering="ewma"),
    "HS 1y": HSModel(lookback_days=252),
    "HS 1y+stress 25%": HSModel(lookback_days=252, stress=True, stress_weight=0.25),
}


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


def _portfolio_hash(portfolio: Portfolio) -> str:
    frame = portfolio.to_frame()
    return cache_key(frame.astype(str).to_dict("split"))


def margin_analysis(
    market: RiskFactorHistory,
    portfolio: Portfolio,
    models: Mapping[str, HSModel] | None = None,
    *,
    rolling: RollingConfig | None = None,
    apc: APCConfig | None = None,
    simm_version: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> MarginResults:
    """Run the margin models on a portfolio through time and on the last market date.

    Parameters
    ----------
    market : RiskFactorHistory
        Market history; the valuation date is its last date.
    portfolio : Portfolio
        Trades, held at constant maturity through history (terms fixed on the valuation date).
    models : mapping of str to HSModel, optional
        IM models by label. Default :data:`DEFAULT_MODELS`.
    rolling : RollingConfig, optional
        Range and step of the IM series. Default ``RollingConfig()``.
    apc : APCConfig, optional
        APC tools; skipped when its target model is not among ``models``.
    simm_version : str, optional
        SIMM version. Default the newest.
    progress : callable, optional
        Called with a short label before each step.
    """
    models = dict(models or DEFAULT_MODELS)
    if not models:
        raise InputError("a study needs at least one model")
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
    for label, model in models.items():
        say(f"rolling IM: {label}")
        key = cache_key("rolling_im", market_hash, book_hash, model.to_dict(),
                        rolling.to_dict(), str(date))

        def compute(model: HSModel = model) -> pd.DataFrame:
            return rolling_im(portfolio, market, start, None, model, step=rolling.step)

        frame = cached_frame(key, compute, kind="rolling-im")
        series[label] = frame["im"]
    im = pd.DataFrame(series)
    im.index.name = "date"

    say("realised P&L and backtests")
    horizon = next(iter(models.values())).horizon
    realised = realised_pnl(portfolio, market, horizon)
    rows = []
    for label, model in models.items():
        s = im[label].dropna()
        s = s[s.index.isin(realised.index)]
        if len(s) < 2:
            continue
        res = backtest(s, realised, model.confidence, sampling="non_overlapping",
                       horizon=max(1, -(-model.horizon // rolling.step)))
        rows.append(pd.Series(res.summary, name=label))
    backtests = pd.DataFrame(rows)

    say("IM on the valuation date, SIMM and schedule")
    first_label = next(iter(models))
    first = historical_im(portfolio, market, date, models[first_label])
    crif = portfolio.to_crif(market, date)
    simm_res = simm(crif, version=version, mpor_days=horizon if horizon in (1, 10) else 10)
    sched = schedule_im(portfolio.schedule_inputs(market, date))
    on_date = pd.DataFrame({
        "im": [im[label].iloc[-1] for label in models] + [simm_res.total, sched.total],
        "kind": ["internal model"] * len(models) + ["ISDA SIMM", "BCBS-IOSCO schedule"],
    }, index=[*models, f"SIMM {version}", "Schedule"])
    on_date.index.name = "model"

    say("APC tools")
    apc_series, frontier = _apc(im, apc, rolling.step)
    return MarginResults(im=im, realised=realised, backtests=backtests, on_date=on_date,
                         first=first, simm_breakdown=simm_res.breakdown, apc_series=apc_series,
                         frontier=frontier, simm_version=version)


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

