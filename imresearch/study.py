"""Studies: what ``imresearch run`` does, from a study file or the built-in default.

A study file is TOML (every section and key optional; defaults give the built-in study)::

    name = "my study"

    [market]
    data = "synthetic"            # built-in name, catalogue name, or CSV/Parquet path
    seed = 0
    horizon = 10
    confidence = 0.99
    stress_window_days = 250

    [portfolio]
    source = "dealer_book"        # shipped example or a CSV/TOML portfolio file
    simm_version = "2.8+2512"

    [rolling]
    years = 10                    # years of IM dates, ending on the last market date
    step = 5                      # business days between IM dates

    [models."HS 10y"]             # one table per model: HSModel settings
    lookback_days = 2520

    [models."FHS-EWMA 10y"]
    lookback_days = 2520
    filtering = "ewma"

    [models."MC 3y+stress"]       # engine = "mc": Monte Carlo (MCStudyModel: paths,
    engine = "mc"                 # monthly_paths, horizon, confidence, then any MCModel
    paths = 20000                 # setting: window, lookback_days, copula, marginal...)
    window = "recent+stress"
    copula = "gaussian"

    [apc]
    target = "HS 10y"
    floor_model = "HS 10y"

The run loads the market, analyses its shocks and stress window, then (unless ``[portfolio]``
has ``source = "none"``) runs every HS model through time on the portfolio, backtests it against
realised P&L, runs the Monte Carlo models on the last date (IM with its confidence interval,
convergence in the number of paths), compares every model with ISDA SIMM and the schedule on
the last date and with SIMM (version in force) on a monthly grid, applies the APC tools, draws
the figures, and writes results, figures, ``report.html`` and ``manifest.json`` atomically into
the output folder. The Monte Carlo seeds derive from ``[market] seed``.
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

from imresearch.config import (
    APCConfig,
    HSModel,
    MarketStudyConfig,
    MCStudyModel,
    PortfolioStudyConfig,
    RollingConfig,
    from_mapping,
)
from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.marketdata.stress import find_stress_window
from imresearch.measures import tail_count
from imresearch.progress import Progress
from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    check_output_dir,
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
    "margin_task",
    "market_task",
    "model_sweep_inputs",
    "run_study",
    "sweep_study",
]


@dataclass(frozen=True)
class Study:
    """A study: its name, settings and the file it came from (None for the built-in one)."""

    name: str = "default"
    market: MarketStudyConfig = field(default_factory=MarketStudyConfig)
    portfolio: PortfolioStudyConfig | None = field(default_factory=PortfolioStudyConfig)
    rolling: RollingConfig = field(default_factory=RollingConfig)
    models: dict[str, HSModel | MCStudyModel] | None = None
    apc: APCConfig = field(default_factory=APCConfig)
    path: Path | None = None

    def settings(self) -> dict[str, Any]:
        """All settings as plain dicts (for the manifest)."""
        from imresearch.margin_analysis import DEFAULT_MODELS

        models = self.models if self.models is not None else DEFAULT_MODELS
        return {
            "study": self.name,
            "market": self.market.to_dict(),
            "portfolio": None if self.portfolio is None else self.portfolio.to_dict(),
            "rolling": self.rolling.to_dict(),
            "models": {k: v.to_dict() for k, v in models.items()},
            "apc": self.apc.to_dict(),
        }


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
    sections = {"name", "market", "portfolio", "rolling", "models", "apc"}
    unknown = sorted(set(doc) - sections)
    if unknown:
        raise InputError(f"{path}: unknown section(s) {unknown}; known: {sorted(sections)}")
    market = from_mapping(MarketStudyConfig, dict(doc.get("market", {})),
                          source=f"{path} [market]")
    port_doc = dict(doc.get("portfolio", {}))
    portfolio = (None if str(port_doc.get("source", "")).lower() == "none" else
                 from_mapping(PortfolioStudyConfig, port_doc, source=f"{path} [portfolio]"))
    rolling = from_mapping(RollingConfig, dict(doc.get("rolling", {})),
                           source=f"{path} [rolling]")
    models = None
    if "models" in doc:
        if not isinstance(doc["models"], dict) or not doc["models"]:
            raise InputError(f"{path}: [models] needs one table per model, e.g. "
                             '[models."HS 10y"]')
        models = {}
        for label, table in doc["models"].items():
            if not isinstance(table, dict):
                raise InputError(f'{path}: [models."{label}"] must be a table of settings')
            source = f'{path} [models."{label}"]'
            table = dict(table)
            engine = table.pop("engine", "hs")
            if engine == "mc":
                models[str(label)] = MCStudyModel.from_table(table, source=source)
            elif engine == "hs":
                models[str(label)] = from_mapping(HSModel, table, source=source)
            else:
                raise InputError(f"{source}: engine must be 'hs' (historical simulation, "
                                 f"filtered or not) or 'mc' (Monte Carlo); got {engine!r}")
    apc_doc = dict(doc.get("apc", {}))
    if "calibration_models" in apc_doc:
        apc_doc["calibration_models"] = tuple(apc_doc["calibration_models"])
    apc = from_mapping(APCConfig, apc_doc, source=f"{path} [apc]")
    return Study(name=str(doc.get("name", path.stem)), market=market, portfolio=portfolio,
                 rolling=rolling, models=models, apc=apc, path=path)


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


def _episodes_for(market: RiskFactorHistory) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Stress episodes to shade: the synthetic market's schedule, else the catalogue."""
    if market.name.startswith("synthetic"):
        from imresearch.marketdata import DEFAULT_EPISODES, STRESS_EPISODES

        eps = [STRESS_EPISODES[k] for k in DEFAULT_EPISODES]
        return [(e.name, pd.Timestamp(e.start), pd.Timestamp(e.end)) for e in eps]
    from imresearch.scenarios import load_episodes

    return [(e.name, e.start, e.end) for e in load_episodes()]


