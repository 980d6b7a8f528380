"""Ticket activity: the audits that led each ticket to its state, and one for each change.

Every generated ticket gets a history that starts at its ``created_at`` with the ticket's first
values and a requester's comment, walks through replies, private notes, holds, reassignments,
tag and field changes, solves and reopens, and ends at its ``updated_at`` with the values the
ticket holds now. A change made later (through the store, so through the write endpoints too)
adds one audit with the fields that changed. The incremental ticket event export serves these
audits, and the metric sets are computed from them (``metrics.py``).

An audit is shaped as the ticket event export shows one: child events of type ``Create`` (each
initial value), ``Change`` (the new value and ``previous_value``) and ``Comment``. A custom
field's change carries ``custom_ticket_fields`` ``{"<field id>": value}``; a tag change carries
the new list with ``added_tags`` and ``removed_tags``; an SLA policy's, its title as
``sla_policy``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from zdsync.sandbox.fakedata import WORDS, Record, iso

# The fields whose values an audit records, in the order its child events list them.
TRACKED = (
    "status",
    "priority",
    "type",
    "assignee_id",
    "group_id",
    "ticket_form_id",
    "brand_id",
    "tags",
    "custom_fields",
)
EXTRA_TAGS = ("waiting", "escalated", "follow-up", "docs")
GROUP_IDS = tuple(360_000_100 + n for n in range(4))
# The policy a ticket of each priority falls under; tickets without a priority have none.
SLA_POLICIES: dict[str, Record] = {
    "urgent": {"id": 360_000_701, "title": "Urgent and high", "reply_minutes": 60},
    "high": {"id": 360_000_701, "title": "Urgent and high", "reply_minutes": 60},
    "normal": {"id": 360_000_702, "title": "Standard", "reply_minutes": 480},
    "low": {"id": 360_000_702, "title": "Standard", "reply_minutes": 480},
}
SYSTEM_USER = -1
EVENT_ID_BASE = 50_000_000_000
ATTACHMENT_TYPES = (("screenshot.png", "image/png"), ("invoice.pdf", "application/pdf"))


def sla_policy(priority: str | None) -> Record | None:
    return SLA_POLICIES.get(priority) if priority else None


def tracked(ticket: Record) -> dict[str, Any]:
    """The values of a ticket that audits record, with custom fields by id."""
    values = {key: ticket.get(key) for key in TRACKED if key != "custom_fields"}
    values["tags"] = list(ticket.get("tags") or [])
    for custom in ticket.get("custom_fields") or []:
        values[f"custom_{custom['id']}"] = custom["value"]
    return values


@dataclass
class Ids:
    """The one sequence every audit and child event id is drawn from, so none repeats."""

    next: int = EVENT_ID_BASE

    def take(self) -> int:
        self.next += 1
        return self.next


@dataclass
class Step:
    """One audit to be: who, when, which values change and which comment it adds."""

    at: int
    author: int
    changes: dict[str, Any] = field(default_factory=dict)
    comment: Record | None = None
    channel: str = "web"


class AuditWriter:
    """Turns steps into audits, tracking each ticket's values between them."""

    def __init__(self, ids: Ids, origin: str) -> None:
        self.ids = ids
        self.origin = origin

    def create(self, ticket: Record, step: Step) -> Record:
        values = {**tracked(ticket), **step.changes}
        children = [self._child(step, "Create", key, value, None) for key, value in values.items()]
        policy = sla_policy(values.get("priority"))
        if policy is not None:
            children.append(self._sla(step, policy, None))
        return self._audit(ticket["id"], step, children)

    def change(self, ticket_id: int, before: dict[str, Any], step: Step) -> Record | None:
        """The audit of ``step`` on values ``before``; None when it changes and says nothing."""
        children = [
            self._child(step, "Change", key, value, before.get(key))
            for key, value in step.changes.items()
            if before.get(key) != value
        ]
        old, new = sla_policy(before.get("priority")), sla_policy(step.changes.get("priority"))
        if "priority" in step.changes and new is not None and new != old:
            children.append(self._sla(step, new, old))
        if not children and step.comment is None:
            return None
        return self._audit(ticket_id, step, children)

    def _audit(self, ticket_id: int, step: Step, children: list[Record]) -> Record:
        audit_id = self.ids.take()
        if step.comment is not None:
            children.append(self._comment(audit_id, step))
        return {
            "id": audit_id,
            "ticket_id": ticket_id,
            "timestamp": step.at,
            "created_at": iso(step.at),
            "updater_id": step.author,
            "via": via(step.channel),
            "system": {"client": "zdsync-sandbox", "location": "Copenhagen, Denmark"},
            "metadata": {"system": {}, "custom": {}},
            "event_type": "Audit",
            "child_events": children,
            "merged_ticket_ids": [],
        }

    def _child(self, step: Step, kind: str, key: str, value: Any, previous: Any) -> Record:
        child: Record = {"id": self.ids.take(), "via": via(step.channel), "via_reference_id": None}
        if key.startswith("custom_"):
            child["custom_ticket_fields"] = {key.removeprefix("custom_"): value}
        else:
            child[key] = value
        if key == "tags":
            old = previous or []
            child["added_tags"] = [t for t in value if t not in old]
            child["removed_tags"] = [t for t in old if t not in value]
        if kind == "Change":
            child["previous_value"] = previous
        child["event_type"] = kind
        return child

    def _sla(self, step: Step, policy: Record, previous: Record | None) -> Record:
        child: Record = {"id": self.ids.take(), "via": via("rule"), "via_reference_id": None}
        child["sla_policy"] = policy["title"]
        child["previous_value"] = previous["title"] if previous else None
        child["event_type"] = "Change"
        return child

    def _comment(self, audit_id: int, step: Step) -> Record:
        comment = step.comment or {}
        body = str(comment.get("body") or "")
        return {
            "id": self.ids.take(),
            "via": via(step.channel),
            "via_reference_id": None,
            "type": "Comment",
            "author_id": step.author,
            "body": body,
            "html_body": f'<div class="zd-comment"><p dir="auto">{body}</p></div>',
            "plain_body": body,
            "public": bool(comment.get("public", True)),
            "attachments": list(comment.get("attachments") or []),
            "audit_id": audit_id,
            "created_at": iso(step.at),
            "event_type": "Comment",
        }


