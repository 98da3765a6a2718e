"""ORE's SIMM results on the 962 unit-test portfolios, every version, Call and Post."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.simm._reference import SHARED_VERSIONS, run_cases

pytestmark = pytest.mark.shared_data

REL_TOL = 1e-6
ABS_TOL = 1e-4  # USD, for components that are zero


@pytest.mark.parametrize("side", ["Call", "Post"])
@pytest.mark.parametrize("period", ["10d", "1d"])
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_ore_oracle(shared_simm: Path, version: str, period: str, side: str) -> None:
    path = shared_simm / "tests" / "ore_oracle_results" / f"ore_simm_results_{version}.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    ore = pd.read_csv(path)
    exp = ore[(ore["Period"] == period) & (ore["SimmSide"] == side)].set_index("TestID")
    assert len(exp) == 481
    got = run_cases(shared_simm, version, period, side.lower()).reindex(exp.index)
    cols = [c for c in exp.columns if c not in ("Version", "Period", "SimmSide")]
    assert set(cols) <= set(got.columns)
    diff = (got[cols] - exp[cols]).abs()
    bad = diff > np.maximum(REL_TOL * exp[cols].abs(), ABS_TOL)
    failures = [
        f"{tid} {col}: ORE {exp.at[tid, col]:.6f}, ours {got.at[tid, col]:.6f}"
        for tid, col in zip(*np.nonzero(bad.to_numpy()))
        for tid, col in [(exp.index[tid], cols[col])]
    ]
    assert not failures, f"{len(failures)} mismatches, e.g. {failures[:5]}"
