"""Episode replays: every column traced back to the engine it comes from, metrics by hand."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest

from imresearch.engines import historical_im, realised_pnl
from imresearch.engines.mc import monte_carlo_im
from imresearch.errors import InputError
from imresearch.marketdata import load_builtin
from imresearch.models import HSModel, MCModel, ScheduleModel, SimmModel, date_seed
from imresearch.portfolio import EquityOption, EquityPosition, Portfolio, bind
from imresearch.portfolio.sensitivities import schedule_inputs, to_crif
from imresearch.procyclicality import apc
from imresearch.procyclicality.metrics import coverage, margin_calls, max_increase, peak_to_trough
from imresearch.report.palette import SCHEDULE_COLOR, SIMM_COLOR, label_style
from imresearch.report.replay_figures import plot_replay
from imresearch.scenarios import load_episode
from imresearch.scenarios.replay import replay, replay_episodes
from imresearch.schedule import schedule_im
from imresearch.simm import simm
from tests.report.figure_checks import check_text, line_colors

HS = HSModel(lookback_days=250)


@pytest.fixture(scope="module")
def market():  # type: ignore[no-untyped-def]
    return load_builtin("synthetic_small")


@pytest.fixture(scope="module")
def book() -> Portfolio:
    return Portfolio([
        EquityPosition(trade_id="EQ1", underlying="SPX", bucket="11", quantity=2.0e4),
        EquityPosition(trade_id="EQ2", underlying="SPX", bucket="11", quantity=5.0e3,
                       direction="short"),
        EquityOption(trade_id="OP1", underlying="SPX", bucket="11", quantity=3.0e3,
                     direction="short", strike=1300.0, expiry="2011-06-30", option_type="put",
                     vol_factor="VOL_VIX"),
    ], name="small")


@pytest.fixture(scope="module")
def gfc(market, book):  # type: ignore[no-untyped-def]
    return replay(book, market, "gfc_2008", models={"HS 1y": HS, "SIMM": SimmModel(),
                                                     "schedule": ScheduleModel()},
                  tools={"buffer": apc.buffer}, lookback_days=20)


def test_dates_and_columns(gfc, market) -> None:  # type: ignore[no-untyped-def]
    ep = load_episode("gfc_2008")
    inside = market.dates[(market.dates >= ep.start) & (market.dates <= ep.end)]
    first = market.dates.get_loc(inside[0])
    assert gfc.im.index.equals(pd.DatetimeIndex(market.dates[first - 20:first + len(inside)]))
    assert gfc.lookback_start == market.dates[first - 20]
    assert gfc.models == ["HS 1y", "SIMM", "schedule"]
    assert list(gfc.im.columns) == ["HS 1y", "SIMM", "schedule", "HS 1y | buffer",
                                    "SIMM | buffer", "schedule | buffer"]
    assert gfc.im.notna().all().all() and (gfc.im > 0).all().all()
    assert any("1.0" in n and "no SIMM was in force" in n for n in gfc.notes)


def test_each_model_matches_its_engine(gfc, market, book) -> None:  # type: ignore[no-untyped-def]
    bound = bind(book, market)  # terms fixed on the market's last date, as rolling_im does
    levels = market.select(bound.factor_names)
    for date in gfc.im.index[[0, 37, -1]]:
        # HS: the rolling kernel against the one-date engine
        assert gfc.im.loc[date, "HS 1y"] == pytest.approx(
            historical_im(bound, market, date, HS).im, rel=1e-10)
        at = dataclasses.replace(bound, base_levels=levels.values[levels.dates.get_loc(date)],
                                 date=date)
        assert gfc.im.loc[date, "SIMM"] == pytest.approx(
            simm(to_crif(at), version="1.0").total, rel=1e-12)
        assert gfc.im.loc[date, "schedule"] == pytest.approx(
            schedule_im(schedule_inputs(at)).total, rel=1e-12)


def test_calls_pnl_exceptions_and_tools(gfc, market, book) -> None:  # type: ignore[no-untyped-def]
    pd.testing.assert_frame_equal(gfc.calls, gfc.im.diff())
    expected_pnl = realised_pnl(bind(book, market), market, 10)
    pd.testing.assert_series_equal(gfc.pnl, expected_pnl.reindex(gfc.im.index),
                                   check_names=False)
    assert gfc.pnl.name == "pnl_10d"
    loss = -gfc.pnl
    known = loss.notna()
    assert known.all()  # the data run past the episode
    for col in gfc.im:
        assert gfc.exceptions.loc[~known, col].isna().all()
        assert (gfc.exceptions.loc[known, col] == (loss[known] > gfc.im.loc[known, col])).all()
    pd.testing.assert_series_equal(gfc.im["HS 1y | buffer"], apc.buffer(gfc.im["HS 1y"]),
                                   check_names=False)
    assert (gfc.im["HS 1y | buffer"] >= gfc.im["HS 1y"]).all()


def test_exceptions_unknown_at_the_end_of_the_data(market, book) -> None:  # type: ignore[no-untyped-def]
    short = market.window(market.start, "2009-03-31")  # the data end with the episode
    out = replay(book, short, "gfc_2008", models={"HS 1y": HS}, lookback_days=0)
    assert out.pnl.isna().sum() == 10 and out.pnl.iloc[-10:].isna().all()
    assert out.exceptions["HS 1y"].iloc[-10:].isna().all()
    assert out.exceptions["HS 1y"].iloc[:-10].notna().all()


def test_metrics_table_by_hand(gfc) -> None:  # type: ignore[no-untyped-def]
    t = gfc.table
    assert t.index.names == ["model", "tool"]
    assert set(t.index) == {(m, tool) for m in gfc.models for tool in ("none", "buffer")}
    x = gfc.im["HS 1y"]
    row = t.loc[("HS 1y", "none")]
    assert row["average_im"] == pytest.approx(x.mean())
    assert row["peak_im"] == x.max() and row["peak_date"] == x.idxmax()
    assert row["peak_to_trough"] == pytest.approx(x.max() / x.min())
    assert row["peak_to_trough"] == pytest.approx(peak_to_trough(x))
    rises = (x / x.shift(5) - 1).max()
    assert row["max_5d_increase"] == pytest.approx(rises)
    assert row["max_20d_increase"] == pytest.approx(max_increase(x, 20))
    assert row["total_calls"] == pytest.approx(x.diff().clip(lower=0).sum())
    assert row["total_calls"] == pytest.approx(float(margin_calls(x, days=5)["total_calls"]))
    p = gfc.pnl.dropna()
    flags = (-p > x.loc[p.index]).to_numpy()
    assert row["breaches"] == flags.sum()
    runs = sum(1 for i in range(len(flags)) if flags[i] and (i == 0 or not flags[i - 1]))
    assert row["breach_clusters"] == runs and 0 < runs <= row["breaches"]
    assert row["worst_shortfall"] == pytest.approx(float(coverage(x.loc[p.index], p)
                                                         ["worst_shortfall"]))
    ep = load_episode("gfc_2008")
    assert row["ptr_vs_pre"] == pytest.approx(x[x.index >= ep.start].max()
                                              / x[x.index < ep.start].mean())


def test_slow_models_are_held_between_recomputations(market, book) -> None:  # type: ignore[no-untyped-def]
    full = replay(book, market, "gfc_2008", models={"SIMM": SimmModel()}, lookback_days=0)
    slow = replay(book, market, "gfc_2008", models={"SIMM": SimmModel()}, lookback_days=0,
                  slow_step=5)
    n = len(full.im)
    picked = np.arange(0, n, 5)
    np.testing.assert_allclose(slow.im["SIMM"].to_numpy()[picked],
                               full.im["SIMM"].to_numpy()[picked], rtol=1e-12)
    held = slow.im["SIMM"].to_numpy()
    for a, b in itertools.pairwise([*picked, n]):
        assert (held[a:b] == held[a]).all()  # held forward, never filled from the future
    assert held[0] == full.im["SIMM"].iloc[0]
    # a step longer than the replay: the first date's value, held
    once = replay(book, market, "gfc_2008", models={"SIMM": SimmModel()}, lookback_days=0,
                  slow_step=10_000)
    assert (once.im["SIMM"] == full.im["SIMM"].iloc[0]).all()
    assert any("every 5 business days" in n for n in slow.notes)


def test_monte_carlo_column_seeds_each_date(market, book) -> None:  # type: ignore[no-untyped-def]
    model = MCModel(lookback_days=250, n_paths=2000, seed=7)
    out = replay(book, market, "gfc_2008", models={"MC": model}, lookback_days=0,
                 slow_step=40)
    bound = bind(book, market)
    levels = market.select(bound.factor_names)
    for i in (0, 40, 80):
        date = out.im.index[i]
        at = dataclasses.replace(bound, base_levels=levels.values[levels.dates.get_loc(date)],
                                 date=date)
        want = monte_carlo_im(at, market, date, model, seed=date_seed(7, date)).im
        assert out.im.loc[date, "MC"] == pytest.approx(want, rel=1e-12)
        assert (out.im["MC"].iloc[i:i + 40] == out.im["MC"].iloc[i]).all()
    assert any("2000 paths, each date seeded from seed 7" in n for n in out.notes)


def test_bad_input(market, book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match=r"episode covid_2020 \(2020-02-.* is outside the data "
                                         r"synthetic_small \(2007-01-02 .. 2010-12-31\)"):
        replay(book, market, "covid_2020", models={"HS 1y": HS})
    with pytest.raises(InputError, match=r"model 'HS 10y': .*lookback of 2520 days"):
        replay(book, market, "gfc_2008", models={"HS 10y": HSModel(lookback_days=2520)})
    with pytest.raises(InputError, match=r"model 'X': expected a model spec of "
                                         r"imresearch.models .*; got 'simm'"):
        replay(book, market, "gfc_2008", models={"X": "simm"})
    with pytest.raises(InputError, match=r"model 'SIMM 1d': horizon 1 differs"):
        replay(book, market, "gfc_2008", models={"SIMM 1d": SimmModel(mpor_days=1)})
    with pytest.raises(InputError, match="models is empty"):
        replay(book, market, "gfc_2008", models={})
    with pytest.raises(InputError, match="slow_step"):
        replay(book, market, "gfc_2008", models={"HS 1y": HS}, slow_step=0)
    for bad in (0, -3, 2.5):
        with pytest.raises(InputError, match="horizon"):
            replay(book, market, "gfc_2008", models={"HS 1y": HS}, horizon=bad)
    with pytest.raises(InputError, match=r"model 'HS 5d': horizon 5 differs from the replay's "
                                         r"horizon=10"):
        replay(book, market, "gfc_2008", models={"HS 5d": HSModel(lookback_days=250, horizon=5)})
    with pytest.raises(InputError, match=r"tool 'bad' on model 'HS 1y': must return a Series"):
        replay(book, market, "gfc_2008", models={"HS 1y": HS}, tools={"bad": lambda s: s.iloc[1:]})


def test_replay_episodes_keeps_uncovered_episodes_as_rows(market, book) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="lookback_days"):  # bad arguments are not "skipped"
        replay_episodes(book, market, ["gfc_2008"], models={"HS 1y": HS}, lookback_days=-1)
    table = replay_episodes(book, market, ["gfc_2008", "covid_2020", "crash_1987"],
                            models={"HS 1y": HS}, lookback_days=10)
    assert table.index.names == ["episode", "model", "tool"]
    assert table.loc[("gfc_2008", "HS 1y", "none"), "status"] == "ok"
    for name in ("covid_2020", "crash_1987"):
        status = table.loc[(name, "", ""), "status"]
        assert "outside the data synthetic_small" in status
    gfc = replay(book, market, "gfc_2008", models={"HS 1y": HS}, lookback_days=10).table
    assert table.loc[("gfc_2008", "HS 1y", "none"), "average_im"] == pytest.approx(
        gfc.loc[("HS 1y", "none"), "average_im"])


def test_replay_figure(gfc, tmp_path, figures) -> None:  # type: ignore[no-untyped-def]
    kept = figures  # each figure, to inspect what it draws
    out = plot_replay(gfc, tmp_path / "gfc.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    check_text(kept[-1])
    colors = line_colors(kept[-1])  # the models in their palette colours
    assert colors["SIMM"] == SIMM_COLOR and colors["schedule"] == SCHEDULE_COLOR
    assert colors["HS 1y"] == label_style("HS 1y").color
    ax, axc = kept[-1].axes
    lines = ax.get_lines()
    model_lines = [ln for ln in lines if ln.get_label() in gfc.models]
    assert [ln.get_label() for ln in model_lines] == gfc.models
    for line, name in zip(model_lines, gfc.models, strict=True):  # each line is its IM column
        np.testing.assert_allclose(line.get_ydata(), gfc.im[name].to_numpy())
    assert gfc.episode.title in ax.get_title(loc="left")
    assert ax.get_ylabel() == "IM and realised loss (USD)"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "realised 10d loss from each date" in legend
    # one x per exception of each model, at the realised loss
    marks = sum(len(c.get_offsets()) for c in ax.collections if c.get_offsets().size
                and c.get_label().startswith("_"))
    assert marks == int(gfc.exceptions[gfc.models].fillna(False).to_numpy().sum())
    # a bar per model and date in the calls panel, its height the positive IM change
    assert [len(c) for c in axc.containers] == [len(gfc.im)] * len(gfc.models)
    for bars, name in zip(axc.containers, gfc.models, strict=True):
        np.testing.assert_allclose([b.get_height() for b in bars],
                                   gfc.calls[name].clip(lower=0).fillna(0).to_numpy())
    # with a tool: the charged columns
    plot_replay(gfc, tmp_path / "gfc_buffer.png", models=["HS 1y"], tool="buffer")
    (line,) = [ln for ln in kept[-1].axes[0].get_lines() if ln.get_label() == "HS 1y"]
    np.testing.assert_allclose(line.get_ydata(), gfc.im["HS 1y | buffer"].to_numpy())
    assert "with buffer" in kept[-1].axes[0].get_title(loc="left")
    with pytest.raises(InputError, match="no IM column 'nope'"):
        plot_replay(gfc, tmp_path / "x.png", models=["nope"])
