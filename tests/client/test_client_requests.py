"""What the client sends and how it retries, seen from the sandbox's log and its own clock."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import orjson
import pytest

from tests.conftest import FAST_RETRY, settings_for
from zdsync import __version__
from zdsync.client import (
    ApiTokenCredentials,
    OAuthCredentials,
    RateLimitSettings,
    Settings,
    ZendeskClient,
)
from zdsync.client.errors import (
    AuthenticationError,
    ConnectionFailedError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
)
from zdsync.client.ratelimit import RateLimiter
from zdsync.client.secrets import Secret
from zdsync.sandbox import Fault, Sandbox
from zdsync.sandbox.config import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET

ME = "/api/v2/users/me"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Hooked(httpx.BaseTransport):
    """Real HTTP to the sandbox, with a hook run on every request before it is sent and a
    record of the headers each carried."""

    def __init__(self, before: Callable[[httpx.Request], None] = lambda request: None) -> None:
        self._inner = httpx.HTTPTransport()
        self._before = before
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        self._before(request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


def statuses(sandbox: Sandbox) -> list[tuple[str, int]]:
    return [(entry.path, entry.status) for entry in sandbox.app.log]


def oauth(sandbox: Sandbox, token_file: Path) -> OAuthCredentials:
    access, refresh = sandbox.app.accounts.issue(min(sandbox.store.users.records))
    sandbox.app.accounts.expire_access_tokens()
    return OAuthCredentials(
        access_token=Secret(access),
        client_id=OAUTH_CLIENT_ID,
        client_secret=Secret(OAUTH_CLIENT_SECRET),
        refresh_token=Secret(refresh),
        token_file=token_file,
    )


def test_every_request_names_the_client_and_asks_for_json(sandbox: Sandbox) -> None:
    transport = Hooked()
    with ZendeskClient(settings_for(sandbox), transport=transport) as client:
        client.get_json(ME)
        assert repr(client) == f"ZendeskClient(origin={sandbox.base_url!r})"
    (request,) = transport.sent
    assert request.headers["user-agent"] == f"zdsync/{__version__}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["authorization"].startswith("Basic ")


def test_relative_paths_and_query_parameters_reach_the_origin(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    assert client.get_json("api/v2/users/me")["user"]["role"] == "admin"
    # A next-page URL's own query is kept beside the parameters.
    client.get_json(f"{sandbox.base_url}/api/v2/deleted_users?page[size]=1", params={"x": "2"})
    raw = client.get_bytes(ME)
    assert orjson.loads(raw) == client.get_json(ME)
    assert client.stats.counts[("GET", ME, "200")] == 3
    assert [(e.path, e.query) for e in sandbox.app.log][:2] == [
        (ME, {}),
        ("/api/v2/deleted_users", {"page[size]": "1", "x": "2"}),
    ]


def test_post_json_sends_the_body(sandbox: Sandbox) -> None:
    settings = settings_for(sandbox)
    limits = RateLimiter(settings.rate_limits, clock=Clock())
    with ZendeskClient(settings, rate_limiter=limits) as client:
        reply = client.post_json(
            "/api/v2/users/create_or_update",
            {"user": {"email": "new.person@example.com", "name": "New Person"}},
        )
    assert isinstance(reply, dict)
    assert [(e.method, e.path) for e in sandbox.app.log] == [
        ("POST", "/api/v2/users/create_or_update")
    ]
    assert [key[:2] for key in client.stats.counts] == [("POST", "/api/v2/users/create_or_update")]
    # A single-user write spends its per-second bucket: a second of a clock that stands still.
    assert limits.limiters["single_user_write"].delay() == 1.0
    made = sandbox.store.find_user(email="new.person@example.com")
    assert made is not None
    assert made["name"] == "New Person"


def test_a_429_pauses_every_limiter_the_request_passed_and_a_503_none(sandbox: Sandbox) -> None:
    clock = Clock()
    limits = RateLimiter(settings_for(sandbox).rate_limits, clock=clock)
    seen: list[tuple[float, float, float]] = []

    def sleep(seconds: float) -> None:
        seen.append(
            (
                seconds,
                limits.limiters["incremental"].delay(),
                limits.limiters["users_cursor"].delay(),
            )
        )
        clock.now += seconds

    sandbox.app.faults.queue(Fault("429", 4))
    sandbox.app.faults.queue(Fault("503", 3))
    with ZendeskClient(settings_for(sandbox), rate_limiter=limits, sleep=sleep) as client:
        client.get_json("/api/v2/incremental/tickets/cursor", params={"start_time": 0})
    assert seen == [(4.0, 4.0, 0.0), (3.0, 0.0, 0.0)]
    assert client.stats.retries == 2
    assert client.stats.count_code("APIRateLimitExceeded") == 1


def test_retries_back_off_exponentially_to_the_cap_with_jitter(sandbox: Sandbox) -> None:
    waits: list[float] = []
    retry = replace(
        FAST_RETRY, max_attempts=20, backoff_base_seconds=0.01, backoff_cap_seconds=0.05
    )
    sandbox.app.faults.queue(Fault("500"), times=19)
    settings = settings_for(sandbox, retry=retry, rate_limits=RateLimitSettings(enabled=False))
    with ZendeskClient(settings, sleep=waits.append) as client:
        client.get_json(ME)
    # 0.01, 0.02, 0.04, then the cap; each somewhere in its upper half.
    ceilings = [0.01, 0.02, 0.04] + [0.05] * 16
    assert len(waits) == len(ceilings)
    for wait, ceiling in zip(waits, ceilings, strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_each_retry_is_logged_with_its_wait(
    sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="zdsync.client.http")
    sandbox.app.faults.queue(Fault("503", 4))
    with ZendeskClient(settings_for(sandbox), sleep=lambda seconds: None) as client:
        client.get_json(ME)
    assert caplog.messages == [f"503 Service Unavailable (GET {ME}); retry 1 in 4.0s"]


def test_an_unreachable_server_is_one_line_after_every_attempt() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    origin = f"http://127.0.0.1:{port}"
    credentials = ApiTokenCredentials("admin@example.com", Secret("token"))
    settings = Settings(origin, credentials, retry=replace(FAST_RETRY, max_attempts=3))
    waits: list[float] = []
    with ZendeskClient(settings, sleep=waits.append) as client:
        with pytest.raises(ConnectionFailedError) as caught:
            client.get_json("/api/v2/users/7.json")
        assert str(caught.value) == f"ConnectError talking to {origin} (GET /api/v2/users/7.json)"
        assert client.stats.count(status="error", endpoint="/api/v2/users/{id}") == 3
        assert client.stats.retries == 2
        assert len(waits) == 2
        # Every slot taken was given back.
        assert client.limits.limiters["account"]._in_flight == 0


def test_a_missing_record_is_counted_by_its_code_and_not_retried(
    sandbox: Sandbox, client: ZendeskClient
) -> None:
    with pytest.raises(NotFoundError):
        client.get_json("/api/v2/users/99999999")
    assert client.stats.count_code("RecordNotFound", endpoint="/api/v2/users/{id}") == 1
    assert client.stats.retries == 0


def test_a_refresh_does_not_use_up_an_attempt(sandbox: Sandbox, token_file: Path) -> None:
    def after_refresh(request: httpx.Request) -> None:
        if request.url.path == "/oauth/tokens":
            sandbox.app.faults.queue(Fault("503", 0))

    settings = settings_for(
        sandbox, credentials=oauth(sandbox, token_file), retry=replace(FAST_RETRY, max_attempts=2)
    )
    with ZendeskClient(settings, transport=Hooked(after_refresh), sleep=lambda s: None) as client:
        assert client.get_json(ME)["user"]["role"] == "admin"
    assert statuses(sandbox) == [(ME, 401), ("/oauth/tokens", 201), (ME, 503), (ME, 200)]


def test_a_refusal_after_a_refresh_is_final(sandbox: Sandbox, token_file: Path) -> None:
    def expire_again(request: httpx.Request) -> None:
        if request.url.path == ME:
            sandbox.app.accounts.expire_access_tokens()

    settings = settings_for(sandbox, credentials=oauth(sandbox, token_file))
    with (
        ZendeskClient(settings, transport=Hooked(expire_again)) as client,
        pytest.raises(AuthenticationError),
    ):
        client.get_json(ME)
    assert statuses(sandbox) == [(ME, 401), ("/oauth/tokens", 201), (ME, 401)]


def test_a_dropped_token_request_is_sent_once_more(sandbox: Sandbox, token_file: Path) -> None:
    drops = {"left": 1}

    def drop_once(request: httpx.Request) -> None:
        if request.url.path == "/oauth/tokens" and drops["left"]:
            drops["left"] -= 1
            raise httpx.ConnectError("dropped", request=request)

    transport = Hooked(drop_once)
    settings = settings_for(sandbox, credentials=oauth(sandbox, token_file))
    with ZendeskClient(settings, transport=transport) as client:
        assert client.get_json(ME)["user"]["role"] == "admin"
    tokens = [r for r in transport.sent if r.url.path == "/oauth/tokens"]
    assert len(tokens) == 2
    # The token endpoint gets the client's credentials in its body, never a header.
    assert "authorization" not in tokens[-1].headers
    assert statuses(sandbox) == [(ME, 401), ("/oauth/tokens", 201), (ME, 200)]


def test_a_token_endpoint_that_stays_unreachable_is_one_line(
    sandbox: Sandbox, token_file: Path
) -> None:
    def drop(request: httpx.Request) -> None:
        if request.url.path == "/oauth/tokens":
            raise httpx.ConnectError("dropped", request=request)

    transport = Hooked(drop)
    settings = settings_for(sandbox, credentials=oauth(sandbox, token_file))
    with (
        ZendeskClient(settings, transport=transport) as client,
        pytest.raises(ConnectionFailedError) as caught,
    ):
        client.get_json(ME)
    assert str(caught.value) == (
        f"could not reach {sandbox.base_url}/oauth/tokens to refresh the token"
    )
    assert sum(1 for r in transport.sent if r.url.path == "/oauth/tokens") == 2


def test_a_slow_server_is_cut_off_at_the_timeout(sandbox: Sandbox) -> None:
    sandbox.app.faults.queue(Fault("slow", 3))
    settings = settings_for(sandbox, timeout_seconds=0.5, retry=replace(FAST_RETRY, max_attempts=1))
    with ZendeskClient(settings) as client, pytest.raises(ConnectionFailedError) as caught:
        client.get_json(ME)
    assert str(caught.value).startswith("ReadTimeout talking to ")


def test_a_server_error_on_the_last_attempt_is_raised(sandbox: Sandbox) -> None:
    sandbox.app.faults.queue(Fault("502"), times=2)
    settings = settings_for(sandbox, retry=replace(FAST_RETRY, max_attempts=2))
    with ZendeskClient(settings, sleep=lambda s: None) as client, pytest.raises(ServerError):
        client.get_json(ME)
    assert statuses(sandbox) == [(ME, 502), (ME, 502)]


def test_a_400_is_refused_at_once(sandbox: Sandbox, client: ZendeskClient) -> None:
    with pytest.raises(InvalidRequestError, match=r"^400 InvalidValue: user must be an object "):
        client.post_json("/api/v2/users/create_or_update", {"user": "nobody"})
    assert statuses(sandbox) == [("/api/v2/users/create_or_update", 400)]


def test_a_redirect_is_not_followed(sandbox: Sandbox) -> None:
    sent: list[str] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": f"{sandbox.base_url}{ME}"})

    transport = httpx.MockTransport(redirect)
    with ZendeskClient(settings_for(sandbox), transport=transport) as client:
        reply = client.request("GET", "/api/v2/users/7")
    assert reply.status_code == 302
    assert sent == [f"{sandbox.base_url}/api/v2/users/7"]
