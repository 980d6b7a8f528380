"""The extract into PostgreSQL through dlt's postgres destination: exact, as into DuckDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pipelines.conftest import assert_matches_truth, extract, rows, settings_truth
from tests.postgres import PostgresServer, create_database
from zdsync.sandbox import Sandbox


def test_the_extract_into_postgres_equals_the_sandbox_through_changes_and_deletions(
    small_sandbox: Sandbox, db: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = create_database(postgres.url(), "extract")
    monkeypatch.setenv("DESTINATION__POSTGRES__CREDENTIALS", url)
    extract(small_sandbox, db, destination="postgres")
    assert_matches_truth(url, small_sandbox)
    store = small_sandbox.store
    truth = store.snapshot()
    ticket_ids = sorted(truth["tickets"])
    end_users = sorted(
        u for u, r in truth["users"].items() if r["active"] and r["role"] == "end-user"
    )
    store.update_ticket(ticket_ids[0], subject="Changed subject ✓")
    store.delete_ticket(ticket_ids[1])
    touched = store.touch_ticket(ticket_ids[2])
    store.soft_delete_user(end_users[0])
    store.permanently_delete_user(end_users[1])
    store.advance_clock(120)

    summary = extract(small_sandbox, db, destination="postgres")

    assert_matches_truth(url, small_sandbox)
    for name, listed in settings_truth(store.snapshot()).items():
        if name != "tags":
            assert rows(url, name).keys() == listed.keys(), name
    tickets = rows(url, "tickets")
    assert tickets[ticket_ids[0]]["subject"] == "Changed subject ✓"
    assert tickets[ticket_ids[1]]["status"] == "deleted"
    assert tickets[ticket_ids[2]]["generated_timestamp"] == touched["generated_timestamp"]
    assert rows(url, "users")[end_users[0]]["active"] is False
    assert summary.scrubbed_users == 1
    assert not db.exists()
