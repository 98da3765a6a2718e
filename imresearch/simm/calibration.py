"""The recalibration lab: SIMM delta risk weights re-estimated from a market history.

ISDA calibrates each delta risk weight as a high quantile of the risk factor's 10-day moves over
"three recent years plus one stress year" (ISDA, "SIMM: From Principles to Model
Specification", March 2016; the SIMM Governance Framework; the windows of each version are in
:func:`~imresearch.simm.versions.version_info`). This module applies that recipe to the factors
of a :class:`~imresearch.marketdata.RiskFactorHistory`:

* the sample is every overlapping ``horizon``-day (10) change whose end lies in the recent window
  (``recent_years`` ending on ``end``) or in the stress period (pooled, equally weighted: the
  stress year is about a quarter of the sample, as the BCBS-IOSCO framework asks);
* the statistic is the ``confidence`` (99%) quantile of the absolute change (numpy's default
  linear interpolation), in SIMM's units: basis points for interest-rate and credit factors,
  percent relative change (``100 (exp(x) - 1)`` of a log change) for equity, FX and commodity;
* a bucket's weight is the median over its factors (ISDA's own pooling across the names of a
  bucket is not public; the median is a stated choice).

Factors are placed in SIMM buckets by :func:`simm_buckets`: interest rates by currency (the
version's weight group) and tenor, FX by the version's volatility group of the non-USD currency,
and equity, credit, commodity and volatility-index factors from a table of known names or the
caller's ``buckets``. :func:`compare_with_version` re-estimates on a version's own calibration
windows and sets the estimates beside its published weights; :func:`recalibrated_parameters`
puts estimates into a version's parameters (the point-in-time SIMM of
:func:`imresearch.procyclicality.simm_history.recalibrated_simm_history`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_in_open_interval, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.simm.parameters import SimmParameters, load_parameters
from imresearch.simm.versions import DEFAULT_VERSION, version_info

__all__ = [
    "FactorBucket",
    "RiskWeightEstimates",
    "bucket_weights",
    "compare_with_version",
    "estimate_risk_weights",
    "recalibrated_parameters",
    "simm_buckets",
]


@dataclasses.dataclass(frozen=True)
class FactorBucket:
    """Where a market factor's delta risk weight sits in SIMM.

    Attributes
    ----------
    risk_class : str
        SIMM risk class (``"InterestRate"``, ``"CreditQualifying"``, ``"Equity"``,
        ``"Commodity"``, ``"FX"``).
    bucket : str
        SIMM bucket; for interest rates the currency's weight group (``"inflation"`` for an
        inflation factor), for FX the volatility group of the currency.
    label : str
        Interest-rate tenor (``"10y"``), else ``""``.
    """

    risk_class: str
    bucket: str
    label: str = ""


# Known names: (pattern on the factor name, SIMM risk class, bucket), SIMM 2.x bucket numbers
# (1.0 and 1.3 number equities and commodities the same way up to their last bucket).
_KNOWN: tuple[tuple[str, str, str], ...] = (
    # equity indices, funds, ETFs: bucket 11; volatility indices: bucket 12 (from 2.0)
    (r"SPX|GSPC|SX5E|STOXX|NKY|N225|UKX|FTSE|DAX|GDAXI|CAC|FCHI|DJI|IXIC|NDX|NASDAQ|HSI|AEX|"
     r"IBEX|FTSEMIB|AXJO|GSPTSE|BVSP|BSESN|KS11|IWM|ES1|SSMI|RUT", "Equity", "11"),
    (r"VIX|V2X|VSTOXX", "Equity", "12"),
    # developed large caps: 5 consumer/transport, 7 energy/materials, 8 financials/technology
    (r"_SN_AUTO|_SN_CONS", "Equity", "5"),
    (r"_SN_ENERGY|_SN_MAT", "Equity", "7"),
    (r"_SN_TECH|_SN_BANK|_SN_FIN", "Equity", "8"),
    # commodities: 2 crude oil, 6 North American natural gas, 11 base metals, 12 precious
    (r"WTI|BRENT|CL1|CO1|CRUDE", "Commodity", "2"),
    (r"NG1|HENRY|NATGAS", "Commodity", "6"),
    (r"HG1|COPPER|ALUMIN|NICKEL", "Commodity", "11"),
    (r"GC1|GOLD|GLD|SI1|SILVER", "Commodity", "12"),
    # credit indices on investment-grade corporates: bucket 5 (IG technology/industrials, the
    # largest sector of CDX IG); high yield: bucket 11 (HY technology/industrials)
    (r"CDX_IG|ITRAXX_MAIN|ITRAXX_EUR|LQD|IG_OAS", "CreditQualifying", "5"),
    (r"CDX_HY|ITRAXX_XOVER|HYG|HY_OAS", "CreditQualifying", "11"),
)


def simm_buckets(
    market: RiskFactorHistory,
    version: str = DEFAULT_VERSION,
    buckets: Mapping[str, FactorBucket | tuple[str, ...]] | None = None,
) -> dict[str, FactorBucket]:
    """SIMM bucket of each factor of ``market`` that has a delta risk weight.

    Parameters
    ----------
    market : RiskFactorHistory
        Factors with their metadata.
    version : str, default the newest
        Version whose currency groups, tenors and buckets apply.
    buckets : mapping of factor name to FactorBucket or (risk_class, bucket[, label]), optional
        Placements that override or complete the automatic ones.

    Returns
    -------
    dict
        Factor name -> :class:`FactorBucket`, for the factors placed (interest-rate points whose
        tenor is not a SIMM tenor and names of no known bucket are left out).

    Raises
    ------
    InputError
        A ``buckets`` entry for an unknown factor, risk class or bucket.
    """
    p = load_parameters(version)
    out: dict[str, FactorBucket] = {}
    for name, spec in market.factors.items():
        if spec.risk_class in ("IR", "inflation") and spec.currency:
            if spec.risk_class == "inflation":
                out[name] = FactorBucket("InterestRate", "inflation")
            elif (spec.tenor or "").lower() in p.interest_rate.tenors:
                out[name] = FactorBucket("InterestRate",
                                         p.interest_rate.weight_group(spec.currency),
                                         str(spec.tenor).lower())
        elif spec.risk_class == "FX":
            pair = re.sub(r"[^A-Z]", "", name.upper())[-6:]
            ccy = pair[:3] if pair[3:] == "USD" else pair[3:] if pair[:3] == "USD" else ""
            if len(pair) == 6 and ccy:
                out[name] = FactorBucket("FX", p.fx.vol_group(ccy))
        else:
            for pattern, rc, bucket in _KNOWN:
                if re.search(pattern, name.upper()):
                    if bucket in _buckets_of(p, rc):
                        out[name] = FactorBucket(rc, bucket)
                    break
    for name, where in (buckets or {}).items():
        if name not in market.factors:
            raise InputError(f"buckets: factor {name!r} is not in market {market.name}")
        fb = where if isinstance(where, FactorBucket) else FactorBucket(*where)
        if fb.bucket not in _buckets_of(p, fb.risk_class) and fb.bucket != "inflation":
            raise InputError(f"buckets[{name!r}]: bucket {fb.bucket!r} of {fb.risk_class} is "
                             f"not in SIMM {p.version} (buckets: "
                             f"{', '.join(_buckets_of(p, fb.risk_class))})")
        out[name] = fb
    return out


def _buckets_of(p: SimmParameters, risk_class: str) -> tuple[str, ...]:
    if risk_class == "InterestRate":
        return tuple(p.interest_rate.delta_weight)
    if risk_class == "FX":
        return tuple(p.fx.vol_group_order)
    table = {"CreditQualifying": p.credit_qualifying, "CreditNonQualifying":
             p.credit_non_qualifying, "Equity": p.equity, "Commodity": p.commodity}
    if risk_class not in table:
        raise InputError(f"unknown SIMM risk class {risk_class!r}")
    return tuple(table[risk_class].buckets)


def _simm_units(shocks: np.ndarray, conventions: list[str]) -> np.ndarray:
    """Shocks in SIMM's units: bp as they are, log/relative changes as percent."""
    out = np.array(shocks, dtype=np.float64, copy=True)
    for j, conv in enumerate(conventions):
        if conv == "log":
            out[:, j] = 100.0 * np.expm1(out[:, j])
        elif conv in ("relative", "displaced_relative"):
            out[:, j] = 100.0 * out[:, j]
    return out


