"""User fields and their drop-down options: show, create, update, reorder, delete.

A field is named by its id or its key. Agents read, admins write. A new field's key must be
unique, of letters, digits and underscores, and not only digits; drop-down and multiselect
fields need options, each with a name and a value unique in the field. Updating a field's
options replaces them: an option sent without an id is new, one left out is removed, and users
holding a removed value lose it (a renamed value follows its option). A field's key and type
are fixed once it exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zdsync.sandbox import lists
from zdsync.sandbox.fakedata import Record, iso, option_record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    forbidden,
    invalid_value,
    is_admin,
    is_staff,
    not_found,
    record_invalid,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

TYPES = (
    "text",
    "textarea",
    "checkbox",
    "date",
    "integer",
    "decimal",
    "regexp",
    "dropdown",
    "lookup",
    "multiselect",
)
WITH_OPTIONS = ("dropdown", "multiselect")
UPDATABLE = ("title", "description", "position", "active", "regexp_for_validation", "tag")
_KEY = re.compile(r"[A-Za-z0-9_]+")


def find_field(store: Store, ref: str) -> Record | None:
    """The user field whose id, or else whose key, is ``ref``."""
    for field in store.user_fields:
        if str(field["id"]) == ref:
            return field
    return next((field for field in store.user_fields if field["key"] == ref), None)


def show(app: App, request: Request, ref: str) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    field = find_field(app.store, ref)
    return json_reply(200, {"user_field": field}) if field else not_found()


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/user_fields``: 201 and the field, last unless placed; every user gets
    the new key, unset."""
    if not is_admin(request.user):
        return forbidden()
    row = body_object(request, "user_field")
    if isinstance(row, Reply):
        return row
    store = app.store
    with store.lock:
        row = {"type": "text", **row}
        problems = _new_field_problems(store, row) + _field_problems(row)
        if problems:
            return record_invalid(*problems)
        field_id = max((f["id"] for f in store.user_fields), default=0) + 1
        stamp = iso(store.now())
        field: Record = {
            "id": field_id,
            "url": f"{store.origin}/api/v2/user_fields/{field_id}.json",
            "key": row["key"],
            "type": row["type"],
            "title": row["title"],
            "raw_title": row["title"],
            "description": row.get("description") or "",
            "raw_description": row.get("description") or "",
            "position": row.get("position", len(store.user_fields)),
            "active": row.get("active", True),
            "system": False,
            "regexp_for_validation": row.get("regexp_for_validation"),
            "created_at": stamp,
            "updated_at": stamp,
        }
        if row["type"] in WITH_OPTIONS:
            field["custom_field_options"] = _options(store, field_id, row["custom_field_options"])
        store.user_fields.append(field)
        _set_user_values(store, lambda values: {**values, field["key"]: None})
    return json_reply(201, {"user_field": field})


def _new_field_problems(store: Store, row: Record) -> list[Problem]:
    key = row.get("key")
    if not isinstance(key, str) or not key:
        return [("key", "BlankValue", "Key: cannot be blank")]
    if not _KEY.fullmatch(key) or key.isdigit():
        return [("key", "InvalidValue", "Key: is invalid")]
    if any(f["key"] == key for f in store.user_fields):
        return [("key", "DuplicateValue", "Key: has already been taken")]
    if row["type"] not in TYPES:
        return [("type", "InvalidValue", "Type: is not included in the list")]
    return []


def _field_problems(row: Record) -> list[Problem]:
    problems: list[Problem] = []
    title = row.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(("title", "BlankValue", "Title: cannot be blank"))
    position = row.get("position", 0)
    if not isinstance(position, int) or isinstance(position, bool):
        problems.append(("position", "InvalidValue", "Position: must be an integer"))
    if not isinstance(row.get("active", True), bool):
        problems.append(("active", "InvalidValue", "Active: must be true or false"))
    if row.get("type") == "regexp" and not row.get("regexp_for_validation"):
        message = "Regexp for validation: cannot be blank"
        problems.append(("regexp_for_validation", "BlankValue", message))
    if row.get("type") in WITH_OPTIONS:
        problems += options_problems(row.get("custom_field_options"))
    return problems


def options_problems(options: Any) -> list[Problem]:
    """At least one option, each with a name and a value no other option has."""
    key = "custom_field_options"
    if not isinstance(options, list) or not options:
        return [(key, "BlankValue", "Custom field options: cannot be blank")]
    problems: list[Problem] = []
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, dict) or not option.get("name") or not option.get("value"):
            problems.append((key, "BlankValue", "Custom field options: need a name and a value"))
        elif str(option["value"]) in seen:
            problems.append((key, "DuplicateValue", f"Value: {option['value']} is taken"))
        else:
            seen.add(str(option["value"]))
    return problems


