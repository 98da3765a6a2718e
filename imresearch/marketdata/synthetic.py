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

import itertools
import math
import types
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from imresearch._typing import SeedLike
from imresearch.errors import InputError
from imresearch.marketdata._synthetic_kernels import driver_paths_kernel, markov_regime_kernel
from imresearch.marketdata.factors import FactorSpec, tenor_to_years
from imresearch.marketdata.history import RiskFactorHistory

__all__ = [
    "DEFAULT_EPISODES",
    "STRESS_EPISODES",
    "StressEpisode",
    "SyntheticMarketConfig",
    "synthetic_factors",
    "synthetic_market",
]


# ---------------------------------------------------------------------- stress episodes
def _to_timestamp(name: str, value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a date such as '2008-09-15'; got {value!r}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise InputError(f"{name} must be a date such as '2008-09-15'; got {value!r}")
    if ts.tz is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _finite(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a finite number; got {value!r}") from None
    if isinstance(value, bool) or not math.isfinite(out):
        raise InputError(f"{name} must be a finite number; got {value!r}")
    return out


@dataclass(frozen=True)
class StressEpisode:
    """A scheduled stress episode of the synthetic market.

    Parameters
    ----------
    name : str
        Identifier, e.g. ``"gfc"``.
    start, end : str or pandas.Timestamp
        First and last day of the episode (inclusive). Days outside the simulated range are
        skipped; an episode wholly outside it has no effect.
    market_move : float
        Log move of the S&P-like index ``EQ_SPX`` over the whole episode (e.g. -0.45 for a
        36% fall), spread evenly over its business days; the calm drifts are suspended during
        episodes, and the other factors move in proportion to their global loading times their
        calm volatility. With ``bridge_episodes`` the realised move matches it up to one day's
        noise (less if the episode is clipped by the simulated range). Default 0.
    severity : float
        Stress intensity: class volatilities are pulled towards ``1 + severity (M - 1)`` times
        calm, ``M`` the class's stress multiplier. Default 1 (a typical stress), >= 0.
    rates_move_bp : float
        Additional parallel move of both yield curves (their level factors) over the
        episode, bp. Default 0.
    rates_severity : float, optional
        Severity used for interest-rate volatility (e.g. high in a rates shock). Default: the
        same as ``severity``.
    description : str
        Free text.

    Raises
    ------
    InputError
        Unreadable dates, ``end`` before ``start``, a negative severity or a non-finite move.
    """

    name: str
    start: pd.Timestamp | str
    end: pd.Timestamp | str
    market_move: float = 0.0
    severity: float = 1.0
    rates_move_bp: float = 0.0
    rates_severity: float | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError(f"StressEpisode name must be a non-empty string; got {self.name!r}")
        label = f"StressEpisode {self.name!r}"
        start = _to_timestamp(f"{label} start", self.start)
        end = _to_timestamp(f"{label} end", self.end)
        if end < start:
            raise InputError(
                f"{label}: end {end:%Y-%m-%d} is before start {start:%Y-%m-%d}"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "market_move", _finite(f"{label} market_move", self.market_move))
        object.__setattr__(
            self, "rates_move_bp", _finite(f"{label} rates_move_bp", self.rates_move_bp)
        )
        for attr in ("severity", "rates_severity"):
            value = getattr(self, attr)
            if value is None:
                continue
            fvalue = _finite(f"{label} {attr}", value)
            if fvalue < 0:
                raise InputError(f"{label} {attr} must be >= 0; got {value!r}")
            object.__setattr__(self, attr, fvalue)

    @property
    def ir_severity(self) -> float:
        """Severity applied to interest-rate volatility."""
        return float(self.severity if self.rates_severity is None else self.rates_severity)


def _episode(name: str, start: str, end: str, move: float, severity: float, description: str,
             rates_move_bp: float = 0.0, rates_severity: float | None = None) -> StressEpisode:
    return StressEpisode(name, start, end, move, severity, rates_move_bp, rates_severity,
                         description)


#: Catalogue of the scheduled stress episodes, by name (read-only).
STRESS_EPISODES: Mapping[str, StressEpisode] = types.MappingProxyType(
    {
        e.name: e
        for e in (
            _episode("dotcom_2000", "2000-03-13", "2000-05-26", -0.12, 0.8,
                     "dot-com bubble bursts: Nasdaq peak and April 2000 sell-off"),
            _episode("sept11_2001", "2001-09-11", "2001-10-05", -0.12, 1.2,
                     "9/11 attacks and the market re-opening"),
            _episode("bear_2002", "2002-07-01", "2002-10-09", -0.22, 1.0,
                     "post-Enron/WorldCom bear market bottom"),
            _episode("gfc", "2008-09-01", "2008-11-28", -0.36, 2.0,
                     "global financial crisis: Lehman, AIG and the autumn 2008 crash"),
            _episode("gfc_2009", "2008-12-01", "2009-03-31", -0.12, 1.2,
                     "global financial crisis: the slide to the March 2009 low"),
            _episode("euro_crisis_2010", "2010-05-03", "2010-06-30", -0.13, 0.9,
                     "flash crash and first Greek bail-out"),
            _episode("euro_crisis_2011", "2011-08-01", "2011-10-04", -0.18, 1.1,
                     "US downgrade and euro sovereign crisis"),
            _episode("china_2015", "2015-08-17", "2015-09-30", -0.10, 0.8,
                     "yuan devaluation and the August 2015 sell-off"),
            _episode("volmageddon_2018", "2018-01-29", "2018-02-28", -0.09, 0.9,
                     "short-volatility unwind of February 2018"),
            _episode("covid_2020", "2020-02-20", "2020-03-23", -0.38, 2.0,
                     "COVID-19 crash"),
            _episode("covid_rebound_2020", "2020-03-24", "2020-04-30", 0.22, 1.1,
                     "COVID-19 stressed rebound after central-bank action"),
            _episode("rates_2022", "2022-01-03", "2022-10-31", -0.22, 0.5,
                     "2022 inflation and rates shock", rates_move_bp=300.0,
                     rates_severity=2.0),
        )
    }
)

#: Names of the episodes scheduled by default (all of :data:`STRESS_EPISODES`).
DEFAULT_EPISODES: tuple[str, ...] = tuple(STRESS_EPISODES)


# ---------------------------------------------------------------------- the factor universe
# Volatility classes (columns of the regime multiplier) and blocks (common factors).
_CLASSES: tuple[str, ...] = ("equity", "fx", "rates", "credit", "commodity", "volatility")
_BLOCKS: tuple[str, ...] = ("equity", "dollar", "rates", "credit", "volatility")
#: Steps per year of the weekday calendar (annual drifts and speeds are divided by it).
_STEPS_PER_YEAR = 261.0
#: Annualisation of implied volatility (market convention, trading days).
_VOL_ANNUALISATION = 252.0
#: Horizon (business days) of the variance forecast behind implied volatility.
_VOL_HORIZON_DAYS = 21
#: Elasticity of implied volatility to the forecast (below 1: implied vol rises less than
#: realised vol at extremes, as the VIX did in 2008 and 2020).
_VOL_ELASTICITY = 0.75
#: Decay (years) of the Nelson-Siegel slope and curvature loadings.
_NS_DECAY_YEARS = 1.5
#: AR(1) coefficient of the per-tenor curve noise.
_TENOR_NOISE_AR = 0.95
_TENORS: tuple[str, ...] = ("1m", "3m", "6m", "1y", "2y", "3y", "5y", "10y", "20y", "30y")
#: Daily innovation of the per-tenor noise in calm, percent (money-market tenors are noisier).
_TENOR_NOISE: tuple[float, ...] = (0.020, 0.012, 0.008, 0.006, 0.006, 0.006, 0.006, 0.006,
                                   0.006, 0.007)
#: Classes whose GARCH has a leverage (asymmetry) term.
_ASYMMETRIC: frozenset[str] = frozenset({"equity", "credit", "commodity"})


@dataclass(frozen=True)
class _Driver:
    """One latent driver. Vol, drift and speeds are per day / per year as named."""

    name: str
    klass: str
    x0: float
    calm_vol: float  # daily, state units
    loading: float  # on the global risk-on factor (calm)
    block: str | None
    block_loading: float
    drift: float = 0.0  # per year, state units
    kappa: float = 0.0  # mean-reversion speed per year
    theta: float = 0.0  # mean-reversion level, state units
    follows_market: bool = True  # takes episode and spell drifts


# name, currency, units, level, calm vol, loading, block loading, drift/yr, description
_EQUITIES = (
    ("EQ_SPX", "USD", "index points", 1230.0, 0.0100, 0.60, 0.50, 0.13, "S&P 500-like index"),
    ("EQ_SX5E", "EUR", "index points", 3400.0, 0.0115, 0.55, 0.50, 0.11, "Euro Stoxx 50-like"),
    ("EQ_NKY", "JPY", "index points", 13500.0, 0.0120, 0.45, 0.40, 0.09, "Nikkei 225-like"),
    ("EQ_UKX", "GBP", "index points", 5900.0, 0.0100, 0.50, 0.50, 0.09, "FTSE 100-like"),
    ("EQ_SN_TECH", "USD", "USD", 40.0, 0.0200, 0.45, 0.35, 0.16, "US technology stock"),
    ("EQ_SN_BANK", "USD", "USD", 55.0, 0.0170, 0.50, 0.30, 0.10, "US bank stock"),
    ("EQ_SN_AUTO", "EUR", "EUR", 60.0, 0.0180, 0.40, 0.35, 0.08, "European carmaker stock"),
    ("EQ_SN_ENERGY", "GBP", "GBP", 25.0, 0.0160, 0.35, 0.30, 0.09, "UK energy stock"),
)
# name, quote currency, units, level, calm vol, loading, dollar-block loading, kappa/yr
_FX = (
    ("FX_EURUSD", "USD", "USD per EUR", 1.17, 0.0060, 0.15, 0.55, 0.15),
    ("FX_GBPUSD", "USD", "USD per GBP", 1.65, 0.0055, 0.20, 0.50, 0.15),
    ("FX_AUDUSD", "USD", "USD per AUD", 0.63, 0.0070, 0.40, 0.45, 0.15),
    ("FX_USDJPY", "JPY", "JPY per USD", 113.0, 0.0065, 0.30, -0.35, 0.15),
)
# currency, (L0, S0, C0), (theta_L, theta_S), calm vols (L, S, C), loadings (L, S), blocks (L, S)
_CURVES = (
    ("USD", (5.3, -0.9, -0.3), (5.0, -1.8), (0.050, 0.045, 0.040), (0.20, 0.15), (0.75, -0.60)),
    ("EUR", (4.9, -1.8, -0.5), (4.0, -2.0), (0.045, 0.040, 0.035), (0.15, 0.10), (0.70, -0.55)),
)
_CURVE_KAPPA = (0.15, 0.30, 1.00)  # per year: level, slope, curvature
#: Effective lower bound of each curve, percent: observed rates are a smooth floor of the
#: "shadow" Nelson-Siegel rates, so rates can go negative (EUR) but their moves compress near
#: the bound, as in the 2010s.
_RATE_LOWER_BOUND: dict[str, float] = {"USD": -0.25, "EUR": -1.0}
#: Width (percent) of the smooth floor: lb + w log(1 + exp((shadow - lb) / w)).
_RATE_BOUND_SMOOTHING = 0.25
# name, currency, spread bp, long-run bp, calm log vol, loading, block loading, description
_CREDIT = (
    ("CR_CDX_IG", "USD", 70.0, 80.0, 0.015, -0.55, 0.55, "CDX NA IG-like 5y index spread"),
    ("CR_ITRAXX_MAIN", "EUR", 55.0, 75.0, 0.016, -0.50, 0.55,
     "iTraxx Europe Main-like 5y spread"),
    ("CR_CDX_HY", "USD", 350.0, 400.0, 0.016, -0.60, 0.50, "CDX NA HY-like 5y index spread"),
)
_CREDIT_KAPPA = 0.8
# name, currency, level, long-run level, calm vol, loading, kappa/yr
_COMMODITY = ("CMD_WTI", "USD", 25.0, 55.0, 0.021, 0.30, 0.40)
# name, currency, reference equity, premium, description
_VOL_INDICES = (
    ("VOL_VIX", "USD", "EQ_SPX", 1.10, "VIX-like implied volatility of EQ_SPX"),
    ("VOL_V2X", "EUR", "EQ_SX5E", 1.05, "VSTOXX-like implied volatility of EQ_SX5E"),
)
_VOL_NOISE = (0.035, -0.80, 0.40, 12.0)  # calm log vol, loading, block loading, kappa/yr


def _build_universe() -> tuple[tuple[_Driver, ...], dict[str, FactorSpec]]:
    drivers: list[_Driver] = []
    specs: dict[str, FactorSpec] = {}
    for name, ccy, units, level, vol, a, b, mu, desc in _EQUITIES:
        drivers.append(_Driver(name, "equity", math.log(level), vol, a, "equity", b, drift=mu))
        specs[name] = FactorSpec("equity", "log", units, ccy, description=f"synthetic: {desc}")
    for name, ccy, units, level, vol, a, b, kappa in _FX:
        drivers.append(_Driver(name, "fx", math.log(level), vol, a, "dollar", b, kappa=kappa,
                               theta=math.log(level)))
        specs[name] = FactorSpec("FX", "log", units, ccy,
                                 description=f"synthetic: {name[3:6]}/{name[6:]} spot")
    for ccy, x0, theta, vols, loads, blocks in _CURVES:
        for k, part in enumerate(("level", "slope", "curvature")):
            drivers.append(_Driver(
                f"IRF_{ccy}_{part}", "rates", x0[k], vols[k],
                loads[k] if k < 2 else 0.0, "rates" if k < 2 else None,
                blocks[k] if k < 2 else 0.0, kappa=_CURVE_KAPPA[k],
                theta=theta[k] if k < 2 else 0.0,
            ))
        for tenor in _TENORS:
            specs[f"IR_{ccy}_{tenor}"] = FactorSpec(
                "IR", "absolute_bp", "percent", ccy, tenor,
                description=f"synthetic: {ccy} zero rate {tenor}",
            )
    for name, ccy, level, long_run, vol, a, b, desc in _CREDIT:
        drivers.append(_Driver(name, "credit", math.log(level), vol, a, "credit", b,
                               kappa=_CREDIT_KAPPA, theta=math.log(long_run)))
        specs[name] = FactorSpec("credit", "absolute_bp", "bp", ccy, "5y",
                                 description=f"synthetic: {desc}")
    name, ccy, level, long_run, vol, a, kappa = _COMMODITY
    drivers.append(_Driver(name, "commodity", math.log(level), vol, a, None, 0.0, kappa=kappa,
                           theta=math.log(long_run)))
    specs[name] = FactorSpec("commodity", "log", "USD/bbl", ccy,
                             description="synthetic: WTI-like crude oil spot")
    vol, a, b, kappa = _VOL_NOISE
    for name, ccy, _ref, _premium, desc in _VOL_INDICES:
        drivers.append(_Driver(f"{name}_noise", "volatility", 0.0, vol, a, "volatility", b,
                               kappa=kappa, follows_market=False))
        specs[name] = FactorSpec("volatility", "log", "vol points", ccy,
                                 description=f"synthetic: {desc}")
    return tuple(drivers), specs


_DRIVERS, _SPECS = _build_universe()
_DRIVER_INDEX: dict[str, int] = {d.name: i for i, d in enumerate(_DRIVERS)}
_REFERENCE = _DRIVER_INDEX["EQ_SPX"]


def synthetic_factors() -> dict[str, FactorSpec]:
    """Names and metadata of every factor of the synthetic market, in column order.

    Returns
    -------
    dict of str to FactorSpec
        38 factors: 8 equities, 4 FX rates, 2 x 10 zero rates, 3 credit spreads, 1 commodity
        and 2 implied volatilities.
    """
    return dict(_SPECS)


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class SyntheticMarketConfig:
    """Settings of :func:`synthetic_market`, validated on construction.

    Parameters
    ----------
    start : str or pandas.Timestamp
        First date (rolled forward to a weekday). Default ``"1999-01-04"``.
    years : float
        Length of the history in calendar years (> 0); dates are the weekdays in
        ``[start, start + years)``. Default 27 (7,045 business days, to early 2026).
    episodes : tuple of str or StressEpisode
        Scheduled stress episodes: names from :data:`STRESS_EPISODES` or
        :class:`StressEpisode` objects; they must not overlap. Default
        :data:`DEFAULT_EPISODES` (all of the catalogue); ``()`` for none.
    factors : tuple of str, optional
        Factors to return, in this order (see :func:`synthetic_factors`). The whole market is
        simulated either way, so a factor's path does not depend on the selection. Default
        None (all 38).
    stress_entry_probability : float
        Daily probability that a random stress spell starts on a calm day, in [0, 1).
        Default 0.001 (about one spell every four years).
    stress_exit_probability : float
        Daily probability that a random spell ends, in (0, 1]. Default 0.04 (mean length 25
        business days).
    spell_severity : tuple of float
        Range ``(low, high)`` of the uniform severity of a random spell. Default (0.6, 1.2).
    stress_spell_drift : float
        Daily log move of ``EQ_SPX`` during a random spell (others in proportion, as for
        episodes). Default -0.003.
    bridge_episodes : bool
        If True, the noise of every driver over a scheduled episode is a bridge (it sums to
        one day's worth), so each episode moves the market by its scheduled move for any
        seed while the daily path inside it stays random; if False the scheduled move is only
        the drift and the noise adds to it. Default True.
    regime_speed : float
        Weight in (0, 1] with which the volatility multipliers move each day towards their
        regime target. Default 0.35 (most of a regime change within five days).
    degrees_of_freedom : float
        Degrees of freedom ``nu > 2`` of the multivariate Student-t innovations; ``inf`` for
        Gaussian innovations. Default 7.
    max_innovation : float
        Standardised innovations are clipped to ``[-max_innovation, max_innovation]`` (> 0),
        so a rare tiny chi-square draw cannot make a 15-sigma day. Default 5.
    garch_alpha, garch_gamma, garch_beta : float
        GJR-GARCH(1, 1) coefficients of the unit-mean variance ratio, all >= 0 with
        ``alpha + gamma / 2 + beta < 1``. ``gamma`` (leverage) applies to equity, credit and
        commodity drivers. Defaults 0.02, 0.06, 0.92.
    max_variance_ratio : float
        Cap of the GARCH variance ratio (> 1). Default 4 (volatility at most twice its
        regime level).
    correlation_scale : float
        Multiplier (> 0) of every calm global loading; each driver must keep
        ``a^2 + b^2 < 1``. Default 1.
    stress_loading_shift : float
        Fraction in [0, 1) of the way each global loading moves towards its maximum
        ``sqrt(1 - b^2)`` in stress: 0 keeps correlations unchanged. Default 0.5.
    stress_vol_equity, stress_vol_fx, stress_vol_rates, stress_vol_credit, \
stress_vol_commodity, stress_vol_volatility : float
        Stress volatility multiplier ``M`` (>= 1) of each class at severity 1. Defaults 2.5,
        1.8, 1.6, 2.2, 2.0, 1.5 (so equities move ~1% a day when calm and 2.5-4% in stress
        before GARCH clustering, rates ~5bp and 8-11bp).
    name : str
        Name of the resulting history. Default ``"synthetic"``.

    Raises
    ------
    InputError
        Any invalid setting; the message names the setting and its value.
    """

    start: pd.Timestamp | str = "1999-01-04"
    years: float = 27.0
    episodes: tuple[str | StressEpisode, ...] = DEFAULT_EPISODES
    factors: tuple[str, ...] | None = None
    stress_entry_probability: float = 0.001
    stress_exit_probability: float = 0.04
    spell_severity: tuple[float, float] = (0.6, 1.2)
    stress_spell_drift: float = -0.003
    bridge_episodes: bool = True
    regime_speed: float = 0.35
    degrees_of_freedom: float = 7.0
    max_innovation: float = 5.0
    garch_alpha: float = 0.02
    garch_gamma: float = 0.06
    garch_beta: float = 0.92
    max_variance_ratio: float = 4.0
    correlation_scale: float = 1.0
    stress_loading_shift: float = 0.5
    stress_vol_equity: float = 2.5
    stress_vol_fx: float = 1.8
    stress_vol_rates: float = 1.6
    stress_vol_credit: float = 2.2
    stress_vol_commodity: float = 2.0
    stress_vol_volatility: float = 1.5
    name: str = "synthetic"

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise in place once
        set_(self, "start", _to_timestamp("start", self.start))
        years = _finite("years", self.years)
        if years <= 0:
            raise InputError(f"years must be > 0; got {self.years!r}")
        set_(self, "years", years)
        set_(self, "episodes", _resolve_episodes(self.episodes))
        set_(self, "factors", _resolve_factors(self.factors))
        set_(self, "stress_entry_probability",
             _in_range("stress_entry_probability", self.stress_entry_probability, 0.0, 1.0,
                       closed_low=True, closed_high=False))
        set_(self, "stress_exit_probability",
             _in_range("stress_exit_probability", self.stress_exit_probability, 0.0, 1.0,
                       closed_low=False, closed_high=True))
        set_(self, "spell_severity", _severity_range(self.spell_severity))
        set_(self, "stress_spell_drift", _finite("stress_spell_drift", self.stress_spell_drift))
        if not isinstance(self.bridge_episodes, (bool, np.bool_)):
            raise InputError(f"bridge_episodes must be True or False; got {self.bridge_episodes!r}")
        set_(self, "regime_speed", _in_range("regime_speed", self.regime_speed, 0.0, 1.0,
                                             closed_low=False, closed_high=True))
        nu = float(self.degrees_of_freedom) if _is_number(self.degrees_of_freedom) else None
        if nu is None or math.isnan(nu) or nu <= 2.0:
            raise InputError(
                f"degrees_of_freedom must be a number > 2 (or inf); got {self.degrees_of_freedom!r}"
            )
        set_(self, "degrees_of_freedom", nu)
        cap = _finite("max_innovation", self.max_innovation)
        if cap <= 0:
            raise InputError(f"max_innovation must be > 0; got {self.max_innovation!r}")
        set_(self, "max_innovation", cap)
        for attr in ("garch_alpha", "garch_gamma", "garch_beta"):
            value = _finite(attr, getattr(self, attr))
            if value < 0:
                raise InputError(f"{attr} must be >= 0; got {getattr(self, attr)!r}")
            set_(self, attr, value)
        persistence = self.garch_alpha + 0.5 * self.garch_gamma + self.garch_beta
        if persistence >= 1.0:
            raise InputError(
                "garch_alpha + garch_gamma / 2 + garch_beta must be < 1 (a stationary GARCH); "
                f"got {self.garch_alpha!r} + {self.garch_gamma!r} / 2 + {self.garch_beta!r} "
                f"= {persistence:.6g}"
            )
        ratio = _finite("max_variance_ratio", self.max_variance_ratio)
        if ratio <= 1.0:
            raise InputError(f"max_variance_ratio must be > 1; got {self.max_variance_ratio!r}")
        set_(self, "max_variance_ratio", ratio)
        scale = _finite("correlation_scale", self.correlation_scale)
        if scale <= 0:
            raise InputError(f"correlation_scale must be > 0; got {self.correlation_scale!r}")
        set_(self, "correlation_scale", scale)
        for d in _DRIVERS:
            if (scale * d.loading) ** 2 + d.block_loading**2 >= 1.0:
                raise InputError(
                    f"correlation_scale={self.correlation_scale!r} is too large: driver "
                    f"{d.name!r} would have global loading {scale * d.loading:.3g} and block "
                    f"loading {d.block_loading:.3g}, whose squares sum to >= 1"
                )
        set_(self, "stress_loading_shift",
             _in_range("stress_loading_shift", self.stress_loading_shift, 0.0, 1.0,
                       closed_low=True, closed_high=False))
        for klass in _CLASSES:
            attr = f"stress_vol_{klass}"
            value = _finite(attr, getattr(self, attr))
            if value < 1.0:
                raise InputError(f"{attr} must be >= 1; got {getattr(self, attr)!r}")
            set_(self, attr, value)
        if not isinstance(self.name, str) or not self.name:
            raise InputError(f"name must be a non-empty string; got {self.name!r}")

    @property
    def dates(self) -> pd.DatetimeIndex:
        """The simulated dates: weekdays in ``[start, start + years)``."""
        start = pd.Timestamp(self.start)
        end = start + pd.Timedelta(days=round(self.years * 365.2425)) - pd.Timedelta(days=1)
        return pd.bdate_range(start, max(end, start), name="date")

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain, JSON-ready dict (dates as ``YYYY-MM-DD``), for manifests."""
        out = asdict(self)
        out["start"] = f"{pd.Timestamp(self.start):%Y-%m-%d}"
        for episode in out["episodes"]:
            episode["start"] = f"{episode['start']:%Y-%m-%d}"
            episode["end"] = f"{episode['end']:%Y-%m-%d}"
        out["spell_severity"] = list(self.spell_severity)
        out["factors"] = None if self.factors is None else list(self.factors)
        return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )


def _in_range(name: str, value: Any, low: float, high: float, *, closed_low: bool,
              closed_high: bool) -> float:
    fvalue = _finite(name, value)
    ok_low = fvalue >= low if closed_low else fvalue > low
    ok_high = fvalue <= high if closed_high else fvalue < high
    if not (ok_low and ok_high):
        interval = f"{'[' if closed_low else '('}{low}, {high}{']' if closed_high else ')'}"
        raise InputError(f"{name} must be in {interval}; got {value!r}")
    return fvalue


def _severity_range(value: Any) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"spell_severity must be a pair (low, high) of numbers; got {value!r}"
        ) from None
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or high < low:
        raise InputError(f"spell_severity must satisfy 0 <= low <= high; got {value!r}")
    return (low, high)


def _resolve_episodes(episodes: Any) -> tuple[StressEpisode, ...]:
    if episodes is None:
        return ()
    if isinstance(episodes, (str, StressEpisode)):
        episodes = (episodes,)
    out: list[StressEpisode] = []
    for item in episodes:
        if isinstance(item, StressEpisode):
            out.append(item)
        elif isinstance(item, str) and item in STRESS_EPISODES:
            out.append(STRESS_EPISODES[item])
        else:
            raise InputError(
                f"episodes: unknown stress episode {item!r}; known episodes: "
                f"{', '.join(STRESS_EPISODES)} (or pass StressEpisode objects)"
            )
    names = [e.name for e in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(f"episodes: episode {dup[0]!r} is given more than once")
    ordered = sorted(out, key=lambda e: e.start)
    for prev, nxt in itertools.pairwise(ordered):
        if nxt.start <= prev.end:
            raise InputError(
                f"episodes: {prev.name!r} ({prev.start:%Y-%m-%d}..{prev.end:%Y-%m-%d}) and "
                f"{nxt.name!r} ({nxt.start:%Y-%m-%d}..{nxt.end:%Y-%m-%d}) overlap"
            )
    return tuple(out)


def _resolve_factors(factors: Any) -> tuple[str, ...] | None:
    if factors is None:
        return None
    names = (factors,) if isinstance(factors, str) else tuple(factors)
    if not names:
        raise InputError("factors must name at least one factor (or be None for all)")
    unknown = [f for f in names if f not in _SPECS]
    if unknown:
        raise InputError(
            f"factors: unknown synthetic factor(s) {unknown}; available: {', '.join(_SPECS)}"
        )
    if len(set(names)) != len(names):
        dup = next(f for f in names if names.count(f) > 1)
        raise InputError(f"factors: factor {dup!r} is listed more than once")
    return names


def _make_config(config: SyntheticMarketConfig | None, options: Mapping[str, Any]
                 ) -> SyntheticMarketConfig:
    if config is not None and not isinstance(config, SyntheticMarketConfig):
        raise InputError(
            f"config must be a SyntheticMarketConfig; got {type(config).__name__}"
        )
    known = {f.name for f in fields(SyntheticMarketConfig)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(
            f"synthetic_market: unknown option(s) {unknown}; valid options: {sorted(known)}"
        )
    base = config if config is not None else SyntheticMarketConfig()
    return replace(base, **options) if options else base


def _make_rng(seed: Any) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool):
        raise InputError(f"seed must be an int >= 0, a SeedSequence, a Generator or None; "
                         f"got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise InputError(
            f"seed must be an int >= 0, a SeedSequence, a Generator or None; got {seed!r}"
        ) from None


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

