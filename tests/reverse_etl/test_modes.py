"""``--mode update-only`` and ``create-only`` with rows matched by external id or by email alone.

Existence is looked up in Zendesk (show_many, search) or the warehouse's ``zendesk.users``; the
sandbox's users before and after the push are the truth each outcome is checked against.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from pipelines.zendesk import ExtractOptions, run_extract
from tests.conftest import settings_for
from tests.reverse_etl.conftest import push, sync_log, write_csv
from zdsync.client import ApiTokenCredentials, RateLimitSettings, Settings, ZendeskClient
from zdsync.client.secrets import Secret
from zdsync.reverse_etl.matching import Match, search
from zdsync.reverse_etl.push import PushOptions, push_users
from zdsync.sandbox import Sandbox, SandboxConfig

SEARCH = "/api/v2/users/search"


def end_users(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [
        u
        for u in sandbox.store.users.records.values()
        if u["active"] and u["role"] == "end-user" and u["external_id"]
    ]


def mode_rows(sandbox: Sandbox) -> list[dict[str, Any]]:
    """One row of each kind, named for what an upsert of it would do."""
    by_external_id, by_email, by_email_in_case, fallback = end_users(sandbox)[:4]
    return [
        {"external_id": by_external_id["external_id"], "name": "Known by external id"},
        {"email": by_email["email"], "name": "Known by email"},
        {"email": by_email_in_case["email"].upper(), "name": "Known by email in another case"},
        # Zendesk does not know the external id, so the upsert matches the email.
        {"external_id": "crm-unknown-9", "email": fallback["email"], "name": "Known via email"},
        {"external_id": "crm-unknown-1", "name": "Unknown external id"},
        {"email": "nobody.yet@example.net", "name": "Unknown email"},
        {"external_id": "crm-unknown-2", "email": "new.both@example.net", "name": "Unknown both"},
    ]


KNOWN, UNKNOWN = range(4), range(4, 7)


def users_by_id(sandbox: Sandbox) -> dict[int, dict[str, Any]]:
    return dict(sandbox.store.snapshot()["users"])


def searched(sandbox: Sandbox) -> list[str]:
    return sorted(
        e["query"]["query"] for e in sandbox.app.request_log() if e["path"].startswith(SEARCH)
    )


def test_update_only_updates_users_matched_either_way_and_creates_nobody(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = mode_rows(crm_sandbox)
    before = users_by_id(crm_sandbox)

    summary = push(
        crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows), mode="update-only"
    )

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == ["updated"] * 4 + ["invalid"] * 3
    assert {r["error"] for r in log[4:]} == {
        "no existing Zendesk user matches (--mode update-only)"
    }
    after = users_by_id(crm_sandbox)
    assert after.keys() == before.keys()
    assert [after[r["zendesk_user_id"]]["name"] for r in log[:4]] == [
        rows[i]["name"] for i in KNOWN
    ]


def test_create_only_creates_unknown_users_and_changes_no_existing_one(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = mode_rows(crm_sandbox)
    before = users_by_id(crm_sandbox)

    summary = push(
        crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows), mode="create-only"
    )

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == ["invalid"] * 4 + ["created"] * 3
    assert {r["error"] for r in log[:4]} == {"a Zendesk user already matches (--mode create-only)"}
    after = users_by_id(crm_sandbox)
    assert {k: v for k, v in after.items() if k in before} == before
    created = [after[r["zendesk_user_id"]] for r in log[4:]]
    assert [u["name"] for u in created] == [rows[i]["name"] for i in UNKNOWN]
    assert after.keys() - before.keys() == {u["id"] for u in created}


def test_the_dry_run_classifies_email_only_rows_as_creates_or_updates(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = mode_rows(crm_sandbox)

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows), dry_run=True)

    assert summary.plan == {
        "create": 3,
        "update": 4,
        "create or update": 0,
        "unchanged": 0,
        "invalid": 0,
    }
    # One search per address Zendesk's show_many could not settle.
    assert searched(crm_sandbox) == sorted(
        f'email:"{rows[i]["email"].lower()}"' for i in (1, 2, 3, 5, 6)
    )


def test_the_warehouse_answers_first_and_zendesk_only_for_what_it_lacks(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    db = tmp_path / "sync.duckdb"
    crm_sandbox.store.advance_clock(120)  # past the export's withheld last minute
    settings = settings_for(crm_sandbox, rate_limits=RateLimitSettings(enabled=False))
    run_extract(settings, ExtractOptions(db_path=db, resources=("users",)))
    newcomer = crm_sandbox.store.create_user({"name": "After The Extract", "email": "late@x.org"})
    rows = [*mode_rows(crm_sandbox), {"email": newcomer["email"], "name": "Created since"}]
    before = users_by_id(crm_sandbox)

    summary = push(
        crm_sandbox,
        tmp_path,
        input=write_csv(tmp_path / "crm.csv", rows),
        db=db,
        mode="update-only",
    )

    log = sync_log(db, summary.run_id)
    assert [r["action"] for r in log] == ["updated"] * 4 + ["invalid"] * 3 + ["updated"]
    assert log[-1]["zendesk_user_id"] == newcomer["id"]
    assert users_by_id(crm_sandbox).keys() == before.keys()
    assert searched(crm_sandbox) == sorted(f'email:"{rows[i]["email"].lower()}"' for i in (5, 6, 7))


def test_an_address_held_as_a_secondary_email_counts_as_that_user(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    user = end_users(crm_sandbox)[0]
    crm_sandbox.store.add_identity(user, "email", "Work.Address@Example.org")
    rows = [{"email": "work.address@example.org", "name": "Found By Second Address"}]

    summary = push(
        crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows), mode="create-only"
    )

    (logged,) = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert logged["action"] == "invalid"
    assert crm_sandbox.store.users.records[user["id"]]["name"] == user["name"]


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ([{"id": 1, "email": "other@example.org"}], Match(True, 1)),
        ([{"id": 1, "email": "a@b.org"}, {"id": 2, "email": "x@example.org"}], Match(True, 1)),
        ([{"id": 1, "email": "a.b@b.org"}, {"id": 2, "email": "ab@b.org.uk"}], Match(None)),
        ([], Match(False)),
    ],
)
def test_a_search_that_cannot_tell_says_so(found: list[dict[str, Any]], expected: Match) -> None:
    # Zendesk's search may match loosely; the sandbox's does not, so this answer is canned.
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.url.params["query"] == 'email:"a@b.org"'
        return httpx.Response(200, json={"users": found, "count": len(found)})

    settings = Settings(
        origin="https://acme.zendesk.com",
        credentials=ApiTokenCredentials("admin@acme.com", Secret("t")),
    )
    with ZendeskClient(settings, transport=httpx.MockTransport(answer)) as client:
        assert search(client, "a@b.org") == expected


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="realistic", account_rpm=25, time_scale=60, users=80, tickets=10)],
    indirect=True,
)
def test_searches_keep_within_the_account_rate_limit(sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [{"email": f"someone.{i}@example.net", "name": f"S {i}"} for i in range(60)]
    options = PushOptions(
        input=write_csv(tmp_path / "crm.csv", rows), db=tmp_path / "s.duckdb", dry_run=True
    )

    summary = push_users(settings_for(sandbox), options)

    assert summary.plan["create"] == 60
    log = sandbox.app.request_log()
    assert len([e for e in log if e["path"].startswith(SEARCH)]) == 60
    assert [e for e in log if e["status"] == 429] == []
