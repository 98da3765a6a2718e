"""Atomic outputs and manifests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    frame_sha256,
    package_versions,
    write_manifest,
)


def test_atomic_output_dir_replaces_on_success(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with atomic_output_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()  # nothing visible before the end
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_atomic_output_dir_keeps_old_results_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert (out / "old.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_manifest_lists_files_hashes_and_versions(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.csv", "x\n1\n")
    path = write_manifest(
        tmp_path, command="test", inputs={"x": 1}, settings={"h": 10}, seed=3,
        started=dt.datetime.now(dt.timezone.utc),
    )
    m = json.loads(path.read_text())
    assert m["seed"] == 3 and m["settings"] == {"h": 10}
    assert m["files"]["a.csv"] == {
        "bytes": 4, "sha256": hashlib.sha256(b"x\n1\n").hexdigest()
    }
    assert "numpy" in m["versions"] and "imresearch" in package_versions()


def test_frame_hash_sensitive_to_values() -> None:
    a = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.bdate_range("2020-01-01", periods=2))
    b = a.copy()
    b.iloc[1, 0] = 2.0000001
    assert frame_sha256(a) == frame_sha256(a.copy())
    assert frame_sha256(a) != frame_sha256(b)
