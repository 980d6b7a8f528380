"""``records("search.list")`` past Zendesk's 1,000-result cap: the export search takes over,
says so, and every match arrives once; under the cap nothing changes."""

from __future__ import annotations

import logging

import httpx
import pytest

from zdsync.client import ZendeskClient
from zdsync.client.search_cap import split_types
from zdsync.sandbox import Sandbox, SandboxConfig

MANY = SandboxConfig(rate_limits="off", users=300, tickets=1400, organizations=20)
on_many = pytest.mark.parametrize("sandbox", [MANY], indirect=True)


def searched(sandbox: Sandbox) -> list[str]:
    return [
        e.path.removesuffix(".json") for e in sandbox.app.log if e.path.startswith("/api/v2/search")
    ]


@on_many
def test_a_search_past_the_cap_is_read_whole_through_the_export(
    sandbox: Sandbox, client: ZendeskClient, caplog: pytest.LogCaptureFixture
) -> None:
    open_tickets = {
        t["id"] for t in sandbox.store.tickets.records.values() if t["status"] != "deleted"
    }
    assert len(open_tickets) > 1000
    with caplog.at_level(logging.INFO, logger="zdsync.client.search_cap"):
        found = list(client.records("search.list", query="type:ticket"))

    assert sorted(r["id"] for r in found) == sorted(open_tickets)
    assert {r["result_type"] for r in found} == {"ticket"}
    assert searched(sandbox)[0] == "/api/v2/search"
    assert set(searched(sandbox)[1:]) == {"/api/v2/search/export"}
    assert all(e.status == 200 for e in sandbox.app.log)
    (line,) = [r.getMessage() for r in caplog.records]
    assert f"matches {len(open_tickets)} results" in line
    assert "search.export (filter[type] ticket)" in line


@on_many
def test_a_query_of_every_type_is_exported_type_after_type(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    store = sandbox.store
    expected = {("ticket", t) for t, r in store.tickets.records.items() if r["status"] != "deleted"}
    expected |= {("user", u) for u, r in store.users.records.items() if r["active"]}
    expected |= {
        ("organization", o)
        for o, r in store.organizations.records.items()
        if r["deleted_at"] is None
    }

    found = [
        (r["result_type"], r["id"]) for r in client.records("search.list", query="-type:group")
    ]

    assert len(found) == len(set(found))
    assert set(found) == expected


@on_many
def test_a_search_under_the_cap_stays_an_ordinary_search(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    found = list(client.records("search.list", query="type:organization"))
    orgs = sandbox.store.organizations.records.values()
    assert sorted(r["id"] for r in found) == sorted(o["id"] for o in orgs if not o["deleted_at"])
    assert set(searched(sandbox)) == {"/api/v2/search"}


@on_many
def test_the_sandbox_refuses_the_page_past_the_cap_as_zendesk_does(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    page = client.get_json("/api/v2/search", {"query": "type:ticket", "page": 10, "per_page": 100})
    assert page["next_page"]
    auth = (f"{sandbox.admin_email}/token", sandbox.api_token)
    reply = httpx.get(page["next_page"], auth=auth)
    assert reply.status_code == 422


@pytest.mark.parametrize(
    ("query", "kinds", "rest"),
    [
        ("type:ticket status:open", ("ticket",), "status:open"),
        ("status:open TYPE:User type:ticket", ("ticket", "user"), "status:open"),
        (
            "-type:user created>2020-01-01",
            ("ticket", "organization", "group"),
            "created>2020-01-01",
        ),
        ('"subtype:x" hello', ("ticket", "user", "organization", "group"), '"subtype:x" hello'),
    ],
)
def test_split_types(query: str, kinds: tuple[str, ...], rest: str) -> None:
    assert split_types(query) == (kinds, rest)
