"""CRIFs that make every SIMM figure visible, and ORE's recorded answers on them.

For each SIMM version, :func:`probe_crif` builds one netting set per figure: a single
sensitivity per risk weight (interest-rate tenor x currency group, credit / equity / commodity
bucket, inflation, cross-currency basis, FX group, each vega weight with its sigma and historical
volatility ratio, each option expiry's curvature scaling), a pair of sensitivities per
correlation (tenors, sub-curves, currencies, issuers, names and buckets, FX groups, base
correlation) and a sensitivity far above each concentration threshold; add-on rows complete it.
:func:`random_crif` adds random netting sets of the version's risk types across thresholds.

``python -m tests.simm._ore_cases [VERSION ...]`` runs ORE's SIMM analytic on both CRIFs (10-day,
and 1-day where the version publishes it; Call and Post) and writes
``tests/simm/data/ore/<version>.csv.gz``: the CRIF rows and, per netting set, ORE's total and
its breakdown by margin type, risk class and product class. The default test run checks our
calculator against these records without ORE (``test_ore_recorded.py``); with ORE installed,
``test_ore_live.py`` re-runs ORE on them.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch.simm import SENSITIVITY_RISK_TYPES, synthetic_crif
from imresearch.simm.crif import PRODUCT_CLASSES
from imresearch.simm.parameters import load_parameters
from imresearch.simm.versions import version_info

DATA = Path(__file__).resolve().parent / "data" / "ore"
SHARED_CALIBRATION = {"2.8+2512": "2.8+2512/simmcalibration_2.8+2512.xml"}
COLUMNS = ["PortfolioID", "TradeID", "ProductClass", "RiskType", "Qualifier", "Bucket", "Label1",
           "Label2", "Amount", "AmountCurrency", "AmountUSD"]
_PC = {"Risk_IRCurve": "RatesFX", "Risk_Inflation": "RatesFX", "Risk_XCcyBasis": "RatesFX",
       "Risk_IRVol": "RatesFX", "Risk_InflationVol": "RatesFX", "Risk_FX": "RatesFX",
       "Risk_FXVol": "RatesFX", "Risk_CreditQ": "Credit", "Risk_CreditVol": "Credit",
       "Risk_BaseCorr": "Credit", "Risk_CreditNonQ": "Credit", "Risk_CreditVolNonQ": "Credit",
       "Risk_Equity": "Equity", "Risk_EquityVol": "Equity", "Risk_Commodity": "Commodity",
       "Risk_CommodityVol": "Commodity"}
_CANDIDATES = ["USD", "EUR", "GBP", "JPY", "AUD", "CHF", "CAD", "SEK", "HKD", "KRW", "CNY", "BRL",
               "MXN", "INR", "ZAR", "TRY", "RUB", "PLN", "ARS", "THB", "EGP", "NGN"]


def _row(pid: str, rt: str, qual: str = "", bucket: str = "", label1: str = "", label2: str = "",
         amount: float = 1.0, pc: str | None = None) -> dict[str, object]:
    return {"PortfolioID": pid, "TradeID": f"{pid}/T", "ProductClass": _PC.get(rt, "") if pc is
            None else pc, "RiskType": rt, "Qualifier": qual, "Bucket": bucket, "Label1": label1,
            "Label2": label2, "Amount": amount, "AmountCurrency": "USD", "AmountUSD": amount}


def _one_per_group(groups: dict[str, str], default: str, known: set[str]) -> dict[str, str]:
    """A representative currency of each group (``groups``: currency -> group)."""
    out: dict[str, str] = {}
    for ccy in _CANDIDATES:
        g = groups.get(ccy, default)
        if g not in out and ccy in known:
            out[g] = ccy
    return out


def _probes(version: str) -> Iterator[list[dict[str, object]]]:
    p = load_parameters(version)
    rts = p.methodology.risk_types
    ir, cq, cn, eq, cm, fx = (p.interest_rate, p.credit_qualifying, p.credit_non_qualifying,
                              p.equity, p.commodity, p.fx)
    ccys = set(_CANDIDATES)
    weight_ccy = _one_per_group(dict(ir.weight_groups), ir.weight_group_default, ccys)
    conc_ccy = _one_per_group(dict(ir.concentration_groups), ir.concentration_group_default, ccys)
    big = 4e6  # far above a concentration threshold of 1 (USD million)

    # interest rates: every weight, tenor correlation, sub-curves, inflation, basis, currencies
    for g, ccy in weight_ccy.items():
        for t in ir.tenors:
            yield [_row(f"IRW/{g}/{t}", "Risk_IRCurve", ccy, g, t, "OIS")]
    g1 = weight_ccy[ir.weight_groups.get("USD", ir.weight_group_default)]
    for i, a in enumerate(ir.tenors):
        for b in ir.tenors[i + 1:]:
            yield [_row(f"IRC/{a}/{b}", "Risk_IRCurve", g1, "1", a, "OIS"),
                   _row(f"IRC/{a}/{b}", "Risk_IRCurve", g1, "1", b, "OIS", -0.7)]
    yield [_row("IRSUB", "Risk_IRCurve", "USD", "1", "5y", "OIS"),
           _row("IRSUB", "Risk_IRCurve", "USD", "1", "5y", "Libor3m", -1.0)]
    yield [_row("IRCCY", "Risk_IRCurve", "USD", "1", "5y", "OIS"),
           _row("IRCCY", "Risk_IRCurve", "EUR", "1", "5y", "OIS", 1.3)]
    yield [_row("INF", "Risk_Inflation", "USD")]
    yield [_row("INF+IR", "Risk_Inflation", "USD"),
           _row("INF+IR", "Risk_IRCurve", "USD", "1", "10y", "OIS", 2.0)]
    if "Risk_XCcyBasis" in rts:
        yield [_row("XCCY", "Risk_XCcyBasis", "EUR")]
        yield [_row("XCCY+IR", "Risk_XCcyBasis", "EUR"),
               _row("XCCY+IR", "Risk_Inflation", "EUR", amount=0.5),
               _row("XCCY+IR", "Risk_IRCurve", "EUR", "1", "2y", "OIS", 2.0)]
    for t in ir.tenors:
        yield [_row(f"IRV/{t}", "Risk_IRVol", "USD", label1=t, amount=1e3)]
    yield [_row("IRV/pair", "Risk_IRVol", "USD", label1="1y", amount=1e3),
           _row("IRV/pair", "Risk_IRVol", "USD", label1="10y", amount=-2e3),
           _row("IRV/pair", "Risk_IRVol", "EUR", label1="5y", amount=1e3)]
    if "Risk_InflationVol" in rts:
        yield [_row("INFV", "Risk_InflationVol", "USD", label1="5y", amount=1e3),
               _row("INFV", "Risk_IRVol", "USD", label1="5y", amount=-1.5e3)]
    for g, ccy in conc_ccy.items():
        yield [_row(f"IRCONC/{g}", "Risk_IRCurve", ccy, ir.weight_group(ccy), "5y", "OIS",
                    big * 1e3),
               _row(f"IRCONC/{g}", "Risk_IRCurve", ccy, ir.weight_group(ccy), "10y", "OIS",
                    -big * 2e2)]
        yield [_row(f"IRVCONC/{g}", "Risk_IRVol", ccy, label1="5y", amount=big * 1e3)]

    # credit qualifying and non-qualifying
    for rc, c, rt, vrt in (("CQ", cq, "Risk_CreditQ", "Risk_CreditVol"),
                           ("CN", cn, "Risk_CreditNonQ", "Risk_CreditVolNonQ")):
        for b in c.buckets:
            yield [_row(f"{rc}W/{b}", rt, f"{rc}{b}A", b, "5y")]
            yield [_row(f"{rc}CONC/{b}", rt, f"{rc}{b}A", b, "5y", amount=big),
                   _row(f"{rc}CONC/{b}", rt, f"{rc}{b}A", b, "10y", amount=big / 3)]
            yield [_row(f"{rc}SAME/{b}", rt, f"{rc}{b}A", b, "5y", "CMBX" if rc == "CN" else ""),
                   _row(f"{rc}SAME/{b}", rt, f"{rc}{b}A", b, "10y", "CMBX" if rc == "CN"
                        else "", -0.6),
                   _row(f"{rc}SAME/{b}", rt, f"{rc}{b}B", b, "5y", "CMBX" if rc == "CN" else "",
                        0.8),
                   _row(f"{rc}SAME/{b}", rt, f"{rc}{b}C", b, "3y", "ABX" if rc == "CN" else "",
                        0.5)]
        order = list(c.bucket_order)
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                yield [_row(f"{rc}X/{a}/{b}", rt, f"{rc}{a}A", a, "5y"),
                       _row(f"{rc}X/{a}/{b}", rt, f"{rc}{b}A", b, "5y", amount=0.9)]
        yield [_row(f"{rc}V", vrt, f"{rc}1A", "1", "5y", amount=1e3),
               _row(f"{rc}V", vrt, f"{rc}1A", "1", "1y", amount=-3e2),
               _row(f"{rc}V", vrt, f"{rc}2A", "2", "10y", amount=7e2)]
        yield [_row(f"{rc}VCONC", vrt, f"{rc}1A", "1", "5y", amount=big * 1e2)]
    if "Risk_BaseCorr" in rts:
        yield [_row("BC", "Risk_BaseCorr", "CDX.NA.IG", amount=1e3),
               _row("BC", "Risk_BaseCorr", "iTraxx Main", amount=-4e2)]

    # equity and commodity
    for rc, c, rt, vrt in (("EQ", eq, "Risk_Equity", "Risk_EquityVol"),
                           ("CM", cm, "Risk_Commodity", "Risk_CommodityVol")):
        for b in c.buckets:
            yield [_row(f"{rc}W/{b}", rt, f"{rc}{b}A", b, amount=1e3)]
            yield [_row(f"{rc}IN/{b}", rt, f"{rc}{b}A", b, amount=1e3),
                   _row(f"{rc}IN/{b}", rt, f"{rc}{b}B", b, amount=-6e2)]
            yield [_row(f"{rc}CONC/{b}", rt, f"{rc}{b}A", b, amount=big * 1e4)]
            yield [_row(f"{rc}V/{b}", vrt, f"{rc}{b}A", b, "1y", amount=1e3),
                   _row(f"{rc}V/{b}", vrt, f"{rc}{b}A", b, "3m", amount=-4e2)]
            yield [_row(f"{rc}VCONC/{b}", vrt, f"{rc}{b}A", b, "5y", amount=big * 1e4)]
        order = list(c.bucket_order)
        for i, a in enumerate(order):
            for b in order[i + 1:]:
                yield [_row(f"{rc}X/{a}/{b}", rt, f"{rc}{a}A", a, amount=1e3),
                       _row(f"{rc}X/{a}/{b}", rt, f"{rc}{b}A", b, amount=8e2)]
    for t in ir.tenors:  # curvature scaling of every expiry
        yield [_row(f"EQV/{t}", "Risk_EquityVol", "EQ1A", "1", t, amount=1e3)]

    # FX: every volatility group, correlations, concentration groups, vega pairs
    fx_ccy = _one_per_group(dict(fx.vol_groups), fx.vol_group_default, ccys - {"USD"})
    for g, ccy in fx_ccy.items():
        yield [_row(f"FXW/{g}", "Risk_FX", ccy, amount=1e3)]
    names = list(fx_ccy.values())
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i:]]
    for a, b in pairs:
        other = "GBP" if a == b and a != "GBP" else b if a != b else "EUR"
        yield [_row(f"FXC/{a}/{other}", "Risk_FX", a, amount=1e3),
               _row(f"FXC/{a}/{other}", "Risk_FX", other, amount=-7e2)]
    conc = _one_per_group(dict(fx.concentration_groups), fx.concentration_group_default,
                          ccys - {"USD"})
    for g, ccy in conc.items():
        yield [_row(f"FXCONC/{g}", "Risk_FX", ccy, amount=big * 1e5)]
    vega_pairs = ["EURUSD", "USDJPY", f"USD{fx_ccy.get('1', 'BRL')}", "EURGBP", "USDTRY"]
    for pair in vega_pairs:
        yield [_row(f"FXV/{pair}", "Risk_FXVol", pair, label1="1y", amount=1e3)]
        yield [_row(f"FXVCONC/{pair}", "Risk_FXVol", pair, label1="1y", amount=big * 1e4)]
    yield [_row("FXV/all", "Risk_FXVol", pr, label1=t, amount=a) for pr, t, a in
           zip(vega_pairs, ("1y", "3m", "5y", "6m", "2y"), (1e3, -5e2, 8e2, 3e2, -9e2),
               strict=True)]

    # risk classes and product classes together, add-ons
    mix = [_row("MIX", "Risk_IRCurve", "USD", "1", "5y", "OIS", 5e3),
           _row("MIX", "Risk_CreditQ", "CQ1A", "1", "5y", amount=2e3),
           _row("MIX", "Risk_CreditNonQ", "CN1A", "1", "5y", amount=1e3),
           _row("MIX", "Risk_Equity", "EQ1A", "1", amount=8e4),
           _row("MIX", "Risk_Commodity", "CM1A", "1", amount=6e4),
           _row("MIX", "Risk_FX", "EUR", amount=3e5),
           _row("MIX", "Risk_FX", "EUR", amount=-1e5, pc="Equity")]
    yield mix
    if "Param_ProductClassMultiplier" in rts:
        yield [*[dict(r, PortfolioID="ADD", TradeID="ADD/T") for r in mix],
               _row("ADD", "Param_ProductClassMultiplier", "RatesFX", amount=1.5, pc=""),
               _row("ADD", "Param_AddOnNotionalFactor", "Exotic", amount=2.0, pc=""),
               _row("ADD", "Notional", "Exotic", amount=1e7, pc="")]
    if "Param_AddOnFixedAmount" in rts:
        yield [*[dict(r, PortfolioID="FIX", TradeID="FIX/T") for r in mix],
               _row("FIX", "Param_AddOnFixedAmount", amount=1e5, pc="")]


def probe_crif(version: str) -> pd.DataFrame:
    """One netting set per figure of ``version`` (see the module notes)."""
    rows = [r for probe in _probes(version) for r in probe]
    return pd.DataFrame(rows, columns=COLUMNS)


def random_crif(version: str, seed: int = 1000, n: int = 24) -> pd.DataFrame:
    """``n`` random netting sets of the version's risk types, across concentration thresholds.

    Each has its own size, subset of risk types, name overlap and scale (sensitivities, not
    add-on parameters, scaled by up to 10**2.5). Names carry their netting set, since ORE maps a
    name to one bucket across the CRIF.
    """
    rng = np.random.default_rng([seed, *(ord(ch) for ch in version)])
    known = set(load_parameters(version).methodology.risk_types)
    kinds_all = [rt for rt in SENSITIVITY_RISK_TYPES if rt in known]
    parts = []
    for i in range(n):
        part = synthetic_crif(1, int(rng.integers(10, 250)), seed=rng,
                              universe=int(rng.integers(3, 80)),
                              addons=bool(rng.random() < 0.5), version=version)
        sens = part["RiskType"].isin(kinds_all).to_numpy()
        kinds = rng.choice(kinds_all, size=int(rng.integers(1, len(kinds_all) + 1)),
                           replace=False)
        part = part[~sens | part["RiskType"].isin(list(kinds)).to_numpy()].copy()
        scale = np.where(part["RiskType"].isin(kinds_all), 10.0 ** rng.uniform(-1.0, 2.5), 1.0)
        part["Amount"] *= scale
        part["AmountUSD"] *= scale
        pid = f"R{i:02d}"
        part["PortfolioID"] = pid
        part["TradeID"] = pid + "/" + part["TradeID"]
        named = part["RiskType"].str.contains("Credit|Equity|Commodity").to_numpy()
        part.loc[named, "Qualifier"] = pid + "/" + part.loc[named, "Qualifier"]
        parts.append(part[COLUMNS])
    return pd.concat(parts, ignore_index=True)


def case_crif(version: str) -> pd.DataFrame:
    """Probes and random netting sets of a version, as recorded."""
    return pd.concat([probe_crif(version), random_crif(version)], ignore_index=True)


BREAKDOWN = ["Total", "MT_Delta", "MT_Vega", "MT_Curvature", "MT_BaseCorr", "MT_AdditionalIM",
             *(f"RC_{rc}" for rc in ("InterestRate", "CreditQualifying", "CreditNonQualifying",
                                     "Equity", "Commodity", "FX")),
             *(f"PC_{pc}" for pc in PRODUCT_CLASSES)]


def ore_breakdown(report: pd.DataFrame, side: str) -> pd.DataFrame:
    """ORE's report as one row per portfolio, columns :data:`BREAKDOWN` (zeros filled)."""
    r = report[(report["SimmSide"] == side) & (report["Portfolio"] != "All")
               & (report["Bucket"] == "All")]
    top = r[(r["ProductClass"] == "All") & (r["RiskClass"] == "All")]
    out = {"Total": top[top["MarginType"] == "All"].set_index("Portfolio")["InitialMargin"]}
    for mt in ("Delta", "Vega", "Curvature", "BaseCorr", "AdditionalIM"):
        out[f"MT_{mt}"] = top[top["MarginType"] == mt].set_index("Portfolio")["InitialMargin"]
    by_rc = r[(r["ProductClass"] == "All") & (r["MarginType"] == "All")
              & (r["RiskClass"] != "All")]
    for rc, rows in by_rc.groupby("RiskClass"):
        out[f"RC_{rc}"] = rows.set_index("Portfolio")["InitialMargin"]
    by_pc = r[(r["RiskClass"] == "All") & (r["MarginType"] == "All")
              & (r["ProductClass"].isin(list(PRODUCT_CLASSES)))]
    for pc, rows in by_pc.groupby("ProductClass"):
        out[f"PC_{pc}"] = rows.set_index("Portfolio")["InitialMargin"]
    frame = pd.DataFrame(out).reindex(columns=BREAKDOWN).fillna(0.0)
    return frame.rename_axis("PortfolioID")