def run_study(
    study: Study,
    out: str | os.PathLike[str],
    *,
    data_dir: str | None = None,
    progress: bool | Progress = True,
) -> Path:
    """Run a study and write its results atomically into ``out``.

    ``out`` must be new, empty or an earlier imresearch output (checked before any
    computation). ``progress``: report the steps on stderr, or on the given
    :class:`~imresearch.progress.Progress`. Returns the output folder. See the module
    docstring for what is written.
    """
    from imresearch.report import figures as F
    from imresearch.report import html_report

    check_output_dir(out)
    started = _dt.datetime.now(_dt.timezone.utc)
    cfg = study.market
    bar = progress if isinstance(progress, Progress) else Progress(
        f"study {study.name}", mode="auto" if progress else "off")
    bar.steps.update(_progress_steps(study))
    step = bar.step

    step("load market")
    market = load_market(cfg.data, seed=cfg.seed, data_dir=data_dir)
    step("shocks")
    shocks = horizon_shocks(market, cfg.horizon)
    step("stress window")
    if market.n_dates < cfg.stress_window_days:
        raise InputError(
            f"data {cfg.data!r}: {market.n_dates} dates, fewer than "
            f"stress_window_days={cfg.stress_window_days}"
        )
    stress = find_stress_window(market, cfg.stress_window_days)
    step("tail shocks")
    recent_start = market.end - pd.DateOffset(years=cfg.recent_years)
    tails = pd.concat([
        _tail_table(shocks.frame, cfg.confidence, "full"),
        _tail_table(shocks.between(start=recent_start).frame, cfg.confidence, "recent"),
        _tail_table(shocks.between(stress.start, stress.end).frame, cfg.confidence, "stress"),
    ], axis=1)
    tails.insert(0, "risk_class", market.metadata["risk_class"])
    tails.insert(1, "convention", market.metadata["convention"])
    tails.index.name = "factor"
    summary = market.summary()

    margin = None
    portfolio = None
    if study.portfolio is not None:
        from imresearch.margin_analysis import margin_analysis
        from imresearch.portfolio import load_portfolio

        portfolio = load_portfolio(study.portfolio.source)
        margin = margin_analysis(market, portfolio, study.models, rolling=study.rolling,
                                 apc=study.apc, simm_version=study.portfolio.simm_version,
                                 seed=cfg.seed,
                                 progress=lambda text: bar.say(text, _PROGRESS_ALIASES))

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
        if margin is not None:
            margin.im.to_parquet(tmp / "im_through_time.parquet")
            margin.im.to_csv(tmp / "im_through_time.csv")
            margin.realised.to_frame().to_parquet(tmp / "realised_pnl.parquet")
            margin.backtests.to_csv(tmp / "backtests.csv")
            margin.on_date.to_csv(tmp / "im_on_valuation_date.csv")
            margin.first.attribution.to_csv(tmp / "attribution_by_trade.csv")
            margin.first.by_risk_class.to_csv(tmp / "attribution_by_risk_class.csv")
            margin.simm_breakdown.to_csv(tmp / "simm_breakdown.csv", index=False)
            margin.apc_series.to_parquet(tmp / "apc_charged_im.parquet")
            margin.frontier.to_csv(tmp / "apc_frontier.csv")
            if margin.mc:
                margin.mc_table().to_csv(tmp / "mc_on_valuation_date.csv")
                pd.concat({k: r.convergence for k, r in margin.mc.items()},
                          names=["model"]).to_csv(tmp / "mc_convergence.csv")
                pd.DataFrame({k: r.pnl.to_numpy() for k, r in margin.mc.items()}).rename_axis(
                    "path").to_parquet(tmp / "mc_pnl.parquet")
            if not margin.monthly.empty:
                margin.monthly.to_csv(tmp / "im_vs_simm_monthly.csv")
                margin.vs_simm.to_csv(tmp / "im_over_simm_monthly.csv")
        step("figures")
        figdir = tmp / "figures"
        figdir.mkdir()
        fig_market = F.plot_market_overview(market, stress, figdir / "market_overview.png")
        fig_stress = F.plot_stress_profile(stress, figdir / "stress_profile.png")
        margin_figs: dict[str, Path] = {}
        if margin is not None:
            first_label = margin.im.columns[0]
            margin_figs["im"] = F.plot_im_through_time(
                margin.im, margin.realised, _episodes_for(market), figdir / "im_through_time.png",
                exceptions_for=first_label, horizon=cfg.horizon)
            margin_figs["compare"] = F.plot_im_comparison(
                margin.on_date, figdir / "im_models_simm_schedule.png", date=market.end)
            first_mc = next(iter(margin.mc), None)
            dists = {first_label: (margin.first.pnl, margin.first.var, margin.first.es)}
            var_ci = {}
            if first_mc is not None:
                r = margin.mc[first_mc]
                dists[first_mc] = (r.pnl, r.var, r.es)
                var_ci[first_mc] = r.var_ci
            margin_figs["pnl"] = F.plot_pnl_distributions(
                dists, figdir / "pnl_distribution.png", var_ci=var_ci,
                confidence=margin.first.model.confidence,
                title=f"{margin.first.model.horizon}-day P&L on {market.end:%Y-%m-%d}: "
                + " and ".join(dists))
            if first_mc is not None:
                r = margin.mc[first_mc]
                refs = {k: float(margin.im[k].iloc[-1]) for k in list(margin.im.columns)[:2]}
                margin_figs["mc_convergence"] = F.plot_mc_convergence(
                    r.convergence, figdir / "mc_convergence.png", label=first_mc,
                    ci_level=r.model.ci_level, confidence=r.confidence, references=refs)
            if not margin.monthly.empty:
                margin_figs["vs_simm"] = F.plot_im_vs_simm(
                    margin.monthly, margin.vs_simm, _episodes_for(market),
                    figdir / "im_vs_simm.png", mc_labels=list(margin.mc))
            if not margin.frontier.empty:
                margin_figs["apc"] = F.plot_apc_frontier(margin.frontier,
                                                         figdir / "apc_frontier.png",
                                                         target=study.apc.target)
        step("report")
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
        if portfolio is not None:
            from imresearch.cache import cache_key

            inputs["portfolio"] = {
                "source": study.portfolio.source if study.portfolio else None,
                "name": portfolio.name, "trades": len(portfolio),
                "content_sha256": cache_key(portfolio.to_frame().astype(str).to_dict("split")),
            }
        if study.path is not None:
            inputs["study_file"] = {"path": str(study.path), "sha256": file_sha256(study.path)}
        settings = study.settings()
        extra = {"stress_window": stress_info}
        manifest_path = write_manifest(tmp, command="imresearch run", inputs=inputs,
                                       settings=settings, seed=cfg.seed, started=started,
                                       extra=extra)
        manifest = json.loads(manifest_path.read_text())
        sections = _report_sections(study, market, summary, stress, tails, fig_market,
                                    fig_stress, margin, margin_figs)
        page = html_report(f"imresearch study: {study.name}", sections, manifest=manifest)
        atomic_write_text(tmp / "report.html", page)
        # again, so that the manifest also lists the report itself
        write_manifest(tmp, command="imresearch run", inputs=inputs, settings=settings,
                       seed=cfg.seed, started=started, extra=extra)
    if bar is not progress:
        bar.close(f"results written to {out}")
    return Path(out)


