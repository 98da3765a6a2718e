"""Parameter sweeps: independent tasks on a serial, process-pool or Dask executor.

A sweep runs ``func(params, shared, rng)`` once per point of a grid. Guarantees:

* **Same numbers on every executor.** Task ``i`` always gets the ``i``-th child of
  ``numpy.random.SeedSequence(seed).spawn(n_tasks)``, whatever the executor, the number of
  workers or the order in which tasks finish.
* **Large inputs sent once.** ``shared`` is scattered to Dask workers once (broadcast) or handed
  to each worker process once through the pool initializer; tasks carry only their parameters.
* **Streaming and resumable.** With ``out=``, each finished task is written at once as
  ``out/parts/task-<i>.parquet``; a re-run with the same grid and seed skips tasks already done
  (an interrupted sweep resumes). At the end the parts are combined, in task order, into
  ``out/results.parquet``, written atomically, with a ``manifest.json``.
* **Parallel across tasks, not within.** Each task runs its Numba kernels on ``task_threads``
  threads (default 1), on every executor: a sweep's parallelism comes from running tasks side
  by side, and one worker per core does not oversubscribe the machine. Kernel results do not
  depend on the thread count, so this changes speed only.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.provenance import atomic_write_text, write_manifest

__all__ = ["grid", "local_cluster", "run_sweep"]

TaskFunc = Callable[[Mapping[str, Any], Mapping[str, Any], np.random.Generator], Mapping[str, Any]]

_SHARED: Mapping[str, Any] = {}


def grid(**axes: Iterable[Any]) -> list[dict[str, Any]]:
    """Cartesian product of named axes, in the order given (last axis fastest).

    >>> grid(horizon=[5, 10], confidence=[0.99])
    [{'horizon': 5, 'confidence': 0.99}, {'horizon': 10, 'confidence': 0.99}]
    """
    names = list(axes)
    values = []
    for name in names:
        vals = list(axes[name]) if not isinstance(axes[name], (str, bytes)) else [axes[name]]
        if not vals:
            raise InputError(f"grid axis {name!r} is empty")
        values.append(vals)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*values)]


def _task_key(index: int, params: Mapping[str, Any], seed: int) -> str:
    text = json.dumps({"i": index, "p": params, "s": seed}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@contextlib.contextmanager
def _kernel_threads(n: int | None) -> Iterator[None]:
    """Run the body with Numba's parallel kernels on ``n`` threads (None: unchanged)."""
    if n is None or os.environ.get("IMRESEARCH_DISABLE_NUMBA", "0").lower() in (
            "1", "true", "yes"):
        yield
        return
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is a dependency
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _execute(func: TaskFunc, index: int, params: Mapping[str, Any],
             seed_seq: np.random.SeedSequence,
             shared: Mapping[str, Any] | None, task_threads: int | None = 1) -> dict[str, Any]:
    rng = np.random.default_rng(seed_seq)
    with _kernel_threads(task_threads):
        result = func(params, _SHARED if shared is None else shared, rng)
    if not isinstance(result, Mapping):
        raise InputError(f"sweep task {index} returned {type(result).__name__}; expected a dict")
    record = {"task": index, **{f"param_{k}": v for k, v in params.items()}}
    record.update(result)
    return record


def _init_worker(shared: Mapping[str, Any]) -> None:
    global _SHARED
    _SHARED = shared


def _dask_execute(func: TaskFunc, index: int, params: Mapping[str, Any],
                  seed_seq: np.random.SeedSequence, shared: Mapping[str, Any],
                  task_threads: int | None = 1) -> dict[str, Any]:
    return _execute(func, index, params, seed_seq, shared, task_threads)


