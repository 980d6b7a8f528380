"""``zdsync push organizations`` against the sandbox: matching, validation, jobs, faults, diffs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import (
    FAST_POLL,
    clock_moved_when,
    crm_organizations,
    fill_job_slots,
    posts_to,
    push,
    sync_log,
    write_csv,
)
from zdsync.client import RateLimitSettings, RetrySettings
from zdsync.reverse_etl.push import PushOptions
from zdsync.reverse_etl.push import push as push_object
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.faults import Fault

CREATE = "/api/v2/organizations/create_many"
UPDATE = "/api/v2/organizations/update_many"
COLUMNS = ["external_id", "name", "notes", "tags"]


def orgs_csv(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(tmp_path / "orgs.csv", rows, leading=COLUMNS)


def live_orgs(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [o for o in sandbox.store.organizations.records.values() if o["deleted_at"] is None]


def by_name(sandbox: Sandbox, name: str) -> list[dict[str, Any]]:
    return [o for o in live_orgs(sandbox) if o["name"].lower() == name.lower()]


def existing(sandbox: Sandbox, with_external_id: bool) -> dict[str, Any]:
    return next(o for o in live_orgs(sandbox) if bool(o["external_id"]) is with_external_id)


def test_new_organizations_are_created_and_existing_ones_matched_in_another_case(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    keyed, nameless = existing(crm_sandbox, True), existing(crm_sandbox, False)
    rows = [
        *crm_organizations(3),
        {"external_id": keyed["external_id"].upper(), "name": keyed["name"], "notes": "by id"},
        {"external_id": "crm-org-named", "name": nameless["name"].upper(), "notes": "by name"},
    ]
    count = len(live_orgs(crm_sandbox))

    summary = push(crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "organization")
    assert [r["action"] for r in log] == ["created"] * 3 + ["updated"] * 2
    assert len(live_orgs(crm_sandbox)) == count + 3
    (made,) = by_name(crm_sandbox, "CRM Company 1")
    assert (made["external_id"], made["notes"], made["tags"]) == (
        "crm-org-1",
        "account 1",
        ["crm", "imported"],
    )
    assert made["organization_fields"] == {"region": "emea"}
    assert log[1]["zendesk_id"] == made["id"]
    records = crm_sandbox.store.organizations.records
    assert records[keyed["id"]]["notes"] == "by id"
    assert (records[nameless["id"]]["notes"], records[nameless["id"]]["external_id"]) == (
        "by name",
        "crm-org-named",
    )
    assert (log[3]["zendesk_id"], log[4]["zendesk_id"]) == (keyed["id"], nameless["id"])
    assert (posts_to(crm_sandbox, CREATE), posts_to(crm_sandbox, UPDATE)) == (1, 1)
    assert summary.totals.post_requests == 2


def test_invalid_rows_say_why_and_are_never_sent(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [
        *crm_organizations(1),
        {"name": "Unknown field", "organization_fields.size": "big"},
        {"name": "Bad dropdown", "organization_fields.region": "mars"},
        {"name": "Bad flag", "shared_tickets": "maybe"},
        {"notes": "nameless"},
        {"name": "Extra", "colour": "red"},
        {"external_id": "crm-org-new"},
    ]
    before = len(live_orgs(crm_sandbox))

    summary = push(crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "organization")
    assert [(r["action"], r["error"]) for r in log] == [
        ("created", None),
        ("invalid", "organization field 'size' does not exist in Zendesk"),
        ("invalid", "region 'mars' is not one of emea, amer, apac"),
        ("invalid", "shared_tickets 'maybe' is not true or false"),
        ("invalid", "no external_id or name to match the organization on"),
        ("invalid", "unknown columns: colour (map them or drop them)"),
        ("invalid", "name is required to create an organization"),
    ]
    assert len(live_orgs(crm_sandbox)) == before + 1
    assert summary.totals.invalid == 6


def test_a_row_zendesk_refuses_fails_with_its_reason(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    keyed = existing(crm_sandbox, True)
    other = next(o for o in live_orgs(crm_sandbox) if o["id"] != keyed["id"])
    # Renaming one organization to another's name: Zendesk refuses it inside the job.
    rows = [
        *crm_organizations(2),
        {"external_id": keyed["external_id"], "name": other["name"].lower()},
    ]

    summary = push(crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "organization")
    assert [r["action"] for r in log] == ["created", "created", "failed"]
    assert log[2]["error"] == "DuplicateValue: Name: has already been taken"
    assert crm_sandbox.store.organizations.records[keyed["id"]]["name"] == keyed["name"]
    assert (summary.totals.created, summary.totals.failed) == (2, 1)


def test_a_job_that_fails_as_a_whole_is_sent_again(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    crm_sandbox.app.jobs.fail_next_jobs(1)

    summary = push(
        crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, crm_organizations(150))
    )

    assert summary.totals.created == 150
    assert (summary.totals.jobs, summary.totals.failed_jobs) == (3, 1)
    assert len([o for o in live_orgs(crm_sandbox) if o["name"].startswith("CRM Company")]) == 150


def test_rows_of_a_job_failing_on_every_try_fail_then_go_on_the_next_run(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    crm_sandbox.app.jobs.fail_next_jobs(3, message="Internal error")
    source = orgs_csv(tmp_path, crm_organizations(20))

    first = push(crm_sandbox, tmp_path, "organizations", input=source)
    second = push(crm_sandbox, tmp_path, "organizations", input=source)

    log = sync_log(tmp_path / "sync.duckdb", first.run_id, "organization")
    assert {r["error"] for r in log} == {"job failed: Internal error (each of 3 tries)"}
    assert (second.totals.created, second.totals.unchanged) == (20, 0)


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="off", users=50, tickets=10, job_cap=3, job_latency_seconds=0.05)],
    indirect=True,
)
def test_too_many_jobs_and_429s_are_waited_out(sandbox: Sandbox, tmp_path: Path) -> None:
    fill_job_slots(sandbox, 3, latency=3600)
    sandbox.app.faults.queue(Fault("429", 0), path_prefix=CREATE, times=2)
    quick = RetrySettings(
        max_attempts=400, retry_after_default_seconds=0.05, retry_after_cap_seconds=0.05
    )
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False), retry=quick)
    options = PushOptions(
        input=orgs_csv(tmp_path, crm_organizations(500)),
        db=tmp_path / "sync.duckdb",
        poll=FAST_POLL,
    )

    with clock_moved_when(sandbox, lambda jobs: jobs.too_many_jobs >= 1, 3600):
        summary = push_object(settings, "organizations", options)

    assert summary.totals.created == 500
    assert summary.totals.jobs == 5
    assert summary.totals.too_many_jobs >= 1
    assert summary.totals.rate_limited == 2
    assert len([o for o in live_orgs(sandbox) if o["name"].startswith("CRM Company")]) == 500


def test_a_dry_run_writes_nothing(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    keyed = existing(crm_sandbox, True)
    rows = [
        *crm_organizations(3),
        {"external_id": keyed["external_id"], "notes": "x"},
        {"notes": "?"},
    ]
    before = crm_sandbox.store.snapshot()["organizations"]

    summary = push(
        crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, rows), dry_run=True
    )

    assert summary.plan == {
        "create": 3,
        "update": 1,
        "create or update": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert not [e for e in crm_sandbox.app.request_log() if e["method"] in ("POST", "PUT")]
    assert crm_sandbox.store.snapshot()["organizations"] == before
    assert not (tmp_path / "sync.duckdb").exists()


def test_a_second_push_with_one_percent_changed_sends_only_those(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = crm_organizations(300)
    source = orgs_csv(tmp_path, rows)
    push(crm_sandbox, tmp_path, "organizations", input=source)
    for index in range(0, 300, 100):
        rows[index]["notes"] += " (changed)"
    orgs_csv(tmp_path, rows)
    jobs_before = len(crm_sandbox.app.jobs.jobs)

    second = push(crm_sandbox, tmp_path, "organizations", input=source)

    assert (second.totals.updated, second.totals.unchanged) == (3, 297)
    assert second.totals.post_requests == 1
    (job,) = list(crm_sandbox.app.jobs.jobs.values())[jobs_before:]
    assert [row["notes"] for row in job.rows] == [f"account {i} (changed)" for i in (0, 100, 200)]


def test_a_rerun_after_losing_the_log_creates_nothing_twice(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    # A push killed after Zendesk ran its jobs but before it wrote them down leaves no state:
    # the next run must find the organizations by external id or name and update them.
    source = orgs_csv(tmp_path, crm_organizations(120))
    push(crm_sandbox, tmp_path, "organizations", input=source)
    with duckdb.connect(str(tmp_path / "sync.duckdb")) as con:
        con.execute("DELETE FROM reverse_etl.organization_sync_state")
    count = len(live_orgs(crm_sandbox))

    again = push(crm_sandbox, tmp_path, "organizations", input=source)

    assert (again.totals.created, again.totals.updated) == (0, 120)
    assert len(live_orgs(crm_sandbox)) == count


def test_users_name_their_organization_by_external_id_or_name(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    push(crm_sandbox, tmp_path, "organizations", input=orgs_csv(tmp_path, crm_organizations(2)))
    (first,), (second,) = (
        by_name(crm_sandbox, "CRM Company 0"),
        by_name(crm_sandbox, "CRM Company 1"),
    )
    users = [
        {"email": "a@example.net", "name": "A", "organization_external_id": "CRM-ORG-0"},
        {"email": "b@example.net", "name": "B", "organization_name": "crm company 1"},
        {"email": "c@example.net", "name": "C", "organization_name": "No Such Company"},
        {"email": "d@example.net", "name": "D", "organization_external_id": "nope"},
        {"email": "e@example.net", "name": "E", "organization_id": "1", "organization_name": "x"},
    ]

    summary = push(crm_sandbox, tmp_path, input=write_csv(tmp_path / "users.csv", users))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [(r["action"], r["error"]) for r in log] == [
        ("created", None),
        ("created", None),
        ("invalid", "no Zendesk organization has the name 'No Such Company'"),
        ("invalid", "no Zendesk organization has the external id 'nope'"),
        ("invalid", "name the organization once: organization_id, organization_name are all given"),
    ]
    users_now = crm_sandbox.store.users.records
    assert users_now[log[0]["zendesk_user_id"]]["organization_id"] == first["id"]
    assert users_now[log[1]["zendesk_user_id"]]["organization_id"] == second["id"]
