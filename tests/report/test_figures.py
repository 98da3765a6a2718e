"""Report figures: each writes a PNG with the labels, units and legends a margin researcher reads.

The figure functions build pyplot-free Figures; the ``figures`` fixture (tests/conftest.py) keeps
a reference to each so that the tests can inspect axes, lines, legends and text placement.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from imresearch.models import HSModel, MCModel, ScheduleModel, SimmModel
from imresearch.report import figures as F
from imresearch.report import html_report
from imresearch.report.palette import SCHEDULE_COLOR, SIMM_COLOR, Palette
from tests.report.figure_checks import check_legends_clear, check_text, line_colors

PNG = b"\x89PNG\r\n\x1a\n"

#: A study's models (the figures are drawn with their labels and styles).
MODELS = {
    "HS 10y": HSModel(lookback_days=2520),
    "HS 3y+stress": HSModel(lookback_days=756, stress=True),
    "FHS-EWMA 10y": HSModel(lookback_days=2520, filtering="ewma"),
    "HS 1y": HSModel(lookback_days=252),
    "HS 1y+stress 25%": HSModel(lookback_days=252, stress=True, stress_weight=0.25),
    "MC 3y+stress": MCModel(window="recent+stress", lookback_days=750),
    "SIMM": SimmModel(),
    "Schedule": ScheduleModel(),
}


def _legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def _is_png(path: Path) -> bool:
    return path.is_file() and path.read_bytes()[:8] == PNG


def test_im_comparison_with_mc_interval(tmp_path: Path, figures: list) -> None:
    on_date = pd.DataFrame({
        "im": [10e6, 12e6, 30e6, 50e6],
        "kind": ["historical simulation", "Monte Carlo", "ISDA SIMM", "BCBS-IOSCO schedule"],
        "ci_lower": [np.nan, 11e6, np.nan, np.nan],
        "ci_upper": [np.nan, 13.5e6, np.nan, np.nan],
    }, index=["HS 10y", "MC 3y", "SIMM 2.6", "Schedule"])
    path = F.plot_im_comparison(on_date, tmp_path / "c.png", date=pd.Timestamp("2026-01-02"))
    assert _is_png(path)
    ax = figures[-1].axes[0]
    title = ax.get_title(loc="left")
    assert ax.get_xlabel().startswith("IM, USD mn") and "2026-01-02" in title
    assert "Monte Carlo confidence interval" in ax.get_xlabel()
    # bars in the models' colours: SIMM and the schedule in their fixed colours
    colors = {t.get_text(): b.get_facecolor() for t, b in zip(ax.get_yticklabels(),
                                                              ax.patches, strict=True)}
    assert mcolors.to_hex(colors["SIMM 2.6"]) == SIMM_COLOR
    assert mcolors.to_hex(colors["Schedule"]) == SCHEDULE_COLOR
    check_text(figures[-1])
    # one error bar, on the Monte Carlo row, from 11 to 13.5 (USD mn)
    bars = [c for c in ax.collections if c.get_segments()]
    assert len(bars) == 1
    (x0, _), (x1, _) = bars[0].get_segments()[0]
    assert (x0, x1) == pytest.approx((11.0, 13.5))
    # without interval columns: no error bar, no interval legend entry
    F.plot_im_comparison(on_date[["im", "kind"]], tmp_path / "d.png")
    assert "interval" not in figures[-1].axes[0].get_xlabel()


def test_pnl_distributions_hs_and_mc(tmp_path: Path, figures: list) -> None:
    rng = np.random.default_rng(0)
    hs, mc = rng.normal(0, 5e6, 2500), rng.normal(0, 6e6, 20000)
    path = F.plot_pnl_distributions({"HS 10y": (hs, 11.6e6, 13.3e6),
                                     "MC 3y": (mc, 14e6, 16e6)}, tmp_path / "p.png",
                                    var_ci={"MC 3y": (13.5e6, 14.6e6)}, title="t")
    assert _is_png(path)
    ax = figures[-1].axes[0]
    assert ax.get_ylabel() == "density (per USD mn)"
    assert "USD mn" in ax.get_xlabel()
    texts = _legend_texts(ax)
    assert "HS 10y (2,500 scenarios)" in texts and "MC 3y (20,000 paths)" in texts
    assert "HS 10y: 99% VaR 11.6 mn" in texts and "MC 3y: 99% ES 16.0 mn" in texts
    assert "MC 3y: VaR interval 13.5 - 14.6" in texts
    # VaR lines at minus the loss (losses to the left)
    xs = sorted(line.get_xdata()[0] for line in ax.get_lines())
    assert xs == pytest.approx([-16.0, -14.0, -13.3, -11.6])
    # densities: each histogram integrates to about 1
    heights = np.array([p.get_height() for p in ax.patches[:89]])
    width = ax.patches[0].get_width()
    assert heights.sum() * width == pytest.approx(1.0, abs=0.01)


def test_mc_convergence(tmp_path: Path, figures: list) -> None:
    n = np.array([125, 250, 500, 1000, 2000])
    conv = pd.DataFrame({"var": [9e6, 10.5e6, 10e6, 10.2e6, 10.1e6],
                         "ci_lower": [7e6, 8.9e6, 9.1e6, 9.6e6, 9.7e6],
                         "ci_upper": [12e6, 12e6, 11e6, 10.8e6, 10.5e6]},
                        index=pd.Index(n, name="n_paths"))
    path = F.plot_mc_convergence(conv, tmp_path / "m.png", label="MC 3y",
                                 references={"HS 10y": 9.5e6, "HS 3y+stress": 12.8e6})
    assert _is_png(path)
    ax, ax2 = figures[-1].axes
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "IM, USD mn"
    assert "number of paths" in ax.get_xlabel()
    assert _legend_texts(ax) == ["95% interval (order statistics)", "MC 3y: 99% VaR",
                                 "HS 10y: 9.5", "HS 3y+stress: 12.8"]
    check_text(figures[-1])
    check_legends_clear(figures[-1])  # a reference line above the band stays visible
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(7.0) and band[:, 1].max() == pytest.approx(12.0)
    half = ax2.get_lines()[0].get_ydata()
    assert half[-1] == pytest.approx(100 * 0.4 / 10.1)  # half-width in % of IM
    assert ax2.get_ylabel() == "half-width, % of IM"


def _monthly() -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = pd.DatetimeIndex(pd.date_range("2022-06-30", periods=12, freq="ME"), name="date")
    monthly = pd.DataFrame({
        "simm": np.full(12, 40e6),
        "simm_version": ["2.5"] * 9 + ["2.6"] * 3,
        "before_first_version": [True] * 5 + [False] * 7,
        "HS 10y": np.linspace(10e6, 20e6, 12),
        "MC 3y": np.full(12, 12e6),
        "MC 3y ci_lower": np.full(12, 11e6),
        "MC 3y ci_upper": np.full(12, 13e6),
    }, index=idx)
    return monthly, monthly[["HS 10y", "MC 3y"]].div(monthly["simm"], axis=0)


def test_im_vs_simm(tmp_path: Path, figures: list) -> None:
    monthly, ratio = _monthly()
    episodes = [("rates_2022", pd.Timestamp("2022-09-01"), pd.Timestamp("2022-10-31")),
                ("outside", pd.Timestamp("2010-01-01"), pd.Timestamp("2010-02-01"))]
    path = F.plot_im_vs_simm(monthly, ratio, episodes, tmp_path / "s.png", mc_labels=["MC 3y"])
    assert _is_png(path)
    ax, axr = figures[-1].axes
    assert ax.get_ylabel() == "IM, USD mn" and axr.get_ylabel() == "model IM / SIMM"
    assert _legend_texts(ax) == ["ISDA SIMM (version in force)", "HS 10y", "MC 3y",
                                 "MC 3y: MC interval", "stress episode"]
    lines = {line.get_label(): line for line in axr.get_lines()}
    assert lines["HS 10y"].get_ydata() == pytest.approx(ratio["HS 10y"].to_numpy())
    assert any(np.allclose(line.get_ydata(), 1.0) for line in axr.get_lines())  # the 1 line
    texts = [t.get_text() for t in ax.texts]
    assert any("SIMM 2.5 (before it took effect)" in t for t in texts)
    assert any("SIMM 2.6" in t for t in texts)
    assert [t.get_text() for t in axr.texts] == ["rates 2022"]  # only episodes in range
    check_text(figures[-1])
    title = axr.get_title(loc="left")
    assert "Hatched" in title
    # the MC band on the ratio panel is the interval over SIMM
    band = axr.collections[-1].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(11 / 40) and band[:, 1].max() == pytest.approx(
        13 / 40)


def test_im_vs_simm_without_mc_or_early_dates(tmp_path: Path, figures: list) -> None:
    monthly, ratio = _monthly()
    monthly["before_first_version"] = False
    F.plot_im_vs_simm(monthly, ratio[["HS 10y"]], [], tmp_path / "s.png")
    ax, axr = figures[-1].axes
    assert _legend_texts(ax) == ["ISDA SIMM (version in force)", "HS 10y"]
    title = axr.get_title(loc="left")
    assert "Hatched" not in title


def test_html_report_embeds_figures_and_escapes(tmp_path: Path, figures: list) -> None:
    monthly, ratio = _monthly()
    fig = F.plot_im_vs_simm(monthly, ratio, [], tmp_path / "s.png", mc_labels=["MC 3y"])
    page = html_report("IM <study>", [{"heading": "A & B", "text": "x < y\n\nsecond",
                                       "table": ratio.head(2), "figure": fig,
                                       "caption": "ratio"}], manifest={"seed": 1})
    assert "<title>IM &lt;study&gt;</title>" in page and "<h2 id='a-b'>A &amp; B</h2>" in page
    assert page.count("data:image/png;base64,") == 1 and "<p>second</p>" in page
    assert "<table" in page and "&quot;seed&quot;: 1" in page


# ------------------------------------------------------------------ the one visual language
def _study_like() -> dict:
    """Inputs of every study figure, with the default study's model labels."""
    rng = np.random.default_rng(1)
    dates = pd.bdate_range("2017-01-02", "2026-01-02", freq="5B", name="date")
    hs = [k for k, m in MODELS.items() if m.KIND == "hs"]
    im = pd.DataFrame({k: 10e6 + 1e6 * (i + rng.random(len(dates)).cumsum() / 50)
                       for i, k in enumerate(hs)}, index=dates)
    realised = pd.Series(rng.normal(0, 5e6, len(dates)), index=dates)
    months = pd.DatetimeIndex(pd.Series(dates, index=dates).groupby(
        dates.to_period("M")).max().to_numpy(), name="date")
    monthly = im.reindex(months).assign(**{
        "MC 3y+stress": 12e6, "MC 3y+stress ci_lower": 11e6, "MC 3y+stress ci_upper": 13e6,
        "SIMM": 40e6, "Schedule": 80e6, "simm": 40e6,
        "simm_version": ["2.5"] * (len(months) - 30) + ["2.6"] * 15 + ["2.7+2412"] * 15,
        "before_first_version": [True] * 60 + [False] * (len(months) - 60)})
    cols = [*hs, "MC 3y+stress", "Schedule"]
    episodes = [("volmageddon_2018", pd.Timestamp("2018-01-29"), pd.Timestamp("2018-02-28")),
                ("covid_2020", pd.Timestamp("2020-02-20"), pd.Timestamp("2020-03-23")),
                ("covid_rebound_2020", pd.Timestamp("2020-03-24"), pd.Timestamp("2020-04-30")),
                ("rates_2022", pd.Timestamp("2022-01-03"), pd.Timestamp("2022-10-31")),
                ("late", pd.Timestamp("2025-12-01"), pd.Timestamp("2026-03-01"))]
    on_date = pd.DataFrame({"im": [im[k].iloc[-1] for k in hs] + [12e6, 40e6, 80e6],
                            "kind": ["historical simulation"] * len(hs) + ["Monte Carlo",
                                                                           "ISDA SIMM",
                                                                           "BCBS-IOSCO schedule"],
                            "ci_lower": [np.nan] * len(hs) + [11e6, np.nan, np.nan],
                            "ci_upper": [np.nan] * len(hs) + [13e6, np.nan, np.nan]},
                           index=[*hs, "MC 3y+stress", "SIMM", "Schedule"])
    conv = pd.DataFrame({"var": [13e6, 12.4e6, 12e6], "ci_lower": [10e6, 11e6, 11.5e6],
                         "ci_upper": [15e6, 14e6, 12.6e6]},
                        index=pd.Index([5000, 10000, 20000], name="n_paths"))
    return {"im": im, "realised": realised, "monthly": monthly,
            "vs_simm": monthly[cols].div(monthly["simm"], axis=0), "episodes": episodes,
            "on_date": on_date, "conv": conv}


