"""Market binding: resolve each trade once against a risk-factor history.

Binding turns a portfolio and a market (a :class:`~imresearch.marketdata.RiskFactorHistory`) on a
valuation date into the arrays the pricing kernels read (:mod:`imresearch.portfolio._kernels`),
and records which factor columns each trade depends on. Everything that can go wrong with a trade
against a market goes wrong here, as an :class:`~imresearch.errors.InputError` naming the trade
and the field.

How trades map to market factors
--------------------------------
=====================  ==================================================================
trade data             market factor(s)
=====================  ==================================================================
equity ``underlying``  ``EQ_<underlying>`` (or the trade's ``factor``): spot price
commodity              ``CMD_<underlying>`` (or ``factor``): spot; forward ``S exp(carry T)``
``underlying``
FX ``pair`` ``BBBQQQ``  ``FX_BBBQQQ`` (quote per base), else ``1 / FX_QQQBBB``
credit ``reference``   ``CR_<reference>`` (or ``spread_factor``) times ``spread_scale``: the
                       par spread (units ``bp``, ``percent`` or ``decimal``), flat hazard
                       ``spread / (1 - recovery)``
currency ``CCY`` curve  every ``IR_<CCY>_<tenor>`` column (tenor from the factor metadata or
                       the name): zero rates (continuous compounding, ACT/365F), units
                       ``percent``, ``bp`` or ``decimal``, interpolated linearly in zero rate
                       on tenor years, flat beyond the first and last pillars
``vol_factor``         that column times ``vol_scale`` (units ``vol points`` or ``percent``
                       are divided by 100); or the fixed ``volatility`` of the trade
PV currency ``CCY``    converted to USD by ``FX_<CCY>USD``, else ``1 / FX_USD<CCY>``
=====================  ==================================================================

The PV currency is the equity's / commodity's / spread factor's currency in the market metadata
(a ``currency`` given on the trade must agree), the quote currency of an FX trade, and the
currency of a swap. Times are ACT/365F year fractions from the valuation date.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from imresearch._numba import n_threads
from imresearch._typing import Float64Array, Int64Array
from imresearch.errors import InputError
from imresearch.marketdata.conventions import encode
from imresearch.marketdata.factors import FactorSpec, tenor_to_years
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.trades import (
    CommodityForward,
    CommodityOption,
    CreditDefaultSwap,
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
    FXForward,
    FXOption,
    InterestRateSwap,
    Trade,
    period_months,
)

if TYPE_CHECKING:
    from imresearch.portfolio.portfolio import Portfolio

__all__ = ["BoundPortfolio", "TradeBinding", "bind", "year_fraction"]

DAYS_PER_YEAR = 365.0
"""ACT/365F."""
#: Raw level -> decimal, for rate / spread factors.
RATE_UNITS: dict[str, float] = {"percent": 0.01, "decimal": 1.0, "bp": 1e-4}
#: Raw level -> decimal, for volatility factors.
VOL_UNITS: dict[str, float] = {"vol points": 0.01, "percent": 0.01, "decimal": 1.0}
_CDS_PERIOD_MONTHS = 3


def year_fraction(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """ACT/365F year fraction from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    return (end - start).days / DAYS_PER_YEAR


def schedule(start: pd.Timestamp, end: pd.Timestamp, months: int) -> list[pd.Timestamp]:
    """Period boundaries from ``start`` to ``end``, generated backwards from ``end``.

    Returns ``[start, ..., end]``; the first period is a short stub when the term is not a
    whole number of periods (a stub shorter than 7 days is merged into the next period).
    """
    dates = [end]
    k = 1
    while True:
        d = end - pd.DateOffset(months=months * k)
        if d <= start:
            break
        dates.append(d)
        k += 1
    if (dates[-1] - start).days < 7 and len(dates) > 1:
        dates.pop()
    dates.append(start)
    return dates[::-1]


@dataclass(frozen=True)
class TradeBinding:
    """How one trade is bound to the market.

    Attributes
    ----------
    trade_id : str
    currency : str
        PV currency (converted to USD by ``fx_factor``).
    factors : tuple of str
        Every market factor the trade's PV depends on.
    spot_factor, vol_factor, fx_factor : str or None
        The underlying's price / spread factor, the volatility factor, the PV-currency FX factor.
    curves : tuple of str
        Currencies of the zero curves used.
    maturity_years : float
        Time to expiry / maturity (years, ACT/365F).
    """

    trade_id: str
    currency: str
    factors: tuple[str, ...]
    spot_factor: str | None
    vol_factor: str | None
    fx_factor: str | None
    curves: tuple[str, ...]
    maturity_years: float


