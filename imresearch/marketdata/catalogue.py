"""Catalogue of real market-data sets, read from a local data directory.

The data files are vendor data that must not be redistributed, so they are not part of the
package: point the catalogue at a folder laid out like ``shared/market_data`` with the argument
``data_dir=`` or the environment variable ``IMRESEARCH_DATA``. Each catalogue entry names the
file(s), the reader options that cope with how the file really is (date column, missing-value
markers, newest-first order, decimal commas, holiday rows...) and the metadata of every factor
(risk class, shock convention, units, currency, tenor).

>>> from imresearch.marketdata.catalogue import list_datasets, load_dataset
>>> list_datasets()[["name", "available"]]  # doctest: +SKIP
>>> curve = load_dataset("ust_cmt", data_dir="../shared/market_data")  # doctest: +SKIP

Gap policies are chosen per data set and stated in its description: single-series files drop
the dates without a value (holidays); curves from one source (same calendar) drop the dates on
which any tenor is missing; panels mixing market calendars forward-fill a closed market for a
few days (the limit is the longest regular closure in the data). Series that start at different
dates are trimmed to their common span (``trim=True``). ``market_data/README.md`` lists every
name.
"""

from __future__ import annotations

import difflib
import itertools
import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from imresearch.errors import DataNotFoundError, InputError, option
from imresearch.marketdata._reader_finish import _check_domain, _finish
from imresearch.marketdata._reader_options import _merge_options, _Options
from imresearch.marketdata._reader_parse import _Levels
from imresearch.marketdata.datasets import DATASETS, Dataset, DatasetPart
from imresearch.marketdata.factors import FactorSpec
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.marketdata.readers import _read_csv_levels, _read_parquet_levels

__all__ = [
    "DATASETS",
    "DATA_DIR_ENV",
    "Dataset",
    "DatasetPart",
    "data_dir",
    "list_datasets",
    "load_dataset",
]

#: Environment variable naming the market-data directory.
DATA_DIR_ENV = "IMRESEARCH_DATA"

#: Options applied when the parts of a data set are put together (not passed to each file).
_ASSEMBLY_KEYS = frozenset(
    {"gap_policy", "max_ffill", "max_gap", "start", "end", "trim", "drop_empty_rows",
     "min_values", "name", "factors"}
)




# ---------------------------------------------------------------------- data directory
def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the market-data directory.

    Parameters
    ----------
    path : str or path-like, optional
        The directory. Default: the environment variable ``IMRESEARCH_DATA``.

    Returns
    -------
    pathlib.Path
        The resolved directory, laid out like ``shared/market_data`` (one folder per source).

    Raises
    ------
    DataNotFoundError
        If no directory is given and ``IMRESEARCH_DATA`` is not set, or the directory does
        not exist.
    """
    if path is None:
        env = os.environ.get(DATA_DIR_ENV, "").strip()
        if not env:
            raise DataNotFoundError(
                "no market-data directory configured: set the environment variable "
                f"{DATA_DIR_ENV} (or pass {option('data_dir')}) to a folder laid out like "
                "shared/market_data"
            )
        path, origin = env, f"${DATA_DIR_ENV}"
    else:
        origin = option("data_dir")
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise DataNotFoundError(
            f"market-data directory {str(folder)!r} ({origin}) does not exist or is not a "
            f"folder; set {DATA_DIR_ENV} (or pass {option('data_dir')}) to a folder laid out "
            "like shared/market_data"
        )
    return folder.resolve()


def _dataset(name: str) -> Dataset:
    if not isinstance(name, str) or name not in DATASETS:
        close = difflib.get_close_matches(str(name), list(DATASETS), n=5, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(
            f"unknown data set {name!r}{hint} (`imresearch data list` or list_datasets() "
            f"shows all {len(DATASETS)} names)"
        )
    return DATASETS[name]


def list_datasets(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Table of the catalogue.

    Parameters
    ----------
    data_dir : str or path-like, optional
        Market-data directory; default ``$IMRESEARCH_DATA``. Without one (or if it does not
        exist), every data set is listed as not available.

    Returns
    -------
    pandas.DataFrame
        One row per data set with columns ``name``, ``description``, ``files`` (relative to the
        data directory, ``;``-separated), ``risk_classes`` (comma-separated), ``n_factors``
        and ``available`` (True when every file exists in the data directory).
    """
    try:
        root: Path | None = _data_dir(data_dir)
    except DataNotFoundError:
        root = None
    rows = []
    for ds in DATASETS.values():
        files = ds.files
        rows.append({
            "name": ds.name,
            "description": ds.description,
            "files": "; ".join(files),
            "risk_classes": ", ".join(ds.risk_classes),
            "n_factors": len(ds.factors),
            "available": root is not None and all((root / f).is_file() for f in files),
        })
    return pd.DataFrame(rows)


