"""``zdsync demo``: the whole round against a sandbox, start to finish, in one command.

Starts a sandbox on a free port, runs the ``sync`` Prefect flow against it (extract, transform,
push the sample CRM file, write the HTML report), then gathers a short report from the database.
Prefect runs on its temporary local server, which stops with the process; the sandbox stops
when the demo ends.

The demo sits above the flows: it runs them, so no library module imports it. The ``zdsync``
program (``zdsync.__main__``) adds its command to the library's.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import duckdb
import typer
from rich.console import Console

from pipelines.zendesk import RESOURCE_NAMES, runtime
from zdsync.records import records
from zdsync.reporting import plain_table
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


# The columns of the last push the report shows, from reverse_etl.sync_runs.
PUSH_COLUMNS = ("rows", "created", "updated", "unchanged", "failed", "invalid", "post_requests")


def demo(
    db: Annotated[Path, typer.Option(help="Where the demo's DuckDB file goes.")] = DEMO_DB,
) -> None:
    """Sandbox, extract, transform, push a sample CRM file, then a short report."""
    if db.stem in ("zendesk", "reverse_etl"):
        raise typer.BadParameter(f"choose another name than {db.name}", param_hint="'--db'")
    started = time.monotonic()
    report = run_demo(db)
    print_demo(Console(), report, time.monotonic() - started)


@dataclass
class DemoReport:
    db: Path
    table_rows: dict[str, int]
    channels: list[tuple[Any, ...]]
    backlog: list[tuple[Any, ...]]
    gdpr: list[tuple[Any, ...]]
    push: dict[str, Any]
    invalid: list[tuple[Any, ...]]
    html: Path


def run_demo(db: Path = DEMO_DB) -> DemoReport:
    """Run the demo and return what to show."""
    runtime.prepare()
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
        # Here, not at the top: Prefect takes a second to import, which the other commands,
        # loaded with this one, should not pay.
        from flows.sync import sync

        result = sync(
            resources=list(RESOURCE_NAMES),
            db=db,
            crm_input=SAMPLE_CRM,
            mapping=SAMPLE_MAPPING,
        )
    return _report(db, Path(result["report"]))


def _fresh(db: Path) -> None:
    # Each demo gets a new sandbox, so positions saved by an earlier demo mean nothing.
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    shutil.rmtree(db.parent / f".{db.stem}.dlt", ignore_errors=True)


def _report(db: Path, html: Path) -> DemoReport:
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
            backlog=_backlog(con),
            gdpr=con.execute(
                "SELECT deletion_state, count(*) FROM analytics.gdpr_deletion_progress "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall(),
            push=_last_push(con),
            invalid=con.execute(
                "SELECT row_number, action, error FROM reverse_etl.user_sync_log "
                "WHERE action IN ('invalid', 'failed') ORDER BY row_number"
            ).fetchall(),
            html=html,
        )


def _backlog(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    # The transform skips the backlog until ticket field history has been extracted.
    built = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'analytics' AND table_name = 'ticket_backlog_daily'"
    ).fetchall()
    if not built[0][0]:
        return []
    return con.execute(
        "SELECT status, sum(open_tickets) FROM analytics.ticket_backlog_daily "
        "WHERE day = (SELECT max(day) FROM analytics.ticket_backlog_daily) "
        "GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()


def _last_push(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    (last,) = records(
        con,
        "SELECT rows, created, updated, unchanged, failed, invalid, post_requests, jobs, "
        "seconds FROM reverse_etl.sync_runs ORDER BY started_at DESC LIMIT 1",
    )
    return last


def print_demo(console: Console, report: DemoReport, seconds: float) -> None:
    """The demo's closing report."""
    show = console.print
    show(plain_table("Rows per table", ["table", "rows"], list(report.table_rows.items())))
    show(plain_table("Tickets by channel", ["channel", "tickets"], report.channels))
    show(plain_table("Open tickets on the last day", ["status", "open"], report.backlog))
    show(plain_table("GDPR deletions", ["state", "users"], report.gdpr))
    push = report.push
    headings = [*PUSH_COLUMNS[:-1], "bulk requests", "jobs"]
    values = tuple(push[k] for k in (*PUSH_COLUMNS, "jobs"))
    show(plain_table("CRM push (reverse ETL)", headings, [values]))
    show(plain_table("Rows refused, with reasons", ["row", "action", "reason"], report.invalid))
    show(f"Demo finished in {seconds:.0f}s. The data is in {report.db}; for example:")
    sql = "SELECT * FROM analytics.ticket_volume_by_channel LIMIT 10"
    snippet = f"import duckdb; duckdb.connect('{report.db}').sql('{sql}').show()"
    show(f'  .venv/bin/python -c "{snippet}"', soft_wrap=True)
    show(f"The report, charts of the models: {report.html}", soft_wrap=True)
