"""Matplotlib figures of the reports (pyplot-free Figures; each function writes one PNG)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter, ScalarFormatter

from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import StressWindow

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



def _subplots(*args: Any, figsize: tuple[float, float], **kwargs: Any) -> tuple[Figure, Any]:
    """``pyplot.subplots`` without pyplot: a Figure that no backend or notebook keeps open."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots(*args, **kwargs)

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
    market: RiskFactorHistory, stress: StressWindow | None, path: str | os.PathLike[str]
) -> Path:
    """One panel per risk class: the first two factors of each, the stress window shaded."""
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
        for name in names:
            series = levels[name]
            if rebased:
                series = 100.0 * series / series.iloc[0]
            ax.plot(levels.index, series, lw=0.8, label=name)
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
            ax.axvspan(stress.start, stress.end, color="tab:red", alpha=0.15, lw=0)
        ax.legend(fontsize=7, loc="best", frameon=False)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    title = f"{market.name}: levels by risk class"
    if stress is not None:
        title += f" (shaded: stress window {stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d})"
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_stress_profile(stress: StressWindow, path: str | os.PathLike[str]) -> Path:
    """The stress statistic of every candidate window, with the maximum marked."""
    fig, ax = _subplots(figsize=(11, 3.2))
    prof = stress.profile
    ax.plot(prof.index, prof.to_numpy(), lw=0.9, color="tab:blue")
    ax.axvline(stress.end, color="tab:red", lw=1, ls="--",
               label=f"most stressed window ends {stress.end:%Y-%m-%d}")
    ax.set_xlabel("window end date")
    ylabel = {
        "volatility": "avg normalised volatility",
        "var": "VaR of window",
        "es": "ES of window",
    }[stress.statistic]
    ax.set_ylabel(ylabel)
    ax.set_title(f"Stress statistic of every {stress.length}-day window", loc="left",
                 fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def _money_axis(ax: Axes, scale: float = 1e6, unit: str = "USD mn") -> None:
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
) -> Path:
    """IM per model through time, episodes shaded, realised losses overlaid, exceptions marked.

    ``im``: DataFrame (dates x models); ``realised``: Series of realised horizon P&L by start
    date; ``episodes``: iterable of (name, start, end).
    """
    fig, ax = _subplots(figsize=(12, 5))
    lo, hi = im.index[0], im.index[-1]
    for name, start, end in episodes:
        if end < lo or start > hi:
            continue
        ax.axvspan(max(start, lo), min(end, hi), color="0.85", lw=0, zorder=0)
        ax.text(max(start, lo), 1.0, name, transform=ax.get_xaxis_transform(), fontsize=7,
                va="top", ha="left", color="0.35", rotation=90)
    loss = (-realised).reindex(im.index)
    ax.plot(loss.index, loss.clip(lower=0), color="0.55", lw=0.6,
            label=f"realised {horizon}-day loss")
    for col in im.columns:
        ax.plot(im.index, im[col], lw=1.1, label=col)
    if exceptions_for is not None and exceptions_for in im:
        exc = loss > im[exceptions_for]
        ax.scatter(loss.index[exc], loss[exc], marker="x", color="red", s=30, zorder=5,
                   label=f"exceptions vs {exceptions_for} ({int(exc.sum())})")
    _money_axis(ax)
    ax.set_title("Initial margin through time (shaded: stress episodes)", loc="left")
    ax.legend(fontsize=8, ncol=3, loc="upper right", frameon=True, framealpha=0.9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_apc_frontier(frontier: pd.DataFrame, path: str | os.PathLike[str], *,
                      target: str = "") -> Path:
    """Cost (average IM) against procyclicality (PTR; largest 20-day increase) per tool."""
    fig, axes = _subplots(1, 2, figsize=(12, 4.6))
    inc = next((c for c in frontier.columns if c.startswith("max_")), None)
    for ax, col, label in ((axes[0], "peak_to_trough", "peak-to-trough ratio"),
                           (axes[1], inc, "largest 20-business-day increase")):
        if col is None:
            ax.set_visible(False)
            continue
        y = frontier[col].astype(float) * (100 if col == inc else 1)
        x = frontier["average_im"].astype(float) / 1e6
        ax.scatter(x, y, color=["black" if n == "none" else "tab:blue" for n in frontier.index])
        for name, xi, yi in zip(frontier.index, x, y, strict=True):
            offset = (-8, -12) if name == "none" else (4, 3)
            ax.annotate(name, (xi, yi), fontsize=7, xytext=offset, textcoords="offset points",
                        fontweight="bold" if name == "none" else "normal")
        ax.set_xlabel("average IM (cost), USD mn")
        ax.set_ylabel(label + (" (%)" if col == inc else ""))
        ax.grid(alpha=0.3)
    fig.suptitle(f"APC tools on {target}: cost against procyclicality (lower-left is better)",
                 fontsize=11)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_im_comparison(on_date: pd.DataFrame, path: str | os.PathLike[str], *,
                       date: object = None) -> Path:
    """IM of each model on the valuation date next to SIMM and the schedule.

    ``on_date``: index model label, columns ``im`` and ``kind``; optional ``ci_lower`` /
    ``ci_upper`` (Monte Carlo interval) are drawn as error bars.
    """
    fig, ax = _subplots(figsize=(10, 0.9 + 0.42 * max(len(on_date), 4)))
    colors = {"historical simulation": "tab:blue", "Monte Carlo": "tab:green",
              "ISDA SIMM": "tab:orange", "BCBS-IOSCO schedule": "tab:gray",
              "static": "tab:brown"}
    rev = on_date.iloc[::-1]
    vals = rev["im"].astype(float) / 1e6
    bars = ax.barh(rev.index, vals, color=[colors.get(k, "tab:blue") for k in rev["kind"]])
    has_ci = {"ci_lower", "ci_upper"} <= set(rev.columns)
    label_x = vals.copy()
    if has_ci:
        lo = rev["ci_lower"].astype(float) / 1e6
        hi = rev["ci_upper"].astype(float) / 1e6
        ok = lo.notna() & hi.notna()
        if ok.any():
            y = np.arange(len(rev))[ok.to_numpy()]
            ax.errorbar(vals[ok], y, xerr=[(vals - lo)[ok].clip(lower=0),
                                           (hi - vals)[ok].clip(lower=0)],
                        fmt="none", ecolor="black", capsize=4, lw=1,
                        label="Monte Carlo confidence interval")
            label_x = label_x.where(~ok, hi)
    for bar, v, x in zip(bars, vals, label_x, strict=True):
        ax.text(x, bar.get_y() + bar.get_height() / 2, f" {v:,.1f}", va="center", fontsize=8)
    handles, _ = ax.get_legend_handles_labels()
    handles = [Patch(color=c, label=k) for k, c in colors.items()
               if (rev["kind"] == k).any()] + handles
    ax.legend(handles=handles, fontsize=8, loc="upper right", frameon=False)
    ax.set_xlabel("IM, USD mn")
    ax.margins(x=0.12)
    when = f" on {date:%Y-%m-%d}" if hasattr(date, "strftime") else ""
    ax.set_title(f"Same portfolio, every model{when}: internal models, SIMM and schedule",
                 loc="left", fontsize=11)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_pnl_distributions(
    dists: dict[str, tuple[pd.Series | np.ndarray, float, float]],
    path: str | os.PathLike[str], *, title: str = "", confidence: float = 0.99,
    var_ci: dict[str, tuple[float, float]] | None = None,
) -> Path:
    """Scenario / path P&L of several models on one date, as densities, with each VaR and ES.

    ``dists``: label -> (P&L vector, VaR, ES) with VaR and ES as positive losses;
    ``var_ci``: label -> VaR interval (losses), drawn as a band around that model's VaR line
    (the models with an interval are Monte Carlo: their draws are called paths).
    Densities (not counts) so that 2,500 HS scenarios and 20,000 MC paths compare.
    """
    fig, ax = _subplots(figsize=(10, 4.4))
    colors = ["tab:blue", "tab:green", "tab:purple", "tab:brown"]
    allv = np.concatenate([np.asarray(v[0], dtype=float) for v in dists.values()]) / 1e6
    lo, hi = np.quantile(allv, [0.0005, 0.9995])
    span = hi - lo
    bins = np.linspace(lo - 0.05 * span, hi + 0.05 * span, 90)
    for k, (label, (pnl, var, es)) in enumerate(dists.items()):
        c = colors[k % len(colors)]
        values = np.asarray(pnl, dtype=float) / 1e6
        what = "paths" if var_ci and label in var_ci else "scenarios"
        ax.hist(values, bins=bins, density=True, color=c,
                alpha=0.35, label=f"{label} ({len(values):,} {what})")
        ax.axvline(-var / 1e6, color=c, lw=1.6,
                   label=f"{label}: {confidence:.0%} VaR {var / 1e6:,.1f} mn")
        ax.axvline(-es / 1e6, color=c, lw=1.2, ls="--",
                   label=f"{label}: {confidence:.0%} ES {es / 1e6:,.1f} mn")
        if var_ci and label in var_ci:
            a, b = var_ci[label]
            ax.axvspan(-b / 1e6, -a / 1e6, color=c, alpha=0.25, lw=0,
                       label=f"{label}: VaR interval {a / 1e6:,.1f} - {b / 1e6:,.1f}")
    ax.set_xlabel("10-day P&L, USD mn (gains positive; losses to the left)")
    ax.set_ylabel("density (per USD mn)")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_mc_convergence(convergence: pd.DataFrame, path: str | os.PathLike[str], *,
                        label: str = "Monte Carlo", ci_level: float = 0.95,
                        confidence: float = 0.99,
                        references: dict[str, float] | None = None) -> Path:
    """Monte Carlo IM (VaR) on the first ``n`` paths against ``n``, with its interval band.

    ``convergence``: index ``n_paths``, columns ``var``, ``ci_lower``, ``ci_upper`` (the
    ``convergence`` table of :class:`~imresearch.engines.mc.MCResult`); ``references``: other
    models' IM drawn as horizontal lines.
    """
    fig, (ax, ax2) = _subplots(1, 2, figsize=(12, 4.4),
                                  gridspec_kw={"width_ratios": [2.2, 1]})
    n = convergence.index.to_numpy(dtype=float)
    var = convergence["var"].to_numpy(dtype=float) / 1e6
    lo = convergence["ci_lower"].to_numpy(dtype=float) / 1e6
    hi = convergence["ci_upper"].to_numpy(dtype=float) / 1e6
    ax.fill_between(n, lo, hi, color="tab:green", alpha=0.25, lw=0,
                    label=f"{ci_level:.0%} interval (order statistics)")
    ax.plot(n, var, "o-", color="tab:green", lw=1.5, ms=4, label=f"{label}: {confidence:.0%} VaR")
    ax.axhline(var[-1], color="tab:green", lw=0.8, ls=":")
    styles = ["--", "-.", (0, (5, 2, 1, 2)), ":"]
    for k, (name, value) in enumerate((references or {}).items()):
        ax.axhline(value / 1e6, color="0.3", lw=1, ls=styles[k % len(styles)],
                   label=f"{name}: {value / 1e6:,.1f}")
    ax.set_xscale("log")
    ax.set_xlabel("number of paths (log scale; first n paths of one run)")
    ax.set_ylabel("IM, USD mn")
    ax.set_title(f"{label}: IM against the number of paths", loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3, which="both")
    rel = (hi - lo) / (2 * np.abs(var)) * 100
    ax2.loglog(n, rel, "o-", color="tab:green", ms=4, label="interval half-width")
    ax2.loglog(n, rel[-1] * np.sqrt(n[-1] / n), color="0.4", ls="--", lw=1,
               label="1/sqrt(n)")
    ax2.set_xlabel("number of paths")
    ax2.set_ylabel("half-width, % of IM")
    ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax2.set_title("Relative precision", loc="left", fontsize=11)
    ax2.legend(fontsize=8, frameon=False)
    ax2.grid(alpha=0.3, which="both")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path


def plot_im_vs_simm(
    monthly: pd.DataFrame, vs_simm: pd.DataFrame,
    episodes: Iterable[tuple[str, pd.Timestamp, pd.Timestamp]],
    path: str | os.PathLike[str], *, mc_labels: Iterable[str] = (),
) -> Path:
    """Model IM and ISDA SIMM (version in force) on a monthly grid, and their ratio.

    Top: SIMM and each model's IM (USD mn), Monte Carlo with its interval band. Bottom: model
    IM / SIMM, 1 marked. Stress episodes shaded, SIMM version changes marked; dates before the
    first SIMM version took effect (2016-09-01; computed with version 1.0) are hatched.
    """
    mc_labels = [m for m in mc_labels if m in vs_simm]
    fig, (ax, axr) = _subplots(2, 1, figsize=(13.5, 7.5), sharex=True,
                                  gridspec_kw={"height_ratios": [1, 1.15]})
    lo, hi = monthly.index[0], monthly.index[-1]
    eps = [(n, max(s, lo), min(e, hi)) for n, s, e in episodes if not (e < lo or s > hi)]
    for a in (ax, axr):
        for _, s, e in eps:
            a.axvspan(s, e, color="0.85", lw=0, zorder=0)
    for name, s, _ in eps:
        axr.text(s, 1.0, name, transform=axr.get_xaxis_transform(), fontsize=7, va="top",
                 ha="left", color="0.35", rotation=90)
    early = monthly["before_first_version"].astype(bool)
    if early.any():
        last_early = monthly.index[early][-1]
        for a in (ax, axr):
            a.axvspan(lo, last_early, facecolor="none", edgecolor="0.88", hatch="/", lw=0,
                      zorder=0)
    versions = monthly["simm_version"].astype(str)
    changes = versions.index[versions.ne(versions.shift())]
    for k, d in enumerate(changes):
        v = versions[d]
        for a in (ax, axr):
            a.axvline(d, color="tab:orange", lw=0.8, ls=":")
        text = f" SIMM {v}" + (" (used before it took effect)" if early[d] else "")
        right = (d - lo) / max(hi - lo, pd.Timedelta(days=1)) > 0.8
        ax.text(d, 0.98 - 0.07 * (k % 3), text + (" " if right else ""),
                transform=ax.get_xaxis_transform(), fontsize=7, va="top",
                ha="right" if right else "left", color="tab:orange")
    ax.plot(monthly.index, monthly["simm"] / 1e6, color="tab:orange", lw=2.2,
            label="ISDA SIMM (version in force)")
    colors = ["tab:blue", "tab:red", "tab:purple", "tab:cyan", "tab:brown", "tab:olive"]
    hs_labels = [c for c in vs_simm.columns if c not in mc_labels]
    for k, col in enumerate(hs_labels):
        c = colors[k % len(colors)]
        ax.plot(monthly.index, monthly[col] / 1e6, color=c, lw=1.0, label=col)
        axr.plot(vs_simm.index, vs_simm[col], color=c, lw=1.0, label=col)
    simm = monthly["simm"].where(monthly["simm"] > 0)
    for col in mc_labels:
        lo_b, hi_b = monthly[f"{col} ci_lower"], monthly[f"{col} ci_upper"]
        ax.plot(monthly.index, monthly[col] / 1e6, color="tab:green", lw=1.6, label=col)
        ax.fill_between(monthly.index, lo_b / 1e6, hi_b / 1e6, color="tab:green", alpha=0.25,
                        lw=0, label=f"{col}: MC interval")
        axr.plot(vs_simm.index, vs_simm[col], color="tab:green", lw=1.6, label=col)
        axr.fill_between(vs_simm.index, lo_b / simm, hi_b / simm, color="tab:green",
                         alpha=0.25, lw=0)
    ax.set_ylabel("IM, USD mn")
    ax.set_ylim(bottom=0)
    ax.set_title("Internal models against ISDA SIMM through time (month ends; shaded: stress "
                 "episodes)", loc="left", fontsize=11)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    axr.axhline(1.0, color="black", lw=1)
    axr.set_ylabel("model IM / SIMM")
    axr.set_ylim(bottom=0)
    note = (" Hatched: before SIMM existed (2016-09-01): version 1.0's parameters used."
            if early.any() else "")
    axr.set_title("Ratio of model IM to SIMM (1 = same margin)." + note, loc="left",
                  fontsize=9)
    axr.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    return path
