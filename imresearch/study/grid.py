"""Sweep grids of a study and the tasks that run them (:mod:`imresearch.sweep` executes them).

Two kinds of grid file (TOML, one ``[grid]`` table):

* **market sweep**: ``[grid]`` varies market settings (:data:`SWEEPABLE`); each point is a
  :func:`market_task`.
* **model sweep**: ``[grid.<kind>]`` tables (``hs``, ``mc``, ``simm``, ``schedule``,
  ``static``: see :mod:`imresearch.models`) map model settings to lists; every combination is
  one model. ``[grid]`` itself may list ``portfolio`` (shipped example or file) and ``episode``
  (stress-episode names of the data) axes. Each point is one (portfolio, episode, model)
  :func:`margin_task`; points without ``portfolio`` take the study's, points without
  ``episode`` repeat over every episode of the data with enough history. Example::

      [grid]
      portfolio = ["dealer_book"]
      episode = ["covid_2020", "rates_2022"]
      [grid.hs]
      lookback_days = [252, 2520]
      filtering = ["none", "ewma"]
      [grid.mc]
      n_paths = [2000]
      copula = ["gaussian", "t"]
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines.hs import realised_pnl
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.marketdata.stress import find_stress_window
from imresearch.models import MODEL_KINDS, MarginModel, MCModel, im_series
from imresearch.models import model_from_table as _model_from_table
from imresearch.schema import from_mapping, read_toml, to_mapping
from imresearch.study.margin import book_date, mc_series_with_interval, required_rows
from imresearch.study.market import episodes_for, study_market, tail_table
from imresearch.study.settings import MarketStudyConfig, Study

__all__ = ["MARGIN_AXES", "SWEEPABLE", "load_grid", "margin_task", "market_task",
           "model_sweep_inputs", "sweep_study"]

#: Market settings a sweep grid may vary (the data set itself is loaded once and shared).
SWEEPABLE = ("horizon", "confidence", "stress_window_days", "recent_years")

#: Top-level axes of a model sweep (a grid with ``[grid.<kind>]`` tables).
MARGIN_AXES = ("portfolio", "episode")

#: Keys of a model-sweep point that are not model settings.
_POINT_KEYS = ("portfolio", "episode", "kind")


def _axes(table: dict[str, Any], where: str) -> dict[str, list[Any]]:
    axes = {}
    for key, values in table.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            raise InputError(f"{where} {key} is an empty list")
        axes[key] = values
    return axes


def load_grid(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a sweep grid file (see the module docstring) into a list of points.

    Raises
    ------
    InputError
        Missing or unreadable file, invalid TOML, no ``[grid]`` table, a setting that cannot
        be swept, an empty list, or a model setting with a bad value (naming file, table, key
        and value).
    """
    from imresearch.sweep import grid

    path = Path(path)
    doc = read_toml(path, what="grid file")
    unknown_sections = sorted(set(doc) - {"grid"})
    if unknown_sections:
        raise InputError(f"{path}: unknown section(s) {unknown_sections}; known: ['grid']")
    table = doc.get("grid")
    if not isinstance(table, dict) or not table:
        raise InputError(f"{path}: needs a non-empty [grid] table")
    table = dict(table)
    models = {k: table.pop(k) for k in list(table) if isinstance(table[k], dict)}
    if not models:
        unknown = sorted(set(table) - set(SWEEPABLE))
        if unknown:
            raise InputError(f"{path}: [grid] key(s) {unknown} cannot be swept; sweepable: "
                             f"{list(SWEEPABLE)}, or model settings in [grid.hs] / [grid.mc] "
                             "/ [grid.simm] ...")
        return grid(**_axes(table, f"{path}: [grid]"))
    unknown_kinds = sorted(set(models) - set(MODEL_KINDS))
    if unknown_kinds:
        raise InputError(f"{path}: [grid.{unknown_kinds[0]}] is not a model kind; kinds: "
                         f"{list(MODEL_KINDS)}")
    unknown = sorted(set(table) - set(MARGIN_AXES))
    if unknown:
        raise InputError(f"{path}: [grid] key(s) {unknown} cannot be swept next to model "
                         f"tables; the top level takes {list(MARGIN_AXES)} (model settings "
                         "such as confidence go in the model tables)")
    outer = grid(**_axes(table, f"{path}: [grid]")) if table else [{}]
    for axis in MARGIN_AXES:
        for point in outer:
            if axis in point and not (isinstance(point[axis], str) and point[axis].strip()):
                raise InputError(f"{path}: [grid] {axis} values must be names; got "
                                 f"{point[axis]!r}")
    inner: list[dict[str, Any]] = []
    for kind, sub in models.items():
        where = f"{path} [grid.{kind}]"
        points = grid(**_axes(dict(sub), f"{where}:")) if sub else [{}]
        for settings in points:
            model_of({"kind": kind, **settings}, source=where)  # validates names and values
            inner.append({"kind": kind, **settings})
    return [{**o, **i} for o in outer for i in inner]


