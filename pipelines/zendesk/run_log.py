"""Each extract's outcome in the DuckDB file (schema ``extract_log``), as pushes keep theirs.

``runs``: one row per extract that finished, with every request it sent. ``resources``: one row
per resource of that run, with when the resource finished loading. ``zdsync status`` reads the
last of these per resource; the model ``analytics.sync_run_health`` reads the runs beside the
pushes. An extract that fails writes nothing here: its error is the one line it ends with.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import duckdb

from pipelines.zendesk.summary import ExtractSummary, ResourceSummary

SCHEMA = "extract_log"
DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    records BIGINT NOT NULL,
    new_rows BIGINT NOT NULL,
    updated_rows BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    rate_limited BIGINT NOT NULL,
    seconds DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.resources (
    run_id VARCHAR NOT NULL,
    resource VARCHAR NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    records BIGINT NOT NULL,
    new_rows BIGINT NOT NULL,
    updated_rows BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    rate_limited BIGINT NOT NULL,
    seconds DOUBLE NOT NULL,
    PRIMARY KEY (run_id, resource)
);
"""


def record_run(connection: duckdb.DuckDBPyConnection, summary: ExtractSummary) -> str:
    """Write ``summary``, of an extract that just finished, in one transaction; its run id."""
    run_id = uuid.uuid4().hex
    finished = datetime.now(UTC)
    started = finished - timedelta(seconds=summary.seconds)
    records = sum(r.records for r in summary.resources)
    run = (run_id, started, finished, records, summary.new_rows, summary.updated_rows)
    connection.execute(DDL)
    connection.begin()
    try:
        connection.execute(
            f"INSERT INTO {SCHEMA}.runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            [*run, summary.requests, summary.rate_limited, summary.seconds],
        )
        connection.executemany(
            f"INSERT INTO {SCHEMA}.resources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
            [_resource_row(run_id, started, r) for r in summary.resources],
        )
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return run_id


def _resource_row(run_id: str, started: datetime, r: ResourceSummary) -> tuple[object, ...]:
    finished = started + timedelta(seconds=r.seconds)
    counts = (r.records, r.new_rows, r.updated_rows, r.requests, r.rate_limited, r.seconds)
    return (run_id, r.name, finished, *counts)