def run_ore_cases(version: str, calibration: Path | None = None) -> pd.DataFrame:
    """ORE's breakdown of :func:`case_crif` for every published MPOR and both sides (long)."""
    from imresearch.simm.ore import ore_simm

    crif = case_crif(version)
    frames = []
    for mpor in version_info(version).mpor_days:
        report = ore_simm(crif, version, mpor, calibration=calibration)
        for side in ("Call", "Post"):
            wide = ore_breakdown(report, side)
            long = wide.stack().rename("InitialMargin").reset_index()
            long.columns = ["PortfolioID", "Column", "InitialMargin"]
            long = long[long["InitialMargin"] != 0.0]
            long.insert(1, "MPOR", mpor)
            long.insert(2, "Side", side)
            frames.append(long)
    return pd.concat(frames, ignore_index=True)


def write_record(version: str, crif: pd.DataFrame, ore: pd.DataFrame) -> Path:
    """Write ``data/ore/<version>.csv.gz``: a CRIF section and an ORE section."""
    DATA.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    buf.write("# section crif\n")
    crif.to_csv(buf, index=False, float_format="%.17g")
    buf.write("# section ore\n")
    ore.to_csv(buf, index=False, float_format="%.17g")
    path = DATA / f"{version}.csv.gz"
    import gzip

    with gzip.open(path, "wt", compresslevel=9) as fh:
        fh.write(buf.getvalue())
    return path


