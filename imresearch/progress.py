"""Progress of long jobs on stderr: a bar on a terminal, plain lines in logs.

On a terminal, :class:`Progress` shows one bar for the current step, measured in that step's own
units (models, tasks...) with their elapsed and remaining time, so a step that takes most of
the run still shows meaningful progress. Without a terminal (logs, CI, ``nohup``) it prints one
line per step with the elapsed time, and within a long step a line at most every
:data:`HEARTBEAT_S` seconds. Imports no numerical library.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TextIO

__all__ = ["HEARTBEAT_S", "Progress", "format_seconds"]

#: Least time between two lines of one step in line mode.
HEARTBEAT_S = 30.0

Mode = Literal["auto", "bar", "lines", "off"]


def format_seconds(seconds: float) -> str:
    """``"42.1 s"``, ``"3 min 05 s"`` or ``"1 h 02 min"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class Progress:
    """Steps of a job, each with an optional number of units, reported on ``stream``.

    Parameters
    ----------
    title : str
        Prefix of every line, e.g. ``"study default"``.
    steps : mapping of str to int or None, optional
        The steps in order, each with its number of units (None: not counted). Steps not
        listed may still be started; they are numbered after the listed ones.
    mode : {"auto", "bar", "lines", "off"}
        ``"auto"``: a bar when ``stream`` is a terminal, else lines.
    stream : file, optional
        Default ``sys.stderr``.
    clock : callable, optional
        Time source (seconds); for tests.
    """

    def __init__(self, title: str, steps: Mapping[str, int | None] | None = None, *,
                 mode: Mode = "auto", stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.title = title
        self.steps = dict(steps or {})
        self.stream = stream if stream is not None else sys.stderr
        if mode == "auto":
            isatty = getattr(self.stream, "isatty", None)
            mode = "bar" if callable(isatty) and isatty() else "lines"
        self.mode = mode
        self._clock = clock
        self._start = clock()
        self._step: str | None = None
        self._step_start = self._start
        self._done = 0
        self._total: int | None = None
        self._last_line = self._start
        self._bar: Any = None
        self._closed = False

    # ------------------------------------------------------------------ reporting
    def _number(self, label: str) -> str:
        names = list(self.steps)
        n = len(names)
        return f"[{names.index(label) + 1}/{n}] " if label in names and n > 1 else ""

    def _line(self, text: str) -> None:
        print(f"{self.title}: {text}", file=self.stream, flush=True)
        self._last_line = self._clock()

    def note(self, text: str) -> None:
        """Print a one-off message (in every mode but ``off``)."""
        if self.mode == "off":
            return
        if self._bar is not None:
            self._bar.write(f"{self.title}: {text}", file=self.stream)
        else:
            self._line(text)

    def step(self, label: str, total: int | None = None, detail: str | None = None) -> None:
        """Start step ``label`` with ``total`` units (default: as declared in ``steps``)."""
        if label not in self.steps:
            self.steps[label] = total
        total = total if total is not None else self.steps[label]
        self._step, self._total, self._done = label, total, 0
        self._step_start = now = self._clock()
        if self.mode == "lines":
            extra = f": {detail}" if detail else ""
            self._line(f"{self._number(label)}{label}{extra} (elapsed "
                       f"{format_seconds(now - self._start)})")
        elif self.mode == "bar":
            self._show_bar(detail)

    def advance(self, detail: str | None = None, n: int = 1) -> None:
        """Mark ``n`` units of the current step done; ``detail`` names the next one."""
        self._done += n
        if self.mode == "lines":
            now = self._clock()
            if now - self._last_line >= HEARTBEAT_S:
                of = f"/{self._total}" if self._total else ""
                extra = f", {detail}" if detail else ""
                self._line(f"{self._step}: {self._done}{of} done{extra} (elapsed "
                           f"{format_seconds(now - self._start)})")
        elif self.mode == "bar" and self._bar is not None:
            self._bar.update(n)
            if detail:
                self._bar.set_postfix_str(detail, refresh=True)

    def say(self, text: str, aliases: Mapping[str, str] | None = None) -> None:
        """Report a free-text message ``"step: detail"`` from a job's ``progress`` callback.

        ``aliases`` maps message prefixes to step labels. A message for the current step
        advances it by one unit (the previous unit is done); another starts that step.
        """
        label, _, detail = text.partition(": ")
        for prefix, step in (aliases or {}).items():
            if text.startswith(prefix):
                label = step
                break
        if label == self._step:
            self.advance(detail or None)
        else:
            self.step(label, detail=detail or None)

    def _show_bar(self, detail: str | None) -> None:
        from tqdm.auto import tqdm

        desc = f"{self.title} {self._number(self._step or '')}{self._step}"
        fmt = ("{desc}: {n_fmt}/{total_fmt} {bar} [{elapsed}<{remaining}]{postfix}"
               if self._total else "{desc} [{elapsed}]{postfix}")
        if self._bar is not None:
            self._bar.close()
        self._bar = tqdm(total=self._total, desc=desc, file=self.stream, leave=False,
                         bar_format=fmt, dynamic_ncols=True, postfix=detail or None)

    def close(self, message: str | None = None) -> None:
        """End the job: remove the bar, then print ``message`` with the total time."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.mode != "off" and message is not None:
            self._line(f"{message} in {format_seconds(self._clock() - self._start)}")

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
