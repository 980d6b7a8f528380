"""A small account's raw rows, written by hand, for the ticket activity models.

Times are UTC; each comment gives the local time of the ticket's schedule. Schedule 1 (the
default, the first by id) is New York, Monday to Friday 09:00 to 17:00, with 2026-07-03 and
2026-11-05/06 as holidays (and a deleted holiday on 2026-07-06). Schedule 2 is Tokyo, Monday to
Friday 09:00 to 18:00. New York moves to daylight saving on 2026-03-08 and back on 2026-11-01.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count
from typing import Any

REQUESTER, AGENT, ADMIN = 1001, 2001, 2002
GROUP, OTHER_GROUP = 10, 11


def at(text: str) -> datetime:
    """A UTC time written as ``YYYY-MM-DD HH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def weekdays(start: str, end: str) -> list[dict[str, int]]:
    """Zendesk's intervals for ``start`` to ``end`` local time, Monday to Friday."""
    begin, finish = (int(t[:2]) * 60 + int(t[3:]) for t in (start, end))
    return [{"start_time": d * 1440 + begin, "end_time": d * 1440 + finish} for d in range(1, 6)]


SCHEDULES = [
    {
        "id": 1,
        "name": "New York",
        "time_zone": "Eastern Time (US & Canada)",
        "iana_time_zone": "America/New_York",
        "intervals": weekdays("09:00", "17:00"),
    },
    {
        "id": 2,
        "name": "Tokyo",
        "time_zone": "Tokyo",
        "iana_time_zone": "Asia/Tokyo",
        "intervals": weekdays("09:00", "18:00"),
    },
    {
        "id": 3,
        "name": "Retired",
        "time_zone": "UTC",
        "iana_time_zone": "Etc/UTC",
        "intervals": weekdays("00:00", "23:59"),
        "is_deleted": True,
    },
]
HOLIDAYS = [
    {
        "id": 1,
        "schedule_id": 1,
        "name": "Independence Day (observed)",
        "start_date": date(2026, 7, 3),
        "end_date": date(2026, 7, 3),
    },
    {
        "id": 2,
        "schedule_id": 1,
        "name": "Retreat",
        "start_date": date(2026, 11, 5),
        "end_date": date(2026, 11, 6),
    },
    {
        "id": 3,
        "schedule_id": 1,
        "name": "Withdrawn",
        "start_date": date(2026, 7, 6),
        "end_date": date(2026, 7, 6),
        "is_deleted": True,
    },
]

_events = count(1)
_comments = count(1)


def status(ticket: int, *changes: tuple[str, str]) -> list[dict[str, Any]]:
    """Status rows: the first at creation (no previous value), then each change."""
    rows, before = [], None
    for when, value in changes:
        rows.append(change(ticket, "status", value, before, when))
        before = value
    return rows


def change(
    ticket: int, field: str, value: str | None, before: str | None, when: str, by: int = AGENT
) -> dict[str, Any]:
    return {
        "ticket_id": ticket,
        "field_name": field,
        "value": value,
        "previous_value": before,
        "updated_at": at(when),
        "updater_id": by,
        "event_id": next(_events),
    }


def comment(ticket: int, author: int, when: str, public: bool = True) -> dict[str, Any]:
    return {
        "id": next(_comments),
        "ticket_id": ticket,
        "author_id": author,
        "public": public,
        "created_at": at(when),
        "body": "...",
        "via_channel": "web",
    }


