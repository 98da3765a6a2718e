"""Credit indices looked through to their constituents for the SIMM CRIF.

ISDA SIMM's credit-qualifying risk factors are issuers: the delta of an index CDS belongs to the
index's constituents, each in the SIMM bucket of its sector and rating. Put at index level in the
Residual bucket instead, an investment-grade index gets the Residual risk weight (the largest of
the class, 423 bp in 2.8+2512) with no diversification between its 125 names.

:func:`look_through` replaces the ``Risk_CreditQ`` rows of index trades by rows per constituent,
from the decomposition in ``portfolio/data/credit_indices.toml`` (constituents per SIMM bucket,
equal weights; the market data have only the index spread). The SIMM of the looked-through rows
is the SIMM of a basket of single names: in a bucket of ``m`` names of an index with ``n`` names,
``K_b = RW_b |D| / n * sqrt(m + rho m (m - 1))`` for an index delta ``D``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

from imresearch.errors import InputError

try:  # Python >= 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

__all__ = ["CreditIndex", "credit_index", "credit_indices", "look_through"]


@dataclass(frozen=True)
class CreditIndex:
    """An index's constituents per SIMM credit-qualifying bucket (equal weights).

    Attributes
    ----------
    name, title : str
    aliases : tuple of str
        Other names of the index (matched ignoring case).
    buckets : Mapping[str, int]
        Number of constituents per SIMM bucket; they sum to the number of constituents.
    """

    name: str
    title: str
    aliases: tuple[str, ...]
    buckets: Mapping[str, int]

    @property
    def constituents(self) -> int:
        """Number of constituents."""
        return int(sum(self.buckets.values()))

    def names(self) -> list[tuple[str, str]]:
        """(constituent name, SIMM bucket) of every constituent."""
        return [(f"{self.name}#{b}.{k:03d}", b) for b, m in self.buckets.items()
                for k in range(1, m + 1)]


@functools.cache
def credit_indices() -> dict[str, CreditIndex]:
    """The credit indices with a decomposition, by name."""
    raw = tomllib.loads(resources.files("imresearch.portfolio").joinpath(
        "data", "credit_indices.toml").read_text(encoding="utf-8"))
    out = {}
    for name, d in raw.items():
        buckets = {str(b): int(m) for b, m in d["buckets"].items()}
        if sum(buckets.values()) != int(d["constituents"]):
            raise InputError(f"credit_indices.toml [{name}]: the bucket counts sum to "
                             f"{sum(buckets.values())}, not {d['constituents']} constituents")
        out[name] = CreditIndex(name, str(d["title"]), tuple(d.get("aliases", ())), buckets)
    return out


def credit_index(name: str) -> CreditIndex | None:
    """The index of a name or alias (ignoring case), or None."""
    key = str(name).strip().upper()
    for idx in credit_indices().values():
        if key == idx.name.upper() or key in (a.upper() for a in idx.aliases):
            return idx
    return None


def look_through(frame: pd.DataFrame, index_trades: Mapping[str, str]) -> pd.DataFrame:
    """CRIF rows with each index trade's ``Risk_CreditQ`` rows replaced by its constituents'.

    Parameters
    ----------
    frame : DataFrame
        Sensitivity rows (``TradeID, RiskType, Qualifier, Bucket, Label1, Amount`` ...).
    index_trades : mapping of TradeID to index name
        The trades on an index.

    Returns
    -------
    DataFrame
        The same columns; an index trade's row of delta ``D`` at a tenor becomes one row per
        constituent with ``D / n`` in the constituent's bucket (Qualifier
        ``"<index>#<bucket>.<k>"``). The sum of the amounts is unchanged.

    Raises
    ------
    InputError
        An index with no decomposition (the message names the trade and the known indices).
    """
    if not index_trades:
        return frame
    sel = frame["TradeID"].isin(list(index_trades)) & (frame["RiskType"] == "Risk_CreditQ")
    if not sel.any():
        return frame
    parts = [frame[~sel]]
    for trade_id, rows in frame[sel].groupby("TradeID", sort=False):
        idx = credit_index(index_trades[str(trade_id)])
        if idx is None:
            raise InputError(
                f"trade {trade_id!r}: credit index {index_trades[str(trade_id)]!r} has no "
                f"constituent decomposition (known: {', '.join(credit_indices())}); add it to "
                f"portfolio/data/credit_indices.toml or use credit_indices='index'")
        names = idx.names()
        n = len(names)
        rep = rows.loc[rows.index.repeat(n)].copy()
        rep["Qualifier"] = np.tile([q for q, _ in names], len(rows))
        rep["Bucket"] = np.tile([b for _, b in names], len(rows))
        rep["Amount"] = rep["Amount"].to_numpy() / n
        parts.append(rep)
    return pd.concat(parts, ignore_index=True)
