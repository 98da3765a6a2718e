"""Transcribe ISDA SIMM figures from ORE's source into imresearch's parameter files.

ISDA's published SIMM figures (risk weights, correlations, concentration thresholds, historical
volatility ratios, currency groups) are facts. The Open Source Risk Engine (ORE,
github.com/OpenSourceRisk/Engine, Modified BSD) carries them for every version since 1.0: as
calibration XML files (``Configurations/SIMM/simmcalibration_<version>.xml``, SIMM 2.2 onwards)
and as tables in C++ constructors (``OREAnalytics/orea/simm/simmconfigurationisdav*.cpp`` and
``simmconcentrationisdav*.cpp``, every version). This script reads those tables (it runs no ORE
code and copies none) and writes ``imresearch/simm/params/<version>.toml`` in the project's own
layout, with the version's dates, calibration windows and sources from :data:`META`.

Usage (from the repository root, with a clone or bare mirror of ORE)::

    python tools/simm_params_from_ore.py /path/to/Engine [--calibration-2.8+2512 FILE] [--check]

``--check`` compares the figures with the files already in ``imresearch/simm/params`` instead of
writing them (the version files are then the reviewed record; the tests in ``tests/simm`` check
every figure against ORE's live SIMM engine).
"""

from __future__ import annotations

import argparse
import ast
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

TENORS = ["2w", "1m", "3m", "6m", "1y", "2y", "3y", "5y", "10y", "15y", "20y", "30y"]
CREDIT_TENORS = ["1y", "2y", "3y", "5y", "10y"]
RISK_CLASSES = ["InterestRate", "CreditQualifying", "CreditNonQualifying", "Equity", "Commodity",
                "FX"]
FX_VEGA_PAIRS = ["1-1", "1-2", "1-3", "2-2", "2-3", "3-3"]
ALL_RISK_TYPES = [
    "Risk_IRCurve", "Risk_Inflation", "Risk_XCcyBasis", "Risk_IRVol", "Risk_InflationVol",
    "Risk_CreditQ", "Risk_CreditVol", "Risk_BaseCorr", "Risk_CreditNonQ", "Risk_CreditVolNonQ",
    "Risk_Equity", "Risk_EquityVol", "Risk_Commodity", "Risk_CommodityVol", "Risk_FX",
    "Risk_FXVol", "Param_ProductClassMultiplier", "Param_AddOnNotionalFactor", "Notional",
    "Param_AddOnFixedAmount",
]
_ORE_RT = {  # ORE's RiskType enum -> CRIF RiskType
    "IRCurve": "Risk_IRCurve", "Inflation": "Risk_Inflation", "XCcyBasis": "Risk_XCcyBasis",
    "IRVol": "Risk_IRVol", "InflationVol": "Risk_InflationVol", "CreditQ": "Risk_CreditQ",
    "CreditVol": "Risk_CreditVol", "BaseCorr": "Risk_BaseCorr", "CreditNonQ": "Risk_CreditNonQ",
    "CreditVolNonQ": "Risk_CreditVolNonQ", "Equity": "Risk_Equity", "EquityVol": "Risk_EquityVol",
    "Commodity": "Risk_Commodity", "CommodityVol": "Risk_CommodityVol", "FX": "Risk_FX",
    "FXVol": "Risk_FXVol", "ProductClassMultiplier": "Param_ProductClassMultiplier",
    "AddOnNotionalFactor": "Param_AddOnNotionalFactor", "Notional": "Notional",
    "AddOnFixedAmount": "Param_AddOnFixedAmount", "PV": None,
}

