"""The products: one module per product family, and the registry of trade types.

Every trade of a portfolio file names its ``type``; the registered types are:

==================  =========================================  ================================
type                class (module)                             direction (first value: sign +1)
==================  =========================================  ================================
equity_position     :class:`EquityPosition` (``equity``)       long / short
equity_trs          :class:`EquityTRS` (``equity``)            long / short (long = receives
                                                               the total return)
equity_forward      :class:`EquityForward` (``equity``)        long / short (long = buyer)
equity_option       :class:`EquityOption` (``equity``)         long / short (long = holder)
fx_forward          :class:`FXForward` (``fx``)                long / short (long = buys base)
fx_option           :class:`FXOption` (``fx``)                 long / short
fx_swap             :class:`FXSwap` (``fx_swap``)              buy_sell / sell_buy (of the base
                                                               currency, near / far)
irs                 :class:`InterestRateSwap` (``rates``)      payer / receiver (of the fixed
                                                               rate)
cds                 :class:`CreditDefaultSwap` (``credit``)    buy / sell (protection)
commodity_forward   :class:`CommodityForward` (``commodity``)  long / short
commodity_option    :class:`CommodityOption` (``commodity``)   long / short
==================  =========================================  ================================

Fields of each type (``*`` required; the rest optional; every type also takes ``trade_id*``,
``counterparty``, ``netting_set``, ``counterparty_group`` and ``prime_broker``; units in
:mod:`imresearch.portfolio.trades`):

``equity_position``
    ``underlying*, quantity*, direction, bucket, factor, currency``
``equity_trs``
    ``underlying*, notional*, initial_price*, start_date*, maturity*, direction,
    financing_rate, financing_spread_bp, curve, bucket, factor, currency``
``equity_forward``
    ``underlying*, quantity*, strike*, maturity*, direction, dividend_yield, curve, bucket,
    factor, currency``
``equity_option``
    ``underlying*, quantity*, strike*, expiry*, option_type*`` (call / put), ``direction,
    dividend_yield, volatility | vol_factor`` (one of the two), ``vol_scale, curve, bucket,
    factor, currency``
``fx_forward``
    ``pair*, notional*, strike*, maturity*, direction, base_curve, quote_curve``
``fx_option``
    ``pair*, notional*, strike*, expiry*, option_type*, direction, volatility | vol_factor,
    vol_scale, base_curve, quote_curve``
``fx_swap``
    ``pair*, notional*, near_date*, near_rate*, far_date*, far_rate*, direction, base_curve,
    quote_curve``
``irs``
    ``currency*, notional*, fixed_rate*, start_date*, maturity*, direction, fixed_period,
    float_period, float_spread_bp, last_fixing, sub_curve, curve``
``cds``
    ``reference*, notional*, coupon_bp*, maturity*, direction, recovery, bucket, index,
    spread_factor, spread_scale, currency, curve``
``commodity_forward``
    ``underlying*, quantity*, strike*, maturity*, direction, carry, bucket, factor, currency,
    curve``
``commodity_option``
    ``underlying*, quantity*, strike*, expiry*, option_type*, direction, carry,
    volatility | vol_factor, vol_scale, bucket, factor, currency, curve``

How to add a product: write its class in a module of this package (fields, class attributes,
``bind``), add it to :data:`PRODUCTS` and to the tables above, and test its pricer against a
closed form or QuantLib (see ``docs/architecture.md``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from imresearch.errors import InputError
from imresearch.portfolio.products.commodity import CommodityForward, CommodityOption
from imresearch.portfolio.products.credit import CreditDefaultSwap
from imresearch.portfolio.products.equity import (
    EquityForward,
    EquityOption,
    EquityPosition,
    EquityTRS,
)
from imresearch.portfolio.products.fx import FXForward, FXOption
from imresearch.portfolio.products.fx_swap import FXSwap
from imresearch.portfolio.products.rates import InterestRateSwap
from imresearch.portfolio.trades import MISSING, Trade, convert_field, fail

__all__ = [
    "PRODUCTS",
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
    "FXSwap",
    "InterestRateSwap",
    "trade_field_names",
    "trade_from_record",
]

PRODUCTS: tuple[type[Trade], ...] = (
    EquityPosition, EquityTRS, EquityForward, EquityOption, FXForward, FXOption, FXSwap,
    InterestRateSwap, CreditDefaultSwap, CommodityForward, CommodityOption,
)
"""Every product class, in the order of the table above."""

TRADE_TYPES: Mapping[str, type[Trade]] = {cls.TYPE: cls for cls in PRODUCTS}
"""Trade classes by their ``type`` string."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
        the message names the location, the trade ID, the field and the value.
    """
    prefix = f"{where}: " if where else ""
    trade_id = record.get("trade_id")
    if _blank(trade_id):
        raise InputError(f"{prefix}field 'trade_id' is missing")
    if not isinstance(trade_id, (str, int)) or isinstance(trade_id, bool):
        raise InputError(f"{prefix}field 'trade_id': must be text; got {trade_id!r}")
    trade_id = str(trade_id).strip()
    kind = record.get("type")
    cls = TRADE_TYPES.get(kind.strip().lower()) if isinstance(kind, str) else None
    if cls is None:
        raise InputError(
            f"{prefix}trade {trade_id!r}, field 'type': unknown trade type {kind!r}; known: "
            f"{', '.join(TRADE_TYPES)}"
        )
    specs = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in record if k not in specs and k != "type" and not _blank(record[k])]
    if unknown:
        raise InputError(
            f"{prefix}trade {trade_id!r}, field {unknown[0]!r}: not a field of {cls.TYPE} "
            f"trades (fields: {', '.join(specs)})"
        )
    kwargs: dict[str, Any] = {"trade_id": trade_id}
    try:
        for name, spec in specs.items():
            if name == "trade_id":
                continue
            value = convert_field(trade_id, name, str(spec.type), record.get(name))
            if value is MISSING and spec.default is dataclasses.MISSING:
                raise fail(trade_id, name, f"missing (required for {cls.TYPE} trades)")
            if value is not MISSING and value is not None:
                kwargs[name] = value
        return cls(**kwargs)
    except InputError as exc:
        raise InputError(f"{prefix}{exc}") from None


def trade_field_names() -> list[str]:
    """Every field name used by any trade type, ``type`` and ``trade_id`` first."""
    names = ["type", "trade_id"]
    for cls in PRODUCTS:
        for f in dataclasses.fields(cls):
            if f.name not in names:
                names.append(f.name)
    return names
