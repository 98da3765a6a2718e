"""Model sweep: the same grid on 2 Dask workers (engine) and serially (baseline).

Grid: the dealer book (205 trades, full revaluation) on ``synthetic_market(seed=0)`` through
three stress episodes (euro crisis 2011, China 2015, COVID-19 2020; IM every 5th business day
from 20 days before to 20 days after each) under 8 models: HS with 1y / 3y / 10y lookbacks,
plain and EWMA-filtered (6), and Monte Carlo with 2,000 paths per date, Gaussian copula, on the
recent 3 years and on 3 years + the stress year (2) = 24 independent
:func:`imresearch.study.margin_task` tasks (Monte Carlo tasks first: the longest tasks are
scheduled first).

Engine: :func:`imresearch.sweep.run_sweep` on :func:`imresearch.sweep.local_cluster` (a
``dask.distributed.LocalCluster`` of 2 worker processes with 1 thread each on loopback,
without Dask's default ``MALLOC_TRIM_THRESHOLD_``), started once (in the untimed warm-up run); the
shared inputs (market, bound portfolio) are scattered to the workers in every timed run.
Baseline: the same ``run_sweep`` with ``scheduler="serial"``. Both run each task's Numba
kernels on 1 thread (``task_threads=1``, the sweep default), so ``ratio`` is the speed-up of
the executor; ``extra`` also times the serial sweep with Numba on every core
(``task_threads=None``), the cluster start-up, and the workers' peak resident memory.
``check``: the two result tables are identical (same seeds from ``SeedSequence.spawn``).

BLAS/OpenMP threads are pinned to 1 in this process (before NumPy loads), as Dask's nanny does
for its workers, so that a serial task and a worker's task get the same resources: one core.
Unpinned, OpenBLAS's spinning threads in the Monte Carlo calibration burn a second core
without making the serial sweep faster (measured: 10.4 s unpinned, 9.4 s pinned).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402

import pandas as pd  # noqa: E402

from imresearch.study import Study, margin_task, model_sweep_inputs  # noqa: E402
from imresearch.study.settings import PortfolioStudyConfig  # noqa: E402
from imresearch.sweep import local_cluster, run_sweep  # noqa: E402

N_WORKERS = 2
SEED = 2024


def params(quick: bool) -> dict:
    p = _grid(quick)
    return {"tasks": len(p["points"]), "episodes": p["episodes"], "workers": N_WORKERS,
            "threads_per_worker": 1, "task_threads": 1, "portfolio": "dealer_book",
            "step": 5, "mc_paths": p["mc_paths"]}


def _grid(quick: bool) -> dict:
    episodes = ["covid_2020"] if quick else ["euro_crisis_2011", "china_2015", "covid_2020"]
    paths = 500 if quick else 2000
    lookbacks = (252, 756) if quick else (252, 756, 2520)
    mc = [{"episode": e, "kind": "mc", "n_paths": paths, "window": w}
          for e in episodes for w in ("recent", "recent+stress")]
    hs = [{"episode": e, "kind": "hs", "lookback_days": lb, "filtering": f}
          for e in episodes for lb in lookbacks for f in ("none", "ewma")]
    return {"points": mc + hs, "episodes": episodes, "mc_paths": paths}


def setup(quick: bool) -> dict:
    import imresearch.marketdata as md

    market = md.synthetic_market(seed=0)
    study = Study(portfolio=PortfolioStudyConfig(source="dealer_book"))  # made for this market
    points, shared = model_sweep_inputs(study, _grid(quick)["points"], market)
    return {"points": points, "shared": shared, "cluster": None}


def _cluster(ctx: dict) -> str:
    if ctx["cluster"] is None:
        t0 = time.perf_counter()
        ctx["cluster"] = local_cluster(N_WORKERS)
        ctx["cluster_start_s"] = time.perf_counter() - t0
    return ctx["cluster"].scheduler_address


def engine(ctx: dict) -> pd.DataFrame:
    return run_sweep(margin_task, ctx["points"], shared=ctx["shared"], seed=SEED,
                     scheduler=_cluster(ctx), task_threads=1)


def baseline(ctx: dict) -> pd.DataFrame:
    return run_sweep(margin_task, ctx["points"], shared=ctx["shared"], seed=SEED,
                     scheduler="serial", task_threads=1)


def check(engine_result: pd.DataFrame, baseline_result: pd.DataFrame) -> None:
    try:
        pd.testing.assert_frame_equal(engine_result, baseline_result)
    except AssertionError as exc:  # the runner reports AssertionError as a disagreement
        raise AssertionError(str(exc)) from None


def _worker_peak_rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def extra(ctx: dict, quick: bool) -> dict:
    from dask.distributed import Client

    out: dict = {"cluster_start_s": round(ctx.get("cluster_start_s", float("nan")), 2),
                 "cpus": os.cpu_count(), "load_avg_1m": round(os.getloadavg()[0], 2)}
    with Client(_cluster(ctx)) as client:
        peaks = client.run(_worker_peak_rss_mb)
    out["worker_peak_rss_mb"] = [round(v, 1) for v in peaks.values()]
    t0 = time.perf_counter()
    run_sweep(margin_task, ctx["points"], shared=ctx["shared"], seed=SEED,
              scheduler="serial", task_threads=None)
    out["serial_numba_all_threads_s"] = round(time.perf_counter() - t0, 2)
    ctx["cluster"].close()
    return out
