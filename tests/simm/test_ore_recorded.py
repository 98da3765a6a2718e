"""Every SIMM version against ORE's recorded answers (no ORE needed): probes and random CRIFs.

``tests/simm/data/ore/<version>.csv.gz`` holds, per version, CRIFs whose netting sets each make
one figure visible (every risk weight, correlation, concentration threshold, historical volatility
ratio and curvature scaling; see ``_ore_cases.py``) plus random netting sets, and ORE's SIMM
(analytic ``simm`` of ORE 1.8.17, built-in configurations; 2.8+2512 from its calibration file) on
them: total and breakdown by margin type, risk class and product class, Call and Post, 10-day and
1-day where the version publishes it. Ours must agree within 1e-9 relative.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from imresearch.simm import simm
from imresearch.simm.versions import VERSIONS, version_info
from tests.simm._ore_cases import BREAKDOWN, read_record
from tests.simm._reference import ore_view

REL_TOL = 1e-9
ABS_TOL = 1e-6  # USD, for components that are zero

CASES = [(v, m) for v in VERSIONS for m in version_info(v).mpor_days]


@functools.cache
def _record(version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read_record(version)


@pytest.mark.parametrize(("version", "mpor"), CASES)
def test_matches_ore_record(version: str, mpor: int) -> None:
    crif, ore = _record(version)
    mine = ore[ore["MPOR"] == mpor]
    assert set(mine["Side"]) == {"Call", "Post"}
    for side, part in mine.groupby("Side"):
        exp = part.pivot(index="PortfolioID", columns="Column", values="InitialMargin")
        got = ore_view(simm(crif, version, mpor, str(side).lower(), group_by="PortfolioID"))
        index = got.index.union(exp.index)
        assert len(exp) > 500  # every probe is in ORE's report
        g = got.reindex(index=index, columns=BREAKDOWN).fillna(0.0)
        e = exp.reindex(index=index, columns=BREAKDOWN).fillna(0.0)
        bad = (g - e).abs() > np.maximum(REL_TOL * e.abs(), ABS_TOL)
        failures = [f"{side} {pid} {col}: ORE {e.at[pid, col]:.6f}, ours {g.at[pid, col]:.6f}"
                    for pid, col in bad.stack()[bad.stack()].index]
        assert not failures, f"{len(failures)} mismatches, e.g. {failures[:5]}"


@pytest.mark.parametrize("version", VERSIONS)
def test_record_covers_the_version(version: str) -> None:
    """The probes reach every bucket and tenor the version has, and beyond each threshold."""
    from imresearch.simm.parameters import load_parameters

    crif, ore = _record(version)
    p = load_parameters(version)
    ids = set(crif["PortfolioID"])
    for rc, c in (("CQ", p.credit_qualifying), ("CN", p.credit_non_qualifying),
                  ("EQ", p.equity), ("CM", p.commodity)):
        assert {f"{rc}W/{b}" for b in c.buckets} <= ids
        assert {f"{rc}CONC/{b}" for b in c.buckets} <= ids
    assert {f"IRW/{g}/{t}" for g in p.interest_rate.delta_weight for t in p.interest_rate.tenors
            } <= ids
    random_sets = ore[ore["PortfolioID"].str.startswith("R")]["PortfolioID"].nunique()
    assert random_sets == 24
