"""The aggregate-IM section: its figures drawn like every report figure (roles' colours, text
inside the figure, nothing overlapping) and its tables readable (human names, USD mn)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from imresearch.aggregate import aggregate_im_series
from imresearch.models import HSModel
from imresearch.portfolio import load_portfolio
from imresearch.report.aggregate_figures import plot_aggregate_calls, plot_exchanged_im
from imresearch.report.palette import ROLES
from imresearch.study import load_study
from imresearch.study.market import load_market
from tests.conftest import REPO_ROOT
from tests.report.figure_checks import check_text

EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture(scope="module")
def series():  # type: ignore[no-untyped-def]
    cfg = load_study(EXAMPLES / "study.toml").market
    market = load_market(cfg.data, factors=cfg.factor_specs())
    book = load_portfolio(EXAMPLES / "portfolio.csv")
    dates = market.dates[-120::5]
    return aggregate_im_series(book, market, dates, HSModel(lookback_days=250),
                               threshold=1e6, terms={"FUND_B": {"threshold": 0.0}})


def _colors(fig) -> set[str]:  # type: ignore[no-untyped-def]
    out = {mcolors.to_hex(line.get_color()) for ax in fig.axes for line in ax.get_lines()}
    out |= {mcolors.to_hex(p.get_facecolor()) for ax in fig.axes for p in ax.patches}
    return out


def test_exchanged_im_figure(series, tmp_path: Path, figures: list) -> None:  # type: ignore[no-untyped-def]
    episodes = [("feb_2018", pd.Timestamp("2018-08-01"), pd.Timestamp("2018-09-14"))]
    plot_exchanged_im(series, tmp_path / "x.png", model="HS 1y", episodes=episodes)
    fig = figures[-1]
    check_text(fig)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    titles = [ax.get_title(loc="left") for ax in visible]
    assert titles[0] == "all counterparties: 2 netting sets"
    assert "FUND_B: 1 netting set, threshold 0" in titles  # no dashed line on the x axis
    assert {ROLES["im collected"], ROLES["im posted"]} <= _colors(fig)
    assert all(ax.xaxis.get_ticklabels() and any(t.get_text() for t in
               ax.xaxis.get_ticklabels()) for ax in visible)  # dates under every panel
    assert any(t.get_text() == "feb 2018" for t in visible[0].texts)
    legend = next(ax for ax in fig.axes if ax.get_legend() is not None and not ax.axison)
    assert "IM collected" in [t.get_text() for t in legend.get_legend().get_texts()]


def test_calls_figure(series, tmp_path: Path, figures: list) -> None:  # type: ignore[no-untyped-def]
    plot_aggregate_calls(series, tmp_path / "c.png", model="HS 1y")
    fig = figures[-1]
    check_text(fig)
    assert {ROLES[r] for r in ("im posted", "vm paid", "im collected", "vm received")} <= (
        _colors(fig))
    assert "USD mn" in fig.axes[0].get_title(loc="left")


def test_sections_tables_are_readable(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from imresearch.aggregate import aggregate_im
    from imresearch.report.aggregate_report import aggregate_sections
    from imresearch.study.settings import AggregateConfig

    cfg = load_study(EXAMPLES / "study.toml").market
    market = load_market(cfg.data, factors=cfg.factor_specs())
    book = load_portfolio(EXAMPLES / "portfolio.csv")
    dates = market.dates[-60::5]
    s = aggregate_im_series(book, market, dates, HSModel(lookback_days=250), threshold=1e6)
    on_date = pd.concat([aggregate_im(book, market, market.end, m, threshold=1e6)
                         .by_netting_set.assign(model=label)
                         for label, m in {"HS 1y": HSModel(lookback_days=250),
                                          "HS 2y": HSModel(lookback_days=500)}.items()])
    on_date = on_date.reset_index()
    totals = on_date.groupby("model", sort=False)[["im_call", "im_post", "collect",
                                                    "post"]].sum()
    agg = SimpleNamespace(series=s, on_date=on_date, totals=totals, model="HS 1y",
                          config=AggregateConfig(threshold=1e6))
    results = SimpleNamespace(aggregate=agg, market=SimpleNamespace(
        market=market, episodes=[]))
    sections = aggregate_sections(results, {"aggregate_exchanged": Path("a.png"),
                                            "aggregate_calls": Path("b.png")})
    tables = [sec["table"] for sec in sections if "table" in sec]
    assert len(tables) == 4
    for table in tables:
        names = [str(c) for c in table.columns]
        assert not any("_" in n for n in names), names  # human names, no raw columns
        assert len(names) == len(set(names))
        assert all(isinstance(v, str) for v in table.to_numpy().ravel())
        assert not table.to_numpy().astype(str).tolist().__str__().count("e+")
    per_set = tables[1]
    assert list(per_set.columns) == ["netting set", "counterparty", "HS 1y", "HS 2y"]
    c, p = on_date.set_index(["netting_set", "model"]).loc[("FUND_B-ISDA", "HS 2y"),
                                                           ["collect", "post"]]
    row = per_set.set_index("netting set").loc["FUND_B-ISDA", "HS 2y"]
    assert row == f"{c / 1e6:,.1f} / {p / 1e6:,.1f}"
    assert tables[0].columns[1] == "model IM, call side, USD mn"


def test_exchanged_im_legend_row_when_the_grid_is_full(series, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                       figures: list) -> None:
    """Five counterparties fill a 3 x 2 grid: the legend gets a short row of its own, every
    panel keeps its dates, and no text overlaps or leaves the figure."""
    from types import SimpleNamespace

    frame = series.by_netting_set
    copies = []
    for k in range(3):
        part = frame.assign(counterparty=frame["counterparty"] + f"_{k}")
        part.index = part.index.set_levels(
            [f"{n}_{k}" for n in part.index.levels[1]], level="netting_set")
        copies.append(part)
    many = pd.concat(copies)
    many = many[many["counterparty"] != "FUND_B_2"]
    plot_exchanged_im(SimpleNamespace(by_netting_set=many), tmp_path / "five.png")
    fig = figures[-1]
    check_text(fig)
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(visible) == 6
    legend_ax = next(ax for ax in fig.axes if ax.get_legend() is not None and not ax.axison)
    assert legend_ax.get_position().height < 0.5 * visible[0].get_position().height
