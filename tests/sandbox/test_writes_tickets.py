"""Ticket writes over HTTP: Zendesk's answers and refusals, and what an extract then reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sandbox.writing import exported, finished, send
from zdsync.sandbox.config import SandboxConfig
from zdsync.sandbox.server import Sandbox
from zdsync.sandbox.store import epoch

SMALL = SandboxConfig(rate_limits="off", users=60, tickets=80, organizations=8)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def open_tickets(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    found = [
        t
        for _, t in sorted(sandbox.store.tickets.records.items())
        if t["status"] not in ("closed", "deleted")
    ]
    return found[:count]


def end_user(sandbox: Sandbox) -> dict[str, Any]:
    return next(
        u for u in sandbox.store.users.records.values() if u["active"] and u["role"] == "end-user"
    )


def test_create_needs_a_comment_and_names_the_requester_by_email(sandbox: Sandbox) -> None:
    body = {
        "ticket": {
            "subject": "Printer on fire",
            "comment": {"body": "It smokes."},
            "priority": "urgent",
            "requester": {"email": "new.requester@example.org", "name": "New Requester"},
        }
    }
    reply = send(sandbox, "POST", "/api/v2/tickets", body)
    blank = send(sandbox, "POST", "/api/v2/tickets", {"ticket": {"subject": "No words"}})

    assert reply.status_code == 201, reply.text
    ticket = reply.json()["ticket"]
    requester = sandbox.store.find_user(email="new.requester@example.org")
    assert requester is not None
    assert requester["name"] == "New Requester"
    assert ticket["requester_id"] == requester["id"]
    assert sandbox.store.tickets.records[ticket["id"]]["description"] == "It smokes."
    assert blank.status_code == 422
    assert blank.json() == {
        "error": "RecordInvalid",
        "description": "Record validation errors",
        "details": {
            "base": [{"description": "Description: cannot be blank", "error": "BlankValue"}]
        },
    }
    assert exported(sandbox, "tickets")[ticket["id"]]["priority"] == "urgent"


def test_create_refuses_bad_fields_unknown_users_and_end_users(sandbox: Sandbox) -> None:
    comment = {"body": "hello"}
    bad = {"comment": comment, "status": "exploded", "requester_id": 1, "assignee_id": 2}
    invalid = send(sandbox, "POST", "/api/v2/tickets", {"ticket": bad})
    bad_email = {"comment": comment, "requester": {"email": "not an address"}}
    malformed = send(sandbox, "POST", "/api/v2/tickets", {"ticket": bad_email})
    as_end_user = send(
        sandbox,
        "POST",
        "/api/v2/tickets",
        {"ticket": {"comment": comment}},
        email=end_user(sandbox)["email"],
    )
    not_an_object = send(sandbox, "POST", "/api/v2/tickets", {"ticket": "text"})
    before = len(sandbox.store.tickets.records)

    assert invalid.status_code == 422
    assert set(invalid.json()["details"]) == {"status", "requester_id", "assignee_id"}
    assert malformed.status_code == 422
    assert "requester" in malformed.json()["details"]
    assert as_end_user.status_code == 403
    assert not_an_object.status_code == 400
    assert len(sandbox.store.tickets.records) == before


def test_an_update_with_a_comment_moves_both_stamps_and_the_export_sees_it(
    sandbox: Sandbox,
) -> None:
    ticket = open_tickets(sandbox, 1)[0]
    sandbox.store.advance_clock(3600)
    change = {"ticket": {"status": "pending", "comment": {"body": "Waiting on you."}}}
    reply = send(sandbox, "PUT", f"/api/v2/tickets/{ticket['id']}", change)

    assert reply.status_code == 200, reply.text
    stored = sandbox.store.tickets.records[ticket["id"]]
    assert stored["status"] == "pending"
    assert epoch(stored["updated_at"]) > epoch(ticket["updated_at"])
    assert stored["generated_timestamp"] > ticket["generated_timestamp"]
    assert reply.json()["audit"]["events"][-1]["body"] == "Waiting on you."
    seen = exported(sandbox, "tickets")[ticket["id"]]
    assert (seen["status"], seen["generated_timestamp"]) == (
        "pending",
        stored["generated_timestamp"],
    )


def test_an_update_refuses_unknown_and_closed_tickets(sandbox: Sandbox) -> None:
    closed = next(t for t in sandbox.store.tickets.records.values() if t["status"] == "closed")
    change = {"ticket": {"priority": "low"}}
    unknown = send(sandbox, "PUT", "/api/v2/tickets/999", change)
    refused = send(sandbox, "PUT", f"/api/v2/tickets/{closed['id']}", change)

    assert unknown.status_code == 404
    assert unknown.json()["error"] == "RecordNotFound"
    assert refused.status_code == 422
    assert refused.json()["details"]["status"][0]["description"] == (
        "Status: closed prevents ticket update"
    )
    assert sandbox.store.tickets.records[closed["id"]] == closed


def test_create_many_and_update_many_are_jobs_with_a_result_per_row(sandbox: Sandbox) -> None:
    rows = [{"subject": "One", "comment": {"body": "1"}}, {"subject": "No comment"}]
    created = finished(
        sandbox, send(sandbox, "POST", "/api/v2/tickets/create_many", {"tickets": rows})
    )
    first, second = open_tickets(sandbox, 2)
    same_change = send(
        sandbox,
        "PUT",
        "/api/v2/tickets/update_many",
        {"ticket": {"priority": "high"}},
        query={"ids": f"{first['id']},{second['id']}"},
    )
    each = [{"id": first["id"], "tags": ["vip"]}, {"id": 999, "tags": ["x"]}]
    one_each = send(sandbox, "PUT", "/api/v2/tickets/update_many", {"tickets": each})
    same, own = finished(sandbox, same_change), finished(sandbox, one_each)

    made, failed = created["results"]
    assert made["success"]
    assert sandbox.store.tickets.records[made["id"]]["subject"] == "One"
    assert (failed["success"], failed["error"]) == (False, "BlankValue")
    assert [r["status"] for r in same["results"]] == ["Updated", "Updated"]
    assert [r["success"] for r in own["results"]] == [True, False]
    export = exported(sandbox, "tickets")
    assert export[first["id"]]["tags"] == ["vip"]
    assert export[second["id"]]["priority"] == "high"
    assert export[made["id"]]["subject"] == "One"


def test_tags_are_added_and_removed_without_naming_the_whole_list(sandbox: Sandbox) -> None:
    first, second = open_tickets(sandbox, 2)
    sandbox.store.update_ticket(first["id"], tags=["vip", "billing"])
    sandbox.store.update_ticket(second["id"], tags=["billing"])
    change = {"ticket": {"additional_tags": ["triaged", "vip"], "remove_tags": ["billing"]}}
    bulk = send(
        sandbox,
        "PUT",
        "/api/v2/tickets/update_many",
        change,
        query={"ids": f"{first['id']},{second['id']}"},
    )
    finished(sandbox, bulk)
    one = send(
        sandbox, "PUT", f"/api/v2/tickets/{first['id']}", {"ticket": {"remove_tags": ["vip"]}}
    )
    bad = send(
        sandbox, "PUT", f"/api/v2/tickets/{second['id']}", {"ticket": {"additional_tags": "x"}}
    )

    assert one.status_code == 200, one.text
    export = exported(sandbox, "tickets")
    assert export[first["id"]]["tags"] == ["triaged"]
    assert export[second["id"]]["tags"] == ["triaged", "vip"]
    assert bad.status_code == 422
    assert "additional_tags" in bad.json()["details"]


def test_bulk_writes_refuse_more_than_100_items(sandbox: Sandbox) -> None:
    rows = [{"comment": {"body": str(n)}} for n in range(101)]
    ids = ",".join(str(n + 1) for n in range(101))
    too_many = [
        send(sandbox, "POST", "/api/v2/tickets/create_many", {"tickets": rows}),
        send(sandbox, "PUT", "/api/v2/tickets/update_many", {"ticket": {}}, query={"ids": ids}),
        send(sandbox, "POST", "/api/v2/tickets/1/merge", {"ids": list(range(2, 103))}),
    ]
    assert [r.status_code for r in too_many] == [400, 400, 400]
    assert sandbox.app.jobs.jobs == {}


def test_delete_hides_the_ticket_and_the_export_reports_it_deleted(sandbox: Sandbox) -> None:
    ticket = open_tickets(sandbox, 1)[0]
    gone = send(sandbox, "DELETE", f"/api/v2/tickets/{ticket['id']}")
    again = send(sandbox, "DELETE", f"/api/v2/tickets/{ticket['id']}")
    shown = send(sandbox, "GET", f"/api/v2/tickets/{ticket['id']}")
    listed = send(sandbox, "GET", "/api/v2/tickets", query={"page[size]": 100}).json()["tickets"]

    assert (gone.status_code, gone.content) == (204, b"")
    assert again.status_code == 404
    assert shown.status_code == 404
    assert ticket["id"] not in {t["id"] for t in listed}
    assert exported(sandbox, "tickets")[ticket["id"]]["status"] == "deleted"


def test_merge_closes_and_tags_the_sources_into_the_target(sandbox: Sandbox) -> None:
    target, *sources = open_tickets(sandbox, 3)
    body = {"ids": [s["id"] for s in sources], "target_comment": "Merged", "source_comment": "Dup"}
    job = finished(sandbox, send(sandbox, "POST", f"/api/v2/tickets/{target['id']}/merge", body))

    assert [r["id"] for r in job["results"]] == body["ids"]
    export = exported(sandbox, "tickets")
    for source in sources:
        assert export[source["id"]]["status"] == "closed"
        assert "closed_by_merge" in export[source["id"]]["tags"]
    after = export[target["id"]]
    assert after["status"] == target["status"]
    assert after["generated_timestamp"] > target["generated_timestamp"]


def test_merge_refuses_closed_unknown_and_self(sandbox: Sandbox) -> None:
    target, source = open_tickets(sandbox, 2)
    closed = next(t for t in sandbox.store.tickets.records.values() if t["status"] == "closed")
    path = f"/api/v2/tickets/{target['id']}/merge"
    refusals = {
        "closed": send(sandbox, "POST", path, {"ids": [closed["id"]]}),
        "itself": send(sandbox, "POST", path, {"ids": [target["id"]]}),
        "unknown source": send(sandbox, "POST", path, {"ids": [999]}),
        "unknown target": send(
            sandbox, "POST", "/api/v2/tickets/999/merge", {"ids": [source["id"]]}
        ),
        "no ids": send(sandbox, "POST", path, {}),
    }
    statuses = {name: reply.status_code for name, reply in refusals.items()}

    assert statuses == {
        "closed": 422,
        "itself": 422,
        "unknown source": 422,
        "unknown target": 404,
        "no ids": 400,
    }
    assert sandbox.app.jobs.jobs == {}
    assert sandbox.store.tickets.records[source["id"]] == source
