"""Synthetic stressed markets: a multi-asset daily history with regimes, GARCH and fat tails.

:func:`synthetic_market` simulates 38 risk factors on a weekday calendar (``pandas.bdate_range``):

=====================  ====================================================  ===================
group                  factors                                               convention (units)
=====================  ====================================================  ===================
equity indices         ``EQ_SPX``, ``EQ_SX5E``, ``EQ_NKY``, ``EQ_UKX``       log (index points)
single names           ``EQ_SN_TECH``, ``EQ_SN_BANK``, ``EQ_SN_AUTO``,       log (currency)
                       ``EQ_SN_ENERGY``
FX vs USD              ``FX_EURUSD``, ``FX_GBPUSD``, ``FX_AUDUSD``,          log
                       ``FX_USDJPY``
IR zero curves         ``IR_USD_<tenor>``, ``IR_EUR_<tenor>`` for tenors     absolute_bp
                       1m 3m 6m 1y 2y 3y 5y 10y 20y 30y                      (percent)
credit index spreads   ``CR_CDX_IG``, ``CR_ITRAXX_MAIN``, ``CR_CDX_HY``      absolute_bp (bp)
commodity              ``CMD_WTI``                                           log (USD/bbl)
implied volatility     ``VOL_VIX``, ``VOL_V2X``                              log (vol points)
=====================  ====================================================  ===================

The model
---------
*Regimes.* Each day is calm or stressed. Stress comes from a schedule of episodes placed where
the real ones were (:data:`STRESS_EPISODES`: dot-com, 9/11, GFC, euro crisis, August 2015,
February 2018, COVID, the 2022 rates shock...) and from random spells of a two-state Markov
chain. Each stress day has a severity; the volatility of each risk class is pulled (with speed
``regime_speed``) towards ``1 + severity (M_class - 1)`` times its calm level, where ``M_class``
is the class's stress multiplier (``stress_vol_*``).

*Latent drivers.* 30 drivers -- one per equity, FX rate, credit spread and commodity (the log
level, or log spread), a level/slope/curvature triple per yield curve (Nelson-Siegel factors in
percent), and one noise term per implied volatility -- follow ::

    x[t] = x[t-1] + drift[t] + kappa (theta - x[t-1]) + calm_vol * m[t] * sqrt(q[t]) * z[t]

with ``q`` a unit-mean GJR-GARCH(1, 1) variance ratio (volatility clustering and, for equity,
credit and commodity, the leverage effect; capped at ``max_variance_ratio`` so that the regime,
not the GARCH, carries the big volatility moves) and mean reversion where a level must stay
plausible over decades (rates, spreads, FX, oil, implied vol).

*Fat tails and correlation.* The innovations are multivariate Student-t: ``z = (a g + b c +
sqrt(1 - a^2 - b^2) u) sqrt((nu - 2) / w)`` with one global "risk-on" factor ``g``, one factor
``c`` per block (equity, dollar, rates level, credit, implied vol), idiosyncratic ``u``, and a
common chi-square mixing variable ``w`` of ``nu`` degrees of freedom, clipped to
``+-max_innovation``. In stress each global
loading ``a`` moves the fraction ``stress_loading_shift`` of the way to its maximum
``sqrt(1 - b^2)``, so correlations rise in stress.

*Episode moves.* A scheduled episode moves the market by ``market_move`` (log move of the
S&P-like index over the episode, spread evenly over its days); every other driver moves in
proportion to its global loading times its calm volatility (credit spreads widen, rates fall,
the yen and the dollar rally...), plus an optional parallel rates move ``rates_move_bp``. With
``bridge_episodes`` (the default) the noise of each driver over an episode is a bridge that
sums to about one day's worth, so the GFC is a crash for every seed while its daily path stays
random. Random spells drift by ``stress_spell_drift`` per day, unbridged.

*Factors from drivers.* Equity, FX, commodity and credit levels are ``exp(x)``. Zero rates are
a smooth floor (at -0.25% for USD, -1% for EUR) of the shadow rates ``L + S f1(tau) +
C f2(tau) + eta(tau)``, with Nelson-Siegel loadings ``f1``, ``f2`` and a small AR(1) tenor noise
``eta``: tenors are highly correlated, short rates move differently from long ones, and EUR
rates can go negative while moves compress near the bound. An implied volatility is
``premium * 100 sqrt(252) * calm_vol * F ** 0.75 * exp(noise)``, ``F`` the equity index's
one-month GARCH volatility forecast at the current regime (as a multiple of calm volatility) and
``noise`` a fast mean-reverting driver loaded negatively on the global factor: it jumps when
stress starts, rises after equity falls, and stays near 17 when calm.

Everything random is drawn, in a fixed order, from one :class:`numpy.random.Generator` made
from ``seed``; the daily recursion runs in a Numba kernel
(:mod:`imresearch.marketdata._synthetic_kernels`).
"""

