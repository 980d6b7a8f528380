"""One kind of record in the order an incremental export serves it, with each record's JSON cached.

The cache is what keeps a sandbox page cheap: a page is its records' cached bytes joined, not a
fresh serialisation of each record.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterator

import orjson

from zdsync.sandbox.fakedata import Record


class ExportIndex:
    """Records of one kind in export order, (timestamp, id), with their JSON cached."""

    def __init__(
        self, records: dict[int, Record], stamp: Callable[[Record], int], *, eager: bool = True
    ) -> None:
        self.records = records
        self.stamp = stamp
        self.keys = sorted((stamp(r), r["id"]) for r in records.values())
        # Bumped on every change, so readers can cache what they derive from the records.
        self.version = 0
        # The highest id ever stored: a bulk job creating thousands of records takes each new
        # id from here, not from a scan of every record.
        self.top_id = max(records, default=0)
        # The ids in order, kept across changes: lists page through them by id, and sorting
        # 10,000 organizations for every page of a list read while a job creates more is what
        # made those pages slow. A new record (the highest id) is appended; a removal drops it.
        self._ids: list[int] | None = None
        # Serialised up front: a 100,000-ticket export then costs joins, not encodes, so the
        # sandbox stays faster than any client reading it.
        # (Not ``eager``: on first read, for an index several times larger than the tickets.)
        self._json: dict[int, bytes] = (
            {record_id: orjson.dumps(record) for record_id, record in records.items()}
            if eager
            else {}
        )

    def next_id(self) -> int:
        """The id a new record takes: one past the highest ever stored, so none is reused."""
        return self.top_id + 1

    def ids(self) -> list[int]:
        """Every record's id, in ascending order; the list is the index's own, not a copy."""
        if self._ids is None:
            self._ids = sorted(self.records)
        return self._ids

    def json(self, record_id: int) -> bytes:
        cached = self._json.get(record_id)
        if cached is None:
            cached = self._json[record_id] = orjson.dumps(self.records[record_id])
        return cached

    def put(self, record: Record) -> None:
        """Insert or re-position a record after it changed."""
        old = self.records.get(record["id"])
        if old is not None:
            old_key = (self.stamp(old), old["id"])
            at = bisect_left(self.keys, old_key)
            if at < len(self.keys) and self.keys[at] == old_key:
                del self.keys[at]
        if old is None and self._ids is not None:
            if not self._ids or record["id"] > self._ids[-1]:
                self._ids.append(record["id"])
            else:
                insort(self._ids, record["id"])
        self.records[record["id"]] = record
        self.top_id = max(self.top_id, record["id"])
        self._json.pop(record["id"], None)
        insort(self.keys, (self.stamp(record), record["id"]))
        self.version += 1

    def rewrite(self, record: Record) -> None:
        """Store a change that leaves the record's stamp alone: it keeps its place in the
        export order, so no re-sorting is needed."""
        self.records[record["id"]] = record
        self._json.pop(record["id"], None)
        self.version += 1

    def remove(self, record_id: int) -> None:
        record = self.records.pop(record_id)
        if self._ids is not None:
            del self._ids[bisect_left(self._ids, record_id)]
        key = (self.stamp(record), record_id)
        del self.keys[bisect_left(self.keys, key)]
        self._json.pop(record_id, None)
        self.version += 1

    def after(self, position: tuple[int, int], horizon: int) -> Iterator[tuple[int, int]]:
        """Keys strictly after ``position`` and stamped no later than ``horizon``."""
        # Walk by index: slicing would copy the whole tail of the index on every page.
        keys = self.keys
        for at in range(bisect_right(keys, position), len(keys)):
            key = keys[at]
            if key[0] > horizon:
                return
            yield key
