"""A push knows every user field, however many pages Zendesk spreads them over."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import settings_for
from tests.reverse_etl.conftest import push, sync_log, write_csv
from zdsync.client import ZendeskClient
from zdsync.reverse_etl import lookup
from zdsync.sandbox import Sandbox, SandboxConfig


@pytest.fixture
def many_fields() -> Iterator[Sandbox]:
    config = SandboxConfig(
        rate_limits="off", users=50, tickets=10, job_latency_seconds=0.1, extra_user_fields=230
    )
    with Sandbox(config).start() as running:
        yield running


def test_the_lookup_reads_every_page_of_user_fields(many_fields: Sandbox) -> None:
    with ZendeskClient(settings_for(many_fields)) as client:
        definitions = lookup.user_field_definitions(client)

    assert definitions == many_fields.store.user_fields
    assert len(definitions) == 235
    pages = [e for e in many_fields.app.log if e.path.startswith("/api/v2/user_fields")]
    assert len(pages) == 3


def test_a_field_defined_on_the_last_page_is_pushed(many_fields: Sandbox, tmp_path: Path) -> None:
    last_key = many_fields.store.user_fields[-1]["key"]
    row = {
        "external_id": "crm-late-field",
        "email": "late.field@example.net",
        "name": "Late Field",
        f"user_fields.{last_key}": "kept",
    }

    summary = push(many_fields, tmp_path, input=write_csv(tmp_path / "crm.csv", [row]))

    (logged,) = sync_log(tmp_path / "sync.duckdb", summary.run_id)
    assert (logged["action"], logged["error"]) == ("created", None)
    user = many_fields.store.find_user(external_id="crm-late-field")
    assert user is not None
    assert user["user_fields"][last_key] == "kept"
