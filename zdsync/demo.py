"""``zdsync demo``: the whole round against a sandbox, start to finish, in one command.

Starts a sandbox on a free port, runs the ``sync`` Prefect flow against it (extract, transform,
push the sample CRM file), then gathers a short report from the database. Prefect runs on its
temporary local server, which stops with the process; the sandbox stops when the demo ends.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from zdsync.records import records
from zdsync.sandbox import Sandbox, SandboxConfig

DATA = Path("data")
DEMO_DB = DATA / "demo.duckdb"
SAMPLE_CRM = DATA / "crm_users_sample.csv"
SAMPLE_MAPPING = DATA / "crm_mapping.toml"
# Rate limits stay on, with Zendesk's one-minute windows lasting two seconds.
TIME_SCALE = 30
DEMO_SANDBOX = SandboxConfig(
    tickets=5000,
    users=1500,
    organizations=100,
    deleted_users=60,
    time_scale=TIME_SCALE,
    job_latency_seconds=1.0,
)


@dataclass
class DemoReport:
    db: Path
    table_rows: dict[str, int]
    channels: list[tuple[Any, ...]]
    backlog: list[tuple[Any, ...]]
    gdpr: list[tuple[Any, ...]]
    push: dict[str, Any]
    invalid: list[tuple[Any, ...]]


def run_demo(db: Path = DEMO_DB) -> DemoReport:
    """Run the demo and return what to show."""
    _fresh(db)
    with Sandbox(DEMO_SANDBOX).start() as sandbox:
        # Exports withhold the last minute; step past it so the whole dataset is visible.
        sandbox.store.advance_clock(120)
        os.environ.update(
            ZENDESK_BASE_URL=sandbox.base_url,
            ZENDESK_EMAIL=sandbox.admin_email,
            ZENDESK_API_TOKEN=sandbox.api_token,
            ZENDESK_RATE_WINDOW_SECONDS=str(60 / TIME_SCALE),
        )
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        from flows.sync import sync

        sync(
            resources=[
                "users",
                "tickets",
                "organizations",
                "deleted_users",
                "compliance_deletion_statuses",
            ],
            db=db,
            crm_input=SAMPLE_CRM,
            mapping=SAMPLE_MAPPING,
        )
    return _report(db)


def _fresh(db: Path) -> None:
    # Each demo gets a new sandbox, so positions saved by an earlier demo mean nothing.
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    shutil.rmtree(db.parent / f".{db.stem}.dlt", ignore_errors=True)


def _report(db: Path) -> DemoReport:
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('zendesk', 'reverse_etl') AND table_name NOT LIKE '\\_dlt%' "
            "ESCAPE '\\' AND table_type = 'BASE TABLE' ORDER BY 1"
        ).fetchall()
        counts = {
            name: con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]  # noqa: S608
            for (name,) in tables
        }
        return DemoReport(
            db=db.resolve(),
            table_rows=counts,
            channels=con.execute(
                "SELECT channel, sum(tickets) AS tickets FROM analytics.ticket_volume_by_channel "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            backlog=con.execute(
                "SELECT status, sum(open_tickets) FROM analytics.ticket_backlog_daily "
                "WHERE day = (SELECT max(day) FROM analytics.ticket_backlog_daily) "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            gdpr=con.execute(
                "SELECT deletion_state, count(*) FROM analytics.gdpr_deletion_progress "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            push=_last_push(con),
            invalid=con.execute(
                "SELECT row_number, action, error FROM reverse_etl.user_sync_log "
                "WHERE action IN ('invalid', 'failed') ORDER BY row_number"
            ).fetchall(),
        )


def _last_push(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    (last,) = records(
        con,
        "SELECT rows, created, updated, unchanged, failed, invalid, post_requests, jobs, "
        "seconds FROM reverse_etl.sync_runs ORDER BY started_at DESC LIMIT 1",
    )
    return last
