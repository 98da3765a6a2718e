"""Numbers recorded before the model-interface redesign are reproduced (relative 1e-12)."""

from __future__ import annotations

import json
import math

import pytest

from tests.golden import GOLDEN, compute


def _flatten(d: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k} / "))
        else:
            out[f"{prefix}{k}"] = v
    return out


def test_golden_numbers_reproduced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRESEARCH_CACHE", "off")
    monkeypatch.delenv("IMRESEARCH_DATA", raising=False)
    expected = _flatten(json.loads(GOLDEN.read_text()))
    got = _flatten(compute())
    assert set(got) == set(expected)
    bad = {k: (got[k], v) for k, v in expected.items()
           if not math.isclose(got[k], v, rel_tol=1e-12, abs_tol=1e-9)}
    assert not bad, bad
