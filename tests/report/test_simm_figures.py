"""SIMM calibration-lag figures: what a reader needs is on them, and they write PNGs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from imresearch.report.simm_figures import plot_calibration_lag, plot_version_timeline
from imresearch.scenarios.simm_lag import episode_versions
from imresearch.simm import version_schedule

PNG = b"\x89PNG\r\n\x1a\n"


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_version_timeline(tmp_path: Path) -> None:
    path = tmp_path / "timeline.png"
    fig = plot_version_timeline(path=path)
    assert path.read_bytes().startswith(PNG)
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[0] == "1.0" and ticks[-1] == "2.8+2512" and len(ticks) == len(version_schedule())
    assert "2.5A (InterestRate only)" in ticks
    texts = _texts(fig)
    for name in episode_versions().index:  # every SIMM-era episode is named
        assert name.replace("_", " ") in texts
    lags = episode_versions()["lag_months"].round().astype(int)
    assert {f"+{m} m" for m in lags} <= set(texts)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("3 recent years" in t for t in legend) and "in force" in legend


def _lag_frame() -> pd.DataFrame:
    rows = []
    dates = pd.to_datetime(["2020-03-02", "2020-03-16", "2020-03-30"])
    for ep, versions, first in (("covid_2020", ["2.2", "2.3", "2.4"], "2.4"),
                                ("svb_2023", ["2.5", "2.6"], None)):
        for d in dates:
            for i, v in enumerate(versions):
                rows.append({"episode": ep, "date": d, "version": v,
                             "effective_date": pd.Timestamp("2019-12-01") + pd.DateOffset(
                                 years=i), "role": "in force" if i == 0 else "later",
                             "sees_episode": v == first, "simm": 1e6 * (40 + 5 * i)})
            rows.append({"episode": ep, "date": d, "version": "recalibrated",
                         "effective_date": pd.NaT, "role": "recalibrated",
                         "sees_episode": True, "simm": 5.2e7})
    out = pd.DataFrame(rows)
    out["ratio_to_in_force"] = 1.0
    return out


def test_calibration_lag_figure(tmp_path: Path) -> None:
    path = tmp_path / "lag.png"
    fig = plot_calibration_lag(_lag_frame(), path)
    assert path.read_bytes().startswith(PNG)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
    assert len(panels) == 2
    assert "first to see it: 2.4" in panels[0].get_title()
    assert "no published version's data contain it yet" in panels[1].get_title()
    covid = panels[0]
    assert len(covid.get_lines()) == 4  # in force, two later versions, recalibrated
    styles = {tuple(line.get_ydata()): line.get_linestyle() for line in covid.get_lines()}
    assert styles[(50.0, 50.0, 50.0)] == "-"   # 2.4 sees it
    assert styles[(45.0, 45.0, 45.0)] == "--"  # 2.3 is blind
    assert covid.get_ylabel() == "SIMM, USD mn"
    legend_ax = next(ax for ax in fig.axes if ax.get_legend() is not None)
    entries = [t.get_text() for t in legend_ax.get_legend().get_texts()]
    assert "SIMM 2.3" in entries and "SIMM 2.4" in entries and "SIMM 2.6" in entries
    assert "version in force on the date" in entries


def test_calibration_lag_one_episode_has_its_legend_beside_it(tmp_path: Path) -> None:
    """One episode (the usual case of a study): the legend sits beside the panel, not in a
    second row of empty space below it."""
    lag = _lag_frame()
    fig = plot_calibration_lag(lag[lag["episode"] == "covid_2020"], tmp_path / "one.png")
    panel = next(ax for ax in fig.axes if ax.get_visible() and ax.get_title())
    legend_ax = next(ax for ax in fig.axes if ax.get_legend() is not None)
    assert legend_ax.get_position().x0 > panel.get_position().x1  # to the right
    assert fig.get_figheight() < 4
