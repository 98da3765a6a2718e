"""Margin responsiveness as a disclosure table: how far and how fast IM rises, with and without
APC tools, per model, per group and in aggregate.

The CPMI-IOSCO public quantitative disclosures for CCPs (2015, section 6.5 on initial margin)
and the 2025 consultation on margin transparency ask for the peak-to-trough ratio and the
largest 1-, 5- and 30-day increases of initial margin, in currency and in percent. Here each
model's IM per group (netting set, risk class...) and their sum (the aggregate, IM never netted
across groups) get one row per APC variant (``none``: the model's own IM); a tool is applied to
each group's IM and the aggregate is the sum of the tooled groups, as margin is charged per
netting set. Metrics from :mod:`imresearch.procyclicality.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from imresearch.errors import InputError, check_positive_int
from imresearch.procyclicality.apc import Transform
from imresearch.procyclicality.metrics import max_increase, peak_to_trough

__all__ = ["responsiveness"]

AGGREGATE = "aggregate"


def _row(im: pd.Series, days: tuple[int, ...], step: int) -> dict[str, float]:
    out = {"peak_im": float(im.max()), "trough_im": float(im.min()),
           "peak_to_trough": peak_to_trough(im)}
    for d in days:
        rows = d // step
        if d % step or len(im) <= rows:  # a span the IM dates cannot measure
            out[f"max_{d}d_increase"] = out[f"max_{d}d_increase_pct"] = float("nan")
            continue
        out[f"max_{d}d_increase"] = max(0.0, max_increase(im, rows, relative=False))
        out[f"max_{d}d_increase_pct"] = max(0.0, 100.0 * max_increase(im, rows))
    return out


def responsiveness(ims: Mapping[str, pd.DataFrame | pd.Series],
                   tools: Mapping[str, Transform] | None = None, *,
                   days: tuple[int, ...] = (1, 5, 30), step: int = 1) -> pd.DataFrame:
    """Peak-to-trough and largest n-day IM increases per model, group and APC variant.

    Parameters
    ----------
    ims : mapping of model label to DataFrame or Series
        Each model's IM through time (index date, one column per group; a Series is one
        group), positive, on consecutive IM dates.
    tools : mapping of name to transform, optional
        APC tools (``IM series -> charged IM series``, :mod:`imresearch.procyclicality.apc`).
        Default none: the models' own IM only.
    days : tuple of int
        Spans of the increases in business days. Default (1, 5, 30).
    step : int
        Business days between IM dates: a span of ``d`` days is ``d / step`` rows (NaN when
        ``step`` does not divide it, e.g. a 1-day increase of weekly IM).

    Returns
    -------
    pandas.DataFrame
        Index ``(model, group, tool)`` (group ``aggregate``: the sum over groups, when there
        are several; tool ``none``: no tool); columns ``peak_im``, ``trough_im``,
        ``peak_to_trough``, ``max_<d>d_increase`` (currency) and ``max_<d>d_increase_pct``.
    """
    step = check_positive_int("step", step)
    days = tuple(check_positive_int("days", d) for d in days)
    if not ims:
        raise InputError("ims is empty: give at least one model's IM")
    variants: dict[str, Transform | None] = {"none": None, **dict(tools or {})}
    rows = {}
    for model, frame in ims.items():
        if isinstance(frame, pd.Series):
            frame = frame.to_frame(name=frame.name or model)
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            raise InputError(f"ims[{model!r}] must be a non-empty DataFrame or Series of IM")
        groups = {g: frame[g].dropna() for g in frame.columns}  # NaN: the group held nothing
        for name, tool in variants.items():
            tooled = {g: s if tool is None else tool(s) for g, s in groups.items()}
            for g, s in tooled.items():
                rows[(model, g, name)] = _row(s, days, step)
            if len(tooled) > 1:
                total = pd.concat(tooled, axis=1).fillna(0.0).sum(axis=1)
                rows[(model, AGGREGATE, name)] = _row(total, days, step)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index = pd.MultiIndex.from_tuples(out.index, names=["model", "group", "tool"])
    return out
