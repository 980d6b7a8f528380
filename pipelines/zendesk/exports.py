"""Zendesk's incremental exports: streams read from a saved position, in committed batches.

Each batch reads its position from dlt's resource state, yields converted pages, and saves the
position after the rows that reach it. dlt commits a resource's state in the same load package
as the rows extracted with it, so a position never runs ahead of the data: a run that dies
before its package is loaded leaves the old one in place, and the next run fetches those pages
again. A batch stops once the record budget it shares with the other exports is spent, so a long
backfill commits (rows and positions together) every batch.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import dlt

from pipelines.zendesk.convert import Converter
from pipelines.zendesk.derived import Derived, DerivedTable
from pipelines.zendesk.feed import FedPage, PageFeed, parsed_pages, raw_export_pages
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from pipelines.zendesk.state import check_version
from pipelines.zendesk.stream import Fetch, Phase, RunContext, Stream
from zdsync.client import IncrementalCursorExport, Paginator, TimeBasedExport, ZendeskClient
from zdsync.client.pagination import MAX_EXPORT_PAGE


def epoch_of(timestamp: str) -> int:
    """``2024-05-01T12:00:00Z`` as Unix seconds."""
    return int(datetime.fromisoformat(timestamp).timestamp())


class Export(Fetch):
    """What both export styles share: batched loads, and a position saved with the rows."""

    phase: ClassVar[Phase] = Phase.EXPORTS
    page_size: ClassVar[int] = MAX_EXPORT_PAGE

    @abstractmethod
    def paginator(
        self, stream: Stream, state: MutableMapping[str, Any], start_time: int
    ) -> Paginator:
        """The paginator that continues ``stream`` from its saved position."""

    @abstractmethod
    def pages(
        self,
        client: ZendeskClient,
        paginator: Paginator,
        converter: Converter,
        derived: Sequence[DerivedTable],
    ) -> Iterator[FedPage]:
        """The stream's pages from ``paginator``'s position, converted, with the rows of the
        ``derived`` streams each carries."""

    @abstractmethod
    def save(self, state: MutableMapping[str, Any], position: Any) -> None:
        """Record where the next run starts, once the page's rows have been handed to dlt."""

    def start(self, stream: Stream, run: RunContext) -> ExportTask:
        return ExportTask(stream, self, run, run.progress(stream.name))


@dataclass(frozen=True)
class CursorExport(Export):
    """``/api/v2/incremental/<records>/cursor``: resumed from ``after_cursor``, no repeats.

    Its pages are parsed straight from the body by DuckDB, which is the fast path.
    """

    def pages(
        self,
        client: ZendeskClient,
        paginator: Paginator,
        converter: Converter,
        derived: Sequence[DerivedTable],
    ) -> Iterator[FedPage]:
        return raw_export_pages(client, paginator, converter, derived)

    def paginator(
        self, stream: Stream, state: MutableMapping[str, Any], start_time: int
    ) -> IncrementalCursorExport:
        check_version(state, stream.name)
        return IncrementalCursorExport(
            stream.path,
            stream.key,
            start_time=start_time,
            cursor=state.get("cursor"),
            per_page=stream.per_page,
            params=stream.params,
        )

    def save(self, state: MutableMapping[str, Any], position: Any) -> None:
        if position:
            state["cursor"] = position

    def describe(self, state: Mapping[str, Any]) -> str | None:
        return f"cursor {state['cursor']}" if "cursor" in state else None


