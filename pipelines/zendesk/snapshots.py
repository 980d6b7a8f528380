"""Settings lists kept as snapshots: loaded only when they changed, rows gone from them marked.

A settings list (groups, macros, field definitions...) has no incremental form, so each run
reads it whole; its pages are cheap, its rewrites are not. A digest of its records, saved in the
stream's state with the rows, tells whether anything changed since the last load: if not, the
run writes nothing for it, no load package and no rewritten row.

When it changed, every row it holds is loaded again, stamped with the load's id, and the load
id is saved with the digest. After the run's loads, rows of the table that the last load did not
stamp are the rows gone from the list: they are kept, with ``is_deleted`` set, so models filter
them as they filter deleted tickets. That step reads only the committed state, so a run that
stops between the load and the marking marks on the next run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import dlt
import orjson

from pipelines.zendesk.convert import Converter, records_in_parts
from pipelines.zendesk.sql_text import string_literal
from pipelines.zendesk.state import check_version
from pipelines.zendesk.stream import RunContext, Stream
from pipelines.zendesk.warehouse import Warehouse

log = logging.getLogger(__name__)
Record = dict[str, Any]

DELETED = "is_deleted"
LOADED_IN = "_dlt_load_id"
# The columns every snapshot table carries beside Zendesk's fields.
SNAPSHOT_COLUMNS = {DELETED: "BOOLEAN", LOADED_IN: "VARCHAR"}
# State keys: the digest of the records last loaded, and the load that wrote them.
DIGEST = "digest"
LOAD_ID = "load_id"


def digest(records: Sequence[Mapping[str, Any]]) -> str:
    """A digest of ``records`` in their order; key order within a record does not count."""
    hashed = hashlib.sha256()
    for record in records:
        hashed.update(orjson.dumps(record, option=orjson.OPT_SORT_KEYS))
        hashed.update(b"\n")
    return hashed.hexdigest()


def unchanged(stream: Stream, run: RunContext, seen: str) -> bool:
    """Whether the list, whose records' digest is ``seen``, is as the last committed load left
    it."""
    if run.full_refresh or not run.has_table(stream.name):
        return False
    return run.saved_state(stream.name).get(DIGEST) == seen


def is_deleted(record: Mapping[str, Any]) -> bool:
    """Zendesk's own deletion mark, where a listed record carries one (groups, brands)."""
    return bool(record.get("deleted") or record.get(DELETED))


def snapshot_rows(
    stream: Stream, records: list[Record], converter: Converter, seen: str
) -> Iterator[Any]:
    """Every record, stamped with this load; ``seen`` and the load id are saved with them.

    Runs inside dlt's extraction, where the load package and the resource's state are known.
    """
    state = dlt.current.resource_state()
    check_version(state, stream.name)
    load_id = dlt.current.load_package_state()["load_id"]
    state[DIGEST] = seen
    state[LOAD_ID] = load_id
    yield from records_in_parts(
        converter, records, lambda r: {**r, DELETED: is_deleted(r), LOADED_IN: load_id}
    )


def mark_gone(
    warehouse: Warehouse,
    streams: Sequence[Stream],
    saved_state: Callable[[str], Mapping[str, Any]],
) -> dict[str, int]:
    """Mark rows the last load of each snapshot stream did not write; how many, per stream."""
    marked: dict[str, int] = {}
    for stream in streams:
        load_id = saved_state(stream.name).get(LOAD_ID)
        if not stream.fetch.snapshot or load_id is None or not warehouse.has_table(stream.name):
            continue
        table = warehouse.qualified(stream.name)
        # The load id comes from dlt's state, the names from the stream table.
        gone = f"NOT {DELETED} AND {LOADED_IN} <> {string_literal(str(load_id))}"
        count = warehouse.count(table, gone)
        if count:
            warehouse.execute(f"UPDATE {table} SET {DELETED} = TRUE WHERE {gone}")  # noqa: S608
            log.info("%s: %d rows gone from the list, marked deleted", stream.name, count)
            marked[stream.name] = count
    return marked