HISTORY = [
    # 101, over a weekend: new Fri 15:00 EST, pending at the reply Mon 10:30, open when the
    # requester answers Tue 09:00, solved Tue 11:00.
    *status(
        101,
        ("2026-01-16 20:00", "new"),
        ("2026-01-19 15:30", "pending"),
        ("2026-01-20 14:00", "open"),
        ("2026-01-20 16:00", "solved"),
    ),
    change(101, "group_id", str(GROUP), None, "2026-01-16 20:00"),
    change(101, "assignee_id", str(AGENT), None, "2026-01-19 15:30"),
    change(101, "priority", "normal", None, "2026-01-16 20:00"),
    # 102, over a holiday: new Thu 2026-07-02 16:00 EDT, solved at the reply Mon 07-06 10:00.
    *status(102, ("2026-07-02 20:00", "new"), ("2026-07-06 14:00", "solved")),
    # 103, across the spring change: new Fri 2026-03-06 16:00 EST, on hold at the reply Mon
    # 03-09 10:00 EDT, open Tue 12:00 EDT, solved Tue 13:00 EDT.
    *status(
        103,
        ("2026-03-06 21:00", "new"),
        ("2026-03-09 14:00", "hold"),
        ("2026-03-10 16:00", "open"),
        ("2026-03-10 17:00", "solved"),
    ),
    # 104, across the autumn change: new Fri 2026-10-30 16:00 EDT, solved at the reply Mon
    # 11-02 10:00 EST, reopened by the requester Tue 09:30 EST, solved Tue 10:00, closed Sat.
    *status(
        104,
        ("2026-10-30 20:00", "new"),
        ("2026-11-02 15:00", "solved"),
        ("2026-11-03 14:30", "open"),
        ("2026-11-03 15:00", "solved"),
        ("2026-11-07 12:00", "closed"),
    ),
    change(104, "group_id", str(GROUP), None, "2026-10-30 20:00"),
    change(104, "group_id", str(OTHER_GROUP), str(GROUP), "2026-11-02 14:00"),
    change(104, "assignee_id", str(AGENT), None, "2026-10-30 20:00"),
    change(104, "assignee_id", str(ADMIN), str(AGENT), "2026-11-02 14:00"),
    change(104, "assignee_id", str(AGENT), str(ADMIN), "2026-11-03 14:40"),
    # 105, in Tokyo from creation: new Fri 2026-05-15 17:00 JST, solved at the reply Mon 10:00.
    change(105, "schedule_id", "2", None, "2026-05-15 08:00"),
    *status(105, ("2026-05-15 08:00", "new"), ("2026-05-18 01:00", "solved")),
    # 106, New York until Mon 2026-06-01 17:00 EDT, then Tokyo (Tue 06:00 JST); created Mon
    # 13:00 EDT, solved Tue 11:00 JST.
    *status(106, ("2026-06-01 17:00", "new"), ("2026-06-02 02:00", "solved")),
    change(106, "schedule_id", "2", None, "2026-06-01 21:00"),
    # 107, reopened and on hold, by UTC day.
    *status(
        107,
        ("2026-02-02 10:00", "new"),
        ("2026-02-02 12:00", "open"),
        ("2026-02-03 09:00", "hold"),
        ("2026-02-05 09:00", "open"),
        ("2026-02-05 18:00", "solved"),
        ("2026-02-07 10:00", "open"),
        ("2026-02-09 11:00", "pending"),
    ),
    change(107, "priority", "normal", None, "2026-02-02 10:00"),
    change(107, "priority", "high", "normal", "2026-02-07 10:00"),
    change(107, "group_id", str(GROUP), None, "2026-02-02 10:00"),
    change(107, "assignee_id", str(AGENT), None, "2026-02-02 12:00"),
    change(107, "assignee_id", None, str(AGENT), "2026-02-08 12:00"),
    # 109, created 2026-03-02 before the history starts: pending (was open) 03-04 10:00.
    change(109, "status", "pending", "open", "2026-03-04 10:00"),
    # 110 was deleted: its history counts nowhere.
    *status(110, ("2026-02-02 10:00", "new")),
]

COMMENTS = [
    comment(101, REQUESTER, "2026-01-16 20:00"),
    comment(101, AGENT, "2026-01-19 15:30"),
    comment(101, REQUESTER, "2026-01-20 14:00"),
    comment(101, AGENT, "2026-01-20 16:00"),
    comment(102, REQUESTER, "2026-07-02 20:00"),
    comment(102, AGENT, "2026-07-06 14:00"),
    comment(103, REQUESTER, "2026-03-06 21:00"),
    # A private note is no reply.
    comment(103, AGENT, "2026-03-09 13:00", public=False),
    comment(103, ADMIN, "2026-03-09 14:00"),
    comment(104, REQUESTER, "2026-10-30 20:00"),
    comment(104, ADMIN, "2026-11-02 15:00"),
    comment(104, REQUESTER, "2026-11-03 14:30"),
    comment(104, AGENT, "2026-11-03 14:45", public=False),
    comment(104, AGENT, "2026-11-03 15:00"),
    # An agent's own ticket: its first comment is the description, not a reply.
    comment(105, AGENT, "2026-05-15 08:00"),
    comment(105, AGENT, "2026-05-18 01:00"),
    comment(106, REQUESTER, "2026-06-01 17:00"),
]


def ticket(number: int, created: str, updated: str, state: str, **more: Any) -> dict[str, Any]:
    return {
        "id": number,
        "subject": f"Ticket {number}",
        "status": state,
        "priority": "normal",
        "requester_id": REQUESTER,
        "created_at": at(created),
        "updated_at": at(updated),
        "generated_timestamp": int(at(updated).timestamp()),
        "via": {"channel": "web"},
        "tags": [],
        **more,
    }


