"""Records to Arrow tables with a fixed schema, parsed by DuckDB.

A fixed schema keeps every page's table identical whatever values it happens to hold (a page of
null ``assignee_id``s is still BIGINT), so dlt never sees a column change type. DuckDB does the
parsing and the type conversion in C++, which is what lets a run keep up with 1,000-record pages.
JSON columns arrive as strings; the resource's column hints tell dlt they are JSON (dlt does not
accept Arrow's JSON extension type).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from pipelines.zendesk.streams import Stream


class ArrowConverter:
    """Turns lists of Zendesk records into ``pyarrow.Table``s for one stream."""

    def __init__(self, stream: Stream) -> None:
        self.stream = stream
        self._columns = dict(stream.columns)
        # One connection per converter, used by one thread at a time.
        self._db = duckdb.connect()
        self._db.execute("SET threads = 1")
        self._lock = threading.Lock()

    def table(self, records: Sequence[dict[str, Any]]) -> pa.Table:
        """A table with exactly the stream's columns, in order."""
        data = orjson.dumps(records)
        with self._lock:
            relation = self._db.read_json(
                io.BytesIO(data),
                columns=self._columns,
                format="array",
                maximum_object_size=max(16 * 1024 * 1024, len(data) + 1),
            )
            table = relation.to_arrow_table()
        return table

    def close(self) -> None:
        self._db.close()
