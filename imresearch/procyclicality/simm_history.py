"""ISDA SIMM through time: the version in force on each date, and a "recalibrated SIMM".

SIMM's risk weights are recalibrated by ISDA once a year (twice from 2025) and take effect months
after the data they were estimated on ends: between two versions the weights are frozen, so SIMM
reacts to a market stress only through the portfolio's sensitivities, not through its risk
weights. Two series show this calibration lag:

``simm``
    SIMM of the portfolio's CRIF on each date with the parameters of the version *in force* on
    that date (:func:`imresearch.simm.version_in_force`: 1.0 from 2016-09-01, 1.3, 2.0 ... 2.7,
    2.7+2412, 2.8+2506, 2.8+2512, each from its effective date). No SIMM was in force before
    2016-09-01: those dates use version 1.0 and the column ``before_first_version`` says so
    (``before="first"``, the default), or raise (``before="error"``); the recalibrated series
    below is the point-in-time answer for them.

``simm_recalibrated`` (research mode, ``recalibrate=True``)
    The same CRIF with the *delta* risk weights of each SIMM risk class rescaled by how much the
    market's tail moves have changed since the version's calibration window::

        k_r(t) = median over factors f of class r of  q_f(W_t) / q_f(W_c(v))

    where ``q_f(W)`` is the 99% quantile of the absolute ``horizon``-day (10-day) overlapping
    shock of factor ``f`` (in its shock convention) over the window ``W``; ``W_t`` is the
    ``recent_years`` (3) years of shocks ending on ``t`` together with the version's stress
    period (``version_info(v).stress_period``, e.g. 2008-09-13 .. 2009-06-12) *once it lies in
    the past and in the data* (point in time: before its end it is left out, and the column
    ``stress_in_window`` is False); ``W_c(v)`` is the same window ending on the end of the
    version's calibration data ``c(v)`` (``version_info(v).calibration_end``: 2021-12-31 for
    2.5, 2024-12-31 for 2.7+2412, 2025-06-30 for 2.8+2506..., each with its source). ISDA
    estimates each risk weight as a high quantile of 10-day moves over "3 recent years + 1
    stress year" (ISDA SIMM Methodology, section on calibration), so the ratio approximates what
    a re-estimation on date ``t`` would give relative to the published weight. It is a ratio
    estimator, not ISDA's calibration: one scale per risk class (not per bucket/tenor, see
    :mod:`imresearch.simm.calibration` for that), pooled by the median across the portfolio's
    factors of that class; vega, curvature and base correlation weights, correlations and
    concentration thresholds stay as published.

    Because ``WS_k = RW_k s_k CR_k`` and the concentration factor ``CR_k`` does not depend on
    the weight, multiplying every delta weight of a risk class by ``k`` multiplies that class's
    delta margin by exactly ``k``. The recalibrated total is rebuilt from the margin tree of
    :func:`imresearch.simm.simm`: risk-class margin = sum of its margin types (delta scaled),
    product-class margin ``sqrt(sum_rs psi_rs M_r M_s)``, the product-class multiplier add-on
    scaled with it, and the notional/fixed add-ons unchanged.

The CRIF on each date comes from :func:`imresearch.portfolio.to_crif` by bump-and-revalue of
the portfolio bound once on ``bind_date`` (its terms held at constant maturity, as in
:func:`imresearch.engines.hs.rolling_im`) at that date's market levels. That is about 0.1 s per
date for the 205-trade dealer book, so the default step is monthly (last business day of each
month).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_in_open_interval, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.portfolio.binding import BoundPortfolio, bind
from imresearch.portfolio.sensitivities import to_crif
from imresearch.simm import RISK_CLASSES as SIMM_RISK_CLASSES
from imresearch.simm import (
    SimmResult,
    canonical_version,
    load_parameters,
    simm,
    version_info,
)
from imresearch.simm import version_in_force as _in_force

__all__ = [
    "RecalibratedSimm",
    "calibration_date",
    "recalibrated_simm_history",
    "recalibrated_total",
    "simm_dates",
    "simm_history",
]

#: Market risk class (FactorSpec.risk_class) -> SIMM risk classes whose delta weights it informs.
MARKET_TO_SIMM: dict[str, tuple[str, ...]] = {
    "IR": ("InterestRate",),
    "inflation": ("InterestRate",),
    "credit": ("CreditQualifying", "CreditNonQualifying"),
    "equity": ("Equity",),
    "commodity": ("Commodity",),
    "FX": ("FX",),
}


@dataclasses.dataclass(frozen=True)
class RecalibratedSimm:
    """Point-in-time recalibrated SIMM through time (:func:`recalibrated_simm_history`).

    Attributes
    ----------
    by_date : DataFrame
        SIMM with published and re-estimated weights per date, and their ratio.
    weights : DataFrame
        The re-estimated bucket weights of every date, beside the published ones.
    """

    by_date: pd.DataFrame
    weights: pd.DataFrame


def calibration_date(version: str, risk_class: str | None = None, *,
                     dates: Mapping[str, object] | None = None) -> pd.Timestamp:
    """End of the data window behind a version's weights (of one risk class).

    ``dates[version]`` if given, else the published (or documented inferred) end of the recent
    window of the calibration that set the class's weights
    (``imresearch.simm.version_info(version).calibration_window(risk_class)``; the version's own
    window when ``risk_class`` is None).
    """
    v = canonical_version(version)
    if dates:
        for key, value in dates.items():
            if canonical_version(key) == v:
                return pd.Timestamp(value)
    info = version_info(v)
    if risk_class is None:
        return info.calibration_end
    return info.calibration_window(risk_class)[0][1]


def simm_dates(market: RiskFactorHistory, start: object = None, end: object = None,
               step: int | str = "M") -> pd.DatetimeIndex:
    """Dates of ``market`` in ``[start, end]``: the last business day of each month (``"M"``),
    or every ``step``-th business day ending on the last date of the range."""
    dates = market.dates
    if start is not None or end is not None:
        dates = dates[(dates >= pd.Timestamp(start or dates[0]))
                      & (dates <= pd.Timestamp(end or dates[-1]))]
    if len(dates) == 0:
        raise InputError(f"no date of {market.name} in {start}..{end} (data "
                         f"{market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d})")
    if isinstance(step, str):
        if step != "M":
            raise InputError(f"step must be 'M' (month ends) or a positive int; got {step!r}")
        s = pd.Series(dates, index=dates)
        return pd.DatetimeIndex(s.groupby(dates.to_period("M")).max().to_numpy(), name="date")
    step = check_positive_int("step", step)
    return pd.DatetimeIndex(dates[::-1][::step][::-1], name="date")


def recalibrated_total(result: SimmResult, scale: Mapping[str, float]) -> float:
    """SIMM total with each risk class's delta margin multiplied by ``scale[risk_class]``.

    Exact for a uniform rescaling of a class's delta risk weights (see module notes). Needs an
    ungrouped :class:`~imresearch.simm.SimmResult`.
    """
    if result.group_by:
        raise InputError("recalibrated_total needs an ungrouped SIMM result")
    bad = [k for k in scale if k not in SIMM_RISK_CLASSES]
    if bad:
        raise InputError(f"scale has unknown SIMM risk class(es) {bad}; known "
                         f"{list(SIMM_RISK_CLASSES)}")
    b = result.breakdown
    psi = load_parameters(result.version, result.mpor_days).risk_class_correlation
    total = 0.0
    for pc in b["ProductClass"].unique():
        if pc == "All":
            continue
        rows = b[(b["ProductClass"] == pc) & (b["Bucket"] == "All")]
        m = np.zeros(len(SIMM_RISK_CLASSES))
        for i, rc in enumerate(SIMM_RISK_CLASSES):
            types = rows[(rows["RiskClass"] == rc) & (rows["MarginType"] != "All")]
            for mt, value in zip(types["MarginType"], types["InitialMargin"], strict=True):
                m[i] += float(value) * (float(scale.get(rc, 1.0)) if mt == "Delta" else 1.0)
        product = float(np.sqrt(max(m @ psi @ m, 0.0)))
        old = rows[(rows["RiskClass"] == "All") & (rows["MarginType"] == "All")]
        addon = rows[(rows["RiskClass"] == "All") & (rows["MarginType"] == "AdditionalIM")]
        old_product = float(old["InitialMargin"].iloc[0]) if len(old) else 0.0
        extra = float(addon["InitialMargin"].sum()) if len(addon) else 0.0
        total += product + (extra * product / old_product if old_product > 0 else 0.0)
    glob = b[(b["ProductClass"] == "All") & (b["RiskClass"] == "All")
             & (b["MarginType"] == "AdditionalIM")]
    return total + float(glob["InitialMargin"].sum())


def _tail_quantiles(history: RiskFactorHistory, dates: pd.DatetimeIndex, *, horizon: int,
                    recent_years: int, confidence: float,
                    stress: tuple[pd.Timestamp, pd.Timestamp] | None
                    ) -> tuple[pd.DataFrame, pd.Series]:
    """Per date and factor, the ``confidence`` quantile of |shock| over recent + stress."""
    sh = horizon_shocks(history, horizon)
    ends = sh.end
    a = np.abs(sh.values)
    out = np.full((len(dates), a.shape[1]), np.nan)
    used = np.zeros(len(dates), dtype=bool)
    for i, t in enumerate(dates):
        recent = (ends > t - pd.DateOffset(years=recent_years)) & (ends <= t)
        mask = recent.copy()
        if stress is not None and stress[1] <= t and stress[0] >= history.start:
            mask |= (ends >= stress[0]) & (ends <= stress[1])
            used[i] = True
        if recent.sum() < max(2 * horizon, 20):
            continue
        out[i] = np.quantile(a[mask], confidence, axis=0)
    return (pd.DataFrame(out, index=dates, columns=history.factor_names),
            pd.Series(used, index=dates))


def simm_history(
    portfolio: Any,
    market: RiskFactorHistory,
    start: object = None,
    end: object = None,
    *,
    step: int | str = "M",
    version: str | None = None,
    mpor_days: int = 10,
    side: str = "call",
    bind_date: object = None,
    recalibrate: bool = False,
    recent_years: int = 3,
    confidence: float = 0.99,
    calibration_dates: Mapping[str, object] | None = None,
    dates: Sequence[object] | pd.DatetimeIndex | None = None,
    before: Literal["first", "error"] = "first",
) -> pd.DataFrame:
    """SIMM of a portfolio through time with the version in force on each date.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The trades, bound once on ``bind_date`` and held at constant maturity.
    market : RiskFactorHistory
        Market history giving the levels on each date (and the shocks of the recalibration).
    start, end : date-like, optional
        Range of dates. Default the whole market.
    step : "M" or int
        Month ends (default) or every ``step``-th business day.
    version : str, optional
        Hold one version fixed (any name :func:`imresearch.simm.canonical_version` accepts)
        instead of the version in force on each date.
    mpor_days : {10, 1}
        SIMM margin period of risk. Default 10.
    side : {"call", "post"}
        Default ``"call"``.
    bind_date : date-like, optional
        Date fixing the trades' terms. Default the last market date.
    recalibrate : bool
        Add the research series ``simm_recalibrated`` (see the module notes). Default False.
    recent_years : int
        Recent window of the recalibration, years. Default 3.
    confidence : float
        Quantile of the absolute 10-day shocks. Default 0.99.
    calibration_dates : mapping of version to date, optional
        Calibration data end dates overriding the versions' own
        (:func:`imresearch.simm.version_info` ``.calibration_end``).
    dates : sequence of dates, optional
        Explicit dates (each must be a market date); overrides ``start``/``end``/``step``.
    before : {"first", "error"}
        Dates before 2016-09-01, when no SIMM was in force: version 1.0, flagged in
        ``before_first_version`` (default), or an error saying so.

    Returns
    -------
    pandas.DataFrame
        Indexed by date: ``version`` (used), ``before_first_version`` (True where no SIMM was in
        force on the date and version 1.0 is used instead),
        ``simm`` and the risk-class margins ``simm_<RiskClass>`` (summed over product classes,
        each class's own margin). With ``recalibrate``: ``calibration_date``,
        ``stress_in_window``, ``scale_<RiskClass>`` and ``simm_recalibrated``.

    Raises
    ------
    InputError
        Dates outside the market, an unknown version, a recalibration whose calibration window
        lies outside the data (the message names the version, the date and the data range).
    """
    idx = _dates(market, start, end, step, dates)
    if version is not None:
        version = canonical_version(version)
    recent_years = check_positive_int("recent_years", recent_years)
    confidence = check_in_open_interval("confidence", confidence)
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                      bind_date)
    names = bp.factor_names
    hist = market.select(names)
    rows = hist.dates.get_indexer(idx)
    levels = hist.values
    records: list[dict[str, Any]] = []
    results: list[SimmResult] = []
    for t, r in zip(idx, rows, strict=True):
        v, early = (version, False) if version is not None else _in_force(t, before=before)
        res = simm(_crif_at(bp, levels[r], t), version=v, mpor_days=mpor_days, side=side)
        rec: dict[str, Any] = {"date": t, "version": v, "before_first_version": early,
                               "simm": res.total}
        b = res.breakdown
        for rc in SIMM_RISK_CLASSES:
            sel = b[(b["RiskClass"] == rc) & (b["MarginType"] == "All") & (b["Bucket"] == "All")]
            rec[f"simm_{rc}"] = float(sel["InitialMargin"].sum())
        records.append(rec)
        results.append(res)
    out = pd.DataFrame.from_records(records).set_index("date")
    if not recalibrate:
        return out
    return _recalibrate(out, results, hist, horizon=10 if mpor_days == 10 else 1,
                        recent_years=recent_years, confidence=confidence,
                        cal_dates=calibration_dates)


def _crif_at(bp: BoundPortfolio, levels: np.ndarray, t: pd.Timestamp) -> pd.DataFrame:
    """CRIF of the bound portfolio at one date's levels (terms held at constant maturity)."""
    return to_crif(dataclasses.replace(bp, base_levels=np.array(levels), date=t))


def _dates(market: RiskFactorHistory, start: object, end: object, step: int | str,
           dates: Sequence[object] | pd.DatetimeIndex | None) -> pd.DatetimeIndex:
    if dates is None:
        return simm_dates(market, start, end, step)
    idx = pd.DatetimeIndex(pd.to_datetime(list(dates)), name="date")
    missing = idx.difference(market.dates)
    if len(missing):
        raise InputError(f"date {missing[0]:%Y-%m-%d} is not a date of market "
                         f"{market.name} ({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d})")
    return idx


def recalibrated_simm_history(
    portfolio: Any,
    market: RiskFactorHistory,
    start: object = None,
    end: object = None,
    *,
    step: int | str = "M",
    dates: Sequence[object] | pd.DatetimeIndex | None = None,
    buckets: Mapping[str, Any] | None = None,
    mpor_days: int = 10,
    side: str = "call",
    bind_date: object = None,
    recent_years: int = 3,
    confidence: float = 0.99,
) -> RecalibratedSimm:
    """Point-in-time recalibrated SIMM: each date's SIMM with weights re-estimated that day.

    On each date ``t`` the delta risk weight of every SIMM bucket the market has factors for is
    re-estimated from the data up to ``t`` (:func:`imresearch.simm.calibration
    .estimate_risk_weights`: the 99% quantile of absolute 10-day changes over the
    ``recent_years`` ending on ``t`` plus the version's stress year once it is over, median over a
    bucket's factors) and put in place of the published weight of the version in force
    (version 1.0 before 2016-09-01, flagged); the other weights, correlations and thresholds
    stay published. Unlike ``simm_history(recalibrate=True)`` (one scale per risk class), each
    bucket and tenor gets its own weight.

    Parameters
    ----------
    portfolio, market, start, end, step, dates, mpor_days, side, bind_date
        As in :func:`simm_history`.
    buckets : mapping, optional
        Factor placements completing :func:`imresearch.simm.calibration.simm_buckets`.
    recent_years : int, default 3
    confidence : float, default 0.99

    Returns
    -------
    RecalibratedSimm
        ``by_date`` indexed by date: ``version``, ``before_first_version``, ``simm``
        (published weights), ``simm_recalibrated`` (re-estimated weights), ``ratio``;
        ``weights``: the tidy bucket weights of every date (``date, risk_class, bucket, label,
        weight, published``).
    """
    from imresearch.simm.calibration import (
        bucket_weights,
        estimate_risk_weights,
        recalibrated_parameters,
    )

    idx = _dates(market, start, end, step, dates)
    bp = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                      bind_date)
    hist = market.select(bp.factor_names)
    rows = hist.dates.get_indexer(idx)
    records, weights = [], []
    for t, r in zip(idx, rows, strict=True):
        v, early = _in_force(t, before="first")
        crif = _crif_at(bp, hist.values[r], t)
        est = bucket_weights(estimate_risk_weights(
            market, t, version=v, buckets=buckets, recent_years=recent_years,
            horizon=10 if mpor_days == 10 else 1, confidence=confidence))
        params = recalibrated_parameters(load_parameters(v, mpor_days), est)
        published = simm(crif, version=v, mpor_days=mpor_days, side=side).total
        recal = simm(crif, version=params, mpor_days=mpor_days, side=side).total
        records.append({"date": t, "version": v, "before_first_version": early,
                        "simm": published, "simm_recalibrated": recal})
        weights.append(est.reset_index().assign(date=t))
    out = pd.DataFrame.from_records(records).set_index("date")
    out["ratio"] = out["simm_recalibrated"] / out["simm"]
    return RecalibratedSimm(by_date=out, weights=pd.concat(weights, ignore_index=True)[
        ["date", "risk_class", "bucket", "label", "weight", "published"]])


