"""The extract against the sandbox: exact loads, exact re-runs, minimal requests."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from pipelines.zendesk import ExtractOptions, run_extract
from pipelines.zendesk.exports import epoch_of
from tests.conftest import settings_for
from tests.pipelines.conftest import assert_matches_truth, extract, rows
from zdsync.client import RateLimitSettings
from zdsync.sandbox import Sandbox, SandboxConfig


def export_requests(sandbox: Sandbox, stream: str) -> int:
    return sum(
        1
        for entry in sandbox.app.request_log()
        if entry["path"].startswith(f"/api/v2/incremental/{stream}")
    )


def requests_to(sandbox: Sandbox, prefix: str) -> int:
    return sum(1 for entry in sandbox.app.request_log() if entry["path"].startswith(prefix))


def test_initial_load_equals_the_sandbox(small_sandbox: Sandbox, db: Path) -> None:
    summary = extract(small_sandbox, db)

    assert_matches_truth(db, small_sandbox)
    truth = small_sandbox.store.snapshot()
    by_name = {r.name: r for r in summary.resources}
    assert by_name["tickets"].new_rows == len(truth["tickets"])
    assert by_name["users"].new_rows == len(truth["users"])
    assert summary.rate_limited == 0


def test_initial_load_uses_one_request_per_thousand_records(
    small_sandbox: Sandbox, db: Path
) -> None:
    extract(small_sandbox, db)

    truth = small_sandbox.store.snapshot()
    assert export_requests(small_sandbox, "tickets") == math.ceil(len(truth["tickets"]) / 1000)
    assert export_requests(small_sandbox, "users") == math.ceil(len(truth["users"]) / 1000)
    assert requests_to(small_sandbox, "/api/v2/deleted_users") == math.ceil(
        len(truth["deleted_users"]) / 100
    )


def test_a_run_with_nothing_new_makes_one_request_per_export_stream(
    small_sandbox: Sandbox, db: Path
) -> None:
    extract(small_sandbox, db)
    small_sandbox.app.log.clear()

    summary = extract(small_sandbox, db, resources=("users", "tickets", "organizations"))

    paths = sorted(e["path"].removesuffix(".json") for e in small_sandbox.app.request_log())
    assert paths == [
        "/api/v2/incremental/organizations",
        "/api/v2/incremental/tickets/cursor",
        "/api/v2/incremental/users/cursor",
    ]
    assert sum(r.new_rows for r in summary.resources) == 0


def test_the_saved_cursor_becomes_the_next_request(small_sandbox: Sandbox, db: Path) -> None:
    extract(small_sandbox, db, resources=("tickets",))
    last = [e for e in small_sandbox.app.request_log() if "tickets/cursor" in e["path"]][-1]
    # The same request again: the sandbox's answer carries the cursor the run ended on.
    answer = httpx.get(
        small_sandbox.base_url + last["path"],
        params=last["query"],
        auth=(f"{small_sandbox.admin_email}/token", small_sandbox.api_token),
    ).json()
    assert answer["end_of_stream"] is True
    small_sandbox.app.log.clear()

    extract(small_sandbox, db, resources=("tickets",))

    (again,) = small_sandbox.app.request_log()
    assert again["path"].removesuffix(".json") == last["path"].removesuffix(".json")
    kept = {k: v for k, v in last["query"].items() if k not in ("cursor", "start_time")}
    assert again["query"] == {**kept, "cursor": answer["after_cursor"]}


def test_a_start_date_is_where_the_first_run_begins(small_sandbox: Sandbox, db: Path) -> None:
    truth = small_sandbox.store.snapshot()
    stamps = sorted(t["generated_timestamp"] for t in truth["tickets"].values())
    start = datetime.fromtimestamp(stamps[len(stamps) // 2], UTC).date()
    start_epoch = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())

    extract(small_sandbox, db, resources=("tickets", "organizations"), start_date=start)

    first: dict[str, dict[str, str]] = {}
    for entry in small_sandbox.app.request_log():
        first.setdefault(entry["path"].removesuffix(".json"), entry["query"])
    assert first["/api/v2/incremental/tickets/cursor"]["start_time"] == str(start_epoch)
    assert first["/api/v2/incremental/organizations"]["start_time"] == str(start_epoch)
    assert rows(db, "tickets").keys() == {
        t["id"] for t in truth["tickets"].values() if t["generated_timestamp"] >= start_epoch
    }
    assert rows(db, "organizations").keys() == {
        o["id"] for o in truth["organizations"].values() if epoch_of(o["updated_at"]) >= start_epoch
    }
    assert 0 < len(rows(db, "tickets")) < len(truth["tickets"])


def test_changes_and_deletions_reach_the_warehouse(small_sandbox: Sandbox, db: Path) -> None:
    extract(small_sandbox, db)
    store = small_sandbox.store
    truth = store.snapshot()
    ticket_ids = sorted(truth["tickets"])
    active_users = sorted(
        u for u, r in truth["users"].items() if r["active"] and r["role"] == "end-user"
    )
    org_ids = sorted(truth["organizations"])
    store.update_ticket(ticket_ids[0], subject="Changed subject ✓")
    store.delete_ticket(ticket_ids[1])
    touched = store.touch_ticket(ticket_ids[2])
    store.soft_delete_user(active_users[0])
    store.permanently_delete_user(active_users[1])
    store.update_organization(org_ids[0], name="Renamed Org")
    store.delete_organization(org_ids[1])
    store.advance_clock(120)

    summary = extract(small_sandbox, db)

    assert_matches_truth(db, small_sandbox)
    tickets = rows(db, "tickets")
    assert tickets[ticket_ids[1]]["status"] == "deleted"
    assert tickets[ticket_ids[2]]["generated_timestamp"] == touched["generated_timestamp"]
    assert rows(db, "users")[active_users[0]]["active"] is False
    assert summary.scrubbed_users == 1


def test_a_backfill_commits_in_batches(small_sandbox: Sandbox, db: Path) -> None:
    extract(small_sandbox, db, resources=("tickets",), batch_records=1000)

    with duckdb.connect(str(db), read_only=True) as con:
        loads = con.execute("SELECT count(*) FROM zendesk._dlt_loads WHERE status = 0").fetchall()
    # 2,500 tickets in batches of 1,000, then the ticket field definitions.
    assert loads == [(3 + 1,)]


def test_a_record_changed_during_the_run_lands_in_its_newest_version(
    small_sandbox: Sandbox, db: Path
) -> None:
    # Zendesk's export sends a ticket again, later in the stream, when it changes while the
    # export is being read: both versions then sit in one batch, and the newer must win.
    store = small_sandbox.store
    tickets = store.snapshot()["tickets"]
    first_ticket = min(tickets, key=lambda t: (tickets[t]["generated_timestamp"], t))
    changed: list[dict[str, Any]] = []

    def change_once(progress: Any) -> None:
        if not changed and progress.name == "tickets" and progress.records:
            changed.append(store.update_ticket(first_ticket, subject="Changed mid-run"))
            store.advance_clock(120)

    settings = settings_for(small_sandbox, rate_limits=RateLimitSettings(enabled=False))
    summary = run_extract(
        settings, ExtractOptions(db_path=db, resources=("tickets",)), on_progress=change_once
    )

    assert changed
    # Both versions were read in this run's one batch.
    assert summary.resources[0].records == len(tickets) + 1
    assert rows(db, "tickets")[first_ticket]["subject"] == "Changed mid-run"
    assert_matches_truth_for_tickets(db, small_sandbox)


def test_full_refresh_starts_over(small_sandbox: Sandbox, db: Path) -> None:
    extract(small_sandbox, db, resources=("tickets",))
    small_sandbox.app.log.clear()

    summary = extract(small_sandbox, db, resources=("tickets",), full_refresh=True)

    first = small_sandbox.app.request_log()[0]
    assert first["query"]["start_time"] == "0"
    assert summary.resources[0].new_rows == len(small_sandbox.store.snapshot()["tickets"])
    assert_matches_truth_for_tickets(db, small_sandbox)


def assert_matches_truth_for_tickets(db: Path, sandbox: Sandbox) -> None:
    assert rows(db, "tickets").keys() == sandbox.store.snapshot()["tickets"].keys()


@pytest.mark.parametrize(
    "sandbox",
    [
        SandboxConfig(
            rate_limits="realistic",
            time_scale=30,
            tickets=4000,
            users=3000,
            organizations=100,
            deleted_users=20,
            # Eight export pages, three a window: the exports must wait for budget.
            incremental_rpm=3,
            users_cursor_budget=budget,
        )
        for budget in ("both", "own")
    ],
    indirect=True,
    ids=["both", "own"],
)
def test_under_realistic_limits_no_request_is_refused(sandbox: Sandbox, db: Path) -> None:
    sandbox.store.advance_clock(120)

    summary = run_extract(settings_for(sandbox), ExtractOptions(db_path=db))

    assert summary.rate_limited == 0
    assert not [e for e in sandbox.app.request_log() if e["status"] == 429]
    assert_matches_truth(db, sandbox)


def test_another_destination_gets_the_same_rows_through_arrow_tables(
    small_sandbox: Sandbox, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dlt's own DuckDB destination stands in for any other: it is the generic path, by name.
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(db))

    extract(small_sandbox, db, destination="duckdb")

    assert_matches_truth(db, small_sandbox)


def compliance_polls(sandbox: Sandbox) -> list[int]:
    """The users whose GDPR statuses were asked for, in the request log."""
    return sorted(
        int(entry["path"].split("/")[4])
        for entry in sandbox.app.request_log()
        if "compliance_deletion_statuses" in entry["path"]
    )


def test_a_user_whose_deletion_is_complete_is_not_polled_again(
    small_sandbox: Sandbox, db: Path
) -> None:
    def polled(**options: Any) -> list[int]:
        small_sandbox.app.log.clear()
        extract(small_sandbox, db, **options)
        return compliance_polls(small_sandbox)

    everyone = polled()
    pending = polled()
    for application in ("support", "chat"):
        small_sandbox.store.complete_compliance_deletion(pending[0], application)
    seen_complete = polled()
    after = polled()
    refreshed = polled(full_refresh=True)

    # Some deletions were complete from the start; the first run saved them.
    assert set(pending) < set(everyone)
    # The run that sees a deletion complete saves it; the next skips the user; a full refresh
    # starts over.
    assert seen_complete == pending
    assert after == pending[1:]
    assert refreshed == everyone
    assert_matches_truth(db, small_sandbox)


def test_the_lists_are_fetched_while_the_exports_run(small_sandbox: Sandbox, db: Path) -> None:
    # The tickets export holds its first page until the GDPR statuses are all fetched: a run
    # that fetched the lists only after the exports would wait here for the whole timeout.
    lists_fetched = threading.Event()
    waited: list[bool] = []

    def hold_tickets(progress: Any) -> None:
        if progress.name == "compliance_deletion_statuses" and progress.done:
            lists_fetched.set()
        if progress.name == "tickets" and progress.records and not waited:
            waited.append(lists_fetched.wait(timeout=60))

    settings = settings_for(small_sandbox, rate_limits=RateLimitSettings(enabled=False))
    run_extract(settings, ExtractOptions(db_path=db), on_progress=hold_tickets)

    assert waited == [True]
    assert_matches_truth(db, small_sandbox)