# --------------------------------------------------------------------------------------------
# Dates, calibration windows and sources of each version (facts from ISDA's announcements and
# the sources named; "inferred" marks a date no source states, see imresearch/simm/params/README)
# --------------------------------------------------------------------------------------------
_GFC = ["2008-09-13", "2009-06-12"]
_ANN = "ISDA announcement"
META: dict[str, dict[str, Any]] = {
    "1.0": dict(
        isda_name="ISDA SIMM Methodology, version R1.0 (based on v3.15)", aliases=["R1.0"],
        effective_date="2016-09-01", in_force=True, mpor_days=[10],
        recent=["2013-01-01", "2015-12-31"], recent_basis="inferred",
        stress=_GFC, stress_basis="inferred",
        source=("ORE SimmConfiguration_ISDA_V1_0 and SimmConcentrationBase (no thresholds)",
                "first use 1 September 2016: BCBS-IOSCO phase-in and ISDA, 'SIMM: From "
                "Principles to Model Specification' (3 March 2016)")),
    "1.3": dict(
        isda_name="ISDA SIMM Methodology, version R1.3 (based on v3.29: 1 April 2017)",
        aliases=["R1.3"], effective_date="2017-04-01", in_force=True, mpor_days=[10],
        recent=["2013-01-01", "2015-12-31"], recent_basis="inferred (R1.0 figures kept)",
        stress=_GFC, stress_basis="inferred",
        source=("ORE SimmConfiguration_ISDA_V1_3 (R1.0 figures plus cross-currency basis, "
                "inflation volatility, base correlation, add-ons) and SimmConcentration_ISDA_V1_3",
                "effective date as the methodology document states it (ORE's transcription)")),
    "1.3.38": dict(
        isda_name="ISDA SIMM Methodology, draft v3.38 (24 May 2017) of version 2.0",
        aliases=[], effective_date="2017-05-24", in_force=False, mpor_days=[10],
        recent=["2014-01-01", "2016-12-31"], recent_basis="inferred (as 2.0)",
        stress=_GFC, stress_basis="inferred",
        source=("ORE SimmConfiguration_ISDA_V1_3_38 and SimmConcentration_ISDA_V1_3_38: the "
                "recalibration later published as 2.0; never in force (the date is the "
                "document's)",)),
    "2.0": dict(
        isda_name="ISDA SIMM Methodology, version 2.0 (based on v1.3.44: 26 July 2017)",
        aliases=[], effective_date="2017-12-04", in_force=True, mpor_days=[10],
        recent=["2014-01-01", "2016-12-31"], recent_basis="inferred (annual cycle: data to "
        "the end of the year before the effective year; risk.net, 'Why Isda ditched "
        "off-cycle updates for Simm', 2023)",
        stress=_GFC, stress_basis="inferred",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM 2.0', 6 September 2017",
                "ORE SimmConfiguration_ISDA_V2_0 and SimmConcentration_ISDA_V2_0")),
    "2.1": dict(
        isda_name="ISDA SIMM Methodology, version 2.1 (based on v2.0.6: 10 July 2018)",
        aliases=[], effective_date="2018-12-01", in_force=True, mpor_days=[10],
        recent=["2015-01-01", "2017-12-31"], recent_basis="inferred (annual cycle)",
        stress=_GFC, stress_basis="inferred",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM 2.1', 27 August 2018",
                "ORE SimmConfiguration_ISDA_V2_1 and SimmConcentration_ISDA_V2_1")),
    "2.2": dict(
        isda_name="ISDA SIMM Methodology, version 2.2", aliases=["2.1.16"],
        effective_date="2019-12-01", in_force=True, mpor_days=[10, 1],
        recent=["2016-01-01", "2018-12-31"], recent_basis="inferred (annual cycle)",
        stress=_GFC, stress_basis="inferred",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM v2.2', 3 September 2019",
                "ORE Configurations/SIMM/simmcalibration_2.2.xml")),
    "2.3": dict(
        isda_name="ISDA SIMM Methodology, version 2.3", aliases=[],
        effective_date="2020-12-05", in_force=True, mpor_days=[10, 1],
        recent=["2017-01-01", "2019-12-31"],
        recent_basis="Clarus FT, 'ISDA SIMM v2.3 - What's Changed?' (3 years ending Dec 2019)",
        stress=_GFC, stress_basis="Clarus FT (2008 GFC); exact dates as 2.4 (inferred)",
        source=("Clarus FT, 'ISDA SIMM v2.3 - What's Changed?' (effective 5 December 2020)",
                "ORE Configurations/SIMM/simmcalibration_2.3.xml")),
    "2.4": dict(
        isda_name="ISDA SIMM Methodology, version 2.4", aliases=["2.3.8"],
        effective_date="2021-12-04", in_force=True, mpor_days=[10, 1],
        recent=["2018-01-01", "2020-12-31"],
        recent_basis="Clarus FT, 'ISDA SIMM v2.4 - Covid Calibration and More' (3 years ending "
        "Dec 2020)",
        stress=_GFC, stress_basis="ORE simmcalibration_2.4.xml AdditionalFields",
        source=("ORE Configurations/SIMM/simmcalibration_2.4.xml (SIMM_EffectiveDate "
                "2021-12-04)", "Clarus FT, 'ISDA SIMM v2.4 - Covid Calibration and More'")),
    "2.5": dict(
        isda_name="ISDA SIMM Methodology, version 2.5", aliases=[],
        effective_date="2022-12-03", in_force=True, mpor_days=[10, 1],
        recent=["2019-01-01", "2021-12-31"],
        recent_basis="Clarus FT, 'ISDA SIMM v2.5a the first off-cycle release' (2019-2021)",
        stress=_GFC, stress_basis="ORE simmcalibration_2.5.xml AdditionalFields; Clarus FT "
        "(Sep-08 to Jun-09)",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM v2.5', 7 September 2022",
                "ORE Configurations/SIMM/simmcalibration_2.5.xml")),
    "2.5A": dict(
        isda_name="ISDA SIMM Methodology, version 2.5A", aliases=["2.5a"],
        effective_date="2023-07-15", in_force=True, mpor_days=[10, 1],
        recent=["2020-01-01", "2022-12-31"], recalibrated=["InterestRate"],
        recent_basis="inferred: off-cycle recalibration of the main IR delta weights after the "
        "4Q 2022 rates volatility (Clarus FT, 23 May 2023); other figures as 2.5",
        stress=_GFC, stress_basis="ORE simmcalibration_2.5A.xml AdditionalFields",
        source=(f"{_ANN} 'ISDA publishes ISDA SIMM Methodology, version 2.5A', 5 May 2023",
                "ORE Configurations/SIMM/simmcalibration_2.5A.xml")),
    "2.6": dict(
        isda_name="ISDA SIMM Methodology, version 2.6", aliases=["2.5.6"],
        effective_date="2023-12-02", in_force=True, mpor_days=[10, 1],
        recent=["2020-01-01", "2022-12-31"], recent_basis="inferred (annual cycle)",
        stress=_GFC, stress_basis="ORE simmcalibration_2.6.xml AdditionalFields",
        source=("ORE Configurations/SIMM/simmcalibration_2.6.xml (SIMM_EffectiveDate "
                "2023-12-02)",)),
    "2.7": dict(
        isda_name="ISDA SIMM Methodology, version 2.7", aliases=["2.6.5"],
        effective_date="2024-12-07", in_force=True, mpor_days=[10, 1],
        recent=["2021-01-01", "2023-12-31"], recent_basis="inferred (annual cycle)",
        stress=["2008-09-06", "2009-09-05"],
        stress_basis="ORE simmcalibration_2.7.xml AdditionalFields",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM Methodology, Version 2.7', 19 September 2024",
                "ORE Configurations/SIMM/simmcalibration_2.7.xml")),
    "2.7+2412": dict(
        isda_name="ISDA SIMM Methodology, version 2.7+2412", aliases=[],
        effective_date="2025-07-12", in_force=True, mpor_days=[10, 1],
        recent=["2022-01-01", "2024-12-31"],
        recent_basis="version name: calibration on data to December 2024",
        stress=["2008-09-16", "2009-06-15"],
        stress_basis="ORE simmcalibration_2.7+2412.xml AdditionalFields",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM Methodology, Version 2.7+2412', 22 May 2025",
                "ORE Configurations/SIMM/simmcalibration_2.7+2412.xml")),
    "2.8+2506": dict(
        isda_name="ISDA SIMM Methodology, version 2.8+2506", aliases=[],
        effective_date="2025-12-06", in_force=True, mpor_days=[10, 1],
        recent=["2022-07-01", "2025-06-30"],
        recent_basis=f"{_ANN} (31 October 2025): data up to 30 June 2025",
        stress=_GFC, stress_basis="ORE simmcalibration_2.8+2506.xml AdditionalFields",
        source=(f"{_ANN} 'ISDA Publishes ISDA SIMM Methodology, Version 2.8+2506', "
                "31 October 2025", "ORE Configurations/SIMM/simmcalibration_2.8+2506.xml")),
    "2.8+2512": dict(
        isda_name="ISDA SIMM Methodology, version 2.8+2512", aliases=[],
        effective_date="2026-07-11", in_force=True, mpor_days=[10, 1],
        recent=["2023-01-01", "2025-12-31"],
        recent_basis="version name: calibration on data to December 2025",
        stress=["2008-09-30", "2009-09-29"],
        stress_basis="ORE simmcalibration_2.8+2512.xml AdditionalFields",
        source=("ORE simmcalibration_2.8+2512.xml, commit 4777eef7 ('SIMM ISDA 2.8+2512 "
                "(11 July 2026)')",)),
}

