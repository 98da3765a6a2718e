"""The S&P 500 anti-procyclicality (APC) study: cost against procyclicality per model and tool.

Set-up (after Murphy, Vasios and Vause 2014, BoE FSP 29, and 2016, BoE SWP 597): a fixed long
position of ``notional`` (default 100, so IM reads as a percentage of notional) in the S&P 500
(arch's built-in ``arch_sp500``, adjusted close 1999-01-04 .. 2018-12-31), margined daily with a
99% 10-day VaR by

``HS 1y``
    historical simulation on the last 250 business days (IM from 1999-12-30);
``HS 10y``
    historical simulation on the last 2500 business days: with data from January 1999 the first
    full 10-year window ends in December 2008, so this row starts on 2008-12-10 and misses the
    run-up of the crisis (the table states every row's window);
``FHS-EWMA 1y``
    filtered HS: shocks devolatilised by an EWMA volatility (lambda 0.94) and rescaled by today's.

Each model's IM series is then charged with and without each APC tool of
:mod:`imresearch.procyclicality.apc` and the engines:

``buffer 25%``
    EMIR RTS 153/2013 art. 28(1)(a): 25% buffer released when IM rises >= 10% in 5 days,
    rebuilt over 20 days (:func:`~imresearch.procyclicality.apc.buffer`);
``stress weight 25%``
    art. 28(1)(b): the model re-run with the scenarios of the most volatile 250-day window known
    on each date given 25% of the weight (``HSModel(stress=True, stress_weight=0.25)``);
``10y floor``
    art. 28(1)(c): IM no lower than HS with a 10-year lookback; before 10 years of data exist the
    floor uses all the history available (an expanding window);
``stress floor``
    IM no lower than the stressed IM: the same position's HS VaR over the most volatile 1-year
    window known on each date (point in time: the window ending on ``e(t) = argmax_{s <= t}``
    of the window volatility, found by :func:`~imresearch.marketdata.find_stress_window`);
``cap``
    IM no higher than that stressed IM;
``speed limit``
    charged IM rises at most 10% per 5 business days;
``blend 75/25``
    SPAN-2-style ``0.75 IM + 0.25 stressed IM``.

Metrics per row (:mod:`imresearch.procyclicality.metrics`): average IM (the cost), PTR over the
row's window (and its trough-first variant), the largest 20-day relative and absolute increases,
and coverage of the realised 10-day loss of the position (breaches of IM set at the start of the
10 days, and the breach rate; 1% expected for a calibrated 99% model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch.engines.hs import realised_pnl, rolling_im
from imresearch.engines.settings import HSModel
from imresearch.errors import InputError
from imresearch.marketdata.builtin import load_builtin
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.stress import find_stress_window
from imresearch.portfolio import EquityPosition, Portfolio
from imresearch.procyclicality import apc
from imresearch.procyclicality.metrics import coverage, max_increase, summary

__all__ = ["TOOLS", "APCStudy", "APCStudySeries", "apc_study", "apc_study_series",
           "markdown_table", "stressed_im"]

#: The tools of the study, in table order.
TOOLS: tuple[str, ...] = ("buffer 25%", "stress weight 25%", "10y floor", "stress floor", "cap",
                          "speed limit", "blend 75/25")


@dataclass(frozen=True)
class APCStudy:
    """Settings of the S&P 500 APC study (defaults as in the module notes).

    Parameters
    ----------
    notional : float
        Fixed notional of the long position; IM is reported in its units. Default 100.
    models : mapping of str to HSModel, optional
        The IM models; default HS 1y, HS 10y and FHS-EWMA 1y (99% 10-day VaR).
    buffer_rate, buffer_trigger, buffer_window, buffer_rebuild : float, float, int, int
        Buffer of :func:`~imresearch.procyclicality.apc.buffer`. Defaults 0.25, 0.10, 5, 20.
    stress_weight : float
        Weight of the stressed scenarios. Default 0.25.
    stress_length : int
        Stress window, business days. Default 250.
    floor_lookback : int
        Lookback of the floor model, business days. Default 2500 (10 years).
    speed_limit, speed_days : float, int
        Largest rise of the charged IM over ``speed_days``. Defaults 0.10, 5.
    blend_weight : float
        Weight of the model IM in the blend. Default 0.75.
    cap_multiple : float
        Cap as a multiple of the stressed IM. Default 1.0.
    """

    notional: float = 100.0
    models: Mapping[str, HSModel] | None = None
    buffer_rate: float = 0.25
    buffer_trigger: float = 0.10
    buffer_window: int = 5
    buffer_rebuild: int = 20
    stress_weight: float = 0.25
    stress_length: int = 250
    floor_lookback: int = 2500
    speed_limit: float = 0.10
    speed_days: int = 5
    blend_weight: float = 0.75
    cap_multiple: float = 1.0

    def model_set(self) -> dict[str, HSModel]:
        """The models of the study, by label."""
        if self.models is not None:
            return dict(self.models)
        return {
            "HS 1y": HSModel(lookback_days=250),
            "HS 10y": HSModel(lookback_days=self.floor_lookback),
            "FHS-EWMA 1y": HSModel(lookback_days=250, filtering="ewma"),
        }


def _position(market: RiskFactorHistory) -> tuple[Portfolio, str]:
    if market.n_factors != 1:
        raise InputError(f"the APC study takes a one-factor equity history; {market.name} has "
                         f"{market.n_factors} factors")
    factor = market.factor_names[0]
    trade = EquityPosition(trade_id="LONG", underlying=factor, factor=factor, quantity=1.0)
    return Portfolio([trade], name=f"long {factor}"), factor


def _per_notional(im: pd.Series, spot: pd.Series, notional: float) -> pd.Series:
    # a linear position's IM is proportional to its value: IM of one share / spot * notional
    return (im / spot.reindex(im.index) * notional).rename("im")


def stressed_im(hs_1y: pd.Series, market: RiskFactorHistory, length: int = 250) -> pd.Series:
    """Point-in-time stressed IM: the 1-year HS IM on the end date of the most volatile
    ``length + 1``-row window known on each date (ties to the latest).

    ``hs_1y`` must be HS IM with a ``length``-day lookback (its window on date ``e`` is rows
    ``e - length .. e``), so its value on the stress window's end is the VaR of the window.
    """
    prof = find_stress_window(market, length + 1).profile
    running = prof.cummax()
    # the end date of the running argmax (ties to the latest)
    best_end = pd.Series(np.where(prof.to_numpy() >= running.to_numpy(), prof.index, pd.NaT),
                         index=prof.index).ffill()
    ends = best_end.reindex(hs_1y.index)
    values = hs_1y.reindex(pd.DatetimeIndex(ends.to_numpy())).to_numpy()
    return pd.Series(values, index=hs_1y.index, name="stressed_im")


@dataclass(frozen=True)
class APCStudySeries:
    """The series of the S&P 500 APC study, in units of the notional.

    Attributes
    ----------
    im : dict of str to dict of str to pandas.Series
        IM per model label and tool (``"none"``: the model without a tool).
    stressed_im : pandas.Series
        HS 1y IM of the most stressed window known on each date.
    floor_im : pandas.Series
        The floor model's IM (all history until the 10-year lookback is full).
    pnl_10d : pandas.Series
        Realised 10-day P&L of the position from each date.
    """

    im: dict[str, dict[str, pd.Series]]
    stressed_im: pd.Series
    floor_im: pd.Series
    pnl_10d: pd.Series


def apc_study_series(
    market: RiskFactorHistory | None = None,
    settings: APCStudy | None = None,
) -> APCStudySeries:
    """IM series per model and tool of the S&P 500 study, with their inputs."""
    s = settings or APCStudy()
    market = market if market is not None else load_builtin("arch_sp500")
    book, factor = _position(market)
    spot = market.levels[factor]
    n = s.notional

    def run(model: HSModel) -> pd.Series:
        return _per_notional(rolling_im(book, market, model=model)["im"], spot, n)

    hs1 = run(HSModel(lookback_days=s.stress_length))
    stressed = stressed_im(hs1, market, s.stress_length)
    floor_full = run(HSModel(lookback_days=s.floor_lookback))
    expanding = run(HSModel(lookback_days=None))
    floor_im = expanding.where(expanding.index < floor_full.index[0], floor_full)
    pnl = _per_notional(realised_pnl(book, market, 10), spot, n).rename("pnl_10d")
    out: dict[str, dict[str, pd.Series]] = {}
    for label, model in s.model_set().items():
        im = run(model)
        st = stressed.reindex(im.index)
        series: dict[str, pd.Series] = {"none": im}
        series["buffer 25%"] = apc.buffer(im, s.buffer_rate, trigger=s.buffer_trigger,
                                          window=s.buffer_window, rebuild_days=s.buffer_rebuild)
        weighted = HSModel(**{**model.to_dict(), "stress": True,
                              "stress_length": s.stress_length,
                              "stress_weight": s.stress_weight})
        series["stress weight 25%"] = run(weighted).reindex(im.index)
        if model.lookback_days is None or model.lookback_days < s.floor_lookback:
            series["10y floor"] = apc.floor(im, floor_im.reindex(im.index))
        series["stress floor"] = apc.floor(im, st)
        series["cap"] = apc.cap(im, s.cap_multiple * st)
        series["speed limit"] = apc.speed_limit(im, s.speed_limit, s.speed_days)
        series["blend 75/25"] = apc.blend(im, st, s.blend_weight)
        out[label] = series
    return APCStudySeries(im=out, stressed_im=stressed, floor_im=floor_im, pnl_10d=pnl)


def apc_study(
    market: RiskFactorHistory | None = None,
    settings: APCStudy | None = None,
    *,
    series: APCStudySeries | None = None,
) -> pd.DataFrame:
    """The cost / procyclicality table of the S&P 500 study.

    Parameters
    ----------
    market : RiskFactorHistory, optional
        A one-factor equity history. Default ``load_builtin("arch_sp500")``.
    settings : APCStudy, optional
        Study settings.
    series : dict, optional
        Output of :func:`apc_study_series` (to avoid recomputing).

    Returns
    -------
    pandas.DataFrame
        MultiIndex ``(model, tool)``; columns ``start``, ``end``, ``average_im``,
        ``peak_to_trough``, ``peak_to_trough_trough_first``, ``max_20d_increase`` (relative),
        ``max_20d_increase_abs`` (in notional units), ``breaches``, ``breach_rate`` (realised
        10-day losses above IM), ``cost_vs_none``, ``ptr_vs_none``.
    """
    data = series if series is not None else apc_study_series(market, settings)
    pnl = data.pnl_10d
    rows = {}
    for model, tools in data.im.items():
        for tool, im in tools.items():
            x = im.dropna()
            row = summary(x, days=(20,)).to_dict()
            row["max_20d_increase_abs"] = max_increase(x, 20, relative=False)
            common = x.index.intersection(pnl.index)
            cov = coverage(x.loc[common], pnl.loc[common])
            row.update(start=x.index[0], end=x.index[-1], breaches=int(cov["breaches"]),
                       breach_rate=float(cov["breach_rate"]))
            rows[(model, tool)] = row
    table = pd.DataFrame(rows).T
    table.index.names = ["model", "tool"]
    cols = ["start", "end", "average_im", "peak_to_trough", "peak_to_trough_trough_first",
            "max_20d_increase", "max_20d_increase_abs", "breaches", "breach_rate"]
    table = table[cols]
    for c in cols[2:]:
        table[c] = table[c].astype(float)
    base = table.xs("none", level="tool")
    models = table.index.get_level_values("model")
    table["cost_vs_none"] = table["average_im"].to_numpy() / base.loc[models,
                                                                       "average_im"].to_numpy()
    table["ptr_vs_none"] = table["peak_to_trough"].to_numpy() / base.loc[
        models, "peak_to_trough"].to_numpy()
    return table


def markdown_table(table: pd.DataFrame) -> str:
    """The study table as Markdown (for the docs)."""
    lines = ["| model | tool | window | avg IM | PTR | PTR (trough first) | max 20d rise | "
             "breaches (rate) |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for (model, tool), r in table.iterrows():
        lines.append(
            f"| {model} | {tool} | {r['start']:%Y-%m} .. {r['end']:%Y-%m} | "
            f"{r['average_im']:.2f} ({r['cost_vs_none']:.2f}x) | {r['peak_to_trough']:.2f} | "
            f"{r['peak_to_trough_trough_first']:.2f} | {100 * r['max_20d_increase']:.0f}% | "
            f"{int(r['breaches'])} ({100 * r['breach_rate']:.1f}%) |"
        )
    return "\n".join(lines)
