"""The body of a study's report: one builder per section, each a function of the results and
the figures returning its sections (``[]`` when it has nothing to show).

A section is a mapping for :func:`imresearch.report.html.html_report`: ``heading``, ``text``,
``table`` (shown as is: build it with :mod:`imresearch.report.tables`), ``figure``,
``caption``, ``note`` (what to look for in the figure). The order of the report is
:data:`STUDY_SECTIONS`; another part of the project adds its sections by inserting its builder
there (e.g. before :func:`backtests`), never by editing another builder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.report import tables as T
from imresearch.report.aggregate_report import aggregate_sections
from imresearch.report.backtest_report import backtest_sections
from imresearch.report.study_summary import is_synthetic
from imresearch.study.run import StudyResults
from imresearch.study.simm_lag import LAG_STEP

__all__ = ["STUDY_SECTIONS", "Builder"]

Section = dict[str, Any]
Builder = Callable[[StudyResults, dict[str, Path]], list[Section]]


def _episodes_word(results: StudyResults) -> str:
    return ("synthetic stress episodes (labelled 'like' the real episode they are modelled on)"
            if is_synthetic(results.market.market) else "stress episodes of the catalogue")


def im_through_time(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin, study = results.margin, results.study
    if margin is None:
        return []
    hs, first = margin.hs_result, margin.first_hs
    return [{
        "heading": "Initial margin through time", "id": "im-through-time",
        "text": f"Portfolio {study.portfolio.source} ({len(hs.attribution):,} trades, terms "
        f"held at constant maturity) margined every {study.rolling.step} business days over "
        f"the last {study.rolling.years:g} years by each HS model, using only data known on "
        f"each date. Grey area: the realised {hs.model.horizon}-day loss starting that date; "
        f"crosses: losses above the {first} IM. Shaded: {_episodes_word(results)}.",
        "figure": figs.get("im"), "caption": "IM per model, USD mn.",
        "note": "What to look for: how fast each model rises when an episode starts (the "
        "short lookbacks and the filtered model jump, the 10-year and stressed models barely "
        "move), how long the short lookbacks stay high after it (a 1-year window remembers a "
        "shock for a year, then drops it at once), and whether the crosses cluster in "
        "episodes (exceptions that come together are what the Christoffersen test flags)."}]


def valuation_date(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin, f = results.margin, results.findings
    if margin is None:
        return []
    table = f.on_date.join(margin.on_date[["ci_lower", "ci_upper"]])
    return [{
        "heading": "Every model on the valuation date", "id": "valuation-date",
        "text": f"The same trades on {results.market.market.end:%Y-%m-%d} under every model "
        "(the whole book treated as one netting set).",
        "table": T.show(table, {"kind": T.text("kind"), "im": T.mn("IM"),
                                "ci_lower": T.mn("MC interval from"),
                                "ci_upper": T.mn("MC interval to"),
                                "ratio_to_simm": T.number("IM / SIMM")}, index="model"),
        "figure": figs.get("compare"), "caption": "IM on the valuation date, USD mn.",
        "note": "What to look for: the gap between the internal models and SIMM (explained "
        "in 'Why the models differ'), and SIMM against the schedule; the Monte Carlo error "
        "bar is simulation noise only."}]


def monte_carlo(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin, market = results.margin, results.market.market
    if margin is None or not margin.mc:
        return []
    table = margin.mc_table()
    label, r = next(iter(margin.mc.items()))
    shown = T.show(table, {
        "im": T.mn("IM"), "ci_lower": T.mn("interval from"), "ci_upper": T.mn("interval to"),
        "rel_half_width": T.pct("half-width, % of IM"), "es": T.mn("ES"),
        "es_ci_lower": T.mn("ES interval from"), "es_ci_upper": T.mn("ES interval to"),
        "n_paths": T.count("paths"), "engine": T.text("engine"),
        "seconds": T.number("seconds", 1)}, index="model")
    return [{
        "heading": "Monte Carlo IM on the valuation date", "id": "monte-carlo",
        "text": f"Each Monte Carlo model is calibrated on the data known on "
        f"{market.end:%Y-%m-%d} ({r.calibration.n_observations:,} daily shocks of "
        f"{r.calibration.n_factors} factors, window {r.model.window}), simulates daily paths "
        f"over {r.horizon} business days and revalues the trades in full at the horizon. The "
        f"interval is distribution-free (order statistics of the simulated losses, level "
        f"{r.model.ci_level:.0%}): it covers the simulation noise only, not the model or "
        "calibration error. The convergence figure uses the first n paths of the same run.",
        "table": shown, "figure": figs.get("mc_convergence"),
        "caption": f"{label}: IM against the number of paths, with its interval; right: "
        "interval half-width against 1/sqrt(n).",
        "note": "What to look for: the estimate settling inside its band as paths are added, "
        "and the half-width falling like 1/sqrt(n) (the dashed line): four times the paths "
        "halve the noise. Horizontal lines: HS models on the same date."}]


def against_simm(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin, analysis = results.margin, results.market
    if margin is None or margin.vs_simm.empty:
        return []
    ratio = margin.vs_simm
    in_stress = pd.Series(False, index=ratio.index)
    for _, start, end in analysis.episodes:
        in_stress |= (ratio.index >= start) & (ratio.index <= end)
    summary = pd.DataFrame({
        "median": ratio.median(), "min": ratio.min(), "max": ratio.max(),
        "stress": ratio[in_stress].median() if in_stress.any() else float("nan"),
        "calm": ratio[~in_stress].median()})
    early = margin.monthly["before_first_version"].astype(bool)
    note = (f" Before {margin.monthly.index[~early][0]:%Y-%m-%d} no SIMM was in force "
            "(ISDA SIMM took effect on 2016-09-01); version 1.0's parameters are used there "
            "(hatched)." if early.any() and (~early).any() else
            " No SIMM was in force on these dates (ISDA SIMM took effect on 2016-09-01); "
            "version 1.0's parameters are used (hatched)." if early.all() else "")
    return [{
        "heading": "Every model against SIMM through time", "id": "against-simm",
        "text": f"On the last IM date of each month ({len(ratio)} dates), ISDA SIMM of the "
        "same trades (CRIF by bump and revaluation on that date's market) against each "
        "model's IM." + note,
        "table": T.show(summary, {c: T.number(f"IM / SIMM: {c}" if c in ("median", "min",
                                                                         "max")
                                              else f"median in {c} months")
                                  for c in summary.columns}, index="model"),
        "figure": figs.get("vs_simm"),
        "caption": "Top: IM and SIMM, USD mn; bottom: model IM / SIMM. Dotted: SIMM version "
        "changes; Monte Carlo band: its interval.",
        "note": "What to look for: SIMM's risk weights are fixed between recalibrations, so "
        "SIMM moves only with the sensitivities and the version; the reactive models' ratio "
        "to SIMM rises in stress. A version change is a step in SIMM with no market move "
        "behind it."}]


def simm_calibration_lag(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    lag = results.simm_lag
    if lag is None:
        return []
    summary = lag.summary()
    n = len(summary)
    return [{
        "heading": "SIMM's calibration lag", "id": "simm-lag",
        "text": f"The book's {lag.mpor_days}-day SIMM through the {n} stress episode"
        f"{'s' if n != 1 else ''} since 2016 that the data cover, every {LAG_STEP} business "
        "days, under the version in force on each date and under every later version on the "
        "same exposures. A stress enters SIMM's risk weights only with the first version whose "
        "calibration data contain it, which takes effect months later: the table gives SIMM "
        "at the date nearest each episode's peak under both, and the lag from the peak to "
        "that version's effective date.",
        "table": T.show(summary, {
            "date": T.date("date"), "in_force": T.text("version in force"),
            "simm_in_force": T.mn("SIMM in force"), "first_to_see": T.text("first to see it"),
            "simm_first_to_see": T.mn("SIMM, first to see it"),
            "ratio": T.number("ratio", 2), "lag_months": T.number("lag, months", 1)},
            index="episode"),
        "figure": figs.get("simm_lag"),
        "caption": "SIMM (USD mn) through each episode: version in force (black) and each "
        "later version (solid if its data contain the episode, dashed if not).",
        "note": "What to look for: the gap between the black line and the first solid line is "
        "what the SIMM in force missed of the stress while it happened; versions blind to the "
        "episode differ from the one in force only by calibration drift."}]


def why_models_differ(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    f = results.findings
    if f is None or f.risk_weights.empty:
        return []
    rw = f.risk_weights
    weights = T.show(rw.assign(unit=rw["unit"].map({"%": "% (relative move)",
                                                   "bp": "bp"})), {
        "unit": T.text("unit"), "simm_weight": T.number("SIMM delta weight (median)", 1),
        "simm_min": T.number("SIMM weight from", 1), "simm_max": T.number("to", 1),
        "full": T.number("data 99% 10-day move: whole history", 1),
        "recent": T.number("last years", 1), "stress": T.number("stress window", 1),
        "weight_over_full": T.number("SIMM / whole history"),
        "weight_over_stress": T.number("SIMM / stress window"),
        "n_sensitivities": T.count("book's delta sensitivities"),
        "n_factors": T.count("factors")}, index="risk class")
    by_class = T.show(f.by_risk_class, {
        "hs_var_contribution": T.mn(f"{results.margin.first_hs}: contribution to VaR"),
        "hs_es_contribution": T.mn("contribution to ES"),
        "simm_margin": T.mn(f"SIMM {f.simm_version}: risk-class margin")}, index="risk class")
    cls = rw["weight_over_full"].idxmax()
    return [{
        "heading": "Why the models differ", "id": "why",
        "text": f"SIMM {f.simm_version} scales each sensitivity by a fixed risk weight "
        "calibrated by ISDA on a long history that includes a stress period, across many "
        "names and currencies; the internal models revalue the book on this data's own "
        "shocks. The first table sets the delta weights SIMM applies to this book's "
        "sensitivities against the 99% 10-day moves of this market's factors (the tail-shock "
        "table: the larger of the downward and upward quantile, median over the factors of "
        f"the class). Where the ratio is above 1 SIMM assumes larger moves than the data "
        f"show ({cls}: {rw.loc[cls, 'weight_over_full']:.1f} times the whole-history move)."
        "\n\nThe second table sets each risk class's contribution to the "
        f"{results.margin.first_hs} VaR (the class's P&L in the VaR scenario; it can be "
        "negative when the class hedges the rest) against its stand-alone SIMM margin. SIMM "
        "adds risk classes with correlations of about 0.1 to 0.3 and nets little across "
        "them, while full revaluation on joint historical scenarios lets hedges across "
        "classes offset: a book whose classes hedge each other is far cheaper under HS than "
        "under SIMM. VaR and ES contributions can differ in sign: VaR counts one scenario, "
        "ES the average of the tail scenarios, where another class may dominate.",
        "table": weights},
        {"heading": "Risk classes: HS contributions against SIMM margins", "id": "by-class",
         "level": 3, "table": by_class}]


def simm_breakdown(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin = results.margin
    if margin is None or margin.reference_simm is None:
        return []
    r = margin.results[margin.reference_simm]
    b = r.breakdown
    keep = b[(b["Bucket"].astype(str).isin(["All", ""])) | (b["MarginType"] == "Delta")]
    keep = keep.assign(level=[
        "total" if pc == "All" and mt == "All" else "add-on" if pc == "All" else
        "product class" if rc == "All" else "risk class" if mt == "All" else
        "margin type" if str(bk) in ("All", "") else "bucket"
        for pc, rc, mt, bk in keep[["ProductClass", "RiskClass", "MarginType",
                                    "Bucket"]].itertuples(index=False)])
    shown = T.show(keep.reset_index(drop=True), {
        "level": T.text("level"), "ProductClass": T.text("product class"),
        "RiskClass": T.text("risk class"), "MarginType": T.text("margin type"),
        "Bucket": T.text("bucket"), "InitialMargin": T.mn("initial margin")})
    return [{
        "heading": "SIMM breakdown", "id": "simm-breakdown",
        "text": f"{margin.reference_simm}: ISDA SIMM {r.version}, {r.mpor_days}-day, "
        f"{r.side} side, on the valuation date: total {r.total / 1e6:,.1f} USD mn. The margin "
        "tree from the product classes down to the delta buckets ('All' marks an aggregate; "
        "the full tree is in simm_breakdown.csv). A risk-class margin is below the sum of "
        "its margin types, a product class below the sum of its risk classes "
        "(correlations), the total the sum of the product classes plus add-ons.",
        "table": shown}]


def backtests(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin = results.margin
    if margin is None:
        return []
    horizon = margin.hs_result.model.horizon
    shown = T.show(margin.backtests, {
        "observations": T.count("windows"), "exceptions": T.count("exceptions"),
        "expected_exceptions": T.number("expected", 1),
        "exception_rate": T.pct("exception rate", 2), "traffic_light": T.text("zone"),
        "kupiec_p": T.number("Kupiec p", 3), "christoffersen_p_ind": T.number(
            "independence p", 3), "christoffersen_p_cc": T.number("conditional coverage p", 3)},
        index="model")
    return [{
        "heading": "Backtests", "id": "backtests",
        "text": f"Realised {horizon}-day P&L against the IM set at the start of each window, "
        "non-overlapping windows (the tests assume independent trials): exceptions against "
        "the number expected at the model's confidence, Kupiec's proportion-of-failures test, "
        "Christoffersen's independence and conditional-coverage tests (p-values: small means "
        "rejected), the Basel traffic-light zone for that number of windows. Models computed "
        "on month ends are backtested there (windows more than 10 business days apart, so "
        "independent; fewer observations). Likelihood-ratio statistics are in backtests.csv.",
        "table": shown}]


def backtests_by_group(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    """The ``[backtest]`` backtests by portfolio, netting set and risk class, if asked for."""
    return [] if results.backtests is None else backtest_sections(results.backtests, figs)


def apc_tools(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin, study = results.margin, results.study
    if margin is None or margin.frontier.empty:
        return []
    inc = next(c for c in margin.frontier.columns if c.startswith("max_"))
    days = inc.split("_")[1].rstrip("bd").rstrip("d")
    shown = T.show(margin.frontier, {
        "average_im": T.mn("average IM (cost)"), "cost_vs_none": T.number("cost vs none"),
        "peak_to_trough": T.number("peak-to-trough"),
        "peak_to_trough_trough_first": T.number("peak-to-trough, trough first"),
        "ptr_vs_none": T.number("PTR vs none"),
        inc: T.pct(f"largest {days}-business-day rise", 0)}, index="tool")
    return [{
        "heading": "Anti-procyclicality tools", "id": "apc",
        "text": f"Tools applied to the {study.apc.target} IM: cost (average IM) against "
        f"procyclicality (peak-to-trough ratio, largest {days}-business-day rise).",
        "table": shown, "figure": figs.get("apc"),
        "caption": "The cost/benefit frontier of the APC tools.",
        "note": "What to look for: tools down and to the left of 'none' buy stability "
        "cheaply; a tool to the right costs margin in calm times. A speed limit cuts the "
        "largest rise but not the peak-to-trough ratio (it delays, it does not cap); a floor "
        "or a stress weight lowers the ratio by raising the trough."}]


def attribution(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    margin = results.margin
    if margin is None:
        return []
    hs, first = margin.hs_result, margin.first_hs
    trades = hs.attribution.copy()
    top = trades.reindex(trades["var_contribution"].abs().sort_values(
        ascending=False).index).head(15)
    flips = int((((trades["var_contribution"] > 0) != (trades["es_contribution"] > 0))
                 & (trades["var_contribution"].abs() > 0)).sum())
    mc = ""
    if margin.mc:
        label, r = next(iter(margin.mc.items()))
        mc = (f" {label}: VaR {r.var / 1e6:,.1f} USD mn ({r.model.ci_level:.0%} interval "
              f"{r.var_ci[0] / 1e6:,.1f} to {r.var_ci[1] / 1e6:,.1f}), ES {r.es / 1e6:,.1f} "
              f"USD mn over {r.n_paths:,} paths.")
    return [{
        "heading": "Scenario P&L and attribution on the valuation date", "id": "attribution",
        "text": f"{first}: VaR {hs.var / 1e6:,.1f} USD mn, ES {hs.es / 1e6:,.1f} USD mn. "
        "Contributions per risk class and per trade sum to VaR (each one's P&L in the VaR "
        "scenario) and to ES (its average P&L over the tail scenarios)." + mc,
        "table": T.show(hs.by_risk_class, {"var_contribution": T.mn("contribution to VaR", 2),
                                           "es_contribution": T.mn("contribution to ES", 2)},
                        index="risk class"),
        "figure": figs.get("pnl"),
        "caption": f"Distribution of the {hs.model.horizon}-day P&L (densities) with each "
        "model's VaR (solid) and ES (dashed); Monte Carlo VaR interval shaded.",
        "note": "What to look for: the left tail beyond the VaR line (its mass is what ES "
        "averages), and how much thicker it is under the model with the larger ES; if the "
        "Monte Carlo tail is thinner than the historical one, suspect normal marginals."},
        {"heading": "Trade attribution (largest 15 by contribution to VaR)", "level": 3,
         "id": "trades",
         "text": f"{flips:,} of {len(trades):,} trades change sign between their VaR and ES "
         "contributions: a trade that gains in the one VaR scenario can lose on average over "
         "the tail. Every trade is in attribution_by_trade.csv.",
         "table": T.show(top, {"risk_class": T.text("risk class"),
                               "var_contribution": T.mn("contribution to VaR", 3),
                               "es_contribution": T.mn("contribution to ES", 3),
                               "standalone_pnl_worst": T.mn("worst stand-alone P&L", 3)},
                         index="trade")}]


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


def aggregate(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    """The book margined per counterparty (``[aggregate]``), if the study asked for it."""
    return [] if results.aggregate is None else aggregate_sections(results, figs)


def market_sections(results: StudyResults, figs: dict[str, Path]) -> list[Section]:
    analysis, cfg = results.market, results.study.market
    market, stress = analysis.market, analysis.stress
    summary = T.show(analysis.summary, {
        "risk_class": T.text("risk class"), "convention": T.text("shock convention"),
        "units": T.text("units"), "currency": T.text("currency"), "tenor": T.text("tenor"),
        "first_level": T.number("first level", 4), "last_level": T.number("last level", 4),
        "min_level": T.number("min", 4), "max_level": T.number("max", 4),
        "daily_shock_std": T.Col("daily shock std", "{:.4g}")}, index="factor")
    tails = T.show(analysis.tails, {c: (T.text(c.replace("_", " ")) if c in (
        "risk_class", "convention") else T.Col(c.replace("_", " "), "{:.4g}"))
        for c in analysis.tails.columns}, index="factor")
    return [
        {"heading": "Market data", "id": "market",
         "text": f"{market.name}: {market.n_factors} risk factors, {market.n_dates:,} business "
         f"days from {market.start:%Y-%m-%d} to {market.end:%Y-%m-%d}. Shocks in each factor's "
         "convention: log returns, or absolute changes in bp for rates and spreads."
         + _gaps_text(analysis),
         "table": summary, "figure": figs.get("market"),
         "caption": "Representative factors by risk class; shaded: the stress window."},
        {"heading": "Stress window", "id": "stress",
         "text": f"The most volatile {stress.length}-day window runs from "
         f"{stress.start:%Y-%m-%d} to {stress.end:%Y-%m-%d} (average normalised daily "
         f"volatility {stress.value:.2f} times the full-history average). The stressed "
         "calibrations (+stress) add its scenarios.",
         "figure": figs.get("stress"),
         "caption": "Stress statistic of every candidate window, by window end date.",
         "note": "What to look for: one clear maximum makes the stressed calibration "
         "stable; two peaks of similar height mean the stress window can jump from one "
         "period to the other as data are added."},
        {"heading": f"{cfg.confidence:.1%} tail shocks over {cfg.horizon} days", "id": "tails",
         "text": f"Downward and upward {cfg.confidence:.1%} quantiles (k-th order statistic) "
         f"of overlapping {cfg.horizon}-day shocks, in each factor's shock convention (log "
         "returns; bp): whole history, last "
         f"{cfg.recent_years} years, and the stress window.",
         "table": tails},
    ]


#: The report's sections after the summary, in order.
STUDY_SECTIONS: list[Builder] = [
    im_through_time, valuation_date, why_models_differ, against_simm, simm_calibration_lag,
    monte_carlo, simm_breakdown, backtests, backtests_by_group, apc_tools, attribution,
    aggregate, market_sections,
]
