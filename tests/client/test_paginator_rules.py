"""Each paginator on literal Zendesk-shaped bodies: its requests, its positions, its stop rule."""

from __future__ import annotations

from typing import Any

import pytest

from zdsync.client import CursorList, IncrementalCursorExport, OffsetList, TimeBasedExport
from zdsync.client.errors import InvalidRequestError, NotFoundError, PaginationError
from zdsync.client.pagination import Page, PageRequest

TICKETS = "/api/v2/incremental/tickets/cursor"
USERS = "/api/v2/incremental/users"


@pytest.mark.parametrize(
    ("make", "name", "top"),
    [
        (lambda n: IncrementalCursorExport(TICKETS, "tickets", per_page=n), "per_page", 1000),
        (
            lambda n: TimeBasedExport(USERS, "users", start_time=0, timestamp_of=id, per_page=n),
            "per_page",
            1000,
        ),
        (
            lambda n: CursorList("/api/v2/deleted_users", "deleted_users", page_size=n),
            "page_size",
            100,
        ),
        (lambda n: OffsetList("/api/v2/groups", "groups", per_page=n), "per_page", 100),
    ],
    ids=["cursor-export", "time-export", "cursor-list", "offset-list"],
)
def test_page_sizes_outside_what_zendesk_allows_are_refused(make: Any, name: str, top: int) -> None:
    make(1)
    make(top)
    for size in (0, top + 1):
        with pytest.raises(ValueError, match=rf"^{name} must be 1\.\.{top}, got {size}$"):
            make(size)


def test_a_cursor_export_starts_at_its_start_time_or_its_cursor() -> None:
    assert IncrementalCursorExport(TICKETS, "tickets").first_request() == PageRequest(
        TICKETS, {"per_page": 1000, "start_time": 0}
    )
    started = IncrementalCursorExport(
        TICKETS, "tickets", start_time=1700000000, per_page=50, params={"include": "users"}
    )
    assert started.first_request() == PageRequest(
        TICKETS, {"per_page": 50, "include": "users", "start_time": 1700000000}
    )
    resumed = IncrementalCursorExport(TICKETS, "tickets", start_time=5, cursor="MTc=")
    assert resumed.first_request() == PageRequest(TICKETS, {"per_page": 1000, "cursor": "MTc="})
    assert resumed.position == "MTc="


def test_a_cursor_export_follows_after_url_and_stops_on_end_of_stream() -> None:
    export = IncrementalCursorExport(TICKETS, "tickets", per_page=2)
    after_url = "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=c1"
    body = {
        "tickets": [{"id": 1}, {"id": 2}],
        "after_cursor": "c1",
        "after_url": after_url,
        "end_of_stream": False,
    }
    page, following = export.read(body)
    assert page == Page([{"id": 1}, {"id": 2}], body, "c1", False)
    assert following == PageRequest(after_url, {"per_page": 2, "cursor": "c1"})

    # Without after_url, the same path with the cursor.
    page, following = export.read({"tickets": [{"id": 3}], "after_cursor": "c2"})
    assert following == PageRequest(TICKETS, {"per_page": 2, "cursor": "c2"})

    last = {"tickets": None, "after_cursor": "c3", "end_of_stream": True}
    page, following = export.read(last)
    assert (page.items, page.position, page.is_last, following) == ([], "c3", True, None)


def test_a_last_page_without_a_cursor_keeps_the_one_before() -> None:
    export = IncrementalCursorExport(TICKETS, "tickets", cursor="c0")
    page, following = export.read({"tickets": [], "after_cursor": None, "end_of_stream": True})
    assert (page.position, following) == ("c0", None)
    assert export.position == "c0"


@pytest.mark.parametrize("after", [None, "", "c0"])
def test_a_cursor_export_that_does_not_advance_is_an_error(after: str | None) -> None:
    export = IncrementalCursorExport(TICKETS, "tickets", cursor="c0")
    with pytest.raises(PaginationError) as refused:
        export.read({"tickets": [{"id": 1}], "after_cursor": after, "end_of_stream": False})
    assert (
        str(refused.value) == f"{TICKETS}: after_cursor did not advance and end_of_stream is false"
    )