#: Messages of :func:`margin_analysis` -> steps of :func:`run_study`.
_PROGRESS_ALIASES = {"rolling IM": "rolling IM", "Monte Carlo:": "Monte Carlo",
                     "SIMM through": "SIMM through time",
                     "Monte Carlo through": "SIMM through time", "realised": "backtests",
                     "IM on": "SIMM and schedule", "APC": "APC tools"}


def _progress_steps(study: Study) -> dict[str, int | None]:
    """The steps of :func:`run_study`, with the units of the long ones (models)."""
    from imresearch.margin_analysis import DEFAULT_MODELS

    steps: dict[str, int | None] = dict.fromkeys(
        ["load market", "shocks", "stress window", "tail shocks"])
    if study.portfolio is not None:
        models = study.models if study.models is not None else DEFAULT_MODELS
        n_hs = sum(isinstance(m, HSModel) for m in models.values())
        mc = [m for m in models.values() if isinstance(m, MCStudyModel)]
        steps["rolling IM"] = n_hs
        if mc:
            steps["Monte Carlo"] = len(mc)
        steps.update({"SIMM through time": 1 + sum(m.monthly_paths > 0 for m in mc),
                      "backtests": None, "SIMM and schedule": None, "APC tools": None})
    steps.update(dict.fromkeys(["figures", "report"]))
    return steps