@dataclass
class _Builder:
    """Accumulates factor indices and dated rows while trades are bound."""

    market: RiskFactorHistory
    specs: dict[str, FactorSpec]
    names: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    scale: list[float] = field(default_factory=list)
    curves: dict[str, tuple[list[int], np.ndarray, list[str]]] = field(default_factory=dict)
    grid: dict[tuple[int, int, float, float], int] = field(default_factory=dict)
    cf_g: list[int] = field(default_factory=list)
    cf_c: list[float] = field(default_factory=list)
    cf_d: list[int] = field(default_factory=list)

    def factor(self, name: str, unit_scale: float = 1.0) -> int:
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
            self.scale.append(unit_scale)
        return self.index[name]

    def curve(self, trade: Trade, field_name: str, ccy: str) -> str:
        """Register the zero curve of ``ccy``; return the currency."""
        if ccy in self.curves:
            return ccy
        pattern = re.compile(rf"^IR_{ccy}_(\d+(?:\.\d+)?[dwmyDWMY])$")
        pillars = []
        for name, spec in self.specs.items():
            match = pattern.match(name)
            if match is None:
                continue
            tenor = spec.tenor or match.group(1)
            units = RATE_UNITS.get(spec.units)
            if units is None:
                raise InputError(
                    f"trade {trade.trade_id!r}, field {field_name!r}: curve factor {name!r} "
                    f"has units {spec.units!r}; expected one of {', '.join(RATE_UNITS)}"
                )
            pillars.append((tenor_to_years(tenor), name, units, tenor.lower()))
        if not pillars:
            raise InputError(
                f"trade {trade.trade_id!r}, field {field_name!r}: the market "
                f"{self.market.name!r} has no {ccy} zero curve (no IR_{ccy}_<tenor> factors)"
            )
        pillars.sort()
        idx = [self.factor(name, units) for _, name, units, _ in pillars]
        years = np.array([p[0] for p in pillars])
        self.curves[ccy] = (idx, years, [p[3] for p in pillars])
        return ccy

    def dated(self, ccy: str, t: float, coef: float = 0.0) -> None:
        """Append a dated row on the curve of ``ccy`` at time ``t`` (years, ACT/365F)."""
        idx, years, _ = self.curves[ccy]
        if t <= years[0] or len(years) == 1:
            lo, hi, w = idx[0], idx[0], 0.0
        elif t >= years[-1]:
            lo, hi, w = idx[-1], idx[-1], 0.0
        else:
            k = int(np.searchsorted(years, t, side="right")) - 1
            lo, hi = idx[k], idx[k + 1]
            w = (t - years[k]) / (years[k + 1] - years[k])
        key = (lo, hi, w, t)
        if key not in self.grid:
            self.grid[key] = len(self.grid)
        self.cf_g.append(self.grid[key])
        self.cf_c.append(coef)
        self.cf_d.append(round(t * DAYS_PER_YEAR))

    @property
    def n_rows(self) -> int:
        return len(self.cf_g)


