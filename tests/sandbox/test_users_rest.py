"""Users' counts, related counts, logout and the owner's reminder, and deleted users' count,
show and permanent deletion, over HTTP, against the store's truth."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.writing import send
from zdsync.sandbox.config import AGENT_EMAIL, PERMANENT_DELETION_HEADER, SandboxConfig
from zdsync.sandbox.server import Sandbox

SMALL = SandboxConfig(rate_limits="off", users=80, tickets=200, organizations=6)


def end_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user"
    ]


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_counts_follow_the_store(sandbox: Sandbox) -> None:
    users = sandbox.store.users.records.values()
    agents = send(sandbox, "GET", "/api/v2/users/count", query={"role": "agent"})
    staff = send(sandbox, "GET", "/api/v2/users/count", query={"role[]": ["agent", "admin"]})
    deleted = send(sandbox, "GET", "/api/v2/deleted_users/count")
    end_user = send(sandbox, "GET", "/api/v2/users/count", email=end_users(sandbox)[0]["email"])

    active = [u for u in users if u["active"]]
    assert agents.json()["count"]["value"] == sum(u["role"] == "agent" for u in active)
    assert staff.json()["count"]["value"] == sum(u["role"] != "end-user" for u in active)
    assert deleted.json()["count"]["value"] == len(sandbox.store.deleted_users()) > 0
    assert end_user.status_code == 403


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_related_counts_the_users_tickets(sandbox: Sandbox) -> None:
    tickets = [t for t in sandbox.store.tickets.records.values() if t["status"] != "deleted"]
    requester = tickets[0]["requester_id"]
    sandbox.store.update_ticket(tickets[1]["id"], collaborator_ids=[requester])

    related = send(sandbox, "GET", f"/api/v2/users/{requester}/related").json()["user_related"]
    unknown = send(sandbox, "GET", "/api/v2/users/7/related")

    assert related["requested_tickets"] == sum(t["requester_id"] == requester for t in tickets)
    assert related["ccd_tickets"] == 1
    assert unknown.status_code == 404


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_logout_many_is_for_admins_and_at_most_100(sandbox: Sandbox) -> None:
    ids = [u["id"] for u in end_users(sandbox)[:2]]
    done = send(
        sandbox, "POST", "/api/v2/users/logout_many", query={"ids": ",".join(map(str, ids))}
    )
    too_many = send(
        sandbox, "POST", "/api/v2/users/logout_many", query={"ids": ",".join(["1"] * 101)}
    )
    as_agent = send(sandbox, "POST", f"/api/v2/users/logout_many?ids={ids[0]}", email=AGENT_EMAIL)
    missing = send(sandbox, "POST", "/api/v2/users/logout_many")

    assert (done.status_code, done.content) == (202, b"")
    assert set(sandbox.app.logouts) == set(ids)
    assert (too_many.status_code, as_agent.status_code, missing.status_code) == (400, 403, 400)


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_request_create_asks_the_owner_and_needs_a_user(sandbox: Sandbox) -> None:
    asked = send(sandbox, "POST", "/api/v2/users/request_create", {"user": {"name": "Roger"}})
    empty = send(sandbox, "POST", "/api/v2/users/request_create", {"user": {}})
    shapeless = send(sandbox, "POST", "/api/v2/users/request_create", {"name": "Roger"})

    assert asked.status_code == 200
    assert sandbox.app.owner_reminders == [{"name": "Roger", "email": None}]
    assert (empty.status_code, shapeless.status_code) == (400, 400)


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_only_a_soft_deleted_user_is_shown_and_deleted_for_good(sandbox: Sandbox) -> None:
    active, soft = end_users(sandbox)[:2]
    sandbox.store.soft_delete_user(soft["id"])
    purged = next(iter(sandbox.store.purged))

    shown = send(sandbox, "GET", f"/api/v2/deleted_users/{soft['id']}")
    not_deleted = send(sandbox, "DELETE", f"/api/v2/deleted_users/{active['id']}")
    gone = send(sandbox, "DELETE", f"/api/v2/deleted_users/{soft['id']}")
    again = send(sandbox, "DELETE", f"/api/v2/deleted_users/{soft['id']}")
    scrubbed = send(sandbox, "GET", f"/api/v2/deleted_users/{purged}")

    assert shown.json()["deleted_user"]["email"] == soft["email"]
    assert not_deleted.status_code == 404
    assert gone.status_code == 200
    assert gone.json()["deleted_user"]["name"] == "Permanently Deleted User"
    assert soft["id"] in sandbox.store.purged
    actions = [row["action"] for row in sandbox.store.compliance[soft["id"]]]
    assert actions == ["request_deletion", "started", "started"]
    assert (again.status_code, scrubbed.status_code) == (404, 404)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(users=80, tickets=40, permanent_deletions=2, time_scale=60)],
    indirect=True,
)
def test_permanent_deletions_are_limited_and_reported(sandbox: Sandbox) -> None:
    chosen = end_users(sandbox)[:3]
    for user in chosen:
        sandbox.store.soft_delete_user(user["id"])

    replies = [send(sandbox, "DELETE", f"/api/v2/deleted_users/{u['id']}") for u in chosen]

    assert [r.status_code for r in replies] == [200, 200, 429]
    assert replies[1].headers[PERMANENT_DELETION_HEADER].startswith("total=2; remaining=0")
    assert replies[2].json()["error"] == "APIRateLimitExceeded"
    assert int(replies[2].headers["retry-after"]) > 0
    assert chosen[2]["id"] not in sandbox.store.purged


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_autocomplete_leaves_out_users_with_a_foreign_identity(sandbox: Sandbox) -> None:
    first, second = end_users(sandbox)[:2]
    sandbox.store.update_user(first["id"], name="Quentin Foreign")
    sandbox.store.update_user(second["id"], name="Quentin Own")
    sandbox.store.add_identity(sandbox.store.users.records[first["id"]], "foreign", "ext-7")

    found = send(sandbox, "GET", "/api/v2/users/autocomplete", query={"name": "quentin"})

    assert [u["id"] for u in found.json()["users"]] == [second["id"]]
