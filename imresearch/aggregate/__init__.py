"""Aggregate initial margin: per netting set, both directions, thresholds, MTA, calls, scope.

>>> from imresearch.aggregate import aggregate_im, aggregate_im_series
>>> res = aggregate_im(book, market, "2025-12-31", SimmModel())      # doctest: +SKIP
>>> res.by_netting_set[["counterparty", "im_call", "im_post", "collect", "post"]]  # doctest: +SKIP
>>> res.collect, res.post                                            # doctest: +SKIP

Margin is set per netting set and never netted across netting sets; each netting set has the
IM we collect (``im_call``: the model on our losses) and the IM we post (``im_post``: the model
on the netting set negated). Thresholds are granted per counterparty group and shared by its
netting sets; the minimum transfer amount and rounding apply per netting set
(:mod:`imresearch.aggregate.terms`). Through time the balances are carried from date to date
with variation margin (:mod:`imresearch.aggregate.settlement`). Who is in scope at all is the
AANA phase-in test of :mod:`imresearch.aggregate.scope`.
"""

from imresearch.aggregate.core import (
    AggregateIM,
    AggregateIMSeries,
    aggregate_im,
    aggregate_im_series,
)
from imresearch.aggregate.scope import aana, in_scope, phase_on, scope
from imresearch.aggregate.terms import DEFAULT_MTA, DEFAULT_THRESHOLD, Terms

__all__ = [
    "DEFAULT_MTA",
    "DEFAULT_THRESHOLD",
    "AggregateIM",
    "AggregateIMSeries",
    "Terms",
    "aana",
    "aggregate_im",
    "aggregate_im_series",
    "in_scope",
    "phase_on",
    "scope",
]
