"""Helpers that turn the shared SIMM test vectors into CRIFs and compare results."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from imresearch.simm import RISK_CLASSES, SimmResult, simm
from imresearch.simm.crif import PRODUCT_CLASSES

UNIT_DIR = Path("tests") / "isda_simm_2.5_unit_tests"
SHARED_VERSIONS = ("2.5", "2.6", "2.7+2412", "2.8+2506", "2.8+2512")
"""Versions with reference tables and ORE oracle files in ``../shared/reference/simm``."""
PERIOD_MPOR = {"10d": 10, "1d": 1}


def unit_test_crif(simm_dir: Path) -> pd.DataFrame:
    """The 287 ISDA unit-test CRIF rows, indexed by SensitivityID."""
    path = simm_dir / UNIT_DIR / "simm_2.5_isda_unit_test_crif.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False).set_index("SensitivityID")


def unit_test_cases(simm_dir: Path) -> pd.DataFrame:
    """The 962 ISDA unit-test cases (481 at 10 days, 481 at 1 day)."""
    return pd.read_csv(simm_dir / UNIT_DIR / "simm_2.5_isda_unit_test_cases.csv")


def portfolio_crif(crif: pd.DataFrame, cases: pd.DataFrame) -> pd.DataFrame:
    """One CRIF of all cases: the rows listed in each case, with PortfolioID = TestID."""
    ids = cases["SensitivityIDs"].str.split(";")
    test_ids = cases["TestID"].repeat(ids.str.len()).to_numpy()
    rows = crif.loc[ids.explode().to_numpy()].reset_index()
    rows["PortfolioID"] = test_ids
    return rows


@functools.cache
def _period_crif(simm_dir: Path, period: str) -> tuple[pd.DataFrame, pd.Index]:
    cases = unit_test_cases(simm_dir)
    cases = cases[cases["Period"] == period]
    return portfolio_crif(unit_test_crif(simm_dir), cases), pd.Index(cases["TestID"])


def ore_view(result: SimmResult) -> pd.DataFrame:
    """Per portfolio: Total, MT_*, RC_*, PC_* columns as in ORE's oracle files."""
    b = result.breakdown
    key = result.group_by[0]
    pc_all = (b["RiskClass"] == "All") & (b["ProductClass"] != "All")
    mt = (
        b[pc_all & (b["MarginType"] != "All")]
        .groupby([key, "MarginType"])["InitialMargin"].sum().unstack(fill_value=0.0)
    )
    addon = b[(b["RiskClass"] == "All") & (b["MarginType"] == "AdditionalIM")].groupby(key)[
        "InitialMargin"
    ].sum()
    rc = (
        b[(b["RiskClass"] != "All") & (b["MarginType"] == "All") & (b["Bucket"] == "All")]
        .groupby([key, "RiskClass"])["InitialMargin"].sum().unstack(fill_value=0.0)
    )
    pc = (
        b[pc_all & b["MarginType"].isin(["All", "AdditionalIM"])]
        .groupby([key, "ProductClass"])["InitialMargin"].sum().unstack(fill_value=0.0)
    )
    out = pd.DataFrame({"Total": result.totals})
    for m in ("Delta", "Vega", "Curvature", "BaseCorr"):
        out[f"MT_{m}"] = mt[m] if m in mt else 0.0
    out["MT_AdditionalIM"] = addon
    for rc_name in RISK_CLASSES:
        out[f"RC_{rc_name}"] = rc[rc_name] if rc_name in rc else 0.0
    for pc_name in PRODUCT_CLASSES:
        out[f"PC_{pc_name}"] = pc[pc_name] if pc_name in pc else 0.0
    return out.fillna(0.0)


def run_cases(simm_dir: Path, version: str, period: str, side: str) -> pd.DataFrame:
    """ORE-style view of every unit-test portfolio of one period, in one vectorised call."""
    big, test_ids = _period_crif(simm_dir, period)
    result = simm(big, version=version, mpor_days=PERIOD_MPOR[period], side=side,
                  group_by="PortfolioID")
    return ore_view(result).reindex(test_ids).fillna(0.0)
