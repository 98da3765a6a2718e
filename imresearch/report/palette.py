"""One visual language for every figure: each margin model keeps one colour and line style.

A model's style is derived from what it is, never from its position in a figure, so the same
model looks the same in the study, the episode replays and the Archegos replay:

=====================  ======================================================================
kind                   colour family (shade: short lookback light, long lookback dark)
=====================  ======================================================================
HS                     blues
HS + stress window     reds
FHS-EWMA / FHS-GARCH   purples / pinks (with a stress window: dashed)
Monte Carlo            greens (t copula or marginals: dashed; bootstrap: dash-dot)
ISDA SIMM              one fixed orange (version in force: solid and thick; a fixed version:
                       dashed; 1-day MPOR: dotted; posted side: dash-dot)
BCBS-IOSCO schedule    one fixed dark grey
static (house) rates   browns (higher rate darker)
=====================  ======================================================================

A stress-weighted HS (``stress_weight``) is dash-dot, an ES measure dotted. A model known only
by its label (a replay column, an APC tool) is parsed from the label (``HS 1y+stress 25%``,
``FHS-EWMA 10y``, ``MC 3y``, ``SIMM 2.6``, ``Schedule``, ``static 5%``); any other label gets a
stable colour from its name. :class:`Palette` holds the styles of one report and makes two
labels that would look alike differ by line style, so the figures of one report agree with
each other exactly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "ACCENT",
    "EPISODE_LABEL",
    "EPISODE_SHADE",
    "EXCEPTION",
    "NEUTRAL",
    "REALISED",
    "ROLES",
    "SCHEDULE_COLOR",
    "SIMM_COLOR",
    "STRESS_SHADE",
    "ZONE_COLORS",
    "Palette",
    "Style",
    "categorical",
    "label_style",
    "model_style",
]

SIMM_COLOR = "#f07f09"
"""ISDA SIMM, in every figure."""
SCHEDULE_COLOR = "#4d4d4d"
"""The BCBS-IOSCO schedule, in every figure."""
REALISED = "#a6a6a6"
"""Realised losses (the outcome IM is tested against)."""
EXCEPTION = "#000000"
"""Backtest exceptions (crosses)."""
EPISODE_SHADE = "#e3e3e3"
"""Shading of stress episodes."""
EPISODE_LABEL = "#555555"
"""Text of episode labels."""
STRESS_SHADE = "#f6c9c9"
"""Shading of the calibration stress window."""
NEUTRAL = "#222222"
"""Reference lines and the un-mitigated model of the APC frontier."""
ACCENT = "#7b3294"
"""A highlight that belongs to no model (e.g. the scenario default date)."""

#: Colours of the backtest traffic-light zones.
ZONE_COLORS: Mapping[str, str] = {"green": "#1a9850", "yellow": "#fee08b", "red": "#d73027"}

#: Colours of quantities that are not models, the same in every figure.
ROLES: Mapping[str, str] = {
    "im held": "#878787",
    "close-out loss": "#f4a582",
    "loss after IM": "#b2182b",
    "sum of slices": NEUTRAL,
    "shortfall": "#b2182b",
    "im collected": "#2166ac",
    "im posted": "#d6604d",
    "vm received": "#92c5de",
    "vm paid": "#fdb863",
    "threshold": NEUTRAL,
}

_FAMILIES: Mapping[str, tuple[str, ...]] = {
    # light (short lookback) to dark (long lookback)
    "hs": ("#6baed6", "#3182bd", "#08519c", "#08306b"),
    "hs_stress": ("#fb6a4a", "#de2d26", "#a50f15", "#67000d"),
    "fhs_ewma": ("#c2a5cf", "#a87bc7", "#8e55b8", "#7b2fa8"),
    "fhs_garch": ("#f768a1", "#dd3497", "#ae017e", "#7a0177"),
    "mc": ("#74c476", "#41ab5d", "#238b45", "#005a32"),
    "static": ("#dfc27d", "#bf812d", "#8c510a", "#543005"),
}

#: Colours of labels that are no model (brokers, tools, names): none is a family colour.
_CATEGORICAL = ("#17becf", "#bcbd22", "#8c564b", "#e377c2", "#1f77b4", "#9467bd", "#d62728",
                "#2ca02c", "#7f7f7f", "#ff9896", "#aec7e8", "#c5b0d5", "#98df8a", "#c49c94")

#: Line styles tried in turn when two labels of one palette would otherwise look the same.
_ALTERNATES: tuple[Any, ...] = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3)))


@dataclass(frozen=True)
class Style:
    """How one model is drawn: ``color``, ``linestyle``, ``linewidth`` and ``marker``."""

    color: str
    linestyle: Any = "-"
    linewidth: float = 1.3
    marker: str = "o"

    def line(self) -> dict[str, Any]:
        """Keyword arguments of ``Axes.plot``."""
        return {"color": self.color, "ls": self.linestyle, "lw": self.linewidth}


def categorical(n: int) -> list[str]:
    """``n`` colours for things that are not models (brokers, names, APC tools), in order."""
    return [_CATEGORICAL[i % len(_CATEGORICAL)] for i in range(n)]


def _shade(family: str, lookback_days: float | None) -> str:
    """The shade of ``family`` for a lookback: up to ~1y, ~3y, ~6y, longer or all history."""
    shades = _FAMILIES[family]
    if lookback_days is None:
        return shades[3]
    for k, limit in enumerate((300, 800, 1600)):
        if lookback_days <= limit:
            return shades[k]
    return shades[3]


def _hs_style(filtering: str, lookback: float | None, stress: bool, weighted: bool,
              es: bool) -> Style:
    family = {"none": "hs_stress" if stress else "hs", "ewma": "fhs_ewma",
              "garch": "fhs_garch"}[filtering]
    style = "-." if weighted else ":" if es else "--" if stress and filtering != "none" else "-"
    return Style(_shade(family, lookback), style, 1.3, "o")


def _simm_style(fixed_version: bool, one_day: bool, post: bool) -> Style:
    style = "-." if post else ":" if one_day else "--" if fixed_version else "-"
    return Style(SIMM_COLOR, style, 2.2 if style == "-" else 1.8, "D")


def _static_style(rate: float) -> Style:
    k = 0 if rate <= 0.06 else 1 if rate <= 0.1 else 2 if rate <= 0.15 else 3
    return Style(_FAMILIES["static"][k], "-", 1.3, "v")


def model_style(model: Any) -> Style:
    """The style of a margin-model spec (:mod:`imresearch.models`), from its kind and settings."""
    kind = getattr(model, "KIND", None)
    if kind == "hs":
        return _hs_style(model.filtering, model.lookback_days, model.stress,
                         model.stress_weight is not None, model.measure == "es")
    if kind == "mc":
        lookback = model.stress_length if model.window == "stress" else model.lookback_days
        style = ("-." if model.method == "bootstrap" else
                 "--" if "t" in (model.copula, model.marginal) else ":" if model.measure == "es"
                 else "-")
        return Style(_shade("mc", lookback), style, 1.7, "s")
    if kind == "simm":
        return _simm_style(model.version != "in_force", model.mpor_days == 1,
                           model.side == "post")
    if kind == "schedule":
        return Style(SCHEDULE_COLOR, "-", 1.6, "P")
    if kind == "static":
        return _static_style(model.rate)
    raise TypeError(f"model_style: not a margin model spec: {model!r}")


_HS_LABEL = re.compile(r"^(HS|FHS-EWMA|FHS-GARCH|FHS)\s+(all|\d+(?:\.\d+)?)\s*([yd]?)"
                       r"(\+stress)?(.*)$", re.IGNORECASE)
_MC_LABEL = re.compile(r"^MC\b(.*?)(\d+(?:\.\d+)?)\s*([yd])", re.IGNORECASE)
_STATIC_LABEL = re.compile(r"^static\s+(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


def _days(number: str, unit: str) -> float | None:
    if number.lower() == "all":
        return None
    return float(number) * (252 if unit.lower() in ("y", "") else 1)


def label_style(label: str) -> Style:
    """The style of a model known only by its label (see the module docstring)."""
    text = label.strip()
    low = text.lower()
    if low.startswith("simm"):
        rest = low[4:]
        return _simm_style(bool(re.match(r"\s*\d", rest)), " 1d" in rest, "post" in rest)
    if low.startswith("schedule"):
        return Style(SCHEDULE_COLOR, "-", 1.6, "P")
    m = _STATIC_LABEL.match(text)
    if m:
        return _static_style(float(m.group(1)) / 100)
    m = _HS_LABEL.match(text)
    if m:
        head, number, unit, stress, rest = m.groups()
        filtering = ("garch" if "GARCH" in head.upper() else
                     "ewma" if head.upper().startswith("FHS") else "none")
        weighted = bool(stress) and "%" in rest
        return _hs_style(filtering, _days(number, unit), bool(stress), weighted,
                         rest.strip().upper().endswith("ES"))
    m = _MC_LABEL.match(text)
    if low.startswith("mc"):
        lookback = _days(m.group(2), m.group(3)) if m else 750
        dashed = m is not None and re.search(r"\bt[- ]|/t\b|t-copula", m.group(1).lower())
        return Style(_shade("mc", lookback), "--" if dashed else "-", 1.7, "s")
    digest = hashlib.sha256(text.encode()).digest()
    return Style(_CATEGORICAL[digest[0] % len(_CATEGORICAL)], "-", 1.3, "o")


class Palette:
    """The styles of one report's models, by label.

    Parameters
    ----------
    models : mapping of label to model spec, or iterable of labels
        Specs give :func:`model_style`; labels alone (or mapped to anything that is no
        spec) give :func:`label_style`. When two
        labels would look the same, the later one gets another line style, so every label of
        the palette is told apart.
    """

    def __init__(self, models: Mapping[str, Any] | Iterable[str] = ()) -> None:
        self._styles: dict[str, Style] = {}
        items = models.items() if isinstance(models, Mapping) else ((k, None) for k in models)
        for label, spec in items:
            self.add(str(label), spec)

    def add(self, label: str, spec: Any = None) -> Style:
        """Give ``label`` its style (a label already there keeps its own) and return it."""
        if label in self._styles:
            return self._styles[label]
        style = model_style(spec) if hasattr(spec, "KIND") else label_style(label)
        taken = {(s.color, s.linestyle) for s in self._styles.values()}
        for alternate in _ALTERNATES:
            if (style.color, style.linestyle) not in taken:
                break
            style = replace(style, linestyle=alternate)
        self._styles[label] = style
        return style

    def __getitem__(self, label: str) -> Style:
        return self._styles[label] if label in self._styles else self.add(label)

    def __contains__(self, label: object) -> bool:
        return label in self._styles

    def color(self, label: str) -> str:
        """The colour of ``label``."""
        return self[label].color

    def labels(self) -> list[str]:
        """Labels in the order they were added."""
        return list(self._styles)
