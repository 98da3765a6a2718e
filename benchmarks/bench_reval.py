"""Full revaluation of a 1,000-trade mixed portfolio (half options) under 2,520 scenarios.

Engine: :meth:`imresearch.portfolio.BoundPortfolio.revalue` (Numba block pricer, parallel over
blocks of 64 scenarios: shocks -> levels -> PV of every trade -> P&L, every inner loop
vectorised over the scenarios of a block, with a polynomial ``exp`` written for that).
Baseline: :func:`numpy_pricers.revalue_numpy`, the same pricers vectorised with
NumPy over blocks of scenarios x trades of each product.

Scenarios are the 2,520 overlapping 10-day shocks ending on the valuation date of the synthetic
market (about ten years), the portfolio a random mix from
:func:`imresearch.portfolio.examples.random_portfolio` (equity, FX and commodity options; equity
positions, TRS and forwards, FX forwards, swaps, CDS, commodity forwards).
"""

from __future__ import annotations

import numpy as np
from numpy_pricers import revalue_numpy

from imresearch.marketdata import horizon_shocks
from imresearch.marketdata.synthetic import synthetic_market
from imresearch.portfolio.examples import EXAMPLE_DATE, random_portfolio

HORIZON = 10


def params(quick: bool) -> dict:
    return {"trades": 200 if quick else 1_000, "scenarios": 252 if quick else 2_520,
            "option_share": 0.5, "horizon": HORIZON}


def setup(quick: bool) -> dict:
    p = params(quick)
    market = synthetic_market(seed=0)
    book = random_portfolio(market, EXAMPLE_DATE, p["trades"], option_share=p["option_share"],
                            seed=1)
    bound = book.bind(market, EXAMPLE_DATE)
    hist = market.window(end=EXAMPLE_DATE)
    frame = horizon_shocks(hist, HORIZON).frame.iloc[-p["scenarios"]:]
    shocks = np.ascontiguousarray(frame[bound.factor_names].to_numpy())
    return {"bound": bound, "shocks": shocks}


def engine(ctx: dict) -> np.ndarray:
    return ctx["bound"].revalue(ctx["shocks"])


def baseline(ctx: dict) -> np.ndarray:
    return revalue_numpy(ctx["bound"], ctx["shocks"])


def check(engine_result: np.ndarray, baseline_result: np.ndarray) -> None:
    assert engine_result.shape == baseline_result.shape
    np.testing.assert_allclose(engine_result, baseline_result, rtol=1e-8, atol=1e-4)
