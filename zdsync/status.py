"""What ``zdsync status`` reports: where each stream would resume, and how the pushes went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import dlt
import duckdb
from dlt.pipeline.exceptions import CannotRestorePipelineException

from pipelines.zendesk import STREAMS, ExtractOptions
from pipelines.zendesk.options import DATASET
from pipelines.zendesk.pipeline import PIPELINE, saved_state, working_dir
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
    """Saved positions come from dlt's state; counts and times from the database."""
    positions = _positions(db)
    with duckdb.connect(str(db), read_only=True) as con:
        tables = {
            (schema, name)
            for schema, name in con.execute(
                "SELECT table_schema, table_name FROM information_schema.tables"
            ).fetchall()
        }
        last_load = (
            con.execute(
                f"SELECT max(inserted_at) FROM {DATASET}._dlt_loads WHERE status = 0"  # noqa: S608
            ).fetchall()[0][0]
            if (DATASET, "_dlt_loads") in tables
            else None
        )
        resources = [
            ResourceStatus(
                name,
                positions.get(name),
                _count(con, f"{DATASET}.{name}") if (DATASET, name) in tables else None,
                last_load if (DATASET, name) in tables else None,
            )
            for name in STREAMS
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
