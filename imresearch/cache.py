"""A content-addressed cache of intermediate results (DataFrames as Parquet).

Keys are SHA-256 hashes of everything a result depends on (input hashes and settings), so a
changed input never hits a stale entry, and an interrupted run recomputes only what is missing.
The folder is ``$IMRESEARCH_CACHE`` or ``~/.cache/imresearch``; set ``IMRESEARCH_CACHE=off`` to
disable caching.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["cache_dir", "cache_key", "cached_frame", "code_fingerprint"]


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    env = os.environ.get("IMRESEARCH_CACHE", "")
    if env.lower() == "off":
        return None
    return Path(env) if env else Path.home() / ".cache" / "imresearch"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the package's Python sources and data files: part of every cache key, so a
    change of code or parameters never reuses a result computed by other code."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".toml", ".csv") and path.is_file():
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def cache_key(*parts: Any) -> str:
    """SHA-256 of the JSON form of ``parts`` and the code fingerprint."""
    text = json.dumps([code_fingerprint(), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def cached_frame(key: str, compute: Callable[[], pd.DataFrame], *,
                 kind: str = "frame") -> pd.DataFrame:
    """Return the cached DataFrame for ``key``, computing and storing it if absent.

    ``DataFrame.attrs`` are kept (stored as JSON beside the Parquet file).
    """
    folder = cache_dir()
    if folder is None:
        return compute()
    path = folder / f"{kind}-{key[:32]}.parquet"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        frame = pd.read_parquet(path)
        frame.attrs.update(json.loads(meta.read_text()))
        return frame
    frame = compute()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp)
    meta_tmp = meta.with_name(f".{meta.name}.{os.getpid()}.tmp")
    meta_tmp.write_text(json.dumps(frame.attrs, default=str))
    os.replace(meta_tmp, meta)
    os.replace(tmp, path)
    return frame
