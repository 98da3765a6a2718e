"""Random CRIFs through ORE's SIMM analytic, live, against ours: every version, 10d/1d, both sides.

Needs ORE's Python package (``pip install open-source-risk-engine``); skipped without it.
SIMM 2.8+2512 also needs ORE's calibration file from ``../shared/reference/simm`` (ORE 1.8.17
cannot build that version by itself).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.simm import SENSITIVITY_RISK_TYPES, VERSIONS, simm, synthetic_crif
from imresearch.simm.crif import PRODUCT_CLASSES
from imresearch.simm.ore import ORE_BUILTIN_VERSIONS, ore_simm, ore_totals
from tests.simm._reference import ore_view

pytest.importorskip("ORE", reason="ORE's Python package (open-source-risk-engine) is absent")

REL_TOL = 1e-9
ABS_TOL = 1e-6  # USD, for components that are zero
N_PORTFOLIOS = 30


def random_portfolios(seed: int, n: int = N_PORTFOLIOS) -> pd.DataFrame:
    """``n`` random netting sets: varied size, risk types, name overlap and scale."""
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(n):
        rows = int(rng.integers(10, 250))
        part = synthetic_crif(1, rows, seed=rng, universe=int(rng.integers(3, 80)),
                              addons=bool(rng.random() < 0.5))
        sens = part["RiskType"].isin(list(SENSITIVITY_RISK_TYPES)).to_numpy()
        kinds = rng.choice(list(SENSITIVITY_RISK_TYPES), size=int(rng.integers(1, 17)),
                           replace=False)
        part = part[~sens | part["RiskType"].isin(list(kinds)).to_numpy()].copy()
        # scale sensitivities (not add-on parameters) so concentration is on in some sets
        scale = np.where(part["RiskType"].isin(list(SENSITIVITY_RISK_TYPES)),
                         10.0 ** rng.uniform(-1.0, 2.5), 1.0)
        part["Amount"] *= scale
        part["AmountUSD"] *= scale
        pid = f"R{seed}_{i:02d}"
        part["PortfolioID"] = pid
        part["TradeID"] = pid + "/" + part["TradeID"]
        # one bucket per name across the CRIF (ORE maps each qualifier to one bucket)
        named = part["RiskType"].str.contains("Credit|Equity|Commodity").to_numpy()
        part.loc[named, "Qualifier"] = pid + "/" + part.loc[named, "Qualifier"]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def ore_frame(report: pd.DataFrame, side: str) -> pd.DataFrame:
    """ORE's report as the Total / MT_* / RC_* / PC_* columns of :func:`ore_view`."""
    r = report[(report["SimmSide"] == side) & (report["Portfolio"] != "All")
               & (report["Bucket"] == "All")]
    out = pd.DataFrame({"Total": ore_totals(report, side)})
    top = r[(r["ProductClass"] == "All") & (r["RiskClass"] == "All")]
    for mt in ("Delta", "Vega", "Curvature", "BaseCorr", "AdditionalIM"):
        out[f"MT_{mt}"] = top[top["MarginType"] == mt].set_index("Portfolio")["InitialMargin"]
    by_rc = r[(r["ProductClass"] == "All") & (r["MarginType"] == "All")
              & (r["RiskClass"] != "All")]
    for rc, rows in by_rc.groupby("RiskClass"):
        out[f"RC_{rc}"] = rows.set_index("Portfolio")["InitialMargin"]
    by_pc = r[(r["RiskClass"] == "All") & (r["MarginType"] == "All")
              & (r["ProductClass"] != "All")]
    for pc, rows in by_pc[by_pc["ProductClass"].isin(PRODUCT_CLASSES)].groupby("ProductClass"):
        out[f"PC_{pc}"] = rows.set_index("Portfolio")["InitialMargin"]
    return out.fillna(0.0)


CASES = [(v, mpor) for v in VERSIONS for mpor in (10, 1)]


@pytest.mark.parametrize(
    ("version", "mpor"),
    [pytest.param(v, m, marks=[] if v in ORE_BUILTIN_VERSIONS else [pytest.mark.shared_data])
     for v, m in CASES],
)
def test_random_crifs_match_ore(request: pytest.FixtureRequest, version: str, mpor: int) -> None:
    calibration: Path | None = None
    if version not in ORE_BUILTIN_VERSIONS:
        shared: Path = request.getfixturevalue("shared_simm")
        calibration = shared / version / f"simmcalibration_{version}.xml"
        if not calibration.is_file():
            pytest.skip(f"{calibration} is absent")
    crif = random_portfolios(seed=1000 + CASES.index((version, mpor)))
    report = ore_simm(crif, version, mpor, calibration=calibration)
    for side in ("Call", "Post"):
        ours = ore_view(simm(crif, version, mpor, side.lower(), group_by="PortfolioID"))
        theirs = ore_frame(report, side)
        # a set whose rows all drop out (say, only a multiplier row) is absent from ORE's report
        # and has margin 0 in ours
        index = ours.index.union(theirs.index)
        assert len(theirs) > N_PORTFOLIOS // 2
        cols = list(dict.fromkeys([*theirs.columns, *ours.columns]))
        got = ours.reindex(index=index, columns=cols, fill_value=0.0)
        exp = theirs.reindex(index=index, columns=cols, fill_value=0.0)
        bad = (got - exp).abs() > np.maximum(REL_TOL * exp.abs(), ABS_TOL)
        failures = [f"{side} {pid} {col}: ORE {exp.at[pid, col]:.6f}, ours {got.at[pid, col]:.6f}"
                    for pid, col in bad.stack()[bad.stack()].index]
        assert not failures, f"{len(failures)} mismatches, e.g. {failures[:5]}"
