"""Studies: what ``imresearch run`` does, from a study file or the built-in default.

A study file is TOML::

    [market]
    data = "synthetic"          # built-in name, catalogue name, or CSV/Parquet path
    seed = 0
    horizon = 10
    confidence = 0.99
    stress_window_days = 250

The run loads the market, builds horizon shocks, finds the stress window, tabulates tail shocks
per factor (full history, recent window, stress window), draws the figures, and writes results,
figures, ``report.html`` and ``manifest.json`` atomically into the output folder.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.config import MarketStudyConfig, from_mapping
from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.marketdata.stress import find_stress_window
from imresearch.measures import tail_count
from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    file_sha256,
    frame_sha256,
    write_manifest,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "Study",
    "load_grid",
    "load_market",
    "load_study",
    "market_task",
    "run_study",
    "sweep_study",
]


@dataclass(frozen=True)
class Study:
    """A study: its name, settings and the file it came from (None for the built-in one)."""

    name: str = "default"
    market: MarketStudyConfig = field(default_factory=MarketStudyConfig)
    path: Path | None = None


def load_study(path: str | os.PathLike[str] | None) -> Study:
    """Read a study TOML file; ``None`` gives the built-in default study.

    Raises
    ------
    InputError
        Missing file, invalid TOML (with the line), unknown section or setting, bad value.
    """
    if path is None:
        return Study()
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: study file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    sections = {"name", "market"}
    unknown = sorted(set(doc) - sections)
    if unknown:
        raise InputError(f"{path}: unknown section(s) {unknown}; known: {sorted(sections)}")
    market = from_mapping(MarketStudyConfig, dict(doc.get("market", {})),
                          source=f"{path} [market]")
    return Study(name=str(doc.get("name", path.stem)), market=market, path=path)


def load_market(source: str, *, seed: int = 0, data_dir: str | None = None) -> RiskFactorHistory:
    """Load market data by built-in name, catalogue name or file path.

    Parameters
    ----------
    source : str
        A built-in name (``synthetic``, ``arch_sp500``...), a catalogue name (``sp500``,
        ``ust_cmt``... read from the data directory), or a path to a ``.csv``/``.parquet`` file.
    seed : int
        Seed of the synthetic markets.
    data_dir : str, optional
        Data directory of the catalogue (default: ``$IMRESEARCH_DATA``).
    """
    from imresearch.marketdata.builtin import builtin_names, load_builtin

    if source in builtin_names():
        return load_builtin(source, seed=seed) if source.startswith("synthetic") else (
            load_builtin(source)
        )
    suffixes = "".join(Path(source).suffixes).lower()
    if any(suffixes.endswith(s) for s in (".csv", ".csv.gz", ".csv.xz", ".txt")):
        from imresearch.marketdata.readers import load_csv

        return load_csv(source)
    if suffixes.endswith(".parquet"):
        from imresearch.marketdata.readers import load_parquet

        return load_parquet(source)
    from imresearch.marketdata.catalogue import load_dataset

    return load_dataset(source, data_dir=data_dir)


def _tail_table(
    shocks: pd.DataFrame, confidence: float, label: str
) -> pd.DataFrame:
    n = len(shocks)
    k = tail_count(n, confidence)
    ordered = np.sort(shocks.to_numpy(), axis=0)
    return pd.DataFrame(
        {
            f"{label}_down": ordered[k - 1],
            f"{label}_up": ordered[n - k],
        },
        index=shocks.columns,
    )


def run_study(
    study: Study,
    out: str | os.PathLike[str],
    *,
    data_dir: str | None = None,
    progress: bool = True,
) -> Path:
    """Run a study and write its results atomically into ``out``.

    Returns the output folder. See the module docstring for what is written.
    """
    from tqdm.auto import tqdm

    started = _dt.datetime.now(_dt.timezone.utc)
    cfg = study.market
    steps = ["load market", "shocks", "stress window", "tail shocks", "figures", "report"]
    bar = tqdm(total=len(steps), desc=f"study {study.name}", disable=not progress, unit="step",
               file=sys.stderr)

    def step(i: int) -> None:
        bar.set_postfix_str(steps[i])
        bar.update(1 if i else 0)

    step(0)
    market = load_market(cfg.data, seed=cfg.seed, data_dir=data_dir)
    step(1)
    shocks = horizon_shocks(market, cfg.horizon)
    step(2)
    if market.n_dates < cfg.stress_window_days:
        raise InputError(
            f"data {cfg.data!r}: {market.n_dates} dates, fewer than "
            f"stress_window_days={cfg.stress_window_days}"
        )
    stress = find_stress_window(market, cfg.stress_window_days)
    step(3)
    recent_start = market.end - pd.DateOffset(years=cfg.recent_years)
    tables = [
        _tail_table(shocks.frame, cfg.confidence, "full"),
        _tail_table(shocks.between(start=recent_start).frame, cfg.confidence, "recent"),
        _tail_table(shocks.between(stress.start, stress.end).frame, cfg.confidence, "stress"),
    ]
    tails = pd.concat(tables, axis=1)
    tails.insert(0, "risk_class", market.metadata["risk_class"])
    tails.insert(1, "convention", market.metadata["convention"])
    tails.index.name = "factor"
    summary = market.summary()

    with atomic_output_dir(out) as tmp:
        summary.to_csv(tmp / "market_summary.csv")
        tails.to_csv(tmp / "tail_shocks.csv")
        stress.profile.to_frame().to_parquet(tmp / "stress_profile.parquet")
        stress_info = {
            "start": stress.start.date().isoformat(),
            "end": stress.end.date().isoformat(),
            "statistic": stress.statistic,
            "value": stress.value,
            "length_days": stress.length,
        }
        atomic_write_text(tmp / "stress_window.json", json.dumps(stress_info, indent=2) + "\n")
        step(4)
        from imresearch.report.figures import plot_market_overview, plot_stress_profile

        figdir = tmp / "figures"
        figdir.mkdir()
        fig1 = plot_market_overview(market, stress, figdir / "market_overview.png")
        fig2 = plot_stress_profile(stress, figdir / "stress_profile.png")
        step(5)
        inputs: dict[str, Any] = {
            "market": {
                "source": cfg.data,
                "name": market.name,
                "factors": market.n_factors,
                "dates": market.n_dates,
                "first_date": market.start.date().isoformat(),
                "last_date": market.end.date().isoformat(),
                "levels_sha256": frame_sha256(market.levels),
            }
        }
        if study.path is not None:
            inputs["study_file"] = {"path": str(study.path), "sha256": file_sha256(study.path)}
        settings = {"study": study.name, "market": cfg.to_dict()}
        manifest_path = write_manifest(
            tmp, command="imresearch run", inputs=inputs, settings=settings, seed=cfg.seed,
            started=started, extra={"stress_window": stress_info},
        )
        manifest = json.loads(manifest_path.read_text())
        from imresearch.report import html_report

        pct = f"{cfg.confidence:.1%}"
        page = html_report(
            f"imresearch study: {study.name}",
            [
                {
                    "heading": "Market data",
                    "text": f"{market.name}: {market.n_factors} risk factors, {market.n_dates} "
                    f"business days from {market.start:%Y-%m-%d} to {market.end:%Y-%m-%d}.",
                    "table": summary,
                },
                {
                    "heading": "Market overview",
                    "figure": fig1,
                    "caption": "Representative factors; the stress window is shaded.",
                },
                {
                    "heading": "Stress window",
                    "text": f"The most volatile {stress.length}-day window runs from "
                    f"{stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d} (average normalised "
                    f"daily volatility {stress.value:.2f} times the full-history average).",
                    "figure": fig2,
                    "caption": "Stress statistic of every candidate window, by window end date.",
                },
                {
                    "heading": f"{pct} tail shocks over {cfg.horizon} days",
                    "text": f"Downward and upward {pct} quantiles (k-th order statistic) of "
                    f"overlapping {cfg.horizon}-day shocks, in each factor's shock convention: "
                    f"whole history, last {cfg.recent_years} years, and the stress window.",
                    "table": tails,
                },
            ],
            manifest=manifest,
        )
        atomic_write_text(tmp / "report.html", page)
        # again, so that the manifest also lists the report itself
        write_manifest(
            tmp, command="imresearch run", inputs=inputs, settings=settings, seed=cfg.seed,
            started=started, extra={"stress_window": stress_info},
        )
        bar.update(1)
    bar.close()
    return Path(out)


#: Market settings a sweep grid may vary (the data set itself is loaded once and shared).
SWEEPABLE = ("horizon", "confidence", "stress_window_days", "recent_years")


def load_grid(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a sweep grid: a TOML file whose ``[grid]`` table maps settings to lists of values.

    Raises
    ------
    InputError
        Missing file, invalid TOML, no ``[grid]`` table, a setting that cannot be swept, or an
        empty list.
    """
    from imresearch.sweep import grid

    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: grid file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    table = doc.get("grid")
    if not isinstance(table, dict) or not table:
        raise InputError(f"{path}: needs a non-empty [grid] table")
    unknown = sorted(set(table) - set(SWEEPABLE))
    if unknown:
        raise InputError(f"{path}: [grid] key(s) {unknown} cannot be swept; sweepable: "
                         f"{list(SWEEPABLE)}")
    axes = {}
    for key, values in table.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            raise InputError(f"{path}: [grid] {key} is an empty list")
        axes[key] = values
    return grid(**axes)


