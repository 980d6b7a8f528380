"""Satisfaction ratings: consistent with the tickets they rate, listed, filtered, counted and
shown to admins only, and made or changed by a solved ticket's requester."""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from zdsync.sandbox.config import ADMIN_EMAIL, AGENT_EMAIL, API_TOKEN, SandboxConfig
from zdsync.sandbox.server import Sandbox
from zdsync.sandbox.store import epoch

SMALL = SandboxConfig(rate_limits="off", users=150, tickets=500, organizations=10)
ADMIN = (f"{ADMIN_EMAIL}/token", API_TOKEN)


def get(sandbox: Sandbox, path: str, auth: tuple[str, str] = ADMIN, **params: Any) -> Any:
    return httpx.get(f"{sandbox.base_url}{path}", params=params, auth=auth)


def every_page(sandbox: Sandbox, **params: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    url: str | None = f"{sandbox.base_url}/api/v2/satisfaction_ratings"
    query: dict[str, Any] | None = {"page[size]": 25, **params}
    while url:
        body = httpx.get(url, params=query, auth=ADMIN).json()
        found.extend(body["satisfaction_ratings"])
        url, query = (body["links"]["next"], None) if body["meta"]["has_more"] else (None, None)
    return found


def ticket_values_at(sandbox: Sandbox, ticket_id: int, at: int) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for audit in sandbox.store.audits.of_ticket(ticket_id):
        if audit["timestamp"] <= at:
            for child in audit["child_events"]:
                values.update({k: child[k] for k in ("assignee_id", "group_id") if k in child})
    return values


def last_solved(sandbox: Sandbox, ticket_id: int) -> int:
    return max(
        int(audit["timestamp"])
        for audit in sandbox.store.audits.of_ticket(ticket_id)
        for child in audit["child_events"]
        if child.get("status") in ("solved", "closed")
    )


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_ratings_rate_solved_tickets_as_they_stood_after_the_solve(sandbox: Sandbox) -> None:
    ratings = sandbox.store.snapshot()["satisfaction_ratings"]
    tickets = sandbox.store.snapshot()["tickets"]
    for rating in ratings.values():
        ticket = tickets[rating["ticket_id"]]
        created = epoch(rating["created_at"])
        assert ticket["status"] in ("solved", "closed")
        assert created > last_solved(sandbox, ticket["id"])
        assert epoch(rating["updated_at"]) >= created
        assert rating["requester_id"] == ticket["requester_id"]
        expected = ticket_values_at(sandbox, ticket["id"], created)
        assert (rating["assignee_id"], rating["group_id"]) == (
            expected.get("assignee_id"),
            expected.get("group_id"),
        )
        assert ticket["satisfaction_rating"]["score"] == rating["score"]
        assert ("reason_id" in rating) == (rating["score"] == "bad")
    rated = {r["ticket_id"] for r in ratings.values()}
    unrated = [t for t in tickets.values() if t["id"] not in rated]
    assert {t["satisfaction_rating"]["score"] for t in unrated} == {"unoffered"}
    kinds = Counter((r["score"], bool(r.get("comment"))) for r in ratings.values())
    for kind in [
        ("offered", False),
        ("good", True),
        ("good", False),
        ("bad", True),
        ("bad", False),
    ]:
        assert kinds[kind] > 0, kind
    assert any(r["updated_at"] != r["created_at"] for r in ratings.values())
    assert 0 < len(rated) < sum(t["status"] in ("solved", "closed") for t in tickets.values())


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_the_list_pages_by_cursor_and_offset_and_filters_on_score_and_time(
    sandbox: Sandbox,
) -> None:
    truth = sandbox.store.snapshot()["satisfaction_ratings"]
    listed = every_page(sandbox)
    assert [r["id"] for r in listed] == sorted(truth)
    assert listed == [truth[i] for i in sorted(truth)]
    offset = get(sandbox, "/api/v2/satisfaction_ratings.json", page=2, per_page=10).json()
    assert [r["id"] for r in offset["satisfaction_ratings"]] == sorted(truth)[10:20]
    assert offset["count"] == len(truth)

    bad_with_comment = every_page(sandbox, score="bad_with_comment")
    assert {r["id"] for r in bad_with_comment} == {
        r["id"] for r in truth.values() if r["score"] == "bad" and r.get("comment")
    }
    stamps = sorted(epoch(r["created_at"]) for r in truth.values())
    start, end = stamps[len(stamps) // 3], stamps[2 * len(stamps) // 3]
    window = every_page(sandbox, start_time=start, end_time=end)
    assert {r["id"] for r in window} == {
        r["id"] for r in truth.values() if start <= epoch(r["created_at"]) <= end
    }
    refused = get(sandbox, "/api/v2/satisfaction_ratings", score="great")
    assert refused.status_code == 400
    assert refused.json()["error"] == "InvalidValue"


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(**{**SMALL.__dict__, "rating_time_filter": "updated_at"})],
    indirect=True,
)
def test_start_time_can_be_set_to_compare_updated_at(sandbox: Sandbox) -> None:
    truth = sandbox.store.snapshot()["satisfaction_ratings"]
    changed = next(r for r in truth.values() if r["updated_at"] != r["created_at"])
    start = epoch(changed["updated_at"])
    found = {r["id"] for r in every_page(sandbox, start_time=start)}
    assert changed["id"] in found
    assert found == {r["id"] for r in truth.values() if epoch(r["updated_at"]) >= start}


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_one_rating_and_the_count_are_for_admins_only(sandbox: Sandbox) -> None:
    rating = next(iter(sandbox.store.ratings.records.values()))
    shown = get(sandbox, f"/api/v2/satisfaction_ratings/{rating['id']}.json")
    assert shown.json() == {"satisfaction_rating": rating}
    assert get(sandbox, "/api/v2/satisfaction_ratings/1").status_code == 404
    count = get(sandbox, "/api/v2/satisfaction_ratings/count").json()["count"]
    assert count["value"] == len(sandbox.store.ratings.records)
    agent = (f"{AGENT_EMAIL}/token", API_TOKEN)
    for path in ("", f"/{rating['id']}", "/count"):
        refused = get(sandbox, f"/api/v2/satisfaction_ratings{path}", auth=agent)
        assert refused.status_code == 403
        assert refused.json()["error"] == "Forbidden"


