"""The aggregate-IM part of a study's output: tables, figures and the report section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imresearch.report import aggregate_figures as AF

__all__ = ["aggregate_figures", "aggregate_sections", "write_aggregate_tables"]


def write_aggregate_tables(agg: Any, tmp: Path) -> None:
    """``aggregate_im.csv`` (per netting set and model on the valuation date) and the series
    of the model through time (per netting set, in aggregate, peaks, cliff, procyclicality)."""
    agg.on_date.to_csv(tmp / "aggregate_im.csv", index=False)
    s = agg.series
    s.by_netting_set.to_parquet(tmp / "aggregate_im_by_netting_set.parquet")
    s.aggregate.to_csv(tmp / "aggregate_im_through_time.csv")
    s.peaks.to_csv(tmp / "aggregate_peak_calls.csv")
    s.cliff.to_csv(tmp / "aggregate_threshold_cliff.csv", index=False)
    s.procyclicality.to_csv(tmp / "aggregate_procyclicality.csv")


def aggregate_figures(results: Any, figdir: Path) -> dict[str, Path]:
    agg, episodes = results.aggregate, results.market.episodes
    return {
        "aggregate_exchanged": AF.plot_exchanged_im(
            agg.series, figdir / "aggregate_exchanged_im.png", model=agg.model,
            episodes=episodes),
        "aggregate_calls": AF.plot_aggregate_calls(
            agg.series, figdir / "aggregate_calls.png", model=agg.model, episodes=episodes),
    }


def _terms_text(agg: Any) -> str:
    cfg = agg.config
    text = (f"Each counterparty group has an IM threshold of USD {cfg.threshold / 1e6:,.1f}m, "
            f"shared by its netting sets in proportion to their IM, and each netting set a "
            f"minimum transfer amount of USD {cfg.mta / 1e6:,.2f}m")
    if cfg.terms:
        text += " (other terms for " + ", ".join(sorted(cfg.terms)) + ")"
    return text + "."


def aggregate_sections(results: Any, figs: dict[str, Path]) -> list[dict[str, Any]]:
    agg = results.aggregate
    s = agg.series
    end = results.market.market.end
    table = agg.on_date.pivot_table(index="netting_set", columns="model",
                                    values=["collect", "post"], sort=False) / 1e6
    table.columns = [f"{what} {model} (USD mn)" for what, model in table.columns]
    totals = agg.totals / 1e6
    totals.columns = [f"{c} (USD mn)" for c in totals.columns]
    ups = s.cliff[s.cliff["direction"] == "up"] if len(s.cliff) else s.cliff
    peaks = s.peaks[["im_calls_out", "vm_calls_out", "calls_out", "calls_in"]] / 1e6
    peaks.columns = [f"{c} (USD mn)" for c in peaks.columns]
    peaks.index = [f"{d} IM date(s)" for d in peaks.index]
    dates = s.aggregate.index
    return [
        {"heading": "Aggregate IM per counterparty on the valuation date",
         "text": f"On {end:%Y-%m-%d} every model margins each netting set on its own, both "
         "ways: IM we collect (the model on our losses on the netting set) and IM we post "
         "(the model on the netting set negated), never netted across netting sets. "
         + _terms_text(agg) + " The amounts exchanged per netting set and model are in "
         "aggregate_im.csv; below, the totals per model and the amounts per netting set.",
         "table": totals},
        {"heading": "Exchanged IM per netting set and model", "table": table},
        {"heading": f"Exchanged IM through time ({agg.model})",
         "text": f"{agg.model} margins each netting set on {len(dates)} IM dates from "
         f"{dates[0]:%Y-%m-%d} to {dates[-1]:%Y-%m-%d}; the collateral balances are carried "
         "from date to date and move only when the transfer reaches the minimum transfer "
         "amount (combined over IM and variation margin, which follows each netting set's "
         "mark-to-market). " + (
             f"{len(ups)} threshold crossing(s) upwards "
             f"({', '.join(sorted(set(ups['group'])))}): the first IM exchanged after a "
             "crossing is the model IM above the threshold, a cliff rather than a ramp "
             "(aggregate_threshold_cliff.csv)." if len(ups) else
             "No group's IM crossed its threshold."),
         "figure": figs["aggregate_exchanged"],
         "caption": "Balances of IM collected and posted per counterparty (solid), the model "
         "IM (dotted) and the threshold (dashed); the aggregate on the right axis."},
        {"heading": "Collateral calls",
         "text": "Largest sums of the calls over 1, 5 and 20 consecutive IM dates (in "
         "aggregate over netting sets): IM we post and VM we pay on the counterparties' calls, "
         "and what our own calls bring in.",
         "table": peaks, "figure": figs["aggregate_calls"],
         "caption": "Calls per IM date: paid (up), received (down)."},
        {"heading": "Procyclicality per netting set",
         "text": "Average IM, peak-to-trough ratio and the largest 1-, 5- and 20-date "
         "increases of the model IM, in aggregate and per netting set (relative where IM is "
         "positive on every date, and in USD).",
         "table": s.procyclicality},
    ]

