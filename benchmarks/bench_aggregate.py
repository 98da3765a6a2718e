"""Aggregate IM of 1,000 netting sets: one revaluation for all of them, against the whole-book
engine run once per netting set.

Book: one dealer's 1,000 netting sets of 20 trades each (20,000 trades) drawn by
:func:`imresearch.aggregate.network.generate_network` from the dealer book on the built-in real
market's factors (``dealer_book_public``: swaps, FX forwards and options, S&P 500 and WTI
trades; a third options), random sides and sizes, seed 13, on the built-in real market
(``load_builtin("public_markets")``, 2006-2018).
Model: EWMA-filtered HS, 99% 10-day VaR, 5-year lookback (1,260 days), IM daily over the last 5
years of the market (1,260 dates), both sides of every netting set.

Engine: :func:`imresearch.aggregate.aggregate_im_series` (binding, IM to collect and to post of
every netting set from :func:`imresearch.engines.grouped.grouped_rolling_im`: each trade priced
once per scenario and summed into its netting set inside the kernel; then thresholds,
balances, VM, calls, cliff and procyclicality).
Baseline: for each netting set, :func:`imresearch.engines.rolling_im` on the netting set alone
(bound alone), once as it is (IM to collect) and once negated (``trade_weights = -1``: IM to
post), then the same ``aggregate_im_series`` with that IM given (``im=``).
``check``: every netting set's IM, both sides, agrees (rtol 1e-9). ``extra`` times the
whole-book ``rolling_im`` on the same dates, bound beforehand (one netting set, one side: the
issue's second target, engine at most 1.5 times it), and the binding of the 20,000 trades
(which the engine's time includes); the book holds 40 distinct options, each priced once per
scenario for every netting set, so it times both again on the book with every option's strike
moved (``distinct_*``: 6,825 distinct options, the regime where pricing dominates).

The baseline takes tens of minutes; ``warmup`` compiles the kernels on 3 netting sets instead
of a full untimed run. Run with ``--repeat 1``.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pandas as pd

from imresearch.aggregate import aggregate_im_series
from imresearch.aggregate.network import generate_network
from imresearch.engines import rolling_im
from imresearch.marketdata import load_builtin
from imresearch.models import HSModel
from imresearch.portfolio import Portfolio, bind

MODEL = HSModel(lookback_days=1260, filtering="ewma")


def params(quick: bool) -> dict:
    return {"netting_sets": 40 if quick else 1000, "trades_per_set": 20,
            "im_days": 250 if quick else 1260, "model": MODEL.label,
            "market": "public_markets", "template": "dealer_book_public", "seed": 13}


def setup(quick: bool) -> dict:
    p = params(quick)
    market = load_builtin("public_markets")
    net = generate_network(1, p["netting_sets"], trades_per_set=p["trades_per_set"],
                           template=p["template"], seed=p["seed"])
    book = next(iter(net.books.values()))
    dates = market.dates[-p["im_days"]:]
    sets = book.split("netting_set")
    return {"market": market, "book": book, "dates": dates, "sets": sets}


def engine(ctx: dict) -> pd.DataFrame:
    res = aggregate_im_series(ctx["book"], ctx["market"], ctx["dates"], MODEL,
                              bind_date=ctx["market"].end)
    return res.by_netting_set[["im_call", "im_post", "collected", "posted"]]


def _loop(ctx: dict, sets: dict[str, Portfolio]) -> tuple[pd.DataFrame, pd.DataFrame]:
    market, dates = ctx["market"], ctx["dates"]
    call, post = {}, {}
    for ns, part in sets.items():
        bound = bind(part, market, market.end)
        call[ns] = rolling_im(bound, market, model=MODEL, dates=dates)["im"]
        post[ns] = rolling_im(bound, market, model=MODEL, dates=dates,
                              trade_weights=-np.ones(bound.n_trades))["im"]
    return pd.DataFrame(call), pd.DataFrame(post)


def baseline(ctx: dict) -> pd.DataFrame:
    call, post = _loop(ctx, ctx["sets"])
    res = aggregate_im_series(ctx["book"], ctx["market"], ctx["dates"], MODEL,
                              bind_date=ctx["market"].end, im=(call, post))
    return res.by_netting_set[["im_call", "im_post", "collected", "posted"]]


def warmup(ctx: dict, side: str) -> None:
    """Compile the kernels on a few netting sets (the full untimed run would take as long as
    the timed one)."""
    few = dict(list(ctx["sets"].items())[:3])
    book = Portfolio(tuple(t for p in few.values() for t in p), "warm-up")
    dates = ctx["dates"][-5:]
    small = {**ctx, "book": book, "dates": dates, "sets": few}
    (engine if side == "engine" else baseline)(small)
    rolling_im(book, ctx["market"], model=MODEL, dates=dates)


def check(engine_result: pd.DataFrame, baseline_result: pd.DataFrame) -> None:
    np.testing.assert_allclose(engine_result.to_numpy(), baseline_result.to_numpy(),
                               rtol=1e-9, atol=1e-3)


def moved_strikes(book: Portfolio, seed: int = 0) -> Portfolio:
    """The book with every option's strike moved by a random factor in [0.9, 1.1]: no two
    options alike, so the pricer cannot price an option once for many netting sets."""
    rng = np.random.default_rng(seed)
    return Portfolio(tuple(
        dataclasses.replace(t, strike=float(f"{t.strike * rng.uniform(0.9, 1.1):.6g}"))
        if "Option" in type(t).__name__ else t for t in book), book.name)


def _timed(run) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    run()
    return round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)


def extra(ctx: dict, quick: bool) -> dict:
    book, market, dates = ctx["book"], ctx["market"], ctx["dates"]
    bound = bind(book, market, market.end)
    whole_s, whole_cpu = _timed(lambda: rolling_im(bound, market, model=MODEL, dates=dates))
    bind_s, bind_cpu = _timed(lambda: bind(book, market, market.end))
    out = {"whole_book_s": whole_s, "whole_book_cpu_s": whole_cpu, "bind_s": bind_s,
           "bind_cpu_s": bind_cpu, "trades": len(book),
           "options": int(bound.block(np.ones(bound.n_trades)).oi.shape[0])}
    # the regime where pricing dominates: every option different
    moved = moved_strikes(book)
    bound = bind(moved, market, market.end)
    out["distinct_options"] = int(bound.block(np.ones(bound.n_trades)).oi.shape[0])
    out["distinct_whole_book_s"], out["distinct_whole_book_cpu_s"] = _timed(
        lambda: rolling_im(bound, market, model=MODEL, dates=dates))
    out["distinct_engine_s"], out["distinct_engine_cpu_s"] = _timed(
        lambda: aggregate_im_series(moved, market, dates, MODEL, bind_date=market.end))
    return out
