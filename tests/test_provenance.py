"""Output folders (safe, atomic, locked), manifests and content hashes."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from imresearch.errors import OutputError, command_line
from imresearch.provenance import (
    atomic_output_dir,
    atomic_write_text,
    check_output_dir,
    claim_output_dir,
    code_fingerprint,
    content_sha256,
    frame_sha256,
    package_versions,
    strict_json,
    write_manifest,
)
from tests.fs import snapshot

NOW = dt.datetime.now(dt.timezone.utc)


def make_output(folder: Path, files: dict[str, str] | None = None) -> Path:
    """An imresearch output folder: ``files`` and a manifest listing them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {"a.csv": "x\n1\n"}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    write_manifest(folder, command="test", inputs={}, settings={}, seed=None, started=NOW)
    return folder




def test_replaces_an_earlier_output_on_success(tmp_path: Path) -> None:
    out = make_output(tmp_path / "res", {"old.txt": "old", "figures/f.png": "png"})
    with atomic_output_dir(out) as tmp:
        (tmp / "new.txt").write_text("new")
        assert not (out / "new.txt").exists()  # nothing visible before the end
    assert (out / "new.txt").read_text() == "new"
    assert not (out / "old.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["res"]  # no lock, partial or old left


def test_keeps_the_earlier_output_on_failure(tmp_path: Path) -> None:
    out = make_output(tmp_path / "res", {"old.txt": "old"})
    with pytest.raises(RuntimeError), atomic_output_dir(out) as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert (out / "old.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["res"]


def test_new_and_empty_folders_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    for target in (tmp_path / "empty", tmp_path / "new" / "deeper"):
        with atomic_output_dir(target) as tmp:
            (tmp / "r.txt").write_text("r")
        assert (target / "r.txt").is_file()


@pytest.mark.parametrize("case", ["file", "dot", "symlink", "below_file",
                                  "extra_file_in_output", "parent_of_cwd", "unwritable"])
def test_refused_targets_are_left_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            case: str) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "study.toml").write_text("name = 'mine'\n")
    (work / "notes.txt").write_text("precious")
    make_output(work / "results")
    os.symlink(work / "results", work / "link")
    monkeypatch.chdir(work)
    target, message = {
        "file": ("notes.txt", "is a file, not a folder"),
        "dot": (".", "is the current folder"),
        "symlink": ("link", "is a symbolic link"),
        "below_file": ("notes.txt/sub", "'notes.txt' is a file|notes.txt' is a file"),
        "extra_file_in_output": ("results", "also holds files its run did not write "
                                            r"\('study.toml'\)"),
        "parent_of_cwd": (str(tmp_path), "is the current folder or one of its parents"),
        "unwritable": ("ro/out", "permission denied"),
    }[case]
    if case == "extra_file_in_output":
        (work / "results" / "study.toml").write_text("x")
    if case == "unwritable":
        if os.geteuid() == 0:
            pytest.skip("root can write anywhere")
        (work / "ro").mkdir(mode=0o500)
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match=message):
        check_output_dir(target)
    with pytest.raises(OutputError, match=message), atomic_output_dir(target) as tmp:
        (tmp / "x").write_text("never")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize("edit", ["append", "same_size", "figure", "symlink", "two"])
def test_output_files_edited_since_their_run_are_refused(tmp_path: Path, edit: str) -> None:
    out = make_output(tmp_path / "res", {"a.csv": "x\n1\n", "b.csv": "y\n",
                                         "figures/f.png": "png"})
    (tmp_path / "mine.csv").write_text("mine\n")
    if edit == "append":
        with open(out / "a.csv", "a") as fh:
            fh.write("edited\n")
    elif edit == "same_size":  # caught by the hash, not the size
        (out / "a.csv").write_text("x\n2\n")
    elif edit == "figure":
        (out / "figures" / "f.png").write_text("PNG")
    elif edit == "symlink":
        (out / "a.csv").unlink()
        (out / "a.csv").symlink_to(tmp_path / "mine.csv")
    else:
        (out / "a.csv").write_text("edited")
        (out / "b.csv").write_text("edited")
    named = {"figure": "'figures/f.png' was", "two": "'a.csv', 'b.csv' were"}.get(
        edit, "'a.csv' was")
    before = snapshot(tmp_path)
    message = (rf"is an imresearch output but {named} changed since the run that wrote "
               r"(it|them) \(content differs from manifest.json\); rename or move (it|them) "
               r"away, or choose a new or empty folder for out=$")
    with pytest.raises(OutputError, match=message):
        check_output_dir(out)
    with pytest.raises(OutputError, match=message), atomic_output_dir(out) as tmp:
        (tmp / "x").write_text("never")
    assert snapshot(tmp_path) == before


