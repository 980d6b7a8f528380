"""User writes over HTTP: Zendesk's answers and refusals, and what an extract then reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.writing import exported, finished, send
from zdsync.sandbox.bulk import USER_MANAGER_ROLE_IDS
from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, SandboxConfig
from zdsync.sandbox.server import Sandbox
from zdsync.sandbox.store import epoch

SMALL = SandboxConfig(rate_limits="off", users=60, tickets=120, organizations=8)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def end_users(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    found = [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user" and u["email"]
    ]
    return found[:count]


def user_managing_agent(sandbox: Sandbox) -> dict[str, Any]:
    agent = sandbox.store.find_user(email=AGENT_EMAIL)
    assert agent is not None
    return sandbox.store.update_user(agent["id"], custom_role_id=min(USER_MANAGER_ROLE_IDS))


def test_create_answers_201_and_the_export_has_the_user(sandbox: Sandbox) -> None:
    body = {"user": {"name": "Roger Wilco", "email": "roger@example.org", "external_id": "r-1"}}
    reply = send(sandbox, "POST", "/api/v2/users", body)

    assert reply.status_code == 201, reply.text
    user = reply.json()["user"]
    assert (user["role"], user["active"]) == ("end-user", True)
    assert sandbox.store.find_user(external_id="R-1") == sandbox.store.users.records[user["id"]]
    assert exported(sandbox, "users")[user["id"]]["email"] == "roger@example.org"


def test_create_refuses_blank_names_bad_and_taken_emails_and_end_users(sandbox: Sandbox) -> None:
    taken = end_users(sandbox, 1)[0]
    cases = {
        "name": {"email": "nameless@example.org"},
        "malformed": {"name": "A", "email": "a..b@example.org"},
        "taken": {"name": "B", "email": taken["email"].upper()},
        "role": {"name": "C", "role": "owner"},
    }
    replies = {
        key: send(sandbox, "POST", "/api/v2/users", {"user": row}) for key, row in cases.items()
    }
    as_end_user = send(
        sandbox, "POST", "/api/v2/users", {"user": {"name": "D"}}, email=taken["email"]
    )
    before = len(sandbox.store.users.records)

    assert {key: r.status_code for key, r in replies.items()} == dict.fromkeys(cases, 422)
    assert replies["name"].json()["details"]["name"][0]["error"] == "InvalidValue"
    assert replies["taken"].json()["details"]["email"][0]["error"] == "DuplicateValue"
    assert "is not properly formatted" in replies["malformed"].text
    assert as_end_user.status_code == 403
    assert len(sandbox.store.users.records) == before


def test_update_changes_the_user_adds_an_email_and_the_export_sees_it(sandbox: Sandbox) -> None:
    user = end_users(sandbox, 1)[0]
    sandbox.store.advance_clock(3600)
    change = {"user": {"name": "Renamed", "email": "second@example.org"}}
    reply = send(sandbox, "PUT", f"/api/v2/users/{user['id']}", change)
    unknown = send(sandbox, "PUT", "/api/v2/users/7", change)

    assert reply.status_code == 200, reply.text
    assert "Zendesk-RateLimit-create-update-user" in reply.headers
    stored = sandbox.store.users.records[user["id"]]
    assert (stored["name"], stored["email"]) == ("Renamed", user["email"])
    assert "second@example.org" in sandbox.store.emails_of(stored)
    assert epoch(stored["updated_at"]) > epoch(user["updated_at"])
    assert unknown.status_code == 404
    assert exported(sandbox, "users")[user["id"]]["name"] == "Renamed"


def test_agents_may_only_change_end_users(sandbox: Sandbox) -> None:
    user_managing_agent(sandbox)
    admin = sandbox.store.find_user(email=ADMIN_EMAIL)
    end_user = end_users(sandbox, 1)[0]
    assert admin is not None
    change = {"user": {"notes": "seen"}}
    on_admin = send(sandbox, "PUT", f"/api/v2/users/{admin['id']}", change, email=AGENT_EMAIL)
    on_end_user = send(sandbox, "PUT", f"/api/v2/users/{end_user['id']}", change, email=AGENT_EMAIL)

    assert (on_admin.status_code, on_end_user.status_code) == (403, 200)
    assert sandbox.store.users.records[admin["id"]]["notes"] == admin["notes"]


def test_create_many_and_update_many_are_jobs_with_a_result_per_row(sandbox: Sandbox) -> None:
    rows = [{"name": "Many One", "email": "many1@example.org"}, {"email": "noname@example.org"}]
    created = finished(sandbox, send(sandbox, "POST", "/api/v2/users/create_many", {"users": rows}))
    first, second = end_users(sandbox, 2)
    same = send(
        sandbox,
        "PUT",
        "/api/v2/users/update_many",
        {"user": {"notes": "bulk"}},
        query={"ids": f"{first['id']},{second['id']}"},
    )
    each = {"users": [{"id": first["id"], "name": "Batch"}, {"id": 7, "name": "Nobody"}]}
    own = send(sandbox, "PUT", "/api/v2/users/update_many", each)
    same_job, own_job = finished(sandbox, same), finished(sandbox, own)

    made, failed = created["results"]
    assert made["success"]
    assert not failed["success"]
    assert sandbox.store.users.records[made["id"]]["name"] == "Many One"
    assert [r["status"] for r in same_job["results"]] == ["Updated", "Updated"]
    assert [r["success"] for r in own_job["results"]] == [True, False]
    export = exported(sandbox, "users")
    assert (export[first["id"]]["name"], export[first["id"]]["notes"]) == ("Batch", "bulk")
    assert export[second["id"]]["notes"] == "bulk"
    assert export[made["id"]]["email"] == "many1@example.org"


def test_bulk_user_writes_refuse_more_than_100_items_and_need_their_arguments(
    sandbox: Sandbox,
) -> None:
    rows = [{"name": f"U{n}", "email": f"u{n}@example.org"} for n in range(101)]
    ids = ",".join(str(n) for n in range(101))
    replies = [
        send(sandbox, "POST", "/api/v2/users/create_many", {"users": rows}),
        send(sandbox, "PUT", "/api/v2/users/update_many", {"user": {}}, query={"ids": ids}),
        send(sandbox, "DELETE", "/api/v2/users/destroy_many", query={"ids": ids}),
        send(sandbox, "DELETE", "/api/v2/users/destroy_many"),
        send(sandbox, "PUT", "/api/v2/users/update_many", {"users": [{"name": "no id"}]}),
    ]
    assert [r.status_code for r in replies] == [400] * 5
    assert sandbox.app.jobs.jobs == {}


def test_delete_is_soft_and_the_export_reports_the_user_inactive(sandbox: Sandbox) -> None:
    user = end_users(sandbox, 1)[0]
    reply = send(sandbox, "DELETE", f"/api/v2/users/{user['id']}")
    again = send(sandbox, "DELETE", f"/api/v2/users/{user['id']}")
    owner = sandbox.store.find_user(email=ADMIN_EMAIL)
    assert owner is not None
    on_owner = send(sandbox, "DELETE", f"/api/v2/users/{owner['id']}")

    assert reply.status_code == 200
    assert reply.json()["user"]["active"] is False
    assert again.status_code == 404
    assert on_owner.status_code == 403
    deleted = send(sandbox, "GET", "/api/v2/deleted_users").json()["deleted_users"]
    assert user["id"] in {row["id"] for row in deleted}
    assert exported(sandbox, "users")[user["id"]]["active"] is False


def test_destroy_many_is_a_job_for_admins_only(sandbox: Sandbox) -> None:
    first, second = end_users(sandbox, 2)
    user_managing_agent(sandbox)
    by_agent = send(
        sandbox,
        "DELETE",
        "/api/v2/users/destroy_many",
        query={"ids": str(first["id"])},
        email=AGENT_EMAIL,
    )
    by_external_id = {"external_ids": str(second["external_id"] or "none")}
    jobs = [
        send(sandbox, "DELETE", "/api/v2/users/destroy_many", query={"ids": f"{first['id']},7"}),
        send(sandbox, "DELETE", "/api/v2/users/destroy_many", query=by_external_id),
    ]
    done = [finished(sandbox, job) for job in jobs]

    assert by_agent.status_code == 403
    assert [r["success"] for r in done[0]["results"]] == [True, False]
    assert sandbox.store.users.records[first["id"]]["active"] is False
    assert done[1]["results"][0]["success"] is bool(second["external_id"])
    assert exported(sandbox, "users")[first["id"]]["active"] is False


def test_merge_moves_tickets_and_emails_to_the_target_and_deletes_the_source(
    sandbox: Sandbox,
) -> None:
    requesters = {t["requester_id"] for t in sandbox.store.tickets.records.values()}
    source, target = [u for u in end_users(sandbox, 60) if u["id"] in requesters][:2]
    moved = [
        t["id"] for t in sandbox.store.tickets.records.values() if t["requester_id"] == source["id"]
    ]
    reply = send(
        sandbox, "PUT", f"/api/v2/users/{source['id']}/merge", {"user": {"id": target["id"]}}
    )

    assert reply.status_code == 200, reply.text
    assert reply.json()["user"]["id"] == target["id"]
    assert source["email"].lower() in sandbox.store.emails_of(
        sandbox.store.users.records[target["id"]]
    )
    assert sandbox.store.find_user(email=source["email"])["id"] == target["id"]  # type: ignore[index]
    users, tickets = exported(sandbox, "users"), exported(sandbox, "tickets")
    assert users[source["id"]]["active"] is False
    assert {tickets[t]["requester_id"] for t in moved} == {target["id"]}


def test_merge_refuses_staff_itself_unknown_users_and_big_requesters(sandbox: Sandbox) -> None:
    first, second = end_users(sandbox, 2)
    admin = sandbox.store.find_user(email=ADMIN_EMAIL)
    assert admin is not None
    sandbox.store.create_ticket(requester_id=first["id"], status="open")
    sandbox.app.config.user_merge_max_requested_tickets = 0

    def merge(source: int, target: int) -> int:
        path = f"/api/v2/users/{source}/merge"
        return send(sandbox, "PUT", path, {"user": {"id": target}}).status_code

    statuses = {
        "staff": merge(second["id"], admin["id"]),
        "itself": merge(second["id"], second["id"]),
        "unknown": merge(7, second["id"]),
        "big requester": merge(first["id"], second["id"]),
    }
    assert statuses == {"staff": 422, "itself": 422, "unknown": 404, "big requester": 422}
    assert sandbox.store.users.records[first["id"]]["active"] is True


def test_a_custom_role_makes_an_agent_and_agents_cannot_make_staff(sandbox: Sandbox) -> None:
    role = min(USER_MANAGER_ROLE_IDS)
    body = {"user": {"name": "Light", "role": "end-user", "custom_role_id": role}}
    made = send(sandbox, "POST", "/api/v2/users", body).json()["user"]
    user_managing_agent(sandbox)
    end_user = end_users(sandbox, 1)[0]
    promote = {"user": {"role": "admin"}}
    path = f"/api/v2/users/{end_user['id']}"
    by_agent = send(sandbox, "PUT", path, promote, email=AGENT_EMAIL)
    in_bulk = send(
        sandbox,
        "PUT",
        "/api/v2/users/update_many",
        {"users": [{"id": end_user["id"], "role": "admin"}]},
        email=AGENT_EMAIL,
    )
    bulk_result = finished(sandbox, in_bulk)["results"][0]

    assert (made["role"], made["custom_role_id"]) == ("agent", role)
    assert by_agent.status_code == 403
    assert (bulk_result["success"], bulk_result["error"]) == (False, "PermissionDenied")
    assert sandbox.store.users.records[end_user["id"]]["role"] == "end-user"
