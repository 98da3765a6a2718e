"""Settings of the engines: :class:`HSModel` (historical simulation, filtered or not) and
:class:`MCModel` (Monte Carlo).

Frozen, validated on construction (a bad value raises :class:`~imresearch.errors.InputError`
naming the field), no computation. They are the engine half of the margin-model vocabulary of
:mod:`imresearch.models`, which adds the standard models (SIMM, schedule, static) and computes
any of them with :func:`imresearch.models.im_series`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

from imresearch.errors import (
    InputError,
    check_choice,
    check_in_open_interval,
    check_positive_int,
)
from imresearch.measures import QUANTILE_METHODS
from imresearch.schema import to_mapping

__all__ = ["BUSINESS_DAYS_PER_YEAR", "COVARIANCE_METHODS", "WINDOWS", "HSModel", "MCModel",
           "lookback_label"]

BUSINESS_DAYS_PER_YEAR = 252
"""Business days in a year: years of IM dates and of history become rows with it, and
volatilities are annualised with it."""

WINDOWS: tuple[str, ...] = ("recent", "stress", "recent+stress")
"""Calibration windows of the Monte Carlo model."""
COVARIANCE_METHODS: tuple[str, ...] = ("sample", "ewma", "ledoit_wolf")
"""Covariance estimators of the Monte Carlo calibration."""


def lookback_label(days: int) -> str:
    """``"3y"`` for a lookback of whole years (of 250 or 252 business days), else ``"600d"``."""
    for year in (BUSINESS_DAYS_PER_YEAR, 250):
        if days % year == 0:
            return f"{days // year}y"
    return f"{days}d"


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

    KIND: ClassVar[str] = "hs"

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
        check_choice("quantile_method", self.quantile_method, QUANTILE_METHODS)
        if self.stress_weight is not None and self.quantile_method not in (
            "order_statistic", "exact"
        ):
            raise InputError("stress_weight needs quantile_method 'order_statistic' or 'exact'")

    @property
    def label(self) -> str:
        """Short label such as ``HS 10y``, ``FHS-EWMA 3y+stress``."""
        kind = "HS" if self.filtering == "none" else f"FHS-{self.filtering.upper()}"
        look = "all" if self.lookback_days is None else lookback_label(self.lookback_days)
        extra = "+stress" if self.stress else ""
        extra += " sqrt-time" if self.scaling == "sqrt_time" else ""
        return f"{kind} {look}{extra}" + (" ES" if self.measure == "es" else "")

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)

    def to_table(self) -> dict[str, Any]:
        """The model as a study-file table: ``kind = "hs"`` and every setting."""
        return {"kind": self.KIND, **to_mapping(self)}


@dataclass(frozen=True)
class MCModel:
    """Settings of the Monte Carlo IM model: the size of a run, calibration and simulation.

    Parameters
    ----------
    n_paths : int
        Simulated paths. Default 20,000.
    seed : int
        Root seed of the random streams (see :mod:`imresearch.engines.mc`). Default 0.
    horizon : int
        Margin period of risk in business days (daily steps). Default 10.
    confidence : float
        Confidence level of VaR / ES. Default 0.99.
    convergence_points : int
        Rows of the convergence table (path counts halving from ``n_paths``). Default 8.
    method : {"parametric", "bootstrap"}
        Parametric copula model, or a stationary bootstrap of the window's daily shocks
        (GARCH-standardised residuals when ``volatility="garch"``: filtered bootstrap).
        Default ``"parametric"``.
    window : {"recent", "stress", "recent+stress"}
        Calibration window. Default ``"recent"``.
    lookback_days : int
        Rows of the recent window. Default 750 (3 years).
    stress_length : int
        Rows of the stress window. Default 250.
    covariance : {"sample", "ewma", "ledoit_wolf"}
        Covariance estimator. Default ``"sample"``.
    ewma_lambda : float
        EWMA decay. Default 0.94.
    marginal : {"normal", "t"}
        Marginals of the innovations. Default ``"normal"``.
    marginal_dof : float or None
        Fixed t-marginal degrees of freedom (> 2); None fits them. Default None.
    copula : {"gaussian", "t"}
        Dependence. Default ``"gaussian"``.
    copula_dof : float or None
        Fixed t-copula degrees of freedom (> 2); None fits them. Default None.
    volatility : {"constant", "garch"}
        Daily volatility from the covariance estimate, or the GARCH(1,1) next-day forecast.
        Default ``"constant"``.
    garch_dynamics : bool
        Let the variance follow GARCH(1,1) along each path (needs ``volatility="garch"``).
        Default False.
    antithetic : bool
        Antithetic pairs (path 2i+1 uses the negated innovations of path 2i); parametric only.
        Default False.
    bootstrap_block : float
        Mean block length (days) of the stationary bootstrap. Default 5.
    measure : {"var", "es"}
        IM measure. Default ``"var"``.
    repair : {"higham", "clip", "none"}
        Repair of a non-positive-definite correlation. Default ``"higham"``.
    min_observations : int
        Fewest daily shocks accepted in the calibration window. Default 60.
    ci_level : float
        Level of the confidence intervals. Default 0.95.
    ci_method : {"binomial", "bootstrap"}
        VaR interval: distribution-free order statistics, or a percentile bootstrap.
        Default ``"binomial"``.
    n_bootstrap : int
        Resamples of the bootstrap interval. Default 200.
    """

    n_paths: int = 20_000
    seed: int = 0
    horizon: int = 10
    confidence: float = 0.99
    convergence_points: int = 8
    method: Literal["parametric", "bootstrap"] = "parametric"
    window: Literal["recent", "stress", "recent+stress"] = "recent"
    lookback_days: int = 750
    stress_length: int = 250
    covariance: Literal["sample", "ewma", "ledoit_wolf"] = "sample"
    ewma_lambda: float = 0.94
    marginal: Literal["normal", "t"] = "normal"
    marginal_dof: float | None = None
    copula: Literal["gaussian", "t"] = "gaussian"
    copula_dof: float | None = None
    volatility: Literal["constant", "garch"] = "constant"
    garch_dynamics: bool = False
    antithetic: bool = False
    bootstrap_block: float = 5.0
    measure: Literal["var", "es"] = "var"
    repair: Literal["higham", "clip", "none"] = "higham"
    min_observations: int = 60
    ci_level: float = 0.95
    ci_method: Literal["binomial", "bootstrap"] = "binomial"
    n_bootstrap: int = 200

    KIND: ClassVar[str] = "mc"

    def __post_init__(self) -> None:
        check_positive_int("n_paths", self.n_paths)
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_positive_int("convergence_points", self.convergence_points, minimum=1)
        check_choice("method", self.method, ("parametric", "bootstrap"))
        check_choice("window", self.window, WINDOWS)
        check_positive_int("lookback_days", self.lookback_days, minimum=2)
        check_positive_int("stress_length", self.stress_length, minimum=2)
        check_choice("covariance", self.covariance, COVARIANCE_METHODS)
        check_in_open_interval("ewma_lambda", self.ewma_lambda)
        check_choice("marginal", self.marginal, ("normal", "t"))
        check_choice("copula", self.copula, ("gaussian", "t"))
        for name in ("marginal_dof", "copula_dof"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                                  or not v > 2):
                raise InputError(f"{name} must be a number > 2 (finite variance); got {v!r}")
        check_choice("volatility", self.volatility, ("constant", "garch"))
        if self.garch_dynamics and self.volatility != "garch":
            raise InputError("garch_dynamics=True needs volatility='garch'; got volatility="
                             f"{self.volatility!r}")
        if self.volatility == "garch" and self.window == "stress":
            raise InputError("volatility='garch' needs the recent window; got window='stress'")
        if self.antithetic and self.method != "parametric":
            raise InputError("antithetic=True needs method='parametric'; got method="
                             f"{self.method!r}")
        if not (isinstance(self.bootstrap_block, (int, float)) and self.bootstrap_block >= 1):
            raise InputError(f"bootstrap_block must be >= 1; got {self.bootstrap_block!r}")
        check_choice("measure", self.measure, ("var", "es"))
        check_choice("repair", self.repair, ("higham", "clip", "none"))
        check_positive_int("min_observations", self.min_observations, minimum=2)
        check_in_open_interval("ci_level", self.ci_level)
        check_choice("ci_method", self.ci_method, ("binomial", "bootstrap"))
        check_positive_int("n_bootstrap", self.n_bootstrap, minimum=10)

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)

    def to_table(self) -> dict[str, Any]:
        """The model as a study-file table: ``kind = "mc"`` and every setting."""
        return {"kind": self.KIND, **to_mapping(self)}

    @property
    def label(self) -> str:
        """Short label such as ``MC t-copula/t 3y+stress GARCH``."""
        if self.method == "bootstrap":
            kind = "MC bootstrap"
        else:
            kind = f"MC {self.copula}-copula/{self.marginal}"
        look = lookback_label(self.lookback_days)
        look = {"recent": look, "stress": "stress", "recent+stress": f"{look}+stress"}[
            self.window]
        vol = " GARCH" if self.volatility == "garch" else ""
        return f"{kind} {look}{vol}" + (" ES" if self.measure == "es" else "")

    def calibration_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`~imresearch.engines.calibration.calibrate`."""
        return {k: getattr(self, k) for k in (
            "window", "lookback_days", "stress_length", "covariance", "ewma_lambda", "marginal",
            "marginal_dof", "copula", "copula_dof", "volatility", "repair",
            "min_observations")}