#: version -> (kind, ORE file stem)
ORE_SOURCES: dict[str, tuple[str, str]] = {
    "1.0": ("cpp", "1_0"), "1.3": ("cpp", "1_3"), "1.3.38": ("cpp", "1_3_38"),
    "2.0": ("cpp", "2_0"), "2.1": ("cpp", "2_1"),
    "2.2": ("xml", "2.2"), "2.3": ("xml", "2.3"), "2.4": ("xml", "2.4"), "2.5": ("xml", "2.5"),
    "2.5A": ("xml", "2.5A"), "2.6": ("xml", "2.6"), "2.7": ("xml", "2.7"),
    "2.7+2412": ("xml", "2.7+2412"), "2.8+2506": ("xml", "2.8+2506"),
    "2.8+2512": ("xml", "2.8+2512"),
}


# --------------------------------------------------------------------------------------------
# reading ORE's repository (a work tree or a bare mirror)
# --------------------------------------------------------------------------------------------
class OreSource:
    def __init__(self, root: Path, extra: dict[str, Path]) -> None:
        self.root = root
        self.extra = extra
        self.bare = not (root / "OREAnalytics").is_dir()

    def read(self, path: str) -> str:
        if self.bare:
            return subprocess.run(["git", "-C", str(self.root), "show", f"HEAD:{path}"],
                                  check=True, capture_output=True, text=True).stdout
        return (self.root / path).read_text()

    def xml(self, stem: str) -> ET.Element:
        if stem in self.extra:
            return ET.parse(self.extra[stem]).getroot()
        return ET.fromstring(self.read(f"Configurations/SIMM/simmcalibration_{stem}.xml"))

    def cpp(self, kind: str, stem: str) -> str:
        return self.read(f"OREAnalytics/orea/simm/simm{kind}isdav{stem}.cpp")


# --------------------------------------------------------------------------------------------
# XML calibration files (2.2 onwards)
# --------------------------------------------------------------------------------------------
def _num(text: str | None) -> float:
    value = float(str(text).strip())
    return int(value) if value.is_integer() else value


def _currency_lists(node: ET.Element | None) -> tuple[dict[str, list[str]], str]:
    groups: dict[str, list[str]] = {}
    default = ""
    for c in (node if node is not None else []):
        if c.text == "Other":
            default = c.attrib["bucket"]
        else:
            groups.setdefault(c.attrib["bucket"], []).append(str(c.text))
    return {g: sorted(v) for g, v in sorted(groups.items())}, default


def _weights(parent: ET.Element, tag: str, mpor: int) -> ET.Element:
    for node in parent.findall(tag):
        if node.attrib.get("mporDays", "10") == str(mpor):
            return node
    raise KeyError(f"{tag} mporDays={mpor}")


def _by_bucket(node: ET.Element, buckets: list[str] | None = None) -> dict[str, Any]:
    items = {w.attrib["bucket"]: _num(w.text) for w in node if "bucket" in w.attrib}
    if not items:  # one weight for every bucket
        flat = _num(node[0].text)
        return {b: flat for b in (buckets or [])}
    return items


def _matrix(pairs: dict[tuple[str, str], float], order: list[str]) -> list[list[float]]:
    return [[1 if a == b else pairs[(a, b)] if (a, b) in pairs else pairs[(b, a)]
             for b in order] for a in order]


