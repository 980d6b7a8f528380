"""The dlt resources: one module-level generator per kind of collection.

Each generator reads its position from dlt's resource state, yields converted pages (files for
dlt to import, or Arrow tables), and saves the position after the rows that reach it. Export
streams stop once their batch's record budget is spent, so that a long backfill commits (rows and
cursor together) every batch; the caller runs the pipeline again until every stream has ended.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import dlt
from dlt.common.schema.typing import TColumnSchema

from pipelines.zendesk import state as positions
from pipelines.zendesk.convert import Converted, Converter
from pipelines.zendesk.feed import PageFeed, parsed_pages, raw_export_pages
from pipelines.zendesk.gdpr import is_permanently_deleted
from pipelines.zendesk.prefetch import Prefetch, Stopped
from pipelines.zendesk.streams import (
    COMPLIANCE_DELETION_STATUSES,
    DELETED_USERS,
    DLT_TYPES,
    Stream,
)
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError

log = logging.getLogger(__name__)


@dataclass
class StreamProgress:
    """What one stream did in this run; ``notify`` tells a watcher (a progress bar) it moved."""

    name: str
    records: int = 0
    requests: int = 0
    waited_seconds: float = 0.0
    fetch_seconds: float = 0.0
    done: bool = False
    listener: Callable[[StreamProgress], None] | None = field(default=None, repr=False)

    def notify(self) -> None:
        if self.listener is not None:
            self.listener(self)


@dataclass
class StreamRun:
    """One stream's fetching for the length of a run, across its batches."""

    stream: Stream
    client: ZendeskClient
    start_time: int
    progress: StreamProgress
    make_converter: Callable[[Stream], Converter]
    prefetch_pages: int = 2
    _feed: PageFeed | None = None
    _converter: Converter | None = None

    def feed(self, state: dict[str, Any]) -> PageFeed:
        # Opened on the first batch, when dlt has handed over the saved position.
        if self._feed is None:
            paginator = positions.paginator_for(self.stream, state, self.start_time)
            pages = raw_export_pages if self.stream.style == "cursor_export" else parsed_pages
            converter = self.converter()
            self._feed = PageFeed(
                lambda: pages(self.client, paginator, converter),
                depth=self.prefetch_pages,
                name=self.stream.name,
            )
        return self._feed

    def converter(self) -> Converter:
        if self._converter is None:
            self._converter = self.make_converter(self.stream)
        return self._converter

    def forget_handed(self) -> None:
        if self._converter is not None:
            self._converter.forget_handed()

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
        if self._converter is not None:
            self._converter.close()


def column_hints(stream: Stream) -> dict[str, TColumnSchema]:
    """dlt hints: every column's type, and the version order.

    The types are complete because imported files carry none dlt reads, and because JSON
    columns reach dlt as strings in Arrow tables.

    When a batch holds a record twice, dlt's merge keeps one row per key: sorted on the version
    column, the newest. (Without a sort it keeps an arbitrary one, and the unordered window is
    also several times slower in DuckDB.)
    """
    hints: dict[str, TColumnSchema] = {
        name: {"data_type": DLT_TYPES[kind]} for name, kind in stream.columns.items()
    }
    if stream.version is not None:
        hints[stream.version]["dedup_sort"] = "desc"
    return hints


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


def export_batch(run: StreamRun, budget: BatchBudget) -> Iterator[Any]:
    """Pages of an export stream from its saved position, until the batch's budget is spent."""
    state = dlt.current.resource_state()
    feed = run.feed(state)
    batch = run.converter().batch()
    while not budget.spent:
        page = feed.next()
        run.progress.requests = feed.requests
        run.progress.waited_seconds = feed.waited_seconds
        run.progress.fetch_seconds = feed.fetch_seconds
        if page is None:
            run.progress.done = True
            run.progress.notify()
            break
        if page.records is not None:
            yield from batch.add(page.records)
        positions.save_position(run.stream, state, page.position)
        budget.spend(page.count)
        run.progress.records += page.count
        run.progress.done = page.is_last
        run.progress.notify()
        if page.is_last:
            break
    yield from batch.finish()


def export_resource(run: StreamRun, budget: BatchBudget) -> Any:
    """The dlt resource for one export stream, merged on its primary key."""
    return dlt.resource(
        export_batch,
        name=run.stream.name,
        primary_key=list(run.stream.primary_key),
        write_disposition="merge",
        columns=column_hints(run.stream),
        # Streams are consumed as their pages arrive, not in turn: a rate-limited stream must
        # not hold back one whose budget is separate.
        parallelized=True,
    )(run, budget)


