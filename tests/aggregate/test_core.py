"""Aggregate IM on a date and through time: every netting set is the model on that netting set
alone (and post the model on it negated), nothing is netted across netting sets, thresholds,
MTA and rounding as worked by hand, and one-line errors."""

from __future__ import annotations

import dataclasses
import inspect

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import imresearch.marketdata as md
from imresearch.aggregate import Terms, aggregate_im, aggregate_im_series
from imresearch.errors import InputError
from imresearch.models import (
    HSModel,
    MCModel,
    ScheduleModel,
    SimmModel,
    StaticModel,
    im_on_date,
)
from imresearch.portfolio import InterestRateSwap, Portfolio, bind, load_portfolio


@pytest.fixture(scope="module")
def market() -> md.RiskFactorHistory:
    return md.synthetic_market(seed=0)


@pytest.fixture(scope="module")
def book() -> Portfolio:
    """Four trades of each of the dealer book's five netting sets (mixed products)."""
    seen: dict[str, int] = {}
    picked = []
    for t in load_portfolio("dealer_book").trades[::3]:
        if seen.get(t.netting_set, 0) < 4:
            seen[t.netting_set] = seen.get(t.netting_set, 0) + 1
            picked.append(t)
    return Portfolio(tuple(picked), "mini")


def _alone(book: Portfolio, ns: str, negate: bool = False) -> Portfolio:
    trades = [t.negated() if negate else t for t in book if t.netting_set == ns]
    return Portfolio(tuple(trades), book.name)


@pytest.mark.parametrize("model", [
    HSModel(lookback_days=500),
    HSModel(lookback_days=750, filtering="ewma"),
    SimmModel(version="2.6"),
    ScheduleModel(),
    StaticModel(rate=0.03, rates={"IR": 0.01}),
], ids=["hs", "fhs", "simm", "schedule", "static"])
def test_each_netting_set_is_the_model_on_it_alone(book, market, model):
    d = market.dates[-5]
    res = aggregate_im(book, market, d, model)
    table = res.by_netting_set
    assert list(table.index) == list(dict.fromkeys(t.netting_set for t in book))
    for ns in table.index:
        call = im_on_date(model, _alone(book, ns), market, d).im
        post = im_on_date(model, _alone(book, ns, negate=True), market, d).im
        assert table.loc[ns, "im_call"] == pytest.approx(call, rel=1e-10, abs=1e-6)
        assert table.loc[ns, "im_post"] == pytest.approx(post, rel=1e-10, abs=1e-6)
    assert res.im_call == pytest.approx(table["im_call"].sum())


def test_monte_carlo_netting_sets_share_the_books_simulation(book, market):
    """With a seed, each netting set's MC IM is the engine on that netting set in the book's
    factor space (the paths of every factor simulated once), both sides."""
    d = market.end
    model = MCModel(n_paths=2000, seed=4, lookback_days=500)
    res = aggregate_im(book, market, d, model)
    bound = bind(book, market, d)
    for ns, view in bound.split("netting_set").items():
        alone = im_on_date(model, view, market, d)
        assert res.by_netting_set.loc[ns, "im_call"] == alone.im
        # IM posted: the k-th largest of our gains on the same paths, k = ceil(n (1 - c))
        k = int(np.ceil(model.n_paths * (1 - model.confidence) - 1e-9))
        post = np.sort(alone.pnl.to_numpy())[-k]
        assert res.by_netting_set.loc[ns, "im_post"] == pytest.approx(max(post, 0.0),
                                                                      rel=1e-12)
    again = aggregate_im(book, market, d, model)
    pd.testing.assert_frame_equal(again.by_netting_set, res.by_netting_set)


def _negated(book: Portfolio) -> Portfolio:
    return Portfolio(tuple(t.negated() for t in book), book.name)


