"""The SQL models against known answers computed from the sandbox's seeded data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
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

README = Path(__file__).resolve().parents[2] / "README.md"


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
    """The UTC day of a Zendesk timestamp."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def _week(value: str) -> date:
    day = _day(value)
    return day - timedelta(days=day.weekday())


def _expected_backlog(truth: dict[str, Any]) -> dict[tuple[date, str, str], int]:
    """Open tickets per UTC day, status and priority, by the README's definition of open.

    A ticket is open on a day from the day it was created on. One now solved or closed is no
    longer open on the day of its last update (the solve), nor after; any other stays open
    through the last day the data covers, the day of the newest update. Each (ticket, day) is
    judged on its own, and deleted tickets are not counted.
    """
    last_day = max(_day(t["updated_at"]) for t in truth["tickets"].values())
    tickets = [
        (
            _day(t["created_at"]),
            _day(t["updated_at"]) if t["status"] in ("solved", "closed") else None,
            t["status"],
            t["priority"] or "none",
        )
        for t in truth["tickets"].values()
        if t["status"] != "deleted"
    ]
    counts: Counter[tuple[date, str, str]] = Counter()
    day = min(created for created, *_ in tickets)
    while day <= last_day:
        for created, solved, status, priority in tickets:
            is_open = created <= day and (day < solved if solved else True)
            if is_open:
                counts[(day, status, priority)] += 1
        day += timedelta(days=1)
    return dict(counts)


def _solve_days(truth: dict[str, Any]) -> set[date]:
    """Days on which a ticket open the day before was solved or closed."""
    return {
        _day(t["updated_at"])
        for t in truth["tickets"].values()
        if t["status"] in ("solved", "closed") and _day(t["created_at"]) < _day(t["updated_at"])
    }


def _backlog(db: Path) -> dict[tuple[date, str, str], int]:
    rows = query(
        db, "SELECT day, status, priority, open_tickets FROM analytics.ticket_backlog_daily"
    )
    return {(r["day"], r["status"], r["priority"]): r["open_tickets"] for r in rows}


def test_backlog_counts_a_ticket_open_until_the_day_it_is_solved(warehouse: Any) -> None:
    db, truth, _ = warehouse
    expected = _expected_backlog(truth)
    solve_days = _solve_days(truth)

    backlog = _backlog(db)

    on_solve_days = {key: n for key, n in backlog.items() if key[0] in solve_days}
    assert on_solve_days == {key: n for key, n in expected.items() if key[0] in solve_days}
    assert backlog == expected
    assert len(solve_days) > 100


def _volume(db: Path, time_zone: str) -> dict[tuple[date, str], int]:
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"SET TimeZone = '{time_zone}'")
        rows = records(con, "SELECT week, channel, tickets FROM analytics.ticket_volume_by_channel")
    return {(r["week"], r["channel"]): r["tickets"] for r in rows}


def _expected_volume(truth: dict[str, Any]) -> dict[tuple[date, str], int]:
    """Live tickets per UTC week (from Monday) and channel."""
    return dict(
        Counter(
            (_week(t["created_at"]), t["via"]["channel"])
            for t in truth["tickets"].values()
            if t["status"] != "deleted"
        )
    )


def test_volume_by_channel_counts_every_live_ticket_in_its_week(warehouse: Any) -> None:
    db, truth, _ = warehouse

    assert _volume(db, "UTC") == _expected_volume(truth)


def test_days_and_weeks_are_utc_whatever_the_machine_time_zone(
    warehouse: Any, tmp_path: Path
) -> None:
    db, truth, _ = warehouse
    copy = tmp_path / "copy.duckdb"
    shutil.copy(db, copy)
    # Fourteen hours ahead of UTC: most tickets fall on another local day.
    far_ahead = {**os.environ, "TZ": "Pacific/Kiritimati"}
    script = "import sys, pathlib, zdsync.transform as t; t.run_models(pathlib.Path(sys.argv[1]))"

    subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(copy)], env=far_ahead, check=True, timeout=300
    )

    assert _backlog(copy) == _expected_backlog(truth)
    assert _volume(copy, "Pacific/Kiritimati") == _expected_volume(truth)


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


def _readme_models() -> set[str]:
    """The models the README's table lists."""
    section = README.read_text().split("## SQL models", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {name for cell in rows for name in re.findall(r"`(\w+)`", cell)}


def test_the_analytics_schema_holds_the_readmes_models_each_with_rows(warehouse: Any) -> None:
    db, _, _ = warehouse
    found = query(
        db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'analytics'"
    )
    names = {r["table_name"] for r in found}

    assert names == _readme_models()
    counts = {
        name: query(db, f"SELECT count(*) AS n FROM analytics.{name}")[0]["n"]  # noqa: S608
        for name in sorted(names)
    }
    assert [name for name, n in counts.items() if n == 0] == []
