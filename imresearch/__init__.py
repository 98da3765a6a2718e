"""imresearch: initial-margin research framework.

Historical-simulation, filtered-HS and Monte Carlo IM engines checked against ISDA SIMM and the
BCBS-IOSCO schedule; backtests, procyclicality metrics and anti-procyclicality tools.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
