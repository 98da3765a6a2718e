"""SIMM from ORE (Open Source Risk Engine) on the same CRIF, for side-by-side validation.

ORE's Python package (``pip install open-source-risk-engine``; module ``ORE``) contains a SIMM
analytic. :func:`ore_simm` writes a validated CRIF and a minimal ORE set-up (no market, no trades:
amounts are taken from ``AmountUSD`` and the calculation currency is USD) to a temporary folder,
runs ORE's ``simm`` analytic with regulations not enforced, and returns ORE's ``simm`` report with
full double precision. :func:`ore_totals` reads the per-portfolio totals of one side from it.

ORE 1.8.17.0 has built-in configurations for every SIMM version from 1.0 to 2.8+2506 (it names 2.4,
2.6 and 2.7 also "2.3.8", "2.5.6" and "2.6.5", and computes only 10-day SIMM before 2.2); for
2.8+2512 its analytic needs the calibration file (``simmcalibration_2.8+2512.xml`` from ORE's
``Configurations/SIMM``), passed as ``calibration``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_choice
from imresearch.simm.crif import read_crif
from imresearch.simm.versions import VERSIONS, canonical_version

__all__ = ["ORE_REQUIREMENT", "ore_available", "ore_simm", "ore_totals", "run_ore",
           "write_ore_inputs"]

ORE_REQUIREMENT = "open-source-risk-engine>=1.8.17"
"""pip requirement of ORE's Python package (module ``ORE``)."""
ORE_BUILTIN_VERSIONS: tuple[str, ...] = VERSIONS[:VERSIONS.index("2.8+2506") + 1]
"""SIMM versions ORE 1.8.17 can build without a calibration file (1.0 to 2.8+2506)."""

_ORE_XML = """<?xml version="1.0"?>
<ORE>
  <Setup>
    <Parameter name="asofDate">2025-01-02</Parameter>
    <Parameter name="inputPath">{folder}</Parameter>
    <Parameter name="outputPath">{folder}/out</Parameter>
    <Parameter name="logFile">log.txt</Parameter>
    <Parameter name="logMask">7</Parameter>
    <Parameter name="marketDataFile">market.txt</Parameter>
    <Parameter name="fixingDataFile">fixings.txt</Parameter>
    <Parameter name="implyTodaysFixings">N</Parameter>
    <Parameter name="curveConfigFile">curveconfig.xml</Parameter>
    <Parameter name="conventionsFile">conventions.xml</Parameter>
    <Parameter name="marketConfigFile">todaysmarket.xml</Parameter>
    <Parameter name="pricingEnginesFile">pricingengine.xml</Parameter>
    <Parameter name="portfolioFile"></Parameter>
    <Parameter name="observationModel">None</Parameter>
  </Setup>
  <Markets/>
  <Analytics>
    <Analytic type="simm">
      <Parameter name="active">Y</Parameter>
      <Parameter name="version">{version}</Parameter>
      <Parameter name="crif">crif.csv</Parameter>{calibration}
      <Parameter name="calculationCurrency">USD</Parameter>
      <Parameter name="enforceIMRegulations">N</Parameter>
      <Parameter name="writeIntermediateReports">N</Parameter>
      <Parameter name="mporDays">{mpor}</Parameter>
    </Analytic>
  </Analytics>
</ORE>
"""
_EMPTY_FILES = {
    "market.txt": "",
    "fixings.txt": "",
    "curveconfig.xml": "<CurveConfiguration/>",
    "conventions.xml": "<Conventions/>",
    "todaysmarket.xml": '<TodaysMarket><Configuration id="default"/></TodaysMarket>',
    "pricingengine.xml": "<PricingEngines/>",
}
_ORE_COLUMNS = {
    "TradeID": "TradeID",
    "PortfolioID": "PortfolioID",
    "ProductClass": "ProductClass",
    "RiskType": "RiskType",
    "Qualifier": "Qualifier",
    "Bucket": "Bucket",
    "Label1": "Label1",
    "Label2": "Label2",
    "Amount": "Amount",
    "AmountCurrency": "AmountCurrency",
    "AmountUSD": "AmountUSD",
    "IMModel": "IMModel",
    "CollectRegulations": "collect_regulations",
    "PostRegulations": "post_regulations",
}


def ore_available() -> bool:
    """Whether ORE's Python package (module ``ORE``) can be imported."""
    try:
        import ORE  # noqa: F401
    except ImportError:
        return False
    return True


def _report_frame(report: object) -> pd.DataFrame:
    """An ORE in-memory report as a DataFrame (column types as ORE reports them)."""
    data = {}
    for j in range(report.columns()):  # type: ignore[attr-defined]
        kind = report.columnType(j)  # type: ignore[attr-defined]
        name = report.header(j)  # type: ignore[attr-defined]
        if kind == 1:
            data[name] = np.asarray(report.dataAsReal(j), dtype=np.float64)  # type: ignore[attr-defined]
        elif kind == 0:
            data[name] = np.asarray(report.dataAsSize(j), dtype=np.int64)  # type: ignore[attr-defined]
        else:
            data[name] = list(report.dataAsString(j))  # type: ignore[attr-defined]
    return pd.DataFrame(data)


