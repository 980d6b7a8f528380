"""User writes: create, create_many, update, update_many, delete, destroy_many and merge.

Deletion is soft, as Zendesk's is: the user turns ``active: false``, stays in the incremental
export with that flag, and shows in ``/api/v2/deleted_users``. A merge moves the source's
requested tickets and email addresses to the target, then soft-deletes the source.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zdsync.sandbox.bulk import (
    BULK_DISABLED,
    apply_user,
    email_is_valid,
    invalid_user_fields,
)
from zdsync.sandbox.bulk import may_write_users_in_bulk as may_manage_users
from zdsync.sandbox.config import ADMIN_EMAIL
from zdsync.sandbox.fakedata import ROLES, Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, error_reply, json_reply
from zdsync.sandbox.writes import (
    Problem,
    body_object,
    body_objects,
    checked_items,
    created_row,
    failed_row,
    forbidden,
    integer_ids,
    invalid_value,
    is_admin,
    not_found,
    query_ids,
    record_invalid,
    updated_row,
)

if TYPE_CHECKING:
    from zdsync.sandbox.server import App


def create(app: App, request: Request) -> Reply:
    """``POST /api/v2/users``: 201 and the user, or 422 with what is wrong."""
    if not may_manage_users(request.user):
        return forbidden()
    row = body_object(request, "user")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        problems = user_problems(app.store, row, None)
        if problems:
            return record_invalid(*problems)
        user = create_user(app.store, row)
    return json_reply(201, {"user": user})


def create_many(app: App, request: Request) -> Reply:
    """``POST /api/v2/users/create_many``: a job creating each user, failures per row."""
    if not app.config.bulk_imports_enabled:
        return error_reply(403, *BULK_DISABLED)
    if not may_manage_users(request.user):
        return forbidden()
    rows = body_objects(request, "users")
    if isinstance(rows, Reply):
        return rows
    return app.jobs.queue(rows, _create_row, "Bulk Create User")


def update(app: App, request: Request, user_id: int) -> Reply:
    """``PUT /api/v2/users/{id}``: the changed user; paced per user like create_or_update."""
    if not may_manage_users(request.user):
        return forbidden()
    row = body_object(request, "user")
    if isinstance(row, Reply):
        return row
    headers: dict[str, str] = {}
    limited = app.limits.check_single_write(str(user_id), headers)
    if limited is not None:
        return limited
    with app.store.lock:
        user = live_user(app.store, user_id)
        if user is None:
            return not_found()
        if not may_change(request.user, user, row):
            return forbidden()
        problems = user_problems(app.store, row, user)
        if problems:
            return record_invalid(*problems)
        changed = apply_user(app.store, row, user)
    return json_reply(200, {"user": changed}, **headers)


def update_many(app: App, request: Request) -> Reply:
    """``PUT /api/v2/users/update_many``: one change to ``?ids=``/``?external_ids=``, or one
    change each in ``users`` (each naming its ``id`` or ``external_id``)."""
    if not may_manage_users(request.user):
        return forbidden()
    if "ids" in request.query or "external_ids" in request.query:
        targets, change = _targets(request), body_object(request, "user")
        if isinstance(targets, Reply):
            return targets
        if isinstance(change, Reply):
            return change
        rows: list[Record] | Reply = [{**change, **target} for target in targets]
    else:
        rows = body_objects(request, "users")
    if isinstance(rows, Reply):
        return rows
    if not all(row.get("id") is not None or row.get("external_id") for row in rows):
        return invalid_value("every user of users needs an id or an external_id")
    caller = request.user

    def work(store: Store, row: Record, index: int) -> Record:
        return _update_row(store, caller, row, index)

    return app.jobs.queue(rows, work, "Bulk Update User")


def delete(app: App, request: Request, user_id: int) -> Reply:
    """``DELETE /api/v2/users/{id}``: the user, now ``active: false``."""
    if not may_manage_users(request.user):
        return forbidden()
    with app.store.lock:
        user = live_user(app.store, user_id)
        if user is None:
            return not_found()
        if not may_delete(request.user, user):
            return forbidden()
        deleted = app.store.soft_delete_user(user_id)
    return json_reply(200, {"user": deleted})


def destroy_many(app: App, request: Request) -> Reply:
    """``DELETE /api/v2/users/destroy_many``: a job soft-deleting each user; admins only."""
    if not is_admin(request.user):
        return forbidden()
    rows = _targets(request)
    if isinstance(rows, Reply):
        return rows
    return app.jobs.queue(rows, _delete_row, "Bulk Delete Users")


def merge(app: App, request: Request, user_id: int) -> Reply:
    """``PUT /api/v2/users/{id}/merge``: the path's end user into the body's; the target."""
    if not may_manage_users(request.user):
        return forbidden()
    row = body_object(request, "user")
    if isinstance(row, Reply):
        return row
    with app.store.lock:
        source = live_user(app.store, user_id)
        if source is None:
            return not_found()
        target = _merge_target(app.store, row)
        if target is None:
            return not_found()
        problems = merge_problems(app, source, target)
        if problems:
            return record_invalid(*problems)
        merged = _merge(app.store, source, target)
    return json_reply(200, {"user": merged})


def live_user(store: Store, user_id: int) -> Record | None:
    """A user that is not deleted."""
    user = store.users.records.get(user_id)
    return user if user is not None and user["active"] else None


def may_change(caller: Record | None, user: Record, row: Record | None = None) -> bool:
    """Admins change anyone; agents only end users, and never into staff."""
    if is_admin(caller):
        return True
    promotes = row is not None and row.get("role", "end-user") != "end-user"
    return user["role"] == "end-user" and not promotes


def may_delete(caller: Record | None, user: Record) -> bool:
    """As ``may_change``, and nobody deletes the account owner."""
    return may_change(caller, user) and user.get("email") != ADMIN_EMAIL


def create_user(store: Store, row: Record) -> Record:
    """A new user from a valid row; a custom role makes an agent whatever role it names."""
    custom_role = row.get("custom_role_id")
    if custom_role is None:
        return apply_user(store, row, None)
    user = apply_user(store, {**row, "role": "agent"}, None)
    return store.update_user(user["id"], custom_role_id=custom_role)


def user_problems(store: Store, row: Record, existing: Record | None) -> list[Problem]:
    """What Zendesk would refuse in a new user (``existing`` None) or a change to one."""
    problems: list[Problem] = []
    name = row.get("name", existing["name"] if existing else None)
    if not isinstance(name, str) or not name.strip():
        problems.append(("name", "InvalidValue", "Name: is too short (minimum is 1 character)"))
    email = row.get("email")
    if email is not None and not (isinstance(email, str) and email_is_valid(email)):
        problems.append(("email", "InvalidValue", f"Email: {email} is not properly formatted"))
    elif isinstance(email, str) and _taken(store.find_user(email=email), existing):
        message = f"Email: {email} is already being used by another user"
        problems.append(("email", "DuplicateValue", message))
    external_id = row.get("external_id")
    if external_id and _taken(store.find_user(external_id=str(external_id)), existing):
        message = f"External: {external_id} has already been taken"
        problems.append(("external_id", "DuplicateValue", message))
    if "role" in row and row["role"] not in ROLES:
        problems.append(("role", "InvalidValue", f"Role: {row['role']} is not valid"))
    org = row.get("organization_id")
    if org is not None and org not in store.organizations.records:
        problems.append(("organization_id", "InvalidValue", f"Organization: {org} is invalid"))
    field = invalid_user_fields(row.get("user_fields") or {})
    if field is not None:
        problems.append(("user_fields", *field))
    return problems


def merge_problems(app: App, source: Record, target: Record) -> list[Problem]:
    """Only end users merge, never into themselves, and only with few enough tickets."""
    problems: list[Problem] = []
    if source["id"] == target["id"]:
        problems.append(("base", "InvalidValue", "A user cannot be merged into itself"))
    if source["role"] != "end-user" or target["role"] != "end-user":
        problems.append(("base", "InvalidValue", "Only end users can be merged"))
    limit = app.config.user_merge_max_requested_tickets
    if len(_requested(app.store, source["id"])) > limit:
        message = f"Users who requested more than {limit} tickets cannot be merged"
        problems.append(("base", "InvalidValue", message))
    return problems


def _taken(owner: Record | None, existing: Record | None) -> bool:
    return owner is not None and (existing is None or owner["id"] != existing["id"])


def _targets(request: Request) -> list[Record] | Reply:
    """The users ``?ids=`` or ``?external_ids=`` name, as rows with an id or external_id."""
    ids, external_ids = query_ids(request), query_ids(request, "external_ids")
    if ids is not None:
        checked = integer_ids("ids", ids)
        return checked if isinstance(checked, Reply) else [{"id": i} for i in checked]
    if external_ids is not None:
        found = checked_items("external_ids", external_ids, lambda value: True)
        return found if isinstance(found, Reply) else [{"external_id": e} for e in found]
    return invalid_value("ids or external_ids is required")


def _find(store: Store, row: Record) -> Record | None:
    if row.get("id") is not None:
        return live_user(store, row["id"]) if isinstance(row["id"], int) else None
    return store.find_user(external_id=str(row["external_id"]))


def _create_row(store: Store, row: Record, index: int) -> Record:
    problems = user_problems(store, row, None)
    if problems:
        return failed_row(index, None, "create", problems[0][1], problems[0][2])
    return created_row(index, create_user(store, row)["id"])


def _update_row(store: Store, caller: Record | None, row: Record, index: int) -> Record:
    user = _find(store, row)
    if user is None:
        return failed_row(index, row.get("id"), "update", "RecordNotFound", "Not found")
    if not may_change(caller, user, row):
        return failed_row(
            index, user["id"], "update", "PermissionDenied", "Agents update end users"
        )
    change = {k: v for k, v in row.items() if k != "id"}
    problems = user_problems(store, change, user)
    if problems:
        return failed_row(index, user["id"], "update", problems[0][1], problems[0][2])
    return updated_row(index, apply_user(store, change, user)["id"])


def _delete_row(store: Store, row: Record, index: int) -> Record:
    user = _find(store, row)
    if user is None:
        return failed_row(index, row.get("id"), "delete", "RecordNotFound", "Not found")
    if user.get("email") == ADMIN_EMAIL:
        return failed_row(index, user["id"], "delete", "PermissionDenied", "The account owner")
    store.soft_delete_user(user["id"])
    return {**updated_row(index, user["id"]), "action": "delete", "status": "Deleted"}


def _merge_target(store: Store, row: Record) -> Record | None:
    if row.get("id") is not None:
        return live_user(store, row["id"]) if isinstance(row["id"], int) else None
    return store.find_user(email=str(row["email"])) if row.get("email") else None


def _requested(store: Store, user_id: int) -> list[int]:
    return [
        ticket_id
        for ticket_id, ticket in store.tickets.records.items()
        if ticket["requester_id"] == user_id and ticket["status"] != "deleted"
    ]


def _merge(store: Store, source: Record, target: Record) -> Record:
    for ticket_id in _requested(store, source["id"]):
        store.update_ticket(ticket_id, requester_id=target["id"])
    emails = sorted(store.emails_of(source))
    store.soft_delete_user(source["id"])
    for email in emails:
        if email not in store.emails_of(target):
            store.add_identity(target, "email", email)
    return store.update_user(target["id"])