from __future__ import annotations

import math
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from imresearch._typing import SeedLike
from imresearch.errors import InputError
from imresearch.marketdata._synthetic_kernels import driver_paths_kernel, markov_regime_kernel
from imresearch.marketdata.factors import tenor_to_years
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.synthetic_config import SyntheticMarketConfig, _make_config, _make_rng
from imresearch.marketdata.synthetic_episodes import (
    DEFAULT_EPISODES,
    STRESS_EPISODES,
    StressEpisode,
)
from imresearch.marketdata.synthetic_universe import (
    _ASYMMETRIC,
    _BLOCKS,
    _CLASSES,
    _COMMODITY,
    _CREDIT,
    _CURVES,
    _DRIVER_INDEX,
    _DRIVERS,
    _EQUITIES,
    _FX,
    _NS_DECAY_YEARS,
    _RATE_BOUND_SMOOTHING,
    _RATE_LOWER_BOUND,
    _REFERENCE,
    _SPECS,
    _STEPS_PER_YEAR,
    _TENOR_NOISE,
    _TENOR_NOISE_AR,
    _TENORS,
    _VOL_ANNUALISATION,
    _VOL_ELASTICITY,
    _VOL_HORIZON_DAYS,
    _VOL_INDICES,
    synthetic_factors,
)

__all__ = [
    "DEFAULT_EPISODES",
    "STRESS_EPISODES",
    "StressEpisode",
    "SyntheticMarketConfig",
    "synthetic_factors",
    "synthetic_market",
]


# ---------------------------------------------------------------------- simulation
def _schedule(cfg: SyntheticMarketConfig, dates: pd.DatetimeIndex
              ) -> tuple[np.ndarray, list[StressEpisode]]:
    """Index of the episode covering each date (-1 for none), and the episodes in range."""
    scheduled = np.full(len(dates), -1, dtype=np.int64)
    kept: list[StressEpisode] = []
    for ep in cfg.episodes:
        lo = int(dates.searchsorted(ep.start, "left"))
        hi = int(dates.searchsorted(ep.end, "right"))
        if hi <= lo:
            continue  # outside the simulated range
        scheduled[lo:hi] = len(kept)
        kept.append(ep)
    return scheduled, kept


