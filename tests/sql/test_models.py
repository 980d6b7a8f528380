"""The SQL models against known answers computed from the sandbox's seeded data."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.pipelines.conftest import extract
from tests.reverse_etl.conftest import crm_rows, push, write_csv
from zdsync.errors import TransformError
from zdsync.records import records
from zdsync.reverse_etl.push import PushSummary
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.transform import run_models


@pytest.fixture(scope="module")
def warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, dict[str, Any], list[PushSummary]]]:
    tmp = tmp_path_factory.mktemp("models")
    config = SandboxConfig(
        rate_limits="off",
        tickets=1500,
        users=600,
        organizations=40,
        deleted_users=30,
        job_latency_seconds=0.05,
    )
    with Sandbox(config).start() as sandbox:
        sandbox.store.advance_clock(120)
        db = tmp / "sync.duckdb"
        extract(sandbox, db)
        truth = sandbox.store.snapshot()
        one, other = [
            u
            for u in sandbox.store.users.records.values()
            if u["active"] and u["external_id"] and u["role"] == "end-user"
        ][:2]
        clash = {"external_id": one["external_id"], "email": other["email"], "name": "Clash"}
        source = write_csv(tmp / "crm.csv", [*crm_rows(20), clash, {"email": "bad@", "name": "B"}])
        pushes = [push(sandbox, tmp, input=source, db=db) for _ in range(2)]
        run_models(db)
        yield db, truth, pushes


def query(db: Path, sql: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return records(con, sql)


def test_staging_has_every_ticket_and_no_dlt_columns(warehouse: Any) -> None:
    db, truth, _ = warehouse
    rows = query(db, "SELECT * FROM analytics.stg_tickets")
    assert len(rows) == len(truth["tickets"])
    assert not [c for c in rows[0] if c.startswith("_dlt")]


def test_custom_fields_are_named(warehouse: Any) -> None:
    db, truth, _ = warehouse
    ticket = next(t for t in truth["tickets"].values() if t["custom_fields"][0]["value"])
    rows = query(
        db,
        f"SELECT field_title, value FROM analytics.stg_ticket_custom_fields "  # noqa: S608
        f"WHERE ticket_id = {ticket['id']} ORDER BY field_id",
    )
    assert rows[0] == {"field_title": "Product", "value": ticket["custom_fields"][0]["value"]}
    assert len(rows) == len(ticket["custom_fields"])


def test_users_current_is_active_users_without_personal_data(warehouse: Any) -> None:
    db, truth, _ = warehouse
    rows = query(db, "SELECT * FROM analytics.users_current")
    expected = {u["id"] for u in truth["users"].values() if u["active"] and not u["suspended"]}
    assert {r["user_id"] for r in rows} == expected
    assert not {"name", "email", "phone", "notes", "details", "alias"} & set(rows[0])


def _day(value: str) -> date:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def test_backlog_counts_open_tickets_per_day(warehouse: Any) -> None:
    db, truth, _ = warehouse
    tickets = [t for t in truth["tickets"].values() if t["status"] != "deleted"]
    today = max(_day(t["updated_at"]) for t in tickets)
    day = min(_day(t["created_at"]) for t in tickets) + timedelta(days=20)
    expected: Counter[tuple[str, str]] = Counter()
    for t in tickets:
        closed = t["status"] in ("solved", "closed")
        last = _day(t["updated_at"]) - timedelta(days=1) if closed else today
        if _day(t["created_at"]) <= day <= last:
            expected[(t["status"], t["priority"] or "none")] += 1

    rows = query(
        db,
        f"SELECT status, priority, open_tickets FROM analytics.ticket_backlog_daily "  # noqa: S608
        f"WHERE day = DATE '{day.isoformat()}'",
    )

    assert {(r["status"], r["priority"]): r["open_tickets"] for r in rows} == dict(expected)
    assert sum(expected.values()) > 0


def test_volume_by_channel_counts_every_live_ticket(warehouse: Any) -> None:
    db, truth, _ = warehouse
    expected = Counter(
        t["via"]["channel"] for t in truth["tickets"].values() if t["status"] != "deleted"
    )
    rows = query(
        db, "SELECT channel, sum(tickets) AS n FROM analytics.ticket_volume_by_channel GROUP BY 1"
    )
    assert {r["channel"]: r["n"] for r in rows} == dict(expected)


def test_gdpr_progress_follows_the_compliance_statuses(warehouse: Any) -> None:
    db, truth, _ = warehouse
    expected = {}
    for user_id in truth["deleted_users"]:
        statuses = truth["compliance_deletion_statuses"].get(user_id, [])
        started = {s["application"] for s in statuses if s["action"] == "started"}
        done = {s["application"] for s in statuses if s["action"] == "complete"}
        expected[user_id] = (
            "not requested" if not statuses else "complete" if started <= done else "in progress"
        )
    rows = query(db, "SELECT user_id, deletion_state FROM analytics.gdpr_deletion_progress")
    assert {r["user_id"]: r["deletion_state"] for r in rows} == expected
    assert "complete" in expected.values()
    assert "in progress" in expected.values()


def test_sync_health_counts_each_run_and_finds_repeated_failures(warehouse: Any) -> None:
    db, _, pushes = warehouse
    rows = query(db, "SELECT * FROM analytics.user_sync_health")
    assert [(r["created"], r["unchanged"], r["failed"], r["invalid"]) for r in rows] == [
        (p.totals.created, p.totals.unchanged, p.totals.failed, p.totals.invalid) for p in pushes
    ]
    assert rows[0]["created"] == 20
    failing = query(db, "SELECT * FROM analytics.user_sync_failing_rows")
    # The row Zendesk refuses (its external id and email name two users) and the bad email.
    assert sorted(r["consecutive_failures"] for r in failing) == [2, 2]
    assert "bad@" in {r["identity"] for r in failing}


def test_models_are_idempotent(warehouse: Any) -> None:
    db, _, _ = warehouse
    before = query(db, "SELECT count(*) AS n FROM analytics.ticket_backlog_daily")
    run_models(db)
    assert query(db, "SELECT count(*) AS n FROM analytics.ticket_backlog_daily") == before


def test_a_database_without_an_extract_is_one_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    with pytest.raises(TransformError, match="run zdsync extract first"):
        run_models(db)


def test_every_view_can_be_read(warehouse: Any) -> None:
    db, _, _ = warehouse
    names = [
        r["table_name"]
        for r in query(
            db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
        )
    ]
    assert len(names) == 10
    for name in names:
        query(db, f"SELECT * FROM analytics.{name} LIMIT 1")  # noqa: S608
    json.dumps(names)
