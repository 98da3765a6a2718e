"""Caches outside the source tree: results by content hash, and Numba's compiled kernels.

Result keys are SHA-256 hashes of everything a result depends on (input hashes, settings and
the :func:`~imresearch.provenance.code_fingerprint`), so a changed input never hits a stale
entry, and an interrupted run recomputes only what is missing.

Folders (nothing is ever written next to the package's code):

* results: ``$IMRESEARCH_CACHE``, else ``imresearch`` in the user cache folder
  (``$XDG_CACHE_HOME``, default ``~/.cache``); ``IMRESEARCH_CACHE=off`` disables them;
* compiled Numba kernels: ``$NUMBA_CACHE_DIR`` when set, else the ``numba`` folder inside the
  results folder (inside ``~/.cache/imresearch`` when results caching is off).

This module imports neither pandas nor Numba at import time: :mod:`imresearch._numba` reads
the Numba folder from it before importing Numba.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["cache_dir", "cache_key", "cached_frame", "code_fingerprint", "numba_cache_dir",
           "user_cache_root"]

#: Suffix of every temporary file imresearch writes (recognised and removed as leftovers).
TMP_SUFFIX = ".imresearch-tmp"


def user_cache_root() -> Path:
    """``imresearch`` in the user cache folder: ``$XDG_CACHE_HOME`` or ``~/.cache``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "imresearch"


def cache_dir() -> Path | None:
    """The result-cache folder, or None when caching is off (``IMRESEARCH_CACHE=off``)."""
    env = os.environ.get("IMRESEARCH_CACHE", "")
    if env.lower() == "off":
        return None
    return Path(env) if env else user_cache_root()


def numba_cache_dir() -> Path:
    """Folder of Numba's compiled kernels: ``$NUMBA_CACHE_DIR``, else ``<cache>/numba``."""
    env = os.environ.get("NUMBA_CACHE_DIR", "")
    if env:
        return Path(env)
    return (cache_dir() or user_cache_root()) / "numba"


def code_fingerprint() -> str:
    """SHA-256 of the package's code and data files and of the numerical libraries' versions.

    Part of every cache and sweep key (see :func:`imresearch.provenance.code_fingerprint`).
    """
    from imresearch.provenance import code_fingerprint as fingerprint

    return fingerprint()


def cache_key(*parts: Any) -> str:
    """SHA-256 of the JSON form of ``parts`` and the code fingerprint."""
    text = json.dumps([code_fingerprint(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    """Write a file through a uniquely named temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cached_frame(key: str, compute: Callable[[], pd.DataFrame], *,
                 kind: str = "frame") -> pd.DataFrame:
    """Return the cached DataFrame for ``key``, computing and storing it if absent.

    ``DataFrame.attrs`` are kept (stored as JSON beside the Parquet file). An unreadable entry
    (e.g. a disk that filled up) is recomputed; a cache folder that cannot be written is
    skipped with a warning, and the result is returned anyway.
    """
    import pandas as pd

    folder = cache_dir()
    if folder is None:
        return compute()
    path = folder / f"{kind}-{key[:32]}.parquet"
    meta = path.with_suffix(".json")
    if path.is_file() and meta.is_file():
        try:
            attrs = json.loads(meta.read_text(encoding="utf-8"))
            frame = pd.read_parquet(path)
        except (OSError, ValueError):
            pass  # damaged entry: computed and written again below
        else:
            frame.attrs.update(attrs)
            return frame
    frame = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # the metadata first: an entry is used only when both files exist
        _write_atomic(meta, lambda tmp: Path(tmp).write_text(
            json.dumps(frame.attrs, default=str), encoding="utf-8"))
        _write_atomic(path, frame.to_parquet)
    except OSError as exc:
        warnings.warn(f"result cache {folder} not written ({exc.strerror or exc}); set "
                      "IMRESEARCH_CACHE to a writable folder or to 'off'", stacklevel=2)
    return frame
