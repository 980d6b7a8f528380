"""Raw tables of the extract's shape, written straight into DuckDB and PostgreSQL for the models.

The columns of the tables zdsync already extracts come from ``STREAMS``; the others are those
the table contract fixes for the activity and configuration streams. JSON values are given as
Python objects; a column a row leaves out is NULL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
import psycopg2

from pipelines.zendesk import STREAMS

Rows = Mapping[str, Sequence[Mapping[str, Any]]]

CONTRACT_COLUMNS: dict[str, dict[str, str]] = {
    "ticket_field_history": {
        "ticket_id": "BIGINT",
        "field_name": "VARCHAR",
        "value": "VARCHAR",
        "previous_value": "VARCHAR",
        "updated_at": "TIMESTAMPTZ",
        "updater_id": "BIGINT",
        "event_id": "BIGINT",
    },
    "ticket_comments": {
        "id": "BIGINT",
        "ticket_id": "BIGINT",
        "author_id": "BIGINT",
        "public": "BOOLEAN",
        "created_at": "TIMESTAMPTZ",
        "body": "VARCHAR",
        "html_body": "VARCHAR",
        "via_channel": "VARCHAR",
        "attachments": "JSON",
        "event_id": "BIGINT",
    },
    "ticket_metric_events": {
        "id": "BIGINT",
        "ticket_id": "BIGINT",
        "metric": "VARCHAR",
        "instance_id": "BIGINT",
        "type": "VARCHAR",
        "time": "TIMESTAMPTZ",
        "sla": "JSON",
        "status": "JSON",
        "deleted": "BOOLEAN",
    },
    "schedules": {
        "id": "BIGINT",
        "name": "VARCHAR",
        "time_zone": "VARCHAR",
        "iana_time_zone": "VARCHAR",
        "intervals": "JSON",
        "created_at": "TIMESTAMPTZ",
        "updated_at": "TIMESTAMPTZ",
        "is_deleted": "BOOLEAN",
    },
    "schedule_holidays": {
        "id": "BIGINT",
        "schedule_id": "BIGINT",
        "name": "VARCHAR",
        "start_date": "DATE",
        "end_date": "DATE",
        "is_deleted": "BOOLEAN",
    },
    "groups": {
        "id": "BIGINT",
        "name": "VARCHAR",
        "default": "BOOLEAN",
        "deleted": "BOOLEAN",
        "created_at": "TIMESTAMPTZ",
        "updated_at": "TIMESTAMPTZ",
    },
    "brands": {
        "id": "BIGINT",
        "name": "VARCHAR",
        "subdomain": "VARCHAR",
        "active": "BOOLEAN",
        "default": "BOOLEAN",
        "deleted": "BOOLEAN",
    },
    "ticket_forms": {
        "id": "BIGINT",
        "name": "VARCHAR",
        "display_name": "VARCHAR",
        "active": "BOOLEAN",
        "default": "BOOLEAN",
        "ticket_field_ids": "JSON",
        "deleted": "BOOLEAN",
    },
}
# DuckDB's types as dlt loads them into PostgreSQL.
POSTGRES_TYPES = {"JSON": "jsonb", "TIMESTAMPTZ": "timestamptz", "VARCHAR": "text"}


def columns(table: str) -> dict[str, str]:
    """A raw table's columns and their DuckDB types."""
    return STREAMS[table].columns if table in STREAMS else CONTRACT_COLUMNS[table]


def _values(table: str, rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    kinds = columns(table)
    unknown = {key for row in rows for key in row} - kinds.keys()
    if unknown:
        raise ValueError(f"{table}: no columns {sorted(unknown)}")
    return [
        tuple(
            json.dumps(row[name]) if kind == "JSON" and row.get(name) is not None else row.get(name)
            for name, kind in kinds.items()
        )
        for row in rows
    ]


def _insert(table: str, marks: str) -> str:
    return f"INSERT INTO zendesk.{table} VALUES ({marks})"  # noqa: S608


def _create(table: str, types: Mapping[str, str]) -> str:
    listed = ", ".join(f'"{name}" {kind}' for name, kind in types.items())
    return f"CREATE TABLE zendesk.{table} ({listed})"


def write_duckdb(db: Path, tables: Rows) -> None:
    """Create schema ``zendesk`` in ``db`` holding ``tables``."""
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE SCHEMA zendesk")
        for table, rows in tables.items():
            con.execute(_create(table, columns(table)))
            marks = ", ".join("?" for _ in columns(table))
            if rows:
                con.executemany(_insert(table, marks), _values(table, rows))


def write_postgres(url: str, tables: Rows) -> None:
    """Create schema ``zendesk`` in the database at ``url`` holding ``tables``."""
    with closing(psycopg2.connect(url)) as connection, connection.cursor() as cursor:
        cursor.execute("CREATE SCHEMA zendesk")
        for table, rows in tables.items():
            kinds = {name: POSTGRES_TYPES.get(kind, kind) for name, kind in columns(table).items()}
            cursor.execute(_create(table, kinds))
            marks = ", ".join("%s" for _ in kinds)
            cursor.executemany(_insert(table, marks), _values(table, rows))
        connection.commit()
