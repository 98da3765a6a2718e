"""Backtests of initial margin against realised P&L.

==========================  ===============================================================
``coverage``                exceptions, Kupiec POF, Christoffersen, the traffic light for any
                            n and confidence, ``backtest`` of one IM series
``overlap``                 tests of overlapping windows with the overlap in the null
                            (exact-variance z-test, Monte Carlo tests, simulated zones)
``es``                      expected-shortfall backtests: Acerbi-Szekely Z2, Kratz-Lok-McNeil
                            multinomial, Du-Escanciano
``rolling``                 the traffic light through time and the remediation add-on
``im_backtest``             ``backtest_im``: any margin model of a book by portfolio, netting
                            set, risk class or product class, 1 or 10 days, hypothetical or
                            actual P&L (``groups``: the groups and their P&L; ``group_im``:
                            each group's IM under each kind of model)
``exceptions``              ``exception_report``: every exception with its episode, shortfall,
                            and the risk class, trades and factors that drove the loss
==========================  ===============================================================
"""

from imresearch.backtest.coverage import (
    BacktestResult,
    ChristoffersenResult,
    backtest,
    christoffersen,
    kupiec_pof,
    traffic_light,
    traffic_light_bounds,
)
from imresearch.backtest.es import (
    DuEscancianoResult,
    MultinomialResult,
    Z2Result,
    acerbi_szekely_z2,
    du_escanciano,
    multinomial_test,
    z2_critical_values,
    z2_test,
)
from imresearch.backtest.exceptions import exception_report
from imresearch.backtest.im_backtest import IMBacktest, backtest_im
from imresearch.backtest.overlap import (
    OverlapTest,
    overlap_count_variance,
    overlap_null,
    overlap_test,
    overlap_traffic_light_bounds,
)
from imresearch.backtest.rolling import Remediation, remediation, rolling_traffic_light

__all__ = [
    "BacktestResult",
    "ChristoffersenResult",
    "DuEscancianoResult",
    "IMBacktest",
    "MultinomialResult",
    "OverlapTest",
    "Remediation",
    "Z2Result",
    "acerbi_szekely_z2",
    "backtest",
    "backtest_im",
    "christoffersen",
    "du_escanciano",
    "exception_report",
    "kupiec_pof",
    "multinomial_test",
    "overlap_count_variance",
    "overlap_null",
    "overlap_test",
    "overlap_traffic_light_bounds",
    "remediation",
    "rolling_traffic_light",
    "traffic_light",
    "traffic_light_bounds",
    "z2_critical_values",
    "z2_test",
]
