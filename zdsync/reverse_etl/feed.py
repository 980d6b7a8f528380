"""Batches handed from the planner to the bulk sender while the rest of the input is planned.

A push sends its first jobs as soon as their rows are planned: the rows after them are
validated and matched while those jobs run. The planner puts batches in as they are ready and
closes the feed when it has planned every row, or with the error that stopped it; the sender
takes what is ready, and waits on the feed when it has free slots and nothing to send.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

Batch = TypeVar("Batch")


class FeedCancelled(Exception):
    """The sender stopped: the planner has no one to plan for."""


class Feed(Generic[Batch]):
    """A queue of batches that may still grow until it is closed."""

    def __init__(self, batches: Iterable[Batch] = (), *, closed: bool = False) -> None:
        self._ready: deque[Batch] = deque(batches)
        self._changed = threading.Condition()
        self._closed = closed
        self._cancelled = False
        self._error: BaseException | None = None

    @classmethod
    def of(cls, batches: Iterable[Batch]) -> Feed[Batch]:
        """A feed holding ``batches`` and nothing more."""
        return cls(batches, closed=True)

    @property
    def closed(self) -> bool:
        with self._changed:
            return self._closed

    def __bool__(self) -> bool:
        """Whether a batch is ready or may still come."""
        with self._changed:
            self._raise()
            return bool(self._ready) or not self._closed

    def ready(self) -> int:
        with self._changed:
            self._raise()
            return len(self._ready)

    def popleft(self) -> Batch:
        with self._changed:
            return self._ready.popleft()

    def put(self, batch: Batch) -> None:
        """Hand one batch over; raises ``FeedCancelled`` once the sender has stopped."""
        with self._changed:
            if self._cancelled:
                raise FeedCancelled
            self._ready.append(batch)
            self._changed.notify_all()

    def close(self, error: BaseException | None = None) -> None:
        """No more batches; with ``error``, the sender raises it instead of going on."""
        with self._changed:
            self._closed, self._error = True, error
            self._changed.notify_all()

    def cancel(self) -> None:
        """The sender stopped: the planner's next ``put`` raises ``FeedCancelled``."""
        with self._changed:
            self._cancelled = True
            self._changed.notify_all()

    def wait(self, seconds: float | None) -> bool:
        """Wait up to ``seconds`` (None: as long as it takes) for a batch or the close; whether
        one came."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: bool(self._ready) or self._closed, seconds)
            self._raise()
            return arrived

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error
