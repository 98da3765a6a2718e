"""Impulse response of an IM model to a step or a pulse in volatility.

Glasserman and Wu (2018), "Persistence and procyclicality in margin requirements" (Management
Science 64(12)), study how a margin model reacts to a shock in market volatility: how fast the
IM rises, how far, and how long it stays up (persistence). :func:`impulse_response` measures
this for any model, by simulation: a one-factor market (log returns, normal innovations) whose
daily volatility is ``vol_before`` until the step day and ``vol_after`` afterwards (``"step"``)
or only for ``pulse_days`` (``"pulse"``); the model's IM of a unit linear position on each
path, as a fraction of the position's value that day (so the drift of the price does not count
as a response), divided by its average over the ``norm_days`` before the step; the mean of that
ratio over paths, by business days since the step.

Summary, on the mean response ``h(tau)`` (``h = 1`` before the step):

* ``target_ratio``: the IM ratio of a model that knows the new volatility at once: for the
  ``confidence`` quantile of a long position's ``horizon``-day loss under normal log returns,
  ``(1 - exp(-z sigma_after sqrt(h))) / (1 - exp(-z sigma_before sqrt(h)))`` (1.93 for 1% to
  2% a day at 99% and 10 days; not exactly 2, because price losses are concave in the return);
* ``peak_ratio`` and ``peak_day``: the extreme of ``h`` after the step (the maximum for a rise
  in volatility, the minimum for a fall) and the first day it is reached;
* ``days_to_half`` / ``days_to_90pct``: first day ``h`` has covered 50% / 90% of the way to
  ``target_ratio`` (step) or to ``peak_ratio`` (pulse); NaN if never;
* ``days_elevated``: days with ``|h - 1| > 0.1`` from the day the volatility returned to
  ``vol_before`` (pulse: the persistence), or from the step;
* ``largest_1d_drop``: the largest one-day relative fall of ``h``, the "cliff effect" of a
  fixed lookback when the stressed returns leave the window.

``mean`` is the mean over paths of per-path ratios; ``se`` its standard error, to judge how
much of a small difference between models is simulation noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from imresearch.engines.settings import HSModel
from imresearch.errors import (
    InputError,
    check_choice,
    check_in_open_interval,
    check_positive_int,
)
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory

__all__ = ["ImpulseResponse", "hs_response_model", "impulse_response", "impulse_summary"]

#: Name of the simulated factor (an equity index in the ``EQ_`` convention).
FACTOR = "EQ_IMPULSE"

IMModel = Callable[[RiskFactorHistory], pd.Series]


@dataclass(frozen=True)
class ImpulseResponse:
    """Result of :func:`impulse_response`.

    Attributes
    ----------
    response : pandas.DataFrame
        Indexed by business days since the step (negative before): ``mean``, ``p05``, ``p95``
        of the IM ratio over paths, and ``vol_ratio`` (the simulated volatility over
        ``vol_before``).
    summary : pandas.Series
        See the module notes.
    """

    response: pd.DataFrame
    summary: pd.Series


def hs_response_model(model: HSModel | None = None) -> IMModel:
    """IM of a unit long position in :data:`FACTOR` by a (filtered) HS model, every date.

    Dates without a full lookback are left out by the engine.
    """
    from imresearch.engines.hs import rolling_im
    from imresearch.portfolio import EquityPosition

    model = model or HSModel(lookback_days=250)
    if model.lookback_days is None:
        raise InputError("hs_response_model needs a finite lookback_days (the simulated history "
                         "is only burn_in_days long); got None")
    trade = EquityPosition(trade_id="UNIT", underlying="IMPULSE", quantity=1.0)

    def run(market: RiskFactorHistory) -> pd.Series:
        first = market.dates[min(model.lookback_days, market.n_dates - 1)]
        return rolling_im([trade], market, first, None, model=model)["im"]

    return run


def _paths(n_days: int, vol: np.ndarray, n_paths: int, seed: int) -> list[np.ndarray]:
    streams = np.random.SeedSequence(seed).spawn(n_paths)
    out = []
    for ss in streams:
        z = np.random.default_rng(ss).standard_normal(n_days - 1)
        out.append(100.0 * np.exp(np.concatenate([[0.0], np.cumsum(vol[1:] * z)])))
    return out


def impulse_response(
    im_model: IMModel,
    *,
    vol_before: float = 0.01,
    vol_after: float = 0.02,
    shape: str = "step",
    pulse_days: int = 20,
    burn_in_days: int = 260,
    days_before: int = 20,
    days_after: int = 300,
    norm_days: int = 20,
    n_paths: int = 20,
    seed: int = 0,
    confidence: float = 0.99,
    horizon: int = 10,
    target_ratio: float | None = None,
) -> ImpulseResponse:
    """Mean response of a model's IM to a step or pulse in volatility (see the module notes).

    Parameters
    ----------
    im_model : callable
        ``market -> IM Series`` for a unit long linear position in :data:`FACTOR` of the
        one-factor ``market`` (e.g. :func:`hs_response_model`); it may leave out early dates
        but must cover the ``days_before + days_after + 1`` days around the step.
    vol_before, vol_after : float
        Daily volatility of log returns before and after (during) the shock, > 0.
    shape : {"step", "pulse"}
    pulse_days : int
        Length of a pulse in business days.
    burn_in_days : int
        Business days of ``vol_before`` before the measured window (the model's lookback).
    days_before, days_after : int
        Business days measured before and after the step; ``norm_days <= days_before``.
    n_paths : int
        Simulated paths; each has its own stream spawned from ``seed``.
    seed : int
    confidence, horizon
        Quantile and horizon (business days) of the model, for ``target_ratio``.
    target_ratio : float, optional
        Override the perfect-knowledge ratio (for models of another kind).

    Returns
    -------
    ImpulseResponse

    Raises
    ------
    InputError
        Non-positive volatilities or counts, an unknown shape, a model whose IM is missing on
        the measured dates or not positive.
    """
    for name, v in (("vol_before", vol_before), ("vol_after", vol_after)):
        if not (isinstance(v, (int, float)) and np.isfinite(v) and v > 0):
            raise InputError(f"{name} must be a positive number; got {v!r}")
    if vol_after == vol_before:
        raise InputError(f"vol_after must differ from vol_before; both are {vol_before!r}")
    check_choice("shape", shape, ("step", "pulse"))
    pulse_days = check_positive_int("pulse_days", pulse_days)
    confidence = check_in_open_interval("confidence", confidence)
    horizon = check_positive_int("horizon", horizon)
    burn_in_days = check_positive_int("burn_in_days", burn_in_days, minimum=0)
    days_before = check_positive_int("days_before", days_before)
    days_after = check_positive_int("days_after", days_after)
    norm_days = check_positive_int("norm_days", norm_days)
    n_paths = check_positive_int("n_paths", n_paths)
    if norm_days > days_before:
        raise InputError(f"norm_days={norm_days} must not exceed days_before={days_before}")
    if shape == "pulse" and pulse_days >= days_after:
        raise InputError(f"pulse_days={pulse_days} must be shorter than days_after="
                         f"{days_after} (nothing would be measured after the pulse)")
    n_days = burn_in_days + days_before + days_after + 1
    step_row = burn_in_days + days_before
    vol = np.full(n_days, float(vol_before))
    end_row = n_days if shape == "step" else min(step_row + pulse_days, n_days)
    vol[step_row:end_row] = vol_after
    dates = pd.bdate_range("2000-01-03", periods=n_days, name="date")
    measured = dates[burn_in_days:]
    tau = np.arange(-days_before, days_after + 1)
    spec = {FACTOR: FactorSpec(risk_class="equity", convention="log", units="index",
                               currency="USD")}
    ratios = np.empty((n_paths, len(tau)))
    for p, levels in enumerate(_paths(n_days, vol, n_paths, seed)):
        market = RiskFactorHistory(pd.DataFrame({FACTOR: levels}, index=dates), spec,
                                   name=f"impulse path {p}")
        try:
            im = pd.Series(im_model(market)).reindex(measured)
        except InputError as exc:
            raise InputError(f"im_model on simulated path {p}: {exc} (burn_in_days="
                             f"{burn_in_days} may be shorter than the model's lookback)"
                             ) from None
        if im.isna().any():
            missing = im.index[im.isna()][0]
            raise InputError(f"im_model gave no IM on {missing:%Y-%m-%d} (day "
                             f"{tau[measured.get_loc(missing)]} from the step); raise "
                             f"burn_in_days={burn_in_days} to cover the model's lookback")
        x = im.to_numpy(dtype=float)
        if not (x > 0).all():
            raise InputError(f"im_model gave a non-positive IM ({x[~(x > 0)][0]!r})")
        x = x / levels[burn_in_days:]  # IM per unit of the position's value that day
        ratios[p] = x / x[days_before - norm_days:days_before].mean()
    response = pd.DataFrame({
        "mean": ratios.mean(axis=0),
        "se": ratios.std(axis=0, ddof=1) / np.sqrt(n_paths) if n_paths > 1 else np.nan,
        "p05": np.quantile(ratios, 0.05, axis=0),
        "p95": np.quantile(ratios, 0.95, axis=0),
        "vol_ratio": vol[burn_in_days:] / vol_before,
    }, index=pd.Index(tau, name="days_since_step"))
    if target_ratio is None:
        z = float(norm.ppf(confidence))
        target_ratio = (-np.expm1(-z * vol_after * np.sqrt(horizon))
                        / -np.expm1(-z * vol_before * np.sqrt(horizon)))
    summary = impulse_summary(response["mean"], target_ratio=float(target_ratio),
                              shape=shape, pulse_days=pulse_days)
    return ImpulseResponse(response, summary)


def impulse_summary(h: pd.Series, *, target_ratio: float, shape: str = "step",
                    pulse_days: int = 20, elevated_band: float = 0.10) -> pd.Series:
    """Summary statistics of a mean IM response ``h`` indexed by days since the step.

    ``days_elevated`` counts the days, from the day the volatility is back to its new (step)
    or old (pulse) level, on which IM is more than ``elevated_band`` (relative) away from 1.
    """
    check_choice("shape", shape, ("step", "pulse"))
    after = h[h.index >= 0]
    rise = target_ratio > 1.0
    peak = float(after.max() if rise else after.min())
    peak_day = float(after.idxmax() if rise else after.idxmin())
    top = target_ratio if shape == "step" else peak

    def first_day(level: float) -> float:
        if top == 1.0:
            return np.nan
        covered = (after.to_numpy() - 1.0) / (top - 1.0)
        hit = after.index[covered >= level]
        return float(hit[0]) if len(hit) else np.nan

    calm_from = 0 if shape == "step" else pulse_days
    elevated = int(((h[h.index >= calm_from] - 1.0).abs() > elevated_band).sum())
    drops = (-(after.diff()) / after.shift()).dropna()
    return pd.Series({
        "target_ratio": float(target_ratio),
        "peak_ratio": peak,
        "peak_day": peak_day,
        "days_to_half": first_day(0.5),
        "days_to_90pct": first_day(0.9),
        "days_elevated": float(elevated),
        "largest_1d_drop": float(max(drops.max(), 0.0)) if len(drops) else 0.0,
    })
