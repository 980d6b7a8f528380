"""Fetch pages on a background thread so loading the last page overlaps fetching the next.

The client spends most of a rate-limited run waiting for budget; meanwhile dlt writes and loads
what already arrived. The fetcher also converts each page (DuckDB does that without holding the
GIL), so conversion runs beside dlt's work too. A bounded queue keeps the fetcher at most
``depth`` pages ahead of the loader.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from pipelines.zendesk.convert import Converted, Converter
from pipelines.zendesk.derived import DerivedTable, derived_parts, sideloads
from zdsync.client import PageRequest, Paginator, ZendeskClient
from zdsync.client.errors import ZendeskError

# What each export body carries besides its records; the paginator reads these.
CURSOR_EXPORT_FIELDS = {
    "after_cursor": "VARCHAR",
    "after_url": "VARCHAR",
    "before_cursor": "VARCHAR",
    "end_of_stream": "BOOLEAN",
}


@dataclass(frozen=True)
class FedPage:
    """A fetched page: its records converted (None when empty), how many, where it ends, and
    the rows it carries for each derived stream, converted too."""

    records: Converted | None
    count: int
    position: Any
    is_last: bool
    derived: dict[str, Converted] = field(default_factory=dict)


def parsed_pages(
    client: ZendeskClient,
    paginator: Paginator,
    converter: Converter,
    derived: Sequence[DerivedTable] = (),
) -> Iterator[FedPage]:
    """Pages read as JSON by the client, then converted: any paginator."""
    for page in client.paginate(paginator):
        records = converter.records(page.items) if page.items else None
        rows = derived_parts(derived, page.items, page.body) if derived else {}
        yield FedPage(records, len(page.items), page.position, page.is_last, rows)


def raw_export_pages(
    client: ZendeskClient,
    paginator: Paginator,
    converter: Converter,
    derived: Sequence[DerivedTable] = (),
) -> Iterator[FedPage]:
    """Cursor-export pages parsed straight from the body by DuckDB: the fast path."""
    keys = sideloads(derived)
    # The sideloaded lists the derived streams read, each as its JSON text.
    lists = dict.fromkeys(keys or (), "JSON")
    request: PageRequest | None = paginator.first_request()
    while request is not None:
        try:
            body = client.get_bytes(request.url, params=request.params)
        except ZendeskError as exc:
            page = paginator.recover(exc)
            yield FedPage(None, 0, page.position, page.is_last)
            return
        records, fields = converter.page(body, {**CURSOR_EXPORT_FIELDS, **lists})
        # Only the sideloads become Python objects, each read back from DuckDB's parse.
        sideloaded = {key: orjson.loads(fields.pop(key) or "null") for key in lists}
        page, request = paginator.read({**fields, converter.shape.key: []})
        rows = derived_rows(derived, body, sideloaded, converter.shape.key)
        count = records.count if records else 0
        yield FedPage(records, count, page.position, page.is_last, rows)


def derived_rows(
    derived: Sequence[DerivedTable], body: bytes, sideloaded: dict[str, Any], key: str
) -> dict[str, Converted]:
    """The derived streams' rows of a cursor-export page: from its sideloaded lists alone when
    they are all the streams read, else from the whole body read into Python."""
    if not derived:
        return {}
    if sideloads(derived) is not None:
        return derived_parts(derived, [], sideloaded)
    parsed = orjson.loads(body)
    return derived_parts(derived, parsed.get(key) or [], parsed)


@dataclass
class _End:
    """The stream finished (or failed with ``error``)."""

    error: BaseException | None = None


class PageFeed:
    """Pages from ``pages``, produced ahead on a daemon thread.

    Args:
        pages: The page generator to run on the thread.
        depth: Pages produced ahead of the consumer.
        name: Thread name, for logs.
    """

    def __init__(
        self, pages: Callable[[], Iterator[FedPage]], *, depth: int = 2, name: str = "feed"
    ) -> None:
        self.requests = 0
        self.waited_seconds = 0.0
        # From the first request to the last page's arrival: the stream's pace, without loading.
        self.fetch_seconds = 0.0
        self._started = time.monotonic()
        self._pages = pages
        self._queue: queue.Queue[FedPage | _End] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name=f"zdsync-{name}", daemon=True)
        self._thread.start()

    def next(self) -> FedPage | None:
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
            for page in self._pages():
                self.requests += 1
                self.fetch_seconds = time.monotonic() - self._started
                if not self._put(page) or page.is_last:
                    break
        except BaseException as exc:  # handed to the consumer, who raises it in its own thread
            self._put(_End(exc))
            return
        self._put(_End())

    def _put(self, item: FedPage | _End) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
