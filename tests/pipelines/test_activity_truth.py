"""Metric sets, metric events, identities and satisfaction ratings equal the sandbox's state
after a first run, after changes made through its API, and after a killed run resumed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.pipelines import test_satisfaction_ratings as ratings
from tests.pipelines import test_ticket_metric_events as metric_events
from tests.pipelines import test_user_identities as identities
from tests.pipelines.conftest import extract
from tests.pipelines.killed_runs import kill_extract_midway
from tests.pipelines.test_ticket_metrics import assert_metrics_match
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL

RESOURCES = ("tickets", "users", "ticket_metric_events", "satisfaction_ratings")


def assert_all_match(db: Path, sandbox: Sandbox) -> None:
    assert_metrics_match(db, sandbox)
    assert metric_events.loaded(db) == metric_events.visible_truth(sandbox)
    assert identities.loaded(db) == identities.expected(sandbox)
    assert ratings.loaded(db) == ratings.truth(sandbox)


def send(sandbox: Sandbox, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = httpx.request(
        method,
        f"{sandbox.base_url}{path}",
        json=body,
        auth=(f"{ADMIN_EMAIL}/token", sandbox.api_token),
    )
    assert response.status_code in (200, 201, 204), response.text
    return response


@pytest.fixture
def truth_sandbox() -> Iterator[Sandbox]:
    config = SandboxConfig(rate_limits="off", tickets=500, users=200, organizations=10)
    with Sandbox(config).start() as running:
        running.store.advance_clock(120)
        yield running


def test_activity_tables_equal_the_sandbox_after_changes_through_the_api(
    truth_sandbox: Sandbox, db: Path
) -> None:
    sandbox = truth_sandbox
    store = sandbox.store
    extract(sandbox, db, resources=RESOURCES)
    assert_all_match(db, sandbox)

    tickets = store.tickets.records
    rated = {r["ticket_id"] for r in store.ratings.records.values()}
    reopened = next(t for t in tickets.values() if t["status"] == "solved" and t["id"] in rated)
    doomed = next(t for t in tickets.values() if t["status"] == "open")
    first, second = ratings.unrated_solved(sandbox, 2)
    user = next(u for u in store.users.records.values() if u["active"] and u["role"] == "end-user")
    send(sandbox, "PUT", f"/api/v2/tickets/{reopened['id']}.json", {"ticket": {"status": "open"}})
    send(sandbox, "DELETE", f"/api/v2/tickets/{doomed['id']}.json")
    ratings.rate(sandbox, first, "bad", "Nobody answered")
    send(
        sandbox,
        "POST",
        f"/api/v2/users/{user['id']}/identities.json",
        {"identity": {"type": "email", "value": "second.address@example.org"}},
    )
    store.advance_clock(120)
    extract(sandbox, db, resources=RESOURCES)
    assert_all_match(db, sandbox)
    assert any(row[2] == "second.address@example.org" for row in identities.loaded(db).values())

    ratings.rate(sandbox, first, "good", "Sorted in the end")
    ratings.rate(sandbox, second, "good")
    store.advance_clock(120)
    extract(sandbox, db, resources=RESOURCES)
    assert_all_match(db, sandbox)
    scores = {row["ticket_id"]: row["score"] for row in ratings.loaded(db).values()}
    assert (scores[first], scores[second]) == ("good", "good")


def _export_pages(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [e for e in sandbox.app.request_log() if "/incremental/" in str(e["path"])]


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", tickets=3000, users=1500, organizations=20)],
    indirect=True,
)
def test_a_killed_backfill_resumes_with_every_table_exact(sandbox: Sandbox, db: Path) -> None:
    sandbox.store.advance_clock(120)
    killed_after = kill_extract_midway(
        sandbox,
        db,
        RESOURCES,
        batch_records=1000,
        pages_per_second=3,
        pages=lambda: len(_export_pages(sandbox)),
        kill_at=6,
    )
    assert killed_after < 8, "the run finished before it could be killed"

    extract(sandbox, db, resources=RESOURCES)

    assert_all_match(db, sandbox)
