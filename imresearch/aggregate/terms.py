"""Margin terms of counterparty groups: threshold, minimum transfer amount, rounding.

The IM threshold is granted per counterparty group (the consolidated group pair) and shared by
the group's netting sets: by default in proportion to their IM on each date and side
(``threshold_split = "proportional"``), or equally, or in fixed shares. The minimum transfer
amount (MTA) and rounding apply per netting set (one margin agreement each). On a date with
no prior balance the amount exchanged on one side is::

    x = max(im - allocated_threshold, 0)
    exchanged = round_up(x, rounding) if x >= mta else 0

Defaults (every group, unless ``terms`` says otherwise): threshold USD 50m and MTA USD 500k,
the regulatory maxima (:mod:`imresearch.aggregate.scope`); no rounding; the MTA combined over
IM and VM transfers (the regulations' single MTA).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from imresearch.errors import InputError
from imresearch.portfolio.netting import NettingStructure
from imresearch.schema import from_mapping, to_mapping

__all__ = ["DEFAULT_MTA", "DEFAULT_THRESHOLD", "Terms", "exchanged", "resolve_terms",
           "round_transfer", "threshold_shares"]

DEFAULT_THRESHOLD = 50e6
"""Default IM threshold of a counterparty group, USD (the regulatory maximum)."""
DEFAULT_MTA = 0.5e6
"""Default minimum transfer amount of a netting set, USD (the regulatory maximum)."""
MAX_EURUSD = 1.60
"""Above the highest EURUSD fixing on record (1.599, ECB, 15 July 2008): a USD amount above a
EUR cap at this rate exceeds it at any rate seen."""


def _amount(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value >= 0):
        raise InputError(f"{name} must be a finite number >= 0 (USD); got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Terms:
    """The margin terms of one counterparty group.

    Parameters
    ----------
    threshold : float
        IM threshold of the group, USD, shared by its netting sets. Default 50e6.
    mta : float
        Minimum transfer amount of each netting set, USD. Default 0.5e6.
    rounding : float
        Transfers are multiples of it, USD: deliveries rounded up, returns rounded down (the
        ISDA credit support convention). Default 0 (no rounding).
    regulations : tuple of str
        Regimes whose rules apply to the pair (keys of the rules file: ``"BCBS-IOSCO"``,
        ``"EU"``, ``"US"``); the threshold and the MTA (IM and VM together) may not exceed
        their caps (a EUR cap at the highest EURUSD on record). Default none.
    threshold_split : "proportional", "equal" or mapping of netting set to share
        How the group's threshold is shared by its netting sets: in proportion to each
        netting set's IM (on each date and side), equally, or fixed shares summing to 1.
        Default ``"proportional"``.
    mta_scope : {"combined", "separate"}
        ``"combined"``: a party transfers when the sum of what it owes on one netting set
        (IM delivered or returned, and VM) reaches the MTA; ``"separate"``: each of the IM
        collected, IM posted and VM balances moves when its own change reaches the MTA.
        Default ``"combined"``.
    """

    threshold: float = DEFAULT_THRESHOLD
    mta: float = DEFAULT_MTA
    rounding: float = 0.0
    regulations: tuple[str, ...] = ()
    threshold_split: str | Mapping[str, float] = "proportional"
    mta_scope: Literal["combined", "separate"] = "combined"
    _shares: tuple[tuple[str, float], ...] = field(default=(), init=False, repr=False,
                                                   compare=False)

    def __post_init__(self) -> None:
        from imresearch.aggregate.scope import regimes

        for name in ("threshold", "mta", "rounding"):
            object.__setattr__(self, name, _amount(name, getattr(self, name)))
        if isinstance(self.regulations, str):
            object.__setattr__(self, "regulations", (self.regulations,))
        object.__setattr__(self, "regulations", tuple(self.regulations))
        known = regimes()
        for reg in self.regulations:
            if reg not in known:
                raise InputError(f"regulations: {reg!r} is not a regime of the rules file "
                                 f"({', '.join(known)})")
        if self.mta_scope not in ("combined", "separate"):
            raise InputError(f"mta_scope must be one of 'combined', 'separate'; got "
                             f"{self.mta_scope!r}")
        for reg in self.regulations:
            self._check_caps(known[reg])
        split = self.threshold_split
        if isinstance(split, Mapping):
            shares = {str(k): _amount(f"threshold_split[{k!r}]", v) for k, v in split.items()}
            if not shares or abs(sum(shares.values()) - 1.0) > 1e-9:
                raise InputError(f"threshold_split shares must sum to 1; got "
                                 f"{sum(shares.values())!r} ({shares})")
            object.__setattr__(self, "_shares", tuple(shares.items()))
            object.__setattr__(self, "threshold_split", dict(shares))
        elif split not in ("proportional", "equal"):
            raise InputError(f"threshold_split must be 'proportional', 'equal' or a table of "
                             f"netting set shares; got {split!r}")

    def _check_caps(self, regime: Any) -> None:
        """The regime's caps on the threshold and on the MTA (IM and VM together: three
        times the MTA when separate, as a party may owe on each of the IM collected, IM
        posted and VM balances), in USD at the highest EURUSD rate on record for a regime in
        EUR (the terms carry no FX rate)."""
        rate = 1.0 if regime.currency == "USD" else MAX_EURUSD
        mta_total = self.mta * (3 if self.mta_scope == "separate" else 1)
        for name, value, cap in (("threshold", self.threshold, regime.threshold_max),
                                 ("mta", mta_total, regime.mta_max)):
            if value > cap * rate:
                what = (f"separate IM and VM MTAs 3 x {self.mta:,.0f}" if name == "mta" and
                        self.mta_scope == "separate" else f"{name} {value:,.0f}")
                limit = (f"USD {cap:,.0f}" if rate == 1.0 else
                         f"{regime.currency} {cap:,.0f} (USD {cap * rate:,.0f} at EURUSD "
                         f"{rate:.2f}, the highest on record)")
                raise InputError(f"contradictory terms: {what} exceeds the {regime.key} "
                                 f"maximum of {limit}")

    def __hash__(self) -> int:
        split = self._shares or self.threshold_split
        return hash((self.threshold, self.mta, self.rounding, self.regulations, split,
                     self.mta_scope))

    def to_table(self) -> dict[str, Any]:
        """The terms as plain data (a study-file table)."""
        return {k: v for k, v in to_mapping(self).items() if k != "_shares"}


def _as_terms(value: Terms | Mapping[str, Any], source: str, default: Terms) -> Terms:
    if isinstance(value, Terms):
        return value
    if not isinstance(value, Mapping):
        raise InputError(f"{source} must be Terms or a table of its settings; got "
                         f"{type(value).__name__}")
    table = {"threshold": default.threshold, "mta": default.mta, **value}
    return from_mapping(Terms, table, source=source)


def resolve_terms(structure: NettingStructure, terms: Mapping[str, Any] | None, *,
                  threshold: float = DEFAULT_THRESHOLD, mta: float = DEFAULT_MTA
                  ) -> dict[str, Terms]:
    """The terms of every counterparty group of ``structure``.

    ``terms`` maps a group, or a counterparty (standing for its group), to :class:`Terms` or
    a table of its settings (a table without ``threshold`` or ``mta`` takes ``threshold`` and
    ``mta``); groups it does not name get ``Terms(threshold, mta)``.

    Raises
    ------
    InputError
        A negative or non-finite threshold or MTA, a key that is neither a group nor a
        counterparty of the portfolio, two keys of one group with different terms
        (contradictory), fixed threshold shares naming a netting set of another group.
    """
    default = Terms(threshold=_amount("threshold", threshold), mta=_amount("mta", mta))
    table = structure.table
    group_of_cp = dict(zip(table["counterparty"], table["group"], strict=True))
    groups = list(structure.groups())
    out: dict[str, Terms] = dict.fromkeys(groups, default)
    source: dict[str, str] = {}
    if terms is not None and not isinstance(terms, Mapping):
        raise InputError(f"terms must be a mapping of counterparty group to Terms; got "
                         f"{type(terms).__name__}")
    for key, value in (terms or {}).items():
        key = str(key)
        if key in out:
            group = key
        elif key in group_of_cp:
            group = group_of_cp[key]
        else:
            raise InputError(f"terms: {key!r} is neither a counterparty group nor a "
                             f"counterparty of the portfolio (groups: {', '.join(groups)})")
        given = _as_terms(value, f"terms[{key!r}]", default)
        if group in source and given != out[group]:
            raise InputError(f"group {group!r}: contradictory terms from {source[group]!r} "
                             f"({out[group]}) and {key!r} ({given})")
        out[group], source[group] = given, key
        if given._shares:
            members = set(structure.members(group))
            for ns, _ in given._shares:
                if ns not in members:
                    raise InputError(f"terms[{key!r}]: threshold_split names {ns!r}, not a "
                                     f"netting set of group {group!r} ({sorted(members)})")
    return out


def threshold_shares(im: np.ndarray, group: np.ndarray, n_groups: int,
                     splits: list[Any], names: list[str]) -> np.ndarray:
    """Share of its group's threshold of each netting set (columns) on each date (rows).

    ``im`` (n_dates, n_ns) IM of one side; ``group`` (n_ns,) group codes; ``splits`` the
    ``threshold_split`` of each group; ``names`` the netting sets. Proportional shares fall
    back to equal ones when a group's IM is 0.
    """
    im = np.asarray(im, dtype=np.float64)
    size = np.bincount(group, minlength=n_groups).astype(float)
    equal = np.broadcast_to(1.0 / size[group], im.shape)
    totals = np.zeros((im.shape[0], n_groups))
    for j in range(im.shape[1]):
        totals[:, group[j]] += im[:, j]
    denominator = totals[:, group]
    proportional = np.divide(im, denominator, out=np.array(equal), where=denominator > 0)
    out = np.empty_like(im)
    for j in range(im.shape[1]):
        split = splits[group[j]]
        if isinstance(split, Mapping):
            out[:, j] = split.get(names[j], 0.0)
        else:
            out[:, j] = proportional[:, j] if split == "proportional" else equal[:, j]
    return out


def round_transfer(amount: np.ndarray, delivery: np.ndarray, rounding: np.ndarray
                   ) -> np.ndarray:
    """``amount`` (>= 0) as a multiple of ``rounding``: up for deliveries, down for returns
    (``rounding`` 0: unchanged)."""
    amount = np.asarray(amount, dtype=np.float64)
    r = np.broadcast_to(np.asarray(rounding, dtype=np.float64), amount.shape)
    safe = np.where(r > 0, r, 1.0)
    q = amount / safe
    # a multiple already (to rounding error) stays as it is
    near = np.abs(q - np.round(q)) <= 1e-9 * np.maximum(1.0, np.abs(q))
    steps = np.where(near, np.round(q), np.where(delivery, np.ceil(q), np.floor(q)))
    return np.where(r > 0, steps * safe, amount)


def exchanged(im: np.ndarray, allocated: np.ndarray, mta: np.ndarray,
              rounding: np.ndarray) -> np.ndarray:
    """Amount exchanged on one side with no prior balance (see the module docstring)."""
    x = np.maximum(np.asarray(im, dtype=np.float64) - allocated, 0.0)
    return np.where(x >= mta, round_transfer(x, np.ones(x.shape, bool), rounding), 0.0)
