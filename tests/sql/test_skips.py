"""A transform over only the tables zdsync extracted before the activity streams: the models
that need the others are skipped with the reason, the rest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pipelines.zendesk.streams import derived_from
from tests.postgres import PostgresServer, create_database
from tests.sql.activity_rows import account
from tests.sql.raw_tables import write_duckdb, write_postgres
from tests.sql.test_models import Target

ZDSYNC = str(Path(sys.executable).parent / "zdsync")
WAITING = {
    "05_ticket_field_history_daily": "needs zendesk.ticket_field_history (not loaded yet)",
    "06_ticket_schedules": "needs zendesk.ticket_field_history (not loaded yet)",
    "16_ticket_metrics": "needs zendesk.ticket_comments, zendesk.ticket_field_history "
    "(not loaded yet); analytics.ticket_schedules (skipped)",
    "17_sla_breaches": "needs zendesk.ticket_metric_events (not loaded yet); "
    "analytics.ticket_schedules (skipped)",
}


# The backlog is approximated from the tickets instead.
APPROXIMATED = {"11_ticket_backlog_daily": "needs analytics.ticket_field_history_daily (skipped)"}
ACTIVITY = {
    "ticket_events",
    "ticket_metric_events",
    *(stream.name for stream in derived_from("ticket_events")),
}


def _extracted_before() -> dict[str, list[dict[str, object]]]:
    return {name: rows for name, rows in account().items() if name not in ACTIVITY}


def test_the_cli_says_which_models_wait_for_which_tables(tmp_path: Path) -> None:
    db = tmp_path / "sync.duckdb"
    write_duckdb(db, _extracted_before())

    done = subprocess.run(  # noqa: S603
        [ZDSYNC, "transform", "--db", str(db)],
        env={k: v for k, v in os.environ.items() if k != "ZDSYNC_DESTINATION"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    lines = {line.split()[0]: line.split(None, 1)[1] for line in done.stdout.splitlines()}
    assert {name: text for name, text in lines.items() if text.startswith("skipped")} == {
        name: f"skipped: {reason}" for name, reason in WAITING.items()
    }
    tables = Target(db).query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
    )
    assert {
        name: text.split("approximated: ", 1)[1]
        for name, text in lines.items()
        if "approximated" in text
    } == APPROXIMATED
    assert {"ticket_volume_by_channel", "ticket_backlog_daily"} <= {r["table_name"] for r in tables}
    assert not {r["table_name"] for r in tables} & {n.split("_", 1)[1] for n in WAITING}


def test_postgres_skips_the_same_models(tmp_path: Path, postgres: PostgresServer) -> None:
    url = create_database(postgres.url(), "skips")
    write_postgres(url, _extracted_before())

    runs = Target(tmp_path / "none.duckdb", url).run_models()

    assert {run.name: run.skipped for run in runs if run.skipped} == WAITING
    assert {run.name: run.fallback for run in runs if run.fallback} == APPROXIMATED
    assert Target(tmp_path / "none.duckdb", url).query(
        "SELECT sum(tickets) AS n FROM analytics.ticket_volume_by_channel"
    ) == [{"n": 9}]  # the ten tickets but the deleted one
