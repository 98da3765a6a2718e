"""Reading a long-format market-data CSV (date, factor, value) into a history.

Engine: :func:`imresearch.marketdata.load_csv` (``layout="long"``): one pass counting lines,
then pyarrow's streaming CSV reader, text turned into codes and numbers block by block.
Baseline: plain pandas, ``pandas.read_csv`` (C parser, default types) and ``pivot``, the way a
user would load the same file (no line numbers, no validation). The engine's peak memory is
also reported as a multiple of the file's size (``peak_over_file``): the target is about 3.
The reader before pyarrow (pandas C parser, every cell as a Python string) peaked at 13.2x the
file size on the full-size file (439 MB for 33 MB) and took 7.7 s.
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd

from imresearch.marketdata import load_csv


def params(quick: bool) -> dict:
    return {"dates": 2_500 if quick else 25_000, "factors": 50, "layout": "long"}


def setup(quick: bool) -> dict:
    p = params(quick)
    dates = pd.bdate_range("1990-01-01", periods=p["dates"])
    rng = np.random.default_rng(0)
    levels = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(dates), p["factors"])), axis=0))
    frame = pd.DataFrame(levels, index=dates, columns=[f"F{i:03d}" for i in range(p["factors"])])
    long = frame.stack().rename("value").reset_index()
    long.columns = ["date", "factor", "value"]
    path = os.path.join(tempfile.mkdtemp(prefix="imresearch-bench-"), "long.csv")
    long.to_csv(path, index=False, float_format="%.10g")
    return {"path": path}


def engine(ctx: dict) -> pd.DataFrame:
    return load_csv(ctx["path"], layout="long", max_gap="none").levels


def baseline(ctx: dict) -> pd.DataFrame:
    raw = pd.read_csv(ctx["path"], parse_dates=["date"])
    return raw.pivot(index="date", columns="factor", values="value")


def check(engine_result: pd.DataFrame, baseline_result: pd.DataFrame) -> None:
    np.testing.assert_array_equal(engine_result.to_numpy(),
                                  baseline_result[list(engine_result.columns)].to_numpy())
    assert engine_result.index.equals(pd.DatetimeIndex(baseline_result.index))


def extra(ctx: dict, quick: bool) -> dict:
    size = os.path.getsize(ctx["path"]) / 2**20
    return {"file_mb": round(size, 1)}
