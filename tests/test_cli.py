"""The imresearch command: help, version, data commands, run, and user errors (exit 2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch import __version__
from imresearch.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "imresearch", *args], capture_output=True,
                          text=True, timeout=600)


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"imresearch {__version__}"
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("run", "data"):
        assert command in out
    assert "example" in out


def test_data_list_shows_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    names = {r["name"] for r in rows}
    assert {"synthetic", "arch_sp500"} <= names


def test_data_show_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "show", "arch_sp500"]) == 0
    out = capsys.readouterr().out
    assert "1999-01-04" in out and "equity" in out and "gap policy" in out


def test_data_show_csv_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.csv"
    pd.DataFrame({"date": pd.bdate_range("2020-01-01", periods=30).strftime("%Y-%m-%d"),
                  "x": np.linspace(1, 2, 30)}).to_csv(path, index=False)
    assert main(["data", "show", str(path)]) == 0
    assert "30 dates" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "show", "no_such_data_set"], "no_such_data_set"),
        (["data", "show", "missing.csv"], "missing.csv"),
        (["run", "missing_study.toml"], "missing_study.toml"),
    ],
)
def test_user_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    res = run_cli(*args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("imresearch: error:")
    assert message in lines[0]
    assert "Traceback" not in res.stderr


def test_bad_csv_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("date,x\n2020-01-02,1.0\n2020-01-03,abc\n2020-01-06,1.2\n")
    res = run_cli("data", "show", str(path))
    assert res.returncode == 2
    assert "bad.csv" in res.stderr and "line 3" in res.stderr and "abc" in res.stderr


def test_bad_study_setting_exits_2(tmp_path: Path) -> None:
    study = tmp_path / "s.toml"
    study.write_text('[market]\ndata = "synthetic"\nhorizon = 0\n')
    res = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "horizon must be an integer >= 1; got 0" in res.stderr
    assert not (tmp_path / "out").exists()
    study.write_text('[market]\ndata = "synthetic"\nhorizn = 10\n')
    res = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert res.returncode == 2 and "unknown setting(s) ['horizn']" in res.stderr


CRIF = (
    "TradeID,PortfolioID,ProductClass,RiskType,Qualifier,Bucket,Label1,Label2,Amount,"
    "AmountCurrency,AmountUSD\n"
    "t1,p1,RatesFX,Risk_IRCurve,USD,1,5y,OIS,1000000,USD,1000000\n"
    "t2,p1,RatesFX,Risk_IRCurve,USD,1,10y,OIS,-400000,USD,-400000\n"
    "t3,p2,Equity,Risk_Equity,ACME,1,,,500000,USD,500000\n"
)


def test_simm_command_json_and_table(tmp_path: Path) -> None:
    from imresearch.simm import simm

    path = tmp_path / "crif.csv"
    path.write_text(CRIF)
    res = run_cli("simm", str(path), "--format", "json", "--version", "2.6")
    assert res.returncode == 0, res.stderr
    payload = json.loads(res.stdout)
    assert payload["total"] == pytest.approx(simm(path, version="2.6").total)
    assert payload["total"] > 0 and payload["version"] == "2.6"
    grouped = run_cli("simm", str(path), "--format", "json", "--group-by", "PortfolioID")
    totals = json.loads(grouped.stdout)["totals"]
    assert set(totals) == {"p1", "p2"}
    table = run_cli("simm", str(path), "--side", "post", "--mpor-days", "1")
    assert table.returncode == 0 and "1-day, post side" in table.stdout


def test_simm_command_bad_crif_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CRIF.replace("Risk_Equity", "Risk_Nonsense"))
    res = run_cli("simm", str(path))
    assert res.returncode == 2
    assert "Risk_Nonsense" in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_sweep_command(tmp_path: Path) -> None:
    study = tmp_path / "s.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 120\n')
    grid = tmp_path / "grid.toml"
    grid.write_text("[grid]\nhorizon = [5, 10]\nconfidence = [0.99]\n")
    res = run_cli("sweep", str(study), "--grid", str(grid), "--out", str(tmp_path / "sw"))
    assert res.returncode == 0, res.stderr
    table = pd.read_parquet(tmp_path / "sw" / "results.parquet")
    assert list(table["param_horizon"]) == [5, 10]
    assert table["amplification_equity"].notna().all()
    grid.write_text("[grid]\nlookback = [1, 2]\n")
    res = run_cli("sweep", str(study), "--grid", str(grid), "--out", str(tmp_path / "sw2"))
    assert res.returncode == 2 and "['lookback'] cannot be swept" in res.stderr
