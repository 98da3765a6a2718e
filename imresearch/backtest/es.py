"""Expected-shortfall backtests: Acerbi-Szekely Z2, the multinomial test of Kratz, Lok and
McNeil, and Du and Escanciano's tests.

* **Acerbi and Szekely (2014)**, "Backtesting expected shortfall", Risk, December:
  ``Z2 = 1 + sum_t X_t 1[X_t < -VaR_t] / (T alpha ES_t)`` (X the P&L, VaR and ES positive);
  ``E[Z2] = 0`` when ES is right, negative when it is underestimated. Its null distribution is
  nearly the same for any P&L distribution; the critical values here are simulated, as in the
  paper, from i.i.d. Student-t P&L (5, 10 and 100 degrees of freedom; the lowest
  critical value of the three), for the sample's own ``T`` and ``alpha`` (the paper's values for
  ``alpha = 2.5%``, ``T = 250``: -0.70 at 5%, -1.8 at 0.01%, reproduced in the tests).
* **Kratz, Lok and McNeil (2018)**, "Multinomial VaR backtests: a simple implicit approach to
  backtesting expected shortfall", Journal of Banking and Finance 88: the number of VaR
  levels ``a_j = a + (j - 1)(1 - a) / N`` (j = 1..N) each loss exceeds is multinomial under
  the null; Pearson's chi-squared (N degrees of freedom), the Nass-corrected version (their
  recommendation, with N = 4) and the likelihood-ratio test.
* **Du and Escanciano (2017)**, "Backtesting expected shortfall: accounting for tail risk",
  Management Science 63(4): the cumulative violations ``H_t = (alpha - u_t) / alpha
  1[u_t <= alpha]`` of the P&L's probability integral transform ``u_t`` have mean
  ``alpha / 2`` and variance ``alpha (1/3 - alpha/4)`` under the null; the unconditional test
  ``U = sqrt(n) (mean H - alpha/2) / sqrt(alpha (1/3 - alpha/4))`` is standard normal and the
  conditional (Box-Pierce) test ``C(m) = n sum_{j<=m} rho_j^2`` is chi-squared(m).

The multinomial and Du-Escanciano tests take the PIT ``u_t = F_t(X_t)`` of each realised P&L
under the model's forecast distribution (the weighted share of HS scenarios, or of Monte
Carlo paths, with P&L at or below the realised one); they assume independent observations
(one-day horizons or non-overlapping windows).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import stats

from imresearch.backtest.coverage import Zone
from imresearch.errors import InputError, check_in_open_interval, check_positive_int

__all__ = [
    "DuEscancianoResult",
    "MultinomialResult",
    "Z2Result",
    "acerbi_szekely_z2",
    "du_escanciano",
    "multinomial_test",
    "student_t_var_es",
    "z2_critical_values",
    "z2_test",
]

#: Degrees of freedom of the Student-t P&L that the Z2 critical values are simulated from.
Z2_DOFS: tuple[float, ...] = (5.0, 10.0, 100.0)


def _arrays(**named: object) -> list[np.ndarray]:
    out = []
    n = None
    for name, value in named.items():
        a = np.asarray(value, dtype=np.float64).reshape(-1)
        if n is not None and a.shape[0] != n:
            raise InputError(f"{name} has {a.shape[0]} values; expected {n}")
        n = a.shape[0]
        bad = ~np.isfinite(a)
        if bad.any():
            raise InputError(f"{name} has a non-finite value at position {int(np.argmax(bad))}: "
                             f"{a[bad][0]}")
        out.append(a)
    if not n:
        raise InputError(f"{next(iter(named))} is empty")
    return out


def acerbi_szekely_z2(pnl: np.ndarray, var: np.ndarray, es: np.ndarray,
                      alpha: float = 0.025) -> float:
    """Acerbi-Szekely Z2 statistic.

    Parameters
    ----------
    pnl : array-like of shape (T,)
        Realised P&L, losses negative.
    var, es : array-like of shape (T,)
        VaR and ES forecasts at tail probability ``alpha``, positive amounts.
    alpha : float
        Tail probability. Default 0.025 (ES at 97.5%).

    Returns
    -------
    float
        ``1 + sum_t pnl_t 1[pnl_t < -var_t] / (T alpha es_t)``: about 0 when ES is right,
        negative when it is underestimated.
    """
    alpha = check_in_open_interval("alpha", alpha)
    x, v, e = _arrays(pnl=pnl, var=var, es=es)
    if (e <= 0).any():
        raise InputError(f"es must be positive; got {e[e <= 0][0]}")
    hit = x < -v
    return float(1.0 + np.sum(np.where(hit, x / e, 0.0)) / (len(x) * alpha))


def student_t_var_es(alpha: float, df: float) -> tuple[float, float]:
    """VaR and ES (positive) at tail probability ``alpha`` of a standard Student-t P&L."""
    q = float(stats.t.ppf(alpha, df))
    es = (df + q * q) / (df - 1.0) * float(stats.t.pdf(q, df)) / alpha
    return -q, es


@functools.lru_cache(maxsize=32)
def _z2_null(n: int, alpha: float, df: float, n_sims: int, seed: int) -> np.ndarray:
    """Sorted Z2 of ``n_sims`` samples of ``n`` i.i.d. standard Student-t P&L. Only the tail
    enters Z2: each sample draws its number of VaR breaches ``K ~ Binomial(n, alpha)`` and
    ``K`` P&L values from the tail below ``-VaR`` (inverse CDF of a uniform on
    ``(0, alpha)``), the same distribution as ``n`` draws at a fraction of the cost."""
    _, es = student_t_var_es(alpha, df)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(n, int(df))))
    hits = rng.binomial(n, alpha, size=n_sims)
    u = rng.uniform(0.0, alpha, size=int(hits.sum()))
    # the tail quantile function on a grid dense in log u (relative error ~1e-7), for speed
    grid = np.linspace(np.log(alpha * 1e-15), np.log(alpha), 8193)
    tail = np.interp(np.log(np.maximum(u, alpha * 1e-15)), grid, stats.t.ppf(np.exp(grid), df))
    sums = np.zeros(n_sims)
    np.add.at(sums, np.repeat(np.arange(n_sims), hits), tail)
    out = np.sort(1.0 + sums / (n * alpha * es))
    out.setflags(write=False)
    return out


def z2_critical_values(observations: int, alpha: float = 0.025,
                       levels: tuple[float, ...] = (0.05, 0.0001), *, n_sims: int = 100_000,
                       seed: int = 0) -> dict[float, float]:
    """Simulated critical values of Z2: for each significance ``level`` the lowest, over the
    Student-t degrees of freedom :data:`Z2_DOFS`, of the ``level``-quantile of Z2 under the
    null (reject when Z2 is below it)."""
    n = check_positive_int("observations", observations)
    alpha = check_in_open_interval("alpha", alpha)
    out = {}
    for level in levels:
        check_in_open_interval("level", level)
        out[level] = min(float(np.quantile(_z2_null(n, alpha, df, n_sims, seed), level))
                         for df in Z2_DOFS)
    return out


@dataclass(frozen=True)
class Z2Result:
    """Acerbi-Szekely Z2 test.

    Attributes
    ----------
    z2 : float
    p_value : float
        Largest simulated null probability of a Z2 at or below the observed one, over
        :data:`Z2_DOFS` (conservative).
    critical_5pct, critical_001pct : float
        Critical values at 5% and 0.01% (the Z2 traffic light's yellow and red bounds).
    zone : {"green", "yellow", "red"}
    observations : int
    """

    z2: float
    p_value: float
    critical_5pct: float
    critical_001pct: float
    zone: Zone
    observations: int


def z2_test(pnl: np.ndarray, var: np.ndarray, es: np.ndarray, alpha: float = 0.025, *,
            n_sims: int = 100_000, seed: int = 0) -> Z2Result:
    """Acerbi-Szekely Z2 with simulated critical values and p-value (see the module notes)."""
    z2 = acerbi_szekely_z2(pnl, var, es, alpha)
    n = len(np.asarray(pnl).reshape(-1))
    crit = z2_critical_values(n, alpha, (0.05, 0.0001), n_sims=n_sims, seed=seed)
    p = max(float(np.searchsorted(_z2_null(n, alpha, df, n_sims, seed), z2, side="right"))
            / n_sims for df in Z2_DOFS)
    zone: Zone = ("green" if z2 > crit[0.05] else
                  "yellow" if z2 > crit[0.0001] else "red")
    return Z2Result(z2=z2, p_value=p, critical_5pct=crit[0.05], critical_001pct=crit[0.0001],
                    zone=zone, observations=n)


def _pits(u: np.ndarray | list[float]) -> np.ndarray:
    (a,) = _arrays(u=u)
    if ((a < 0) | (a > 1)).any():
        raise InputError(f"u must be probabilities in [0, 1]; got {a[(a < 0) | (a > 1)][0]}")
    return a


@dataclass(frozen=True)
class MultinomialResult:
    """Kratz-Lok-McNeil multinomial backtest.

    Attributes
    ----------
    levels : tuple of float
        The VaR levels ``a_1 < ... < a_N``.
    observed, expected : ndarray of shape (N + 1,)
        Observations exceeding 0, 1, ..., N of the levels, and their expected numbers.
    pearson, p_pearson, nass, p_nass, lr, p_lr : float
        The three statistics and their p-values.
    """

    levels: tuple[float, ...]
    observed: np.ndarray
    expected: np.ndarray
    pearson: float
    p_pearson: float
    nass: float
    p_nass: float
    lr: float
    p_lr: float


def multinomial_test(u: np.ndarray, alpha: float = 0.025, n_levels: int = 4
                     ) -> MultinomialResult:
    """Kratz-Lok-McNeil multinomial test of PITs ``u`` at levels from ``1 - alpha``.

    Parameters
    ----------
    u : array-like of shape (n,)
        PIT of each realised P&L under its forecast distribution (small: a large loss).
    alpha : float
        Tail probability of the first level (``a_1 = 1 - alpha``). Default 0.025.
    n_levels : int
        Number of levels N. Default 4 (KLM's recommendation).
    """
    x = _pits(u)
    alpha = check_in_open_interval("alpha", alpha)
    big_n = check_positive_int("n_levels", n_levels)
    a1 = 1.0 - alpha
    levels = a1 + np.arange(big_n) * (1.0 - a1) / big_n
    # number of levels whose VaR the loss exceeds: u below 1 - a_j
    cells = (x[:, None] < (1.0 - levels)[None, :]).sum(axis=1)
    n = len(x)
    observed = np.bincount(cells, minlength=big_n + 1).astype(np.float64)
    bounds = np.concatenate([[0.0], levels, [1.0]])
    theta = np.diff(bounds)
    expected = n * theta
    pearson = float(np.sum((observed - expected) ** 2 / expected))
    mean_s = float(big_n)
    var_s = 2.0 * big_n - (big_n ** 2 + 4 * big_n + 1) / n + np.sum(1.0 / theta) / n
    c = 2.0 * mean_s / var_s
    nu = 2.0 * mean_s ** 2 / var_s
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(observed > 0, observed * np.log(observed / expected), 0.0)
    lr = float(2.0 * terms.sum())
    return MultinomialResult(
        levels=tuple(float(v) for v in levels), observed=observed, expected=expected,
        pearson=pearson, p_pearson=float(stats.chi2.sf(pearson, big_n)),
        nass=c * pearson, p_nass=float(stats.chi2.sf(c * pearson, nu)),
        lr=lr, p_lr=float(stats.chi2.sf(lr, big_n)))


@dataclass(frozen=True)
class DuEscancianoResult:
    """Du-Escanciano expected-shortfall tests.

    Attributes
    ----------
    unconditional, p_unconditional : float
        ``U_ES`` and its two-sided standard-normal p-value.
    conditional, p_conditional : float
        ``C_ES(lags)`` and its chi-squared(lags) p-value.
    lags : int
    mean_h : float
        Mean cumulative violation (``alpha / 2`` under the null).
    """

    unconditional: float
    p_unconditional: float
    conditional: float
    p_conditional: float
    lags: int
    mean_h: float


def du_escanciano(u: np.ndarray, alpha: float = 0.025, lags: int = 5) -> DuEscancianoResult:
    """Du-Escanciano unconditional and conditional ES tests of PITs ``u`` (module notes)."""
    x = _pits(u)
    alpha = check_in_open_interval("alpha", alpha)
    m = check_positive_int("lags", lags)
    n = len(x)
    if n <= m:
        raise InputError(f"u has {n} values; the conditional test needs more than lags={m}")
    h = np.where(x <= alpha, (alpha - x) / alpha, 0.0)
    d = h - alpha / 2.0
    u_es = np.sqrt(n) * d.mean() / np.sqrt(alpha * (1.0 / 3.0 - alpha / 4.0))
    gamma0 = np.mean(d * d)
    rho = np.array([np.sum(d[j:] * d[:-j]) / (n - j) for j in range(1, m + 1)]) / gamma0 \
        if gamma0 > 0 else np.zeros(m)
    c_es = float(n * np.sum(rho ** 2))
    return DuEscancianoResult(
        unconditional=float(u_es), p_unconditional=float(2 * stats.norm.sf(abs(u_es))),
        conditional=c_es, p_conditional=float(stats.chi2.sf(c_es, m)), lags=m,
        mean_h=float(h.mean()))
