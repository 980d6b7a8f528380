"""Validate responses against Zendesk's official OpenAPI file, as the repository holds it.

The schemas come from ``zendesk-oas-compact.json`` beside this module: the operations the
project uses and the schemas they reference, derived from Zendesk's file by ``compact_oas.py``.
Where Zendesk's live behaviour departs from its own spec, the departure is listed here, by
name, and applied to a copy of the schema; nothing else is relaxed.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from jsonschema.exceptions import ValidationError  # type: ignore[import-untyped]
from openapi_schema_validator import OAS30Validator

from tests.sandbox.compact_oas import COMPACT

# Live Zendesk departs from the OpenAPI file in these ways (numbers are sections of the
# optional notes in ../shared/reference/zendesk-api-notes.md):
DEPARTURES: dict[str, dict[str, Any]] = {
    # Exports carry soft-deleted tickets with status "deleted" (notes 3.4.7).
    "TicketObject.status": {
        "enum": ["new", "open", "pending", "hold", "solved", "closed", "deleted"]
    },
    # Live tickets have nulls in fields the file types as non-null (the docs' own examples do).
    **{
        f"TicketObject.{field}": {"nullable": True}
        for field in (
            "assignee_id",
            "external_id",
            "type",
            "priority",
            "problem_id",
            "organization_id",
            "group_id",
            "forum_topic_id",
            "custom_status_id",
        )
    },
    "TicketObject.type": {
        "enum": ["problem", "incident", "question", "task", None],
        "nullable": True,
    },
    "TicketObject.priority": {"enum": ["urgent", "high", "normal", "low", None], "nullable": True},
    # Users without a default group have null there.
    "UserForAdmin.default_group_id": {"nullable": True},
    # Users who never signed in have a null last_login_at.
    "UserForAdmin.last_login_at": {"nullable": True},
    # Users created without an email (a name alone, or a phone) have a null email.
    "UserForAdmin.email": {"nullable": True},
    # Permanently deleted users have null email (the Users page says so; the schema does not).
    "DeletedUserObject.email": {"nullable": True},
    "DeletedUserObject.organization_id": {"nullable": True},
    # The file types this as a string on deleted users and a boolean on users; live data is the
    # user's boolean (or null).
    "DeletedUserObject.shared_phone_number": {"type": "boolean", "nullable": True},
    # Upsert results carry the union of the three result shapes, so several oneOf branches
    # match; each row is checked against its own branch in the bulk test instead.
    "JobStatusObject.results": {"oneOf": None, "nullable": True},
    # Custom field values are null when unset and booleans for checkboxes, not only strings.
    "TicketObject.custom_fields.items.value": {"type": None, "nullable": True},
    # A trigger's revision list has null cursors and URLs where no more revisions lie that way
    # (the file's own description of the endpoint says so; its schema types them as strings).
    **{
        f"TriggerRevisionsResponse.{field}": {"nullable": True}
        for field in ("after_cursor", "before_cursor", "after_url", "before_url")
    },
    # Views open to every agent have a null restriction, as macros do in the file itself.
    "ViewObject.restriction": {"nullable": True},
    # One rating is answered as one object, as the file's own description of the rating and
    # every client read it; the file types it as a list of them.
    "SatisfactionRatingResponse.satisfaction_rating": {
        "type": None,
        "allOf": [{"$ref": "#/components/schemas/SatisfactionRatingObject"}],
    },
}


@cache
def spec() -> dict[str, Any]:
    patched: dict[str, Any] = json.loads(COMPACT.read_text())
    for target, change in DEPARTURES.items():
        schema_name, *steps = target.split(".")
        node = patched["components"]["schemas"][schema_name]
        for step in steps:
            node = node[step] if step == "items" else node["properties"][step]
        node.update(change)
        for key in ("type", "oneOf"):
            if key in node and node[key] is None:
                node.pop(key)
    return patched


__all__ = [
    "ValidationError",
    "operation_path",
    "response_schema",
    "validate",
    "validate_response",
]


def validate(schema_name: str, instance: Any) -> None:
    """Raise ``ValidationError`` unless ``instance`` fits that ``components.schemas`` entry."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec()["components"]}
    OAS30Validator(root).validate(instance)


def response_schema(path: str, method: str = "get", status: str = "200") -> str:
    """The schema name the file gives for an operation's JSON response."""
    content = spec()["paths"][path][method]["responses"][status]
    ref: str = content["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def validate_response(path: str, method: str, status: str, instance: Any) -> None:
    """Raise ``ValidationError`` unless ``instance`` fits the file's schema for that response,
    whether the file names a schema or writes one in place (``allOf`` a list and its paging)."""
    content = spec()["paths"][path][method]["responses"][status]
    schema = content["content"]["application/json"]["schema"]
    OAS30Validator({**schema, "components": spec()["components"]}).validate(instance)


def operation_path(method: str, path: str) -> str:
    """The file's path template for a request path (``.json`` optional), literal paths first.

    Raises:
        KeyError: No operation of the compact file serves that method and path.
    """
    path = path.removesuffix(".json")
    candidates: list[str] = [
        template
        for template, item in spec()["paths"].items()
        if method.lower() in item and re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path)
    ]
    if not candidates:
        raise KeyError(f"no operation for {method} {path} in the compact OpenAPI file")
    return min(candidates, key=lambda template: template.count("{"))
