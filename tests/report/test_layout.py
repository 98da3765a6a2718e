"""Figure plumbing: date axes."""

from __future__ import annotations

import datetime as dt
import warnings

from hypothesis import given, settings
from hypothesis import strategies as st

from imresearch.report import layout


@settings(max_examples=150, deadline=None)
@given(start=st.datetimes(min_value=dt.datetime(1950, 1, 1),
                          max_value=dt.datetime(2030, 1, 1)),
       span=st.timedeltas(min_value=dt.timedelta(hours=1),
                          max_value=dt.timedelta(days=365 * 70)),
       ticks=st.integers(2, 6))
def test_date_axis_finds_an_interval_for_any_range(start: dt.datetime, span: dt.timedelta,
                                                   ticks: int) -> None:
    fig, ax = layout.subplots(figsize=(6, 2))
    ax.plot([start, start + span], [0.0, 1.0])
    layout.date_axis(ax, ticks=ticks)
    with warnings.catch_warnings():  # AutoDateLocator warns when no interval fits
        warnings.simplefilter("error")
        fig.canvas.draw()
    lo, hi = ax.get_xlim()
    shown = [x for x in ax.get_xticks() if lo <= x <= hi]
    assert 2 <= len(shown) <= 2 * ticks + 1
