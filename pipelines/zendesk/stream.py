"""A stream: one Zendesk collection, the table it lands in, and the kind of fetch that reads it.

The kinds (``exports.py``, ``lists.py``) are small strategy objects, as the paginators are: each
knows how its collection pages, where a run resumes, when it is fetched and when it loads. An
extract asks every stream's kind the same questions, so it holds no case of its own for any.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, ClassVar, Literal, Protocol

from pipelines.zendesk.convert import Converter
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from zdsync.client import ZendeskClient

Disposition = Literal["merge", "replace"]


class Phase(IntEnum):
    """When a kind's streams load; each phase loads after the one before."""

    # In committed batches of about ``batch_records`` records, until every stream has ended.
    EXPORTS = 0
    # Once, in one batch of their own, so that no load holds an export batch and a list at once.
    LISTS = 1


@dataclass(frozen=True)
class Stream:
    """One Zendesk collection and the table it lands in.

    Attributes:
        name: Table and resource name.
        path: API path; ``{id}`` stands for the record of another stream it is read for.
        columns: Column name to DuckDB type, in table order. Fields not listed are not loaded.
        fetch: The kind of collection, which says how it is read and when it loads.
        key: The list's key in the response body, when it is not ``name``.
        primary_key: Merge key.
        disposition: ``merge`` on the primary key, or ``replace`` the table whole each load.
        version: The column that orders a record's versions, when one run can read a record
            twice (an export sends it again if it changes while the export is read).
        page_size: Records asked for per request; the kind's largest page when None.
        params: Further query parameters of every request.
    """

    name: str
    path: str
    columns: dict[str, str]
    fetch: Fetch
    key: str = ""
    primary_key: tuple[str, ...] = ("id",)
    disposition: Disposition = "merge"
    version: str | None = None
    page_size: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.name)
        named = {*self.primary_key, *([self.version] if self.version else [])}
        unknown = sorted(named - self.columns.keys())
        if unknown:
            raise ValueError(f"stream {self.name}: {', '.join(unknown)} not among its columns")

    @property
    def per_page(self) -> int:
        return self.page_size or self.fetch.page_size


class Task(Protocol):
    """One stream's work for the length of a run, across the batches it loads in."""

    @property
    def stream(self) -> Stream: ...

    @property
    def progress(self) -> StreamProgress: ...

    @property
    def done(self) -> bool:
        """Nothing more to load in this run."""
        ...

    def fetch_ahead(self) -> None:
        """Start fetching what is already known to be needed, on a thread of its own."""

    def batch(self, budget: BatchBudget) -> Iterator[Any] | None:
        """The items of this stream's next batch (files or Arrow tables), or None: none due."""

    def loaded(self) -> None:
        """Called once dlt has extracted what the batch handed it."""

    def close(self) -> None: ...


@dataclass
class RunContext:
    """What a stream's task may use of the run it belongs to.

    Attributes:
        client: The Zendesk client, shared by every task.
        start_time: Where exports begin when no position is saved (Unix seconds).
        full_refresh: Saved positions and state are being dropped with the tables.
        converter: A new converter for a stream's records; the run closes it.
        progress: A new progress record for a stream, reported to the run's listener.
        saved_state: A stream's state as the last committed load left it.
        has_table: Whether the destination holds a table yet.
        prefetch_pages: How many pages a stream may fetch ahead of loading.
        stop: Set when the run ends, so fetches still under way give up.
        tasks: Every task of the run by stream name, for the streams that read another's rows.
        lookback_days: The look-back of the lists read again from one (``recent.py``), when
            the run sets one.
    """

    client: ZendeskClient
    start_time: int
    full_refresh: bool
    converter: Callable[[Stream], Converter]
    progress: Callable[[str], StreamProgress]
    saved_state: Callable[[str], Mapping[str, Any]]
    has_table: Callable[[str], bool]
    prefetch_pages: Callable[[Stream], int]
    stop: threading.Event = field(default_factory=threading.Event)
    tasks: dict[str, Task] = field(default_factory=dict)
    lookback_days: int | None = None


class Fetch(ABC):
    """A kind of Zendesk collection: how it is paged, resumed and loaded.

    Attributes:
        phase: When its streams load.
        page_size: The largest page its endpoints serve, asked for unless a stream says less.
        follows: The stream whose records it describes: selected along with that stream, and
            fetched only when that stream brought records or its own table is missing.
        snapshot: The stream is a settings list kept as a snapshot (``snapshots.py``): loaded
            only when it changed, its gone rows marked deleted.
    """

    phase: ClassVar[Phase]
    page_size: ClassVar[int]
    follows: str | None = None
    snapshot: bool = False

    @property
    def needs(self) -> tuple[str, ...]:
        """Streams whose rows this one's fetch reads: fetched too, loaded only if chosen."""
        return ()

    def describe(self, state: Mapping[str, Any]) -> str | None:
        """Where the next run resumes, in a few words, from the stream's saved state."""
        return None

    @abstractmethod
    def start(self, stream: Stream, run: RunContext) -> Task: ...
