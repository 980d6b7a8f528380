"""Ticket metric events equal the sandbox's, and follow a ticket's SLA clock as worked by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL
from zdsync.sandbox.store import epoch

RESOURCES = ("ticket_metric_events",)


@pytest.fixture
def clock_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(rate_limits="off", tickets=400, users=150)).start() as running:
        running.store.advance_clock(120)
        yield running


def visible_truth(sandbox: Sandbox) -> dict[int, tuple[int, str, str, int, int]]:
    horizon = sandbox.store.horizon()
    with sandbox.store.lock:
        found = list(sandbox.store.ticket_metric_events.records.values())
    return {
        e["id"]: (e["ticket_id"], e["metric"], e["type"], e["instance_id"], epoch(e["time"]))
        for e in found
        if epoch(e["time"]) <= horizon
    }


def loaded(db: Path) -> dict[int, tuple[int, str, str, int, int]]:
    return {
        r["id"]: (
            r["ticket_id"],
            r["metric"],
            r["type"],
            r["instance_id"],
            int(r["time"].timestamp()),
        )
        for r in table(db, "ticket_metric_events")
    }


def call(sandbox: Sandbox, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.request(
        method,
        f"{sandbox.base_url}{path}",
        json=body,
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_metric_events_equal_the_sandbox_and_follow_a_late_reply(
    clock_sandbox: Sandbox, db: Path
) -> None:
    sandbox = clock_sandbox
    extract(sandbox, db, resources=RESOURCES)
    assert loaded(db) == visible_truth(sandbox)

    ticket = call(
        sandbox,
        "POST",
        "/api/v2/tickets.json",
        {"ticket": {"subject": "Down", "priority": "urgent", "comment": {"body": "All down"}}},
    )["ticket"]
    created = epoch(ticket["created_at"])
    path = f"/api/v2/tickets/{ticket['id']}.json"
    sandbox.store.advance_clock(90 * 60)
    solve = {"ticket": {"status": "solved", "comment": {"body": "Back up"}}}
    solved = epoch(call(sandbox, "PUT", path, solve)["ticket"]["updated_at"])
    sandbox.store.advance_clock(10 * 60)
    reopened = epoch(
        call(sandbox, "PUT", path, {"ticket": {"status": "open"}})["ticket"]["updated_at"]
    )
    sandbox.store.advance_clock(120)
    before = len(sandbox.app.request_log())
    extract(sandbox, db, resources=RESOURCES)
    assert len(sandbox.app.request_log()) - before == 1

    assert loaded(db) == visible_truth(sandbox)
    mine = {
        (row[4], row[1], row[2], row[3]) for row in loaded(db).values() if row[0] == ticket["id"]
    }
    # Worked out by hand: an urgent ticket's reply is due within 60 minutes of its creation;
    # the agent answered (and solved) 90 minutes in, so the reply breached at 60; the reopen
    # starts second instances. (Each write's own answer says when it happened.)
    assert solved - created >= 90 * 60
    assert (created, "reply_time", "apply_sla", 1) in mine
    assert (created + 60 * 60, "reply_time", "breach", 1) in mine
    assert (solved, "reply_time", "fulfill", 1) in mine
    assert (solved, "resolution_time", "fulfill", 1) in mine
    assert (reopened, "resolution_time", "activate", 2) in mine
    (applied,) = [
        r for r in table(db, "ticket_metric_events") if r["ticket_id"] == ticket["id"] and r["sla"]
    ]
    assert json.loads(applied["sla"])["target"] == 60


def test_breaches_that_did_not_happen_are_served_deleted(clock_sandbox: Sandbox, db: Path) -> None:
    sandbox = clock_sandbox
    new = {"ticket": {"subject": "Slow", "priority": "normal", "comment": {"body": "Slow pages"}}}
    ticket = call(sandbox, "POST", "/api/v2/tickets.json", new)["ticket"]
    created = epoch(ticket["created_at"])
    path = f"/api/v2/tickets/{ticket['id']}.json"
    sandbox.store.advance_clock(10 * 60)
    call(sandbox, "PUT", path, {"ticket": {"priority": "urgent"}})
    sandbox.store.advance_clock(20 * 60)
    reply = {"ticket": {"comment": {"body": "Looking into it", "public": True}}}
    replied = epoch(call(sandbox, "PUT", path, reply)["ticket"]["updated_at"])
    # Past the standard policy's eight hours, and the minute exports hold back.
    sandbox.store.advance_clock(8 * 60 * 60)
    extract(sandbox, db, resources=RESOURCES)

    assert loaded(db) == visible_truth(sandbox)
    breaches = {
        (int(r["time"].timestamp()), r["deleted"])
        for r in table(db, "ticket_metric_events")
        if r["ticket_id"] == ticket["id"] and r["type"] == "breach"
    }
    # Worked out by hand: made urgent ten minutes in, the ticket no longer answers to the
    # standard eight hours; answered thirty minutes in, it met the urgent hour. Neither breach
    # happened, and both are served at their times, deleted.
    assert replied - created < 60 * 60
    assert breaches == {(created + 8 * 60 * 60, True), (created + 60 * 60, True)}
