"""Matplotlib figures of the reports (Agg backend; each function writes one PNG)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import StressWindow

__all__ = [
    "plot_apc_frontier",
    "plot_im_comparison",
    "plot_im_through_time",
    "plot_market_overview",
    "plot_pnl_distribution",
    "plot_stress_profile",
]

_CLASS_ORDER = ("equity", "FX", "IR", "credit", "commodity", "volatility", "inflation", "other")


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
    fig, axes = plt.subplots(nrows, ncols, figsize=(11, 2.8 * nrows), squeeze=False,
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
    plt.close(fig)
    return path


def plot_stress_profile(stress: StressWindow, path: str | os.PathLike[str]) -> Path:
    """The stress statistic of every candidate window, with the maximum marked."""
    fig, ax = plt.subplots(figsize=(11, 3.2))
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
    plt.close(fig)
    return path


def _money_axis(ax: plt.Axes, scale: float = 1e6, unit: str = "USD mn") -> None:
    from matplotlib.ticker import FuncFormatter

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
    fig, ax = plt.subplots(figsize=(12, 5))
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
    plt.close(fig)
    return path


def plot_apc_frontier(frontier: pd.DataFrame, path: str | os.PathLike[str], *,
                      target: str = "") -> Path:
    """Cost (average IM) against procyclicality (PTR; largest 20-day increase) per tool."""
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
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
    plt.close(fig)
    return path


def plot_pnl_distribution(pnl: pd.Series | np.ndarray, var: float, es: float,
                          path: str | os.PathLike[str], *, title: str = "") -> Path:
    """Histogram of scenario P&L with the VaR and ES lines."""
    fig, ax = plt.subplots(figsize=(9, 4))
    values = np.asarray(pnl, dtype=float) / 1e6
    ax.hist(values, bins=80, color="tab:blue", alpha=0.75)
    ax.axvline(-var / 1e6, color="red", lw=1.2, label=f"VaR {var / 1e6:,.1f} mn")
    ax.axvline(-es / 1e6, color="darkred", lw=1.2, ls="--", label=f"ES {es / 1e6:,.1f} mn")
    ax.set_xlabel("scenario P&L, USD mn (gains positive)")
    ax.set_ylabel("scenarios")
    ax.set_title(title, loc="left", fontsize=11)
    ax.legend(fontsize=8, frameon=False)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_im_comparison(on_date: pd.DataFrame, path: str | os.PathLike[str], *,
                       date: object = None) -> Path:
    """IM of each model on the valuation date next to SIMM and the schedule."""
    fig, ax = plt.subplots(figsize=(10, 4))
    colors = {"internal model": "tab:blue", "ISDA SIMM": "tab:orange",
              "BCBS-IOSCO schedule": "tab:gray"}
    vals = on_date["im"].astype(float) / 1e6
    bars = ax.barh(on_date.index[::-1], vals[::-1],
                   color=[colors.get(k, "tab:blue") for k in on_date["kind"][::-1]])
    for bar, v in zip(bars, vals[::-1], strict=True):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {v:,.1f}",
                va="center", fontsize=8)
    ax.set_xlabel("IM, USD mn")
    when = f" on {date:%Y-%m-%d}" if hasattr(date, "strftime") else ""
    ax.set_title(f"Same portfolio, every model{when}: internal models, SIMM and schedule",
                 loc="left", fontsize=11)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
