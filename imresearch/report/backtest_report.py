"""The backtests of a study as tables, a figure and report sections; ``imresearch backtest``'s
writer (tables, ``report.html`` and ``manifest.json``, atomically).

Numbers come from :func:`imresearch.study.backtests.run_backtests`; nothing is computed here
beyond formatting.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.dates import date2num
from matplotlib.patches import Patch

from imresearch.provenance import atomic_output_dir, atomic_write_text, write_manifest
from imresearch.report import layout
from imresearch.report import tables as T
from imresearch.report.html import html_report
from imresearch.report.palette import ZONE_COLORS, Palette
from imresearch.study.backtests import BacktestResults

__all__ = ["backtest_sections", "plot_rolling_traffic_light", "write_backtest_tables",
           "write_backtests"]

Section = dict[str, Any]
ZONES = ("green", "yellow", "red")


def write_backtest_tables(results: BacktestResults, folder: Path) -> None:
    """The backtests' tables as CSV files in ``folder``."""
    results.summary.to_csv(folder / "backtest_summary.csv", index=False)
    results.exceptions.to_csv(folder / "backtest_exceptions.csv", index=False)
    results.rolling.to_csv(folder / "backtest_rolling_traffic_light.csv", index=False)
    results.responsiveness.to_csv(folder / "margin_responsiveness.csv")


def plot_rolling_traffic_light(results: BacktestResults, path: str | os.PathLike[str], *,
                               palette: Palette | None = None) -> Path | None:
    """The traffic light through time: one strip per model and group, one panel per horizon,
    each day coloured by the zone of the trailing window ending that day. Model names in
    their palette colour. None when no window was long enough."""
    roll = results.rolling
    if roll.empty:
        return None
    palette = palette or Palette(list(dict.fromkeys(roll["model"])))
    horizons = sorted(roll["horizon"].unique())
    strips = {h: list(dict.fromkeys(zip(roll.loc[roll["horizon"] == h, "model"],
                                        roll.loc[roll["horizon"] == h, "by"],
                                        roll.loc[roll["horizon"] == h, "group"])))
              for h in horizons}
    heights = [max(1.2, 0.28 * len(s) + 0.6) for s in strips.values()]
    fig, axes = layout.subplots(len(horizons), 1, figsize=(10, sum(heights) + 0.9),
                                squeeze=False, gridspec_kw={"height_ratios": heights})
    cmap = ListedColormap([ZONE_COLORS[z] for z in ZONES])
    code = {z: i for i, z in enumerate(ZONES)}
    dates = pd.DatetimeIndex(sorted(roll["date"].unique()))
    x = date2num(dates)
    for ax, h in zip(axes[:, 0], horizons):
        grid = np.full((len(strips[h]), len(dates)), np.nan)
        for i, (m, by, g) in enumerate(strips[h]):
            part = roll[(roll["horizon"] == h) & (roll["model"] == m) & (roll["by"] == by)
                        & (roll["group"] == g)]
            cols = dates.get_indexer(pd.DatetimeIndex(part["date"]))
            grid[i, cols] = part["zone"].map(code).to_numpy(float)
        ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, vmin=-0.5, vmax=2.5,
                  interpolation="nearest", extent=(x[0], x[-1], len(strips[h]) - 0.5, -0.5))
        for i in range(1, len(strips[h])):  # a white rule between models
            if strips[h][i][0] != strips[h][i - 1][0]:
                ax.axhline(i - 0.5, color="white", lw=2.5)
        ax.set_yticks(range(len(strips[h])))
        ax.set_yticklabels([f"{m} · {g}" for m, _, g in strips[h]], fontsize=7.5)
        for tick, (m, _, _) in zip(ax.get_yticklabels(), strips[h]):
            tick.set_color(palette.color(m))
        ax.set_title(f"{h}-day P&L: zone of the trailing {results.config.window}-business-day "
                     "window", fontsize=9, loc="left")
        ax.xaxis_date()
        layout.date_axis(ax, ticks=5)
    handles = [Patch(color=ZONE_COLORS[z], label=z) for z in ZONES]
    # on the first title's line, at the right (an offset in axes fractions grows with the
    # panel's height and left the figure)
    axes[0, 0].legend(handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=3,
                      fontsize=8, frameon=False, borderaxespad=0.2)
    return layout.save(fig, path)


def _summary_table(results: BacktestResults) -> pd.DataFrame:
    s = results.summary.copy()
    s["model"] = s["model"] + " " + s["horizon"].astype(str) + "d"
    s = s.set_index("model")
    return T.show(s, {
        "by": T.text("by"), "group": T.text("group"), "observations": T.count("windows"),
        "exceptions": T.count("exceptions"), "expected_exceptions": T.number("expected", 1),
        "kupiec_p": T.number("Kupiec p", 3), "christoffersen_p": T.number("independence p", 3),
        "zone": T.text("zone"), "overlap_exceptions": T.count("exceptions, every day"),
        "overlap_kupiec_p": T.number("overlap Kupiec p", 3), "overlap_zone":
        T.text("overlap zone"), "z2": T.number("Z2", 2), "z2_p": T.number("Z2 p", 3),
        "multinomial_p": T.number("multinomial p", 3)}, index="model")


