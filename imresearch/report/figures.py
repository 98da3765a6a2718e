"""Matplotlib figures of the study report (pyplot-free Figures; each function writes one PNG).

Every model is drawn in its style from :mod:`imresearch.report.palette` (pass the report's
``palette`` so that all its figures agree); amounts are in USD mn; stress episodes are shaded
and labelled by :mod:`imresearch.report.layout` so that no label hides another or the legend.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, ScalarFormatter

from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import StressWindow
from imresearch.report import layout
from imresearch.report.palette import (
    ACCENT,
    EXCEPTION,
    NEUTRAL,
    REALISED,
    STRESS_SHADE,
    Palette,
    categorical,
)

__all__ = [
    "plot_apc_frontier",
    "plot_im_comparison",
    "plot_im_through_time",
    "plot_im_vs_simm",
    "plot_market_overview",
    "plot_mc_convergence",
    "plot_pnl_distributions",
    "plot_stress_profile",
]

_CLASS_ORDER = ("equity", "FX", "IR", "credit", "commodity", "volatility", "inflation", "other")
_MN = 1e6
_OUTSIDE = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "frameon": False,
            "fontsize": 8, "borderaxespad": 0.0}
"""A legend to the right of the axes (never over data or labels)."""


def _subplots(*args: Any, figsize: tuple[float, float], **kwargs: Any) -> tuple[Any, Any]:
    """A pyplot-free figure (:func:`imresearch.report.layout.subplots`)."""
    return layout.subplots(*args, figsize=figsize, **kwargs)


def _representatives(meta, cls: str, count: int = 3) -> list[str]:
    """Up to ``count`` factors of a class, spread over the tenors for curves."""
    names = list(meta.index[meta["risk_class"] == cls])
    if len(names) <= count:
        return names
    with_tenor = [n for n in names if meta.loc[n, "tenor"]]
    if cls in ("IR", "inflation") and len(with_tenor) > count:
        first_curve = [n for n in with_tenor
                       if meta.loc[n, "currency"] == meta.loc[with_tenor[0], "currency"]]
        pick = np.linspace(0, len(first_curve) - 1, count).round().astype(int)
        return [first_curve[i] for i in pick]
    return names[:count]


def plot_market_overview(
    market: RiskFactorHistory, stress: StressWindow | None, path: str | os.PathLike[str],
    *, title: str | None = None,
) -> Path:
    """One panel per risk class: up to three factors of each, the stress window shaded."""
    meta = market.metadata
    classes = [c for c in _CLASS_ORDER if (meta["risk_class"] == c).any()]
    n = len(classes)
    ncols = 2 if n > 1 else 1
    nrows = int(np.ceil(n / ncols))
    fig, axes = _subplots(nrows, ncols, figsize=(11, 2.8 * nrows), squeeze=False,
                          sharex=True)
    levels = market.levels
    for ax, cls in zip(axes.flat, classes, strict=False):
        names = _representatives(meta, cls)
        rebased = cls != "volatility" and all(
            meta.loc[n_, "convention"] in ("log", "relative") for n_ in names
        )
        for name, color in zip(names, categorical(len(names)), strict=True):
            series = levels[name]
            if rebased:
                series = 100.0 * series / series.dropna().iloc[0]
            ax.plot(levels.index, series, lw=0.8, color=color, label=name)
        if rebased:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 1.5, 2.0, 3.0, 5.0, 7.0)))
            ax.yaxis.set_major_formatter(ScalarFormatter())
            ax.yaxis.set_minor_formatter(NullFormatter())
            ax.set_ylabel("rebased, start = 100 (log scale)", fontsize=8)
        else:
            units = {str(meta.loc[n_, "units"]) for n_ in names} - {""}
            ax.set_ylabel(", ".join(sorted(units)) or "level", fontsize=8)
        ax.set_title(cls, fontsize=10, loc="left")
        if stress is not None:
            ax.axvspan(stress.start, stress.end, color=STRESS_SHADE, lw=0)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                  borderaxespad=0.2)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    text = title or f"{market.name}: levels by risk class"
    if stress is not None:
        text += f" (shaded: stress window {stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d})"
    fig.suptitle(text, fontsize=11)
    return layout.save(fig, path)


def plot_stress_profile(stress: StressWindow, path: str | os.PathLike[str]) -> Path:
    """The stress statistic of every candidate window, with the chosen window shaded."""
    fig, ax = _subplots(figsize=(11, 3.2))
    prof = stress.profile
    ax.plot(prof.index, prof.to_numpy(), lw=0.9, color=NEUTRAL)
    ax.axvspan(stress.start, stress.end, color=STRESS_SHADE, lw=0,
               label=f"most stressed window: {stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d}")
    ax.axvline(stress.end, color=ACCENT, lw=1, ls="--", label="its end date (maximum)")
    ax.set_xlabel("window end date")
    ylabel = {
        "volatility": "avg normalised volatility",
        "var": "VaR of window",
        "es": "ES of window",
    }[stress.statistic]
    ax.set_ylabel(ylabel)
    ax.set_title(f"Stress statistic of every {stress.length}-day window", loc="left",
                 fontsize=11)
    ax.legend(**_OUTSIDE)
    ax.grid(alpha=0.3)
    return layout.save(fig, path)


def _money_axis(ax: Axes, scale: float = _MN, unit: str = "USD mn") -> None:
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / scale:,.0f}"))
    ax.set_ylabel(unit)


def plot_im_through_time(
    im: pd.DataFrame,
    realised: pd.Series,
    episodes: Iterable[tuple[str, pd.Timestamp, pd.Timestamp]],
    path: str | os.PathLike[str],
    *,
    exceptions_for: str | None = None,
    horizon: int = 10,
    palette: Palette | None = None,
    synthetic: bool = False,
) -> Path:
    """IM per model through time, episodes shaded and labelled, realised losses shaded,
    exceptions marked.

    ``im``: DataFrame (dates x models, USD); ``realised``: Series of realised horizon P&L by
    start date; ``episodes``: iterable of (name, start, end); ``synthetic``: the episodes are
    the synthetic market's (labelled "like ...").
    """
    palette = palette or Palette(im.columns)
    fig, ax = _subplots(figsize=(13, 5.2))
    lo, hi = im.index[0], im.index[-1]
    shown = layout.shade_episodes(ax, episodes, lo, hi, label_on=ax, synthetic=synthetic)
    loss = (-realised).reindex(im.index)
    ax.fill_between(loss.index, 0, loss.clip(lower=0).fillna(0.0), color=REALISED, lw=0,
                    alpha=0.6, label=f"realised {horizon}-day loss from each date")
    for col in im.columns:
        ax.plot(im.index, im[col], label=col, **palette[col].line())
    if exceptions_for is not None and exceptions_for in im:
        exc = loss > im[exceptions_for]
        ax.scatter(loss.index[exc], loss[exc], marker="x", color=EXCEPTION, s=30, zorder=5,
                   label=f"loss above {exceptions_for} IM ({int(exc.sum())})")
    _money_axis(ax)
    ax.set_ylim(bottom=0)
    ax.set_title("Initial margin through time", loc="left")
    handles, _ = ax.get_legend_handles_labels()
    if shown:
        handles.append(layout.episode_patch(synthetic))
    ax.legend(handles=handles, **_OUTSIDE)
    ax.grid(alpha=0.3)
    return layout.save(fig, path)


_TOOL_MARKERS = ("o", "^", "s", "D", "v", "P", "X", "*", "<", ">", "h")


def plot_apc_frontier(frontier: pd.DataFrame, path: str | os.PathLike[str], *,
                      target: str = "", palette: Palette | None = None) -> Path:
    """Cost (average IM) against procyclicality (PTR; largest 20-day increase) per tool.

    Each tool has one marker and colour in both panels, named in one legend (no labels on
    the points, so none can collide); the target without a tool (``none``) is black. A tool
    that is a model of the palette (an APC calibration such as a 25% stress weight) takes
    that model's colour.
    """
    palette = palette or Palette()
    fig, axes = _subplots(1, 2, figsize=(13, 4.8))
    inc = next((c for c in frontier.columns if c.startswith("max_")), None)
    tools = [t for t in frontier.index if t != "none"]
    others = iter(categorical(len(tools) + 2)[2:] + categorical(len(tools)))
    style = {"none": (NEUTRAL, "o", 90)}
    for k, tool in enumerate(tools):
        color = palette.color(tool) if tool in palette else next(others)
        style[tool] = (color, _TOOL_MARKERS[k % len(_TOOL_MARKERS)], 60)
    days = inc.split("_")[1].rstrip("bd").rstrip("d") if inc else ""
    for ax, col, label in ((axes[0], "peak_to_trough", "peak-to-trough ratio (x)"),
                           (axes[1], inc, f"largest {days}-business-day increase (%)")):
        if col is None:
            ax.set_visible(False)
            continue
        y = frontier[col].astype(float) * (100 if col == inc else 1)
        x = frontier["average_im"].astype(float) / _MN
        for name in frontier.index:
            color, marker, size = style[name]
            ax.scatter(x[name], y[name], color=color, marker=marker, s=size, zorder=3,
                       edgecolors="white", linewidths=0.6)
        ax.set_xlabel("average IM (cost), USD mn")
        ax.set_ylabel(label)
        ax.margins(0.12)
        ax.grid(alpha=0.3)
    handles = [Line2D([], [], ls="", marker=style[n][1], color=style[n][0], markersize=8,
                      label="none (the model alone)" if n == "none" else n)
               for n in frontier.index]
    axes[1].legend(handles=handles, title="APC tool", title_fontsize=8, **_OUTSIDE)
    fig.suptitle(f"APC tools on {target}: cost against procyclicality (lower left is better)",
                 fontsize=11)
    return layout.save(fig, path)


def plot_im_comparison(on_date: pd.DataFrame, path: str | os.PathLike[str], *,
                       date: object = None, palette: Palette | None = None) -> Path:
    """IM of each model on the valuation date next to SIMM and the schedule.

    ``on_date``: index model label, columns ``im`` (USD) and ``kind``; optional ``ci_lower`` /
    ``ci_upper`` (Monte Carlo interval) are drawn as error bars. Bars take the models' colours;
    the model names are the y labels, so no legend is needed.
    """
    palette = palette or Palette(on_date.index)
    fig, ax = _subplots(figsize=(11, 0.9 + 0.42 * max(len(on_date), 4)))
    rev = on_date.iloc[::-1]
    vals = rev["im"].astype(float) / _MN
    bars = ax.barh(rev.index, vals, color=[palette.color(k) for k in rev.index])
    has_ci = {"ci_lower", "ci_upper"} <= set(rev.columns)
    label_x = vals.copy()
    interval = False
    if has_ci:
        lo = rev["ci_lower"].astype(float) / _MN
        hi = rev["ci_upper"].astype(float) / _MN
        ok = lo.notna() & hi.notna()
        if ok.any():
            interval = True
            y = np.arange(len(rev))[ok.to_numpy()]
            ax.errorbar(vals[ok], y, xerr=[(vals - lo)[ok].clip(lower=0),
                                           (hi - vals)[ok].clip(lower=0)],
                        fmt="none", ecolor="black", capsize=4, lw=1)
            label_x = label_x.where(~ok, hi)
    for bar, v, x in zip(bars, vals, label_x, strict=True):
        ax.text(x, bar.get_y() + bar.get_height() / 2, f" {v:,.1f}", va="center", fontsize=8)
    ax.set_xlabel("IM, USD mn" + ("  (error bar: Monte Carlo confidence interval)"
                                  if interval else ""))
    ax.margins(x=0.12)
    when = f" on {date:%Y-%m-%d}" if hasattr(date, "strftime") else ""
    ax.set_title(f"Same portfolio, every model{when}: internal models, SIMM and schedule",
                 loc="left", fontsize=11)
    ax.grid(alpha=0.3, axis="x")
    return layout.save(fig, path)


def plot_pnl_distributions(
    dists: dict[str, tuple[pd.Series | np.ndarray, float, float]],
    path: str | os.PathLike[str], *, title: str = "", confidence: float = 0.99,
    var_ci: dict[str, tuple[float, float]] | None = None, palette: Palette | None = None,
    horizon: int = 10,
) -> Path:
    """Scenario / path P&L of several models on one date, as densities, with each VaR and ES.

    ``dists``: label -> (P&L vector, VaR, ES) with VaR and ES as positive losses;
    ``var_ci``: label -> VaR interval (losses), drawn as a band around that model's VaR line
    (the models with an interval are Monte Carlo: their draws are called paths).
    Densities (not counts) so that 2,500 HS scenarios and 20,000 MC paths compare.
    """
    palette = palette or Palette(dists)
    fig, ax = _subplots(figsize=(12, 4.4))
    allv = np.concatenate([np.asarray(v[0], dtype=float) for v in dists.values()]) / _MN
    lo, hi = np.quantile(allv, [0.0005, 0.9995])
    span = hi - lo
    bins = np.linspace(lo - 0.05 * span, hi + 0.05 * span, 90)
    for label, (pnl, var, es) in dists.items():
        c = palette.color(label)
        values = np.asarray(pnl, dtype=float) / _MN
        what = "paths" if var_ci and label in var_ci else "scenarios"
        ax.hist(values, bins=bins, density=True, color=c,
                alpha=0.35, label=f"{label} ({len(values):,} {what})")
        ax.axvline(-var / _MN, color=c, lw=1.6,
                   label=f"{label}: {confidence:.0%} VaR {var / _MN:,.1f} mn")
        ax.axvline(-es / _MN, color=c, lw=1.2, ls="--",
                   label=f"{label}: {confidence:.0%} ES {es / _MN:,.1f} mn")
        if var_ci and label in var_ci:
            a, b = var_ci[label]
            ax.axvspan(-b / _MN, -a / _MN, color=c, alpha=0.25, lw=0,
                       label=f"{label}: VaR interval {a / _MN:,.1f} - {b / _MN:,.1f}")
    ax.set_xlabel(f"{horizon}-day P&L, USD mn (gains positive; losses to the left)")
    ax.set_ylabel("density (per USD mn)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(**_OUTSIDE)
    ax.grid(alpha=0.3)
    return layout.save(fig, path)


def plot_mc_convergence(convergence: pd.DataFrame, path: str | os.PathLike[str], *,
                        label: str = "Monte Carlo", ci_level: float = 0.95,
                        confidence: float = 0.99,
                        references: dict[str, float] | None = None,
                        palette: Palette | None = None) -> Path:
    """Monte Carlo IM (VaR) on the first ``n`` paths against ``n``, with its interval band.

    ``convergence``: index ``n_paths``, columns ``var``, ``ci_lower``, ``ci_upper`` (the
    ``convergence`` table of :class:`~imresearch.engines.mc.MCResult`); ``references``: other
    models' IM drawn as horizontal lines in their colours. The y range holds every line with
    a margin, so none sits on the frame.
    """
    palette = palette or Palette([label, *(references or {})])
    color = palette.color(label)
    fig, (ax, ax2) = _subplots(1, 2, figsize=(13, 4.4),
                               gridspec_kw={"width_ratios": [2.2, 1]})
    n = convergence.index.to_numpy(dtype=float)
    var = convergence["var"].to_numpy(dtype=float) / _MN
    lo = convergence["ci_lower"].to_numpy(dtype=float) / _MN
    hi = convergence["ci_upper"].to_numpy(dtype=float) / _MN
    ax.fill_between(n, lo, hi, color=color, alpha=0.25, lw=0,
                    label=f"{ci_level:.0%} interval (order statistics)")
    ax.plot(n, var, "o-", color=color, lw=1.5, ms=4, label=f"{label}: {confidence:.0%} VaR")
    ax.axhline(var[-1], color=color, lw=0.8, ls=":")
    refs = {k: v / _MN for k, v in (references or {}).items()}
    dashes = [(0, (6, 3)), (3, (6, 3)), (0, (2, 2)), (1, (2, 2))]
    for k, (name, value) in enumerate(refs.items()):  # dashes offset: equal values both show
        ax.axhline(value, color=palette.color(name), ls=dashes[k % len(dashes)], lw=1.4,
                   label=f"{name}: {value:,.1f}")
    values = np.concatenate([lo, hi, var, list(refs.values())])
    values = values[np.isfinite(values)]
    bottom, top = float(values.min()), float(values.max())
    pad = 0.08 * (top - bottom or abs(top) or 1.0)
    ax.set_ylim(bottom - pad, top + pad)
    ax.set_xscale("log")
    ax.set_xlabel("number of paths (log scale; first n paths of one run)")
    ax.set_ylabel("IM, USD mn")
    ax.set_title(f"{label}: IM against the number of paths", loc="left", fontsize=11)
    ax.legend(**_OUTSIDE)
    ax.grid(alpha=0.3, which="both")
    rel = (hi - lo) / (2 * np.abs(var)) * 100
    ax2.loglog(n, rel, "o-", color=color, ms=4, label="interval half-width")
    ax2.loglog(n, rel[-1] * np.sqrt(n[-1] / n), color=NEUTRAL, ls="--", lw=1,
               label="1/sqrt(n)")
    ax2.set_xlabel("number of paths")
    ax2.set_ylabel("half-width, % of IM")
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.set_title("Relative precision", loc="left", fontsize=11)
    ax2.legend(fontsize=8, frameon=False)
    ax2.grid(alpha=0.3, which="both")
    return layout.save(fig, path)


def plot_im_vs_simm(
    monthly: pd.DataFrame, vs_simm: pd.DataFrame,
    episodes: Iterable[tuple[str, pd.Timestamp, pd.Timestamp]],
    path: str | os.PathLike[str], *, mc_labels: Iterable[str] = (),
    palette: Palette | None = None, synthetic: bool = False, simm_label: str = "SIMM",
) -> Path:
    """Model IM and ISDA SIMM (version in force) on a monthly grid, and their ratio.

    Top: SIMM and each model's IM (USD mn), Monte Carlo with its interval band, SIMM version
    changes labelled. Bottom: model IM / SIMM, 1 marked, stress episodes labelled. Dates
    before the first SIMM version took effect (2016-09-01; computed with version 1.0) are
    hatched.
    """
    mc_labels = [m for m in mc_labels if m in vs_simm]
    palette = palette or Palette([simm_label, *vs_simm.columns])
    fig, (ax, axr) = _subplots(2, 1, figsize=(13.5, 7.8), sharex=True,
                               gridspec_kw={"height_ratios": [1, 1.15]})
    lo, hi = monthly.index[0], monthly.index[-1]
    shown = layout.shade_episodes((ax, axr), episodes, lo, hi, label_on=axr,
                                  synthetic=synthetic)
    early = monthly["before_first_version"].astype(bool)
    if early.any():
        last_early = monthly.index[early][-1]
        for a in (ax, axr):
            a.axvspan(lo, last_early, facecolor="none", edgecolor="0.85", hatch="//", lw=0,
                      zorder=0)
    versions = monthly["simm_version"].astype(str)
    changes = versions.index[versions.ne(versions.shift())]
    simm_style = palette[simm_label]
    for d in changes:
        for a in (ax, axr):
            a.axvline(d, color=simm_style.color, lw=0.8, ls=":")
    layout.label_rows(ax, [(d, f"SIMM {versions[d]}" + (" (before it took effect)"
                                                          if early[d] else ""))
                           for d in changes], color=simm_style.color)
    ax.plot(monthly.index, monthly["simm"] / _MN, label="ISDA SIMM (version in force)",
            **simm_style.line())
    for col in vs_simm.columns:
        style = palette[col]
        ax.plot(monthly.index, monthly[col] / _MN, label=col, **style.line())
        axr.plot(vs_simm.index, vs_simm[col], label=col, **style.line())
    simm = monthly["simm"].where(monthly["simm"] > 0)
    for col in mc_labels:
        c = palette.color(col)
        lo_b, hi_b = monthly[f"{col} ci_lower"], monthly[f"{col} ci_upper"]
        ax.fill_between(monthly.index, lo_b / _MN, hi_b / _MN, color=c, alpha=0.25,
                        lw=0, label=f"{col}: MC interval")
        axr.fill_between(vs_simm.index, lo_b / simm, hi_b / simm, color=c, alpha=0.25, lw=0)
    ax.set_ylabel("IM, USD mn")
    ax.set_ylim(bottom=0)
    ax.set_title("Internal models against ISDA SIMM through time (month ends)", loc="left",
                 fontsize=11)
    handles, _ = ax.get_legend_handles_labels()
    if shown:
        handles.append(layout.episode_patch(synthetic))
    ax.legend(handles=handles, **_OUTSIDE)
    ax.grid(alpha=0.3)
    axr.axhline(1.0, color="black", lw=1)
    axr.set_ylabel("model IM / SIMM")
    axr.set_ylim(bottom=0)
    note = (" Hatched: before SIMM existed (2016-09-01): version 1.0's parameters used."
            if early.any() else "")
    axr.set_title("Ratio of model IM to SIMM (1 = same margin)." + note, loc="left",
                  fontsize=9)
    axr.grid(alpha=0.3)
    return layout.save(fig, path)
