"""Task functions for the sweep tests (module level, so worker processes can load them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def bootstrap_quantile(params: Mapping[str, Any], shared: Mapping[str, Any],
                       rng: np.random.Generator) -> dict[str, Any]:
    """Bootstrap the loss quantile of the shared P&L vector: uses shared data and randomness."""
    pnl = shared["pnl"]
    draws = rng.choice(pnl, size=(params["n_boot"], len(pnl)), replace=True)
    q = np.quantile(-draws, params["confidence"], axis=1)
    return {"mean_quantile": float(q.mean()), "first_draw": float(draws[0, 0]),
            "n_obs": len(pnl)}


def fails_on_three(params: Mapping[str, Any], shared: Mapping[str, Any],
                   rng: np.random.Generator) -> dict[str, Any]:
    """Fails for the point x == 3 (to test interrupted sweeps)."""
    if params["x"] == 3 and shared.get("fail", True):
        raise RuntimeError("task failed on purpose")
    return {"y": params["x"] * 2 + rng.integers(0, 1000)}


def sleepy(params: Mapping[str, Any], shared: Mapping[str, Any],
           rng: np.random.Generator) -> dict[str, Any]:
    """Sleeps ``shared["sleep"]`` seconds, then returns a draw (to run sweeps side by side)."""
    import time

    time.sleep(shared.get("sleep", 0.0))
    return {"y": params["x"] * shared.get("scale", 1) + rng.random()}
