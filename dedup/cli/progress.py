"""Progress of the long stages on stderr, on a terminal only.

The library calls ``progress(stage, done, total)`` (stage names:
``fingerprinting``, ``candidates``, ``verification``, ``boilerplate``,
``story``, ``rewrites``; the CLI adds ``writing`` while it renders the
output). :class:`ProgressDisplay` draws one line per stage, redrawn in place
on a terminal; a callback of the older two-argument form ``progress(done,
total)`` is read as ``fingerprinting``.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["STAGES", "ProgressDisplay"]

#: Stage names in pipeline order.
STAGES = ("fingerprinting", "candidates", "verification", "boilerplate", "story", "rewrites", "writing")

_BAR = 24
_MIN_REDRAW = 0.1  # seconds between two redraws of the same line


class ProgressDisplay:
    """A ``progress(stage, done, total)`` callback that draws on a stream.

    Args:
        stream: Where to draw (stderr).
        live: Redraw the line in place (a terminal). Otherwise print each
            stage's name once when it starts and once when it ends.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> p = ProgressDisplay(out, live=False)
        >>> p("fingerprinting", 0, 4); p("fingerprinting", 4, 4); p("story", 1, 2); p.close()
        >>> print(out.getvalue(), end="")
        Fingerprinting ...
        Fingerprinting done (4/4)
        Story ...
        Story done (1/2)
    """

    def __init__(self, stream: TextIO | None = None, *, live: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = live
        self.stage: str | None = None
        self.done = 0
        self.total = 0
        self._drawn = 0.0
        self._width = 0

    def __call__(self, *args: Any) -> None:
        if len(args) == 2:  # the older progress(done, total) form
            stage, (done, total) = "fingerprinting", args
        else:
            stage, done, total = args
        if stage != self.stage:
            self._finish()
            self.stage = stage
            self._drawn = 0.0
            if not self.live:
                self._write(f"{stage.capitalize()} ...\n")
        self.done, self.total = int(done), int(total)
        if not self.live and self.total > 0 and self.done >= self.total:
            self._finish()
        elif self.live:
            now = time.monotonic()
            if now - self._drawn >= _MIN_REDRAW or self.done >= self.total:
                self._drawn = now
                self._draw()

    def _line(self) -> str:
        assert self.stage is not None
        label = f"{self.stage.capitalize():<15}"
        if self.total <= 0:
            return label
        frac = min(1.0, self.done / self.total)
        filled = round(frac * _BAR)
        return f"{label}[{'#' * filled}{'-' * (_BAR - filled)}] {self.done}/{self.total} {frac:4.0%}"

    def _draw(self) -> None:
        line = self._line()
        pad = max(0, self._width - len(line))
        self._write("\r" + line + " " * pad)
        self._width = len(line)

    def _finish(self) -> None:
        if self.stage is None:
            return
        if self.live:
            self._draw()
            self._write("\n")
            self._width = 0
        else:
            counts = f" ({self.done}/{self.total})" if self.total > 1 else ""
            self._write(f"{self.stage.capitalize()} done{counts}\n")
        self.stage = None

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        """End the current stage's line."""
        self._finish()

    def abandon(self) -> None:
        """Stop drawing after an error or an interrupt: end a live line, print nothing else."""
        if self.live and self.stage is not None:
            self._write("\n")
        self.stage = None