@dataclass(frozen=True)
class TimeExport(Export):
    """``/api/v2/incremental/<records>``: resumed from ``start_time``.

    Attributes:
        stamp: The field whose second orders the export (the paginator drops the records of
            the boundary second a page repeats, so it reads each record's).
    """

    stamp: str = "updated_at"

    def pages(
        self,
        client: ZendeskClient,
        paginator: Paginator,
        converter: Converter,
        derived: Sequence[DerivedTable],
    ) -> Iterator[FedPage]:
        return parsed_pages(client, paginator, converter, derived)

    def paginator(
        self, stream: Stream, state: MutableMapping[str, Any], start_time: int
    ) -> TimeBasedExport:
        check_version(state, stream.name)
        return TimeBasedExport(
            stream.path,
            stream.key,
            start_time=int(state.get("start_time", start_time)),
            timestamp_of=self.timestamp_of,
            per_page=stream.per_page,
            params=stream.params,
        )

    def timestamp_of(self, record: Mapping[str, Any]) -> int:
        return epoch_of(record[self.stamp])

    def save(self, state: MutableMapping[str, Any], position: Any) -> None:
        state["start_time"] = int(position)

    def describe(self, state: Mapping[str, Any]) -> str | None:
        return f"start_time {state['start_time']}" if "start_time" in state else None


class ExportTask:
    """One export stream's fetching for the length of a run, across its batches."""

    def __init__(
        self, stream: Stream, kind: Export, run: RunContext, progress: StreamProgress
    ) -> None:
        self.stream = stream
        self.kind = kind
        self.run = run
        self.progress = progress
        self._feed: PageFeed | None = None
        self._converter: Converter | None = None
        self._derived: list[DerivedTable] | None = None

    @property
    def done(self) -> bool:
        return self.progress.done

    def fetch_ahead(self) -> None:
        """Nothing: an export spends its own budget, and starts where dlt's state says."""

    def batch(self, budget: BatchBudget) -> Iterator[Any]:
        return export_batch(self, budget)

    def feed(self, state: MutableMapping[str, Any]) -> PageFeed:
        # Opened on the first batch, when dlt has handed over the saved position.
        if self._feed is None:
            paginator = self.kind.paginator(self.stream, state, self.run.start_time)
            converter = self.converter()
            derived = self.derived()
            self._feed = PageFeed(
                lambda: self.kind.pages(self.run.client, paginator, converter, derived),
                depth=self.run.prefetch_pages(self.stream),
                name=self.stream.name,
            )
        return self._feed

    def derived(self) -> list[DerivedTable]:
        """The streams whose rows this one's pages carry, among the run's, each with the
        converter that types them."""
        if self._derived is None:
            self._derived = [
                DerivedTable(task.stream, self.run.converter(task.stream))
                for task in self.run.tasks.values()
                if isinstance(task.stream.fetch, Derived)
                and task.stream.fetch.follows == self.stream.name
            ]
        return self._derived

    def converter(self) -> Converter:
        if self._converter is None:
            self._converter = self.run.converter(self.stream)
        return self._converter

    def loaded(self) -> None:
        if self._converter is not None:
            self._converter.forget_handed()
        for table in self._derived or []:
            table.converter.forget_handed()

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()


def export_batch(task: ExportTask, budget: BatchBudget) -> Iterator[Any]:
    """Pages of an export stream from its saved position, until the batch's budget is spent."""
    state = dlt.current.resource_state()
    feed = task.feed(state)
    progress = task.progress
    batch = task.converter().batch()
    # Each derived table's rows gather in files of their own, as the export's records do.
    derived = {table.stream.name: table.converter.batch() for table in task.derived()}
    while not budget.spent:
        page = feed.next()
        progress.requests = feed.requests
        progress.waited_seconds = feed.waited_seconds
        progress.fetch_seconds = feed.fetch_seconds
        if page is None:
            progress.finish()
            break
        if page.records is not None:
            yield from batch.add(page.records)
        for name, part in page.derived.items():
            yield from derived[name].add(part)
            task.run.tasks[name].progress.records += part.count
        task.kind.save(state, page.position)
        budget.spend(page.count)
        progress.records += page.count
        progress.done = page.is_last
        progress.notify()
        if page.is_last:
            break
    yield from batch.finish()
    for table_batch in derived.values():
        yield from table_batch.finish()
