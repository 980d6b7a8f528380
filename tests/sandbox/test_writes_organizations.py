"""Organization writes over HTTP: answers, refusals, and what an extract then reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.writing import exported, finished, send
from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.server import Sandbox
from zdsync.sandbox.store import epoch

SMALL = SandboxConfig(rate_limits="off", users=80, tickets=40, organizations=12)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def live(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    found = [
        o for _, o in sorted(sandbox.store.organizations.records.items()) if not o["deleted_at"]
    ]
    return found[:count]


def end_user_email(sandbox: Sandbox) -> str:
    return str(
        next(
            u["email"]
            for u in sandbox.store.users.records.values()
            if u["active"] and u["role"] == "end-user" and u["email"]
        )
    )


def test_create_answers_201_and_refuses_blank_and_taken_names(sandbox: Sandbox) -> None:
    existing = live(sandbox, 1)[0]
    made = send(sandbox, "POST", "/api/v2/organizations", {"organization": {"name": "Acme"}})
    taken = send(
        sandbox,
        "POST",
        "/api/v2/organizations",
        {"organization": {"name": existing["name"].upper()}},
    )
    blank = send(sandbox, "POST", "/api/v2/organizations", {"organization": {"notes": "x"}})
    as_end_user = send(
        sandbox,
        "POST",
        "/api/v2/organizations",
        {"organization": {"name": "Nope"}},
        email=end_user_email(sandbox),
    )

    assert made.status_code == 201, made.text
    org = made.json()["organization"]
    assert sandbox.store.organizations.records[org["id"]]["name"] == "Acme"
    assert taken.status_code == 422
    assert taken.json()["details"] == {
        "name": [{"description": "Name: has already been taken", "error": "DuplicateValue"}]
    }
    assert blank.status_code == 422
    assert as_end_user.status_code == 403
    assert exported(sandbox, "organizations")[org["id"]]["name"] == "Acme"


def test_create_many_is_a_job_with_a_result_per_row(sandbox: Sandbox) -> None:
    rows = [{"name": "Many Org"}, {"name": "Many Org"}, {"notes": "no name"}]
    job = finished(
        sandbox, send(sandbox, "POST", "/api/v2/organizations/create_many", {"organizations": rows})
    )
    too_many = send(
        sandbox,
        "POST",
        "/api/v2/organizations/create_many",
        {"organizations": [{"name": f"O{n}"} for n in range(101)]},
    )

    first, duplicate, nameless = job["results"]
    assert first["success"]
    assert sandbox.store.organizations.records[first["id"]]["name"] == "Many Org"
    assert (duplicate["error"], nameless["error"]) == ("DuplicateValue", "BlankValue")
    assert too_many.status_code == 400
    assert exported(sandbox, "organizations")[first["id"]]["name"] == "Many Org"


def test_update_changes_the_organization_and_the_export_sees_it(sandbox: Sandbox) -> None:
    org, other = live(sandbox, 2)
    sandbox.store.advance_clock(3600)
    path = f"/api/v2/organizations/{org['id']}"
    reply = send(sandbox, "PUT", path, {"organization": {"notes": "Key account"}})
    clash = send(sandbox, "PUT", path, {"organization": {"name": other["name"]}})
    unknown = send(sandbox, "PUT", "/api/v2/organizations/5", {"organization": {"notes": "x"}})

    assert reply.status_code == 200, reply.text
    stored = sandbox.store.organizations.records[org["id"]]
    assert stored["notes"] == "Key account"
    assert epoch(stored["updated_at"]) > epoch(org["updated_at"])
    assert clash.status_code == 422
    assert stored["name"] == org["name"]
    assert unknown.status_code == 404
    assert exported(sandbox, "organizations")[org["id"]]["notes"] == "Key account"


def test_delete_hides_the_organization_and_the_export_shows_deleted_at(sandbox: Sandbox) -> None:
    org = live(sandbox, 1)[0]
    gone = send(sandbox, "DELETE", f"/api/v2/organizations/{org['id']}")
    again = send(sandbox, "DELETE", f"/api/v2/organizations/{org['id']}")
    listed = send(sandbox, "GET", "/api/v2/organizations", query={"page[size]": 100})

    assert (gone.status_code, gone.content) == (204, b"")
    assert again.status_code == 404
    assert org["id"] not in {o["id"] for o in listed.json()["organizations"]}
    assert exported(sandbox, "organizations")[org["id"]]["deleted_at"] is not None


def test_show_many_finds_live_organizations_by_id_or_external_id_in_any_case(
    sandbox: Sandbox,
) -> None:
    keep, gone = live(sandbox, 2)
    keyed = send(
        sandbox,
        "POST",
        "/api/v2/organizations",
        {"organization": {"name": "K", "external_id": "Ab-1"}},
    ).json()["organization"]
    assert send(sandbox, "DELETE", f"/api/v2/organizations/{gone['id']}").status_code == 204

    by_id = send(
        sandbox,
        "GET",
        "/api/v2/organizations/show_many",
        query={"ids": f"{keep['id']},{gone['id']},{keep['id']},999999999"},
    ).json()["organizations"]
    by_external_id = send(
        sandbox, "GET", "/api/v2/organizations/show_many", query={"external_ids": "AB-1,nobody"}
    ).json()["organizations"]

    assert [o["id"] for o in by_id] == [keep["id"]]
    assert [o["id"] for o in by_external_id] == [keyed["id"]]