@pytest.mark.parametrize("model", [
    HSModel(lookback_days=500),
    HSModel(lookback_days=750, filtering="ewma"),
    MCModel(n_paths=1500, seed=11, lookback_days=500),
    SimmModel(version="2.6"),
    ScheduleModel(),
], ids=["hs", "fhs", "mc", "simm", "schedule"])
def test_post_is_the_model_on_the_negated_book(book, market, model):
    """IM we post on each netting set is the IM the same model calls on the negated book (the
    counterparty's view), and the other way round; MC with one seed on both books."""
    d = market.dates[-3]
    ours = aggregate_im(book, market, d, model).by_netting_set
    theirs = aggregate_im(_negated(book), market, d, model).by_netting_set
    np.testing.assert_allclose(ours["im_post"], theirs["im_call"], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(ours["im_call"], theirs["im_post"], rtol=1e-10, atol=1e-6)
    np.testing.assert_allclose(ours["post"], theirs["collect"], rtol=1e-10, atol=1e-6)
    assert (ours["im_call"] > 0).all() and (ours["im_post"] > 0).all()


def test_contract():
    """``aggregate_im(portfolio, market, date, model, *, threshold=50e6, mta=0.5e6,
    terms=None)``: a table per netting set and float totals."""
    params = inspect.signature(aggregate_im).parameters
    assert list(params)[:4] == ["portfolio", "market", "date", "model"]
    for name, default in (("threshold", 50e6), ("mta", 0.5e6), ("terms", None)):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY
        assert params[name].default == default


def _reassigned(trades, sets, flips):
    """Trades moved into netting sets ``NS<k>`` (counterparty ``CP<k>``), some negated."""
    out = []
    for t, k, flip in zip(trades, sets, flips, strict=False):
        t = t.negated() if flip else t
        out.append(dataclasses.replace(t, netting_set=f"NS{k}", counterparty=f"CP{k}",
                                       counterparty_group=f"CP{k}"))
    return Portfolio(tuple(out), "random")


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 3), min_size=20, max_size=20),
       st.lists(st.booleans(), min_size=20, max_size=20))
def test_property_no_netting_across_netting_sets(book, market, sets, flips):
    """However trades are spread over netting sets (and whichever side they are on), each
    netting set's IM, both ways, is the model on its trades alone: the other netting sets do
    not offset it; with no threshold and MTA the aggregate is the sum of those IMs."""
    model = HSModel(lookback_days=250)
    d = market.end
    random_book = _reassigned(book.trades, sets, flips)
    res = aggregate_im(random_book, market, d, model, threshold=0.0, mta=0.0)
    table = res.by_netting_set
    assert sorted(table.index) == sorted({f"NS{k}" for k in sets})
    for ns in table.index:
        call = im_on_date(model, _alone(random_book, ns), market, d).im
        post = im_on_date(model, _alone(random_book, ns, negate=True), market, d).im
        assert table.loc[ns, "im_call"] == pytest.approx(call, rel=1e-9, abs=1e-6)
        assert table.loc[ns, "im_post"] == pytest.approx(post, rel=1e-9, abs=1e-6)
    assert res.collect == pytest.approx(table["im_call"].sum(), rel=1e-12)
    assert res.post == pytest.approx(table["im_post"].sum(), rel=1e-12)
    # one netting set margined in a book with fewer others: the same numbers
    first = table.index[0]
    alone = aggregate_im(_alone(random_book, first), market, d, model, threshold=0.0, mta=0.0)
    assert alone.by_netting_set.loc[first, "im_call"] == pytest.approx(
        table.loc[first, "im_call"], rel=1e-9, abs=1e-6)


def test_never_nets_across_netting_sets(market):
    """Two opposite swaps in two netting sets: the book is flat, but each netting set calls
    and posts margin."""
    swap = InterestRateSwap(trade_id="a", currency="USD", notional=5e8, fixed_rate=0.035,
                            start_date="2024-01-02", maturity="2034-01-02", counterparty="X",
                            netting_set="NS_X")
    book = Portfolio((swap, dataclasses.replace(swap.negated("b"), counterparty="Y",
                                                netting_set="NS_Y")))
    model = HSModel(lookback_days=500)
    res = aggregate_im(book, market, market.end, model, threshold=0.0, mta=0.0)
    whole = im_on_date(model, Portfolio(tuple(book)), market, market.end).im
    assert whole == 0.0
    t = res.by_netting_set
    assert t.loc["NS_X", "im_call"] == pytest.approx(t.loc["NS_Y", "im_post"], rel=1e-12)
    assert res.collect == pytest.approx(t["im_call"].sum()) and res.collect > 1e6
    assert res.post == pytest.approx(res.collect, rel=1e-12)


