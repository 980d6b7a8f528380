"""Each paginator's stop rule, against the sandbox's Zendesk-shaped last pages."""

from __future__ import annotations

import math
from collections.abc import Mapping

import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import (
    CursorList,
    IncrementalCursorExport,
    OffsetList,
    TimeBasedExport,
    ZendeskClient,
)
from zdsync.client.errors import InvalidRequestError, PaginationError
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.store import epoch


def visible_ticket_ids(sandbox: Sandbox) -> list[int]:
    horizon = sandbox.store.horizon()
    return sorted(
        t["id"]
        for t in sandbox.store.tickets.records.values()
        if t["generated_timestamp"] <= horizon
    )


# 1,500 tickets: a partly filled last page, and a full one (no empty page follows it).
@pytest.mark.parametrize("per_page", [200, 300])
def test_cursor_export_reads_everything_once_and_keeps_the_last_cursor(
    shared_sandbox: Sandbox, shared_client: ZendeskClient, per_page: int
) -> None:
    paginator = IncrementalCursorExport(
        "/api/v2/incremental/tickets/cursor", "tickets", start_time=0, per_page=per_page
    )
    pages = list(shared_client.paginate(paginator))
    ids = [t["id"] for page in pages for t in page.items]
    assert sorted(ids) == visible_ticket_ids(shared_sandbox)
    assert len(ids) == len(set(ids))
    last = pages[-1]
    assert last.is_last
    assert last.body["end_of_stream"] is True
    assert last.body["after_cursor"] is not None
    assert last.position == last.body["after_cursor"]
    assert len(pages) == math.ceil(len(ids) / per_page)


def test_cursor_export_resumes_from_the_saved_cursor(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    first = list(
        client.paginate(
            IncrementalCursorExport("/api/v2/incremental/tickets/cursor", "tickets", start_time=0)
        )
    )
    cursor = first[-1].position
    before = client.stats.total
    again = list(
        client.paginate(
            IncrementalCursorExport("/api/v2/incremental/tickets/cursor", "tickets", cursor=cursor)
        )
    )
    assert client.stats.total == before + 1
    assert [t for p in again for t in p.items] == []
    assert sandbox.app.log[-1].query["cursor"] == cursor

    changed = sandbox.store.touch_ticket(next(iter(sandbox.store.tickets.records)))
    sandbox.store.advance_clock(61)
    later = list(
        client.paginate(
            IncrementalCursorExport("/api/v2/incremental/tickets/cursor", "tickets", cursor=cursor)
        )
    )
    assert [t["id"] for p in later for t in p.items] == [changed["id"]]


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", users=60, shared_second_size=25)], indirect=True
)
def test_time_export_drops_boundary_repeats_and_allows_oversized_pages(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    paginator = TimeBasedExport(
        "/api/v2/incremental/users",
        "users",
        start_time=0,
        per_page=10,
        timestamp_of=lambda user: epoch(user["updated_at"]),
    )
    pages = list(client.paginate(paginator))
    ids = [u["id"] for p in pages for u in p.items]
    expected = sorted(u["id"] for u in sandbox.store.users.records.values())
    assert sorted(ids) == expected
    assert len(ids) == len(set(ids))
    # The 25 users that share one second come back on a single page, above per_page.
    assert max(p.body["count"] for p in pages) >= 25
    # The server repeated boundary records; the paginator removed them.
    served = sum(p.body["count"] for p in pages)
    assert served > len(ids)
    # Zendesk's last page still links onwards; only end_of_stream stops us.
    assert pages[-1].is_last
    assert pages[-1].body["next_page"]


def test_time_export_treats_a_too_recent_start_time_as_nothing_new(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    start = shared_sandbox.store.now() - 5
    pages = list(
        shared_client.paginate(
            TimeBasedExport(
                "/api/v2/incremental/organizations",
                "organizations",
                start_time=start,
                timestamp_of=lambda org: epoch(org["updated_at"]),
            )
        )
    )
    assert len(pages) == 1
    assert pages[0].items == []
    assert pages[0].position == start


def test_cursor_list_stops_on_has_more_not_on_null_cursors(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    # The sandbox is shared: read only the requests this test makes.
    since = len(shared_sandbox.app.log)
    pages = list(
        shared_client.paginate(CursorList("/api/v2/deleted_users", "deleted_users", page_size=7))
    )
    made = list(shared_sandbox.app.log)[since:]
    ids = [u["id"] for p in pages for u in p.items]
    assert ids == sorted(r["id"] for r in shared_sandbox.store.deleted_users())
    last = pages[-1].body
    assert last["meta"]["has_more"] is False
    assert last["meta"]["after_cursor"]
    assert last["links"]["next"]
    # Standard base64 cursors carry '+', '/' or '='; every one went back URL-encoded intact.
    cursors = [p.body["meta"]["after_cursor"] for p in pages]
    assert any(c for c in cursors if set(c) & set("+/="))
    assert [(e.path, e.status) for e in made] == [("/api/v2/deleted_users", 200)] * len(pages)


def test_offset_list_stops_on_null_next_page(
    shared_sandbox: Sandbox, shared_client: ZendeskClient
) -> None:
    pages = list(
        shared_client.paginate(OffsetList("/api/v2/deleted_users", "deleted_users", per_page=9))
    )
    ids = [u["id"] for p in pages for u in p.items]
    assert ids == sorted(r["id"] for r in shared_sandbox.store.deleted_users())
    assert pages[-1].body["next_page"] is None


def test_offset_pagination_past_its_depth_limit_is_a_clear_error(
    shared_client: ZendeskClient,
) -> None:
    with pytest.raises(InvalidRequestError, match="InvalidPaginationDepth"):
        shared_client.get_json("/api/v2/deleted_users", params={"page": 101, "per_page": 100})


def _serve(body: Mapping[str, object]) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(200, json=body))


def test_a_cursor_that_does_not_advance_is_an_error(shared_sandbox: Sandbox) -> None:
    # The sandbox never does this; a stand-in server shows the guard.
    stuck: dict[str, object] = {
        "tickets": [],
        "after_cursor": "abc",
        "after_url": None,
        "end_of_stream": False,
    }
    with ZendeskClient(settings_for(shared_sandbox), transport=_serve(stuck)) as client:
        paginator = IncrementalCursorExport(
            "/api/v2/incremental/tickets/cursor", "tickets", cursor="abc"
        )
        with pytest.raises(PaginationError, match="did not advance"):
            list(client.paginate(paginator))


def test_an_end_time_that_does_not_advance_is_an_error(shared_sandbox: Sandbox) -> None:
    stuck = {
        "organizations": [{"id": 1, "updated_at": "2026-01-01T00:00:00Z"}],
        "end_time": 100,
        "end_of_stream": False,
        "next_page": None,
        "count": 1,
    }
    with ZendeskClient(settings_for(shared_sandbox), transport=_serve(stuck)) as client:
        paginator = TimeBasedExport(
            "/api/v2/incremental/organizations",
            "organizations",
            start_time=100,
            timestamp_of=lambda o: 99,
        )
        with pytest.raises(PaginationError, match="did not advance"):
            list(client.paginate(paginator))
