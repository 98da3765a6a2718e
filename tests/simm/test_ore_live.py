"""ORE's SIMM analytic, live, against ours and against the committed records: every version.

Needs ORE's Python package (``pip install open-source-risk-engine``); skipped without it. SIMM
2.8+2512 also needs ORE's calibration file from ``../shared/reference/simm`` (ORE 1.8.17 cannot
build that version by itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.simm import simm
from imresearch.simm.ore import ORE_BUILTIN_VERSIONS, ore_simm
from imresearch.simm.versions import VERSIONS, version_info
from tests.simm._ore_cases import (
    BREAKDOWN,
    SHARED_CALIBRATION,
    case_crif,
    ore_breakdown,
    random_crif,
    read_record,
    run_ore_cases,
)
from tests.simm._reference import ore_view

pytest.importorskip("ORE", reason="ORE's Python package (open-source-risk-engine) is absent")

REL_TOL = 1e-9
ABS_TOL = 1e-6  # USD, for components that are zero


def _calibration(request: pytest.FixtureRequest, version: str) -> Path | None:
    if version in ORE_BUILTIN_VERSIONS:
        return None
    shared: Path = request.getfixturevalue("shared_simm")
    path = shared / SHARED_CALIBRATION[version]
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path


def _marks(version: str) -> list[pytest.MarkDecorator]:
    return [] if version in ORE_BUILTIN_VERSIONS else [pytest.mark.shared_data]


@pytest.mark.parametrize("version", [pytest.param(v, marks=_marks(v)) for v in VERSIONS])
def test_record_is_what_ore_says(request: pytest.FixtureRequest, version: str) -> None:
    """The committed record reproduces: same CRIF from the generators, same ORE answers."""
    crif, recorded = read_record(version)
    pd.testing.assert_frame_equal(crif, case_crif(version).astype(crif.dtypes.to_dict()),
                                  check_exact=False, rtol=1e-15)
    live = run_ore_cases(version, _calibration(request, version))
    key = ["PortfolioID", "MPOR", "Side", "Column"]
    merged = recorded.merge(live, on=key, how="outer", suffixes=("_rec", "_live")).fillna(0.0)
    np.testing.assert_allclose(merged["InitialMargin_live"], merged["InitialMargin_rec"],
                               rtol=1e-12, atol=1e-9)


CASES = [(v, m) for v in VERSIONS for m in version_info(v).mpor_days]


@pytest.mark.parametrize(("version", "mpor"),
                         [pytest.param(v, m, marks=_marks(v)) for v, m in CASES])
def test_new_random_crifs_match_ore(request: pytest.FixtureRequest, version: str,
                                    mpor: int) -> None:
    """Random netting sets never recorded (another seed), through ORE and ours."""
    crif = random_crif(version, seed=5000 + CASES.index((version, mpor)), n=16)
    report = ore_simm(crif, version, mpor, calibration=_calibration(request, version))
    for side in ("Call", "Post"):
        got = ore_view(simm(crif, version, mpor, side.lower(), group_by="PortfolioID"))
        exp = ore_breakdown(report, side)
        # a set whose rows all drop out (say, only a multiplier row) is absent from ORE's report
        # and has margin 0 in ours
        index = got.index.union(exp.index)
        assert len(exp) > 8
        g = got.reindex(index=index, columns=BREAKDOWN).fillna(0.0)
        e = exp.reindex(index=index, columns=BREAKDOWN).fillna(0.0)
        bad = (g - e).abs() > np.maximum(REL_TOL * e.abs(), ABS_TOL)
        failures = [f"{side} {pid} {col}: ORE {e.at[pid, col]:.6f}, ours {g.at[pid, col]:.6f}"
                    for pid, col in bad.stack()[bad.stack()].index]
        assert not failures, f"{len(failures)} mismatches, e.g. {failures[:5]}"
