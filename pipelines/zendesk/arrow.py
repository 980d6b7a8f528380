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
        # Its own small in-memory database, used by one thread at a time: parsing a page needs
        # a few megabytes, and the cap keeps five streams' parsers from adding up.
        self._db = duckdb.connect(config={"threads": 1, "memory_limit": "64MB"})
        self._lock = threading.Lock()

    def table(self, records: Sequence[dict[str, Any]]) -> pa.Table:
        """A table with exactly the stream's columns, in order."""
        return _utc(self._read(orjson.dumps(records), self._columns, format="array"))

    def page(self, body: bytes, meta: dict[str, str]) -> tuple[pa.Table, dict[str, Any]]:
        """A whole response body: its records as a table, and its ``meta`` fields as a dict.

        Parsing the body once, in DuckDB, skips building a Python dict per record: for a
        1,000-record export page that is most of the cost of reading it.
        """
        whole = self._read(body, {self.stream.key: _struct_list(self._columns), **meta})
        fields = {name: whole.column(name)[0].as_py() for name in meta}
        records = whole.column(self.stream.key).combine_chunks().flatten()
        table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(records)])
        return _utc(table), fields

    def _read(self, data: bytes, columns: dict[str, str], **options: Any) -> pa.Table:
        with self._lock:
            relation = self._db.read_json(
                io.BytesIO(data), columns=columns, maximum_object_size=len(data) + 1, **options
            )
            return relation.to_arrow_table()

    def close(self) -> None:
        self._db.close()


def _struct_list(columns: dict[str, str]) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" {kind}' for name, kind in columns.items()) + ")[]"


def _utc(table: pa.Table) -> pa.Table:
    # DuckDB labels instants "Etc/UTC"; dlt would re-validate and cast every such column of every
    # page to its "UTC". The relabel is metadata only.
    fields = [
        pa.field(f.name, pa.timestamp(f.type.unit, "UTC"))
        if pa.types.is_timestamp(f.type) and f.type.tz is not None
        else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))