def user(id_: int, at: int, name: str = "x") -> dict[str, Any]:
    return {"id": id_, "at": at, "name": name}


def time_export(start: int = 100) -> TimeBasedExport:
    return TimeBasedExport(
        USERS,
        "users",
        start_time=start,
        timestamp_of=lambda u: u["at"],
        per_page=3,
        params={"include": "identities"},
    )


def test_a_time_export_moves_its_start_time_to_each_end_time() -> None:
    export = time_export()
    assert export.first_request() == PageRequest(
        USERS, {"per_page": 3, "include": "identities", "start_time": 100}
    )
    next_page = "https://acme.zendesk.com/api/v2/incremental/users.json?start_time=150"
    body = {
        "users": [user(1, 100), user(2, 150), user(3, 150)],
        "end_time": 150,
        "next_page": next_page,
        "end_of_stream": False,
    }
    page, following = export.read(body)
    assert (page.items, page.position, page.is_last) == (body["users"], 150, False)
    assert following == PageRequest(
        next_page, {"per_page": 3, "include": "identities", "start_time": 150}
    )
    assert export.position == 150

    # The server repeats the second at 150: an unchanged record is dropped, a changed one kept,
    # and a record of the new page's own later second is new.
    body = {
        "users": [user(2, 150), user(3, 150, "changed"), user(4, 170)],
        "end_time": 170,
        "end_of_stream": False,
    }
    page, following = export.read(body)
    assert page.items == [user(3, 150, "changed"), user(4, 170)]
    assert following == PageRequest(
        USERS, {"per_page": 3, "include": "identities", "start_time": 170}
    )

    # Only the records of the end_time second are repeats to look out for.
    body = {
        "users": [user(4, 170), user(3, 150, "changed")],
        "end_time": 170,
        "end_of_stream": True,
    }
    page, following = export.read(body)
    assert (page.items, page.position, page.is_last, following) == (
        [user(3, 150, "changed")],
        170,
        True,
        None,
    )


def test_a_page_that_fills_one_second_moves_on_to_the_next() -> None:
    export = time_export()
    body = {"users": [user(1, 100), user(2, 100)], "end_time": 100, "end_of_stream": False}
    page, following = export.read(body)
    assert page.position == 101
    assert following is not None
    assert following.params["start_time"] == 101


def test_a_last_page_ends_at_its_end_time_even_when_it_did_not_advance() -> None:
    export = time_export()
    page, following = export.read({"users": [], "end_time": 100, "end_of_stream": True})
    assert (page.position, page.is_last, following) == (100, True, None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"users": [], "end_time": None}, "response has no integer end_time"),
        ({"users": [], "end_time": "150"}, "response has no integer end_time"),
        ({"users": [], "end_time": 99}, "end_time 99 went backwards"),
        ({"users": [], "end_time": 100}, "end_time 100 did not advance"),
        ({"users": [user(1, 100), user(2, 99)], "end_time": 100}, "end_time 100 did not advance"),
    ],
)
def test_an_end_time_that_is_missing_or_stuck_is_an_error(
    body: dict[str, Any], message: str
) -> None:
    with pytest.raises(PaginationError) as refused:
        time_export().read(body)
    assert str(refused.value) == f"{USERS}: {message}"


def too_recent(
    status: int = 422, text: str = "Too recent start_time. Use a start_time older than 1 minute"
) -> InvalidRequestError:
    return InvalidRequestError(f"{status} InvalidValue: {text} (GET {USERS})", status=status)


@pytest.mark.parametrize(
    "make",
    [lambda: time_export(), lambda: IncrementalCursorExport(TICKETS, "tickets", cursor="c0")],
    ids=["time", "cursor"],
)
def test_a_too_recent_start_time_is_an_empty_last_page_and_other_errors_are_raised(
    make: Any,
) -> None:
    export = make()
    page = export.recover(too_recent())
    assert page == Page([], {}, export.position, True)
    assert page.position in (100, "c0")
    for other in (
        too_recent(status=400),
        too_recent(text="start_time is invalid"),
        NotFoundError("404 too recent start_time", status=422),
    ):
        with pytest.raises(type(other)) as raised:
            export.recover(other)
        assert raised.value is other


