"""System view on 2 Dask workers (engine) against the serial executor (baseline).

Network: :func:`imresearch.aggregate.network.generate_network` with 6 dealers x 60 clients,
every pair a netting set of 10 trades drawn from the dealer book (360 netting sets, 3,600
trades), seed 21, on ``synthetic_market(seed=0)``. :func:`imresearch.study.system.system_view`
margins each dealer's netting sets daily through the COVID-19 episode (20 business days either
side, 63 dates) under the five default models (HS and EWMA-FHS 1y, Monte Carlo 1y with 1,000
paths a date, SIMM in force, the schedule): 30 (model, dealer) tasks, Monte Carlo and SIMM
first. Thresholds USD 10m per client, MTA USD 0.5m.

Engine: ``scheduler`` = a ``dask.distributed.LocalCluster`` of 2 worker processes with one
thread each (:func:`imresearch.sweep.local_cluster`, started in the warm-up); baseline: the
serial executor. Both run each task's kernels on one thread. ``check``: identical system
tables (the same numbers on every executor). BLAS threads are pinned to 1 here as Dask does
for its workers (see ``bench_sweep.py``).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import pandas as pd  # noqa: E402

from imresearch.aggregate.network import generate_network  # noqa: E402
from imresearch.marketdata import synthetic_market  # noqa: E402
from imresearch.study.system import system_view  # noqa: E402
from imresearch.sweep import local_cluster  # noqa: E402

N_WORKERS = 2
TERMS = {"threshold": 10e6, "mta": 0.5e6}


def params(quick: bool) -> dict:
    return {"dealers": 2 if quick else 6, "clients": 20 if quick else 60,
            "trades_per_set": 10, "episode": "covid_2020", "pad_days": 5 if quick else 20,
            "workers": N_WORKERS, "seed": 21}


def setup(quick: bool) -> dict:
    p = params(quick)
    market = synthetic_market(seed=0)
    net = generate_network(p["dealers"], p["clients"], trades_per_set=p["trades_per_set"],
                           seed=p["seed"])
    return {"market": market, "network": net, "p": p, "cluster": None}


def _cluster(ctx: dict) -> str:
    if ctx["cluster"] is None:
        t0 = time.perf_counter()
        ctx["cluster"] = local_cluster(N_WORKERS)
        ctx["cluster_start_s"] = time.perf_counter() - t0
    return ctx["cluster"].scheduler_address


def _run(ctx: dict, network, scheduler: str) -> pd.DataFrame:
    p = ctx["p"]
    view = system_view(network, ctx["market"], episode=p["episode"], pad_days=p["pad_days"],
                       scheduler=scheduler, **TERMS)
    return view.by_dealer


def engine(ctx: dict) -> pd.DataFrame:
    return _run(ctx, ctx["network"], _cluster(ctx))


def baseline(ctx: dict) -> pd.DataFrame:
    return _run(ctx, ctx["network"], "serial")


def warmup(ctx: dict, side: str) -> None:
    """Compile the kernels (and start the cluster) on a one-dealer, two-client network."""
    tiny = generate_network(1, 2, trades_per_set=3, seed=1)
    _run(ctx, tiny, _cluster(ctx) if side == "engine" else "serial")


def check(engine_result: pd.DataFrame, baseline_result: pd.DataFrame) -> None:
    try:
        pd.testing.assert_frame_equal(engine_result, baseline_result)
    except AssertionError as exc:  # the runner reports AssertionError as a disagreement
        raise AssertionError(str(exc)) from None


def extra(ctx: dict, quick: bool) -> dict:
    out = {"netting_sets": ctx["network"].n_netting_sets, "trades": ctx["network"].n_trades,
           "cluster_start_s": round(ctx.get("cluster_start_s", float("nan")), 2),
           "load_avg_1m": round(os.getloadavg()[0], 2)}
    ctx["cluster"].close()
    return out
