"""Trigger writes: create, update, delete, and the bulk update, delete and reorder.

A trigger needs a title, at least one condition and at least one action, each of a field
``trigger_rules`` knows; a failing one is Zendesk's 422 ``RecordInvalid`` with ``details``.
Updating conditions or actions replaces both lists: a change that names only one leaves the
other empty, and is refused for it. Bulk requests are checked whole before anything changes,
so a refused one changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.trigger_rules import action_problems, condition_problems
from zdsync.sandbox.wire import Reply, Request, error_reply, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    body_objects,
    forbidden,
    integer_ids,
    invalid_value,
    is_staff,
    not_found,
    query_ids,
    record_invalid,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

UPDATABLE = ("title", "description", "active", "position", "category_id", "conditions", "actions")
# What update_many changes; anything else in its rows is ignored, as Zendesk documents.
BULK_UPDATABLE = ("position", "active", "category_id")


def trigger_problems(store: Store, row: Record) -> list[Problem]:
    """A blank title, a category that does not exist, conditions or actions that do not hold."""
    problems: list[Problem] = []
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(("title", "BlankValue", "Title: cannot be blank"))
    problems += _category_problems(store, row)
    problems += condition_problems(row.get("conditions"), store.user_fields)
    problems += action_problems(row.get("actions"))
    if "active" in row and not isinstance(row["active"], bool):
        problems.append(("active", "InvalidValue", "Active: must be true or false"))
    return problems


def _category_problems(store: Store, row: Record) -> list[Problem]:
    if "category_id" in row and str(row["category_id"]) not in store.triggers.categories:
        return [("category_id", "InvalidValue", "Category: is not valid")]
    if "position" in row and (
        not isinstance(row["position"], int) or isinstance(row["position"], bool)
    ):
        return [("position", "InvalidValue", "Position: must be an integer")]
    return []


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/triggers``: 201 and the trigger, last in its category unless placed."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "trigger")
    if isinstance(row, Reply):
        return row
    store = app.store
    with store.lock:
        problems = trigger_problems(store, row)
        if problems:
            return record_invalid(*problems)
        category = str(row.get("category_id") or store.triggers.first_category() or "")
        if not category:
            category = store.triggers.add_category("Triggers", 0, store.now())["id"]
        fields = {key: row[key] for key in UPDATABLE if key in row}
        fields["category_id"] = category
        fields.setdefault("position", store.triggers.last_position(category) + 1)
        trigger = store.triggers.add_trigger(fields, _author(request), store.now())
    return json_reply(201, {"trigger": trigger})


def update(app: App, request: Request, trigger_id: int) -> Reply:
    """``PUT /api/v2/triggers/{id}``: the changed trigger, a revision when it changed."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "trigger")
    if isinstance(row, Reply):
        return row
    store = app.store
    with store.lock:
        existing = store.triggers.triggers.get(trigger_id)
        if existing is None:
            return not_found()
        changes = {key: row[key] for key in UPDATABLE if key in row}
        if "conditions" in changes or "actions" in changes:
            changes.setdefault("conditions", {"all": [], "any": []})
            changes.setdefault("actions", [])
        if "category_id" in changes:
            changes["category_id"] = str(changes["category_id"])
        problems = trigger_problems(store, {**existing, **changes})
        if problems:
            return record_invalid(*problems)
        trigger = store.triggers.change_trigger(trigger_id, changes, _author(request), store.now())
    return json_reply(200, {"trigger": trigger})


def delete(app: App, request: Request, trigger_id: int) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        if trigger_id not in app.store.triggers.triggers:
            return not_found()
        app.store.triggers.delete_trigger(trigger_id)
    return Reply(204)


def update_many(app: App, request: Request) -> Reply:
    """``PUT /api/v2/triggers/update_many``: position, active and category of each, at once."""
    if not is_staff(request.user):
        return forbidden()
    rows = body_objects(request, "triggers")
    if isinstance(rows, Reply):
        return rows
    store = app.store
    with store.lock:
        checked = _bulk_changes(store, rows)
        if isinstance(checked, Reply):
            return checked
        author, now = _author(request), store.now()
        changed = [
            store.triggers.change_trigger(trigger_id, changes, author, now)
            for trigger_id, changes in checked
        ]
    return json_reply(200, {"triggers": changed})


def _bulk_changes(store: Store, rows: list[Record]) -> list[tuple[int, Record]] | Reply:
    checked: list[tuple[int, Record]] = []
    for row in rows:
        trigger_id = row.get("id")
        if not isinstance(trigger_id, int) or isinstance(trigger_id, bool):
            return invalid_value("each trigger needs an integer id")
        if trigger_id not in store.triggers.triggers:
            return not_found()
        changes = {key: row[key] for key in BULK_UPDATABLE if key in row}
        if "category_id" in changes:
            changes["category_id"] = str(changes["category_id"])
        problems = _category_problems(store, changes)
        if "active" in changes and not isinstance(changes["active"], bool):
            problems.append(("active", "InvalidValue", "Active: must be true or false"))
        if problems:
            return record_invalid(*problems)
        checked.append((trigger_id, changes))
    return checked


def destroy_many(app: App, request: Request) -> Reply:
    """``DELETE /api/v2/triggers/destroy_many?ids=``: 204, or nothing deleted at all."""
    if not is_staff(request.user):
        return forbidden()
    given = query_ids(request)
    if given is None:
        return invalid_value("ids is required")
    ids = integer_ids("ids", given)
    if isinstance(ids, Reply):
        return ids
    with app.store.lock:
        if any(trigger_id not in app.store.triggers.triggers for trigger_id in ids):
            return not_found()
        for trigger_id in ids:
            app.store.triggers.delete_trigger(trigger_id)
    return Reply(204)


def reorder(app: App, request: Request) -> Reply:
    """``PUT /api/v2/triggers/reorder``: every trigger's id, in the new firing order.

    Zendesk refuses it when the account has more than one category, and when an id is missing.
    """
    if not is_staff(request.user):
        return forbidden()
    ids = _trigger_ids(request)
    if ids is None:
        return invalid_value("trigger_ids must be a list of trigger ids")
    book = app.store.triggers
    with app.store.lock:
        if len(book.categories) > 1:
            return error_reply(
                422,
                "LimitOneCategory",
                "Reordering triggers is not permitted with more than one trigger category",
            )
        if sorted(ids) != sorted(book.triggers):
            return error_reply(404, "RecordNotFound", "trigger_ids must list every trigger")
        author, now = _author(request), app.store.now()
        for place, trigger_id in enumerate(ids, start=1):
            book.change_trigger(trigger_id, {"position": place}, author, now)
    # The file gives this the one-trigger TriggerResponse, which a reorder of every trigger
    # cannot mean; the answer is an empty 200, as the user field reorder's is.
    return Reply(200)


def _trigger_ids(request: Request) -> list[int] | None:
    try:
        body = request.json()
    except ValueError:
        return None
    ids = body.get("trigger_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return None
    return ids


def _author(request: Request) -> int:
    return int(request.user["id"]) if request.user else 0


HANDLERS: dict[str, Callable[[App, Request, re.Match[str]], Reply]] = {
    "triggers.create": lambda a, r, m: create(a, r),
    "triggers.update": lambda a, r, m: update(a, r, int(m["trigger_id"])),
    "triggers.delete": lambda a, r, m: delete(a, r, int(m["trigger_id"])),
    "triggers.update_many": lambda a, r, m: update_many(a, r),
    "triggers.destroy_many": lambda a, r, m: destroy_many(a, r),
    "triggers.reorder": lambda a, r, m: reorder(a, r),
}
