"""Ticket events and the tables made from them equal the sandbox's audits, run after run.

The truth is the sandbox's own: its audits (every comment, every child event) and its tickets'
current values, which replaying the loaded field and tag history must reach.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from tests.pipelines.killed_runs import kill_extract_midway
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL

ACTIVITY = ("ticket_events",)
TRACKED = ("status", "priority", "assignee_id", "group_id", "type")


def audits(sandbox: Sandbox) -> dict[int, dict[str, Any]]:
    with sandbox.store.lock:
        return json.loads(json.dumps(sandbox.store.ticket_events.records))  # type: ignore[no-any-return]


def replayed(db: Path) -> dict[int, dict[str, Any]]:
    """Each ticket's values as its field history leaves them, and its tags as tag history does."""
    values: dict[int, dict[str, Any]] = defaultdict(dict)
    history = sorted(table(db, "ticket_field_history"), key=lambda r: r["event_id"])
    for row in history:
        values[row["ticket_id"]][row["field_name"]] = row["value"]
    tags: dict[int, set[str]] = defaultdict(set)
    for row in sorted(table(db, "ticket_tag_history"), key=lambda r: r["event_id"]):
        (
            tags[row["ticket_id"]].add
            if row["action"] == "added"
            else tags[row["ticket_id"]].discard
        )(row["tag"])
    for ticket_id, found in tags.items():
        values[ticket_id]["tag_set"] = found
    return values


def text(value: Any) -> str | None:
    return None if value is None else str(value)


def assert_activity_matches(db: Path, sandbox: Sandbox) -> None:
    truth = audits(sandbox)
    events = {row["id"]: row for row in table(db, "ticket_events")}
    assert events.keys() == {int(k) for k in truth}
    expected_comments = {
        child["id"]: child
        for audit in truth.values()
        for child in audit["child_events"]
        if child["event_type"] == "Comment"
    }
    comments = {row["id"]: row for row in table(db, "ticket_comments")}
    assert comments.keys() == expected_comments.keys()
    for comment_id, child in expected_comments.items():
        got = comments[comment_id]
        assert (got["body"], got["public"], got["author_id"]) == (
            child["body"],
            child["public"],
            child["author_id"],
        )
    values = replayed(db)
    for ticket_id, ticket in sandbox.store.snapshot()["tickets"].items():
        got = values[ticket_id]
        assert {f: got.get(f) for f in TRACKED} == {f: text(ticket[f]) for f in TRACKED}
        assert json.loads(got["tags"]) == ticket["tags"]
        assert got.get("tag_set", set()) == set(ticket["tags"])
        for custom in ticket["custom_fields"]:
            value = custom["value"]
            expected = ("true" if value else "false") if isinstance(value, bool) else value
            assert got[f"custom_fields_{custom['id']}"] == expected


@pytest.fixture
def activity_sandbox() -> Any:
    with Sandbox(SandboxConfig(rate_limits="off", tickets=600, users=200)).start() as running:
        running.store.advance_clock(120)
        yield running


def put_ticket(sandbox: Sandbox, ticket_id: int, body: dict[str, Any]) -> None:
    response = httpx.put(
        f"{sandbox.base_url}/api/v2/tickets/{ticket_id}.json",
        json={"ticket": body},
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code == 200, response.text


def test_activity_tables_equal_the_sandbox_after_a_run_and_after_changes(
    activity_sandbox: Sandbox, db: Path
) -> None:
    sandbox = activity_sandbox
    extract(sandbox, db, resources=ACTIVITY)
    assert_activity_matches(db, sandbox)

    tickets = sandbox.store.tickets.records
    solved = next(t for t in tickets.values() if t["status"] == "solved")
    open_ = next(t for t in tickets.values() if t["status"] == "open")
    doomed = next(t for t in tickets.values() if t["status"] == "pending")
    put_ticket(sandbox, solved["id"], {"status": "open", "comment": {"body": "Still broken"}})
    put_ticket(
        sandbox,
        open_["id"],
        {
            "priority": "urgent",
            "additional_tags": ["escalated-now"],
            "custom_fields": [{"id": 360_001, "value": "gadget"}],
            "comment": {"body": "Looking again", "public": False},
        },
    )
    deleted = httpx.delete(
        f"{sandbox.base_url}/api/v2/tickets/{doomed['id']}.json",
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert deleted.status_code == 204
    sandbox.store.advance_clock(120)
    extract(sandbox, db, resources=ACTIVITY)

    assert_activity_matches(db, sandbox)
    bodies = {row["body"]: row for row in table(db, "ticket_comments")}
    assert bodies["Still broken"]["public"] is True
    assert bodies["Looking again"]["public"] is False
    history = table(db, "ticket_field_history")
    reopen = [r for r in history if r["ticket_id"] == solved["id"] and r["field_name"] == "status"]
    assert (reopen[-1]["previous_value"], reopen[-1]["value"]) == ("solved", "open")
    gone = [r for r in history if r["ticket_id"] == doomed["id"] and r["field_name"] == "status"]
    assert gone[-1]["value"] == "deleted"


def test_a_run_with_nothing_new_costs_one_request(activity_sandbox: Sandbox, db: Path) -> None:
    extract(activity_sandbox, db, resources=ACTIVITY)
    before = len(activity_sandbox.app.request_log())
    extract(activity_sandbox, db, resources=ACTIVITY)
    log = activity_sandbox.app.request_log()[before:]
    assert [entry["path"] for entry in log] == ["/api/v2/incremental/ticket_events"]
    assert log[0]["query"]["include"] == "comment_events"


def _event_pages(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [e for e in sandbox.app.request_log() if "ticket_events" in str(e["path"])]


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=3000, users=200, organizations=20)],
    indirect=True,
)
def test_a_killed_backfill_of_activity_resumes_exact(sandbox: Sandbox, db: Path) -> None:
    sandbox.store.advance_clock(120)
    killed_after = kill_extract_midway(
        sandbox,
        db,
        ["ticket_events"],
        batch_records=2000,
        pages_per_second=4,
        pages=lambda: len(_event_pages(sandbox)),
        kill_at=7,
    )
    total_pages = len(sandbox.store.ticket_events.records) // 1000 + 1
    assert killed_after < total_pages, "the run finished before it could be killed"

    extract(sandbox, db, resources=ACTIVITY)

    resumed = _event_pages(sandbox)[killed_after]
    assert int(resumed["query"]["start_time"]) > 0
    assert_activity_matches(db, sandbox)
