"""Slow, obviously-correct reference pricers (plain Python twins of the Numba kernels).

They read trades and a market given as ``{factor name: raw level}`` with its metadata, and follow
the documented mapping from scratch: no arrays, no precomputed interpolation weights, the float
leg of a swap summed coupon by coupon (no telescoping).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

from imresearch.marketdata.factors import FactorSpec, tenor_to_years
from imresearch.portfolio.products import (
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
    FXForward,
    FXOption,
    FXSwap,
    InterestRateSwap,
)
from imresearch.portfolio.trades import Trade

N = NormalDist().cdf
UNITS = {"percent": 0.01, "decimal": 1.0, "bp": 1e-4, "vol points": 0.01}


def yf(a: pd.Timestamp, b: pd.Timestamp) -> float:
    return (b - a).days / 365.0


def zero_rate(levels: Mapping[str, float], specs: Mapping[str, FactorSpec], ccy: str,
              t: float) -> float:
    pts = sorted(
        (tenor_to_years(spec.tenor or name.split("_")[2]), levels[name] * UNITS[spec.units])
        for name, spec in specs.items()
        if name.startswith(f"IR_{ccy}_")
    )
    if t <= pts[0][0]:
        return pts[0][1]
    if t >= pts[-1][0]:
        return pts[-1][1]
    for (t0, r0), (t1, r1) in itertools.pairwise(pts):
        if t0 <= t <= t1:
            return r0 + (r1 - r0) * (t - t0) / (t1 - t0)
    raise AssertionError("unreachable")


def df(levels, specs, ccy, t):
    return math.exp(-zero_rate(levels, specs, ccy, t) * t)


def black(f, k, sd, d, is_call):
    if sd <= 0:
        return d * max((f - k) if is_call else (k - f), 0.0)
    d1 = (math.log(f / k) + 0.5 * sd * sd) / sd
    d2 = d1 - sd
    if is_call:
        return d * (f * N(d1) - k * N(d2))
    return d * (k * N(-d2) - f * N(-d1))


def usd_per(levels, ccy):
    if ccy == "USD":
        return 1.0
    if f"FX_{ccy}USD" in levels:
        return levels[f"FX_{ccy}USD"]
    return 1.0 / levels[f"FX_USD{ccy}"]


def fx_spot(levels, base, quote):
    if f"FX_{base}{quote}" in levels:
        return levels[f"FX_{base}{quote}"]
    return 1.0 / levels[f"FX_{quote}{base}"]


def vol(trade, levels, specs):
    if trade.volatility is not None:
        return trade.volatility
    return trade.vol_scale * levels[trade.vol_factor] * UNITS[specs[trade.vol_factor].units]


def periods(start, end, months):
    dates = [end]
    k = 1
    while end - pd.DateOffset(months=months * k) > start:
        dates.append(end - pd.DateOffset(months=months * k))
        k += 1
    if (dates[-1] - start).days < 7 and len(dates) > 1:
        dates.pop()
    dates.append(start)
    dates = dates[::-1]
    return list(itertools.pairwise(dates))


def months(label):
    return int(label[:-1]) * (12 if label.endswith("y") else 1)


def pv_local(trade: Trade, levels, specs, date: pd.Timestamp) -> tuple[float, str]:
    """PV in the trade's PV currency, and that currency."""
    s = trade.sign
    if isinstance(trade, (EquityPosition, EquityTRS, EquityForward, EquityOption)):
        name = trade.factor or f"EQ_{trade.underlying}"
        spot = levels[name]
        ccy = trade.currency or specs[name].currency
        curve = getattr(trade, "curve", None) or ccy
        if isinstance(trade, EquityPosition):
            return s * trade.quantity * spot, ccy
        if isinstance(trade, EquityTRS):
            t = yf(date, trade.maturity)
            fin = trade.financing_rate + trade.financing_spread_bp / 1e4
            pay = trade.notional * (1 + fin * yf(trade.start_date, trade.maturity))
            shares = trade.notional / trade.initial_price
            return s * (shares * spot - pay * df(levels, specs, curve, t)), ccy
        if isinstance(trade, EquityForward):
            t = yf(date, trade.maturity)
            return s * trade.quantity * (spot * math.exp(-trade.dividend_yield * t)
                                         - trade.strike * df(levels, specs, curve, t)), ccy
        t = yf(date, trade.expiry)
        d = df(levels, specs, curve, t)
        fwd = spot * math.exp(-trade.dividend_yield * t) / d
        sd = vol(trade, levels, specs) * math.sqrt(t)
        return s * trade.quantity * black(fwd, trade.strike, sd, d,
                                          trade.option_type == "call"), ccy
    if isinstance(trade, FXSwap):
        x = fx_spot(levels, trade.base, trade.quote)

        def leg(when: pd.Timestamp, rate: float) -> float:  # buy base, pay quote at ``when``
            t = yf(date, when)
            return (x * df(levels, specs, trade.base_curve or trade.base, t)
                    - rate * df(levels, specs, trade.quote_curve or trade.quote, t))

        near = leg(trade.near_date, trade.near_rate) if trade.near_date >= date else 0.0
        return s * trade.notional * (near - leg(trade.far_date, trade.far_rate)), trade.quote
    if isinstance(trade, (FXForward, FXOption)):
        x = fx_spot(levels, trade.base, trade.quote)
        end = trade.maturity if isinstance(trade, FXForward) else trade.expiry
        t = yf(date, end)
        dq = df(levels, specs, trade.quote_curve or trade.quote, t)
        db = df(levels, specs, trade.base_curve or trade.base, t)
        if isinstance(trade, FXForward):
            return s * trade.notional * (x * db - trade.strike * dq), trade.quote
        sd = vol(trade, levels, specs) * math.sqrt(t)
        return s * trade.notional * black(x * db / dq, trade.strike, sd, dq,
                                          trade.option_type == "call"), trade.quote
    if isinstance(trade, InterestRateSwap):
        ccy = trade.currency
        curve = trade.curve or ccy

        def d(when):
            return df(levels, specs, curve, yf(date, when))

        fixed = sum(trade.notional * trade.fixed_rate * yf(a, e) * d(e)
                    for a, e in periods(trade.start_date, trade.maturity,
                                        months(trade.fixed_period)) if e > date)
        flt = 0.0
        spread = trade.float_spread_bp / 1e4
        for a, e in periods(trade.start_date, trade.maturity, months(trade.float_period)):
            if e <= date:
                continue
            tau = yf(a, e)
            if a < date and trade.last_fixing is not None:
                rate = trade.last_fixing
            elif a < date:
                rate = (1.0 / d(e) - 1.0) / tau  # projected from today over the whole period
            else:
                rate = (d(a) / d(e) - 1.0) / tau
            flt += trade.notional * (rate + spread) * tau * d(e)
        return s * (flt - fixed), ccy
    if isinstance(trade, CreditDefaultSwap):
        name = trade.spread_factor or f"CR_{trade.reference}"
        spread = trade.spread_scale * levels[name] * UNITS[specs[name].units]
        ccy = trade.currency or specs[name].currency
        lam = spread / (1 - trade.recovery)
        c = trade.coupon_bp / 1e4
        prot = prem = 0.0
        q_prev = 1.0
        for a, e in periods(date, trade.maturity, 3):
            t = yf(date, e)
            q = math.exp(-lam * t)
            d = df(levels, specs, trade.curve or ccy, t)
            prot += (1 - trade.recovery) * d * (q_prev - q)
            prem += c * yf(a, e) * d * (q + 0.5 * (q_prev - q))
            q_prev = q
        return s * trade.notional * (prot - prem), ccy
    if isinstance(trade, (CommodityForward, CommodityOption)):
        name = trade.factor or f"CMD_{trade.underlying}"
        ccy = trade.currency or specs[name].currency
        end = trade.maturity if isinstance(trade, CommodityForward) else trade.expiry
        t = yf(date, end)
        fwd = levels[name] * math.exp(trade.carry * t)
        d = df(levels, specs, trade.curve or ccy, t)
        if isinstance(trade, CommodityForward):
            return s * trade.quantity * (fwd - trade.strike) * d, ccy
        sd = vol(trade, levels, specs) * math.sqrt(t)
        return s * trade.quantity * black(fwd, trade.strike, sd, d,
                                          trade.option_type == "call"), ccy
    raise TypeError(trade)


