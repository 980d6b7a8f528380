"""Satisfaction ratings equal the sandbox's after every run, whichever time ``start_time``
compares, and a run with nothing new costs one request."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from pipelines.zendesk.columns import SATISFACTION_RATING_COLUMNS
from pipelines.zendesk.streams import SATISFACTION_RATINGS
from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.config import API_TOKEN
from zdsync.sandbox.store import epoch

RESOURCES = ("satisfaction_ratings",)
LOOKBACK = SATISFACTION_RATINGS.fetch.lookback_days * 86400  # type: ignore[attr-defined]


def comparable(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        return epoch(value)
    return value


def truth(sandbox: Sandbox) -> dict[int, dict[str, Any]]:
    ratings = sandbox.store.snapshot()["satisfaction_ratings"]
    return {
        rating_id: {name: comparable(rating.get(name)) for name in SATISFACTION_RATING_COLUMNS}
        for rating_id, rating in ratings.items()
    }


def loaded(db: Path) -> dict[int, dict[str, Any]]:
    return {
        row["id"]: {name: comparable(row[name]) for name in SATISFACTION_RATING_COLUMNS}
        for row in table(db, "satisfaction_ratings")
    }


def rate(sandbox: Sandbox, ticket_id: int, score: str, comment: str | None = None) -> None:
    ticket = sandbox.store.tickets.records[ticket_id]
    email = sandbox.store.users.records[ticket["requester_id"]]["email"]
    response = httpx.post(
        f"{sandbox.base_url}/api/v2/tickets/{ticket_id}/satisfaction_rating.json",
        json={"satisfaction_rating": {"score": score, "comment": comment}},
        auth=(f"{email}/token", API_TOKEN),
    )
    assert response.status_code == 200, response.text


def unrated_solved(sandbox: Sandbox, count: int) -> list[int]:
    """Solved tickets with no rating yet, whose requesters may rate them."""
    store = sandbox.store
    rated = {r["ticket_id"] for r in store.ratings.records.values()}
    return [
        ticket["id"]
        for ticket in store.tickets.records.values()
        if ticket["status"] == "solved"
        and ticket["id"] not in rated
        and store.users.records[ticket["requester_id"]]["verified"]
    ][:count]


@pytest.fixture(params=["created_at", "updated_at"])
def ratings_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    config = SandboxConfig(
        rate_limits="off", tickets=600, users=200, rating_time_filter=request.param
    )
    with Sandbox(config).start() as running:
        yield running


def ratings_requests(sandbox: Sandbox, since: int = 0) -> list[dict[str, Any]]:
    return [e for e in sandbox.app.request_log()[since:] if "satisfaction_ratings" in e["path"]]


def test_ratings_equal_the_sandbox_and_a_changed_score_is_read_again(
    ratings_sandbox: Sandbox, db: Path
) -> None:
    sandbox = ratings_sandbox
    extract(sandbox, db, resources=RESOURCES)
    assert loaded(db) == truth(sandbox)

    first, later, new = unrated_solved(sandbox, 3)
    rate(sandbox, first, "bad", "Took ages")
    sandbox.store.advance_clock(3600)
    rate(sandbox, later, "good")
    extract(sandbox, db, resources=RESOURCES)
    assert loaded(db) == truth(sandbox)

    # Changed after a newer rating was loaded: its created_at is before the saved position.
    sandbox.store.advance_clock(3600)
    rate(sandbox, first, "good", "Fixed after all")
    rate(sandbox, new, "bad")
    before = len(sandbox.app.request_log())
    extract(sandbox, db, resources=RESOURCES)

    assert loaded(db) == truth(sandbox)
    rating = sandbox.store.ratings.for_ticket(first)
    assert rating is not None
    assert loaded(db)[rating["id"]]["score"] == "good"
    saved = sandbox.store.ratings.for_ticket(later)
    assert saved is not None
    asked = ratings_requests(sandbox, before)
    assert [int(e["query"]["start_time"]) for e in asked] == [epoch(saved["created_at"]) - LOOKBACK]


def test_a_run_with_nothing_new_costs_one_request(ratings_sandbox: Sandbox, db: Path) -> None:
    sandbox = ratings_sandbox
    extract(sandbox, db, resources=RESOURCES)
    first = ratings_requests(sandbox)
    assert {int(e["query"]["start_time"]) for e in first} == {0}
    before = len(sandbox.app.request_log())

    summary = extract(sandbox, db, resources=RESOURCES)

    newest = max(epoch(r["created_at"]) for r in sandbox.store.ratings.records.values())
    log = sandbox.app.request_log()[before:]
    assert [e["path"] for e in log] == ["/api/v2/satisfaction_ratings"]
    assert int(log[0]["query"]["start_time"]) == newest - LOOKBACK
    assert summary.resources[0].new_rows == 0
    assert loaded(db) == truth(sandbox)


def test_the_look_back_is_an_option_of_the_run(ratings_sandbox: Sandbox, db: Path) -> None:
    sandbox = ratings_sandbox
    extract(sandbox, db, resources=RESOURCES)
    before = len(sandbox.app.request_log())

    extract(sandbox, db, resources=RESOURCES, ratings_lookback_days=3)

    newest = max(epoch(r["created_at"]) for r in sandbox.store.ratings.records.values())
    asked = ratings_requests(sandbox, before)
    assert [int(e["query"]["start_time"]) for e in asked] == [newest - 3 * 86400]
    assert loaded(db) == truth(sandbox)
