"""Bad inputs at the command line (#17): exit status 2, one line on stderr, nothing written.

One case per class of bad input found by the audit of issue #17 that the command line can
meet: output targets, study and grid files, CRIFs, market files and portfolio files. Each
case starts from valid files (:func:`test_the_valid_inputs_run`) and breaks one thing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fs import snapshot

BOOK = ("type,trade_id,underlying,factor,quantity,bucket\n"
        "equity_position,SPX_LONG,SPX,EQ_SPX,10000,12\n"
        "equity_position,SPX_TWO,SPX,EQ_SPX,2000,12\n")

STUDY = """[market]
data = "synthetic_small"
stress_window_days = 120
[portfolio]
source = "book.csv"
[rolling]
years = 1
step = 20
[models."HS 1y"]
lookback_days = 250
[apc]
target = "HS 1y"
floor_model = "HS 1y"
stressed_model = "HS 1y"
calibration_models = []
"""

GRID = "[grid]\nhorizon = [5, 10]\n"

CRIF = ("TradeID,PortfolioID,ProductClass,RiskType,Qualifier,Bucket,Label1,Label2,Amount,"
        "AmountCurrency,AmountUSD\n"
        "t1,p1,RatesFX,Risk_IRCurve,USD,1,5y,OIS,1000000,USD,1000000\n"
        "t2,p2,Equity,Risk_Equity,ACME,1,,,500000,USD,500000\n")


def prices(n: int = 300, start: str = "2020-01-01", level: str | None = None,
           hole: bool = False) -> str:
    import numpy as np
    import pandas as pd

    dates = pd.bdate_range(start, periods=n)
    if hole:  # six months without data
        dates = dates[(dates < "2020-03-01") | (dates > "2020-09-01")]
    values = np.linspace(3000.0, 3300.0, len(dates))
    rows = [f"{d:%Y-%m-%d},{v:.2f}" for d, v in zip(dates, values)]
    if level is not None:
        rows[len(rows) // 2] = f"{dates[len(rows) // 2]:%Y-%m-%d},{level}"
    return "date,SPX\n" + "\n".join(rows) + "\n"


#: The study of the output-target cases names a market file that does not exist: the output
#: error must come first, so the target is checked before anything is loaded or computed.
LATE_STUDY = STUDY.replace('data = "synthetic_small"', 'data = "not_there.csv"')


@dataclass
class Case:
    args: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    message: str = ""

    def write(self, folder: Path) -> None:
        base: dict[str, str | bytes] = {"study.toml": STUDY, "book.csv": BOOK,
                                        "grid.toml": GRID, "crif.csv": CRIF,
                                        "prices.csv": prices()}
        for name, content in {**base, **self.files}.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)


def earlier_output(folder: str, extra: str | None = None) -> dict[str, str | bytes]:
    """Files of an earlier imresearch output (and a file of the user's inside it)."""
    manifest = ('{"tool": "imresearch", "command": "imresearch run", '
                '"files": {"a.csv": {"bytes": 2}}}')
    files: dict[str, str | bytes] = {f"{folder}/a.csv": "x\n", f"{folder}/manifest.json":
                                     manifest}
    if extra:
        files[f"{folder}/{extra}"] = "mine"
    return files


#: Commands that report progress run with --quiet: stderr then holds the error line alone.
RUN = ["run", "study.toml", "--out", "out", "--quiet"]
SWEEP = ["sweep", "study.toml", "--grid", "grid.toml", "--out", "out", "--quiet"]

CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ output targets
    "out_dot": Case(["run", "late.toml", "--out", ".", "--quiet"], {"late.toml": LATE_STUDY},
                    "is the current folder"),
    "out_file": Case(["run", "late.toml", "--out", "notes.txt", "--quiet"],
                     {"late.toml": LATE_STUDY, "notes.txt": "mine"}, "is a file, not a folder"),
    "out_below_file": Case(["run", "late.toml", "--out", "notes.txt/sub", "--quiet"],
                           {"late.toml": LATE_STUDY, "notes.txt": "mine"},
                           "notes.txt' is a file, so no folder can be created in it"),
    "out_foreign_folder": Case(["run", "late.toml", "--out", "data", "--quiet"],
                               {"late.toml": LATE_STUDY, "data/prices.csv": prices()},
                               "is not empty and is not an imresearch output"),
    "out_user_file_in_earlier_output": Case(
        ["run", "late.toml", "--out", "res", "--quiet"],
        {"late.toml": LATE_STUDY, **earlier_output("res", "notes.txt")},
        "also holds files its run did not write ('notes.txt')"),
    "out_edited_file_in_earlier_output": Case(
        ["run", "late.toml", "--out", "res", "--quiet"],
        {"late.toml": LATE_STUDY, **earlier_output("res"), "res/a.csv": "x\nedited\n"},
        "'a.csv' was changed since the run that wrote it"),
    "out_symlink": Case(["run", "late.toml", "--out", "link", "--quiet"],
                        {"late.toml": LATE_STUDY, **earlier_output("res")},
                        "is a symbolic link"),
    "sweep_out_dot": Case(["sweep", "late.toml", "--grid", "grid.toml", "--out", ".", "--quiet"],
                          {"late.toml": LATE_STUDY}, "is the current folder"),
    # ----------------------------------------------------------------------- study files
    "study_not_utf8": Case(RUN, {"study.toml": b'name = "\xe9tude"\n' + STUDY.encode()},
                           "study.toml"),
    "study_section_wrong_type": Case(RUN, {"study.toml": "market = 5\n"}, "study.toml"),
    "study_unknown_key": Case(RUN, {"study.toml": STUDY.replace("years = 1", "yeras = 1")},
                              "yeras"),
    "study_string_for_a_list": Case(
        RUN, {"study.toml": STUDY.replace("calibration_models = []",
                                          'calibration_models = "HS 1y"')},
        "calibration_models"),
    "study_recent_years_beyond_data": Case(
        RUN, {"study.toml": STUDY.replace("stress_window_days = 120",
                                          "stress_window_days = 120\nrecent_years = 100")},
        "recent_years"),
    "study_lookback_beyond_data": Case(
        RUN, {"study.toml": STUDY.replace("lookback_days = 250", "lookback_days = 50000")},
        "model 'HS 1y' needs 50001 business days of history; market"),
    "study_apc_target_names_no_model": Case(
        RUN, {"study.toml": STUDY.replace('target = "HS 1y"', 'target = "HS 5y"')}, "HS 5y"),
    "study_bad_simm_version_up_front": Case(
        RUN, {"study.toml": LATE_STUDY.replace('source = "book.csv"',
                                               'source = "book.csv"\nsimm_version = "9.9"')},
        "simm_version"),
    # ------------------------------------------------------------------------ grid files
    "grid_not_utf8": Case(SWEEP, {"grid.toml": b"# \xe9\n" + GRID.encode()}, "grid.toml"),
    "grid_not_a_table": Case(SWEEP, {"grid.toml": "grid = 5\n"}, "grid.toml"),
    # ----------------------------------------------------------------------------- CRIFs
    "crif_empty": Case(["simm", "crif.csv"], {"crif.csv": ""}, "crif.csv"),
    "crif_not_utf8": Case(["simm", "crif.csv"],
                          {"crif.csv": CRIF.replace("ACME", "ACM\xc9").encode("latin-1")},
                          "crif.csv"),
    "crif_blank_header": Case(["simm", "crif.csv"],
                              {"crif.csv": CRIF.replace("Label2,", ",", 1)}, "has no name"),
    "crif_missing_column": Case(
        ["simm", "crif.csv"],
        {"crif.csv": "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 2)
                               for line in CRIF.splitlines()) + "\n"},
        "column ProductClass is missing"),
    "crif_unknown_currency": Case(["simm", "crif.csv"],
                                  {"crif.csv": CRIF.replace("500000,USD,", "500000,ZZZZ,")},
                                  "ZZZZ"),
    "crif_duplicated_column": Case(
        ["simm", "crif.csv"], {"crif.csv": CRIF.replace("Label2,", "RiskType,", 1)},
        "RiskType"),
    "crif_amount_usd_contradicts_amount": Case(
        ["simm", "crif.csv"], {"crif.csv": CRIF.replace("500000,USD,500000",
                                                        "500000,USD,900000")},
        "AmountUSD"),
    "crif_overflowing_amount": Case(
        ["simm", "crif.csv", "--format", "json"],
        {"crif.csv": CRIF.replace("1000000,USD,1000000", "1e160,USD,1e160")}, "crif.csv"),
    # ---------------------------------------------------------------------- market files
    "market_empty": Case(["data", "show", "prices.csv"], {"prices.csv": ""}, "prices.csv"),
    "market_not_utf8": Case(["data", "show", "prices.csv"],
                            {"prices.csv": b"date,SP\xc9\n" + prices().split("\n", 1)[1].encode()},
                            "prices.csv"),
    "market_blank_header": Case(["data", "show", "prices.csv"],
                                {"prices.csv": prices().replace("date,SPX", "date,")},
                                "prices.csv"),
    "market_subnormal_level": Case(["data", "show", "prices.csv"],
                                   {"prices.csv": prices(level="1e-320")}, "prices.csv"),
    "market_six_month_hole": Case(["data", "show", "prices.csv"],
                                  {"prices.csv": prices(hole=True)}, "prices.csv"),
    # ------------------------------------------------------------------- portfolio files
    "portfolio_empty": Case(RUN, {"book.csv": ""}, "book.csv"),
    "portfolio_not_utf8": Case(RUN, {"book.csv": BOOK.replace("SPX_TWO", "SPX_\xc9").encode(
        "latin-1")}, "book.csv"),
    "portfolio_bad_bucket": Case(RUN, {"book.csv": BOOK.replace(",2000,12", ",2000,99")},
                                 "book.csv"),
    "portfolio_impossible_date": Case(
        RUN, {"book.csv": "type,trade_id,underlying,factor,quantity,bucket,strike,expiry,"
                          "option_type,vol_factor\n"
                          "equity_option,P1,SPX,EQ_SPX,100,12,1100,2010-02-30,put,VOL_VIX\n"},
        "2010-02-30"),
    "portfolio_overflowing_notional": Case(RUN, {"book.csv": BOOK.replace(",10000,", ",1e300,")},
                                           "book.csv"),
    "portfolio_validated_before_the_market_is_loaded": Case(
        ["run", "late.toml", "--out", "out", "--quiet"],
        {"late.toml": LATE_STUDY, "book.csv": BOOK.replace(",2000,12", ",2000,99")},
        "book.csv"),
}


