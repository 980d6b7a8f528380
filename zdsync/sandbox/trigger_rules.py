"""What a trigger may say: its condition and action fields, declared once.

``GET /api/v2/triggers/definitions`` is derived from these tables, and so is the validation of
every trigger written: a condition names a known field and one of its operators, with a value
unless the operator stands alone; an action names a known field with a value it takes.
Conditions on user fields (``requester.custom_fields.<key>``) follow the account's user fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.writes import Problem

OPERATORS: dict[str, str] = {
    "is": "Is",
    "is_not": "Is not",
    "less_than": "Less than",
    "greater_than": "Greater than",
    "changed": "Changed",
    "value": "Changed to",
    "value_previous": "Changed from",
    "not_changed": "Not changed",
    "includes": "Contains at least one of the following",
    "not_includes": "Contains none of the following",
    "present": "Present",
    "not_present": "Not present",
}
# Operators that take no value.
TERMINAL = frozenset({"changed", "not_changed", "present", "not_present"})

ORDERED = ("is", "is_not", "less_than", "greater_than", "changed", "value", "value_previous")
EQUALITY = ("is", "is_not", "changed", "value", "value_previous", "not_changed")
TEXT = ("includes", "not_includes")
STATUSES = {
    "new": "New",
    "open": "Open",
    "pending": "Pending",
    "hold": "On-hold",
    "solved": "Solved",
}
PRIORITIES = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
TYPES = {"question": "Question", "incident": "Incident", "problem": "Problem", "task": "Task"}
RECIPIENTS = {
    "requester_id": "(requester)",
    "requester_and_ccs": "(requester and CCs)",
    "assignee_id": "(assignee)",
    "all_agents": "(all non-restricted agents)",
    "current_user": "(current user)",
}


@dataclass(frozen=True)
class Field:
    """One condition or action field.

    Attributes:
        subject: Its name in a trigger (``status``).
        title: As Zendesk's trigger editor shows it.
        kind: ``list`` (one of ``values``, or any id when ``values`` is empty) or ``text``.
        operators: For conditions, the operators it takes.
        values: For list fields, the values it takes and their titles.
        group: The editor's group: ``ticket``, ``requester`` or ``notification``.
    """

    subject: str
    title: str
    kind: str = "list"
    operators: tuple[str, ...] = ()
    values: tuple[tuple[str, str], ...] = ()
    group: str = "ticket"

    def definition(self) -> Record:
        found: Record = {
            "subject": self.subject,
            "title": self.title,
            "type": self.kind,
            "group": self.group,
            "nullable": False,
            "repeatable": self.kind == "text",
        }
        if self.operators:
            found["operators"] = [
                {"value": op, "title": OPERATORS[op], "terminal": op in TERMINAL}
                for op in self.operators
            ]
        if self.kind == "list":
            found["values"] = [
                {"value": value, "title": title, "enabled": True} for value, title in self.values
            ]
        return found


def _choices(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(table.items())


CONDITIONS: tuple[Field, ...] = (
    Field(
        "update_type",
        "Ticket",
        operators=("is",),
        values=(("Create", "Created"), ("Change", "Updated")),
    ),
    Field("status", "Status", operators=(*ORDERED, "not_changed"), values=_choices(STATUSES)),
    Field("priority", "Priority", operators=(*ORDERED, "not_changed"), values=_choices(PRIORITIES)),
    Field("type", "Type", operators=EQUALITY, values=_choices(TYPES)),
    Field("group_id", "Group", operators=EQUALITY),
    Field(
        "assignee_id", "Assignee", operators=EQUALITY, values=(("current_user", "(current user)"),)
    ),
    Field(
        "via_id",
        "Channel",
        operators=("is", "is_not"),
        values=(
            ("0", "Web form"),
            ("4", "Email"),
            ("5", "Web service (API)"),
        ),
    ),
    Field("current_tags", "Tags", "text", TEXT),
    Field("subject_includes_word", "Subject text", "text", (*TEXT, "is", "is_not")),
    Field(
        "comment_is_public",
        "Comment",
        operators=("is",),
        values=(
            ("true", "Public"),
            ("false", "Private"),
            ("not_relevant", "Present (public or private)"),
        ),
    ),
)
ACTIONS: tuple[Field, ...] = (
    Field("status", "Status", values=_choices(STATUSES)),
    Field("priority", "Priority", values=_choices(PRIORITIES)),
    Field("type", "Type", values=_choices(TYPES)),
    Field("group_id", "Group"),
    Field("assignee_id", "Assignee", values=(("current_user", "(current user)"),)),
    Field("set_tags", "Set tags", "text"),
    Field("current_tags", "Add tags", "text"),
    Field("remove_tags", "Remove tags", "text"),
    Field("notification_user", "Email user", values=_choices(RECIPIENTS), group="notification"),
)
_CONDITIONS = {f.subject: f for f in CONDITIONS}
_ACTIONS = {f.subject: f for f in ACTIONS}
USER_FIELD_PREFIX = "requester.custom_fields."


def definitions(user_fields: list[Record]) -> Record:
    """The body of ``GET /api/v2/triggers/definitions``."""
    conditions = [f.definition() for f in (*CONDITIONS, *_user_field_conditions(user_fields))]
    return {
        "definitions": {
            "actions": [f.definition() for f in ACTIONS],
            "conditions_all": conditions,
            "conditions_any": [{k: v for k, v in c.items() if k != "values"} for c in conditions],
        }
    }


def _user_field_conditions(user_fields: list[Record]) -> list[Field]:
    return [
        Field(
            USER_FIELD_PREFIX + field["key"],
            field["title"],
            operators=("is", "is_not", "present", "not_present"),
            values=tuple((o["value"], o["name"]) for o in field.get("custom_field_options", [])),
            group="requester",
        )
        for field in user_fields
    ]


def condition_problems(conditions: Any, user_fields: list[Record]) -> list[Problem]:
    """What is wrong with a trigger's ``conditions``: at least one, each a known field."""
    if not isinstance(conditions, dict) or not all(
        isinstance(conditions.get(key) or [], list) for key in ("all", "any")
    ):
        return [("conditions", "InvalidValue", "Conditions: must hold all and any lists")]
    rows = [*(conditions.get("all") or []), *(conditions.get("any") or [])]
    if not rows:
        return [("conditions", "BlankValue", "Conditions: at least one condition is required")]
    known = {**_CONDITIONS, **{f.subject: f for f in _user_field_conditions(user_fields)}}
    return [problem for row in rows for problem in _condition_problems(row, known)]


