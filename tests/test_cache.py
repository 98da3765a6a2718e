"""The content-addressed result cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
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


def test_damaged_entries_are_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMRESEARCH_CACHE", str(tmp_path))
    key = cache_key("damaged")
    cached_frame(key, lambda: pd.DataFrame({"x": [1.0]}))
    (entry,) = tmp_path.glob("frame-*.parquet")
    entry.write_bytes(b"PAR1 truncated")
    frame = cached_frame(key, lambda: pd.DataFrame({"x": [2.0]}))
    assert frame["x"].tolist() == [2.0]
    assert cached_frame(key, lambda: pytest.fail("recomputed"))["x"].tolist() == [2.0]
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".parquet"]  # no temps


def test_unwritable_cache_warns_and_still_returns(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("IMRESEARCH_CACHE", str(tmp_path / "file" / "cache"))
    with pytest.warns(UserWarning, match="result cache .* not written"):
        frame = cached_frame("k", lambda: pd.DataFrame({"x": [1]}))
    assert frame["x"].tolist() == [1]


def test_cache_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from imresearch.cache import cache_dir, numba_cache_dir, user_cache_root

    for var in ("IMRESEARCH_CACHE", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_root() == tmp_path / "home" / ".cache" / "imresearch"
    assert cache_dir() == user_cache_root()
    assert numba_cache_dir() == user_cache_root() / "numba"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert numba_cache_dir() == tmp_path / "xdg" / "imresearch" / "numba"
    monkeypatch.setenv("IMRESEARCH_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" and numba_cache_dir() == tmp_path / "c" / "numba"
    monkeypatch.setenv("IMRESEARCH_CACHE", "off")
    assert cache_dir() is None
    assert numba_cache_dir() == tmp_path / "xdg" / "imresearch" / "numba"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "mine"))
    assert numba_cache_dir() == tmp_path / "mine"


BOOK = """
[portfolio]
name = "one_index"

[[trades]]
type = "equity_position"
trade_id = "SPX_LONG"
underlying = "SPX"
factor = "EQ_SPX"
quantity = 10000.0
bucket = "12"
"""


def test_study_cache_keys_cover_the_factor_conventions(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Same levels, other shock convention: the cached IM of the first must not be reused."""
    import dataclasses

    from imresearch.marketdata import RiskFactorHistory, synthetic_market
    from imresearch.models import HSModel
    from imresearch.portfolio import load_portfolio
    from imresearch.study.margin import margin_analysis
    from imresearch.study.settings import RollingConfig

    monkeypatch.setenv("IMRESEARCH_CACHE", str(tmp_path / "cache"))
    (tmp_path / "book.toml").write_text(BOOK)
    book = load_portfolio(tmp_path / "book.toml")
    log_market = synthetic_market(seed=0, years=3, factors=("EQ_SPX",))
    spec = log_market.factors["EQ_SPX"]
    assert spec.convention == "log"
    abs_market = RiskFactorHistory(log_market.levels, {
        "EQ_SPX": dataclasses.replace(spec, convention="absolute")}, name=log_market.name)
    models = {"HS 1y": HSModel(lookback_days=250)}
    rolling = RollingConfig(years=1, step=20)
    first = margin_analysis(log_market, book, models, rolling=rolling).im["HS 1y"]
    other = margin_analysis(abs_market, book, models, rolling=rolling).im["HS 1y"]
    monkeypatch.setenv("IMRESEARCH_CACHE", "off")
    fresh = margin_analysis(abs_market, book, models, rolling=rolling).im["HS 1y"]
    pd.testing.assert_series_equal(other, fresh, check_freq=False)
    assert not np.allclose(first.dropna(), other.dropna())
