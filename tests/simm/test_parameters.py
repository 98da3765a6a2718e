"""The versioned SIMM parameter files against the reference tables, figure by figure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from imresearch.errors import InputError
from imresearch.simm.parameters import (
    DEFAULT_VERSION,
    RISK_CLASSES,
    VERSIONS,
    SimmParameters,
    load_parameters,
)
from imresearch.simm.versions import version_info
from tests.simm._reference import SHARED_VERSIONS

shared = pytest.mark.shared_data


def _rows(shared_simm: Path, version: str, name: str) -> list[dict[str, str]]:
    path = shared_simm / version / "tables" / f"{name}.csv"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _params(version: str, mpor: int | str) -> SimmParameters:
    return load_parameters(version, int(mpor))


def _by_class(p: SimmParameters, risk_class: str):
    return {
        "InterestRate": p.interest_rate,
        "CreditQualifying": p.credit_qualifying,
        "CreditNonQualifying": p.credit_non_qualifying,
        "Equity": p.equity,
        "Commodity": p.commodity,
        "FX": p.fx,
    }[risk_class]


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_risk_weights(shared_simm: Path, version: str) -> None:
    rows = _rows(shared_simm, version, "risk_weights")
    assert len(rows) > 200
    for r in rows:
        p = _params(version, r["mpor_days"])
        rc, measure, bucket = r["risk_class"], r["measure"], r["bucket"]
        expected = float(r["weight"])
        c = _by_class(p, rc)
        if rc == "InterestRate" and measure == "Delta":
            got = c.delta_weight[bucket][c.tenors.index(r["label1"])]
        elif rc == "InterestRate":
            name = {"Vega": "vega", "Inflation": "inflation", "XCcyBasis": "xccy_basis"}[measure]
            got = getattr(c, f"{name}_weight")
        elif rc.startswith("Credit"):
            got = c.delta_weight[bucket] if measure == "Delta" else getattr(
                c, {"Vega": "vega_weight", "BaseCorrelation": "base_correlation_weight"}[measure]
            )
        elif rc == "FX":
            if measure == "Delta":
                i = c.vol_group_order.index(r["label1"])
                j = c.vol_group_order.index(r["label2"])
                got = c.delta_weight[i, j]
            else:
                got = c.vega_weight
        else:
            table = c.delta_weight if measure == "Delta" else c.vega_weight
            if bucket:
                got = table[bucket]
            else:  # one weight for every bucket
                assert set(table.values()) == {expected}, (version, r)
                got = expected
        assert got == expected, (version, r, got)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_historical_volatility_ratios(shared_simm: Path, version: str) -> None:
    rows = _rows(shared_simm, version, "historical_volatility_ratios")
    assert {r["risk_class"] for r in rows} == {"InterestRate", "Equity", "Commodity", "FX"}
    for r in rows:
        p = _params(version, r["mpor_days"])
        assert _by_class(p, r["risk_class"]).hvr == float(r["hvr"]), (version, r)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_intra_bucket_correlations(shared_simm: Path, version: str) -> None:
    rows = _rows(shared_simm, version, "intra_bucket_correlations")
    for mpor in (10, 1):
        p = _params(version, mpor)
        n_ir = 0
        for r in rows:
            rc, expected = r["risk_class"], float(r["correlation"])
            c = _by_class(p, rc)
            if rc == "InterestRate":
                i, j = c.tenors.index(r["label1"]), c.tenors.index(r["label2"])
                got = c.tenor_correlation[i, j]
                n_ir += 1
            elif rc.startswith("Credit"):
                prefix = "" if r["label1"] == "aggregate" else "residual_"
                name = "same" if r["label2"] == "same" else "different"
                got = getattr(c, f"{prefix}{name}_issuer_correlation")
            elif rc == "FX":
                i = c.vol_group_order.index(r["label1"])
                j = c.vol_group_order.index(r["label2"])
                got = c.correlation[r["bucket"]][i, j]
            else:
                got = c.intra_correlation[r["bucket"]]
            assert got == expected, (version, r, got)
        assert n_ir == 12 * 11
        np.testing.assert_array_equal(np.diag(p.interest_rate.tenor_correlation), 1.0)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_inter_bucket_correlations(shared_simm: Path, version: str) -> None:
    rows = _rows(shared_simm, version, "inter_bucket_correlations")
    p = _params(version, 10)
    seen: dict[str, int] = {}
    for r in rows:
        c = _by_class(p, r["risk_class"])
        i, j = c.bucket_order.index(r["bucket1"]), c.bucket_order.index(r["bucket2"])
        assert c.bucket_correlation[i, j] == float(r["correlation"]), (version, r)
        seen[r["risk_class"]] = seen.get(r["risk_class"], 0) + 1
    for rc, n in seen.items():  # every off-diagonal entry was checked
        k = len(_by_class(p, rc).bucket_order)
        assert n == k * (k - 1), rc


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_correlation_scalars(shared_simm: Path, version: str) -> None:
    p = _params(version, 10)
    attr = {
        ("InterestRate", "SubCurves"): p.interest_rate.sub_curve_correlation,
        ("InterestRate", "Inflation"): p.interest_rate.inflation_correlation,
        ("InterestRate", "XCcyBasis"): p.interest_rate.xccy_basis_correlation,
        ("InterestRate", "Outer"): p.interest_rate.currency_correlation,
        ("CreditQualifying", "BaseCorrelation"): p.credit_qualifying.base_correlation_correlation,
        ("FX", "Volatility"): p.fx.vega_correlation,
    }
    rows = _rows(shared_simm, version, "correlation_scalars")
    assert len(rows) == len(attr)
    for r in rows:
        assert attr[(r["risk_class"], r["name"])] == float(r["value"]), (version, r)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_concentration_thresholds(shared_simm: Path, version: str) -> None:
    p = _params(version, 10)
    fx_pairs = ["1-1", "1-2", "1-3", "2-2", "2-3", "3-3"]
    for r in _rows(shared_simm, version, "concentration_thresholds"):
        rc, measure, bucket = r["risk_class"], r["measure"], r["bucket"]
        c = _by_class(p, rc)
        expected = float(r["threshold_usd_mm"])
        table = c.delta_threshold if measure == "Delta" else c.vega_threshold
        if rc == "FX" and measure == "Vega":
            got = table[fx_pairs[int(bucket) - 1]]
        elif isinstance(table, float):
            assert bucket == ""
            got = table
        else:
            got = table[bucket]
        assert got == expected, (version, r)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_currency_groups(shared_simm: Path, version: str) -> None:
    p = _params(version, 10)
    rows = _rows(shared_simm, version, "currency_groups")
    lookups = {
        ("InterestRate", "risk_weight_group"): p.interest_rate.weight_group,
        ("InterestRate", "concentration_group"): p.interest_rate.concentration_group,
        ("FX", "risk_weight_group"): p.fx.vol_group,
        ("FX", "concentration_group"): p.fx.concentration_group,
    }
    listed: dict[tuple[str, str], set[str]] = {}
    for r in rows:
        key = (r["risk_class"], r["usage"])
        listed.setdefault(key, set()).add(r["currency"])
        # "Other" stands for every currency not listed: an unlisted code must get that group
        ccy = "XXQ" if r["currency"] == "Other" else r["currency"]
        assert lookups[key](ccy) == r["group"], (version, r)
    members = {
        ("InterestRate", "risk_weight_group"): p.interest_rate.weight_groups,
        ("InterestRate", "concentration_group"): p.interest_rate.concentration_groups,
        ("FX", "risk_weight_group"): p.fx.vol_groups,
        ("FX", "concentration_group"): p.fx.concentration_groups,
    }
    for key, groups in members.items():  # no currency is in a group the table does not give it
        assert set(groups) == listed[key] - {"Other"}, (version, key)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_risk_class_correlations(shared_simm: Path, version: str) -> None:
    p = _params(version, 1)
    rows = _rows(shared_simm, version, "risk_class_correlations")
    assert len(rows) == 30
    for r in rows:
        assert p.psi(r["risk_class1"], r["risk_class2"]) == float(r["correlation"]), r
    np.testing.assert_array_equal(np.diag(p.risk_class_correlation), 1.0)


@shared
@pytest.mark.parametrize("version", SHARED_VERSIONS)
def test_metadata(shared_simm: Path, version: str) -> None:
    path = shared_simm / version / "tables" / "metadata.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    meta = json.loads(path.read_text())
    p = _params(version, 10)
    assert p.effective_date == meta["SIMM_EffectiveDate"]
    assert p.stress_period == (
        meta["AdditionalStressPeriod_StartDate"],
        meta["AdditionalStressPeriod_EndDate"],
    )


@shared
@pytest.mark.parametrize("mpor", [10, 1])
def test_methodology_constants(shared_simm: Path, mpor: int) -> None:
    path = shared_simm / "methodology_constants.csv"
    with path.open(newline="") as fh:
        consts = {r["name"]: r for r in csv.DictReader(fh)}
    m = load_parameters(mpor_days=mpor).methodology
    col = f"value_mpor{mpor}"
    assert m.sigma_multiplier == pytest.approx(float(consts["sigma_multiplier"][col]), rel=1e-14)
    lam = consts["curvature_lambda"][col].split("*")[0]
    assert m.curvature_lambda_base == pytest.approx(float(lam), rel=1e-12)
    assert m.concentration is (consts["concentration_mpor1"][col] == "enabled")


# --- tests that need no shared data ---------------------------------------------------------


def test_default_version_is_newest() -> None:
    assert DEFAULT_VERSION == "2.8+2512"
    assert load_parameters().version == "2.8+2512"
    assert load_parameters().mpor_days == 10


def test_unknown_version_lists_known_versions() -> None:
    with pytest.raises(InputError, match=r"unknown SIMM version '2\.9'.*1\.0, 1\.3.*2\.5, "
                       r"2\.5A, 2\.6, 2\.7.*2\.8\+2512"):
        load_parameters("2.9")


@pytest.mark.parametrize("mpor", [0, 5, "10", True, 10.0])
def test_bad_mpor(mpor: object) -> None:
    with pytest.raises(InputError, match="mpor_days"):
        load_parameters("2.6", mpor)  # type: ignore[arg-type]


@pytest.mark.parametrize("version", VERSIONS)
def test_parameters_are_frozen_and_consistent(version: str) -> None:
    p = load_parameters(version, 10)
    with pytest.raises(AttributeError):
        p.version = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        p.interest_rate.tenor_correlation[0, 1] = 0.0
    with pytest.raises(TypeError):
        p.equity.delta_weight["1"] = 0.0  # type: ignore[index]
    assert load_parameters(version, 10) is p
    # matrices are symmetric with a unit diagonal
    for mat in (
        p.risk_class_correlation,
        p.interest_rate.tenor_correlation,
        p.credit_qualifying.bucket_correlation,
        p.equity.bucket_correlation,
        p.commodity.bucket_correlation,
    ):
        np.testing.assert_array_equal(mat, mat.T)
        np.testing.assert_array_equal(np.diag(mat), 1.0)
    assert p.risk_class_correlation.shape == (len(RISK_CLASSES),) * 2
    assert p.methodology.curvature_scaling("2w") == 0.5
    # concentration thresholds exist from R1.3 (R1.0 had none: infinite thresholds)
    assert p.methodology.concentration is (version != "1.0")
    if version == "1.0":
        assert p.equity.delta_threshold["1"] == np.inf
    if 1 not in version_info(version).mpor_days:
        with pytest.raises(InputError, match="no 1-day calibration"):
            load_parameters(version, 1)
        return
    # 1-day weights are smaller than 10-day weights
    p1 = load_parameters(version, 1)
    assert all(
        p1.equity.delta_weight[b] < p.equity.delta_weight[b] for b in p.equity.buckets
    )
    assert not p1.methodology.concentration and p.methodology.concentration
    assert p1.methodology.curvature_scaling("2w") == pytest.approx(0.05)
