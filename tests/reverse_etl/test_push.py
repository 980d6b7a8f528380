"""Pushing CRM users into the sandbox: every row accounted for, nothing sent twice."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from tests.conftest import held_by_another_process, settings_for
from tests.reverse_etl.conftest import (
    FAST_POLL,
    bulk_posts,
    clock_moved_when,
    crm_rows,
    fill_job_slots,
    push,
    release_jobs,
    sync_log,
    wait_for_polling,
    write_csv,
)
from zdsync.client import ApiTokenCredentials, RateLimitSettings, RetrySettings
from zdsync.client.secrets import Secret
from zdsync.errors import PushError
from zdsync.reverse_etl.push import PushOptions, push_users
from zdsync.sandbox import Fault, Sandbox, SandboxConfig
from zdsync.sandbox.config import AGENT_EMAIL, API_TOKEN


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
        {**good[0], "name": "Newer Name For Row 1"},
    ]
    source = write_csv(tmp_path / "crm.csv", good + bad)

    summary = push(crm_sandbox, tmp_path, input=source)

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["row_number"] for r in log] == list(range(1, 158))
    assert [r["action"] for r in log[1:150]] == ["created"] * 149
    assert all(r["zendesk_user_id"] and r["job_id"] for r in log[1:150])
    assert [r["action"] for r in log[150:156]] == ["invalid"] * 6
    assert all(r["error"] for r in log[150:156])
    assert (log[0]["action"], log[156]["action"]) == ("invalid", "created")
    assert log[0]["error"].startswith("superseded by row 157")
    store = crm_sandbox.store
    assert store.find_user(email="role@example.net") is None
    assert store.find_user(external_id="crm-new-42")["name"] == "Customer 42"  # type: ignore[index]
    assert store.find_user(external_id="crm-new-0")["name"] == "Newer Name For Row 1"  # type: ignore[index]
    assert bulk_posts(crm_sandbox) == math.ceil(150 / 100)
    assert (summary.totals.created, summary.totals.invalid) == (150, 7)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("last", ["invalid", "created", "created"]), ("first", ["created", "invalid", "created"])],
)
def test_on_duplicate_picks_the_row_that_reaches_zendesk(
    crm_sandbox: Sandbox, tmp_path: Path, rule: str, expected: list[str]
) -> None:
    older, other = crm_rows(2)
    newer = {**older, "email": "moved@example.net", "name": "Newer"}
    source = write_csv(tmp_path / "crm.csv", [older, newer, other])

    summary = push(crm_sandbox, tmp_path, input=source, on_duplicate=rule)

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == expected
    user = crm_sandbox.store.find_user(external_id=older["external_id"])
    assert user is not None
    assert user["name"] == ("Newer" if rule == "last" else older["name"])


def test_on_duplicate_reject_applies_none_of_the_rows(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    first, second, other = crm_rows(3)
    # Linked through the email only: the same user for Zendesk.
    again = {**second, "external_id": "crm-other-id", "email": first["email"].upper()}
    source = write_csv(tmp_path / "crm.csv", [first, other, again])

    summary = push(crm_sandbox, tmp_path, input=source, on_duplicate="reject")

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == ["invalid", "created", "invalid"]
    assert log[0]["error"] == "rows 1, 3 name the same user (--on-duplicate reject)"
    assert crm_sandbox.store.find_user(email=first["email"]) is None
    assert crm_sandbox.store.find_user(external_id="crm-other-id") is None
    assert sent_emails(crm_sandbox) == {other["email"]}


def sent_emails(sandbox: Sandbox) -> set[str]:
    return {str(row.get("email")) for job in sandbox.app.jobs.jobs.values() for row in job.rows}


def test_addresses_zendesk_refuses_are_invalid_and_never_sent(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    refused = ["first,last@example.net", "trailing.@example.net", "two..dots@example.net"]
    rows = [*crm_rows(1), *({"email": a, "name": "Refused"} for a in refused)]

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == ["created", "invalid", "invalid", "invalid"]
    assert all("is not a valid address" in r["error"] for r in log[1:])
    assert sent_emails(crm_sandbox) == {"crm.new.0@example.net"}


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


def test_a_job_that_fails_as_a_whole_is_sent_again_in_the_same_run(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    crm_sandbox.app.jobs.fail_next_jobs(2)

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(250)))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["action"] for r in log] == ["created"] * 250
    jobs = crm_sandbox.app.jobs.jobs
    assert [job.status for job in jobs.values()] == ["failed"] * 2 + ["completed"] * 3
    assert {jobs[r["job_id"]].status for r in log} == {"completed"}
    assert (summary.totals.jobs, summary.totals.failed) == (5, 0)
    assert bulk_posts(crm_sandbox) == 5


def test_rows_of_a_job_that_fails_on_every_try_fail_with_its_message(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    crm_sandbox.app.jobs.fail_next_jobs(3, message="Internal error")
    source = write_csv(tmp_path / "crm.csv", crm_rows(40))

    first = push(crm_sandbox, tmp_path, input=source)
    second = push(crm_sandbox, tmp_path, input=source)

    log = sync_log(tmp_path / "sync.duckdb", first.run_id)
    assert {(r["action"], r["error"]) for r in log} == {
        ("failed", "job failed: Internal error (each of 3 tries)")
    }
    assert (first.totals.jobs, first.totals.failed) == (3, 40)
    assert (second.totals.jobs, second.totals.created) == (1, 40)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_cap=3, job_latency_seconds=0.05)],
    indirect=True,
)
def test_too_many_jobs_waits_and_drops_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    # Another tool holds every job slot when the push starts, until the clock is moved on.
    fill_job_slots(sandbox, 3, latency=3600)
    quick_retries = RetrySettings(
        max_attempts=400, retry_after_default_seconds=0.05, retry_after_cap_seconds=0.05
    )
    settings = settings_for(
        sandbox, rate_limits=RateLimitSettings(enabled=False), retry=quick_retries
    )
    options = PushOptions(
        input=write_csv(tmp_path / "crm.csv", crm_rows(1000)),
        db=tmp_path / "sync.duckdb",
        poll=FAST_POLL,
    )

    with clock_moved_when(sandbox, lambda jobs: jobs.too_many_jobs >= 1, 3600):
        summary = push_users(settings, options)

    assert summary.totals.created == 1000
    assert summary.totals.jobs == 10
    assert summary.totals.too_many_jobs == sandbox.app.jobs.too_many_jobs >= 1
    assert summary.totals.post_requests == 10 + summary.totals.too_many_jobs
    assert summary.totals.rate_limited == 0
    assert len(sync_log(tmp_path / "sync.duckdb", summary.run_id)) == 1000


def hour_long_jobs(job_cap: int) -> SandboxConfig:
    return SandboxConfig(
        rate_limits="off", users=50, tickets=10, job_cap=job_cap, job_latency_seconds=3600
    )


@pytest.mark.parametrize(
    ("sandbox", "margin"), [(hour_long_jobs(5), 1), (hour_long_jobs(5), 2)], indirect=["sandbox"]
)
def test_the_push_leaves_its_margin_of_job_slots_to_other_tools(
    sandbox: Sandbox, tmp_path: Path, margin: int
) -> None:
    # Jobs last an hour on the sandbox's clock: a wave is in flight until the test moves it on.
    source = write_csv(tmp_path / "crm.csv", crm_rows(1000))
    allowed = 5 - margin
    in_flight = []
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(push, sandbox, tmp_path, input=source, job_margin=margin)
        try:
            for sent in range(allowed, 10 + allowed, allowed):
                wait_for_polling(sandbox, min(sent, 10))
                in_flight.append(len(sandbox.app.jobs.in_flight()))
                sandbox.store.advance_clock(3600)
        finally:
            release_jobs(sandbox)
        summary = running.result(timeout=60)

    waves = [allowed] * (10 // allowed) + ([10 % allowed] if 10 % allowed else [])
    assert in_flight == waves
    assert summary.totals.created == 1000
    assert summary.totals.too_many_jobs == 0


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
    with pytest.raises(PushError, match=r"bulk user imports are disabled.*--single") as raised:
        push(sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(2)))

    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("email", [AGENT_EMAIL, "user3@example.com"])
def test_a_user_who_may_not_write_in_bulk_is_told_so(
    crm_sandbox: Sandbox, tmp_path: Path, email: str
) -> None:
    user = crm_sandbox.store.find_user(email=email)
    assert user is not None
    assert user["role"] == ("agent" if email == AGENT_EMAIL else "end-user")
    settings = settings_for(
        crm_sandbox,
        credentials=ApiTokenCredentials(email, Secret(API_TOKEN)),
        rate_limits=RateLimitSettings(enabled=False),
    )
    options = PushOptions(input=write_csv(tmp_path / "crm.csv", crm_rows(2)), db=tmp_path / "s.db")

    with pytest.raises(PushError, match="may not create or update users in bulk") as raised:
        push_users(settings, options)

    assert "\n" not in str(raised.value)
    assert "import" not in str(raised.value)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(bulk_imports_enabled=False, time_scale=60, users=50, tickets=10)],
    indirect=True,
)
def test_single_mode_upserts_one_by_one_within_the_limits(sandbox: Sandbox, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "crm.csv", crm_rows(12))
    options = PushOptions(input=source, db=tmp_path / "sync.duckdb", single=True)

    summary = push_users(settings_for(sandbox), options)

    assert summary.totals.created == 12
    assert summary.totals.rate_limited == 0


def test_single_mode_tells_an_update_from_a_creation(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "sync.duckdb"
    rows = crm_rows(3)
    push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "first.csv", rows), db=db, single=True)
    renamed = [{**row, "name": f"Renamed {i}"} for i, row in enumerate(rows)]

    second = push(
        crm_sandbox, tmp_path, input=write_csv(tmp_path / "second.csv", renamed), db=db, single=True
    )

    assert (second.totals.created, second.totals.updated) == (0, 3)
    assert [entry["action"] for entry in sync_log(db, second.run_id)] == ["updated"] * 3
    user = crm_sandbox.store.find_user(external_id="crm-new-2")
    assert user is not None
    assert user["name"] == "Renamed 2"


def test_a_database_another_process_holds_is_one_line(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    db = tmp_path / "sync.duckdb"

    with held_by_another_process(db), pytest.raises(PushError, match="cannot use ") as raised:
        push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "crm.csv", crm_rows(2)), db=db)

    assert "\n" not in str(raised.value)
    assert crm_sandbox.app.jobs.jobs == {}


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
