"""The Python examples of the documentation call the package as it is: every call of a
function or class imported from ``imresearch`` binds to its signature (names and keywords),
so a renamed argument fails here rather than in a reader's hands. The README's examples
run in full (tests/test_readme.py)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DOCS = [*sorted((REPO_ROOT / "docs").glob("*.md")), REPO_ROOT / "README.md"]


def _blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)


def _imported(tree: ast.Module) -> dict[str, object]:
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("imresearch"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                names[alias.asname or alias.name] = getattr(module, alias.name)
    return names


@pytest.mark.parametrize("path", [p for p in DOCS if _blocks(p)], ids=lambda p: p.name)
def test_doc_examples_bind_to_the_signatures(path: Path) -> None:
    calls = 0
    for block in _blocks(path):
        tree = ast.parse(block)
        names = _imported(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in names and callable(names[node.func.id])):
                continue
            if any(isinstance(a, ast.Starred) for a in node.args) or any(
                    k.arg is None for k in node.keywords):
                continue
            sig = inspect.signature(names[node.func.id])
            try:
                sig.bind(*node.args, **{k.arg: k.value for k in node.keywords})
            except TypeError as exc:
                raise AssertionError(f"{path.name}, line {node.lineno} of a python block: "
                                     f"{node.func.id}{sig}: {exc}") from None
            calls += 1
    assert calls > 0, f"{path.name}: no call of an imresearch name checked"