def _report_sections(study: Study, market: RiskFactorHistory, summary: pd.DataFrame,
                     stress: Any, tails: pd.DataFrame, fig_market: Path, fig_stress: Path,
                     margin: Any, figs: dict[str, Path]) -> list[dict[str, Any]]:
    cfg = study.market
    pct = f"{cfg.confidence:.1%}"
    sections: list[dict[str, Any]] = []
    if margin is not None:
        on_date = margin.on_date.assign(im_usd_mn=margin.on_date["im"] / 1e6)
        simm_row = on_date.loc[on_date["kind"] == "ISDA SIMM", "im"].iloc[0]
        hs_row = on_date["im"].iloc[0]
        sections += [
            {
                "heading": "Initial margin through time",
                "text": f"Portfolio {study.portfolio.source if study.portfolio else ''} "
                f"({len(margin.first.attribution)} trades, terms held at constant maturity) "
                f"margined every {study.rolling.step} business days over the last "
                f"{study.rolling.years:g} years by each model, using only data known on each "
                "date. Grey: the realised 10-day loss starting that date; red crosses: losses "
                f"above the {margin.im.columns[0]} IM.",
                "figure": figs["im"],
                "caption": "IM per model; shaded: stress episodes of the data.",
            },
            {
                "heading": "Internal models against ISDA SIMM and the schedule",
                "text": f"On {market.end:%Y-%m-%d}: SIMM {margin.simm_version} is "
                f"{simm_row / hs_row:.2f} times the {on_date.index[0]} IM on the same trades "
                "(the whole book treated as one netting set).",
                "table": on_date[["kind", "im_usd_mn"]],
                "figure": figs["compare"],
                "caption": "IM on the valuation date, USD mn.",
            },
            *_mc_sections(study, market, margin, figs),
            {
                "heading": "Backtests",
                "text": "Realised 10-day P&L against the IM set at the start of each window, "
                "non-overlapping windows (the tests assume independent trials). Kupiec POF, "
                "Christoffersen independence and conditional coverage, Basel traffic light."
                + (" Monte Carlo models are backtested on their month-end IM (windows more "
                   "than 10 business days apart, so independent; fewer observations)."
                   if any(i.endswith("(month ends)") for i in margin.backtests.index) else ""),
                "table": margin.backtests,
            },
            {
                "heading": "Anti-procyclicality tools",
                "text": f"Tools applied to the {study.apc.target} IM: cost (average IM) "
                "against procyclicality (peak-to-trough ratio, largest 20-day increase).",
                "table": margin.frontier,
                "figure": figs.get("apc"),
                "caption": "The cost/benefit frontier of the APC tools.",
            },
            {
                "heading": "Scenario P&L and attribution on the valuation date",
                "text": f"{margin.im.columns[0]}: VaR {margin.first.var:,.0f}, ES "
                f"{margin.first.es:,.0f} USD. Contributions per risk class sum to VaR (loss in "
                "the VaR scenario) and ES (average loss over the tail scenarios)."
                + _mc_pnl_text(margin),
                "table": margin.first.by_risk_class,
                "figure": figs["pnl"],
                "caption": "Distribution of the 10-day P&L (densities) with each model's VaR "
                "(solid) and ES (dashed); Monte Carlo VaR interval shaded.",
            },
        ]
    sections += [
        {
            "heading": "Market data",
            "text": f"{market.name}: {market.n_factors} risk factors, {market.n_dates} "
            f"business days from {market.start:%Y-%m-%d} to {market.end:%Y-%m-%d}.",
            "table": summary,
        },
        {"heading": "Market overview", "figure": fig_market,
         "caption": "Representative factors; the stress window is shaded."},
        {
            "heading": "Stress window",
            "text": f"The most volatile {stress.length}-day window runs from "
            f"{stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d} (average normalised daily "
            f"volatility {stress.value:.2f} times the full-history average).",
            "figure": fig_stress,
            "caption": "Stress statistic of every candidate window, by window end date.",
        },
        {
            "heading": f"{pct} tail shocks over {cfg.horizon} days",
            "text": f"Downward and upward {pct} quantiles (k-th order statistic) of "
            f"overlapping {cfg.horizon}-day shocks, in each factor's shock convention: whole "
            f"history, last {cfg.recent_years} years, and the stress window.",
            "table": tails,
        },
    ]
    return sections


