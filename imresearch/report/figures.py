"""Matplotlib figures of the reports (Agg backend; each function writes one PNG)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import StressWindow

__all__ = ["plot_market_overview", "plot_stress_profile"]

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
