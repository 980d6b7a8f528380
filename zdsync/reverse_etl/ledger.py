"""The sync's memory in DuckDB (schema ``reverse_etl``): state per identity, log, run summaries.

Per object (``objects.OBJECTS``): ``<noun>_sync_state``, per identity, the digest of the
payload last pushed and how that ended; ``<noun>_sync_log``, one row per input row per run.
``sync_runs``: one summary row per run, its ``object`` among them (null for runs before objects
were named: users), with the requests it made (see ``RunTotals``). Each finished job is
written in one transaction with the state it changes, so a killed run leaves only whole jobs
behind; ``queued_jobs`` (``zdsync.reverse_etl.queued_jobs``) holds the jobs queued and not yet
written, so the next run can write them down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from zdsync.reverse_etl import queued_jobs
from zdsync.reverse_etl.objects import OBJECTS, SyncObject
from zdsync.reverse_etl.plan import PlannedRow, Previous
from zdsync.reverse_etl.reconcile import RowOutcome

SCHEMA = "reverse_etl"


def _object_ddl(obj: SyncObject) -> str:
    keys = "".join(f"    {column} VARCHAR,\n" for column, _ in obj.log_keys)
    return f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.{obj.state_table} (
    identity VARCHAR PRIMARY KEY,
    payload_hash VARCHAR NOT NULL,
    {obj.id_column} BIGINT,
    last_action VARCHAR NOT NULL,
    last_run_id VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.{obj.log_table} (
    run_id VARCHAR NOT NULL,
    row_number INTEGER NOT NULL,
{keys}    action VARCHAR NOT NULL,
    {obj.id_column} BIGINT,
    job_id VARCHAR,
    error VARCHAR,
    synced_at TIMESTAMPTZ NOT NULL
);"""


DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
{"".join(_object_ddl(obj) for obj in OBJECTS.values())}
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
ALTER TABLE {SCHEMA}.sync_runs ADD COLUMN IF NOT EXISTS object VARCHAR;
ALTER TABLE {SCHEMA}.sync_runs ADD COLUMN IF NOT EXISTS deleted INTEGER;
{queued_jobs.DDL}
"""
# Every table the ledger keeps, for copying it elsewhere.
TABLES = (*(t for o in OBJECTS.values() for t in (o.state_table, o.log_table)), "sync_runs")


@dataclass
class RunTotals:
    """One run's outcome: rows by action, then what it asked of Zendesk.

    ``requests`` counts every request sent, retries included; ``post_requests`` those to the
    write endpoint (bulk, or single with ``--single``), whatever the answer; ``jobs`` the jobs
    Zendesk queued, resubmissions included; ``failed_jobs`` those that failed as a whole;
    ``too_many_jobs`` the answers refusing a job at the cap; ``rate_limited`` the other 429s;
    ``server_errors`` the 5xx answers; ``deleted`` the records a ``--mirror`` run deleted.
    ``seconds`` runs from reading the input to the last write.
    """

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    invalid: int = 0
    deleted: int = 0
    requests: int = 0
    post_requests: int = 0
    jobs: int = 0
    too_many_jobs: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    failed_jobs: int = 0
    seconds: float = 0.0


def previous_state(db: Path, obj: SyncObject = OBJECTS["users"]) -> dict[str, Previous]:
    """The last push of every identity of ``obj``; empty when nothing was pushed yet."""
    if not db.exists():
        return {}
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = ? AND table_name = ?",
            [SCHEMA, obj.state_table],
        ).fetchall()
        if not found[0][0]:
            return {}
        return _previous_in(con, obj)


def _previous_in(con: duckdb.DuckDBPyConnection, obj: SyncObject) -> dict[str, Previous]:
    rows = con.execute(
        f"SELECT identity, payload_hash, last_action, {obj.id_column} "  # noqa: S608
        f"FROM {SCHEMA}.{obj.state_table}"
    ).fetchall()
    return {identity: Previous(digest, action, found) for identity, digest, action, found in rows}


class Ledger:
    """An open ledger for one run."""

    def __init__(
        self,
        db: Path,
        run_id: str,
        mode: str,
        source: str,
        started_at: datetime,
        obj: SyncObject = OBJECTS["users"],
    ) -> None:
        self._open(db, run_id, obj)
        self.started_at = started_at
        self._con.execute(
            f"INSERT INTO {SCHEMA}.sync_runs "  # noqa: S608
            "(run_id, started_at, mode, source, object) VALUES (?, ?, ?, ?, ?)",
            [run_id, started_at, mode, source, obj.name],
        )

    def _open(self, db: Path, run_id: str, obj: SyncObject) -> None:
        db.parent.mkdir(parents=True, exist_ok=True)
        self.obj = obj
        self.run_id = run_id
        self._con = duckdb.connect(str(db))
        # One transaction: each statement on its own would commit, and sync, by itself.
        self._con.execute(f"BEGIN TRANSACTION; {DDL} COMMIT;")
        # The sender's thread writes the jobs it queued on a connection of its own.
        self._queued = self._con.cursor()

    @classmethod
    def resumed(cls, db: Path, run_id: str, obj: SyncObject) -> Ledger:
        """The ledger of an earlier run, to write down what it left behind."""
        ledger = cls.__new__(cls)
        ledger._open(db, run_id, obj)
        return ledger

    def previous(self) -> dict[str, Previous]:
        """The last push of every identity of this object (``previous_state``), read on the
        ledger's own connection: a second one would cost as much as the ledger's opening."""
        return _previous_in(self._con, self.obj)

    def close(self) -> None:
        self._queued.close()
        self._con.close()

    def left_behind(self) -> dict[tuple[str, str], list[PlannedRow]]:
        """Jobs earlier runs of this object queued and never wrote down (``queued_jobs``)."""
        return queued_jobs.left_behind(self._con, self.obj.name)

    def forget(self, job_ids: list[str]) -> None:
        """Jobs whose rows are written down, or that Zendesk no longer knows."""
        self._con.execute(
            f"DELETE FROM {queued_jobs.TABLE} "  # noqa: S608
            "WHERE object = ? AND list_contains(?, job_id)",
            [self.obj.name, job_ids],
        )

    def queued(self, jobs: list[tuple[str, list[PlannedRow]]]) -> None:
        """Jobs Zendesk has just queued, with their rows, until their results are written."""
        keys = tuple(source for _, source in self.obj.log_keys)
        rows = queued_jobs.rows_of(self.obj.name, self.run_id, jobs, keys)
        self._insert(queued_jobs.COLUMNS, rows, f"INSERT INTO {queued_jobs.TABLE}", self._queued)

    def log_unsent(self, items: Iterable[PlannedRow]) -> None:
        """Invalid and unchanged rows: decided without Zendesk."""
        now = _now()
        rows = [
            self._log_row(item, item.decision, item.zendesk_id, None, item.reason, now)
            for item in items
        ]
        if rows:
            self._insert(self._log_columns(), rows, self._log_target())

    def record(self, outcomes: list[RowOutcome], jobs: Iterable[str] = ()) -> None:
        """Finished rows: their log rows and the state they change, in one transaction, which
        also forgets the queued ``jobs`` (and those the outcomes name) they went through."""
        now = _now()
        log_rows = [
            self._log_row(o.item, o.action, o.zendesk_id, o.job_id, o.error, now) for o in outcomes
        ]
        state_rows = [
            [o.item.identity, o.item.digest, o.zendesk_id, o.action, self.run_id, now]
            for o in outcomes
            if o.item.identity and o.item.digest
        ]
        self._con.execute("BEGIN TRANSACTION")
        try:
            self._insert(self._log_columns(), log_rows, self._log_target())
            written = sorted({*jobs, *(o.job_id for o in outcomes if o.job_id)})
            if written:
                self.forget(written)
            if state_rows:
                columns = ("identity", "payload_hash", self.obj.id_column, *_STATE_TAIL)
                upsert = f"INSERT OR REPLACE INTO {SCHEMA}.{self.obj.state_table}"
                self._insert(columns, state_rows, upsert)
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise

    def _insert(
        self,
        columns: tuple[str, ...],
        rows: Sequence[Sequence[Any]],
        target: str,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        # One statement, each column one list parameter unnested beside the others:
        # executemany costs a round trip per row, and Arrow an import that outlasts a job.
        selected = ", ".join(f"unnest(?) AS {name}" for name in columns)
        (con or self._con).execute(
            f"{target} BY NAME SELECT {selected}",
            [[row[i] for row in rows] for i in range(len(columns))],
        )

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

    def _log_columns(self) -> tuple[str, ...]:
        keys = tuple(column for column, _ in self.obj.log_keys)
        return ("run_id", "row_number", *keys, "action", self.obj.id_column, *_LOG_TAIL)

    def _log_target(self) -> str:
        return f"INSERT INTO {SCHEMA}.{self.obj.log_table}"

    def _log_row(
        self,
        item: PlannedRow,
        action: str,
        zendesk_id: int | None,
        job_id: str | None,
        error: str | None,
        now: datetime,
    ) -> list[object]:
        keys = [item.row.values.get(source) for _, source in self.obj.log_keys]
        return [self.run_id, item.row.row_number, *keys, action, zendesk_id, job_id, error, now]


_LOG_TAIL = ("job_id", "error", "synced_at")
_STATE_TAIL = ("last_action", "last_run_id", "updated_at")


def _now() -> datetime:
    return datetime.now(UTC)
