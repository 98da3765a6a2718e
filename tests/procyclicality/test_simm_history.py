"""SIMM through time: versions in force, the recalibrated-SIMM research mode, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import load_builtin
from imresearch.portfolio import EquityPosition, Portfolio
from imresearch.procyclicality.simm_history import (
    calibration_date,
    recalibrated_simm_history,
    recalibrated_total,
    simm_dates,
    simm_history,
)
from imresearch.simm import CRIF_COLUMNS, VERSIONS, NoSimmInForceError, simm, version_schedule


def test_schedule_is_the_simm_schedule() -> None:
    sched = version_schedule()
    assert sched.index[0] == "1.0" and sched.index[-1] == "2.8+2512"
    assert "1.3.38" not in sched.index  # a draft, never in force


def test_calibration_date_is_the_versions_data_end_or_override() -> None:
    assert calibration_date("2.5") == pd.Timestamp("2021-12-31")
    assert calibration_date("2.8+2506") == pd.Timestamp("2025-06-30")
    assert calibration_date("2.3.8") == pd.Timestamp("2020-12-31")  # ORE's name of 2.4
    assert calibration_date("2.5", dates={"2.5": "2021-06-30"}) == pd.Timestamp("2021-06-30")


def _equity_crif(amounts: dict[str, float]) -> pd.DataFrame:
    rows = []
    for i, (name, amt) in enumerate(amounts.items()):
        rows.append({"TradeID": f"T{i}", "PortfolioID": "P", "ProductClass": "Equity",
                     "RiskType": "Risk_Equity", "Qualifier": name, "Bucket": "5",
                     "Label1": "", "Label2": "spot", "Amount": amt, "AmountCurrency": "USD",
                     "AmountUSD": amt, "IMModel": "SIMM", "CollectRegulations": "",
                     "PostRegulations": ""})
    rows.append({"TradeID": "F", "PortfolioID": "P", "ProductClass": "RatesFX",
                 "RiskType": "Risk_FX", "Qualifier": "EUR", "Bucket": "", "Label1": "",
                 "Label2": "", "Amount": 2.0e5, "AmountCurrency": "USD", "AmountUSD": 2.0e5,
                 "IMModel": "SIMM", "CollectRegulations": "", "PostRegulations": ""})
    return pd.DataFrame(rows, columns=list(CRIF_COLUMNS))


@pytest.mark.parametrize("version", VERSIONS)
def test_recalibrated_total_is_exact_weight_scaling(version: str) -> None:
    # below the concentration thresholds CR = 1, so scaling every equity delta weight by k is
    # the same as scaling every equity sensitivity by k
    amounts = {"AAA": 1.0e4, "BBB": -4.0e3, "CCC": 7.0e3}
    base = simm(_equity_crif(amounts), version=version)
    assert recalibrated_total(base, {}) == pytest.approx(base.total, rel=1e-12)
    for k in (0.5, 1.7):
        scaled = simm(_equity_crif({n: k * a for n, a in amounts.items()}), version=version)
        got = recalibrated_total(base, {"Equity": k})
        assert got == pytest.approx(scaled.total, rel=1e-10)
        assert got != pytest.approx(base.total, rel=1e-3)


def test_recalibrated_total_rejects_unknown_class() -> None:
    base = simm(_equity_crif({"AAA": 1.0e4}), version="2.6")
    with pytest.raises(InputError, match="unknown SIMM risk class"):
        recalibrated_total(base, {"Equities": 1.2})


@pytest.fixture(scope="module")
def small() -> tuple[Portfolio, object]:
    market = load_builtin("synthetic_small")
    book = Portfolio([
        EquityPosition(trade_id="EQ1", underlying="SPX", bucket="11", quantity=2.0e4),
        EquityPosition(trade_id="EQ2", underlying="SPX", bucket="11", quantity=5.0e3,
                       direction="short"),
    ], name="small")
    return book, market


def test_simm_dates_month_ends(small) -> None:  # type: ignore[no-untyped-def]
    _, market = small
    d = simm_dates(market, "2008-01-01", "2008-06-30")
    assert len(d) == 6 and all(x in market.dates for x in d)
    assert d[0] == market.dates[market.dates.to_period("M") == "2008-01"].max()
    d5 = simm_dates(market, "2008-01-01", "2008-06-30", step=5)
    assert d5[-1] == market.dates[market.dates <= "2008-06-30"][-1]
    assert (np.diff(market.dates.get_indexer(d5)) == 5).all()
    with pytest.raises(InputError, match="step"):
        simm_dates(market, step="W")


def test_simm_history_versions_and_recalibration(small) -> None:  # type: ignore[no-untyped-def]
    book, market = small
    cal = pd.Timestamp("2010-06-30")
    out = simm_history(book, market, start="2009-01-01", step="M", recalibrate=True,
                       calibration_dates={"1.0": cal})
    # no SIMM before September 2016: version 1.0, flagged
    assert (out["version"] == "1.0").all() and out["before_first_version"].all()
    assert (out["simm"] > 0).all()
    assert {"simm_Equity", "scale_Equity", "simm_recalibrated"} <= set(out.columns)
    # on the calibration date the recalibrated weights are the published ones
    cal_row = out["calibration_date"].iloc[0]
    assert cal_row == market.dates[market.dates <= cal][-1] and cal_row in out.index
    on_cal = out.loc[cal_row]
    assert on_cal["scale_Equity"] == pytest.approx(1.0)
    assert on_cal["simm_recalibrated"] == pytest.approx(on_cal["simm"], rel=1e-9)
    # the recalibrated series moves with the market; published weights do not
    assert out["scale_Equity"].std() > 0.01
    # the 2008-09 stress period is known from mid-2009 on
    assert not out.loc[:"2009-05-29", "stress_in_window"].any()
    assert out.loc["2009-07-01":, "stress_in_window"].all()
    # each date's SIMM is the calculator on that date's CRIF
    t = out.index[3]
    fixed = simm_history(book, market, dates=[t], version="2.6")
    assert fixed["version"].iloc[0] == "2.6"
    assert fixed["simm"].iloc[0] != pytest.approx(out.loc[t, "simm"], rel=1e-6)


def test_simm_history_bad_input(small) -> None:  # type: ignore[no-untyped-def]
    book, market = small
    with pytest.raises(InputError, match="not a date of market"):
        simm_history(book, market, dates=["2008-01-05"])
    with pytest.raises(InputError, match="unknown SIMM version"):
        simm_history(book, market, dates=["2008-01-04"], version="9.9")
    with pytest.raises(InputError, match=r"version 1\.0's calibration window .* outside the data"):
        simm_history(book, market, start="2010-01-01", recalibrate=True)
    with pytest.raises(NoSimmInForceError, match="no ISDA SIMM version was in force"):
        simm_history(book, market, dates=["2008-01-04"], before="error")
    with pytest.raises(InputError, match="no date of"):
        simm_history(book, market, start="2030-01-01")


def test_point_in_time_recalibrated_history(small) -> None:  # type: ignore[no-untyped-def]
    from imresearch.simm import load_parameters
    from imresearch.simm.calibration import (
        bucket_weights,
        estimate_risk_weights,
        recalibrated_parameters,
    )

    book, market = small
    result = recalibrated_simm_history(book, market, "2009-06-01", "2010-06-30", step="M",
                                       buckets={"EQ_SPX": ("Equity", "11")})
    out = result.by_date
    assert (out["version"] == "1.0").all() and out["before_first_version"].all()
    assert (out["simm_recalibrated"] > 0).all() and out["ratio"].std() > 0.01
    weights = result.weights
    eq = weights[(weights["risk_class"] == "Equity") & (weights["bucket"] == "11")]
    assert len(eq) == len(out) and (eq["published"] == 15.0).all()  # SIMM 1.0 equity indices
    # one date by hand: the weights re-estimated on that date, in version 1.0's parameters
    t = out.index[4]
    est = bucket_weights(estimate_risk_weights(market, t, version="1.0",
                                               buckets={"EQ_SPX": ("Equity", "11")}))
    params = recalibrated_parameters(load_parameters("1.0"), est)
    row = simm_history(book, market, dates=[t], version=params.version)
    bp_crif_total = out.loc[t, "simm"]
    assert row["simm"].iloc[0] == pytest.approx(bp_crif_total, rel=1e-12)
    assert est.loc[("Equity", "11", ""), "weight"] == pytest.approx(
        eq.set_index("date").loc[t, "weight"], rel=1e-12)
    # an equity-only book: its delta margin scales with the weight (below the thresholds)
    ratio = est.loc[("Equity", "11", ""), "weight"] / 15.0
    assert out.loc[t, "ratio"] == pytest.approx(ratio, rel=1e-9)
