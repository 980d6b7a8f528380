"""What a run tracks as it goes: each stream's progress, and the record budget of a batch."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class StreamProgress:
    """What one stream did in this run; ``notify`` tells a watcher (a progress bar) it moved.

    ``requests`` counts the pages the stream read; ``sent`` every request to its endpoint,
    retries included, and ``rate_limited`` the 429s among them (told to watchers only).
    """

    name: str
    records: int = 0
    requests: int = 0
    sent: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    fetch_seconds: float = 0.0
    done: bool = False
    # A snapshot list read whole and found as the last load left it: nothing written.
    unchanged: bool = False
    listener: Callable[[StreamProgress], None] | None = field(default=None, repr=False)

    def notify(self) -> None:
        if self.listener is not None:
            self.listener(self)

    def finish(self) -> None:
        self.done = True
        self.notify()


class BatchBudget:
    """Records one committed batch may hold, shared by every stream extracted in it.

    Streams draw on one budget so a batch stays about ``records`` big however many streams run
    at once: the load that commits it, and the memory it needs, do not grow with the streams.
    """

    def __init__(self, records: int) -> None:
        self._left = records
        self._lock = threading.Lock()

    def spend(self, records: int) -> None:
        with self._lock:
            self._left -= records

    @property
    def spent(self) -> bool:
        with self._lock:
            return self._left <= 0
