"""Zendesk's metric set of a ticket, computed from the ticket's audits.

The figures follow Zendesk's definitions, over the audits' status changes, assignments and
comments: ``reopens`` counts changes out of ``solved``; ``replies`` the public comments by
agents after the creation; stations the distinct assignees and groups; ``assignee_updated_at``
the last audit by the ticket's assignee. Durations are in calendar minutes (whole minutes,
rounded down): reply time to the first public agent comment; first and full resolution to the
first and the last solve, which a reopen leaves as they were; agent wait (``pending``),
requester wait (``new``, ``open``, ``hold``) and on-hold (``hold``) times, running totals of
the status spans that have ended with a later status change. Zendesk records a figure once
both its events have happened, so each is null until then: the status times until the status
first changes. The sandbox keeps no business schedule, so every ``business`` figure equals its
``calendar`` one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from typing import Any

from zdsync.sandbox.fakedata import Record, iso

METRIC_SET_ID_BASE = 70_000_000_000
SOLVED = ("solved", "closed")
REQUESTER_WAITS = ("new", "open", "hold")


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


def _values(audits: list[Record], key: str) -> Iterator[tuple[int, Any]]:
    for audit in audits:
        for child in audit["child_events"]:
            if key in child and child["event_type"] in ("Create", "Change"):
                yield audit["timestamp"], child[key]


def _comments(audits: list[Record]) -> Iterator[tuple[int, int, bool]]:
    for audit in audits[1:]:
        for child in audit["child_events"]:
            if child["event_type"] == "Comment":
                yield audit["timestamp"], child["author_id"], bool(child["public"])


def _minutes(seconds: int | None) -> dict[str, int | None]:
    value = None if seconds is None else seconds // 60
    return {"calendar": value, "business": value}


def _time_in(statuses: list[tuple[int, str]], wanted: tuple[str, ...]) -> int | None:
    if len(statuses) < 2:
        return None
    return sum(end - start for (start, status), (end, _) in pairwise(statuses) if status in wanted)


def metric_set(ticket: Record, audits: list[Record], agents: set[int]) -> Record:
    """The ``metric_sets`` sideload of ``ticket``, from its audits (oldest first)."""
    created = _epoch(ticket["created_at"])
    statuses = list(_values(audits, "status"))
    solves = [
        at
        for (_, before), (at, status) in pairwise(statuses)
        if status in SOLVED and before not in SOLVED
    ]
    assignees = list(_values(audits, "assignee_id"))
    groups = {value for _, value in _values(audits, "group_id") if value is not None}
    replies = [at for at, author, public in _comments(audits) if public and author in agents]
    requester = ticket["requester_id"]
    by_requester = [a["timestamp"] for a in audits if a["updater_id"] == requester]
    assignee = ticket["assignee_id"]
    by_assignee = [a["timestamp"] for a in audits if assignee and a["updater_id"] == assignee]
    assigned = [at for at, value in assignees if value is not None]
    last_comment = [
        a["timestamp"]
        for a in audits
        if any(c["event_type"] == "Comment" for c in a["child_events"])
    ]
    return {
        "id": METRIC_SET_ID_BASE + ticket["id"] % 10**10,
        "ticket_id": ticket["id"],
        "url": f"{ticket['url'].rsplit('/tickets/', 1)[0]}/ticket_metrics/{ticket['id']}.json",
        "created_at": ticket["created_at"],
        "updated_at": iso(audits[-1]["timestamp"]) if audits else ticket["updated_at"],
        "group_stations": len(groups),
        "assignee_stations": len({value for _, value in assignees if value is not None}),
        "reopens": sum(
            1
            for (_, before), (_, status) in pairwise(statuses)
            if before == "solved" and status not in SOLVED
        ),
        "replies": len(replies),
        "assignee_updated_at": iso(by_assignee[-1]) if by_assignee else None,
        "requester_updated_at": iso(by_requester[-1]) if by_requester else None,
        "status_updated_at": iso(statuses[-1][0]) if statuses else None,
        "initially_assigned_at": iso(assigned[0]) if assigned else None,
        "assigned_at": iso(assigned[-1]) if assigned else None,
        "solved_at": iso(solves[-1]) if solves else None,
        "latest_comment_added_at": iso(last_comment[-1]) if last_comment else None,
        "reply_time_in_minutes": _minutes(replies[0] - created if replies else None),
        "first_resolution_time_in_minutes": _minutes(solves[0] - created if solves else None),
        "full_resolution_time_in_minutes": _minutes(solves[-1] - created if solves else None),
        "agent_wait_time_in_minutes": _minutes(_time_in(statuses, ("pending",))),
        "requester_wait_time_in_minutes": _minutes(_time_in(statuses, REQUESTER_WAITS)),
        "on_hold_time_in_minutes": _minutes(_time_in(statuses, ("hold",))),
    }
