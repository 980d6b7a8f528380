"""Helpers for extract tests: run an extract against a sandbox and compare with its truth."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.zendesk import ExtractOptions, ExtractSummary, run_extract
from pipelines.zendesk.config_streams import CONFIG_STREAMS
from pipelines.zendesk.exports import epoch_of
from tests.conftest import settings_for
from tests.postgres import query as postgres_query
from zdsync.client import RateLimitSettings
from zdsync.records import records
from zdsync.sandbox import Sandbox, SandboxConfig

# What the README promises a permanent deletion clears in ``users``, written out here (not read
# from the implementation) so a field dropped from the scrub fails the tests.
PROMISED_SCRUB = (
    "name",
    "email",
    "phone",
    "notes",
    "details",
    "alias",
    "signature",
    "user_fields",
    "photo",
    "external_id",
    "tags",
)
SCRUBBED_NAME = "Permanently Deleted User"

SMALL = SandboxConfig(
    rate_limits="off", tickets=2500, users=1200, organizations=150, deleted_users=60
)


@pytest.fixture
def small_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SMALL).start() as running:
        # Exports withhold the last minute; step past it so the whole dataset is visible.
        running.store.advance_clock(120)
        yield running


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def extract(sandbox: Sandbox, db: Path, **options: Any) -> ExtractSummary:
    settings = settings_for(sandbox, rate_limits=RateLimitSettings(enabled=False))
    return run_extract(settings, ExtractOptions(db_path=db, **options))


def rows(db: Path | str, table: str) -> dict[Any, dict[str, Any]]:
    """A warehouse table keyed by id (or by its natural key for compliance statuses).

    ``db`` is a DuckDB file, or the URL of a PostgreSQL database the extract loaded.
    """
    sql = f"SELECT * FROM zendesk.{table}"  # noqa: S608
    if isinstance(db, str):
        found = postgres_query(db, sql)
    else:
        with duckdb.connect(str(db), read_only=True) as con:
            found = records(con, sql)
    if table == "compliance_deletion_statuses":
        return {(r["user_id"], r["application"], r["action"]): r for r in found}
    return {r["id"]: r for r in found}


def printed_rows(text: str) -> dict[str, list[str]]:
    """The body rows of the tables a command printed, keyed by their first cell."""
    found = {}
    for line in text.splitlines():
        if line.startswith("│"):
            first, *cells = (cell.strip() for cell in line.strip("│ ").split("│"))
            found[first] = cells
    return found


def settings_truth(snapshot: dict[str, Any]) -> dict[str, dict[Any, dict[str, Any]]]:
    """The sandbox's settings lists by id, and its tags (by name) counted from the records."""
    counted: Counter[str] = Counter()
    for ticket in snapshot["tickets"].values():
        if ticket["status"] != "deleted":
            counted.update(ticket["tags"])
    for user in snapshot["users"].values():
        if user["active"]:
            counted.update(user["tags"])
    for org in snapshot["organizations"].values():
        counted.update(org["tags"])
    tags = {name: {"name": name, "count": count} for name, count in counted.items()}
    listed = {
        stream.name: snapshot[stream.name] for stream in CONFIG_STREAMS if stream.name != "tags"
    }
    return {**listed, "tags": tags}


def _epoch(value: Any) -> int | None:
    if value is None:
        return None
    return int(value.timestamp()) if hasattr(value, "timestamp") else epoch_of(value)


def assert_matches_truth(db: Path | str, sandbox: Sandbox) -> None:
    """Every table holds exactly the sandbox's current records, field for field."""
    truth = sandbox.store.snapshot()
    tickets = rows(db, "tickets")
    assert tickets.keys() == truth["tickets"].keys()
    for ticket_id, expected in truth["tickets"].items():
        got = tickets[ticket_id]
        assert got["status"] == expected["status"]
        assert got["subject"] == expected["subject"]
        assert got["generated_timestamp"] == expected["generated_timestamp"]
        assert _epoch(got["updated_at"]) == epoch_of(expected["updated_at"])
        assert json.loads(got["custom_fields"]) == expected["custom_fields"]
        assert json.loads(got["tags"]) == expected["tags"]
    users = rows(db, "users")
    assert users.keys() >= truth["users"].keys()
    # Users deleted for good leave Zendesk's export but stay in the warehouse, scrubbed, so
    # their tickets still join.
    for user_id in users.keys() - truth["users"].keys():
        assert truth["deleted_users"][user_id]["name"] == SCRUBBED_NAME
        assert {k: users[user_id][k] for k in PROMISED_SCRUB} == {
            k: SCRUBBED_NAME if k == "name" else None for k in PROMISED_SCRUB
        }
    for user_id, expected in truth["users"].items():
        got = users[user_id]
        assert (got["name"], got["email"], got["active"]) == (
            expected["name"],
            expected["email"],
            expected["active"],
        )
        assert json.loads(got["user_fields"]) == expected["user_fields"]
    organizations = rows(db, "organizations")
    assert organizations.keys() == truth["organizations"].keys()
    for org_id, expected in truth["organizations"].items():
        assert organizations[org_id]["name"] == expected["name"]
        assert _epoch(organizations[org_id]["deleted_at"]) == _epoch(expected["deleted_at"])
    deleted = rows(db, "deleted_users")
    assert deleted.keys() == truth["deleted_users"].keys()
    for user_id, expected in truth["deleted_users"].items():
        assert (deleted[user_id]["name"], deleted[user_id]["email"]) == (
            expected["name"],
            expected["email"],
        )
    statuses = rows(db, "compliance_deletion_statuses")
    expected_statuses = {
        (s["user_id"], s["application"], s["action"])
        for user_statuses in truth["compliance_deletion_statuses"].values()
        for s in user_statuses
    }
    assert statuses.keys() == expected_statuses
