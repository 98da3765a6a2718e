"""The palette: one colour and line style per model, from what the model is."""

from __future__ import annotations

import matplotlib.colors as mcolors
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.models import HSModel, MCModel, ScheduleModel, SimmModel, StaticModel
from imresearch.report.palette import (
    SCHEDULE_COLOR,
    SIMM_COLOR,
    Palette,
    categorical,
    label_style,
    model_style,
)
from imresearch.study.settings import DEFAULT_MODELS


def test_families_and_fixed_colours() -> None:
    blue = mcolors.to_rgb(model_style(HSModel(lookback_days=2520)).color)
    red = mcolors.to_rgb(model_style(HSModel(lookback_days=756, stress=True)).color)
    green = mcolors.to_rgb(model_style(MCModel()).color)
    assert blue[2] > max(blue[:2]) and red[0] > max(red[1:]) and green[1] > max(green[::2])
    assert model_style(SimmModel()).color == SIMM_COLOR == model_style(SimmModel("2.6")).color
    assert model_style(SimmModel()).linestyle == "-"
    assert model_style(SimmModel("2.6")).linestyle == "--"
    assert model_style(ScheduleModel()).color == SCHEDULE_COLOR
    # a longer lookback is a darker shade of the same family
    light = sum(mcolors.to_rgb(model_style(HSModel(lookback_days=252)).color))
    dark = sum(mcolors.to_rgb(model_style(HSModel(lookback_days=2520)).color))
    assert dark < light
    # the stress-weighted model differs from the plain stressed one by its line style
    plain = model_style(HSModel(lookback_days=252, stress=True))
    weighted = model_style(HSModel(lookback_days=252, stress=True, stress_weight=0.25))
    assert plain.color == weighted.color and plain.linestyle != weighted.linestyle
    assert model_style(StaticModel(rate=0.05)).color != model_style(StaticModel(rate=0.2)).color
    with pytest.raises(TypeError, match="not a margin model spec"):
        model_style("HS 1y")


def test_a_label_alone_gives_its_models_style() -> None:
    """Replays and APC tools know models by label only: same style as from the spec."""
    for label, spec in DEFAULT_MODELS.items():
        assert label_style(label) == model_style(spec), label
    assert label_style("FHS-GARCH 4y") == model_style(HSModel(lookback_days=1008,
                                                               filtering="garch"))
    assert label_style("static 7.5%") == model_style(StaticModel(rate=0.075))
    assert label_style("SIMM 2.6 1d").linestyle == ":"
    assert label_style("schedule").color == SCHEDULE_COLOR


@given(st.text(min_size=1, max_size=20))
def test_any_label_has_a_stable_style(label: str) -> None:
    assert label_style(label) == label_style(label)
    assert mcolors.is_color_like(label_style(label).color)


def test_palette_tells_every_label_apart() -> None:
    labels = ["HS 10y", "HS 10y ES-free copy", "broker A", "broker B", "HS 10y (again)"]
    p = Palette({"HS 10y": HSModel(), "HS 10y (again)": HSModel()})
    for label in labels:
        p.add(label)
    looks = [(p[k].color, p[k].linestyle) for k in p.labels()]
    assert len(set(looks)) == len(looks)
    assert p["HS 10y"] == model_style(HSModel())  # the first keeps its own style
    assert p.color("HS 10y (again)") == p.color("HS 10y")  # same model, another dash
    assert p.labels()[:2] == ["HS 10y", "HS 10y (again)"]
    assert Palette(DEFAULT_MODELS)["SIMM"].color == SIMM_COLOR


def test_categorical_cycles() -> None:
    colors = categorical(20)
    assert len(set(colors[:14])) == 14 and colors[14] == colors[0]
