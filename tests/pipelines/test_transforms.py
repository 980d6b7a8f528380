"""Pure pieces of the extract, tested with literal records."""

from __future__ import annotations

import dataclasses
from typing import Any

import duckdb
import pytest

from pipelines.zendesk.arrow import ArrowConverter
from pipelines.zendesk.exports import CursorExport, Export, TimeExport
from pipelines.zendesk.gdpr import (
    deletion_complete,
    is_permanently_deleted,
    needs_scrub,
    scrub_statement,
    scrub_user,
)
from pipelines.zendesk.lists import WholeList
from pipelines.zendesk.state import StateVersionError, check_version
from pipelines.zendesk.stream import Fetch, Stream
from pipelines.zendesk.streams import DELETED_USERS, ORGANIZATIONS, TICKETS, USERS
from tests.pipelines.conftest import PROMISED_SCRUB
from zdsync.client import Paginator
from zdsync.records import records


def paginator_for(stream: Stream, state: dict[str, Any], start_time: int) -> Paginator:
    """The paginator the stream's kind reads it with, from ``state``."""
    kind = stream.fetch
    if isinstance(kind, Export):
        return kind.paginator(stream, state, start_time)
    assert isinstance(kind, WholeList)
    return kind.paginator(stream)


def save_position(stream: Stream, state: dict[str, Any], position: Any) -> None:
    assert isinstance(stream.fetch, Export)
    stream.fetch.save(state, position)


def test_a_page_of_nulls_keeps_the_stream_types() -> None:
    table = ArrowConverter(TICKETS).records([{"id": 2**40, "assignee_id": None, "tags": []}]).data

    assert table.column_names == list(TICKETS.columns)
    assert str(table.schema.field("assignee_id").type) == "int64"
    assert table.column("id").to_pylist() == [2**40]
    assert table.column("tags").to_pylist() == ["[]"]


def test_nested_values_become_json_text() -> None:
    table = (
        ArrowConverter(USERS)
        .records([{"id": 1, "user_fields": {"vip": True, "plan": "gold"}, "name": "Zoë 山田"}])
        .data
    )

    assert table.column("user_fields").to_pylist() == ['{"vip":true,"plan":"gold"}']
    assert table.column("name").to_pylist() == ["Zoë 山田"]


def test_permanent_deletion_is_recognised_only_when_scrubbed() -> None:
    assert is_permanently_deleted({"name": "Permanently Deleted User", "email": None})
    assert not is_permanently_deleted({"name": "Permanently Deleted User", "email": "a@b.c"})
    assert not is_permanently_deleted({"name": "Ann", "email": None})


# A user with every personal field the README names filled in, and two fields it keeps.
FILLED_USER: dict[str, object] = {
    "id": 7,
    "name": "Ann",
    "email": "ann@example.com",
    "phone": "+4420",
    "notes": "prefers phone",
    "details": "1 High Street",
    "alias": "Annie",
    "signature": "Best, Ann",
    "user_fields": '{"plan":"pro"}',
    "photo": '{"content_url":"https://example.org/ann.png"}',
    "external_id": "crm-7",
    "tags": '["vip"]',
    "role": "admin",
    "locale": "en-GB",
}
SCRUBBED_USER: dict[str, object] = {
    **dict.fromkeys(PROMISED_SCRUB),
    "id": 7,
    "name": "Permanently Deleted User",
    "role": "admin",
    "locale": "en-GB",
}


def test_scrubbing_keeps_the_id_and_clears_personal_fields() -> None:
    assert scrub_user(FILLED_USER) == SCRUBBED_USER


def _users_table(*users: dict[str, object]) -> duckdb.DuckDBPyConnection:
    """The warehouse's ``users`` table, every column the stream declares, holding ``users``."""
    con = duckdb.connect()
    columns = ", ".join(f"{name} {kind}" for name, kind in USERS.columns.items())
    con.execute(f"CREATE TABLE users ({columns})")
    con.execute("CREATE TABLE deleted_users (id BIGINT, name VARCHAR, email VARCHAR)")
    for user in users:
        names = ", ".join(user)
        marks = ", ".join("?" for _ in user)
        con.execute(f"INSERT INTO users ({names}) VALUES ({marks})", list(user.values()))  # noqa: S608
    return con


