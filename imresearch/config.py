"""Model and run settings as frozen dataclasses with documented defaults.

Settings objects are immutable, validated on construction (bad values raise
:class:`~imresearch.errors.InputError` naming the field), and convertible to plain dicts for
manifests. Study files (TOML) map one-to-one onto them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from imresearch.errors import (
    InputError,
    check_choice,
    check_in_open_interval,
    check_positive_int,
)

__all__ = [
    "APCConfig",
    "HSModel",
    "MCStudyModel",
    "MarketStudyConfig",
    "PortfolioStudyConfig",
    "RollingConfig",
    "from_mapping",
]


@dataclass(frozen=True)
class MarketStudyConfig:
    """Settings of the market part of a study (data, shocks, stress window).

    Parameters
    ----------
    data : str
        Market data: a built-in name (see ``imresearch data list``), a catalogue name, or a
        path to a CSV/Parquet file. Default ``"synthetic"`` (the built-in synthetic market).
    seed : int
        Seed for anything random (the synthetic market). Default 0.
    horizon : int
        Margin period of risk in business days. Default 10.
    confidence : float
        Confidence level of the tail statistics. Default 0.99.
    stress_window_days : int
        Length of the stress window, business days. Default 250 (one year).
    recent_years : int
        Length of the "recent" lookback, years. Default 3.
    """

    data: str = "synthetic"
    seed: int = 0
    horizon: int = 10
    confidence: float = 0.99
    stress_window_days: int = 250
    recent_years: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.data, str) or not self.data.strip():
            raise InputError(f"data must be a non-empty string; got {self.data!r}")
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_positive_int("stress_window_days", self.stress_window_days, minimum=20)
        check_positive_int("recent_years", self.recent_years)

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class HSModel:
    """Settings of the historical-simulation (HS) and filtered-HS IM models.

    Parameters
    ----------
    lookback_days : int or None
        Business days of history whose shocks form the scenarios (2520 = 10 years, 750 = 3
        years, 250 = 1 year); None uses all history available on each date. Default 2520.
    horizon : int
        Margin period of risk in business days. Default 10.
    confidence : float
        Confidence level. Default 0.99.
    measure : {"var", "es"}
        Risk measure of the scenario P&L. Default ``"var"``.
    quantile_method : str
        Quantile definition (see :mod:`imresearch.measures`). Default ``"order_statistic"``.
    scaling : {"overlapping", "sqrt_time"}
        Overlapping ``horizon``-day shocks, or 1-day shocks scaled by sqrt(horizon).
    stress : bool
        Add the scenarios of the most stressed window known on each date (the "recent +
        stress" calibration of EU RTS 2016/2251 art. 3(c)), equally weighted by default.
    stress_length : int
        Length of the stress window in business days. Default 250.
    stress_weight : float or None
        Least total weight of the stress scenarios (0.25 for the APC tool of EMIR RTS 153/2013
        art. 28(1)(b): "at least 25% weight to stressed observations"), wherever they lie: the
        observations of the stress window inside the lookback count as well as those before
        it; when their share of the scenarios is already higher, every scenario weighs the
        same. None weights every scenario equally and adds only the stress scenarios the
        lookback does not already hold. Default None.
    filtering : {"none", "ewma", "garch"}
        Filtered HS: rescale shocks by current over historical volatility, from EWMA or
        GARCH(1,1) (fitted with ``arch``). Default ``"none"``.
    ewma_lambda : float
        EWMA decay. Default 0.94 (RiskMetrics daily).
    garch_refit_days : int
        Business days between GARCH re-fits on the expanding window. Default 250.
    vol_floor : float or None
        Floor on the volatility used to rescale, as a fraction of the average volatility
        up to that date (e.g. 0.5); None for no floor. Default None.
    """

    lookback_days: int | None = 2520
    horizon: int = 10
    confidence: float = 0.99
    measure: Literal["var", "es"] = "var"
    quantile_method: str = "order_statistic"
    scaling: Literal["overlapping", "sqrt_time"] = "overlapping"
    stress: bool = False
    stress_length: int = 250
    stress_weight: float | None = None
    filtering: Literal["none", "ewma", "garch"] = "none"
    ewma_lambda: float = 0.94
    garch_refit_days: int = 250
    vol_floor: float | None = None

    def __post_init__(self) -> None:
        if self.lookback_days is not None:
            check_positive_int("lookback_days", self.lookback_days, minimum=20)
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_choice("measure", self.measure, ("var", "es"))
        check_choice("scaling", self.scaling, ("overlapping", "sqrt_time"))
        check_choice("filtering", self.filtering, ("none", "ewma", "garch"))
        check_positive_int("stress_length", self.stress_length, minimum=20)
        if self.stress_weight is not None:
            check_in_open_interval("stress_weight", self.stress_weight)
            if not self.stress:
                raise InputError("stress_weight needs stress=True")
        check_in_open_interval("ewma_lambda", self.ewma_lambda)
        check_positive_int("garch_refit_days", self.garch_refit_days, minimum=20)
        if self.vol_floor is not None:
            check_in_open_interval("vol_floor", self.vol_floor, 0.0, 10.0)
        from imresearch.measures import QUANTILE_METHODS

        check_choice("quantile_method", self.quantile_method, QUANTILE_METHODS)
        if self.stress_weight is not None and self.quantile_method not in (
            "order_statistic", "exact"
        ):
            raise InputError("stress_weight needs quantile_method 'order_statistic' or 'exact'")

    @property
    def label(self) -> str:
        """Short label such as ``HS 10y``, ``FHS-EWMA 3y+stress``."""
        kind = "HS" if self.filtering == "none" else f"FHS-{self.filtering.upper()}"
        days = self.lookback_days
        if days is None:
            look = "all"
        elif days % 252 == 0 or days % 250 == 0:
            look = f"{days // (252 if days % 252 == 0 else 250)}y"
        else:
            look = f"{days}d"
        extra = "+stress" if self.stress else ""
        extra += " sqrt-time" if self.scaling == "sqrt_time" else ""
        return f"{kind} {look}{extra}" + (" ES" if self.measure == "es" else "")

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


def _default_mc_model() -> Any:
    from imresearch.engines.mc import MCModel  # lazy: the engines import this module

    return MCModel()


@dataclass(frozen=True)
class MCStudyModel:
    """A Monte Carlo IM model in a study: the engine's settings and the size of the run.

    In a study file it is a model table with ``engine = "mc"``; the keys below set the run and
    every other key is a setting of :class:`imresearch.engines.mc.MCModel` (``method``,
    ``window``, ``lookback_days``, ``covariance``, ``marginal``, ``copula``, ...)::

        [models."MC 3y+stress"]
        engine = "mc"
        paths = 20000
        window = "recent+stress"
        copula = "gaussian"

    Parameters
    ----------
    paths : int
        Simulated paths on the valuation date. Default 20,000.
    monthly_paths : int
        Paths on each month-end date of the comparison with SIMM through time; 0 leaves the
        model out of it. Default 2,000.
    horizon : int
        Margin period of risk in business days (daily steps). Default 10.
    confidence : float
        Confidence level of VaR / ES. Default 0.99.
    convergence_points : int
        Rows of the convergence table (path counts halving from ``paths``). Default 8.
    model : MCModel
        Calibration and simulation settings. Default ``MCModel()``.
    """

    paths: int = 20_000
    monthly_paths: int = 2_000
    horizon: int = 10
    confidence: float = 0.99
    convergence_points: int = 8
    model: Any = field(default_factory=_default_mc_model)

    #: Keys of a study-file table that set the run (the rest are MCModel settings).
    RUN_KEYS = ("paths", "monthly_paths", "horizon", "confidence", "convergence_points")

    def __post_init__(self) -> None:
        from imresearch.engines.mc import MCModel

        check_positive_int("paths", self.paths, minimum=10)
        check_positive_int("monthly_paths", self.monthly_paths, minimum=0)
        if 0 < self.monthly_paths < 10:
            raise InputError(f"monthly_paths must be 0 (off) or >= 10; got {self.monthly_paths!r}")
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_positive_int("convergence_points", self.convergence_points, minimum=2)
        if not isinstance(self.model, MCModel):
            raise InputError(f"model must be an MCModel; got {type(self.model).__name__}")

    @property
    def label(self) -> str:
        """The engine settings' label, e.g. ``MC gaussian-copula/normal 3y+stress``."""
        return str(self.model.label)

    @classmethod
    def from_table(cls, table: dict[str, Any], *, source: str = "settings") -> MCStudyModel:
        """Build from a study-file table (``engine`` key already removed)."""
        from imresearch.engines.mc import MCModel

        run = {k: v for k, v in table.items() if k in cls.RUN_KEYS}
        rest = {k: v for k, v in table.items() if k not in cls.RUN_KEYS}
        known = sorted({f.name for f in fields(MCModel)} | set(cls.RUN_KEYS) | {"engine"})
        unknown = sorted(set(rest) - {f.name for f in fields(MCModel)})
        if unknown:
            raise InputError(f"{source}: unknown setting(s) {unknown}; known: {known}")
        model = from_mapping(MCModel, rest, source=source)
        return from_mapping(cls, {**run, "model": model}, source=source)

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict (``engine = "mc"``, run keys, then the MCModel settings)."""
        out: dict[str, Any] = {"engine": "mc"}
        out.update({k: getattr(self, k) for k in self.RUN_KEYS})
        out.update(self.model.to_dict())
        return out


@dataclass(frozen=True)
class PortfolioStudyConfig:
    """The portfolio of a study.

    Parameters
    ----------
    source : str
        A shipped example (``dealer_book``, ``archegos_trs``) or a CSV/TOML portfolio file.
        Default ``"dealer_book"``.
    simm_version : str or None
        ISDA SIMM version for the comparison; None for the newest. Default None.
    """

    source: str = "dealer_book"
    simm_version: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.source, str) or not self.source.strip():
            raise InputError(f"portfolio source must be a non-empty string; got {self.source!r}")

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class RollingConfig:
    """The range of the IM time series.

    Parameters
    ----------
    years : float
        Years of IM dates, ending on the last market date. Default 10.
    step : int
        Business days between IM dates (1 = daily, 5 = weekly). Default 5.
    """

    years: float = 10.0
    step: int = 5

    def __post_init__(self) -> None:
        check_in_open_interval("years", self.years, 0.0, 200.0)
        check_positive_int("step", self.step)

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class APCConfig:
    """Anti-procyclicality tools applied to one model's IM series.

    Parameters
    ----------
    target : str
        Label of the model whose IM the tools mitigate. Default ``"HS 1y"``.
    buffer : float
        Buffer rate released in stress. Default 0.25.
    speed_limit : float
        Largest rise of the charged IM from one IM date to the next. Default 0.10.
    blend_weight : float
        Weight of the model IM in the blend with the stressed IM. Default 0.75.
    floor_model, stressed_model : str
        Labels of the models giving the 10-year floor and the stressed IM (cap and blend).
    calibration_models : tuple of str
        Labels of models that are APC calibrations of the target (e.g. with a 25% stress
        weight); they enter the frontier as tools.
    """

    target: str = "HS 1y"
    buffer: float = 0.25
    speed_limit: float = 0.10
    blend_weight: float = 0.75
    floor_model: str = "HS 10y"
    stressed_model: str = "HS 3y+stress"
    calibration_models: tuple[str, ...] = ("HS 1y+stress 25%",)

    def __post_init__(self) -> None:
        check_in_open_interval("buffer", self.buffer, 0.0, 10.0)
        check_in_open_interval("speed_limit", self.speed_limit, 0.0, 100.0)
        check_in_open_interval("blend_weight", self.blend_weight)
        object.__setattr__(self, "calibration_models", tuple(self.calibration_models))

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


def from_mapping(cls: type, values: dict[str, Any], *, source: str = "settings") -> Any:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys by name.

    Errors name ``source`` (e.g. ``study.toml [models."HS 10y"]``), the setting and the value:
    unknown keys, a non-boolean value for a boolean setting, and every check of ``cls``.
    """
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"{source}: unknown setting(s) {unknown}; known: {sorted(known)}"
        )
    for f in fields(cls):
        if isinstance(f.default, bool) and f.name in values and not isinstance(
                values[f.name], bool):
            raise InputError(f"{source}: {f.name} must be true or false; got "
                             f"{values[f.name]!r}")
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - guarded by the check above
        raise InputError(f"{source}: {exc}") from None
    except InputError as exc:
        if str(exc).startswith(source):
            raise
        raise InputError(f"{source}: {exc}") from None