def from_xml(root: ET.Element, mpors: list[int]) -> dict[str, Any]:
    cal = root.find("SIMMCalibration")
    assert cal is not None
    out: dict[str, Any] = {}
    rcc = {(c.attrib["label1"], c.attrib["label2"]): _num(c.text)
           for c in cal.find("RiskClassCorrelations")}  # type: ignore[union-attr]
    out["risk_class_correlation"] = {"order": RISK_CLASSES,
                                     "matrix": _matrix(rcc, RISK_CLASSES)}

    # interest rates
    ir = cal.find("InterestRate")
    rw, corr, conc = ir.find("RiskWeights"), ir.find("Correlations"), ir.find(
        "ConcentrationThresholds")
    wg, wdef = _currency_lists(rw.find("CurrencyLists"))
    cg, cdef = _currency_lists(conc.find("CurrencyLists"))
    tc = {(c.attrib["label1"], c.attrib["label2"]): _num(c.text)
          for c in corr.find("IntraBucket")}
    d = {
        "tenors": TENORS,
        "tenor_correlation": _matrix(tc, TENORS),
        "sub_curve_correlation": _num(corr.findtext("SubCurves")),
        "inflation_correlation": _num(corr.findtext("Inflation")),
        "xccy_basis_correlation": _num(corr.findtext("XCcyBasis")),
        "currency_correlation": _num(corr.findtext("Outer")),
        "weight_group_default": wdef, "weight_groups": wg,
        "concentration_group_default": cdef, "concentration_groups": cg,
        "delta_threshold": _by_bucket(conc.find("Delta")),
        "vega_threshold": _by_bucket(conc.find("Vega")),
    }
    for m in mpors:
        delta = _weights(rw, "Delta", m)
        table: dict[str, list[float]] = {}
        for w in delta:
            table.setdefault(w.attrib["bucket"], [0.0] * 12)[TENORS.index(w.attrib["label1"])] = \
                _num(w.text)
        d[f"mpor{m}"] = {
            "hvr": _num(_weights(rw, "HistoricalVolatilityRatio", m).text),
            "inflation_weight": _num(_weights(rw, "Inflation", m).text),
            "xccy_basis_weight": _num(_weights(rw, "XCcyBasis", m).text),
            "vega_weight": _num(_weights(rw, "Vega", m)[0].text),
            "delta_weight": table,
        }
    out["InterestRate"] = d

    # credit
    for rc in ("CreditQualifying", "CreditNonQualifying"):
        node = cal.find(rc)
        rw, corr, conc = node.find("RiskWeights"), node.find("Correlations"), node.find(
            "ConcentrationThresholds")
        intra = {(c.attrib["label1"], c.attrib["label2"]): _num(c.text)
                 for c in corr.find("IntraBucket")}
        buckets = [w.attrib["bucket"] for w in _weights(rw, "Delta", 10)]
        order = [b for b in buckets if b != "Residual"]
        inter = {(c.attrib["label1"], c.attrib["label2"]): _num(c.text)
                 for c in corr.find("InterBucket")}
        d = {
            "buckets": buckets, "tenors": CREDIT_TENORS,
            "same_issuer_correlation": intra[("aggregate", "same")],
            "different_issuer_correlation": intra[("aggregate", "different")],
            "residual_same_issuer_correlation": intra[("residual", "same")],
            "residual_different_issuer_correlation": intra[("residual", "different")],
        }
        if corr.find("BaseCorrelation") is not None:
            d["base_correlation_correlation"] = _num(corr.findtext("BaseCorrelation"))
        d["bucket_order"] = order
        d["bucket_correlation"] = _matrix(inter, order)
        d["delta_threshold"] = _by_bucket(conc.find("Delta"))
        d["vega_threshold"] = _num(conc.find("Vega")[0].text)
        for m in mpors:
            sect = {"delta_weight": _by_bucket(_weights(rw, "Delta", m)),
                    "vega_weight": _num(_weights(rw, "Vega", m)[0].text)}
            if rw.find("BaseCorrelation") is not None:
                sect["base_correlation_weight"] = _num(_weights(rw, "BaseCorrelation", m).text)
            d[f"mpor{m}"] = sect
        out[rc] = d

    # equity and commodity
    for rc in ("Equity", "Commodity"):
        node = cal.find(rc)
        rw, corr, conc = node.find("RiskWeights"), node.find("Correlations"), node.find(
            "ConcentrationThresholds")
        buckets = [w.attrib["bucket"] for w in _weights(rw, "Delta", 10)]
        order = [b for b in buckets if b != "Residual"]
        intra = {c.attrib["bucket"]: _num(c.text) for c in corr.find("IntraBucket")}
        if "Residual" in buckets:
            intra.setdefault("Residual", 0)
        inter = {(c.attrib["label1"], c.attrib["label2"]): _num(c.text)
                 for c in corr.find("InterBucket")}
        d = {"buckets": buckets, "intra_correlation": {b: intra[b] for b in buckets},
             "bucket_order": order, "bucket_correlation": _matrix(inter, order),
             "delta_threshold": _by_bucket(conc.find("Delta"), buckets),
             "vega_threshold": _by_bucket(conc.find("Vega"), buckets)}
        for m in mpors:
            d[f"mpor{m}"] = {
                "hvr": _num(_weights(rw, "HistoricalVolatilityRatio", m).text),
                "delta_weight": _by_bucket(_weights(rw, "Delta", m), buckets),
                "vega_weight": _by_bucket(_weights(rw, "Vega", m), buckets),
            }
        out[rc] = d

    # FX
    node = cal.find("FX")
    rw, corr, conc = node.find("RiskWeights"), node.find("Correlations"), node.find(
        "ConcentrationThresholds")
    vg, vdef = _currency_lists(rw.find("CurrencyLists"))
    cg, cdef = _currency_lists(conc.find("CurrencyLists"))
    groups = sorted({*vg, vdef})
    fxc: dict[str, dict[tuple[str, str], float]] = {}
    for c in corr.find("IntraBucket"):
        fxc.setdefault(c.attrib["bucket"], {})[(c.attrib["label1"], c.attrib["label2"])] = \
            _num(c.text)
    vega_thr = [_num(t.text) for t in conc.find("Vega")]
    d = {"vol_group_default": vdef, "vol_groups": vg, "vol_group_order": groups,
         "vega_correlation": _num(corr.findtext("Volatility")),
         "concentration_group_default": cdef, "concentration_groups": cg,
         "delta_threshold": _by_bucket(conc.find("Delta")),
         "vega_threshold": dict(zip(FX_VEGA_PAIRS, vega_thr, strict=True)),
         "correlation": {g: [[fxc[g][(a, b)] for b in groups] for a in groups] for g in groups}}
    for m in mpors:
        wt = {(w.attrib["label1"], w.attrib["label2"]): _num(w.text)
              for w in _weights(rw, "Delta", m)}
        d[f"mpor{m}"] = {
            "hvr": _num(_weights(rw, "HistoricalVolatilityRatio", m).text),
            "delta_weight": [[wt[(a, b)] for b in groups] for a in groups],
            "vega_weight": _num(_weights(rw, "Vega", m)[0].text),
        }
    out["FX"] = d
    return out


