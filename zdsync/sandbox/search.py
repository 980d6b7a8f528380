"""Zendesk's search: ``/api/v2/search``, its count and export, and ``/api/v2/users/search``.

Queries are read and evaluated by ``query``; only agents and admins may search. Each result
carries ``result_type``. Without ``sort_by`` results come by kind (tickets, users,
organizations) and then id: the sandbox has no relevance to rank by.

- ``search``: offset pages (``per_page`` at most 100) of at most the first 1,000 results;
  ``count`` is the full number, and the page after the 1,000th result is still linked, as
  Zendesk links it, and answered with Zendesk's 422.
- ``count``: ``{"count": n}``.
- ``export``: one kind, named by ``filter[type]``, newest ``created_at`` first, in cursor pages
  of ``page[size]`` (100 unless given, at most 1,000) with no cap.
- ``users``: users only, offset pages up to 10,000 results, by id.

``OPERATIONS`` names these and ``lookups``' finders by catalog operation, for the server's
routes.

Refusals: 400 ``{"errors": [{"code": "QueryError", "title": ...}]}`` for a query or parameter
that cannot be read (the shape the OpenAPI file gives for an invalid ``type:``); 422
``{"error": "invalid", ...}`` past the 1,000-result cap; 403 for end users.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable
from urllib.parse import quote, urlencode

from zdsync.sandbox import lookups
from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.paging import DEPTH_ERROR, MAX_OFFSET_RECORDS, MAX_PAGE
from zdsync.sandbox.query import (
    EVERY_KIND,
    KINDS,
    PRIORITY_ORDER,
    STATUS_ORDER,
    USER,
    Scope,
    find,
    visible,
)
from zdsync.sandbox.query_syntax import QueryError, Term, parse
from zdsync.sandbox.store import Store, epoch
from zdsync.sandbox.wire import FORBIDDEN, Reply, Request, error_reply, json_reply

SEARCH_CAP = 1000
CAP_ERROR = {
    "error": "invalid",
    "description": "Invalid search: Requested response size was greater than "
    "Search Response Limits",
}
EXPORT_PAGE = 100
EXPORT_MAX_PAGE = 1000
SORT_ORDERS = ("asc", "desc")

Found = list[tuple[str, Record]]


SortKey = Callable[[Record], tuple[int, str]]


def _rank(order: tuple[str, ...], attribute: str) -> SortKey:
    return lambda record: (
        order.index(record[attribute]) if record.get(attribute) in order else -1,
        "",
    )


# sort_by values and the key each sorts on; records without the field sort lowest.
SORTS: dict[str, SortKey] = {
    "created_at": lambda record: (epoch(record["created_at"]), ""),
    "updated_at": lambda record: (epoch(record["updated_at"]), ""),
    "priority": _rank(PRIORITY_ORDER, "priority"),
    "status": _rank(STATUS_ORDER, "status"),
    "ticket_type": lambda record: (0, record.get("type") or ""),
}


def _scope(store: Store, request: Request, kinds: frozenset[str]) -> Scope:
    config = store.config
    return Scope(
        store,
        request.user,
        kinds,
        repeated=config.search_repeated_keywords,
        unknown=config.search_unknown_keywords,
    )


def _agents_only(request: Request) -> Reply | None:
    if request.user is None or request.user["role"] == "end-user":
        return error_reply(403, *FORBIDDEN)
    return None


def _found(store: Store, request: Request, kinds: frozenset[str]) -> Found | Reply:
    """What the request's ``query`` finds among ``kinds``, or the refusal."""
    refused = _agents_only(request)
    if refused:
        return refused
    try:
        return find(_scope(store, request, kinds), parse(request.query.get("query", "")))
    except QueryError as error:
        return error.reply()


