"""A portfolio bound to a market: the kernels' arrays, PVs and full-revaluation P&L.

:func:`imresearch.portfolio.binding.bind` builds a :class:`BoundPortfolio`; it holds the trades'
arrays for the scalar pricer (:class:`~imresearch.portfolio._kernels.TradeArrays`) and derives
those of the block pricer (:class:`~imresearch.portfolio._kernels.BlockArrays`, per trade or for
a weighted total), which the engines pass to their kernels as one argument.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from imresearch._numba import n_threads
from imresearch._typing import Float64Array, Int64Array
from imresearch.errors import InputError
from imresearch.marketdata.conventions import encode
from imresearch.marketdata.factors import FactorSpec
from imresearch.portfolio import _kernels as K
from imresearch.portfolio.trades import Trade

__all__ = ["BoundPortfolio", "TradeBinding"]

DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class TradeBinding:
    """How one trade is bound to the market.

    Attributes
    ----------
    trade_id : str
    currency : str
        PV currency (converted to USD by ``fx_factor``).
    factors : tuple of str
        Every market factor the trade's PV depends on.
    spot_factor, vol_factor, fx_factor : str or None
        The underlying's price / spread factor, the volatility factor, the PV-currency FX factor.
    curves : tuple of str
        Currencies of the zero curves used.
    maturity_years : float
        Time to the trade's end date (years, ACT/365F; 0 without one).
    """

    trade_id: str
    currency: str
    factors: tuple[str, ...]
    spot_factor: str | None
    vol_factor: str | None
    fx_factor: str | None
    curves: tuple[str, ...]
    maturity_years: float


@dataclass(frozen=True)
class BoundPortfolio:
    """A portfolio resolved against a market on a valuation date: the kernels' inputs.

    Attributes
    ----------
    trades : tuple of Trade
    portfolio_name : str
    date : pandas.Timestamp
        Valuation date (a date of the market history).
    factor_names : list of str
        Market factors the portfolio depends on, in kernel column order.
    factor_specs : dict of str to FactorSpec
    base_levels : ndarray of shape (n_factors,)
        Raw levels on the valuation date.
    scale : ndarray of shape (n_factors,)
        Raw level -> model unit multipliers (e.g. 0.01 for percent rates).
    arrays : TradeArrays
        The trades for the scalar pricer (see :mod:`imresearch.portfolio._kernels`).
    bindings : tuple of TradeBinding
        Per trade: currency and factors used.
    curves : dict of str to (list of factor index, tenor years, tenor labels)
        Zero curves used, by currency.
    origins : dict of str to str
        Where each trade was read (``"book.csv, line 3"``), by trade ID, if known.
    """

    trades: tuple[Trade, ...]
    portfolio_name: str
    date: pd.Timestamp
    factor_names: list[str]
    factor_specs: dict[str, FactorSpec]
    base_levels: Float64Array
    scale: Float64Array
    arrays: K.TradeArrays
    bindings: tuple[TradeBinding, ...]
    curves: dict[str, tuple[list[int], Float64Array, list[str]]]
    origins: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def ip(self) -> Int64Array:
        """Integer trade parameters (n_trades, N_IP)."""
        return self.arrays.ip

    @property
    def fp(self) -> Float64Array:
        """Float trade parameters (n_trades, N_FP)."""
        return self.arrays.fp

    @property
    def trade_ids(self) -> list[str]:
        """Trade IDs in column order of P&L matrices."""
        return [t.trade_id for t in self.trades]

    @property
    def n_trades(self) -> int:
        return len(self.trades)

    @property
    def n_factors(self) -> int:
        return len(self.factor_names)

    @property
    def base_state(self) -> Float64Array:
        """Base market state in model units, shape (n_factors,)."""
        return np.ascontiguousarray(self.base_levels * self.scale)

    @cached_property
    def _block_by_trade(self) -> K.BlockArrays:
        return block_arrays(self, None)

    def block(self, weights: Float64Array | None = None,
              groups: Int64Array | None = None) -> K.BlockArrays:
        """The portfolio for the block pricer (:func:`imresearch.portfolio._kernels.price_block`).

        Without ``weights`` or ``groups`` every trade accumulates into its own row (PV per
        trade); with ``weights`` (n_trades,) everything accumulates into row 0, each trade
        scaled by its weight, and the linear terms of equal (spot, grid point, FX) are merged:
        the portfolio PV costs one term per distinct (factor, grid point, FX) combination.
        With ``groups`` (n_trades,) int64 codes ``0 .. n_groups - 1`` each trade accumulates
        into the row of its group (e.g. its netting set; weights default 1), linear terms
        merged per (group, factor, grid point, FX): the PV of every group in one pass.
        """
        if weights is None and groups is None:
            return self._block_by_trade
        w = np.ones(self.n_trades) if weights is None else np.asarray(weights, dtype=np.float64)
        g = None if groups is None else np.asarray(groups, dtype=np.int64)
        if g is not None and (g.shape != (self.n_trades,) or (g < 0).any()):
            raise InputError(f"groups must be {self.n_trades} codes >= 0; got shape {g.shape}")
        return block_arrays(self, w, g)

    def take(self, rows: slice | Int64Array | list[int], name: str | None = None
             ) -> BoundPortfolio:
        """The trades ``rows`` as a bound portfolio of their own, in the same factor space.

        A view: the market arrays, the discount grid and the dated rows are shared, and the
        trades' parameter rows are NumPy views when ``rows`` is a slice or a run of
        consecutive rows (a copy of those rows otherwise). Engines run on it exactly as on a
        portfolio bound alone, in the factor space of the whole book (its stress window and
        Monte Carlo calibration are the book's).
        """
        a = self.arrays
        if not isinstance(rows, slice):
            idx = np.asarray(rows, dtype=np.int64).reshape(-1)
            if idx.size and (np.diff(idx) == 1).all():
                rows = slice(int(idx[0]), int(idx[-1]) + 1)
        if isinstance(rows, slice):
            picked = range(self.n_trades)[rows]
            ip, fp = a.ip[rows], a.fp[rows]
        else:
            picked = idx.tolist()
            ip, fp = np.ascontiguousarray(a.ip[idx]), np.ascontiguousarray(a.fp[idx])
        if len(picked) == 0:
            raise InputError(f"portfolio {self.portfolio_name!r}: no trades taken")
        return BoundPortfolio(
            trades=tuple(self.trades[i] for i in picked),
            portfolio_name=self.portfolio_name if name is None else name, date=self.date,
            factor_names=self.factor_names, factor_specs=self.factor_specs,
            base_levels=self.base_levels, scale=self.scale, arrays=a._replace(ip=ip, fp=fp),
            bindings=tuple(self.bindings[i] for i in picked), curves=self.curves)

    def split(self, by: str) -> dict[str, BoundPortfolio]:
        """Views (:meth:`take`) of the trades by the value of a trade field (e.g.
        ``"netting_set"``, ``"counterparty"``, ``"counterparty_group"``), in order of first
        appearance; a blank netting set is the portfolio's name, as in CRIF ``PortfolioID``."""
        rows: dict[str, list[int]] = {}
        for j, t in enumerate(self.trades):
            key = str(getattr(t, by, ""))
            if by == "netting_set" and not key:
                key = self.portfolio_name
            rows.setdefault(key, []).append(j)
        return {k: self.take(v) for k, v in rows.items()}

    def pv_state(self, state: Float64Array) -> Float64Array:
        """PV in USD of each trade in a market state of model units, shape (n_trades,)."""
        return K.pv_kernel(np.ascontiguousarray(state, dtype=np.float64), self.arrays)

    def pv_states(self, states: Float64Array) -> Float64Array:
        """PVs in USD, shape (n_states, n_trades), of states of shape (n_states, n_factors)."""
        return K.pv_states_kernel(np.ascontiguousarray(states, dtype=np.float64), self.arrays)

    def pv(self) -> pd.Series:
        """PV in USD of each trade on the valuation date, indexed by trade ID."""
        return pd.Series(self.pv_state(self.base_state), index=pd.Index(self.trade_ids,
                         name="trade_id"), name="pv_usd")

    def conventions(self) -> tuple[Int64Array, Float64Array]:
        """Shock-convention ``(codes, params)`` of the bound factors."""
        return encode([self.factor_specs[f] for f in self.factor_names])

    def _shock_matrix(self, shocks: pd.DataFrame | np.ndarray) -> np.ndarray:
        if isinstance(shocks, pd.DataFrame):
            missing = [f for f in self.factor_names if f not in shocks.columns]
            if missing:
                raise InputError(
                    f"shocks lack factor(s) {missing} that portfolio "
                    f"{self.portfolio_name!r} depends on"
                )
            arr = shocks[self.factor_names].to_numpy(dtype=np.float64)
        else:
            arr = np.asarray(shocks, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.n_factors:
            raise InputError(
                f"shock matrix must have shape (n_scenarios, {self.n_factors}) with columns "
                f"{self.factor_names}; got shape {arr.shape}"
            )
        if not np.isfinite(arr).all():
            raise InputError("shock matrix contains NaN or infinite values")
        return np.ascontiguousarray(arr)

    def _revalue(self, scenarios: pd.DataFrame | np.ndarray, levels_given: bool
                 ) -> pd.DataFrame | np.ndarray:
        arr = self._shock_matrix(scenarios)
        codes, params = self.conventions()
        out = K.reval_block_kernel(np.ascontiguousarray(self.base_levels), arr, codes, params,
                                   np.ascontiguousarray(self.scale), levels_given,
                                   self.n_trades, 4 * n_threads(), self.block()).T
        if isinstance(scenarios, pd.DataFrame):
            return pd.DataFrame(out, index=scenarios.index, columns=pd.Index(self.trade_ids,
                                name="trade_id"), copy=False)
        return out

    def revalue(self, shocks: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """Full-revaluation P&L in USD under shock scenarios.

        Parameters
        ----------
        shocks : pandas.DataFrame or ndarray of shape (n_scenarios, n_factors)
            Shocks under each factor's convention (e.g. ``horizon_shocks(...).frame``); a
            DataFrame is matched by column name (extra columns are ignored), an array must be in
            :attr:`factor_names` order.

        Returns
        -------
        pandas.DataFrame or ndarray of shape (n_scenarios, n_trades)
            P&L ``PV(shocked) - PV(base)`` per scenario and trade (columns: trade IDs, index:
            the shocks' index); an array if ``shocks`` is one.
        """
        return self._revalue(shocks, False)

    def revalue_levels(self, levels: pd.DataFrame | np.ndarray) -> pd.DataFrame | np.ndarray:
        """P&L in USD when the market moves from the base levels to each row of ``levels``.

        Parameters
        ----------
        levels : pandas.DataFrame or ndarray of shape (n_scenarios, n_factors)
            Raw shocked levels (matched by column name for a DataFrame).

        Returns
        -------
        pandas.DataFrame or ndarray of shape (n_scenarios, n_trades)
        """
        return self._revalue(levels, True)


def block_arrays(bp: BoundPortfolio, weights: np.ndarray | None,
                 groups: np.ndarray | None = None) -> K.BlockArrays:
    """The block pricer's arrays of a bound portfolio (see :meth:`BoundPortfolio.block`).

    Rows of the state block: factor ``f``, ``n_f + f`` its inverse, ``2 n_f`` ones; grid rows:
    ``g``, and ``n_grid`` for "no discount factor".
    """
    a = bp.arrays
    ip, fp = a.ip, a.fp
    n_f = bp.n_factors
    one = 2 * n_f
    total = weights is not None

    def srow(f: int, inv: int) -> int:
        return one if f < 0 else int(f) + n_f * int(inv)

    terms: dict[tuple[int, int, int, int], float] = {}
    # options: the signed amount of each (row, option); an option is its pricing inputs, so
    # equal options of many trades (or groups) are priced once per state
    opt_terms: dict[tuple[int, tuple], float] = {}
    cds_i, cds_f = [], []
    rg: list[int] = []
    rc: list[tuple[float, float]] = []
    rd: list[float] = []
    ru: list[int] = []
    for j in range(ip.shape[0]):
        w = 1.0 if weights is None else float(weights[j])
        if w == 0.0:
            continue
        row = int(groups[j]) if groups is not None else (0 if total else j)
        kind = int(ip[j, K.I_KIND])
        sp = srow(ip[j, K.I_SPOT], ip[j, K.I_SPOT_INV])
        fx = srow(ip[j, K.I_FX], ip[j, K.I_FX_INV])
        rows = range(int(ip[j, K.I_CF0]), int(ip[j, K.I_CF0] + ip[j, K.I_NCF]))
        amt = fp[j, K.F_AMOUNT] * fp[j, K.F_SIGN] * w
        if kind == K.LINEAR:
            for k in rows:
                key = (row, sp if a.cf_s[k] == 1 else one, int(a.cf_g[k]), fx)
                terms[key] = terms.get(key, 0.0) + amt * a.cf_c[k]
        elif kind == K.CDS:
            rec = fp[j, K.F_REC]
            cds_i.append([sp, fx, len(rg), len(rg) + len(rows), row])
            cds_f.append([fp[j, K.F_SCALE] / (1.0 - rec) / DAYS_PER_YEAR, 1.0 - rec,
                          fp[j, K.F_COUPON], amt])
            first: dict[int, int] = {}
            prev = 0
            for k in rows:
                gap = int(a.cf_d[k]) - prev
                prev = int(a.cf_d[k])
                ru.append(first.setdefault(gap, len(rd)))
                rd.append(float(gap))
                rg.append(int(a.cf_g[k]))
                half = 0.5 * fp[j, K.F_COUPON]
                rc.append((1.0 - rec - half * float(a.cf_c[k]),
                           1.0 - rec + half * float(a.cf_c[k])))
        else:  # BLACK
            fc, strike = fp[j, K.F_FWD], fp[j, K.F_STRIKE]
            vr = one if ip[j, K.I_VOL] < 0 else int(ip[j, K.I_VOL])
            with np.errstate(divide="ignore", invalid="ignore"):
                lc = np.log(fc) - np.log(strike)
            option = (sp, vr, int(ip[j, K.I_GN]), int(ip[j, K.I_GD]), int(ip[j, K.I_GP]), fx,
                      float(fc), float(lc), float(strike), float(fp[j, K.F_CALL]),
                      float(fp[j, K.F_VOL]), float(fp[j, K.F_SQRT_T]))
            opt_terms[row, option] = opt_terms.get((row, option), 0.0) + amt
    if total:  # drop exact cancellations
        terms = {k: c for k, c in terms.items() if c != 0.0}
        opt_terms = {k: c for k, c in opt_terms.items() if c != 0.0}
    keys = sorted(terms)
    ti = np.array(keys, dtype=np.int64).reshape(-1, 4)
    tk, key = np.unique(ti[:, 1:], axis=0, return_inverse=True)
    # the distinct options in an order of their own (by spot row first: one log per
    # underlying), so a row adds its options in the same order whatever else the book holds;
    # each option's terms (row, amount) in order of appearance
    held: dict[tuple, list[tuple[int, float]]] = {}
    for (row, option), amt in opt_terms.items():
        held.setdefault(option, []).append((row, amt))
    options = sorted(held, key=lambda o: tuple(math.inf if x != x else x for x in o))
    o_terms = [t for o in options for t in held[o]]
    return K.BlockArrays(
        oi=np.array([o[:6] for o in options], dtype=np.int64).reshape(-1, 6),
        of=np.array([o[6:] for o in options], dtype=np.float64).reshape(-1, 6),
        o0=np.cumsum([0] + [len(held[o]) for o in options], dtype=np.int64),
        orow=np.array([r for r, _ in o_terms], dtype=np.int64),
        oamt=np.array([c for _, c in o_terms], dtype=np.float64),
        ti=np.column_stack([ti[:, 0], key.reshape(-1)]).astype(np.int64),
        tc=np.array([terms[k] for k in keys], dtype=np.float64),
        tk=np.ascontiguousarray(tk.reshape(-1, 3), dtype=np.int64),
        ci=np.array(cds_i, dtype=np.int64).reshape(-1, 5),
        cf=np.array(cds_f, dtype=np.float64).reshape(-1, 4),
        rg=np.array(rg, dtype=np.int64), rc=np.array(rc, dtype=np.float64).reshape(-1, 2),
        rd=np.array(rd, dtype=np.float64), ru=np.array(ru, dtype=np.int64),
        g_t=a.g_t, g_lo=a.g_lo, g_hi=a.g_hi, g_w=a.g_w,
    )
