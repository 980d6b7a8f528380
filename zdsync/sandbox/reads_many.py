"""Reads a sync plans with: many organizations or tickets at once.

``show_many`` answers the records it finds among the (at most 100) ids or external ids it is
given, in no promised order, and leaves out the rest: a caller learns what is missing by what
is absent.
"""

from __future__ import annotations

from zdsync.catalog.model import BULK_MAX
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import integer_ids, invalid_value, query_ids


def show_many_organizations(store: Store, request: Request) -> Reply:
    """``GET /api/v2/organizations/show_many?ids=`` or ``?external_ids=``: the live ones found."""
    live = [o for o in store.organizations.records.values() if o["deleted_at"] is None]
    external_ids = query_ids(request, "external_ids")
    if external_ids is not None:
        wanted = {e.lower() for e in external_ids}
        found = [o for o in live if str(o.get("external_id") or "").lower() in wanted]
        return _answer("organizations", found, len(external_ids))
    ids = integer_ids("ids", query_ids(request) or [])
    if isinstance(ids, Reply):
        return ids
    return _answer("organizations", [o for o in live if o["id"] in set(ids)], len(ids))


def show_many_tickets(store: Store, request: Request) -> Reply:
    """``GET /api/v2/tickets/show_many?ids=``: the tickets found that are not deleted."""
    ids = integer_ids("ids", query_ids(request) or [])
    if isinstance(ids, Reply):
        return ids
    records = store.tickets.records
    found = [records[i] for i in ids if i in records and records[i]["status"] != "deleted"]
    return _answer("tickets", found, len(ids))


def _answer(key: str, found: list[Record], asked: int) -> Reply:
    if asked > BULK_MAX:
        return invalid_value(f"At most {BULK_MAX} ids can be given per request")
    return json_reply(200, {key: found, "next_page": None, "previous_page": None})