def _swap(tid: str, notional: float, cp: str, ns: str, group: str = "") -> InterestRateSwap:
    return InterestRateSwap(trade_id=tid, currency="USD", notional=notional, fixed_rate=0.03,
                            start_date="2025-01-02", maturity="2030-01-02", counterparty=cp,
                            netting_set=ns, counterparty_group=group)


@pytest.fixture(scope="module")
def hand_book() -> Portfolio:
    """Static 1% of notional: IM 40m (A) and 20m (B) in group G, 0.3m (C) in group H."""
    return Portfolio((_swap("a", 4e9, "G_LDN", "A", "G"), _swap("b", 2e9, "G_NY", "B", "G"),
                      _swap("c", 3e7, "H", "C")), "hand")


STATIC = StaticModel(rate=0.01)


def test_threshold_shared_in_proportion_to_im(hand_book, market):
    res = aggregate_im(hand_book, market, market.end, STATIC)
    t = res.by_netting_set
    assert t.index.name == "netting_set" and list(t["counterparty"]) == ["G_LDN", "G_NY", "H"]
    assert isinstance(res.collect, float) and isinstance(res.post, float)
    assert list(t["group"]) == ["G", "G", "H"]
    # G's 50m threshold split 40:20 -> 33.33m and 16.67m; H's whole threshold covers C
    np.testing.assert_allclose(t["threshold_call"], [50e6 * 2 / 3, 50e6 / 3, 50e6])
    np.testing.assert_allclose(t["collect"], [40e6 - 50e6 * 2 / 3, 20e6 - 50e6 / 3, 0.0])
    np.testing.assert_allclose(t["post"], t["collect"])
    assert res.collect == pytest.approx(10e6)
    assert res.by_group.loc["G", "collect"] == pytest.approx(10e6)
    assert res.by_group.loc["G", "netting_sets"] == 2


def test_mta_and_rounding_by_hand(hand_book, market):
    # MTA 5m: A's 6.667m is called and rounded up to 7m; B's 3.333m stays below the MTA
    terms = {"G": Terms(threshold=50e6, mta=5e6, rounding=1e6)}
    t = aggregate_im(hand_book, market, market.end, STATIC, terms=terms).by_netting_set
    np.testing.assert_allclose(t["collect"], [7e6, 0.0, 0.0])
    # no threshold for H, MTA 0.5m: C's 0.3m is not called; equal split of G's threshold
    terms = {"H": {"threshold": 0.0}, "G_NY": {"threshold": 50e6, "threshold_split": "equal"}}
    t = aggregate_im(hand_book, market, market.end, STATIC, terms=terms).by_netting_set
    np.testing.assert_allclose(t["collect"], [15e6, 0.0, 0.0])
    # fixed shares: A 10%, B 90%: A 35m over, B 20 - 45 < 0
    terms = {"G": Terms(threshold_split={"A": 0.1, "B": 0.9})}
    t = aggregate_im(hand_book, market, market.end, STATIC, terms=terms).by_netting_set
    np.testing.assert_allclose(t["collect"], [35e6, 0.0, 0.0])


def test_a_terms_table_takes_the_calls_threshold_and_mta(hand_book, market):
    # G's table gives only the rounding: its threshold (30m) and MTA (12m) are the call's, so
    # A 40 - 20 = 20m is called, B's 20 - 10 = 10m stays below the MTA
    res = aggregate_im(hand_book, market, market.end, STATIC, threshold=30e6, mta=12e6,
                       terms={"G": {"rounding": 1e6}})
    t = res.by_netting_set
    np.testing.assert_allclose(t["threshold_call"], [20e6, 10e6, 30e6])
    np.testing.assert_allclose(t["collect"], [20e6, 0.0, 0.0])
    assert res.terms["G"] == Terms(threshold=30e6, mta=12e6, rounding=1e6)
    # a Terms object is taken as it is (its own defaults: 50m, 0.5m)
    res = aggregate_im(hand_book, market, market.end, STATIC, threshold=30e6, mta=12e6,
                       terms={"G": Terms(rounding=1e6)})
    assert res.terms["G"] == Terms(rounding=1e6)
    np.testing.assert_allclose(res.by_netting_set["collect"], [7e6, 4e6, 0.0])


