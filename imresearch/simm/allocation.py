"""Allocating SIMM to trades: Euler (gradient) contributions, incremental and standalone IM.

All what-if portfolios are evaluated in one vectorised :func:`~imresearch.simm.simm` call: the
CRIF is replicated once per scenario (base, each trade bumped up and down, each trade removed,
each trade alone) with a scenario label as netting set, so the cost is one pass over
``(3 n_trades + 1) x n_rows`` CRIF rows.

Euler contributions ``c_t = d IM(lambda) / d lambda_t`` at ``lambda = 1`` (central differences)
sum to the total exactly when the margin is positively homogeneous in the sensitivities, i.e.
when no concentration factor is active and there are no fixed add-ons; otherwise their sum
differs from the total, and the difference is reported as ``unallocated``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch.errors import InputError
from imresearch.simm.calculator import simm
from imresearch.simm.crif import SENSITIVITY_RISK_TYPES, read_crif
from imresearch.simm.parameters import DEFAULT_VERSION

__all__ = ["SimmAllocation", "simm_allocation"]


@dataclass(frozen=True)
class SimmAllocation:
    """Per-trade SIMM contributions of one netting set.

    Attributes
    ----------
    by_trade : DataFrame
        Indexed by the units of allocation: ``euler`` (gradient contribution, sums to the total
        when the margin is homogeneous), ``incremental`` (total minus the margin without the
        unit), ``standalone`` (margin of the unit alone).
    total : float
        SIMM of the netting set.
    unallocated : float
        ``total`` minus the sum of the Euler contributions (concentration, add-ons).
    """

    by_trade: pd.DataFrame
    total: float
    unallocated: float


def simm_allocation(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str = DEFAULT_VERSION,
    mpor_days: int = 10,
    side: str = "call",
    calculation_currency: str = "USD",
    *,
    by: str = "TradeID",
    fx_rates: Mapping[str, float] | None = None,
    relative_step: float = 1e-4,
) -> SimmAllocation:
    """Per-trade SIMM contributions of one netting set.

    Parameters
    ----------
    crif : path-like or DataFrame
        CRIF of one netting set (all rows are pooled, whatever their PortfolioID).
    version, mpor_days, side, calculation_currency, fx_rates
        As in :func:`~imresearch.simm.simm`.
    by : str, default "TradeID"
        CRIF column whose values are the units of allocation. Rows with a blank value (e.g.
        product-class multipliers) are not allocated and stay in every what-if portfolio.
    relative_step : float, default 1e-4
        Relative bump of a trade's sensitivities for the central-difference derivative.

    Returns
    -------
    SimmAllocation
        ``by_trade`` indexed by the values of ``by`` (``euler``, ``incremental``,
        ``standalone``), the ``total`` and the part of it the Euler contributions leave
        ``unallocated``.

    Raises
    ------
    InputError
        If ``by`` is not a CRIF column, no row has a value in it, or ``relative_step`` is not in
        (0, 0.5).
    """
    if not (0.0 < relative_step < 0.5):
        raise InputError(f"relative_step must be in (0, 0.5); got {relative_step!r}")
    table = read_crif(crif, fx_rates=fx_rates, version=version)
    if by not in table.columns:
        raise InputError(f"by={by!r} is not a CRIF column; use one of {', '.join(table.columns)}")
    units = table[by].to_numpy(object)
    names = pd.unique(units[units != ""])
    if len(names) == 0:
        raise InputError(f"no CRIF row has a value in column {by!r}")
    scalable = table["RiskType"].isin([*SENSITIVITY_RISK_TYPES, "Notional"]).to_numpy()
    frames = [table.assign(_scenario="base")]
    for kind, factor in (("up", 1 + relative_step), ("down", 1 - relative_step)):
        for name in names:
            scale = np.where((units == name) & scalable, factor, 1.0)
            frames.append(table.assign(_scenario=f"{kind}\x1f{name}",
                                       AmountUSD=table["AmountUSD"].to_numpy() * scale,
                                       Amount=table["Amount"].to_numpy() * scale))
    for name in names:
        frames.append(table[units != name].assign(_scenario=f"without\x1f{name}"))
        alone = (units == name) | (units == "")
        frames.append(table[alone].assign(_scenario=f"alone\x1f{name}"))
    big = pd.concat(frames, ignore_index=True)
    big["PortfolioID"] = big.pop("_scenario")
    totals = simm(big, version=version, mpor_days=mpor_days, side=side,  # type: ignore[arg-type]
                  calculation_currency=calculation_currency, fx_rates=fx_rates,
                  group_by="PortfolioID").totals
    total = float(totals.get("base", 0.0))

    def pick(kind: str) -> np.ndarray:
        keys = [f"{kind}\x1f{name}" for name in names]
        return totals.reindex(keys).fillna(0.0).to_numpy()

    euler = (pick("up") - pick("down")) / (2 * relative_step)
    out = pd.DataFrame(
        {"euler": euler, "incremental": total - pick("without"), "standalone": pick("alone")},
        index=pd.Index(names, name=by),
    )
    return SimmAllocation(by_trade=out, total=total, unallocated=total - float(euler.sum()))
