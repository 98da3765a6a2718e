"""The recalibration lab: re-estimated SIMM delta weights against an independent computation."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import RiskFactorHistory, load_builtin
from imresearch.simm import load_parameters, simm
from imresearch.simm.calibration import (
    FactorBucket,
    bucket_weights,
    compare_with_version,
    estimate_risk_weights,
    recalibrated_parameters,
    simm_buckets,
)


@pytest.fixture(scope="module")
def market() -> RiskFactorHistory:
    return load_builtin("synthetic").select(
        ["IR_USD_10y", "IR_EUR_10y", "EQ_SPX", "EQ_SX5E", "FX_EURUSD", "FX_USDJPY",
         "CR_CDX_HY", "CMD_WTI"])


def _naive_quantile(values: list[float], p: float) -> float:
    """Linear-interpolation quantile from the sorted sample (Hyndman-Fan type 7)."""
    x = sorted(values)
    h = (len(x) - 1) * p
    lo = math.floor(h)
    return x[lo] + (h - lo) * (x[min(lo + 1, len(x) - 1)] - x[lo])


def _naive_weight(market: RiskFactorHistory, name: str, end: pd.Timestamp,
                  stress: tuple[str, str] | None, years: int = 3, horizon: int = 10) -> float:
    """The recipe written out with loops: overlapping changes, windows, SIMM units, quantile."""
    levels = market.levels[name]
    dates = list(levels.index)
    conv = market.factors[name].convention
    start = end - pd.DateOffset(years=years)
    sample = []
    for i in range(horizon, len(dates)):
        d = dates[i]
        a, b = float(levels.iloc[i - horizon]), float(levels.iloc[i])
        in_recent = start < d <= end
        in_stress = stress is not None and pd.Timestamp(stress[0]) <= d <= pd.Timestamp(
            stress[1]) and pd.Timestamp(stress[1]) <= end
        if not (in_recent or in_stress):
            continue
        if conv == "absolute_bp":
            units = market.factors[name].units
            scale = {"percent": 100.0, "decimal": 1e4, "bp": 1.0}[units]
            change = (b - a) * scale
        else:
            change = 100.0 * (b / a - 1.0)
        sample.append(abs(change))
    return _naive_quantile(sample, 0.99)


@pytest.mark.parametrize("end", ["2012-06-29", "2021-12-31"])
def test_statistic_matches_an_independent_computation(market, end) -> None:  # type: ignore[no-untyped-def]
    end_ts = pd.Timestamp(end)
    estimates = estimate_risk_weights(market, end_ts, version="2.5")
    est = estimates.by_factor
    stress = ("2008-09-13", "2009-06-12")
    for name in est.index:
        assert est.at[name, "weight"] == pytest.approx(
            _naive_weight(market, name, end_ts, stress), rel=1e-10), name
    assert estimates.stress == (pd.Timestamp(stress[0]), pd.Timestamp(stress[1]))
    assert (est["n_stress"] > 150).all() and (est["n_recent"] > 700).all()


def test_point_in_time_and_stress_left_out_until_over(market) -> None:  # type: ignore[no-untyped-def]
    end = pd.Timestamp("2009-03-31")  # the stress year is not over yet
    estimates = estimate_risk_weights(market, end, version="2.5")
    est = estimates.by_factor
    assert estimates.stress is None and (est["n_stress"] == 0).all()
    name = "EQ_SPX"
    assert est.at[name, "weight"] == pytest.approx(_naive_weight(market, name, end, None),
                                                   rel=1e-10)
    # data after `end` cannot change the estimate
    later = market.levels.copy()
    later.loc[later.index > end] *= 3.0
    moved = RiskFactorHistory(later, market.factors, name="moved")
    again = estimate_risk_weights(moved, end, version="2.5").by_factor
    pd.testing.assert_series_equal(est["weight"], again["weight"])


def test_buckets_and_published_weights(market) -> None:  # type: ignore[no-untyped-def]
    placed = simm_buckets(market, "2.5")
    assert placed["IR_USD_10y"] == FactorBucket("InterestRate", "1", "10y")
    assert placed["FX_EURUSD"] == FactorBucket("FX", "2")  # regular-volatility group
    assert placed["EQ_SPX"] == FactorBucket("Equity", "11")  # indices
    assert placed["CMD_WTI"] == FactorBucket("Commodity", "2")  # crude oil
    assert simm_buckets(market, "2.1")["FX_USDJPY"] == FactorBucket("FX", "1")  # one group
    estimates = estimate_risk_weights(market, "2021-12-31", version="2.5")
    est = estimates.by_factor
    p = load_parameters("2.5")
    assert est.at["IR_USD_10y", "published"] == p.interest_rate.delta_weight["1"][8]
    assert est.at["EQ_SPX", "published"] == p.equity.delta_weight["11"]
    assert est.at["FX_EURUSD", "published"] == p.fx.delta_weight[1, 1]
    by_bucket = bucket_weights(estimates)
    ir = by_bucket.loc[("InterestRate", "1", "10y")]
    assert ir["n_factors"] == 2
    assert ir["weight"] == pytest.approx(est.loc[["IR_USD_10y", "IR_EUR_10y"],
                                                 "weight"].median())
    moved = simm_buckets(market, "2.5", {"CR_CDX_HY": ("CreditQualifying", "Residual")})
    assert moved["CR_CDX_HY"].bucket == "Residual"
    with pytest.raises(InputError, match=r"bucket '13' of Equity is not in SIMM 2\.5"):
        simm_buckets(market, "2.5", {"EQ_SPX": ("Equity", "13")})
    with pytest.raises(InputError, match="not in market"):
        simm_buckets(market, "2.5", {"NOPE": ("Equity", "1")})


def test_compare_with_version_needs_its_windows() -> None:
    small = load_builtin("synthetic_small")  # 2007-2010
    with pytest.raises(InputError, match=r"does not cover SIMM 2\.5's calibration windows"):
        compare_with_version(small, "2.5")


def test_recalibrated_parameters_change_only_the_weights_given(market) -> None:  # type: ignore[no-untyped-def]
    p = load_parameters("2.5")
    crif = pd.DataFrame({"RiskType": ["Risk_Equity", "Risk_Equity", "Risk_IRCurve"],
                         "Qualifier": ["SPX", "SX5E", "USD"], "Bucket": ["11", "11", "1"],
                         "Label1": ["", "", "10y"], "Label2": ["", "", "OIS"],
                         "ProductClass": ["Equity", "Equity", "RatesFX"],
                         "AmountUSD": [1.0e5, -4.0e4, 2.0e3]})
    same = recalibrated_parameters(p, pd.DataFrame(
        {"weight": [18.0]}, index=pd.MultiIndex.from_tuples([("Equity", "11", "")])))
    assert simm(crif, version=same).total == pytest.approx(simm(crif, "2.5").total, rel=1e-15)
    doubled = recalibrated_parameters(p, pd.DataFrame(
        {"weight": [36.0, 2 * 53.0]},
        index=pd.MultiIndex.from_tuples([("Equity", "11", ""), ("InterestRate", "1", "10y")])))
    assert doubled.equity.delta_weight["11"] == 36.0
    assert doubled.equity.delta_weight["1"] == p.equity.delta_weight["1"]
    assert doubled.interest_rate.delta_weight["1"][8] == 106.0
    assert p.interest_rate.delta_weight["1"][8] == 53.0  # the published set is untouched
    # below the thresholds, doubling every weight doubles the margin
    assert simm(crif, version=doubled).total == pytest.approx(2 * simm(crif, "2.5").total,
                                                              rel=1e-12)
    with pytest.raises(InputError, match="mpor_days=1 but the parameters given are for 10-day"):
        simm(crif, version=doubled, mpor_days=1)
