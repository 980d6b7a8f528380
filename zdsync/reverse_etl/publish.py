"""The push's sync log, copied from its DuckDB file to the warehouse the models run on.

A push keeps its log (schema ``reverse_etl``) in the DuckDB file, where each job commits with
the state it changes. When the models run on another warehouse, the log's tables go there too,
replaced whole through dlt, so ``sync_log``, ``user_sync_health`` and ``user_sync_failing_rows``
read there what they read in DuckDB.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import dlt
import duckdb

from zdsync.reverse_etl.ledger import SCHEMA, TABLES


def publish(db: Path, destination: str) -> list[str]:
    """Replace the log's tables at ``destination`` with those in ``db``; the names copied."""
    if not db.exists():
        return []
    with duckdb.connect(str(db), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
                [SCHEMA],
            ).fetchall()
        }
        tables = {
            name: con.sql(f"SELECT * FROM {SCHEMA}.{name}").to_arrow_table()  # noqa: S608
            for name in TABLES
            if name in present
        }
    if not tables:
        return []
    with tempfile.TemporaryDirectory(prefix="zdsync-publish-") as working_dir:
        pipeline = dlt.pipeline(
            pipeline_name="zdsync_reverse_etl",
            destination=destination,
            dataset_name=SCHEMA,
            pipelines_dir=working_dir,
        )
        pipeline.run(
            [
                dlt.resource(table, name=name, write_disposition="replace")
                for name, table in tables.items()
            ]
        )
    return list(tables)