def _users(con: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    return [{k: row[k] for k in FILLED_USER} for row in records(con, "FROM users ORDER BY id")]


def _to_scrub(con: duckdb.DuckDBPyConnection) -> int:
    where = needs_scrub("deleted_users")
    return int(con.sql(f"SELECT count(*) FROM users WHERE {where}").fetchall()[0][0])  # noqa: S608


def test_the_scrub_statement_clears_every_promised_column_once() -> None:
    other = {**FILLED_USER, "id": 8, "email": "bo@example.com"}
    con = _users_table(FILLED_USER, other)
    con.execute("INSERT INTO deleted_users VALUES (7, 'Permanently Deleted User', NULL)")
    con.execute("INSERT INTO deleted_users VALUES (8, 'Bo', 'bo@example.com')")

    assert _to_scrub(con) == 1
    con.execute(scrub_statement("users", "deleted_users"))

    assert _users(con) == [SCRUBBED_USER, other]
    assert _to_scrub(con) == 0


@pytest.mark.parametrize("left", [c for c in PROMISED_SCRUB if c not in ("name", "email")])
def test_a_row_scrubbed_only_in_part_is_scrubbed_again(left: str) -> None:
    # As a version that cleared fewer columns would have left it.
    con = _users_table({**SCRUBBED_USER, left: FILLED_USER[left]})
    con.execute("INSERT INTO deleted_users VALUES (7, 'Permanently Deleted User', NULL)")

    assert _to_scrub(con) == 1
    con.execute(scrub_statement("users", "deleted_users"))

    assert _users(con) == [SCRUBBED_USER]


@pytest.mark.parametrize(
    ("statuses", "complete"),
    [
        ([], False),
        (
            [
                {"application": "all", "action": "request_deletion"},
                {"application": "support", "action": "started"},
                {"application": "chat", "action": "started"},
                {"application": "support", "action": "complete"},
            ],
            False,
        ),
        (
            [
                {"application": "all", "action": "request_deletion"},
                {"application": "support", "action": "started"},
                {"application": "chat", "action": "started"},
                {"application": "support", "action": "complete"},
                {"application": "chat", "action": "complete"},
            ],
            True,
        ),
    ],
)
def test_deletion_is_complete_when_every_started_application_completed(
    statuses: list[dict[str, str]], complete: bool
) -> None:
    assert deletion_complete(statuses) is complete


def test_positions_are_saved_in_the_stream_style() -> None:
    cursor_state: dict[str, object] = {}
    time_state: dict[str, object] = {}

    save_position(TICKETS, cursor_state, "MTcwMDAwMDAwMC4wfHwxMjN8")
    save_position(TICKETS, cursor_state, None)
    save_position(ORGANIZATIONS, time_state, 1_700_000_000)

    assert cursor_state == {"cursor": "MTcwMDAwMDAwMC4wfHwxMjN8"}
    assert time_state == {"start_time": 1_700_000_000}


def test_state_from_another_version_is_refused() -> None:
    with pytest.raises(StateVersionError, match="--full-refresh"):
        check_version({"version": 99, "cursor": "x"}, "tickets")
    with pytest.raises(StateVersionError, match=r"^saved state for organizations has version 0,"):
        paginator_for(ORGANIZATIONS, {"version": 0, "start_time": 5}, 0)


LAST_PAGES: dict[type[Fetch], dict[str, object]] = {
    CursorExport: {"after_cursor": "b", "end_of_stream": True},
    TimeExport: {"end_time": 1_700_000_100, "end_of_stream": True, "count": 1},
}


@pytest.mark.parametrize("stream", [TICKETS, USERS, ORGANIZATIONS], ids=lambda s: s.name)
def test_a_stream_without_a_saved_position_starts_at_the_start_time(stream: Stream) -> None:
    custom = dataclasses.replace(stream, page_size=50, params={"include": "x"})
    record = {"id": 1, "updated_at": "2023-11-14T22:15:00Z"}

    paginator = paginator_for(custom, {}, 1_700_000_000)
    first = paginator.first_request()
    page, _ = paginator.read({stream.key: [record], **LAST_PAGES[type(stream.fetch)]})

    assert (first.url, dict(first.params)) == (
        stream.path,
        {"per_page": 50, "include": "x", "start_time": 1_700_000_000},
    )
    assert page.items == [record]


def test_a_saved_position_is_where_the_next_run_starts() -> None:
    cursor = paginator_for(TICKETS, {"version": 1, "cursor": "abc"}, 1_700_000_000)
    time = paginator_for(ORGANIZATIONS, {"version": 1, "start_time": 1_700_000_500}, 0)

    assert dict(cursor.first_request().params) == {
        "per_page": 1000,
        "include": "metric_sets",
        "cursor": "abc",
    }
    assert dict(time.first_request().params)["start_time"] == 1_700_000_500


def test_an_organizations_page_drops_the_boundary_records_the_last_one_ended_on() -> None:
    # Zendesk starts each page at the last one's end_time, so that second's records come again.
    a = {"id": 1, "updated_at": "2023-11-14T22:13:20Z"}  # 1_700_000_000
    b = {"id": 2, "updated_at": "2023-11-14T22:15:00Z"}  # 1_700_000_100
    c = {"id": 3, "updated_at": "2023-11-14T22:16:40Z"}  # 1_700_000_200
    paginator = paginator_for(ORGANIZATIONS, {}, 1_600_000_000)

    first, after = paginator.read({"organizations": [a, b], "end_time": 1_700_000_100})
    second, _ = paginator.read(
        {"organizations": [b, c], "end_time": 1_700_000_200, "end_of_stream": True}
    )

    assert after is not None
    assert dict(after.params)["start_time"] == 1_700_000_100
    assert (first.items, second.items) == ([a, b], [c])


def test_a_list_stream_pages_with_its_page_size_and_parameters() -> None:
    custom = dataclasses.replace(DELETED_USERS, page_size=7, params={"sort": "id"})
    paginator = paginator_for(custom, {}, 0)
    first = paginator.first_request()
    page, _ = paginator.read({"deleted_users": [{"id": 1}], "meta": {"has_more": False}})

    assert (first.url, dict(first.params)) == (
        "/api/v2/deleted_users",
        {"page[size]": 7, "sort": "id"},
    )
    assert page.items == [{"id": 1}]
