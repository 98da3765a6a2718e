"""Progress reports: one line per step in logs, the current step's own units on a terminal."""

from __future__ import annotations

import io
import re

import pytest

from imresearch.progress import HEARTBEAT_S, Progress, format_seconds


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


STEPS = {"load market": None, "rolling IM": 3, "figures": None}
ALIASES = {"rolling IM": "rolling IM", "realised": "backtests"}


def test_lines_one_per_step_with_elapsed_time() -> None:
    clock, out = Clock(), io.StringIO()
    bar = Progress("study s", STEPS, stream=out, clock=clock)
    assert bar.mode == "lines"  # not a terminal
    bar.step("load market")
    clock.t += 2.5
    bar.say("rolling IM: HS 1y", ALIASES)
    clock.t += 4.0
    bar.say("rolling IM: HS 10y", ALIASES)  # same step: no new line
    clock.t += 4.0
    bar.say("rolling IM: FHS", ALIASES)
    clock.t += 101.0
    bar.step("figures")
    bar.close("done")
    assert out.getvalue().splitlines() == [
        "study s: [1/3] load market (elapsed 0.0 s)",
        "study s: [2/3] rolling IM: HS 1y (elapsed 2.5 s)",
        "study s: [3/3] figures (elapsed 1 min 52 s)",
        "study s: done in 1 min 52 s",
    ]


def test_lines_of_a_long_step_at_most_every_heartbeat() -> None:
    clock, out = Clock(), io.StringIO()
    bar = Progress("sweep", stream=out, clock=clock, mode="lines")
    bar.step("tasks", total=10)
    for i in range(10):
        clock.t += HEARTBEAT_S / 4
        bar.advance(f"task {i}")
    lines = out.getvalue().splitlines()
    assert lines[0] == "sweep: tasks (elapsed 0.0 s)"
    assert lines[1:] == ["sweep: tasks: 4/10 done, task 3 (elapsed 30.0 s)",
                         "sweep: tasks: 8/10 done, task 7 (elapsed 1 min 00 s)"]


def test_terminal_bar_counts_the_current_steps_own_units() -> None:
    pytest.importorskip("tqdm")
    clock, out = Clock(), Terminal()
    bar = Progress("study s", STEPS, stream=out, clock=clock)
    assert bar.mode == "bar"
    bar.step("load market")
    assert bar._bar.total is None
    bar.say("rolling IM: HS 1y", ALIASES)
    assert (bar._bar.total, bar._bar.n) == (3, 0)
    bar.say("rolling IM: HS 10y", ALIASES)
    bar.say("rolling IM: FHS", ALIASES)
    assert (bar._bar.total, bar._bar.n) == (3, 2)
    text = out.getvalue()
    assert "study s [2/3] rolling IM: 2/3" in text and "FHS" in text
    bar.say("realised P&L and backtests", ALIASES)  # a step not declared: numbered after
    assert bar._bar.total is None and "[4/4] backtests" in out.getvalue()
    bar.note("compiling")
    bar.close("done")
    final = out.getvalue().splitlines()[-1]
    assert re.fullmatch(r"study s: done in \d+\.\d s", final.split("\r")[-1].strip())


def test_off_prints_nothing() -> None:
    out = io.StringIO()
    bar = Progress("x", STEPS, stream=out, mode="off")
    bar.step("load market")
    bar.advance()
    bar.note("n")
    bar.close("done")
    assert out.getvalue() == ""


@pytest.mark.parametrize(("seconds", "text"), [(0.04, "0.0 s"), (59.94, "59.9 s"),
                                              (61, "1 min 01 s"), (3725, "1 h 02 min")])
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text
