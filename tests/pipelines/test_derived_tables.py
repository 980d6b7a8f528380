"""The tables made from another export's pages hold the declared column types and exactly the
sandbox's rows, value for value.

The truth is the sandbox's own records (its audits, metric sets and identities), read through
its store, and the types are DuckDB's own account of the loaded tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.zendesk.derived import Derived
from pipelines.zendesk.streams import STREAMS, derived_from
from tests.pipelines.activity import table
from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.sandbox.exports_activity import metric_sets
from zdsync.sandbox.store import epoch

PARENTS = ("tickets", "users", "ticket_events")
DERIVED = [stream.name for parent in PARENTS for stream in derived_from(parent)]
# How DuckDB names each declared type in its catalog.
CATALOG_TYPES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Path]]:
    db = tmp_path_factory.mktemp("derived") / "warehouse.duckdb"
    config = SandboxConfig(rate_limits="off", tickets=1200, users=400, organizations=20)
    with Sandbox(config).start() as sandbox:
        sandbox.store.advance_clock(120)
        # A page size below the data's, so rows come from several pages and batches.
        extract(sandbox, db, resources=PARENTS, batch_records=700)
        yield sandbox, db


def test_every_derived_stream_is_covered() -> None:
    every = {s.name for s in STREAMS.values() if isinstance(s.fetch, Derived)}
    assert set(DERIVED) == every
    assert len(DERIVED) >= 5


@pytest.mark.parametrize("name", DERIVED)
def test_a_derived_table_has_exactly_its_declared_column_types(
    loaded: tuple[Sandbox, Path], name: str
) -> None:
    _, db = loaded
    with duckdb.connect(str(db), read_only=True) as con:
        found = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'zendesk' AND table_name = ? AND column_name NOT LIKE '\\_dlt%'"
            " ESCAPE '\\' ORDER BY ordinal_position",
            [name],
        ).fetchall()
    declared = [
        (column, CATALOG_TYPES.get(kind, kind)) for column, kind in STREAMS[name].columns.items()
    ]
    assert found == declared


def _instant(value: Any) -> Any:
    """An ISO timestamp or a loaded datetime, as Unix seconds; anything else as it is."""
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, str) and len(value) == 20 and value.endswith("Z") and value[10] == "T":
        return epoch(value)
    return value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _rows(
    rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any], json_columns: set[str]
) -> dict[Any, dict[str, Any]]:
    return {
        key(row): {
            name: _json(value) if name in json_columns else _instant(value)
            for name, value in row.items()
            if not name.startswith("_dlt")
        }
        for row in rows
    }


def _json_columns(name: str) -> set[str]:
    return {column for column, kind in STREAMS[name].columns.items() if kind == "JSON"}


def assert_table_equals(db: Path, name: str, truth: list[dict[str, Any]], key: Any) -> None:
    json_columns = _json_columns(name)
    got = _rows(table(db, name), key, json_columns)
    expected = _rows(truth, key, json_columns)
    assert len(truth) == len(expected), "the truth repeats a key"
    assert got.keys() == expected.keys()
    assert got == expected


def test_comments_equal_the_sandbox_audits(loaded: tuple[Sandbox, Path]) -> None:
    sandbox, db = loaded
    truth = [
        {
            "id": child["id"],
            "ticket_id": audit["ticket_id"],
            "author_id": child["author_id"],
            "public": child["public"],
            "created_at": child["created_at"],
            "body": child["body"],
            "html_body": child["html_body"],
            "via_channel": child["via"]["channel"],
            "attachments": child["attachments"],
            "event_id": audit["id"],
        }
        for audit in sandbox.store.ticket_events.records.values()
        for child in audit["child_events"]
        if child["event_type"] == "Comment"
    ]
    assert any(row["attachments"] for row in truth)
    assert_table_equals(db, "ticket_comments", truth, lambda row: row["id"])


def test_tag_history_equals_the_sandbox_audits(loaded: tuple[Sandbox, Path]) -> None:
    sandbox, db = loaded
    truth = [
        {
            "ticket_id": audit["ticket_id"],
            "tag": tag,
            "action": action,
            "updated_at": audit["created_at"],
            "updater_id": audit["updater_id"],
            "event_id": audit["id"],
        }
        for audit in sandbox.store.ticket_events.records.values()
        for child in audit["child_events"]
        for action, tags in (("added", "added_tags"), ("removed", "removed_tags"))
        for tag in child.get(tags) or []
    ]
    assert {row["action"] for row in truth} == {"added", "removed"}
    assert_table_equals(
        db, "ticket_tag_history", truth, lambda row: (row["event_id"], row["tag"], row["action"])
    )


def test_field_history_has_one_row_per_changed_field(loaded: tuple[Sandbox, Path]) -> None:
    sandbox, db = loaded
    # Each Create or Change child event names one field, or custom fields by id.
    expected = set()
    for audit in sandbox.store.ticket_events.records.values():
        for child in audit["child_events"]:
            if child["event_type"] not in ("Create", "Change"):
                continue
            for field_id in child.get("custom_ticket_fields") or {}:
                expected.add((audit["id"], f"custom_fields_{field_id}"))
            named = [
                k
                for k in (
                    "status",
                    "priority",
                    "type",
                    "assignee_id",
                    "group_id",
                    "ticket_form_id",
                    "brand_id",
                    "tags",
                    "sla_policy",
                )
                if k in child
            ]
            expected.update((audit["id"], name) for name in named)
    got = {(row["event_id"], row["field_name"]) for row in table(db, "ticket_field_history")}
    assert got == expected


def test_identities_equal_the_sandbox(loaded: tuple[Sandbox, Path]) -> None:
    sandbox, db = loaded
    columns = STREAMS["user_identities"].columns
    truth = [
        {name: identity.get(name) for name in columns}
        for identities in sandbox.store.snapshot()["identities"].values()
        for identity in identities
    ]
    assert_table_equals(db, "user_identities", truth, lambda row: row["id"])


def test_metrics_equal_the_sandbox(loaded: tuple[Sandbox, Path]) -> None:
    sandbox, db = loaded
    columns = STREAMS["ticket_metrics"].columns
    with sandbox.store.lock:
        found = metric_sets(sandbox.store, list(sandbox.store.tickets.records))["metric_sets"]
    truth = []
    for metric in found:  # type: ignore[attr-defined]
        row = {}
        for name in columns:
            duration, _, clock = name.rpartition("_")
            if clock in ("calendar", "business") and duration in metric:
                row[name] = metric[duration][clock]
            else:
                row[name] = metric.get(name)
        truth.append(row)
    assert_table_equals(db, "ticket_metrics", truth, lambda row: row["id"])
