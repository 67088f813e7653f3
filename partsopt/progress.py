"""Progress on stderr for long work (an edge module: it writes to the terminal).

The library reports progress through a callback ``progress(step, total, label)``;
the CLI passes :func:`stderr_progress` so a person at a terminal sees a bar,
while a batch job (stderr not a TTY) gets one plain line per stage.
"""
from __future__ import annotations

import sys
import time
from typing import Callable, TextIO

ProgressFn = Callable[[int, int, str], None]


def no_progress(step: int, total: int, label: str) -> None:
    """The default callback: report nothing."""


class StderrProgress:
    """A one-line bar ``label [#####.....] 5/10 0:03`` redrawn in place on a TTY."""

    def __init__(self, stream: TextIO | None = None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.t0 = time.monotonic()
        self.last_label = None
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, step: int, total: int, label: str) -> None:
        elapsed = time.monotonic() - self.t0
        if not self.tty:  # a log: one line when a stage starts and one when it ends
            if label != self.last_label or step >= total:
                self.stream.write(f"{label}: {step}/{total} ({elapsed:.1f}s)\n")
                self.stream.flush()
            self.last_label = label
            return
        frac = 0.0 if total <= 0 else min(1.0, step / total)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if step >= total else ""
        self.stream.write(f"\r{label:<24.24} [{bar}] {step}/{total} {elapsed:5.1f}s{end}")
        self.stream.flush()
        self.last_label = label


def stderr_progress() -> ProgressFn:
    return StderrProgress()
