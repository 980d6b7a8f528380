"""The sandbox's list endpoints page as Zendesk's do, and every method is answered in JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import settings_for
from zdsync.client import CursorList, OffsetList, Paginator, ZendeskClient
from zdsync.client.errors import InvalidRequestError
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN

AUTH = (f"{ADMIN_EMAIL}/token", API_TOKEN)
MANY_FIELDS = SandboxConfig(
    rate_limits="off",
    users=300,
    tickets=240,
    organizations=180,
    deleted_users=150,
    extra_user_fields=150,
    extra_ticket_fields=130,
)
Truth = Callable[[Sandbox], list[Any]]


@pytest.fixture(scope="module")
def many_fields() -> Iterator[Sandbox]:
    with Sandbox(MANY_FIELDS).start() as running:
        yield running


@pytest.fixture
def many_client(many_fields: Sandbox) -> Iterator[ZendeskClient]:
    with ZendeskClient(settings_for(many_fields)) as zendesk:
        yield zendesk


def get(sandbox: Sandbox, path: str, params: Any = None, method: str = "GET") -> httpx.Response:
    return httpx.request(method, sandbox.base_url + path, params=params, auth=AUTH)


def _purged_with_statuses(sandbox: Sandbox) -> int:
    return next(iter(sandbox.store.compliance))


# Each list and what it must hold, computed from the sandbox's records rather than its lists.
LISTS: dict[str, tuple[str, Truth]] = {
    "users": (
        "/api/v2/users",
        lambda s: sorted(u["id"] for u in s.store.users.records.values() if u["active"]),
    ),
    "tickets": (
        "/api/v2/tickets",
        lambda s: sorted(
            t["id"] for t in s.store.tickets.records.values() if t["status"] != "deleted"
        ),
    ),
    "organizations": (
        "/api/v2/organizations",
        lambda s: sorted(
            o["id"] for o in s.store.organizations.records.values() if o["deleted_at"] is None
        ),
    ),
    "deleted_users": (
        "/api/v2/deleted_users",
        lambda s: sorted(
            [u["id"] for u in s.store.users.records.values() if not u["active"]]
            + list(s.store.purged)
        ),
    ),
    "user_fields": ("/api/v2/user_fields", lambda s: [d["id"] for d in s.store.user_fields]),
    "ticket_fields": ("/api/v2/ticket_fields", lambda s: [d["id"] for d in s.store.ticket_fields]),
}


def _ids(pages: list[Any]) -> list[Any]:
    return [item["id"] for page in pages for item in page.items]


@pytest.mark.parametrize("kind", sorted(LISTS))
def test_cursor_paging_reads_every_row_once(
    many_fields: Sandbox, many_client: ZendeskClient, kind: str
) -> None:
    path, truth = LISTS[kind]
    pages = list(many_client.paginate(CursorList(path, kind, page_size=100)))
    assert _ids(pages) == truth(many_fields)
    assert len(truth(many_fields)) > 100
    assert all(len(page.items) <= 100 for page in pages)
    assert all("count" not in page.body and "next_page" not in page.body for page in pages)


@pytest.mark.parametrize("kind", sorted(set(LISTS) - {"ticket_fields"}))
def test_offset_paging_reads_every_row_once(
    many_fields: Sandbox, many_client: ZendeskClient, kind: str
) -> None:
    path, truth = LISTS[kind]
    paginator: Paginator = OffsetList(path, kind, per_page=100)
    pages = list(many_client.paginate(paginator))
    assert _ids(pages) == truth(many_fields)
    assert len(pages) == -(-len(truth(many_fields)) // 100)
    assert {page.body["count"] for page in pages} == {len(truth(many_fields))}


@pytest.mark.parametrize("kind", sorted(set(LISTS) - {"ticket_fields"}))
def test_without_paging_parameters_a_list_pages_by_offset_at_100(
    many_fields: Sandbox, kind: str
) -> None:
    path, truth = LISTS[kind]
    body = get(many_fields, path).json()
    assert [row["id"] for row in body[kind]] == truth(many_fields)[:100]
    assert body["next_page"].endswith("per_page=100&page=2")
    assert body["count"] == len(truth(many_fields))


def test_ticket_fields_without_page_size_are_all_in_position_order(many_fields: Sandbox) -> None:
    body = get(many_fields, "/api/v2/ticket_fields.json").json()
    positions = [field["position"] for field in body["ticket_fields"]]
    assert positions == list(range(len(many_fields.store.ticket_fields)))
    assert len(positions) == 135


def test_compliance_statuses_page_in_both_styles(
    many_fields: Sandbox, many_client: ZendeskClient
) -> None:
    user_id = _purged_with_statuses(many_fields)
    path = f"/api/v2/users/{user_id}/compliance_deletion_statuses"
    truth = many_fields.store.compliance[user_id]
    key = "compliance_deletion_statuses"
    by_cursor = [
        r for p in many_client.paginate(CursorList(path, key, page_size=2)) for r in p.items
    ]
    by_offset = [
        r for p in many_client.paginate(OffsetList(path, key, per_page=3)) for r in p.items
    ]
    assert by_cursor == by_offset == truth
    only_chat = get(many_fields, path, {"page[size]": 1, "application": "chat"}).json()
    assert "application=chat" in only_chat["links"]["next"]
    walked = [
        r
        for p in many_client.paginate(
            CursorList(path, key, page_size=1, params={"application": "chat"})
        )
        for r in p.items
    ]
    assert walked == [row for row in truth if row["application"] == "chat"]


def test_user_filters_narrow_the_list_and_links_keep_them(many_fields: Sandbox) -> None:
    users = many_fields.store.users.records.values()
    agents = sorted(u["id"] for u in users if u["active"] and u["role"] == "agent")
    staff = sorted(u["id"] for u in users if u["active"] and u["role"] != "end-user")
    first = get(many_fields, "/api/v2/users", {"role": "agent", "page[size]": 2}).json()
    second = httpx.get(first["links"]["next"], auth=AUTH).json()
    assert [u["id"] for u in first["users"] + second["users"]] == agents[:4]
    both = get(many_fields, "/api/v2/users", [("role[]", "agent"), ("role[]", "admin")]).json()
    assert [u["id"] for u in both["users"]] == staff
    assert get(many_fields, "/api/v2/users", {"role": "owner"}).status_code == 400

    someone = next(u for u in users if u["active"] and u["external_id"])
    many_fields.store.update_user(someone["id"], custom_role_id=4242)
    by_set = get(many_fields, "/api/v2/users", {"permission_set": 4242}).json()
    assert [u["id"] for u in by_set["users"]] == [someone["id"]]
    by_external = get(many_fields, "/api/v2/users", {"external_id": someone["external_id"]}).json()
    assert [u["id"] for u in by_external["users"]] == [someone["id"]]


def test_tickets_filter_on_external_id(many_fields: Sandbox) -> None:
    ticket = next(
        t
        for t in many_fields.store.tickets.records.values()
        if t["external_id"] and t["status"] != "deleted"
    )
    body = get(many_fields, "/api/v2/tickets", {"external_id": ticket["external_id"]}).json()
    assert [t["id"] for t in body["tickets"]] == [ticket["id"]]


def test_cursor_pages_keep_zendesks_last_page_quirks(many_fields: Sandbox) -> None:
    orgs = LISTS["organizations"][1](many_fields)
    assert 100 < len(orgs) <= 200
    first = get(many_fields, "/api/v2/organizations", {"page[size]": 100}).json()
    last = httpx.get(first["links"]["next"], auth=AUTH).json()
    assert [o["id"] for o in first["organizations"] + last["organizations"]] == orgs
    # The last page says so only through has_more: its cursors and links stay non-null.
    assert last["meta"]["has_more"] is False
    assert last["meta"]["after_cursor"]
    assert last["links"]["next"]
    beyond = httpx.get(last["links"]["next"], auth=AUTH).json()
    assert beyond == {
        "organizations": [],
        "meta": {"has_more": False, "after_cursor": None, "before_cursor": None},
        "links": {"next": None, "prev": None},
    }
    back = httpx.get(last["links"]["prev"], auth=AUTH).json()
    assert back["organizations"] == first["organizations"]
    assert back["meta"]["has_more"] is False
    cursor = first["meta"]["after_cursor"]
    both = get(
        many_fields, "/api/v2/organizations", {"page[after]": cursor, "page[before]": cursor}
    )
    assert both.status_code == 400
    assert both.json()["error"] == "InvalidPaginationParameter"
    assert get(many_fields, "/api/v2/users", {"page[after]": "nope"}).status_code == 400
    bad_size = get(many_fields, "/api/v2/users", {"page[size]": "x"}).json()
    assert bad_size["error"]["title"] == "Invalid attribute"


def test_pages_are_capped_at_100_and_offset_depth_is_limited(many_fields: Sandbox) -> None:
    assert len(get(many_fields, "/api/v2/tickets", {"page[size]": 500}).json()["tickets"]) == 100
    assert len(get(many_fields, "/api/v2/tickets", {"per_page": 500}).json()["tickets"]) == 100
    for params in ({"page": 101}, {"page": 101, "per_page": 1}):
        refused = get(many_fields, "/api/v2/users", params)
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["code"] == "InvalidPaginationDepth"
    deepest = get(many_fields, "/api/v2/users", {"page": 100, "per_page": 100})
    assert deepest.status_code == 200
    assert deepest.json()["users"] == []


def test_the_project_paginators_raise_on_offset_depth(many_client: ZendeskClient) -> None:
    with pytest.raises(InvalidRequestError, match="InvalidPaginationDepth"):
        many_client.get_json("/api/v2/organizations", params={"page": 101})


def test_single_tickets_are_read_and_deleted_ones_are_gone(many_fields: Sandbox) -> None:
    tickets = many_fields.store.tickets.records.values()
    live = next(t for t in tickets if t["status"] != "deleted")
    deleted = next(t for t in tickets if t["status"] == "deleted")
    assert get(many_fields, f"/api/v2/tickets/{live['id']}.json").json() == {"ticket": live}
    gone = get(many_fields, f"/api/v2/tickets/{deleted['id']}")
    assert gone.status_code == 404
    assert gone.json() == {"error": "RecordNotFound", "description": "Not found"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v2/users/360000000017"),
        ("PATCH", "/api/v2/no/such/thing"),
        ("PUT", "/api/v2/incremental/tickets/cursor"),
        ("DELETE", "/api/v2/user_fields"),
        ("OPTIONS", "/api/v2/users"),
        ("PROPFIND", "/api/v2/tickets"),
        ("POST", "/api/v2/users/me"),
    ],
)
@pytest.mark.sends_unknown_requests
def test_every_unrouted_method_gets_zendesks_json_404(
    shared_sandbox: Sandbox, method: str, path: str
) -> None:
    answer = get(shared_sandbox, path, method=method)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == {"error": "InvalidEndpoint", "description": "Not found"}
    assert shared_sandbox.app.log[-1].method == method


def test_head_reads_headers_without_a_body(shared_sandbox: Sandbox) -> None:
    full = get(shared_sandbox, "/api/v2/users/me")
    head = get(shared_sandbox, "/api/v2/users/me", method="HEAD")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))


@pytest.mark.parametrize("sandbox", [SandboxConfig(rate_limits="off", users=150)], indirect=True)
def test_lists_follow_changes_made_between_pages(sandbox: Sandbox, client: ZendeskClient) -> None:
    store = sandbox.store
    first = get(sandbox, "/api/v2/tickets", {"page[size]": 100}).json()
    on_a_later_page = max(store.tickets.records)
    store.delete_ticket(on_a_later_page)
    created = store.create_ticket(subject="new between pages")["id"]
    leaving = max(u["id"] for u in store.users.records.values() if u["active"])
    get(sandbox, "/api/v2/users")
    store.soft_delete_user(leaving)

    rest = list(client.paginate(CursorList("/api/v2/tickets", "tickets", page_size=100)))[1:]
    tickets = [t["id"] for t in first["tickets"]] + _ids(rest)
    users = _ids(list(client.paginate(OffsetList("/api/v2/users", "users"))))
    deleted = _ids(list(client.paginate(CursorList("/api/v2/deleted_users", "deleted_users"))))

    assert on_a_later_page not in tickets
    assert created in tickets
    assert tickets == LISTS["tickets"][1](sandbox)
    assert leaving not in users
    assert leaving in deleted
