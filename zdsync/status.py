"""What ``zdsync status`` reports: where each stream would resume, and how the pushes went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.pipeline.exceptions import CannotRestorePipelineException

from pipelines.zendesk import STREAMS, ExtractOptions, Stream
from pipelines.zendesk.options import DATASET
from pipelines.zendesk.pipeline import PIPELINE, saved_state, working_dir
from pipelines.zendesk.run_log import SCHEMA as LOG_SCHEMA
from zdsync.frames import columns
from zdsync.records import records


@dataclass(frozen=True)
class ResourceStatus:
    name: str
    position: str | None
    rows: int | None
    last_loaded_at: datetime | None


@dataclass(frozen=True)
class Status:
    resources: list[ResourceStatus]
    pushes: list[dict[str, Any]]
    failing: list[dict[str, Any]]


def read_status(db: Path) -> Status:
    """Saved positions come from dlt's state; counts and times from the database.

    A resource's last load is when it last finished loading in an extract that finished (the
    extract log), else the last dlt load that wrote its rows.
    """
    positions = _positions(db)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
        }
        logged = _logged_loads(con) if (LOG_SCHEMA, "resources") in tables else {}
        resources = [
            ResourceStatus(
                name,
                positions.get(name),
                _count(con, f"{DATASET}.{name}") if (DATASET, name) in tables else None,
                _last_load(con, stream, logged, tables),
            )
            for name, stream in STREAMS.items()
        ]
        pushes, failing = _pushes(con) if ("reverse_etl", "sync_runs") in tables else ([], [])
    return Status(resources, pushes, failing)


def _positions(db: Path) -> dict[str, str]:
    """Each stream's saved position, described by its kind, from the pipeline's local state."""
    pipelines_dir = working_dir(ExtractOptions(db_path=db))
    if not (pipelines_dir / PIPELINE).is_dir():
        return {}
    try:
        pipeline = dlt.attach(pipeline_name=PIPELINE, pipelines_dir=str(pipelines_dir))
    except CannotRestorePipelineException:
        return {}
    described = {}
    for name, state in saved_state(pipeline).items():
        stream = STREAMS.get(name)
        position = stream.fetch.describe(state) if stream else None
        if position:
            described[name] = position
    return described


def _logged_loads(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each resource last finished loading in an extract that finished."""
    found = con.execute(
        f"SELECT resource, max(finished_at) FROM {LOG_SCHEMA}.resources GROUP BY 1"  # noqa: S608
    ).fetchall()
    return dict(found)


def _last_load(
    con: duckdb.DuckDBPyConnection,
    stream: Stream,
    logged: dict[str, datetime],
    tables: set[tuple[str, str]],
) -> datetime | None:
    """When ``stream`` last loaded: as logged, with the stream it loads along with, or else
    the last successful dlt load that wrote its rows (an extract older than the log)."""
    name = stream.name
    if (DATASET, name) not in tables:
        return None
    if found := logged.get(name) or logged.get(stream.fetch.follows or ""):
        return found
    if (DATASET, "_dlt_loads") not in tables or "_dlt_load_id" not in columns(con, DATASET, name):
        return None
    rows = con.execute(
        f"SELECT max(l.inserted_at) FROM {DATASET}._dlt_loads AS l "  # noqa: S608
        f"WHERE l.status = 0 AND l.load_id IN (SELECT _dlt_load_id FROM {DATASET}.{name})"
    ).fetchall()
    last: datetime | None = rows[0][0]
    return last


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: S608


def _pushes(con: duckdb.DuckDBPyConnection) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    pushes = records(
        con,
        "SELECT run_id, started_at, rows, created, updated, unchanged, failed, invalid "
        "FROM reverse_etl.sync_runs ORDER BY started_at DESC LIMIT 5",
    )
    failing = records(
        con,
        "SELECT s.identity, s.updated_at, l.error FROM reverse_etl.user_sync_state s "
        "LEFT JOIN reverse_etl.user_sync_log l ON l.run_id = s.last_run_id "
        "AND coalesce(lower(l.external_id), lower(l.email)) = split_part(s.identity, ':', 2) "
        "WHERE s.last_action = 'failed' ORDER BY s.updated_at DESC LIMIT 20",
    )
    return pushes, failing
