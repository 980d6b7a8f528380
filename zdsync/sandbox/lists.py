"""Ordinary reads: deleted users, compliance statuses, single users and organizations, fields."""

from __future__ import annotations

import base64
import binascii
import struct
from typing import Any
from urllib.parse import quote

from zdsync.sandbox.fakedata import TICKET_FIELDS, USER_FIELDS, Record
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import NOT_FOUND, Reply, Request, error_reply, json_reply

MAX_PAGE = 100
MAX_OFFSET_RECORDS = 10_000
DEPTH_ERROR = {
    "errors": [
        {
            "code": "InvalidPaginationDepth",
            "title": "Pagination requests using Offset Pagination are limited to page 100 or up to "
            "10000 records (page * per_page)",
            "detail": "Use cursor pagination to go further.",
        }
    ]
}


def encode_list_cursor(record_id: int) -> str:
    # Packed like Zendesk's: a marker byte and a little-endian integer. Standard base64, so
    # cursors contain '+', '/' and '=' and must be URL-encoded.
    return base64.b64encode(b"i" + struct.pack("<q", record_id) + b"\x00").decode()


def decode_list_cursor(cursor: str) -> int | None:
    try:
        raw = base64.b64decode(cursor, validate=True)
    except binascii.Error:
        return None
    if len(raw) != 10 or raw[:1] != b"i":
        return None
    return int(struct.unpack("<q", raw[1:9])[0])


def cursor_page(store: Store, path: str, key: str, rows: list[Record], request: Request) -> Reply:
    """``page[size]`` pagination over rows sorted by id."""
    raw_size = request.query.get("page[size]", str(MAX_PAGE))
    if not raw_size.isdigit() or int(raw_size) < 1:
        return json_reply(
            400,
            {
                "error": {
                    "title": "Invalid attribute",
                    "message": f"You passed an invalid value for the page.size attribute. Invalid "
                    f"parameter: page.size must be an integer from {path.lstrip('/')}",
                }
            },
        )
    size = int(raw_size)
    if size > MAX_PAGE:
        if store.config.list_page_over_limit == "error":
            return error_reply(400, "InvalidPaginationParameter", "page[size] must be at most 100")
        size = MAX_PAGE
    start = 0
    if "page[after]" in request.query:
        after = decode_list_cursor(request.query["page[after]"])
        if after is None:
            return error_reply(400, "InvalidPaginationParameter", "page[after] is invalid")
        start = next((i for i, row in enumerate(rows) if row["id"] > after), len(rows))
    page = rows[start : start + size]
    has_more = start + size < len(rows)
    first = encode_list_cursor(page[0]["id"]) if page else None
    last = encode_list_cursor(page[-1]["id"]) if page else None
    base = f"{store.origin}{path}?page%5Bsize%5D={size}"
    return json_reply(
        200,
        {
            key: page,
            # The last page keeps non-null cursors and links; only has_more says it is the last.
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "next": f"{base}&page%5Bafter%5D={quote(last, safe='')}" if last else None,
                "prev": f"{base}&page%5Bbefore%5D={quote(first, safe='')}" if first else None,
            },
        },
    )


def offset_page(store: Store, path: str, key: str, rows: list[Record], request: Request) -> Reply:
    page_raw, per_raw = request.query.get("page", "1"), request.query.get("per_page", "100")
    if not (page_raw.isdigit() and per_raw.isdigit()) or int(page_raw) < 1 or int(per_raw) < 1:
        return error_reply(400, "InvalidValue", "page and per_page must be positive integers")
    page, per_page = int(page_raw), min(int(per_raw), MAX_PAGE)
    if page > 100 or page * per_page > MAX_OFFSET_RECORDS:
        return json_reply(400, DEPTH_ERROR)
    chunk = rows[(page - 1) * per_page : page * per_page]
    more = page * per_page < len(rows)
    url = f"{store.origin}{path}.json?per_page={per_page}&page="
    return json_reply(
        200,
        {
            key: chunk,
            "next_page": f"{url}{page + 1}" if more else None,
            "previous_page": f"{url}{page - 1}" if page > 1 else None,
            "count": len(rows),
        },
    )


def deleted_users(store: Store, request: Request) -> Reply:
    with store.lock:
        rows = store.deleted_users()
    if "page" in request.query or "per_page" in request.query:
        return offset_page(store, "/api/v2/deleted_users", "deleted_users", rows, request)
    return cursor_page(store, "/api/v2/deleted_users", "deleted_users", rows, request)


def compliance_statuses(store: Store, request: Request, user_id: int) -> Reply:
    with store.lock:
        known = user_id in store.users.records or user_id in store.purged
        rows = list(store.compliance.get(user_id, []))
    if not known:
        return error_reply(404, *NOT_FOUND)
    application = request.query.get("application")
    if application:
        rows = [row for row in rows if row["application"] == application]
    return json_reply(200, {"compliance_deletion_statuses": rows})


def show_user(store: Store, user_id: int) -> Reply:
    user = store.users.records.get(user_id)
    return json_reply(200, {"user": user}) if user else error_reply(404, *NOT_FOUND)


def show_many_users(store: Store, request: Request) -> Reply:
    if "ids" in request.query:
        wanted = [int(i) for i in request.query["ids"].split(",") if i.strip().isdigit()]
        users = [store.users.records[i] for i in wanted if i in store.users.records]
    elif "external_ids" in request.query:
        found = (store.find_user(external_id=e) for e in request.query["external_ids"].split(","))
        users = [u for u in found if u is not None]
    else:
        return error_reply(400, "InvalidValue", "ids or external_ids is required")
    return json_reply(
        200,
        {"users": users[:100], "next_page": None, "previous_page": None, "count": len(users[:100])},
    )


def show_organization(store: Store, org_id: int) -> Reply:
    org = store.organizations.records.get(org_id)
    return json_reply(200, {"organization": org}) if org else error_reply(404, *NOT_FOUND)


def field_definitions(store: Store, kind: str) -> Reply:
    defs: list[dict[str, Any]] = []
    source = USER_FIELDS if kind == "user_fields" else TICKET_FIELDS
    for position, spec in enumerate(source):
        field_id = spec.get("id", 20_000 + position)
        defs.append(
            {
                "id": field_id,
                "url": f"{store.origin}/api/v2/{kind}/{field_id}.json",
                "key": spec.get("key", f"field_{field_id}"),
                "type": spec["type"],
                "title": spec["title"],
                "raw_title": spec["title"],
                "description": "",
                "raw_description": "",
                "position": position,
                "active": True,
                "system": False,
                "regexp_for_validation": None,
                "created_at": "2024-01-01T00:00:00Z",
                "updated_at": "2024-01-01T00:00:00Z",
                **(
                    {"custom_field_options": spec["custom_field_options"]}
                    if "custom_field_options" in spec
                    else {}
                ),
            }
        )
    return json_reply(
        200, {kind: defs, "next_page": None, "previous_page": None, "count": len(defs)}
    )
