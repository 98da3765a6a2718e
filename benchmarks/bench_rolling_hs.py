"""Rolling daily 99% / 10-day HS IM of a one-factor linear position: 20 years, 10-year lookback.

Engine: :func:`imresearch.engines.linear_rolling_im` (sorted-window updates in Numba).
Baseline: pandas, ``pct_change`` for the 10-day P&L and ``rolling(...).quantile`` with the
``lower`` interpolation chosen to give the same order statistic.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.engines import linear_rolling_im
from imresearch.marketdata import synthetic_market

HORIZON, LOOKBACK, CONF = 10, 2520, 0.99
NOTIONAL = 1e8


def params(quick: bool) -> dict:
    return {"im_years": 5 if quick else 20, "lookback_days": LOOKBACK, "horizon": HORIZON,
            "confidence": CONF, "factor": "EQ_SPX"}


def setup(quick: bool) -> dict:
    years = 15 if quick else 31
    market = synthetic_market(seed=0, start="1995-01-02", years=years).select("EQ_SPX")
    return {"market": market, "levels": market.levels["EQ_SPX"]}


def engine(ctx: dict) -> pd.Series:
    return linear_rolling_im(pd.Series({"EQ_SPX": NOTIONAL}), ctx["market"],
                             lookback_days=LOOKBACK, horizon=HORIZON, confidence=CONF)["var"]


def baseline(ctx: dict) -> pd.Series:
    s = ctx["levels"]
    pnl = NOTIONAL * (s / s.shift(HORIZON) - 1.0)
    window = LOOKBACK - HORIZON + 1
    k = int(np.ceil(window * (1 - CONF) - 1e-9))
    q = (window - k) / (window - 1)
    return (-pnl.dropna()).rolling(window).quantile(q, interpolation="lower").dropna()


def check(engine_result: pd.Series, baseline_result: pd.Series) -> None:
    assert len(engine_result) == len(baseline_result)
    np.testing.assert_allclose(engine_result.to_numpy(), baseline_result.to_numpy(), rtol=1e-9)