def read_record(version: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The recorded CRIF and ORE's long-format breakdown of a version."""
    import gzip

    with gzip.open(DATA / f"{version}.csv.gz", "rt") as fh:
        text = fh.read()
    crif_text, ore_text = text.split("# section ore\n")
    crif = pd.read_csv(io.StringIO(crif_text.split("# section crif\n", 1)[1]), dtype=str,
                       keep_default_na=False)
    for col in ("Amount", "AmountUSD"):
        crif[col] = crif[col].astype(float)
    ore = pd.read_csv(io.StringIO(ore_text), dtype={"PortfolioID": str})
    return crif, ore


def main(argv: list[str]) -> None:
    from imresearch.simm.versions import VERSIONS
    from tests.conftest import shared_root

    shared = (shared_root() or Path("/nonexistent")) / "reference" / "simm"
    for version in argv or VERSIONS:
        cal = SHARED_CALIBRATION.get(version)
        calibration = shared / cal if cal else None
        if calibration is not None and not calibration.is_file():
            print(f"{version}: skipped, {calibration} is absent")
            continue
        ore = run_ore_cases(version, calibration)
        path = write_record(version, case_crif(version), ore)
        print(f"{version}: {ore['PortfolioID'].nunique()} netting sets, {len(ore)} values -> "
              f"{path} ({path.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