def test_an_edit_during_the_run_keeps_the_edited_output(tmp_path: Path) -> None:
    out = make_output(tmp_path / "res", {"a.csv": "x\n"})
    with pytest.raises(OutputError, match=r"'a\.csv' was changed"), \
            atomic_output_dir(out) as tmp:
        (tmp / "a.csv").write_text("new\n")
        (out / "a.csv").write_text("edited while the run computed\n")
    assert (out / "a.csv").read_text() == "edited while the run computed\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_unchanged_outputs_and_work_folders_are_replaced(tmp_path: Path) -> None:
    out = make_output(tmp_path / "res", {"a.csv": "x\n", "parts/p.parquet": "part"})
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "work_dirs": ["parts"]}))
    (out / "parts" / "p.parquet").write_text("damaged")  # the writer's own to check
    assert check_output_dir(out) == out


def _write_under_umask(res: Path, umask: int, *, figure: bool) -> None:
    """An output (report, manifest and, if ``figure``, figures/f.png) written into ``res``
    under ``umask``."""
    previous = os.umask(umask)
    try:
        with atomic_output_dir(res) as tmp:
            if figure:
                (tmp / "figures").mkdir()
                (tmp / "figures" / "f.png").write_bytes(b"png")
            atomic_write_text(tmp / "report.html", "<p>")
            write_manifest(tmp, command="test", inputs={}, settings={}, seed=None,
                           started=NOW)
    finally:
        os.umask(previous)


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077], ids=oct)
def test_results_honour_the_umask(tmp_path: Path, umask: int) -> None:
    res = tmp_path / "res"
    make_output(res)
    _write_under_umask(res, umask, figure=True)
    for path, full in [(res, 0o777), (res / "figures", 0o777), (res / "report.html", 0o666),
                       (res / "manifest.json", 0o666), (res / "figures" / "f.png", 0o666)]:
        assert stat.S_IMODE(path.stat().st_mode) == full & ~umask, path.name


def test_a_umask_without_the_owners_rights_keeps_them(tmp_path: Path) -> None:
    res = tmp_path / "res"
    _write_under_umask(res, 0o277, figure=False)
    assert stat.S_IMODE(res.stat().st_mode) == 0o700
    for name in ("report.html", "manifest.json"):
        assert stat.S_IMODE((res / name).stat().st_mode) == 0o600, name


def test_a_malformed_manifest_is_not_an_imresearch_output(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "a.csv").write_text("x\n")
    (out / "manifest.json").write_text('{"tool": "imresearch", "files": ["a.csv"]}')
    with pytest.raises(OutputError, match="is not empty and is not an imresearch output"):
        check_output_dir(out)


def test_non_empty_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "prices.csv").write_text("date,x\n")
    (tmp_path / "bogus").mkdir()
    (tmp_path / "bogus" / "manifest.json").write_text('{"tool": "other"}')
    for name, held in (("data", "'prices.csv'"), ("bogus", "'manifest.json'")):
        with pytest.raises(OutputError, match=f"is not empty and is not an imresearch output "
                           f".*it holds {held}"):
            check_output_dir(tmp_path / name)


def test_hints_name_the_option_of_the_interface(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match=r"folder for out=$"):
        check_output_dir(tmp_path / "f")
    with command_line(), pytest.raises(OutputError, match=r"folder for --out$"):
        check_output_dir(tmp_path / "f")


def test_no_parent_folders_are_left_when_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bad input"), claim_output_dir(tmp_path / "a" / "b"):
        raise ValueError("bad input")
    assert list(tmp_path.iterdir()) == []


def test_leftovers_of_an_interrupted_write_are_cleaned(tmp_path: Path) -> None:
    out = make_output(tmp_path / "res")
    (tmp_path / ".res.partial-x1y2").mkdir()
    (tmp_path / ".res.partial-x1y2" / "half.csv").write_text("half")
    (tmp_path / ".res.old-a1b2" / "res").mkdir(parents=True)
    (tmp_path / ".other.partial-x").mkdir()  # another output's: not ours to clean
    with atomic_output_dir(out) as tmp:
        (tmp / "n.txt").write_text("n")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.partial-x", "res"]


def test_an_output_moved_aside_by_a_killed_write_is_put_back(tmp_path: Path) -> None:
    # killed between moving the old output aside and moving the new one in
    make_output(tmp_path / ".res.old-k9" / "res", {"old.txt": "old"})
    with claim_output_dir(tmp_path / "res"):
        pass
    assert (tmp_path / "res" / "old.txt").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


HOLD = textwrap.dedent("""
    import sys, time
    from imresearch.provenance import claim_output_dir
    with claim_output_dir(sys.argv[1]):
        print("holding", flush=True)
        sys.stdin.readline()
""")


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    out = tmp_path / "res"
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(out)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        with pytest.raises(OutputError, match=rf"is being written by process {holder.pid} .*"
                                              "wait for it to finish or choose another out="):
            with atomic_output_dir(out):
                pass
    finally:
        holder.communicate("\n", timeout=60)
    assert holder.returncode == 0
    with claim_output_dir(out), atomic_output_dir(out) as tmp:  # re-entrant in one process
        (tmp / "r.txt").write_text("r")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]


