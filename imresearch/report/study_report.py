"""Write a study's results: tables (CSV/Parquet), figures, ``report.html`` and
``manifest.json``, atomically into one folder.

The numbers come from :func:`imresearch.study.run_study` (no computation here beyond
formatting); the report prose lives in this module.
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
from imresearch.report.aggregate_report import (
    aggregate_figures,
    aggregate_sections,
    write_aggregate_tables,
)
from imresearch.report.html import html_report
from imresearch.report.palette import Palette
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
        figdir = tmp / "figures"
        figdir.mkdir()
        figs = {"market": F.plot_market_overview(market, stress, figdir / "market_overview.png"),
                "stress": F.plot_stress_profile(stress, figdir / "stress_profile.png")}
        if margin is not None:
            figs.update(_margin_figures(results, figdir))
        if results.aggregate is not None:
            figs.update(aggregate_figures(results, figdir))
        inputs = _inputs(results)
        settings = study.settings()
        extra = {"stress_window": stress_info, "market_gaps": analysis.gaps}
        seed = study.market.seed

        def manifest() -> dict[str, Any]:
            path = write_manifest(tmp, command="imresearch run", inputs=inputs,
                                  settings=settings, seed=seed, started=results.started,
                                  extra=extra)
            return json.loads(path.read_text())

        page = html_report(f"imresearch study: {study.name}", _sections(results, figs),
                           manifest=manifest())
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


def study_palette(results: StudyResults) -> Palette:
    """One style per model of the study (and for SIMM, the reference SIMM's label), shared by
    every figure of its report."""
    models = results.study.models if results.margin is None else results.margin.models
    return Palette(models)


def is_synthetic(market: Any) -> bool:
    """Whether ``market`` is one of the project's synthetic markets."""
    return str(market.name).startswith("synthetic")


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
    study, market = results.study, results.market.market
    inputs: dict[str, Any] = {"market": {
        "source": study.market.data, "name": market.name, "factors": market.n_factors,
        "dates": market.n_dates, "first_date": market.start.date().isoformat(),
        "last_date": market.end.date().isoformat(),
        "levels_sha256": frame_sha256(market.levels)}}
    if results.portfolio is not None:
        p = results.portfolio
        inputs["portfolio"] = {
            "source": study.portfolio.source if study.portfolio else None,
            "name": p.name, "trades": len(p),
            "content_sha256": cache_key(p.to_frame().astype(str).to_dict("split"))}
    if study.path is not None:
        inputs["study_file"] = {"path": str(study.path), "sha256": file_sha256(study.path)}
    return inputs


# ------------------------------------------------------------------------------ prose
def _sections(results: StudyResults, figs: dict[str, Path]) -> list[dict[str, Any]]:
    study, analysis, margin = results.study, results.market, results.margin
    market, stress, cfg = analysis.market, analysis.stress, study.market
    sections: list[dict[str, Any]] = []
    if margin is not None:
        sections += _margin_sections(results, figs)
    if results.aggregate is not None:
        sections += aggregate_sections(results, figs)
    sections += [
        {"heading": "Market data",
         "text": f"{market.name}: {market.n_factors} risk factors, {market.n_dates} business "
         f"days from {market.start:%Y-%m-%d} to {market.end:%Y-%m-%d}." + _gaps_text(analysis),
         "table": analysis.summary},
        {"heading": "Market overview", "figure": figs["market"],
         "caption": "Representative factors; the stress window is shaded."},
        {"heading": "Stress window",
         "text": f"The most volatile {stress.length}-day window runs from "
         f"{stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d} (average normalised daily "
         f"volatility {stress.value:.2f} times the full-history average).",
         "figure": figs["stress"],
         "caption": "Stress statistic of every candidate window, by window end date."},
        {"heading": f"{cfg.confidence:.1%} tail shocks over {cfg.horizon} days",
         "text": f"Downward and upward {cfg.confidence:.1%} quantiles (k-th order statistic) "
         f"of overlapping {cfg.horizon}-day shocks, in each factor's shock convention: whole "
         f"history, last {cfg.recent_years} years, and the stress window.",
         "table": analysis.tails},
    ]
    return sections


def _gaps_text(analysis: Any) -> str:
    gaps = analysis.gaps
    parts = []
    if gaps["dropped_dates"]:
        parts.append(f"{gaps['dropped_dates']} dates on which a factor had no value were "
                     "dropped (holidays of one market)")
    if gaps["filled"]:
        parts.append(f"{sum(gaps['filled'].values())} values were filled forward")
    if gaps["bridged"]:
        holes = "; ".join(f"{g['from']} to {g['to']} ({g['business_days']} business days)"
                          for g in gaps["bridged"][:5])
        more = f" and {len(gaps['bridged']) - 5} more" if len(gaps["bridged"]) > 5 else ""
        parts.append(f"{len(gaps['bridged'])} holes of a week or more are spanned by one "
                     f"shock each: {holes}{more}")
    return (" Gaps: " + "; ".join(parts) + ".") if parts else " No gaps."


def _margin_sections(results: StudyResults, figs: dict[str, Path]) -> list[dict[str, Any]]:
    study, margin, market = results.study, results.margin, results.market.market
    first, hs = margin.first_hs, margin.hs_result
    on_date = margin.on_date.assign(im_usd_mn=margin.on_date["im"] / 1e6)
    compare = ""
    if margin.reference_simm is not None:
        simm_result = margin.results[margin.reference_simm]
        compare = (f"On {market.end:%Y-%m-%d}: {margin.reference_simm} (version "
                   f"{simm_result.version}) is {simm_result.total / hs.im:.2f} times the "
                   f"{first} IM on the same trades (the whole book treated as one netting "
                   "set).")
    sections = [
        {"heading": "Initial margin through time",
         "text": f"Portfolio {study.portfolio.source} ({len(hs.attribution)} trades, terms "
         f"held at constant maturity) margined every {study.rolling.step} business days over "
         f"the last {study.rolling.years:g} years by each HS model, using only data known on "
         f"each date. Grey: the realised {hs.model.horizon}-day loss starting that date; red "
         f"crosses: losses above the {first} IM.",
         "figure": figs["im"], "caption": "IM per model; shaded: stress episodes of the data."},
        {"heading": "Every model on the valuation date", "text": compare,
         "table": on_date[["kind", "im_usd_mn"]], "figure": figs["compare"],
         "caption": "IM on the valuation date, USD mn."},
        *_mc_sections(results, figs),
        {"heading": "Backtests",
         "text": f"Realised {hs.model.horizon}-day P&L against the IM set at the start of each "
         "window, non-overlapping windows (the tests assume independent trials). Kupiec POF, "
         "Christoffersen independence and conditional coverage, Basel traffic light. Models "
         "computed on month ends are backtested there (windows more than 10 business days "
         "apart, so independent; fewer observations).",
         "table": margin.backtests},
    ]
    if not margin.frontier.empty:
        sections.append(
            {"heading": "Anti-procyclicality tools",
             "text": f"Tools applied to the {study.apc.target} IM: cost (average IM) against "
             "procyclicality (peak-to-trough ratio, largest 20-day increase).",
             "table": margin.frontier, "figure": figs.get("apc"),
             "caption": "The cost/benefit frontier of the APC tools."})
    sections.append(
        {"heading": "Scenario P&L and attribution on the valuation date",
         "text": f"{first}: VaR {hs.var:,.0f}, ES {hs.es:,.0f} USD. Contributions per risk "
         "class sum to VaR (loss in the VaR scenario) and ES (average loss over the tail "
         "scenarios)." + _mc_pnl_text(margin),
         "table": hs.by_risk_class, "figure": figs["pnl"],
         "caption": f"Distribution of the {hs.model.horizon}-day P&L (densities) with each "
         "model's VaR (solid) and ES (dashed); Monte Carlo VaR interval shaded."})
    return sections


def _mc_pnl_text(margin: Any) -> str:
    if not margin.mc:
        return ""
    label, r = next(iter(margin.mc.items()))
    return (f" {label}: VaR {r.var:,.0f} ({r.model.ci_level:.0%} interval {r.var_ci[0]:,.0f} "
            f"to {r.var_ci[1]:,.0f}), ES {r.es:,.0f} USD over {r.n_paths:,} paths.")


def _mc_sections(results: StudyResults, figs: dict[str, Path]) -> list[dict[str, Any]]:
    margin, analysis = results.margin, results.market
    market = analysis.market
    sections: list[dict[str, Any]] = []
    if margin.mc:
        table = margin.mc_table()
        shown = table[["im", "ci_lower", "ci_upper", "es", "es_ci_lower", "es_ci_upper"]] / 1e6
        shown.columns = [f"{c} (USD mn)" for c in shown.columns]
        shown["interval ± % of IM"] = 100 * table["rel_half_width"]
        shown["paths"] = table["n_paths"]
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
            "table": shown, "figure": figs.get("mc_convergence"),
            "caption": f"{label}: IM against the number of paths, with its interval; "
            "right: interval half-width against 1/sqrt(n)."})
    if not margin.vs_simm.empty:
        ratio = margin.vs_simm
        in_stress = pd.Series(False, index=ratio.index)
        for _, start, end in analysis.episodes:
            in_stress |= (ratio.index >= start) & (ratio.index <= end)
        summary = pd.DataFrame({
            "median": ratio.median(), "min": ratio.min(), "max": ratio.max(),
            "median in stress months": ratio[in_stress].median() if in_stress.any()
            else float("nan"),
            "median otherwise": ratio[~in_stress].median(),
        })
        summary.index.name = f"model IM / {margin.reference_simm}"
        early = margin.monthly["before_first_version"].astype(bool)
        note = (f" Before {margin.monthly.index[~early][0]:%Y-%m-%d} no SIMM was in force "
                "(ISDA SIMM took effect on 2016-09-01); version 1.0's parameters are used "
                "there (hatched)." if early.any() and (~early).any() else
                " No SIMM was in force on these dates (ISDA SIMM took effect on 2016-09-01); "
                "version 1.0's parameters are used (hatched)." if early.all() else "")
        sections.append({
            "heading": "Every model against SIMM through time",
            "text": f"On the last IM date of each month ({len(ratio)} dates), ISDA SIMM of the "
            "same trades (CRIF by bump and revaluation on that date's market) against each "
            "model's IM. SIMM's risk weights are fixed between recalibrations, so it reacts "
            "to a stress only through the sensitivities: the ratio rises in stress for the "
            "reactive models." + note,
            "table": summary, "figure": figs.get("vs_simm"),
            "caption": "Top: IM and SIMM, USD mn; bottom: model IM / SIMM. Shaded: stress "
            "episodes; dotted: SIMM version changes; Monte Carlo band: its interval."})
    return sections