@dataclass(frozen=True)
class BoundPortfolio:
    """A portfolio resolved against a market on a valuation date: the kernels' inputs.

    Attributes
    ----------
    trades : tuple of Trade
    portfolio_name : str
    date : pandas.Timestamp
        Valuation date (a date of the market history).
    factor_names : list of str
        Market factors the portfolio depends on, in kernel column order.
    factor_specs : dict of str to FactorSpec
    base_levels : ndarray of shape (n_factors,)
        Raw levels on the valuation date.
    scale : ndarray of shape (n_factors,)
        Raw level -> model unit multipliers (e.g. 0.01 for percent rates).
    ip, fp : ndarray of shape (n_trades, N_IP) / (n_trades, N_FP)
        Integer and float trade parameters.
    g_t, g_lo, g_hi, g_w : ndarray of shape (n_grid,)
        Discount grid (see :mod:`imresearch.portfolio._kernels`).
    cf_g, cf_c, cf_d : ndarray of shape (n_dated,)
        Dated rows of the trades: grid point, coefficient, days.
    bindings : tuple of TradeBinding
        Per trade: currency and factors used.
    curves : dict of str to (list of factor index, tenor years, tenor labels)
        Zero curves used, by currency.
    """

    trades: tuple[Trade, ...]
    portfolio_name: str
    date: pd.Timestamp
    factor_names: list[str]
    factor_specs: dict[str, FactorSpec]
    base_levels: Float64Array
    scale: Float64Array
    ip: Int64Array
    fp: Float64Array
    g_t: Float64Array
    g_lo: Int64Array
    g_hi: Int64Array
    g_w: Float64Array
    cf_g: Int64Array
    cf_c: Float64Array
    cf_d: Int64Array
    bindings: tuple[TradeBinding, ...]
    curves: dict[str, tuple[list[int], Float64Array, list[str]]]

    @property
    def trade_ids(self) -> list[str]:
        """Trade IDs in column order of P&L matrices."""
        return [t.trade_id for t in self.trades]

    @property
    def n_trades(self) -> int:
        return len(self.trades)

    @property
    def n_factors(self) -> int:
        return len(self.factor_names)

    @property
    def base_state(self) -> Float64Array:
        """Base market state in model units, shape (n_factors,)."""
        return np.ascontiguousarray(self.base_levels * self.scale)

    def kernel_args(self) -> tuple[np.ndarray, ...]:
        """``(ip, fp, g_t, g_lo, g_hi, g_w, cf_g, cf_c, cf_d)`` for the kernels."""
        return (self.ip, self.fp, self.g_t, self.g_lo, self.g_hi, self.g_w, self.cf_g,
                self.cf_c, self.cf_d)

    @cached_property
    def _block_by_trade(self) -> tuple[np.ndarray, ...]:
        return block_arrays(self, None)

    def block_args(self, weights: Float64Array | None = None) -> tuple[np.ndarray, ...]:
        """``(oi, of, ti, tc, ci, cf, rg, rc, rd, ru, g_t, g_lo, g_hi, g_w)`` for the block pricer
        (:func:`imresearch.portfolio._kernels.price_block`).

        Without ``weights`` every trade accumulates into its own row (PV per trade); with
        ``weights`` (n_trades,) everything accumulates into row 0, each trade scaled by its
        weight, and the linear terms of equal (spot, grid point, FX) are merged: the
        portfolio PV costs one term per distinct (factor, grid point, FX) combination.
        """
        if weights is None:
            return self._block_by_trade
        return block_arrays(self, np.asarray(weights, dtype=np.float64))

    def pv_state(self, state: Float64Array) -> Float64Array:
        """PV in USD of each trade in a market state of model units, shape (n_trades,)."""
        x = np.ascontiguousarray(state, dtype=np.float64)
        return K.pv_kernel(x, *self.kernel_args())

    def pv_states(self, states: Float64Array) -> Float64Array:
        """PVs in USD, shape (n_states, n_trades), of states of shape (n_states, n_factors)."""
        x = np.ascontiguousarray(states, dtype=np.float64)
        return K.pv_states_kernel(x, *self.kernel_args())

    def pv(self) -> pd.Series:
        """PV in USD of each trade on the valuation date, indexed by trade ID."""
        return pd.Series(self.pv_state(self.base_state), index=pd.Index(self.trade_ids,
                         name="trade_id"), name="pv_usd")

    def conventions(self) -> tuple[Int64Array, Float64Array]:
        """Shock-convention ``(codes, params)`` of the bound factors."""
        return encode([self.factor_specs[f] for f in self.factor_names])

    def _shock_matrix(self, shocks: pd.DataFrame | np.ndarray) -> np.ndarray:
        if isinstance(shocks, pd.DataFrame):
            missing = [f for f in self.factor_names if f not in shocks.columns]
            if missing:
                raise InputError(
                    f"shocks lack factor(s) {missing} that portfolio "
                    f"{self.portfolio_name!r} depends on"
                )
            arr = shocks[self.factor_names].to_numpy(dtype=np.float64)
        else:
            arr = np.asarray(shocks, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.n_factors:
            raise InputError(
                f"shock matrix must have shape (n_scenarios, {self.n_factors}) with columns "
                f"{self.factor_names}; got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise InputError("shock matrix contains NaN or infinite values")
        return np.ascontiguousarray(arr)

    def revalue(self, shocks: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """Full-revaluation P&L in USD under shock scenarios.

        Parameters
        ----------
        shocks : pandas.DataFrame or ndarray of shape (n_scenarios, n_factors)
            Shocks under each factor's convention (e.g. ``horizon_shocks(...).frame``); a
            DataFrame is matched by column name (extra columns are ignored), an array must be in
            :attr:`factor_names` order.

        Returns
        -------
        pandas.DataFrame or ndarray of shape (n_scenarios, n_trades)
            P&L ``PV(shocked) - PV(base)`` per scenario and trade (columns: trade IDs, index:
            the shocks' index); an array if ``shocks`` is one.
        """
        arr = self._shock_matrix(shocks)
        codes, params = self.conventions()
        out = K.reval_block_kernel(np.ascontiguousarray(self.base_levels), arr, codes, params,
                                   np.ascontiguousarray(self.scale), False, self.n_trades,
                                   _chunks(), *self.block_args()).T
        if isinstance(shocks, pd.DataFrame):
            return pd.DataFrame(out, index=shocks.index, columns=pd.Index(self.trade_ids,
                                name="trade_id"), copy=False)
        return out

    def revalue_levels(self, levels: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """P&L in USD when the market moves from the base levels to each row of ``levels``.

        Parameters
        ----------
        levels : pandas.DataFrame or ndarray of shape (n_scenarios, n_factors)
            Raw shocked levels (matched by column name for a DataFrame).

        Returns
        -------
        pandas.DataFrame or ndarray of shape (n_scenarios, n_trades)
        """
        arr = self._shock_matrix(levels)
        codes, params = self.conventions()
        out = K.reval_block_kernel(np.ascontiguousarray(self.base_levels), arr, codes, params,
                                   np.ascontiguousarray(self.scale), True, self.n_trades,
                                   _chunks(), *self.block_args()).T
        if isinstance(levels, pd.DataFrame):
            return pd.DataFrame(out, index=levels.index, columns=pd.Index(self.trade_ids,
                                name="trade_id"), copy=False)
        return out


# ---------------------------------------------------------------------- binding
def _valuation_date(market: RiskFactorHistory, date: object) -> tuple[pd.Timestamp, int]:
    try:
        ts = pd.Timestamp(date).normalize() if date is not None else market.end
    except (TypeError, ValueError):
        raise InputError(f"date must be a date such as '2024-06-28'; got {date!r}") from None
    pos = int(market.dates.searchsorted(ts))
    if pos >= market.n_dates or market.dates[pos] != ts:
        before = market.dates[pos - 1] if pos > 0 else None
        hint = f"; the last market date before it is {before:%Y-%m-%d}" if before else ""
        raise InputError(
            f"date {ts:%Y-%m-%d} is not a date of market {market.name!r} "
            f"({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d}){hint}"
        )
    return ts, pos


def _market_factor(b: _Builder, trade: Trade, field_name: str, name: str) -> str:
    if name not in b.specs:
        raise InputError(
            f"trade {trade.trade_id!r}, field {field_name!r}: market {b.market.name!r} has no "
            f"factor {name!r}"
        )
    return name


def _fx_factor(b: _Builder, trade: Trade, field_name: str, base: str, quote: str
               ) -> tuple[str, int]:
    """Factor giving ``quote`` per ``base``: (name, 0) direct or (name, 1) inverted."""
    direct, inverse = f"FX_{base}{quote}", f"FX_{quote}{base}"
    if direct in b.specs:
        return direct, 0
    if inverse in b.specs:
        return inverse, 1
    raise InputError(
        f"trade {trade.trade_id!r}, field {field_name!r}: market {b.market.name!r} has no FX "
        f"factor {direct!r} or {inverse!r}"
    )


def _currency(b: _Builder, trade: Trade, factor: str) -> str:
    spec_ccy = b.specs[factor].currency
    given = getattr(trade, "currency", None)
    if spec_ccy and given and spec_ccy.upper() != given:
        raise InputError(
            f"trade {trade.trade_id!r}, field 'currency': {given!r} differs from the currency "
            f"{spec_ccy!r} of market factor {factor!r}"
        )
    ccy = given or (spec_ccy.upper() if spec_ccy else None)
    if ccy is None:
        raise InputError(
            f"trade {trade.trade_id!r}, field 'currency': missing, and market factor "
            f"{factor!r} has no currency"
        )
    return ccy


def _time(trade: Trade, field_name: str, date: pd.Timestamp) -> float:
    when: pd.Timestamp = getattr(trade, field_name)
    if when < date:
        raise InputError(
            f"trade {trade.trade_id!r}, field {field_name!r}: {when:%Y-%m-%d} is before the "
            f"valuation date {date:%Y-%m-%d}"
        )
    return year_fraction(date, when)


def _vol(b: _Builder, trade: Trade, ip: np.ndarray, fp: np.ndarray) -> str | None:
    vol_factor = trade.vol_factor  # type: ignore[attr-defined]
    if vol_factor is None:
        fp[K.F_VOL] = trade.volatility  # type: ignore[attr-defined]
        return None
    _market_factor(b, trade, "vol_factor", vol_factor)
    units = VOL_UNITS.get(b.specs[vol_factor].units)
    if units is None:
        raise InputError(
            f"trade {trade.trade_id!r}, field 'vol_factor': factor {vol_factor!r} has units "
            f"{b.specs[vol_factor].units!r}; expected one of {', '.join(VOL_UNITS)}"
        )
    ip[K.I_VOL] = b.factor(vol_factor, units)
    fp[K.F_VOL] = trade.vol_scale  # type: ignore[attr-defined]
    return vol_factor


def _bind_trade(b: _Builder, trade: Trade, date: pd.Timestamp
                ) -> tuple[np.ndarray, np.ndarray, TradeBinding]:
    ip = np.full(K.N_IP, -1, dtype=np.int64)
    ip[K.I_SPOT_INV] = 0
    ip[K.I_FX_INV] = 0
    fp = np.zeros(K.N_FP, dtype=np.float64)
    fp[K.F_SIGN] = trade.sign
    ip[K.I_CF0] = b.n_rows
    spot_factor = vol_factor = None
    curves: list[str] = []
    t_end = 0.0

    if isinstance(trade, (EquityPosition, EquityTRS, EquityForward, EquityOption)):
        spot_factor = _market_factor(b, trade, "factor" if trade.factor else "underlying",
                                     trade.factor or f"EQ_{trade.underlying}")
        ip[K.I_SPOT] = b.factor(spot_factor)
        ccy = _currency(b, trade, spot_factor)
        if isinstance(trade, EquityPosition):
            ip[K.I_KIND] = K.EQ_POSITION
            fp[K.F_AMOUNT] = trade.quantity
        else:
            curve_field = "curve" if trade.curve else "currency"
            curves.append(b.curve(trade, curve_field, trade.curve or ccy))
            if isinstance(trade, EquityTRS):
                ip[K.I_KIND] = K.EQ_TRS
                t_end = _time(trade, "maturity", date)
                tau = year_fraction(trade.start_date, trade.maturity)
                rate = trade.financing_rate + trade.financing_spread_bp * 1e-4
                fp[K.F_AMOUNT] = trade.shares
                fp[K.F_STRIKE] = trade.notional * (1.0 + rate * tau)
            elif isinstance(trade, EquityForward):
                ip[K.I_KIND] = K.EQ_FORWARD
                t_end = _time(trade, "maturity", date)
                fp[K.F_AMOUNT], fp[K.F_STRIKE] = trade.quantity, trade.strike
                fp[K.F_FWD] = np.exp(-trade.dividend_yield * t_end)
            else:
                ip[K.I_KIND] = K.EQ_OPTION
                t_end = _time(trade, "expiry", date)
                fp[K.F_AMOUNT], fp[K.F_STRIKE] = trade.quantity, trade.strike
                fp[K.F_FWD] = np.exp(-trade.dividend_yield * t_end)
                fp[K.F_CALL] = 1.0 if trade.option_type == "call" else -1.0
                vol_factor = _vol(b, trade, ip, fp)
            fp[K.F_T] = t_end
            b.dated(curves[0], t_end)
    elif isinstance(trade, (FXForward, FXOption)):
        spot_factor, inv = _fx_factor(b, trade, "pair", trade.base, trade.quote)
        ip[K.I_SPOT] = b.factor(spot_factor)
        ip[K.I_SPOT_INV] = inv
        ccy = trade.quote
        q_curve = b.curve(trade, "quote_curve" if trade.quote_curve else "pair",
                          trade.quote_curve or trade.quote)
        b_curve = b.curve(trade, "base_curve" if trade.base_curve else "pair",
                          trade.base_curve or trade.base)
        curves += [q_curve, b_curve]
        fp[K.F_AMOUNT], fp[K.F_STRIKE] = trade.notional, trade.strike
        if isinstance(trade, FXForward):
            ip[K.I_KIND] = K.FX_FORWARD
            t_end = _time(trade, "maturity", date)
        else:
            ip[K.I_KIND] = K.FX_OPTION
            t_end = _time(trade, "expiry", date)
            fp[K.F_CALL] = 1.0 if trade.option_type == "call" else -1.0
            vol_factor = _vol(b, trade, ip, fp)
        fp[K.F_T] = t_end
        b.dated(q_curve, t_end)
        b.dated(b_curve, t_end)
    elif isinstance(trade, InterestRateSwap):
        ip[K.I_KIND] = K.IRS
        ccy = trade.currency
        curve = b.curve(trade, "curve" if trade.curve else "currency", trade.curve or ccy)
        curves.append(curve)
        t_end = _time(trade, "maturity", date)
        fp[K.F_AMOUNT], fp[K.F_STRIKE], fp[K.F_T] = trade.notional, trade.fixed_rate, t_end
        for t, coef in irs_cashflows(trade, date):
            b.dated(curve, t, coef)
    elif isinstance(trade, CreditDefaultSwap):
        ip[K.I_KIND] = K.CDS
        field_name = "spread_factor" if trade.spread_factor else "reference"
        spot_factor = _market_factor(b, trade, field_name,
                                     trade.spread_factor or f"CR_{trade.reference}")
        units = RATE_UNITS.get(b.specs[spot_factor].units)
        if units is None:
            raise InputError(
                f"trade {trade.trade_id!r}, field {field_name!r}: spread factor "
                f"{spot_factor!r} has units {b.specs[spot_factor].units!r}; expected one of "
                f"{', '.join(RATE_UNITS)}"
            )
        ip[K.I_SPOT] = b.factor(spot_factor, units)
        ccy = _currency(b, trade, spot_factor)
        curve = b.curve(trade, "curve" if trade.curve else "currency", trade.curve or ccy)
        curves.append(curve)
        t_end = _time(trade, "maturity", date)
        fp[K.F_AMOUNT], fp[K.F_T] = trade.notional, t_end
        fp[K.F_REC], fp[K.F_COUPON] = trade.recovery, trade.coupon_bp * 1e-4
        fp[K.F_SCALE] = trade.spread_scale
        for t, tau in cds_periods(trade, date):
            b.dated(curve, t, tau)
    elif isinstance(trade, (CommodityForward, CommodityOption)):
        spot_factor = _market_factor(b, trade, "factor" if trade.factor else "underlying",
                                     trade.factor or f"CMD_{trade.underlying}")
        ip[K.I_SPOT] = b.factor(spot_factor)
        ccy = _currency(b, trade, spot_factor)
        curves.append(b.curve(trade, "curve" if trade.curve else "currency",
                              trade.curve or ccy))
        fp[K.F_AMOUNT], fp[K.F_STRIKE] = trade.quantity, trade.strike
        if isinstance(trade, CommodityForward):
            ip[K.I_KIND] = K.CMD_FORWARD
            t_end = _time(trade, "maturity", date)
        else:
            ip[K.I_KIND] = K.CMD_OPTION
            t_end = _time(trade, "expiry", date)
            fp[K.F_CALL] = 1.0 if trade.option_type == "call" else -1.0
            vol_factor = _vol(b, trade, ip, fp)
        fp[K.F_T] = t_end
        fp[K.F_FWD] = np.exp(trade.carry * t_end)
        b.dated(curves[0], t_end)
    else:  # pragma: no cover - every trade class is handled above
        raise InputError(f"trade {trade.trade_id!r}, field 'type': cannot be priced")

    fp[K.F_SQRT_T] = np.sqrt(max(t_end, 0.0))
    fx_factor = None
    if ccy != "USD":
        fx_factor, inv = _fx_factor(b, trade, "currency", ccy, "USD")
        ip[K.I_FX] = b.factor(fx_factor)
        ip[K.I_FX_INV] = inv
    ip[K.I_NCF] = b.n_rows - ip[K.I_CF0]
    used = {b.names[i] for i in (ip[K.I_SPOT], ip[K.I_VOL], ip[K.I_FX]) if i >= 0}
    for c in curves:
        used.update(b.names[i] for i in b.curves[c][0])
    binding = TradeBinding(
        trade.trade_id, ccy, tuple(f for f in b.names if f in used), spot_factor, vol_factor,
        fx_factor, tuple(dict.fromkeys(curves)), t_end,
    )
    return ip, fp, binding


def irs_cashflows(trade: InterestRateSwap, date: pd.Timestamp) -> list[tuple[float, float]]:
    """Dated coefficients ``(t, c)`` of a payer swap: its PV is ``sign sum c DF(t)``.

    Single curve. Fixed coupons ``-N K tau`` at each future fixed payment date; the float leg
    ``+N`` at the start of the first future float period and ``-N`` at maturity, plus
    the spread ``N s tau`` at each future float payment date; the float period in progress
    pays ``N (last_fixing + s) tau`` if ``last_fixing`` is given (else it is projected from
    the valuation date: ``+N`` at t = 0). Payments on or before the valuation date are
    past. Coefficients on the same date are summed.
    """
    sign, n = 1.0, trade.notional
    spread = trade.float_spread_bp * 1e-4
    flows: dict[pd.Timestamp, float] = {}

    def add(d: pd.Timestamp, c: float) -> None:
        flows[d] = flows.get(d, 0.0) + c

    fixed = schedule(trade.start_date, trade.maturity,
                     period_months(trade.trade_id, "fixed_period", trade.fixed_period))
    for a, e in itertools.pairwise(fixed):
        if e > date:
            add(e, -sign * n * trade.fixed_rate * year_fraction(a, e))
    flt = schedule(trade.start_date, trade.maturity,
                   period_months(trade.trade_id, "float_period", trade.float_period))
    future = [(a, e) for a, e in itertools.pairwise(flt) if e > date]
    if future:
        a0, e0 = future[0]
        if a0 < date and trade.last_fixing is not None:  # known coupon in progress
            add(e0, sign * n * (trade.last_fixing + spread) * year_fraction(a0, e0))
            float_start = e0
            future = future[1:]
        else:
            float_start = max(a0, date)
        add(float_start, sign * n)
        add(trade.maturity, -sign * n)
        for a, e in future:
            add(e, sign * n * spread * year_fraction(a, e))
    # Flows with t >= 0 only; the t = 0 row is a DF of exactly 1.
    return [(year_fraction(date, d), c) for d, c in sorted(flows.items()) if c != 0.0]


def cds_periods(trade: CreditDefaultSwap, date: pd.Timestamp) -> list[tuple[float, float]]:
    """Quarterly premium periods ``(t_end, accrual)`` from the valuation date to maturity."""
    dates = schedule(date, trade.maturity, _CDS_PERIOD_MONTHS)
    return [(year_fraction(date, e), year_fraction(a, e)) for a, e in itertools.pairwise(dates)
            if e > a]


def bind(portfolio: Portfolio | Sequence[Trade], market: RiskFactorHistory,
         date: object = None, *, name: str | None = None) -> BoundPortfolio:
    """Resolve every trade of a portfolio against a market on a valuation date.

    Parameters
    ----------
    portfolio : Portfolio or sequence of Trade
        The trades.
    market : RiskFactorHistory
        Levels and metadata of the market factors.
    date : date-like, optional
        Valuation date; must be a date of ``market``. Default: the last date.
    name : str, optional
        Portfolio name (default the portfolio's).

    Returns
    -------
    BoundPortfolio

    Raises
    ------
    InputError
        A factor, curve or FX rate missing from the market, an expiry or maturity before the
        valuation date, factor units that cannot be converted: naming the trade and the field.
    """
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    trades = tuple(getattr(portfolio, "trades", portfolio))
    if not trades:
        raise InputError("the portfolio has no trades")
    ts, row = _valuation_date(market, date)
    b = _Builder(market, market.factors)
    ips, fps, bindings = [], [], []
    for trade in trades:
        ip, fp, binding = _bind_trade(b, trade, ts)
        ips.append(ip)
        fps.append(fp)
        bindings.append(binding)
    col = {f: i for i, f in enumerate(market.factor_names)}
    base = np.array([market.values[row, col[f]] for f in b.names], dtype=np.float64)
    return BoundPortfolio(
        trades=trades,
        portfolio_name=name or getattr(portfolio, "name", "portfolio"),
        date=ts,
        factor_names=list(b.names),
        factor_specs={f: b.specs[f] for f in b.names},
        base_levels=base,
        scale=np.array(b.scale, dtype=np.float64),
        ip=np.ascontiguousarray(np.vstack(ips)),
        fp=np.ascontiguousarray(np.vstack(fps)),
        g_t=np.array([k[3] for k in b.grid], dtype=np.float64),
        g_lo=np.array([k[0] for k in b.grid], dtype=np.int64),
        g_hi=np.array([k[1] for k in b.grid], dtype=np.int64),
        g_w=np.array([k[2] for k in b.grid], dtype=np.float64),
        cf_g=np.array(b.cf_g, dtype=np.int64),
        cf_c=np.array(b.cf_c, dtype=np.float64),
        cf_d=np.array(b.cf_d, dtype=np.int64),
        bindings=tuple(bindings),
        curves=dict(b.curves),
    )


def _chunks() -> int:
    """Runs of scenario blocks for the parallel block kernels: a few per thread."""
    return 4 * n_threads()


def block_arrays(bp: BoundPortfolio, weights: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """The block pricer's arrays of a bound portfolio (see :meth:`BoundPortfolio.block_args`).

    Rows of the state block: factor ``f``, ``n_f + f`` its inverse, ``2 n_f`` ones; grid rows:
    ``g``, and ``n_grid`` for "no discount factor".
    """
    ip, fp = bp.ip, bp.fp
    n_f, n_g = bp.n_factors, len(bp.g_t)
    one, nodf = 2 * n_f, n_g
    total = weights is not None

    def srow(a: int, inv: int) -> int:
        return one if a < 0 else int(a) + n_f * int(inv)

    terms: dict[tuple[int, int, int, int], float] = {}
    opts_i, opts_f, cds_i, cds_f = [], [], [], []
    rg: list[int] = []
    rc: list[tuple[float, float]] = []
    rd: list[float] = []
    ru: list[int] = []
    for j in range(ip.shape[0]):
        w = 1.0 if weights is None else float(weights[j])
        if w == 0.0:
            continue
        row = 0 if total else j
        kind = int(ip[j, K.I_KIND])
        sp = srow(ip[j, K.I_SPOT], ip[j, K.I_SPOT_INV])
        fx = srow(ip[j, K.I_FX], ip[j, K.I_FX_INV])
        k0, n_cf = int(ip[j, K.I_CF0]), int(ip[j, K.I_NCF])
        g = [int(v) for v in bp.cf_g[k0:k0 + n_cf]]
        amount, strike, sign = fp[j, K.F_AMOUNT], fp[j, K.F_STRIKE], fp[j, K.F_SIGN]
        amt = amount * sign * w

        def add(s: int, gg: int, c: float, row: int = row, fx: int = fx) -> None:
            key = (row, s, gg, fx)
            terms[key] = terms.get(key, 0.0) + c

        if kind == K.EQ_POSITION:
            add(sp, nodf, amt)
        elif kind == K.EQ_TRS:
            add(sp, nodf, amt)
            add(one, g[0], -strike * sign * w)
        elif kind == K.EQ_FORWARD:
            add(sp, nodf, amt * fp[j, K.F_FWD])
            add(one, g[0], -amt * strike)
        elif kind == K.FX_FORWARD:
            add(sp, g[1], amt)
            add(one, g[0], -amt * strike)
        elif kind == K.CMD_FORWARD:
            add(sp, g[0], amt * fp[j, K.F_FWD])
            add(one, g[0], -amt * strike)
        elif kind == K.IRS:
            for gg, c in zip(g, bp.cf_c[k0:k0 + n_cf], strict=True):
                add(one, gg, float(c) * sign * w)
        elif kind == K.CDS:
            rec = fp[j, K.F_REC]
            cds_i.append([sp, fx, len(rg), len(rg) + n_cf, row])
            cds_f.append([fp[j, K.F_SCALE] / (1.0 - rec) / DAYS_PER_YEAR, 1.0 - rec,
                          fp[j, K.F_COUPON], amt])
            first: dict[int, int] = {}
            prev = 0
            for d in bp.cf_d[k0:k0 + n_cf]:
                gap = int(d) - prev
                prev = int(d)
                ru.append(first.setdefault(gap, len(rd)))
                rd.append(float(gap))
            rg.extend(g)
            half = 0.5 * fp[j, K.F_COUPON]
            rc.extend((1.0 - rec - half * float(c), 1.0 - rec + half * float(c))
                      for c in bp.cf_c[k0:k0 + n_cf])
        else:  # options
            if kind == K.EQ_OPTION:
                gn, gd, fc = nodf, g[0], fp[j, K.F_FWD]
            elif kind == K.FX_OPTION:
                gn, gd, fc = g[1], g[0], 1.0
            else:
                gn, gd, fc = nodf, nodf, fp[j, K.F_FWD]
            vr = one if ip[j, K.I_VOL] < 0 else int(ip[j, K.I_VOL])
            with np.errstate(divide="ignore", invalid="ignore"):
                lc = np.log(fc) - np.log(strike)
            opts_i.append([sp, vr, gn, gd, g[0], fx, row])
            opts_f.append([fc, lc, strike, fp[j, K.F_CALL], fp[j, K.F_VOL], fp[j, K.F_SQRT_T],
                           amt])
    order = sorted(range(len(opts_i)), key=lambda i: opts_i[i][0])  # by spot row
    opts_i = [opts_i[i] for i in order]
    opts_f = [opts_f[i] for i in order]
    keys = sorted(terms)
    ti = np.array(keys, dtype=np.int64).reshape(-1, 4)
    tc = np.array([terms[k] for k in keys], dtype=np.float64)
    if total:  # drop exact cancellations
        keep = tc != 0.0
        ti, tc = ti[keep], tc[keep]
    return (
        np.array(opts_i, dtype=np.int64).reshape(-1, 7),
        np.array(opts_f, dtype=np.float64).reshape(-1, 7),
        np.ascontiguousarray(ti), np.ascontiguousarray(tc),
        np.array(cds_i, dtype=np.int64).reshape(-1, 5),
        np.array(cds_f, dtype=np.float64).reshape(-1, 4),
        np.array(rg, dtype=np.int64), np.array(rc, dtype=np.float64).reshape(-1, 2),
        np.array(rd, dtype=np.float64), np.array(ru, dtype=np.int64),
        bp.g_t, bp.g_lo, bp.g_hi, bp.g_w,
    )