@dataclasses.dataclass(frozen=True)
class RiskWeightEstimates:
    """Delta risk weights re-estimated per factor (:func:`estimate_risk_weights`).

    Attributes
    ----------
    by_factor : DataFrame
        The estimate, the published weight and their ratio per factor, with its placement.
    version : str
        The version whose placements and published weights are used.
    end : pandas.Timestamp
        Last date of the recent window.
    recent : (Timestamp, Timestamp)
        The recent window.
    stress : (Timestamp, Timestamp) or None
        The stress period pooled with it, if any.
    """

    by_factor: pd.DataFrame
    version: str
    end: pd.Timestamp
    recent: tuple[pd.Timestamp, pd.Timestamp]
    stress: tuple[pd.Timestamp, pd.Timestamp] | None


def estimate_risk_weights(
    market: RiskFactorHistory,
    end: object = None,
    *,
    version: str = DEFAULT_VERSION,
    buckets: Mapping[str, FactorBucket | tuple[str, ...]] | None = None,
    recent_years: int = 3,
    stress: tuple[object, object] | str | None = "version",
    horizon: int = 10,
    confidence: float = 0.99,
) -> RiskWeightEstimates:
    """Delta risk weight of each placed factor, re-estimated as of ``end``.

    Parameters
    ----------
    market : RiskFactorHistory
        Market history.
    end : date-like, optional
        Last date of the recent window (point in time: no later data is used). Default the
        market's last date.
    version : str, default the newest
        Version whose buckets, groups and (by default) stress period are used and whose
        published weights are shown beside the estimates.
    buckets : mapping, optional
        Factor placements completing :func:`simm_buckets`.
    recent_years : int, default 3
    stress : (start, end), None or "version", default "version"
        The stress period pooled with the recent window: the version's own, a given one, or
        none. Left out while it is not over on ``end`` (point in time) or not in the data.
    horizon : int, default 10
        Business days of the changes.
    confidence : float, default 0.99
        Quantile of the absolute change.

    Returns
    -------
    RiskWeightEstimates
        ``by_factor`` indexed by factor: ``risk_class``, ``bucket``, ``label``, ``n_recent``,
        ``n_stress`` (changes in each part of the sample), ``weight`` (the estimate, in SIMM
        units), ``published`` (the version's weight for that bucket), ``ratio`` (weight /
        published); the windows used (``recent``, ``stress``) and the ``version``.

    Raises
    ------
    InputError
        No placed factor, a recent window without enough changes, bad arguments.
    """
    recent_years = check_positive_int("recent_years", recent_years)
    horizon = check_positive_int("horizon", horizon)
    confidence = check_in_open_interval("confidence", confidence)
    end_ts = pd.Timestamp(end) if end is not None else market.end
    placed = simm_buckets(market, version, buckets)
    if not placed:
        raise InputError(f"no factor of market {market.name} has a SIMM delta bucket; give "
                         f"buckets={{factor: (risk_class, bucket)}}")
    names = list(placed)
    hist = market.select(names)
    sh = horizon_shocks(hist, horizon)
    ends = sh.end
    recent_start = end_ts - pd.DateOffset(years=recent_years)
    recent = (ends > recent_start) & (ends <= end_ts)
    if stress == "version":
        window: tuple[pd.Timestamp, pd.Timestamp] | None = version_info(version).stress_period
    elif stress is None:
        window = None
    else:
        window = (pd.Timestamp(stress[0]), pd.Timestamp(stress[1]))  # type: ignore[index]
    in_stress = np.zeros(len(ends), dtype=bool)
    if window is not None and window[1] <= end_ts and window[0] >= hist.start:
        in_stress = (ends >= window[0]) & (ends <= window[1]) & ~recent
    else:
        window = None
    if recent.sum() < 2 * horizon:
        raise InputError(f"recent window {recent_start:%Y-%m-%d} .. {end_ts:%Y-%m-%d} has "
                         f"{int(recent.sum())} {horizon}-day changes in market {market.name} "
                         f"({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d}); need at least "
                         f"{2 * horizon}")
    values = _simm_units(sh.values, [hist.factors[n].convention for n in names])
    sample = np.abs(values[recent | in_stress])
    with np.errstate(all="ignore"):
        weight = np.array([np.quantile(col[np.isfinite(col)], confidence)
                           if np.isfinite(col).any() else np.nan for col in sample.T])
    p = load_parameters(version)
    published = np.array([_published(p, placed[n]) for n in names])
    out = pd.DataFrame({
        "risk_class": [placed[n].risk_class for n in names],
        "bucket": [placed[n].bucket for n in names],
        "label": [placed[n].label for n in names],
        "n_recent": int(recent.sum()), "n_stress": int(in_stress.sum()),
        "weight": weight, "published": published,
    }, index=pd.Index(names, name="factor"))
    out["ratio"] = out["weight"] / out["published"]
    return RiskWeightEstimates(by_factor=out, version=p.version, end=end_ts,
                               recent=(recent_start, end_ts), stress=window)


