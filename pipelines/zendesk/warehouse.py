"""Small reads and writes on the destination through dlt's SQL client, whatever it is."""

from __future__ import annotations

from typing import Any


class Warehouse:
    """The dataset a pipeline loads into.

    One SQL client serves every read and write: dlt resolves its whole configuration each time
    it makes one, which costs more than the small query it is made for (a run with a dozen
    settings lists asks a few dozen).
    """

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self._client: Any = None

    def sql_client(self) -> Any:
        if self._client is None:
            self._client = self.pipeline.sql_client()
        return self._client

    def has_table(self, name: str) -> bool:
        return self._existing(name) is not None

    def qualified(self, name: str) -> str:
        with self.sql_client() as client:
            return str(client.make_qualified_table_name(name))

    def count(self, table: str, where: str = "TRUE") -> int:
        with self.sql_client() as client:
            rows = client.execute_sql(f"SELECT count(*) FROM {table} WHERE {where}")  # noqa: S608
        return int(rows[0][0])

    def select(self, query: str) -> list[tuple[Any, ...]]:
        with self.sql_client() as client:
            return [tuple(row) for row in client.execute_sql(query) or []]

    def execute(self, statement: str) -> None:
        with self.sql_client() as client:
            client.execute_sql(statement)

    def row_counts(self, names: list[str]) -> dict[str, int]:
        """Rows per table; tables not created yet count zero."""
        tables = {name: self._existing(name) for name in names}
        return {name: self.count(table) for name, table in tables.items() if table is not None}

    def _existing(self, name: str) -> str | None:
        try:
            with self.sql_client() as client:
                if not client.has_dataset():
                    return None
                table = client.make_qualified_table_name(name)
                client.execute_sql(f"SELECT 1 FROM {table} LIMIT 0")  # noqa: S608
                return str(table)
        except Exception:  # the destination says the table is not there, each in its own words
            return None
