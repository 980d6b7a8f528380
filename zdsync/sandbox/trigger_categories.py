"""Trigger categories: list, show, create, update, delete, and the batch job that moves both
categories and triggers at once.

Their refusals use the ``errors`` list Zendesk gives this API (``TriggerCategoryNotFound``,
``InvalidTriggerCategory``, ``TriggerCategoryNotEmpty``) rather than the ``error`` and
``description`` of the older endpoints. The batch job is answered at once, ``complete`` or
``failed``: it is checked whole first, so a failed one changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zdsync.sandbox import lists
from zdsync.sandbox.fakedata import Record, iso
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import body_object, forbidden, invalid_value, is_staff

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

# Zendesk's own wording, typographic apostrophe included.
NOT_FOUND = ("TriggerCategoryNotFound", "Category can\u2019t be found. Check the ID and try again.")
BLANK = ("InvalidTriggerCategory", "Name cannot be blank")
NOT_EMPTY = ("TriggerCategoryNotEmpty", "A category with active ticket triggers cannot be deleted.")
SORTS = ("position", "name", "created_at", "updated_at")


def errors_reply(status: int, *errors: tuple[str, str], **extra: Any) -> Reply:
    body: Record = {"errors": [{"code": code, "title": title} for code, title in errors], **extra}
    return json_reply(status, body)


def _listed(store: Store, request: Request, groups: tuple[str, ...]) -> list[Record] | Reply:
    if not is_staff(request.user):
        return forbidden()
    raw = request.query.get("sort", "position")
    order = raw.removeprefix("-")
    if order not in SORTS:
        allowed = ", ".join(f"{s}, -{s}" for s in SORTS)
        return invalid_value(f"sort must be one of {allowed}")
    book = store.triggers
    rows = sorted(book.categories.values(), key=lambda c: (c[order], int(c["id"])))
    rows = rows[::-1] if raw.startswith("-") else rows
    if request.query.get("include") == "rule_counts":
        rows = [{**row, **_rule_counts(store, row["id"])} for row in rows]
    return rows


def _rule_counts(store: Store, category_id: str) -> Record:
    members = store.triggers.in_category(category_id)
    active = sum(1 for t in members if t["active"])
    return {"active_count": active, "inactive_count": len(members) - active}


LISTING = lists.Listing("trigger_categories.list", _listed, ("sort", "include"), by_id=False)


def show(app: App, request: Request, category_id: str) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    category = app.store.triggers.categories.get(category_id)
    if category is None:
        return errors_reply(404, NOT_FOUND)
    return json_reply(200, {"trigger_category": category})


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/trigger_categories``: 200 (Zendesk's, not 201) and the category."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "trigger_category")
    if isinstance(row, Reply):
        return row
    problem = _problem(row, creating=True)
    if problem is not None:
        return problem
    book = app.store.triggers
    with app.store.lock:
        last = max((c["position"] for c in book.categories.values()), default=-1)
        category = book.add_category(
            row["name"].strip(), row.get("position", last + 1), app.store.now()
        )
    return json_reply(200, {"trigger_category": category})


def update(app: App, request: Request, category_id: str) -> Reply:
    """``PATCH /api/v2/trigger_categories/{id}``: name and position."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "trigger_category")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        category = app.store.triggers.categories.get(category_id)
        if category is None:
            return errors_reply(404, NOT_FOUND)
        problem = _problem(row, creating=False)
        if problem is not None:
            return problem
        category.update({k: row[k] for k in ("name", "position") if k in row})
        category["updated_at"] = iso(app.store.now())
    return json_reply(200, {"trigger_category": category})


def _problem(row: Record, *, creating: bool) -> Reply | None:
    name = row.get("name")
    if (creating or "name" in row) and (not isinstance(name, str) or not name.strip()):
        return errors_reply(400, BLANK)
    position = row.get("position")
    if position is not None and (not isinstance(position, int) or isinstance(position, bool)):
        return errors_reply(400, ("InvalidTriggerCategory", "Position must be an integer"))
    return None