def run_sweep(
    func: TaskFunc,
    points: Sequence[Mapping[str, Any]],
    *,
    shared: Mapping[str, Any] | None = None,
    seed: int = 0,
    scheduler: str = "serial",
    n_workers: int | None = None,
    out: str | os.PathLike[str] | None = None,
    progress: bool = False,
    task_threads: int | None = 1,
) -> pd.DataFrame:
    """Run ``func`` on every grid point and return one row per task, in task order.

    Parameters
    ----------
    func : callable
        ``func(params, shared, rng) -> dict`` of scalar results. Must be importable by name
        (a module-level function) for the ``processes`` and Dask schedulers.
    points : sequence of dict
        Grid points (see :func:`grid`).
    shared : mapping, optional
        Large read-only inputs (market histories, portfolios) sent to each worker once.
    seed : int
        Root seed; task ``i`` uses child ``i`` of ``SeedSequence(seed).spawn(len(points))``.
    scheduler : str
        ``"serial"``, ``"processes"`` (a local process pool), ``"dask"`` (starts a
        ``dask.distributed.LocalCluster``) or ``"tcp://HOST:PORT"`` (joins a Dask scheduler).
    n_workers : int, optional
        Workers for ``processes`` and ``dask``. Default: the number of CPUs.
    out : path-like, optional
        Folder for streamed part files, ``results.parquet`` and ``manifest.json``.
    progress : bool
        Show a progress bar. Default False.
    task_threads : int or None
        Numba threads of each task's parallel kernels. Default 1 (parallel across tasks);
        None leaves Numba's setting unchanged (e.g. a serial sweep of a few large tasks).

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``param_<name>`` for each parameter, then the task's results.
    """
    from tqdm.auto import tqdm

    if not callable(func):
        raise InputError(f"func must be callable; got {type(func).__name__}")
    points = [dict(p) for p in points]
    if not points:
        raise InputError("the sweep grid has no points")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"seed must be a non-negative integer; got {seed!r}")
    valid = ("serial", "processes", "dask")
    if scheduler not in valid and not str(scheduler).startswith("tcp://"):
        raise InputError(f"scheduler must be one of {', '.join(valid)} or tcp://HOST:PORT; "
                         f"got {scheduler!r}")
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise InputError(f"n_workers must be an integer >= 1; got {n_workers!r}")
    if task_threads is not None and (isinstance(task_threads, bool) or not isinstance(
            task_threads, int) or task_threads < 1):
        raise InputError(f"task_threads must be an integer >= 1 or None; got {task_threads!r}")
    started = _dt.datetime.now(_dt.timezone.utc)
    shared = dict(shared or {})
    seeds = np.random.SeedSequence(int(seed)).spawn(len(points))
    keys = [_task_key(i, p, int(seed)) for i, p in enumerate(points)]

    parts: Path | None = None
    records: dict[int, dict[str, Any]] = {}
    if out is not None:
        parts = Path(out) / "parts"
        parts.mkdir(parents=True, exist_ok=True)
        for i, key in enumerate(keys):
            path = parts / f"task-{i:06d}-{key}.parquet"
            if path.exists():
                records[i] = pd.read_parquet(path).iloc[0].to_dict()
    todo = [i for i in range(len(points)) if i not in records]
    bar = tqdm(total=len(points), initial=len(records), disable=not progress, desc="sweep",
               unit="task")

    def done(record: dict[str, Any]) -> None:
        i = int(record["task"])
        records[i] = record
        if parts is not None:
            tmp = parts / f".task-{i:06d}.tmp"
            pd.DataFrame([record]).to_parquet(tmp)
            os.replace(tmp, parts / f"task-{i:06d}-{keys[i]}.parquet")
        bar.update(1)

    if scheduler == "serial":
        for i in todo:
            done(_execute(func, i, points[i], seeds[i], shared, task_threads))
    elif scheduler == "processes":
        # spawn, not fork: a parent that has run Numba's parallel kernels (or Dask) holds
        # threads, and a forked child of such a process may abort in its first kernel
        with ProcessPoolExecutor(max_workers=n_workers or os.cpu_count(),
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_init_worker, initargs=(shared,)) as pool:
            pending = {pool.submit(_execute, func, i, points[i], seeds[i], None, task_threads)
                       for i in todo}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    done(fut.result())
    else:
        _run_dask(func, points, seeds, shared, todo, scheduler, n_workers, done, task_threads)
    bar.close()

    table = pd.DataFrame([records[i] for i in range(len(points))])
    table["task"] = table["task"].astype("int64")
    if out is not None:
        folder = Path(out)
        tmp = folder / ".results.parquet.tmp"
        table.to_parquet(tmp, index=False)
        os.replace(tmp, folder / "results.parquet")
        write_manifest(
            folder, command="imresearch sweep", inputs={"shared": sorted(shared)},
            settings={"scheduler": str(scheduler), "n_workers": n_workers,
                      "task_threads": task_threads, "points": points,
                      "func": f"{func.__module__}.{func.__qualname__}"},
            seed=int(seed), started=started,
        )
        atomic_write_text(folder / "grid.json", json.dumps(points, indent=2, default=str))
    return table


#: Environment of Dask's worker processes: BLAS/OpenMP on one thread (one task per core), as
#: Dask's default, but *without* its ``MALLOC_TRIM_THRESHOLD_=65536``: that glibc setting, meant
#: to hand memory back to the OS, also turns every large allocation into a fresh ``mmap`` with
#: page faults, and sweep tasks allocate scenario and path blocks all the time (measured: the
#: 24-task model sweep of ``benchmarks/bench_sweep.py`` runs 40% slower per task with it).
WORKER_ENV = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def local_cluster(n_workers: int | None = None) -> Any:
    """A ``dask.distributed.LocalCluster`` for sweeps: ``n_workers`` processes (default: the
    number of CPUs) with one thread each, on loopback, no dashboard, environment
    :data:`WORKER_ENV`."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENV)}):
        return LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                            processes=True, host="127.0.0.1", dashboard_address=None)


def _run_dask(func: TaskFunc, points: list[dict[str, Any]], seeds: list[np.random.SeedSequence],
              shared: dict[str, Any], todo: list[int], scheduler: str, n_workers: int | None,
              done: Callable[[dict[str, Any]], None], task_threads: int | None = 1) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - depends on the environment
        raise InputError("scheduler 'dask' needs the distributed extra: "
                         "pip install 'imresearch[distributed]'") from None
    cluster = None
    if scheduler == "dask":
        cluster = local_cluster(n_workers)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise InputError(f"cannot reach Dask scheduler {scheduler}: {exc}") from None
    try:
        shared_future = client.scatter(shared, broadcast=True, hash=False)
        futures = [client.submit(_dask_execute, func, i, points[i], seeds[i], shared_future,
                                 task_threads, pure=False) for i in todo]
        for fut in as_completed(futures):
            done(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
