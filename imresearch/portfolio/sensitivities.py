"""Sensitivities of a portfolio as an ISDA CRIF, and the standardised-schedule inputs.

Every sensitivity is a central bump-and-revalue of the same pricing kernels used for the scenario
engines, so SIMM and full revaluation see the same trades through the same models.

=================  =====================  ==============================================  ========
risk               RiskType               Amount (per trade)                              Label1
=================  =====================  ==============================================  ========
zero-rate pillar   ``Risk_IRCurve``       (V(z + 1bp) - V(z - 1bp)) / 2, PV currency;     tenor
                                          Qualifier = curve currency, Bucket blank
                                          (the currency's weight group depends on the
                                          SIMM version: the calculator looks it up),
                                          Label2 = sub-curve (``sub_curve`` of a swap,
                                          else ``OIS``)
credit spread      ``Risk_CreditQ``       (V(s + 1bp) - V(s - 1bp)) / 2 of the issuer's   maturity
                                          spread; Qualifier = ``reference``
equity spot        ``Risk_Equity``        (V(1.01 S) - V(0.99 S)) / 2; Qualifier =        blank
                                          ``underlying``
commodity spot     ``Risk_Commodity``     as equity                                       blank
FX                 ``Risk_FX``            (V(1.01 c) - V(0.99 c)) / 2 of the USD value     blank
                                          of currency c (every FX factor quoting c moved
                                          together), in USD; Qualifier = c
implied vol        ``Risk_EquityVol``,    dV/dsigma per vol point (0.01 absolute), by     expiry
                   ``Risk_FXVol``,        central difference; Qualifier = underlying or
                   ``Risk_CommodityVol``  pair
=================  =====================  ==============================================  ========

Tenor mapping: a curve pillar whose tenor is a SIMM tenor (2w 1m 3m 6m 1y 2y 3y 5y 10y 15y 20y
30y) keeps it; any other pillar, a CDS maturity (on the credit grid 1y 2y 3y 5y 10y) and an
option expiry (on the IR grid) are split linearly in years between the two neighbouring SIMM
tenors (flat beyond the ends). ``Amount`` is in ``AmountCurrency`` (the trade's PV currency; USD
for FX delta); ``AmountUSD`` converts it at the valuation date's FX rates.

Vega convention: the SIMM calculator multiplies equity, FX and commodity vega amounts by
``sigma = sigma_multiplier x delta risk weight`` (ISDA SIMM; ORE), so these amounts are the
plain vega per vol point, not a volatility-weighted vega (that is the convention of IR vega).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from imresearch.errors import InputError, check_choice
from imresearch.marketdata.factors import tenor_to_years
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.portfolio.credit_indices import look_through

if TYPE_CHECKING:
    from imresearch.portfolio.portfolio import Portfolio

__all__ = [
    "CRIF_COLUMNS",
    "SIMM_CREDIT_TENORS",
    "SIMM_TENORS",
    "allocate_tenor",
    "schedule_inputs",
    "sensitivity_frame",
    "to_crif",
]

CRIF_COLUMNS: tuple[str, ...] = (
    "TradeID", "PortfolioID", "ProductClass", "RiskType", "Qualifier", "Bucket", "Label1",
    "Label2", "Amount", "AmountCurrency", "AmountUSD", "IMModel", "TradeType", "EndDate",
    "CollectRegulations", "PostRegulations",
)
"""Columns of :func:`to_crif` (ISDA CRIF names)."""

SIMM_TENORS: tuple[str, ...] = ("2w", "1m", "3m", "6m", "1y", "2y", "3y", "5y", "10y", "15y",
                                "20y", "30y")
"""SIMM IR tenors, also the option-expiry labels of vega."""
SIMM_CREDIT_TENORS: tuple[str, ...] = ("1y", "2y", "3y", "5y", "10y")
"""SIMM credit tenors."""

IR_BUMP = 1e-4
"""Zero-rate and spread bump: 1bp in decimal."""
RELATIVE_BUMP = 0.01
"""Equity / commodity / FX relative bump: 1%."""
VOL_BUMP = 0.01
"""Relative volatility bump used for the central difference of vega."""
VOL_POINT = 0.01
"""One vol point (the unit of CRIF vega amounts), decimal."""


_ABSOLUTE_SPOT = frozenset({"Risk_CreditQ"})
"""Spot risk types bumped by 1bp absolute (spreads); the others by 1% relative (prices)."""


def _years(label: str) -> float:
    return 14.0 / 365.0 if label == "2w" else tenor_to_years(label)


def allocate_tenor(years: float, labels: tuple[str, ...] = SIMM_TENORS
                   ) -> list[tuple[str, float]]:
    """Split a time in years between the neighbouring SIMM tenors, linearly in years.

    Parameters
    ----------
    years : float
        Pillar tenor, maturity or expiry in years.
    labels : tuple of str
        The grid (default :data:`SIMM_TENORS`).

    Returns
    -------
    list of (label, weight)
        One or two labels with weights summing to 1 (one label on a grid point or beyond the
        ends).
    """
    grid = np.array([_years(t) for t in labels])
    if years <= grid[0] + 1e-9:
        return [(labels[0], 1.0)]
    if years >= grid[-1] - 1e-9:
        return [(labels[-1], 1.0)]
    k = int(np.searchsorted(grid, years, side="right")) - 1
    if abs(years - grid[k]) < 1e-6:
        return [(labels[k], 1.0)]
    if abs(years - grid[k + 1]) < 1e-6:
        return [(labels[k + 1], 1.0)]
    w = (years - grid[k]) / (grid[k + 1] - grid[k])
    return [(labels[k], 1.0 - w), (labels[k + 1], w)]


def _fx_to_usd(bp: BoundPortfolio, x: np.ndarray, ccy: str) -> float:
    """USD per unit of ``ccy`` in state x (1 for USD)."""
    if ccy == "USD":
        return 1.0
    for name in (f"FX_{ccy}USD", f"FX_USD{ccy}"):
        if name in bp.factor_names:
            v = x[bp.factor_names.index(name)]
            return v if name.endswith("USD") else 1.0 / v
    raise InputError(f"no FX rate for {ccy!r} among the portfolio's factors")


def _pairs(bp: BoundPortfolio) -> dict[int, tuple[str, str]]:
    out = {}
    for i, name in enumerate(bp.factor_names):
        if name.startswith("FX_") and len(name) == 9:
            out[i] = (name[3:6], name[6:9])
    return out


def sensitivity_frame(bp: BoundPortfolio, *, bucket_required: bool = True) -> pd.DataFrame:
    """Sensitivities of a bound portfolio in CRIF layout (before PortfolioID / USD columns).

    Parameters
    ----------
    bp : BoundPortfolio
    bucket_required : bool
        Raise if a trade of a product with SIMM buckets has none. Default True.

    Returns
    -------
    pandas.DataFrame
        Columns ``TradeID, ProductClass, RiskType, Qualifier, Bucket, Label1, Label2, Amount,
        AmountCurrency``; one row per trade and risk factor with a non-zero amount.
    """
    x0 = bp.base_state
    n_f = bp.n_factors
    trades = bp.trades
    ip, fp = bp.ip, bp.fp
    # ---- the bumped states (rows: up, down per bump)
    bumps: list[tuple[str, Any]] = []
    states: list[np.ndarray] = []

    def add(kind: str, key: Any, up: np.ndarray, down: np.ndarray) -> None:
        bumps.append((kind, key))
        states.extend([up, down])

    for ccy, (idx, _, labels) in bp.curves.items():
        for i, lab in zip(idx, labels):
            up, dn = x0.copy(), x0.copy()
            up[i] += IR_BUMP
            dn[i] -= IR_BUMP
            add("IR", (ccy, lab), up, dn)
    spot_kind = {}  # spot factor -> its bump: absolute (spreads) or relative (prices)
    for j, t in enumerate(trades):
        s = ip[j, K.I_SPOT]
        if s >= 0 and t.SPOT_RISK is not None:
            spot_kind[s] = "ABS" if t.SPOT_RISK in _ABSOLUTE_SPOT else "REL"
    for s, kind in spot_kind.items():
        up, dn = x0.copy(), x0.copy()
        if kind == "ABS":
            up[s] += IR_BUMP
            dn[s] -= IR_BUMP
        else:
            up[s] *= 1.0 + RELATIVE_BUMP
            dn[s] *= 1.0 - RELATIVE_BUMP
        add(kind, s, up, dn)
    pairs = _pairs(bp)
    currencies = sorted({c for p in pairs.values() for c in p} - {"USD"})
    for c in currencies:
        up, dn = x0.copy(), x0.copy()
        for i, (base, quote) in pairs.items():
            if base == c:
                up[i] *= 1.0 + RELATIVE_BUMP
                dn[i] *= 1.0 - RELATIVE_BUMP
            elif quote == c:
                up[i] /= 1.0 + RELATIVE_BUMP
                dn[i] /= 1.0 - RELATIVE_BUMP
        add("FX", c, up, dn)
    if states:
        pv = bp.pv_states(np.vstack(states).reshape(-1, n_f))
        diff = 0.5 * (pv[0::2] - pv[1::2])  # (n_bumps, n_trades), USD
    else:
        diff = np.zeros((0, len(trades)))
    # vega: bump the volatility multiplier of every option
    opt = ip[:, K.I_KIND] == K.BLACK
    fp_up, fp_dn = fp.copy(), fp.copy()
    fp_up[opt, K.F_VOL] *= 1.0 + VOL_BUMP
    fp_dn[opt, K.F_VOL] *= 1.0 - VOL_BUMP
    v_up = K.pv_kernel(x0, bp.arrays._replace(fp=fp_up))
    v_dn = K.pv_kernel(x0, bp.arrays._replace(fp=fp_dn))
    sigma = fp[:, K.F_VOL] * np.where(ip[:, K.I_VOL] >= 0, x0[np.maximum(ip[:, K.I_VOL], 0)],
                                      1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        vega_usd = np.where(opt, (v_up - v_dn) / (2.0 * VOL_BUMP * sigma) * VOL_POINT, 0.0)

    fx0 = {b.currency: _fx_to_usd(bp, x0, b.currency) for b in bp.bindings}
    rows: list[tuple[Any, ...]] = []
    for j, (t, b) in enumerate(zip(trades, bp.bindings)):
        pc = t.product_class
        ccy = b.currency
        bucket = t.bucket if t.BUCKET_TABLE else ""  # type: ignore[attr-defined]
        if bucket is None and bucket_required:
            origin = f"{bp.origins[t.trade_id]}: " if t.trade_id in bp.origins else ""
            raise InputError(
                f"{origin}trade {t.trade_id!r}, field 'bucket': a SIMM bucket is needed for the "
                f"CRIF (give it on the trade or in the portfolio file's "
                f"[buckets.{t.BUCKET_TABLE}] table)"
            )
        for (kind, key), d_usd in zip(bumps, diff[:, j]):
            if d_usd == 0.0:
                continue
            amount = d_usd / fx0[ccy]
            if kind == "IR":
                cur, lab = key
                for label, w in allocate_tenor(_years(lab)):
                    rows.append((t.trade_id, pc, "Risk_IRCurve", cur, "", label,
                                 t.sub_curve, w * amount, ccy))
            elif kind == "FX":  # in USD
                rows.append((t.trade_id, pc, "Risk_FX", key, "", "", "", d_usd, "USD"))
            elif kind == "ABS":  # per bp of the trade's spread, on the credit tenors
                amount /= t.spot_per_factor()
                for label, w in allocate_tenor(b.maturity_years, SIMM_CREDIT_TENORS):
                    rows.append((t.trade_id, pc, t.SPOT_RISK, t.qualifier, bucket, label, "",
                                 w * amount, ccy))
            else:
                rows.append((t.trade_id, pc, t.SPOT_RISK, t.qualifier, bucket, "", "", amount,
                             ccy))
        if opt[j] and vega_usd[j] != 0.0:
            amount = vega_usd[j] / fx0[ccy]
            for label, w in allocate_tenor(b.maturity_years):
                rows.append((t.trade_id, pc, t.VEGA_RISK, t.qualifier, bucket, label, "",
                             w * amount, ccy))
    cols = ["TradeID", "ProductClass", "RiskType", "Qualifier", "Bucket", "Label1", "Label2",
            "Amount", "AmountCurrency"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["Bucket"] = frame["Bucket"].fillna("").astype(str)
    return frame


def _as_bound(portfolio: Portfolio | BoundPortfolio, market: Any, date: object
              ) -> BoundPortfolio:
    if isinstance(portfolio, BoundPortfolio):
        return portfolio
    return bind(portfolio, market, date)


def to_crif(portfolio: Portfolio | BoundPortfolio, market: Any = None, date: object = None, *,
            schedule: bool = False, im_model: str = "SIMM",
            credit_indices: str = "look_through") -> pd.DataFrame:
    """ISDA CRIF of a portfolio's sensitivities on a valuation date.

    Parameters
    ----------
    portfolio : Portfolio or BoundPortfolio
        The trades (bound to ``market`` on ``date`` unless already bound).
    market : RiskFactorHistory
        Market history (ignored for a BoundPortfolio).
    date : date-like, optional
        Valuation date (default the market's last date).
    schedule : bool
        Also append the standardised-schedule rows (``IMModel = Schedule``, RiskType ``PV``
        and ``Notional`` per trade, with ``EndDate``). Default False.
    im_model : str
        ``IMModel`` of the sensitivity rows. Default ``"SIMM"``.
    credit_indices : {"look_through", "index"}
        Index CDS (``index = true``): looked through to their constituents in their SIMM
        buckets, as SIMM's issuer risk factors ask (default; see
        :mod:`imresearch.portfolio.credit_indices`), or kept at index level in the trade's bucket.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CRIF_COLUMNS`; ``PortfolioID`` is the trade's netting set (or the
        portfolio name), ``TradeType`` the trade type, ``EndDate`` the maturity / expiry.

    Raises
    ------
    InputError
        From binding, or an equity / credit / commodity trade without a SIMM bucket.
    """
    check_choice("credit_indices", credit_indices, ("look_through", "index"))
    bp = _as_bound(portfolio, market, date)
    frame = sensitivity_frame(bp)
    if credit_indices == "look_through":
        indices = {t.trade_id: str(getattr(t, "reference", "")) for t in bp.trades
                   if getattr(t, "index", False)}
        frame = look_through(frame, indices)
    info = _trade_info(bp)
    frame = frame.merge(info[["TradeID", "PortfolioID", "TradeType", "EndDate"]],
                        on="TradeID", how="left")
    x0 = bp.base_state
    rates = {c: _fx_to_usd(bp, x0, c) for c in frame["AmountCurrency"].unique()}
    frame["AmountUSD"] = frame["Amount"] * frame["AmountCurrency"].map(rates).astype(float)
    frame["IMModel"] = im_model
    frame["CollectRegulations"] = ""
    frame["PostRegulations"] = ""
    frame = frame[list(CRIF_COLUMNS)]
    if schedule:
        frame = pd.concat([frame, _schedule_rows(bp, info)], ignore_index=True)
    return frame.reset_index(drop=True)


def _trade_info(bp: BoundPortfolio) -> pd.DataFrame:
    name = bp.portfolio_name
    pv = bp.pv_state(bp.base_state)
    x0 = bp.base_state
    rows = []
    for j, (t, b) in enumerate(zip(bp.trades, bp.bindings)):
        end = t.end_date
        spot = bp.base_levels[bp.ip[j, K.I_SPOT]] if bp.ip[j, K.I_SPOT] >= 0 else math.nan
        notional = t.schedule_notional(spot)
        rows.append({
            "TradeID": t.trade_id,
            "PortfolioID": t.netting_set or name,
            "TradeType": t.TYPE,
            "EndDate": "" if end is None else f"{end:%Y-%m-%d}",
            "asset_class": t.schedule_class,
            "currency": b.currency,
            "notional": notional,
            "notional_usd": notional * _fx_to_usd(bp, x0, t.notional_currency(b.currency)),
            "pv_usd": pv[j],
            "maturity_years": b.maturity_years,
            "counterparty": t.counterparty,
            "prime_broker": t.prime_broker,
        })
    return pd.DataFrame(rows)


def schedule_inputs(portfolio: Portfolio | BoundPortfolio, market: Any = None,
                    date: object = None) -> pd.DataFrame:
    """Inputs of the BCBS-IOSCO standardised schedule, one row per trade.

    Returns
    -------
    pandas.DataFrame
        Columns ``TradeID, PortfolioID, TradeType, asset_class`` (Rates, FX, Credit, Equity,
        Commodity), ``currency``, ``notional`` (in the notional currency: the base currency for
        FX, the PV currency otherwise; spot x quantity for equity and commodity positions,
        forwards and options), ``notional_usd``, ``pv_usd``, ``EndDate``, ``maturity_years``
        (residual, ACT/365F; 0 for cash equity), ``counterparty``, ``prime_broker``.
    """
    bp = _as_bound(portfolio, market, date)
    return _trade_info(bp)


def _schedule_rows(bp: BoundPortfolio, info: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in info.itertuples(index=False):
        for rt, amount in (("PV", r.pv_usd), ("Notional", r.notional_usd)):
            rows.append({
                "TradeID": r.TradeID, "PortfolioID": r.PortfolioID,
                "ProductClass": r.asset_class, "RiskType": rt, "Qualifier": "", "Bucket": "",
                "Label1": "", "Label2": "", "Amount": amount, "AmountCurrency": "USD",
                "AmountUSD": amount, "IMModel": "Schedule", "TradeType": r.TradeType,
                "EndDate": r.EndDate, "CollectRegulations": "", "PostRegulations": "",
            })
    return pd.DataFrame(rows, columns=list(CRIF_COLUMNS))
