"""Market binding: resolve each trade once against a risk-factor history.

Binding turns a portfolio and a market (a :class:`~imresearch.marketdata.RiskFactorHistory`) on a
valuation date into the arrays the pricing kernels read (:mod:`imresearch.portfolio._kernels`),
and records which factor columns each trade depends on. Each product binds itself
(:meth:`imresearch.portfolio.trades.Trade.bind`) through the methods of a :class:`Binder`;
everything that can go wrong with a trade against a market goes wrong there, as an
:class:`~imresearch.errors.InputError` naming the trade and the field.

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

import functools
import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.marketdata.factors import tenor_to_years
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.bound import BoundPortfolio, TradeBinding
from imresearch.portfolio.trades import Trade

if TYPE_CHECKING:
    from imresearch.portfolio.portfolio import Portfolio

__all__ = ["Binder", "Term", "bind", "schedule", "year_fraction"]

DAYS_PER_YEAR = 365.0
"""ACT/365F."""
#: Raw level -> decimal, for rate / spread factors.
RATE_UNITS: dict[str, float] = {"percent": 0.01, "decimal": 1.0, "bp": 1e-4}
#: Raw level -> decimal, for volatility factors.
VOL_UNITS: dict[str, float] = {"vol points": 0.01, "percent": 0.01, "decimal": 1.0}

Term = tuple[float, bool, "str | None", float]
"""A term of a linear trade: ``(coefficient, times the spot?, curve currency or None, t)``."""


def year_fraction(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """ACT/365F year fraction from ``start`` to ``end`` (negative if ``end`` is earlier)."""
    try:  # whole days of the difference, as Timedelta.days counts them (floored)
        days = (end.value - start.value) // _NS_PER_DAY
    except AttributeError:  # not Timestamps
        days = (end - start).days
    return days / DAYS_PER_YEAR


_NS_PER_DAY = 86_400_000_000_000


def schedule(start: pd.Timestamp, end: pd.Timestamp, months: int) -> list[pd.Timestamp]:
    """Period boundaries from ``start`` to ``end``, generated backwards from ``end``.

    Returns ``[start, ..., end]``; the first period is a short stub when the term is not a
    whole number of periods (a stub shorter than 7 days is merged into the next period).
    Memoised: a book bound on many dates (ageing, backtests) builds each schedule once.
    """
    return list(_schedule(pd.Timestamp(start), pd.Timestamp(end), int(months)))


@functools.lru_cache(maxsize=65_536)
def _schedule(start: pd.Timestamp, end: pd.Timestamp, months: int) -> tuple[pd.Timestamp, ...]:
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
    return tuple(dates[::-1])


class Binder:
    """Resolves trades against a market, one at a time, into the kernels' arrays.

    A product's :meth:`~imresearch.portfolio.trades.Trade.bind` calls, in this order: the
    factor methods (:meth:`spot`, :meth:`fx_spot`, :meth:`curve`, :meth:`time`...), sets
    :attr:`pv_currency`, and records its payoff with exactly one of :meth:`linear`,
    :meth:`black` or :meth:`cds`. Errors name the trade being bound and the field given.

    Attributes
    ----------
    market : RiskFactorHistory
    date : pandas.Timestamp
        Valuation date.
    trade : Trade
        The trade being bound.
    pv_currency : str or None
        Currency of the trade's PV (converted to USD by the FX factor of that currency).
    """

    def __init__(self, market: RiskFactorHistory, date: pd.Timestamp) -> None:
        self.market = market
        self.specs = market.factors
        self.date = date
        self.names: list[str] = []
        self.index: dict[str, int] = {}
        self.scale: list[float] = []
        self.curves: dict[str, tuple[list[int], np.ndarray, list[str]]] = {}
        self.grid: dict[tuple[int, int, float, float], int] = {}
        self.cf_g: list[int] = []
        self.cf_s: list[int] = []
        self.cf_c: list[float] = []
        self.cf_d: list[int] = []

    # ------------------------------------------------------------------ per trade
    def start(self, trade: Trade) -> None:
        """Begin binding ``trade``."""
        self.trade = trade
        self.ip = np.full(K.N_IP, -1, dtype=np.int64)
        self.ip[K.I_SPOT_INV] = 0
        self.ip[K.I_FX_INV] = 0
        self.ip[K.I_CF0] = len(self.cf_g)
        self.fp = np.zeros(K.N_FP, dtype=np.float64)
        self.fp[K.F_SIGN] = trade.sign
        self.pv_currency: str | None = None
        self.spot_factor: str | None = None
        self.vol_factor: str | None = None
        self.trade_curves: list[str] = []

    def finish(self) -> tuple[np.ndarray, np.ndarray, TradeBinding]:
        """End binding the current trade: its kernel rows and its :class:`TradeBinding`."""
        trade, ip = self.trade, self.ip
        if self.pv_currency is None or ip[K.I_KIND] < 0:  # pragma: no cover - product bug
            raise RuntimeError(f"{type(trade).__name__}.bind() set no PV currency or no payoff")
        fx_factor = None
        if self.pv_currency != "USD":
            fx_factor, inv = self._fx_name("currency", self.pv_currency, "USD")
            ip[K.I_FX] = self._register(fx_factor)
            ip[K.I_FX_INV] = inv
        ip[K.I_NCF] = len(self.cf_g) - ip[K.I_CF0]
        used = {self.names[i] for i in (ip[K.I_SPOT], ip[K.I_VOL], ip[K.I_FX]) if i >= 0}
        for c in self.trade_curves:
            used.update(self.names[i] for i in self.curves[c][0])
        end = trade.end_date
        binding = TradeBinding(
            trade.trade_id, self.pv_currency, tuple(f for f in self.names if f in used),
            self.spot_factor, self.vol_factor, fx_factor, tuple(dict.fromkeys(self.trade_curves)),
            0.0 if end is None else year_fraction(self.date, end),
        )
        return ip, self.fp, binding

    def _fail(self, field_name: str, message: str) -> InputError:
        return InputError(f"trade {self.trade.trade_id!r}, field {field_name!r}: {message}")

    def _register(self, name: str, unit_scale: float = 1.0) -> int:
        if name not in self.index:
            self.index[name] = len(self.names)
            self.names.append(name)
            self.scale.append(unit_scale)
        return self.index[name]

    def _units(self, field_name: str, name: str, table: dict[str, float], what: str) -> float:
        units = table.get(self.specs[name].units)
        if units is None:
            raise self._fail(field_name, f"{what} {name!r} has units {self.specs[name].units!r}; "
                             f"expected one of {', '.join(table)}")
        return units

    # ------------------------------------------------------------------ market factors
    def factor(self, field_name: str, name: str) -> str:
        """Check that the market has factor ``name`` (given by ``field_name``); return it."""
        if name not in self.specs:
            raise self._fail(field_name, f"market {self.market.name!r} has no factor {name!r}")
        return name

    def spot(self, field_name: str, name: str, *, rate: bool = False) -> str:
        """Make factor ``name`` the trade's spot (a price, or a spread when ``rate``: converted
        from its units to a decimal)."""
        self.factor(field_name, name)
        units = self._units(field_name, name, RATE_UNITS, "spread factor") if rate else 1.0
        self.ip[K.I_SPOT] = self._register(name, units)
        self.spot_factor = name
        return name

    def _fx_name(self, field_name: str, base: str, quote: str) -> tuple[str, int]:
        direct, inverse = f"FX_{base}{quote}", f"FX_{quote}{base}"
        if direct in self.specs:
            return direct, 0
        if inverse in self.specs:
            return inverse, 1
        raise self._fail(field_name, f"market {self.market.name!r} has no FX factor {direct!r} "
                         f"or {inverse!r}")

    def fx_spot(self, field_name: str, base: str, quote: str) -> str:
        """Make the FX rate ``quote`` per ``base`` the trade's spot (``FX_<base><quote>``, or
        the inverse of ``FX_<quote><base>``)."""
        name, inv = self._fx_name(field_name, base, quote)
        self.ip[K.I_SPOT] = self._register(name)
        self.ip[K.I_SPOT_INV] = inv
        self.spot_factor = name
        return name

    def currency_of(self, factor: str) -> str:
        """PV currency of a trade on ``factor``: the factor's currency, which a ``currency``
        field on the trade must agree with (or supply when the factor has none)."""
        spec_ccy = self.specs[factor].currency
        given = getattr(self.trade, "currency", None)
        if spec_ccy and given and spec_ccy.upper() != given:
            raise self._fail("currency", f"{given!r} differs from the currency {spec_ccy!r} of "
                             f"market factor {factor!r}")
        ccy = given or (spec_ccy.upper() if spec_ccy else None)
        if ccy is None:
            raise self._fail("currency", f"missing, and market factor {factor!r} has no "
                             "currency")
        return ccy

    def curve(self, field_name: str, ccy: str) -> str:
        """Use the zero curve of ``ccy`` (every ``IR_<ccy>_<tenor>`` factor); return ``ccy``."""
        self.trade_curves.append(ccy)
        if ccy in self.curves:
            return ccy
        pattern = re.compile(rf"^IR_{ccy}_(\d+(?:\.\d+)?[dwmyDWMY])$")
        pillars = []
        for name, spec in self.specs.items():
            match = pattern.match(name)
            if match is None:
                continue
            tenor = spec.tenor or match.group(1)
            units = self._units(field_name, name, RATE_UNITS, "curve factor")
            pillars.append((tenor_to_years(tenor), name, units, tenor.lower()))
        if not pillars:
            raise self._fail(field_name, f"the market {self.market.name!r} has no {ccy} zero "
                             f"curve (no IR_{ccy}_<tenor> factors)")
        pillars.sort()
        idx = [self._register(name, units) for _, name, units, _ in pillars]
        self.curves[ccy] = (idx, np.array([p[0] for p in pillars]), [p[3] for p in pillars])
        return ccy

    def time(self, field_name: str) -> float:
        """Years (ACT/365F) from the valuation date to the trade's date field ``field_name``,
        which must not be before the valuation date."""
        when: pd.Timestamp = getattr(self.trade, field_name)
        if when < self.date:
            raise self._fail(field_name, f"{when:%Y-%m-%d} is before the valuation date "
                             f"{self.date:%Y-%m-%d}")
        return year_fraction(self.date, when)

    def _volatility(self, volatility: float | None, vol_factor: str | None,
                    vol_scale: float) -> None:
        if vol_factor is None:
            self.fp[K.F_VOL] = volatility
            return
        self.factor("vol_factor", vol_factor)
        units = self._units("vol_factor", vol_factor, VOL_UNITS, "factor")
        self.ip[K.I_VOL] = self._register(vol_factor, units)
        self.fp[K.F_VOL] = vol_scale
        self.vol_factor = vol_factor

    # ------------------------------------------------------------------ dated rows
    def _grid(self, ccy: str | None, t: float) -> int:
        """Grid point of the discount factor of curve ``ccy`` at time ``t`` (-1: none)."""
        if ccy is None:
            return -1
        idx, years, _ = self.curves[ccy]
        if t <= years[0] or len(years) == 1:
            lo, hi, w = idx[0], idx[0], 0.0
        elif t >= years[-1]:
            lo, hi, w = idx[-1], idx[-1], 0.0
        else:
            k = int(np.searchsorted(years, t, side="right")) - 1
            lo, hi = idx[k], idx[k + 1]
            w = (t - years[k]) / (years[k + 1] - years[k])
        return self.grid.setdefault((lo, hi, w, t), len(self.grid))

    def _row(self, g: int, spot: bool, coef: float, t: float) -> None:
        self.cf_g.append(g)
        self.cf_s.append(1 if spot else 0)
        self.cf_c.append(coef)
        self.cf_d.append(round(t * DAYS_PER_YEAR))

    # ------------------------------------------------------------------ payoffs
    def linear(self, amount: float, terms: Sequence[Term]) -> None:
        """Linear payoff ``amount * sum c S^e DF(t)`` (times the trade's sign and FX).

        ``terms`` are ``(c, e, curve, t)``: coefficient, whether it multiplies the spot, the
        currency of the discount curve (None: not discounted) and the time in years.
        """
        self.ip[K.I_KIND] = K.LINEAR
        self.fp[K.F_AMOUNT] = amount
        for coef, spot, ccy, t in terms:
            self._row(self._grid(ccy, t), spot, coef, t)

    def black(self, amount: float, *, strike: float, call: bool, t: float, forward: float,
              pay: str, volatility: float | None, vol_factor: str | None,
              vol_scale: float = 1.0, num: str | None = None, den: str | None = None) -> None:
        """European option on ``F = S forward DF_num(t) / DF_den(t)`` paid at ``t`` with
        ``DF_pay(t)`` (curves by currency; None: no factor), Black's formula with the fixed
        ``volatility`` or ``vol_scale`` times factor ``vol_factor``."""
        self.ip[K.I_KIND] = K.BLACK
        self._volatility(volatility, vol_factor, vol_scale)
        self.ip[K.I_GP] = self._grid(pay, t)
        self.ip[K.I_GD] = self._grid(den, t)
        self.ip[K.I_GN] = self._grid(num, t)
        self.fp[K.F_AMOUNT] = amount
        self.fp[K.F_STRIKE] = strike
        self.fp[K.F_FWD] = forward
        self.fp[K.F_CALL] = 1.0 if call else -1.0
        self.fp[K.F_SQRT_T] = math.sqrt(max(t, 0.0))

    def cds(self, amount: float, *, recovery: float, coupon: float, scale: float, curve: str,
            periods: Sequence[tuple[float, float]]) -> None:
        """Flat-hazard CDS on the trade's spread spot times ``scale``: premium ``coupon``
        (decimal) on ``periods`` ``(t_end, accrual)``, protection ``1 - recovery``."""
        self.ip[K.I_KIND] = K.CDS
        self.fp[K.F_AMOUNT] = amount
        self.fp[K.F_REC] = recovery
        self.fp[K.F_COUPON] = coupon
        self.fp[K.F_SCALE] = scale
        for t, tau in periods:
            self._row(self._grid(curve, t), False, tau, t)


# ---------------------------------------------------------------------- bind
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
        valuation date, factor units that cannot be converted: naming the trade and the field
        (and the file and line it was read from, for a portfolio read from a file).
    """
    if not isinstance(market, RiskFactorHistory):
        raise InputError(f"market must be a RiskFactorHistory; got {type(market).__name__}")
    trades = tuple(getattr(portfolio, "trades", portfolio))
    if not trades:
        raise InputError("the portfolio has no trades")
    ts, row = _valuation_date(market, date)
    origins = getattr(portfolio, "origins", {})
    b = Binder(market, ts)
    ips, fps, bindings = [], [], []
    for trade in trades:
        if not isinstance(trade, Trade):
            raise InputError(f"not a trade: {trade!r}")
        b.start(trade)
        try:
            trade.bind(b)
            ip, fp, binding = b.finish()
        except InputError as exc:
            if trade.trade_id not in origins:
                raise
            raise InputError(f"{origins[trade.trade_id]}: {exc}") from None
        ips.append(ip)
        fps.append(fp)
        bindings.append(binding)
    col = {f: i for i, f in enumerate(market.factor_names)}
    base = np.array([market.values[row, col[f]] for f in b.names], dtype=np.float64)
    n_grid = len(b.grid)
    ip = np.vstack(ips)
    gcols = ip[:, [K.I_GN, K.I_GD, K.I_GP]]
    ip[:, [K.I_GN, K.I_GD, K.I_GP]] = np.where(gcols < 0, n_grid, gcols)  # no DF: row n_grid
    cf_g = np.array(b.cf_g, dtype=np.int64)
    cf_g[cf_g < 0] = n_grid
    keys = list(b.grid)
    arrays = K.TradeArrays(
        ip=np.ascontiguousarray(ip),
        fp=np.ascontiguousarray(np.vstack(fps)),
        g_t=np.array([k[3] for k in keys], dtype=np.float64),
        g_lo=np.array([k[0] for k in keys], dtype=np.int64),
        g_hi=np.array([k[1] for k in keys], dtype=np.int64),
        g_w=np.array([k[2] for k in keys], dtype=np.float64),
        cf_g=cf_g,
        cf_s=np.array(b.cf_s, dtype=np.int64),
        cf_c=np.array(b.cf_c, dtype=np.float64),
        cf_d=np.array(b.cf_d, dtype=np.int64),
    )
    return BoundPortfolio(
        trades=trades,
        portfolio_name=name or getattr(portfolio, "name", "portfolio"),
        date=ts,
        factor_names=list(b.names),
        factor_specs={f: b.specs[f] for f in b.names},
        base_levels=base,
        scale=np.array(b.scale, dtype=np.float64),
        arrays=arrays,
        bindings=tuple(bindings),
        curves=dict(b.curves),
        origins=dict(origins),
    )
