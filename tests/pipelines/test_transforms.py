"""Pure pieces of the extract, tested with literal records."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.zendesk.arrow import ArrowConverter
from pipelines.zendesk.gdpr import (
    SCRUBBED_USER_COLUMNS,
    is_permanently_deleted,
    scrub_statement,
    scrub_user,
)
from pipelines.zendesk.resources import deletion_complete
from pipelines.zendesk.state import StateVersionError, check_version, save_position
from pipelines.zendesk.streams import ORGANIZATIONS, TICKETS, USERS


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


def test_scrubbing_keeps_the_id_and_clears_personal_fields() -> None:
    user = {"id": 7, "name": "Ann", "email": "ann@example.com", "phone": "+4420", "role": "admin"}

    scrubbed = scrub_user(user)

    assert scrubbed == {
        "id": 7,
        "name": "Permanently Deleted User",
        "email": None,
        "phone": None,
        "role": "admin",
    }


def test_the_scrub_statement_runs_and_is_idempotent() -> None:
    con = duckdb.connect()
    columns = ", ".join(f"{c} VARCHAR" for c in SCRUBBED_USER_COLUMNS)
    con.execute(f"CREATE TABLE users (id BIGINT, {columns})")
    con.execute("CREATE TABLE deleted_users (id BIGINT, name VARCHAR, email VARCHAR)")
    con.execute("INSERT INTO users (id, name, email) VALUES (1, 'Ann', 'a@x'), (2, 'Bo', 'b@x')")
    con.execute("INSERT INTO deleted_users VALUES (1, 'Permanently Deleted User', NULL)")
    con.execute("INSERT INTO deleted_users VALUES (2, 'Bo', 'b@x')")

    con.execute(scrub_statement("users", "deleted_users"))
    con.execute(scrub_statement("users", "deleted_users"))

    assert con.sql("SELECT id, name, email FROM users ORDER BY id").fetchall() == [
        (1, "Permanently Deleted User", None),
        (2, "Bo", "b@x"),
    ]


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
