"""The trade base class: common fields, validation of values, and what a product must provide.

Every product is a frozen dataclass derived from :class:`Trade`, in its own module of
:mod:`imresearch.portfolio.products` (the list of products and their ``type`` strings is there).
A product owns its behaviour: class attributes say what it is (``TYPE``, ``RISK_CLASS``, its
SIMM bucket table and CRIF risk types, the field holding its end date) and one method says how
it is priced (:meth:`Trade.bind`: its market factors and its payoff family for the kernels).
Everything else (HS attribution by risk class, SIMM product class, CRIF sensitivities, schedule
inputs, ageing) reads these, so adding a product touches its own module and the registry only.

Every trade has a ``trade_id`` and the reference fields ``counterparty``, ``netting_set``,
``counterparty_group`` and ``prime_broker`` (all optional text), which the margin engines use to
slice a portfolio (per netting set, counterparty, consolidated group, prime broker...): margin
is set per netting set (one margin agreement with one counterparty), and IM thresholds per
counterparty group (the counterparty's consolidated group; a blank group is the counterparty
itself). Amounts are positive; the side is given by ``direction``.

Units and values of trade fields
--------------------------------
- rates and yields are decimals (``0.045`` for 4.5%, within -100%..100%), spreads and CDS
  coupons in basis points (fields ending in ``_bp``), volatilities are decimals (``0.2`` for
  20%, at most :data:`MAX_VOL`);
- amounts (notionals, quantities) and prices are finite, positive and at most
  :data:`MAX_AMOUNT` (1e15);
- dates are ISO dates (``2026-06-30``) between 1900 and 2200;
- ``buy``/``sell`` are accepted as synonyms of ``long``/``short`` (except for CDS, where they
  mean protection bought / sold, and swaps, which take ``payer``/``receiver``);
- currencies are ISO codes (three capital letters); text is trimmed; a blank value means
  "not given" (the field's default, or an error for a required field).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from imresearch.errors import InputError

if TYPE_CHECKING:
    from imresearch.portfolio.binding import Binder

__all__ = [
    "MAX_AMOUNT",
    "MAX_VOL",
    "PRODUCT_CLASSES",
    "SCHEDULE_CLASSES",
    "Trade",
    "period_months",
]

MAX_AMOUNT = 1e15
"""Largest amount, price or strike accepted on a trade (larger values overflow SIMM sums)."""
MAX_RATE = 1.0
"""Largest absolute decimal rate, yield or carry (100%: ``4.5`` for 4.5% is an error)."""
MAX_VOL = 3.0
"""Largest decimal volatility (300%: ``7.5`` for 7.5% is an error)."""
MAX_BP = 1e5
"""Largest absolute spread or coupon in basis points."""
FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Range of years of trade dates."""

PRODUCT_CLASSES: Mapping[str, str] = {"IR": "RatesFX", "FX": "RatesFX", "credit": "Credit",
                                      "equity": "Equity", "commodity": "Commodity"}
"""SIMM product class (CRIF ``ProductClass``) of each trade risk class."""
SCHEDULE_CLASSES: Mapping[str, str] = {"IR": "Rates", "FX": "FX", "credit": "Credit",
                                       "equity": "Equity", "commodity": "Commodity"}
"""BCBS-IOSCO schedule asset class of each trade risk class."""

_CCY = re.compile(r"^[A-Z]{3}$")
_PERIOD = re.compile(r"^(\d+)([my])$")
_TRUE = {"true", "1", "yes", "y"}
_FALSE = {"false", "0", "no", "n"}
_RATE_FIELDS = ("fixed_rate", "financing_rate", "dividend_yield", "carry", "last_fixing")
_CURRENCY_FIELDS = ("currency", "curve", "base_curve", "quote_curve")


def fail(trade_id: object, name: str, message: str) -> InputError:
    """The error for a bad field value: ``trade 'T1', field 'notional': <message>``."""
    return InputError(f"trade {trade_id!r}, field {name!r}: {message}")


