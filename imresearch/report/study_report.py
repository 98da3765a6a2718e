"""Write a study's results: tables (CSV/Parquet), figures, ``report.html`` and
``manifest.json``, atomically into one folder.

The numbers come from :func:`imresearch.study.run_study` (no computation here beyond
formatting); the report's prose lives in :mod:`imresearch.report.study_summary` (title, data
statement, summary of findings) and :mod:`imresearch.report.study_sections` (one builder per
section).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.cache import cache_key
from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    file_sha256,
    frame_sha256,
    write_manifest,
)
from imresearch.report import figures as F
from imresearch.report.aggregate_report import aggregate_figures, write_aggregate_tables
from imresearch.report.backtest_report import plot_rolling_traffic_light, write_backtest_tables
from imresearch.report.html import html_report
from imresearch.report.palette import Palette
from imresearch.report.simm_figures import plot_calibration_lag
from imresearch.report.study_sections import STUDY_SECTIONS
from imresearch.report.study_summary import data_statement, is_synthetic, summary_section, title
from imresearch.study.run import StudyResults

__all__ = ["write_study"]


def write_study(results: StudyResults, out: str | os.PathLike[str]) -> Path:
    """Write everything a study computed into the folder ``out`` (atomically).

    Returns the output folder.
    """
    study, analysis, margin = results.study, results.market, results.margin
    market, stress = analysis.market, analysis.stress
    with atomic_output_dir(out) as tmp:
        analysis.summary.to_csv(tmp / "market_summary.csv")
        analysis.tails.to_csv(tmp / "tail_shocks.csv")
        stress.profile.to_frame().to_parquet(tmp / "stress_profile.parquet")
        stress_info = {"start": stress.start.date().isoformat(),
                       "end": stress.end.date().isoformat(), "statistic": stress.statistic,
                       "value": stress.value, "length_days": stress.length}
        atomic_write_text(tmp / "stress_window.json", json.dumps(stress_info, indent=2) + "\n")
        if margin is not None:
            _write_margin_tables(margin, tmp)
        if results.aggregate is not None:
            write_aggregate_tables(results.aggregate, tmp)
        if results.findings is not None:
            _write_findings(results.findings, tmp)
        if results.simm_lag is not None:
            results.simm_lag.versions.to_csv(tmp / "simm_episode_versions.csv")
            results.simm_lag.lag.to_csv(tmp / "simm_calibration_lag.csv", index=False)
        if results.backtests is not None:
            write_backtest_tables(results.backtests, tmp)
        figdir = tmp / "figures"
        figdir.mkdir()
        figs = {"market": F.plot_market_overview(market, stress, figdir / "market_overview.png"),
                "stress": F.plot_stress_profile(stress, figdir / "stress_profile.png")}
        if margin is not None:
            figs.update(_margin_figures(results, figdir))
        if results.simm_lag is not None:
            figs["simm_lag"] = figdir / "simm_calibration_lag.png"
            plot_calibration_lag(results.simm_lag.lag, figs["simm_lag"])
        if results.aggregate is not None:
            figs.update(aggregate_figures(results, figdir))
        if results.backtests is not None:
            figs["rolling_traffic_light"] = plot_rolling_traffic_light(
                results.backtests, figdir / "rolling_traffic_light.png",
                palette=study_palette(results))
        inputs = _inputs(results)
        settings = study.settings()
        extra = {"stress_window": stress_info, "market_gaps": analysis.gaps}
        seed = study.market.seed

        def manifest() -> dict[str, Any]:
            path = write_manifest(tmp, command="imresearch run", inputs=inputs,
                                  settings=settings, seed=seed, started=results.started,
                                  extra=extra)
            return json.loads(path.read_text())

        page = html_report(title(results), _sections(results, figs),
                           manifest=manifest(), lead=data_statement(results))
        atomic_write_text(tmp / "report.html", page)
        manifest()  # again, so that the manifest also lists the report itself
    return Path(out)


def _write_margin_tables(margin: Any, tmp: Path) -> None:
    margin.im.to_parquet(tmp / "im_through_time.parquet")
    margin.im.to_csv(tmp / "im_through_time.csv")
    margin.realised.to_frame().to_parquet(tmp / "realised_pnl.parquet")
    margin.backtests.to_csv(tmp / "backtests.csv")
    margin.on_date.to_csv(tmp / "im_on_valuation_date.csv")
    margin.hs_result.attribution.to_csv(tmp / "attribution_by_trade.csv")
    margin.hs_result.by_risk_class.to_csv(tmp / "attribution_by_risk_class.csv")
    if margin.reference_simm is not None:
        margin.results[margin.reference_simm].breakdown.to_csv(tmp / "simm_breakdown.csv",
                                                               index=False)
    margin.apc_series.to_parquet(tmp / "apc_charged_im.parquet")
    margin.frontier.to_csv(tmp / "apc_frontier.csv")
    if margin.mc:
        margin.mc_table().to_csv(tmp / "mc_on_valuation_date.csv")
        pd.concat({k: r.convergence for k, r in margin.mc.items()},
                  names=["model"]).to_csv(tmp / "mc_convergence.csv")
        pd.DataFrame({k: r.pnl.to_numpy() for k, r in margin.mc.items()}).rename_axis(
            "path").to_parquet(tmp / "mc_pnl.parquet")
    if not margin.monthly.empty:
        margin.monthly.to_csv(tmp / "im_monthly.csv")
    if not margin.vs_simm.empty:
        margin.vs_simm.to_csv(tmp / "im_over_simm_monthly.csv")


def _write_findings(findings: Any, tmp: Path) -> None:
    """The summary's tables: models at a glance, SIMM weights against the data's moves."""
    glance = findings.on_date.join(findings.procyclicality, how="left")
    glance.rename_axis("model").to_csv(tmp / "summary_models.csv")
    if not findings.risk_weights.empty:
        findings.risk_weights.to_csv(tmp / "simm_weights_vs_data.csv")
    findings.by_risk_class.to_csv(tmp / "hs_vs_simm_by_risk_class.csv")


def study_palette(results: StudyResults) -> Palette:
    """One style per model of the study (and for SIMM, the reference SIMM's label), shared by
    every figure of its report."""
    models = results.study.models if results.margin is None else results.margin.models
    return Palette(models)


def _margin_figures(results: StudyResults, figdir: Path) -> dict[str, Path]:
    margin, analysis = results.margin, results.market
    market = analysis.market
    palette = study_palette(results)
    synthetic = is_synthetic(market)
    horizon = margin.hs_result.model.horizon
    figs: dict[str, Path] = {}
    first = margin.first_hs
    figs["im"] = F.plot_im_through_time(margin.im, margin.realised, analysis.episodes,
                                        figdir / "im_through_time.png", exceptions_for=first,
                                        horizon=horizon, palette=palette, synthetic=synthetic)
    figs["compare"] = F.plot_im_comparison(margin.on_date, figdir / "im_models_simm_schedule.png",
                                           date=market.end, palette=palette)
    hs = margin.hs_result
    dists = {first: (hs.pnl, hs.var, hs.es)}
    var_ci = {}
    first_mc = next(iter(margin.mc), None)
    if first_mc is not None:
        r = margin.mc[first_mc]
        dists[first_mc] = (r.pnl, r.var, r.es)
        var_ci[first_mc] = r.var_ci
    figs["pnl"] = F.plot_pnl_distributions(
        dists, figdir / "pnl_distribution.png", var_ci=var_ci, confidence=hs.model.confidence,
        title=f"{horizon}-day P&L on {market.end:%Y-%m-%d}: " + " and ".join(dists),
        palette=palette, horizon=horizon)
    if first_mc is not None:
        r = margin.mc[first_mc]
        refs = {k: float(margin.im[k].iloc[-1]) for k in list(margin.im.columns)[:2]}
        figs["mc_convergence"] = F.plot_mc_convergence(
            r.convergence, figdir / "mc_convergence.png", label=first_mc,
            ci_level=r.model.ci_level, confidence=r.confidence, references=refs,
            palette=palette)
    if not margin.vs_simm.empty:
        figs["vs_simm"] = F.plot_im_vs_simm(margin.monthly, margin.vs_simm, analysis.episodes,
                                            figdir / "im_vs_simm.png",
                                            mc_labels=list(margin.mc), palette=palette,
                                            synthetic=synthetic,
                                            simm_label=margin.reference_simm or "SIMM")
    if not margin.frontier.empty:
        figs["apc"] = F.plot_apc_frontier(margin.frontier, figdir / "apc_frontier.png",
                                          target=results.study.apc.target, palette=palette)
    return figs


def _inputs(results: StudyResults) -> dict[str, Any]:
    return study_inputs(results.study, results.market.market, results.portfolio)


def study_inputs(study: Any, market: Any, portfolio: Any) -> dict[str, Any]:
    """The manifest's inputs of a study run: market (with a content hash), portfolio, file."""
    inputs: dict[str, Any] = {"market": {
        "source": study.market.data, "name": market.name, "factors": market.n_factors,
        "dates": market.n_dates, "first_date": market.start.date().isoformat(),
        "last_date": market.end.date().isoformat(),
        "levels_sha256": frame_sha256(market.levels)}}
    if portfolio is not None:
        p = portfolio
        inputs["portfolio"] = {
            "source": study.portfolio.source if study.portfolio else None,
            "name": p.name, "trades": len(p),
            "content_sha256": cache_key(p.to_frame().astype(str).to_dict("split"))}
    if study.path is not None:
        inputs["study_file"] = {"path": str(study.path), "sha256": file_sha256(study.path)}
    return inputs


def _sections(results: StudyResults, figs: dict[str, Path]) -> list[dict[str, Any]]:
    """The summary of findings, then every section of :data:`STUDY_SECTIONS` in order."""
    return [summary_section(results)] + [s for build in STUDY_SECTIONS
                                         for s in build(results, figs)]
