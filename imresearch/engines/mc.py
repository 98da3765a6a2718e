"""Monte Carlo IM: calibrated daily paths over the margin period of risk, full revaluation.

Pipeline (:func:`monte_carlo_im`): bind the portfolio on the valuation date; calibrate the
model of its factors' daily additive shocks on a history window
(:func:`imresearch.engines.calibration.calibrate`); simulate ``max(horizon, pfe_horizons)``
daily steps per path, parametrically (Gaussian or t copula, normal or Student-t marginals,
constant or GARCH(1,1) volatility, optional antithetic pairs) or by a stationary bootstrap of
the window's (GARCH-standardised) daily shocks; revalue the portfolio in full with the inlined
Numba pricers at each horizon; keep only the portfolio P&L per path and horizon.

Streaming and reproducibility
-----------------------------
Paths are computed in blocks of ``block_size`` (memory ``block_size x steps x factors``, never
``n_paths x steps x factors``: 1,000,000 paths keep 8 MB of P&L per horizon). Random numbers
come from *stream blocks* of :data:`STREAM_BLOCK` paths: stream block ``b`` draws from
``default_rng(SeedSequence(entropy, spawn_key=(0, b)))`` (the ``b``-th child of
``SeedSequence(seed).spawn``), whatever the compute block size, the number of Numba threads or
of workers. Every path is computed by one thread in a fixed order, so the same seed gives
bit-identical P&L and IM for any ``block_size`` and thread count, and the first ``m`` paths of
a run are exactly an ``m``-path run (the convergence table uses these prefixes).

Confidence interval of VaR
--------------------------
Distribution-free (order statistics): the number of simulated losses below the true quantile
``q_c`` is Binomial(n, c), so ``[L_(r), L_(s)]`` with ``r = F^-1(a/2)`` and
``s = F^-1(1 - a/2) + 1`` (``F`` the Binomial(n, c) distribution, ``L_(i)`` ascending losses)
covers ``q_c`` with probability at least ``1 - a``. Optionally a percentile bootstrap. The ES
interval is asymptotic normal: ``Var(ES) ~ (Var(L | L >= VaR) + c (ES - VaR)^2) / (n (1 - c))``.
Antithetic pairs are not independent; for near-linear books their tail indicators are
negatively dependent, which makes the binomial interval conservative.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from imresearch._measures_kernels import equal_weight_tail
from imresearch._numba import n_threads
from imresearch.engines import _mc_kernels as K
from imresearch.engines.calibration import Calibration, calibrate
from imresearch.engines.settings import MCModel
from imresearch.errors import InputError, check_in_open_interval, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.measures import tail
from imresearch.portfolio._kernels import pv_block_states
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio

__all__ = [
    "STREAM_BLOCK",
    "MCModel",
    "MCResult",
    "PathSimulator",
    "monte_carlo_im",
    "var_confidence_interval",
]

STREAM_BLOCK = 1024
"""Paths per random stream block (fixed: part of what a seed means, unlike ``block_size``)."""


@dataclass(frozen=True)
class MCResult:
    """Monte Carlo IM of a portfolio on one date.

    Attributes
    ----------
    im : float
        The model's measure (VaR or ES) of the horizon P&L, floored at 0.
    ci : (float, float)
        Confidence interval (level ``model.ci_level``) of the IM measure.
    var, es : float
        99% (``confidence``) VaR and ES of the horizon P&L, as losses.
    var_ci, es_ci : (float, float)
        Their intervals.
    confidence : float
    horizon : int
        Margin period of risk, business days.
    n_paths : int
    date : pandas.Timestamp
    model : MCModel
    pnl : pandas.Series of shape (n_paths,)
        Portfolio P&L per path at ``horizon`` (float64: 8 MB per million paths).
    pnl_horizons : pandas.DataFrame of shape (n_paths, n_horizons)
        P&L per path at every PFE horizon (columns: days).
    pfe : pandas.DataFrame
        Per horizon (index, days): ``var``, ``es``, ``ci_lower``, ``ci_upper``.
    convergence : pandas.DataFrame
        VaR, ES and the VaR interval on the first ``n`` paths, for growing ``n`` (index).
    calibration : Calibration
    seed_entropy : int or sequence of int
        Entropy of the root ``SeedSequence`` (reproduces the run).
    elapsed_s : float
        Wall time of the simulation and revaluation.
    """

    im: float
    ci: tuple[float, float]
    var: float
    es: float
    var_ci: tuple[float, float]
    es_ci: tuple[float, float]
    confidence: float
    horizon: int
    n_paths: int
    date: pd.Timestamp
    model: MCModel
    pnl: pd.Series = field(repr=False)
    pnl_horizons: pd.DataFrame = field(repr=False)
    pfe: pd.DataFrame = field(repr=False)
    convergence: pd.DataFrame = field(repr=False)
    calibration: Calibration = field(repr=False)
    seed_entropy: Any = None
    elapsed_s: float = 0.0

    @property
    def paths_per_second(self) -> float:
        """Simulated and revalued paths per second of wall time."""
        return self.n_paths / self.elapsed_s if self.elapsed_s > 0 else math.inf


# --------------------------------------------------------------------------- statistics
def var_confidence_interval(pnl: np.ndarray, confidence: float = 0.99, level: float = 0.95
                            ) -> tuple[float, float]:
    """Distribution-free interval for the ``confidence`` quantile of the loss ``-pnl``.

    Parameters
    ----------
    pnl : ndarray of shape (n,)
        Independent P&L draws, gains positive.
    confidence : float
        Quantile level of the loss. Default 0.99.
    level : float
        Coverage of the interval. Default 0.95.

    Returns
    -------
    (lower, upper) : tuple of float
        Ascending order statistics ``L_(r)``, ``L_(s)`` of the losses with
        ``P(L_(r) <= q <= L_(s)) >= level`` (clipped to the sample range for small ``n``).
    """
    losses = -np.asarray(pnl, dtype=np.float64)
    n = losses.shape[0]
    if n == 0:
        raise InputError("pnl is empty: no paths")
    a = 1.0 - level
    r = int(stats.binom.ppf(a / 2, n, confidence))
    s = int(stats.binom.ppf(1 - a / 2, n, confidence)) + 1
    r = min(max(r, 1), n)
    s = min(max(s, 1), n)
    part = np.partition(losses, (r - 1, s - 1))
    return float(part[r - 1]), float(part[s - 1])


def _es_interval(tail: np.ndarray, var: float, es: float, n: int, confidence: float,
                 level: float) -> tuple[float, float]:
    """Asymptotic normal interval of ES (tail variance plus the quantile's contribution)."""
    alpha = 1.0 - confidence
    v = float(tail.var()) + confidence * (es - var) ** 2
    half = float(stats.norm.ppf(0.5 + level / 2)) * math.sqrt(v / (n * alpha))
    return es - half, es + half


def _bootstrap_interval(pnl: np.ndarray, confidence: float, level: float, n_boot: int,
                        rng: np.random.Generator) -> tuple[float, float]:
    n = pnl.shape[0]
    losses = -pnl
    out = np.empty(n_boot)
    for b in range(n_boot):
        out[b] = equal_weight_tail(losses[rng.integers(0, n, n)], 1.0 - confidence, False)[0]
    a = 1.0 - level
    return float(np.quantile(out, a / 2)), float(np.quantile(out, 1 - a / 2))


# --------------------------------------------------------------------------- simulation
def _root_seed(seed: Any) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    if seed is None or (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
                        and seed >= 0):
        return np.random.SeedSequence(seed)
    raise InputError(f"seed must be a non-negative int, a SeedSequence, a Generator or None; "
                     f"got {seed!r}")


def _draw_threads() -> int:
    """Threads drawing random-number blocks: Numba's current thread count (so a sweep task
    pinned to one thread, or ``numba.set_num_threads``, also pins the draws), at most 8."""
    try:
        import numba

        return max(1, min(int(numba.get_num_threads()), 8))
    except (ImportError, AttributeError):  # pragma: no cover - numba is a core dependency
        return max(1, min(os.cpu_count() or 1, 8))


class PathSimulator:
    """Draws the innovations of any range of paths, reproducibly (see the module docstring).

    Parameters
    ----------
    calibration : Calibration
    model : MCModel
    n_steps : int
        Daily steps per path.
    seed : int, SeedSequence, Generator or None
    """

    def __init__(self, calibration: Calibration, model: MCModel, n_steps: int,
                 seed: Any) -> None:
        self.cal = calibration
        self.model = model
        self.n_steps = n_steps
        self.root = _root_seed(seed)
        self.lt = np.ascontiguousarray(calibration.cholesky.T)
        self._cache: dict[int, dict[str, np.ndarray]] = {}
        self.workers = _draw_threads()

    @property
    def fused(self) -> bool:
        """True when the main kernel correlates raw normals itself (Gaussian copula, normal
        marginals): no transform between correlation and revaluation."""
        return (self.model.method == "parametric" and self.model.copula == "gaussian"
                and self.model.marginal == "normal")

    def _stream(self, b: int) -> dict[str, np.ndarray]:
        """Raw draws of stream block ``b`` (``STREAM_BLOCK`` paths), from its own Generator."""
        ss = np.random.SeedSequence(self.root.entropy,
                                    spawn_key=(*self.root.spawn_key, 0, b))
        rng = np.random.default_rng(ss)
        n_f = self.cal.n_factors
        S, T = STREAM_BLOCK, self.n_steps
        out: dict[str, np.ndarray] = {}
        if self.model.method == "bootstrap":
            n_obs = self.cal.n_observations
            start = rng.integers(0, n_obs, S)
            restart = rng.random((S, T)) < 1.0 / self.model.bootstrap_block
            jump = rng.integers(0, n_obs, (S, T))
            idx = np.empty((S, T), dtype=np.int64)
            K.stationary_indices(start, restart, jump, n_obs, idx)
            out["idx"] = idx
        else:
            half = S // 2 if self.model.antithetic else S
            eps = rng.standard_normal((half, T, n_f))
            w = (rng.chisquare(self.cal.copula_dof, (half, T)) / self.cal.copula_dof
                 if self.model.copula == "t" else None)
            if self.model.antithetic:
                full = np.empty((S, T, n_f))
                full[0::2] = eps
                full[1::2] = -eps
                eps = full
                if w is not None:
                    w = np.repeat(w, 2, axis=0)
            out["eps"] = eps
            if w is not None:
                out["w"] = w
        return out

    def draws(self, lo: int, hi: int) -> dict[str, np.ndarray]:
        """Raw draws of paths ``lo .. hi - 1``, concatenated over stream blocks.

        The stream blocks a call needs are drawn concurrently (numpy releases the GIL while
        filling arrays; each block has its own Generator, so the result does not depend on
        the order). The last block is kept for the next call (compute blocks that are not
        multiples of :data:`STREAM_BLOCK` share it).
        """
        blocks = list(range(lo // STREAM_BLOCK, (hi - 1) // STREAM_BLOCK + 1))
        have = {b: d for b, d in self._cache.items() if b in blocks}
        todo = [b for b in blocks if b not in have]
        if len(todo) > 1 and self.workers > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                have.update(zip(todo, pool.map(self._stream, todo), strict=True))
        else:
            have.update((b, self._stream(b)) for b in todo)
        self._cache = {blocks[-1]: have[blocks[-1]]}
        parts: dict[str, list[np.ndarray]] = {}
        for b in blocks:
            s0 = b * STREAM_BLOCK
            a, e = max(lo, s0) - s0, min(hi, s0 + STREAM_BLOCK) - s0
            for key, arr in have[b].items():
                parts.setdefault(key, []).append(arr[a:e])
        return {k: (v[0] if len(v) == 1 else np.concatenate(v)) for k, v in parts.items()}

    def innovations(self, lo: int, hi: int) -> np.ndarray:
        """Innovations of paths ``lo .. hi - 1``, shape (hi - lo, n_steps, n_factors).

        Independent standard normals when :attr:`fused` (the kernel correlates them);
        otherwise dependent unit-variance innovations (copula and marginals applied), or the
        bootstrapped rows of the calibration's innovation table.
        """
        d = self.draws(lo, hi)
        if self.model.method == "bootstrap":
            return np.ascontiguousarray(self.cal.innovations[d["idx"]])
        eps = np.ascontiguousarray(d["eps"])
        if self.fused:
            return eps
        z = np.empty_like(eps)
        K.correlate_kernel(eps, self.lt, z)
        if self.model.copula == "t":
            z /= np.sqrt(d["w"])[:, :, None]
            u_low = special.stdtr(self.cal.copula_dof, -np.abs(z))  # lower tail, precise
        else:
            u_low = special.ndtr(-np.abs(z))
        if self.model.marginal == "t":
            nu = self.cal.marginal_dof
            q = special.stdtrit(nu, u_low) * np.sqrt((nu - 2.0) / nu)
        else:
            q = special.ndtri(u_low)
        return np.ascontiguousarray(np.where(z > 0, -q, q))


def _check_horizons(horizon: int, pfe_horizons: Sequence[int] | None) -> np.ndarray:
    horizon = check_positive_int("horizon", horizon)
    hs = {horizon}
    for h in pfe_horizons or ():
        hs.add(check_positive_int("pfe_horizons", h))
    return np.array(sorted(hs), dtype=np.int64)


class _Simulation:
    """What a Monte Carlo run needs before its paths: the bound portfolio, the calibration
    (of the portfolio's factors) and the path simulator."""

    def __init__(self, portfolio: Any, market: RiskFactorHistory, date: object, model: MCModel,
                 seed: Any, n_steps: int, calibration: Calibration | None) -> None:
        if not isinstance(market, RiskFactorHistory):
            raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
        self.bound = bound = (portfolio if isinstance(portfolio, BoundPortfolio)
                              else bind(portfolio, market, date))
        names = list(bound.factor_names)
        if calibration is None:
            calibration = calibrate(market, date if date is not None else bound.date,
                                    factors=names, **model.calibration_kwargs())
        elif list(calibration.factor_names) != names:
            raise InputError(f"calibration factors {list(calibration.factor_names)} differ "
                             f"from the portfolio's {names}")
        self.cal = cal = calibration
        self.sim = PathSimulator(cal, model, n_steps, seed)
        self.unit = np.ascontiguousarray(bound.scale, dtype=np.float64)
        self.base = np.ascontiguousarray(cal.base_levels)
        self.garch = (np.ascontiguousarray(cal.garch) if cal.garch is not None
                      else np.zeros((cal.n_factors, 3)))
        if model.method == "bootstrap" and model.volatility == "constant":
            self.vol0 = np.ones(cal.n_factors)  # raw historical daily shocks
        else:
            self.vol0 = np.ascontiguousarray(cal.vol)
        self.use_garch = bool(model.garch_dynamics)

    def inputs(self, lo: int, hi: int) -> tuple:
        """The path kernels' arguments up to ``unit`` for paths ``lo .. hi - 1``."""
        cal, sim = self.cal, self.sim
        return (sim.innovations(lo, hi), sim.lt, sim.fused, self.vol0, self.garch,
                self.use_garch, self.base, cal.mult, cal.disp, self.unit)


def monte_carlo_im(
    portfolio: Any,
    market: RiskFactorHistory,
    date: object = None,
    model: MCModel | None = None,
    *,
    n_paths: int | None = None,
    horizon: int | None = None,
    confidence: float | None = None,
    seed: int | np.random.SeedSequence | np.random.Generator | None = None,
    pfe_horizons: Sequence[int] | None = None,
    block_size: int = 4096,
    calibration: Calibration | None = None,
    convergence_points: int | None = None,
) -> MCResult:
    """Monte Carlo IM of a portfolio on one date (see the module docstring).

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades (bound to ``market`` on ``date`` unless already bound).
    market : RiskFactorHistory
        History to calibrate on; only data up to ``date`` is used.
    date : date-like, optional
        Valuation date (a date of ``market``). Default: the last date.
    model : MCModel, optional
        Settings. Default ``MCModel()``.
    n_paths, horizon, confidence, convergence_points : optional
        Override the model's settings of the same name.
    seed : int, SeedSequence, Generator or None
        Root of the per-block random streams; default the model's ``seed``.
    pfe_horizons : sequence of int, optional
        Further horizons (days) of the PFE profile, e.g. ``(1, 5, 10, 20)``; the paths run
        ``max(horizon, *pfe_horizons)`` steps and are revalued at each.
    block_size : int
        Paths per compute block (memory ~ ``block_size x steps x factors x 8`` bytes a few
        times). Does not change the result. Default 4096.
    calibration : Calibration, optional
        A calibration to reuse (its factors must be the portfolio's). Default: calibrate
        ``model`` on ``market``.

    Returns
    -------
    MCResult

    Raises
    ------
    InputError
        ``n_paths`` < 1, bad horizons, confidence or block size, a calibration window too
        short, degrees of freedom <= 2, a date not in the market.
    CalibrationError
        A singular covariance that cannot be repaired, a failed fit.
    """
    model = model or MCModel()
    if not isinstance(model, MCModel):
        raise InputError(f"model must be an MCModel; got {type(model).__name__}")
    n_paths = check_positive_int("n_paths", model.n_paths if n_paths is None else n_paths)
    horizon = model.horizon if horizon is None else horizon
    confidence = check_in_open_interval(
        "confidence", model.confidence if confidence is None else confidence)
    seed = model.seed if seed is None else seed
    convergence_points = check_positive_int(
        "convergence_points",
        model.convergence_points if convergence_points is None else convergence_points)
    block_size = check_positive_int("block_size", block_size)
    hsteps = _check_horizons(horizon, pfe_horizons)
    run = _Simulation(portfolio, market, date, model, seed, int(hsteps[-1]), calibration)
    cal, sim = run.cal, run.sim
    bk = run.bound.block(np.ones(run.bound.n_trades))  # portfolio total, linear terms merged
    pv0 = float(pv_block_states((run.base * run.unit)[None, :], 1, bk)[0, 0])
    pnl = np.empty((n_paths, len(hsteps)))
    t0 = time.perf_counter()
    for lo in range(0, n_paths, block_size):
        hi = min(lo + block_size, n_paths)
        K.mc_pnl_block_kernel(*run.inputs(lo, hi), hsteps, pv0, pnl[lo:hi], 4 * n_threads(),
                              bk)
    elapsed = time.perf_counter() - t0

    level = model.ci_level
    rows = []
    for h_i, h in enumerate(hsteps):
        col = pnl[:, h_i]
        t = tail(col, confidence)
        lo_, hi_ = var_confidence_interval(col, confidence, level)
        rows.append({"horizon": int(h), "var": t.var, "es": t.es, "ci_lower": lo_,
                     "ci_upper": hi_})
    pfe = pd.DataFrame(rows).set_index("horizon")
    main = int(np.flatnonzero(hsteps == horizon)[0])
    col = np.ascontiguousarray(pnl[:, main])
    main_tail = tail(col, confidence)
    var, es = main_tail.var, main_tail.es
    if model.ci_method == "bootstrap":
        rng = np.random.default_rng(np.random.SeedSequence(
            sim.root.entropy, spawn_key=(*sim.root.spawn_key, 1)))
        var_ci = _bootstrap_interval(col, confidence, level, model.n_bootstrap, rng)
    else:
        var_ci = (float(pfe.loc[horizon, "ci_lower"]), float(pfe.loc[horizon, "ci_upper"]))
    es_ci = _es_interval(main_tail.losses, var, es, n_paths, confidence, level)

    conv = []
    for k in range(convergence_points - 1, -1, -1):
        m = n_paths >> k
        if m < 1 or (conv and conv[-1]["n_paths"] == m):
            continue
        t = tail(col[:m], confidence)
        v, e = t.var, t.es
        c_lo, c_hi = var_confidence_interval(col[:m], confidence, level)
        conv.append({"n_paths": m, "var": v, "es": e, "ci_lower": c_lo, "ci_upper": c_hi,
                     "rel_half_width": (c_hi - c_lo) / (2 * abs(v)) if v else math.inf})
    convergence = pd.DataFrame(conv).set_index("n_paths")

    im, ci = (var, var_ci) if model.measure == "var" else (es, es_ci)
    path_index = pd.RangeIndex(n_paths, name="path")
    return MCResult(
        im=max(im, 0.0), ci=ci, var=var, es=es, var_ci=var_ci, es_ci=es_ci,
        confidence=confidence, horizon=int(horizon), n_paths=n_paths, date=cal.date,
        model=model, pnl=pd.Series(col, index=path_index, name=f"pnl_{horizon}d"),
        pnl_horizons=pd.DataFrame(pnl, index=path_index, columns=pd.Index(
            hsteps.tolist(), name="horizon"), copy=False),
        pfe=pfe, convergence=convergence, calibration=cal,
        seed_entropy=sim.root.entropy, elapsed_s=elapsed,
    )
