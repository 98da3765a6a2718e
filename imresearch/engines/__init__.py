"""IM engines: historical simulation and filtered HS (this package), Monte Carlo (later)."""

from imresearch.engines.hs import IMResult, historical_im, realised_pnl, rolling_im
from imresearch.engines.linear import linear_pnl, linear_rolling_im

__all__ = [
    "IMResult",
    "historical_im",
    "linear_pnl",
    "linear_rolling_im",
    "realised_pnl",
    "rolling_im",
]
