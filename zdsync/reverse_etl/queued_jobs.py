"""Jobs a push had queued but not yet written down, so a killed run's rows are never sent twice.

As soon as Zendesk answers a wave's POSTs, each job's id and its rows (identity, digest, the
keys its log shows and those a result echoes) go into ``reverse_etl.queued_jobs``; writing a
job's results down removes them in the same transaction. A run killed in between leaves them
behind, and the next push of the object first asks Zendesk how those jobs ended
(``job_statuses/show_many``, waiting while they still run): their results are written down as
the killed run's, so its rows are diffed as pushed and not sent again. A job Zendesk no longer
knows (statuses are kept for a day) is forgotten, and its rows are sent again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from zdsync.client import ZendeskClient
from zdsync.reverse_etl.job_records import failed_as_a_whole
from zdsync.reverse_etl.jobs import SHOW_MANY_PATH
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.reconcile import RowOutcome, reconcile
from zdsync.reverse_etl.rows import InputRow

log = logging.getLogger(__name__)

TABLE = "reverse_etl.queued_jobs"
DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    object VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    job_id VARCHAR NOT NULL,
    position INTEGER NOT NULL,
    row_number INTEGER NOT NULL,
    identity VARCHAR,
    payload_hash VARCHAR,
    row_values VARCHAR NOT NULL,
    echo VARCHAR NOT NULL,
    queued_at TIMESTAMPTZ NOT NULL
);"""
COLUMNS = (
    "object",
    "run_id",
    "job_id",
    "position",
    "row_number",
    "identity",
    "payload_hash",
    "row_values",
    "echo",
    "queued_at",
)
# What a job's result echoes, which reconciling checks against the row sent.
ECHOED = ("external_id", "email")
FINISHED = ("completed", "failed", "killed")
SHOW_MANY_SIZE = 100


def rows_of(
    object_name: str,
    run_id: str,
    queued: list[tuple[str, list[PlannedRow]]],
    log_keys: tuple[str, ...],
) -> list[list[Any]]:
    """The table's rows for jobs just queued; ``log_keys`` are the input columns the log shows."""
    now = datetime.now(UTC)
    return [
        [
            object_name,
            run_id,
            job_id,
            position,
            item.row.row_number,
            item.identity,
            item.digest,
            orjson.dumps({k: item.row.values.get(k) for k in log_keys}).decode(),
            orjson.dumps({k: item.payload.get(k) for k in ECHOED if k in item.payload}).decode(),
            now,
        ]
        for job_id, batch in queued
        for position, item in enumerate(batch)
    ]


def any_left(db: Path, object_name: str) -> bool:
    """Whether an earlier run of the object left jobs it never wrote down."""
    if not db.exists():
        return False
    with duckdb.connect(str(db), read_only=True) as con:
        if not _present(con):
            return False
        found = con.execute(
            f"SELECT count(*) FROM {TABLE} WHERE object = ?",  # noqa: S608
            [object_name],
        ).fetchall()
    return bool(found[0][0])


def _present(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'reverse_etl' AND table_name = 'queued_jobs'"
    ).fetchall()
    return bool(found[0][0])


def left_behind(
    con: duckdb.DuckDBPyConnection, object_name: str
) -> dict[tuple[str, str], list[PlannedRow]]:
    """Batches of jobs no run wrote down, by (run id, job id), rows in the order sent."""
    if not _present(con):
        return {}
    found = con.execute(
        f"SELECT run_id, job_id, row_number, identity, payload_hash, row_values, echo "  # noqa: S608
        f"FROM {TABLE} WHERE object = ? ORDER BY run_id, job_id, position",
        [object_name],
    ).fetchall()
    batches: dict[tuple[str, str], list[PlannedRow]] = {}
    for run_id, job_id, number, identity, digest, values, echo in found:
        item = PlannedRow(
            InputRow(number, orjson.loads(values)),
            identity=identity,
            digest=digest,
            payload=orjson.loads(echo),
        )
        batches.setdefault((run_id, job_id), []).append(item)
    return batches


def outcomes(
    client: ZendeskClient,
    batches: dict[tuple[str, str], list[PlannedRow]],
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, list[RowOutcome]]:
    """How each left-behind job's rows ended, by run id, once Zendesk has finished them.

    A job Zendesk no longer knows has no outcome: its rows are left to be sent again.
    """
    statuses = _finished(client, sorted({job for _, job in batches}), interval, sleep)
    ended: dict[str, list[RowOutcome]] = {}
    for (run_id, job_id), batch in batches.items():
        status = statuses.get(job_id)
        if status is None:
            log.warning("job %s of run %s is gone from Zendesk; its rows go again", job_id, run_id)
            continue
        if failed_as_a_whole(status):
            # Zendesk could not run it: its rows had no effect and go again.
            continue
        ended.setdefault(run_id, []).extend(reconcile(batch, status))
    return ended


def _finished(
    client: ZendeskClient, job_ids: list[str], interval: float, sleep: Callable[[float], None]
) -> dict[str, dict[str, Any]]:
    """Every job's final status, polling while some still run; gone jobs are left out."""
    done: dict[str, dict[str, Any]] = {}
    running = list(job_ids)
    while running:
        seen: dict[str, dict[str, Any]] = {}
        for start in range(0, len(running), SHOW_MANY_SIZE):
            ids = ",".join(running[start : start + SHOW_MANY_SIZE])
            body = client.get_json(SHOW_MANY_PATH, params={"ids": ids})
            seen.update({str(s.get("id")): s for s in body.get("job_statuses") or []})
        done.update({j: s for j, s in seen.items() if s.get("status") in FINISHED})
        running = [j for j in running if j in seen and j not in done]
        if running:
            sleep(interval)
    return done
