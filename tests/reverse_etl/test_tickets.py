"""``zdsync push tickets`` against the sandbox: updates by id or external id, creations, faults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import (
    FAST_POLL,
    clock_moved_when,
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

UPDATE = "/api/v2/tickets/update_many"
CREATE = "/api/v2/tickets/create_many"
COLUMNS = ["id", "external_id", "tags", "add_tags", "remove_tags", "status", "priority"]
PRODUCT, ORDER_NUMBER = 360_001, 360_002


def tickets_csv(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    return write_csv(tmp_path / "tickets.csv", rows, leading=COLUMNS)


def open_tickets(sandbox: Sandbox, count: int) -> list[dict[str, Any]]:
    found = [
        t
        for t in sandbox.store.tickets.records.values()
        if t["status"] in ("new", "open", "pending", "hold")
    ]
    assert len(found) >= count
    return found[:count]


def custom(ticket: dict[str, Any], field_id: int) -> Any:
    return next((f["value"] for f in ticket["custom_fields"] if f["id"] == field_id), None)


def test_tickets_are_updated_by_id_and_by_external_id(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    one, two = open_tickets(crm_sandbox, 2)
    crm_sandbox.store.update_ticket(two["id"], external_id="crm-ticket-2", tags=["keep", "old"])
    rows = [
        {
            "id": str(one["id"]),
            "tags": "vip,renewal",
            "priority": "urgent",
            "custom_fields.product": "gadget",
            f"custom_fields.{ORDER_NUMBER}": "A-17",
        },
        {"external_id": "crm-ticket-2", "add_tags": "crm", "remove_tags": "old", "status": "open"},
    ]

    summary = push(crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "ticket")
    assert [(r["action"], r["zendesk_id"]) for r in log] == [
        ("updated", one["id"]),
        ("updated", two["id"]),
    ]
    after = crm_sandbox.store.tickets.records
    assert (after[one["id"]]["tags"], after[one["id"]]["priority"]) == (
        ["renewal", "vip"],
        "urgent",
    )
    assert (custom(after[one["id"]], PRODUCT), custom(after[one["id"]], ORDER_NUMBER)) == (
        "gadget",
        "A-17",
    )
    assert (after[two["id"]]["tags"], after[two["id"]]["status"]) == (["keep", "crm"], "open")
    assert (posts_to(crm_sandbox, UPDATE), posts_to(crm_sandbox, CREATE)) == (1, 0)


def test_invalid_rows_say_why_and_are_never_sent(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    (one,) = open_tickets(crm_sandbox, 1)
    rows = [
        {"id": str(one["id"]), "custom_fields.Colour": "red"},
        {"id": str(one["id"] + 1), "custom_fields.Product": "spaceship"},
        {"id": "999999", "tags": "x"},
        {"external_id": "no-such-ticket", "tags": "x"},
        {"id": str(one["id"] + 2), "status": "archived"},
        {"tags": "x"},
        {"id": "abc"},
        {"id": str(one["id"] + 3), "mood": "good"},
    ]

    summary = push(crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "ticket")
    assert [r["error"] for r in log] == [
        "ticket field 'Colour' does not exist in Zendesk",
        "Product 'spaceship' is not one of widget, gadget",
        "ticket 999999 does not exist in Zendesk",
        "ticket no-such-ticket does not exist in Zendesk",
        "status 'archived' is not one of new, open, pending, hold, solved, closed",
        "no id or external_id to find the ticket by",
        "id 'abc' is not a whole number",
        "unknown columns: mood (map them or drop them)",
    ]
    assert {r["action"] for r in log} == {"invalid"}
    assert posts_to(crm_sandbox, UPDATE) == 0


def test_a_change_zendesk_refuses_fails_with_its_reason(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    one, closed = open_tickets(crm_sandbox, 2)
    crm_sandbox.store.update_ticket(closed["id"], status="closed")
    rows = [{"id": str(one["id"]), "tags": "a"}, {"id": str(closed["id"]), "tags": "b"}]

    summary = push(crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "ticket")
    assert [(r["action"], r["error"]) for r in log] == [
        ("updated", None),
        ("failed", "InvalidValue: Status: closed prevents ticket update"),
    ]


def test_rows_may_create_tickets_with_a_requester_by_email_or_external_id(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    user = next(u for u in crm_sandbox.store.users.records.values() if u["external_id"])
    rows = [
        {
            "external_id": "crm-new-1",
            "subject": "Renewal",
            "comment": "Please renew",
            "requester_email": "buyer@example.net",
        },
        {
            "external_id": "crm-new-2",
            "subject": "Upgrade",
            "comment": "Upgrade us",
            "requester_external_id": user["external_id"].upper(),
        },
        {"external_id": "crm-new-3", "comment": "Hi", "requester_external_id": "nobody"},
    ]

    summary = push(crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows))

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "ticket")
    assert [(r["action"], r["error"]) for r in log] == [
        ("created", None),
        ("created", None),
        ("invalid", "no Zendesk user has the external id 'nobody' (requester)"),
    ]
    tickets = crm_sandbox.store.tickets.records
    first, second = tickets[log[0]["zendesk_id"]], tickets[log[1]["zendesk_id"]]
    assert crm_sandbox.store.users.records[first["requester_id"]]["email"] == "buyer@example.net"
    assert (second["requester_id"], second["external_id"]) == (user["id"], "crm-new-2")
    assert second["description"] == "Upgrade us"

    update_only = push(
        crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows), mode="update-only"
    )
    assert (update_only.totals.unchanged, update_only.totals.created) == (2, 0)


def test_a_rerun_after_losing_the_log_creates_nothing_twice(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    rows = [
        {"external_id": f"crm-new-{i}", "comment": f"ticket {i}", "requester_email": "b@x.net"}
        for i in range(5)
    ]
    source = tickets_csv(tmp_path, rows)
    push(crm_sandbox, tmp_path, "tickets", input=source)
    with duckdb.connect(str(tmp_path / "sync.duckdb")) as con:
        con.execute("DELETE FROM reverse_etl.ticket_sync_state")
    count = len(crm_sandbox.store.tickets.records)

    again = push(crm_sandbox, tmp_path, "tickets", input=source)

    assert (again.totals.created, again.totals.updated) == (0, 5)
    assert len(crm_sandbox.store.tickets.records) == count


def test_a_job_that_fails_as_a_whole_is_sent_again(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    crm_sandbox.app.jobs.fail_next_jobs(1)
    rows = [{"id": str(t["id"]), "add_tags": "retried"} for t in open_tickets(crm_sandbox, 5)]

    summary = push(crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows))

    assert summary.totals.updated == 5
    assert (summary.totals.jobs, summary.totals.failed_jobs) == (2, 1)


def test_a_dry_run_writes_nothing(crm_sandbox: Sandbox, tmp_path: Path) -> None:
    rows = [
        *({"id": str(t["id"]), "tags": "x"} for t in open_tickets(crm_sandbox, 2)),
        {"external_id": "crm-new", "comment": "new", "requester_email": "a@b.net"},
        {"id": "999999", "tags": "x"},
    ]
    before = crm_sandbox.store.snapshot()["tickets"]

    summary = push(
        crm_sandbox, tmp_path, "tickets", input=tickets_csv(tmp_path, rows), dry_run=True
    )

    assert summary.plan == {
        "create": 1,
        "update": 2,
        "create or update": 0,
        "unchanged": 0,
        "invalid": 1,
    }
    assert not [e for e in crm_sandbox.app.request_log() if e["method"] in ("POST", "PUT")]
    assert crm_sandbox.store.snapshot()["tickets"] == before
    assert not (tmp_path / "sync.duckdb").exists()


MANY = SandboxConfig(rate_limits="off", users=50, tickets=400, job_cap=3, job_latency_seconds=0.05)


def live_ids(sandbox: Sandbox) -> list[int]:
    return [t["id"] for t in sandbox.store.tickets.records.values() if t["status"] != "closed"]


@pytest.mark.parametrize("sandbox", [MANY], indirect=True)
def test_too_many_jobs_and_429s_are_waited_out(sandbox: Sandbox, tmp_path: Path) -> None:
    ids = [i for i in live_ids(sandbox) if sandbox.store.tickets.records[i]["status"] != "deleted"]
    rows = [{"id": str(i), "add_tags": "bulk"} for i in ids[:300]]
    fill_job_slots(sandbox, 3, latency=3600)
    sandbox.app.faults.queue(Fault("429", 0), path_prefix=UPDATE, times=2)
    quick = RetrySettings(
        max_attempts=400, retry_after_default_seconds=0.05, retry_after_cap_seconds=0.05
    )
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False), retry=quick)
    options = PushOptions(
        input=tickets_csv(tmp_path, rows), db=tmp_path / "sync.duckdb", poll=FAST_POLL
    )

    with clock_moved_when(sandbox, lambda jobs: jobs.too_many_jobs >= 1, 3600):
        summary = push_object(settings, "tickets", options)

    assert (summary.totals.updated, summary.totals.jobs) == (300, 3)
    assert summary.totals.too_many_jobs >= 1
    assert summary.totals.rate_limited == 2
    assert all("bulk" in sandbox.store.tickets.records[i]["tags"] for i in ids[:300])


@pytest.mark.parametrize("sandbox", [MANY], indirect=True)
def test_a_second_push_with_one_percent_changed_sends_only_those(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    ids = [i for i in live_ids(sandbox) if sandbox.store.tickets.records[i]["status"] != "deleted"]
    rows = [{"id": str(i), "tags": "crm", "priority": "normal"} for i in ids[:300]]
    source = tickets_csv(tmp_path, rows)
    first = push(sandbox, tmp_path, "tickets", input=source)
    for index in range(0, 300, 100):
        rows[index]["priority"] = "high"
    tickets_csv(tmp_path, rows)
    jobs_before = len(sandbox.app.jobs.jobs)

    second = push(sandbox, tmp_path, "tickets", input=source)

    assert first.totals.updated == 300
    assert (second.totals.updated, second.totals.unchanged) == (3, 297)
    assert second.totals.post_requests == 1
    (job,) = list(sandbox.app.jobs.jobs.values())[jobs_before:]
    assert [row["id"] for row in job.rows] == [ids[0], ids[100], ids[200]]