def delete(app: App, request: Request, category_id: str) -> Reply:
    """``DELETE /api/v2/trigger_categories/{id}``: refused while it holds an active trigger;
    its inactive triggers go with it."""
    if not is_staff(request.user):
        return forbidden()
    book = app.store.triggers
    with app.store.lock:
        if category_id not in book.categories:
            return errors_reply(404, NOT_FOUND)
        members = book.in_category(category_id)
        if any(t["active"] for t in members):
            return errors_reply(400, NOT_EMPTY)
        for trigger in members:
            book.delete_trigger(trigger["id"])
        del book.categories[category_id]
    return Reply(204)


def batch(app: App, request: Request) -> Reply:
    """``POST /api/v2/trigger_categories/jobs``: positions of categories, and the position,
    activity and category of triggers, in one go."""
    if not is_staff(request.user):
        return forbidden()
    job = body_object(request, "job")
    if isinstance(job, Reply):
        return job
    items = job.get("items")
    if job.get("action") != "patch" or not isinstance(items, dict):
        return errors_reply(400, ("InvalidJob", "action must be patch, with items"))
    categories, triggers = items.get("trigger_categories") or [], items.get("triggers") or []
    if not isinstance(categories, list) or not isinstance(triggers, list):
        return errors_reply(400, ("InvalidJob", "items must be lists"))
    store = app.store
    with store.lock:
        failures = _batch_failures(store, categories, triggers)
        if failures:
            return json_reply(400, {"errors": failures, "status": "failed"})
        now, author = store.now(), int(request.user["id"]) if request.user else 0
        moved = []
        for row in categories:
            category = store.triggers.categories[str(row["id"])]
            category.update(position=row["position"], updated_at=iso(now))
            moved.append(category)
        changed = [
            store.triggers.change_trigger(int(row["id"]), _trigger_changes(row), author, now)
            for row in triggers
        ]
    return json_reply(
        200, {"results": {"trigger_categories": moved, "triggers": changed}, "status": "complete"}
    )


def _trigger_changes(row: Record) -> Record:
    changes: Record = {k: row[k] for k in ("active", "position") if k in row}
    if "category_id" in row:
        changes["category_id"] = str(row["category_id"])
    return changes


def _batch_failures(store: Store, categories: list[Any], triggers: list[Any]) -> list[Record]:
    failures: list[Record] = []
    book = store.triggers
    for row in categories:
        if not isinstance(row, dict) or str(row.get("id")) not in book.categories:
            failures.append({"code": NOT_FOUND[0], "title": NOT_FOUND[1]})
        elif not isinstance(row.get("position"), int):
            failures.append({"code": "InvalidTriggerCategory", "title": "position is required"})
    for row in triggers:
        trigger_id = str(row.get("id")) if isinstance(row, dict) else ""
        if not trigger_id.isdigit() or int(trigger_id) not in book.triggers:
            failures.append(
                {"code": "InvalidTrigger", "title": "id is not valid", "trigger_id": trigger_id}
            )
        elif "category_id" in row and str(row["category_id"]) not in book.categories:
            failures.append(
                {
                    "code": "InvalidTrigger",
                    "title": "category_id is not valid",
                    "trigger_id": trigger_id,
                }
            )
    return failures


HANDLERS: dict[str, Callable[[App, Request, re.Match[str]], Reply]] = {
    LISTING.operation: lambda a, r, m: lists.serve(a.store, LISTING, r, m.groups(), a.selections),
    "trigger_categories.show": lambda a, r, m: show(a, r, m["trigger_category_id"]),
    "trigger_categories.create": lambda a, r, m: create(a, r),
    "trigger_categories.update": lambda a, r, m: update(a, r, m["trigger_category_id"]),
    "trigger_categories.delete": lambda a, r, m: delete(a, r, m["trigger_category_id"]),
    "trigger_categories.jobs": lambda a, r, m: batch(a, r),
}
