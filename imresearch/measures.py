"""Risk measures on P&L vectors: VaR, ES and weighted variants. Pure functions.

Conventions: ``pnl`` is profit and loss per scenario, **gains positive**; VaR and ES are returned
as **losses** (positive when the tail is a loss). With ``n`` scenarios and confidence ``c``,
``k = ceil(n (1 - c))`` (a tolerance of 1e-9 absorbs binary rounding). The order-statistic
tail has one implementation, the kernel :func:`imresearch._measures_kernels.tail_stats`, used
here, by the HS engines' rolling kernels and by the Monte Carlo engine.

Quantile definitions (``method``):

``"order_statistic"`` (default)
    VaR is the k-th largest loss (the Basel / UMR convention: 3rd worst of 250 at 99%, 10th
    worst of 1,000); ES is the mean of the k largest losses.
``"exact"``
    VaR as above; ES is the exact tail expectation of the empirical distribution (Acerbi and
    Tasche 2002): the ``floor(n (1 - c))`` largest losses plus the fractional remainder of the
    next, divided by ``n (1 - c)``.
any :func:`numpy.quantile` method (``"linear"``, ``"hazen"``, ``"weibull"``, ``"lower"``...)
    VaR is that quantile of the losses at level ``c``; ES is the mean of the losses at or above it.

Weighted scenarios (age weighting as in Boudoukh-Richardson-Whitelaw, stress weighting as in
the APC stressed-observation weight) use :func:`weighted_var_es`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from imresearch._measures_kernels import COUNT_TOL, equal_weight_tail, tail_stats
from imresearch.errors import InputError, check_in_open_interval

__all__ = [
    "QUANTILE_METHODS",
    "Tail",
    "age_weights",
    "es",
    "tail",
    "tail_count",
    "var",
    "weighted_var_es",
]

QuantileMethod = Literal[
    "order_statistic", "exact", "linear", "lower", "higher", "nearest", "midpoint", "hazen",
    "weibull", "median_unbiased", "normal_unbiased", "inverted_cdf", "averaged_inverted_cdf",
    "closest_observation", "interpolated_inverted_cdf",
]
QUANTILE_METHODS: tuple[str, ...] = (
    "order_statistic", "exact", "linear", "lower", "higher", "nearest", "midpoint", "hazen",
    "weibull", "median_unbiased", "normal_unbiased", "inverted_cdf", "averaged_inverted_cdf",
    "closest_observation", "interpolated_inverted_cdf",
)


def tail_count(n: int, confidence: float) -> int:
    """Number of tail scenarios ``k = ceil(n (1 - confidence))``, at least 1."""
    return max(1, math.ceil(n * (1.0 - confidence) - COUNT_TOL))


def _losses(pnl: object, name: str = "pnl") -> np.ndarray:
    if isinstance(pnl, (pd.Series, pd.DataFrame)):
        arr = pnl.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            arr = np.asarray(pnl, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{name} must be numeric; got {type(pnl).__name__}") from None
    if arr.ndim not in (1, 2):
        raise InputError(f"{name} must be 1-d (scenarios) or 2-d (scenarios x portfolios); "
                         f"got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(f"{name} is empty: no scenarios")
    bad = np.argwhere(~np.isfinite(arr))
    if len(bad):
        pos = tuple(int(v) for v in bad[0])
        raise InputError(f"{name} has a non-finite value {arr[pos]} at scenario {pos[0]}"
                         + (f", column {pos[1]}" if arr.ndim == 2 else ""))
    return -arr


def _check_method(method: str) -> None:
    if method not in QUANTILE_METHODS:
        raise InputError(f"method must be one of {', '.join(QUANTILE_METHODS)}; got {method!r}")


def var(
    pnl: np.ndarray | pd.Series | pd.DataFrame,
    confidence: float = 0.99,
    *,
    method: QuantileMethod = "order_statistic",
) -> float | np.ndarray:
    """Value-at-risk: the ``confidence`` quantile of the loss.

    Parameters
    ----------
    pnl : array-like of shape (n_scenarios,) or (n_scenarios, n_portfolios)
        P&L per scenario, gains positive. No NaN.
    confidence : float
        Confidence level in (0, 1). Default 0.99.
    method : str
        Quantile definition (see the module docstring). Default ``"order_statistic"``.

    Returns
    -------
    float or ndarray of shape (n_portfolios,)
        VaR as a loss (positive when the quantile is a loss).
    """
    confidence = check_in_open_interval("confidence", confidence)
    _check_method(method)
    losses = _losses(pnl)
    if method in ("order_statistic", "exact"):
        out = _by_column(losses, confidence, False)[0]
    else:
        out = np.quantile(losses, confidence, axis=0, method=method)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def es(
    pnl: np.ndarray | pd.Series | pd.DataFrame,
    confidence: float = 0.975,
    *,
    method: QuantileMethod = "order_statistic",
) -> float | np.ndarray:
    """Expected shortfall: the mean loss beyond the ``confidence`` quantile.

    Parameters
    ----------
    pnl : array-like of shape (n_scenarios,) or (n_scenarios, n_portfolios)
        P&L per scenario, gains positive. No NaN.
    confidence : float
        Confidence level in (0, 1). Default 0.975 (the FRTB level, close to 99% VaR under
        normality).
    method : str
        Tail definition (see the module docstring). Default ``"order_statistic"``.

    Returns
    -------
    float or ndarray of shape (n_portfolios,)
        ES as a loss.
    """
    confidence = check_in_open_interval("confidence", confidence)
    _check_method(method)
    losses = _losses(pnl)
    if method in ("order_statistic", "exact"):
        out = _by_column(losses, confidence, method == "exact")[1]
    else:
        q = np.quantile(losses, confidence, axis=0, method=method)
        mask = losses >= q - 1e-12 * np.maximum(1.0, np.abs(q))
        out = (losses * mask).sum(axis=0) / mask.sum(axis=0)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def _by_column(losses: np.ndarray, confidence: float, exact_es: bool
               ) -> tuple[np.ndarray, np.ndarray]:
    """Order-statistic VaR and ES of each column of ``losses`` (or of the vector)."""
    cols = losses.reshape(losses.shape[0], -1)
    out = np.array([tail_stats(np.ascontiguousarray(cols[:, j]), _EQUAL, 1.0 - confidence,
                               exact_es)[:2] for j in range(cols.shape[1])])
    shape = losses.shape[1:]
    return out[:, 0].reshape(shape), out[:, 1].reshape(shape)


_EQUAL = np.empty(0)


@dataclass(frozen=True)
class Tail:
    """The tail of a P&L vector at one confidence level.

    Attributes
    ----------
    var, es : float
        VaR and ES as losses (order-statistic definitions, or weighted).
    scenario : int
        Position of the VaR scenario in the P&L vector.
    losses : ndarray of shape (k,)
        The ``k = ceil(n (1 - confidence))`` largest losses, largest first (equal weights;
        empty with weights).
    """

    var: float
    es: float
    scenario: int
    losses: np.ndarray


def tail(
    pnl: np.ndarray | pd.Series,
    confidence: float = 0.99,
    *,
    weights: np.ndarray | pd.Series | None = None,
    exact_es: bool = False,
) -> Tail:
    """VaR, ES, the VaR scenario and the tail losses of a P&L vector, in one pass.

    Parameters
    ----------
    pnl : array-like of shape (n_scenarios,)
        P&L per scenario, gains positive. No NaN.
    confidence : float
        Confidence level in (0, 1). Default 0.99.
    weights : array-like of shape (n_scenarios,), optional
        Non-negative scenario weights (normalised here); see :func:`weighted_var_es` (whose ES
        is the exact tail mean).
    exact_es : bool
        Equal weights: the exact tail mean (``method="exact"``) instead of the mean of the k
        largest losses. Default False.

    Returns
    -------
    Tail
    """
    confidence = check_in_open_interval("confidence", confidence)
    losses = np.ascontiguousarray(_losses(pnl))
    if losses.ndim != 1:
        raise InputError(f"pnl must be 1-d for a tail; got shape {losses.shape}")
    if weights is None:
        v, e, j, top = equal_weight_tail(losses, 1.0 - confidence, exact_es)
    else:
        v, e, j = tail_stats(losses, _weights(weights, losses.shape), 1.0 - confidence, True)
        top = np.empty(0)
    return Tail(float(v), float(e), int(j), top)


def _weights(weights: np.ndarray | pd.Series, shape: tuple[int, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != shape:
        raise InputError(f"weights must have shape {shape}; got {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any():
        pos = int(np.flatnonzero(~np.isfinite(w) | (w < 0))[0])
        raise InputError(f"weights must be finite and >= 0; got {w[pos]} at scenario {pos}")
    total = w.sum()
    if total <= 0:
        raise InputError("weights sum to zero")
    return np.ascontiguousarray(w / total)


def weighted_var_es(
    pnl: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series,
    confidence: float = 0.99,
) -> tuple[float, float]:
    """VaR and ES of weighted scenarios.

    Parameters
    ----------
    pnl : array-like of shape (n_scenarios,)
        P&L per scenario, gains positive.
    weights : array-like of shape (n_scenarios,)
        Non-negative scenario weights (normalised to sum to 1 here).
    confidence : float
        Confidence level in (0, 1). Default 0.99.

    Returns
    -------
    (var, es) : tuple of float
        VaR is the largest loss whose upper-tail weight reaches ``1 - confidence``; ES the
        weighted mean of that tail with the boundary scenario taking the fractional remainder.
        With equal weights VaR equals ``var(pnl, method="order_statistic")`` and ES equals
        ``es(pnl, method="exact")``.
    """
    confidence = check_in_open_interval("confidence", confidence)
    losses = _losses(pnl)
    if losses.ndim != 1:
        raise InputError(f"pnl must be 1-d for weighted measures; got shape {losses.shape}")
    v, e, _ = tail_stats(np.ascontiguousarray(losses), _weights(weights, losses.shape),
                         1.0 - confidence, True)
    return float(v), float(e)


def age_weights(n: int, decay: float = 0.99) -> np.ndarray:
    """Exponential age weights (Boudoukh, Richardson and Whitelaw 1998), oldest first.

    Scenario ``i`` of ``n`` (``n - 1`` the most recent) gets weight proportional to
    ``decay ** (n - 1 - i)``; the weights sum to 1.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n must be an integer >= 1; got {n!r}")
    decay = check_in_open_interval("decay", decay, 0.0, 1.0 + 1e-15)
    w = decay ** np.arange(n - 1, -1, -1, dtype=np.float64)
    return w / w.sum()
