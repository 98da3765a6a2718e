"""Covariance estimators and correlation repair of the Monte Carlo calibration.

``sample_covariance``: the unbiased sample covariance; ``ewma_covariance``: the RiskMetrics
zero-mean exponentially weighted covariance; ``ledoit_wolf``: Ledoit and Wolf (2004) shrinkage
of the sample covariance towards a multiple of the identity, with the optimal intensity of
their Lemma 3.2-3.4 (the estimator scikit-learn's ``ledoit_wolf`` implements).

A correlation matrix that is not positive definite (EWMA with fewer observations than factors,
pooled windows, user input) is repaired by Higham's (2002) nearest correlation matrix or by
eigenvalue clipping (:func:`repair_correlation`); a :class:`CorrelationRepairWarning` states
the Frobenius norm of the change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np

from imresearch.errors import CalibrationError, InputError, check_choice

__all__ = [
    "CorrelationRepairWarning",
    "ewma_covariance",
    "ledoit_wolf",
    "nearest_correlation",
    "repair_correlation",
    "sample_covariance",
]

Repair = Literal["higham", "clip", "none"]


class CorrelationRepairWarning(UserWarning):
    """A correlation matrix was not positive definite and has been repaired."""


# --------------------------------------------------------------------------- estimators
def _as_2d(x: np.ndarray, name: str = "shocks") -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise InputError(f"{name} must be 2-d (observations x factors); got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains NaN or infinite values")
    return arr


def sample_covariance(x: np.ndarray) -> np.ndarray:
    """Unbiased sample covariance.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_factors)

    Returns
    -------
    ndarray of shape (n_factors, n_factors)
    """
    arr = _as_2d(x)
    if arr.shape[0] < 2:
        raise InputError(f"sample covariance needs at least 2 observations; got {arr.shape[0]}")
    return np.atleast_2d(np.cov(arr, rowvar=False, ddof=1))


def ewma_covariance(x: np.ndarray, lam: float = 0.94) -> np.ndarray:
    """Zero-mean exponentially weighted covariance (RiskMetrics), the last row most recent.

    ``C = sum_i w_i x_i x_i^T`` with ``w_i`` proportional to ``lam ** (n - 1 - i)``, summing
    to 1 over the window.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_factors)
    lam : float in (0, 1)

    Returns
    -------
    ndarray of shape (n_factors, n_factors)
    """
    arr = _as_2d(x)
    if not 0.0 < lam < 1.0:
        raise InputError(f"ewma_lambda must be in (0, 1); got {lam!r}")
    n = arr.shape[0]
    w = lam ** np.arange(n - 1, -1, -1, dtype=np.float64)
    w /= w.sum()
    return (arr * w[:, None]).T @ arr


def ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit-Wolf (2004) shrinkage covariance towards ``mu I``.

    With ``X`` the demeaned observations, ``S = X^T X / n``, ``mu = tr(S) / p``,
    ``d2 = ||S - mu I||^2 / p``, ``b2 = min(d2, sum_k ||x_k x_k^T - S||^2 / (n^2 p))``
    (Frobenius norms), the estimator is ``(b2 / d2) mu I + (1 - b2 / d2) S``.

    Parameters
    ----------
    x : ndarray of shape (n_obs, n_factors)

    Returns
    -------
    covariance : ndarray of shape (n_factors, n_factors)
    shrinkage : float
        The intensity ``b2 / d2`` in [0, 1] (0 when ``S`` is already a multiple of I).
    """
    arr = _as_2d(x)
    n, p = arr.shape
    if n < 2:
        raise InputError(f"Ledoit-Wolf needs at least 2 observations; got {n}")
    xc = arr - arr.mean(axis=0)
    s = xc.T @ xc / n
    mu = np.trace(s) / p
    target = mu * np.eye(p)
    d2 = float(((s - target) ** 2).sum()) / p
    # sum_k ||x_k x_k^T - S||^2 = sum_k ||x_k||^4 - n ||S||^2   (since sum_k x_k x_k^T = n S)
    sq = (xc * xc).sum(axis=1)
    b2_bar = float((sq * sq).sum() - n * (s * s).sum()) / (n * n * p)
    b2 = min(max(b2_bar, 0.0), d2)
    shrinkage = 0.0 if d2 <= 0.0 else b2 / d2
    return shrinkage * target + (1.0 - shrinkage) * s, float(shrinkage)


