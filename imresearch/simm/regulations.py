"""SIMM under each applicable regulation and the worst (largest) of them."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from imresearch.errors import InputError, check_choice
from imresearch.simm.calculator import Side, simm
from imresearch.simm.crif import read_crif
from imresearch.simm.parameters import DEFAULT_VERSION
from imresearch.simm.result import SimmResult

__all__ = ["UNSPECIFIED", "WorstOfResult", "simm_worst_of"]

UNSPECIFIED = "Unspecified"


@dataclass(frozen=True)
class WorstOfResult:
    """Result of :func:`simm_worst_of`.

    Attributes
    ----------
    total : float
        Sum over groups of the margin under each group's winning (largest) regulation.
    winning : DataFrame
        Per group: ``regulation`` (the winner) and ``InitialMargin``.
    by_regulation : Series
        Margin per group and regulation (index: group columns + ``Regulation``).
    result : SimmResult
        The full calculation, grouped by the group columns and the side's regulation column
        (``CollectRegulations`` or ``PostRegulations``, holding one regulation per group).
    """

    total: float
    winning: pd.DataFrame
    by_regulation: pd.Series
    result: SimmResult


def simm_worst_of(
    crif: str | os.PathLike[str] | pd.DataFrame,
    version: str = DEFAULT_VERSION,
    mpor_days: int = 10,
    side: Side = "call",
    calculation_currency: str = "USD",
    *,
    fx_rates: Mapping[str, float] | None = None,
    group_by: str | Sequence[str] | None = None,
    regulations: Sequence[str] | None = None,
    exclude_regulations: Sequence[str] = (),
) -> WorstOfResult:
    """SIMM under each applicable regulation and the worst (largest) of them.

    Each CRIF row applies under the regulations listed in its ``collect_regulations`` (call side)
    or ``post_regulations`` (post side) column, a comma-separated list such as ``"ESA,USPR"``.
    SIMM is computed per regulation from the rows (sensitivities and add-on parameters) that list
    it, and the regulation with the largest margin wins. Rows listing no regulation form the
    regulation ``"Unspecified"``, which only competes when no row names a regulation.

    Parameters
    ----------
    crif, version, mpor_days, side, calculation_currency, fx_rates, group_by
        As in :func:`simm`.
    regulations : sequence of str, optional
        Consider only these regulations (e.g. ``["SEC-unseg"]`` for the SEC unsegregated view).
    exclude_regulations : sequence of str, default ()
        Regulations not considered (e.g. ``["SEC-unseg"]`` for the SEC segregated view).

    Returns
    -------
    WorstOfResult

    Raises
    ------
    InputError
        If no row applies under the regulations considered.
    """
    side_l = check_choice("side", str(side).lower(), ("call", "post"))
    table = read_crif(crif, fx_rates=fx_rates, version=version)
    column = "CollectRegulations" if side_l == "call" else "PostRegulations"
    regs = table[column].str.replace(" ", "", regex=False).str.split(",")
    # one row per (row, regulation): the side's column then holds a single regulation
    exploded = table.assign(**{column: regs}).explode(column)
    exploded[column] = exploded[column].fillna("").replace("", UNSPECIFIED)
    exploded = exploded.reset_index(names="_row").drop_duplicates(["_row", column])
    exploded = exploded.drop(columns="_row")
    keep = ~exploded[column].isin(list(exclude_regulations))
    if regulations is not None:
        keep &= exploded[column].isin(list(regulations))
    exploded = exploded[keep]
    if exploded.empty:
        raise InputError(f"no CRIF row applies under the regulations considered "
                         f"(regulations={regulations!r}, exclude={list(exclude_regulations)!r})")
    group_cols = [group_by] if isinstance(group_by, str) else list(group_by or [])
    named = exploded[column] != UNSPECIFIED
    if group_cols:
        has_named = named.groupby([exploded[c] for c in group_cols]).transform("any")
    else:
        has_named = pd.Series(bool(named.any()), index=exploded.index)
    exploded = exploded[named | ~has_named].reset_index(drop=True)
    result = simm(exploded, version=version, mpor_days=mpor_days, side=side_l,  # type: ignore[arg-type]
                  calculation_currency=calculation_currency, fx_rates=fx_rates,
                  group_by=[*group_cols, column])
    by_reg = result.totals.rename_axis([*group_cols, "Regulation"])
    frame = by_reg.reset_index()
    best = frame.loc[frame.groupby(group_cols)["InitialMargin"].idxmax()] if group_cols else \
        frame.loc[[frame["InitialMargin"].idxmax()]]
    winning = best.rename(columns={"Regulation": "regulation"}).reset_index(drop=True)
    return WorstOfResult(
        total=float(winning["InitialMargin"].sum()),
        winning=winning,
        by_regulation=by_reg,
        result=result,
    )
