"""Users of a group and of an organization, listed and counted through ``ZendeskClient``,
against the memberships the sandbox holds (seed 004 documents these; Zendesk's OpenAPI file
does not)."""

from __future__ import annotations

import pytest

from zdsync import catalog
from zdsync.client import CursorList, ZendeskClient
from zdsync.client.errors import NotFoundError
from zdsync.sandbox import Sandbox, SandboxConfig

OPERATIONS = [
    "users.list_of_group",
    "users.count_of_group",
    "users.list_of_organization",
    "users.count_of_organization",
]
pytestmark = pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", users=300, organizations=12)], indirect=True
)


def group_members(sandbox: Sandbox, group_id: int) -> set[int]:
    memberships = sandbox.store.account.lists["group_memberships"].values()
    return {m["user_id"] for m in memberships if m["group_id"] == group_id}


def test_a_groups_users_are_its_members_on_every_page(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    group_id = max(
        sandbox.store.account.lists["groups"], key=lambda g: len(group_members(sandbox, g))
    )
    expected = {
        u for u in group_members(sandbox, group_id) if sandbox.store.users.records[u]["active"]
    }

    path = catalog.operation("users.list_of_group").path_for(group_id=group_id)
    pages = list(client.paginate(CursorList(path, "users", page_size=3)))
    listed = [user for page in pages for user in page.items]
    everything = client.call("users.list_of_group", group_id=group_id)["users"]
    count = client.call("users.count_of_group", group_id=group_id)["count"]["value"]

    assert [u["id"] for u in listed] == sorted(expected)
    assert everything == listed
    assert count == len(expected)
    assert len(pages) == -(-len(expected) // 3) > 1


def test_an_organizations_users_hold_it_or_a_membership_and_take_role_filters(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    store = sandbox.store
    org_id = min(i for i, org in store.organizations.records.items() if org["deleted_at"] is None)
    memberships = store.account.lists["organization_memberships"].values()
    belong = {m["user_id"] for m in memberships if m["organization_id"] == org_id}
    belong |= {u["id"] for u in store.users.records.values() if u["organization_id"] == org_id}
    end_users = {
        u
        for u in belong
        if store.users.records[u]["active"] and store.users.records[u]["role"] == "end-user"
    }

    listed = list(
        client.records("users.list_of_organization", organization_id=org_id, role="end-user")
    )
    counted = client.call("users.count_of_organization", organization_id=org_id, role="end-user")

    assert sorted(u["id"] for u in listed) == sorted(end_users)
    assert counted["count"]["value"] == len(end_users)
    assert end_users


def test_an_unknown_group_or_a_deleted_organization_is_not_found(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    deleted = next(
        i for i, org in sandbox.store.organizations.records.items() if org["deleted_at"] is not None
    )
    with pytest.raises(NotFoundError):
        client.call("users.list_of_group", group_id=1)
    with pytest.raises(NotFoundError):
        client.call("users.count_of_organization", organization_id=deleted)
