"""Sweeps: identical numbers on every executor (a real Dask LocalCluster), resume, errors."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError, OutputError
from imresearch.provenance import code_fingerprint, content_sha256
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


def test_a_sweep_stopped_after_its_results_resumes(tmp_path: Path) -> None:
    """Stopped between writing results.parquet and its final manifest: the running manifest
    names the results as the sweep's own, so the re-run takes the folder."""
    points = grid(x=[1, 2, 3, 4])
    with pytest.raises(RuntimeError, match="on purpose"):  # leaves the running manifest
        run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path)
    assert json.loads((tmp_path / "manifest.json").read_text())["status"] == "running"
    (tmp_path / "results.parquet").write_bytes(b"half written")
    (tmp_path / "grid.json").write_text("[")
    res = run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path,
                    shared={"fail": False})
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), res)


def test_resume_with_other_inputs_starts_afresh(tmp_path: Path,
                                              caplog: pytest.LogCaptureFixture) -> None:
    points = grid(x=[1, 2, 3, 4])
    with pytest.raises(RuntimeError, match="on purpose"):
        run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path,
                  context={"study": {"seed": 0}})
    # the study changed (e.g. its market seed): the two finished parts must not be reused
    with caplog.at_level("WARNING", logger="imresearch"):
        res = run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path,
                        shared={"fail": False}, context={"study": {"seed": 1}})
    assert "the earlier sweep there had other inputs (the shared inputs (market data, " \
           "portfolios...) differ; the study differs): starting afresh" in caplog.text
    fresh = run_sweep(sweep_tasks.fails_on_three, points, seed=5, shared={"fail": False})
    pd.testing.assert_frame_equal(res, fresh)
    assert len(list((tmp_path / "parts").iterdir())) == 4  # the stale parts are gone
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["inputs"]["context"] == {
        "study": {"seed": 1}}
    keys = manifest["sweep"]
    assert keys["code_fingerprint"] == code_fingerprint()
    assert keys["shared_sha256"] == content_sha256({"fail": False})
    assert keys["context_sha256"] == content_sha256({"study": {"seed": 1}})
    assert sorted(manifest["files"]) == ["grid.json", *sorted(
        f"parts/{p.name}" for p in (tmp_path / "parts").iterdir()), "results.parquet"]
    # a changed seed or a changed grid point reuses only what still matches
    caplog.clear()
    with caplog.at_level("WARNING", logger="imresearch"):
        res = run_sweep(sweep_tasks.fails_on_three, grid(x=[1, 2, 3, 5]), seed=5,
                        out=tmp_path, shared={"fail": False}, context={"study": {"seed": 1}})
    assert caplog.text == ""
    pd.testing.assert_frame_equal(res.iloc[:3], fresh.iloc[:3])
    with caplog.at_level("WARNING", logger="imresearch"):
        run_sweep(sweep_tasks.fails_on_three, points, seed=6, out=tmp_path,
                  shared={"fail": False}, context={"study": {"seed": 1}})
    assert "(the seed differs): starting afresh" in caplog.text


def test_damaged_part_is_recomputed(tmp_path: Path) -> None:
    points = grid(x=[1, 2])
    first = run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path)
    part = sorted((tmp_path / "parts").iterdir())[0]
    part.write_bytes(b"PAR1 half-written")
    again = run_sweep(sweep_tasks.fails_on_three, points, seed=5, out=tmp_path)
    pd.testing.assert_frame_equal(again, first)


def test_sweep_results_honour_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        run_sweep(sweep_tasks.fails_on_three, grid(x=[1, 2]), seed=5, out=tmp_path / "sw")
    finally:
        os.umask(previous)
    paths = [tmp_path / "sw", *(tmp_path / "sw").rglob("*")]
    assert {p.relative_to(tmp_path).as_posix(): oct(stat.S_IMODE(p.stat().st_mode))
            for p in paths} == {p.relative_to(tmp_path).as_posix():
                                oct(0o755 if p.is_dir() else 0o644) for p in paths}
    assert (tmp_path / "sw" / "results.parquet").is_file()


