"""Backtest any margin model of a book by portfolio, netting set, risk class or product class.

:func:`backtest_im` sets each group's IM on every ``step``-th date of a range, point in time
(only data known that day), and compares it with the group's realised P&L over the next
``horizon`` business days (1 or 10): the model runs at that horizon (HS / FHS / Monte Carlo
with ``horizon``, SIMM with ``mpor_days``: 10-day SIMM against 10-day P&L, 1-day SIMM against
1-day P&L; SIMM in force each day with ``version="in_force"``). Groups and P&L: see
:mod:`imresearch.backtest.groups`; IM per group: :mod:`imresearch.backtest.group_im`.

The tests of each group (``summary``):

* on **non-overlapping** windows (every ``ceil(horizon / step)``-th IM date, ending on the
  last): exceptions, Kupiec POF, Christoffersen independence and conditional coverage, the
  traffic light for that sample's size and the model's confidence
  (:mod:`imresearch.backtest.coverage`);
* on **every** IM date when windows overlap (``horizon > step``): the overlap-aware tests of
  :func:`~imresearch.backtest.overlap.overlap_test` (the exact-variance z-test, Monte Carlo
  Kupiec and Christoffersen p-values and zone with the overlap simulated in the null);
* where the model gives a P&L distribution (HS, FHS, Monte Carlo), on the non-overlapping
  windows: Acerbi-Szekely Z2 of the model's VaR and ES at its confidence, the Kratz-Lok-McNeil
  multinomial test (Nass) and Du-Escanciano's tests of the PIT at 97.5%
  (:mod:`imresearch.backtest.es`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from imresearch.backtest.coverage import christoffersen, kupiec_pof, traffic_light
from imresearch.backtest.es import du_escanciano, multinomial_test, z2_test
from imresearch.backtest.group_im import GroupIM, group_im
from imresearch.backtest.groups import (
    GroupBook,
    check_by,
    check_market,
    daily_pnl,
    group_book,
    realised_frame,
    window_pnl,
)
from imresearch.backtest.overlap import overlap_test
from imresearch.backtest.rolling import rolling_traffic_light
from imresearch.engines.ageing import live_trades
from imresearch.engines.hs import first_full_row
from imresearch.errors import InputError, check_choice, check_positive_int
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import MODEL_KINDS, HSModel, MCModel, SimmModel
from imresearch.portfolio.binding import bind
from imresearch.portfolio.bound import BoundPortfolio
from imresearch.simm.parameters import load_parameters

__all__ = ["IMBacktest", "backtest_im"]

#: Tail probability of the PIT-based ES tests (multinomial, Du-Escanciano): 97.5%, as KLM
#: and the FRTB ES use.
PIT_ALPHA = 0.025


@dataclass(frozen=True)
class IMBacktest:
    """Result of :func:`backtest_im`.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per group (index ``group``): ``model``, ``horizon``, ``pnl``, ``first_date``,
        ``last_date``; on non-overlapping windows ``observations``, ``exceptions``,
        ``expected_exceptions``, ``exception_rate``, ``kupiec_p``, ``christoffersen_p``
        (independence), ``christoffersen_cc_p`` (conditional coverage), ``zone``; on every IM
        date ``overlap_observations``, ``overlap_exceptions``, ``overlap_z_p``,
        ``overlap_kupiec_p``, ``overlap_christoffersen_p``, ``overlap_zone`` (NaN when windows
        do not overlap); ``z2``, ``z2_p``, ``z2_zone``, ``multinomial_p``,
        ``du_escanciano_p``, ``du_escanciano_cond_p`` (NaN for models without a P&L
        distribution).
    exceptions : pandas.DataFrame
        Every exception (``-pnl > im``) on any IM date: ``date``, ``group``, ``pnl``, ``im``,
        ``shortfall`` (``-pnl - im``), ``non_overlapping`` (in the non-overlapping sample
        whose count is ``summary.exceptions``; all of them make ``overlap_exceptions``).
    im, pnl : pandas.DataFrame
        IM and realised P&L, index IM date, one column per group (NaN where a group holds no
        trade, with the ageing book).
    var, es, pit : pandas.DataFrame or None
        The model's VaR, ES and the PIT of the realised P&L, when it gives them.
    model : margin model
        The model as run (at the backtest's horizon).
    horizon, step : int
    by, pnl_kind : str
    confidence : float
    book : BoundPortfolio or None
        The frozen book (``pnl="hypothetical"``).
    trades : tuple of Trade or None
        The trades as booked (``pnl="actual"``).
    """

    summary: pd.DataFrame
    exceptions: pd.DataFrame
    im: pd.DataFrame
    pnl: pd.DataFrame
    var: pd.DataFrame | None
    es: pd.DataFrame | None
    pit: pd.DataFrame | None
    model: Any
    horizon: int
    step: int
    by: str
    pnl_kind: str
    confidence: float
    book: BoundPortfolio | None = None
    trades: tuple[Any, ...] | None = None

    @property
    def stride(self) -> int:
        """IM dates between non-overlapping windows."""
        return math.ceil(self.horizon / self.step)

    def rolling(self, window: int = 250) -> pd.DataFrame:
        """Traffic light through time per group, over trailing windows of ``window`` IM dates
        (overlap-aware zones), with the remediation add-on that makes each window green
        (:func:`~imresearch.backtest.rolling.rolling_traffic_light`).

        Returns
        -------
        pandas.DataFrame
            Columns ``date``, ``group``, ``exceptions``, ``zone``, ``multiplier``, ``add_on``;
            groups with fewer than ``window`` IM dates are left out.
        """
        window = check_positive_int("window", window)
        parts = []
        for g in self.im.columns:
            ok = self.im[g].notna() & self.pnl[g].notna()
            if ok.sum() < window:
                continue
            part = rolling_traffic_light(self.im[g][ok], self.pnl[g][ok], window,
                                         self.confidence, horizon=self.horizon, step=self.step)
            parts.append(part.reset_index().assign(group=g))
        if not parts:
            raise InputError(f"window={window} is longer than every group's "
                             f"{int(self.im.notna().sum().max())} IM dates")
        cols = ["date", "group", "exceptions", "zone", "multiplier", "add_on"]
        return pd.concat(parts, ignore_index=True)[cols]


def model_at_horizon(model: Any, horizon: int) -> Any:
    """The model run at the backtest's ``horizon`` (HS/MC ``horizon``, SIMM ``mpor_days``)."""
    if not isinstance(model, tuple(MODEL_KINDS.values())):
        raise InputError(f"model must be one of "
                         f"{', '.join(c.__name__ for c in MODEL_KINDS.values())}; got "
                         f"{type(model).__name__}")
    if isinstance(model, (HSModel, MCModel)):
        return dataclasses.replace(model, horizon=horizon)
    if isinstance(model, SimmModel):
        return dataclasses.replace(model, mpor_days=horizon)
    if horizon != 10:
        raise InputError(f"horizon={horizon}: {model.label} is a 10-day margin with no "
                         f"{horizon}-day form; backtest it with horizon=10")
    return model


def _date(name: str, value: object, market: RiskFactorHistory, default: pd.Timestamp
          ) -> pd.Timestamp:
    if value is None:
        return default
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a date such as '2015-06-30'; got {value!r}") from None
    if ts is pd.NaT or not market.start <= ts <= market.end:
        raise InputError(f"{name}={value!r} is outside market {market.name} "
                         f"({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d})")
    return ts


def _first_row(model: Any) -> int:
    """First market row with enough history for the model's first IM."""
    if isinstance(model, HSModel):
        return first_full_row(model)
    if isinstance(model, MCModel):
        return max(model.lookback_days, model.min_observations) + model.horizon
    return 0


def first_im_row(model: Any, horizon: int) -> int:
    """First row of a market on which ``model`` run at ``horizon`` has the history it needs."""
    return _first_row(model_at_horizon(model, horizon))


def im_rows(market: RiskFactorHistory, model: Any, start: object, end: object, horizon: int,
            step: int) -> np.ndarray:
    """Rows of the IM dates: every ``step``-th date of ``[start, end]`` whose ``horizon``-day
    window ends inside the market, ending on the last such date."""
    t0 = _date("start", start, market, market.start)
    t1 = _date("end", end, market, market.end)
    if t1 < t0:
        raise InputError(f"end={end!r} is before start={start!r}")
    dates = market.dates
    lo = int(dates.searchsorted(t0))
    hi = min(int(dates.searchsorted(t1, "right")) - 1, market.n_dates - 1 - horizon)
    if hi < lo:
        raise InputError(f"end={end!r}: no IM date in {t0:%Y-%m-%d} .. {t1:%Y-%m-%d} has "
                         f"{horizon} business days of market after it (market ends "
                         f"{market.end:%Y-%m-%d})")
    first = _first_row(model)
    if start is None:  # from the first date with the history the model needs
        lo = max(lo, first)
    if lo < first:
        ok = dates[first] if first < market.n_dates else None
        hint = f"; the first possible is {ok:%Y-%m-%d}" if ok is not None else ""
        raise InputError(f"start={start!r}: {model.label} needs {first} business days of "
                         f"market {market.name} before its first IM date{hint}")
    return np.arange(hi, lo - 1, -step, dtype=np.int64)[::-1].copy()


def check_one_day(model: SimmModel, first: pd.Timestamp) -> None:
    """A 1-day SIMM backtest needs a version with a 1-day calibration on its first date."""
    version = model.version_on(first)
    try:
        load_parameters(version, 1)
    except InputError:
        raise InputError(f"horizon=1: SIMM {version}, in force on {first:%Y-%m-%d}, has no "
                         f"1-day calibration (first published with 2.2); start later or give "
                         f"SimmModel(version=...) with one") from None


def _hypothetical(bound: BoundPortfolio, market: RiskFactorHistory, model: Any, by: str,
                  rows: np.ndarray, horizon: int) -> tuple[GroupIM, pd.DataFrame]:
    book = group_book(bound, by)
    dates = market.dates[rows]
    pnl = realised_frame(window_pnl(book, market, rows, horizon), dates, book.labels)
    return group_im(model, book, market, pd.DatetimeIndex(dates, name="date"), pnl), pnl


def _runs(trades: list[Any], market: RiskFactorHistory, days: np.ndarray, rebind_days: int
          ) -> list[tuple[int, int]]:
    """Runs ``[i, j)`` of ``days`` sharing one binding: a new one after ``rebind_days`` or
    when a trade has matured."""
    grid = market.dates[days].to_numpy(dtype="datetime64[ns]")
    ends = np.sort(np.array([t.end_date for t in trades if t.end_date is not None],
                            dtype="datetime64[ns]"))
    n_live = len(trades) - np.searchsorted(ends, grid, side="right")
    starts = [0]
    for i in range(1, len(days)):
        if days[i] - days[starts[-1]] >= rebind_days or n_live[i] != n_live[starts[-1]]:
            starts.append(i)
    return list(zip(starts, [*starts[1:], len(days)]))


def _actual(portfolio: Any, market: RiskFactorHistory, model: Any, by: str, rows: np.ndarray,
            horizon: int, rebind_days: int) -> tuple[GroupIM, pd.DataFrame]:
    if isinstance(portfolio, BoundPortfolio):
        raise InputError("pnl='actual' needs the trades as booked (a Portfolio or a list of "
                         "trades), not a BoundPortfolio whose terms are already fixed")
    trades = list(getattr(portfolio, "trades", portfolio))
    days = np.arange(rows[0], rows[-1] + horizon, dtype=np.int64)  # daily P&L from each day
    books: list[tuple[np.ndarray, GroupBook | None]] = []
    labels: list[Any] = []
    daily: list[pd.DataFrame] = []
    for i, j in _runs(trades, market, days, rebind_days):
        live = live_trades(trades, market.dates[days[i]])
        part = days[i:j]
        if not live:
            books.append((part, None))
            continue
        book = group_book(bind(live, market, market.dates[days[i]]), by)
        labels += [g for g in book.labels if g not in labels]
        books.append((part, book))
        daily.append(realised_frame(daily_pnl(book, market, part), market.dates[part],
                                    book.labels))
    index = pd.DatetimeIndex(market.dates[days], name="date")
    cols = pd.Index(labels, name="group")
    day_pnl = pd.concat(daily).reindex(index=index, columns=cols).fillna(0.0).to_numpy()
    csum = np.vstack([np.zeros(len(cols)), np.cumsum(day_pnl, axis=0)])
    pos = rows - rows[0]
    dates = pd.DatetimeIndex(market.dates[rows], name="date")
    pnl = pd.DataFrame(csum[pos + horizon] - csum[pos], index=dates, columns=cols)
    out: dict[str, list[pd.DataFrame]] = {"im": [], "var": [], "es": [], "pit": []}
    for part, book in books:
        on = dates[np.isin(rows, part)]
        if not len(on):
            continue
        if book is None:
            out["im"].append(pd.DataFrame(0.0, index=on, columns=cols))
            continue
        res = group_im(model, book, market, on, pnl.loc[on, book.labels])
        for k in out:
            if getattr(res, k) is not None:
                out[k].append(getattr(res, k))
    # a group without trades on a date has no IM there (NaN: not an observation)
    frames = {k: (pd.concat(v).reindex(index=dates, columns=cols) if v else None)
              for k, v in out.items()}
    if frames["var"] is None:
        frames = {"im": frames["im"]}
    held = frames["im"].notna()
    return GroupIM(**frames), pnl.where(held)


def _es_tests(pnl: np.ndarray, var: np.ndarray, es: np.ndarray, pit: np.ndarray,
              confidence: float) -> dict[str, Any]:
    keep = es > 0  # a group with no loss in its tail has no ES to test
    out: dict[str, Any] = {}
    if keep.sum() >= 2:
        z2 = z2_test(pnl[keep], var[keep], es[keep], alpha=1.0 - confidence)
        out.update(z2=z2.z2, z2_p=z2.p_value, z2_zone=z2.zone)
    if len(pit) >= 2:
        out["multinomial_p"] = multinomial_test(pit, PIT_ALPHA).p_nass
    if len(pit) > 5:
        de = du_escanciano(pit, PIT_ALPHA)
        out.update(du_escanciano_p=de.p_unconditional, du_escanciano_cond_p=de.p_conditional)
    return out


def _summary_row(im: pd.Series, pnl: pd.Series, res: GroupIM, group: Any, stride: int,
                 horizon: int, step: int, confidence: float) -> dict[str, Any]:
    ok = im.notna() & pnl.notna()
    flags_all = (-pnl[ok] > im[ok]).to_numpy()
    n_all = len(flags_all)
    sub = np.arange(n_all)[::-1][::stride][::-1]
    flags = flags_all[sub]
    n, x = len(flags), int(flags.sum())
    row: dict[str, Any] = {"first_date": im.index[ok][0], "last_date": im.index[ok][-1],
                           "observations": n, "exceptions": x,
                           "expected_exceptions": n * (1.0 - confidence),
                           "exception_rate": x / n, "kupiec_p": kupiec_pof(x, n, confidence)[1],
                           "christoffersen_p": np.nan, "christoffersen_cc_p": np.nan,
                           "zone": traffic_light(x, n, confidence)}
    if n >= 2:
        ch = christoffersen(flags, confidence)
        row.update(christoffersen_p=ch.p_ind, christoffersen_cc_p=ch.p_cc)
    if horizon > step and n_all >= 2:
        ov = overlap_test(flags_all, horizon, confidence, step=step)
        row.update(overlap_observations=n_all, overlap_exceptions=ov.exceptions,
                   overlap_z_p=ov.p_z, overlap_kupiec_p=ov.p_pof,
                   overlap_christoffersen_p=ov.p_ind, overlap_zone=ov.zone)
    if res.var is not None and res.es is not None and res.pit is not None:
        pick = np.flatnonzero(ok.to_numpy())[sub]
        row.update(_es_tests(pnl.to_numpy()[pick], res.var[group].to_numpy()[pick],
                             res.es[group].to_numpy()[pick], res.pit[group].to_numpy()[pick],
                             confidence))
    return row


SUMMARY_COLUMNS = [
    "model", "horizon", "pnl", "first_date", "last_date", "observations", "exceptions",
    "expected_exceptions", "exception_rate", "kupiec_p", "christoffersen_p",
    "christoffersen_cc_p", "zone", "overlap_observations", "overlap_exceptions", "overlap_z_p",
    "overlap_kupiec_p", "overlap_christoffersen_p", "overlap_zone", "z2", "z2_p", "z2_zone",
    "multinomial_p", "du_escanciano_p", "du_escanciano_cond_p",
]


def backtest_im(portfolio: Any, market: RiskFactorHistory, start: object, end: object,
                model: Any, *, horizon: int = 10, by: str = "portfolio",
                pnl: str = "hypothetical", step: int = 1, bind_date: object = None,
                rebind_days: int = 21) -> IMBacktest:
    """Backtest a margin model of a book against its realised P&L, group by group.

    Parameters
    ----------
    portfolio : Portfolio, sequence of Trade or BoundPortfolio
        The book (trades as booked; a BoundPortfolio only with ``pnl="hypothetical"``).
    market : RiskFactorHistory
    start, end : date-like or None
        First and last IM date (within the market; None: the first date with the history the
        model needs / the market's last date). The last ``horizon`` dates of the market have no
        realised window and are left out.
    model : HSModel, MCModel, SimmModel, ScheduleModel or StaticModel
        Run at ``horizon`` (HS/MC ``horizon``; SIMM ``mpor_days``); the schedule and static
        margins have only a 10-day form.
    horizon : {1, 10}
        Business days of the realised P&L (and of the model). Default 10.
    by : {"portfolio", "netting_set", "risk_class", "product_class"}
        Groups (:mod:`imresearch.backtest.groups`). Default ``"portfolio"``.
    pnl : {"hypothetical", "actual"}
        The book frozen on each IM date at constant maturity (terms fixed on ``bind_date``),
        or the ageing book (trades alive on each date, rebound every ``rebind_days`` and
        whenever a trade matures; P&L of each day's live trades). Default ``"hypothetical"``.
    step : int
        Business days between IM dates. Default 1 (daily).
    bind_date : date-like, optional
        With ``pnl="hypothetical"``: date the trades' terms are fixed (default the market's
        last date, as :func:`imresearch.models.im_series`).
    rebind_days : int
        With ``pnl="actual"``: business days between rebindings. Default 21.

    Returns
    -------
    IMBacktest
        ``summary`` (one row per group), ``exceptions`` (every exception), the IM and P&L
        frames, :meth:`IMBacktest.rolling` (traffic light through time with remediation).

    Raises
    ------
    InputError
        An unknown ``by`` or ``pnl``, a horizon other than 1 or 10, dates outside the market,
        too little history before ``start`` for the model: one line naming the argument.
    """
    market = check_market(market)
    by = check_by(by)
    check_choice("horizon", horizon, (1, 10))
    check_choice("pnl", pnl, ("hypothetical", "actual"))
    step = check_positive_int("step", step)
    rebind_days = check_positive_int("rebind_days", rebind_days)
    run = model_at_horizon(model, horizon)
    confidence = float(getattr(run, "confidence", 0.99))  # SIMM, schedule: 99%
    rows = im_rows(market, run, start, end, horizon, step)
    if isinstance(run, SimmModel) and horizon == 1:
        check_one_day(run, market.dates[rows[0]])
    bound, trades = None, None
    if pnl == "hypothetical":
        bound = portfolio if isinstance(portfolio, BoundPortfolio) else bind(portfolio, market,
                                                                             bind_date)
        res, realised = _hypothetical(bound, market, run, by, rows, horizon)
    else:
        res, realised = _actual(portfolio, market, run, by, rows, horizon, rebind_days)
        trades = tuple(getattr(portfolio, "trades", portfolio))
    if getattr(run, "side", "call") == "post":  # IM posted covers the counterparty's losses
        realised = -realised
    stride = math.ceil(horizon / step)
    rows_out = {}
    for g in res.im.columns:
        if (res.im[g].notna() & realised[g].notna()).any():
            rows_out[g] = _summary_row(res.im[g], realised[g], res, g, stride, horizon, step,
                                       confidence)
    summary = pd.DataFrame.from_dict(rows_out, orient="index")
    summary.index.name = "group"
    summary = summary.assign(model=run.label, horizon=horizon, pnl=pnl).reindex(
        columns=SUMMARY_COLUMNS)
    return IMBacktest(summary=summary, exceptions=_exceptions(res.im, realised, stride),
                      im=res.im, pnl=realised, var=res.var, es=res.es, pit=res.pit, model=run,
                      horizon=horizon, step=step, by=by, pnl_kind=pnl, confidence=confidence,
                      book=bound, trades=trades)


def _exceptions(im: pd.DataFrame, pnl: pd.DataFrame, stride: int) -> pd.DataFrame:
    parts = []
    for g in im.columns:
        ok = im[g].notna() & pnl[g].notna()
        i, p = im[g][ok], pnl[g][ok]
        sub = np.zeros(len(i), dtype=bool)
        sub[np.arange(len(i))[::-1][::stride]] = True
        hit = (-p > i).to_numpy()
        parts.append(pd.DataFrame({"date": i.index[hit], "group": g, "pnl": p[hit].to_numpy(),
                                   "im": i[hit].to_numpy(),
                                   "shortfall": (-p - i)[hit].to_numpy(),
                                   "non_overlapping": sub[hit]}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["date", "group", "pnl", "im", "shortfall", "non_overlapping"])
    return out.sort_values(["date", "group"], kind="mergesort", ignore_index=True)