def market_task(params: dict[str, Any], shared: dict[str, Any],
                rng: np.random.Generator) -> dict[str, Any]:
    """One sweep point: stress window and stressed-vs-full tail shocks for some settings.

    Returns the stress window, and per risk class the median ratio of the stress-window to
    the full-history downward tail shock (how much a stressed calibration amplifies the tail).
    """
    cfg: MarketStudyConfig = shared["config"]
    cfg = from_mapping(MarketStudyConfig, {**cfg.to_dict(), **params}, source="sweep point")
    market: RiskFactorHistory = shared["market"]
    shocks = horizon_shocks(market, cfg.horizon)
    stress = find_stress_window(market, cfg.stress_window_days)
    full = _tail_table(shocks.frame, cfg.confidence, "full")["full_down"].abs()
    stressed = _tail_table(shocks.between(stress.start, stress.end).frame, cfg.confidence,
                           "stress")["stress_down"].abs()
    ratio = (stressed / full.where(full > 0)).groupby(market.metadata["risk_class"]).median()
    out: dict[str, Any] = {
        "stress_start": stress.start.date().isoformat(),
        "stress_end": stress.end.date().isoformat(),
        "stress_value": stress.value,
    }
    out.update({f"amplification_{cls}": float(v) for cls, v in ratio.items()})
    return out


def sweep_study(
    study: Study,
    points: list[dict[str, Any]],
    *,
    scheduler: str = "serial",
    n_workers: int | None = None,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run :func:`market_task` for every grid point on an executor (see :mod:`imresearch.sweep`).

    The market is loaded once and shared with the workers.
    """
    from imresearch.sweep import run_sweep

    for point in points:
        from_mapping(MarketStudyConfig, {**study.market.to_dict(), **point}, source="grid")
    market = load_market(study.market.data, seed=study.market.seed, data_dir=data_dir)
    return run_sweep(market_task, points, shared={"market": market, "config": study.market},
                     seed=seed, scheduler=scheduler, n_workers=n_workers, out=out,
                     progress=progress)