def _exception_table(results: BacktestResults, n: int = 25) -> pd.DataFrame:
    ex = results.exceptions.sort_values("shortfall", ascending=False).head(n)
    ex = ex.assign(model=ex["model"] + " " + ex["horizon"].astype(str) + "d").set_index("model")
    return T.show(ex, {
        "date": T.date("date"), "group": T.text("group"), "pnl": T.mn("P&L", 2),
        "im": T.mn("IM", 2), "shortfall": T.mn("shortfall", 2),
        "shortfall_pct": T.number("shortfall, % of IM", 0), "episode": T.text("episode"),
        "risk_class": T.text("risk class of the loss"), "top_trades": T.text(
            "top trades, USD mn"), "top_factors": T.text("top factors, USD mn")}, index="model")


def _responsiveness_table(results: BacktestResults) -> pd.DataFrame:
    r = results.responsiveness.reset_index()
    r = r[r["group"].isin(["aggregate"]) | ~r.duplicated(["model", "tool"], keep=False)]
    return T.show(r.set_index("model"), {
        "group": T.text("group"), "tool": T.text("APC tool"),
        "peak_to_trough": T.number("peak-to-trough", 2),
        **{f"max_{d}d_increase": T.mn(f"largest {d}-day rise", 2) for d in (1, 5, 30)},
        **{f"max_{d}d_increase_pct": T.number(f"largest {d}-day rise, %", 1)
           for d in (1, 5, 30)}}, index="model")


def backtest_sections(results: BacktestResults, figs: dict[str, Path]) -> list[Section]:
    """The report's sections on the backtests (summary, traffic light through time,
    exceptions, margin responsiveness)."""
    cfg = results.config
    sections: list[Section] = [{
        "heading": "Backtests by portfolio, netting set and risk class", "id": "backtests-im",
        "text": f"Each model's IM set every {cfg.step} business days over the last "
        f"{cfg.years:g} years against the realised P&L of the next "
        f"{' and '.join(map(str, cfg.horizons))} business days ({cfg.pnl} P&L: "
        + ("the book frozen on each IM date" if cfg.pnl == "hypothetical" else
           "the ageing book, trades maturing") + "), by " + ", ".join(cfg.by) + ". A risk "
        "class is backtested with the IM of its factors alone against the P&L of moving only "
        "those factors; SIMM by risk class is the calculator's risk-class margin, with the "
        "version in force each day and 1-day SIMM against 1-day P&L. 'windows' and "
        "'exceptions' use non-overlapping windows (Kupiec, Christoffersen and the traffic "
        "light assume independent trials); 'exceptions, every day' counts every IM date, "
        "tested with the overlap simulated in the null (overlap Kupiec p and zone). Z2 "
        "(Acerbi-Szekely) and the multinomial test check the model's tail beyond VaR "
        "(models with a P&L distribution only). p-values: small means rejected."
        + (" Not run: " + "; ".join(results.skipped) + "." if results.skipped else ""),
        "table": _summary_table(results)}]
    if figs.get("rolling_traffic_light") is not None:
        sections.append({
            "heading": "The traffic light through time", "level": 3, "id": "rolling-zones",
            "text": "Zone of each trailing window (overlap-aware bounds for 10-day P&L); the "
            "remediation add-on that would bring each window back to green (the smallest IM "
            "multiplier and additive amount) is in backtest_rolling_traffic_light.csv.",
            "figure": figs["rolling_traffic_light"],
            "caption": "Traffic-light zone through time per model and group.",
            "note": "What to look for: red and yellow runs that start with a stress episode "
            "(a model too slow to react) and whether they end once the episode enters the "
            "lookback; a risk class red while the portfolio stays green (a class "
            "under-margined, hidden by diversification)."})
    if not results.exceptions.empty:
        sections.append({
            "heading": "Largest exceptions", "level": 3, "id": "exceptions",
            "text": "The 25 largest shortfalls (every exception is in "
            "backtest_exceptions.csv), with the stress episode the window falls in, the risk "
            "class whose factors alone lose most, and the trades and factors (each moved "
            "alone) with the largest losses over the window.",
            "table": _exception_table(results)})
    if not results.responsiveness.empty:
        sections.append({
            "heading": "Margin responsiveness", "level": 3, "id": "responsiveness",
            "text": "The quantitative disclosures CPMI-IOSCO ask for: peak-to-trough ratio and "
            "largest 1-, 5- and 30-day increases of each model's IM (USD mn and %), in "
            "aggregate over the groups and with the APC tools applied to each group.",
            "table": _responsiveness_table(results)})
    return sections


def write_backtests(results: BacktestResults, out: str | os.PathLike[str], *,
                    inputs: dict[str, Any], settings: dict[str, Any], title: str,
                    started: _dt.datetime, palette: Palette | None = None) -> Path:
    """Write the backtests into the folder ``out`` (atomically): the tables, the traffic-light
    figure, ``report.html`` and ``manifest.json``."""
    with atomic_output_dir(out) as tmp:
        write_backtest_tables(results, tmp)
        (tmp / "figures").mkdir()
        figs = {"rolling_traffic_light": plot_rolling_traffic_light(
            results, tmp / "figures" / "rolling_traffic_light.png", palette=palette)}

        def manifest() -> dict[str, Any]:
            path = write_manifest(tmp, command="imresearch backtest", inputs=inputs,
                                  settings=settings, seed=None, started=started)
            return json.loads(path.read_text())

        page = html_report(title, backtest_sections(results, figs), manifest=manifest())
        atomic_write_text(tmp / "report.html", page)
        manifest()
    return Path(out)


