"""Numba kernels of the synthetic market. Arrays in, arrays out; no randomness, never raise.

Every random number is drawn by the caller from a :class:`numpy.random.Generator` and passed in,
so a kernel is a deterministic function of its arguments (and the jitted kernel agrees with its
plain-Python twin, ``kernel.py_func``, bit for bit).
"""

from __future__ import annotations

import numpy as np

from imresearch._numba import jit

__all__ = ["driver_paths_kernel", "markov_regime_kernel"]


@jit
def markov_regime_kernel(
    uniforms: np.ndarray, scheduled: np.ndarray, p_enter: float, p_exit: float
) -> np.ndarray:
    """Two-state (calm 0 / stress 1) Markov chain with scheduled stress days.

    Parameters
    ----------
    uniforms : ndarray of shape (n_days,)
        Uniform(0, 1) draws, one per day.
    scheduled : ndarray of shape (n_days,), int64
        Index of the scheduled stress episode covering each day, or -1.
    p_enter, p_exit : float
        Daily probabilities calm -> stress and stress -> calm of the chain.

    Returns
    -------
    ndarray of shape (n_days,), int64
        1 on stress days (scheduled or a random spell), 0 on calm days. A scheduled episode
        overrides the chain, and the chain restarts calm on the day after it.
    """
    n = uniforms.shape[0]
    state = np.zeros(n, dtype=np.int64)
    prev = 0
    for t in range(n):
        if scheduled[t] >= 0:
            state[t] = 1
            prev = 0
            continue
        if prev == 0:
            s = 1 if uniforms[t] < p_enter else 0
        else:
            s = 0 if uniforms[t] < p_exit else 1
        state[t] = s
        prev = s
    return state


@jit
def driver_paths_kernel(
    z: np.ndarray,
    remaining: np.ndarray,
    drift: np.ndarray,
    target: np.ndarray,
    klass: np.ndarray,
    calm_vol: np.ndarray,
    kappa: np.ndarray,
    theta: np.ndarray,
    x0: np.ndarray,
    alpha: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    adverse: np.ndarray,
    speed: float,
    q_max: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Daily recursion of the latent drivers: regime-scaled GJR-GARCH with mean reversion.

    For day ``t >= 1`` and driver ``j`` (class ``c = klass[j]``)::

        m[t, c]  = m[t-1, c] + speed (target[t, c] - m[t-1, c])
        s        = calm_vol[j] m[t, c] sqrt(q[j])
        z        = z[t, j]
        x[t, j]  = x[t-1, j] + drift[t, j] + kappa[j] (theta[j] - x[t-1, j]) + s (z - bridge)
        q[j]    <- omega + (alpha[j] + gamma[j] 1{adverse[j] z < 0}) q[j] z^2 + beta[j] q[j],
                   omega = 1 - alpha[j] - gamma[j] / 2 - beta[j], capped at q_max

    so ``q`` is a unit-mean GARCH variance ratio and ``m`` a smoothed regime volatility
    multiplier. Inside a scheduled episode (``remaining[t] > 0``) the innovations form a
    sequential bridge: ``bridge = Y[j] / (remaining[t] s)``, ``Y[j]`` the noise move of driver
    ``j`` since the episode began, so that over the episode the noise sums to one day's worth
    and the episode's net move is its drift, without bias from the leverage effect, while the
    daily path inside the episode stays random (``bridge`` is 0 outside episodes). The GARCH
    variance is driven by the innovations ``z`` themselves, not by the bridge corrections.

    Parameters
    ----------
    z : ndarray of shape (n_days, n_drivers)
        Standardised (unit-variance) correlated innovations; row 0 is unused.
    remaining : ndarray of shape (n_days,), int64
        Days left in the scheduled episode covering day ``t``, ``t`` included (0 outside
        episodes). An episode starts where ``remaining[t - 1] != remaining[t] + 1``.
    drift : ndarray of shape (n_days, n_drivers)
        Deterministic move of each driver on each day (state units); row 0 is unused.
    target : ndarray of shape (n_days, n_classes)
        Regime volatility multiplier each class is pulled towards on each day.
    klass : ndarray of shape (n_drivers,), int64
        Volatility class of each driver (column of ``target``).
    calm_vol : ndarray of shape (n_drivers,)
        Daily standard deviation of each driver in the calm regime (state units), > 0.
    kappa : ndarray of shape (n_drivers,)
        Daily mean-reversion speed (0 for none).
    theta : ndarray of shape (n_drivers,)
        Mean-reversion level (state units).
    x0 : ndarray of shape (n_drivers,)
        State on day 0.
    alpha, gamma, beta : ndarray of shape (n_drivers,)
        GJR-GARCH coefficients; ``alpha + gamma / 2 + beta < 1``.
    adverse : ndarray of shape (n_drivers,)
        +1 if a negative innovation is the adverse move (gamma applies when z < 0), -1 if a
        positive one is, 0 for none.
    speed : float
        Smoothing weight of the regime multiplier, in (0, 1].
    q_max : float
        Cap of the GARCH variance ratio.

    Returns
    -------
    x : ndarray of shape (n_days, n_drivers)
        State path.
    sigma : ndarray of shape (n_days, n_drivers)
        Standard deviation of each day's innovation (row 0: the day-0 level).
    sigma_next : ndarray of shape (n_days, n_drivers)
        Forecast at the end of day ``t`` of the standard deviation of day ``t + 1`` at the
        current regime multiplier.
    m : ndarray of shape (n_days, n_classes)
        Smoothed regime multiplier of each class.
    """
    n, d = z.shape
    n_classes = target.shape[1]
    x = np.empty((n, d), dtype=np.float64)
    sigma = np.empty((n, d), dtype=np.float64)
    sigma_next = np.empty((n, d), dtype=np.float64)
    m = np.empty((n, n_classes), dtype=np.float64)
    q = np.ones(d, dtype=np.float64)
    bridged = np.zeros(d, dtype=np.float64)
    for c in range(n_classes):
        m[0, c] = target[0, c]
    for j in range(d):
        x[0, j] = x0[j]
        sigma[0, j] = calm_vol[j] * m[0, klass[j]]
        sigma_next[0, j] = sigma[0, j]
    for t in range(1, n):
        for c in range(n_classes):
            m[t, c] = m[t - 1, c] + speed * (target[t, c] - m[t - 1, c])
        left = remaining[t]
        if left > 0 and remaining[t - 1] != left + 1:
            for j in range(d):
                bridged[j] = 0.0
        for j in range(d):
            mult = calm_vol[j] * m[t, klass[j]]
            s = mult * np.sqrt(q[j])
            zz = z[t, j]
            zb = zz
            if left > 0:
                zb -= bridged[j] / (left * s)
                bridged[j] += s * zb
            sigma[t, j] = s
            x[t, j] = x[t - 1, j] + drift[t, j] + kappa[j] * (theta[j] - x[t - 1, j]) + s * zb
            a = alpha[j]
            if adverse[j] * zz < 0.0:
                a += gamma[j]
            omega = 1.0 - alpha[j] - 0.5 * gamma[j] - beta[j]
            qn = omega + a * q[j] * zz * zz + beta[j] * q[j]
            if qn > q_max:
                qn = q_max
            q[j] = qn
            sigma_next[t, j] = mult * np.sqrt(qn)
    return x, sigma, sigma_next, m