_data_dir = data_dir  # the name is shadowed by arguments below


def load_dataset(
    name: str, data_dir: str | os.PathLike[str] | None = None, **overrides: Any
) -> RiskFactorHistory:
    """Load a catalogue data set as a :class:`RiskFactorHistory`.

    Parameters
    ----------
    name : str
        Catalogue name (see :func:`list_datasets` and ``market_data/README.md``).
    data_dir : str or path-like, optional
        Market-data directory; default ``$IMRESEARCH_DATA``.
    **overrides
        Options that replace the catalogue's: any option of
        :func:`~imresearch.marketdata.readers.load_csv` (e.g. ``start``, ``end``,
        ``gap_policy``, ``max_ffill``, ``field="Adj Close"`` for Yahoo files, ``columns``),
        plus ``select``: a list of factor names of the data set to keep (e.g.
        ``select=["UST_CMT_2Y", "UST_CMT_10Y"]``). ``factors`` (a dict) updates the metadata of
        some factors. For data sets of several files, ``gap_policy``, ``max_ffill``,
        ``start``, ``end``, ``trim``, ``drop_empty_rows`` and ``factors`` apply to the combined
        levels and the other options to every file.

    Returns
    -------
    RiskFactorHistory
        Named after the data set, with full metadata per factor.

    Raises
    ------
    InputError
        Unknown name (the message lists close matches), unknown ``select`` names, or bad data
        (the message names the file, line, date and column).
    DataNotFoundError
        No data directory configured, or a file of the data set absent from it; the message
        says to set ``IMRESEARCH_DATA``.
    """
    ds = _dataset(name)
    root = _data_dir(data_dir)
    missing = [f for f in ds.files if not (root / f).is_file()]
    if missing:
        raise DataNotFoundError(
            f"data set {name!r}: file {missing[0]!r} not found in the market-data directory "
            f"{str(root)!r}; set {DATA_DIR_ENV} (or pass {option('data_dir')}) to a folder "
            "laid out like shared/market_data"
        )
    overrides = dict(overrides)
    select = overrides.pop("select", None)
    if select is not None:
        select = [select] if isinstance(select, str) else list(select)
        unknown = [s for s in select if s not in ds.factors]
        if unknown:
            raise InputError(
                f"data set {name!r}: select names unknown factor(s) {unknown}; factors: "
                f"{list(ds.factors)}"
            )
    factor_updates = overrides.pop("factors", None)
    assembly = {**ds.options, **{k: v for k, v in overrides.items() if k in _ASSEMBLY_KEYS}}
    reader = {k: v for k, v in overrides.items() if k not in _ASSEMBLY_KEYS}
    if ds.combine == "single":
        # one file: every option goes to the reader
        levels, opts = _part_levels(ds.parts[0], root, {**assembly, **reader}, select)
        levels = _inverted(levels, ds.invert)
        specs = _specs(ds, list(levels.frame.columns), factor_updates)
        opts = replace(opts, factors=specs)
        return _finish(levels, opts, name=ds.name)
    levels = _dataset_levels(ds, root, reader, select)
    specs = _specs(ds, list(levels.frame.columns), factor_updates)
    opts = _merge_options({}, {**assembly, "factors": specs})
    return _finish(levels, opts, name=ds.name)


# ---------------------------------------------------------------------- assembly
def _specs(
    ds: Dataset, columns: list[str], updates: FactorSpec | Mapping[str, FactorSpec] | None
) -> dict[str, FactorSpec]:
    specs = {c: ds.factors.get(c, FactorSpec()) for c in columns}
    if isinstance(updates, FactorSpec):
        return {c: updates for c in columns}
    if updates:
        unknown = [k for k in updates if k not in specs]
        if unknown:
            raise InputError(
                f"data set {ds.name!r}: factors= gives metadata for {unknown}, which are not "
                f"factors of it ({columns})"
            )
        specs.update(updates)
    return specs


