"""IM engines: historical simulation and filtered HS, Monte Carlo, and the MC calibration."""

from imresearch.engines.calibration import Calibration, calibrate, fit_t_copula_dof, fit_t_dof
from imresearch.engines.covariance import (
    CorrelationRepairWarning,
    ewma_covariance,
    ledoit_wolf,
    nearest_correlation,
    repair_correlation,
    sample_covariance,
)
from imresearch.engines.hs import IMResult, historical_im, realised_pnl, rolling_im
from imresearch.engines.linear import linear_pnl, linear_rolling_im
from imresearch.engines.mc import MCResult, monte_carlo_im, var_confidence_interval
from imresearch.engines.settings import HSModel, MCModel

__all__ = [
    "Calibration",
    "CorrelationRepairWarning",
    "HSModel",
    "IMResult",
    "MCModel",
    "MCResult",
    "calibrate",
    "ewma_covariance",
    "fit_t_copula_dof",
    "fit_t_dof",
    "historical_im",
    "ledoit_wolf",
    "linear_pnl",
    "linear_rolling_im",
    "monte_carlo_im",
    "nearest_correlation",
    "realised_pnl",
    "repair_correlation",
    "rolling_im",
    "sample_covariance",
    "var_confidence_interval",
]
