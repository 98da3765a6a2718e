"""Settings of the synthetic market (:class:`SyntheticMarketConfig`), validated on construction."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.marketdata.synthetic_episodes import (
    DEFAULT_EPISODES,
    STRESS_EPISODES,
    StressEpisode,
    _finite,
    _to_timestamp,
)
from imresearch.marketdata.synthetic_universe import _CLASSES, _DRIVERS, _SPECS

__all__ = ["SyntheticMarketConfig"]


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


