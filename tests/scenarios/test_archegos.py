"""Archegos-style replay: hand-computed calls, IM and losses; liquidity scaling; aggregate vs
slices; bad input; the command line; the shipped scenario with and without the real data."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from imresearch.cli import main
from imresearch.errors import DataNotFoundError, InputError
from imresearch.report.archegos_report import write_archegos
from imresearch.report.palette import Palette
from imresearch.scenarios.archegos import (
    archegos_progress_steps,
    is_archegos_file,
    liquidation_loss,
    liquidity_factor,
    liquidity_horizons,
    load_archegos_scenario,
    parse_archegos_scenario,
    run_archegos,
    vm_calls,
)
from tests.report.figure_checks import check_text, line_colors

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "scenarios" / "archegos_2021.toml"
D = pd.Timestamp


# ---------------------------------------------------------------------- a tiny two-broker case
def tiny(**changes: Any) -> dict[str, Any]:
    """Two names, two brokers, documented path 1-9 March 2021 (start 2 March)."""
    doc: dict[str, Any] = {
        "kind": "archegos", "name": "tiny",
        "start": "2021-03-02", "end": "2021-03-05", "position_date": "2021-03-02",
        "default_date": "2021-03-04", "seed": 1,
        "market": {"history": "builtin"},
        "builtin_history": {"days": 40, "df": 5.0, "within_group": {"g": 0.5},
                            "across_groups": 0.1},
        "liquidation": {"participation": 0.2, "mpor_days": 2, "lag_days": 1},
        "aggregate": {"model": "static 10%", "liquidity_addon": True},
        "models": {"static 10%": {"kind": "static", "rate": 0.10},
                   "static 20%": {"kind": "static", "rate": 0.20}},
        "brokers": {
            "X": {"model": "static 10%", "liquidity_addon": True,
                  "notional_usd_m": {"A": 1000, "B": 500}},
            "Y": {"model": "static 20%", "liquidation_lag_days": 2,
                  "notional_usd_m": {"A": 2000}},
        },
        "names": {
            "A": {"simm_bucket": "5", "adv_shares": 50e6, "annual_vol": 0.4, "group": "g"},
            "B": {"simm_bucket": "5", "adv_shares": 10e6, "annual_vol": 0.5, "group": "g"},
        },
        "path": {
            "dates": ["2021-03-01", "2021-03-02", "2021-03-03", "2021-03-04", "2021-03-05",
                      "2021-03-08", "2021-03-09"],
            "closes": {"A": [100, 100, 90, 80, 70, 60, 50],
                       "B": [50, 50, 55, 40, 45, 45, 45]},
        },
    }
    for key, value in changes.items():
        node = doc
        parts = key.split(".")
        for p in parts[:-1]:
            node = node[p]
        node[parts[-1]] = value
    return doc


@pytest.fixture(scope="module")
def tiny_result() -> Any:
    return run_archegos(parse_archegos_scenario(tiny(), source="tiny.toml"))


def test_tiny_vm_im_and_calls_by_hand(tiny_result: Any) -> None:
    r = tiny_result
    x = r.daily.xs("X", level="broker")
    y = r.daily.xs("Y", level="broker")
    # X: 10m A + 10m B; Y: 20m A (notional / close on 2 March)
    assert r.positions.loc["X"].tolist() == pytest.approx([10e6, 10e6])
    assert r.positions.loc["Y"].tolist() == pytest.approx([20e6, 0.0])
    assert x["exposure"].tolist() == pytest.approx([1500e6, 1450e6, 1200e6, 1150e6])
    assert x["vm_call"].tolist() == pytest.approx([0.0, 50e6, 250e6, 50e6])
    assert y["vm_call"].tolist() == pytest.approx([0.0, 200e6, 200e6, 200e6])
    # Y: static 20% of current notional, no add-on charged; calls = IM changes
    assert y["im_charged"].tolist() == pytest.approx([400e6, 360e6, 320e6, 280e6])
    assert y["im_call"].tolist() == pytest.approx([0.0, -40e6, -40e6, -40e6])
    assert y["total_call"].tolist() == pytest.approx([0.0, 160e6, 160e6, 160e6])
    # X charges the add-on: horizons A 10m/(0.2*50m) = 1 day, B 10m/(0.2*10m) = 5 days,
    # MPOR 2: scale A sqrt(max(1,2)/2) = 1, B sqrt(5/2); exposure-weighted
    assert r.horizons.loc["X"].tolist() == pytest.approx([1.0, 5.0])
    assert r.horizons.loc["aggregate"].tolist() == pytest.approx([3.0, 5.0])
    f_03 = (900 + 550 * math.sqrt(2.5)) / 1450
    assert x.loc[D("2021-03-03"), "liquidity_factor"] == pytest.approx(f_03)
    assert x.loc[D("2021-03-03"), "im_model"] == pytest.approx(145e6)
    assert x.loc[D("2021-03-03"), "im_charged"] == pytest.approx(145e6 * f_03)
    f_02 = (1000 + 500 * math.sqrt(2.5)) / 1500
    assert x.loc[D("2021-03-03"), "im_call"] == pytest.approx(145e6 * f_03 - 150e6 * f_02)


def test_tiny_loss_after_im_by_hand(tiny_result: Any) -> None:
    dl = tiny_result.default_loss
    # default 4 March: IM held = IM charged on 3 March; marks of 3 March (A 90, B 55)
    # X: lag 1, A in 1 tranche (5 Mar: 70), B in 5 (5, 8, 9 Mar, then 2 at the last close 45)
    x_im = 145e6 * (900 + 550 * math.sqrt(2.5)) / 1450
    x_loss = (10e6 * 90 + 10e6 * 55) - (10e6 * 70 + 2e6 * 45 * 5)
    assert dl.loc["X", "im_held"] == pytest.approx(x_im)
    assert dl.loc["X", "closeout_loss"] == pytest.approx(x_loss)  # 300m
    assert dl.loc["X", "loss_after_im"] == pytest.approx(x_loss - x_im)
    assert dl.loc["X", "days_priced_flat"] == 2
    assert dl.loc["X", "liquidation_start"] == D("2021-03-05")
    # Y: lag 2, A in 2 tranches (8 Mar: 60, 9 Mar: 50)
    y_loss = 20e6 * 90 - (10e6 * 60 + 10e6 * 50)
    assert dl.loc["Y", "closeout_loss"] == pytest.approx(y_loss)  # 700m
    assert dl.loc["Y", "loss_after_im"] == pytest.approx(y_loss - 360e6)
    assert dl.loc["Y", "liquidation_start"] == D("2021-03-08")
    assert dl.loc["all brokers", "loss_after_im"] == pytest.approx(
        x_loss - x_im + y_loss - 360e6)
    # aggregate view: static 10% of the whole book x aggregate liquidity factor (3 and 5 days)
    f_agg = (2700 * math.sqrt(1.5) + 550 * math.sqrt(2.5)) / 3250
    assert dl.loc["aggregate view", "im_held"] == pytest.approx(0.10 * 3250e6 * f_agg)
    agg = tiny_result.aggregate
    assert agg.loc[D("2021-03-03"), "aggregate_view_im"] == pytest.approx(0.1 * 3250e6 * f_agg)
    assert agg.loc[D("2021-03-03"), "sum_of_slices_im"] == pytest.approx(x_im + 360e6)
    # the same loss for every default day: 5 March default => marks of 4 March
    lbd = tiny_result.loss_by_default_day
    y5 = max(20e6 * 80 - (10e6 * 50 + 10e6 * 50) - 320e6, 0.0)  # lag 2: 9 Mar, then flat 50
    assert lbd.loc[D("2021-03-05"), "Y"] == pytest.approx(y5)


def test_hs_broker_matches_a_direct_computation() -> None:
    doc = tiny(**{"models.HS": {"kind": "hs", "lookback_days": 20, "horizon": 2},
                  "brokers.X.model": "HS"})
    r = run_archegos(parse_archegos_scenario(doc, source="tiny.toml"))
    closes = r.market.levels.to_numpy()
    q = r.positions.loc["X"].to_numpy()
    for date in r.prices.index[1:]:
        T = r.market.dates.get_loc(date)
        start = np.arange(T - 20, T - 2 + 1)
        shocks = np.log(closes[start + 2] / closes[start])  # 19 overlapping 2-day shocks
        pnl = (q * closes[T] * (np.exp(shocks) - 1.0)).sum(axis=1)
        expected = max(-pnl.min(), 0.0)  # 99% of 19 scenarios: the worst loss
        assert r.daily.loc[(date, "X"), "im_model"] == pytest.approx(expected, rel=1e-10)


def test_simm_slices_vs_pooled_by_hand() -> None:
    # both brokers hold only A (SIMM 2.5 equity bucket 5: RW 23, threshold USD 21m per 1%)
    doc = tiny(**{"models.SIMM": {"kind": "simm", "version": "2.5"},
                  "brokers.X.model": "SIMM", "brokers.Y.model": "SIMM",
                  "brokers.X.notional_usd_m": {"A": 1000}, "aggregate.model": "SIMM"})
    r = run_archegos(parse_archegos_scenario(doc, source="tiny.toml"))
    day = D("2021-03-03")  # A at 90: X delta 9m, Y 18m, pooled 27m per 1%
    assert r.daily.loc[(day, "X"), "im_model"] == pytest.approx(23 * 9e6, rel=1e-6)
    assert r.daily.loc[(day, "Y"), "im_model"] == pytest.approx(23 * 18e6, rel=1e-6)
    pooled = 23 * 27e6 * math.sqrt(27 / 21)  # concentration factor above the threshold
    row = r.by_model.loc[(day, "SIMM")]
    assert row["whole_book"] == pytest.approx(pooled, rel=1e-6)
    assert row["sum_of_slices"] == pytest.approx(23 * 27e6, rel=1e-6)
    assert row["whole_book"] > row["sum_of_slices"]  # concentration is superadditive


# ---------------------------------------------------------------------- numerics
def test_sqrt_liquidity_scaling() -> None:
    assert liquidity_factor(np.array([40.0]), np.array([1.0]), 10) == pytest.approx(2.0)
    assert liquidity_factor(np.array([5.0]), np.array([1.0]), 10) == pytest.approx(1.0)
    assert liquidity_factor(np.array([90.0, 10.0]), np.array([1.0, 3.0]), 10) == pytest.approx(
        (3.0 + 3 * 1.0) / 4)
    assert liquidity_factor(np.array([90.0]), np.array([0.0]), 10) == pytest.approx(1.0)
    # quadrupling a position beyond the MPOR doubles the scale (sqrt of time)
    h1 = liquidity_horizons(np.array([30e6]), np.array([10e6]), 0.2)
    h4 = liquidity_horizons(np.array([120e6]), np.array([10e6]), 0.2)
    assert h1 == pytest.approx([15.0]) and h4 == pytest.approx([60.0])
    assert liquidity_factor(h4, np.ones(1), 10) / liquidity_factor(h1, np.ones(1), 10) == \
        pytest.approx(math.sqrt(4.0))


def test_vm_calls_and_liquidation_loss() -> None:
    assert vm_calls(np.array([100.0, 90.0, 95.0])).tolist() == [10.0, -5.0]
    prices = np.array([[10.0, 1.0], [9.0, 1.0], [8.0, 2.0], [7.0, 2.0]])
    loss, proceeds, flat = liquidation_loss(prices, np.array([6.0, 0.0]), 0, 1,
                                            np.array([3, 1]))
    assert proceeds == pytest.approx(2 * (9 + 8 + 7)) and loss == pytest.approx(60 - 48)
    assert flat == 0
    loss, proceeds, flat = liquidation_loss(prices, np.array([0.0, 4.0]), 1, 2,
                                            np.array([1, 4]))
    assert proceeds == pytest.approx(8.0) and loss == pytest.approx(4 - 8) and flat == 2


def test_aggregate_vs_slices_where_it_must_hold(tiny_result: Any) -> None:
    r = tiny_result
    # exposures: the whole (long-only) book exceeds each slice
    expo = r.daily["exposure"].unstack("broker")
    assert (r.aggregate["exposure"].to_numpy()[:, None] >= expo.to_numpy()).all()
    # liquidation horizons of the aggregate position exceed every slice's, name by name
    assert (r.horizons.loc["aggregate"] >= r.horizons.drop("aggregate").max()).all()
    # static margin is linear: whole book = sum of slices
    st = r.by_model.xs("static 10%", level="model")
    assert np.allclose(st["whole_book"], st["sum_of_slices"])
    # ES is subadditive: whole book <= sum of slices; VaR of proportional slices is additive
    doc = tiny(**{"models.HS-ES": {"kind": "hs", "lookback_days": 30, "horizon": 2,
                                   "measure": "es", "confidence": 0.9},
                  "brokers.X.model": "HS-ES", "brokers.Y.model": "HS-ES",
                  "brokers.Y.notional_usd_m": {"A": 600, "B": 1500}})
    es = run_archegos(parse_archegos_scenario(doc, source="t")).by_model.xs("HS-ES",
                                                                             level="model")
    assert (es["whole_book"] <= es["sum_of_slices"] * (1 + 1e-12)).all()
    assert (es["whole_book"] < es["sum_of_slices"]).any()  # some diversification is seen
    doc = tiny(**{"models.HS": {"kind": "hs", "lookback_days": 30, "horizon": 2},
                  "brokers.X.model": "HS", "brokers.Y.model": "HS",
                  "brokers.Y.notional_usd_m": {"A": 3000, "B": 1500}})
    hs = run_archegos(parse_archegos_scenario(doc, source="t")).by_model.xs("HS", level="model")
    assert np.allclose(hs["whole_book"], hs["sum_of_slices"], rtol=1e-10)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"colour": "red"}, r"tiny\.toml: key 'colour': unknown key"),
        ({"brokers.X.colour": 1}, r"tiny\.toml: key 'brokers\.X\.colour': unknown key"),
        ({"default_date": "2021-13-04"},
         r"tiny\.toml: key 'default_date': malformed date '2021-13-04'"),
        ({"path.dates": ["2021-03-01", "1 March"]},
         r"key 'path\.dates\[1\]': malformed date '1 March'"),
        ({"brokers.X.notional_usd_m": {"A": "lots"}},
         r"key 'brokers\.X\.notional_usd_m\.A': must be a number; got 'lots'"),
        ({"brokers.X.notional_usd_m": {"A": -5}},
         r"key 'brokers\.X\.notional_usd_m\.A': must be >= 0; got -5"),
        ({"brokers.X.notional_usd_m": {"ZZZ": 5}},
         r"key 'brokers\.X\.notional_usd_m\.ZZZ': unknown key"),
        ({"brokers.X.model": "magic"}, r"key 'brokers\.X\.model': unknown model 'magic'"),
        ({"liquidation.participation": 1.5},
         r"key 'liquidation\.participation': must be <= 1; got 1\.5"),
        ({"models.static 10%": {"kind": "static", "rate": "ten"}},
         r"tiny\.toml: key 'models\.static 10%': rate must be a number; got 'ten'"),
        ({"models.H": {"kind": "hs", "lookbak_days": 250}},
         r"tiny\.toml: key 'models\.H': unknown setting\(s\) \['lookbak_days'\]"),
        ({"models.H": {"kind": "hs", "lookback_days": 5}},
         r"tiny\.toml: key 'models\.H': lookback_days must be an integer >= 20; got 5"),
        ({"models.H": {"kind": "simm", "version": "9.9"}},
         r"key 'models\.H': version must be 'in_force' or one of .*; got '9\.9'"),
        ({"models.H": {"type": "hs"}}, r"key 'models\.H': key 'type' is from an earlier file "
         r"format: rename 'type' to 'kind'"),
        ({"models.H": {"kind": "schedule"}, "brokers.X.model": "H"},
         r"key 'models\.H': a broker model must be of kind 'static', 'hs' or 'simm'"),
        ({"seed": 1.5}, r"key 'seed': must be an integer >= 0; got 1\.5"),
        ({"default_date": "2021-03-06"}, r"key 'default_date': 2021-03-06 is not a date of"),
        ({"path.closes": {"A": [1, 2], "B": [1, 2, 3, 4, 5, 6, 7]}},
         r"key 'path\.closes\.A': must be a list of 7 closes"),
        ({"names.A.adv_shares": 0}, r"key 'names\.A\.adv_shares': must be > 0; got 0"),
        ({"kind": "study"}, r"key 'kind': must be 'archegos'"),
    ],
)
def test_bad_input_names_file_key_and_value(changes: dict[str, Any], pattern: str) -> None:
    with pytest.raises(InputError, match=pattern):
        parse_archegos_scenario(tiny(**changes), source="tiny.toml")


def test_bad_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('kind = "archegos"\nstart = 2021-02-30\n')
    with pytest.raises(InputError, match=r"bad\.toml: invalid TOML"):
        load_archegos_scenario(bad)
    with pytest.raises(DataNotFoundError, match=r"nope\.toml"):
        load_archegos_scenario(tmp_path / "nope.toml")
    assert not is_archegos_file(bad) and not is_archegos_file(None)
    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    doc = tiny(**{"market": {"history": "data", "data_dir": str(tmp_path)}})
    with pytest.raises(DataNotFoundError, match=r"'market\.history' is 'data'"):
        run_archegos(parse_archegos_scenario(doc, source="tiny.toml"))
    doc = tiny(**{"models.HS": {"kind": "hs", "lookback_days": 250}, "brokers.X.model": "HS"})
    with pytest.raises(InputError, match=r"key 'models\.HS\.lookback_days': 250 needs 250 "
                       r"business days before 2021-03-01; the history \(built-in\) has 40"):
        run_archegos(parse_archegos_scenario(doc, source="tiny.toml"))
    doc = tiny(**{"models.HS": {"kind": "hs", "lookback_days": 40}, "brokers.X.model": "HS"})
    ok = run_archegos(parse_archegos_scenario(doc, source="tiny.toml"))  # exactly enough
    assert (ok.daily.xs("X", level="broker")["im_model"] > 0).all()


# ---------------------------------------------------------------------- the command line
def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return repr(value)


def write_tiny(path: Path, doc: dict[str, Any]) -> Path:
    lines = [f"{json.dumps(k)} = {_toml(v)}" for k, v in doc.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cli_end_to_end_and_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    scen = write_tiny(tmp_path / "tiny.toml", tiny())
    assert is_archegos_file(scen)
    out = tmp_path / "out"
    assert main(["run", str(scen), "--out", str(out)]) == 0
    assert "Archegos replay (built-in history)" in capsys.readouterr().out
    for name in ("report.html", "manifest.json", "figures/archegos_timeline.png",
                 "figures/archegos_default_loss.png", "daily_by_broker.csv",
                 "daily_by_broker.parquet", "default_loss.csv", "aggregate.parquet",
                 "loss_by_default_day.csv", "summary.csv"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"]["history"].startswith("built-in")
    assert manifest["inputs"]["uses_real_data"] is False
    assert manifest["inputs"]["scenario_file"]["path"] == str(scen)
    assert "report.html" in manifest["files"]
    assert set(manifest["key_figures"]["loss_after_im"]) == {"X", "Y", "all brokers",
                                                             "aggregate view"}
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "Loss if the client defaults" in html
    heads = re.findall(r"<th>([^<]*)</th>", html)
    assert "IM at start, USD mn" in heads and "loss after IM with add-on, USD mn" in heads
    assert not [h for h in heads if "_" in h]  # human column names, no raw ones
    assert not list(tmp_path.glob(".out.partial-*"))
    # a bad file: one line, exit 2, the previous results left in place
    bad = write_tiny(tmp_path / "bad.toml", tiny(**{"default_date": "2021-02-30"}))
    res = subprocess.run([sys.executable, "-m", "imresearch", "run", str(bad), "--out",
                          str(out)], capture_output=True, text=True, timeout=300)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert "bad.toml" in lines[0] and "'default_date'" in lines[0] and "2021-02-30" in lines[0]
    assert (out / "report.html").is_file()


# ---------------------------------------------------------------------- the shipped scenario
def test_shipped_scenario_runs_without_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              figures: list) -> None:
    """The shipped file copied where no data folder is found: the built-in history is used.
    Its figures: each broker one colour in both, the aggregate model in its palette colour,
    no text cut or overlapping."""
    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    where = tmp_path / "a" / "b"
    where.mkdir(parents=True)
    scen = where / "archegos_2021.toml"
    scen.write_text(SHIPPED.read_text())
    sc = load_archegos_scenario(scen)
    assert len(sc.names) == 8 and len(sc.brokers) >= 6
    gross = sum(sum(b.notional.values()) for b in sc.brokers.values())
    assert 20e9 <= gross <= 35e9
    assert {m.KIND for m in sc.models.values()} == {"static", "hs", "simm"}
    assert all(0.05 <= m.rate <= 0.20 for m in sc.models.values() if m.KIND == "static")
    r = run_archegos(sc)
    write_archegos(r, tmp_path / "out")
    assert not r.uses_real_data and r.history_source.startswith("built-in")
    assert f"'archegos' not found in {where}" in r.history_source  # says where it looked
    # documented path: ViacomCBS 100.34 on 22 March to 48.23 on 26 March
    assert r.prices.loc[D("2021-03-22"), "VIAC"] == pytest.approx(100.34)
    assert r.prices.loc[D("2021-03-26"), "VIAC"] == pytest.approx(48.23)
    assert list(r.prices.index[1:]) == list(pd.bdate_range("2021-03-19", "2021-03-31"))
    assert set(r.daily.index.get_level_values("broker")) == set(sc.brokers)
    dl = r.default_loss
    assert (dl["closeout_loss"].drop(["all brokers", "aggregate view"]) > 0).all()
    assert dl.loc["all brokers", "loss_after_im"] == pytest.approx(
        dl["loss_after_im"].drop(["all brokers", "aggregate view"]).sum())
    # same seed, same history: reproducible
    again = run_archegos(sc)
    pd.testing.assert_frame_equal(again.daily, r.daily)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["seed"] == sc.seed and manifest["inputs"]["uses_real_data"] is False
    timeline, default_loss = figures
    for fig in figures:
        check_text(fig)
    im_axes, calls_axes = timeline.axes[1], timeline.axes[2]
    by_broker = {line.get_label().split(" (")[0]: mcolors.to_hex(line.get_color())
                 for line in im_axes.get_lines() if " (" in line.get_label()}
    stacked = {h.get_label(): mcolors.to_hex(h.patches[0].get_facecolor())
               for h in default_loss.axes[1].containers}
    assert {b: by_broker[b] for b in sc.brokers} == {b: stacked[b] for b in sc.brokers}
    assert len(set(by_broker.values())) == len(sc.brokers)
    bars = {h.get_label(): mcolors.to_hex(h.patches[0].get_facecolor())
            for h in calls_axes.containers}
    assert all(bars[b] == by_broker[b] for b in sc.brokers)
    aggregate = line_colors(timeline)[f"{sc.aggregate_model} on the whole book"]
    assert aggregate == Palette(sc.models).color(sc.aggregate_model)


def test_shipped_scenario_on_the_real_data(shared_market_data: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    folder = shared_market_data / "archegos_equities"
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent")
    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    r = run_archegos(SHIPPED, data_dir=shared_market_data)
    assert r.uses_real_data and "archegos" in r.history_source
    assert r.market.start == D("2019-06-06")  # GSX listing: start of the common span
    # the documented closes agree with the data
    assert r.path_check is not None and float(r.path_check.abs().max().max()) < 5e-4
    # margin calls peak in the week of the collapse; ViacomCBS fell about 52% 22 -> 26 March
    px = r.prices["VIAC"]
    assert px[D("2021-03-26")] / px[D("2021-03-22")] - 1 == pytest.approx(-0.519, abs=0.002)
    calls = r.daily["total_call"].groupby(level="date").sum()
    assert calls.idxmax() in (D("2021-03-24"), D("2021-03-26"))


def test_scenario_copy_is_independent() -> None:
    a = tiny()
    b = copy.deepcopy(a)
    parse_archegos_scenario(a, source="x")
    assert a == b  # parsing does not mutate the document


def test_block_exit_by_hand_and_reported_losses() -> None:
    """Broker X sells its whole slice in one block on the day after the default at 10% below
    that day's previous close (the default day's close), and reports a loss."""
    doc = tiny(**{"brokers.X.exit": "block", "brokers.X.block_discount": 0.10,
                  "brokers.X.reported_loss_usd_m": 120, "brokers.Y.reported_loss_usd_m": 0})
    r = run_archegos(parse_archegos_scenario(doc, source="t"))
    q_a, q_b = 1000e6 / 100, 500e6 / 50  # shares at the 2 March closes
    mark = q_a * 90 + q_b * 55           # 3 March: the day before the default (4 March)
    proceeds = 0.9 * (q_a * 80 + q_b * 40)  # sold on 5 March off the 4 March close
    row = r.default_loss.loc["X"]
    assert row["exit"] == "block" and row["liquidation_days"] == 1
    assert row["closeout_loss"] == pytest.approx(mark - proceeds)
    assert row["proceeds"] == pytest.approx(proceeds)
    assert row["loss_after_im"] == pytest.approx(max(mark - proceeds - row["im_held"], 0.0))
    assert row["reported_loss"] == 120e6 and r.default_loss.loc["Y", "exit"] == "tranches"
    assert r.default_loss.loc["all brokers", "reported_loss"] == 120e6
    assert np.isnan(r.default_loss.loc["aggregate view", "reported_loss"])
    with pytest.raises(InputError, match=r"key 'brokers\.X\.exit': must be one of "
                                         r"\['tranches', 'block'\]; got 'fire sale'"):
        parse_archegos_scenario(tiny(**{"brokers.X.exit": "fire sale"}), source="t")
    with pytest.raises(InputError, match=r"'brokers\.Y\.block_discount': applies to exit = "
                                         r"'block' only"):
        parse_archegos_scenario(tiny(**{"brokers.Y.block_discount": 0.1}), source="t")


def test_shipped_scenario_reports_the_banks_losses(tmp_path: Path) -> None:
    sc = load_archegos_scenario(SHIPPED)
    early = {b for b, spec in sc.brokers.items() if spec.exit == "block"}
    assert early == {"Goldman Sachs", "Morgan Stanley", "Deutsche Bank", "Wells Fargo"}
    assert sc.brokers["Credit Suisse"].reported_loss == 5500e6
    r = run_archegos(dataclasses.replace(sc, history="builtin"))
    dl = r.default_loss
    # the block sellers that reported no material loss lose nothing after IM in the replay
    for broker in ("Goldman Sachs", "Deutsche Bank", "Wells Fargo"):
        assert dl.loc[broker, "reported_loss"] == 0 and dl.loc[broker, "loss_after_im"] == 0
    # the late sellers lose most, as they reported (rank of the two largest)
    assert list(dl.drop(["all brokers", "aggregate view"])["loss_after_im"].nlargest(2).index) \
        == ["Credit Suisse", "Nomura"]
    write_archegos(r, tmp_path / "out")
    assert "The replay against the losses the banks reported" in (
        tmp_path / "out" / "report.html").read_text()


def test_progress_steps_are_the_steps_said() -> None:
    sc = parse_archegos_scenario(tiny(), source="tiny.toml")
    said: list[str] = []
    run_archegos(sc, progress=said.append)
    assert [*said, "write"] == list(archegos_progress_steps(sc))
