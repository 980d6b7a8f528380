"""The sync logs, copied from their DuckDB file to the warehouse the models run on.

A push keeps its log (schema ``reverse_etl``) in the DuckDB file, where each job commits with
the state it changes; an extract into that file logs its runs beside it (``extract_log``). When
the models run on another warehouse, the logs' tables go there too, replaced whole through dlt,
so ``sync_log``, ``user_sync_health``, ``user_sync_failing_rows`` and ``sync_run_health`` read
there what they read in DuckDB.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import dlt
import duckdb

from pipelines.zendesk import run_log
from zdsync.reverse_etl.ledger import SCHEMA, TABLES

# Each log's schema, and its tables.
LOGS = {SCHEMA: TABLES, run_log.SCHEMA: ("runs", "resources")}


def publish(db: Path, destination: str) -> list[str]:
    """Replace the logs' tables at ``destination`` with those in ``db``; the names copied."""
    if not db.exists():
        return []
    return [
        f"{schema}.{name}"
        for schema, tables in LOGS.items()
        for name in _publish_schema(db, destination, schema, tables)
    ]


def _publish_schema(db: Path, destination: str, schema: str, names: tuple[str, ...]) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [schema],
            ).fetchall()
        }
        tables = {
            name: con.sql(f"SELECT * FROM {schema}.{name}").to_arrow_table()  # noqa: S608
            for name in names
            if name in present
        }
    if not tables:
        return []
    with tempfile.TemporaryDirectory(prefix="zdsync-publish-") as working_dir:
        pipeline = dlt.pipeline(
            pipeline_name=f"zdsync_{schema}",
            destination=destination,
            dataset_name=schema,
            pipelines_dir=working_dir,
        )
        pipeline.run(
            [
                dlt.resource(table, name=name, write_disposition="replace")
                for name, table in tables.items()
            ]
        )
    return list(tables)
