"""Pages of records made ready for dlt, parsed by DuckDB.

DuckDB parses each response body in C++, without holding the GIL, so no record becomes a Python
object on the way; that is what lets a run keep up with 1,000-record pages. What a page becomes
depends on the destination:

- ``JsonLinesConverter`` (DuckDB): the typed records as JSON lines in a file dlt imports as it
  is. The destination reads them with the same declared types (``destination.py``).
- ``ArrowConverter`` (``arrow.py``, any other destination): Arrow tables with the stream's
  column types, which dlt converts to whatever the destination loads.

Either way every page is typed the same whatever values it happens to hold (a page of null
``assignee_id``s is still BIGINT), so dlt never sees a column change type, and fields a stream
does not declare are left out.
"""

from __future__ import annotations

import io
import itertools
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import dlt
import duckdb
import orjson

from pipelines.zendesk.sql_text import string_literal

# The parse of the body or records at hand, one table per converter. Every name put into SQL
# here comes from the stream definitions in streams.py, never from the data.
_STAGED = "staged"
# Size at which an imported file is closed and a new one begun (see _FileBatch).
FILE_BYTES = 4 << 20
# The CSV delimiter the files are written (and read back) with: a character JSON text always
# escapes, so a line is one field, the record's JSON as it is.
LINE_DELIMITER = "\x01"
# Records parsed at a time from Python (list endpoints): about as many as an export page holds,
# so a long list's parse costs no more memory than a page's.
PART_RECORDS = 1_000


@dataclass(frozen=True)
class Converted:
    """One parse's records: ``data`` is an Arrow table or a file, as the converter makes them."""

    data: Any
    count: int


class Shape(Protocol):
    """What a converter needs to know of a stream: its name, its body's key, its columns."""

    @property
    def name(self) -> str: ...

    @property
    def key(self) -> str: ...

    @property
    def columns(self) -> dict[str, str]: ...


class Batch(Protocol):
    """Gathers one committed batch's parses into the items a resource yields."""

    def add(self, part: Converted) -> Iterator[Any]: ...

    def finish(self) -> Iterator[Any]: ...