def via(channel: str) -> Record:
    return {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}


class History:
    """The steps of one generated ticket, from its creation to its current values."""

    def __init__(self, rng: random.Random, ticket: Record, agents: list[int]) -> None:
        self.rng = rng
        self.ticket = ticket
        self.agents = agents or [ticket["requester_id"]]
        self.final = tracked(ticket)
        self.values = dict(self.final)
        self.agent = self.final["assignee_id"] or rng.choice(self.agents)

    def first(self, at: int) -> Step:
        """The creation: first values, and the requester's description as its comment."""
        self.values.update(status="new", assignee_id=None, tags=self._first_tags())
        if self.final["status"] == "new":
            self.values["assignee_id"] = self.final["assignee_id"]
        if self.rng.random() < 0.3:
            self.values["priority"] = self.rng.choice(("low", "normal", "high", None))
        return Step(
            at,
            self.ticket["requester_id"],
            changes=dict(self.values),
            comment={"body": self.ticket["description"], "public": True},
            channel=self.ticket["via"]["channel"],
        )

    def middle(self, at: int) -> Step | None:
        """A step between creation and the last change, as the current status allows."""
        status = self.values["status"]
        if self.final["status"] == "new":
            return self._requester(at, None) if self.rng.random() < 0.5 else None
        choices = MOVES[status]
        move: Step = getattr(self, choices[self.rng.randrange(len(choices))])(at)
        return move

    def last(self, at: int) -> Step:
        """The step that leaves the ticket as it is now."""
        changes = {k: v for k, v in self.final.items() if self.values.get(k) != v}
        author = self.final["assignee_id"] or self.agent
        step = Step(at, author, changes=changes)
        if not changes or changes.get("status") == "solved":
            step.comment = self._words("Resolved" if "status" in changes else "Note", public=True)
        return step

    def _first_tags(self) -> list[str]:
        tags = list(self.final["tags"])
        if tags and self.rng.random() < 0.4:
            tags.pop(self.rng.randrange(len(tags)))
        if self.rng.random() < 0.3:
            tags.append(self.rng.choice(EXTRA_TAGS))
        return list(dict.fromkeys(tags))

    def _step(self, at: int, author: int, comment: Record | None, **changes: Any) -> Step:
        self.values.update(changes)
        return Step(at, author, changes=changes, comment=comment)

    def _words(self, lead: str, *, public: bool) -> Record:
        comment: Record = {"body": f"{lead}: {' '.join(self.rng.choices(WORDS, k=6))}"}
        comment["public"] = public
        if self.rng.random() < 0.1:
            name, kind = self.rng.choice(ATTACHMENT_TYPES)
            attachment_id = self.rng.randrange(10**9, 10**10)
            comment["attachments"] = [
                {"id": attachment_id, "file_name": name, "content_type": kind, "size": 2048}
            ]
        return comment

    def assign(self, at: int) -> Step:
        comment = self._words("Looking into it", public=True)
        return self._step(at, self.agent, comment, status="open", assignee_id=self.agent)

    def reply(self, at: int) -> Step:
        return self._step(at, self.agent, self._words("Reply", public=True), status="pending")

    def note(self, at: int) -> Step:
        return self._step(at, self.agent, self._words("Internal note", public=False))

    def hold(self, at: int) -> Step:
        return self._step(at, self.agent, self._words("On hold", public=False), status="hold")

    def resume(self, at: int) -> Step:
        return self._step(at, self.agent, self._words("Back on it", public=False), status="open")

    def solve(self, at: int) -> Step:
        return self._step(at, self.agent, self._words("Solved", public=True), status="solved")

    def reopen(self, at: int) -> Step:
        return self._requester(at, "open")

    def _requester(self, at: int, status: str | None) -> Step:
        comment = self._words("Customer", public=True)
        changes = {"status": status} if status else {}
        return self._step(at, self.ticket["requester_id"], comment, **changes)

    def reassign(self, at: int) -> Step:
        self.agent = self.rng.choice(self.agents)
        group = self.rng.choice(GROUP_IDS)
        return self._step(at, self.agent, None, assignee_id=self.agent, group_id=group)

    def reprioritise(self, at: int) -> Step:
        priority = self.rng.choice(("low", "normal", "high", "urgent"))
        return self._step(at, self.agent, None, priority=priority)

    def retag(self, at: int) -> Step:
        tags = list(self.values["tags"])
        extra = self.rng.choice(EXTRA_TAGS)
        tags = [t for t in tags if t != extra] if extra in tags else [*tags, extra]
        return self._step(at, self.agent, None, tags=tags)

    def refield(self, at: int) -> Step:
        return self._step(at, self.agent, None, custom_360001=self.rng.choice(("widget", "gadget")))


