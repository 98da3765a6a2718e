"""The main job: a study runs end to end and writes its results atomically with a manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from imresearch.cli import main
from imresearch.errors import InputError
from imresearch.study import Study, load_study, run_study


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("study")
    study = folder / "small.toml"
    study.write_text('name = "small"\n[market]\ndata = "synthetic_small"\nseed = 3\n'
                     "stress_window_days = 120\n")
    out = folder / "out"
    assert main(["run", str(study), "--out", str(out), "--quiet"]) == 0
    return out


def test_run_writes_report_manifest_figures(small_run: Path) -> None:
    for name in ("report.html", "manifest.json", "market_summary.csv", "tail_shocks.csv",
                 "stress_window.json", "stress_profile.parquet", "figures/market_overview.png",
                 "figures/stress_profile.png"):
        assert (small_run / name).is_file(), name
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["settings"]["market"]["data"] == "synthetic_small"
    assert set(manifest["files"]) >= {"report.html", "tail_shocks.csv"}
    assert len(manifest["inputs"]["market"]["levels_sha256"]) == 64
    assert "numpy" in manifest["versions"]
    html = (small_run / "report.html").read_text()
    assert "data:image/png;base64" in html and "Stress window" in html
    tails = pd.read_csv(small_run / "tail_shocks.csv", index_col=0)
    assert (tails["full_down"] <= tails["full_up"]).all()
    assert tails.notna().all().all()


def test_same_seed_same_numbers(small_run: Path, tmp_path: Path) -> None:
    study = load_study(None)
    study = Study(name="again", market=study.market.__class__(
        data="synthetic_small", seed=3, stress_window_days=120))
    out = run_study(study, tmp_path / "again", progress=False)
    a = pd.read_csv(small_run / "tail_shocks.csv", index_col=0)
    b = pd.read_csv(out / "tail_shocks.csv", index_col=0)
    pd.testing.assert_frame_equal(a, b)


def test_failed_run_leaves_previous_results(small_run: Path, tmp_path: Path) -> None:
    before = (small_run / "manifest.json").read_text()
    study = tmp_path / "bad.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 100000\n')
    with pytest.raises(InputError, match="fewer than stress_window_days=100000"):
        run_study(load_study(study), small_run, progress=False)
    assert (small_run / "manifest.json").read_text() == before


def test_study_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[market\n")
    with pytest.raises(InputError, match="invalid TOML"):
        load_study(bad)
    bad.write_text("[models]\n")
    with pytest.raises(InputError, match=r"unknown section\(s\) \['models'\]"):
        load_study(bad)
