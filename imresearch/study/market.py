"""The market part of a study: load the data, find the stress window, tabulate tail shocks."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata.catalogue import DATA_DIR_ENV
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.shocks import horizon_shocks
from imresearch.marketdata.stress import StressWindow, find_stress_window
from imresearch.measures import tail_count
from imresearch.study.settings import MarketStudyConfig

__all__ = ["MarketAnalysis", "analyse_market", "episodes_for", "load_market", "study_market",
           "tail_table"]


def load_market(source: str, *, seed: int = 0, data_dir: str | None = None,
                gap_policy: str | None = None, max_gap: int | None = None,
                factors: dict[str, Any] | None = None) -> RiskFactorHistory:
    """Load market data by built-in name, catalogue name or file path.

    Parameters
    ----------
    source : str
        A built-in name (``public_markets``, ``synthetic``, ``arch_sp500``...), a catalogue name
        (``sp500``, ``ust_cmt``... read from the data directory), or a path to a
        ``.csv``/``.parquet`` file. ``public_markets`` with a data directory holding the
        S&P 500 runs to 2024 (:func:`~imresearch.marketdata.public.extended_public_market`).
    seed : int
        Seed of the synthetic markets.
    data_dir : str, optional
        Data directory of the catalogue (default: ``$IMRESEARCH_DATA``). For
        ``public_markets``, one that does not exist is an error, one without ``sp500`` a
        warning.
    gap_policy, max_gap : optional
        Missing values and the longest hole a shock may span (see
        :class:`~imresearch.study.settings.MarketStudyConfig`); None keeps the data's own.
    factors : dict of str to FactorSpec, optional
        Metadata of a file's factors by name or pattern (files only: built-in and catalogue
        data sets carry their own).
    """
    options = {k: v for k, v in (("gap_policy", gap_policy), ("max_gap", max_gap))
               if v is not None}
    suffixes = "".join(Path(source).suffixes).lower()
    is_csv = any(suffixes.endswith(s) for s in (".csv", ".csv.gz", ".csv.xz", ".txt"))
    if factors and not (is_csv or suffixes.endswith(".parquet")):
        raise InputError(f"factors: metadata applies to the factors of a CSV or Parquet file; "
                         f"{source!r} is a data set with its own")
    from imresearch.marketdata.builtin import builtin_names, load_builtin

    if source == "public_markets" and (data_dir or os.environ.get(DATA_DIR_ENV, "").strip()):
        from imresearch.marketdata.catalogue import data_dir as find_data_dir
        from imresearch.marketdata.public import extended_public_market

        root = find_data_dir(data_dir)  # a directory named but absent is an error
        try:  # the real market continued with the data directory's S&P 500
            return _with_max_gap(extended_public_market(
                root, **{k: v for k, v in options.items() if k == "gap_policy"}), max_gap)
        except DataNotFoundError as exc:
            warnings.warn(f"{exc}; public_markets is the built-in history alone",
                          stacklevel=2)
    if source in builtin_names():
        policy = {k: v for k, v in options.items() if k == "gap_policy"}
        market = (load_builtin(source, seed=seed, **policy) if source.startswith("synthetic")
                  else load_builtin(source, **policy))
        return _with_max_gap(market, max_gap)
    if factors:
        options["factors"] = factors
    if is_csv:
        from imresearch.marketdata.readers import load_csv

        return load_csv(source, **options)
    if suffixes.endswith(".parquet"):
        from imresearch.marketdata.readers import load_parquet

        return load_parquet(source, **options)
    from imresearch.marketdata.catalogue import load_dataset

    return load_dataset(source, data_dir=data_dir, **options)


def study_market(cfg: MarketStudyConfig, *, data_dir: str | None = None
                 ) -> RiskFactorHistory:
    """The market of a study's ``[market]`` table (data, seed, gap policy, ``max_gap`` and the
    metadata of its factors), as every command reads it; ``data_dir`` as in
    :func:`load_market`."""
    return load_market(cfg.data, seed=cfg.seed, data_dir=data_dir, gap_policy=cfg.gap_policy,
                       max_gap=cfg.max_gap, factors=cfg.factor_specs())


def _with_max_gap(market: RiskFactorHistory, max_gap: int | None) -> RiskFactorHistory:
    """A built-in history checked against a study's ``max_gap`` (built-ins are read with the
    default limit)."""
    if max_gap is None:
        return market
    days = market.dates.values.astype("datetime64[D]")
    gaps = np.busday_count(days[:-1], days[1:])
    if gaps.size and gaps.max() > max_gap:
        i = int(gaps.argmax())
        raise InputError(
            f"data {market.name!r}: a hole of {int(gaps[i])} business days from "
            f"{market.dates[i]:%Y-%m-%d} to {market.dates[i + 1]:%Y-%m-%d} is longer than "
            f"max_gap={max_gap}")
    return market


def tail_table(shocks: pd.DataFrame, confidence: float, label: str) -> pd.DataFrame:
    """Downward and upward tail shocks per factor (k-th order statistic at ``confidence``)."""
    n = len(shocks)
    k = tail_count(n, confidence)
    ordered = np.sort(shocks.to_numpy(), axis=0)
    return pd.DataFrame({f"{label}_down": ordered[k - 1], f"{label}_up": ordered[n - k]},
                        index=shocks.columns)


def episodes_for(market: RiskFactorHistory) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """Stress episodes to shade: the synthetic market's schedule, else the catalogue's."""
    if market.name.startswith("synthetic"):
        from imresearch.marketdata import DEFAULT_EPISODES, STRESS_EPISODES

        eps = [STRESS_EPISODES[k] for k in DEFAULT_EPISODES]
        return [(e.name, pd.Timestamp(e.start), pd.Timestamp(e.end)) for e in eps]
    from imresearch.scenarios import load_episodes

    return [(e.name, e.start, e.end) for e in load_episodes()]


@dataclass(frozen=True)
class MarketAnalysis:
    """What a study computes from the market alone.

    Attributes
    ----------
    market : RiskFactorHistory
    summary : pandas.DataFrame
        Per factor: metadata, range, gaps (:meth:`RiskFactorHistory.summary`).
    stress : StressWindow
        The most stressed window of ``stress_window_days``.
    tails : pandas.DataFrame
        Per factor: risk class, convention, and the downward/upward tail shocks over the
        whole history (``full_*``), the recent years (``recent_*``) and the stress window
        (``stress_*``).
    episodes : list of (name, start, end)
        Stress episodes that the figures shade.
    """

    @property
    def gaps(self) -> dict[str, Any]:
        """What the gap policy did, as plain data (report and manifest): the policy, the
        number of dates dropped, the values filled forward per factor, and every hole of a
        week or more that a shock spans (from, to, business days)."""
        report = self.market.gap_report
        bridged = report.bridged
        return {
            "policy": report.policy,
            "dropped_dates": len(report.dropped_dates),
            "filled": {str(k): int(v) for k, v in report.filled.items() if v},
            "bridged": [{"from": f"{r['from']:%Y-%m-%d}", "to": f"{r['to']:%Y-%m-%d}",
                         "business_days": int(r["business_days"])}
                        for _, r in bridged.iterrows()],
        }

    market: RiskFactorHistory
    summary: pd.DataFrame
    stress: StressWindow
    tails: pd.DataFrame
    episodes: list[tuple[str, pd.Timestamp, pd.Timestamp]]


def analyse_market(market: RiskFactorHistory, cfg: MarketStudyConfig) -> MarketAnalysis:
    """Stress window and tail-shock table of ``market`` under the study's market settings."""
    if market.n_dates < cfg.stress_window_days:
        raise InputError(f"data {cfg.data!r}: {market.n_dates} dates, fewer than "
                         f"stress_window_days={cfg.stress_window_days}")
    recent_start = market.end - pd.DateOffset(years=cfg.recent_years)
    if recent_start < market.start:
        raise InputError(f"[market] recent_years={cfg.recent_years} is longer than the data "
                         f"{cfg.data!r} ({market.start:%Y-%m-%d} .. {market.end:%Y-%m-%d})")
    shocks = horizon_shocks(market, cfg.horizon)
    stress = find_stress_window(market, cfg.stress_window_days)
    tails = pd.concat([
        tail_table(shocks.frame, cfg.confidence, "full"),
        tail_table(shocks.between(start=recent_start).frame, cfg.confidence, "recent"),
        tail_table(shocks.between(stress.start, stress.end).frame, cfg.confidence, "stress"),
    ], axis=1)
    tails.insert(0, "risk_class", market.metadata["risk_class"])
    tails.insert(1, "convention", market.metadata["convention"])
    tails.index.name = "factor"
    return MarketAnalysis(market=market, summary=market.summary(), stress=stress, tails=tails,
                          episodes=episodes_for(market))
