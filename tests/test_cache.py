"""The content-addressed result cache."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from imresearch.cache import cache_key, cached_frame, code_fingerprint


def test_cached_frame_computes_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRESEARCH_CACHE", str(tmp_path))
    calls = []

    def compute() -> pd.DataFrame:
        calls.append(1)
        frame = pd.DataFrame({"x": [1.0, 2.0]})
        frame.attrs["label"] = "HS 10y"
        return frame

    key = cache_key("a", {"b": 1})
    first = cached_frame(key, compute)
    second = cached_frame(key, compute)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(first, second)
    assert second.attrs["label"] == "HS 10y"
    cached_frame(cache_key("a", {"b": 2}), compute)
    assert len(calls) == 2


def test_cache_off_and_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRESEARCH_CACHE", "off")
    calls = []
    for _ in range(2):
        cached_frame("k", lambda: calls.append(1) or pd.DataFrame({"x": [1]}))
    assert len(calls) == 2
    assert cache_key(1, 2) == cache_key(1, 2) != cache_key(2, 1)
    assert len(code_fingerprint()) == 64
