"""Arrow tables for destinations other than DuckDB: dlt turns them into whatever those load."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dlt
import pyarrow as pa

from pipelines.zendesk.convert import Batch, Converted, Converter


class ArrowConverter(Converter):
    """Turns one stream's records into ``pyarrow.Table``s with exactly its columns, in order.

    Arrow allocates from the pool ``runtime.prepare`` chose for the process.

    JSON columns arrive as strings; the resource's column hints tell dlt they are JSON (dlt does
    not accept Arrow's JSON extension type).
    """

    def batch(self) -> Batch:
        return _TableBatch(self.shape.name)

    def _emit(self, records: str, count: int) -> Converted:
        table = self._db.sql(f"SELECT record.* FROM ({records})").to_arrow_table()  # noqa: S608
        return Converted(_utc(table), count)


class _TableBatch:
    """Hands each page's table on as it comes, marked with its table's name (an export's
    resource also carries the tables derived from its pages): dlt writes tables out as it
    receives them."""

    def __init__(self, table: str) -> None:
        self._table = table

    def add(self, part: Converted) -> Iterator[Any]:
        yield dlt.mark.with_table_name(part.data, self._table)

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
