"""The tables inside ticket events: field changes, comments and tag changes, as pure functions.

Each takes one page of the ticket event export (``include=comment_events``) and returns rows with
exactly its table's columns. A child event of type ``Create`` or ``Change`` names its field by
its one key that is not bookkeeping (``status``, ``assignee_id``, ...); a custom field's value
sits in ``custom_ticket_fields`` keyed by the field's id, and becomes ``custom_fields_<id>``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

Record = dict[str, Any]
# Keys of a change's child event that say how, not what, it changed. (``type`` is the ticket's
# type there; only a comment's child event uses it for its own kind.)
BOOKKEEPING = frozenset(
    {
        "id",
        "via",
        "via_reference_id",
        "event_type",
        "previous_value",
        "added_tags",
        "removed_tags",
        "audit_id",
        "created_at",
    }
)
CHANGES = ("Create", "Change")
ATTACHMENT_KEYS = ("id", "file_name", "content_type", "size")


def as_text(value: Any) -> str | None:
    """A field's value as the text the history keeps: lists and objects as JSON."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return orjson.dumps(value).decode()


def _children(events: Sequence[Record], kinds: tuple[str, ...]) -> Iterator[tuple[Record, Record]]:
    for event in events:
        for child in event.get("child_events") or []:
            if child.get("event_type") in kinds:
                yield event, child


def _changed(child: Record) -> Iterator[tuple[str, Any]]:
    for key, value in child.items():
        if key in BOOKKEEPING:
            continue
        if key == "custom_ticket_fields" and isinstance(value, dict):
            for field_id, field_value in value.items():
                yield f"custom_fields_{field_id}", field_value
        else:
            yield key, value


def field_history(events: Sequence[Record], body: Mapping[str, Any]) -> list[Record]:
    """One row per field a ticket's audit set or changed; a creation's have no previous value."""
    return [
        {
            "ticket_id": event["ticket_id"],
            "field_name": name,
            "value": as_text(value),
            "previous_value": as_text(child.get("previous_value")),
            "updated_at": event["created_at"],
            "updater_id": event.get("updater_id"),
            "event_id": event["id"],
        }
        for event, child in _children(events, CHANGES)
        for name, value in _changed(child)
    ]


def comments(events: Sequence[Record], body: Mapping[str, Any]) -> list[Record]:
    """One row per comment; attachments keep their metadata, never their content."""
    return [
        {
            "id": child["id"],
            "ticket_id": event["ticket_id"],
            "author_id": child.get("author_id"),
            "public": child.get("public"),
            "created_at": child.get("created_at") or event["created_at"],
            "body": child.get("body"),
            "html_body": child.get("html_body"),
            "via_channel": (child.get("via") or {}).get("channel"),
            "attachments": [
                {key: attachment.get(key) for key in ATTACHMENT_KEYS}
                for attachment in child.get("attachments") or []
            ],
            "event_id": event["id"],
        }
        for event, child in _children(events, ("Comment",))
        if "body" in child
    ]


def tag_history(events: Sequence[Record], body: Mapping[str, Any]) -> list[Record]:
    """One row per tag an audit added or removed."""
    return [
        {
            "ticket_id": event["ticket_id"],
            "tag": tag,
            "action": action,
            "updated_at": event["created_at"],
            "updater_id": event.get("updater_id"),
            "event_id": event["id"],
        }
        for event, child in _children(events, CHANGES)
        for action, key in (("added", "added_tags"), ("removed", "removed_tags"))
        for tag in child.get(key) or []
    ]
