"""Turning a CRM row into a ticket change (or a new ticket), or a reason it cannot be sent.

Columns: ``id`` or ``external_id`` (which ticket), ``tags`` (the whole list), ``add_tags``,
``remove_tags``, ``status``, ``priority``, ``type``, ``assignee_id``, ``group_id`` and
``custom_fields.<title or id>``, checked against ``GET /api/v2/ticket_fields`` (a dropdown's
value among its options). A row that may create a ticket adds ``subject``, ``comment`` and its
requester, by ``requester_email`` or ``requester_external_id``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.validation import Invalid, UserFieldSpec, field_value, integer, tag_list

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
TYPES = ("problem", "incident", "question", "task")
CHOICES = {"status": STATUSES, "priority": PRIORITIES, "type": TYPES}
# Tag columns and the keys Zendesk's ticket updates take them under.
TAGS = {"tags": "tags", "add_tags": "additional_tags", "remove_tags": "remove_tags"}
IDS = ("assignee_id", "group_id")
CREATION = ("subject", "comment", "requester_email", "requester_external_id")
COLUMNS = ("id", "external_id", *TAGS, *CHOICES, *IDS, *CREATION)
FIELD_PREFIX = "custom_fields."


@dataclass(frozen=True)
class TicketField:
    """One custom ticket field: its id, and what its values must be."""

    id: int
    spec: UserFieldSpec


def ticket_fields(definitions: list[dict[str, Any]]) -> dict[str, TicketField]:
    """Custom fields keyed by id (as text) and by lower-cased title."""
    found: dict[str, TicketField] = {}
    for d in definitions:
        if d.get("system") or not d.get("active", True) or not d.get("removable", True):
            continue
        options = tuple(str(o["value"]) for o in d.get("custom_field_options") or [])
        field = TicketField(int(d["id"]), UserFieldSpec(str(d["title"]), str(d["type"]), options))
        found[str(d["id"])] = found[str(d["title"]).lower()] = field
    return found


def identity_of(row: InputRow) -> str:
    """The ticket's id, else its external id: how the row names its ticket."""
    ticket_id, external_id = row.values.get("id"), row.values.get("external_id")
    if ticket_id:
        return f"id:{integer('id', ticket_id)}"
    if external_id:
        return f"external_id:{external_id.lower()}"
    raise Invalid("no id or external_id to find the ticket by")


def payload_of(row: InputRow, fields: dict[str, TicketField]) -> dict[str, Any]:
    """The ticket change to send; raises ``Invalid`` with the reason."""
    values = row.values
    unknown = sorted(
        k for k in values if k not in COLUMNS and not k.startswith(FIELD_PREFIX) and values[k]
    )
    if unknown:
        raise Invalid(f"unknown columns: {', '.join(unknown)} (map them or drop them)")
    identity_of(row)
    payload: dict[str, Any] = {}
    if values.get("id"):
        payload["id"] = integer("id", values["id"] or "")
    for column in ("external_id", "subject"):
        if values.get(column):
            payload[column] = values[column]
    for column, key in TAGS.items():
        if values.get(column):
            payload[key] = tag_list(values[column])
    for column, choices in CHOICES.items():
        value = values.get(column)
        if value:
            if value not in choices:
                raise Invalid(f"{column} {value!r} is not one of {', '.join(choices)}")
            payload[column] = value
    for column in IDS:
        if values.get(column):
            payload[column] = integer(column, values[column] or "")
    if values.get("comment"):
        payload["comment"] = {"body": values["comment"]}
    if values.get("requester_email"):
        payload["requester"] = {"email": values["requester_email"]}
    custom = _custom_fields(values, fields)
    if custom:
        payload["custom_fields"] = custom
    return payload


def _custom_fields(
    values: dict[str, str | None], fields: dict[str, TicketField]
) -> list[dict[str, Any]]:
    chosen: dict[int, Any] = {}
    for column, raw in values.items():
        if not column.startswith(FIELD_PREFIX) or raw is None:
            continue
        name = column.removeprefix(FIELD_PREFIX)
        field = fields.get(name.lower())
        if field is None:
            raise Invalid(f"ticket field {name!r} does not exist in Zendesk")
        chosen[field.id] = field_value(field.spec, raw)
    return [{"id": field_id, "value": chosen[field_id]} for field_id in sorted(chosen)]
