"""Planning a push chunk by chunk, so its first jobs run while the rest of the input is planned.

A job's latency is time the push would otherwise spend waiting: the rows after the first
batch are validated, diffed and matched meanwhile. What one row's plan depends on stays whole:
rows sharing an external id, an email or a name with another row (which ``--on-duplicate``
settles) are planned together, after the rest, exactly as a whole-input plan would settle them;
every other row's plan depends on that row alone. Sent rows are gathered into full batches of
one kind (an organization's create or update) across chunks, so a push sends as many bulk
requests as a whole-input plan would.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from zdsync.reverse_etl.feed import Feed, FeedCancelled
from zdsync.reverse_etl.plan import PlannedRow, match_keys
from zdsync.reverse_etl.rows import InputRow

# How long the planner may hold the interpreter while a sending or polling thread has an
# answer to read (Python's default is 5 ms, a good part of a bulk POST's round trip).
HANDOFF_SECONDS = 0.0005
# The first chunk is one batch, so the first job goes out as soon as its rows are planned.
FIRST_CHUNK = 100
CHUNK = 500
BATCH_SIZE = 100

PlanRows = Callable[[list[InputRow]], list[PlannedRow]]
Finish = Callable[[list[PlannedRow]], None]
Kind = Callable[[PlannedRow], object]


def chunks(rows: list[InputRow], keys: tuple[str, ...]) -> Iterator[list[InputRow]]:
    """The rows in chunks: those sharing no value of ``keys`` with another row first, in input
    order, then every row that does, together."""
    alone, linked = split_linked(rows, keys)
    start, size = 0, FIRST_CHUNK
    while start < len(alone):
        yield alone[start : start + size]
        start, size = start + size, CHUNK
    if linked:
        yield linked


def split_linked(
    rows: list[InputRow], keys: tuple[str, ...]
) -> tuple[list[InputRow], list[InputRow]]:
    """Rows that share no value of ``keys`` (ignoring case) with any other row, and the rest."""
    # A row's keys are named by column, so no row repeats one of its own.
    keyed = [(row, match_keys(row.values, keys)) for row in rows]
    seen = Counter(key for _, found in keyed for key in found)
    alone: list[InputRow] = []
    linked: list[InputRow] = []
    for row, found in keyed:
        (linked if any(seen[key] > 1 for key in found) else alone).append(row)
    return alone, linked


class Batcher:
    """Gathers rows into batches of ``size`` rows of one ``kind``."""

    def __init__(self, kind: Kind, size: int = BATCH_SIZE) -> None:
        self._kind = kind
        self._size = size
        self._open: dict[object, list[PlannedRow]] = {}

    def add(self, items: Iterable[PlannedRow]) -> list[list[PlannedRow]]:
        """The batches ``items`` filled."""
        full = []
        for item in items:
            batch = self._open.setdefault(self._kind(item), [])
            batch.append(item)
            if len(batch) == self._size:
                full.append(self._open.pop(self._kind(item)))
        return full

    def rest(self) -> list[list[PlannedRow]]:
        """The batches left part-filled."""
        rest, self._open = list(self._open.values()), {}
        return rest


class Planner:
    """Plans ``parts`` in a thread of its own, handing batches of sent rows to ``feed``.

    ``plan_rows`` validates one chunk, ``finish`` diffs and matches it. The feed is closed when
    every row is planned, or with the error that stopped planning; ``join`` gives every planned
    row in input order.
    """

    def __init__(
        self,
        parts: Iterable[list[InputRow]],
        plan_rows: PlanRows,
        finish: Finish,
        kind: Kind,
        feed: Feed[list[PlannedRow]],
    ) -> None:
        self._parts = parts
        self._plan_rows = plan_rows
        self._finish = finish
        self._batcher = Batcher(kind)
        self._feed = feed
        self._planned: list[PlannedRow] = []
        self._thread = threading.Thread(target=self._work, name="push-planner", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def join(self) -> list[PlannedRow]:
        self._thread.join()
        return sorted(self._planned, key=lambda item: item.row.row_number)

    def _work(self) -> None:
        try:
            for part in self._parts:
                planned = self._plan_rows(part)
                self._finish(planned)
                self._planned.extend(planned)
                for batch in self._batcher.add(p for p in planned if p.decision == "send"):
                    self._feed.put(batch)
            for batch in self._batcher.rest():
                self._feed.put(batch)
        except FeedCancelled:
            return
        except BaseException as exc:  # the sender raises it, in its own thread
            self._feed.close(exc)
            return
        self._feed.close()


@contextmanager
def quick_handoffs() -> Iterator[None]:
    """Hand the interpreter between threads ten times as often while the planner runs.

    The planner computes without waiting, while the threads sending jobs and polling them
    mostly wait on Zendesk; with Python's default interval each answer waits for the planner's
    turn to end, and a wave of POSTs spreads out by as much.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(HANDOFF_SECONDS)
    try:
        yield
    finally:
        sys.setswitchinterval(before)
