"""Numba's cache lives in the user cache folder: the package runs from a read-only install."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import imresearch
from imresearch._numba import DISABLE_NUMBA
from tests.fs import snapshot

pytestmark = pytest.mark.skipif(DISABLE_NUMBA, reason="Numba disabled")

PACKAGE = Path(imresearch.__file__).resolve().parent

SCRIPT = textwrap.dedent("""
    import json, sys
    if sys.argv[1] == "numba-first":
        import numba  # imported before imresearch: its configuration is set afterwards
    import numpy as np
    import imresearch._numba as nb
    nb._CORE_KERNELS = ("_measures_kernels.py",)
    before = nb.kernels_cached()
    from imresearch._measures_kernels import tail_stats
    var, es, _ = tail_stats(np.arange(10.0), np.full(10, 0.1), 0.2, True)
    print(json.dumps({"file": nb.__file__, "cache_dir": None if nb.CACHE_DIR is None
                      else str(nb.CACHE_DIR), "before": before, "after": nb.kernels_cached(),
                      "var": var, "es": es}))
""")


def install_copy(tmp_path: Path) -> Path:
    """A copy of the package in a read-only site folder."""
    site = tmp_path / "site"
    shutil.copytree(PACKAGE, site / "imresearch", symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__"))
    for path in [site, *site.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return site


def run_kernel(site: Path, home: Path, mode: str = "plain",
               **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("NUMBA_CACHE_DIR", "IMRESEARCH_CACHE", "XDG_CACHE_HOME")}
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=300,
        cwd=site.parent, env={**clean, "PYTHONPATH": str(site), "HOME": str(home),
                              "PYTHONDONTWRITEBYTECODE": "1", **env})
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    path = install_copy(tmp_path)
    yield path
    for p in [path, *path.rglob("*")]:  # let pytest remove it
        p.chmod(p.stat().st_mode | stat.S_IWUSR)


def test_read_only_install_caches_kernels_in_the_user_cache(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    home = tmp_path / "home"
    out = run_kernel(site, home)
    assert out["file"].startswith(str(site))  # the copy was imported, not the checkout
    assert (out["var"], out["es"]) == (8.0, 8.5)
    cache = home / ".cache" / "imresearch" / "numba"
    assert Path(out["cache_dir"]).parent == cache
    assert (out["before"], out["after"]) == (False, True)  # an empty cache is detected
    assert any(cache.rglob("_measures_kernels.tail_stats-*.nbi"))
    assert snapshot(site) == before  # nothing written next to the code
    again = run_kernel(site, home)
    assert (again["before"], again["after"]) == (True, True)


def test_unwritable_cache_compiles_in_memory(site: Path, tmp_path: Path) -> None:
    before = snapshot(site)
    (tmp_path / "blocked").write_text("a file where the home folder should be")
    out = run_kernel(site, tmp_path / "blocked" / "home")
    assert out["cache_dir"] is None and (out["var"], out["es"]) == (8.0, 8.5)
    assert out["after"] is False
    assert snapshot(site) == before


def test_user_numba_cache_dir_wins_and_numba_imported_first(site: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    out = run_kernel(site, tmp_path / "home", NUMBA_CACHE_DIR=str(mine))
    assert Path(out["cache_dir"]).parent == mine and any(mine.rglob("*.nbi"))
    out = run_kernel(site, tmp_path / "home2", mode="numba-first",
                     IMRESEARCH_CACHE=str(tmp_path / "results-cache"))
    assert Path(out["cache_dir"]).parent == tmp_path / "results-cache" / "numba"
    assert any((tmp_path / "results-cache" / "numba").rglob("*.nbi"))
    assert not (tmp_path / "home2").exists()


def test_cache_folder_changes_with_any_kernel_module_only(tmp_path: Path) -> None:
    """Numba checks a cached kernel against its own file only: a kernel calling a changed
    kernel of another module would run stale (or crash), so the folder follows every kernel
    module's source, and nothing else."""
    from imresearch._numba import CACHE_DIR, kernel_sources_digest

    root = tmp_path / "imresearch"
    shutil.copytree(PACKAGE, root, ignore=shutil.ignore_patterns("__pycache__"))
    digest = kernel_sources_digest(root)
    assert digest == kernel_sources_digest(PACKAGE)
    assert CACHE_DIR is None or CACHE_DIR.name == f"kernels-{digest}"
    report = root / "report" / "figures.py"
    report.write_text(report.read_text() + "\n# a comment\n")
    assert kernel_sources_digest(root) == digest  # no kernel changed
    callee = root / "portfolio" / "_kernels.py"  # priced from the engines' kernels
    callee.write_text(callee.read_text() + "\n# a comment\n")
    assert kernel_sources_digest(root) != digest


def test_a_child_process_inheriting_the_folder_uses_it(tmp_path: Path) -> None:
    """NUMBA_CACHE_DIR is set to the kernels' folder for Numba; a process started from this
    one (a sweep worker, a CLI run) inherits it and must not nest another folder in it."""
    code = "from imresearch._numba import CACHE_DIR; print(CACHE_DIR)"

    def folder(cache: str) -> str:
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "NUMBA_CACHE_DIR": cache})
        assert res.returncode == 0, res.stderr
        return res.stdout.strip()

    first = folder(str(tmp_path / "mine"))
    assert Path(first).parent == tmp_path / "mine"
    assert folder(first) == first


def test_a_new_kernels_folder_prunes_the_stale_ones(tmp_path: Path) -> None:
    """The first import of a new version of the kernels removes the cache folders of other
    versions unused for STALE_DAYS days, and nothing else; each import marks its own used."""
    from imresearch._numba import STALE_DAYS

    base = tmp_path / "numba"
    old_day = time.time() - (STALE_DAYS + 5) * 86400
    folders = {}
    for name in ("kernels-stale", "kernels-recent", "engines_0123", "other"):
        folders[name] = base / name
        folders[name].mkdir(parents=True)
        (folders[name] / "x.nbi").write_text("x")
        os.utime(folders[name], (old_day, old_day) if name != "kernels-recent" else None)
    code = "from imresearch._numba import CACHE_DIR; print(CACHE_DIR)"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "NUMBA_CACHE_DIR": str(base)})
    assert res.returncode == 0, res.stderr
    mine = Path(res.stdout.strip())
    assert mine.parent == base and mine.is_dir()
    assert sorted(p.name for p in base.iterdir()) == sorted(
        ["kernels-recent", "engines_0123", "other", mine.name])
    os.utime(mine, (old_day, old_day))  # an existing folder: marked used, nothing pruned
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "NUMBA_CACHE_DIR": str(base)})
    assert res.returncode == 0 and mine.stat().st_mtime > old_day + 86400
