"""What ``zdsync status`` reports: where each stream would resume, and how the pushes went."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from pipelines.zendesk import RESOURCE_NAMES, ExtractOptions
from pipelines.zendesk.extract import make_pipeline
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
                "SELECT max(inserted_at) FROM zendesk._dlt_loads WHERE status = 0"
            ).fetchall()[0][0]
            if ("zendesk", "_dlt_loads") in tables
            else None
        )
        resources = [
            ResourceStatus(
                name,
                positions.get(name),
                _count(con, f"zendesk.{name}") if ("zendesk", name) in tables else None,
                last_load if ("zendesk", name) in tables else None,
            )
            for name in RESOURCE_NAMES
        ]
        pushes, failing = _pushes(con) if ("reverse_etl", "sync_runs") in tables else ([], [])
    return Status(resources, pushes, failing)


def _positions(db: Path) -> dict[str, str]:
    state = make_pipeline(ExtractOptions(db_path=db)).state
    saved = state.get("sources", {}).get("zendesk", {}).get("resources", {})
    described = {}
    for name, value in saved.items():
        if "cursor" in value:
            described[name] = f"cursor {value['cursor']}"
        elif "start_time" in value:
            described[name] = f"start_time {value['start_time']}"
        elif "complete_user_ids" in value:
            described[name] = f"{len(value['complete_user_ids'])} users complete"
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
