"""SIMM's calibration lag on the stress episodes: which version saw what, and the SIMM paths."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import load_builtin
from imresearch.portfolio import EquityPosition, FXForward, Portfolio
from imresearch.portfolio.binding import bind
from imresearch.portfolio.sensitivities import to_crif
from imresearch.procyclicality.simm_history import simm_history
from imresearch.scenarios.simm_lag import calibration_lag, episode_versions, simm_era_episodes
from imresearch.simm import simm


def test_which_version_first_saw_each_episode() -> None:
    table = episode_versions()
    assert list(table.index) == [e.name for e in simm_era_episodes()]
    assert "gfc_2008" not in table.index  # before SIMM
    covid = table.loc["covid_2020"]
    # in force during the stress: 2.2 (data to 2018); COVID entered with 2.4 (data 2018-2020)
    assert covid["in_force"] == "2.2" and covid["first_to_see"] == "2.4"
    assert covid["effective_date"] == pd.Timestamp("2021-12-04")
    assert covid["lag_days"] == (pd.Timestamp("2021-12-04") - pd.Timestamp("2020-03-16")).days
    # 2.5A re-estimated interest-rate weights only: it saw the gilt crisis, not LME nickel
    assert table.loc["uk_ldi_2022", "first_to_see"] == "2.5A"
    assert table.loc["lme_nickel_2022", "first_to_see"] == "2.6"
    assert (table["lag_days"] > 0).all()
    assert (table["in_force_data_end"] < table["peak"]).all()  # the version in force was blind


def test_episodes_before_simm_are_refused() -> None:
    with pytest.raises(InputError, match=r"gfc_2008.*no SIMM was in force"):
        episode_versions(["gfc_2008"])


@pytest.fixture(scope="module")
def lag() -> tuple[pd.DataFrame, Portfolio, object]:
    market = load_builtin("synthetic")
    book = Portfolio([
        EquityPosition(trade_id="EQ", underlying="SPX", bucket="11", quantity=3.0e4),
        FXForward(trade_id="FX", pair="EURUSD", notional=5.0e7, strike=1.1,
                  maturity="2027-01-04"),
    ], name="lag")
    out = calibration_lag(book, market, ["covid_2020"], step=10, recalibrate=True)
    return out, book, market


def test_calibration_lag_paths(lag) -> None:  # type: ignore[no-untyped-def]
    out, book, market = lag
    assert set(out["role"]) == {"in force", "later", "recalibrated"}
    dates = out["date"].unique()
    assert len(dates) == 6 and (out.groupby("date").size() == 11).all()  # 2.2 .. 2.8+2512 + 1
    assert (out.loc[out["role"] == "in force", "version"] == "2.2").all()
    sees = out[out["role"] != "recalibrated"].drop_duplicates("version").set_index(
        "version")["sees_episode"]
    # March 2020 is in the recent windows of 2.4 to 2.6 only (2.7 is calibrated on 2021-2023)
    assert list(sees[sees].index) == ["2.4", "2.5", "2.5A", "2.6"]
    # each value is the calculator on that date's CRIF, with that version
    bp = bind(book, market)
    t = pd.Timestamp(dates[2])
    crif = to_crif(dataclasses.replace(
        bp, base_levels=np.array(market.select(bp.factor_names).values[
            market.dates.get_loc(t)]), date=t))
    on_t = out[out["date"] == t].set_index("version")
    for v in ("2.2", "2.4", "2.7+2412"):
        assert on_t.loc[v, "simm"] == pytest.approx(simm(crif, version=v).total, rel=1e-12)
        assert on_t.loc[v, "ratio_to_in_force"] == pytest.approx(
            on_t.loc[v, "simm"] / on_t.loc["2.2", "simm"], rel=1e-12)
    # the recalibrated rows are simm_history's research series on the same dates
    hist = simm_history(book, market, dates=dates, recalibrate=True)
    recal = out[out["role"] == "recalibrated"].set_index("date")["simm"]
    np.testing.assert_allclose(recal.to_numpy(), hist["simm_recalibrated"].to_numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(out[out["role"] == "in force"]["simm"].to_numpy(),
                               hist["simm"].to_numpy(), rtol=1e-12)


def test_calibration_lag_bad_input(lag) -> None:  # type: ignore[no-untyped-def]
    _, book, market = lag
    small = load_builtin("synthetic_small")  # 2007-2010: no SIMM-era episode in it
    with pytest.raises(InputError, match=r"covid_2020 .* is outside market"):
        calibration_lag(book.trades[:1], small, ["covid_2020"])
    with pytest.raises(InputError, match="step"):
        calibration_lag(book, market, ["covid_2020"], step=0)
