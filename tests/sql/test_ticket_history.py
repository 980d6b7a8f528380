"""Daily field history, the backlog built on it, SLA breaches and enriched tickets, by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from tests.sql.activity_rows import ADMIN, AGENT, GROUP, at
from tests.sql.test_models import CREDENTIALS, Target, _comparable
from tests.sql.test_ticket_metrics import rows_by

LAST_DAY = date(2026, 11, 7)  # ticket 104 closed, the newest change the data holds
NEW_MODELS = (
    "ticket_field_history_daily",
    "ticket_schedules",
    "schedule_business_hours",
    "ticket_metrics",
    "sla_breaches",
    "ticket_enriched",
    "ticket_backlog_daily",
)


def _history(target: Target, ticket: int) -> dict[date, tuple[object, ...]]:
    rows = target.query(
        "SELECT day, status, priority, assignee_id, group_id "  # noqa: S608
        f"FROM analytics.ticket_field_history_daily WHERE ticket_id = {ticket}"
    )
    return {r["day"]: (r["status"], r["priority"], r["assignee_id"], r["group_id"]) for r in rows}


def test_daily_history_holds_each_days_last_values_through_reopens(activity: Target) -> None:
    found = _history(activity, 107)

    assert min(found) == date(2026, 2, 2)
    assert max(found) == LAST_DAY
    assert len(found) == (LAST_DAY - date(2026, 2, 2)).days + 1
    assert {day: found[day] for day in sorted(found)[:9]} == {
        date(2026, 2, 2): ("open", "normal", AGENT, GROUP),  # new, then open at 12:00
        date(2026, 2, 3): ("hold", "normal", AGENT, GROUP),
        date(2026, 2, 4): ("hold", "normal", AGENT, GROUP),
        date(2026, 2, 5): ("solved", "normal", AGENT, GROUP),  # open at 09:00, solved at 18:00
        date(2026, 2, 6): ("solved", "normal", AGENT, GROUP),
        date(2026, 2, 7): ("open", "high", AGENT, GROUP),  # reopened
        date(2026, 2, 8): ("open", "high", None, GROUP),  # unassigned
        date(2026, 2, 9): ("pending", "high", None, GROUP),
        date(2026, 2, 10): ("pending", "high", None, GROUP),
    }
    assert found[LAST_DAY] == ("pending", "high", None, GROUP)


def test_daily_history_before_the_first_change_and_without_any(activity: Target) -> None:
    partial, untouched = _history(activity, 109), _history(activity, 108)

    # 109's history starts with pending replacing open; its priority never changed (none).
    assert [partial[date(2026, 3, d)] for d in (2, 3, 4)] == [
        ("open", None, None, None),
        ("open", None, None, None),
        ("pending", None, None, None),
    ]
    assert set(untouched.values()) == {("open", "low", None, None)}
    assert min(untouched) == date(2026, 1, 5)
    assert _history(activity, 110) == {}  # deleted


def _backlog(target: Target, day: date) -> dict[tuple[str, str], int]:
    rows = target.query(
        "SELECT status, priority, open_tickets FROM analytics.ticket_backlog_daily "  # noqa: S608
        f"WHERE day = DATE '{day}'"
    )
    return {(r["status"], r["priority"]): r["open_tickets"] for r in rows}


BACKLOG = {
    date(2026, 1, 4): {},
    date(2026, 1, 17): {("new", "normal"): 1, ("open", "low"): 1},  # 101, 108
    date(2026, 1, 19): {("pending", "normal"): 1, ("open", "low"): 1},
    date(2026, 1, 20): {("open", "low"): 1},  # 101 solved that day
    date(2026, 2, 3): {("hold", "normal"): 1, ("open", "low"): 1},  # 107 on hold
    date(2026, 2, 5): {("open", "low"): 1},  # 107 solved
    date(2026, 2, 7): {("open", "high"): 1, ("open", "low"): 1},  # 107 reopened
    date(2026, 3, 3): {("pending", "high"): 1, ("open", "low"): 1, ("open", "none"): 1},
    date(2026, 3, 6): {
        ("pending", "high"): 1,
        ("open", "low"): 1,
        ("pending", "none"): 1,
        ("new", "normal"): 1,
    },  # 103 created
    date(2026, 11, 3): {("pending", "high"): 1, ("open", "low"): 1, ("pending", "none"): 1},
}


def test_backlog_counts_each_ticket_as_the_day_ended(activity: Target) -> None:
    assert {day: _backlog(activity, day) for day in BACKLOG} == BACKLOG
    days = activity.query(
        "SELECT min(day) AS first, max(day) AS last FROM analytics.ticket_backlog_daily"
    )
    assert days == [{"first": date(2026, 1, 5), "last": LAST_DAY}]


def test_days_are_utc_whatever_the_machine_time_zone(
    activity_targets: dict[str, Target], tmp_path: Path
) -> None:
    for kind, target in activity_targets.items():
        copy = target.copy(tmp_path / f"{kind}.duckdb")
        far_ahead = {**os.environ, "TZ": "Pacific/Kiritimati", "PGTZ": "Pacific/Kiritimati"}
        if copy.postgres_url:
            far_ahead[CREDENTIALS] = copy.postgres_url
        script = (
            "import sys, pathlib, zdsync.transform as t; "
            "t.run_models(pathlib.Path(sys.argv[1]), destination=sys.argv[2] or None)"
        )
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", script, str(copy.db), copy.destination or ""],
            env=far_ahead,
            check=True,
            timeout=300,
        )
        assert {day: _backlog(copy, day) for day in BACKLOG} == BACKLOG, kind
        metrics = copy.query("SELECT * FROM analytics.ticket_metrics")
        assert _comparable(metrics) == _comparable(
            target.query("SELECT * FROM analytics.ticket_metrics")
        )


def test_sla_breaches_per_metric_and_instance(activity: Target) -> None:
    found = rows_by(activity, "sla_breaches", "ticket_id", "metric", "instance_id")
    summary = {
        key: (
            r["target_minutes"],
            r["business_hours"],
            r["breached"],
            r["breached_at"],
            r["fulfilled_at"],
            r["elapsed_minutes_calendar"],
            r["elapsed_minutes_business"],
        )
        for key, r in found.items()
    }

    assert summary == {
        # Fri 15:00 EST to the reply Mon 10:30: 60 business minutes passed at Fri 16:00.
        (101, "reply_time", 1): (
            60,
            True,
            True,
            at("2026-01-16 21:00"),
            at("2026-01-19 15:30"),
            2 * 24 * 60 + 19 * 60 + 30,
            2 * 60 + 90,
        ),
        # Paused while pending (Mon 10:30 to Tue 09:00): Fri 2h + Mon 1.5h + Tue 2h of business.
        (101, "requester_wait_time", 1): (
            480,
            True,
            False,
            None,
            at("2026-01-20 16:00"),
            (2 * 24 + 19) * 60 + 30 + 120,
            210 + 120,
        ),
        (105, "reply_time", 1): (4320, False, False, None, at("2026-05-18 01:00"), 65 * 60, None),
        # The policy applied last (60, not 30); never fulfilled.
        (109, "reply_time", 1): (60, False, True, at("2026-03-02 10:00"), None, None, None),
        # The next reply's breach is still ahead.
        (109, "reply_time", 2): (60, False, False, None, None, None, None),
    }
    assert {r["policy_title"] for r in found.values()} == {"Standard"}


def test_enriched_tickets_name_what_they_point_at(activity: Target) -> None:
    found = rows_by(activity, "ticket_enriched", "ticket_id")
    row = found[101]

    assert (row["requester_name"], row["assignee_name"], row["organization_name"]) == (
        "Rita Requester",
        "Alex Agent",
        "Acme",
    )
    assert (row["group_name"], row["brand_name"], row["ticket_form_name"]) == (
        "Support",
        "Acme Brand",
        "Default form",
    )
    assert list(row["tags"]) == ["billing", "vip"]
    assert json.loads(row["custom_fields"]) == {"Product": "widget", "Serial": None}
    assert found[104]["group_name"] == "Billing"
    assert found[105]["requester_name"] == "Alex Agent"
    assert 110 not in found
    assert ADMIN not in {r["assignee_id"] for r in found.values()}


def test_the_new_models_agree_row_for_row(activity_targets: dict[str, Target]) -> None:
    duck, pg = activity_targets["duckdb"], activity_targets["postgres"]
    for name in NEW_MODELS:
        sql = f"SELECT * FROM analytics.{name}"  # noqa: S608
        expected = _comparable(duck.query(sql))
        assert expected, name
        assert _comparable(pg.query(sql)) == expected, name


def test_every_day_of_the_history_is_there(activity: Target) -> None:
    rows = activity.query(
        "SELECT ticket_id, count(*) AS days, min(day) AS first "
        "FROM analytics.ticket_field_history_daily GROUP BY 1"
    )
    for r in rows:
        assert r["days"] == (LAST_DAY - r["first"]).days + 1
        assert r["first"] + timedelta(days=r["days"] - 1) == LAST_DAY
    assert {r["ticket_id"] for r in rows} == set(range(101, 110))
