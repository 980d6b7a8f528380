"""What the activity models should hold, worked out in Python from the sandbox's own records.

Nothing here runs the models' SQL: each answer is replayed from the audits the sandbox keeps
(``store.ticket_events``), its metric events and its current records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from zdsync.sandbox import Sandbox

Record = dict[str, Any]
DAILY_FIELDS = ("status", "priority", "assignee_id", "group_id")
CLOSED = ("solved", "closed")


def day(stamp: int) -> date:
    return datetime.fromtimestamp(stamp, UTC).date()


def epoch(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())


def _audits_by_ticket(sandbox: Sandbox) -> dict[int, list[Record]]:
    found: dict[int, list[Record]] = defaultdict(list)
    for audit in sandbox.store.ticket_events.records.values():
        found[audit["ticket_id"]].append(audit)
    return {t: sorted(a, key=lambda e: (e["timestamp"], e["id"])) for t, a in found.items()}


def daily_history(sandbox: Sandbox) -> dict[tuple[int, date], tuple[Any, ...]]:
    """(ticket, UTC day) to the ticket's status, priority, assignee and group as the day ended,
    for every live ticket from its creation day through the newest change's day."""
    with sandbox.store.lock:
        tickets = dict(sandbox.store.tickets.records)
        audits = _audits_by_ticket(sandbox)
    last_day = day(
        max(
            max(epoch(t["updated_at"]) for t in tickets.values()),
            max(a[-1]["timestamp"] for a in audits.values()),
        )
    )
    found = {}
    for ticket_id, ticket in tickets.items():
        if ticket["status"] == "deleted":
            continue
        # Each day's last value of each field; the creation's audit sets them all.
        values = {name: ticket[name] for name in DAILY_FIELDS}
        by_day: dict[date, dict[str, Any]] = {}
        for audit in audits.get(ticket_id, []):
            for child in audit["child_events"]:
                if child["event_type"] not in ("Create", "Change"):
                    continue
                for name in DAILY_FIELDS:
                    if name in child:
                        by_day.setdefault(day(audit["timestamp"]), {})[name] = child[name]
        on = day(epoch(ticket["created_at"]))
        while on <= last_day:
            values.update(by_day.get(on, {}))
            found[(ticket_id, on)] = tuple(values[name] for name in DAILY_FIELDS)
            on += timedelta(days=1)
    return found


def backlog(history: dict[tuple[int, date], tuple[Any, ...]]) -> dict[tuple[date, str, str], int]:
    """Open tickets per day, status and priority (``none`` without one), from the daily values."""
    counts: Counter[tuple[date, str, str]] = Counter()
    for (_, day), (status, priority, *_) in history.items():
        if status not in CLOSED:
            counts[(day, status, priority or "none")] += 1
    return dict(counts)


def sla_outcomes(sandbox: Sandbox, now: float) -> dict[tuple[int, str, int], Record]:
    """Per ticket, metric and instance with a policy applied: the policy, target, when applied,
    the first breach not deleted and past at ``now`` (when the models ran), the first
    fulfilment, and the minutes the metric ran between its activations and their pause or
    fulfilment (once fulfilled)."""
    with sandbox.store.lock:
        live = {t for t, r in sandbox.store.tickets.records.items() if r["status"] != "deleted"}
        events = [e for e in sandbox.store.ticket_metric_events.records.values()]
    grouped: dict[tuple[int, str, int], list[Record]] = defaultdict(list)
    for event in events:
        if event["ticket_id"] in live:
            grouped[(event["ticket_id"], event["metric"], event["instance_id"])].append(event)
    found = {}
    for key, found_events in grouped.items():
        ordered = sorted(found_events, key=lambda e: (epoch(e["time"]), e["id"]))
        applied = [e for e in ordered if e["type"] == "apply_sla"]
        if not applied:
            continue
        sla = applied[-1]["sla"]
        breaches = [
            epoch(e["time"])
            for e in ordered
            if e["type"] == "breach" and not e["deleted"] and epoch(e["time"]) <= now
        ]
        fulfils = [epoch(e["time"]) for e in ordered if e["type"] == "fulfill"]
        ran, started = 0, None
        for event in ordered:
            if event["type"] == "activate":
                started = epoch(event["time"])
            elif event["type"] in ("pause", "fulfill") and started is not None:
                ran += epoch(event["time"]) - started
                started = None
        breached_at = min(breaches) if breaches else None
        fulfilled_at = min(fulfils) if fulfils else None
        found[key] = {
            "policy_id": sla["policy"]["id"],
            "policy_title": sla["policy"]["title"],
            "target_minutes": sla["target"],
            "business_hours": sla["business_hours"],
            "applied_at": epoch(applied[-1]["time"]),
            "breached_at": breached_at,
            "breached": breached_at is not None
            and (fulfilled_at is None or breached_at <= fulfilled_at),
            "fulfilled_at": fulfilled_at,
            "elapsed_minutes_calendar": ran // 60 if fulfilled_at is not None else None,
        }
    return found


def agent_work_minutes(sandbox: Sandbox) -> dict[int, int | None]:
    """Per live ticket, the whole minutes its ``agent_work_time`` clock ran, from the metric
    events: every span from one of the clock's events to its next, over every instance,
    while the clock was running (an activation starts it, a pause or fulfilment stops it). A
    running clock's last span has not ended and does not count; None for a ticket whose clock
    has only started."""
    with sandbox.store.lock:
        live = {t for t, r in sandbox.store.tickets.records.items() if r["status"] != "deleted"}
        events = [
            e
            for e in sandbox.store.ticket_metric_events.records.values()
            if e["metric"] == "agent_work_time" and e["ticket_id"] in live
        ]
    by_ticket: dict[int, list[Record]] = defaultdict(list)
    for event in events:
        by_ticket[event["ticket_id"]].append(event)
    found: dict[int, int | None] = {}
    for ticket_id in live:
        ordered = sorted(by_ticket[ticket_id], key=lambda e: (epoch(e["time"]), e["id"]))
        ran, running = 0, False
        for event, after in pairwise(ordered):
            running = event["type"] == "activate" or (
                running and event["type"] not in ("pause", "fulfill")
            )
            if running:
                ran += epoch(after["time"]) - epoch(event["time"])
        found[ticket_id] = ran // 60 if len(ordered) > 1 else None
    return found


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def enriched(sandbox: Sandbox) -> dict[int, Record]:
    """Each live ticket with the names of what it points at, its tags and its custom fields
    by title, each value as the text the ticket's JSON gives (``false``, ``85.48``)."""
    truth = sandbox.store.snapshot()
    users = {**truth["deleted_users"], **truth["users"]}
    titles = {f["id"]: f["title"] for f in sandbox.store.ticket_fields}

    def name(table: dict[int, Record], key: int | None) -> str | None:
        return table[key]["name"] if key in table else None

    return {
        ticket_id: {
            "requester_name": name(users, t["requester_id"]),
            "assignee_name": name(users, t["assignee_id"]),
            "organization_name": name(truth["organizations"], t["organization_id"]),
            "group_name": name(truth["groups"], t["group_id"]),
            "brand_name": name(truth["brands"], t["brand_id"]),
            "ticket_form_name": name(truth["ticket_forms"], t["ticket_form_id"]),
            "tags": list(t["tags"]),
            "custom_fields": {titles[c["id"]]: _text(c["value"]) for c in t["custom_fields"]},
            "status": t["status"],
            "subject": t["subject"],
        }
        for ticket_id, t in truth["tickets"].items()
        if t["status"] != "deleted"
    }
