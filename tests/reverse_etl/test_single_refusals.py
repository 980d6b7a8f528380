"""``--single`` against refusals: a row Zendesk refuses fails alone, refused credentials stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import settings_for
from zdsync.client import OAuthCredentials, RateLimitSettings, ZendeskClient
from zdsync.client.errors import AuthenticationError
from zdsync.client.secrets import Secret
from zdsync.reverse_etl.plan import PlannedRow
from zdsync.reverse_etl.reconcile import RowOutcome
from zdsync.reverse_etl.rows import InputRow
from zdsync.reverse_etl.single import SINGLE_PATH, SingleSender
from zdsync.sandbox import Sandbox
from zdsync.sandbox.config import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET


def planned(count: int) -> list[PlannedRow]:
    return [
        PlannedRow(
            InputRow(n, {}),
            payload={"external_id": f"single-{n}", "email": f"single.{n}@example.net", "name": "S"},
        )
        for n in range(1, count + 1)
    ]


def posts(sandbox: Sandbox) -> list[dict[str, object]]:
    return [
        e
        for e in sandbox.app.request_log()
        if e["method"] == "POST" and str(e["path"]).startswith(SINGLE_PATH)
    ]


def test_credentials_zendesk_will_not_renew_stop_the_run_at_the_first_row(
    crm_sandbox: Sandbox, tmp_path: Path
) -> None:
    access, _ = crm_sandbox.app.accounts.issue(min(crm_sandbox.store.users.records))
    crm_sandbox.app.accounts.expire_access_tokens()
    settings = settings_for(
        crm_sandbox,
        credentials=OAuthCredentials(
            access_token=Secret(access),
            client_id=OAUTH_CLIENT_ID,
            client_secret=Secret(OAUTH_CLIENT_SECRET),
            refresh_token=Secret("revoked-refresh-token"),
            token_file=tmp_path / "tokens.json",
        ),
        rate_limits=RateLimitSettings(enabled=False),
    )
    recorded: list[RowOutcome] = []

    with (
        ZendeskClient(settings) as client,
        pytest.raises(AuthenticationError, match="invalid_grant"),
    ):
        SingleSender(client, recorded.extend).run(planned(3))

    # The refusal is about the credentials, so no row is blamed and no other row is tried.
    assert recorded == []
    assert len(posts(crm_sandbox)) == 1


def test_a_row_zendesk_refuses_fails_alone(crm_sandbox: Sandbox) -> None:
    items = planned(3)
    items[1].payload["email"] = "not an address"
    recorded: list[RowOutcome] = []
    settings = settings_for(crm_sandbox, rate_limits=RateLimitSettings(enabled=False))

    with ZendeskClient(settings) as client:
        SingleSender(client, recorded.extend).run(items)

    assert [o.action for o in recorded] == ["created", "failed", "created"]
    assert recorded[1].error is not None
    assert len(posts(crm_sandbox)) == 3
