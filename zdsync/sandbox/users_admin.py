"""The rest of the users API: count, related counts, the owner's reminder, logging users out.

``request_create`` and ``logout_many`` change nothing a list or an export shows; the sandbox
records what they did (``App.owner_reminders``, ``App.logouts``) so a test can see it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zdsync.sandbox import lists, members
from zdsync.sandbox.fakedata import iso
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import (
    body_object,
    forbidden,
    integer_ids,
    invalid_value,
    is_admin,
    is_staff,
    not_found,
    query_ids,
)
from zdsync.sandbox.writes_users import live_user

if TYPE_CHECKING:
    from zdsync.sandbox.server import App


def count(app: App, request: Request) -> Reply:
    """``GET /users/count``: active users, with the list's role filters; staff only."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        rows = lists.select_users(app.store, request)
        if isinstance(rows, Reply):
            return rows
    return counted(app, len(rows))


def count_members(
    app: App, request: Request, of: members.Members, groups: tuple[str, ...]
) -> Reply:
    """``GET /{groups,organizations}/{id}/users/count``: as ``count``, of one group's users or
    one organization's."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        rows = of(app.store, groups, lists.select_users(app.store, request))
    return rows if isinstance(rows, Reply) else counted(app, len(rows))


def counted(app: App, value: int) -> Reply:
    """Zendesk's count object; exact here, so refreshed now."""
    return json_reply(200, {"count": {"value": value, "refreshed_at": iso(app.store.now())}})


def related(app: App, request: Request, user_id: int) -> Reply:
    """``GET /users/{id}/related``: how many tickets the user is assigned, requested, copied."""
    if not is_staff(request.user):
        return forbidden()
    with app.store.lock:
        if live_user(app.store, user_id) is None:
            return not_found()
        tickets = [t for t in app.store.tickets.records.values() if t["status"] != "deleted"]
        answer = {
            "assigned_tickets": sum(t["assignee_id"] == user_id for t in tickets),
            "requested_tickets": sum(t["requester_id"] == user_id for t in tickets),
            "ccd_tickets": sum(user_id in (t.get("collaborator_ids") or []) for t in tickets),
            "organization_subscriptions": 0,
        }
    return json_reply(200, {"user_related": answer})


def request_create(app: App, request: Request) -> Reply:
    """``POST /users/request_create``: an agent asks the owner for more seats; 200, no body."""
    if not is_staff(request.user):
        return forbidden()
    row = body_object(request, "user")
    if isinstance(row, Reply):
        return row
    if not row.get("name") and not row.get("email"):
        return invalid_value("user needs a name or an email")
    app.owner_reminders.append({"name": row.get("name"), "email": row.get("email")})
    return Reply(200)


def logout_many(app: App, request: Request) -> Reply:
    """``POST /users/logout_many?ids=``: every session of up to 100 users ends; admins only."""
    if not is_admin(request.user):
        return forbidden()
    raw = query_ids(request)
    if raw is None:
        return invalid_value("ids is required")
    ids = integer_ids("ids", raw)
    if isinstance(ids, Reply):
        return ids
    now = app.store.now()
    with app.store.lock:
        for user_id in ids:
            if live_user(app.store, user_id) is not None:
                app.logouts[user_id] = now
    return Reply(202)