# --------------------------------------------------------------------------------------------
# C++ configuration classes (1.0 to 2.1)
# --------------------------------------------------------------------------------------------
def _block(text: str, start: int) -> str:
    """The balanced ``{ ... }`` block starting at or after ``start``."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j + 1]
    raise ValueError("unbalanced braces")


def _literal(block: str) -> Any:
    code = re.sub(r"//[^\n]*", "", block)
    code = re.sub(r"(?:CrifRecord::)?RiskType::(\w+)", r'"\1"', code)
    code = code.replace("{", "[").replace("}", "]")
    return ast.literal_eval(code)


def _assign(text: str, name: str) -> Any | None:
    """Value of ``name = { ... };`` (the last assignment), or None."""
    hits = list(re.finditer(rf"(?<![\w.]){re.escape(name)}\s*=\s*\{{", text))
    if not hits:
        return None
    return _literal(_block(text, hits[-1].start()))


def _scalar(text: str, name: str) -> float | None:
    hits = re.findall(rf"(?<![\w.]){re.escape(name)}\s*=\s*(-?[\d.]+)\s*;", text)
    return _num(hits[-1]) if hits else None


def _indexed(text: str, name: str) -> dict[str, Any]:
    """Every ``name[RiskType::X] = value;`` (braced block or number), by X."""
    out: dict[str, Any] = {}
    for m in re.finditer(rf"{re.escape(name)}\[(?:CrifRecord::)?RiskType::(\w+)\]\s*=\s*",
                         text):
        rest = text[m.end():]
        if rest.startswith("{"):
            out[m.group(1)] = _literal(_block(text, m.end()))
        else:
            value = re.match(r"([^;]+);", rest).group(1).strip()  # type: ignore[union-attr]
            try:
                out[m.group(1)] = _num(value)
            except ValueError:
                out[m.group(1)] = ("alias", value)
    return out


class _Cpp:
    """The tables of one C++ configuration (and its concentration class)."""

    def __init__(self, config: str, concentration: str | None,
                 base: _Cpp | None = None) -> None:
        def pick(value: Any, attr: str) -> Any:
            return value if value not in (None, {}) else getattr(base, attr, None)

        c = config
        self.buckets = pick(dict(_assign(c, "mapBuckets_") or []), "buckets")
        self.labels2 = pick(dict(_assign(c, "mapLabels_2_") or []), "labels2")
        rw = dict(_assign(c, "rwRiskType_") or [])
        rw.update({k: v for k, v in _indexed(c, "rwRiskType_").items()
                   if not isinstance(v, tuple)})
        self.rw_flat = {**(base.rw_flat if base else {}), **rw}
        self.rw_bucket = pick({rt: {k[0]: v for k, v in table}
                               for rt, table in (_assign(c, "rwBucket_") or [])}, "rw_bucket")
        self.rw_label1 = pick({rt: {(k[0], k[1]): v for k, v in table}
                               for rt, table in (_assign(c, "rwLabel_1_") or [])}, "rw_label1")
        self.hvr = {**(base.hvr if base else {}),
                    **_indexed(c, "historicalVolatilityRatios_")}
        valid = _assign(c, "validRiskTypes_")
        extra = re.search(r"set<RiskType>\s+temp\s*=\s*\{", c)
        self.valid = set(valid) if valid is not None else set(base.valid if base else [])
        if extra:
            self.valid |= set(_literal(_block(c, extra.start())))
        rcc = _assign(c, "riskClassCorrelation_")
        self.rcc = pick({(k[1], k[2]): v for k, v in rcc} if rcc else {}, "rcc")
        intra = _indexed(c, "intraBucketCorrelation_")
        inter = _indexed(c, "interBucketCorrelation_")
        self.tenor_corr = pick({(k[1], k[2]): v for k, v in intra.get("IRCurve", [])},
                               "tenor_corr")
        self.intra = {rt: {k[0]: v for k, v in intra[rt]} for rt in ("Equity", "Commodity")
                      if rt in intra} or (base.intra if base else {})
        self.inter = {rt: {(k[1], k[2]): v for k, v in inter[rt]}
                      for rt in ("CreditQ", "Equity", "Commodity") if rt in inter} or (
            base.inter if base else {})
        self.scalars = {**(base.scalars if base else {})}
        for name in ("xccyCorr_", "infCorr_", "infVolCorr_", "irSubCurveCorr_",
                     "irInterCurrencyCorr_", "crqResidualIntraCorr_", "crqSameIntraCorr_",
                     "crqDiffIntraCorr_", "crnqResidualIntraCorr_", "crnqSameIntraCorr_",
                     "crnqDiffIntraCorr_", "crnqInterCorr_", "fxCorr_", "basecorrCorr_"):
            value = _scalar(c, name)
            if value is not None:
                self.scalars[name] = value
        hvr_ir = re.search(r"curvatureMarginScaling\(\) const \{\s*QuantLib::Real hvr = "
                           r"([\d.]+);", c)
        self.hvr_ir = _num(hvr_ir.group(1)) if hvr_ir else None
        self.thresholds: dict[str, Any] | None = None
        if concentration is not None:
            k = concentration
            self.thresholds = {
                "ir_categories": dict((a, list(b)) for a, b in _assign(k, "irCategories_")),
                "fx_categories": dict((a, list(b)) for a, b in _assign(k, "fxCategories_")),
                "flat": {rt: v for rt, v in _indexed(k, "flatThresholds_").items()},
                "bucketed": {rt: dict((str(a), _num(str(b))) for a, b in v)
                             for rt, v in _indexed(k, "bucketedThresholds_").items()},
            }


def _ir_groups(cpp: _Cpp) -> tuple[dict[str, list[str]], str]:
    """IR risk-weight groups: ORE's bucket mapper lists them in SimmBucketMapperBase."""
    return {"1": ["AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "HKD", "KRW", "NOK", "NZD", "SEK",
                  "SGD", "TWD", "USD"], "2": ["JPY"]}, "3"


