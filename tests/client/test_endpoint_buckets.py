"""The per-endpoint limits (search export, permanent deletions, ticket, organization and user
updates): requests past each, sent at once against a sandbox enforcing it, wait instead of
earning a 429."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import settings_for
from zdsync.client import RateLimitSettings, ZendeskClient
from zdsync.sandbox import Sandbox, SandboxConfig

Calls = list[tuple[str, dict[str, Any]]]


def end_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        u
        for _, u in sorted(sandbox.store.users.records.items())
        if u["active"] and u["role"] == "end-user"
    ]


def open_tickets(sandbox: Sandbox) -> list[int]:
    records = sandbox.store.tickets.records
    return [t for t in sorted(records) if records[t]["status"] not in ("closed", "deleted")]


def searches(sandbox: Sandbox) -> Calls:
    return [("search.export", {"query": "status:open", "filter_type": "ticket"})] * 4


def deletions(sandbox: Sandbox) -> Calls:
    chosen = end_users(sandbox)[:4]
    for user in chosen:
        sandbox.store.soft_delete_user(user["id"])
    return [("deleted_users.delete", {"deleted_user_id": u["id"]}) for u in chosen]


def ticket_updates(sandbox: Sandbox) -> Calls:
    return [
        ("tickets.update", {"ticket_id": t, "ticket": {"priority": "high"}})
        for t in open_tickets(sandbox)[:4]
    ]


def one_ticket_updates(sandbox: Sandbox) -> Calls:
    ticket = open_tickets(sandbox)[0]
    return [
        ("tickets.update", {"ticket_id": ticket, "ticket": {"tags": [f"t{n}"]}}) for n in range(3)
    ]


def organization_updates(sandbox: Sandbox) -> Calls:
    orgs = sandbox.store.organizations.records
    org = min(o for o in orgs if orgs[o]["deleted_at"] is None)
    return [
        ("organizations.update", {"organization_id": org, "organization": {"notes": f"n{n}"}})
        for n in range(6)
    ]


def user_updates(sandbox: Sandbox) -> Calls:
    user = end_users(sandbox)[0]
    return [("users.update", {"user_id": user["id"], "user": {"notes": f"n{n}"}}) for n in range(6)]


@dataclass(frozen=True)
class Case:
    bucket: str
    calls: Callable[[Sandbox], Calls]
    sandbox: dict[str, Any] = field(default_factory=dict)
    client: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case("search_export", searches, {"search_export_rpm": 3}, {"search_export_per_window": 3}),
    Case(
        "permanent_deletion",
        deletions,
        {"permanent_deletions": 3},
        {"permanent_deletions_per_ten_windows": 3},
    ),
    Case(
        "ticket_update", ticket_updates, {"ticket_updates_rpm": 3}, {"ticket_updates_per_window": 3}
    ),
    Case(
        "ticket_update_per_ticket",
        one_ticket_updates,
        {"ticket_updates_per_ticket": 2},
        {"ticket_updates_per_ticket_per_ten_windows": 2},
    ),
    # Zendesk's own figures: 5 a minute per organization and per user.
    Case("organization_update", organization_updates),
    Case("user_update", user_updates),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.bucket)
def test_one_request_past_an_endpoint_limit_waits_and_is_never_refused(case: Case) -> None:
    # Windows of a tenth of a second: a limit of ten minutes lasts one.
    config = SandboxConfig(time_scale=600, users=120, tickets=40, organizations=6, **case.sandbox)
    with Sandbox(config).start() as sandbox:
        calls = case.calls(sandbox)
        base = settings_for(sandbox).rate_limits
        limits = RateLimitSettings(**{**vars(base), **case.client})
        with ZendeskClient(settings_for(sandbox, rate_limits=limits)) as client:
            # All at once, as threads sharing a client send them: no answer's headers can
            # warn the client before the limit is passed, only its own table.
            with ThreadPoolExecutor(len(calls)) as pool:
                list(pool.map(lambda call: client.call(call[0], **call[1]), calls))
            waited = sum(
                limiter.waited_seconds
                for key, limiter in client.limits.limiters.items()
                if key.partition(":")[0] == case.bucket
            )
        statuses = [entry.status for entry in sandbox.app.log if entry.path.startswith("/api/")]

    assert 429 not in statuses
    assert len(calls) > 2
    assert len(statuses) >= len(calls)
    assert waited > 0
