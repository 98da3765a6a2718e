"""Provenance of results: safe, atomic output folders, manifests and content hashes.

Every run writes its files into a temporary sibling folder and renames it into place at the end,
so a reader never sees a half-written result, and an interrupted run leaves the previous result
untouched. Beside the results, ``manifest.json`` records the inputs (with content hashes), the
settings, the seed, the code fingerprint, package versions, timings and a hash of every file
written.

An output folder is only ever replaced when it is empty or is a previous imresearch output
(its ``manifest.json`` lists every file in it, with its size and SHA-256); anything else (a
file added or edited since) is refused with an
:class:`~imresearch.errors.OutputError` before any computation (:func:`check_output_dir`).
While a process writes into a folder it holds a lock (``.NAME.lock`` beside it), so a second
writer is refused; leftovers of an interrupted write (``.NAME.partial-*``, ``.NAME.old-*``) are
cleaned by the next writer (:func:`claim_output_dir`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import functools
import hashlib
import json
import math
import os
import pickle
import platform
import secrets
import shutil
import stat
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.cache import TMP_SUFFIX
from imresearch.errors import OutputError, option

__all__ = [
    "atomic_output_dir",
    "atomic_write_text",
    "check_output_dir",
    "claim_output_dir",
    "code_fingerprint",
    "content_sha256",
    "file_sha256",
    "frame_sha256",
    "new_temp_file",
    "package_versions",
    "read_manifest",
    "strict_json",
    "write_manifest",
]

_PACKAGES = ("imresearch", "numpy", "pandas", "scipy", "statsmodels", "numba", "arch",
             "matplotlib", "pyarrow", "dask", "distributed")

#: Libraries whose version can change the numbers (part of the code fingerprint).
_NUMERIC_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "numba", "arch")

#: Files an operating system may drop into any folder (never counted as user content).
_OS_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages imresearch uses (those installed)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of everything besides the inputs that determines the numbers.

    The package's Python sources and data files (``.py``, ``.toml``, ``.csv``; symbolic links
    such as the packaged episode catalogue followed), the Python version and the versions of
    the numerical libraries. Part of every cache and sweep key and of every manifest, so a
    change of code or parameters never reuses a result computed by other code.
    """
    versions = package_versions()
    text = json.dumps([_tree_sha256(Path(__file__).resolve().parent),
                       *[versions.get(k) for k in ("python", *_NUMERIC_PACKAGES)]])
    return hashlib.sha256(text.encode()).hexdigest()


def _tree_sha256(root: Path) -> str:
    """SHA-256 of the names and bytes of the code and data files under ``root``."""
    digest = hashlib.sha256()
    files = []
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        files += [Path(folder, n) for n in names if n.endswith((".py", ".toml", ".csv"))]
    for path in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


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


def _feed(digest: Any, obj: Any, seen: set[int]) -> None:
    """Feed a canonical, type-tagged encoding of ``obj`` into ``digest``."""
    def tag(text: str) -> None:
        digest.update(text.encode() + b"\0")

    if obj is None or isinstance(obj, (bool, int, str, np.bool_, np.integer)):
        tag(f"{type(obj).__name__}:{obj!s}")
    elif isinstance(obj, (float, np.floating)):
        tag("float:nan" if math.isnan(obj) else f"float:{float(obj).hex()}")
    elif isinstance(obj, bytes):
        tag(f"bytes:{len(obj)}")
        digest.update(obj)
    elif isinstance(obj, (pd.Timestamp, _dt.date, _dt.datetime, np.datetime64)):
        tag(f"time:{pd.Timestamp(obj).isoformat()}")
    elif isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            tag(f"objarray:{obj.shape}")
            for item in obj.ravel():
                _feed(digest, item, seen)
        else:
            tag(f"array:{obj.dtype.str}:{obj.shape}")
            digest.update(np.ascontiguousarray(obj).tobytes())
    elif isinstance(obj, (pd.DataFrame, pd.Series, pd.Index)):
        tag(type(obj).__name__)
        if isinstance(obj, pd.Index):
            _feed(digest, obj.to_numpy(), seen)
            return
        _feed(digest, obj.index, seen)
        if isinstance(obj, pd.Series):
            _feed(digest, obj.name, seen)
            _feed(digest, obj.to_numpy(), seen)
            return
        _feed(digest, obj.columns, seen)
        for _, column in obj.items():
            _feed(digest, str(column.dtype), seen)
            _feed(digest, column.to_numpy(), seen)
    else:
        if id(obj) in seen:
            tag("cycle")
            return
        seen.add(id(obj))
        if isinstance(obj, Mapping):
            tag(f"map:{len(obj)}")
            for key, value in obj.items():
                _feed(digest, key, seen)
                _feed(digest, value, seen)
        elif isinstance(obj, (list, tuple)):
            tag(f"seq:{len(obj)}")
            for item in obj:
                _feed(digest, item, seen)
        elif isinstance(obj, (set, frozenset)):
            tag(f"set:{len(obj)}")
            for item in sorted(content_sha256(x) for x in obj):
                tag(item)
        elif is_dataclass(obj) and not isinstance(obj, type):
            tag(f"dataclass:{type(obj).__qualname__}")
            for f in fields(obj):
                _feed(digest, f.name, seen)
                _feed(digest, getattr(obj, f.name), seen)
        elif isinstance(getattr(obj, "levels", None), pd.DataFrame) and isinstance(
                getattr(obj, "metadata", None), pd.DataFrame):
            # a market history: its name, levels and factor metadata (not its lazy caches)
            tag(f"history:{type(obj).__qualname__}")
            _feed(digest, getattr(obj, "name", None), seen)
            _feed(digest, obj.levels, seen)
            _feed(digest, obj.metadata, seen)
        elif callable(obj) and hasattr(obj, "__qualname__"):
            tag(f"callable:{getattr(obj, '__module__', '')}.{obj.__qualname__}")
        else:
            tag(f"pickle:{type(obj).__qualname__}")
            digest.update(pickle.dumps(obj, protocol=4))


