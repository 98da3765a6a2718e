"""Parameter sweeps: independent tasks on a serial, process-pool or Dask executor.

A sweep runs ``func(params, shared, rng)`` once per point of a grid. Guarantees:

* **Same numbers on every executor.** Task ``i`` always gets the ``i``-th child of
  ``numpy.random.SeedSequence(seed).spawn(n_tasks)``, whatever the executor, the number of
  workers or the order in which tasks finish.
* **Large inputs sent once.** ``shared`` is scattered to Dask workers once (broadcast) or handed
  to each worker process once through the pool initializer; tasks carry only their parameters.
* **Streaming and resumable, never stale.** With ``out=``, each finished task is written at
  once as ``out/parts/task-<i>-<key>.parquet``. The key hashes everything that determines the
  task's numbers: the code fingerprint, the task function, the content of ``shared`` (market
  data, portfolios...), the ``context`` (e.g. the study's settings), the seed, the task's index
  and parameters. A re-run reuses exactly the parts whose key matches (an interrupted sweep
  resumes) and deletes the others, saying why when the inputs changed. At the end the parts
  are combined, in task order, into ``out/results.parquet`` (written atomically) with a
  ``manifest.json`` recording the keys.
* **Safe output folder.** ``out`` is checked and locked as by
  :func:`imresearch.provenance.claim_output_dir`: it must be new, empty or an earlier imresearch
  output, and a second process writing to it at the same time is refused.
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
import logging
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.progress import Progress
from imresearch.provenance import (
    atomic_write_text,
    claim_output_dir,
    code_fingerprint,
    content_sha256,
    new_temp_file,
    read_manifest,
    strict_json,
    write_manifest,
)

__all__ = ["grid", "local_cluster", "run_sweep"]

TaskFunc = Callable[[Mapping[str, Any], Mapping[str, Any], np.random.Generator], Mapping[str, Any]]

_SHARED: Mapping[str, Any] = {}

log = logging.getLogger("imresearch")


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


def _task_key(inputs_key: str, index: int, params: Mapping[str, Any], seed: int) -> str:
    text = json.dumps({"inputs": inputs_key, "i": index, "p": params, "s": seed},
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


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
    progress: bool | Progress = False,
    task_threads: int | None = 1,
    context: Mapping[str, Any] | None = None,
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
        Folder for streamed part files, ``results.parquet`` and ``manifest.json``: new, empty,
        or an earlier imresearch output (see :func:`imresearch.provenance.check_output_dir`).
    progress : bool or Progress
        Report finished tasks on stderr (a bar on a terminal, lines otherwise), or on the
        given :class:`~imresearch.progress.Progress`. Default False.
    task_threads : int or None
        Numba threads of each task's parallel kernels. Default 1 (parallel across tasks);
        None leaves Numba's setting unchanged (e.g. a serial sweep of a few large tasks).
    context : mapping, optional
        What else determines the numbers and is not in ``shared`` (e.g. the study's settings
        and file hash): recorded in the manifest and part of every task key.

    Returns
    -------
    pandas.DataFrame
        Columns ``task``, ``param_<name>`` for each parameter, then the task's results.
    """
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
    shared = dict(shared or {})
    keys = _sweep_keys(func, shared, context, int(seed))
    if out is None:
        return _run(func, points, shared, int(seed), scheduler, n_workers, None, progress,
                    task_threads, keys)
    with claim_output_dir(out) as folder:
        return _run(func, points, shared, int(seed), scheduler, n_workers, folder, progress,
                    task_threads, keys)


def _sweep_keys(func: TaskFunc, shared: Mapping[str, Any], context: Mapping[str, Any] | None,
                seed: int) -> dict[str, Any]:
    """The hashes a sweep's results depend on, and the key combining them."""
    parts = {
        "code_fingerprint": code_fingerprint(),
        "func": f"{func.__module__}.{func.__qualname__}",
        "shared_sha256": content_sha256(shared),
        "context_sha256": content_sha256(dict(context or {})),
        "seed": seed,
    }
    text = json.dumps(parts, sort_keys=True)
    return {**parts, "inputs_key": hashlib.sha256(text.encode()).hexdigest(),
            "context": dict(context or {})}


#: What a change of each key means, for the message when a sweep starts afresh.
_KEY_MEANING = {
    "code_fingerprint": "the code or a numerical library changed",
    "func": "the task function differs",
    "shared_sha256": "the shared inputs (market data, portfolios...) differ",
    "context_sha256": "the study differs",
    "seed": "the seed differs",
}


#: The files a sweep writes once its tasks are done, before its final manifest.
RESULTS, GRID = "results.parquet", "grid.json"