def _recalibrate(out: pd.DataFrame, results: list[SimmResult], hist: RiskFactorHistory, *,
                 horizon: int, recent_years: int, confidence: float,
                 cal_dates: Mapping[str, object] | None) -> pd.DataFrame:
    classes: dict[str, list[int]] = {}
    for j, spec in enumerate(hist.factors.values()):
        for rc in MARKET_TO_SIMM.get(spec.risk_class, ()):
            classes.setdefault(rc, []).append(j)
    out = out.copy()
    out["calibration_date"] = pd.NaT
    out["stress_in_window"] = False
    for rc in SIMM_RISK_CLASSES:
        out[f"scale_{rc}"] = 1.0
    out["simm_recalibrated"] = np.nan
    first_ok = hist.dates[0] + pd.DateOffset(years=recent_years)
    for v in out["version"].unique():
        on_v = out.index[out["version"] == v]
        stress = version_info(v).stress_period
        q_t, used = _tail_quantiles(hist, on_v, horizon=horizon, recent_years=recent_years,
                                    confidence=confidence, stress=stress)
        out.loc[on_v, "stress_in_window"] = used.to_numpy()
        own = calibration_date(v, dates=cal_dates)
        out.loc[on_v, "calibration_date"] = hist.dates[max(hist.dates.searchsorted(own, "right")
                                                           - 1, 0)]
        q_at: dict[pd.Timestamp, np.ndarray] = {}
        for rc, cols in classes.items():
            # each class against the calibration that set its weights (2.5A: IR only)
            c = calibration_date(v, rc, dates=cal_dates)
            if c < first_ok or c > hist.end:
                raise InputError(
                    f"recalibrated SIMM: version {v}'s calibration window ({recent_years}y to "
                    f"{c:%Y-%m-%d}) is outside the data {hist.name} ({hist.start:%Y-%m-%d} .. "
                    f"{hist.end:%Y-%m-%d}); give calibration_dates or more history"
                )
            c_row = hist.dates[hist.dates.searchsorted(c, "right") - 1]
            if c_row not in q_at:
                q_at[c_row] = _tail_quantiles(hist, pd.DatetimeIndex([c_row]), horizon=horizon,
                                              recent_years=recent_years, confidence=confidence,
                                              stress=stress)[0].to_numpy()[0]
            vals = q_t.to_numpy()[:, cols] / q_at[c_row][cols]
            with np.errstate(all="ignore"):
                med = np.nanmedian(np.where(np.isfinite(vals), vals, np.nan), axis=1)
            out.loc[on_v, f"scale_{rc}"] = np.where(np.isfinite(med), med, np.nan)
    scale_cols = [f"scale_{rc}" for rc in SIMM_RISK_CLASSES]
    for k, (t, res) in enumerate(zip(out.index, results, strict=True)):
        s = out.loc[t, scale_cols].to_numpy(dtype=float)
        if not np.isfinite(s).all():
            continue  # not enough recent shocks on this date: left NaN
        out.iloc[k, out.columns.get_loc("simm_recalibrated")] = recalibrated_total(
            res, dict(zip(SIMM_RISK_CLASSES, s, strict=True)))
    return out
