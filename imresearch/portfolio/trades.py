"""Trades: one frozen dataclass per product, validated on construction.

Every trade has a ``trade_id`` and the reference fields ``counterparty``, ``netting_set`` and
``prime_broker`` (all optional text), which the margin engines use to slice a portfolio (per
netting set, per prime broker...). Amounts are positive; the side is given by ``direction``:

==================  ===============================  ==========================================
type                class                            direction (first value: sign +1)
==================  ===============================  ==========================================
equity_position     :class:`EquityPosition`          long / short
equity_trs          :class:`EquityTRS`               long / short (long = total-return receiver)
equity_forward      :class:`EquityForward`           long / short (long = buyer)
equity_option       :class:`EquityOption`            long / short (long = option holder)
fx_forward          :class:`FXForward`               long / short (long = buys the base currency)
fx_option           :class:`FXOption`                long / short
irs                 :class:`InterestRateSwap`        payer / receiver (of the fixed rate)
cds                 :class:`CreditDefaultSwap`       buy / sell (protection)
commodity_forward   :class:`CommodityForward`        long / short
commodity_option    :class:`CommodityOption`         long / short
==================  ===============================  ==========================================

Units of trade fields: rates and yields are decimals (``0.045`` for 4.5%), spreads and CDS
coupons in basis points (fields ending in ``_bp``), volatilities are decimals (``0.2``), dates
are ISO dates. ``buy``/``sell`` are accepted as synonyms of ``long``/``short`` (except for CDS,
where they mean protection bought / sold, and IRS, which take ``payer``/``receiver``).

How each trade maps to market factors is the business of :mod:`imresearch.portfolio.binding`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from imresearch.errors import InputError

__all__ = [
    "TRADE_TYPES",
    "CommodityForward",
    "CommodityOption",
    "CreditDefaultSwap",
    "EquityForward",
    "EquityOption",
    "EquityPosition",
    "EquityTRS",
    "FXForward",
    "FXOption",
    "InterestRateSwap",
    "Trade",
    "trade_from_record",
]

_CCY = re.compile(r"^[A-Z]{3}$")
_PERIOD = re.compile(r"^(\d+)([my])$")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n", ""}


def _fail(trade_id: object, name: str, message: str) -> InputError:
    return InputError(f"trade {trade_id!r}, field {name!r}: {message}")


def period_months(trade_id: str, name: str, value: str) -> int:
    """Months of a coupon period label such as ``"3m"``, ``"6m"`` or ``"1y"``."""
    match = _PERIOD.match(str(value).strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise _fail(trade_id, name, f"period must look like '3m', '6m' or '1y'; got {value!r}")
    n = int(match.group(1))
    return n * 12 if match.group(2) == "y" else n


@dataclass(frozen=True, kw_only=True)
class Trade:
    """Fields shared by every trade.

    Parameters
    ----------
    trade_id : str
        Unique identifier within a portfolio (CRIF ``TradeID``).
    counterparty : str
        Counterparty name. Default ``""``.
    netting_set : str
        Netting set (CRIF ``PortfolioID``); default ``""`` means the portfolio's name.
    prime_broker : str
        Prime broker carrying the trade (for prime-brokerage books). Default ``""``.
    """

    TYPE: ClassVar[str] = ""
    DIRECTIONS: ClassVar[tuple[str, str]] = ("long", "short")
    SYNONYMS: ClassVar[Mapping[str, str]] = {"buy": "long", "sell": "short"}
    POSITIVE: ClassVar[tuple[str, ...]] = ()

    trade_id: str
    counterparty: str = ""
    netting_set: str = ""
    prime_broker: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.trade_id, str) or not self.trade_id.strip():
            raise InputError(f"trade_id must be a non-empty string; got {self.trade_id!r}")
        for f in dataclasses.fields(self):
            if f.name == "trade_id":
                continue
            value = _convert(self.trade_id, f.name, str(f.type), getattr(self, f.name))
            if value is _MISSING:
                if f.default is dataclasses.MISSING:
                    raise _fail(self.trade_id, f.name, "missing")
                value = f.default
            object.__setattr__(self, f.name, value)
            if f.name == "direction":
                text = str(value).strip().lower()
                text = self.SYNONYMS.get(text, text)
                if text not in self.DIRECTIONS:
                    raise _fail(self.trade_id, "direction",
                                f"must be one of {', '.join(self.DIRECTIONS)}; got {value!r}")
                object.__setattr__(self, "direction", text)
            elif isinstance(value, float) and not math.isfinite(value):
                raise _fail(self.trade_id, f.name, f"must be a finite number; got {value!r}")
        for name in self.POSITIVE:
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise _fail(self.trade_id, name, f"must be > 0; got {value!r}")
        for name in ("currency", "curve", "base_curve", "quote_curve"):
            value = getattr(self, name, None)
            if value is not None and not _CCY.match(value):
                raise _fail(self.trade_id, name, f"must be an ISO currency code; got {value!r}")
        if hasattr(self, "option_type") and self.option_type not in ("call", "put"):
            raise _fail(self.trade_id, "option_type", f"must be 'call' or 'put'; got "
                        f"{self.option_type!r}")
        if hasattr(self, "vol_factor"):
            if self.volatility is None and self.vol_factor is None:
                raise _fail(self.trade_id, "volatility",
                            "give a fixed 'volatility' or a market 'vol_factor'")
            if self.volatility is not None and self.vol_factor is not None:
                raise _fail(self.trade_id, "vol_factor",
                            "give either 'volatility' or 'vol_factor', not both")

    @property
    def sign(self) -> float:
        """+1 for the first direction (long, payer, protection buyer), -1 otherwise."""
        return 1.0 if getattr(self, "direction", self.DIRECTIONS[0]) == self.DIRECTIONS[0] else -1.0

    def to_record(self) -> dict[str, Any]:
        """The trade as a flat dict (``type`` first), the inverse of :func:`trade_from_record`."""
        out: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.Timestamp):
                value = value.strftime("%Y-%m-%d")
            out[f.name] = value
        return out


# ---------------------------------------------------------------------- equity
@dataclass(frozen=True, kw_only=True)
class _EquityBase(Trade):
    """Common fields of equity trades.

    Parameters
    ----------
    underlying : str
        Equity name; the spot is market factor ``EQ_<underlying>`` unless ``factor`` is given.
        Also the CRIF ``Qualifier``.
    bucket : str, optional
        SIMM equity bucket ("1".."12" or "Residual"); required for CRIF output.
    factor : str, optional
        Explicit market factor of the spot price.
    currency : str, optional
        Currency of the price; default the factor's currency in the market (must agree).
    """

    underlying: str
    bucket: str | None = None
    factor: str | None = None
    currency: str | None = None


@dataclass(frozen=True, kw_only=True)
class EquityPosition(_EquityBase):
    """A cash equity position: ``quantity`` shares, long or short. PV = sign q S."""

    TYPE: ClassVar[str] = "equity_position"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity",)
    quantity: float
    direction: str = "long"


@dataclass(frozen=True, kw_only=True)
class EquityTRS(_EquityBase):
    """An equity total-return swap in its current reset period.

    The receiver (``long``) gets the total return of ``notional / initial_price`` shares and pays
    financing at ``financing_rate + financing_spread_bp`` (simple, ACT/365F) on ``notional``
    from ``start_date`` (the last reset) to ``maturity`` (the next reset or the end), when the
    notional is also exchanged. Dividends are passed through, so the share leg is worth
    ``q S`` today::

        PV = sign * (q S - N (1 + (f + s) tau) DF(T))

    Parameters
    ----------
    notional : float
        Notional at the last reset, > 0.
    initial_price : float
        Share price at the last reset, > 0 (sets the number of shares).
    start_date, maturity : date
        Last reset and next reset (payment) dates.
    financing_rate : float
        Floating rate fixed at the last reset, decimal. Default 0.
    financing_spread_bp : float
        Financing spread in bp. Default 0.
    curve : str, optional
        Currency of the discount curve; default the equity's currency.
    """

    TYPE: ClassVar[str] = "equity_trs"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "initial_price")
    notional: float
    initial_price: float
    start_date: pd.Timestamp
    maturity: pd.Timestamp
    direction: str = "long"
    financing_rate: float = 0.0
    financing_spread_bp: float = 0.0
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.maturity <= self.start_date:
            raise _fail(self.trade_id, "maturity",
                        f"{self.maturity:%Y-%m-%d} is not after start_date "
                        f"{self.start_date:%Y-%m-%d}")

    @property
    def shares(self) -> float:
        """Number of shares of the total-return leg."""
        return self.notional / self.initial_price


@dataclass(frozen=True, kw_only=True)
class EquityForward(_EquityBase):
    """Forward purchase of ``quantity`` shares at ``strike`` on ``maturity``.

    PV = sign q (S exp(-y T) - K DF(T)), ``y`` the continuous ``dividend_yield``.
    """

    TYPE: ClassVar[str] = "equity_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike")
    quantity: float
    strike: float
    maturity: pd.Timestamp
    direction: str = "long"
    dividend_yield: float = 0.0
    curve: str | None = None


@dataclass(frozen=True, kw_only=True)
class EquityOption(_EquityBase):
    """European option on ``quantity`` shares (Black-Scholes with continuous dividend yield).

    The volatility is either fixed (``volatility``, decimal) or ``vol_scale`` times the level
    of the market factor ``vol_factor`` (converted from its units, e.g. vol points / 100).
    """

    TYPE: ClassVar[str] = "equity_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike", "volatility", "vol_scale")
    quantity: float
    strike: float
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    dividend_yield: float = 0.0
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0
    curve: str | None = None


# ---------------------------------------------------------------------- FX
@dataclass(frozen=True, kw_only=True)
class _FXBase(Trade):
    """Common fields of FX trades.

    Parameters
    ----------
    pair : str
        Six letters ``BASEQUOTE`` (e.g. ``EURUSD``); the spot is quote units per base unit,
        factor ``FX_<BASE><QUOTE>`` or the inverse of ``FX_<QUOTE><BASE>``.
    notional : float
        Amount of the base currency, > 0.
    strike : float
        Contract rate (quote per base), > 0.
    base_curve, quote_curve : str, optional
        Currencies of the discount curves; default the base and the quote currency.
    """

    pair: str
    notional: float
    strike: float
    base_curve: str | None = None
    quote_curve: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "pair", str(self.pair).strip().upper())
        if not re.fullmatch(r"[A-Z]{6}", self.pair) or self.pair[:3] == self.pair[3:]:
            raise _fail(self.trade_id, "pair",
                        f"must be two different ISO currencies like 'EURUSD'; got {self.pair!r}")
        super().__post_init__()

    @property
    def base(self) -> str:
        """Base currency (the one bought by a long)."""
        return self.pair[:3]

    @property
    def quote(self) -> str:
        """Quote currency (the PV currency)."""
        return self.pair[3:]


@dataclass(frozen=True, kw_only=True)
class FXForward(_FXBase):
    """Buy ``notional`` base currency for ``notional * strike`` quote currency at ``maturity``.

    PV (quote currency) = sign N (X DF_base(T) - K DF_quote(T)).
    """

    TYPE: ClassVar[str] = "fx_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "strike")
    maturity: pd.Timestamp
    direction: str = "long"


@dataclass(frozen=True, kw_only=True)
class FXOption(_FXBase):
    """European option to buy (call) or sell (put) ``notional`` base currency (Garman-Kohlhagen).

    Volatility as for :class:`EquityOption`.
    """

    TYPE: ClassVar[str] = "fx_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "strike", "volatility", "vol_scale")
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0


# ---------------------------------------------------------------------- rates
@dataclass(frozen=True, kw_only=True)
class InterestRateSwap(Trade):
    """Fixed-vs-float interest-rate swap, single curve, valued off the currency's zero curve.

    Periods run backwards from ``maturity`` every ``fixed_period`` / ``float_period`` to
    ``start_date`` (a short first period if needed); accruals are ACT/365F. The float leg is
    worth ``N (DF(s) - DF(T))`` plus the spread annuity; for a swap that has started, the
    period in progress pays the known ``last_fixing`` (if given; otherwise it is projected
    from the valuation date). ``payer`` pays the fixed rate.

    Parameters
    ----------
    currency : str
        Currency (and default curve).
    notional : float
        > 0.
    fixed_rate : float
        Decimal, any sign.
    start_date, maturity : date
        Effective date and end date.
    direction : {"payer", "receiver"}
        Side of the fixed leg.
    fixed_period, float_period : str
        Period labels, default ``"6m"`` and ``"3m"``.
    float_spread_bp : float
        Spread over the floating rate, bp. Default 0.
    last_fixing : float, optional
        Rate fixed for the floating period in progress, decimal.
    sub_curve : str
        CRIF ``Label2`` of the curve sensitivities. Default ``"OIS"``.
    curve : str, optional
        Currency of the curve, default ``currency``.
    """

    TYPE: ClassVar[str] = "irs"
    DIRECTIONS: ClassVar[tuple[str, str]] = ("payer", "receiver")
    SYNONYMS: ClassVar[Mapping[str, str]] = {"pay": "payer", "receive": "receiver"}
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional",)
    currency: str
    notional: float
    fixed_rate: float
    start_date: pd.Timestamp
    maturity: pd.Timestamp
    direction: str = "payer"
    fixed_period: str = "6m"
    float_period: str = "3m"
    float_spread_bp: float = 0.0
    last_fixing: float | None = None
    sub_curve: str = "OIS"
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.maturity <= self.start_date:
            raise _fail(self.trade_id, "maturity",
                        f"{self.maturity:%Y-%m-%d} is not after start_date "
                        f"{self.start_date:%Y-%m-%d}")
        period_months(self.trade_id, "fixed_period", self.fixed_period)
        period_months(self.trade_id, "float_period", self.float_period)
        if self.sub_curve not in SUB_CURVES:
            raise _fail(self.trade_id, "sub_curve",
                        f"must be one of {', '.join(SUB_CURVES)}; got {self.sub_curve!r}")


SUB_CURVES: tuple[str, ...] = (
    "OIS", "Libor1m", "Libor3m", "Libor6m", "Libor12m", "Prime", "Municipal",
)
"""SIMM sub-curve names (CRIF ``Label2`` of ``Risk_IRCurve``)."""


# ---------------------------------------------------------------------- credit
@dataclass(frozen=True, kw_only=True)
class CreditDefaultSwap(Trade):
    """Single-name or index credit default swap, flat hazard rate from the market spread.

    The reference entity's par spread is ``spread_scale`` times the level of the market factor
    ``CR_<reference>`` (or ``spread_factor``); the hazard rate is ``spread / (1 - recovery)``
    (the credit triangle), flat to maturity. The premium leg pays ``coupon_bp`` quarterly
    (periods backwards from ``maturity``, ACT/365F, the first from the valuation date) with
    accrual on default (half a period); the protection leg pays ``1 - recovery`` on default,
    discretised on the same quarterly grid. ``buy`` = protection buyer::

        PV = sign N [(1 - R) sum DF(t_i)(Q_{i-1} - Q_i)
                     - c sum tau_i DF(t_i) (Q_i + (Q_{i-1} - Q_i) / 2)]

    Parameters
    ----------
    reference : str
        Issuer or index name (CRIF ``Qualifier``).
    notional, coupon_bp : float
        Notional (> 0) and running coupon in bp (>= 0).
    maturity : date
    direction : {"buy", "sell"}
    recovery : float
        Recovery rate in [0, 1). Default 0.4.
    bucket : str, optional
        SIMM credit-qualifying bucket ("1".."12" or "Residual"); required for CRIF output.
    index : bool
        Whether the reference is an index (informational; SIMM bucket as given). Default False.
    spread_factor : str, optional
        Explicit market factor of the spread.
    spread_scale : float
        Multiplier of the factor level (a single name proxied by an index), > 0. Default 1.
    currency : str, optional
        Premium currency; default the spread factor's currency.
    curve : str, optional
        Discount-curve currency; default ``currency``.
    """

    TYPE: ClassVar[str] = "cds"
    DIRECTIONS: ClassVar[tuple[str, str]] = ("buy", "sell")
    SYNONYMS: ClassVar[Mapping[str, str]] = {"long": "buy", "short": "sell"}
    POSITIVE: ClassVar[tuple[str, ...]] = ("notional", "spread_scale")
    reference: str
    notional: float
    coupon_bp: float
    maturity: pd.Timestamp
    direction: str = "buy"
    recovery: float = 0.4
    bucket: str | None = None
    index: bool = False
    spread_factor: str | None = None
    spread_scale: float = 1.0
    currency: str | None = None
    curve: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not 0.0 <= self.recovery < 1.0:
            raise _fail(self.trade_id, "recovery", f"must be in [0, 1); got {self.recovery!r}")
        if self.coupon_bp < 0:
            raise _fail(self.trade_id, "coupon_bp", f"must be >= 0; got {self.coupon_bp!r}")


# ---------------------------------------------------------------------- commodity
@dataclass(frozen=True, kw_only=True)
class _CommodityBase(Trade):
    """Common fields of commodity trades.

    The forward price to ``T`` is ``S exp(carry T)``, ``S`` the level of ``CMD_<underlying>``
    (or ``factor``) and ``carry`` the continuous cost of carry net of convenience yield.
    """

    underlying: str
    quantity: float
    strike: float
    bucket: str | None = None
    carry: float = 0.0
    factor: str | None = None
    currency: str | None = None
    curve: str | None = None


@dataclass(frozen=True, kw_only=True)
class CommodityForward(_CommodityBase):
    """PV = sign q (F(T) - K) DF(T)."""

    TYPE: ClassVar[str] = "commodity_forward"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike")
    maturity: pd.Timestamp
    direction: str = "long"


@dataclass(frozen=True, kw_only=True)
class CommodityOption(_CommodityBase):
    """European option on the forward to ``expiry`` (Black-76), volatility as for equity."""

    TYPE: ClassVar[str] = "commodity_option"
    POSITIVE: ClassVar[tuple[str, ...]] = ("quantity", "strike", "volatility", "vol_scale")
    expiry: pd.Timestamp
    option_type: str
    direction: str = "long"
    volatility: float | None = None
    vol_factor: str | None = None
    vol_scale: float = 1.0


TRADE_TYPES: Mapping[str, type[Trade]] = {
    cls.TYPE: cls
    for cls in (
        EquityPosition, EquityTRS, EquityForward, EquityOption, FXForward, FXOption,
        InterestRateSwap, CreditDefaultSwap, CommodityForward, CommodityOption,
    )
}
"""Trade classes by their ``type`` string."""


# ---------------------------------------------------------------------- records
def _convert(trade_id: str, name: str, annotation: str, value: Any) -> Any:
    optional = "None" in annotation
    if value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value)
    ):
        return None if optional else _MISSING
    if "Timestamp" in annotation:
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError):
            ts = pd.NaT
        if ts is pd.NaT or pd.isna(ts):
            raise _fail(trade_id, name, f"not a date: {value!r}")
        return ts.tz_localize(None).normalize() if ts.tz is not None else ts.normalize()
    if annotation.startswith("float"):
        if isinstance(value, bool):
            raise _fail(trade_id, name, f"not a number: {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _fail(trade_id, name, f"not a number: {value!r}") from None
    if annotation.startswith("bool"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _fail(trade_id, name, f"not a boolean (true/false): {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a bucket 3 read as 3.0
    text = str(value).strip()
    if name in ("currency", "curve", "base_curve", "quote_curve"):
        text = text.upper()
    if name == "option_type":
        text = text.lower()
    return text


_MISSING = object()


def trade_from_record(record: Mapping[str, Any], *, where: str = "") -> Trade:
    """Build a trade from a flat record (a CSV row or a TOML table).

    Parameters
    ----------
    record : mapping of str to value
        Must hold ``type`` and ``trade_id`` and the required fields of the type; values may be
        text (converted by the field's type) or already typed. Blank values mean "not given".
    where : str
        Location prefix for messages (file and line).

    Returns
    -------
    Trade

    Raises
    ------
    InputError
        Unknown type, missing required field, unknown field, or a value that cannot be used;
        the message names the trade ID and the field.
    """
    prefix = f"{where}: " if where else ""
    trade_id = record.get("trade_id")
    if trade_id is None or not str(trade_id).strip():
        raise InputError(f"{prefix}field 'trade_id' is missing")
    trade_id = str(trade_id).strip()
    kind = str(record.get("type") or "").strip().lower()
    cls = TRADE_TYPES.get(kind)
    if cls is None:
        raise InputError(
            f"{prefix}trade {trade_id!r}, field 'type': unknown trade type "
            f"{record.get('type')!r}; known: {', '.join(TRADE_TYPES)}"
        )
    specs = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in record if k not in specs and k != "type"]
    blank_unknown = [k for k in unknown if _convert(trade_id, k, "str | None", record[k]) is None]
    unknown = [k for k in unknown if k not in blank_unknown]
    if unknown:
        raise InputError(
            f"{prefix}trade {trade_id!r}, field {unknown[0]!r}: not a field of {kind} trades "
            f"(fields: {', '.join(specs)})"
        )
    kwargs: dict[str, Any] = {"trade_id": trade_id}
    try:
        for name, spec in specs.items():
            if name == "trade_id":
                continue
            if name not in record:
                if spec.default is dataclasses.MISSING and (
                    spec.default_factory is dataclasses.MISSING  # type: ignore[misc]
                ):
                    raise _fail(trade_id, name, f"missing (required for {kind} trades)")
                continue
            value = _convert(trade_id, name, str(spec.type), record[name])
            if value is _MISSING:
                if spec.default is dataclasses.MISSING:
                    raise _fail(trade_id, name, f"missing (required for {kind} trades)")
                continue
            kwargs[name] = value
        return cls(**kwargs)
    except InputError as exc:
        raise InputError(f"{prefix}{exc}") from None


def trade_field_names() -> list[str]:
    """Every field name used by any trade type, ``type`` and ``trade_id`` first."""
    names = ["type", "trade_id"]
    for cls in TRADE_TYPES.values():
        for f in dataclasses.fields(cls):
            if f.name not in names:
                names.append(f.name)
    return names