def pv_usd(trade, levels, specs, date) -> float:
    value, ccy = pv_local(trade, levels, specs, date)
    return value * usd_per(levels, ccy)


def shocked(level: float, shock: float, spec: FactorSpec) -> float:
    if spec.convention == "log":
        return level * math.exp(shock)
    if spec.convention == "relative":
        return level * (1 + shock)
    if spec.convention == "absolute":
        return level + shock
    if spec.convention == "absolute_bp":
        return level + shock / {"percent": 100.0, "decimal": 1e4, "bp": 1.0}[spec.units]
    return (level + spec.displacement) * (1 + shock) - spec.displacement


def revalue(trades: Sequence[Trade], base: Mapping[str, float],
            specs: Mapping[str, FactorSpec], date, shocks: pd.DataFrame) -> np.ndarray:
    """P&L (n_scenarios, n_trades) scenario by scenario, trade by trade."""
    out = np.empty((len(shocks), len(trades)))
    pv0 = [pv_usd(t, base, specs, date) for t in trades]
    for i, (_, row) in enumerate(shocks.iterrows()):
        lv = dict(base)
        for name, value in row.items():
            lv[name] = shocked(base[name], float(value), specs[name])
        for j, t in enumerate(trades):
            out[i, j] = pv_usd(t, lv, specs, date) - pv0[j]
    return out