def test_series_opens_with_the_date_amounts_and_carries_balances(hand_book, market):
    dates = market.dates[-30:]
    s = aggregate_im_series(hand_book, market, dates, STATIC, threshold=30e6, bind_date=dates[0])
    first = aggregate_im(hand_book, market, dates[0], STATIC, threshold=30e6)
    opened = s.by_netting_set.xs(dates[0], level="date")
    np.testing.assert_allclose(opened["collected"], first.by_netting_set["collect"])
    np.testing.assert_allclose(opened["posted"], first.by_netting_set["post"])
    # VM follows the MtM: a balance moves only once the transfers reach the MTA (combined:
    # the gap to the MtM stays below it)
    vm = s.by_netting_set["vm"].unstack()
    mtm = s.by_netting_set["mtm"].unstack()
    assert (np.abs(vm - mtm).to_numpy() < 0.5e6).all()
    assert (vm.diff().abs().to_numpy()[1:] > 0).any()


def test_series_flows_are_the_balances_moves(hand_book, market):
    """With IM that moves every day (A and B up and down, C across the MTA): each balance
    changes by the date's flow, and the call columns sum the flows by direction."""
    dates = market.dates[-40:]
    rng = np.random.default_rng(3)
    names = ["A", "B", "C"]
    call = pd.DataFrame(rng.uniform(0, 60e6, (40, 3)), index=dates, columns=names)
    post = pd.DataFrame(rng.uniform(0, 60e6, (40, 3)), index=dates, columns=names)
    s = aggregate_im_series(hand_book, market, dates, STATIC, threshold=30e6,
                            im=(call, post))
    long = s.by_netting_set
    for balance, flow in (("collected", "im_collect_flow"), ("posted", "im_post_flow"),
                          ("vm", "vm_flow")):
        moved = long[balance].unstack().diff().iloc[1:]
        np.testing.assert_allclose(moved, long[flow].unstack().iloc[1:], atol=1e-6)
    flows = {k: long[k].unstack() for k in ("im_collect_flow", "im_post_flow", "vm_flow")}
    agg = s.aggregate
    assert agg["im_calls_out"].iloc[1:].sum() > 0 and agg["im_returns_in"].iloc[1:].sum() > 0
    np.testing.assert_allclose(agg["im_calls_out"], flows["im_post_flow"].clip(lower=0).sum(axis=1))
    np.testing.assert_allclose(agg["im_returns_in"],
                               (-flows["im_post_flow"]).clip(lower=0).sum(axis=1))
    np.testing.assert_allclose(agg["im_returns_out"],
                               (-flows["im_collect_flow"]).clip(lower=0).sum(axis=1))
    np.testing.assert_allclose(agg["net_outflow"], flows["im_post_flow"].sum(axis=1)
                               - flows["vm_flow"].sum(axis=1))
    five = agg["calls_out"].iloc[1:].rolling(5, min_periods=1).sum().max()
    assert s.peaks.loc[5, "calls_out"] == pytest.approx(five)


def test_non_finite_mtm_is_a_one_line_error(hand_book, market, monkeypatch):
    import imresearch.aggregate.core as core

    real = core.mtm_by_netting_set

    def broken(*args, **kwargs):
        frame = real(*args, **kwargs)
        frame.iloc[2, 1] = np.nan
        return frame

    monkeypatch.setattr(core, "mtm_by_netting_set", broken)
    dates = market.dates[-5:]
    with pytest.raises(InputError, match=r"the MtM \(the VM target\), netting set 'B' on "
                       rf"{dates[2]:%Y-%m-%d}: must be a finite number; got nan"):
        aggregate_im_series(hand_book, market, dates, STATIC)


@pytest.mark.parametrize(("change", "message"), [
    ({"row": 3, "col": "B", "value": np.nan},
     r"im: the precomputed IM to collect, netting set 'B' on .*: must be a finite number >= 0;"
     r" got nan"),
    ({"row": 0, "col": "A", "value": -1.0}, r"netting set 'A' on .*: must be a finite number "
     r">= 0; got -1.0"),
    ({"row": 5, "col": "C", "value": np.inf}, r"netting set 'C' .* got inf"),
    ({"drop_col": "C"}, r"im: the precomputed call IM lacks 'C' \(a date or a netting set"),
    ({"drop_row": 2}, r"im: the precomputed call IM lacks \d{4}-\d\d-\d\d \(a date"),
])
def test_bad_precomputed_im_is_a_one_line_error(hand_book, market, change, message):
    dates = market.dates[-10:]
    call = pd.DataFrame(1e6, index=dates, columns=["A", "B", "C"])
    if "drop_col" in change:
        call = call.drop(columns=change["drop_col"])
    elif "drop_row" in change:
        call = call.drop(index=dates[change["drop_row"]])
    else:
        call.loc[dates[change["row"]], change["col"]] = change["value"]
    post = pd.DataFrame(1e6, index=dates, columns=["A", "B", "C"])
    with pytest.raises(InputError, match=message) as err:
        aggregate_im_series(hand_book, market, dates, STATIC, im=(call, post))
    assert "\n" not in str(err.value)


