"""Planning chunk by chunk while the first jobs run: every row's outcome is what a whole-input
plan (the dry run's) gives it, rows late in the input included."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import (
    FAST_POLL,
    crm_organizations,
    crm_rows,
    posts_to,
    push,
    sync_log,
    write_csv,
)
from zdsync import catalog
from zdsync.client import RateLimitSettings, RetrySettings, ZendeskClient
from zdsync.errors import PushRunAgainLaterError
from zdsync.reverse_etl.organizations import CREATE_PATH, UPDATE_PATH
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.push import PushOptions
from zdsync.reverse_etl.push import push as push_object
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.stream import FIRST_CHUNK, Batcher, chunks, split_linked
from zdsync.sandbox import Fault, Sandbox
from zdsync.sandbox.fakedata import Record


def rows(*values: Mapping[str, str | None]) -> list[InputRow]:
    return [InputRow(number, dict(v)) for number, v in enumerate(values, start=1)]


def test_rows_sharing_a_key_in_any_case_are_planned_together_after_the_rest() -> None:
    given = rows(
        {"external_id": "A", "email": "a@x.io"},
        {"external_id": "b", "email": "b@x.io"},
        {"external_id": "c", "email": "B@X.IO"},
        {"external_id": None, "email": "d@x.io"},
        {"external_id": "a", "email": None},
    )

    alone, linked = split_linked(given, ("external_id", "email"))

    assert [r.row_number for r in alone] == [4]
    assert [r.row_number for r in linked] == [1, 2, 3, 5]


def test_the_first_chunk_is_one_batch_and_linked_rows_come_last() -> None:
    given = rows(*({"external_id": f"e{i}"} for i in range(1200)), {"external_id": "E7"})

    parts = list(chunks(given, ("external_id",)))

    assert len(parts[0]) == FIRST_CHUNK
    assert [r.row_number for r in parts[-1]] == [8, 1201]
    numbers = [r.row_number for part in parts for r in part]
    assert sorted(numbers) == list(range(1, 1202))


def test_batches_hold_one_kind_each_and_fill_across_chunks() -> None:
    batcher = Batcher(lambda item: item.exists, size=3)
    items = [PlannedRow(InputRow(i, {}), exists=i % 2 == 0) for i in range(1, 8)]

    full = batcher.add(items[:4]) + batcher.add(items[4:])
    rest = batcher.rest()

    assert [[i.row.row_number for i in b] for b in full] == [[1, 3, 5], [2, 4, 6]]
    assert [[i.row.row_number for i in b] for b in rest] == [[7]]


def late_mistakes() -> list[Record]:
    """Rows for many batches; mistakes and duplicates far from the first chunk."""
    given: list[Record] = crm_rows(1250)
    given[1199] = {**given[1199], "email": "broken@"}
    given[1239] = {**given[1239], "role": "owner"}
    # Row 3 is superseded by a later row naming the same user; row 5 shares its email with
    # an invalid row, so only row 5 counts and is created.
    given[1099] = {**given[1099], "external_id": given[2]["external_id"].upper()}
    given[1149] = {**given[1149], "email": given[4]["email"], "phone": "12345"}
    return given


def test_a_user_push_settles_every_row_as_the_whole_plan_does(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "crm.csv", late_mistakes())
    planned = push(crm_sandbox, tmp_path / "dry", input=source, dry_run=True)

    summary = push(crm_sandbox, tmp_path, input=source)

    assert summary.invalid == planned.invalid
    assert [n for n, _ in summary.invalid] == [3, 1150, 1200, 1240]
    log = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert [r["row_number"] for r in log] == list(range(1, 1251))
    by_row = {r["row_number"]: r for r in log}
    assert by_row[3]["error"].startswith("superseded by row 1100")
    assert "not a valid address" in by_row[1200]["error"]
    assert "owner" in by_row[1240]["error"]
    assert by_row[5]["action"] == "created"
    sent = 1250 - 4
    assert summary.totals.created == sent
    assert summary.totals.post_requests == math.ceil(sent / 100)
    assert crm_sandbox.store.find_user(email="broken@") is None


def test_an_organization_push_sends_creates_and_updates_in_full_batches(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    given = crm_organizations(450)
    # An organization Zendesk already has, named by a row late in the input: an update.
    records = crm_sandbox.store.organizations.records.values()
    existing = next(o for o in records if o["deleted_at"] is None)
    given[420] = {"name": existing["name"].upper(), "notes": "from the CRM"}
    given[430] = {**given[430], "name": given[7]["name"]}
    source = write_csv(tmp_path / "orgs.csv", given, ["external_id", "name"])
    planned = push(crm_sandbox, tmp_path / "dry", "organizations", input=source, dry_run=True)

    summary = push(crm_sandbox, tmp_path, "organizations", input=source)

    superseded = "superseded by row 431, a later row for the same organization"
    assert summary.invalid == planned.invalid == [(8, superseded)]
    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "organization")
    assert [r["row_number"] for r in log] == list(range(1, 451))
    assert log[420]["action"] == "updated"
    assert log[420]["zendesk_id"] == existing["id"]
    assert (summary.totals.created, summary.totals.updated) == (448, 1)
    assert posts_to(crm_sandbox, CREATE_PATH) == math.ceil(448 / 100)
    assert posts_to(crm_sandbox, UPDATE_PATH) == 1
    assert crm_sandbox.store.organizations.records[existing["id"]]["notes"] == "from the CRM"


def test_a_lookup_failing_after_the_first_chunk_ends_the_push_and_a_rerun_finishes_it(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    # The first chunk is matched by name alone, on organizations the list holds last, so the
    # list is not read past them; the next chunk by external id: the first external id lookup
    # fails, while the first chunk's job may already be out.
    given = crm_organizations(900)
    with ZendeskClient(settings_for(crm_sandbox)) as client:
        for row in given[:100]:
            del row["external_id"]
            client.call("organizations.create", organization={"name": row["name"]})
    source = write_csv(tmp_path / "orgs.csv", given, ["external_id", "name"])
    lookups = catalog.operation("organizations.show_many").path
    crm_sandbox.app.faults.queue(Fault("503", 0), path_prefix=lookups)
    once = replace(
        settings_for(crm_sandbox, rate_limits=RateLimitSettings(enabled=False)),
        retry=RetrySettings(max_attempts=1),
    )
    options = PushOptions(input=source, db=tmp_path / "sync.duckdb", poll=FAST_POLL)

    with pytest.raises(PushRunAgainLaterError, match="503"):
        push_object(once, "organizations", options)
    summary = push(crm_sandbox, tmp_path, "organizations", input=source)

    log = sync_log(tmp_path / "sync.duckdb", summary.run_id, "organization")
    assert [r["row_number"] for r in log] == list(range(1, 901))
    created = Counter(
        o["name"]
        for o in crm_sandbox.store.organizations.records.values()
        if o["name"].startswith("CRM Company")
    )
    assert sorted(created) == sorted(f"CRM Company {i}" for i in range(900))
    assert set(created.values()) == {1}


def test_once_the_list_is_read_to_its_end_no_organization_is_looked_up_again(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    # New organizations: the first chunk's external ids are not found, nor its names, so the
    # whole list is read; it names every organization, and later chunks need no request.
    source = write_csv(tmp_path / "orgs.csv", crm_organizations(900), ["external_id", "name"])
    existing = len(crm_sandbox.store.organizations.records)

    summary = push(crm_sandbox, tmp_path, "organizations", input=source)

    reads = Counter(
        e["path"] for e in crm_sandbox.app.request_log() if e["path"].startswith("/api/v2/org")
    )
    assert reads[catalog.operation("organizations.show_many").path] == 1
    assert reads[catalog.operation("organizations.list").path] == math.ceil(existing / 100)
    assert summary.totals.created == 900
    assert posts_to(crm_sandbox, CREATE_PATH) == 9
