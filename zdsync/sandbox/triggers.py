"""Trigger reads: the lists (all, active, search), one trigger, its revisions, the definitions.

Lists page as Zendesk's do: ``page[size]`` for cursor pages (sorted with ``sort``), ``page`` and
``per_page`` otherwise (sorted with ``sort_by``); search pages by offset only. Both filter on
``active`` and ``category_id``, and links keep the filters. The firing order, ``position``, is
the categories' order and then each trigger's place in its category.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from zdsync.sandbox import lists
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.paging import (
    Selection,
    decode_list_cursor,
    encode_list_cursor,
    is_cursor_request,
    offset_page,
)
from zdsync.sandbox.store import Store
from zdsync.sandbox.trigger_data import Triggers
from zdsync.sandbox.trigger_rules import definitions
from zdsync.sandbox.wire import Reply, Request, json_reply
from zdsync.sandbox.writes import forbidden, invalid_value, is_staff, not_found

if TYPE_CHECKING:
    from zdsync.sandbox.server import App

SORTS = ("alphabetical", "created_at", "updated_at", "position")
# Usage counts are not modelled: every trigger has fired as often as any other (never), so
# these orders fall back to the firing order.
USAGE_SORTS = ("usage_1h", "usage_24h", "usage_7d", "usage_30d")
ASCENDING_BY_DEFAULT = ("alphabetical", "position")
FILTERS = ("active", "category_id", "sort", "sort_by", "sort_order")
MAX_REVISIONS = 1000


def firing_order(book: Triggers) -> Callable[[Record], tuple[int, int, int]]:
    def key(trigger: Record) -> tuple[int, int, int]:
        category = book.categories.get(trigger["category_id"])
        return (category["position"] if category else 0, trigger["position"], trigger["id"])

    return key


def sorted_triggers(book: Triggers, request: Request, rows: list[Record]) -> list[Record] | Reply:
    """``rows`` in the order the request asks for, or a 400 for an order Zendesk lacks."""
    cursor = is_cursor_request(request)
    raw = request.query.get("sort" if cursor else "sort_by", "position")
    descending_prefix = cursor and raw.startswith("-")
    order = raw.removeprefix("-") if cursor else raw
    allowed = SORTS if cursor else (*SORTS, *USAGE_SORTS)
    if order not in allowed:
        name = "sort" if cursor else "sort_by"
        return invalid_value(f"{name} must be one of {', '.join(allowed)}")
    direction = request.query.get("sort_order")
    if direction not in (None, "asc", "desc"):
        return invalid_value("sort_order must be asc or desc")
    if direction is None:
        ascending = order in ASCENDING_BY_DEFAULT or order in USAGE_SORTS
        direction = "desc" if descending_prefix or not ascending else "asc"
    position = firing_order(book)
    keys: dict[str, Callable[[Record], Any]] = {
        "alphabetical": lambda t: (t["title"].lower(), t["id"]),
        "created_at": lambda t: (t["created_at"], t["id"]),
        "updated_at": lambda t: (t["updated_at"], t["id"]),
    }
    ordered = sorted(rows, key=keys.get(order, position))
    return ordered[::-1] if direction == "desc" else ordered


def _flag(request: Request, name: str) -> bool | Reply | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        return invalid_value(f"{name} must be true or false")
    return raw.lower() == "true"


def _selected(store: Store, request: Request, only_active: bool) -> list[Record] | Reply:
    if not is_staff(request.user):
        return forbidden()
    active = True if only_active else _flag(request, "active")
    if isinstance(active, Reply):
        return active
    category = request.query.get("category_id")
    rows = [
        t
        for t in store.triggers.triggers.values()
        if (active is None or t["active"] == active)
        and (category is None or t["category_id"] == category)
    ]
    return sorted_triggers(store.triggers, request, rows)


LISTINGS = (
    lists.Listing("triggers.list", lambda s, r, g: _selected(s, r, False), FILTERS, by_id=False),
    lists.Listing(
        "triggers.active", lambda s, r, g: _selected(s, r, True), FILTERS[1:], by_id=False
    ),
)


def search(app: App, request: Request) -> Reply:
    """``GET /api/v2/triggers/search``: title words and attribute filters, offset pages."""
    store = app.store
    with store.lock:
        rows = _selected(store, request, False)
        if isinstance(rows, Reply):
            return rows
        wanted = _search_filter(request)
        if isinstance(wanted, Reply):
            return wanted
        query = request.query.get("query", "").strip().lower()
        found = [
            t
            for t in rows
            if query in t["title"].lower()
            and all(_matches(t.get(key), value) for key, value in wanted.items())
        ]
        carried = [(k, v) for k, v in request.pairs if k in ("query", "active", *FILTERS[2:])]
        carried += [(k, v) for k, v in request.pairs if k.startswith("filter")]
        selection = Selection(
            store.origin + request.path.removesuffix(".json"),
            "triggers",
            found,
            list(range(len(found))),
            carried,
        )
        return offset_page(selection, request)


def _search_filter(request: Request) -> Record | Reply:
    """The ``filter`` attributes: JSON text (``{"json": {...}}``) or ``filter[json][key]=...``."""
    wanted: Record = {}
    if "filter" in request.query:
        try:
            given = orjson.loads(request.query["filter"])
        except orjson.JSONDecodeError:
            return invalid_value("filter must be a JSON object")
        inner = given.get("json", given) if isinstance(given, dict) else None
        if not isinstance(inner, dict):
            return invalid_value("filter must be a JSON object")
        wanted.update(inner)
    for key, value in request.pairs:
        found = re.fullmatch(r"filter\[json\]\[(\w+)\]", key)
        if found:
            wanted[found[1]] = value
    return wanted


def _matches(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, str):
        return str(wanted).lower() in actual.lower()
    if isinstance(actual, bool):
        return str(wanted).lower() == str(actual).lower()
    return bool(actual == wanted)


def show(app: App, request: Request, trigger_id: int) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    trigger = app.store.triggers.triggers.get(trigger_id)
    return json_reply(200, {"trigger": trigger}) if trigger else not_found()


def definitions_of(app: App, request: Request) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    return json_reply(200, definitions(app.store.user_fields))


def revisions(app: App, request: Request, trigger_id: int) -> Reply:
    """Newest first, ``limit`` (at most 1,000) a page; ``cursor`` moves to older or newer ones.

    ``before_cursor`` leads to older revisions and ``after_cursor`` to newer; each is null when
    there are none that way.
    """
    if not is_staff(request.user):
        return forbidden()
    history = app.store.triggers.revisions.get(trigger_id)
    if history is None:
        return not_found()
    raw_limit = request.query.get("limit", str(MAX_REVISIONS))
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_REVISIONS:
        return invalid_value(f"limit must be an integer from 1 to {MAX_REVISIONS}")
    limit = int(raw_limit)
    newest_first = sorted(history, key=lambda r: (r["created_at"], r["id"]), reverse=True)
    window = _revision_window(request, len(newest_first), limit)
    if isinstance(window, Reply):
        return window
    start, end = window
    base = f"{app.store.origin}/api/v2/triggers/{trigger_id}/revisions.json?limit={limit}&cursor="
    older = encode_list_cursor(end) if end < len(newest_first) else None
    newer = encode_list_cursor(-start - 1) if start > 0 else None
    return json_reply(
        200,
        {
            "trigger_revisions": newest_first[start:end],
            "before_cursor": older,
            "after_cursor": newer,
            "before_url": base + older if older else None,
            "after_url": base + newer if newer else None,
            "count": len(newest_first),
        },
    )


def _revision_window(request: Request, total: int, limit: int) -> tuple[int, int] | Reply:
    """Where a page starts and ends: a cursor of n >= 0 starts at place n (older), one of
    -n - 1 ends before place n (newer)."""
    raw = request.query.get("cursor")
    if raw is None:
        return 0, min(total, limit)
    place = decode_list_cursor(raw)
    if place is None:
        return invalid_value("cursor is invalid")
    if place >= 0:
        return min(place, total), min(total, place + limit)
    end = min(-place - 1, total)
    return max(0, end - limit), end


def revision(app: App, request: Request, trigger_id: int, revision_id: int) -> Reply:
    if not is_staff(request.user):
        return forbidden()
    history = app.store.triggers.revisions.get(trigger_id, [])
    found = next((r for r in history if r["id"] == revision_id), None)
    if found is None:
        return not_found()
    return json_reply(200, {"trigger_revision": {k: v for k, v in found.items() if k != "diff"}})


def _listed(listing: lists.Listing) -> Callable[[App, Request, re.Match[str]], Reply]:
    return lambda app, request, match: lists.serve(
        app.store, listing, request, match.groups(), app.selections
    )


HANDLERS: dict[str, Callable[[App, Request, re.Match[str]], Reply]] = {
    **{listing.operation: _listed(listing) for listing in LISTINGS},
    "triggers.search": lambda a, r, m: search(a, r),
    "triggers.show": lambda a, r, m: show(a, r, int(m["trigger_id"])),
    "triggers.definitions": lambda a, r, m: definitions_of(a, r),
    "triggers.revisions": lambda a, r, m: revisions(a, r, int(m["trigger_id"])),
    "triggers.revision": lambda a, r, m: revision(
        a, r, int(m["trigger_id"]), int(m["trigger_revision_id"])
    ),
}