def _mc_pnl_text(margin: Any) -> str:
    if not margin.mc:
        return ""
    label, r = next(iter(margin.mc.items()))
    return (f" {label}: VaR {r.var:,.0f} ({r.model.ci_level:.0%} interval {r.var_ci[0]:,.0f} "
            f"to {r.var_ci[1]:,.0f}), ES {r.es:,.0f} USD over {r.n_paths:,} paths.")


def _mc_sections(study: Study, market: RiskFactorHistory, margin: Any,
                 figs: dict[str, Path]) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = []
    if margin.mc:
        table = margin.mc_table()
        shown = table[["im", "ci_lower", "ci_upper", "es", "es_ci_lower", "es_ci_upper"]] / 1e6
        shown.columns = [f"{c} (USD mn)" for c in shown.columns]
        shown["interval ± % of IM"] = 100 * table["rel_half_width"]
        shown["paths"] = table["paths"]
        shown["engine"] = table["engine"]
        shown["seconds"] = table["seconds"]
        label, r = next(iter(margin.mc.items()))
        sections.append({
            "heading": "Monte Carlo IM on the valuation date",
            "text": f"Each Monte Carlo model is calibrated on the data known on "
            f"{market.end:%Y-%m-%d} ({r.calibration.n_observations} daily shocks of "
            f"{r.calibration.n_factors} factors, window {r.model.window}), simulates daily "
            f"paths over {r.horizon} business days and revalues the trades in full at the "
            "horizon. The interval is distribution-free (order statistics of the simulated "
            f"losses, level {r.model.ci_level:.0%}): it covers the simulation noise only, not "
            "the model or calibration error. The convergence figure uses the first n paths of "
            "the same run.",
            "table": shown,
            "figure": figs.get("mc_convergence"),
            "caption": f"{label}: IM against the number of paths, with its interval; "
            "right: interval half-width against 1/sqrt(n).",
        })
    if not margin.monthly.empty:
        ratio = margin.vs_simm
        eps = _episodes_for(market)
        in_stress = pd.Series(False, index=ratio.index)
        for _, start, end in eps:
            in_stress |= (ratio.index >= start) & (ratio.index <= end)
        summary = pd.DataFrame({
            "median": ratio.median(), "min": ratio.min(), "max": ratio.max(),
            "median in stress months": ratio[in_stress].median() if in_stress.any()
            else float("nan"),
            "median otherwise": ratio[~in_stress].median(),
        })
        summary.index.name = "model IM / SIMM"
        early = margin.monthly["before_first_version"].astype(bool)
        note = (f" Before {margin.monthly.index[~early][0]:%Y-%m-%d} no shipped SIMM version "
                "was in force; SIMM 2.5's parameters are used there (hatched)."
                if early.any() and (~early).any() else
                " No shipped SIMM version was in force on these dates; SIMM 2.5's parameters "
                "are used (hatched)." if early.all() else "")
        sections.append({
            "heading": "Internal models against SIMM through time",
            "text": f"On the last IM date of each month ({len(ratio)} dates), ISDA SIMM of the "
            "same trades (CRIF by bump and revaluation on that date's market) with the "
            "version in force on that date, against each model's IM. SIMM's risk weights are "
            "fixed between recalibrations, so it reacts to a stress only through the "
            "sensitivities: the ratio rises in stress for the reactive models." + note,
            "table": summary,
            "figure": figs.get("vs_simm"),
            "caption": "Top: IM and SIMM, USD mn; bottom: model IM / SIMM. Shaded: stress "
            "episodes; dotted: SIMM version changes; Monte Carlo band: its interval.",
        })
    return sections


