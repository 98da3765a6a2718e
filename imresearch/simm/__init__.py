"""ISDA SIMM: versioned parameters, CRIF reading and validation, the margin calculator.

>>> from imresearch.simm import simm
>>> result = simm("crif.csv", version="2.8+2512", mpor_days=10, side="call")  # doctest: +SKIP
>>> result.total, result.breakdown  # doctest: +SKIP
"""

from imresearch.simm.allocation import SimmAllocation, simm_allocation
from imresearch.simm.calculator import simm
from imresearch.simm.crif import (
    CRIF_COLUMNS,
    SENSITIVITY_RISK_TYPES,
    parse_crif,
    read_crif,
)
from imresearch.simm.netting import net_crif
from imresearch.simm.parameters import (
    DEFAULT_VERSION,
    RISK_CLASSES,
    VERSIONS,
    SimmParameters,
    load_parameters,
)
from imresearch.simm.regulations import WorstOfResult, simm_worst_of
from imresearch.simm.result import MARGIN_TYPES, SimmResult
from imresearch.simm.synthetic import synthetic_crif
from imresearch.simm.versions import (
    FIRST_SIMM_DATE,
    InForce,
    NoSimmInForceError,
    VersionInfo,
    canonical_version,
    version_in_force,
    version_info,
    version_schedule,
)

__all__ = [
    "CRIF_COLUMNS",
    "DEFAULT_VERSION",
    "FIRST_SIMM_DATE",
    "MARGIN_TYPES",
    "RISK_CLASSES",
    "SENSITIVITY_RISK_TYPES",
    "VERSIONS",
    "InForce",
    "NoSimmInForceError",
    "SimmAllocation",
    "SimmParameters",
    "SimmResult",
    "VersionInfo",
    "WorstOfResult",
    "canonical_version",
    "load_parameters",
    "net_crif",
    "parse_crif",
    "read_crif",
    "simm",
    "simm_allocation",
    "simm_worst_of",
    "synthetic_crif",
    "version_in_force",
    "version_info",
    "version_schedule",
]
