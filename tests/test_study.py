"""The main job: a study runs end to end and writes its results atomically with a manifest."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.cli import main
from imresearch.errors import InputError
from imresearch.models import HSModel, MCModel, ScheduleModel, SimmModel
from imresearch.report.study_report import write_study
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
mc_paths = 200
[models."HS 1y"]
lookback_days = 252
[models."HS 3y+stress"]
lookback_days = 756
stress = true
[models."MC 3y"]
kind = "mc"
n_paths = 4000
copula = "gaussian"
window = "recent"
[models.SIMM]
kind = "simm"
[models.Schedule]
kind = "schedule"
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
                 "figures/apc_frontier.png", "figures/mc_convergence.png",
                 "figures/im_vs_simm.png", "mc_on_valuation_date.csv", "mc_convergence.csv",
                 "mc_pnl.parquet", "im_monthly.csv", "im_over_simm_monthly.csv",
                 "aggregate_im.csv", "aggregate_im_through_time.csv",
                 "aggregate_threshold_cliff.csv", "aggregate_peak_calls.csv",
                 "figures/aggregate_exchanged_im.png", "figures/aggregate_calls.png"):
        assert (small_run / name).is_file(), name
    per_ns = pd.read_csv(small_run / "aggregate_im.csv")
    assert list(per_ns.columns[:2]) == ["netting_set", "model"]
    assert per_ns["netting_set"].nunique() == 5 and per_ns["model"].nunique() == 5
    manifest = json.loads((small_run / "manifest.json").read_text())
    assert manifest["seed"] == 0
    assert manifest["settings"]["models"]["HS 1y"]["lookback_days"] == 252
    assert set(manifest["files"]) >= {"report.html", "im_through_time.parquet"}
    assert len(manifest["inputs"]["market"]["levels_sha256"]) == 64
    assert manifest["inputs"]["portfolio"]["trades"] > 100
    html = (small_run / "report.html").read_text()
    assert html.count("data:image/png;base64") >= 8 and "ISDA SIMM" in html
    assert "Monte Carlo IM on the valuation date" in html
    assert "Every model against SIMM through time" in html
    # what it runs on, said in the title and first; the summary before every other section
    assert "<title>Synthetic-market study &#x27;small&#x27; on the synthetic market" in html
    assert html.index("class='lead'") < html.index("Summary of findings") < html.index(
        "Initial margin through time")
    assert "This market is SYNTHETIC" in html and "synthetic stress like" in html
    for heading in ("Why the models differ", "SIMM breakdown", "Trade attribution",
                    "Backtests", "Anti-procyclicality tools"):
        assert f">{heading}" in html, heading
    assert html.index("<details id='manifest'>") > html.index("tail shocks over")
    body = html[:html.index("<details")]
    assert not re.search(r"\d\.\d+e[+-]\d\d", body)  # no scientific notation in the page
    assert body.count("<table") == body.count("<div class='scroll'><table")
    glance = pd.read_csv(small_run / "summary_models.csv", index_col=0)
    assert glance.loc["HS 1y", "ratio_to_simm"] == pytest.approx(
        on_date_ratio(small_run, "HS 1y"))
    assert glance.loc["SIMM", "ratio_to_simm"] == pytest.approx(1.0)
    weights = pd.read_csv(small_run / "simm_weights_vs_data.csv", index_col=0)
    assert {"IR", "equity", "FX"} <= set(weights.index)
    assert (weights["simm_weight"] > 0).all() and (weights["full"] > 0).all()
    im = pd.read_parquet(small_run / "im_through_time.parquet")
    assert list(im.columns) == ["HS 1y", "HS 3y+stress"] and len(im) == 13
    assert (im > 0).all().all()
    on_date = pd.read_csv(small_run / "im_on_valuation_date.csv", index_col=0)
    assert on_date.loc["Schedule", "im"] > 0 and on_date["kind"].str.contains("SIMM").any()
    # Monte Carlo on the valuation date: its IM inside its interval, next to HS
    mc = on_date.loc["MC 3y"]
    assert mc["kind"] == "Monte Carlo" and mc["ci_lower"] <= mc["im"] <= mc["ci_upper"]
    assert 0.5 < mc["im"] / on_date.loc["HS 1y", "im"] < 2.0
    assert on_date.loc[["HS 1y", "Schedule"], "ci_lower"].isna().all()
    assert manifest["settings"]["models"]["MC 3y"]["kind"] == "mc"
    assert manifest["settings"]["models"]["MC 3y"]["n_paths"] == 4000
    conv = pd.read_csv(small_run / "mc_convergence.csv", index_col=[0, 1]).loc["MC 3y"]
    assert conv.index[-1] == 4000 and conv.index.is_monotonic_increasing
    width = conv["ci_upper"] - conv["ci_lower"]
    assert width.iloc[-1] < width.iloc[0]  # the interval narrows with more paths
    assert len(pd.read_parquet(small_run / "mc_pnl.parquet")) == 4000
    # through time: month ends of the IM dates, SIMM version in force, ratios
    monthly = pd.read_csv(small_run / "im_monthly.csv", index_col=0, parse_dates=True)
    assert monthly.index.is_unique and set(monthly.index).issubset(set(im.index))
    assert len(monthly) in (12, 13) and (monthly["simm"] > 0).all()
    assert monthly["simm_version"].iloc[-1] == "2.8+2506"  # in force on 2026-01-02
    assert (monthly["MC 3y ci_lower"] <= monthly["MC 3y"]).all()
    ratio = pd.read_csv(small_run / "im_over_simm_monthly.csv", index_col=0)
    assert list(ratio.columns) == ["HS 1y", "HS 3y+stress", "MC 3y", "Schedule"]
    assert ratio["HS 1y"].to_numpy() == pytest.approx(
        (monthly["HS 1y"] / monthly["simm"]).to_numpy())
    bt = pd.read_csv(small_run / "backtests.csv", index_col=0)
    assert "MC 3y (month ends)" in bt.index
    frontier = pd.read_csv(small_run / "apc_frontier.csv", index_col=0)
    assert frontier.loc["buffer 25%", "average_im"] > frontier.loc["none", "average_im"]


def on_date_ratio(out: Path, label: str) -> float:
    on_date = pd.read_csv(out / "im_on_valuation_date.csv", index_col=0)
    return float(on_date.loc[label, "im"] / on_date.loc["SIMM", "im"])


def test_same_inputs_same_numbers(small_run: Path, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRESEARCH_CACHE", "off")  # recomputed, not read back
    study = tmp_path / "small.toml"
    study.write_text(SMALL)
    out = write_study(run_study(load_study(study)), tmp_path / "again")
    for name in ("tail_shocks.csv", "im_through_time.csv", "backtests.csv",
                 "mc_on_valuation_date.csv", "im_monthly.csv"):
        pd.testing.assert_frame_equal(  # wall time is the one column allowed to differ
            pd.read_csv(small_run / name, index_col=0).drop(columns="seconds", errors="ignore"),
            pd.read_csv(out / name, index_col=0).drop(columns="seconds", errors="ignore"))


def test_market_only_study(tmp_path: Path) -> None:
    study = tmp_path / "m.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 120\n'
                     '[portfolio]\nsource = "none"\n')
    results = run_study(load_study(study))
    assert results.margin is None and results.portfolio is None
    out = write_study(results, tmp_path / "out")
    assert (out / "tail_shocks.csv").is_file() and not (out / "backtests.csv").exists()


def test_failed_run_leaves_previous_results(small_run: Path, tmp_path: Path) -> None:
    before = (small_run / "manifest.json").read_text()
    study = tmp_path / "bad.toml"
    study.write_text('[market]\ndata = "synthetic_small"\nstress_window_days = 100000\n')
    with pytest.raises(InputError, match="fewer than stress_window_days=100000"):
        write_study(run_study(load_study(study)), small_run)
    assert (small_run / "manifest.json").read_text() == before


def test_study_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    cases = {
        "[market\n": "invalid TOML",
        "[engines]\n": r"unknown section\(s\) \['engines'\]",
        'market = 3\n': r"\[market\] must be a table; got 3",
        '[models."HS"]\nlookback = 5\n': r'\[models."HS"\]: unknown setting\(s\) \[\'lookback\'\]',
        '[models."HS"]\nfiltering = "kalman"\n': "filtering must be one of",
        "[rolling]\nstep = 0\n": "step must be an integer >= 1; got 0",
        "[rolling]\nstep = 2.5\n": "step must be an integer; got 2.5",
        '[apc]\nbuffer = -1\n': "buffer must be in",
        '[models."HS"]\nstress = "yes"\n': r'\[models."HS"\]: stress must be true or false; '
        "got 'yes'",
        '[models."X"]\nkind = "garch"\n': r"kind must be one of 'hs', 'mc', .*; got 'garch'",
        '[models."X"]\nengine = "mc"\n': r"key 'engine' is from an earlier file format: "
        "rename 'engine' to 'kind'",
        '[models."MC"]\nkind = "mc"\ncopula = "clayton"\n':
            r'bad.toml \[models."MC"\]: copula must be one of .*; got \'clayton\'',
        '[models."MC"]\nkind = "mc"\nn_paths = 0\n': r'\[models."MC"\]: n_paths must be an '
        "integer >= 1; got 0",
        '[models."MC"]\nkind = "mc"\nfiltering = "ewma"\n':
            r"unknown setting\(s\) \['filtering'\]",
        '[models.S]\nkind = "simm"\nversion = "3.0"\n': r"version must be 'in_force' or one of",
        '[portfolio]\nsimm_version = "2.6"\n': r"simm_version is from an earlier file format: "
        r"add a model table \[models.SIMM\]",
        '[apc]\ncalibration_models = "HS 1y"\n': r"calibration_models must be a list of text",
        '[apc]\ntarget = "HS 2y"\n': r"\[apc\]: target 'HS 2y' is not an HS model of the "
        r"study; HS models: \[",
        '[models."HS"]\n[apc]\ntarget = "HS"\n': r"floor_model 'HS 5y' is not an HS model",
        '[market.factors."IR_*"]\nconvention = "bp"\n':
            r"\[market\]: factors.IR_\*: convention must be one of",
        '[market.factors.X]\nrisk_klass = "IR"\n': r"unknown setting\(s\) \['risk_klass'\]",
    }
    for text, message in cases.items():
        bad.write_text(text)
        with pytest.raises(InputError, match=message):
            load_study(bad)


def test_model_tables_map_onto_the_specs(tmp_path: Path) -> None:
    f = tmp_path / "mc.toml"
    f.write_text('[models."HS"]\nkind = "hs"\nlookback_days = 252\n'
                 '[models."MC t"]\nkind = "mc"\nn_paths = 1000\n'
                 'copula = "t"\nmarginal = "t"\nwindow = "recent+stress"\nhorizon = 5\n'
                 '[models.SIMM]\nkind = "simm"\nversion = "2.6"\n[models.S]\nkind = "schedule"\n')
    study = load_study(f)
    assert study.models["HS"] == HSModel(lookback_days=252)
    assert study.models["MC t"] == MCModel(n_paths=1000, copula="t", marginal="t",
                                           window="recent+stress", horizon=5)
    assert study.models["SIMM"] == SimmModel(version="2.6")
    assert study.models["S"] == ScheduleModel()
    assert study.settings()["models"]["MC t"]["copula"] == "t"
    assert study.apc is None  # the default tools need "HS 1y"


def test_relative_paths_are_read_from_the_study_folder(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "study.toml").write_text('[portfolio]\nsource = "book.toml"\n'
                                       '[market]\ndata = "prices.csv"\n')
    monkeypatch.chdir(tmp_path)
    study = load_study("project/study.toml")
    assert study.portfolio.source == str((folder / "book.toml").resolve())
    assert study.market.data == str((folder / "prices.csv").resolve())


def test_cli_bad_study_value_is_one_line_exit_2(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[models."MC"]\nkind = "mc"\nwindow = "calm"\n')
    assert main(["run", str(f), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and str(f) in err and '[models."MC"]' in err
    assert "window" in err and "'calm'" in err


def test_default_study_runs_on_real_public_data(tmp_path: Path) -> None:
    """`imresearch run` with no study file: the built-in real market and the public book."""
    out = tmp_path / "default"
    assert main(["run", "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["settings"]["market"]["data"] == "public_markets"
    assert manifest["settings"]["portfolio"]["source"] == "dealer_book_public"
    assert manifest["inputs"]["market"]["first_date"] == "2006-02-09"
    im = pd.read_parquet(out / "im_through_time.parquet")
    assert im.index[-1] == pd.Timestamp("2018-12-28") and im.index[0].year == 2008
    assert (im.dropna() > 0).all().all()
    on_date = pd.read_csv(out / "im_on_valuation_date.csv", index_col=0)
    assert set(on_date["kind"]) == {"historical simulation", "Monte Carlo", "ISDA SIMM",
                                    "BCBS-IOSCO schedule"}
    assert (on_date["im"] > 0).all()
    frontier = pd.read_csv(out / "apc_frontier.csv", index_col=0)
    assert "floor: HS 5y" in frontier.index
    # the dealer book margined per counterparty: one row per netting set and model
    per_ns = pd.read_csv(out / "aggregate_im.csv")
    assert per_ns["netting_set"].nunique() == 5 and set(per_ns["model"]) == set(on_date.index)
    assert (per_ns.groupby("netting_set")["counterparty"].nunique() == 1).all()
    assert {"im_call", "im_post", "collect", "post"} <= set(per_ns.columns)
    assert (per_ns[["im_call", "im_post"]] > 0).all().all()


def test_public_market_extends_with_a_data_directory(shared_market_data: Path) -> None:
    """With a data directory the built-in real market runs to 2024 (COVID and 2022 inside),
    the S&P 500 continued from the catalogue; the public book stays bound on its own date."""
    from imresearch.portfolio import load_portfolio
    from imresearch.study.margin import book_date
    from imresearch.study.market import load_market

    short = load_market("public_markets")
    long = load_market("public_markets", data_dir=str(shared_market_data))
    assert short.end == pd.Timestamp("2018-12-28") and long.end == pd.Timestamp("2024-04-30")
    assert "EQ_CCMP" in short.factor_names and "EQ_CCMP" not in long.factor_names
    # S&P 500 close on 2020-03-16 (S&P Dow Jones Indices: 2,386.13) and before the splice
    assert long.levels.loc["2020-03-16", "EQ_SPX"] == pytest.approx(2386.13, abs=0.01)
    both = short.levels.index.intersection(long.levels.index)
    np.testing.assert_allclose(long.levels.loc[both, "EQ_SPX"], short.levels.loc[both, "EQ_SPX"])
    book = load_portfolio("dealer_book_public")
    assert book.valuation_date == pd.Timestamp("2018-12-28")
    assert book_date(book, long) == book_date(book, short) == pd.Timestamp("2018-12-28")
    assert book_date(load_portfolio("dealer_book"), long) == long.end  # no date of its own


BOOK_STRUCK_EARLIER = """
[portfolio]
name = "struck_in_june"
valuation_date = 2018-06-29
[[trades]]
type = "fx_forward"
trade_id = "FXF-3M"
counterparty = "BANK_A"
netting_set = "BANK_A-ISDA"
pair = "EURUSD"
notional = 25_000_000
strike = 1.17
maturity = 2018-09-28
direction = "long"
[[trades]]
type = "irs"
trade_id = "IRS-5Y"
counterparty = "FUND_B"
netting_set = "FUND_B-ISDA"
currency = "USD"
notional = 50_000_000
fixed_rate = 0.028
start_date = 2018-07-03
maturity = 2023-07-03
direction = "payer"
"""


def test_book_struck_before_a_trade_matures_is_valued_on_the_last_date(tmp_path: Path) -> None:
    """A book struck inside the market with a trade that matures before the market's last
    date: every part of the study (whole book, SIMM weights, per netting set, sweeps) holds
    the book bound on its own date at constant maturity, so the matured forward is still
    margined."""
    from imresearch.models import book_on_date
    from imresearch.portfolio.sensitivities import to_crif
    from imresearch.simm import simm
    from imresearch.study import model_sweep_inputs

    (tmp_path / "book.toml").write_text(BOOK_STRUCK_EARLIER)
    (tmp_path / "study.toml").write_text(
        '[market]\ndata = "public_markets"\n[portfolio]\nsource = "book.toml"\n'
        '[rolling]\nyears = 1\nstep = 20\nmc_paths = 0\n[models."HS 1y"]\n'
        'lookback_days = 252\n[models.SIMM]\nkind = "simm"\nversion = "2.6"\n[aggregate]\n')
    study = load_study(tmp_path / "study.toml")
    r = run_study(study)
    market, book = r.market.market, r.portfolio
    assert market.end == pd.Timestamp("2018-12-28")
    assert (r.margin.on_date["im"] > 0).all()
    assert {"FX", "IR"} <= set(r.findings.risk_weights.index)
    crif = to_crif(book_on_date(book, market, bind_date="2018-06-29"))
    assert "FXF-3M" in set(crif["TradeID"])
    assert simm(crif, version="2.6").total == pytest.approx(r.margin.on_date.loc["SIMM", "im"],
                                                            rel=1e-12)
    on_date = r.aggregate.on_date.set_index(["model", "netting_set"])
    assert (on_date["im_call"] > 0).all() and len(on_date) == 4
    _, shared = model_sweep_inputs(study, [{"kind": "hs", "lookback_days": 252}], market)
    assert shared["portfolios"][study.portfolio.source].date == pd.Timestamp("2018-06-29")
    # the report says when the terms were fixed
    from imresearch.report.study_summary import data_statement

    assert ("terms fixed on 2018-06-29 and held at constant maturity to the valuation date"
            in data_statement(r))


def test_default_study_values_the_book_on_the_longer_history(shared_market_data: Path) -> None:
    """The README's run with a data directory: the default study (its market, book,
    aggregate) on the history to 2024-04-30, where trades of the public book have matured:
    the book stays bound on its own date and every part of the study values it."""
    import dataclasses

    from imresearch.study import RollingConfig

    default = load_study(None)
    study = dataclasses.replace(
        default, models={k: default.models[k] for k in ("HS 1y", "SIMM")}, apc=None,
        rolling=RollingConfig(years=1, step=20, mc_paths=0))
    r = run_study(study, data_dir=str(shared_market_data))
    assert r.market.market.end == pd.Timestamp("2024-04-30")
    assert min(t.maturity for t in r.portfolio if hasattr(t, "maturity")) < r.market.market.end
    assert (r.margin.on_date["im"] > 0).all()
    assert not r.findings.risk_weights.empty
    assert (r.aggregate.totals["im_call"] > 0).all()
    # the report's data statement gives the actual dates, not the built-in data's range
    from imresearch.report.study_summary import data_statement

    text = data_statement(r)
    assert "to 2024-04-30 (the valuation date)" in text and ".. 2018-12-28" not in text
    assert "terms fixed on 2018-12-28 and held at constant maturity" in text


def test_public_markets_with_a_data_directory_absent_or_without_sp500(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A data directory that does not exist is an error (not the built-in history in
    silence); one without the S&P 500 leaves the built-in history, with a warning."""
    from imresearch.errors import DataNotFoundError
    from imresearch.study.market import load_market

    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    absent = tmp_path / "absent"
    with pytest.raises(DataNotFoundError, match=re.escape(f"'{absent}' (data_dir=) does not")):
        load_market("public_markets", data_dir=str(absent))
    monkeypatch.setenv("IMRESEARCH_DATA", str(absent))
    with pytest.raises(DataNotFoundError, match=re.escape("($IMRESEARCH_DATA) does not")):
        load_market("public_markets")
    with pytest.warns(UserWarning, match="data set 'sp500'.*built-in history"):
        market = load_market("public_markets", data_dir=str(tmp_path))
    assert market.end == pd.Timestamp("2018-12-28")


