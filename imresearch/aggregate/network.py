"""A generated network of dealers and clients: every relationship a netting set.

:func:`generate_network` draws, for each (dealer, client) relationship, a netting set of trades
from a product set (a template book: the shipped dealer book by default), each trade on a
random side and scaled by a random size, with a seed: the same seed gives the same network.
Each dealer's book holds its netting sets from its own point of view (counterparty: the
client); a client's trades are the same netting sets negated. Clients may belong to
consolidated groups (their IM threshold is then shared). The network is what the system view
(:mod:`imresearch.study.system`) margins through a stress episode.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from imresearch._typing import SeedLike
from imresearch.errors import InputError, check_positive_int
from imresearch.portfolio.portfolio import Portfolio, load_portfolio
from imresearch.portfolio.trades import Trade

__all__ = ["Network", "generate_network"]

#: Fields scaled by a trade's random size (the first a product has).
SIZE_FIELDS = ("notional", "quantity")


@dataclass(frozen=True)
class Network:
    """Dealers, clients and the netting sets between them.

    Attributes
    ----------
    books : dict of str to Portfolio
        Each dealer's book: its netting sets with its clients, from the dealer's point of view
        (``counterparty`` the client, ``counterparty_group`` the client's group).
    relationships : pandas.DataFrame
        One row per netting set (index ``netting_set``): ``dealer``, ``client``, ``group``,
        ``n_trades``.
    seed : int
    template : str
        The product set the trades were drawn from.
    """

    books: dict[str, Portfolio]
    relationships: pd.DataFrame
    seed: int
    template: str

    @property
    def n_netting_sets(self) -> int:
        return len(self.relationships)

    @property
    def n_trades(self) -> int:
        return int(self.relationships["n_trades"].sum())

    def client_book(self, client: str) -> Portfolio:
        """A client's trades with every dealer, from the client's point of view (negated;
        ``counterparty`` the dealer)."""
        trades = [dataclasses.replace(t.negated(), counterparty=dealer,
                                      counterparty_group=dealer)
                  for dealer, book in self.books.items() for t in book if t.counterparty == client]
        if not trades:
            raise InputError(f"client {client!r} has no netting set in the network")
        return Portfolio(tuple(trades), client)


def _scaled(trade: Trade, factor: float) -> Trade:
    for name in SIZE_FIELDS:
        if hasattr(trade, name):
            value = float(getattr(trade, name))
            return dataclasses.replace(trade, **{name: float(f"{value * factor:.4g}")})
    return trade


def generate_network(n_dealers: int, n_clients: int, *, trades_per_set: int = 20,
                     density: float = 1.0, template: str | Portfolio = "dealer_book",
                     size_sigma: float = 0.5, group_size: int = 1,
                     seed: SeedLike = 0) -> Network:
    """Draw a network of ``n_dealers`` x ``n_clients`` relationships.

    Parameters
    ----------
    n_dealers, n_clients : int
    trades_per_set : int
        Trades of each netting set, drawn with replacement from the template. Default 20.
    density : float in (0, 1]
        Probability that a dealer and a client trade (each client trades with at least one
        dealer). Default 1 (every pair).
    template : str or Portfolio
        The product set: a shipped example (``"dealer_book"`` on the synthetic market's
        factors, ``"dealer_book_public"`` on the built-in real market's), a portfolio file
        or a Portfolio. Default ``"dealer_book"``.
    size_sigma : float
        Each trade's size (notional or quantity) is multiplied by ``exp(sigma Z)``.
        Default 0.5.
    group_size : int
        Clients per consolidated group (consecutive clients share a group). Default 1.
    seed : int or Generator
    """
    n_dealers = check_positive_int("n_dealers", n_dealers)
    n_clients = check_positive_int("n_clients", n_clients)
    trades_per_set = check_positive_int("trades_per_set", trades_per_set)
    group_size = check_positive_int("group_size", group_size)
    if not 0.0 < float(density) <= 1.0:
        raise InputError(f"density must be in (0, 1]; got {density!r}")
    if not 0.0 <= float(size_sigma) <= 3.0:
        raise InputError(f"size_sigma must be in [0, 3]; got {size_sigma!r}")
    book = template if isinstance(template, Portfolio) else load_portfolio(template)
    products: Sequence[Trade] = book.trades
    rng = np.random.default_rng(seed)
    width = len(str(max(n_dealers, n_clients)))
    dealers = [f"D{i + 1:0{width}d}" for i in range(n_dealers)]
    clients = [f"C{j + 1:0{width}d}" for j in range(n_clients)]
    trades: dict[str, list[Trade]] = {d: [] for d in dealers}
    rows = []
    for j, client in enumerate(clients):
        links = rng.random(n_dealers) < density
        if not links.any():
            links[rng.integers(n_dealers)] = True
        group = f"G{j // group_size + 1:0{width}d}" if group_size > 1 else client
        for i in np.flatnonzero(links):
            dealer, ns = dealers[i], f"{dealers[i]}|{client}"
            picks = rng.integers(0, len(products), trades_per_set)
            flips = rng.random(trades_per_set) < 0.5
            sizes = np.exp(size_sigma * rng.standard_normal(trades_per_set))
            for k, (p, flip, size) in enumerate(zip(picks, flips, sizes, strict=True)):
                t = products[p].negated() if flip else products[p]
                trades[dealer].append(dataclasses.replace(
                    _scaled(t, size), trade_id=f"{ns}|{k + 1}", counterparty=client,
                    netting_set=ns, counterparty_group=group, prime_broker=""))
            rows.append({"netting_set": ns, "dealer": dealer, "client": client,
                         "group": group, "n_trades": trades_per_set})
    books = {d: Portfolio(tuple(ts), d, f"dealer {d}'s netting sets") for d, ts in
             trades.items() if ts}
    table = pd.DataFrame(rows).set_index("netting_set")
    return Network(books=books, relationships=table,
                   seed=seed if isinstance(seed, int) else -1,
                   template=template if isinstance(template, str) else book.name)