# What may follow each status in a generated history.
MOVES: dict[str, tuple[str, ...]] = {
    "new": ("assign",),
    "open": ("reply", "note", "hold", "solve", "reassign", "reprioritise", "retag", "refield"),
    "pending": ("reopen", "solve", "note"),
    "hold": ("resume", "note"),
    "solved": ("reopen",),
}


def generated_audits(
    ticket: Record, agents: list[int], writer: AuditWriter, seed: int
) -> Iterator[Record]:
    """The audits that led ``ticket`` from its creation to its current values, in time order."""
    rng = random.Random(f"{seed}:{ticket['id']}")
    created = epoch(ticket["created_at"])
    updated = epoch(ticket["updated_at"])
    history = History(rng, ticket, agents)
    spare = updated - created - 1
    moments = sorted(rng.sample(range(created + 1, updated), min(rng.randrange(7), max(spare, 0))))
    if updated <= created:
        description = {"body": ticket["description"], "public": True}
        yield writer.create(ticket, Step(created, ticket["requester_id"], comment=description))
        return
    yield writer.create(ticket, history.first(created))
    before = dict(history.values)
    for at in moments:
        step = history.middle(at)
        audit = writer.change(ticket["id"], before, step) if step else None
        if audit is not None:
            yield audit
        before = dict(history.values)
    final = writer.change(ticket["id"], before, history.last(updated))
    if final is not None:
        yield final


def epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())