def from_cpp(src: OreSource, stem: str) -> dict[str, Any]:
    base = None
    if stem == "1_3":  # ORE's R1.3 class derives from R1.0 and overrides a few members
        base = _Cpp(src.cpp("configuration", "1_0"), None)
    config = src.cpp("configuration", stem)
    try:
        conc = src.cpp("concentration", stem)
    except subprocess.CalledProcessError:
        conc = None
    c = _Cpp(config, conc, base)
    flat, bw, s = c.rw_flat, c.rw_bucket, c.scalars
    out: dict[str, Any] = {"risk_class_correlation": {
        "order": RISK_CLASSES, "matrix": _matrix(c.rcc, RISK_CLASSES)}}
    thr = c.thresholds
    wg, wdef = _ir_groups(c)
    ir: dict[str, Any] = {
        "tenors": TENORS, "tenor_correlation": _matrix(c.tenor_corr, TENORS),
        "sub_curve_correlation": s["irSubCurveCorr_"],
        "inflation_correlation": s["infCorr_"],
        "xccy_basis_correlation": s.get("xccyCorr_", 0),
        "currency_correlation": s["irInterCurrencyCorr_"],
        "weight_group_default": wdef, "weight_groups": wg,
    }
    if thr is not None:
        cats = thr["ir_categories"]
        ir["concentration_group_default"] = next(g for g, v in cats.items() if not v)
        ir["concentration_groups"] = {g: sorted(v) for g, v in cats.items() if v}
        ir["delta_threshold"] = thr["bucketed"]["IRCurve"]
        ir["vega_threshold"] = thr["bucketed"]["IRVol"]
    if "InflationVol" in flat:
        assert flat["InflationVol"] == flat["IRVol"], "inflation vol weight differs from IR vol"
        assert s["infVolCorr_"] == s["infCorr_"], "inflation vol correlation differs"
    ir["mpor10"] = {
        "hvr": c.hvr_ir if c.hvr_ir is not None else 1,
        "inflation_weight": flat["Inflation"],
        "xccy_basis_weight": flat.get("XCcyBasis", 0),
        "vega_weight": flat["IRVol"],
        "delta_weight": {g: [c.rw_label1["IRCurve"][(g, t)] for t in TENORS]
                         for g in ("1", "2", "3")},
    }
    out["InterestRate"] = ir
    for rc, rt, vrt, same, diff, res in (
            ("CreditQualifying", "CreditQ", "CreditVol", "crqSameIntraCorr_",
             "crqDiffIntraCorr_", "crqResidualIntraCorr_"),
            ("CreditNonQualifying", "CreditNonQ", "CreditVolNonQ", "crnqSameIntraCorr_",
             "crnqDiffIntraCorr_", "crnqResidualIntraCorr_")):
        buckets = c.buckets[rt]
        order = [b for b in buckets if b != "Residual"]
        d = {"buckets": buckets, "tenors": CREDIT_TENORS,
             "same_issuer_correlation": s[same], "different_issuer_correlation": s[diff],
             "residual_same_issuer_correlation": s[res],
             "residual_different_issuer_correlation": s[res]}
        if rc == "CreditQualifying":
            d["base_correlation_correlation"] = s.get("basecorrCorr_", 0)
            d["bucket_order"] = order
            d["bucket_correlation"] = _matrix(c.inter["CreditQ"], order)
        else:
            d["bucket_order"] = order
            d["bucket_correlation"] = [[1, s["crnqInterCorr_"]], [s["crnqInterCorr_"], 1]]
        if thr is not None:
            d["delta_threshold"] = thr["bucketed"][rt]
            d["vega_threshold"] = thr["flat"][vrt]
        sect = {"delta_weight": bw[rt], "vega_weight": flat[vrt]}
        if rc == "CreditQualifying":
            sect["base_correlation_weight"] = flat["BaseCorr"]
        d["mpor10"] = sect
        out[rc] = d
    for rc, rt, vrt in (("Equity", "Equity", "EquityVol"),
                        ("Commodity", "Commodity", "CommodityVol")):
        buckets = c.buckets[rt]
        order = [b for b in buckets if b != "Residual"]
        intra = dict(c.intra[rt])
        if "Residual" in buckets:
            intra.setdefault("Residual", 0)
        d = {"buckets": buckets, "intra_correlation": {b: intra[b] for b in buckets},
             "bucket_order": order, "bucket_correlation": _matrix(c.inter[rt], order)}
        if thr is not None:
            d["delta_threshold"] = thr["bucketed"][rt]
            d["vega_threshold"] = thr["bucketed"][vrt]
        vega = bw.get(vrt) or {b: flat[vrt] for b in buckets}
        d["mpor10"] = {"hvr": c.hvr.get(vrt, 1), "delta_weight": bw[rt],
                       "vega_weight": {b: vega[b] for b in buckets}}
        out[rc] = d
    fx: dict[str, Any] = {"vol_group_default": "1", "vol_groups": {}, "vol_group_order": ["1"],
                          "vega_correlation": s["fxCorr_"]}
    if thr is not None:
        cats = thr["fx_categories"]
        fx["concentration_group_default"] = next(g for g, v in cats.items() if not v)
        fx["concentration_groups"] = {g: sorted(v) for g, v in cats.items() if v}
        fx["delta_threshold"] = thr["bucketed"]["FX"]
        fx["vega_threshold"] = dict(zip(FX_VEGA_PAIRS, thr["bucketed"]["FXVol"].values(),
                                        strict=True))
    fx["correlation"] = {"1": [[s["fxCorr_"]]]}
    fx["mpor10"] = {"hvr": c.hvr.get("FXVol", 1), "delta_weight": [[flat["FX"]]],
                    "vega_weight": flat["FXVol"]}
    out["FX"] = fx
    out["_valid"] = sorted(rt for rt in (_ORE_RT[v] for v in c.valid) if rt)
    out["_labels2"] = {k: list(v) for k, v in c.labels2.items()}
    out["_hvr_ir_curvature"] = c.hvr_ir
    return out


