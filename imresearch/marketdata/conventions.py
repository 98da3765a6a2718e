"""Shock conventions: from two levels to a shock, and from a level and a shock back to a level.

Each factor's convention is encoded as an integer code plus one float parameter, so kernels take
plain arrays:

======================  ====  ==============  =====================  ==================
convention              code  parameter       shock s(a, b)          level b(a, s)
======================  ====  ==============  =====================  ==================
``log``                 0     unused          ln(b / a)              a exp(s)
``relative``            1     unused          b / a - 1              a (1 + s)
``absolute``            2     unused          b - a                  a + s
``absolute_bp``         3     bp per unit k   k (b - a)              a + s / k
``displaced_relative``  4     displacement d  (b + d) / (a + d) - 1  (a + d)(1 + s) - d
======================  ====  ==============  =====================  ==================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from imresearch._numba import jit
from imresearch._typing import Float64Array, Int64Array
from imresearch.marketdata.factors import FactorSpec

__all__ = ["CONVENTION_CODES", "encode", "level_from_shock", "shock_from_levels"]

CONVENTION_CODES: dict[str, int] = {
    "log": 0,
    "relative": 1,
    "absolute": 2,
    "absolute_bp": 3,
    "displaced_relative": 4,
}


def encode(
    specs: Sequence[FactorSpec] | Mapping[str, FactorSpec],
) -> tuple[Int64Array, Float64Array]:
    """Return ``(codes, params)`` arrays of shape (n_factors,) for a list of factor specs."""
    items = list(specs.values()) if isinstance(specs, Mapping) else list(specs)
    codes = np.array([CONVENTION_CODES[s.convention] for s in items], dtype=np.int64)
    params = np.array(
        [
            s.bp_per_unit if s.convention == "absolute_bp" else s.displacement
            for s in items
        ],
        dtype=np.float64,
    )
    return codes, params


@jit
def shock_from_levels(a: float, b: float, code: int, param: float) -> float:
    """Shock from start level ``a`` to end level ``b`` under convention ``code``."""
    if code == 0:
        return np.log(b / a)
    if code == 1:
        return b / a - 1.0
    if code == 2:
        return b - a
    if code == 3:
        return (b - a) * param
    return (b + param) / (a + param) - 1.0


@jit
def level_from_shock(a: float, s: float, code: int, param: float) -> float:
    """End level reached from start level ``a`` by shock ``s`` under convention ``code``."""
    if code == 0:
        return a * np.exp(s)
    if code == 1:
        return a * (1.0 + s)
    if code == 2:
        return a + s
    if code == 3:
        return a + s / param
    return (a + param) * (1.0 + s) - param
