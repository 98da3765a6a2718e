"""SIMM versions: names and aliases, effective dates, calibration windows, version in force."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import (
    VERSIONS,
    NoSimmInForceError,
    canonical_version,
    load_parameters,
    version_in_force,
    version_info,
    version_schedule,
)

# ISDA's announcements (see imresearch/simm/params/README.md for each source)
EFFECTIVE = {
    "1.0": "2016-09-01", "1.3": "2017-04-01", "2.0": "2017-12-04", "2.1": "2018-12-01",
    "2.2": "2019-12-01", "2.3": "2020-12-05", "2.4": "2021-12-04", "2.5": "2022-12-03",
    "2.5A": "2023-07-15", "2.6": "2023-12-02", "2.7": "2024-12-07", "2.7+2412": "2025-07-12",
    "2.8+2506": "2025-12-06", "2.8+2512": "2026-07-11",
}


def test_every_public_version_is_shipped() -> None:
    assert set(EFFECTIVE) | {"1.3.38"} == set(VERSIONS)
    for v in VERSIONS:
        assert load_parameters(v).version == v
        assert version_info(v).version == v


@pytest.mark.parametrize(("version", "date"), EFFECTIVE.items())
def test_in_force_exactly_from_its_effective_date(version: str, date: str) -> None:
    day = pd.Timestamp(date)
    assert version_in_force(day) == (version, False)
    assert version_in_force(day + pd.Timedelta(hours=23)).version == version
    before = version_in_force(day - pd.Timedelta(days=1), before="first")
    order = list(EFFECTIVE)
    assert before.version == (order[order.index(version) - 1] if version != "1.0" else "1.0")
    assert before.before_first is (version == "1.0")
    assert version_info(version).effective_date == day


def test_stress_episodes_get_the_version_firms_used() -> None:
    assert version_in_force("2020-03-16").version == "2.2"  # COVID: 2.2, calibrated to 2018
    assert version_in_force("2022-09-28").version == "2.4"  # gilts: 2.4
    assert version_in_force("2024-12-09").version == "2.7"  # not 2.6
    assert version_in_force("2030-01-01").version == "2.8+2512"
    assert version_in_force("2017-06-30").version == "1.3"  # 1.3.38 was a draft, never in force


def test_no_simm_before_september_2016() -> None:
    with pytest.raises(NoSimmInForceError, match=r"no ISDA SIMM version was in force on "
                       r"2008-10-15: SIMM began on 2016-09-01 .*before='first'.*recalibrated"):
        version_in_force("2008-10-15")
    assert version_in_force("2008-10-15", before="first") == ("1.0", True)
    with pytest.raises(InputError, match="before"):
        version_in_force("2020-01-01", before="last")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="not a date"):
        version_in_force("tomorrow-ish")


def test_aliases() -> None:
    assert canonical_version("2.3.8") == "2.4"  # ORE's names
    assert canonical_version("2.5.6") == "2.6"
    assert canonical_version("2.6.5") == "2.7"
    assert canonical_version("R1.0") == "1.0"
    assert canonical_version(" 2.5a ") == "2.5A"
    assert load_parameters("2.3.8") is load_parameters("2.4")
    with pytest.raises(InputError, match=r"unknown SIMM version '3\.0'"):
        canonical_version("3.0")


def test_schedule_windows_are_consistent() -> None:
    sched = version_schedule()
    assert list(sched.index) == list(EFFECTIVE)
    assert sched["effective_date"].is_monotonic_increasing
    assert (sched["until"].iloc[:-1].to_numpy() == sched["effective_date"].iloc[1:].to_numpy()
            ).all()
    # data end before the version takes effect, three-year recent windows, GFC stress years
    assert (sched["recent_end"] < sched["effective_date"]).all()
    years = (sched["recent_end"] - sched["recent_start"]).dt.days / 365.25
    assert years.between(2.95, 3.05).all()
    assert (sched["stress_start"].dt.year == 2008).all()
    assert ((sched["stress_end"] - sched["stress_start"]).dt.days.between(270, 366)).all()
    assert sched.loc["2.8+2506", "recent_end"] == pd.Timestamp("2025-06-30")  # ISDA's words
    assert sched.loc["2.2", "mpor_days"] == (10, 1)
    assert sched.loc["2.1", "mpor_days"] == (10,)
    assert "1.3.38" not in sched.index and "1.3.38" in version_schedule(in_force_only=False).index
    for v in VERSIONS:
        assert version_info(v).sources  # every version names its sources


def test_off_cycle_version_keeps_the_other_classes_calibration() -> None:
    info = version_info("2.5A")
    assert info.recalibrated_risk_classes == ("InterestRate",)
    (recent, _) = info.calibration_window("InterestRate")
    assert recent[1] == pd.Timestamp("2022-12-31")
    assert info.calibration_window("Equity") == version_info("2.5").calibration_window("Equity")
    assert version_info("2.6").calibration_window("Equity")[0][1] == pd.Timestamp("2022-12-31")
    with pytest.raises(InputError, match="unknown SIMM risk class"):
        info.calibration_window("Rates")
