"""The imresearch command: help, version, data commands, run, and user errors (exit 2)."""

from __future__ import annotations

import json
import os
import re
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


HELPS = [["--help"], ["run", "--help"], ["init", "--help"], ["backtest", "--help"],
         ["data", "--help"], ["data", "list", "--help"], ["data", "show", "--help"],
         ["simm", "--help"], ["sweep", "--help"], []]


@pytest.mark.parametrize("args", HELPS, ids=[" ".join(a) or "none" for a in HELPS])
def test_help_fits_100_columns(args: list[str], capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    try:
        main(args)
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "usage: imresearch" in out
    assert max(map(len, out.splitlines())) <= 100


def test_help_imports_no_numerical_library() -> None:
    code = ("import sys, contextlib, io\n"
            "from imresearch.cli import main\n"
            f"for args in {HELPS!r}:\n"
            "    with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "        try:\n"
            "            main(args)\n"
            "        except SystemExit:\n"
            "            pass\n"
            "    assert 'usage: imresearch' in out.getvalue(), args\n"
            "print(sorted(m for m in ('pandas', 'numpy', 'numba', 'scipy', 'matplotlib')"
            " if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
    # and the installed command itself: -X importtime lists every module imported
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "imresearch", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "usage: imresearch" in res.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in res.stderr.splitlines()
                if line.startswith("import time:")}
    assert "imresearch" in imported
    assert not imported & {"pandas", "numpy", "numba"}


def test_data_list_fits_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert max(map(len, lines)) <= 100
    assert lines[0].split() == ["name", "kind", "range", "factors"]
    row = next(line for line in lines if line.startswith("arch_sp500 "))
    assert row.split()[1:5] == ["built-in", "1999", "..", "2018"]
    assert next(line for line in lines if line.startswith("synthetic ")).endswith(" 38")
    row = next(line for line in lines if line.startswith("ust_cmt "))
    assert "2001-07-31 .. 2021-02-23" in row and " 11 IR" in row
    assert main(["data", "list", "--long"]) == 0
    long = capsys.readouterr().out
    assert max(map(len, long.splitlines())) <= 100
    assert "  description: S&P 500 adjusted close 1999-2018" in long
    assert "  files: sp500_index/" in long


def test_data_list_marks_what_the_data_directory_lacks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "catalogue*" in out and "not in the data directory" in out and "--data-dir" in out
    assert main(["data", "list", "--format", "json", "--data-dir", str(tmp_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    sp500 = next(r for r in rows if r["name"] == "sp500")
    assert sp500["available"] is False and sp500["range"].startswith("1927-12-30 ..")


def test_hints_name_cli_options_on_the_cli_and_arguments_in_python(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from imresearch.errors import DataNotFoundError
    from imresearch.marketdata.catalogue import load_dataset

    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    with pytest.raises(DataNotFoundError, match=r"\(or pass data_dir=\)"):
        load_dataset("sp500")
    res = subprocess.run([sys.executable, "-m", "imresearch", "data", "show", "sp500"],
                         capture_output=True, text=True, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "IMRESEARCH_DATA"})
    assert res.returncode == 2 and "(or pass --data-dir)" in res.stderr
    assert "data_dir=" not in res.stderr


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
EXAMPLE_STUDY = str(EXAMPLES / "study.toml")
DATA_DIR_COMMANDS = {
    "run": ["run", "--out", "{out}"],
    "run a study with a CSV market": ["run", EXAMPLE_STUDY, "--out", "{out}"],
    "backtest": ["backtest", EXAMPLE_STUDY, "--out", "{out}"],
    "sweep": ["sweep", EXAMPLE_STUDY, "--grid", str(EXAMPLES / "grid.toml"),
              "--out", "{out}"],
    "data list": ["data", "list"],
    "data show": ["data", "show", "synthetic"],
}


@pytest.mark.parametrize("command", list(DATA_DIR_COMMANDS))
@pytest.mark.parametrize("how", ["--data-dir", "IMRESEARCH_DATA"])
def test_an_absent_data_directory_is_refused(command: str, how: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Every command reading --data-dir or $IMRESEARCH_DATA refuses a directory that does not
    exist (exit 2, one line naming the option or variable and the path) before computing or
    writing anything, even when the study reads no data from it."""
    absent, out = tmp_path / "no_such_dir", tmp_path / "out"
    argv = [a.format(out=out) for a in DATA_DIR_COMMANDS[command]]
    if how == "--data-dir":
        monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
        argv += ["--data-dir", str(absent)]
    else:
        monkeypatch.setenv("IMRESEARCH_DATA", str(absent))
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and captured.out == "", captured.err
    assert str(absent) in lines[0] and "does not exist" in lines[0]
    assert (f"({how})" if how == "--data-dir" else "($IMRESEARCH_DATA)") in lines[0]
    assert not out.exists()


def test_simm_json_with_non_finite_results_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "crif.csv"
    path.write_text(CRIF.replace("1000000,USD,1000000", "1e160,USD,1e160"))
    for fmt in ("json", "table"):
        res = run_cli("simm", str(path), "--format", fmt)
        assert res.returncode == 2, res.stdout
        assert res.stdout == ""
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and "not a finite number" in lines[0], res.stderr


def test_json_outputs_are_strict(tmp_path: Path) -> None:
    path = tmp_path / "crif.csv"
    path.write_text(CRIF)
    res = run_cli("simm", str(path), "--format", "json")
    assert res.returncode == 0
    json.loads(res.stdout, parse_constant=lambda c: pytest.fail(f"invalid JSON token {c}"))


STUDY = """
[market]
data = "synthetic_small"
stress_window_days = 120
[portfolio]
source = "none"
"""


def test_progress_without_a_terminal_is_one_line_per_step(tmp_path: Path) -> None:
    study = tmp_path / "s.toml"
    study.write_text(STUDY)
    res = run_cli("run", str(study), "--out", str(tmp_path / "out"))
    assert res.returncode == 0, res.stderr
    lines = [line for line in res.stderr.splitlines() if "compiling" not in line]
    steps = ["load market", "market analysis", "write"]
    assert len(lines) == len(steps) + 1
    for i, (line, step) in enumerate(zip(lines, steps), start=1):
        assert re.fullmatch(rf"study s: \[{i}/3\] {step} \(elapsed \d+\.\d s\)", line), line
    assert re.fullmatch(r"study s: done in \d+\.\d s", lines[-1])
    quiet = run_cli("run", str(study), "--out", str(tmp_path / "out"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_first_run_says_it_compiles_kernels(tmp_path: Path) -> None:
    code = ("from imresearch.cli import _progress\n"
            "bar = _progress('study x', False)\n"
            "bar.close()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR",
                                                            "IMRESEARCH_CACHE")}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**env, "HOME": str(tmp_path)})
    from imresearch._numba import kernel_sources_digest, kernels_cached

    numba_dir = tmp_path / ".cache" / "imresearch" / "numba" / f"kernels-{kernel_sources_digest()}"
    assert res.stderr == (f"study x: compiling the Numba kernels on first use (a minute or "
                          f"two; cached in {numba_dir} for later runs)\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**env, "HOME": str(tmp_path), "NUMBA_CACHE_DIR":
                                           os.environ.get("NUMBA_CACHE_DIR", "")})
    if kernels_cached():  # this machine's cache is warm: nothing said
        assert res.stderr == ""
