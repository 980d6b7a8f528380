"""Retries, rate limits, the origin guard, OAuth refresh and secrecy, against the sandbox."""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAST_RETRY, settings_for
from zdsync.client import (
    IncrementalCursorExport,
    OAuthCredentials,
    RateLimitSettings,
    Settings,
    ZendeskClient,
)
from zdsync.client.auth import TokenFile, TokenPair
from zdsync.client.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    UnsafeURLError,
)
from zdsync.client.secrets import Secret
from zdsync.client.settings import ApiTokenCredentials
from zdsync.sandbox import Fault, Sandbox, SandboxConfig
from zdsync.sandbox.config import AGENT_EMAIL, OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET

RecordingClient = Callable[..., tuple[ZendeskClient, list[float]]]


@pytest.fixture
def recording_client() -> Iterator[RecordingClient]:
    """Clients whose retry waits are recorded instead of slept; closed after the test."""
    made: list[ZendeskClient] = []

    def make(sandbox: Sandbox, **overrides: object) -> tuple[ZendeskClient, list[float]]:
        waits: list[float] = []
        made.append(ZendeskClient(settings_for(sandbox, **overrides), sleep=waits.append))
        return made[-1], waits

    yield make
    for client in made:
        client.close()


@pytest.mark.parametrize(("kind", "arg"), [("429", 1.0), ("503", 2.0)])
def test_retry_after_is_honoured(
    sandbox: Sandbox, kind: str, arg: float, recording_client: RecordingClient
) -> None:
    sandbox.app.faults.queue(Fault(kind, arg), times=2)
    client, waits = recording_client(sandbox)
    assert client.get_json("/api/v2/users/me")["user"]["email"] == sandbox.admin_email
    assert waits == [arg, arg]
    assert client.stats.count(status=kind) == 2