def _prepare(folder: Path, keys: dict[str, Any], task_keys: list[str]) -> dict[int, Path]:
    """Reuse the parts in ``folder`` whose key matches, delete everything else, write the
    manifest of a running sweep. Returns the reusable parts by task index."""
    previous = read_manifest(folder) if folder.is_dir() else None
    parts = folder / "parts"
    wanted = {f"task-{i:06d}-{k}.parquet": i for i, k in enumerate(task_keys)}
    reuse: dict[int, Path] = {}
    if folder.is_dir():
        for entry in list(folder.iterdir()):
            if entry.name == "parts" and entry.is_dir() and not entry.is_symlink():
                for part in list(entry.iterdir()):
                    if part.name in wanted and part.is_file():
                        reuse[wanted[part.name]] = part
                    elif part.is_dir() and not part.is_symlink():
                        shutil.rmtree(part)
                    else:
                        part.unlink()
            elif entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    if previous is not None:
        old = previous.get("sweep") or {}
        changed = [text for key, text in _KEY_MEANING.items()
                   if key in old and old[key] != keys[key]]
        if previous.get("command") != "imresearch sweep":
            log.warning("%s: replacing the earlier output (%s)", folder,
                        previous.get("command", "unknown command"))
        elif changed:
            log.warning("%s: the earlier sweep there had other inputs (%s): %s", folder,
                        "; ".join(changed), f"{len(reuse)} of {len(task_keys)} tasks reused"
                        if reuse else "starting afresh")
    parts.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    write_manifest(folder, command="imresearch sweep", inputs={}, settings={}, seed=keys["seed"],
                   started=now, extra={"status": "running", "work_dirs": ["parts"],
                                       "work_files": [RESULTS, GRID], "sweep": _public(keys)})
    return reuse


def _public(keys: dict[str, Any]) -> dict[str, Any]:
    return {k: keys[k] for k in ("inputs_key", *_KEY_MEANING)}


def _read_part(path: Path) -> dict[str, Any] | None:
    try:
        return pd.read_parquet(path).iloc[0].to_dict()
    except (OSError, ValueError, IndexError):  # damaged: recomputed
        path.unlink(missing_ok=True)
        return None


def _write_parquet(frame: pd.DataFrame, path: Path, **kwargs: Any) -> None:
    """Write ``frame`` to ``path`` through a temporary file unique to this process."""
    fd, tmp = new_temp_file(path)
    os.close(fd)
    try:
        frame.to_parquet(tmp, **kwargs)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _run(func: TaskFunc, points: list[dict[str, Any]], shared: dict[str, Any], seed: int,
         scheduler: str, n_workers: int | None, folder: Path | None,
         progress: bool | Progress, task_threads: int | None,
         keys: dict[str, Any]) -> pd.DataFrame:
    started = _dt.datetime.now(_dt.timezone.utc)
    seeds = np.random.SeedSequence(seed).spawn(len(points))
    task_keys = [_task_key(keys["inputs_key"], i, p, seed) for i, p in enumerate(points)]
    records: dict[int, dict[str, Any]] = {}
    if folder is not None:
        for i, path in _prepare(folder, keys, task_keys).items():
            record = _read_part(path)
            if record is not None:
                records[i] = record
    todo = [i for i in range(len(points)) if i not in records]
    bar = progress if isinstance(progress, Progress) else Progress(
        "sweep", mode="auto" if progress else "off")
    bar.step("tasks", total=len(points))
    if records:
        bar.advance(f"{len(records)} resumed", n=len(records))

    def done(record: dict[str, Any]) -> None:
        i = int(record["task"])
        records[i] = record
        if folder is not None:
            _write_parquet(pd.DataFrame([record]),
                           folder / "parts" / f"task-{i:06d}-{task_keys[i]}.parquet")
        bar.advance()

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
    if not isinstance(progress, Progress):
        bar.close(f"{len(points)} tasks done ({len(points) - len(todo)} resumed)")

    table = pd.DataFrame([records[i] for i in range(len(points))])
    table["task"] = table["task"].astype("int64")
    if folder is not None:
        _write_parquet(table, folder / RESULTS, index=False)
        atomic_write_text(folder / GRID, strict_json(points, indent=2) + "\n")
        write_manifest(
            folder, command="imresearch sweep",
            inputs={"shared": sorted(shared), "context": keys["context"]},
            settings={"scheduler": str(scheduler), "n_workers": n_workers,
                      "task_threads": task_threads, "points": points, "func": keys["func"]},
            seed=seed, started=started,
            extra={"status": "complete", "work_dirs": ["parts"], "sweep": _public(keys),
                   "task_keys": task_keys},
        )
    return table


#: Environment of Dask's worker processes: BLAS/OpenMP on one thread (one task per core), as
#: Dask's default, but *without* its ``MALLOC_TRIM_THRESHOLD_=65536``: that glibc setting, meant
#: to hand memory back to the OS, also turns every large allocation into a fresh ``mmap`` with
#: page faults, and sweep tasks allocate scenario and path blocks all the time (measured: the
#: 24-task model sweep of ``benchmarks/bench_sweep.py`` runs 40% slower per task with it).
WORKER_ENV = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}


def local_cluster(n_workers: int | None = None) -> Any:
    """A ``dask.distributed.LocalCluster`` for sweeps: ``n_workers`` processes (default: the
    number of CPUs) with one thread each, on loopback, its HTTP server (dashboard) on a free
    port (``dashboard_address=None`` still binds 8787, so two clusters collide), environment
    :data:`WORKER_ENV`."""
    import dask
    from dask.distributed import LocalCluster

    with dask.config.set({"distributed.nanny.pre-spawn-environ": dict(WORKER_ENV)}):
        return LocalCluster(n_workers=n_workers or os.cpu_count(), threads_per_worker=1,
                            processes=True, host="127.0.0.1", dashboard_address=":0")


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
