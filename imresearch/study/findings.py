"""The findings a study's report opens with, computed from its results (no file output).

:func:`study_findings` condenses a :class:`~imresearch.study.margin.MarginResults` into the
tables a reader asks for first: every model's IM on the valuation date and its ratio to SIMM,
each model's procyclicality (peak-to-trough ratio, largest ~20-business-day increase),
backtest zones, the cheapest APC tool that reaches a PTR, and why the models differ: SIMM's
delta risk weights against the data's own 99% 10-day moves per risk class, and each risk
class's SIMM margin against its contribution to the HS VaR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch import procyclicality as pc
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import book_on_date
from imresearch.portfolio import Portfolio
from imresearch.portfolio.sensitivities import to_crif
from imresearch.simm import load_parameters
from imresearch.study.margin import MarginResults, book_date
from imresearch.study.settings import APCConfig

__all__ = ["Findings", "apc_choice", "risk_weights_vs_data", "study_findings"]

#: HS attribution classes -> SIMM risk classes.
SIMM_CLASSES: dict[str, tuple[str, ...]] = {
    "IR": ("InterestRate",), "credit": ("CreditQualifying", "CreditNonQualifying"),
    "equity": ("Equity",), "commodity": ("Commodity",), "FX": ("FX",),
}
#: Unit of SIMM's delta risk weight of each class (CRIF conventions).
WEIGHT_UNITS = {"IR": "bp", "credit": "bp", "equity": "%", "commodity": "%", "FX": "%"}


@dataclass(frozen=True)
class Findings:
    """What the report's summary says, as tables.

    Attributes
    ----------
    on_date : pandas.DataFrame
        Per model (index): ``kind``, ``im`` (USD), ``ratio_to_simm`` (NaN without SIMM).
    procyclicality : pandas.DataFrame
        Per model: ``dates`` (``"IM dates"`` or ``"month ends"``), ``peak_to_trough``,
        ``peak_date``, ``trough_date``, ``max_increase`` (relative, over ``increase_days``
        business days; one month on month ends) and ``increase_days``.
    backtests : pandas.DataFrame
        Per backtested model: ``observations``, ``exceptions``, ``expected_exceptions``,
        ``traffic_light``, ``kupiec_p``.
    apc : pandas.Series or None
        The cheapest tool reaching the PTR target (:func:`apc_choice`).
    risk_weights : pandas.DataFrame
        Per risk class (:func:`risk_weights_vs_data`); empty without SIMM.
    by_risk_class : pandas.DataFrame
        Per risk class: the first HS model's VaR and ES contributions and SIMM's risk-class
        margin (USD).
    simm_version : str or None
        Version of the reference SIMM on the valuation date.
    """

    on_date: pd.DataFrame
    procyclicality: pd.DataFrame
    backtests: pd.DataFrame
    apc: pd.Series | None
    risk_weights: pd.DataFrame
    by_risk_class: pd.DataFrame
    simm_version: str | None


def _cyclicality(im: pd.Series, rows: int, label: str, days: int) -> dict[str, object]:
    im = im.dropna()
    rows = min(rows, len(im) - 1)
    return {"dates": label, "peak_to_trough": pc.peak_to_trough(im),
            "peak_date": im.idxmax(), "trough_date": im.idxmin(),
            "max_increase": pc.max_increase(im, rows) if rows >= 1 else np.nan,
            "increase_days": days}


def apc_choice(frontier: pd.DataFrame, ptr_target: float | None = None) -> pd.Series | None:
    """The cheapest APC tool whose peak-to-trough ratio is at most ``ptr_target``.

    ``ptr_target`` None asks for a quarter off the model's own PTR (``0.75 x`` that of
    ``none``). Returns the frontier row of that tool with ``tool`` and ``ptr_target`` added,
    or None when no tool reaches the target (or there is no frontier).
    """
    if frontier.empty:
        return None
    target = (0.75 * float(frontier.loc["none", "peak_to_trough"]) if ptr_target is None
              else float(ptr_target))
    reach = frontier[frontier["peak_to_trough"].astype(float) <= target]
    if reach.empty:
        return None
    tool = reach["average_im"].astype(float).idxmin()
    return pd.concat([pd.Series({"tool": tool, "ptr_target": target}), frontier.loc[tool]])


def _move(tails: pd.DataFrame, meta: pd.DataFrame, last: pd.Series, column: str) -> pd.Series:
    """|99% move| per factor in SIMM's weight unit: relative % for log/relative shocks and for
    absolute shocks of prices, bp for rates and spreads."""
    down, up = tails[f"{column}_down"].astype(float), tails[f"{column}_up"].astype(float)
    conv, units = meta["convention"].reindex(tails.index), meta["units"].reindex(tails.index)
    out = pd.Series(np.nan, index=tails.index)
    log = conv == "log"
    out[log] = 100 * np.maximum(1 - np.exp(down[log]), np.exp(up[log]) - 1)
    rel = conv == "relative"
    out[rel] = 100 * np.maximum(-down[rel], up[rel])
    big = np.maximum(-down, up)
    out[conv == "absolute_bp"] = big[conv == "absolute_bp"]
    absolute = conv == "absolute"
    rate = absolute & units.isin(["percent", "%"])
    out[rate] = 100 * big[rate]
    dec = absolute & units.isin(["decimal"])
    out[dec] = 1e4 * big[dec]
    bp = absolute & units.isin(["bp"])
    out[bp] = big[bp]
    price = absolute & ~(rate | dec | bp)
    out[price] = 100 * big[price] / last.reindex(tails.index)[price].abs()
    return out


def _crif_weights(crif: pd.DataFrame, version: str) -> pd.DataFrame:
    """SIMM 10-day delta risk weight of each delta CRIF row: ``cls``, ``weight``."""
    p = load_parameters(version, 10)
    rows = []
    for rt, q, b, tenor in crif[["RiskType", "Qualifier", "Bucket", "Label1"]].itertuples(
            index=False):
        b = str(b)
        if rt == "Risk_IRCurve" and tenor in p.interest_rate.tenors:
            ir = p.interest_rate
            group = ir.weight_group(q)
            if group in ir.delta_weight:
                rows.append(("IR", float(ir.delta_weight[group][ir.tenors.index(tenor)])))
        elif rt == "Risk_FX":
            rows.append(("FX", p.fx.delta_risk_weight("USD", q)))
        elif rt == "Risk_CreditQ" and b in p.credit_qualifying.delta_weight:
            rows.append(("credit", float(p.credit_qualifying.delta_weight[b])))
        elif rt == "Risk_CreditNonQ" and b in p.credit_non_qualifying.delta_weight:
            rows.append(("credit", float(p.credit_non_qualifying.delta_weight[b])))
        elif rt == "Risk_Equity" and b in p.equity.delta_weight:
            rows.append(("equity", float(p.equity.delta_weight[b])))
        elif rt == "Risk_Commodity" and b in p.commodity.delta_weight:
            rows.append(("commodity", float(p.commodity.delta_weight[b])))
    return pd.DataFrame(rows, columns=["cls", "weight"])


def risk_weights_vs_data(crif: pd.DataFrame, version: str, tails: pd.DataFrame,
                         market: RiskFactorHistory) -> pd.DataFrame:
    """SIMM's delta risk weights on the book's CRIF against the data's 99% 10-day moves.

    Per risk class (index): ``unit`` (``%`` relative move or ``bp``), ``simm_weight``
    (median of the weights SIMM applies to the book's delta sensitivities), ``simm_min``,
    ``simm_max``, ``n_sensitivities``; ``full``, ``recent``, ``stress``: median over the
    market's factors of that class of the larger of the downward and upward 99% moves (the
    tail-shock table) over the whole history, the recent years and the stress window;
    ``n_factors``; ``weight_over_full``, ``weight_over_stress``.
    """
    weights = _crif_weights(crif, version)
    meta = market.metadata
    last = market.levels.iloc[-1]
    moves = {c: _move(tails, meta, last, c) for c in ("full", "recent", "stress")}
    rows = {}
    for cls, unit in WEIGHT_UNITS.items():
        w = weights.loc[weights["cls"] == cls, "weight"]
        factors = meta.index[meta["risk_class"] == cls].intersection(tails.index)
        if w.empty or factors.empty:
            continue
        row = {"unit": unit, "simm_weight": float(w.median()), "simm_min": float(w.min()),
               "simm_max": float(w.max()), "n_sensitivities": len(w)}
        for c, m in moves.items():
            row[c] = float(m[factors].median())
        row["n_factors"] = len(factors)
        row["weight_over_full"] = row["simm_weight"] / row["full"]
        row["weight_over_stress"] = row["simm_weight"] / row["stress"]
        rows[cls] = row
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "risk_class"
    return out


def study_findings(margin: MarginResults, portfolio: Portfolio, market: RiskFactorHistory,
                   tails: pd.DataFrame, *, step: int, apc: APCConfig | None = None
                   ) -> Findings:
    """Condense a study's margin results (see the module docstring).

    ``step``: business days between the HS IM dates (the ``[rolling] step``); ``tails``: the
    market analysis' tail-shock table.
    """
    ref = margin.reference_simm
    on_date = margin.on_date[["kind", "im"]].copy()
    simm_im = float(on_date.loc[ref, "im"]) if ref is not None else np.nan
    on_date["ratio_to_simm"] = on_date["im"] / simm_im if simm_im > 0 else np.nan

    days = apc.frontier_days if apc is not None else 20
    cyc = {}
    for label in margin.models:
        if label in margin.im:
            cyc[label] = _cyclicality(margin.im[label], max(1, round(days / step)),
                                      "IM dates", days)
        elif label in margin.monthly and margin.monthly[label].notna().sum() > 2:
            cyc[label] = _cyclicality(margin.monthly[label], 1, "month ends", 21)
    procyclicality = pd.DataFrame.from_dict(cyc, orient="index")

    bt_cols = ["observations", "exceptions", "expected_exceptions", "traffic_light",
               "kupiec_p"]
    backtests = margin.backtests[[c for c in bt_cols if c in margin.backtests]].copy()

    hs = margin.hs_result.by_risk_class
    by_class = pd.DataFrame({"hs_var_contribution": hs["var_contribution"],
                             "hs_es_contribution": hs["es_contribution"]})
    risk_weights = pd.DataFrame()
    version = None
    if ref is not None:
        result = margin.results[ref]
        version = result.version
        simm_rc = result.by_risk_class()
        by_class["simm_margin"] = [float(sum(simm_rc.get(k, 0.0) for k in
                                             SIMM_CLASSES.get(c, ()))) for c in by_class.index]
        crif = to_crif(book_on_date(portfolio, market, bind_date=book_date(portfolio, market)))
        risk_weights = risk_weights_vs_data(crif, version, tails, market)
    by_class.index.name = "risk_class"
    choice = apc_choice(margin.frontier, apc.ptr_target if apc is not None else None)
    return Findings(on_date=on_date, procyclicality=procyclicality, backtests=backtests,
                    apc=choice, risk_weights=risk_weights, by_risk_class=by_class,
                    simm_version=version)
