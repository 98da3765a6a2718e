"""Studies: what ``imresearch run`` computes (parse -> compute; the writer is in report/).

>>> from imresearch.study import load_study, run_study
>>> results = run_study(load_study("study.toml"))            # doctest: +SKIP
>>> from imresearch.report.study_report import write_study
>>> write_study(results, "results")                           # doctest: +SKIP
"""

from imresearch.study.aggregate_margin import AggregateResults, aggregate_analysis
from imresearch.study.grid import (
    load_grid,
    margin_task,
    market_task,
    model_sweep_inputs,
    sweep_study,
)
from imresearch.study.margin import MarginResults, margin_analysis
from imresearch.study.market import MarketAnalysis, analyse_market, load_market, study_market
from imresearch.study.run import StudyResults, progress_steps, run_study
from imresearch.study.settings import (
    DEFAULT_MODELS,
    AggregateConfig,
    APCConfig,
    MarketStudyConfig,
    PortfolioStudyConfig,
    RollingConfig,
    Study,
    load_study,
)

__all__ = [
    "DEFAULT_MODELS",
    "APCConfig",
    "AggregateConfig",
    "AggregateResults",
    "MarginResults",
    "MarketAnalysis",
    "MarketStudyConfig",
    "PortfolioStudyConfig",
    "RollingConfig",
    "Study",
    "StudyResults",
    "aggregate_analysis",
    "analyse_market",
    "load_grid",
    "load_market",
    "load_study",
    "margin_analysis",
    "margin_task",
    "market_task",
    "model_sweep_inputs",
    "progress_steps",
    "run_study",
    "study_market",
    "sweep_study",
]
