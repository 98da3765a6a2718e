"""The rolling traffic light against window-by-window recounts, and the remediation add-ons
against a brute-force search."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch import backtest as bt
from imresearch.errors import InputError


def _sample(seed: int, n: int, scale: float) -> tuple[pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n)
    im = pd.Series(rng.uniform(1.0, 2.0, n), index=dates)
    pnl = pd.Series(-scale * rng.standard_t(3, n), index=dates)
    return im, pnl


@given(st.integers(0, 2**31), st.integers(30, 400), st.floats(0.2, 2.0))
def test_remediation_is_the_smallest_green_add_on(seed: int, n: int, scale: float) -> None:
    im, pnl = _sample(seed, n, scale)
    res = bt.remediation(im, pnl, 0.99)
    yellow, red = bt.traffic_light_bounds(n, 0.99)
    loss = -pnl
    assert res.exceptions == int((loss > im).sum())
    assert res.zone == bt.traffic_light(res.exceptions, n, 0.99)
    assert (yellow, red) == (res.yellow_from, res.red_from)
    assert int((loss > res.multiplier * im).sum()) < yellow  # green with it
    assert int((loss > im + res.add_on).sum()) < yellow
    if res.multiplier > 1.0:  # and not with anything smaller
        assert int((loss > (res.multiplier - 1e-9) * im).sum()) >= yellow
    if res.add_on > 0.0:
        assert int((loss > im + res.add_on - 1e-9).sum()) >= yellow
    if res.zone == "green":
        assert res.multiplier == 1.0 and res.add_on == 0.0


def test_rolling_traffic_light_recounts_each_window() -> None:
    im, pnl = _sample(1, 700, 0.9)
    table = bt.rolling_traffic_light(im, pnl, window=250)
    assert len(table) == 451 and table.index[0] == im.index[249]
    for end in (249, 400, 699):
        w_im, w_pnl = im.iloc[end - 249:end + 1], pnl.iloc[end - 249:end + 1]
        row = table.loc[im.index[end]]
        ref = bt.remediation(w_im, w_pnl, 0.99)
        assert row["exceptions"] == ref.exceptions and row["zone"] == ref.zone
        assert row["multiplier"] == pytest.approx(ref.multiplier)
        assert row["add_on"] == pytest.approx(ref.add_on)


def test_overlapping_windows_use_the_simulated_bounds() -> None:
    im, pnl = _sample(2, 300, 0.9)
    res = bt.remediation(im, pnl, 0.99, horizon=10)
    assert (res.yellow_from, res.red_from) == bt.overlap_traffic_light_bounds(300, 10, 0.99)
    assert res.yellow_from > bt.traffic_light_bounds(300, 0.99)[0]


def test_zero_im_with_a_loss_needs_an_infinite_multiplier() -> None:
    dates = pd.bdate_range("2020-01-01", periods=10)
    im = pd.Series(1.0, index=dates)
    im.iloc[:3] = 0.0
    pnl = pd.Series(-0.5, index=dates)
    res = bt.remediation(im, pnl, 0.9)  # 3 exceptions in 10 at 90%: yellow (green below 3)
    assert res.exceptions == 3 and res.zone == "yellow"
    assert res.multiplier == np.inf and res.add_on == pytest.approx(0.5)


def test_bad_input() -> None:
    im, pnl = _sample(0, 20, 1.0)
    with pytest.raises(InputError, match="window=250 is longer than the 20 observations"):
        bt.rolling_traffic_light(im, pnl)
    with pytest.raises(InputError, match="im must be >= 0"):
        bt.remediation(-im, pnl)
    with pytest.raises(InputError, match="no NaN; got one on 2015-01-01"):
        bt.remediation(im.where(im.index != im.index[0]), pnl)
