"""The sync flow pushing several objects, in dependency order, on a Prefect test server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from flows.sync import sync
from tests.reverse_etl.conftest import crm_organizations, write_csv
from zdsync.sandbox import Sandbox, SandboxConfig

HOURLY = ["users", "tickets", "organizations"]


@pytest.fixture
def zendesk_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    config = SandboxConfig(rate_limits="off", tickets=50, users=50, job_latency_seconds=0.05)
    with Sandbox(config).start() as sandbox:
        for name, value in (
            ("ZENDESK_BASE_URL", sandbox.base_url),
            ("ZENDESK_EMAIL", sandbox.admin_email),
            ("ZENDESK_API_TOKEN", sandbox.api_token),
            ("ZENDESK_RATE_LIMITS", "off"),
        ):
            monkeypatch.setenv(name, value)
        yield sandbox


def test_users_name_organizations_the_same_sync_creates(
    prefect_server: None, zendesk_env: Sandbox, tmp_path: Path
) -> None:
    orgs = write_csv(tmp_path / "orgs.csv", crm_organizations(3), ["external_id", "name"])
    users = write_csv(
        tmp_path / "users.csv",
        [
            {"email": "a@example.net", "name": "A", "organization_external_id": "crm-org-2"},
            {"email": "b@example.net", "name": "B", "organization_name": "CRM COMPANY 0"},
        ],
        ["email", "name"],
    )

    result = sync(
        resources=HOURLY,
        db=tmp_path / "warehouse.duckdb",
        crm_inputs={"users": users, "organizations": orgs},
    )

    assert (result["push_organizations"]["object"], result["push_organizations"]["created"]) == (
        "organizations",
        3,
    )
    assert (result["push_users"]["created"], result["push_users"]["invalid"]) == (2, 0)
    assert "push_tickets" not in result
    orgs_by_name = {o["name"]: o["id"] for o in zendesk_env.store.organizations.records.values()}
    a = zendesk_env.store.find_user(email="a@example.net")
    b = zendesk_env.store.find_user(email="b@example.net")
    assert a is not None
    assert b is not None
    assert (a["organization_id"], b["organization_id"]) == (
        orgs_by_name["CRM Company 2"],
        orgs_by_name["CRM Company 0"],
    )
