"""Fetch pages on a background thread so loading the last page overlaps fetching the next.

The client spends most of a rate-limited run waiting for budget; meanwhile the consumer turns
pages into Arrow tables and dlt writes them. A small bounded queue keeps memory flat: the fetcher
never runs more than ``depth`` pages ahead of the loader.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

from zdsync.client import Page, Paginator, ZendeskClient


@dataclass
class _End:
    """The stream finished (or failed with ``error``)."""

    error: BaseException | None = None


class PageFeed:
    """Pages of one paginator, fetched ahead on a daemon thread.

    Args:
        client: Shared client; its rate limiters pace the fetching.
        paginator: Where to start and how to follow.
        depth: Pages fetched ahead of the consumer.
        name: Thread name, for logs.
    """

    def __init__(
        self, client: ZendeskClient, paginator: Paginator, *, depth: int = 2, name: str = "feed"
    ) -> None:
        self.requests = 0
        self.waited_seconds = 0.0
        self._client = client
        self._paginator = paginator
        self._queue: queue.Queue[Page | _End] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=f"zdsync-{name}", daemon=True)
        self._thread.start()

    def next(self) -> Page | None:
        """The next page, or None when the stream has ended. Re-raises the fetcher's error."""
        if self._finished:
            return None
        started = time.monotonic()
        item = self._queue.get()
        self.waited_seconds += time.monotonic() - started
        if isinstance(item, _End):
            self._finished = True
            if item.error is not None:
                raise item.error
            return None
        return item

    def close(self) -> None:
        """Stop fetching; pages not yet consumed are dropped (their position was never saved)."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get_nowait()
            except queue.Empty:
                self._thread.join(timeout=0.05)

    def _run(self) -> None:
        try:
            for page in self._client.paginate(self._paginator):
                self.requests += 1
                if not self._put(page):
                    return
                if page.is_last:
                    break
        except BaseException as exc:  # handed to the consumer, who raises it in its own thread
            self._put(_End(exc))
            return
        self._put(_End())

    def _put(self, item: Page | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
