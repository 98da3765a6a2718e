"""SIMM backtested by risk class, daily: one CRIF per day for every risk class, against the
naive loop of one CRIF per day per risk class.

Book: ``dealer_book_public`` (117 trades: swaps, FX forwards and options, S&P 500 and WTI
trades) on the built-in real market (``load_builtin("public_markets")``, 2006-2018), terms held
at constant maturity. Model: SIMM in force each day (1.0 before 2016-09-01), 10-day, against the
10-day P&L of each risk class (its factors moved alone).

Engine: :func:`imresearch.backtest.backtest_im` with ``by="risk_class"``: per day the book's CRIF
by bump and revaluation once, one SIMM calculation whose breakdown gives every risk class's
margin; the P&L of every class from one call of the block pricer on the masked book; then every
test of the summary (with the overlap simulation and the ES-free columns).
Baseline: per day and per risk class, the book's CRIF by bump and revaluation, its rows of that
class, their SIMM; the P&L of the class by revaluing the book with only its factors moved
(``BoundPortfolio.pv_states``); no tests.
``check``: every IM and P&L agrees (rtol 1e-10). ``extra`` (full run only) times the engine
over 10 years daily (2,520 IM dates), the issue's target ("within a few minutes on 2 cores").
Run with ``--repeat 1``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from imresearch.backtest import backtest_im
from imresearch.backtest.groups import factor_risk_classes
from imresearch.marketdata import load_builtin
from imresearch.models import SimmModel
from imresearch.portfolio import bind, load_portfolio, to_crif
from imresearch.simm import simm

MODEL = SimmModel()
RISK_TYPES = {"InterestRate": ("Risk_IRCurve", "Risk_IRVol", "Risk_Inflation",
                               "Risk_InflationVol", "Risk_XCcyBasis"),
              "CreditQualifying": ("Risk_CreditQ", "Risk_CreditVol", "Risk_BaseCorr"),
              "Equity": ("Risk_Equity", "Risk_EquityVol"),
              "Commodity": ("Risk_Commodity", "Risk_CommodityVol"),
              "FX": ("Risk_FX", "Risk_FXVol")}


def params(quick: bool) -> dict:
    return {"im_days": 20 if quick else 250, "extra_days": 0 if quick else 2520,
            "book": "dealer_book_public", "market": "public_markets", "model": "SIMM in force",
            "horizon": 10, "by": "risk_class"}


def setup(quick: bool) -> dict:
    p = params(quick)
    market = load_builtin("public_markets")
    book = bind(load_portfolio(p["book"]), market, market.end)
    last = market.n_dates - 1 - p["horizon"]
    return {"market": market, "book": book, "p": p,
            "dates": market.dates[last - p["im_days"] + 1:last + 1]}


def _run(ctx: dict, dates: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.DataFrame]:
    res = backtest_im(ctx["book"], ctx["market"], dates[0], dates[-1], MODEL, by="risk_class")
    return res.im, res.pnl


def engine(ctx: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _run(ctx, ctx["dates"])


def baseline(ctx: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    market, book, h = ctx["market"], ctx["book"], ctx["p"]["horizon"]
    classes = factor_risk_classes(book)
    levels = market.levels[book.factor_names]
    im, pnl = {}, {}
    for t in ctx["dates"]:
        at = dataclasses.replace(book, date=t, base_levels=levels.loc[t].to_numpy(float))
        version = MODEL.version_on(t)
        later = levels.iloc[levels.index.get_loc(t) + h].to_numpy(float)
        now = levels.loc[t].to_numpy(float)
        base = book.pv_states((now * book.scale)[None, :]).sum()
        row_im, row_pnl = {}, {}
        for rc, factors in classes.items():
            crif = to_crif(at)
            part = crif[crif["RiskType"].isin(RISK_TYPES[rc])]
            row_im[rc] = simm(part, version=version).total if len(part) else 0.0
            moved = np.where(np.isin(book.factor_names, factors), later, now)
            row_pnl[rc] = book.pv_states((moved * book.scale)[None, :]).sum() - base
        im[t], pnl[t] = row_im, row_pnl
    return pd.DataFrame(im).T, pd.DataFrame(pnl).T


def warmup(ctx: dict, side: str) -> None:
    small = {**ctx, "dates": ctx["dates"][-2:]}
    (engine if side == "engine" else baseline)(small)


def check(engine_result: tuple, baseline_result: tuple) -> None:
    for e, b in zip(engine_result, baseline_result, strict=True):
        b = b[e.columns]
        np.testing.assert_allclose(e.to_numpy(), b.to_numpy(), rtol=1e-10, atol=1e-4)


def extra(ctx: dict, quick: bool) -> dict:
    n = ctx["p"]["extra_days"]
    if not n:
        return {}
    market = ctx["market"]
    last = market.n_dates - 1 - ctx["p"]["horizon"]
    dates = market.dates[last - n + 1:last + 1]
    t0, c0 = time.perf_counter(), time.process_time()
    im, _ = _run(ctx, dates)
    return {"ten_years_dates": len(im), "ten_years_s": round(time.perf_counter() - t0, 1),
            "ten_years_cpu_s": round(time.process_time() - c0, 1),
            "ten_years_first": f"{dates[0]:%Y-%m-%d}"}