def model_of(point: dict[str, Any], *, source: str = "sweep point") -> MarginModel:
    """The model of a model-sweep point (its settings without portfolio and episode)."""
    return _model_from_table({k: v for k, v in point.items() if k not in MARGIN_AXES},
                             source=source)


def market_task(params: dict[str, Any], shared: dict[str, Any],
                rng: np.random.Generator) -> dict[str, Any]:
    """One market-sweep point: stress window and stressed-vs-full tail shocks.

    Returns the stress window, and per risk class the median ratio of the stress-window to
    the full-history downward tail shock (how much a stressed calibration amplifies the tail).
    """
    cfg: MarketStudyConfig = shared["config"]
    cfg = from_mapping(MarketStudyConfig, {**to_mapping(cfg), **params}, source="sweep point")
    market: RiskFactorHistory = shared["market"]
    shocks = horizon_shocks(market, cfg.horizon)
    stress = find_stress_window(market, cfg.stress_window_days)
    full = tail_table(shocks.frame, cfg.confidence, "full")["full_down"].abs()
    stressed = tail_table(shocks.between(stress.start, stress.end).frame, cfg.confidence,
                          "stress")["stress_down"].abs()
    ratio = (stressed / full.where(full > 0)).groupby(market.metadata["risk_class"]).median()
    out: dict[str, Any] = {
        "stress_start": stress.start.date().isoformat(),
        "stress_end": stress.end.date().isoformat(),
        "stress_value": stress.value,
    }
    out.update({f"amplification_{cls}": float(v) for cls, v in ratio.items()})
    return out


def _episode_dates(market: RiskFactorHistory, start: pd.Timestamp, end: pd.Timestamp,
                   pad_days: int, step: int) -> pd.DatetimeIndex:
    """IM dates of an episode: ``pad_days`` business days either side, every ``step``-th,
    ending on the last of them."""
    dates = market.dates
    i0 = max(int(dates.searchsorted(start)) - pad_days, 0)
    i1 = min(int(dates.searchsorted(end, "right")) - 1 + pad_days, len(dates) - 1)
    return pd.DatetimeIndex(dates[i0:i1 + 1][::-1][::step][::-1], name="date")


def margin_task(params: dict[str, Any], shared: dict[str, Any],
                rng: np.random.Generator) -> dict[str, Any]:
    """One model-sweep point: a model's IM through one stress episode for one portfolio.

    IM every ``shared["step"]`` business days from ``shared["pad_days"]`` business days before
    the episode to as many after it (:func:`imresearch.models.im_series`; a Monte Carlo model
    takes its seed from the task's generator, each date's seed spawned from it), with the
    trades bound on the market's last date (constant maturity), against the realised
    ``horizon``-day P&L from each date.

    Returns
    -------
    dict
        ``model``: label; ``im_before`` (last IM date before the episode), ``im_peak`` (largest
        IM from the episode start), ``peak_over_before``, ``average_im``, ``max_call`` (largest
        rise between consecutive IM dates, USD) and ``max_call_over_before``, ``exceptions``
        and ``observations`` (IM dates whose realised loss exceeds the IM; overlapping when
        ``step < horizon``), ``worst_loss_over_im``, ``im_dates``; Monte Carlo adds
        ``mc_rel_half_width`` (median over the dates of the relative half-width of the IM
        interval), NaN for the other models.
    """
    market: RiskFactorHistory = shared["market"]
    bound = shared["portfolios"][params["portfolio"]]
    start, end = shared["episodes"][params["episode"]]
    model = model_of(dict(params))
    dates = _episode_dates(market, start, end, shared["pad_days"], shared["step"])
    half = np.nan
    if isinstance(model, MCModel):
        model = dataclasses.replace(model, seed=int(rng.integers(0, 2**63)))
        frame = mc_series_with_interval("im", model, bound, market, dates)
        im = frame["im"]
        half = float(np.nanmedian((frame["im ci_upper"] - frame["im ci_lower"]) / (2 * im)))
    else:
        im = im_series(model, bound, market, dates)
    horizon = getattr(model, "horizon", getattr(model, "mpor_days", 10))
    loss = -realised_pnl(bound, market, horizon).reindex(dates)
    before = im[im.index < start]
    after = im[im.index >= start]
    im_before = float(before.iloc[-1]) if len(before) else float(im.iloc[0])
    im_peak = float(after.max()) if len(after) else float(im.max())
    calls = im.diff().clip(lower=0)
    max_call = float(calls.max()) if len(calls.dropna()) else 0.0
    has = loss.notna() & im.notna()
    ratio = (loss[has] / im[has].where(im[has] > 0))
    return {
        "model": model.label,
        "im_before": im_before,
        "im_peak": im_peak,
        "peak_over_before": im_peak / im_before if im_before > 0 else np.nan,
        "average_im": float(im.mean()),
        "max_call": max_call,
        "max_call_over_before": max_call / im_before if im_before > 0 else np.nan,
        "exceptions": int((loss[has] > im[has]).sum()),
        "observations": int(has.sum()),
        "worst_loss_over_im": float(ratio.max()) if len(ratio.dropna()) else np.nan,
        "im_dates": len(dates),
        "mc_rel_half_width": half,
    }


