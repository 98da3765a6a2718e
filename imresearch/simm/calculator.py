"""ISDA SIMM initial margin from CRIF sensitivities.

The public function :func:`simm` validates the CRIF (:func:`~imresearch.simm.crif.parse_crif`)
and computes, for every netting set at once:

* delta, vega, curvature and base-correlation margins of the six risk classes, with
  concentration risk factors, the intra-bucket correlations (with the ``f_kl`` / ``g_bc``
  concentration adjustments), inter-bucket aggregation and the residual buckets;
* the curvature ``lambda(theta)`` adjustment and the ``HVR_IR ** -2`` interest-rate scaling;
* product-class margins ``sqrt(sum psi_rs K_r K_s)`` and their sum;
* add-ons: product-class multipliers, notional factors and fixed amounts.

Everything is array-based: the CRIF's text columns are factorized once into integer codes
(:class:`~imresearch.simm.crif.Codes`), parameters are looked up once per distinct value, risk
factors, buckets and netting sets are integer keys, and every sum is a group-wise ``bincount``
over all portfolios together (``group_by="PortfolioID"``), with batched quadratic forms per bucket.
Every weight, correlation and threshold comes from
:func:`~imresearch.simm.parameters.load_parameters`.

The risk-class margins are in :mod:`imresearch.simm._riskclasses` (on the group-wise helpers of
:mod:`imresearch.simm._groups`), the margin tree and add-ons in :mod:`imresearch.simm.result`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from imresearch._typing import Float64Array1D
from imresearch.errors import InputError, check_choice
from imresearch.simm._codes import Codes
from imresearch.simm._groups import group
from imresearch.simm._riskclasses import (
    Margins,
    Rows,
    base_correlation_margin,
    bucketed_class_margin,
    fx_margin,
    interest_rate_margin,
)
from imresearch.simm.crif import (
    CRIF_COLUMNS,
    RISK_TYPES,
    SENSITIVITY_RISK_TYPES,
    fx_rate_table,
    parse_crif,
    risk_type_code,
)
from imresearch.simm.parameters import DEFAULT_VERSION, SimmParameters, load_parameters
from imresearch.simm.result import MARGIN_TYPES, SimmResult, assemble

__all__ = ["MARGIN_TYPES", "SimmResult", "simm"]

Side = Literal["call", "post"]


def simm(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str | SimmParameters = DEFAULT_VERSION,
    mpor_days: int = 10,
    side: Side = "call",
    calculation_currency: str = "USD",
    *,
    fx_rates: Mapping[str, float] | None = None,
    group_by: str | Sequence[str] | None = None,
) -> SimmResult:
    """ISDA SIMM initial margin of a CRIF.

    Parameters
    ----------
    crif : path-like or DataFrame
        CRIF file or table (see :func:`~imresearch.simm.crif.read_crif`). Rows with
        ``IMModel == "Schedule"`` are ignored. Without ``group_by`` all rows form one netting
        set, whatever their PortfolioID.
    version : str or SimmParameters, default "2.8+2512"
        SIMM version (see :data:`~imresearch.simm.parameters.VERSIONS`; ORE's aliases
        accepted), or a parameter set (e.g. from
        :func:`~imresearch.simm.calibration.recalibrated_parameters`).
    mpor_days : {10, 1}, default 10
        Margin period of risk (1-day SIMM from version 2.2).
    side : {"call", "post"}, default "call"
        ``"call"``: margin collected (amounts as given); ``"post"``: margin posted (sensitivities
        negated).
    calculation_currency : str, default "USD"
        Currency of the result. FX delta to this currency is ignored, its FX volatility group
        selects the FX weights and correlations, and thresholds and amounts are converted with
        ``fx_rates``.
    fx_rates : Mapping[str, float], optional
        USD value of one unit of each currency. Needed for a calculation currency other than USD
        and to fill blank ``AmountUSD`` values.
    group_by : str or sequence of str, optional
        CRIF column(s), e.g. ``"PortfolioID"``, whose values are separate netting sets.

    Returns
    -------
    SimmResult
        ``.total`` (float), ``.totals`` per group and ``.breakdown`` (DataFrame).

    Raises
    ------
    InputError
        For invalid CRIF content or arguments (unknown version, side, MPOR, a missing FX rate).
    """
    side_l = check_choice("side", str(side).lower(), ("call", "post"))
    if isinstance(version, SimmParameters):  # e.g. a recalibrated parameter set
        params = version
        if params.mpor_days != mpor_days:
            raise InputError(f"mpor_days={mpor_days!r} but the parameters given are for "
                             f"{params.mpor_days}-day SIMM")
    else:
        params = load_parameters(version, mpor_days)
    calc = str(calculation_currency).upper()
    if len(calc) != 3 or not calc.isalpha():
        raise InputError(f"calculation_currency must be an ISO currency code; got "
                         f"{calculation_currency!r}")
    if calc == "USD":
        fx = 1.0
    else:
        fx = fx_rate_table(fx_rates).get(calc, float("nan"))
        if not (np.isfinite(fx) and fx > 0):
            raise InputError(
                f"calculation_currency {calc!r} needs fx_rates[{calc!r}] (USD per unit)"
            )
    group_cols = (group_by,) if isinstance(group_by, str) else tuple(group_by or ())
    parsed = parse_crif(crif, fx_rates=fx_rates, trade_ids="TradeID" in group_cols,
                        version=params.version)
    columns = dict(parsed.columns)
    for col in group_cols:
        if col not in CRIF_COLUMNS:
            raise InputError(f"group_by column {col!r} is not a CRIF column; use one of "
                             f"{', '.join(CRIF_COLUMNS)}")
        if col in ("Amount", "AmountUSD"):
            values = parsed.amount if col == "Amount" else parsed.amount_usd
            codes, uniques = pd.factorize(values)
            columns[col] = Codes(codes.astype(np.int64), np.asarray(uniques, dtype=object))
    model = columns["IMModel"]
    keep = ~model.table(lambda v: v == "Schedule", bool)[model.codes]
    rows = np.flatnonzero(keep) if not keep.all() else None

    def col(name: str) -> Codes:
        c = columns[name]
        return c if rows is None else c.take(rows)

    def num(values: Float64Array1D) -> Float64Array1D:
        return values if rows is None else values[rows]

    # amounts in the calculation currency; the post side negates sensitivities
    amount = num(parsed.amount_usd) / fx
    if calc != "USD":
        ccy = col("AmountCurrency")
        own = ccy.table(lambda v: v == calc, bool)[ccy.codes]
        amount = np.where(own, num(parsed.amount), amount)
    rt = col("RiskType").codes
    sens_table = np.zeros(len(RISK_TYPES), dtype=bool)
    sens_table[risk_type_code(*SENSITIVITY_RISK_TYPES)] = True
    is_sens = sens_table[rt]
    if side_l == "post":
        amount = np.where(is_sens, -amount, amount)
    # groups
    n_rows = amount.size
    if group_cols:
        keys = [col(c) for c in group_cols]
        gcodes, gfirst = group(*[k.codes for k in keys])
        gkeys = pd.DataFrame({c: pd.Series(k.values[k.codes[gfirst]], dtype=str)
                              for c, k in zip(group_cols, keys, strict=True)})
    else:
        gcodes = np.zeros(n_rows, dtype=np.int64)
        gkeys = pd.DataFrame(index=[0])
    n_groups = len(gkeys) if group_cols else 1  # no rows, no groups
    sens = np.flatnonzero(is_sens)
    pc = col("ProductClass")
    node, nfirst = group(gcodes[sens], pc.codes[sens])
    node_group = gcodes[sens][nfirst]
    node_pc = pc.values[pc.codes[sens][nfirst]]
    n_nodes = len(nfirst)
    out = Margins(n_nodes)
    if n_nodes:
        d = Rows(node, rt[sens], col("Qualifier").take(sens), col("Bucket").take(sens),
                  col("Label1").take(sens), col("Label2").take(sens), amount[sens])
        interest_rate_margin(d, params, n_nodes, out, fx)
        for rc in ("CreditQualifying", "CreditNonQualifying", "Equity", "Commodity"):
            bucketed_class_margin(d, params, n_nodes, out, fx, rc)
        base_correlation_margin(d, params, n_nodes, out)
        fx_margin(d, params, n_nodes, out, fx, calc)
    other = np.flatnonzero(~is_sens)
    addons = pd.DataFrame({
        "RiskType": np.asarray(RISK_TYPES, dtype=object)[rt[other]],
        "group": gcodes[other],
        "Qualifier": col("Qualifier").take(other).dense(),
        "amount": amount[other],
    })
    result = assemble(addons, params, out, node_group, node_pc, gkeys, group_cols, n_groups,
                     side_l, calc)
    _check_finite(result)
    return result


def _check_finite(result: SimmResult) -> None:
    """SIMM is never NaN or infinite: overflowing amounts are an input error."""
    values = result.totals.to_numpy()
    bad = np.flatnonzero(~np.isfinite(values))
    margins = result.breakdown["InitialMargin"].to_numpy()
    if bad.size or not np.isfinite(margins).all():
        i = int(bad[0]) if bad.size else 0
        where = f" of netting set {result.totals.index[i]!r}" if result.group_by else ""
        raise InputError(f"SIMM{where} is not finite ({values[i]!r}): the CRIF amounts are too "
                         f"large for double precision")
