"""Monte Carlo IM: 100,000 paths x 10 daily steps x 50 factors, full revaluation of 500 trades.

Engine: :func:`imresearch.engines.mc.monte_carlo_im` (Gaussian copula, normal marginals,
sample covariance of the last 3 years): per-block random streams, paths streamed in blocks of
4,096 through one Numba kernel (correlate, accumulate, then revalue the paths 64 at a time
with the block pricer, linear trades merged; keep the portfolio P&L per path), then VaR / ES,
intervals and the convergence table.
Baseline: the same random numbers (the engine's per-block streams) materialised as a
(paths, steps, factors) NumPy array, correlated with one matrix product, summed over steps,
turned into levels and revalued with :func:`numpy_pricers.pv_states_numpy`
(NumPy vectorised pricers, 10,000 states at a time), then the same order statistic.

Market: ``synthetic_market(seed=0)`` (38 factors) plus 12 equity names (``EQ_X01..EQ_X12``,
one-factor models on ``EQ_SPX``) = 50 factors. Portfolio: ``random_portfolio`` of 488 trades
(30% options) on the synthetic factors plus 12 positions on the extra names = 500 trades
depending on all 50 factors. ``extra`` adds an engine-only 1,000,000-path run (time and peak
resident memory above the level before it).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from numpy_pricers import pv_states_numpy

from imresearch.engines.calibration import calibrate
from imresearch.engines.mc import MCModel, PathSimulator, monte_carlo_im
from imresearch.marketdata import FactorSpec, RiskFactorHistory, synthetic_market
from imresearch.portfolio import EquityPosition, bind
from imresearch.portfolio.examples import EXAMPLE_DATE, random_portfolio

MODEL = MCModel()
HORIZON = 10
N_EXTRA = 12


def params(quick: bool) -> dict:
    return {"paths": 10_000 if quick else 100_000, "steps": HORIZON, "factors": 50,
            "trades": 500, "option_share": 0.3, "model": MODEL.label}


def _market() -> RiskFactorHistory:
    base = synthetic_market(seed=0)
    rng = np.random.default_rng(123)
    spx = np.diff(np.log(base.levels["EQ_SPX"].to_numpy()))
    cols = {}
    for k in range(N_EXTRA):
        beta = rng.uniform(0.6, 1.4)
        r = beta * spx + rng.normal(0, 0.012, spx.shape)
        cols[f"EQ_X{k + 1:02d}"] = 50.0 * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    spec = FactorSpec(risk_class="equity", convention="log", currency="USD")
    extra = RiskFactorHistory(pd.DataFrame(cols, index=base.dates), {c: spec for c in cols},
                              name="extra")
    return RiskFactorHistory.combine([base, extra], name="synthetic+12")


def setup(quick: bool) -> dict:
    p = params(quick)
    market = _market()
    book = random_portfolio(market, EXAMPLE_DATE, p["trades"] - N_EXTRA,
                            option_share=p["option_share"], seed=1)
    extra = [EquityPosition(trade_id=f"X{k + 1:02d}", underlying=f"X{k + 1:02d}",
                            factor=f"EQ_X{k + 1:02d}", quantity=20_000.0 * (k + 1),
                            direction="long" if k % 3 else "short") for k in range(N_EXTRA)]
    bound = bind(list(book.trades) + extra, market, EXAMPLE_DATE)
    assert bound.n_factors == p["factors"], bound.n_factors
    cal = calibrate(market, EXAMPLE_DATE, factors=bound.factor_names,
                    **MODEL.calibration_kwargs())
    return {"market": market, "bound": bound, "cal": cal, "n": p["paths"]}


def engine(ctx: dict) -> np.ndarray:
    res = monte_carlo_im(ctx["bound"], ctx["market"], EXAMPLE_DATE, n_paths=ctx["n"],
                         horizon=HORIZON, seed=2024, model=MODEL, calibration=ctx["cal"])
    return np.array([res.var, *res.pnl.to_numpy()])


def baseline(ctx: dict) -> np.ndarray:
    cal, bound, n = ctx["cal"], ctx["bound"], ctx["n"]
    sim = PathSimulator(cal, MODEL, HORIZON, 2024)
    eps = sim.draws(0, n)["eps"]                       # (paths, steps, factors)
    shocks = (eps @ cal.cholesky.T) * cal.vol          # correlated daily shocks
    a = shocks.sum(axis=1)                             # horizon shocks (paths, factors)
    mult = cal.mult == 1
    levels = np.where(mult, (cal.base_levels + cal.disp) * np.exp(a) - cal.disp,
                      cal.base_levels + a)
    states = levels * bound.scale
    pv0 = pv_states_numpy(bound, (cal.base_levels * bound.scale)[None, :]).sum()
    pnl = np.empty(n)
    for lo in range(0, n, 10_000):
        pnl[lo:lo + 10_000] = pv_states_numpy(bound, states[lo:lo + 10_000]).sum(axis=1) - pv0
    k = int(np.ceil(n * 0.01 - 1e-9))
    var = -np.partition(pnl, k - 1)[k - 1]
    return np.array([var, *pnl])


def check(engine_result: np.ndarray, baseline_result: np.ndarray) -> None:
    assert engine_result.shape == baseline_result.shape
    scale = np.abs(baseline_result[1:]).max()
    np.testing.assert_allclose(engine_result[1:], baseline_result[1:], rtol=1e-7,
                               atol=1e-9 * scale)
    np.testing.assert_allclose(engine_result[0], baseline_result[0], rtol=1e-7)


def _status_mb(key: str) -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def extra(ctx: dict, quick: bool) -> dict:
    t0 = time.perf_counter()
    engine(ctx)
    dt = time.perf_counter() - t0
    out = {"paths_per_s": round(ctx["n"] / dt)}
    n_big = 100_000 if quick else 1_000_000
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass
    before = _status_mb("VmRSS")
    t0 = time.perf_counter()
    res = monte_carlo_im(ctx["bound"], ctx["market"], EXAMPLE_DATE, n_paths=n_big,
                         horizon=HORIZON, seed=2024, model=MODEL, calibration=ctx["cal"])
    dt = time.perf_counter() - t0
    out.update({"big_run_paths": n_big, "big_run_s": round(dt, 2),
                "big_run_paths_per_s": round(n_big / dt),
                "big_run_peak_mb": round(_status_mb("VmHWM") - before, 1),
                "big_run_var": round(res.var), "big_run_ci": [round(v) for v in res.ci]})
    return out
