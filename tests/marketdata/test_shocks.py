"""Horizon shocks: conventions, the three constructions, and the round trip to levels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.marketdata import (
    FactorSpec,
    RiskFactorHistory,
    apply_shocks,
    horizon_shocks,
)
from tests import naive

ALL_SPECS = [
    FactorSpec("equity", "log", units="USD"),
    FactorSpec("equity", "relative", units="USD"),
    FactorSpec("IR", "absolute", units="percent"),
    FactorSpec("IR", "absolute_bp", units="percent"),
    FactorSpec("IR", "absolute_bp", units="decimal"),
    FactorSpec("credit", "absolute_bp", units="bp"),
    FactorSpec("IR", "displaced_relative", units="percent", displacement=2.0),
]


@st.composite
def histories(draw: st.DrawFn) -> RiskFactorHistory:
    """Random histories with one factor per convention (levels valid for it)."""
    n = draw(st.integers(min_value=2, max_value=60))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    cols = {}
    for j, spec in enumerate(ALL_SPECS):
        steps = rng.standard_normal(n) * draw(st.floats(0.001, 0.2))
        if spec.requires_positive:
            cols[f"f{j}"] = 50.0 * np.exp(np.cumsum(steps))
        elif spec.convention == "displaced_relative":
            cols[f"f{j}"] = np.clip(1.0 + np.cumsum(steps), -1.9, None)
        else:
            cols[f"f{j}"] = np.cumsum(steps) * 3.0
    df = pd.DataFrame(cols, index=pd.bdate_range("2001-01-01", periods=n))
    return RiskFactorHistory(df, {f"f{j}": s for j, s in enumerate(ALL_SPECS)})


@given(histories(), st.integers(1, 15), st.sampled_from(["overlapping", "non_overlapping"]))
def test_shocks_applied_to_start_levels_reproduce_end_levels(
    hist: RiskFactorHistory, horizon: int, method: str
) -> None:
    if hist.n_dates <= horizon:
        with pytest.raises(InputError, match="too few"):
            horizon_shocks(hist, horizon, method=method)
        return
    shocks = horizon_shocks(hist, horizon, method=method)
    base = hist.levels.loc[shocks.start].to_numpy()
    rebuilt = apply_shocks(base, shocks)
    expected = hist.levels.loc[shocks.end].to_numpy()
    np.testing.assert_allclose(rebuilt.to_numpy(), expected, rtol=1e-10, atol=1e-10)
    assert (shocks.end > shocks.start).all()


@given(histories(), st.integers(1, 12))
def test_kernel_matches_naive_twin(hist: RiskFactorHistory, horizon: int) -> None:
    assume(hist.n_dates > horizon)
    shocks = horizon_shocks(hist, horizon)
    starts = list(range(hist.n_dates - horizon))
    ref = naive.horizon_shocks(hist.values, list(hist.factors.values()), starts, horizon)
    np.testing.assert_allclose(shocks.values, ref, rtol=1e-12, atol=1e-12)


def test_overlapping_count_and_dates() -> None:
    hist = RiskFactorHistory(
        pd.DataFrame({"a": np.arange(1.0, 31.0)}, index=pd.bdate_range("2020-01-01", periods=30))
    )
    s = horizon_shocks(hist, 10)
    assert len(s) == 20
    assert s.start[0] == hist.dates[0] and s.end[0] == hist.dates[10]
    assert s.end[-1] == hist.dates[-1]
    assert s.frame.iloc[0, 0] == pytest.approx(np.log(11.0 / 1.0))


def test_non_overlapping_is_anchored_on_the_last_date() -> None:
    hist = RiskFactorHistory(
        pd.DataFrame({"a": np.arange(1.0, 26.0)}, index=pd.bdate_range("2020-01-01", periods=25))
    )
    s = horizon_shocks(hist, 10, method="non_overlapping")
    assert len(s) == 2
    assert s.end[-1] == hist.dates[-1]
    assert list(s.start) == [hist.dates[4], hist.dates[14]]
    assert (s.start[1:] >= s.end[:-1]).all()


def test_sqrt_time_scales_daily_shocks() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 50)))},
                      index=pd.bdate_range("2020-01-01", periods=50))
    hist = RiskFactorHistory(df)
    daily = horizon_shocks(hist, 1)
    scaled = horizon_shocks(hist, 10, method="sqrt_time")
    np.testing.assert_allclose(scaled.values, np.sqrt(10) * daily.values)
    assert scaled.horizon == 10 and list(scaled.start) == list(daily.start)


def test_absolute_bp_units() -> None:
    df = pd.DataFrame({"p": [1.00, 1.25], "d": [0.0100, 0.0125], "b": [100.0, 125.0]},
                      index=pd.bdate_range("2020-01-01", periods=2))
    specs = {"p": FactorSpec("IR", "absolute_bp", units="percent"),
             "d": FactorSpec("IR", "absolute_bp", units="decimal"),
             "b": FactorSpec("credit", "absolute_bp", units="bp")}
    s = horizon_shocks(RiskFactorHistory(df, specs), 1)
    np.testing.assert_allclose(s.values, [[25.0, 25.0, 25.0]])


def test_between_and_bad_arguments() -> None:
    hist = RiskFactorHistory(
        pd.DataFrame({"a": np.arange(1.0, 31.0)}, index=pd.bdate_range("2020-01-01", periods=30))
    )
    s = horizon_shocks(hist, 5)
    sub = s.between(hist.dates[3], hist.dates[20])
    assert sub.start.min() >= hist.dates[3] and sub.end.max() <= hist.dates[20]
    with pytest.raises(InputError, match="horizon must be an integer >= 1; got 0"):
        horizon_shocks(hist, 0)
    with pytest.raises(InputError, match="method must be one of"):
        horizon_shocks(hist, 5, method="weekly")
    with pytest.raises(InputError, match="shape"):
        apply_shocks(np.ones(2), s.values, hist.factors)
    with pytest.raises(InputError, match="NaN"):
        apply_shocks(pd.Series({"b": 1.0}), s)
