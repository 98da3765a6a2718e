"""Procyclicality metrics of IM series and anti-procyclicality (APC) tools."""

from imresearch.procyclicality.apc import (
    Tool,
    blend,
    buffer,
    buffer_released,
    cap,
    compose,
    floor,
    frontier,
    speed_limit,
)
from imresearch.procyclicality.impulse import (
    ImpulseResponse,
    hs_response_model,
    impulse_response,
    impulse_summary,
)
from imresearch.procyclicality.metrics import (
    average_im,
    coverage,
    increases,
    margin_calls,
    max_increase,
    peak_to_trough,
    stressed_to_calm,
    summary,
)
from imresearch.procyclicality.responsiveness import responsiveness

__all__ = [
    "ImpulseResponse",
    "Tool",
    "average_im",
    "blend",
    "buffer",
    "buffer_released",
    "cap",
    "compose",
    "coverage",
    "floor",
    "frontier",
    "hs_response_model",
    "impulse_response",
    "impulse_summary",
    "increases",
    "margin_calls",
    "max_increase",
    "peak_to_trough",
    "responsiveness",
    "speed_limit",
    "stressed_to_calm",
    "summary",
]
