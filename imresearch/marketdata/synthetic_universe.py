"""The synthetic market's factor universe: drivers, blocks, curves and factor metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass

from imresearch.marketdata.factors import FactorSpec

__all__ = ["synthetic_factors"]


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