def _as_mapping(columns: Any) -> dict[str, str] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        return {columns: columns}
    if isinstance(columns, Mapping):
        return {str(k): str(v) for k, v in columns.items()}
    return {str(c): str(c) for c in columns}


def _part_mapping(part: DatasetPart, options: Mapping[str, Any]) -> dict[str, str] | None:
    """Source column/key -> factor name of a part (None: every column)."""
    if part.factor is not None:
        return {options.get("field") or "Close": part.factor}
    return _as_mapping(options.get("columns"))


def _part_levels(
    part: DatasetPart,
    root: Path,
    overrides: Mapping[str, Any],
    select: Iterable[str] | None,
) -> tuple[_Levels, _Options]:
    """Read one file with the catalogue options, updated by the overrides."""
    options = {**part.options, **overrides}
    mapping = (
        _as_mapping(overrides["columns"])
        if overrides.get("columns") is not None
        else _part_mapping(part, options)
    )
    if select is not None and mapping is not None:
        wanted = set(select)
        mapping = {k: v for k, v in mapping.items() if v in wanted}
    if mapping is not None:
        options["columns"] = mapping
    path = root / part.file
    if path.suffix.lower() == ".parquet":
        return _read_parquet_levels(path, options)
    return _read_csv_levels(path, options)


def _selected_parts(ds: Dataset, select: list[str] | None) -> list[DatasetPart]:
    if select is None:
        return list(ds.parts)
    wanted = set(select)
    parts = []
    for part in ds.parts:
        names = (
            set(DATASETS[part.dataset].factors)
            if part.dataset is not None
            else set((_part_mapping(part, part.options) or {}).values())
        )
        if names & wanted:
            parts.append(part)
    return parts


def _dataset_levels(
    ds: Dataset, root: Path, reader: Mapping[str, Any], select: list[str] | None
) -> _Levels:
    """Levels of a data set before its gap policy (joined or spliced parts)."""
    pieces: list[_Levels] = []
    for part in _selected_parts(ds, select):
        if part.dataset is not None:
            sub = DATASETS[part.dataset]
            pieces.append(_dataset_levels(sub, root, reader, None))
            continue
        levels, _ = _part_levels(part, root, reader, select)
        specs = {c: ds.factors.get(c, FactorSpec()) for c in levels.frame.columns}
        _check_domain(levels, specs)  # here the file lines are still known
        pieces.append(levels)
    if len(pieces) == 1:
        return _inverted(pieces[0], ds.invert)
    folder = str(root / Path(ds.files[0]).parent)
    source = f"{folder} ({ds.name}: {', '.join(Path(f).name for f in ds.files)})"
    if ds.combine == "splice":
        return _splice(pieces, source)
    names = [c for p in pieces for c in p.frame.columns]
    dup = next((c for c in names if names.count(c) > 1), None)
    if dup is not None:
        raise InputError(f"{source}: factor {dup!r} comes from more than one file")
    frame = pd.concat([p.frame for p in pieces], axis=1, join="outer", sort=True)
    frame.index.name = "date"
    return _inverted(_Levels(frame.astype(np.float64), None, source), ds.invert)


def _inverted(levels: _Levels, names: Iterable[str]) -> _Levels:
    """Levels with the factors ``names`` (those present) replaced by ``1 / value``."""
    cols = [c for c in names if c in levels.frame.columns]
    if not cols:
        return levels
    frame = levels.frame.copy()
    frame[cols] = 1.0 / frame[cols]
    return replace(levels, frame=frame)


def _splice(pieces: list[_Levels], source: str) -> _Levels:
    pieces = sorted(pieces, key=lambda p: p.frame.index[0])
    columns = list(pieces[0].frame.columns)
    for before, after in itertools.pairwise(pieces):
        if list(after.frame.columns) != columns:
            raise InputError(
                f"{source}: cannot splice {after.source} (factors {list(after.frame.columns)}) "
                f"onto {before.source} (factors {columns})"
            )
        if after.frame.index[0] <= before.frame.index[-1]:
            raise InputError(
                f"{source}: {after.source} starts on {after.frame.index[0]:%Y-%m-%d}, not after "
                f"the end of {before.source} ({before.frame.index[-1]:%Y-%m-%d}); the files "
                "overlap"
            )
    frame = pd.concat([p.frame for p in pieces], axis=0)
    return _Levels(frame.astype(np.float64), None, source)

