"""The stress-episode catalogue: one TOML file per episode in ``scenarios/episodes/``.

Each file gives the episode's ``name``, ``title``, ``start``/``end`` (inclusive), ``peak`` date,
affected ``risk_classes``, a ``description``, dated ``[[events]]`` and ``[[sources]]``
(title, publisher, date). The folder is ``$IMRESEARCH_SCENARIOS/episodes`` if that variable is
set, else the catalogue shipped with the package.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from imresearch.errors import DataNotFoundError, InputError
from imresearch.marketdata.factors import RISK_CLASSES
from imresearch.marketdata.history import RiskFactorHistory
from imresearch.schema import Document, read_toml

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover
    pass

__all__ = [
    "Episode",
    "EpisodeEvent",
    "episode_names",
    "episodes_dir",
    "load_episode",
    "load_episodes",
]

_KEYS = {"name", "title", "start", "end", "peak", "risk_classes", "description", "events",
         "sources"}
_REQUIRED = ("name", "title", "start", "end", "description", "sources")
_EVENT_KEYS = {"date", "what"}
_SOURCE_KEYS = {"title", "publisher", "date", "url"}


@dataclass(frozen=True)
class EpisodeEvent:
    """A dated event inside an episode."""

    date: pd.Timestamp
    what: str


@dataclass(frozen=True)
class Episode:
    """A stress episode: dates, description, events and sources.

    Attributes
    ----------
    name, title : str
        Identifier (the file stem) and human title.
    start, end : pandas.Timestamp
        First and last date of the episode window (inclusive).
    peak : pandas.Timestamp or None
        Date of peak stress.
    risk_classes : tuple of str
        Risk classes most affected.
    description : str
        What happened.
    events : tuple of EpisodeEvent
        Dated events, in date order.
    sources : tuple of dict
        References (title, publisher, date, optional url).
    path : Path or None
        File the episode was read from.
    """

    name: str
    title: str
    start: pd.Timestamp
    end: pd.Timestamp
    description: str
    peak: pd.Timestamp | None = None
    risk_classes: tuple[str, ...] = ()
    events: tuple[EpisodeEvent, ...] = ()
    sources: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    path: Path | None = None

    def covered_by(self, history: RiskFactorHistory) -> bool:
        """Whether the history's dates span the whole episode."""
        return bool(history.start <= self.start and history.end >= self.end)

    def window(self, history: RiskFactorHistory, *, lookback_days: int = 0) -> RiskFactorHistory:
        """The history over the episode, preceded by ``lookback_days`` business days.

        Raises
        ------
        InputError
            If the history does not cover the episode (or its lookback), saying what is missing.
        """
        if not self.covered_by(history):
            raise InputError(
                f"episode {self.name} ({self.start:%Y-%m-%d} .. {self.end:%Y-%m-%d}) is outside "
                f"the data {history.name} ({history.start:%Y-%m-%d} .. {history.end:%Y-%m-%d})"
            )
        first = int(history.dates.searchsorted(self.start))
        if first < lookback_days:
            raise InputError(
                f"episode {self.name}: data {history.name} has {first} business days before "
                f"{self.start:%Y-%m-%d}, fewer than lookback_days={lookback_days}"
            )
        return history.window(history.dates[first - lookback_days], self.end)


def episodes_dir() -> Path:
    """Folder of the episode files."""
    env = os.environ.get("IMRESEARCH_SCENARIOS")
    if env:
        path = Path(env) / "episodes"
        if not path.is_dir():
            raise DataNotFoundError(f"IMRESEARCH_SCENARIOS={env}: no episodes/ folder there")
        return path
    return Path(__file__).resolve().parent / "episodes"


def episode_names() -> list[str]:
    """Names of the episodes in the catalogue, in date order."""
    return [e.name for e in load_episodes()]


def load_episode(name_or_path: str | os.PathLike[str]) -> Episode:
    """Read one episode by catalogue name or file path.

    Raises
    ------
    InputError
        Unknown name, unreadable file, invalid TOML, unknown or missing keys, values of the
        wrong type, malformed dates, end before start, a peak or event outside the window, an
        unknown risk class. Messages name file and key.
    """
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = episodes_dir() / f"{name_or_path}.toml"
        if not path.is_file():
            names = sorted(p.stem for p in episodes_dir().glob("*.toml"))
            raise InputError(f"unknown episode {str(name_or_path)!r}; known: {', '.join(names)}")
    if not path.is_file():
        raise DataNotFoundError(f"{path}: episode file not found")
    d = Document(str(path))
    doc = d.table(read_toml(path, what="episode file"), "", _KEYS)
    missing = [k for k in _REQUIRED if k not in doc]
    if missing:
        raise InputError(f"{path}: missing key(s) {missing}")
    name = d.text(doc["name"], "name")
    start, end = d.date(doc["start"], "start"), d.date(doc["end"], "end")
    if end < start:
        raise InputError(f"{path}: key 'end' ({end:%Y-%m-%d}) is before 'start' "
                         f"({start:%Y-%m-%d})")
    peak = d.date(doc["peak"], "peak") if "peak" in doc else None
    if peak is not None and not (start <= peak <= end):
        raise InputError(f"{path}: key 'peak' ({peak:%Y-%m-%d}) is outside start..end")
    classes = tuple(d.text(c, f"risk_classes[{i}]") for i, c in
                    enumerate(_list(d, doc.get("risk_classes", []), "risk_classes")))
    bad = [c for c in classes if c not in RISK_CLASSES]
    if bad:
        raise InputError(f"{path}: key 'risk_classes': unknown {bad}; allowed: {RISK_CLASSES}")
    events = []
    for i, ev in enumerate(_list(d, doc.get("events", []), "events")):
        ev = d.table(ev, f"events[{i}]", _EVENT_KEYS)
        if not {"date", "what"} <= set(ev):
            raise InputError(f"{path}: events[{i}] needs exactly 'date' and 'what'; got "
                             f"{sorted(ev)}")
        day = d.date(ev["date"], f"events[{i}].date")
        if not (start <= day <= end):
            raise InputError(f"{path}: events[{i}].date {day:%Y-%m-%d} is outside start..end")
        events.append(EpisodeEvent(day, d.text(ev["what"], f"events[{i}].what")))
    sources = []
    for i, src in enumerate(_list(d, doc["sources"], "sources")):
        src = d.table(src, f"sources[{i}]", _SOURCE_KEYS)
        if "title" not in src:
            raise InputError(f"{path}: sources[{i}]: needs 'title'")
        d.text(src["title"], f"sources[{i}].title")
        if "date" in src:
            src["date"] = d.date(src["date"], f"sources[{i}].date").date().isoformat()
        sources.append(dict(src))
    if not sources:
        raise InputError(f"{path}: key 'sources' is empty; every episode cites a source")
    if name != path.stem:
        raise InputError(f"{path}: key 'name' ({name!r}) must equal the file name")
    return Episode(
        name=name, title=d.text(doc["title"], "title"), start=start, end=end,
        description=" ".join(d.text(doc["description"], "description").split()), peak=peak,
        risk_classes=classes, events=tuple(sorted(events, key=lambda e: e.date)),
        sources=tuple(sources), path=path,
    )


def _list(d: Document, value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise d.fail(key, f"must be a list; got {value!r}")
    return value


def load_episodes() -> list[Episode]:
    """Every episode of the catalogue, in date order."""
    folder = episodes_dir()
    return sorted((load_episode(p) for p in folder.glob("*.toml")), key=lambda e: e.start)