def test_a_retry_after_above_the_cap_waits_the_cap(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    sandbox.app.faults.queue(Fault("429", 1000))
    # Client-side limits off: the recorded sleep is then the only wait, mutated code or not.
    client, waits = recording_client(
        sandbox,
        retry=replace(FAST_RETRY, retry_after_cap_seconds=0.3),
        rate_limits=RateLimitSettings(enabled=False),
    )
    assert client.get_json("/api/v2/users/me")["user"]["role"] == "admin"
    assert waits == [0.3]


def test_a_429_without_retry_after_waits_the_default_and_a_503_backs_off(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    sandbox.app.faults.queue(Fault("429"))
    sandbox.app.faults.queue(Fault("503"))
    client, waits = recording_client(sandbox, rate_limits=RateLimitSettings(enabled=False))
    assert client.get_json("/api/v2/users/me")["user"]["role"] == "admin"
    assert [e.status for e in sandbox.app.log] == [429, 503, 200]
    assert waits[0] == FAST_RETRY.retry_after_default_seconds
    # A 503 without Retry-After is a server in trouble, not a limit: the jittered backoff.
    assert (
        FAST_RETRY.backoff_base_seconds * 2 / 2 <= waits[1] <= FAST_RETRY.backoff_base_seconds * 2
    )


@pytest.mark.parametrize("kind", ["500", "502", "504", "drop"])
def test_transient_failures_retry_with_backoff(
    sandbox: Sandbox, kind: str, recording_client: RecordingClient
) -> None:
    sandbox.app.faults.queue(Fault(kind), times=3)
    client, waits = recording_client(sandbox)
    assert client.get_json("/api/v2/users/me")["user"]["role"] == "admin"
    assert len(waits) == 3
    assert all(0 < w <= 0.05 for w in waits)


def test_a_request_that_keeps_failing_ends_in_one_clear_error(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    sandbox.app.faults.queue(Fault("500"), times=20)
    client, waits = recording_client(sandbox)
    with pytest.raises(ServerError, match=r"^500 .*\(GET /api/v2/users/me\)$"):
        client.get_json("/api/v2/users/me")
    assert len(waits) == client.settings.retry.max_attempts - 1


def test_bad_credentials_are_not_retried(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    wrong = ApiTokenCredentials(sandbox.admin_email, Secret("not-the-token"))
    client, waits = recording_client(sandbox, credentials=wrong)
    with pytest.raises(AuthenticationError, match="Couldn't authenticate you") as caught:
        client.get_json("/api/v2/users/me")
    assert waits == []
    assert len(sandbox.app.log) == 1
    assert "not-the-token" not in str(caught.value)


def test_validation_errors_and_missing_records_are_not_retried(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    client, waits = recording_client(sandbox)
    with pytest.raises(InvalidRequestError, match="422 InvalidValue"):
        client.get_json("/api/v2/incremental/tickets", params={"start_time": 10**10})
    with pytest.raises(NotFoundError, match="RecordNotFound"):
        client.get_json("/api/v2/users/1")
    assert waits == []
    assert len(sandbox.app.log) == 2


def test_a_non_admin_gets_a_permission_error_on_exports(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    agent = ApiTokenCredentials(AGENT_EMAIL, Secret(sandbox.api_token))
    client, _ = recording_client(sandbox, credentials=agent)
    with pytest.raises(PermissionDeniedError, match="403"):
        list(
            client.paginate(
                IncrementalCursorExport("/api/v2/incremental/users/cursor", "users", start_time=0)
            )
        )


@pytest.mark.parametrize(
    "sandbox",
    [SandboxConfig(rate_limits="realistic", time_scale=60, tickets=300, incremental_rpm=10)],
    indirect=True,
)
def test_the_client_stays_under_the_sandbox_limits(sandbox: Sandbox) -> None:
    def export() -> None:
        list(
            client.paginate(
                IncrementalCursorExport(
                    "/api/v2/incremental/tickets/cursor", "tickets", start_time=0, per_page=20
                )
            )
        )

    with ZendeskClient(settings_for(sandbox)) as client:
        workers = [threading.Thread(target=export) for _ in range(2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    exports = [e for e in sandbox.app.log if e.path.startswith("/api/v2/incremental/")]
    assert len(exports) == 2 * 15
    assert [e.status for e in sandbox.app.log if e.status == 429] == []
    assert client.limits.waited_seconds > 0


def test_the_client_obeys_a_sandbox_429(
    sandbox: Sandbox, recording_client: RecordingClient
) -> None:
    # A burst past the limit from another tool: the client waits out Retry-After.
    sandbox.app.faults.queue(Fault("429", 1), path_prefix="/api/v2/incremental/")
    client, waits = recording_client(sandbox)
    pages = list(
        client.paginate(
            IncrementalCursorExport("/api/v2/incremental/tickets/cursor", "tickets", start_time=0)
        )
    )
    assert waits == [1.0]
    assert sum(len(p.items) for p in pages) > 0


def test_pagination_urls_on_another_origin_are_refused(shared_sandbox: Sandbox) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(
            200,
            json={
                "tickets": [{"id": 1}],
                "after_cursor": "next",
                "end_of_stream": False,
                "after_url": "https://evil.example.net/api/v2/incremental/tickets/cursor?cursor=next",
            },
        )

    settings = settings_for(shared_sandbox)
    with ZendeskClient(settings, transport=httpx.MockTransport(handler)) as client:
        paginator = IncrementalCursorExport(
            "/api/v2/incremental/tickets/cursor", "tickets", start_time=0
        )
        with pytest.raises(UnsafeURLError, match=r"evil\.example\.net"):
            list(client.paginate(paginator))
    assert len(seen) == 1
    assert all(url.startswith(shared_sandbox.base_url) for url in seen)


@pytest.mark.parametrize(
    "next_url",
    [
        "http://acme.zendesk.com/api/v2/incremental/tickets/cursor?cursor=next",
        "https://acme.zendesk.com:8443/api/v2/incremental/tickets/cursor?cursor=next",
        "https://acme.zendesk.com.evil.example/api/v2/incremental/tickets/cursor?cursor=next",
        "https://someone@acme.zendesk.com/api/v2/incremental/tickets/cursor?cursor=next",
    ],
    ids=["scheme-downgrade", "other-port", "lookalike-host", "userinfo"],
)
def test_a_next_page_on_another_scheme_port_or_host_is_refused(
    shared_sandbox: Sandbox, next_url: str
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        following = len(seen) == 1
        return httpx.Response(
            200,
            json={
                "tickets": [{"id": len(seen)}],
                "after_cursor": "next" if following else None,
                "end_of_stream": not following,
                "after_url": next_url if following else None,
            },
        )

    settings = settings_for(shared_sandbox, origin="https://acme.zendesk.com")
    with ZendeskClient(settings, transport=httpx.MockTransport(handler)) as client:
        paginator = IncrementalCursorExport(
            "/api/v2/incremental/tickets/cursor", "tickets", start_time=0
        )
        with pytest.raises(UnsafeURLError) as refused:
            list(client.paginate(paginator))
    assert len(seen) == 1
    assert seen[0].startswith("https://acme.zendesk.com/api/v2/incremental/tickets/cursor?")
    refused_origin = next_url.split("/api/")[0].replace("someone@", "")
    assert str(refused.value).startswith(f"refusing to send credentials to {refused_origin}:")
    assert "someone" not in str(refused.value)


def test_a_next_page_on_the_same_origin_in_other_case_is_followed(
    shared_sandbox: Sandbox,
) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        following = len(seen) == 1
        return httpx.Response(
            200,
            json={
                "tickets": [{"id": len(seen)}],
                "after_cursor": "next" if following else "last",
                "end_of_stream": not following,
                "after_url": "HTTPS://ACME.zendesk.com/api/v2/incremental/tickets/cursor?cursor=next",
            },
        )

    settings = settings_for(shared_sandbox, origin="https://acme.zendesk.com")
    with ZendeskClient(settings, transport=httpx.MockTransport(handler)) as client:
        paginator = IncrementalCursorExport(
            "/api/v2/incremental/tickets/cursor", "tickets", start_time=0
        )
        pages = list(client.paginate(paginator))
    assert [t["id"] for p in pages for t in p.items] == [1, 2]
    assert len(seen) == 2


def oauth_settings(sandbox: Sandbox, token_file: Path, access: str, refresh: str) -> Settings:
    return settings_for(
        sandbox,
        credentials=OAuthCredentials(
            access_token=Secret(access),
            client_id=OAUTH_CLIENT_ID,
            client_secret=Secret(OAUTH_CLIENT_SECRET),
            refresh_token=Secret(refresh),
            token_file=token_file,
        ),
    )


def test_oauth_refresh_rotates_and_persists_the_new_pair(
    sandbox: Sandbox, token_file: Path
) -> None:
    admin_id = min(sandbox.store.users.records)
    access, refresh = sandbox.app.accounts.issue(admin_id)
    sandbox.app.accounts.expire_access_tokens()
    with ZendeskClient(oauth_settings(sandbox, token_file, access, refresh)) as client:
        assert client.get_json("/api/v2/users/me")["user"]["id"] == admin_id
    assert sandbox.app.accounts.refreshes == 1
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    stored = token_file.read_text()
    assert refresh not in stored
    assert access not in stored
    # The sandbox revoked the old pair; a new process started with the same stale environment
    # still works because the file wins over it.
    with ZendeskClient(oauth_settings(sandbox, token_file, access, refresh)) as again:
        assert again.get_json("/api/v2/users/me")["user"]["id"] == admin_id
    assert sandbox.app.accounts.refreshes == 1


def test_a_refused_refresh_is_one_clear_line_without_secrets(
    sandbox: Sandbox, token_file: Path
) -> None:
    access, _ = sandbox.app.accounts.issue(min(sandbox.store.users.records))
    sandbox.app.accounts.expire_access_tokens()
    settings = oauth_settings(sandbox, token_file, access, "revoked-refresh-token")
    with ZendeskClient(settings) as client, pytest.raises(AuthenticationError) as caught:
        client.get_json("/api/v2/users/me")
    message = str(caught.value)
    assert "invalid_grant" in message
    assert "\n" not in message
    for secret in (access, "revoked-refresh-token", OAUTH_CLIENT_SECRET):
        assert secret not in message
    assert not token_file.exists()


def test_no_secret_reaches_logs_reprs_or_errors(
    sandbox: Sandbox, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    access, refresh = sandbox.app.accounts.issue(min(sandbox.store.users.records))
    sandbox.app.accounts.expire_access_tokens()
    sandbox.app.faults.queue(Fault("503", 0), times=1)
    settings = oauth_settings(sandbox, token_file, access, refresh)
    with ZendeskClient(settings) as client:
        client.get_json("/api/v2/users/me")
        with pytest.raises(NotFoundError) as caught:
            client.get_json("/api/v2/users/1")
        new_pair = token_file.read_text()
        text = "\n".join([caplog.text, repr(settings), repr(client), str(caught.value)])
    secrets = [access, refresh, OAUTH_CLIENT_SECRET, sandbox.api_token, "Bearer", "Authorization"]
    secrets += [v for k, v in __import__("json").loads(new_pair).items() if k != "expires_at" and v]
    for secret in secrets:
        assert secret not in text
    assert "refreshed the OAuth access token" in caplog.text


def test_an_access_token_about_to_expire_is_refreshed_before_use(
    sandbox: Sandbox, token_file: Path
) -> None:
    admin_id = min(sandbox.store.users.records)
    access, refresh = sandbox.app.accounts.issue(admin_id)
    # A pair saved by an earlier run, its access token expiring in a few seconds.
    TokenFile(token_file).save(TokenPair(Secret(access), Secret(refresh), time.time() + 5))

    with ZendeskClient(oauth_settings(sandbox, token_file, access, refresh)) as client:
        assert client.get_json("/api/v2/users/me")["user"]["id"] == admin_id

    assert sandbox.app.accounts.refreshes == 1
    assert not [e for e in sandbox.app.request_log() if e["status"] == 401]
    assert TokenFile(token_file).load().access_token.reveal() != access  # type: ignore[union-attr]
