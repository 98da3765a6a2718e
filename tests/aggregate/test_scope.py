"""AANA and the phase-in scope test, against examples worked by hand from the rules' texts."""

from __future__ import annotations

import pandas as pd
import pytest

from imresearch.aggregate.scope import aana, get_regime, in_scope, phase_on, regimes, scope
from imresearch.errors import InputError

B = 1e9


def _daily(start: str, end: str, by_month: dict[int, float], last: dict[int, float] | None = None
           ) -> pd.Series:
    """Weekday series: ``by_month[m]`` on every day of month m, ``last[m]`` on its last."""
    days = pd.bdate_range(start, end, name="date")
    s = pd.Series([by_month.get(d.month, 1.0) for d in days], index=days)
    for m, value in (last or {}).items():
        s[s.index[s.index.month == m][-1]] = value
    return s


def test_eu_rule_averages_the_three_month_ends():
    # March-May 2022: 10bn, 7bn, 8bn recorded on the last business day (31 March, 29 April,
    # 31 May); the other days do not count: (10 + 7 + 8) / 3 = 8.33bn
    s = _daily("2022-01-01", "2022-12-31", {3: 50 * B, 4: 50 * B, 5: 50 * B},
               last={3: 10 * B, 4: 7 * B, 5: 8 * B})
    assert s.index[s.index.month == 4][-1] == pd.Timestamp("2022-04-29")
    value = aana(s, 2022, rule="EU")
    assert value == pytest.approx(25 * B / 3)
    # above EUR 8bn: in scope from phase 6 (1 September 2022) with a counterparty above it
    assert in_scope(value, 9 * B, "2022-09-01", regime="EU")
    # the day before, phase 5 applies (EUR 50bn, over March-May 2021)
    assert phase_on("2022-08-31", "EU").aana_threshold == 50 * B
    assert not in_scope(value, 9 * B, "2022-08-31", regime="EU")


def test_us_rule_averages_every_business_day_of_june_to_august():
    # June, July, August 2021 have 22 weekdays each: (22 x 9 + 22 x 6 + 22 x 9) / 66 = 8bn,
    # which does not exceed USD 8bn: out of scope for phase 6 (1 September 2022)
    s = _daily("2021-01-01", "2021-12-31", {6: 9 * B, 7: 6 * B, 8: 9 * B})
    assert [len(s[s.index.month == m]) for m in (6, 7, 8)] == [22, 22, 22]
    value = aana(s, 2021, rule="US")
    assert value == pytest.approx(8 * B)
    assert not in_scope(value, 100 * B, "2022-09-01", regime="US")
    assert in_scope(value + 1.0, 100 * B, "2022-09-01", regime="US")
    # the month-end rule on the same data: (9 + 6 + 9) / 3 over June-August
    assert aana(s, 2021, rule="EU", months=(6, 7, 8)) == pytest.approx(8 * B)


@pytest.mark.parametrize(("regime", "date", "phase", "threshold", "period"), [
    ("BCBS-IOSCO", "2016-08-31", None, None, None),
    ("BCBS-IOSCO", "2016-09-01", 1, 3e12, (2016, (3, 4, 5))),
    ("BCBS-IOSCO", "2017-09-01", 2, 2.25e12, (2017, (3, 4, 5))),
    ("BCBS-IOSCO", "2018-09-01", 3, 1.5e12, (2018, (3, 4, 5))),
    ("BCBS-IOSCO", "2019-08-31", 3, 1.5e12, (2018, (3, 4, 5))),
    ("BCBS-IOSCO", "2019-09-01", 4, 0.75e12, (2019, (3, 4, 5))),
    ("BCBS-IOSCO", "2020-09-01", 4, 0.75e12, (2019, (3, 4, 5))),  # deferred in April 2020
    ("BCBS-IOSCO", "2021-09-01", 5, 50e9, (2021, (3, 4, 5))),
    ("BCBS-IOSCO", "2023-05-15", 6, 8e9, (2022, (3, 4, 5))),
    ("BCBS-IOSCO", "2023-09-01", 6, 8e9, (2023, (3, 4, 5))),
    ("EU", "2017-02-03", None, None, None),
    ("EU", "2017-02-04", 1, 3e12, (2016, (3, 4, 5))),
    ("EU", "2017-09-01", 2, 2.25e12, (2017, (3, 4, 5))),
    ("EU", "2018-09-01", 3, 1.5e12, (2018, (3, 4, 5))),
    ("EU", "2021-08-31", 4, 0.75e12, (2019, (3, 4, 5))),
    ("EU", "2021-09-01", 5, 50e9, (2021, (3, 4, 5))),
    # phase 6: March-May 2022 from 1 September 2022 (Article 36), then each calendar year
    # March-May of the preceding year (Article 28): 2022 for all of 2023
    ("EU", "2022-09-01", 6, 8e9, (2022, (3, 4, 5))),
    ("EU", "2022-12-31", 6, 8e9, (2022, (3, 4, 5))),
    ("EU", "2023-01-01", 6, 8e9, (2022, (3, 4, 5))),
    ("EU", "2023-10-02", 6, 8e9, (2022, (3, 4, 5))),
    ("EU", "2024-01-02", 6, 8e9, (2023, (3, 4, 5))),
    ("US", "2016-09-01", 1, 3e12, (2016, (3, 4, 5))),
    ("US", "2017-09-01", 2, 2.25e12, (2017, (3, 4, 5))),
    ("US", "2018-09-01", 3, 1.5e12, (2018, (3, 4, 5))),
    ("US", "2019-09-01", 4, 0.75e12, (2019, (3, 4, 5))),
    ("US", "2021-09-01", 5, 50e9, (2020, (6, 7, 8))),
    # June-August of the previous calendar year (12 CFR 237.2)
    ("US", "2022-09-01", 6, 8e9, (2021, (6, 7, 8))),
    ("US", "2022-12-30", 6, 8e9, (2021, (6, 7, 8))),
    ("US", "2023-05-15", 6, 8e9, (2022, (6, 7, 8))),
    ("US", "2023-08-31", 6, 8e9, (2022, (6, 7, 8))),
    ("US", "2024-10-01", 6, 8e9, (2023, (6, 7, 8))),
])
def test_phase_in_dates_and_periods(regime, date, phase, threshold, period):
    p = phase_on(date, regime)
    if phase is None:
        assert p is None
        return
    assert p.phase == phase and p.aana_threshold == threshold
    assert p.period(pd.Timestamp(date)) == period


