"""Small books for engine tests."""

from __future__ import annotations

from imresearch.portfolio import load_portfolio
from imresearch.portfolio.trades import Trade


def each_type(per_type: int) -> list[Trade]:
    """The first ``per_type`` trades of every trade type of the built-in dealer book."""
    kinds: dict[str, int] = {}
    picked = []
    for t in load_portfolio("dealer_book").trades:
        if kinds.get(t.TYPE, 0) < per_type:
            kinds[t.TYPE] = kinds.get(t.TYPE, 0) + 1
            picked.append(t)
    return picked