def model_sweep_inputs(study: Study, points: list[dict[str, Any]], market: RiskFactorHistory,
                       *, pad_days: int = 20) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The tasks and shared inputs of a model sweep (see :func:`sweep_study`).

    Fills in the study's portfolio, repeats points without an episode over every episode of
    ``market`` with enough history, checks every (episode, model), and binds each portfolio
    once on its own date (:func:`~imresearch.study.margin.book_date`).

    Returns
    -------
    (points, shared)
        The expanded points, and the ``shared`` mapping of :func:`margin_task`.
    """
    from imresearch.portfolio import load_portfolio
    from imresearch.portfolio.binding import bind

    known = {name: (s, e) for name, s, e in episodes_for(market)}
    step = study.rolling.step

    def fits(name: str, model: MarginModel) -> bool:
        s, e = known[name]
        if e < market.start or s > market.end:
            return False
        first = _episode_dates(market, s, e, pad_days, step)[0]
        return int(market.dates.searchsorted(first)) >= required_rows(model) + getattr(
            model, "horizon", 0)

    expanded: list[dict[str, Any]] = []
    for point in points:
        point = dict(point)
        if "portfolio" not in point:
            if study.portfolio is None:
                raise InputError("a model sweep needs a portfolio: a [grid] portfolio axis or "
                                 "the study's [portfolio] source")
            point = {"portfolio": study.portfolio.source, **point}
        model = model_of(point, source="grid")
        if "episode" in point:
            name = point["episode"]
            if name not in known:
                raise InputError(f"grid: unknown episode {name!r} for data {market.name}; "
                                 f"known: {sorted(known)}")
            s, e = known[name]
            if e < market.start or s > market.end:
                raise InputError(f"grid: episode {name!r} ({s:%Y-%m-%d} .. {e:%Y-%m-%d}) is "
                                 f"outside the data {market.name} ({market.start:%Y-%m-%d} .. "
                                 f"{market.end:%Y-%m-%d})")
            if not fits(name, model):
                raise InputError(
                    f"grid: episode {name!r} ({s:%Y-%m-%d} .. {e:%Y-%m-%d}) has fewer than "
                    f"the {required_rows(model) + getattr(model, 'horizon', 0)} business days "
                    f"of {market.name} history "
                    f"before it that model {model.label!r} needs (data from "
                    f"{market.start:%Y-%m-%d})")
            expanded.append(point)
        else:
            names = [n for n in known if fits(n, model)]
            if not names:
                raise InputError(f"grid: no episode of {market.name} has enough history for "
                                 f"model {model.label!r}")
            rest = {k: v for k, v in point.items() if k != "portfolio"}
            expanded += [{"portfolio": point["portfolio"], "episode": n, **rest} for n in names]
    books = {name: load_portfolio(name) for name in dict.fromkeys(p["portfolio"]
                                                                  for p in expanded)}
    portfolios = {name: bind(book, market, book_date(book, market))
                  for name, book in books.items()}
    episodes = {n: known[n] for n in dict.fromkeys(p["episode"] for p in expanded)}
    shared = {"market": market, "portfolios": portfolios, "episodes": episodes,
              "pad_days": pad_days, "step": step}
    return expanded, shared


def sweep_study(
    study: Study,
    points: list[dict[str, Any]],
    *,
    scheduler: str = "serial",
    n_workers: int | None = None,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | None = None,
    progress: Any = False,
    task_threads: int | None = 1,
    pad_days: int = 20,
) -> pd.DataFrame:
    """Run a sweep grid on an executor (see :mod:`imresearch.sweep`).

    Market points (no ``kind`` key) run :func:`market_task`; model points run
    :func:`margin_task` for each (portfolio, episode, model). The market, the portfolios
    (bound once on the last market date) and the episode windows are loaded once and shared
    with the workers. The IM step of a model sweep is the study's ``[rolling] step``.

    Raises
    ------
    InputError
        A bad market setting, an unknown portfolio or episode (naming the known ones), or an
        episode without enough history before it for a model's lookback.
    """
    from imresearch.sweep import run_sweep

    if not points:
        raise InputError("the sweep grid has no points")
    market = study_market(study.market, data_dir=data_dir)
    kinds = {"kind" in p for p in points}
    if kinds == {False}:
        for point in points:
            from_mapping(MarketStudyConfig, {**to_mapping(study.market), **point}, source="grid")
        return run_sweep(market_task, points, shared={"market": market, "config": study.market},
                         seed=seed, scheduler=scheduler, n_workers=n_workers, out=out,
                         progress=progress, task_threads=task_threads,
                         context={"study": study.settings()})
    if kinds != {True}:
        raise InputError("a sweep grid mixes market points and model points")
    expanded, shared = model_sweep_inputs(study, points, market, pad_days=pad_days)
    return run_sweep(margin_task, expanded, shared=shared, seed=seed, scheduler=scheduler,
                     n_workers=n_workers, out=out, progress=progress, task_threads=task_threads,
                     context={"study": study.settings()})