def test_a_cursor_list_follows_links_next_and_stops_on_has_more() -> None:
    listing = CursorList(
        "/api/v2/deleted_users", "deleted_users", page_size=2, params={"sort": "id"}
    )
    assert listing.first_request() == PageRequest(
        "/api/v2/deleted_users", {"page[size]": 2, "sort": "id"}
    )
    next_url = "https://acme.zendesk.com/api/v2/deleted_users?page[after]=a1"
    body = {
        "deleted_users": [{"id": 1}, {"id": 2}],
        "meta": {"has_more": True, "after_cursor": "a1", "before_cursor": "b1"},
        "links": {"next": next_url},
    }
    page, following = listing.read(body)
    assert page == Page([{"id": 1}, {"id": 2}], body, "a1", False)
    assert following == PageRequest(next_url)

    body = {"deleted_users": [{"id": 3}], "meta": {"has_more": True, "after_cursor": "a2"}}
    page, following = listing.read(body)
    assert following == PageRequest(
        "/api/v2/deleted_users", {"page[size]": 2, "sort": "id", "page[after]": "a2"}
    )
    # The last page still names cursors and a next link.
    body = {
        "deleted_users": [{"id": 4}],
        "meta": {"has_more": False, "after_cursor": "a3"},
        "links": {"next": "https://acme.zendesk.com/api/v2/deleted_users?page[after]=a3"},
    }
    page, following = listing.read(body)
    assert (page.position, page.is_last, following) == ("a3", True, None)
    page, following = listing.read({"deleted_users": []})
    assert (page.items, page.position, page.is_last, following) == ([], "a3", True, None)


@pytest.mark.parametrize("after", [None, "a1"])
def test_a_cursor_list_whose_cursor_does_not_advance_is_an_error(after: str | None) -> None:
    listing = CursorList("/api/v2/deleted_users", "deleted_users")
    listing.read({"deleted_users": [{"id": 1}], "meta": {"has_more": True, "after_cursor": "a1"}})
    with pytest.raises(PaginationError) as refused:
        listing.read(
            {"deleted_users": [{"id": 2}], "meta": {"has_more": True, "after_cursor": after}}
        )
    assert (
        str(refused.value)
        == "/api/v2/deleted_users: has_more is true but after_cursor did not advance"
    )


def test_an_offset_list_counts_its_pages_and_stops_on_a_null_next_page_or_no_items() -> None:
    listing = OffsetList("/api/v2/groups", "groups", per_page=2, params={"sort": "name"})
    assert listing.first_request() == PageRequest(
        "/api/v2/groups", {"per_page": 2, "sort": "name", "page": 1}
    )
    assert listing.position == 1
    next_url = "https://acme.zendesk.com/api/v2/groups.json?page=2&per_page=2"
    body = {"groups": [{"id": 1}, {"id": 2}], "next_page": next_url}
    page, following = listing.read(body)
    assert page == Page([{"id": 1}, {"id": 2}], body, 2, False)
    assert following == PageRequest(next_url)
    page, following = listing.read({"groups": [{"id": 3}], "next_page": None})
    assert (page.position, page.is_last, following) == (2, True, None)

    empty = OffsetList("/api/v2/groups", "groups")
    page, following = empty.read({"groups": [], "next_page": next_url})
    assert (page.position, page.is_last, following) == (1, True, None)


def test_lists_raise_every_error() -> None:
    error = InvalidRequestError("422 too recent start_time", status=422)
    for listing in (
        CursorList("/api/v2/deleted_users", "deleted_users"),
        OffsetList("/api/v2/groups", "groups"),
    ):
        with pytest.raises(InvalidRequestError):
            listing.recover(error)
