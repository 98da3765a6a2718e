"""Shared type aliases: shaped array types and literal option types."""

from __future__ import annotations

from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt

Float64Array: TypeAlias = npt.NDArray[np.float64]
"""Array of float64 (any shape; the docstring states the shape)."""
Float64Array1D: TypeAlias = npt.NDArray[np.float64]
Float64Array2D: TypeAlias = npt.NDArray[np.float64]
Int64Array: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]

SeedLike: TypeAlias = "int | np.random.SeedSequence | np.random.Generator | None"
"""Anything :func:`numpy.random.default_rng` accepts."""

RiskClass = Literal[
    "IR", "inflation", "credit", "equity", "FX", "commodity", "volatility", "other"
]
"""Risk class of a market risk factor."""

ShockConvention = Literal["log", "relative", "absolute", "absolute_bp", "displaced_relative"]
"""How a horizon shock is measured from levels (:mod:`imresearch.marketdata.conventions`)."""

GapPolicy = Literal["error", "drop", "ffill"]
"""What to do with missing values in a history."""

DateOrder = Literal["ascending", "descending", "auto"]
"""Expected order of dates in a file; ``auto`` accepts either, strictly monotone."""
