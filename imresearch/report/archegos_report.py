"""Write an Archegos replay: its tables (CSV and Parquet), figures, ``report.html`` and
``manifest.json``, atomically into one folder. The report prose lives here."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.models import StaticModel
from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    file_sha256,
    frame_sha256,
    write_manifest,
)
from imresearch.report import tables as T
from imresearch.report.archegos_figures import plot_archegos_default_loss, plot_archegos_timeline
from imresearch.report.html import html_report
from imresearch.scenarios.archegos import ArchegosResult

__all__ = ["write_archegos"]


def _fmt_bn(x: float) -> str:
    return f"USD {x / 1e9:,.2f}bn"


def _shown(frame: pd.DataFrame, spec: Mapping[str, str] | None = None,
           default: str = "{:,.1f}") -> pd.DataFrame:
    """Numbers as display strings (thousands separators, fixed decimals) for the report."""
    out = frame.copy().astype(object)
    spec = spec or {}
    for c in frame.columns:
        if pd.api.types.is_float_dtype(frame[c]) or pd.api.types.is_integer_dtype(frame[c]):
            fmt = spec.get(str(c), default)
            out[c] = [("" if pd.isna(v) else fmt.format(v)) for v in frame[c]]
    return out


def write_archegos(result: ArchegosResult, out: str | os.PathLike[str], *,
                   started: _dt.datetime | None = None) -> Path:
    """Write the result into ``out`` atomically.

    Writes every table of :meth:`ArchegosResult.tables` as CSV and Parquet, the figures
    (``figures/archegos_timeline.png``, ``figures/archegos_default_loss.png``), ``report.html``
    and ``manifest.json`` (inputs with hashes, which history was used, settings, seed, the key
    figures).

    Returns
    -------
    pathlib.Path
        The output folder.
    """
    started = started or _dt.datetime.now(_dt.timezone.utc)
    sc = result.scenario
    with atomic_output_dir(out) as tmp:
        for stem, frame in result.tables().items():
            frame.to_csv(tmp / f"{stem}.csv")
            flat = frame.reset_index() if not isinstance(frame.index, pd.RangeIndex) else frame
            flat.columns = [str(c) for c in flat.columns]
            flat.to_parquet(tmp / f"{stem}.parquet")
        figdir = tmp / "figures"
        figdir.mkdir()
        fig1 = plot_archegos_timeline(result, figdir / "archegos_timeline.png")
        fig2 = plot_archegos_default_loss(result, figdir / "archegos_default_loss.png")
        inputs: dict[str, Any] = {
            "history": result.history_source,
            "uses_real_data": result.uses_real_data,
            "market": {"name": result.market.name, "factors": result.market.n_factors,
                       "dates": result.market.n_dates,
                       "first_date": result.market.start.date().isoformat(),
                       "last_date": result.market.end.date().isoformat(),
                       "levels_sha256": frame_sha256(result.market.levels)},
        }
        if sc.file is not None:
            inputs["scenario_file"] = {"path": str(sc.file), "sha256": file_sha256(sc.file)}
        dl = result.default_loss
        key = {
            "default_date": sc.default_date.date().isoformat(),
            "loss_after_im": {str(k): float(v) for k, v in dl["loss_after_im"].items()},
            "closeout_loss": {str(k): float(v) for k, v in dl["closeout_loss"].items()},
            "im_held": {str(k): float(v) for k, v in dl["im_held"].items()},
        }
        extra = {"key_figures": key, "notes": list(result.notes)}
        kw = {"command": "imresearch run (archegos)", "inputs": inputs,
              "settings": sc.settings(), "seed": sc.seed, "started": started, "extra": extra}
        manifest = json.loads(write_manifest(tmp, **kw).read_text())
        page = html_report(sc.title, _sections(result, fig1, fig2), manifest=manifest)
        atomic_write_text(tmp / "report.html", page)
        write_manifest(tmp, **kw)
    return Path(out)


def _ratios(result: ArchegosResult, date: pd.Timestamp) -> dict[str, float]:
    """Whole book over sum of slices per non-static model on ``date``."""
    out = {}
    for label, model in result.scenario.models.items():
        key = (date, label)
        if not isinstance(model, StaticModel) and key in result.by_model.index:
            out[label] = float(result.by_model.loc[key, "whole_over_sum"])
    return out


def _sections(result: ArchegosResult, fig1: Path, fig2: Path) -> list[dict[str, Any]]:
    sc = result.scenario
    dl = result.default_loss
    brokers = list(sc.brokers)
    agg = result.aggregate
    prev = result.prices.index[result.prices.index.get_loc(sc.default_date) - 1]
    gross = float(result.summary["notional_at_start"].sum())
    pos = (result.positions * result.prices.loc[sc.position_date]).assign(
        total=lambda f: f.sum(axis=1)) / 1e6
    pos.loc["total"] = pos.sum()
    summ = T.show(result.summary, {
        "model": T.text("model"), "notional_at_start": T.mn("notional at start", 0),
        "im_at_start": T.mn("IM at start"), "im_at_start_pct": T.pct("IM at start"),
        "peak_im": T.mn("peak IM"), "vm_calls_to_default": T.mn("VM calls to default"),
        "im_calls_to_default": T.mn("IM calls to default"),
        "max_liquidation_days": T.number("longest liquidation, days", 1),
        "closeout_loss": T.mn("close-out loss"), "loss_after_im": T.mn("loss after IM")},
        index="broker")
    loss = T.show(dl.assign(liquidation_start=pd.to_datetime(dl["liquidation_start"])), {
        "model": T.text("model"), "exposure_at_last_mark": T.mn("exposure at last mark"),
        "im_held": T.mn("IM held"), "liquidation_start": T.date("liquidation from"),
        "liquidation_days": T.count("liquidation days"),
        "days_priced_flat": T.count("days priced flat"),
        "closeout_loss": T.mn("close-out loss"), "loss_after_im": T.mn("loss after IM"),
        "im_with_addon": T.mn("IM with add-on"),
        "loss_after_im_with_addon": T.mn("loss after IM with add-on")}, index="broker")
    aggt = T.show(agg, {
        "exposure": T.mn("exposure"), "vm_call": T.mn("VM call"),
        "sum_of_slices_im": T.mn("sum of the slices' IM"),
        "aggregate_model_im": T.mn("aggregate model IM"),
        "aggregate_liquidity_factor": T.number("aggregate liquidity factor", 3),
        "aggregate_view_im": T.mn("aggregate view IM"), "shortfall": T.mn("shortfall")},
        index="date")
    bm = result.by_model.reset_index()
    bm = T.show(bm[bm["date"] == prev].set_index("model"), {
        "sum_of_slices": T.mn("sum of slices"), "whole_book": T.mn("whole book"),
        "whole_over_sum": T.number("whole book / sum of slices", 3)}, index="model")
    calls = result.daily.reset_index().pivot_table(index="date", columns="broker",
                                                   values="total_call")[brokers] / 1e6
    calls.index = calls.index.strftime("%Y-%m-%d")
    hz = result.horizons
    all_b = dl.loc["all brokers"]
    aggv = dl.loc["aggregate view"]
    text = (
        f"{sc.description}\n\nA family office holds {_fmt_bn(gross)} of long equity TRS on "
        f"{len(sc.names)} names with {len(brokers)} prime brokers (illustrative sizes and "
        f"margin terms; documented prices). Each broker margins only its slice with its own "
        f"model. The client defaults on {sc.default_date:%d %B %Y}: the brokers hold "
        f"{_fmt_bn(all_b['im_held'])} of IM, lose {_fmt_bn(all_b['closeout_loss'])} closing "
        f"out, {_fmt_bn(all_b['loss_after_im'])} after IM. The aggregate view "
        f"({sc.aggregate_model} on the whole book plus the liquidity add-on of the aggregate "
        f"positions) would have asked {_fmt_bn(aggv['im_held'])} on {prev:%d %B} and "
        f"{_fmt_bn(agg['aggregate_view_im'].iloc[-1])} on {agg.index[-1]:%d %B}, against "
        f"{_fmt_bn(agg['sum_of_slices_im'].iloc[-1])} charged by the brokers together; "
        f"selling the whole book at the same participation rate takes up to "
        f"{result.horizons.loc['aggregate'].max():.0f} business days, against at most "
        f"{result.horizons.drop('aggregate').max().max():.0f} for any one slice."
        + "".join(f" {label} on the whole book / sum of the slices on {prev:%d %B}: "
                  f"{ratio:.2f}." for label, ratio in _ratios(result, prev).items())
        + f"\n\nHistory: {result.history_source}."
    )
    sources = pd.DataFrame([{**s} for s in sc.sources]) if sc.sources else None
    names = pd.DataFrame({
        "title": [n.title for n in sc.names.values()],
        "SIMM bucket": [n.simm_bucket for n in sc.names.values()],
        "ADV (m shares)": [n.adv_shares / 1e6 for n in sc.names.values()],
        "source of the closes": [n.source for n in sc.names.values()],
    }, index=pd.Index(sc.tickers, name="name"))
    return [
        {"heading": "Summary", "text": text},
        {"heading": "Timeline", "figure": fig1,
         "caption": "Prices (rebased), IM per broker, daily margin calls (VM + IM) per broker, "
                    "and the aggregate view against the sum of the slices."},
        {"heading": "Positions (USD m at the position date)",
         "table": _shown(pos, default="{:,.0f}")},
        {"heading": "Per broker", "table": summ,
         "text": "IM at start and peak IM are what each broker charges (its model, plus the "
                 "liquidity add-on if it charges it); calls are summed up to the default date "
                 "(positive: the client pays)."},
        {"heading": f"Loss if the client defaults on {sc.default_date:%Y-%m-%d}",
         "table": loss,
         "figure": fig2,
         "caption": "Close-out loss against the IM held, per broker.",
         "text": "Each broker keeps the IM held after the previous day's calls and sells each "
                 "name in equal daily tranches over the days implied by its position against "
                 "the average daily volume, at the documented closes, or (exit 'block') the "
                 "whole slice in one block below the previous close. 'with addon' columns: had "
                 "the broker charged the liquidity add-on on its slice."},
        *_reported_section(result),
        {"heading": "Aggregate view vs sum of slices",
         "table": aggt,
         "text": "Sum of the slices' IM: what the brokers charge together; aggregate model IM: "
                 "the aggregate model on the whole book; aggregate view IM: the same with the "
                 "liquidity add-on of the aggregate positions; shortfall: the difference."},
        {"heading": f"Each model on the whole book vs on the slices ({prev:%Y-%m-%d})",
         "table": bm},
        {"heading": "Daily margin calls per broker, VM + IM (USD m)", "table": _shown(calls)},
        {"heading": "Liquidation horizons (business days at the participation rate)",
         "table": _shown(hz)},
        {"heading": "Loss after IM by default day (USD m)",
         "table": _shown((result.loss_by_default_day / 1e6).set_axis(
             result.loss_by_default_day.index.strftime("%Y-%m-%d")).rename_axis("default day"))},
        {"heading": "Names and sources", "table": names},
        {"heading": "Episode sources", "table": sources,
         "text": "\n\n".join(result.notes)},
    ]


def _reported_section(result: ArchegosResult) -> list[dict[str, Any]]:
    """The replay's loss after IM beside the losses the banks reported."""
    dl = result.default_loss.drop(index="aggregate view")
    if dl["reported_loss"].isna().all():
        return []
    table = pd.DataFrame({
        "exit": dl["exit"],
        "replay: loss after IM (USD m)": dl["loss_after_im"].astype(float) / 1e6,
        "reported loss (USD m)": dl["reported_loss"].astype(float) / 1e6,
        "source": [result.scenario.brokers[b].reported_loss_source
                   if b in result.scenario.brokers else "" for b in dl.index],
    }, index=dl.index)
    early = [b for b, spec in result.scenario.brokers.items() if spec.exit == "block"]
    text = (
        f"The brokers that sold in blocks on the first day ({', '.join(early)}) lose little in "
        "the replay, as they reported: the IM they held covered a block sold a few percent "
        "below the last close. The late sellers' reported losses are larger than the "
        "replay's, for reasons the replay does not model: its positions are illustrative and "
        "smaller than the banks' (press estimates put Archegos's total exposure several times "
        "above the USD 24bn book here), the banks sold over weeks into further falls and with "
        "their own hedges and funding, and reported figures include costs beyond the "
        "close-out (Credit Suisse's over two quarters). Read the comparison as orders of "
        "magnitude and ranks, not as a calibration."
    ) if early else (
        "The replay's positions are illustrative; reported losses include what the replay "
        "does not model (the banks' own hedges, funding and later sales).")
    return [{"heading": "The replay against the losses the banks reported",
             "table": _shown(table), "text": text}]