def test_threshold_cliff(market):
    """A netting set whose IM rises through its threshold: the crossing, and the call it
    causes once the excess reaches the MTA."""
    swap = _swap("s", 2e9, "CP", "NS_CP")
    dates = market.dates[-60:]
    im = StaticModel(rate=0.01)
    base = aggregate_im_series(Portfolio((swap,)), market, dates, im, threshold=10e6)
    call = base.by_netting_set["im_call"].unstack()
    rising = call.copy()
    rising[:] = np.linspace(5e6, 15e6, len(dates))[:, None]
    separate = {"CP": Terms(threshold=10e6, mta_scope="separate")}
    s = aggregate_im_series(Portfolio((swap,)), market, dates, im, terms=separate,
                            im=(rising, rising))
    up = s.cliff[(s.cliff["side"] == "call")]
    assert len(up) == 1 and up.iloc[0]["direction"] == "up"
    crossing = up.iloc[0]["date"]
    assert rising.loc[crossing, "NS_CP"] > 10e6 >= rising.shift(1).loc[crossing, "NS_CP"]
    # the first IM transfer comes when the excess over the threshold reaches the MTA
    flows = s.by_netting_set["im_collect_flow"].xs("NS_CP", level="netting_set")
    first = flows[flows != 0].index[0]
    assert up.iloc[0]["first_flow_date"] == first and first > crossing
    assert rising.loc[first, "NS_CP"] - 10e6 >= 0.5e6 > rising.shift(1).loc[first, "NS_CP"] - 10e6
    assert up.iloc[0]["first_flow"] == pytest.approx(rising.loc[first, "NS_CP"] - 10e6)
    # with the MTA combined over IM and VM, the VM the counterparty owes carries the IM sooner
    combined = aggregate_im_series(Portfolio((swap,)), market, dates, im, threshold=10e6,
                                   im=(rising, rising)).cliff
    assert combined.iloc[0]["first_flow_date"] <= first
    assert s.procyclicality.loc["aggregate call", "peak_to_trough"] == pytest.approx(3.0)


