"""Lists read in full each run, and lists read for each record of another stream.

They spend only the account-wide budget, which the exports leave nearly all unused: fetched
while the exports run (``prefetch.py``), they add nothing to the run's length, yet they load
after the exports, in a batch of their own.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar

import dlt

from pipelines.zendesk.convert import PART_RECORDS, Converted, Converter, records_in_parts
from pipelines.zendesk.prefetch import Prefetch, Stopped
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from pipelines.zendesk.snapshots import digest, snapshot_rows, unchanged
from pipelines.zendesk.state import check_version
from pipelines.zendesk.stream import Fetch, Phase, RunContext, Stream
from zdsync.client import CursorList, Paginator, WholeAnswer
from zdsync.client.errors import NotFoundError
from zdsync.client.pagination import MAX_LIST_PAGE

# The parent record's id goes where the path names it, whatever the catalog calls it.
_PLACEHOLDER = re.compile(r"\{\w+\}")

log = logging.getLogger(__name__)
Record = dict[str, Any]


class _List(Fetch):
    phase: ClassVar[Phase] = Phase.LISTS
    page_size: ClassVar[int] = MAX_LIST_PAGE


def _all(record: Mapping[str, Any]) -> bool:
    return True


def _never(records: list[Record]) -> bool:
    return False


@dataclass(frozen=True)
class WholeList(_List):
    """A list read whole every run: deleted users, field definitions, settings.

    Attributes:
        follows: See ``Fetch``: field definitions follow the records that use them, so a run
            with nothing new costs no request for them.
        snapshot: See ``Fetch``.
        paged: Zendesk pages it with ``page[size]``; if not, one request answers it whole.
        prepare: What a snapshot's record becomes before it loads (a derived column added),
            once it is compared with the last load's.
    """

    follows: str | None = None
    snapshot: bool = False
    paged: bool = True
    prepare: Callable[[Record], Record] | None = None

    def paginator(self, stream: Stream) -> Paginator:
        if not self.paged:
            return WholeAnswer(stream.path, stream.key, params=stream.params)
        return CursorList(stream.path, stream.key, page_size=stream.per_page, params=stream.params)

    def start(self, stream: Stream, run: RunContext) -> ListTask:
        return ListTask(stream, self, run, run.progress(stream.name))


class ListTask:
    """A whole list, fetched at most once per run and shared with the streams that read it."""

    def __init__(
        self, stream: Stream, kind: WholeList, run: RunContext, progress: StreamProgress
    ) -> None:
        self.stream = stream
        self.kind = kind
        self.run = run
        self.progress = progress
        self.fetched = Prefetch(self._fetch, name=stream.name)
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def fetch_ahead(self) -> None:
        # A list that follows another is fetched ahead only when it will surely load.
        if self.kind.follows is None or not self.run.has_table(self.stream.name):
            self.fetched.start()

    def rows(self) -> list[Record]:
        return self.fetched.get()

    def batch(self, budget: BatchBudget) -> Iterator[Any] | None:
        self._done = True
        if not self._due():
            return None
        if not self.kind.snapshot:
            return list_rows(self, self.run.converter(self.stream))
        rows = self.rows()
        seen = digest(rows)
        if unchanged(self.stream, self.run, seen):
            self.progress.unchanged = True
            return None
        if self.kind.prepare is not None:
            rows = [self.kind.prepare(row) for row in rows]
        return snapshot_rows(self.stream, rows, self.run.converter(self.stream), seen)

    def loaded(self) -> None:
        """Nothing: its converter is closed with the run."""

    def close(self) -> None:
        """Nothing: a fetch under way sees the run's stop."""

    def _due(self) -> bool:
        follows = self.kind.follows
        if follows is None or not self.run.has_table(self.stream.name):
            return True
        followed = self.run.tasks.get(follows)
        return followed is None or followed.progress.records > 0

    def _fetch(self) -> list[Record]:
        rows: list[Record] = []
        for page in self.run.client.paginate(self.kind.paginator(self.stream)):
            self.progress.requests += 1
            rows.extend(page.items)
            self.progress.records = len(rows)
            self.progress.notify()
            if self.run.stop.is_set():
                raise Stopped
        self.progress.finish()
        return rows


def list_rows(task: ListTask, converter: Converter) -> Iterator[Any]:
    """Every record of a whole list."""
    return records_in_parts(converter, task.rows())


