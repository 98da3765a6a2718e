"""Numba switch: every kernel is plain Python jitted from it, and can run without Numba.

Set the environment variable ``IMRESEARCH_DISABLE_NUMBA=1`` (before import) to run kernels as
plain Python, e.g. to debug them or to check a jitted kernel against its twin.

Compiled kernels are cached on disk, so each kernel compiles once per machine, in the user
cache folder and never next to the package's code: ``$NUMBA_CACHE_DIR`` when the user set it,
else ``numba`` inside the imresearch cache folder (:func:`imresearch.cache.numba_cache_dir`,
``~/.cache/imresearch/numba`` by default), in a subfolder named after the source of every
module that defines kernels: Numba checks a cached kernel against its own file only, not
against the kernels it calls from other modules, so after a change to one of those it would run
the old callee or crash on changed arrays; a new subfolder compiles everything afresh. Each
import marks its subfolder as used; the first import of a new one removes the subfolders of
other sources unused for :data:`STALE_DAYS` days (about 40 MB each). This
module sets ``NUMBA_CACHE_DIR`` before it imports Numba (and Numba's configuration too, if
Numba was imported first). When that folder cannot be written (a read-only home), kernels are
compiled in memory, uncached, so the package also works from a read-only installation.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from imresearch.cache import numba_cache_dir

F = TypeVar("F", bound=Callable[..., Any])

DISABLE_NUMBA = os.environ.get("IMRESEARCH_DISABLE_NUMBA", "0").lower() in ("1", "true", "yes")

#: Modules whose kernels every margin run compiles (their index files mark a warm cache).
_CORE_KERNELS = ("engines/_kernels.py", "portfolio/_kernels.py")
#: Name prefix of the cache subfolder of one version of the kernels' sources.
_PREFIX = "kernels-"
#: Days after which the cache subfolder of other kernel sources is removed.
STALE_DAYS = 30


def kernel_sources_digest(root: Path | None = None) -> str:
    """Digest of the source of the package's modules that define kernels (``root``: the
    package folder)."""
    root = Path(os.path.abspath(__file__)).parent if root is None else root
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        text = path.read_bytes()
        if path.name == "_numba.py" or b"@jit" in text or b"= jit(" in text:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + text)
    return digest.hexdigest()[:16]


def _writable_cache_dir() -> Path | None:
    """The Numba cache folder of these kernels' sources, created; None if it cannot be
    written. A ``NUMBA_CACHE_DIR`` that is already such a folder (inherited from the process
    that started this one) counts as its parent."""
    base = numba_cache_dir()
    if base.name.startswith(_PREFIX):
        base = base.parent
    path = base / f"{_PREFIX}{kernel_sources_digest()}"
    try:
        new = not path.is_dir()
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        os.utime(path)  # in use: kept by other versions' pruning
    except OSError:
        return None
    if new:
        _prune(base, keep=path)
    return path


def _prune(base: Path, keep: Path) -> None:
    """Remove the ``kernels-*`` folders of ``base`` other than ``keep`` unused for
    :data:`STALE_DAYS` days (never anything else in ``base``)."""
    cutoff = time.time() - STALE_DAYS * 86400
    for old in base.glob(f"{_PREFIX}*"):
        try:
            if old != keep and not old.is_symlink() and old.is_dir() and (
                    old.stat().st_mtime < cutoff):
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


#: Folder of the compiled kernels (None: not cached, or Numba disabled).
CACHE_DIR: Path | None = None if DISABLE_NUMBA else _writable_cache_dir()


def kernels_cached() -> bool:
    """Whether the core kernels have been compiled and cached before (False on a first run,
    or when there is no cache)."""
    if CACHE_DIR is None:
        return False
    tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
    root = Path(os.path.abspath(__file__)).parent
    for module in _CORE_KERNELS:
        source = root / module
        # the folder Numba's user-provided cache locator uses for this source file
        folder = CACHE_DIR / "_".join([source.parent.name, hashlib.sha1(
            str(source.parent).encode()).hexdigest()])
        if not any(folder.glob(f"{source.stem}.*.{tag}*.nbi")):
            return False
    return True


if DISABLE_NUMBA:  # pragma: no cover - exercised by the no-numba CI variant
    prange = range

    def n_threads() -> int:
        """Number of threads a parallel kernel uses (1 without Numba)."""
        return 1

    def jit(*args: Any, **kwargs: Any) -> Any:
        """Identity decorator used when Numba is disabled."""
        if len(args) == 1 and callable(args[0]) and not kwargs:
            return args[0]
        return lambda func: func

else:
    if CACHE_DIR is not None:
        os.environ["NUMBA_CACHE_DIR"] = str(CACHE_DIR)
    import numba
    from numba import prange

    if CACHE_DIR is not None and numba.config.CACHE_DIR != str(CACHE_DIR):
        numba.config.CACHE_DIR = str(CACHE_DIR)  # Numba was imported before imresearch

    def jit(*args: Any, **kwargs: Any) -> Any:
        """``numba.njit`` with on-disk caching (in :data:`CACHE_DIR`, never beside the code)
        and fastmath off (bit-reproducible results)."""
        kwargs.setdefault("cache", CACHE_DIR is not None)
        kwargs.setdefault("nogil", True)
        return numba.njit(*args, **kwargs)

    def n_threads() -> int:
        """Number of threads a parallel kernel uses."""
        return int(numba.get_num_threads())


__all__ = ["CACHE_DIR", "DISABLE_NUMBA", "jit", "kernel_sources_digest", "kernels_cached",
           "n_threads", "prange"]
