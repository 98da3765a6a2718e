"""The study's backtests: the [backtest] table, run_backtests against backtest_im, the report
sections and the `imresearch backtest` command (files, manifest, exit 2 on bad input)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from imresearch.backtest import backtest_im
from imresearch.errors import InputError
from imresearch.marketdata.builtin import load_builtin
from imresearch.models import HSModel, ScheduleModel, SimmModel
from imresearch.portfolio import EquityPosition, Portfolio, load_portfolio
from imresearch.report.backtest_report import backtest_sections
from imresearch.study import load_study
from imresearch.study.backtests import run_backtests
from imresearch.study.settings import BacktestConfig

BOOK = ("type,trade_id,netting_set,underlying,factor,quantity,bucket,direction\n"
        "equity_position,SPX_LONG,NS_A,SPX,EQ_SPX,10000,12,long\n"
        "equity_position,SPX_SHORT,NS_B,SPX,EQ_SPX,2000,12,short\n")

STUDY = """[market]
data = "synthetic_small"
stress_window_days = 120
[portfolio]
source = "book.csv"
[models."HS 1y"]
lookback_days = 250
[models.Schedule]
kind = "schedule"
[apc]
target = "HS 1y"
floor_model = "HS 1y"
stressed_model = "HS 1y"
calibration_models = []
[backtest]
models = ["HS 1y", "Schedule"]
horizons = [1, 10]
by = ["portfolio", "netting_set", "risk_class"]
years = 2
step = 2
window = 100
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("study")
    (path / "book.csv").write_text(BOOK)
    (path / "study.toml").write_text(STUDY)
    return path


@pytest.fixture(scope="module")
def results(folder):
    study = load_study(folder / "study.toml")
    market = load_builtin("synthetic_small")
    return run_backtests(market, load_portfolio(folder / "book.csv"), study.models,
                         study.backtest, apc=study.apc)


def test_the_backtest_table(folder):
    study = load_study(folder / "study.toml")
    assert study.backtest == BacktestConfig(models=("HS 1y", "Schedule"), years=2, step=2,
                                            window=100)
    assert load_study(None).backtest is None


@pytest.mark.parametrize(("table", "message"), [
    ("horizons = [5]", r"\[backtest\].*horizons must hold 1 or 10; got 5"),
    ('by = ["desk"]', r"\[backtest\].*by must hold one of .*got 'desk'"),
    ('models = ["HS 9y"]', r"\[backtest\]: model 'HS 9y' is not a model of the study"),
    ('pnl = "clean"', r"\[backtest\].*pnl must be"),
])
def test_bad_backtest_table(tmp_path, table, message):
    (tmp_path / "s.toml").write_text(f"[backtest]\n{table}\n")
    with pytest.raises(InputError, match=message):
        load_study(tmp_path / "s.toml")


def test_run_backtests_is_backtest_im(folder, results):
    market = load_builtin("synthetic_small")
    book = load_portfolio(folder / "book.csv")
    one = results.summary[(results.summary["model"] == "HS 1y")
                          & (results.summary["horizon"] == 10)
                          & (results.summary["by"] == "netting_set")].set_index("group")
    start = one["first_date"].iloc[0]
    ref = backtest_im(book, market, start, one["last_date"].iloc[0],
                      HSModel(lookback_days=250), by="netting_set", step=2)
    cols = ["observations", "exceptions", "kupiec_p", "zone", "overlap_exceptions"]
    pd.testing.assert_frame_equal(one[cols], ref.summary[cols], check_dtype=False)
    # the schedule has no 1-day or risk-class form: said, not run
    assert set(results.skipped) == {"Schedule 1d by portfolio: a 10-day margin only",
                                    "Schedule 1d by netting_set: a 10-day margin only",
                                    "Schedule 1d by risk_class: a 10-day margin only",
                                    "Schedule 10d by risk_class: set per trade, no "
                                    "risk-class margin"}
    assert {"NS_A", "NS_B", "aggregate"} <= set(
        results.responsiveness.index.get_level_values("group"))
    assert set(results.rolling["zone"]) <= {"green", "yellow", "red"}
    assert (results.exceptions["shortfall"] > 0).all()


def test_report_sections(results, tmp_path):
    sections = backtest_sections(results, {})
    headings = [s["heading"] for s in sections]
    assert headings[0] == "Backtests by portfolio, netting set and risk class"
    assert "Margin responsiveness" in headings
    assert "Not run: Schedule 1d by portfolio" in sections[0]["text"]


def test_one_day_simm_not_in_force_is_skipped():
    market = load_builtin("synthetic_small")  # 2007-2010: no 1-day SIMM in force
    cfg = BacktestConfig(models=("SIMM",), horizons=(1,), by=("portfolio",), years=1, step=20)
    trades = Portfolio((EquityPosition(trade_id="E", underlying="SPX", factor="EQ_SPX",
                                       quantity=1e4, bucket="12"),), "one")
    res = run_backtests(market, trades, {"SIMM": SimmModel(), "S": ScheduleModel()}, cfg)
    assert res.summary.empty
    assert len(res.skipped) == 1
    assert res.skipped[0].startswith("SIMM 1d by portfolio: no 1-day SIMM in force on 2010-")


def test_backtest_command(folder, tmp_path):
    out = tmp_path / "bt"
    res = subprocess.run([sys.executable, "-m", "imresearch", "backtest",
                          str(folder / "study.toml"), "--out", str(out), "--quiet"],
                         capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    files = set(manifest["files"]) if isinstance(manifest["files"], dict) else {
        f["path"] for f in manifest["files"]}
    for name in ("backtest_summary.csv", "backtest_exceptions.csv", "report.html",
                 "margin_responsiveness.csv", "backtest_rolling_traffic_light.csv"):
        assert name in files
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert {"model", "horizon", "by", "group", "kupiec_p", "zone"} <= set(summary.columns)
    assert "Backtests by portfolio" in (out / "report.html").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(STUDY.replace("horizons = [1, 10]", "horizons = [2]"))
    res = subprocess.run([sys.executable, "-m", "imresearch", "backtest", str(bad), "--out",
                          str(tmp_path / "bt2")], capture_output=True, text=True, timeout=600)
    assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "horizons must hold 1 or 10; got 2" in res.stderr
    assert not (tmp_path / "bt2").exists()
