"""Triggers, their categories and revisions: the sandbox's starting set and the state they live in.

The starting set is what a small support team runs: notifications, routing and tagging, in three
categories, two triggers switched off, each with the revisions of its edits. Every write through
the API records a revision with its author, as Zendesk's revision history does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zdsync.sandbox.fakedata import ANCHOR, Record, iso

TRIGGER_ID_BASE = 360_100_000
CATEGORY_ID_BASE = 10_001
DAY = 86_400

# Snapshot keys: what a revision keeps of a trigger.
SNAPSHOT_KEYS = ("title", "description", "active", "conditions", "actions")

_RECEIVED = "Your request ({{ticket.id}}) has been received and is being reviewed by our staff."
_UPDATED = "{{ticket.latest_comment_html}}"


def _c(field_name: str, operator: str, value: Any = None) -> Record:
    row: Record = {"field": field_name, "operator": operator}
    if value is not None:
        row["value"] = value
    return row


def _a(field_name: str, value: Any) -> Record:
    return {"field": field_name, "value": value}


def _notify(recipient: str, subject: str, body: str) -> Record:
    return _a("notification_user", [recipient, subject, body])


CATEGORIES = ("Notifications", "Routing", "Tagging and priorities")


class Seed(NamedTuple):
    """One trigger of the starting set.

    Attributes:
        category: Index into ``CATEGORIES``.
        title: The trigger's title.
        description: Its description.
        every: Conditions that must all hold.
        actions: What it does.
        some: Conditions of which one must hold.
        active: Whether it ends up active (switched off by a last edit if not).
        edits: The changes of its later revisions, in order, a month apart.
    """

    category: int
    title: str
    description: str
    every: list[Record]
    actions: list[Record]
    some: tuple[Record, ...] = ()
    active: bool = True
    edits: tuple[Record, ...] = ()


SEEDED = (
    Seed(
        0,
        "Notify requester and CCs of received request",
        "Confirms a new request to whoever asked.",
        [_c("update_type", "is", "Create"), _c("status", "is_not", "solved")],
        [_notify("requester_and_ccs", "[{{ticket.account}}] Re: {{ticket.title}}", _RECEIVED)],
        edits=({"description": "Confirms a new request to the requester and everyone copied."},),
    ),
    Seed(
        0,
        "Notify requester and CCs of comment update",
        "Sends public replies to the requester.",
        [_c("update_type", "is", "Change"), _c("comment_is_public", "is", "true")],
        [_notify("requester_and_ccs", "[{{ticket.account}}] Re: {{ticket.title}}", _UPDATED)],
    ),
    Seed(
        0,
        "Notify assignee",
        "Tells an agent a ticket is now theirs.",
        [_c("assignee_id", "changed"), _c("assignee_id", "is_not", "current_user")],
        [_notify("assignee_id", "Assignment: {{ticket.title}}", "Ticket #{{ticket.id}} is yours.")],
        edits=({"title": "Notify assignee of assignment"},),
    ),
    Seed(
        0,
        "Notify all agents of received request",
        "Switched off once groups took over routing.",
        [_c("update_type", "is", "Create")],
        [_notify("all_agents", "New request: {{ticket.title}}", "{{ticket.description}}")],
        active=False,
    ),
    Seed(
        1,
        "Route billing requests to Billing",
        "Sends invoices and refunds to the billing group.",
        [_c("update_type", "is", "Create")],
        [_a("group_id", "20001"), _a("current_tags", "billing")],
        some=(
            _c("subject_includes_word", "includes", "invoice refund billing"),
            _c("current_tags", "includes", "billing"),
        ),
    ),
    Seed(
        1,
        "Escalate urgent tickets of VIP requesters",
        "VIPs with an urgent problem go straight to tier 2.",
        [_c("priority", "is", "urgent"), _c("requester.custom_fields.vip", "is", "true")],
        [_a("group_id", "20002"), _a("current_tags", "vip_escalated")],
        edits=({"actions": [_a("group_id", "20002"), _a("current_tags", "vip_escalated tier2")]},),
    ),
    Seed(
        2,
        "Raise priority for the Enterprise plan",
        "Enterprise customers start at high priority.",
        [_c("update_type", "is", "Create"), _c("requester.custom_fields.plan", "is", "enterprise")],
        [_a("priority", "high"), _a("current_tags", "enterprise")],
    ),
    Seed(
        2,
        "Tag requests that arrive by email",
        "",
        [_c("update_type", "is", "Create"), _c("via_id", "is", "4")],
        [_a("current_tags", "email_request")],
    ),
    Seed(
        2,
        "Solve tickets tagged spam",
        "Kept off until the spam filter's false positives are understood.",
        [_c("current_tags", "includes", "spam")],
        [_a("status", "solved"), _a("remove_tags", "needs_reply")],
        active=False,
    ),
)


@dataclass
class Triggers:
    """The account's triggers, categories and revisions, by id; writes go through here."""

    origin: str
    triggers: dict[int, Record] = field(default_factory=dict)
    categories: dict[str, Record] = field(default_factory=dict)
    revisions: dict[int, list[Record]] = field(default_factory=dict)
    next_trigger_id: int = TRIGGER_ID_BASE
    next_category_id: int = CATEGORY_ID_BASE

    def add_category(self, name: str, position: int, now: int) -> Record:
        category_id = str(self.next_category_id)
        self.next_category_id += 1
        stamp = iso(now)
        row = {
            "id": category_id,
            "name": name,
            "position": position,
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.categories[category_id] = row
        return row

    def add_trigger(self, fields: Record, author_id: int, now: int) -> Record:
        trigger_id = self.next_trigger_id
        self.next_trigger_id += 1
        stamp = iso(now)
        trigger: Record = {
            "id": trigger_id,
            "url": f"{self.origin}/api/v2/triggers/{trigger_id}.json",
            "title": fields["title"],
            "raw_title": fields["title"],
            "description": fields.get("description") or "",
            "active": fields.get("active", True),
            "default": False,
            "position": fields["position"],
            "category_id": fields["category_id"],
            "conditions": _conditions(fields["conditions"]),
            "actions": fields["actions"],
            "created_at": stamp,
            "updated_at": stamp,
        }
        self.triggers[trigger_id] = trigger
        self.revisions[trigger_id] = []
        self.record_revision(trigger, author_id, now)
        return trigger

    def change_trigger(self, trigger_id: int, changes: Record, author_id: int, now: int) -> Record:
        """Apply ``changes``; a revision is recorded when what a revision keeps has changed."""
        before = self.triggers[trigger_id]
        after = {**before, **changes, "updated_at": iso(now)}
        if "title" in changes:
            after["raw_title"] = changes["title"]
        if "conditions" in changes:
            after["conditions"] = _conditions(changes["conditions"])
        self.triggers[trigger_id] = after
        if any(before[key] != after[key] for key in SNAPSHOT_KEYS):
            self.record_revision(after, author_id, now)
        return after

    def delete_trigger(self, trigger_id: int) -> None:
        del self.triggers[trigger_id]
        self.revisions.pop(trigger_id, None)

    def record_revision(self, trigger: Record, author_id: int, now: int) -> Record:
        history = self.revisions.setdefault(trigger["id"], [])
        revision_id = len(history) + 1
        snapshot = {key: trigger[key] for key in SNAPSHOT_KEYS}
        previous = history[-1] if history else None
        revision: Record = {
            "id": revision_id,
            "url": f"{self.origin}/api/v2/triggers/{trigger['id']}/revisions/{revision_id}.json",
            "author_id": author_id,
            "created_at": iso(now),
            "snapshot": snapshot,
            "diff": diff(previous, revision_id, snapshot),
        }
        history.append(revision)
        return revision

    def in_category(self, category_id: str) -> list[Record]:
        return [t for t in self.triggers.values() if t["category_id"] == category_id]

    def last_position(self, category_id: str) -> int:
        return max((t["position"] for t in self.in_category(category_id)), default=0)

    def first_category(self) -> str | None:
        ordered = sorted(self.categories.values(), key=lambda c: (c["position"], int(c["id"])))
        return ordered[0]["id"] if ordered else None


def _conditions(conditions: Record) -> Record:
    return {"all": list(conditions.get("all") or []), "any": list(conditions.get("any") or [])}


def _change(before: Any, after: Any, first: bool) -> list[Record]:
    if first:
        return [{"change": "+", "content": after}]
    if before == after:
        return [{"change": "=", "content": after}]
    return [{"change": "-", "content": before}, {"change": "+", "content": after}]


def _rows(before: list[Record], after: list[Record], keys: tuple[str, ...]) -> list[Record]:
    """Row-by-row changes: kept rows unchanged, dropped rows removed, new rows added."""
    marked = [("=", row) if row in before else ("+", row) for row in after]
    marked += [("-", row) for row in before if row not in after]
    return [
        {key: [{"change": mark, "content": row.get(key, "")}] for key in keys}
        for mark, row in marked
    ]


def diff(previous: Record | None, revision_id: int, snapshot: Record) -> Record:
    """What changed since the previous revision, in the shape Zendesk's revision list shows."""
    first = previous is None
    old: Record = previous["snapshot"] if previous else {key: None for key in SNAPSHOT_KEYS}
    old_conditions = old["conditions"] or {"all": [], "any": []}
    found: Record = {
        "target_id": revision_id,
        "title": _change(old["title"], snapshot["title"], first),
        "description": _change(old["description"], snapshot["description"], first),
        "active": _change(old["active"], snapshot["active"], first),
        "conditions": {
            part: _rows(
                old_conditions[part], snapshot["conditions"][part], ("field", "operator", "value")
            )
            for part in ("all", "any")
        },
        "actions": _rows(old["actions"] or [], snapshot["actions"], ("field", "value")),
    }
    if previous is not None:
        found["source_id"] = previous["id"]
    return found


def seeded(origin: str, author_id: int) -> Triggers:
    """The starting set: three categories and their triggers, each edit a revision later."""
    book = Triggers(origin)
    start = ANCHOR - 400 * DAY
    categories = [book.add_category(name, n, start) for n, name in enumerate(CATEGORIES)]
    positions: dict[int, int] = {}
    for n, seed in enumerate(SEEDED):
        positions[seed.category] = positions.get(seed.category, 0) + 1
        fields = {
            "title": seed.title,
            "description": seed.description,
            "position": positions[seed.category],
            "category_id": categories[seed.category]["id"],
            "conditions": {"all": seed.every, "any": list(seed.some)},
            "actions": seed.actions,
        }
        created = start + n * DAY
        trigger_id = book.add_trigger(fields, author_id, created)["id"]
        edits = [*seed.edits, *([] if seed.active else [{"active": False}])]
        for step, changes in enumerate(edits, start=1):
            book.change_trigger(trigger_id, changes, author_id, created + step * 30 * DAY)
    return book