def _positive(request: Request, name: str, default: int) -> int | None:
    raw = request.query.get(name, str(default))
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def _sorted(request: Request, found: Found) -> Found | Reply:
    sort_by, sort_order = request.query.get("sort_by"), request.query.get("sort_order", "desc")
    if sort_order not in SORT_ORDERS:
        return QueryError(f"Invalid sort_order {sort_order}: one of asc, desc").reply()
    if sort_by is None:
        return found
    key = SORTS.get(sort_by)
    if key is None:
        return QueryError(f"Invalid sort_by {sort_by}: one of {', '.join(SORTS)}").reply()
    # Stable, so ties keep kind-then-id order in either direction.
    return sorted(found, key=lambda pair: key(pair[1]), reverse=sort_order == "desc")


def _results(rows: Found) -> list[Record]:
    return [{**record, "result_type": kind} for kind, record in rows]


def search(store: Store, request: Request) -> Reply:
    """``GET /api/v2/search``: one offset page of what the query finds."""
    found = _found(store, request, EVERY_KIND)
    if isinstance(found, Reply):
        return found
    found = _sorted(request, found)
    if isinstance(found, Reply):
        return found
    page, per_page = _positive(request, "page", 1), _positive(request, "per_page", MAX_PAGE)
    if page is None or per_page is None:
        return QueryError("page and per_page must be positive integers").reply()
    per_page = min(per_page, MAX_PAGE)
    start, end = (page - 1) * per_page, page * per_page
    if end > SEARCH_CAP:
        if store.config.search_page_past_cap == "refuse" or start >= SEARCH_CAP:
            return json_reply(422, CAP_ERROR)
        end = SEARCH_CAP
    kept = [(k, v) for k, v in request.pairs if k in ("query", "sort_by", "sort_order")]

    def link(number: int) -> str:
        pairs = [*kept, ("per_page", str(per_page)), ("page", str(number))]
        return f"{store.origin}/api/v2/search.json?{urlencode(pairs, quote_via=quote)}"

    return json_reply(
        200,
        {
            "results": _results(found[start:end]),
            "facets": None,
            "next_page": link(page + 1) if page * per_page < len(found) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(found),
        },
    )


def count(store: Store, request: Request) -> Reply:
    """``GET /api/v2/search/count``: how many records the query finds, uncapped."""
    found = _found(store, request, EVERY_KIND)
    return found if isinstance(found, Reply) else json_reply(200, {"count": len(found)})


def encode_export_cursor(record: Record) -> str:
    return base64.b64encode(
        f"created_at|{epoch(record['created_at'])}|{record['id']}".encode()
    ).decode()


def decode_export_cursor(cursor: str) -> tuple[int, int] | None:
    """The (negated created_at, id) position a cursor names, in export order."""
    try:
        field, created, record_id = base64.b64decode(cursor, validate=True).decode().split("|")
        return (-int(created), int(record_id)) if field == "created_at" else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _export_kind(store: Store, request: Request, terms: list[Term]) -> str | Reply:
    kind = request.query.get("filter[type]", "").lower()
    if kind not in KINDS:
        return QueryError(f"filter[type] is required: one of {', '.join(KINDS)}").reply()
    for term in terms:
        if term.keyword != "type":
            continue
        agreeing = not term.negated and term.value.lower() == kind
        if store.config.search_export_type_in_query == "refuse" or not agreeing:
            return QueryError(f"Invalid {term}: export searches the filter[type] type only").reply()
    return kind


def _export_size(store: Store, request: Request) -> int | Reply:
    size = _positive(request, "page[size]", EXPORT_PAGE)
    if size is None:
        return QueryError("page[size] must be a positive integer").reply()
    if size > EXPORT_MAX_PAGE and store.config.list_page_over_limit == "error":
        return error_reply(400, "InvalidPaginationParameter", "page[size] must be at most 1000")
    return min(size, EXPORT_MAX_PAGE)


