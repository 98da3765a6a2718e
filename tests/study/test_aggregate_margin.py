"""The aggregate part of a study: every model per netting set on the valuation date, one model
through time, the [aggregate] section of study files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import imresearch.marketdata as md
from imresearch.aggregate import aggregate_im
from imresearch.errors import InputError
from imresearch.models import HSModel, ScheduleModel
from imresearch.portfolio import Portfolio, load_portfolio
from imresearch.study import AggregateConfig, RollingConfig, aggregate_analysis, load_study

MODELS = {"HS 1y": HSModel(lookback_days=252),
          "FHS 1y": HSModel(lookback_days=252, filtering="ewma"), "Schedule": ScheduleModel()}


@pytest.fixture(scope="module")
def market() -> md.RiskFactorHistory:
    return md.synthetic_market(seed=0)


@pytest.fixture(scope="module")
def book() -> Portfolio:
    return Portfolio(load_portfolio("dealer_book").trades[::4], "quarter")


def test_every_model_per_netting_set_and_one_through_time(market, book):
    cfg = AggregateConfig(threshold=1e6, terms={"CP_ALPHA": {"threshold": 0.0}})
    res = aggregate_analysis(market, book, MODELS, cfg, rolling=RollingConfig(years=1, step=10))
    assert res.model == "FHS 1y"  # the first filtered HS model by default
    assert set(res.on_date["model"]) == set(MODELS)
    for label, model in MODELS.items():
        direct = aggregate_im(book, market, market.end, model, threshold=1e6,
                              terms={"CP_ALPHA": {"threshold": 0.0}})
        mine = res.on_date[res.on_date["model"] == label].set_index("netting_set")
        pd.testing.assert_series_equal(mine["collect"], direct.by_netting_set["collect"])
        assert res.totals.loc[label, "post"] == pytest.approx(direct.post)
    alpha = res.on_date[res.on_date["netting_set"] == "NS_CP_ALPHA"]
    assert (alpha["threshold_call"] == 0).all()
    # a terms table without a threshold or MTA takes [aggregate]'s, as docs/formats.md says
    cfg = AggregateConfig(threshold=1e6, mta=2.5e5, terms={"CP_ALPHA": {"rounding": 1e4}})
    res = aggregate_analysis(market, book, {"HS 1y": MODELS["HS 1y"]}, cfg,
                             rolling=RollingConfig(years=1, step=10))
    alpha = res.on_date[res.on_date["netting_set"] == "NS_CP_ALPHA"].iloc[0]
    assert alpha["threshold_call"] == pytest.approx(1e6)
    assert res.series.terms["CP_ALPHA"].mta == 2.5e5
    assert len(res.series.aggregate) == 26  # one year every 10th business day


def test_aggregate_section_of_study_files(tmp_path: Path):
    path = tmp_path / "s.toml"
    path.write_text('[aggregate]\nmodel = "HS 1y"\nthreshold = 2e6\n'
                    '[aggregate.terms.CP_ALPHA]\nthreshold = 0\nrounding = 1e5\n')
    study = load_study(path)
    assert study.aggregate.model == "HS 1y" and study.aggregate.terms["CP_ALPHA"]["rounding"] == 1e5
    assert study.settings()["aggregate"]["threshold"] == 2e6
    for text, message in [
        ('[aggregate]\nmodel = "HS 99y"\n', r"\[aggregate\]: model 'HS 99y' is not a model"),
        ("[aggregate]\nthreshold = -1\n", r"\[aggregate\]: threshold must be a finite number"),
        ("[aggregate]\nmta = 'big'\n", r"\[aggregate\]: mta must be a number; got 'big'"),
        ("[aggregate.terms.X]\nmta = -2\n", r"terms.X: mta must be a finite number >= 0"),
        ("[aggregate]\nthresholds = 1\n", r"unknown setting\(s\) \['thresholds'\]"),
    ]:
        path.write_text(text)
        with pytest.raises(InputError, match=message) as err:
            load_study(path)
        assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_bad_terms_fail_before_any_computation(tmp_path: Path):
    from imresearch.study import run_study

    path = tmp_path / "s.toml"
    path.write_text('[market]\ndata = "synthetic"\n[aggregate.terms.NOPE]\nthreshold = 0\n')
    steps: list[str] = []
    with pytest.raises(InputError, match=r"terms: 'NOPE' is neither a counterparty group"):
        run_study(load_study(path), progress=steps.append)
    assert steps == []
