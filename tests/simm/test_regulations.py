"""Regulation worst-of: ISDA's optional SIMM 2.5 regulation unit tests and small cases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.simm import simm, simm_worst_of
from tests.simm._builders import crif, ir

VIEWS = {"TOTAL": {}, "SEGREGATED": {"exclude_regulations": ["SEC-unseg"]},
         "UNSEGREGATED": {"regulations": ["SEC-unseg"]}}


@pytest.mark.shared_data
def test_isda_optional_regulation_cases(shared_simm: Path) -> None:
    d = shared_simm / "tests" / "isda_simm_2.5_optional_regulation_tests"
    if not d.is_dir():
        pytest.skip(f"{d} is absent")
    rows = pd.read_csv(d / "simm_2.5_isda_optional_regulation_crif.csv", dtype=str,
                       keep_default_na=False).set_index("SensitivityID")
    cases = pd.read_csv(d / "simm_2.5_isda_optional_regulation_cases.csv")
    assert len(cases) == 32
    failures = []
    for case in cases.itertuples():
        portfolio = rows.loc[case.SensitivityIDs.split(";")].reset_index()
        assert case.Role == "SECURED"  # the call (collect) side
        r = simm_worst_of(portfolio, version="2.5", mpor_days=10 if case.Period == "10d" else 1,
                          side="call", **VIEWS[case.CalculationType])
        if abs(r.total - case.ExpectedTotal) > 1.0:
            failures.append((case.Period, case.TestID, r.total, case.ExpectedTotal))
    assert not failures, failures


def test_worst_of_picks_the_largest_regulation() -> None:
    rows = crif(
        ir("USD", "5y", 1000.0, CollectRegulations="ESA,USPR", PostRegulations="CFTC"),
        ir("USD", "10y", 800.0, CollectRegulations="ESA", PostRegulations="CFTC,SEC"),
        ir("EUR", "1y", 100.0),
    )
    r = simm_worst_of(rows)
    esa = simm(rows.iloc[:2]).total
    uspr = simm(rows.iloc[:1]).total
    assert r.by_regulation.to_dict() == pytest.approx({"ESA": esa, "USPR": uspr})
    assert r.winning["regulation"].tolist() == ["ESA"]
    assert r.total == pytest.approx(max(esa, uspr))
    post = simm_worst_of(rows, side="post")
    assert set(post.by_regulation.index) == {"CFTC", "SEC"}
    assert post.total == pytest.approx(simm(rows.iloc[:2], side="post").total)
    # no regulation anywhere: everything is "Unspecified"
    plain = simm_worst_of(rows.drop(columns=["CollectRegulations", "PostRegulations"]))
    assert plain.winning["regulation"].tolist() == ["Unspecified"]
    assert plain.total == pytest.approx(simm(rows).total)
    with pytest.raises(InputError, match="no CRIF row applies"):
        simm_worst_of(rows, regulations=["JFSA"])


def test_worst_of_per_portfolio() -> None:
    a = crif(ir("USD", "5y", 1000.0, CollectRegulations="ESA")).assign(PortfolioID="A")
    b = crif(ir("USD", "5y", 10.0, CollectRegulations="ESA"),
             ir("JPY", "5y", 9000.0, CollectRegulations="JFSA")).assign(PortfolioID="B")
    r = simm_worst_of(pd.concat([a, b]), group_by="PortfolioID")
    win = r.winning.set_index("PortfolioID")["regulation"].to_dict()
    assert win == {"A": "ESA", "B": "JFSA"}
    assert r.total == pytest.approx(simm(a).total + simm(b.iloc[[1]]).total)
