"""One drop-down option of a user field: create or update, show, delete.

``POST .../options`` updates the option whose id it names (200) and creates one otherwise (201),
with ``Location`` pointing at the field's options either way, as Zendesk documents. Deleting an
option clears it from the users who held it; renaming its value renames theirs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from zdsync.sandbox.fakedata import Record, iso, option_record
from zdsync.sandbox.user_field_writes import (
    WITH_OPTIONS,
    find_field,
    next_option_id,
    options_problems,
    replace_values,
)
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    body_object,
    forbidden,
    is_admin,
    is_staff,
    not_found,
    record_invalid,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App


def _option(field: Record, option_id: int) -> Record | None:
    return next((o for o in field.get("custom_field_options", []) if o["id"] == option_id), None)


def show(app: App, request: Request, ref: str, option_id: int) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    field = find_field(app.store, ref)
    option = _option(field, option_id) if field else None
    return json_reply(200, {"custom_field_option": option}) if option else not_found()


def create_or_update(app: App, request: Request, ref: str) -> Reply:
    if not is_admin(request.user):
        return forbidden()
    row = body_object(request, "custom_field_option")
    if isinstance(row, Reply):
        return row
    store = app.store
    with store.lock:
        field = find_field(store, ref)
        if field is None:
            return not_found()
        if field["type"] not in WITH_OPTIONS:
            message = f"Type: a {field['type']} field has no options"
            return record_invalid(("type", "InvalidValue", message))
        options: list[Record] = field["custom_field_options"]
        existing = _option(field, row["id"]) if isinstance(row.get("id"), int) else None
        others = [o for o in options if o is not existing]
        problems = options_problems([*others, {**(existing or {}), **row}])
        if problems:
            return record_invalid(*problems)
        position = row.get("position")
        if not isinstance(position, int):
            position = existing["position"] if existing else len(options)
        option_id = existing["id"] if existing else next_option_id(store)
        made = option_record(
            store.origin,
            "user_fields",
            field["id"],
            option_id,
            {**(existing or {}), **row},
            position,
        )
        if existing is not None:
            options[options.index(existing)] = made
            if existing["value"] != made["value"]:
                replace_values(store, field["key"], {existing["value"]: made["value"]})
        else:
            options.append(made)
        field["updated_at"] = iso(store.now())
    location = f"{store.origin}/api/v2/user_fields/{field['id']}/options.json"
    status = 200 if existing is not None else 201
    return json_reply(status, {"custom_field_option": made}, Location=location)


def delete(app: App, request: Request, ref: str, option_id: int) -> Reply:
    if not is_admin(request.user):
        return forbidden()
    store = app.store
    with store.lock:
        field = find_field(store, ref)
        option = _option(field, option_id) if field else None
        if field is None or option is None:
            return not_found()
        field["custom_field_options"].remove(option)
        replace_values(store, field["key"], {option["value"]: None})
        field["updated_at"] = iso(store.now())
    return Reply(204)


HANDLERS: dict[str, Callable[[App, Request, re.Match[str]], Reply]] = {
    "user_field_options.create_or_update": lambda a, r, m: create_or_update(
        a, r, m["user_field_id"]
    ),
    "user_field_options.show": lambda a, r, m: show(
        a, r, m["user_field_id"], int(m["user_field_option_id"])
    ),
    "user_field_options.delete": lambda a, r, m: delete(
        a, r, m["user_field_id"], int(m["user_field_option_id"])
    ),
}
