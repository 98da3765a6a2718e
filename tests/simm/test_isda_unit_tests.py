"""The 962 ISDA SIMM 2.5 unit tests: total and each component within 1 USD."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import shared_root
from tests.simm._reference import run_cases, unit_test_cases

pytestmark = pytest.mark.shared_data

COMPONENTS = {
    "ExpectedTotal": "Total",
    "ExpectedDelta": "MT_Delta",
    "ExpectedVega": "MT_Vega",
    "ExpectedCurvature": "MT_Curvature",
    "ExpectedBaseCorr": "MT_BaseCorr",
    "ExpectedAddOn": "MT_AdditionalIM",
}


def _case_params() -> list:
    root = shared_root()
    path = None if root is None else root / "reference" / "simm"
    if path is None or not (path / "tests" / "isda_simm_2.5_unit_tests").is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(
            reason="../shared/reference/simm is absent (set IMRESEARCH_SHARED)"))]
    cases = unit_test_cases(path)
    return [pytest.param(p, t, id=f"{p}-{t}") for p, t in zip(cases["Period"], cases["TestID"])]


@functools.cache
def _results(simm_dir: Path, period: str) -> pd.DataFrame:
    return run_cases(simm_dir, "2.5", period, "call")


@functools.cache
def _expected(simm_dir: Path) -> pd.DataFrame:
    return unit_test_cases(simm_dir).set_index(["Period", "TestID"])


@pytest.mark.parametrize(("period", "test_id"), _case_params())
def test_isda_unit_case(shared_simm: Path, period: str, test_id: str) -> None:
    got = _results(shared_simm, period).loc[test_id]
    exp = _expected(shared_simm).loc[(period, test_id)]
    for exp_col, got_col in COMPONENTS.items():
        assert abs(got[got_col] - exp[exp_col]) <= 1.0, (
            f"{period} {test_id} ({exp['ElementTested']}): {exp_col} expected {exp[exp_col]}, "
            f"got {got[got_col]:.2f}"
        )


def test_all_962_cases_present(shared_simm: Path) -> None:
    cases = unit_test_cases(shared_simm)
    assert len(cases) == 962
    assert sorted(cases["Period"].value_counts().tolist()) == [481, 481]