def _loadings(cfg: SyntheticMarketConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calm and stress global loadings and block loadings, each of shape (n_drivers,)."""
    a_calm = np.array([d.loading for d in _DRIVERS]) * cfg.correlation_scale
    b = np.array([d.block_loading for d in _DRIVERS])
    room = np.sqrt(1.0 - b**2)
    a_stress = np.sign(a_calm) * (
        np.abs(a_calm) + cfg.stress_loading_shift * (room - np.abs(a_calm))
    )
    return a_calm, a_stress, b


def _simulate(cfg: SyntheticMarketConfig, rng: np.random.Generator
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    dates = cfg.dates
    n = len(dates)
    if n < 2:
        raise InputError(
            f"years={cfg.years!r} from start {pd.Timestamp(cfg.start):%Y-%m-%d} gives {n} "
            "business day(s); need at least 2"
        )
    d = len(_DRIVERS)
    n_tenor = len(_TENORS)
    n_curves = len(_CURVES)

    # --- all random draws, in a fixed order
    uniforms = rng.random(n)
    spell_draws = rng.uniform(cfg.spell_severity[0], cfg.spell_severity[1], n)
    g = rng.standard_normal(n)
    blocks = rng.standard_normal((n, len(_BLOCKS)))
    idio = rng.standard_normal((n, d))
    chi2 = rng.chisquare(cfg.degrees_of_freedom, n) if math.isfinite(
        cfg.degrees_of_freedom) else np.full(n, np.inf)
    tenor_eps = rng.standard_normal((n, n_curves * n_tenor))

    # --- regimes
    scheduled, episodes = _schedule(cfg, dates)
    stress = markov_regime_kernel(uniforms, scheduled, cfg.stress_entry_probability,
                                  cfg.stress_exit_probability).astype(bool)
    random_spell = stress & (scheduled < 0)
    spell_start = random_spell & ~np.r_[False, random_spell[:-1]]
    first_day = np.maximum.accumulate(np.where(spell_start, np.arange(n), 0))
    severity = np.where(random_spell, spell_draws[first_day], 0.0)
    ir_severity = severity.copy()
    market = np.where(random_spell, cfg.stress_spell_drift, 0.0)  # EQ_SPX log move per day
    rates_bp = np.zeros(n)
    episode_name = np.where(random_spell, "random", "").astype(object)
    for k, ep in enumerate(episodes):
        on = scheduled == k
        days = len(pd.bdate_range(ep.start, ep.end))  # the whole episode, even if clipped
        severity[on] = ep.severity
        ir_severity[on] = ep.ir_severity
        market[on] = ep.market_move / days
        rates_bp[on] = ep.rates_move_bp / days
        episode_name[on] = ep.name

    multipliers = np.array([getattr(cfg, f"stress_vol_{c}") for c in _CLASSES])
    target = 1.0 + severity[:, None] * (multipliers[None, :] - 1.0)
    rates_col = _CLASSES.index("rates")
    target[:, rates_col] = 1.0 + ir_severity * (multipliers[rates_col] - 1.0)

    # --- correlated multivariate-t innovations
    a_calm, a_stress, b = _loadings(cfg)
    a_t = np.where(stress[:, None], a_stress[None, :], a_calm[None, :])
    block_of = np.array([_BLOCKS.index(dr.block) if dr.block else 0 for dr in _DRIVERS])
    resid = np.sqrt(np.maximum(1.0 - a_t**2 - b[None, :] ** 2, 0.0))
    mix = np.sqrt((cfg.degrees_of_freedom - 2.0) / chi2) if math.isfinite(
        cfg.degrees_of_freedom) else np.ones(n)
    z = (a_t * g[:, None] + b[None, :] * blocks[:, block_of] + resid * idio) * mix[:, None]
    np.clip(z, -cfg.max_innovation, cfg.max_innovation, out=z)
    remaining = np.zeros(n, dtype=np.int64)
    for k in range(len(episodes) if cfg.bridge_episodes else 0):
        on = np.flatnonzero(scheduled == k)
        remaining[on] = np.arange(len(on), 0, -1)

    # --- drifts: own drift + episode / spell moves through the global loading
    calm_vol = np.array([dr.calm_vol for dr in _DRIVERS])
    ratio = (a_calm * calm_vol) / (a_calm[_REFERENCE] * calm_vol[_REFERENCE])
    follows = np.array([dr.follows_market for dr in _DRIVERS], dtype=np.float64)
    own = np.array([dr.drift for dr in _DRIVERS]) / _STEPS_PER_YEAR
    drift = np.where(scheduled[:, None] >= 0, 0.0, own[None, :])  # episode moves are net
    drift += market[:, None] * (ratio * follows)[None, :]
    for ccy, *_ in _CURVES:
        drift[:, _DRIVER_INDEX[f"IRF_{ccy}_level"]] += rates_bp / 100.0

    klass = np.array([_CLASSES.index(dr.klass) for dr in _DRIVERS], dtype=np.int64)
    asym = np.array([dr.klass in _ASYMMETRIC for dr in _DRIVERS])
    adverse = np.where(asym, np.sign(a_calm), 0.0)
    gamma = np.where(asym, cfg.garch_gamma, 0.0)
    alpha = np.full(d, cfg.garch_alpha)
    beta = np.full(d, cfg.garch_beta)
    kappa = np.array([dr.kappa for dr in _DRIVERS]) / _STEPS_PER_YEAR
    theta = np.array([dr.theta for dr in _DRIVERS])
    x0 = np.array([dr.x0 for dr in _DRIVERS])
    x, _sigma, sigma_next, m = driver_paths_kernel(
        np.ascontiguousarray(z), remaining, np.ascontiguousarray(drift),
        np.ascontiguousarray(target), klass, calm_vol, kappa, theta, x0, alpha, gamma, beta,
        adverse, cfg.regime_speed, cfg.max_variance_ratio,
    )

    # --- factor levels from the drivers
    columns: dict[str, np.ndarray] = {}

    def exp_level(name: str, level0: float) -> np.ndarray:
        j = _DRIVER_INDEX[name]
        return level0 * np.exp(x[:, j] - x[0, j])  # exactly level0 on day 0

    for name, _ccy, _units, level0, *_ in _EQUITIES:
        columns[name] = exp_level(name, level0)
    for name, _ccy, _units, level0, *_ in _FX:
        columns[name] = exp_level(name, level0)
    tau = np.array([tenor_to_years(t) for t in _TENORS]) / _NS_DECAY_YEARS
    f1 = (1.0 - np.exp(-tau)) / tau
    f2 = f1 - np.exp(-tau)
    noise_sd = np.array(_TENOR_NOISE)
    ir_mult = m[:, rates_col]
    for c, (ccy, *_) in enumerate(_CURVES):
        lvl = x[:, _DRIVER_INDEX[f"IRF_{ccy}_level"]]
        slope = x[:, _DRIVER_INDEX[f"IRF_{ccy}_slope"]]
        curv = x[:, _DRIVER_INDEX[f"IRF_{ccy}_curvature"]]
        eps = tenor_eps[:, c * n_tenor:(c + 1) * n_tenor] * noise_sd[None, :] * ir_mult[:, None]
        eps[0] = 0.0
        eta = lfilter([1.0], [1.0, -_TENOR_NOISE_AR], eps, axis=0)
        shadow = lvl[:, None] + slope[:, None] * f1[None, :] + curv[:, None] * f2[None, :] + eta
        floor = _RATE_LOWER_BOUND[ccy]
        curve = floor + _RATE_BOUND_SMOOTHING * np.logaddexp(
            0.0, (shadow - floor) / _RATE_BOUND_SMOOTHING
        )
        for k, tenor in enumerate(_TENORS):
            columns[f"IR_{ccy}_{tenor}"] = curve[:, k]
    for name, _ccy, level0, *_ in _CREDIT:
        columns[name] = exp_level(name, level0)
    columns[_COMMODITY[0]] = exp_level(_COMMODITY[0], _COMMODITY[2])
    # implied vol: the average GARCH variance forecast over the next month, at today's regime
    persistence = cfg.garch_alpha + 0.5 * cfg.garch_gamma + cfg.garch_beta
    horizon = _VOL_HORIZON_DAYS
    avg = (1.0 - persistence**horizon) / (horizon * (1.0 - persistence))
    annualise = 100.0 * math.sqrt(_VOL_ANNUALISATION)
    for name, _ccy, ref, premium, _desc in _VOL_INDICES:
        j = _DRIVER_INDEX[ref]
        spot = m[:, klass[j]] * calm_vol[j]
        q_next = (sigma_next[:, j] / spot) ** 2
        forecast = m[:, klass[j]] * np.sqrt(1.0 + avg * (q_next - 1.0))  # x calm vol
        columns[name] = (
            premium * annualise * calm_vol[j] * forecast**_VOL_ELASTICITY
            * np.exp(x[:, _DRIVER_INDEX[f"{name}_noise"]])
        )
    levels = pd.DataFrame(columns, index=dates)[list(_SPECS)]

    regimes = pd.DataFrame(
        {
            "regime": np.where(stress, "stress", "calm"),
            "stress": stress,
            "episode": episode_name.astype(str),
            "severity": severity,
            "rates_severity": ir_severity,
            "equity_vol_multiplier": m[:, _CLASSES.index("equity")],
        },
        index=dates,
    )
    return levels, regimes


@overload
def synthetic_market(
    seed: SeedLike = ..., *, config: SyntheticMarketConfig | None = ...,
    return_regimes: Literal[False] = ..., **options: Any,
) -> RiskFactorHistory: ...


@overload
def synthetic_market(
    seed: SeedLike = ..., *, config: SyntheticMarketConfig | None = ...,
    return_regimes: Literal[True], **options: Any,
) -> tuple[RiskFactorHistory, pd.DataFrame]: ...


def synthetic_market(
    seed: SeedLike = 0,
    *,
    config: SyntheticMarketConfig | None = None,
    return_regimes: bool = False,
    **options: Any,
) -> RiskFactorHistory | tuple[RiskFactorHistory, pd.DataFrame]:
    """Simulate a multi-asset daily market history with calm and stress regimes.

    See the module docstring for the factors and the model.

    Parameters
    ----------
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Source of randomness. The same int or SeedSequence gives the same history; a Generator
        is advanced; None draws fresh entropy. Default 0.
    config : SyntheticMarketConfig, optional
        Settings; default ``SyntheticMarketConfig()``.
    return_regimes : bool
        Also return the regime path. Default False.
    **options
        Fields of :class:`SyntheticMarketConfig` overriding ``config``, e.g. ``years=5``,
        ``start="2007-01-01"``, ``episodes=("gfc",)``, ``factors=("EQ_SPX", "VOL_VIX")``.

    Returns
    -------
    history : RiskFactorHistory
        Levels of shape (n_dates, n_factors) indexed by weekday dates, with full metadata.
    regimes : pandas.DataFrame
        Only if ``return_regimes``: one row per date with columns ``regime`` (``"calm"`` or
        ``"stress"``), ``stress`` (bool), ``episode`` (episode name, ``"random"`` for a Markov
        spell, ``""`` when calm), ``severity``, ``rates_severity`` and
        ``equity_vol_multiplier`` (the smoothed regime multiplier of equity volatility).

    Raises
    ------
    InputError
        An unknown option, an invalid setting (naming it and its value), or an invalid seed.

    Examples
    --------
    >>> from imresearch.marketdata.synthetic import synthetic_market
    >>> hist, regimes = synthetic_market(seed=1, years=2, return_regimes=True)
    >>> hist.n_factors, hist.n_dates, f"{hist.end:%Y-%m-%d}"
    (38, 522, '2001-01-02')
    >>> regimes.loc["2000-04-14", "episode"]
    'dotcom_2000'
    """
    cfg = _make_config(config, options)
    rng = _make_rng(seed)
    levels, regimes = _simulate(cfg, rng)
    history = RiskFactorHistory(levels, synthetic_factors(), name=cfg.name)
    if cfg.factors is not None:
        history = history.select(list(cfg.factors))
    if return_regimes:
        return history, regimes
    return history


