"""Every benchmark still runs: its set-up, engine and baseline at the quick size, their
agreement (the module's ``check``) and its extra figures. Untimed: the speed figures are
measured by ``benchmarks/run.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _runner():
    spec = importlib.util.spec_from_file_location("benchmarks_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts benchmarks/ on sys.path for the bench modules
    return module


RUN = _runner()


@pytest.mark.parametrize("name", RUN.available())
def test_benchmark_runs_and_agrees_at_quick_size(name: str) -> None:
    assert isinstance(RUN.smoke(name), dict)
