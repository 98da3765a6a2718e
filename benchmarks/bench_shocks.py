"""10-day overlapping shocks of 10,000 days x 500 factors with mixed conventions.

Engine: :func:`imresearch.marketdata.horizon_shocks` (Numba kernel, parallel over shocks).
Baseline: plain pandas, one vectorised expression per convention group on ``shift(-h)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.marketdata import FactorSpec, RiskFactorHistory, horizon_shocks

HORIZON = 10
SPECS = [
    FactorSpec("equity", "log", units="USD"),
    FactorSpec("equity", "relative", units="USD"),
    FactorSpec("IR", "absolute_bp", units="percent"),
    FactorSpec("IR", "absolute", units="percent"),
    FactorSpec("IR", "displaced_relative", units="percent", displacement=1.0),
]
WEIGHTS = [0.4, 0.1, 0.3, 0.1, 0.1]


def params(quick: bool) -> dict:
    return {"days": 2_000 if quick else 10_000, "factors": 100 if quick else 500,
            "horizon": HORIZON, "method": "overlapping"}


def setup(quick: bool) -> dict:
    p = params(quick)
    n, m = p["days"], p["factors"]
    rng = np.random.default_rng(0)
    kinds = rng.choice(len(SPECS), size=m, p=WEIGHTS)
    steps = rng.standard_normal((n, m)) * 0.01
    levels = np.empty((n, m))
    pos = np.isin(kinds, (0, 1))
    levels[:, pos] = 100.0 * np.exp(np.cumsum(steps[:, pos], axis=0))
    levels[:, ~pos] = 2.0 + np.cumsum(steps[:, ~pos] * 0.05, axis=0)
    levels[:, kinds == 4] = np.maximum(levels[:, kinds == 4], -0.5)
    cols = [f"f{j:03d}" for j in range(m)]
    frame = pd.DataFrame(levels, index=pd.bdate_range("1985-01-01", periods=n), columns=cols)
    specs = {c: SPECS[k] for c, k in zip(cols, kinds, strict=True)}
    return {"history": RiskFactorHistory(frame, specs), "frame": frame, "specs": specs}


def engine(ctx: dict) -> pd.DataFrame:
    return horizon_shocks(ctx["history"], HORIZON).frame


def baseline(ctx: dict) -> pd.DataFrame:
    df, specs = ctx["frame"], ctx["specs"]
    fwd = df.shift(-HORIZON)
    parts = []
    by_conv: dict[tuple, list[str]] = {}
    for col, spec in specs.items():
        by_conv.setdefault((spec.convention, spec.units, spec.displacement), []).append(col)
    for (conv, units, disp), cols in by_conv.items():
        a, b = df[cols], fwd[cols]
        if conv == "log":
            parts.append(np.log(b / a))
        elif conv == "relative":
            parts.append(b / a - 1.0)
        elif conv == "absolute":
            parts.append(b - a)
        elif conv == "absolute_bp":
            parts.append((b - a) * {"percent": 100.0, "decimal": 1e4, "bp": 1.0}[units])
        else:
            parts.append((b + disp) / (a + disp) - 1.0)
    out = pd.concat(parts, axis=1)[df.columns].iloc[:-HORIZON]
    out.index = df.index[HORIZON:]
    return out


def check(engine_result: pd.DataFrame, baseline_result: pd.DataFrame) -> None:
    np.testing.assert_allclose(engine_result.to_numpy(), baseline_result.to_numpy(),
                               rtol=1e-10, atol=1e-12)
    assert (engine_result.index == baseline_result.index).all()
