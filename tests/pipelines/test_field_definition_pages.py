"""The field-definition tables hold every definition, however many pages Zendesk uses."""

from __future__ import annotations

from pathlib import Path

from tests.pipelines.conftest import extract, rows
from zdsync.sandbox import Sandbox, SandboxConfig


def test_every_ticket_and_user_field_definition_is_loaded(tmp_path: Path) -> None:
    config = SandboxConfig(
        rate_limits="off",
        users=40,
        tickets=40,
        organizations=5,
        deleted_users=4,
        extra_user_fields=140,
        extra_ticket_fields=210,
    )
    with Sandbox(config).start() as sandbox:
        sandbox.store.advance_clock(120)
        db = tmp_path / "warehouse.duckdb"
        extract(sandbox, db)
        for table, truth in (
            ("user_fields", sandbox.store.user_fields),
            ("ticket_fields", sandbox.store.ticket_fields),
        ):
            loaded = rows(db, table)
            assert sorted(loaded) == sorted(d["id"] for d in truth)
            assert {i: r["key"] for i, r in loaded.items()} == {d["id"]: d["key"] for d in truth}
        requests = [e.path for e in sandbox.app.log]
        assert requests.count("/api/v2/ticket_fields") == 3
        assert requests.count("/api/v2/user_fields") == 2
