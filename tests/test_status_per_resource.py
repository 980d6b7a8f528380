"""``zdsync status``: each resource's last load is its own, not the pipeline's last."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.pipelines.conftest import extract
from zdsync.sandbox import Sandbox, SandboxConfig
from zdsync.status import read_status

CONFIG = SandboxConfig(rate_limits="off", tickets=200, users=100, organizations=10, deleted_users=5)


def test_each_resource_shows_when_it_last_loaded(tmp_path: Path) -> None:
    db = tmp_path / "status.duckdb"
    with Sandbox(CONFIG).start() as sandbox:
        sandbox.store.advance_clock(120)
        first_started = datetime.now(UTC)
        extract(sandbox, db)
        first_ended = datetime.now(UTC)
        extract(sandbox, db, resources=("organizations",))
        second_ended = datetime.now(UTC)

    found = {r.name: r for r in read_status(db).resources}

    for name in ("users", "tickets", "deleted_users", "compliance_deletion_statuses"):
        loaded = found[name].last_loaded_at
        assert loaded is not None, name
        assert first_started <= loaded <= first_ended, name
    organizations = found["organizations"].last_loaded_at
    assert organizations is not None
    assert first_ended <= organizations <= second_ended
    # Field definitions load with their records, and count as loaded with them.
    assert found["ticket_fields"].last_loaded_at == found["tickets"].last_loaded_at
