"""Figures of SIMM's calibration lag (pyplot-free matplotlib Figures).

:func:`plot_version_timeline` draws every SIMM version's calibration data window against the
period it was in force, with the stress episodes since 2016 and the lag from each peak to the
first version whose data contain it. :func:`plot_calibration_lag` draws a portfolio's SIMM through
each episode under the version in force and under every later version
(:func:`imresearch.scenarios.simm_lag.calibration_lag`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from imresearch.report import layout
from imresearch.scenarios.episodes import Episode
from imresearch.scenarios.simm_lag import episode_versions
from imresearch.simm import version_info, version_schedule

__all__ = ["plot_calibration_lag", "plot_version_timeline"]

_DATA = "#9ecae1"
_IN_FORCE = "#08519c"
_EPISODE = "#fdae6b"


def _save(fig: Figure, path: str | os.PathLike[str] | None) -> Figure:
    if path is not None:
        fig.savefig(Path(path), dpi=130, bbox_inches="tight")
    return fig


def _version_colours(versions: Sequence[str]) -> dict[str, tuple[float, ...]]:
    """One distinct colour per version (tab20 without its reds, kept for the recalibrated line,
    and its greys, which the legend uses for line styles: the strong shades first, then the
    light)."""
    cmap = colormaps["tab20"]
    order = [i for i in (*range(0, 20, 2), *range(1, 20, 2)) if i not in (6, 7, 14, 15)]
    return {v: cmap(order[i % len(order)]) for i, v in enumerate(versions)}


def plot_version_timeline(
    episodes: Sequence[str | Episode] | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    start: object = "2012-01-01",
) -> Figure:
    """Each SIMM version's calibration data and period in force, with the stress episodes.

    Parameters
    ----------
    episodes : sequence of str or Episode, optional
        Episodes to mark (default: the catalogue's since 2016-09-01).
    path : path-like, optional
        Also write the figure as a PNG there.
    start : date-like, default "2012-01-01"
        Left edge of the time axis (the 2008-09 stress year of every version is stated in the
        legend rather than drawn).

    Returns
    -------
    Figure
    """
    sched = version_schedule()
    lag = episode_versions(episodes)
    left = pd.Timestamp(start)
    right = sched["effective_date"].iloc[-1] + pd.DateOffset(months=12)
    fig = Figure(figsize=(11, 0.42 * len(sched) + 1.8))
    ax = fig.subplots()
    rows = {v: i for i, v in enumerate(sched.index)}
    for v, r in sched.iterrows():
        y = rows[v]
        ax.barh(y, (r["recent_end"] - r["recent_start"]).days, left=r["recent_start"],
                height=0.55, color=_DATA, edgecolor="none")
        until = r["until"] if pd.notna(r["until"]) else right
        ax.barh(y, (until - r["effective_date"]).days, left=r["effective_date"], height=0.55,
                color=_IN_FORCE, edgecolor="none")
    for e, r in lag.iterrows():
        ax.axvline(r["peak"], color=_EPISODE, lw=6, alpha=0.45, zorder=0)
        ax.text(r["peak"], -0.75, str(e).replace("_", " "), rotation=90,
                ha="center", va="bottom", fontsize=7.5, color="#a63603")
        if r["first_to_see"]:
            y0, y1 = rows[r["in_force"]], rows[r["first_to_see"]]
            ax.annotate("", xy=(r["effective_date"], y1), xytext=(r["peak"], y0),
                        arrowprops={"arrowstyle": "->", "color": "#a63603", "lw": 1.1,
                                    "shrinkA": 0, "shrinkB": 2})
            until = sched.loc[r["first_to_see"], "until"]
            inside = pd.notna(until) and (until - r["effective_date"]).days > 330
            ax.text((r["effective_date"] if inside else until) + pd.Timedelta(days=30), y1,
                    f"+{r['lag_months']:.0f} m", va="center", fontsize=7,
                    color="white" if inside else "#a63603", fontweight="bold")
    labels = [v if len(version_info(v).recalibrated_risk_classes) == 6 else
              f"{v} ({', '.join(version_info(v).recalibrated_risk_classes)} only)"
              for v in sched.index]
    ax.set_yticks(range(len(sched)), labels)
    ax.set_ylim(len(sched) + 1.4, -3.6)  # inverted: versions top down, episode names on top
    ax.set_xlim(left, right)
    ax.xaxis_date()
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("ISDA SIMM versions: calibration data and period in force; stress episodes "
                 "and the lag until a version's data contain them", fontsize=10)
    ax.legend(handles=[
        Patch(color=_DATA, label="calibration data: 3 recent years (each version also uses a "
              "2008-09 stress year)"),
        Patch(color=_IN_FORCE, label="in force"),
        Patch(color=_EPISODE, alpha=0.45, label="stress episode (peak)"),
        Line2D([], [], color="#a63603", lw=1.1, marker=">", label="peak -> first version "
               "whose data contain it (months)"),
    ], loc="lower left", fontsize=7.5, framealpha=0.9)
    fig.tight_layout()
    return _save(fig, path)


def plot_calibration_lag(
    lag: pd.DataFrame,
    path: str | os.PathLike[str] | None = None,
    *,
    titles: dict[str, str] | None = None,
    ncols: int = 2,
) -> Figure:
    """A portfolio's SIMM through each episode: version in force against the later versions.

    Parameters
    ----------
    lag : DataFrame
        Output of :func:`imresearch.scenarios.simm_lag.calibration_lag`.
    path : path-like, optional
        Also write the figure as a PNG there.
    titles : dict, optional
        Panel title per episode name (default the name).
    ncols : int, default 2
        Panels per row.

    Returns
    -------
    Figure
        One panel per episode: the in-force SIMM (black), each later version (coloured by
        effective date; solid if its calibration data contain the episode's peak, dashed if
        not) and, when present, the point-in-time recalibrated SIMM (dotted red), in USD mn;
        the legend in the last cell.
    """
    episodes = list(dict.fromkeys(lag["episode"]))
    versions = list(version_schedule().index)
    colours = _version_colours(versions)
    n = len(episodes)
    ncols = max(2, min(ncols, n + 1))  # one episode: the legend beside it, not below
    nrows = int(np.ceil((n + 1) / ncols))  # one cell for the legend
    fig = Figure(figsize=(5.6 * ncols, 3.1 * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    used: list[str] = []
    for ax, name in zip(axes, episodes, strict=False):
        part = lag[lag["episode"] == name]
        in_force = part[part["role"] == "in force"]
        for v, rows in part[part["role"] == "later"].groupby("version", sort=False):
            sees = bool(rows["sees_episode"].iloc[0])
            ax.plot(rows["date"], rows["simm"] / 1e6, color=colours.get(str(v), "grey"),
                    lw=1.3, ls="-" if sees else "--")
            used.append(str(v))
        ax.plot(in_force["date"], in_force["simm"] / 1e6, color="black", lw=2.4)
        recal = part[part["role"] == "recalibrated"]
        if len(recal):
            ax.plot(recal["date"], recal["simm"] / 1e6, color="#cb181d", lw=1.6, ls=":")
        seeing = part[(part["role"] == "later") & part["sees_episode"]]
        first = (seeing.sort_values("effective_date")["version"].iloc[0] if len(seeing)
                 else None)
        label = (titles or {}).get(name, name.replace("_", " "))
        now = ", ".join(dict.fromkeys(in_force["version"]))
        sub = (f"in force {now}; first to see it: {first} (from "
               f"{seeing['effective_date'].min():%Y-%m-%d})" if first else
               f"in force {now}; no published version's data contain it yet")
        ax.set_title(f"{label}\n{sub}", fontsize=8.5)
        ax.set_ylabel("SIMM, USD mn", fontsize=8)
        ax.tick_params(labelsize=7)
        layout.date_axis(ax)
        ax.xaxis.get_offset_text().set_fontsize(7)
        ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    handles = [Line2D([], [], color="black", lw=2.4, label="version in force on the date"),
               Line2D([], [], color="grey", lw=1.3, label="later version whose data contain "
                      "the episode"),
               Line2D([], [], color="grey", lw=1.3, ls="--", label="later version blind to it")]
    if (lag["role"] == "recalibrated").any():
        handles.append(Line2D([], [], color="#cb181d", lw=1.6, ls=":",
                              label="point-in-time recalibrated (version in force)"))
    handles += [Line2D([], [], color=colours[v], lw=2.0, label=f"SIMM {v}")
                for v in versions if v in used]
    spare = axes[n]
    spare.set_visible(True)
    spare.axis("off")
    spare.legend(handles=handles, loc="center", fontsize=7.5, ncol=2, frameon=False,
                 title="same exposures, same dates", title_fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
