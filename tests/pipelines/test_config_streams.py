"""The account's configuration lists: loaded as the sandbox holds them, nothing written when a
list is unchanged, and rows gone from a list kept and marked deleted."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.zendesk.config_streams import CONFIG_STREAMS
from pipelines.zendesk.snapshots import SNAPSHOT_COLUMNS
from pipelines.zendesk.stream import Stream
from pipelines.zendesk.streams import STREAMS
from tests.pipelines.conftest import extract, settings_truth
from zdsync.records import records
from zdsync.sandbox import Sandbox, SandboxConfig

CONFIG = SandboxConfig(rate_limits="off", tickets=300, users=400, organizations=40)
CHOSEN = tuple(stream.name for stream in CONFIG_STREAMS if stream.fetch.follows is None)
# Zendesk's IANA names of the sandbox's schedules' zones, written out here.
IANA = {
    "Copenhagen": "Europe/Copenhagen",
    "Eastern Time (US & Canada)": "America/New_York",
    "Tokyo": "Asia/Tokyo",
}


@pytest.fixture
def account() -> Any:
    with Sandbox(CONFIG).start() as running:
        yield running


def table(db: Path, name: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return records(con, f"SELECT * FROM zendesk.{name}")  # noqa: S608


def load_ids(db: Path) -> dict[str, set[str]]:
    """Each configuration table's ``_dlt_load_id``s, and every load dlt recorded."""
    with duckdb.connect(str(db), read_only=True) as con:
        found = {
            name: {row[0] for row in con.sql(f"SELECT _dlt_load_id FROM zendesk.{name}").fetchall()}  # noqa: S608
            for name in [*CHOSEN, "schedule_holidays"]
        }
        found["_dlt_loads"] = {
            row[0] for row in con.sql("SELECT load_id FROM zendesk._dlt_loads").fetchall()
        }
    return found


