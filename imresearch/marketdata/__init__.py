"""Market data: risk-factor histories, loaders, shocks, stress windows and synthetic markets."""

from imresearch.marketdata.builtin import SYNTHETIC_SMALL_FACTORS, builtin_names, load_builtin
from imresearch.marketdata.catalogue import DATASETS, data_dir, list_datasets, load_dataset
from imresearch.marketdata.factors import FactorSpec, tenor_to_years
from imresearch.marketdata.history import GapReport, RiskFactorHistory
from imresearch.marketdata.readers import load_csv, load_parquet
from imresearch.marketdata.shocks import Shocks, apply_shocks, horizon_shocks
from imresearch.marketdata.stress import StressWindow, find_stress_window
from imresearch.marketdata.synthetic import (
    DEFAULT_EPISODES,
    STRESS_EPISODES,
    StressEpisode,
    SyntheticMarketConfig,
    synthetic_factors,
    synthetic_market,
)

__all__ = [
    "DATASETS",
    "DEFAULT_EPISODES",
    "STRESS_EPISODES",
    "SYNTHETIC_SMALL_FACTORS",
    "FactorSpec",
    "GapReport",
    "RiskFactorHistory",
    "Shocks",
    "StressEpisode",
    "StressWindow",
    "SyntheticMarketConfig",
    "apply_shocks",
    "builtin_names",
    "data_dir",
    "find_stress_window",
    "horizon_shocks",
    "list_datasets",
    "load_builtin",
    "load_csv",
    "load_dataset",
    "load_parquet",
    "synthetic_factors",
    "synthetic_market",
    "tenor_to_years",
]