def test_bad_output_folder_is_refused_before_any_task(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    for out in (tmp_path, tmp_path / "notes.txt", tmp_path / "notes.txt" / "sub"):
        with pytest.raises(OutputError):
            run_sweep(sweep_tasks.fails_on_three, grid(x=[3]), out=out)  # would raise
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


SWEEP_SCRIPT = """
import sys
import numpy as np
from imresearch.errors import OutputError
from imresearch.sweep import grid, run_sweep
from tests import sweep_tasks
scale, sleep, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
try:
    res = run_sweep(sweep_tasks.sleepy, grid(x=list(range(6))), out=out, seed=1,
                    shared={"scale": scale, "sleep": sleep})
except OutputError as exc:
    print("refused:", exc)
    sys.exit(2)
print(res["y"].sum())
"""


def test_two_processes_sweeping_into_one_folder(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    out = tmp_path / "sweep"
    root = Path(__file__).resolve().parents[1]

    def start(scale: int, sleep: float) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-c", SWEEP_SCRIPT, str(scale), str(sleep),
                                 str(out)], cwd=root, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    first = start(1, 3.0)  # 18 s of tasks: longer than the second start, even under load
    deadline = time.monotonic() + 120
    while not list(out.glob("parts/task-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)  # the first sweep is under way
    second = start(100, 0.0)
    out2, err2 = second.communicate(timeout=300)
    _, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 2, (out2, err2)
    assert f"is being written by process {first.pid}" in out2
    expected = run_sweep(sweep_tasks.sleepy, grid(x=list(range(6))), seed=1,
                         shared={"scale": 1})
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), expected)
    # the other sweep once the first is done: it starts afresh, nothing of the first is used
    third = start(100, 0.0)
    _, err3 = third.communicate(timeout=300)
    assert third.returncode == 0, err3
    assert "other inputs (the shared inputs" in err3 and "starting afresh" in err3
    expected = run_sweep(sweep_tasks.sleepy, grid(x=list(range(6))), seed=1,
                         shared={"scale": 100})
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), expected)
    assert len(list((out / "parts").iterdir())) == 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]  # no lock or temp left
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


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


# --------------------------------------------------------------------------- model sweeps
SMALL_BOOK = """
[portfolio]
name = "small_book"

[[trades]]
type = "equity_position"
trade_id = "SPX_LONG"
underlying = "SPX"
factor = "EQ_SPX"
quantity = 10000.0

[[trades]]
type = "equity_option"
trade_id = "SPX_PUT"
underlying = "SPX"
factor = "EQ_SPX"
quantity = 5000.0
strike = 1100.0
expiry = "2011-06-30"
option_type = "put"
vol_factor = "VOL_VIX"
"""

MODEL_GRID = """
[grid]
portfolio = ["{book}"]
episode = ["gfc"]
[grid.hs]
lookback_days = [252, 300]
filtering = ["none", "ewma"]
[grid.mc]
n_paths = [1000, 8000]
lookback_days = [250]
copula = ["gaussian"]
"""


@pytest.fixture(scope="module")
def model_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple:
    from imresearch.study import MarketStudyConfig, RollingConfig, Study, load_grid

    folder = tmp_path_factory.mktemp("model_sweep")
    book = folder / "book.toml"
    book.write_text(SMALL_BOOK)
    grid_file = folder / "grid.toml"
    grid_file.write_text(MODEL_GRID.format(book=book))
    study = Study(market=MarketStudyConfig(data="synthetic_small", stress_window_days=120),
                  rolling=RollingConfig(years=1, step=5))
    return study, load_grid(grid_file), folder


@pytest.fixture(scope="module")
def model_serial(model_setup: tuple) -> pd.DataFrame:
    from imresearch.study import sweep_study

    study, points, _ = model_setup
    return sweep_study(study, points, seed=3)


def test_model_grid_points(model_setup: tuple) -> None:
    _, points, folder = model_setup
    assert len(points) == 6  # 2 x 2 HS models + 2 MC models, one portfolio, one episode
    assert points[0] == {"portfolio": str(folder / "book.toml"), "episode": "gfc",
                         "kind": "hs", "lookback_days": 252, "filtering": "none"}
    assert points[-1] == {"portfolio": str(folder / "book.toml"), "episode": "gfc",
                          "kind": "mc", "n_paths": 8000, "lookback_days": 250,
                          "copula": "gaussian"}


def test_model_sweep_results(model_serial: pd.DataFrame) -> None:
    res = model_serial
    assert list(res["task"]) == list(range(6))
    mc_label = "MC gaussian-copula/normal 1y"
    assert list(res["model"]) == ["HS 1y", "FHS-EWMA 1y", "HS 300d", "FHS-EWMA 300d",
                                  mc_label, mc_label]
    assert (res["im_dates"] == res["im_dates"].iloc[0]).all() and res["im_dates"].iloc[0] > 10
    assert (res["exceptions"] <= res["observations"]).all()
    assert (res["im_peak"] > 0).all() and (res["max_call"] >= 0).all()
    # the GFC raises every model's IM
    assert (res["peak_over_before"] > 1.0).all()
    hs, mc = res[res["param_kind"] == "hs"], res[res["param_kind"] == "mc"]
    assert hs["mc_rel_half_width"].isna().all()
    # 8 times the paths: the Monte Carlo interval narrows (by about sqrt(8) = 2.8 on average;
    # the order-statistic interval of one run is itself noisy)
    ratio = mc["mc_rel_half_width"].iloc[0] / mc["mc_rel_half_width"].iloc[1]
    assert 1.5 < ratio < 6.0