TICKETS = [
    ticket(
        101,
        "2026-01-16 20:00",
        "2026-01-20 16:00",
        "solved",
        assignee_id=AGENT,
        group_id=GROUP,
        organization_id=501,
        brand_id=601,
        ticket_form_id=701,
        tags=["billing", "vip"],
        custom_fields=[{"id": 801, "value": "widget"}, {"id": 802, "value": None}],
    ),
    ticket(102, "2026-07-02 20:00", "2026-07-06 14:00", "solved"),
    ticket(103, "2026-03-06 21:00", "2026-03-10 17:00", "solved"),
    ticket(104, "2026-10-30 20:00", "2026-11-07 12:00", "closed", group_id=OTHER_GROUP),
    ticket(105, "2026-05-15 08:00", "2026-05-18 01:00", "solved", requester_id=AGENT),
    ticket(106, "2026-06-01 17:00", "2026-06-02 02:00", "solved"),
    ticket(107, "2026-02-02 10:00", "2026-02-09 11:00", "pending", priority="high"),
    # No history at all: its current values hold from the day it was created.
    ticket(108, "2026-01-05 09:00", "2026-01-05 09:00", "open", priority="low"),
    ticket(109, "2026-03-02 09:00", "2026-03-04 10:00", "pending", priority=None),
    ticket(110, "2026-02-02 10:00", "2026-02-03 10:00", "deleted"),
]

USERS = [
    {"id": REQUESTER, "name": "Rita Requester", "role": "end-user", "active": True},
    {"id": AGENT, "name": "Alex Agent", "role": "agent", "active": True},
    {"id": ADMIN, "name": "Ada Admin", "role": "admin", "active": True},
]

METRIC_EVENTS: list[dict[str, Any]] = []


def metric(ticket: int, name: str, kind: str, when: str, **more: Any) -> None:
    METRIC_EVENTS.append(
        {
            "id": len(METRIC_EVENTS) + 1,
            "ticket_id": ticket,
            "metric": name,
            "instance_id": more.pop("instance", 1),
            "type": kind,
            "time": at(when),
            **more,
        }
    )


def sla(target: int, business: bool) -> dict[str, Any]:
    return {"target": target, "business_hours": business, "policy": {"id": 77, "title": "Standard"}}


# 101's first reply: a business-hours target of 60 minutes, breached Fri 16:00 EST.
metric(101, "reply_time", "activate", "2026-01-16 20:00")
metric(101, "reply_time", "apply_sla", "2026-01-16 20:00", sla=sla(60, True))
metric(101, "reply_time", "breach", "2026-01-16 21:00", deleted=False)
metric(101, "reply_time", "fulfill", "2026-01-19 15:30")
# 101's requester wait, paused while pending: 330 business minutes, within its 480.
metric(101, "requester_wait_time", "activate", "2026-01-16 20:00")
metric(101, "requester_wait_time", "apply_sla", "2026-01-16 20:00", sla=sla(480, True))
metric(101, "requester_wait_time", "breach", "2026-01-22 19:00", deleted=True)
metric(101, "requester_wait_time", "pause", "2026-01-19 15:30")
metric(101, "requester_wait_time", "activate", "2026-01-20 14:00")
metric(101, "requester_wait_time", "fulfill", "2026-01-20 16:00")
# 105's first reply: three calendar days, met; its breach event deleted.
metric(105, "reply_time", "activate", "2026-05-15 08:00")
metric(105, "reply_time", "apply_sla", "2026-05-15 08:00", sla=sla(4320, False))
metric(105, "reply_time", "breach", "2026-05-18 08:00", deleted=True)
metric(105, "reply_time", "fulfill", "2026-05-18 01:00")
# 109: an hour to reply, breached and never fulfilled; the next reply's breach is still ahead.
metric(109, "reply_time", "activate", "2026-03-02 09:00")
metric(109, "reply_time", "apply_sla", "2026-03-02 09:00", sla=sla(30, False))
metric(109, "reply_time", "apply_sla", "2026-03-02 09:05", sla=sla(60, False))
metric(109, "reply_time", "breach", "2026-03-02 10:00", deleted=False)
metric(109, "reply_time", "activate", "2026-03-04 10:00", instance=2)
metric(109, "reply_time", "apply_sla", "2026-03-04 10:00", sla=sla(60, False), instance=2)
metric(109, "reply_time", "breach", "2099-01-01 00:00", deleted=False, instance=2)

TICKET_FIELDS = [
    {"id": 801, "type": "text", "title": "Product", "active": True},
    {"id": 802, "type": "text", "title": "Serial", "active": True},
]


def account(**replaced: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Every raw table the models read, with the rows above (or ``replaced``'s)."""
    tables: dict[str, list[dict[str, Any]]] = {
        "tickets": TICKETS,
        "users": USERS,
        "organizations": [{"id": 501, "name": "Acme"}],
        "deleted_users": [],
        "compliance_deletion_statuses": [],
        "ticket_fields": TICKET_FIELDS,
        "user_fields": [],
        "ticket_field_history": HISTORY,
        "ticket_comments": COMMENTS,
        "ticket_metric_events": METRIC_EVENTS,
        "schedules": SCHEDULES,
        "schedule_holidays": HOLIDAYS,
        "groups": [{"id": GROUP, "name": "Support"}, {"id": OTHER_GROUP, "name": "Billing"}],
        "brands": [{"id": 601, "name": "Acme Brand"}],
        "ticket_forms": [{"id": 701, "name": "Default form"}],
    }
    return {**tables, **replaced}