#: Market settings a sweep grid may vary (the data set itself is loaded once and shared).
SWEEPABLE = ("horizon", "confidence", "stress_window_days", "recent_years")

#: Top-level axes of a model sweep (a grid with ``[grid.hs]`` and/or ``[grid.mc]`` tables).
MARGIN_AXES = ("portfolio", "episode")

#: Keys of a model-sweep point that are not model settings.
_POINT_KEYS = ("portfolio", "episode", "engine")


def _grid_axes(table: dict[str, Any], where: str) -> dict[str, list[Any]]:
    axes = {}
    for key, values in table.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            raise InputError(f"{where} {key} is an empty list")
        axes[key] = values
    return axes


def load_grid(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a sweep grid: a TOML file whose ``[grid]`` table maps settings to lists of values.

    Two kinds of grid:

    * **market sweep**: ``[grid]`` varies market settings (:data:`SWEEPABLE`); each point is a
      :func:`market_task`.
    * **model sweep**: ``[grid.hs]`` (HSModel settings) and/or ``[grid.mc]`` (Monte Carlo:
      ``paths``, ``horizon``, ``confidence`` and MCModel settings) map model settings to lists;
      every combination is one model. ``[grid]`` itself may list ``portfolio`` (shipped example
      or file) and ``episode`` (stress-episode names of the data) axes. Each point is one
      (portfolio, episode, model) :func:`margin_task`; points missing ``portfolio`` take the
      study's, points missing ``episode`` are repeated over every episode of the data with
      enough history (:func:`sweep_study`). Example::

          [grid]
          portfolio = ["dealer_book"]
          episode = ["covid_2020", "rates_2022"]
          [grid.hs]
          lookback_days = [252, 2520]
          filtering = ["none", "ewma"]
          [grid.mc]
          paths = [2000]
          copula = ["gaussian", "t"]

    Raises
    ------
    InputError
        Missing file, invalid TOML, no ``[grid]`` table, a setting that cannot be swept, an
        empty list, or a model setting with a bad value (naming file, table, key and value).
    """
    from imresearch.sweep import grid

    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"{path}: grid file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: invalid TOML: {exc}") from None
    unknown_sections = sorted(set(doc) - {"grid"})
    if unknown_sections:
        raise InputError(f"{path}: unknown section(s) {unknown_sections}; known: ['grid']")
    table = doc.get("grid")
    if not isinstance(table, dict) or not table:
        raise InputError(f"{path}: needs a non-empty [grid] table")
    table = dict(table)
    models = {k: table.pop(k) for k in ("hs", "mc") if isinstance(table.get(k), dict)}
    if not models:
        unknown = sorted(set(table) - set(SWEEPABLE))
        if unknown:
            raise InputError(f"{path}: [grid] key(s) {unknown} cannot be swept; sweepable: "
                             f"{list(SWEEPABLE)}, or model settings in [grid.hs] / [grid.mc]")
        return grid(**_grid_axes(table, f"{path}: [grid]"))
    unknown = sorted(set(table) - set(MARGIN_AXES))
    if unknown:
        raise InputError(f"{path}: [grid] key(s) {unknown} cannot be swept next to [grid.hs] / "
                         f"[grid.mc]; the top level takes {list(MARGIN_AXES)} (model "
                         "settings such as confidence go in the model tables)")
    outer = grid(**_grid_axes(table, f"{path}: [grid]")) if table else [{}]
    for axis in ("portfolio", "episode"):
        for point in outer:
            if axis in point and not (isinstance(point[axis], str) and point[axis].strip()):
                raise InputError(f"{path}: [grid] {axis} values must be names; got "
                                 f"{point[axis]!r}")
    inner: list[dict[str, Any]] = []
    for engine, sub in models.items():
        where = f"{path} [grid.{engine}]"
        if not sub:
            raise InputError(f"{where}: empty table")
        for settings in grid(**_grid_axes(dict(sub), f"{where}:")):
            _model_of({"engine": engine, **settings}, source=where)  # validates names, values
            inner.append({"engine": engine, **settings})
    return [{**o, **i} for o in outer for i in inner]


def _model_of(point: dict[str, Any], *, source: str = "sweep point") -> HSModel | MCStudyModel:
    """The model of a model-sweep point (its settings without portfolio/episode/engine)."""
    settings = {k: v for k, v in point.items() if k not in _POINT_KEYS}
    if point.get("engine") == "mc":
        return MCStudyModel.from_table(settings, source=source)
    if point.get("engine") == "hs":
        return from_mapping(HSModel, settings, source=source)
    raise InputError(f"{source}: engine must be 'hs' or 'mc'; got {point.get('engine')!r}")


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

    IM is computed every ``shared["step"]`` business days from ``shared["pad_days"]`` business
    days before the episode to as many after it (HS/FHS by :func:`rolling_im`, Monte Carlo by
    :func:`monte_carlo_im` with common random numbers across the dates: one ``SeedSequence``
    drawn from the task's generator), with the trades bound on the market's last date
    (constant maturity), against the realised ``horizon``-day P&L from each date.

    Returns
    -------
    dict
        ``model``: label; ``im_before`` (last IM date before the episode), ``im_peak`` (largest
        IM from the episode start), ``peak_over_before``, ``average_im``, ``max_call`` (largest
        rise between consecutive IM dates, USD) and ``max_call_over_before``, ``exceptions``
        and ``observations`` (IM dates whose realised loss exceeds the IM; overlapping when
        ``step < horizon``), ``worst_loss_over_im``, ``im_dates``; Monte Carlo adds
        ``mc_rel_half_width`` (median over the dates of the relative half-width of the IM
        interval), NaN for HS.
    """
    from imresearch.engines.hs import realised_pnl, rolling_im
    from imresearch.engines.mc import monte_carlo_im

    market: RiskFactorHistory = shared["market"]
    bound = shared["portfolios"][params["portfolio"]]
    start, end = shared["episodes"][params["episode"]]
    model = _model_of(dict(params))
    dates = _episode_dates(market, start, end, shared["pad_days"], shared["step"])
    half = np.nan
    if isinstance(model, HSModel):
        frame = rolling_im(bound, market, dates[0], dates[-1], model, step=shared["step"])
        im = frame["im"].reindex(dates)
    else:
        root = np.random.SeedSequence(rng.integers(0, 2**63, size=4).tolist())
        rows = []
        for t in dates:
            r = monte_carlo_im(bound, market, t, n_paths=model.paths, horizon=model.horizon,
                               confidence=model.confidence, seed=root, model=model.model,
                               convergence_points=2)
            rows.append((r.im, (r.ci[1] - r.ci[0]) / (2 * r.im) if r.im > 0 else np.nan))
        im = pd.Series([a for a, _ in rows], index=dates)
        half = float(np.nanmedian([b for _, b in rows]))
    realised = realised_pnl(bound, market, model.horizon).reindex(dates)
    loss = -realised
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


def _required_rows(model: HSModel | MCStudyModel) -> int:
    """Business days of history a model needs before its first IM date."""
    if isinstance(model, HSModel):
        return (model.lookback_days or 250) + model.horizon
    return int(model.model.lookback_days) + 1


def model_sweep_inputs(study: Study, points: list[dict[str, Any]], market: RiskFactorHistory,
                       *, pad_days: int = 20) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The tasks and shared inputs of a model sweep (see :func:`sweep_study`).

    Fills in the study's portfolio, repeats points without an episode over every episode of
    ``market`` with enough history, checks every (episode, model), and binds each portfolio
    once on the last market date.

    Returns
    -------
    (points, shared)
        The expanded points, and the ``shared`` mapping of :func:`margin_task`.
    """
    from imresearch.portfolio import load_portfolio
    from imresearch.portfolio.binding import bind

    known = {name: (s, e) for name, s, e in _episodes_for(market)}
    step = study.rolling.step

    def fits(name: str, model: HSModel | MCStudyModel) -> bool:
        s, e = known[name]
        if e < market.start or s > market.end:
            return False
        first = _episode_dates(market, s, e, pad_days, step)[0]
        return int(market.dates.searchsorted(first)) >= _required_rows(model)

    expanded: list[dict[str, Any]] = []
    for point in points:
        point = dict(point)
        if "portfolio" not in point:
            if study.portfolio is None:
                raise InputError("a model sweep needs a portfolio: a [grid] portfolio axis or "
                                 "the study's [portfolio] source")
            point = {"portfolio": study.portfolio.source, **point}
        model = _model_of(point, source="grid")
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
                    f"the {_required_rows(model)} business days of {market.name} history "
                    f"before it that model {model.label!r} needs (data from "
                    f"{market.start:%Y-%m-%d})")
            expanded.append(point)
        else:
            names = [n for n in known if fits(n, model)]
            if not names:
                raise InputError(f"grid: no episode of {market.name} has enough history for "
                                 f"model {model.label!r}")
            portfolio_first = {k: point[k] for k in ("portfolio",)}
            rest = {k: v for k, v in point.items() if k != "portfolio"}
            expanded += [{**portfolio_first, "episode": n, **rest} for n in names]
    portfolios = {}
    for name in dict.fromkeys(p["portfolio"] for p in expanded):
        portfolios[name] = bind(load_portfolio(name), market, market.end)
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
    progress: bool = False,
    task_threads: int | None = 1,
    pad_days: int = 20,
) -> pd.DataFrame:
    """Run a sweep grid on an executor (see :mod:`imresearch.sweep`).

    Market points (no ``engine`` key) run :func:`market_task`; model points run
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
    market = load_market(study.market.data, seed=study.market.seed, data_dir=data_dir)
    kinds = {"engine" in p for p in points}
    if kinds == {False}:
        for point in points:
            from_mapping(MarketStudyConfig, {**study.market.to_dict(), **point}, source="grid")
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
