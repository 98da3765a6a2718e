"""Balances carried from date to date, against examples worked by hand, and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.aggregate.settlement import (
    FLOW_COLUMNS,
    Balances,
    collateral_flows,
    rolling_peaks,
    settle,
)
from imresearch.aggregate.terms import exchanged, round_transfer, threshold_shares

M = 1e6


def _one(collect, post=None, mtm=None, mta=0.5 * M, rounding=0.0, combined=True):
    c = np.asarray(collect, float)[:, None]
    p = np.zeros_like(c) if post is None else np.asarray(post, float)[:, None]
    v = np.zeros_like(c) if mtm is None else np.asarray(mtm, float)[:, None]
    return settle(c, p, v, np.array([mta]), np.array([rounding]), np.array([combined]))


def test_mta_carries_the_balance_until_the_change_reaches_it():
    b = _one([10 * M, 10.3 * M, 10.8 * M, 9.0 * M, 12 * M])
    # 10 opened; +0.3 below the MTA; +0.8 called; 1.8 returned; +3 called
    np.testing.assert_allclose(b.collected[:, 0], [10, 10, 10.8, 9.0, 12] * np.array(M))
    np.testing.assert_allclose(b.collect_flow[:, 0], [0, 0, 0.8, -1.8, 3.0] * np.array(M))


def test_rounding_up_deliveries_down_returns():
    b = _one([10 * M, 10.3 * M, 10.8 * M, 9.1 * M, 12 * M], rounding=0.25 * M)
    # +0.8 delivered as 1.0 (up); return of 11 - 9.1 = 1.9 rounded down to 1.75
    np.testing.assert_allclose(b.collected[:, 0], [10, 10, 11, 9.25, 12] * np.array(M))
    # a first date's amount is rounded up too
    np.testing.assert_allclose(_one([1.1 * M], rounding=0.25 * M).collected[0], [1.25 * M])


def test_mta_combined_over_im_and_vm():
    # IM +0.3 and VM +0.3, both owed by the counterparty: 0.6 together reaches the MTA
    combined = _one([5 * M, 5.3 * M], mtm=[1 * M, 1.3 * M])
    assert combined.collect_flow[1, 0] == pytest.approx(0.3 * M)
    assert combined.vm_flow[1, 0] == pytest.approx(0.3 * M)
    separate = _one([5 * M, 5.3 * M], mtm=[1 * M, 1.3 * M], combined=False)
    assert separate.collect_flow[1, 0] == 0 and separate.vm_flow[1, 0] == 0
    # owed by different parties: 0.3 by them, 0.4 by us, neither reaches the MTA
    opposite = _one([5 * M, 5.3 * M], mtm=[1 * M, 0.6 * M])
    assert opposite.collect_flow[1, 0] == 0 and opposite.vm_flow[1, 0] == 0
    # our posted IM returned to us counts with what the counterparty delivers
    back = _one([0, 0], post=[2 * M, 1.7 * M], mtm=[0, 0.3 * M])
    assert back.post_flow[1, 0] == pytest.approx(-0.3 * M)
    assert back.posted[1, 0] == pytest.approx(1.7 * M)


def test_vm_opens_at_the_mtm_and_follows_it():
    b = _one([0, 0, 0], mtm=[2 * M, 1.2 * M, -0.5 * M], mta=0.0)
    np.testing.assert_allclose(b.vm[:, 0], [2 * M, 1.2 * M, -0.5 * M])
    np.testing.assert_allclose(b.vm_flow[:, 0], [0, -0.8 * M, -1.7 * M])


def test_vm_changing_sign_is_a_return_and_a_delivery():
    # we hold 2m (2.3m) of VM; the MtM falls to -0.5m; rounding 1m: we return all we hold,
    # rounded down, and deliver 0.5m rounded up to 1m
    b = _one([0, 0], mtm=[2 * M, -0.5 * M], mta=0.0, rounding=1 * M)
    assert b.vm_flow[1, 0] == pytest.approx(-3 * M) and b.vm[1, 0] == pytest.approx(-1 * M)
    b = _one([0, 0], mtm=[2.3 * M, -0.5 * M], mta=0.0, rounding=1 * M)
    assert b.vm_flow[1, 0] == pytest.approx(-3 * M) and b.vm[1, 0] == pytest.approx(-0.7 * M)
    # the other way: we posted 1.2m, the MtM rises to +0.2m: 1.2m returned to us (down: 1m),
    # 0.2m delivered to us (up: 1m)
    b = _one([0, 0], mtm=[-1.2 * M, 0.2 * M], mta=0.0, rounding=1 * M)
    assert b.vm_flow[1, 0] == pytest.approx(2 * M) and b.vm[1, 0] == pytest.approx(0.8 * M)
    # the new side is delivered only once it reaches the MTA on its own: 5m returned, the
    # 0.01m owed is not rounded up to a whole 1m, then called when it reaches the MTA
    for combined in (True, False):
        b = _one([0, 0, 0, 0], mtm=[5 * M, -0.01 * M, -0.3 * M, -0.6 * M], mta=0.5 * M,
                 rounding=1 * M, combined=combined)
        np.testing.assert_allclose(b.vm_flow[:, 0], [0, -5 * M, 0, -1 * M])
        np.testing.assert_allclose(b.vm[:, 0], [5 * M, 0, 0, -1 * M])


def _balances(collect, post, vm) -> Balances:
    """Balances with the given flows (n_dates, n_ns); the balances themselves unused."""
    flows = [np.asarray(x, float) for x in (collect, post, vm)]
    zero = np.zeros_like(flows[0])
    return Balances(collected=zero, posted=zero, vm=zero, collect_flow=flows[0],
                    post_flow=flows[1], vm_flow=flows[2])


def test_collateral_flows_by_direction_by_hand():
    # two netting sets over three dates (the first opens the balances: no flows)
    b = _balances(collect=[[0, 0], [3, -1], [-2, 0]], post=[[0, 0], [0, 4], [-5, 1]],
                  vm=[[0, 0], [-2, 1], [0.5, -1.5]])
    f = collateral_flows(b)
    assert tuple(f) == FLOW_COLUMNS
    expect = {
        "im_calls_out": [0, 4, 1], "vm_calls_out": [0, 2, 1.5], "calls_out": [0, 6, 2.5],
        "im_calls_in": [0, 3, 0], "vm_calls_in": [0, 1, 0.5], "calls_in": [0, 4, 0.5],
        "im_returns_out": [0, 1, 2], "im_returns_in": [0, 0, 5],
        # IM posted net of returns to us, plus VM paid net of VM received
        "net_outflow": [0, 4 + 1, -4 + 1],
    }
    for name, values in expect.items():
        np.testing.assert_allclose(f[name], values, err_msg=name)


def test_a_shift_of_im_inside_a_group_is_a_call_and_a_return():
    # group threshold 10m split in proportion: A 30 / B 0 -> 15 / 15 keeps the excess at 20m,
    # yet A returns and B calls (the proportional split moves with the IM)
    im = np.array([[30 * M, 0.0], [15 * M, 15 * M]])
    share = im / im.sum(axis=1, keepdims=True)
    req = np.maximum(im - 10 * M * share, 0.0)
    b = settle(np.zeros_like(req), req, np.zeros_like(req), np.full(2, 0.5 * M),
               np.zeros(2), np.ones(2, bool))
    f = collateral_flows(b)
    assert f["im_calls_out"][1] == pytest.approx(10 * M)  # B: 15 - 5
    assert f["im_returns_in"][1] == pytest.approx(10 * M)  # A: 20 -> 10
    assert f["net_outflow"][1] == pytest.approx(0.0)


def test_rolling_peaks_are_sums_over_runs_of_dates():
    dates = pd.bdate_range("2024-01-01", periods=7)
    flows = pd.DataFrame({"calls_out": [99, 2, 0, 0, 6, 1, 0],  # the first date opens
                          "calls_in": [0.0] * 7}, index=dates)
    peaks = rolling_peaks(flows, days=(1, 2, 5, 20))
    assert list(peaks["calls_out"]) == [6, 7, 9, 9]
    # whole runs only; fewer dates than the run: the sum over all of them
    assert list(peaks["calls_out_date"]) == [dates[4], dates[5], dates[5], dates[6]]
    assert (peaks["calls_in"] == 0).all() and peaks["calls_in_date"].isna().all()
    # a net flow: a short run at the start does not stand for a 20-date peak
    dates = pd.bdate_range("2024-01-01", periods=31)
    net = pd.DataFrame({"net_outflow": [0.0, 10.0] + [-5.0] * 29}, index=dates)
    peaks = rolling_peaks(net, days=(1, 20))
    assert peaks.loc[1, "net_outflow"] == 10.0
    assert peaks.loc[20, "net_outflow"] == 10.0 - 19 * 5.0
    assert pd.isna(peaks.loc[20, "net_outflow_date"])


def test_exchanged_on_a_date_without_prior_balance():
    np.testing.assert_allclose(exchanged(np.array([60, 50.4, 50.6, 10]) * M,
                                         np.full(4, 50 * M), 0.5 * M, 0.0),
                               [10 * M, 0.0, 0.6 * M, 0.0])
    np.testing.assert_allclose(exchanged(np.array([60.1 * M]), 50 * M, 0.5 * M, 1 * M),
                               [11 * M])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=30),
       st.lists(st.floats(-50, 50), min_size=2, max_size=30),
       st.sampled_from([0.0, 0.5, 2.0]), st.sampled_from([0.0, 0.25, 1.0]), st.booleans())
def test_balances_stay_within_the_mta_of_their_targets(req, mtm, mta, rounding, combined):
    n = min(len(req), len(mtm))
    c = np.array(req[:n])[:, None]
    p = c[::-1].copy()
    v = np.array(mtm[:n])[:, None]
    b = settle(c, p, v, np.array([mta]), np.array([rounding]), np.array([combined]))
    assert (b.collected >= -1e-12).all() and (b.posted >= -1e-12).all()
    # the balances are the opening amounts plus the flows
    np.testing.assert_allclose(b.collected, b.collected[0] + np.cumsum(b.collect_flow, axis=0),
                               atol=1e-9)
    np.testing.assert_allclose(b.vm, b.vm[0] + np.cumsum(b.vm_flow, axis=0), atol=1e-9)
    if rounding == 0.0 and not combined:
        # without rounding, each balance is within the MTA of its target (or on it)
        for held, target in ((b.collected, c), (b.posted, p), (b.vm[1:], v[1:])):
            assert (np.abs(held - target) < mta + 1e-9).all()
    if rounding > 0:
        steps = b.collect_flow / rounding
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-9)


def test_threshold_shares():
    im = np.array([[40.0, 20.0, 3.0], [0.0, 0.0, 3.0]])
    group = np.array([0, 0, 1])
    shares = threshold_shares(im, group, 2, ["proportional", "equal"], ["a", "b", "c"])
    np.testing.assert_allclose(shares, [[2 / 3, 1 / 3, 1.0], [0.5, 0.5, 1.0]])
    fixed = threshold_shares(im, group, 2, [{"a": 0.25, "b": 0.75}, "proportional"],
                             ["a", "b", "c"])
    np.testing.assert_allclose(fixed[:, :2], [[0.25, 0.75], [0.25, 0.75]])


def test_round_transfer():
    amounts = np.array([0.8, 1.9, 2.0, 0.0, 3.0000000001])
    up = round_transfer(amounts, np.ones(5, bool), 0.25)
    down = round_transfer(amounts, np.zeros(5, bool), 0.25)
    np.testing.assert_allclose(up, [1.0, 2.0, 2.0, 0.0, 3.0])
    np.testing.assert_allclose(down, [0.75, 1.75, 2.0, 0.0, 3.0])
    np.testing.assert_array_equal(round_transfer(amounts, np.ones(5, bool), 0.0), amounts)


def test_eurusd_bound_of_the_eur_caps_is_above_every_ecb_fixing():
    """The EUR caps are checked in USD at MAX_EURUSD: above the ECB's highest USD per EUR
    reference rate (1.5990 on 15 July 2008, in the shipped ECB file)."""
    from imresearch.aggregate.terms import MAX_EURUSD
    from imresearch.marketdata.public import raw_series

    usd = raw_series("ecb_fx")["USD per EUR"].dropna()
    assert usd.max() == pytest.approx(1.599) and usd.idxmax() == pd.Timestamp("2008-07-15")
    assert MAX_EURUSD > usd.max()
