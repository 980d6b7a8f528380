"""The sync's memory in DuckDB (schema ``reverse_etl``): state per identity, log, run summaries.

``user_sync_state``: per identity, the digest of the payload last pushed and how that ended.
``user_sync_log``: one row per input row per run. ``sync_runs``: one summary row per run, with
the requests it made (see ``RunTotals``). Each finished job is written in one transaction with
the state it changes, so a killed run leaves only whole jobs behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from zdsync.reverse_etl.plan import PlannedRow, Previous
from zdsync.reverse_etl.reconcile import RowOutcome

SCHEMA = "reverse_etl"
DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.user_sync_state (
    identity VARCHAR PRIMARY KEY,
    payload_hash VARCHAR NOT NULL,
    zendesk_user_id BIGINT,
    last_action VARCHAR NOT NULL,
    last_run_id VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.user_sync_log (
    run_id VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
    external_id VARCHAR,
    email VARCHAR,
    action VARCHAR NOT NULL,
    zendesk_user_id BIGINT,
    job_id VARCHAR,
    error VARCHAR,
    synced_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.sync_runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    mode VARCHAR NOT NULL,
    source VARCHAR NOT NULL,
    rows INTEGER,
    created INTEGER,
    updated INTEGER,
    unchanged INTEGER,
    failed INTEGER,
    invalid INTEGER,
    requests INTEGER,
    post_requests INTEGER,
    jobs INTEGER,
    too_many_jobs INTEGER,
    rate_limited INTEGER,
    seconds DOUBLE
);
ALTER TABLE {SCHEMA}.sync_runs ADD COLUMN IF NOT EXISTS server_errors INTEGER;
ALTER TABLE {SCHEMA}.sync_runs ADD COLUMN IF NOT EXISTS failed_jobs INTEGER;
"""


@dataclass
class RunTotals:
    """One run's outcome: rows by action, then what it asked of Zendesk.

    ``requests`` counts every request sent, retries included; ``post_requests`` those to the
    write endpoint (bulk, or single with ``--single``), whatever the answer; ``jobs`` the jobs
    Zendesk queued, resubmissions included; ``failed_jobs`` those that failed as a whole;
    ``too_many_jobs`` the answers refusing a job at the cap; ``rate_limited`` the other 429s;
    ``server_errors`` the 5xx answers. ``seconds`` runs from reading the input to the last write.
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    invalid: int = 0
    requests: int = 0
    post_requests: int = 0
    jobs: int = 0
    too_many_jobs: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    failed_jobs: int = 0
    seconds: float = 0.0


def previous_state(db: Path) -> dict[str, Previous]:
    """The last push of every identity; empty when nothing was pushed yet."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = 'user_sync_state'",
            [SCHEMA],
        ).fetchall()
        if not found[0][0]:
            return {}
        rows = con.execute(_SELECT_STATE).fetchall()
    return {identity: Previous(digest, action, user) for identity, digest, action, user in rows}


class Ledger:
    """An open ledger for one run."""

    def __init__(self, db: Path, run_id: str, mode: str, source: str, started_at: datetime) -> None:
        db.parent.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id
        self.started_at = started_at
        self._con = duckdb.connect(str(db))
        self._con.execute(DDL)
        self._con.execute(
            f"INSERT INTO {SCHEMA}.sync_runs (run_id, started_at, mode, source) "  # noqa: S608
            "VALUES (?, ?, ?, ?)",
            [run_id, started_at, mode, source],
        )

    def close(self) -> None:
        self._con.close()

    def log_unsent(self, items: Iterable[PlannedRow]) -> None:
        """Invalid and unchanged rows: decided without Zendesk."""
        now = _now()
        rows = [
            _log_row(
                self.run_id, item, item.decision, item.existing_user_id, None, item.reason, now
            )
            for item in items
        ]
        if rows:
            self._insert(_LOG_COLUMNS, rows, _INSERT_LOG)

    def record(self, outcomes: list[RowOutcome]) -> None:
        """Finished rows: their log rows and the state they change, in one transaction."""
        now = _now()
        log_rows = [
            _log_row(self.run_id, o.item, o.action, o.zendesk_user_id, o.job_id, o.error, now)
            for o in outcomes
        ]
        state_rows = [
            [o.item.identity, o.item.digest, o.zendesk_user_id, o.action, self.run_id, now]
            for o in outcomes
            if o.item.identity and o.item.digest
        ]
        self._con.execute("BEGIN TRANSACTION")
        try:
            self._insert(_LOG_COLUMNS, log_rows, _INSERT_LOG)
            if state_rows:
                self._insert(_STATE_COLUMNS, state_rows, _UPSERT_STATE)
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def _insert(
        self, columns: tuple[str, ...], rows: Sequence[Sequence[Any]], statement: str
    ) -> None:
        # One statement over an Arrow table: executemany costs a round trip per row. Imported
        # here so that commands which never push (a scheduled extract) do not hold Arrow.
        import pyarrow as pa

        batch = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
        self._con.register("incoming", batch)
        try:
            self._con.execute(statement)
        finally:
            self._con.unregister("incoming")

    def finish(self, totals: RunTotals) -> None:
        """Write the run's summary; it finished ``totals.seconds`` after it started."""
        values = asdict(totals)
        assignments = ", ".join(f"{name} = ?" for name in values)
        finished_at = self.started_at + timedelta(seconds=totals.seconds)
        self._con.execute(
            f"UPDATE {SCHEMA}.sync_runs SET finished_at = ?, {assignments} "  # noqa: S608
            "WHERE run_id = ?",
            [finished_at, *values.values(), self.run_id],
        )


_SELECT_STATE = (
    "SELECT identity, payload_hash, last_action, zendesk_user_id "  # noqa: S608
    f"FROM {SCHEMA}.user_sync_state"
)
_LOG_COLUMNS = (
    "run_id",
    "row_number",
    "external_id",
    "email",
    "action",
    "zendesk_user_id",
    "job_id",
    "error",
    "synced_at",
)
_STATE_COLUMNS = (
    "identity",
    "payload_hash",
    "zendesk_user_id",
    "last_action",
    "last_run_id",
    "updated_at",
)
_INSERT_LOG = f"INSERT INTO {SCHEMA}.user_sync_log BY NAME SELECT * FROM incoming"  # noqa: S608
_UPSERT_STATE = f"INSERT OR REPLACE INTO {SCHEMA}.user_sync_state BY NAME SELECT * FROM incoming"  # noqa: S608


def _log_row(
    run_id: str,
    item: PlannedRow,
    action: str,
    user_id: int | None,
    job_id: str | None,
    error: str | None,
    now: datetime,
) -> list[object]:
    values = item.row.values
    return [
        run_id,
        item.row.row_number,
        values.get("external_id"),
        values.get("email"),
        action,
        user_id,
        job_id,
        error,
        now,
    ]


def _now() -> datetime:
    return datetime.now(UTC)