def _options(store: Store, field_id: int, given: list[Record]) -> list[Record]:
    """Options as stored: a given id kept when the field has it, a new id otherwise."""
    field = next((f for f in store.user_fields if f["id"] == field_id), None)
    existing = {o["id"] for o in (field or {}).get("custom_field_options", [])}
    made = []
    fresh = next_option_id(store)
    for position, option in enumerate(given):
        if option.get("id") in existing:
            option_id: int = option["id"]
        else:
            option_id, fresh = fresh, fresh + 1
        made.append(
            option_record(store.origin, "user_fields", field_id, option_id, option, position)
        )
    return made


def next_option_id(store: Store) -> int:
    ids = [int(o["id"]) for f in store.user_fields for o in f.get("custom_field_options", [])]
    return max([9000, *ids]) + 1


def update(app: App, request: Request, ref: str) -> Reply:
    """``PUT /api/v2/user_fields/{id or key}``: title, description, position, activity and
    the whole list of options."""
    if not is_admin(request.user):
        return forbidden()
    row = body_object(request, "user_field")
    if isinstance(row, Reply):
        return row
    store = app.store
    with store.lock:
        field = find_field(store, ref)
        if field is None:
            return not_found()
        merged = {**field, **{k: row[k] for k in (*UPDATABLE, "custom_field_options") if k in row}}
        problems = _field_problems(merged)
        if problems:
            return record_invalid(*problems)
        changed = {k: row[k] for k in UPDATABLE if k in row}
        if "title" in changed:
            changed["raw_title"] = changed["title"]
        if field["type"] in WITH_OPTIONS and "custom_field_options" in row:
            options = _options(store, field["id"], row["custom_field_options"])
            now_valued = {o["id"]: o["value"] for o in options}
            replaced = {
                o["value"]: now_valued.get(o["id"])
                for o in field["custom_field_options"]
                if now_valued.get(o["id"]) != o["value"]
            }
            changed["custom_field_options"] = options
            replace_values(store, field["key"], replaced)
        field.update(changed, updated_at=iso(store.now()))
    return json_reply(200, {"user_field": field})


def delete(app: App, request: Request, ref: str) -> Reply:
    """``DELETE /api/v2/user_fields/{id or key}``: 204; users lose the key."""
    if not is_admin(request.user):
        return forbidden()
    store = app.store
    with store.lock:
        field = find_field(store, ref)
        if field is None:
            return not_found()
        store.user_fields.remove(field)
        key = field["key"]
        _set_user_values(store, lambda values: {k: v for k, v in values.items() if k != key})
    return Reply(204)


def reorder(app: App, request: Request) -> Reply:
    """``PUT /api/v2/user_fields/reorder``: the ids in the new order, an empty 200.

    Fields left out keep their order, after the listed ones.
    """
    if not is_admin(request.user):
        return forbidden()
    try:
        body = request.json()
    except ValueError:
        body = None
    ids = body.get("user_field_ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        return invalid_value("user_field_ids must be a list of user field ids")
    store = app.store
    with store.lock:
        by_id = {f["id"]: f for f in store.user_fields}
        if any(i not in by_id for i in ids):
            return not_found()
        rest = [f for f in sorted(store.user_fields, key=_position) if f["id"] not in ids]
        for position, field in enumerate([*(by_id[i] for i in dict.fromkeys(ids)), *rest]):
            field["position"] = position
    return Reply(200)


def _position(field: Record) -> tuple[int, int]:
    return int(field["position"]), int(field["id"])


def replace_values(store: Store, key: str, replaced: dict[str, str | None]) -> None:
    """Users holding an old value of field ``key`` hold its replacement: a renamed option's new
    value, or nothing for a removed option."""
    if replaced:
        _set_user_values(
            store,
            lambda held: {**held, key: replaced[held[key]]} if held.get(key) in replaced else held,
        )


def _set_user_values(store: Store, change: Callable[[Record], Record]) -> None:
    # A field's definition changing is not an edit of the users: Zendesk documents the values
    # going, not the users counting as updated, so updated_at and the export order stay.
    for user in list(store.users.records.values()):
        values = user.get("user_fields") or {}
        changed = change(values)
        if changed != values:
            store.users.rewrite({**user, "user_fields": changed})


def _options_listed(
    store: Store, request: Request, groups: tuple[str, ...]
) -> list[Record] | Reply:
    if not is_staff(request.user):
        return forbidden()
    field = find_field(store, groups[0])
    if field is None:
        return not_found()
    return sorted(field.get("custom_field_options", []), key=lambda o: (o["position"], o["id"]))


OPTIONS = lists.Listing("user_field_options.list", _options_listed, by_id=False)


HANDLERS: dict[str, Callable[[App, Request, re.Match[str]], Reply]] = {
    "user_fields.show": lambda a, r, m: show(a, r, m["user_field_id"]),
    "user_fields.create": lambda a, r, m: create(a, r),
    "user_fields.update": lambda a, r, m: update(a, r, m["user_field_id"]),
    "user_fields.delete": lambda a, r, m: delete(a, r, m["user_field_id"]),
    "user_fields.reorder": lambda a, r, m: reorder(a, r),
    OPTIONS.operation: lambda a, r, m: lists.serve(a.store, OPTIONS, r, m.groups(), a.selections),
}
