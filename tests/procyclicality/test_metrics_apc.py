"""Procyclicality metrics and APC tools: hand-computed values and naive loop twins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import imresearch.procyclicality as pc
from imresearch.errors import InputError

D = pd.bdate_range("2020-01-01", periods=8)
IM = pd.Series([10.0, 8.0, 12.0, 20.0, 16.0, 5.0, 6.0, 10.0], index=D)


def series(seed: int, n: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.05, n))),
                     index=pd.bdate_range("2001-01-01", periods=n))


def test_hand_computed_values() -> None:
    assert pc.peak_to_trough(IM) == 20.0 / 5.0
    assert pc.peak_to_trough(IM, trough_first=True) == 20.0 / 8.0  # trough 5 comes after peak
    assert pc.peak_to_trough(IM, start=D[5]) == 10.0 / 5.0
    assert pc.max_increase(IM, days=2) == pytest.approx(20.0 / 8.0 - 1)
    assert pc.max_increase(IM, days=1, relative=False) == 8.0
    assert pc.average_im(IM) == IM.mean()
    calls = pc.margin_calls(IM)
    assert calls["total_calls"] == 4 + 8 + 1 + 4
    assert calls["total_returns"] == 2 + 4 + 11
    assert calls["largest_call"] == 8 and calls["largest_call_date"] == D[3]
    stress = pd.Series([False, False, True, True, True, False, False, False], index=D)
    assert pc.stressed_to_calm(IM, stress) == pytest.approx(16.0 / 7.8)


def test_max_1d_increase_value() -> None:
    # 1-day relative increases: -0.2, 0.5, 0.667, -0.2, -0.6875, 0.2, 0.667
    assert pc.max_increase(IM, days=1) == pytest.approx(20.0 / 12.0 - 1)


def test_coverage() -> None:
    pnl = pd.Series([-5.0, -9.0, -1.0, -25.0, 0.0, -6.0, 3.0, -10.0], index=D)
    cov = pc.coverage(IM, pnl)
    assert cov["breaches"] == 3  # 9 > 8, 25 > 20, 6 > 5
    assert cov["average_shortfall"] == pytest.approx((1 + 5 + 1) / 3)
    assert cov["worst_shortfall"] == 5.0
    assert cov["max_loss_to_margin"] == pytest.approx(25 / 20)


@given(st.integers(0, 10_000), st.integers(3, 120), st.integers(1, 10))
def test_metrics_match_naive_loops(seed: int, n: int, days: int) -> None:
    im = series(seed, n)
    x = im.to_numpy()
    assert pc.peak_to_trough(im) == pytest.approx(max(x) / min(x))
    ref_tf = max(x[t] / min(x[: t + 1]) for t in range(n))
    assert pc.peak_to_trough(im, trough_first=True) == pytest.approx(ref_tf)
    if n > days:
        ref = max(x[t] / x[t - days] - 1 for t in range(days, n))
        assert pc.max_increase(im, days) == pytest.approx(ref)
        ref_abs = max(x[t] - x[t - days] for t in range(days, n))
        assert pc.max_increase(im, days, relative=False) == pytest.approx(ref_abs)


def naive_buffer(x: np.ndarray, rate: float, trigger: float, window: int, rebuild: int) -> list:
    out = [(1 + rate) * x[0]]
    for t in range(1, len(x)):
        target = (1 + rate) * x[t]
        if x[t] / x[max(t - window, 0)] - 1 >= trigger:
            out.append(min(max(out[-1], x[t]), target))
        else:
            out.append(min(target, max(out[-1] + rate * x[t] / rebuild, x[t])))
    return out


@given(st.integers(0, 10_000), st.integers(2, 150))
def test_tools_match_naive_twins_and_bounds(seed: int, n: int) -> None:
    im = series(seed, n)
    x = im.to_numpy()
    buf = pc.buffer(im, 0.25, trigger=0.1, window=5, rebuild_days=20)
    np.testing.assert_allclose(buf.to_numpy(), naive_buffer(x, 0.25, 0.1, 5, 20))
    assert (buf >= im - 1e-12).all() and (buf <= 1.25 * im + 1e-12).all()
    sl = pc.speed_limit(im, 0.05, 2).to_numpy()
    ref = []
    for t in range(n):
        ref.append(x[t] if t < 2 else min(x[t], 1.05 * ref[t - 2]))
    np.testing.assert_allclose(sl, ref)
    assert (sl <= x + 1e-12).all()
    fl = pc.floor(im, 100.0)
    assert (fl >= 100.0).all() and (fl >= im).all()
    assert (pc.cap(im, im.median()) <= im.median()).all()
    stressed = im * 1.5
    np.testing.assert_allclose(pc.blend(im, stressed, 0.75), 0.75 * x + 0.25 * 1.5 * x)


def test_buffer_absorbs_a_spike() -> None:
    d = pd.bdate_range("2020-01-01", periods=60)
    im = pd.Series(100.0, index=d)
    im.iloc[30:] = 120.0  # +20% jump: released buffer absorbs it
    buf = pc.buffer(im)
    assert buf.iloc[29] == pytest.approx(125.0)
    assert buf.iloc[30] == pytest.approx(125.0)  # no call although the model IM rose 20%
    assert pc.buffer_released(im).iloc[30] and not pc.buffer_released(im).iloc[29]
    assert buf.iloc[-1] == pytest.approx(150.0)  # rebuilt
    assert pc.max_increase(buf, 1) < pc.max_increase(im, 1)


def test_frontier_and_compose() -> None:
    im = series(1, 400)
    table = pc.frontier(im, {"buffer": pc.buffer,
                             "buffer+speed": pc.compose(pc.buffer, pc.speed_limit)})
    assert list(table.index) == ["none", "buffer", "buffer+speed"]
    assert table.loc["none", "cost_vs_none"] == 1.0
    assert table.loc["buffer", "average_im"] > table.loc["none", "average_im"]
    assert pc.compose(pc.buffer, pc.speed_limit)(im).equals(pc.speed_limit(pc.buffer(im)))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pc.peak_to_trough(IM.where(IM > 6)), "gap or non-numeric value on 2020-01-08"),
        (lambda: pc.peak_to_trough(IM - 6), "must be > 0; got -1.0 on 2020-01-08"),
        (lambda: pc.peak_to_trough(IM.to_numpy()), "pandas Series indexed by date"),
        (lambda: pc.peak_to_trough(IM.iloc[::-1]), "strictly increasing"),
        (lambda: pc.max_increase(IM, 0), "days must be an integer >= 1; got 0"),
        (lambda: pc.max_increase(IM, 8), "too few for a 8-day increase"),
        (lambda: pc.floor(IM, IM.iloc[:3]), "floor_im has no value on 2020-01-06"),
        (lambda: pc.buffer(IM, rate=0), "rate must be in"),
        (lambda: pc.blend(IM, IM, weight=1.5), "weight must be in"),
        (lambda: pc.average_im(IM, start="2030-01-01"), "no IM dates between"),
    ],
)
def test_bad_input(call, message: str) -> None:
    with pytest.raises(InputError, match=message):
        call()