def test_threshold_cliff_with_fixed_shares(hand_book, market):
    """A netting set crosses its own share of the group's threshold while the group's IM stays
    below the group's: the cliff is where IM first exceeds the threshold allocated to it."""
    dates = market.dates[-12:]
    call = pd.DataFrame({"A": np.linspace(20e6, 31e6, 12), "B": 5e6, "C": 0.0}, index=dates)
    terms = {"G": Terms(threshold=50e6, threshold_split={"A": 0.5, "B": 0.5})}
    s = aggregate_im_series(hand_book, market, dates, STATIC, terms=terms,
                            im=(call, call * 0.0))
    up = s.cliff[(s.cliff["side"] == "call") & (s.cliff["group"] == "G")]
    assert list(up["direction"]) == ["up"]
    crossing = up.iloc[0]["date"]
    assert call.loc[crossing, "A"] > 25e6 >= call.shift(1).loc[crossing, "A"]
    assert up.iloc[0]["im_after"] < up.iloc[0]["threshold"] == 50e6
    # in proportion instead, nothing crosses: the group's IM stays below 50m
    prop = aggregate_im_series(hand_book, market, dates, STATIC, threshold=50e6,
                               im=(call, call * 0.0))
    assert prop.cliff.empty


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"threshold": -1.0}, r"threshold must be a finite number >= 0 \(USD\); got -1.0"),
    ({"mta": -5.0}, r"mta must be a finite number >= 0 \(USD\); got -5.0"),
    ({"mta": float("nan")}, r"mta must be a finite number >= 0"),
    ({"terms": {"G": {"threshold": 60e6, "regulations": ["US"]}}},
     r"terms\['G'\]: contradictory terms: threshold 60,000,000 exceeds the US maximum"),
    ({"terms": {"G_LDN": Terms(threshold=1e6), "G": Terms(threshold=2e6)}},
     r"group 'G': contradictory terms from 'G_LDN' .* and 'G'"),
    ({"terms": {"nobody": Terms()}}, r"terms: 'nobody' is neither a counterparty group nor"),
    ({"terms": {"G": {"threshold_split": {"A": 0.5, "C": 0.5}}}},
     r"threshold_split names 'C', not a netting set of group 'G'"),
    ({"terms": {"G": {"threshold_split": {"A": 0.5}}}}, r"threshold_split shares must sum to 1"),
    ({"terms": {"G": {"mta": "1m"}}}, r"terms\['G'\]: mta must be a number; got '1m'"),
    ({"terms": {"G": {"threshold": 100e6, "regulations": ["EU"]}}},
     r"threshold 100,000,000 exceeds the EU maximum of EUR 50,000,000 \(USD 80,000,000 at "
     r"EURUSD 1.60, the highest on record\)"),
    ({"terms": {"G": {"mta": 0.2e6, "mta_scope": "separate", "regulations": ["US"]}}},
     r"separate IM and VM MTAs 3 x 200,000 exceeds the US maximum of USD 500,000"),
])
def test_bad_terms_are_one_line_errors(hand_book, market, kwargs, message):
    with pytest.raises(InputError, match=message) as err:
        aggregate_im(hand_book, market, market.end, STATIC, **kwargs)
    assert "\n" not in str(err.value)


def test_bad_netting_structure_is_one_line(market):
    lone = _swap("x", 1e8, "CP", "")
    with pytest.raises(InputError, match=r"trade 'x', field 'netting_set': missing"):
        aggregate_im(Portfolio((lone,)), market, market.end, STATIC)
    two = Portfolio((_swap("x", 1e8, "CP1", "NS"), _swap("y", 1e8, "CP2", "NS")))
    with pytest.raises(InputError, match=r"netting set 'NS': trades of two counterparties"):
        aggregate_im(two, market, market.end, STATIC)
    split = Portfolio((_swap("x", 1e8, "CP", "N1", "G1"), _swap("y", 1e8, "CP", "N2", "G2")))
    with pytest.raises(InputError, match=r"counterparty 'CP': two counterparty groups"):
        aggregate_im(split, market, market.end, STATIC)
    with pytest.raises(InputError, match=r"date 2031-01-01 is not a date of market"):
        aggregate_im(split.select(trade_id="x"), market, "2031-01-01", STATIC)


def test_procyclicality_table_is_the_metrics_of_each_series(hand_book, market):
    """The vectorised table: :func:`imresearch.procyclicality.summary` of the aggregate and of
    every netting set's IM, each side; relative metrics blank for a series that touches 0."""
    from imresearch import procyclicality as pc

    dates = market.dates[-40:]
    rng = np.random.default_rng(5)
    names = ["A", "B", "C"]
    call = pd.DataFrame(rng.lognormal(16, 0.3, (40, 3)), index=dates, columns=names)
    post = call * rng.uniform(0.5, 1.5, (40, 3))
    post.iloc[7, 2] = 0.0  # C posts nothing on one date
    s = aggregate_im_series(hand_book, market, dates, STATIC, im=(call, post))
    table = s.procyclicality
    series = {"aggregate call": call.sum(axis=1), "aggregate post": post.sum(axis=1),
              **{f"{ns} {side}": f[ns] for ns in names
                 for side, f in (("call", call), ("post", post))}}
    assert list(table.index) == list(series)
    for name, im in series.items():
        row = table.loc[name]
        assert row["average_im"] == pytest.approx(im.mean(), rel=1e-12)
        for d in (1, 5, 20):
            usd = max((im - im.shift(d)).max(), 0.0)
            assert row[f"max_{d}d_increase_usd"] == pytest.approx(usd, rel=1e-12)
        if name == "C post":
            assert not row["ratios"] and np.isnan(row["peak_to_trough"])
            continue
        expected = pc.summary(im.rename_axis("date"))
        for key, value in expected.items():
            assert row[key] == pytest.approx(value, rel=1e-12), (name, key)