def test_rules_file_caps():
    for key, r in regimes().items():
        assert r.threshold_max == 50e6 and r.mta_max == 0.5e6, key
        assert [p.phase for p in r.phases] == ([1, 2, 3, 4, 5, 6, 6] if key == "EU" else
                                               [1, 2, 3, 4, 5, 6])
        starts = [p.start for p in r.phases]
        assert starts == sorted(starts)
    assert get_regime("US").currency == "USD" and get_regime("EU").currency == "EUR"


def test_eu_permanent_rule_exempts_only_below_8bn():
    # Article 28: a group "below EUR 8 billion" is exempt, so exactly 8bn is in scope from 2023;
    # the first window (Article 36, "exceeding") and the framework need more than 8bn
    assert in_scope(8 * B, 9 * B, "2023-03-01", regime="EU")
    assert not in_scope(8 * B - 1.0, 9 * B, "2023-03-01", regime="EU")
    assert not in_scope(8 * B, 9 * B, "2022-10-03", regime="EU")
    assert not in_scope(8 * B, 9 * B, "2023-03-01", regime="BCBS-IOSCO")
    assert not in_scope(8 * B, 9 * B, "2023-03-01", regime="US")


def test_scope_uses_the_calculation_year_in_force():
    # notionals of 2022 in scope (9bn), of 2023 not (7bn): the EU's 2023 contracts use 2022
    days = pd.bdate_range("2022-01-01", "2023-12-29", name="date")
    level = [9 * B if d.year == 2022 else 7 * B for d in days]
    notional = pd.DataFrame({"DEALER": 900 * B, "FUND": level}, index=days)
    eu = [scope(notional, d, regime="EU")["in_scope"].iloc[0]
          for d in ("2023-10-02", "2024-02-01")]
    bcbs = [scope(notional, d)["in_scope"].iloc[0] for d in ("2023-08-31", "2023-09-01")]
    assert eu == [True, False] and bcbs == [True, False]
    us = scope(notional, "2023-05-15", regime="US")
    assert us["period"].iloc[0] == "2022-06..08" and us["in_scope"].iloc[0]


def test_scope_table_for_pairs_of_groups():
    days = pd.bdate_range("2022-01-01", "2022-12-30", name="date")
    notional = pd.DataFrame({"DEALER": 900 * B, "FUND_A": 9 * B, "FUND_B": 5 * B}, index=days)
    table = scope(notional, "2022-10-03", regime="EU")
    assert list(zip(table["group_a"], table["group_b"], table["in_scope"])) == [
        ("DEALER", "FUND_A", True), ("DEALER", "FUND_B", False), ("FUND_A", "FUND_B", False)]
    assert (table["phase"] == 6).all() and (table["period"] == "2022-03..05").all()
    early = scope(notional, "2016-06-01", pairs=[("DEALER", "FUND_A")])
    assert not early["in_scope"].any() and early["period"].iloc[0].startswith("before")


def test_bad_input():
    s = _daily("2022-01-01", "2022-03-31", {3: 1 * B})
    with pytest.raises(InputError, match=r"notional has no observation in 2022-04"):
        aana(s, 2022, rule="EU")
    with pytest.raises(InputError, match=r"regime must be one of 'BCBS-IOSCO', 'EU', 'US'"):
        phase_on("2022-01-01", "UK")
    with pytest.raises(InputError, match=r"date must be a date; got 'soon'"):
        phase_on("soon")
    neg = _daily("2022-01-01", "2022-06-30", {3: 1 * B, 4: -1.0, 5: 1 * B})
    with pytest.raises(InputError, match=r"notional on 2022-04-29, column 0: must be a number"):
        aana(neg, 2022, rule="EU")
    # a series that stops before May's last business day has no May month-end
    short = _daily("2022-01-01", "2022-05-10", {3: 1 * B, 4: 1 * B, 5: 1 * B})
    with pytest.raises(InputError, match=r"notional ends on 2022-05-10, before the last "
                       r"business day of 2022-05 \(2022-05-31\)"):
        aana(short, 2022, rule="EU")
    # a series cut at the end of May 2021 without Monday 31 May (Memorial Day): accepted
    memorial = _daily("2021-01-01", "2021-05-28", {3: 1 * B, 4: 2 * B, 5: 3 * B})
    assert aana(memorial, 2021, rule="EU") == pytest.approx(2 * B)
    # a holiday at the month-end: the last date of the month counts when the series goes on
    holiday = short.reindex(pd.bdate_range("2022-01-01", "2022-06-30")).drop(
        pd.Timestamp("2022-05-31")).fillna(2 * B)
    assert aana(holiday, 2022, rule="EU") == pytest.approx((1 + 1 + 2) * B / 3)
    with pytest.raises(InputError, match=r"pairs: 'X' is not a column"):
        scope(pd.DataFrame({"A": [1.0]}, index=pd.DatetimeIndex(["2022-03-31"])),
              "2022-10-01", pairs=[("A", "X")])
