"""Why SIMM and historical simulation differ, risk class by risk class.

:func:`simm_vs_hs` sets a book's SIMM beside its historical-simulation IM on one date and splits
the gap into the parts a margin researcher asks about:

* **risk weights against the data**: SIMM's published delta weight of each factor's bucket over
  the factor's own 99% quantile of absolute 10-day moves in the data
  (:func:`imresearch.simm.calibration.estimate_risk_weights`, 3 recent years plus the version's
  stress year), median per risk class;
* **correlations**: SIMM's diversification inside a risk class (delta margin over the sum of its
  bucket margins) against the book's own (HS IM of the class's factors over the sum of each
  factor's stand-alone HS IM);
* **the product-class sum**: SIMM adds its four product classes without diversification; the
  total minus the SIMM of the same sensitivities in one product class;
* **vega and curvature**: their share of each class's margin;
* and the HS IM of each risk class's factors alone (the other factors held at the date's
  levels), against that class's SIMM.

SIMM risk classes take the market factors of their class (interest rates and inflation; credit;
equity and equity volatility; commodity; FX).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.engines import historical_im
from imresearch.errors import InputError
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import HSModel
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.portfolio.sensitivities import to_crif
from imresearch.simm import RISK_CLASSES, simm, version_in_force
from imresearch.simm.calibration import estimate_risk_weights

__all__ = ["MARKET_CLASSES", "SimmVsHs", "simm_vs_hs"]

#: SIMM risk class -> the market factors' risk classes it covers
MARKET_CLASSES: dict[str, tuple[str, ...]] = {
    "InterestRate": ("IR", "inflation"),
    "CreditQualifying": ("credit",),
    "CreditNonQualifying": (),
    "Equity": ("equity", "volatility"),
    "Commodity": ("commodity",),
    "FX": ("FX",),
}
_MARGIN_TYPES = ("Delta", "Vega", "Curvature", "BaseCorr")


def _frozen(market: RiskFactorHistory, moving: list[str], date: pd.Timestamp
            ) -> RiskFactorHistory:
    """``market`` with every factor but ``moving`` held at its level on ``date``."""
    levels = market.levels.copy()
    still = [c for c in levels.columns if c not in moving]
    levels[still] = levels.loc[date, still].to_numpy()
    return RiskFactorHistory(levels, market.factors, name=f"{market.name} ({len(moving)} moving)")


@dataclass(frozen=True)
class SimmVsHs:
    """SIMM against HS IM by risk class (see :func:`simm_vs_hs`).

    Attributes
    ----------
    by_risk_class : DataFrame
        One row per SIMM risk class the book has and ``"Total"`` (columns in
        :func:`simm_vs_hs`).
    version : str
        The SIMM version used.
    date : pandas.Timestamp
    product_class_sum : float
        Total SIMM minus the SIMM of the same sensitivities in one product class: what SIMM
        adds by summing its product classes instead of diversifying across them.
    simm_total : float
    hs_model : HSModel
    """

    by_risk_class: pd.DataFrame
    version: str
    date: pd.Timestamp
    product_class_sum: float
    simm_total: float
    hs_model: HSModel


def simm_vs_hs(
    portfolio: Any,
    market: RiskFactorHistory,
    date: object = None,
    *,
    version: str | None = None,
    hs: HSModel | None = None,
    mpor_days: int = 10,
    side: str = "call",
) -> SimmVsHs:
    """SIMM against historical-simulation IM by risk class, with what drives the difference.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The book (one netting set: every trade together).
    market : RiskFactorHistory
        Market history, with the HS lookback (and stress window) before ``date``.
    date : date-like, optional
        Valuation date; default the market's last date.
    version : str, optional
        SIMM version; default the version in force on ``date`` (1.0 before 2016-09-01).
    hs : HSModel, optional
        The historical-simulation model; default ``HSModel(lookback_days=750)`` (3 years).
    mpor_days : {10, 1}, default 10
    side : {"call", "post"}, default "call"

    Returns
    -------
    SimmVsHs
        ``by_risk_class``: one row per SIMM risk class the book has and ``"Total"``: ``simm`` (the
        class's margin summed over product classes) and its parts ``simm_delta``, ``simm_vega``,
        ``simm_curvature``, ``simm_basecorr``; ``hs_im`` (HS IM of the class's factors alone; for
        Total, of every factor) and ``simm_over_hs``; ``rw_over_data`` (median over the class's
        factors of SIMM's delta weight over the data's 99% 10-day move); ``simm_diversification``
        (delta margin / sum of bucket margins) and ``hs_diversification`` (HS IM / sum of the
        factors' stand-alone HS IM); ``vega_curvature_share``. With the ``version``, ``date``,
        ``product_class_sum`` (total SIMM minus the SIMM of the same sensitivities in one product
        class), ``simm_total`` and ``hs_model``.
    """
    ts = pd.Timestamp(date) if date is not None else market.end
    if ts not in market.dates:
        raise InputError(f"date {ts:%Y-%m-%d} is not a date of market {market.name}")
    v = version or version_in_force(ts, before="first").version
    hs = hs or HSModel(lookback_days=750)
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market, ts)
    crif = to_crif(bp)
    res = simm(crif, version=v, mpor_days=mpor_days, side=side)
    b = res.breakdown
    by_pc = b[(b["ProductClass"] != "All") & (b["Bucket"] == "All")]
    one_pc = crif.assign(ProductClass=np.where(crif["ProductClass"] != "", "RatesFX", ""))
    single = simm(one_pc, version=v, mpor_days=mpor_days, side=side).total

    hist = market.select(bp.factor_names)
    placed = estimate_risk_weights(hist, ts, version=v, horizon=mpor_days).by_factor
    standalone = {f: historical_im(bp, _frozen(hist, [f], ts), ts, hs).im
                  for f in hist.factor_names}
    rows = {}
    for rc in RISK_CLASSES:
        part = by_pc[by_pc["RiskClass"] == rc]
        if part.empty:
            continue
        factors = [f for f in hist.factor_names
                   if hist.factors[f].risk_class in MARKET_CLASSES[rc]]
        margins = {mt: float(part.loc[part["MarginType"] == mt, "InitialMargin"].sum())
                   for mt in _MARGIN_TYPES}
        total = float(part.loc[part["MarginType"] == "All", "InitialMargin"].sum())
        buckets = b[(b["RiskClass"] == rc) & (b["MarginType"] == "Delta")
                    & (b["Bucket"] != "All")]["InitialMargin"].sum()
        hs_im = historical_im(bp, _frozen(hist, factors, ts), ts, hs).im if factors else 0.0
        alone = sum(standalone[f] for f in factors)
        ratio = (placed.loc[placed["risk_class"] == rc, "published"]
                 / placed.loc[placed["risk_class"] == rc, "weight"])
        rows[rc] = {
            "simm": total, "simm_delta": margins["Delta"], "simm_vega": margins["Vega"],
            "simm_curvature": margins["Curvature"], "simm_basecorr": margins["BaseCorr"],
            "hs_im": hs_im, "rw_over_data": float(ratio.median()) if len(ratio) else np.nan,
            "simm_diversification": margins["Delta"] / buckets if buckets > 0 else np.nan,
            "hs_diversification": hs_im / alone if alone > 0 else np.nan,
            "vega_curvature_share": (margins["Vega"] + margins["Curvature"]) / total
            if total > 0 else np.nan,
        }
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("risk_class")
    hs_all = historical_im(bp, hist, ts, hs).im
    out.loc["Total"] = {
        "simm": res.total, "simm_delta": out["simm_delta"].sum(),
        "simm_vega": out["simm_vega"].sum(), "simm_curvature": out["simm_curvature"].sum(),
        "simm_basecorr": out["simm_basecorr"].sum(), "hs_im": hs_all,
        "rw_over_data": float((placed["published"] / placed["weight"]).median()),
        "simm_diversification": np.nan,
        "hs_diversification": hs_all / sum(standalone.values()),
        "vega_curvature_share": (out["simm_vega"].sum() + out["simm_curvature"].sum())
        / res.total if res.total > 0 else np.nan,
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        out["simm_over_hs"] = out["simm"] / out["hs_im"]
    return SimmVsHs(by_risk_class=out, version=v, date=ts,
                    product_class_sum=res.total - single, simm_total=res.total, hs_model=hs)
