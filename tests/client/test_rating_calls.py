"""Satisfaction ratings through ``ZendeskClient.call``: listed, filtered, shown and counted by an
admin, and made by a ticket's requester, each answer in the OpenAPI file's shape and equal to
the sandbox's ratings."""

from __future__ import annotations

import pytest

from tests.conftest import settings_for
from tests.sandbox.oas import validate_response
from zdsync import catalog
from zdsync.client import ApiTokenCredentials, ZendeskClient
from zdsync.client.errors import PermissionDeniedError
from zdsync.client.secrets import Secret
from zdsync.sandbox import Sandbox, SandboxConfig

OPERATIONS = [
    "satisfaction_ratings.list",
    "satisfaction_ratings.show",
    "satisfaction_ratings.count",
    "satisfaction_ratings.create",
]
pytestmark = pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", users=100, tickets=300)], indirect=True
)


def fits(name: str, body: object) -> None:
    op = catalog.operation(name)
    validate_response(op.path, op.method.lower(), "200", body)


def test_an_admin_lists_shows_and_counts_the_ratings(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    truth = sandbox.store.snapshot()["satisfaction_ratings"]
    listed = client.call("satisfaction_ratings.list")
    bad = client.call("satisfaction_ratings.list", score="bad")
    one = min(truth)
    shown = client.call("satisfaction_ratings.show", satisfaction_rating_id=one)
    count = client.call("satisfaction_ratings.count")

    assert listed["satisfaction_ratings"] == [truth[i] for i in sorted(truth)]
    assert {r["id"] for r in bad["satisfaction_ratings"]} == {
        i for i, r in truth.items() if r["score"] == "bad"
    }
    assert shown["satisfaction_rating"] == truth[one]
    assert count["count"]["value"] == len(truth)
    for name, body in [
        ("satisfaction_ratings.list", listed),
        ("satisfaction_ratings.show", shown),
        ("satisfaction_ratings.count", count),
    ]:
        fits(name, body)


def test_the_requester_rates_a_solved_ticket_and_no_one_else_may(sandbox: Sandbox) -> None:
    store = sandbox.store
    rated = {r["ticket_id"] for r in store.ratings.records.values()}
    ticket = next(
        t
        for t in store.tickets.records.values()
        if t["status"] == "solved"
        and t["id"] not in rated
        and store.users.records[t["requester_id"]]["verified"]
    )
    requester = store.users.records[ticket["requester_id"]]["email"]
    as_requester = settings_for(
        sandbox, credentials=ApiTokenCredentials(requester, Secret(sandbox.api_token))
    )
    arguments = {"ticket_id": ticket["id"], "satisfaction_rating": {"score": "good"}}

    with ZendeskClient(settings_for(sandbox)) as admin, pytest.raises(PermissionDeniedError):
        admin.call("satisfaction_ratings.create", **arguments)
    with ZendeskClient(as_requester) as client:
        made = client.call("satisfaction_ratings.create", **arguments)

    rating = store.ratings.for_ticket(ticket["id"])
    assert rating is not None
    assert made["satisfaction_rating"] == rating
    assert (rating["score"], rating["requester_id"]) == ("good", ticket["requester_id"])
    fits("satisfaction_ratings.create", made)
