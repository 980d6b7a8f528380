"""The Zendesk dlt source: every stream's dlt resource, built here from its ``Stream`` entry.

A run loads in batches (``extract.py``), so the source is called once per batch with the
streams that load in it, each with the items its task yields for that batch. The resource
takes the stream's name, merge key, disposition and column types from the table; the source is
named ``zendesk``, and so is the state section that keeps every stream's position.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import dlt
from dlt.common.data_types import TDataType
from dlt.common.schema.typing import TColumnSchema
from dlt.extract import DltResource

from pipelines.zendesk.convert import table_of
from pipelines.zendesk.stream import Phase, Stream

__all__ = ["DLT_TYPES", "SOURCE", "StreamLoad", "column_hints", "zendesk"]

SOURCE = "zendesk"
# The dlt data type each DuckDB column type is declared as.
DLT_TYPES: dict[str, TDataType] = {
    "BIGINT": "bigint",
    "BOOLEAN": "bool",
    "DATE": "date",
    "INTEGER": "bigint",
    "JSON": "json",
    "TIMESTAMPTZ": "timestamp",
    "VARCHAR": "text",
}


@dataclass(frozen=True)
class StreamLoad:
    """One stream's part of a batch: the items its task yields for it, and the streams whose
    rows come with them, each marked with its table's name.

    Attributes:
        files: The items are files to import, each naming its table (``TableFile``); else
            Arrow tables marked with their table's name.
    """

    stream: Stream
    items: Iterator[Any]
    derived: Sequence[Stream] = ()
    files: bool = False


@dlt.source(name=SOURCE)
def zendesk(loads: Sequence[StreamLoad]) -> list[DltResource]:
    """The resources of one batch, one per stream that loads in it."""
    return [stream_resource(load) for load in loads]


def stream_resource(load: StreamLoad) -> DltResource:
    stream = load.stream
    resource = dlt.resource(
        load.items,
        name=stream.name,
        # Exports are consumed as their pages arrive, not in turn: a rate-limited stream must
        # not hold back one whose budget is separate.
        parallelized=stream.fetch.phase is Phase.EXPORTS,
    )
    # dlt imports a file into its resource's table, which a mark of another table's name does
    # not change: a resource whose files go to several tables takes each file's table from the
    # file itself.
    own_table: Any = table_of if load.files and load.derived else stream.name
    # The derived tables' hints first: a table variant starts from the resource's own.
    for table in [*load.derived, stream]:
        resource.apply_hints(
            table_name=own_table if table is stream else table.name,
            primary_key=list(table.primary_key),
            write_disposition=table.disposition,
            columns=column_hints(table),
            create_table_variant=table is not stream,
        )
    return resource


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
    for name, kind in stream.columns.items():
        if kind == "INTEGER":
            hints[name]["precision"] = 32
    if stream.version is not None:
        hints[stream.version]["dedup_sort"] = "desc"
    return hints
