"""ISDA SIMM of 1,000 portfolios x 1,000 CRIF rows (1,000,000 rows) in one grouped call.

CRIF: :func:`imresearch.simm.synthetic_crif` (seeded): IR delta across 20 currencies, 12 tenors
and 7 sub-curves, inflation, cross-currency basis, IR / inflation vega (so IR curvature), credit
qualifying and non-qualifying delta and vega, base correlation, equity and commodity delta and
vega, FX delta and vega, and add-on rows (product-class multipliers, notional factors with
notionals, fixed amounts) in some portfolios. SIMM 2.8+2506 (the newest version ORE 1.8.17 builds
without a calibration file), 10-day, USD.

Engine: ``imresearch.simm.simm(crif, group_by="PortfolioID")`` on the CRIF DataFrame (validation,
netting, every margin, the breakdown tree), Call side.
Baseline: ORE (Open Source Risk Engine, ``pip install open-source-risk-engine``), its SIMM
analytic on the same CRIF written as ORE's CRIF file (written once, outside the timing; ORE's own
CSV parsing is timed, as the engine's validation is). ORE always computes the Call and the Post
side. Without ORE installed the baseline falls back to a loop of the engine over portfolios (the
record's ``params["baseline"]`` says which ran); that is a fallback, not a peer.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from importlib import metadata

import numpy as np
import pandas as pd

from imresearch.simm import SimmResult, simm, synthetic_crif
from imresearch.simm.ore import ore_available, ore_totals, run_ore, write_ore_inputs

VERSION = "2.8+2506"
MPOR_DAYS = 10
SEED = 20_240_611
REL_TOL = 1e-6


def _baseline_name() -> str:
    if ore_available():
        return (f"ORE {metadata.version('open-source-risk-engine')} SIMM analytic "
                f"(Call and Post, from its CRIF file)")
    return "loop of imresearch.simm.simm over portfolios (fallback: ORE not installed)"


def params(quick: bool) -> dict:
    return {"portfolios": 20 if quick else 1_000, "rows_per_portfolio": 1_000,
            "version": VERSION, "mpor_days": MPOR_DAYS, "side": "call",
            "baseline": _baseline_name()}


def setup(quick: bool) -> dict:
    p = params(quick)
    crif = synthetic_crif(p["portfolios"], p["rows_per_portfolio"], seed=SEED)
    return {"crif": crif, "ore_xml": None}


def engine(ctx: dict) -> SimmResult:
    return simm(ctx["crif"], VERSION, MPOR_DAYS, "call", group_by="PortfolioID")


def baseline(ctx: dict) -> pd.Series:
    if not ore_available():
        crif = ctx["crif"]
        return pd.Series({pid: simm(part, VERSION, MPOR_DAYS, "call").total
                          for pid, part in crif.groupby("PortfolioID", sort=False)})
    if ctx["ore_xml"] is None:  # first (warm-up) call: write ORE's inputs once
        folder = tempfile.mkdtemp(prefix="bench-simm-ore-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        ctx["ore_xml"] = write_ore_inputs(ctx["crif"], folder, VERSION, MPOR_DAYS)
    return ore_totals(run_ore(ctx["ore_xml"]), "call")


def check(engine_result: SimmResult, baseline_result: pd.Series) -> None:
    ours = engine_result.totals
    assert set(ours.index) == set(baseline_result.index), "different portfolios"
    theirs = baseline_result.reindex(ours.index).to_numpy()
    rel = np.abs(ours.to_numpy() - theirs) / np.maximum(np.abs(theirs), 1.0)
    assert rel.max() <= REL_TOL, f"max relative difference {rel.max():.3e} > {REL_TOL}"
