"""Shared fixtures: the optional ``../shared`` data folder and small histories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path | None:
    """The ``shared`` folder beside the repository (or ``$IMRESEARCH_SHARED``), if present."""
    env = os.environ.get("IMRESEARCH_SHARED")
    candidates = [Path(env)] if env else []
    candidates += [REPO_ROOT.parent / "shared", REPO_ROOT.parent.parent / "shared"]
    for path in candidates:
        if (path / "market_data").is_dir() or (path / "reference").is_dir():
            return path
    return None


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """Path of ``../shared``; tests using it are skipped when it is absent."""
    root = shared_root()
    if root is None:
        pytest.skip("../shared is absent (set IMRESEARCH_SHARED to run tests on the real data)")
    return root


@pytest.fixture(scope="session")
def shared_market_data(shared_dir: Path) -> Path:
    """Path of ``../shared/market_data`` (skip when absent)."""
    path = shared_dir / "market_data"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(scope="session")
def shared_simm(shared_dir: Path) -> Path:
    """Path of ``../shared/reference/simm`` (skip when absent)."""
    path = shared_dir / "reference" / "simm"
    if not path.is_dir():
        pytest.skip(f"{path} is absent")
    return path


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the result cache of test runs out of the user's cache folder (the compiled Numba
    kernels stay in the user's, also for the commands the tests run in subprocesses)."""
    from imresearch.cache import numba_cache_dir

    os.environ.setdefault("NUMBA_CACHE_DIR", str(numba_cache_dir()))
    os.environ["IMRESEARCH_CACHE"] = str(tmp_path_factory.mktemp("imresearch-cache"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep QuantLib and ORE out of one process.

    ORE's Python package bundles its own QuantLib; importing both Python packages in one
    process aborts it. When a run collects both the QuantLib pricer checks and the live ORE
    SIMM checks and both packages are installed, the QuantLib checks are skipped here; run
    ``python -m pytest tests/portfolio/test_quantlib.py`` on its own to execute them.
    """
    import importlib.util

    quantlib = [i for i in items if "test_quantlib" in i.nodeid]
    ore = [i for i in items if "test_ore_live" in i.nodeid]
    if not (quantlib and ore):
        return
    if importlib.util.find_spec("QuantLib") is None or importlib.util.find_spec("ORE") is None:
        return
    reason = ("QuantLib and ORE cannot share a process; run "
              "'python -m pytest tests/portfolio/test_quantlib.py' on its own")
    for item in quantlib:
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def figures(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every figure the report modules make during a test (they make them through
    ``imresearch.report.layout.subplots``), for the test to inspect."""
    from imresearch.report import layout

    kept: list = []
    make = layout.subplots

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        fig, axes = make(*args, **kwargs)
        kept.append(fig)
        return fig, axes

    monkeypatch.setattr(layout, "subplots", spy)
    return kept