def test_manifest_lists_files_hashes_versions_and_code(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.csv", "x\n1\n")
    path = write_manifest(
        tmp_path, command="test", inputs={"x": 1}, settings={"h": 10, "q": float("nan")},
        seed=3, started=NOW, extra={"ratio": np.float64("inf")},
    )
    text = path.read_text()
    m = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict JSON {c}"))
    assert m["seed"] == 3 and m["settings"] == {"h": 10, "q": None} and m["ratio"] is None
    assert m["files"]["a.csv"] == {
        "bytes": 4, "sha256": hashlib.sha256(b"x\n1\n").hexdigest()
    }
    assert m["code_fingerprint"] == code_fingerprint() and len(code_fingerprint()) == 64
    assert "numpy" in m["versions"] and "imresearch" in package_versions()


def test_strict_json() -> None:
    text = strict_json({"a": float("nan"), "b": [np.float32(1.5), -np.inf],
                        "d": pd.Timestamp("2020-01-02"), "p": Path("x")})
    assert json.loads(text) == {"a": None, "b": [1.5, None], "d": "2020-01-02T00:00:00",
                                "p": "x"}


def test_frame_hash_sensitive_to_values() -> None:
    a = pd.DataFrame({"x": [1.0, 2.0]}, index=pd.bdate_range("2020-01-01", periods=2))
    b = a.copy()
    b.iloc[1, 0] = 2.0000001
    assert frame_sha256(a) == frame_sha256(a.copy())
    assert frame_sha256(a) != frame_sha256(b)


@dataclasses.dataclass(frozen=True)
class Spec:
    name: str
    weights: np.ndarray


def test_content_hash_follows_content_not_identity() -> None:
    frame = pd.DataFrame({"x": [1.0, np.nan], "s": ["a", "b"]},
                         index=pd.bdate_range("2020-01-01", periods=2))
    obj = {"frame": frame, "spec": Spec("s", np.arange(3.0)), "t": (1, 2.5, None, "z")}
    same = {"frame": frame.copy(), "spec": Spec("s", np.arange(3.0)), "t": (1, 2.5, None, "z")}
    assert content_sha256(obj) == content_sha256(same)
    changed = [
        {**same, "frame": frame.assign(x=[1.0, 2.0])},
        {**same, "frame": frame.rename(columns={"s": "t"})},
        {**same, "spec": Spec("s", np.arange(3.0) + 1e-12)},
        {**same, "spec": Spec("s", np.arange(3))},  # dtype matters
        {**same, "t": (1, 2.5, None)},
        {**same, "t": [1, 2.5, None, "z"]} | {"extra": 1},
    ]
    hashes = {content_sha256(c) for c in changed}
    assert len(hashes) == len(changed) and content_sha256(obj) not in hashes
    assert content_sha256(1) != content_sha256(1.0) != content_sha256("1")


def test_content_hash_of_a_market_ignores_its_caches_and_is_stable_across_processes() -> None:
    from imresearch.marketdata import synthetic_market

    market = synthetic_market(seed=0, years=2, factors=("EQ_SPX", "FX_EURUSD"))
    before = content_sha256({"market": market})
    market.summary()  # may fill lazy caches
    vars(market)["_scratch"] = object()  # and any other state besides levels and metadata
    assert content_sha256({"market": market}) == before
    code = ("from imresearch.marketdata import synthetic_market; "
            "from imresearch.provenance import content_sha256; "
            "m = synthetic_market(seed=0, years=2, factors=('EQ_SPX', 'FX_EURUSD')); "
            "print(content_sha256({'market': m}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env={**os.environ, "PYTHONHASHSEED": "123"})
    assert res.stdout.strip() == before, res.stderr


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
                    | st.text(max_size=5),
                    lambda kids: st.lists(kids, max_size=3) | st.tuples(kids, kids)
                    | st.dictionaries(st.text(max_size=3), kids, max_size=3), max_leaves=10))
def test_content_hash_is_deterministic(value: object) -> None:
    assert content_sha256(value) == content_sha256(copy.deepcopy(value))
    assert content_sha256(value) != content_sha256([value])


def test_code_fingerprint_follows_symbolic_links(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from imresearch import provenance

    shared = tmp_path / "episodes"
    shared.mkdir()
    (shared / "gfc.toml").write_text("start = 2008-09-01\n")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "m.py").write_text("x = 1\n")
    os.symlink(shared, pkg / "episodes")
    first = provenance._tree_sha256(pkg)
    (shared / "gfc.toml").write_text("start = 2008-09-15\n")
    assert provenance._tree_sha256(pkg) != first
