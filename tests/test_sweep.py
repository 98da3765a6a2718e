"""Sweeps: identical numbers on every executor (a real Dask LocalCluster), resume, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.sweep import grid, run_sweep
from tests import sweep_tasks

SHARED = {"pnl": np.random.default_rng(7).standard_t(3, 500)}
POINTS = grid(confidence=[0.95, 0.99], n_boot=[20, 40, 60])


def test_grid_is_the_cartesian_product() -> None:
    assert POINTS[0] == {"confidence": 0.95, "n_boot": 20}
    assert len(POINTS) == 6 and POINTS[-1] == {"confidence": 0.99, "n_boot": 60}
    with pytest.raises(InputError, match="grid axis 'x' is empty"):
        grid(x=[])


@pytest.fixture(scope="module")
def serial() -> pd.DataFrame:
    return run_sweep(sweep_tasks.bootstrap_quantile, POINTS, shared=SHARED, seed=11)


def test_serial_results_in_task_order(serial: pd.DataFrame) -> None:
    assert list(serial["task"]) == list(range(6))
    assert list(serial["param_n_boot"]) == [20, 40, 60, 20, 40, 60]
    assert (serial["n_obs"] == 500).all()
    # different tasks draw different random numbers
    assert serial["first_draw"].nunique() == 6


def test_processes_match_serial(serial: pd.DataFrame) -> None:
    res = run_sweep(sweep_tasks.bootstrap_quantile, POINTS, shared=SHARED, seed=11,
                    scheduler="processes", n_workers=2)
    pd.testing.assert_frame_equal(res, serial)


def test_dask_local_cluster_matches_serial(serial: pd.DataFrame, tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    import cloudpickle

    cloudpickle.register_pickle_by_value(sweep_tasks)
    try:
        res = run_sweep(sweep_tasks.bootstrap_quantile, POINTS, shared=SHARED, seed=11,
                        scheduler="dask", n_workers=2, out=tmp_path)
    finally:
        cloudpickle.unregister_pickle_by_value(sweep_tasks)
    pd.testing.assert_frame_equal(res, serial)
    on_disk = pd.read_parquet(tmp_path / "results.parquet")
    pd.testing.assert_frame_equal(on_disk, serial)
    assert (tmp_path / "manifest.json").is_file()


def test_interrupted_sweep_resumes(tmp_path: Path) -> None:
    points = grid(x=[1, 2, 3, 4])
    with pytest.raises(RuntimeError, match="on purpose"):
        run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path)
    assert len(list((tmp_path / "parts").glob("task-*.parquet"))) == 2
    assert not (tmp_path / "results.parquet").exists()
    res = run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path,
                    shared={"fail": False})
    fresh = run_sweep(sweep_tasks.fails_on_three, points, seed=5, shared={"fail": False})
    pd.testing.assert_frame_equal(res, fresh)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), fresh)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheduler": "mpi"}, "scheduler must be one of serial, processes, dask"),
        ({"seed": -1}, "seed must be a non-negative integer; got -1"),
        ({"n_workers": 0}, "n_workers must be an integer >= 1; got 0"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        run_sweep(sweep_tasks.bootstrap_quantile, POINTS, shared=SHARED, **kwargs)
    with pytest.raises(InputError, match="no points"):
        run_sweep(sweep_tasks.bootstrap_quantile, [], shared=SHARED)
