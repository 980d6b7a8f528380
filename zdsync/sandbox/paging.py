"""Zendesk's two ways of paging an ordinary list: cursor (``page[size]``) and offset (``page``).

Cursor mode is chosen by any ``page[...]`` parameter; without one a list pages by offset, or,
where the endpoint offers no offset paging, answers every row at once.
"""

from __future__ import annotations

import base64
import binascii
import struct
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from zdsync.sandbox.fakedata import Record
from zdsync.sandbox.wire import Reply, Request, error_reply, json_reply

MAX_PAGE = 100
MAX_OFFSET_PAGES = 100
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


def encode_list_cursor(position: int) -> str:
    # Packed like Zendesk's: a marker byte and a little-endian integer. Standard base64, so
    # cursors contain '+', '/' and '=' and must be URL-encoded.
    return base64.b64encode(b"i" + struct.pack("<q", position) + b"\x00").decode()


def decode_list_cursor(cursor: str) -> int | None:
    try:
        raw = base64.b64decode(cursor, validate=True)
    except binascii.Error:
        return None
    if len(raw) != 10 or raw[:1] != b"i":
        return None
    return int(struct.unpack("<q", raw[1:9])[0])


@dataclass(frozen=True)
class Selection:
    """The rows one list request selects, in the list's order.

    Attributes:
        base_url: The list's absolute URL as the request named it, without ``.json``; links
            point back at it.
        key: The body key the rows go under (``users``, ``ticket_fields``, ...).
        rows: The selected rows, in order.
        positions: One strictly increasing integer per row (its id, or its place), which the
            cursors encode.
        carried: Filter parameters to repeat in every link, so the next page is of the same
            selection.
    """

    base_url: str
    key: str
    rows: list[Record]
    positions: list[int]
    carried: list[tuple[str, str]]

    def url(self, *pairs: tuple[str, str], suffix: str = "") -> str:
        return f"{self.base_url}{suffix}?" + urlencode([*self.carried, *pairs], quote_via=quote)


def is_cursor_request(request: Request) -> bool:
    return any(key.startswith("page[") for key in request.query)


def _size(request: Request, over_limit: str) -> int | Reply:
    raw = request.query.get("page[size]", str(MAX_PAGE))
    if not raw.isdigit() or int(raw) < 1:
        return json_reply(
            400,
            {
                "error": {
                    "title": "Invalid attribute",
                    "message": "You passed an invalid value for the page.size attribute. Invalid "
                    "parameter: page.size must be an integer from "
                    f"{request.path.removesuffix('.json').lstrip('/')}/index",
                }
            },
        )
    if int(raw) > MAX_PAGE and over_limit == "error":
        return error_reply(400, "InvalidPaginationParameter", "page[size] must be at most 100")
    return min(int(raw), MAX_PAGE)


def _window(selection: Selection, request: Request, size: int) -> tuple[int, int, bool] | Reply:
    """Start and end of the page, and whether rows remain beyond it in the paging direction."""
    after, before = request.query.get("page[after]"), request.query.get("page[before]")
    if after is not None and before is not None:
        return error_reply(
            400, "InvalidPaginationParameter", "page[after] and page[before] cannot be combined"
        )
    cursor = after if after is not None else before
    position = None if cursor is None else decode_list_cursor(cursor)
    if cursor is not None and position is None:
        return error_reply(400, "InvalidPaginationParameter", "the page cursor is invalid")
    total = len(selection.rows)
    if before is not None and position is not None:
        end = bisect_left(selection.positions, position)
        start = max(0, end - size)
        return start, end, start > 0
    start = 0 if position is None else bisect_right(selection.positions, position)
    end = min(total, start + size)
    return start, end, end < total


def cursor_page(selection: Selection, request: Request, over_limit: str) -> Reply:
    """A ``page[size]`` page: ``meta`` and ``links``, and no offset fields."""
    size = _size(request, over_limit)
    if isinstance(size, Reply):
        return size
    window = _window(selection, request, size)
    if isinstance(window, Reply):
        return window
    start, end, has_more = window
    first = encode_list_cursor(selection.positions[start]) if end > start else None
    last = encode_list_cursor(selection.positions[end - 1]) if end > start else None
    sized = ("page[size]", str(size))
    return json_reply(
        200,
        {
            selection.key: selection.rows[start:end],
            # The last page keeps non-null cursors and links; only has_more says it is the last.
            "meta": {"has_more": has_more, "after_cursor": last, "before_cursor": first},
            "links": {
                "next": selection.url(sized, ("page[after]", last)) if last else None,
                "prev": selection.url(sized, ("page[before]", first)) if first else None,
            },
        },
    )


def offset_page(selection: Selection, request: Request) -> Reply:
    """A ``page``/``per_page`` page, refused past Zendesk's depth limit."""
    page_raw, per_raw = request.query.get("page", "1"), request.query.get("per_page", "100")
    if not (page_raw.isdigit() and per_raw.isdigit()) or int(page_raw) < 1 or int(per_raw) < 1:
        return error_reply(400, "InvalidValue", "page and per_page must be positive integers")
    page, per_page = int(page_raw), min(int(per_raw), MAX_PAGE)
    if page > MAX_OFFSET_PAGES or page * per_page > MAX_OFFSET_RECORDS:
        return json_reply(400, DEPTH_ERROR)
    total = len(selection.rows)
    sized = ("per_page", str(per_page))
    return json_reply(
        200,
        {
            selection.key: selection.rows[(page - 1) * per_page : page * per_page],
            "next_page": selection.url(sized, ("page", str(page + 1)), suffix=".json")
            if page * per_page < total
            else None,
            "previous_page": selection.url(sized, ("page", str(page - 1)), suffix=".json")
            if page > 1
            else None,
            "count": total,
        },
    )
