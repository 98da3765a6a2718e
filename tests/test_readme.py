"""The README's two commands are the ones CI and newcomers run."""

from __future__ import annotations

import re

from tests.conftest import REPO_ROOT


def _commands() -> list[str]:
    text = (REPO_ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(python3 -m venv[^\n]+)\n```", text)


def test_readme_has_two_setup_commands() -> None:
    cmds = _commands()
    assert len(cmds) == 2
    assert "imresearch run" in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (REPO_ROOT / ".ci" / "run").read_text().splitlines()
    assert _commands()[1] in ci


def test_readme_python_runs(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The README's Python examples run as written, one after the other (the last, which runs
    the whole built-in study, is compiled only: tests/test_study.py runs studies)."""
    blocks = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 4
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks[:-1]:
        exec(compile(block, "README.md", "exec"), namespace)
    compile(blocks[-1], "README.md", "exec")
    assert namespace["simm"].im > namespace["hs"].im > 0
    assert namespace["mc"].ci[0] <= namespace["mc"].im <= namespace["mc"].ci[1]
    assert len(namespace["fhs"]) == len(namespace["dates"])
