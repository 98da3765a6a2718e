"""Stress-window finder: planted stress is found; statistics match brute force."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.marketdata import FactorSpec, RiskFactorHistory, horizon_shocks
from imresearch.marketdata.stress import find_stress_window
from imresearch.measures import tail_count
from tests import naive


def planted(seed: int = 0, n: int = 2000, lo: int = 1200, hi: int = 1450) -> RiskFactorHistory:
    rng = np.random.default_rng(seed)
    vol = np.full(n, 0.01)
    vol[lo:hi] = 0.04
    cols = {
        "eq": 100 * np.exp(np.cumsum(rng.standard_normal(n) * vol)),
        "rate": 2.0 + np.cumsum(rng.standard_normal(n) * vol * 5),
    }
    specs = {"eq": FactorSpec("equity", "log"),
             "rate": FactorSpec("IR", "absolute_bp", units="percent")}
    return RiskFactorHistory(
        pd.DataFrame(cols, index=pd.bdate_range("2000-01-03", periods=n)), specs
    )


@pytest.mark.parametrize("statistic", ["volatility", "var", "es"])
def test_planted_stress_is_found(statistic: str) -> None:
    hist = planted()
    w = find_stress_window(hist, 250, statistic=statistic, pnl=pd.Series({"eq": 1e6}))
    found = (hist.dates >= w.start) & (hist.dates <= w.end)
    true = np.zeros(hist.n_dates, bool)
    true[1200:1450] = True
    overlap = (found & true).sum() / true.sum()
    assert overlap > (0.95 if statistic == "volatility" else 0.5)
    assert (w.end - w.start).days > 300  # 250 business days
    assert w.profile.idxmax() == w.end or w.profile[w.end] == w.profile.max()


def test_volatility_profile_matches_brute_force() -> None:
    hist = planted(n=400, lo=200, hi=260)
    length = 60
    w = find_stress_window(hist, length)
    daily = horizon_shocks(hist, 1).values
    scale = daily.std(axis=0, ddof=1)
    ref = [
        (daily[i : i + length - 1] / scale).std(axis=0, ddof=1).mean()
        for i in range(hist.n_dates - length + 1)
    ]
    np.testing.assert_allclose(w.profile.to_numpy(), ref, rtol=1e-9)
    assert w.value == pytest.approx(max(ref))


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.sampled_from([0.9, 0.95, 0.99]),
       st.sampled_from(["var", "es"]))
def test_var_es_profile_matches_naive(seed: int, confidence: float, statistic: str) -> None:
    hist = planted(seed=seed, n=300, lo=100, hi=160)
    length, horizon = 80, 10
    sens = pd.Series({"eq": 2.0, "rate": -0.5})
    w = find_stress_window(hist, length, statistic=statistic, pnl=sens, horizon=horizon,
                           confidence=confidence)
    losses = -(horizon_shocks(hist, horizon).values @ sens.to_numpy())
    k = tail_count(length - horizon, confidence)
    kth, tail = naive.rolling_tail(losses, length - horizon, k)
    ref = kth if statistic == "var" else tail
    np.testing.assert_allclose(w.profile.to_numpy(), ref, rtol=1e-12)
    # the callable form gives the same answer as the sensitivities
    w2 = find_stress_window(hist, length, statistic=statistic, horizon=horizon,
                            confidence=confidence, pnl=lambda s: s @ sens.to_numpy())
    assert w2.start == w.start and w2.value == pytest.approx(w.value)


def test_tail_count() -> None:
    assert tail_count(250, 0.99) == 3
    assert tail_count(1000, 0.99) == 10
    assert tail_count(500, 0.975) == 13
    assert tail_count(10, 0.99) == 1


def test_search_range_and_bad_input() -> None:
    hist = planted()
    w = find_stress_window(hist, 100, start="2001-01-01", end="2002-12-31")
    assert w.start >= pd.Timestamp("2001-01-01") and w.end <= pd.Timestamp("2002-12-31")
    with pytest.raises(InputError, match="fewer than length=5000"):
        find_stress_window(hist, 5000)
    with pytest.raises(InputError, match="needs pnl="):
        find_stress_window(hist, 250, statistic="var")
    with pytest.raises(InputError, match="unknown factor"):
        find_stress_window(hist, 250, statistic="var", pnl=pd.Series({"zz": 1.0}))
    with pytest.raises(InputError, match="confidence must be in"):
        find_stress_window(hist, 250, statistic="es", pnl=pd.Series({"eq": 1.0}), confidence=1.5)
    with pytest.raises(InputError, match="non-finite P&L"):
        find_stress_window(hist, 250, statistic="var", pnl=lambda s: s[:, 0] * np.nan)
    with pytest.raises(InputError, match="shape"):
        find_stress_window(hist, 250, statistic="var", pnl=lambda s: s)
    with pytest.raises(InputError, match="statistic must be one of"):
        find_stress_window(hist, 250, statistic="drawdown")