def content_sha256(obj: Any) -> str:
    """SHA-256 of the content of ``obj``: scalars, arrays, pandas objects, mappings, sequences,
    dataclasses and market histories, recursively (anything else by its pickle).

    Equal content gives the same hash in every process (no dependence on object identity,
    string-hash randomisation or lazily computed caches), so the hash can key resumable work.
    """
    digest = hashlib.sha256()
    _feed(digest, obj, set())
    return digest.hexdigest()


def new_temp_file(path: str | os.PathLike[str]) -> tuple[int, Path]:
    """Create a uniquely named temporary file beside ``path``, to be renamed onto it.

    Unlike :func:`tempfile.mkstemp` (always mode 0600) it gets the permissions of any new file
    (0666 less the umask), so the renamed result is as readable as the user's other files.

    Returns
    -------
    tuple of int and pathlib.Path
        An open, writable file descriptor and the temporary file's path.
    """
    path = Path(path)
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}{TMP_SUFFIX}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            continue
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        if mode & 0o600 != 0o600:  # a umask that takes the owner's own rights: keep them
            os.fchmod(fd, mode | 0o600)
        return fd, tmp


def _new_temp_dir(parent: Path, prefix: str) -> Path:
    """Create a uniquely named folder ``parent/prefix*`` with the permissions of any new folder
    (0777 less the umask; a :func:`tempfile.mkdtemp` folder is 0700 and keeps it when renamed
    into place, hiding the results from the user's colleagues)."""
    while True:
        tmp = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            tmp.mkdir()
        except FileExistsError:
            continue
        mode = stat.S_IMODE(tmp.stat().st_mode)
        if mode & 0o700 != 0o700:  # a umask that takes the owner's own rights: keep them
            tmp.chmod(mode | 0o700)
        return tmp


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = new_temp_file(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ------------------------------------------------------------------------- output folders
def read_manifest(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The ``manifest.json`` of an imresearch output folder, or None if there is none."""
    path = Path(folder) / "manifest.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 50_000_000:
            return None
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("tool") != "imresearch":
        return None
    if not isinstance(manifest.get("files") or {}, dict) or not all(
            isinstance(manifest.get(k) or [], list) for k in ("work_dirs", "work_files")):
        return None  # malformed: not taken for an imresearch output
    return manifest


def _foreign_entries(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Entries of ``folder`` that its manifest does not account for (user content)."""
    listed = (set(manifest.get("files") or {}) | set(manifest.get("work_files") or ())
              | {"manifest.json"})
    work = tuple(f"{d.strip('/')}/" for d in manifest.get("work_dirs") or ())
    foreign = []
    for dirpath, dirs, names in os.walk(folder):
        rel_dir = Path(dirpath).relative_to(folder)
        for d in dirs:
            if Path(dirpath, d).is_symlink():
                foreign.append((rel_dir / d).as_posix())
        for name in names:
            rel = (rel_dir / name).as_posix()
            if rel in listed or rel.startswith(work) or name in _OS_FILES:
                continue
            if name.startswith(".") and name.endswith(TMP_SUFFIX):
                continue  # a temporary file of an interrupted imresearch write
            foreign.append(rel)
    return sorted(foreign)


def _changed_files(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """Files of ``folder`` its manifest lists whose size or SHA-256 differs from the recorded
    one (edited by the user since; a writer's own ``work_dirs`` excepted)."""
    work = tuple(f"{d.strip('/')}/" for d in manifest.get("work_dirs") or ())
    changed = []
    for rel, entry in sorted((manifest.get("files") or {}).items()):
        path = folder / rel
        if not isinstance(entry, dict) or rel.startswith(work) or not (
                path.exists() or path.is_symlink()):
            continue
        try:
            if path.is_symlink() or not path.is_file() or (
                    entry.get("bytes") not in (None, path.stat().st_size)) or (
                    entry.get("sha256") not in (None, file_sha256(path))):
                changed.append(rel)
        except OSError:  # unreadable, or replaced while read: not known to be ours
            changed.append(rel)
    return changed


def _describe(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def check_output_dir(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` may be used as an output folder, and return it as an absolute path.

    Allowed: a path that does not exist (in a folder that can be written), an empty folder, or
    a previous imresearch output whose ``manifest.json`` accounts for every file in it, with
    the size and SHA-256 it records.

    Raises
    ------
    OutputError
        A file, a symbolic link, a path below a file, the current folder or one of its
        parents, a folder with other content or with an output file edited since its run, or
        a place that cannot be written.
    """
    given = Path(os.path.abspath(os.fspath(path)))
    label = f"output folder {os.fspath(path)!r}"
    choose = f"choose a new or empty folder for {option('out')}"
    if given.is_symlink():
        raise OutputError(f"{label} is a symbolic link (to {os.readlink(given)!r}); imresearch "
                          f"replaces its output folder as a whole: give the real folder, or "
                          f"{choose}")
    for parent in given.parents:
        if parent.exists() and not parent.is_dir():
            raise OutputError(f"{label}: {str(parent)!r} is a file, so no folder can be "
                              f"created in it; {choose}")
    final = given.resolve()
    if final == Path(final.anchor) or final == Path.cwd().resolve() or (
            final in Path.cwd().resolve().parents):
        raise OutputError(f"{label} is the current folder or one of its parents; imresearch "
                          f"replaces its output folder as a whole: {choose}")
    if final.exists() and not final.is_dir():
        raise OutputError(f"{label} is a file, not a folder; imresearch writes a folder of "
                          f"results there and never overwrites other files: {choose}")
    if final.is_dir():
        entries = sorted(p.name for p in final.iterdir() if p.name not in _OS_FILES)
        if entries:
            manifest = read_manifest(final)
            if manifest is None:
                raise OutputError(
                    f"{label} is not empty and is not an imresearch output (no manifest.json); "
                    f"it holds {_describe(entries)}; imresearch replaces its output folder as "
                    f"a whole: {choose}")
            foreign = _foreign_entries(final, manifest)
            if foreign:
                raise OutputError(
                    f"{label} is an imresearch output but also holds files its run did not "
                    f"write ({_describe(foreign)}); move them away or {choose}")
            changed = _changed_files(final, manifest)
            if changed:
                one = len(changed) == 1
                raise OutputError(
                    f"{label} is an imresearch output but {_describe(changed)} "
                    f"{'was' if one else 'were'} changed since the run that wrote "
                    f"{'it' if one else 'them'} (content differs from manifest.json); rename "
                    f"or move {'it' if one else 'them'} away, or {choose}")
    existing = next(p for p in (final, *final.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK) or (
            existing == final and not os.access(final.parent, os.W_OK | os.X_OK)):
        where = final.parent if existing == final else existing
        raise OutputError(f"{label}: cannot write in {str(where)!r} (permission denied); "
                          f"{choose}")
    return final


_HELD: dict[Path, list[Any]] = {}  # lock path -> [open file, depth]
_HELD_LOCK = threading.Lock()


def _lock_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.lock")


@contextlib.contextmanager
def _output_lock(final: Path) -> Iterator[None]:
    """Hold the lock of ``final`` (re-entrant within a process; refuses if another holds it)."""
    lock = _lock_path(final)
    with _HELD_LOCK:
        if lock in _HELD:
            _HELD[lock][1] += 1
            acquired = False
        else:
            acquired = True
    if acquired:
        lock.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fh = open(lock, "a+", encoding="utf-8")  # held until released
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                raise OutputError(
                    f"output folder {str(final)!r} is being written by {holder} (lock "
                    f"{str(lock)!r}); wait for it to finish or choose another "
                    f"{option('out')}") from None
            # the holder before us may have removed the file after we opened it: lock the
            # file that is at the path now
            try:
                same = os.path.samestat(os.fstat(fh.fileno()), os.stat(lock))
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()
        fh.seek(0)
        fh.truncate()
        fh.write(f"process {os.getpid()} on {platform.node()} ({' '.join(sys.argv)[:200]})")
        fh.flush()
        with _HELD_LOCK:
            _HELD[lock] = [fh, 1]
    try:
        yield
    finally:
        with _HELD_LOCK:
            _HELD[lock][1] -= 1
            last = _HELD[lock][1] == 0
            fh = _HELD.pop(lock)[0] if last else None
        if fh is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
            fh.close()


def _clean_leftovers(final: Path) -> None:
    """Remove the temporary folders of an interrupted write into ``final`` (lock held).

    If the write was interrupted between moving the old output aside and moving the new one
    in, the old output is put back first.
    """
    def leftovers(kind: str) -> list[Path]:
        return sorted((p for p in final.parent.glob(f".{final.name}.{kind}-*")
                       if p.is_dir() and not p.is_symlink()), key=lambda p: p.stat().st_mtime)

    old = leftovers("old")
    if old and not final.exists() and (old[-1] / final.name).is_dir():
        os.replace(old[-1] / final.name, final)
    for path in old + leftovers("partial"):
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def claim_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Check ``path`` (:func:`check_output_dir`), lock it and clean leftovers of earlier writes.

    Hold it around a whole job (computation included), so that a bad or busy output folder is
    refused before any computation. Re-entrant: :func:`atomic_output_dir` inside the block
    reuses the lock.

    Yields
    ------
    pathlib.Path
        The absolute output folder (it need not exist yet).
    """
    final = check_output_dir(path)
    created = [p for p in reversed(final.parents) if not p.exists()]
    try:
        with _output_lock(final):
            _clean_leftovers(final)
            yield final
    finally:
        if not final.exists():  # nothing written: leave no empty parent folders behind
            for parent in reversed(created):
                with contextlib.suppress(OSError):
                    parent.rmdir()


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder that replaces ``path`` when the block succeeds.

    ``path`` is checked and locked as by :func:`claim_output_dir`. On success an existing
    ``path`` (a previous imresearch output or an empty folder) is replaced as a whole (moved
    aside, then removed); on failure the temporary folder is deleted and ``path`` is left as
    it was.
    """
    with claim_output_dir(path) as final:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_temp_dir(final.parent, f".{final.name}.partial-")
        try:
            yield tmp
            check_output_dir(final)  # still ours: nothing was added to it meanwhile
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        old = None
        if final.exists():
            old = _new_temp_dir(final.parent, f".{final.name}.old-")
            os.replace(final, old / final.name)
        os.replace(tmp, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------ manifests
def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, _dt.date, _dt.datetime)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value


def strict_json(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` of ``value`` as strict JSON: NaN and infinities become ``null``.

    NumPy scalars, dates and paths are converted; other objects by ``str``.
    """
    return json.dumps(_jsonable(value), allow_nan=False, default=str, **kwargs)


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
        More fields (e.g. summary figures). ``work_dirs`` and ``work_files`` (sub-folders
        and files the writer owns while it runs, e.g. a sweep's ``parts`` and the results it
        writes before its final manifest) let :func:`check_output_dir` accept an interrupted
        output.
    """
    folder = Path(folder)
    finished = _dt.datetime.now(_dt.timezone.utc)
    files = {
        p.relative_to(folder).as_posix(): {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and not p.name.endswith(TMP_SUFFIX)
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
        "code_fingerprint": code_fingerprint(),
        "versions": package_versions(),
        "platform": {"system": platform.system(), "machine": platform.machine(),
                     "argv": sys.argv},
        "files": files,
    }
    if extra:
        manifest.update(extra)
    out = folder / "manifest.json"
    atomic_write_text(out, strict_json(manifest, indent=2) + "\n")
    return out
