"""Netting structure of a portfolio: netting sets, their counterparties and groups.

A netting set is one margin agreement with one counterparty; a counterparty belongs to one
consolidated group (``counterparty_group``, by default the counterparty itself). Margin is set
per netting set and never netted across netting sets; IM thresholds are set per group.
:func:`netting_structure` reads and checks this structure from the trades' fields, once, and
gives each trade the integer code of its netting set (the kernels' group codes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch._typing import Int64Array
from imresearch.errors import InputError
from imresearch.portfolio.trades import Trade

__all__ = ["NettingStructure", "netting_structure"]


@dataclass(frozen=True)
class NettingStructure:
    """Netting sets of a list of trades.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per netting set (index ``netting_set``, in order of first appearance):
        ``counterparty``, ``group`` (the counterparty group) and ``n_trades``.
    codes : ndarray of shape (n_trades,) int64
        Row of ``table`` of each trade, in the trades' order.
    """

    table: pd.DataFrame
    codes: Int64Array

    @property
    def netting_sets(self) -> pd.Index:
        """Netting set names (index ``netting_set``)."""
        return self.table.index

    @property
    def n_netting_sets(self) -> int:
        return len(self.table)

    @property
    def order(self) -> Int64Array:
        """Trade positions sorted by netting set (stable): each netting set a run of rows."""
        return np.argsort(self.codes, kind="stable")

    def groups(self) -> pd.Index:
        """Counterparty groups, in order of first appearance."""
        return pd.Index(self.table["group"].unique(), name="group")

    def members(self, group: str) -> pd.Index:
        """Netting sets of a counterparty group."""
        return self.table.index[self.table["group"] == group]


def netting_structure(trades: Iterable[Trade]) -> NettingStructure:
    """The netting sets of ``trades`` with their counterparty and group, checked.

    Raises
    ------
    InputError
        A trade without a netting set or a counterparty, a netting set with trades of two
        counterparties, a counterparty in two groups (each naming the trades).
    """
    names: dict[str, int] = {}
    cps: list[tuple[str, str]] = []  # (counterparty, first trade) per netting set
    group_of: dict[str, tuple[str, str]] = {}  # counterparty -> (group, first trade)
    codes: list[int] = []
    counts: list[int] = []
    for t in trades:
        if not t.netting_set:
            raise InputError(f"trade {t.trade_id!r}, field 'netting_set': missing (aggregate IM "
                             "is set per netting set: give every trade a netting_set)")
        if not t.counterparty:
            raise InputError(f"trade {t.trade_id!r}, field 'counterparty': missing (netting set "
                             f"{t.netting_set!r} needs its counterparty)")
        code = names.setdefault(t.netting_set, len(names))
        if code == len(cps):
            cps.append((t.counterparty, t.trade_id))
            counts.append(0)
        elif cps[code][0] != t.counterparty:
            raise InputError(f"netting set {t.netting_set!r}: trades of two counterparties "
                             f"({cps[code][0]!r} in trade {cps[code][1]!r}, {t.counterparty!r} "
                             f"in trade {t.trade_id!r}); a netting set is one agreement with one "
                             "counterparty")
        seen = group_of.setdefault(t.counterparty, (t.counterparty_group, t.trade_id))
        if seen[0] != t.counterparty_group:
            raise InputError(f"counterparty {t.counterparty!r}: two counterparty groups "
                             f"({seen[0]!r} in trade {seen[1]!r}, {t.counterparty_group!r} in "
                             f"trade {t.trade_id!r})")
        codes.append(code)
        counts[code] += 1
    if not codes:
        raise InputError("no trades: a netting structure needs at least one trade")
    table = pd.DataFrame({
        "counterparty": [c for c, _ in cps],
        "group": [group_of[c][0] for c, _ in cps],
        "n_trades": counts,
    }, index=pd.Index(list(names), name="netting_set"))
    return NettingStructure(table=table, codes=np.asarray(codes, dtype=np.int64))
