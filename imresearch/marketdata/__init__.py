"""Market data: risk-factor histories, loaders, shocks, stress windows and synthetic markets."""

from imresearch.marketdata.factors import FactorSpec, tenor_to_years
from imresearch.marketdata.history import GapReport, RiskFactorHistory
from imresearch.marketdata.shocks import Shocks, apply_shocks, horizon_shocks

__all__ = [
    "FactorSpec",
    "GapReport",
    "RiskFactorHistory",
    "Shocks",
    "apply_shocks",
    "horizon_shocks",
    "tenor_to_years",
]