# --------------------------------------------------------------------------------------------
# methodology (formula constants and the version's treatment choices)
# --------------------------------------------------------------------------------------------
def methodology(version: str, data: dict[str, Any]) -> dict[str, Any]:
    modern = ORE_SOURCES[version][0] == "xml"
    valid = data.get("_valid") or [rt for rt in ALL_RISK_TYPES]
    if modern:
        valid = list(ALL_RISK_TYPES)
    m: dict[str, Any] = {
        "delta_confidence": 0.99, "curvature_confidence": 0.995, "days_per_year": 365,
        "curvature_scale": 0.5,
        "vega_sigma_risk_classes": ["Equity", "Commodity", "FX"],
        "risk_types": [rt for rt in ALL_RISK_TYPES if rt in valid],
        "expiry_days": {"2w": 14, "1m": 365 / 12, "3m": 91.25, "6m": 182.5, "1y": 365,
                        "2y": 730, "3y": 1095, "5y": 1825, "10y": 3650, "15y": 5475,
                        "20y": 7300, "30y": 10950},
    }
    # IR curvature scaling: 2.3 up to 2.0, HVR_IR ** -2 from 2.1 (2.1 publishes HVR_IR 0.62)
    if version in ("1.0", "1.3", "1.3.38", "2.0"):
        m["ir_curvature_scale"] = 2.3
    else:
        m["ir_curvature_hvr_power"] = -2
    # equity volatility indices (bucket 12) carry no curvature margin from 2.2
    m["curvature_zero_buckets"] = {"Equity": ["12"]} if modern else {}
    # credit non-qualifying "same name": Label2 (the index family, e.g. CMBX) from 2.2
    m["credit_non_qualifying_same_key"] = "Label2" if modern else "Qualifier"
    m["ir_sub_curves"] = (["OIS", "Libor1m", "Libor3m", "Libor6m", "Libor12m", "Prime"]
                          + ([] if version in ("1.0", "1.3") else ["Municipal"]))
    m["mpor10"] = {"horizon_days": 14, "concentration": version != "1.0"}
    if 1 in META[version]["mpor_days"]:
        m["mpor1"] = {"horizon_days": 1.4, "concentration": False}
    return m


