"""Provenance of results: atomic output folders and manifests.

Every run writes its files into a temporary sibling folder and renames it into place at the end,
so a reader never sees a half-written result, and an interrupted run leaves the previous result
untouched. Beside the results, ``manifest.json`` records the inputs (with content hashes), the
settings, the seed, package versions, timings and a hash of every file written.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "atomic_output_dir",
    "atomic_write_text",
    "file_sha256",
    "frame_sha256",
    "package_versions",
    "write_manifest",
]

_PACKAGES = ("imresearch", "numpy", "pandas", "scipy", "statsmodels", "numba", "arch",
             "matplotlib", "pyarrow", "dask", "distributed")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages imresearch uses (those installed)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def frame_sha256(frame: pd.DataFrame) -> str:
    """SHA-256 of a DataFrame's index, columns and float values (order-sensitive)."""
    digest = hashlib.sha256()
    digest.update(np.asarray(frame.index.astype("int64") if isinstance(
        frame.index, pd.DatetimeIndex) else frame.index.astype(str)).tobytes())
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    digest.update(np.ascontiguousarray(frame.to_numpy(dtype=np.float64)).tobytes())
    return digest.hexdigest()


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    On success an existing ``path`` is replaced as a whole (moved aside, then removed); on
    failure the temporary folder is deleted and ``path`` is left as it was.
    """
    final = Path(path).resolve()
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.partial-", dir=final.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        os.replace(final, old)
    os.replace(tmp, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (pd.Timestamp, _dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def write_manifest(
    folder: str | os.PathLike[str],
    *,
    command: str,
    inputs: Mapping[str, Any],
    settings: Mapping[str, Any],
    seed: Any,
    started: _dt.datetime,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``manifest.json`` into ``folder`` listing every file already in it with its hash.

    Parameters
    ----------
    folder : path-like
        Results folder (usually the temporary folder of :func:`atomic_output_dir`).
    command : str
        The command or function that produced the results.
    inputs : mapping
        Input names to descriptions (path, data-set name, content hash...).
    settings : mapping
        Model and run settings.
    seed : object
        The seed used (int, or None when the run draws no random numbers).
    started : datetime
        When the run started (UTC).
    extra : mapping, optional
        More fields (e.g. summary figures).
    """
    folder = Path(folder)
    finished = _dt.datetime.now(_dt.timezone.utc)
    files = {
        str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {
        "tool": "imresearch",
        "command": command,
        "started_utc": started.isoformat(),
        "finished_utc": finished.isoformat(),
        "duration_s": round((finished - started).total_seconds(), 3),
        "seed": seed,
        "inputs": inputs,
        "settings": settings,
        "versions": package_versions(),
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "argv": sys.argv},
        "files": files,
    }
    if extra:
        manifest.update(extra)
    out = folder / "manifest.json"
    atomic_write_text(out, json.dumps(_jsonable(manifest), indent=2, default=str) + "\n")
    return out
