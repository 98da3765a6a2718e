"""Stress-episode catalogue and scenario files."""

from imresearch.scenarios.episodes import (
    Episode,
    EpisodeEvent,
    episode_names,
    episodes_dir,
    load_episode,
    load_episodes,
)

__all__ = [
    "Episode",
    "EpisodeEvent",
    "episode_names",
    "episodes_dir",
    "load_episode",
    "load_episodes",
]
