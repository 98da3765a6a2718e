"""Synthetic CRIFs: deterministic, valid, realistic in mix; grouped SIMM equals one call each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import SENSITIVITY_RISK_TYPES, read_crif, simm, synthetic_crif
from imresearch.simm.crif import ADDON_RISK_TYPES


def test_seeded_and_sized() -> None:
    a = synthetic_crif(5, 200, seed=7)
    b = synthetic_crif(5, 200, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(synthetic_crif(5, 200, seed=8))
    assert len(a) == 1000
    assert a["PortfolioID"].nunique() == 5
    assert (a.groupby("PortfolioID").size() == 200).all()


def test_valid_and_covers_every_risk_type() -> None:
    crif = synthetic_crif(40, 1000, seed=1)
    parsed = read_crif(crif)  # validates every row
    assert len(parsed) == len(crif)
    present = set(crif["RiskType"])
    assert set(SENSITIVITY_RISK_TYPES) <= present
    assert set(ADDON_RISK_TYPES) <= present
    ir = crif[crif["RiskType"] == "Risk_IRCurve"]
    assert ir["Qualifier"].nunique() > 10 and ir["Label2"].nunique() > 3
    assert crif["TradeID"].nunique() < len(crif) / 5  # trades share risk factors
    non_usd = crif["AmountCurrency"].isin(["EUR", "JPY"])
    ratio = crif.loc[non_usd, "AmountUSD"] / crif.loc[non_usd, "Amount"]
    assert sorted(ratio.round(10).unique()) == [0.0067, 1.08]


def test_grouped_simm_equals_one_call_per_portfolio() -> None:
    crif = synthetic_crif(6, 400, seed=3)
    grouped = simm(crif, group_by="PortfolioID", side="post")
    for pid, part in crif.groupby("PortfolioID"):
        alone = simm(part, side="post").total
        assert grouped.totals[pid] == pytest.approx(alone, rel=1e-12)
    assert np.isfinite(grouped.total) and grouped.total > 0


def test_arguments_checked() -> None:
    with pytest.raises(InputError, match="n_portfolios"):
        synthetic_crif(0)
    with pytest.raises(InputError, match="rows_per_portfolio"):
        synthetic_crif(1, 5)
