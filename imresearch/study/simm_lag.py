"""SIMM's calibration lag on a study's book: the episodes since 2016 that the market covers.

For a study that margins with the SIMM version in force (``SimmModel(version="in_force")``),
:func:`simm_lag_analysis` recomputes the book's SIMM through each catalogue episode of the SIMM
era inside the market's dates, with the version in force and with every later version on the
same exposures (:func:`imresearch.scenarios.simm_lag.calibration_lag`), and lists for each
episode the version in force at its peak and the first version whose calibration data contain
it (:func:`~imresearch.scenarios.simm_lag.episode_versions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from imresearch.marketdata.history import RiskFactorHistory
from imresearch.models import MarginModel, SimmModel
from imresearch.portfolio import Portfolio
from imresearch.scenarios.simm_lag import calibration_lag, episode_versions, simm_era_episodes

__all__ = ["SimmLagResults", "simm_lag_analysis", "wants_simm_lag"]

#: Business days between the dates SIMM is recomputed on inside an episode.
LAG_STEP = 5


@dataclass(frozen=True)
class SimmLagResults:
    """The book's SIMM through the episodes since 2016, by version.

    Attributes
    ----------
    versions : DataFrame
        One row per episode: :func:`~imresearch.scenarios.simm_lag.episode_versions`.
    lag : DataFrame
        Tidy SIMM per episode, date and version:
        :func:`~imresearch.scenarios.simm_lag.calibration_lag`.
    mpor_days : int
        The margin period of risk of the study's SIMM model.
    """

    versions: pd.DataFrame
    lag: pd.DataFrame
    mpor_days: int

    def summary(self) -> pd.DataFrame:
        """Per episode: SIMM at the peak date under the version in force, under the first
        version that saw the episode, and their ratio."""
        rows = []
        for name, row in self.versions.iterrows():
            lag = self.lag[self.lag["episode"] == name]
            if lag.empty:
                continue
            on = lag[lag["date"] == lag["date"].iloc[(lag["date"] - row["peak"]).abs().argmin()]]
            in_force = float(on.loc[on["role"] == "in force", "simm"].iloc[0])
            saw = on[on["version"] == row["first_to_see"]]
            seen = float(saw["simm"].iloc[0]) if len(saw) else float("nan")
            rows.append({"episode": name, "date": on["date"].iloc[0],
                         "in_force": row["in_force"], "simm_in_force": in_force,
                         "first_to_see": row["first_to_see"], "simm_first_to_see": seen,
                         "ratio": seen / in_force if in_force > 0 else float("nan"),
                         "lag_months": row["lag_months"]})
        return pd.DataFrame(rows).set_index("episode")


def wants_simm_lag(models: Mapping[str, MarginModel]) -> SimmModel | None:
    """The study's SIMM model with the version in force, if it has one."""
    return next((m for m in models.values()
                 if isinstance(m, SimmModel) and m.version == "in_force"), None)


def simm_lag_analysis(market: RiskFactorHistory, portfolio: Portfolio,
                      models: Mapping[str, MarginModel], *,
                      bind_date: pd.Timestamp) -> SimmLagResults | None:
    """The calibration lag of SIMM on the book, over the SIMM-era episodes inside the market.

    Returns None when the study has no SIMM model with the version in force or the market
    covers no episode since 2016 (whole episode windows only).
    """
    model = wants_simm_lag(models)
    if model is None:
        return None
    episodes = [e for e in simm_era_episodes()
                if e.start >= market.start and e.end <= market.end]
    if not episodes:
        return None
    lag = calibration_lag(portfolio, market, episodes, step=LAG_STEP, mpor_days=model.mpor_days,
                          side=model.side, bind_date=bind_date)
    return SimmLagResults(versions=episode_versions(episodes), lag=lag,
                          mpor_days=model.mpor_days)
