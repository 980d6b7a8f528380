"""How far a push has got, for a watcher: rows settled out of those read, and its jobs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class PushProgress:
    """What a push has done so far; ``notify`` tells a watcher (a progress display) it moved.

    ``settled`` counts rows with an outcome (sent and reconciled, or never sent: unchanged,
    invalid); ``jobs`` the bulk jobs Zendesk queued, ``jobs_done`` those reconciled.
    """

    name: str
    rows: int
    settled: int = 0
    jobs: int = 0
    jobs_done: int = 0
    failed: int = 0
    done: bool = False
    listener: Callable[[PushProgress], None] | None = field(default=None, repr=False)

    def notify(self) -> None:
        if self.listener is not None:
            self.listener(self)