def _published(p: SimmParameters, fb: FactorBucket) -> float:
    """The version's published delta weight for a placement (USD as calculation currency)."""
    if fb.risk_class == "InterestRate":
        ir = p.interest_rate
        if fb.bucket == "inflation":
            return ir.inflation_weight
        return float(ir.delta_weight[fb.bucket][ir.tenors.index(fb.label)])
    if fb.risk_class == "FX":
        fx = p.fx
        calc = fx.vol_group_index("USD")
        return float(fx.delta_weight[calc, fx.vol_group_order.index(fb.bucket)])
    table = {"CreditQualifying": p.credit_qualifying, "CreditNonQualifying":
             p.credit_non_qualifying, "Equity": p.equity, "Commodity": p.commodity}
    return float(table[fb.risk_class].delta_weight[fb.bucket])


def bucket_weights(estimates: RiskWeightEstimates) -> pd.DataFrame:
    """Median estimate per SIMM bucket (and IR tenor), with the published weight.

    Returns
    -------
    DataFrame
        Indexed by ``risk_class, bucket, label``: ``weight`` (median over the bucket's factors),
        ``n_factors``, ``published``, ``ratio``.
    """
    g = estimates.by_factor.groupby(["risk_class", "bucket", "label"], sort=True)
    out = pd.DataFrame({"weight": g["weight"].median(), "n_factors": g["weight"].count(),
                        "published": g["published"].first()})
    out["ratio"] = out["weight"] / out["published"]
    return out


