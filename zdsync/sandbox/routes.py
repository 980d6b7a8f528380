"""The sandbox's handlers by catalog operation (the catalog gives each its method and path)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from zdsync.sandbox import (
    account_lists,
    deleted_users,
    exports,
    exports_activity,
    identities,
    lists,
    members,
    passwords,
    rating_routes,
    reads_many,
    search,
    trigger_categories,
    trigger_writes,
    triggers,
    user_field_options,
    user_field_writes,
    users_admin,
    writes_organizations,
    writes_tickets,
    writes_users,
    zis,
)
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import FORBIDDEN, Reply, Request, error_reply, json_reply

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

Handler = Callable[["App", Request, re.Match[str]], Reply]


def _admin_only(handler: Handler) -> Handler:
    def guarded(app: App, request: Request, match: re.Match[str]) -> Reply:
        if request.user is None or request.user["role"] != "admin":
            return error_reply(403, *FORBIDDEN)
        return handler(app, request, match)

    return guarded


def _listed(listing: lists.Listing) -> Handler:
    return lambda app, request, match: lists.serve(
        app.store, listing, request, match.groups(), app.selections
    )


def _answered(answer: account_lists.Answer) -> Handler:
    return lambda app, request, match: answer(app.store, match.groups())


def _searching(serve: Callable[[Store, Request], Reply]) -> Handler:
    return lambda app, request, match: serve(app.store, request)


def _cursor_export(resource: str) -> Handler:
    return _admin_only(lambda a, r, m: exports_activity.cursor_export(a.store, resource, r))


def _time_export(resource: str) -> Handler:
    return _admin_only(lambda a, r, m: exports.time_export(a.store, resource, r))


# Handlers by catalog operation: the catalog says which method and path each one answers.
ROUTES: dict[str, Handler] = {
    "incremental.tickets_cursor": _cursor_export("tickets"),
    "incremental.users_cursor": _cursor_export("users"),
    "incremental.tickets": _time_export("tickets"),
    "incremental.users": _time_export("users"),
    "incremental.organizations": _time_export("organizations"),
    "incremental.ticket_metric_events": _time_export("ticket_metric_events"),
    "incremental.ticket_events": _admin_only(
        lambda a, r, m: exports_activity.ticket_events(a.store, r)
    ),
    "users.me": lambda a, r, m: json_reply(200, {"user": r.user}),
    **{name: _searching(serve) for name, serve in search.OPERATIONS.items()},
    "users.show_many": lambda a, r, m: lists.show_many_users(a.store, r),
    "users.show": lambda a, r, m: lists.show_user(a.store, int(m["user_id"])),
    "organizations.show": lambda a, r, m: lists.show_organization(
        a.store, int(m["organization_id"])
    ),
    "users.create_or_update_many": lambda a, r, m: a.jobs.create_or_update_many(r),
    "users.create_or_update": lambda a, r, m: a.jobs.create_or_update(r),
    "job_statuses.show_many": lambda a, r, m: a.jobs.show_many(r),
    "job_statuses.show": lambda a, r, m: a.jobs.show(m["job_status_id"]),
    "tickets.show": lambda a, r, m: lists.show_ticket(a.store, int(m["ticket_id"])),
    **{listing.operation: _listed(listing) for listing in lists.LISTINGS},
    **{listing.operation: _listed(listing) for listing in account_lists.LISTINGS},
    **{name: _answered(answer) for name, answer in account_lists.UNPAGED.items()},
    "tickets.create": lambda a, r, m: writes_tickets.create(a, r),
    "tickets.create_many": lambda a, r, m: writes_tickets.create_many(a, r),
    "tickets.update": lambda a, r, m: writes_tickets.update(a, r, int(m["ticket_id"])),
    "tickets.update_many": lambda a, r, m: writes_tickets.update_many(a, r),
    "tickets.delete": lambda a, r, m: writes_tickets.delete(a, r, int(m["ticket_id"])),
    "tickets.merge": lambda a, r, m: writes_tickets.merge(a, r, int(m["ticket_id"])),
    "users.create": lambda a, r, m: writes_users.create(a, r),
    "users.create_many": lambda a, r, m: writes_users.create_many(a, r),
    "users.update": lambda a, r, m: writes_users.update(a, r, int(m["user_id"])),
    "users.update_many": lambda a, r, m: writes_users.update_many(a, r),
    "users.delete": lambda a, r, m: writes_users.delete(a, r, int(m["user_id"])),
    "users.destroy_many": lambda a, r, m: writes_users.destroy_many(a, r),
    "users.merge": lambda a, r, m: writes_users.merge(a, r, int(m["user_id"])),
    "organizations.create": lambda a, r, m: writes_organizations.create(a, r),
    "organizations.create_many": lambda a, r, m: writes_organizations.create_many(a, r),
    "organizations.update": lambda a, r, m: writes_organizations.update(
        a, r, int(m["organization_id"])
    ),
    "organizations.delete": lambda a, r, m: writes_organizations.delete(
        a, r, int(m["organization_id"])
    ),
    "organizations.update_many": lambda a, r, m: writes_organizations.update_many(a, r),
    "organizations.show_many": lambda a, r, m: reads_many.show_many_organizations(a.store, r),
    "tickets.show_many": lambda a, r, m: reads_many.show_many_tickets(a.store, r),
    "users.count": lambda a, r, m: users_admin.count(a, r),
    "users.count_of_group": lambda a, r, m: users_admin.count_members(
        a, r, members.of_group, (m["group_id"],)
    ),
    "users.count_of_organization": lambda a, r, m: users_admin.count_members(
        a, r, members.of_organization, (m["organization_id"],)
    ),
    "users.related": lambda a, r, m: users_admin.related(a, r, int(m["user_id"])),
    "users.request_create": lambda a, r, m: users_admin.request_create(a, r),
    "users.logout_many": lambda a, r, m: users_admin.logout_many(a, r),
    "deleted_users.count": lambda a, r, m: deleted_users.count(a, r),
    "deleted_users.show": lambda a, r, m: deleted_users.show(a, r, int(m["deleted_user_id"])),
    "deleted_users.delete": lambda a, r, m: deleted_users.delete(a, r, int(m["deleted_user_id"])),
    **identities.routes(),
    "passwords.set": lambda a, r, m: passwords.set_password(a, r, int(m["user_id"])),
    "passwords.change": lambda a, r, m: passwords.change_password(a, r, int(m["user_id"])),
    "passwords.requirements": lambda a, r, m: passwords.requirements(a, r, int(m["user_id"])),
    **zis.routes(),
    **triggers.HANDLERS,
    **trigger_writes.HANDLERS,
    **trigger_categories.HANDLERS,
    **user_field_writes.HANDLERS,
    **user_field_options.HANDLERS,
    "satisfaction_ratings.list": _admin_only(_listed(rating_routes.LISTING)),
    "satisfaction_ratings.show": _admin_only(rating_routes.show),
    "satisfaction_ratings.count": _admin_only(rating_routes.count),
    "satisfaction_ratings.create": rating_routes.create,
}