# --------------------------------------------------------------------------- repair
def nearest_correlation(a: np.ndarray, *, tol: float = 1e-10, max_iter: int = 500
                        ) -> np.ndarray:
    """Higham's (2002) nearest correlation matrix in Frobenius norm (alternating projections
    with Dykstra's correction).

    Parameters
    ----------
    a : ndarray of shape (n, n)
        Symmetric matrix with unit diagonal (approximately).

    Returns
    -------
    ndarray of shape (n, n)
        Positive semi-definite, unit diagonal.
    """
    y = np.array(a, dtype=np.float64)
    y = 0.5 * (y + y.T)
    ds = np.zeros_like(y)
    x = y
    for _ in range(max_iter):
        r = y - ds
        vals, vecs = np.linalg.eigh(r)
        x = (vecs * np.maximum(vals, 0.0)) @ vecs.T
        x = 0.5 * (x + x.T)
        ds = x - r
        y_new = x.copy()
        np.fill_diagonal(y_new, 1.0)
        if np.linalg.norm(y_new - y, "fro") <= tol * max(1.0, np.linalg.norm(y, "fro")):
            y = y_new
            break
        y = y_new
    return y


def _clip(a: np.ndarray, floor: float) -> np.ndarray:
    vals, vecs = np.linalg.eigh(0.5 * (a + a.T))
    c = (vecs * np.maximum(vals, floor)) @ vecs.T
    d = np.sqrt(np.diag(c))
    c = c / np.outer(d, d)
    np.fill_diagonal(c, 1.0)
    return 0.5 * (c + c.T)


def repair_correlation(corr: np.ndarray, method: Repair = "higham", *,
                       min_eigenvalue: float = 1e-8,
                       names: Sequence[str] | None = None) -> tuple[np.ndarray, float]:
    """Return a positive-definite correlation matrix close to ``corr``, and the change.

    Nothing is changed when the smallest eigenvalue is at least ``min_eigenvalue``. Otherwise
    ``"higham"`` takes the nearest correlation matrix and then floors its eigenvalues at
    ``min_eigenvalue`` (re-normalising the diagonal); ``"clip"`` floors the eigenvalues
    directly. A :class:`CorrelationRepairWarning` states the Frobenius norm of the change.

    Parameters
    ----------
    corr : ndarray of shape (n, n)
    method : {"higham", "clip", "none"}
        ``"none"`` raises :class:`CalibrationError` instead of repairing.
    min_eigenvalue : float
        Smallest eigenvalue accepted. Default 1e-8.
    names : sequence of str, optional
        Factor names, for messages.

    Returns
    -------
    corr : ndarray of shape (n, n)
    change : float
        Frobenius norm of the change (0.0 if none).

    Raises
    ------
    CalibrationError
        ``method="none"`` and the matrix is not positive definite, or the matrix has NaN
        (e.g. from a zero-variance factor) and cannot be repaired.
    """
    check_choice("repair", method, ("higham", "clip", "none"))
    c = np.asarray(corr, dtype=np.float64)
    if not np.isfinite(c).all():
        i = int(np.argwhere(~np.isfinite(c))[0][0])
        who = names[i] if names is not None else f"#{i}"
        raise CalibrationError(f"correlation of factor {who!r} is undefined (NaN): the "
                               "covariance is singular and cannot be repaired")
    c = 0.5 * (c + c.T)
    lam_min = float(np.linalg.eigvalsh(c)[0])
    if lam_min >= min_eigenvalue:
        return c, 0.0
    if method == "none":
        raise CalibrationError(
            f"correlation matrix is not positive definite (smallest eigenvalue {lam_min:.3g})"
            " and repair='none'"
        )
    fixed = nearest_correlation(c) if method == "higham" else c
    fixed = _clip(fixed, min_eigenvalue)
    if float(np.linalg.eigvalsh(fixed)[0]) <= 0.0 or not np.isfinite(fixed).all():
        raise CalibrationError(f"correlation matrix could not be repaired (smallest eigenvalue"
                               f" {lam_min:.3g})")
    change = float(np.linalg.norm(fixed - c, "fro"))
    warnings.warn(
        f"correlation matrix was not positive definite (smallest eigenvalue {lam_min:.3g}); "
        f"repaired by {method!r}: Frobenius norm of the change {change:.3g} "
        f"(largest element change {np.abs(fixed - c).max():.3g})",
        CorrelationRepairWarning, stacklevel=2,
    )
    return fixed, change


# --------------------------------------------------------------------------- marginals