def test_model_sweep_seeds(model_setup: tuple, model_serial: pd.DataFrame) -> None:
    from imresearch.study import sweep_study

    study, points, _ = model_setup
    other = sweep_study(study, points, seed=4)
    hs = model_serial["param_kind"] == "hs"
    pd.testing.assert_frame_equal(other[hs], model_serial[hs])  # HS has no randomness
    assert (other.loc[~hs, "im_peak"] != model_serial.loc[~hs, "im_peak"]).all()


def test_model_sweep_dask_and_processes_match_serial(model_setup: tuple,
                                                     model_serial: pd.DataFrame,
                                                     tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    from imresearch.study import sweep_study

    study, points, _ = model_setup
    res = sweep_study(study, points, seed=3, scheduler="dask", n_workers=2,
                      out=tmp_path / "dask")
    pd.testing.assert_frame_equal(res, model_serial)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "results.parquet"),
                                  model_serial)
    assert len(list((tmp_path / "dask" / "parts").glob("task-*.parquet"))) == 6
    manifest = (tmp_path / "dask" / "manifest.json").read_text()
    assert "imresearch.study.grid.margin_task" in manifest
    res = sweep_study(study, points, seed=3, scheduler="processes", n_workers=2)
    pd.testing.assert_frame_equal(res, model_serial)


def test_model_sweep_cli(model_setup: tuple, tmp_path: Path) -> None:
    from imresearch.cli import main

    _, _, folder = model_setup
    study = tmp_path / "s.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 120\n'
                     f'[portfolio]\nsource = "{folder / "book.toml"}"\n[rolling]\nstep = 10\n')
    grid_file = tmp_path / "g.toml"
    grid_file.write_text("[grid]\n[grid.hs]\nlookback_days = [252]\n")
    out = tmp_path / "out"
    assert main(["sweep", str(study), "--grid", str(grid_file), "--out", str(out),
                 "--quiet"]) == 0
    res = pd.read_parquet(out / "results.parquet")
    # no episode axis: every episode of the data with a year of history before it
    assert list(res["param_episode"]) == ["gfc", "gfc_2009", "euro_crisis_2010"]
    assert (res["param_portfolio"] == str(folder / "book.toml")).all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[grid]\nhorizon = [5]\n[grid.hs]\nlookback_days = [252]\n",
         r"\[grid\] key\(s\) \['horizon'\] cannot be swept next to"),
        ("[grid.hs]\nlookback = [252]\n", r"\[grid.hs\]: unknown setting\(s\) \['lookback'\]"),
        ("[grid.hs]\nfiltering = ['kalman']\n",
         r"\[grid.hs\]: filtering must be one of .*; got 'kalman'"),
        ("[grid.mc]\ncopula = ['gumbel']\n", r"\[grid.mc\]: copula must be one of"),
        ("[grid.mc]\nn_paths = []\n", r"\[grid.mc\]: n_paths is an empty list"),
        ("[grid.mc]\npaths = [10]\n", r"rename 'paths' to 'n_paths'"),
        ("[grid.garch]\nx = [1]\n", r"\[grid.garch\] is not a model kind"),
        ("[grid]\nlookback_days = [252]\n", r"cannot be swept; sweepable"),
        ("[grids]\nx = 1\n", r"unknown section\(s\) \['grids'\]"),
    ],
)
def test_model_grid_errors(tmp_path: Path, text: str, message: str) -> None:
    from imresearch.study import load_grid

    f = tmp_path / "g.toml"
    f.write_text(text)
    with pytest.raises(InputError, match=message):
        load_grid(f)


def test_model_sweep_episode_errors(model_setup: tuple) -> None:
    from imresearch.study import sweep_study

    study, points, _ = model_setup
    with pytest.raises(InputError, match=r"unknown episode 'covid' .* known: \['bear_2002'"):
        sweep_study(study, [{**points[0], "episode": "covid"}])
    with pytest.raises(InputError, match="fewer than the 2530 business days"):
        sweep_study(study, [{**points[0], "lookback_days": 2520}])
    with pytest.raises(InputError, match="task_threads must be an integer >= 1"):
        sweep_study(study, points[:1], task_threads=0)
