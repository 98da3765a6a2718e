"""Risk-factor metadata: risk class, shock convention, units, currency and tenor."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import Any, get_args

from imresearch._typing import RiskClass, ShockConvention
from imresearch.errors import InputError

__all__ = ["RISK_CLASSES", "SHOCK_CONVENTIONS", "FactorSpec", "tenor_to_years"]

RISK_CLASSES: tuple[str, ...] = get_args(RiskClass)
SHOCK_CONVENTIONS: tuple[str, ...] = get_args(ShockConvention)

#: Basis points per unit of level, for ``absolute_bp`` factors.
BP_PER_UNIT: dict[str, float] = {"decimal": 1e4, "percent": 100.0, "bp": 1.0}

_TENOR = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([dwmy])\s*$", re.IGNORECASE)
_TENOR_YEARS = {"d": 1.0 / 365.0, "w": 7.0 / 365.0, "m": 1.0 / 12.0, "y": 1.0}


def tenor_to_years(tenor: str) -> float:
    """Convert a tenor label such as ``"2w"``, ``"3m"`` or ``"10y"`` to years.

    Raises
    ------
    InputError
        If the label is not ``<number><d|w|m|y>``.
    """
    match = _TENOR.match(str(tenor))
    if match is None:
        raise InputError(f"tenor must look like '2w', '3m' or '10y'; got {tenor!r}")
    return float(match.group(1)) * _TENOR_YEARS[match.group(2).lower()]


@dataclass(frozen=True)
class FactorSpec:
    """Metadata of one market risk factor.

    Parameters
    ----------
    risk_class : {"IR", "inflation", "credit", "equity", "FX", "commodity", "volatility", "other"}
        SIMM-style risk class of the factor.
    convention : {"log", "relative", "absolute", "absolute_bp", "displaced_relative"}
        How a horizon shock is measured from two levels ``a`` (start) and ``b`` (end):
        ``log``: ln(b / a); ``relative``: b / a - 1; ``absolute``: b - a in level units;
        ``absolute_bp``: (b - a) in basis points (needs ``units`` of ``decimal``, ``percent`` or
        ``bp``); ``displaced_relative``: (b + d) / (a + d) - 1 with ``d = displacement``.
    units : str
        Units of the levels, e.g. ``"USD"``, ``"index"``, ``"percent"``, ``"decimal"``, ``"bp"``,
        ``"vol points"``. Default ``""`` (unspecified).
    currency : str, optional
        ISO currency of the factor (the quote currency for FX pairs).
    tenor : str, optional
        Tenor label such as ``"10y"`` for curve points.
    displacement : float
        Shift ``d`` of ``displaced_relative`` factors, in level units. Default 0.
    description : str
        Free text (source, instrument).
    """

    risk_class: RiskClass = "other"
    convention: ShockConvention = "log"
    units: str = ""
    currency: str | None = None
    tenor: str | None = None
    displacement: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if self.risk_class not in RISK_CLASSES:
            raise InputError(
                f"risk_class must be one of {', '.join(RISK_CLASSES)}; got {self.risk_class!r}"
            )
        if self.convention not in SHOCK_CONVENTIONS:
            raise InputError(
                f"convention must be one of {', '.join(SHOCK_CONVENTIONS)}; got {self.convention!r}"
            )
        if self.convention == "absolute_bp" and self.units not in BP_PER_UNIT:
            raise InputError(
                "convention 'absolute_bp' needs units 'decimal', 'percent' or 'bp'; "
                f"got units={self.units!r}"
            )
        if not math.isfinite(self.displacement) or self.displacement < 0:
            raise InputError(f"displacement must be finite and >= 0; got {self.displacement!r}")
        if self.tenor is not None:
            tenor_to_years(self.tenor)

    @property
    def requires_positive(self) -> bool:
        """Whether levels must be strictly positive (log and relative conventions)."""
        return self.convention in ("log", "relative")

    @property
    def tenor_years(self) -> float | None:
        """Tenor in years, or None for factors without a tenor."""
        return None if self.tenor is None else tenor_to_years(self.tenor)

    @property
    def bp_per_unit(self) -> float:
        """Basis points per level unit (1.0 unless the convention is ``absolute_bp``)."""
        return BP_PER_UNIT[self.units] if self.convention == "absolute_bp" else 1.0

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (for manifests and tables)."""
        return asdict(self)