# --------------------------------------------------------------------------------------------
# TOML output
# --------------------------------------------------------------------------------------------
def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return repr(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_fmt(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    raise TypeError(type(v))


def _key(k: str) -> str:
    return k if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) else _fmt(k)


COMMENTS = {
    "delta_confidence": "alpha = inverse normal CDF at this level (vega sigma)",
    "curvature_confidence": "lambda = (q^2 - 1)(1 + theta) - theta, q its normal quantile",
    "curvature_scale": "SF(t) = scale * min(1, horizon_days / t_days)",
    "ir_curvature_hvr_power": "IR curvature margin is multiplied by HVR_IR ** power (2.1 on)",
    "ir_curvature_scale": "IR curvature margin is multiplied by this fixed scale (up to 2.0)",
    "risk_types": "CRIF risk types this version knows",
    "curvature_zero_buckets": "no curvature margin for these buckets (volatility indices)",
    "credit_non_qualifying_same_key": "CRIF column deciding 'same' vs 'different' names",
    "ir_sub_curves": "IR sub-curves (Label2) the version names",
    "horizon_days": "sigma = RW sqrt(days_per_year / horizon_days) / alpha",
    "concentration": "concentration risk on (off for 1-day SIMM; R1.0 had no thresholds)",
    "weight_group_default": "risk-weight groups: 1 regular, 2 low, 3 high volatility (others)",
    "vol_group_default": "FX volatility groups: 1 high volatility, 2 the others (one group "
                         "before 2.2)",
    "hvr": "historical volatility ratio (1 where the version has none)",
}


def _value_lines(key: str, v: Any) -> list[str]:
    if isinstance(v, list) and v and isinstance(v[0], list) and len(v) > 1:
        return [f"{key} = ["] + [f"    {_fmt(row)}," for row in v] + ["]"]
    line = f"{key} = {_fmt(v)}"
    note = COMMENTS.get(key.strip('"'))
    if isinstance(v, list) and len(line) > 99:
        lines = [f"{key} = ["] + [f"    {_fmt(x)}," for x in v] + ["]"]
        return [f"# {note}", *lines] if note else lines
    if note and len(line) < 70:
        line = f"{line:<30} # {note}"
    elif note:
        return [f"# {note}", line]
    return [line]


def _section(name: str, d: dict[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    subs = []
    for k, v in d.items():
        if isinstance(v, dict) and k.startswith("mpor"):
            subs.append((k, v))
        else:
            lines += _value_lines(_key(k), v)
    for k, v in subs:
        lines += ["", f"[{name}.{k}]"]
        nested = []
        for kk, vv in v.items():
            if isinstance(vv, dict) and vv and all(isinstance(x, list) for x in vv.values()):
                nested.append((kk, vv))
            else:
                lines += _value_lines(_key(kk), vv)
        for kk, vv in nested:
            lines += ["", f"[{name}.{k}.{kk}]"]
            lines += [f"{_key(g)} = {_fmt(row)}" for g, row in vv.items()]
    return lines


HEADER = """\
# ISDA SIMM {version} parameters in imresearch's own layout (see imresearch/simm/parameters.py).
# Figures are ISDA's published calibration (facts), transcribed from ORE's source by
# tools/simm_params_from_ore.py and checked against ORE's SIMM engine (tests/simm).
# ISDA owns SIMM; commercial use of SIMM to calculate initial margin needs an ISDA licence.
# Units: IR/credit delta weights per 1bp sensitivity; equity/commodity/FX delta weights per 1%
# sensitivity; base-correlation weight per 1% shift; concentration thresholds in USD million.
"""


def render(version: str, data: dict[str, Any]) -> str:
    meta = META[version]
    lines = [HEADER.format(version=version).rstrip("\n"), "", "[meta]"]
    lines += [f"version = {_fmt(version)}", f"isda_name = {_fmt(meta['isda_name'])}",
              f"aliases = {_fmt(meta['aliases'])}",
              f"effective_date = {_fmt(meta['effective_date'])}",
              f"in_force = {_fmt(meta['in_force'])}",
              f"calibration_recent = {_fmt(meta['recent'])}",
              *([f"recalibrated_risk_classes = {_fmt(meta['recalibrated'])}"
                 "  # the others keep the previous version's calibration"]
                if "recalibrated" in meta else []),
              f"calibration_recent_source = {_fmt(meta['recent_basis'])}",
              f"stress_period = {_fmt(meta['stress'])}",
              f"stress_period_source = {_fmt(meta['stress_basis'])}",
              f"mpor_days = {_fmt(meta['mpor_days'])}",
              "sources = ["] + [f"    {_fmt(s)}," for s in meta["source"]] + ["]", ""]
    lines += ["# Risk-class correlations psi (within a product class)"]
    lines += [*_section("risk_class_correlation", data["risk_class_correlation"]), ""]
    lines += ["# Formula constants and this version's treatment choices"]
    lines += [*_section("methodology", methodology(version, data)), ""]
    for rc in RISK_CLASSES:
        lines += [*_section(rc, data[rc]), ""]
    return "\n".join(lines).rstrip() + "\n"


def build(src: OreSource, version: str) -> dict[str, Any]:
    kind, stem = ORE_SOURCES[version]
    if kind == "xml":
        return from_xml(src.xml(stem), META[version]["mpor_days"])
    return from_cpp(src, stem)


def _close(a: Any, b: Any, path: str, out: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'new' if k in a else 'old'}")
            else:
                _close(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: length {len(a)} != {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            _close(x, y, f"{path}[{i}]", out)
    elif isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if not math.isclose(a, b, rel_tol=1e-15, abs_tol=0):
            out.append(f"{path}: {a} != {b}")
    elif a != b:
        out.append(f"{path}: {a!r} != {b!r}")


def main(argv: list[str] | None = None) -> int:
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover
        import tomli as tomllib  # type: ignore[no-redef]
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("ore", type=Path, help="ORE repository (work tree or bare mirror)")
    p.add_argument("--calibration-2.8+2512", dest="cal2512", type=Path,
                   help="simmcalibration_2.8+2512.xml (not in ORE release 1.8.16)")
    p.add_argument("--versions", nargs="*", default=list(META))
    p.add_argument("--check", action="store_true",
                   help="compare the figures with the existing files; write nothing")
    args = p.parse_args(argv)
    extra = {"2.8+2512": args.cal2512} if args.cal2512 else {}
    src = OreSource(args.ore, extra)
    out_dir = Path(__file__).resolve().parents[1] / "imresearch" / "simm" / "params"
    status = 0
    for version in args.versions:
        if version == "2.8+2512" and not extra:
            print(f"{version}: skipped (pass --calibration-2.8+2512)")
            continue
        text = render(version, build(src, version))
        path = out_dir / f"{version}.toml"
        if args.check:
            old = tomllib.loads(path.read_text())
            new = tomllib.loads(text)
            diffs: list[str] = []
            for section in [*RISK_CLASSES, "risk_class_correlation"]:
                _close(new[section], old[section], section, diffs)
            print(f"{version}: {'ok' if not diffs else f'{len(diffs)} differences'}")
            for line in diffs[:20]:
                print("   ", line)
            status |= bool(diffs)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
