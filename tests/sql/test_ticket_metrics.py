"""Ticket metrics, schedules and business hours on the hand-written account, both warehouses.

Each expected figure is worked out by hand from ``activity_rows``: local times in the comments,
New York business hours 09:00 to 17:00 and Tokyo's 09:00 to 18:00, Monday to Friday.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.sql.activity_rows import at
from tests.sql.test_models import Target

MEASURES = (
    "reply_time",
    "first_resolution_time",
    "full_resolution_time",
    "requester_wait_time",
    "agent_wait_time",
    "on_hold_time",
    "agent_work_time",
)


def rows_by(target: Target, model: str, *key: str) -> dict[Any, dict[str, Any]]:
    """A model's rows keyed by ``key``'s values (one column: its value, else a tuple)."""
    found = target.query(f"SELECT * FROM analytics.{model}")  # noqa: S608
    return {(row[key[0]] if len(key) == 1 else tuple(row[k] for k in key)): row for row in found}


def minutes(row: dict[str, Any]) -> dict[str, tuple[int | None, int | None]]:
    """Each measure of a ticket_metrics row as (calendar, business) minutes."""
    return {m: (row[f"{m}_in_minutes_calendar"], row[f"{m}_in_minutes_business"]) for m in MEASURES}


def test_a_ticket_over_a_weekend(activity: Target) -> None:
    row = rows_by(activity, "ticket_metrics", "ticket_id")[101]
    found = minutes(row)

    new = (2 * 24 * 60 + 19 * 60 + 30, 2 * 60 + 90)  # Fri 15:00 EST to Mon 10:30: 17:00, 09:00
    pending = (22 * 60 + 30, 6 * 60 + 30)  # Mon 10:30 to Tue 09:00: Mon until 17:00
    opened = (2 * 60, 2 * 60)  # Tue 09:00 to 11:00
    assert found == {
        "reply_time": new,
        "first_resolution_time": (92 * 60, new[1] + pending[1] + opened[1]),  # Fri 15:00-Tue 11:00
        "full_resolution_time": (92 * 60, 210 + 390 + 120),
        "requester_wait_time": (new[0] + opened[0], new[1] + opened[1]),
        "agent_wait_time": pending,
        "on_hold_time": (0, 0),
        "agent_work_time": (new[0] + opened[0], new[1] + opened[1]),
    }
    assert (row["replies"], row["reopens"], row["assignee_stations"]) == (2, 0, 1)
    assert row["requester_updated_at"] == at("2026-01-20 14:00")  # the requester's answer
    assert row["assignee_updated_at"] == at("2026-01-20 16:00")  # the solve
    assert row["first_reply_at"] == at("2026-01-19 15:30")


def test_a_holiday_has_no_business_hours_and_a_deleted_one_does(activity: Target) -> None:
    found = minutes(rows_by(activity, "ticket_metrics", "ticket_id")[102])

    # Thu 07-02 16:00 EDT to Mon 07-06 10:00: Thu until 17:00, Fri 07-03 a holiday, Mon from
    # 09:00 (its holiday deleted).
    waited = (3 * 24 * 60 + 18 * 60, 60 + 0 + 60)
    assert found["reply_time"] == waited
    assert found["full_resolution_time"] == waited
    assert found["requester_wait_time"] == waited


def test_business_hours_move_with_the_spring_daylight_saving_change(activity: Target) -> None:
    found = minutes(rows_by(activity, "ticket_metrics", "ticket_id")[103])

    # Fri 03-06 16:00 EST (21:00Z) to Mon 03-09 10:00 EDT (14:00Z): 66 wall-clock hours, one lost.
    new = (65 * 60, 60 + 60)
    hold = (26 * 60, 7 * 60 + 3 * 60)  # Mon 10:00 EDT to Tue 12:00: Mon until 17:00, Tue from 09:00
    opened = (60, 60)  # Tue 12:00 to 13:00
    assert found == {
        "reply_time": new,
        "first_resolution_time": (92 * 60, new[1] + hold[1] + opened[1]),
        "full_resolution_time": (92 * 60, 120 + 600 + 60),
        "requester_wait_time": (new[0] + hold[0] + opened[0], new[1] + hold[1] + opened[1]),
        "agent_wait_time": (0, 0),
        "on_hold_time": hold,
        "agent_work_time": (new[0] + opened[0], new[1] + opened[1]),
    }


def test_business_hours_move_with_the_autumn_change_and_a_reopen_counts(activity: Target) -> None:
    row = rows_by(activity, "ticket_metrics", "ticket_id")[104]
    found = minutes(row)

    # Fri 10-30 16:00 EDT (20:00Z) to Mon 11-02 10:00 EST (15:00Z): 66 wall-clock hours, one more.
    first = (67 * 60, 60 + 60)
    reopened = (30, 30)  # Tue 09:30 EST to 10:00
    assert found["reply_time"] == first
    assert found["first_resolution_time"] == first
    # To the last solve, Tue 10:00 EST: Fri 16:00-17:00, all of Mon, Tue 09:00-10:00.
    assert found["full_resolution_time"] == (first[0] + 24 * 60, 60 + 8 * 60 + 60)
    assert found["requester_wait_time"] == (first[0] + reopened[0], first[1] + reopened[1])
    assert found["agent_work_time"] == found["requester_wait_time"]
    assert (row["reopens"], row["replies"]) == (1, 2)  # the private note is no reply
    assert (row["assignee_stations"], row["group_stations"]) == (2, 2)
    assert row["initially_assigned_at"] == at("2026-10-30 20:00")
    assert row["assigned_at"] == at("2026-11-03 14:40")
    assert row["solved_at"] == at("2026-11-03 15:00")


def test_a_schedule_east_of_utc(activity: Target) -> None:
    found = minutes(rows_by(activity, "ticket_metrics", "ticket_id")[105])

    # Fri 05-15 17:00 JST (08:00Z) to Mon 05-18 10:00 JST (01:00Z): Fri until 18:00, Mon from 09:00.
    # The agent's own description is not the first reply.
    assert found["reply_time"] == (65 * 60, 60 + 60)
    assert found["full_resolution_time"] == (65 * 60, 120)


def test_a_schedule_changed_on_the_ticket_applies_from_then(activity: Target) -> None:
    schedules = activity.query(
        "SELECT schedule_id, valid_from, valid_to FROM analytics.ticket_schedules "
        "WHERE ticket_id IN (105, 106) ORDER BY ticket_id, valid_from"
    )
    found = minutes(rows_by(activity, "ticket_metrics", "ticket_id")[106])

    assert schedules == [
        {"schedule_id": 2, "valid_from": at("2026-05-15 08:00"), "valid_to": None},
        {
            "schedule_id": 1,
            "valid_from": at("2026-06-01 17:00"),
            "valid_to": at("2026-06-01 21:00"),
        },
        {"schedule_id": 2, "valid_from": at("2026-06-01 21:00"), "valid_to": None},
    ]
    # New York Mon 13:00-17:00 EDT, then Tokyo Tue 06:00-11:00 JST, open from 09:00.
    assert found["full_resolution_time"] == (9 * 60, 4 * 60 + 2 * 60)
    assert found["reply_time"] == (None, None)


def test_a_reopened_ticket_keeps_its_solve_and_its_waits_run_on(activity: Target) -> None:
    row = rows_by(activity, "ticket_metrics", "ticket_id")[107]
    found = minutes(row)

    # Mon 02-02 05:00 EST new, 07:00 open, Tue 04:00 hold, Thu 04:00 open, 13:00 solved; reopened
    # Sat 02-07 05:00 and pending Mon 02-09 06:00, before the day's business hours.
    new, opened = (2 * 60, 0), (21 * 60 + 9 * 60, 8 * 60 + 4 * 60)
    hold = (48 * 60, 8 * 60 + 8 * 60)
    reopened = (49 * 60, 0)
    assert found["requester_wait_time"] == (
        new[0] + opened[0] + hold[0] + reopened[0],
        0 + 720 + 960,
    )
    assert found["agent_work_time"] == (new[0] + opened[0] + reopened[0], 720)
    assert found["full_resolution_time"] == (3 * 24 * 60 + 8 * 60, 3 * 8 * 60 + 4 * 60)
    assert found["on_hold_time"] == hold
    assert (row["reopens"], row["solved_at"]) == (1, at("2026-02-05 18:00"))


def test_no_status_change_in_the_history_no_resolution_or_wait_times(activity: Target) -> None:
    metrics = rows_by(activity, "ticket_metrics", "ticket_id")

    # 108 has no history; 109's starts with its one change, so no status span ends in it.
    for ticket in (108, 109):
        assert set(minutes(metrics[ticket]).values()) == {(None, None)}
    assert 110 not in metrics  # deleted


def test_business_hours_are_utc_ranges_of_each_local_day(activity: Target) -> None:
    rows = activity.query(
        "SELECT schedule_id, local_day, start_at, end_at FROM analytics.schedule_business_hours "
        "WHERE local_day IN ('2026-03-06', '2026-03-07', '2026-03-09', '2026-07-03', "
        "'2026-11-02', '2026-11-05', '2026-11-06', '2026-11-09') ORDER BY schedule_id, local_day"
    )

    assert [(r["schedule_id"], r["local_day"], r["start_at"], r["end_at"]) for r in rows] == [
        (1, date(2026, 3, 6), at("2026-03-06 14:00"), at("2026-03-06 22:00")),  # EST
        (1, date(2026, 3, 9), at("2026-03-09 13:00"), at("2026-03-09 21:00")),  # EDT
        (1, date(2026, 11, 2), at("2026-11-02 14:00"), at("2026-11-02 22:00")),  # EST again
        # 11-05 and 11-06: a two-day holiday.
        (1, date(2026, 11, 9), at("2026-11-09 14:00"), at("2026-11-09 22:00")),
        (2, date(2026, 3, 6), at("2026-03-06 00:00"), at("2026-03-06 09:00")),
        (2, date(2026, 3, 9), at("2026-03-09 00:00"), at("2026-03-09 09:00")),
        (2, date(2026, 7, 3), at("2026-07-03 00:00"), at("2026-07-03 09:00")),
        (2, date(2026, 11, 2), at("2026-11-02 00:00"), at("2026-11-02 09:00")),
        (2, date(2026, 11, 5), at("2026-11-05 00:00"), at("2026-11-05 09:00")),
        (2, date(2026, 11, 6), at("2026-11-06 00:00"), at("2026-11-06 09:00")),
        (2, date(2026, 11, 9), at("2026-11-09 00:00"), at("2026-11-09 09:00")),
    ]
