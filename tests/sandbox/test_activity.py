"""The sandbox's ticket activity: histories that end where the tickets are, and writes' audits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from zdsync.sandbox.activity import tracked
from zdsync.sandbox.config import ADMIN_EMAIL, SandboxConfig
from zdsync.sandbox.server import Sandbox

SMALL = SandboxConfig(rate_limits="off", users=60, tickets=150, organizations=8)
pytestmark = pytest.mark.parametrize("sandbox", [SMALL], indirect=True)


def export(sandbox: Sandbox, start: int, include: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"start_time": start}
    if include:
        params["include"] = include
    response = httpx.get(
        f"{sandbox.base_url}/api/v2/incremental/ticket_events.json",
        params=params,
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def replay(audits: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for audit in audits:
        for child in audit["child_events"]:
            if child["event_type"] in ("Create", "Change"):
                for key, value in child.items():
                    if key == "custom_ticket_fields":
                        values.update({f"custom_{k}": v for k, v in value.items()})
                    elif key in tracked({"tags": []}):
                        values[key] = value
    return values


def test_every_history_ends_at_its_tickets_values_and_updated_at(sandbox: Sandbox) -> None:
    for ticket_id, ticket in sandbox.store.tickets.records.items():
        audits = sandbox.store.audits.of_ticket(ticket_id)
        assert audits[0]["created_at"] == ticket["created_at"]
        assert audits[-1]["created_at"] == ticket["updated_at"]
        assert replay(audits) == tracked(ticket)


def test_a_write_adds_an_audit_with_its_changes_and_comment(sandbox: Sandbox) -> None:
    ticket = next(t for t in sandbox.store.tickets.records.values() if t["status"] == "open")
    response = httpx.put(
        f"{sandbox.base_url}/api/v2/tickets/{ticket['id']}.json",
        json={"ticket": {"status": "pending", "comment": {"body": "Any news?", "public": True}}},
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code == 200
    sandbox.store.advance_clock(120)
    start = sandbox.store.now() - 125
    (audit,) = [a for a in export(sandbox, start, "comment_events")["ticket_events"]]
    assert audit["ticket_id"] == ticket["id"]
    assert audit["updater_id"] == sandbox.store.find_user(email=ADMIN_EMAIL)["id"]  # type: ignore[index]
    change, comment = audit["child_events"]
    assert (change["status"], change["previous_value"]) == ("pending", "open")
    assert (comment["body"], comment["public"]) == ("Any news?", True)
    (bare,) = export(sandbox, start, None)["ticket_events"]
    assert bare["child_events"][1] == {
        "id": comment["id"],
        "via": comment["via"],
        "via_reference_id": None,
        "comment_present": True,
        "comment_public": True,
        "event_type": "Comment",
    }
