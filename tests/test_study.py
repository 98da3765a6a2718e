"""The main job: a study runs end to end and writes its results atomically with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from imresearch.cli import main
from imresearch.errors import InputError
from imresearch.study import load_study, run_study

SMALL = """
name = "small"
[market]
data = "synthetic"
seed = 0
stress_window_days = 250
[rolling]
years = 1
step = 20
[models."HS 1y"]
lookback_days = 252
[models."HS 3y+stress"]
lookback_days = 756
stress = true
[apc]
target = "HS 1y"
floor_model = "HS 3y+stress"
stressed_model = "HS 3y+stress"
calibration_models = []
"""


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    study = folder / "small.toml"
    study.write_text(SMALL)
    out = folder / "out"
    assert main(["run", str(study), "--out", str(out), "--quiet"]) == 0
    return out


def test_run_writes_report_manifest_figures(small_run: Path) -> None:
    for name in ("report.html", "manifest.json", "market_summary.csv", "tail_shocks.csv",
                 "stress_window.json", "im_through_time.parquet", "backtests.csv",
                 "im_on_valuation_date.csv", "simm_breakdown.csv", "apc_frontier.csv",
                 "figures/market_overview.png", "figures/im_through_time.png",
                 "figures/im_models_simm_schedule.png", "figures/pnl_distribution.png",
                 "figures/apc_frontier.png"):
        assert (small_run / name).is_file(), name
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert manifest["settings"]["models"]["HS 1y"]["lookback_days"] == 252
    assert set(manifest["files"]) >= {"report.html", "im_through_time.parquet"}
    assert len(manifest["inputs"]["market"]["levels_sha256"]) == 64
    assert manifest["inputs"]["portfolio"]["trades"] > 100
    html = (small_run / "report.html").read_text()
    assert html.count("data:image/png;base64") >= 6 and "ISDA SIMM" in html
    im = pd.read_parquet(small_run / "im_through_time.parquet")
    assert list(im.columns) == ["HS 1y", "HS 3y+stress"] and len(im) == 13
    assert (im > 0).all().all()
    on_date = pd.read_csv(small_run / "im_on_valuation_date.csv", index_col=0)
    assert on_date.loc["Schedule", "im"] > 0 and on_date["kind"].str.contains("SIMM").any()
    frontier = pd.read_csv(small_run / "apc_frontier.csv", index_col=0)
    assert frontier.loc["buffer 25%", "average_im"] > frontier.loc["none", "average_im"]


def test_same_inputs_same_numbers(small_run: Path, tmp_path: Path) -> None:
    study = tmp_path / "small.toml"
    study.write_text(SMALL)
    out = run_study(load_study(study), tmp_path / "again", progress=False)
    for name in ("tail_shocks.csv", "im_through_time.csv", "backtests.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(small_run / name, index_col=0),
                                      pd.read_csv(out / name, index_col=0))


def test_market_only_study(tmp_path: Path) -> None:
    study = tmp_path / "m.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 120\n'
                     '[portfolio]\nsource = "none"\n')
    out = run_study(load_study(study), tmp_path / "out", progress=False)
    assert (out / "tail_shocks.csv").is_file() and not (out / "backtests.csv").exists()


def test_failed_run_leaves_previous_results(small_run: Path, tmp_path: Path) -> None:
    before = (small_run / "manifest.json").read_text()
    study = tmp_path / "bad.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 100000\n')
    with pytest.raises(InputError, match="fewer than stress_window_days=100000"):
        run_study(load_study(study), small_run, progress=False)
    assert (small_run / "manifest.json").read_text() == before


def test_study_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    cases = {
        "[market\n": "invalid TOML",
        "[engines]\n": r"unknown section\(s\) \['engines'\]",
        '[models."HS"]\nlookback = 5\n': r'\[models."HS"\]: unknown setting\(s\) \[\'lookback\'\]',
        '[models."HS"]\nfiltering = "kalman"\n': "filtering must be one of",
        "[rolling]\nstep = 0\n": "step must be an integer >= 1; got 0",
        '[apc]\nbuffer = -1\n': "buffer must be in",
    }
    for text, message in cases.items():
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            load_study(bad)
