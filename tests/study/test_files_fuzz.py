"""Fuzzing the readers of study, grid, episode and Archegos scenario files: whatever the file,
the only exception is a one-line InputError (no other exception, no traceback at the CLI).

Three kinds of input: raw bytes; TOML documents built from each format's own sections and
keys with values of every TOML type (and some out of range); and the shipped, valid files
damaged line by line (a line dropped, a value replaced). Each read either gives a validated
object or raises :class:`~imresearch.errors.InputError` with a message on one line.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imresearch.errors import InputError
from imresearch.scenarios.archegos_scenario import load_archegos_scenario
from imresearch.scenarios.episodes import episodes_dir, load_episode
from imresearch.study.grid import load_grid
from imresearch.study.settings import load_study

REPO = Path(__file__).resolve().parents[2]
FAST = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SCALARS = st.one_of(
    st.integers(-3, 3000), st.sampled_from([0, -1, 10**20, 252, 2520]),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0.99, 1.5, -0.2, 0.0, 1e-300, 0.25]),
    st.booleans(), st.text(max_size=12),
    st.sampled_from(["hs", "mc", "simm", "schedule", "static", "ewma", "none", "in_force",
                     "2.6", "synthetic_small", "dealer_book", "recent+stress", "var", "es",
                     "gfc_2008", "archegos", "block", "tranches", "", "HS 1y", "2021-03-19"]),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6)

STUDY_KEYS = {
    "market": ["data", "seed", "horizon", "confidence", "stress_window_days", "recent_years"],
    "portfolio": ["source", "simm_version"],
    "rolling": ["years", "step", "mc_paths"],
    "apc": ["target", "buffer", "speed_limit", "blend_weight", "floor_model", "stressed_model",
            "calibration_models", "frontier_days"],
}
MODEL_KEYS = ["kind", "engine", "type", "lookback_days", "filtering", "stress", "stress_weight",
              "horizon", "confidence", "measure", "n_paths", "paths", "seed", "copula",
              "window", "version", "mpor_days", "side", "rate", "rates", "basis"]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, int)):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"


@st.composite
def study_docs(draw: st.DrawFn) -> str:
    lines = []
    if draw(st.booleans()):
        lines.append(f"name = {_toml_value(draw(SCALARS))}")
    for section, keys in STUDY_KEYS.items():
        if draw(st.booleans()):
            lines.append(f"[{section}]")
            for key in draw(st.lists(st.sampled_from([*keys, "bogus"]), max_size=3,
                                     unique=True)):
                lines.append(f"{key} = {_toml_value(draw(VALUES))}")
    for i in range(draw(st.integers(0, 2))):
        lines.append(f'[models."m{i}"]')
        for key in draw(st.lists(st.sampled_from(MODEL_KEYS), max_size=4, unique=True)):
            lines.append(f"{key} = {_toml_value(draw(VALUES))}")
    return "\n".join(lines) + "\n"


@st.composite
def grid_docs(draw: st.DrawFn) -> str:
    lines = ["[grid]"]
    for key in draw(st.lists(st.sampled_from(["horizon", "confidence", "portfolio", "episode",
                                              "recent_years", "bogus"]), max_size=3,
                             unique=True)):
        lines.append(f"{key} = {_toml_value(draw(VALUES))}")
    for kind in draw(st.lists(st.sampled_from(["hs", "mc", "simm", "static", "garch"]),
                              max_size=2, unique=True)):
        lines.append(f"[grid.{kind}]")
        for key in draw(st.lists(st.sampled_from(MODEL_KEYS), max_size=3, unique=True)):
            lines.append(f"{key} = {_toml_value(draw(st.lists(SCALARS, max_size=3)))}")
    return "\n".join(lines) + "\n"


@st.composite
def damaged(draw: st.DrawFn, text: str) -> str:
    """A valid file with one line dropped or one value replaced."""
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    if draw(st.booleans()) or "=" not in lines[i]:
        del lines[i]
    else:
        key = lines[i].split("=", 1)[0]
        lines[i] = f"{key}= {_toml_value(draw(VALUES))}"
    return "\n".join(lines) + "\n"


def _only_input_errors(read: Callable[[Path], Any], path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        read(path)
    except InputError as exc:
        assert "\n" not in str(exc).strip(), str(exc)


SHIPPED_SCENARIO = (REPO / "scenarios" / "archegos_2021.toml").read_text(encoding="utf-8")
SHIPPED_EPISODE = (episodes_dir() / "covid_2020.toml").read_text(encoding="utf-8")
SMALL_STUDY = """name = "s"
[market]
data = "synthetic_small"
stress_window_days = 120
[portfolio]
source = "dealer_book"
[rolling]
years = 1
step = 10
[models."HS 1y"]
lookback_days = 252
[models.MC]
kind = "mc"
n_paths = 100
[apc]
target = "HS 1y"
floor_model = "HS 1y"
stressed_model = "HS 1y"
calibration_models = []
"""


@FAST
@given(data=st.one_of(st.binary(max_size=200), study_docs().map(str.encode),
                      damaged(SMALL_STUDY).map(str.encode)))
def test_study_files(tmp_path: Path, data: bytes) -> None:
    _only_input_errors(load_study, tmp_path / "study.toml", data)


@FAST
@given(data=st.one_of(st.binary(max_size=200), grid_docs().map(str.encode)))
def test_grid_files(tmp_path: Path, data: bytes) -> None:
    _only_input_errors(load_grid, tmp_path / "grid.toml", data)


@FAST
@given(data=st.one_of(st.binary(max_size=200), damaged(SHIPPED_SCENARIO).map(str.encode)))
def test_archegos_scenario_files(tmp_path: Path, data: bytes) -> None:
    _only_input_errors(load_archegos_scenario, tmp_path / "scenario.toml", data)


@FAST
@given(data=st.one_of(st.binary(max_size=200), damaged(SHIPPED_EPISODE).map(str.encode)))
def test_episode_files(tmp_path: Path, data: bytes) -> None:
    _only_input_errors(load_episode, tmp_path / "covid_2020.toml", data)


@pytest.mark.parametrize("text", [SMALL_STUDY, SHIPPED_SCENARIO, SHIPPED_EPISODE])
def test_the_undamaged_files_load(tmp_path: Path, text: str) -> None:
    """The fuzzers start from valid files (so a damaged one tests the checks, not a typo)."""
    path = tmp_path / "covid_2020.toml"  # an episode's name is its file's
    path.write_text(text, encoding="utf-8")
    if text is SMALL_STUDY:
        assert load_study(path).models["MC"].n_paths == 100
    elif text is SHIPPED_SCENARIO:
        assert len(load_archegos_scenario(path).brokers) == 8
    else:
        assert load_episode(path).name == "covid_2020"
