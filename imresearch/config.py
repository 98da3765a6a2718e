"""Model and run settings as frozen dataclasses with documented defaults.

Settings objects are immutable, validated on construction (bad values raise
:class:`~imresearch.errors.InputError` naming the field), and convertible to plain dicts for
manifests. Study files (TOML) map one-to-one onto them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from imresearch.errors import InputError, check_in_open_interval, check_positive_int

__all__ = ["MarketStudyConfig", "from_mapping"]


@dataclass(frozen=True)
class MarketStudyConfig:
    """Settings of the market part of a study (data, shocks, stress window).

    Parameters
    ----------
    data : str
        Market data: a built-in name (see ``imresearch data list``), a catalogue name, or a
        path to a CSV/Parquet file. Default ``"synthetic"`` (the built-in synthetic market).
    seed : int
        Seed for anything random (the synthetic market). Default 0.
    horizon : int
        Margin period of risk in business days. Default 10.
    confidence : float
        Confidence level of the tail statistics. Default 0.99.
    stress_window_days : int
        Length of the stress window, business days. Default 250 (one year).
    recent_years : int
        Length of the "recent" lookback, years. Default 3.
    """

    data: str = "synthetic"
    seed: int = 0
    horizon: int = 10
    confidence: float = 0.99
    stress_window_days: int = 250
    recent_years: int = 3

    def __post_init__(self) -> None:
        if not isinstance(self.data, str) or not self.data.strip():
            raise InputError(f"data must be a non-empty string; got {self.data!r}")
        check_positive_int("seed", self.seed, minimum=0)
        check_positive_int("horizon", self.horizon)
        check_in_open_interval("confidence", self.confidence)
        check_positive_int("stress_window_days", self.stress_window_days, minimum=20)
        check_positive_int("recent_years", self.recent_years)

    def to_dict(self) -> dict[str, Any]:
        """Fields as a plain dict."""
        return asdict(self)


def from_mapping(cls: type, values: dict[str, Any], *, source: str = "settings") -> Any:
    """Build the dataclass ``cls`` from a mapping, rejecting unknown keys by name."""
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(
            f"{source}: unknown setting(s) {unknown}; known: {sorted(known)}"
        )
    try:
        return cls(**values)
    except TypeError as exc:  # pragma: no cover - guarded by the check above
        raise InputError(f"{source}: {exc}") from None
