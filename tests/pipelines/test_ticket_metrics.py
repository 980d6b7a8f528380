"""Zendesk's metric sets, sideloaded on the tickets export, equal the sandbox's, at no request."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipelines.zendesk.columns import TICKET_METRIC_DURATIONS
from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL
from zdsync.sandbox.exports_activity import metric_sets
from zdsync.sandbox.store import epoch


@pytest.fixture
def metrics_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(rate_limits="off", tickets=400, users=150)).start() as running:
        running.store.advance_clock(120)
        yield running


def truth(sandbox: Sandbox) -> dict[int, dict[str, Any]]:
    with sandbox.store.lock:
        found = metric_sets(sandbox.store, list(sandbox.store.tickets.records))["metric_sets"]
    return {m["ticket_id"]: m for m in found}  # type: ignore[attr-defined]


def assert_metrics_match(db: Path, sandbox: Sandbox) -> None:
    expected = truth(sandbox)
    loaded = {row["ticket_id"]: row for row in table(db, "ticket_metrics")}
    live = {t for t, r in sandbox.store.tickets.records.items() if r["status"] != "deleted"}
    assert {t for t in loaded if t in live} == expected.keys()
    for ticket_id, metric in expected.items():
        got = loaded[ticket_id]
        for key in ("reopens", "replies", "assignee_stations", "group_stations"):
            assert got[key] == metric[key], (ticket_id, key)
        for duration in TICKET_METRIC_DURATIONS:
            assert got[f"{duration}_calendar"] == metric[duration]["calendar"]
            assert got[f"{duration}_business"] == metric[duration]["business"]


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


def test_metric_sets_load_with_the_tickets_at_no_request_of_their_own(
    metrics_sandbox: Sandbox, db: Path
) -> None:
    sandbox = metrics_sandbox
    extract(sandbox, db, resources=("tickets",))
    assert_metrics_match(db, sandbox)
    pages = [e for e in sandbox.app.request_log() if "incremental/tickets" in e["path"]]
    assert len(pages) == 1
    assert pages[0]["query"]["include"] == "metric_sets"
    assert [e for e in sandbox.app.request_log() if "metric" in e["path"]] == []


def test_a_ticket_worked_through_has_the_minutes_it_took(
    metrics_sandbox: Sandbox, db: Path
) -> None:
    sandbox = metrics_sandbox
    created = call(
        sandbox,
        "POST",
        "/api/v2/tickets.json",
        {
            "ticket": {
                "subject": "Broken",
                "comment": {"body": "Help"},
                "requester": {"email": "metrics.requester@example.org", "name": "Req"},
            }
        },
    )["ticket"]
    path = f"/api/v2/tickets/{created['id']}.json"
    opened = epoch(created["created_at"])
    sandbox.store.advance_clock(10 * 60)
    reply = {"ticket": {"status": "pending", "comment": {"body": "Try this"}}}
    replied = epoch(call(sandbox, "PUT", path, reply)["ticket"]["updated_at"])
    sandbox.store.advance_clock(30 * 60)
    solve = {"ticket": {"status": "solved", "comment": {"body": "Fixed"}}}
    solved = epoch(call(sandbox, "PUT", path, solve)["ticket"]["updated_at"])
    sandbox.store.advance_clock(5 * 60)
    call(sandbox, "PUT", path, {"ticket": {"status": "open"}})
    sandbox.store.advance_clock(120)
    extract(sandbox, db, resources=("tickets",))

    (row,) = [r for r in table(db, "ticket_metrics") if r["ticket_id"] == created["id"]]
    # Worked out by hand from when each write happened (its answer's updated_at): the first
    # reply about 10 minutes in, solved about 40 minutes in after about 30 pending, then
    # reopened once, which leaves the full resolution at that solve until the next.
    assert row["reply_time_in_minutes_calendar"] == (replied - opened) // 60 == 10
    assert row["first_resolution_time_in_minutes_calendar"] == (solved - opened) // 60
    assert row["agent_wait_time_in_minutes_calendar"] == (solved - replied) // 60
    assert row["requester_wait_time_in_minutes_calendar"] == (replied - opened) // 60
    assert row["full_resolution_time_in_minutes_calendar"] == (solved - opened) // 60
    assert (row["reopens"], row["replies"]) == (1, 2)
    assert row["reply_time_in_minutes_business"] == row["reply_time_in_minutes_calendar"]
    assert_metrics_match(db, sandbox)
