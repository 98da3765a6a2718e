"""Built-in data sets: the arch.data series and the synthetic markets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import RiskFactorHistory
from imresearch.marketdata.builtin import SYNTHETIC_SMALL_FACTORS, builtin_names, load_builtin
from imresearch.marketdata.synthetic import synthetic_market

arch_data = pytest.importorskip("arch.data")

NAMES = ["public_markets", "fed_h10_fx", "arch_sp500", "arch_nasdaq", "arch_wti", "arch_vix",
         "synthetic", "synthetic_small"]


def arch_frame(module: str) -> pd.DataFrame:
    import importlib

    return importlib.import_module(f"arch.data.{module}").load()


def test_builtin_names_have_one_line_descriptions() -> None:
    names = builtin_names()
    assert list(names) == NAMES
    for name, description in names.items():
        assert isinstance(description, str) and description.strip()
        assert "\n" not in description and len(description) < 120, name
    names["arch_sp500"] = "changed"  # a copy: the registry is not affected
    assert builtin_names()["arch_sp500"] != "changed"


@pytest.mark.parametrize(
    ("name", "module", "column", "factor", "risk_class", "units"),
    [
        ("arch_sp500", "sp500", "Adj Close", "SPX", "equity", "index points"),
        ("arch_nasdaq", "nasdaq", "Adj Close", "IXIC", "equity", "index points"),
    ],
)
def test_arch_equity_indices(name: str, module: str, column: str, factor: str,
                             risk_class: str, units: str) -> None:
    history = load_builtin(name)
    raw = arch_frame(module)[column]
    assert isinstance(history, RiskFactorHistory)
    assert history.name == name and history.source == f"arch.data.{module}"
    assert history.factor_names == [factor]
    spec = history.factors[factor]
    assert (spec.risk_class, spec.convention, spec.units, spec.currency) == (
        risk_class, "log", units, "USD")
    assert history.start == pd.Timestamp("1999-01-04")
    assert history.end == pd.Timestamp("2018-12-31")
    assert history.n_dates == len(raw) == 5031
    np.testing.assert_array_equal(history.values[:, 0], raw.to_numpy(dtype=float))
    assert history.gap_report.n_dropped == 0
    assert (history.values > 0).all()


def test_arch_wti_drops_the_days_without_a_price() -> None:
    raw = arch_frame("wti")["DCOILWTICO"]
    missing = pd.DatetimeIndex(raw.index[raw.isna()]).normalize().astype("datetime64[ns]")
    assert len(missing) == 290  # the documented count
    history = load_builtin("arch_wti")
    assert history.factor_names == ["WTI"]
    spec = history.factors["WTI"]
    assert (spec.risk_class, spec.convention, spec.units) == ("commodity", "log", "USD/bbl")
    assert history.n_dates == len(raw) - 290 == 8321
    assert history.gap_report.policy == "drop"
    assert history.gap_report.dropped_dates.equals(pd.DatetimeIndex(missing, name="date"))
    assert not history.dates.isin(missing).any()
    assert np.isfinite(history.values).all() and (history.values > 0).all()
    # the kept prices are the published ones, unchanged
    kept = raw.dropna()
    np.testing.assert_array_equal(history.values[:, 0], kept.to_numpy())
    # the gaps are single holidays (or two around Christmas): never longer than two weekdays
    assert history.calendar_gaps(max_business_days=3).empty


def test_arch_wti_other_gap_policies() -> None:
    filled = load_builtin("arch_wti", gap_policy="ffill")
    assert filled.n_dates == 8611 and filled.gap_report.n_filled == 290
    assert filled.levels.loc["1986-02-17", "WTI"] == filled.levels.loc["1986-02-14", "WTI"]
    with pytest.raises(InputError, match=r"arch\.data\.wti, date 1986-02-17, column 'WTI': "
                                         r"missing value \(290 missing in all\)"):
        load_builtin("arch_wti", gap_policy="error")
    with pytest.raises(InputError, match=r"gap_policy must be one of .*; got 'interpolate'"):
        load_builtin("arch_wti", gap_policy="interpolate")  # type: ignore[arg-type]


def test_arch_vix() -> None:
    raw = arch_frame("vix")["vix"]
    history = load_builtin("arch_vix")
    spec = history.factors["VIX"]
    assert (spec.risk_class, spec.convention, spec.units) == ("volatility", "log", "vol points")
    assert history.gap_report.n_dropped == int(raw.isna().sum()) == 46
    assert history.n_dates == 1259
    assert history.start == pd.Timestamp("2014-01-03")
    assert 9.0 < history.values.min() and history.values.max() < 41.0


# levels of synthetic_market(seed=0) recorded before the model-interface redesign (issue #12):
# the built-in must keep producing them (relative 1e-12, as tests/test_golden.py)
SYNTHETIC_LEVELS = [
    ("1999-01-04", "EQ_SPX", 1230.0),
    ("2008-10-10", "EQ_SPX", 2874.09952269211),
    ("2020-03-16", "VOL_VIX", 64.94532038511493),
    ("2026-01-02", "IR_USD_10y", 4.622522685810271),
    ("2015-06-30", "FX_EURUSD", 1.054831351729209),
    ("2012-01-02", "CR_CDX_HY", 687.8469512960526),
]


def test_synthetic_is_the_default_synthetic_market() -> None:
    history = load_builtin("synthetic")
    assert (history.n_dates, history.start, history.end) == (
        7045, pd.Timestamp("1999-01-04"), pd.Timestamp("2026-01-02"))
    for date, factor, level in SYNTHETIC_LEVELS:
        assert history.levels.loc[date, factor] == pytest.approx(level, rel=1e-12), (date, factor)
    assert history.name == "synthetic" and history.n_factors == 38
    assert history.gap_report.n_dropped == 0
    other = load_builtin("synthetic", seed=1)
    assert not other == history and other.dates.equals(history.dates)


def test_synthetic_small() -> None:
    history = load_builtin("synthetic_small")
    assert history.name == "synthetic_small"
    assert history.factor_names == list(SYNTHETIC_SMALL_FACTORS)
    assert history.start == pd.Timestamp("2007-01-02")
    assert history.end == pd.Timestamp("2010-12-31")
    assert 1000 < history.n_dates < 1100
    spx = np.log(history.levels["EQ_SPX"])
    # it covers the GFC: the autumn-2008 sell-off is there
    assert spx.loc["2008-11-28"] - spx.loc["2008-08-29"] < -0.25
    again = load_builtin("synthetic_small", seed=np.random.SeedSequence(4))
    assert again.factor_names == history.factor_names and not again == history
    # its factors are the full market's, same seed and dates
    full = synthetic_market(0, start="2007-01-02", years=4)
    pd.testing.assert_frame_equal(history.levels, full.levels[list(SYNTHETIC_SMALL_FACTORS)])


def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(InputError, match=r"unknown built-in data set 'sp500'; valid names: "
                                         r"public_markets, fed_h10_fx, arch_sp500, "
                                         r"arch_nasdaq, arch_wti, arch_vix, synthetic, "
                                         r"synthetic_small"):
        load_builtin("sp500")
    with pytest.raises(InputError, match=r"unknown built-in data set 3"):
        load_builtin(3)  # type: ignore[arg-type]


def test_options_that_do_not_apply_are_rejected() -> None:
    with pytest.raises(InputError, match=r"seed applies only to the synthetic data sets; "
                                         r"'arch_sp500' is real data \(got seed=5\)"):
        load_builtin("arch_sp500", seed=5)
    with pytest.raises(InputError, match=r"gap_policy applies only to the real data sets; "
                                         r"'synthetic' is synthetic"):
        load_builtin("synthetic", gap_policy="drop")
    assert load_builtin("arch_vix", seed=0).n_dates == 1259


@pytest.mark.parametrize("name", NAMES)
def test_every_builtin_loads_clean(name: str) -> None:
    history = load_builtin(name)
    assert history.name == name
    assert history.n_dates > 250 and history.dates.is_monotonic_increasing
    assert np.isfinite(history.values).all()
    for factor, spec in history.factors.items():
        if spec.requires_positive:
            assert (history.levels[factor] > 0).all()
