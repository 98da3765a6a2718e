"""Calibration of the Monte Carlo IM model on a history window.

The model lives in the engines' *additive* shock space (:mod:`imresearch.engines.scenarios`):
log moves of multiplicative factors (``log``, ``relative``, ``displaced_relative``) and level
differences of additive ones (``absolute``, ``absolute_bp``). A daily shock of factor ``f`` is

``d_f = sigma_f * e_f``,

with ``sigma_f`` the daily volatility (from the covariance estimate, or the GARCH(1,1)
forecast for the day after the valuation date) and ``e`` a vector of unit-variance
innovations whose dependence is a Gaussian or Student-t copula with correlation ``R`` and
whose marginals are standard normal or unit-variance Student-t with fitted degrees of freedom.
The drift is zero (the IM convention).

Windows
-------
``"recent"``
    The last ``lookback_days`` business days up to the valuation date.
``"stress"``
    The most volatile ``stress_length``-day window known on the valuation date
    (:func:`imresearch.marketdata.find_stress_window`).
``"recent+stress"``
    The daily shocks of both, pooled (the stress shocks not already in the recent window).

Estimators and the repair of a correlation matrix that is not positive definite are in
:mod:`imresearch.engines.covariance`. A factor with zero variance makes the matrix singular
beyond repair: :class:`~imresearch.errors.CalibrationError`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from imresearch.engines.covariance import (
    Repair,
    ewma_covariance,
    ledoit_wolf,
    repair_correlation,
    sample_covariance,
)
from imresearch.engines.scenarios import additive_daily, multiplicative_flags
from imresearch.engines.settings import COVARIANCE_METHODS, WINDOWS
from imresearch.errors import CalibrationError, InputError, check_choice
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import find_stress_window

__all__ = ["Calibration", "calibrate", "fit_t_copula_dof", "fit_t_dof"]

Window = Literal["recent", "stress", "recent+stress"]
CovarianceMethod = Literal["sample", "ewma", "ledoit_wolf"]
Marginal = Literal["normal", "t"]
Copula = Literal["gaussian", "t"]
Volatility = Literal["constant", "garch"]

MAX_FITTED_DOF = 1000.0
"""Cap on fitted Student-t degrees of freedom (beyond it the t is numerically normal)."""


def fit_t_dof(z: np.ndarray, name: str = "factor") -> float:
    """Degrees of freedom of a zero-location Student-t fitted by maximum likelihood (scipy).

    Parameters
    ----------
    z : ndarray of shape (n_obs,)
        Observations (any scale: the scale is fitted too).
    name : str
        Factor name for messages.

    Returns
    -------
    float
        Fitted degrees of freedom, capped at :data:`MAX_FITTED_DOF`.

    Raises
    ------
    CalibrationError
        The fitted degrees of freedom are <= 2 (infinite variance: the marginal cannot be
        scaled to the factor's volatility).
    """
    x = np.asarray(z, dtype=np.float64)
    sd = x.std()
    if sd == 0:
        raise CalibrationError(f"factor {name!r} has zero variance: cannot fit a Student-t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df, _, _ = stats.t.fit(x / sd, floc=0.0)
    df = float(min(df, MAX_FITTED_DOF))
    if not df > 2.0:
        raise CalibrationError(
            f"fitted Student-t degrees of freedom of factor {name!r} are {df:.3g} <= 2 "
            "(infinite variance); set marginal_dof > 2 or use marginal='normal'"
        )
    return df


def fit_t_copula_dof(u: np.ndarray, corr: np.ndarray, *, bounds: tuple[float, float] = (2.05,
                     200.0)) -> float:
    """Degrees of freedom of a t copula by maximum likelihood given its correlation.

    Parameters
    ----------
    u : ndarray of shape (n_obs, n_factors)
        Pseudo-observations in (0, 1) (ranks / (n + 1)).
    corr : ndarray of shape (n_factors, n_factors)
        Correlation of the copula.
    bounds : (float, float)
        Search interval. Default (2.05, 200).

    Returns
    -------
    float
    """
    p = corr.shape[0]
    chol = np.linalg.cholesky(corr)
    logdet = 2.0 * np.log(np.diag(chol)).sum()

    def nll(log_nu: float) -> float:
        nu = math.exp(log_nu)
        x = special.stdtrit(nu, u)
        y = np.linalg.solve(chol, x.T)
        q = (y * y).sum(axis=0)
        joint = (special.gammaln((nu + p) / 2) - special.gammaln(nu / 2)
                 - 0.5 * p * math.log(nu * math.pi) - 0.5 * logdet
                 - 0.5 * (nu + p) * np.log1p(q / nu))
        marg = stats.t.logpdf(x, nu).sum(axis=1)
        return -float((joint - marg).sum())

    res = optimize.minimize_scalar(nll, bounds=(math.log(bounds[0]), math.log(bounds[1])),
                                   method="bounded", options={"xatol": 1e-3})
    return float(math.exp(res.x))


def _garch_fit(d: np.ndarray, name: str) -> tuple[float, float, float]:
    """GARCH(1,1) ``(omega, alpha, beta)`` of daily shocks ``d`` (zero mean, arch)."""
    from arch import arch_model

    sd = float(d.std())
    if sd == 0:
        raise CalibrationError(f"factor {name!r} has zero variance: cannot fit GARCH(1,1)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = arch_model(d / sd * 10.0, mean="Zero", vol="GARCH", p=1, q=1,
                             rescale=False).fit(disp="off", show_warning=False)
        except Exception as exc:  # arch raises several types on degenerate data
            raise CalibrationError(f"GARCH(1,1) fit of factor {name!r} failed: {exc}") from None
    w, a, b = (float(res.params[k]) for k in ("omega", "alpha[1]", "beta[1]"))
    if not (np.isfinite([w, a, b]).all() and w > 0 and a >= 0 and b >= 0 and a + b < 1):
        raise CalibrationError(
            f"GARCH(1,1) fit of factor {name!r} is not stationary: omega={w:.3g}, "
            f"alpha={a:.3g}, beta={b:.3g}"
        )
    return w * (sd / 10.0) ** 2, a, b


def _garch_filter(d: np.ndarray, omega: float, alpha: float, beta: float,
                  init_var: float) -> np.ndarray:
    """Conditional variances (n + 1,): ``v[i]`` of ``d[i]``, ``v[n]`` the next-day forecast."""
    v = np.empty(len(d) + 1)
    v[0] = init_var
    for i in range(len(d)):
        v[i + 1] = omega + alpha * d[i] * d[i] + beta * v[i]
    return v


# --------------------------------------------------------------------------- calibration
@dataclass(frozen=True)
class Calibration:
    """A calibrated Monte Carlo model (see the module docstring).

    Attributes
    ----------
    factor_names : tuple of str
        Factors, in kernel column order.
    date : pandas.Timestamp
        Valuation date.
    base_levels : ndarray of shape (n_factors,)
        Raw levels on ``date``.
    mult, disp : ndarray of shape (n_factors,)
        Additive shock space: 1 for multiplicative factors, and their displacements.
    vol : ndarray of shape (n_factors,)
        Daily volatility of the additive shocks on the day after ``date``.
    covariance : pandas.DataFrame of shape (n_factors, n_factors)
        Daily covariance implied by ``vol`` and ``correlation``.
    correlation : ndarray of shape (n_factors, n_factors)
        Correlation of the copula (repaired if it had to be).
    cholesky : ndarray of shape (n_factors, n_factors)
        Lower Cholesky factor of ``correlation``.
    marginal : {"normal", "t"}
    marginal_dof : ndarray of shape (n_factors,)
        Degrees of freedom of the t marginals (``inf`` for normal).
    copula : {"gaussian", "t"}
    copula_dof : float
        ``inf`` for the Gaussian copula.
    volatility : {"constant", "garch"}
    garch : ndarray of shape (n_factors, 3) or None
        GARCH(1,1) ``omega, alpha, beta`` per factor (``volatility="garch"``).
    shocks : ndarray of shape (n_obs, n_factors)
        The window's daily additive shocks, oldest first (recent first, then stress).
    innovations : ndarray of shape (n_obs, n_factors)
        The shocks divided by their GARCH conditional volatility (``volatility="garch"``),
        else the shocks themselves: the table a bootstrap resamples.
    windows : tuple of (Timestamp, Timestamp)
        First and last date of each window used.
    shrinkage : float or None
        Ledoit-Wolf intensity.
    repair_change : float
        Frobenius norm of the correlation repair (0.0 if none was needed).
    """

    factor_names: tuple[str, ...]
    date: pd.Timestamp
    base_levels: np.ndarray
    mult: np.ndarray
    disp: np.ndarray
    vol: np.ndarray
    covariance: pd.DataFrame
    correlation: np.ndarray
    cholesky: np.ndarray
    marginal: str
    marginal_dof: np.ndarray
    copula: str
    copula_dof: float
    volatility: str
    garch: np.ndarray | None
    shocks: np.ndarray = field(repr=False)
    innovations: np.ndarray = field(repr=False)
    windows: tuple[tuple[pd.Timestamp, pd.Timestamp], ...]
    shrinkage: float | None
    repair_change: float

    @property
    def n_factors(self) -> int:
        return len(self.factor_names)

    @property
    def n_observations(self) -> int:
        return int(self.shocks.shape[0])

    def summary(self) -> pd.DataFrame:
        """Per factor: daily vol, marginal dof and GARCH parameters."""
        out = pd.DataFrame({"vol": self.vol, "marginal_dof": self.marginal_dof},
                           index=pd.Index(self.factor_names, name="factor"))
        if self.garch is not None:
            out[["omega", "alpha", "beta"]] = self.garch
        return out


def _covariance(x: np.ndarray, method: str, lam: float) -> tuple[np.ndarray, float | None]:
    if method == "sample":
        return sample_covariance(x), None
    if method == "ewma":
        return ewma_covariance(x, lam), None
    return ledoit_wolf(x)


def calibrate(
    market: RiskFactorHistory,
    date: object = None,
    *,
    factors: Sequence[str] | None = None,
    window: Window = "recent",
    lookback_days: int = 750,
    stress_length: int = 250,
    covariance: CovarianceMethod = "sample",
    ewma_lambda: float = 0.94,
    marginal: Marginal = "normal",
    marginal_dof: float | None = None,
    copula: Copula = "gaussian",
    copula_dof: float | None = None,
    volatility: Volatility = "constant",
    repair: Repair = "higham",
    min_observations: int = 60,
) -> Calibration:
    """Calibrate the Monte Carlo model on a window of ``market`` ending on ``date``.

    Parameters
    ----------
    market : RiskFactorHistory
        Levels (dates x factors) with metadata (shock conventions).
    date : date-like, optional
        Valuation date (a date of ``market``). Default: the last date.
    factors : sequence of str, optional
        Factors to model. Default: all of ``market``.
    window : {"recent", "stress", "recent+stress"}
        Calibration window (see the module docstring). Default ``"recent"``.
    lookback_days : int
        Rows of the recent window (``lookback_days - 1`` daily shocks). Default 750 (3y).
    stress_length : int
        Rows of the stress window. Default 250.
    covariance : {"sample", "ewma", "ledoit_wolf"}
        Covariance estimator of the (GARCH-standardised, if any) shocks. Default ``"sample"``.
    ewma_lambda : float
        EWMA decay. Default 0.94.
    marginal : {"normal", "t"}
        Marginal distribution of the innovations. Default ``"normal"``.
    marginal_dof : float, optional
        Fixed degrees of freedom (> 2) of the t marginals; None fits them per factor.
    copula : {"gaussian", "t"}
        Dependence. Default ``"gaussian"``.
    copula_dof : float, optional
        Fixed degrees of freedom (> 2) of the t copula; None fits them by maximum likelihood.
    volatility : {"constant", "garch"}
        ``"garch"``: per-factor GARCH(1,1) (``arch``) fitted on the recent window; the vol is
        the next-day forecast and correlation / marginals are fitted to the standardised
        residuals. Needs a window that contains the recent one.
    repair : {"higham", "clip", "none"}
        Repair of a non-positive-definite correlation. Default ``"higham"``.
    min_observations : int
        Fewest daily shocks accepted in the pooled window. Default 60.

    Returns
    -------
    Calibration

    Raises
    ------
    InputError
        A window too short, an unknown option, degrees of freedom <= 2, a date not in the
        market, ``volatility="garch"`` with ``window="stress"``.
    CalibrationError
        A zero-variance factor (singular covariance), a correlation that cannot be repaired,
        a fitted marginal dof <= 2, a failed or non-stationary GARCH fit.
    """
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    check_choice("window", window, WINDOWS)
    check_choice("covariance", covariance, COVARIANCE_METHODS)
    check_choice("marginal", marginal, ("normal", "t"))
    check_choice("copula", copula, ("gaussian", "t"))
    check_choice("volatility", volatility, ("constant", "garch"))
    check_choice("repair", repair, ("higham", "clip", "none"))
    for arg, val in (("marginal_dof", marginal_dof), ("copula_dof", copula_dof)):
        if val is not None and not (isinstance(val, (int, float)) and val > 2):
            raise InputError(f"{arg} must be a number > 2; got {val!r}")
    if volatility == "garch" and window == "stress":
        raise InputError("volatility='garch' needs the recent window (window='recent' or "
                         "'recent+stress'); got window='stress'")
    names = list(market.factor_names if factors is None else factors)
    hist = market.select(names)
    dates = hist.dates
    ts = dates[-1] if date is None else pd.Timestamp(date)
    row = int(dates.get_indexer([ts])[0])
    if row < 0:
        raise InputError(f"date {ts:%Y-%m-%d} is not a date of market {market.name!r}")
    specs = [hist.factors[f] for f in names]
    mult, disp = multiplicative_flags(specs)
    levels = np.ascontiguousarray(hist.values[: row + 1])
    daily = additive_daily(levels, mult, disp)  # row i: date i -> i + 1

    segments: list[tuple[int, int]] = []  # daily-shock row ranges [lo, hi)
    if window in ("recent", "recent+stress"):
        if lookback_days < 2 or lookback_days > row + 1:
            raise InputError(
                f"lookback_days={lookback_days} is longer than the {row + 1} dates of "
                f"{market.name!r} up to {ts:%Y-%m-%d}" if lookback_days > row + 1 else
                f"lookback_days must be >= 2; got {lookback_days}")
        segments.append((row + 1 - lookback_days, row))
    if window in ("stress", "recent+stress"):
        if stress_length > row + 1:
            raise InputError(f"stress_length={stress_length} is longer than the {row + 1} "
                             f"dates of {market.name!r} up to {ts:%Y-%m-%d}")
        sw = find_stress_window(hist.window(end=ts), stress_length)
        s_lo = int(dates.get_indexer([sw.start])[0])
        s_hi = int(dates.get_indexer([sw.end])[0])
        if segments:  # keep only the part not already in the recent window
            s_hi = min(s_hi, segments[0][0])
        if s_hi > s_lo:
            segments.append((s_lo, s_hi))
    n_obs = sum(hi - lo for lo, hi in segments)
    if n_obs < min_observations:
        arg = "lookback_days" if window != "stress" else "stress_length"
        val = lookback_days if window != "stress" else stress_length
        raise InputError(f"{arg}={val} gives {n_obs} daily shocks, fewer than "
                         f"min_observations={min_observations}: the window is too short "
                         "to calibrate")
    shocks = np.ascontiguousarray(np.vstack([daily[lo:hi] for lo, hi in segments]))
    windows = tuple((dates[lo], dates[hi]) for lo, hi in segments)

    sd = shocks.std(axis=0)
    zero = np.flatnonzero(sd == 0)
    if zero.size:
        f = names[int(zero[0])]
        raise CalibrationError(
            f"factor {f!r} has zero variance in the calibration window "
            f"{windows[0][0]:%Y-%m-%d}..{windows[-1][1]:%Y-%m-%d}: the covariance is singular "
            "and cannot be repaired"
        )

    garch = None
    if volatility == "garch":
        lo0, hi0 = segments[0]
        params = np.empty((len(names), 3))
        innov = np.empty_like(shocks)
        vol = np.empty(len(names))
        for j, f in enumerate(names):
            w, a, b = _garch_fit(shocks[: hi0 - lo0, j], f)
            params[j] = w, a, b
            uncond = w / (1.0 - a - b)
            start = 0
            for k, (lo, hi) in enumerate(segments):
                v = _garch_filter(shocks[start:start + hi - lo, j], w, a, b, uncond)
                innov[start:start + hi - lo, j] = shocks[start:start + hi - lo, j] / np.sqrt(
                    v[:-1])
                if k == 0:
                    vol[j] = math.sqrt(v[-1])
                start += hi - lo
        garch = params
        cov_std, shrink = _covariance(innov, covariance, ewma_lambda)
        d = np.sqrt(np.diag(cov_std))
        corr = cov_std / np.outer(d, d)
    else:
        innov = shocks
        cov_raw, shrink = _covariance(shocks, covariance, ewma_lambda)
        vol = np.sqrt(np.diag(cov_raw))
        if (vol <= 0).any():
            f = names[int(np.flatnonzero(vol <= 0)[0])]
            raise CalibrationError(f"factor {f!r} has zero {covariance} variance: the "
                                   "covariance is singular and cannot be repaired")
        corr = cov_raw / np.outer(vol, vol)
    np.fill_diagonal(corr, 1.0)
    corr, change = repair_correlation(corr, repair, names=names)
    chol = np.linalg.cholesky(corr)

    if marginal == "t":
        if marginal_dof is not None:
            mdof = np.full(len(names), float(marginal_dof))
        else:
            scale = vol if volatility == "constant" else np.ones(len(names))
            mdof = np.array([fit_t_dof(innov[:, j] / scale[j], f) for j, f in enumerate(names)])
    else:
        mdof = np.full(len(names), np.inf)
    if copula == "t":
        if copula_dof is not None:
            cdof = float(copula_dof)
        else:
            ranks = stats.rankdata(innov, axis=0) / (innov.shape[0] + 1.0)
            cdof = fit_t_copula_dof(ranks, corr)
    else:
        cdof = math.inf
    cov = corr * np.outer(vol, vol)
    return Calibration(
        factor_names=tuple(names), date=ts, base_levels=np.array(levels[row]),
        mult=mult, disp=disp, vol=np.ascontiguousarray(vol),
        covariance=pd.DataFrame(cov, index=pd.Index(names, name="factor"), columns=names),
        correlation=corr, cholesky=chol, marginal=marginal, marginal_dof=mdof, copula=copula,
        copula_dof=cdof, volatility=volatility, garch=garch, shocks=shocks,
        innovations=np.ascontiguousarray(innov), windows=windows, shrinkage=shrink,
        repair_change=change,
    )

