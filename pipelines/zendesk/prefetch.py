"""Values fetched ahead on a thread of their own, so a run's other work goes on meanwhile.

The deleted-users list, the GDPR statuses and the field definitions spend only the account-wide
budget, which the exports leave nearly all unused: fetched while the exports run, they add
nothing to the run's length, yet they are still loaded after the exports, in a batch of their
own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """The run ended before the fetch finished; nobody will read what it fetched."""


class Prefetch(Generic[T]):
    """A value fetched at most once: ahead, after ``start()``, or when first asked for.

    A failure is kept and raised to whoever asks for the value, in their own thread.
    """

    def __init__(self, fetch: Callable[[], T], *, name: str) -> None:
        self._fetch = fetch
        self._name = name
        self._lock = threading.Lock()
        self._done = False
        self._value: T | None = None
        self._error: BaseException | None = None

    def start(self) -> None:
        """Begin fetching on a daemon thread, unless the value is already fetched or due."""
        thread = threading.Thread(target=self._settle, name=f"zdsync-{self._name}", daemon=True)
        thread.start()

    def get(self) -> T:
        """The value, waiting for a fetch under way or fetching it now."""
        self._settle()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def _settle(self) -> None:
        with self._lock:
            if self._done:
                return
            try:
                self._value = self._fetch()
            except BaseException as exc:  # raised again by get(), in the caller's thread
                self._error = exc
            self._done = True
