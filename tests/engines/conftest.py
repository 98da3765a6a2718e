"""Shared helpers of the engine tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from imresearch.marketdata import FactorSpec, RiskFactorHistory


def levels_market(shocks: np.ndarray, names: list[str] | None = None,
                  start: str = "2010-01-01") -> RiskFactorHistory:
    """A history of absolute-convention factors whose daily differences are ``shocks``."""
    n, p = shocks.shape
    names = names or [f"EQ_F{j}" for j in range(p)]
    levels = 100.0 + np.vstack([np.zeros(p), np.cumsum(shocks, axis=0)])
    dates = pd.bdate_range(start, periods=n + 1)
    spec = FactorSpec(risk_class="equity", convention="absolute", currency="USD")
    return RiskFactorHistory(pd.DataFrame(levels, index=dates, columns=names),
                             {c: spec for c in names}, name="test")
