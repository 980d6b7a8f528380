"""Arrow tables for destinations other than DuckDB: dlt turns them into whatever those load."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import pyarrow as pa

from pipelines.zendesk.convert import STAGED, Batch, Converted, Converter, struct_list
from pipelines.zendesk.streams import Stream


class ArrowConverter(Converter):
    """Turns one stream's records into ``pyarrow.Table``s with exactly its columns, in order.

    JSON columns arrive as strings; the resource's column hints tell dlt they are JSON (dlt does
    not accept Arrow's JSON extension type).
    """

    def __init__(self, stream: Stream) -> None:
        super().__init__(stream)
        # Arrow's own pool keeps freed pages for reuse; over a long backfill that reads as growth.
        pa.set_memory_pool(pa.system_memory_pool())

    def records(self, records: Sequence[dict[str, Any]]) -> Converted:
        data = orjson.dumps(records)
        with self._lock:
            self._stage(data, self._columns, materialize=False, format="array")
            return self._table(f"SELECT * FROM {STAGED}", len(records))  # noqa: S608

    def page(self, body: bytes, meta: dict[str, str]) -> tuple[Converted | None, dict[str, Any]]:
        key = self.stream.key
        with self._lock:
            count, fields = self._stage_page(body, struct_list(self._columns), meta)
            if not count:
                return None, fields
            records = f'SELECT record.* FROM (SELECT unnest("{key}") AS record FROM {STAGED})'  # noqa: S608
            return self._table(records, count), fields

    def batch(self) -> Batch:
        return _TableBatch()

    def _table(self, query: str, count: int) -> Converted:
        return Converted(_utc(self._query(query).to_arrow_table()), count)


class _TableBatch:
    """Hands each page's table on as it comes: dlt writes tables out as it receives them."""

    def add(self, part: Converted) -> Iterator[Any]:
        yield part.data

    def finish(self) -> Iterator[Any]:
        yield from ()


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
