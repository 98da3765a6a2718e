"""Impulse response to a volatility shock: summary by hand, the simulated market, known model
behaviour (HS lookback cliff, EWMA speed), reproducibility and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from imresearch.errors import InputError
from imresearch.models import HSModel
from imresearch.procyclicality.impulse import (
    FACTOR,
    hs_response_model,
    impulse_response,
    impulse_summary,
)


def test_summary_by_hand() -> None:
    h = pd.Series([1.0, 1.0, 1.2, 1.5, 1.95, 2.1, 2.0, 1.4], index=range(-2, 6))
    s = impulse_summary(h, target_ratio=2.0, shape="step")
    assert s["peak_ratio"] == 2.1 and s["peak_day"] == 3
    assert s["days_to_half"] == 1          # first h >= 1.5
    assert s["days_to_90pct"] == 2         # first h >= 1.9
    assert s["days_elevated"] == 6         # days 0..5 all above 1.1
    assert s["largest_1d_drop"] == pytest.approx(0.6 / 2.0)
    p = impulse_summary(h, target_ratio=2.0, shape="pulse", pulse_days=4)
    assert p["days_to_half"] == 2          # half way to the peak: first h >= 1.55
    assert p["days_to_90pct"] == 3         # first h >= 1.99
    assert p["days_elevated"] == 2         # days 4 and 5, after the pulse
    never = impulse_summary(h, target_ratio=3.0)
    assert np.isnan(never["days_to_90pct"]) and never["days_to_half"] == 3


def test_simulated_market_has_the_requested_volatility() -> None:
    seen = []

    def model(market):  # type: ignore[no-untyped-def]
        seen.append(market)
        return pd.Series(0.05 * market.values[:, 0], index=market.dates)  # 5% of the value

    out = impulse_response(model, vol_before=0.01, vol_after=0.03, shape="pulse",
                           pulse_days=200, burn_in_days=300, days_before=50, days_after=400,
                           n_paths=4, seed=3)
    assert len(seen) == 4 and list(seen[0].levels.columns) == [FACTOR]
    r = np.diff(np.log(np.stack([m.values[:, 0] for m in seen])), axis=1)
    step = 350  # burn_in + days_before: the first return at the new volatility ends there
    assert r[:, : step - 1].std() == pytest.approx(0.01, rel=0.05)
    assert r[:, step: step + 199].std() == pytest.approx(0.03, rel=0.05)
    assert r[:, step + 201:].std() == pytest.approx(0.01, rel=0.05)
    assert (out.response["vol_ratio"].loc[0:199] == 3.0).all()
    assert (out.response["vol_ratio"].loc[200:] == 1.0).all()
    # IM proportional to the position's value: no response at all
    np.testing.assert_allclose(out.response[["mean", "p05", "p95"]], 1.0, rtol=1e-12)


def _oracle(vol_before: float, vol_after: float, step_row: int):  # type: ignore[no-untyped-def]
    """A model that knows the volatility regime: the exact 99% 10-day normal quantile."""
    z = norm.ppf(0.99)

    def model(market):  # type: ignore[no-untyped-def]
        vol = np.where(np.arange(market.n_dates) >= step_row, vol_after, vol_before)
        return pd.Series(market.values[:, 0] * -np.expm1(-z * vol * np.sqrt(10)),
                         index=market.dates)

    return model


@pytest.mark.parametrize(("before", "after"), [(0.01, 0.02), (0.01, 0.04), (0.02, 0.01)])
def test_perfect_model_reaches_the_target_at_once(before: float, after: float) -> None:
    out = impulse_response(_oracle(before, after, 300), vol_before=before, vol_after=after,
                           burn_in_days=280, days_before=20, days_after=40, n_paths=3)
    z = norm.ppf(0.99)
    target = (1 - np.exp(-z * after * np.sqrt(10))) / (1 - np.exp(-z * before * np.sqrt(10)))
    assert out.summary["target_ratio"] == pytest.approx(target, rel=1e-12)
    if (before, after) == (0.01, 0.02):
        assert target == pytest.approx(1.929, abs=1e-3)  # concave price losses: not 2
    np.testing.assert_allclose(out.response["mean"].loc[0:], target, rtol=1e-12)
    np.testing.assert_allclose(out.response["se"], 0.0, atol=1e-12)
    assert out.summary["days_to_half"] == 0 and out.summary["days_to_90pct"] == 0
    assert out.summary["peak_ratio"] == pytest.approx(target)
    assert out.summary["days_elevated"] == 41


def test_hs_cliff_and_ewma_speed() -> None:
    lookback = 250
    hs = impulse_response(hs_response_model(HSModel(lookback_days=lookback)), shape="pulse",
                          vol_after=0.03, pulse_days=30, days_after=320, n_paths=12)
    h = hs.response["mean"]
    # while the stressed returns are in the window the IM is up; once they have all left it
    # (lookback days after the pulse ended) HS forgets them at once
    assert h.loc[40:240].min() > 1.4
    assert h.loc[lookback + 30 + 1:].max() < 1.1
    assert hs.summary["largest_1d_drop"] > 0.03
    assert lookback - 20 <= hs.summary["days_elevated"] <= lookback + 10
    step = dict(vol_after=0.02, days_after=260, n_paths=12)
    s_hs = impulse_response(hs_response_model(HSModel(lookback_days=lookback)), **step).summary
    s_fhs = impulse_response(hs_response_model(HSModel(lookback_days=lookback,
                                                       filtering="ewma")), **step).summary
    # EWMA filtering sees the new volatility within days; HS waits for enough stressed
    # observations to reach the 1% tail
    assert s_fhs["days_to_half"] < 15 < 30 < s_hs["days_to_half"]
    assert s_fhs["days_to_90pct"] < 40
    assert s_hs["peak_ratio"] == pytest.approx(2.0, rel=0.15)


def test_unlimited_lookback_is_refused() -> None:
    with pytest.raises(InputError, match="needs a finite lookback_days"):
        hs_response_model(HSModel(lookback_days=None))


def test_reproducible() -> None:
    model = hs_response_model(HSModel(lookback_days=100))
    a = impulse_response(model, burn_in_days=110, days_after=50, n_paths=3, seed=5)
    b = impulse_response(model, burn_in_days=110, days_after=50, n_paths=3, seed=5)
    c = impulse_response(model, burn_in_days=110, days_after=50, n_paths=3, seed=6)
    pd.testing.assert_frame_equal(a.response, b.response)
    assert not a.response["mean"].equals(c.response["mean"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vol_before": 0.0}, r"vol_before must be a positive number; got 0.0"),
        ({"vol_after": float("nan")}, r"vol_after must be a positive number"),
        ({"shape": "ramp"}, r"shape"),
        ({"n_paths": 0}, r"n_paths"),
        ({"norm_days": 30, "days_before": 20}, r"norm_days=30 must not exceed days_before=20"),
        ({"burn_in_days": 10}, r"im_model on simulated path 0: .*burn_in_days=10 may be "),
        ({"vol_after": 0.01}, r"vol_after must differ from vol_before; both are 0.01"),
        ({"shape": "pulse", "pulse_days": 30}, r"pulse_days=30 must be shorter than "
                                               r"days_after=30"),
        ({"confidence": 1.5}, r"confidence"),
        ({"burn_in_days": 50}, r"im_model gave no IM on 2000-03-13 \(day -20 from the step\)"),
    ],
)
def test_bad_input(kwargs, message: str) -> None:  # type: ignore[no-untyped-def]
    model = hs_response_model(HSModel(lookback_days=100))
    with pytest.raises(InputError, match=message):
        impulse_response(model, **{"burn_in_days": 110, "days_after": 30, "n_paths": 2,
                                   **kwargs})
