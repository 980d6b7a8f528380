"""A run's progress as plain one-line messages, for wherever output is not a terminal.

CI logs, Prefect's run logs and pipes get one line per stream (or push) at most every few
seconds, and one when it is done. A terminal gets a live table instead (``zdsync.reporting``),
with the same figures, named here once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from pipelines.zendesk.progress import StreamProgress
from zdsync.reverse_etl.progress import PushProgress

LOG_EVERY_SECONDS = 5.0
Watched = StreamProgress | PushProgress


def figures(progress: Watched) -> dict[str, str]:
    """What a display shows of ``progress``, by heading."""
    if isinstance(progress, PushProgress):
        return {
            "rows": f"{progress.settled:,}/{progress.rows:,}",
            "jobs": f"{progress.jobs_done:,}/{progress.jobs:,}",
            "failed rows": f"{progress.failed:,}",
        }
    return {
        "records": f"{progress.records:,}",
        "pages": f"{progress.requests:,}",
        "requests": f"{progress.sent:,}",
        "429s": f"{progress.rate_limited:,}",
        "waited": f"{progress.waited_seconds:.1f}s",
    }


def line(progress: Watched) -> str:
    """``progress`` in one line: ``tickets: 1,000 records, 10 pages, ...``."""
    shown = ", ".join(f"{value} {heading}" for heading, value in figures(progress).items())
    return f"{progress.name}: {shown}" + (", done" if progress.done else "")


class ProgressLines:
    """A progress listener that logs a line per stream every ``every`` seconds, and when done.

    Args:
        logger: Where the lines go: the CLI's log, or a Prefect run's logger.
        every: Seconds between two lines of one stream.
    """

    def __init__(self, logger: Any = None, every: float = LOG_EVERY_SECONDS) -> None:
        self.logger = logger or logging.getLogger("zdsync.progress")
        self.every = every
        self._lock = threading.Lock()
        self._last: dict[str, float] = {}

    def __call__(self, progress: Watched) -> None:
        now = time.monotonic()
        with self._lock:
            if not progress.done and now - self._last.get(progress.name, -self.every) < self.every:
                return
            self._last[progress.name] = now
        self.logger.info("%s", line(progress))
