"""The market of an Archegos replay: the real closes of the catalogue data set when its files
are found (argument ``data_dir``, else ``$IMRESEARCH_DATA``, else the scenario's ``[market]
data_dir``), else a built-in pre-episode history drawn from the scenario's seed (Student-t
daily log returns with block-equicorrelation) joined to the documented closes.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from imresearch.engines.settings import BUSINESS_DAYS_PER_YEAR
from imresearch.errors import DataNotFoundError, InputError, option
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.scenarios.archegos_scenario import ArchegosScenario

__all__ = ["archegos_market"]

def _builtin_history(sc: ArchegosScenario) -> pd.DataFrame:
    """Closes: synthetic pre-episode history ending at the first path close, then the path."""
    tickers = sc.tickers
    n = sc.builtin_days
    first = sc.path.iloc[0]
    before = pd.bdate_range(end=sc.path.index[0] - pd.offsets.BDay(1), periods=n)
    groups = [sc.names[t].group for t in tickers]
    corr = np.full((len(tickers), len(tickers)), sc.across_groups)
    for a, ga in enumerate(groups):
        for b, gb in enumerate(groups):
            if ga == gb:
                corr[a, b] = sc.within_group.get(ga, sc.across_groups)
    np.fill_diagonal(corr, 1.0)
    try:
        chol = np.linalg.cholesky(corr)
    except np.linalg.LinAlgError:
        raise InputError(f"{sc.source}: key 'builtin_history': the correlations of "
                         "within_group / across_groups do not form a valid correlation matrix"
                         ) from None
    rng = np.random.default_rng(sc.seed)
    nu = sc.builtin_df
    z = rng.standard_t(nu, size=(n, len(tickers))) / np.sqrt(nu / (nu - 2.0))
    vol = np.array([sc.names[t].annual_vol for t in tickers]) / np.sqrt(BUSINESS_DAYS_PER_YEAR)
    r = (z @ chol.T) * vol  # daily log returns; row k is the move into date k+1
    # levels before the path: log S_{k} = log S_first - sum of later returns
    back = np.cumsum(r[::-1], axis=0)[::-1]
    levels = np.log(first.to_numpy())[None, :] - back
    hist = pd.DataFrame(np.exp(levels), index=before, columns=tickers)
    return pd.concat([hist, sc.path[tickers]])


def _find_data_dir(sc: ArchegosScenario, data_dir: str | os.PathLike[str] | None
                   ) -> Path | None:
    from imresearch.marketdata.catalogue import DATA_DIR_ENV, DATASETS

    if sc.dataset not in DATASETS:
        raise InputError(f"{sc.source}: key 'market.dataset': unknown catalogue data set "
                         f"{sc.dataset!r}")
    files = DATASETS[sc.dataset].files
    candidates = [data_dir, os.environ.get(DATA_DIR_ENV) or None, sc.data_dir]
    for c in candidates:
        if c is None:
            continue
        root = Path(c).expanduser()
        if root.is_dir() and all((root / f).is_file() for f in files):
            return root.resolve()
    return None


def archegos_market(sc: ArchegosScenario, data_dir: str | os.PathLike[str] | None = None
                    ) -> tuple[RiskFactorHistory, str, pd.DataFrame | None]:
    """Closes of the scenario's names (factors ``EQ_<ticker>``): real or built-in history.

    Returns
    -------
    (market, history_source, path_check)
        The history; which one it is (``"built-in: ..."`` or ``"data: ..."``, saying where the
        data set was looked for); with real data, the relative difference of the data's closes
        from the documented ones (else None).
    """
    tickers = sc.tickers
    root = None if sc.history == "builtin" else _find_data_dir(sc, data_dir)
    check = None
    if root is None:
        if sc.history == "data":
            raise DataNotFoundError(
                f"{sc.source}: key 'market.history' is 'data' but the files of data set "
                f"{sc.dataset!r} were not found (pass {option('data_dir')}, set "
                "IMRESEARCH_DATA or [market] data_dir)")
        closes = _builtin_history(sc)
        label = (f"built-in: {sc.builtin_days} business days of synthetic pre-episode history "
                 f"(seed {sc.seed}) + the documented closes of the scenario file")
        if sc.history == "auto":
            from imresearch.marketdata.catalogue import DATA_DIR_ENV

            looked = [str(c) for c in (data_dir, os.environ.get(DATA_DIR_ENV) or None,
                                       sc.data_dir) if c is not None]
            label += (f" (data set {sc.dataset!r} not found in "
                      f"{', '.join(looked) if looked else 'any data directory'})")
        else:
            label += " (history = 'builtin')"
    else:
        from imresearch.marketdata.catalogue import load_dataset

        factors = {t: sc.names[t].data_factor for t in tickers}
        known = load_dataset(sc.dataset, data_dir=root)
        absent = [f for f in factors.values() if f not in known.factor_names]
        if absent:
            raise InputError(f"{sc.source}: key 'names.*.data_factor': {absent} not in data "
                             f"set {sc.dataset!r} ({known.factor_names})")
        lv = known.levels[[factors[t] for t in tickers]]
        lv.columns = tickers
        missing = [x for x in sc.path.index[sc.path.index <= sc.end] if x not in lv.index]
        if missing:
            raise InputError(f"data set {sc.dataset!r} ({root}) lacks path date "
                             f"{missing[0]:%Y-%m-%d}")
        closes = lv
        both = sc.path.index.intersection(lv.index)
        check = (lv.loc[both] / sc.path.loc[both] - 1.0)
        label = (f"data: catalogue data set {sc.dataset!r} from {root} "
                 f"({lv.index[0]:%Y-%m-%d} .. {lv.index[-1]:%Y-%m-%d}); real closes, "
                 "documented closes checked against them")
    specs = {f"EQ_{t}": FactorSpec("equity", "log", "USD", "USD", description=sc.names[t].title)
             for t in tickers}
    frame = closes.rename(columns=lambda t: f"EQ_{t}")
    frame.index.name = "date"
    market = RiskFactorHistory(frame, specs, name=f"{sc.name} closes")
    return market, label, check