def test_market_holes_are_refused_or_reported(tmp_path: Path) -> None:
    """A six-month hole in a market file: an error naming it, unless the study allows it;
    then the report and the manifest list the hole that one shock spans."""
    dates = pd.bdate_range("2015-01-01", "2018-12-31")
    hole = (dates > "2017-01-01") & (dates < "2017-07-01")
    rng = np.random.default_rng(0)
    levels = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), 2)), axis=0))
    prices = pd.DataFrame(levels, index=dates, columns=["AAA", "BBB"])[~hole]
    prices.rename_axis("date").to_csv(tmp_path / "prices.csv")
    study = tmp_path / "s.toml"
    study.write_text('[market]\ndata = "prices.csv"\nstress_window_days = 60\n'
                     '[portfolio]\nsource = "none"\n')
    with pytest.raises(InputError, match=r"prices.csv, line 524, date 2017-07-03: no data for 131 "
                       r"business days since 2016-12-30"):
        run_study(load_study(study))
    study.write_text('[market]\ndata = "prices.csv"\nstress_window_days = 60\nmax_gap = 200\n'
                     '[portfolio]\nsource = "none"\n')
    out = write_study(run_study(load_study(study)), tmp_path / "out")
    gaps = json.loads((out / "manifest.json").read_text())["market_gaps"]
    assert [(g["from"], g["to"]) for g in gaps["bridged"]] == [("2016-12-30", "2017-07-03")]
    assert "2016-12-30 to 2017-07-03" in (out / "report.html").read_text()


def test_factor_metadata_applies_to_files_only() -> None:
    from imresearch.marketdata.factors import FactorSpec
    from imresearch.study.market import load_market

    with pytest.raises(InputError, match="applies to the factors of a CSV or Parquet file; "
                       "'synthetic' is a data set with its own"):
        load_market("synthetic", factors={"IR_*": FactorSpec("IR")})
