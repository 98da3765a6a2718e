"""The backtests' traffic-light figure: every strip, its legend inside the figure, no warning."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch.report.backtest_report import plot_rolling_traffic_light
from imresearch.study.backtests import BacktestResults
from imresearch.study.settings import BacktestConfig
from tests.report.figure_checks import check_text


def _results(n_models: int, n_groups: int, start: str, end: str) -> BacktestResults:
    dates = pd.bdate_range(start, end)[::5]
    zones = np.random.default_rng(3).choice(["green", "yellow", "red"], len(dates))
    rolling = pd.DataFrame([
        {"model": f"HS {m + 1}y", "horizon": h, "by": "netting_set", "group": f"NS_{g}",
         "date": d, "zone": z}
        for h in (1, 10) for m in range(n_models) for g in range(n_groups)
        for d, z in zip(dates, zones)])
    empty = pd.DataFrame()
    return BacktestResults(summary=empty, exceptions=empty, rolling=rolling,
                           responsiveness=empty, config=BacktestConfig(), episodes=[],
                           market_name="test")


def test_traffic_light_legend_and_dates_fit(tmp_path: Path, figures: list) -> None:
    # the default study's shape: many strips over four years (its legend left the figure and
    # its date axis made matplotlib warn)
    for n_models, n_groups, start, end in [(6, 10, "2014-10-16", "2018-12-11"),
                                           (1, 1, "2020-01-02", "2020-03-31")]:
        results = _results(n_models, n_groups, start, end)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            path = plot_rolling_traffic_light(results, tmp_path / "tl.png")
        assert path is not None and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        fig = figures[-1]
        check_text(fig)
        assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [
            "green", "yellow", "red"]
        assert [len(ax.get_yticks()) for ax in fig.axes] == [n_models * n_groups] * 2
