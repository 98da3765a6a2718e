"""Built-in data sets: histories that need no data directory.

The built-in real market (public-domain and attribution-only series shipped with the package,
see :mod:`imresearch.marketdata.public`), real daily histories shipped inside the ``arch``
package (``arch.data``; Yahoo Finance, FRED and CBOE series distributed with it) and the
project's own synthetic markets:

=================  ==============================================================================
name               content
=================  ==============================================================================
public_markets     39 real factors: USD zero curve (bootstrapped U.S. Treasury par yields), EUR
                   (ECB) and GBP (Bank of England) zero curves, EURUSD GBPUSD USDJPY USDCHF (ECB
                   reference rates), WTI and Brent (EIA, absolute shocks), S&P 500 and NASDAQ
                   (arch); 2006-02-09 .. 2018-12-28 with every factor, longer with ``factors=``
fed_h10_fx         Fed H.10 noon rates: EURUSD GBPUSD AUDUSD USDJPY USDCHF USDCAD, to 2017-12-01
arch_sp500         S&P 500 adjusted close, 1999-01-04 .. 2018-12-31 (equity, log)
arch_nasdaq        NASDAQ Composite adjusted close, 1999-01-04 .. 2018-12-31 (equity, log)
arch_wti           WTI crude oil spot (FRED DCOILWTICO), 1986-01-02 .. 2019-01-03 (commodity, log)
arch_vix           CBOE VIX close, 2014-01-03 .. 2019-01-03 (volatility, log)
synthetic          default synthetic market: 38 factors, 1999-01-04 .. 2026-01-02
synthetic_small    5 factors, 2007-01-02 .. 2010-12-31 (covers the GFC), for tests and demos
=================  ==============================================================================

Gap policy of the real series
-----------------------------
The FRED oil series and the VIX series are on a weekday calendar and leave the days without a
published price empty. In ``arch.data.wti`` 290 of 8,611 rows are missing, in runs of one day
(or two around Christmas), every year from 1986 to 2018: US federal holidays and Good Friday,
plus 26 other non-publication days (mostly the day after Thanksgiving, Christmas Eve and the
days around 1 January and 4 July, the 2004-06-11 market closure, 2018-12-31). In
``arch.data.vix`` 46 of 1,305 rows are missing, all exchange holidays (and the 2018-12-05
closure). No price was set on those days, so the default policy is ``"drop"``: the dates are
removed (and listed in ``history.gap_report.dropped_dates``), and the next return honestly spans
the closure. Forward-filling (``gap_policy="ffill"``) would invent a zero return per holiday;
``"error"`` refuses the data set and names the first missing date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from imresearch._typing import GapPolicy, SeedLike
from imresearch.errors import InputError, check_choice
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import GAP_POLICIES, RiskFactorHistory
from imresearch.marketdata.public import h10_market, public_market
from imresearch.marketdata.synthetic import synthetic_market

__all__ = ["SYNTHETIC_SMALL_FACTORS", "builtin_names", "load_builtin"]

#: Factors of the ``synthetic_small`` data set.
SYNTHETIC_SMALL_FACTORS: tuple[str, ...] = (
    "EQ_SPX",
    "FX_EURUSD",
    "IR_USD_10y",
    "CR_CDX_IG",
    "VOL_VIX",
)


@dataclass(frozen=True)
class _ArchSeries:
    module: str  # arch.data sub-module
    column: str  # column of its DataFrame
    factor: str  # factor name in the history
    spec: FactorSpec


_ARCH: dict[str, _ArchSeries] = {
    "arch_sp500": _ArchSeries(
        "sp500", "Adj Close", "SPX",
        FactorSpec("equity", "log", "index points", "USD",
                   description="S&P 500 adjusted close (Yahoo Finance via arch.data.sp500)"),
    ),
    "arch_nasdaq": _ArchSeries(
        "nasdaq", "Adj Close", "IXIC",
        FactorSpec("equity", "log", "index points", "USD",
                   description="NASDAQ Composite adjusted close (Yahoo Finance via "
                               "arch.data.nasdaq)"),
    ),
    "arch_wti": _ArchSeries(
        "wti", "DCOILWTICO", "WTI",
        FactorSpec("commodity", "log", "USD/bbl", "USD",
                   description="WTI Cushing crude oil spot (FRED DCOILWTICO via arch.data.wti)"),
    ),
    "arch_vix": _ArchSeries(
        "vix", "vix", "VIX",
        FactorSpec("volatility", "log", "vol points", "USD",
                   description="CBOE Volatility Index close (via arch.data.vix)"),
    ),
}

_DESCRIPTIONS: dict[str, str] = {
    "public_markets": "real, public sources: USD/EUR/GBP zero curves, 4 FX pairs, WTI, Brent, "
                      "S&P 500, NASDAQ; 2006-02-09 .. 2018-12-28",
    "fed_h10_fx": "Fed H.10 noon FX rates (EURUSD GBPUSD AUDUSD USDJPY USDCHF USDCAD), "
                  "1999-01-04 .. 2017-12-01 (from 1971 without EURUSD)",
    "arch_sp500": "S&P 500 adjusted close 1999-2018, daily (arch.data; equity, log shocks)",
    "arch_nasdaq": "NASDAQ Composite adjusted close 1999-2018, daily (arch.data; equity, log)",
    "arch_wti": "WTI crude oil spot 1986-2019, FRED (arch.data; commodity, log); "
                "holiday gaps dropped",
    "arch_vix": "CBOE VIX close 2014-2019 (arch.data; volatility, log); holiday gaps dropped",
    "synthetic": "synthetic stressed market, seed 0: 38 factors (equity, FX, USD/EUR curves, "
                 "credit, oil, implied vol), 1999-2026",
    "synthetic_small": "small synthetic market: 5 factors (EQ_SPX, FX_EURUSD, IR_USD_10y, "
                       "CR_CDX_IG, VOL_VIX), 2007-2010 incl. the GFC",
}


def builtin_names() -> dict[str, str]:
    """Names of the built-in data sets, each with a one-line description.

    Returns
    -------
    dict of str to str
        Name -> description, in a stable order.
    """
    return dict(_DESCRIPTIONS)


def _load_arch(name: str, gap_policy: GapPolicy) -> RiskFactorHistory:
    import importlib

    series = _ARCH[name]
    module = importlib.import_module(f"arch.data.{series.module}")
    frame: pd.DataFrame = module.load()
    if series.column not in frame.columns:  # pragma: no cover - guards a changed arch release
        raise InputError(
            f"{name}: column {series.column!r} not in arch.data.{series.module} "
            f"(columns: {list(frame.columns)})"
        )
    levels = frame[[series.column]].rename(columns={series.column: series.factor})
    return RiskFactorHistory(
        levels,
        {series.factor: series.spec},
        gap_policy=gap_policy,
        name=name,
        source=f"arch.data.{series.module}",
    )


def _load_synthetic(name: str, seed: SeedLike) -> RiskFactorHistory:
    if name == "synthetic":
        return synthetic_market(seed)
    return synthetic_market(
        seed,
        start="2007-01-02",
        years=4,
        factors=SYNTHETIC_SMALL_FACTORS,
        name="synthetic_small",
    )


_PUBLIC = {"public_markets": public_market, "fed_h10_fx": h10_market}


def load_builtin(
    name: str,
    *,
    seed: SeedLike = 0,
    gap_policy: GapPolicy | None = None,
    factors: Iterable[str] | None = None,
) -> RiskFactorHistory:
    """Load a built-in data set as a :class:`RiskFactorHistory`.

    Parameters
    ----------
    name : str
        One of :func:`builtin_names`: ``"public_markets"``, ``"fed_h10_fx"``,
        ``"arch_sp500"``, ``"arch_nasdaq"``, ``"arch_wti"``, ``"arch_vix"``, ``"synthetic"`` or
        ``"synthetic_small"``.
    seed : int, numpy.random.SeedSequence, numpy.random.Generator or None
        Seed of the synthetic data sets. Default 0. The real data sets take no seed: anything
        but the default 0 is an error for them.
    gap_policy : {"error", "drop", "ffill"}, optional
        Gap policy of the real data sets (see the module docstring). Default ``"drop"``.
        Synthetic data sets have no gaps and accept only None.
    factors : list of str, optional
        ``public_markets`` and ``fed_h10_fx`` only: the factors to load (default all); the
        history covers the longest span on which all of them are quoted (see
        :func:`imresearch.marketdata.public.public_factors`).

    Returns
    -------
    RiskFactorHistory
        Levels indexed by date, with factor metadata; ``history.name`` is ``name``.

    Raises
    ------
    InputError
        Unknown name (the message lists the valid names), a seed for a real data set, a gap
        policy for a synthetic one, an unknown gap policy, or ``factors`` for a data set other
        than ``public_markets`` / ``fed_h10_fx`` (or naming unknown factors).

    Examples
    --------
    >>> from imresearch.marketdata.builtin import load_builtin
    >>> load_builtin("arch_sp500").factor_names
    ['SPX']
    """
    if not isinstance(name, str) or name not in _DESCRIPTIONS:
        raise InputError(
            f"unknown built-in data set {name!r}; valid names: {', '.join(_DESCRIPTIONS)}"
        )
    if factors is not None and name not in _PUBLIC:
        raise InputError(
            f"factors applies only to {', '.join(_PUBLIC)}; {name!r} has fixed factors "
            "(use history.select(...))"
        )
    if name in _ARCH or name in _PUBLIC:
        if not (isinstance(seed, int) and not isinstance(seed, bool) and seed == 0):
            raise InputError(
                f"seed applies only to the synthetic data sets; {name!r} is real data "
                f"(got seed={seed!r})"
            )
        policy = "drop" if gap_policy is None else gap_policy
        check_choice("gap_policy", policy, GAP_POLICIES)
        if name in _PUBLIC:
            return _PUBLIC[name](factors, gap_policy=policy)  # type: ignore[arg-type]
        return _load_arch(name, policy)  # type: ignore[arg-type]
    if gap_policy is not None:
        raise InputError(
            f"gap_policy applies only to the real data sets; {name!r} is synthetic and has no "
            f"gaps (got gap_policy={gap_policy!r})"
        )
    return _load_synthetic(name, seed)