def loaded_value(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "JSON":
        return json.loads(value)
    if kind == "TIMESTAMPTZ":
        assert isinstance(value, datetime)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if kind == "DATE":
        assert isinstance(value, date)
        return value.isoformat()
    return value


def assert_list_matches(
    db: Path, stream: Stream, truth: dict[Any, dict[str, Any]], gone: set[Any]
) -> None:
    """The table holds every listed record field for field, and the ``gone`` ones marked."""
    (key,) = stream.primary_key
    loaded = {row[key]: row for row in table(db, stream.name)}
    assert loaded.keys() == truth.keys() | gone, stream.name
    for record_id, expected in truth.items():
        row = loaded[record_id]
        for column, kind in stream.columns.items():
            if column in SNAPSHOT_COLUMNS or column not in expected:
                continue
            assert loaded_value(kind, row[column]) == expected[column], (stream.name, column)
        # Listed and live, unless Zendesk itself says it is deleted (a deleted group).
        assert row["is_deleted"] is bool(expected.get("deleted")), (stream.name, record_id)
    for record_id in gone:
        assert loaded[record_id]["is_deleted"] is True, (stream.name, record_id)


def assert_matches_account(db: Path, sandbox: Sandbox, gone: dict[str, set[Any]]) -> None:
    snapshot = sandbox.store.snapshot()
    for stream in (STREAMS[name] for name in [*CHOSEN, "schedule_holidays"]):
        truth = settings_truth(snapshot)[stream.name]
        assert_list_matches(db, stream, truth, gone.get(stream.name, set()))
    for row in table(db, "schedules"):
        assert row["iana_time_zone"] == IANA[row["time_zone"]]


def test_each_list_equals_the_account_after_changes_and_deletions(
    account: Sandbox, db: Path
) -> None:
    extract(account, db, resources=CHOSEN)
    assert_matches_account(db, account, {})
    store = account.store
    config = store.account
    membership = min(config.lists["group_memberships"])
    org_membership = max(config.lists["organization_memberships"])
    macro = config.rows("macros")[1]["id"]
    schedule = config.rows("schedules")[-1]["id"]
    gone_holidays = {h["id"] for h in config.holidays[schedule]}
    first_holiday = config.holidays[config.rows("schedules")[0]["id"]][0]
    kept_schedule = config.rows("schedules")[0]["id"]
    # A tag only one ticket carries, taken off it.
    tags = settings_truth(store.snapshot())["tags"]
    store.update_ticket(min(store.tickets.records), tags=["solely-here"])
    with store.lock:
        config.delete("group_memberships", membership)
        config.delete("organization_memberships", org_membership)
        config.delete("macros", macro)
        config.delete("schedules", schedule)
        config.delete_holiday(kept_schedule, first_holiday["id"])
        config.update("groups", min(config.lists["groups"]), name="Support (EMEA)")
        config.update("sla_policies", min(config.lists["sla_policies"]), policy_metrics=[])
        added = config.create("views", title="Urgent and unassigned")
    extract(account, db, resources=CHOSEN)
    assert_matches_account(
        db,
        account,
        {
            "group_memberships": {membership},
            "organization_memberships": {org_membership},
            "macros": {macro},
            "schedules": {schedule},
            "schedule_holidays": gone_holidays | {first_holiday["id"]},
            "tags": tags.keys() - settings_truth(store.snapshot())["tags"].keys(),
        },
    )
    assert any(row["id"] == added["id"] for row in table(db, "views"))
    # A membership added back under the same id is live again.
    with store.lock:
        config.lists["macros"][macro] = {
            **config.lists["macros"][min(config.lists["macros"])],
            "id": macro,
        }
    extract(account, db, resources=CHOSEN)
    assert {row["id"]: row["is_deleted"] for row in table(db, "macros")}[macro] is False


def test_an_unchanged_list_costs_its_pages_and_writes_nothing(account: Sandbox, db: Path) -> None:
    extract(account, db, resources=CHOSEN)
    before = load_ids(db)
    asked = len(account.app.log)
    summary = extract(account, db, resources=CHOSEN)
    assert load_ids(db) == before
    # Its pages were read all the same: one request per 100 rows, or one per unpaged list.
    requests = [
        entry for entry in list(account.app.log)[asked:] if entry.path.startswith("/api/v2/")
    ]
    pages = Counter(entry.path for entry in requests)
    memberships = len(account.store.account.lists["organization_memberships"])
    assert pages["/api/v2/organization_memberships"] == -(-memberships // 100)
    assert pages["/api/v2/business_hours/schedules"] == 1
    assert sum(pages[p] for p in pages if p.endswith("/holidays")) == 3
    assert summary.requests == len(requests)
    assert all(resource.new_rows == resource.updated_rows == 0 for resource in summary.resources)
    # One list changes: it alone loads again, in one new load package.
    with account.store.lock:
        account.store.account.update(
            "brands", min(account.store.account.lists["brands"]), name="Renamed"
        )
    extract(account, db, resources=CHOSEN)
    after = load_ids(db)
    assert len(after.pop("_dlt_loads") - before.pop("_dlt_loads")) == 1
    assert {name for name in before if after[name] != before[name]} == {"brands"}
    assert len(after["brands"]) == 1


def test_field_definitions_load_only_when_they_changed(account: Sandbox, db: Path) -> None:
    account.store.advance_clock(120)
    extract(account, db, resources=("tickets",))
    fields_before = {row["_dlt_load_id"] for row in table(db, "ticket_fields")}
    # A ticket changed: the definitions are read again, but they did not change.
    account.store.update_ticket(min(account.store.tickets.records), subject="Changed")
    account.store.advance_clock(120)
    asked = len(account.app.log)
    extract(account, db, resources=("tickets",))
    assert any(e.path == "/api/v2/ticket_fields" for e in list(account.app.log)[asked:])
    assert {row["_dlt_load_id"] for row in table(db, "ticket_fields")} == fields_before
    # A definition deleted in Zendesk stays, marked deleted.
    with account.store.lock:
        removed = account.store.ticket_fields.pop()
    account.store.update_ticket(min(account.store.tickets.records), subject="Again")
    account.store.advance_clock(120)
    extract(account, db, resources=("tickets",))
    loaded = {row["id"]: row for row in table(db, "ticket_fields")}
    assert loaded[removed["id"]]["is_deleted"] is True
    assert not any(row["is_deleted"] for key, row in loaded.items() if key != removed["id"])
    assert loaded.keys() == {f["id"] for f in account.store.ticket_fields} | {removed["id"]}


class Killed(Exception):
    """The process died after the load committed, before the gone rows were marked."""


def test_rows_gone_are_marked_by_the_next_run_if_a_run_dies_before_marking(
    account: Sandbox, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extract(account, db, resources=CHOSEN)
    macro = min(account.store.account.lists["macros"])
    with account.store.lock:
        account.store.account.delete("macros", macro)

    def die(*args: object) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr("pipelines.zendesk.extract.mark_gone", die)
        with pytest.raises(Killed):
            extract(account, db, resources=CHOSEN)
    assert {row["id"]: row["is_deleted"] for row in table(db, "macros")}[macro] is False
    before = load_ids(db)
    # The list is unchanged since that load, so nothing loads; the gone row is marked all the same.
    extract(account, db, resources=CHOSEN)
    assert load_ids(db)["_dlt_loads"] == before["_dlt_loads"]
    assert {row["id"]: row["is_deleted"] for row in table(db, "macros")}[macro] is True
