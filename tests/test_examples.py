"""The files of examples/ run end to end through the command line, as the README shows, and
`imresearch init DIR` writes them into a fresh folder from which `imresearch run` works."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import imresearch.marketdata as md
from imresearch.cli import EXAMPLE_FILES, main
from imresearch.portfolio import load_portfolio
from imresearch.simm import simm
from imresearch.study import load_study
from imresearch.study.market import study_market
from tests.conftest import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples"


def _market():  # type: ignore[no-untyped-def]
    return study_market(load_study(EXAMPLES / "study.toml").market)


def test_every_example_file_is_shipped_and_in_the_readme() -> None:
    shipped = {p.name for p in EXAMPLES.iterdir() if p.suffix in (".csv", ".toml")}
    assert shipped == set(EXAMPLE_FILES)
    packaged = REPO_ROOT / "imresearch" / "examples"
    assert packaged.resolve() == EXAMPLES.resolve()  # the package data is this folder
    readme = (REPO_ROOT / "README.md").read_text()
    for name in EXAMPLE_FILES:
        assert f"examples/{name}" in readme, name


def test_market_csv_is_the_built_in_public_data() -> None:
    """market.csv holds the built-in real market's levels (rounded), read with the study's
    factor metadata: rates in percent with bp shocks, oil with absolute shocks."""
    market = _market()
    public = md.load_builtin("public_markets")
    levels = public.levels.loc[market.dates, list(market.levels.columns)]
    assert np.allclose(market.levels.to_numpy(), levels.to_numpy(), rtol=0, atol=5e-5)
    meta = market.metadata
    assert (meta.loc["IR_EUR_5y", ["risk_class", "convention", "units", "currency"]].tolist()
            == ["IR", "absolute_bp", "percent", "EUR"])
    assert meta.loc["CMD_WTI", "convention"] == "absolute"
    assert (market.levels["IR_EUR_1y"] < 0).any()  # negative rates: why absolute_bp is needed
    assert market.start == pd.Timestamp("2015-01-02")
    assert market.end == pd.Timestamp("2018-12-28")


def test_data_show_reads_the_market_of_a_study(capsys: pytest.CaptureFixture[str]) -> None:
    """`imresearch data show study.toml` reads market.csv with the study's factor metadata
    (the file alone cannot be read: its rates touch zero, impossible for log shocks)."""
    assert main(["data", "show", str(EXAMPLES / "study.toml")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("market.csv: 15 factors, 975 dates, 2015-01-02 .. 2018-12-28")
    assert "absolute_bp" in out and "USD/bbl" in out
    assert main(["data", "show", str(EXAMPLES / "market.csv")]) == 2
    assert "level 0.0 not allowed for a log factor" in capsys.readouterr().err


def test_portfolio_csv_and_toml_hold_the_same_trades() -> None:
    csv, toml = (load_portfolio(EXAMPLES / f"portfolio.{ext}") for ext in ("csv", "toml"))
    assert csv.trades == toml.trades
    assert len(csv) == 8 and toml.valuation_date == pd.Timestamp("2018-12-28")
    assert {t.netting_set for t in csv} == {"BANK_A-ISDA", "FUND_B-ISDA"}


def test_crif_is_the_books_crif_and_the_simm_command_reads_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    crif = load_portfolio(EXAMPLES / "portfolio.csv").to_crif(_market())
    expected = simm(crif, version="2.6").total
    assert main(["simm", str(EXAMPLES / "crif.csv"), "--version", "2.6", "--format",
                 "json"]) == 0
    total = json.loads(capsys.readouterr().out)["total"]
    assert total == pytest.approx(expected, rel=1e-6)  # amounts rounded to the cent
    assert main(["simm", str(EXAMPLES / "crif.csv"), "--group-by", "PortfolioID"]) == 0
    out = capsys.readouterr().out
    assert "BANK_A-ISDA" in out or "total" in out


def test_init_then_run_and_sweep_in_a_fresh_folder(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "mystudy"
    assert main(["init", str(folder)]) == 0
    assert f"imresearch run {folder / 'study.toml'}" in capsys.readouterr().out
    for name in EXAMPLE_FILES:
        assert (folder / name).read_bytes() == (EXAMPLES / name).read_bytes()
    # a second init refuses before writing anything, and leaves the user's edits alone
    (folder / "study.toml").write_text("# my edits\n")
    assert main(["init", str(folder)]) == 2
    assert "exists" in capsys.readouterr().err
    assert (folder / "study.toml").read_text() == "# my edits\n"
    (folder / "study.toml").write_bytes((EXAMPLES / "study.toml").read_bytes())

    out = tmp_path / "results"
    assert main(["run", str(folder / "study.toml"), "--out", str(out), "--quiet"]) == 0
    im = pd.read_csv(out / "im_on_valuation_date.csv", index_col=0)
    study = load_study(folder / "study.toml")
    assert set(study.models) <= set(im.index)
    assert (im.loc[list(study.models), "im"] > 0).all()
    assert (out / "report.html").is_file() and (out / "figures" / "im_through_time.png").is_file()
    by_set = pd.read_parquet(out / "aggregate_im_by_netting_set.parquet")
    assert len(by_set) and not by_set.isna().all().all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert "market.csv" in json.dumps(manifest["inputs"])

    sweep = tmp_path / "sweep"
    assert main(["sweep", str(folder / "study.toml"), "--grid", str(folder / "grid.toml"),
                 "--out", str(sweep), "--quiet"]) == 0
    table = pd.read_parquet(sweep / "results.parquet")
    assert sorted(table["model"]) == ["FHS-EWMA 1y", "FHS-EWMA 2y", "HS 1y", "HS 2y"]
    assert (table["im_peak"] > 0).all() and (table["param_episode"] == "feb_2018").all()


def test_backtest_reads_the_study_market_as_run_does(tmp_path: Path) -> None:
    """`imresearch backtest study.toml` (its --help example) on the example study: the rate
    columns of market.csv are read with the study's [market.factors] (absolute_bp shocks;
    log shocks would refuse USD 3m at 0.0 on 2015-09-18); a small [backtest] table keeps it
    quick."""
    folder = tmp_path / "mystudy"
    assert main(["init", str(folder)]) == 0
    with (folder / "study.toml").open("a") as f:
        f.write('\n[backtest]\nmodels = ["HS 1y"]\nhorizons = [10]\nby = ["portfolio"]\n'
                "years = 1\nstep = 10\n")
    out = tmp_path / "bt"
    assert main(["backtest", str(folder / "study.toml"), "--out", str(out), "--quiet"]) == 0
    summary = pd.read_csv(out / "backtest_summary.csv")
    assert len(summary) == 1 and (summary["observations"] > 0).all()


def test_init_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("x")
    assert main(["init", str(path)]) == 2
    assert "not a folder" in capsys.readouterr().err and path.read_text() == "x"
