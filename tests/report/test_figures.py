"""Report figures: each writes a PNG with the labels, units and legends a margin researcher reads.

The figure functions build pyplot-free Figures; the ``figures`` fixture keeps a reference to each
so that the tests can inspect axes, lines and legends.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.report import figures as F
from imresearch.report import html_report

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list:
    kept: list = []
    make = F._subplots

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        fig, axes = make(*args, **kwargs)
        kept.append(fig)
        return fig, axes

    monkeypatch.setattr(F, "_subplots", spy)
    return kept


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
    assert ax.get_xlabel() == "IM, USD mn" and "2026-01-02" in title
    assert _legend_texts(ax) == ["historical simulation", "Monte Carlo", "ISDA SIMM",
                                 "BCBS-IOSCO schedule", "Monte Carlo confidence interval"]
    # one error bar, on the Monte Carlo row, from 11 to 13.5 (USD mn)
    bars = [c for c in ax.collections if c.get_segments()]
    assert len(bars) == 1
    (x0, _), (x1, _) = bars[0].get_segments()[0]
    assert (x0, x1) == pytest.approx((11.0, 13.5))
    # without interval columns: no error bar, no interval legend entry
    F.plot_im_comparison(on_date[["im", "kind"]], tmp_path / "d.png")
    assert "Monte Carlo confidence interval" not in _legend_texts(figures[-1].axes[0])


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
                                 references={"HS 10y": 9.5e6})
    assert _is_png(path)
    ax, ax2 = figures[-1].axes
    assert ax.get_xscale() == "log" and ax.get_ylabel() == "IM, USD mn"
    assert "number of paths" in ax.get_xlabel()
    assert _legend_texts(ax) == ["95% interval (order statistics)", "MC 3y: 99% VaR",
                                 "HS 10y: 9.5"]
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
                                 "MC 3y: MC interval"]
    lines = {line.get_label(): line for line in axr.get_lines()}
    assert lines["HS 10y"].get_ydata() == pytest.approx(ratio["HS 10y"].to_numpy())
    assert any(np.allclose(line.get_ydata(), 1.0) for line in axr.get_lines())  # the 1 line
    texts = [t.get_text() for t in ax.texts]
    assert any("SIMM 2.5 (used before it took effect)" in t for t in texts)
    assert any("SIMM 2.6" in t for t in texts)
    assert [t.get_text() for t in axr.texts] == ["rates_2022"]  # only episodes in range
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
    assert "<title>IM &lt;study&gt;</title>" in page and "<h2>A &amp; B</h2>" in page
    assert page.count("data:image/png;base64,") == 1 and "<p>second</p>" in page
    assert "<table" in page and "&quot;seed&quot;: 1" in page
