"""A stream added to the table, and nowhere else, is extracted, loaded, summed up and shown."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.zendesk.exports import TimeExport
from pipelines.zendesk.gdpr import is_permanently_deleted
from pipelines.zendesk.lists import EachOf, WholeList
from pipelines.zendesk.stream import Stream
from pipelines.zendesk.streams import COMPLIANCE_DELETION_STATUSES, STREAMS, resource_names
from tests.pipelines.conftest import assert_matches_truth, extract, printed_rows, rows
from zdsync.cli import app
from zdsync.records import records
from zdsync.sandbox import Sandbox

COLUMNS = {
    "id": "BIGINT",
    "name": "VARCHAR",
    "tags": "JSON",
    "updated_at": "TIMESTAMPTZ",
    "deleted_at": "TIMESTAMPTZ",
}
# The organizations again, under other names: once as the list of live organizations, read
# whole each run, and once as the time-based export of all of them, read from where it ended.
ADDED = [
    Stream(
        "live_organizations", "/api/v2/organizations", COLUMNS, WholeList(), key="organizations"
    ),
    Stream(
        "organizations_exported",
        "/api/v2/incremental/organizations",
        COLUMNS,
        TimeExport(),
        key="organizations",
        version="updated_at",
    ),
]


@pytest.fixture(params=ADDED, ids=lambda stream: stream.name)
def added(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Stream:
    stream: Stream = request.param
    monkeypatch.setitem(STREAMS, stream.name, stream)
    return stream


def expected_ids(stream: Stream, truth: dict[str, Any]) -> set[int]:
    organizations = truth["organizations"]
    if isinstance(stream.fetch, WholeList):
        return {org_id for org_id, org in organizations.items() if org["deleted_at"] is None}
    return set(organizations)


def status_lines(db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    monkeypatch.setenv("COLUMNS", "200")
    done = CliRunner().invoke(app, ["status", "--db", str(db)])
    assert done.exit_code == 0, done.output
    return printed_rows(done.stdout)


def test_an_added_stream_is_extracted_loaded_summed_up_and_shown(
    small_sandbox: Sandbox, db: Path, added: Stream, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_sandbox.store.delete_organization(min(small_sandbox.store.organizations.records))
    small_sandbox.store.advance_clock(120)
    truth = small_sandbox.store.snapshot()
    wanted = expected_ids(added, truth)

    summary = extract(small_sandbox, db, resources=resource_names())

    loaded = rows(db, added.name)
    assert loaded.keys() == wanted
    assert {i: r["name"] for i, r in loaded.items()} == {
        i: truth["organizations"][i]["name"] for i in wanted
    }
    by_name = {r.name: r for r in summary.resources}
    assert (by_name[added.name].new_rows, by_name[added.name].records) == (len(wanted),) * 2
    assert by_name[added.name].requests > 0
    assert_matches_truth(db, small_sandbox)
    shown = status_lines(db, monkeypatch)[added.name]
    assert shown[1] == f"{len(wanted):,}"
    if isinstance(added.fetch, TimeExport):
        assert shown[0].startswith("start_time ")
    else:
        assert shown[0] == "-"


def test_an_added_export_resumes_where_it_ended(
    small_sandbox: Sandbox, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = ADDED[1]
    monkeypatch.setitem(STREAMS, stream.name, stream)
    extract(small_sandbox, db, resources=(stream.name,))
    org_id = max(small_sandbox.store.organizations.records)
    small_sandbox.store.update_organization(org_id, name="Renamed while away")
    small_sandbox.store.advance_clock(120)
    small_sandbox.app.log.clear()

    again = extract(small_sandbox, db, resources=(stream.name,))

    (request,) = small_sandbox.app.request_log()
    position = status_lines(db, monkeypatch)[stream.name][0]
    assert int(request["query"]["start_time"]) > 0
    assert rows(db, stream.name)[org_id]["name"] == "Renamed while away"
    assert again.resources[0].updated_rows >= 1
    assert position.startswith("start_time ")


# The GDPR statuses again, under another name: a list read for each permanently deleted user,
# never taken as final, so every run reads each one.
CHILD_LIST = replace(
    COMPLIANCE_DELETION_STATUSES,
    name="statuses_read_again",
    fetch=EachOf(
        "deleted_users",
        only=is_permanently_deleted,
        settled=lambda statuses: False,
        remember="final_user_ids",
        settled_label="users final",
    ),
)


def test_an_added_child_list_is_read_for_each_parent_record(
    small_sandbox: Sandbox, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(STREAMS, CHILD_LIST.name, CHILD_LIST)
    truth = small_sandbox.store.snapshot()
    wanted = {
        (s["user_id"], s["application"], s["action"])
        for statuses in truth["compliance_deletion_statuses"].values()
        for s in statuses
    }

    summary = extract(small_sandbox, db, resources=(CHILD_LIST.name,))

    with duckdb.connect(str(db), read_only=True) as con:
        found = records(con, f"SELECT * FROM zendesk.{CHILD_LIST.name}")  # noqa: S608
    assert wanted
    assert {(r["user_id"], r["application"], r["action"]) for r in found} == wanted
    assert [(r.name, r.new_rows, r.records) for r in summary.resources] == [
        (CHILD_LIST.name, len(wanted), len(wanted))
    ]
    # One request per permanently deleted user, besides the deleted-users list it reads them from.
    assert summary.resources[0].requests == len(truth["compliance_deletion_statuses"])
    assert status_lines(db, monkeypatch)[CHILD_LIST.name][:2] == [
        "0 users final",
        f"{len(wanted):,}",
    ]
