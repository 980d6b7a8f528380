"""``GET /api/v2/users/search``: active users found by ``query`` or ``external_id``.

``query`` takes the part of Zendesk's search syntax that finding a user needs: ``email:`` and
``external_id:`` terms match exactly and case-insensitively (an email matches any of a user's
addresses), ``name:`` and bare words match part of a name or an email. Values may be quoted;
terms are ANDed. Any other ``field:`` term is refused with a 400, so no caller relies on
searching the sandbox cannot do. Results are sorted by id, offset-paginated: at most 100 a page
and 10,000 a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlencode

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.paging import DEPTH_ERROR, MAX_OFFSET_RECORDS, MAX_PAGE
from zdsync.sandbox.store import Store
from zdsync.sandbox.wire import FORBIDDEN, Reply, Request, error_reply, json_reply

PATH = "/api/v2/users/search"
_TERM = re.compile(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))')

Matcher = Callable[[Store, Record, str], bool]


def _email(store: Store, user: Record, value: str) -> bool:
    return value.lower() in store.emails_of(user)


def _external_id(store: Store, user: Record, value: str) -> bool:
    return (user.get("external_id") or "").lower() == value.lower()


def _text(store: Store, user: Record, value: str) -> bool:
    wanted = value.lower()
    return wanted in (user.get("name") or "").lower() or any(
        wanted in address for address in store.emails_of(user)
    )


FIELDS: dict[str | None, Matcher] = {
    "email": _email,
    "external_id": _external_id,
    "name": _text,
    None: _text,
}


def users(store: Store, request: Request) -> Reply:
    """The users matching the request, one page of them. Agents and admins only."""
    if request.user is None or request.user["role"] == "end-user":
        return error_reply(403, *FORBIDDEN)
    terms: list[tuple[Matcher, str]] = []
    if request.query.get("external_id"):
        terms.append((_external_id, request.query["external_id"]))
    for found in _TERM.finditer(request.query.get("query", "")):
        field, value = found[1], found[2] if found[2] is not None else found[3]
        if field not in FIELDS:
            return error_reply(400, "InvalidValue", f"searching users by {field}: is not supported")
        terms.append((FIELDS[field], value))
    if not terms:
        return error_reply(400, "InvalidValue", "query or external_id is required")
    with store.lock:
        matches = [
            user
            for user_id in sorted(store.users.records)
            if (user := store.users.records[user_id])["active"]
            and all(match(store, user, value) for match, value in terms)
        ]
    return _page(store, request, matches)


def _page(store: Store, request: Request, rows: list[Record]) -> Reply:
    page_raw, per_raw = request.query.get("page", "1"), request.query.get("per_page", "100")
    if not (page_raw.isdigit() and per_raw.isdigit()) or int(page_raw) < 1 or int(per_raw) < 1:
        return error_reply(400, "InvalidValue", "page and per_page must be positive integers")
    page, per_page = int(page_raw), min(int(per_raw), MAX_PAGE)
    if page * per_page > MAX_OFFSET_RECORDS:
        return json_reply(400, DEPTH_ERROR)
    chunk = rows[(page - 1) * per_page : page * per_page]
    kept = {k: v for k, v in request.query.items() if k in ("query", "external_id")}

    def link(number: int) -> str:
        query = urlencode({**kept, "per_page": per_page, "page": number})
        return f"{store.origin}{PATH}.json?{query}"

    return json_reply(
        200,
        {
            "users": chunk,
            "next_page": link(page + 1) if page * per_page < len(rows) else None,
            "previous_page": link(page - 1) if page > 1 else None,
            "count": len(rows),
        },
    )