def run_cli(folder: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the command in ``folder``; results cached in the test session's cache (so the
    cases that run a study before their validation lands compute it once)."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    env.pop("IMRESEARCH_DATA", None)
    env.pop("IMRESEARCH_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "imresearch", *args], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_exit_2_nothing_written(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    folder = tmp_path / "work"
    folder.mkdir()
    case.write(folder)
    if name == "out_symlink":
        os.symlink("res", folder / "link")
    before = snapshot(folder)
    res = run_cli(folder, case.args)
    lines = res.stderr.splitlines()
    assert res.returncode == 2, res.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("imresearch: error: "), res.stderr[-3000:]
    assert case.message in lines[0]
    assert res.stdout == ""
    assert snapshot(folder) == before  # nothing written, nothing replaced


def test_the_valid_inputs_run(tmp_path: Path) -> None:
    """The files every case starts from are valid: each command succeeds on them."""
    folder = tmp_path / "work"
    folder.mkdir()
    Case([]).write(folder)
    for args in (RUN, ["sweep", "study.toml", "--grid", "grid.toml", "--out", "sw", "--quiet"],
                 ["simm", "crif.csv", "--format", "json"], ["data", "show", "prices.csv"]):
        res = run_cli(folder, args)
        assert res.returncode == 0, (args, res.stderr[-3000:])
    assert (folder / "out" / "manifest.json").is_file()
    assert (folder / "sw" / "results.parquet").is_file()


def test_relative_paths_in_a_study_are_resolved_from_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "work"
    Case([], {"sub/study.toml": STUDY, "sub/book.csv": BOOK}).write(folder)
    res = run_cli(folder, ["run", "sub/study.toml", "--out", "out", "--quiet"])
    assert res.returncode == 0, res.stderr[-3000:]