def export(store: Store, request: Request) -> Reply:
    """``GET /api/v2/search/export``: a cursor page of one kind, newest first."""
    refused = _agents_only(request)
    if refused:
        return refused
    try:
        terms = parse(request.query.get("query", ""))
        kind = _export_kind(store, request, terms)
        if isinstance(kind, Reply):
            return kind
        size = _export_size(store, request)
        if isinstance(size, Reply):
            return size
        found = [record for _, record in find(_scope(store, request, frozenset({kind})), terms)]
    except QueryError as error:
        return error.reply()
    found.sort(key=_newest_first)
    start = 0
    if "page[after]" in request.query:
        position = decode_export_cursor(request.query["page[after]"])
        if position is None:
            return error_reply(400, "InvalidPaginationParameter", "the page cursor is invalid")
        start = bisect_right([_newest_first(record) for record in found], position)
    return _export_page(store, request, kind, size, found[start:], start + size < len(found))


def _newest_first(record: Record) -> tuple[int, int]:
    return -epoch(record["created_at"]), int(record["id"])


def _export_page(
    store: Store, request: Request, kind: str, size: int, rest: list[Record], has_more: bool
) -> Reply:
    rows = rest[:size]
    after = encode_export_cursor(rows[-1]) if rows else None
    kept = [(k, v) for k, v in request.pairs if k in ("query", "filter[type]")]
    following = [*kept, ("page[size]", str(size)), ("page[after]", after or "")]
    next_url = f"{store.origin}/api/v2/search/export.json?{urlencode(following, quote_via=quote)}"
    return json_reply(
        200,
        {
            "results": [{**record, "result_type": kind} for record in rows],
            "facets": None,
            "meta": {"has_more": has_more, "after_cursor": after, "before_cursor": None},
            "links": {"next": next_url if has_more else None, "prev": None},
        },
    )


USERS_PATH = "/api/v2/users/search"


def users(store: Store, request: Request) -> Reply:
    """``GET /api/v2/users/search``: users by ``query``, ``external_id`` (exact) or both."""
    refused = _agents_only(request)
    if refused:
        return refused
    text, external_id = request.query.get("query"), request.query.get("external_id")
    if not text and not external_id:
        return QueryError("query or external_id is required").reply()
    if text:
        found = _found(store, request, USER)
        if isinstance(found, Reply):
            return found
        matches = [record for _, record in found]
    else:
        with store.lock:
            matches = list(visible(store, "user"))
    if external_id:
        wanted = external_id.lower()
        matches = [u for u in matches if (u.get("external_id") or "").lower() == wanted]
    return _users_page(store, request, matches)


def _users_page(store: Store, request: Request, rows: list[Record]) -> Reply:
    page, per_page = _positive(request, "page", 1), _positive(request, "per_page", MAX_PAGE)
    if page is None or per_page is None:
        return error_reply(400, "InvalidValue", "page and per_page must be positive integers")
    per_page = min(per_page, MAX_PAGE)
    if page * per_page > MAX_OFFSET_RECORDS:
        return json_reply(400, DEPTH_ERROR)
    chunk = rows[(page - 1) * per_page : page * per_page]
    kept = [(k, v) for k, v in request.pairs if k in ("query", "external_id")]

    def link(number: int) -> str:
        pairs = [*kept, ("per_page", str(per_page)), ("page", str(number))]
        return f"{store.origin}{USERS_PATH}.json?{urlencode(pairs, quote_via=quote)}"

    return json_reply(
        200,
        {
            "users": chunk,
            "next_page": link(page + 1) if page * per_page < len(rows) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(rows),
        },
    )


# Each handler by the catalog operation it answers; the catalog gives the method and path.
OPERATIONS: dict[str, Callable[[Store, Request], Reply]] = {
    "search.list": search,
    "search.count": count,
    "search.export": export,
    "users.search": users,
    "users.autocomplete": lookups.autocomplete_users,
    "organizations.search": lookups.search_organizations,
    "organizations.autocomplete": lookups.autocomplete_organizations,
}
