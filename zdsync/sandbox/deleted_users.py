"""Deleted users: count, show, and permanent deletion.

Only a soft-deleted user can be deleted for good (``DELETE /api/v2/users/{id}`` first), and
only 700 of them every ten minutes (``SandboxConfig.permanent_deletions``); a permanently
deleted one is scrubbed and no longer shows, though the list and the count keep it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zdsync.sandbox.bulk import may_write_users_in_bulk as may_manage_users
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.users_admin import counted
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import forbidden, is_staff, not_found

if TYPE_CHECKING:
    from zdsync.sandbox.server import App


def count(app: App, request: Request) -> Reply:
    """``GET /deleted_users/count``: soft and permanently deleted users; agents."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        return counted(app, len(app.store.deleted_users()))


def show(app: App, request: Request, user_id: int) -> Reply:
    """``GET /deleted_users/{id}``: a user deleted but not yet for good."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        found = soft_deleted(app.store, user_id)
    return not_found() if found is None else json_reply(200, {"deleted_user": found})


def delete(app: App, request: Request, user_id: int) -> Reply:
    """``DELETE /deleted_users/{id}``: the user scrubbed for good, within the deletion limit."""
    if not may_manage_users(request.user):
        return forbidden()
    with app.store.lock:
        if soft_deleted(app.store, user_id) is None:
            return not_found()
        headers: dict[str, str] = {}
        limited = app.limits.check_permanent_deletion(headers)
        if limited is not None:
            return limited
        caller = request.user["id"] if request.user else None
        row = app.store.permanently_delete_user(user_id, executer_id=caller)
    return json_reply(200, {"deleted_user": row}, **headers)


def soft_deleted(store: Store, user_id: int) -> Record | None:
    """The user as the deleted users list shows it, if deleted and not yet scrubbed."""
    user = store.users.records.get(user_id)
    if user is None or user["active"]:
        return None
    return next((row for row in store.deleted_users() if row["id"] == user_id), None)
