"""The aggregate-IM part of a study's output: tables, figures and the report section."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.report import aggregate_figures as AF
from imresearch.report import tables as T

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


def _per_netting_set(on_date: pd.DataFrame) -> pd.DataFrame:
    """Collected / posted per netting set (rows) and model (columns), USD mn."""
    cell = on_date.assign(cell=[f"{c / 1e6:,.1f} / {p / 1e6:,.1f}"
                                for c, p in zip(on_date["collect"], on_date["post"])])
    table = cell.pivot_table(index=["netting_set", "counterparty"], columns="model",
                             values="cell", aggfunc="first", sort=False)
    table = table[list(dict.fromkeys(on_date["model"]))].reset_index()
    return table.rename(columns={"netting_set": "netting set"}).rename_axis(columns=None)


def aggregate_sections(results: Any, figs: dict[str, Path]) -> list[dict[str, Any]]:
    agg = results.aggregate
    s = agg.series
    end = results.market.market.end
    totals = T.show(agg.totals, {
        "im_call": T.mn("model IM, call side"), "collect": T.mn("IM collected"),
        "im_post": T.mn("model IM, post side"), "post": T.mn("IM posted")}, index="model")
    ups = s.cliff[s.cliff["direction"] == "up"] if len(s.cliff) else s.cliff
    peaks = s.peaks.copy()
    peaks.index = [f"{d} IM date{'s' if d > 1 else ''}" for d in peaks.index]
    peaks = T.show(peaks, {
        "im_calls_out": T.mn("IM we post"), "vm_calls_out": T.mn("VM we pay"),
        "calls_out": T.mn("all we pay"), "calls_out_date": T.date("paid: last date"),
        "im_calls_in": T.mn("IM we collect"), "vm_calls_in": T.mn("VM we receive"),
        "calls_in": T.mn("all we receive"), "calls_in_date": T.date("received: last date"),
        "net_outflow": T.mn("net drain"), "net_outflow_date": T.date("drain: last date")},
        index="largest sum over")
    procyclicality = T.show(s.procyclicality, {
        "average_im": T.mn("average IM"), "peak_to_trough": T.number("peak-to-trough"),
        **{f"max_{d}d_increase": T.pct(f"largest {d}-date rise") for d in (1, 5, 20)},
        **{f"max_{d}d_increase_usd": T.mn(f"largest {d}-date rise") for d in (1, 5, 20)}},
        index="netting set, side")
    dates = s.aggregate.index
    return [
        {"heading": "Aggregate IM per counterparty on the valuation date",
         "text": f"On {end:%Y-%m-%d} every model margins each netting set on its own, both "
         "ways: IM we collect (the model on our losses on the netting set) and IM we post "
         "(the model on the netting set negated), never netted across netting sets. "
         + _terms_text(agg) + " Below, the totals per model over the netting sets; every "
         "amount per netting set and model is in aggregate_im.csv.",
         "table": totals},
        {"heading": "Exchanged IM per netting set and model",
         "text": "IM collected / IM posted, USD mn, after each group's threshold.",
         "table": _per_netting_set(agg.on_date)},
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
         "caption": "What to look for: how far below the model IM (dotted) the balances "
         "(solid) stay because of the threshold (dashed) and the minimum transfer amount, and "
         "the steps where a rise of the model IM is called at once."},
        {"heading": "Collateral calls",
         "text": "Largest sums of the calls over 1, 5 and 20 consecutive IM dates (in "
         "aggregate over netting sets): IM we post and VM we pay on the counterparties' calls, "
         "what our own calls bring in, and the net drain (IM posted net of IM returned to us, "
         "plus VM paid net of VM received; collected IM is segregated), with the last date "
         "of each run.",
         "table": peaks, "figure": figs["aggregate_calls"],
         "caption": "Calls per IM date, paid (up) and received (down). What to look for: IM "
         "calls (dark) bunching with VM calls in stress, the liquidity a desk must find at "
         "once."},
        {"heading": "Procyclicality per netting set",
         "text": "Average IM, peak-to-trough ratio and the largest 1-, 5- and 20-date "
         "increases of the model IM, in aggregate and per netting set and side (in % where "
         "the IM is positive on every date, and in USD mn).",
         "table": procyclicality},
    ]
