"""The sandbox's user search: what a push relies on to find users by email."""

from __future__ import annotations

from typing import Any

import httpx

from tests.sandbox.oas import response_schema, validate
from zdsync.client import ZendeskClient
from zdsync.sandbox import Sandbox
from zdsync.sandbox.config import API_TOKEN

SEARCH = "/api/v2/users/search"


def found_ids(client: ZendeskClient, **params: str) -> list[int]:
    return [u["id"] for u in client.get_json(SEARCH, params=params)["users"]]


def active_end_user(sandbox: Sandbox, offset: int = 0) -> dict[str, Any]:
    users = [
        u
        for u in sandbox.store.users.records.values()
        if u["active"] and u["role"] == "end-user" and u["external_id"]
    ]
    return users[offset]


def test_email_and_external_id_terms_match_exactly_in_any_case(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    user = active_end_user(sandbox)
    other = active_end_user(sandbox, 1)
    sandbox.store.add_identity(other, "email", "Second.Address@Example.org")

    assert found_ids(client, query=f"email:{user['email'].upper()}") == [user["id"]]
    assert found_ids(client, query=f'email:"{user["email"]}"') == [user["id"]]
    assert found_ids(client, query="email:second.address@example.org") == [other["id"]]
    assert found_ids(client, query=f"email:{user['email'][:-1]}") == []
    assert found_ids(client, query=f"external_id:{user['external_id'].upper()}") == [user["id"]]
    assert found_ids(client, external_id=user["external_id"]) == [user["id"]]
    assert (
        found_ids(client, query=f"email:{user['email']} external_id:{other['external_id']}") == []
    )


def test_deleted_users_are_not_found(sandbox: Sandbox, client: ZendeskClient) -> None:
    user = active_end_user(sandbox)
    sandbox.store.soft_delete_user(user["id"])

    assert found_ids(client, query=f"email:{user['email']}") == []


def test_pages_follow_to_every_match_and_fit_the_spec(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    expected = sorted(
        u["id"]
        for u in sandbox.store.snapshot()["users"].values()
        if u["active"] and any("example.com" in e for e in sandbox.store.emails_of(u))
    )
    assert len(expected) > 150
    body = client.get_json(SEARCH, params={"query": "example.com", "per_page": "70"})
    seen, pages = [], 0
    while True:
        validate(response_schema(SEARCH), body)
        assert body["count"] == len(expected)
        seen += [u["id"] for u in body["users"]]
        pages += 1
        if body["next_page"] is None:
            break
        body = client.get_json(body["next_page"])

    assert seen == expected
    assert pages == -(-len(expected) // 70)


def test_what_it_cannot_search_is_refused(sandbox: Sandbox, client: ZendeskClient) -> None:
    end_user = active_end_user(sandbox)

    unsupported = httpx.get(
        sandbox.base_url + SEARCH,
        params={"query": "phone:+4570"},
        auth=(f"{sandbox.admin_email}/token", API_TOKEN),
    )
    empty = httpx.get(sandbox.base_url + SEARCH, auth=(f"{sandbox.admin_email}/token", API_TOKEN))
    as_end_user = httpx.get(
        sandbox.base_url + SEARCH,
        params={"query": "example"},
        auth=(f"{end_user['email']}/token", API_TOKEN),
    )

    assert unsupported.status_code == 400
    assert unsupported.json()["errors"][0]["code"] == "QueryError"
    assert "phone:" in unsupported.json()["errors"][0]["title"]
    assert empty.status_code == 400
    assert as_end_user.status_code == 403
