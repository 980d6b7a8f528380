"""Tables read from another export's pages: no request of their own.

A derived stream names the export whose pages carry its rows (``follows``) and a pure function
that makes its rows from each page: from the page's records (the field changes, comments and
tag changes inside ticket events) or from a list the body sideloads beside them (metric sets
beside tickets). The rows reach dlt through the export's own resource, marked with their
table's name, so they commit in the same load package as the export's position: a run killed
before that package loads reads the page again for every table alike.

Each page's rows are typed on the fetch thread by the same DuckDB parse the parents' records go
through, with the stream's declared column types, and travel as the parents' records do: as
JSON-lines files of the table's own for the DuckDB destination (each file names its table, which
the export's resource reads as the table to import it into), as Arrow tables marked with the
table's name for others. Either way dlt takes them as they come, where a list of dicts would be
normalized row by row and held meanwhile. Files keep the DuckDB path free of Arrow's libraries,
which cost about 70 MB of a run's peak memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from pipelines.zendesk.convert import Converted, Converter
from pipelines.zendesk.progress import BatchBudget, StreamProgress
from pipelines.zendesk.stream import Fetch, Phase, RunContext, Stream
from zdsync.client.pagination import MAX_EXPORT_PAGE

Record = dict[str, Any]
# A page's records (repeats already dropped) and its whole body, to the derived table's rows.
Rows = Callable[[Sequence[Record], Mapping[str, Any]], list[Record]]


def _no_rows(items: Sequence[Record], body: Mapping[str, Any]) -> list[Record]:
    return []


@dataclass(frozen=True)
class Derived(Fetch):
    """Rows made from each page another export stream fetches.

    Attributes:
        follows: The export whose pages carry the rows; selecting it selects this.
        rows: The table's rows of one page, with exactly the stream's columns.
    """

    phase: ClassVar[Phase] = Phase.EXPORTS
    page_size: ClassVar[int] = MAX_EXPORT_PAGE
    # Defaults only because ``Fetch`` gives ``follows`` one; every entry names both.
    follows: str = ""
    rows: Rows = _no_rows

    def start(self, stream: Stream, run: RunContext) -> DerivedTask:
        return DerivedTask(stream, run.progress(stream.name))


class DerivedTask:
    """Nothing to fetch or load of its own: the export it follows hands its rows to dlt."""

    def __init__(self, stream: Stream, progress: StreamProgress) -> None:
        self.stream = stream
        self.progress = progress

    @property
    def done(self) -> bool:
        return True

    def fetch_ahead(self) -> None:
        """Nothing: its rows arrive with the pages of the export it follows."""

    def batch(self, budget: BatchBudget) -> Iterator[Any] | None:
        return None

    def loaded(self) -> None:
        """Nothing: the export it follows hands its rows over and forgets them."""

    def close(self) -> None:
        """Nothing to close."""


@dataclass(frozen=True)
class DerivedTable:
    """A derived stream of a run and the converter that types its rows."""

    stream: Stream
    converter: Converter

    def convert(self, items: Sequence[Record], body: Mapping[str, Any]) -> Converted | None:
        """The stream's rows of one page, typed; None when the page has none."""
        fetch = self.stream.fetch
        assert isinstance(fetch, Derived)
        rows = fetch.rows(items, body)
        return self.converter.records(rows) if rows else None


def derived_parts(
    tables: Sequence[DerivedTable], items: Sequence[Record], body: Mapping[str, Any]
) -> dict[str, Converted]:
    """Each derived stream's typed rows of one page, for the streams that have any."""
    found: dict[str, Converted] = {}
    for table in tables:
        part = table.convert(items, body)
        if part is not None:
            found[table.stream.name] = part
    return found


@dataclass(frozen=True, eq=False)
class Sideload:
    """Rows of the list a body sideloads under ``key``, cut to ``columns``.

    A page's other records play no part, so a page parsed in DuckDB need hand over to Python
    only this list (``sideloads``), not the whole body.
    """

    key: str
    columns: Mapping[str, str]

    def __call__(self, items: Sequence[Record], body: Mapping[str, Any]) -> list[Record]:
        return [self.row(record) for record in body.get(self.key) or []]

    def row(self, record: Record) -> Record:
        return {name: record.get(name) for name in self.columns}


@dataclass(frozen=True, eq=False)
class Flattened(Sideload):
    """A sideloaded list whose ``durations`` are ``{"calendar": m, "business": m}``: each
    becomes ``<duration>_calendar`` and ``<duration>_business``."""

    durations: Sequence[str] = ()

    def row(self, record: Record) -> Record:
        flat = dict(record)
        for duration in self.durations:
            value = flat.pop(duration, None) or {}
            flat[f"{duration}_calendar"] = value.get("calendar")
            flat[f"{duration}_business"] = value.get("business")
        return super().row(flat)


def sideload(key: str, columns: Mapping[str, str]) -> Rows:
    """Rows of the list a body sideloads under ``key``, cut to ``columns``."""
    return Sideload(key, columns)


def flattened(key: str, columns: Mapping[str, str], durations: Sequence[str]) -> Rows:
    """Rows of a sideloaded list whose ``durations`` are ``{"calendar": m, "business": m}``:
    each becomes ``<duration>_calendar`` and ``<duration>_business``."""
    return Flattened(key, columns, tuple(durations))


def sideloads(tables: Sequence[DerivedTable]) -> list[str] | None:
    """The body's lists the rows of ``tables`` are made from; None when some table's rows
    come from the page's records, which then must be read too."""
    keys = []
    for table in tables:
        fetch = table.stream.fetch
        assert isinstance(fetch, Derived)
        if not isinstance(fetch.rows, Sideload):
            return None
        keys.append(fetch.rows.key)
    return keys
