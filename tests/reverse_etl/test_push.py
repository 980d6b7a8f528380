"""Pushing CRM users into the sandbox: every row accounted for, nothing sent twice."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import httpx
import pytest

from tests.reverse_etl.conftest import bulk_posts, crm_rows, push, sync_log, write_csv
from zdsync.reverse_etl.push import PushError
from zdsync.sandbox import Fault, Sandbox, SandboxConfig
from zdsync.sandbox.config import ADMIN_EMAIL, API_TOKEN


def test_every_row_is_logged_and_invalid_rows_are_never_sent(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    good = crm_rows(150)
    bad = [
        {"email": "broken@", "name": "Bad Email"},
        {"email": "phone@example.net", "name": "Bad Phone", "phone": "12345"},
        {"email": "role@example.net", "name": "Bad Role", "role": "owner"},
        {"email": "plan@example.net", "name": "Bad Plan", "user_fields.plan": "gold"},
        {"email": "org@example.net", "name": "No Org", "organization_id": "999999"},
        {"name": "No Identity"},
        {**good[0], "name": "Duplicate of row 1"},
    ]
    source = write_csv(tmp_path / "crm.csv", good + bad)

    summary = push(crm_sandbox, tmp_path, input=source)

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["row_number"] for r in log] == list(range(1, 158))
    assert [r["action"] for r in log[:150]] == ["created"] * 150
    assert all(r["zendesk_user_id"] and r["job_id"] for r in log[:150])
    assert [r["action"] for r in log[150:]] == ["invalid"] * 7
    assert all(r["error"] for r in log[150:])
    assert "same identity as row 1" in log[156]["error"]
    store = crm_sandbox.store
    assert store.find_user(email="role@example.net") is None
    assert store.find_user(external_id="crm-new-42")["name"] == "Customer 42"  # type: ignore[index]
    assert bulk_posts(crm_sandbox) == math.ceil(150 / 100)
    assert (summary.totals.created, summary.totals.invalid) == (150, 7)


def test_existing_users_match_by_external_id_in_another_case(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    existing = next(
        u
        for u in crm_sandbox.store.users.records.values()
        if u["active"] and u["external_id"] and u["role"] == "end-user"
    )
    row = {"external_id": existing["external_id"].upper(), "name": "Renamed In CRM"}

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", [row]))

    (logged,) = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert (logged["action"], logged["zendesk_user_id"]) == ("updated", existing["id"])
    updated = crm_sandbox.store.users.records[existing["id"]]
    assert updated["name"] == "Renamed In CRM"
    assert updated["external_id"] == existing["external_id"].upper()


def test_a_second_push_sends_only_changed_rows(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    rows = crm_rows(300)
    push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows))
    first_posts = bulk_posts(crm_sandbox)
    for index in (3, 150, 299):
        rows[index]["name"] += " (moved)"

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows))

    assert bulk_posts(crm_sandbox) - first_posts == 1
    assert (summary.totals.updated, summary.totals.unchanged) == (3, 297)
    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["row_number"] for r in log if r["action"] == "updated"] == [4, 151, 300]


def test_rows_zendesk_refuses_fail_with_its_reason_and_are_retried(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    one, other = [
        u
        for u in crm_sandbox.store.users.records.values()
        if u["active"] and u["external_id"] and u["role"] == "end-user"
    ][:2]
    # The external id names one user and the email another: Zendesk refuses the row.
    clash = {"external_id": one["external_id"], "email": other["email"], "name": "Clash"}
    rows = [*crm_rows(5), clash]
    source = write_csv(tmp_path / "crm.csv", rows)

    first = push(crm_sandbox, tmp_path, input=source)
    second = push(crm_sandbox, tmp_path, input=source)

    (failure,) = [
        r for r in sync_log(tmp_path / "sync.duckdb", first.run_id) if r["action"] != "created"
    ]
    assert failure["action"] == "failed"
    assert failure["error"]
    assert (second.totals.unchanged, second.totals.failed) == (5, 1)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_cap=3, job_latency_seconds=0.5)],
    indirect=True,
)
def test_too_many_jobs_waits_and_drops_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    # Another tool fills every job slot just before the push starts, with jobs long enough to
    # be still running when it does on a busy machine.
    sandbox.app.config.job_latency_seconds = 3
    for _ in range(3):
        answer = httpx.post(
            sandbox.base_url + "/api/v2/users/create_or_update_many",
            json={"users": [{"name": "Other", "email": "other.tool@example.org"}]},
            auth=(f"{ADMIN_EMAIL}/token", API_TOKEN),
        )
        assert answer.status_code == 200
    sandbox.app.config.job_latency_seconds = 0.5

    summary = push(sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(1000)))

    assert summary.totals.created == 1000
    assert summary.totals.post_requests == 10
    assert summary.totals.too_many_jobs >= 1
    assert len(sync_log(tmp_path / "sync.duckdb", summary.run_id)) == 1000


def test_429s_are_waited_out(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    crm_sandbox.app.faults.queue(
        Fault("429", 0), path_prefix="/api/v2/users/create_or_update_many", times=2
    )
    crm_sandbox.app.faults.queue(Fault("503", 0), path_prefix="/api/v2/job_statuses", times=2)

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(250)))

    assert summary.totals.created == 250
    assert summary.totals.rate_limited == 2


def test_a_dry_run_writes_nothing(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    existing = next(
        u for u in crm_sandbox.store.users.records.values() if u["active"] and u["external_id"]
    )
    rows = [*crm_rows(3), {"external_id": existing["external_id"], "name": "X"}, {"name": "?"}]
    before = crm_sandbox.store.snapshot()["users"]

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows), dry_run=True)

    assert summary.plan == {
        "create": 3,
        "update": 1,
        "create or update": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert not [e for e in crm_sandbox.app.request_log() if e["method"] == "POST"]
    assert crm_sandbox.store.snapshot()["users"] == before
    assert not (tmp_path / "sync.duckdb").exists()


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(rate_limits="off", bulk_imports_enabled=False)], indirect=True
)
def test_bulk_imports_disabled_says_what_to_do(sandbox: Sandbox, tmp_path: Path) -> None:
    with pytest.raises(PushError, match="--single") as raised:
        push(sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(2)))

    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(bulk_imports_enabled=False, time_scale=60, users=50, tickets=10)],
    indirect=True,
)
def test_single_mode_upserts_one_by_one_within_the_limits(sandbox: Sandbox, tmp_path: Path) -> None:
    from tests.conftest import settings_for
    from zdsync.reverse_etl.push import PushOptions, push_users

    source = write_csv(tmp_path / "crm.csv", crm_rows(12))
    options = PushOptions(input=source, db=tmp_path / "sync.duckdb", single=True)

    summary = push_users(settings_for(sandbox), options)

    assert summary.totals.created == 12
    assert summary.totals.rate_limited == 0


def test_rows_can_come_from_a_query_and_a_mapping(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "sync.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            "CREATE TABLE crm AS SELECT 'Q-' || i AS customer_id, 'q' || i || '@example.net' "
            "AS mail, 'Query ' || i AS full_name FROM range(5) t(i)"
        )
    mapping = tmp_path / "mapping.toml"
    mapping.write_text(
        '[columns]\ncustomer_id = "external_id"\nmail = "email"\nfull_name = "name"\n'
    )

    summary = push(crm_sandbox, tmp_path, query="SELECT * FROM crm", mapping=mapping)

    assert summary.totals.created == 5
    assert crm_sandbox.store.find_user(external_id="q-3")["email"] == "q3@example.net"  # type: ignore[index]
