"""The system view: a seeded network margined through an episode, the same on every executor,
and equal to each dealer's aggregate IM computed on its own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import imresearch.marketdata as md
from imresearch.aggregate import aggregate_im_series
from imresearch.aggregate.network import generate_network
from imresearch.errors import InputError
from imresearch.models import HSModel, MCModel, ScheduleModel, SimmModel
from imresearch.study.system import system_view

MODELS = {"HS 1y": HSModel(lookback_days=252), "Schedule": ScheduleModel()}


@pytest.fixture(scope="module")
def market() -> md.RiskFactorHistory:
    return md.synthetic_market(seed=0)


@pytest.fixture(scope="module")
def network():
    return generate_network(2, 3, trades_per_set=4, seed=5)


@pytest.fixture(scope="module")
def serial(network, market):
    return system_view(network, market, models=MODELS, episode="covid_2020", pad_days=3,
                       threshold=1e6, mta=1e5)


def test_system_is_the_sum_of_each_dealers_aggregate(serial, network, market):
    assert serial.scheduler == "serial"
    assert serial.episode[0] == "covid_2020"
    for dealer, book in network.books.items():
        own = aggregate_im_series(book, market, serial.dates, MODELS["HS 1y"],
                                  threshold=1e6, mta=1e5)
        got = serial.by_dealer.loc[("HS 1y", dealer)]
        np.testing.assert_allclose(got["collected"], own.aggregate["collected"])
        np.testing.assert_allclose(got["calls_out"], own.aggregate["calls_out"])
    hs = serial.system.xs("HS 1y", level="model")
    np.testing.assert_allclose(
        hs["im_call"], serial.by_dealer.xs("HS 1y", level="model")["im_call"].groupby(
            "date").sum())
    assert list(serial.summary.index) == list(MODELS)
    row = serial.summary.loc["HS 1y"]
    assert row["peak_1d_calls_out"] <= row["peak_5d_calls_out"] <= row["peak_20d_calls_out"]
    assert row["calls_out_total"] == pytest.approx(hs["calls_out"].iloc[1:].sum())


#: One model of every kind, Monte Carlo seeded: the numbers the executors must reproduce.
EVERY_KIND = {"HS 1y": HSModel(lookback_days=252),
              "FHS-EWMA 1y": HSModel(lookback_days=252, filtering="ewma"),
              "MC 1y": MCModel(n_paths=400, lookback_days=252, seed=17),
              "SIMM": SimmModel(), "Schedule": ScheduleModel()}


@pytest.fixture(scope="module")
def every_kind_serial(network, market):
    return system_view(network, market, models=EVERY_KIND, episode="covid_2020", pad_days=2,
                       step=4, threshold=1e6, mta=1e5, scheduler="serial")


@pytest.mark.parametrize(("scheduler", "n_workers", "task_threads"), [
    ("processes", 2, 2), ("dask", 2, 1)], ids=["processes-2", "dask-local-cluster-2"])
def test_every_executor_gives_the_same_numbers(every_kind_serial, network, market, scheduler,
                                               n_workers, task_threads):
    """Serial, a process pool (two Numba threads a task) and a real Dask LocalCluster of two
    workers: identical numbers for every model kind, Monte Carlo included."""
    if scheduler == "dask":
        pytest.importorskip("dask.distributed")
    other = system_view(network, market, models=EVERY_KIND, episode="covid_2020", pad_days=2,
                        step=4, threshold=1e6, mta=1e5, scheduler=scheduler, n_workers=n_workers,
                        task_threads=task_threads)
    serial = every_kind_serial
    assert other.scheduler == scheduler
    pd.testing.assert_frame_equal(other.by_dealer, serial.by_dealer)
    pd.testing.assert_frame_equal(other.system, serial.system)
    pd.testing.assert_frame_equal(other.summary, serial.summary)
    pd.testing.assert_frame_equal(other.cliff, serial.cliff)
    assert (serial.system["im_call"] > 0).all()


def test_network_is_seeded_and_consistent():
    a = generate_network(3, 4, trades_per_set=5, density=0.5, group_size=2, seed=9)
    b = generate_network(3, 4, trades_per_set=5, density=0.5, group_size=2, seed=9)
    assert a.relationships.equals(b.relationships)
    assert [t for book in a.books.values() for t in book] == [
        t for book in b.books.values() for t in book]
    assert set(a.relationships["client"]) == {"C1", "C2", "C3", "C4"}  # each client trades
    assert a.relationships["group"].nunique() == 2
    assert a.n_trades == 5 * len(a.relationships)
    client = a.client_book("C1")
    dealer_side = [t for book in a.books.values() for t in book if t.counterparty == "C1"]
    assert [t.sign for t in client] == [-t.sign for t in dealer_side]
    assert {t.counterparty for t in client} <= set(a.books)


def test_bad_input(network, market):
    with pytest.raises(InputError, match=r"episode 'nope' is not an episode of synthetic"):
        system_view(network, market, models=MODELS, episode="nope")
    with pytest.raises(InputError,
                       match=r"model 'HS 30y' needs 7560 business days of history before"):
        system_view(network, market, models={"HS 30y": HSModel(lookback_days=7560)},
                    episode="covid_2020")
    with pytest.raises(InputError, match=r"density must be in \(0, 1\]"):
        generate_network(1, 1, density=0.0)
