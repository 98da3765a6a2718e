"""File-system helpers of the tests."""

from __future__ import annotations

import os
from pathlib import Path


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path below ``root`` with its bytes (None for folders and symbolic links): equal
    snapshots mean nothing was written, replaced or removed."""
    out: dict[str, bytes | None] = {}
    for dirpath, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(dirpath, name)
            out[str(path.relative_to(root))] = (path.read_bytes() if path.is_file()
                                                and not path.is_symlink() else None)
    return out
