"""Episode catalogue: every file valid, facts in the descriptions checked against real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from imresearch.errors import InputError
from imresearch.marketdata import load_builtin, load_dataset
from imresearch.scenarios import episode_names, load_episode, load_episodes

REQUIRED = {
    "crash_1987", "ltcm_1998", "sept_2001", "gfc_2008", "euro_crisis_2010_11",
    "taper_tantrum_2013", "chf_2015", "aug_2015", "feb_2018", "covid_2020", "archegos_2021",
    "lme_nickel_2022", "uk_ldi_2022", "svb_2023", "yen_carry_2024",
}


def test_catalogue_is_complete_and_ordered() -> None:
    eps = load_episodes()
    assert {e.name for e in eps} == REQUIRED
    assert [e.start for e in eps] == sorted(e.start for e in eps)
    for e in eps:
        assert e.start <= e.end and e.sources and e.description
        assert all(e.start <= ev.date <= e.end for ev in e.events)
    assert episode_names()[0] == "crash_1987"


def test_window_and_outside_data() -> None:
    market = load_builtin("arch_sp500")  # 1999-2018
    gfc = load_episode("gfc_2008")
    w = gfc.window(market, lookback_days=250)
    assert w.end <= gfc.end and w.dates[250] >= gfc.start
    with pytest.raises(InputError, match=r"episode crash_1987 \(1987-10-01 .. 1987-12-31\) is "
                                         r"outside the data arch_sp500 \(1999-01-04"):
        load_episode("crash_1987").window(market)
    with pytest.raises(InputError, match="fewer than lookback_days=5000"):
        gfc.window(market, lookback_days=5000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 'red'\n", r"key 'colour': unknown key; allowed here: \['description'"),
        ("", r"missing key\(s\) \['name', 'title', 'start', 'end', 'description', 'sources'\]"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_episode(path)


def test_bad_dates_and_names(tmp_path: Path) -> None:
    good = Path(load_episode("chf_2015").path).read_text()
    cases = {
        "end before": (good.replace("end = 2015-02-27", "end = 2014-02-27"), "before 'start'"),
        "malformed": (good.replace("start = 2015-01-05", 'start = "2015-13-45"'),
                      "key 'start': malformed date '2015-13-45'"),
        "event outside": (good.replace("date = 2015-01-15\nwhat", "date = 2016-01-15\nwhat"),
                          r"events\[0\].date 2016-01-15 is outside"),
        "risk class": (good.replace('"FX", "IR"', '"FX", "rates"'), "unknown \\['rates'\\]"),
    }
    for label, (text, message) in cases.items():
        path = tmp_path / "chf_2015.toml"
        path.write_text(text)
        with pytest.raises(InputError, match=message):
            load_episode(path)
        assert label
    with pytest.raises(InputError, match="unknown episode 'gfc'; known: "):
        load_episode("gfc")


def _ret(levels: pd.Series, date: str) -> float:
    i = levels.index.get_loc(pd.Timestamp(date))
    return float(levels.iloc[i] / levels.iloc[i - 1] - 1)


@pytest.mark.usefixtures("shared_market_data")
def test_episode_facts_match_the_data(shared_market_data: Path) -> None:
    d = str(shared_market_data)
    spx = load_dataset("sp500", data_dir=d).levels.iloc[:, 0]
    assert _ret(spx, "1987-10-19") == pytest.approx(-0.205, abs=0.002)
    assert _ret(spx, "2018-02-05") == pytest.approx(-0.041, abs=0.001)
    vix = load_dataset("vix", data_dir=d).levels.iloc[:, 0]
    assert vix[pd.Timestamp("2008-11-20")] == pytest.approx(80.9, abs=0.1)
    assert vix[pd.Timestamp("2020-03-16")] == pytest.approx(82.69, abs=0.01)
    assert vix[pd.Timestamp("2018-02-02")] == pytest.approx(17.3, abs=0.05)
    assert vix[pd.Timestamp("2018-02-05")] == pytest.approx(37.3, abs=0.05)
    gfc_low = spx.loc["2008-09-01":"2009-03-31"]
    assert gfc_low.idxmin() == pd.Timestamp("2009-03-09")
    assert gfc_low.min() == pytest.approx(676.53, abs=0.01)
    covid = spx.loc["2020-02-19":"2020-03-23"]
    assert covid.iloc[-1] / covid.iloc[0] - 1 == pytest.approx(-0.34, abs=0.01)
    eurchf = load_dataset("yahoo_eurchf_x", data_dir=d).levels.iloc[:, 0]
    assert eurchf[pd.Timestamp("2015-01-14")] > 1.19
    assert eurchf.loc["2015-01-16":"2015-01-20"].min() < 1.06
    ust = load_dataset("ust_cmt", data_dir=d).levels
    col10 = next(c for c in ust.columns if "10y" in c.lower())
    taper = ust[col10].loc["2013-05-01":"2013-09-30"]
    assert taper.iloc[0] < 1.7 and taper.max() > 2.95
    par2 = load_dataset("ust_par", data_dir=d).levels["UST_PAR_2Y"]
    svb = par2.loc["2023-03-08":"2023-03-13"]
    assert svb.iloc[0] - svb.iloc[-1] > 1.0  # 2-year yield fell over 100bp in three days
    assert np.isfinite(spx.to_numpy()).all()
