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