def rate(sandbox: Sandbox, ticket: dict[str, Any], email: str, body: Any) -> httpx.Response:
    return httpx.post(
        f"{sandbox.base_url}/api/v2/tickets/{ticket['id']}/satisfaction_rating.json",
        json={"satisfaction_rating": body},
        auth=(f"{email}/token", API_TOKEN),
    )


@pytest.mark.parametrize("sandbox", [SMALL], indirect=True)
def test_a_requester_rates_a_solved_ticket_and_changes_the_score_later(sandbox: Sandbox) -> None:
    store = sandbox.store
    rated = {r["ticket_id"] for r in store.ratings.records.values()}
    users = store.users.records
    ticket = next(
        t
        for t in store.tickets.records.values()
        if t["status"] == "solved" and t["id"] not in rated and users[t["requester_id"]]["verified"]
    )
    requester = users[ticket["requester_id"]]["email"]
    open_ticket = next(
        t
        for t in store.tickets.records.values()
        if t["status"] == "new" and users[t["requester_id"]]["verified"]
    )

    assert rate(sandbox, ticket, ADMIN_EMAIL, {"score": "good"}).status_code == 403
    assert rate(sandbox, ticket, requester, {"score": "great"}).status_code == 422
    unsolved = rate(
        sandbox, open_ticket, users[open_ticket["requester_id"]]["email"], {"score": "bad"}
    )
    assert unsolved.status_code == 422
    assert unsolved.json()["error"] == "RecordInvalid"

    started = time.monotonic()
    made = rate(sandbox, ticket, requester, {"score": "bad", "comment": "Slow", "reason_code": 5})
    assert made.status_code == 200, made.text
    rating = made.json()["satisfaction_rating"]
    assert (rating["score"], rating["comment"], rating["reason"]) == (
        "bad",
        "Slow",
        "The issue took too long to resolve",
    )
    assert (rating["assignee_id"], rating["group_id"]) == (
        ticket["assignee_id"],
        ticket["group_id"],
    )
    store.advance_clock(3600)
    changed = rate(sandbox, ticket, requester, {"score": "good"}).json()["satisfaction_rating"]
    assert (changed["id"], changed["created_at"]) == (rating["id"], rating["created_at"])
    # The sandbox clock is wall time plus the advance, so the seconds that pass between the
    # two requests count too: a second boundary may fall between them.
    waited = epoch(changed["updated_at"]) - epoch(rating["updated_at"])
    assert 3600 <= waited <= 3600 + math.ceil(time.monotonic() - started)
    assert "reason" not in changed
    assert "comment" not in changed
    assert store.tickets.records[ticket["id"]]["satisfaction_rating"] == {
        "id": rating["id"],
        "score": "good",
    }
    store.advance_clock(29 * 86400)
    late = rate(sandbox, ticket, requester, {"score": "bad"})
    assert late.status_code == 422
