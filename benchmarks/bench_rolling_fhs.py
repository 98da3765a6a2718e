"""Rolling 99% / 10-day filtered-HS IM of a 500-trade multi-asset portfolio, full revaluation.

Engine: :func:`imresearch.engines.rolling_im` with EWMA filtering (Numba, parallel over dates;
each date's scenarios priced 64 at a time by the block pricer, linear trades and swap flows
merged into one term per (factor, grid point, FX)).
Baseline: the same scenarios revalued with :func:`numpy_pricers.pv_states_numpy`
(NumPy vectorised over scenarios and trades), one date at a time, quantile by ``np.partition``.

Both run on the same sample of dates (every 20th business day over 20 years; every 60th over
5 years with ``--quick``), so the ratio compares like with like; ``extra`` adds the engine's
full daily 20-year run (5,040 dates) in the ``full_run_s`` field.
"""

from __future__ import annotations

import time

import numpy as np
from numpy_pricers import pv_states_numpy

from imresearch.engines import rolling_im
from imresearch.engines.hs import _Setup
from imresearch.marketdata import synthetic_market
from imresearch.models import HSModel
from imresearch.portfolio.examples import EXAMPLE_DATE, random_portfolio

MODEL = HSModel(lookback_days=2520, filtering="ewma")
STEP = {True: 60, False: 20}


def params(quick: bool) -> dict:
    return {"trades": 100 if quick else 500, "im_years": 5 if quick else 20,
            "date_step": STEP[quick], "lookback_days": 2520, "model": MODEL.label}


def setup(quick: bool) -> dict:
    p = params(quick)
    market = synthetic_market(seed=0, start="1995-01-02", years=31)
    book = random_portfolio(market, EXAMPLE_DATE, p["trades"], option_share=0.3, seed=2)
    bound = book.bind(market, EXAMPLE_DATE)
    s = _Setup(bound, market, MODEL, None)
    last = s.n - 1
    first = last - 252 * p["im_years"] + 1
    rows = np.arange(last, first - 1, -p["date_step"], dtype=np.int64)[::-1].copy()
    return {"bound": bound, "market": market, "setup": s, "rows": rows, "first": first}


def engine(ctx: dict) -> np.ndarray:
    s, rows = ctx["setup"], ctx["rows"]
    step = int(rows[1] - rows[0])
    out = rolling_im(ctx["bound"], ctx["market"], model=MODEL, start=s.dates[rows[0]],
                     end=s.dates[rows[-1]], step=step)
    assert list(out.index) == list(s.dates[rows])
    return out["var"].to_numpy()


def baseline(ctx: dict) -> np.ndarray:
    s, rows, bound = ctx["setup"], ctx["rows"], ctx["bound"]
    lo1, hi1 = s.recent(rows)
    vols = s.vols(rows)
    out = np.empty(len(rows))
    mult = s.mult.astype(bool)
    for o, T in enumerate(rows):
        base = s.levels[T]
        a = s.shocks[lo1[o]:hi1[o]] * vols[o]
        levels = np.where(mult, (base + s.disp) * np.exp(a) - s.disp, base + a)
        pv = pv_states_numpy(bound, levels * s.unit).sum(axis=1)
        pv0 = pv_states_numpy(bound, (base * s.unit)[None, :]).sum()
        losses = pv0 - pv
        k = int(np.ceil(len(losses) * (1 - MODEL.confidence) - 1e-9))
        out[o] = -np.partition(-losses, k - 1)[k - 1]
    return out


def check(engine_result: np.ndarray, baseline_result: np.ndarray) -> None:
    np.testing.assert_allclose(engine_result, baseline_result, rtol=1e-7)


def extra(ctx: dict, quick: bool) -> dict:
    s = ctx["setup"]
    t0 = time.perf_counter()
    full = rolling_im(ctx["bound"], ctx["market"], model=MODEL, start=s.dates[ctx["first"]])
    dt = time.perf_counter() - t0
    vals = len(full) * float(full["n_scenarios"].mean()) * ctx["bound"].n_trades
    return {"full_run_dates": len(full), "full_run_s": round(dt, 2),
            "valuations_per_s": round(vals / dt)}