@dataclass(frozen=True)
class EachOf(_List):
    """A list read for each record of another stream: a deleted user's GDPR statuses.

    Attributes:
        parent: The whole list whose records it is read for; the path's one ``{...}`` is theirs.
        only: Which of the parent's records to read it for.
        settled: Whether a record's list is final, so later runs need not read it again.
        remember: The state key of the records found settled, saved with the rows.
        settled_label: What ``zdsync status`` calls them, after their number.
        parent_key: The column its rows name their parent record in, when Zendesk's records
            do not (a holiday does not name its schedule).
        follows: See ``Fetch``.
        snapshot: See ``Fetch``: the lists of every parent record make one snapshot.
        paged: As for ``WholeList``.
    """

    parent: str
    only: Callable[[Mapping[str, Any]], bool] = _all
    settled: Callable[[list[Record]], bool] = _never
    remember: str = "settled_ids"
    settled_label: str = "settled"
    parent_key: str | None = None
    follows: str | None = None
    snapshot: bool = False
    paged: bool = True

    @property
    def needs(self) -> tuple[str, ...]:
        return (self.parent,)

    def paginator(self, stream: Stream, record_id: int) -> Paginator:
        path = _PLACEHOLDER.sub(str(record_id), stream.path, count=1)
        if not self.paged:
            return WholeAnswer(path, stream.key, params=stream.params)
        return CursorList(path, stream.key, page_size=stream.per_page, params=stream.params)

    def describe(self, state: Mapping[str, Any]) -> str | None:
        if self.remember not in state:
            return None
        return f"{len(state[self.remember])} {self.settled_label}"

    def start(self, stream: Stream, run: RunContext) -> EachTask:
        return EachTask(stream, self, run, run.progress(stream.name))


@dataclass
class Gathered:
    """What ``EachTask`` fetched, converted as it arrived.

    Attributes:
        parts: The records, a thousand or so to a part.
        newly_settled: Parent records whose list is final (or which are gone), not to be read
            again.
    """

    parts: list[Converted] = field(default_factory=list)
    newly_settled: list[int] = field(default_factory=list)
    # A snapshot's records, kept as read: they are compared before any is converted.
    records: list[Record] = field(default_factory=list)


class EachTask:
    """The lists of every parent record not yet settled, fetched on a thread of their own."""

    def __init__(
        self, stream: Stream, kind: EachOf, run: RunContext, progress: StreamProgress
    ) -> None:
        self.stream = stream
        self.kind = kind
        self.run = run
        self.progress = progress
        self.converter = run.converter(stream)
        self.fetched: Prefetch[Gathered] | None = None
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def fetch_ahead(self) -> None:
        # Read here, after any pending load, in the run's thread. A full refresh drops the saved
        # state along with the table.
        saved = {} if self.run.full_refresh else self.run.saved_state(self.stream.name)
        settled = set(saved.get(self.kind.remember, []))
        self.fetched = Prefetch(partial(self._gather, settled), name=self.stream.name)
        self.fetched.start()

    def batch(self, budget: BatchBudget) -> Iterator[Any] | None:
        self._done = True
        if not self.kind.snapshot:
            return each_rows(self)
        if self.fetched is None:
            raise RuntimeError(f"{self.stream.name} was never fetched")
        records = self.fetched.get().records
        seen = digest(records)
        if unchanged(self.stream, self.run, seen):
            self.progress.unchanged = True
            return None
        return snapshot_rows(self.stream, records, self.converter, seen)

    def loaded(self) -> None:
        """Nothing: its converter is closed with the run."""

    def close(self) -> None:
        """Nothing: a fetch under way sees the run's stop."""

    def _gather(self, settled: set[int]) -> Gathered:
        parent = self.run.tasks[self.kind.parent]
        if not isinstance(parent, ListTask):
            raise TypeError(f"{self.stream.name} reads {self.kind.parent}, not a whole list")
        gathered = Gathered()
        pending: list[Record] = []
        for row in parent.rows():
            record_id = int(row["id"])
            if record_id in settled or not self.kind.only(row):
                continue
            if self.run.stop.is_set():
                raise Stopped
            found = self._records_of(record_id)
            if found is None or self.kind.settled(found):
                gathered.newly_settled.append(record_id)
            if self.kind.parent_key is not None:
                found = [{**record, self.kind.parent_key: record_id} for record in found or []]
            self.progress.records += len(found or [])
            self.progress.notify()
            if self.kind.snapshot:
                gathered.records.extend(found or [])
                continue
            pending.extend(found or [])
            if len(pending) >= PART_RECORDS:
                gathered.parts.append(self.converter.records(pending))
                pending = []
        if pending:
            gathered.parts.append(self.converter.records(pending))
        self.progress.finish()
        return gathered

    def _records_of(self, record_id: int) -> list[Record] | None:
        """The list of one parent record, or None when Zendesk no longer knows the record."""
        records: list[Record] = []
        try:
            for page in self.run.client.paginate(self.kind.paginator(self.stream, record_id)):
                self.progress.requests += 1
                records.extend(page.items)
        except NotFoundError:
            self.progress.requests += 1
            log.info(
                "%s %d is no longer in the account; not reading its %s again",
                self.kind.parent,
                record_id,
                self.stream.name,
            )
            return None
        return records


def each_rows(task: EachTask) -> Iterator[Any]:
    """The records ``task`` gathered; the settled parents are saved with them."""
    state = dlt.current.resource_state()
    check_version(state, task.stream.name)
    if task.fetched is None:
        raise RuntimeError(f"{task.stream.name} was never fetched")
    gathered = task.fetched.get()
    # Saved with the rows, in the same package: a run that dies before loading asks again.
    state.setdefault(task.kind.remember, []).extend(gathered.newly_settled)
    batch = task.converter.batch()
    for part in gathered.parts:
        yield from batch.add(part)
    yield from batch.finish()