def write_ore_inputs(
    crif: str | os.PathLike[str] | pd.DataFrame,
    folder: str | os.PathLike[str],
    version: str = "2.8+2506",
    mpor_days: int = 10,
    *,
    calibration: str | os.PathLike[str] | None = None,
) -> Path:
    """Write a CRIF and a minimal ORE SIMM set-up into ``folder``; return the ``ore.xml`` path.

    Parameters are those of :func:`ore_simm`; ``folder`` must exist. :func:`run_ore` runs it.
    """
    version = canonical_version(version)
    mpor = check_choice("mpor_days", int(mpor_days), (10, 1))
    if calibration is None and version not in ORE_BUILTIN_VERSIONS:
        raise InputError(f"ORE cannot build SIMM {version} by itself: pass calibration= the "
                         f"path of simmcalibration_{version}.xml")
    folder = Path(folder).resolve()
    table = read_crif(crif, version=version)
    (folder / "out").mkdir(exist_ok=True)
    for name, text in _EMPTY_FILES.items():
        (folder / name).write_text(text)
    table[list(_ORE_COLUMNS)].rename(columns=_ORE_COLUMNS).to_csv(
        folder / "crif.csv", index=False, float_format="%.17g")
    cal = "" if calibration is None else (
        f'\n      <Parameter name="simmCalibration">{Path(calibration).resolve()}</Parameter>')
    path = folder / "ore.xml"
    path.write_text(_ORE_XML.format(folder=folder, version=version, mpor=mpor, calibration=cal))
    return path


def run_ore(ore_xml: str | os.PathLike[str]) -> pd.DataFrame:
    """Run ORE on an ``ore.xml`` written by :func:`write_ore_inputs`; return its SIMM report.

    Raises
    ------
    ImportError
        If ORE's Python package is not installed.
    RuntimeError
        If ORE fails or produces no SIMM report.
    """
    try:
        import ORE
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(f"ORE's Python package is needed: pip install "
                          f"{ORE_REQUIREMENT!r}") from exc
    params = ORE.Parameters()
    params.fromFile(str(ore_xml))
    app = ORE.OREApp(params, False)
    app.run()
    if "simm" not in list(app.getReportNames()):
        errors = list(app.getErrors())
        raise RuntimeError(f"ORE produced no SIMM report: {errors or 'see the ORE log'}")
    return _report_frame(app.getReport("simm"))


def ore_simm(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str = "2.8+2506",
    mpor_days: int = 10,
    *,
    calibration: str | os.PathLike[str] | None = None,
) -> pd.DataFrame:
    """ORE's SIMM report of a CRIF, both sides, one row per node of ORE's margin tree.

    Parameters
    ----------
    crif : path-like or DataFrame
        CRIF (validated by :func:`~imresearch.simm.crif.read_crif`; ``AmountUSD`` must be
        filled, since ORE gets no FX market). Each PortfolioID is a netting set.
    version : str, default "2.8+2506"
        SIMM version (ORE naming, as :data:`~imresearch.simm.parameters.VERSIONS`).
    mpor_days : {10, 1}, default 10
        Margin period of risk.
    calibration : path-like, optional
        ORE SIMM calibration XML for ``version`` (required for versions ORE cannot build,
        such as ``"2.8+2512"`` in ORE 1.8.17).

    Returns
    -------
    DataFrame
        ORE's ``simm`` report: ``Portfolio, ProductClass, RiskClass, MarginType, Bucket,
        SimmSide ("Call"/"Post"), Regulation, InitialMargin, Currency, CalculationCurrency``.
        ``Portfolio == "All"`` rows hold the sum over portfolios.

    Raises
    ------
    ImportError
        If ORE's Python package is not installed (``pip install open-source-risk-engine``).
    InputError
        For an invalid CRIF, an unknown version or MPOR, or a version ORE cannot build without a
        calibration file.
    RuntimeError
        If ORE fails.
    """
    if not ore_available():  # pragma: no cover - depends on the environment
        raise ImportError(f"ore_simm needs ORE's Python package: pip install "
                          f"{ORE_REQUIREMENT!r}")
    with tempfile.TemporaryDirectory(prefix="imresearch-ore-") as tmp:
        xml = write_ore_inputs(crif, tmp, version, mpor_days, calibration=calibration)
        return run_ore(xml)


def ore_totals(report: pd.DataFrame, side: str = "call") -> pd.Series:
    """Per-portfolio SIMM totals of one side from an :func:`ore_simm` report.

    Parameters
    ----------
    report : DataFrame
        Output of :func:`ore_simm`.
    side : {"call", "post"}, default "call"

    Returns
    -------
    Series
        Total initial margin per ``Portfolio`` (the ``"All"`` row excluded).
    """
    side_l = check_choice("side", str(side).lower(), ("call", "post"))
    rows = report[(report["SimmSide"].str.lower() == side_l)
                  & (report["ProductClass"] == "All") & (report["RiskClass"] == "All")
                  & (report["MarginType"] == "All") & (report["Bucket"] == "All")
                  & (report["Portfolio"] != "All")]
    return rows.set_index("Portfolio")["InitialMargin"].rename_axis("PortfolioID")
