"""The engines package exports the HS, MC and calibration API under one roof."""

from __future__ import annotations

import imresearch.engines as engines
from imresearch.engines import calibration, covariance, hs, mc, settings

EXPECTED = {
    "HSModel": settings, "MCModel": settings,
    "MCResult": mc, "monte_carlo_im": mc, "var_confidence_interval": mc,
    "Calibration": calibration, "calibrate": calibration,
    "CorrelationRepairWarning": covariance, "ledoit_wolf": covariance,
    "nearest_correlation": covariance, "repair_correlation": covariance,
    "ewma_covariance": covariance, "sample_covariance": covariance,
    "historical_im": hs, "rolling_im": hs, "realised_pnl": hs, "IMResult": hs,
}


def test_exports_are_the_module_objects() -> None:
    for name, module in EXPECTED.items():
        assert name in engines.__all__, name
        assert getattr(engines, name) is getattr(module, name), name


def test_all_is_sorted_and_resolvable() -> None:
    assert list(engines.__all__) == sorted(engines.__all__)
    for name in engines.__all__:
        assert hasattr(engines, name), name
    # everything public in the calibration and covariance modules is exported
    assert set(calibration.__all__) | set(covariance.__all__) <= set(engines.__all__)