def records_in_parts(
    converter: Converter,
    records: Sequence[dict[str, Any]],
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[Any]:
    """A list's records, each made ready by ``prepare``, parsed ``PART_RECORDS`` at a time into
    one batch of ``converter``'s.

    A parse holds its records' JSON and DuckDB's buffers for them: a whole list parsed at once
    made a run's peak memory grow with the account's size.
    """
    batch = converter.batch()
    for start in range(0, len(records), PART_RECORDS):
        part = records[start : start + PART_RECORDS]
        ready = part if prepare is None else [prepare(record) for record in part]
        yield from batch.add(converter.records(ready))
    yield from batch.finish()


class Parsers:
    """The small in-memory DuckDB database a run's converters parse in, one page at a time.

    A database of its own for each converter costs about 5 MB before it parses anything, and a
    run with every stream on has some thirty converters; a connection to a shared one costs a
    tenth of that. One parse at a time keeps the memory to the largest page's under one cap,
    rather than every stream's at once; the fetches, which spend most of a run waiting for
    budget, still overlap.
    """

    def __init__(self) -> None:
        self._db = duckdb.connect(config={"threads": 1, "memory_limit": "64MB"})
        self.lock = threading.Lock()
        self._numbers = itertools.count()

    def connect(self) -> tuple[duckdb.DuckDBPyConnection, str]:
        """A connection of its own, and the name of the table it stages parses in."""
        return self._db.cursor(), f"{_STAGED}_{next(self._numbers)}"

    def close(self) -> None:
        self._db.close()


class Converter:
    """Parses one stream's records; subclasses say what a parse becomes.

    Args:
        shape: The stream.
        parsers: The run's shared database; a converter without one has its own.
    """

    def __init__(self, shape: Shape, parsers: Parsers | None = None) -> None:
        self.shape = shape
        self._columns = dict(shape.columns)
        self._own = parsers is None
        self._parsers = parsers or Parsers()
        self._db, self._staged = self._parsers.connect()
        self._lock = self._parsers.lock

    def records(self, records: Sequence[dict[str, Any]]) -> Converted:
        """Records already read into Python (list endpoints)."""
        # One record a line: DuckDB reads lines as a stream, where an array is parsed whole,
        # and a page of ticket events with their child events outgrows the parser's memory.
        lines = [orjson.dumps(record) for record in records]
        data = b"\n".join(lines)
        # DuckDB sizes its read buffers to the largest object it is told to expect.
        largest = max(map(len, lines)) + 1
        with self._lock:
            self._stage(
                data,
                self._columns,
                materialize=True,
                format="newline_delimited",
                maximum_object_size=largest,
            )
            staged = self._staged
            return self._emit_staged(f"SELECT {staged} AS record FROM {staged}", len(records))  # noqa: S608

    def page(self, body: bytes, meta: dict[str, str]) -> tuple[Converted | None, dict[str, Any]]:
        """A whole response body: its records (None when it has none) and its ``meta`` fields.

        Parsing the body once, in DuckDB, skips building a Python dict per record: for a
        1,000-record export page that is most of the cost of reading it.
        """
        key = self.shape.key
        # A body on one line (as Zendesk sends them) reads fastest as one newline-delimited
        # record; DuckDB's general reader, which any layout needs, takes about half as long again.
        layout = "unstructured" if b"\n" in body.strip() else "newline_delimited"
        columns = {key: _struct_list(self._columns), **meta}
        selected = ", ".join(f'"{name}"' for name in meta)
        with self._lock:
            self._stage(body, columns, materialize=True, format=layout)
            fields_query = f'SELECT {selected}, len("{key}") FROM {self._staged}'  # noqa: S608
            # All rows, though a body is one: a result left open would block the next query.
            (row,) = self._db.execute(fields_query).fetchall()
            fields = dict(zip(meta, row[:-1], strict=True))
            count = int(row[-1] or 0)
            if not count:
                self._unstage()
                return None, fields
            records = f'SELECT unnest("{key}") AS record FROM {self._staged}'  # noqa: S608
            return self._emit_staged(records, count), fields

    def batch(self) -> Batch:
        raise NotImplementedError

    def forget_handed(self) -> None:
        """Called once dlt has extracted what the batches handed it."""

    def close(self) -> None:
        with self._lock:
            self._unstage()
        self._db.close()
        if self._own:
            self._parsers.close()

    def _emit_staged(self, records: str, count: int) -> Converted:
        """``_emit``, then the parse dropped: a run has some thirty converters, which would
        otherwise each hold their last page in the parsers' memory."""
        try:
            return self._emit(records, count)
        finally:
            self._unstage()

    def _unstage(self) -> None:
        self._db.execute(f"DROP TABLE IF EXISTS {self._staged}")

    def _emit(self, records: str, count: int) -> Converted:
        """What the query ``records``, one ``record`` struct per row, becomes."""
        raise NotImplementedError

    def _stage(
        self, data: bytes, columns: dict[str, str], *, materialize: bool, **options: Any
    ) -> None:
        options.setdefault("maximum_object_size", len(data) + 1)
        relation = self._db.read_json(io.BytesIO(data), columns=columns, **options)
        if materialize:
            # Read twice (fields, then records): parse once.
            self._db.execute(f"DROP TABLE IF EXISTS {self._staged}")
            relation.create(self._staged)
        else:
            relation.create_view(self._staged, replace=True)


class JsonLinesConverter(Converter):
    """Writes each page's records to a JSON-lines file in ``directory``, one record a line.

    The records are typed here, as the page is parsed, and written back from the typed values:
    a value that does not fit its column fails the fetch, before anything reaches a load
    package, rather than a load that would then be retried on every run. The DuckDB destination
    reads the lines back with the same types.
    """

    def __init__(self, shape: Shape, directory: Path, parsers: Parsers | None = None) -> None:
        super().__init__(shape, parsers)
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._handed: list[Path] = []

    def batch(self) -> Batch:
        return _FileBatch(self)

    def hand(self, path: Path, count: int) -> Any:
        """The dlt item that imports ``path`` into the stream's table; the file is removed by
        ``forget_handed``.

        The item carries the table's name, which a resource whose files go to several tables
        (an export and the streams derived from its pages) reads as its table name.
        """
        self._handed.append(path)
        return dlt.mark.with_file_import(
            str(path), "jsonl", items_count=count, hints=TableFile(self.shape.name)
        )

    def forget_handed(self) -> None:
        """Remove the files of batches dlt has extracted; its package keeps its own links."""
        for path in self._handed:
            path.unlink(missing_ok=True)
        self._handed.clear()

    def close(self) -> None:
        super().close()
        self.forget_handed()

    def new_path(self) -> Path:
        return self.directory / f"{self.shape.name}.{uuid.uuid4().hex}.jsonl"

    def _emit(self, records: str, count: int) -> Converted:
        path = self.new_path()
        # Each record as its JSON text, written as CSV of one column without quoting: JSON text
        # never holds a raw newline or control character, so each line is the record as is.
        # (DuckDB's JSON writer gives the same lines, more slowly.)
        lines = f"SELECT to_json(record) FROM ({records})"  # noqa: S608
        self._db.execute(
            f"COPY ({lines}) TO {string_literal(str(path))}"
            f" (FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '{LINE_DELIMITER}')"
        )
        return Converted(path, count)


class _FileBatch:
    """Appends pages' files into files of about ``FILE_BYTES`` for dlt to import.

    Not one file per page: dlt runs each file as its own load job, with bookkeeping that costs
    about as much as loading a small page. Not one file per batch: the smaller each insert, the
    less the load holds in memory at once.
    """

    def __init__(self, converter: JsonLinesConverter) -> None:
        self._converter = converter
        self._path: Path | None = None
        self._count = 0
        self._bytes = 0

    def add(self, part: Converted) -> Iterator[Any]:
        if self._path is None:
            self._path = self._converter.new_path()
        with part.data.open("rb") as source, self._path.open("ab") as target:
            shutil.copyfileobj(source, target)
            self._bytes = target.tell()
        part.data.unlink()
        self._count += part.count
        if self._bytes >= FILE_BYTES:
            yield from self.finish()

    def finish(self) -> Iterator[Any]:
        if self._path is not None:
            path, count = self._path, self._count
            self._path, self._count, self._bytes = None, 0, 0
            yield self._converter.hand(path, count)


class TableFile(str):
    """The name of the table an imported file belongs to, as the file's dlt item."""


def table_of(item: Any) -> str:
    """The table of an item a converter handed: its file's table (``TableFile``)."""
    if not isinstance(item, TableFile):
        raise TypeError(f"not a converter's file item: {type(item).__name__}")
    return str(item)


def _struct_list(columns: dict[str, str]) -> str:
    return "STRUCT(" + ", ".join(f'"{name}" {kind}' for name, kind in columns.items()) + ")[]"
