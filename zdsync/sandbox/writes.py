"""What every write handler shares: who may write, reading the body, Zendesk's refusals.

Refusals follow Zendesk's order: 403 for a caller who may not write at all, 400 for a request
that is not the right shape (or holds more than 100 items), 404 for an unknown record, 422
``RecordInvalid`` with ``details`` keyed by field for a record that fails validation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zdsync.catalog.model import BULK_MAX
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.wire import FORBIDDEN, NOT_FOUND, Reply, Request, error_reply, json_reply

# One field's problem: the field's key, Zendesk's error code, and the description.
Problem = tuple[str, str, str]


def record_invalid(*problems: Problem) -> Reply:
    """Zendesk's 422 for a record that fails validation, ``details`` keyed by field."""
    details: dict[str, list[dict[str, str]]] = {}
    for field, code, description in problems:
        details.setdefault(field, []).append({"description": description, "error": code})
    return json_reply(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
    )


def not_found() -> Reply:
    return error_reply(404, *NOT_FOUND)


def forbidden() -> Reply:
    return error_reply(403, *FORBIDDEN)


def invalid_value(description: str) -> Reply:
    return error_reply(400, "InvalidValue", description)


def is_staff(user: Record | None) -> bool:
    return user is not None and user["role"] in ("agent", "admin")


def is_admin(user: Record | None) -> bool:
    return user is not None and user["role"] == "admin"


def body_object(request: Request, key: str) -> Record | Reply:
    """The JSON object under ``key`` in the body, or a 400 naming what is missing."""
    body = _body(request)
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, dict):
        return invalid_value(f"{key} must be an object")
    return value


def body_objects(request: Request, key: str) -> list[Record] | Reply:
    """The non-empty list of at most 100 objects under ``key``, or a 400."""
    body = _body(request)
    rows = body.get(key) if isinstance(body, dict) else None
    checked: list[Record] | Reply = checked_items(key, rows, lambda row: isinstance(row, dict))
    return checked


def query_ids(request: Request, key: str = "ids") -> list[str] | None:
    """The comma-separated values of a query parameter, or None when it is absent."""
    raw = request.query.get(key)
    return None if raw is None else [part.strip() for part in raw.split(",") if part.strip()]


def checked_items(key: str, items: Any, fits: Callable[[Any], bool]) -> Any:
    """``items`` when it is a non-empty list of at most 100 that fit, else Zendesk's 400."""
    if not isinstance(items, list) or not items or not all(fits(item) for item in items):
        return invalid_value(f"{key} must be a non-empty list")
    if len(items) > BULK_MAX:
        return invalid_value(f"At most {BULK_MAX} {key} can be sent per request")
    return items


def integer_ids(key: str, values: list[str]) -> list[int] | Reply:
    """Values as integer ids, or a 400 naming the first that is not one."""
    checked = checked_items(key, values, lambda value: True)
    if isinstance(checked, Reply):
        return checked
    try:
        return [int(value) for value in values]
    except ValueError:
        return invalid_value(f"{key} must be integers")


def update_many_rows(request: Request, one: str, many: str) -> list[Record] | Reply:
    """An ``update_many`` body's rows, each with its id: one change (``one``) to every id of
    ``?ids=``, or a list (``many``) of changes that each carry their own."""
    ids = query_ids(request)
    rows: list[Record] | Reply
    if ids is not None:
        checked = integer_ids("ids", ids)
        change = body_object(request, one)
        if isinstance(checked, Reply):
            return checked
        if isinstance(change, Reply):
            return change
        rows = [{**change, "id": record_id} for record_id in checked]
    else:
        rows = body_objects(request, many)
    if isinstance(rows, Reply):
        return rows
    if not all(isinstance(row.get("id"), int) for row in rows):
        return invalid_value(f"every {one} of {many} needs an id")
    return rows


def failed_row(index: int, record_id: Any, action: str, error: str, details: str) -> Record:
    """A job's per-row failure, in the shape of the file's ``FailedResult``."""
    return {
        "index": index,
        "id": record_id,
        "action": action,
        "success": False,
        "status": "Failed",
        "error": error,
        "details": details,
    }


def updated_row(index: int, record_id: int) -> Record:
    return {
        "index": index,
        "id": record_id,
        "action": "update",
        "success": True,
        "status": "Updated",
    }


def created_row(index: int, record_id: int) -> Record:
    return {
        "index": index,
        "id": record_id,
        "action": "create",
        "success": True,
        "status": "Created",
    }


def _body(request: Request) -> Any:
    try:
        return request.json()
    except ValueError:
        return None
