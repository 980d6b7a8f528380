"""Where the SQL models run: the DuckDB file, or the dlt destination the extract loads.

Either way the models arrive as DuckDB SQL and leave in the warehouse's dialect
(``zdsync.warehouse_sql``). Another destination is reached through dlt's own SQL client, with
its credentials found the dlt way (``DESTINATION__<NAME>__CREDENTIALS``, ``.dlt/secrets.toml``),
so zdsync never holds them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Protocol

import dlt
import duckdb
import sqlglot

from zdsync.errors import first_line
from zdsync.warehouse_sql import MODEL_DIALECT, statements

_TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}'"


class WarehouseError(Exception):
    """A statement failed, or the warehouse could not be reached; the message is one line."""


class Warehouse(Protocol):
    """A connection that runs DuckDB-dialect SQL on its warehouse."""

    dialect: str

    def run(self, script: str) -> None:
        """Run every statement of ``script``; raises ``WarehouseError``."""

    def tables(self, schema: str) -> set[str]:
        """The tables and views in ``schema``."""

    def transaction(self) -> AbstractContextManager[Any]:
        """A transaction around the statements run inside it, where the warehouse has them."""


class DuckDbWarehouse:
    """A DuckDB connection; the models run as they are written."""

    dialect = MODEL_DIALECT

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        self.connection = connection

    def run(self, script: str) -> None:
        try:
            self.connection.execute(script)
        except duckdb.Error as exc:
            raise WarehouseError(first_line(exc)) from None

    def tables(self, schema: str) -> set[str]:
        found = self.connection.execute(_TABLES.format(schema=schema)).fetchall()
        return {row[0] for row in found}

    def transaction(self) -> AbstractContextManager[Any]:
        # Each model commits on its own, as it always has on DuckDB.
        return nullcontext()


class DltWarehouse:
    """dlt's SQL client for a destination; statements are transpiled to its dialect."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.dialect = str(client.capabilities.sqlglot_dialect)

    def run(self, script: str) -> None:
        try:
            found = statements(script, self.dialect)
        except sqlglot.errors.SqlglotError as exc:
            raise WarehouseError(f"not expressible in {self.dialect}: {first_line(exc)}") from None
        for statement in found:
            try:
                self.client.execute_sql(statement)
            except Exception as exc:  # dlt wraps each driver's errors in its own classes
                raise WarehouseError(first_line(exc)) from None

    def tables(self, schema: str) -> set[str]:
        found = self.client.execute_sql(_TABLES.format(schema=schema)) or []
        return {row[0] for row in found}

    def transaction(self) -> AbstractContextManager[Any]:
        return self.client.begin_transaction()  # type: ignore[no-any-return]


@contextmanager
def connect(db: Path, destination: str | None = None) -> Iterator[Warehouse]:
    """The warehouse: the DuckDB file ``db``, or the dlt destination named ``destination``.

    Raises:
        WarehouseError: The destination is unknown, lacks credentials, or refuses them.
    """
    if not destination:
        with duckdb.connect(str(db)) as connection:
            yield DuckDbWarehouse(connection)
        return
    with (
        tempfile.TemporaryDirectory(prefix="zdsync-transform-") as working_dir,
        _sql_client(destination, working_dir) as client,
    ):
        yield DltWarehouse(client)


@contextmanager
def _sql_client(destination: str, working_dir: str) -> Iterator[Any]:
    with ExitStack() as stack:
        try:
            pipeline = dlt.pipeline(
                pipeline_name="zdsync_transform",
                destination=destination,
                dataset_name="zendesk",
                pipelines_dir=working_dir,
            )
            opened: Any = pipeline.sql_client()
            client = stack.enter_context(opened)
        except Exception as exc:  # an unknown destination, missing or refused credentials
            raise WarehouseError(
                f"cannot reach the {destination} warehouse: {first_line(exc)}"
            ) from None
        yield client