@pytest.mark.parametrize("with_palette", [True, False])
def test_one_colour_per_model_across_figures(tmp_path: Path, figures: list,
                                             with_palette: bool) -> None:
    """The same model has the same colour in every figure, whether the report passes its
    palette or each figure derives it from the labels; no text overlaps or is cut."""
    d = _study_like()
    kw = {"palette": Palette(MODELS)} if with_palette else {}
    F.plot_im_through_time(d["im"], d["realised"], d["episodes"], tmp_path / "a.png",
                           exceptions_for="HS 10y", synthetic=True, **kw)
    F.plot_im_vs_simm(d["monthly"], d["vs_simm"], d["episodes"], tmp_path / "b.png",
                      mc_labels=["MC 3y+stress"], **kw)
    F.plot_mc_convergence(d["conv"], tmp_path / "c.png", label="MC 3y+stress",
                          references={"HS 10y": 12.1e6, "HS 3y+stress": 12.1e6}, **kw)
    F.plot_pnl_distributions({"HS 10y": (np.random.default_rng(0).normal(0, 5e6, 2500),
                                         12e6, 14e6)}, tmp_path / "d.png", **kw)
    F.plot_im_comparison(d["on_date"], tmp_path / "e.png", **kw)
    seen: dict[str, set[str]] = {}
    for fig in figures:
        check_text(fig)
        colors = line_colors(fig)
        ax = fig.axes[0]
        if ax.patches and ax.get_yticklabels():  # the bar chart: colour per y label
            colors.update({t.get_text(): mcolors.to_hex(b.get_facecolor())
                           for t, b in zip(ax.get_yticklabels(), ax.patches, strict=False)})
        for label, color in colors.items():
            name = label.split(":")[0]  # "HS 10y", "HS 10y: 99% VaR 12.0 mn"...
            if name in MODELS:
                seen.setdefault(name, set()).add(color)
    assert set(seen) >= {"HS 10y", "HS 1y", "MC 3y+stress", "Schedule", "SIMM"}
    assert all(len(c) == 1 for c in seen.values()), seen
    assert seen["SIMM"] == {SIMM_COLOR} and seen["Schedule"] == {SCHEDULE_COLOR}
    colours = {next(iter(c)) for c in seen.values()}
    assert len(colours) == len(seen)  # and no two models share one


