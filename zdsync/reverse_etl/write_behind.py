"""Handing reports to a slow consumer in a thread of its own, in order, without waiting for it.

The bulk sender finds jobs done and must refill their slots and poll again on time; writing
their rows down (reconciling, the sync log in DuckDB) can take longer than a job, the first time
above all. Reports queue up while the consumer works, and whatever queued meanwhile reaches it
in one call, so a consumer that falls behind writes in larger batches and catches up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class WriteBehind(Generic[Item]):
    """Calls ``consume`` from one thread with everything handed in since its last call.

    An exception from ``consume`` stops the thread; it is raised again by the next ``put`` and
    by ``close``. Use as a context manager: leaving it waits until everything handed in is
    consumed.
    """

    def __init__(self, consume: Callable[[list[Item]], None], name: str = "write-behind") -> None:
        self._consume = consume
        self._queue: list[Item] = []
        self._changed = threading.Condition()
        self._closed = False
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)

    def __enter__(self) -> WriteBehind[Item]:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close(raise_error=exc_info[0] is None)

    def put(self, items: list[Item]) -> None:
        """Queue ``items`` for the consumer; raises what it raised, if it did."""
        with self._changed:
            self._raise()
            self._queue.extend(items)
            self._changed.notify()

    def close(self, raise_error: bool = True) -> None:
        """Wait until everything queued is consumed (or the consumer failed)."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join()
        if raise_error:
            with self._changed:
                self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._queue) or self._closed)
                if not self._queue:
                    return
                items, self._queue = self._queue, []
            try:
                self._consume(items)
            except BaseException as exc:  # the producer raises it, in its own thread
                with self._changed:
                    self._error = exc
                    self._queue.clear()
                return