def compare_with_version(
    market: RiskFactorHistory,
    version: str,
    *,
    buckets: Mapping[str, FactorBucket | tuple[str, ...]] | None = None,
    horizon: int = 10,
    confidence: float = 0.99,
) -> pd.DataFrame:
    """Weights re-estimated on a version's own calibration windows beside its published ones.

    The recent window of each class's calibration (``version_info(version)
    .calibration_window``) and the version's stress period must lie inside the data.

    Returns
    -------
    DataFrame
        :func:`bucket_weights` of the estimates.

    Raises
    ------
    InputError
        If the data do not cover the version's windows (the message names them).
    """
    info = version_info(version)
    (r0, r1), (s0, s1) = info.calibration_recent, info.stress_period
    if r0 < market.start or r1 > market.end or s0 < market.start:
        raise InputError(f"market {market.name} ({market.start:%Y-%m-%d} .. "
                         f"{market.end:%Y-%m-%d}) does not cover SIMM {info.version}'s "
                         f"calibration windows (recent {r0:%Y-%m-%d} .. {r1:%Y-%m-%d}, stress "
                         f"{s0:%Y-%m-%d} .. {s1:%Y-%m-%d})")
    years = round((r1 - r0).days / 365.25)
    est = estimate_risk_weights(market, r1, version=info.version, buckets=buckets,
                                recent_years=years, stress=(s0, s1), horizon=horizon,
                                confidence=confidence)
    return bucket_weights(est)


def recalibrated_parameters(params: SimmParameters, weights: pd.DataFrame) -> SimmParameters:
    """``params`` with the delta risk weights of ``weights`` (a :func:`bucket_weights` frame).

    Only the buckets (and IR tenors) present are replaced; everything else, correlations and
    thresholds included, stays published. Equity, commodity and FX vega use the delta weight
    in their volatility ``sigma``, so they follow it.
    """
    ir, fx = params.interest_rate, params.fx
    ir_table = {g: np.array(w, dtype=np.float64) for g, w in ir.delta_weight.items()}
    inflation = ir.inflation_weight
    fx_table = np.array(fx.delta_weight, dtype=np.float64)
    classes: dict[str, dict[str, float]] = {}
    for (rc, bucket, label), row in weights.iterrows():
        w = float(row["weight"])
        if not np.isfinite(w):
            continue
        if rc == "InterestRate" and bucket == "inflation":
            inflation = w
        elif rc == "InterestRate":
            ir_table[bucket][ir.tenors.index(label)] = w
        elif rc == "FX":
            j = fx.vol_group_order.index(bucket)
            fx_table[fx.vol_group_index("USD"), j] = w
            fx_table[j, fx.vol_group_index("USD")] = w
        else:
            classes.setdefault(rc, {})[bucket] = w
    for arr in ir_table.values():
        arr.setflags(write=False)
    fx_table.setflags(write=False)
    changes: dict[str, Any] = {
        "interest_rate": dataclasses.replace(ir, delta_weight=MappingProxyType(ir_table),
                                             inflation_weight=inflation),
        "fx": dataclasses.replace(fx, delta_weight=fx_table),
    }
    for rc, attr in (("CreditQualifying", "credit_qualifying"),
                     ("CreditNonQualifying", "credit_non_qualifying"),
                     ("Equity", "equity"), ("Commodity", "commodity")):
        if rc in classes:
            old = getattr(params, attr)
            changes[attr] = dataclasses.replace(
                old, delta_weight=MappingProxyType({**old.delta_weight, **classes[rc]}))
    return dataclasses.replace(params, **changes)
