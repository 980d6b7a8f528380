"""A list narrowed by ``start_time``, whose records may change after they are created.

Zendesk's satisfaction ratings list takes a ``start_time`` without saying which time it
compares, and a rating changes when its requester changes the score. If it compares
``created_at``, a later ``start_time`` never finds such a change again; so each run reads from
``lookback_days`` before the newest ``created_at`` loaded, the span in which a rating may
still change, and merges on ``id``. Whichever time Zendesk compares, every rating created or
changed since is in that read. A run with nothing new reads that span again: one request while
it holds a page of ratings or fewer.

The position (the newest ``created_at`` loaded) is saved in dlt's state with the rows it
describes, so a run killed before they load reads from the old one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import dlt

from pipelines.zendesk.exports import epoch_of
from pipelines.zendesk.prefetch import Prefetch, Stopped
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from pipelines.zendesk.state import check_version
from pipelines.zendesk.stream import Fetch, Phase, RunContext, Stream
from zdsync.client import CursorList
from zdsync.client.pagination import MAX_LIST_PAGE

Record = dict[str, Any]
DAY = 86_400


@dataclass(frozen=True)
class RecentList(Fetch):
    """A ``page[size]`` list read from ``start_time``, a look-back before the newest record.

    Attributes:
        stamp: The field that orders the records' creation, saved as the position.
        lookback_days: How long after its creation a record may still change.
    """

    phase: ClassVar[Phase] = Phase.LISTS
    page_size: ClassVar[int] = MAX_LIST_PAGE
    stamp: str = "created_at"
    lookback_days: int = 28

    def start_time(
        self, state: Mapping[str, Any], default: int, lookback_days: int | None = None
    ) -> int:
        """Where a run reads from: the look-back (``lookback_days`` if given, else the kind's
        own) before the newest record loaded."""
        if "newest" not in state:
            return default
        days = self.lookback_days if lookback_days is None else lookback_days
        return max(default, int(state["newest"]) - days * DAY)

    def describe(self, state: Mapping[str, Any]) -> str | None:
        return f"start_time {self.start_time(state, 0)}" if "newest" in state else None

    def start(self, stream: Stream, run: RunContext) -> RecentTask:
        return RecentTask(stream, self, run, run.progress(stream.name))


class RecentTask:
    """The list from its look-back, fetched on a thread of its own while the exports run."""

    def __init__(
        self, stream: Stream, kind: RecentList, run: RunContext, progress: StreamProgress
    ) -> None:
        self.stream = stream
        self.kind = kind
        self.run = run
        self.progress = progress
        self.fetched: Prefetch[list[Record]] | None = None
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def fetch_ahead(self) -> None:
        # Read here, after any pending load, in the run's thread; a full refresh starts over.
        saved = {} if self.run.full_refresh else self.run.saved_state(self.stream.name)
        start = self.kind.start_time(saved, self.run.start_time, self.run.lookback_days)
        self.fetched = Prefetch(lambda: self._fetch(start), name=self.stream.name)
        self.fetched.start()

    def batch(self, budget: BatchBudget) -> Iterator[Any] | None:
        self._done = True
        if self.fetched is None:
            raise RuntimeError(f"{self.stream.name} was never fetched")
        rows = self.fetched.get()
        return recent_rows(self, rows) if rows else None

    def loaded(self) -> None:
        """Nothing: its converter is closed with the run."""

    def close(self) -> None:
        """Nothing: a fetch under way sees the run's stop."""

    def _fetch(self, start: int) -> list[Record]:
        paginator = CursorList(
            self.stream.path,
            self.stream.key,
            page_size=self.stream.per_page,
            params={**self.stream.params, "start_time": start},
        )
        rows: list[Record] = []
        for page in self.run.client.paginate(paginator):
            self.progress.requests += 1
            rows.extend(page.items)
            self.progress.records = len(rows)
            self.progress.notify()
            if self.run.stop.is_set():
                raise Stopped
        self.progress.finish()
        return rows


def recent_rows(task: RecentTask, rows: list[Record]) -> Iterator[Any]:
    """The rows read, with the newest ``stamp`` among them saved as the next position."""
    state = dlt.current.resource_state()
    check_version(state, task.stream.name)
    newest = max(epoch_of(row[task.kind.stamp]) for row in rows)
    state["newest"] = max(newest, int(state.get("newest", newest)))
    converter = task.run.converter(task.stream)
    batch = converter.batch()
    yield from batch.add(converter.records(rows))
    yield from batch.finish()