def test_episode_labels_never_overlap(tmp_path: Path, figures: list) -> None:
    """Adjacent episodes (covid and its rebound), one at the right edge: labels in rows,
    inside the axes, above the data; the legend outside the axes."""
    d = _study_like()
    F.plot_im_through_time(d["im"], d["realised"], d["episodes"], tmp_path / "a.png",
                           synthetic=True)
    fig = figures[-1]
    check_text(fig)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["like volmageddon 2018", "like covid 2020", "like covid rebound 2020",
                      "like rates 2022", "like late"]
    rows = {round(t.get_position()[1], 6) for t in ax.texts}
    assert len(rows) == 2  # the two covid labels need two rows; the others share the first
    assert "synthetic stress episode (modelled on a real one)" in _legend_texts(ax)
    renderer = fig.canvas.get_renderer()
    legend, frame = ax.get_legend().get_window_extent(renderer), ax.get_window_extent(renderer)
    assert legend.x0 >= frame.x1  # outside, to the right
    # the data stay below the label rows
    lowest = min(t.get_window_extent(renderer).y0 for t in ax.texts)
    top = max(ax.transData.transform((0, line.get_ydata().max()))[1] for line in ax.get_lines())
    assert top < lowest


def test_apc_frontier_names_tools_in_a_legend(tmp_path: Path, figures: list) -> None:
    frontier = pd.DataFrame({
        "average_im": [16.9e6, 20e6, 16.5e6, 19.6e6, 19.6e6, 22.4e6],
        "peak_to_trough": [5.36, 4.6, 5.36, 3.62, 3.6, 2.78],
        "max_20bd_increase": [2.37, 1.78, 0.46, 2.01, 2.0, 1.05],
    }, index=["none", "buffer 25%", "speed limit 10%", "floor: HS 10y", "blend 75% + stressed",
              "HS 1y+stress 25%"])
    palette = Palette(MODELS)
    F.plot_apc_frontier(frontier, tmp_path / "f.png", target="HS 1y", palette=palette)
    fig = figures[-1]
    check_text(fig)
    a, b = fig.axes
    assert not a.texts and not b.texts  # no labels on the points to collide
    assert _legend_texts(b) == ["none (the model alone)", *frontier.index[1:]]
    handles = b.get_legend().legend_handles
    looks = {(mcolors.to_hex(h.get_color()), h.get_marker()) for h in handles}
    assert len(looks) == len(frontier)
    calib = handles[-1]
    assert mcolors.to_hex(calib.get_color()) == palette.color("HS 1y+stress 25%")
    assert "increase (%)" in b.get_ylabel() and "20-business-day" in b.get_ylabel()


def test_market_figures_text_fits(tmp_path: Path, figures: list) -> None:
    from imresearch.marketdata.builtin import load_builtin
    from imresearch.marketdata.stress import find_stress_window

    market = load_builtin("synthetic_small")
    stress = find_stress_window(market, 250)
    F.plot_market_overview(market, stress, tmp_path / "m.png")
    F.plot_stress_profile(stress, tmp_path / "s.png")
    for fig in figures:
        check_text(fig)
