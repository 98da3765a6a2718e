"""ORE set-up files and report reading (no ORE needed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import synthetic_crif
from imresearch.simm.ore import ORE_REQUIREMENT, ore_totals, write_ore_inputs


def test_writes_crif_and_settings(tmp_path: Path) -> None:
    crif = synthetic_crif(3, 50, seed=4)
    xml = write_ore_inputs(crif, tmp_path, "2.6", 1)
    text = xml.read_text()
    assert '<Parameter name="version">2.6</Parameter>' in text
    assert '<Parameter name="mporDays">1</Parameter>' in text
    assert "simmCalibration" not in text
    written = pd.read_csv(tmp_path / "crif.csv", keep_default_na=False)
    assert "collect_regulations" in written.columns and len(written) == len(crif)
    assert written["AmountUSD"].to_numpy() == pytest.approx(crif["AmountUSD"].to_numpy(),
                                                            rel=1e-15)
    for name in ("conventions.xml", "curveconfig.xml", "todaysmarket.xml", "pricingengine.xml"):
        assert (tmp_path / name).is_file()


def test_calibration_needed_for_versions_ore_cannot_build(tmp_path: Path) -> None:
    crif = synthetic_crif(1, 20, seed=1)
    with pytest.raises(InputError, match=r"pass calibration="):
        write_ore_inputs(crif, tmp_path, "2.8+2512")
    xml = write_ore_inputs(crif, tmp_path, "2.8+2512", calibration=tmp_path / "cal.xml")
    assert str((tmp_path / "cal.xml").resolve()) in xml.read_text()
    with pytest.raises(InputError, match="version"):
        write_ore_inputs(crif, tmp_path, "3.0")


def test_ore_totals_reads_one_side_per_portfolio() -> None:
    def row(portfolio: str, side: str, margin: float, pc: str = "All") -> dict:
        return {"Portfolio": portfolio, "ProductClass": pc, "RiskClass": "All",
                "MarginType": "All", "Bucket": "All", "SimmSide": side,
                "Regulation": "Unspecified", "InitialMargin": margin}

    report = pd.DataFrame([row("A", "Call", 3.0), row("A", "Call", 2.0, "Equity"),
                           row("B", "Call", 5.0), row("All", "Call", 8.0),
                           row("A", "Post", 7.0)])
    assert ore_totals(report).to_dict() == {"A": 3.0, "B": 5.0}
    assert ore_totals(report, "post").to_dict() == {"A": 7.0}
    assert ORE_REQUIREMENT.startswith("open-source-risk-engine")
