"""The margin responsiveness table against the metrics computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.procyclicality import buffer, responsiveness


@pytest.fixture
def ims():
    dates = pd.bdate_range("2020-01-01", periods=80)
    rng = np.random.default_rng(0)
    a = pd.Series(100 + np.cumsum(rng.normal(0, 2, 80)).clip(-50), index=dates)
    b = pd.Series(50 + np.arange(80) * 0.5, index=dates)
    b.iloc[:10] = np.nan  # a netting set opened later
    return {"HS": pd.DataFrame({"NS1": a, "NS2": b}), "SIMM": a.rename("portfolio")}


def by_hand(s, days):
    out = {"peak_to_trough": s.max() / s.min()}
    x = s.to_numpy()
    for d in days:
        diff = x[d:] - x[:-d]
        out[f"max_{d}d_increase"] = max(diff.max(), 0.0)
        out[f"max_{d}d_increase_pct"] = max(100 * (x[d:] / x[:-d] - 1).max(), 0.0)
    return out


def test_rows_against_hand_computation(ims):
    table = responsiveness(ims, {"buffer 25%": buffer})
    assert set(table.index.get_level_values("tool")) == {"none", "buffer 25%"}
    for (model, group, tool), row in table.iterrows():
        if group == "aggregate":
            parts = ims[model]
            if tool != "none":
                parts = pd.DataFrame({g: buffer(parts[g].dropna()) for g in parts})
            s = parts.fillna(0.0).sum(axis=1)
        else:
            frame = ims[model] if isinstance(ims[model], pd.DataFrame) else ims[model].to_frame()
            s = frame[group].dropna()
            s = s if tool == "none" else buffer(s)
        for k, v in by_hand(s, (1, 5, 30)).items():
            assert row[k] == pytest.approx(v), (model, group, tool, k)
    assert ("SIMM", "aggregate", "none") not in table.index  # one group: no aggregate


def test_buffer_damps_the_largest_rise(ims):
    table = responsiveness(ims, {"buffer": buffer})
    assert table.loc[("HS", "NS1", "buffer"), "max_1d_increase_pct"] <= \
        table.loc[("HS", "NS1", "none"), "max_1d_increase_pct"] + 1e-9


def test_step_converts_days_to_rows(ims):
    weekly = {"HS": ims["HS"]["NS1"].iloc[::5]}
    table = responsiveness(weekly, step=5, days=(1, 5))
    x = weekly["HS"].to_numpy()
    assert table["max_5d_increase"].iloc[0] == pytest.approx(max((x[1:] - x[:-1]).max(), 0))
    assert np.isnan(table["max_1d_increase"].iloc[0])  # weekly IM has no 1-day increase


def test_bad_input():
    with pytest.raises(InputError, match="ims is empty"):
        responsiveness({})
    with pytest.raises(InputError, match="must be a non-empty DataFrame"):
        responsiveness({"HS": pd.DataFrame()})