def period_months(trade_id: str, name: str, value: str) -> int:
    """Months of a coupon period label such as ``"3m"``, ``"6m"`` or ``"1y"``."""
    match = _PERIOD.match(str(value).strip().lower())
    if match is None or not 0 < int(match.group(1)) <= 600:
        raise fail(trade_id, name, f"period must look like '3m', '6m' or '1y'; got {value!r}")
    n = int(match.group(1))
    return n * 12 if match.group(2) == "y" else n


@dataclass(frozen=True, kw_only=True)
class Trade:
    """Fields shared by every trade, and the behaviour each product provides.

    Parameters
    ----------
    trade_id : str
        Unique identifier within a portfolio (CRIF ``TradeID``).
    counterparty : str
        Counterparty name. Default ``""``.
    netting_set : str
        Netting set (CRIF ``PortfolioID``); default ``""`` means the portfolio's name.
    counterparty_group : str
        The counterparty's consolidated group (IM thresholds apply per group). Default: the
        ``counterparty`` itself (a blank value is replaced by it).
    prime_broker : str
        Prime broker carrying the trade (for prime-brokerage books). Default ``""``.

    Attributes
    ----------
    TYPE : str
        The ``type`` of the trade in portfolio files.
    RISK_CLASS : {"IR", "FX", "credit", "equity", "commodity"}
        Asset class: HS attribution by risk class, SIMM product class
        (:data:`PRODUCT_CLASSES`) and schedule asset class (:data:`SCHEDULE_CLASSES`).
    DIRECTIONS, SYNONYMS : the two sides (the first has sign +1) and accepted synonyms.
    POSITIVE : names of fields that must be > 0.
    END_FIELD : str or None
        Field holding the last date of the trade (None: no end, e.g. a cash position).
    BUCKETS : tuple of str
        Valid SIMM buckets of the ``bucket`` field (empty: the product has no bucket).
    BUCKET_TABLE : str or None
        Name of the portfolio file's ``[buckets.<name>]`` table that fills a missing bucket.
    SPOT_RISK, VEGA_RISK : str or None
        CRIF risk types of the trade's spot factor and of its volatility.
    """

    TYPE: ClassVar[str] = ""
    RISK_CLASS: ClassVar[str] = ""
    DIRECTIONS: ClassVar[tuple[str, str]] = ("long", "short")
    SYNONYMS: ClassVar[Mapping[str, str]] = {"buy": "long", "sell": "short"}
    POSITIVE: ClassVar[tuple[str, ...]] = ()
    END_FIELD: ClassVar[str | None] = None
    BUCKETS: ClassVar[tuple[str, ...]] = ()
    BUCKET_TABLE: ClassVar[str | None] = None
    SPOT_RISK: ClassVar[str | None] = None
    VEGA_RISK: ClassVar[str | None] = None

    trade_id: str
    counterparty: str = ""
    netting_set: str = ""
    counterparty_group: str = ""
    prime_broker: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.trade_id, str) or not self.trade_id.strip() or any(
                unicodedata.category(c) == "Cc" for c in self.trade_id):
            raise InputError(f"trade_id must be non-empty printable text; got "
                             f"{self.trade_id!r}")
        for f in dataclasses.fields(self):
            if f.name == "trade_id":
                continue
            value = convert_field(self.trade_id, f.name, str(f.type), getattr(self, f.name))
            if value is MISSING:
                if f.default is dataclasses.MISSING:
                    raise fail(self.trade_id, f.name, "missing")
                value = f.default
            object.__setattr__(self, f.name, value)
            if f.name == "direction":
                text = str(value).strip().lower()
                text = self.SYNONYMS.get(text, text)
                if text not in self.DIRECTIONS:
                    raise fail(self.trade_id, "direction",
                               f"must be one of {', '.join(self.DIRECTIONS)}; got {value!r}")
                object.__setattr__(self, "direction", text)
        if not self.counterparty_group:
            object.__setattr__(self, "counterparty_group", self.counterparty)
        self._check_ranges()
        for name in self.POSITIVE:
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise fail(self.trade_id, name, f"must be > 0; got {value!r}")
        for name in _CURRENCY_FIELDS:
            value = getattr(self, name, None)
            if value is not None and not _CCY.match(value):
                raise fail(self.trade_id, name, f"must be an ISO currency code; got {value!r}")
        if hasattr(self, "option_type") and self.option_type not in ("call", "put"):
            raise fail(self.trade_id, "option_type", f"must be 'call' or 'put'; got "
                       f"{self.option_type!r}")
        if hasattr(self, "vol_factor"):
            if self.volatility is None and self.vol_factor is None:
                raise fail(self.trade_id, "volatility",
                           "give a fixed 'volatility' or a market 'vol_factor'")
            if self.volatility is not None and self.vol_factor is not None:
                raise fail(self.trade_id, "vol_factor",
                           "give either 'volatility' or 'vol_factor', not both")
        bucket = getattr(self, "bucket", None)
        if bucket is not None and self.BUCKETS:
            fixed = {b.lower(): b for b in self.BUCKETS}.get(bucket.lower())
            if fixed is None:
                numbered = [b for b in self.BUCKETS if b.isdigit()]
                named = [b for b in self.BUCKETS if not b.isdigit()]
                valid = " or ".join([f"{numbered[0]}..{numbered[-1]}", *named])
                raise fail(self.trade_id, "bucket",
                           f"not a SIMM {self.BUCKET_TABLE} bucket ({valid}); got {bucket!r}")
            object.__setattr__(self, "bucket", fixed)

    def _check_ranges(self) -> None:
        """Finite numbers within the documented ranges, dates within the years."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, float):
                if not math.isfinite(value):
                    raise fail(self.trade_id, f.name, f"must be a finite number; got {value!r}")
                if f.name in _RATE_FIELDS:
                    bound = MAX_RATE
                elif f.name == "volatility":
                    bound = MAX_VOL
                elif f.name.endswith("_bp"):
                    bound = MAX_BP
                else:
                    bound = MAX_AMOUNT
                if abs(value) > bound:
                    unit = {MAX_RATE: " (a decimal: 0.045 for 4.5%)",
                            MAX_VOL: " (a decimal: 0.2 for 20%)"}.get(bound, "")
                    raise fail(self.trade_id, f.name,
                               f"must be at most {bound:g} in magnitude{unit}; got {value!r}")
            elif isinstance(value, pd.Timestamp) and not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise fail(self.trade_id, f.name, f"date {value:%Y-%m-%d} is not between "
                           f"{FIRST_YEAR} and {LAST_YEAR}")

    # ------------------------------------------------------------------ behaviour
    @property
    def sign(self) -> float:
        """+1 for the first direction (long, payer, protection buyer), -1 otherwise."""
        return 1.0 if getattr(self, "direction", self.DIRECTIONS[0]) == self.DIRECTIONS[0] else -1.0

    def negated(self, trade_id: str | None = None) -> Trade:
        """The same trade on the other side (``direction`` flipped; its P&L negated)."""
        other = self.DIRECTIONS[1] if self.sign > 0 else self.DIRECTIONS[0]
        return dataclasses.replace(self, direction=other,  # type: ignore[call-arg]
                                   trade_id=self.trade_id if trade_id is None else trade_id)

    @property
    def end_date(self) -> pd.Timestamp | None:
        """Last date of the trade (its :attr:`END_FIELD`), or None for a trade without one."""
        return None if self.END_FIELD is None else getattr(self, self.END_FIELD)

    @property
    def product_class(self) -> str:
        """SIMM product class (``RatesFX``, ``Credit``, ``Equity`` or ``Commodity``)."""
        return PRODUCT_CLASSES[self.RISK_CLASS]

    @property
    def schedule_class(self) -> str:
        """BCBS-IOSCO schedule asset class (``Rates``, ``FX``, ``Credit``, ``Equity``,
        ``Commodity``)."""
        return SCHEDULE_CLASSES[self.RISK_CLASS]

    @property
    def qualifier(self) -> str:
        """CRIF ``Qualifier`` of the trade's spot and vega risk (the underlying's name)."""
        return ""

    @property
    def sub_curve(self) -> str:
        """CRIF ``Label2`` of the trade's curve sensitivities. Default ``"OIS"``."""
        return "OIS"

    def spot_per_factor(self) -> float:
        """The trade's spot per unit of its market factor (e.g. a CDS ``spread_scale``)."""
        return 1.0

    def schedule_notional(self, spot: float) -> float:
        """Notional for the standardised schedule, in :meth:`notional_currency`, given the
        spot level of the trade's factor. Default: the ``notional`` field."""
        return float(self.notional)  # type: ignore[attr-defined]

    def notional_currency(self, pv_currency: str) -> str:
        """Currency of :meth:`schedule_notional`. Default: the PV currency."""
        return pv_currency

    def bind(self, b: Binder) -> None:
        """Resolve the trade against the market and write it for the kernels.

        Called once per trade by :func:`imresearch.portfolio.binding.bind` with the binder,
        whose methods resolve market factors, curves and dates (raising an
        :class:`~imresearch.errors.InputError` that names the trade and field) and record the
        trade as one payoff family of :mod:`imresearch.portfolio._kernels`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement bind()")

    def to_record(self) -> dict[str, Any]:
        """The trade as a flat dict (``type`` first), the inverse of
        :func:`~imresearch.portfolio.products.trade_from_record`."""
        out: dict[str, Any] = {"type": self.TYPE}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.Timestamp):
                value = value.strftime("%Y-%m-%d")
            out[f.name] = value
        return out


def check_after(trade: Trade, later: str, earlier: str) -> None:
    """Raise unless the date field ``later`` is after the date field ``earlier``."""
    a, b = getattr(trade, earlier), getattr(trade, later)
    if b <= a:
        raise fail(trade.trade_id, later, f"{b:%Y-%m-%d} is not after {earlier} {a:%Y-%m-%d}")


# ---------------------------------------------------------------------- field values
def convert_field(trade_id: str, name: str, annotation: str, value: Any) -> Any:
    """A field value from text or a typed value, by the field's annotation.

    Returns None for a blank optional field and :data:`MISSING` for a blank required one.
    """
    optional = "None" in annotation
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if optional else MISSING
    if isinstance(value, (list, tuple, dict, set)):
        raise fail(trade_id, name, f"must be a single value; got {value!r}")
    if "Timestamp" in annotation:
        if isinstance(value, (bool, int, float)):  # pd.Timestamp(20250101) is 1970-01-01
            raise fail(trade_id, name, f"not a date (write it as '2026-06-30'): {value!r}")
        if isinstance(value, _dt.time):
            raise fail(trade_id, name, f"not a date: {value!r}")
        try:
            ts = pd.Timestamp(value)
        except (TypeError, ValueError, OverflowError):
            ts = pd.NaT
        if ts is pd.NaT or pd.isna(ts):
            raise fail(trade_id, name, f"not a date: {value!r}")
        return ts.tz_localize(None).normalize() if ts.tz is not None else ts.normalize()
    if annotation.startswith("float"):
        if isinstance(value, (bool, _dt.date, _dt.time)):
            raise fail(trade_id, name, f"not a number: {value!r}")
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            raise fail(trade_id, name, f"not a number: {value!r}") from None
    if annotation.startswith("bool"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise fail(trade_id, name, f"not a boolean (true/false): {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise fail(trade_id, name, f"must be text; got {value!r}")
        if value.is_integer():
            value = int(value)  # a bucket 3 read as 3.0
    if isinstance(value, (_dt.date, _dt.time, bool)):
        raise fail(trade_id, name, f"must be text; got {value!r}")
    text = str(value).strip()
    if any(unicodedata.category(c) == "Cc" for c in text):
        raise fail(trade_id, name, f"text with a control character: {text!r}")
    if name in _CURRENCY_FIELDS:
        text = text.upper()
    if name == "option_type":
        text = text.lower()
    return text


MISSING = object()
"""Marker returned by :func:`convert_field` for a blank value of a required field."""



_MOVED = ("CommodityForward", "CommodityOption", "CreditDefaultSwap", "EquityForward",
          "EquityOption", "EquityPosition", "EquityTRS", "FXForward", "FXOption",
          "InterestRateSwap", "TRADE_TYPES", "trade_from_record")


def __getattr__(name: str) -> Any:
    """The product classes under their old import path (``imresearch.portfolio.trades``);
    they live in :mod:`imresearch.portfolio.products` (import them from there or from
    :mod:`imresearch.portfolio`)."""
    if name in _MOVED:
        from imresearch.portfolio import products

        return getattr(products, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