@dataclass
class DeletedUsers:
    """The deleted-users list, fetched once per run and shared by the resources that need it."""

    client: ZendeskClient
    progress: StreamProgress
    stop: threading.Event = field(default_factory=threading.Event)
    fetched: Prefetch[list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.fetched = Prefetch(self._fetch, name=DELETED_USERS.name)

    def rows(self) -> list[dict[str, Any]]:
        return self.fetched.get()

    def permanently_deleted_ids(self) -> list[int]:
        return [row["id"] for row in self.rows() if is_permanently_deleted(row)]

    def _fetch(self) -> list[dict[str, Any]]:
        paginator = CursorList(
            DELETED_USERS.path, DELETED_USERS.key, page_size=DELETED_USERS.page_size
        )
        rows: list[dict[str, Any]] = []
        for page in self.client.paginate(paginator):
            self.progress.requests += 1
            rows.extend(page.items)
            self.progress.records = len(rows)
            self.progress.notify()
            if self.stop.is_set():
                raise Stopped
        self.progress.done = True
        self.progress.notify()
        return rows


def deleted_users(source: DeletedUsers, converter: Converter) -> Iterator[Any]:
    """Every deleted user, soft or permanent; the list is small, so each run reads all of it."""
    rows = source.rows()
    batch = converter.batch()
    for start in range(0, len(rows), 10_000):
        yield from batch.add(converter.records(rows[start : start + 10_000]))
    yield from batch.finish()


def deletion_complete(statuses: list[dict[str, Any]]) -> bool:
    """True once every application that started the deletion has completed it."""
    started = {s["application"] for s in statuses if s["application"] != "all"}
    completed = {s["application"] for s in statuses if s["action"] == "complete"}
    return bool(started) and started <= completed


@dataclass
class ComplianceStatuses:
    """The GDPR statuses of the users still being deleted, converted as they arrive.

    Attributes:
        converter: What converted them, and batches them for dlt.
        parts: The statuses, a thousand or so to a part.
        newly_complete: Users whose deletion is complete everywhere (or who are gone), not to be
            asked about again.
    """

    converter: Converter
    parts: list[Converted] = field(default_factory=list)
    newly_complete: list[int] = field(default_factory=list)


def fetch_compliance_statuses(
    source: DeletedUsers,
    converter: Converter,
    progress: StreamProgress,
    complete: set[int],
) -> ComplianceStatuses:
    """Statuses of each permanently deleted user not in ``complete`` (saved by earlier runs)."""
    fetched = ComplianceStatuses(converter)
    pending: list[dict[str, Any]] = []
    for user_id in source.permanently_deleted_ids():
        if user_id in complete:
            continue
        if source.stop.is_set():
            raise Stopped
        statuses = _statuses_of(source.client, user_id, progress)
        if statuses is None or deletion_complete(statuses):
            fetched.newly_complete.append(user_id)
        pending.extend(statuses or [])
        progress.records += len(statuses or [])
        progress.notify()
        if len(pending) >= 1000:
            fetched.parts.append(converter.records(pending))
            pending = []
    if pending:
        fetched.parts.append(converter.records(pending))
    progress.done = True
    progress.notify()
    return fetched


def saved_complete_user_ids(state: Mapping[str, Any]) -> set[int]:
    """The users an earlier run found complete, from the resource's saved state."""
    return set(state.get("complete_user_ids", []))


def compliance_deletion_statuses(fetched: Prefetch[ComplianceStatuses]) -> Iterator[Any]:
    """GDPR deletion progress of each permanently deleted user not yet complete everywhere."""
    state = dlt.current.resource_state()
    positions.check_version(state, COMPLIANCE_DELETION_STATUSES.name)
    statuses = fetched.get()
    # Saved with the rows, in the same package: a run that dies before loading asks again.
    state.setdefault("complete_user_ids", []).extend(statuses.newly_complete)
    batch = statuses.converter.batch()
    for part in statuses.parts:
        yield from batch.add(part)
    yield from batch.finish()


def _statuses_of(
    client: ZendeskClient, user_id: int, progress: StreamProgress
) -> list[dict[str, Any]] | None:
    """A user's statuses, or None when Zendesk no longer knows the user."""
    path = COMPLIANCE_DELETION_STATUSES.path.format(user_id=user_id)
    paginator = CursorList(path, COMPLIANCE_DELETION_STATUSES.key, page_size=100)
    statuses: list[dict[str, Any]] = []
    try:
        for page in client.paginate(paginator):
            progress.requests += 1
            statuses.extend(page.items)
    except NotFoundError:
        progress.requests += 1
        log.info("user %d is no longer in the account; not polling it again", user_id)
        return None
    return statuses


def definition_rows(client: ZendeskClient, stream: Stream) -> list[dict[str, Any]]:
    """Every field definition of ``stream`` (``ticket_fields``, ``user_fields``)."""
    rows: list[dict[str, Any]] = []
    for page in client.paginate(CursorList(stream.path, stream.key, page_size=stream.page_size)):
        rows.extend(page.items)
    return rows


def definitions(fetched: Prefetch[list[dict[str, Any]]], converter: Converter) -> Iterator[Any]:
    """Field definitions, replaced as a whole."""
    rows = fetched.get()
    if rows:
        batch = converter.batch()
        yield from batch.add(converter.records(rows))
        yield from batch.finish()
