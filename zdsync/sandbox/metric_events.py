"""Ticket metric events, derived from a ticket's audits as Zendesk's SLA clocks would run.

At a ticket's creation every metric (``reply_time``, ``agent_work_time``,
``requester_wait_time``, ``resolution_time``) is activated, and the SLA policy of its priority,
if any, is applied to ``reply_time``; a later audit that changes the policy (a new priority)
applies the new one while the reply is still due, its target counted from the creation. A move
to ``pending`` pauses the agent's and the requester's clocks, ``hold`` pauses the agent's, a
move back to ``new`` or ``open`` activates them; a solve fulfils them and ``resolution_time``;
a reopen starts a new instance of each. The first public comment by an agent fulfils
``reply_time``; one that comes after the target of the policy applied last, or none at all,
means a ``breach`` at that target, or when the policy was applied if its target had passed by
then: an event is never written in the past, and a breach already past when a new policy
applies stays. A breach that did not happen is still served at its time, marked ``deleted``
as the API reference describes (clients are to skip those): the reply came in time, or a new
policy applied before it. Each event's id comes from its audit's, so computing a ticket's
events again after a change gives the earlier ones unchanged, and a breach called off keeps
its id, only marked deleted.
"""

from __future__ import annotations

from typing import Any

from zdsync.sandbox.activity import SLA_POLICIES
from zdsync.sandbox.fakedata import Record, iso

CLOCKS = ("agent_work_time", "requester_wait_time")
# What each status does to the two clocks a status moves.
ON_STATUS: dict[str, dict[str, str]] = {
    "new": {"agent_work_time": "activate", "requester_wait_time": "activate"},
    "open": {"agent_work_time": "activate", "requester_wait_time": "activate"},
    "pending": {"agent_work_time": "pause", "requester_wait_time": "pause"},
    "hold": {"agent_work_time": "pause", "requester_wait_time": "activate"},
}
SOLVED = ("solved", "closed")
METRICS = ("reply_time", *CLOCKS, "resolution_time")


class _Events:
    def __init__(self, ticket_id: int) -> None:
        self.ticket_id = ticket_id
        self.found: list[Record] = []

    def add(self, audit: Record, slot: int, metric: str, kind: str, **extra: Any) -> None:
        self.found.append(
            {
                "id": audit["id"] * 10 + slot,
                "ticket_id": self.ticket_id,
                "metric": metric,
                "instance_id": extra.pop("instance", 1),
                "type": kind,
                "time": iso(extra.pop("at", audit["timestamp"])),
                "deleted": extra.pop("deleted", False),
                **extra,
            }
        )


def _status(audit: Record) -> str | None:
    for child in audit["child_events"]:
        if "status" in child and child["event_type"] in ("Create", "Change"):
            return str(child["status"])
    return None


def _policy(audit: Record) -> Record | None:
    for child in audit["child_events"]:
        if child.get("sla_policy"):
            return next(p for p in SLA_POLICIES.values() if p["title"] == child["sla_policy"])
    return None


def _due(first: Record, applied_by: Record, policy: Record) -> int:
    """When the reply breaches ``policy``: its target from the creation, or when it applied."""
    target = int(first["timestamp"]) + int(policy["reply_minutes"]) * 60
    return max(target, int(applied_by["timestamp"]))


def _sla(policy: Record) -> Record:
    return {
        "target": policy["reply_minutes"],
        "business_hours": False,
        "policy": {"id": policy["id"], "title": policy["title"]},
    }


def _agent_replied(audit: Record, agents: set[int]) -> bool:
    return any(
        c["event_type"] == "Comment" and c["public"] and c["author_id"] in agents
        for c in audit["child_events"]
    )


def metric_events(ticket_id: int, audits: list[Record], agents: set[int]) -> list[Record]:
    """Every metric event of a ticket, oldest first."""
    events = _Events(ticket_id)
    if not audits:
        return []
    first = audits[0]
    for slot, metric in enumerate(METRICS):
        events.add(first, slot, metric, "activate")
    policy = _policy(first)
    # The audit that applied the policy in force; its breach takes its id from it, so a new
    # policy's breach still ahead replaces the old one's, and one already past stays.
    applied_by = first
    if policy is not None:
        events.add(first, 8, "reply_time", "apply_sla", sla=_sla(policy))
    replied_at: int | None = None
    instance = 1
    status = _status(first)
    for audit in audits[1:]:
        if replied_at is None and _agent_replied(audit, agents):
            replied_at = audit["timestamp"]
            events.add(audit, 0, "reply_time", "fulfill")
        changed = _policy(audit)
        if changed is not None and replied_at is None:
            if policy is not None:
                due = _due(first, applied_by, policy)
                # Still ahead, the old policy's breach is called off by the new one.
                called_off = due > audit["timestamp"]
                events.add(applied_by, 9, "reply_time", "breach", at=due, deleted=called_off)
            policy, applied_by = changed, audit
            events.add(audit, 8, "reply_time", "apply_sla", sla=_sla(policy))
        new = _status(audit)
        if new is None or new == status:
            continue
        if new in SOLVED and status not in SOLVED:
            for slot, metric in enumerate(METRICS[1:], start=1):
                events.add(audit, slot, metric, "fulfill", instance=instance)
        elif status in SOLVED and new not in SOLVED:
            instance += 1
            for slot, metric in enumerate(METRICS[1:], start=1):
                events.add(audit, slot, metric, "activate", instance=instance)
        elif new in ON_STATUS:
            for slot, metric in enumerate(CLOCKS, start=1):
                events.add(audit, slot, metric, ON_STATUS[new][metric], instance=instance)
        status = new
    if policy is not None:
        due = _due(first, applied_by, policy)
        in_time = replied_at is not None and replied_at <= due
        events.add(applied_by, 9, "reply_time", "breach", at=due, deleted=in_time)
    return sorted(events.found, key=lambda e: (e["time"], e["id"]))