def _condition_problems(row: Any, known: dict[str, Field]) -> list[Problem]:
    if not isinstance(row, dict) or row.get("field") not in known:
        field = row.get("field") if isinstance(row, dict) else row
        return [("conditions", "InvalidValue", f"Conditions: {field!r} is not a condition")]
    spec, operator = known[row["field"]], row.get("operator")
    if operator not in spec.operators:
        message = f"Conditions: {operator!r} is not an operator of {spec.subject}"
        return [("conditions", "InvalidValue", message)]
    if operator in TERMINAL:
        return []
    return _value_problems("conditions", spec, row.get("value"))


def action_problems(actions: Any) -> list[Problem]:
    """What is wrong with a trigger's ``actions``: at least one, each a known field."""
    if not isinstance(actions, list) or not actions:
        return [("actions", "BlankValue", "Actions: at least one action is required")]
    problems: list[Problem] = []
    for row in actions:
        spec = _ACTIONS.get(str(row.get("field"))) if isinstance(row, dict) else None
        if spec is None:
            field = row.get("field") if isinstance(row, dict) else row
            problems.append(("actions", "InvalidValue", f"Actions: {field!r} is not an action"))
            continue
        value = row.get("value")
        if spec.subject == "notification_user":
            if not (
                isinstance(value, list)
                and len(value) == 3
                and all(isinstance(part, str) for part in value)
            ):
                message = "Actions: notification_user takes a recipient, a subject and a body"
                problems.append(("actions", "InvalidValue", message))
                continue
            value = value[0]
        problems += _value_problems("actions", spec, value)
    return problems


def _value_problems(key: str, spec: Field, value: Any) -> list[Problem]:
    label = key.capitalize()
    if value is None or value == "" or isinstance(value, bool | dict):
        return [(key, "BlankValue", f"{label}: {spec.subject} needs a value")]
    allowed = {choice for choice, _ in spec.values}
    if spec.kind == "list" and allowed and str(value) not in allowed:
        return [(key, "InvalidValue", f"{label}: {value!r} is not a value of {spec.subject}")]
    return []
